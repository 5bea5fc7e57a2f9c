//! DOCX: zip + quick-xml. Text runs (`w:t`) are joined within a paragraph before
//! detection; headers, footers, comments, foot/endnotes, tracked-change and comment authors
//! and document properties are read too, because they can hold names.
//!
//! Zip-bomb guards: entry count, declared sizes and ratio are checked up front, and every
//! read is capped (`take`) so a lying header cannot inflate past the limits.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::Limits;
use crate::error::{DocumentError, Result};
use crate::model::{Block, BlockKind, Document, Format, Page};

struct Budget<'a> {
    name: &'a str,
    limits: &'a Limits,
    inflated: u64,
}

pub(super) fn read(name: &str, bytes: &[u8], limits: &Limits) -> Result<Document> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| super::corrupt(name, "DOCX", e))?;
    let bomb = |detail: String| DocumentError::ZipBomb {
        name: name.into(),
        detail,
    };
    if archive.len() > limits.max_zip_entries {
        return Err(bomb(format!(
            "{} entries (limit {})",
            archive.len(),
            limits.max_zip_entries
        )));
    }
    let mut declared_total: u64 = 0;
    let mut names = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| super::corrupt(name, "DOCX", e))?;
        let entry_name = entry
            .name()
            .map_err(|e| super::corrupt(name, "DOCX", e))?
            .into_owned();
        let size = entry.size();
        let packed = entry.compressed_size().max(1);
        if size > limits.max_zip_entry_bytes {
            return Err(bomb(format!(
                "entry {} declares {size} bytes (limit {})",
                entry_name, limits.max_zip_entry_bytes
            )));
        }
        if size > 1024 * 1024 && size / packed > limits.max_zip_ratio {
            return Err(bomb(format!(
                "entry {} compression ratio {} (limit {})",
                entry_name,
                size / packed,
                limits.max_zip_ratio
            )));
        }
        declared_total = declared_total.saturating_add(size);
        names.push(entry_name);
    }
    if declared_total > limits.max_zip_total_bytes {
        return Err(bomb(format!(
            "{declared_total} bytes declared in total (limit {})",
            limits.max_zip_total_bytes
        )));
    }
    if !names.iter().any(|n| n == "word/document.xml") {
        return Err(super::corrupt(name, "DOCX", "no word/document.xml part"));
    }

    let mut budget = Budget {
        name,
        limits,
        inflated: 0,
    };
    let mut pages = Vec::new();
    let mut warnings = Vec::new();
    let mut authors: Vec<String> = Vec::new();

    let mut parts: Vec<(String, String)> = vec![("word/document.xml".into(), "body".into())];
    let mut extra: Vec<&String> = names
        .iter()
        .filter(|n| {
            let n = n.as_str();
            (n.starts_with("word/header") || n.starts_with("word/footer")) && n.ends_with(".xml")
        })
        .collect();
    extra.sort();
    for n in extra {
        let kind = if n.starts_with("word/header") {
            "header"
        } else {
            "footer"
        };
        parts.push((n.clone(), format!("{kind} ({n})")));
    }
    for (part, label) in [
        ("word/footnotes.xml", "footnotes"),
        ("word/endnotes.xml", "endnotes"),
        ("word/comments.xml", "comments"),
    ] {
        if names.iter().any(|n| n == part) {
            parts.push((part.into(), label.into()));
        }
    }

    for (part, label) in &parts {
        let xml = read_entry(&mut archive, part, &mut budget)?;
        let blocks = match word_paragraphs(&xml, part, &mut authors) {
            Ok(b) => b,
            Err(e) => {
                if part == "word/document.xml" {
                    return Err(super::corrupt(name, "DOCX", format!("{part}: {e}")));
                }
                warnings.push(format!(
                    "{part} could not be read ({e}); it needs manual review"
                ));
                continue;
            }
        };
        if blocks.is_empty() && part != "word/document.xml" {
            continue;
        }
        pages.push(Page {
            number: pages.len() as u32 + 1,
            label: label.clone(),
            blocks,
            needs_manual_review: false,
        });
    }

    // Properties: author, last modified by, title, company, custom properties...
    let mut props = Vec::new();
    if !authors.is_empty() {
        props.push(Block::new(
            format!("Revision and comment authors: {}", authors.join("; ")),
            "w:author attributes",
        ));
    }
    for part in [
        "docProps/core.xml",
        "docProps/app.xml",
        "docProps/custom.xml",
    ] {
        if names.iter().any(|n| n == part) {
            let xml = read_entry(&mut archive, part, &mut budget)?;
            match property_lines(&xml) {
                Ok(lines) => props.extend(lines.into_iter().map(|(k, v)| {
                    Block::new(format!("{k}: {v}"), format!("{part} {k}"))
                        .with_kind(BlockKind::Field)
                })),
                Err(e) => warnings.push(format!("{part} could not be read ({e})")),
            }
        }
    }
    if !props.is_empty() {
        pages.push(Page {
            number: pages.len() as u32 + 1,
            label: "document properties".into(),
            blocks: props,
            needs_manual_review: false,
        });
    }
    if names.iter().any(|n| n.starts_with("word/media/")) {
        warnings.push(
            "the document contains images; their content is not read and needs manual review"
                .into(),
        );
    }
    if names.iter().any(|n| n.starts_with("word/embeddings/")) {
        warnings.push("the document contains embedded objects; they need manual review".into());
    }
    Ok(Document {
        name: name.into(),
        format: Format::Docx,
        pages,
        warnings,
    })
}

