//! A request as stored: every column of its row, read back into the domain types (the
//! request, its requester and its clock) and written out as a readable version snapshot.

use chrono::NaiveDate;
use serde_json::json;
use steward_core::time::{iso_date, parse_iso_date};
use steward_core::{CoreError, CoreResult};
use steward_db::{AnyRow, Row, Tx};

use super::codes::{
    channel_code, evidence_kind, exemption_code, parse_channel, parse_status, proxy_kind,
    status_label,
};
use super::input::lines;
use crate::checklist::CompletedStep;
use crate::clock::{Clock, ClockSettings, Extension, ExtensionGround, Pause, Period};
use crate::closure::{
    Closure, DisclosedItem, OtherProvidersPolicy, Outcome, SeriousHarmOpinion, WithheldItem,
};
use crate::identity::PatientIdentity;
use crate::request::{
    AuthorityEvidence, Channel, Proxy, RecipientNotification, RequestDetails, RequestStatus,
    Requester, RightsRequest,
};

/// Every column of a stored request.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub(super) id: String,
    pub(super) organisation_id: String,
    pub(super) organisation_name: String,
    pub(super) reference: String,
    pub(super) details: RequestDetails,
    pub(super) channel: Channel,
    pub(super) requester_kind: String,
    pub(super) proxy_name: String,
    pub(super) proxy_organisation: String,
    pub(super) authority_evidence_kind: Option<String>,
    pub(super) authority_evidence: String,
    pub(super) subject: PatientIdentity,
    pub(super) subject_phone: String,
    pub(super) subject_email: String,
    pub(super) subject_aliases: String,
    pub(super) received_on: NaiveDate,
    pub(super) identity_verified_on: Option<NaiveDate>,
    pub(super) identity_evidence: String,
    pub(super) authority_received_on: Option<NaiveDate>,
    pub(super) fee_received_on: Option<NaiveDate>,
    pub(super) period: Period,
    pub(super) due_soon_days: i64,
    pub(super) extension: Option<Extension>,
    pub(super) status: RequestStatus,
    pub(super) owner_id: String,
    pub(super) owner_name: String,
    pub(super) action_id: Option<String>,
    pub(super) serious_harm_professional: String,
    pub(super) serious_harm_given_on: Option<NaiveDate>,
    pub(super) serious_harm_likely: Option<bool>,
    pub(super) other_providers_policy: Option<String>,
    pub(super) other_providers: String,
    pub(super) prohibited_information: String,
    pub(super) closure_outcome: Option<String>,
    pub(super) refusal_reasons: String,
    pub(super) disclosed: Vec<DisclosedItem>,
    pub(super) withheld: Vec<WithheldItem>,
    pub(super) action_taken: String,
    pub(super) closed_on: Option<NaiveDate>,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) version: i64,
    pub(super) pauses: Vec<Pause>,
}

pub(super) const SELECT: &str = "SELECT r.*, o.name AS organisation_name, u.display_name AS owner_name FROM rights_requests r JOIN organisations o ON o.id = r.organisation_id JOIN users u ON u.id = r.owner_id";

pub(super) fn date_col(r: &AnyRow, col: &str) -> CoreResult<Option<NaiveDate>> {
    let v: Option<String> = r.try_get(col)?;
    Ok(v.as_deref().and_then(parse_iso_date))
}

pub(super) fn internal(what: &str, e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(format!("stored {what} is unreadable: {e}"))
}

