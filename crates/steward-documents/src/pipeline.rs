//! Detection over documents, with provenance, and the reviewer's decisions applied.
//! The CLI and the web reviewer share this path: [`redact_documents`] (or
//! [`redact_documents_with`]) proposes, [`apply_decisions`] turns proposals plus a
//! [`Review`] into [`Outcome`]s, and [`crate::bundle`] renders them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use steward_redact::{Entity, Flag, FlagCategory, Kept, KeptReason, Proposal};

use crate::error::{DocumentError, Result};
use crate::ingest::{read_document, Limits};
use crate::model::{Document, InputFile};

/// Where a piece of text is: indexes into `documents[d].pages[p].blocks[b]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlockRef {
    pub document: usize,
    /// Index into `pages` (not the page number; see [`crate::model::Page::number`]).
    pub page: usize,
    pub block: usize,
}

/// A detector proposal placed in its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocProposal {
    /// Stable within a run: the index in [`RedactionRun::proposals`].
    pub id: usize,
    pub at: BlockRef,
    /// Byte range within the block text.
    pub start: usize,
    pub end: usize,
    pub entity: Entity,
    pub rule: String,
}

/// A passage flagged for a clinician (never redacted automatically).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocFlag {
    pub at: BlockRef,
    pub start: usize,
    pub end: usize,
    pub category: FlagCategory,
    pub matched: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedactionRun {
    pub documents: Vec<Document>,
    pub proposals: Vec<DocProposal>,
    pub flags: Vec<DocFlag>,
    /// Found but kept because Steward knows whose it is (see
    /// [`steward_redact::KnownParties`]); listed in the schedule as kept, with the reason.
    #[serde(default)]
    pub kept: Vec<DocKept>,
}

/// An item kept because it is known (the organisation's details, a member of staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocKept {
    pub at: BlockRef,
    pub start: usize,
    pub end: usize,
    pub entity: Option<Entity>,
    pub reason: KeptReason,
    pub matched: String,
}

impl RedactionRun {
    /// [`apply_decisions`] plus one [`DecisionKind::Kept`] outcome per kept item, for the
    /// schedule ("kept: a member of the organisation's staff"). Kept outcomes redact nothing.
    pub fn outcomes(&self, review: &Review) -> Result<Vec<Outcome>> {
        let mut out = apply_decisions(&self.documents, &self.proposals, review)?;
        for k in &self.kept {
            out.push(Outcome {
                proposal: None,
                at: k.at,
                start: k.start,
                end: k.end,
                entity: k.entity,
                rule: "known_to_steward".into(),
                decision: DecisionKind::Kept,
                reason: ReasonCode::Other,
                note: Some(format!("{} ({})", k.reason.label(), k.matched)),
            });
        }
        out.sort_by_key(|o| (o.at, o.start, o.end));
        Ok(out)
    }

    pub fn block_text(&self, at: BlockRef) -> Option<&str> {
        block_text(&self.documents, at)
    }

    pub fn proposals_by_entity(&self) -> BTreeMap<Entity, usize> {
        let mut m = BTreeMap::new();
        for p in &self.proposals {
            *m.entry(p.entity).or_insert(0) += 1;
        }
        m
    }

    pub fn page_count(&self) -> usize {
        self.documents.iter().map(|d| d.pages.len()).sum()
    }

    /// (document name, page label) of every page that needs manual review.
    pub fn pages_needing_review(&self) -> Vec<(String, String)> {
        self.documents
            .iter()
            .flat_map(|d| {
                d.pages_needing_review()
                    .map(move |p| (d.name.clone(), p.label.clone()))
            })
            .collect()
    }
}

pub(crate) fn block_text(documents: &[Document], at: BlockRef) -> Option<&str> {
    documents
        .get(at.document)?
        .pages
        .get(at.page)?
        .blocks
        .get(at.block)
        .map(|b| b.text.as_str())
}

