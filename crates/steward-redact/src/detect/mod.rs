//! Detection: proposes redactions of third parties' personal data in one text, and flags
//! passages a clinician must look at.
//!
//! Subject-aware: the subject's own name, aliases, date of birth, NHS number, addresses,
//! phones and emails are kept. Health, social-work and education professionals acting in their
//! role are kept by default ([`Options::keep_professionals`]): their names are normally
//! disclosed in a subject access response (Data Protection Act 2018, Sch 3 Part 2 para 17,
//! the "health worker" test; see shared/reference/rights-and-deadlines.md). Third-party
//! information is otherwise withheld (DPA 2018 Sch 2 Part 3 para 16), so it is proposed here
//! for a person to confirm.
//!
//! Cost: every pass is linear in the text (aho-corasick for keywords, regex DFAs for
//! postcodes, NI numbers and date keywords, hand-written scanners for digit runs and emails,
//! and one tokenizer pass with a hash lookup per word); no allocation per token.

mod flags;
mod ids;
mod names;
mod rules;
mod tokens;

use std::cell::RefCell;

use regex::Regex;
use serde::{Deserialize, Serialize};

pub use ids::{nhs_number_is_valid, ni_number_is_valid};
pub use rules::{ClinicalCode, Rules, RulesError};

use crate::known::{Kept, KeptReason, KnownInfo, KnownParties};
use crate::{Entity, Flag, Proposal, Subject};
use names::{AddrHit, NameHit, NameKind, NamePass};
use rules::class;

/// Per-organisation and per-request choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Keep the names (and NHS email addresses) of staff and health professionals acting in
    /// their role (DPA 2018 Sch 3 Part 2 para 17). Default true.
    pub keep_professionals: bool,
    /// Local hospital / record number formats, as regexes (e.g. `"RDZ[0-9]{7}"`), in addition
    /// to the shipped defaults in `data/hospital_numbers.txt`.
    pub hospital_number_patterns: Vec<String>,
    /// Further identifiers of the subject to keep (their hospital numbers, NI number...).
    /// Compared ignoring spaces, punctuation and case.
    pub subject_identifiers: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_professionals: true,
            hospital_number_patterns: Vec::new(),
            subject_identifiers: Vec::new(),
        }
    }
}

impl Options {
    /// Checks the hospital-number patterns compile (detection silently skips bad ones).
    pub fn validate(&self) -> Result<(), RulesError> {
        rules::compile_alternation(&self.hospital_number_patterns).map(|_| ())
    }
}

/// What detection found in one text: proposals sorted by start and non-overlapping; flags
/// sorted by start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    pub proposals: Vec<Proposal>,
    pub flags: Vec<Flag>,
    /// Found but kept because Steward knows whose it is (the organisation's details, its
    /// staff); sorted by start. Empty when no [`KnownParties`] were given.
    #[serde(default)]
    pub kept: Vec<Kept>,
}

pub(crate) fn norm_phone_pub(s: &str) -> String {
    ids::norm_phone(s)
}

pub(crate) fn norm_id_pub(s: &str) -> String {
    ids::norm_id(s)
}

/// The subject, prepared for matching.
pub(crate) struct SubjectInfo {
    /// Name and aliases as word lists, courtesy titles removed.
    pub variants: Vec<Vec<String>>,
    /// TITLE_F / TITLE_M bits the subject's courtesy title may carry (0 = unknown).
    pub sex: u32,
    nhs: String,
    dob: Option<(u32, u32, u32)>,
    phones: Vec<String>,
    emails: Vec<String>,
    addresses: Vec<String>,
    /// The subject's address lines as lower-case words ("albert", "fold", ...).
    address_words: Vec<Vec<String>>,
    postcodes: Vec<String>,
    ids: Vec<String>,
}

