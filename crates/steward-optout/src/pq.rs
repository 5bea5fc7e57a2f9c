//! Parquet in and out, with the `parquet` crate's column API (no Arrow), as
//! steward-access-audit reads it.
//!
//! A row group is the unit of work: a worker reads the NHS number column, decides every row,
//! then copies each column with the removed and rejected rows left out, encoding it into memory
//! (the same schema, types and nulls as the input). The calling thread appends the encoded
//! column chunks to the output file in row-group order, so encoding runs on every core and
//! memory holds a few row groups at most.

use crate::csvscan::write_field;
use crate::filter::{judge, Codec, Counts, Format, Options, Out, Piece, Stats};
use crate::lists::OptOuts;
use crate::nhs::{self, NhsError};
use crate::pipeline;
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use parquet::basic::{Compression, ConvertedType, LogicalType, Repetition, TimeUnit, Type as Phys};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::column::writer::{ColumnCloseResult, ColumnWriterImpl};
use parquet::data_type::*;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesPtr};
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::{ColumnDescPtr, SchemaDescPtr, SchemaDescriptor, Type, TypePtr};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

const BATCH: usize = 65_536;

fn props(
    codec: Codec,
    stats: Stats,
    kv: Option<Vec<parquet::file::metadata::KeyValue>>,
    plain: &[parquet::schema::types::ColumnPath],
) -> WriterPropertiesPtr {
    let c = match codec {
        Codec::Snappy => Compression::SNAPPY,
        Codec::Zstd => Compression::ZSTD(Default::default()),
        Codec::None => Compression::UNCOMPRESSED,
    };
    let mut b = WriterProperties::builder();
    for p in plain {
        b = b.set_column_dictionary_enabled(p.clone(), false);
    }
    Arc::new(
        b.set_compression(c)
            .set_statistics_enabled(match stats {
                Stats::None => EnabledStatistics::None,
                Stats::Chunk => EnabledStatistics::Chunk,
                Stats::Page => EnabledStatistics::Page,
            })
            .set_key_value_metadata(kv)
            .set_created_by(format!("steward-optout {}", env!("CARGO_PKG_VERSION")))
            .build(),
    )
}

/// The output schema of a CSV extract written as Parquet: every column a UTF-8 string.
pub struct StringSchema {
    root: TypePtr,
    schema: SchemaDescPtr,
    props: WriterPropertiesPtr,
}

impl StringSchema {
    pub fn new(names: &[String], codec: Codec, stats: Stats) -> Result<Self> {
        let mut seen = std::collections::HashSet::new();
        let mut fields = Vec::with_capacity(names.len());
        for n in names {
            if !seen.insert(n.as_str()) {
                bail!("column {n:?} appears twice in the header: cannot write it as Parquet");
            }
            fields.push(Arc::new(
                Type::primitive_type_builder(n, Phys::BYTE_ARRAY)
                    .with_repetition(Repetition::REQUIRED)
                    .with_logical_type(Some(LogicalType::String))
                    .build()?,
            ));
        }
        let root = Arc::new(
            Type::group_type_builder("schema")
                .with_fields(fields)
                .build()?,
        );
        Ok(StringSchema {
            schema: Arc::new(SchemaDescriptor::new(root.clone())),
            root,
            props: props(codec, stats, None, &[]),
        })
    }
}

