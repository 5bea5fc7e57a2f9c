//! The request workflow over Steward's storage (feature `service`): logging a request, its
//! identity and authority steps, the clock (pauses, extension), the checklist, the clinician's
//! review, closure and the response letter.
//!
//! Access is the core gate's ([`steward_core::gate`]): reads take a [`Permit`] to read the
//! request, every change asks the gate for a permit to change it (the auditor is read-only),
//! and the clinician's review steps also need a clinician or the Caldicott Guardian. Every create, change and
//! view goes in the audit trail; every change is a new version in the record history.
//!
//! The rules themselves are the pure modules' ([`crate::clock`], [`crate::checklist`],
//! [`crate::closure`], [`crate::identity`]); this module stores and loads what they need.

use std::sync::OnceLock;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use steward_core::records::record_version;
use steward_core::time::{iso_date, now_stamp, parse_iso_date};
use steward_core::trail::{append, TrailEntry};
use steward_core::{
    ops, Caller, CoreError, CoreResult, FieldErrors, Kind, Op, Permit, Role, Steward,
};
use steward_db::{AnyRow, Row, Tx};

use crate::calendar::BankHolidays;
use crate::checklist::{Checklist, ChecklistStep, CompletedStep, StepRole};
use crate::clock::{
    Clock, ClockSettings, ClockStatus, Extension, ExtensionGround, Pause, Period, StartEvent,
};
use crate::closure::{
    response_letter, Closure, DisclosedItem, Exemption, Letter, Organisation, OtherProvidersPolicy,
    Outcome, SeriousHarmOpinion, WithheldItem,
};
use crate::identity::{namesake_warnings, NamesakeWarning, PatientIdentity};
use crate::request::{
    AccessScope, AuthorityEvidence, AuthorityEvidenceKind, Channel, ObjectionKind, Proxy,
    ProxyKind, RecipientNotification, RequestDetails, RequestStatus, RequestType, Requester,
    RightsRequest,
};

/// The record type in the audit trail, history, attachments and comments.
pub const RECORD_TYPE: &str = "rights_request";
/// Rights requests in the gate's policy table.
pub const KIND: Kind = Kind::RightsRequest;
pub const PAGE_SIZE: i64 = 25;

/// England and Wales bank holidays shipped with Steward (data/bank-holidays-england-wales.csv).
pub fn calendar() -> &'static BankHolidays {
    static C: OnceLock<BankHolidays> = OnceLock::new();
    C.get_or_init(BankHolidays::embedded)
}

/// The checklist shipped with Steward (data/checklist.toml).
pub fn checklist() -> &'static Checklist {
    static C: OnceLock<Checklist> = OnceLock::new();
    C.get_or_init(Checklist::embedded)
}

/// Request-type, channel, requester and status names as the forms and the API spell them.
pub fn type_code(t: RequestType) -> &'static str {
    match t {
        RequestType::Access => "access",
        RequestType::Rectification => "rectification",
        RequestType::Erasure => "erasure",
        RequestType::Restriction => "restriction",
        RequestType::Objection => "objection",
    }
}

pub fn parse_type(s: &str) -> Option<RequestType> {
    RequestType::ALL.into_iter().find(|t| type_code(*t) == s)
}

/// "Subject access request" for headings.
pub fn type_title(t: RequestType) -> String {
    let l = t.label();
    let mut c = l.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub const CHANNELS: [(&str, &str); 4] = [
    ("letter", "Letter"),
    ("email", "Email"),
    ("online_form", "Online form"),
    ("verbal", "Verbal (in person or by telephone)"),
];

pub fn channel_code(c: Channel) -> &'static str {
    match c {
        Channel::Letter => "letter",
        Channel::Email => "email",
        Channel::OnlineForm => "online_form",
        Channel::Verbal => "verbal",
    }
}

fn parse_channel(s: &str) -> Option<Channel> {
    match s {
        "letter" => Some(Channel::Letter),
        "email" => Some(Channel::Email),
        "online_form" => Some(Channel::OnlineForm),
        "verbal" => Some(Channel::Verbal),
        _ => None,
    }
}

pub const REQUESTERS: [(&str, &str); 5] = [
    ("data_subject", "The patient"),
    ("solicitor", "A solicitor acting for the patient"),
    ("parent_for_child", "A parent for a child"),
    ("attorney", "An attorney or deputy"),
    ("insurer", "An insurer"),
];

fn proxy_kind(s: &str) -> Option<ProxyKind> {
    match s {
        "solicitor" => Some(ProxyKind::Solicitor),
        "parent_for_child" => Some(ProxyKind::ParentForChild),
        "attorney" => Some(ProxyKind::Attorney),
        "insurer" => Some(ProxyKind::Insurer),
        _ => None,
    }
}

pub const EVIDENCE_KINDS: [(&str, &str); 5] = [
    ("signed_patient_authority", "The patient's signed authority"),
    (
        "parental_responsibility",
        "Evidence of parental responsibility",
    ),
    (
        "lasting_power_of_attorney",
        "Registered lasting power of attorney",
    ),
    ("court_order", "Court order (deputy or other)"),
    ("other", "Other"),
];

fn evidence_kind(s: &str) -> Option<AuthorityEvidenceKind> {
    match s {
        "signed_patient_authority" => Some(AuthorityEvidenceKind::SignedPatientAuthority),
        "parental_responsibility" => Some(AuthorityEvidenceKind::ParentalResponsibility),
        "lasting_power_of_attorney" => Some(AuthorityEvidenceKind::LastingPowerOfAttorney),
        "court_order" => Some(AuthorityEvidenceKind::CourtOrder),
        "other" => Some(AuthorityEvidenceKind::Other),
        _ => None,
    }
}

pub const OBJECTIONS: [(&str, &str); 5] = [
    (
        "type1_opt_out",
        "Type 1 opt-out (GP data beyond individual care)",
    ),
    ("type1_opt_out_withdrawal", "Withdrawal of a Type 1 opt-out"),
    ("national_data_opt_out", "National Data Opt-out"),
    ("direct_marketing", "Direct marketing"),
    ("other", "Other processing (describe it)"),
];

