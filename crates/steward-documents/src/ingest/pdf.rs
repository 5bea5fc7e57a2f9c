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
    // Pages are extracted in parallel (one chunk per core, at most 4); each worker has a
    // large stack for deeply nested content, and a panic in one propagates to the guard.
    let numbers: Vec<u32> = pages.keys().copied().collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
        .min(numbers.len().div_ceil(8).max(1));
    let chunk = numbers.len().div_ceil(workers);
    let doc = &doc;
    let extracted: Vec<(u32, std::result::Result<String, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = numbers
            .chunks(chunk)
            .map(|nums| {
                std::thread::Builder::new()
                    .name("steward-read-PDF-page".into())
                    .stack_size(64 * 1024 * 1024)
                    .spawn_scoped(scope, move || {
                        nums.iter()
                            .map(|&number| {
                                let mut output = PageText::default();
                                let r = pdf_extract::output_doc_page(doc, &mut output, number);
                                (number, r.map(|()| output.text).map_err(|e| e.to_string()))
                            })
                            .collect::<Vec<_>>()
                    })
            })
            .collect();
        let mut all = Vec::with_capacity(numbers.len());
        for h in handles {
            match h {
                Ok(h) => match h.join() {
                    Ok(part) => all.extend(part),
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(e) => panic!("could not start a PDF worker: {e}"),
            }
        }
        all
    });
    let mut out = Vec::with_capacity(extracted.len());
    for (number, text) in extracted {
        let blocks = match text {
            Ok(text) => super::paragraphs(&text, ""),
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

/// Text output for one page. Like pdf-extract's `PlainTextOutput`, but sturdier: the font
/// size comes from the absolute determinant of the text matrix (pdf-extract's own can be NaN
/// under a flipped, y-down matrix), and a line break is decided by the vertical move alone
/// (pdf-extract's also requires a move left, which fails when it cannot read glyph widths,
/// as with krilla's CID fonts: lines then run together, "Contact" + "number").
#[derive(Default)]
struct PageText {
    text: String,
    page_height: f64,
    last_end: f64,
    last_y: f64,
    first_char: bool,
}

impl pdf_extract::OutputDev for PageText {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &pdf_extract::MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> std::result::Result<(), pdf_extract::OutputError> {
        self.page_height = media_box.ury - media_box.lly;
        Ok(())
    }

    fn end_page(&mut self) -> std::result::Result<(), pdf_extract::OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &pdf_extract::Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> std::result::Result<(), pdf_extract::OutputError> {
        let x = trm.m31;
        let y = self.page_height - trm.m32;
        let scale = (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs().sqrt();
        let size = font_size * scale;
        if self.first_char && size.is_finite() && !self.text.is_empty() {
            // A move down of more than half a line is a new line, whatever x is (fonts
            // whose widths pdf-extract cannot read report zero advances, so "moved left"
            // is not reliable); more than 1.5 lines is a paragraph gap.
            let dy = (y - self.last_y).abs();
            if dy > size * 0.5 {
                self.text.push('\n');
                if dy > size * 1.5 {
                    self.text.push('\n');
                }
            } else if x > self.last_end + size * 0.1 && !self.text.ends_with([' ', '\n']) {
                self.text.push(' ');
            }
        }
        self.text.push_str(ch);
        self.first_char = false;
        self.last_y = y;
        self.last_end = x + width * size;
        Ok(())
    }

    fn begin_word(&mut self) -> std::result::Result<(), pdf_extract::OutputError> {
        self.first_char = true;
        Ok(())
    }

    fn end_word(&mut self) -> std::result::Result<(), pdf_extract::OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> std::result::Result<(), pdf_extract::OutputError> {
        Ok(())
    }
}
