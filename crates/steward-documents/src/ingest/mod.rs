//! Readers: bytes in, [`Document`] out. Every third-party parser runs inside [`guarded`],
//! so a panic becomes [`DocumentError::ParserPanic`] and a parser stuck on a pathological
//! file becomes [`DocumentError::Timeout`] instead of hanging the run.

mod csv;
mod docx;
mod fhir;
mod html;
mod pdf;
mod text;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{DocumentError, Result};
use crate::model::{Block, Document, Format, InputFile};

/// Bounds that keep memory and time in check on hostile or huge inputs.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest input file accepted.
    pub max_file_bytes: u64,
    /// Most pages in one PDF.
    pub max_pages: usize,
    /// Most resources in one FHIR bundle.
    pub max_fhir_resources: usize,
    /// Most entries in a DOCX (zip) archive.
    pub max_zip_entries: usize,
    /// Largest inflated size of one zip entry.
    pub max_zip_entry_bytes: u64,
    /// Most bytes inflated from one archive in total.
    pub max_zip_total_bytes: u64,
    /// Highest inflated/compressed ratio accepted for a large entry.
    pub max_zip_ratio: u64,
    /// Wall-clock budget for one parser call.
    pub parse_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 256 * 1024 * 1024,
            max_pages: 5_000,
            max_fhir_resources: 100_000,
            max_zip_entries: 2_000,
            max_zip_entry_bytes: 64 * 1024 * 1024,
            max_zip_total_bytes: 192 * 1024 * 1024,
            max_zip_ratio: 200,
            parse_timeout: Duration::from_secs(120),
        }
    }
}

/// Detects the format from the content (magic bytes) first, then the extension.
/// A content/extension contradiction for binary formats is reported as corrupt.
pub fn detect_format(name: &str, bytes: &[u8]) -> Result<Format> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_some() {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        // A zip: DOCX when it has a main document part (checked again while reading).
        if ext == "docx" || find(bytes, b"word/document.xml").is_some() {
            return Ok(Format::Docx);
        }
        return Err(DocumentError::UnknownFormat { name: name.into() });
    }
    match ext.as_str() {
        "pdf" => return Err(corrupt(name, "PDF", "no %PDF- header")),
        "docx" => return Err(corrupt(name, "DOCX", "not a zip archive")),
        _ => {}
    }
    // Text-based formats: must be text (no NUL bytes in the first KiB).
    if head.contains(&0) {
        return Err(DocumentError::UnknownFormat { name: name.into() });
    }
    let text_head = String::from_utf8_lossy(head);
    let trimmed = text_head.trim_start_matches('\u{feff}').trim_start();
    let lower: String = trimmed
        .chars()
        .take(200)
        .collect::<String>()
        .to_ascii_lowercase();
    if trimmed.starts_with('{') || ext == "json" {
        if trimmed.starts_with('{') && find(bytes, b"\"resourceType\"").is_some() {
            return Ok(Format::FhirJson);
        }
        return Err(DocumentError::UnknownFormat { name: name.into() });
    }
    if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || ext == "html"
        || ext == "htm"
    {
        return Ok(Format::Html);
    }
    match ext.as_str() {
        "csv" => Ok(Format::Csv),
        "txt" | "text" | "md" | "log" | "" => Ok(Format::Text),
        _ => Err(DocumentError::UnknownFormat { name: name.into() }),
    }
}

