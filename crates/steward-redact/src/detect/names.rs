//! Person names and street addresses, from the token stream.
//!
//! A name is a run of capitalised tokens. It is proposed for redaction when there is evidence
//! that it is a person (a courtesy title, a relationship word, a gazetteer first name, a first
//! name + surname pair) and it is neither the subject (matched by full name or alias, never by
//! surname alone) nor a professional acting in their role.

use super::rules::{class::*, Rules};
use super::tokens::{shape::*, Tok};
use super::SubjectInfo;

/// What the name pass decided for one run of tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameKind {
    ThirdParty(&'static str),
    Professional(&'static str),
    Subject,
}

pub(crate) struct NameHit {
    pub start: usize,
    pub end: usize,
    pub kind: NameKind,
    /// The text shows a relationship (a relative, a neighbour): never kept as staff.
    pub relation: bool,
}

/// The text between two tokens.
#[inline]
fn gap<'a>(text: &'a str, toks: &[Tok], i: usize) -> &'a str {
    // gap before token i
    if i == 0 {
        &text[..toks[0].s as usize]
    } else {
        &text[toks[i - 1].e as usize..toks[i].s as usize]
    }
}

#[inline]
fn is_space_gap(g: &str) -> bool {
    !g.is_empty() && g.len() <= 2 && g.bytes().all(|c| c == b' ')
}

/// Tokens that may continue a name run after `prev`.
#[inline]
fn joins(text: &str, toks: &[Tok], i: usize) -> bool {
    let g = gap(text, toks, i);
    if is_space_gap(g) {
        return true;
    }
    let prev = &toks[i - 1];
    // "J. Smith", "Dr. Patel"
    (g == ". " || g == ".") && (prev.is(INITIAL) || prev.has(TITLE | PRO_TITLE))
}

const PARTICLES: &[&str] = &[
    "van", "von", "de", "der", "den", "da", "di", "du", "le", "la", "bin", "binti", "al", "el",
    "ap", "ben", "del", "dos",
];

fn lower_is(text: &str, t: &Tok, words: &[&str]) -> bool {
    let w = &text[t.range()];
    words.iter().any(|x| w.eq_ignore_ascii_case(x))
}

const PRO_VERBS: &[&str] = &[
    "seen",
    "reviewed",
    "examined",
    "dictated",
    "signed",
    "referred",
    "written",
    "authorised",
    "authorized",
    "verified",
    "assessed",
    "triaged",
    "entered",
    "typed",
    "prescribed",
    "discussed",
    "checked",
    "approved",
    "requested",
    "reported",
    "performed",
    "undertaken",
];

const PERSON_VERBS: &[&str] = &[
    "rang",
    "rings",
    "called",
    "calls",
    "phoned",
    "phones",
    "telephoned",
    "said",
    "says",
    "reports",
    "reported",
    "told",
    "tells",
    "asked",
    "asks",
    "emailed",
    "wrote",
    "writes",
    "visited",
    "visits",
    "attended",
    "came",
    "explained",
    "mentioned",
    "agreed",
    "feels",
    "felt",
    "thinks",
    "thought",
    "wants",
    "wanted",
    "worries",
    "is",
    "was",
    "has",
    "had",
];

/// Words after a capitalised name that make it a place or an organisation.
const PLACE_TAILS: &[&str] = &[
    "hospital",
    "surgery",
    "practice",
    "clinic",
    "centre",
    "center",
    "unit",
    "hospice",
    "school",
    "college",
    "university",
    "church",
    "house",
    "ward",
    "wing",
    "trust",
    "road",
    "street",
    "avenue",
    "lane",
    "close",
    "drive",
    "pharmacy",
    "medical",
    "health",
    "court",
    "lodge",
    "hall",
    "park",
    "nursing",
    "care",
];

/// Units written after a number ("12 Mg", "4 Units"): never a name.
const UNITS: &[&str] = &[
    "mg",
    "mcg",
    "ug",
    "ng",
    "g",
    "kg",
    "ml",
    "mmol",
    "umol",
    "mmhg",
    "bpm",
    "cm",
    "mm",
    "iu",
    "units",
    "unit",
    "hrs",
    "mins",
    "secs",
    "kcal",
    "kpa",
    "fl",
    "pg",
    "mosm",
    "mu",
    "miu",
    "degc",
    "celsius",
    "fahrenheit",
    "sats",
];

const HOUSE_WORDS: &[&str] = &[
    "cottage",
    "house",
    "farm",
    "lodge",
    "barn",
    "mill",
    "farmhouse",
    "bungalow",
    "manor",
];

pub(crate) struct NamePass<'a> {
    pub text: &'a str,
    pub toks: &'a [Tok],
    pub rules: &'a Rules,
    pub subject: &'a SubjectInfo,
    /// Surnames (byte ranges in text) of professionals seen so far in this text.
    pub pros: Vec<(usize, usize)>,
    /// Token indices of names proposed as third parties.
    pub third: Vec<usize>,
    /// Runs that had no evidence of being a name (token ranges).
    pub unresolved: Vec<(usize, usize)>,
    /// Hits found outside the main run loop (surname-first names).
    pub hits_extra: Vec<NameHit>,
    /// Professionals named with a courtesy title: (title bits, surname range).
    pub titled_pros: Vec<(u32, usize, usize)>,
    /// Surnames of third parties named with their e-mail address (who wrote).
    pub correspondents: Vec<(usize, usize)>,
    /// Start offsets of the addresses found in the text, sorted.
    pub addr_starts: &'a [usize],
    /// TITLE_F / TITLE_M bits for the subject: from the subject file, or learned from the
    /// text ("Ms Mehrwal (20/3/45)" when the subject's date of birth follows).
    pub subject_sex: u32,
}

