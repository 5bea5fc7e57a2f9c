//! Synthetic extracts and opt-out lists, with the expected counts, for tests and the benchmark.
//!
//! No real data: NHS numbers are in the 999 range that is never issued to patients (999 000 0000
//! to 999 999 9999, valid check digits only, at most about 909,000 of them), postcodes in the
//! fictional ZZ99 area, no names.

use crate::nhs;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Spec {
    pub rows: u64,
    /// Distinct patients in the pool (at most about 909,000).
    pub patients: u64,
    pub seed: u64,
    /// Share of the pool with a Type 1 opt-out.
    pub type1: f64,
    /// Share of the pool with a National Data Opt-out.
    pub ndoo: f64,
    /// Share of rows that are bad (check digit, missing number, not ten digits, field count).
    pub bad: f64,
    /// Share of rows whose free-text note needs quoting (commas, quotes, line breaks).
    pub quoted: f64,
}

impl Spec {
    pub fn new(rows: u64) -> Spec {
        Spec {
            rows,
            patients: (rows / 10).clamp(100, 900_000),
            seed: 1,
            type1: 0.03,
            ndoo: 0.054,
            bad: 0.001,
            quoted: 0.01,
        }
    }
}

/// What a correct filter reports on the generated extract.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Expected {
    pub rows_read: u64,
    pub rows_written: u64,
    pub removed_type1_only: u64,
    pub removed_ndoo_only: u64,
    pub removed_both: u64,
    pub patients_removed: u64,
    pub rows_rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Lines of the extract (1-based, header = 1) holding a bad row.
    #[serde(skip)]
    pub reject_lines: Vec<u64>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
}

/// The paths written by [`generate`].
pub struct Written {
    pub extract: PathBuf,
    pub type1: PathBuf,
    pub ndoo: PathBuf,
    pub expected: Expected,
}

fn digits(out: &mut Vec<u8>, mut v: u64, width: usize) {
    let at = out.len();
    for _ in 0..width {
        out.push(b'0' + (v % 10) as u8);
        v /= 10;
    }
    out[at..].reverse();
}

