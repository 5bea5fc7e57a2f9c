//! `steward redact`: read inputs, detect, write the redacted bundle and the schedule.
//! Without an interactive review every proposal is redacted (fail closed); the schedule
//! records them as "not reviewed (redacted)".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use steward_redact::detect::{Options, Rules};
use steward_redact::{KnownParties, Organisation};

use crate::bundle::{entity_label, schedule_csv, schedule_pdf, write_bundle, BundleOptions};
use crate::model::InputFile;
use crate::pipeline::Review;
use crate::render::RedactionStyle;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct RedactArgs {
    /// The data subject, as JSON: {"name", "aliases", "date_of_birth", "nhs_number",
    /// "addresses", "phones", "emails"}.
    #[arg(long, value_name = "FILE", required_unless_present = "batch")]
    pub subject: Option<PathBuf>,

    /// Documents to disclose: text, HTML, DOCX, PDF (with a text layer), CSV, FHIR R4 JSON.
    #[arg(value_name = "INPUT", required_unless_present = "batch")]
    pub inputs: Vec<PathBuf>,

    /// Where to write the redacted bundle (a new PDF; inputs are never modified).
    #[arg(
        short = 'o',
        long = "output",
        value_name = "BUNDLE_PDF",
        required_unless_present = "batch"
    )]
    pub output: Option<PathBuf>,

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

    /// The organisation's own details, kept and listed in the schedule as kept: JSON with
    /// "name", "address" and/or "address_lines", "postcode", "phones", "emails".
    #[arg(long, value_name = "ORG_JSON")]
    pub organisation: Option<PathBuf>,

    /// The organisation's staff, whose names are kept when written in their role: CSV with a
    /// header row and a "name" column (or "given" and "family"), optionally "role".
    #[arg(long, value_name = "STAFF_CSV")]
    pub staff: Option<PathBuf>,

    /// Many subjects in one process: a CSV manifest with a header row and the columns
    /// "subject", "input" (several inputs separated by ';'), "output" and optionally
    /// "schedule"; relative paths are read from the manifest's folder. Every row is checked
    /// before any is run; a failed row writes nothing and the others still run.
    #[arg(long, value_name = "MANIFEST_CSV", conflicts_with_all = ["subject", "inputs", "output", "schedule"])]
    pub batch: Option<PathBuf>,
}

/// One subject's run: its subject file, inputs and outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub subject: PathBuf,
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    pub schedule: Option<PathBuf>,
}

impl Job {
    /// Every file this job writes: the bundle, then the schedule CSV and its PDF.
    pub fn outputs(&self) -> Vec<PathBuf> {
        let mut v = vec![self.output.clone()];
        if let Some(s) = &self.schedule {
            v.push(s.clone());
            v.push(s.with_extension("pdf"));
        }
        v
    }
}

/// What every job of a run shares: rules, options, known parties, style.
pub struct Shared {
    pub rules: Rules,
    pub options: Options,
    pub known: KnownParties,
    pub style: RedactionStyle,
}

impl Shared {
    pub fn from_args(args: &RedactArgs) -> anyhow::Result<Shared> {
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
        let mut known = KnownParties::default();
        if let Some(p) = &args.organisation {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading organisation file {}", p.display()))?;
            let org: Organisation = serde_json::from_str(&text)
                .with_context(|| format!("parsing organisation file {}", p.display()))?;
            known.organisation = Some(org);
        }
        if let Some(p) = &args.staff {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading staff list {}", p.display()))?;
            known.staff = KnownParties::staff_from_csv(&text)
                .map_err(|e| anyhow::anyhow!("staff list {}: {e}", p.display()))?;
        }
        Ok(Shared {
            rules,
            options,
            known,
            style: args.style,
        })
    }
}

/// Summary of a finished run (also printed by [`run`]).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub documents: usize,
    pub pages: usize,
    pub proposals: BTreeMap<&'static str, usize>,
    /// Items kept because Steward knows whose they are (organisation, staff).
    pub kept: usize,
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
        if self.kept > 0 {
            writeln!(f, "kept (organisation's details, staff): {}", self.kept)?;
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
    if let Some(manifest) = &args.batch {
        return run_batch(&args, manifest);
    }
    let summary = execute(&args)?;
    print!("{summary}");
    if let Some(o) = &args.output {
        println!("bundle: {}", o.display());
    }
    if let Some(s) = &args.schedule {
        println!(
            "schedule: {} (+ {})",
            s.display(),
            s.with_extension("pdf").display()
        );
    }
    Ok(())
}

/// A path made absolute and free of "." and ".." (without touching the file system, so it
/// works for files that do not exist yet); the parent is canonicalised when it exists.
fn normalise(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    if let (Some(parent), Some(name)) = (out.parent(), out.file_name()) {
        if let Ok(real) = parent.canonicalize() {
            return real.join(name);
        }
    }
    out
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) if a == b => true,
        _ => normalise(a) == normalise(b),
    }
}