impl NamePass<'_> {
    fn word(&self, i: usize) -> &str {
        &self.text[self.toks[i].range()]
    }

    /// Does a professional title phrase start at token k? Returns its length in tokens.
    fn pro_phrase_at(&self, k: usize, end: usize) -> usize {
        let t = &self.toks[k];
        if !t.has(PRO_TITLE) || !(t.is(CAP) || t.is(ALLCAPS)) {
            return 0;
        }
        let mut best = 0;
        for p in &self.rules.pro_phrases {
            if k + p.len() > end {
                continue;
            }
            if p.iter()
                .enumerate()
                .all(|(o, w)| self.word(k + o).eq_ignore_ascii_case(w))
                && (1..p.len()).all(|o| joins(self.text, self.toks, k + o))
            {
                best = best.max(p.len());
            }
        }
        best
    }

    /// Relationship word just before token i: "husband Peter", "her son, Jack",
    /// "mother called Pat", "daughter's partner Tom".
    fn relation_before(&self, i: usize) -> bool {
        let toks = self.toks;
        let mut k = i;
        for _ in 0..3 {
            if k == 0 {
                return false;
            }
            let g = gap(self.text, toks, k);
            if g.contains('\n') || g.contains('.') || g.contains(';') {
                return false;
            }
            k -= 1;
            let t = &toks[k];
            // "another patient, Cosmo Throssell"
            if k > 0
                && lower_is(
                    self.text,
                    t,
                    &["patient", "patients", "person", "individual"],
                )
                && lower_is(self.text, &toks[k - 1], &["another", "other", "different"])
            {
                return true;
            }
            if t.has(RELATION) && t.is(LOWER | CAP) && !t.is(POSS) {
                // "Sister Jones" (capitalised, right before) is a ward sister, not a relative;
                // "Sister, Ann Lee" (a list or a table's relationship column) is a relative.
                if t.is(CAP) && k + 1 == i && t.has(PRO_TITLE) && is_space_gap(g) {
                    return false;
                }
                // "my colleague Dr Hale": a professional's colleague is a professional.
                if lower_is(self.text, t, &["colleague", "colleagues"])
                    && toks[i].has(PRO_TITLE)
                    && toks[i].is(CAP)
                {
                    return false;
                }
                return true;
            }
            if !lower_is(
                self.text,
                t,
                &[
                    "called", "named", "is", "was", "name", "known", "as", "the", "a", "her",
                    "his", "their", "of",
                ],
            ) {
                return false;
            }
        }
        false
    }

    /// Relationship word just after the name: "Jack (son)", "Pat, her mother,", "Tom - brother".
    #[allow(clippy::explicit_counter_loop)]
    fn relation_after(&self, m: usize) -> bool {
        let toks = self.toks;
        if m >= toks.len() {
            return false;
        }
        let g = gap(self.text, toks, m);
        if !(g.contains('(') || g.contains(',') || g.contains('-') || is_space_gap(g))
            || g.contains('\n')
        {
            return false;
        }
        let mut k = m;
        for step in 0..3 {
            if k >= toks.len() {
                return false;
            }
            if step > 0 {
                let g = gap(self.text, toks, k);
                let g = g.trim_start_matches(['\'', '\u{2019}', 's']);
                if !is_space_gap(g) {
                    return false;
                }
            }
            let t = &toks[k];
            if t.has(RELATION) && !t.is(POSS) {
                return true;
            }
            if k > m
                && lower_is(self.text, t, &["patient"])
                && lower_is(self.text, &toks[k - 1], &["another", "other"])
            {
                return true;
            }
            if !lower_is(
                self.text,
                t,
                &[
                    "her", "his", "their", "the", "patient", "patients", "pt", "is", "was", "aged",
                    "another", "other",
                ],
            ) {
                return false;
            }
            k += 1;
        }
        false
    }

    /// A staff role right after the name: "J Smith (Practice Nurse)", "Dr A Khan, GP",
    /// "Sarah Jones, Health Visitor", or a role on the next line under a signature.
    #[allow(clippy::explicit_counter_loop)]
    fn role_after(&self, m: usize) -> bool {
        let toks = self.toks;
        if m >= toks.len() {
            return false;
        }
        let g = gap(self.text, toks, m);
        let sep_ok = g.contains('(')
            || g.contains(',')
            || g.contains('-')
            || g.contains('\n')
            || g.contains('/')
            || is_space_gap(g);
        if !sep_ok || g.matches('\n').count() > 1 {
            return false;
        }
        if g.contains('\n') && self.line_under_name(m) {
            return true;
        }
        let mut k = m;
        for step in 0..4 {
            if k >= toks.len() {
                return false;
            }
            if step > 0 {
                let g = gap(self.text, toks, k);
                if g.contains('\n') || g.contains('.') || g.contains(')') || g.contains(',') {
                    return false;
                }
            }
            let t = &toks[k];
            if t.has(RELATION) {
                return false;
            }
            if t.has(STAFF_ROLE) {
                return true;
            }
            k += 1;
        }
        false
    }

    /// The line under a name that stands alone on its line names the person's job or
    /// employer: a role alone ("Partner", "Solicitor" under a signature) or an organisation
    /// ("Miss A Khan / Ravenscourt Hospital" in an addressee block). Token m opens that line.
    fn line_under_name(&self, m: usize) -> bool {
        let toks = self.toks;
        let text = self.text;
        let Some(prev) = m.checked_sub(1) else {
            return false;
        };
        // the name ends its own line and starts it (after a title)
        let name_line_start = text[..toks[prev].s as usize]
            .rfind('\n')
            .map_or(0, |p| p + 1);
        let name_line = &text[name_line_start..toks[prev].e as usize];
        if name_line.contains([',', ':', '(', ')']) || name_line.split_whitespace().count() > 5 {
            return false;
        }
        let ls = toks[m].s as usize;
        let le = text[ls..].find('\n').map_or(text.len(), |p| ls + p);
        let line = &text[ls..le];
        if line.bytes().any(|c| c.is_ascii_digit()) || line.contains('@') {
            return false;
        }
        let mut k = m;
        let mut words = 0;
        let mut org = false;
        let mut role = false;
        while k < toks.len() && (toks[k].s as usize) < le {
            let t = &toks[k];
            words += 1;
            if t.has(TITLE) && t.is(CAP) {
                return false;
            }
            if (t.is(CAP) || t.is(ALLCAPS)) && lower_is(text, t, ORG_WORDS) {
                org = true;
            }
            if t.has(STAFF_ROLE) || lower_is(text, t, &["partner"]) {
                role = true;
            }
            k += 1;
        }
        (org && words <= 8) || (role && words <= 3)
    }

    /// "Ann Lee from the MASH", "Tom Roe (Children's Services)", "Ann Lee of Leeds City
    /// Council": a person speaking for an organisation.
    fn org_after(&self, m: usize) -> bool {
        let toks = self.toks;
        let text = self.text;
        if m >= toks.len() {
            return false;
        }
        let g = gap(text, toks, m);
        if g.contains('\n') {
            return false;
        }
        let mut k = m;
        let bracket = g.trim_start_matches(' ') == "(";
        // not an e-mail address in brackets ("(ANN.LEE@EXAMPLE.COM)")
        let rest = &text.as_bytes()[toks[m].s as usize..];
        let rest = &rest[..rest.len().min(60)];
        let clause_end = rest
            .iter()
            .position(|c| matches!(c, b'\n' | b')' | b';'))
            .unwrap_or(rest.len());
        if rest[..clause_end].contains(&b'@') {
            return false;
        }
        if !bracket {
            if !is_space_gap(g) || !lower_is(text, &toks[k], &["from", "of", "at"]) {
                return false;
            }
            k += 1;
            if k < toks.len() && lower_is(text, &toks[k], &["the"]) {
                k += 1;
            }
        }
        let start = k;
        while k < toks.len() && k < start + 5 {
            let t = &toks[k];
            if k > start {
                let g = gap(text, toks, k);
                let g = if toks[k - 1].is(POSS) {
                    g.trim_start_matches(['\'', '\u{2019}', 's'])
                } else {
                    g
                };
                if !is_space_gap(g) {
                    break;
                }
            }
            if !(t.is(CAP) || t.is(ALLCAPS)) || t.has(TITLE) {
                break;
            }
            let w = &text[t.range()];
            let acronym = t.is(ALLCAPS) && w.len() >= 3 && w.len() <= 6 && !t.has(FIRST | SURNAME);
            if lower_is(text, t, ORG_WORDS) || lower_is(text, t, SERVICE_WORDS) || acronym {
                return true;
            }
            k += 1;
        }
        false
    }

    /// "seen by", "reviewed by", "cc", "GP:" before the name.
    fn pro_before(&self, i: usize) -> bool {
        if i == 0 {
            return false;
        }
        let g = gap(self.text, self.toks, i);
        if g.contains('\n') {
            return false;
        }
        let p = &self.toks[i - 1];
        // "under the care of Mr Jones"
        if lower_is(self.text, p, &["of"])
            && i >= 2
            && lower_is(self.text, &self.toks[i - 2], &["care"])
        {
            return true;
        }
        // "seen by", "seen on the ward by", "reviewed today by": a clinical verb up to four
        // words before "by" in the same sentence.
        if lower_is(self.text, p, &["by"]) && i >= 2 {
            for q in (i.saturating_sub(6)..i - 1).rev() {
                let gq = gap(self.text, self.toks, q + 1);
                if gq.contains('\n') || gq.contains('.') || gq.contains(';') {
                    return false;
                }
                if lower_is(self.text, &self.toks[q], PRO_VERBS) {
                    return true;
                }
                if self.toks[q].has(RELATION) {
                    return false;
                }
            }
            return false;
        }
        // "discussed with Ms Hale", "liaised with", "handed over to", "d/w"
        if lower_is(self.text, p, &["with", "to", "w"]) && i >= 2 {
            let q = &self.toks[i - 2];
            let gq = gap(self.text, self.toks, i - 1);
            if (is_space_gap(gq) || gq == "/")
                && lower_is(
                    self.text,
                    q,
                    &[
                        "discussed",
                        "liaised",
                        "liaising",
                        "discuss",
                        "d",
                        "over",
                        "referred",
                        "handover",
                        "reviewed",
                    ],
                )
            {
                return true;
            }
        }
        // An entry header that is a date at the start of a line: "09/08/2016 Mrs F Silva".
        if !g.contains('\n') && (g.trim().is_empty() || matches!(g.trim(), "-" | "\u{2013}")) {
            let name_at = self.toks[i].s as usize;
            let line_start = self.text[..name_at].rfind('\n').map_or(0, |p| p + 1);
            let head = self.text[line_start..name_at].trim_end();
            let head = head.trim_end_matches(['-', '\u{2013}']).trim_end();
            if !head.is_empty()
                && super::ids::parse_date_at(head.as_bytes(), 0)
                    .is_some_and(|(e, ..)| e == head.len())
            {
                return true;
            }
        }
        // An entry header: "22 Oct 2023 11:19 - Mr Hale", "03/02/2024 09:05 Ms Hale:".
        if i >= 2 && !g.contains('\n') {
            let p_end = p.e as usize;
            let b = self.text.as_bytes();
            let time = p.is(DIGIT)
                && p_end <= b.len()
                && (p.e - p.s) == 2
                && p.s >= 3
                && b[p.s as usize - 1] == b':'
                && b[p.s as usize - 2].is_ascii_digit();
            let g_ok = g.trim().is_empty() || matches!(g.trim(), "-" | "\u{2013}" | "|" | "by");
            if time && g_ok {
                return true;
            }
        }
        if lower_is(
            self.text,
            p,
            &[
                "cc",
                "gp",
                "clinician",
                "author",
                "consultant",
                "usual",
                "named",
                "keyworker",
                "signed",
            ],
        ) && (g.contains(':') || is_space_gap(g))
        {
            return true;
        }
        // "school nurse Mrs Akhtar", "social worker Tom Reilly": a role word right before.
        p.has(STAFF_ROLE) && !p.has(RELATION) && (g.contains(':') || is_space_gap(g))
    }

    /// "BOND, Yolanda" / "THOMPSON, Margaret Anne": upper-case surname, comma, given names.
    /// Returns the token index after the name when one was recorded.
    fn surname_first(&mut self, i: usize) -> Option<usize> {
        let toks = self.toks;
        let t = &toks[i];
        let w = self.word(i);
        if (t.has(NOT_NAME) && !t.has(SURNAME))
            || w.len() < 2
            || !w
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c == b'-' || c == b'\'')
        {
            return None;
        }
        let g = gap(self.text, toks, i + 1);
        if g != ", " && g != "," {
            return None;
        }
        let mut m = i + 1;
        while m < toks.len()
            && m < i + 4
            && toks[m].is(CAP)
            && !self.dob_marker_at(m)
            && (!toks[m].has(NOT_NAME) || toks[m].has(FIRST))
            && (m == i + 1 || is_space_gap(gap(self.text, toks, m)))
        {
            m += 1;
        }
        if m == i + 1 {
            return None;
        }
        let rel_before = self.relation_before(i);
        if !(t.has(SURNAME)
            || toks[i + 1].has(FIRST)
            || self.relation_after(m)
            || rel_before
            || self.person_after(m))
        {
            return None;
        }
        let mut words: Vec<&str> = (i + 1..m).map(|x| self.word(x)).collect();
        words.push(w);
        let (s, e) = (t.s as usize, toks[m - 1].e as usize);
        let rel = self.relation_after(m) || rel_before;
        let kind = if !rel && self.is_subject_words(&words, 0) {
            NameKind::Subject
        } else if !rel && (self.role_after(m) || self.pro_before(i)) {
            NameKind::Professional("surname_comma_first")
        } else {
            self.third.extend(i..m);
            NameKind::ThirdParty("surname_comma_first")
        };
        self.hits_extra.push(NameHit {
            start: s,
            end: e,
            kind,
            relation: rel,
        });
        Some(m)
    }

    /// "in May", "May 2025", "3 May": a month, not a person.
    fn month_like(&self, i: usize, j: usize) -> bool {
        let toks = self.toks;
        (j < toks.len() && toks[j].is(DIGIT))
            || (i > 0
                && (toks[i - 1].is(DIGIT)
                    || lower_is(
                        self.text,
                        &toks[i - 1],
                        &[
                            "in", "on", "of", "since", "until", "by", "from", "end", "early",
                            "late", "mid", "during",
                        ],
                    )))
    }

    /// Token k opens a sentence or a line.
    fn sentence_start(&self, k: usize) -> bool {
        if k == 0 {
            return true;
        }
        let g = gap(self.text, self.toks, k);
        g.contains('\n')
            || g.contains(". ")
            || g.contains("? ")
            || g.contains("! ")
            || g.contains(": ")
    }

    /// "Mr Khan's clinic", "Dr Smith's list".
    fn pro_possessive(&self, m: usize) -> bool {
        m < self.toks.len()
            && self.toks[m - 1].is(POSS)
            && lower_is(
                self.text,
                &self.toks[m],
                &[
                    "clinic",
                    "list",
                    "team",
                    "secretary",
                    "firm",
                    "registrar",
                    "theatre",
                    "ward",
                    "service",
                    "practice",
                    "surgery",
                ],
            )
    }

    fn known_titled_pro(&self, title: u32, last: &Tok) -> bool {
        let w = &self.text[last.range()];
        self.titled_pros
            .iter()
            .any(|&(t, a, b)| t == title && self.text[a..b].eq_ignore_ascii_case(w))
    }

    fn known_pro(&self, s: usize, e: usize) -> bool {
        let w = &self.text[s..e];
        self.pros
            .iter()
            .any(|&(a, b)| self.text[a..b].eq_ignore_ascii_case(w))
    }

    /// Classifies tokens [i, j) (a maximal run of capitalised tokens).
    /// "Jean from next door", "Tom next door": a neighbour.
    fn next_door_after(&self, m: usize) -> bool {
        let toks = self.toks;
        let at = |k: usize, w: &str| k < toks.len() && self.word(k).eq_ignore_ascii_case(w);
        if m >= toks.len() || !is_space_gap(gap(self.text, toks, m)) {
            return false;
        }
        (at(m, "from") && at(m + 1, "next") && at(m + 2, "door"))
            || (at(m, "next") && at(m + 1, "door"))
    }

    /// "(DOB 3/4/1950)", "(born 1950)", ", aged 7" right after the name: a person.
    fn person_after(&self, m: usize) -> bool {
        let toks = self.toks;
        if m >= toks.len() {
            return false;
        }
        let g = gap(self.text, toks, m);
        if g.contains('\n') {
            return false;
        }
        if g.contains('(') || g.contains(',') {
            return lower_is(
                self.text,
                &toks[m],
                &["dob", "d", "born", "aged", "age", "b"],
            ) || self.dob_marker_at(m);
        }
        // "WARSI, Rosia DoB 31.12.1998", "Garian born 12-04-2018", "Ola Date of birth:",
        // "Tam D.O.B. ...", "Ned - DOB 1/2/09"
        let g = g.trim_matches(' ');
        (g.is_empty() || g == "-" || g == "\u{2013}" || g == ";")
            && (lower_is(self.text, &toks[m], &["dob", "born", "d"]) || self.dob_marker_at(m))
    }

    /// A date-of-birth keyword starts at token k: "DOB", "D.O.B.", "d.o.b", "date of
    /// birth", "born", "birth date", "b. " (as `ids::regexes().dob_key`).
    pub(crate) fn dob_marker_at(&self, k: usize) -> bool {
        let Some(t) = self.toks.get(k) else {
            return false;
        };
        let w = &self.text[t.range()];
        let first = w.as_bytes()[0].to_ascii_lowercase();
        if !matches!(first, b'd' | b'b') {
            return false;
        }
        // by bytes, as the dob_key regex reads them (no regex call per token)
        let b = &self.text.as_bytes()[t.s as usize..];
        let at = |i: usize, w: &[u8]| {
            b.len() >= i + w.len() && b[i..i + w.len()].eq_ignore_ascii_case(w)
        };
        let word_end = |i: usize| b.get(i).is_none_or(|c| !c.is_ascii_alphanumeric());
        if w.eq_ignore_ascii_case("dob") || w.eq_ignore_ascii_case("born") {
            return true;
        }
        if w.eq_ignore_ascii_case("date") {
            return at(4, b" of birth") && word_end(13);
        }
        if w.eq_ignore_ascii_case("birth") {
            return (at(5, b"date") && word_end(9)) || (at(5, b" date") && word_end(10));
        }
        if w == "b" {
            return at(1, b". ");
        }
        if w.eq_ignore_ascii_case("d") {
            // "D.O.B", "d.o.b.", "D. O. B.", "D O B"
            let mut i = 1;
            for letter in [b'o', b'b'] {
                if b.get(i) == Some(&b'.') {
                    i += 1;
                }
                if b.get(i) == Some(&b' ') {
                    i += 1;
                }
                if b.get(i).is_none_or(|c| c.to_ascii_lowercase() != letter) {
                    return false;
                }
                i += 1;
            }
            return word_end(i);
        }
        false
    }

    /// "Ann Lee of 4 Mill Lane", "Mr Roe, of The Old Forge, ...", "Miss Tate at 8 Oak
    /// Grove": a name followed by where the person lives.
    fn address_after(&self, m: usize) -> bool {
        let toks = self.toks;
        if m + 1 >= toks.len() || !lower_is(self.text, &toks[m], &["of", "at", "from"]) {
            return false;
        }
        let g = gap(self.text, toks, m);
        if !(is_space_gap(g) || g == ", ") || !is_space_gap(gap(self.text, toks, m + 1)) {
            return false;
        }
        self.addr_starts
            .binary_search(&(toks[m + 1].s as usize))
            .is_ok()
    }

    /// The subject's sex from the text when the subject file does not give it: a courtesy
    /// title before the subject's surname with the subject's date of birth right after
    /// ("my mother Ms Mehrwal (20/3/45)"), or before the subject's full name.
    fn learn_subject_sex(&mut self) {
        if self.subject_sex != 0 {
            return;
        }
        let Some(v) = self.subject.variants.first().filter(|v| v.len() >= 2) else {
            return;
        };
        let (first, last) = (&v[0], &v[v.len() - 1]);
        let toks = self.toks;
        let mut seen = 0u32;
        for i in 0..toks.len().saturating_sub(1) {
            let t = &toks[i];
            if !(t.has(TITLE) && t.is(CAP)) || t.has(TITLE_X) {
                continue;
            }
            let w1 = self.word(i + 1);
            let full = i + 2 < toks.len()
                && w1.eq_ignore_ascii_case(first)
                && self.word(i + 2).eq_ignore_ascii_case(last);
            let dob = w1.eq_ignore_ascii_case(last) && self.subject_dob_after(i + 2);
            if full || dob {
                seen |= t.cls & (TITLE_F | TITLE_M);
            }
        }
        if seen == TITLE_F || seen == TITLE_M {
            self.subject_sex = seen;
        }
    }

    /// The title fits the subject's sex. Unknown sex: "Mrs Chapman" is taken to be the
    /// subject (a relationship word next to it still makes it a third party).
    fn title_fits(&self, title: u32) -> bool {
        title & TITLE_X != 0 || self.subject_sex == 0 || title & self.subject_sex != 0
    }

    /// "Ann Smith <ann@example.org>", "Ann Smith (ann@example.org, ...)": a name followed by
    /// an e-mail address in brackets is a person's.
    /// The subject's own date of birth right after the name: "(17/11/1965)", ", DOB
    /// 17-Nov-1965", " born 17/11/65".
    fn subject_dob_after(&self, m: usize) -> bool {
        let Some(dob) = self.subject.dob else {
            return false;
        };
        let Some(prev) = m.checked_sub(1) else {
            return false;
        };
        let b = self.text.as_bytes();
        let mut i = self.toks[prev].e as usize;
        let lim = (i + 24).min(b.len());
        while i < lim && !b[i].is_ascii_digit() {
            if b[i] == b'\n' {
                return false;
            }
            i += 1;
        }
        super::ids::parse_date_at(b, i)
            .is_some_and(|(_, y, mo, d)| super::ids::same_date((y, mo, d), dob))
    }

    /// "Name: ...", "Contact name: ...", "Full name - ...": a form's name field.
    fn name_label_before(&self, i: usize) -> bool {
        if i == 0 {
            return false;
        }
        let g = gap(self.text, self.toks, i);
        (g.contains(':') || g.contains(" - ") || g.contains('\t'))
            && !g.contains('\n')
            && lower_is(self.text, &self.toks[i - 1], &["name", "names"])
    }

    /// Some(true) when the address is an NHS one (a professional's).
    fn email_after(&self, m: usize) -> Option<bool> {
        let prev = m.checked_sub(1)?;
        let rest = &self.text[self.toks[prev].e as usize..];
        let rest = rest.trim_start_matches(' ');
        if !(rest.starts_with('<') || rest.starts_with('(')) {
            return None;
        }
        let inner = &rest[1..];
        let word_end = inner
            .find(|c: char| c.is_whitespace() || c == '>' || c == ')' || c == ',')
            .unwrap_or(inner.len());
        let addr = &inner[..word_end];
        let domain = addr.rsplit_once('@')?.1.to_ascii_lowercase();
        Some(domain.ends_with("nhs.net") || domain.ends_with("nhs.uk"))
    }

    /// A run of upper-case words with evidence that it is a person: "Carer name: DESPAY
    /// SANTOS", "LANIAN MORWELL (b. 24/9/07)", "IVENA BRACKWORTH Born: ...".
    fn allcaps_name(&mut self, i: usize, out: &mut Vec<NameHit>) -> Option<usize> {
        let toks = self.toks;
        let n = toks.len();
        let mut j = i;
        while j < n
            && j < i + 4
            && toks[j].is(ALLCAPS)
            && self.word(j).len() >= 2
            && !self.dob_marker_at(j)
            && (!toks[j].has(NOT_NAME) || toks[j].has(SURNAME | FIRST))
            && !toks[j].has(TITLE | PRO_TITLE | STREET)
            && (j == i || is_space_gap(gap(self.text, toks, j)))
        {
            j += 1;
        }
        if j - i < 2
            || (j < n
                && toks[j].is(ALLCAPS)
                && is_space_gap(gap(self.text, toks, j))
                && !self.dob_marker_at(j))
        {
            return None;
        }
        let rel = self.relation_before(i);
        if !(rel
            || self.person_after(j)
            || self.email_after(j) == Some(false)
            || self.name_label_before(i))
        {
            return None;
        }
        let words: Vec<&str> = (i..j).map(|x| self.word(x)).collect();
        let kind = if !rel && self.is_subject_words(&words, 0) {
            NameKind::Subject
        } else {
            self.third.extend(i..j);
            NameKind::ThirdParty("upper_case_name")
        };
        out.push(NameHit {
            start: toks[i].s as usize,
            end: toks[j - 1].e as usize,
            kind,
            relation: rel,
        });
        Some(j)
    }

    /// "Hope rang to say...", "Rhodri said": a speech or contact verb right after a run that
    /// opens a sentence.
    fn verb_after(&self, m: usize) -> bool {
        m < self.toks.len()
            && is_space_gap(gap(self.text, self.toks, m))
            && self.toks[m].is(LOWER)
            && lower_is(self.text, &self.toks[m], PERSON_VERBS)
    }

    /// The run names a place: "St Mary's Hospital", "Victoria Ward", "Kingsley Surgery".
    fn place(&self, i: usize, m: usize) -> bool {
        let toks = self.toks;
        if i > 0
            && lower_is(self.text, &toks[i - 1], &["st", "saint"])
            && is_space_gap(gap(self.text, toks, i))
        {
            return true;
        }
        if m < toks.len()
            && (toks[m].is(CAP) || toks[m].is(ALLCAPS))
            && (lower_is(self.text, &toks[m], PLACE_TAILS)
                || lower_is(self.text, &toks[m], ORG_WORDS))
            && (is_space_gap(gap(self.text, toks, m)) || toks[m - 1].is(POSS))
        {
            return true;
        }
        // "Ali Hale Legal": the run ends in an organisation word; "Glasgow Coma Scale",
        // "Bell Palsy Score": in a clinical term's word
        if m - i >= 2
            && !toks[m - 1].has(SURNAME | FIRST)
            && (lower_is(self.text, &toks[m - 1], ORG_WORDS)
                || lower_is(self.text, &toks[m - 1], CLINICAL_TAILS))
        {
            return true;
        }
        // "Hale Roe & Co", "Hale and Roe Solicitors"
        if m < toks.len()
            && matches!(gap(self.text, toks, m), " & " | " and ")
            && (toks[m].is(CAP) || toks[m].is(ALLCAPS))
            && lower_is(
                self.text,
                &toks[m],
                &["co", "partners", "sons", "associates"],
            )
        {
            return true;
        }
        // "to Victoria Ward", "on Florence Ward"
        m - i >= 2
            && lower_is(self.text, &toks[m - 1], &["ward", "unit", "wing", "house"])
            && i > 0
            && lower_is(
                self.text,
                &toks[i - 1],
                &["to", "on", "at", "in", "from", "onto"],
            )
    }

    fn run(&mut self, i: usize, j: usize, out: &mut Vec<NameHit>) {
        let toks = self.toks;
        let rel_early = self.relation_before(i)
            || self.relation_after(j)
            || self.person_after(j)
            || self.next_door_after(j)
            || (self.sentence_start(i) && self.verb_after(j));
        let mut k = i;
        let mut title = 0u32;
        let mut pro = false;
        let mut any_title = false;
        let mut lead_relation = false;
        let mut title_at: Option<usize> = None;
        while k < j {
            let n = self.pro_phrase_at(k, j);
            // "Sister Mrs Lee": a relationship word before a courtesy title, not a ward sister
            if n == 1
                && toks[k].has(RELATION)
                && k + 1 < j
                && toks[k + 1].has(TITLE)
                && toks[k + 1].is(CAP)
            {
                lead_relation = true;
                k += 1;
                continue;
            }
            if n > 0 {
                // "Sister" capitalised is a title only when a name follows.
                pro = true;
                any_title = true;
                k += n;
                continue;
            }
            let t = &toks[k];
            if t.has(TITLE) && t.is(CAP) {
                title = t.cls & TITLE;
                if title_at.is_none() {
                    title_at = Some(k);
                }
                any_title = true;
                k += 1;
                continue;
            }
            // "Uncle Mr Hale", "Niece Mrs Wood", "Cousin Dafydd": a capitalised relationship
            // word opening the run is evidence for what follows, never part of the name.
            if t.has(RELATION) && t.is(CAP) && !any_title && k + 1 < j && !t.has(PRO_TITLE) {
                lead_relation = true;
                k += 1;
                continue;
            }
            if t.has(NOT_NAME) && !t.has(SURNAME) && !any_title {
                // "Dean I. Osborne", "June Smith": an ambiguous given name followed by a surname.
                let surname_follows = (k + 1..j.min(k + 3)).any(|x| toks[x].has(SURNAME));
                if !(t.has(FIRST) && (surname_follows || rel_early)) {
                    // "Carer Jane Smith", "Neighbour Mrs Green": a relationship word opening
                    // the run is evidence for what follows.
                    if t.has(RELATION) && t.is(CAP) {
                        lead_relation = true;
                    }
                    k += 1;
                    continue;
                }
            }
            break;
        }
        if k >= j {
            // A lone ambiguous given name ("Iris", "May"): a third party if that name was
            // proposed elsewhere in the text.
            if j - i == 1 && toks[i].has(FIRST) && !self.month_like(i, j) {
                self.unresolved.push((i, j));
            }
            return;
        }
        // The name runs until a word that cannot be part of one.
        let mut m = k + 1;
        while m < j {
            let t = &toks[m];
            // a middle initial ("Peter I. Osborne")
            if t.is(INITIAL) && m + 1 < j {
                m += 1;
                continue;
            }
            if t.has(NOT_NAME) && !t.has(SURNAME | FIRST) {
                break;
            }
            if t.has(STREET) && !t.has(SURNAME | FIRST) {
                break;
            }
            m += 1;
        }
        // Leading unknown words before a gazetteer first name are sentence openers
        // ("Advised Peter Smith"): start at the first name.
        // Not after a label ("Carer name: Maxamed Hassan"): a label's value has no opener.
        let k0 = k;
        let after_label = k > 0 && gap(self.text, toks, k).contains(':');
        if !any_title
            && !toks[k].has(FIRST | SURNAME)
            && !toks[k].is(INITIAL)
            && self.sentence_start(k)
            && !after_label
        {
            if let Some(f) = (k + 1..m).find(|&x| toks[x].has(FIRST) && !toks[x].has(SURNAME)) {
                k = f;
            } else if m - k >= 3 && self.is_subject(k + 1, m, 0) {
                // "Met Caitlin Rose Kelly at home": the subject after an opener
                k += 1;
            }
        }
        // A lone "A" or "I" is an article or pronoun unless a surname follows.
        if toks[k].is(INITIAL)
            && matches!(self.word(k), "A" | "I")
            && !(k + 1 < m && toks[k + 1].has(SURNAME))
            && !any_title
        {
            if k + 1 >= m {
                return;
            }
            k += 1;
        }
        let ntok = m - k;
        let first = &toks[k];
        let last = &toks[m - 1];
        if ntok == 1 && first.is(INITIAL) {
            return;
        }
        if !any_title && self.place(k, m) {
            return;
        }
        let rel = lead_relation
            || self.relation_before(i)
            || self.relation_after(m)
            || self.person_after(m)
            || self.next_door_after(m);
        // "Ann Smith <ann@example.org>": a person; a professional when the address is an
        // NHS one.
        let mail = if m == j && !any_title {
            self.email_after(m)
        } else {
            None
        };
        let verb = m - k == j - i && self.sentence_start(k) && self.verb_after(m);
        let role = self.role_after(m) || (!rel && self.org_after(m));
        let pro_ctx = self.pro_before(i);
        let strong_first = |t: &Tok| t.has(FIRST) && !t.has(NOT_NAME);
        let name_like_last = last.has(SURNAME) || (!last.has(NOT_NAME) && last.is(CAP));
        let rule: &'static str = if any_title {
            "name_after_title"
        } else if rel {
            "name_near_relation"
        } else if mail.is_some() {
            "name_with_email"
        } else if self.name_label_before(i) && (!first.has(NOT_NAME) || first.has(FIRST)) {
            "name_after_name_label"
        } else if ntok >= 2 && (first.has(FIRST) || first.is(INITIAL)) && name_like_last {
            "first_and_surname"
        } else if ntok >= 2 && last.has(SURNAME) && first.is(CAP) && !first.has(NOT_NAME) {
            "surname_after_capitalised"
        } else if ntok == 1 && strong_first(first) {
            "first_name_gazetteer"
        } else if verb && (!first.has(NOT_NAME) || first.has(FIRST)) {
            "name_before_speech_verb"
        } else if self.address_after(m)
            && (!first.has(NOT_NAME) || first.has(FIRST))
            && (ntok >= 2 || strong_first(first) || !self.sentence_start(k))
        {
            "name_before_address"
        } else if ntok >= 1 && (role || pro_ctx) && !first.has(NOT_NAME) {
            "name_with_role"
        } else {
            if !(ntok == 1 && self.month_like(k, m))
                && (!first.has(NOT_NAME) || first.has(FIRST))
                && (!last.has(NOT_NAME) || last.has(FIRST | SURNAME))
            {
                self.unresolved.push((k, m));
            }
            return;
        };
        let (s, e) = (first.s as usize, last.e as usize);
        let is_pro = !rel
            && (pro
                || mail == Some(true)
                || role
                || pro_ctx
                || self.pro_possessive(m)
                // The same full name as a professional earlier in the text. A surname alone is
                // not enough ("Dr Patel ... Mrs Patel" may be a patient's relative): when in
                // doubt the name is proposed and a person decides.
                || (self.known_pro(last.s as usize, last.e as usize) && ntok >= 2 && title == 0)
                // "Miss A Khan" then "Dear Miss Khan": the same title and surname
                || (title != 0 && ntok == 1 && self.known_titled_pro(title, last)));
        // The subject: by name when no relationship is shown; by full name, or by name with
        // the subject's own birth date right after ("my mother Mrs Owusu (17/11/1965)"),
        // whatever the context.
        let subject_name =
            self.is_subject(k, m, title) || (k0 != k && self.is_subject(k0, m, title));
        // "Dear Mr Lee" in a reply to an e-mail from a Lee who is not the subject: the
        // correspondent, even when the subject is a Lee too.
        let correspondent = title_at.is_some_and(|t| {
            t > 0
                && lower_is(self.text, &toks[t - 1], &["dear"])
                && ntok == 1
                && self
                    .correspondents
                    .iter()
                    .any(|&(a, b)| self.text[a..b].eq_ignore_ascii_case(&self.text[last.range()]))
        });
        let kind = if subject_name
            && !correspondent
            && (!rel || (ntok >= 2 && self.is_subject(k, m, 0)) || self.subject_dob_after(m))
        {
            NameKind::Subject
        } else if is_pro {
            self.pros.push((last.s as usize, last.e as usize));
            if title != 0 {
                self.titled_pros
                    .push((title, last.s as usize, last.e as usize));
            }
            NameKind::Professional(rule)
        } else {
            self.third.extend(k..m);
            if mail == Some(false) && ntok >= 2 {
                self.correspondents.push((last.s as usize, last.e as usize));
            }
            NameKind::ThirdParty(rule)
        };
        // A third party's courtesy title goes with the name ("Mrs Wood", not "Mrs" left
        // standing beside a short surname).
        let s = match (kind, title_at) {
            (NameKind::ThirdParty(_), Some(t)) => toks[t].s as usize,
            _ => s,
        };
        out.push(NameHit {
            start: s,
            end: e,
            kind,
            relation: rel,
        });
    }

    /// The subject, by full name or an alias: "Margaret Thompson", "Margaret", "M Thompson",
    /// "Peggy"; "Mrs Thompson" only when the title fits the subject. A surname alone never
    /// makes a match: "Peter Thompson" (her husband) is a third party.
    fn is_subject(&self, k: usize, m: usize, title: u32) -> bool {
        let words: Vec<&str> = (k..m).map(|x| self.word(x)).collect();
        self.is_subject_words(&words, title)
    }

    fn is_subject_words(&self, words: &[&str], title: u32) -> bool {
        if words.is_empty() {
            return false;
        }
        let sub = self.subject;
        for v in &sub.variants {
            if v.is_empty() {
                continue;
            }
            let first = &v[0];
            let last = &v[v.len() - 1];
            let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
            let initial_of = |a: &str, b: &str| {
                a.chars().count() == 1 && b.chars().next().is_some_and(|c| a.starts_with(c))
            };
            if words.len() == v.len() && words.iter().zip(v).all(|(a, b)| eq(a, b)) {
                return true;
            }
            let w0 = words[0];
            let wl = words[words.len() - 1];
            if words.len() >= 2 && (eq(w0, first) || initial_of(w0, first)) && eq(wl, last) {
                // Middle names must be the subject's too.
                if words[1..words.len() - 1]
                    .iter()
                    .all(|w| v.iter().any(|x| eq(w, x) || initial_of(w, x)))
                {
                    return true;
                }
            }
            if words.len() == 1 && eq(w0, first) && (title == 0 || self.title_fits(title)) {
                return true;
            }
            if words.len() == 1
                && v.len() >= 2
                && eq(w0, last)
                && title != 0
                && self.title_fits(title)
            {
                return true;
            }
        }
        false
    }

    /// Second chance for runs without evidence of their own: a word already proposed as a
    /// third party's name elsewhere in the text ("her brother Caradog Szczepanski ...
    /// Caradog rang") is that person again, unless it is also the subject's name.
    fn resolve_unresolved(&mut self, out: &mut Vec<NameHit>) {
        if self.third.is_empty() {
            return;
        }
        let unresolved = std::mem::take(&mut self.unresolved);
        let known: std::collections::HashSet<&str> =
            self.third.iter().map(|&t| self.word(t)).collect();
        for (k, m) in unresolved {
            let seen = (k..m).all(|x| {
                let w = self.word(x);
                known.contains(w)
                    && !self
                        .subject
                        .variants
                        .iter()
                        .flatten()
                        .any(|v| v.eq_ignore_ascii_case(w))
            });
            if seen {
                out.push(NameHit {
                    start: self.toks[k].s as usize,
                    end: self.toks[m - 1].e as usize,
                    kind: NameKind::ThirdParty("name_seen_before"),
                    relation: false,
                });
            }
        }
    }

    /// A unit or a slash abbreviation, never a name word: "mg/L", "mmol/L", "37.9 C",
    /// "98 F", "O/E", "C/O", "N/A". A unit is a word after a number (or after a slash)
    /// that is a single letter or a unit word; an abbreviation is glued to a slash.
    fn unit_or_abbrev(&self, i: usize) -> bool {
        let toks = self.toks;
        let t = &toks[i];
        let g = gap(self.text, toks, i);
        if i > 0 && g.ends_with('/') && g.len() <= 2 {
            return true;
        }
        let e = t.e as usize;
        let b = self.text.as_bytes();
        if t.is(INITIAL) && e + 1 < b.len() && b[e] == b'/' && b[e + 1].is_ascii_alphanumeric() {
            return true;
        }
        if i > 0 && toks[i - 1].is(DIGIT) && (g.is_empty() || g == " ") {
            let w = self.word(i);
            return t.is(INITIAL) || UNITS.iter().any(|u| w.eq_ignore_ascii_case(u));
        }
        false
    }

    pub fn run_all(&mut self, out: &mut Vec<NameHit>) {
        self.learn_subject_sex();
        let toks = self.toks;
        let n = toks.len();
        let mut i = 0;
        while i < n {
            let t = &toks[i];
            if t.is(ALLCAPS) && i + 1 < n {
                if let Some(next) = self.surname_first(i) {
                    i = next;
                    continue;
                }
                if let Some(next) = self.allcaps_name(i, out) {
                    i = next;
                    continue;
                }
            }
            // "spoke to son mr king": a lower-case title after a relationship word.
            if t.is(LOWER) && t.has(TITLE) && i + 1 < n && self.relation_before(i) {
                let u = &toks[i + 1];
                let g = gap(self.text, toks, i + 1);
                let w = self.word(i + 1);
                if is_space_gap(g.trim_start_matches('.'))
                    && !u.is(DIGIT)
                    && w.len() >= 2
                    && !lower_is(
                        self.text,
                        u,
                        &["and", "or", "by", "to", "on", "in", "is", "was"],
                    )
                {
                    self.third.push(i + 1);
                    out.push(NameHit {
                        start: t.s as usize,
                        end: u.e as usize,
                        kind: NameKind::ThirdParty("lower_case_title_name"),
                        relation: true,
                    });
                    i += 2;
                    continue;
                }
            }
            if !t.is(CAP) || self.unit_or_abbrev(i) {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < n && joins(self.text, toks, j) && !toks[j - 1].is(POSS) {
                let u = &toks[j];
                if self.unit_or_abbrev(j) || self.dob_marker_at(j) {
                    break;
                }
                if u.is(CAP) {
                    j += 1;
                } else if u.is(LOWER)
                    && j + 1 < n
                    && toks[j + 1].is(CAP)
                    && lower_is(self.text, u, PARTICLES)
                    && joins(self.text, toks, j + 1)
                {
                    j += 2;
                } else {
                    break;
                }
            }
            self.run(i, j, out);
            i = j;
        }
        out.append(&mut self.hits_extra);
        self.resolve_unresolved(out);
    }
}

