//! Hand-written sentences for each entity type and each decoy, and property tests of the
//! offsets. (The synthetic benchmark lives in bench/redaction; these do not depend on it.)

use proptest::prelude::*;
use steward_redact::detect::{
    detect, nhs_number_is_valid, ni_number_is_valid, Detection, Options, Rules,
};
use steward_redact::{Entity, FlagCategory, Subject};

fn subject() -> Subject {
    Subject {
        name: "Margaret Anne Thompson".into(),
        aliases: vec!["Peggy Thompson".into()],
        date_of_birth: Some("1950-04-03".into()),
        nhs_number: Some("943 476 5919".into()),
        addresses: vec!["14 Acacia Avenue, Poole BH14 8QT".into()],
        phones: vec!["01202 123456".into()],
        emails: vec!["peggy@example.com".into()],
    }
}

fn run(text: &str) -> Detection {
    run_with(text, &Options::default())
}

fn run_with(text: &str, options: &Options) -> Detection {
    thread_local!(static RULES: Rules = Rules::builtin());
    RULES.with(|r| detect(text, &subject(), r, options))
}

/// The proposed (entity, text) pairs.
fn found(text: &str) -> Vec<(Entity, String)> {
    found_with(text, &Options::default())
}

fn found_with(text: &str, options: &Options) -> Vec<(Entity, String)> {
    run_with(text, options)
        .proposals
        .iter()
        .map(|p| (p.entity, text[p.start..p.end].to_string()))
        .collect()
}

fn has(text: &str, e: Entity, s: &str) -> bool {
    found(text).iter().any(|(a, b)| *a == e && b == s)
}

fn none_of(text: &str, e: Entity) -> bool {
    !found(text).iter().any(|(a, _)| *a == e)
}

#[test]
fn mod11_check() {
    assert!(nhs_number_is_valid(b"9434765919"));
    assert!(!nhs_number_is_valid(b"9434765918"));
    assert!(!nhs_number_is_valid(b"943476591"));
}

#[test]
fn ni_prefix_rules() {
    assert!(ni_number_is_valid("AB 12 34 56 C"));
    assert!(ni_number_is_valid("JG103759A"));
    for bad in [
        "QQ123456C",
        "BG123456A",
        "GB123456A",
        "NK123456A",
        "TN123456A",
        "ZZ123456A",
        "DA123456A",
        "AO123456A",
        "AB123456E",
    ] {
        assert!(!ni_number_is_valid(bad), "{bad}");
    }
}

#[test]
fn third_party_nhs_number_is_proposed_and_invalid_one_is_not() {
    let t = "Her son's NHS number is 401 023 2137.";
    assert!(has(t, Entity::NhsNumber, "401 023 2137"));
    let decoy = "Lab reference 401 023 2138 received.";
    assert!(none_of(decoy, Entity::NhsNumber));
    let decoy2 = "Sample 4857773456 received.";
    assert!(found(decoy2).is_empty(), "{:?}", found(decoy2));
}

#[test]
fn subject_nhs_number_is_kept() {
    assert!(found("NHS No: 943 476 5919").is_empty());
    assert!(found("NHS No: 9434765919").is_empty());
}

#[test]
fn ni_numbers_and_decoys() {
    assert!(has(
        "His NI number is AB 12 34 56 C.",
        Entity::NiNumber,
        "AB 12 34 56 C"
    ));
    assert!(has("NI: JG103759A", Entity::NiNumber, "JG103759A"));
    for decoy in [
        "Example QQ 12 34 56 C only.",
        "Ref BG123456A.",
        "Ref AB123456E.",
    ] {
        assert!(none_of(decoy, Entity::NiNumber), "{decoy}");
    }
}

#[test]
fn postcodes_in_every_bs7666_format() {
    for pc in [
        "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB", "GIR 0AA", "BH148QU",
    ] {
        let t = format!("Her daughter has moved to {pc} recently.");
        assert!(has(&t, Entity::Postcode, pc), "{pc}: {:?}", found(&t));
    }
    // the subject's own postcode
    assert!(none_of(
        "Address: 14 Acacia Avenue, Poole BH14 8QT",
        Entity::Postcode
    ));
}

