//! CSV: one block per row, "Header: value; Header: value".

use crate::error::Result;
use crate::model::{Block, BlockKind, Document, Format, Page};

pub(super) fn read(name: &str, bytes: &[u8]) -> Result<Document> {
    let text = super::decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| super::corrupt(name, "CSV", e))?
        .iter()
        .map(|h| super::clean(h).trim().to_owned())
        .collect();
    let mut blocks = Vec::new();
    // A table: the header row, then one block per row with its cells separated by tabs.
    let cell = |v: &str| {
        super::clean(v)
            .replace(['\t', '\n', '\r'], " ")
            .trim()
            .to_owned()
    };
    if headers.iter().any(|h| !h.is_empty()) {
        blocks.push(
            Block::new(
                headers
                    .iter()
                    .map(|h| cell(h))
                    .collect::<Vec<_>>()
                    .join("\t"),
                "header row",
            )
            .with_kind(BlockKind::TableHeader),
        );
    }
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| super::corrupt(name, "CSV", e))?;
        let cells: Vec<String> = record.iter().map(cell).collect();
        if cells.iter().any(|c| !c.is_empty()) {
            blocks.push(
                Block::new(cells.join("\t"), format!("row {}", i + 2))
                    .with_kind(BlockKind::TableRow),
            );
        }
    }
    Ok(Document {
        name: name.into(),
        format: Format::Csv,
        pages: vec![Page {
            number: 1,
            label: "table".into(),
            blocks,
            needs_manual_review: false,
        }],
        warnings: Vec::new(),
    })
}