/// Encodes one column chunk into memory.
fn encode<T: DataType>(
    descr: ColumnDescPtr,
    props: &WriterPropertiesPtr,
    feed: impl FnOnce(&mut ColumnWriterImpl<'_, T>) -> Result<()>,
) -> Result<(Bytes, ColumnCloseResult)> {
    let mut tw = TrackedWrite::new(Vec::new());
    let close = {
        let pw = SerializedPageWriter::new(&mut tw);
        let mut w = ColumnWriterImpl::<T>::new(descr, props.clone(), Box::new(pw));
        feed(&mut w)?;
        w.close()?
    };
    Ok((Bytes::from(tw.into_inner()?), close))
}

/// Encodes string columns (a CSV block's kept rows) as one row group's column chunks.
pub fn encode_strings(
    s: &StringSchema,
    cols: Vec<Vec<ByteArray>>,
) -> Result<Vec<(Bytes, ColumnCloseResult)>> {
    cols.into_iter()
        .enumerate()
        .map(|(i, v)| {
            encode::<ByteArrayType>(s.schema.column(i), &s.props, |w| {
                w.write_batch(&v, None, None)?;
                Ok(())
            })
        })
        .collect()
}

/// Appends encoded row groups to the output file in order.
pub struct PieceWriter {
    w: SerializedFileWriter<File>,
}

impl PieceWriter {
    pub fn new(f: File, s: &StringSchema) -> Result<Self> {
        Ok(PieceWriter {
            w: SerializedFileWriter::new(f, s.root.clone(), s.props.clone())?,
        })
    }
    fn with(f: File, root: TypePtr, props: WriterPropertiesPtr) -> Result<Self> {
        Ok(PieceWriter {
            w: SerializedFileWriter::new(f, root, props)?,
        })
    }
    pub fn put(&mut self, cols: Vec<(Bytes, ColumnCloseResult)>, rows: u64) -> Result<()> {
        if rows == 0 {
            return Ok(());
        }
        let mut rg = self.w.next_row_group()?;
        for (b, c) in cols {
            rg.append_column(&b, c)?;
        }
        rg.close()?;
        Ok(())
    }
    pub fn finish(self) -> Result<()> {
        let mut f = self.w.into_inner()?;
        f.flush()?;
        Ok(())
    }
}

/// Reads the NHS number column of a row group, one decision per row (nulls are missing).
fn for_each_nhs(
    rg: &dyn RowGroupReader,
    col: usize,
    mut f: impl FnMut(Result<u64, NhsError>),
) -> Result<()> {
    let descr = rg.metadata().column(col).column_descr_ptr();
    let max_def = descr.max_def_level();
    let rows = rg.metadata().num_rows() as usize;
    let mut defs: Vec<i16> = Vec::new();
    macro_rules! go {
        ($r:expr, $vals:expr, $conv:expr) => {{
            let mut r = $r;
            let mut vals = $vals;
            let mut done = 0;
            while done < rows {
                let want = BATCH.min(rows - done);
                vals.clear();
                defs.clear();
                let d = (max_def > 0).then_some(&mut defs);
                let (got, _, _) = r.read_records(want, d, None, &mut vals)?;
                if got != want {
                    bail!("column {col}: {got} rows where {want} were expected");
                }
                let mut vi = 0;
                for i in 0..want {
                    if max_def > 0 && defs[i] < max_def {
                        f(Err(NhsError::Missing));
                    } else {
                        f($conv(&vals[vi]));
                        vi += 1;
                    }
                }
                done += want;
            }
        }};
    }
    match rg.get_column_reader(col)? {
        ColumnReader::ByteArrayColumnReader(r) => {
            go!(r, Vec::<ByteArray>::new(), |v: &ByteArray| nhs::parse(
                v.data()
            ))
        }
        ColumnReader::FixedLenByteArrayColumnReader(r) => {
            go!(
                r,
                Vec::<FixedLenByteArray>::new(),
                |v: &FixedLenByteArray| { nhs::parse(v.data()) }
            )
        }
        ColumnReader::Int64ColumnReader(r) => {
            go!(r, Vec::<i64>::new(), |v: &i64| nhs::from_int(*v))
        }
        ColumnReader::Int32ColumnReader(r) => {
            go!(r, Vec::<i32>::new(), |v: &i32| nhs::from_int(*v as i64))
        }
        _ => bail!("the NHS number column is neither text nor an integer"),
    }
    Ok(())
}

/// Finds a column by name (as `lists::norm_name`) in a flat schema.
fn find_column(s: &SchemaDescriptor, name: &str) -> Option<usize> {
    let want = crate::lists::norm_name(name);
    (0..s.num_columns()).find(|&i| crate::lists::norm_name(s.column(i).name()) == want)
}

fn open(path: &Path) -> Result<SerializedFileReader<File>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    SerializedFileReader::new(f).with_context(|| format!("{}: reading Parquet", path.display()))
}

/// A list row: its number (1-based), the NHS number, and the code if the list has a column.
pub type ListRow<'a> = dyn FnMut(u64, Result<u64, NhsError>, Option<&[u8]>) + 'a;