pub(super) fn stored_from_row(r: &AnyRow) -> CoreResult<Stored> {
    let details: RequestDetails = serde_json::from_str(&r.try_get::<String, _>("details")?)
        .map_err(|e| internal("request details", e))?;
    let period = match r.try_get::<String, _>("period")?.as_str() {
        "twenty_eight_days" => Period::TwentyEightDays,
        _ => Period::CalendarMonth,
    };
    let extension = match (
        r.try_get::<Option<i64>, _>("extension_months")?,
        date_col(r, "extension_told_on")?,
        date_col(r, "extension_recorded_on")?,
    ) {
        (Some(m), Some(told), Some(recorded)) => Some(Extension {
            months: m.clamp(1, 2) as u8,
            ground: match r
                .try_get::<Option<String>, _>("extension_ground")?
                .as_deref()
            {
                Some("number_of_requests") => ExtensionGround::NumberOfRequests,
                _ => ExtensionGround::Complex,
            },
            reasons: r
                .try_get::<Option<String>, _>("extension_reasons")?
                .unwrap_or_default(),
            requester_told_on: told,
            recorded_on: recorded,
        }),
        _ => None,
    };
    let status_s: String = r.try_get("status")?;
    Ok(Stored {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        reference: r.try_get("reference")?,
        details,
        channel: parse_channel(&r.try_get::<String, _>("channel")?).unwrap_or(Channel::Letter),
        requester_kind: r.try_get("requester_kind")?,
        proxy_name: r.try_get("proxy_name")?,
        proxy_organisation: r.try_get("proxy_organisation")?,
        authority_evidence_kind: r.try_get("authority_evidence_kind")?,
        authority_evidence: r.try_get("authority_evidence")?,
        subject: PatientIdentity {
            patient_id: r.try_get("id")?,
            forenames: r.try_get("subject_forenames")?,
            surname: r.try_get("subject_surname")?,
            date_of_birth: date_col(r, "subject_date_of_birth")?,
            address: Some(r.try_get::<String, _>("subject_address")?).filter(|s| !s.is_empty()),
            postcode: Some(r.try_get::<String, _>("subject_postcode")?).filter(|s| !s.is_empty()),
            nhs_number: Some(r.try_get::<String, _>("subject_nhs_number")?)
                .filter(|s| !s.is_empty()),
        },
        subject_phone: r.try_get("subject_phone")?,
        subject_email: r.try_get("subject_email")?,
        subject_aliases: r.try_get("subject_aliases")?,
        received_on: date_col(r, "received_on")?
            .ok_or_else(|| internal("received date", "missing"))?,
        identity_verified_on: date_col(r, "identity_verified_on")?,
        identity_evidence: r.try_get("identity_evidence")?,
        authority_received_on: date_col(r, "authority_received_on")?,
        fee_received_on: date_col(r, "fee_received_on")?,
        period,
        due_soon_days: r.try_get("due_soon_days")?,
        extension,
        status: parse_status(&status_s).ok_or_else(|| internal("status", &status_s))?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        action_id: r.try_get("action_id")?,
        serious_harm_professional: r.try_get("serious_harm_professional")?,
        serious_harm_given_on: date_col(r, "serious_harm_given_on")?,
        serious_harm_likely: r
            .try_get::<Option<i64>, _>("serious_harm_likely")?
            .map(|v| v != 0),
        other_providers_policy: r.try_get("other_providers_policy")?,
        other_providers: r.try_get("other_providers")?,
        prohibited_information: r.try_get("prohibited_information")?,
        closure_outcome: r.try_get("closure_outcome")?,
        refusal_reasons: r.try_get("refusal_reasons")?,
        disclosed: serde_json::from_str(&r.try_get::<String, _>("disclosed")?)
            .map_err(|e| internal("disclosed list", e))?,
        withheld: serde_json::from_str(&r.try_get::<String, _>("withheld")?)
            .map_err(|e| internal("withheld list", e))?,
        action_taken: r.try_get("action_taken")?,
        closed_on: date_col(r, "closed_on")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
        pauses: Vec::new(),
    })
}

impl Stored {
    pub(super) fn requester(&self) -> Requester {
        match proxy_kind(&self.requester_kind) {
            None => Requester::DataSubject,
            Some(kind) => Requester::Proxy(Proxy {
                kind,
                name: self.proxy_name.clone(),
                organisation: Some(self.proxy_organisation.clone()).filter(|s| !s.is_empty()),
                evidence: self
                    .authority_evidence_kind
                    .as_deref()
                    .and_then(evidence_kind)
                    .map(|kind| AuthorityEvidence {
                        kind,
                        description: self.authority_evidence.clone(),
                    }),
            }),
        }
    }

    /// The clock as stored. Built through serde rather than replayed through `pause` and
    /// `extend`, so a stored request always loads; every change is checked by the clock's own
    /// methods before it is stored.
    pub(super) fn clock(&self) -> CoreResult<Clock> {
        let v = json!({
            "received_on": self.received_on,
            "identity_verified_on": self.identity_verified_on,
            "proxy_authority_received_on": if self.requester_kind == "data_subject" { None } else { self.authority_received_on },
            "fee_received_on": self.fee_received_on,
            "settings": ClockSettings {
                period: self.period,
                due_soon_days: self.due_soon_days.clamp(0, 60) as u32,
            },
            "pauses": self.pauses,
            "extension": self.extension,
        });
        serde_json::from_value(v).map_err(|e| internal("clock", e))
    }

    pub(super) fn domain(&self) -> CoreResult<RightsRequest> {
        Ok(RightsRequest {
            reference: self.reference.clone(),
            details: self.details.clone(),
            channel: self.channel,
            subject: self.subject.clone(),
            requester: self.requester(),
            status: self.status,
            clock: self.clock()?,
        })
    }

    /// Takes back what a domain operation changed: status, pauses and extension.
    pub(super) fn absorb(&mut self, r: &RightsRequest) {
        self.status = r.status;
        self.pauses = r.clock.pauses().to_vec();
        self.extension = r.clock.extension().cloned();
    }

