//! The count report of a run: how many rows were read, written, removed (per list) and rejected
//! (per reason). It never holds an NHS number or any other identity of a removed patient.

use crate::filter::Format;
use crate::lists::ListKind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize)]
pub struct ListSummary {
    pub path: PathBuf,
    pub kind: ListKind,
    /// Data rows in the file.
    pub rows: u64,
    /// Valid NHS numbers taken from it.
    pub numbers: u64,
    /// Rows that could not be used (the run refuses these unless told to go on).
    pub rows_not_used: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub input: PathBuf,
    pub input_format: Format,
    pub output: PathBuf,
    pub output_format: Format,
    pub rejects: PathBuf,
    pub nhs_number_column: String,
    pub columns: usize,
    pub rows_read: u64,
    pub rows_written: u64,
    pub rows_removed: u64,
    /// Removed rows whose patient is on the Type 1 list only.
    pub removed_type1_only: u64,
    /// Removed rows whose patient is on the National Data Opt-out list only.
    pub removed_ndoo_only: u64,
    /// Removed rows whose patient is on both lists.
    pub removed_both: u64,
    /// Distinct patients whose rows were removed.
    pub patients_removed: u64,
    pub rows_rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Empty lines skipped (CSV).
    pub blank_lines: u64,
    pub lists: Vec<ListSummary>,
    /// Distinct NHS numbers on the Type 1 list(s).
    pub type1_numbers: u64,
    /// Distinct NHS numbers on the National Data Opt-out list(s).
    pub ndoo_numbers: u64,
    /// Distinct NHS numbers on any list.
    pub opt_out_numbers: u64,
    pub seconds: f64,
    /// Peak resident memory of the process (Linux), in MB.
    pub peak_memory_mb: Option<f64>,
    pub threads: usize,
}

/// "1 row", "3 rows".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group(n), if n == 1 { one } else { many })
}

/// 1234567 -> "1,234,567".
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Report {
    /// The report as text for a person.
    pub fn text(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "Opt-out filter: {} read from {}\n",
            count(self.rows_read, "row", "rows"),
            self.input.display()
        ));
        s.push_str(&format!(
            "  written:  {} to {}\n",
            count(self.rows_written, "row", "rows"),
            self.output.display()
        ));
        s.push_str(&format!(
            "  removed:  {} ({}) of patients who opted out: {} Type 1 only, {} National Data Opt-out only, {} both\n",
            count(self.rows_removed, "row", "rows"),
            count(self.patients_removed, "patient", "patients"),
            group(self.removed_type1_only),
            group(self.removed_ndoo_only),
            group(self.removed_both),
        ));
        s.push_str(&format!(
            "  rejected: {}{}\n",
            count(self.rows_rejected, "row", "rows"),
            if self.rows_rejected > 0 {
                format!(" (each by line in {})", self.rejects.display())
            } else {
                String::new()
            }
        ));
        for (k, v) in &self.rejected_by_reason {
            s.push_str(&format!("            {}: {}\n", k, group(*v)));
        }
        if self.blank_lines > 0 {
            s.push_str(&format!(
                "  {} skipped\n",
                count(self.blank_lines, "blank line", "blank lines")
            ));
        }
        s.push_str(&format!(
            "  opt-out lists: {} in all ({} Type 1, {} National Data Opt-out)\n",
            count(self.opt_out_numbers, "NHS number", "NHS numbers"),
            group(self.type1_numbers),
            group(self.ndoo_numbers)
        ));
        for l in &self.lists {
            s.push_str(&format!(
                "    {}: {}, {} from {}{}\n",
                l.kind.label(),
                count(l.rows, "row", "rows"),
                count(l.numbers, "NHS number", "NHS numbers"),
                l.path.display(),
                if l.rows_not_used > 0 {
                    format!(", {} not used", count(l.rows_not_used, "row", "rows"))
                } else {
                    String::new()
                }
            ));
        }
        let rate = if self.seconds > 0.0 {
            self.rows_read as f64 / self.seconds
        } else {
            0.0
        };
        s.push_str(&format!(
            "  {:.2} s ({} rows a second, {} threads{})\n",
            self.seconds,
            group(rate as u64),
            self.threads,
            match self.peak_memory_mb {
                Some(m) => format!(", peak memory {m:.0} MB"),
                None => String::new(),
            }
        ));
        s
    }
}

/// Peak resident set size of this process in MB (Linux `VmHWM`), if known.
pub fn peak_memory_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_grouped_and_counted_in_words() {
        assert_eq!(super::group(1234567), "1,234,567");
        assert_eq!(super::group(12), "12");
        assert_eq!(super::count(1, "row", "rows"), "1 row");
        assert_eq!(super::count(1000, "row", "rows"), "1,000 rows");
    }
}
