//! The five canonical tables (shared/reference/access-audit-rules.md, "Canonical tables") and
//! a row reader over CSV or Parquet that applies a mapping (column names, code values).
//!
//! A file that does not map is refused before any row is evaluated: a missing column, or a date
//! column whose first value matches none of the formats ("unknown date format").

use crate::config::{Mapping, TableMapping};
use crate::time::TimeParser;
use anyhow::{bail, Context, Result};
use csv::ByteRecord;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DoubleType, FixedLenByteArray, FixedLenByteArrayType,
    FloatType, Int32Type, Int64Type, Int96, Int96Type,
};
use parquet::file::reader::{FileReader, SerializedFileReader};
use rustc_hash::FxHashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Patients,
    Users,
    Teams,
    CareEpisodes,
    Events,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Date,
    Ts,
    Bool,
}

#[derive(Debug)]
pub struct ColDef {
    pub name: &'static str,
    pub kind: Kind,
}

const fn c(name: &'static str, kind: Kind) -> ColDef {
    ColDef { name, kind }
}

use Kind::*;
const PATIENTS: &[ColDef] = &[
    c("patient_id", Text),
    c("nhs_number", Text),
    c("given", Text),
    c("family", Text),
    c("dob", Date),
    c("address_line", Text),
    c("town", Text),
    c("postcode", Text),
    c("deceased_date", Date),
    c("vip", Bool),
];
const USERS: &[ColDef] = &[
    c("user_id", Text),
    c("given", Text),
    c("family", Text),
    c("role", Text),
    c("team_id", Text),
    c("organisation", Text),
    c("start_date", Date),
    c("leave_date", Date),
    c("home_address_line", Text),
    c("home_postcode", Text),
    c("patient_id", Text),
];
const TEAMS: &[ColDef] = &[
    c("team_id", Text),
    c("team_name", Text),
    c("specialty", Text),
    c("organisation", Text),
];
const EPISODES: &[ColDef] = &[
    c("episode_id", Text),
    c("patient_id", Text),
    c("team_id", Text),
    c("episode_type", Text),
    c("start_ts", Ts),
    c("end_ts", Ts),
];
const EVENTS: &[ColDef] = &[
    c("event_id", Text),
    c("ts", Ts),
    c("user_id", Text),
    c("patient_id", Text),
    c("action", Text),
    c("workstation", Text),
];

impl Table {
    pub const ALL: [Table; 5] = [
        Table::Patients,
        Table::Users,
        Table::Teams,
        Table::CareEpisodes,
        Table::Events,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Table::Patients => "patients",
            Table::Users => "users",
            Table::Teams => "teams",
            Table::CareEpisodes => "care_episodes",
            Table::Events => "events",
        }
    }
    pub fn from_name(s: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == s)
    }
    pub fn columns(self) -> &'static [ColDef] {
        match self {
            Table::Patients => PATIENTS,
            Table::Users => USERS,
            Table::Teams => TEAMS,
            Table::CareEpisodes => EPISODES,
            Table::Events => EVENTS,
        }
    }
    /// Index of a canonical column (panics on a typo: internal use only).
    pub fn col(self, name: &str) -> usize {
        self.columns()
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("no column {name} in {}", self.name()))
    }
}

/// One table's file, resolved against the data folder and the mapping.
#[derive(Debug, Clone)]
pub struct TableSource {
    pub table: Table,
    pub path: PathBuf,
    pub parquet: bool,
    delimiter: u8,
    /// Per canonical column: the source column name (None = declared absent).
    source_names: Vec<Option<String>>,
    maps: Vec<Option<FxHashMap<Vec<u8>, Vec<u8>>>>,
    /// Per canonical column: the formats of a date/timestamp column.
    pub parsers: Vec<Option<TimeParser>>,
    /// Set when the folder held both formats of this table: which one was read, and why.
    pub chosen: Option<String>,
}

fn is_parquet(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Which file to read when a folder holds both `TABLE.csv` and `TABLE.parquet`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prefer {
    /// Parquet first (typed, compressed, read column by column), then CSV.
    #[default]
    Parquet,
    /// CSV first, then Parquet.
    Csv,
}

impl std::str::FromStr for Prefer {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" => Ok(Prefer::Parquet),
            "csv" => Ok(Prefer::Csv),
            _ => Err(format!("{s:?}: expected csv or parquet")),
        }
    }
}

impl TableSource {
    /// Resolves a table's file; when both `TABLE.csv` and `TABLE.parquet` exist, Parquet is
    /// read (see `resolve_with` and `chosen`).
    pub fn resolve(dir: &Path, mapping: Option<&Mapping>, table: Table) -> Result<TableSource> {
        Self::resolve_with(dir, mapping, table, Prefer::default())
    }

