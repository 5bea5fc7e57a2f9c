//! The rule tables, each a data file under `data/` with the law beside every rule: lawful
//! bases (Art 6), special category conditions (Art 9), the common-law duty of confidentiality,
//! the Article 13/14 notice elements, the Article 28 checklist and the code lists.

use serde::Deserialize;

pub const LAWFUL_BASES_TOML: &str = include_str!("../data/lawful-bases.toml");
pub const CONDITIONS_TOML: &str = include_str!("../data/special-category-conditions.toml");
pub const CONFIDENTIALITY_TOML: &str = include_str!("../data/confidentiality-bases.toml");
pub const NOTICE_ELEMENTS_TOML: &str = include_str!("../data/notice-elements.toml");
pub const ARTICLE_28_TOML: &str = include_str!("../data/article-28.toml");
pub const CODE_LISTS_TOML: &str = include_str!("../data/code-lists.toml");

#[derive(Debug, Clone, Deserialize, PartialEq, serde::Serialize)]
pub struct Basis {
    pub code: String,
    #[serde(default)]
    pub article: String,
    pub label: String,
    pub text: String,
    /// Consent: the notice tells people they may withdraw it.
    #[serde(default)]
    pub consent: bool,
    /// Legitimate interests: the notice must say what they are.
    #[serde(default)]
    pub legitimate_interests: bool,
    /// The UK law to name as well (Data Protection Act 2018 Schedule 1).
    #[serde(default)]
    pub uk: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct BasisTable {
    pub source: String,
    #[serde(alias = "condition")]
    pub basis: Vec<Basis>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, serde::Serialize)]
pub struct Element {
    pub code: String,
    pub article: String,
    pub label: String,
    pub text: String,
    /// "art13", "art14" or "both".
    pub applies: String,
    pub check: String,
    pub fix: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ElementTable {
    pub source: String,
    pub element: Vec<Element>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, serde::Serialize)]
