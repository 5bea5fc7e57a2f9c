//! A rights request: its type, channel, requester, subject and status lifecycle.
//!
//! The rights are those of UK GDPR Arts 15-21 as Steward's practices meet them (PRODUCT.md,
//! "rights"; seeds 001 and 003): access (SAR), rectification, erasure, restriction and objection,
//! including the opt-outs from uses of GP data beyond individual care (identifiers.md, "Opt-outs
//! in the GP record").

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::BankHolidays;
use crate::clock::{Clock, ClockError, ClockSettings};
use crate::identity::PatientIdentity;

/// The right exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// Right of access, a subject access request (Art 15).
    Access,
    /// Right to rectification (Art 16).
    Rectification,
    /// Right to erasure (Art 17).
    Erasure,
    /// Right to restriction of processing (Art 18).
    Restriction,
    /// Right to object (Art 21), including opt-outs.
    Objection,
}

impl RequestType {
    pub const ALL: [RequestType; 5] = [
        RequestType::Access,
        RequestType::Rectification,
        RequestType::Erasure,
        RequestType::Restriction,
        RequestType::Objection,
    ];

    /// The name used in the interface (British spelling).
    pub fn label(self) -> &'static str {
        match self {
            RequestType::Access => "subject access request",
            RequestType::Rectification => "request for rectification",
            RequestType::Erasure => "request for erasure",
            RequestType::Restriction => "request to restrict processing",
            RequestType::Objection => "objection to processing",
        }
    }

    /// The UK GDPR article of the right.
    pub fn article(self) -> &'static str {
        match self {
            RequestType::Access => "UK GDPR Article 15",
            RequestType::Rectification => "UK GDPR Article 16",
            RequestType::Erasure => "UK GDPR Article 17",
            RequestType::Restriction => "UK GDPR Article 18",
            RequestType::Objection => "UK GDPR Article 21",
        }
    }
}

/// How much of the record an access request asks for. Solicitors often ask for the "full
/// record"; the patient may narrow it once told what that means (seed 003, "Solicitors Forcing
/// Patient Disclosure").
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum AccessScope {
    #[default]
    FullRecord,
    /// A period of the record.
    DateRange {
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    /// Particular information, in the requester's words.
    Specific { description: String },
}

/// A recipient to whom the data had been disclosed, to be told of a rectification, erasure or
/// restriction (UK GDPR Art 19) unless that proves impossible or involves disproportionate effort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientNotification {
    /// Who received the data (a hospital trust, an insurer, the shared care record...).
    pub recipient: String,
    /// When the recipient was told of the change.
    pub notified_on: Option<NaiveDate>,
    /// Why the recipient was not told (impossible or disproportionate effort).
    pub not_notified_reason: Option<String>,
}

impl RecipientNotification {
    /// The recipient has been told, or the reason for not telling it is recorded.
    pub fn is_settled(&self) -> bool {
        self.notified_on.is_some()
            || self
                .not_notified_reason
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty())
    }
}

/// What an objection is to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObjectionKind {
    /// Type 1 opt-out: dissent from secondary use of GP patient identifiable data, recorded in
    /// the GP record with the codes of [`ObjectionKind::clinical_codes`].
    Type1OptOut,
    /// Withdrawal of a Type 1 opt-out (it has its own code; identifiers.md).
    Type1OptOutWithdrawal,
    /// The National Data Opt-out: held nationally, not in the GP record; the practice points the
    /// patient to the national service and applies it to extracts for research and planning.
    NationalDataOptOut,
    /// Objection to direct marketing (Art 21(2)).
    DirectMarketing,
    /// Objection to processing for a public task or legitimate interests (Art 21(1)), described.
    Other { processing: String },
}

impl ObjectionKind {
    /// The clinical codes of a Type 1 opt-out (identifiers.md, "Opt-outs in the GP record"):
    /// `(scheme, code)`. The withdrawal's own code is not given in the reference, so none is
    /// listed for it here.
    pub fn clinical_codes(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            ObjectionKind::Type1OptOut => &[
                ("Read v2", "9Nu0"),
                ("CTV3", "XaZ89"),
                ("SNOMED CT", "827241000000103"),
            ],
            _ => &[],
        }
    }
}

