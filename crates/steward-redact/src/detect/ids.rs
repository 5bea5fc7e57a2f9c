//! Structured identifiers: NHS numbers, phone numbers, National Insurance numbers, postcodes,
//! email addresses, dates of birth and hospital numbers. Each is one linear pass.

use std::sync::OnceLock;

use regex::Regex;

/// NHS number check digit (NHS Data Dictionary): weights 10..2 on the first nine digits,
/// 11 - (sum mod 11); 11 means 0, 10 means the number is invalid.
pub fn nhs_number_is_valid(digits: &[u8]) -> bool {
    if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    u32::from(digits[9] - b'0') == check
}

/// HMRC National Insurance number rules: two prefix letters (first not D F I Q U V, second
/// not D F I O Q U V, and not BG GB KN NK NT TN ZZ), six digits, suffix A-D.
pub fn ni_number_is_valid(s: &str) -> bool {
    let c: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if c.len() != 9 {
        return false;
    }
    let (p1, p2) = (c[0], c[1]);
    if !p1.is_ascii_uppercase() || !p2.is_ascii_uppercase() {
        return false;
    }
    if b"DFIQUV".contains(&p1) || b"DFIOQUV".contains(&p2) {
        return false;
    }
    if [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"]
        .iter()
        .any(|p| p[0] == p1 && p[1] == p2)
    {
        return false;
    }
    c[2..8].iter().all(u8::is_ascii_digit) && (b'A'..=b'D').contains(&c[8])
}

pub(crate) struct Regexes {
    pub postcode: Regex,
    pub ni: Regex,
    pub dob_key: Regex,
    pub address_label: Regex,
    pub loose_postcode: Regex,
    pub hosp_context: Regex,
}

pub(crate) fn regexes() -> &'static Regexes {
    static R: OnceLock<Regexes> = OnceLock::new();
    R.get_or_init(|| Regexes {
        // BS 7666 formats: A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA, GIR 0AA.
        postcode: Regex::new(
            r"(?-u)\b(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRV-Y]) ?[0-9][ABD-HJLNP-UW-Z]{2})\b",
        )
        .unwrap(),
        ni: Regex::new(r"(?-u)\b[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b").unwrap(),
        dob_key: Regex::new(
            r"(?i-u)\b(?:d\.? ?o\.? ?b\b\.?|date of birth|born\b|birth ?date\b|(?-i:b)\. )",
        )
            .unwrap(),
        loose_postcode: Regex::new(r"(?i-u)\b[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}\b").unwrap(),
        address_label: Regex::new(
            r"(?i-u)\b(?:address|new address|lives at)[ \t]*(?:is[ \t]*)?[:\-=][ \t]*",
        )
        .unwrap(),
        // A hospital number after its label: "Hospital No:", "Hosp no", "MRN", "Unit No",
        // "CRN", "PAS no", "case note number", a trust's code ("RXX number") or a letter
        // ("K No", "K-number"). The value has six or more digits; dates, telephone
        // numbers and results have no such label.
        hosp_context: Regex::new(
            r"(?i-u)\b(?:(?:hospital|hosp|unit|mrn|crn|pas|case ?note|medical record|local patient|patient id)(?: ?(?:no\b\.?|number|num\b|id\b|#))?|(?-i:R[A-Z0-9]{2}|[A-Z])[ -]?(?:no\b\.?|number\b))(?:\s+is\b)?\s*[:.]?\s*((?:(?-i:[A-Z]{1,4}) |[A-Z]{0,4})[0-9][0-9 ]{4,11}[0-9][A-Z]?)\b",
        )
        .unwrap(),
    })
}

/// A found identifier: byte range and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumKind {
    Nhs,
    Phone,
}

