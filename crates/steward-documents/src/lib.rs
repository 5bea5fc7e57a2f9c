//! steward-documents: reading documents into text, writing true-redacted PDF bundles,
//! redaction schedules, and generic PDF/DOCX documents (letters, reports).
//!
//! - [`ingest`]: text, HTML, DOCX, PDF (text layer), CSV, FHIR R4 JSON → [`Document`].
//! - [`pipeline`]: detection per block with provenance; reviewer decisions applied.
//! - [`bundle`]: the redacted bundle (a fresh PDF) and the redaction schedule.
//! - [`spec`]: one [`DocumentSpec`] rendered to PDF or DOCX.
//! - [`cli`]: `steward redact`.

pub mod bundle;
pub mod cli;
pub mod error;
pub mod ingest;
pub mod model;
pub mod picture;
pub mod pipeline;
mod render;
pub mod spec;

pub use bundle::{schedule_csv, schedule_pdf, write_bundle, BundleOptions};
pub use error::DocumentError;
pub use ingest::{detect_format, read_document, Limits};
pub use model::{Block, BlockKind, Document, Format, InputFile, Page};
pub use pipeline::{
    apply_decisions, redact_documents, redact_documents_detecting, redact_documents_known,
    redact_documents_with, BlockRef, Decision, DecisionKind, DocFlag, DocKept, DocProposal,
    ManualRedaction, Outcome, ReasonCode, RedactionRun, Review, Verdict,
};
pub use render::RedactionStyle;
pub use spec::{write_docx, write_pdf, DocumentSpec, SpecBlock};
