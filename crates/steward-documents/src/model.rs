//! The text shape every reader produces: documents of pages of blocks.

use serde::{Deserialize, Serialize};

/// One input: a file name (used for format detection and provenance) and its bytes.
/// The bytes are only ever read; the original file is never written to.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl InputFile {
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.into(),
            bytes: bytes.into(),
        }
    }

    /// Reads a file from disk (read-only).
    pub fn read(path: &std::path::Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Ok(Self { name, bytes })
    }
}

/// Formats the readers understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Text,
    Html,
    Docx,
    Pdf,
    Csv,
    FhirJson,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Html => "HTML",
            Format::Docx => "DOCX",
            Format::Pdf => "PDF",
            Format::Csv => "CSV",
            Format::FhirJson => "FHIR JSON",
        }
    }
}

/// A document read into text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub name: String,
    pub format: Format,
    pub pages: Vec<Page>,
    /// Things a reviewer must know (pages without a text layer, skipped parts, ...).
    pub warnings: Vec<String>,
}

impl Document {
    /// Pages that had no text layer (scanned images): they need manual review.
    pub fn pages_needing_review(&self) -> impl Iterator<Item = &Page> {
        self.pages.iter().filter(|p| p.needs_manual_review)
    }

    pub fn block_count(&self) -> usize {
        self.pages.iter().map(|p| p.blocks.len()).sum()
    }
}

/// A page of a PDF, or a part of a document without pages (a DOCX body, its headers,
/// comments or properties; a FHIR resource list; a CSV file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    /// What this page is: "page 3", "body", "header (word/header1.xml)", "comments", ...
    pub label: String,
    pub blocks: Vec<Block>,
    /// True when the page had no extractable text (e.g. a scanned image): it is never
    /// passed through silently; the bundle shows a notice instead.
    pub needs_manual_review: bool,
}

/// A paragraph-sized piece of text: the unit detection runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub text: String,
    /// Where it came from inside the document (e.g. "word/document.xml paragraph 12",
    /// "Bundle.entry[3].resource(Patient).name[0]", "row 4").
    pub source: String,
    /// What the block is in the source, so the bundle can lay it out the same way.
    #[serde(default)]
    pub kind: BlockKind,
}

/// The role of a block in its document. Table rows keep their cells in `text`, separated by
/// tab characters (detection never joins a name across a tab).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    #[default]
    Paragraph,
    /// A heading, level 1 (largest) to 3.
    Heading(u8),
    /// An item of a bulleted or numbered list.
    ListItem,
    /// The header row of a table (cells separated by tabs).
    TableHeader,
    /// A row of a table (cells separated by tabs).
    TableRow,
    /// "Label: value", a field of a form or of document properties.
    Field,
}

impl Block {
    pub fn new(text: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            source: source.into(),
            kind: BlockKind::Paragraph,
        }
    }

    pub fn with_kind(mut self, kind: BlockKind) -> Self {
        self.kind = kind;
        self
    }
}
