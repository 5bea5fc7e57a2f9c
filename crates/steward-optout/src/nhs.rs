//! NHS numbers (NHS Data Dictionary, "NHS NUMBER"): ten digits, the tenth a modulus 11 check
//! digit over the first nine with weights 10 down to 2. Only a number that passes the check is
//! an NHS number; anything else in the column is a bad row, never matched and never passed on.

/// Why a field is not an NHS number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NhsError {
    /// The field is empty (or null in Parquet).
    Missing,
    /// Not ten digits (after removing spaces and dashes), or other characters.
    NotTenDigits,
    /// Ten digits whose check digit does not match (or whose check would be 10).
    CheckDigit,
}

impl NhsError {
    /// The reason as written in the rejects file and the report.
    pub fn label(self) -> &'static str {
        match self {
            NhsError::Missing => "NHS number missing",
            NhsError::NotTenDigits => "NHS number is not ten digits",
            NhsError::CheckDigit => "NHS number fails the check digit",
        }
    }
}

/// Validates ten digits (as numbers 0-9) and returns the number.
#[inline]
fn check(d: &[u8; 10]) -> Result<u64, NhsError> {
    let mut sum = 0u32;
    let mut n = 0u64;
    for (i, &x) in d.iter().enumerate().take(9) {
        sum += x as u32 * (10 - i as u32);
        n = n * 10 + x as u64;
    }
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return Err(NhsError::CheckDigit),
        c => c,
    };
    if d[9] as u32 != check {
        return Err(NhsError::CheckDigit);
    }
    Ok(n * 10 + d[9] as u64)
}

/// Parses an NHS number as written in an extract: ten digits, possibly grouped with spaces or
/// dashes ("943 476 5919", "943-476-5919"), surrounding white space ignored.
///
/// ```
/// use steward_optout::nhs::{parse, NhsError};
/// assert_eq!(parse(b"943 476 5919"), Ok(9434765919));
/// assert_eq!(parse(b"9434765918"), Err(NhsError::CheckDigit));
/// ```
#[inline]
pub fn parse(field: &[u8]) -> Result<u64, NhsError> {
    // fast path: exactly ten digits
    if field.len() == 10 {
        let mut d = [0u8; 10];
        let mut ok = true;
        for (o, &b) in d.iter_mut().zip(field) {
            *o = b.wrapping_sub(b'0');
            ok &= *o < 10;
        }
        if ok {
            return check(&d);
        }
    }
    let f = field.trim_ascii();
    if f.is_empty() {
        return Err(NhsError::Missing);
    }
    let mut d = [0u8; 10];
    let mut n = 0usize;
    for &b in f {
        match b {
            b'0'..=b'9' => {
                if n == 10 {
                    return Err(NhsError::NotTenDigits);
                }
                d[n] = b - b'0';
                n += 1;
            }
            b' ' | b'-' => {}
            _ => return Err(NhsError::NotTenDigits),
        }
    }
    if n != 10 {
        return Err(NhsError::NotTenDigits);
    }
    check(&d)
}

/// An NHS number held as an integer column (leading zeros lost, e.g. Scottish CHI numbers).
pub fn from_int(v: i64) -> Result<u64, NhsError> {
    if !(0..10_000_000_000).contains(&v) {
        return Err(NhsError::NotTenDigits);
    }
    let mut d = [0u8; 10];
    let mut x = v as u64;
    for o in d.iter_mut().rev() {
        *o = (x % 10) as u8;
        x /= 10;
    }
    check(&d)
}

/// The check digit for nine digits, if one exists (None when it would be 10).
pub fn check_digit(first9: u64) -> Option<u8> {
    let mut d = [0u8; 9];
    let mut x = first9;
    for o in d.iter_mut().rev() {
        *o = (x % 10) as u8;
        x /= 10;
    }
    let sum: u32 = d
        .iter()
        .enumerate()
        .map(|(i, &x)| x as u32 * (10 - i as u32))
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

/// Writes a number as ten digits (leading zeros kept).
pub fn format(n: u64) -> String {
    format!("{n:010}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_example_is_valid() {
        // identifiers.md: "943 476 5919"
        assert_eq!(parse(b"9434765919"), Ok(9434765919));
        assert_eq!(check_digit(943476591), Some(9));
    }

    #[test]
    fn every_wrong_check_digit_is_rejected() {
        for last in 0..10u8 {
            let s = format!("943476591{last}");
            let r = parse(s.as_bytes());
            if last == 9 {
                assert_eq!(r, Ok(9434765919));
            } else {
                assert_eq!(r, Err(NhsError::CheckDigit), "{s}");
            }
        }
    }

    #[test]
    fn check_of_ten_is_never_valid() {
        // 000000001 -> sum 2, 11 - 2 = 9; find nine digits whose check is 10
        let nine = (0..1000u64).find(|&n| check_digit(n).is_none()).unwrap();
        for last in 0..10 {
            let s = format!("{nine:09}{last}");
            assert_eq!(parse(s.as_bytes()), Err(NhsError::CheckDigit), "{s}");
        }
    }

    #[test]
    fn check_of_eleven_is_zero() {
        let nine = (0..1000u64).find(|&n| check_digit(n) == Some(0)).unwrap();
        let s = format!("{nine:09}0");
        assert!(parse(s.as_bytes()).is_ok(), "{s}");
    }

    #[test]
    fn spaces_and_dashes_are_accepted() {
        for s in [
            "943 476 5919",
            "943-476-5919",
            " 9434765919 ",
            "\t943 476 5919\r",
            "94 34 76 59 19",
            "943 - 476 - 5919",
        ] {
            assert_eq!(parse(s.as_bytes()), Ok(9434765919), "{s:?}");
        }
    }

    #[test]
    fn other_forms_are_not_nhs_numbers() {
        assert_eq!(parse(b""), Err(NhsError::Missing));
        assert_eq!(parse(b"   "), Err(NhsError::Missing));
        assert_eq!(parse(b"943476591"), Err(NhsError::NotTenDigits));
        assert_eq!(parse(b"94347659190"), Err(NhsError::NotTenDigits));
        assert_eq!(parse(b"943.476.5919"), Err(NhsError::NotTenDigits));
        assert_eq!(parse(b"943476591X"), Err(NhsError::NotTenDigits));
        assert_eq!(parse(b"+449434765919"), Err(NhsError::NotTenDigits));
    }

    #[test]
    fn integers_keep_leading_zeros() {
        let nine = (1..10_000u64).find(|&n| check_digit(n).is_some()).unwrap();
        let full = nine * 10 + check_digit(nine).unwrap() as u64;
        assert_eq!(from_int(full as i64), Ok(full));
        assert_eq!(format(full).len(), 10);
        assert_eq!(parse(format(full).as_bytes()), Ok(full));
        assert_eq!(from_int(-1), Err(NhsError::NotTenDigits));
        assert_eq!(from_int(10_000_000_000), Err(NhsError::NotTenDigits));
        assert_eq!(from_int(9434765919), Ok(9434765919));
    }
}