/// Reads one input into a [`Document`] within the given limits.
pub fn read_document(input: &InputFile, limits: &Limits) -> Result<Document> {
    let size = input.bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(DocumentError::TooLarge {
            name: input.name.clone(),
            size,
            limit: limits.max_file_bytes,
        });
    }
    // UTF-16 text (Windows "Unicode" exports) is transcoded to UTF-8 first.
    let transcoded;
    let input = match utf16_to_utf8(&input.bytes) {
        Some(bytes) => {
            transcoded = InputFile::new(input.name.clone(), bytes);
            &transcoded
        }
        None => input,
    };
    let format = detect_format(&input.name, &input.bytes)?;
    let name = input.name.clone();
    let doc = match format {
        Format::Text => text::read(&name, &input.bytes)?,
        Format::Csv => {
            let bytes: Arc<[u8]> = input.bytes.as_slice().into();
            let n = name.clone();
            guarded(&name, "CSV", limits.parse_timeout, move || {
                csv::read(&n, &bytes)
            })?
        }
        Format::Html => {
            let bytes: Arc<[u8]> = input.bytes.as_slice().into();
            let n = name.clone();
            guarded(&name, "HTML", limits.parse_timeout, move || {
                html::read(&n, &bytes)
            })?
        }
        Format::FhirJson => {
            let bytes: Arc<[u8]> = input.bytes.as_slice().into();
            let n = name.clone();
            let l = limits.clone();
            guarded(&name, "FHIR JSON", limits.parse_timeout, move || {
                fhir::read(&n, &bytes, &l)
            })?
        }
        Format::Docx => {
            let bytes: Arc<[u8]> = input.bytes.as_slice().into();
            let n = name.clone();
            let l = limits.clone();
            guarded(&name, "DOCX", limits.parse_timeout, move || {
                docx::read(&n, &bytes, &l)
            })?
        }
        Format::Pdf => {
            let bytes: Arc<[u8]> = input.bytes.as_slice().into();
            let n = name.clone();
            let l = limits.clone();
            guarded(&name, "PDF", limits.parse_timeout, move || {
                pdf::read(&n, &bytes, &l)
            })?
        }
    };
    Ok(sanitise(doc))
}

/// Invariant for every reader: no control characters other than newline and tab reach
/// detection or rendering (field names, labels and values alike).
fn sanitise(mut doc: Document) -> Document {
    let dirty = |s: &str| {
        s.chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}')
    };
    for page in &mut doc.pages {
        if dirty(&page.label) {
            page.label = clean(&page.label).replace(['\n', '\t'], " ");
        }
        for block in &mut page.blocks {
            if dirty(&block.text) {
                block.text = clean(&block.text);
            }
            if dirty(&block.source) {
                block.source = clean(&block.source);
            }
        }
    }
    doc
}

/// Runs a parser on its own thread (with a large stack for deeply nested input), turning
/// a panic into [`DocumentError::ParserPanic`] and an overrun into [`DocumentError::Timeout`].
/// On timeout the worker thread is abandoned (it cannot be killed); the caller goes on.
pub fn guarded<T, F>(name: &str, format: &'static str, timeout: Duration, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name(format!("steward-read-{format}"))
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(f));
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(DocumentError::Render {
            what: "reader thread",
            detail: e.to_string(),
        });
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(result)) => result,
        Ok(Err(_panic)) => Err(DocumentError::ParserPanic {
            name: name.into(),
            format,
        }),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(DocumentError::Timeout {
            name: name.into(),
            format,
            seconds: timeout.as_secs(),
        }),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(DocumentError::ParserPanic {
            name: name.into(),
            format,
        }),
    }
}

pub(crate) fn corrupt(name: &str, format: &'static str, detail: impl ToString) -> DocumentError {
    DocumentError::Corrupt {
        name: name.into(),
        format,
        detail: detail.to_string(),
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Cleans extracted text: normalises line ends, turns control characters into spaces.
pub(crate) fn clean(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.chars()
        .map(|c| {
            if c == '\n' || c == '\t' {
                c
            } else if c.is_control() || c == '\u{feff}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Splits text into paragraph blocks at blank lines; trailing spaces trimmed.
pub(crate) fn paragraphs(text: &str, source_prefix: &str) -> Vec<Block> {
    let text = clean(text);
    let mut blocks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut n = 0;
    let mut flush = |current: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !current.is_empty() {
            n += 1;
            blocks.push(Block::new(
                current.join("\n"),
                format!("{source_prefix}paragraph {n}"),
            ));
            current.clear();
        }
    };
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            flush(&mut current, &mut blocks);
        } else {
            current.push(line);
        }
    }
    flush(&mut current, &mut blocks);
    blocks
}

/// UTF-16 with a byte-order mark, as UTF-8 bytes; None for anything else.
fn utf16_to_utf8(bytes: &[u8]) -> Option<Vec<u8>> {
    let (big_endian, rest) = if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (true, rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (false, rest)
    } else {
        return None;
    };
    let units = rest.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{fffd}'))
            .collect::<String>()
            .into_bytes(),
    )
}

/// Decodes text bytes: UTF-8 (with or without BOM), else Windows-1252 as a fallback.
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes
            .iter()
            .map(|&b| if b < 0x80 { b as char } else { cp1252(b) })
            .collect(),
    }
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    if (0x80..0xA0).contains(&b) {
        HIGH[(b - 0x80) as usize]
    } else {
        b as char
    }
}
