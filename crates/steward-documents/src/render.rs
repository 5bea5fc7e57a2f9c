//! The one layout engine behind every PDF this crate writes (bundles, schedules, letters):
//! text is measured with the bundled DejaVu Sans metrics, wrapped, paginated into simple
//! drawing operations, then emitted with krilla (fonts embedded as subsets with a
//! ToUnicode map, so the output stays searchable and its text extractable for checks).

use std::sync::OnceLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};

use crate::error::{DocumentError, Result};

/// DejaVu Sans (Bitstream Vera licence + public-domain changes; see fonts/LICENSE-DejaVu.txt).
pub(crate) static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
pub(crate) static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN: f32 = 56.0;
const FOOTER_SPACE: f32 = 24.0;
pub(crate) const BODY_SIZE: f32 = 10.0;

struct Metrics {
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
    ascii: [f32; 128],
}

impl Metrics {
    fn load(data: &'static [u8]) -> Metrics {
        let face = ttf_parser::Face::parse(data, 0).expect("bundled font parses");
        let units_per_em = face.units_per_em() as f32;
        let mut m = Metrics {
            face,
            units_per_em,
            ascii: [0.0; 128],
        };
        for c in 0u8..128 {
            m.ascii[c as usize] = m.advance_slow(c as char);
        }
        m
    }

    fn advance_slow(&self, c: char) -> f32 {
        let glyph = self.face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
        self.face.glyph_hor_advance(glyph).unwrap_or(0) as f32 / self.units_per_em
    }

    /// Advance of `c` in ems.
    fn advance(&self, c: char) -> f32 {
        if (c as u32) < 128 {
            self.ascii[c as usize]
        } else {
            self.advance_slow(c)
        }
    }
}

fn metrics(bold: bool) -> &'static Metrics {
    static REGULAR: OnceLock<Metrics> = OnceLock::new();
    static BOLD: OnceLock<Metrics> = OnceLock::new();
    if bold {
        BOLD.get_or_init(|| Metrics::load(BOLD_TTF))
    } else {
        REGULAR.get_or_init(|| Metrics::load(REGULAR_TTF))
    }
}

/// Width of `text` in points.
pub(crate) fn measure(text: &str, size: f32, bold: bool) -> f32 {
    let m = metrics(bold);
    text.chars().map(|c| m.advance(c)).sum::<f32>() * size
}

/// How a redaction is drawn.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum RedactionStyle {
    /// A solid black box of fixed width (the length of the original is not revealed).
    #[default]
    Box,
    /// A bracketed label such as "[REDACTED: third party]".
    Label,
}

/// A piece of paragraph text: plain text, or a redaction (its label; the redacted
/// text itself never reaches the layout engine).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Run {
    Text(String),
    Redaction(String),
}

#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        grey: bool,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        grey: bool,
    },
    /// A picture, `w` by `h` points with its top left corner at `x`, `y`.
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: krilla::image::Image,
    },
    /// A shaded table cell, drawn under its text.
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        rgb: (u8, u8, u8),
    },
}

/// "F4C2C2" or "#f4c2c2" as RGB; anything else is no fill.
fn parse_rgb(s: &str) -> Option<(u8, u8, u8)> {
    let h = s.trim().trim_start_matches('#');
    if h.len() != 6 || !h.is_ascii() {
        return None;
    }
    let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some((c(0)?, c(2)?, c(4)?))
}

#[derive(Debug, Clone)]
enum Seg {
    Text(String),
    Box(f32),
    Label(String),
}

type Line = Vec<Seg>;

pub(crate) struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
    pub style: RedactionStyle,
    header: Option<String>,
}

const BOX_CHARS: &str = "XXXXXXX";

impl Layout {
    pub fn new(style: RedactionStyle) -> Self {
        Self {
            pages: Vec::new(),
            y: 0.0,
            style,
            header: None,
        }
    }

    pub fn content_width() -> f32 {
        PAGE_W - 2.0 * MARGIN
    }

    fn bottom() -> f32 {
        PAGE_H - MARGIN - FOOTER_SPACE
    }

    /// Running header shown (grey, small) at the top of each following page.
    pub fn set_header(&mut self, header: Option<String>) {
        self.header = header;
    }

    pub fn page_break(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
        if let Some(h) = self.header.clone() {
            let h = fit(&h, 8.0, false, Self::content_width());
            self.push(Op::Text {
                x: MARGIN,
                y: MARGIN - 18.0,
                size: 8.0,
                bold: false,
                grey: true,
                text: h,
            });
        }
    }

    fn push(&mut self, op: Op) {
        if self.pages.is_empty() {
            self.page_break();
        }
        self.pages.last_mut().expect("a page").push(op);
    }

