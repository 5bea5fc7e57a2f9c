//! The filter: reads an extract (CSV or Parquet) in pieces, keeps the rows whose NHS number is
//! valid and on no opt-out list, writes them (CSV or Parquet), and writes every bad row to the
//! rejects file by line (CSV) or row (Parquet) with the reason. Removed rows are only counted.

use crate::csvscan::{self, Field, Quoting};
use crate::lists::{OptOuts, NDOO, TYPE1};
use crate::nhs::{self, NhsError};
use crate::pipeline;
use crate::pq;
use crate::report::{ListSummary, Report};
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use parquet::column::writer::ColumnCloseResult;
use rustc_hash::FxHashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// File format of an extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Parquet,
}

/// Parquet codec of a Parquet output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Codec {
    Snappy,
    Zstd,
    None,
}

/// Statistics in a Parquet output (min/max per column chunk, or per page with a page index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stats {
    None,
    Chunk,
    Page,
}

/// What to filter and where to write it.
#[derive(Debug, Clone)]
pub struct Options {
    pub input: PathBuf,
    pub output: PathBuf,
    pub rejects: PathBuf,
    /// The NHS number column of the extract (matched as by `lists::norm_name`).
    pub column: String,
    /// CSV delimiter (input and output).
    pub delimiter: u8,
    /// None: from the file (Parquet by its magic bytes or extension, else CSV).
    pub input_format: Option<Format>,
    /// None: Parquet when the output's extension is .parquet, else CSV.
    pub output_format: Option<Format>,
    pub codec: Codec,
    /// Parquet output statistics.
    pub stats: Stats,
    /// Replace existing output and rejects files.
    pub force: bool,
    /// Worker threads (0: the machine's cores).
    pub threads: usize,
    /// CSV block size in bytes (the unit of work).
    pub block: usize,
}

impl Options {
    pub fn new(input: impl Into<PathBuf>, output: impl Into<PathBuf>) -> Self {
        let output = output.into();
        Options {
            rejects: default_rejects(&output),
            input: input.into(),
            output,
            column: "nhs_number".into(),
            delimiter: b',',
            input_format: None,
            output_format: None,
            codec: Codec::Snappy,
            stats: Stats::Chunk,
            force: false,
            threads: 0,
            block: 4 << 20,
        }
    }
}

/// `CLEAN.csv` -> `CLEAN.rejects.csv` (beside the output).
pub fn default_rejects(output: &Path) -> PathBuf {
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    output.with_file_name(format!("{stem}.rejects.csv"))
}

/// Why a row was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Nhs(NhsError),
    /// Wrong number of fields (found).
    Fields(u32),
    Unterminated,
    TextAfterQuote,
}

impl Reason {
    /// The category counted in the report.
    pub fn category(self) -> &'static str {
        match self {
            Reason::Nhs(e) => e.label(),
            Reason::Fields(_) => "wrong number of fields",
            Reason::Unterminated => "quoted field not closed before the end of the file",
            Reason::TextAfterQuote => "text after a closing quote",
        }
    }
    pub fn text(self, expected: usize) -> String {
        match self {
            Reason::Fields(n) => format!("wrong number of fields: {n}, expected {expected}"),
            r => r.category().to_string(),
        }
    }
}

/// Row counts of one piece or the whole run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub rows: u64,
    pub kept: u64,
    pub type1_only: u64,
    pub ndoo_only: u64,
    pub both: u64,
    pub blank: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.rows += o.rows;
        self.kept += o.kept;
        self.type1_only += o.type1_only;
        self.ndoo_only += o.ndoo_only;
        self.both += o.both;
        self.blank += o.blank;
    }
    #[inline]
    fn removed(&mut self, flags: u8) {
        match flags {
            TYPE1 => self.type1_only += 1,
            NDOO => self.ndoo_only += 1,
            _ => self.both += 1,
        }
    }
}

/// The output of one piece of input.
pub(crate) enum Out {
    Csv(Vec<u8>),
    Parquet(Vec<(Bytes, ColumnCloseResult)>, u64),
}

pub(crate) struct Piece {
    pub out: Out,
    /// (line or row, reason). CSV: lines relative to the piece's first line (0-based).
    pub rejects: Vec<(u64, Reason)>,
    pub counts: Counts,
    pub removed: Vec<u64>,
    /// CSV: line breaks consumed (up to `carry`).
    pub newlines: u64,
    /// CSV: offset where a record starts that the piece ends inside of.
    pub carry: Option<usize>,
    /// CSV: the input block, for a carry.
    pub input: Bytes,
}