/// Scans digit runs once, finding NHS numbers (valid mod 11 only) and UK phone numbers.
/// `emit(start, end, kind)` is called in text order.
pub(crate) fn scan_numbers(text: &str, mut emit: impl FnMut(usize, usize, NumKind, &[u8])) {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut digits = [0u8; 16];
    while i < n {
        let c = b[i];
        let starts = c.is_ascii_digit()
            || (c == b'+' && i + 1 < n && b[i + 1].is_ascii_digit())
            || (c == b'(' && i + 1 < n && b[i + 1] == b'0');
        if !starts || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) {
            // Skip the rest of an alphanumeric token (e.g. "RDZ1234567", "B12").
            if c.is_ascii_alphanumeric() {
                while i < n && b[i].is_ascii_alphanumeric() {
                    i += 1;
                }
            } else {
                i += 1;
            }
            continue;
        }
        let start = i;
        let plus = c == b'+';
        let mut nd = 0usize;
        let mut groups = 0usize;
        let mut j = i + usize::from(plus);
        let mut last_digit_end = j;
        let mut in_group = false;
        let mut overflow = false;
        while j < n {
            let ch = b[j];
            if ch.is_ascii_digit() {
                if nd < digits.len() {
                    digits[nd] = ch;
                } else {
                    overflow = true;
                }
                nd += 1;
                if !in_group {
                    groups += 1;
                    in_group = true;
                }
                j += 1;
                last_digit_end = j;
            } else if (ch == b' ' || ch == b'-' || ch == b'(' || ch == b')')
                && j + 1 < n
                && (b[j + 1].is_ascii_digit()
                    || (b[j + 1] == b'(' && ch == b' ')
                    || (ch == b')' && b[j + 1] == b' ' && j + 2 < n && b[j + 2].is_ascii_digit()))
            {
                in_group = false;
                j += 1;
            } else {
                break;
            }
        }
        let end = last_digit_end;
        i = end.max(i + 1);
        // A number glued to letters or further digits-with-dots is something else.
        if end < n
            && (b[end].is_ascii_alphabetic()
                || (b[end] == b'.' && end + 1 < n && b[end + 1].is_ascii_digit())
                || b[end] == b'/')
        {
            continue;
        }
        if start > 0
            && (b[start - 1] == b'/'
                || b[start - 1] == b'.' && start > 1 && b[start - 2].is_ascii_digit())
        {
            continue;
        }
        if overflow || nd < 10 {
            continue;
        }
        let d = &digits[..nd];
        // International form: +44 / 0044, optionally "(0)".
        let national: Option<([u8; 16], usize)> = if plus || d.starts_with(b"0044") {
            let rest = if plus {
                if !d.starts_with(b"44") {
                    continue;
                }
                &d[2..]
            } else {
                &d[4..]
            };
            let mut out = [0u8; 16];
            let rest = if rest.len() == 11 && rest[0] == b'0' {
                &rest[1..]
            } else {
                rest
            };
            out[0] = b'0';
            out[1..=rest.len()].copy_from_slice(rest);
            Some((out, rest.len() + 1))
        } else {
            None
        };
        if let Some((nat, len)) = national {
            if (len == 11 || len == 10) && nat[1] != b'0' {
                emit(start, end, NumKind::Phone, &nat[..len]);
            }
            continue;
        }
        if nd == 10 && groups_look_like_nhs(b, start, end) && nhs_number_is_valid(d) {
            emit(start, end, NumKind::Nhs, d);
            continue;
        }
        if d[0] == b'0' {
            // National phone: 0 + 10 digits (or 0 + 9 for a few areas).
            if (nd == 11 && d[1] != b'0') || (nd == 10 && d[1] == b'1') {
                emit(start, end, NumKind::Phone, d);
            }
            continue;
        }
        if nd == 10 && nhs_number_is_valid(d) {
            let _ = groups;
            emit(start, end, NumKind::Nhs, d);
        }
    }
}

/// "123 456 7890" (3-3-4) grouping, the way NHS numbers are written.
fn groups_look_like_nhs(b: &[u8], start: usize, end: usize) -> bool {
    let s = &b[start..end];
    s.len() == 12 && (s[3] == b' ' || s[3] == b'-') && (s[7] == b' ' || s[7] == b'-')
}

