//! `steward redact`: read inputs, detect, write the redacted bundle and the schedule.
//! Without an interactive review every proposal is redacted (fail closed); the schedule
//! records them as "not reviewed (redacted)".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use steward_redact::detect::{Options, Rules};

use crate::bundle::{entity_label, schedule_csv, schedule_pdf, write_bundle, BundleOptions};
use crate::model::InputFile;
use crate::pipeline::{apply_decisions, Review};
use crate::render::RedactionStyle;

#[derive(Debug, Clone, clap::Args)]
pub struct RedactArgs {
    /// The data subject, as JSON: {"name", "aliases", "date_of_birth", "nhs_number",
    /// "addresses", "phones", "emails"}.
    #[arg(long, value_name = "FILE")]
    pub subject: PathBuf,

    /// Documents to disclose: text, HTML, DOCX, PDF (with a text layer), CSV, FHIR R4 JSON.
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,

    /// Where to write the redacted bundle (a new PDF; inputs are never modified).
    #[arg(short = 'o', long = "output", value_name = "BUNDLE_PDF")]
    pub output: PathBuf,

    /// Where to write the redaction schedule as CSV; a PDF of the same table is written
    /// beside it (same name, .pdf).
    #[arg(long, value_name = "SCHEDULE_CSV")]
    pub schedule: Option<PathBuf>,

    /// How redactions look in the bundle.
    #[arg(long, value_enum, default_value_t = RedactionStyle::Box)]
    pub style: RedactionStyle,

    /// A directory of detection rules (default: the built-in rules).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// A regular expression for local hospital numbers (repeatable).
    #[arg(long = "hospital-number-pattern", value_name = "REGEX")]
    pub hospital_number_patterns: Vec<String>,
}

/// Summary of a finished run (also printed by [`run`]).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub documents: usize,
    pub pages: usize,
    pub proposals: BTreeMap<&'static str, usize>,
    pub flags: usize,
    pub pages_needing_review: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "documents: {}", self.documents)?;
        writeln!(f, "pages: {}", self.pages)?;
        let total: usize = self.proposals.values().sum();
        writeln!(f, "proposals: {total}")?;
        for (k, v) in &self.proposals {
            writeln!(f, "  {k}: {v}")?;
        }
        writeln!(f, "flags for clinician review: {}", self.flags)?;
        writeln!(
            f,
            "pages needing manual review: {}",
            self.pages_needing_review.len()
        )?;
        for (doc, page) in &self.pages_needing_review {
            writeln!(f, "  {doc}: {page}")?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

pub fn run(args: RedactArgs) -> anyhow::Result<()> {
    let summary = execute(&args)?;
    print!("{summary}");
    println!("bundle: {}", args.output.display());
    if let Some(s) = &args.schedule {
        println!(
            "schedule: {} (+ {})",
            s.display(),
            s.with_extension("pdf").display()
        );
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Does the work of [`run`] and returns the summary instead of printing it.
pub fn execute(args: &RedactArgs) -> anyhow::Result<Summary> {
    let subject_json = std::fs::read_to_string(&args.subject)
        .with_context(|| format!("reading subject file {}", args.subject.display()))?;
    let subject: steward_redact::Subject = serde_json::from_str(&subject_json)
        .with_context(|| format!("parsing subject file {}", args.subject.display()))?;
    if subject.name.trim().is_empty() {
        bail!("subject file {} has an empty name", args.subject.display());
    }
    let mut outputs = vec![args.output.clone()];
    if let Some(s) = &args.schedule {
        outputs.push(s.clone());
        outputs.push(s.with_extension("pdf"));
    }
    for input in &args.inputs {
        for out in &outputs {
            if same_file(input, out) || input == out {
                bail!(
                    "output {} is also an input: inputs are never overwritten",
                    out.display()
                );
            }
        }
    }
    let mut inputs = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        inputs.push(InputFile::read(path).with_context(|| format!("reading {}", path.display()))?);
    }
    let rules = match &args.rules {
        Some(dir) => Rules::load(dir)
            .map_err(|e| anyhow::anyhow!("loading rules from {}: {e}", dir.display()))?,
        None => Rules::builtin(),
    };
    let options = Options {
        hospital_number_patterns: args.hospital_number_patterns.clone(),
        ..Options::default()
    };
    options
        .validate()
        .map_err(|e| anyhow::anyhow!("--hospital-number-pattern: {e}"))?;
    let run = crate::pipeline::redact_documents(&inputs, &subject, &rules, &options)?;
    drop(inputs);

    let outcomes = apply_decisions(&run.documents, &run.proposals, &Review::default())?;
    let bundle_options = BundleOptions {
        style: args.style,
        ..BundleOptions::default()
    };
    // The bundle and the schedule PDF are rendered side by side.
    let (pdf, schedule) = std::thread::scope(|scope| {
        let schedule = args.schedule.as_ref().map(|_| {
            scope.spawn(|| -> crate::error::Result<(Vec<u8>, Vec<u8>)> {
                Ok((
                    schedule_csv(&run.documents, &outcomes)?,
                    schedule_pdf(&run.documents, &outcomes, &bundle_options)?,
                ))
            })
        });
        let pdf = write_bundle(&run.documents, &outcomes, &subject, &bundle_options);
        let schedule = schedule.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (pdf, schedule)
    });
    std::fs::write(&args.output, pdf?)
        .with_context(|| format!("writing {}", args.output.display()))?;
    if let (Some(path), Some(schedule)) = (&args.schedule, schedule) {
        let (csv, schedule_pdf) = schedule?;
        std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))?;
        let pdf_path = path.with_extension("pdf");
        std::fs::write(&pdf_path, schedule_pdf)
            .with_context(|| format!("writing {}", pdf_path.display()))?;
    }
    let mut proposals = BTreeMap::new();
    for p in &run.proposals {
        *proposals.entry(entity_label(Some(p.entity))).or_insert(0) += 1;
    }
    Ok(Summary {
        documents: run.documents.len(),
        pages: run.page_count(),
        proposals,
        flags: run.flags.len(),
        pages_needing_review: run.pages_needing_review(),
        warnings: run
            .documents
            .iter()
            .flat_map(|d| d.warnings.iter().map(move |w| format!("{}: {w}", d.name)))
            .collect(),
    })
}