/// Reads every input and runs `detector` on each block (blocks are spread over the cores;
/// results keep document order). Fails on the first input that cannot be read (a
/// disclosure must not silently omit a document).
pub fn redact_documents_with<F>(
    inputs: &[InputFile],
    limits: &Limits,
    detector: F,
) -> Result<RedactionRun>
where
    F: Fn(&str) -> (Vec<Proposal>, Vec<Flag>) + Sync,
{
    redact_documents_detecting(inputs, limits, |text| {
        let (p, f) = detector(text);
        (p, f, Vec::new())
    })
}

/// Runs the steward-redact detector over every block, keeping what Steward knows
/// ([`steward_redact::KnownParties`]): the organisation's own details and its staff's names
/// are not proposed, and are listed in [`RedactionRun::kept`].
pub fn redact_documents_known(
    inputs: &[InputFile],
    subject: &steward_redact::Subject,
    known: &steward_redact::KnownParties,
    rules: &steward_redact::detect::Rules,
    options: &steward_redact::detect::Options,
) -> Result<RedactionRun> {
    redact_documents_detecting(inputs, &Limits::default(), |text| {
        let d = steward_redact::detect_with(text, subject, known, rules, options);
        (d.proposals, d.flags, d.kept)
    })
}

/// [`redact_documents_with`] for a detector that also reports kept items.
pub fn redact_documents_detecting<F>(
    inputs: &[InputFile],
    limits: &Limits,
    detector: F,
) -> Result<RedactionRun>
where
    F: Fn(&str) -> (Vec<Proposal>, Vec<Flag>, Vec<Kept>) + Sync,
{
    let mut documents = Vec::with_capacity(inputs.len());
    for input in inputs {
        documents.push(read_document(input, limits)?);
    }
    let mut blocks: Vec<(BlockRef, &str)> = Vec::new();
    for (d, doc) in documents.iter().enumerate() {
        for (p, page) in doc.pages.iter().enumerate() {
            for (b, block) in page.blocks.iter().enumerate() {
                let at = BlockRef {
                    document: d,
                    page: p,
                    block: b,
                };
                blocks.push((at, block.text.as_str()));
            }
        }
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
        .min(blocks.len().div_ceil(256).max(1));
    // A table row is read under its header row ("DOB" over a column of dates), then the
    // findings are moved back onto the row.
    let mut headers: Vec<Option<&str>> = Vec::with_capacity(blocks.len());
    {
        let mut last: Option<(usize, usize, &str)> = None;
        for (at, _) in &blocks {
            let block = &documents[at.document].pages[at.page].blocks[at.block];
            match block.kind {
                crate::model::BlockKind::TableHeader => {
                    last = Some((at.document, at.page, block.text.as_str()));
                    headers.push(None);
                }
                crate::model::BlockKind::TableRow => headers.push(
                    last.filter(|(d, p, _)| *d == at.document && *p == at.page)
                        .map(|(_, _, h)| h),
                ),
                _ => {
                    last = None;
                    headers.push(None);
                }
            }
        }
    }
    let inner = &detector;
    let with_header = |text: &str, header: Option<&str>| {
        let Some(h) = header else {
            return inner(text);
        };
        let joined = format!("{h}\n{text}");
        let off = h.len() + 1;
        let (p, f, k) = inner(&joined);
        let p = p
            .into_iter()
            .filter(|x| x.start >= off)
            .map(|mut x| {
                x.start -= off;
                x.end -= off;
                x
            })
            .collect();
        let f = f
            .into_iter()
            .filter(|x| x.start >= off)
            .map(|mut x| {
                x.start -= off;
                x.end -= off;
                x
            })
            .collect();
        let k = k
            .into_iter()
            .filter(|x| x.start >= off)
            .map(|mut x| {
                x.start -= off;
                x.end -= off;
                x
            })
            .collect();
        (p, f, k)
    };
    let items: Vec<(&str, Option<&str>)> = blocks
        .iter()
        .zip(&headers)
        .map(|((_, t), h)| (*t, *h))
        .collect();
    let detector = &with_header;
    let results: Vec<(Vec<Proposal>, Vec<Flag>, Vec<Kept>)> = if workers <= 1 {
        items.iter().map(|(text, h)| detector(text, *h)).collect()
    } else {
        let chunk = items.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = items
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|(text, h)| detector(text, *h))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    let mut proposals = Vec::new();
    let mut flags = Vec::new();
    let mut kept = Vec::new();
    for ((at, text), (found, flagged, known)) in blocks.iter().zip(results) {
        for k in known {
            let Some((start, end)) = widen(text, k.start, k.end) else {
                continue;
            };
            kept.push(DocKept {
                at: *at,
                start,
                end,
                entity: k.entity,
                reason: k.reason,
                matched: k.matched,
            });
        }
        for prop in found {
            let Some((start, end)) = widen(text, prop.start, prop.end) else {
                continue;
            };
            proposals.push(DocProposal {
                id: proposals.len(),
                at: *at,
                start,
                end,
                entity: prop.entity,
                rule: prop.rule,
            });
        }
        for f in flagged {
            let Some((start, end)) = widen(text, f.start, f.end) else {
                continue;
            };
            flags.push(DocFlag {
                at: *at,
                start,
                end,
                category: f.category,
                matched: f.matched,
            });
        }
    }
    drop(blocks);
    Ok(RedactionRun {
        documents,
        proposals,
        flags,
        kept,
    })
}

/// Runs the steward-redact detector over every block of every input (default limits).
pub fn redact_documents(
    inputs: &[InputFile],
    subject: &steward_redact::Subject,
    rules: &steward_redact::detect::Rules,
    options: &steward_redact::detect::Options,
) -> Result<RedactionRun> {
    redact_documents_with(inputs, &Limits::default(), |text| {
        let d = steward_redact::detect::detect(text, subject, rules, options);
        (d.proposals, d.flags)
    })
}

/// Clamps a byte range to the text and widens it outwards to character boundaries
/// (fail closed: never redact less than asked). None when empty.
pub(crate) fn widen(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let mut start = start.min(text.len());
    let mut end = end.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start < end).then_some((start, end))
}