#[test]
fn phone_formats() {
    for ph in [
        "01305 123456",
        "07700 900123",
        "+44 7700 900124",
        "+44 (0)1305 123456",
        "(01305) 123456",
        "020 7946 0123",
        "07700900125",
    ] {
        let t = format!("Her son can be reached on {ph} most days.");
        assert!(has(&t, Entity::Phone, ph), "{ph}: {:?}", found(&t));
    }
}

#[test]
fn subject_phone_is_kept_in_any_format() {
    assert!(none_of("Patient's mobile 01202 123456.", Entity::Phone));
    assert!(none_of("Patient's number +44 1202 123456.", Entity::Phone));
    assert!(none_of("Patient's number (01202) 123 456.", Entity::Phone));
}

#[test]
fn organisation_phone_is_kept() {
    assert!(none_of(
        "Please contact the ward on 01202 665511 with questions.",
        Entity::Phone
    ));
}

#[test]
fn emails() {
    assert!(has(
        "Her daughter emailed from jo.smith@example.org today.",
        Entity::Email,
        "jo.smith@example.org"
    ));
    assert!(none_of(
        "Patient emailed from peggy@example.com today.",
        Entity::Email
    ));
    let nhs = "Copy to j.khan@nhs.net please.";
    assert!(none_of(nhs, Entity::Email));
    let o = Options {
        keep_professionals: false,
        ..Options::default()
    };
    assert!(found_with(nhs, &o).iter().any(|(e, _)| *e == Entity::Email));
}

#[test]
fn third_party_names_after_relation_words_and_titles() {
    let t = "Seen with her husband Peter Thompson. Her neighbour, Mrs Green, helps.";
    assert!(has(t, Entity::PersonName, "Peter Thompson"));
    assert!(has(t, Entity::PersonName, "Mrs Green"));
    assert!(has(
        "Accompanied by Jack (son).",
        Entity::PersonName,
        "Jack"
    ));
    assert!(has(
        "Lives with her partner Oluwaseun.",
        Entity::PersonName,
        "Oluwaseun"
    ));
}

