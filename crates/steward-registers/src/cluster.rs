//! What the DPO keeps for the whole cluster and the practices take from it: the cluster
//! master log (template processing activities a practice adopts, then follows: each change
//! of the template is shown as an update to accept) and sharing projects (a practice joins
//! an approved project, recording who signed and when; its log gains the project's
//! activity; leaving removes it).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_core::gate::{ops, Op, Permit};
use steward_core::records::{diff, FieldChange};
use steward_core::time::{iso_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors};
use steward_db::Row;

use crate::fields::{parse_date, Register};
use crate::store::{dpo_organisation, entry_from_row, kind_of, Entry, Origin, Registers};

/// A master log activity as a practice sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MasterItem {
    pub template: Entry,
    /// The practice's activity that follows it, if adopted.
    pub adopted: Option<String>,
    pub update_waiting: bool,
}

/// A change of a master log activity the practice has not accepted yet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplateUpdate {
    pub activity: Entry,
    pub template: Entry,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Membership {
    pub id: String,
    pub project_id: String,
    pub organisation_id: String,
    pub activity_id: String,
    pub signed_by: String,
    pub signed_on: String,
    pub joined_at: String,
    pub left_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectView {
    pub project: Entry,
    /// The practice's current part in it.
    pub membership: Option<Membership>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct JoinInput {
    /// Who signed the project's documents for the practice (name and role).
    pub signed_by: String,
    /// When they signed, YYYY-MM-DD (or 31/03/2027).
    pub signed_on: String,
}

fn membership_from(r: &steward_db::AnyRow) -> CoreResult<Membership> {
    Ok(Membership {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        organisation_id: r.try_get("organisation_id")?,
        activity_id: r.try_get("activity_id")?,
        signed_by: r.try_get("signed_by")?,
        signed_on: r.try_get("signed_on")?,
        joined_at: r.try_get("joined_at")?,
        left_at: r.try_get("left_at")?,
    })
}

/// Values a practice keeps for itself when it accepts a template's update.
const LOCAL_FIELDS: [&str; 1] = ["systems"];

/// Values a practice keeps when it has set them itself (its own DPIA of the activity);
/// otherwise the template's (the DPO service's DPIA) apply.
const LOCAL_WHEN_SET: [&str; 1] = ["dpia_id"];

impl Registers<'_> {
    async fn dpo_of(&self, organisation_id: &str) -> CoreResult<String> {
        dpo_organisation(self.steward, organisation_id)
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// The cluster's master log, with what this organisation adopted.
    pub async fn master_log(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<MasterItem>> {
        self.steward.permit_in(
            caller,
            kind_of(Register::Processing),
            Op::List,
            organisation_id,
        )?;
        let dpo = self.dpo_of(organisation_id).await?;
        let templates = self.all(&dpo, Register::Templates).await?;
        let mine = self.all(organisation_id, Register::Processing).await?;
        Ok(templates
            .into_iter()
            .map(|t| {
                let adopted = mine
                    .iter()
                    .find(|a| a.template_id.as_deref() == Some(&t.id) && a.project_id.is_none());
                MasterItem {
                    update_waiting: adopted
                        .is_some_and(|a| a.template_version.unwrap_or(0) < t.version),
                    adopted: adopted.map(|a| a.id.clone()),
                    template: t,
                }
            })
            .collect())
    }

    /// Adds a master log activity to the organisation's log; it then follows the template.
    pub async fn adopt(
        &self,
        caller: &Caller,
        organisation_id: &str,
        template_id: &str,
    ) -> CoreResult<Entry> {
        self.steward.permit_in(
            caller,
            kind_of(Register::Processing),
            Op::Create,
            organisation_id,
        )?;
        let dpo = self.dpo_of(organisation_id).await?;
        let t = self.load(Register::Templates, template_id).await?;
        if t.organisation_id != dpo {
            return Err(CoreError::NotFound);
        }
        let already: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM processing_activities WHERE organisation_id = $1 AND template_id = $2 AND project_id IS NULL AND removed_at IS NULL",
        )
        .bind(organisation_id)
        .bind(template_id)
        .fetch_one(&self.steward.db.pool)
        .await?;
        if already > 0 {
            return Err(CoreError::Conflict(format!(
                "\"{}\" is already in this organisation's log",
                t.name
            )));
        }
        let mut values = t.values.clone();
        for f in LOCAL_FIELDS {
            values.insert(f.into(), String::new());
        }
        let mut w = self.steward.write().await?;
        let e = self
            .insert(
                &mut w.tx,
                caller,
                organisation_id,
                Register::Processing,
                &values,
                &Origin {
                    template_id: Some(t.id.clone()),
                    template_version: Some(t.version),
                    project_id: None,
                },
            )
            .await?;
        w.commit().await?;
        Ok(e)
    }

    /// Changes to master log activities this organisation follows, not yet accepted.
    pub async fn template_updates(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<TemplateUpdate>> {
        self.steward.permit_in(
            caller,
            kind_of(Register::Processing),
            Op::List,
            organisation_id,
        )?;
        let mut out = Vec::new();
        for a in self.all(organisation_id, Register::Processing).await? {
            let Some(tid) = &a.template_id else { continue };
            let Ok(t) = self.load(Register::Templates, tid).await else {
                continue;
            };
            if a.template_version.unwrap_or(0) < t.version {
                out.push(self.update_of(a, t).await?);
            }
        }
        Ok(out)
    }

    async fn update_of(&self, activity: Entry, template: Entry) -> CoreResult<TemplateUpdate> {
        let mut theirs = template.clone();
        for f in LOCAL_FIELDS {
            theirs
                .values
                .insert(f.into(), activity.value(f).to_string());
        }
        for f in LOCAL_WHEN_SET
            .iter()
            .filter(|f| !activity.value(f).is_empty())
        {
            theirs
                .values
                .insert(f.to_string(), activity.value(f).to_string());
        }
        let changes = diff(
            &self.snapshot(&activity).await?,
            &self.snapshot(&theirs).await?,
        );
        Ok(TemplateUpdate {
            activity,
            template,
            changes,
        })
    }

    /// The update waiting for one activity, if any.
    pub async fn template_update(
        &self,
        permit: &Permit<ops::Read>,
    ) -> CoreResult<Option<TemplateUpdate>> {
        let a = self.entry(permit, Register::Processing).await?;
        let Some(tid) = a.template_id.clone() else {
            return Ok(None);
        };
        let t = self.load(Register::Templates, &tid).await?;
        if a.template_version.unwrap_or(0) < t.version {
            Ok(Some(self.update_of(a, t).await?))
        } else {
            Ok(None)
        }
    }

    /// Accepts the template's current version into the practice's activity.
    pub async fn accept_update(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
    ) -> CoreResult<Entry> {
        let mut w = self.steward.write().await?;
        let a = self
            .load_in(&mut w.tx, Register::Processing, permit.id())
            .await?;
        if permit.kind() != kind_of(Register::Processing) {
            return Err(CoreError::NotFound);
        }
        let tid = a.template_id.clone().ok_or_else(|| {
            CoreError::Conflict("This activity does not follow the master log".into())
        })?;
        let t = self.load_in(&mut w.tx, Register::Templates, &tid).await?;
        if a.template_version.unwrap_or(0) >= t.version {
            return Err(CoreError::Conflict("There is no update to accept".into()));
        }
        let mut values: BTreeMap<String, String> = t.values.clone();
        for f in LOCAL_FIELDS {
            values.insert(f.into(), a.value(f).to_string());
        }
        for f in LOCAL_WHEN_SET.iter().filter(|f| !a.value(f).is_empty()) {
            values.insert(f.to_string(), a.value(f).to_string());
        }
        let e = self
            .update_in(&mut w.tx, caller, &a, &values, Some(t.version), "")
            .await?;
        w.commit().await?;
        Ok(e)
    }

    /// The cluster's sharing projects as a practice sees them, with its part in each.
    pub async fn projects_for(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<ProjectView>> {
        self.steward.permit_in(
            caller,
            kind_of(Register::Processing),
            Op::List,
            organisation_id,
        )?;
        let dpo = self.dpo_of(organisation_id).await?;
        let mut out = Vec::new();
        for p in self.all(&dpo, Register::Projects).await? {
            let membership = self.membership(organisation_id, &p.id).await?;
            out.push(ProjectView {
                project: p,
                membership,
            });
        }
        Ok(out)
    }

    pub async fn membership(
        &self,
        organisation_id: &str,
        project_id: &str,
    ) -> CoreResult<Option<Membership>> {
        steward_db::query(
            "SELECT * FROM project_memberships WHERE organisation_id = $1 AND project_id = $2 AND left_at IS NULL",
        )
        .bind(organisation_id)
        .bind(project_id)
        .fetch_optional(&self.steward.db.pool)
        .await?
        .map(|r| membership_from(&r))
        .transpose()
    }

    /// The projects an organisation takes part in now.
    pub async fn joined_projects(&self, organisation_id: &str) -> CoreResult<Vec<Entry>> {
        let rows = steward_db::query(
            "SELECT p.* FROM sharing_projects p JOIN project_memberships m ON m.project_id = p.id WHERE m.organisation_id = $1 AND m.left_at IS NULL ORDER BY p.reference",
        )
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| entry_from_row(Register::Projects.def(), r))
            .collect()
    }

    /// Joins an approved project: who signed and when, and the project's activity added to
    /// the organisation's log. A pending or withdrawn project cannot be joined.
    pub async fn join(
        &self,
        caller: &Caller,
        organisation_id: &str,
        project_id: &str,
        input: &JoinInput,
        today: NaiveDate,
    ) -> CoreResult<Membership> {
        self.steward.permit_in(
            caller,
            kind_of(Register::Processing),
            Op::Create,
            organisation_id,
        )?;
        let dpo = self.dpo_of(organisation_id).await?;
        let p = self.load(Register::Projects, project_id).await?;
        if p.organisation_id != dpo {
            return Err(CoreError::NotFound);
        }
        match p.value("status") {
            "approved" => {}
            "pending" => {
                return Err(CoreError::Conflict(format!(
                    "\"{}\" is pending: it cannot be joined until the DPO approves it",
                    p.name
                )))
            }
            _ => {
                return Err(CoreError::Conflict(format!(
                    "\"{}\" has been withdrawn and cannot be joined",
                    p.name
                )))
            }
        }
        let mut e = FieldErrors::default();
        if input.signed_by.trim().is_empty() {
            e.add("signed_by", "Enter who signed the project's documents");
        }
        let signed_on = parse_date(&input.signed_on);
        match signed_on {
            None if input.signed_on.trim().is_empty() => {
                e.add("signed_on", "Enter the date they signed")
            }
            None => e.add(
                "signed_on",
                "The date they signed must be a real date, for example 31 3 2026",
            ),
            Some(d) if d > today => e.add(
                "signed_on",
                "The date they signed must be today or in the past",
            ),
            _ => {}
        }
        e.into_result()?;
        if self
            .membership(organisation_id, project_id)
            .await?
            .is_some()
        {
            return Err(CoreError::Conflict(format!(
                "This organisation has already joined \"{}\"",
                p.name
            )));
        }
        let t = self
            .load(Register::Templates, p.value("activity_template"))
            .await?;
        let mut values = t.values.clone();
        for f in LOCAL_FIELDS {
            values.insert(f.into(), String::new());
        }
        if values
            .get("recipient_partners")
            .is_none_or(|v| v.is_empty())
        {
            values.insert("recipient_partners".into(), p.value("partners").to_string());
        }
        let mut w = self.steward.write().await?;
        let activity = self
            .insert(
                &mut w.tx,
                caller,
                organisation_id,
                Register::Processing,
                &values,
                &Origin {
                    template_id: Some(t.id.clone()),
                    template_version: Some(t.version),
                    project_id: Some(p.id.clone()),
                },
            )
            .await?;
        let id = uuid::Uuid::new_v4().to_string();
        steward_db::query(
            "INSERT INTO project_memberships (id, project_id, organisation_id, activity_id, signed_by, signed_on, joined_by, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&p.id)
        .bind(organisation_id)
        .bind(&activity.id)
        .bind(input.signed_by.trim())
        .bind(iso_date(signed_on.expect("checked")))
        .bind(&caller.user_id)
        .bind(now_stamp())
        .execute(&mut *w.tx)
        .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "project.join",
            organisation_id,
            p.register.def().kind,
            &p.id,
        );
        t.detail = format!("joined {} (signed by {})", p.name, input.signed_by.trim());
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        self.membership(organisation_id, project_id)
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// Leaves a project: the project's activity is removed from the log (kept in history).
    pub async fn leave(
        &self,
        caller: &Caller,
        organisation_id: &str,
        project_id: &str,
    ) -> CoreResult<()> {
        self.steward.permit_in(
            caller,
            kind_of(Register::Processing),
            Op::Create,
            organisation_id,
        )?;
        let m = self
            .membership(organisation_id, project_id)
            .await?
            .ok_or_else(|| {
                CoreError::Conflict("This organisation is not part of that project".into())
            })?;
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "UPDATE project_memberships SET left_at = $1, left_by = $2 WHERE id = $3",
        )
        .bind(&now)
        .bind(&caller.user_id)
        .bind(&m.id)
        .execute(&mut *w.tx)
        .await?;
        steward_db::query("UPDATE processing_activities SET removed_at = $1, version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(&m.activity_id)
            .execute(&mut *w.tx)
            .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "project.leave",
            organisation_id,
            Register::Projects.def().kind,
            project_id,
        );
        t.detail = "left the project; its processing activity was removed from the log".into();
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(())
    }
}
