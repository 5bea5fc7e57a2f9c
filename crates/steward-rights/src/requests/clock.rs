//! The clock over storage: identity, authority and fee (the events the clock starts on),
//! pauses for clarification, extension, and the daily move of paused clocks' due dates.
//! The rules are [`crate::clock`]'s.

use chrono::NaiveDate;
use steward_core::time::iso_date;
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors};
use steward_db::Row;

use super::codes::evidence_kind;
use super::input::{limit, not_future, opt_date, req_date, ExtensionInput, StartEventsInput};
use super::progress::status_conflict;
use super::stored::Stored;
use super::view::RequestRecord;
use super::{calendar, capitalise, Rights, RECORD_TYPE};
use crate::clock::{Extension, ExtensionGround};
use crate::request::RequestError;

/// A step the request's status does not allow is a conflict with the record's state (409);
/// a date the clock's rules refuse is invalid input (422) on `field`.
fn request_error(field: &str, err: RequestError) -> CoreError {
    match err {
        RequestError::Status(s) => status_conflict(s.from, s.to),
        RequestError::Clock(c) => CoreError::invalid(field, capitalise(&c.to_string())),
    }
}

impl Rights<'_> {
    /// Identity verified (with the evidence seen), proxy authority and fee received: the
    /// clock starts on the latest of these and the day received (rights-and-deadlines.md,
    /// "When the clock starts").
    pub async fn record_start_events(
        &self,
        caller: &Caller,
        id: &str,
        input: &StartEventsInput,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let mut e = FieldErrors::default();
        let identity = opt_date(
            &mut e,
            "identity_verified_on",
            &input.identity_verified_on,
            "The date identity was verified",
        );
        not_future(
            &mut e,
            "identity_verified_on",
            identity,
            today,
            "The date identity was verified",
        );
        if identity.is_some() && input.identity_evidence.trim().is_empty() {
            e.add("identity_evidence", "Enter the evidence of identity seen");
        }
        limit(
            &mut e,
            "identity_evidence",
            input.identity_evidence.trim(),
            1000,
            "Evidence of identity",
        );
        let authority = opt_date(
            &mut e,
            "authority_received_on",
            &input.authority_received_on,
            "The date evidence of authority was received",
        );
        not_future(
            &mut e,
            "authority_received_on",
            authority,
            today,
            "The date evidence of authority was received",
        );
        let kind = input.authority_evidence_kind.trim();
        if authority.is_some() && evidence_kind(kind).is_none() {
            e.add(
                "authority_evidence_kind",
                "Select the kind of evidence of authority",
            );
        }
        limit(
            &mut e,
            "authority_evidence",
            input.authority_evidence.trim(),
            1000,
            "Evidence of authority",
        );
        let fee = opt_date(
            &mut e,
            "fee_received_on",
            &input.fee_received_on,
            "The date the fee was received",
        );
        not_future(
            &mut e,
            "fee_received_on",
            fee,
            today,
            "The date the fee was received",
        );
        e.into_result()?;
        let input = input.clone();
        self.change(caller, id, None, today, "record.update", move |s| {
            if s.status.is_closed() {
                return Err(CoreError::Conflict("This request is closed; it can no longer be changed.".into()));
            }
            let mut e = FieldErrors::default();
            for (field, d, label) in [
                ("identity_verified_on", identity, "Identity"),
                ("authority_received_on", authority, "Evidence of authority"),
                ("fee_received_on", fee, "The fee"),
            ] {
                if d.is_some_and(|d| d < s.received_on) {
                    e.add(field, format!("{label} cannot be dated before the request was received ({})", steward_core::time::long_date(s.received_on)));
                }
            }
            if authority.is_some() && s.requester_kind == "data_subject" {
                e.add("authority_received_on", "Only a request made by someone acting for the patient needs evidence of authority");
            }
            e.into_result()?;
            s.identity_verified_on = identity;
            s.identity_evidence = input.identity_evidence.trim().into();
            s.authority_received_on = authority;
            s.authority_evidence_kind = authority.map(|_| kind.to_string());
            s.authority_evidence = if authority.is_some() { input.authority_evidence.trim().into() } else { String::new() };
            s.fee_received_on = fee;
            check_start_against_pauses(s)?;
            Ok("identity, authority and fee".into())
        })
        .await
    }

    /// Asks for clarification: the clock stops (Data (Use and Access) Act 2025).
    pub async fn ask_for_clarification(
        &self,
        caller: &Caller,
        id: &str,
        asked_on: &str,
        question: &str,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let mut e = FieldErrors::default();
        let asked = req_date(
            &mut e,
            "asked_on",
            asked_on,
            "The date clarification was asked for",
        );
        not_future(
            &mut e,
            "asked_on",
            asked,
            today,
            "The date clarification was asked for",
        );
        if question.trim().is_empty() {
            e.add("question", "Enter what the requester was asked to clarify");
        }
        limit(&mut e, "question", question.trim(), 2000, "The question");
        e.into_result()?;
        let question = question.trim().to_string();
        self.change(
            caller,
            id,
            None,
            today,
            "rights.clarification_asked",
            move |s| {
                let mut r = s.domain()?;
                r.ask_for_clarification(asked.expect("checked"), question, calendar())
                    .map_err(|err| request_error("asked_on", err))?;
                s.absorb(&r);
                Ok(format!(
                    "clock paused from {}",
                    iso_date(asked.expect("checked"))
                ))
            },
        )
        .await
    }

    /// Records the clarification: the clock runs again with the elapsed days kept.
    pub async fn clarification_received(
        &self,
        caller: &Caller,
        id: &str,
        received_on: &str,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let mut e = FieldErrors::default();
        let received = req_date(
            &mut e,
            "clarified_on",
            received_on,
            "The date the clarification was received",
        );
        not_future(
            &mut e,
            "clarified_on",
            received,
            today,
            "The date the clarification was received",
        );
        e.into_result()?;
        self.change(
            caller,
            id,
            None,
            today,
            "rights.clarification_received",
            move |s| {
                let mut r = s.domain()?;
                r.clarification_received(received.expect("checked"))
                    .map_err(|err| request_error("clarified_on", err))?;
                s.absorb(&r);
                Ok(format!(
                    "clock resumed on {}",
                    iso_date(received.expect("checked"))
                ))
            },
        )
        .await
    }

    /// Extends the time to respond by one or two months; refused unless the requester was
    /// told, with reasons, within the first month (rights-and-deadlines.md, "Extension").
    pub async fn extend(
        &self,
        caller: &Caller,
        id: &str,
        input: &ExtensionInput,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let mut e = FieldErrors::default();
        let months: Option<u8> = match input.months.trim() {
            "1" => Some(1),
            "2" => Some(2),
            _ => {
                e.add("months", "Select one or two further months");
                None
            }
        };
        let ground = match input.ground.trim() {
            "complex" => Some(ExtensionGround::Complex),
            "number_of_requests" => Some(ExtensionGround::NumberOfRequests),
            _ => {
                e.add("ground", "Select why the time is extended");
                None
            }
        };
        if input.reasons.trim().is_empty() {
            e.add("reasons", "Enter the reasons given to the requester");
        }
        limit(&mut e, "reasons", input.reasons.trim(), 2000, "Reasons");
        let told = req_date(
            &mut e,
            "requester_told_on",
            &input.requester_told_on,
            "The date the requester was told",
        );
        not_future(
            &mut e,
            "requester_told_on",
            told,
            today,
            "The date the requester was told",
        );
        e.into_result()?;
        let reasons = input.reasons.trim().to_string();
        self.change(caller, id, None, today, "rights.extended", move |s| {
            if s.status.is_closed() {
                return Err(CoreError::Conflict(
                    "This request is closed; it can no longer be changed.".into(),
                ));
            }
            let mut clock = s.clock()?;
            clock
                .extend(
                    Extension {
                        months: months.expect("checked"),
                        ground: ground.expect("checked"),
                        reasons,
                        requester_told_on: told.expect("checked"),
                        recorded_on: today,
                    },
                    calendar(),
                )
                .map_err(|err| {
                    CoreError::invalid("requester_told_on", capitalise(&err.to_string()))
                })?;
            s.extension = clock.extension().cloned();
            Ok(format!("extended by {} month(s)", months.expect("checked")))
        })
        .await
    }

    /// While a request's clock is paused for clarification its due date moves a day later
    /// every day (rights-and-deadlines.md, "Changes to the clock"). The server runs this
    /// daily so that the stored due date and the linked action's stay true: without it a
    /// paused request's action would show as overdue. Returns how many requests moved.
    pub async fn refresh_paused_clocks(&self, today: NaiveDate) -> CoreResult<usize> {
        let rows = steward_db::query(
            "SELECT DISTINCT r.id, r.organisation_id, r.due_on FROM rights_requests r \
             JOIN rights_request_pauses p ON p.request_id = r.id \
             WHERE p.received_on IS NULL AND r.status NOT IN ('completed', 'refused', 'withdrawn')",
        )
        .fetch_all(&self.steward.db.pool)
        .await?;
        let mut moved = 0;
        for r in rows {
            let id: String = r.try_get("id")?;
            let org: String = r.try_get("organisation_id")?;
            let stored_due: String = r.try_get("due_on")?;
            let system = Caller::system(&org);
            let mut w = self.steward.write().await?;
            let s = self.stored_in(&mut w.tx, &id).await?;
            let due = s.domain()?.clock.due_date_as_of(today, calendar());
            if iso_date(due) == stored_due {
                continue;
            }
            self.save(&mut w.tx, &system, s, None, today).await?;
            let mut e = TrailEntry::for_record(&system, "record.update", &org, RECORD_TYPE, &id);
            // Dates as the DPO writes them: the trail's detail is read and exported as is.
            let was = steward_core::time::parse_iso_date(&stored_due)
                .map(steward_core::time::long_date)
                .unwrap_or(stored_due);
            e.detail = format!(
                "clock paused: due date moved from {was} to {}",
                steward_core::time::long_date(due)
            );
            append(&mut w.tx, &e).await?;
            w.commit().await?;
            moved += 1;
        }
        Ok(moved)
    }
}

/// Pauses cannot begin before the clock starts: a start event dated after an existing pause
/// would make the recorded pause meaningless.
pub(super) fn check_start_against_pauses(s: &Stored) -> CoreResult<()> {
    let start = s.clock()?.start_date();
    if let Some(p) = s.pauses.iter().find(|p| p.asked_on < start) {
        return Err(CoreError::invalid(
            "identity_verified_on",
            format!(
                "The clock would start on {}, after clarification was asked for on {}",
                steward_core::time::long_date(start),
                steward_core::time::long_date(p.asked_on)
            ),
        ));
    }
    Ok(())
}
