//! Cluster DPIAs (`Kind::DpiaAdoption`): a DPIA the DPO writes once for the cluster, held by
//! the DPO service, is offered to practices once approved; each practice reads the approved
//! version (not the DPO service's working copy) and records its own sign-off, or declines it
//! with the reason. The offer names the version, so a later version is offered again.

use serde::{Deserialize, Serialize};
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::records::record_version;
use steward_core::time::now_stamp;
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors};
use steward_db::{AnyRow, Row};

use crate::model::Content;
use crate::service::Dpias;

pub const ADOPTION: Kind = Kind::DpiaAdoption;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Adoption {
    pub id: String,
    /// The practice.
    pub organisation_id: String,
    pub organisation_name: String,
    pub dpia_id: String,
    pub dpia_reference: String,
    pub title: String,
    /// The approved version offered.
    pub dpia_version: i64,
    /// offered, adopted, declined
    pub status: String,
    pub status_label: String,
    pub offered_by: String,
    pub offered_at: String,
    /// Who signed it off for the practice, with their role, in words.
    pub signed_off_by: String,
    pub decided_by: String,
    pub decided_at: Option<String>,
    /// Why it was declined, or a note with the adoption.
    pub note: String,
    pub version: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OfferInput {
    /// The practices (organisation ids) the approved cluster DPIA is offered to.
    #[schema(required, min_items = 1)]
    pub organisations: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AdoptionDecision {
    /// adopt or decline
    pub decision: String,
    /// Who signed it off for the practice, with their role (required to adopt).
    pub signed_off_by: String,
    /// Why the practice declines it (required to decline), or a note.
    pub note: String,
}

pub fn status_label(status: &str) -> &'static str {
    match status {
        "offered" => "Waiting for the practice",
        "adopted" => "Adopted",
        "declined" => "Declined",
        _ => "Unknown",
    }
}

const SELECT: &str = "SELECT a.*, o.name AS organisation_name, d.reference AS dpia_reference, d.title AS title, ob.display_name AS offered_by_name, db.display_name AS decided_by_name FROM dpia_adoptions a JOIN organisations o ON o.id = a.organisation_id JOIN dpias d ON d.id = a.dpia_id LEFT JOIN users ob ON ob.id = a.offered_by LEFT JOIN users db ON db.id = a.decided_by";

fn from_row(r: &AnyRow) -> CoreResult<Adoption> {
    let status: String = r.try_get("status")?;
    Ok(Adoption {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        dpia_id: r.try_get("dpia_id")?,
        dpia_reference: r.try_get("dpia_reference")?,
        title: r.try_get("title")?,
        dpia_version: r.try_get("dpia_version")?,
        status_label: status_label(&status).into(),
        status,
        offered_by: r
            .try_get::<Option<String>, _>("offered_by_name")?
            .unwrap_or_default(),
        offered_at: r.try_get("offered_at")?,
        signed_off_by: r.try_get("signed_off_by")?,
        decided_by: r
            .try_get::<Option<String>, _>("decided_by_name")?
            .unwrap_or_default(),
        decided_at: r.try_get("decided_at")?,
        note: r.try_get("note")?,
        version: r.try_get("version")?,
    })
}

fn invalid(field: &str, message: &str) -> CoreError {
    let mut e = FieldErrors::default();
    e.add(field, message);
    CoreError::Invalid(e)
}

impl Dpias<'_> {
    /// The DPO offers the approved version of a cluster DPIA to practices. Each practice is
    /// checked with the gate (`DpiaAdoption`, create); a practice already offered this
    /// version is left as it is. Nothing is written unless every practice may be offered it.
    pub async fn offer(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Read>,
        input: &OfferInput,
    ) -> CoreResult<Vec<Adoption>> {
        let d = self.get(permit).await?;
        if !d.cluster_dpia {
            return Err(CoreError::Conflict(
                "Only a DPIA the DPO service holds for the cluster can be offered to practices"
                    .into(),
            ));
        }
        if !matches!(d.status.as_str(), "approved" | "under_review") || d.approved_at.is_none() {
            return Err(CoreError::Conflict(
                "Only an approved DPIA can be offered to practices: approve it first".into(),
            ));
        }
        let mut orgs: Vec<String> = input
            .organisations
            .iter()
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect();
        orgs.sort();
        orgs.dedup();
        if orgs.is_empty() {
            return Err(invalid("organisations", "Choose at least one practice"));
        }
        for o in &orgs {
            if *o == d.organisation_id {
                return Err(invalid(
                    "organisations",
                    "The DPO service holds the DPIA: choose the practices to offer it to",
                ));
            }
            self.steward.permit_in(caller, ADOPTION, Op::Create, o)?;
        }
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        for o in &orgs {
            let exists: i64 = steward_db::query_scalar(
                "SELECT COUNT(*) FROM dpia_adoptions WHERE dpia_id = $1 AND dpia_version = $2 AND organisation_id = $3",
            )
            .bind(&d.id)
            .bind(d.version_number)
            .bind(o)
            .fetch_one(&mut *w.tx)
            .await?;
            if exists > 0 {
                continue;
            }
            let id = uuid::Uuid::new_v4().to_string();
            steward_db::query(
                "INSERT INTO dpia_adoptions (id, organisation_id, dpia_id, dpia_version, status, offered_by, offered_at, signed_off_by, decided_by, decided_at, note, created_at, updated_at, version) VALUES ($1, $2, $3, $4, 'offered', $5, $6, '', NULL, NULL, '', $6, $6, 1)",
            )
            .bind(&id)
            .bind(o)
            .bind(&d.id)
            .bind(d.version_number)
            .bind(&caller.user_id)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
            record_version(
                &mut w.tx,
                caller,
                ADOPTION.code(),
                &id,
                o,
                1,
                &serde_json::json!({"dpia": d.reference, "version": d.version_number, "status": status_label("offered")}),
            )
            .await?;
            let mut t = TrailEntry::for_record(caller, "record.create", o, ADOPTION.code(), &id);
            t.detail = format!("{} {} offered", d.reference, d.title);
            append(&mut w.tx, &t).await?;
        }
        w.commit().await?;
        self.offers_of(&d.id).await
    }

    /// Every offer of a cluster DPIA, for the DPO's page of it.
    pub async fn offers(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<Adoption>> {
        self.offers_of(permit.id()).await
    }

    async fn offers_of(&self, dpia_id: &str) -> CoreResult<Vec<Adoption>> {
        let rows = steward_db::query(&format!(
            "{SELECT} WHERE a.dpia_id = $1 ORDER BY a.dpia_version DESC, o.name"
        ))
        .bind(dpia_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The cluster DPIAs offered to an organisation.
    pub async fn adoptions(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<Adoption>> {
        self.steward
            .permit_in(caller, ADOPTION, Op::List, organisation_id)?;
        let rows = steward_db::query(&format!(
            "{SELECT} WHERE a.organisation_id = $1 ORDER BY a.offered_at DESC LIMIT 500"
        ))
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    async fn load_adoption(&self, id: &str) -> CoreResult<Adoption> {
        let row = steward_db::query(&format!("{SELECT} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    /// An offer and the approved version it offers, as the practice reads it. The permit on
    /// the offer is what lets the practice read the DPO service's approved version.
    pub async fn adoption(&self, permit: &Permit<ops::Read>) -> CoreResult<(Adoption, Content)> {
        let a = self.load_adoption(permit.id()).await?;
        let s: String = steward_db::query_scalar(
            "SELECT content FROM dpia_versions WHERE dpia_id = $1 AND version_number = $2",
        )
        .bind(&a.dpia_id)
        .bind(a.dpia_version)
        .fetch_optional(&self.steward.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        let c = serde_json::from_str(&s)
            .map_err(|e| CoreError::Internal(format!("stored version: {e}")))?;
        Ok((a, c))
    }

    /// The practice's sign-off: adopt (with who signed it off) or decline (with why).
    pub async fn decide_adoption(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &AdoptionDecision,
    ) -> CoreResult<Adoption> {
        let a = self.load_adoption(permit.id()).await?;
        let signed = input.signed_off_by.trim();
        let note = input.note.trim();
        let mut e = FieldErrors::default();
        match input.decision.as_str() {
            "adopt" if signed.is_empty() => e.add(
                "signed_off_by",
                "Say who signed the DPIA off for the practice, with their role",
            ),
            "decline" if note.is_empty() => {
                e.add("note", "Say why the practice does not adopt the DPIA")
            }
            "adopt" | "decline" => {}
            _ => e.add("decision", "Choose whether the practice adopts the DPIA"),
        }
        if !e.0.is_empty() {
            return Err(CoreError::Invalid(e));
        }
        if a.status != "offered" {
            return Err(CoreError::Conflict(format!(
                "The practice has already {} this DPIA",
                if a.status == "adopted" {
                    "adopted"
                } else {
                    "declined"
                }
            )));
        }
        let status = if input.decision == "adopt" {
            "adopted"
        } else {
            "declined"
        };
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        let n = steward_db::query(
            "UPDATE dpia_adoptions SET status = $1, signed_off_by = $2, note = $3, decided_by = $4, decided_at = $5, updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(status)
        .bind(signed)
        .bind(note)
        .bind(&caller.user_id)
        .bind(&now)
        .bind(&a.id)
        .bind(a.version)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CoreError::Conflict(
                "Someone else recorded a decision at the same time: look again".into(),
            ));
        }
        record_version(
            &mut w.tx,
            caller,
            ADOPTION.code(),
            &a.id,
            &a.organisation_id,
            a.version + 1,
            &serde_json::json!({"dpia": a.dpia_reference, "version": a.dpia_version, "status": status_label(status), "signed_off_by": signed, "note": note}),
        )
        .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "record.change",
            &a.organisation_id,
            ADOPTION.code(),
            &a.id,
        );
        t.detail = format!(
            "{} {}",
            a.dpia_reference,
            status_label(status).to_lowercase()
        );
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        self.load_adoption(&a.id).await
    }
}

impl Dpias<'_> {
    /// The approved version an offer names, as a PDF for the practice's records.
    pub fn adoption_pdf(&self, a: &Adoption, c: &Content, held_by: &str) -> CoreResult<Vec<u8>> {
        let h = crate::export::Header {
            organisation: held_by.to_string(),
            reference: a.dpia_reference.clone(),
            status: "Approved (cluster DPIA)".into(),
            version: format!("Version {}", a.dpia_version),
        };
        steward_documents::write_pdf(&crate::export::document(self.rules, &h, c))
            .map_err(|e| CoreError::Internal(e.to_string()))
    }

    /// The name of the organisation that holds the cluster DPIA (the DPO service).
    pub async fn held_by(&self, a: &Adoption) -> CoreResult<String> {
        Ok(steward_db::query_scalar(
            "SELECT o.name FROM dpias d JOIN organisations o ON o.id = d.organisation_id WHERE d.id = $1",
        )
        .bind(&a.dpia_id)
        .fetch_one(&self.steward.db.pool)
        .await?)
    }
}
