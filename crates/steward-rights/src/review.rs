//! Redaction review of a request (feature `service`): documents uploaded to the request, the
//! engine run with the subject built from the request, the reviewer's decisions, and the
//! redacted bundle with its schedule.
//!
//! The engine (steward-redact) and the bundle writer (steward-documents) do the work; this
//! module stores files under the data folder and rows in the database, checks organisation and
//! role, and records every run, decision and download in the audit trail.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;
use steward_core::records::clean_filename;
use steward_core::time::{iso_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult};
use steward_db::{AnyRow, Row};
use steward_documents::pipeline::DocFlag;
use steward_documents::{
    detect_format, redact_documents_known, schedule_csv, schedule_pdf, write_bundle, BlockRef,
    BundleOptions, Decision, InputFile, ManualRedaction, ReasonCode, RedactionRun, RedactionStyle,
    Review, Verdict,
};

use crate::requests::{Rights, KIND, RECORD_TYPE};

/// Reason codes offered to the reviewer, with their labels.
pub const REASON_CODES: [(&str, &str); 4] = [
    (
        "third_party",
        "Third-party information (DPA 2018 Sch 2 Part 3 para 16)",
    ),
    (
        "serious_harm",
        "Serious harm (DPA 2018 Sch 3 Part 2 para 5)",
    ),
    (
        "restricted_by_law",
        "Disclosure prohibited by law (DPA 2018 Sch 4)",
    ),
    ("other", "Other exemption (say which in the note)"),
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RedactionDocument {
    pub id: String,
    pub filename: String,
    pub format: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub id: String,
    pub at: String,
    pub by: String,
    pub documents: i64,
    pub pages: i64,
    pub proposals: i64,
    pub flags: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub undecided: i64,
    pub manual: i64,
    /// Found but kept because Steward knows whose it is (the organisation's own details, a
    /// member of staff).
    pub kept: i64,
}

/// A proposal shown in context for the reviewer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    pub seq: i64,
    pub document: String,
    pub page: String,
    /// person_name, street_address, postcode, phone, email, nhs_number, ni_number,
    /// date_of_birth, hospital_number
    pub entity: String,
    pub entity_label: String,
    pub rule: String,
    pub before: String,
    pub text: String,
    pub after: String,
    /// accept, reject, or None while undecided (undecided proposals are redacted)
    pub decision: Option<String>,
    pub reason_code: String,
    pub note: String,
    pub reviewer: String,
}

/// A passage flagged for the clinician (safeguarding, police or court, given in confidence,
/// restricted by law): never redacted automatically.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagView {
    pub document: String,
    pub page: String,
    pub category: String,
    pub matched: String,
    pub before: String,
    pub text: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ManualView {
    pub id: String,
    pub document: String,
    pub page: String,
    pub text: String,
    pub reason_code: String,
    pub note: String,
    pub reviewer: String,
}

/// A passage the engine found and kept, not redacted, because Steward knows whose it is: the
/// organisation's own details (its letterhead) or a member of staff named in their role.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeptView {
    pub document: String,
    pub page: String,
    /// organisation_details or staff_member
    pub reason: String,
    /// In plain words: "Kept: the practice's own details", "Kept: staff member".
    pub reason_label: String,
    /// What it matched, for the organisation's details: "telephone", "e-mail", "postcode",
    /// "address", "name or address".
    pub matched: String,
    pub before: String,
    pub text: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewScreen {
    pub run: RunSummary,
    pub proposals: Vec<ProposalView>,
    pub flags: Vec<FlagView>,
    pub manual: Vec<ManualView>,
    /// Kept by default: the organisation's own details and its staff's names.
    pub kept: Vec<KeptView>,
    /// "document: page" of pages without a text layer: they need manual review.
    pub pages_needing_review: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutputFile {
    pub id: String,
    /// bundle_pdf, schedule_csv or schedule_pdf
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub at: String,
}

fn content_type_of(kind: &str) -> &'static str {
    match kind {
        "schedule_csv" => "text/csv; charset=utf-8",
        _ => "application/pdf",
    }
}

/// Context either side of a redaction, cut at character boundaries.
fn context(text: &str, start: usize, end: usize) -> (String, String, String) {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ceil = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    let (s, e) = (floor(start), ceil(end.max(start)));
    let b = floor(s.saturating_sub(90));
    let a = ceil((e + 90).min(text.len()));
    let before = if b > 0 {
        format!("…{}", &text[b..s])
    } else {
        text[b..s].to_string()
    };
    let after = if a < text.len() {
        format!("{}…", &text[e..a])
    } else {
        text[e..a].to_string()
    };
    (before, text[s..e].to_string(), after)
}

fn entity_code(e: steward_redact::Entity) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn category_label(c: steward_redact::FlagCategory) -> &'static str {
    match c {
        steward_redact::FlagCategory::Safeguarding => "Safeguarding or child protection",
        steward_redact::FlagCategory::PoliceOrCourt => "Police or court information",
        steward_redact::FlagCategory::GivenInConfidence => "Given in confidence by a third party",
        steward_redact::FlagCategory::RestrictedByLaw => "Disclosure restricted by law",
    }
}