/// Finds email addresses by looking for '@' and growing outwards.
pub(crate) fn scan_emails(text: &str, mut emit: impl FnMut(usize, usize)) {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(off) = text[from..].find('@') {
        let at = from + off;
        from = at + 1;
        let local_ok = |c: u8| c.is_ascii_alphanumeric() || b"._%+-'".contains(&c);
        let mut s = at;
        while s > 0 && local_ok(b[s - 1]) {
            s -= 1;
        }
        while s < at && !b[s].is_ascii_alphanumeric() {
            s += 1;
        }
        if s == at {
            continue;
        }
        let mut e = at + 1;
        while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'.' || b[e] == b'-') {
            e += 1;
        }
        while e > at + 1 && !b[e - 1].is_ascii_alphanumeric() {
            e -= 1;
        }
        let domain = &b[at + 1..e];
        let Some(dot) = domain.iter().rposition(|&c| c == b'.') else {
            continue;
        };
        let tld = &domain[dot + 1..];
        if dot == 0 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
            continue;
        }
        emit(s, e);
        from = e;
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn num_at(b: &[u8], i: usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let mut j = i;
    let mut v = 0u32;
    while j < b.len() && j - i < max && b[j].is_ascii_digit() {
        v = v * 10 + u32::from(b[j] - b'0');
        j += 1;
    }
    if j - i < min || (j < b.len() && b[j].is_ascii_digit()) {
        return None;
    }
    Some((v, j))
}

/// A month written as a word at `i`: its full name, its three-letter abbreviation, or
/// "Sept" (any case, an optional full stop after an abbreviation). Returns (month, end).
fn month_word_at(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let mut k = i;
    while k < b.len() && b[k].is_ascii_alphabetic() {
        k += 1;
    }
    let w = &b[i..k];
    if w.len() < 3 {
        return None;
    }
    for (n, full) in MONTHS.iter().enumerate() {
        let full = full.as_bytes();
        let ok = w.eq_ignore_ascii_case(full)
            || w.eq_ignore_ascii_case(&full[..3])
            || (n == 8 && w.eq_ignore_ascii_case(b"sept"));
        if ok {
            let mut e = k;
            if w.len() < full.len() && e < b.len() && b[e] == b'.' {
                e += 1;
            }
            return Some((n as u32 + 1, e));
        }
    }
    None
}

/// A year at `i`: four digits, or two (kept as written, below 100: the century is not known).
fn year_at(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let (y, e) = num_at(b, i, 2, 4)?;
    (e - i != 3).then_some((y, e))
}

/// Skips an ordinal suffix ("1st", "22nd") at `k`.
fn skip_ordinal(b: &[u8], k: usize) -> usize {
    if k + 1 < b.len() {
        let suf = [b[k].to_ascii_lowercase(), b[k + 1].to_ascii_lowercase()];
        let after = b.get(k + 2).copied().unwrap_or(b' ');
        if matches!(&suf, b"st" | b"nd" | b"rd" | b"th") && !after.is_ascii_alphanumeric() {
            return k + 2;
        }
    }
    k
}

/// Parses a date starting at `i`. Numeric: dd/mm/yyyy, dd/mm/yy (also `.` and `-`),
/// yyyy-mm-dd. With the month as a word: "3 March 1950", "3rd Mar. 1950", "3rd of March,
/// 1950", "03-Mar-1950", "03/Mar/50", "03Mar1950", "March 3rd, 1950", "Mar 3 1950".
/// Returns (end, year, month, day); a two-digit year is returned as written (below 100).
pub(crate) fn parse_date_at(b: &[u8], i: usize) -> Option<(usize, u32, u32, u32)> {
    if i >= b.len() {
        return None;
    }
    if b[i].is_ascii_alphabetic() {
        // "March 3rd, 1950"
        let (m, mut k) = month_word_at(b, i)?;
        if k >= b.len() || b[k] != b' ' {
            return None;
        }
        k += 1;
        let (d, j) = num_at(b, k, 1, 2)?;
        k = skip_ordinal(b, j);
        if k < b.len() && b[k] == b',' {
            k += 1;
        }
        if k >= b.len() || b[k] != b' ' {
            return None;
        }
        let (y, e) = num_at(b, k + 1, 4, 4)?;
        return valid(y, m, d).then_some((e, y, m, d));
    }
    if !b[i].is_ascii_digit() {
        return None;
    }
    if let Some((y, j)) = num_at(b, i, 4, 4) {
        // yyyy-mm-dd
        if j < b.len() && b[j] == b'-' {
            let (m, k) = num_at(b, j + 1, 2, 2)?;
            if k < b.len() && b[k] == b'-' {
                let (d, e) = num_at(b, k + 1, 2, 2)?;
                return valid(y, m, d).then_some((e, y, m, d));
            }
        }
        return None;
    }
    let (d, j) = num_at(b, i, 1, 2)?;
    if j < b.len() && matches!(b[j], b'/' | b'.' | b'-') {
        let sep = b[j];
        if let Some((m, k)) = num_at(b, j + 1, 1, 2) {
            if k < b.len() && b[k] == sep {
                let (y, e) = year_at(b, k + 1)?;
                return valid(y, m, d).then_some((e, y, m, d));
            }
            return None;
        }
        // "03-Mar-1950", "03/Mar/50", "3.Mar.1950"
        let (m, k) = month_word_at(b, j + 1)?;
        if k < b.len() && (b[k] == sep || (b[k - 1] == b'.' && sep == b'.')) {
            let k = if b[k] == sep { k + 1 } else { k };
            let (y, e) = year_at(b, k)?;
            return valid(y, m, d).then_some((e, y, m, d));
        }
        return None;
    }
    // "3rd March 1950", "3rd of March 1950", "03Mar1950"
    let mut k = skip_ordinal(b, j);
    if k < b.len() && b[k].is_ascii_alphabetic() && k == j {
        // glued: "03Mar1950"
        let (m, e) = month_word_at_glued(b, k)?;
        let (y, e) = num_at(b, e, 4, 4)?;
        return valid(y, m, d).then_some((e, y, m, d));
    }
    if k >= b.len() || b[k] != b' ' {
        return None;
    }
    k += 1;
    if b.len() >= k + 3 && b[k..k + 3].eq_ignore_ascii_case(b"of ") {
        k += 3;
    }
    let (m, mut k) = month_word_at(b, k)?;
    if k < b.len() && b[k] == b',' {
        k += 1;
    }
    if k >= b.len() || b[k] != b' ' {
        return None;
    }
    // "18 Oct 78": a two-digit year too (not a time, "3 March 19:00").
    let (y, e) = year_at(b, k + 1)?;
    if b.get(e) == Some(&b':') {
        return None;
    }
    valid(y, m, d).then_some((e, y, m, d))
}