    /// Starts a new page unless `h` points still fit on this one.
    pub fn ensure(&mut self, h: f32) {
        if self.pages.is_empty() || self.y + h > Self::bottom() {
            self.page_break();
        }
    }

    pub fn space(&mut self, h: f32) {
        if !self.pages.is_empty() && self.y > MARGIN {
            self.y += h;
        }
    }

    pub fn heading(&mut self, text: &str, level: u8) {
        let size = match level {
            0 => 20.0,
            1 => 16.0,
            2 => 13.0,
            _ => 11.0,
        };
        self.space(size * 0.6);
        self.ensure(size * 1.3 * 2.0);
        self.paragraph_styled(&[Run::Text(text.to_owned())], size, true, false, 0.0);
        self.space(size * 0.3);
    }

    /// A heading whose text may contain redactions.
    pub fn heading_runs(&mut self, runs: &[Run], level: u8) {
        let size = match level {
            0 => 20.0,
            1 => 16.0,
            2 => 13.0,
            _ => 11.0,
        };
        self.space(size * 0.6);
        self.ensure(size * 1.3 * 2.0);
        self.paragraph_styled(runs, size, true, false, 0.0);
        self.space(size * 0.3);
    }

    /// A picture (PNG) `width` points wide, never wider than the text nor taller than a
    /// page, kept on one page, with its caption in small grey type under it.
    pub fn image(&mut self, png: &[u8], width: f32, caption: &str) -> Result<()> {
        let image = krilla::image::Image::from_png(krilla::Data::from(png.to_vec()), true)
            .map_err(|e| DocumentError::Render {
                what: "PDF",
                detail: format!("a picture that is not a PNG ({e})"),
            })?;
        let (pw, ph) = image.size();
        let mut w = width.clamp(1.0, Self::content_width());
        let mut h = w * ph as f32 / pw.max(1) as f32;
        let tallest = Self::bottom() - MARGIN - 40.0;
        if h > tallest {
            w *= tallest / h;
            h = tallest;
        }
        self.space(6.0);
        self.ensure(h + 24.0);
        let y = self.y;
        self.push(Op::Image {
            x: MARGIN,
            y,
            w,
            h,
            image,
        });
        self.y += h + 6.0;
        if !caption.is_empty() {
            self.note(caption);
        }
        self.space(6.0);
        Ok(())
    }

    pub fn paragraph(&mut self, runs: &[Run]) {
        self.paragraph_styled(runs, BODY_SIZE, false, false, 0.0);
        self.space(BODY_SIZE * 0.5);
    }

    pub fn note(&mut self, text: &str) {
        self.paragraph_styled(&[Run::Text(text.to_owned())], 9.0, false, true, 0.0);
        self.space(4.0);
    }

    pub fn paragraph_styled(
        &mut self,
        runs: &[Run],
        size: f32,
        bold: bool,
        grey: bool,
        indent: f32,
    ) {
        let lines = self.wrap(runs, size, bold, Self::content_width() - indent);
        let lh = size * 1.3;
        for line in lines {
            self.ensure(lh);
            let baseline = self.y + size;
            self.emit_line(&line, MARGIN + indent, baseline, size, bold, grey);
            self.y += lh;
        }
    }

    fn emit_line(
        &mut self,
        line: &Line,
        x0: f32,
        baseline: f32,
        size: f32,
        bold: bool,
        grey: bool,
    ) {
        let mut x = x0;
        for seg in line {
            match seg {
                Seg::Text(t) => {
                    if !t.trim().is_empty() {
                        self.push(Op::Text {
                            x,
                            y: baseline,
                            size,
                            bold,
                            grey,
                            text: t.clone(),
                        });
                    }
                    x += measure(t, size, bold);
                }
                Seg::Box(w) => {
                    self.push(Op::Rect {
                        x: x + 0.5,
                        y: baseline - size * 0.8,
                        w: *w - 1.0,
                        h: size * 1.05,
                        grey: false,
                    });
                    x += w;
                }
                Seg::Label(l) => {
                    self.push(Op::Text {
                        x,
                        y: baseline,
                        size,
                        bold: true,
                        grey: false,
                        text: l.clone(),
                    });
                    x += measure(l, size, true);
                }
            }
        }
    }

