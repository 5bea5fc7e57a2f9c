//! steward-documents: reading documents into text, writing PDF and DOCX.
