//! Decoding the events once, into a compact resolved form.
//!
//! The events file is cut into work units (a CSV file into blocks of a few MB split at line
//! ends; a Parquet file into its row groups), decoded by one thread per core. Each unit becomes
//! a `Chunk`: per evaluated event its user index, patient index, timestamp and the mask of
//! every rule but VOLUME (those rules need nothing the whole file decides), plus its event id
//! bytes; the VOLUME keys of the unit (sorted, distinct); the rejected rows as issues; the
//! counters. Chunks are handed over in file order.
//!
//! When VOLUME is on, the chunks are kept (in memory up to a budget, then in an unlinked spill
//! file) and read back for the flags once the percentile thresholds are known: the file is
//! parsed and its ids looked up once, not twice.

use crate::data::Reference;
use crate::table::{fmt_into, itoa, Table, TableSource};
use crate::time::{TimeParser, Ts, DAY};
use anyhow::{bail, Context, Result};
use arrow_array::Array;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

/// What a decoding thread needs to judge a row: every rule but VOLUME.
pub(crate) trait Judge: Sync {
    /// Fills `mask` (bit `Rule::index` per rule an event breaks), `explained` and `vol_keys`
    /// (unsorted) of a chunk whose `user`, `patient` and `ts` are decoded.
    fn judge_all(&self, c: &mut Chunk) -> Result<()>;
}

/// One decoded work unit.
#[derive(Default, Debug)]
pub(crate) struct Chunk {
    /// Rows read (evaluated or rejected).
    pub rows: u64,
    /// Line number of the unit's relative line 0 (CSV: set when handed over).
    pub line_base: u64,
    pub user: Vec<u32>,
    pub patient: Vec<u32>,
    pub ts: Vec<i64>,
    pub mask: Vec<u16>,
    /// Per evaluated event: its id, length-prefixed (`put_id`).
    pub ids: Vec<u8>,
    /// VOLUME keys of the unit, sorted and distinct.
    pub vol_keys: Vec<u64>,
    /// Rejected rows: (relative line, reason), in order.
    pub rejects: Vec<(u64, String)>,
    pub explained: u64,
    /// CSV: where the unit's records end (the next unit's first record) and the line ends in
    /// it.
    pub end: u64,
    pub newlines: u64,
}

const ID_LONG: u8 = 0xFF;
const ID_EMPTY: u8 = 0xFE;

impl Chunk {
    fn put_id(&mut self, id: &[u8], rel_line: u64) {
        if id.is_empty() {
            self.ids.push(ID_EMPTY);
            self.ids.extend_from_slice(&rel_line.to_le_bytes());
        } else if id.len() < ID_EMPTY as usize {
            self.ids.push(id.len() as u8);
            self.ids.extend_from_slice(id);
        } else {
            self.ids.push(ID_LONG);
            self.ids.extend_from_slice(&(id.len() as u32).to_le_bytes());
            self.ids.extend_from_slice(id);
        }
    }

    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// Empties the chunk, keeping its buffers.
    fn reset(&mut self) {
        self.rows = 0;
        self.line_base = 0;
        self.user.clear();
        self.patient.clear();
        self.ts.clear();
        self.mask.clear();
        self.ids.clear();
        self.vol_keys.clear();
        self.rejects.clear();
        self.explained = 0;
        self.end = 0;
        self.newlines = 0;
    }

    fn shrink(&mut self) {
        self.user.shrink_to_fit();
        self.patient.shrink_to_fit();
        self.ts.shrink_to_fit();
        self.mask.shrink_to_fit();
        self.ids.shrink_to_fit();
    }

    fn bytes(&self) -> usize {
        self.len() * 18 + self.ids.len() + self.vol_keys.len() * 8
    }
}

/// Reads the ids of a chunk in order.
pub(crate) struct IdCursor<'a> {
    ids: &'a [u8],
    pos: usize,
    line_base: u64,
}

impl<'a> IdCursor<'a> {
    pub fn new(c: &'a Chunk) -> Self {
        IdCursor {
            ids: &c.ids,
            pos: 0,
            line_base: c.line_base,
        }
    }
    /// The next id; an empty id is `<line N>`.
    #[inline]
    pub fn next_id(&mut self) -> std::borrow::Cow<'a, str> {
        let b = self.ids[self.pos];
        self.pos += 1;
        let (len, at) = match b {
            ID_EMPTY => {
                let rel = u64::from_le_bytes(self.ids[self.pos..self.pos + 8].try_into().unwrap());
                self.pos += 8;
                return format!("<line {}>", self.line_base + rel).into();
            }
            ID_LONG => {
                let n = u32::from_le_bytes(self.ids[self.pos..self.pos + 4].try_into().unwrap());
                self.pos += 4;
                (n as usize, self.pos)
            }
            n => (n as usize, self.pos),
        };
        self.pos += len;
        String::from_utf8_lossy(&self.ids[at..at + len])
    }
    /// Skips the next id.
    #[inline]
    pub fn skip(&mut self) {
        let b = self.ids[self.pos];
        self.pos += 1;
        self.pos += match b {
            ID_EMPTY => 8,
            ID_LONG => {
                4 + u32::from_le_bytes(self.ids[self.pos..self.pos + 4].try_into().unwrap())
                    as usize
            }
            n => n as usize,
        };
    }
}

/// The columns of the events file a decoder reads, and how to read them.
struct Cols<'a> {
    rf: &'a Reference,
    src: &'a TableSource,
    tsp: &'a TimeParser,
    /// Positions in the file of event_id, ts, user_id, patient_id.
    id: Option<usize>,
    ts: Option<usize>,
    user: Option<usize>,
    patient: Option<usize>,
    width: usize,
}

impl<'a> Cols<'a> {
    fn new(
        rf: &'a Reference,
        src: &'a TableSource,
        tsp: &'a TimeParser,
        header: &[String],
    ) -> Result<Cols<'a>> {
        let t = Table::Events;
        let idx = src.column_positions(header)?;
        Ok(Cols {
            rf,
            src,
            tsp,
            id: idx[t.col("event_id")],
            ts: idx[t.col("ts")],
            user: idx[t.col("user_id")],
            patient: idx[t.col("patient_id")],
            width: header.len(),
        })
    }

    /// The mapped value of canonical column `col` (the value as read, trimmed).
    #[inline]
    fn mapped<'v>(&'v self, col: usize, v: &'v [u8]) -> &'v [u8] {
        let v = v.trim_ascii();
        match self.src.value_map(col).and_then(|m| m.get(v)) {
            Some(x) => x,
            None => v,
        }
    }

    /// Judges one row and adds it to the chunk (or its rejection).
    #[inline]
    fn push(
        &self,
        c: &mut Chunk,
        rel: u64,
        id: &[u8],
        user: &[u8],
        patient: &[u8],
        ts: TsIn,
    ) -> Result<()> {
        let t = Table::Events;
        let user = self.who(t.col("user_id"), user, &self.rf.user_ix);
        let patient = self.who(t.col("patient_id"), patient, &self.rf.patient_ix);
        self.push_resolved(c, rel, id, user, patient, ts)
    }
}

#[derive(Clone, Copy)]
enum TsIn<'a> {
    Native(Ts),
    Text(&'a [u8]),
}

/// About how many rows the events file holds (Parquet: exactly; CSV: from the size and the
/// first rows), to size buffers.
pub(crate) fn rows_hint(src: &TableSource) -> u64 {
    let hint = || -> Result<u64> {
        if src.parquet {
            use parquet::file::reader::FileReader;
            let r = parquet::file::reader::SerializedFileReader::new(File::open(&src.path)?)?;
            return Ok(r.metadata().file_metadata().num_rows().max(0) as u64);
        }
        let len = std::fs::metadata(&src.path)?.len();
        let mut head = vec![0u8; 1 << 16];
        let n = File::open(&src.path)?.read(&mut head)?;
        let lines = head[..n].iter().filter(|&&c| c == b'\n').count() as u64;
        Ok(if lines < 2 {
            len / 32
        } else {
            len * lines / n as u64
        })
    };
    hint().unwrap_or(0)
}

