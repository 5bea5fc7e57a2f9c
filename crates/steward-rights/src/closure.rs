//! Closing a request: what was disclosed, what was withheld and why, and the response letter as a
//! plain structure (title, paragraphs) that steward-documents renders to PDF and DOCX.
//!
//! The exemptions and their references follow shared/reference/rights-and-deadlines.md, "What is
//! withheld and why (health records; Data Protection Act 2018)", and "Other providers' entries".

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::checklist::{Checklist, ChecklistStep, CompletedStep, StepRole};
use crate::request::{
    AccessScope, ProxyKind, RequestDetails, RequestStatus, RequestType, Requester, RightsRequest,
    StatusError,
};

/// A ground for withholding information from a subject access response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exemption {
    /// Information about a third party, withheld unless they consent or it is reasonable to
    /// disclose without consent (health, social-work and education professionals acting in their
    /// role are normally disclosed).
    ThirdPartyInformation,
    /// Disclosure likely to cause serious harm to the physical or mental health of the subject or
    /// another person, on the appropriate health professional's opinion.
    SeriousHarm,
    /// Information the subject gave expecting it would not be disclosed to the person asking for
    /// them (a person with parental responsibility, or one appointed by a court).
    SubjectsExpectations,
    /// Records whose disclosure the Human Fertilisation and Embryology Act 1990 prohibits.
    HumanFertilisationAndEmbryology,
    /// Adoption records and reports.
    AdoptionRecords,
    /// Information whose disclosure another enactment prohibits (name it in the reason).
    OtherProhibitedByEnactment,
}

impl Exemption {
    /// Every exemption, in the order offered to the reviewer.
    pub const ALL: [Exemption; 6] = [
        Exemption::ThirdPartyInformation,
        Exemption::SeriousHarm,
        Exemption::SubjectsExpectations,
        Exemption::HumanFertilisationAndEmbryology,
        Exemption::AdoptionRecords,
        Exemption::OtherProhibitedByEnactment,
    ];

    /// The name shown to staff and in the letter.
    pub fn title(self) -> &'static str {
        match self {
            Exemption::ThirdPartyInformation => "Information about other people",
            Exemption::SeriousHarm => "Likely to cause serious harm to physical or mental health",
            Exemption::SubjectsExpectations => {
                "Information given in the expectation that it would not be disclosed to the person asking"
            }
            Exemption::HumanFertilisationAndEmbryology => {
                "Records protected by the Human Fertilisation and Embryology Act 1990"
            }
            Exemption::AdoptionRecords => "Adoption records and reports",
            Exemption::OtherProhibitedByEnactment => "Information the law forbids us to disclose",
        }
    }

    /// The legal reference (Data Protection Act 2018 unless stated).
    pub fn legal_reference(self) -> &'static str {
        match self {
            // rights-and-deadlines.md: "Third-party information (Sch 2 Part 3 para 16)".
            Exemption::ThirdPartyInformation => {
                "Data Protection Act 2018, Schedule 2, Part 3, paragraph 16"
            }
            // rights-and-deadlines.md: "Serious harm test (Sch 3 Part 2 para 5)".
            Exemption::SeriousHarm => "Data Protection Act 2018, Schedule 3, Part 2, paragraph 5",
            // The data subject's expectations and wishes (requests by a person with parental
            // responsibility or appointed by a court). Not in rights-and-deadlines.md: added for
            // parents' requests for a child's record; the DPO should confirm it.
            Exemption::SubjectsExpectations => {
                "Data Protection Act 2018, Schedule 3, Part 2, paragraph 4"
            }
            // rights-and-deadlines.md: "Information whose disclosure an enactment prohibits (Sch 4)".
            Exemption::HumanFertilisationAndEmbryology => {
                "Data Protection Act 2018, Schedule 4 (Human Fertilisation and Embryology Act 1990)"
            }
            Exemption::AdoptionRecords => {
                "Data Protection Act 2018, Schedule 4 (adoption records and reports)"
            }
            Exemption::OtherProhibitedByEnactment => "Data Protection Act 2018, Schedule 4",
        }
    }
}