pub struct ChecklistItem {
    pub code: String,
    pub article: String,
    pub label: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Checklist {
    pub source: String,
    pub item: Vec<ChecklistItem>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct CodeList {
    pub name: String,
    pub values: Vec<(String, String)>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
struct CodeLists {
    list: Vec<CodeList>,
}

/// A choice a field offers: a code and its label (and the law, where there is one).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
    pub law: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub lawful_bases: BasisTable,
    pub conditions: BasisTable,
    pub confidentiality: BasisTable,
    pub elements: ElementTable,
    pub article_28: Checklist,
    lists: Vec<CodeList>,
}

impl Rules {
    pub fn embedded() -> Rules {
        Rules::from_texts(
            LAWFUL_BASES_TOML,
            CONDITIONS_TOML,
            CONFIDENTIALITY_TOML,
            NOTICE_ELEMENTS_TOML,
            ARTICLE_28_TOML,
            CODE_LISTS_TOML,
        )
        .expect("the shipped rule tables read")
    }

    pub fn from_texts(
        bases: &str,
        conditions: &str,
        confidentiality: &str,
        elements: &str,
        art28: &str,
        lists: &str,
    ) -> Result<Rules, String> {
        let r = Rules {
            lawful_bases: toml::from_str(bases).map_err(|e| format!("lawful-bases.toml: {e}"))?,
            conditions: toml::from_str(conditions)
                .map_err(|e| format!("special-category-conditions.toml: {e}"))?,
            confidentiality: toml::from_str(confidentiality)
                .map_err(|e| format!("confidentiality-bases.toml: {e}"))?,
            elements: toml::from_str(elements).map_err(|e| format!("notice-elements.toml: {e}"))?,
            article_28: toml::from_str(art28).map_err(|e| format!("article-28.toml: {e}"))?,
            lists: toml::from_str::<CodeLists>(lists)
                .map_err(|e| format!("code-lists.toml: {e}"))?
                .list,
        };
        for e in &r.elements.element {
            if !crate::notice::CHECKS.contains(&e.check.as_str()) {
                return Err(format!(
                    "notice-elements.toml: {} names an unknown check {:?}",
                    e.code, e.check
                ));
            }
        }
        Ok(r)
    }

    /// Loads the shipped tables, each replaced by the DPO's copy in `dir` where there is one.
    pub fn load(dir: &std::path::Path) -> Result<Rules, String> {
        let read = |name: &str, shipped: &'static str| -> Result<String, String> {
            let p = dir.join(name);
            if p.exists() {
                std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))
            } else {
                Ok(shipped.to_string())
            }
        };
        Rules::from_texts(
            &read("lawful-bases.toml", LAWFUL_BASES_TOML)?,
            &read("special-category-conditions.toml", CONDITIONS_TOML)?,
            &read("confidentiality-bases.toml", CONFIDENTIALITY_TOML)?,
            &read("notice-elements.toml", NOTICE_ELEMENTS_TOML)?,
            &read("article-28.toml", ARTICLE_28_TOML)?,
            &read("code-lists.toml", CODE_LISTS_TOML)?,
        )
    }

    /// The choices of a named list: the legal tables by name, else the code lists.
    pub fn choices(&self, list: &str) -> Vec<Choice> {
        let of_table = |t: &BasisTable| {
            t.basis
                .iter()
                .map(|b| Choice {
                    code: b.code.clone(),
                    label: if b.article.is_empty() {
                        b.label.clone()
                    } else {
                        format!("{} ({})", b.label, b.article)
                    },
                    law: b.text.clone(),
                })
                .collect()
        };
        match list {
            "lawful_basis" => of_table(&self.lawful_bases),
            "special_category_condition" => of_table(&self.conditions),
            "confidentiality_basis" => of_table(&self.confidentiality),
            "article_28" => self
                .article_28
                .item
                .iter()
                .map(|i| Choice {
                    code: i.code.clone(),
                    label: format!("{} ({})", i.label, i.article),
                    law: i.article.clone(),
                })
                .collect(),
            other => self
                .lists
                .iter()
                .find(|l| l.name == other)
                .map(|l| {
                    l.values
                        .iter()
                        .map(|(c, label)| Choice {
                            code: c.clone(),
                            label: label.clone(),
                            law: String::new(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The label of a code in a list; the code itself when unknown (never empty for a value).
    pub fn label(&self, list: &str, code: &str) -> String {
        self.choices(list)
            .into_iter()
            .find(|c| c.code == code)
            .map(|c| c.label)
            .unwrap_or_else(|| code.to_string())
    }

    /// A value typed or imported as a code or as its label (any case), as its code.
    pub fn code_of(&self, list: &str, typed: &str) -> Option<String> {
        let t = typed.trim();
        let choices = self.choices(list);
        choices
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(t))
            .or_else(|| choices.iter().find(|c| c.label.eq_ignore_ascii_case(t)))
            .or_else(|| {
                // "Public task" for "Public task (Article 6(1)(e))".
                choices.iter().find(|c| {
                    c.label
                        .split(" (")
                        .next()
                        .is_some_and(|l| l.eq_ignore_ascii_case(t))
                })
            })
            .map(|c| c.code.clone())
    }

    pub fn basis(&self, code: &str) -> Option<&Basis> {
        self.lawful_bases.basis.iter().find(|b| b.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_tables_carry_the_law() {
        let r = Rules::embedded();
        assert_eq!(r.lawful_bases.basis.len(), 6);
        assert_eq!(r.conditions.basis.len(), 10);
        for b in r.lawful_bases.basis.iter().chain(&r.conditions.basis) {
            assert!(b.article.starts_with("Article"), "{}", b.code);
            assert!(b.text.len() > 40, "{} has its legal text", b.code);
        }
        let h = r
            .conditions
            .basis
            .iter()
            .find(|c| c.code == "health_care")
            .unwrap();
        assert_eq!(h.article, "Article 9(2)(h)");
        assert!(h.uk.contains("Schedule 1"));
        assert_eq!(r.article_28.item.len(), 10);
        assert!(r.elements.element.iter().any(|e| e.applies == "art14"));
    }

    #[test]
    fn codes_are_read_from_codes_or_labels() {
        let r = Rules::embedded();
        assert_eq!(
            r.code_of("lawful_basis", "public_task").as_deref(),
            Some("public_task")
        );
        assert_eq!(
            r.code_of("lawful_basis", "Public task").as_deref(),
            Some("public_task")
        );
        assert_eq!(
            r.code_of("lawful_basis", "public task (Article 6(1)(e))")
                .as_deref(),
            Some("public_task")
        );
        assert_eq!(r.code_of("lawful_basis", "because we can"), None);
        assert_eq!(r.label("toolkit_status", "met"), "Standards met");
        assert_eq!(
            r.code_of("project_status", "APPROVED").as_deref(),
            Some("approved")
        );
    }

    #[test]
    fn a_broken_copy_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lawful-bases.toml"), "nonsense =").unwrap();
        assert!(Rules::load(dir.path())
            .unwrap_err()
            .contains("lawful-bases.toml"));
        let bad = NOTICE_ELEMENTS_TOML.replace("check = \"dpo_contact\"", "check = \"guess\"");
        std::fs::write(dir.path().join("lawful-bases.toml"), LAWFUL_BASES_TOML).unwrap();
        std::fs::write(dir.path().join("notice-elements.toml"), bad).unwrap();
        assert!(Rules::load(dir.path())
            .unwrap_err()
            .contains("unknown check"));
    }
}
