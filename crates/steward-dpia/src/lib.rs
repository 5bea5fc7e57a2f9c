//! steward-dpia: data protection impact assessments (issue 11).
//!
//! Pure rules at the root, each table a data file under `data/` with its source:
//! - [`rules`]: the two screening questionnaires (the trust's, seed 002; the ICO high-risk
//!   list with the EDPB criteria), the risk matrices (ICO 3x3, 5x5 numeric, CNIL 4x4), the
//!   law's pick-lists (Art 6, Art 9, confidentiality, rights), the data items, the sections;
//! - [`screening`]: a questionnaire's outcome with its reasons;
//! - [`model`]: the assessment and its checks (not applicable only with a reason, a Yes data
//!   item needs a purpose, a rating inside the matrix, the Art 36 rule at approval);
//! - [`workflow`]: draft, submitted, changes requested, approved or rejected, under review;
//! - [`export`]: the DPIA as the document engine's one model (PDF and DOCX);
//! - [`cnil`]: the CNIL PIA tool's JSON, import and export;
//! - [`svg`]: the risk map.
//!
//! Behind the default feature `service`: the workflow over Steward's storage, every function
//! asking the core's access gate first ([`service`]), and demo data ([`demo`]).

pub mod cnil;
pub mod export;
pub mod model;
pub mod rules;
pub mod screening;
pub mod svg;
pub mod workflow;

pub use model::Content;
pub use rules::Rules;

#[cfg(feature = "service")]
pub mod adoption;
#[cfg(feature = "service")]
pub mod demo;
#[cfg(feature = "service")]
pub mod service;

/// "1 risk", "3 risks".
pub fn count_words(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
