//! The redacted disclosure bundle and the redaction schedule.
//!
//! True redaction: the bundle is a fresh PDF rendered from extracted text. Redacted text is
//! cut out before layout, so it never reaches the PDF writer; nothing of an input file
//! (hidden layers, metadata, incremental saves, attachments) is copied.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use steward_redact::{Entity, Subject};

use crate::error::{DocumentError, Result};
use crate::model::{BlockKind, Document, Format};
use crate::pipeline::{BlockRef, Outcome, ReasonCode};
use crate::render::{Layout, RedactionStyle, Run};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleOptions {
    pub style: RedactionStyle,
    /// Title on the cover sheet and in the PDF metadata.
    pub title: String,
    /// Date shown on the cover sheet, YYYY-MM-DD.
    pub date: String,
}

impl Default for BundleOptions {
    fn default() -> Self {
        Self {
            style: RedactionStyle::Box,
            title: "Subject access request: disclosure bundle".into(),
            date: today(),
        }
    }
}

/// Today's date (UTC) as YYYY-MM-DD.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn entity_label(entity: Option<Entity>) -> &'static str {
    match entity {
        Some(Entity::PersonName) => "person name",
        Some(Entity::StreetAddress) => "street address",
        Some(Entity::Postcode) => "postcode",
        Some(Entity::Phone) => "phone number",
        Some(Entity::Email) => "email address",
        Some(Entity::NhsNumber) => "NHS number",
        Some(Entity::NiNumber) => "National Insurance number",
        Some(Entity::DateOfBirth) => "date of birth",
        Some(Entity::HospitalNumber) => "hospital number",
        None => "other",
    }
}

/// Splits a block's text into runs, replacing each merged redacted range with its label.
pub(crate) fn block_runs(text: &str, spans: &[(usize, usize, ReasonCode)]) -> Vec<Run> {
    let mut spans: Vec<(usize, usize, ReasonCode)> = spans
        .iter()
        .filter_map(|&(s, e, r)| crate::pipeline::widen(text, s, e).map(|(s, e)| (s, e, r)))
        .collect();
    spans.sort();
    let mut runs = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while i < spans.len() {
        let (s, mut e, reason) = spans[i];
        i += 1;
        while i < spans.len() && spans[i].0 <= e {
            e = e.max(spans[i].1);
            i += 1;
        }
        let s = s.max(pos);
        if s > pos {
            runs.push(Run::Text(text[pos..s].to_owned()));
        }
        if e > s {
            runs.push(Run::Redaction(reason.label().to_owned()));
        }
        pos = pos.max(e);
    }
    if pos < text.len() {
        runs.push(Run::Text(text[pos..].to_owned()));
    }
    runs
}

/// Splits a table row's runs into cells at tab characters.
fn split_cells(runs: Vec<Run>) -> Vec<Vec<Run>> {
    let mut cells: Vec<Vec<Run>> = vec![Vec::new()];
    for run in runs {
        match run {
            Run::Text(t) => {
                for (i, part) in t.split('\t').enumerate() {
                    if i > 0 {
                        cells.push(Vec::new());
                    }
                    if !part.is_empty() {
                        cells
                            .last_mut()
                            .expect("non-empty")
                            .push(Run::Text(part.to_owned()));
                    }
                }
            }
            r => cells.last_mut().expect("non-empty").push(r),
        }
    }
    cells
}

fn spans_by_block(outcomes: &[Outcome]) -> BTreeMap<BlockRef, Vec<(usize, usize, ReasonCode)>> {
    let mut map: BTreeMap<BlockRef, Vec<_>> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.redacts()) {
        map.entry(o.at)
            .or_default()
            .push((o.start, o.end, o.reason));
    }
    map
}

