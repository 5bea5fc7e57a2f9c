//! What Steward knows about the organisation making a disclosure: its own name, address,
//! telephone numbers and e-mail addresses, and the names of its staff. A redaction run keeps
//! these by default and reports each as kept, with the reason, for the schedule.

use serde::{Deserialize, Serialize};

/// The organisation's own details (the organisation record; `steward redact --organisation
/// org.json`). Every field is optional; unknown JSON fields are ignored, so an export of the
/// organisation record with more fields can be passed as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Organisation {
    pub name: String,
    /// The whole address on one line ("16 Gillyley Place, Norwich NR8 6BY"), if known.
    pub address: String,
    /// Address lines ("16 Gillyley Place", "Norwich").
    pub address_lines: Vec<String>,
    pub postcode: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
}

/// A member of staff (a user of Steward, a row of the uploaded staff list, or a clinician
/// named in the cluster). `name` is given name(s) and family name, without a title.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StaffMember {
    pub name: String,
    pub role: String,
}

/// Everything a redaction run keeps because Steward knows whose it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KnownParties {
    pub organisation: Option<Organisation>,
    pub staff: Vec<StaffMember>,
}

/// Why a found item was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeptReason {
    /// The organisation's own name, address, telephone number or e-mail.
    OrganisationDetails,
    /// A member of the organisation's staff, named in their role.
    StaffMember,
}

impl KeptReason {
    pub fn label(self) -> &'static str {
        match self {
            KeptReason::OrganisationDetails => "kept: the organisation's own details",
            KeptReason::StaffMember => "kept: a member of the organisation's staff",
        }
    }
}

/// An item detection found and kept because it is known (see [`KnownParties`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub start: usize,
    pub end: usize,
    /// What it would have been redacted as; None for the organisation's name.
    pub entity: Option<crate::Entity>,
    pub reason: KeptReason,
    /// Which staff member or which organisation detail it matched.
    pub matched: String,
}

impl KnownParties {
    pub fn is_empty(&self) -> bool {
        self.organisation.is_none() && self.staff.is_empty()
    }

    /// Reads `name,role` CSV text (a header row first; `role` optional; also accepts
    /// `given,family[,role]` headers). Blank names are skipped.
    pub fn staff_from_csv(text: &str) -> Result<Vec<StaffMember>, String> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines.next().ok_or("the staff list is empty")?;
        let cols: Vec<String> = split_csv_line(header)
            .into_iter()
            .map(|c| c.trim().to_lowercase())
            .collect();
        let find = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
        let name_col = find(&["name", "full name", "full_name", "staff name"]);
        let given_col = find(&[
            "given",
            "given name",
            "first name",
            "first_name",
            "forename",
        ]);
        let family_col = find(&["family", "family name", "surname", "last name", "last_name"]);
        let role_col = find(&["role", "job title", "job_title", "title"]);
        if name_col.is_none() && (given_col.is_none() || family_col.is_none()) {
            return Err("the staff list needs a 'name' column (or 'given' and 'family')".into());
        }
        let mut out = Vec::new();
        for line in lines {
            let f = split_csv_line(line);
            let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map(|s| s.trim().to_string());
            let name = match name_col {
                Some(_) => get(name_col).unwrap_or_default(),
                None => format!(
                    "{} {}",
                    get(given_col).unwrap_or_default(),
                    get(family_col).unwrap_or_default()
                )
                .trim()
                .to_string(),
            };
            if name.is_empty() {
                continue;
            }
            out.push(StaffMember {
                name,
                role: get(role_col).unwrap_or_default(),
            });
        }
        Ok(out)
    }
}

/// One CSV line, with double-quoted fields.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Titles dropped before comparing a name with the staff list.
const TITLES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "nurse",
    "sister",
    "sir",
    "dame",
    "doctor",
];

pub(crate) fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !TITLES.contains(&w.as_str()))
        .collect()
}

/// The known parties prepared for matching.
pub(crate) struct KnownInfo {
    /// Each staff member's name words (lower case); the last is the family name.
    staff: Vec<Vec<String>>,
    pub org_phones: Vec<String>,
    pub org_emails: Vec<String>,
    pub org_postcode: String,
    /// The organisation's name, lower case, for finding in the text.
    pub org_name: String,
    /// The organisation's address lines that hold a number ("22 larkspur lane"), lower case.
    pub org_street_lines: Vec<String>,
    /// The words of the organisation's address (lower case, letters and digits), each way
    /// it is known: the whole address, and the lines followed by the postcode.
    org_address_words: Vec<Vec<String>>,
    /// The words of the organisation's name.
    org_name_words: Vec<String>,
}

