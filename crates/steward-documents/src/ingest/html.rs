//! HTML: tags stripped with html2text (html5ever underneath), text kept.

use crate::error::Result;
use crate::model::{Document, Format, Page};

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
    html2text::config::plain_no_decorate()
        .link_footnotes(false)
        .string_from_read(bytes, 100_000)
        .map_err(|e| e.to_string())
}