/// A street address hit: byte range, and the range of its street part (number + street).
pub(crate) struct AddrHit {
    pub start: usize,
    pub end: usize,
    pub rule: &'static str,
    /// The street lines (number and street, house name) without the town, for comparing
    /// with the subject's and the organisation's addresses.
    pub streets: Vec<(usize, usize)>,
}

/// Lower-case words that end an address walked back from its postcode: the address starts
/// after them ("moved to ty gwyn, ...", "staying at 4 mill lane, ...").
const ADDRESS_OPENERS: &[&str] = &[
    "at", "to", "from", "of", "in", "into", "onto", "with", "and", "is", "was", "are", "were",
    "now", "address", "lives", "living", "live", "moved", "staying", "by", "near", "for",
    "opposite", "via", "c/o", "nr",
];

/// Lower-case words inside a capitalised town or street ("Stratford upon Avon",
/// "Barton le Clay", "Ashby de la Zouch").
const TOWN_JOINERS: &[&str] = &[
    "upon", "on", "le", "la", "de", "under", "the", "in", "by", "cum",
];

/// Addresses walked back from a postcode on the same line: "Fernlea Bramcombe Square,
/// Kettleby OX6 1AA", "ashgrove, ferrley gate S8 5PT", "APARTMENT 19, ST ANNE'S COURT, FERRHAM
/// SQUARE, NORWICH, NR19 6RJ", "The Old Forge, Mill Side DE18 3XP" — in any case, with a
/// house name and no number, abbreviations ("Kiln Pl", "Oak Gr.") and the street run
/// together with the house name. Comma-separated segments are taken from the postcode
/// backwards until a segment that is not part of an address (a date, a telephone number, a
/// title or a relationship word, an organisation), or a lower-case word that opens it ("at",
/// "to", "from"...). At least one segment must be a street: a house number and words, or
/// words ending in a street suffix; every segment must be written in the same case style.
pub(crate) fn addresses_before_postcodes(
    text: &str,
    toks: &[Tok],
    anchors: &[(usize, bool)],
    out: &mut Vec<AddrHit>,
) {
    #[derive(Clone, Copy, PartialEq)]
    enum Case {
        Lower,
        Cap,
        Upper,
    }
    let b = text.as_bytes();
    let mut last_anchor = usize::MAX;
    for &(p, strict) in anchors {
        if p == last_anchor {
            continue;
        }
        last_anchor = p;
        let end_tok = toks.partition_point(|t| (t.s as usize) < p);
        // no token before it, or the postcode starts inside a word
        if end_tok == 0 || toks[end_tok - 1].e as usize > p {
            continue;
        }
        // In a comma-separated row ("Uncle,Ivo Brandt,The Beeches Sandpit Row,LS4 2ZZ") a
        // bare comma ends a cell: the walk does not cross it.
        let line_start = text[..p].rfind('\n').map_or(0, |x| x + 1);
        let line_end = text[p..].find('\n').map_or(text.len(), |x| p + x);
        let csv_row = text.as_bytes()[line_start..line_end]
            .windows(2)
            .filter(|w| w[0] == b',' && w[1] != b' ')
            .count()
            >= 2;
        // segments, right to left: token ranges [a, z)
        let mut segs: Vec<(usize, usize)> = Vec::new();
        let mut k = end_tok; // exclusive end of the current segment
        let mut case: Option<Case> = None;
        let mut opened = false;
        'segments: while k > 0 && segs.len() < 6 {
            // the gap after the segment's last token must be a comma / spaces (or "." of
            // an abbreviation) and no line break
            let after_last = if k == end_tok {
                &text[toks[k - 1].e as usize..p]
            } else {
                gap(text, toks, k)
            };
            if after_last.contains('\n')
                || !after_last
                    .bytes()
                    .all(|c| matches!(c, b' ' | b',' | b'.' | b'\t'))
            {
                break;
            }
            let z = k;
            let mut a = k;
            let mut seg_case: Option<Case> = None;
            while a > 0 && z - a < 6 {
                let t = &toks[a - 1];
                if a < z {
                    let g = gap(text, toks, a);
                    let g = g.trim_start_matches('.');
                    if !(is_space_gap(g) || g == "  ") {
                        break; // segment boundary (comma) or other punctuation
                    }
                }
                let w = &text[t.range()];
                if t.is(LOWER) && ADDRESS_OPENERS.iter().any(|x| w.eq_ignore_ascii_case(x)) {
                    opened = true;
                    if a == z {
                        // nothing of this segment taken
                        break 'segments;
                    }
                    break;
                }
                let c = if t.is(DIGIT) {
                    None
                } else if t.is(LOWER) {
                    Some(Case::Lower)
                } else if t.is(ALLCAPS) && w.len() > 1 {
                    Some(Case::Upper)
                } else {
                    Some(Case::Cap)
                };
                // a possessive only in "St Anne's"
                if t.is(POSS) && !(a >= 2 && lower_is(text, &toks[a - 2], &["st", "saint"])) {
                    break 'segments;
                }
                if t.has(TITLE | PRO_TITLE | RELATION | STAFF_ROLE) && !t.has(STREET) {
                    break 'segments;
                }
                // "Church View", "School Lane": an organisation word inside a street name
                if lower_is(text, t, ORG_WORDS) && !(a < z && toks[z - 1].has(STREET)) {
                    segs.clear();
                    break 'segments;
                }
                if t.is(DIGIT) {
                    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
                    let house = digits <= 4 && w.len() - digits <= 1;
                    // a number only opens a segment ("12 Mill Lane", "Flat 3")
                    let opens_seg = a == 1 || {
                        let g = gap(text, toks, a - 1).trim_end_matches(' ');
                        g.ends_with(',')
                            || g.ends_with('\n')
                            || g.ends_with('(')
                            || g.ends_with('\t')
                            || g.ends_with('"')
                            || g.ends_with(':')
                            || lower_is(
                                text,
                                &toks[a - 2],
                                &["flat", "apartment", "apt", "unit", "room", "no"],
                            )
                            || lower_is(text, &toks[a - 2], ADDRESS_OPENERS)
                    };
                    if !house || !opens_seg {
                        break 'segments;
                    }
                } else if w.bytes().any(|c| c.is_ascii_digit()) {
                    break 'segments;
                }
                if let Some(c) = c {
                    // "Stratford upon Avon": a joining word inside a capitalised segment
                    let joiner = c == Case::Lower
                        && seg_case.is_some_and(|s| s != Case::Lower)
                        && a >= 2
                        && !toks[a - 2].is(LOWER)
                        && TOWN_JOINERS.iter().any(|x| w.eq_ignore_ascii_case(x));
                    if !joiner && !t.is(INITIAL) {
                        match seg_case {
                            None => seg_case = Some(c),
                            Some(s) if s != c => break 'segments,
                            _ => {}
                        }
                    }
                }
                a -= 1;
            }
            if a == z {
                break;
            }
            if let Some(sc) = seg_case {
                match case {
                    None => case = Some(sc),
                    Some(c) if c != sc => break,
                    _ => {}
                }
            }
            segs.push((a, z));
            if opened {
                break;
            }
            // the gap before the segment must be a comma to go on
            if a == 0 {
                break;
            }
            let g = gap(text, toks, a).trim_start_matches('.');
            if !(g == ", " || (g == "," && !csv_row) || g == ",  ") {
                // a house name run into the street with no comma is inside one segment
                break;
            }
            k = a;
        }
        if segs.is_empty() {
            continue;
        }
        segs.reverse();
        // Evidence: a street (number + words, or words ending in a suffix) among segments.
        let is_street = |&(a, z): &(usize, usize)| {
            (toks[a].is(DIGIT) && z - a >= 2 && !toks[a + 1].is(DIGIT))
                || (z - a >= 2 && toks[z - 1].has(STREET))
        };
        let numbered = |&(a, z): &(usize, usize)| toks[a].is(DIGIT) && z - a >= 2;
        if !segs.iter().any(is_street) || (!strict && !segs.iter().any(numbered)) {
            continue;
        }
        // Drop leading segments that look like a person: a gazetteer first name and a
        // surname with no street or house word ("Ann Lee, 4 Mill Lane, ...").
        while let Some(&(a, z)) = segs.first() {
            let person = z - a >= 2
                && toks[a].has(FIRST)
                && toks[z - 1].has(SURNAME)
                && !(a..z).any(|x| toks[x].has(STREET) || lower_is(text, &toks[x], HOUSE_WORDS));
            if person {
                segs.remove(0);
            } else {
                break;
            }
        }
        let Some(&(a0, _)) = segs.first() else {
            continue;
        };
        let (_, zl) = *segs.last().expect("non-empty");
        let start = toks[a0].s as usize;
        let mut end = toks[zl - 1].e as usize;
        if end < b.len() && b[end] == b'.' && end < p {
            end += 1;
        }
        let streets = segs
            .iter()
            .filter(|s| is_street(s) || s.0 == a0)
            .map(|&(a, z)| (toks[a].s as usize, toks[z - 1].e as usize))
            .collect();
        out.push(AddrHit {
            start,
            end,
            rule: "address_before_postcode",
            streets,
        });
    }
}

