//! Issue 15: each kind of miss found on a held-out corpus, fixed as a class. Every sentence
//! here was written for these tests (none is copied from a corpus).

use steward_redact::detect::{detect, Options, Rules};
use steward_redact::{Entity, Subject};

fn subject() -> Subject {
    Subject {
        name: "Rosalind Mary Pettifer".into(),
        aliases: vec!["Roz".into()],
        date_of_birth: Some("1958-11-23".into()),
        addresses: vec!["7 Quarry Fold, Skipton BD23 1XY".into()],
        ..Default::default()
    }
}

fn found(text: &str) -> Vec<(Entity, String)> {
    let d = detect(text, &subject(), &Rules::builtin(), &Options::default());
    d.proposals
        .iter()
        .map(|p| (p.entity, text[p.start..p.end].to_string()))
        .collect()
}

fn assert_has(text: &str, e: Entity, s: &str) {
    let f = found(text);
    assert!(
        f.iter().any(|(a, b)| *a == e && b == s),
        "expected {e:?} {s:?} in {text:?}; found {f:?}"
    );
}

fn assert_none(text: &str, e: Entity) {
    let f = found(text);
    assert!(
        !f.iter().any(|(a, _)| *a == e),
        "expected no {e:?} in {text:?}; found {f:?}"
    );
}

#[test]
fn dates_of_birth_in_every_common_format() {
    for (text, date) in [
        ("Stepson (DOB 09-Feb-1977) attends.", "09-Feb-1977"),
        ("Stepson DOB: 9-FEB-77 attends.", "9-FEB-77"),
        (
            "Lodger, date of birth 21/08/63, no fixed abode.",
            "21/08/63",
        ),
        ("Her cousin was born 1st June 1940.", "1st June 1940"),
        (
            "Foster father's D.O.B. 2nd of October 1949.",
            "2nd of October 1949",
        ),
        (
            "Brother-in-law born on the 14th Sept 1966.",
            "14th Sept 1966",
        ),
        ("Godmother, DOB January 5th, 1939.", "January 5th, 1939"),
        ("Ex-partner DOB\n30.Apr.1981", "30.Apr.1981"),
        ("Twin DOB 04/Dec/1990.", "04/Dec/1990"),
        ("Lodger DOB 12Mar1985.", "12Mar1985"),
        ("Brother DOB is 1985-07-19.", "1985-07-19"),
    ] {
        assert_has(text, Entity::DateOfBirth, date);
    }
}

#[test]
fn the_subjects_own_birth_date_is_kept_whatever_the_format() {
    for text in [
        "Patient DOB 23-Nov-1958.",
        "DOB 23/11/58.",
        "Born on the 23rd of November 1958.",
        "DOB: November 23, 1958",
    ] {
        assert_none(text, Entity::DateOfBirth);
    }
}

#[test]
fn a_month_prefix_is_not_a_month() {
    // "Marching" is not "Mar"; "DOB" is not a name.
    assert_none("DOB 3 Marching 1950.", Entity::DateOfBirth);
    assert_none("Her D.O.B. was not recorded.", Entity::PersonName);
}

#[test]
fn house_name_before_a_street() {
    assert_has(
        "Next of kin address: Kestrel Barn, Honeysuckle Way, Malton.",
        Entity::StreetAddress,
        "Kestrel Barn, Honeysuckle Way, Malton",
    );
    assert_has(
        "Her daughter is at Windrush, Coppice Lane, Beverley YO17 8RT now.",
        Entity::StreetAddress,
        "Windrush, Coppice Lane, Beverley",
    );
    assert_has(
        "NOK: grandson\nThe Old Forge\nPilgrims Rise\nHexham",
        Entity::StreetAddress,
        "The Old Forge\nPilgrims Rise",
    );
    // Not a house name: an organisation before a street.
    assert_none(
        "Letter copied to Ashgrove Medical Centre, Tanner Street.",
        Entity::StreetAddress,
    );
}

#[test]
fn addresses_after_moving_and_living_verbs() {
    for (text, street) in [
        (
            "Her lodger moved out to 58 Lapwing Drive, Selby YO8 4QQ in March.",
            "58 Lapwing Drive, Selby",
        ),
        (
            "Son has relocated to Fernbank, Wheatley Road after the divorce.",
            "Fernbank, Wheatley Road",
        ),
        (
            "Ex-wife went back to Bramble Cottage, Kiln Lane last spring.",
            "Bramble Cottage, Kiln Lane",
        ),
        ("His brother now living at 3 Sorrel Mews.", "3 Sorrel Mews"),
    ] {
        assert_has(text, Entity::StreetAddress, street);
    }
    assert_has(
        "Her lodger moved out to 58 Lapwing Drive, Selby YO8 4QQ in March.",
        Entity::Postcode,
        "YO8 4QQ",
    );
}

