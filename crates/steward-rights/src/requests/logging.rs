//! Logging a request, reading it, and changing its details.

use chrono::NaiveDate;
use steward_core::time::{iso_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult, FieldErrors, Op, Permit};
use steward_db::Tx;

use super::clock::check_start_against_pauses;
use super::codes::{channel_code, status_code, type_code};
use super::input::{check_request, RequestInput};
use super::stored::{internal, recipients_mut};
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
        steward_db::query(
            "INSERT INTO rights_requests (id, organisation_id, reference, request_type, details, channel, requester_kind, proxy_name, proxy_organisation, authority_evidence_kind, authority_evidence, subject_forenames, subject_surname, subject_date_of_birth, subject_address, subject_postcode, subject_nhs_number, subject_phone, subject_email, subject_aliases, received_on, identity_verified_on, identity_evidence, authority_received_on, fee_received_on, period, due_soon_days, status, due_on, owner_id, serious_harm_professional, other_providers, prohibited_information, refusal_reasons, disclosed, withheld, action_taken, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, '', $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, NULL, '', NULL, NULL, $20, $21, $22, $19, $23, '', '', '', '', '[]', '[]', '', $24, $25, $25, 0)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(&reference)
        .bind(type_code(c.details.request_type()))
        .bind(serde_json::to_string(&c.details).map_err(|e| internal("details", e))?)
        .bind(channel_code(c.channel))
        .bind(&c.requester_kind)
        .bind(&c.proxy_name)
        .bind(&c.proxy_organisation)
        .bind(&c.subject.forenames)
        .bind(&c.subject.surname)
        .bind(c.subject.date_of_birth.map(iso_date))
        .bind(c.subject.address.clone().unwrap_or_default())
        .bind(c.subject.postcode.clone().unwrap_or_default())
        .bind(c.subject.nhs_number.clone().unwrap_or_default())
        .bind(&c.subject_phone)
        .bind(&c.subject_email)
        .bind(&c.subject_aliases)
        .bind(iso_date(c.received_on))
        .bind(match period {
            Period::CalendarMonth => "calendar_month",
            Period::TwentyEightDays => "twenty_eight_days",
        })
        .bind(crate::clock::DEFAULT_DUE_SOON_DAYS as i64)
        .bind(status_code(status))
        .bind(&c.owner_id)
        .bind(&caller.user_id)
        .bind(&now)
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