/// Checks a job's paths before anything is written: no output is an input, no two outputs
/// are the same file (a schedule named "x.pdf" would be replaced by its own PDF; a schedule
/// whose PDF is the bundle would replace the bundle), and every output's folder exists.
pub fn check_paths(job: &Job) -> anyhow::Result<()> {
    let outputs = job.outputs();
    for input in &job.inputs {
        for out in &outputs {
            if same_file(input, out) {
                bail!(
                    "output {} is also an input: inputs are never overwritten",
                    out.display()
                );
            }
        }
    }
    if !job.subject.as_os_str().is_empty() {
        for out in &outputs {
            if same_file(&job.subject, out) {
                bail!("output {} is the subject file", out.display());
            }
        }
    }
    for (i, a) in outputs.iter().enumerate() {
        for b in &outputs[i + 1..] {
            if same_file(a, b) {
                bail!(
                    "two outputs would be the same file {} (the schedule's PDF is written \
                     beside the schedule with the same name and .pdf): choose another --schedule \
                     or -o; nothing was written",
                    a.display()
                );
            }
        }
    }
    for out in &outputs {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            bail!(
                "the folder for {} does not exist: nothing was written",
                out.display()
            );
        }
        if out.is_dir() {
            bail!("output {} is a folder", out.display());
        }
    }
    Ok(())
}

/// Writes every file or none: each to a temporary file beside its destination, then, only
/// when all were written, each renamed into place. On failure the temporary files are removed
/// and no destination is touched.
pub fn write_all_or_nothing(files: &[(PathBuf, Vec<u8>)]) -> anyhow::Result<()> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut temps: Vec<(PathBuf, &Path)> = Vec::with_capacity(files.len());
    let cleanup = |temps: &[(PathBuf, &Path)]| {
        for (t, _) in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for (dest, bytes) in files {
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dest.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
        let res = (|| -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()
        })();
        temps.push((tmp, dest.as_path()));
        if let Err(e) = res {
            cleanup(&temps);
            return Err(anyhow::Error::new(e)
                .context(format!("writing {} (nothing was written)", dest.display())));
        }
    }
    for (i, (tmp, dest)) in temps.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, dest) {
            cleanup(&temps[i..]);
            return Err(
                anyhow::Error::new(e).context(format!("moving {} into place", dest.display()))
            );
        }
    }
    Ok(())
}

/// Does the work of [`run`] for one subject and returns the summary instead of printing it.
pub fn execute(args: &RedactArgs) -> anyhow::Result<Summary> {
    let job = Job {
        subject: args.subject.clone().context("--subject is required")?,
        inputs: args.inputs.clone(),
        output: args.output.clone().context("-o is required")?,
        schedule: args.schedule.clone(),
    };
    if job.inputs.is_empty() {
        bail!("no input documents");
    }
    check_paths(&job)?;
    let shared = Shared::from_args(args)?;
    execute_job(&job, &shared)
}