#[test]
fn title_and_surname_after_a_relationship_word() {
    for (text, name) in [
        ("Her stepfather, Mr Ibbotson, phoned twice.", "Mr Ibbotson"),
        (
            "Aunt Mrs Fairweather collected the prescription.",
            "Mrs Fairweather",
        ),
        ("Granddaughter Miss Ng drove her in.", "Miss Ng"),
        ("Lives with his son Mr Lowe.", "Mr Lowe"),
        ("Nephew Mr Ash moved out.", "Mr Ash"),
    ] {
        assert_has(text, Entity::PersonName, name);
    }
}

#[test]
fn units_never_start_a_name() {
    for text in [
        "B12 210 ng/L. Froment's sign negative.",
        "Calprotectin 40 micrograms/g. Rovsing's sign absent.",
        "Temperature 38.4 C. O/E alert, chest clear.",
        "Glucose 6.1 mmol/L. Trendelenburg test positive.",
        "Temp 99 F. Murphy's sign positive.",
        "C/O back pain. N/A.",
    ] {
        assert_none(text, Entity::PersonName);
    }
}

#[test]
fn staff_in_letter_positions_are_kept() {
    for text in [
        "Seen on the ward today by Ms Adeyemi.",
        "03 Feb 2025 14:05 - Mr Szabo\nReview of wound.",
        "Discussed with Mrs Kowalczyk, who agreed.",
        "Case handed over to Ms Brannigan.",
    ] {
        assert_none(text, Entity::PersonName);
    }
    // but a relative in the same position is still a third party
    assert_has(
        "Discussed with Mrs Kowalczyk (daughter), who agreed.",
        Entity::PersonName,
        "Mrs Kowalczyk",
    );
}

#[test]
fn the_subjects_own_street_and_nickname_are_kept() {
    assert_none(
        "Rosalind walked home to Quarry Fold alone.",
        Entity::PersonName,
    );
    assert_none(
        "Roz Pettifer attended alone. Roz is well.",
        Entity::PersonName,
    );
    assert_none(
        "Lives at 7 Quarry Fold with her dog.",
        Entity::StreetAddress,
    );
}

#[test]
fn an_organisations_letterhead_is_kept() {
    let letter = "Kirkgate Infirmary\n40 Tanner Row\nWakefield WF1 2QQ\nTel: 01924 496 000\n\nDear Dr Okafor,\nHer neighbour lives at 9 Plover Close, Wakefield WF2 7AA.";
    assert_none(
        &letter[..letter.find("Dear").unwrap()],
        Entity::StreetAddress,
    );
    let f = found(letter);
    assert!(
        !f.iter()
            .any(|(_, s)| s.contains("Tanner") || s == "WF1 2QQ" || s.contains("496")),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|(e, s)| *e == Entity::StreetAddress && s.contains("Plover")),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|(e, s)| *e == Entity::Postcode && s == "WF2 7AA"),
        "{f:?}"
    );
}

#[test]
fn upper_case_and_surname_first_names_with_evidence() {
    assert_has(
        "Emergency contact name: PERPETUA OKWUOSA\nRelationship: aunt",
        Entity::PersonName,
        "PERPETUA OKWUOSA",
    );
    assert_has(
        "Children: TAMSYN GREAVE (b. 3/8/19) attends nursery.",
        Entity::PersonName,
        "TAMSYN GREAVE",
    );
    assert_has(
        "Stepmother VANTREE, Elowen refuses contact.",
        Entity::PersonName,
        "VANTREE, Elowen",
    );
    assert_has(
        "Result also filed for QUILLAN, Brisa DoB 04.05.1977 in error.",
        Entity::PersonName,
        "QUILLAN, Brisa",
    );
    // Capitals with no evidence of a person are left alone.
    assert_none("PLAN: REVIEW IN CLINIC", Entity::PersonName);
}

#[test]
fn a_name_with_its_email_address() {
    assert_has(
        "From: Tiberia Wolstenholme <tiberia.w@example.org>",
        Entity::PersonName,
        "Tiberia Wolstenholme",
    );
    // An NHS address makes it a professional.
    assert_none(
        "From: Tiberia Wolstenholme <tiberia.wolstenholme@nhs.net>",
        Entity::PersonName,
    );
}