    /// A readable snapshot for the version history.
    pub(super) fn snapshot(&self, steps: &[CompletedStep]) -> serde_json::Value {
        let d = |x: Option<NaiveDate>| x.map(iso_date).unwrap_or_default();
        json!({
            "reference": self.reference,
            "type": self.details.request_type().label(),
            "details": serde_json::to_string(&self.details).unwrap_or_default(),
            "channel": channel_code(self.channel),
            "requester": self.requester_kind,
            "proxy": format!("{} {}", self.proxy_name, self.proxy_organisation).trim(),
            "authority_evidence": format!("{} {}", self.authority_evidence_kind.clone().unwrap_or_default(), self.authority_evidence).trim(),
            "subject": self.subject.full_name(),
            "subject_date_of_birth": d(self.subject.date_of_birth),
            "subject_address": format!("{} {}", self.subject.address.clone().unwrap_or_default(), self.subject.postcode.clone().unwrap_or_default()).trim(),
            "subject_nhs_number": self.subject.nhs_number.clone().unwrap_or_default(),
            "received_on": iso_date(self.received_on),
            "identity_verified_on": d(self.identity_verified_on),
            "identity_evidence": self.identity_evidence,
            "authority_received_on": d(self.authority_received_on),
            "fee_received_on": d(self.fee_received_on),
            "period": match self.period { Period::CalendarMonth => "one calendar month", Period::TwentyEightDays => "28 days" },
            "pauses": self.pauses.iter().map(|p| format!("{} to {}: {}", iso_date(p.asked_on), d(p.received_on), p.question)).collect::<Vec<_>>().join("; "),
            "extension": self.extension.as_ref().map(|e| format!("{} month(s), told {}: {}", e.months, iso_date(e.requester_told_on), e.reasons)).unwrap_or_default(),
            "status": status_label(self.status),
            "owner": self.owner_name,
            "serious_harm_opinion": match (&self.serious_harm_given_on, self.serious_harm_likely) {
                (Some(on), Some(likely)) => format!("{} on {}: harm {}", self.serious_harm_professional, iso_date(*on), if likely { "likely" } else { "not likely" }),
                _ => String::new(),
            },
            "other_providers": format!("{} {}", self.other_providers_policy.clone().unwrap_or_default(), self.other_providers).trim(),
            "prohibited_information": self.prohibited_information,
            "checklist_done": steps.iter().map(|s| s.step_id.clone()).collect::<Vec<_>>().join(", "),
            "closure": self.closure_outcome.clone().unwrap_or_default(),
            "disclosed": self.disclosed.iter().map(|x| x.description.clone()).collect::<Vec<_>>().join("; "),
            "withheld": self.withheld.iter().map(|w| format!("{} ({}): {}", w.description, exemption_code(w.exemption), w.reason)).collect::<Vec<_>>().join("; "),
            "closed_on": d(self.closed_on),
            "version": self.version,
        })
    }
}

impl Stored {
    pub(super) fn closure_with(
        &self,
        outcome: Outcome,
        closed_on: NaiveDate,
        disclosed: Vec<DisclosedItem>,
        withheld: Vec<WithheldItem>,
        action_taken: &str,
    ) -> Closure {
        Closure {
            closed_on,
            outcome,
            disclosed,
            withheld,
            other_providers: match self.other_providers_policy.as_deref() {
                Some("release_all") => Some(OtherProvidersPolicy::ReleaseAll),
                Some("filter_and_signpost") => Some(OtherProvidersPolicy::FilterAndSignpost {
                    providers: lines(&self.other_providers),
                }),
                _ => None,
            },
            serious_harm_opinion: match (self.serious_harm_given_on, self.serious_harm_likely) {
                (Some(given_on), Some(harm_likely)) => Some(SeriousHarmOpinion {
                    professional: self.serious_harm_professional.clone(),
                    given_on,
                    harm_likely,
                }),
                _ => None,
            },
            action_taken: Some(action_taken.to_string()).filter(|s| !s.is_empty()),
        }
    }
}

pub(super) fn recipients_mut(d: &mut RequestDetails) -> Option<&mut Vec<RecipientNotification>> {
    match d {
        RequestDetails::Rectification { recipients, .. }
        | RequestDetails::Erasure { recipients, .. }
        | RequestDetails::Restriction { recipients, .. } => Some(recipients),
        _ => None,
    }
}

pub(super) async fn load_pauses(
    exec: &mut Tx<'static>,
    request_id: &str,
) -> CoreResult<Vec<Pause>> {
    let rows = steward_db::query(
        "SELECT asked_on, question, received_on FROM rights_request_pauses WHERE request_id = $1 ORDER BY asked_on",
    )
    .bind(request_id)
    .fetch_all(&mut **exec)
    .await?;
    pauses_from(&rows)
}

pub(super) fn pauses_from(rows: &[AnyRow]) -> CoreResult<Vec<Pause>> {
    rows.iter()
        .map(|r| {
            Ok(Pause {
                asked_on: date_col(r, "asked_on")?
                    .ok_or_else(|| internal("pause", "no date asked"))?,
                question: r.try_get("question")?,
                received_on: date_col(r, "received_on")?,
            })
        })
        .collect()
}

pub(super) fn steps_from(rows: &[AnyRow]) -> CoreResult<Vec<(CompletedStep, String)>> {
    rows.iter()
        .map(|r| {
            Ok((
                CompletedStep {
                    step_id: r.try_get("step_id")?,
                    completed_on: date_col(r, "completed_on")?
                        .ok_or_else(|| internal("step", "no date"))?,
                    by: r.try_get("user_id")?,
                    note: Some(r.try_get::<String, _>("note")?).filter(|s| !s.is_empty()),
                },
                r.try_get::<Option<String>, _>("display_name")?
                    .unwrap_or_default(),
            ))
        })
        .collect()
}