/// Checks one row's NHS number against the lists.
#[inline]
pub(crate) fn judge(
    lists: &OptOuts,
    v: Result<u64, NhsError>,
    c: &mut Counts,
    removed: &mut Vec<u64>,
) -> Result<bool, Reason> {
    match v {
        Err(e) => Err(Reason::Nhs(e)),
        Ok(n) => {
            let f = lists.lookup(n);
            if f == 0 {
                c.kept += 1;
                Ok(true)
            } else {
                c.removed(f);
                removed.push(n);
                Ok(false)
            }
        }
    }
}

/// Everything a CSV worker needs.
pub(crate) struct CsvCtx<'a> {
    pub lists: &'a OptOuts,
    pub delim: u8,
    pub ncols: usize,
    pub nhs_col: usize,
    /// Some: the output is Parquet with these string columns.
    pub parquet: Option<pq::StringSchema>,
}

/// Filters one block of CSV records (the block starts at a record start).
pub(crate) fn csv_piece(ctx: &CsvCtx, block: Bytes, is_last: bool) -> Result<Piece> {
    let buf: &[u8] = &block;
    let mut counts = Counts::default();
    let mut rejects = Vec::new();
    let mut removed = Vec::new();
    let mut out = Vec::with_capacity(if ctx.parquet.is_none() {
        buf.len() + 1
    } else {
        0
    });
    let mut cols: Vec<Vec<parquet::data_type::ByteArray>> = match &ctx.parquet {
        Some(_) => (0..ctx.ncols).map(|_| Vec::new()).collect(),
        None => Vec::new(),
    };
    let mut fields: Vec<Field> = Vec::new();
    let want_all = ctx.parquet.is_some();
    let mut p = 0usize;
    let mut nl = 0u64;
    let mut carry = None;
    // CSV out: the run of kept records not yet copied starts here
    let mut run = 0usize;
    while p < buf.len() {
        let all = if want_all { Some(&mut fields) } else { None };
        let Some(rec) = csvscan::scan(buf, p, ctx.delim, ctx.nhs_col, is_last, all) else {
            carry = Some(p);
            break;
        };
        let line = nl;
        nl += rec.inner_newlines + rec.terminated as u64;
        if rec.blank {
            counts.blank += 1;
            if !want_all {
                out.extend_from_slice(&buf[run..p]);
                run = rec.next;
            }
            p = rec.next;
            continue;
        }
        counts.rows += 1;
        let verdict = if rec.quoting == Quoting::Unterminated {
            Err(Reason::Unterminated)
        } else if rec.fields != ctx.ncols {
            Err(Reason::Fields(rec.fields as u32))
        } else if rec.quoting == Quoting::TextAfterQuote {
            Err(Reason::TextAfterQuote)
        } else {
            let f = rec.want.expect("field present");
            judge(
                ctx.lists,
                nhs::parse(&buf[f.start..f.end]),
                &mut counts,
                &mut removed,
            )
        };
        if !matches!(verdict, Ok(true)) && !want_all {
            out.extend_from_slice(&buf[run..p]);
            run = rec.next;
        }
        match verdict {
            Err(r) => rejects.push((line, r)),
            Ok(false) => {}
            Ok(true) => {
                if want_all {
                    for (c, f) in cols.iter_mut().zip(&fields) {
                        c.push(if f.escaped {
                            f.text(buf).into_owned().into()
                        } else {
                            block.slice(f.start..f.end).into()
                        });
                    }
                } else if !rec.terminated {
                    out.extend_from_slice(&buf[run..rec.next]);
                    out.push(b'\n');
                    run = rec.next;
                }
            }
        }
        p = rec.next;
    }
    if !want_all {
        out.extend_from_slice(&buf[run..p]);
    }
    let out = match &ctx.parquet {
        Some(schema) => {
            let rows = cols.first().map_or(0, |c| c.len()) as u64;
            Out::Parquet(
                if rows > 0 {
                    pq::encode_strings(schema, cols)?
                } else {
                    Vec::new()
                },
                rows,
            )
        }
        None => Out::Csv(out),
    };
    Ok(Piece {
        out,
        rejects,
        counts,
        removed,
        newlines: nl,
        carry,
        input: block,
    })
}

/// Reads a CSV file in blocks that end at a line break (a block grows to hold a longer line).
pub(crate) struct Blocks {
    file: File,
    leftover: Vec<u8>,
    eof: bool,
    block: usize,
}

impl Blocks {
    pub fn new(file: File, first: Vec<u8>, block: usize) -> Self {
        Blocks {
            file,
            leftover: first,
            eof: false,
            block: block.max(4096),
        }
    }

