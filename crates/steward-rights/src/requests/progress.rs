//! Moving a request on through its statuses, its checklist, and the clinician's review.

use chrono::NaiveDate;
use steward_core::time::{iso_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult, FieldErrors, Permit};

use super::codes::{parse_status, status_code, status_label};
use super::input::{limit, lines, not_future, opt_date, ClinicianReviewInput};
use super::stored::steps_from;
use super::view::{RequestRecord, StepState};
use super::{checklist, is_clinician, Rights, KIND, RECORD_TYPE};
use crate::checklist::{ChecklistStep, StepRole};
use crate::request::RequestStatus;

/// A move the request's current status does not allow: the request is valid, the record's
/// state forbids it, so a conflict (409), not invalid input.
pub(super) fn status_conflict(from: RequestStatus, to: RequestStatus) -> CoreError {
    CoreError::Conflict(format!(
        "A request that is {} cannot move to {}",
        status_label(from).to_lowercase(),
        status_label(to).to_lowercase()
    ))
}

impl Rights<'_> {
    /// Moves the request on (the lifecycle of [`RequestStatus::next`]). Pausing and closing
    /// have their own functions.
    pub async fn move_request(
        &self,
        caller: &Caller,
        id: &str,
        to: &str,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let target = parse_status(to.trim())
            .filter(|s| {
                !matches!(
                    s,
                    RequestStatus::AwaitingClarification
                        | RequestStatus::Completed
                        | RequestStatus::Refused
                )
            })
            .ok_or_else(|| CoreError::invalid("status", "Select what happens next"))?;
        self.change(caller, id, None, today, "record.update", move |s| {
            let mut r = s.domain()?;
            r.move_to(target)
                .map_err(|_| status_conflict(s.status, target))?;
            s.absorb(&r);
            Ok(format!("status {}", status_code(target)))
        })
        .await
    }

    /// The checklist of this request with what is done: admin steps and the clinician's
    /// review apart.
    pub async fn steps(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<StepState>> {
        let id = permit.id();
        let mut tx = self.steward.db.begin().await?;
        let s = self.stored_in(&mut tx, id).await?;
        let rows = steward_db::query(
            "SELECT s.*, u.display_name FROM rights_request_steps s LEFT JOIN users u ON u.id = s.user_id WHERE s.request_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let done = steps_from(&rows)?;
        let r = s.domain()?;
        Ok(checklist()
            .steps_for(r.request_type(), &r.requester)
            .into_iter()
            .map(|st| {
                let d = done.iter().find(|(c, _)| c.step_id == st.id);
                StepState {
                    id: st.id.clone(),
                    title: st.title.clone(),
                    guidance: st.guidance.clone(),
                    role: match st.role {
                        StepRole::Admin => "admin".into(),
                        StepRole::Clinician => "clinician".into(),
                    },
                    required: st.required,
                    reference: st.reference.clone(),
                    done_on: d.map(|(c, _)| c.completed_on),
                    done_by: d.map(|(_, n)| n.clone()),
                    note: d.and_then(|(c, _)| c.note.clone()),
                }
            })
            .collect())
    }

    /// Marks a checklist step done. Clinician steps need a clinician or the Caldicott
    /// Guardian: the serious harm test is the appropriate health professional's opinion.
    pub async fn complete_step(
        &self,
        caller: &Caller,
        id: &str,
        step_id: &str,
        note: &str,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        let org = self
            .steward
            .permit::<ops::Change>(caller, KIND, id)
            .await?
            .organisation_id()
            .to_string();
        let mut w = self.steward.write().await?;
        let s = self.stored_in(&mut w.tx, id).await?;
        if s.status.is_closed() {
            return Err(CoreError::Conflict(
                "This request is closed; it can no longer be changed.".into(),
            ));
        }
        let r = s.domain()?;
        let step: &ChecklistStep = checklist()
            .steps_for(r.request_type(), &r.requester)
            .into_iter()
            .find(|st| st.id == step_id)
            // The step is named in the path: one the checklist does not have is not found.
            .ok_or(CoreError::NotFound)?;
        if step.role == StepRole::Clinician && !is_clinician(caller.role) {
            return Err(CoreError::Forbidden);
        }
        if note.trim().chars().count() > 2000 {
            return Err(CoreError::invalid(
                "note",
                "Note must be 2,000 characters or fewer",
            ));
        }
        steward_db::query(
            "DELETE FROM rights_request_steps WHERE request_id = $1 AND step_id = $2",
        )
        .bind(id)
        .bind(step_id)
        .execute(&mut *w.tx)
        .await?;
        steward_db::query(
            "INSERT INTO rights_request_steps (request_id, step_id, organisation_id, completed_on, user_id, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(step_id)
        .bind(&org)
        .bind(iso_date(today))
        .bind(&caller.user_id)
        .bind(note.trim())
        .bind(now_stamp())
        .execute(&mut *w.tx)
        .await?;
        let s = self.save(&mut w.tx, caller, s, None, today).await?;
        let mut e = TrailEntry::for_record(caller, "rights.step_done", &org, RECORD_TYPE, id);
        e.detail = step_id.to_string();
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        s.record(today)
    }

    /// The clinician's review: serious harm opinion, other providers' information, and
    /// information the law forbids disclosing. Clinicians and the Caldicott Guardian only.
    pub async fn record_clinician_review(
        &self,
        caller: &Caller,
        id: &str,
        input: &ClinicianReviewInput,
        today: NaiveDate,
    ) -> CoreResult<RequestRecord> {
        // The gate's "advise" right: clinicians and the Caldicott Guardian.
        self.steward.permit::<ops::Advise>(caller, KIND, id).await?;
        let mut e = FieldErrors::default();
        let given = opt_date(
            &mut e,
            "serious_harm_given_on",
            &input.serious_harm_given_on,
            "The date of the opinion",
        );
        not_future(
            &mut e,
            "serious_harm_given_on",
            given,
            today,
            "The date of the opinion",
        );
        let likely = match input.serious_harm_likely.trim() {
            "yes" => Some(true),
            "no" => Some(false),
            "" => None,
            _ => {
                e.add(
                    "serious_harm_likely",
                    "Select whether serious harm is likely",
                );
                None
            }
        };
        if (given.is_some() || likely.is_some())
            && input.serious_harm_professional.trim().is_empty()
        {
            e.add("serious_harm_professional", "Enter who gave the opinion");
        }
        if given.is_some() != likely.is_some() {
            if given.is_none() {
                e.add("serious_harm_given_on", "Enter the date of the opinion");
            } else {
                e.add(
                    "serious_harm_likely",
                    "Select whether serious harm is likely",
                );
            }
        }
        let policy = match input.other_providers_policy.trim() {
            "" => None,
            p @ ("release_all" | "filter_and_signpost") => Some(p.to_string()),
            _ => {
                e.add(
                    "other_providers_policy",
                    "Select what is done with other providers' information",
                );
                None
            }
        };
        if policy.as_deref() == Some("filter_and_signpost")
            && lines(&input.other_providers).is_empty()
        {
            e.add(
                "other_providers",
                "Name the providers the requester can ask",
            );
        }
        limit(
            &mut e,
            "serious_harm_professional",
            input.serious_harm_professional.trim(),
            200,
            "Name",
        );
        limit(
            &mut e,
            "other_providers",
            input.other_providers.trim(),
            2000,
            "Providers",
        );
        limit(
            &mut e,
            "prohibited_information",
            input.prohibited_information.trim(),
            5000,
            "Information the law forbids disclosing",
        );
        e.into_result()?;
        let input = input.clone();
        self.change(
            caller,
            id,
            None,
            today,
            "rights.clinician_review",
            move |s| {
                if s.status.is_closed() {
                    return Err(CoreError::Conflict(
                        "This request is closed; it can no longer be changed.".into(),
                    ));
                }
                s.serious_harm_professional = input.serious_harm_professional.trim().into();
                s.serious_harm_given_on = given;
                s.serious_harm_likely = likely;
                s.other_providers_policy = policy;
                s.other_providers = lines(&input.other_providers).join("\n");
                s.prohibited_information = input.prohibited_information.trim().into();
                Ok(String::new())
            },
        )
        .await
    }
}
