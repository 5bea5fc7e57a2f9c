//! Incident categories (`data/incident-categories.toml`): the seeds' incidents first, then
//! the breach types of NHS Digital's Guide to the Notification of Data Security and
//! Protection Incidents (2018).

use serde::{Deserialize, Serialize};

pub const EMBEDDED_CATEGORIES_TOML: &str = include_str!("../data/incident-categories.toml");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Categories {
    pub source: String,
    pub category: Vec<Category>,
}

impl Categories {
    pub fn embedded() -> Categories {
        Categories::from_toml(EMBEDDED_CATEGORIES_TOML).expect("the shipped categories are valid")
    }

    pub fn from_toml(text: &str) -> Result<Categories, String> {
        let c: Categories = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut codes: Vec<&str> = c.category.iter().map(|c| c.code.as_str()).collect();
        codes.sort();
        codes.dedup();
        if codes.len() != c.category.len() || codes.is_empty() {
            return Err("category codes must be present and unique".into());
        }
        Ok(c)
    }

    pub fn get(&self, code: &str) -> Option<&Category> {
        self.category.iter().find(|c| c.code == code)
    }

    pub fn label(&self, code: &str) -> String {
        self.get(code)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| "Other".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_incidents_have_categories() {
        let c = Categories::embedded();
        for code in [
            "misdirected_post",
            "misdirected_email",
            "misdirected_fax",
            "sar_third_party",
            "wrong_patient_same_surname",
            "leaver_access",
            "stale_forms",
            "envelope_failure",
            "third_party_report_request",
            "inappropriate_access",
        ] {
            assert!(c.get(code).is_some(), "{code}");
        }
        assert_eq!(c.label("nope"), "Other");
    }
}