/// The right exercised with what it needs to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RequestDetails {
    Access {
        #[serde(default)]
        scope: AccessScope,
    },
    Rectification {
        /// What the requester says is wrong, and what it should say.
        corrections: String,
        #[serde(default)]
        recipients: Vec<RecipientNotification>,
    },
    Erasure {
        what: String,
        #[serde(default)]
        recipients: Vec<RecipientNotification>,
    },
    Restriction {
        what: String,
        #[serde(default)]
        recipients: Vec<RecipientNotification>,
    },
    Objection {
        objection: ObjectionKind,
    },
}

impl RequestDetails {
    pub fn request_type(&self) -> RequestType {
        match self {
            RequestDetails::Access { .. } => RequestType::Access,
            RequestDetails::Rectification { .. } => RequestType::Rectification,
            RequestDetails::Erasure { .. } => RequestType::Erasure,
            RequestDetails::Restriction { .. } => RequestType::Restriction,
            RequestDetails::Objection { .. } => RequestType::Objection,
        }
    }

    /// Recipients to be told of the change (Art 19), for rectification, erasure and restriction.
    pub fn recipients(&self) -> &[RecipientNotification] {
        match self {
            RequestDetails::Rectification { recipients, .. }
            | RequestDetails::Erasure { recipients, .. }
            | RequestDetails::Restriction { recipients, .. } => recipients,
            _ => &[],
        }
    }
}

/// How the request arrived. A request is valid whatever the channel, verbal ones included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Letter,
    Email,
    OnlineForm,
    /// In person or by telephone: the member of staff writes it down.
    Verbal,
}

/// Who may act for the data subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyKind {
    /// A solicitor acting with the patient's signed authority.
    Solicitor,
    /// A person with parental responsibility, for a child.
    ParentForChild,
    /// An attorney under a lasting power of attorney (health and welfare) or a deputy.
    Attorney,
    /// An insurer with the patient's consent.
    Insurer,
}

impl ProxyKind {
    pub fn label(self) -> &'static str {
        match self {
            ProxyKind::Solicitor => "solicitor",
            ProxyKind::ParentForChild => "parent",
            ProxyKind::Attorney => "attorney",
            ProxyKind::Insurer => "insurer",
        }
    }
}

/// The kind of evidence of a proxy's authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityEvidenceKind {
    /// The patient's signed consent or form of authority.
    SignedPatientAuthority,
    /// Evidence of parental responsibility (and, for a competent child, the child's consent).
    ParentalResponsibility,
    /// A registered lasting power of attorney.
    LastingPowerOfAttorney,
    /// A Court of Protection order appointing a deputy, or another court order.
    CourtOrder,
    Other,
}

/// Evidence that a proxy may act. The day it was received is the clock's
/// `proxy_authority_received_on` (one place only: [`Clock`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityEvidence {
    pub kind: AuthorityEvidenceKind,
    pub description: String,
}

/// A person acting for the data subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proxy {
    pub kind: ProxyKind,
    /// The person's name.
    pub name: String,
    /// The firm or company, for a solicitor or insurer.
    pub organisation: Option<String>,
    /// Evidence of authority, once received.
    pub evidence: Option<AuthorityEvidence>,
}

/// Who made the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Requester {
    /// The data subject.
    DataSubject,
    Proxy(Proxy),
}

impl Requester {
    pub fn proxy_kind(&self) -> Option<ProxyKind> {
        match self {
            Requester::DataSubject => None,
            Requester::Proxy(p) => Some(p.kind),
        }
    }
}

/// Where a request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Received,
    AwaitingIdentity,
    AwaitingAuthority,
    AwaitingFee,
    InProgress,
    /// Clarification asked for: the clock is paused (see [`Clock::pause`]).
    AwaitingClarification,
    /// The clinician's review: serious harm test, other providers, Sch 4 information.
    ClinicianReview,
    ReadyToSend,
    Completed,
    /// Refused as manifestly unfounded or excessive (reasons recorded; requester told of the
    /// right to complain to the ICO).
    Refused,
    Withdrawn,
}