#[test]
fn birth_dates_after_b_dot_and_with_two_digit_years() {
    assert_has(
        "Nephew (b. 12/09/2001) lives nearby.",
        Entity::DateOfBirth,
        "12/09/2001",
    );
    assert_has(
        "Stepson d.o.b 7 Aug 96 is registered elsewhere.",
        Entity::DateOfBirth,
        "7 Aug 96",
    );
    // Upper-case "B." (hepatitis B) is not a birth-date keyword.
    assert_none("Hep B. 01/02/2020 second dose given.", Entity::DateOfBirth);
}

#[test]
fn a_letterhead_does_not_swallow_the_lines_that_follow_a_practice_name() {
    let t =
        "Registered GP: Dr Ives, Thornbury Practice\nCaller: nephew. Call-back number 07700 900555";
    assert_has(t, Entity::Phone, "07700 900555");
}

#[test]
fn dates_in_a_date_of_birth_column() {
    let t = "Relationship,Name,Date of birth,Phone\nNiece,Wren Alcott,14.02.1999,07700 900111\nLodger,Ames Tully,3/4/71,\n";
    assert_has(t, Entity::DateOfBirth, "14.02.1999");
    assert_has(t, Entity::DateOfBirth, "3/4/71");
    let t = "Date\tSeen by\tDOB\n12/01/2024\tDr Ives\t23/11/1958\n";
    // The subject's own date of birth is kept; the entry date is not a birth date.
    assert_none(t, Entity::DateOfBirth);
}

#[test]
fn an_email_starting_with_b_dot_is_still_an_email() {
    assert_has(
        "Copy to Bartholomew Quince (b.quince@example.org).",
        Entity::Email,
        "b.quince@example.org",
    );
}

#[test]
fn lower_case_title_names_after_a_relationship_word() {
    assert_has(
        "tel call: spoke to nephew mr tolley re transport",
        Entity::PersonName,
        "mr tolley",
    );
    assert_has(
        "her aunt mrs o'hare is unwell",
        Entity::PersonName,
        "mrs o'hare",
    );
    assert_none("son mr to call back", Entity::PersonName);
}

#[test]
fn the_subject_is_kept_beside_a_birth_date_or_a_relationship_word() {
    // Full name with a DOB after it, and "my mother Mrs <surname> (<the subject's DOB>)".
    assert_none(
        "Re: Ms Rosalind Pettifer, D.O.B. 23 Nov 1958",
        Entity::PersonName,
    );
    assert_none(
        "I am writing about my mother Mrs Pettifer (23/11/1958).",
        Entity::PersonName,
    );
    // but a relative with the same surname and another birth date is not the subject
    assert_has(
        "I am writing about my mother Mrs Pettifer (02/05/1931).",
        Entity::PersonName,
        "Mrs Pettifer",
    );
}

#[test]
fn dated_entry_headers_and_role_abbreviations_name_staff() {
    assert_none(
        "14/03/2019 Mrs K Oyelaran (DN)\nDressing changed.",
        Entity::PersonName,
    );
    assert_none(
        "02/07/2021 Mr Pirrie\nCatheter changed.",
        Entity::PersonName,
    );
}

#[test]
fn addresses_named_as_such_or_in_an_address_column() {
    assert_has(
        "Carer address: 4 quill yard, amblecote DY8 4ZZ\nCarer phone: none",
        Entity::StreetAddress,
        "4 quill yard, amblecote",
    );
    assert_none("Address: as above", Entity::StreetAddress);
    let t =
        "Relationship,Name,Address,Postcode\nUncle,Ivo Brandt,The Beeches Sandpit Row,LS4 2ZZ\n";
    assert_has(t, Entity::StreetAddress, "The Beeches Sandpit Row");
    let t = "\"Niece\",\"Pia Lund\",\"Larch House, Wendle Walk\",\"LS4 2ZZ\"\n";
    assert_has(t, Entity::StreetAddress, "Larch House, Wendle Walk");
}

#[test]
fn flats_and_house_names_without_a_comma() {
    assert_has(
        "Staying with his aunt at Apt 7, St Hilda's Court, Redby.",
        Entity::StreetAddress,
        "Apt 7, St Hilda's Court, Redby",
    );
    assert_has(
        "Now at her son's house, Ivy Cottage Tansy Lane, Hebden.",
        Entity::StreetAddress,
        "Ivy Cottage Tansy Lane, Hebden",
    );
}

#[test]
fn postcodes_typed_loosely_after_an_address() {
    assert_has(
        "Her son moved to 12 Pellow Street, Ashby  le65 2qq last year.",
        Entity::Postcode,
        "le65 2qq",
    );
    // not in running text away from an address
    assert_none(
        "Vitamin b12 1mg daily; ta9 5lh is not a postcode here.",
        Entity::Postcode,
    );
}