/// Something disclosed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosedItem {
    pub description: String,
}

/// Something withheld, with the exemption and the reviewer's reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithheldItem {
    /// What was withheld (for the redaction schedule; the letter names only the exemption).
    pub description: String,
    pub exemption: Exemption,
    pub reason: String,
    /// Whether the letter says information was withheld on this ground. Leave false only where
    /// saying so would itself reveal the information or cause the harm the exemption prevents.
    #[serde(default = "yes")]
    pub mention_in_letter: bool,
}

fn yes() -> bool {
    true
}

/// What was done with other providers' entries in the GP record (rights-and-deadlines.md,
/// "Other providers' entries"; seed 003).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum OtherProvidersPolicy {
    /// Everything was released, other providers' entries included.
    ReleaseAll,
    /// Only the practice's own entries were released; the letter tells the requester that the
    /// practice can see other providers' information and that they can ask those providers.
    FilterAndSignpost { providers: Vec<String> },
}

/// The appropriate health professional's opinion for the serious harm test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriousHarmOpinion {
    /// Who gave the opinion.
    pub professional: String,
    pub given_on: NaiveDate,
    /// Whether disclosure would be likely to cause serious harm.
    pub harm_likely: bool,
}

impl SeriousHarmOpinion {
    /// Obtained within the last six months before `on` (rights-and-deadlines.md, "Serious harm
    /// test": "obtained within the last six months"), and not after `on`.
    pub fn is_current(&self, on: NaiveDate) -> bool {
        let six_months_before = on
            .checked_sub_months(Months::new(6))
            .expect("date within chrono's range");
        self.given_on >= six_months_before && self.given_on <= on
    }
}

/// How the request ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Answered: information disclosed (in full or in part) or the action taken.
    Answered,
    /// No personal information within the request's scope is held.
    NothingHeld,
    /// Refused as manifestly unfounded or excessive; the requester is told why and of the right
    /// to complain to the ICO (rights-and-deadlines.md, "Manifestly unfounded or excessive").
    Refused { reasons: String },
}

/// The record of a closed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub closed_on: NaiveDate,
    pub outcome: Outcome,
    #[serde(default)]
    pub disclosed: Vec<DisclosedItem>,
    #[serde(default)]
    pub withheld: Vec<WithheldItem>,
    /// Required for an answered access request.
    #[serde(default)]
    pub other_providers: Option<OtherProvidersPolicy>,
    #[serde(default)]
    pub serious_harm_opinion: Option<SeriousHarmOpinion>,
    /// For rectification, erasure, restriction and objection: what was done, in the requester's
    /// terms ("we have corrected your date of birth").
    #[serde(default)]
    pub action_taken: Option<String>,
}

/// Something that stops a closure from being accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ClosureProblem {
    #[error("\"{description}\" is withheld without a reason")]
    WithheldWithoutReason { description: String },
    #[error("information is withheld for serious harm without the appropriate health professional's opinion")]
    SeriousHarmWithoutOpinion,
    #[error("the serious harm opinion of {given_on} was not obtained within the six months before {closed_on}")]
    SeriousHarmOpinionNotCurrent {
        given_on: NaiveDate,
        closed_on: NaiveDate,
    },
    #[error("information is withheld for serious harm but the opinion is that harm is not likely")]
    SeriousHarmContradictsOpinion,
    #[error("record whether other providers' entries were released or filtered")]
    OtherProvidersPolicyMissing,
    #[error(
        "when other providers' entries are filtered, name the providers the requester can ask"
    )]
    FilteredProvidersNotNamed,
    #[error("an answered access request must list what was disclosed or withheld")]
    NothingRecorded,
    #[error("a refusal needs its reasons")]
    RefusalWithoutReasons,
    #[error("record what was done about the request")]
    ActionNotRecorded,
    #[error("{recipient} has not been told of the change, and no reason is recorded")]
    RecipientNotSettled { recipient: String },
    #[error("the closure date {closed_on} is before the request was received on {received_on}")]
    ClosedBeforeReceived {
        closed_on: NaiveDate,
        received_on: NaiveDate,
    },
}