/// Bytes per CSV work unit.
pub(crate) fn csv_block() -> u64 {
    std::env::var("STEWARD_AUDIT_CSV_BLOCK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4 << 20)
        .max(1)
}

fn threads() -> usize {
    crate::table::parquet_threads()
}

/// A work unit: a CSV byte range or a Parquet row group.
#[derive(Clone, Copy, Debug)]
enum Unit {
    Csv { start: u64, end: u64 },
    Group { g: usize, first_row: u64 },
}

/// Decodes the events file with one thread per core, calling `on_chunk` for every unit in file
/// order; a chunk `on_chunk` hands back is reused (its buffers are not allocated again). Returns the rows read.
pub(crate) fn decode(
    rf: &Reference,
    src: &TableSource,
    judge: &dyn Judge,
    block: u64,
    on_chunk: &mut dyn FnMut(Chunk) -> Result<Option<Chunk>>,
) -> Result<()> {
    let tsp = src.parsers[Table::Events.col("ts")]
        .as_ref()
        .expect("ts parser");
    // header and units
    let (header, units, data_line): (Vec<String>, Vec<Unit>, u64) = if src.parquet {
        let f = File::open(&src.path).with_context(|| format!("opening {}", src.path.display()))?;
        let r = parquet::file::reader::SerializedFileReader::new(f)
            .with_context(|| format!("{}: not a Parquet file", src.path.display()))?;
        use parquet::file::reader::FileReader;
        let md = r.metadata();
        let h = md
            .file_metadata()
            .schema_descr()
            .root_schema()
            .get_fields()
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        let mut units = Vec::new();
        let mut acc = 0u64;
        for g in 0..md.num_row_groups() {
            units.push(Unit::Group { g, first_row: acc });
            acc += md.row_group(g).num_rows() as u64;
        }
        (h, units, 0)
    } else {
        let f = File::open(&src.path).with_context(|| format!("opening {}", src.path.display()))?;
        let mut r = csv::ReaderBuilder::new()
            .delimiter(src.delimiter())
            .flexible(true)
            .from_reader(BufReader::with_capacity(1 << 16, f));
        let h: Vec<String> = r
            .byte_headers()
            .with_context(|| format!("{}: reading header", src.path.display()))?
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect();
        let pos = r.position().clone();
        let len = std::fs::metadata(&src.path)?.len();
        let start = pos.byte();
        let block = block.max(1);
        let mut units = Vec::new();
        let mut a = start;
        while a < len {
            let b = if len - a <= block + block / 2 {
                len
            } else {
                line_start_after(&src.path, a + block)?.unwrap_or(len)
            };
            units.push(Unit::Csv { start: a, end: b });
            a = b;
        }
        (h, units, pos.line())
    };
    let cols = Cols::new(rf, src, tsp, &header)?;
    let plan = if src.parquet {
        let f = File::open(&src.path).with_context(|| format!("opening {}", src.path.display()))?;
        let md = parquet::file::metadata::ParquetMetaDataReader::new()
            .parse_and_finish(&f)
            .with_context(|| format!("{}: not a Parquet file", src.path.display()))?;
        arrow_plan(&std::sync::Arc::new(md), &cols)
    } else {
        None
    };
    let n = units.len();
    let nthreads = threads().min(n.max(1));
    let window = nthreads * 2 + 1;
    let next = AtomicUsize::new(0);
    let consumed = Mutex::new(0usize);
    let cv = Condvar::new();
    let abort = AtomicBool::new(false);
    let pool: Mutex<Vec<Chunk>> = Mutex::new(Vec::new());
    let (tx, rx) = mpsc::channel::<(usize, Result<Chunk>)>();
    let file = src.file_name();
    std::thread::scope(|s| -> Result<()> {
        for _ in 0..nthreads {
            let tx = tx.clone();
            let (next, consumed, cv, abort, units, cols, file, pool, plan) = (
                &next, &consumed, &cv, &abort, &units, &cols, &file, &pool, &plan,
            );
            s.spawn(move || {
                let mut pq: Option<parquet::file::reader::SerializedFileReader<File>> = None;
                let mut pq_file: Option<File> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= units.len() {
                        return;
                    }
                    {
                        let mut c = consumed.lock().unwrap();
                        while i >= *c + window && !abort.load(Ordering::SeqCst) {
                            c = cv.wait(c).unwrap();
                        }
                    }
                    if abort.load(Ordering::SeqCst) {
                        return;
                    }
                    let mut recycled = pool.lock().unwrap().pop().unwrap_or_default();
                    let res = match units[i] {
                        Unit::Csv { start, end } => decode_csv(cols, judge, start, end, recycled),
                        Unit::Group { g, first_row } => (|| {
                            if let Some(plan) = plan {
                                if pq_file.is_none() {
                                    pq_file = Some(File::open(&cols.src.path)?);
                                }
                                let f = pq_file.as_ref().unwrap();
                                match decode_group_arrow(
                                    cols, judge, plan, f, g, first_row, recycled,
                                ) {
                                    Ok(c) => return Ok(c),
                                    // what the arrow reader refuses (invalid UTF-8 in a UTF8
                                    // column) the column readers read, as before
                                    Err(_) => recycled = Chunk::default(),
                                }
                            }
                            if pq.is_none() {
                                let f = File::open(&cols.src.path)?;
                                pq = Some(parquet::file::reader::SerializedFileReader::new(f)?);
                            }
                            decode_group(cols, judge, pq.as_ref().unwrap(), g, first_row, recycled)
                        })(),
                    };
                    let res = res.map_err(|e| e.context(format!("{file}: reading events")));
                    if tx.send((i, res)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, Result<Chunk>> = BTreeMap::new();
        let mut want = 0usize;
        let mut csv_at = match units.first() {
            Some(Unit::Csv { start, .. }) => *start,
            _ => 0,
        };
        let mut line = data_line;
        let finish = |r: Result<()>| {
            abort.store(true, Ordering::SeqCst);
            cv.notify_all();
            r
        };
        while want < n {
            let Some(res) = pending.remove(&want) else {
                match rx.recv() {
                    Ok((i, r)) => {
                        pending.insert(i, r);
                        continue;
                    }
                    Err(_) => return finish(Err(anyhow::anyhow!("internal: a decoder stopped"))),
                }
            };
            let unit = units[want];
            want += 1;
            {
                *consumed.lock().unwrap() = want;
                cv.notify_all();
            }
            let chunk = match unit {
                Unit::Group { .. } => res,
                Unit::Csv { start, end } => {
                    if csv_at >= end {
                        // the previous unit read past this one (a quoted line break at the cut)
                        continue;
                    }
                    let res = if start == csv_at {
                        res
                    } else {
                        decode_csv(&cols, judge, csv_at, end, Chunk::default())
                            .map_err(|e| e.context(format!("{file}: reading events")))
                    };
                    res.map(|mut c| {
                        c.line_base = line - 1;
                        line += c.newlines;
                        csv_at = c.end;
                        c
                    })
                }
            };
            match chunk {
                Ok(c) => match on_chunk(c) {
                    Ok(Some(c)) => pool.lock().unwrap().push(c),
                    Ok(None) => {}
                    Err(e) => return finish(Err(e)),
                },
                Err(e) => return finish(Err(e)),
            }
        }
        finish(Ok(()))
    })
}

/// The byte offset of the first line start after `at` (None: no line end after it).
fn line_start_after(path: &Path, at: u64) -> Result<Option<u64>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(at))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut pos = at;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = buf[..n].iter().position(|&c| c == b'\n') {
            return Ok(Some(pos + i as u64 + 1));
        }
        pos += n as u64;
    }
}

/// Decodes the CSV records that start in `[start, stop)` (the last may run past `stop`);
/// `end` of the chunk is where the next record starts.
fn decode_csv(
    cols: &Cols,
    judge: &dyn Judge,
    start: u64,
    stop: u64,
    recycled: Chunk,
) -> Result<Chunk> {
    let mut f = File::open(&cols.src.path)?;
    f.seek(SeekFrom::Start(start))?;
    let mut r = csv::ReaderBuilder::new()
        .delimiter(cols.src.delimiter())
        .flexible(true)
        .has_headers(false)
        .buffer_capacity(1 << 16)
        .from_reader(BufReader::with_capacity(1 << 16, f));
    let mut c = recycled;
    c.reset();
    let cap = ((stop - start) / 64) as usize;
    c.user.reserve(cap);
    c.patient.reserve(cap);
    c.ts.reserve(cap);
    c.mask.reserve(cap);
    let mut rec = csv::ByteRecord::new();
    fn get(rec: &csv::ByteRecord, i: Option<usize>) -> &[u8] {
        match i {
            Some(i) => rec.get(i).unwrap_or(b""),
            None => b"",
        }
    }
    loop {
        if !r.read_byte_record(&mut rec)? {
            let p = r.position();
            c.end = start + p.byte();
            c.newlines = p.line() - 1;
            break;
        }
        let p = rec.position().expect("position");
        if start + p.byte() >= stop {
            c.end = start + p.byte();
            c.newlines = p.line() - 1;
            break;
        }
        let rel = p.line();
        if rec.len() != cols.width {
            c.rows += 1;
            c.rejects.push((
                rel,
                format!("{} fields where the header has {}", rec.len(), cols.width),
            ));
            continue;
        }
        cols.push(
            &mut c,
            rel,
            get(&rec, cols.id),
            get(&rec, cols.user),
            get(&rec, cols.patient),
            TsIn::Text(get(&rec, cols.ts)),
        )?;
    }
    judge.judge_all(&mut c)?;
    c.vol_keys.sort_unstable();
    c.vol_keys.dedup();
    Ok(c)
}

/// One projected Parquet column's values for a batch.
enum Vals {
    Absent,
    Bytes(Vec<parquet::data_type::ByteArray>),
    Fixed(Vec<parquet::data_type::FixedLenByteArray>),
    /// Values, and whether they are dates (days).
    I32(Vec<i32>, bool),
    /// Values, and the divisor to seconds of a timestamp.
    I64(Vec<i64>, Option<i64>),
    I96(Vec<parquet::data_type::Int96>),
    Bool(Vec<bool>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

struct PqCol {
    reader: Option<parquet::column::reader::ColumnReader>,
    vals: Vals,
    defs: Vec<i16>,
    max_def: i16,
    /// Next value in `vals`.
    at: usize,
}

enum Val<'a> {
    Null,
    Bytes(&'a [u8]),
    Ts(Ts),
}

impl PqCol {
    fn new(rg: &dyn parquet::file::reader::RowGroupReader, c: Option<usize>) -> Result<PqCol> {
        use parquet::basic::{ConvertedType, LogicalType, TimeUnit};
        use parquet::column::reader::ColumnReader as R;
        let Some(c) = c else {
            return Ok(PqCol {
                reader: None,
                vals: Vals::Absent,
                defs: Vec::new(),
                max_def: 0,
                at: 0,
            });
        };
        let descr = rg.metadata().column(c).column_descr();
        let max_def = descr.max_def_level();
        let lt = descr.logical_type_ref().cloned();
        let ct = descr.converted_type();
        let reader = rg.get_column_reader(c)?;
        let vals = match &reader {
            R::ByteArrayColumnReader(_) => Vals::Bytes(Vec::new()),
            R::FixedLenByteArrayColumnReader(_) => Vals::Fixed(Vec::new()),
            R::Int32ColumnReader(_) => Vals::I32(
                Vec::new(),
                matches!(lt, Some(LogicalType::Date)) || ct == ConvertedType::DATE,
            ),
            R::Int64ColumnReader(_) => Vals::I64(
                Vec::new(),
                match &lt {
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
                },
            ),
            R::Int96ColumnReader(_) => Vals::I96(Vec::new()),
            R::BoolColumnReader(_) => Vals::Bool(Vec::new()),
            R::FloatColumnReader(_) => Vals::F32(Vec::new()),
            R::DoubleColumnReader(_) => Vals::F64(Vec::new()),
        };
        Ok(PqCol {
            reader: Some(reader),
            vals,
            defs: Vec::new(),
            max_def,
            at: 0,
        })
    }

    /// Reads the next `want` rows.
    fn read(&mut self, want: usize) -> Result<()> {
        use parquet::column::reader::ColumnReader as R;
        self.at = 0;
        self.defs.clear();
        let Some(reader) = &mut self.reader else {
            return Ok(());
        };
        let defs = (self.max_def > 0).then_some(&mut self.defs);
        let got = match (reader, &mut self.vals) {
            (R::ByteArrayColumnReader(x), Vals::Bytes(v)) => {
                v.clear();
                x.read_records(want, defs, None, v)?.0
            }
            (R::FixedLenByteArrayColumnReader(x), Vals::Fixed(v)) => {
                v.clear();
                x.read_records(want, defs, None, v)?.0
            }
            (R::Int32ColumnReader(x), Vals::I32(v, _)) => {
                v.clear();
                x.read_records(want, defs, None, v)?.0
            }
            (R::Int64ColumnReader(x), Vals::I64(v, _)) => {
                v.clear();
                x.read_records(want, defs, None, v)?.0
            }
            (R::Int96ColumnReader(x), Vals::I96(v)) => {
                v.clear();
                x.read_records(want, defs, None, v)?.0
            }
            (R::BoolColumnReader(x), Vals::Bool(v)) => {
                v.clear();
                x.read_records(want, defs, None, v)?.0
            }
            (R::FloatColumnReader(x), Vals::F32(v)) => {
                v.clear();
                x.read_records(want, defs, None, v)?.0
            }
            (R::DoubleColumnReader(x), Vals::F64(v)) => {
                v.clear();
                x.read_records(want, defs, None, v)?.0
            }
            _ => unreachable!("reader and values of one type"),
        };
        if got != want {
            bail!("a column has {got} rows where {want} were expected");
        }
        Ok(())
    }

    /// The value of row `row` of the batch (rows must be asked in order); numbers as text in
    /// `buf`, except a timestamp or date read for `ts` (`native`).
    #[inline]
    fn value<'a>(&'a mut self, row: usize, buf: &'a mut [u8; 19], native: bool) -> Val<'a> {
        if matches!(self.vals, Vals::Absent) {
            return Val::Bytes(b"");
        }
        if self.max_def > 0 && self.defs[row] != self.max_def {
            return Val::Null;
        }
        let i = self.at;
        self.at += 1;
        match &self.vals {
            Vals::Absent => Val::Bytes(b""),
            Vals::Bytes(v) => Val::Bytes(v[i].data()),
            Vals::Fixed(v) => Val::Bytes(v[i].data()),
            Vals::I32(v, true) => {
                let t = v[i] as i64 * DAY;
                if native {
                    return Val::Ts(t);
                }
                let n = fmt_into(buf, t, false);
                Val::Bytes(&buf[..n])
            }
            Vals::I32(v, false) => Val::Bytes(itoa(buf, v[i] as i64)),
            Vals::I64(v, Some(unit)) => {
                let t = v[i].div_euclid(*unit);
                if native {
                    return Val::Ts(t);
                }
                let n = fmt_into(buf, t, true);
                Val::Bytes(&buf[..n])
            }
            Vals::I64(v, None) => Val::Bytes(itoa(buf, v[i])),
            Vals::I96(v) => {
                let t = v[i].to_nanos().div_euclid(1_000_000_000);
                if native {
                    return Val::Ts(t);
                }
                let n = fmt_into(buf, t, true);
                Val::Bytes(&buf[..n])
            }
            Vals::Bool(v) => Val::Bytes(if v[i] { b"true" } else { b"false" }),
            Vals::F32(v) => {
                let s = v[i].to_string();
                let n = s.len().min(19);
                buf[..n].copy_from_slice(&s.as_bytes()[..n]);
                Val::Bytes(&buf[..n])
            }
            Vals::F64(v) => {
                let s = v[i].to_string();
                let n = s.len().min(19);
                buf[..n].copy_from_slice(&s.as_bytes()[..n]);
                Val::Bytes(&buf[..n])
            }
        }
    }
}

/// Rows per Parquet batch.
const PQ_BATCH: usize = 8192;

fn decode_group(
    cols: &Cols,
    judge: &dyn Judge,
    r: &parquet::file::reader::SerializedFileReader<File>,
    g: usize,
    first_row: u64,
    recycled: Chunk,
) -> Result<Chunk> {
    use parquet::file::reader::FileReader;
    let rg = r.get_row_group(g)?;
    let rows = rg.metadata().num_rows() as usize;
    let mut id = PqCol::new(rg.as_ref(), cols.id)?;
    let mut ts = PqCol::new(rg.as_ref(), cols.ts)?;
    let mut user = PqCol::new(rg.as_ref(), cols.user)?;
    let mut patient = PqCol::new(rg.as_ref(), cols.patient)?;
    let mut c = recycled;
    c.reset();
    c.line_base = first_row + 2;
    c.user.reserve(rows);
    c.patient.reserve(rows);
    c.ts.reserve(rows);
    c.mask.reserve(rows);
    let (mut b1, mut b2, mut b3, mut b4) = ([0u8; 19], [0u8; 19], [0u8; 19], [0u8; 19]);
    let mut done = 0;
    while done < rows {
        let want = PQ_BATCH.min(rows - done);
        for col in [&mut id, &mut ts, &mut user, &mut patient] {
            col.read(want).with_context(|| format!("row group {g}"))?;
        }
        for row in 0..want {
            let rel = (done + row) as u64;
            let idv = match id.value(row, &mut b1, false) {
                Val::Bytes(b) => b,
                _ => b"",
            };
            let uv = match user.value(row, &mut b2, false) {
                Val::Bytes(b) => b,
                _ => b"",
            };
            let pv = match patient.value(row, &mut b3, false) {
                Val::Bytes(b) => b,
                _ => b"",
            };
            let tv = match ts.value(row, &mut b4, true) {
                Val::Ts(t) => TsIn::Native(t),
                Val::Bytes(b) => TsIn::Text(b),
                Val::Null => TsIn::Text(b""),
            };
            cols.push(&mut c, rel, idv, uv, pv, tv)?;
        }
        done += want;
    }
    judge.judge_all(&mut c)?;
    c.vol_keys.sort_unstable();
    c.vol_keys.dedup();
    Ok(c)
}

// ---------------------------------------------------------------------------------------------
// Parquet through the arrow reader

/// How the events file is read through the parquet crate's arrow reader: the four columns
/// projected, user_id and patient_id as dictionary arrays in the row groups whose column chunk
/// has a dictionary (one id lookup per dictionary entry, then a key per row), the other byte
/// columns as one value buffer and offsets. None from `arrow_plan` when the file has a shape
/// this path does not take (nested columns, a missing column, ids that are not byte arrays, a
/// time column that is neither a TIMESTAMP, a DATE nor text): the column readers
/// (`decode_group`) read those.
struct ArrowPlan {
    /// Reader metadata for user_id and patient_id read plain or as dictionaries:
    /// index `user_dict as usize + 2 * patient_dict as usize`.
    metas: Vec<parquet::arrow::arrow_reader::ArrowReaderMetadata>,
    mask: parquet::arrow::ProjectionMask,
    /// Positions in a batch of event_id, ts, user_id, patient_id.
    pos: [usize; 4],
    /// File columns of user_id and patient_id.
    user: usize,
    patient: usize,
}

/// Rows per arrow batch (`STEWARD_AUDIT_PARQUET_BATCH`).
fn arrow_batch() -> usize {
    std::env::var("STEWARD_AUDIT_PARQUET_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PQ_ARROW_BATCH)
        .max(1)
}

const PQ_ARROW_BATCH: usize = 8192;

fn arrow_plan(
    md: &std::sync::Arc<parquet::file::metadata::ParquetMetaData>,
    cols: &Cols,
) -> Option<ArrowPlan> {
    use arrow_schema::{DataType, Schema};
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
    use parquet::basic::Type as Phys;
    if std::env::var_os("STEWARD_AUDIT_PARQUET_COLUMN_READER").is_some() {
        return None;
    }
    let sd = md.file_metadata().schema_descr();
    if sd.num_columns() != sd.root_schema().get_fields().len() {
        return None;
    }
    let (id, ts, user, patient) = (cols.id?, cols.ts?, cols.user?, cols.patient?);
    let base = ArrowReaderMetadata::try_new(
        md.clone(),
        ArrowReaderOptions::new().with_skip_arrow_metadata(true),
    )
    .ok()?;
    let schema = base.schema().clone();
    let bytes = |c: usize| {
        sd.column(c).physical_type() == Phys::BYTE_ARRAY
            && matches!(
                schema.field(c).data_type(),
                DataType::Utf8 | DataType::Binary
            )
    };
    if !(bytes(id) && bytes(user) && bytes(patient)) {
        return None;
    }
    let ts_ok = match (sd.column(ts).physical_type(), schema.field(ts).data_type()) {
        (Phys::INT64, DataType::Timestamp(..)) => true,
        (Phys::INT32, DataType::Date32) => true,
        _ => bytes(ts),
    };
    if !ts_ok {
        return None;
    }
    let mut metas = Vec::with_capacity(4);
    for k in 0..4 {
        let dict = |c: usize| (c == user && k & 1 == 1) || (c == patient && k & 2 == 2);
        let fields: Vec<_> = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(c, f)| {
                if dict(c) {
                    let t = DataType::Dictionary(
                        Box::new(DataType::Int32),
                        Box::new(f.data_type().clone()),
                    );
                    std::sync::Arc::new(f.as_ref().clone().with_data_type(t))
                } else {
                    f.clone()
                }
            })
            .collect();
        let s = Schema::new_with_metadata(fields, schema.metadata().clone());
        let opts = ArrowReaderOptions::new().with_schema(std::sync::Arc::new(s));
        metas.push(ArrowReaderMetadata::try_new(md.clone(), opts).ok()?);
    }
    let mut roots = vec![id, ts, user, patient];
    roots.sort_unstable();
    roots.dedup();
    let at = |c: usize| roots.iter().position(|&r| r == c).expect("projected");
    Some(ArrowPlan {
        mask: parquet::arrow::ProjectionMask::roots(sd, roots.iter().copied()),
        pos: [at(id), at(ts), at(user), at(patient)],
        metas,
        user,
        patient,
    })
}

/// Whether a column chunk holds a dictionary page.
fn has_dictionary(c: &parquet::file::metadata::ColumnChunkMetaData) -> bool {
    use parquet::basic::Encoding;
    c.dictionary_page_offset().is_some()
        || c.encodings()
            .any(|e| matches!(e, Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY))
}

/// A byte-array column of a batch (Utf8 or Binary): offsets into one value buffer.
#[derive(Clone, Copy)]
struct ByteCol<'a> {
    offs: &'a [i32],
    data: &'a [u8],
    nulls: Option<&'a arrow_buffer::NullBuffer>,
}

impl<'a> ByteCol<'a> {
    fn of(a: &'a dyn arrow_array::Array) -> Option<ByteCol<'a>> {
        use arrow_array::cast::AsArray;
        if let Some(s) = a.as_string_opt::<i32>() {
            return Some(ByteCol {
                offs: s.value_offsets(),
                data: s.values().as_slice(),
                nulls: s.nulls(),
            });
        }
        a.as_binary_opt::<i32>().map(|b| ByteCol {
            offs: b.value_offsets(),
            data: b.values().as_slice(),
            nulls: b.nulls(),
        })
    }

    fn len(&self) -> usize {
        self.offs.len().saturating_sub(1)
    }

    /// Row `i`'s value; a null is empty (as the column readers read it).
    #[inline]
    fn get(&self, i: usize) -> &'a [u8] {
        if self.nulls.is_some_and(|n| n.is_null(i)) {
            return b"";
        }
        &self.data[self.offs[i] as usize..self.offs[i + 1] as usize]
    }
}

/// A user_id or patient_id column of a batch.
enum IdCol<'a> {
    Plain(ByteCol<'a>),
    /// Keys into a dictionary, and their nulls.
    Dict {
        keys: &'a [i32],
        nulls: Option<&'a arrow_buffer::NullBuffer>,
        values: ByteCol<'a>,
    },
}

const ID_UNSET: u32 = u32::MAX;
const ID_UNKNOWN: u32 = u32::MAX - 1;

/// A dictionary's entries resolved to reference indexes, each when first used; kept while the
/// reader hands the same dictionary on (batch after batch of a column chunk).
#[derive(Default)]
struct DictIds {
    /// The dictionary the map is for, held so that its buffers are not reused by another one.
    dict: Option<arrow_array::ArrayRef>,
    map: Vec<u32>,
}

impl DictIds {
    fn prepare(&mut self, values: &arrow_array::ArrayRef, n: usize) {
        let same = self
            .dict
            .as_ref()
            .is_some_and(|d| d.len() == values.len() && d.to_data().ptr_eq(&values.to_data()));
        if !same {
            self.dict = Some(values.clone());
            self.map.clear();
            self.map.resize(n, ID_UNSET);
        }
    }
}

/// An id's resolution: its reference index, or the (mapped) value not found.
enum Who<'a> {
    Known(u32),
    Unknown(&'a [u8]),
}

impl Cols<'_> {
    /// The reference index of a (raw) user or patient id of canonical column `col`.
    #[inline]
    fn who<'v>(&'v self, col: usize, raw: &'v [u8], ix: &crate::data::IdIndex) -> Who<'v> {
        let v = self.mapped(col, raw);
        match ix.get(v) {
            Some(&i) => Who::Known(i),
            None => Who::Unknown(v),
        }
    }

    /// Row `i` of an id column resolved (`map`: the dictionary's resolutions so far).
    #[inline]
    fn resolve<'v>(
        &'v self,
        col: usize,
        ix: &crate::data::IdIndex,
        c: &IdCol<'v>,
        map: &mut [u32],
        i: usize,
    ) -> Who<'v> {
        match c {
            IdCol::Plain(b) => self.who(col, b.get(i), ix),
            IdCol::Dict {
                keys,
                nulls,
                values,
            } => {
                if nulls.is_some_and(|n| n.is_null(i)) {
                    return self.who(col, b"", ix);
                }
                let k = keys[i] as usize;
                let m = map[k];
                if m < ID_UNKNOWN {
                    return Who::Known(m);
                }
                let w = self.who(col, values.get(k), ix);
                map[k] = match w {
                    Who::Known(x) if x < ID_UNKNOWN => x,
                    _ => ID_UNKNOWN,
                };
                w
            }
        }
    }

    /// As `push`, with the user and patient already resolved.
    #[inline]
    fn push_resolved(
        &self,
        c: &mut Chunk,
        rel: u64,
        id: &[u8],
        user: Who,
        patient: Who,
        ts: TsIn,
    ) -> Result<()> {
        let t = Table::Events;
        let id = self.mapped(t.col("event_id"), id);
        c.rows += 1;
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let u = match user {
            Who::Known(u) => u,
            Who::Unknown(user) => {
                c.rejects.push((
                    rel,
                    format!(
                        "event {:?}: unknown user_id {:?} (not in users): not evaluated",
                        lossy(id),
                        lossy(user)
                    ),
                ));
                return Ok(());
            }
        };
        let p = match patient {
            Who::Known(p) => p,
            Who::Unknown(patient) => {
                c.rejects.push((
                    rel,
                    format!(
                        "event {:?}: unknown patient_id {:?} (not in patients): not evaluated",
                        lossy(id),
                        lossy(patient)
                    ),
                ));
                return Ok(());
            }
        };
        let parsed = match ts {
            TsIn::Native(t) => Some(t),
            TsIn::Text(v) => self.tsp.parse(self.mapped(t.col("ts"), v)),
        };
        let Some(ts) = parsed else {
            let raw = match ts {
                TsIn::Text(v) => lossy(self.mapped(t.col("ts"), v)),
                TsIn::Native(_) => String::new(),
            };
            c.rejects.push((
                rel,
                format!(
                    "event {:?}: ts {:?} matches none of the formats [{}]: not evaluated",
                    lossy(id),
                    raw,
                    self.tsp.describe()
                ),
            ));
            return Ok(());
        };
        c.user.push(u);
        c.patient.push(p);
        c.ts.push(ts);
        c.put_id(id, rel);
        Ok(())
    }
}