/// Reads an opt-out list from Parquet: `f(row, number, code)` for each row.
pub fn read_list(path: &Path, column: &str, f: &mut ListRow<'_>) -> Result<()> {
    let r = open(path)?;
    let s = r.metadata().file_metadata().schema_descr_ptr();
    let Some(c) = find_column(&s, column) else {
        bail!(
            "{}: no column {column:?} (the NHS number); columns: {}",
            path.display(),
            (0..s.num_columns())
                .map(|i| s.column(i).name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let code = find_column(&s, "code");
    let mut row = 0u64;
    for g in 0..r.num_row_groups() {
        let rg = r.get_row_group(g)?;
        let mut nums = Vec::new();
        for_each_nhs(rg.as_ref(), c, |v| nums.push(v))?;
        let codes: Option<Vec<Vec<u8>>> = match code {
            Some(cc) => Some(text_column(rg.as_ref(), cc)?),
            None => None,
        };
        for (i, v) in nums.into_iter().enumerate() {
            row += 1;
            f(row, v, codes.as_ref().map(|c| c[i].as_slice()));
        }
    }
    Ok(())
}

/// A whole column of a row group as text (nulls empty).
fn text_column(rg: &dyn RowGroupReader, col: usize) -> Result<Vec<Vec<u8>>> {
    let rows = rg.metadata().num_rows() as usize;
    let mut t = TextCol::new(rg, col)?;
    let mut out = Vec::with_capacity(rows);
    let mut done = 0;
    while done < rows {
        let want = BATCH.min(rows - done);
        t.read(want)?;
        for i in 0..want {
            let mut b = Vec::new();
            t.write(i, &mut b, None);
            out.push(b);
        }
        done += want;
    }
    Ok(out)
}

/// Filters a Parquet extract into CSV or Parquet. Returns the number of columns.
pub(crate) fn filter_parquet(
    lists: &OptOuts,
    o: &Options,
    out_fmt: Format,
    out_file: File,
    nthreads: usize,
    take: &mut dyn FnMut(&Piece) -> Result<()>,
    progress: &mut dyn FnMut(u64),
) -> Result<usize> {
    let r = open(&o.input)?;
    let meta = r.metadata().file_metadata();
    let s = meta.schema_descr_ptr();
    for i in 0..s.num_columns() {
        if s.column(i).max_rep_level() > 0 || s.column(i).path().parts().len() > 1 {
            bail!(
                "{}: column {} is nested (lists or structs): only flat tables can be filtered",
                o.input.display(),
                s.column(i).path().string()
            );
        }
    }
    let Some(nhs_col) = find_column(&s, &o.column) else {
        bail!(
            "{}: no column {:?} (the NHS number); columns: {} (choose one with --column)",
            o.input.display(),
            o.column,
            (0..s.num_columns())
                .map(|i| s.column(i).name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let ncols = s.num_columns();
    let groups = r.num_row_groups();
    let mut first_row = Vec::with_capacity(groups);
    let mut acc = 0u64;
    for g in 0..groups {
        first_row.push(acc);
        acc += r.metadata().row_group(g).num_rows() as u64;
    }
    // a column the input wrote without a dictionary (e.g. the NHS number, nearly unique) is
    // written without one too: no time spent building a dictionary that would be given up
    let plain: Vec<_> = match r.metadata().row_groups().first() {
        Some(rg) => (0..ncols)
            .filter(|&c| rg.column(c).dictionary_page_offset().is_none())
            .map(|c| s.column(c).path().clone())
            .collect(),
        None => Vec::new(),
    };
    let wprops = props(o.codec, o.stats, meta.key_value_metadata().cloned(), &plain);
    let delim = o.delimiter;
    let mut sink = match out_fmt {
        Format::Parquet => crate::filter::Sink::Parquet(PieceWriter::with(
            out_file,
            s.root_schema_ptr(),
            wprops.clone(),
        )?),
        Format::Csv => {
            let mut f = out_file;
            let mut h = Vec::new();
            for i in 0..ncols {
                if i > 0 {
                    h.push(delim);
                }
                write_field(&mut h, s.column(i).name().as_bytes(), delim);
            }
            h.push(b'\n');
            f.write_all(&h)?;
            crate::filter::Sink::Csv(f)
        }
    };
    drop(r);
    let mut g = 0usize;
    let mut rows_done = 0u64;
    let input = o.input.clone();
    pipeline::ordered(
        nthreads,
        nthreads * 2,
        || {
            let j = (g < groups).then_some(g);
            g += 1;
            Ok(j)
        },
        || open(&input),
        |reader, g| {
            row_group_piece(
                reader,
                g,
                first_row[g],
                nhs_col,
                lists,
                out_fmt,
                &s,
                &wprops,
                delim,
            )
            .with_context(|| format!("{}: row group {g}", input.display()))
        },
        |p: Piece| {
            rows_done += p.counts.rows;
            take(&p)?;
            sink.put(p.out)?;
            progress(rows_done);
            Ok(())
        },
    )?;
    sink.finish()?;
    Ok(ncols)
}

/// Decides every row of a row group and writes the kept ones.
#[allow(clippy::too_many_arguments)]
fn row_group_piece(
    r: &mut SerializedFileReader<File>,
    g: usize,
    first_row: u64,
    nhs_col: usize,
    lists: &OptOuts,
    out_fmt: Format,
    s: &SchemaDescPtr,
    wprops: &WriterPropertiesPtr,
    delim: u8,
) -> Result<Piece> {
    let rg = r.get_row_group(g)?;
    let rows = rg.metadata().num_rows() as usize;
    let mut counts = Counts::default();
    let mut removed = Vec::new();
    let mut rejects = Vec::new();
    let mut keep: Vec<bool> = Vec::with_capacity(rows);
    let mut i = 0u64;
    for_each_nhs(rg.as_ref(), nhs_col, |v| {
        i += 1;
        counts.rows += 1;
        match judge(lists, v, &mut counts, &mut removed) {
            Ok(k) => keep.push(k),
            Err(reason) => {
                rejects.push((first_row + i, reason));
                keep.push(false);
            }
        }
    })?;
    let kept = counts.kept;
    let out = match out_fmt {
        Format::Parquet => {
            let mut cols = Vec::with_capacity(s.num_columns());
            if kept > 0 {
                for c in 0..s.num_columns() {
                    cols.push(copy_column(rg.as_ref(), c, s.column(c), wprops, &keep)?);
                }
            }
            Out::Parquet(cols, kept)
        }
        Format::Csv => {
            let mut out = Vec::new();
            if kept > 0 {
                let mut tc: Vec<TextCol> = (0..s.num_columns())
                    .map(|c| TextCol::new(rg.as_ref(), c))
                    .collect::<Result<_>>()?;
                let mut done = 0;
                while done < rows {
                    let want = BATCH.min(rows - done);
                    for t in tc.iter_mut() {
                        t.read(want)?;
                    }
                    for (i, &k) in keep[done..done + want].iter().enumerate() {
                        if !k {
                            continue;
                        }
                        for (j, t) in tc.iter().enumerate() {
                            if j > 0 {
                                out.push(delim);
                            }
                            t.write(i, &mut out, Some(delim));
                        }
                        out.push(b'\n');
                    }
                    done += want;
                }
            }
            Out::Csv(out)
        }
    };
    Ok(Piece {
        out,
        rejects,
        counts,
        removed,
        newlines: 0,
        carry: None,
        input: Bytes::new(),
    })
}

/// Copies one column of a row group, leaving out the rows not kept, encoded into memory.
fn copy_column(
    rg: &dyn RowGroupReader,
    c: usize,
    descr: ColumnDescPtr,
    props: &WriterPropertiesPtr,
    keep: &[bool],
) -> Result<(Bytes, ColumnCloseResult)> {
    fn go<T: DataType>(
        mut r: ColumnReaderImpl<T>,
        descr: ColumnDescPtr,
        props: &WriterPropertiesPtr,
        keep: &[bool],
    ) -> Result<(Bytes, ColumnCloseResult)> {
        let max_def = descr.max_def_level();
        encode::<T>(descr, props, |w| {
            let rows = keep.len();
            let mut vals: Vec<T::T> = Vec::new();
            let mut defs: Vec<i16> = Vec::new();
            let mut kv: Vec<T::T> = Vec::new();
            let mut kd: Vec<i16> = Vec::new();
            let mut done = 0;
            while done < rows {
                let want = BATCH.min(rows - done);
                vals.clear();
                defs.clear();
                kv.clear();
                kd.clear();
                let d = (max_def > 0).then_some(&mut defs);
                let (got, _, _) = r.read_records(want, d, None, &mut vals)?;
                if got != want {
                    bail!("{got} rows where {want} were expected");
                }
                let k = &keep[done..done + want];
                // values are moved, not cloned (a clone of a text value is an atomic
                // reference count)
                if max_def == 0 {
                    for (v, &keep) in vals.drain(..).zip(k) {
                        if keep {
                            kv.push(v);
                        }
                    }
                    w.write_batch(&kv, None, None)?;
                } else {
                    let mut it = vals.drain(..);
                    for (i, &keep) in k.iter().enumerate() {
                        let present = defs[i] == max_def;
                        if keep {
                            kd.push(defs[i]);
                        }
                        if present {
                            let v = it.next().expect("a value per present row");
                            if keep {
                                kv.push(v);
                            }
                        }
                    }
                    drop(it);
                    w.write_batch(&kv, Some(&kd), None)?;
                }
                done += want;
            }
            Ok(())
        })
    }
    match rg.get_column_reader(c)? {
        ColumnReader::BoolColumnReader(r) => go::<BoolType>(r, descr, props, keep),
        ColumnReader::Int32ColumnReader(r) => go::<Int32Type>(r, descr, props, keep),
        ColumnReader::Int64ColumnReader(r) => go::<Int64Type>(r, descr, props, keep),
        ColumnReader::Int96ColumnReader(r) => go::<Int96Type>(r, descr, props, keep),
        ColumnReader::FloatColumnReader(r) => go::<FloatType>(r, descr, props, keep),
        ColumnReader::DoubleColumnReader(r) => go::<DoubleType>(r, descr, props, keep),
        ColumnReader::ByteArrayColumnReader(r) => go::<ByteArrayType>(r, descr, props, keep),
        ColumnReader::FixedLenByteArrayColumnReader(r) => {
            go::<FixedLenByteArrayType>(r, descr, props, keep)
        }
    }
}

/// How a column's values read as text.
#[derive(Clone, Copy)]
enum Shape {
    Plain,
    Date,
    /// Timestamp with units per second.
    Ts(i64),
    /// Decimal with this scale.
    Decimal(i32),
}

enum Vals {
    Bool(ColumnReaderImpl<BoolType>, Vec<bool>),
    I32(ColumnReaderImpl<Int32Type>, Vec<i32>),
    I64(ColumnReaderImpl<Int64Type>, Vec<i64>),
    I96(ColumnReaderImpl<Int96Type>, Vec<Int96>),
    F32(ColumnReaderImpl<FloatType>, Vec<f32>),
    F64(ColumnReaderImpl<DoubleType>, Vec<f64>),
    Bytes(ColumnReaderImpl<ByteArrayType>, Vec<ByteArray>),
    Fixed(
        ColumnReaderImpl<FixedLenByteArrayType>,
        Vec<FixedLenByteArray>,
    ),
}

/// One column read a batch at a time and written as CSV text row by row.
struct TextCol {
    vals: Vals,
    shape: Shape,
    max_def: i16,
    defs: Vec<i16>,
    /// Per row of the batch: index into the values, or u32::MAX for null.
    idx: Vec<u32>,
}

impl TextCol {
    fn new(rg: &dyn RowGroupReader, c: usize) -> Result<TextCol> {
        let descr = rg.metadata().column(c).column_descr_ptr();
        let lt = descr.logical_type_ref().cloned();
        let ct = descr.converted_type();
        let shape = match (&lt, ct) {
            (Some(LogicalType::Date), _) | (_, ConvertedType::DATE) => Shape::Date,
            (Some(LogicalType::Timestamp { unit, .. }), _) => Shape::Ts(match unit {
                TimeUnit::MILLIS => 1_000,
                TimeUnit::MICROS => 1_000_000,
                TimeUnit::NANOS => 1_000_000_000,
            }),
            (_, ConvertedType::TIMESTAMP_MILLIS) => Shape::Ts(1_000),
            (_, ConvertedType::TIMESTAMP_MICROS) => Shape::Ts(1_000_000),
            (Some(LogicalType::Decimal { scale, .. }), _) => Shape::Decimal(*scale),
            _ => Shape::Plain,
        };
        let vals = match rg.get_column_reader(c)? {
            ColumnReader::BoolColumnReader(r) => Vals::Bool(r, Vec::new()),
            ColumnReader::Int32ColumnReader(r) => Vals::I32(r, Vec::new()),
            ColumnReader::Int64ColumnReader(r) => Vals::I64(r, Vec::new()),
            ColumnReader::Int96ColumnReader(r) => Vals::I96(r, Vec::new()),
            ColumnReader::FloatColumnReader(r) => Vals::F32(r, Vec::new()),
            ColumnReader::DoubleColumnReader(r) => Vals::F64(r, Vec::new()),
            ColumnReader::ByteArrayColumnReader(r) => Vals::Bytes(r, Vec::new()),
            ColumnReader::FixedLenByteArrayColumnReader(r) => Vals::Fixed(r, Vec::new()),
        };
        Ok(TextCol {
            vals,
            shape,
            max_def: descr.max_def_level(),
            defs: Vec::new(),
            idx: Vec::new(),
        })
    }

    fn read(&mut self, want: usize) -> Result<()> {
        self.defs.clear();
        let d = (self.max_def > 0).then_some(&mut self.defs);
        macro_rules! rd {
            ($r:expr, $v:expr) => {{
                $v.clear();
                $r.read_records(want, d, None, $v)?.0
            }};
        }
        let got = match &mut self.vals {
            Vals::Bool(r, v) => rd!(r, v),
            Vals::I32(r, v) => rd!(r, v),
            Vals::I64(r, v) => rd!(r, v),
            Vals::I96(r, v) => rd!(r, v),
            Vals::F32(r, v) => rd!(r, v),
            Vals::F64(r, v) => rd!(r, v),
            Vals::Bytes(r, v) => rd!(r, v),
            Vals::Fixed(r, v) => rd!(r, v),
        };
        if got != want {
            bail!("{got} rows where {want} were expected");
        }
        self.idx.clear();
        if self.max_def > 0 {
            let mut vi = 0u32;
            for &d in &self.defs {
                if d == self.max_def {
                    self.idx.push(vi);
                    vi += 1;
                } else {
                    self.idx.push(u32::MAX);
                }
            }
        } else {
            self.idx.extend(0..want as u32);
        }
        Ok(())
    }

    /// Writes row `i` of the batch (nulls as nothing); `delim` Some: quoted as CSV needs.
    fn write(&self, i: usize, out: &mut Vec<u8>, delim: Option<u8>) {
        let k = self.idx[i];
        if k == u32::MAX {
            return;
        }
        let k = k as usize;
        let text = |out: &mut Vec<u8>, b: &[u8]| match delim {
            Some(d) => write_field(out, b, d),
            None => out.extend_from_slice(b),
        };
        match (&self.vals, self.shape) {
            (Vals::Bytes(_, v), _) => text(out, v[k].data()),
            (Vals::Fixed(_, v), _) => text(out, v[k].data()),
            (Vals::Bool(_, v), _) => out.extend_from_slice(if v[k] { b"true" } else { b"false" }),
            (Vals::I32(_, v), Shape::Date) => put_date(out, v[k] as i64),
            (Vals::I32(_, v), Shape::Decimal(s)) => put_decimal(out, v[k] as i128, s),
            (Vals::I32(_, v), _) => out.extend_from_slice(v[k].to_string().as_bytes()),
            (Vals::I64(_, v), Shape::Ts(u)) => put_ts(out, v[k], u),
            (Vals::I64(_, v), Shape::Decimal(s)) => put_decimal(out, v[k] as i128, s),
            (Vals::I64(_, v), _) => out.extend_from_slice(v[k].to_string().as_bytes()),
            (Vals::I96(_, v), _) => put_ts(out, v[k].to_nanos(), 1_000_000_000),
            (Vals::F32(_, v), _) => out.extend_from_slice(v[k].to_string().as_bytes()),
            (Vals::F64(_, v), _) => out.extend_from_slice(v[k].to_string().as_bytes()),
        }
    }
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn put_date(out: &mut Vec<u8>, days: i64) {
    let (y, m, d) = civil(days);
    out.extend_from_slice(format!("{y:04}-{m:02}-{d:02}").as_bytes());
}

fn put_ts(out: &mut Vec<u8>, v: i64, per_s: i64) {
    let secs = v.div_euclid(per_s);
    let frac = v.rem_euclid(per_s);
    put_date(out, secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    out.extend_from_slice(
        format!(" {:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60).as_bytes(),
    );
    if frac != 0 {
        let digits = per_s.ilog10() as usize;
        out.extend_from_slice(format!(".{frac:0digits$}").as_bytes());
    }
}

fn put_decimal(out: &mut Vec<u8>, v: i128, scale: i32) {
    if scale <= 0 {
        out.extend_from_slice(v.to_string().as_bytes());
        return;
    }
    let p = 10i128.pow(scale as u32);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.abs();
    out.extend_from_slice(format!("{sign}{}.{:0w$}", a / p, a % p, w = scale as usize).as_bytes());
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_and_timestamps_as_text() {
        let mut o = Vec::new();
        super::put_date(&mut o, 0);
        o.push(b'|');
        super::put_date(&mut o, 19_782); // 2024-02-29
        o.push(b'|');
        super::put_ts(&mut o, 1_709_164_800_500, 1000);
        o.push(b'|');
        super::put_decimal(&mut o, -1234, 2);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "1970-01-01|2024-02-29|2024-02-29 00:00:00.500|-12.34"
        );
    }
}
