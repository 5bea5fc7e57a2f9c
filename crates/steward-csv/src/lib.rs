//! Steward's one CSV writer. Every CSV that Steward writes for people to open (the audit
//! trail, access-audit reports and the engine's flags and cases, redaction schedules) goes
//! through [`Writer`], so no cell can be read by a spreadsheet as a formula.
//!
//! A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is neutralised
//! by a leading apostrophe, which spreadsheets show as text (OWASP, "CSV Injection";
//! CWE-1236). Plain numbers such as `-3`, `+44` or `-0.25` are left as they are: they are
//! data, not formulas, and a report's figures must stay figures.
//!
//! `steward_core::csv_out` is this crate; the pure engines (which do not depend on the
//! core) use it directly.

use std::borrow::Cow;
use std::io::Write;

pub use csv::{Error, Result};

/// The characters that make a spreadsheet read a cell as a formula (or hide one).
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell is a plain number: an optional sign, digits with at most one decimal
/// point, and an optional exponent (`-3`, `+44`, `-0.5`, `1e-3`).
pub fn is_plain_number(cell: &str) -> bool {
    let s = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut digits = 0;
    let mut points = 0;
    for c in mantissa.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => points += 1,
            _ => return false,
        }
    }
    if digits == 0 || points > 1 {
        return false;
    }
    match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
        }
    }
}

/// The cell as it is safe to write: with a leading apostrophe when it begins with a
/// formula character and is not a plain number.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if TRIGGERS.contains(&c) && !is_plain_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// A CSV writer whose every cell is neutralised (see the crate's documentation).
pub struct Writer<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> Writer<W> {
    pub fn from_writer(w: W) -> Writer<W> {
        Writer {
            inner: csv::Writer::from_writer(w),
        }
    }

    /// Writes one record, each cell neutralised.
    pub fn write_record<I, T>(&mut self, record: I) -> Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        for cell in record {
            self.inner
                .write_field(neutralise(cell.as_ref()).as_bytes())?;
        }
        // An empty record ends the one the fields above began.
        self.inner.write_record(std::iter::empty::<&[u8]>())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and gives back the underlying writer.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

impl Writer<Vec<u8>> {
    /// A writer into memory, for exports served over HTTP.
    pub fn in_memory() -> Writer<Vec<u8>> {
        Writer::from_writer(Vec::new())
    }

    /// The written CSV as text.
    pub fn into_string(self) -> std::result::Result<String, String> {
        let bytes = self.into_inner().map_err(|e| e.to_string())?;
        String::from_utf8(bytes).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1",
            "\r=1",
            "-",
            "+",
            "+44 20 7946 0000",
            "=1",
            "-1-1",
            "--3",
            "-1e",
            "+.",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn plain_numbers_and_ordinary_text_are_kept() {
        for cell in [
            "-3", "+44", "-0.25", "+1.5e3", "-2E-4", "-.5", "12", "", "Ada", "a=b", "x-1", "'=1",
            " =1",
        ] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn the_writer_neutralises_every_cell_and_keeps_quoting() {
        let mut w = Writer::in_memory();
        w.write_record(["seq", "email"]).unwrap();
        w.write_record(["-3", "=HYPERLINK(\"http://evil\",\"x\")@a.test"])
            .unwrap();
        w.write_record([String::from("@me"), String::from("a,b")])
            .unwrap();
        let text = w.into_string().unwrap();
        assert_eq!(
            text,
            "seq,email\n-3,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")@a.test\"\n'@me,\"a,b\"\n"
        );
        // Read back, the cells are text beginning with an apostrophe.
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(&rows[0][1], "'=HYPERLINK(\"http://evil\",\"x\")@a.test");
        assert_eq!(&rows[1][0], "'@me");
    }
}
