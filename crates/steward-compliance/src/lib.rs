//! steward-compliance: a practice's compliance operations (issue 14), so that toolkit time is
//! a report and not a hunt.
//!
//! Pure rules at the root, each from a data file under `data/` with its source:
//! - [`retention`]: the retention schedule (Appendix II of the Records Management Code of
//!   Practice 2021, every row citing its row) and the retention calculator;
//! - [`training_rules`]: training each role must hold, the 12-month data security rule;
//! - [`toolkit_rules`]: the toolkit's assertions and the evidence each links to;
//! - [`csv`]: the one CSV writer (formula cells neutralised) and the import reader.
//!
//! Behind the default feature `service`: the workflow over Steward's storage, every function
//! asking the core's access gate first — training records and the needs analysis
//! ([`training`]), the policy library and acknowledgements ([`policies`]), records
//! management reviews and the destruction log ([`records`]), toolkit evidence and readiness
//! ([`toolkit`]), business continuity plans ([`continuity`]) and demo data ([`demo`]).

pub mod csv;
pub mod retention;
pub mod toolkit_rules;
pub mod training_rules;

pub use retention::{calculate, CalcError, Dates, Outcome, Schedule, ScheduleRow};
pub use toolkit_rules::{Assertion, Assertions, Evidence};
pub use training_rules::{Course, Requirements, Standing};

#[cfg(feature = "service")]
pub mod continuity;
#[cfg(feature = "service")]
pub mod demo;
#[cfg(feature = "service")]
pub mod optout;
#[cfg(feature = "service")]
pub mod policies;
#[cfg(feature = "service")]
pub mod records;
#[cfg(feature = "service")]
pub(crate) mod store;
#[cfg(feature = "service")]
pub mod toolkit;
#[cfg(feature = "service")]
pub mod training;

/// The rule tables, loaded once: the shipped files, or the DPO's copies in the data folder.
#[derive(Debug, Clone)]
pub struct Rules {
    pub schedule: Schedule,
    pub requirements: Requirements,
    pub assertions: Assertions,
}

impl Rules {
    pub fn embedded() -> Rules {
        Rules {
            schedule: Schedule::embedded(),
            requirements: Requirements::embedded(),
            assertions: Assertions::embedded(),
        }
    }

    /// The shipped tables, each replaced by the copy in `dir` when there is one; a copy that
    /// does not read is an error naming the file.
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
        if let Some(t) = read("retention-schedule.toml")? {
            r.schedule =
                Schedule::from_toml(&t).map_err(|e| format!("retention-schedule.toml: {e}"))?;
        }
        if let Some(t) = read("training-requirements.toml")? {
            r.requirements = Requirements::from_toml(&t)
                .map_err(|e| format!("training-requirements.toml: {e}"))?;
        }
        if let Some(t) = read("toolkit-assertions.toml")? {
            r.assertions =
                Assertions::from_toml(&t).map_err(|e| format!("toolkit-assertions.toml: {e}"))?;
        }
        Ok(r)
    }
}

/// The rules for a Steward instance, read from its data folder once per folder.
#[cfg(feature = "service")]
pub fn rules(steward: &steward_core::Steward) -> std::sync::Arc<Rules> {
    steward_core::rule_tables::cached(steward, "compliance", Rules::load, Rules::embedded)
}

/// "1 course", "3 courses".
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
            super::Rules::load(dir.path()).unwrap().schedule,
            super::Schedule::embedded()
        );
        std::fs::write(
            dir.path().join("retention-schedule.toml"),
            super::retention::EMBEDDED_SCHEDULE_TOML.replace("days = 31", "days = 40"),
        )
        .unwrap();
        let r = super::Rules::load(dir.path()).unwrap();
        assert_eq!(r.schedule.get("cctv").unwrap().days, 40);
        std::fs::write(dir.path().join("toolkit-assertions.toml"), "broken").unwrap();
        assert!(super::Rules::load(dir.path())
            .unwrap_err()
            .contains("toolkit-assertions.toml"));
    }
}
