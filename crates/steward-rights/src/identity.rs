//! Identity: the subject of a request, and warnings about other patients who could be mistaken
//! for them. Seeds 001 and 003, incident learning: "Lots of incidents where people have the same
//! surname. Cross check other elements of the record before releasing information."

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A patient of the organisation, as far as identity checks need.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PatientIdentity {
    /// The patient's identifier in the organisation (clinical-system or Steward id).
    pub patient_id: String,
    pub forenames: String,
    pub surname: String,
    pub date_of_birth: Option<NaiveDate>,
    /// Address lines, without the postcode.
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub nhs_number: Option<String>,
}

impl PatientIdentity {
    /// "Forenames Surname", trimmed.
    pub fn full_name(&self) -> String {
        normalise_spaces(&format!("{} {}", self.forenames, self.surname))
    }
}

/// Why another patient could be mistaken for the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamesakeReason {
    SurnameAndDateOfBirth,
    SurnameAndAddress,
}

/// Another patient of the organisation who shares the subject's surname and date of birth, or
/// surname and address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamesakeWarning {
    pub patient_id: String,
    pub name: String,
    pub reasons: Vec<NamesakeReason>,
    /// A sentence for the interface.
    pub message: String,
}

/// Trims, collapses runs of white space to one space and upper-cases. Commas and full stops
/// count as spaces, so "12, High St." and "12 High St" compare equal.
pub fn normalise_text(text: &str) -> String {
    normalise_spaces(&text.replace([',', '.'], " ")).to_uppercase()
}

/// A postcode upper-cased with all spaces removed ("bh1 1aa" -> "BH11AA").
pub fn normalise_postcode(postcode: &str) -> String {
    postcode
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

fn normalise_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.is_empty())
}

/// Same address: the normalised address lines are present on both and equal, and the postcodes,
/// where both are recorded, are equal too. A shared postcode alone is not the same address.
fn same_address(a: &PatientIdentity, b: &PatientIdentity) -> bool {
    let lines = |p: &PatientIdentity| non_empty(p.address.as_deref().map(normalise_text));
    let postcode = |p: &PatientIdentity| non_empty(p.postcode.as_deref().map(normalise_postcode));
    match (lines(a), lines(b)) {
        (Some(x), Some(y)) if x == y => match (postcode(a), postcode(b)) {
            (Some(p), Some(q)) => p == q,
            _ => true,
        },
        _ => false,
    }
}