#[test]
fn same_surname_relative_is_a_third_party() {
    let t = "Mrs Thompson attended with Mr Thompson. Margaret is anxious; Peter Thompson is supportive.";
    let f = found(t);
    assert!(
        f.contains(&(Entity::PersonName, "Mr Thompson".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&(Entity::PersonName, "Peter Thompson".into())),
        "{f:?}"
    );
    // Mrs Thompson (the subject, female) and Margaret are kept.
    let d = run(t);
    let mrs = t.find("Mrs Thompson").unwrap();
    assert!(d
        .proposals
        .iter()
        .all(|p| p.end <= mrs || p.start >= mrs + 12));
    assert!(!f.iter().any(|(_, s)| s == "Margaret"));
}

#[test]
fn subject_name_and_alias_are_kept() {
    let t = "Margaret Anne Thompson attended. Peggy Thompson said she was fine. M Thompson signed.";
    assert!(none_of(t, Entity::PersonName), "{:?}", found(t));
}

#[test]
fn professionals_are_kept_by_default() {
    let t = "Seen by J Smith (Practice Nurse). Dr Patel reviewed. Nurse Jones dressed the wound.\nDr A Khan, GP\nSarah Brown, Health Visitor, visited.";
    assert!(none_of(t, Entity::PersonName), "{:?}", found(t));
    let o = Options {
        keep_professionals: false,
        ..Options::default()
    };
    let f = found_with(t, &o);
    for n in ["J Smith", "Patel", "Jones", "A Khan", "Sarah Brown"] {
        assert!(f.contains(&(Entity::PersonName, n.into())), "{n}: {f:?}");
    }
}

#[test]
fn relative_who_is_a_doctor_is_still_a_third_party() {
    assert!(has(
        "Her daughter, Dr Emma Thompson, asked for an update.",
        Entity::PersonName,
        "Emma Thompson"
    ));
}

#[test]
fn words_that_look_like_names_are_not_proposed() {
    for t in [
        "Mark as reviewed.",
        "Will review in two weeks.",
        "May need a referral.",
        "Letter copied to St Mary's Hospital.",
        "Transferred to Victoria Ward overnight.",
    ] {
        assert!(none_of(t, Entity::PersonName), "{t}: {:?}", found(t));
    }
}

#[test]
fn street_addresses() {
    let t = "Her ex-partner lives at 16 Acacia Avenue, Poole, BH14 8QU.";
    assert!(
        has(t, Entity::StreetAddress, "16 Acacia Avenue, Poole"),
        "{:?}",
        found(t)
    );
    assert!(has(t, Entity::Postcode, "BH14 8QU"));
    assert!(has(
        "He moved to Flat 2, 15 Harbour View.",
        Entity::StreetAddress,
        "Flat 2, 15 Harbour View"
    ));
    // the subject's own address
    assert!(none_of(
        "Address: 14 Acacia Avenue, Poole BH14 8QT",
        Entity::StreetAddress
    ));
}

#[test]
fn streets_without_a_suffix_word() {
    for (t, want) in [
        (
            "Other driver: Mr Gavin Hurst, 91 Kingsway, Bournemouth, BH11 8LP.",
            "91 Kingsway, Bournemouth",
        ),
        ("Her son lives at 4 Broadway.", "4 Broadway"),
        (
            "Ex-partner now at 12 Northgate, Leeds",
            "12 Northgate, Leeds",
        ),
        ("Daughter's address: 7 The Green", "7 The Green"),
        (
            "Copy to her sister, 22 The Parade, Exmouth EX8 1AA.",
            "22 The Parade, Exmouth",
        ),
        (
            "His mother is at 3 The Crescent, Wareham.",
            "3 The Crescent, Wareham",
        ),
        (
            "Brother: Flat 4, 2 The Mall, Bristol",
            "Flat 4, 2 The Mall, Bristol",
        ),
        ("NEXT OF KIN 15 KINGSWAY", "15 KINGSWAY"),
    ] {
        assert!(has(t, Entity::StreetAddress, want), "{t}: {:?}", found(t));
    }
    assert!(has(
        "Other driver: Mr Gavin Hurst, 91 Kingsway, Bournemouth, BH11 8LP.",
        Entity::Postcode,
        "BH11 8LP"
    ));
}

#[test]
fn street_names_without_a_number_or_as_buildings_are_not_addresses() {
    for t in [
        "She works on Kingsway and shops on the Broadway in Highgate.",
        "Took 91 tablets of paracetamol.",
        "Kingsway Surgery confirmed the appointment.",
        "Seen at 12 Northgate Medical Centre.",
        "Scored 4 in Strand B.",
    ] {
        assert!(none_of(t, Entity::StreetAddress), "{t}: {:?}", found(t));
    }
}

#[test]
fn subject_own_street_without_suffix_is_kept() {
    let subject = Subject {
        name: "Thomas Ainsworth".into(),
        addresses: vec!["91 Kingsway, Bournemouth BH11 8LP".into()],
        ..Subject::default()
    };
    let t = "Lives at 91 Kingsway, Bournemouth BH11 8LP with his wife.";
    let d = detect(t, &subject, &Rules::builtin(), &Options::default());
    assert!(
        !d.proposals
            .iter()
            .any(|p| matches!(p.entity, Entity::StreetAddress | Entity::Postcode)),
        "{:?}",
        d.proposals
    );
}

#[test]
fn streets_without_suffix_file_can_be_extended() {
    let dir = std::env::temp_dir().join(format!("steward-rules-st-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("context")).unwrap();
    std::fs::write(
        dir.join("context/streets_without_suffix.txt"),
        "# local\nCornmarket\n",
    )
    .unwrap();
    let rules = Rules::load(&dir).unwrap();
    let t = "Her father lives at 5 Cornmarket.";
    assert!(none_of(t, Entity::StreetAddress));
    let d = detect(t, &subject(), &rules, &Options::default());
    assert!(
        d.proposals
            .iter()
            .any(|p| p.entity == Entity::StreetAddress && &t[p.start..p.end] == "5 Cornmarket"),
        "{:?}",
        d.proposals
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dates_of_birth() {
    assert!(has(
        "Her son Jack (DOB 12/05/1980) called.",
        Entity::DateOfBirth,
        "12/05/1980"
    ));
    assert!(has(
        "Grandchild born on 3rd March 2015 is staying.",
        Entity::DateOfBirth,
        "3rd March 2015"
    ));
    assert!(none_of("DOB: 03/04/1950", Entity::DateOfBirth));
    assert!(none_of(
        "Seen on 12/05/2020 in clinic.",
        Entity::DateOfBirth
    ));
}

#[test]
fn hospital_numbers() {
    assert!(has(
        "His hospital number is RDZ1234567.",
        Entity::HospitalNumber,
        "RDZ1234567"
    ));
    let o = Options {
        hospital_number_patterns: vec![r"\bK[0-9]{6}\b".into()],
        ..Options::default()
    };
    assert!(
        found_with("Her brother's record K123456 was filed here.", &o)
            .contains(&(Entity::HospitalNumber, "K123456".into()))
    );
    let mine = Options {
        subject_identifiers: vec!["RDZ 1234567".into()],
        ..Options::default()
    };
    assert!(found_with("Hospital No: RDZ1234567", &mine).is_empty());
    assert!(Options {
        hospital_number_patterns: vec!["(".into()],
        ..Options::default()
    }
    .validate()
    .is_err());
}

#[test]
fn flags_are_raised_never_redacted() {
    let t = "Child protection plan in place.\nPolice attended the house.\nHer sister told us this in confidence.\nPrevious IVF treatment.\nCoded 13Iv. today.\nSNOMED 342191000000101";
    let d = run(t);
    let cats: Vec<FlagCategory> = d.flags.iter().map(|f| f.category).collect();
    for c in [
        FlagCategory::Safeguarding,
        FlagCategory::PoliceOrCourt,
        FlagCategory::GivenInConfidence,
        FlagCategory::RestrictedByLaw,
    ] {
        assert!(cats.contains(&c), "{c:?} in {:?}", d.flags);
    }
    assert!(d.flags.iter().any(|f| f.matched == "13Iv."));
    assert!(d.flags.iter().any(|f| f.matched == "342191000000101"));
    // no proposals come from flags
    assert!(
        d.proposals
            .iter()
            .all(|p| p.entity == Entity::PersonName || p.entity == Entity::HospitalNumber),
        "{:?}",
        d.proposals
    );
    // "cardiac arrest" and an address "Court" are not police matters
    assert!(run("Cardiac arrest in 2019. Lives at 3 Willow Court.")
        .flags
        .is_empty());
}

#[test]
fn rules_load_falls_back_and_reads_user_files() {
    let dir = std::env::temp_dir().join(format!("steward-rules-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("flags")).unwrap();
    std::fs::write(dir.join("flags/police_court.txt"), "# local\nyouth court\n").unwrap();
    let rules = Rules::load(&dir).unwrap();
    let d = detect(
        "Attended youth court.",
        &subject(),
        &rules,
        &Options::default(),
    );
    assert_eq!(d.flags.len(), 1);
    assert!(!rules.clinical_codes().is_empty());
    std::fs::write(
        dir.join("flags/clinical_codes.tsv"),
        "nonsense\tline\tx\ty\n",
    )
    .unwrap();
    assert!(Rules::load(&dir).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

fn check_invariants(text: &str, d: &Detection, subject_name: &str) {
    let mut prev_end = 0;
    for p in &d.proposals {
        assert!(p.start < p.end && p.end <= text.len(), "{p:?}");
        assert!(
            text.is_char_boundary(p.start) && text.is_char_boundary(p.end),
            "{p:?}"
        );
        assert!(p.start >= prev_end, "overlap or unsorted at {p:?}");
        prev_end = p.end;
        for (s, _) in text.match_indices(subject_name) {
            let e = s + subject_name.len();
            assert!(
                p.end <= s || p.start >= e,
                "{p:?} inside the subject's name at {s}"
            );
        }
    }
    for f in &d.flags {
        assert!(f.start <= f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
    }
}

const PIECES: &[&str] = &[
    "Margaret Anne Thompson",
    "Margaret",
    "Mrs Thompson",
    "Mr Thompson",
    "her husband Peter Thompson",
    "Dr Patel",
    "J Smith (Practice Nurse)",
    "Jack",
    "Sarah Jones",
    "14 Acacia Avenue",
    "BH14 8QT",
    "01202 123456",
    "07700 900123",
    "+44 7700 900123",
    "943 476 5919",
    "401 023 2137",
    "401 023 2138",
    "AB 12 34 56 C",
    "QQ123456C",
    "peggy@example.com",
    "x.y@example.org",
    "DOB 12/05/1980",
    "RDZ1234567",
    "safeguarding",
    "police",
    "IVF",
    "13Iv.",
    ", ",
    ". ",
    "\n",
    " ",
    "(",
    ")",
    "é",
    "’s",
    "Ünïcødé Name",
    "—",
    "Zoë Brontë",
    "neighbour",
    "Flat 2, ",
    "lives at",
    "O'Brien",
    "SMITH, John",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn offsets_are_valid_sorted_and_spare_the_subject(parts in proptest::collection::vec(0..PIECES.len(), 0..40), seps in proptest::collection::vec(0..3usize, 40)) {
        let mut text = String::new();
        for (i, p) in parts.iter().enumerate() {
            text.push_str(PIECES[*p]);
            text.push_str([" ", ", ", ". "][seps[i % seps.len()]]);
        }
        let d = run(&text);
        check_invariants(&text, &d, "Margaret Anne Thompson");
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let d = run(&text);
        check_invariants(&text, &d, "Margaret Anne Thompson");
    }

    #[test]
    fn subject_name_is_never_proposed(prefix in "[A-Za-z ,.()]{0,40}", suffix in "[A-Za-z ,.()]{0,40}") {
        let text = format!("{prefix} Margaret Anne Thompson {suffix}");
        let d = run(&text);
        check_invariants(&text, &d, "Margaret Anne Thompson");
    }
}

#[test]
fn neighbour_from_next_door() {
    assert!(has(
        "Jean from next door called an ambulance.",
        Entity::PersonName,
        "Jean"
    ));
    assert!(has(
        "Tallulah from next door called an ambulance.",
        Entity::PersonName,
        "Tallulah"
    ));
}

#[test]
fn lowercase_role_before_name_is_a_professional() {
    let t = "School nurse Mrs Akhtar raised concerns. Social worker Tom Reilly is aware.";
    assert!(none_of(t, Entity::PersonName), "{:?}", found(t));
}

#[test]
fn given_names_that_are_clinical_words_need_context() {
    for t in [
        "Frank haematuria on dipstick.",
        "Max dose 4g in 24 hours.",
        "Amber flag for review.",
    ] {
        assert!(none_of(t, Entity::PersonName), "{t}: {:?}", found(t));
    }
    assert!(has("Her husband Frank rang.", Entity::PersonName, "Frank"));
    assert!(has(
        "Frank Turner (son) rang.",
        Entity::PersonName,
        "Frank Turner"
    ));
}

#[test]
fn a_name_seen_as_a_third_party_stays_one() {
    let t = "Called about her mother, Iris Whitlock. Iris is staying with her. Caradog Szczepanski (brother) visited; Caradog rang later.";
    let f = found(t);
    assert_eq!(
        f.iter()
            .filter(|(e, s)| *e == Entity::PersonName && s == "Iris")
            .count(),
        1,
        "{f:?}"
    );
    assert!(f.contains(&(Entity::PersonName, "Caradog".into())), "{f:?}");
}

#[test]
fn month_named_like_a_relative_is_not_a_name() {
    let f = found("Her daughter May Smith visits. Review in May and again on 3 May 2025.");
    assert_eq!(f, vec![(Entity::PersonName, "May Smith".to_string())]);
}

#[test]
fn professional_contexts_and_the_doctors_surname() {
    let t = "Referred to Mr Khan's clinic. Under the care of Mr Jones.";
    assert!(none_of(t, Entity::PersonName), "{:?}", found(t));
    // A surname shared with the doctor is not enough to keep a courtesy-titled name.
    assert!(has(
        "Dr Patel said Mrs Patel should attend.",
        Entity::PersonName,
        "Mrs Patel"
    ));
}

#[test]
fn eponyms_and_drugs_are_not_names() {
    let t = "Parkinson's disease. Bell's palsy. Crohn's disease. Amlodipine 5mg. Seen in Bournemouth Hospital.";
    assert!(none_of(t, Entity::PersonName), "{:?}", found(t));
}

#[test]
fn builtin_files_round_trip_through_a_folder() {
    let dir = std::env::temp_dir().join(format!("steward-rules-rt-{}", std::process::id()));
    Rules::write_builtin_files(&dir).unwrap();
    let loaded = Rules::load(&dir).unwrap();
    let t = "Her husband Peter Thompson (DOB 01/02/1949) is on a child protection plan.";
    let a = detect(t, &subject(), &loaded, &Options::default());
    let b = detect(t, &subject(), &Rules::builtin(), &Options::default());
    assert_eq!(a, b);
    assert!(!a.proposals.is_empty() && !a.flags.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}