fn id_col(a: &arrow_array::ArrayRef) -> Result<IdCol<'_>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int32Type;
    if let Some(d) = a.as_dictionary_opt::<Int32Type>() {
        let values = ByteCol::of(d.values().as_ref())
            .context("internal: a dictionary of other than byte arrays")?;
        return Ok(IdCol::Dict {
            keys: d.keys().values(),
            nulls: d.keys().nulls(),
            values,
        });
    }
    Ok(IdCol::Plain(ByteCol::of(a.as_ref()).context(
        "internal: an id column of other than byte arrays",
    )?))
}

/// A ts column of a batch.
enum TsCol<'a> {
    /// Values, the divisor to seconds (1: days, multiplied by `DAY`), nulls.
    Int {
        v: &'a [i64],
        div: i64,
        nulls: Option<&'a arrow_buffer::NullBuffer>,
    },
    Days {
        v: &'a [i32],
        nulls: Option<&'a arrow_buffer::NullBuffer>,
    },
    Text(ByteCol<'a>),
}

fn ts_col(a: &arrow_array::ArrayRef) -> Result<TsCol<'_>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Date32Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    use arrow_array::Array;
    if let Some(x) = a.as_primitive_opt::<TimestampMicrosecondType>() {
        return Ok(TsCol::Int {
            v: x.values(),
            div: 1_000_000,
            nulls: x.nulls(),
        });
    }
    if let Some(x) = a.as_primitive_opt::<TimestampMillisecondType>() {
        return Ok(TsCol::Int {
            v: x.values(),
            div: 1_000,
            nulls: x.nulls(),
        });
    }
    if let Some(x) = a.as_primitive_opt::<TimestampNanosecondType>() {
        return Ok(TsCol::Int {
            v: x.values(),
            div: 1_000_000_000,
            nulls: x.nulls(),
        });
    }
    if let Some(x) = a.as_primitive_opt::<TimestampSecondType>() {
        return Ok(TsCol::Int {
            v: x.values(),
            div: 1,
            nulls: x.nulls(),
        });
    }
    if let Some(x) = a.as_primitive_opt::<Date32Type>() {
        return Ok(TsCol::Days {
            v: x.values(),
            nulls: x.nulls(),
        });
    }
    match ByteCol::of(a.as_ref()) {
        Some(b) => Ok(TsCol::Text(b)),
        None => bail!("internal: a ts column of type {}", a.data_type()),
    }
}