impl Closure {
    /// Everything that must be put right before this closure is accepted for `request`.
    pub fn problems(&self, request: &RightsRequest) -> Vec<ClosureProblem> {
        let mut problems = Vec::new();
        let received_on = request.clock.received_on();
        if self.closed_on < received_on {
            problems.push(ClosureProblem::ClosedBeforeReceived {
                closed_on: self.closed_on,
                received_on,
            });
        }
        for item in &self.withheld {
            if item.reason.trim().is_empty() {
                problems.push(ClosureProblem::WithheldWithoutReason {
                    description: item.description.clone(),
                });
            }
        }
        if self
            .withheld
            .iter()
            .any(|w| w.exemption == Exemption::SeriousHarm)
        {
            match &self.serious_harm_opinion {
                None => problems.push(ClosureProblem::SeriousHarmWithoutOpinion),
                Some(op) => {
                    if !op.is_current(self.closed_on) {
                        problems.push(ClosureProblem::SeriousHarmOpinionNotCurrent {
                            given_on: op.given_on,
                            closed_on: self.closed_on,
                        });
                    }
                    if !op.harm_likely {
                        problems.push(ClosureProblem::SeriousHarmContradictsOpinion);
                    }
                }
            }
        }
        match &self.outcome {
            Outcome::Refused { reasons } if reasons.trim().is_empty() => {
                problems.push(ClosureProblem::RefusalWithoutReasons)
            }
            Outcome::Answered => match request.request_type() {
                RequestType::Access => {
                    if self.disclosed.is_empty() && self.withheld.is_empty() {
                        problems.push(ClosureProblem::NothingRecorded);
                    }
                    match &self.other_providers {
                        None => problems.push(ClosureProblem::OtherProvidersPolicyMissing),
                        Some(OtherProvidersPolicy::FilterAndSignpost { providers })
                            if providers.iter().all(|p| p.trim().is_empty()) =>
                        {
                            problems.push(ClosureProblem::FilteredProvidersNotNamed)
                        }
                        Some(_) => {}
                    }
                }
                _ => {
                    if self
                        .action_taken
                        .as_deref()
                        .is_none_or(|a| a.trim().is_empty())
                    {
                        problems.push(ClosureProblem::ActionNotRecorded);
                    }
                    for r in request.details.recipients() {
                        if !r.is_settled() {
                            problems.push(ClosureProblem::RecipientNotSettled {
                                recipient: r.recipient.clone(),
                            });
                        }
                    }
                }
            },
            _ => {}
        }
        problems
    }
}

/// Why a request cannot be closed yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the request cannot be closed yet: {} checklist step(s) outstanding, {} problem(s) with the closure{}",
    outstanding_steps.len(),
    problems.len(),
    status.as_ref().map(|s| format!(", {s}")).unwrap_or_default()
)]
pub struct CloseError {
    /// Ids of required checklist steps not yet done.
    pub outstanding_steps: Vec<String>,
    pub problems: Vec<ClosureProblem>,
    /// The request's status does not allow closing it now.
    pub status: Option<StatusError>,
}

