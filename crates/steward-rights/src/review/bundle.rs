//! The redacted bundle and its schedule, and the files a request's review produced.

use std::collections::HashMap;

use chrono::NaiveDate;
use steward_core::time::{iso_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult};
use steward_db::{AnyRow, Row};
use steward_documents::{
    schedule_csv, schedule_pdf, write_bundle, BlockRef, BundleOptions, Decision, ManualRedaction,
    ReasonCode, RedactionStyle, Review, Verdict,
};

use super::{content_type_of, kept_label, reason_of, OutputFile};
use crate::requests::{Rights, RECORD_TYPE};

impl Rights<'_> {
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