impl<'a> TsCol<'a> {
    #[inline]
    fn get(&self, i: usize) -> TsIn<'a> {
        match self {
            TsCol::Int { v, div, nulls } => {
                if nulls.is_some_and(|n| n.is_null(i)) {
                    TsIn::Text(b"")
                } else {
                    TsIn::Native(v[i].div_euclid(*div))
                }
            }
            TsCol::Days { v, nulls } => {
                if nulls.is_some_and(|n| n.is_null(i)) {
                    TsIn::Text(b"")
                } else {
                    TsIn::Native(v[i] as i64 * DAY)
                }
            }
            TsCol::Text(b) => TsIn::Text(b.get(i)),
        }
    }
}

/// Decodes row group `g` through the arrow reader (`plan`).
fn decode_group_arrow(
    cols: &Cols,
    judge: &dyn Judge,
    plan: &ArrowPlan,
    file: &File,
    g: usize,
    first_row: u64,
    recycled: Chunk,
) -> Result<Chunk> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let md = plan.metas[0].metadata();
    let rg = md.row_group(g);
    let rows = rg.num_rows().max(0) as usize;
    let k = has_dictionary(rg.column(plan.user)) as usize
        + 2 * has_dictionary(rg.column(plan.patient)) as usize;
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
        file.try_clone()?,
        plan.metas[k].clone(),
    )
    .with_projection(plan.mask.clone())
    .with_row_groups(vec![g])
    .with_batch_size(arrow_batch().min(rows.max(1)))
    .build()?;
    let mut c = recycled;
    c.reset();
    c.line_base = first_row + 2;
    c.user.reserve(rows);
    c.patient.reserve(rows);
    c.ts.reserve(rows);
    c.mask.reserve(rows);
    let t = Table::Events;
    let (uc, pc) = (t.col("user_id"), t.col("patient_id"));
    let (mut du, mut dp) = (DictIds::default(), DictIds::default());
    let mut done = 0usize;
    for batch in reader {
        let batch = batch?;
        let n = batch.num_rows();
        let [a_id, a_ts, a_user, a_patient] = plan.pos.map(|p| batch.column(p));
        let id = ByteCol::of(a_id.as_ref()).context("internal: event_id not byte arrays")?;
        let ts = ts_col(a_ts)?;
        let user = id_col(a_user)?;
        let patient = id_col(a_patient)?;
        for (col, d, a) in [(&user, &mut du, a_user), (&patient, &mut dp, a_patient)] {
            if let IdCol::Dict { values, .. } = col {
                use arrow_array::cast::AsArray;
                let dict = a
                    .as_dictionary_opt::<arrow_array::types::Int32Type>()
                    .expect("dictionary");
                d.prepare(dict.values(), values.len());
            }
        }
        for i in 0..n {
            let rel = (done + i) as u64;
            let u = cols.resolve(uc, &cols.rf.user_ix, &user, &mut du.map, i);
            let p = cols.resolve(pc, &cols.rf.patient_ix, &patient, &mut dp.map, i);
            cols.push_resolved(&mut c, rel, id.get(i), u, p, ts.get(i))?;
        }
        done += n;
    }
    if done != rows {
        bail!("row group {g}: {done} rows read where the metadata says {rows}");
    }
    judge.judge_all(&mut c)?;
    c.vol_keys.sort_unstable();
    c.vol_keys.dedup();
    Ok(c)
}