fn read_entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    part: &str,
    budget: &mut Budget,
) -> Result<Vec<u8>> {
    let entry = archive
        .by_name(part)
        .map_err(|e| super::corrupt(budget.name, "DOCX", format!("{part}: {e}")))?;
    let cap = budget.limits.max_zip_entry_bytes.min(
        budget.limits.max_zip_total_bytes - budget.inflated.min(budget.limits.max_zip_total_bytes),
    );
    let mut out = Vec::new();
    entry
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| super::corrupt(budget.name, "DOCX", format!("{part}: {e}")))?;
    if out.len() as u64 > cap {
        return Err(DocumentError::ZipBomb {
            name: budget.name.into(),
            detail: format!("{part} inflates past the limit ({cap} bytes)"),
        });
    }
    budget.inflated += out.len() as u64;
    Ok(out)
}

fn text_of(e: &quick_xml::events::BytesText) -> String {
    e.decode().map(|c| c.into_owned()).unwrap_or_default()
}

fn ref_text(e: &quick_xml::events::BytesRef) -> String {
    if let Ok(Some(c)) = e.resolve_char_ref() {
        return c.to_string();
    }
    let name = e.decode().unwrap_or_default();
    quick_xml::escape::unescape(&format!("&{name};"))
        .map(|c| c.into_owned())
        .unwrap_or_default()
}

/// Paragraph texts of a WordprocessingML part. Matching is by local name, so text in
/// DrawingML shapes (`a:p`/`a:t`) and nested text boxes is read too.
fn word_paragraphs(
    xml: &[u8],
    part: &str,
    authors: &mut Vec<String>,
) -> std::result::Result<Vec<Block>, quick_xml::Error> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<String> = Vec::new();
    let mut in_text = 0usize;
    let mut blocks = Vec::new();
    let mut count = 0usize;
    let mut buf = Vec::new();
    // Paragraph style (heading, list) of the paragraph being read.
    let mut kind = BlockKind::Paragraph;
    // Tables: the cells of the row being read (one string per cell), and how deep.
    let mut rows: Vec<(Vec<String>, bool)> = Vec::new();
    let mut table_depth = 0usize;
    let mut rows_in_table: Vec<usize> = Vec::new();
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) => {
                let local = e.local_name();
                match local.as_ref() {
                    b"p" => {
                        stack.push(String::new());
                        kind = BlockKind::Paragraph;
                    }
                    b"t" | b"delText" => in_text += 1,
                    b"tab" => push(&mut stack, "\t"),
                    b"br" | b"cr" => push(&mut stack, "\n"),
                    b"tbl" => {
                        table_depth += 1;
                        rows_in_table.push(0);
                    }
                    b"tr" if table_depth == 1 => {
                        let first = rows_in_table.last().is_some_and(|n| *n == 0);
                        rows.push((Vec::new(), first));
                    }
                    b"tc" if table_depth == 1 => {
                        if let Some((cells, _)) = rows.last_mut() {
                            cells.push(String::new());
                        }
                    }
                    b"numPr" => kind = BlockKind::ListItem,
                    _ => {}
                }
                note_author(&e, authors);
            }
            Event::Empty(e) => {
                match e.local_name().as_ref() {
                    b"tab" => push(&mut stack, "\t"),
                    b"br" | b"cr" => push(&mut stack, "\n"),
                    b"pStyle" => {
                        if let Some(v) = e
                            .attributes()
                            .flatten()
                            .find(|a| a.key.local_name().as_ref() == b"val")
                            .and_then(|a| attr_text(&a))
                        {
                            kind = style_kind(&v, kind);
                        }
                    }
                    b"numPr" => kind = BlockKind::ListItem,
                    _ => {}
                }
                note_author(&e, authors);
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"tbl" => {
                    table_depth = table_depth.saturating_sub(1);
                    rows_in_table.pop();
                }
                b"tr" if table_depth == 1 => {
                    if let Some((cells, header)) = rows.pop() {
                        if let Some(n) = rows_in_table.last_mut() {
                            *n += 1;
                        }
                        count += 1;
                        if cells.iter().any(|c| !c.trim().is_empty()) {
                            let text = cells
                                .iter()
                                .map(|c| c.trim().replace(['\t', '\n'], " "))
                                .collect::<Vec<_>>()
                                .join("\t");
                            blocks.push(
                                Block::new(text, format!("{part} table row {count}")).with_kind(
                                    if header {
                                        BlockKind::TableHeader
                                    } else {
                                        BlockKind::TableRow
                                    },
                                ),
                            );
                        }
                    }
                }
                b"p" => {
                    if let Some(text) = stack.pop() {
                        let text = super::clean(&text);
                        if table_depth > 0 {
                            // A paragraph inside a table cell: part of the cell's text.
                            if let Some(cell) = rows.last_mut().and_then(|(c, _)| c.last_mut()) {
                                if !cell.is_empty() && !text.trim().is_empty() {
                                    cell.push(' ');
                                }
                                cell.push_str(text.trim());
                            }
                        } else {
                            count += 1;
                            if !text.trim().is_empty() {
                                blocks.push(
                                    Block::new(
                                        text.trim_end().to_owned(),
                                        format!("{part} paragraph {count}"),
                                    )
                                    .with_kind(kind),
                                );
                            }
                        }
                    }
                }
                b"t" | b"delText" => in_text = in_text.saturating_sub(1),
                _ => {}
            },
            Event::Text(t) if in_text > 0 => push(&mut stack, &text_of(&t)),
            Event::CData(t) if in_text > 0 => {
                push(&mut stack, &String::from_utf8_lossy(&t.into_inner()))
            }
            Event::GeneralRef(r) if in_text > 0 => push(&mut stack, &ref_text(&r)),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(blocks)
}