    /// Greedy word wrap of runs into lines at most `width` wide.
    fn wrap(&self, runs: &[Run], size: f32, bold: bool, width: f32) -> Vec<Line> {
        let mut b = LineBuilder {
            lines: Vec::new(),
            line: Vec::new(),
            line_w: 0.0,
            pending_space: false,
            space_w: measure(" ", size, bold),
            width,
        };
        for run in runs {
            match run {
                Run::Text(text) => {
                    for (i, raw_line) in text.split('\n').enumerate() {
                        if i > 0 {
                            b.break_line();
                        }
                        let mut word = String::new();
                        for c in raw_line.chars() {
                            if c == ' ' || c == '\t' {
                                b.word(&mut word, size, bold);
                                b.pending_space = true;
                            } else {
                                word.push(c);
                            }
                        }
                        b.word(&mut word, size, bold);
                    }
                }
                Run::Redaction(label) => match self.style {
                    RedactionStyle::Box => {
                        let w = measure(BOX_CHARS, size, bold);
                        b.place(Seg::Box(w), w);
                    }
                    RedactionStyle::Label => {
                        b.place(Seg::Label(label.clone()), measure(label, size, true));
                    }
                },
            }
        }
        if !b.line.is_empty() || b.lines.is_empty() {
            b.lines.push(b.line);
        }
        b.lines
    }

    /// A table: bold header row repeated on each page, cells wrapped.
    pub fn table(&mut self, header: &[String], rows: &[Vec<String>]) {
        self.table_shaded(header, rows, &[]);
    }

    /// `fills[row][col]`: an RGB colour ("F4C2C2") shading that body cell; may be empty.
    pub fn table_shaded(&mut self, header: &[String], rows: &[Vec<String>], fills: &[Vec<String>]) {
        let cells = |row: &[String]| -> Vec<Vec<Run>> {
            row.iter().map(|c| vec![Run::Text(c.clone())]).collect()
        };
        let header = cells(header);
        let rows: Vec<Vec<Vec<Run>>> = rows.iter().map(|r| cells(r)).collect();
        self.table_runs_shaded(&header, &rows, fills);
    }

    /// A table whose cells are runs (so redactions show inside cells); an empty header
    /// draws no header row.
    pub fn table_runs(&mut self, header: &[Vec<Run>], rows: &[Vec<Vec<Run>>]) {
        self.table_runs_shaded(header, rows, &[]);
    }

