//! Keeping what Steward knows: the organisation's letterhead and its staff (issue 15).
//! Sentences written for these tests.

use steward_redact::{
    detect_with, Entity, KeptReason, KnownParties, Options, Organisation, Rules, StaffMember,
    Subject,
};

fn known() -> KnownParties {
    KnownParties {
        organisation: Some(Organisation {
            name: "Larkspur Lane Surgery".into(),
            address_lines: vec!["22 Larkspur Lane".into(), "Ormsby".into()],
            postcode: "TS7 9QQ".into(),
            phones: vec!["01642 496 111".into()],
            emails: vec!["larkspur.admin@nhs.net".into()],
            ..Default::default()
        }),
        staff: KnownParties::staff_from_csv(
            "name,role\nTamsin Oduya,Practice Nurse\n\"Brannock, Wilf\",Receptionist\nPiers Haldane,Pharmacist\n",
        )
        .unwrap(),
    }
}

fn subject() -> Subject {
    Subject {
        name: "Edwina Cartwright".into(),
        ..Default::default()
    }
}

#[test]
fn staff_csv_reads_quoted_names() {
    let s = known().staff;
    assert_eq!(s.len(), 3);
    assert_eq!(
        s[1],
        StaffMember {
            name: "Brannock, Wilf".into(),
            role: "Receptionist".into()
        }
    );
}

#[test]
fn letterhead_and_staff_are_kept_and_reported() {
    let text = "Larkspur Lane Surgery\n22 Larkspur Lane, Ormsby TS7 9QQ\nTel 01642 496 111\n\
                Dear Mrs Cartwright,\nYou saw Ms Oduya on Monday; Mr Haldane will call. \
                Her neighbour Gwen Tollerton lives at 4 Kestrel Walk, Ormsby TS7 8PL.";
    let d = detect_with(
        text,
        &subject(),
        &known(),
        &Rules::builtin(),
        &Options::default(),
    );
    let proposed: Vec<&str> = d.proposals.iter().map(|p| &text[p.start..p.end]).collect();
    for kept in ["Larkspur", "TS7 9QQ", "01642", "Oduya", "Haldane"] {
        assert!(
            !proposed.iter().any(|p| p.contains(kept)),
            "{kept} in {proposed:?}"
        );
    }
    for gone in ["Gwen Tollerton", "TS7 8PL"] {
        assert!(proposed.contains(&gone), "{gone} not in {proposed:?}");
    }
    let reasons: Vec<(&str, KeptReason)> = d
        .kept
        .iter()
        .map(|k| (&text[k.start..k.end], k.reason))
        .collect();
    assert!(
        reasons.contains(&("Ms Oduya", KeptReason::StaffMember))
            || reasons.contains(&("Oduya", KeptReason::StaffMember)),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&("TS7 9QQ", KeptReason::OrganisationDetails)),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(s, r)| s.contains("496") && *r == KeptReason::OrganisationDetails),
        "{reasons:?}"
    );
}

#[test]
fn a_relative_sharing_a_staff_name_is_still_redacted() {
    let text = "Her son, Piers Haldane, rang about the results. Nephew Mr Oduya also called.";
    let d = detect_with(
        text,
        &subject(),
        &known(),
        &Rules::builtin(),
        &Options::default(),
    );
    let f: Vec<(Entity, &str)> = d
        .proposals
        .iter()
        .map(|p| (p.entity, &text[p.start..p.end]))
        .collect();
    assert!(f.contains(&(Entity::PersonName, "Piers Haldane")), "{f:?}");
    assert!(f.contains(&(Entity::PersonName, "Mr Oduya")), "{f:?}");
    assert!(
        d.kept.iter().all(|k| k.reason != KeptReason::StaffMember),
        "{:?}",
        d.kept
    );
}

#[test]
fn staff_written_surname_first_or_with_initials_are_kept() {
    for text in [
        "Appointment booked by BRANNOCK, Wilf at 10:20.",
        "Injection given by T. Oduya (practice nurse).",
        "Message taken by Wilf Brannock for the duty doctor.",
    ] {
        let d = detect_with(
            text,
            &subject(),
            &known(),
            &Rules::builtin(),
            &Options::default(),
        );
        assert!(
            !d.proposals.iter().any(|p| p.entity == Entity::PersonName),
            "{text}: {:?}",
            d.proposals
        );
    }
}

