//! Bank holidays in England and Wales and the working-day rule of the statutory clock.
//!
//! Source of the rule: shared/reference/rights-and-deadlines.md, "The due date": "If the due date
//! falls on a Saturday, Sunday or bank holiday, the due date becomes the next working day."
//!
//! Source of the data: shared/reference/bank-holidays-england-wales.csv (GOV.UK "UK bank
//! holidays", England and Wales), shipped as `data/bank-holidays-england-wales.csv` and embedded
//! as the default. An organisation can point Steward at an updated copy of the same format
//! ([`BankHolidays::from_path`]) when a new year is published.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The shipped bank-holiday table (`date,name`, ISO dates, `#` comment lines allowed).
pub const EMBEDDED_BANK_HOLIDAYS_CSV: &str =
    include_str!("../data/bank-holidays-england-wales.csv");

/// Why a bank-holiday file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BankHolidayError {
    #[error("could not read the bank-holiday file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the bank-holiday file must have the header `date,name` (found `{found}`)")]
    BadHeader { found: String },
    #[error("line {line} of the bank-holiday file: {reason}")]
    BadRow { line: u64, reason: String },
    #[error("the bank-holiday file lists no bank holidays")]
    Empty,
}

/// One bank holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankHoliday {
    pub date: NaiveDate,
    pub name: String,
}

/// A date the clock computed that lies outside the years the bank-holiday data covers, so the
/// working-day rule may have missed a bank holiday. The UI shows it as
/// "bank holidays not loaded for 2029".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarGap {
    /// The year of the computed date that has no bank-holiday data.
    pub year: i32,
    /// The first year the loaded data covers.
    pub first_year_covered: i32,
    /// The last year the loaded data covers.
    pub last_year_covered: i32,
}

impl fmt::Display for CalendarGap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bank holidays not loaded for {}", self.year)
    }
}

/// The bank holidays of England and Wales, by date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHolidays {
    days: BTreeMap<NaiveDate, String>,
}

impl Default for BankHolidays {
    /// The shipped table (see [`BankHolidays::embedded`]).
    fn default() -> Self {
        Self::embedded()
    }
}

impl BankHolidays {
    /// The table shipped with Steward (`data/bank-holidays-england-wales.csv`).
    pub fn embedded() -> Self {
        Self::from_csv_str(EMBEDDED_BANK_HOLIDAYS_CSV)
            .expect("the shipped bank-holiday table is valid (checked by the crate's tests)")
    }