// ---------------------------------------------------------------------------------------------
// Keeping the chunks for the second look

/// Bytes of chunks kept in memory before the rest go to a spill file.
pub(crate) fn memory_budget() -> usize {
    std::env::var("STEWARD_AUDIT_MEMORY_CHUNKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64 << 20)
}

/// Chunks in file order: the first in memory, the rest in an unlinked temporary file.
pub(crate) struct Store {
    mem: Vec<Chunk>,
    mem_bytes: usize,
    budget: usize,
    spill: Option<(BufWriter<File>, File)>,
    spilled: usize,
}

impl Store {
    pub fn new(budget: usize) -> Store {
        Store {
            mem: Vec::new(),
            mem_bytes: 0,
            budget,
            spill: None,
            spilled: 0,
        }
    }

    /// Keeps a chunk (its VOLUME keys and issues are not kept); hands it back when it was
    /// written to the spill file.
    pub fn push(&mut self, mut c: Chunk) -> Result<Option<Chunk>> {
        if self.spill.is_none() && self.mem_bytes + c.bytes() <= self.budget {
            c.vol_keys = Vec::new();
            c.rejects = Vec::new();
            c.shrink();
            self.mem_bytes += c.bytes();
            self.mem.push(c);
            return Ok(None);
        }
        if self.spill.is_none() {
            let path = spill_path();
            let w = File::create(&path)
                .with_context(|| format!("creating the spill file {}", path.display()))?;
            let r = File::open(&path)?;
            // unlinked: removed when the run ends, whatever the way it ends
            let _ = std::fs::remove_file(&path);
            self.spill = Some((BufWriter::with_capacity(1 << 20, w), r));
        }
        let (w, _) = self.spill.as_mut().expect("spill");
        write_chunk(w, &c).context("writing the spill file")?;
        self.spilled += 1;
        Ok(Some(c))
    }

    /// Calls `f` for every chunk, in order.
    pub fn for_each(self, f: &mut dyn FnMut(&Chunk) -> Result<()>) -> Result<()> {
        let mut d = self.drain()?;
        let mut spare = None;
        while let Some(c) = d.next(spare.take())? {
            f(&c)?;
            spare = Some(c);
        }
        Ok(())
    }

    /// The chunks, in order, one at a time (the ones in memory handed over, the spilled ones
    /// read back).
    pub fn drain(self) -> Result<Drain> {
        let spill = match self.spill {
            Some((mut w, r)) => {
                w.flush()?;
                drop(w);
                let mut r = BufReader::with_capacity(1 << 20, r);
                r.seek(SeekFrom::Start(0))?;
                Some(r)
            }
            None => None,
        };
        Ok(Drain {
            mem: self.mem.into_iter(),
            spill,
            left: self.spilled,
            buf: Vec::new(),
        })
    }
}

/// The kept chunks handed back in order (`Store::drain`).
pub(crate) struct Drain {
    mem: std::vec::IntoIter<Chunk>,
    spill: Option<BufReader<File>>,
    left: usize,
    /// A spilled chunk's bytes.
    buf: Vec<u8>,
}

impl Drain {
    /// The next chunk (a spilled one is read into `reuse` when given), None at the end.
    pub fn next(&mut self, reuse: Option<Chunk>) -> Result<Option<Chunk>> {
        if let Some(c) = self.mem.next() {
            return Ok(Some(c));
        }
        if self.left == 0 {
            return Ok(None);
        }
        let Some(r) = self.spill.as_mut() else {
            return Ok(None);
        };
        let mut c = reuse.unwrap_or_default();
        read_chunk(r, &mut c, &mut self.buf).context("reading the spill file")?;
        self.left -= 1;
        Ok(Some(c))
    }
}

pub(crate) fn spill_path() -> PathBuf {
    let dir = std::env::var_os("STEWARD_AUDIT_SPILL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    dir.join(format!(
        "steward-audit-{}-{nanos}.spill",
        std::process::id()
    ))
}