/// A status change the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a request cannot go from {from:?} to {to:?}")]
pub struct StatusError {
    pub from: RequestStatus,
    pub to: RequestStatus,
}

impl RequestStatus {
    /// Completed, refused and withdrawn requests are closed.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            RequestStatus::Completed | RequestStatus::Refused | RequestStatus::Withdrawn
        )
    }

    /// The statuses this one may move to.
    pub fn next(self) -> &'static [RequestStatus] {
        use RequestStatus::*;
        match self {
            Received | AwaitingIdentity | AwaitingAuthority | AwaitingFee => &[
                AwaitingIdentity,
                AwaitingAuthority,
                AwaitingFee,
                InProgress,
                Refused,
                Withdrawn,
            ],
            InProgress => &[
                AwaitingClarification,
                ClinicianReview,
                ReadyToSend,
                Refused,
                Withdrawn,
            ],
            AwaitingClarification => &[InProgress, Withdrawn],
            ClinicianReview => &[InProgress, ReadyToSend, Refused, Withdrawn],
            ReadyToSend => &[Completed, ClinicianReview, InProgress, Withdrawn],
            Completed | Refused | Withdrawn => &[],
        }
    }

    pub fn can_move_to(self, to: RequestStatus) -> bool {
        self.next().contains(&to)
    }
}

/// A rights request as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsRequest {
    /// The organisation's reference for the request.
    pub reference: String,
    pub details: RequestDetails,
    pub channel: Channel,
    /// The person the request is about.
    pub subject: PatientIdentity,
    pub requester: Requester,
    pub status: RequestStatus,
    /// The statutory clock; it holds the day received and the other start events.
    pub clock: Clock,
}

/// A change to a request that its clock or its lifecycle refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Clock(#[from] ClockError),
    #[error(transparent)]
    Status(#[from] StatusError),
}

impl RightsRequest {
    /// A request just received: status [`RequestStatus::Received`], its clock running from
    /// `received_on` with the organisation's clock settings.
    pub fn new(
        reference: impl Into<String>,
        details: RequestDetails,
        channel: Channel,
        subject: PatientIdentity,
        requester: Requester,
        received_on: NaiveDate,
        settings: ClockSettings,
    ) -> Self {
        Self {
            reference: reference.into(),
            details,
            channel,
            subject,
            requester,
            status: RequestStatus::Received,
            clock: Clock::new(received_on, settings),
        }
    }

    pub fn request_type(&self) -> RequestType {
        self.details.request_type()
    }

    /// Asks for clarification: pauses the clock and moves the request to
    /// [`RequestStatus::AwaitingClarification`], both or neither.
    pub fn ask_for_clarification(
        &mut self,
        asked_on: NaiveDate,
        question: impl Into<String>,
        calendar: &BankHolidays,
    ) -> Result<(), RequestError> {
        self.check_move(RequestStatus::AwaitingClarification)?;
        self.clock.pause(asked_on, question, calendar)?;
        self.status = RequestStatus::AwaitingClarification;
        Ok(())
    }

    /// Records the clarification: restarts the clock and moves the request back to
    /// [`RequestStatus::InProgress`], both or neither.
    pub fn clarification_received(&mut self, received_on: NaiveDate) -> Result<(), RequestError> {
        self.check_move(RequestStatus::InProgress)?;
        self.clock.resume(received_on)?;
        self.status = RequestStatus::InProgress;
        Ok(())
    }

    pub(crate) fn check_move(&self, to: RequestStatus) -> Result<(), StatusError> {
        if self.status.can_move_to(to) {
            Ok(())
        } else {
            Err(StatusError {
                from: self.status,
                to,
            })
        }
    }

    /// Moves the request on, refusing a change the lifecycle does not allow.
    pub fn move_to(&mut self, to: RequestStatus) -> Result<(), StatusError> {
        self.check_move(to)?;
        self.status = to;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        use RequestStatus::*;
        assert!(Received.can_move_to(AwaitingIdentity));
        assert!(AwaitingIdentity.can_move_to(InProgress));
        assert!(InProgress.can_move_to(AwaitingClarification));
        assert!(AwaitingClarification.can_move_to(InProgress));
        assert!(!AwaitingClarification.can_move_to(Completed));
        assert!(ClinicianReview.can_move_to(ReadyToSend));
        assert!(ReadyToSend.can_move_to(Completed));
        assert!(!Received.can_move_to(Completed));
        for closed in [Completed, Refused, Withdrawn] {
            assert!(closed.is_closed());
            assert!(closed.next().is_empty());
        }
    }

