//! redact-synth: writes synthetic UK clinical records (GP consultation notes, hospital letters,
//! discharge summaries) with gold spans for third parties' personal data, as JSONL.
//!
//! Synthetic people only: every name, number and address is made up here from a seeded
//! generator (SplitMix64), so the same seed gives the same corpus byte for byte.
//!
//!     redact-synth [--seed N] [--docs N] > corpus.jsonl
//!
//! Each line: {"id", "kind", "subject", "options", "text", "gold": [{start,end,entity}],
//! "keep": [{start,end,what}], "decoys": [{start,end,what}]} with byte offsets into text.
//! `keep` marks the subject's own data and professionals' names (must not be redacted);
//! `decoys` marks look-alikes that are not identifiers (invalid NHS / NI numbers).

use serde::Serialize;
use steward_redact::{Entity, Subject};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 1.0 < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

// Names the detector's gazetteers do not contain: recall on these comes from context alone.
const RARE_FEMALE: &[&str] = &[
    "Tallulah",
    "Oluwaseun",
    "Eilidh",
    "Caoimhe",
    "Ffion",
    "Aurelia",
    "Thandiwe",
    "Kerenza",
    "Morwenna",
    "Saoirse",
    "Niamh",
    "Blodwen",
    "Ottilie",
    "Marisol",
    "Ifeoma",
    "Rhiannon",
    "Yolanda",
    "Perpetua",
    "Zuzanna",
    "Wiktoria",
];
const RARE_MALE: &[&str] = &[
    "Bartholomew",
    "Rhodri",
    "Zbigniew",
    "Jago",
    "Lowen",
    "Ptolemy",
    "Oisin",
    "Tadhg",
    "Cosmo",
    "Benedikt",
    "Oluwafemi",
    "Ignatius",
    "Lachlan",
    "Barnaby",
    "Dmitri",
    "Caradog",
    "Emrys",
    "Torin",
    "Wojciech",
    "Evander",
];
const RARE_SURNAMES: &[&str] = &[
    "Pengelly",
    "Trevithick",
    "Quarmby",
    "Oyelaran",
    "Szczepanski",
    "Featherstonehaugh",
    "Bamigboye",
    "Ekwueme",
    "Vosper",
    "Polglase",
    "Nankervis",
    "Throssell",
    "Ackroyd-Blythe",
    "Kettleborough",
    "Mountjoy",
    "Venables",
    "Oduya",
    "Brzezinski",
    "Tremayne",
    "Lightowler",
];
const STREETS: &[&str] = &[
    "Acacia",
    "Victoria",
    "Station",
    "Church",
    "Mill",
    "Kingsley",
    "Wessex",
    "Ashley",
    "Coniston",
    "Marlborough",
    "Salisbury",
    "Sandbanks",
    "Harbour",
    "Elm",
    "Oakwood",
    "Beechwood",
    "Holdenhurst",
    "Wimborne",
    "Ringwood",
    "Castle",
    "Orchard",
    "Meadow",
    "Cranbrook",
    "Bournside",
    "Lilliput",
    "Parkstone",
    "Fernside",
    "St Aldhelm's",
];
const SUFFIXES: &[&str] = &[
    "Road", "Street", "Avenue", "Lane", "Close", "Drive", "Way", "Crescent", "Gardens", "Place",
    "Court", "Terrace", "Grove", "Rise", "Mews",
];
const TOWNS: &[&str] = &[
    "Poole",
    "Bournemouth",
    "Dorchester",
    "Weymouth",
    "Christchurch",
    "Wimborne",
    "Ferndown",
    "Swanage",
    "Wareham",
    "Bridport",
    "Blandford Forum",
    "Sherborne",
    "Verwood",
    "Broadstone",
];
const EMAIL_DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "mail.example.co.uk",
    "test.example.uk",
];

#[derive(Clone)]
struct Person {
    first: String,
    last: String,
    female: bool,
}

