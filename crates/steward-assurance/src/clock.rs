//! The breach clock: 72 hours (the grid's `notify_within_hours`) from the moment the
//! organisation became aware, not from when it happened (UK GDPR Art 33(1)); shown to the hour.
//! Occurrence, awareness and notification are three separate times; neither awareness nor
//! notification can come before occurrence (shared/reference/breach-grading.md, "The clock").
//!
//! People type times in UK local time; storage is UTC. The UK's summer time runs from 01:00
//! UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October (The Summer
//! Time Order 2002), which is all the time-zone knowledge this needs.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("a real month");
    let last = first_next - Duration::days(1);
    let back = last.weekday().num_days_from_sunday();
    last - Duration::days(i64::from(back))
}

/// Whether British Summer Time is in force at this instant.
pub fn is_bst(t: DateTime<Utc>) -> bool {
    let y = t.year();
    let start = Utc.from_utc_datetime(&last_sunday(y, 3).and_hms_opt(1, 0, 0).expect("time"));
    let end = Utc.from_utc_datetime(&last_sunday(y, 10).and_hms_opt(1, 0, 0).expect("time"));
    t >= start && t < end
}

/// A UK wall-clock time as UTC. In the hour the clocks go back the earlier (summer) reading
/// is taken; a time in the skipped spring hour is read as summer time.
pub fn uk_to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    let as_bst = Utc.from_utc_datetime(&(local - Duration::hours(1)));
    if is_bst(as_bst) {
        as_bst
    } else {
        Utc.from_utc_datetime(&local)
    }
}

/// UTC as UK wall-clock time.
pub fn utc_to_uk(t: DateTime<Utc>) -> NaiveDateTime {
    if is_bst(t) {
        t.naive_utc() + Duration::hours(1)
    } else {
        t.naive_utc()
    }
}

/// "5 February 2021 at 14:03" in UK time.
pub fn uk_stamp(t: DateTime<Utc>) -> String {
    utc_to_uk(t).format("%-d %B %Y at %H:%M").to_string()
}