/// "Kept: the practice's own details" / "Kept: staff member": the schedule's and the review's
/// words for an item kept because Steward knows whose it is. `noun` is "practice" for a GP
/// practice, else "organisation".
pub fn kept_label(reason: steward_redact::KeptReason, noun: &str) -> String {
    match reason {
        steward_redact::KeptReason::OrganisationDetails => {
            format!("Kept: the {noun}'s own details")
        }
        steward_redact::KeptReason::StaffMember => "Kept: staff member".into(),
    }
}

fn kept_code(reason: steward_redact::KeptReason) -> &'static str {
    match reason {
        steward_redact::KeptReason::OrganisationDetails => "organisation_details",
        steward_redact::KeptReason::StaffMember => "staff_member",
    }
}

fn reason_of(s: &str) -> Option<ReasonCode> {
    s.parse().ok()
}

/// A decision taken over from an earlier run.
struct Carried {
    seq: Option<i64>,
    verdict: String,
    reason: String,
    note: String,
    place: Option<(BlockRef, usize, usize)>,
}

struct DecisionRow {
    id: String,
    seq: Option<i64>,
    verdict: String,
    reason: String,
    note: String,
    at: Option<BlockRef>,
    start: i64,
    end: i64,
    reviewer: String,
}

fn decision_from(r: &AnyRow) -> CoreResult<DecisionRow> {
    let at = match (
        r.try_get::<Option<i64>, _>("document_index")?,
        r.try_get::<Option<i64>, _>("page_index")?,
        r.try_get::<Option<i64>, _>("block_index")?,
    ) {
        (Some(d), Some(p), Some(b)) => Some(BlockRef {
            document: d as usize,
            page: p as usize,
            block: b as usize,
        }),
        _ => None,
    };
    Ok(DecisionRow {
        id: r.try_get("id")?,
        seq: r.try_get("proposal_seq")?,
        verdict: r.try_get("verdict")?,
        reason: r.try_get("reason_code")?,
        note: r.try_get("note")?,
        at,
        start: r.try_get::<Option<i64>, _>("start_byte")?.unwrap_or(0),
        end: r.try_get::<Option<i64>, _>("end_byte")?.unwrap_or(0),
        reviewer: r
            .try_get::<Option<String>, _>("display_name")?
            .unwrap_or_default(),
    })
}