/// "Heading1", "Title", "ListParagraph", "ListBullet": the kind of a styled paragraph.
fn style_kind(style: &str, current: BlockKind) -> BlockKind {
    let s = style.to_ascii_lowercase();
    if s == "title" {
        return BlockKind::Heading(1);
    }
    if let Some(n) = s.strip_prefix("heading") {
        let level = n.trim().parse::<u8>().unwrap_or(1).clamp(1, 3);
        return BlockKind::Heading(level);
    }
    if s.starts_with("list") {
        return BlockKind::ListItem;
    }
    current
}

/// "lastModifiedBy" -> "Last modified by"; "TitlesOfParts" -> "Titles of parts".
fn humanise(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else if i == 0 {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    match out.as_str() {
        "Creator" => "Author".into(),
        "Last modified by" | "Title" | "Subject" | "Keywords" | "Description" => out,
        _ => out,
    }
}

fn push(stack: &mut [String], s: &str) {
    if let Some(top) = stack.last_mut() {
        top.push_str(s);
    }
}

/// An attribute's value, unescaped. Not `Attribute::unescape_value`: that method is gone
/// when another crate of the build turns on quick-xml's `encoding` feature (calamine does),
/// and DOCX parts are UTF-8 anyway.
fn attr_text(a: &quick_xml::events::attributes::Attribute) -> Option<String> {
    let raw = std::str::from_utf8(&a.value).ok()?;
    quick_xml::escape::unescape(raw)
        .ok()
        .map(|v| v.into_owned())
}

fn note_author(e: &quick_xml::events::BytesStart, authors: &mut Vec<String>) {
    for attr in e.attributes().flatten() {
        if matches!(attr.key.local_name().as_ref(), b"author" | b"initials") {
            if let Some(v) = attr_text(&attr) {
                let v = v.trim().to_owned();
                if !v.is_empty() && !authors.contains(&v) {
                    authors.push(v);
                }
            }
        }
    }
}

/// (element local name, text) for each leaf element with text in a docProps part.
fn property_lines(xml: &[u8]) -> std::result::Result<Vec<(String, String)>, quick_xml::Error> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    let mut prop_name: Option<String> = None;
    // Named elements enclosing the current one (not the vt: value types).
    let mut named: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) => {
                let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let value_type = e.name().as_ref().starts_with(b"vt:")
                    || matches!(
                        local.as_str(),
                        "lpstr"
                            | "lpwstr"
                            | "i4"
                            | "i8"
                            | "bool"
                            | "filetime"
                            | "vector"
                            | "variant"
                    );
                if local == "property" {
                    prop_name = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == b"name")
                        .and_then(|a| attr_text(&a));
                }
                let label = match (&prop_name, local.as_str()) {
                    (Some(p), l) if l != "property" => p.clone(),
                    _ if value_type => named.last().map_or(local.clone(), |n| humanise(n)),
                    _ => humanise(&local),
                };
                if !value_type {
                    named.push(local);
                }
                current = Some((label, String::new()));
            }
            Event::Text(t) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(&text_of(&t));
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(&ref_text(&r));
                }
            }
            Event::End(e) => {
                if e.local_name().as_ref() == b"property" {
                    prop_name = None;
                }
                let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if named.last() == Some(&local) {
                    named.pop();
                }
                // HeadingPairs only counts the parts ("Title", 1): not a property.
                let in_heading_pairs = named.iter().any(|n| n == "HeadingPairs");
                if let Some((k, v)) = current.take() {
                    let v = super::clean(&v);
                    if !v.trim().is_empty() && !in_heading_pairs && k != "HeadingPairs" {
                        out.push((k, v.trim().to_owned()));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}