/// "Mar1950": a three-letter month glued to the year that follows.
fn month_word_at_glued(b: &[u8], i: usize) -> Option<(u32, usize)> {
    if i + 3 > b.len() || !b.get(i + 3).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let w = &b[i..i + 3];
    let m = MONTHS
        .iter()
        .position(|mo| w.eq_ignore_ascii_case(&mo.as_bytes()[..3]))?;
    Some((m as u32 + 1, i + 3))
}

fn valid(y: u32, m: u32, d: u32) -> bool {
    ((1850..=2100).contains(&y) || y < 100) && (1..=12).contains(&m) && (1..=31).contains(&d)
}

/// Parses "YYYY-MM-DD" (the subject's date of birth).
pub(crate) fn parse_iso(s: &str) -> Option<(u32, u32, u32)> {
    let (_, y, m, d) = parse_date_at(s.trim().as_bytes(), 0)?;
    (y >= 100).then_some((y, m, d))
}

/// Is `found` (as parsed, a two-digit year as written) the date `dob`?
pub(crate) fn same_date(found: (u32, u32, u32), dob: (u32, u32, u32)) -> bool {
    let (y, m, d) = found;
    (m, d) == (dob.1, dob.2) && (y == dob.0 || (y < 100 && y == dob.0 % 100))
}

/// Dates of birth: a date right after "DOB", "D.O.B.", "date of birth", "born (on)",
/// "birth date", with punctuation, a line break or "on the" / "is" between.
pub(crate) fn scan_dobs(text: &str, mut emit: impl FnMut(usize, usize, (u32, u32, u32))) {
    let b = text.as_bytes();
    for m in regexes().dob_key.find_iter(text) {
        let mut i = m.end();
        let lim = (i + 24).min(b.len());
        // In a table's header row the next line is the first row, not this cell's value.
        let line_start = text[..m.start()].rfind('\n').map_or(0, |p| p + 1);
        let line_end = text[m.start()..]
            .find('\n')
            .map_or(text.len(), |p| m.start() + p);
        let line = &text[line_start..line_end];
        let table = line.contains('\t') || line.contains('|') || line.matches(',').count() >= 2;
        while i < lim {
            if (b[i] == b'\n' || b[i] == b'\r') && table {
                break;
            }
            if matches!(
                b[i],
                b' ' | b':' | b'-' | b'(' | b'\t' | b'\n' | b'\r' | b'=' | b'|'
            ) {
                i += 1;
                continue;
            }
            // "born on the 1st", "DOB is 01/06/1940", "date of birth was"
            let word_end = b[i..lim]
                .iter()
                .position(|c| !c.is_ascii_alphabetic())
                .map_or(lim, |p| i + p);
            let w = &b[i..word_end];
            if word_end < lim
                && ["on", "the", "is", "was", "of"]
                    .iter()
                    .any(|x| w.eq_ignore_ascii_case(x.as_bytes()))
            {
                i = word_end;
                continue;
            }
            break;
        }
        if let Some((e, y, mo, d)) = parse_date_at(b, i) {
            emit(i, e, (y, mo, d));
        }
    }
}