/// Where an incident stands against its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ClockState {
    /// Not yet notified; whole hours left (rounded down).
    Running {
        hours_left: i64,
    },
    /// Not yet notified and past the deadline by this many whole hours (at least 0).
    Overdue {
        hours_over: i64,
    },
    NotifiedInTime,
    /// Notified after the deadline: reasons for the delay are required (Art 33(1)).
    NotifiedLate {
        hours_late: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreachClock {
    pub aware: DateTime<Utc>,
    pub hours: i64,
}

impl BreachClock {
    pub fn new(aware: DateTime<Utc>, hours: i64) -> BreachClock {
        BreachClock { aware, hours }
    }

    pub fn deadline(&self) -> DateTime<Utc> {
        self.aware + Duration::hours(self.hours)
    }

    pub fn is_late(&self, notified: DateTime<Utc>) -> bool {
        notified > self.deadline()
    }

    pub fn state(&self, now: DateTime<Utc>, notified: Option<DateTime<Utc>>) -> ClockState {
        let deadline = self.deadline();
        match notified {
            Some(n) if n > deadline => ClockState::NotifiedLate {
                hours_late: (n - deadline).num_hours(),
            },
            Some(_) => ClockState::NotifiedInTime,
            None if now <= deadline => ClockState::Running {
                hours_left: (deadline - now).num_hours(),
            },
            None => ClockState::Overdue {
                hours_over: (now - deadline).num_hours(),
            },
        }
    }
}

/// "1 hour", "3 hours".
pub fn hours_words(n: i64) -> String {
    if n == 1 {
        "1 hour".into()
    } else {
        format!("{n} hours")
    }
}

/// What the incident's page says about the clock.
pub fn describe(state: ClockState) -> String {
    match state {
        ClockState::Running { hours_left } => {
            format!("{} left to notify the ICO", hours_words(hours_left))
        }
        ClockState::Overdue { hours_over } => format!(
            "The 72-hour deadline passed {} ago: notify the ICO now and record the reasons for the delay",
            hours_words(hours_over)
        ),
        ClockState::NotifiedInTime => "The ICO was notified within 72 hours".into(),
        ClockState::NotifiedLate { hours_late } => format!(
            "The ICO was notified {} after the 72-hour deadline",
            hours_words(hours_late)
        ),
    }
}

/// The order of the three times: awareness and notification cannot come before occurrence,
/// and notification cannot come before awareness. Messages name the later time's field.
pub fn check_order(
    occurred: DateTime<Utc>,
    aware: DateTime<Utc>,
    notified: Option<DateTime<Utc>>,
) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![];
    if aware < occurred {
        out.push((
            "aware_at",
            "The time the practice became aware must be the same as or after the time it happened",
        ));
    }
    if let Some(n) = notified {
        if n < occurred {
            out.push((
                "notified_at",
                "The notification time must be after the time the incident happened",
            ));
        } else if n < aware {
            out.push((
                "notified_at",
                "The notification time must be after the time the practice became aware",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }
    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn summer_time_starts_and_ends_on_the_last_sundays() {
        assert_eq!(
            last_sunday(2026, 3),
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()
        );
        assert_eq!(
            last_sunday(2026, 10),
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
        );
        assert_eq!(last_sunday(2027, 12).weekday(), Weekday::Sun);
        assert!(!is_bst(utc(2026, 3, 29, 0, 59)));
        assert!(is_bst(utc(2026, 3, 29, 1, 0)));
        assert!(is_bst(utc(2026, 10, 25, 0, 59)));
        assert!(!is_bst(utc(2026, 10, 25, 1, 0)));
    }

    #[test]
    fn uk_times_convert_both_ways() {
        assert_eq!(
            uk_to_utc(local(2026, 1, 10, 9, 30)),
            utc(2026, 1, 10, 9, 30)
        );
        assert_eq!(
            uk_to_utc(local(2026, 7, 10, 9, 30)),
            utc(2026, 7, 10, 8, 30)
        );
        assert_eq!(
            utc_to_uk(utc(2026, 7, 10, 8, 30)),
            local(2026, 7, 10, 9, 30)
        );
        assert_eq!(uk_stamp(utc(2026, 7, 10, 8, 30)), "10 July 2026 at 09:30");
        // The hour the clocks go back (01:00-02:00 local happens twice): the summer reading.
        assert_eq!(
            uk_to_utc(local(2026, 10, 25, 1, 30)),
            utc(2026, 10, 25, 0, 30)
        );
    }

    #[test]
    fn the_clock_runs_from_awareness_to_the_hour() {
        let aware = utc(2026, 5, 4, 10, 0);
        let c = BreachClock::new(aware, 72);
        assert_eq!(c.deadline(), utc(2026, 5, 7, 10, 0));
        assert_eq!(
            c.state(utc(2026, 5, 4, 10, 0), None),
            ClockState::Running { hours_left: 72 }
        );
        assert_eq!(
            c.state(utc(2026, 5, 6, 9, 30), None),
            ClockState::Running { hours_left: 24 }
        );
        assert_eq!(
            c.state(utc(2026, 5, 7, 13, 5), None),
            ClockState::Overdue { hours_over: 3 }
        );
        assert_eq!(
            c.state(utc(2026, 5, 9, 0, 0), Some(utc(2026, 5, 7, 10, 0))),
            ClockState::NotifiedInTime
        );
        assert_eq!(
            c.state(utc(2026, 5, 9, 0, 0), Some(utc(2026, 5, 8, 12, 0))),
            ClockState::NotifiedLate { hours_late: 26 }
        );
        assert!(c.is_late(utc(2026, 5, 7, 10, 1)));
        assert_eq!(
            describe(ClockState::Running { hours_left: 1 }),
            "1 hour left to notify the ICO"
        );
    }

    #[test]
    fn times_must_come_in_order() {
        let occurred = utc(2026, 5, 4, 10, 0);
        assert!(check_order(occurred, occurred, None).is_empty());
        let before = utc(2026, 5, 3, 10, 0);
        assert_eq!(check_order(occurred, before, None)[0].0, "aware_at");
        let e = check_order(occurred, utc(2026, 5, 5, 10, 0), Some(before));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].0, "notified_at");
        assert!(e[0].1.contains("after the time the incident happened"));
        let e = check_order(
            occurred,
            utc(2026, 5, 5, 10, 0),
            Some(utc(2026, 5, 4, 12, 0)),
        );
        assert!(e[0].1.contains("became aware"));
    }
}
