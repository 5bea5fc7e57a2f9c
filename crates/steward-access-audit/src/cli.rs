//! `steward audit run` and `steward audit sample`.

use crate::config::{Mapping, Rules};
use crate::data::{load_with, Dataset};
use crate::engine::{run_csv, Progress, RunOptions};
use crate::report;
use crate::table::Prefer;
use crate::time::fmt_ts;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand, Debug, Clone)]
pub enum AuditCommand {
    /// Run every rule of the contract over a data folder; write flags (and cases, a report).
    Run(RunArgs),
    /// Draw the monthly random sample of accesses per user for a manual audit.
    Sample(SampleArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Mapping file (TOML) of the source system; not needed for canonical file and column names.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Folder with patients, users, teams, care_episodes and events (.csv or .parquet).
    #[arg(long)]
    pub data: PathBuf,
    /// When the folder holds both TABLE.csv and TABLE.parquet: which to read (the other is
    /// ignored, and the run says which was read). Default: parquet.
    #[arg(long, value_name = "csv|parquet", default_value = "parquet")]
    pub prefer: Prefer,
    /// flags.csv: event_id,rule,evidence (one row per flagged event and rule).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// cases.csv: flags grouped per user-patient (and user-day for VOLUME), ranked.
    #[arg(long)]
    pub cases: Option<PathBuf>,
    /// Summary report: `.pdf` gives a PDF, any other name Markdown.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Rules file (TOML); default: the shipped data/rules.toml.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Write every data issue (file,line,reason) to this CSV.
    #[arg(long)]
    pub issues: Option<PathBuf>,
    /// No progress on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct SampleArgs {
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    #[arg(long)]
    pub data: PathBuf,
    /// When the folder holds both TABLE.csv and TABLE.parquet: which to read (the other is
    /// ignored, and the run says which was read). Default: parquet.
    #[arg(long, value_name = "csv|parquet", default_value = "parquet")]
    pub prefer: Prefer,
    /// Accesses to draw per user.
    #[arg(long)]
    pub per_user: usize,
    /// Month, YYYY-MM.
    #[arg(long)]
    pub period: String,
    /// Seed: the same seed and data give the same sample.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

fn create(p: &Path) -> Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        File::create(p).with_context(|| format!("creating {}", p.display()))?,
    ))
}

fn load_rules(p: &Option<PathBuf>) -> Result<Rules> {
    match p {
        Some(p) => Rules::load(p),
        None => Ok(Rules::default()),
    }
}

fn print_issues(issues: &crate::data::Issues) {
    if issues.total == 0 {
        return;
    }
    eprintln!("{} row(s) skipped or kept with a caveat:", issues.total);
    for i in issues.list.iter().take(20) {
        eprintln!("  {i}");
    }
    if issues.total > 20 {
        eprintln!("  ... (use --issues FILE for all)");
    }
}

/// Says which events file is read, and for each table found in both formats which one was.
fn say_read(ds: &Dataset) {
    for c in &ds.chosen {
        eprintln!("{c}");
    }
    eprintln!(
        "events: {} ({})",
        ds.events.path.display(),
        if ds.events.parquet { "Parquet" } else { "CSV" }
    );
}

pub fn run(cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Run(a) => run_cmd(a),
        AuditCommand::Sample(a) => sample_cmd(a),
    }
}

