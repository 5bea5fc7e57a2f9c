//! Generic documents (disclosure letters, reports, exports): one [`DocumentSpec`] rendered
//! to PDF by [`write_pdf`] and to DOCX by [`write_docx`].

use std::io::Cursor;

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
    /// A table whose body cells are shaded (a risk map): `fills[row][col]` is an RGB colour
    /// such as "F4C2C2", or "" for none.
    ShadedTable {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
        fills: Vec<Vec<String>>,
    },
    /// A picture (PNG bytes), `width_mm` wide at most (the text's width caps it), with its
    /// text alternative: Word's alternative text in the DOCX, the caption under it in the PDF.
    Image {
        png: Vec<u8>,
        alt: String,
        width_mm: f32,
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
    pub fn shaded_table(
        mut self,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
        fills: Vec<Vec<String>>,
    ) -> Self {
        self.blocks.push(SpecBlock::ShadedTable {
            header,
            rows,
            fills,
        });
        self
    }
    /// A picture: PNG bytes (see [`crate::picture::svg_to_png`] for a drawing), its text
    /// alternative, and its width on the page.
    pub fn image(mut self, png: Vec<u8>, alt: impl Into<String>, width_mm: f32) -> Self {
        self.blocks.push(SpecBlock::Image {
            png,
            alt: alt.into(),
            width_mm,
        });
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
    layout_spec(&mut layout, spec)?;
    layout.finish(&spec.title, &spec.footer)
}

/// Points in a millimetre.
const PT_PER_MM: f32 = 72.0 / 25.4;

pub(crate) fn layout_spec(layout: &mut Layout, spec: &DocumentSpec) -> Result<()> {
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
            SpecBlock::ShadedTable {
                header,
                rows,
                fills,
            } => layout.table_shaded(header, rows, fills),
            SpecBlock::Image { png, alt, width_mm } => {
                layout.image(png, width_mm * PT_PER_MM, alt)?
            }
            SpecBlock::PageBreak => layout.page_break(),
        }
    }
    Ok(())
}

