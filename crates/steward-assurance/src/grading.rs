//! The NHS breach assessment grid (`data/breach-grading.toml`): likelihood x severity, and who
//! must be told. Source: NHS Digital, *Guide to the Notification of Data Security and
//! Protection Incidents* (2018); shared/reference/breach-grading.md. The thresholds are data:
//! nothing here names a grade boundary.

use serde::{Deserialize, Serialize};

pub const EMBEDDED_GRID_TOML: &str = include_str!("../data/breach-grading.toml");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    pub grade: u8,
    pub label: String,
    pub meaning: String,
}

/// Someone who must be told when an incident reaches both minimums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyRule {
    /// "ico", "dhsc".
    pub code: String,
    /// "the Information Commissioner's Office".
    pub who: String,
    pub min_likelihood: u8,
    pub min_severity: u8,
    /// The law or guidance, shown beside the decision.
    pub law: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockRule {
    pub notify_within_hours: i64,
    pub law: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    pub source: String,
    pub clock: ClockRule,
    pub likelihood: Vec<Grade>,
    pub severity: Vec<Grade>,
    pub notify: Vec<NotifyRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    #[error("the grading grid could not be read: {0}")]
    Parse(String),
    #[error("the {0} scale must run 1, 2, 3 ... without gaps")]
    Scale(&'static str),
    #[error("the rule for {0} names a grade outside the grid")]
    Rule(String),
    #[error("the notification clock must be a positive number of hours")]
    Clock,
}

/// A grade outside the grid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GradeError {
    #[error("Likelihood must be a grade from 1 to {0}")]
    Likelihood(u8),
    #[error("Severity must be a grade from 1 to {0}")]
    Severity(u8),
}

/// The grid applied to one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub likelihood: u8,
    pub severity: u8,
    /// Codes of the rules met, in the grid's order ("ico", "dhsc").
    pub notify: Vec<String>,
}

impl Assessment {
    pub fn must_tell(&self, code: &str) -> bool {
        self.notify.iter().any(|c| c == code)
    }
    /// Reportable to the ICO (UK GDPR Art 33).
    pub fn reportable(&self) -> bool {
        self.must_tell("ico")
    }
}

impl Grid {
    pub fn embedded() -> Grid {
        Grid::from_toml(EMBEDDED_GRID_TOML).expect("the shipped grading grid is valid")
    }

    pub fn from_toml(text: &str) -> Result<Grid, GridError> {
        let g: Grid = toml::from_str(text).map_err(|e| GridError::Parse(e.to_string()))?;
        g.validate()?;
        Ok(g)
    }

    fn validate(&self) -> Result<(), GridError> {
        let runs = |s: &[Grade]| {
            !s.is_empty()
                && s.iter()
                    .enumerate()
                    .all(|(i, g)| usize::from(g.grade) == i + 1)
        };
        if !runs(&self.likelihood) {
            return Err(GridError::Scale("likelihood"));
        }
        if !runs(&self.severity) {
            return Err(GridError::Scale("severity"));
        }
        for r in &self.notify {
            if r.min_likelihood < 1
                || usize::from(r.min_likelihood) > self.likelihood.len()
                || r.min_severity < 1
                || usize::from(r.min_severity) > self.severity.len()
            {
                return Err(GridError::Rule(r.who.clone()));
            }
        }
        if self.clock.notify_within_hours <= 0 {
            return Err(GridError::Clock);
        }
        Ok(())
    }

    pub fn max_likelihood(&self) -> u8 {
        self.likelihood.len() as u8
    }
    pub fn max_severity(&self) -> u8 {
        self.severity.len() as u8
    }

    pub fn likelihood_label(&self, grade: u8) -> &str {
        self.likelihood
            .iter()
            .find(|g| g.grade == grade)
            .map(|g| g.label.as_str())
            .unwrap_or("")
    }
    pub fn severity_label(&self, grade: u8) -> &str {
        self.severity
            .iter()
            .find(|g| g.grade == grade)
            .map(|g| g.label.as_str())
            .unwrap_or("")
    }

