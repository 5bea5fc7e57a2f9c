//! steward-assurance: the DPO's rhythm of cluster assurance (issue 13).
//!
//! Pure rules at the root, each from a data file under `data/` with its source:
//! - [`grading`]: the NHS breach assessment grid (`breach-grading.toml`): likelihood x
//!   severity, who must be told (ICO, DHSC/NHS England);
//! - [`clock`]: the 72-hour clock from awareness (UK GDPR Art 33(1)), UK local time;
//! - [`categories`]: incident categories (`incident-categories.toml`);
//! - [`lessons`]: the check that a published lesson holds no one's personal data (the
//!   redaction engine's detectors);
//! - [`matrix`]: the 5x5 risk matrix (`risk-matrix.toml`), shared with DPIAs.
//!
//! Behind the default feature `service`: the workflow over Steward's storage, every function
//! asking the core's access gate first — incidents ([`incidents`]), the information risk
//! register ([`risks`]), the quarterly cluster update ([`update`]) and demo data ([`demo`]).

pub mod categories;
pub mod clock;
pub mod grading;
pub mod lessons;
pub mod matrix;

pub use categories::{Categories, Category};
pub use clock::{BreachClock, ClockState};
pub use grading::{Assessment, GradeError, Grid, GridError};
pub use lessons::{check_lesson, Finding};
pub use matrix::{Matrix, Score, ScoreError};

/// "1 incident", "3 incidents".
pub fn count_words(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_in_words() {
        assert_eq!(super::count_words(1, "risk", "risks"), "1 risk");
        assert_eq!(super::count_words(3, "risk", "risks"), "3 risks");
        assert_eq!(super::count_words(0, "risk", "risks"), "0 risks");
    }
}
