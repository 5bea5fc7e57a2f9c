//! Records management over Steward's storage (feature `service`): periodic records
//! management reviews run as a round of actions (one per record type reviewed, linked to the
//! review), and the destruction log, each entry with its certificate of destruction attached.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_core::actions::ActionInput;
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::time::{iso_date, now_stamp};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row};

use crate::{rules, store, Rules};

pub const REVIEW: Kind = Kind::RetentionReview;
pub const DESTRUCTION: Kind = Kind::Destruction;

pub const METHODS: [(&str, &str); 4] = [
    ("shredded_on_site", "Cross-cut shredded on site"),
    ("confidential_waste", "Confidential waste contractor"),
    ("secure_deletion", "Secure deletion of electronic records"),
    ("incineration", "Incineration"),
];

pub fn method_label(code: &str) -> &'static str {
    METHODS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReviewInput {
    #[schema(required, pattern = "\\S")]
    pub title: String,
    /// Schedule row codes to review.
    #[schema(required, min_items = 1)]
    pub record_types: Vec<String>,
    /// Who owns the review and its actions.
    #[schema(required, pattern = "\\S")]
    pub owner_id: String,
    /// YYYY-MM-DD
    #[schema(required, format = Date)]
    pub due_on: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = ReviewCompleteInput)]
pub struct CompleteInput {
    #[schema(required, pattern = "\\S")]
    pub findings: String,
    /// YYYY-MM-DD
    #[schema(required, format = Date)]
    pub completed_on: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Review {
    pub id: String,
    pub organisation_id: String,
    pub title: String,
    pub record_types: Vec<String>,
    pub record_type_labels: Vec<String>,
    pub owner_id: String,
    pub owner_name: String,
    pub due_on: NaiveDate,
    pub status: String,
    pub findings: String,
    pub completed_on: Option<NaiveDate>,
    pub version: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DestructionInput {
    /// A schedule row code (an enum in the document).
    #[schema(required)]
    pub record_type: String,
    #[schema(required, pattern = "\\S")]
    pub description: String,
    #[schema(required, pattern = "\\S")]
    pub quantity: String,
    /// A method code (an enum in the document).
    #[schema(required)]
    pub method: String,
    /// YYYY-MM-DD, not in the future.
    #[schema(required, format = Date)]
    pub destroyed_on: String,
    /// The contractor or person who destroyed them.
    #[schema(required, pattern = "\\S")]
    pub destroyed_by: String,
    /// Who authorised it (a user of the organisation).
    #[schema(required, pattern = "\\S")]
    pub authorised_by: String,
    /// The certificate's number (the certificate itself is attached).
    pub certificate: String,
    pub review_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Destruction {
    pub id: String,
    pub organisation_id: String,
    pub reference: String,
    pub record_type: String,
    pub record_type_label: String,
    pub description: String,
    pub quantity: String,
    pub method: String,
    pub method_label: String,
    pub destroyed_on: NaiveDate,
    pub destroyed_by: String,
    pub authorised_by: String,
    pub authorised_by_name: String,
    pub certificate: String,
    pub review_id: Option<String>,
    /// Certificates attached.
    pub attachments: i64,
    pub version: i64,
}

pub struct RecordsManagement<'a> {
    pub steward: &'a Steward,
    pub rules: Arc<Rules>,
}

pub fn records(steward: &Steward) -> RecordsManagement<'_> {
    RecordsManagement {
        steward,
        rules: rules(steward),
    }
}

const REVIEW_SELECT: &str = "SELECT r.*, u.display_name AS owner_name FROM retention_reviews r JOIN users u ON u.id = r.owner_id";
const DESTRUCTION_SELECT: &str = "SELECT d.*, u.display_name AS authorised_by_name, (SELECT COUNT(*) FROM attachments a WHERE a.record_type = 'destruction' AND a.record_id = d.id) AS attachments FROM destructions d JOIN users u ON u.id = d.authorised_by";

impl RecordsManagement<'_> {
    fn label(&self, code: &str) -> String {
        self.rules
            .schedule
            .get(code)
            .map(|r| r.label.clone())
            .unwrap_or_else(|| code.to_string())
    }

    fn review_from(&self, r: &AnyRow) -> CoreResult<Review> {
        let types: String = r.try_get("record_types")?;
        let record_types: Vec<String> = types
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        Ok(Review {
            id: r.try_get("id")?,
            organisation_id: r.try_get("organisation_id")?,
            title: r.try_get("title")?,
            record_type_labels: record_types.iter().map(|c| self.label(c)).collect(),
            record_types,
            owner_id: r.try_get("owner_id")?,
            owner_name: r.try_get("owner_name")?,
            due_on: store::date(r, "due_on")?,
            status: r.try_get("status")?,
            findings: r.try_get("findings")?,
            completed_on: store::opt_date(r, "completed_on")?,
            version: r.try_get("version")?,
        })
    }