fn norm_addr(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl SubjectInfo {
    fn new(subject: &Subject, rules: &Rules, options: &Options) -> SubjectInfo {
        let mut variants = Vec::new();
        let mut sex = 0u32;
        for (n, name) in std::iter::once(&subject.name)
            .chain(subject.aliases.iter())
            .enumerate()
        {
            // "THOMPSON, Margaret" -> Margaret THOMPSON
            let name = match name.split_once(',') {
                Some((a, b)) if !b.trim().is_empty() => format!("{} {}", b.trim(), a.trim()),
                _ => name.clone(),
            };
            let mut words: Vec<String> = name
                .split(|c: char| c.is_whitespace())
                .map(|w| w.trim_matches(|c: char| c == '.' || c == ',').to_string())
                .filter(|w| !w.is_empty())
                .collect();
            while let Some(w) = words.first() {
                let c = rules.class_of(&w.to_lowercase());
                if c & class::TITLE != 0 && words.len() > 1 {
                    sex |= c & (class::TITLE_F | class::TITLE_M);
                    words.remove(0);
                } else if c & class::PRO_TITLE != 0
                    && words.len() > 1
                    && w.chars().next().is_some_and(char::is_uppercase)
                {
                    words.remove(0);
                } else {
                    break;
                }
            }
            if n == 0 && sex == 0 {
                if let Some(first) = words.first() {
                    let c = rules.class_of(&first.to_lowercase());
                    if c & class::FIRST_F != 0 && c & class::FIRST_M == 0 {
                        sex = class::TITLE_F;
                    } else if c & class::FIRST_M != 0 && c & class::FIRST_F == 0 {
                        sex = class::TITLE_M;
                    }
                }
            }
            if !words.is_empty() {
                variants.push(words);
            }
        }
        // A one-word alias is a nickname: "Peggy" for Margaret Thompson is also written
        // "Peggy Thompson".
        if let Some(surname) = variants
            .first()
            .filter(|v| v.len() >= 2)
            .and_then(|v| v.last())
        {
            let surname = surname.clone();
            let extra: Vec<Vec<String>> = variants
                .iter()
                .skip(1)
                .filter(|v| v.len() == 1 && !v[0].eq_ignore_ascii_case(&surname))
                .map(|v| vec![v[0].clone(), surname.clone()])
                .collect();
            variants.extend(extra);
        }
        let address_words: Vec<Vec<String>> = subject
            .addresses
            .iter()
            .map(|a| {
                a.split(|c: char| !c.is_alphanumeric() && c != '\'')
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase)
                    .collect()
            })
            .collect();
        // the loose shape too: a subject's postcode typed slightly wrong is still theirs
        let postcodes = subject
            .addresses
            .iter()
            .flat_map(|a| {
                let r = ids::regexes();
                r.postcode
                    .find_iter(a)
                    .chain(r.loose_postcode.find_iter(a))
                    .map(|m| ids::norm_id(m.as_str()))
                    .collect::<Vec<_>>()
            })
            .collect();
        SubjectInfo {
            variants,
            sex,
            nhs: subject
                .nhs_number
                .as_deref()
                .map(ids::norm_id)
                .unwrap_or_default(),
            dob: subject.date_of_birth.as_deref().and_then(ids::parse_iso),
            phones: subject.phones.iter().map(|p| ids::norm_phone(p)).collect(),
            emails: subject
                .emails
                .iter()
                .map(|e| e.trim().to_lowercase())
                .collect(),
            addresses: subject.addresses.iter().map(|a| norm_addr(a)).collect(),
            address_words,
            postcodes,
            ids: options
                .subject_identifiers
                .iter()
                .map(|s| ids::norm_id(s))
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }

    /// The words of `s` appear, in order and adjacent, in one of the subject's addresses
    /// ("Albert Fold" in "3 Albert Fold, Bolton"): the subject's own street or town.
    fn in_own_address(&self, s: &str) -> bool {
        let words: Vec<String> = s
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        !words.is_empty()
            && self
                .address_words
                .iter()
                .any(|a| a.windows(words.len()).any(|w| w == words.as_slice()))
    }

    fn is_id(&self, s: &str) -> bool {
        if self.ids.is_empty() {
            return false;
        }
        let n = ids::norm_id(s);
        self.ids.contains(&n)
    }
}

fn priority(e: Entity) -> u8 {
    match e {
        Entity::NhsNumber | Entity::NiNumber | Entity::Email => 9,
        Entity::Phone | Entity::Postcode | Entity::HospitalNumber => 8,
        Entity::DateOfBirth => 7,
        Entity::StreetAddress => 6,
        Entity::PersonName => 5,
    }
}

thread_local! {
    static OPTION_RE: RefCell<Option<(Vec<String>, Option<Regex>)>> = const { RefCell::new(None) };
}

fn with_option_regex<R>(patterns: &[String], f: impl FnOnce(Option<&Regex>) -> R) -> R {
    OPTION_RE.with(|cell| {
        let mut c = cell.borrow_mut();
        let stale = c.as_ref().is_none_or(|(p, _)| p.as_slice() != patterns);
        if stale {
            let valid: Vec<String> = patterns
                .iter()
                .filter(|p| Regex::new(p).is_ok())
                .cloned()
                .collect();
            let re = rules::compile_alternation(&valid).ok().flatten();
            *c = Some((patterns.to_vec(), re));
        }
        f(c.as_ref().and_then(|(_, r)| r.as_ref()))
    })
}

/// A phone number introduced as an organisation's ("contact the ward on", "Surgery tel:")
/// is not a third party's personal data.
fn organisation_context(text: &str, at: usize) -> bool {
    const ORG: &[&str] = &[
        "ward",
        "surgery",
        "practice",
        "clinic",
        "department",
        "dept",
        "switchboard",
        "reception",
        "secretary",
        "team",
        "office",
        "helpline",
        "hospital",
        "pharmacy",
        "service",
        "centre",
        "unit",
        "trust",
        "laboratory",
        "lab",
        "pathology",
        "haematology",
        "biochemistry",
        "radiology",
        "solicitors",
        "llp",
    ];
    let mut from = at.saturating_sub(40);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let window = &text[from..at];
    let window = match window.rfind(['\n', '.', ';']) {
        Some(p) => &window[p + 1..],
        None => window,
    };
    window
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| ORG.iter().any(|o| w.eq_ignore_ascii_case(o)))
}