// A spilled chunk: a header of rows, line_base and the event count (u64 each); the users and
// patients (u32 each); the times, as u32 seconds after the chunk's first (mode 1) when they span
// less than 136 years, else as i64 (mode 0); the masks (u16); the ids, as the differences
// between numbers (mode 1: every id one prefix and the same count of digits, e.g. E000000123;
// zigzag varints, mostly one byte) or as the chunk's id bytes (mode 0).

const SPILL_TS_I64: u8 = 0;
const SPILL_TS_U32: u8 = 1;
const SPILL_IDS_BYTES: u8 = 0;
const SPILL_IDS_NUMBERED: u8 = 1;
/// At most 19 digits: every such number fits a u64.
const MAX_DIGITS: usize = 19;

/// The prefix and digit count every id of the chunk shares, when it does (no empty or long id).
fn numbered_ids(c: &Chunk) -> Option<(&[u8], usize)> {
    let first = c.ids.get(1..1 + *c.ids.first()? as usize)?;
    if first.len() >= ID_EMPTY as usize {
        return None;
    }
    let digits = first
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > MAX_DIGITS {
        return None;
    }
    let prefix = &first[..first.len() - digits];
    let len = first.len();
    let mut pos = 0;
    while pos < c.ids.len() {
        if c.ids[pos] as usize != len {
            return None;
        }
        let id = &c.ids[pos + 1..pos + 1 + len];
        if !id.starts_with(prefix) || !id[prefix.len()..].iter().all(u8::is_ascii_digit) {
            return None;
        }
        pos += 1 + len;
    }
    Some((prefix, digits))
}

