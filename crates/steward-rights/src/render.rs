//! Rendering the response letter through steward-documents (feature `documents`): one
//! [`DocumentSpec`] from the [`Letter`], written to PDF or DOCX by the same template source
//! (PRODUCT.md: "every document ... exports to PDF and DOCX from one template source").

use steward_documents::{DocumentError, DocumentSpec};

use crate::closure::Letter;

impl Letter {
    /// The letter as a generic document: its title, then one paragraph block per paragraph.
    pub fn to_document_spec(&self) -> DocumentSpec {
        let mut spec = DocumentSpec::new(self.title.clone());
        spec.footer = "Confidential".to_string();
        self.paragraphs
            .iter()
            .fold(spec, |spec, p| spec.paragraph(p.clone()))
    }
}

/// The letter as a PDF.
pub fn render_letter_pdf(letter: &Letter) -> Result<Vec<u8>, DocumentError> {
    steward_documents::write_pdf(&letter.to_document_spec())
}

/// The letter as a DOCX.
pub fn render_letter_docx(letter: &Letter) -> Result<Vec<u8>, DocumentError> {
    steward_documents::write_docx(&letter.to_document_spec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_documents::SpecBlock;

    fn letter() -> Letter {
        Letter {
            title: "Your subject access request (our reference SAR-1)".into(),
            paragraphs: vec!["1 April 2026".into(), "Dear Jane Smith,".into()],
        }
    }

    #[test]
    fn spec_keeps_title_and_paragraphs_in_order() {
        let spec = letter().to_document_spec();
        assert_eq!(
            spec.title,
            "Your subject access request (our reference SAR-1)"
        );
        assert_eq!(
            spec.blocks,
            vec![
                SpecBlock::Paragraph {
                    text: "1 April 2026".into()
                },
                SpecBlock::Paragraph {
                    text: "Dear Jane Smith,".into()
                },
            ]
        );
    }

    #[test]
    fn renders_pdf_and_docx() {
        let pdf = render_letter_pdf(&letter()).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        let docx = render_letter_docx(&letter()).unwrap();
        assert!(docx.starts_with(b"PK"));
    }
}
