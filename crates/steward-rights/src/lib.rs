//! steward-rights: subject access and other rights requests — the statutory clock and the
//! request's rules. Pure domain: no database, no HTTP; the web app and storage call these
//! functions.
//!
//! Every rule follows shared/reference/rights-and-deadlines.md; each module cites the part it
//! implements:
//! - [`calendar`]: bank holidays of England and Wales (shipped data file, or a user-updated one)
//!   and the working-day rule;
//! - [`clock`]: the statutory clock — start on the latest event, one calendar month (or the
//!   28-day setting), next working day, clarification pauses, extensions;
//! - [`request`]: request types, channels, requesters and proxies, the status lifecycle;
//! - [`identity`]: warnings about other patients with the same surname;
//! - [`checklist`]: admin and clinician steps per request type (`data/checklist.toml`);
//! - [`closure`]: what was disclosed and withheld, and the response letter's content;
//! - `render` (feature `documents`): the letter to PDF and DOCX through steward-documents;
//! - `requests` and `review` (feature `service`, on by default): the workflow over Steward's
//!   storage — every function takes the caller and checks organisation and role — and the
//!   redaction review behind an access request.
//!
//! ```
//! use chrono::NaiveDate;
//! use steward_rights::{BankHolidays, Clock, ClockSettings, ClockStatus};
//!
//! let calendar = BankHolidays::embedded();
//! let received = NaiveDate::from_ymd_opt(2024, 11, 25).unwrap();
//! let clock = Clock::new(received, ClockSettings::default());
//! // 25 December is Christmas Day and 26 December Boxing Day.
//! assert_eq!(clock.due_date(&calendar), NaiveDate::from_ymd_opt(2024, 12, 27).unwrap());
//! let today = NaiveDate::from_ymd_opt(2024, 12, 23).unwrap();
//! assert_eq!(clock.days_remaining(today, &calendar), 4);
//! assert_eq!(clock.status(today, &calendar), ClockStatus::DueSoon);
//! assert_eq!(calendar.last_year_covered(), Some(2028));
//! ```

pub mod calendar;
pub mod checklist;
pub mod clock;
pub mod closure;
#[cfg(feature = "service")]
pub mod demo;
pub mod identity;
#[cfg(feature = "documents")]
pub mod render;
pub mod request;
#[cfg(feature = "service")]
pub mod requests;
#[cfg(feature = "service")]
pub mod review;
#[cfg(feature = "service")]
pub mod settings;

pub use calendar::{
    BankHoliday, BankHolidayError, BankHolidays, CalendarGap, EMBEDDED_BANK_HOLIDAYS_CSV,
};
pub use checklist::{
    Checklist, ChecklistError, ChecklistStep, CompletedStep, RequesterFilter, StepRole,
    EMBEDDED_CHECKLIST_TOML,
};
pub use clock::{
    Clock, ClockError, ClockSettings, ClockStatus, Extension, ExtensionGround, Pause, Period,
    StartEvent, DEFAULT_DUE_SOON_DAYS, MAX_EXTENSION_MONTHS, STOP_THE_CLOCK_IN_FORCE,
};
pub use closure::{
    format_uk_date, response_letter, CloseError, Closure, ClosureProblem, DisclosedItem, Exemption,
    Letter, Organisation, OtherProvidersPolicy, Outcome, SeriousHarmOpinion, WithheldItem,
};
pub use identity::{
    namesake_warnings, normalise_postcode, normalise_text, NamesakeReason, NamesakeWarning,
    PatientIdentity,
};
#[cfg(feature = "documents")]
pub use render::{render_letter_docx, render_letter_pdf};
pub use request::{
    AccessScope, AuthorityEvidence, AuthorityEvidenceKind, Channel, ObjectionKind, Proxy,
    ProxyKind, RecipientNotification, RequestDetails, RequestError, RequestStatus, RequestType,
    Requester, RightsRequest, StatusError,
};