pub fn status_code(s: RequestStatus) -> &'static str {
    use RequestStatus::*;
    match s {
        Received => "received",
        AwaitingIdentity => "awaiting_identity",
        AwaitingAuthority => "awaiting_authority",
        AwaitingFee => "awaiting_fee",
        InProgress => "in_progress",
        AwaitingClarification => "awaiting_clarification",
        ClinicianReview => "clinician_review",
        ReadyToSend => "ready_to_send",
        Completed => "completed",
        Refused => "refused",
        Withdrawn => "withdrawn",
    }
}

pub const ALL_STATUSES: [RequestStatus; 11] = [
    RequestStatus::Received,
    RequestStatus::AwaitingIdentity,
    RequestStatus::AwaitingAuthority,
    RequestStatus::AwaitingFee,
    RequestStatus::InProgress,
    RequestStatus::AwaitingClarification,
    RequestStatus::ClinicianReview,
    RequestStatus::ReadyToSend,
    RequestStatus::Completed,
    RequestStatus::Refused,
    RequestStatus::Withdrawn,
];

pub fn parse_status(s: &str) -> Option<RequestStatus> {
    ALL_STATUSES.into_iter().find(|x| status_code(*x) == s)
}

pub fn status_label(s: RequestStatus) -> &'static str {
    use RequestStatus::*;
    match s {
        Received => "Received",
        AwaitingIdentity => "Awaiting proof of identity",
        AwaitingAuthority => "Awaiting authority",
        AwaitingFee => "Awaiting fee",
        InProgress => "In progress",
        AwaitingClarification => "Paused: awaiting clarification",
        ClinicianReview => "Clinician's review",
        ReadyToSend => "Ready to send",
        Completed => "Completed",
        Refused => "Refused",
        Withdrawn => "Withdrawn",
    }
}

pub fn start_event_label(e: StartEvent) -> &'static str {
    match e {
        StartEvent::RequestReceived => "the day the request was received",
        StartEvent::IdentityVerified => "the day identity was verified",
        StartEvent::ProxyAuthorityReceived => "the day evidence of authority was received",
        StartEvent::FeeReceived => "the day the fee was received",
    }
}

/// What a person enters to log or change a request (form and API alike). Dates are
/// YYYY-MM-DD; empty strings mean "not given".
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RequestInput {
    /// access, rectification, erasure, restriction or objection
    pub request_type: String,
    /// letter, email, online_form or verbal
    pub channel: String,
    /// data_subject, solicitor, parent_for_child, attorney or insurer
    pub requester_kind: String,
    pub proxy_name: String,
    pub proxy_organisation: String,
    pub subject_forenames: String,
    pub subject_surname: String,
    pub subject_date_of_birth: String,
    pub subject_address: String,
    pub subject_postcode: String,
    pub subject_nhs_number: String,
    pub subject_phone: String,
    pub subject_email: String,
    /// Other names the subject is known by, one per line.
    pub subject_aliases: String,
    pub received_on: String,
    /// What is asked: the access scope in the requester's words (empty: the full record),
    /// the corrections, or what to erase or restrict.
    pub what: String,
    /// Recipients to tell of a rectification, erasure or restriction, one per line (Art 19).
    pub recipients: String,
    /// For objections: type1_opt_out, type1_opt_out_withdrawal, national_data_opt_out,
    /// direct_marketing or other.
    pub objection_kind: String,
    /// Who handles the request (gets the linked action).
    pub owner_id: String,
}

/// Identity, authority and fee: the clock's start events.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct StartEventsInput {
    pub identity_verified_on: String,
    /// The evidence seen, e.g. "passport and council tax bill, seen at reception".
    pub identity_evidence: String,
    pub authority_received_on: String,
    /// signed_patient_authority, parental_responsibility, lasting_power_of_attorney,
    /// court_order or other
    pub authority_evidence_kind: String,
    pub authority_evidence: String,
    pub fee_received_on: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ExtensionInput {
    /// 1 or 2
    pub months: String,
    /// complex or number_of_requests
    pub ground: String,
    pub reasons: String,
    pub requester_told_on: String,
}

