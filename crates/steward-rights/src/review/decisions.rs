//! The review screen and the reviewer's decisions: one at a time, all undecided at once, and
//! redactions the engine did not propose.

use steward_core::time::now_stamp;
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult};
use steward_documents::pipeline::DocFlag;
use steward_documents::{BlockRef, ReasonCode};

use super::{
    category_label, context, entity_code, kept_code, kept_label, reason_of, FlagView, KeptView,
    ManualView, ProposalView, ReviewScreen,
};
use crate::requests::{Rights, RECORD_TYPE};

impl Rights<'_> {
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
    pub(super) async fn insert_decision(
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

    pub(super) fn check_decision(
        verdict: &str,
        reason: &str,
        note: &str,
    ) -> CoreResult<ReasonCode> {
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
}