fn proposed_in(text: &str) -> Vec<String> {
    detect_with(
        text,
        &subject(),
        &known(),
        &Rules::builtin(),
        &Options::default(),
    )
    .proposals
    .iter()
    .map(|p| text[p.start..p.end].to_string())
    .collect()
}

#[test]
fn a_neighbour_on_the_practices_street_is_redacted() {
    // The practice is at 22 Larkspur Lane, Ormsby TS7 9QQ. Third parties who live on the
    // same street (another number, a house name, a flat in the same building), some of them
    // in the practice's own postcode, are not the practice.
    for (text, gone) in [
        (
            "Her lodger, Gwen Tollerton, moved to 122 Larkspur Lane, Ormsby TS7 9QQ in May.",
            &["122 Larkspur Lane", "TS7 9QQ"][..],
        ),
        (
            "The key holder lives at The Old Forge, Larkspur Lane, Ormsby TS7 9QQ and has a dog.",
            &["The Old Forge", "TS7 9QQ"][..],
        ),
        (
            "Her sister stays at Flat 2, 22 Larkspur Lane, Ormsby TS7 9QR most weekends.",
            &["Flat 2", "TS7 9QR"][..],
        ),
        (
            "Neighbour at 4 Larkspur Lane, Ormsby TS7 9QQ reported the fall.",
            &["4 Larkspur Lane", "TS7 9QQ"][..],
        ),
        (
            "Her son's address: 4 Larkspur Lane\nOrmsby\nTS7 9QQ\nHe visits daily.",
            &["4 Larkspur Lane", "TS7 9QQ"][..],
        ),
    ] {
        let proposed = proposed_in(text);
        for g in gone {
            assert!(
                proposed.iter().any(|p| p.contains(g)),
                "{g} not proposed in {text:?}: {proposed:?}"
            );
        }
    }
}

#[test]
fn the_practices_address_is_kept_where_the_text_is_the_practices_address() {
    for text in [
        "Please return the form to Larkspur Lane Surgery, 22 Larkspur Lane, Ormsby TS7 9QQ.",
        "Our new address from 1 May is 22 Larkspur Lane, Ormsby TS7 9QQ.",
        "Larkspur Lane Surgery\n22 Larkspur Lane\nOrmsby\nTS7 9QQ\n\nDear Mrs Cartwright,",
    ] {
        let proposed = proposed_in(text);
        assert!(
            proposed.is_empty(),
            "nothing proposed in {text:?}: {proposed:?}"
        );
    }
}

#[test]
fn the_practices_address_as_the_web_passes_it() {
    // steward-rights passes the street lines without the town, and the whole address with
    // the town and postcode.
    let known = KnownParties {
        organisation: Some(Organisation {
            name: "Quayside Surgery".into(),
            address: "9 Net Loft Row, Pendower, Porthkennack PK4 2QW".into(),
            address_lines: vec!["9 Net Loft Row".into(), "Pendower".into()],
            postcode: "PK4 2QW".into(),
            ..Default::default()
        }),
        staff: vec![],
    };
    let text = "Quayside Surgery\n9 Net Loft Row, Pendower, Porthkennack PK4 2QW\n\n\
                Mrs Cartwright's neighbour, Ada Penhallow, lives at 19 Net Loft Row, Pendower, \
                Porthkennack PK4 2QW and holds a key.";
    let d = detect_with(
        text,
        &subject(),
        &known,
        &Rules::builtin(),
        &Options::default(),
    );
    let proposed: Vec<&str> = d.proposals.iter().map(|p| &text[p.start..p.end]).collect();
    let first = text.find("PK4 2QW").unwrap();
    assert!(
        !d.proposals
            .iter()
            .any(|p| p.start < first + 7 && p.entity != Entity::PersonName),
        "letterhead proposed: {proposed:?}"
    );
    assert!(
        proposed.iter().any(|p| p.contains("19 Net Loft Row")),
        "{proposed:?}"
    );
    assert!(
        d.proposals
            .iter()
            .any(|p| p.start > first && &text[p.start..p.end] == "PK4 2QW"),
        "the neighbour's postcode (the practice's too) is proposed: {proposed:?}"
    );
}
