//! steward-assurance: the DPO's rhythm of cluster assurance (issue 13).
//!
//! Pure rules at the root, each from a data file under `data/` with its source:
//! - [`grading`]: the NHS breach assessment grid (`breach-grading.toml`): likelihood x
//!   severity, who must be told (ICO, DHSC/NHS England);
//! - [`clock`]: the 72-hour clock from awareness (UK GDPR Art 33(1)), UK local time;
//! - [`categories`]: incident categories (`incident-categories.toml`);
//! - [`lessons`]: the check that a published lesson holds no one's personal data (the
//!   redaction engine's detectors);
//! - [`matrix`]: the 5x5 risk matrix (`risk-matrix.toml`), shared with DPIAs;
//! - [`audit_template`]: the Data Security Compliance Audit (`compliance-audit.toml`);
//! - [`round_template`]: the high-risk processing action round (`high-risk-processing.toml`).
//!
//! Behind the default feature `service`: the workflow over Steward's storage, every function
//! asking the core's access gate first — incidents ([`incidents`]), the information risk
//! register ([`risks`]), compliance audits ([`audits`]), action rounds ([`rounds`]), the
//! quarterly cluster update ([`update`]) and demo data ([`demo`]).

pub mod audit_template;
pub mod categories;
pub mod clock;
pub mod grading;
pub mod lessons;
pub mod matrix;
pub mod round_template;

pub use audit_template::AuditTemplate;
pub use categories::{Categories, Category};
pub use clock::{BreachClock, ClockState};
pub use grading::{Assessment, GradeError, Grid, GridError};
pub use lessons::{check_lesson, Finding};
pub use matrix::{Matrix, Score, ScoreError};
pub use round_template::RoundTemplate;

#[cfg(feature = "service")]
pub mod audits;
#[cfg(feature = "service")]
pub mod dashboard;
#[cfg(feature = "service")]
pub mod demo;
#[cfg(feature = "service")]
pub mod incidents;
#[cfg(feature = "service")]
pub mod mail;
#[cfg(feature = "service")]
pub mod risks;
#[cfg(feature = "service")]
pub mod rounds;
#[cfg(feature = "service")]
pub mod update;

/// The rule tables, loaded once: the shipped files, or the DPO's own copies in the data
/// folder (`breach-grading.toml`, `incident-categories.toml`, `risk-matrix.toml`).
#[derive(Debug, Clone)]
pub struct Rules {
    pub grid: Grid,
    pub categories: Categories,
    pub matrix: Matrix,
    pub audit: AuditTemplate,
    pub round: RoundTemplate,
}

impl Rules {
    pub fn embedded() -> Rules {
        Rules {
            grid: Grid::embedded(),
            categories: Categories::embedded(),
            matrix: Matrix::embedded(),
            audit: AuditTemplate::embedded(),
            round: RoundTemplate::embedded(),
        }
    }

    /// The shipped tables, each replaced by the copy in `dir` when there is one. A copy that
    /// does not read is an error naming the file, so a broken edit is noticed at start.
    pub fn load(dir: &std::path::Path) -> Result<Rules, String> {
        let mut r = Rules::embedded();
        let read = |name: &str| -> Result<Option<String>, String> {
            let p = dir.join(name);
            if p.exists() {
                std::fs::read_to_string(&p)
                    .map(Some)
                    .map_err(|e| format!("{}: {e}", p.display()))
            } else {
                Ok(None)
            }
        };
        if let Some(t) = read("breach-grading.toml")? {
            r.grid = Grid::from_toml(&t).map_err(|e| format!("breach-grading.toml: {e}"))?;
        }
        if let Some(t) = read("incident-categories.toml")? {
            r.categories =
                Categories::from_toml(&t).map_err(|e| format!("incident-categories.toml: {e}"))?;
        }
        if let Some(t) = read("risk-matrix.toml")? {
            r.matrix = Matrix::from_toml(&t).map_err(|e| format!("risk-matrix.toml: {e}"))?;
        }
        if let Some(t) = read("compliance-audit.toml")? {
            r.audit =
                AuditTemplate::from_toml(&t).map_err(|e| format!("compliance-audit.toml: {e}"))?;
        }
        if let Some(t) = read("high-risk-processing.toml")? {
            r.round = RoundTemplate::from_toml(&t)
                .map_err(|e| format!("high-risk-processing.toml: {e}"))?;
        }
        Ok(r)
    }
}

/// The rules for a Steward instance, read from its data folder once per folder.
#[cfg(feature = "service")]
pub fn rules(steward: &steward_core::Steward) -> std::sync::Arc<Rules> {
    steward_core::rule_tables::cached(steward, "assurance", Rules::load, Rules::embedded)
}

/// The redaction engine's built-in rules, compiled once.
pub fn redaction_rules() -> &'static steward_redact::Rules {
    static R: std::sync::OnceLock<steward_redact::Rules> = std::sync::OnceLock::new();
    R.get_or_init(steward_redact::Rules::builtin)
}

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
    fn the_dpo_s_copies_replace_the_shipped_tables() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            super::Rules::load(dir.path()).unwrap().grid,
            super::Grid::embedded()
        );
        std::fs::write(
            dir.path().join("breach-grading.toml"),
            super::grading::EMBEDDED_GRID_TOML.replace("min_severity = 2", "min_severity = 3"),
        )
        .unwrap();
        let r = super::Rules::load(dir.path()).unwrap();
        assert!(!r.grid.assess(3, 2).unwrap().reportable());
        std::fs::write(dir.path().join("risk-matrix.toml"), "broken").unwrap();
        assert!(super::Rules::load(dir.path())
            .unwrap_err()
            .contains("risk-matrix.toml"));
    }

    #[test]
    fn counts_in_words() {
        assert_eq!(super::count_words(1, "risk", "risks"), "1 risk");
        assert_eq!(super::count_words(3, "risk", "risks"), "3 risks");
        assert_eq!(super::count_words(0, "risk", "risks"), "0 risks");
    }
}
