//! Loading and saving a request: every change is written back whole, as a new version in
//! the record history, with the linked action kept in step; [`Rights::change`] is the common
//! shape of a change (load, apply, save, trail entry, commit).

use chrono::NaiveDate;
use serde_json::json;
use steward_core::records::record_version;
use steward_core::time::{iso_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult};
use steward_db::Tx;

use super::codes::{channel_code, status_code, status_label, type_code};
use super::stored::{internal, load_pauses, steps_from, stored_from_row, Stored, SELECT};
use super::view::RequestRecord;
use super::{calendar, Rights, KIND, RECORD_TYPE};
use crate::checklist::CompletedStep;
use crate::clock::{ExtensionGround, Period};
use crate::request::RequestStatus;

impl Rights<'_> {
    pub(super) async fn stored_in(&self, tx: &mut Tx<'static>, id: &str) -> CoreResult<Stored> {
        let sql = format!("{SELECT} WHERE r.id = $1");
        let row = steward_db::query(&sql)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        let mut s = stored_from_row(&row)?;
        s.pauses = load_pauses(tx, id).await?;
        Ok(s)
    }

    pub(super) async fn steps_in(
        &self,
        tx: &mut Tx<'static>,
        id: &str,
    ) -> CoreResult<Vec<CompletedStep>> {
        let rows = steward_db::query(
            "SELECT s.*, u.display_name FROM rights_request_steps s LEFT JOIN users u ON u.id = s.user_id WHERE s.request_id = $1",
        )
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
        Ok(steps_from(&rows)?.into_iter().map(|(s, _)| s).collect())
    }

    /// Writes every column back, bumps the version, records the version and keeps the linked
    /// action's due date, owner and status in step with the request.
    pub(super) async fn save(
        &self,
        tx: &mut Tx<'static>,
        caller: &Caller,
        mut s: Stored,
        expected_version: Option<i64>,
        today: NaiveDate,
    ) -> CoreResult<Stored> {
        let current: i64 =
            steward_db::query_scalar("SELECT version FROM rights_requests WHERE id = $1")
                .bind(&s.id)
                .fetch_one(&mut **tx)
                .await?;
        if expected_version.is_some_and(|v| v != current) {
            return Err(CoreError::Conflict(
                "Someone else changed this request while you were working on it. Reload the page to see their changes.".into(),
            ));
        }
        let domain = s.domain()?;
        let cal = calendar();
        let due = domain
            .clock
            .due_date_as_of(s.closed_on.unwrap_or(today), cal);
        s.version = current + 1;
        s.updated_at = now_stamp();
        let d = |x: Option<NaiveDate>| x.map(iso_date);
        steward_db::query(
            "UPDATE rights_requests SET details = $1, channel = $2, requester_kind = $3, proxy_name = $4, proxy_organisation = $5, authority_evidence_kind = $6, authority_evidence = $7, subject_forenames = $8, subject_surname = $9, subject_date_of_birth = $10, subject_address = $11, subject_postcode = $12, subject_nhs_number = $13, subject_phone = $14, subject_email = $15, subject_aliases = $16, received_on = $17, identity_verified_on = $18, identity_evidence = $19, authority_received_on = $20, fee_received_on = $21, period = $22, extension_months = $23, extension_ground = $24, extension_reasons = $25, extension_told_on = $26, extension_recorded_on = $27, status = $28, due_on = $29, owner_id = $30, serious_harm_professional = $31, serious_harm_given_on = $32, serious_harm_likely = $33, other_providers_policy = $34, other_providers = $35, prohibited_information = $36, closure_outcome = $37, refusal_reasons = $38, disclosed = $39, withheld = $40, action_taken = $41, closed_on = $42, updated_at = $43, version = $44, request_type = $45 WHERE id = $46",
        )
        .bind(serde_json::to_string(&s.details).map_err(|e| internal("details", e))?)
        .bind(channel_code(s.channel))
        .bind(&s.requester_kind)
        .bind(&s.proxy_name)
        .bind(&s.proxy_organisation)
        .bind(s.authority_evidence_kind.clone())
        .bind(&s.authority_evidence)
        .bind(&s.subject.forenames)
        .bind(&s.subject.surname)
        .bind(d(s.subject.date_of_birth))
        .bind(s.subject.address.clone().unwrap_or_default())
        .bind(s.subject.postcode.clone().unwrap_or_default())
        .bind(s.subject.nhs_number.clone().unwrap_or_default())
        .bind(&s.subject_phone)
        .bind(&s.subject_email)
        .bind(&s.subject_aliases)
        .bind(iso_date(s.received_on))
        .bind(d(s.identity_verified_on))
        .bind(&s.identity_evidence)
        .bind(d(s.authority_received_on))
        .bind(d(s.fee_received_on))
        .bind(match s.period {
            Period::CalendarMonth => "calendar_month",
            Period::TwentyEightDays => "twenty_eight_days",
        })
        .bind(s.extension.as_ref().map(|e| e.months as i64))
        .bind(s.extension.as_ref().map(|e| match e.ground {
            ExtensionGround::Complex => "complex".to_string(),
            ExtensionGround::NumberOfRequests => "number_of_requests".to_string(),
        }))
        .bind(s.extension.as_ref().map(|e| e.reasons.clone()))
        .bind(s.extension.as_ref().map(|e| iso_date(e.requester_told_on)))
        .bind(s.extension.as_ref().map(|e| iso_date(e.recorded_on)))
        .bind(status_code(s.status))
        .bind(iso_date(due))
        .bind(&s.owner_id)
        .bind(&s.serious_harm_professional)
        .bind(d(s.serious_harm_given_on))
        .bind(s.serious_harm_likely.map(|b| b as i64))
        .bind(s.other_providers_policy.clone())
        .bind(&s.other_providers)
        .bind(&s.prohibited_information)
        .bind(s.closure_outcome.clone())
        .bind(&s.refusal_reasons)
        .bind(serde_json::to_string(&s.disclosed).map_err(|e| internal("disclosed", e))?)
        .bind(serde_json::to_string(&s.withheld).map_err(|e| internal("withheld", e))?)
        .bind(&s.action_taken)
        .bind(d(s.closed_on))
        .bind(&s.updated_at)
        .bind(s.version)
        .bind(type_code(s.details.request_type()))
        .bind(&s.id)
        .execute(&mut **tx)
        .await?;
        steward_db::query("DELETE FROM rights_request_pauses WHERE request_id = $1")
            .bind(&s.id)
            .execute(&mut **tx)
            .await?;
        for p in &s.pauses {
            steward_db::query(
                "INSERT INTO rights_request_pauses (id, request_id, organisation_id, asked_on, question, received_on) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&s.id)
            .bind(&s.organisation_id)
            .bind(iso_date(p.asked_on))
            .bind(&p.question)
            .bind(p.received_on.map(iso_date))
            .execute(&mut **tx)
            .await?;
        }
        // The owner's name may have changed with the owner.
        s.owner_name = steward_db::query_scalar("SELECT display_name FROM users WHERE id = $1")
            .bind(&s.owner_id)
            .fetch_one(&mut **tx)
            .await?;
        let steps = self.steps_in(tx, &s.id).await?;
        record_version(
            tx,
            caller,
            RECORD_TYPE,
            &s.id,
            &s.organisation_id,
            s.version,
            &s.snapshot(&steps),
        )
        .await?;
        self.sync_action(tx, caller, &mut s, due).await?;
        Ok(s)
    }

    /// One linked action per request: "Respond to subject access request SAR-2026-0003",
    /// owned by the request's owner, due on the request's due date, done when it closes. The
    /// subject's name stays out of the title: titles go into reminder emails and calendars.
    pub(super) async fn sync_action(
        &self,
        tx: &mut Tx<'static>,
        caller: &Caller,
        s: &mut Stored,
        due: NaiveDate,
    ) -> CoreResult<()> {
        let title = format!(
            "Respond to {} {}",
            s.details.request_type().label(),
            s.reference
        );
        let status = match s.status {
            RequestStatus::Completed | RequestStatus::Refused => "done",
            RequestStatus::Withdrawn => "cancelled",
            _ => "open",
        };
        let description = format!(
            "Statutory due date {} ({}). Opened from the request's page; closing the request closes this action.",
            steward_core::time::long_date(due),
            status_label(s.status)
        );
        let now = now_stamp();
        let existing: Option<i64> = match &s.action_id {
            Some(aid) => {
                steward_db::query_scalar("SELECT version FROM actions WHERE id = $1")
                    .bind(aid)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            None => None,
        };
        let (aid, version) = match (existing, s.action_id.clone()) {
            (Some(v), Some(aid)) => {
                steward_db::query(
                    "UPDATE actions SET title = $1, description = $2, owner_id = $3, due_date = $4, status = $5, updated_at = $6, version = $7 WHERE id = $8",
                )
                .bind(&title)
                .bind(&description)
                .bind(&s.owner_id)
                .bind(iso_date(due))
                .bind(status)
                .bind(&now)
                .bind(v + 1)
                .bind(&aid)
                .execute(&mut **tx)
                .await?;
                (aid, v + 1)
            }
            _ => {
                let aid = uuid::Uuid::new_v4().to_string();
                steward_db::query(
                    "INSERT INTO actions (id, organisation_id, title, description, owner_id, due_date, status, source_record_type, source_record_id, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1)",
                )
                .bind(&aid)
                .bind(&s.organisation_id)
                .bind(&title)
                .bind(&description)
                .bind(&s.owner_id)
                .bind(iso_date(due))
                .bind(status)
                .bind(RECORD_TYPE)
                .bind(&s.id)
                .bind(&caller.user_id)
                .bind(&now)
                .execute(&mut **tx)
                .await?;
                steward_db::query("UPDATE rights_requests SET action_id = $1 WHERE id = $2")
                    .bind(&aid)
                    .bind(&s.id)
                    .execute(&mut **tx)
                    .await?;
                s.action_id = Some(aid.clone());
                (aid, 1)
            }
        };
        record_version(
            tx,
            caller,
            "action",
            &aid,
            &s.organisation_id,
            version,
            &json!({
                "title": title,
                "description": description,
                "owner": s.owner_name,
                "due_date": iso_date(due),
                "status": status,
                "source_record": format!("{RECORD_TYPE} {}", s.id),
                "version": version,
            }),
        )
        .await?;
        Ok(())
    }

    /// Loads a request for a change: checks the caller may write in its organisation.
    pub(super) async fn for_change(
        &self,
        caller: &Caller,
        id: &str,
    ) -> CoreResult<steward_core::Write> {
        self.steward.permit::<ops::Change>(caller, KIND, id).await?;
        self.steward.write().await
    }

    /// The common shape of every change: load, apply `f` (which validates and says what
    /// changed for the trail), save as a new version, trail entry, commit.
    pub(super) async fn change<F>(
        &self,
        caller: &Caller,
        id: &str,
        expected_version: Option<i64>,
        today: NaiveDate,
        event: &str,
        f: F,
    ) -> CoreResult<RequestRecord>
    where
        F: FnOnce(&mut Stored) -> CoreResult<String>,
    {
        let mut w = self.for_change(caller, id).await?;
        let mut s = self.stored_in(&mut w.tx, id).await?;
        let before = s.snapshot(&[]);
        let detail = f(&mut s)?;
        let s = self
            .save(&mut w.tx, caller, s, expected_version, today)
            .await?;
        let changes = steward_core::records::diff(&before, &s.snapshot(&[]));
        let mut e = TrailEntry::for_record(caller, event, &s.organisation_id, RECORD_TYPE, id);
        e.detail = if detail.is_empty() {
            changes
                .iter()
                .map(|c| c.field.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            detail
        };
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        s.record(today)
    }
}
