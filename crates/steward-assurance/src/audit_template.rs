//! Compliance-audit templates (`data/compliance-audit.toml`): sections, questions, the
//! evidence the DPO asks to see, and the ratings (which of them are findings). Pure data;
//! the DPO may replace the file with their own copy in the data folder.

use serde::{Deserialize, Serialize};

pub const EMBEDDED_AUDIT_TOML: &str = include_str!("../data/compliance-audit.toml");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct Rating {
    pub code: String,
    pub label: String,
    /// A finding: the practice gets an action.
    pub finding: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct Question {
    pub code: String,
    pub text: String,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "service", schema(as = AuditSection))]
pub struct Section {
    pub title: String,
    pub question: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct AuditTemplate {
    pub code: String,
    pub title: String,
    pub source: String,
    pub rating: Vec<Rating>,
    pub section: Vec<Section>,
}

impl AuditTemplate {
    pub fn embedded() -> AuditTemplate {
        AuditTemplate::from_toml(EMBEDDED_AUDIT_TOML).expect("the shipped audit is valid")
    }

    pub fn from_toml(text: &str) -> Result<AuditTemplate, String> {
        let t: AuditTemplate = toml::from_str(text).map_err(|e| e.to_string())?;
        if t.section.is_empty() || t.rating.is_empty() {
            return Err("an audit needs at least one section and one rating".into());
        }
        let mut codes: Vec<&str> = t.questions().map(|(_, q)| q.code.as_str()).collect();
        let n = codes.len();
        codes.sort();
        codes.dedup();
        if codes.len() != n || codes.iter().any(|c| c.is_empty()) {
            return Err("question codes must be present and unique".into());
        }
        if !t.rating.iter().any(|r| r.finding) {
            return Err("at least one rating must be a finding".into());
        }
        Ok(t)
    }

    /// Every question with the title of its section, in order.
    pub fn questions(&self) -> impl Iterator<Item = (&str, &Question)> {
        self.section
            .iter()
            .flat_map(|s| s.question.iter().map(move |q| (s.title.as_str(), q)))
    }

    pub fn question(&self, code: &str) -> Option<&Question> {
        self.questions().map(|(_, q)| q).find(|q| q.code == code)
    }

    pub fn rating(&self, code: &str) -> Option<&Rating> {
        self.rating.iter().find(|r| r.code == code)
    }

    /// The rating's label, or the code itself for a rating no longer in the file.
    pub fn rating_label(&self, code: &str) -> String {
        self.rating(code)
            .map(|r| r.label.clone())
            .unwrap_or_else(|| code.to_string())
    }
}

/// How an audit came out: met out of applicable, as a whole percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "service", schema(as = AuditOutcome))]
pub struct Outcome {
    pub met: i64,
    pub applicable: i64,
    pub findings: i64,
}

impl Outcome {
    pub fn percent(&self) -> i64 {
        if self.applicable == 0 {
            100
        } else {
            (self.met * 100 + self.applicable / 2) / self.applicable
        }
    }
}

/// Met / applicable / findings over the ratings given (codes of the template).
pub fn outcome<'a>(template: &AuditTemplate, ratings: impl Iterator<Item = &'a str>) -> Outcome {
    let mut o = Outcome {
        met: 0,
        applicable: 0,
        findings: 0,
    };
    for code in ratings {
        match code {
            "not_applicable" => {}
            "met" => {
                o.met += 1;
                o.applicable += 1;
            }
            c => {
                o.applicable += 1;
                if template.rating(c).is_some_and(|r| r.finding) {
                    o.findings += 1;
                }
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_audit_reads() {
        let t = AuditTemplate::embedded();
        assert_eq!(t.title, "Data Security Compliance Audit");
        assert!(t.questions().count() >= 15);
        assert!(t.rating("not_met").unwrap().finding);
        assert!(!t.rating("met").unwrap().finding);
        assert!(t.question("leavers").is_some());
    }

    #[test]
    fn duplicate_codes_are_refused() {
        let text = EMBEDDED_AUDIT_TOML.replace("code = \"sar_training\"", "code = \"leavers\"");
        assert!(AuditTemplate::from_toml(&text)
            .unwrap_err()
            .contains("unique"));
    }

    #[test]
    fn the_outcome_leaves_out_what_does_not_apply() {
        let t = AuditTemplate::embedded();
        let o = outcome(
            &t,
            ["met", "met", "partly_met", "not_met", "not_applicable"].into_iter(),
        );
        assert_eq!((o.met, o.applicable, o.findings), (2, 4, 2));
        assert_eq!(o.percent(), 50);
        assert_eq!(outcome(&t, std::iter::empty()).percent(), 100);
    }
}
