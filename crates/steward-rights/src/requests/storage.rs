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
        let due = due_on(&s, today)?;
        s.version = current + 1;
        s.updated_at = now_stamp();
        let columns = columns(&s, due)?;
        let sets: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, (name, _))| format!("{name} = ${}", i + 1))
            .collect();
        let sql = format!(
            "UPDATE rights_requests SET {} WHERE id = ${}",
            sets.join(", "),
            columns.len() + 1
        );
        bind_all(steward_db::query(&sql), columns)
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

/// The deadline the request's clock gives as of today (or as of its closing day).
pub(super) fn due_on(s: &Stored, today: NaiveDate) -> CoreResult<NaiveDate> {
    Ok(s.domain()?
        .clock
        .due_date_as_of(s.closed_on.unwrap_or(today), calendar()))
}

/// One column's value as the database keeps it (the Any driver takes TEXT and BIGINT).
pub(super) enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(Some(v.to_string()))
    }
}
impl From<&String> for Cell {
    fn from(v: &String) -> Cell {
        Cell::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Cell {
        Cell::Text(v)
    }
}
impl From<NaiveDate> for Cell {
    fn from(v: NaiveDate) -> Cell {
        Cell::Text(Some(iso_date(v)))
    }
}
impl From<Option<NaiveDate>> for Cell {
    fn from(v: Option<NaiveDate>) -> Cell {
        Cell::Text(v.map(iso_date))
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(Some(v))
    }
}
impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Cell {
        Cell::Int(v)
    }
}

/// Binds the columns' values in order.
pub(super) fn bind_all<'q>(
    mut q: steward_db::Query<'q>,
    columns: Vec<(&'static str, Cell)>,
) -> steward_db::Query<'q> {
    for (_, cell) in columns {
        q = match cell {
            Cell::Text(v) => q.bind(v),
            Cell::Int(v) => q.bind(v),
        };
    }
    q
}

/// The one place a request's fields meet the table's columns: every column a save writes
/// (and the log writes first), by name, with the due date the clock gives. Adding a field to
/// a request means a migration, [`Stored`] with its reading in `stored_from_row`, and a line
/// here.
pub(super) fn columns(s: &Stored, due: NaiveDate) -> CoreResult<Vec<(&'static str, Cell)>> {
    let json = |what: &str, v: Result<String, serde_json::Error>| v.map_err(|e| internal(what, e));
    let ext = s.extension.as_ref();
    Ok(vec![
        ("request_type", type_code(s.details.request_type()).into()),
        (
            "details",
            Cell::Text(Some(json("details", serde_json::to_string(&s.details))?)),
        ),
        ("channel", channel_code(s.channel).into()),
        ("requester_kind", (&s.requester_kind).into()),
        ("proxy_name", (&s.proxy_name).into()),
        ("proxy_organisation", (&s.proxy_organisation).into()),
        (
            "authority_evidence_kind",
            s.authority_evidence_kind.clone().into(),
        ),
        ("authority_evidence", (&s.authority_evidence).into()),
        ("subject_forenames", (&s.subject.forenames).into()),
        ("subject_surname", (&s.subject.surname).into()),
        ("subject_date_of_birth", s.subject.date_of_birth.into()),
        (
            "subject_address",
            s.subject.address.as_deref().unwrap_or_default().into(),
        ),
        (
            "subject_postcode",
            s.subject.postcode.as_deref().unwrap_or_default().into(),
        ),
        (
            "subject_nhs_number",
            s.subject.nhs_number.as_deref().unwrap_or_default().into(),
        ),
        ("subject_phone", (&s.subject_phone).into()),
        ("subject_email", (&s.subject_email).into()),
        ("subject_aliases", (&s.subject_aliases).into()),
        ("received_on", s.received_on.into()),
        ("identity_verified_on", s.identity_verified_on.into()),
        ("identity_evidence", (&s.identity_evidence).into()),
        ("authority_received_on", s.authority_received_on.into()),
        ("fee_received_on", s.fee_received_on.into()),
        (
            "period",
            match s.period {
                Period::CalendarMonth => "calendar_month",
                Period::TwentyEightDays => "twenty_eight_days",
            }
            .into(),
        ),
        ("due_soon_days", s.due_soon_days.into()),
        ("extension_months", ext.map(|e| e.months as i64).into()),
        (
            "extension_ground",
            ext.map(|e| match e.ground {
                ExtensionGround::Complex => "complex".to_string(),
                ExtensionGround::NumberOfRequests => "number_of_requests".to_string(),
            })
            .into(),
        ),
        ("extension_reasons", ext.map(|e| e.reasons.clone()).into()),
        ("extension_told_on", ext.map(|e| e.requester_told_on).into()),
        ("extension_recorded_on", ext.map(|e| e.recorded_on).into()),
        ("status", status_code(s.status).into()),
        ("due_on", due.into()),
        ("owner_id", (&s.owner_id).into()),
        (
            "serious_harm_professional",
            (&s.serious_harm_professional).into(),
        ),
        ("serious_harm_given_on", s.serious_harm_given_on.into()),
        (
            "serious_harm_likely",
            s.serious_harm_likely.map(|b| b as i64).into(),
        ),
        (
            "other_providers_policy",
            s.other_providers_policy.clone().into(),
        ),
        ("other_providers", (&s.other_providers).into()),
        ("prohibited_information", (&s.prohibited_information).into()),
        ("closure_outcome", s.closure_outcome.clone().into()),
        ("refusal_reasons", (&s.refusal_reasons).into()),
        (
            "disclosed",
            Cell::Text(Some(json(
                "disclosed",
                serde_json::to_string(&s.disclosed),
            )?)),
        ),
        (
            "withheld",
            Cell::Text(Some(json("withheld", serde_json::to_string(&s.withheld))?)),
        ),
        ("action_taken", (&s.action_taken).into()),
        ("closed_on", s.closed_on.into()),
        ("updated_at", (&s.updated_at).into()),
        ("version", s.version.into()),
    ])
}