fn run_cmd(a: RunArgs) -> Result<()> {
    let rules = load_rules(&a.rules)?;
    let mapping = a.mapping.as_deref().map(Mapping::load).transpose()?;
    let t0 = std::time::Instant::now();
    let ds = load_with(&a.data, mapping.as_ref(), a.prefer)?;
    if std::env::var_os("STEWARD_AUDIT_TIMING").is_some() {
        eprintln!(
            "timing: load {:.2} s (process CPU so far {:.2} s)",
            t0.elapsed().as_secs_f64(),
            crate::engine::process_cpu_secs()
        );
    }
    say_read(&ds);
    let mut out = create(&a.output)?;
    {
        let mut h = steward_csv::Writer::from_writer(&mut out);
        h.write_record(report::FLAGS_HEADER)?;
        h.flush()?;
    }
    let quiet = a.quiet;
    let mut progress = |p: Progress| {
        if !quiet {
            match p.total {
                Some(t) if t > 0 => eprint!(
                    "\rpass {}/{}: {} / {} events ({:.0}%)   ",
                    p.pass,
                    p.passes,
                    p.events,
                    t,
                    100.0 * p.events as f64 / t as f64
                ),
                _ => eprint!("\rpass {}/{}: {} events   ", p.pass, p.passes, p.events),
            }
        }
    };
    let (cases, stats, issues) =
        run_csv(&ds, &rules, &RunOptions::default(), &mut progress, &mut out)?;
    out.flush()?;
    if !quiet {
        eprintln!();
    }
    if let Some(p) = &a.cases {
        report::write_cases(create(p)?, &cases)?;
    }
    if let Some(p) = &a.issues {
        report::write_issues(create(p)?, &issues)?;
    }
    if let Some(p) = &a.report {
        write_report(p, &stats, &cases, &issues, &rules)?;
    }
    print_issues(&issues);
    eprintln!(
        "{} events, {:.2}% explained, {} flags, {} cases",
        stats.events,
        100.0 * stats.explained_share,
        stats.per_rule.values().sum::<u64>(),
        cases.len()
    );
    // The process ends here: freeing a million small strings one by one would only cost time.
    std::mem::forget(ds);
    std::mem::forget(cases);
    Ok(())
}

/// `.pdf`: PDF through steward-documents (feature `pdf`, default); anything else: Markdown.
fn write_report(
    p: &Path,
    stats: &crate::engine::Stats,
    cases: &[crate::engine::Case],
    issues: &crate::data::Issues,
    rules: &Rules,
) -> Result<()> {
    let is_pdf = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if is_pdf {
        #[cfg(feature = "pdf")]
        {
            let bytes = report::pdf(stats, cases, issues, rules, 50)?;
            return std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display()));
        }
        #[cfg(not(feature = "pdf"))]
        {
            let md_path = p.with_extension("md");
            eprintln!(
                "built without the `pdf` feature: wrote the Markdown summary to {}",
                md_path.display()
            );
            let md = report::markdown(stats, cases, issues, rules, 50);
            return std::fs::write(&md_path, md)
                .with_context(|| format!("writing {}", md_path.display()));
        }
    }
    let md = report::markdown(stats, cases, issues, rules, 50);
    std::fs::write(p, md).with_context(|| format!("writing {}", p.display()))
}

fn sample_cmd(a: SampleArgs) -> Result<()> {
    let rules = load_rules(&a.rules)?;
    let mapping = a.mapping.as_deref().map(Mapping::load).transpose()?;
    let t0 = std::time::Instant::now();
    let ds = load_with(&a.data, mapping.as_ref(), a.prefer)?;
    if std::env::var_os("STEWARD_AUDIT_TIMING").is_some() {
        eprintln!(
            "timing: load {:.2} s (process CPU so far {:.2} s)",
            t0.elapsed().as_secs_f64(),
            crate::engine::process_cpu_secs()
        );
    }
    say_read(&ds);
    let (rows, issues) = crate::sample::sample(&ds, &rules, &a.period, a.per_user, a.seed)?;
    let mut w = steward_csv::Writer::from_writer(create(&a.output)?);
    w.write_record([
        "user_id",
        "role",
        "event_id",
        "ts",
        "patient_id",
        "patient_name",
        "action",
        "workstation",
        "explained_by_episode",
        "reviewer_outcome",
        "reviewer_notes",
    ])?;
    for r in &rows {
        w.write_record([
            r.user_id.as_str(),
            &r.role,
            &r.event_id,
            &fmt_ts(r.ts),
            &r.patient_id,
            &r.patient_name,
            &r.action,
            &r.workstation,
            r.explained_by.as_deref().unwrap_or(""),
            "",
            "",
        ])?;
    }
    w.flush()?;
    print_issues(&issues);
    eprintln!(
        "{} accesses sampled for {} ({} per user, seed {})",
        rows.len(),
        a.period,
        a.per_user,
        a.seed
    );
    Ok(())
}
