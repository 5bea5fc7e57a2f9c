//! Times and dates. Storage is fixed-width RFC 3339 UTC text (sorts as text); the interface
//! shows "5 February 2021" and takes day/month/year (PRODUCT.md, Conventions).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Fixed-width UTC timestamp for storage, e.g. 2026-11-23T18:34:24.123456Z.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn now_stamp() -> String {
    stamp(now())
}

pub fn parse_stamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// "5 February 2021"
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// "5 February 2021 at 14:03" (UTC).
pub fn long_stamp(s: &str) -> String {
    match parse_stamp(s) {
        Some(t) => t.format("%-d %B %Y at %H:%M").to_string(),
        None => s.to_string(),
    }
}

/// Parses a date typed as day, month and year fields; `None` when it is not a real date.
pub fn date_from_parts(day: &str, month: &str, year: &str) -> Option<NaiveDate> {
    let d: u32 = day.trim().parse().ok()?;
    let m: u32 = month.trim().parse().ok()?;
    let y: i32 = year.trim().parse().ok()?;
    if !(1900..=2200).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

pub fn iso_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_and_show_the_british_way() {
        let d = date_from_parts("5", "2", "2021").unwrap();
        assert_eq!(long_date(d), "5 February 2021");
        assert_eq!(date_from_parts("31", "2", "2021"), None);
        assert_eq!(date_from_parts("x", "2", "2021"), None);
        assert_eq!(date_from_parts("1", "1", "21"), None);
    }

    #[test]
    fn stamps_are_fixed_width_and_round_trip() {
        let s = now_stamp();
        assert_eq!(s.len(), 27, "{s}");
        assert!(parse_stamp(&s).is_some());
    }
}