fn is_professional_email(addr: &str) -> bool {
    let d = addr.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
    d == "nhs.net" || d.ends_with(".nhs.net") || d == "nhs.uk" || d.ends_with(".nhs.uk")
}

/// Finds third parties' personal data in `text` (proposals) and passages a clinician must
/// review (flags). Offsets are byte offsets into `text`, on char boundaries.
pub fn detect(text: &str, subject: &Subject, rules: &Rules, options: &Options) -> Detection {
    detect_with(text, subject, &KnownParties::default(), rules, options)
}

/// [`detect`], keeping what Steward knows: the organisation's own name, address, postcode,
/// telephone numbers and e-mail addresses, and its staff's names (unless the text shows a
/// family relationship: "her son, Tom Ezetunde" is redacted even when a Tom Ezetunde works
/// at the practice). Each is reported in [`Detection::kept`] with the reason.
pub fn detect_with(
    text: &str,
    subject: &Subject,
    known: &KnownParties,
    rules: &Rules,
    options: &Options,
) -> Detection {
    let info = SubjectInfo::new(subject, rules, options);
    let kinfo = (!known.is_empty()).then(|| KnownInfo::new(known));
    let mut kept: Vec<Kept> = Vec::new();
    let keep = |kept: &mut Vec<Kept>,
                s: usize,
                e: usize,
                entity: Option<Entity>,
                reason: KeptReason,
                m: &str| {
        kept.push(Kept {
            start: s,
            end: e,
            entity,
            reason,
            matched: m.to_string(),
        })
    };
    let mut props: Vec<Proposal> = Vec::new();
    let mut protect: Vec<(usize, usize)> = Vec::new();
    // Where the subject's own data was found (their name, date of birth, NHS number,
    // address...): whose a labelled hospital number is, is read from the nearest of these
    // and the third parties' data before it.
    let mut subject_at: Vec<(usize, usize)> = Vec::new();
    let push = |props: &mut Vec<Proposal>, s: usize, e: usize, entity: Entity, rule: &str| {
        props.push(Proposal {
            start: s,
            end: e,
            entity,
            rule: rule.to_string(),
        })
    };

    // NHS numbers and phone numbers: one pass over digit runs.
    ids::scan_numbers(text, |s, e, kind, digits| match kind {
        ids::NumKind::Nhs => {
            if info.nhs.as_bytes() == digits {
                protect.push((s, e));
                subject_at.push((s, e));
            } else {
                push(&mut props, s, e, Entity::NhsNumber, "nhs_number_mod11");
            }
        }
        ids::NumKind::Phone => {
            if let Some(k) = kinfo
                .as_ref()
                .filter(|k| k.org_phones.iter().any(|p| p.as_bytes() == digits))
            {
                let _ = k;
                protect.push((s, e));
                keep(
                    &mut kept,
                    s,
                    e,
                    Some(Entity::Phone),
                    KeptReason::OrganisationDetails,
                    "telephone",
                );
            } else if info.phones.iter().any(|p| p.as_bytes() == digits) {
                protect.push((s, e));
                subject_at.push((s, e));
            } else if organisation_context(text, s) {
                protect.push((s, e));
            } else {
                push(&mut props, s, e, Entity::Phone, "uk_phone");
            }
        }
    });

    ids::scan_emails(text, |s, e| {
        let addr = &text[s..e];
        if kinfo
            .as_ref()
            .is_some_and(|k| k.org_emails.iter().any(|x| x.eq_ignore_ascii_case(addr)))
        {
            protect.push((s, e));
            keep(
                &mut kept,
                s,
                e,
                Some(Entity::Email),
                KeptReason::OrganisationDetails,
                "e-mail",
            );
        } else if info.emails.iter().any(|x| x.eq_ignore_ascii_case(addr)) {
            protect.push((s, e));
            subject_at.push((s, e));
        } else if is_professional_email(addr) {
            if options.keep_professionals {
                protect.push((s, e));
            } else {
                push(&mut props, s, e, Entity::Email, "professional_email");
            }
        } else {
            push(&mut props, s, e, Entity::Email, "email");
        }
    });

    let re = ids::regexes();
    for m in re.ni.find_iter(text) {
        if !ids::ni_number_is_valid(m.as_str()) {
            continue;
        }
        if info.is_id(m.as_str()) {
            protect.push((m.start(), m.end()));
            subject_at.push((m.start(), m.end()));
        } else {
            push(
                &mut props,
                m.start(),
                m.end(),
                Entity::NiNumber,
                "ni_number_hmrc",
            );
        }
    }

    let mut postcode_starts: Vec<usize> = Vec::new();
    // The organisation's postcode: kept unless it ends a third party's address (a
    // neighbour on the practice's street), decided after the addresses.
    let mut org_pcs: Vec<(usize, usize)> = Vec::new();
    for m in re.postcode.find_iter(text) {
        postcode_starts.push(m.start());
        let n = ids::norm_id(m.as_str());
        if kinfo
            .as_ref()
            .is_some_and(|k| !k.org_postcode.is_empty() && k.org_postcode == n)
        {
            org_pcs.push((m.start(), m.end()));
        } else if info.postcodes.contains(&n) {
            protect.push((m.start(), m.end()));
            subject_at.push((m.start(), m.end()));
        } else {
            push(
                &mut props,
                m.start(),
                m.end(),
                Entity::Postcode,
                "postcode_bs7666",
            );
        }
    }

    // "D.O.B" is a keyword, not a person's initials.
    for m in re.dob_key.find_iter(text) {
        if m.as_str().len() >= 3 && m.as_str()[..1].eq_ignore_ascii_case("d") {
            protect.push((m.start(), m.end()));
        }
    }
    ids::scan_dob_columns(text, |s, e, date| {
        if info.dob.is_some_and(|dob| ids::same_date(date, dob)) {
            protect.push((s, e));
            subject_at.push((s, e));
        } else {
            push(&mut props, s, e, Entity::DateOfBirth, "date_in_dob_column");
        }
    });
    ids::scan_dobs(text, |s, e, date| {
        if info.dob.is_some_and(|dob| ids::same_date(date, dob)) {
            protect.push((s, e));
            subject_at.push((s, e));
        } else {
            push(
                &mut props,
                s,
                e,
                Entity::DateOfBirth,
                "date_after_dob_keyword",
            );
        }
    });

    // Hospital numbers: shipped patterns, the organisation's patterns, "Hospital No: ...".
    // A number written after a label is the subject's or a third party's by whose data
    // comes nearest before it (decided after the names); the formats are a third party's
    // unless the subject's own numbers are given.
    let mut labelled_hosp: Vec<(usize, usize, usize)> = Vec::new();
    let mut hosp = |s: usize, e: usize, rule: &str, props: &mut Vec<Proposal>| {
        if info.is_id(&text[s..e]) {
            protect.push((s, e));
            subject_at.push((s, e));
        } else if ids::snomed_code_at(text, s, e) {
            // a clinical code that a broad local format ("8 digits") also matches
        } else {
            push(props, s, e, Entity::HospitalNumber, rule);
        }
    };
    if let Some(r) = &rules.hospital_re {
        for m in r.find_iter(text) {
            hosp(m.start(), m.end(), "hospital_number_pattern", &mut props);
        }
    }
    if !options.hospital_number_patterns.is_empty() {
        with_option_regex(&options.hospital_number_patterns, |r| {
            if let Some(r) = r {
                for m in r.find_iter(text) {
                    hosp(
                        m.start(),
                        m.end(),
                        "hospital_number_local_pattern",
                        &mut props,
                    );
                }
            }
        });
    }
    for c in re.hosp_context.captures_iter(text) {
        if let (Some(label), Some(g)) = (c.get(0), c.get(1)) {
            let digits: Vec<u8> = g.as_str().bytes().filter(u8::is_ascii_digit).collect();
            // An NHS number after "Hospital No" is still an NHS number.
            if nhs_number_is_valid(&digits) {
                continue;
            }
            if info.is_id(g.as_str()) {
                protect.push((g.start(), g.end()));
                subject_at.push((g.start(), g.end()));
            } else if !ids::snomed_code_at(text, g.start(), g.end()) {
                labelled_hosp.push((label.start(), g.start(), g.end()));
            }
        }
    }

    // Token-level passes: addresses, then names.
    let mut toks = Vec::with_capacity(text.len() / 5 + 1);
    tokens::tokenize(text, rules, &mut toks);

    // An organisation's own letterhead and address lines: its address, postcode and
    // telephone numbers are not a third party's.
    let mut org_blocks: Vec<(usize, usize)> = Vec::new();
    names::organisation_blocks(text, &toks, &mut org_blocks);
    for &(s, e) in &org_blocks {
        props.retain(|p| {
            let inside = p.start >= s
                && p.end <= e
                && matches!(
                    p.entity,
                    Entity::StreetAddress | Entity::Postcode | Entity::Phone
                );
            if inside {
                protect.push((p.start, p.end));
            }
            !inside
        });
    }
    let in_org = |s: usize, e: usize| org_blocks.iter().any(|&(a, b)| s >= a && e <= b);
    // Where the text is the organisation's address: its name close before or after (in
    // the same paragraph), or its postcode just after. A line of the organisation's
    // address anywhere else may be a third party's (a neighbour on the same street).
    let lower_text: Option<String> = kinfo.as_ref().map(|_| text.to_ascii_lowercase());
    let org_name_at: Vec<usize> = kinfo
        .as_ref()
        .zip(lower_text.as_ref())
        .filter(|(k, _)| k.org_name.len() >= 3)
        .map(|(k, lower)| {
            lower
                .match_indices(k.org_name.as_str())
                .map(|(s, _)| s)
                .filter(|&s| word_bounded(text, s, s + k.org_name.len()))
                .collect()
        })
        .unwrap_or_default();
    let org_name_len = kinfo.as_ref().map_or(0, |k| k.org_name.len());
    let org_near = |s: usize, e: usize| {
        let before = org_name_at
            .iter()
            .any(|&p| p + org_name_len <= s && s - p <= 200 && !blank_line_in(&text[p..s]));
        let after = org_name_at
            .iter()
            .chain(org_pcs.iter().map(|(p, _)| p))
            .any(|&p| p >= e && p - e <= 80 && !blank_line_in(&text[e..p]));
        before || after
    };
    let org_here = |s: usize, e: usize| {
        kinfo
            .as_ref()
            .is_some_and(|k| k.is_org_address(&text[s..e]) && (in_org(s, e) || org_near(s, e)))
    };

    let is_pc = |pos: usize| postcode_starts.binary_search(&pos).is_ok();
    let mut addrs: Vec<AddrHit> = Vec::new();
    names::addresses(text, &toks, &rules.street_names, &is_pc, &mut addrs);
    let loose: Vec<(usize, usize)> = re
        .loose_postcode
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    let mut anchors: Vec<(usize, bool)> = postcode_starts.iter().map(|&p| (p, true)).collect();
    anchors.extend(
        loose
            .iter()
            .filter(|m| postcode_starts.binary_search(&m.0).is_err())
            .map(|m| (m.0, false)),
    );
    anchors.sort_unstable();
    let walked_from = addrs.len();
    // Ends of addresses proposed as a third party's.
    let mut third_addr_ends: Vec<usize> = Vec::new();
    names::addresses_before_postcodes(text, &toks, &anchors, &mut addrs);
    for (ai, a) in addrs.iter().enumerate() {
        let walked = ai >= walked_from;
        let n = norm_addr(&text[a.start..a.end]);
        let own = |n: &str| {
            !n.is_empty()
                && info
                    .addresses
                    .iter()
                    .any(|x| x.contains(n) || street_part_in(n, x))
        };
        let mine =
            own(&n) || (walked && a.streets.iter().any(|&(s, e)| own(&norm_addr(&text[s..e]))));
        let org = org_here(a.start, a.end);
        if walked && (mine || org || in_org(a.start, a.end)) {
            // the subject's or the organisation's: left to the other rules
            continue;
        }
        if org {
            protect.push((a.start, a.end));
            keep(
                &mut kept,
                a.start,
                a.end,
                Some(Entity::StreetAddress),
                KeptReason::OrganisationDetails,
                "address",
            );
        } else if mine || in_org(a.start, a.end) {
            protect.push((a.start, a.end));
            if mine {
                subject_at.push((a.start, a.end));
            }
        } else {
            third_addr_ends.push(a.end);
            push(&mut props, a.start, a.end, Entity::StreetAddress, a.rule);
        }
    }

    // Addresses named as such: "Carer address: hazeldene, yeldfield gate, emberwold NN1 2AA"
    // (the rest of the line before the postcode, in any case), and the cells of an
    // "Address" column.
    let mut labelled: Vec<(usize, usize)> = Vec::new();
    for m in re.address_label.find_iter(text) {
        let from = m.end();
        let line_end = text[from..]
            .find(['\n', ';', '|'])
            .map_or(text.len(), |p| from + p);
        let mut end = postcode_starts
            .iter()
            .copied()
            .find(|&p| p >= from && p < line_end)
            .unwrap_or(line_end);
        while end > from && matches!(text.as_bytes()[end - 1], b' ' | b',' | b'.' | b'\t') {
            end -= 1;
        }
        let s = &text[from..end];
        let lower = s.to_ascii_lowercase();
        let placeholder = [
            "as ",
            "same",
            "not known",
            "unknown",
            "n/a",
            "nfa",
            "none",
            "no fixed",
        ]
        .iter()
        .any(|p| lower.starts_with(p));
        if end > from
            && !placeholder
            && !reads_as_prose(s)
            && !s.contains('@')
            && s.bytes().any(|c| c.is_ascii_alphabetic())
        {
            labelled.push((from, end));
            // An address label's value over several lines ("Carer address: Swallows Barn /
            // Brunel Fold / Hobbury / NG29 7RT"): the short lines up to its postcode line.
            if end == line_end && text.as_bytes().get(line_end) == Some(&b'\n') {
                labelled_lines_to_postcode(text, line_end + 1, &mut labelled);
            }
        }
    }
    ids::scan_table_column(
        text,
        |h| {
            let h = h.to_ascii_lowercase();
            h.contains("address") && !h.contains("email") && !h.contains("e-mail")
        },
        |s, e| {
            let cell = &text[s..e];
            if !cell.contains('@') && cell.bytes().any(|c| c.is_ascii_alphabetic()) {
                // the postcode, if the cell holds it, is proposed on its own
                let e = postcode_starts
                    .iter()
                    .copied()
                    .find(|&p| p > s && p < e)
                    .map_or(e, |p| text[s..p].trim_end_matches([' ', ',']).len() + s);
                if e > s {
                    labelled.push((s, e));
                }
            }
        },
    );
    // Postcodes typed in lower case or in a slightly wrong shape ("se13 3qr", "W2N 7HR") are
    // taken only where a postcode belongs: after an address and its town on the same line.
    let mut addr_ends: Vec<usize> = addrs.iter().map(|a| a.end).collect();
    addr_ends.extend(labelled.iter().map(|&(_, e)| e));
    addr_ends.sort_unstable();
    if !addr_ends.is_empty() {
        for &(ms, me) in &loose {
            if postcode_starts.binary_search(&ms).is_ok() {
                continue;
            }
            let k = addr_ends.partition_point(|&e| e <= ms);
            let Some(&e) = k.checked_sub(1).map(|k| &addr_ends[k]) else {
                continue;
            };
            let between = &text[e..ms];
            let town_only = between.len() <= 60
                && between
                    .bytes()
                    .all(|c| c.is_ascii_alphabetic() || matches!(c, b' ' | b',' | b'-' | b'\''));
            if !town_only {
                continue;
            }
            let n = ids::norm_id(&text[ms..me]);
            let org_pc = kinfo
                .as_ref()
                .is_some_and(|k| !k.org_postcode.is_empty() && k.org_postcode == n)
                && !third_addr_ends.contains(&e);
            if info.postcodes.contains(&n) || org_pc || in_org(ms, me) {
                protect.push((ms, me));
            } else {
                push(
                    &mut props,
                    ms,
                    me,
                    Entity::Postcode,
                    "postcode_after_address",
                );
            }
        }
    }

    let labelled_starts: Vec<usize> = labelled.iter().map(|&(s, _)| s).collect();
    for (s, e) in labelled {
        let n = norm_addr(&text[s..e]);
        if n.is_empty() || protect.iter().any(|&(a, b)| a <= s && b >= e) {
            continue;
        }
        let mine = info
            .addresses
            .iter()
            .any(|x| x.contains(n.as_str()) || street_part_in(&n, x));
        if org_here(s, e) || mine || in_org(s, e) {
            protect.push((s, e));
        } else {
            third_addr_ends.push(e);
            push(
                &mut props,
                s,
                e,
                Entity::StreetAddress,
                "address_after_label",
            );
        }
    }

    // The organisation's postcode, unless it ends a third party's address (after its
    // street, or after its street and town: "19 Net Loft Row, Pendower PK4 2QW").
    for &(ps, pe) in &org_pcs {
        let ends_third = !in_org(ps, pe)
            && third_addr_ends.iter().any(|&e| {
                e <= ps
                    && ps - e <= 60
                    && text[e..ps].bytes().all(|c| {
                        c.is_ascii_alphabetic()
                            || matches!(c, b' ' | b',' | b'\t' | b'\n' | b'.' | b'-' | b'\'')
                    })
                    && !blank_line_in(&text[e..ps])
                    && !org_name_at.iter().any(|&n| n >= e && n < ps)
            });
        if ends_third {
            push(&mut props, ps, pe, Entity::Postcode, "postcode_bs7666");
        } else {
            protect.push((ps, pe));
            keep(
                &mut kept,
                ps,
                pe,
                Some(Entity::Postcode),
                KeptReason::OrganisationDetails,
                "postcode",
            );
        }
    }

    let mut addr_starts: Vec<usize> = addrs.iter().map(|a| a.start).collect();
    addr_starts.extend(labelled_starts);
    addr_starts.sort_unstable();
    let mut hits: Vec<NameHit> = Vec::new();
    let mut pass = NamePass {
        text,
        toks: &toks,
        rules,
        subject: &info,
        pros: Vec::new(),
        third: Vec::new(),
        unresolved: Vec::new(),
        hits_extra: Vec::new(),
        titled_pros: Vec::new(),
        correspondents: Vec::new(),
        addr_starts: &addr_starts,
        subject_sex: info.sex,
    };
    pass.run_all(&mut hits);
    // A professional's own e-mail address, made from their name and written just after it
    // ("Ms H. Wiszewicz, Solicitor, Email: h.wiszewicz@firm.example"), is kept with the name,
    // unless a third party in the text has that name too.
    if options.keep_professionals && !pass.pros.is_empty() {
        let pro_names: Vec<(usize, String)> = pass
            .pros
            .iter()
            .map(|&(a, b)| (b, text[a..b].to_ascii_lowercase()))
            .filter(|(_, w)| w.len() >= 3)
            .collect();
        let third_words: Vec<String> = pass
            .third
            .iter()
            .map(|&t| text[toks[t].range()].to_ascii_lowercase())
            .collect();
        let mut third_at: Vec<usize> = pass.third.iter().map(|&t| toks[t].s as usize).collect();
        third_at.sort_unstable();
        // a third party named between the professional and the address owns it
        let third_between = |a: usize, b: usize| {
            let k = third_at.partition_point(|&x| x < a);
            k < third_at.len() && third_at[k] < b
        };
        props.retain(|p| {
            if p.entity != Entity::Email || p.rule != "email" {
                return true;
            }
            let local = text[p.start..p.end]
                .split('@')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let pro = local
                .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
                .any(|x| {
                    pro_names.iter().any(|(at, n)| {
                        n == x
                            && *at <= p.start
                            && p.start - at <= 120
                            && !third_between(*at, p.start)
                    }) && !third_words.iter().any(|t| t == x)
                });
            if pro {
                protect.push((p.start, p.end));
            }
            !pro
        });
    }
    // Staff kept by name: a surname alone ("Dear Miss Kaur") is not kept as a member of
    // staff when a third party with that surname is named in full in the same text (a
    // relative sharing a staff member's surname); a word seen before ("Kolabayo" after "Mr
    // Kolabayo Adeyemi") is kept when it is a word of a member of staff kept in this text.
    let mut third_surnames: Vec<String> = Vec::new();
    let mut staff_words: Vec<String> = Vec::new();
    if let Some(k) = kinfo.as_ref().filter(|k| k.has_staff()) {
        for h in &hits {
            let w = crate::known::words(&text[h.start..h.end]);
            let staff = (!h.relation)
                .then(|| k.staff_match(&text[h.start..h.end]))
                .flatten();
            if matches!(h.kind, NameKind::ThirdParty(_)) && w.len() >= 2 && staff.is_none() {
                third_surnames.extend(w.last().cloned());
            }
            if staff.is_some() && !matches!(h.kind, NameKind::Subject) {
                staff_words.extend(w);
            }
        }
    }
    for h in &hits {
        if let Some(k) = kinfo.as_ref().filter(|k| k.has_staff() && !h.relation) {
            if !matches!(h.kind, NameKind::Subject) {
                let span = &text[h.start..h.end];
                let w = crate::known::words(span);
                let surname_only = w.len() == 1;
                let seen_staff = matches!(h.kind, NameKind::ThirdParty("name_seen_before"))
                    && !w.is_empty()
                    && w.iter().all(|x| staff_words.contains(x));
                let matched = if seen_staff {
                    k.staff_match_any_word(span)
                } else if surname_only && third_surnames.contains(&w[0]) {
                    None
                } else {
                    k.staff_match(span)
                };
                if let Some(i) = matched {
                    protect.push((h.start, h.end));
                    let who = k.staff_name(i);
                    keep(
                        &mut kept,
                        h.start,
                        h.end,
                        Some(Entity::PersonName),
                        KeptReason::StaffMember,
                        &who,
                    );
                    continue;
                }
            }
        }
        match h.kind {
            NameKind::Subject => {
                protect.push((h.start, h.end));
                subject_at.push((h.start, h.end));
            }
            NameKind::Professional(rule) => {
                if !options.keep_professionals {
                    let _ = rule;
                    push(
                        &mut props,
                        h.start,
                        h.end,
                        Entity::PersonName,
                        "professional_name",
                    );
                }
            }
            // The subject's own street or town read as a name ("Albert Fold"): not proposed,
            // but an address there is still a neighbour's ("at 82 Albert Fold").
            NameKind::ThirdParty(_)
                if !h.relation && info.in_own_address(&text[h.start..h.end]) => {}
            NameKind::ThirdParty(rule) => {
                push(&mut props, h.start, h.end, Entity::PersonName, rule)
            }
        }
    }

    // The subject's own name, written exactly, is never redacted.
    for v in std::iter::once(&subject.name).chain(subject.aliases.iter()) {
        let v = v.trim();
        if v.len() < 2 {
            continue;
        }
        for (s, _) in text.match_indices(v) {
            protect.push((s, s + v.len()));
            subject_at.push((s, s + v.len()));
        }
    }

    // Labelled hospital numbers: whose is the nearest person's data before the label, in
    // the same paragraph and within 160 bytes: the subject's (their name, date of birth,
    // NHS number, address in a header block) keeps it; a third party's (a name, date of
    // birth, telephone number... proposed, or a relationship word) redacts it. With neither
    // it is redacted.
    if !labelled_hosp.is_empty() {
        let mut third_at: Vec<usize> = props
            .iter()
            .filter(|p| p.entity != Entity::HospitalNumber)
            .map(|p| p.end)
            .collect();
        third_at.extend(
            toks.iter()
                .filter(|t| t.has(class::RELATION))
                .map(|t| t.e as usize),
        );
        for &(label, s, e) in &labelled_hosp {
            let from = label.saturating_sub(160);
            let nearest = |ends: &mut dyn Iterator<Item = usize>| {
                ends.filter(|&x| x <= label && x >= from && !blank_line_in(&text[x..label]))
                    .max()
            };
            let subj = nearest(&mut subject_at.iter().map(|&(_, e)| e));
            let third = nearest(&mut third_at.iter().copied());
            match (subj, third) {
                (Some(a), b) if b.is_none_or(|b| a > b) => {
                    protect.push((s, e));
                }
                _ => push(
                    &mut props,
                    s,
                    e,
                    Entity::HospitalNumber,
                    "hospital_number_after_label",
                ),
            }
        }
    }

    // The organisation's own name, wherever it is written, and its street lines where the
    // text is its address (not "122 Larkspur Lane", not a neighbour's "22 Larkspur Lane"
    // far from the practice's name).
    if let (Some(k), Some(lower)) = (&kinfo, &lower_text) {
        let name = (k.org_name.len() >= 4).then_some((&k.org_name, true));
        for (t, is_name) in name
            .into_iter()
            .chain(k.org_street_lines.iter().map(|l| (l, false)))
        {
            for (s, _) in lower.match_indices(t.as_str()) {
                let e = s + t.len();
                if text.is_char_boundary(s)
                    && text.is_char_boundary(e)
                    && word_bounded(text, s, e)
                    && (is_name || in_org(s, e) || org_near(s, e))
                {
                    protect.push((s, e));
                    keep(
                        &mut kept,
                        s,
                        e,
                        None,
                        KeptReason::OrganisationDetails,
                        "name or address",
                    );
                }
            }
        }
    }

    let proposals = resolve(props, &mut protect);
    kept.sort_by_key(|k| (k.start, k.end));
    kept.dedup_by(|a, b| a.start < b.end && b.start < a.end);
    let mut flags = Vec::new();
    flags::find_flags(text, rules, &mut flags);
    flags.sort_by_key(|f| (f.start, f.end));
    Detection {
        proposals,
        flags,
        kept,
    }
}