    fn table_runs_shaded(
        &mut self,
        header: &[Vec<Run>],
        rows: &[Vec<Vec<Run>>],
        fills: &[Vec<String>],
    ) {
        let plain = |cell: &[Run]| -> String {
            cell.iter()
                .map(|r| match r {
                    Run::Text(t) => t.as_str(),
                    Run::Redaction(l) => match self.style {
                        RedactionStyle::Box => BOX_CHARS,
                        RedactionStyle::Label => l.as_str(),
                    },
                })
                .collect()
        };
        let header_plain: Vec<String> = header.iter().map(|c| plain(c)).collect();
        let rows_plain: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| plain(c)).collect())
            .collect();
        let cols = header
            .len()
            .max(rows.iter().map(Vec::len).max().unwrap_or(0))
            .max(1);
        let size = 8.5;
        let pad = 3.0;
        let total = Self::content_width();
        let widths = column_widths(&header_plain, &rows_plain, cols, size, pad, total);
        let lh = size * 1.3;
        let max_lines = ((Self::bottom() - MARGIN) / lh) as usize - 4;

        let cell_lines = |this: &Self, row: &[Vec<Run>], bold: bool| -> Vec<Vec<Line>> {
            (0..cols)
                .map(|i| {
                    let runs = row.get(i).map(Vec::as_slice).unwrap_or(&[]);
                    let mut l = this.wrap(runs, size, bold, widths[i] - 2.0 * pad);
                    l.truncate(max_lines);
                    l
                })
                .collect()
        };
        let header_lines = cell_lines(self, header, true);
        let header_h = header_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh + 2.0 * pad;

        let draw_row = |this: &mut Self,
                        cells: &[Vec<Line>],
                        fill: &[String],
                        bold: bool,
                        h: f32,
                        rule_grey: bool| {
            let mut x = MARGIN;
            for (i, lines) in cells.iter().enumerate() {
                if let Some(rgb) = fill.get(i).and_then(|f| parse_rgb(f)) {
                    this.push(Op::Fill {
                        x,
                        y: this.y,
                        w: widths[i],
                        h,
                        rgb,
                    });
                }
                for (j, line) in lines.iter().enumerate() {
                    let baseline = this.y + pad + size + j as f32 * lh;
                    this.emit_line(line, x + pad, baseline, size, bold, false);
                }
                x += widths[i];
            }
            this.y += h;
            this.push(Op::Rect {
                x: MARGIN,
                y: this.y - 0.4,
                w: total,
                h: if rule_grey { 0.4 } else { 0.8 },
                grey: rule_grey,
            });
        };
        let has_header = !header.is_empty();
        let start = |this: &mut Self| {
            if has_header {
                this.ensure(header_h + lh * 2.0);
                draw_row(this, &header_lines, &[], true, header_h, false);
            } else {
                this.ensure(lh * 2.0);
            }
        };
        start(self);
        for (r, row) in rows.iter().enumerate() {
            let cells = cell_lines(self, row, false);
            let h = cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * lh + 2.0 * pad;
            if self.y + h > Self::bottom() {
                self.page_break();
                start(self);
            }
            let fill = fills.get(r).map(Vec::as_slice).unwrap_or(&[]);
            draw_row(self, &cells, fill, false, h, true);
        }
        self.space(BODY_SIZE);
    }

    /// Emits the PDF: every page gets "Page N of M" at the foot. Metadata is set
    /// explicitly (title, creator) and nothing else from the inputs.
    pub fn finish(mut self, title: &str, footer: &str) -> Result<Vec<u8>> {
        if self.pages.is_empty() {
            self.page_break();
        }
        let regular =
            Font::new(krilla::Data::from(REGULAR_TTF), 0).ok_or(DocumentError::Render {
                what: "PDF",
                detail: "bundled font".into(),
            })?;
        let bold = Font::new(krilla::Data::from(BOLD_TTF), 0).ok_or(DocumentError::Render {
            what: "PDF",
            detail: "bundled bold font".into(),
        })?;
        let black = Fill::default();
        let grey = Fill {
            paint: rgb::Color::new(96, 96, 96).into(),
            ..Fill::default()
        };
        let light = Fill {
            paint: rgb::Color::new(170, 170, 170).into(),
            ..Fill::default()
        };
        let total = self.pages.len();
        let mut document = krilla::Document::new();
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or(DocumentError::Render {
            what: "PDF",
            detail: "page size".into(),
        })?;
        for (i, ops) in self.pages.iter().enumerate() {
            let mut page = document.start_page_with(settings.clone());
            let mut surface = page.surface();
            surface.set_stroke(None);
            for op in ops {
                match op {
                    Op::Text {
                        x,
                        y,
                        size,
                        bold: b,
                        grey: g,
                        text,
                    } => {
                        surface.set_fill(Some(if *g { grey.clone() } else { black.clone() }));
                        let font = if *b { bold.clone() } else { regular.clone() };
                        surface.draw_text(
                            Point::from_xy(*x, *y),
                            font,
                            *size,
                            text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                    Op::Rect {
                        x,
                        y,
                        w,
                        h,
                        grey: g,
                    } => {
                        if let Some(rect) = Rect::from_xywh(*x, *y, w.max(0.1), h.max(0.1)) {
                            let mut pb = PathBuilder::new();
                            pb.push_rect(rect);
                            if let Some(path) = pb.finish() {
                                surface.set_fill(Some(if *g {
                                    light.clone()
                                } else {
                                    black.clone()
                                }));
                                surface.draw_path(&path);
                            }
                        }
                    }
                    Op::Image { x, y, w, h, image } => {
                        if let Some(size) = Size::from_wh(*w, *h) {
                            surface.push_transform(&Transform::from_translate(*x, *y));
                            surface.draw_image(image.clone(), size);
                            surface.pop();
                        }
                    }
                    Op::Fill { x, y, w, h, rgb: c } => {
                        if let Some(rect) = Rect::from_xywh(*x, *y, w.max(0.1), h.max(0.1)) {
                            let mut pb = PathBuilder::new();
                            pb.push_rect(rect);
                            if let Some(path) = pb.finish() {
                                surface.set_fill(Some(Fill {
                                    paint: rgb::Color::new(c.0, c.1, c.2).into(),
                                    ..Default::default()
                                }));
                                surface.draw_path(&path);
                            }
                        }
                    }
                }
            }
            surface.set_fill(Some(grey.clone()));
            let label = format!("Page {} of {}", i + 1, total);
            let w = measure(&label, 8.0, false);
            surface.draw_text(
                Point::from_xy(PAGE_W - MARGIN - w, PAGE_H - MARGIN + 4.0),
                regular.clone(),
                8.0,
                &label,
                false,
                TextDirection::Auto,
            );
            if !footer.is_empty() {
                let footer = fit(footer, 8.0, false, Self::content_width() - w - 12.0);
                surface.draw_text(
                    Point::from_xy(MARGIN, PAGE_H - MARGIN + 4.0),
                    regular.clone(),
                    8.0,
                    &footer,
                    false,
                    TextDirection::Auto,
                );
            }
            surface.finish();
            page.finish();
        }
        document.set_metadata(
            Metadata::new()
                .title(title.to_owned())
                .creator("Steward".to_owned())
                .producer("Steward (krilla)".to_owned())
                .language("en-GB".to_owned()),
        );
        document.finish().map_err(|e| DocumentError::Render {
            what: "PDF",
            detail: format!("{e:?}"),
        })
    }
}

struct LineBuilder {
    lines: Vec<Line>,
    line: Line,
    line_w: f32,
    pending_space: bool,
    space_w: f32,
    width: f32,
}

impl LineBuilder {
    fn break_line(&mut self) {
        self.lines.push(std::mem::take(&mut self.line));
        self.line_w = 0.0;
        self.pending_space = false;
    }

    /// Adds an unbreakable item of width `w`, wrapping first if it does not fit.
    fn place(&mut self, seg: Seg, w: f32) {
        let extra = if self.pending_space && !self.line.is_empty() {
            self.space_w
        } else {
            0.0
        };
        if !self.line.is_empty() && self.line_w + extra + w > self.width {
            self.lines.push(std::mem::take(&mut self.line));
            self.line_w = 0.0;
        } else if extra > 0.0 {
            push_text(&mut self.line, " ");
            self.line_w += extra;
        }
        self.pending_space = false;
        match seg {
            Seg::Text(t) => push_text(&mut self.line, &t),
            other => self.line.push(other),
        }
        self.line_w += w;
    }

    /// Places a word (emptying `word`), breaking it by characters if it is wider than a line.
    fn word(&mut self, word: &mut String, size: f32, bold: bool) {
        if word.is_empty() {
            return;
        }
        let w = measure(word, size, bold);
        if w <= self.width {
            self.place(Seg::Text(std::mem::take(word)), w);
            return;
        }
        let mut chunk = String::new();
        let mut chunk_w = 0.0;
        for c in word.chars() {
            let cw = measure(c.encode_utf8(&mut [0; 4]), size, bold);
            if chunk_w + cw > self.width && !chunk.is_empty() {
                self.place(Seg::Text(std::mem::take(&mut chunk)), chunk_w);
                chunk_w = 0.0;
            }
            chunk.push(c);
            chunk_w += cw;
        }
        if !chunk.is_empty() {
            self.place(Seg::Text(chunk), chunk_w);
        }
        word.clear();
    }
}

/// Column widths: every column gets at least its longest word (so words are not broken
/// where avoidable), and the remaining room goes to columns in proportion to how much
/// wider their longest cell would like to be.
fn column_widths(
    header: &[String],
    rows: &[Vec<String>],
    cols: usize,
    size: f32,
    pad: f32,
    total: f32,
) -> Vec<f32> {
    let mut min = vec![2.0 * pad + 8.0; cols];
    let mut natural = min.clone();
    for (r, row) in std::iter::once(header)
        .chain(rows.iter().map(Vec::as_slice))
        .enumerate()
    {
        let bold = r == 0;
        for (i, cell) in row.iter().enumerate().take(cols) {
            let longest_word = cell
                .split_whitespace()
                .map(|w| measure(w, size, bold))
                .fold(0.0f32, f32::max);
            min[i] = min[i].max(longest_word + 2.0 * pad + 1.0);
            natural[i] = natural[i].max(measure(cell, size, bold) + 2.0 * pad + 1.0);
        }
    }
    // No column may claim more than half the table as its minimum.
    for m in &mut min {
        *m = m.min(total / 2.0);
    }
    let min_sum: f32 = min.iter().sum();
    if min_sum >= total {
        return min.iter().map(|m| m * total / min_sum).collect();
    }
    let natural_sum: f32 = natural.iter().sum();
    if natural_sum <= total {
        return natural.iter().map(|n| n * total / natural_sum).collect();
    }
    let room = total - min_sum;
    let wants: Vec<f32> = natural
        .iter()
        .zip(&min)
        .map(|(n, m)| (n - m).max(0.0))
        .collect();
    let wants_sum: f32 = wants.iter().sum::<f32>().max(f32::EPSILON);
    min.iter()
        .zip(&wants)
        .map(|(m, w)| m + room * w / wants_sum)
        .collect()
}

fn push_text(line: &mut Line, s: &str) {
    if let Some(Seg::Text(t)) = line.last_mut() {
        t.push_str(s);
    } else {
        line.push(Seg::Text(s.to_owned()));
    }
}

/// Shortens `text` with an ellipsis to fit `width`.
fn fit(text: &str, size: f32, bold: bool, width: f32) -> String {
    if measure(text, size, bold) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if measure(&out, size, bold) + measure("…", size, bold) > width {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}