impl RightsRequest {
    /// The required checklist steps still to do before this closure: all of them for an
    /// answered request, the admin steps when nothing is held (there is nothing for the
    /// clinician to review), none for a refusal (decided before the record is gathered).
    pub fn outstanding_before<'c>(
        &self,
        closure: &Closure,
        checklist: &'c Checklist,
        done: &[CompletedStep],
    ) -> Vec<&'c ChecklistStep> {
        let outstanding = checklist.outstanding(self, done);
        match closure.outcome {
            Outcome::Answered => outstanding,
            Outcome::NothingHeld => outstanding
                .into_iter()
                .filter(|s| s.role == StepRole::Admin)
                .collect(),
            Outcome::Refused { .. } => Vec::new(),
        }
    }

    /// Closes the request (status Completed, or Refused for a refusal) when its required
    /// checklist steps are done, the closure has no problems and the status allows it;
    /// otherwise reports everything that stands in the way and changes nothing.
    pub fn close(
        &mut self,
        closure: &Closure,
        checklist: &Checklist,
        done: &[CompletedStep],
    ) -> Result<(), CloseError> {
        let target = match closure.outcome {
            Outcome::Refused { .. } => RequestStatus::Refused,
            _ => RequestStatus::Completed,
        };
        let error = CloseError {
            outstanding_steps: self
                .outstanding_before(closure, checklist, done)
                .into_iter()
                .map(|s| s.id.clone())
                .collect(),
            problems: closure.problems(self),
            status: self.check_move(target).err(),
        };
        if error.outstanding_steps.is_empty() && error.problems.is_empty() && error.status.is_none()
        {
            self.status = target;
            Ok(())
        } else {
            Err(error)
        }
    }
}

/// The organisation answering, as the letter names it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Organisation {
    pub name: String,
    /// How to reach the Data Protection Officer ("dpo@example.nhs.uk").
    pub dpo_contact: String,
}

/// A letter as plain structure: a title and paragraphs, rendered by steward-documents.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Letter {
    pub title: String,
    pub paragraphs: Vec<String>,
}

