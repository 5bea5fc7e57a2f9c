//! Worst-case inputs for timing: `cargo run --release --example stress`.
use std::time::Instant;
use steward_redact::detect::{detect, Options, Rules};
use steward_redact::Subject;

fn main() {
    let rules = Rules::builtin();
    let subject = Subject {
        name: "Margaret Thompson".into(),
        ..Default::default()
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "names",
            "Her son Jack Smith rang. Jack said Peter Jones and Mary Brown visited. "
                .repeat(30_000),
        ),
        (
            "unresolved",
            "Zorblax Quimby Fnord. Caradog Szczepanski (brother). ".repeat(40_000),
        ),
        ("at-signs", "a.b.c.d.e.f@".repeat(150_000)),
        ("digits", "0 1 2 3 4 5 6 7 8 9 ".repeat(100_000)),
        ("caps", "A B C D E F G H I J K L M N O P ".repeat(60_000)),
    ];
    for (name, text) in cases {
        let t = Instant::now();
        let d = detect(&text, &subject, &rules, &Options::default());
        let s = t.elapsed().as_secs_f64();
        println!(
            "{name:12} {:>8} bytes  {:>7.3} s  {:>7.1} MB/s  {} proposals",
            text.len(),
            s,
            text.len() as f64 / s / 1e6,
            d.proposals.len()
        );
    }
}
