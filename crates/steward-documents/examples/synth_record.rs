//! Writes a synthetic GP record of N pages (default 500) as a PDF, plus subject.json.
//! Every person in it is invented; no real data.
//!
//! cargo run --release -p steward-documents --example synth_record -- OUT_DIR [PAGES]
use steward_documents::{write_pdf, DocumentSpec};

const FIRST: &[&str] = &[
    "Bartholomew",
    "Ottoline",
    "Peregrine",
    "Ysolde",
    "Thaddeus",
    "Marchetta",
    "Leopold",
    "Clementine",
    "Ambrose",
    "Philippa",
    "Horatio",
    "Winifred",
    "Cornelius",
    "Rosamund",
];
const LAST: &[&str] = &[
    "Quince",
    "Grebe",
    "Ashdown",
    "Marchbank",
    "Wraxall",
    "Pellinore",
    "Stavely",
    "Drummond",
    "Fairweather",
    "Holloway",
    "Kettlewell",
    "Umbridge",
    "Vanstone",
    "Yarrow",
];
const EVENTS: &[&str] = &[
    "Reviewed in clinic. Blood pressure 128/82. Continue current medication.",
    "Telephone consultation. Reports improved sleep. Plan: review in four weeks.",
    "Seen with {rel} {name}, who gave collateral history. Mood low but stable.",
    "Letter received from Dr {name} at the hospital: echocardiogram normal.",
    "Home visit. {rel} {name} present. Mobility reduced; referred to physiotherapy.",
    "Repeat prescription issued. Medication review completed by {name} (pharmacist).",
    "Contact number for {rel} {name}: 01632 96{d4}. Email {email}.",
    "Results: HbA1c 48 mmol/mol. Discussed diet; {name} to attend education session.",
];
const RELS: &[&str] = &["daughter", "neighbour", "son", "partner", "carer", "friend"];

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "bench-out".into()));
    let pages: usize = args.next().map(|p| p.parse()).transpose()?.unwrap_or(500);
    std::fs::create_dir_all(&out)?;
    let mut rng = Lcg(20261123);
    let mut spec = DocumentSpec::new("GP record: Marigold Featherstonehaugh (synthetic)");
    for page in 0..pages {
        if page > 0 {
            spec = spec.page_break();
        }
        spec = spec.heading(2, format!("Consultations, sheet {}", page + 1));
        for entry in 0..9 {
            let name = format!(
                "{} {}",
                FIRST[rng.next(FIRST.len())],
                LAST[rng.next(LAST.len())]
            );
            let text = EVENTS[rng.next(EVENTS.len())]
                .replace("{rel}", RELS[rng.next(RELS.len())])
                .replace("{name}", &name)
                .replace("{d4}", &format!("{:04}", rng.next(10_000)))
                .replace(
                    "{email}",
                    &format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
                );
            spec = spec.paragraph(format!(
                "{:02}/{:02}/20{:02} Dr Hollis Penhaligon: Marigold Featherstonehaugh (NHS 943 476 5919). {text}",
                1 + (page + entry) % 28,
                1 + page % 12,
                10 + page % 15
            ));
        }
    }
    std::fs::write(out.join("record.pdf"), write_pdf(&spec)?)?;
    let subject = serde_json::json!({
        "name": "Marigold Featherstonehaugh",
        "aliases": ["Marigold Featherstone"],
        "date_of_birth": "1961-04-09",
        "nhs_number": "9434765919",
        "addresses": ["7 Larkspur Lane, Exampleton, ZZ1 1ZZ"],
        "phones": ["01632 960001"],
        "emails": ["marigold@example.org"]
    });
    std::fs::write(
        out.join("subject.json"),
        serde_json::to_vec_pretty(&subject)?,
    )?;
    println!(
        "wrote {} ({} pages) and subject.json",
        out.join("record.pdf").display(),
        pages
    );
    Ok(())
}
