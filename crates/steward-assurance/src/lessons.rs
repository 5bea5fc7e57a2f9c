//! Cluster incident learning: a lesson is published only when it holds none of the incident's
//! personal data. The redaction engine's detectors look for names, NHS numbers, phone numbers,
//! addresses, postcodes and e-mail addresses, with nobody treated as the subject (everyone in
//! a lesson is a third party); the names of the incident's people are also looked for as
//! typed, so a name the detector would not know is still caught.

use serde::Serialize;
use steward_redact::{detect, Entity, Options, Rules, Subject};

/// Something in a lesson that identifies a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is, in the DPO's words: "a person's name", "an NHS number".
    pub what: String,
    /// The text found.
    pub text: String,
}

pub fn entity_words(e: Entity) -> &'static str {
    match e {
        Entity::PersonName => "a person's name",
        Entity::StreetAddress => "an address",
        Entity::Postcode => "a postcode",
        Entity::Phone => "a phone number",
        Entity::Email => "an e-mail address",
        Entity::NhsNumber => "an NHS number",
        Entity::NiNumber => "a National Insurance number",
        Entity::DateOfBirth => "a date of birth",
        Entity::HospitalNumber => "a hospital number",
    }
}

fn words(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What stops a lesson being published; empty when it may be.
/// `people` are the incident's people (one per entry, as recorded on the incident).
pub fn check_lesson(lesson: &str, people: &[String], rules: &Rules) -> Vec<Finding> {
    let mut out: Vec<Finding> = vec![];
    let options = Options {
        // Staff acting in their role are people too in a lesson shared across the cluster.
        keep_professionals: false,
        ..Options::default()
    };
    let found = detect(lesson, &Subject::default(), rules, &options);
    for p in &found.proposals {
        out.push(Finding {
            what: entity_words(p.entity).into(),
            text: lesson[p.start..p.end].to_string(),
        });
    }
    let haystack = format!(" {} ", words(lesson));
    for person in people {
        let name = words(person);
        if name.is_empty() {
            continue;
        }
        // The whole name, and each part of it longer than two letters (a surname alone).
        let mut parts = vec![name.clone()];
        parts.extend(
            name.split(' ')
                .filter(|w| w.len() > 2 && !w.chars().all(|c| c.is_ascii_digit()))
                .map(str::to_string),
        );
        for part in parts {
            if haystack.contains(&format!(" {part} "))
                && !out.iter().any(|f| words(&f.text).contains(&part))
            {
                out.push(Finding {
                    what: "the name of someone in the incident".into(),
                    text: person.trim().to_string(),
                });
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::builtin()
    }

    /// The cluster's own lessons (seeds 001 and 003) hold nobody's data and pass.
    #[test]
    fn the_seed_lessons_pass() {
        for lesson in [
            "Ensure that any old forms / templates / pro formas are removed from site and from computers. These sometimes have a footer that say \"once complete, send this form to...\" This can result in personal data being sent to addresses that no longer exist and being opened by Royal Mail.",
            "Ensure that postal addresses are redacted from records before being released as a SAR. This counts as personal data related to a third party and may relate to someone who does not want their address known. Such as an ex-partner.",
            "Lots of incidents where people have the same surname. Cross check other elements of the record before releasing information.",
            "When a staff member leaves their job and their email access is removed by the CSU, check they cannot use the \"forgotten password\" function to regain access remotely.",
            "Do not use pre-set numbers in a fax machine (or better yet do not use fax machines).",
            "Ensure that envelopes are robust. When they are heavy or very full, apply tape to prevent them coming open at sorting office.",
        ] {
            let f = check_lesson(lesson, &["Eleanor Pascoe".into()], &rules());
            assert!(f.is_empty(), "{lesson}: {f:?}");
        }
    }

    #[test]
    fn a_lesson_naming_someone_is_refused() {
        let people = vec!["Gwen Treloar".to_string(), "Jory Penrose".to_string()];
        let f = check_lesson(
            "Mrs Treloar's letter went to her old address because the form was out of date.",
            &people,
            &rules(),
        );
        assert!(!f.is_empty());
        assert!(f.iter().any(|x| x.text.contains("Treloar")), "{f:?}");

        let f = check_lesson(
            "The result for 943 476 5919 was sent to 14 Chapel Row, Penmarrow PM3 7QX; call 07700 900461.",
            &[],
            &rules(),
        );
        let whats: Vec<&str> = f.iter().map(|x| x.what.as_str()).collect();
        assert!(whats.contains(&"an NHS number"), "{f:?}");
        assert!(whats.contains(&"a phone number"), "{f:?}");
        assert!(
            whats.contains(&"an address") || whats.contains(&"a postcode"),
            "{f:?}"
        );
    }

    #[test]
    fn a_name_the_detector_does_not_know_is_still_caught() {
        let f = check_lesson(
            "zxqy was sent the wrong letter",
            &["Zxqy Blorp".into()],
            &rules(),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].what, "the name of someone in the incident");
    }

    /// A lesson that speaks of "an old address:" is advice, not an address; an address after
    /// the same label is still refused.
    #[test]
    fn advice_after_an_address_label_is_not_an_address() {
        let advice =
            "Results went to an old address: confirm it with the patient before sending anything.";
        let f = check_lesson(advice, &[], &rules());
        assert!(f.is_empty(), "{f:?}");
        let f = check_lesson(
            "The letter went to her old address: Swallows Barn, Brunel Fold, Hobbury.",
            &[],
            &rules(),
        );
        assert!(f.iter().any(|x| x.what == "an address"), "{f:?}");
    }
}
