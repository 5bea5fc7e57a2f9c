//! Logging a request, reading it, and changing its details.

use chrono::NaiveDate;
use steward_core::time::now_stamp;
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult, FieldErrors, Op, Permit};
use steward_db::Tx;

use super::clock::check_start_against_pauses;
use super::input::{check_request, RequestInput};
use super::storage::{bind_all, columns, due_on, Cell};
use super::stored::{recipients_mut, Stored};
use super::view::RequestRecord;
use super::{Rights, KIND, RECORD_TYPE};
use crate::clock::Period;
use crate::identity::PatientIdentity;
use crate::request::{RequestStatus, RequestType};

impl Rights<'_> {
    pub(super) async fn owners(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<String>> {
        Ok(self
            .steward
            .assignable_people(caller, organisation_id)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect())
    }

    pub(super) async fn next_reference(
        &self,
        tx: &mut Tx<'static>,
        organisation_id: &str,
        t: RequestType,
        received: NaiveDate,
    ) -> CoreResult<String> {
        let prefix = match t {
            RequestType::Access => "SAR",
            RequestType::Rectification => "RECT",
            RequestType::Erasure => "ERAS",
            RequestType::Restriction => "REST",
            RequestType::Objection => "OBJ",
        };
        let stem = format!("{prefix}-{}-", received.format("%Y"));
        let n: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM rights_requests WHERE organisation_id = $1 AND reference LIKE $2",
        )
        .bind(organisation_id)
        .bind(format!("{stem}%"))
        .fetch_one(&mut **tx)
        .await?;
        Ok(format!("{stem}{:04}", n + 1))
    }

    /// Logs a new request. Its clock starts on the day received (identity, authority and fee
    /// are recorded later); a linked action carries its due date to the owner.
    pub async fn create_request(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &RequestInput,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let owners = self.owners(caller, organisation_id).await?;
        let c = check_request(input, today, &owners)?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        let reference = self
            .next_reference(
                &mut w.tx,
                organisation_id,
                c.details.request_type(),
                c.received_on,
            )
            .await?;
        let status = RequestStatus::Received;
        // The organisation's period applies from logging on; changing the setting later
        // does not move the deadline of a request already logged.
        let period = if crate::settings::twenty_eight_days(&mut w.tx, organisation_id).await? {
            Period::TwentyEightDays
        } else {
            Period::CalendarMonth
        };
        let logged = Stored {
            id: id.clone(),
            organisation_id: organisation_id.to_string(),
            organisation_name: String::new(),
            reference: reference.clone(),
            details: c.details,
            channel: c.channel,
            requester_kind: c.requester_kind,
            proxy_name: c.proxy_name,
            proxy_organisation: c.proxy_organisation,
            authority_evidence_kind: None,
            authority_evidence: String::new(),
            subject: c.subject,
            subject_phone: c.subject_phone,
            subject_email: c.subject_email,
            subject_aliases: c.subject_aliases,
            received_on: c.received_on,
            identity_verified_on: None,
            identity_evidence: String::new(),
            authority_received_on: None,
            fee_received_on: None,
            period,
            due_soon_days: crate::clock::DEFAULT_DUE_SOON_DAYS as i64,
            extension: None,
            status,
            owner_id: c.owner_id,
            owner_name: String::new(),
            action_id: None,
            serious_harm_professional: String::new(),
            serious_harm_given_on: None,
            serious_harm_likely: None,
            other_providers_policy: None,
            other_providers: String::new(),
            prohibited_information: String::new(),
            closure_outcome: None,
            refusal_reasons: String::new(),
            disclosed: Vec::new(),
            withheld: Vec::new(),
            action_taken: String::new(),
            closed_on: None,
            created_at: now.clone(),
            updated_at: now.clone(),
            version: 0,
            pauses: Vec::new(),
        };
        let mut columns = columns(&logged, due_on(&logged, today)?)?;
        columns.extend([
            ("id", Cell::from(&id)),
            ("organisation_id", organisation_id.into()),
            ("reference", (&reference).into()),
            ("created_by", (&caller.user_id).into()),
            ("created_at", (&now).into()),
        ]);
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let places: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO rights_requests ({}) VALUES ({})",
            names.join(", "),
            places.join(", ")
        );
        bind_all(steward_db::query(&sql), columns)
            .execute(&mut *w.tx)
            .await?;
        let mut e =
            TrailEntry::for_record(caller, "record.create", organisation_id, RECORD_TYPE, &id);
        e.detail = reference.clone();
        append(&mut w.tx, &e).await?;
        // Version 1 is written by save(), with the linked action.
        let s = self.stored_in(&mut w.tx, &id).await?;
        let s = self.save(&mut w.tx, caller, s, None, today).await?;
        w.commit().await?;
        s.record(today)
    }

    /// One request; the view is recorded in the audit trail (it holds personal data).
    /// The gate wrote the view to the audit trail when it gave the permit.
    pub async fn request(
        &self,
        permit: &Permit<ops::Read>,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let mut tx = self.steward.db.begin().await?;
        let s = self.stored_in(&mut tx, permit.id()).await?;
        tx.commit().await?;
        s.record(today)
    }

    /// Changes the request's details (type, channel, requester, subject, received date, owner).
    pub async fn update_request(
        &self,
        caller: &Caller,
        id: &str,
        input: &RequestInput,
        expected_version: Option<i64>,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let org = self
            .steward
            .permit::<ops::Change>(caller, KIND, id)
            .await?
            .organisation_id()
            .to_string();
        let owners = self.owners(caller, &org).await?;
        let c = check_request(input, today, &owners)?;
        self.change(
            caller,
            id,
            expected_version,
            today,
            "record.update",
            move |s| {
                if s.status.is_closed() {
                    return Err(CoreError::Conflict(
                        "This request is closed; it can no longer be changed.".into(),
                    ));
                }
                if c.details.request_type() != s.details.request_type() {
                    let mut e = FieldErrors::default();
                    e.add(
                        "request_type",
                        "The type of a logged request cannot change: log a new request instead",
                    );
                    return Err(CoreError::Invalid(e));
                }
                let patient_id = s.subject.patient_id.clone();
                let mut details = c.details;
                // Recipients already told keep their record of it.
                let before = s.details.recipients().to_vec();
                if let Some(list) = recipients_mut(&mut details) {
                    for r in list.iter_mut() {
                        if let Some(b) = before.iter().find(|b| b.recipient == r.recipient) {
                            *r = b.clone();
                        }
                    }
                }
                s.details = details;
                s.channel = c.channel;
                s.requester_kind = c.requester_kind;
                s.proxy_name = c.proxy_name;
                s.proxy_organisation = c.proxy_organisation;
                s.subject = PatientIdentity {
                    patient_id,
                    ..c.subject
                };
                s.subject_phone = c.subject_phone;
                s.subject_email = c.subject_email;
                s.subject_aliases = c.subject_aliases;
                s.received_on = c.received_on;
                s.owner_id = c.owner_id;
                check_start_against_pauses(s)?;
                Ok(String::new())
            },
        )
        .await
    }
}