/// Renders the redacted bundle: a cover sheet (subject, date, documents, counts), then each
/// document re-rendered from its text with redactions applied, "Page N of M" on every page.
pub fn write_bundle(
    documents: &[Document],
    outcomes: &[Outcome],
    subject: &Subject,
    options: &BundleOptions,
) -> Result<Vec<u8>> {
    for o in outcomes {
        if crate::pipeline::block_text(documents, o.at).is_none() {
            return Err(DocumentError::BadRedaction(format!(
                "outcome points at no block: {:?}",
                o.at
            )));
        }
    }
    let spans = spans_by_block(outcomes);
    let mut layout = Layout::new(options.style);

    // Cover sheet.
    layout.heading(&options.title, 0);
    layout.paragraph(&[Run::Text(format!("Subject: {}", subject.name))]);
    if let Some(dob) = &subject.date_of_birth {
        layout.paragraph(&[Run::Text(format!("Date of birth: {dob}"))]);
    }
    layout.paragraph(&[Run::Text(format!("Prepared: {}", options.date))]);
    let mut per_doc = vec![0usize; documents.len()];
    let mut per_entity: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut per_reason: BTreeMap<ReasonCode, usize> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.redacts()) {
        per_doc[o.at.document] += 1;
        *per_entity.entry(entity_label(o.entity)).or_default() += 1;
        *per_reason.entry(o.reason).or_default() += 1;
    }
    layout.heading("Documents included", 2);
    let rows: Vec<Vec<String>> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            vec![
                d.name.clone(),
                d.format.label().to_owned(),
                d.pages.len().to_string(),
                per_doc[i].to_string(),
                d.pages_needing_review().count().to_string(),
            ]
        })
        .collect();
    layout.table(
        &[
            "Document".into(),
            "Format".into(),
            "Pages / parts".into(),
            "Redactions".into(),
            "Pages needing manual review".into(),
        ],
        &rows,
    );
    let total: usize = per_doc.iter().sum();
    layout.heading("Redactions", 2);
    layout.paragraph(&[Run::Text(format!(
        "{} withheld. Redactions are shown as {}.",
        if total == 1 {
            "1 item".to_string()
        } else {
            format!("{total} items")
        },
        match options.style {
            RedactionStyle::Box => "black boxes",
            RedactionStyle::Label => "bracketed labels",
        }
    ))]);
    if !per_entity.is_empty() {
        let rows: Vec<Vec<String>> = per_entity
            .iter()
            .map(|(k, v)| vec![(*k).to_owned(), v.to_string()])
            .collect();
        layout.table(&["Type of information".into(), "Count".into()], &rows);
        for (reason, n) in &per_reason {
            layout.paragraph(&[Run::Text(format!(
                "Withheld as {}: {n}",
                reason.legal_basis()
            ))]);
        }
    }
    let review: Vec<String> = documents
        .iter()
        .flat_map(|d| {
            d.pages_needing_review()
                .map(move |p| format!("{}, {}", d.name, p.label))
        })
        .collect();
    if !review.is_empty() {
        layout.heading("Pages not reproduced", 2);
        layout.paragraph(&[Run::Text(
            "These pages have no text layer (for example scanned images). They are not \
             reproduced here and are being reviewed by hand:"
                .into(),
        )]);
        for r in review {
            layout.paragraph_styled(&[Run::Text(format!("•  {r}"))], 10.0, false, false, 10.0);
        }
    }

    // Documents.
    for (d, doc) in documents.iter().enumerate() {
        layout.set_header(Some(doc.name.clone()));
        layout.page_break();
        layout.heading(&doc.name, 1);
        let paged = matches!(doc.format, Format::Pdf | Format::Text);
        for (p, page) in doc.pages.iter().enumerate() {
            if paged && p > 0 {
                layout.page_break();
            }
            let label = if paged {
                format!("Original {}", page.label)
            } else {
                page.label.clone()
            };
            layout.heading(&label, 3);
            if page.needs_manual_review {
                layout.note(
                    "[This page has no text layer (for example a scanned image) and is not \
                     reproduced here: it needs manual review.]",
                );
                continue;
            }
            let runs_of = |b: usize| {
                let at = BlockRef {
                    document: d,
                    page: p,
                    block: b,
                };
                let text = &page.blocks[b].text;
                match spans.get(&at) {
                    Some(s) => block_runs(text, s),
                    None => vec![Run::Text(text.clone())],
                }
            };
            let mut b = 0;
            while b < page.blocks.len() {
                let block = &page.blocks[b];
                match block.kind {
                    BlockKind::TableHeader | BlockKind::TableRow => {
                        // Consecutive rows make one table; a header row opens it.
                        let mut header = Vec::new();
                        let mut rows = Vec::new();
                        let mut k = b;
                        while k < page.blocks.len()
                            && matches!(
                                page.blocks[k].kind,
                                BlockKind::TableHeader | BlockKind::TableRow
                            )
                        {
                            if page.blocks[k].kind == BlockKind::TableHeader && k > b {
                                break;
                            }
                            let cells = split_cells(runs_of(k));
                            if page.blocks[k].kind == BlockKind::TableHeader {
                                header = cells;
                            } else {
                                rows.push(cells);
                            }
                            k += 1;
                        }
                        layout.table_runs(&header, &rows);
                        b = k;
                        continue;
                    }
                    BlockKind::Heading(level) => {
                        let level = level.clamp(1, 3);
                        layout.heading_runs(&runs_of(b), level.max(2));
                    }
                    BlockKind::ListItem => {
                        let mut runs = vec![Run::Text("\u{2022}  ".into())];
                        runs.extend(runs_of(b));
                        layout.paragraph_styled(&runs, 10.0, false, false, 12.0);
                        layout.space(3.0);
                    }
                    BlockKind::Field => {
                        layout.paragraph_styled(&runs_of(b), 10.0, false, false, 0.0);
                        layout.space(2.0);
                    }
                    BlockKind::Paragraph => layout.paragraph(&runs_of(b)),
                }
                b += 1;
            }
        }
    }
    layout.finish(&options.title, "Disclosure bundle: contains redactions")
}

