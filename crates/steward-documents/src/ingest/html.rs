//! HTML: tags stripped with html2text (html5ever underneath), text kept.

use crate::error::Result;
use crate::model::{Document, Format, Page};

/// Deeper element nesting than this is refused: real letters and reports nest a few dozen
/// levels, while pathological nesting makes the HTML-to-text pass slow and memory-hungry.
const MAX_DEPTH: usize = 2_000;

pub(super) fn read(name: &str, bytes: &[u8]) -> Result<Document> {
    let text = html_to_text(bytes).map_err(|e| super::corrupt(name, "HTML", e))?;
    Ok(Document {
        name: name.into(),
        format: Format::Html,
        pages: vec![Page {
            number: 1,
            label: "page 1".into(),
            blocks: super::paragraphs(&text, ""),
            needs_manual_review: false,
        }],
        warnings: Vec::new(),
    })
}

/// Plain text of an HTML fragment or page (no wrapping, no link footnotes).
pub(crate) fn html_to_text(bytes: &[u8]) -> Result<String, String> {
    if nesting_depth(bytes) > MAX_DEPTH {
        return Err(format!("elements nest more than {MAX_DEPTH} deep"));
    }
    html2text::config::plain_no_decorate()
        .link_footnotes(false)
        .string_from_read(bytes, 100_000)
        .map_err(|e| e.to_string())
}

/// Approximate maximum element depth: open tags minus close tags, not counting void
/// elements, self-closed tags, and tags HTML lets authors leave open (p, li, td...).
fn nesting_depth(bytes: &[u8]) -> usize {
    const NOT_NESTING: &[&[u8]] = &[
        b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
        b"source", b"track", b"wbr", b"p", b"li", b"td", b"th", b"tr", b"option", b"dt", b"dd",
        b"!", b"?",
    ];
    let mut depth: usize = 0;
    let mut max = 0;
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        i += off + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'!' || **b == b'?')
            .count();
        if len == 0 {
            continue;
        }
        let tag = bytes[start..start + len].to_ascii_lowercase();
        if NOT_NESTING
            .iter()
            .any(|t| *t == tag.as_slice() || tag.starts_with(b"!"))
        {
            continue;
        }
        let self_closed = bytes[start + len..]
            .iter()
            .position(|&b| b == b'>')
            .is_some_and(|end| end > 0 && bytes[start + len + end - 1] == b'/');
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closed {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}