    /// The next block and whether it is the end of the file.
    pub fn next_block(&mut self) -> Result<Option<(Vec<u8>, bool)>> {
        let mut buf = std::mem::take(&mut self.leftover);
        if self.eof {
            return Ok((!buf.is_empty()).then_some((buf, true)));
        }
        let mut want = self.block;
        loop {
            if buf.len() < want {
                buf.reserve(want - buf.len());
                let n = (&mut self.file)
                    .take((want - buf.len()) as u64)
                    .read_to_end(&mut buf)?;
                if n == 0 {
                    self.eof = true;
                    return Ok((!buf.is_empty()).then_some((buf, true)));
                }
                if buf.len() < want {
                    continue;
                }
            }
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => {
                    self.leftover = buf[i + 1..].to_vec();
                    buf.truncate(i + 1);
                    return Ok(Some((buf, false)));
                }
                None => want *= 2,
            }
        }
    }
}

/// Where the counts and rejects of the run go as pieces come back in order.
struct Collector<W: Write> {
    counts: Counts,
    removed: FxHashSet<u64>,
    rejects: csv_writer::Rejects<W>,
    by_reason: std::collections::BTreeMap<&'static str, u64>,
    expected: usize,
}

impl<W: Write> Collector<W> {
    fn take(&mut self, p: &Piece, line_base: u64) -> Result<()> {
        self.counts.add(&p.counts);
        self.removed.extend(p.removed.iter().copied());
        for &(l, r) in &p.rejects {
            *self.by_reason.entry(r.category()).or_default() += 1;
            self.rejects.write(l + line_base, &r.text(self.expected))?;
        }
        Ok(())
    }
}

mod csv_writer {
    use std::io::Write;
    /// The rejects file: `line,reason` (never the row's content).
    pub struct Rejects<W: Write> {
        w: W,
    }
    impl<W: Write> Rejects<W> {
        pub fn new(mut w: W, unit: &str) -> std::io::Result<Self> {
            writeln!(w, "{unit},reason")?;
            Ok(Rejects { w })
        }
        pub fn write(&mut self, line: u64, reason: &str) -> std::io::Result<()> {
            // reasons hold no quote; a comma needs quoting
            if reason.contains(',') {
                writeln!(self.w, "{line},\"{reason}\"")
            } else {
                writeln!(self.w, "{line},{reason}")
            }
        }
        pub fn finish(mut self) -> std::io::Result<W> {
            self.w.flush()?;
            Ok(self.w)
        }
    }
}

/// An output written beside its final name and renamed into place when the run succeeds.
struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
}

