//! A CSV record scanner over a block of bytes (RFC 4180: a delimiter between fields, records
//! ending in LF or CRLF, fields optionally in double quotes with `""` for a quote, quoted fields
//! may hold delimiters and line breaks).
//!
//! It finds record boundaries, counts fields and locates one column without copying: a kept
//! record is written out as the very bytes it was read as. A record with no quote at all (the
//! usual case) takes a fast path: one `memchr2` for the line end (or a quote), then the
//! delimiters of that line.

use memchr::{memchr, memchr2, memchr_iter};

/// A field: byte range in the block, and whether its text holds `""` escapes to undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub start: usize,
    pub end: usize,
    pub escaped: bool,
}

impl Field {
    /// The field's text (quotes removed, `""` undone).
    pub fn text<'a>(&self, buf: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let raw = &buf[self.start..self.end];
        if !self.escaped {
            return std::borrow::Cow::Borrowed(raw);
        }
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            out.push(raw[i]);
            if raw[i] == b'"' && raw.get(i + 1) == Some(&b'"') {
                i += 1;
            }
            i += 1;
        }
        std::borrow::Cow::Owned(out)
    }
}

/// What is wrong with a record's quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    Ok,
    /// Text after the closing quote of a field, e.g. `"943"476`.
    TextAfterQuote,
    /// The file ends inside a quoted field.
    Unterminated,
}

/// One record found by [`scan`].
#[derive(Debug, Clone, Copy)]
pub struct Rec {
    /// Where the next record starts.
    pub next: usize,
    /// Number of fields.
    pub fields: usize,
    /// The wanted column's field, if the record has that many fields.
    pub want: Option<Field>,
    /// Line breaks inside the record (from quoted fields), not counting its terminator.
    pub inner_newlines: u64,
    /// Whether the record ended with a line break (false only for the last line of a file).
    pub terminated: bool,
    /// A blank line (no bytes before its terminator).
    pub blank: bool,
    pub quoting: Quoting,
}

/// Scans the record starting at `p` (< buf.len()). `want` is the column to locate; `all`, when
/// given, receives every field. Returns None when the buffer ends inside a quoted field and
/// `is_last` is false (the record continues in the next block).
#[inline]
pub fn scan(
    buf: &[u8],
    p: usize,
    delim: u8,
    want: usize,
    is_last: bool,
    all: Option<&mut Vec<Field>>,
) -> Option<Rec> {
    let rest = &buf[p..];
    let (line_end, next, terminated) = match memchr2(b'\n', b'"', rest) {
        Some(i) if rest[i] == b'\n' => (p + i, p + i + 1, true),
        None => (buf.len(), buf.len(), false),
        Some(_) => return scan_quoted(buf, p, delim, want, is_last, all),
    };
    let mut ce = line_end;
    if ce > p && buf[ce - 1] == b'\r' {
        ce -= 1;
    }
    let line = &buf[p..ce];
    if line.is_empty() {
        if let Some(a) = all {
            a.clear();
        }
        return Some(Rec {
            next,
            fields: 1,
            want: None,
            inner_newlines: 0,
            terminated,
            blank: true,
            quoting: Quoting::Ok,
        });
    }
    let mut n = 0usize;
    let mut found = None;
    match all {
        Some(a) => {
            a.clear();
            let mut fs = p;
            for i in memchr_iter(delim, line) {
                a.push(Field {
                    start: fs,
                    end: p + i,
                    escaped: false,
                });
                n += 1;
                fs = p + i + 1;
            }
            a.push(Field {
                start: fs,
                end: ce,
                escaped: false,
            });
            found = a.get(want).copied();
        }
        None => {
            // delimiters counted in one vectorised pass; the wanted field found by memchr
            n = count_byte(line, delim);
            if want <= n {
                let mut s = 0usize;
                for _ in 0..want {
                    s += memchr(delim, &line[s..]).expect("counted") + 1;
                }
                let e = if want == n {
                    line.len()
                } else {
                    s + memchr(delim, &line[s..]).expect("counted")
                };
                found = Some(Field {
                    start: p + s,
                    end: p + e,
                    escaped: false,
                });
            }
        }
    }
    Some(Rec {
        next,
        fields: n + 1,
        want: found,
        inner_newlines: 0,
        terminated,
        blank: false,
        quoting: Quoting::Ok,
    })
}