/// The clinician's review: serious harm test, other providers' information, and information
/// the law forbids disclosing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ClinicianReviewInput {
    pub serious_harm_professional: String,
    pub serious_harm_given_on: String,
    /// "yes" or "no"
    pub serious_harm_likely: String,
    /// release_all or filter_and_signpost
    pub other_providers_policy: String,
    /// Providers the requester can ask, one per line (when filtering).
    pub other_providers: String,
    pub prohibited_information: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct WithheldInput {
    pub description: String,
    /// third_party_information, serious_harm, subjects_expectations,
    /// human_fertilisation_and_embryology, adoption_records, other_prohibited_by_enactment
    pub exemption: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ClosureInput {
    /// answered, nothing_held or refused
    pub outcome: String,
    pub refusal_reasons: String,
    pub closed_on: String,
    /// One item per line.
    pub disclosed: String,
    pub withheld: Vec<WithheldInput>,
    /// For rectification, erasure, restriction and objection.
    pub action_taken: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NamesakeInput {
    pub forenames: String,
    pub surname: String,
    pub date_of_birth: String,
    pub address: String,
    pub postcode: String,
}

pub fn exemption_code(e: Exemption) -> &'static str {
    match e {
        Exemption::ThirdPartyInformation => "third_party_information",
        Exemption::SeriousHarm => "serious_harm",
        Exemption::SubjectsExpectations => "subjects_expectations",
        Exemption::HumanFertilisationAndEmbryology => "human_fertilisation_and_embryology",
        Exemption::AdoptionRecords => "adoption_records",
        Exemption::OtherProhibitedByEnactment => "other_prohibited_by_enactment",
    }
}

fn parse_exemption(s: &str) -> Option<Exemption> {
    Exemption::ALL.into_iter().find(|e| exemption_code(*e) == s)
}

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
    pub pages: i64,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// A status code, "open" (not closed), "overdue", or empty for all.
    pub status: Option<String>,
    /// access, rectification, erasure, restriction or objection
    pub request_type: Option<String>,
    pub page: Option<i64>,
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

// ---------------------------------------------------------------- storage

/// Every column of a stored request.
#[derive(Debug, Clone)]
struct Stored {
    id: String,
    organisation_id: String,
    organisation_name: String,
    reference: String,
    details: RequestDetails,
    channel: Channel,
    requester_kind: String,
    proxy_name: String,
    proxy_organisation: String,
    authority_evidence_kind: Option<String>,
    authority_evidence: String,
    subject: PatientIdentity,
    subject_phone: String,
    subject_email: String,
    subject_aliases: String,
    received_on: NaiveDate,
    identity_verified_on: Option<NaiveDate>,
    identity_evidence: String,
    authority_received_on: Option<NaiveDate>,
    fee_received_on: Option<NaiveDate>,
    period: Period,
    due_soon_days: i64,
    extension: Option<Extension>,
    status: RequestStatus,
    owner_id: String,
    owner_name: String,
    action_id: Option<String>,
    serious_harm_professional: String,
    serious_harm_given_on: Option<NaiveDate>,
    serious_harm_likely: Option<bool>,
    other_providers_policy: Option<String>,
    other_providers: String,
    prohibited_information: String,
    closure_outcome: Option<String>,
    refusal_reasons: String,
    disclosed: Vec<DisclosedItem>,
    withheld: Vec<WithheldItem>,
    action_taken: String,
    closed_on: Option<NaiveDate>,
    created_at: String,
    updated_at: String,
    version: i64,
    pauses: Vec<Pause>,
}

const SELECT: &str = "SELECT r.*, o.name AS organisation_name, u.display_name AS owner_name FROM rights_requests r JOIN organisations o ON o.id = r.organisation_id JOIN users u ON u.id = r.owner_id";

fn date_col(r: &AnyRow, col: &str) -> CoreResult<Option<NaiveDate>> {
    let v: Option<String> = r.try_get(col)?;
    Ok(v.as_deref().and_then(parse_iso_date))
}

fn internal(what: &str, e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(format!("stored {what} is unreadable: {e}"))
}

fn stored_from_row(r: &AnyRow) -> CoreResult<Stored> {
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
    fn requester(&self) -> Requester {
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
    fn clock(&self) -> CoreResult<Clock> {
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

    fn domain(&self) -> CoreResult<RightsRequest> {
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
    fn absorb(&mut self, r: &RightsRequest) {
        self.status = r.status;
        self.pauses = r.clock.pauses().to_vec();
        self.extension = r.clock.extension().cloned();
    }

    /// A readable snapshot for the version history.
    fn snapshot(&self, steps: &[CompletedStep]) -> serde_json::Value {
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

    fn record(&self, today: NaiveDate) -> CoreResult<RequestRecord> {
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

fn details_fields(d: &RequestDetails) -> (String, String, String) {
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

async fn load_pauses(exec: &mut Tx<'static>, request_id: &str) -> CoreResult<Vec<Pause>> {
    let rows = steward_db::query(
        "SELECT asked_on, question, received_on FROM rights_request_pauses WHERE request_id = $1 ORDER BY asked_on",
    )
    .bind(request_id)
    .fetch_all(&mut **exec)
    .await?;
    pauses_from(&rows)
}

fn pauses_from(rows: &[AnyRow]) -> CoreResult<Vec<Pause>> {
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

fn steps_from(rows: &[AnyRow]) -> CoreResult<Vec<(CompletedStep, String)>> {
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

/// Parses an optional YYYY-MM-DD field, adding an error when it is given but not a date.
fn opt_date(errors: &mut FieldErrors, field: &str, value: &str, label: &str) -> Option<NaiveDate> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let d = parse_iso_date(v);
    if d.is_none() {
        errors.add(
            field,
            format!("{label} must be a real date, for example 27 3 2026"),
        );
    }
    d
}

fn req_date(errors: &mut FieldErrors, field: &str, value: &str, label: &str) -> Option<NaiveDate> {
    if value.trim().is_empty() {
        errors.add(field, format!("Enter {}", label.to_lowercase()));
        return None;
    }
    opt_date(errors, field, value, label)
}

fn not_future(
    errors: &mut FieldErrors,
    field: &str,
    d: Option<NaiveDate>,
    today: NaiveDate,
    label: &str,
) {
    if d.is_some_and(|d| d > today) {
        errors.add(field, format!("{label} must be today or in the past"));
    }
}

fn limit(errors: &mut FieldErrors, field: &str, value: &str, max: usize, label: &str) {
    if value.chars().count() > max {
        errors.add(field, format!("{label} must be {max} characters or fewer"));
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Checks a request's input: the fields a person typed, each with its message.
struct CheckedRequest {
    details: RequestDetails,
    channel: Channel,
    requester_kind: String,
    proxy_name: String,
    proxy_organisation: String,
    subject: PatientIdentity,
    subject_phone: String,
    subject_email: String,
    subject_aliases: String,
    received_on: NaiveDate,
    owner_id: String,
}

fn check_request(
    input: &RequestInput,
    today: NaiveDate,
    owners: &[String],
) -> CoreResult<CheckedRequest> {
    let mut e = FieldErrors::default();
    let rtype = parse_type(input.request_type.trim());
    if rtype.is_none() {
        e.add("request_type", "Select the type of request");
    }
    let channel = parse_channel(input.channel.trim());
    if channel.is_none() {
        e.add("channel", "Select how the request arrived");
    }
    let requester_kind = input.requester_kind.trim().to_string();
    if !REQUESTERS.iter().any(|(c, _)| *c == requester_kind) {
        e.add("requester_kind", "Select who is making the request");
    } else if requester_kind != "data_subject" && input.proxy_name.trim().is_empty() {
        e.add(
            "proxy_name",
            "Enter the name of the person acting for the patient",
        );
    }
    limit(&mut e, "proxy_name", input.proxy_name.trim(), 200, "Name");
    limit(
        &mut e,
        "proxy_organisation",
        input.proxy_organisation.trim(),
        200,
        "Firm or company",
    );
    if input.subject_forenames.trim().is_empty() {
        e.add("subject_forenames", "Enter the patient's first names");
    }
    if input.subject_surname.trim().is_empty() {
        e.add("subject_surname", "Enter the patient's last name");
    }
    limit(
        &mut e,
        "subject_forenames",
        input.subject_forenames.trim(),
        200,
        "First names",
    );
    limit(
        &mut e,
        "subject_surname",
        input.subject_surname.trim(),
        200,
        "Last name",
    );
    let dob = opt_date(
        &mut e,
        "subject_date_of_birth",
        &input.subject_date_of_birth,
        "Date of birth",
    );
    not_future(&mut e, "subject_date_of_birth", dob, today, "Date of birth");
    let nhs = input.subject_nhs_number.replace([' ', '-'], "");
    if !nhs.is_empty() && !valid_nhs_number(&nhs) {
        e.add(
            "subject_nhs_number",
            "NHS number must be 10 digits with a valid check digit",
        );
    }
    for (f, v, l) in [
        ("subject_address", &input.subject_address, "Address"),
        ("subject_postcode", &input.subject_postcode, "Postcode"),
        ("subject_phone", &input.subject_phone, "Telephone"),
        ("subject_email", &input.subject_email, "Email"),
        ("subject_aliases", &input.subject_aliases, "Other names"),
        ("recipients", &input.recipients, "Recipients"),
    ] {
        limit(&mut e, f, v.trim(), 1000, l);
    }
    limit(&mut e, "what", input.what.trim(), 5000, "What is asked");
    let received = req_date(
        &mut e,
        "received_on",
        &input.received_on,
        "The date the request was received",
    );
    not_future(
        &mut e,
        "received_on",
        received,
        today,
        "The date the request was received",
    );
    if input.owner_id.trim().is_empty() {
        e.add("owner_id", "Select who handles this request");
    } else if !owners.contains(&input.owner_id) {
        e.add("owner_id", "Select someone from this organisation");
    }
    let what = input.what.trim().to_string();
    let recipients: Vec<RecipientNotification> = lines(&input.recipients)
        .into_iter()
        .map(|r| RecipientNotification {
            recipient: r,
            notified_on: None,
            not_notified_reason: None,
        })
        .collect();
    let details = match rtype {
        Some(RequestType::Access) => Some(RequestDetails::Access {
            scope: if what.is_empty() {
                AccessScope::FullRecord
            } else {
                AccessScope::Specific { description: what }
            },
        }),
        Some(
            t @ (RequestType::Rectification | RequestType::Erasure | RequestType::Restriction),
        ) => {
            if what.is_empty() {
                e.add(
                    "what",
                    match t {
                        RequestType::Rectification => "Enter what the requester says is wrong",
                        RequestType::Erasure => "Enter what the requester wants erased",
                        _ => "Enter what the requester wants restricted",
                    },
                );
            }
            Some(match t {
                RequestType::Rectification => RequestDetails::Rectification {
                    corrections: what,
                    recipients,
                },
                RequestType::Erasure => RequestDetails::Erasure { what, recipients },
                _ => RequestDetails::Restriction { what, recipients },
            })
        }
        Some(RequestType::Objection) => {
            let kind = match input.objection_kind.trim() {
                "type1_opt_out" => Some(ObjectionKind::Type1OptOut),
                "type1_opt_out_withdrawal" => Some(ObjectionKind::Type1OptOutWithdrawal),
                "national_data_opt_out" => Some(ObjectionKind::NationalDataOptOut),
                "direct_marketing" => Some(ObjectionKind::DirectMarketing),
                "other" => {
                    if what.is_empty() {
                        e.add("what", "Describe the processing objected to");
                    }
                    Some(ObjectionKind::Other { processing: what })
                }
                _ => {
                    e.add("objection_kind", "Select what the objection is to");
                    None
                }
            };
            kind.map(|objection| RequestDetails::Objection { objection })
        }
        None => None,
    };
    e.into_result()?;
    Ok(CheckedRequest {
        details: details.expect("checked"),
        channel: channel.expect("checked"),
        proxy_name: if requester_kind == "data_subject" {
            String::new()
        } else {
            input.proxy_name.trim().into()
        },
        proxy_organisation: if requester_kind == "data_subject" {
            String::new()
        } else {
            input.proxy_organisation.trim().into()
        },
        requester_kind,
        subject: PatientIdentity {
            patient_id: String::new(),
            forenames: input.subject_forenames.trim().into(),
            surname: input.subject_surname.trim().into(),
            date_of_birth: dob,
            address: Some(input.subject_address.trim().to_string()).filter(|s| !s.is_empty()),
            postcode: Some(input.subject_postcode.trim().to_uppercase()).filter(|s| !s.is_empty()),
            nhs_number: Some(nhs).filter(|s| !s.is_empty()),
        },
        subject_phone: input.subject_phone.trim().into(),
        subject_email: input.subject_email.trim().into(),
        subject_aliases: lines(&input.subject_aliases).join("\n"),
        received_on: received.expect("checked"),
        owner_id: input.owner_id.clone(),
    })
}

/// NHS number modulus 11 check (identifiers.md).
pub fn valid_nhs_number(digits: &str) -> bool {
    if digits.len() != 10 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = digits
        .chars()
        .map(|c| c.to_digit(10).unwrap_or(0))
        .collect();
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, x)| x * (10 - i as u32))
        .sum();
    let check = 11 - (sum % 11);
    match check {
        11 => d[9] == 0,
        10 => false,
        c => d[9] == c,
    }
}

/// Requests reach this module through [`rights`]: Steward's service with the rights functions.
pub struct Rights<'a> {
    pub steward: &'a Steward,
}

pub fn rights(steward: &Steward) -> Rights<'_> {
    Rights { steward }
}

/// Roles who may record the clinician's review (the appropriate health professional).
/// Who gives the clinician's review (the gate's "advise" right on rights requests).
pub fn is_clinician(role: Role) -> bool {
    KIND.allows(role, Op::Advise)
}

impl Rights<'_> {
    async fn owners(&self, caller: &Caller, organisation_id: &str) -> CoreResult<Vec<String>> {
        Ok(self
            .steward
            .assignable_people(caller, organisation_id)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect())
    }

    async fn next_reference(
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

    async fn stored_in(&self, tx: &mut Tx<'static>, id: &str) -> CoreResult<Stored> {
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

    async fn steps_in(&self, tx: &mut Tx<'static>, id: &str) -> CoreResult<Vec<CompletedStep>> {
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
    async fn save(
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
    async fn sync_action(
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
    async fn for_change(&self, caller: &Caller, id: &str) -> CoreResult<steward_core::Write> {
        self.steward.permit::<ops::Change>(caller, KIND, id).await?;
        self.steward.write().await
    }

    /// The common shape of every change: load, apply `f` (which validates and says what
    /// changed for the trail), save as a new version, trail entry, commit.
    async fn change<F>(
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
                    .map_err(|err| CoreError::invalid("asked_on", capitalise(&err.to_string())))?;
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
                    .map_err(|err| {
                        CoreError::invalid("clarified_on", capitalise(&err.to_string()))
                    })?;
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
            r.move_to(target).map_err(|_| {
                CoreError::invalid(
                    "status",
                    format!(
                        "A request that is {} cannot move to {}",
                        status_label(s.status).to_lowercase(),
                        status_label(target).to_lowercase()
                    ),
                )
            })?;
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
            .ok_or_else(|| {
                CoreError::invalid("step", "That step is not part of this request's checklist")
            })?;
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

    /// Records a patient found by the practice's clinical-system search (same surname).
    pub async fn add_namesake(
        &self,
        caller: &Caller,
        id: &str,
        input: &NamesakeInput,
        today: NaiveDate,
    ) -> CoreResult<()> {
        let org = self
            .steward
            .permit::<ops::Change>(caller, KIND, id)
            .await?
            .organisation_id()
            .to_string();
        let mut e = FieldErrors::default();
        if input.surname.trim().is_empty() {
            e.add("namesake_surname", "Enter the other patient's last name");
        }
        let dob = opt_date(
            &mut e,
            "namesake_date_of_birth",
            &input.date_of_birth,
            "Date of birth",
        );
        not_future(
            &mut e,
            "namesake_date_of_birth",
            dob,
            today,
            "Date of birth",
        );
        for (f, v) in [
            ("namesake_forenames", &input.forenames),
            ("namesake_surname", &input.surname),
            ("namesake_address", &input.address),
            ("namesake_postcode", &input.postcode),
        ] {
            limit(&mut e, f, v.trim(), 500, "This field");
        }
        e.into_result()?;
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO rights_request_namesakes (id, request_id, organisation_id, forenames, surname, date_of_birth, address, postcode, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(id)
        .bind(&org)
        .bind(input.forenames.trim())
        .bind(input.surname.trim())
        .bind(dob.map(iso_date))
        .bind(input.address.trim())
        .bind(input.postcode.trim().to_uppercase())
        .bind(&caller.user_id)
        .bind(now_stamp())
        .execute(&mut *w.tx)
        .await?;
        let mut t = TrailEntry::for_record(caller, "rights.namesake_added", &org, RECORD_TYPE, id);
        t.detail = "patient from clinical-system search".into();
        append(&mut w.tx, &t).await?;
        w.commit().await
    }

    /// Warnings that another person could be mistaken for the subject: the subjects of the
    /// organisation's other requests (a family member's earlier request, say), and the patients
    /// staff recorded from their clinical-system search. Steward holds no patient list, so it
    /// checks what it has and what staff found.
    pub async fn namesake_warnings(
        &self,
        permit: &Permit<ops::Read>,
    ) -> CoreResult<Vec<WarningView>> {
        let (id, org) = (permit.id(), permit.organisation_id().to_string());
        let mut tx = self.steward.db.begin().await?;
        let s = self.stored_in(&mut tx, id).await?;
        tx.commit().await?;
        let surname = crate::identity::normalise_text(&s.subject.surname);
        let rows = steward_db::query(
            "SELECT id, reference, subject_forenames, subject_surname, subject_date_of_birth, subject_address, subject_postcode FROM rights_requests WHERE organisation_id = $1 AND id <> $2 AND UPPER(subject_surname) = $3",
        )
        .bind(&org)
        .bind(id)
        .bind(&surname)
        .fetch_all(&self.steward.db.pool)
        .await?;
        let mut others = Vec::new();
        let mut sources = Vec::new();
        for r in &rows {
            others.push(PatientIdentity {
                patient_id: r.try_get("id")?,
                forenames: r.try_get("subject_forenames")?,
                surname: r.try_get("subject_surname")?,
                date_of_birth: date_col(r, "subject_date_of_birth")?,
                address: Some(r.try_get::<String, _>("subject_address")?).filter(|s| !s.is_empty()),
                postcode: Some(r.try_get::<String, _>("subject_postcode")?)
                    .filter(|s| !s.is_empty()),
                nhs_number: None,
            });
            sources.push(format!(
                "subject of request {}",
                r.try_get::<String, _>("reference")?
            ));
        }
        let rows = steward_db::query(
            "SELECT * FROM rights_request_namesakes WHERE request_id = $1 ORDER BY at",
        )
        .bind(id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        for r in &rows {
            others.push(PatientIdentity {
                patient_id: r.try_get("id")?,
                forenames: r.try_get("forenames")?,
                surname: r.try_get("surname")?,
                date_of_birth: date_col(r, "date_of_birth")?,
                address: Some(r.try_get::<String, _>("address")?).filter(|s| !s.is_empty()),
                postcode: Some(r.try_get::<String, _>("postcode")?).filter(|s| !s.is_empty()),
                nhs_number: None,
            });
            sources.push("found in the clinical-system search".into());
        }
        let warnings: Vec<NamesakeWarning> = namesake_warnings(&s.subject, &others);
        Ok(warnings
            .into_iter()
            .map(|w| {
                let i = others
                    .iter()
                    .position(|o| o.patient_id == w.patient_id)
                    .unwrap_or(0);
                WarningView {
                    name: w.name,
                    message: w.message,
                    source: sources.get(i).cloned().unwrap_or_default(),
                }
            })
            .collect())
    }

    /// Lists an organisation's requests, filtered and paged on the server, most urgent first.
    pub async fn requests(
        &self,
        caller: &Caller,
        organisation_id: &str,
        q: &RequestQuery,
        today: NaiveDate,
    ) -> CoreResult<RequestPage> {
        let permit = self
            .steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        self.requests_in(caller, &[permit], q, today).await
    }

    /// The requests of several organisations in one list (the DPO's cluster view): each
    /// organisation permitted by the gate (`Steward::permit_lists`) and the read recorded on
    /// the trail for each.
    pub async fn requests_in(
        &self,
        caller: &Caller,
        permits: &[steward_core::OrgPermit],
        q: &RequestQuery,
        today: NaiveDate,
    ) -> CoreResult<RequestPage> {
        if permits.is_empty() || permits.iter().any(|p| p.kind() != KIND) {
            return Err(CoreError::Forbidden);
        }
        let mut binds: Vec<String> = permits
            .iter()
            .map(|p| p.organisation_id().to_string())
            .collect();
        let marks: Vec<String> = (1..=binds.len()).map(|i| format!("${i}")).collect();
        let mut wh = format!(" WHERE r.organisation_id IN ({})", marks.join(", "));
        let closed = "('completed', 'refused', 'withdrawn')";
        match q.status.as_deref().unwrap_or("") {
            "" | "all" => {}
            "open" => wh.push_str(&format!(" AND r.status NOT IN {closed}")),
            "overdue" => {
                binds.push(iso_date(today));
                wh.push_str(&format!(" AND r.status NOT IN {closed} AND r.status <> 'awaiting_clarification' AND r.due_on < ${}", binds.len()));
            }
            s => {
                let st = parse_status(s)
                    .ok_or_else(|| CoreError::invalid("status", "Select a status from the list"))?;
                binds.push(status_code(st).into());
                wh.push_str(&format!(" AND r.status = ${}", binds.len()));
            }
        }
        if let Some(t) = q.request_type.as_deref().filter(|t| !t.is_empty()) {
            let t = parse_type(t)
                .ok_or_else(|| CoreError::invalid("request_type", "Select a type from the list"))?;
            binds.push(type_code(t).into());
            wh.push_str(&format!(" AND r.request_type = ${}", binds.len()));
        }
        let count_sql = format!("SELECT COUNT(*) FROM rights_requests r{wh}");
        let mut cq = steward_db::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            cq = cq.bind(b);
        }
        let total = cq.fetch_one(&self.steward.db.pool).await?;
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let page = q.page.unwrap_or(1).clamp(1, pages);
        let sql = format!(
            "{SELECT}{wh} ORDER BY CASE WHEN r.status IN {closed} THEN 1 ELSE 0 END, r.due_on, r.reference LIMIT {PAGE_SIZE} OFFSET {}",
            (page - 1) * PAGE_SIZE
        );
        let mut lq = steward_db::query(&sql);
        for b in &binds {
            lq = lq.bind(b);
        }
        let rows = lq.fetch_all(&self.steward.db.pool).await?;
        let items = self.records_from(&rows, today).await?;
        self.steward
            .trail_lists(
                caller,
                permits,
                &format!("list {} page {page}", q.status.clone().unwrap_or_default()),
            )
            .await?;
        Ok(RequestPage {
            items,
            total,
            page,
            pages,
        })
    }

    async fn records_from(
        &self,
        rows: &[AnyRow],
        today: NaiveDate,
    ) -> CoreResult<Vec<RequestRecord>> {
        let mut stored = rows
            .iter()
            .map(stored_from_row)
            .collect::<CoreResult<Vec<_>>>()?;
        if stored.is_empty() {
            return Ok(Vec::new());
        }
        // Every request's pauses in one query, not one per request.
        let marks: Vec<String> = (1..=stored.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT request_id, asked_on, question, received_on FROM rights_request_pauses WHERE request_id IN ({}) ORDER BY request_id, asked_on",
            marks.join(", ")
        );
        let mut q = steward_db::query(&sql);
        for s in &stored {
            q = q.bind(s.id.clone());
        }
        let pause_rows = q.fetch_all(&self.steward.db.pool).await?;
        let mut by_request: std::collections::HashMap<String, Vec<AnyRow>> =
            std::collections::HashMap::new();
        for r in pause_rows {
            by_request
                .entry(r.try_get("request_id")?)
                .or_default()
                .push(r);
        }
        let mut out = Vec::with_capacity(stored.len());
        for mut s in stored.drain(..) {
            if let Some(pr) = by_request.get(&s.id) {
                s.pauses = pauses_from(pr)?;
            }
            out.push(s.record(today)?);
        }
        Ok(out)
    }

    /// Counts of open, overdue, due-soon and paused requests for the dashboard.
    pub async fn summary(
        &self,
        caller: &Caller,
        organisation_id: &str,
        today: NaiveDate,
    ) -> CoreResult<RequestSummary> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        let sql = format!("{SELECT} WHERE r.organisation_id = $1 AND r.status NOT IN ('completed', 'refused', 'withdrawn') ORDER BY r.due_on");
        let rows = steward_db::query(&sql)
            .bind(organisation_id)
            .fetch_all(&self.steward.db.pool)
            .await?;
        let items = self.records_from(&rows, today).await?;
        let mut next: Vec<RequestRecord> = items
            .iter()
            .filter(|r| r.is_overdue() || r.is_due_soon())
            .cloned()
            .collect();
        next.truncate(5);
        Ok(RequestSummary {
            open: items.len() as i64,
            overdue: items.iter().filter(|r| r.is_overdue()).count() as i64,
            due_soon: items.iter().filter(|r| r.is_due_soon()).count() as i64,
            paused: items.iter().filter(|r| r.is_paused()).count() as i64,
            next,
        })
    }

    /// The subject as the redaction engine needs it: their own data is kept.
    pub(crate) async fn subject_for_redaction(
        &self,
        tx: &mut Tx<'static>,
        id: &str,
    ) -> CoreResult<steward_redact::Subject> {
        let s = self.stored_in(tx, id).await?;
        let mut addresses = Vec::new();
        if let Some(a) = &s.subject.address {
            addresses.push(a.clone());
        }
        if let Some(p) = &s.subject.postcode {
            addresses.push(p.clone());
        }
        Ok(steward_redact::Subject {
            name: s.subject.full_name(),
            aliases: lines(&s.subject_aliases),
            date_of_birth: s.subject.date_of_birth.map(iso_date),
            nhs_number: s.subject.nhs_number.clone(),
            addresses,
            phones: Some(s.subject_phone.clone())
                .filter(|x| !x.is_empty())
                .into_iter()
                .collect(),
            emails: Some(s.subject_email.clone())
                .filter(|x| !x.is_empty())
                .into_iter()
                .collect(),
        })
    }

    pub(crate) async fn reference_of(
        &self,
        tx: &mut Tx<'static>,
        id: &str,
    ) -> CoreResult<(String, bool)> {
        let s = self.stored_in(tx, id).await?;
        Ok((s.reference, s.status.is_closed()))
    }
}

impl Stored {
    fn closure_with(
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

fn recipients_mut(d: &mut RequestDetails) -> Option<&mut Vec<RecipientNotification>> {
    match d {
        RequestDetails::Rectification { recipients, .. }
        | RequestDetails::Erasure { recipients, .. }
        | RequestDetails::Restriction { recipients, .. } => Some(recipients),
        _ => None,
    }
}

/// Pauses cannot begin before the clock starts: a start event dated after an existing pause
/// would make the recorded pause meaningless.
fn check_start_against_pauses(s: &Stored) -> CoreResult<()> {
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

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Days from `a` to `b`, for demo data and tests.
pub fn days_ago(today: NaiveDate, n: i64) -> NaiveDate {
    today - Duration::days(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_numbers_are_checked_mod_11() {
        assert!(valid_nhs_number("9434765919"));
        assert!(!valid_nhs_number("9434765918"));
        assert!(!valid_nhs_number("943476591"));
    }

    #[test]
    fn codes_round_trip() {
        for t in RequestType::ALL {
            assert_eq!(parse_type(type_code(t)), Some(t));
        }
        for s in ALL_STATUSES {
            assert_eq!(parse_status(status_code(s)), Some(s));
        }
        for e in Exemption::ALL {
            assert_eq!(parse_exemption(exemption_code(e)), Some(e));
        }
        assert_eq!(type_title(RequestType::Access), "Subject access request");
    }

    fn input() -> RequestInput {
        RequestInput {
            request_type: "access".into(),
            channel: "email".into(),
            requester_kind: "solicitor".into(),
            proxy_name: "".into(),
            subject_forenames: "Ada".into(),
            subject_surname: "Lovelace".into(),
            subject_date_of_birth: "2030-01-01".into(),
            received_on: "2026-11-02".into(),
            owner_id: "u1".into(),
            subject_nhs_number: "123".into(),
            ..Default::default()
        }
    }

    #[test]
    fn bad_input_names_each_field() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let Err(CoreError::Invalid(e)) = check_request(&input(), today, &["u1".into()]) else {
            panic!("expected field errors");
        };
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(
            fields,
            ["proxy_name", "subject_date_of_birth", "subject_nhs_number"]
        );
    }

    #[test]
    fn good_input_makes_a_full_record_access_request() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let mut i = input();
        i.proxy_name = "Hal Brightwater".into();
        i.subject_date_of_birth = "1961-04-09".into();
        i.subject_nhs_number = "943 476 5919".into();
        let c = check_request(&i, today, &["u1".into()]).ok().unwrap();
        assert_eq!(
            c.details,
            RequestDetails::Access {
                scope: AccessScope::FullRecord
            }
        );
        assert_eq!(c.subject.nhs_number.as_deref(), Some("9434765919"));
    }
}

/// The service over a real database (a temporary SQLite file with the demo cluster).
#[cfg(test)]
mod service_tests {
    /// The gate's permit to read a request, as the pages and the API ask for it.
    async fn read(s: &Steward, c: &Caller, id: &str) -> CoreResult<Permit<ops::Read>> {
        s.permit::<ops::Read>(c, KIND, id).await
    }
    use super::*;
    use steward_core::CoreConfig;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    async fn steward(dir: &tempfile::TempDir) -> Steward {
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = steward_db::Db::connect(&url).await.unwrap();
        let s = Steward::new(
            db,
            CoreConfig {
                data_dir: dir.path().to_path_buf(),
                max_attachment_bytes: 1 << 20,
                base_url: "http://localhost".into(),
                smtp: None,
                secret_key: Some(
                    steward_core::sealed::SecretKey::from_hex(&"ab".repeat(32)).unwrap(),
                ),
            },
        );
        s.seed_demo(d(2026, 6, 1), 0).await.unwrap();
        s
    }

    /// Jory Nance's access request, by letter, received 1 June 2026, owned by `owner`.
    fn access_request_received_1_june(owner: &Caller) -> RequestInput {
        RequestInput {
            request_type: "access".into(),
            channel: "letter".into(),
            requester_kind: "data_subject".into(),
            subject_forenames: "Jory".into(),
            subject_surname: "Nance".into(),
            received_on: "2026-06-01".into(),
            owner_id: owner.user_id.clone(),
            ..Default::default()
        }
    }

    async fn caller(s: &Steward, email: &str) -> Caller {
        let u = s.user_by_email(email).await.unwrap();
        s.caller_for_user(&u.id, "test").await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn clock_pause_and_extension_through_the_service() {
        let dir = tempfile::tempdir().unwrap();
        let s = steward(&dir).await;
        let ig = caller(&s, "iglead@harbour.demo.steward.test").await;
        let org = ig.home_organisation_id.clone();
        let r = rights(&s);
        let input = access_request_received_1_june(&ig);
        let today = d(2026, 6, 5);
        let req = r.create_request(&ig, &org, &input, today).await.unwrap();
        // rights-and-deadlines.md: received 1 June, due the corresponding date, 1 July.
        assert_eq!(req.due_on, d(2026, 7, 1));
        assert_eq!(req.reference, "SAR-2026-0001");
        r.move_request(&ig, &req.id, "in_progress", today)
            .await
            .unwrap();
        r.ask_for_clarification(&ig, &req.id, "2026-06-05", "Which years?", today)
            .await
            .unwrap();
        let paused = r
            .request(&read(&s, &ig, &req.id).await.unwrap(), d(2026, 6, 10))
            .await
            .unwrap();
        assert!(paused.is_paused());
        assert_eq!(paused.status, "awaiting_clarification");
        let resumed = r
            .clarification_received(&ig, &req.id, "2026-06-15", d(2026, 6, 15))
            .await
            .unwrap();
        // Ten days paused: 11 July, a Saturday, so Monday 13 July.
        assert_eq!(resumed.paused_days, 10);
        assert_eq!(resumed.due_on, d(2026, 7, 13));
        let action_due: String =
            steward_db::query_scalar("SELECT due_date FROM actions WHERE id = $1")
                .bind(resumed.action_id.clone().unwrap())
                .fetch_one(&s.db.pool)
                .await
                .unwrap();
        assert_eq!(
            action_due, "2026-07-13",
            "the linked action follows the clock"
        );
        // An extension told after the first month is refused beside its field.
        let late = ExtensionInput {
            months: "2".into(),
            ground: "complex".into(),
            reasons: "Several volumes of notes".into(),
            requester_told_on: "2026-07-20".into(),
        };
        let Err(CoreError::Invalid(e)) = r.extend(&ig, &req.id, &late, d(2026, 7, 20)).await else {
            panic!("a late extension is refused");
        };
        assert!(e
            .get("requester_told_on")
            .unwrap()
            .contains("within the first month"));
        let ok = ExtensionInput {
            requester_told_on: "2026-06-20".into(),
            ..late
        };
        let extended = r.extend(&ig, &req.id, &ok, d(2026, 6, 20)).await.unwrap();
        assert!(extended.due_on > d(2026, 8, 31));
        let versions = s
            .history(&read(&s, &ig, &req.id).await.unwrap())
            .await
            .unwrap();
        assert_eq!(versions.len(), 5, "one version per change");
    }

    #[tokio::test]
    async fn a_paused_clock_moves_the_linked_action_every_day() {
        let dir = tempfile::tempdir().unwrap();
        let s = steward(&dir).await;
        let ig = caller(&s, "iglead@harbour.demo.steward.test").await;
        let org = ig.home_organisation_id.clone();
        let r = rights(&s);
        let input = access_request_received_1_june(&ig);
        let req = r
            .create_request(&ig, &org, &input, d(2026, 6, 5))
            .await
            .unwrap();
        r.move_request(&ig, &req.id, "in_progress", d(2026, 6, 5))
            .await
            .unwrap();
        r.ask_for_clarification(&ig, &req.id, "2026-06-05", "Which years?", d(2026, 6, 5))
            .await
            .unwrap();
        let action_due = || async {
            steward_db::query_scalar::<_, String>(
                "SELECT a.due_date FROM actions a JOIN rights_requests r ON r.action_id = a.id WHERE r.id = $1",
            )
            .bind(&req.id)
            .fetch_one(&s.db.pool)
            .await
            .unwrap()
        };
        let before = action_due().await;
        // Still paused on 30 June: 25 days paused so far, so due 26 July (a Sunday), moved
        // to Monday 27 July; the action says so without anyone touching the request.
        assert_eq!(r.refresh_paused_clocks(d(2026, 6, 30)).await.unwrap(), 1);
        assert_eq!(action_due().await, "2026-07-27");
        assert_ne!(before, "2026-07-27");
        let shown = r
            .request(&read(&s, &ig, &req.id).await.unwrap(), d(2026, 6, 30))
            .await
            .unwrap();
        assert_eq!(shown.due_on, d(2026, 7, 27));
        // Run again the same day: nothing to move.
        assert_eq!(r.refresh_paused_clocks(d(2026, 6, 30)).await.unwrap(), 0);
        // The change is in the history and the trail under Steward's own name.
        let history = s
            .history(&read(&s, &ig, &req.id).await.unwrap())
            .await
            .unwrap();
        assert_eq!(history[0].user_name, steward_core::context::SYSTEM_NAME);
        let trail: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM audit_trail WHERE record_id = $1 AND user_id = 'system' AND detail LIKE 'clock paused: due date moved from % to 27 July 2026'",
        )
        .bind(&req.id)
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
        assert_eq!(trail, 1);
        // Once the clarification is in, the request no longer moves by itself.
        r.clarification_received(&ig, &req.id, "2026-07-01", d(2026, 7, 1))
            .await
            .unwrap();
        assert_eq!(r.refresh_paused_clocks(d(2026, 7, 9)).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn roles_and_organisations_are_checked_on_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let s = steward(&dir).await;
        let today = d(2026, 6, 5);
        let ig = caller(&s, "iglead@harbour.demo.steward.test").await;
        let gp = caller(&s, "gp@harbour.demo.steward.test").await;
        let auditor = caller(&s, "auditor@harbour.demo.steward.test").await;
        let castle = caller(&s, "iglead@castlehill.demo.steward.test").await;
        let org = ig.home_organisation_id.clone();
        let r = rights(&s);
        let input = RequestInput {
            request_type: "access".into(),
            channel: "email".into(),
            requester_kind: "data_subject".into(),
            subject_forenames: "Jory".into(),
            subject_surname: "Nance".into(),
            received_on: "2026-06-01".into(),
            owner_id: ig.user_id.clone(),
            ..Default::default()
        };
        assert!(matches!(
            r.create_request(&auditor, &org, &input, today).await,
            Err(CoreError::Forbidden)
        ));
        assert!(matches!(
            r.create_request(&castle, &org, &input, today).await,
            Err(CoreError::NotFound)
        ));
        let req = r.create_request(&ig, &org, &input, today).await.unwrap();
        assert!(matches!(
            read(&s, &castle, &req.id).await,
            Err(CoreError::NotFound)
        ));
        assert!(r
            .request(&read(&s, &auditor, &req.id).await.unwrap(), today)
            .await
            .is_ok());
        assert!(matches!(
            r.complete_step(&ig, &req.id, "clinician_serious_harm_test", "", today)
                .await,
            Err(CoreError::Forbidden)
        ));
        r.complete_step(&gp, &req.id, "clinician_serious_harm_test", "", today)
            .await
            .unwrap();
        assert!(matches!(
            r.record_clinician_review(&ig, &req.id, &ClinicianReviewInput::default(), today)
                .await,
            Err(CoreError::Forbidden)
        ));
        assert!(matches!(
            r.complete_step(&ig, &req.id, "no_such_step", "", today)
                .await,
            Err(CoreError::Invalid(_))
        ));
        // Namesakes: the practice's search finds another Nance at the same date of birth.
        r.add_namesake(
            &ig,
            &req.id,
            &NamesakeInput {
                forenames: "Jenna".into(),
                surname: "NANCE".into(),
                date_of_birth: String::new(),
                address: String::new(),
                postcode: String::new(),
            },
            today,
        )
        .await
        .unwrap();
        assert!(
            r.namesake_warnings(&read(&s, &ig, &req.id).await.unwrap())
                .await
                .unwrap()
                .is_empty(),
            "surname alone is no warning"
        );
        let mut input2 = input.clone();
        input2.subject_forenames = "Jenna".into();
        input2.subject_date_of_birth = "1990-02-03".into();
        let other = r.create_request(&ig, &org, &input2, today).await.unwrap();
        let mut first = input.clone();
        first.subject_date_of_birth = "1990-02-03".into();
        r.update_request(&ig, &req.id, &first, None, today)
            .await
            .unwrap();
        let w = r
            .namesake_warnings(&read(&s, &ig, &req.id).await.unwrap())
            .await
            .unwrap();
        assert_eq!(w.len(), 1);
        assert!(w[0].source.contains(&other.reference), "{:?}", w[0]);
    }
}