/// Street addresses: "[Flat 2, ]14 Acacia Avenue[, Town[, County]]", a house number and a
/// street with no suffix word ("91 Kingsway", "2 The Mall", from `street_names`) and, after
/// "lives at" / "address:", named houses ("Rose Cottage, Mill Lane"). Town segments are
/// included only when a postcode, line end or sentence end follows them.
pub(crate) fn addresses(
    text: &str,
    toks: &[Tok],
    street_names: &[Vec<Box<str>>],
    is_postcode_at: &dyn Fn(usize) -> bool,
    out: &mut Vec<AddrHit>,
) {
    let b = text.as_bytes();
    let n = toks.len();
    let mut i = 0;
    while i < n {
        let t = &toks[i];
        let house_no = t.is(DIGIT) && {
            let w = &b[t.range()];
            let digits = w.iter().take_while(|c| c.is_ascii_digit()).count();
            digits <= 4 && w.len() - digits <= 1 && gap_ok_before_number(text, toks, i)
        };
        // "Apt 24, St Anne's Court": a flat number, a comma, then the building.
        let flat_no = house_no
            && i >= 1
            && lower_is(
                text,
                &toks[i - 1],
                &["flat", "apartment", "apt", "unit", "room"],
            )
            && i + 1 < n
            && gap(text, toks, i + 1).starts_with(", ");
        let house_name = if house_no {
            None
        } else {
            house_name_before_street(text, toks, i)
        };
        let trigger = if house_no {
            None
        } else {
            house_name
                .map(|_| i)
                .or_else(|| trigger_body(text, toks, i))
        };
        if !house_no && trigger.is_none() {
            i += 1;
            continue;
        }
        let (body_start, mut rule) = match (trigger, house_name) {
            (None, _) => (i + 1, "street_address"),
            (Some(b), Some(_)) => (b, "house_name_and_street"),
            (Some(b), None) => (b, "address_after_trigger"),
        };
        // Street part: capitalised tokens ending with a street suffix (or house word).
        let mut k = body_start;
        let mut street_end = house_name;
        while house_name.is_none() && k < n && k < body_start + 6 {
            if k > body_start || house_no {
                let g = gap(text, toks, k);
                let poss_gap = toks[k - 1].is(POSS)
                    && is_space_gap(g.trim_start_matches(['\'', '\u{2019}', 's']));
                let ok = is_space_gap(g)
                    || poss_gap
                    || (flat_no && k == body_start && g == ", ")
                    || (!house_no && (g == ", " || g == ": " || g == ":" || g == " "));
                if !ok {
                    break;
                }
            } else {
                let g = gap(text, toks, k);
                if g.contains('\n')
                    && !g.trim_start().starts_with(':')
                    && !text[..toks[k].s as usize].trim_end().ends_with(':')
                {
                    break;
                }
            }
            let u = &toks[k];
            if !(u.is(CAP) || u.is(ALLCAPS)) {
                break;
            }
            let w = &text[u.range()];
            // "12 St Aldhelm's Road": "St" right after the number is a saint, not a street.
            let saint = k == body_start
                && k + 1 < n
                && toks[k + 1].is(CAP)
                && (w.eq_ignore_ascii_case("st") || w.eq_ignore_ascii_case("saint"));
            if saint {
                k += 1;
                continue;
            }
            if (u.has(STREET) && k > body_start)
                || (u.has(STREET) && house_no)
                || (!house_no
                    && HOUSE_WORDS.iter().any(|h| w.eq_ignore_ascii_case(h))
                    && k > body_start)
            {
                street_end = Some(k);
                // "Park Road": keep going while suffix words follow.
            }
            k += 1;
            if street_end.is_some()
                && k < n
                && !(toks[k].has(STREET) && is_space_gap(gap(text, toks, k)) && toks[k].is(CAP))
            {
                break;
            }
        }
        // No suffix word: a known suffix-less street, but only right after a house number
        // ("91 Kingsway"; "Kingsway" alone is a place).
        if street_end.is_none() && house_no {
            street_end = street_without_suffix(text, toks, body_start, street_names);
            if street_end.is_some() {
                rule = "street_without_suffix";
            }
        }
        let Some(se) = street_end else {
            i += 1;
            continue;
        };
        let mut start = toks[if house_no { i } else { body_start }].s as usize;
        if flat_no {
            start = toks[i - 1].s as usize;
        }
        // "Flat 2, 14 ..." / "Flat 2 14 ..."
        if house_no
            && i >= 2
            && lower_is(
                text,
                &toks[i - 2],
                &["flat", "apartment", "apt", "unit", "room"],
            )
            && toks[i - 1].is(DIGIT)
        {
            start = toks[i - 2].s as usize;
        }
        let mut end = toks[se].e as usize;
        // Extend over ", Town" segments and named-house + street chains.
        let mut k = se + 1;
        loop {
            if k >= n {
                break;
            }
            let g = gap(text, toks, k);
            if !(g == ", " || g == "," || is_space_gap(g)) {
                break;
            }
            if is_postcode_at(toks[k].s as usize) {
                break;
            }
            let seg_start = k;
            while k < n
                && toks[k].is(CAP)
                && (k == seg_start || is_space_gap(gap(text, toks, k)))
                && k - seg_start < 3
            {
                k += 1;
            }
            if k == seg_start {
                break;
            }
            let seg_end = toks[k - 1].e as usize;
            let rest = &text[seg_end..];
            let rest_trim = rest.trim_start_matches([',', ' ']);
            let after = rest_trim.as_bytes().first().copied();
            let closes = after.is_none()
                || rest.starts_with('\n')
                || rest.starts_with("\r\n")
                || rest.starts_with(')')
                || rest.starts_with(". ")
                || rest.starts_with(".\n")
                || rest == "."
                || is_postcode_at(text.len() - rest_trim.len());
            let chains = rest.starts_with(", ") && after.is_some_and(|c| c.is_ascii_uppercase());
            // "Bramble Cottage, Kiln Lane last spring": a street after a house name.
            let street_seg = toks[k - 1].has(STREET) && k - 1 > seg_start;
            if closes || chains || street_seg {
                end = seg_end;
                if !closes && !chains {
                    break;
                }
            } else {
                break;
            }
        }
        out.push(AddrHit {
            start,
            end,
            rule,
            streets: vec![(start, end)],
        });
        // continue after the address
        while i < n && (toks[i].s as usize) < end {
            i += 1;
        }
    }
}

