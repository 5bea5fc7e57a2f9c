//! Rules: the shipped data files (name gazetteers, context words, flag keywords, clinical
//! codes, hospital-number patterns), compiled once into lookup structures.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::Regex;

use crate::FlagCategory;

/// The data files, by the relative path they have under `data/` (and in a user rules folder).
pub(crate) const FILES: &[(&str, &str)] = &[
    (
        "names/first_female.txt",
        include_str!("../../data/names/first_female.txt"),
    ),
    (
        "names/first_male.txt",
        include_str!("../../data/names/first_male.txt"),
    ),
    (
        "names/surnames.txt",
        include_str!("../../data/names/surnames.txt"),
    ),
    (
        "names/not_names.txt",
        include_str!("../../data/names/not_names.txt"),
    ),
    (
        "context/person_titles.txt",
        include_str!("../../data/context/person_titles.txt"),
    ),
    (
        "context/professional_titles.txt",
        include_str!("../../data/context/professional_titles.txt"),
    ),
    (
        "context/staff_roles.txt",
        include_str!("../../data/context/staff_roles.txt"),
    ),
    (
        "context/relations.txt",
        include_str!("../../data/context/relations.txt"),
    ),
    (
        "context/street_suffixes.txt",
        include_str!("../../data/context/street_suffixes.txt"),
    ),
    (
        "context/streets_without_suffix.txt",
        include_str!("../../data/context/streets_without_suffix.txt"),
    ),
    (
        "flags/safeguarding.txt",
        include_str!("../../data/flags/safeguarding.txt"),
    ),
    (
        "flags/police_court.txt",
        include_str!("../../data/flags/police_court.txt"),
    ),
    (
        "flags/in_confidence.txt",
        include_str!("../../data/flags/in_confidence.txt"),
    ),
    (
        "flags/restricted_by_law.txt",
        include_str!("../../data/flags/restricted_by_law.txt"),
    ),
    (
        "flags/clinical_codes.tsv",
        include_str!("../../data/flags/clinical_codes.tsv"),
    ),
    (
        "hospital_numbers.txt",
        include_str!("../../data/hospital_numbers.txt"),
    ),
];

/// Word classes, as bits, looked up once per capitalised token.
pub(crate) mod class {
    pub const FIRST_F: u32 = 1;
    pub const FIRST_M: u32 = 1 << 1;
    pub const SURNAME: u32 = 1 << 2;
    pub const NOT_NAME: u32 = 1 << 3;
    pub const TITLE_M: u32 = 1 << 4;
    pub const TITLE_F: u32 = 1 << 5;
    pub const TITLE_X: u32 = 1 << 6;
    /// First word of a professional title ("Dr", "Nurse", "Practice" of "Practice Nurse").
    pub const PRO_TITLE: u32 = 1 << 7;
    pub const STAFF_ROLE: u32 = 1 << 8;
    pub const RELATION: u32 = 1 << 9;
    pub const STREET: u32 = 1 << 10;
    /// First word of a street name with no suffix word ("Kingsway", "The" of "The Mall").
    pub const STREET_NAME: u32 = 1 << 11;
    pub const FIRST: u32 = FIRST_F | FIRST_M;
    pub const TITLE: u32 = TITLE_M | TITLE_F | TITLE_X;
}

/// FxHash (as used by rustc): fast for short keys; the keys are our own word lists.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
        self.0 = h;
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Why a rules folder could not be loaded.
#[derive(Debug)]
pub enum RulesError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    BadLine {
        path: PathBuf,
        line: usize,
        message: String,
    },
    BadPattern {
        pattern: String,
        message: String,
    },
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            RulesError::BadLine {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            RulesError::BadPattern { pattern, message } => {
                write!(f, "invalid pattern {pattern:?}: {message}")
            }
        }
    }
}

impl std::error::Error for RulesError {}

/// One flag keyword or clinical code.
#[derive(Debug, Clone)]
pub(crate) struct FlagTerm {
    pub category: FlagCategory,
    /// Exact case required (acronyms like "DV", clinical codes).
    pub case_sensitive: bool,
    pub text: String,
}

/// A clinical code shipped in `flags/clinical_codes.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalCode {
    pub category: FlagCategory,
    pub scheme: String,
    pub code: String,
    pub term: String,
    pub source: String,
}

