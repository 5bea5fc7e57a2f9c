//! What a person enters to log or change a request (form and API alike), and its checks:
//! each problem is reported beside its field.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_core::time::parse_iso_date;
use steward_core::{CoreResult, FieldErrors};

use super::codes::{parse_channel, parse_type, REQUESTERS};
use crate::identity::PatientIdentity;
use crate::request::{
    AccessScope, Channel, ObjectionKind, RecipientNotification, RequestDetails, RequestType,
};

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
    #[schema(required, pattern = "^[12]$")]
    pub months: String,
    /// complex or number_of_requests
    #[schema(required, pattern = "^(complex|number_of_requests)$")]
    pub ground: String,
    #[schema(required, pattern = "\\S")]
    pub reasons: String,
    #[schema(required, format = Date)]
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
    #[schema(required, pattern = "\\S")]
    pub surname: String,
    pub date_of_birth: String,
    pub address: String,
    pub postcode: String,
}

/// Parses an optional YYYY-MM-DD field, adding an error when it is given but not a date.
pub(super) fn opt_date(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    label: &str,
) -> Option<NaiveDate> {
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

pub(super) fn req_date(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    label: &str,
) -> Option<NaiveDate> {
    if value.trim().is_empty() {
        errors.add(field, format!("Enter {}", label.to_lowercase()));
        return None;
    }
    opt_date(errors, field, value, label)
}

pub(super) fn not_future(
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

pub(super) fn limit(errors: &mut FieldErrors, field: &str, value: &str, max: usize, label: &str) {
    if value.chars().count() > max {
        errors.add(field, format!("{label} must be {max} characters or fewer"));
    }
}

pub(super) fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Checks a request's input: the fields a person typed, each with its message.
pub(super) struct CheckedRequest {
    pub(super) details: RequestDetails,
    pub(super) channel: Channel,
    pub(super) requester_kind: String,
    pub(super) proxy_name: String,
    pub(super) proxy_organisation: String,
    pub(super) subject: PatientIdentity,
    pub(super) subject_phone: String,
    pub(super) subject_email: String,
    pub(super) subject_aliases: String,
    pub(super) received_on: NaiveDate,
    pub(super) owner_id: String,
}

pub(super) fn check_request(
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

#[cfg(test)]
mod tests {
    use super::*;
    use steward_core::CoreError;

    #[test]
    fn nhs_numbers_are_checked_mod_11() {
        assert!(valid_nhs_number("9434765919"));
        assert!(!valid_nhs_number("9434765918"));
        assert!(!valid_nhs_number("943476591"));
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
