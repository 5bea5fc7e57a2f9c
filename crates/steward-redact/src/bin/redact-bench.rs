//! redact-bench: runs Steward's detector over a redact-synth JSONL corpus.
//!
//!     redact-bench CORPUS.jsonl PREDICTIONS.jsonl [--min-seconds S]
//!
//! Writes one line per record: {"id", "spans": [{start, end, entity, rule}]}, and prints the
//! throughput of `detect` alone (parsing and writing excluded), single-threaded, as JSON on
//! stdout: {"bytes", "docs", "reps", "seconds", "mb_per_s"}. MB = 10^6 bytes.

use std::io::{BufRead, Write};
use std::time::Instant;

use serde::Deserialize;
use steward_redact::detect::{detect_with, Options, Rules};
use steward_redact::{KnownParties, Subject};

#[derive(Deserialize)]
struct Rec {
    id: usize,
    subject: Subject,
    #[serde(default)]
    options: Options,
    text: String,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: redact-bench CORPUS.jsonl PREDICTIONS.jsonl [--min-seconds S] [--organisation ORG.json] [--staff STAFF.csv]");
        std::process::exit(2);
    }
    let min_secs: f64 = args
        .iter()
        .position(|a| a == "--min-seconds")
        .and_then(|i| args.get(i + 1))
        .map_or(3.0, |s| s.parse().expect("--min-seconds S"));
    let f = std::fs::File::open(&args[1]).expect("open corpus");
    let recs: Vec<Rec> = std::io::BufReader::new(f)
        .lines()
        .map(|l| serde_json::from_str(&l.expect("read")).expect("parse record"))
        .collect();
    let rules = Rules::builtin();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let mut known = KnownParties::default();
    if let Some(p) = arg("--organisation") {
        let text = std::fs::read_to_string(p).expect("read organisation");
        known.organisation = Some(serde_json::from_str(&text).expect("parse organisation"));
    }
    if let Some(p) = arg("--staff") {
        let text = std::fs::read_to_string(p).expect("read staff");
        known.staff = KnownParties::staff_from_csv(&text).expect("parse staff");
    }
    let bytes: usize = recs.iter().map(|r| r.text.len()).sum();

    // Predictions (first pass, also warms caches).
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args[2]).expect("create"));
    for r in &recs {
        let d = detect_with(&r.text, &r.subject, &known, &rules, &r.options);
        let spans: Vec<_> = d
            .proposals
            .iter()
            .map(|p| serde_json::json!({"start": p.start, "end": p.end, "entity": p.entity, "rule": p.rule}))
            .collect();
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({"id": r.id, "spans": spans, "flags": d.flags.len()}),
        )
        .expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("flush");

    // Timing: whole-corpus repetitions until min_secs have passed.
    let mut reps = 0u32;
    let mut found = 0usize;
    let c0 = thread_cpu_seconds();
    let t0 = Instant::now();
    loop {
        for r in &recs {
            let d = detect_with(&r.text, &r.subject, &known, &rules, &r.options);
            found += d.proposals.len() + d.flags.len();
        }
        reps += 1;
        if t0.elapsed().as_secs_f64() >= min_secs {
            break;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = match (c0, thread_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let total = bytes as f64 * f64::from(reps);
    println!(
        "{}",
        serde_json::json!({
            "bytes": bytes, "docs": recs.len(), "reps": reps, "seconds": secs,
            "mb_per_s": total / secs / 1e6,
            "cpu_seconds": cpu,
            "cpu_mb_per_s": cpu.map(|c| total / c / 1e6),
            "found": found / reps as usize
        })
    );
}

/// CPU time of this thread (Linux: /proc/thread-self/schedstat, first field in ns), so the
/// figure does not depend on what else the machine is running.
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}