/// Occurrences of `b` in `s` (32-byte chunks with byte counters: vectorised by the compiler).
#[inline]
pub fn count_byte(s: &[u8], b: u8) -> usize {
    let mut n = 0usize;
    let mut chunks = s.chunks_exact(32);
    for c in &mut chunks {
        let mut k = 0u8;
        for &x in c {
            k += (x == b) as u8;
        }
        n += k as usize;
    }
    n + chunks.remainder().iter().filter(|&&x| x == b).count()
}

/// The general path: a record with at least one quote before its line end.
#[cold]
fn scan_quoted(
    buf: &[u8],
    p: usize,
    delim: u8,
    want: usize,
    is_last: bool,
    mut all: Option<&mut Vec<Field>>,
) -> Option<Rec> {
    if let Some(a) = all.as_deref_mut() {
        a.clear();
    }
    let len = buf.len();
    let mut i = p;
    let mut n = 0usize;
    let mut found = None;
    let mut inner = 0u64;
    let mut quoting = Quoting::Ok;
    loop {
        // at the start of a field
        let f = if i < len && buf[i] == b'"' {
            let cs = i + 1;
            let mut j = cs;
            let mut escaped = false;
            let ce = loop {
                match memchr(b'"', &buf[j..]) {
                    None => {
                        if !is_last {
                            return None;
                        }
                        quoting = Quoting::Unterminated;
                        break len;
                    }
                    Some(k) => {
                        let q = j + k;
                        if buf.get(q + 1) == Some(&b'"') {
                            escaped = true;
                            j = q + 2;
                        } else {
                            break q;
                        }
                    }
                }
            };
            inner += memchr_iter(b'\n', &buf[cs..ce]).count() as u64;
            i = (ce + 1).min(len);
            // after the closing quote: a delimiter or the line end, else tolerate and note
            if i < len && buf[i] != delim && buf[i] != b'\n' && buf[i] != b'\r' {
                if quoting == Quoting::Ok {
                    quoting = Quoting::TextAfterQuote;
                }
                match memchr2(delim, b'\n', &buf[i..]) {
                    Some(k) => i += k,
                    None => i = len,
                }
            } else if i < len && buf[i] == b'\r' && buf.get(i + 1) != Some(&b'\n') {
                // a lone CR after a quote: treat as text after the quote
                if quoting == Quoting::Ok {
                    quoting = Quoting::TextAfterQuote;
                }
                match memchr2(delim, b'\n', &buf[i..]) {
                    Some(k) => i += k,
                    None => i = len,
                }
            }
            Field {
                start: cs,
                end: ce,
                escaped,
            }
        } else {
            let s = i;
            let e = match memchr2(delim, b'\n', &buf[i..]) {
                Some(k) => i + k,
                None => len,
            };
            i = e;
            let mut fe = e;
            if (e == len || buf[e] == b'\n') && fe > s && buf[fe - 1] == b'\r' {
                fe -= 1;
            }
            Field {
                start: s,
                end: fe,
                escaped: false,
            }
        };
        if n == want {
            found = Some(f);
        }
        if let Some(a) = all.as_deref_mut() {
            a.push(f);
        }
        n += 1;
        // at the end of a field: delimiter, line end or end of buffer
        if i >= len {
            return Some(Rec {
                next: len,
                fields: n,
                want: found,
                inner_newlines: inner,
                terminated: false,
                blank: false,
                quoting,
            });
        }
        if buf[i] == delim {
            i += 1;
            continue;
        }
        if buf[i] == b'\r' {
            i += 1;
        }
        // buf[i] == '\n'
        return Some(Rec {
            next: i + 1,
            fields: n,
            want: found,
            inner_newlines: inner,
            terminated: true,
            blank: false,
            quoting,
        });
    }
}