/// The reviewer's verdict on a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accept,
    Reject,
}

/// Why information is withheld (Data Protection Act 2018 exemptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Third-party information, Sch 2 Part 3 para 16.
    ThirdParty,
    /// Serious harm test, Sch 3 Part 2 para 5.
    SeriousHarm,
    /// Disclosure prohibited by an enactment, Sch 4.
    RestrictedByLaw,
    Other,
}

impl ReasonCode {
    pub fn code(self) -> &'static str {
        match self {
            ReasonCode::ThirdParty => "third_party",
            ReasonCode::SeriousHarm => "serious_harm",
            ReasonCode::RestrictedByLaw => "restricted_by_law",
            ReasonCode::Other => "other",
        }
    }
    /// Short label shown in the bundle: "[REDACTED: third party]".
    pub fn label(self) -> &'static str {
        match self {
            ReasonCode::ThirdParty => "[REDACTED: third party]",
            ReasonCode::SeriousHarm => "[REDACTED: serious harm]",
            ReasonCode::RestrictedByLaw => "[REDACTED: restricted by law]",
            ReasonCode::Other => "[REDACTED]",
        }
    }
    pub fn legal_basis(self) -> &'static str {
        match self {
            ReasonCode::ThirdParty => "third-party information (DPA 2018 Sch 2 Part 3 para 16)",
            ReasonCode::SeriousHarm => "serious harm (DPA 2018 Sch 3 Part 2 para 5)",
            ReasonCode::RestrictedByLaw => "disclosure prohibited by law (DPA 2018 Sch 4)",
            ReasonCode::Other => "other exemption",
        }
    }
}

