//! The filter end to end: generated extracts with known counts, every format pair, rejects by
//! line, refusal to overwrite, and the binary itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use steward_optout::generate::{generate, Expected, Spec};
use steward_optout::lists::{ListKind, OptOuts};
use steward_optout::{filter, Format, Options, Report};

fn lists(type1: &Path, ndoo: &Path) -> OptOuts {
    let mut l = OptOuts::new();
    l.read_file(type1, ListKind::Type1, "nhs_number").unwrap();
    l.read_file(ndoo, ListKind::Ndoo, "nhs_number").unwrap();
    assert!(l.problems().is_none());
    l
}

fn check(r: &Report, e: &Expected) {
    assert_eq!(r.rows_read, e.rows_read, "rows read");
    assert_eq!(r.rows_written, e.rows_written, "rows written");
    assert_eq!(r.removed_type1_only, e.removed_type1_only);
    assert_eq!(r.removed_ndoo_only, e.removed_ndoo_only);
    assert_eq!(r.removed_both, e.removed_both);
    assert_eq!(r.patients_removed, e.patients_removed);
    assert_eq!(r.rows_rejected, e.rows_rejected);
    assert_eq!(r.rejected_by_reason, e.rejected_by_reason);
}

/// Every record of a CSV file as field texts (header first).
fn records(p: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(p)
        .unwrap();
    r.records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn rejects_lines(p: &Path) -> Vec<u64> {
    records(p)[1..]
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect()
}

fn spec(rows: u64) -> Spec {
    let mut s = Spec::new(rows);
    s.patients = 2_000;
    s.bad = 0.01;
    s.quoted = 0.05;
    s.seed = 7;
    s
}

#[test]
fn csv_to_csv_matches_the_generated_counts_whatever_the_block_size() {
    let d = tempfile::tempdir().unwrap();
    let g = generate(&d.path().join("in"), &spec(20_000)).unwrap();
    let l = lists(&g.type1, &g.ndoo);
    let mut outs = Vec::new();
    for (i, (block, threads)) in [(8 << 20, 2), (4096, 2), (4096, 1), (65_536, 3)]
        .into_iter()
        .enumerate()
    {
        let mut o = Options::new(&g.extract, d.path().join(format!("clean{i}.csv")));
        o.block = block;
        o.threads = threads;
        let r = filter(&l, &o, &mut |_| {}).unwrap();
        check(&r, &g.expected);
        assert_eq!(rejects_lines(&o.rejects), g.expected.reject_lines);
        outs.push(std::fs::read(&o.output).unwrap());
    }
    assert!(outs.windows(2).all(|w| w[0] == w[1]), "outputs differ");
    // what is left: every row has a valid number on no list
    let recs = records(&d.path().join("clean0.csv"));
    assert_eq!(recs.len() as u64, g.expected.rows_written + 1);
    assert_eq!(recs[0][0], "nhs_number");
    for r in &recs[1..] {
        let n = steward_optout::nhs::parse(r[0].as_bytes()).unwrap();
        assert_eq!(l.lookup(n), 0);
        assert_eq!(r.len(), 8);
    }
}

#[test]
fn parquet_in_and_out_keep_the_same_rows() {
    let d = tempfile::tempdir().unwrap();
    let mut s = spec(10_000);
    s.bad = 0.0;
    let g = generate(&d.path().join("in"), &s).unwrap();
    let l = lists(&g.type1, &g.ndoo);
    let none = OptOuts::new();
    // CSV -> Parquet with no list: the whole extract as Parquet
    let mut o = Options::new(&g.extract, d.path().join("all.parquet"));
    o.block = 16_384; // several row groups
    let r = filter(&none, &o, &mut |_| {}).unwrap();
    assert_eq!(r.output_format, Format::Parquet);
    assert_eq!(r.rows_written, 10_000);
    // Parquet -> Parquet with the lists
    let o2 = Options::new(d.path().join("all.parquet"), d.path().join("clean.parquet"));
    let r2 = filter(&l, &o2, &mut |_| {}).unwrap();
    assert_eq!(r2.input_format, Format::Parquet);
    check(&r2, &g.expected);
    // Parquet -> CSV, and CSV -> CSV: the same records
    let o3 = Options::new(d.path().join("clean.parquet"), d.path().join("pq.csv"));
    let r3 = filter(&none, &o3, &mut |_| {}).unwrap();
    assert_eq!(r3.rows_written, g.expected.rows_written);
    let o4 = Options::new(&g.extract, d.path().join("direct.csv"));
    filter(&l, &o4, &mut |_| {}).unwrap();
    assert_eq!(records(&o3.output), records(&o4.output));
    // Parquet -> Parquet with nothing removed: same rows; rows written by row groups
    let o5 = Options::new(
        d.path().join("clean.parquet"),
        d.path().join("again.parquet"),
    );
    let r5 = filter(&l, &o5, &mut |_| {}).unwrap();
    assert_eq!(r5.rows_written, g.expected.rows_written);
    assert_eq!(r5.rows_removed, 0);
}

#[test]
fn bad_rows_are_rejected_by_line_never_passed_on() {
    let d = tempfile::tempdir().unwrap();
    let ex = d.path().join("extract.csv");
    // line 1 header; 2 ok (listed); 3 ok; 4-5 one record over two lines (kept);
    // 6 check digit; 7 missing; 8 too many fields; 9 too few; 10 spaces (listed);
    // 11 text after a quote; 12 blank; 13 ok with CRLF; 14 unterminated quote to the end
    std::fs::write(
        &ex,
        "nhs_number,note\n\
         9434765919,a\n\
         4010232137,b\n\
         4010232137,\"two\nlines\"\n\
         9434765918,c\n\
         ,d\n\
         4010232137,e,f\n\
         4010232137\n\
         \"943 476 5919\",g\n\
         \"401\"0232137,h\n\
         \n\
         401-023-2137,i\r\n\
         4010232137,\"never closed\nat all\n",
    )
    .unwrap();
    let mut l = OptOuts::new();
    l.add(9434765919, ListKind::Ndoo);
    let o = Options::new(&ex, d.path().join("clean.csv"));
    let r = filter(&l, &o, &mut |_| {}).unwrap();
    assert_eq!(r.rows_read, 11);
    assert_eq!(r.rows_written, 3);
    assert_eq!(r.rows_removed, 2);
    assert_eq!(r.patients_removed, 1);
    assert_eq!(r.rows_rejected, 6);
    assert_eq!(r.blank_lines, 1);
    assert_eq!(
        std::fs::read_to_string(&o.rejects).unwrap(),
        "line,reason\n\
         6,NHS number fails the check digit\n\
         7,NHS number missing\n\
         8,\"wrong number of fields: 3, expected 2\"\n\
         9,\"wrong number of fields: 1, expected 2\"\n\
         11,text after a closing quote\n\
         14,quoted field not closed before the end of the file\n"
    );
    assert_eq!(
        std::fs::read_to_string(&o.output).unwrap(),
        "nhs_number,note\n4010232137,b\n4010232137,\"two\nlines\"\n401-023-2137,i\r\n"
    );
    // the report counts and never names
    let text = r.text();
    assert!(!text.contains("9434765919"), "{text}");
    assert!(text.contains("removed:  2 rows (1 patient)"), "{text}");
}

#[test]
fn outputs_are_never_written_over_inputs_or_existing_files() {
    let d = tempfile::tempdir().unwrap();
    let ex = d.path().join("extract.csv");
    std::fs::write(&ex, "nhs_number\n9434765919\n").unwrap();
    let l = OptOuts::new();
    // over the input, even with force
    let mut o = Options::new(&ex, &ex);
    o.force = true;
    let e = filter(&l, &o, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("refusing to write over an input"), "{e}");
    // through another path to the same file
    let mut o = Options::new(&ex, d.path().join(".").join("extract.csv"));
    o.force = true;
    assert!(filter(&l, &o, &mut |_| {}).is_err());
    // an existing output without force
    let out = d.path().join("clean.csv");
    std::fs::write(&out, "keep me").unwrap();
    let o = Options::new(&ex, &out);
    let e = filter(&l, &o, &mut |_| {}).unwrap_err().to_string();
    assert!(e.contains("--force"), "{e}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    // with force
    let mut o = Options::new(&ex, &out);
    o.force = true;
    filter(&l, &o, &mut |_| {}).unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "nhs_number\n9434765919\n"
    );
    // a failed run leaves no output behind
    let o = Options::new(d.path().join("missing.csv"), d.path().join("new.csv"));
    assert!(filter(&l, &o, &mut |_| {}).is_err());
    assert!(!d.path().join("new.csv").exists());
}

#[test]
fn a_missing_nhs_number_column_is_named() {
    let d = tempfile::tempdir().unwrap();
    let ex = d.path().join("extract.csv");
    std::fs::write(&ex, "patient,code\n1,2\n").unwrap();
    let o = Options::new(&ex, d.path().join("clean.csv"));
    let e = filter(&OptOuts::new(), &o, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column \"nhs_number\"") && e.contains("patient, code"),
        "{e}"
    );
    assert!(!d.path().join("clean.csv").exists());
    // another column name, another delimiter
    std::fs::write(&ex, "Patient;NHS Number\n1;943 476 5919\n2;4010232137\n").unwrap();
    let mut o = Options::new(&ex, d.path().join("clean.csv"));
    o.delimiter = b';';
    o.column = "nhs number".into();
    let mut l = OptOuts::new();
    l.add(9434765919, ListKind::Type1);
    let r = filter(&l, &o, &mut |_| {}).unwrap();
    assert_eq!(r.rows_written, 1);
    assert_eq!(
        std::fs::read_to_string(&o.output).unwrap(),
        "Patient;NHS Number\n2;4010232137\n"
    );
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_steward-optout"))
}