    #[test]
    fn serde_is_snake_case() {
        let details = RequestDetails::Objection {
            objection: ObjectionKind::Type1OptOut,
        };
        let json = serde_json::to_string(&details).unwrap();
        assert_eq!(
            json,
            r#"{"type":"objection","objection":{"kind":"type1_opt_out"}}"#
        );
        let requester = Requester::Proxy(Proxy {
            kind: ProxyKind::ParentForChild,
            name: "A Parent".into(),
            organisation: None,
            evidence: None,
        });
        let json = serde_json::to_string(&requester).unwrap();
        assert!(json.contains(r#""by":"proxy""#), "{json}");
        assert!(json.contains(r#""kind":"parent_for_child""#), "{json}");
        assert_eq!(
            serde_json::to_string(&Channel::OnlineForm).unwrap(),
            "\"online_form\""
        );
        assert_eq!(
            serde_json::to_string(&RequestStatus::AwaitingClarification).unwrap(),
            "\"awaiting_clarification\""
        );
        let back: RequestDetails = serde_json::from_str(r#"{"type":"access"}"#).unwrap();
        assert_eq!(
            back,
            RequestDetails::Access {
                scope: AccessScope::FullRecord
            }
        );
    }

    #[test]
    fn clarification_pauses_clock_and_status_together() {
        let cal = BankHolidays::embedded();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let mut r = RightsRequest::new(
            "SAR-7",
            RequestDetails::Access {
                scope: AccessScope::FullRecord,
            },
            Channel::Verbal,
            PatientIdentity::default(),
            Requester::DataSubject,
            d(3, 2),
            ClockSettings::default(),
        );
        assert_eq!(r.status, RequestStatus::Received);
        // Not from Received: the status refuses and the clock is left alone.
        assert!(matches!(
            r.ask_for_clarification(d(3, 10), "Which years?", &cal),
            Err(RequestError::Status(_))
        ));
        assert!(r.clock.pauses().is_empty());
        r.move_to(RequestStatus::InProgress).unwrap();
        // The clock refuses a pause before it started: the status stays.
        assert!(matches!(
            r.ask_for_clarification(d(3, 1), "Which years?", &cal),
            Err(RequestError::Clock(ClockError::PauseBeforeStart { .. }))
        ));
        assert_eq!(r.status, RequestStatus::InProgress);
        r.ask_for_clarification(d(3, 10), "Which years?", &cal)
            .unwrap();
        assert_eq!(r.status, RequestStatus::AwaitingClarification);
        assert!(matches!(
            r.clarification_received(d(3, 9)),
            Err(RequestError::Clock(ClockError::ResumeBeforePause { .. }))
        ));
        assert_eq!(r.status, RequestStatus::AwaitingClarification);
        r.clarification_received(d(3, 15)).unwrap();
        assert_eq!(r.status, RequestStatus::InProgress);
        assert_eq!(r.clock.due_date(&cal), d(4, 7));
    }

    #[test]
    fn type1_opt_out_codes_follow_the_reference() {
        let codes = ObjectionKind::Type1OptOut.clinical_codes();
        assert!(codes.contains(&("SNOMED CT", "827241000000103")));
        assert!(codes.contains(&("Read v2", "9Nu0")));
        assert!(codes.contains(&("CTV3", "XaZ89")));
        assert!(ObjectionKind::NationalDataOptOut
            .clinical_codes()
            .is_empty());
    }

    #[test]
    fn recipient_settled() {
        let mut r = RecipientNotification {
            recipient: "Dorset County Hospital".into(),
            notified_on: None,
            not_notified_reason: None,
        };
        assert!(!r.is_settled());
        r.not_notified_reason = Some(" ".into());
        assert!(!r.is_settled());
        r.notified_on = NaiveDate::from_ymd_opt(2026, 3, 1);
        assert!(r.is_settled());
    }
}
