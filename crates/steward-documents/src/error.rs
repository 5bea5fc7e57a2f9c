//! Typed errors for reading and writing documents.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DocumentError {
    #[error("{name}: unknown or unsupported format (supported: text, HTML, DOCX, PDF, CSV, FHIR R4 JSON)")]
    UnknownFormat { name: String },

    #[error("{name}: file is {size} bytes, over the {limit}-byte limit")]
    TooLarge { name: String, size: u64, limit: u64 },

    #[error("{name}: {format} is corrupt or unreadable: {detail}")]
    Corrupt {
        name: String,
        format: &'static str,
        detail: String,
    },

    #[error("{name}: PDF is encrypted; remove the password and export it again before disclosure")]
    Encrypted { name: String },

    #[error("{name}: archive rejected as a possible zip bomb: {detail}")]
    ZipBomb { name: String, detail: String },

    #[error("{name}: {count} pages (or FHIR resources), over the limit of {limit}")]
    TooManyPages {
        name: String,
        count: usize,
        limit: usize,
    },

    #[error("{name}: the {format} reader failed unexpectedly (internal parser panic); the file needs manual review")]
    ParserPanic { name: String, format: &'static str },

    #[error("{name}: the {format} reader gave up after {seconds} s; the file needs manual review")]
    Timeout {
        name: String,
        format: &'static str,
        seconds: u64,
    },

    #[error("redaction out of range: {0}")]
    BadRedaction(String),

    #[error("could not write {what}: {detail}")]
    Render { what: &'static str, detail: String },
}

pub type Result<T, E = DocumentError> = std::result::Result<T, E>;
