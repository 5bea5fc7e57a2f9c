//! Training requirements per role (`data/training-requirements.toml`) and where a person
//! stands on each: current, due to run out soon, run out, or never done. The 12-month data
//! security awareness rule is the first course of the shipped file.

use chrono::{Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};

pub const EMBEDDED_REQUIREMENTS_TOML: &str = include_str!("../data/training-requirements.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Course {
    pub code: String,
    pub label: String,
    /// 0: done once, no renewal.
    pub valid_months: u32,
    pub remind_days_before: u32,
    /// Steward role codes that must hold it.
    pub roles: Vec<String>,
    #[serde(default)]
    pub counts_for_toolkit: bool,
    pub source: String,
}

impl Course {
    pub fn expiry(&self, completed: NaiveDate) -> Option<NaiveDate> {
        if self.valid_months == 0 {
            None
        } else {
            completed.checked_add_months(Months::new(self.valid_months))
        }
    }

    pub fn required_for(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether a reminder is due for training running out on `expires`: within the course's
    /// reminder window (`remind_days_before`), or already run out.
    pub fn reminder_due(&self, expires: NaiveDate, today: NaiveDate) -> bool {
        expires - Duration::days(self.remind_days_before as i64) <= today
    }

    /// Where someone stands, from their latest completion.
    pub fn standing(&self, latest: Option<NaiveDate>, today: NaiveDate) -> Standing {
        let Some(done) = latest else {
            return Standing::Missing;
        };
        match self.expiry(done) {
            None => Standing::Current { expires: None },
            Some(e) if e <= today => Standing::Expired { expired: e },
            Some(e) if self.reminder_due(e, today) => Standing::DueSoon { expires: e },
            Some(e) => Standing::Current { expires: Some(e) },
        }
    }

    /// "every 12 months", "every 3 years", "once".
    pub fn renewal(&self) -> String {
        match self.valid_months {
            0 => "once".into(),
            m if m % 12 == 0 && m > 12 => format!("every {} years", m / 12),
            m => format!("every {}", crate::count_words(m as i64, "month", "months")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Standing {
    Current { expires: Option<NaiveDate> },
    DueSoon { expires: NaiveDate },
    Expired { expired: NaiveDate },
    Missing,
}

impl Standing {
    /// Counts as trained (due soon still counts: it has not run out).
    pub fn is_held(&self) -> bool {
        matches!(self, Standing::Current { .. } | Standing::DueSoon { .. })
    }
    pub fn label(&self) -> &'static str {
        match self {
            Standing::Current { .. } => "Up to date",
            Standing::DueSoon { .. } => "Due for renewal",
            Standing::Expired { .. } => "Out of date",
            Standing::Missing => "Not done",
        }
    }
    pub fn tag(&self) -> &'static str {
        match self {
            Standing::Current { .. } => "nhsuk-tag--green",
            Standing::DueSoon { .. } => "nhsuk-tag--yellow",
            Standing::Expired { .. } => "nhsuk-tag--red",
            Standing::Missing => "nhsuk-tag--grey",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Requirements {
    pub source: String,
    pub course: Vec<Course>,
}

impl Requirements {
    pub fn embedded() -> Requirements {
        Requirements::from_toml(EMBEDDED_REQUIREMENTS_TOML)
            .expect("the shipped training requirements read")
    }
    pub fn from_toml(text: &str) -> Result<Requirements, String> {
        let r: Requirements = toml::from_str(text).map_err(|e| e.to_string())?;
        if r.course.iter().filter(|c| c.counts_for_toolkit).count() != 1 {
            return Err("exactly one course counts for the toolkit's training percentage".into());
        }
        for c in &r.course {
            for role in &c.roles {
                if steward_role(role).is_none() {
                    return Err(format!("course {}: no role {role:?}", c.code));
                }
            }
        }
        Ok(r)
    }
    pub fn get(&self, code: &str) -> Option<&Course> {
        self.course.iter().find(|c| c.code == code)
    }
    pub fn toolkit_course(&self) -> &Course {
        self.course
            .iter()
            .find(|c| c.counts_for_toolkit)
            .expect("checked on load")
    }
    pub fn for_role<'a>(&'a self, role: &'a str) -> impl Iterator<Item = &'a Course> + 'a {
        self.course.iter().filter(move |c| c.required_for(role))
    }
}

fn steward_role(code: &str) -> Option<()> {
    const ROLES: [&str; 8] = [
        "dpo",
        "ig_lead",
        "siro",
        "caldicott_guardian",
        "clinician",
        "staff",
        "auditor",
        "system_administrator",
    ];
    ROLES.contains(&code).then_some(())
}

/// The percentage the toolkit asks for, rounded down (94.9% is not 95%).
pub fn percentage(trained: usize, staff: usize) -> u32 {
    (trained * 100).checked_div(staff).unwrap_or(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn data_security_training_runs_out_after_twelve_months_with_a_warning_before() {
        let r = Requirements::embedded();
        let c = r.toolkit_course();
        assert_eq!(c.valid_months, 12);
        assert_eq!(c.expiry(d("2025-12-07")), Some(d("2026-12-07")));
        // Leap day: 29 February plus 12 months is 28 February.
        assert_eq!(c.expiry(d("2024-02-29")), Some(d("2025-02-28")));
        assert_eq!(
            c.standing(Some(d("2026-06-01")), d("2026-12-07")),
            Standing::Current {
                expires: Some(d("2027-06-01"))
            }
        );
        assert_eq!(
            c.standing(Some(d("2025-12-20")), d("2026-12-07")),
            Standing::DueSoon {
                expires: d("2026-12-20")
            }
        );
        assert_eq!(
            c.standing(Some(d("2025-12-07")), d("2026-12-07")),
            Standing::Expired {
                expired: d("2026-12-07")
            }
        );
        assert_eq!(c.standing(None, d("2026-12-07")), Standing::Missing);
        // The reminder window is the data file's 30 days: due on the 30th day before, not the
        // 31st, and still due once it has run out.
        assert_eq!(c.remind_days_before, 30);
        assert!(c.reminder_due(d("2027-01-06"), d("2026-12-07")));
        assert!(!c.reminder_due(d("2027-01-07"), d("2026-12-07")));
        assert!(c.reminder_due(d("2026-11-01"), d("2026-12-07")));
        assert!(Standing::DueSoon {
            expires: d("2026-12-20")
        }
        .is_held());
        assert!(!Standing::Expired {
            expired: d("2026-12-07")
        }
        .is_held());
    }

    #[test]
    fn role_based_requirements() {
        let r = Requirements::embedded();
        let gp: Vec<_> = r.for_role("clinician").map(|c| c.code.as_str()).collect();
        assert_eq!(gp, ["data_security_awareness", "subject_access"]);
        let cg: Vec<_> = r
            .for_role("caldicott_guardian")
            .map(|c| c.code.as_str())
            .collect();
        assert!(cg.contains(&"caldicott_guardian"));
        assert!(r.for_role("siro").any(|c| c.code == "siro"));
        assert_eq!(
            r.get("caldicott_guardian")
                .unwrap()
                .standing(Some(d("2001-01-01")), d("2026-12-07")),
            Standing::Current { expires: None }
        );
        assert_eq!(r.get("siro").unwrap().renewal(), "every 3 years");
        assert_eq!(r.toolkit_course().renewal(), "every 12 months");
    }

    #[test]
    fn percentage_rounds_down() {
        assert_eq!(percentage(19, 20), 95);
        assert_eq!(percentage(189, 199), 94);
        assert_eq!(percentage(0, 0), 0);
    }

    #[test]
    fn a_bad_requirements_file_is_refused() {
        assert!(Requirements::from_toml(
            &EMBEDDED_REQUIREMENTS_TOML.replace("\"clinician\"]", "\"doctor\"]")
        )
        .is_err());
        assert!(Requirements::from_toml(
            &EMBEDDED_REQUIREMENTS_TOML
                .replace("counts_for_toolkit = true", "counts_for_toolkit = false")
        )
        .is_err());
    }
}
