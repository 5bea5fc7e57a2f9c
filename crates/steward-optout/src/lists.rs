//! The opt-out lists: Type 1 opt-outs (the practice's search for the dissent code) and the
//! National Data Opt-out (the list returned by the national service). Held in memory as a hash
//! map from the NHS number (u64) to which lists hold it: memory is bounded by the lists, never by
//! the extract.

use crate::nhs::{self, NhsError};
use anyhow::{bail, Context, Result};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Flag of a Type 1 opt-out.
pub const TYPE1: u8 = 1;
/// Flag of a National Data Opt-out.
pub const NDOO: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Type1,
    Ndoo,
}

impl ListKind {
    pub fn flag(self) -> u8 {
        match self {
            ListKind::Type1 => TYPE1,
            ListKind::Ndoo => NDOO,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ListKind::Type1 => "Type 1 opt-outs",
            ListKind::Ndoo => "National Data Opt-out",
        }
    }
}

/// A row of a list that could not be used: file line and reason.
#[derive(Debug, Clone, Serialize)]
pub struct ListIssue {
    pub line: u64,
    pub reason: String,
}

/// What was read from one list file.
#[derive(Debug, Clone, Serialize)]
pub struct ListFile {
    pub path: PathBuf,
    pub kind: ListKind,
    /// Data rows read (header excluded, blank lines excluded).
    pub rows: u64,
    /// Valid NHS numbers taken (repeats included).
    pub numbers: u64,
    /// Rows that could not be used (kept in full up to 1,000, then counted).
    pub issues: Vec<ListIssue>,
    pub issue_count: u64,
}

/// A Type 1 opt-out code (data/type1_codes.toml).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Type1Code {
    pub system: String,
    pub code: String,
    pub term: String,
    pub source: String,
}

#[derive(serde::Deserialize)]
struct CodesFile {
    code: Vec<Type1Code>,
}

/// The shipped Type 1 opt-out codes.
pub fn type1_codes() -> Vec<Type1Code> {
    let f: CodesFile =
        toml::from_str(include_str!("../data/type1_codes.toml")).expect("data/type1_codes.toml");
    f.code
}