/// `text[s..e]` is not inside a longer word or number ("22 larkspur lane" in "122 Larkspur
/// Lane" is not).
fn word_bounded(text: &str, s: usize, e: usize) -> bool {
    let b = text.as_bytes();
    (s == 0 || !b[s - 1].is_ascii_alphanumeric()) && (e >= b.len() || !b[e].is_ascii_alphanumeric())
}

/// A blank line (a paragraph break) in `s`.
fn blank_line_in(s: &str) -> bool {
    let mut lines = s.split('\n');
    lines.next();
    let n = s.matches('\n').count();
    n >= 2 && lines.take(n - 1).any(|l| l.trim().is_empty())
}

/// Whether what follows an address label is a sentence, not an address: "Results went to
/// an old address: confirm it with the patient before sending". An address holds no verbs
/// or pronouns of a sentence; a value with a digit (a house number, a postcode) is always
/// read as an address.
fn reads_as_prose(value: &str) -> bool {
    const PROSE: [&str; 24] = [
        "it", "is", "was", "are", "be", "been", "before", "after", "with", "that", "this", "they",
        "we", "you", "should", "must", "please", "confirm", "check", "sent", "send", "sending",
        "when", "if",
    ];
    if value.bytes().any(|c| c.is_ascii_digit()) {
        return false;
    }
    value
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| PROSE.iter().any(|p| w.eq_ignore_ascii_case(p)))
        .count()
        >= 2
}