/// One subject: read, detect, render, then write every output or none.
pub fn execute_job(job: &Job, shared: &Shared) -> anyhow::Result<Summary> {
    check_paths(job)?;
    let subject_json = std::fs::read_to_string(&job.subject)
        .with_context(|| format!("reading subject file {}", job.subject.display()))?;
    let subject: steward_redact::Subject = serde_json::from_str(&subject_json)
        .with_context(|| format!("parsing subject file {}", job.subject.display()))?;
    if subject.name.trim().is_empty() {
        bail!("subject file {} has an empty name", job.subject.display());
    }
    let mut inputs = Vec::with_capacity(job.inputs.len());
    for path in &job.inputs {
        inputs.push(InputFile::read(path).with_context(|| format!("reading {}", path.display()))?);
    }
    let run = crate::pipeline::redact_documents_known(
        &inputs,
        &subject,
        &shared.known,
        &shared.rules,
        &shared.options,
    )?;
    drop(inputs);

    let outcomes = run.outcomes(&Review::default())?;
    let bundle_options = BundleOptions {
        style: shared.style,
        ..BundleOptions::default()
    };
    // The bundle and the schedule PDF are rendered side by side.
    let (pdf, schedule) = std::thread::scope(|scope| {
        let schedule = job.schedule.as_ref().map(|_| {
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
    let mut files = vec![(job.output.clone(), pdf?)];
    if let (Some(path), Some(schedule)) = (&job.schedule, schedule) {
        let (csv, schedule_pdf) = schedule?;
        files.push((path.clone(), csv));
        files.push((path.with_extension("pdf"), schedule_pdf));
    }
    write_all_or_nothing(&files)?;
    let mut proposals = BTreeMap::new();
    for p in &run.proposals {
        *proposals.entry(entity_label(Some(p.entity))).or_insert(0) += 1;
    }
    Ok(Summary {
        documents: run.documents.len(),
        pages: run.page_count(),
        proposals,
        kept: run.kept.len(),
        flags: run.flags.len(),
        pages_needing_review: run.pages_needing_review(),
        warnings: run
            .documents
            .iter()
            .flat_map(|d| d.warnings.iter().map(move |w| format!("{}: {w}", d.name)))
            .collect(),
    })
}

/// Reads a batch manifest: header row, then `subject,input,output[,schedule]` per row;
/// several inputs in one field separated by ';'; relative paths from the manifest's folder.
pub fn read_manifest(path: &Path) -> anyhow::Result<Vec<Job>> {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("reading manifest {}", path.display()))?;
    let headers: Vec<String> = r
        .headers()
        .with_context(|| format!("reading manifest {}", path.display()))?
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(cs), Some(ci), Some(co)) = (
        col(&["subject"]),
        col(&["input", "inputs"]),
        col(&["output", "bundle"]),
    ) else {
        bail!(
            "manifest {} needs the columns subject, input, output (and optionally schedule)",
            path.display()
        );
    };
    let csch = col(&["schedule"]);
    let resolve = |s: &str| {
        let p = PathBuf::from(s);
        if p.is_absolute() {
            p
        } else {
            base.join(p)
        }
    };
    let mut jobs = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("manifest row {}", n + 2))?;
        let get = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        let (subject, input, output) = (get(cs), get(ci), get(co));
        if subject.is_empty() || input.is_empty() || output.is_empty() {
            bail!(
                "manifest row {}: subject, input and output are required",
                n + 2
            );
        }
        jobs.push(Job {
            subject: resolve(&subject),
            inputs: input
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(resolve)
                .collect(),
            output: resolve(&output),
            schedule: csch.map(get).filter(|s| !s.is_empty()).map(|s| resolve(&s)),
        });
    }
    Ok(jobs)
}

/// Checks every job of a batch before any runs: each job's own paths, and no two jobs
/// writing the same file (nor one job writing another's input).
pub fn check_batch(jobs: &[Job]) -> anyhow::Result<()> {
    let mut written: Vec<(PathBuf, usize)> = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        check_paths(job).with_context(|| format!("manifest row {}", i + 2))?;
        for o in job.outputs() {
            written.push((normalise(&o), i));
        }
    }
    written.sort();
    for w in written.windows(2) {
        if w[0].0 == w[1].0 {
            bail!(
                "manifest rows {} and {} both write {}: nothing was written",
                w[0].1 + 2,
                w[1].1 + 2,
                w[0].0.display()
            );
        }
    }
    for (i, job) in jobs.iter().enumerate() {
        for input in &job.inputs {
            let n = normalise(input);
            if let Ok(k) = written.binary_search_by(|(p, _)| p.cmp(&n)) {
                bail!(
                    "manifest row {} writes {}, an input of row {}: nothing was written",
                    written[k].1 + 2,
                    n.display(),
                    i + 2
                );
            }
        }
    }
    Ok(())
}

/// Result of a batch: per row, the summary or the error.
pub struct BatchReport {
    pub rows: Vec<(Job, Result<Summary, String>)>,
    pub seconds: f64,
}

/// Runs every row of a manifest in this process (rules and known parties loaded once).
pub fn execute_batch(args: &RedactArgs, manifest: &Path) -> anyhow::Result<BatchReport> {
    let jobs = read_manifest(manifest)?;
    check_batch(&jobs)?;
    let shared = Shared::from_args(args)?;
    let t0 = std::time::Instant::now();
    let rows = jobs
        .into_iter()
        .map(|job| {
            let r = execute_job(&job, &shared).map_err(|e| format!("{e:#}"));
            (job, r)
        })
        .collect();
    Ok(BatchReport {
        rows,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

fn run_batch(args: &RedactArgs, manifest: &Path) -> anyhow::Result<()> {
    let report = execute_batch(args, manifest)?;
    let mut failed = 0;
    let mut docs = 0;
    for (job, r) in &report.rows {
        match r {
            Ok(s) => {
                docs += s.documents;
                let total: usize = s.proposals.values().sum();
                println!(
                    "ok {}: {} documents, {} proposals, {} kept, {} flags",
                    job.output.display(),
                    s.documents,
                    total,
                    s.kept,
                    s.flags
                );
            }
            Err(e) => {
                failed += 1;
                println!("FAILED {}: {e}", job.output.display());
            }
        }
    }
    println!(
        "batch: {} rows, {} failed, {} documents in {:.2} s ({:.1} rows/s)",
        report.rows.len(),
        failed,
        docs,
        report.seconds,
        report.rows.len() as f64 / report.seconds.max(1e-9)
    );
    if failed > 0 {
        bail!("{failed} of {} rows failed", report.rows.len());
    }
    Ok(())
}