/// A street name with no suffix word starting at token k ("Kingsway", "The Mall"): the index
/// of its last token. Not when a building or organisation word follows ("12 Northgate Medical
/// Centre", "4 Kingsway House"): that is a longer name, not the street.
fn street_without_suffix(
    text: &str,
    toks: &[Tok],
    k: usize,
    street_names: &[Vec<Box<str>>],
) -> Option<usize> {
    let n = toks.len();
    if k >= n || !toks[k].has(STREET_NAME) || !is_space_gap(gap(text, toks, k)) {
        return None;
    }
    let mut len = 0;
    for p in street_names {
        if k + p.len() > n {
            continue;
        }
        let matches = p.iter().enumerate().all(|(o, w)| {
            let t = &toks[k + o];
            (t.is(CAP) || t.is(ALLCAPS))
                && text[t.range()].eq_ignore_ascii_case(w)
                && (o == 0 || is_space_gap(gap(text, toks, k + o)))
        });
        if matches {
            len = len.max(p.len());
        }
    }
    if len == 0 {
        return None;
    }
    let m = k + len;
    if m < n
        && toks[m].is(CAP)
        && is_space_gap(gap(text, toks, m))
        && lower_is(text, &toks[m], PLACE_TAILS)
    {
        return None;
    }
    Some(m - 1)
}

