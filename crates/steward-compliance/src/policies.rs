//! The policy library over Steward's storage (feature `service`): the DPO's cluster policies
//! (held by the DPO's organisation) with versions, offered to every practice of the cluster;
//! a practice adopts a cluster policy or keeps its own; staff acknowledge (or, for an
//! agreement, sign) each new version; the IG lead sees who has not.

use serde::{Deserialize, Serialize};
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::time::now_stamp;
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Role, Steward};
use steward_db::{AnyRow, Row};

use crate::store::{self, StaffMember};

pub const KIND: Kind = Kind::Policy;

pub const DOCUMENT_TYPES: [(&str, &str); 2] = [
    ("policy", "Policy or protocol"),
    ("agreement", "Agreement staff sign"),
];

pub fn origin_label(code: &str) -> &'static str {
    match code {
        "cluster" => "Cluster library",
        "from_cluster" => "Adopted from the cluster library",
        "own" => "The practice's own",
        _ => "",
    }
}

pub fn status_label(code: &str) -> &'static str {
    match code {
        "offered" => "Offered by the DPO, not yet adopted",
        "in_force" => "In force",
        "retired" => "Retired",
        _ => "",
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PolicyInput {
    #[schema(required, pattern = "\\S")]
    pub title: String,
    /// "policy" or "agreement".
    #[schema(required, pattern = "^(policy|agreement)$")]
    pub document_type: String,
    /// Role codes that must acknowledge; empty: everyone.
    #[schema(value_type = Vec<steward_core::roles::Role>)]
    pub applies_to: Vec<String>,
    /// What this first version says about itself (e.g. "First issue").
    pub summary: String,
    #[schema(required, pattern = "\\S")]
    pub body: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct VersionInput {
    /// What changed.
    #[schema(required, pattern = "\\S")]
    pub summary: String,
    #[schema(required, pattern = "\\S")]
    pub body: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicyVersion {
    pub number: i64,
    pub summary: String,
    pub body: String,
    pub published_by: String,
    pub published_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Policy {
    pub id: String,
    pub organisation_id: String,
    pub title: String,
    pub document_type: String,
    pub origin: String,
    pub library_policy_id: Option<String>,
    pub status: String,
    pub applies_to: Vec<String>,
    pub current_version: i64,
    pub version: i64,
}

impl Policy {
    pub fn is_agreement(&self) -> bool {
        self.document_type == "agreement"
    }
    pub fn applies_to_role(&self, role: &str) -> bool {
        self.applies_to.is_empty() || self.applies_to.iter().any(|r| r == role)
    }
    /// "Everyone", or the roles' labels.
    pub fn applies_to_label(&self) -> String {
        if self.applies_to.is_empty() {
            "Everyone".into()
        } else {
            self.applies_to
                .iter()
                .filter_map(|r| Role::parse(r).map(|r| r.label()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "title": self.title,
            "type": self.document_type,
            "status": status_label(&self.status),
            "applies to": self.applies_to_label(),
            "version": self.current_version,
        })
    }
}

/// A policy in a list, with where the caller and the practice stand.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicySummary {
    pub policy: Policy,
    /// The caller has acknowledged the current version (None: it does not apply to them).
    pub acknowledged_by_me: Option<bool>,
    /// People it applies to who have not acknowledged the current version.
    pub outstanding: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AckRow {
    pub person: StaffMember,
    pub acknowledged_at: Option<String>,
}

pub struct Policies<'a> {
    pub steward: &'a Steward,
}

pub fn policies(steward: &Steward) -> Policies<'_> {
    Policies { steward }
}

fn from_row(r: &AnyRow) -> CoreResult<Policy> {
    let applies: String = r.try_get("applies_to")?;
    Ok(Policy {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        title: r.try_get("title")?,
        document_type: r.try_get("document_type")?,
        origin: r.try_get("origin")?,
        library_policy_id: r.try_get("library_policy_id")?,
        status: r.try_get("status")?,
        applies_to: applies
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        current_version: r.try_get("current_version")?,
        version: r.try_get("version")?,
    })
}

impl Policies<'_> {
    async fn load(&self, id: &str) -> CoreResult<Policy> {
        let row = steward_db::query("SELECT * FROM policies WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    async fn load_in(&self, tx: &mut steward_db::Tx<'static>, id: &str) -> CoreResult<Policy> {
        let row = steward_db::query("SELECT * FROM policies WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn policy(&self, permit: &Permit<ops::Read>) -> CoreResult<Policy> {
        self.load(permit.id()).await
    }

    fn check(input: &PolicyInput) -> CoreResult<()> {
        let mut e = FieldErrors::default();
        store::need_text(&input.title, "title", "Enter the title", &mut e);
        if !DOCUMENT_TYPES
            .iter()
            .any(|(c, _)| *c == input.document_type)
        {
            e.add(
                "document_type",
                "Choose whether it is a policy or an agreement",
            );
        }
        for r in &input.applies_to {
            if Role::parse(r).is_none() {
                e.add("applies_to", "Choose the roles from the list");
                break;
            }
        }
        store::need_text(&input.body, "body", "Enter the text of the policy", &mut e);
        e.into_result()
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert(
        &self,
        tx: &mut steward_db::Tx<'static>,
        caller: &Caller,
        organisation_id: &str,
        input: &PolicyInput,
        origin: &str,
        status: &str,
        library: Option<&str>,
    ) -> CoreResult<String> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        steward_db::query(
            "INSERT INTO policies (id, organisation_id, title, document_type, origin, library_policy_id, status, applies_to, current_version, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(input.title.trim())
        .bind(&input.document_type)
        .bind(origin)
        .bind(library)
        .bind(status)
        .bind(input.applies_to.join(","))
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        let summary = if input.summary.trim().is_empty() {
            "First issue"
        } else {
            input.summary.trim()
        };
        Self::add_version(
            tx,
            caller,
            &id,
            organisation_id,
            1,
            summary,
            input.body.trim(),
        )
        .await?;
        let p = self.load_in(tx, &id).await?;
        store::logged(
            tx,
            caller,
            KIND,
            &id,
            organisation_id,
            1,
            &p.snapshot(),
            "record.create",
            p.title.clone(),
        )
        .await?;
        Ok(id)
    }

    async fn add_version(
        tx: &mut steward_db::Tx<'static>,
        caller: &Caller,
        policy_id: &str,
        organisation_id: &str,
        number: i64,
        summary: &str,
        body: &str,
    ) -> CoreResult<()> {
        steward_db::query(
            "INSERT INTO policy_versions (id, policy_id, organisation_id, number, summary, body, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(policy_id)
        .bind(organisation_id)
        .bind(number)
        .bind(summary)
        .bind(body)
        .bind(&caller.user_id)
        .bind(now_stamp())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// A new policy. In the DPO's own organisation it joins the cluster library and is
    /// offered to every practice of the cluster; in a practice it is the practice's own.
    pub async fn create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &PolicyInput,
    ) -> CoreResult<Policy> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        Self::check(input)?;
        let (kind, cluster): (String, String) = {
            let r = steward_db::query("SELECT kind, cluster_id FROM organisations WHERE id = $1")
                .bind(organisation_id)
                .fetch_one(&self.steward.db.pool)
                .await?;
            (r.try_get("kind")?, r.try_get("cluster_id")?)
        };
        let library = kind == "dpo_service";
        let mut practices = vec![];
        if library {
            let rows = steward_db::query("SELECT id FROM organisations WHERE cluster_id = $1 AND kind <> 'dpo_service' ORDER BY name")
                .bind(&cluster)
                .fetch_all(&self.steward.db.pool)
                .await?;
            for r in rows {
                let org: String = r.try_get("id")?;
                // Offered only where the caller may create (the DPO: every practice).
                if self
                    .steward
                    .permit_in(caller, KIND, Op::Create, &org)
                    .is_ok()
                {
                    practices.push(org);
                }
            }
        }
        let mut w = self.steward.write().await?;
        let id = self
            .insert(
                &mut w.tx,
                caller,
                organisation_id,
                input,
                if library { "cluster" } else { "own" },
                "in_force",
                None,
            )
            .await?;
        for org in &practices {
            self.insert(
                &mut w.tx,
                caller,
                org,
                input,
                "from_cluster",
                "offered",
                Some(&id),
            )
            .await?;
        }
        let p = self.load_in(&mut w.tx, &id).await?;
        w.commit().await?;
        Ok(p)
    }

    /// A new version: everyone it applies to acknowledges again. A cluster policy's new
    /// version reaches every practice's copy.
    pub async fn publish_version(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &VersionInput,
    ) -> CoreResult<Policy> {
        let mut e = FieldErrors::default();
        store::need_text(
            &input.summary,
            "summary",
            "Say what changed in this version",
            &mut e,
        );
        store::need_text(&input.body, "body", "Enter the text of the policy", &mut e);
        e.into_result()?;
        let p = self.load(permit.id()).await?;
        if p.origin == "from_cluster" {
            return Err(CoreError::Conflict(
                "This policy comes from the cluster library: the DPO publishes its new versions"
                    .into(),
            ));
        }
        let copies: Vec<(String, String)> = steward_db::query(
            "SELECT id, organisation_id FROM policies WHERE library_policy_id = $1",
        )
        .bind(&p.id)
        .fetch_all(&self.steward.db.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("organisation_id")?)))
        .collect::<CoreResult<_>>()?;
        let mut w = self.steward.write().await?;
        let n = p.current_version + 1;
        for (id, org) in std::iter::once((p.id.clone(), p.organisation_id.clone())).chain(copies) {
            Self::add_version(
                &mut w.tx,
                caller,
                &id,
                &org,
                n,
                input.summary.trim(),
                input.body.trim(),
            )
            .await?;
            steward_db::query("UPDATE policies SET current_version = $1, version = version + 1, updated_at = $2 WHERE id = $3")
                .bind(n)
                .bind(now_stamp())
                .bind(&id)
                .execute(&mut *w.tx)
                .await?;
            let after = self.load_in(&mut w.tx, &id).await?;
            store::logged(
                &mut w.tx,
                caller,
                KIND,
                &id,
                &org,
                after.version,
                &after.snapshot(),
                "record.update",
                format!("version {n}: {}", input.summary.trim()),
            )
            .await?;
        }
        let after = self.load_in(&mut w.tx, &p.id).await?;
        w.commit().await?;
        Ok(after)
    }

    /// The practice adopts a policy the DPO offered.
    pub async fn adopt(&self, caller: &Caller, permit: &Permit<ops::Change>) -> CoreResult<Policy> {
        let p = self.load(permit.id()).await?;
        if p.status != "offered" {
            return Err(CoreError::Conflict(
                "This policy is not waiting to be adopted".into(),
            ));
        }
        let mut w = self.steward.write().await?;
        steward_db::query("UPDATE policies SET status = 'in_force', version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(now_stamp())
            .bind(&p.id)
            .execute(&mut *w.tx)
            .await?;
        let after = self.load_in(&mut w.tx, &p.id).await?;
        store::logged(
            &mut w.tx,
            caller,
            KIND,
            &p.id,
            &p.organisation_id,
            after.version,
            &after.snapshot(),
            "record.update",
            "adopted".into(),
        )
        .await?;
        w.commit().await?;
        Ok(after)
    }

    /// The caller acknowledges (or signs) the current version.
    pub async fn acknowledge(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
    ) -> CoreResult<Policy> {
        debug_assert_eq!(permit.kind(), Kind::PolicyAcknowledgement);
        let p = self.load(permit.id()).await?;
        if p.status != "in_force" {
            return Err(CoreError::Conflict(
                "Only a policy in force is acknowledged".into(),
            ));
        }
        if caller.home_organisation_id != p.organisation_id {
            return Err(CoreError::Conflict(
                "Only the organisation's own staff acknowledge its policies".into(),
            ));
        }
        if !p.applies_to_role(caller.role.as_str()) {
            return Err(CoreError::Conflict(
                "This policy does not apply to your role".into(),
            ));
        }
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO policy_acknowledgements (id, policy_id, organisation_id, version_number, user_id, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (policy_id, version_number, user_id) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&p.id)
        .bind(&p.organisation_id)
        .bind(p.current_version)
        .bind(&caller.user_id)
        .bind(now_stamp())
        .execute(&mut *w.tx)
        .await?;
        let mut t = steward_core::trail::TrailEntry::for_record(
            caller,
            "record.update",
            &p.organisation_id,
            KIND.code(),
            &p.id,
        );
        t.detail = format!(
            "{} version {}",
            if p.is_agreement() {
                "signed"
            } else {
                "acknowledged"
            },
            p.current_version
        );
        steward_core::trail::append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(p)
    }

    pub async fn versions(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<PolicyVersion>> {
        steward_db::query("SELECT v.*, u.display_name AS by_name FROM policy_versions v LEFT JOIN users u ON u.id = v.published_by WHERE v.policy_id = $1 ORDER BY v.number DESC")
            .bind(permit.id())
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(PolicyVersion {
                    number: r.try_get("number")?,
                    summary: r.try_get("summary")?,
                    body: r.try_get("body")?,
                    published_by: r.try_get::<Option<String>, _>("by_name")?.unwrap_or_default(),
                    published_at: r.try_get("published_at")?,
                })
            })
            .collect()
    }

    /// Who it applies to in the practice and whether each has acknowledged the current
    /// version (the IG lead's view of who has not).
    pub async fn acknowledgements(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<AckRow>> {
        let p = self.load(permit.id()).await?;
        self.acks_of(&p).await
    }

    async fn acks_of(&self, p: &Policy) -> CoreResult<Vec<AckRow>> {
        let staff = store::staff(self.steward, &p.organisation_id).await?;
        let done: Vec<(String, String)> = steward_db::query("SELECT user_id, at FROM policy_acknowledgements WHERE policy_id = $1 AND version_number = $2")
            .bind(&p.id)
            .bind(p.current_version)
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("user_id")?, r.try_get("at")?)))
            .collect::<CoreResult<_>>()?;
        Ok(staff
            .into_iter()
            .filter(|s| p.applies_to_role(&s.role))
            .map(|s| AckRow {
                acknowledged_at: done.iter().find(|d| d.0 == s.id).map(|d| d.1.clone()),
                person: s,
            })
            .collect())
    }

    pub(crate) async fn in_force(&self, organisation_id: &str) -> CoreResult<Vec<Policy>> {
        steward_db::query("SELECT * FROM policies WHERE organisation_id = $1 AND status = 'in_force' ORDER BY title")
            .bind(organisation_id)
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Acknowledgements of policies in force, as a percentage of those owed (100 when none
    /// are owed), without asking the gate (callers in this crate ask first).
    pub(crate) async fn acknowledged_percentage(
        &self,
        organisation_id: &str,
    ) -> CoreResult<(i64, i64)> {
        let (mut done, mut owed) = (0, 0);
        for p in self.in_force(organisation_id).await? {
            for a in self.acks_of(&p).await? {
                owed += 1;
                if a.acknowledged_at.is_some() {
                    done += 1;
                }
            }
        }
        Ok((done, owed))
    }

    pub async fn list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<PolicySummary>> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        let all: Vec<Policy> = steward_db::query("SELECT * FROM policies WHERE organisation_id = $1 AND status <> 'retired' ORDER BY status DESC, title")
            .bind(organisation_id)
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(from_row)
            .collect::<CoreResult<_>>()?;
        let mut out = vec![];
        for p in all {
            let acks = if p.status == "in_force" {
                self.acks_of(&p).await?
            } else {
                vec![]
            };
            let mine = (p.status == "in_force"
                && p.applies_to_role(caller.role.as_str())
                && caller.home_organisation_id == organisation_id)
                .then(|| {
                    acks.iter()
                        .any(|a| a.person.id == caller.user_id && a.acknowledged_at.is_some())
                });
            out.push(PolicySummary {
                outstanding: acks.iter().filter(|a| a.acknowledged_at.is_none()).count() as i64,
                acknowledged_by_me: mine,
                policy: p,
            });
        }
        Ok(out)
    }
}