    /// Loads a user-updated table from a file of the same format as the shipped one.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, BankHolidayError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| BankHolidayError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_csv_str(&text)
    }

    /// Parses a `date,name` table. Each bad row is reported with its line number in the file.
    pub fn from_csv_str(text: &str) -> Result<Self, BankHolidayError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| BankHolidayError::BadRow {
                line: e.position().map(|p| p.line()).unwrap_or(1),
                reason: e.to_string(),
            })?
            .clone();
        let header_ok = headers.len() == 2
            && headers[0].eq_ignore_ascii_case("date")
            && headers[1].eq_ignore_ascii_case("name");
        if !header_ok {
            return Err(BankHolidayError::BadHeader {
                found: headers.iter().collect::<Vec<_>>().join(","),
            });
        }
        let mut days = BTreeMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| BankHolidayError::BadRow {
                line: e.position().map(|p| p.line()).unwrap_or(0),
                reason: e.to_string(),
            })?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let bad = |reason: String| BankHolidayError::BadRow { line, reason };
            if record.len() != 2 {
                return Err(bad(format!(
                    "expected 2 fields (date,name), found {}",
                    record.len()
                )));
            }
            let date = NaiveDate::parse_from_str(&record[0], "%Y-%m-%d").map_err(|_| {
                bad(format!(
                    "`{}` is not a date in the form YYYY-MM-DD",
                    &record[0]
                ))
            })?;
            let name = record[1].to_string();
            if name.is_empty() {
                return Err(bad("the bank holiday has no name".into()));
            }
            if days.insert(date, name).is_some() {
                return Err(bad(format!("{date} is listed twice")));
            }
        }
        if days.is_empty() {
            return Err(BankHolidayError::Empty);
        }
        Ok(Self { days })
    }

    /// Builds a table from dates and names (for tests and for callers holding the data already).
    pub fn from_days(days: impl IntoIterator<Item = BankHoliday>) -> Self {
        Self {
            days: days.into_iter().map(|d| (d.date, d.name)).collect(),
        }
    }

    /// All bank holidays, in date order.
    pub fn iter(&self) -> impl Iterator<Item = BankHoliday> + '_ {
        self.days.iter().map(|(date, name)| BankHoliday {
            date: *date,
            name: name.clone(),
        })
    }

    /// The bank holiday's name, when `date` is one.
    pub fn holiday(&self, date: NaiveDate) -> Option<&str> {
        self.days.get(&date).map(String::as_str)
    }

    /// The first year the data covers (`None` for an empty table).
    pub fn first_year_covered(&self) -> Option<i32> {
        self.days.keys().next().map(|d| d.year())
    }

    /// The last year the data covers (`None` for an empty table). A clock date after this year
    /// may miss a bank holiday: see [`BankHolidays::gap_for`].
    pub fn last_year_covered(&self) -> Option<i32> {
        self.days.keys().next_back().map(|d| d.year())
    }

    /// `Some` when `date` lies outside the years the data covers.
    pub fn gap_for(&self, date: NaiveDate) -> Option<CalendarGap> {
        let first = self.first_year_covered()?;
        let last = self.last_year_covered()?;
        (date.year() < first || date.year() > last).then_some(CalendarGap {
            year: date.year(),
            first_year_covered: first,
            last_year_covered: last,
        })
    }

    /// A working day is neither a Saturday, a Sunday nor a bank holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.days.contains_key(&date)
    }

    /// `date` itself when it is a working day, otherwise the next working day
    /// (rights-and-deadlines.md: "the due date becomes the next working day").
    pub fn next_working_day_from(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        while !self.is_working_day(d) {
            d = d.succ_opt().expect("date within chrono's range");
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn embedded_table_matches_the_reference() {
        let cal = BankHolidays::embedded();
        // shared/reference/bank-holidays-england-wales.csv: 40 rows, 2024 to 2028.
        assert_eq!(cal.iter().count(), 40);
        assert_eq!(cal.first_year_covered(), Some(2024));
        assert_eq!(cal.last_year_covered(), Some(2028));
        assert_eq!(cal.holiday(d(2024, 12, 25)), Some("Christmas Day"));
        assert_eq!(cal.holiday(d(2026, 4, 3)), Some("Good Friday"));
    }

    #[test]
    fn embedded_rows_are_the_reference_rows() {
        let reference = include_str!("../data/bank-holidays-england-wales.csv")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>();
        assert_eq!(reference[0], "date,name");
        assert_eq!(reference.len(), 41);
    }

    #[test]
    fn working_days() {
        let cal = BankHolidays::embedded();
        assert!(!cal.is_working_day(d(2024, 12, 25))); // Wednesday, Christmas Day
        assert!(!cal.is_working_day(d(2024, 12, 28))); // Saturday
        assert!(!cal.is_working_day(d(2024, 12, 29))); // Sunday
        assert!(cal.is_working_day(d(2024, 12, 27)));
        assert_eq!(cal.next_working_day_from(d(2024, 12, 25)), d(2024, 12, 27));
        assert_eq!(cal.next_working_day_from(d(2024, 12, 27)), d(2024, 12, 27));
        // Easter 2026: Good Friday 3 April, Easter Monday 6 April.
        assert_eq!(cal.next_working_day_from(d(2026, 4, 3)), d(2026, 4, 7));
    }

    #[test]
    fn gap_outside_covered_years() {
        let cal = BankHolidays::embedded();
        assert_eq!(cal.gap_for(d(2028, 12, 31)), None);
        let gap = cal.gap_for(d(2029, 1, 2)).unwrap();
        assert_eq!(gap.year, 2029);
        assert_eq!(gap.last_year_covered, 2028);
        assert_eq!(gap.to_string(), "bank holidays not loaded for 2029");
        assert_eq!(cal.gap_for(d(2023, 6, 1)).unwrap().year, 2023);
    }

    #[test]
    fn bad_date_names_its_line() {
        let text = "# comment\ndate,name\n2029-01-01,New Year's Day\n2029-13-01,Nonsense\n";
        match BankHolidays::from_csv_str(text) {
            Err(BankHolidayError::BadRow { line, reason }) => {
                assert_eq!(line, 4, "{reason}");
                assert!(reason.contains("2029-13-01"));
            }
            other => panic!("expected a bad row, got {other:?}"),
        }
    }

    #[test]
    fn missing_name_duplicate_and_extra_field_are_bad_rows() {
        let missing = "date,name\n2029-01-01,\n";
        assert!(matches!(
            BankHolidays::from_csv_str(missing),
            Err(BankHolidayError::BadRow { line: 2, .. })
        ));
        let dup = "date,name\n2029-01-01,New Year's Day\n2029-01-01,Again\n";
        assert!(matches!(
            BankHolidays::from_csv_str(dup),
            Err(BankHolidayError::BadRow { line: 3, .. })
        ));
        let extra = "date,name\n2029-01-01,New Year's Day,extra\n";
        assert!(matches!(
            BankHolidays::from_csv_str(extra),
            Err(BankHolidayError::BadRow { line: 2, .. })
        ));
    }

    #[test]
    fn bad_header_and_empty_file() {
        assert!(matches!(
            BankHolidays::from_csv_str("day,holiday\n2029-01-01,x\n"),
            Err(BankHolidayError::BadHeader { .. })
        ));
        assert!(matches!(
            BankHolidays::from_csv_str("date,name\n"),
            Err(BankHolidayError::Empty)
        ));
    }

    #[test]
    fn loads_a_user_updated_file() {
        let dir = std::env::temp_dir().join(format!("steward-rights-bh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bank-holidays.csv");
        let mut text = EMBEDDED_BANK_HOLIDAYS_CSV.to_string();
        text.push_str("2029-01-01,New Year's Day\n");
        std::fs::write(&path, text).unwrap();
        let cal = BankHolidays::from_path(&path).unwrap();
        assert_eq!(cal.last_year_covered(), Some(2029));
        assert!(!cal.is_working_day(d(2029, 1, 1)));
        std::fs::remove_dir_all(&dir).unwrap();

        assert!(matches!(
            BankHolidays::from_path(dir.join("missing.csv")),
            Err(BankHolidayError::Io { .. })
        ));
    }
}