/// Compiled detection rules. Build once ([`Rules::builtin`] or [`Rules::load`]) and share:
/// detection only reads it.
#[derive(Debug, Clone)]
pub struct Rules {
    /// lowercase word -> class bits
    pub(crate) words: FxMap<Box<str>, u32>,
    /// Multi-word professional titles, as lowercase word sequences ("practice nurse").
    pub(crate) pro_phrases: Vec<Vec<Box<str>>>,
    /// Street names with no suffix word, as lowercase word sequences ("kingsway", "the mall").
    pub(crate) street_names: Vec<Vec<Box<str>>>,
    pub(crate) flag_terms: Vec<FlagTerm>,
    pub(crate) flag_ac: Option<AhoCorasick>,
    pub(crate) codes: Vec<ClinicalCode>,
    pub(crate) hospital_patterns: Vec<String>,
    pub(crate) hospital_re: Option<Regex>,
}

fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

fn category_from(s: &str) -> Option<FlagCategory> {
    Some(match s {
        "safeguarding" => FlagCategory::Safeguarding,
        "police_or_court" => FlagCategory::PoliceOrCourt,
        "given_in_confidence" => FlagCategory::GivenInConfidence,
        "restricted_by_law" => FlagCategory::RestrictedByLaw,
        _ => return None,
    })
}