impl Rights<'_> {
    fn request_dir(&self, organisation_id: &str, request_id: &str) -> PathBuf {
        self.steward
            .config
            .data_dir
            .join("rights")
            .join(organisation_id)
            .join(request_id)
    }

    fn write_file(path: &PathBuf, bytes: &[u8]) -> CoreResult<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                CoreError::Internal(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        std::fs::write(path, bytes)
            .map_err(|e| CoreError::Internal(format!("cannot write {}: {e}", path.display())))
    }

    /// The request's organisation, checked for reading.
    async fn readable(&self, caller: &Caller, request_id: &str) -> CoreResult<String> {
        let p = self
            .steward
            .permit::<ops::Read>(caller, KIND, request_id)
            .await?;
        Ok(p.organisation_id().to_string())
    }

    /// The request's organisation, checked for writing; closed requests take no new work.
    async fn writable(&self, caller: &Caller, request_id: &str) -> CoreResult<String> {
        let org = self
            .steward
            .permit::<ops::Change>(caller, KIND, request_id)
            .await?
            .organisation_id()
            .to_string();
        let status: String =
            steward_db::query_scalar("SELECT status FROM rights_requests WHERE id = $1")
                .bind(request_id)
                .fetch_one(&self.steward.db.pool)
                .await?;
        if matches!(status.as_str(), "completed" | "refused" | "withdrawn") {
            return Err(CoreError::Conflict(
                "This request is closed; it can no longer be changed.".into(),
            ));
        }
        Ok(org)
    }

    /// Adds a document to disclose: text, HTML, DOCX, PDF with a text layer, CSV or FHIR R4
    /// JSON. The original is stored as uploaded and never altered.
    pub async fn add_document(
        &self,
        caller: &Caller,
        request_id: &str,
        filename: &str,
        bytes: &[u8],
    ) -> CoreResult<RedactionDocument> {
        let org = self.writable(caller, request_id).await?;
        let filename = clean_filename(filename);
        if bytes.is_empty() {
            return Err(CoreError::invalid("file", "The selected file is empty"));
        }
        let max = self.steward.config.max_attachment_bytes;
        if bytes.len() > max {
            return Err(CoreError::invalid(
                "file",
                format!(
                    "The selected file must be smaller than {} MB",
                    max / (1024 * 1024)
                ),
            ));
        }
        let format = detect_format(&filename, bytes).map_err(|_| {
            CoreError::invalid(
                "file",
                "The selected file must be text, HTML, DOCX, PDF, CSV or FHIR JSON",
            )
        })?;
        let id = uuid::Uuid::new_v4().to_string();
        Self::write_file(
            &self
                .request_dir(&org, request_id)
                .join("documents")
                .join(&id),
            bytes,
        )?;
        let sha = steward_core::auth::hash_bytes(bytes);
        let at = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO redaction_documents (id, request_id, organisation_id, filename, format, size, sha256, uploaded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(request_id)
        .bind(&org)
        .bind(&filename)
        .bind(format.label())
        .bind(bytes.len() as i64)
        .bind(&sha)
        .bind(&caller.user_id)
        .bind(&at)
        .execute(&mut *w.tx)
        .await?;
        let mut e = TrailEntry::for_record(
            caller,
            "redaction.document_added",
            &org,
            RECORD_TYPE,
            request_id,
        );
        e.detail = format!("{filename} ({} bytes, sha256 {sha})", bytes.len());
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        Ok(RedactionDocument {
            id,
            filename,
            format: format.label().into(),
            size: bytes.len() as i64,
            sha256: sha,
            uploaded_by: caller.display_name.clone(),
            at,
        })
    }

    pub async fn documents(
        &self,
        caller: &Caller,
        request_id: &str,
    ) -> CoreResult<Vec<RedactionDocument>> {
        self.readable(caller, request_id).await?;
        let rows = steward_db::query(
            "SELECT d.*, u.display_name FROM redaction_documents d LEFT JOIN users u ON u.id = d.uploaded_by WHERE d.request_id = $1 ORDER BY d.at",
        )
        .bind(request_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RedactionDocument {
                    id: r.try_get("id")?,
                    filename: r.try_get("filename")?,
                    format: r.try_get("format")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    uploaded_by: r
                        .try_get::<Option<String>, _>("display_name")?
                        .unwrap_or_default(),
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Runs the engine over every document of the request, with the subject built from the
    /// request (their own names, date of birth, NHS number, addresses, phone and email are
    /// kept). Decisions of the previous run carry over to the same passages.
    pub async fn run_redaction(&self, caller: &Caller, request_id: &str) -> CoreResult<RunSummary> {
        let org = self.writable(caller, request_id).await?;
        let docs = self.documents(caller, request_id).await?;
        if docs.is_empty() {
            return Err(CoreError::Conflict(
                "Upload the documents to disclose first".into(),
            ));
        }
        let dir = self.request_dir(&org, request_id);
        let mut inputs = Vec::with_capacity(docs.len());
        for d in &docs {
            let bytes = std::fs::read(dir.join("documents").join(&d.id))
                .map_err(|e| CoreError::Internal(format!("document file missing: {e}")))?;
            inputs.push(InputFile::new(d.filename.clone(), bytes));
        }
        let subject = {
            let mut tx = self.steward.db.begin().await?;
            let s = self.subject_for_redaction(&mut tx, request_id).await?;
            tx.commit().await?;
            s
        };
        // Kept by default: the organisation's own details and its staff's names.
        let known = crate::requests::known_parties(&self.steward.known_to_steward(&org).await?);
        // Detection is CPU work: off the async threads.
        let run = tokio::task::spawn_blocking(move || {
            redact_documents_known(
                &inputs,
                &subject,
                &known,
                &steward_redact::Rules::builtin(),
                &steward_redact::Options::default(),
            )
        })
        .await
        .map_err(|e| CoreError::Internal(format!("redaction task failed: {e}")))?
        .map_err(|e| CoreError::invalid("file", e.to_string()))?;
        let id = uuid::Uuid::new_v4().to_string();
        let json = serde_json::to_vec(&run)
            .map_err(|e| CoreError::Internal(format!("cannot store run: {e}")))?;
        Self::write_file(&dir.join("runs").join(format!("{id}.json")), &json)?;
        // The review done so far carries over to the same passages of the new run, so adding a
        // document does not undo it.
        let carried = match self.latest_run_id(request_id).await? {
            Some(prev) => self.carry_over(&org, request_id, &prev, &run).await?,
            None => Vec::new(),
        };
        let at = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO redaction_runs (id, request_id, organisation_id, documents, pages, proposals, flags, kept, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(request_id)
        .bind(&org)
        .bind(run.documents.len() as i64)
        .bind(run.page_count() as i64)
        .bind(run.proposals.len() as i64)
        .bind(run.flags.len() as i64)
        .bind(run.kept.len() as i64)
        .bind(&caller.user_id)
        .bind(&at)
        .execute(&mut *w.tx)
        .await?;
        for p in &run.proposals {
            steward_db::query(
                "INSERT INTO redaction_proposals (run_id, seq, organisation_id, document_index, page_index, block_index, start_byte, end_byte, entity, rule) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&id)
            .bind(p.id as i64)
            .bind(&org)
            .bind(p.at.document as i64)
            .bind(p.at.page as i64)
            .bind(p.at.block as i64)
            .bind(p.start as i64)
            .bind(p.end as i64)
            .bind(entity_code(p.entity))
            .bind(&p.rule)
            .execute(&mut *w.tx)
            .await?;
        }
        for (i, f) in run.flags.iter().enumerate() {
            steward_db::query(
                "INSERT INTO redaction_flags (run_id, seq, organisation_id, document_index, page_index, block_index, start_byte, end_byte, category, matched) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&id)
            .bind(i as i64)
            .bind(&org)
            .bind(f.at.document as i64)
            .bind(f.at.page as i64)
            .bind(f.at.block as i64)
            .bind(f.start as i64)
            .bind(f.end as i64)
            .bind(category_label(f.category))
            .bind(&f.matched)
            .execute(&mut *w.tx)
            .await?;
        }
        for c in &carried {
            let reason = reason_of(&c.reason).unwrap_or(ReasonCode::ThirdParty);
            self.insert_decision(
                &mut w.tx, caller, &org, &id, c.seq, &c.verdict, reason, &c.note, c.place,
            )
            .await?;
        }
        let mut e = TrailEntry::for_record(caller, "redaction.run", &org, RECORD_TYPE, request_id);
        e.detail = format!(
            "run {id}: {} documents, {} pages, {} proposals, {} flags, {} kept as known to Steward, {} decisions carried over",
            run.documents.len(),
            run.page_count(),
            run.proposals.len(),
            run.flags.len(),
            run.kept.len(),
            carried.len()
        );
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        self.run_summary(&id).await
    }

    /// Decisions of an earlier run that apply to the new one: a proposal of the same entity over
    /// the same text in the same document takes the earlier verdict; a manual redaction is
    /// applied again wherever its text occurs.
    async fn carry_over(
        &self,
        org: &str,
        request_id: &str,
        prev_id: &str,
        new: &RedactionRun,
    ) -> CoreResult<Vec<Carried>> {
        let Ok(prev) = self.load_run(org, request_id, prev_id) else {
            return Ok(Vec::new());
        };
        let key = |run: &RedactionRun,
                   at: BlockRef,
                   start: usize,
                   end: usize|
         -> Option<(String, String)> {
            Some((
                run.documents.get(at.document)?.name.clone(),
                run.block_text(at)?.get(start..end)?.to_string(),
            ))
        };
        let decisions = self.latest_decisions(prev_id).await?;
        let mut earlier: HashMap<(String, String, String), &DecisionRow> = HashMap::new();
        for q in &prev.proposals {
            if let (Some(d), Some((doc, text))) = (
                decisions.get(&(q.id as i64)),
                key(&prev, q.at, q.start, q.end),
            ) {
                earlier.insert((entity_code(q.entity), doc, text), d);
            }
        }
        let mut out = Vec::new();
        for p in &new.proposals {
            let Some((doc, text)) = key(new, p.at, p.start, p.end) else {
                continue;
            };
            if let Some(d) = earlier.get(&(entity_code(p.entity), doc, text)) {
                out.push(Carried {
                    seq: Some(p.id as i64),
                    verdict: d.verdict.clone(),
                    reason: d.reason.clone(),
                    note: d.note.clone(),
                    place: None,
                });
            }
        }
        let mut placed = std::collections::HashSet::new();
        for m in self.manual_decisions(prev_id).await? {
            let Some(at) = m.at else { continue };
            let Some(needle) = prev
                .block_text(at)
                .and_then(|t| t.get(m.start as usize..m.end as usize))
            else {
                continue;
            };
            for (d, doc) in new.documents.iter().enumerate() {
                for (pi, page) in doc.pages.iter().enumerate() {
                    for (b, block) in page.blocks.iter().enumerate() {
                        for (i, _) in block.text.match_indices(needle) {
                            let place = (
                                BlockRef {
                                    document: d,
                                    page: pi,
                                    block: b,
                                },
                                i,
                                i + needle.len(),
                            );
                            if placed.insert(place) {
                                out.push(Carried {
                                    seq: None,
                                    verdict: "manual".into(),
                                    reason: m.reason.clone(),
                                    note: m.note.clone(),
                                    place: Some(place),
                                });
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    async fn run_summary(&self, run_id: &str) -> CoreResult<RunSummary> {
        let r = steward_db::query(
            "SELECT r.*, u.display_name FROM redaction_runs r LEFT JOIN users u ON u.id = r.user_id WHERE r.id = $1",
        )
        .bind(run_id)
        .fetch_one(&self.steward.db.pool)
        .await?;
        let decisions = self.latest_decisions(run_id).await?;
        let proposals: i64 = r.try_get("proposals")?;
        let accepted = decisions.values().filter(|d| d.verdict == "accept").count() as i64;
        let rejected = decisions.values().filter(|d| d.verdict == "reject").count() as i64;
        let manual: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM redaction_decisions WHERE run_id = $1 AND verdict = 'manual'",
        )
        .bind(run_id)
        .fetch_one(&self.steward.db.pool)
        .await?;
        Ok(RunSummary {
            id: r.try_get("id")?,
            at: r.try_get("at")?,
            by: r
                .try_get::<Option<String>, _>("display_name")?
                .unwrap_or_default(),
            documents: r.try_get("documents")?,
            pages: r.try_get("pages")?,
            proposals,
            flags: r.try_get("flags")?,
            accepted,
            rejected,
            undecided: proposals - accepted - rejected,
            manual,
            kept: r.try_get("kept")?,
        })
    }

    /// The latest decision on each proposal of a run.
    async fn latest_decisions(&self, run_id: &str) -> CoreResult<HashMap<i64, DecisionRow>> {
        let rows = steward_db::query(
            "SELECT d.*, u.display_name FROM redaction_decisions d LEFT JOIN users u ON u.id = d.reviewer_id WHERE d.run_id = $1 AND d.proposal_seq IS NOT NULL ORDER BY d.at",
        )
        .bind(run_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        let mut out = HashMap::new();
        for r in &rows {
            let d = decision_from(r)?;
            if let Some(seq) = d.seq {
                out.insert(seq, d);
            }
        }
        Ok(out)
    }

    async fn manual_decisions(&self, run_id: &str) -> CoreResult<Vec<DecisionRow>> {
        let rows = steward_db::query(
            "SELECT d.*, u.display_name FROM redaction_decisions d LEFT JOIN users u ON u.id = d.reviewer_id WHERE d.run_id = $1 AND d.verdict = 'manual' ORDER BY d.at",
        )
        .bind(run_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter().map(decision_from).collect()
    }

    async fn latest_run_id(&self, request_id: &str) -> CoreResult<Option<String>> {
        Ok(steward_db::query_scalar(
            "SELECT id FROM redaction_runs WHERE request_id = $1 ORDER BY at DESC LIMIT 1",
        )
        .bind(request_id)
        .fetch_optional(&self.steward.db.pool)
        .await?)
    }

    /// The latest run's counts, if the engine has run.
    pub async fn latest_run(
        &self,
        caller: &Caller,
        request_id: &str,
    ) -> CoreResult<Option<RunSummary>> {
        self.readable(caller, request_id).await?;
        match self.latest_run_id(request_id).await? {
            Some(id) => Ok(Some(self.run_summary(&id).await?)),
            None => Ok(None),
        }
    }

    /// "practice" for a GP practice, else "organisation": the words of the kept items.
    async fn organisation_noun(&self, org: &str) -> CoreResult<&'static str> {
        let kind: Option<String> =
            steward_db::query_scalar("SELECT kind FROM organisations WHERE id = $1")
                .bind(org)
                .fetch_optional(&self.steward.db.pool)
                .await?;
        Ok(if kind.as_deref() == Some("gp_practice") {
            "practice"
        } else {
            "organisation"
        })
    }

    fn load_run(&self, org: &str, request_id: &str, run_id: &str) -> CoreResult<RedactionRun> {
        let path = self
            .request_dir(org, request_id)
            .join("runs")
            .join(format!("{run_id}.json"));
        let bytes = std::fs::read(&path)
            .map_err(|e| CoreError::Internal(format!("run file missing: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| CoreError::Internal(format!("run file unreadable: {e}")))
    }

    /// Everything the reviewer sees: each proposal in its context with its decision, the
    /// clinician flags and the manual additions. The view is recorded in the audit trail.
    pub async fn review(
        &self,
        caller: &Caller,
        request_id: &str,
    ) -> CoreResult<Option<ReviewScreen>> {
        let org = self.readable(caller, request_id).await?;
        let Some(run_id) = self.latest_run_id(request_id).await? else {
            return Ok(None);
        };
        let run = self.load_run(&org, request_id, &run_id)?;
        let decisions = self.latest_decisions(&run_id).await?;
        let page_of = |at: BlockRef| -> (String, String) {
            let doc = run.documents.get(at.document);
            (
                doc.map(|d| d.name.clone()).unwrap_or_default(),
                doc.and_then(|d| d.pages.get(at.page))
                    .map(|p| p.label.clone())
                    .unwrap_or_default(),
            )
        };
        let proposals = run
            .proposals
            .iter()
            .map(|p| {
                let text = run.block_text(p.at).unwrap_or("");
                let (before, t, after) = context(text, p.start, p.end);
                let (document, page) = page_of(p.at);
                let d = decisions.get(&(p.id as i64));
                ProposalView {
                    seq: p.id as i64,
                    document,
                    page,
                    entity: entity_code(p.entity),
                    entity_label: steward_documents::bundle::entity_label(Some(p.entity)).into(),
                    rule: p.rule.clone(),
                    before,
                    text: t,
                    after,
                    decision: d.map(|d| d.verdict.clone()),
                    reason_code: d
                        .map(|d| d.reason.clone())
                        .unwrap_or_else(|| "third_party".into()),
                    note: d.map(|d| d.note.clone()).unwrap_or_default(),
                    reviewer: d.map(|d| d.reviewer.clone()).unwrap_or_default(),
                }
            })
            .collect();
        let flags = run
            .flags
            .iter()
            .map(|f: &DocFlag| {
                let text = run.block_text(f.at).unwrap_or("");
                let (before, t, after) = context(text, f.start, f.end);
                let (document, page) = page_of(f.at);
                FlagView {
                    document,
                    page,
                    category: category_label(f.category).into(),
                    matched: f.matched.clone(),
                    before,
                    text: t,
                    after,
                }
            })
            .collect();
        let manual = self
            .manual_decisions(&run_id)
            .await?
            .into_iter()
            .map(|m| {
                let at = m.at.unwrap_or(BlockRef {
                    document: 0,
                    page: 0,
                    block: 0,
                });
                let text = run.block_text(at).unwrap_or("");
                let (_, t, _) = context(text, m.start as usize, m.end as usize);
                let (document, page) = page_of(at);
                ManualView {
                    id: m.id,
                    document,
                    page,
                    text: t,
                    reason_code: m.reason,
                    note: m.note,
                    reviewer: m.reviewer,
                }
            })
            .collect();
        let noun = self.organisation_noun(&org).await?;
        let kept = run
            .kept
            .iter()
            .map(|k| {
                let text = run.block_text(k.at).unwrap_or("");
                let (before, t, after) = context(text, k.start, k.end);
                let (document, page) = page_of(k.at);
                KeptView {
                    document,
                    page,
                    reason: kept_code(k.reason).into(),
                    reason_label: kept_label(k.reason, noun),
                    matched: match k.reason {
                        steward_redact::KeptReason::OrganisationDetails => k.matched.clone(),
                        // The engine's match is the name in lower case: the text says it.
                        steward_redact::KeptReason::StaffMember => String::new(),
                    },
                    before,
                    text: t,
                    after,
                }
            })
            .collect();
        let pages_needing_review = run
            .pages_needing_review()
            .into_iter()
            .map(|(d, p)| format!("{d}: {p}"))
            .collect();
        let mut e = TrailEntry::for_record(
            caller,
            "redaction.review_view",
            &org,
            RECORD_TYPE,
            request_id,
        );
        e.detail = format!("run {run_id}");
        self.steward.trail_standalone(e).await?;
        Ok(Some(ReviewScreen {
            run: self.run_summary(&run_id).await?,
            proposals,
            flags,
            manual,
            kept,
            pages_needing_review,
        }))
    }

    #[allow(clippy::too_many_arguments)] // one row's columns, all needed
    async fn insert_decision(
        &self,
        tx: &mut steward_db::Tx<'static>,
        caller: &Caller,
        org: &str,
        run_id: &str,
        seq: Option<i64>,
        verdict: &str,
        reason: ReasonCode,
        note: &str,
        place: Option<(BlockRef, usize, usize)>,
    ) -> CoreResult<()> {
        steward_db::query(
            "INSERT INTO redaction_decisions (id, run_id, organisation_id, proposal_seq, verdict, reason_code, note, document_index, page_index, block_index, start_byte, end_byte, reviewer_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(run_id)
        .bind(org)
        .bind(seq)
        .bind(verdict)
        .bind(reason.code())
        .bind(note)
        .bind(place.map(|p| p.0.document as i64))
        .bind(place.map(|p| p.0.page as i64))
        .bind(place.map(|p| p.0.block as i64))
        .bind(place.map(|p| p.1 as i64))
        .bind(place.map(|p| p.2 as i64))
        .bind(&caller.user_id)
        .bind(now_stamp())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    fn check_decision(verdict: &str, reason: &str, note: &str) -> CoreResult<ReasonCode> {
        let mut e = steward_core::FieldErrors::default();
        if !matches!(verdict, "accept" | "reject") {
            e.add("verdict", "Choose accept (redact) or reject (disclose)");
        }
        let code = reason_of(reason.trim());
        if code.is_none() {
            e.add("reason_code", "Select a reason code");
        }
        if note.trim().chars().count() > 1000 {
            e.add("note", "Note must be 1,000 characters or fewer");
        }
        if code == Some(ReasonCode::Other) && verdict == "accept" && note.trim().is_empty() {
            e.add(
                "note",
                "Say which exemption applies when the reason is 'other'",
            );
        }
        e.into_result()?;
        Ok(code.expect("checked"))
    }

    /// Records the reviewer's decision on one proposal: accept (redact) or reject (disclose),
    /// with a reason code. The latest decision counts; every one is kept and trailed.
    pub async fn decide(
        &self,
        caller: &Caller,
        request_id: &str,
        seq: i64,
        verdict: &str,
        reason: &str,
        note: &str,
    ) -> CoreResult<()> {
        let org = self.writable(caller, request_id).await?;
        let reason = Self::check_decision(verdict, reason, note)?;
        let run_id = self
            .latest_run_id(request_id)
            .await?
            .ok_or_else(|| CoreError::Conflict("Run the redaction first".into()))?;
        let exists: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM redaction_proposals WHERE run_id = $1 AND seq = $2",
        )
        .bind(&run_id)
        .bind(seq)
        .fetch_one(&self.steward.db.pool)
        .await?;
        if exists == 0 {
            return Err(CoreError::NotFound);
        }
        let mut w = self.steward.write().await?;
        self.insert_decision(
            &mut w.tx,
            caller,
            &org,
            &run_id,
            Some(seq),
            verdict,
            reason,
            note.trim(),
            None,
        )
        .await?;
        let mut e =
            TrailEntry::for_record(caller, "redaction.decision", &org, RECORD_TYPE, request_id);
        e.detail = format!("run {run_id} proposal {seq}: {verdict} ({})", reason.code());
        append(&mut w.tx, &e).await?;
        w.commit().await
    }

    /// Decides every proposal not yet decided, the same way (e.g. accept the rest after
    /// reading them). Returns how many were decided.
    pub async fn decide_undecided(
        &self,
        caller: &Caller,
        request_id: &str,
        verdict: &str,
        reason: &str,
    ) -> CoreResult<usize> {
        let org = self.writable(caller, request_id).await?;
        let reason = Self::check_decision(verdict, reason, "")?;
        let run_id = self
            .latest_run_id(request_id)
            .await?
            .ok_or_else(|| CoreError::Conflict("Run the redaction first".into()))?;
        let decided = self.latest_decisions(&run_id).await?;
        let seqs: Vec<i64> = steward_db::query_scalar(
            "SELECT seq FROM redaction_proposals WHERE run_id = $1 ORDER BY seq",
        )
        .bind(&run_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        let todo: Vec<i64> = seqs
            .into_iter()
            .filter(|s| !decided.contains_key(s))
            .collect();
        let mut w = self.steward.write().await?;
        for seq in &todo {
            self.insert_decision(
                &mut w.tx,
                caller,
                &org,
                &run_id,
                Some(*seq),
                verdict,
                reason,
                "",
                None,
            )
            .await?;
        }
        let mut e =
            TrailEntry::for_record(caller, "redaction.decision", &org, RECORD_TYPE, request_id);
        e.detail = format!(
            "run {run_id}: {} undecided proposals {verdict} ({})",
            todo.len(),
            reason.code()
        );
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        Ok(todo.len())
    }

    /// Adds a manual redaction of `text` wherever it occurs in the run's documents (case
    /// as typed), e.g. a nickname the engine cannot know. Returns the number of places.
    pub async fn add_manual(
        &self,
        caller: &Caller,
        request_id: &str,
        text: &str,
        reason: &str,
        note: &str,
    ) -> CoreResult<usize> {
        let org = self.writable(caller, request_id).await?;
        let mut e = steward_core::FieldErrors::default();
        let needle = text.trim();
        if needle.chars().count() < 2 {
            e.add(
                "manual_text",
                "Enter the words to redact (at least 2 characters)",
            );
        } else if needle.chars().count() > 500 {
            e.add(
                "manual_text",
                "Words to redact must be 500 characters or fewer",
            );
        }
        let code = reason_of(reason.trim());
        if code.is_none() {
            e.add("manual_reason", "Select a reason code");
        }
        if note.trim().chars().count() > 1000 {
            e.add("manual_note", "Note must be 1,000 characters or fewer");
        }
        e.into_result()?;
        let run_id = self
            .latest_run_id(request_id)
            .await?
            .ok_or_else(|| CoreError::Conflict("Run the redaction first".into()))?;
        let run = self.load_run(&org, request_id, &run_id)?;
        let mut places = Vec::new();
        for (d, doc) in run.documents.iter().enumerate() {
            for (p, page) in doc.pages.iter().enumerate() {
                for (b, block) in page.blocks.iter().enumerate() {
                    for (i, _) in block.text.match_indices(needle) {
                        places.push((
                            BlockRef {
                                document: d,
                                page: p,
                                block: b,
                            },
                            i,
                            i + needle.len(),
                        ));
                    }
                }
            }
        }
        if places.is_empty() {
            return Err(CoreError::invalid(
                "manual_text",
                "These words do not appear in the documents; check the spelling and capitals",
            ));
        }
        let mut w = self.steward.write().await?;
        for place in &places {
            self.insert_decision(
                &mut w.tx,
                caller,
                &org,
                &run_id,
                None,
                "manual",
                code.expect("checked"),
                note.trim(),
                Some(*place),
            )
            .await?;
        }
        let mut t =
            TrailEntry::for_record(caller, "redaction.manual", &org, RECORD_TYPE, request_id);
        t.detail = format!(
            "run {run_id}: {} manual redactions ({})",
            places.len(),
            code.expect("checked").code()
        );
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(places.len())
    }

    /// Produces the redacted bundle (a fresh PDF: the redacted text never reaches it) and the
    /// redaction schedule (CSV and PDF) from the latest run and its decisions. Undecided
    /// proposals are redacted (fail closed) and listed as "not reviewed" in the schedule.
    pub async fn produce_bundle(
        &self,
        caller: &Caller,
        request_id: &str,
        label_style: bool,
        today: NaiveDate,
    ) -> CoreResult<Vec<OutputFile>> {
        let org = self.writable(caller, request_id).await?;
        let run_id = self
            .latest_run_id(request_id)
            .await?
            .ok_or_else(|| CoreError::Conflict("Run the redaction first".into()))?;
        let run = self.load_run(&org, request_id, &run_id)?;
        let decisions = self.latest_decisions(&run_id).await?;
        let manual = self.manual_decisions(&run_id).await?;
        let review = Review {
            decisions: decisions
                .values()
                .filter_map(|d| {
                    Some(Decision {
                        proposal: d.seq? as usize,
                        verdict: if d.verdict == "reject" {
                            Verdict::Reject
                        } else {
                            Verdict::Accept
                        },
                        reason: reason_of(&d.reason),
                        note: Some(d.note.clone()).filter(|n| !n.is_empty()),
                    })
                })
                .collect(),
            manual: manual
                .iter()
                .filter_map(|m| {
                    Some(ManualRedaction {
                        at: m.at?,
                        start: m.start as usize,
                        end: m.end as usize,
                        entity: None,
                        reason: reason_of(&m.reason).unwrap_or(ReasonCode::Other),
                        note: Some(m.note.clone()).filter(|n| !n.is_empty()),
                    })
                })
                .collect(),
        };
        let noun = self.organisation_noun(&org).await?;
        let (subject, reference) = {
            let mut tx = self.steward.db.begin().await?;
            let s = self.subject_for_redaction(&mut tx, request_id).await?;
            let (r, _) = self.reference_of(&mut tx, request_id).await?;
            tx.commit().await?;
            (s, r)
        };
        let options = BundleOptions {
            style: if label_style {
                RedactionStyle::Label
            } else {
                RedactionStyle::Box
            },
            title: format!("Disclosure bundle, request {reference}"),
            date: iso_date(today),
        };
        let files = tokio::task::spawn_blocking(
            move || -> Result<Vec<(&'static str, Vec<u8>)>, steward_documents::DocumentError> {
                // The reviewer's decisions, and what was kept as known to Steward, in plain
                // words ("Kept: staff member").
                let mut outcomes = run.outcomes(&review)?;
                let reasons: HashMap<(BlockRef, usize, usize), steward_redact::KeptReason> = run
                    .kept
                    .iter()
                    .map(|k| ((k.at, k.start, k.end), k.reason))
                    .collect();
                for o in outcomes.iter_mut() {
                    if o.decision == steward_documents::DecisionKind::Kept {
                        if let Some(r) = reasons.get(&(o.at, o.start, o.end)) {
                            o.note = Some(kept_label(*r, noun));
                        }
                    }
                }
                let bundle = write_bundle(&run.documents, &outcomes, &subject, &options)?;
                let csv = schedule_csv(&run.documents, &outcomes)?;
                let pdf = schedule_pdf(&run.documents, &outcomes, &options)?;
                Ok(vec![
                    ("bundle_pdf", bundle),
                    ("schedule_csv", csv),
                    ("schedule_pdf", pdf),
                ])
            },
        )
        .await
        .map_err(|e| CoreError::Internal(format!("bundle task failed: {e}")))?
        .map_err(|e| CoreError::Internal(format!("bundle could not be written: {e}")))?;
        let dir = self.request_dir(&org, request_id).join("outputs");
        let at = now_stamp();
        let mut out = Vec::new();
        let mut w = self.steward.write().await?;
        for (kind, bytes) in files {
            let id = uuid::Uuid::new_v4().to_string();
            Self::write_file(&dir.join(&id), &bytes)?;
            let filename = match kind {
                "bundle_pdf" => format!("{reference}-bundle.pdf"),
                "schedule_csv" => format!("{reference}-redaction-schedule.csv"),
                _ => format!("{reference}-redaction-schedule.pdf"),
            };
            let sha = steward_core::auth::hash_bytes(&bytes);
            steward_db::query(
                "INSERT INTO redaction_outputs (id, request_id, organisation_id, run_id, kind, filename, size, sha256, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&id)
            .bind(request_id)
            .bind(&org)
            .bind(&run_id)
            .bind(kind)
            .bind(&filename)
            .bind(bytes.len() as i64)
            .bind(&sha)
            .bind(&caller.user_id)
            .bind(&at)
            .execute(&mut *w.tx)
            .await?;
            out.push(OutputFile {
                id,
                kind: kind.into(),
                filename,
                content_type: content_type_of(kind).into(),
                size: bytes.len() as i64,
                sha256: sha,
                at: at.clone(),
            });
        }
        let mut e =
            TrailEntry::for_record(caller, "redaction.bundle", &org, RECORD_TYPE, request_id);
        e.detail = format!(
            "run {run_id}: {}",
            out.iter()
                .map(|o| format!("{} sha256 {}", o.filename, o.sha256))
                .collect::<Vec<_>>()
                .join("; ")
        );
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        Ok(out)
    }

    /// Files produced for the request, newest first.
    pub async fn outputs(&self, caller: &Caller, request_id: &str) -> CoreResult<Vec<OutputFile>> {
        self.readable(caller, request_id).await?;
        let rows = steward_db::query(
            "SELECT * FROM redaction_outputs WHERE request_id = $1 ORDER BY at DESC, kind",
        )
        .bind(request_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter().map(output_from).collect()
    }

    /// One produced file; the download is recorded in the audit trail.
    pub async fn download_output(
        &self,
        caller: &Caller,
        request_id: &str,
        output_id: &str,
    ) -> CoreResult<(OutputFile, Vec<u8>)> {
        let org = self.readable(caller, request_id).await?;
        let row =
            steward_db::query("SELECT * FROM redaction_outputs WHERE id = $1 AND request_id = $2")
                .bind(output_id)
                .bind(request_id)
                .fetch_optional(&self.steward.db.pool)
                .await?
                .ok_or(CoreError::NotFound)?;
        let f = output_from(&row)?;
        let bytes = std::fs::read(
            self.request_dir(&org, request_id)
                .join("outputs")
                .join(&f.id),
        )
        .map_err(|e| CoreError::Internal(format!("output file missing: {e}")))?;
        let mut e =
            TrailEntry::for_record(caller, "redaction.download", &org, RECORD_TYPE, request_id);
        e.detail = f.filename.clone();
        self.steward.trail_standalone(e).await?;
        Ok((f, bytes))
    }
}

fn output_from(r: &AnyRow) -> CoreResult<OutputFile> {
    let kind: String = r.try_get("kind")?;
    Ok(OutputFile {
        id: r.try_get("id")?,
        content_type: content_type_of(&kind).into(),
        kind,
        filename: r.try_get("filename")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        at: r.try_get("at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_cuts_at_character_boundaries() {
        let text = "Seen with Zoë Åberg at 1 Mill Lane";
        let start = text.find("Zoë").unwrap();
        let end = start + "Zoë Åberg".len();
        let (b, t, a) = context(text, start, end);
        assert_eq!(
            (b.as_str(), t.as_str(), a.as_str()),
            ("Seen with ", "Zoë Åberg", " at 1 Mill Lane")
        );
        // A range inside a multi-byte character widens outwards.
        let (_, t, _) = context(text, start + 3, start + 4);
        assert_eq!(t, "ë");
    }

    #[test]
    fn reason_codes_parse() {
        for (code, _) in REASON_CODES {
            assert!(reason_of(code).is_some(), "{code}");
        }
        assert!(reason_of("nonsense").is_none());
    }
}