    /// As `resolve`, with the format to read when both files exist; `chosen` then says so.
    pub fn resolve_with(
        dir: &Path,
        mapping: Option<&Mapping>,
        table: Table,
        prefer: Prefer,
    ) -> Result<TableSource> {
        let mut chosen = None;
        let empty = TableMapping::default();
        let tm = mapping
            .and_then(|m| m.tables.get(table.name()))
            .unwrap_or(&empty);
        let path = match &tm.file {
            Some(f) => dir.join(f),
            None => {
                let csv = dir.join(format!("{}.csv", table.name()));
                let pq = dir.join(format!("{}.parquet", table.name()));
                match (csv.exists(), pq.exists()) {
                    (true, false) => csv,
                    (false, true) => pq,
                    (true, true) => {
                        let (pick, other) = match prefer {
                            Prefer::Parquet => (pq, "csv"),
                            Prefer::Csv => (csv, "parquet"),
                        };
                        chosen = Some(format!(
                            "both {t}.csv and {t}.parquet exist: read {}, not {t}.{other} (preference {})",
                            pick.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                            if prefer == Prefer::Parquet { "parquet, csv" } else { "csv, parquet" },
                            t = table.name(),
                        ));
                        pick
                    }
                    (false, false) => bail!(
                        "{}: no {}.csv or {}.parquet (and no file for table {} in the mapping)",
                        dir.display(),
                        table.name(),
                        table.name(),
                        table.name()
                    ),
                }
            }
        };
        if !path.exists() {
            bail!(
                "{}: file not found (table {})",
                path.display(),
                table.name()
            );
        }
        let mut source_names = Vec::new();
        let mut maps = Vec::new();
        let mut parsers = Vec::new();
        for col in table.columns() {
            let absent = tm.absent.iter().any(|a| a == col.name);
            source_names.push(if absent {
                None
            } else {
                Some(
                    tm.columns
                        .get(col.name)
                        .cloned()
                        .unwrap_or_else(|| col.name.to_string()),
                )
            });
            maps.push(tm.values.get(col.name).map(|m| {
                m.iter()
                    .map(|(k, v)| (k.trim().as_bytes().to_vec(), v.as_bytes().to_vec()))
                    .collect()
            }));
            let ctx = || format!("mapping for {}.{}", table.name(), col.name);
            parsers.push(match col.kind {
                Kind::Date | Kind::Ts => {
                    let own = tm.formats.get(col.name);
                    let global = mapping.and_then(|m| {
                        if col.kind == Kind::Date {
                            m.date_formats.as_ref()
                        } else {
                            m.timestamp_formats.as_ref()
                        }
                    });
                    Some(match own.or(global) {
                        Some(f) => TimeParser::new(f)
                            .map_err(anyhow::Error::msg)
                            .with_context(ctx)?,
                        None if col.kind == Kind::Date => TimeParser::default_date(),
                        None => TimeParser::default_ts(),
                    })
                }
                _ => None,
            });
        }
        Ok(TableSource {
            table,
            chosen,
            parquet: is_parquet(&path),
            path,
            delimiter: tm
                .delimiter
                .as_ref()
                .map(|d| d.as_bytes()[0])
                .unwrap_or(b','),
            source_names,
            maps,
            parsers,
        })
    }

    /// Per canonical column, its position in a file with this header (None = declared absent);
    /// a missing column is refused.
    pub(crate) fn column_positions(&self, header: &[String]) -> Result<Vec<Option<usize>>> {
        let mut idx = Vec::new();
        for (col, src) in self.table.columns().iter().zip(&self.source_names) {
            match src {
                None => idx.push(None),
                Some(s) => {
                    let pos = header
                        .iter()
                        .position(|h| h == s)
                        .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(s)));
                    match pos {
                        Some(p) => idx.push(Some(p)),
                        None => bail!(
                            "{}: missing column {:?} (canonical {}.{}); columns found: {}. Map it in the mapping file's [tables.{}] columns, or list it under `absent`",
                            self.file_name(), s, self.table.name(), col.name, header.join(", "), self.table.name()
                        ),
                    }
                }
            }
        }
        Ok(idx)
    }

    /// The code-value map of a canonical column, if the mapping gives one.
    pub(crate) fn value_map(&self, col: usize) -> Option<&FxHashMap<Vec<u8>, Vec<u8>>> {
        self.maps[col].as_ref()
    }

    pub(crate) fn delimiter(&self) -> u8 {
        self.delimiter
    }

    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    /// Opens the file and checks that every canonical column maps.
    pub fn open(&self) -> Result<RowReader> {
        self.open_with(None)
    }

    /// As `open`; for the events table, `resolver` looks up the user, the patient and parses ts
    /// on the reading thread(s) (see `RowReader::resolved`).
    pub fn open_with(&self, resolver: Option<EventResolver>) -> Result<RowReader> {
        self.open_columns(resolver, None)
    }

    /// As `open_with`, reading only the canonical columns `only` (the others read as empty).
    /// From Parquet only those columns are decoded (column projection), and the row groups are
    /// decoded on two threads in parallel, handed over in file order.
    pub fn open_columns(
        &self,
        resolver: Option<EventResolver>,
        only: Option<&[usize]>,
    ) -> Result<RowReader> {
        let f =
            File::open(&self.path).with_context(|| format!("opening {}", self.path.display()))?;
        let mut pending = None;
        let header: Vec<String> = if self.parquet {
            let r = SerializedFileReader::new(f)
                .with_context(|| format!("{}: not a Parquet file", self.path.display()))?;
            let h = r
                .metadata()
                .file_metadata()
                .schema_descr()
                .root_schema()
                .get_fields()
                .iter()
                .map(|f| f.name().to_string())
                .collect();
            pending = Some(Pending::Parquet(Arc::new(r)));
            h
        } else {
            let mut r = csv::ReaderBuilder::new()
                .delimiter(self.delimiter)
                .flexible(true)
                .buffer_capacity(1 << 20)
                .from_reader(BufReader::with_capacity(1 << 20, f));
            let h = r
                .byte_headers()
                .with_context(|| format!("{}: reading header", self.path.display()))?
                .iter()
                .map(|h| {
                    String::from_utf8_lossy(h)
                        .trim()
                        .trim_start_matches('\u{feff}')
                        .to_string()
                })
                .collect();
            pending = pending.or(Some(Pending::Csv(r)));
            h
        };
        let mut idx = self.column_positions(&header)?;
        let t = Table::Events;
        let key_cols = [t.col("user_id"), t.col("patient_id"), t.col("ts")];
        // only when the three columns need no code-value mapping
        let resolver = resolver.filter(|_| {
            self.table == Table::Events && key_cols.iter().all(|&c| self.maps[c].is_none())
        });
        let (inner, width) = match pending.expect("csv or parquet") {
            Pending::Csv(r) => {
                let cols = key_cols.map(|c| idx[c]);
                let pipe = spawn_csv_readers(
                    r,
                    &self.path,
                    self.delimiter,
                    self.file_name(),
                    resolver.map(|r| (r, cols)),
                );
                (pipe, header.len())
            }
            Pending::Parquet(r) => {
                // Projection: the source columns to decode, in file order; `idx` is remapped to
                // positions in the projected record.
                let mut proj: Vec<usize> = idx
                    .iter()
                    .enumerate()
                    .filter(|(c, _)| only.is_none_or(|o| o.contains(c)))
                    .filter_map(|(_, i)| *i)
                    .collect();
                proj.sort_unstable();
                proj.dedup();
                for i in idx.iter_mut() {
                    *i = i.and_then(|s| proj.iter().position(|&p| p == s));
                }
                for (c, i) in idx.iter_mut().enumerate() {
                    if only.is_some_and(|o| !o.contains(&c)) {
                        *i = None;
                    }
                }
                let cols = key_cols.map(|c| idx[c]);
                let pipe = spawn_parquet_readers(
                    r,
                    &self.path,
                    self.file_name(),
                    proj.clone(),
                    resolver.map(|r| (r, cols)),
                )?;
                (pipe, proj.len())
            }
        };
        Ok(RowReader {
            resolved: None,
            file: self.file_name(),
            width,
            resolving: inner.resolving,
            inner,
            idx,
            maps: self.maps.clone(),
            rec: ByteRecord::new(),
            line: 1,
            malformed: None,
        })
    }
}