fn put_varint(buf: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        buf.push(x as u8 | 0x80);
        x >>= 7;
    }
    buf.push(x as u8);
}

fn get_varint(b: &[u8], pos: &mut usize) -> std::io::Result<u64> {
    let mut x = 0u64;
    let mut shift = 0;
    loop {
        let Some(&byte) = b.get(*pos) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "spill: a cut number",
            ));
        };
        *pos += 1;
        x |= ((byte & 0x7f) as u64) << shift;
        if byte < 0x80 {
            return Ok(x);
        }
        shift += 7;
        if shift > 63 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "spill: a number too long",
            ));
        }
    }
}

fn write_chunk(w: &mut impl Write, c: &Chunk) -> std::io::Result<()> {
    let n = c.len();
    let mut buf: Vec<u8> = Vec::with_capacity(64 + n * 16);
    for x in [c.rows, c.line_base, n as u64] {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    for x in &c.user {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    for x in &c.patient {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    let base = c.ts.iter().copied().min().unwrap_or(0);
    let max = c.ts.iter().copied().max().unwrap_or(0);
    if (max as i128 - base as i128) <= u32::MAX as i128 {
        buf.push(SPILL_TS_U32);
        buf.extend_from_slice(&base.to_le_bytes());
        for &t in &c.ts {
            buf.extend_from_slice(&((t - base) as u32).to_le_bytes());
        }
    } else {
        buf.push(SPILL_TS_I64);
        for x in &c.ts {
            buf.extend_from_slice(&x.to_le_bytes());
        }
    }
    for x in &c.mask {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    match numbered_ids(c) {
        Some((prefix, digits)) => {
            buf.push(SPILL_IDS_NUMBERED);
            buf.push(prefix.len() as u8);
            buf.extend_from_slice(prefix);
            buf.push(digits as u8);
            let len = prefix.len() + digits;
            let mut prev = 0u64;
            for id in c.ids.chunks_exact(1 + len) {
                let v = id[1 + prefix.len()..]
                    .iter()
                    .fold(0u64, |a, &d| a * 10 + (d - b'0') as u64);
                let d = v.wrapping_sub(prev) as i64;
                put_varint(&mut buf, ((d << 1) ^ (d >> 63)) as u64);
                prev = v;
            }
        }
        None => {
            buf.push(SPILL_IDS_BYTES);
            buf.extend_from_slice(&(c.ids.len() as u64).to_le_bytes());
            buf.extend_from_slice(&c.ids);
        }
    }
    w.write_all(&(buf.len() as u64).to_le_bytes())?;
    w.write_all(&buf)
}

fn read_chunk(r: &mut impl Read, c: &mut Chunk, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("spill: {m}"));
    let mut h = [0u8; 8];
    r.read_exact(&mut h)?;
    let size = u64::from_le_bytes(h) as usize;
    buf.clear();
    buf.resize(size, 0);
    r.read_exact(buf)?;
    let b = &buf[..];
    let f = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
    if b.len() < 24 {
        return Err(bad("a cut header"));
    }
    let (rows, line_base, n) = (f(0), f(1), f(2) as usize);
    let mut pos = 24;
    let take = |pos: &mut usize, len: usize| -> std::io::Result<&[u8]> {
        let s = b.get(*pos..*pos + len).ok_or_else(|| bad("a cut chunk"))?;
        *pos += len;
        Ok(s)
    };
    c.rows = rows;
    c.line_base = line_base;
    c.user.clear();
    c.patient.clear();
    c.ts.clear();
    c.mask.clear();
    c.ids.clear();
    c.user.extend(
        take(&mut pos, n * 4)?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap())),
    );
    c.patient.extend(
        take(&mut pos, n * 4)?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap())),
    );
    match take(&mut pos, 1)?[0] {
        SPILL_TS_U32 => {
            let base = i64::from_le_bytes(take(&mut pos, 8)?.try_into().unwrap());
            c.ts.extend(
                take(&mut pos, n * 4)?
                    .chunks_exact(4)
                    .map(|b| base + u32::from_le_bytes(b.try_into().unwrap()) as i64),
            );
        }
        SPILL_TS_I64 => c.ts.extend(
            take(&mut pos, n * 8)?
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().unwrap())),
        ),
        _ => return Err(bad("an unknown time mode")),
    }
    c.mask.extend(
        take(&mut pos, n * 2)?
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes(b.try_into().unwrap())),
    );
    match take(&mut pos, 1)?[0] {
        SPILL_IDS_NUMBERED => {
            let plen = take(&mut pos, 1)?[0] as usize;
            let prefix = take(&mut pos, plen)?;
            let digits = take(&mut pos, 1)?[0] as usize;
            if digits == 0 || digits > MAX_DIGITS {
                return Err(bad("a digit count out of range"));
            }
            let len = plen + digits;
            c.ids.reserve(n * (1 + len));
            let mut v = 0u64;
            let mut num = [b'0'; MAX_DIGITS];
            let num = &mut num[..digits];
            for i in 0..n {
                let z = get_varint(b, &mut pos)?;
                let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
                if i > 0 && d == 1 {
                    // the next number: the digits counted up by one in place
                    for x in num.iter_mut().rev() {
                        if *x == b'9' {
                            *x = b'0';
                        } else {
                            *x += 1;
                            break;
                        }
                    }
                    v = v.wrapping_add(1);
                } else {
                    v = v.wrapping_add(d as u64);
                    let mut x = v;
                    for slot in num.iter_mut().rev() {
                        *slot = b'0' + (x % 10) as u8;
                        x /= 10;
                    }
                }
                c.ids.push(len as u8);
                c.ids.extend_from_slice(prefix);
                c.ids.extend_from_slice(num);
            }
        }
        SPILL_IDS_BYTES => {
            let len = u64::from_le_bytes(take(&mut pos, 8)?.try_into().unwrap()) as usize;
            c.ids.extend_from_slice(take(&mut pos, len)?);
        }
        _ => return Err(bad("an unknown id mode")),
    }
    if pos != b.len() {
        return Err(bad("a chunk longer than its parts"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_chunk() -> Chunk {
        let mut c = Chunk {
            rows: 5,
            line_base: 41,
            ..Default::default()
        };
        let long = "L".repeat(300);
        for (i, id) in ["E000000001", "", &long, "é-unicode", "E2"]
            .iter()
            .enumerate()
        {
            c.user.push(i as u32 * 7);
            c.patient.push(1_000_000 + i as u32);
            c.ts.push(-86_400 + i as i64 * 1_000_000_007);
            c.mask.push(1 << i);
            c.put_id(id.as_bytes(), 10 + i as u64);
        }
        c
    }

    #[test]
    fn ids_read_back_in_order_an_empty_one_by_its_line() {
        let c = sample_chunk();
        let mut r = IdCursor::new(&c);
        assert_eq!(r.next_id(), "E000000001");
        assert_eq!(r.next_id(), "<line 52>");
        r.skip();
        assert_eq!(r.next_id(), "é-unicode");
        assert_eq!(r.next_id(), "E2");
        let mut r = IdCursor::new(&c);
        for _ in 0..2 {
            r.skip();
        }
        assert_eq!(r.next_id(), "L".repeat(300));
    }

    fn chunk_of(ids: &[&str], ts: &[i64]) -> Chunk {
        let mut c = Chunk {
            rows: ids.len() as u64 + 1,
            line_base: 7,
            ..Default::default()
        };
        for (i, (id, &t)) in ids.iter().zip(ts).enumerate() {
            c.user.push(i as u32);
            c.patient.push(u32::MAX - i as u32);
            c.ts.push(t);
            c.mask.push(u16::MAX >> i);
            c.put_id(id.as_bytes(), i as u64);
        }
        c
    }

    #[test]
    fn chunks_survive_the_spill_file() {
        let c = sample_chunk();
        // numbered ids (counting up, carrying, jumping back, 19 digits) and times within 136
        // years; the same ids with a time range wider than a u32; ids that share a prefix but
        // not the digit count, or not the prefix
        let numbered = [
            "E0998", "E0999", "E1000", "E1001", "E0003", "E9999", "E0000",
        ];
        let near: Vec<i64> = (0..7).map(|i| 1_700_000_000 + i * 3_600).collect();
        let wide: Vec<i64> = (0..7).map(|i| -4_000_000_000 + i * 2_000_000_000).collect();
        let nineteen = [
            "x9999999999999999999",
            "x0000000000000000000",
            "x1234567890123456789",
        ];
        let chunks = [
            c,
            Chunk::default(),
            chunk_of(&numbered, &near),
            chunk_of(&numbered, &wide),
            chunk_of(&nineteen, &near),
            chunk_of(&["E01", "E001", "E02"], &near),
            chunk_of(&["E01", "F02", "E03"], &near),
            chunk_of(&["12", "13", "7"], &wide),
            chunk_of(&["E", "E", "E"], &near),
            sample_chunk(),
        ];
        assert!(numbered_ids(&chunks[2]).is_some());
        assert!(numbered_ids(&chunks[4]).is_some());
        assert!(numbered_ids(&chunks[5]).is_none());
        assert!(numbered_ids(&chunks[6]).is_none());
        let mut buf = Vec::new();
        for c in &chunks {
            write_chunk(&mut buf, c).unwrap();
        }
        let mut r = std::io::Cursor::new(buf);
        let mut d = Chunk::default();
        let mut spare = Vec::new();
        for want in &chunks {
            read_chunk(&mut r, &mut d, &mut spare).unwrap();
            assert_eq!(
                (
                    d.rows,
                    d.line_base,
                    &d.user,
                    &d.patient,
                    &d.ts,
                    &d.mask,
                    &d.ids
                ),
                (
                    want.rows,
                    want.line_base,
                    &want.user,
                    &want.patient,
                    &want.ts,
                    &want.mask,
                    &want.ids
                )
            );
        }
        // the store: nothing in memory, all through the (unlinked) file, in order
        let mut s = Store::new(0);
        for _ in 0..3 {
            assert!(s.push(sample_chunk()).unwrap().is_some());
        }
        let mut n = 0;
        s.for_each(&mut |d| {
            assert_eq!(d.ts, chunks[0].ts);
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 3);
    }
}

#[cfg(test)]
mod arrow_tests {
    use super::*;
    use crate::table::{csv_to_parquet_encoded, StringEncoding};
    use parquet::basic::{Compression, ZstdLevel};

    struct NoJudge;
    impl Judge for NoJudge {
        fn judge_all(&self, _: &mut Chunk) -> Result<()> {
            Ok(())
        }
    }

    const EVENTS: &str = "event_id,ts,user_id,patient_id,action,workstation
e1,2025-05-20 10:00:00,U1,P1,view,W
e2,2025-05-20 10:01:00,U2,P2,view,W
e3,2025-05-20 10:02:00,U1,P3,view,W
,2025-05-20 10:03:00,U2,P1,view,W
e5,2025-05-20 10:04:00,NOBODY,P2,view,W
e6,2025-05-20 10:05:00,U1,NOONE,view,W
e7,,U2,P3,view,W
e8,2025-05-21 23:59:59,U1,P2,view,W
e9,2025-05-22 00:00:00, U2 ,P1,view,W
e10,2025-05-22 08:00:00,U1,P3,view,W
e11,2025-05-22 08:00:01,U2,P2,view,W
";

    fn write_tables(dir: &Path) {
        let files = [
            (
                "teams.csv",
                "team_id,team_name,specialty,organisation
T1,GP,GP,Org
",
            ),
            (
                "patients.csv",
                "patient_id,nhs_number,given,family,dob,address_line,town,postcode,deceased_date,vip
P1,9990000001,Ann,Smith,1980-01-01,1 Road,Town,ZZ1 1AA,,false
P2,9990000002,Bob,Jones,1982-01-01,2 Road,Town,ZZ1 1AB,,false
P3,9990000003,Cat,Brown,1990-01-01,3 Road,Town,ZZ1 1AC,,false
",
            ),
            (
                "users.csv",
                "user_id,given,family,role,team_id,organisation,start_date,leave_date,home_address_line,home_postcode,patient_id
U1,Dee,Gray,GP,T1,Org,2020-01-01,,9 Lane,ZZ9 9AA,
U2,Eli,Green,GP,T1,Org,2020-01-01,,8 Lane,ZZ9 9AB,
",
            ),
            (
                "care_episodes.csv",
                "episode_id,patient_id,team_id,episode_type,start_ts,end_ts
C1,P1,T1,appointment,2025-05-20 09:00:00,2025-05-20 11:00:00
",
            ),
            ("events.csv", EVENTS),
        ];
        for (f, text) in files {
            std::fs::write(dir.join(f), text).unwrap();
        }
    }

    /// Every row group read through the arrow reader (dictionary-encoded, plain-encoded, and
    /// dictionary then plain within a column chunk; zstd and snappy; ts as text and as a
    /// TIMESTAMP with nulls) gives the chunk the column readers give: the same ids, users,
    /// patients, times, rejections with the same messages.
    #[test]
    fn the_arrow_reader_gives_the_column_readers_chunks() {
        let csv_dir = tempfile::tempdir().unwrap();
        write_tables(csv_dir.path());
        for encoding in [
            StringEncoding::Dictionary,
            StringEncoding::Plain,
            StringEncoding::DictionaryThenPlain,
        ] {
            for compression in [Compression::ZSTD(ZstdLevel::default()), Compression::SNAPPY] {
                for (typed, group) in [(true, 4), (false, 1 << 10)] {
                    let ctx = format!("{encoding:?} {compression:?} typed={typed}");
                    let dir = tempfile::tempdir().unwrap();
                    write_tables(dir.path());
                    std::fs::remove_file(dir.path().join("events.csv")).unwrap();
                    let events = dir.path().join("events.parquet");
                    csv_to_parquet_encoded(
                        &csv_dir.path().join("events.csv"),
                        &events,
                        compression,
                        typed,
                        group,
                        encoding,
                    )
                    .unwrap();
                    let ds = crate::data::load(dir.path(), None).unwrap();
                    assert!(ds.events.parquet);
                    let src = &ds.events;
                    let tsp = src.parsers[Table::Events.col("ts")].as_ref().unwrap();
                    let r = parquet::file::reader::SerializedFileReader::new(
                        File::open(&events).unwrap(),
                    )
                    .unwrap();
                    use parquet::file::reader::FileReader;
                    let md = r.metadata().clone();
                    let header: Vec<String> = md
                        .file_metadata()
                        .schema_descr()
                        .root_schema()
                        .get_fields()
                        .iter()
                        .map(|f| f.name().to_string())
                        .collect();
                    let cols = Cols::new(&ds.reference, src, tsp, &header).unwrap();
                    let plan = arrow_plan(&std::sync::Arc::new(md.clone()), &cols)
                        .expect("the arrow reader takes this file");
                    let user = md.row_group(0).column(plan.user);
                    assert_eq!(
                        has_dictionary(user),
                        encoding != StringEncoding::Plain,
                        "{ctx}"
                    );
                    let f = File::open(&events).unwrap();
                    let mut first = 0u64;
                    for g in 0..md.num_row_groups() {
                        let a = decode_group_arrow(
                            &cols,
                            &NoJudge,
                            &plan,
                            &f,
                            g,
                            first,
                            Chunk::default(),
                        )
                        .unwrap();
                        let b =
                            decode_group(&cols, &NoJudge, &r, g, first, Chunk::default()).unwrap();
                        let key = |c: &Chunk| {
                            (
                                c.rows,
                                c.line_base,
                                c.user.clone(),
                                c.patient.clone(),
                                c.ts.clone(),
                                c.ids.clone(),
                                c.rejects.clone(),
                            )
                        };
                        assert_eq!(key(&a), key(&b), "{ctx} group {g}");
                        first += a.rows;
                    }
                    assert_eq!(first, 11, "{ctx}");
                }
            }
        }
    }
}
