//! CSV: one block per row, "Header: value; Header: value".

use crate::error::Result;
use crate::model::{Block, Document, Format, Page};

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
    if headers.iter().any(|h| !h.is_empty()) {
        blocks.push(Block::new(
            format!("Columns: {}", headers.join("; ")),
            "header row",
        ));
    }
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| super::corrupt(name, "CSV", e))?;
        let cells: Vec<String> = record
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(j, v)| {
                let v = super::clean(v);
                match headers.get(j).filter(|h| !h.is_empty()) {
                    Some(h) => format!("{h}: {}", v.trim()),
                    None => v.trim().to_owned(),
                }
            })
            .collect();
        if !cells.is_empty() {
            blocks.push(Block::new(cells.join("; "), format!("row {}", i + 2)));
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