/// Writes `extract.csv`, `type1.csv`, `ndoo.csv` and `expected.json` into `dir`.
pub fn generate(dir: &Path, spec: &Spec) -> Result<Written> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut rng = Rng(spec.seed ^ 0x0005_EED0_F0A7);
    // the pool: valid numbers 999xxxxxxC, in order from a random start
    let want = spec.patients.clamp(1, 900_000);
    let mut pool: Vec<u64> = Vec::with_capacity(want as usize);
    let start = rng.below(1_000_000);
    let mut k = 0u64;
    while (pool.len() as u64) < want && k < 1_000_000 {
        let prefix = 999_000_000 + (start + k) % 1_000_000;
        if let Some(c) = nhs::check_digit(prefix) {
            pool.push(prefix * 10 + c as u64);
        }
        k += 1;
    }
    // list membership per patient: bit 0 Type 1, bit 1 National Data Opt-out
    let mut flags = vec![0u8; pool.len()];
    for f in flags.iter_mut() {
        if rng.chance(spec.type1) {
            *f |= 1;
        }
        if rng.chance(spec.ndoo) {
            *f |= 2;
        }
    }
    let type1 = dir.join("type1.csv");
    let ndoo = dir.join("ndoo.csv");
    {
        let mut t = std::io::BufWriter::new(std::fs::File::create(&type1)?);
        let mut n = std::io::BufWriter::new(std::fs::File::create(&ndoo)?);
        writeln!(t, "nhs_number,code,date_recorded")?;
        writeln!(n, "nhs_number")?;
        for (i, &f) in flags.iter().enumerate() {
            let s = nhs::format(pool[i]);
            if f & 1 != 0 {
                let (y, m, d) = (2013 + rng.below(12), 1 + rng.below(12), 1 + rng.below(28));
                writeln!(t, "{s},827241000000103,{y}-{m:02}-{d:02}")?;
            }
            if f & 2 != 0 {
                writeln!(n, "{s}")?;
            }
        }
        t.flush()?;
        n.flush()?;
    }
    let extract = dir.join("extract.csv");
    let mut ex = Expected::default();
    let mut removed_seen = vec![false; pool.len()];
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&extract)?);
    w.write_all(b"nhs_number,date_of_birth,sex,postcode,event_date,snomed_code,value,note\n")?;
    let codes: [&[u8]; 8] = [
        b"271649006",
        b"38341003",
        b"27113001",
        b"60621009",
        b"1000731000000107",
        b"1028881000000102",
        b"444781000",
        b"1107241000000107",
    ];
    let notes: [&[u8]; 6] = [
        b"",
        b"routine review",
        b"repeat",
        b"seen in clinic",
        b"telephone consultation",
        b"",
    ];
    let quoted_notes: [&[u8]; 4] = [
        b"\"reviewed, no change\"",
        b"\"patient said \"\"fine\"\"\"",
        b"\"two lines:\nsecond line\"",
        b"\"a, b and c\"",
    ];
    let mut line = 1u64;
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let reason = |ex: &mut Expected, r: &str, line: u64| {
        ex.rows_rejected += 1;
        *ex.rejected_by_reason.entry(r.to_string()).or_default() += 1;
        ex.reject_lines.push(line);
    };
    for _ in 0..spec.rows {
        line += 1;
        buf.clear();
        let pi = rng.below(pool.len() as u64) as usize;
        let n = pool[pi];
        let bad = rng.chance(spec.bad);
        let kind = if bad { rng.below(5) } else { 99 };
        // NHS number field
        match kind {
            0 => {
                // wrong check digit
                let wrong = (n % 10 + 1 + rng.below(9)) % 10;
                digits(&mut buf, n / 10 * 10 + wrong, 10);
                reason(&mut ex, "NHS number fails the check digit", line);
            }
            1 => reason(&mut ex, "NHS number missing", line),
            2 => {
                digits(&mut buf, n / 100, 8);
                reason(&mut ex, "NHS number is not ten digits", line);
            }
            _ => {
                let s = nhs::format(n);
                match rng.below(10) {
                    0 => buf.extend_from_slice(
                        format!("{} {} {}", &s[..3], &s[3..6], &s[6..]).as_bytes(),
                    ),
                    1 => buf.extend_from_slice(
                        format!("\"{}-{}-{}\"", &s[..3], &s[3..6], &s[6..]).as_bytes(),
                    ),
                    _ => buf.extend_from_slice(s.as_bytes()),
                }
            }
        }
        // date_of_birth, sex, postcode, event_date, code, value, note
        buf.push(b',');
        digits(&mut buf, 1930 + (n / 7) % 90, 4);
        buf.push(b'-');
        digits(&mut buf, 1 + (n / 3) % 12, 2);
        buf.push(b'-');
        digits(&mut buf, 1 + (n / 11) % 28, 2);
        buf.extend_from_slice(if n.is_multiple_of(2) {
            b",F,ZZ99 "
        } else {
            b",M,ZZ99 "
        });
        digits(&mut buf, 1 + (n / 13) % 9, 1);
        buf.push(b'Z');
        buf.push(b'A' + ((n / 17) % 26) as u8);
        buf.push(b',');
        digits(&mut buf, 2015 + rng.below(11), 4);
        buf.push(b'-');
        digits(&mut buf, 1 + rng.below(12), 2);
        buf.push(b'-');
        digits(&mut buf, 1 + rng.below(28), 2);
        buf.push(b',');
        buf.extend_from_slice(codes[rng.below(8) as usize]);
        buf.push(b',');
        let v = rng.below(20_000);
        digits(
            &mut buf,
            v / 100,
            1 + (v >= 1000) as usize + (v >= 10_000) as usize,
        );
        buf.push(b'.');
        digits(&mut buf, v % 100, 2);
        buf.push(b',');
        let mut newlines = 0;
        let note_start = buf.len();
        if rng.chance(spec.quoted) {
            let q = quoted_notes[rng.below(4) as usize];
            newlines = q.iter().filter(|&&b| b == b'\n').count() as u64;
            buf.extend_from_slice(q);
        } else {
            buf.extend_from_slice(notes[rng.below(6) as usize]);
        }
        match kind {
            3 => {
                buf.extend_from_slice(b",extra");
                reason(&mut ex, "wrong number of fields", line);
            }
            4 => {
                // drop the last field (the note, with its comma)
                buf.truncate(note_start - 1);
                newlines = 0;
                reason(&mut ex, "wrong number of fields", line);
            }
            _ => {}
        }
        buf.push(b'\n');
        w.write_all(&buf)?;
        ex.rows_read += 1;
        if !bad {
            match flags[pi] {
                0 => ex.rows_written += 1,
                1 => ex.removed_type1_only += 1,
                2 => ex.removed_ndoo_only += 1,
                _ => ex.removed_both += 1,
            }
            if flags[pi] != 0 && !removed_seen[pi] {
                removed_seen[pi] = true;
                ex.patients_removed += 1;
            }
        }
        line += newlines;
    }
    w.flush()?;
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&ex)? + "\n",
    )?;
    Ok(Written {
        extract,
        type1,
        ndoo,
        expected: ex,
    })
}
