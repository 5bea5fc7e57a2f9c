//! PDF with a text layer: lopdf parses, pdf-extract extracts each page's text. A page
//! without text (a scanned image) is marked "needs manual review", never dropped silently.

use super::Limits;
use crate::error::{DocumentError, Result};
use crate::model::{Document, Format, Page};

pub(super) fn read(name: &str, bytes: &[u8], limits: &Limits) -> Result<Document> {
    let has_encrypt = super::find(bytes, b"/Encrypt").is_some();
    let mut warnings = Vec::new();
    let mut doc = match pdf_extract::Document::load_mem(bytes) {
        Ok(doc) => doc,
        Err(_) if has_encrypt => return Err(DocumentError::Encrypted { name: name.into() }),
        Err(e) => return Err(super::corrupt(name, "PDF", e)),
    };
    if doc.is_encrypted() {
        // Only an owner password (restricting printing/copying) can be opened without a
        // password; anything needing a user password is refused.
        if doc.decrypt("").is_err() || doc.is_encrypted() {
            return Err(DocumentError::Encrypted { name: name.into() });
        }
        warnings.push("the PDF had an owner password only; it was read without one".into());
    } else if doc.was_encrypted() {
        warnings.push("the PDF had an owner password only; it was read without one".into());
    }
    let pages = doc.get_pages();
    if pages.len() > limits.max_pages {
        return Err(DocumentError::TooManyPages {
            name: name.into(),
            count: pages.len(),
            limit: limits.max_pages,
        });
    }
    if pages.is_empty() {
        return Err(super::corrupt(name, "PDF", "no pages"));
    }
    let mut out = Vec::with_capacity(pages.len());
    for (&number, _) in pages.iter() {
        let mut text = String::new();
        let extracted = {
            let mut output = pdf_extract::PlainTextOutput::new(&mut text);
            pdf_extract::output_doc_page(&doc, &mut output, number)
        };
        let blocks = match extracted {
            Ok(()) => super::paragraphs(&text, ""),
            Err(e) => {
                warnings.push(format!(
                    "page {number}: text could not be extracted ({e}); needs manual review"
                ));
                Vec::new()
            }
        };
        let needs_manual_review = blocks.is_empty();
        if needs_manual_review {
            warnings.push(format!(
                "page {number} has no text layer (scanned image?): needs manual review"
            ));
        }
        out.push(Page {
            number,
            label: format!("page {number}"),
            blocks,
            needs_manual_review,
        });
    }
    Ok(Document {
        name: name.into(),
        format: Format::Pdf,
        pages: out,
        warnings,
    })
}