enum Pending {
    Csv(csv::Reader<BufReader<File>>),
    Parquet(Arc<SerializedFileReader<File>>),
}

/// Rows per batch handed from a reading thread to the evaluating thread.
const BATCH: usize = 4096;

struct Batch {
    recs: Vec<ByteRecord>,
    lines: Vec<u64>,
    res: Vec<Resolved>,
    len: usize,
    /// The last batch of a Parquet row group: the next batch comes from the next reader.
    end_group: bool,
    /// The last batch of the file.
    eof: bool,
    /// CSV, with `end_group`: the line number of the next reader's first record.
    next_line: u64,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            recs: Vec::with_capacity(BATCH),
            lines: Vec::with_capacity(BATCH),
            res: Vec::with_capacity(BATCH),
            len: 0,
            end_group: false,
            eof: false,
            next_line: 0,
        }
    }
    /// Makes room for row `len` (records are recycled, not reallocated).
    fn slot(&mut self) {
        if self.recs.len() == self.len {
            self.recs.push(ByteRecord::new());
            self.lines.push(0);
            self.res.push(Resolved::default());
        }
    }
}

/// What the reading thread resolves for an event row: its user, patient and timestamp.
#[derive(Clone)]
pub struct EventResolver {
    pub users: Arc<crate::data::IdIndex>,
    pub patients: Arc<crate::data::IdIndex>,
    pub ts: TimeParser,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub user: Option<u32>,
    pub patient: Option<u32>,
    pub ts: Option<crate::time::Ts>,
}

/// Reading runs on other threads (CSV: one; Parquet: two, row groups alternating) and hands
/// batches of records over bounded channels (at most 2 batches in flight per reader: memory
/// stays bounded); emptied batches go back to their reader to be refilled.
struct Pipe {
    rxs: Vec<Receiver<Result<Batch>>>,
    backs: Vec<Sender<Batch>>,
    /// Added to the line numbers of each reader (the second CSV reader counts from 1).
    line_offset: Vec<u64>,
    /// The reader whose row group comes next.
    cur_rx: usize,
    cur: Option<Batch>,
    pos: usize,
    resolving: bool,
}

type Key = (EventResolver, [Option<usize>; 3]);

