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

/// The last Sunday of a month at 01:00 UTC: when UK summer time starts (March) or ends
/// (October), as the law has it since 1998.
fn last_sunday_0100_utc(year: i32, month: u32) -> DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("a real date");
    let last = first_next.pred_opt().expect("a real date");
    let back = last.weekday().num_days_from_sunday() as i64;
    let day = last - chrono::Duration::days(back);
    Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0).expect("a real time"))
}

/// A moment as UK local time (Europe/London: GMT, or BST from the last Sunday of March to
/// the last Sunday of October).
pub fn uk_local(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    use chrono::Datelike;
    let y = t.year();
    let summer = t >= last_sunday_0100_utc(y, 3) && t < last_sunday_0100_utc(y, 10);
    let offset = if summer { 1 } else { 0 };
    (t + chrono::Duration::hours(offset)).naive_utc()
}

/// "5 February 2021 at 14:03" in UK local time.
pub fn long_stamp(s: &str) -> String {
    match parse_stamp(s) {
        Some(t) => uk_local(t).format("%-d %B %Y at %H:%M").to_string(),
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
    fn stamps_show_uk_local_time() {
        // Winter: GMT.
        assert_eq!(
            long_stamp("2021-02-05T10:09:00Z"),
            "5 February 2021 at 10:09"
        );
        // Summer: BST, an hour ahead.
        assert_eq!(long_stamp("2025-07-01T09:09:00Z"), "1 July 2025 at 10:09");
        // The changes: 30 March 2025 01:00 UTC and 26 October 2025 01:00 UTC.
        assert_eq!(long_stamp("2025-03-30T00:59:00Z"), "30 March 2025 at 00:59");
        assert_eq!(long_stamp("2025-03-30T01:00:00Z"), "30 March 2025 at 02:00");
        assert_eq!(
            long_stamp("2025-10-26T00:59:00Z"),
            "26 October 2025 at 01:59"
        );
        assert_eq!(
            long_stamp("2025-10-26T01:00:00Z"),
            "26 October 2025 at 01:00"
        );
        // Late evening in summer is the next day in the UK.
        assert_eq!(long_stamp("2025-06-30T23:30:00Z"), "1 July 2025 at 00:30");
    }

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
