//! steward-rights: subject access and other rights requests — the statutory clock and the
//! request's rules. Pure domain: no database, no HTTP.
//!
//! Every rule follows shared/reference/rights-and-deadlines.md; each module cites the part it
//! implements.

pub mod calendar;
pub mod clock;

pub use calendar::{BankHoliday, BankHolidayError, BankHolidays, CalendarGap};
pub use clock::{
    Clock, ClockError, ClockSettings, ClockStatus, Extension, ExtensionGround, Pause, Period,
    StartEvent,
};
pub mod checklist;
pub mod closure;
pub mod identity;
pub mod request;

pub use checklist::{
    Checklist, ChecklistError, ChecklistStep, CompletedStep, RequesterFilter, StepRole,
};
pub use closure::{
    format_uk_date, response_letter, CloseError, Closure, ClosureProblem, DisclosedItem, Exemption,
    Letter, Organisation, OtherProvidersPolicy, Outcome, SeriousHarmOpinion, WithheldItem,
};
pub use identity::{namesake_warnings, NamesakeReason, NamesakeWarning, PatientIdentity};
pub use request::{
    AccessScope, AuthorityEvidence, AuthorityEvidenceKind, Channel, ObjectionKind, Proxy,
    ProxyKind, RecipientNotification, RequestDetails, RequestStatus, RequestType, Requester,
    RightsRequest, StatusError,
};