/// Dates of birth in a table: under a header cell named "DOB", "Date of birth", "Born"...
/// (comma-, tab- or bar-separated lines), every row's cell in that column that is a date.
pub(crate) fn scan_dob_columns(text: &str, mut emit: impl FnMut(usize, usize, (u32, u32, u32))) {
    let b = text.as_bytes();
    let mut done_lines: Vec<usize> = Vec::new();
    for m in regexes().dob_key.find_iter(text) {
        let line_start = text[..m.start()].rfind('\n').map_or(0, |p| p + 1);
        if done_lines.contains(&line_start) {
            continue;
        }
        let line_end = text[m.start()..]
            .find('\n')
            .map_or(text.len(), |p| m.start() + p);
        let header = &text[line_start..line_end];
        let Some(sep) = [b'\t', b'|', b',']
            .into_iter()
            .find(|&c| header.bytes().filter(|&x| x == c).count() >= 2)
        else {
            continue;
        };
        // the header cell must be the keyword alone ("DOB", "Date of birth")
        let col = text[line_start..m.start()]
            .bytes()
            .filter(|&x| x == sep)
            .count();
        let cell = header.split(sep as char).nth(col).unwrap_or("");
        let cell = cell.trim().trim_matches('"');
        if cell.len() > m.as_str().len() + 3 {
            continue;
        }
        done_lines.push(line_start);
        let width = split_row(header, sep, 0).len();
        let mut pos = line_end;
        while pos < text.len() {
            let ls = pos + 1;
            let le = text[ls.min(text.len())..]
                .find('\n')
                .map_or(text.len(), |p| ls + p);
            if ls >= le {
                break;
            }
            let line = &text[ls..le];
            let cells = split_row(line, sep, width);
            if cells.len() <= col {
                break;
            }
            // A row with more cells than the header (an unquoted separator inside a cell):
            // the date is in the column or as many cells to the right.
            let extra = cells.len().saturating_sub(width);
            for c in [col, col + extra] {
                let Some(&(a, z)) = cells.get(c) else {
                    continue;
                };
                let cell = &line[a..z];
                let inner = cell.trim().trim_matches('"').trim();
                if inner.is_empty() {
                    continue;
                }
                let cs = ls + a + cell.find(inner).unwrap_or(0);
                if let Some((e, y, mo, d)) = parse_date_at(b, cs) {
                    if e - cs == inner.len() {
                        emit(cs, e, (y, mo, d));
                        break;
                    }
                }
            }
            pos = le;
        }
    }
}

/// The cells of one delimited line, as byte ranges of `line`: separators inside double
/// quotes do not split. When a comma-separated row has more cells than the header's
/// `width` (0: unknown), a cell that starts with a space after an unquoted comma is taken
/// as the rest of the cell before it ("SMITH, Ann" typed into a CSV without quotes).
pub(crate) fn split_row(line: &str, sep: u8, width: usize) -> Vec<(usize, usize)> {
    let mut cells: Vec<(usize, usize)> = Vec::new();
    let mut q = false;
    let mut cs = 0;
    for (k, &ch) in line.as_bytes().iter().enumerate() {
        if ch == b'"' {
            q = !q;
        } else if ch == sep && !q {
            cells.push((cs, k));
            cs = k + 1;
        }
    }
    cells.push((cs, line.len()));
    if sep == b',' && width > 0 {
        let mut i = 1;
        while cells.len() > width && i < cells.len() {
            let (a, z) = cells[i];
            let cell = &line[a..z];
            if cell.starts_with(' ') && !cell.trim().is_empty() {
                cells[i - 1].1 = z;
                cells.remove(i);
            } else {
                i += 1;
            }
        }
    }
    cells
}

