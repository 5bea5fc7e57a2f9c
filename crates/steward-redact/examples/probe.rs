//! Prints each paragraph of stdin with proposals marked `[[text|entity:rule]]`.
//! `cargo run -p steward-redact --example probe [subject.json] < text`
use std::io::Read;

use steward_redact::{detect, Options, Rules, Subject};

fn main() {
    let subject: Subject = match std::env::args().nth(1) {
        Some(p) => serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap(),
        None => Subject {
            name: "Margaret Anne Thompson".into(),
            aliases: vec!["Peggy".into()],
            date_of_birth: Some("1950-04-03".into()),
            addresses: vec!["14 Acacia Avenue, Poole BH14 8QT".into()],
            ..Default::default()
        },
    };
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let rules = Rules::builtin();
    for para in input.split("\n\n") {
        let d = detect(para, &subject, &rules, &Options::default());
        let mut out = String::new();
        let mut at = 0;
        for p in &d.proposals {
            out.push_str(&para[at..p.start]);
            out.push_str(&format!(
                "[[{}|{:?}:{}]]",
                &para[p.start..p.end],
                p.entity,
                p.rule
            ));
            at = p.end;
        }
        out.push_str(&para[at..]);
        println!("{out}\n");
    }
}
