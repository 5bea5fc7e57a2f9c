//! Running the engine over a request's documents, carrying the previous run's decisions over
//! to the same passages, and reading runs back.

use std::collections::HashMap;

use steward_core::time::now_stamp;
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult};
use steward_db::Row;
use steward_documents::{redact_documents_known, BlockRef, InputFile, ReasonCode, RedactionRun};

use super::{
    category_label, decision_from, entity_code, reason_of, Carried, DecisionRow, RunSummary,
};
use crate::requests::{Rights, RECORD_TYPE};

impl Rights<'_> {
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
    pub(super) async fn carry_over(
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

    pub(super) async fn run_summary(&self, run_id: &str) -> CoreResult<RunSummary> {
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
    pub(super) async fn latest_decisions(
        &self,
        run_id: &str,
    ) -> CoreResult<HashMap<i64, DecisionRow>> {
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

    pub(super) async fn manual_decisions(&self, run_id: &str) -> CoreResult<Vec<DecisionRow>> {
        let rows = steward_db::query(
            "SELECT d.*, u.display_name FROM redaction_decisions d LEFT JOIN users u ON u.id = d.reviewer_id WHERE d.run_id = $1 AND d.verdict = 'manual' ORDER BY d.at",
        )
        .bind(run_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter().map(decision_from).collect()
    }

    pub(super) async fn latest_run_id(&self, request_id: &str) -> CoreResult<Option<String>> {
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
    pub(super) async fn organisation_noun(&self, org: &str) -> CoreResult<&'static str> {
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

    pub(super) fn load_run(
        &self,
        org: &str,
        request_id: &str,
        run_id: &str,
    ) -> CoreResult<RedactionRun> {
        let path = self
            .request_dir(org, request_id)
            .join("runs")
            .join(format!("{run_id}.json"));
        let bytes = std::fs::read(&path)
            .map_err(|e| CoreError::Internal(format!("run file missing: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| CoreError::Internal(format!("run file unreadable: {e}")))
    }
}
