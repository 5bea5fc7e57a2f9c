//! Generic documents (disclosure letters, reports, exports): one [`DocumentSpec`] rendered
//! to PDF by [`write_pdf`] and to DOCX by [`write_docx`].

use std::io::{Cursor, Write};

use quick_xml::escape::escape;
use serde::{Deserialize, Serialize};

use crate::error::{DocumentError, Result};
use crate::render::{Layout, RedactionStyle, Run};

/// A simple document: a title and a sequence of blocks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentSpec {
    pub title: String,
    pub blocks: Vec<SpecBlock>,
    /// Small grey text at the foot of every PDF page (e.g. "Confidential"); empty for none.
    #[serde(default)]
    pub footer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum SpecBlock {
    /// Level 1 to 3.
    Heading {
        level: u8,
        text: String,
    },
    /// A paragraph; `\n` is a line break (addresses in letters).
    Paragraph {
        text: String,
    },
    /// A bulleted list.
    List {
        items: Vec<String>,
    },
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    PageBreak,
}

impl DocumentSpec {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }
    pub fn heading(mut self, level: u8, text: impl Into<String>) -> Self {
        self.blocks.push(SpecBlock::Heading {
            level: level.clamp(1, 3),
            text: text.into(),
        });
        self
    }
    pub fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(SpecBlock::Paragraph { text: text.into() });
        self
    }
    pub fn list(mut self, items: Vec<String>) -> Self {
        self.blocks.push(SpecBlock::List { items });
        self
    }
    pub fn table(mut self, header: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        self.blocks.push(SpecBlock::Table { header, rows });
        self
    }
    pub fn page_break(mut self) -> Self {
        self.blocks.push(SpecBlock::PageBreak);
        self
    }
}

/// Renders the spec to PDF (A4, DejaVu Sans embedded, "Page N of M" footers).
pub fn write_pdf(spec: &DocumentSpec) -> Result<Vec<u8>> {
    let mut layout = Layout::new(RedactionStyle::Box);
    layout_spec(&mut layout, spec);
    layout.finish(&spec.title, &spec.footer)
}

pub(crate) fn layout_spec(layout: &mut Layout, spec: &DocumentSpec) {
    if !spec.title.is_empty() {
        layout.heading(&spec.title, 0);
    }
    for block in &spec.blocks {
        match block {
            SpecBlock::Heading { level, text } => layout.heading(text, (*level).clamp(1, 3)),
            SpecBlock::Paragraph { text } => layout.paragraph(&[Run::Text(text.clone())]),
            SpecBlock::List { items } => {
                for item in items {
                    layout.paragraph_styled(
                        &[Run::Text(format!("•  {item}"))],
                        crate::render::BODY_SIZE,
                        false,
                        false,
                        10.0,
                    );
                }
                layout.space(5.0);
            }
            SpecBlock::Table { header, rows } => layout.table(header, rows),
            SpecBlock::PageBreak => layout.page_break(),
        }
    }
}

/// Renders the spec to a DOCX (WordprocessingML written with zip + XML; styles Title,
/// Heading1-3, a bordered table). Core properties carry the title only.
pub fn write_docx(spec: &DocumentSpec) -> Result<Vec<u8>> {
    let mut body = String::new();
    if !spec.title.is_empty() {
        body.push_str(&para(Some("Title"), &spec.title));
    }
    for block in &spec.blocks {
        match block {
            SpecBlock::Heading { level, text } => {
                let style = format!("Heading{}", (*level).clamp(1, 3));
                body.push_str(&para(Some(&style), text));
            }
            SpecBlock::Paragraph { text } => body.push_str(&para(None, text)),
            SpecBlock::List { items } => {
                for item in items {
                    body.push_str(&para(Some("ListBullet"), &format!("•\t{item}")));
                }
            }
            SpecBlock::Table { header, rows } => {
                let cols = header
                    .len()
                    .max(rows.iter().map(Vec::len).max().unwrap_or(0));
                body.push_str("<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"5000\" w:type=\"pct\"/></w:tblPr><w:tblGrid>");
                for _ in 0..cols {
                    body.push_str("<w:gridCol/>");
                }
                body.push_str("</w:tblGrid>");
                let mut row_xml = |cells: &[String], bold: bool| {
                    body.push_str("<w:tr>");
                    if bold {
                        body.push_str("<w:trPr><w:tblHeader/></w:trPr>");
                    }
                    for i in 0..cols {
                        let text = cells.get(i).map(String::as_str).unwrap_or("");
                        body.push_str("<w:tc><w:tcPr><w:tcW w:w=\"0\" w:type=\"auto\"/></w:tcPr>");
                        body.push_str(&para_runs(None, text, bold));
                        body.push_str("</w:tc>");
                    }
                    body.push_str("</w:tr>");
                };
                row_xml(header, true);
                for row in rows {
                    row_xml(row, false);
                }
                body.push_str("</w:tbl>");
                body.push_str(&para(None, ""));
            }
            SpecBlock::PageBreak => body.push_str("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>"),
        }
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>{body}<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1134\" w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    );
    let core = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>Steward</dc:creator></cp:coreProperties>",
        escape(spec.title.as_str())
    );
    let parts: [(&str, &str); 7] = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("word/_rels/document.xml.rels", DOC_RELS),
        ("word/document.xml", &document),
        ("word/styles.xml", STYLES),
        ("docProps/core.xml", &core),
        ("docProps/app.xml", APP),
    ];
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let err = |e: &dyn std::fmt::Display| DocumentError::Render {
        what: "DOCX",
        detail: e.to_string(),
    };
    for (name, content) in parts {
        zip.start_file(name, options).map_err(|e| err(&e))?;
        zip.write_all(content.as_bytes()).map_err(|e| err(&e))?;
    }
    let cursor = zip.finish().map_err(|e| err(&e))?;
    Ok(cursor.into_inner())
}

fn para(style: Option<&str>, text: &str) -> String {
    para_runs(style, text, false)
}

/// One paragraph; `\n` becomes a line break, `\t` a tab.
fn para_runs(style: Option<&str>, text: &str, bold: bool) -> String {
    let mut out = String::from("<w:p>");
    if let Some(s) = style {
        out.push_str(&format!("<w:pPr><w:pStyle w:val=\"{s}\"/></w:pPr>"));
    }
    out.push_str("<w:r>");
    if bold {
        out.push_str("<w:rPr><w:b/></w:rPr>");
    }
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<w:br/>");
        }
        for (j, piece) in line.split('\t').enumerate() {
            if j > 0 {
                out.push_str("<w:tab/>");
            }
            if !piece.is_empty() {
                out.push_str(&format!(
                    "<w:t xml:space=\"preserve\">{}</w:t>",
                    escape(clean_xml(piece).as_str())
                ));
            }
        }
    }
    out.push_str("</w:r></w:p>");
    out
}

/// XML 1.0 forbids most control characters.
fn clean_xml(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#;

const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const APP: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Steward</Application></Properties>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:cs="Arial"/><w:sz w:val="22"/><w:lang w:val="en-GB"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:spacing w:after="240"/></w:pPr><w:rPr><w:b/><w:sz w:val="40"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="200"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="26"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading3"><w:name w:val="heading 3"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="160"/><w:outlineLvl w:val="2"/></w:pPr><w:rPr><w:b/><w:sz w:val="22"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="ListBullet"><w:name w:val="List Bullet"/><w:basedOn w:val="Normal"/><w:pPr><w:ind w:left="360" w:hanging="360"/></w:pPr></w:style><w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:left w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:right w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="auto"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="auto"/></w:tblBorders><w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>"#;