impl Person {
    fn full(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

#[derive(Serialize)]
struct Span {
    start: usize,
    end: usize,
    entity: Entity,
}

#[derive(Serialize)]
struct Mark {
    start: usize,
    end: usize,
    what: &'static str,
}

#[derive(Serialize, Default)]
struct DocOptions {
    subject_identifiers: Vec<String>,
    hospital_number_patterns: Vec<String>,
}

#[derive(Serialize)]
struct Record {
    id: usize,
    kind: &'static str,
    subject: Subject,
    options: DocOptions,
    text: String,
    gold: Vec<Span>,
    keep: Vec<Mark>,
    decoys: Vec<Mark>,
}

#[derive(Default)]
struct Doc {
    text: String,
    gold: Vec<Span>,
    keep: Vec<Mark>,
    decoys: Vec<Mark>,
}

impl Doc {
    fn t(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    fn g(&mut self, e: Entity, s: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(s);
        self.gold.push(Span {
            start,
            end: self.text.len(),
            entity: e,
        });
        self
    }
    fn k(&mut self, what: &'static str, s: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(s);
        self.keep.push(Mark {
            start,
            end: self.text.len(),
            what,
        });
        self
    }
    fn d(&mut self, what: &'static str, s: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(s);
        self.decoys.push(Mark {
            start,
            end: self.text.len(),
            what,
        });
        self
    }
}

struct Gen {
    rng: Rng,
    female: Vec<String>,
    male: Vec<String>,
    surnames: Vec<String>,
}

fn nhs_check(d: &[u32; 9]) -> Option<u32> {
    let sum: u32 = d.iter().zip((2..=10).rev()).map(|(a, w)| a * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

impl Gen {
    fn person(&mut self, female: bool, surname: Option<&str>) -> Person {
        let rare = self.rng.chance(0.15);
        let first = if rare {
            self.rng
                .pick(if female { RARE_FEMALE } else { RARE_MALE })
                .to_string()
        } else if female {
            self.rng.pick(&self.female).clone()
        } else {
            self.rng.pick(&self.male).clone()
        };
        let last = match surname {
            Some(s) => s.to_string(),
            None if self.rng.chance(0.12) => self.rng.pick(RARE_SURNAMES).to_string(),
            None => self.rng.pick(&self.surnames).clone(),
        };
        Person {
            first,
            last,
            female,
        }
    }

    fn nhs_digits(&mut self) -> String {
        loop {
            let mut d = [0u32; 9];
            d[0] = self.rng.range(4, 7);
            for x in d.iter_mut().skip(1) {
                *x = self.rng.range(0, 9);
            }
            if let Some(c) = nhs_check(&d) {
                return d
                    .iter()
                    .chain(std::iter::once(&c))
                    .map(|x| char::from(b'0' + *x as u8))
                    .collect();
            }
        }
    }

    fn invalid_nhs_digits(&mut self) -> String {
        loop {
            let mut d = [0u32; 10];
            d[0] = self.rng.range(1, 9);
            for x in d.iter_mut().skip(1) {
                *x = self.rng.range(0, 9);
            }
            let first9 = [d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8]];
            if nhs_check(&first9) != Some(d[9]) {
                return d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
            }
        }
    }

    fn fmt_nhs(&mut self, d: &str) -> String {
        if self.rng.chance(0.75) {
            format!("{} {} {}", &d[..3], &d[3..6], &d[6..])
        } else {
            d.to_string()
        }
    }

    fn ni(&mut self) -> String {
        const FIRST: &[u8] = b"ABCEGHJKLMNOPRSTWXYZ";
        const SECOND: &[u8] = b"ABCEGHJKLMNPRSTWXYZ";
        loop {
            let a = *self.rng.pick(FIRST) as char;
            let b = *self.rng.pick(SECOND) as char;
            let p = format!("{a}{b}");
            if ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&p.as_str()) {
                continue;
            }
            let n = self.rng.range(0, 999_999);
            let s = *self.rng.pick(b"ABCD") as char;
            return if self.rng.chance(0.5) {
                format!("{p}{n:06}{s}")
            } else {
                let n = format!("{n:06}");
                format!("{p} {} {} {} {s}", &n[..2], &n[2..4], &n[4..])
            };
        }
    }

    fn bad_ni(&mut self) -> String {
        let n = self.rng.range(0, 999_999);
        match self.rng.below(4) {
            0 => format!("QQ {:02} {:02} {:02} C", n / 10000, n / 100 % 100, n % 100),
            1 => format!("BG{n:06}A"),
            2 => format!("DA{n:06}B"),
            _ => format!("TN{n:06}D"),
        }
    }

    fn postcode(&mut self) -> String {
        const A1: &[u8] = b"ABCDEFGHIJKLMNOPRSTUWYZ";
        const A2: &[u8] = b"ABCDEFGHKLMNOPQRSTUVWXY";
        const A3: &[u8] = b"ABCDEFGHJKPSTUW";
        const A4: &[u8] = b"ABEHMNPRVWXY";
        const IN: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
        let c = |r: &mut Rng, s: &[u8]| *r.pick(s) as char;
        let r = &mut self.rng;
        let outward = match r.below(7) {
            0 => format!("{}{}", c(r, A1), r.range(1, 9)),
            1 => format!("{}{}", c(r, A1), r.range(10, 99)),
            2 => format!("{}{}{}", c(r, A1), c(r, A2), r.range(1, 9)),
            3 => format!("{}{}{}", c(r, A1), c(r, A2), r.range(10, 99)),
            4 => format!("{}{}{}", c(r, A1), r.range(1, 9), c(r, A3)),
            5 => format!("{}{}{}{}", c(r, A1), c(r, A2), r.range(1, 9), c(r, A4)),
            _ => format!("BH{}", r.range(1, 25)),
        };
        if r.below(200) == 0 {
            return "GIR 0AA".into();
        }
        let inward = format!("{}{}{}", r.range(0, 9), c(r, IN), c(r, IN));
        if r.chance(0.1) {
            format!("{outward}{inward}")
        } else {
            format!("{outward} {inward}")
        }
    }

    fn phone(&mut self) -> String {
        let r = &mut self.rng;
        match r.below(6) {
            0 => format!("07700 900{:03}", r.range(0, 999)),
            1 => format!("01202 {:06}", r.range(100_000, 999_999)),
            2 => format!("+44 7700 900{:03}", r.range(0, 999)),
            3 => format!("020 7946 0{:03}", r.range(0, 999)),
            4 => format!("(01305) {:06}", r.range(200_000, 999_999)),
            _ => format!("07{}{:08}", r.range(4, 9), r.range(0, 99_999_999)),
        }
    }

    fn email(&mut self, p: &Person) -> String {
        let d = self.rng.pick(EMAIL_DOMAINS);
        let f = p.first.to_lowercase();
        let l = p.last.to_lowercase().replace(['\'', '-'], "");
        match self.rng.below(3) {
            0 => format!("{f}.{l}@{d}"),
            1 => format!("{}{l}{}@{d}", &f[..1], self.rng.range(1, 99)),
            _ => format!("{f}_{l}@{d}"),
        }
    }

    fn street(&mut self) -> String {
        format!(
            "{} {} {}",
            self.rng.range(1, 240),
            self.rng.pick(STREETS),
            self.rng.pick(SUFFIXES)
        )
    }

    fn date(&mut self, y0: u32, y1: u32) -> (u32, u32, u32) {
        (
            self.rng.range(y0, y1),
            self.rng.range(1, 12),
            self.rng.range(1, 28),
        )
    }

    fn fmt_date(&mut self, (y, m, d): (u32, u32, u32)) -> String {
        const M: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        match self.rng.below(3) {
            0 => format!("{d:02}/{m:02}/{y}"),
            1 => format!("{d} {} {y}", M[m as usize - 1]),
            _ => format!("{d:02}.{m:02}.{y}"),
        }
    }
}

struct SubjectData {
    p: Person,
    middle: Option<String>,
    dob: (u32, u32, u32),
    nhs: String,
    street: String,
    town: String,
    postcode: String,
    phone: String,
    email: String,
    hosp: String,
}

const RELATIONS_F: &[&str] = &[
    "wife",
    "daughter",
    "mother",
    "sister",
    "partner",
    "neighbour",
    "friend",
    "carer",
    "granddaughter",
    "niece",
];
const RELATIONS_M: &[&str] = &[
    "husband",
    "son",
    "father",
    "brother",
    "partner",
    "neighbour",
    "friend",
    "carer",
    "grandson",
    "nephew",
];

fn professional(g: &mut Gen) -> (String, String) {
    // (name as written, role) — names of staff acting in their role are kept.
    let f = g.rng.chance(0.5);
    let p = g.person(f, None);
    let roles = [
        "GP",
        "Practice Nurse",
        "Health Visitor",
        "Consultant Cardiologist",
        "Pharmacist",
        "District Nurse",
        "Physiotherapist",
        "Registrar",
    ];
    let role = g.rng.pick(&roles).to_string();
    let name = match g.rng.below(4) {
        0 => format!("Dr {}", p.last),
        1 => format!("Dr {} {}", &p.first[..1], p.last),
        2 => format!("{} {}", &p.first[..1], p.last),
        _ => p.full(),
    };
    (name, role)
}

/// A third party mentioned with a relationship word; returns the person.
fn third_party_mention(g: &mut Gen, doc: &mut Doc, s: &SubjectData) -> Person {
    let female = g.rng.chance(0.5);
    let same_surname = g.rng.chance(0.4);
    let rel = if female {
        g.rng.pick(RELATIONS_F)
    } else {
        g.rng.pick(RELATIONS_M)
    }
    .to_string();
    let mut p = g.person(female, same_surname.then_some(s.p.last.as_str()));
    while p.first == s.p.first {
        p = g.person(female, same_surname.then_some(s.p.last.as_str()));
    }
    let pron = if s.p.female { "Her" } else { "His" };
    match g.rng.below(6) {
        0 => {
            doc.t(&format!("{pron} {rel} "));
            doc.g(Entity::PersonName, &p.full());
            doc.t(" attended with the patient today. ");
        }
        1 => {
            doc.t("Accompanied by ");
            doc.g(Entity::PersonName, &p.first);
            doc.t(&format!(" ({rel}). "));
        }
        2 => {
            let title = if female { "Mrs" } else { "Mr" };
            doc.t(&format!("{pron} {rel}, {title} "));
            doc.g(Entity::PersonName, &p.last);
            doc.t(", telephoned the surgery with concerns. ");
        }
        3 => {
            doc.t("Lives with ");
            doc.t(if s.p.female { "her " } else { "his " });
            doc.t(&format!("{rel} "));
            doc.g(Entity::PersonName, &p.first);
            doc.t(", who is supportive. ");
        }
        4 => {
            doc.g(Entity::PersonName, &p.full());
            doc.t(&format!(
                ", the patient's {rel}, reports that things have been difficult at home. "
            ));
        }
        _ => {
            doc.t(&format!(
                "Discussed with {} {rel} ",
                if s.p.female { "her" } else { "his" }
            ));
            doc.g(Entity::PersonName, &p.full());
            doc.t(". ");
        }
    }
    p
}

fn third_party_details(g: &mut Gen, doc: &mut Doc, p: &Person) {
    let he = if p.female { "She" } else { "He" };
    let their = if p.female { "her" } else { "his" };
    let n = g.rng.below(7);
    match n {
        0 => {
            doc.t(&format!("{he} can be contacted on "));
            let ph = g.phone();
            doc.g(Entity::Phone, &ph);
            doc.t(". ");
        }
        1 => {
            doc.t(&format!("{he} lives at "));
            let st = g.street();
            let town = g.rng.pick(TOWNS).to_string();
            doc.g(Entity::StreetAddress, &format!("{st}, {town}"));
            doc.t(", ");
            let pc = g.postcode();
            doc.g(Entity::Postcode, &pc);
            doc.t(". ");
        }
        2 => {
            doc.t(&format!("Email for {their} updates: "));
            let e = g.email(p);
            doc.g(Entity::Email, &e);
            doc.t(". ");
        }
        3 => {
            doc.t(if p.female {
                "Her NHS number is "
            } else {
                "His NHS number is "
            });
            let d = g.nhs_digits();
            let f = g.fmt_nhs(&d);
            doc.g(Entity::NhsNumber, &f);
            doc.t(". ");
        }
        4 => {
            doc.t(&format!("{he} gave {their} NI number as "));
            let ni = g.ni();
            doc.g(Entity::NiNumber, &ni);
            doc.t(" for the carer's allowance form. ");
        }
        5 => {
            doc.g(Entity::PersonName, &p.first);
            doc.t(" (DOB ");
            let dt = g.date(1940, 2020);
            let ds = g.fmt_date(dt);
            doc.g(Entity::DateOfBirth, &ds);
            doc.t(&format!(
                ") is registered elsewhere; {their} hospital number is "
            ));
            let h = format!("RDZ{:07}", g.rng.range(0, 9_999_999));
            doc.g(Entity::HospitalNumber, &h);
            doc.t(". ");
        }
        _ => {
            doc.t(&format!("Mobile for {their} contact: "));
            let ph = g.phone();
            doc.g(Entity::Phone, &ph);
            doc.t(", or ");
            let e = g.email(p);
            doc.g(Entity::Email, &e);
            doc.t(". ");
        }
    }
}

fn decoys(g: &mut Gen, doc: &mut Doc) {
    match g.rng.below(4) {
        0 => {
            doc.t("Lab sample reference ");
            let d = g.invalid_nhs_digits();
            doc.d("invalid_nhs", &d);
            doc.t(" received. ");
        }
        1 => {
            doc.t("Old record number ");
            let d = g.invalid_nhs_digits();
            let f = format!("{} {} {}", &d[..3], &d[3..6], &d[6..]);
            doc.d("invalid_nhs", &f);
            doc.t(" (does not validate). ");
        }
        2 => {
            doc.t("Form example reference ");
            let b = g.bad_ni();
            doc.d("invalid_ni", &b);
            doc.t(" ignored. ");
        }
        _ => {
            doc.t(&format!(
                "BP {}/{}, pulse {}, weight {}.{} kg. ",
                g.rng.range(100, 160),
                g.rng.range(60, 95),
                g.rng.range(55, 100),
                g.rng.range(45, 110),
                g.rng.range(0, 9)
            ));
        }
    }
}

const CLINICAL: &[&str] = &[
    "Presents with a three-week history of productive cough and intermittent fever. Chest clear on auscultation.",
    "Review of type 2 diabetes. HbA1c improved since last visit. Continue metformin 500mg twice daily.",
    "Low mood for two months, sleeping poorly. PHQ-9 score 14. Discussed options, started sertraline 50mg.",
    "Lower back pain after lifting at work. No red flags. Advised simple analgesia and physiotherapy self-referral.",
    "Blood pressure review. Home readings average 142/88. Increase ramipril to 5mg once daily.",
    "Asthma review. Using salbutamol three times a week. Inhaler technique checked and corrected.",
    "Knee pain, worse on stairs. Examination suggests osteoarthritis. X-ray requested.",
    "Rash on forearms for one week, itchy. Looks like contact dermatitis. Emollient and hydrocortisone 1% prescribed.",
];

fn subject_mention(g: &mut Gen, doc: &mut Doc, s: &SubjectData) {
    let title = if s.p.female { "Mrs" } else { "Mr" };
    match g.rng.below(4) {
        0 => {
            doc.t(&format!("{title} "));
            doc.k("subject", &s.p.last);
            doc.t(" was seen today. ");
        }
        1 => {
            doc.k("subject", &s.p.first);
            doc.t(" reports feeling better. ");
        }
        2 => {
            doc.k("subject", &s.p.full());
            doc.t(" attended alone. ");
        }
        _ => {
            doc.t("Patient's own mobile ");
            doc.k("subject_phone", &s.phone);
            doc.t(" confirmed. ");
        }
    }
}

/// Harder, more varied material: lists, sentence-initial names, other formats, decoys.
fn hard_segment(g: &mut Gen, doc: &mut Doc, s: &SubjectData) {
    let pos = if s.p.female { "her" } else { "his" };
    match g.rng.below(16) {
        0 => {
            // A list of people present.
            let a = g.person(true, Some(&s.p.last.clone()));
            let b = g.person(false, None);
            let (pro, role) = professional(g);
            doc.t("Present at the meeting: ");
            doc.g(Entity::PersonName, &a.full());
            doc.t(" (daughter), ");
            doc.g(Entity::PersonName, &b.full());
            doc.t(" (son-in-law) and ");
            doc.k("professional", &pro);
            doc.t(&format!(" ({role}). "));
        }
        1 => {
            // Sentence-initial first name, no relationship word next to it.
            let fem = g.rng.chance(0.5);
            let a = g.person(fem, None);
            doc.g(Entity::PersonName, &a.first);
            doc.t(&format!(" rang to say she is worried about {pos} memory. "));
        }
        2 => {
            // Words that look like names but are not.
            let w = *g.rng.pick(&[
                "Mark as reviewed. ",
                "Will review in two weeks. ",
                "May need a referral if no better. ",
                "Grace period for the repeat prescription agreed. ",
                "Seen at Kingsley Surgery by the duty team. ",
                "Transferred to Victoria Ward overnight. ",
                "Letter copied to St Mary's Hospital. ",
                "Hope to reduce the dose next month. ",
                "Bill from the private clinic attached. ",
            ]);
            doc.t(w);
        }
        3 => {
            // A move without a postcode; flats.
            let fem = g.rng.chance(0.5);
            let p = g.person(fem, None);
            doc.t("Ex-partner ");
            doc.g(Entity::PersonName, &p.full());
            doc.t(" has moved to ");
            let flat = g.rng.range(1, 12);
            let st = g.street();
            if g.rng.chance(0.5) {
                doc.g(Entity::StreetAddress, &format!("Flat {flat}, {st}"));
            } else {
                doc.g(Entity::StreetAddress, &st);
            }
            doc.t(" and the patient does not want this shared. ");
        }
        4 => {
            // Other phone formats.
            let fem = g.rng.chance(0.5);
            let p = g.person(fem, None);
            doc.t("Next of kin: ");
            doc.g(Entity::PersonName, &p.full());
            doc.t(" (brother), tel. ");
            let ph = match g.rng.below(4) {
                0 => format!("07700-900{:03}", g.rng.range(0, 999)),
                1 => format!("0117 496 0{:03}", g.rng.range(0, 999)),
                2 => format!("+44 (0)1202 {:06}", g.rng.range(100_000, 999_999)),
                _ => format!("01632 960 {:03}", g.rng.range(0, 999)),
            };
            doc.g(Entity::Phone, &ph);
            doc.t(". ");
        }
        5 => {
            // Upper-case email, hyphenated NHS number.
            let fem = g.rng.chance(0.5);
            let p = g.person(fem, None);
            let e = g.email(&p);
            let e = format!("{}{}", e[..1].to_uppercase(), &e[1..]);
            doc.t("Daughter-in-law ");
            doc.g(Entity::PersonName, &p.full());
            doc.t(" emailed from ");
            doc.g(Entity::Email, &e);
            doc.t("; her NHS number ");
            let d = g.nhs_digits();
            doc.g(
                Entity::NhsNumber,
                &format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
            );
            doc.t(" was quoted. ");
        }
        6 => {
            // Other DOB forms.
            let fem = g.rng.chance(0.5);
            let p = g.person(fem, None);
            doc.t(&format!(
                "{} grandchild ",
                if s.p.female { "Her" } else { "His" }
            ));
            doc.g(Entity::PersonName, &p.first);
            doc.t(", born on ");
            let (y, m, d) = g.date(2010, 2024);
            const M: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let suffix = match d {
                1 | 21 => "st",
                2 | 22 => "nd",
                3 | 23 => "rd",
                _ => "th",
            };
            doc.g(
                Entity::DateOfBirth,
                &format!("{d}{suffix} {} {y}", M[m as usize - 1]),
            );
            doc.t(", is staying with the patient. ");
        }
        7 => {
            // Professionals in other shapes: kept.
            let fem = g.rng.chance(0.5);
            let p = g.person(fem, None);
            match g.rng.below(4) {
                0 => {
                    doc.t("Nurse ");
                    doc.k("professional", &p.last);
                    doc.t(" dressed the wound. ");
                }
                1 => {
                    doc.t("Letter from ");
                    doc.k("professional", &format!("Dr {}", p.last));
                    doc.t(", consultant psychiatrist, received. ");
                }
                2 => {
                    doc.t("Discussed with ");
                    doc.k("professional", &format!("Mr {}", p.full()));
                    doc.t(", consultant orthopaedic surgeon. ");
                }
                _ => {
                    doc.t("Health Visitor ");
                    doc.k("professional", &p.full());
                    doc.t(" visited at home. ");
                }
            }
        }
        8 => {
            // A relative who is a doctor is still a third party.
            let p = g.person(true, Some(&s.p.last.clone()));
            doc.t(&format!(
                "{} daughter, Dr ",
                if s.p.female { "Her" } else { "His" }
            ));
            doc.g(Entity::PersonName, &p.full());
            doc.t(", asked for an update. ");
        }
        9 => {
            // Couple with a shared title.
            let last = g.person(true, None).last;
            doc.t("Neighbours Mr and Mrs ");
            doc.g(Entity::PersonName, &last);
            doc.t(" have been shopping for the patient. ");
        }
        10 => {
            // Rare first name alone at the start of a sentence (context-free: a hard case).
            let f = g.rng.chance(0.5);
            let name = g
                .rng
                .pick(if f { RARE_FEMALE } else { RARE_MALE })
                .to_string();
            doc.g(Entity::PersonName, &name);
            doc.t(" from next door called an ambulance. ");
        }
        11 => {
            // Hospital letter style surname-first name.
            let fem = g.rng.chance(0.5);
            let p = g.person(fem, None);
            doc.t("Referral also received for ");
            doc.g(
                Entity::PersonName,
                &format!("{}, {}", p.last.to_uppercase(), p.first),
            );
            doc.t(" (another patient) and returned to sender. ");
        }
        12 => {
            // The subject's own data in passing: kept.
            doc.t("Patient asked us to use ");
            doc.k("subject_email", &s.email);
            doc.t(" and ");
            doc.k("subject_phone", &s.phone);
            doc.t(" for appointment reminders. ");
        }
        13 => {
            // Organisation contact details: not a person's.
            doc.t("Community mental health team duty line ");
            let ph = format!("01202 {:06}", g.rng.range(100_000, 999_999));
            doc.k("organisation_phone", &ph);
            doc.t(". ");
        }
        14 => {
            // Initials and middle initials.
            let fem = g.rng.chance(0.5);
            let p = g.person(fem, None);
            doc.t("Lasting power of attorney held by ");
            let mid = (b'A' + g.rng.below(26) as u8) as char;
            doc.g(
                Entity::PersonName,
                &format!("{} {mid}. {}", p.first, p.last),
            );
            doc.t(" (son). ");
        }
        _ => {
            // A third party's postcode alone.
            let fem = g.rng.chance(0.5);
            let p = g.person(fem, None);
            doc.t("Carer ");
            doc.g(Entity::PersonName, &p.full());
            doc.t(" lives nearby (");
            let pc = g.postcode();
            doc.g(Entity::Postcode, &pc);
            doc.t("). ");
        }
    }
}

fn gp_notes(g: &mut Gen, doc: &mut Doc, s: &SubjectData) {
    let entries = g.rng.range(2, 4);
    for _ in 0..entries {
        let (name, role) = professional(g);
        let dt = g.date(2019, 2025);
        let ds = g.fmt_date(dt);
        doc.t(&format!("{ds} - "));
        if g.rng.chance(0.5) {
            doc.t("Seen by ");
            doc.k("professional", &name);
            doc.t(&format!(" ({role})\n"));
        } else {
            doc.k("professional", &name);
            doc.t(&format!(", {role}\n"));
        }
        subject_mention(g, doc, s);
        let c: &&str = g.rng.pick(CLINICAL);
        doc.t(c);
        doc.t(" ");
        if g.rng.chance(0.8) {
            let p = third_party_mention(g, doc, s);
            if g.rng.chance(0.85) {
                third_party_details(g, doc, &p);
            }
        }
        if g.rng.chance(0.5) {
            decoys(g, doc);
        }
        for _ in 0..g.rng.below(3) {
            hard_segment(g, doc, s);
        }
        if g.rng.chance(0.15) {
            doc.t("Another patient, ");
            let f = g.rng.chance(0.5);
            let o = g.person(f, None);
            doc.g(Entity::PersonName, &o.full());
            doc.t(", was mentioned in error; letter refiled. ");
        }
        doc.t("\n\n");
    }
}

fn header(g: &mut Gen, doc: &mut Doc, s: &SubjectData) {
    let title = if s.p.female { "Mrs" } else { "Mr" };
    doc.t(&format!("Re: {title} "));
    let full = match &s.middle {
        Some(m) => format!("{} {m} {}", s.p.first, s.p.last),
        None => s.p.full(),
    };
    doc.k("subject", &full);
    doc.t("\nDOB: ");
    let ds = g.fmt_date(s.dob);
    doc.k("subject_dob", &ds);
    doc.t("   NHS No: ");
    let n = g.fmt_nhs(&s.nhs);
    doc.k("subject_nhs", &n);
    doc.t("   Hospital No: ");
    doc.k("subject_hospital_number", &s.hosp);
    doc.t("\nAddress: ");
    doc.k("subject_address", &format!("{}, {}", s.street, s.town));
    doc.t(", ");
    doc.k("subject_postcode", &s.postcode);
    doc.t("\nTel: ");
    doc.k("subject_phone", &s.phone);
    doc.t("  Email: ");
    doc.k("subject_email", &s.email);
    doc.t("\n\n");
}

fn letter(g: &mut Gen, doc: &mut Doc, s: &SubjectData, discharge: bool) {
    let (gp, _) = professional(g);
    if discharge {
        doc.t("DISCHARGE SUMMARY\nWard 7, Poole Hospital\n");
    } else {
        doc.t("Outpatient Clinic Letter\n");
    }
    header(g, doc, s);
    doc.t("Dear ");
    doc.k(
        "professional",
        &format!("Dr {}", gp.split(' ').next_back().unwrap_or("Smith")),
    );
    doc.t(",\n\n");
    let title = if s.p.female { "Mrs" } else { "Mr" };
    doc.t(&format!("I saw {title} "));
    doc.k("subject", &s.p.last);
    doc.t(if discharge {
        " on the ward prior to discharge. "
    } else {
        " in clinic today. "
    });
    let c: &&str = g.rng.pick(CLINICAL);
    doc.t(c);
    doc.t(" ");
    let k = g.rng.range(1, 3);
    for _ in 0..k {
        let p = third_party_mention(g, doc, s);
        if g.rng.chance(0.9) {
            third_party_details(g, doc, &p);
        }
    }
    if g.rng.chance(0.5) {
        decoys(g, doc);
    }
    for _ in 0..g.rng.below(3) {
        hard_segment(g, doc, s);
    }
    doc.t(&format!("\n\n{title} "));
    doc.k("subject", &s.p.last);
    doc.t(" was reviewed by ");
    let (reg, _) = professional(g);
    doc.k("professional", &reg);
    doc.t(" (Registrar). Please contact the ward on ");
    let ward = format!("01202 {:06}", g.rng.range(100_000, 999_999));
    doc.k("organisation_phone", &ward);
    doc.t(" if you have questions.\n\nYours sincerely,\n\n");
    let (cons, _) = professional(g);
    doc.k("professional", &cons);
    doc.t("\nConsultant Physician\n");
}

fn make_subject(g: &mut Gen) -> SubjectData {
    let female = g.rng.chance(0.55);
    let p = g.person(female, None);
    let middle = if g.rng.chance(0.3) {
        Some(g.person(female, None).first)
    } else {
        None
    };
    let dob = g.date(1935, 2005);
    let nhs = g.nhs_digits();
    let street = g.street();
    let town = g.rng.pick(TOWNS).to_string();
    let postcode = g.postcode();
    let phone = g.phone();
    let email = g.email(&p);
    let hosp = format!("RDZ{:07}", g.rng.range(0, 9_999_999));
    SubjectData {
        p,
        middle,
        dob,
        nhs,
        street,
        town,
        postcode,
        phone,
        email,
        hosp,
    }
}

fn main() {
    let mut seed = 2026u64;
    let mut docs = 1000usize;
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--seed" => seed = args[i + 1].parse().expect("--seed N"),
            "--docs" => docs = args[i + 1].parse().expect("--docs N"),
            other => panic!("unknown argument {other}; usage: redact-synth [--seed N] [--docs N]"),
        }
        i += 2;
    }
    let mut g = Gen {
        rng: Rng(seed),
        female: list(include_str!("../../data/names/first_female.txt")),
        male: list(include_str!("../../data/names/first_male.txt")),
        surnames: list(include_str!("../../data/names/surnames.txt")),
    };
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for id in 0..docs {
        let s = make_subject(&mut g);
        let mut doc = Doc::default();
        let kind = match g.rng.below(3) {
            0 => {
                gp_notes(&mut g, &mut doc, &s);
                "gp_consultation"
            }
            1 => {
                letter(&mut g, &mut doc, &s, false);
                "hospital_letter"
            }
            _ => {
                letter(&mut g, &mut doc, &s, true);
                "discharge_summary"
            }
        };
        let (y, m, d) = s.dob;
        let subject = Subject {
            name: match &s.middle {
                Some(mid) => format!("{} {mid} {}", s.p.first, s.p.last),
                None => s.p.full(),
            },
            aliases: vec![],
            date_of_birth: Some(format!("{y:04}-{m:02}-{d:02}")),
            nhs_number: Some(s.nhs.clone()),
            addresses: vec![format!("{}, {}, {}", s.street, s.town, s.postcode)],
            phones: vec![s.phone.clone()],
            emails: vec![s.email.clone()],
        };
        let rec = Record {
            id,
            kind,
            subject,
            options: DocOptions {
                subject_identifiers: vec![s.hosp.clone()],
                hospital_number_patterns: vec![],
            },
            text: doc.text,
            gold: doc.gold,
            keep: doc.keep,
            decoys: doc.decoys,
        };
        serde_json::to_writer(&mut out, &rec).expect("write");
        out.write_all(b"\n").expect("write");
    }
}
