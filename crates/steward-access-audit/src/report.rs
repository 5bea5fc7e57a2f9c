//! Writers: flags.csv, cases.csv, issues and the Markdown summary report.

use crate::config::{Rule, Rules};
use crate::data::Issues;
use crate::engine::{Case, CaseKind, Flag, Stats};
use crate::time::fmt_ts;
use anyhow::Result;
use std::fmt::Write as _;
use std::io::Write;

pub const FLAGS_HEADER: [&str; 3] = ["event_id", "rule", "evidence"];

pub fn write_flag<W: Write>(w: &mut steward_csv::Writer<W>, f: &Flag) -> Result<()> {
    w.write_record([f.event_id.as_str(), f.rule.name(), f.evidence.as_str()])?;
    Ok(())
}

pub fn write_cases<W: Write>(w: W, cases: &[Case]) -> Result<()> {
    let mut w = steward_csv::Writer::from_writer(w);
    w.write_record([
        "rank",
        "kind",
        "user_id",
        "user_name",
        "patient_id",
        "day",
        "severity",
        "score",
        "rules",
        "events",
        "first_ts",
        "last_ts",
        "event_ids",
    ])?;
    let (mut rank, mut sev, mut score, mut events) =
        (String::new(), String::new(), String::new(), String::new());
    let (mut rules, mut ids) = (String::new(), String::new());
    let join = |out: &mut String, parts: &mut dyn Iterator<Item = &str>| {
        out.clear();
        for (i, p) in parts.enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(p);
        }
    };
    let num = |out: &mut String, n: u64| {
        out.clear();
        let _ = write!(out, "{n}");
    };
    for c in cases {
        num(&mut rank, c.rank as u64);
        num(&mut sev, c.severity as u64);
        num(&mut score, c.score as u64);
        num(&mut events, c.events);
        join(&mut rules, &mut c.rules.iter().map(|r| r.name()));
        join(&mut ids, &mut c.event_ids.iter().map(String::as_str));
        w.write_record([
            rank.as_str(),
            match c.kind {
                CaseKind::UserPatient => "user-patient",
                CaseKind::UserDay => "user-day",
            },
            c.user_id.as_str(),
            c.user_name.as_str(),
            c.patient_id.as_deref().unwrap_or_default(),
            c.day.as_deref().unwrap_or_default(),
            sev.as_str(),
            score.as_str(),
            rules.as_str(),
            events.as_str(),
            &fmt_ts(c.first_ts),
            &fmt_ts(c.last_ts),
            ids.as_str(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub fn write_issues<W: Write>(w: W, issues: &Issues) -> Result<()> {
    let mut w = steward_csv::Writer::from_writer(w);
    w.write_record(["file", "line", "reason"])?;
    for i in &issues.list {
        w.write_record([i.file.as_str(), &i.line.to_string(), i.reason.as_str()])?;
    }
    w.flush()?;
    Ok(())
}

/// A Markdown summary: statistics, thresholds, the top cases, data issues.
pub fn markdown(
    stats: &Stats,
    cases: &[Case],
    issues: &Issues,
    rules: &Rules,
    top: usize,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Access audit report\n");
    let _ = writeln!(s, "- Events evaluated: {}", stats.events);
    let _ = writeln!(
        s,
        "- Event rows not evaluated (see issues): {}",
        stats.rejected
    );
    let _ = writeln!(
        s,
        "- Explained by a care relationship: {} ({:.2}%)",
        stats.explained,
        100.0 * stats.explained_share
    );
    let _ = writeln!(s, "- Cases: {}\n", cases.len());
    let _ = writeln!(
        s,
        "## Flags per rule\n\n| rule | severity | flags | meaning |\n| --- | ---: | ---: | --- |"
    );
    for r in Rule::ALL {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            r.name(),
            rules.severity(r),
            stats.per_rule.get(r.name()).copied().unwrap_or(0),
            if rules.on(r) {
                rules.title[r.index()].as_str()
            } else {
                "(disabled)"
            }
        );
    }
    if !stats.volume_thresholds.is_empty() {
        let _ = writeln!(s, "\n## VOLUME thresholds ({:.0}th percentile of distinct patients per user-day)\n\n| role | user-days | threshold | flagged user-days |\n| --- | ---: | ---: | ---: |", rules.volume_percentile * 100.0);
        for t in &stats.volume_thresholds {
            let _ = writeln!(
                s,
                "| {} | {} | {:.2} | {} |",
                t.role, t.user_days, t.threshold, t.flagged_user_days
            );
        }
    }
    let _ = writeln!(s, "\n## Top cases\n\n| rank | severity | user | patient / day | rules | events | first | last |\n| ---: | ---: | --- | --- | --- | ---: | --- | --- |");
    for c in cases.iter().take(top) {
        let _ = writeln!(
            s,
            "| {} | {} | {} ({}) | {} | {} | {} | {} | {} |",
            c.rank,
            c.severity,
            c.user_id,
            c.user_name,
            c.patient_id.as_deref().or(c.day.as_deref()).unwrap_or(""),
            c.rules
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(" "),
            c.events,
            fmt_ts(c.first_ts),
            fmt_ts(c.last_ts)
        );
    }
    let _ = writeln!(s, "\n## Data issues ({} rows)\n", issues.total);
    for i in issues.list.iter().take(50) {
        let _ = writeln!(s, "- {i}");
    }
    if issues.total > 50 {
        let _ = writeln!(s, "- ... {} more", issues.total - 50);
    }
    s
}

/// The same summary as a PDF (steward-documents' `write_pdf`).
#[cfg(feature = "pdf")]
pub fn pdf(
    stats: &Stats,
    cases: &[Case],
    issues: &Issues,
    rules: &Rules,
    top: usize,
) -> Result<Vec<u8>> {
    use steward_documents::DocumentSpec;
    let mut doc = DocumentSpec::new("Access audit report")
        .paragraph(format!(
            "Events evaluated: {}. Event rows not evaluated (data issues): {}. Explained by a care relationship: {} ({:.2}%). Cases: {}.",
            stats.events,
            stats.rejected,
            stats.explained,
            100.0 * stats.explained_share,
            cases.len()
        ))
        .heading(1, "Flags per rule")
        .table(
            vec!["Rule".into(), "Severity".into(), "Flags".into(), "Meaning".into()],
            Rule::ALL
                .iter()
                .map(|r| {
                    vec![
                        r.name().to_string(),
                        rules.severity(*r).to_string(),
                        stats.per_rule.get(r.name()).copied().unwrap_or(0).to_string(),
                        if rules.on(*r) { rules.title[r.index()].clone() } else { "(disabled)".into() },
                    ]
                })
                .collect(),
        );
    if !stats.volume_thresholds.is_empty() {
        doc = doc
            .heading(
                1,
                format!(
                    "VOLUME thresholds ({:.0}th percentile)",
                    rules.volume_percentile * 100.0
                ),
            )
            .table(
                vec![
                    "Role".into(),
                    "User-days".into(),
                    "Threshold".into(),
                    "Flagged user-days".into(),
                ],
                stats
                    .volume_thresholds
                    .iter()
                    .map(|t| {
                        vec![
                            t.role.clone(),
                            t.user_days.to_string(),
                            format!("{:.2}", t.threshold),
                            t.flagged_user_days.to_string(),
                        ]
                    })
                    .collect(),
            );
    }
    doc = doc.heading(1, "Top cases").table(
        vec![
            "Rank".into(),
            "Severity".into(),
            "User".into(),
            "Patient / day".into(),
            "Rules".into(),
            "Events".into(),
            "First".into(),
            "Last".into(),
        ],
        cases
            .iter()
            .take(top)
            .map(|c| {
                vec![
                    c.rank.to_string(),
                    c.severity.to_string(),
                    format!("{} ({})", c.user_id, c.user_name),
                    c.patient_id.clone().or(c.day.clone()).unwrap_or_default(),
                    c.rules
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(" "),
                    c.events.to_string(),
                    fmt_ts(c.first_ts),
                    fmt_ts(c.last_ts),
                ]
            })
            .collect(),
    );
    doc = doc.heading(1, format!("Data issues ({} rows)", issues.total));
    if issues.total > 0 {
        let mut items: Vec<String> = issues.list.iter().take(50).map(|i| i.to_string()).collect();
        if issues.total > 50 {
            items.push(format!("... {} more", issues.total - 50));
        }
        doc = doc.list(items);
    }
    doc.footer = "Confidential: access audit".into();
    steward_documents::write_pdf(&doc).map_err(|e| anyhow::anyhow!("writing the PDF report: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_csv_files_neutralise_formula_cells() {
        // An export's own text (a file name, a user's name) reaches these files: a cell a
        // spreadsheet would run is written as text.
        let mut issues = Issues::default();
        issues.push("=events.csv", 7, "@SUM(1+1) is not a date".into());
        let mut out = Vec::new();
        write_issues(&mut out, &issues).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "file,line,reason\n'=events.csv,7,'@SUM(1+1) is not a date\n"
        );
    }
}