/// Cells of a delimited table (comma, tab or bar) under a header cell that `is_header`
/// accepts: `emit(start, end)` for each non-empty cell (quotes and spaces trimmed).
pub(crate) fn scan_table_column(
    text: &str,
    is_header: impl Fn(&str) -> bool,
    mut emit: impl FnMut(usize, usize),
) {
    let mut line_start = 0;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |p| line_start + p);
        let header = &text[line_start..line_end];
        let sep = [b'\t', b'|', b',']
            .into_iter()
            .find(|&c| header.bytes().filter(|&x| x == c).count() >= 2);
        // A header row: short cells, no "label: value".
        let col = sep.filter(|_| !header.contains(':')).and_then(|sep| {
            header
                .split(sep as char)
                .position(|c| {
                    let c = c.trim().trim_matches('"').trim();
                    c.len() <= 30 && is_header(c)
                })
                .map(|col| (sep, col))
        });
        let width = sep.map_or(0, |sep| header.bytes().filter(|&x| x == sep).count());
        let Some((sep, col)) = col else {
            line_start = line_end + 1;
            continue;
        };
        let mut pos = line_end;
        while pos < text.len() {
            let ls = pos + 1;
            let le = text[ls.min(text.len())..]
                .find('\n')
                .map_or(text.len(), |p| ls + p);
            if ls >= le {
                break;
            }
            let line = &text[ls..le];
            // quoted cells may hold the separator: split respecting quotes
            let cells = split_row(line, sep, width + 1);
            if cells.len() <= col || cells.len() < width + 1 {
                break;
            }
            // more cells than the header: the column's cell is as many cells to the right
            let (a, b) = cells[col + (cells.len() - width - 1).min(cells.len() - 1 - col)];
            let cell = &line[a..b];
            let lead = cell.len() - cell.trim_start().len();
            let trimmed = cell.trim();
            let inner = trimmed.trim_matches('"').trim();
            if !inner.is_empty() {
                let off = trimmed.find(inner).unwrap_or(0);
                let s = ls + a + lead + off;
                emit(s, s + inner.len());
            }
            pos = le;
        }
        line_start = pos + 1;
    }
}

/// A SNOMED CT identifier written as a clinical code: 6 to 18 digits whose last digit is
/// the Verhoeff check digit and whose two digits before it are a partition identifier
/// (00, 01, 02 for the core release; 10, 11, 12 for an extension), written in brackets
/// after a term ("Atrial fibrillation (49436004)") or after "SNOMED", "SCT", "code" or
/// "concept". Both tests together: a local record number is not taken for a code by chance.
pub(crate) fn snomed_code_at(text: &str, s: usize, e: usize) -> bool {
    let d = &text.as_bytes()[s..e];
    if !(6..=18).contains(&d.len()) || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = d.len();
    if !matches!(
        &d[n - 3..n - 1],
        b"00" | b"01" | b"02" | b"10" | b"11" | b"12"
    ) || !verhoeff(d)
    {
        return false;
    }
    let before = text[..s].trim_end_matches([' ', ':', '#']);
    if before.ends_with('(') && text[e..].starts_with(')') {
        return before[..before.len() - 1]
            .trim_end()
            .bytes()
            .last()
            .is_some_and(|c| c.is_ascii_alphabetic());
    }
    let from = before.len().saturating_sub(12);
    let tail = before.as_bytes()[from..].to_ascii_lowercase();
    [&b"snomed"[..], b"sct", b"code", b"concept", b"snomed ct"]
        .iter()
        .any(|k| tail.ends_with(k))
}

/// The Verhoeff check (the last digit checks the others).
fn verhoeff(digits: &[u8]) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut c = 0u8;
    for (i, &x) in digits.iter().rev().enumerate() {
        c = D[c as usize][P[i % 8][(x - b'0') as usize] as usize];
    }
    c == 0
}

/// Normalises an identifier for comparison: ASCII alphanumerics, uppercased.
pub(crate) fn norm_id(s: &str) -> String {
    s.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase() as char)
        .collect()
}

/// Normalises a phone number to its national digits ("+44 7700 900123" -> "07700900123").
pub(crate) fn norm_phone(s: &str) -> String {
    let mut out = String::new();
    scan_numbers(s, |_, _, kind, d| {
        if kind == NumKind::Phone && out.is_empty() {
            out = String::from_utf8_lossy(d).into_owned();
        }
    });
    if out.is_empty() {
        out = s
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(char::from)
            .collect();
    }
    out
}