impl Rules {
    /// The rules shipped with Steward (the files under `crates/steward-redact/data/`).
    pub fn builtin() -> Rules {
        Self::from_files(|name| {
            Ok(FILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.to_string())
                .unwrap_or_default())
        })
        .expect("the shipped rules are valid")
    }

    /// Rules from a folder laid out like `data/` (user-updated copies). A file missing from the
    /// folder falls back to the shipped one, so a folder may hold only the files it changes.
    pub fn load(dir: &Path) -> Result<Rules, RulesError> {
        Self::from_files(|name| {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(t) => Ok(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FILES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, t)| t.to_string())
                    .unwrap_or_default()),
                Err(source) => Err(RulesError::Io { path, source }),
            }
        })
    }

    /// Writes the shipped data files into `dir` (to start a user copy for [`Rules::load`]).
    pub fn write_builtin_files(dir: &Path) -> Result<(), RulesError> {
        for (name, text) in FILES {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| RulesError::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&path, text).map_err(|source| RulesError::Io { path, source })?;
        }
        Ok(())
    }

    /// The clinical codes that raise flags.
    pub fn clinical_codes(&self) -> &[ClinicalCode] {
        &self.codes
    }

    /// The default hospital-number patterns (before any per-organisation ones in [`super::Options`]).
    pub fn hospital_number_patterns(&self) -> &[String] {
        &self.hospital_patterns
    }

    fn from_files(
        mut read: impl FnMut(&str) -> Result<String, RulesError>,
    ) -> Result<Rules, RulesError> {
        use class::*;
        let mut words: FxMap<Box<str>, u32> = FxMap::default();
        let mut add = |w: &str, bits: u32| {
            *words.entry(w.to_lowercase().into_boxed_str()).or_insert(0) |= bits;
        };
        for (file, bits) in [
            ("names/first_female.txt", FIRST_F),
            ("names/first_male.txt", FIRST_M),
            ("names/surnames.txt", SURNAME),
            ("names/not_names.txt", NOT_NAME),
            ("context/staff_roles.txt", STAFF_ROLE),
            ("context/relations.txt", RELATION),
            ("context/street_suffixes.txt", STREET),
        ] {
            let text = read(file)?;
            for (_, l) in data_lines(&text) {
                add(l, bits);
            }
        }
        let titles = read("context/person_titles.txt")?;
        for (n, l) in data_lines(&titles) {
            let mut parts = l.split('\t');
            let t = parts.next().unwrap_or("").trim();
            let bits = match parts.next().map(str::trim) {
                Some("m") => TITLE_M,
                Some("f") => TITLE_F,
                Some("x") | None => TITLE_X,
                Some(other) => {
                    return Err(RulesError::BadLine {
                        path: "context/person_titles.txt".into(),
                        line: n,
                        message: format!("sex must be f, m or x, not {other:?}"),
                    })
                }
            };
            add(t, bits);
        }
        let pro = read("context/professional_titles.txt")?;
        let mut pro_phrases = Vec::new();
        for (_, l) in data_lines(&pro) {
            let phrase: Vec<Box<str>> = l
                .split_whitespace()
                .map(|w| w.trim_end_matches('.').to_lowercase().into_boxed_str())
                .collect();
            if let Some(first) = phrase.first() {
                add(first, PRO_TITLE);
                pro_phrases.push(phrase);
            }
        }
        let streets = read("context/streets_without_suffix.txt")?;
        let mut street_names = Vec::new();
        for (_, l) in data_lines(&streets) {
            let phrase: Vec<Box<str>> = l
                .split_whitespace()
                .map(|w| w.to_lowercase().into_boxed_str())
                .collect();
            if let Some(first) = phrase.first() {
                add(first, STREET_NAME);
                street_names.push(phrase);
            }
        }

        let mut flag_terms = Vec::new();
        for (file, category) in [
            ("flags/safeguarding.txt", FlagCategory::Safeguarding),
            ("flags/police_court.txt", FlagCategory::PoliceOrCourt),
            ("flags/in_confidence.txt", FlagCategory::GivenInConfidence),
            ("flags/restricted_by_law.txt", FlagCategory::RestrictedByLaw),
        ] {
            let text = read(file)?;
            for (_, l) in data_lines(&text) {
                let (case_sensitive, t) = match l.strip_prefix('=') {
                    Some(t) => (true, t.trim()),
                    None => (false, l),
                };
                flag_terms.push(FlagTerm {
                    category,
                    case_sensitive,
                    text: t.to_string(),
                });
            }
        }
        let codes_text = read("flags/clinical_codes.tsv")?;
        let mut codes = Vec::new();
        for (n, l) in data_lines(&codes_text) {
            let cols: Vec<&str> = l.split('\t').map(str::trim).collect();
            let bad = |message: String| RulesError::BadLine {
                path: "flags/clinical_codes.tsv".into(),
                line: n,
                message,
            };
            if cols.len() < 4 {
                return Err(bad("expected: category, scheme, code, term, source".into()));
            }
            let category = category_from(cols[0])
                .ok_or_else(|| bad(format!("unknown category {:?}", cols[0])))?;
            let code = ClinicalCode {
                category,
                scheme: cols[1].to_string(),
                code: cols[2].to_string(),
                term: cols[3].to_string(),
                source: cols.get(4).copied().unwrap_or("").to_string(),
            };
            // Read v2 codes are written with or without their padding dots ("13Iv." / "13Iv").
            let trimmed = code.code.trim_end_matches('.');
            if trimmed.len() != code.code.len() && !trimmed.is_empty() {
                flag_terms.push(FlagTerm {
                    category,
                    case_sensitive: true,
                    text: trimmed.to_string(),
                });
            }
            flag_terms.push(FlagTerm {
                category,
                case_sensitive: true,
                text: code.code.clone(),
            });
            codes.push(code);
        }
        let flag_ac = if flag_terms.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(flag_terms.iter().map(|t| t.text.as_str()))
                    .map_err(|e| RulesError::BadPattern {
                        pattern: "flag keywords".into(),
                        message: e.to_string(),
                    })?,
            )
        };

        let hosp = read("hospital_numbers.txt")?;
        let hospital_patterns: Vec<String> =
            data_lines(&hosp).map(|(_, l)| l.to_string()).collect();
        let hospital_re = compile_alternation(&hospital_patterns)?;

        Ok(Rules {
            words,
            pro_phrases,
            street_names,
            flag_terms,
            flag_ac,
            codes,
            hospital_patterns,
            hospital_re,
        })
    }

    /// Class bits of a word; `lower` must already be lowercase.
    #[inline]
    pub(crate) fn class_of(&self, lower: &str) -> u32 {
        self.words.get(lower).copied().unwrap_or(0)
    }
}

/// One regex matching any of `patterns` (each validated on its own for a clear error).
pub(crate) fn compile_alternation(patterns: &[String]) -> Result<Option<Regex>, RulesError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    for p in patterns {
        Regex::new(p).map_err(|e| RulesError::BadPattern {
            pattern: p.clone(),
            message: e.to_string(),
        })?;
    }
    let joined = patterns
        .iter()
        .map(|p| format!("(?:{p})"))
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&joined)
        .map(Some)
        .map_err(|e| RulesError::BadPattern {
            pattern: joined,
            message: e.to_string(),
        })
}
