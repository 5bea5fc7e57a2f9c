//! Closing a request (what was disclosed and withheld, and why), the response letter, and
//! telling recipients of a rectification, erasure or restriction (UK GDPR Art 19).

use chrono::NaiveDate;
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult, FieldErrors, Permit};

use super::codes::{parse_exemption, status_label};
use super::input::{limit, lines, not_future, opt_date, ClosureInput};
use super::stored::recipients_mut;
use super::view::RequestRecord;
use super::{capitalise, checklist, Rights, KIND, RECORD_TYPE};
use crate::closure::{response_letter, DisclosedItem, Letter, Organisation, Outcome, WithheldItem};

impl Rights<'_> {
    /// Closes the request: what was disclosed, withheld and why. Refused, with everything in
    /// the way listed, while required checklist steps are outstanding or the closure has
    /// problems (steward-rights `RightsRequest::close`).
    pub async fn close_request(
        &self,
        caller: &Caller,
        id: &str,
        input: &ClosureInput,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let mut e = FieldErrors::default();
        let closed_on = if input.closed_on.trim().is_empty() {
            Some(today)
        } else {
            opt_date(&mut e, "closed_on", &input.closed_on, "The closure date")
        };
        not_future(&mut e, "closed_on", closed_on, today, "The closure date");
        let outcome = match input.outcome.trim() {
            "answered" => Some(Outcome::Answered),
            "nothing_held" => Some(Outcome::NothingHeld),
            "refused" => Some(Outcome::Refused {
                reasons: input.refusal_reasons.trim().to_string(),
            }),
            _ => {
                e.add("outcome", "Select how the request ends");
                None
            }
        };
        let mut withheld = Vec::new();
        for (i, w) in input.withheld.iter().enumerate() {
            if w.description.trim().is_empty()
                && w.exemption.trim().is_empty()
                && w.reason.trim().is_empty()
            {
                continue;
            }
            let f = |n: &str| format!("withheld_{}_{n}", i + 1);
            if w.description.trim().is_empty() {
                e.add(&f("description"), "Describe what is withheld");
            }
            match parse_exemption(w.exemption.trim()) {
                Some(exemption) => withheld.push(WithheldItem {
                    description: w.description.trim().into(),
                    exemption,
                    reason: w.reason.trim().into(),
                    mention_in_letter: true,
                }),
                None => e.add(&f("exemption"), "Select the exemption it is withheld under"),
            }
        }
        limit(
            &mut e,
            "disclosed",
            input.disclosed.trim(),
            5000,
            "What was disclosed",
        );
        e.into_result()?;
        let disclosed: Vec<DisclosedItem> = lines(&input.disclosed)
            .into_iter()
            .map(|description| DisclosedItem { description })
            .collect();
        let outcome = outcome.expect("checked");
        let closed_on = closed_on.expect("checked");
        let action_taken = input.action_taken.trim().to_string();
        let org = self
            .steward
            .permit::<ops::Change>(caller, KIND, id)
            .await?
            .organisation_id()
            .to_string();
        let mut w = self.steward.write().await?;
        let mut s = self.stored_in(&mut w.tx, id).await?;
        let done = self.steps_in(&mut w.tx, id).await?;
        let closure = s.closure_with(
            outcome.clone(),
            closed_on,
            disclosed.clone(),
            withheld.clone(),
            &action_taken,
        );
        let mut r = s.domain()?;
        if let Err(err) = r.close(&closure, checklist(), &done) {
            let mut fe = FieldErrors::default();
            for step in &err.outstanding_steps {
                let title = checklist()
                    .step(step)
                    .map(|s| s.title.clone())
                    .unwrap_or_else(|| step.clone());
                fe.add("outcome", format!("Checklist step not done: {title}"));
            }
            for p in &err.problems {
                fe.add("outcome", capitalise(&p.to_string()));
            }
            if let Some(st) = err.status {
                fe.add(
                    "outcome",
                    format!(
                        "A request that is {} cannot be closed yet; move it on first",
                        status_label(st.from).to_lowercase()
                    ),
                );
            }
            return Err(CoreError::Invalid(fe));
        }
        s.absorb(&r);
        s.closure_outcome = Some(
            match outcome {
                Outcome::Answered => "answered",
                Outcome::NothingHeld => "nothing_held",
                Outcome::Refused { .. } => "refused",
            }
            .into(),
        );
        s.refusal_reasons = input.refusal_reasons.trim().into();
        s.disclosed = disclosed;
        s.withheld = withheld;
        s.action_taken = action_taken;
        s.closed_on = Some(closed_on);
        let s = self.save(&mut w.tx, caller, s, None, today).await?;
        let mut e = TrailEntry::for_record(caller, "rights.closed", &org, RECORD_TYPE, id);
        e.detail = format!(
            "{} on {}",
            s.closure_outcome.clone().unwrap_or_default(),
            steward_core::time::long_date(closed_on)
        );
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        s.record(today)
    }

    /// The response letter of a closed request, from what the closure records.
    pub async fn letter(&self, caller: &Caller, permit: &Permit<ops::Read>) -> CoreResult<Letter> {
        let (id, org) = (permit.id(), permit.organisation_id());
        let mut tx = self.steward.db.begin().await?;
        let s = self.stored_in(&mut tx, id).await?;
        tx.commit().await?;
        let (Some(outcome), Some(closed_on)) = (s.closure_outcome.clone(), s.closed_on) else {
            return Err(CoreError::Conflict(
                "The letter is written from the closure: close the request first.".into(),
            ));
        };
        let outcome = match outcome.as_str() {
            "nothing_held" => Outcome::NothingHeld,
            "refused" => Outcome::Refused {
                reasons: s.refusal_reasons.clone(),
            },
            _ => Outcome::Answered,
        };
        let closure = s.closure_with(
            outcome,
            closed_on,
            s.disclosed.clone(),
            s.withheld.clone(),
            &s.action_taken,
        );
        let dpo: Option<String> = steward_db::query_scalar(
            "SELECT u.email FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.role = 'dpo' AND u.active = 1 AND o.cluster_id = (SELECT cluster_id FROM organisations WHERE id = $1) ORDER BY u.created_at LIMIT 1",
        )
        .bind(org)
        .fetch_optional(&self.steward.db.pool)
        .await?;
        let letter = response_letter(
            &s.domain()?,
            &closure,
            &Organisation {
                name: s.organisation_name.clone(),
                dpo_contact: dpo.unwrap_or_else(|| "the practice's Data Protection Officer".into()),
            },
        );
        let mut e = TrailEntry::for_record(caller, "rights.letter", org, RECORD_TYPE, id);
        e.detail = "response letter".into();
        self.steward.trail_standalone(e).await?;
        Ok(letter)
    }

    /// Records that a recipient was told of the change, or why it was not (impossible or
    /// disproportionate effort; UK GDPR Art 19).
    pub async fn record_recipient(
        &self,
        caller: &Caller,
        id: &str,
        recipient: &str,
        notified_on: &str,
        not_notified_reason: &str,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let mut e = FieldErrors::default();
        let told = opt_date(
            &mut e,
            "notified_on",
            notified_on,
            "The date the recipient was told",
        );
        not_future(
            &mut e,
            "notified_on",
            told,
            today,
            "The date the recipient was told",
        );
        let reason = not_notified_reason.trim().to_string();
        if told.is_none() && reason.is_empty() && e.is_empty() {
            e.add(
                "notified_on",
                "Enter the date the recipient was told, or why it was not told",
            );
        }
        limit(&mut e, "not_notified_reason", &reason, 1000, "The reason");
        e.into_result()?;
        let recipient = recipient.to_string();
        self.change(caller, id, None, today, "rights.recipient_told", move |s| {
            if s.status.is_closed() {
                return Err(CoreError::Conflict(
                    "This request is closed; it can no longer be changed.".into(),
                ));
            }
            let list = recipients_mut(&mut s.details).ok_or(CoreError::NotFound)?;
            let r = list
                .iter_mut()
                .find(|r| r.recipient == recipient)
                .ok_or(CoreError::NotFound)?;
            r.notified_on = told;
            r.not_notified_reason = Some(reason).filter(|x| !x.is_empty());
            Ok(format!("recipient {recipient}"))
        })
        .await
    }
}
