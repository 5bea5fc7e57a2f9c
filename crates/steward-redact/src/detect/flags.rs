//! Flags for the clinician: safeguarding, police/court, given in confidence, restricted by law.
//! Found with one Aho-Corasick pass over keywords and clinical codes; never redacted.

use super::rules::Rules;
use crate::{Flag, FlagCategory};

#[inline]
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

/// The line (without its newline) around byte `at`.
fn line_around(text: &str, s: usize, e: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let ls = b[..s]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let le = b[e..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| e + p);
    // trim surrounding whitespace
    let mut ls2 = ls;
    while ls2 < s && b[ls2].is_ascii_whitespace() {
        ls2 += 1;
    }
    let mut le2 = le;
    while le2 > e && b[le2 - 1].is_ascii_whitespace() {
        le2 -= 1;
    }
    (ls2, le2)
}

pub(crate) fn find_flags(text: &str, rules: &Rules, out: &mut Vec<Flag>) {
    let Some(ac) = &rules.flag_ac else {
        return;
    };
    let b = text.as_bytes();
    for m in ac.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        let term = &rules.flag_terms[m.pattern().as_usize()];
        let last_is_word = b[e - 1].is_ascii_alphanumeric();
        let first_is_word = b[s].is_ascii_alphanumeric();
        if (first_is_word && s > 0 && is_word(b[s - 1]))
            || (last_is_word && e < b.len() && is_word(b[e]))
        {
            continue;
        }
        if term.case_sensitive && &text[s..e] != term.text.as_str() {
            continue;
        }
        let (ls, le) = line_around(text, s, e);
        push_flag(out, ls, le, term.category, &text[s..e]);
    }
}

fn push_flag(out: &mut Vec<Flag>, start: usize, end: usize, category: FlagCategory, matched: &str) {
    if out
        .iter()
        .rev()
        .take(8)
        .any(|f| f.start == start && f.end == end && f.category == category)
    {
        return;
    }
    out.push(Flag {
        start,
        end,
        category,
        matched: matched.to_string(),
    });
}
