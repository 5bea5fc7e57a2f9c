//! The rule tables, each a data file under `data/` with its source: the screening
//! questionnaires, the risk matrices, the law's pick-lists, the data-items checklist and the
//! sections of the assessment.

use serde::{Deserialize, Serialize};

pub const SCREENING_TRUST: &str = include_str!("../data/screening-trust.toml");
pub const SCREENING_ICO: &str = include_str!("../data/screening-ico.toml");
pub const MATRIX_ICO: &str = include_str!("../data/matrix-ico.toml");
pub const MATRIX_5X5: &str = include_str!("../data/matrix-5x5.toml");
pub const MATRIX_CNIL: &str = include_str!("../data/matrix-cnil.toml");
pub const LAW: &str = include_str!("../data/law.toml");
pub const DATA_ITEMS: &str = include_str!("../data/data-items.toml");
pub const SECTIONS: &str = include_str!("../data/sections.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub code: String,
    pub text: String,
    #[serde(default)]
    pub example: String,
    /// "ico" or "edpb" in the ICO questionnaire; empty in the trust's.
    #[serde(default)]
    pub group: String,
    /// An ICO item that counts only combined with an EDPB criterion.
    #[serde(default)]
    pub combined: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Questionnaire {
    pub code: String,
    pub title: String,
    pub source: String,
    /// "any_yes" or "ico_edpb".
    pub rule: String,
    #[serde(default)]
    pub edpb_threshold: usize,
    pub required_text: String,
    pub not_required_text: String,
    pub question: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    pub level: u8,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub code: String,
    pub label: String,
    /// A residual risk in this band needs prior consultation with the ICO (Art 36).
    #[serde(default)]
    pub art36: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    pub code: String,
    pub title: String,
    pub source: String,
    /// Show the score likelihood x severity (the 5x5).
    #[serde(default)]
    pub numeric: bool,
    /// grid[severity - 1][likelihood - 1] = band code.
    pub grid: Vec<Vec<String>>,
    pub likelihood: Vec<Level>,
    pub severity: Vec<Level>,
    pub band: Vec<Band>,
}

/// One rated risk on a matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rating {
    pub likelihood: u8,
    pub severity: u8,
    pub band: String,
}

impl Matrix {
    pub fn from_toml(text: &str) -> Result<Matrix, String> {
        let m: Matrix = toml::from_str(text).map_err(|e| e.to_string())?;
        let runs = |s: &[Level]| {
            !s.is_empty()
                && s.iter()
                    .enumerate()
                    .all(|(i, l)| usize::from(l.level) == i + 1)
        };
        if !runs(&m.likelihood) || !runs(&m.severity) {
            return Err(format!(
                "{}: the scales must run 1, 2, 3 ... without gaps",
                m.code
            ));
        }
        if m.grid.len() != m.severity.len()
            || m.grid.iter().any(|row| row.len() != m.likelihood.len())
        {
            return Err(format!(
                "{}: the grid must have one row per severity level and one column per likelihood level",
                m.code
            ));
        }
        for cell in m.grid.iter().flatten() {
            if !m.band.iter().any(|b| &b.code == cell) {
                return Err(format!(
                    "{}: the grid names an unknown band {cell:?}",
                    m.code
                ));
            }
        }
        Ok(m)
    }

    pub fn max_likelihood(&self) -> u8 {
        self.likelihood.len() as u8
    }
    pub fn max_severity(&self) -> u8 {
        self.severity.len() as u8
    }

    pub fn likelihood_label(&self, n: u8) -> &str {
        self.likelihood
            .iter()
            .find(|l| l.level == n)
            .map(|l| l.label.as_str())
            .unwrap_or("")
    }
    pub fn severity_label(&self, n: u8) -> &str {
        self.severity
            .iter()
            .find(|l| l.level == n)
            .map(|l| l.label.as_str())
            .unwrap_or("")
    }
    pub fn band(&self, code: &str) -> Option<&Band> {
        self.band.iter().find(|b| b.code == code)
    }
    pub fn band_label(&self, code: &str) -> &str {
        if code == crate::model::NO_RESIDUAL {
            return "None";
        }
        self.band(code).map(|b| b.label.as_str()).unwrap_or("")
    }
    /// Whether a band needs prior consultation with the ICO (Art 36) as a residual risk.
    pub fn needs_art36(&self, code: &str) -> bool {
        self.band(code).is_some_and(|b| b.art36)
    }
    /// Rank of a band, lowest first (for "the lowest residual").
    pub fn rank(&self, code: &str) -> usize {
        if code == crate::model::NO_RESIDUAL {
            return 0;
        }
        self.band
            .iter()
            .position(|b| b.code == code)
            .map(|p| p + 1)
            .unwrap_or(0)
    }