/// Data bytes from which a CSV file is read by two threads (two halves, split at a line end).
fn csv_split_min() -> u64 {
    std::env::var("STEWARD_AUDIT_CSV_SPLIT_MIN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8 << 20)
}

/// CSV reading: when the file is large and there are two cores, two threads read the two
/// halves of the file (split at a line end), the first half handed over first. A split that
/// falls inside a quoted field with a line break is detected by the first thread (its records
/// do not end exactly at the split): it then reads the whole file and the second is dropped.
fn spawn_csv_readers(
    r: csv::Reader<BufReader<File>>,
    path: &Path,
    delimiter: u8,
    file: String,
    resolver: Option<Key>,
) -> Pipe {
    let start = r.position().byte();
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let boundary = (threads > 1 && len.saturating_sub(start) >= csv_split_min())
        .then(|| line_start_after(path, start + (len - start) / 2))
        .flatten()
        .filter(|&b| b > start && b < len);
    let Some(boundary) = boundary else {
        return spawn_csv_reader(r, file, resolver, None);
    };
    let second = File::open(path).and_then(|mut f| {
        use std::io::{Seek, SeekFrom};
        f.seek(SeekFrom::Start(boundary))?;
        Ok(f)
    });
    let Ok(second) = second else {
        return spawn_csv_reader(r, file, resolver, None);
    };
    let r2 = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .buffer_capacity(1 << 20)
        .from_reader(BufReader::with_capacity(1 << 20, second));
    let mut a = spawn_csv_reader(r, file.clone(), resolver.clone(), Some(boundary));
    let b = spawn_csv_reader(r2, file, resolver, None);
    a.rxs.extend(b.rxs);
    a.backs.extend(b.backs);
    a.line_offset.push(0);
    a
}

/// The byte offset of the first line start after `at` (None: no line end after it).
fn line_start_after(path: &Path, at: u64) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path).ok()?;
    f.seek(SeekFrom::Start(at)).ok()?;
    let mut buf = vec![0u8; 1 << 16];
    let mut pos = at;
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(i) = buf[..n].iter().position(|&c| c == b'\n') {
            return Some(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
}

/// One CSV reading thread. With `stop_at`, the records from that byte on belong to the next
/// reader: the last batch before it is marked `end_group` and carries the line number of the
/// record at `stop_at` (`next_line`).
fn spawn_csv_reader(
    mut r: csv::Reader<BufReader<File>>,
    file: String,
    resolver: Option<Key>,
    stop_at: Option<u64>,
) -> Pipe {
    let resolving = resolver.is_some();
    let (tx, rx) = sync_channel::<Result<Batch>>(2);
    let (back, back_rx) = channel::<Batch>();
    std::thread::spawn(move || {
        let mut stop_at = stop_at;
        loop {
            let mut b = back_rx.try_recv().unwrap_or_else(|_| Batch::new());
            b.len = 0;
            b.end_group = false;
            b.eof = false;
            let mut at_stop = false;
            while b.len < BATCH {
                b.slot();
                match r.read_byte_record(&mut b.recs[b.len]) {
                    Ok(true) => {
                        let rec = &b.recs[b.len];
                        let pos = rec.position();
                        if let (Some(s), Some(p)) = (stop_at, pos) {
                            if p.byte() == s {
                                // the second reader starts here
                                b.next_line = p.line();
                                at_stop = true;
                                break;
                            }
                            if p.byte() > s {
                                // the split fell inside a record: read the whole file here
                                stop_at = None;
                            }
                        }
                        b.lines[b.len] = pos.map(|p| p.line()).unwrap_or(0);
                        if let Some((rv, [cu, cp, ct])) = &resolver {
                            let f = |i: &Option<usize>| {
                                i.and_then(|i| rec.get(i)).unwrap_or(b"").trim_ascii()
                            };
                            b.res[b.len] = Resolved {
                                user: rv.users.get(f(cu)).copied(),
                                patient: rv.patients.get(f(cp)).copied(),
                                ts: rv.ts.parse(f(ct)),
                            };
                        }
                        b.len += 1;
                    }
                    Ok(false) => break,
                    Err(e) => {
                        let _ = tx.send(Err(
                            anyhow::Error::new(e).context(format!("{file}: reading CSV"))
                        ));
                        return;
                    }
                }
            }
            let done = at_stop || b.len < BATCH;
            if at_stop {
                b.end_group = true;
            } else {
                b.eof = done;
            }
            if tx.send(Ok(b)).is_err() || done {
                return;
            }
        }
    });
    Pipe {
        rxs: vec![rx],
        backs: vec![back],
        line_offset: vec![0],
        cur_rx: 0,
        cur: None,
        pos: 0,
        resolving,
    }
}

/// Parquet readers: `PARQUET_THREADS` threads, thread k decoding row groups k, k + n, ...
/// column by column (only the projected columns), BATCH rows at a time.
fn spawn_parquet_readers(
    r: Arc<SerializedFileReader<File>>,
    path: &Path,
    file: String,
    proj: Vec<usize>,
    resolver: Option<Key>,
) -> Result<Pipe> {
    let resolving = resolver.is_some();
    let groups = r.metadata().num_row_groups();
    let mut first_row = Vec::with_capacity(groups + 1);
    let mut acc = 0u64;
    for g in 0..groups {
        first_row.push(acc);
        acc += r.metadata().row_group(g).num_rows() as u64;
    }
    let n = parquet_threads().min(groups.max(1));
    let first_row = Arc::new(first_row);
    let (mut rxs, mut backs) = (Vec::new(), Vec::new());
    for k in 0..n {
        let (tx, rx) = sync_channel::<Result<Batch>>(2);
        let (back, back_rx) = channel::<Batch>();
        rxs.push(rx);
        backs.push(back);
        let (path, file, proj, resolver, first_row) = (
            path.to_path_buf(),
            file.clone(),
            proj.clone(),
            resolver.clone(),
            first_row.clone(),
        );
        std::thread::spawn(move || {
            // Its own file handle: a `File` shared between threads shares its offset too.
            let own = File::open(&path)
                .map_err(anyhow::Error::from)
                .and_then(|f| Ok(SerializedFileReader::new(f)?));
            let r = match own {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(e.context(format!("{file}: reading Parquet"))));
                    return;
                }
            };
            let mut dec = ColumnsDecoder::default();
            for g in (k..groups).step_by(n) {
                let res = dec.row_group(
                    &r,
                    g,
                    &proj,
                    first_row[g],
                    resolver.as_ref(),
                    |b| tx.send(Ok(b)).is_ok(),
                    &back_rx,
                );
                match res {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        let _ = tx.send(Err(e.context(format!("{file}: reading Parquet"))));
                        return;
                    }
                }
            }
        });
    }
    Ok(Pipe {
        line_offset: vec![0; rxs.len()],
        rxs,
        backs,
        cur_rx: 0,
        cur: None,
        pos: 0,
        resolving,
    })
}

