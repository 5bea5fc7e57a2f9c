//! HTML: tags stripped with html2text (html5ever underneath), text kept.

use crate::error::Result;
use crate::model::{Block, BlockKind, Document, Format, Page};

/// Deeper element nesting than this is refused: real letters and reports nest a few dozen
/// levels, while pathological nesting makes the HTML-to-text pass slow and memory-hungry.
const MAX_DEPTH: usize = 2_000;

pub(super) fn read(name: &str, bytes: &[u8]) -> Result<Document> {
    // The whole document is checked and converted first (nesting limit, well-formedness).
    let text = html_to_text(bytes).map_err(|e| super::corrupt(name, "HTML", e))?;
    let blocks = match structured_blocks(bytes) {
        Some(b) if !b.is_empty() => b,
        _ => super::paragraphs(&text, ""),
    };
    Ok(Document {
        name: name.into(),
        format: Format::Html,
        pages: vec![Page {
            number: 1,
            label: "page 1".into(),
            blocks,
            needs_manual_review: false,
        }],
        warnings: Vec::new(),
    })
}

/// Splits HTML at its block elements, so headings stay headings, list items list items and
/// table rows table rows (cells separated by tabs); each piece's text is taken by the same
/// converter as the whole document (entities decoded, inline markup dropped). None when a
/// piece cannot be converted.
fn structured_blocks(bytes: &[u8]) -> Option<Vec<Block>> {
    let html = String::from_utf8_lossy(bytes);
    let h = html.as_ref();
    let mut blocks = Vec::new();
    let mut seg = String::new();
    let mut kind = BlockKind::Paragraph;
    let mut row: Option<(Vec<String>, bool)> = None;
    let mut n = 0usize;
    let mut skip_until: Option<&'static str> = None;
    let text_of = |s: &str| -> Option<String> {
        let t = html_to_text(s.as_bytes()).ok()?;
        Some(t.trim().to_owned())
    };
    let flush =
        |seg: &mut String, kind: BlockKind, blocks: &mut Vec<Block>, n: &mut usize| -> Option<()> {
            let t = text_of(seg)?;
            seg.clear();
            if !t.is_empty() {
                *n += 1;
                let t = if kind == BlockKind::Paragraph {
                    t
                } else {
                    t.split_whitespace().collect::<Vec<_>>().join(" ")
                };
                blocks.push(Block::new(t, format!("element {n}")).with_kind(kind));
            }
            Some(())
        };
    let mut i = 0;
    while let Some(off) = h[i..].find('<') {
        let lt = i + off;
        let gt = lt + h[lt..].find('>')?;
        let tag_src = &h[lt..=gt];
        let inner = tag_src[1..tag_src.len() - 1].trim_start();
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let before = &h[i..lt];
        if let Some(end) = skip_until {
            if closing && name == end {
                skip_until = None;
            }
            i = gt + 1;
            continue;
        }
        // text before the tag goes to the current cell or segment
        match row.as_mut().and_then(|(cells, _)| cells.last_mut()) {
            Some(cell) => cell.push_str(before),
            None => seg.push_str(before),
        }
        match (name.as_str(), closing) {
            ("script" | "style" | "head" | "title", false) => {
                skip_until = Some(match name.as_str() {
                    "script" => "script",
                    "style" => "style",
                    "head" => "head",
                    _ => "title",
                });
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => {
                flush(&mut seg, kind, &mut blocks, &mut n)?;
                let level = name[1..].parse::<u8>().unwrap_or(3).clamp(1, 3);
                kind = BlockKind::Heading(level);
            }
            ("li", false) => {
                flush(&mut seg, kind, &mut blocks, &mut n)?;
                kind = BlockKind::ListItem;
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "li", true)
            | (
                "p" | "div" | "ul" | "ol" | "table" | "blockquote" | "pre" | "section" | "article",
                _,
            ) => {
                flush(&mut seg, kind, &mut blocks, &mut n)?;
                kind = BlockKind::Paragraph;
            }
            ("br", _) => match row.as_mut().and_then(|(cells, _)| cells.last_mut()) {
                Some(cell) => cell.push(' '),
                None => seg.push_str("<br>"),
            },
            ("tr", false) => {
                flush(&mut seg, kind, &mut blocks, &mut n)?;
                row = Some((Vec::new(), true));
            }
            ("td" | "th", false) => {
                if let Some((cells, all_th)) = row.as_mut() {
                    cells.push(String::new());
                    *all_th &= name == "th";
                }
            }
            ("tr", true) => {
                if let Some((cells, all_th)) = row.take() {
                    let cells: Vec<String> = cells
                        .iter()
                        .map(|c| {
                            text_of(c).map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                        })
                        .collect::<Option<_>>()?;
                    if cells.iter().any(|c| !c.is_empty()) {
                        n += 1;
                        blocks.push(
                            Block::new(cells.join("\t"), format!("table row {n}")).with_kind(
                                if all_th {
                                    BlockKind::TableHeader
                                } else {
                                    BlockKind::TableRow
                                },
                            ),
                        );
                    }
                }
            }
            _ => match row.as_mut().and_then(|(cells, _)| cells.last_mut()) {
                Some(cell) => cell.push_str(tag_src),
                None => seg.push_str(tag_src),
            },
        }
        i = gt + 1;
    }
    seg.push_str(&h[i..]);
    flush(&mut seg, kind, &mut blocks, &mut n)?;
    Some(blocks)
}

/// Plain text of an HTML fragment or page (no wrapping, no link footnotes).
pub(crate) fn html_to_text(bytes: &[u8]) -> Result<String, String> {
    if nesting_depth(bytes) > MAX_DEPTH {
        return Err(format!("elements nest more than {MAX_DEPTH} deep"));
    }
    html2text::config::plain_no_decorate()
        .link_footnotes(false)
        .string_from_read(bytes, 100_000)
        .map_err(|e| e.to_string())
}

/// Approximate maximum element depth: open tags minus close tags, not counting void
/// elements, self-closed tags, and tags HTML lets authors leave open (p, li, td...).
fn nesting_depth(bytes: &[u8]) -> usize {
    const NOT_NESTING: &[&[u8]] = &[
        b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
        b"source", b"track", b"wbr", b"p", b"li", b"td", b"th", b"tr", b"option", b"dt", b"dd",
        b"!", b"?",
    ];
    let mut depth: usize = 0;
    let mut max = 0;
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        i += off + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'!' || **b == b'?')
            .count();
        if len == 0 {
            continue;
        }
        let tag = bytes[start..start + len].to_ascii_lowercase();
        if NOT_NESTING
            .iter()
            .any(|t| *t == tag.as_slice() || tag.starts_with(b"!"))
        {
            continue;
        }
        let self_closed = bytes[start + len..]
            .iter()
            .position(|&b| b == b'>')
            .is_some_and(|end| end > 0 && bytes[start + len + end - 1] == b'/');
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closed {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}