/// Lower-case words of letters and digits ("22 Larkspur Lane, Ormsby" -> 22 larkspur lane
/// ormsby).
pub(crate) fn address_words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn contains_run(hay: &[String], needle: &[String]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

impl KnownInfo {
    pub fn new(k: &KnownParties) -> KnownInfo {
        let staff = k
            .staff
            .iter()
            .map(|s| words(&s.name))
            .filter(|w| !w.is_empty())
            .collect();
        let org = k.organisation.clone().unwrap_or_default();
        // The street lines: a town or locality line alone ("Norwich") is not the
        // organisation's wherever it is written (a third party may live there too).
        let mut org_street_lines: Vec<String> = org
            .address_lines
            .iter()
            .flat_map(|l| l.split(['\n', ',']))
            .filter(|l| l.bytes().any(|c| c.is_ascii_digit()))
            .map(|s| s.trim().to_lowercase())
            .filter(|s| s.len() >= 4)
            .collect();
        org_street_lines.sort();
        org_street_lines.dedup();
        let mut org_address_words: Vec<Vec<String>> = Vec::new();
        let whole = address_words(&org.address);
        if !whole.is_empty() {
            org_address_words.push(whole);
        }
        let mut lines: Vec<String> = org
            .address_lines
            .iter()
            .flat_map(|l| address_words(l))
            .collect();
        lines.extend(address_words(&org.postcode));
        if !lines.is_empty() {
            org_address_words.push(lines);
        }
        KnownInfo {
            staff,
            org_phones: org
                .phones
                .iter()
                .map(|p| crate::detect::norm_phone_pub(p))
                .collect(),
            org_emails: org.emails.iter().map(|e| e.trim().to_lowercase()).collect(),
            org_postcode: crate::detect::norm_id_pub(&org.postcode),
            org_name: org.name.trim().to_lowercase(),
            org_street_lines,
            org_address_words,
            org_name_words: address_words(&org.name),
        }
    }

    pub fn has_staff(&self) -> bool {
        !self.staff.is_empty()
    }

    /// Is `name` (as written, with or without a title) a member of staff? Every word must be
    /// one of theirs (or its initial) and the family name must be there in full:
    /// "Ms Ezetunde", "F. Ezetunde", "EZETUNDE, Folaunde", "Folaunde Ezetunde".
    pub fn staff_match(&self, name: &str) -> Option<usize> {
        let w = words(name);
        if w.is_empty() {
            return None;
        }
        self.staff.iter().position(|s| {
            let family = s.last().expect("non-empty");
            w.iter().any(|x| x == family)
                && w.iter().all(|x| {
                    s.iter()
                        .any(|y| x == y || (x.chars().count() == 1 && y.starts_with(x.as_str())))
                })
        })
    }

    /// A member of staff with every word of `name` among their names ("Kolabayo").
    pub fn staff_match_any_word(&self, name: &str) -> Option<usize> {
        let w = words(name);
        if w.is_empty() {
            return None;
        }
        self.staff
            .iter()
            .position(|s| w.iter().all(|x| s.contains(x)))
    }

    pub fn staff_name(&self, i: usize) -> String {
        self.staff[i].join(" ")
    }

    /// Are these words (an address as written) the organisation's address, or a piece of
    /// it? Word by word, so "122 Larkspur Lane" and "Flat 2, 22 Larkspur Lane" are not
    /// "22 Larkspur Lane", and "The Old Forge, Larkspur Lane" (a house on the same street)
    /// is not either. Words of the organisation's name may come first ("Larkspur Lane
    /// Surgery, 22 Larkspur Lane"). Whether the text there is the organisation's address is
    /// for the caller to say (see `detect_with`): a piece without a number ("Larkspur
    /// Lane") is anyone's street.
    pub fn is_org_address(&self, found: &str) -> bool {
        let w = address_words(found);
        if w.is_empty() {
            return false;
        }
        self.org_address_words.iter().any(|org| {
            if contains_run(org, &w).is_some() {
                return true;
            }
            // name words, then a run of the address that starts at its first word
            (1..w.len()).any(|k| {
                w[..k].iter().all(|x| self.org_name_words.contains(x)) && org.starts_with(&w[k..])
            })
        })
    }
}