/// The lines from `at` that continue an address, each pushed as a span, when a postcode line
/// (strict or loose shape) ends them within four lines; nothing otherwise. A line that
/// continues an address is short, has no label (':'), no '@' and no more than one number.
fn labelled_lines_to_postcode(text: &str, at: usize, out: &mut Vec<(usize, usize)>) {
    let re = ids::regexes();
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut ls = at;
    for _ in 0..5 {
        if ls >= text.len() {
            return;
        }
        let le = text[ls..].find('\n').map_or(text.len(), |p| ls + p);
        let line = text[ls..le].trim();
        if line.is_empty() || line.contains(':') || line.contains('@') {
            return;
        }
        let lead = text[ls..le].len() - text[ls..le].trim_start().len();
        let pc = re
            .postcode
            .find(line)
            .or_else(|| re.loose_postcode.find(line))
            .filter(|m| m.start() == 0 && m.end() == line.len());
        if pc.is_some() {
            out.extend(lines);
            return;
        }
        let words = line.split_whitespace().count();
        let numbers = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|w| !w.is_empty())
            .count();
        if words > 6 || numbers > 1 || !line.bytes().any(|c| c.is_ascii_alphabetic()) {
            return;
        }
        let s = ls + lead;
        lines.push((s, s + line.len()));
        ls = le + 1;
    }
}

