//! The retention schedule (`data/retention-schedule.toml`, Appendix II of the Records Management
//! Code of Practice 2021) and the retention calculator: record type + dates -> the earliest
//! date the record may be destroyed, with the rule that gave it.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

pub const EMBEDDED_SCHEDULE_TOML: &str = include_str!("../data/retention-schedule.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    AfterStart,
    AfterDeath,
    AfterStartOrDeath,
    Children,
    BirthdayOrAfterStart,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
pub struct ScheduleRow {
    pub code: String,
    pub label: String,
    pub rule: RuleKind,
    /// What the retention period runs from, in words.
    pub start: String,
    #[serde(default)]
    pub years: u32,
    #[serde(default)]
    pub days: u32,
    #[serde(default)]
    pub birthday: u32,
    #[serde(default)]
    pub birthday_if_17: u32,
    #[serde(default)]
    pub years_after_death: u32,
    pub action: String,
    /// The row of Appendix II this comes from.
    pub appendix_ii: String,
    /// How the row was checked against the code.
    pub checked: String,
}

impl ScheduleRow {
    /// The period in words, e.g. "8 years", "until the 25th birthday (26th if 17 when
    /// treatment ended), or 8 years after death if earlier".
    pub fn period(&self) -> String {
        let y = |n: u32| crate::count_words(n as i64, "year", "years");
        match self.rule {
            RuleKind::AfterStart if self.years == 0 => {
                crate::count_words(self.days as i64, "day", "days")
            }
            RuleKind::AfterStart if self.days > 0 => format!(
                "{} and {}",
                y(self.years),
                crate::count_words(self.days as i64, "day", "days")
            ),
            RuleKind::AfterStart => y(self.years),
            RuleKind::AfterDeath => format!("{} after death", y(self.years)),
            RuleKind::AfterStartOrDeath => format!(
                "{}, or {} after death if earlier",
                y(self.years),
                y(self.years_after_death)
            ),
            RuleKind::Children => format!(
                "until the {} birthday ({} if 17 when treatment ended), or {} after death if earlier",
                ordinal(self.birthday),
                ordinal(self.birthday_if_17),
                y(self.years_after_death)
            ),
            RuleKind::BirthdayOrAfterStart => format!(
                "until the {} birthday or {} after leaving, whichever is later",
                ordinal(self.birthday),
                y(self.years)
            ),
        }
    }

    /// The row still waits to be confirmed against Appendix II: its `checked` note starts
    /// "Not yet checked" (the convention the data file states).
    pub fn to_confirm(&self) -> bool {
        self.checked
            .trim_start()
            .to_lowercase()
            .starts_with("not yet checked")
    }

    /// Which dates the calculator needs for this row.
    pub fn needs(&self) -> Needs {
        match self.rule {
            RuleKind::AfterStart => Needs {
                start: true,
                date_of_birth: false,
                date_of_death: false,
            },
            RuleKind::AfterDeath => Needs {
                start: false,
                date_of_birth: false,
                date_of_death: true,
            },
            RuleKind::AfterStartOrDeath => Needs {
                start: true,
                date_of_birth: false,
                date_of_death: true,
            },
            RuleKind::Children => Needs {
                start: true,
                date_of_birth: true,
                date_of_death: true,
            },
            RuleKind::BirthdayOrAfterStart => Needs {
                start: true,
                date_of_birth: true,
                date_of_death: false,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Needs {
    pub start: bool,
    pub date_of_birth: bool,
    /// Asked for; optional except where the period runs from death.
    pub date_of_death: bool,
}

pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Schedule {
    pub source: String,
    pub row: Vec<ScheduleRow>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("the schedule does not read: {0}")]
    Parse(String),
    #[error("row {0}: {1}")]
    Row(String, String),
}

impl Schedule {
    pub fn embedded() -> Schedule {
        Schedule::from_toml(EMBEDDED_SCHEDULE_TOML).expect("the shipped retention schedule reads")
    }

    pub fn from_toml(text: &str) -> Result<Schedule, ScheduleError> {
        let s: Schedule = toml::from_str(text).map_err(|e| ScheduleError::Parse(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for r in &s.row {
            let bad = |m: &str| Err(ScheduleError::Row(r.code.clone(), m.to_string()));
            if !seen.insert(r.code.clone()) {
                return bad("the code is used twice");
            }
            if r.appendix_ii.trim().is_empty() {
                return bad("every row cites its row of Appendix II");
            }
            match r.rule {
                RuleKind::AfterStart if r.years == 0 && r.days == 0 => {
                    return bad("a period of years or days is needed")
                }
                RuleKind::AfterDeath | RuleKind::AfterStartOrDeath if r.years == 0 => {
                    return bad("a period of years is needed")
                }
                RuleKind::Children if r.birthday == 0 || r.birthday_if_17 == 0 => {
                    return bad("the birthdays are needed")
                }
                RuleKind::BirthdayOrAfterStart if r.birthday == 0 => {
                    return bad("the birthday is needed")
                }
                _ => {}
            }
        }
        Ok(s)
    }

    pub fn get(&self, code: &str) -> Option<&ScheduleRow> {
        self.row.iter().find(|r| r.code == code)
    }
}

/// The dates a calculation takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dates {
    pub start: Option<NaiveDate>,
    pub date_of_birth: Option<NaiveDate>,
    pub date_of_death: Option<NaiveDate>,
}

/// The earliest destruction date and how it was reached, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "service", schema(as = RetentionOutcome))]
pub struct Outcome {
    pub record_type: String,
    pub earliest_destruction: NaiveDate,
    /// The rule: the row's period and what it runs from.
    pub rule: String,
    /// The steps, e.g. "25th birthday: 3 May 2031".
    pub steps: Vec<String>,
    pub action: String,
    pub appendix_ii: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    /// The field that is missing or wrong, and the message for it.
    #[error("{1}")]
    Field(&'static str, String),
}

/// `date` plus whole years; a 29 February that does not exist in the target year becomes
/// 1 March (the period is never cut short; a leapling's birthday likewise).
pub fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    let y = date.year() + years as i32;
    NaiveDate::from_ymd_opt(y, date.month(), date.day())
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(y, 3, 1).expect("1 March exists"))
}

/// Age in whole years on `on` (a birthday on 29 February is reached on 1 March in other years).
pub fn age_on(date_of_birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - date_of_birth.year();
    if add_years(date_of_birth, age.max(0) as u32) > on {
        age -= 1;
    }
    age
}

fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

pub fn calculate(row: &ScheduleRow, dates: &Dates) -> Result<Outcome, CalcError> {
    let start = || {
        dates.start.ok_or_else(|| {
            CalcError::Field("start", format!("Enter the date of: {}", lower(&row.start)))
        })
    };
    let dob = || {
        dates
            .date_of_birth
            .ok_or_else(|| CalcError::Field("date_of_birth", "Enter the date of birth".into()))
    };
    if let (Some(b), Some(s)) = (dates.date_of_birth, dates.start) {
        if s < b {
            return Err(CalcError::Field(
                "start",
                "The date cannot be before the date of birth".into(),
            ));
        }
    }
    if let (Some(b), Some(d)) = (dates.date_of_birth, dates.date_of_death) {
        if d < b {
            return Err(CalcError::Field(
                "date_of_death",
                "The date of death cannot be before the date of birth".into(),
            ));
        }
    }
    let mut steps = vec![];
    let earliest = match row.rule {
        RuleKind::AfterStart => {
            let s = start()?;
            let e = add_years(s, row.years) + Duration::days(row.days as i64);
            steps.push(format!("{} from {}: {}", row.period(), long(s), long(e)));
            e
        }
        RuleKind::AfterDeath => {
            let d = dates.date_of_death.ok_or_else(|| {
                CalcError::Field(
                    "date_of_death",
                    "Enter the date of death: these records are kept while the patient is alive"
                        .into(),
                )
            })?;
            let e = add_years(d, row.years);
            steps.push(format!(
                "{} after death on {}: {}",
                crate::count_words(row.years as i64, "year", "years"),
                long(d),
                long(e)
            ));
            e
        }
        RuleKind::AfterStartOrDeath => {
            let s = start()?;
            let a = add_years(s, row.years);
            steps.push(format!(
                "{} from {}: {}",
                crate::count_words(row.years as i64, "year", "years"),
                long(s),
                long(a)
            ));
            match dates.date_of_death {
                Some(d) => {
                    let b = add_years(d, row.years_after_death);
                    steps.push(format!(
                        "{} after death on {}: {}",
                        crate::count_words(row.years_after_death as i64, "year", "years"),
                        long(d),
                        long(b)
                    ));
                    steps.push("The earlier of the two applies".into());
                    a.min(b)
                }
                None => a,
            }
        }
        RuleKind::Children => {
            let b = dob()?;
            let s = start()?;
            let age = age_on(b, s);
            if age >= 18 {
                return Err(CalcError::Field(
                    "start",
                    format!("The person was {age} when treatment ended: use the adult health records row"),
                ));
            }
            let n = if age == 17 {
                row.birthday_if_17
            } else {
                row.birthday
            };
            let birthday = add_years(b, n);
            steps.push(format!(
                "Aged {age} when treatment ended on {}: kept until the {} birthday, {}",
                long(s),
                ordinal(n),
                long(birthday)
            ));
            match dates.date_of_death {
                Some(d) => {
                    let after = add_years(d, row.years_after_death);
                    steps.push(format!(
                        "{} after death on {}: {}",
                        crate::count_words(row.years_after_death as i64, "year", "years"),
                        long(d),
                        long(after)
                    ));
                    steps.push("The earlier of the two applies".into());
                    birthday.min(after)
                }
                None => birthday,
            }
        }
        RuleKind::BirthdayOrAfterStart => {
            let b = dob()?;
            let s = start()?;
            let birthday = add_years(b, row.birthday);
            let after = add_years(s, row.years);
            steps.push(format!(
                "{} birthday: {}",
                capital(&ordinal(row.birthday)),
                long(birthday)
            ));
            steps.push(format!(
                "{} after leaving on {}: {}",
                crate::count_words(row.years as i64, "year", "years"),
                long(s),
                long(after)
            ));
            steps.push("The later of the two applies".into());
            birthday.max(after)
        }
    };
    Ok(Outcome {
        record_type: row.label.clone(),
        earliest_destruction: earliest,
        rule: format!(
            "{}: {}, from {}",
            row.label,
            row.period(),
            lower(&row.start)
        ),
        steps,
        action: row.action.clone(),
        appendix_ii: row.appendix_ii.clone(),
    })
}

fn lower(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn calc(
        code: &str,
        start: Option<&str>,
        dob: Option<&str>,
        death: Option<&str>,
    ) -> Result<NaiveDate, CalcError> {
        let s = Schedule::embedded();
        calculate(
            s.get(code).unwrap(),
            &Dates {
                start: start.map(d),
                date_of_birth: dob.map(d),
                date_of_death: death.map(d),
            },
        )
        .map(|o| o.earliest_destruction)
    }

    #[test]
    fn every_row_cites_appendix_ii_and_is_tested_below() {
        let s = Schedule::embedded();
        let tested = [
            "adult_health",
            "children",
            "gp_patient",
            "mental_health",
            "maternity",
            "subject_access",
            "complaints",
            "staff_summary",
            "cctv",
            "serious_incidents",
            "incidents",
        ];
        assert_eq!(s.row.len(), tested.len());
        for r in &s.row {
            assert!(tested.contains(&r.code.as_str()), "{} has no test", r.code);
            assert!(!r.appendix_ii.is_empty() && !r.checked.is_empty());
        }
    }

    #[test]
    fn rows_not_yet_checked_against_appendix_ii_say_so() {
        let s = Schedule::embedded();
        let to_confirm: Vec<&str> = s
            .row
            .iter()
            .filter(|r| r.to_confirm())
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(
            to_confirm,
            ["subject_access", "complaints", "staff_summary", "cctv"]
        );
        for r in s.row.iter().filter(|r| r.to_confirm()) {
            assert!(
                r.checked.contains("Confirm it against Appendix II"),
                "{}",
                r.checked
            );
        }
        // A checked row says when it was checked; none speaks of sessions or references.
        for r in &s.row {
            assert!(!r.checked.contains("session") && !r.checked.contains("the reference"));
            if !r.to_confirm() && r.code.contains("incidents") {
                assert!(r.checked.contains("7 December 2026"), "{}", r.checked);
            }
        }
    }

    #[test]
    fn adult_health_records_eight_years_from_last_seen() {
        assert_eq!(
            calc("adult_health", Some("2021-02-05"), None, None),
            Ok(d("2029-02-05"))
        );
        assert!(matches!(
            calc("adult_health", None, None, None),
            Err(CalcError::Field("start", _))
        ));
    }

    #[test]
    fn children_25th_birthday_or_26th_if_17_when_treatment_ended() {
        // 12 when last seen: the 25th birthday.
        assert_eq!(
            calc("children", Some("2016-06-01"), Some("2004-03-10"), None),
            Ok(d("2029-03-10"))
        );
        // 17 when treatment ended: the 26th birthday.
        assert_eq!(
            calc("children", Some("2021-06-01"), Some("2004-03-10"), None),
            Ok(d("2030-03-10"))
        );
        // The day before the 17th birthday: still 16, the 25th.
        assert_eq!(
            calc("children", Some("2021-03-09"), Some("2004-03-10"), None),
            Ok(d("2029-03-10"))
        );
        // Died at 10: 8 years after death is earlier than the 25th birthday.
        assert_eq!(
            calc(
                "children",
                Some("2014-01-01"),
                Some("2004-03-10"),
                Some("2014-05-01")
            ),
            Ok(d("2022-05-01"))
        );
        // Died at 20 after treatment ended at 15: the birthday (2029) is earlier than 2032.
        assert_eq!(
            calc(
                "children",
                Some("2019-04-01"),
                Some("2004-03-10"),
                Some("2024-05-01")
            ),
            Ok(d("2029-03-10"))
        );
        // 18 or over when treatment ended: not a children's record.
        assert!(matches!(
            calc("children", Some("2022-03-10"), Some("2004-03-10"), None),
            Err(CalcError::Field("start", _))
        ));
        assert!(matches!(
            calc("children", Some("2016-06-01"), None, None),
            Err(CalcError::Field("date_of_birth", _))
        ));
    }

    #[test]
    fn gp_records_ten_years_after_death_and_kept_in_life() {
        assert_eq!(
            calc("gp_patient", None, None, Some("2020-07-15")),
            Ok(d("2030-07-15"))
        );
        assert!(matches!(
            calc("gp_patient", None, None, None),
            Err(CalcError::Field("date_of_death", _))
        ));
    }

    #[test]
    fn mental_health_twenty_years_or_ten_after_death() {
        assert_eq!(
            calc("mental_health", Some("2010-01-20"), None, None),
            Ok(d("2030-01-20"))
        );
        assert_eq!(
            calc(
                "mental_health",
                Some("2010-01-20"),
                None,
                Some("2012-02-01")
            ),
            Ok(d("2022-02-01"))
        );
        // Death late: the 20 years are earlier.
        assert_eq!(
            calc(
                "mental_health",
                Some("2010-01-20"),
                None,
                Some("2025-02-01")
            ),
            Ok(d("2030-01-20"))
        );
    }

    #[test]
    fn maternity_sar_complaints_cctv() {
        assert_eq!(
            calc("maternity", Some("2001-09-30"), None, None),
            Ok(d("2026-09-30"))
        );
        assert_eq!(
            calc("subject_access", Some("2025-11-03"), None, None),
            Ok(d("2028-11-03"))
        );
        assert_eq!(
            calc("complaints", Some("2025-11-03"), None, None),
            Ok(d("2035-11-03"))
        );
        // 31 days from the recording, across a month end.
        assert_eq!(
            calc("cctv", Some("2026-01-01"), None, None),
            Ok(d("2026-02-01"))
        );
        assert_eq!(
            calc("cctv", Some("2026-12-15"), None, None),
            Ok(d("2027-01-15"))
        );
    }

    #[test]
    fn incidents_run_from_the_date_of_the_incident_serious_ones_twice_as_long() {
        let s = Schedule::embedded();
        let serious = s.get("serious_incidents").unwrap();
        let other = s.get("incidents").unwrap();
        // Appendix II: both from the date of the incident, not its closure.
        assert_eq!(serious.start, "Date of the incident");
        assert_eq!(other.start, "Date of the incident");
        assert!(serious.action.contains("place of deposit"));
        assert_eq!(
            calc("serious_incidents", Some("2025-11-03"), None, None),
            Ok(d("2045-11-03"))
        );
        assert_eq!(
            calc("incidents", Some("2025-11-03"), None, None),
            Ok(d("2035-11-03"))
        );
        assert_eq!(serious.period(), "20 years");
        assert_eq!(other.period(), "10 years");
    }

    #[test]
    fn staff_records_the_later_of_75th_birthday_and_six_years() {
        // Left at 40: the 75th birthday is later.
        assert_eq!(
            calc(
                "staff_summary",
                Some("2020-05-01"),
                Some("1980-02-02"),
                None
            ),
            Ok(d("2055-02-02"))
        );
        // Left at 72: six years after leaving is later.
        assert_eq!(
            calc(
                "staff_summary",
                Some("2022-05-01"),
                Some("1950-02-02"),
                None
            ),
            Ok(d("2028-05-01"))
        );
    }

    #[test]
    fn leap_days() {
        // A period from 29 February ends on 1 March in a year without one, never early.
        assert_eq!(
            calc("subject_access", Some("2024-02-29"), None, None),
            Ok(d("2027-03-01"))
        );
        assert_eq!(
            calc("adult_health", Some("2024-02-29"), None, None),
            Ok(d("2032-02-29"))
        );
        assert_eq!(
            calc("incidents", Some("2024-02-29"), None, None),
            Ok(d("2034-03-01"))
        );
        assert_eq!(
            calc("serious_incidents", Some("2024-02-29"), None, None),
            Ok(d("2044-02-29"))
        );
        // Days are counted, so a leap year's February has one more: 31 days from 1 February
        // 2028 is 3 March.
        assert_eq!(
            calc("cctv", Some("2028-02-01"), None, None),
            Ok(d("2028-03-03"))
        );
        // A member of staff born on 29 February 1952 reaches 75 on 1 March 2027.
        assert_eq!(
            calc(
                "staff_summary",
                Some("2019-06-30"),
                Some("1952-02-29"),
                None
            ),
            Ok(d("2027-03-01"))
        );
        // A leapling born 29 February 2008: 17 on 1 March 2025, so the 26th birthday (2034, not
        // a leap year: 1 March).
        assert_eq!(
            calc("children", Some("2025-03-01"), Some("2008-02-29"), None),
            Ok(d("2034-03-01"))
        );
        // The day before: still 16, so the 25th birthday, 1 March 2033.
        assert_eq!(
            calc("children", Some("2025-02-28"), Some("2008-02-29"), None),
            Ok(d("2033-03-01"))
        );
        assert_eq!(age_on(d("2008-02-29"), d("2012-02-29")), 4);
        assert_eq!(age_on(d("2008-02-29"), d("2013-02-28")), 4);
        assert_eq!(age_on(d("2008-02-29"), d("2013-03-01")), 5);
    }

    #[test]
    fn the_rule_is_shown_with_the_date() {
        let s = Schedule::embedded();
        let o = calculate(
            s.get("children").unwrap(),
            &Dates {
                start: Some(d("2021-06-01")),
                date_of_birth: Some(d("2004-03-10")),
                date_of_death: None,
            },
        )
        .unwrap();
        assert!(
            o.rule
                .contains("until the 25th birthday (26th if 17 when treatment ended)"),
            "{}",
            o.rule
        );
        assert!(
            o.steps[0].contains("Aged 17") && o.steps[0].contains("10 March 2030"),
            "{:?}",
            o.steps
        );
        assert!(o.appendix_ii.contains("children's records"));
    }

    #[test]
    fn a_broken_schedule_is_refused_with_the_row() {
        let t = EMBEDDED_SCHEDULE_TOML.replacen("years = 8\n", "years = 0\n", 1);
        assert!(
            matches!(Schedule::from_toml(&t), Err(ScheduleError::Row(c, _)) if c == "adult_health")
        );
        assert!(Schedule::from_toml("nonsense").is_err());
    }
}
