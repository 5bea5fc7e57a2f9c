//! The five canonical tables (shared/reference/access-audit-rules.md, "Canonical tables") and
//! a row reader over CSV or Parquet that applies a mapping (column names, code values).
//!
//! A file that does not map is refused before any row is evaluated: a missing column, or a date
//! column whose first value matches none of the formats ("unknown date format").

use crate::config::{Mapping, TableMapping};
use crate::time::{fmt_date, fmt_ts, TimeParser};
use anyhow::{bail, Context, Result};
use csv::ByteRecord;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use rustc_hash::FxHashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

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
}

fn is_parquet(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

impl TableSource {
    pub fn resolve(dir: &Path, mapping: Option<&Mapping>, table: Table) -> Result<TableSource> {
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
                    (true, true) => bail!(
                        "{}: both {}.csv and {}.parquet exist; keep one or name the file in the mapping",
                        dir.display(), table.name(), table.name()
                    ),
                    (false, false) => bail!(
                        "{}: no {}.csv or {}.parquet (and no file for table {} in the mapping)",
                        dir.display(), table.name(), table.name(), table.name()
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

    /// As `open`; for the events table of a CSV file, `resolver` looks up the user, the patient
    /// and parses ts on the parsing thread (see `RowReader::resolved`).
    pub fn open_with(&self, resolver: Option<EventResolver>) -> Result<RowReader> {
        let mut pending_csv = None;
        let (inner, header) = if self.parquet {
            let f = File::open(&self.path)
                .with_context(|| format!("opening {}", self.path.display()))?;
            let r = SerializedFileReader::new(f)
                .with_context(|| format!("{}: not a Parquet file", self.path.display()))?;
            let header: Vec<String> = r
                .metadata()
                .file_metadata()
                .schema_descr()
                .root_schema()
                .get_fields()
                .iter()
                .map(|f| f.name().to_string())
                .collect();
            (Some(Inner::Parquet(Box::new(r.into_iter()))), header)
        } else {
            let f = File::open(&self.path)
                .with_context(|| format!("opening {}", self.path.display()))?;
            let mut r = csv::ReaderBuilder::new()
                .delimiter(self.delimiter)
                .flexible(true)
                .buffer_capacity(1 << 20)
                .from_reader(BufReader::with_capacity(1 << 20, f));
            let header: Vec<String> = r
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
            pending_csv = Some(r);
            (None, header)
        };
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
        let inner = match (inner, pending_csv) {
            (Some(i), _) => i,
            (None, Some(r)) => {
                let t = Table::Events;
                let key_cols = [t.col("user_id"), t.col("patient_id"), t.col("ts")];
                // only when the three columns need no code-value mapping
                let resolver = resolver.filter(|_| {
                    self.table == Table::Events && key_cols.iter().all(|&c| self.maps[c].is_none())
                });
                let cols = key_cols.map(|c| idx[c]);
                Inner::Csv(spawn_csv_reader(
                    r,
                    self.file_name(),
                    resolver.map(|r| (r, cols)),
                ))
            }
            (None, None) => unreachable!("csv or parquet"),
        };
        Ok(RowReader {
            resolved: None,
            file: self.file_name(),
            width: header.len(),
            inner,
            idx,
            maps: self.maps.clone(),
            rec: ByteRecord::new(),
            line: 1,
            malformed: None,
        })
    }
}

enum Inner {
    Csv(CsvPipe),
    Parquet(Box<parquet::record::reader::RowIter<'static>>),
}

/// Rows per batch handed from the parsing thread to the evaluating thread.
const BATCH: usize = 4096;

struct Batch {
    recs: Vec<ByteRecord>,
    lines: Vec<u64>,
    res: Vec<Resolved>,
    len: usize,
}

/// What the parsing thread resolves for an event row: its user, patient and timestamp.
#[derive(Clone)]
pub struct EventResolver {
    pub users: std::sync::Arc<crate::data::IdIndex>,
    pub patients: std::sync::Arc<crate::data::IdIndex>,
    pub ts: TimeParser,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub user: Option<u32>,
    pub patient: Option<u32>,
    pub ts: Option<crate::time::Ts>,
}

/// CSV parsing runs on its own thread (the second core) and hands batches of records over a
/// bounded channel (at most 4 batches in flight: memory stays bounded); emptied batches come
/// back to be refilled, so records are not reallocated.
struct CsvPipe {
    rx: std::sync::mpsc::Receiver<Result<Batch>>,
    back: std::sync::mpsc::Sender<Batch>,
    cur: Option<Batch>,
    pos: usize,
    resolving: bool,
}

fn spawn_csv_reader(
    mut r: csv::Reader<BufReader<File>>,
    file: String,
    resolver: Option<(EventResolver, [Option<usize>; 3])>,
) -> CsvPipe {
    let resolving = resolver.is_some();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Batch>>(2);
    let (back, back_rx) = std::sync::mpsc::channel::<Batch>();
    std::thread::spawn(move || loop {
        let mut b = back_rx.try_recv().unwrap_or_else(|_| Batch {
            recs: Vec::with_capacity(BATCH),
            lines: Vec::with_capacity(BATCH),
            res: Vec::new(),
            len: 0,
        });
        b.len = 0;
        while b.len < BATCH {
            if b.recs.len() == b.len {
                b.recs.push(ByteRecord::new());
                b.lines.push(0);
                b.res.push(Resolved::default());
            }
            match r.read_byte_record(&mut b.recs[b.len]) {
                Ok(true) => {
                    let rec = &b.recs[b.len];
                    b.lines[b.len] = rec.position().map(|p| p.line()).unwrap_or(0);
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
        let done = b.len < BATCH;
        if tx.send(Ok(b)).is_err() || done {
            return;
        }
    });
    CsvPipe {
        rx,
        back,
        cur: None,
        pos: 0,
        resolving,
    }
}

impl CsvPipe {
    /// Swaps the next record into `rec`; its line number, or None at the end.
    fn next(&mut self, rec: &mut ByteRecord) -> Result<Option<(u64, Resolved)>> {
        loop {
            if let Some(b) = &mut self.cur {
                if self.pos < b.len {
                    std::mem::swap(rec, &mut b.recs[self.pos]);
                    let line = (b.lines[self.pos], b.res[self.pos]);
                    self.pos += 1;
                    return Ok(Some(line));
                }
                let b = self.cur.take().expect("batch");
                let _ = self.back.send(b);
            }
            match self.rx.recv() {
                Ok(Ok(b)) => {
                    if b.len == 0 {
                        return Ok(None);
                    }
                    self.cur = Some(b);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(None),
            }
        }
    }
}

/// Streams the rows of one table; `get(canonical column index)` gives the mapped value.
pub struct RowReader {
    pub file: String,
    width: usize,
    inner: Inner,
    idx: Vec<Option<usize>>,
    maps: Vec<Option<FxHashMap<Vec<u8>, Vec<u8>>>>,
    rec: ByteRecord,
    line: u64,
    malformed: Option<String>,
    resolved: Option<Resolved>,
}

fn push_field(rec: &mut ByteRecord, f: &Field) {
    match f {
        Field::Null => rec.push_field(b""),
        Field::Str(s) => rec.push_field(s.as_bytes()),
        Field::Bytes(b) => rec.push_field(b.data()),
        Field::Date(d) => rec.push_field(fmt_date(*d as i64).as_bytes()),
        Field::TimestampMillis(ms) => rec.push_field(fmt_ts(ms.div_euclid(1000)).as_bytes()),
        Field::TimestampMicros(us) => rec.push_field(fmt_ts(us.div_euclid(1_000_000)).as_bytes()),
        other => rec.push_field(other.to_string().as_bytes()),
    }
}

impl RowReader {
    /// Reads the next row; false at the end. A row with the wrong number of fields is still
    /// returned, with `malformed()` set.
    pub fn next_row(&mut self) -> Result<bool> {
        self.malformed = None;
        match &mut self.inner {
            Inner::Csv(pipe) => {
                let Some((line, res)) = pipe.next(&mut self.rec)? else {
                    return Ok(false);
                };
                self.line = line;
                self.resolved = pipe.resolving.then_some(res);
                if self.rec.len() != self.width {
                    self.malformed = Some(format!(
                        "{} fields where the header has {}",
                        self.rec.len(),
                        self.width
                    ));
                }
                Ok(true)
            }
            Inner::Parquet(it) => match it.next() {
                None => Ok(false),
                Some(row) => {
                    let row = row.with_context(|| format!("{}: reading Parquet", self.file))?;
                    self.rec.clear();
                    for (_, f) in row.get_column_iter() {
                        push_field(&mut self.rec, f);
                    }
                    self.line += 1;
                    Ok(true)
                }
            },
        }
    }

    /// Line number in a CSV file (the header is line 1); data row number + 1 in Parquet.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The user, patient and ts of the current events row when resolved on the parsing thread.
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
    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

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
    let msg = format!(
        "message schema {{ {} }}",
        header
            .iter()
            .map(|h| format!("REQUIRED BYTE_ARRAY {h} (UTF8);"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let schema = Arc::new(parse_message_type(&msg)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let file = File::create(parquet_path)
        .with_context(|| format!("creating {}", parquet_path.display()))?;
    let mut w = SerializedFileWriter::new(file, schema, props)?;
    let mut cols: Vec<Vec<ByteArray>> = vec![Vec::new(); header.len()];
    let mut rec = ByteRecord::new();
    let mut rows = 0u64;
    let flush =
        |w: &mut SerializedFileWriter<File>, cols: &mut Vec<Vec<ByteArray>>| -> Result<()> {
            if cols[0].is_empty() {
                return Ok(());
            }
            let mut rg = w.next_row_group()?;
            let mut i = 0;
            while let Some(mut col) = rg.next_column()? {
                col.typed::<ByteArrayType>()
                    .write_batch(&cols[i], None, None)?;
                col.close()?;
                cols[i].clear();
                i += 1;
            }
            rg.close()?;
            Ok(())
        };
    while r.read_byte_record(&mut rec)? {
        for (i, c) in cols.iter_mut().enumerate() {
            c.push(ByteArray::from(rec.get(i).unwrap_or(b"").to_vec()));
        }
        rows += 1;
        if rows & (128 * 1024 - 1) == 0 {
            flush(&mut w, &mut cols)?;
        }
    }
    flush(&mut w, &mut cols)?;
    w.close()?;
    Ok(rows)
}