/// Warns of every other patient (by `patient_id`) who shares the subject's surname and date of
/// birth, or surname and address (normalised: trimmed, spaces collapsed, upper-case; postcode
/// without spaces). The subject's own entry in `patients` is skipped.
pub fn namesake_warnings(
    subject: &PatientIdentity,
    patients: &[PatientIdentity],
) -> Vec<NamesakeWarning> {
    let surname = normalise_text(&subject.surname);
    if surname.is_empty() {
        return Vec::new();
    }
    patients
        .iter()
        .filter(|p| p.patient_id != subject.patient_id)
        .filter(|p| normalise_text(&p.surname) == surname)
        .filter_map(|p| {
            let mut reasons = Vec::new();
            if subject.date_of_birth.is_some() && p.date_of_birth == subject.date_of_birth {
                reasons.push(NamesakeReason::SurnameAndDateOfBirth);
            }
            if same_address(subject, p) {
                reasons.push(NamesakeReason::SurnameAndAddress);
            }
            if reasons.is_empty() {
                return None;
            }
            let what = match reasons.as_slice() {
                [NamesakeReason::SurnameAndDateOfBirth] => "surname and date of birth",
                [NamesakeReason::SurnameAndAddress] => "surname and address",
                _ => "surname, date of birth and address",
            };
            let name = p.full_name();
            Some(NamesakeWarning {
                patient_id: p.patient_id.clone(),
                message: format!(
                    "Another patient, {name}, has the same {what}. Cross-check other details \
                     (NHS number, forenames) before releasing information."
                ),
                name,
                reasons,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patient(id: &str, forenames: &str, surname: &str) -> PatientIdentity {
        PatientIdentity {
            patient_id: id.into(),
            forenames: forenames.into(),
            surname: surname.into(),
            ..PatientIdentity::default()
        }
    }

    fn dob(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalise_text("  12,  High St. \t Wimborne "),
            "12 HIGH ST WIMBORNE"
        );
        assert_eq!(normalise_postcode(" bh21 1aa "), "BH211AA");
    }

    #[test]
    fn same_surname_and_date_of_birth() {
        let mut subject = patient("1", "Jane", "Smith");
        subject.date_of_birth = dob(1980, 5, 1);
        let mut twin = patient("2", "Joan", " smith ");
        twin.date_of_birth = dob(1980, 5, 1);
        let mut other_dob = patient("3", "John", "Smith");
        other_dob.date_of_birth = dob(1981, 5, 1);
        let mut other_surname = patient("4", "Jane", "Smyth");
        other_surname.date_of_birth = dob(1980, 5, 1);
        let all = vec![subject.clone(), twin, other_dob, other_surname];
        let warnings = namesake_warnings(&subject, &all);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].patient_id, "2");
        assert_eq!(
            warnings[0].reasons,
            vec![NamesakeReason::SurnameAndDateOfBirth]
        );
        assert!(warnings[0]
            .message
            .contains("Another patient, Joan smith, has the same surname and date of birth"));
    }

    #[test]
    fn same_surname_and_address() {
        let mut subject = patient("1", "Jane", "Smith");
        subject.address = Some("12 High Street, Wimborne".into());
        subject.postcode = Some("BH21 1AA".into());
        let mut spouse = patient("2", "Tom", "SMITH");
        spouse.address = Some(" 12  high street wimborne".into());
        spouse.postcode = Some("bh211aa".into());
        let mut neighbour = patient("3", "Ann", "Smith");
        neighbour.address = Some("14 High Street, Wimborne".into());
        neighbour.postcode = Some("BH21 1AA".into());
        let mut moved = patient("4", "Bob", "Smith");
        moved.address = Some("12 High Street, Wimborne".into());
        moved.postcode = Some("BH21 9ZZ".into());
        let mut no_postcode = patient("5", "Sue", "Smith");
        no_postcode.address = Some("12 High Street Wimborne".into());
        let warnings = namesake_warnings(&subject, &[spouse, neighbour, moved, no_postcode]);
        let ids: Vec<_> = warnings.iter().map(|w| w.patient_id.as_str()).collect();
        assert_eq!(ids, ["2", "5"]);
        assert_eq!(warnings[0].reasons, vec![NamesakeReason::SurnameAndAddress]);
    }

    #[test]
    fn both_reasons_and_missing_data() {
        let mut subject = patient("1", "Jane", "Smith");
        subject.date_of_birth = dob(1980, 5, 1);
        subject.address = Some("1 Mill Lane".into());
        let mut both = patient("2", "Jean", "Smith");
        both.date_of_birth = dob(1980, 5, 1);
        both.address = Some("1 MILL LANE".into());
        let w = namesake_warnings(&subject, &[both]);
        assert_eq!(w[0].reasons.len(), 2);
        assert!(w[0].message.contains("surname, date of birth and address"));

        // Without a date of birth or address there is nothing to match on.
        let bare = patient("1", "Jane", "Smith");
        assert!(namesake_warnings(&bare, &[patient("2", "Joe", "Smith")]).is_empty());
        // An empty surname matches nobody.
        let mut nameless = patient("1", "Jane", "");
        nameless.date_of_birth = dob(1980, 5, 1);
        let mut other = patient("2", "Joe", " ");
        other.date_of_birth = dob(1980, 5, 1);
        assert!(namesake_warnings(&nameless, &[other]).is_empty());
    }
}