/// Renders the spec to a DOCX with docx-rs: Word's own styles (Title, Heading 1 to 3, List
/// Bullet with a real bullet list), bordered tables with a shaded header row (shaded cells where
/// the spec gives a fill), a header with the title and a footer with the spec's footer and
/// "Page N of M" fields, on A4.
pub fn write_docx(spec: &DocumentSpec) -> Result<Vec<u8>> {
    use docx_rs::{
        AbstractNumbering, Docx, Footer, Header, IndentLevel, Level, LevelJc, LevelText, NumPages,
        NumberFormat, Numbering, NumberingId, PageMargin, PageNum, Paragraph, RunFonts,
        SpecialIndentType, Start,
    };
    let mut docx = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(1134)
                .bottom(1134)
                .left(1134)
                .right(1134)
                .header(567)
                .footer(567),
        )
        .default_fonts(RunFonts::new().ascii("Arial").hi_ansi("Arial").cs("Arial"))
        .default_size(22)
        .add_abstract_numbering(
            AbstractNumbering::new(BULLETS).add_level(
                Level::new(
                    0,
                    Start::new(1),
                    NumberFormat::new("bullet"),
                    LevelText::new("\u{2022}"),
                    LevelJc::new("left"),
                )
                .indent(
                    Some(360),
                    Some(SpecialIndentType::Hanging(360)),
                    None,
                    None,
                ),
            ),
        )
        .add_numbering(Numbering::new(BULLETS, BULLETS));
    for style in styles() {
        docx = docx.add_style(style);
    }
    if !spec.title.is_empty() {
        docx = docx
            .header(Header::new().add_paragraph(Paragraph::new().add_run(small_grey(&spec.title))));
    }
    let mut foot = Paragraph::new();
    if !spec.footer.is_empty() {
        foot = foot.add_run(small_grey(&format!("{}    ", spec.footer)));
    }
    foot = foot
        .add_run(small_grey("Page "))
        .add_page_num(PageNum::new())
        .add_run(small_grey(" of "))
        .add_num_pages(NumPages::new());
    docx = docx.footer(Footer::new().add_paragraph(foot));

    if !spec.title.is_empty() {
        docx = docx.add_paragraph(text_paragraph(&spec.title, false).style("Title"));
    }
    let mut alts = vec![];
    for block in &spec.blocks {
        match block {
            SpecBlock::Heading { level, text } => {
                let style = format!("Heading{}", (*level).clamp(1, 3));
                docx = docx.add_paragraph(text_paragraph(text, false).style(&style));
            }
            SpecBlock::Paragraph { text } => docx = docx.add_paragraph(text_paragraph(text, false)),
            SpecBlock::List { items } => {
                for item in items {
                    docx = docx.add_paragraph(
                        text_paragraph(item, false)
                            .style("ListBullet")
                            .numbering(NumberingId::new(BULLETS), IndentLevel::new(0)),
                    );
                }
            }
            SpecBlock::Table { header, rows } => {
                docx = docx
                    .add_table(docx_table(header, rows, &[]))
                    .add_paragraph(Paragraph::new());
            }
            SpecBlock::ShadedTable {
                header,
                rows,
                fills,
            } => {
                docx = docx
                    .add_table(docx_table(header, rows, fills))
                    .add_paragraph(Paragraph::new());
            }
            SpecBlock::Image { png, alt, width_mm } => {
                let (pw, ph) = crate::picture::png_size(png)?;
                let w_mm = width_mm.clamp(1.0, DOCX_TEXT_WIDTH_MM);
                let h_mm = w_mm * ph as f32 / pw.max(1) as f32;
                let pic = docx_rs::Pic::new_with_dimensions(png.clone(), pw, ph)
                    .size((w_mm * EMU_PER_MM) as u32, (h_mm * EMU_PER_MM) as u32);
                docx = docx
                    .add_paragraph(Paragraph::new().add_run(docx_rs::Run::new().add_image(pic)));
                alts.push(alt.clone());
            }
            SpecBlock::PageBreak => {
                docx = docx.add_paragraph(
                    Paragraph::new()
                        .add_run(docx_rs::Run::new().add_break(docx_rs::BreakType::Page)),
                )
            }
        }
    }
    let mut out = Cursor::new(Vec::new());
    let err = |e: &dyn std::fmt::Display| DocumentError::Render {
        what: "DOCX",
        detail: e.to_string(),
    };
    docx.build().pack(&mut out).map_err(|e| err(&e))?;
    with_properties(out.into_inner(), &spec.title, &alts).map_err(|e| err(&e))
}

/// The text's width on the page (A4 less two 2 cm margins), and English Metric Units in a
/// millimetre, for pictures.
const DOCX_TEXT_WIDTH_MM: f32 = 170.0;
const EMU_PER_MM: f32 = 36_000.0;

/// What docx-rs writes for every picture: one id and name, and no alternative text.
const DOCX_PICTURE: &str = r#"<wp:docPr id="1" name="Figure""#;

/// docx-rs gives no way to set the document's title and author (its core properties), which
/// Word shows and accessibility checkers ask for, nor a picture's alternative text: the
/// package is copied with its `docProps/core.xml` replaced, and each picture in
/// `word/document.xml` given its own id and its text alternative (`alts`, in order).
fn with_properties(docx: Vec<u8>, title: &str, alts: &[String]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::{Read, Write};
    let core = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>Steward</dc:creator></cp:coreProperties>",
        quick_xml::escape::escape(clean_xml(title).as_str())
    );
    let mut input = zip::ZipArchive::new(Cursor::new(docx))?;
    let mut output = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..input.len() {
        let mut f = input.by_index(i)?;
        let name = f.name()?.to_string();
        let mut bytes = vec![];
        if name == "docProps/core.xml" {
            bytes = core.clone().into_bytes();
        } else {
            f.read_to_end(&mut bytes)?;
        }
        if name == "word/document.xml" && !alts.is_empty() {
            bytes = with_alt_texts(&String::from_utf8_lossy(&bytes), alts).into_bytes();
        }
        output.start_file(name, options)?;
        output.write_all(&bytes)?;
    }
    Ok(output.finish()?.into_inner())
}