    /// The overall risk of a likelihood and severity; a level outside the matrix is refused
    /// with the scale's words.
    pub fn rate(&self, likelihood: i64, severity: i64) -> Result<Rating, String> {
        let l = u8::try_from(likelihood)
            .ok()
            .filter(|l| (1..=self.max_likelihood()).contains(l))
            .ok_or_else(|| {
                format!(
                    "Likelihood must be one of the matrix's levels: {}",
                    self.likelihood
                        .iter()
                        .map(|l| format!("{} ({})", l.label, l.level))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let s = u8::try_from(severity)
            .ok()
            .filter(|s| (1..=self.max_severity()).contains(s))
            .ok_or_else(|| {
                format!(
                    "Severity must be one of the matrix's levels: {}",
                    self.severity
                        .iter()
                        .map(|l| format!("{} ({})", l.label, l.level))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        Ok(Rating {
            likelihood: l,
            severity: s,
            band: self.grid[usize::from(s) - 1][usize::from(l) - 1].clone(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LawItem {
    pub code: String,
    pub label: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Law {
    pub article6: Vec<LawItem>,
    pub article9: Vec<LawItem>,
    pub confidentiality: Vec<LawItem>,
    pub right: Vec<LawItem>,
}

impl Law {
    pub fn find<'a>(list: &'a [LawItem], code: &str) -> Option<&'a LawItem> {
        list.iter().find(|i| i.code == code)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataItemDef {
    pub code: String,
    pub label: String,
    #[serde(default)]
    pub special: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct DataItemsFile {
    item: Vec<DataItemDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionDef {
    pub code: String,
    pub part: String,
    pub title: String,
    pub prompt: String,
    #[serde(default)]
    pub cnil: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SectionsFile {
    section: Vec<SectionDef>,
}

/// Every rule table, loaded once.
#[derive(Debug, Clone)]
pub struct Rules {
    pub questionnaires: Vec<Questionnaire>,
    pub matrices: Vec<Matrix>,
    pub law: Law,
    pub data_items: Vec<DataItemDef>,
    pub sections: Vec<SectionDef>,
}

impl Rules {
    pub fn embedded() -> &'static Rules {
        static R: std::sync::OnceLock<Rules> = std::sync::OnceLock::new();
        R.get_or_init(|| Rules::parse().expect("the shipped DPIA rule tables are valid"))
    }

    pub fn parse() -> Result<Rules, String> {
        let q = |t: &str| toml::from_str::<Questionnaire>(t).map_err(|e| e.to_string());
        Ok(Rules {
            questionnaires: vec![q(SCREENING_TRUST)?, q(SCREENING_ICO)?],
            matrices: vec![
                Matrix::from_toml(MATRIX_ICO)?,
                Matrix::from_toml(MATRIX_5X5)?,
                Matrix::from_toml(MATRIX_CNIL)?,
            ],
            law: toml::from_str(LAW).map_err(|e| e.to_string())?,
            data_items: toml::from_str::<DataItemsFile>(DATA_ITEMS)
                .map_err(|e| e.to_string())?
                .item,
            sections: toml::from_str::<SectionsFile>(SECTIONS)
                .map_err(|e| e.to_string())?
                .section,
        })
    }

    pub fn questionnaire(&self, code: &str) -> Option<&Questionnaire> {
        self.questionnaires.iter().find(|q| q.code == code)
    }
    pub fn matrix(&self, code: &str) -> Option<&Matrix> {
        self.matrices.iter().find(|m| m.code == code)
    }
    pub fn section(&self, code: &str) -> Option<&SectionDef> {
        self.sections.iter().find(|s| s.code == code)
    }
    pub fn data_item(&self, code: &str) -> Option<&DataItemDef> {
        self.data_items.iter().find(|s| s.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_tables_load() {
        let r = Rules::embedded();
        assert_eq!(r.questionnaire("trust").unwrap().question.len(), 17);
        let ico = r.questionnaire("ico").unwrap();
        assert_eq!(ico.question.iter().filter(|q| q.group == "ico").count(), 10);
        assert_eq!(ico.question.iter().filter(|q| q.group == "edpb").count(), 9);
        assert_eq!(r.data_items.len(), 37);
        assert_eq!(r.law.article6.len(), 6);
        assert_eq!(r.law.article9.len(), 10);
        assert!(r.trust_examples_present());
    }

    impl Rules {
        fn trust_examples_present(&self) -> bool {
            self.questionnaire("trust")
                .unwrap()
                .question
                .iter()
                .filter(|q| !q.example.is_empty())
                .count()
                == 11
        }
    }

    #[test]
    fn the_ico_matrix_gives_the_seed_s_ratings() {
        let m = Rules::embedded().matrix("ico").unwrap();
        assert_eq!(m.rate(2, 1).unwrap().band, "low"); // Possible x Minimal
        assert_eq!(m.rate(3, 2).unwrap().band, "medium"); // Probable x Significant
        assert_eq!(m.rate(2, 2).unwrap().band, "medium");
        assert_eq!(m.rate(3, 3).unwrap().band, "high");
        assert!(m.needs_art36("high"));
        assert!(!m.needs_art36("medium"));
    }

    #[test]
    fn the_5x5_follows_the_npsa_bands() {
        let m = Rules::embedded().matrix("5x5").unwrap();
        for l in 1..=5i64 {
            for s in 1..=5i64 {
                let want = match l * s {
                    1..=3 => "low",
                    4..=6 => "moderate",
                    8..=12 => "high",
                    _ => "extreme",
                };
                assert_eq!(m.rate(l, s).unwrap().band, want, "{l} x {s}");
            }
        }
    }

    #[test]
    fn a_level_outside_the_matrix_is_refused() {
        let m = Rules::embedded().matrix("ico").unwrap();
        let e = m.rate(4, 1).unwrap_err();
        assert!(e.contains("Remote (1), Possible (2), Probable (3)"), "{e}");
        assert!(m.rate(1, 0).is_err());
        let bad = MATRIX_ICO.replace("[\"low\", \"low\", \"medium\"],", "");
        assert!(Matrix::from_toml(&bad).is_err());
    }
}