fn gap_ok_before_number(text: &str, toks: &[Tok], i: usize) -> bool {
    if i == 0 {
        return true;
    }
    let g = gap(text, toks, i);
    // not a date or a measurement: "12/03", "3.5", "£14"
    !(g.ends_with('/')
        || g.ends_with('.') && g.len() == 1
        || g.ends_with('£')
        || g.ends_with('-') && g.len() == 1)
}

/// Verbs of living somewhere or moving: "lives at X", "moved out to X", "relocated to X",
/// "now living in X", "rehoused at X", "went back to X".
const DWELL_VERBS: &[&str] = &[
    "lives",
    "live",
    "living",
    "lived",
    "resides",
    "reside",
    "residing",
    "resided",
    "staying",
    "stays",
    "stayed",
    "moved",
    "moving",
    "moves",
    "move",
    "relocated",
    "relocating",
    "relocates",
    "rehoused",
    "re-housed",
    "transferred",
    "went",
    "gone",
    "returned",
    "returning",
    "discharged",
    "based",
];

/// "lives at X", "moved (out|back|away) to X", "address: X": the token index where X starts.
fn trigger_body(text: &str, toks: &[Tok], i: usize) -> Option<usize> {
    let t = &toks[i];
    if !t.is(LOWER | CAP) {
        return None;
    }
    let w = &text[t.range()];
    if w.eq_ignore_ascii_case("address") || w.eq_ignore_ascii_case("resident") {
        let k = if i + 1 < toks.len() && lower_is(text, &toks[i + 1], &["is", "now", "of"]) {
            i + 2
        } else {
            i + 1
        };
        return Some(k);
    }
    if !DWELL_VERBS.iter().any(|x| w.eq_ignore_ascii_case(x)) {
        return None;
    }
    let mut k = i + 1;
    // "moved out to", "went back to", "now living at", "moved in with her son at"
    for _ in 0..2 {
        if k < toks.len()
            && lower_is(
                text,
                &toks[k],
                &[
                    "out",
                    "back",
                    "away",
                    "home",
                    "over",
                    "now",
                    "permanently",
                    "house",
                ],
            )
        {
            k += 1;
        }
    }
    if k + 1 < toks.len()
        && toks[k].is(LOWER)
        && lower_is(text, &toks[k], &["at", "to", "into", "in", "onto"])
        && !gap(text, toks, k + 1).contains('\n')
        && (toks[k + 1].is(CAP) || toks[k + 1].is(ALLCAPS))
    {
        return Some(k + 1);
    }
    None
}