/// A date as the interface writes it: "5 February 2021" (PRODUCT.md, "Conventions"); the same
/// format as `steward_core::time::long_date`, repeated here because this pure domain crate does
/// not depend on steward-core (storage, mail, sessions).
pub fn format_uk_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The response letter for a closed request: the date (the closure's), the greeting, what was
/// received, the outcome (what is enclosed, the grounds for anything withheld with their legal
/// references, other providers' entries), the DPO and the right to complain to the ICO.
pub fn response_letter(request: &RightsRequest, closure: &Closure, org: &Organisation) -> Letter {
    let patient = request.subject.full_name();
    let request_type = request.request_type();
    // Who the letter speaks of: "you" to the subject, the patient by name to a proxy.
    let (addressee, about, about_possessive) = match &request.requester {
        Requester::DataSubject => (patient.clone(), "you".to_string(), "your".to_string()),
        Requester::Proxy(proxy) => {
            let about = match proxy.kind {
                ProxyKind::Solicitor => format!("your client, {patient}"),
                ProxyKind::ParentForChild => format!("your child, {patient}"),
                ProxyKind::Attorney | ProxyKind::Insurer => patient.clone(),
            };
            (proxy.name.clone(), about, format!("{patient}'s"))
        }
    };
    let title = match request.requester {
        Requester::DataSubject => format!(
            "Your {} (our reference {})",
            request_type.label(),
            request.reference
        ),
        Requester::Proxy(_) => format!(
            "{} about {patient} (our reference {})",
            capitalise(request_type.label()),
            request.reference
        ),
    };

    let mut paragraphs = vec![
        format_uk_date(closure.closed_on),
        format!("Dear {addressee},"),
    ];
    let mut received = format!(
        "Thank you for your {} ({}), which we received on {}.",
        request_type.label(),
        request_type.article(),
        format_uk_date(request.clock.received_on())
    );
    if let Some(ext) = request.clock.extension() {
        received.push_str(&format!(
            " As we told you on {}, we extended the time to respond by {} because {}",
            format_uk_date(ext.requester_told_on),
            if ext.months == 1 {
                "one month"
            } else {
                "two months"
            },
            sentence(&ext.reasons)
        ));
    }
    paragraphs.push(received);

    match &closure.outcome {
        Outcome::Refused { reasons } => paragraphs.push(format!(
            "We have decided not to comply with the request because it is manifestly unfounded \
             or excessive (UK GDPR Article 12(5)): {} You may complain to the Information \
             Commissioner's Office about this decision, or ask a court to enforce your rights.",
            sentence(reasons)
        )),
        Outcome::NothingHeld => paragraphs.push(format!(
            "We have searched our records and hold no personal information about {about} within \
             the scope of the request."
        )),
        Outcome::Answered if request_type == RequestType::Access => {
            let scope = match &request.details {
                RequestDetails::Access { scope } => match scope {
                    AccessScope::FullRecord => String::new(),
                    AccessScope::DateRange { from, to } => match (from, to) {
                        (Some(f), Some(t)) => {
                            format!(" from {} to {}", format_uk_date(*f), format_uk_date(*t))
                        }
                        (Some(f), None) => format!(" from {}", format_uk_date(*f)),
                        (None, Some(t)) => format!(" up to {}", format_uk_date(*t)),
                        (None, None) => String::new(),
                    },
                    AccessScope::Specific { description } => {
                        format!(" about {}", description.trim())
                    }
                },
                _ => String::new(),
            };
            if closure.disclosed.is_empty() {
                paragraphs.push(format!(
                    "We hold information about {about}{scope}, but none of it can be disclosed, \
                     for the reasons below."
                ));
            } else {
                let items: Vec<String> = closure
                    .disclosed
                    .iter()
                    .map(|d| d.description.trim().to_string())
                    .collect();
                paragraphs.push(format!(
                    "We enclose a copy of the personal information we hold about {about}{scope}: {}.",
                    join_list(&items)
                ));
            }
            let mut grounds: Vec<Exemption> = Vec::new();
            for w in closure.withheld.iter().filter(|w| w.mention_in_letter) {
                if !grounds.contains(&w.exemption) {
                    grounds.push(w.exemption);
                }
            }
            if !grounds.is_empty() {
                paragraphs.push(
                    "We have withheld some information, as the law allows, on the following \
                     grounds:"
                        .to_string(),
                );
                for g in grounds {
                    paragraphs.push(format!("{} ({}).", g.title(), g.legal_reference()));
                }
            }
            match &closure.other_providers {
                Some(OtherProvidersPolicy::FilterAndSignpost { providers }) => {
                    let providers: Vec<String> = providers
                        .iter()
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect();
                    paragraphs.push(format!(
                        "{} GP record also contains information added by other health and care \
                         providers. We can see this information, but we have not included it. \
                         You can ask for a copy of it directly from the providers who added it: \
                         {}.",
                        capitalise(&about_possessive),
                        join_list(&providers)
                    ));
                }
                Some(OtherProvidersPolicy::ReleaseAll) => paragraphs.push(format!(
                    "The copy includes information added to {about_possessive} GP record by \
                     other health and care providers."
                )),
                None => {}
            }
        }
        Outcome::Answered => {
            if let Some(action) = &closure.action_taken {
                paragraphs.push(sentence(action));
            }
            let told: Vec<String> = request
                .details
                .recipients()
                .iter()
                .filter(|r| r.notified_on.is_some())
                .map(|r| r.recipient.trim().to_string())
                .collect();
            if !told.is_empty() {
                paragraphs.push(format!(
                    "We have told those to whom we had disclosed the information: {}.",
                    join_list(&told)
                ));
            }
        }
    }

    paragraphs.push(format!(
        "If you are unhappy with our response, please contact our Data Protection Officer ({}). \
         You also have the right to complain to the Information Commissioner's Office (ICO): \
         www.ico.org.uk/make-a-complaint, telephone 0303 123 1113.",
        org.dpo_contact.trim()
    ));
    paragraphs.push("Yours sincerely,".to_string());
    paragraphs.push(org.name.clone());
    Letter { title, paragraphs }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Trimmed, capitalised and ending with a full stop.
fn sentence(text: &str) -> String {
    let t = capitalise(text.trim());
    if t.ends_with(['.', '!', '?']) {
        t
    } else {
        format!("{t}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::BankHolidays;
    use crate::clock::{Clock, ClockSettings, Extension, ExtensionGround};
    use crate::identity::PatientIdentity;
    use crate::request::{AccessScope, Channel, Proxy, RecipientNotification, RequestStatus};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn sar(requester: Requester) -> RightsRequest {
        RightsRequest {
            reference: "SAR-2026-014".into(),
            details: RequestDetails::Access {
                scope: AccessScope::FullRecord,
            },
            channel: Channel::Email,
            subject: PatientIdentity {
                patient_id: "p1".into(),
                forenames: "Jane".into(),
                surname: "Smith".into(),
                ..Default::default()
            },
            requester,
            status: RequestStatus::ReadyToSend,
            clock: Clock::new(d(2026, 3, 2), ClockSettings::default()),
        }
    }

    fn org() -> Organisation {
        Organisation {
            name: "Riverside Surgery".into(),
            dpo_contact: "dpo@riverside.example".into(),
        }
    }

    fn answered() -> Closure {
        Closure {
            closed_on: d(2026, 3, 30),
            outcome: Outcome::Answered,
            disclosed: vec![
                DisclosedItem {
                    description: "the GP record from 2010".into(),
                },
                DisclosedItem {
                    description: "hospital letters".into(),
                },
            ],
            withheld: vec![WithheldItem {
                description: "ex-partner's address in a 2019 consultation".into(),
                exemption: Exemption::ThirdPartyInformation,
                reason: "Third party's address; no consent".into(),
                mention_in_letter: true,
            }],
            other_providers: Some(OtherProvidersPolicy::FilterAndSignpost {
                providers: vec!["Dorset County Hospital".into(), "Dorset HealthCare".into()],
            }),
            serious_harm_opinion: None,
            action_taken: None,
        }
    }

    #[test]
    fn exemptions_carry_their_legal_references() {
        assert_eq!(
            Exemption::SeriousHarm.legal_reference(),
            "Data Protection Act 2018, Schedule 3, Part 2, paragraph 5"
        );
        assert_eq!(
            Exemption::ThirdPartyInformation.legal_reference(),
            "Data Protection Act 2018, Schedule 2, Part 3, paragraph 16"
        );
        assert!(Exemption::AdoptionRecords
            .legal_reference()
            .contains("Schedule 4"));
        assert!(Exemption::ALL.iter().all(|e| !e.title().is_empty()));
    }

    #[test]
    fn serious_harm_opinion_within_six_months() {
        let op = |given_on| SeriousHarmOpinion {
            professional: "Dr A Jones".into(),
            given_on,
            harm_likely: true,
        };
        assert!(op(d(2025, 9, 30)).is_current(d(2026, 3, 30)));
        assert!(!op(d(2025, 9, 29)).is_current(d(2026, 3, 30)));
        assert!(!op(d(2026, 3, 31)).is_current(d(2026, 3, 30)));
        // 31 August -> six months before is 28/29 February.
        assert!(op(d(2024, 2, 29)).is_current(d(2024, 8, 31)));
    }

    #[test]
    fn good_closure_has_no_problems() {
        assert_eq!(answered().problems(&sar(Requester::DataSubject)), vec![]);
    }

    #[test]
    fn closure_problems() {
        let request = sar(Requester::DataSubject);
        let mut c = answered();
        c.other_providers = None;
        c.withheld.push(WithheldItem {
            description: "consultation of 2024".into(),
            exemption: Exemption::SeriousHarm,
            reason: " ".into(),
            mention_in_letter: false,
        });
        let p = c.problems(&request);
        assert!(p.contains(&ClosureProblem::OtherProvidersPolicyMissing));
        assert!(p.contains(&ClosureProblem::SeriousHarmWithoutOpinion));
        assert!(p.contains(&ClosureProblem::WithheldWithoutReason {
            description: "consultation of 2024".into()
        }));
        c.serious_harm_opinion = Some(SeriousHarmOpinion {
            professional: "Dr A Jones".into(),
            given_on: d(2025, 6, 1),
            harm_likely: false,
        });
        let p = c.problems(&request);
        assert!(p.contains(&ClosureProblem::SeriousHarmOpinionNotCurrent {
            given_on: d(2025, 6, 1),
            closed_on: d(2026, 3, 30)
        }));
        assert!(p.contains(&ClosureProblem::SeriousHarmContradictsOpinion));

        let refused = Closure {
            outcome: Outcome::Refused { reasons: "".into() },
            ..answered()
        };
        assert!(refused
            .problems(&request)
            .contains(&ClosureProblem::RefusalWithoutReasons));

        let empty = Closure {
            disclosed: vec![],
            withheld: vec![],
            other_providers: Some(OtherProvidersPolicy::FilterAndSignpost { providers: vec![] }),
            closed_on: d(2026, 3, 1),
            ..answered()
        };
        let p = empty.problems(&request);
        assert!(p.contains(&ClosureProblem::NothingRecorded));
        assert!(p.contains(&ClosureProblem::FilteredProvidersNotNamed));
        assert!(p.contains(&ClosureProblem::ClosedBeforeReceived {
            closed_on: d(2026, 3, 1),
            received_on: d(2026, 3, 2)
        }));
    }

    #[test]
    fn rectification_closure_needs_action_and_recipients_told() {
        let mut request = sar(Requester::DataSubject);
        request.details = RequestDetails::Rectification {
            corrections: "Date of birth is 1 May 1980".into(),
            recipients: vec![RecipientNotification {
                recipient: "Dorset County Hospital".into(),
                notified_on: None,
                not_notified_reason: None,
            }],
        };
        let c = Closure {
            other_providers: None,
            disclosed: vec![],
            withheld: vec![],
            ..answered()
        };
        let p = c.problems(&request);
        assert!(p.contains(&ClosureProblem::ActionNotRecorded));
        assert!(p.contains(&ClosureProblem::RecipientNotSettled {
            recipient: "Dorset County Hospital".into()
        }));
        if let RequestDetails::Rectification { recipients, .. } = &mut request.details {
            recipients[0].notified_on = Some(d(2026, 3, 20));
        }
        let c = Closure {
            action_taken: Some("we have corrected your date of birth".into()),
            ..c
        };
        assert_eq!(c.problems(&request), vec![]);
        let letter = response_letter(&request, &c, &org());
        assert!(letter
            .paragraphs
            .contains(&"We have corrected your date of birth.".to_string()));
        assert!(letter
            .paragraphs
            .iter()
            .any(|p| p.contains("Dorset County Hospital")));
    }

    #[test]
    fn letter_to_the_patient() {
        let letter = response_letter(&sar(Requester::DataSubject), &answered(), &org());
        assert_eq!(
            letter.title,
            "Your subject access request (our reference SAR-2026-014)"
        );
        assert_eq!(letter.paragraphs[0], "30 March 2026");
        assert_eq!(letter.paragraphs[1], "Dear Jane Smith,");
        assert!(letter.paragraphs[2].contains("received on 2 March 2026"));
        assert!(letter.paragraphs[2].contains("UK GDPR Article 15"));
        assert!(letter.paragraphs[3].contains("the GP record from 2010 and hospital letters"));
        let text = letter.paragraphs.join("\n");
        assert!(text.contains(
            "Information about other people (Data Protection Act 2018, Schedule 2, Part 3, paragraph 16)."
        ));
        // Seed 003: a filtering practice tells the patient it can see other providers'
        // information and that they can ask those providers directly.
        assert!(text.contains("Your GP record also contains information added by other health and care providers. We can see this information"));
        assert!(text.contains("Dorset County Hospital and Dorset HealthCare"));
        assert!(text.contains("Information Commissioner's Office"));
        assert!(text.contains("dpo@riverside.example"));
        assert_eq!(letter.paragraphs.last().unwrap(), "Riverside Surgery");
        // The withheld item's own description stays out of the letter.
        assert!(!text.contains("ex-partner"));
    }

    #[test]
    fn letter_to_a_solicitor_with_extension_and_hidden_ground() {
        let mut request = sar(Requester::Proxy(Proxy {
            kind: ProxyKind::Solicitor,
            name: "Ms A Brief".into(),
            organisation: Some("Brief & Co".into()),
            evidence: None,
        }));
        request
            .clock
            .extend(
                Extension {
                    months: 2,
                    ground: ExtensionGround::Complex,
                    reasons: "the record is large and held by several providers".into(),
                    requester_told_on: d(2026, 3, 20),
                    recorded_on: d(2026, 3, 20),
                },
                &BankHolidays::embedded(),
            )
            .unwrap();
        let mut closure = answered();
        closure.other_providers = Some(OtherProvidersPolicy::ReleaseAll);
        closure.withheld[0].mention_in_letter = false;
        let letter = response_letter(&request, &closure, &org());
        assert_eq!(
            letter.title,
            "Subject access request about Jane Smith (our reference SAR-2026-014)"
        );
        assert_eq!(letter.paragraphs[1], "Dear Ms A Brief,");
        assert!(letter.paragraphs[2].contains(
            "As we told you on 20 March 2026, we extended the time to respond by two months because The record is large"
        ));
        let text = letter.paragraphs.join("\n");
        assert!(text.contains("about your client, Jane Smith"));
        assert!(text.contains("added to Jane Smith's GP record by other health and care providers"));
        assert!(!text.contains("withheld"));
    }

    #[test]
    fn refusal_and_nothing_held_letters() {
        let request = sar(Requester::DataSubject);
        let refused = Closure {
            outcome: Outcome::Refused {
                reasons: "it repeats a request answered last month".into(),
            },
            ..answered()
        };
        let text = response_letter(&request, &refused, &org())
            .paragraphs
            .join("\n");
        assert!(text.contains("manifestly unfounded or excessive"));
        assert!(text.contains("It repeats a request answered last month."));
        assert!(text.contains("right to complain to the Information Commissioner's Office"));
        let none = Closure {
            outcome: Outcome::NothingHeld,
            ..answered()
        };
        let text = response_letter(&request, &none, &org())
            .paragraphs
            .join("\n");
        assert!(text.contains("hold no personal information about you"));
    }

    #[test]
    fn close_checks_steps_problems_and_status() {
        let checklist = Checklist::embedded();
        let mut request = sar(Requester::DataSubject);
        let closure = answered();
        let err = request.close(&closure, &checklist, &[]).unwrap_err();
        assert!(err
            .outstanding_steps
            .contains(&"clinician_serious_harm_test".to_string()));
        assert!(err.problems.is_empty());
        assert_eq!(err.status, None);
        assert_eq!(request.status, RequestStatus::ReadyToSend);

        let done: Vec<CompletedStep> = err
            .outstanding_steps
            .iter()
            .map(|id| CompletedStep {
                step_id: id.clone(),
                completed_on: d(2026, 3, 20),
                by: "IG lead".into(),
                note: None,
            })
            .collect();
        request.close(&closure, &checklist, &done).unwrap();
        assert_eq!(request.status, RequestStatus::Completed);
        // A closed request cannot be closed again.
        let again = request.close(&closure, &checklist, &done).unwrap_err();
        assert!(again.status.is_some());
        assert!(again.to_string().contains("cannot go from Completed"));

        // Nothing held: only admin steps; refusal: no steps, status Refused.
        let nothing = Closure {
            outcome: Outcome::NothingHeld,
            ..answered()
        };
        let r = sar(Requester::DataSubject);
        let left = r.outstanding_before(&nothing, &checklist, &[]);
        assert!(!left.is_empty());
        assert!(left.iter().all(|s| s.role == StepRole::Admin));
        let mut in_progress = sar(Requester::DataSubject);
        in_progress.status = RequestStatus::InProgress;
        let refusal = Closure {
            outcome: Outcome::Refused {
                reasons: "the same request was answered last month".into(),
            },
            ..answered()
        };
        in_progress.close(&refusal, &checklist, &[]).unwrap();
        assert_eq!(in_progress.status, RequestStatus::Refused);
    }

    #[test]
    fn uk_dates() {
        assert_eq!(format_uk_date(d(2021, 2, 5)), "5 February 2021");
        assert_eq!(join_list(&["a".into()]), "a");
        assert_eq!(
            join_list(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }
}