/// One row per outcome: where, what type, which rule, the reviewer's decision and reason.
/// The redacted text itself is never written to the schedule.
pub fn schedule_rows(documents: &[Document], outcomes: &[Outcome]) -> Vec<Vec<String>> {
    outcomes
        .iter()
        .map(|o| {
            let doc = &documents[o.at.document];
            let page = &doc.pages[o.at.page];
            let block = &page.blocks[o.at.block];
            let from = block.text[..o.start].chars().count() + 1;
            let to = block.text[..o.end].chars().count();
            vec![
                doc.name.clone(),
                page.label.clone(),
                format!("{}, characters {from}-{to}", block.source),
                entity_label(o.entity).to_owned(),
                o.rule.clone(),
                o.decision.label().to_owned(),
                match &o.note {
                    Some(n) if o.decision == crate::pipeline::DecisionKind::Kept => n.clone(),
                    Some(n) if !n.is_empty() => format!("{} ({n})", o.reason.code()),
                    _ => o.reason.code().to_owned(),
                },
            ]
        })
        .collect()
}

pub const SCHEDULE_HEADER: [&str; 7] = [
    "document",
    "page",
    "position",
    "redacted entity type",
    "rule",
    "reviewer decision",
    "reason",
];

pub fn schedule_csv(documents: &[Document], outcomes: &[Outcome]) -> Result<Vec<u8>> {
    let mut w = steward_csv::Writer::in_memory();
    let err = |e: steward_csv::Error| DocumentError::Render {
        what: "schedule CSV",
        detail: e.to_string(),
    };
    w.write_record(SCHEDULE_HEADER).map_err(err)?;
    for row in schedule_rows(documents, outcomes) {
        w.write_record(&row).map_err(err)?;
    }
    w.into_inner().map_err(|e| DocumentError::Render {
        what: "schedule CSV",
        detail: e.to_string(),
    })
}

/// The same table as [`schedule_csv`], as a PDF.
pub fn schedule_pdf(
    documents: &[Document],
    outcomes: &[Outcome],
    options: &BundleOptions,
) -> Result<Vec<u8>> {
    let spec = crate::spec::DocumentSpec::new("Redaction schedule")
        .paragraph(format!(
            "{} — prepared {}. {} entries.",
            options.title,
            options.date,
            outcomes.len()
        ))
        .table(
            SCHEDULE_HEADER.iter().map(|s| s.to_string()).collect(),
            schedule_rows(documents, outcomes),
        );
    crate::spec::write_pdf(&spec)
}