impl Staged {
    fn new(dest: &Path) -> Staged {
        let name = dest
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Staged {
            tmp: dest.with_file_name(format!(".{name}.partial-{}", std::process::id())),
            dest: dest.to_path_buf(),
        }
    }
    fn create(&self) -> Result<File> {
        File::create(&self.tmp).with_context(|| format!("creating {}", self.tmp.display()))
    }
    fn commit(self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.dest)
            .with_context(|| format!("renaming into {}", self.dest.display()))?;
        std::mem::forget(self);
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// The file's identity (device, inode) when it exists.
fn identity(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

/// An absolute, normalised form of a path that may not exist yet.
fn absolute(p: &Path) -> PathBuf {
    let parent = p.parent().filter(|x| !x.as_os_str().is_empty());
    let dir = match parent {
        Some(d) => std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()),
        None => std::env::current_dir().unwrap_or_default(),
    };
    match p.file_name() {
        Some(n) => dir.join(n),
        None => dir,
    }
}

/// Refuses outputs that are an input, each other, or exist (without `force`).
pub fn check_paths(inputs: &[&Path], outputs: &[(&str, &Path)], force: bool) -> Result<()> {
    for (i, (what, o)) in outputs.iter().enumerate() {
        for inp in inputs {
            let same = match (identity(o), identity(inp)) {
                (Some(a), Some(b)) => a == b,
                _ => absolute(o) == absolute(inp),
            };
            if same {
                bail!(
                    "the {what} file {} is an input ({}): refusing to write over an input",
                    o.display(),
                    inp.display()
                );
            }
        }
        for (what2, o2) in &outputs[i + 1..] {
            if absolute(o) == absolute(o2) {
                bail!("the {what} and {what2} files are the same: {}", o.display());
            }
        }
        if !force && std::fs::symlink_metadata(o).is_ok() {
            bail!(
                "{} exists: not overwritten (use --force to replace it)",
                o.display()
            );
        }
        if force && o.is_dir() {
            bail!("{} is a folder", o.display());
        }
    }
    Ok(())
}

/// Whether a file is Parquet: by its first bytes, else by extension.
pub fn is_parquet(p: &Path) -> Result<bool> {
    let mut f = File::open(p).with_context(|| format!("opening {}", p.display()))?;
    let mut m = [0u8; 4];
    let n = f.read(&mut m)?;
    Ok(if n == 4 {
        &m == b"PAR1"
    } else {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    })
}

fn output_format(o: &Options) -> Format {
    o.output_format.unwrap_or_else(|| {
        if o.output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
        {
            Format::Parquet
        } else {
            Format::Csv
        }
    })
}

/// Threads to use.
fn threads(o: &Options) -> usize {
    if o.threads > 0 {
        o.threads
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

/// Runs the filter. `progress` is called with the rows done so far after every piece.
pub fn filter(lists: &OptOuts, o: &Options, progress: &mut dyn FnMut(u64)) -> Result<Report> {
    let started = Instant::now();
    let mut inputs: Vec<&Path> = vec![&o.input];
    inputs.extend(lists.files.iter().map(|f| f.path.as_path()));
    check_paths(
        &inputs,
        &[("output", &o.output), ("rejects", &o.rejects)],
        o.force,
    )?;
    let in_fmt = match o.input_format {
        Some(f) => f,
        None if is_parquet(&o.input)? => Format::Parquet,
        None => Format::Csv,
    };
    let out_fmt = output_format(o);
    let out_stage = Staged::new(&o.output);
    let rej_stage = Staged::new(&o.rejects);
    let out_file = out_stage.create()?;
    let rej_file = std::io::BufWriter::new(rej_stage.create()?);
    let unit = if in_fmt == Format::Csv { "line" } else { "row" };
    let mut col = Collector {
        counts: Counts::default(),
        removed: FxHashSet::default(),
        rejects: csv_writer::Rejects::new(rej_file, unit)?,
        by_reason: Default::default(),
        expected: 0,
    };
    let nthreads = threads(o);
    let columns = match in_fmt {
        Format::Csv => filter_csv(lists, o, out_fmt, out_file, &mut col, nthreads, progress)?,
        Format::Parquet => pq::filter_parquet(
            lists,
            o,
            out_fmt,
            out_file,
            nthreads,
            &mut |p: &Piece| col.take(p, 0),
            progress,
        )?,
    };
    col.rejects.finish()?;
    out_stage.commit()?;
    rej_stage.commit()?;
    let c = col.counts;
    let rejected: u64 = col.by_reason.values().sum();
    let (t1, nd) = lists.counts();
    let report = Report {
        input: o.input.clone(),
        input_format: in_fmt,
        output: o.output.clone(),
        output_format: out_fmt,
        rejects: o.rejects.clone(),
        nhs_number_column: o.column.clone(),
        columns,
        rows_read: c.rows,
        rows_written: c.kept,
        rows_removed: c.type1_only + c.ndoo_only + c.both,
        removed_type1_only: c.type1_only,
        removed_ndoo_only: c.ndoo_only,
        removed_both: c.both,
        patients_removed: col.removed.len() as u64,
        rows_rejected: rejected,
        rejected_by_reason: col
            .by_reason
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        blank_lines: c.blank,
        lists: lists
            .files
            .iter()
            .map(|f| ListSummary {
                path: f.path.clone(),
                kind: f.kind,
                rows: f.rows,
                numbers: f.numbers,
                rows_not_used: f.issue_count,
            })
            .collect(),
        type1_numbers: t1,
        ndoo_numbers: nd,
        opt_out_numbers: lists.len() as u64,
        seconds: started.elapsed().as_secs_f64(),
        peak_memory_mb: crate::report::peak_memory_mb(),
        threads: nthreads,
    };
    if report.rows_read != report.rows_written + report.rows_removed + report.rows_rejected {
        bail!("internal error: rows read do not add up (please report this)");
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn filter_csv(
    lists: &OptOuts,
    o: &Options,
    out_fmt: Format,
    mut out_file: File,
    col: &mut Collector<std::io::BufWriter<File>>,
    nthreads: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<usize> {
    let mut f = File::open(&o.input).with_context(|| format!("opening {}", o.input.display()))?;
    // the header: read until it is complete
    let mut head = Vec::new();
    let mut hfields = Vec::new();
    let header = loop {
        let before = head.len();
        let n = (&mut f).take(1 << 16).read_to_end(&mut head)?;
        let eof = n == 0 || head.len() - before < (1 << 16);
        if head.is_empty() {
            bail!("{}: the file is empty (no header)", o.input.display());
        }
        if let Some(r) = csvscan::scan(&head, 0, o.delimiter, usize::MAX, eof, Some(&mut hfields)) {
            if r.terminated || eof {
                break r;
            }
        }
        if eof {
            bail!("{}: no complete header line", o.input.display());
        }
    };
    let names: Vec<String> = hfields
        .iter()
        .map(|f| String::from_utf8_lossy(&f.text(&head)).into_owned())
        .collect();
    let want = crate::lists::norm_name(&o.column);
    let Some(nhs_col) = names
        .iter()
        .position(|n| crate::lists::norm_name(n) == want)
    else {
        bail!(
            "{}: no column {:?} (the NHS number) in the header; columns: {} (choose one with --column)",
            o.input.display(),
            o.column,
            names.join(", ")
        );
    };
    let ncols = names.len();
    col.expected = ncols;
    let header_bytes = head[..header.next].to_vec();
    let rest = head[header.next..].to_vec();
    let header_lines = header.inner_newlines + header.terminated as u64;
    let clean_names: Vec<String> = names
        .iter()
        .map(|n| n.trim_start_matches('\u{feff}').to_string())
        .collect();
    let ctx = CsvCtx {
        lists,
        delim: o.delimiter,
        ncols,
        nhs_col,
        parquet: match out_fmt {
            Format::Csv => None,
            Format::Parquet => Some(pq::StringSchema::new(&clean_names, o.codec, o.stats)?),
        },
    };
    let mut sink = match out_fmt {
        Format::Csv => {
            out_file.write_all(&header_bytes)?;
            if !header.terminated {
                out_file.write_all(b"\n")?;
            }
            Sink::Csv(out_file)
        }
        Format::Parquet => Sink::Parquet(pq::PieceWriter::new(
            out_file,
            ctx.parquet.as_ref().expect("schema"),
        )?),
    };
    let mut blocks = Blocks::new(f, rest, o.block);
    // line number of the first line of the next piece, 1-based
    let mut line_base = header_lines + 1;
    let mut carry: Option<Bytes> = None;
    let mut rows_done = 0u64;
    let mut handle = |p: Piece,
                      line_base: &mut u64,
                      sink: &mut Sink,
                      col: &mut Collector<std::io::BufWriter<File>>|
     -> Result<Option<Bytes>> {
        col.take(&p, *line_base)?;
        *line_base += p.newlines;
        rows_done += p.counts.rows;
        progress(rows_done);
        sink.put(p.out)?;
        Ok(p.carry.map(|off| p.input.slice(off..)))
    };
    pipeline::ordered(
        nthreads,
        nthreads * 2,
        || Ok(blocks.next_block()?.map(|(b, last)| (Bytes::from(b), last))),
        || Ok(()),
        |_, (b, last): (Bytes, bool)| Ok((csv_piece(&ctx, b.clone(), last)?, last)),
        |(p, last)| {
            // a record that ran over the previous block's end: redo this block from there
            let p = match carry.take() {
                Some(c) => {
                    let mut merged = Vec::with_capacity(c.len() + p.input.len());
                    merged.extend_from_slice(&c);
                    merged.extend_from_slice(&p.input);
                    csv_piece(&ctx, Bytes::from(merged), last)?
                }
                None => p,
            };
            carry = handle(p, &mut line_base, &mut sink, col)?;
            Ok(())
        },
    )?;
    // a record still open at the end of the file
    if let Some(c) = carry.take() {
        let p = csv_piece(&ctx, c, true)?;
        if let Some(next) = handle(p, &mut line_base, &mut sink, col)? {
            bail!(
                "internal error: {} bytes left over at the end of the file",
                next.len()
            );
        }
    }
    sink.finish()?;
    Ok(ncols)
}

pub(crate) enum Sink {
    Csv(File),
    Parquet(pq::PieceWriter),
}

impl Sink {
    pub fn put(&mut self, out: Out) -> Result<()> {
        match (self, out) {
            (Sink::Csv(f), Out::Csv(b)) => Ok(f.write_all(&b)?),
            (Sink::Parquet(w), Out::Parquet(cols, rows)) => w.put(cols, rows),
            _ => bail!("internal error: output kinds differ"),
        }
    }
    pub fn finish(self) -> Result<()> {
        match self {
            Sink::Csv(mut f) => {
                f.flush()?;
                Ok(())
            }
            Sink::Parquet(w) => w.finish(),
        }
    }
}