/// Normalises a column name for matching: lower case, without spaces, underscores and dashes
/// ("NHS Number", "nhs_number" and "NHSNumber" are the same column).
pub fn norm_name(s: &str) -> String {
    s.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '"'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The opt-out lists in memory.
#[derive(Debug, Default)]
pub struct OptOuts {
    map: FxHashMap<u64, u8>,
    pub files: Vec<ListFile>,
}

const MAX_ISSUES: usize = 1000;

impl OptOuts {
    pub fn new() -> Self {
        Self::default()
    }

    /// Which lists hold this number (0: none; else TYPE1 | NDOO bits).
    #[inline]
    pub fn lookup(&self, n: u64) -> u8 {
        if self.map.is_empty() {
            return 0;
        }
        self.map.get(&n).copied().unwrap_or(0)
    }

    /// Adds one number to a list (for tests and callers with lists in memory).
    pub fn add(&mut self, n: u64, kind: ListKind) {
        *self.map.entry(n).or_default() |= kind.flag();
    }

    /// Distinct NHS numbers on any list.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Distinct numbers per list: (Type 1, National Data Opt-out).
    pub fn counts(&self) -> (u64, u64) {
        let mut t = (0, 0);
        for &f in self.map.values() {
            t.0 += (f & TYPE1 != 0) as u64;
            t.1 += (f & NDOO != 0) as u64;
        }
        t
    }

    /// Total issues in all list files.
    pub fn issue_count(&self) -> u64 {
        self.files.iter().map(|f| f.issue_count).sum()
    }

    /// Reads a list file (CSV, or Parquet by extension or content). CSV: a header naming the
    /// NHS number column (`column`, matched as by [`norm_name`]), or no header at all when the
    /// file has one column whose first value is a valid NHS number. A `code` column, when
    /// present in a Type 1 list, must hold a Type 1 opt-out code on every row.
    pub fn read_file(&mut self, path: &Path, kind: ListKind, column: &str) -> Result<()> {
        let mut lf = ListFile {
            path: path.to_path_buf(),
            kind,
            rows: 0,
            numbers: 0,
            issues: Vec::new(),
            issue_count: 0,
        };
        let codes: Vec<String> = type1_codes().into_iter().map(|c| c.code).collect();
        let flag = kind.flag();
        let map = &mut self.map;
        let issue = |lf: &mut ListFile, line: u64, reason: String| {
            lf.issue_count += 1;
            if lf.issues.len() < MAX_ISSUES {
                lf.issues.push(ListIssue { line, reason });
            }
        };
        if crate::is_parquet(path)? {
            crate::pq::read_list(path, column, &mut |row, v, code| {
                lf.rows += 1;
                if kind == ListKind::Type1 {
                    if let Some(c) = code {
                        if !codes.iter().any(|k| k.as_bytes() == c.trim_ascii()) {
                            issue(
                                &mut lf,
                                row,
                                format!(
                                    "code {:?} is not a Type 1 opt-out code",
                                    String::from_utf8_lossy(c)
                                ),
                            );
                            return;
                        }
                    }
                }
                match v {
                    Ok(n) => {
                        lf.numbers += 1;
                        *map.entry(n).or_default() |= flag;
                    }
                    Err(e) => issue(&mut lf, row, e.label().to_string()),
                }
            })?;
        } else {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_path(path)
                .with_context(|| format!("opening {}", path.display()))?;
            let mut rec = csv::ByteRecord::new();
            let mut first = true;
            let mut col = 0usize;
            let mut code_col = None;
            let mut width = 1usize;
            let want = norm_name(column);
            loop {
                let ok = r
                    .read_byte_record(&mut rec)
                    .with_context(|| format!("reading {}", path.display()))?;
                if !ok {
                    break;
                }
                let line = rec.position().map_or(0, |p| p.line());
                if first {
                    first = false;
                    let names: Vec<String> = rec
                        .iter()
                        .map(|f| norm_name(&String::from_utf8_lossy(f)))
                        .collect();
                    let headerless = rec.len() == 1 && nhs::parse(&rec[0]).is_ok();
                    if !headerless {
                        col = match names.iter().position(|n| *n == want) {
                            Some(c) => c,
                            None => bail!(
                                "{}: no column {column:?} (the NHS number) in the header; columns: {}",
                                path.display(),
                                rec.iter()
                                    .map(|f| String::from_utf8_lossy(f).into_owned())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        };
                        width = rec.len();
                        if kind == ListKind::Type1 {
                            code_col = names.iter().position(|n| n == "code");
                        }
                        continue;
                    }
                }
                if rec.len() == 1 && rec[0].trim_ascii().is_empty() && width > 1 {
                    continue; // blank line
                }
                lf.rows += 1;
                if rec.len() != width {
                    issue(
                        &mut lf,
                        line,
                        format!("wrong number of fields: {}, expected {width}", rec.len()),
                    );
                    continue;
                }
                if let Some(cc) = code_col {
                    let c = rec[cc].trim_ascii();
                    if !codes.iter().any(|k| k.as_bytes() == c) {
                        issue(
                            &mut lf,
                            line,
                            format!(
                                "code {:?} is not a Type 1 opt-out code",
                                String::from_utf8_lossy(c)
                            ),
                        );
                        continue;
                    }
                }
                match nhs::parse(&rec[col]) {
                    Ok(n) => {
                        lf.numbers += 1;
                        *map.entry(n).or_default() |= flag;
                    }
                    Err(NhsError::Missing) if rec.len() == 1 => {} // blank line
                    Err(e) => issue(&mut lf, line, e.label().to_string()),
                }
            }
        }
        self.files.push(lf);
        Ok(())
    }

    /// A message naming every list problem (up to 20 lines), or None when the lists are clean.
    pub fn problems(&self) -> Option<String> {
        if self.issue_count() == 0 {
            return None;
        }
        let mut s = String::new();
        let mut shown = 0;
        for f in &self.files {
            if f.issue_count == 0 {
                continue;
            }
            s.push_str(&format!(
                "{} ({}): {} row{} could not be used\n",
                f.path.display(),
                f.kind.label(),
                f.issue_count,
                if f.issue_count == 1 { "" } else { "s" }
            ));
            for i in &f.issues {
                if shown == 20 {
                    break;
                }
                shown += 1;
                s.push_str(&format!("  line {}: {}\n", i.line, i.reason));
            }
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn a_headed_list_with_a_bad_row_reports_its_line() {
        let f = file("NHS Number,date\n943 476 5919,2024-01-01\n9434765918,2024-01-01\n");
        let mut o = OptOuts::new();
        o.read_file(f.path(), ListKind::Ndoo, "nhs_number").unwrap();
        assert_eq!(o.lookup(9434765919), NDOO);
        assert_eq!(o.files[0].numbers, 1);
        assert_eq!(o.files[0].issue_count, 1);
        assert_eq!(o.files[0].issues[0].line, 3);
        assert!(o
            .problems()
            .unwrap()
            .contains("line 3: NHS number fails the check digit"));
    }

    #[test]
    fn a_headerless_single_column_list() {
        let f = file("9434765919\n\n");
        let mut o = OptOuts::new();
        o.read_file(f.path(), ListKind::Type1, "nhs_number")
            .unwrap();
        assert_eq!(o.lookup(9434765919), TYPE1);
        assert!(o.problems().is_none());
    }

    #[test]
    fn type1_codes_are_checked() {
        let f = file("nhs_number,code\n9434765919,827241000000103\n4010232137,9Nu1\n");
        let mut o = OptOuts::new();
        o.read_file(f.path(), ListKind::Type1, "nhs_number")
            .unwrap();
        assert_eq!(o.lookup(9434765919), TYPE1);
        assert_eq!(o.lookup(4010232137), 0);
        assert_eq!(o.files[0].issues[0].line, 3);
        assert!(o.files[0].issues[0].reason.contains("9Nu1"));
        // every shipped code names its source
        assert!(type1_codes().iter().all(|c| !c.source.is_empty()));
    }

    #[test]
    fn both_lists_combine() {
        let mut o = OptOuts::new();
        o.add(9434765919, ListKind::Type1);
        o.add(9434765919, ListKind::Ndoo);
        assert_eq!(o.lookup(9434765919), TYPE1 | NDOO);
        assert_eq!(o.counts(), (1, 1));
    }

    #[test]
    fn a_missing_column_is_refused() {
        let f = file("patient,date\n1,2\n");
        let e = OptOuts::new()
            .read_file(f.path(), ListKind::Ndoo, "nhs_number")
            .unwrap_err();
        assert!(e.to_string().contains("no column"), "{e}");
    }
}
