//! The toolkit's assertions (`data/toolkit-assertions.toml`), each linked to the evidence
//! Steward holds or to an upload, and the rule for when each is met.

use serde::{Deserialize, Serialize};

pub const EMBEDDED_ASSERTIONS_TOML: &str = include_str!("../data/toolkit-assertions.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    TrainingPercentage,
    Policies,
    Acknowledgements,
    Incidents,
    Risks,
    AccessAudits,
    RetentionReviews,
    Continuity,
    Upload,
}

impl Evidence {
    /// Where the evidence comes from, in words.
    pub fn label(self) -> &'static str {
        match self {
            Evidence::TrainingPercentage => "Staff training records",
            Evidence::Policies => "Policies in force",
            Evidence::Acknowledgements => "Policy acknowledgements",
            Evidence::Incidents => "The incident log",
            Evidence::Risks => "The information risk register",
            Evidence::AccessAudits => "Access audits",
            Evidence::RetentionReviews => "Records management reviews",
            Evidence::Continuity => "The business continuity plan",
            Evidence::Upload => "An uploaded document",
        }
    }

    /// Whether the figure meets the threshold.
    pub fn met(self, figure: i64, threshold: i64) -> bool {
        match self {
            // The log in use is the evidence; any figure, even none this year.
            Evidence::Incidents => figure >= 0,
            Evidence::Upload => figure > 0,
            _ => figure >= threshold,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Assertion {
    pub code: String,
    pub standard: String,
    pub text: String,
    pub evidence: Evidence,
    #[serde(default)]
    pub threshold: i64,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Assertions {
    pub source: String,
    pub assertion: Vec<Assertion>,
}

impl Assertions {
    pub fn embedded() -> Assertions {
        Assertions::from_toml(EMBEDDED_ASSERTIONS_TOML).expect("the shipped assertions read")
    }
    pub fn from_toml(text: &str) -> Result<Assertions, String> {
        let a: Assertions = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::HashSet::new();
        for x in &a.assertion {
            if !seen.insert(x.code.clone()) {
                return Err(format!("assertion {} is listed twice", x.code));
            }
            if x.reference.trim().is_empty() {
                return Err(format!("assertion {} has no reference", x.code));
            }
        }
        Ok(a)
    }
    pub fn get(&self, code: &str) -> Option<&Assertion> {
        self.assertion.iter().find(|a| a.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_assertions_link_to_evidence() {
        let a = Assertions::embedded();
        let t = a.get("3.2.1").unwrap();
        assert_eq!(t.evidence, Evidence::TrainingPercentage);
        assert!(Evidence::TrainingPercentage.met(95, t.threshold));
        assert!(!Evidence::TrainingPercentage.met(94, t.threshold));
        assert!(a.assertion.iter().any(|x| x.evidence == Evidence::Upload));
        assert!(Evidence::Incidents.met(0, 0));
        assert!(!Evidence::Upload.met(0, 0));
    }

    #[test]
    fn twice_listed_is_refused() {
        let t = format!("{EMBEDDED_ASSERTIONS_TOML}\n[[assertion]]\ncode = \"3.2.1\"\nstandard = \"x\"\ntext = \"x\"\nevidence = \"upload\"\nreference = \"x\"\n");
        assert!(Assertions::from_toml(&t).unwrap_err().contains("3.2.1"));
    }
}
