//! Plain text: form feeds separate pages, blank lines separate blocks.

use crate::error::Result;
use crate::model::{Document, Format, Page};

pub(super) fn read(name: &str, bytes: &[u8]) -> Result<Document> {
    let text = super::decode_text(bytes);
    let pages = text
        .split('\u{c}')
        .enumerate()
        .map(|(i, page_text)| Page {
            number: i as u32 + 1,
            label: format!("page {}", i + 1),
            blocks: super::paragraphs(page_text, ""),
            needs_manual_review: false,
        })
        .collect();
    Ok(Document {
        name: name.into(),
        format: Format::Text,
        pages,
        warnings: Vec::new(),
    })
}
