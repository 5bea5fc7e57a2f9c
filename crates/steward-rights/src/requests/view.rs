//! A request as Steward shows it (pages and API alike): the stored facts and the clock
//! worked out for today.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_core::time::iso_date;
use steward_core::CoreResult;

use super::calendar;
use super::codes::{
    channel_code, exemption_code, start_event_label, status_code, status_label, type_code,
    type_title, CHANNELS, REQUESTERS,
};
use super::stored::Stored;
use crate::clock::{ClockStatus, ExtensionGround, Period};
use crate::request::{
    AccessScope, ObjectionKind, RecipientNotification, RequestDetails, RequestStatus,
};

/// One checklist step with whether it is done.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepState {
    pub id: String,
    pub title: String,
    pub guidance: Option<String>,
    /// admin or clinician
    pub role: String,
    pub required: bool,
    pub reference: Option<String>,
    pub done_on: Option<NaiveDate>,
    pub done_by: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PauseView {
    pub asked_on: NaiveDate,
    pub question: String,
    pub received_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExtensionView {
    pub months: i64,
    /// complex or number_of_requests
    pub ground: String,
    pub reasons: String,
    pub requester_told_on: NaiveDate,
    pub recorded_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WarningView {
    pub name: String,
    pub message: String,
    /// "another request" or "clinical-system search"
    pub source: String,
}

/// A recipient to tell of a rectification, erasure or restriction (UK GDPR Art 19).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecipientView {
    pub recipient: String,
    pub notified_on: Option<NaiveDate>,
    pub not_notified_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WithheldView {
    pub description: String,
    pub exemption: String,
    pub exemption_title: String,
    pub legal_reference: String,
    pub reason: String,
}

/// A rights request as Steward shows it: the stored facts and the clock worked out for today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestRecord {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub reference: String,
    pub request_type: String,
    pub type_label: String,
    pub channel: String,
    pub requester_kind: String,
    pub proxy_name: String,
    pub proxy_organisation: String,
    pub authority_evidence_kind: Option<String>,
    pub authority_evidence: String,
    pub subject_forenames: String,
    pub subject_surname: String,
    pub subject_date_of_birth: Option<NaiveDate>,
    pub subject_address: String,
    pub subject_postcode: String,
    pub subject_nhs_number: String,
    pub subject_phone: String,
    pub subject_email: String,
    pub subject_aliases: String,
    /// What is asked, in the requester's words.
    pub what: String,
    pub recipients: String,
    /// Each recipient and whether it has been told (or why not).
    pub recipient_states: Vec<RecipientView>,
    pub objection_kind: String,
    pub received_on: NaiveDate,
    pub identity_verified_on: Option<NaiveDate>,
    pub identity_evidence: String,
    pub authority_received_on: Option<NaiveDate>,
    pub fee_received_on: Option<NaiveDate>,
    pub twenty_eight_days: bool,
    pub status: String,
    pub status_label: String,
    pub closed: bool,
    /// The clock: when it started and why, the due date as of today.
    pub start_date: NaiveDate,
    pub start_reason: String,
    pub due_on: NaiveDate,
    /// The statutory first month (extensions must be told and recorded by then).
    pub first_month_due: NaiveDate,
    pub days_remaining: i64,
    /// on_track, due_soon, overdue or paused (None once closed)
    pub clock_status: Option<String>,
    pub paused_days: i64,
    pub pauses: Vec<PauseView>,
    pub extension: Option<ExtensionView>,
    /// "bank holidays not loaded for 2029" when the due date is beyond the data file.
    pub calendar_gap: Option<String>,
    pub owner_id: String,
    pub owner_name: String,
    pub action_id: Option<String>,
    pub serious_harm_professional: String,
    pub serious_harm_given_on: Option<NaiveDate>,
    pub serious_harm_likely: Option<bool>,
    pub other_providers_policy: Option<String>,
    pub other_providers: String,
    pub prohibited_information: String,
    pub closure_outcome: Option<String>,
    pub refusal_reasons: String,
    pub disclosed: Vec<String>,
    pub withheld: Vec<WithheldView>,
    pub action_taken: String,
    pub closed_on: Option<NaiveDate>,
    pub next_statuses: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl RequestRecord {
    pub fn subject_name(&self) -> String {
        format!("{} {}", self.subject_forenames, self.subject_surname)
            .trim()
            .to_string()
    }
    pub fn is_overdue(&self) -> bool {
        self.clock_status.as_deref() == Some("overdue")
    }
    pub fn is_due_soon(&self) -> bool {
        self.clock_status.as_deref() == Some("due_soon")
    }
    pub fn is_paused(&self) -> bool {
        self.clock_status.as_deref() == Some("paused")
    }
    pub fn is_access(&self) -> bool {
        self.request_type == "access"
    }
    pub fn is_proxy(&self) -> bool {
        self.requester_kind != "data_subject"
    }
    pub fn requester_label(&self) -> String {
        match REQUESTERS.iter().find(|(c, _)| *c == self.requester_kind) {
            Some(("data_subject", l)) => l.to_string(),
            Some((_, l)) => {
                let who = [self.proxy_name.as_str(), self.proxy_organisation.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{l}: {who}")
            }
            None => self.requester_kind.clone(),
        }
    }
    pub fn channel_label(&self) -> &'static str {
        CHANNELS
            .iter()
            .find(|(c, _)| *c == self.channel)
            .map(|(_, l)| *l)
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestPage {
    pub items: Vec<RequestRecord>,
    pub total: i64,
    pub page: i64,
    /// How many items a page holds.
    pub size: i64,
    pub pages: i64,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// A status code, "open" (not closed), "overdue", or empty for all.
    #[param(
        pattern = "^(|all|open|overdue|received|awaiting_identity|awaiting_authority|awaiting_fee|in_progress|awaiting_clarification|clinician_review|ready_to_send|completed|refused|withdrawn)$"
    )]
    pub status: Option<String>,
    /// access, rectification, erasure, restriction or objection
    #[param(pattern = "^(|access|rectification|erasure|restriction|objection)$")]
    pub request_type: Option<String>,
    /// The page, from 1 (default 1); past the last, the last.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// How many items a page holds (default 25, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub size: Option<i64>,
}

/// Counts for the dashboard.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RequestSummary {
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub paused: i64,
    /// The most urgent open requests (overdue first, then by due date).
    pub next: Vec<RequestRecord>,
}

impl Stored {
    pub(super) fn record(&self, today: NaiveDate) -> CoreResult<RequestRecord> {
        let cal = calendar();
        let domain = self.domain()?;
        let clock = &domain.clock;
        let closed = self.status.is_closed();
        let as_of = self.closed_on.unwrap_or(today);
        let due_on = clock.due_date_as_of(as_of, cal);
        let clock_status = (!closed).then(|| {
            match clock.status(today, cal) {
                ClockStatus::OnTrack => "on_track",
                ClockStatus::DueSoon => "due_soon",
                ClockStatus::Overdue => "overdue",
                ClockStatus::Paused => "paused",
            }
            .to_string()
        });
        let (what, recipients, objection_kind) = details_fields(&self.details);
        Ok(RequestRecord {
            id: self.id.clone(),
            organisation_id: self.organisation_id.clone(),
            organisation_name: self.organisation_name.clone(),
            reference: self.reference.clone(),
            request_type: type_code(self.details.request_type()).into(),
            type_label: type_title(self.details.request_type()),
            channel: channel_code(self.channel).into(),
            requester_kind: self.requester_kind.clone(),
            proxy_name: self.proxy_name.clone(),
            proxy_organisation: self.proxy_organisation.clone(),
            authority_evidence_kind: self.authority_evidence_kind.clone(),
            authority_evidence: self.authority_evidence.clone(),
            subject_forenames: self.subject.forenames.clone(),
            subject_surname: self.subject.surname.clone(),
            subject_date_of_birth: self.subject.date_of_birth,
            subject_address: self.subject.address.clone().unwrap_or_default(),
            subject_postcode: self.subject.postcode.clone().unwrap_or_default(),
            subject_nhs_number: self.subject.nhs_number.clone().unwrap_or_default(),
            subject_phone: self.subject_phone.clone(),
            subject_email: self.subject_email.clone(),
            subject_aliases: self.subject_aliases.clone(),
            what,
            recipients,
            recipient_states: self
                .details
                .recipients()
                .iter()
                .map(|r| RecipientView {
                    recipient: r.recipient.clone(),
                    notified_on: r.notified_on,
                    not_notified_reason: r.not_notified_reason.clone(),
                })
                .collect(),
            objection_kind,
            received_on: self.received_on,
            identity_verified_on: self.identity_verified_on,
            identity_evidence: self.identity_evidence.clone(),
            authority_received_on: self.authority_received_on,
            fee_received_on: self.fee_received_on,
            twenty_eight_days: self.period == Period::TwentyEightDays,
            status: status_code(self.status).into(),
            status_label: status_label(self.status).into(),
            closed,
            start_date: clock.start_date(),
            start_reason: start_event_label(clock.start_event()).into(),
            due_on,
            first_month_due: clock.first_month_due(as_of, cal),
            days_remaining: clock.days_remaining(today, cal),
            clock_status,
            paused_days: clock.paused_days(Some(as_of)),
            pauses: self
                .pauses
                .iter()
                .map(|p| PauseView {
                    asked_on: p.asked_on,
                    question: p.question.clone(),
                    received_on: p.received_on,
                })
                .collect(),
            extension: self.extension.as_ref().map(|e| ExtensionView {
                months: e.months as i64,
                ground: match e.ground {
                    ExtensionGround::Complex => "complex".into(),
                    ExtensionGround::NumberOfRequests => "number_of_requests".into(),
                },
                reasons: e.reasons.clone(),
                requester_told_on: e.requester_told_on,
                recorded_on: e.recorded_on,
            }),
            calendar_gap: clock.calendar_gap(as_of, cal).map(|g| g.to_string()),
            owner_id: self.owner_id.clone(),
            owner_name: self.owner_name.clone(),
            action_id: self.action_id.clone(),
            serious_harm_professional: self.serious_harm_professional.clone(),
            serious_harm_given_on: self.serious_harm_given_on,
            serious_harm_likely: self.serious_harm_likely,
            other_providers_policy: self.other_providers_policy.clone(),
            other_providers: self.other_providers.clone(),
            prohibited_information: self.prohibited_information.clone(),
            closure_outcome: self.closure_outcome.clone(),
            refusal_reasons: self.refusal_reasons.clone(),
            disclosed: self
                .disclosed
                .iter()
                .map(|d| d.description.clone())
                .collect(),
            withheld: self
                .withheld
                .iter()
                .map(|w| WithheldView {
                    description: w.description.clone(),
                    exemption: exemption_code(w.exemption).into(),
                    exemption_title: w.exemption.title().into(),
                    legal_reference: w.exemption.legal_reference().into(),
                    reason: w.reason.clone(),
                })
                .collect(),
            action_taken: self.action_taken.clone(),
            closed_on: self.closed_on,
            next_statuses: self
                .status
                .next()
                .iter()
                // Pausing and closing have their own forms: they record more than a status.
                .filter(|s| {
                    !matches!(
                        s,
                        RequestStatus::AwaitingClarification
                            | RequestStatus::Completed
                            | RequestStatus::Refused
                    )
                })
                .map(|s| status_code(*s).to_string())
                .collect(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            version: self.version,
        })
    }
}

pub(super) fn details_fields(d: &RequestDetails) -> (String, String, String) {
    let lines = |r: &[RecipientNotification]| {
        r.iter()
            .map(|x| x.recipient.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    match d {
        RequestDetails::Access { scope } => (
            match scope {
                AccessScope::FullRecord => String::new(),
                AccessScope::Specific { description } => description.clone(),
                AccessScope::DateRange { from, to } => format!(
                    "From {} to {}",
                    from.map(iso_date).unwrap_or_default(),
                    to.map(iso_date).unwrap_or_default()
                ),
            },
            String::new(),
            String::new(),
        ),
        RequestDetails::Rectification {
            corrections,
            recipients,
        } => (corrections.clone(), lines(recipients), String::new()),
        RequestDetails::Erasure { what, recipients }
        | RequestDetails::Restriction { what, recipients } => {
            (what.clone(), lines(recipients), String::new())
        }
        RequestDetails::Objection { objection } => {
            let (code, what) = match objection {
                ObjectionKind::Type1OptOut => ("type1_opt_out", String::new()),
                ObjectionKind::Type1OptOutWithdrawal => ("type1_opt_out_withdrawal", String::new()),
                ObjectionKind::NationalDataOptOut => ("national_data_opt_out", String::new()),
                ObjectionKind::DirectMarketing => ("direct_marketing", String::new()),
                ObjectionKind::Other { processing } => ("other", processing.clone()),
            };
            (what, String::new(), code.into())
        }
    }
}