    fn destruction_from(&self, r: &AnyRow) -> CoreResult<Destruction> {
        let rt: String = r.try_get("record_type")?;
        let m: String = r.try_get("method")?;
        Ok(Destruction {
            id: r.try_get("id")?,
            organisation_id: r.try_get("organisation_id")?,
            reference: r.try_get("reference")?,
            record_type_label: self.label(&rt),
            record_type: rt,
            description: r.try_get("description")?,
            quantity: r.try_get("quantity")?,
            method_label: method_label(&m).to_string(),
            method: m,
            destroyed_on: store::date(r, "destroyed_on")?,
            destroyed_by: r.try_get("destroyed_by")?,
            authorised_by: r.try_get("authorised_by")?,
            authorised_by_name: r.try_get("authorised_by_name")?,
            certificate: r.try_get("certificate")?,
            review_id: r.try_get("review_id")?,
            attachments: r.try_get("attachments")?,
            version: r.try_get("version")?,
        })
    }

    async fn people(&self, org: &str) -> CoreResult<Vec<String>> {
        Ok(store::staff(self.steward, org)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect())
    }

    /// A review and its round of actions, one per record type, owned by the review's owner.
    pub async fn create_review(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &ReviewInput,
    ) -> CoreResult<Review> {
        self.steward
            .permit_in(caller, REVIEW, Op::Create, organisation_id)?;
        let mut e = FieldErrors::default();
        store::need_text(
            &input.title,
            "title",
            "Enter a title for the review",
            &mut e,
        );
        if input.record_types.is_empty() {
            e.add(
                "record_types",
                "Choose at least one type of record to review",
            );
        } else if input
            .record_types
            .iter()
            .any(|c| self.rules.schedule.get(c).is_none())
        {
            e.add("record_types", "Choose the types of record from the list");
        }
        if !self
            .people(organisation_id)
            .await?
            .contains(&input.owner_id)
        {
            e.add("owner_id", "Choose who leads the review");
        }
        let due = store::need_date(
            &input.due_on,
            "due_on",
            "the date the review is due",
            &mut e,
        );
        e.into_result()?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO retention_reviews (id, organisation_id, title, record_types, owner_id, due_on, status, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(input.title.trim())
        .bind(input.record_types.join(","))
        .bind(&input.owner_id)
        .bind(iso_date(due.expect("checked")))
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        let review = self.review_in(&mut w.tx, &id).await?;
        store::logged(
            &mut w.tx,
            caller,
            REVIEW,
            &id,
            organisation_id,
            1,
            &review_snapshot(&review),
            "record.create",
            review.title.clone(),
        )
        .await?;
        w.commit().await?;
        for code in &review.record_types {
            let row = self.rules.schedule.get(code).expect("checked");
            self.steward
                .create_action(
                    caller,
                    organisation_id,
                    &ActionInput {
                        title: format!("Review {}: {}", row.label.to_lowercase(), review.title),
                        description: format!(
                            "Find the {} past their minimum retention ({}, from {}). {} Record what is destroyed in the destruction log with its certificate.",
                            row.label.to_lowercase(),
                            row.period(),
                            row.start.to_lowercase(),
                            row.action
                        ),
                        owner_id: review.owner_id.clone(),
                        due_date: iso_date(review.due_on),
                        status: None,
                        source_record_type: Some(REVIEW.code().into()),
                        source_record_id: Some(id.clone()),
                    },
                )
                .await?;
        }
        Ok(review)
    }

    async fn review_in(&self, tx: &mut steward_db::Tx<'static>, id: &str) -> CoreResult<Review> {
        let row = steward_db::query(&format!("{REVIEW_SELECT} WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        self.review_from(&row)
    }

    pub async fn review(&self, permit: &Permit<ops::Read>) -> CoreResult<Review> {
        let row = steward_db::query(&format!("{REVIEW_SELECT} WHERE r.id = $1"))
            .bind(permit.id())
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        self.review_from(&row)
    }

    pub async fn complete_review(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &CompleteInput,
    ) -> CoreResult<Review> {
        let mut e = FieldErrors::default();
        store::need_text(
            &input.findings,
            "findings",
            "Record what the review found",
            &mut e,
        );
        let done = store::need_date(
            &input.completed_on,
            "completed_on",
            "the date the review was completed",
            &mut e,
        );
        e.into_result()?;
        let mut w = self.steward.write().await?;
        let before = self.review_in(&mut w.tx, permit.id()).await?;
        if before.status == "completed" {
            return Err(CoreError::Conflict(
                "The review is already completed".into(),
            ));
        }
        steward_db::query("UPDATE retention_reviews SET status = 'completed', findings = $1, completed_on = $2, version = version + 1, updated_at = $3 WHERE id = $4")
            .bind(input.findings.trim())
            .bind(iso_date(done.expect("checked")))
            .bind(now_stamp())
            .bind(permit.id())
            .execute(&mut *w.tx)
            .await?;
        let after = self.review_in(&mut w.tx, permit.id()).await?;
        store::logged(
            &mut w.tx,
            caller,
            REVIEW,
            permit.id(),
            permit.organisation_id(),
            after.version,
            &review_snapshot(&after),
            "record.update",
            "completed".into(),
        )
        .await?;
        w.commit().await?;
        Ok(after)
    }

    pub async fn reviews(&self, caller: &Caller, organisation_id: &str) -> CoreResult<Vec<Review>> {
        self.steward
            .permit_in(caller, REVIEW, Op::List, organisation_id)?;
        steward_db::query(&format!(
            "{REVIEW_SELECT} WHERE r.organisation_id = $1 ORDER BY r.due_on DESC"
        ))
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?
        .iter()
        .map(|r| self.review_from(r))
        .collect()
    }

    pub async fn record_destruction(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &DestructionInput,
        today: NaiveDate,
    ) -> CoreResult<Destruction> {
        self.steward
            .permit_in(caller, DESTRUCTION, Op::Create, organisation_id)?;
        let mut e = FieldErrors::default();
        if self.rules.schedule.get(&input.record_type).is_none() {
            e.add("record_type", "Choose the type of record");
        }
        store::need_text(
            &input.description,
            "description",
            "Describe what was destroyed",
            &mut e,
        );
        store::need_text(
            &input.quantity,
            "quantity",
            "Enter how many (for example, 3 boxes)",
            &mut e,
        );
        if method_label(&input.method).is_empty() {
            e.add("method", "Choose how they were destroyed");
        }
        let on = store::need_date(
            &input.destroyed_on,
            "destroyed_on",
            "the date they were destroyed",
            &mut e,
        );
        if on.is_some_and(|d| d > today) {
            e.add(
                "destroyed_on",
                "The date they were destroyed cannot be in the future",
            );
        }
        store::need_text(
            &input.destroyed_by,
            "destroyed_by",
            "Enter who destroyed them",
            &mut e,
        );
        if !self
            .people(organisation_id)
            .await?
            .contains(&input.authorised_by)
        {
            e.add("authorised_by", "Choose who authorised the destruction");
        }
        let review = input.review_id.clone().filter(|r| !r.is_empty());
        if let Some(r) = &review {
            let _: Permit<ops::Read> = self.steward.permit(caller, REVIEW, r).await?;
        }
        e.into_result()?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        let n: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM destructions WHERE organisation_id = $1",
        )
        .bind(organisation_id)
        .fetch_one(&mut *w.tx)
        .await?;
        let reference = format!("DST-{:04}", n + 1);
        steward_db::query(
            "INSERT INTO destructions (id, organisation_id, reference, record_type, description, quantity, method, destroyed_on, destroyed_by, authorised_by, certificate, review_id, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(&reference)
        .bind(&input.record_type)
        .bind(input.description.trim())
        .bind(input.quantity.trim())
        .bind(&input.method)
        .bind(iso_date(on.expect("checked")))
        .bind(input.destroyed_by.trim())
        .bind(&input.authorised_by)
        .bind(input.certificate.trim())
        .bind(review)
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        let d = self.destruction_in(&mut w.tx, &id).await?;
        store::logged(
            &mut w.tx,
            caller,
            DESTRUCTION,
            &id,
            organisation_id,
            1,
            &destruction_snapshot(&d),
            "record.create",
            reference,
        )
        .await?;
        w.commit().await?;
        Ok(d)
    }

    async fn destruction_in(
        &self,
        tx: &mut steward_db::Tx<'static>,
        id: &str,
    ) -> CoreResult<Destruction> {
        let row = steward_db::query(&format!("{DESTRUCTION_SELECT} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        self.destruction_from(&row)
    }

    pub async fn destruction(&self, permit: &Permit<ops::Read>) -> CoreResult<Destruction> {
        let row = steward_db::query(&format!("{DESTRUCTION_SELECT} WHERE d.id = $1"))
            .bind(permit.id())
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        self.destruction_from(&row)
    }

    pub async fn destructions(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<Destruction>> {
        self.steward
            .permit_in(caller, DESTRUCTION, Op::List, organisation_id)?;
        steward_db::query(&format!("{DESTRUCTION_SELECT} WHERE d.organisation_id = $1 ORDER BY d.destroyed_on DESC, d.reference DESC"))
            .bind(organisation_id)
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(|r| self.destruction_from(r))
            .collect()
    }
}

fn review_snapshot(r: &Review) -> serde_json::Value {
    serde_json::json!({
        "title": r.title,
        "record types": r.record_type_labels.join(", "),
        "owner": r.owner_name,
        "due": iso_date(r.due_on),
        "status": r.status,
        "findings": r.findings,
    })
}

fn destruction_snapshot(d: &Destruction) -> serde_json::Value {
    serde_json::json!({
        "reference": d.reference,
        "record type": d.record_type_label,
        "description": d.description,
        "quantity": d.quantity,
        "method": d.method_label,
        "destroyed on": iso_date(d.destroyed_on),
        "destroyed by": d.destroyed_by,
        "authorised by": d.authorised_by_name,
        "certificate": d.certificate,
    })
}