/// Writes one field of CSV, quoted when it holds the delimiter, a quote or a line break.
#[inline]
pub fn write_field(out: &mut Vec<u8>, v: &[u8], delim: u8) {
    let needs = v
        .iter()
        .any(|&b| b == delim || b == b'"' || b == b'\n' || b == b'\r');
    if !needs {
        out.extend_from_slice(v);
        return;
    }
    out.push(b'"');
    for &b in v {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_records(buf: &[u8], want: usize) -> Vec<(Vec<String>, Rec)> {
        let mut p = 0;
        let mut v = Vec::new();
        let mut fields = Vec::new();
        while p < buf.len() {
            let r = scan(buf, p, b',', want, true, Some(&mut fields)).unwrap();
            let texts = fields
                .iter()
                .map(|f| String::from_utf8(f.text(buf).into_owned()).unwrap())
                .collect();
            v.push((texts, r));
            p = r.next;
        }
        v
    }

    #[test]
    fn the_wanted_field_is_found_in_any_column() {
        let buf = b"aa,bbb,,d\n";
        for (want, text) in [(0, "aa"), (1, "bbb"), (2, ""), (3, "d")] {
            let r = scan(buf, 0, b',', want, true, None).unwrap();
            assert_eq!(r.fields, 4);
            let f = r.want.unwrap();
            assert_eq!(&buf[f.start..f.end], text.as_bytes(), "{want}");
        }
        assert!(scan(buf, 0, b',', 4, true, None).unwrap().want.is_none());
        let long = [b"x,".repeat(40), b"y\n".to_vec()].concat();
        let r = scan(&long, 0, b',', 40, true, None).unwrap();
        assert_eq!(r.fields, 41);
        assert_eq!(&long[r.want.unwrap().start..r.want.unwrap().end], b"y");
        assert_eq!(count_byte(&long, b','), 40);
    }

    #[test]
    fn plain_records_and_crlf() {
        let buf = b"a,b,c\r\n1,2,3\n4,5,6";
        let r = all_records(buf, 1);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].0, ["a", "b", "c"]);
        assert_eq!(r[1].0, ["1", "2", "3"]);
        assert_eq!(r[2].0, ["4", "5", "6"]);
        assert!(!r[2].1.terminated);
        let w = r[1].1.want.unwrap();
        assert_eq!(&buf[w.start..w.end], b"2");
    }

    #[test]
    fn quoted_fields_hold_delimiters_quotes_and_newlines() {
        let buf = b"id,note,nhs\n1,\"a, b\",\"943 476 5919\"\n2,\"said \"\"hi\"\"\nnext line\",9434765919\n";
        let r = all_records(buf, 2);
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].0, ["1", "a, b", "943 476 5919"]);
        assert_eq!(r[2].0, ["2", "said \"hi\"\nnext line", "9434765919"]);
        assert_eq!(r[2].1.inner_newlines, 1);
        assert_eq!(r[2].1.quoting, Quoting::Ok);
        let w = r[1].1.want.unwrap();
        assert_eq!(&buf[w.start..w.end], b"943 476 5919");
    }

    #[test]
    fn an_open_quote_at_the_block_end_asks_for_more() {
        let buf = b"1,\"open\nstill open";
        assert!(scan(buf, 0, b',', 0, false, None).is_none());
        let r = scan(buf, 0, b',', 0, true, None).unwrap();
        assert_eq!(r.quoting, Quoting::Unterminated);
        assert_eq!(r.next, buf.len());
    }

    #[test]
    fn text_after_a_closing_quote_is_noted() {
        let buf = b"\"943\"476,x\nnext\n";
        let r = scan(buf, 0, b',', 0, true, None).unwrap();
        assert_eq!(r.quoting, Quoting::TextAfterQuote);
        assert_eq!(r.fields, 2);
        assert_eq!(&buf[r.next..], b"next\n");
    }

    #[test]
    fn field_counts_and_blank_lines() {
        let buf = b"a,b\n\n1,2,3\n1\n";
        let r = all_records(buf, 0);
        assert_eq!(r.len(), 4);
        assert!(r[1].1.blank);
        assert_eq!(r[2].1.fields, 3);
        assert_eq!(r[3].1.fields, 1);
    }

    #[test]
    fn quoted_last_field_with_crlf() {
        let buf = b"1,\"x\"\r\n2,y\r\n";
        let r = all_records(buf, 1);
        assert_eq!(r[0].0, ["1", "x"]);
        assert_eq!(r[1].0, ["2", "y"]);
    }

    #[test]
    fn writing_quotes_what_needs_it() {
        let mut o = Vec::new();
        write_field(&mut o, b"plain", b',');
        o.push(b',');
        write_field(&mut o, b"a,\"b\"\nc", b',');
        assert_eq!(o, b"plain,\"a,\"\"b\"\"\nc\"");
    }
}