    pub fn rule(&self, code: &str) -> Option<&NotifyRule> {
        self.notify.iter().find(|r| r.code == code)
    }

    /// The grid applied: refuses a grade outside it.
    pub fn assess(&self, likelihood: i64, severity: i64) -> Result<Assessment, GradeError> {
        let l = u8::try_from(likelihood)
            .ok()
            .filter(|l| (1..=self.max_likelihood()).contains(l))
            .ok_or(GradeError::Likelihood(self.max_likelihood()))?;
        let s = u8::try_from(severity)
            .ok()
            .filter(|s| (1..=self.max_severity()).contains(s))
            .ok_or(GradeError::Severity(self.max_severity()))?;
        Ok(Assessment {
            likelihood: l,
            severity: s,
            notify: self
                .notify
                .iter()
                .filter(|r| l >= r.min_likelihood && s >= r.min_severity)
                .map(|r| r.code.clone())
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked examples of shared/reference/breach-grading.md.
    #[test]
    fn the_worked_examples() {
        let g = Grid::embedded();
        for (l, s, ico, dhsc) in [
            (2, 5, false, false),
            (3, 1, false, false),
            (3, 2, true, false),
            (5, 3, true, false),
            (3, 4, true, true),
            (4, 5, true, true),
        ] {
            let a = g.assess(l, s).unwrap();
            assert_eq!(a.must_tell("ico"), ico, "{l} x {s}");
            assert_eq!(a.must_tell("dhsc"), dhsc, "{l} x {s}");
        }
    }

    #[test]
    fn every_cell_follows_the_thresholds() {
        let g = Grid::embedded();
        for l in 1..=5 {
            for s in 1..=5 {
                let a = g.assess(l, s).unwrap();
                assert_eq!(a.reportable(), l >= 3 && s >= 2);
                assert_eq!(a.must_tell("dhsc"), l >= 3 && s >= 4);
            }
        }
    }

    #[test]
    fn grades_outside_the_grid_are_refused() {
        let g = Grid::embedded();
        assert_eq!(g.assess(0, 3), Err(GradeError::Likelihood(5)));
        assert_eq!(g.assess(6, 3), Err(GradeError::Likelihood(5)));
        assert_eq!(g.assess(3, 0), Err(GradeError::Severity(5)));
        assert_eq!(g.assess(3, 9), Err(GradeError::Severity(5)));
        assert_eq!(g.assess(-1, 300), Err(GradeError::Likelihood(5)));
        assert_eq!(
            g.assess(3, 9).unwrap_err().to_string(),
            "Severity must be a grade from 1 to 5"
        );
    }

    #[test]
    fn the_dpo_can_change_the_thresholds() {
        let text = EMBEDDED_GRID_TOML.replace("min_severity = 2", "min_severity = 3");
        let g = Grid::from_toml(&text).unwrap();
        assert!(!g.assess(3, 2).unwrap().reportable());
        assert!(g.assess(3, 3).unwrap().reportable());
        assert_eq!(g.clock.notify_within_hours, 72);
        assert_eq!(g.likelihood_label(3), "Likely");
        assert_eq!(g.severity_label(4), "Serious");
    }

    #[test]
    fn a_broken_grid_is_refused() {
        let gap = EMBEDDED_GRID_TOML.replacen("grade = 2", "grade = 7", 1);
        assert_eq!(Grid::from_toml(&gap), Err(GridError::Scale("likelihood")));
        let rule = EMBEDDED_GRID_TOML.replace("min_severity = 4", "min_severity = 6");
        assert!(matches!(Grid::from_toml(&rule), Err(GridError::Rule(_))));
        assert!(matches!(
            Grid::from_toml("nonsense"),
            Err(GridError::Parse(_))
        ));
    }
}