/// Last words of clinical terms named after places or people ("Glasgow Coma Scale",
/// "Wells Score", "Ramsay Hunt Syndrome"): the run is a term, not a person.
const CLINICAL_TAILS: &[&str] = &[
    "scale",
    "score",
    "syndrome",
    "disease",
    "criteria",
    "classification",
    "index",
    "test",
    "manoeuvre",
    "maneuver",
    "reflex",
    "phenomenon",
    "protocol",
    "questionnaire",
];

/// Words that name a public service after a person's name ("(Adult Social Care)", "from
/// the Housing Team"), beside [`ORG_WORDS`].
const SERVICE_WORDS: &[&str] = &[
    "care",
    "team",
    "agency",
    "authority",
    "housing",
    "probation",
    "safeguarding",
    "services",
];

/// Words that make a capitalised phrase an organisation, not a house name.
pub(crate) const ORG_WORDS: &[&str] = &[
    "hospital",
    "surgery",
    "practice",
    "clinic",
    "centre",
    "center",
    "unit",
    "trust",
    "infirmary",
    "hospice",
    "school",
    "college",
    "university",
    "church",
    "ward",
    "pharmacy",
    "medical",
    "health",
    "nhs",
    "department",
    "services",
    "service",
    "foundation",
    "council",
    "office",
    "group",
    "partnership",
    "ltd",
    "limited",
    "plc",
    "police",
    "hospitals",
    "solicitors",
    "solicitor",
    "llp",
    "legal",
    "co",
    "chambers",
    "laboratory",
    "pathology",
    "haematology",
    "biochemistry",
    "radiology",
    "surgeries",
    "practices",
    "clinics",
    "centres",
];

