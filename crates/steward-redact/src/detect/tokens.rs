//! One-pass tokenizer: words with their shape and gazetteer class, no per-token allocation.

use super::rules::Rules;

pub(crate) mod shape {
    /// First letter upper case, not all capitals (or a single capital).
    pub const CAP: u8 = 1;
    pub const ALLCAPS: u8 = 1 << 1;
    pub const LOWER: u8 = 1 << 2;
    pub const DIGIT: u8 = 1 << 3;
    /// A single capital letter ("J" in "J Smith").
    pub const INITIAL: u8 = 1 << 4;
    /// Ended in a possessive 's, trimmed off the token.
    pub const POSS: u8 = 1 << 5;
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok {
    pub s: u32,
    pub e: u32,
    pub shape: u8,
    pub cls: u32,
}

impl Tok {
    #[inline]
    pub fn is(&self, bits: u8) -> bool {
        self.shape & bits != 0
    }
    #[inline]
    pub fn has(&self, cls: u32) -> bool {
        self.cls & cls != 0
    }
    #[inline]
    pub fn range(&self) -> std::ops::Range<usize> {
        self.s as usize..self.e as usize
    }
}

#[inline]
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'\'' || c == b'-'
}

/// Splits `text` into word tokens, appending to `out` (cleared first).
pub(crate) fn tokenize(text: &str, rules: &Rules, out: &mut Vec<Tok>) {
    out.clear();
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut lower_buf = [0u8; 32];
    let mut lower_string = String::new();
    while i < n {
        let c = b[i];
        if c < 0x80 {
            if !c.is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            if !ch.is_alphabetic() {
                i += ch.len_utf8();
                continue;
            }
        }
        let s = i;
        let mut ascii = true;
        while i < n {
            let c = b[i];
            if c < 0x80 {
                if is_word_byte(c) {
                    i += 1;
                } else {
                    break;
                }
            } else {
                let ch = text[i..].chars().next().unwrap_or(' ');
                if ch.is_alphabetic() || ch == '\u{2019}' {
                    ascii = false;
                    i += ch.len_utf8();
                } else {
                    break;
                }
            }
        }
        let mut e = i;
        let mut shp = 0u8;
        // Trim trailing apostrophes/hyphens and a possessive 's.
        loop {
            let t = &b[s..e];
            if t.ends_with(b"'s") || t.ends_with(b"'S") {
                e -= 2;
                shp |= shape::POSS;
            } else if t.ends_with("\u{2019}s".as_bytes()) {
                e -= 4;
                shp |= shape::POSS;
            } else if t.ends_with(b"'") || t.ends_with(b"-") {
                e -= 1;
            } else if t.ends_with("\u{2019}".as_bytes()) {
                e -= 3;
            } else {
                break;
            }
        }
        if e <= s {
            continue;
        }
        let word = &text[s..e];
        let first = word.chars().next().unwrap_or(' ');
        let cls = if first.is_ascii_digit() {
            shp |= shape::DIGIT;
            0
        } else {
            let has_lower = if ascii {
                word.bytes().skip(1).any(|c| c.is_ascii_lowercase())
            } else {
                word.chars().skip(1).any(char::is_lowercase)
            };
            if first.is_uppercase() {
                if word.len() == first.len_utf8() {
                    shp |= shape::CAP | shape::INITIAL;
                } else if has_lower {
                    shp |= shape::CAP;
                } else {
                    shp |= shape::ALLCAPS;
                }
            } else {
                shp |= shape::LOWER;
            }
            if ascii && word.len() <= lower_buf.len() {
                let l = &mut lower_buf[..word.len()];
                l.copy_from_slice(word.as_bytes());
                l.make_ascii_lowercase();
                // SAFETY-free: ASCII bytes are valid UTF-8.
                std::str::from_utf8(l)
                    .map(|l| rules.class_of(l))
                    .unwrap_or(0)
            } else if ascii {
                0
            } else {
                // Non-ASCII words: lowercase into a buffer reused across tokens.
                lower_string.clear();
                lower_string.extend(word.chars().flat_map(char::to_lowercase));
                rules.class_of(&lower_string)
            }
        };
        out.push(Tok {
            s: s as u32,
            e: e as u32,
            shape: shp,
            cls,
        });
    }
}