#[test]
fn the_binary_filters_and_reports_counts_only() {
    let d = tempfile::tempdir().unwrap();
    let g = generate(&d.path().join("in"), &spec(5_000)).unwrap();
    let out = d.path().join("clean.csv");
    let rep = d.path().join("report.json");
    let run = |extra: &[&str]| {
        Command::new(bin())
            .arg("filter")
            .arg("--codes")
            .arg(&g.type1)
            .arg("--ndoo")
            .arg(&g.ndoo)
            .arg(&g.extract)
            .arg("-o")
            .arg(&out)
            .arg("--report")
            .arg(&rep)
            .args(extra)
            .output()
            .unwrap()
    };
    let r = run(&["-q"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(j["rows_read"], g.expected.rows_read);
    assert_eq!(j["rows_written"], g.expected.rows_written);
    assert_eq!(j["rows_rejected"], g.expected.rows_rejected);
    // no listed NHS number in what the run says
    let said = format!(
        "{}{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr),
        std::fs::read_to_string(&rep).unwrap()
    );
    let listed = std::fs::read_to_string(&g.ndoo).unwrap();
    for n in listed.lines().skip(1).take(50) {
        assert!(!said.contains(n), "{n} in the report");
    }
    // again without --force: refused, nothing changed
    let before = std::fs::read(&out).unwrap();
    let r = run(&[]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("--force"));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let r = run(&["--force", "-q"]);
    assert!(r.status.success());
    // a list with a bad row stops the run unless told
    let bad = d.path().join("bad-ndoo.csv");
    std::fs::write(&bad, "nhs_number\n9434765918\n").unwrap();
    let r = Command::new(bin())
        .args(["filter", "--ndoo"])
        .arg(&bad)
        .arg(&g.extract)
        .arg("-o")
        .arg(d.path().join("x.csv"))
        .output()
        .unwrap();
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("line 2: NHS number fails the check digit"),
        "{err}"
    );
    assert!(!d.path().join("x.csv").exists());
}

/// Memory is bounded by the lists, not by the extract: a file several times the process's peak.
/// `OPTOUT_STREAM_ROWS=N` for a larger one.
#[test]
fn a_large_extract_streams_in_bounded_memory() {
    let rows: u64 = std::env::var("OPTOUT_STREAM_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500_000);
    let d = tempfile::tempdir().unwrap();
    let mut s = Spec::new(rows);
    s.bad = 0.0001;
    let g = generate(d.path(), &s).unwrap();
    let size = std::fs::metadata(&g.extract).unwrap().len();
    let out = d.path().join("clean.csv");
    let rep = d.path().join("report.json");
    let r = Command::new(bin())
        .arg("filter")
        .arg("--codes")
        .arg(&g.type1)
        .arg("--ndoo")
        .arg(&g.ndoo)
        .arg(&g.extract)
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(&rep)
        .arg("-q")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert_eq!(j["rows_written"], g.expected.rows_written);
    let peak = j["peak_memory_mb"].as_f64().unwrap();
    eprintln!("{} MB extract, peak {peak:.1} MB", size >> 20);
    assert!(size > 100 << 20, "extract only {size} bytes");
    assert!(
        peak < 80.0,
        "peak memory {peak} MB for a {size}-byte extract"
    );
}

/// Random fields full of delimiters, quotes and line breaks (written by the `csv` crate), cut
/// into small blocks so that many quoted fields run over a block's end: the output parses to the
/// same records, and the removed rows are exactly the listed ones.
#[test]
fn quoted_fields_across_block_ends_are_kept_whole() {
    let d = tempfile::tempdir().unwrap();
    let ex = d.path().join("extract.csv");
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let valid: Vec<u64> = (999_000_000..999_000_400u64)
        .filter_map(|p| steward_optout::nhs::check_digit(p).map(|c| p * 10 + c as u64))
        .collect();
    let alphabet = ['a', 'b', ',', '"', '\n', ' ', 'x', '\r'];
    let mut w = csv::Writer::from_path(&ex).unwrap();
    w.write_record(["nhs_number", "text", "more"]).unwrap();
    let mut expected = Vec::new();
    let mut l = OptOuts::new();
    for (i, &n) in valid.iter().enumerate() {
        if i % 5 == 0 {
            l.add(n, ListKind::Ndoo);
        }
    }
    for _ in 0..3_000 {
        let n = valid[rnd(valid.len() as u64) as usize];
        let mut text = String::new();
        for _ in 0..rnd(400) {
            let c = alphabet[rnd(alphabet.len() as u64) as usize];
            // a lone CR inside a quoted field is kept as it is; keep CR before LF only
            if c == '\r' {
                text.push_str("\r\n");
            } else {
                text.push(c);
            }
        }
        let rec = vec![n.to_string(), text, rnd(1000).to_string()];
        w.write_record(&rec).unwrap();
        if l.lookup(n) == 0 {
            expected.push(rec);
        }
    }
    w.flush().unwrap();
    drop(w);
    for threads in [1, 2] {
        let mut o = Options::new(&ex, d.path().join(format!("clean{threads}.csv")));
        o.block = 4096;
        o.threads = threads;
        let r = filter(&l, &o, &mut |_| {}).unwrap();
        assert_eq!(r.rows_read, 3_000);
        assert_eq!(r.rows_rejected, 0);
        assert_eq!(r.rows_written, expected.len() as u64);
        let got = records(&o.output);
        assert_eq!(got[0], ["nhs_number", "text", "more"]);
        assert_eq!(&got[1..], &expected[..]);
    }
}
