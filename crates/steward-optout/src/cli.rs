//! `steward optout filter` and `steward optout generate`.

use crate::filter::{self, Codec, Format, Options, Stats};
use crate::generate::{self, Spec};
use crate::lists::{ListKind, OptOuts};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug, Clone)]
pub enum OptoutCommand {
    /// Remove the rows of patients who opted out (Type 1 and National Data Opt-out) from an
    /// extract before it leaves the practice.
    Filter(FilterArgs),
    /// Write a synthetic extract and opt-out lists (no real data) with the expected counts.
    Generate(GenerateArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct FilterArgs {
    /// The extract: CSV with a header row, or Parquet.
    pub extract: PathBuf,
    /// The filtered extract: Parquet when the name ends in .parquet, else CSV.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Type 1 opt-outs: the practice's search for the dissent code (CSV or Parquet; a `code`
    /// column, if present, must hold a Type 1 opt-out code). May be given more than once.
    #[arg(long = "codes", value_name = "TYPE1.csv")]
    pub codes: Vec<PathBuf>,
    /// National Data Opt-out list (CSV or Parquet). May be given more than once.
    #[arg(long, value_name = "NDOO.csv")]
    pub ndoo: Vec<PathBuf>,
    /// Bad rows by line and reason (never their content). Default: OUTPUT's name with
    /// `.rejects.csv`.
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Also write the count report here (`.json` gives JSON, any other name text).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// The extract's NHS number column (case, spaces and underscores ignored).
    #[arg(long, default_value = "nhs_number")]
    pub column: String,
    /// The lists' NHS number column (a list with one column and no header needs none).
    #[arg(long, default_value = "nhs_number")]
    pub list_column: String,
    /// CSV delimiter: one character, or `tab`.
    #[arg(long, default_value = ",")]
    pub delimiter: String,
    /// Read the extract as this format (default: Parquet by its content, else CSV).
    #[arg(long, value_enum)]
    pub input_format: Option<Format>,
    /// Write this format (default: by the output's extension).
    #[arg(long, value_enum)]
    pub output_format: Option<Format>,
    /// Parquet output codec.
    #[arg(long, value_enum, default_value = "snappy")]
    pub compression: Codec,
    /// Parquet output statistics: min/max per column chunk, per page (with a page index), or
    /// none.
    #[arg(long, value_enum, default_value = "chunk")]
    pub statistics: Stats,
    /// Replace the output, rejects and report files if they exist.
    #[arg(long)]
    pub force: bool,
    /// Go on when a list has rows that are not NHS numbers (they are counted in the report);
    /// by default such a list stops the run, naming each line.
    #[arg(long)]
    pub allow_list_errors: bool,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct GenerateArgs {
    /// Folder for extract.csv, type1.csv, ndoo.csv and expected.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Rows in the extract.
    #[arg(long)]
    pub rows: u64,
    /// Distinct patients (default rows / 10, between 100 and 900,000).
    #[arg(long)]
    pub patients: Option<u64>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of patients with a Type 1 opt-out.
    #[arg(long, default_value_t = 0.03)]
    pub type1: f64,
    /// Share of patients with a National Data Opt-out.
    #[arg(long, default_value_t = 0.054)]
    pub ndoo: f64,
    /// Share of bad rows.
    #[arg(long, default_value_t = 0.001)]
    pub bad: f64,
    /// Replace the files if they exist.
    #[arg(long)]
    pub force: bool,
}

pub fn run(cmd: OptoutCommand) -> Result<()> {
    match cmd {
        OptoutCommand::Filter(a) => filter_cmd(a),
        OptoutCommand::Generate(a) => generate_cmd(a),
    }
}

fn delimiter(s: &str) -> Result<u8> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && s != "\"" && s != "\n" => Ok(s.as_bytes()[0]),
        _ => bail!("--delimiter: one character (not a quote or line break), or `tab`"),
    }
}

fn filter_cmd(a: FilterArgs) -> Result<()> {
    if a.codes.is_empty() && a.ndoo.is_empty() {
        bail!("give at least one opt-out list: --codes TYPE1.csv and/or --ndoo NDOO.csv");
    }
    let mut o = Options::new(&a.extract, &a.output);
    if let Some(r) = &a.rejects {
        o.rejects = r.clone();
    }
    o.column = a.column.clone();
    o.delimiter = delimiter(&a.delimiter)?;
    o.input_format = a.input_format;
    o.output_format = a.output_format;
    o.codec = a.compression;
    o.stats = a.statistics;
    o.force = a.force;
    o.threads = a.threads;
    // every output checked before anything is read
    let mut inputs: Vec<&std::path::Path> = vec![&a.extract];
    inputs.extend(a.codes.iter().map(|p| p.as_path()));
    inputs.extend(a.ndoo.iter().map(|p| p.as_path()));
    let mut outputs = vec![
        ("output", o.output.as_path()),
        ("rejects", o.rejects.as_path()),
    ];
    if let Some(r) = &a.report {
        outputs.push(("report", r.as_path()));
    }
    filter::check_paths(&inputs, &outputs, a.force)?;

    let mut lists = OptOuts::new();
    for p in &a.codes {
        lists.read_file(p, ListKind::Type1, &a.list_column)?;
    }
    for p in &a.ndoo {
        lists.read_file(p, ListKind::Ndoo, &a.list_column)?;
    }
    if let Some(problems) = lists.problems() {
        if a.allow_list_errors {
            eprint!("{problems}");
            eprintln!("going on without those rows (--allow-list-errors)");
        } else {
            bail!(
                "{problems}an opt-out list that does not validate cannot be trusted: correct it, or go on without those rows with --allow-list-errors"
            );
        }
    }
    if lists.is_empty() {
        eprintln!("warning: the opt-out lists hold no NHS number: nothing will be removed");
    }
    let quiet = a.quiet;
    let mut last = std::time::Instant::now();
    let mut progress = |rows: u64| {
        if !quiet && last.elapsed().as_millis() >= 500 {
            last = std::time::Instant::now();
            eprint!("\r{} rows   ", crate::report::group(rows));
        }
    };
    let report = filter::filter(&lists, &o, &mut progress)?;
    if !quiet {
        eprint!("\r{:30}\r", "");
    }
    print!("{}", report.text());
    if let Some(p) = &a.report {
        let is_json = p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let body = if is_json {
            serde_json::to_string_pretty(&report)? + "\n"
        } else {
            report.text()
        };
        std::fs::write(p, body).with_context(|| format!("writing {}", p.display()))?;
    }
    if report.rows_rejected > 0 {
        eprintln!(
            "warning: {} not passed on: see {}",
            crate::report::count(report.rows_rejected, "bad row", "bad rows"),
            o.rejects.display()
        );
    }
    Ok(())
}

fn generate_cmd(a: GenerateArgs) -> Result<()> {
    let mut spec = Spec::new(a.rows);
    if let Some(p) = a.patients {
        spec.patients = p;
    }
    spec.seed = a.seed;
    spec.type1 = a.type1;
    spec.ndoo = a.ndoo;
    spec.bad = a.bad;
    if !a.force {
        for f in ["extract.csv", "type1.csv", "ndoo.csv", "expected.json"] {
            let p = a.out.join(f);
            if p.exists() {
                bail!("{} exists: not overwritten (use --force)", p.display());
            }
        }
    }
    let w = generate::generate(&a.out, &spec)?;
    let e = &w.expected;
    println!(
        "{}: {} ({} to keep, {} to remove, {} bad); lists {} and {}",
        w.extract.display(),
        crate::report::count(e.rows_read, "row", "rows"),
        crate::report::group(e.rows_written),
        crate::report::group(e.removed_type1_only + e.removed_ndoo_only + e.removed_both),
        crate::report::group(e.rows_rejected),
        w.type1.display(),
        w.ndoo.display()
    );
    Ok(())
}