/// "14acaciaavenue" inside the subject's "14acaciaavenuepoolebh148qt".
fn street_part_in(found: &str, subject_addr: &str) -> bool {
    subject_addr.contains(found) || (!subject_addr.is_empty() && found.starts_with(subject_addr))
}

/// Drops proposals that touch the subject's own data, then resolves overlaps (the more
/// specific entity wins, then the longer span). Result sorted and non-overlapping.
fn resolve(mut props: Vec<Proposal>, protect: &mut [(usize, usize)]) -> Vec<Proposal> {
    protect.sort_unstable();
    // Prefix maximum of protected ends: a proposal overlaps a protected span iff some span
    // starting before its end reaches past its start.
    let mut reach = Vec::with_capacity(protect.len());
    let mut m = 0;
    for &(_, e) in protect.iter() {
        m = m.max(e);
        reach.push(m);
    }
    props.retain(|p| {
        let idx = protect.partition_point(|&(s, _)| s < p.end);
        idx == 0 || reach[idx - 1] <= p.start
    });
    props.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Proposal> = Vec::with_capacity(props.len());
    for p in props {
        if p.start >= p.end {
            continue;
        }
        if let Some(last) = out.last_mut() {
            if p.start < last.end {
                let better = priority(p.entity) > priority(last.entity)
                    || (priority(p.entity) == priority(last.entity)
                        && p.end - p.start > last.end - last.start);
                if better {
                    *last = p;
                    // the replacement may now overlap the one before it
                    while out.len() >= 2 && out[out.len() - 2].end > out[out.len() - 1].start {
                        let l = out.pop().unwrap();
                        let prev = out.last_mut().unwrap();
                        if priority(l.entity) > priority(prev.entity) {
                            *prev = l;
                        }
                    }
                }
                continue;
            }
        }
        out.push(p);
    }
    out
}
