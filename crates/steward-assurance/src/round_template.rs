//! Action-round templates (`data/high-risk-processing.toml`): a set of required actions,
//! grouped under headings, that the DPO sends to many practices at once.

use serde::{Deserialize, Serialize};

pub const EMBEDDED_ROUND_TOML: &str = include_str!("../data/high-risk-processing.toml");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct RequiredAction {
    pub heading: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundTemplate {
    pub title: String,
    pub source: String,
    pub action: Vec<RequiredAction>,
}

impl RoundTemplate {
    pub fn embedded() -> RoundTemplate {
        RoundTemplate::from_toml(EMBEDDED_ROUND_TOML).expect("the shipped round is valid")
    }

    pub fn from_toml(text: &str) -> Result<RoundTemplate, String> {
        let t: RoundTemplate = toml::from_str(text).map_err(|e| e.to_string())?;
        if t.action.is_empty() {
            return Err("a round needs at least one required action".into());
        }
        Ok(t)
    }

    /// The required actions as the DPO edits them: one per line, "Heading: what to do".
    pub fn as_lines(&self) -> String {
        self.action
            .iter()
            .map(|a| format!("{}: {}", a.heading, a.text))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Reads the DPO's lines ("Heading: what to do", one per line; a line without a heading
/// takes the previous line's). Blank lines are skipped. Errors name the line.
pub fn parse_lines(text: &str) -> Result<Vec<RequiredAction>, String> {
    let mut out: Vec<RequiredAction> = vec![];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (heading, what) = match line.split_once(':') {
            Some((h, t)) if !h.trim().is_empty() && h.len() <= 80 => {
                (h.trim().to_string(), t.trim().to_string())
            }
            _ => match out.last() {
                Some(prev) => (prev.heading.clone(), line.to_string()),
                None => {
                    return Err(format!(
                        "Line {} has no heading: write it as \"Heading: what to do\"",
                        i + 1
                    ))
                }
            },
        };
        if what.is_empty() {
            return Err(format!(
                "Line {} says what the heading is but not what to do",
                i + 1
            ));
        }
        if what.chars().count() > 300 {
            return Err(format!("Line {} is longer than 300 characters", i + 1));
        }
        out.push(RequiredAction {
            heading,
            text: what,
        });
    }
    if out.is_empty() {
        return Err("Enter at least one required action".into());
    }
    if out.len() > 50 {
        return Err("A round can hold at most 50 required actions".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_round_reads_back_from_its_lines() {
        let t = RoundTemplate::embedded();
        assert_eq!(t.action.len(), 12);
        assert_eq!(parse_lines(&t.as_lines()).unwrap(), t.action);
    }

    #[test]
    fn lines_without_a_heading_follow_the_previous_one() {
        let a = parse_lines("PCSE notes: store securely\n\nlimit access\n").unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].heading, "PCSE notes");
        assert_eq!(a[1].text, "limit access");
    }

    #[test]
    fn bad_lines_are_named() {
        assert!(parse_lines("no heading here")
            .unwrap_err()
            .contains("Line 1"));
        assert!(parse_lines("A: x\nB:").unwrap_err().contains("Line 2"));
        assert!(parse_lines("  \n").is_err());
    }
}