/// Byte ranges of organisation letterheads and addresses: the lines after a line that
/// only names an organisation ("Ravenscourt Hospital", "Leeds Teaching Hospitals NHS
/// Trust", "Oakwood Surgery"), up to a blank line, a line naming a person (a title, a
/// relationship word, "Dear", "Re") or six lines; and the rest of a line after
/// "... Hospital, ". Addresses, postcodes and telephone numbers there are the
/// organisation's, not a third party's.
pub(crate) fn organisation_blocks(text: &str, toks: &[Tok], out: &mut Vec<(usize, usize)>) {
    let n = toks.len();
    let mut i = 0;
    while i < n {
        // the line of token i
        let line_start = text[..toks[i].s as usize].rfind('\n').map_or(0, |p| p + 1);
        let line_end = text[toks[i].s as usize..]
            .find('\n')
            .map_or(text.len(), |p| toks[i].s as usize + p);
        let mut j = i;
        while j < n && (toks[j].e as usize) <= line_end {
            j += 1;
        }
        // tokens [i, j) are on this line
        let mut org_at = None;
        let mut all_caps_words = true;
        for (k, t) in toks.iter().enumerate().take(j).skip(i) {
            if t.is(LOWER) && !lower_is(text, t, &["of", "and", "the", "for", "on", "upon"]) {
                all_caps_words = false;
            }
            if (t.is(CAP) || t.is(ALLCAPS)) && lower_is(text, t, ORG_WORDS) {
                org_at = Some(k);
            }
        }
        let line_text = &text[line_start..line_end];
        let names_a_person = (i..j).any(|k| {
            toks[k].is(CAP)
                && (toks[k].has(TITLE) || lower_is(text, &toks[k], &["dr", "prof", "professor"]))
        });
        if let Some(k) = org_at {
            let after = &text[toks[k].e as usize..line_end];
            if all_caps_words
                && j - i <= 8
                && after.trim().is_empty()
                && !line_text.contains(':')
                && !names_a_person
            {
                // an organisation line: the following lines
                let mut end = line_end;
                let mut lines = 0;
                while end < text.len() && lines < 6 {
                    let next_end = text[end + 1..]
                        .find('\n')
                        .map_or(text.len(), |p| end + 1 + p);
                    let line = &text[(end + 1).min(text.len())..next_end];
                    let lt = line.trim();
                    if lt.is_empty() || stops_letterhead(lt) {
                        break;
                    }
                    end = next_end;
                    lines += 1;
                }
                if end > line_end {
                    out.push((line_end, end));
                }
            } else if after.starts_with(", ")
                && after[2..]
                    .bytes()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            {
                // "Ravenscourt Hospital, 12 Beckett Street, Leeds LS9 7TF"
                let stop = after
                    .find(['.', ';', '('])
                    .map_or(line_end, |p| toks[k].e as usize + p);
                out.push((toks[k].e as usize, stop));
            }
        }
        i = j.max(i + 1);
    }
}

fn stops_letterhead(line: &str) -> bool {
    let mut words = line
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty());
    let first = words.clone().next().unwrap_or("");
    const CONTACT: &[&str] = &[
        "tel",
        "telephone",
        "phone",
        "fax",
        "email",
        "e-mail",
        "switchboard",
        "web",
        "website",
        "www",
        "dx",
    ];
    if CONTACT.iter().any(|c| first.eq_ignore_ascii_case(c)) {
        return false;
    }
    // An address line: capitalised words and numbers only.
    if line.contains(':')
        || words.any(|w| {
            w.chars().next().is_some_and(char::is_lowercase)
                && !["of", "and", "the", "upon", "on"].contains(&w)
        })
    {
        return true;
    }
    const STOP: &[&str] = &[
        "dear", "re", "mr", "mrs", "ms", "miss", "mx", "dr", "patient", "name", "to", "date",
        "our", "your", "nhs", "dob", "hospital", "subject",
    ];
    STOP.iter().any(|s| first.eq_ignore_ascii_case(s))
}

/// A house name before a street, with no number: "The Laurels, Greenfield Road",
/// "Holly Lodge, Park Court", "Meadow View, Tennyson Square". The house name is one to three
/// capitalised words at a line start or after punctuation, a comma, then one to four
/// capitalised words ending in a street suffix, then a line end, a comma, a full stop or
/// a postcode. Returns the token index of the street's last word.
fn house_name_before_street(text: &str, toks: &[Tok], i: usize) -> Option<usize> {
    let n = toks.len();
    let t = &toks[i];
    if !(t.is(CAP) || t.is(ALLCAPS)) || t.has(TITLE | PRO_TITLE | RELATION) {
        return None;
    }
    // Where the house name may start: a line start, after ": ", "(", ", ", or "at"/"to".
    let g = gap(text, toks, i);
    let opens = i == 0
        || g.contains('\n')
        || g.ends_with(": ")
        || g.ends_with(':')
        || g.ends_with('(')
        || g.ends_with(", ")
        || g.ends_with(",\"")
        || g.ends_with("\t")
        || (is_space_gap(g) && lower_is(text, &toks[i - 1], &["at", "to", "from", "of"]));
    if !opens {
        return None;
    }
    let mut k = i;
    let mut house_word = false;
    while k < n && k < i + 3 && (toks[k].is(CAP) || toks[k].is(ALLCAPS) || toks[k].is(DIGIT)) {
        if k > i && !is_space_gap(gap(text, toks, k)) {
            break;
        }
        if toks[k].has(TITLE | PRO_TITLE) || lower_is(text, &toks[k], ORG_WORDS) {
            return None;
        }
        k += 1;
        // "Rose Cottage Vetchley Place": a house word ends the house name.
        if lower_is(text, &toks[k - 1], HOUSE_WORDS) && k > i + 1 {
            house_word = true;
            break;
        }
    }
    if k >= n || k == i {
        return None;
    }
    let g = gap(text, toks, k);
    if !(g == ", "
        || g == ","
        || g == ",\n"
        || g == "\n"
        || g == ", \n"
        || (house_word && is_space_gap(g)))
    {
        return None;
    }
    // the street
    let st = k;
    let mut last_street = None;
    while k < n && k < st + 4 && (toks[k].is(CAP) || toks[k].is(ALLCAPS)) {
        if k > st && !is_space_gap(gap(text, toks, k)) {
            break;
        }
        if lower_is(text, &toks[k], ORG_WORDS) || toks[k].has(TITLE | PRO_TITLE) {
            return None;
        }
        if toks[k].has(STREET) && k > st {
            last_street = Some(k);
        }
        k += 1;
    }
    let ls = last_street?;
    if ls + 1 != k {
        return None;
    }
    // The street ends there: not "Park Road Surgery".
    let continues =
        k < n && is_space_gap(gap(text, toks, k)) && (toks[k].is(CAP) || toks[k].is(ALLCAPS));
    (!continues).then_some(ls)
}