impl std::str::FromStr for ReasonCode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "third_party" => Ok(ReasonCode::ThirdParty),
            "serious_harm" => Ok(ReasonCode::SeriousHarm),
            "restricted_by_law" => Ok(ReasonCode::RestrictedByLaw),
            "other" => Ok(ReasonCode::Other),
            _ => Err(format!("unknown reason code {s:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub proposal: usize,
    pub verdict: Verdict,
    /// Defaults to third party.
    #[serde(default)]
    pub reason: Option<ReasonCode>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A redaction the reviewer added by hand (byte range of a block's text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualRedaction {
    pub at: BlockRef,
    pub start: usize,
    pub end: usize,
    #[serde(default)]
    pub entity: Option<Entity>,
    pub reason: ReasonCode,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub decisions: Vec<Decision>,
    pub manual: Vec<ManualRedaction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Accepted,
    Rejected,
    /// No decision recorded: redacted (fail closed).
    Unreviewed,
    Manual,
    /// Known to Steward (the organisation's details, a member of staff): kept, not redacted.
    Kept,
}

impl DecisionKind {
    pub fn label(self) -> &'static str {
        match self {
            DecisionKind::Accepted => "accepted",
            DecisionKind::Rejected => "rejected (disclosed)",
            DecisionKind::Unreviewed => "not reviewed (redacted)",
            DecisionKind::Manual => "manual addition",
            DecisionKind::Kept => "kept (known to Steward)",
        }
    }
}

/// One line of the redaction schedule: a proposal with its decision, or a manual addition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub proposal: Option<usize>,
    pub at: BlockRef,
    pub start: usize,
    pub end: usize,
    pub entity: Option<Entity>,
    pub rule: String,
    pub decision: DecisionKind,
    pub reason: ReasonCode,
    pub note: Option<String>,
}

impl Outcome {
    /// True when this outcome removes text from the bundle.
    pub fn redacts(&self) -> bool {
        !matches!(self.decision, DecisionKind::Rejected | DecisionKind::Kept)
    }
}

/// Applies reviewer decisions to proposals. Proposals without a decision stay redacted;
/// a decision for an unknown proposal, or a manual redaction outside its block, is an error.
pub fn apply_decisions(
    documents: &[Document],
    proposals: &[DocProposal],
    review: &Review,
) -> Result<Vec<Outcome>> {
    let mut by_id: HashMap<usize, &Decision> = HashMap::new();
    for d in &review.decisions {
        if !proposals.iter().any(|p| p.id == d.proposal) {
            return Err(DocumentError::BadRedaction(format!(
                "decision for unknown proposal {}",
                d.proposal
            )));
        }
        by_id.insert(d.proposal, d);
    }
    let mut out = Vec::with_capacity(proposals.len() + review.manual.len());
    for p in proposals {
        let text = block_text(documents, p.at).ok_or_else(|| {
            DocumentError::BadRedaction(format!("proposal {} points at no block", p.id))
        })?;
        let (start, end) = widen(text, p.start, p.end).ok_or_else(|| {
            DocumentError::BadRedaction(format!("proposal {} has an empty range", p.id))
        })?;
        let (decision, reason, note) = match by_id.get(&p.id) {
            Some(d) => (
                match d.verdict {
                    Verdict::Accept => DecisionKind::Accepted,
                    Verdict::Reject => DecisionKind::Rejected,
                },
                d.reason.unwrap_or(ReasonCode::ThirdParty),
                d.note.clone(),
            ),
            None => (DecisionKind::Unreviewed, ReasonCode::ThirdParty, None),
        };
        out.push(Outcome {
            proposal: Some(p.id),
            at: p.at,
            start,
            end,
            entity: Some(p.entity),
            rule: p.rule.clone(),
            decision,
            reason,
            note,
        });
    }
    for m in &review.manual {
        let text = block_text(documents, m.at).ok_or_else(|| {
            DocumentError::BadRedaction(format!("manual redaction points at no block: {:?}", m.at))
        })?;
        if m.end > text.len() || m.start >= m.end {
            return Err(DocumentError::BadRedaction(format!(
                "manual redaction {}..{} outside block of {} bytes",
                m.start,
                m.end,
                text.len()
            )));
        }
        let (start, end) = widen(text, m.start, m.end).expect("checked non-empty");
        out.push(Outcome {
            proposal: None,
            at: m.at,
            start,
            end,
            entity: m.entity,
            rule: "manual".into(),
            decision: DecisionKind::Manual,
            reason: m.reason,
            note: m.note.clone(),
        });
    }
    out.sort_by_key(|o| (o.at, o.start, o.end));
    Ok(out)
}
