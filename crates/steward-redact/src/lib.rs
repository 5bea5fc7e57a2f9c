//! The redaction engine: finds third parties' personal data and sensitive passages in a
//! subject's records, and writes a true redacted bundle and a redaction schedule.
//!
//! Pure library: no database, no HTTP. This crate works on text: [`detect()`] proposes
//! redactions and flags for one text (see [`mod@detect`] for the rules and their sources).
//! Reading documents and writing the redacted bundle live in `steward-documents`.
//!
//! ```
//! use steward_redact::{detect, Entity, Options, Rules, Subject};
//! let subject = Subject { name: "Margaret Thompson".into(), ..Default::default() };
//! let text = "Seen with her husband Peter Thompson. Dr Patel reviewed.";
//! let found = detect(text, &subject, &Rules::builtin(), &Options::default());
//! let names: Vec<&str> = found.proposals.iter().map(|p| &text[p.start..p.end]).collect();
//! assert_eq!(names, ["Peter Thompson"]);
//! assert_eq!(found.proposals[0].entity, Entity::PersonName);
//! ```

pub mod detect;
pub mod known;
pub mod subject;

pub use detect::{detect, detect_with, Detection, Options, Rules, RulesError};
pub use known::{Kept, KeptReason, KnownParties, Organisation, StaffMember};
pub use subject::Subject;

use serde::{Deserialize, Serialize};

/// The kinds of personal data the engine proposes to redact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    PersonName,
    StreetAddress,
    Postcode,
    Phone,
    Email,
    NhsNumber,
    NiNumber,
    DateOfBirth,
    HospitalNumber,
}

/// A proposed redaction: a byte range of the text it was found in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub start: usize,
    pub end: usize,
    pub entity: Entity,
    /// Which rule found it (e.g. "nhs_number_mod11", "name_after_title").
    pub rule: String,
}

/// Passages a clinician must look at; never redacted automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCategory {
    Safeguarding,
    PoliceOrCourt,
    GivenInConfidence,
    RestrictedByLaw,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub start: usize,
    pub end: usize,
    pub category: FlagCategory,
    /// The keyword or clinical code that matched.
    pub matched: String,
}
