//! Naive local date/time handling. The contract says "timestamps in local time" and
//! "Day = the date of ts", so timestamps are kept as seconds since 1970-01-01 00:00:00 of the
//! same local clock (no zone arithmetic), and a day is `ts.div_euclid(86_400)`.
//!
//! Date formats are a small strftime subset (`%Y %m %d %H %M %S %f %%`), parsed without
//! allocation; an unknown specifier is refused when the mapping is loaded.

/// Seconds since 1970-01-01 00:00:00 (naive local time).
pub type Ts = i64;

pub const DAY: i64 = 86_400;

/// Day number (days since 1970-01-01) of a timestamp.
#[inline]
pub fn day_of(ts: Ts) -> i64 {
    ts.div_euclid(DAY)
}

/// Seconds since midnight.
#[inline]
pub fn time_of_day(ts: Ts) -> i64 {
    ts.rem_euclid(DAY)
}

/// Howard Hinnant's days_from_civil.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

pub fn fmt_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn fmt_ts(ts: Ts) -> String {
    let s = time_of_day(ts);
    format!(
        "{} {:02}:{:02}:{:02}",
        fmt_date(day_of(ts)),
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Item {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    /// Optional fractional seconds: `.` or `,` followed by digits (ignored).
    Frac,
    Lit(u8),
}

/// One compiled date/time format.
#[derive(Clone, Debug)]
pub struct DateFormat {
    pub pattern: String,
    items: Vec<Item>,
}

impl DateFormat {
    pub fn new(pattern: &str) -> Result<Self, String> {
        let b = pattern.as_bytes();
        let mut items = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                let Some(&c) = b.get(i + 1) else {
                    return Err(format!("date format {pattern:?} ends with '%'"));
                };
                items.push(match c {
                    b'Y' => Item::Year,
                    b'm' => Item::Month,
                    b'd' => Item::Day,
                    b'H' => Item::Hour,
                    b'M' => Item::Minute,
                    b'S' => Item::Second,
                    b'f' => Item::Frac,
                    b'%' => Item::Lit(b'%'),
                    _ => {
                        return Err(format!(
                            "date format {pattern:?}: unknown specifier %{} (supported: %Y %m %d %H %M %S %f %%)",
                            c as char
                        ))
                    }
                });
                i += 2;
            } else {
                items.push(Item::Lit(b[i]));
                i += 1;
            }
        }
        if !items.contains(&Item::Year)
            || !items.contains(&Item::Month)
            || !items.contains(&Item::Day)
        {
            return Err(format!("date format {pattern:?} needs %Y, %m and %d"));
        }
        Ok(DateFormat {
            pattern: pattern.to_string(),
            items,
        })
    }

    /// Parses the whole of `s`; `None` when it does not match.
    pub fn parse(&self, s: &[u8]) -> Option<Ts> {
        let (mut y, mut mo, mut d, mut h, mut mi, mut se) = (0i64, 0u32, 0u32, 0i64, 0i64, 0i64);
        let mut i = 0usize;
        fn num(s: &[u8], i: &mut usize, min: usize, max: usize) -> Option<i64> {
            let start = *i;
            let mut v = 0i64;
            while *i < s.len() && *i - start < max && s[*i].is_ascii_digit() {
                v = v * 10 + (s[*i] - b'0') as i64;
                *i += 1;
            }
            if *i - start < min {
                None
            } else {
                Some(v)
            }
        }
        for it in &self.items {
            match *it {
                Item::Year => y = num(s, &mut i, 4, 4)?,
                Item::Month => mo = num(s, &mut i, 1, 2)? as u32,
                Item::Day => d = num(s, &mut i, 1, 2)? as u32,
                Item::Hour => h = num(s, &mut i, 1, 2)?,
                Item::Minute => mi = num(s, &mut i, 2, 2)?,
                Item::Second => se = num(s, &mut i, 2, 2)?,
                Item::Frac => {
                    if i < s.len() && (s[i] == b'.' || s[i] == b',') {
                        i += 1;
                        num(s, &mut i, 1, 9)?;
                    }
                }
                Item::Lit(c) => {
                    if s.get(i) != Some(&c) {
                        return None;
                    }
                    i += 1;
                }
            }
        }
        if i != s.len()
            || !(1..=12).contains(&mo)
            || d == 0
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || se > 59
        {
            return None;
        }
        Some(days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + se)
    }
}

/// A list of accepted formats for one column, tried in order.
#[derive(Clone, Debug)]
pub struct TimeParser {
    pub formats: Vec<DateFormat>,
}

impl TimeParser {
    pub fn new(patterns: &[String]) -> Result<Self, String> {
        if patterns.is_empty() {
            return Err("empty list of date formats".into());
        }
        Ok(TimeParser {
            formats: patterns
                .iter()
                .map(|p| DateFormat::new(p))
                .collect::<Result<_, _>>()?,
        })
    }
    pub fn default_date() -> Self {
        Self::new(&["%Y-%m-%d".to_string()]).expect("valid")
    }
    pub fn default_ts() -> Self {
        Self::new(&[
            "%Y-%m-%d %H:%M:%S%f".to_string(),
            "%Y-%m-%dT%H:%M:%S%f".to_string(),
            "%Y-%m-%d %H:%M".to_string(),
            "%Y-%m-%dT%H:%M".to_string(),
        ])
        .expect("valid")
    }
    #[inline]
    pub fn parse(&self, s: &[u8]) -> Option<Ts> {
        self.formats.iter().find_map(|f| f.parse(s))
    }
    pub fn describe(&self) -> String {
        self.formats
            .iter()
            .map(|f| format!("{:?}", f.pattern))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_formats() {
        for d in [-1000, 0, 1, 20_000, 20_089, 30_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        let p = TimeParser::default_ts();
        let t = p.parse(b"2025-05-03 07:08:09").unwrap();
        assert_eq!(fmt_ts(t), "2025-05-03 07:08:09");
        assert_eq!(p.parse(b"2025-05-03T07:08:09.123"), Some(t));
        assert!(p.parse(b"03/05/2025 07:08").is_none());
        let uk = TimeParser::new(&["%d/%m/%Y %H:%M".into()]).unwrap();
        assert_eq!(uk.parse(b"03/05/2025 07:08"), Some(t - 9));
        assert!(uk.parse(b"31/02/2025 07:08").is_none());
        assert!(DateFormat::new("%d/%b/%Y").is_err());
    }
}