/// Each picture docx-rs wrote, in order, with its own id and name and its alternative text.
fn with_alt_texts(xml: &str, alts: &[String]) -> String {
    let mut out = String::with_capacity(xml.len() + alts.iter().map(String::len).sum::<usize>());
    let mut rest = xml;
    let mut n = 0;
    while let Some(at) = rest.find(DOCX_PICTURE) {
        out.push_str(&rest[..at]);
        let alt = alts.get(n).map(String::as_str).unwrap_or("");
        n += 1;
        out.push_str(&format!(
            r#"<wp:docPr id="{}" name="Picture {n}" descr="{}""#,
            1000 + n,
            quick_xml::escape::escape(clean_xml(alt).as_str())
        ));
        rest = &rest[at + DOCX_PICTURE.len()..];
    }
    out.push_str(rest);
    out
}

/// The numbering id of the bullet list.
const BULLETS: usize = 1;
/// Header row and table borders, as the NHS.UK frontend's table.
const HEADER_FILL: &str = "E8EDEE";

fn small_grey(text: &str) -> docx_rs::Run {
    docx_rs::Run::new()
        .add_text(clean_xml(text))
        .size(16)
        .color("4C6272")
}

/// One paragraph; `\n` becomes a line break, `\t` a tab.
fn text_paragraph(text: &str, bold: bool) -> docx_rs::Paragraph {
    let mut run = docx_rs::Run::new();
    if bold {
        run = run.bold();
    }
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            run = run.add_break(docx_rs::BreakType::TextWrapping);
        }
        for (j, piece) in line.split('\t').enumerate() {
            if j > 0 {
                run = run.add_tab();
            }
            if !piece.is_empty() {
                run = run.add_text(clean_xml(piece));
            }
        }
    }
    docx_rs::Paragraph::new().add_run(run)
}

/// A full-width bordered table; the header row is bold on grey; `fills` (RGB hex, "" for
/// none) shade body cells.
fn docx_table(header: &[String], rows: &[Vec<String>], fills: &[Vec<String>]) -> docx_rs::Table {
    use docx_rs::{Shading, TableCell, TableRow, WidthType};
    let cols = header
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(0))
        .max(1);
    let row = |cells: &[String], fill: Option<&Vec<String>>, bold: bool| {
        let cells = (0..cols)
            .map(|i| {
                let text = cells.get(i).map(String::as_str).unwrap_or("");
                let mut cell = TableCell::new().add_paragraph(text_paragraph(text, bold));
                let colour = if bold {
                    Some(HEADER_FILL)
                } else {
                    fill.and_then(|f| f.get(i))
                        .map(|c| c.trim_start_matches('#'))
                        .filter(|c| !c.is_empty())
                };
                if let Some(c) = colour {
                    cell = cell.shading(Shading::new().fill(c));
                }
                cell
            })
            .collect();
        TableRow::new(cells).cant_split()
    };
    let mut out = vec![];
    if !header.is_empty() {
        out.push(row(header, None, true));
    }
    for (i, r) in rows.iter().enumerate() {
        out.push(row(r, fills.get(i), false));
    }
    docx_rs::Table::new(out).width(5000, WidthType::Pct)
}

fn styles() -> Vec<docx_rs::Style> {
    use docx_rs::{LineSpacing, Style, StyleType};
    let heading = |id: &str, name: &str, size: usize, level: usize, before: u32| {
        Style::new(id, StyleType::Paragraph)
            .name(name)
            .based_on("Normal")
            .next("Normal")
            .size(size)
            .bold()
            .outline_lvl(level)
            .line_spacing(LineSpacing::new().before(before).after(120))
    };
    vec![
        Style::new("Title", StyleType::Paragraph)
            .name("Title")
            .based_on("Normal")
            .next("Normal")
            .size(40)
            .bold()
            .line_spacing(LineSpacing::new().after(240)),
        heading("Heading1", "heading 1", 32, 0, 240),
        heading("Heading2", "heading 2", 26, 1, 200),
        heading("Heading3", "heading 3", 22, 2, 160),
        Style::new("ListBullet", StyleType::Paragraph)
            .name("List Bullet")
            .based_on("Normal"),
    ]
}

/// XML 1.0 forbids most control characters.
fn clean_xml(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