/// Threads decoding Parquet row groups (2 on this project's machines; at most 8).
pub(crate) fn parquet_threads() -> usize {
    std::env::var("STEWARD_AUDIT_PARQUET_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, 8)
}

/// One projected column's typed reader and its decoded values for the current batch.
enum ColVals {
    Bytes(ColumnReaderImpl<ByteArrayType>, Vec<ByteArray>),
    Fixed(
        ColumnReaderImpl<FixedLenByteArrayType>,
        Vec<FixedLenByteArray>,
    ),
    I32(ColumnReaderImpl<Int32Type>, Vec<i32>, bool),
    /// Values, and the unit of a timestamp (seconds per unit as a divisor) if it is one.
    I64(ColumnReaderImpl<Int64Type>, Vec<i64>, Option<i64>),
    I96(ColumnReaderImpl<Int96Type>, Vec<Int96>),
    Bool(ColumnReaderImpl<BoolType>, Vec<bool>),
    F32(ColumnReaderImpl<FloatType>, Vec<f32>),
    F64(ColumnReaderImpl<DoubleType>, Vec<f64>),
}

#[derive(Default)]
struct ColumnsDecoder {
    defs: Vec<Vec<i16>>,
}

/// "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" into a stack buffer (no allocation).
pub(crate) fn fmt_into(buf: &mut [u8; 19], ts: crate::time::Ts, with_time: bool) -> usize {
    let (y, m, d) = crate::time::civil_from_days(crate::time::day_of(ts));
    let s = crate::time::time_of_day(ts);
    let mut put = |at: usize, v: i64, n: usize| {
        let mut v = v;
        for i in (0..n).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, y.clamp(0, 9999), 4);
    put(5, m as i64, 2);
    put(8, d as i64, 2);
    put(11, s / 3600, 2);
    put(14, (s / 60) % 60, 2);
    put(17, s % 60, 2);
    buf[4] = b'-';
    buf[7] = b'-';
    buf[10] = b' ';
    buf[13] = b':';
    buf[16] = b':';
    if with_time {
        19
    } else {
        10
    }
}

impl ColumnsDecoder {
    /// Decodes row group `g`, handing batches to `send`; false when the receiver is gone.
    #[allow(clippy::too_many_arguments)]
    fn row_group(
        &mut self,
        r: &SerializedFileReader<File>,
        g: usize,
        proj: &[usize],
        first_row: u64,
        resolver: Option<&Key>,
        mut send: impl FnMut(Batch) -> bool,
        back: &Receiver<Batch>,
    ) -> Result<bool> {
        use parquet::basic::{ConvertedType, LogicalType, TimeUnit};
        let rg = r.get_row_group(g)?;
        let meta = rg.metadata();
        let rows = meta.num_rows() as usize;
        let mut cols = Vec::with_capacity(proj.len());
        let mut max_def = Vec::with_capacity(proj.len());
        for &c in proj {
            let descr = meta.column(c).column_descr();
            max_def.push(descr.max_def_level());
            let lt = descr.logical_type_ref().cloned();
            let ct = descr.converted_type();
            let cr = rg.get_column_reader(c)?;
            cols.push(match cr {
                ColumnReader::ByteArrayColumnReader(x) => ColVals::Bytes(x, Vec::new()),
                ColumnReader::FixedLenByteArrayColumnReader(x) => ColVals::Fixed(x, Vec::new()),
                ColumnReader::Int32ColumnReader(x) => ColVals::I32(
                    x,
                    Vec::new(),
                    matches!(lt, Some(LogicalType::Date)) || ct == ConvertedType::DATE,
                ),
                ColumnReader::Int64ColumnReader(x) => {
                    let unit = match &lt {
                        Some(LogicalType::Timestamp { unit, .. }) => Some(match unit {
                            TimeUnit::MILLIS => 1_000,
                            TimeUnit::MICROS => 1_000_000,
                            TimeUnit::NANOS => 1_000_000_000,
                        }),
                        _ => match ct {
                            ConvertedType::TIMESTAMP_MILLIS => Some(1_000),
                            ConvertedType::TIMESTAMP_MICROS => Some(1_000_000),
                            _ => None,
                        },
                    };
                    ColVals::I64(x, Vec::new(), unit)
                }
                ColumnReader::Int96ColumnReader(x) => ColVals::I96(x, Vec::new()),
                ColumnReader::BoolColumnReader(x) => ColVals::Bool(x, Vec::new()),
                ColumnReader::FloatColumnReader(x) => ColVals::F32(x, Vec::new()),
                ColumnReader::DoubleColumnReader(x) => ColVals::F64(x, Vec::new()),
            });
        }
        self.defs.resize_with(proj.len(), Vec::new);
        // Position of the resolver's columns in the projection; a native timestamp ts column
        // gives ts directly (no text round trip).
        let (cu, cp, ct) = match resolver {
            Some((_, [u, p, t])) => (*u, *p, *t),
            None => (None, None, None),
        };
        let mut done = 0usize;
        loop {
            let want = BATCH.min(rows - done);
            let mut b = back.try_recv().unwrap_or_else(|_| Batch::new());
            b.len = 0;
            b.end_group = false;
            b.eof = false;
            for (j, col) in cols.iter_mut().enumerate() {
                let def = &mut self.defs[j];
                def.clear();
                let defs = (max_def[j] > 0).then_some(&mut *def);
                let got = match col {
                    ColVals::Bytes(x, v) => {
                        v.clear();
                        x.read_records(want, defs, None, v)?.0
                    }
                    ColVals::Fixed(x, v) => {
                        v.clear();
                        x.read_records(want, defs, None, v)?.0
                    }
                    ColVals::I32(x, v, _) => {
                        v.clear();
                        x.read_records(want, defs, None, v)?.0
                    }
                    ColVals::I64(x, v, _) => {
                        v.clear();
                        x.read_records(want, defs, None, v)?.0
                    }
                    ColVals::I96(x, v) => {
                        v.clear();
                        x.read_records(want, defs, None, v)?.0
                    }
                    ColVals::Bool(x, v) => {
                        v.clear();
                        x.read_records(want, defs, None, v)?.0
                    }
                    ColVals::F32(x, v) => {
                        v.clear();
                        x.read_records(want, defs, None, v)?.0
                    }
                    ColVals::F64(x, v) => {
                        v.clear();
                        x.read_records(want, defs, None, v)?.0
                    }
                };
                if got != want {
                    bail!("row group {g}: column {j} has {got} rows where {want} were expected");
                }
            }
            let mut vi = vec![0usize; cols.len()];
            let mut buf = [0u8; 19];
            for row in 0..want {
                b.slot();
                let rec = &mut b.recs[row];
                rec.clear();
                let mut native_ts = None;
                for (j, col) in cols.iter().enumerate() {
                    let present = max_def[j] == 0 || self.defs[j][row] == max_def[j];
                    if !present {
                        rec.push_field(b"");
                        continue;
                    }
                    let i = vi[j];
                    vi[j] += 1;
                    match col {
                        ColVals::Bytes(_, v) => rec.push_field(v[i].data()),
                        ColVals::Fixed(_, v) => rec.push_field(v[i].data()),
                        ColVals::I32(_, v, true) => {
                            let n = fmt_into(&mut buf, v[i] as i64 * crate::time::DAY, false);
                            rec.push_field(&buf[..n]);
                        }
                        ColVals::I32(_, v, false) => {
                            rec.push_field(itoa(&mut buf, v[i] as i64));
                        }
                        ColVals::I64(_, v, Some(unit)) => {
                            let t = v[i].div_euclid(*unit);
                            if Some(j) == ct {
                                // the resolver reads the value; the text is never needed
                                native_ts = Some(t);
                                rec.push_field(b"");
                            } else {
                                let n = fmt_into(&mut buf, t, true);
                                rec.push_field(&buf[..n]);
                            }
                        }
                        ColVals::I64(_, v, None) => rec.push_field(itoa(&mut buf, v[i])),
                        ColVals::I96(_, v) => {
                            let t = v[i].to_nanos().div_euclid(1_000_000_000);
                            if Some(j) == ct {
                                native_ts = Some(t);
                                rec.push_field(b"");
                            } else {
                                let n = fmt_into(&mut buf, t, true);
                                rec.push_field(&buf[..n]);
                            }
                        }
                        ColVals::Bool(_, v) => {
                            rec.push_field(if v[i] { b"true" } else { b"false" })
                        }
                        ColVals::F32(_, v) => rec.push_field(v[i].to_string().as_bytes()),
                        ColVals::F64(_, v) => rec.push_field(v[i].to_string().as_bytes()),
                    }
                }
                b.lines[row] = first_row + (done + row) as u64 + 2;
                if let Some((rv, _)) = resolver {
                    let f =
                        |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or(b"").trim_ascii();
                    b.res[row] = Resolved {
                        user: rv.users.get(f(cu)).copied(),
                        patient: rv.patients.get(f(cp)).copied(),
                        ts: native_ts.or_else(|| rv.ts.parse(f(ct))),
                    };
                }
                b.len += 1;
            }
            done += want;
            b.end_group = done == rows;
            if !send(b) {
                return Ok(false);
            }
            if done == rows {
                return Ok(true);
            }
        }
    }
}

/// Decimal text of an integer into a stack buffer.
pub(crate) fn itoa(buf: &mut [u8; 19], v: i64) -> &[u8] {
    if !(0..=999_999_999_999_999_999).contains(&v) {
        // rare in ids: fall back to the allocating formatter's bytes via a leak-free path
        let s = v.to_string();
        let n = s.len().min(19);
        buf[..n].copy_from_slice(&s.as_bytes()[..n]);
        return &buf[..n];
    }
    let mut i = 19;
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

impl Pipe {
    /// Swaps the next record into `rec`; its line number and resolution, or None at the end.
    fn next(&mut self, rec: &mut ByteRecord) -> Result<Option<(u64, Resolved)>> {
        loop {
            if let Some(b) = &mut self.cur {
                if self.pos < b.len {
                    std::mem::swap(rec, &mut b.recs[self.pos]);
                    let line = (
                        b.lines[self.pos] + self.line_offset[self.cur_rx],
                        b.res[self.pos],
                    );
                    self.pos += 1;
                    return Ok(Some(line));
                }
                let b = self.cur.take().expect("batch");
                let (eof, end_group, next_line) = (b.eof, b.end_group, b.next_line);
                let _ = self.backs[self.cur_rx].send(b);
                if eof {
                    return Ok(None);
                }
                if end_group {
                    self.cur_rx = (self.cur_rx + 1) % self.rxs.len();
                    if next_line > 0 {
                        self.line_offset[self.cur_rx] = next_line - 1;
                    }
                }
            }
            match self.rxs[self.cur_rx].recv() {
                Ok(Ok(b)) => {
                    self.cur = Some(b);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // that reader has no more row groups: the file is done
                Err(_) => return Ok(None),
            }
        }
    }
}

/// Streams the rows of one table; `get(canonical column index)` gives the mapped value.
pub struct RowReader {
    pub file: String,
    width: usize,
    inner: Pipe,
    resolving: bool,
    idx: Vec<Option<usize>>,
    maps: Vec<Option<FxHashMap<Vec<u8>, Vec<u8>>>>,
    rec: ByteRecord,
    line: u64,
    malformed: Option<String>,
    resolved: Option<Resolved>,
}

impl RowReader {
    /// Reads the next row; false at the end. A row with the wrong number of fields is still
    /// returned, with `malformed()` set.
    pub fn next_row(&mut self) -> Result<bool> {
        self.malformed = None;
        let Some((line, res)) = self.inner.next(&mut self.rec)? else {
            return Ok(false);
        };
        self.line = line;
        self.resolved = self.resolving.then_some(res);
        if self.rec.len() != self.width {
            self.malformed = Some(format!(
                "{} fields where the header has {}",
                self.rec.len(),
                self.width
            ));
        }
        Ok(true)
    }

    /// Line number in a CSV file (the header is line 1); data row number + 1 in Parquet.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The user, patient and ts of the current events row when resolved on the reading thread.
    #[inline]
    pub fn resolved(&self) -> Option<Resolved> {
        self.resolved
    }

    pub fn malformed(&self) -> Option<&str> {
        self.malformed.as_deref()
    }

    /// The mapped, trimmed value of a canonical column ("" when absent).
    #[inline]
    pub fn get(&self, col: usize) -> &[u8] {
        let Some(i) = self.idx[col] else {
            return b"";
        };
        let v = self.rec.get(i).unwrap_or(b"").trim_ascii();
        if let Some(m) = &self.maps[col] {
            if let Some(x) = m.get(v) {
                return x;
            }
        }
        v
    }

    pub fn get_str(&self, col: usize) -> String {
        String::from_utf8_lossy(self.get(col)).into_owned()
    }
}

/// Parses a canonical boolean: 1/true/yes/y/t (any case) or 0/false/no/n/f/empty.
pub fn parse_bool(v: &[u8]) -> Option<bool> {
    let mut b = [0u8; 5];
    if v.len() > 5 {
        return None;
    }
    for (i, c) in v.iter().enumerate() {
        b[i] = c.to_ascii_lowercase();
    }
    match &b[..v.len()] {
        b"1" | b"true" | b"yes" | b"y" | b"t" => Some(true),
        b"" | b"0" | b"false" | b"no" | b"n" | b"f" => Some(false),
        _ => None,
    }
}

/// Converts a CSV file (header row) into a Parquet file of UTF-8 string columns (snappy), e.g.
/// to hand the engine a Parquet folder. Row groups of 128k rows; memory bounded by one group.
pub fn csv_to_parquet(csv_path: &Path, parquet_path: &Path) -> Result<u64> {
    csv_to_parquet_with(
        csv_path,
        parquet_path,
        parquet::basic::Compression::SNAPPY,
        false,
        128 * 1024,
    )
}

/// As `csv_to_parquet`, with a codec (e.g. `Compression::ZSTD(Default::default())`, the
/// default of pyarrow and DuckDB) and, when `typed`, the columns named like a canonical date
/// (`dob`, `deceased_date`, `start_date`, `leave_date`) as INT32 DATE and like a canonical
/// timestamp (`ts`, `start_ts`, `end_ts`) as INT64 TIMESTAMP(MICROS), both optional (empty =
/// null), as a typed export writes them. Row groups of `row_group_rows` rows.
pub fn csv_to_parquet_with(
    csv_path: &Path,
    parquet_path: &Path,
    compression: parquet::basic::Compression,
    typed: bool,
    row_group_rows: usize,
) -> Result<u64> {
    csv_to_parquet_encoded(
        csv_path,
        parquet_path,
        compression,
        typed,
        row_group_rows,
        StringEncoding::Dictionary,
    )
}

/// How `csv_to_parquet_encoded` encodes the values of a column chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringEncoding {
    /// A dictionary page and dictionary-encoded data pages (the writer's default).
    Dictionary,
    /// Plain-encoded data pages, no dictionary.
    Plain,
    /// A dictionary of a few bytes, then plain pages once it is full (the writer's fallback),
    /// in data pages of two rows: both kinds of page within one column chunk.
    DictionaryThenPlain,
}

/// As `csv_to_parquet_with`, with the encoding of the column chunks.
pub fn csv_to_parquet_encoded(
    csv_path: &Path,
    parquet_path: &Path,
    compression: parquet::basic::Compression,
    typed: bool,
    row_group_rows: usize,
    encoding: StringEncoding,
) -> Result<u64> {
    use parquet::data_type::{Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    let mut r = csv::ReaderBuilder::new()
        .from_path(csv_path)
        .with_context(|| format!("opening {}", csv_path.display()))?;
    let header: Vec<String> = r.headers()?.iter().map(|h| h.trim().to_string()).collect();
    for h in &header {
        if h.is_empty() || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!(
                "{}: column name {h:?} cannot be a Parquet field here",
                csv_path.display()
            );
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum K {
        S,
        D,
        T,
    }
    let kinds: Vec<K> = header
        .iter()
        .map(|h| match h.as_str() {
            _ if !typed => K::S,
            "dob" | "deceased_date" | "start_date" | "leave_date" => K::D,
            "ts" | "start_ts" | "end_ts" => K::T,
            _ => K::S,
        })
        .collect();
    let msg = format!(
        "message schema {{ {} }}",
        header
            .iter()
            .zip(&kinds)
            .map(|(h, k)| match k {
                K::S => format!("REQUIRED BYTE_ARRAY {h} (UTF8);"),
                K::D => format!("OPTIONAL INT32 {h} (DATE);"),
                K::T => format!("OPTIONAL INT64 {h} (TIMESTAMP(MICROS,false));"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    );
    let schema = Arc::new(parse_message_type(&msg)?);
    let props = WriterProperties::builder().set_compression(compression);
    let props = Arc::new(
        match encoding {
            StringEncoding::Dictionary => props,
            StringEncoding::Plain => props.set_dictionary_enabled(false),
            StringEncoding::DictionaryThenPlain => props
                .set_dictionary_page_size_limit(12)
                .set_data_page_row_count_limit(2)
                .set_write_batch_size(2),
        }
        .build(),
    );
    let file = File::create(parquet_path)
        .with_context(|| format!("creating {}", parquet_path.display()))?;
    let mut w = SerializedFileWriter::new(file, schema, props)?;
    let (dp, tp) = (TimeParser::default_date(), TimeParser::default_ts());
    // per column: strings, or (present values, definition levels)
    let mut cols: Vec<Vec<ByteArray>> = vec![Vec::new(); header.len()];
    let mut nums: Vec<(Vec<i64>, Vec<i16>)> = vec![(Vec::new(), Vec::new()); header.len()];
    let mut rec = ByteRecord::new();
    let mut rows = 0u64;
    let mut pending = 0usize;
    let flush = |w: &mut SerializedFileWriter<File>,
                 cols: &mut Vec<Vec<ByteArray>>,
                 nums: &mut Vec<(Vec<i64>, Vec<i16>)>,
                 pending: &mut usize|
     -> Result<()> {
        if *pending == 0 {
            return Ok(());
        }
        let mut rg = w.next_row_group()?;
        let mut i = 0;
        while let Some(mut col) = rg.next_column()? {
            match kinds[i] {
                K::S => {
                    col.typed::<ByteArrayType>()
                        .write_batch(&cols[i], None, None)?;
                }
                K::D => {
                    let v: Vec<i32> = nums[i].0.iter().map(|&x| x as i32).collect();
                    col.typed::<Int32Type>()
                        .write_batch(&v, Some(&nums[i].1), None)?;
                }
                K::T => {
                    col.typed::<Int64Type>()
                        .write_batch(&nums[i].0, Some(&nums[i].1), None)?;
                }
            }
            col.close()?;
            cols[i].clear();
            nums[i].0.clear();
            nums[i].1.clear();
            i += 1;
        }
        rg.close()?;
        *pending = 0;
        Ok(())
    };
    while r.read_byte_record(&mut rec)? {
        for (i, k) in kinds.iter().enumerate() {
            let v = rec.get(i).unwrap_or(b"");
            match k {
                K::S => cols[i].push(ByteArray::from(v.to_vec())),
                K::D | K::T => {
                    let v = v.trim_ascii();
                    let parsed = if *k == K::D {
                        dp.parse(v).map(crate::time::day_of)
                    } else {
                        tp.parse(v).map(|t| t * 1_000_000)
                    };
                    match parsed {
                        Some(x) => {
                            nums[i].0.push(x);
                            nums[i].1.push(1);
                        }
                        None if v.is_empty() => nums[i].1.push(0),
                        None => bail!(
                            "{}: {} {:?} is not a date/timestamp",
                            csv_path.display(),
                            header[i],
                            String::from_utf8_lossy(v)
                        ),
                    }
                }
            }
        }
        rows += 1;
        pending += 1;
        if pending >= row_group_rows.max(1) {
            flush(&mut w, &mut cols, &mut nums, &mut pending)?;
        }
    }
    flush(&mut w, &mut cols, &mut nums, &mut pending)?;
    w.close()?;
    Ok(rows)
}
