//! Request types, channels, requesters, statuses and exemptions: their codes as the forms
//! and the API spell them, and their labels as pages show them.

use crate::clock::StartEvent;
use crate::closure::Exemption;
use crate::request::{AuthorityEvidenceKind, Channel, ProxyKind, RequestStatus, RequestType};

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

pub(super) fn parse_channel(s: &str) -> Option<Channel> {
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

pub(super) fn proxy_kind(s: &str) -> Option<ProxyKind> {
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

pub(super) fn evidence_kind(s: &str) -> Option<AuthorityEvidenceKind> {
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

pub(super) fn parse_exemption(s: &str) -> Option<Exemption> {
    Exemption::ALL.into_iter().find(|e| exemption_code(*e) == s)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
