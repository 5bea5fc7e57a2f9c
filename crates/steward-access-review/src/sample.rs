//! The monthly sample audit a practice does by hand (seed 001: "undertaking regular access
//! audits using the template provided by the DPO"): N random accesses per user in the month,
//! drawn by the engine (reproducible by seed), each checked, with the audit's checklist.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use steward_access_audit::time::fmt_ts;
use steward_access_audit::Rules;
use steward_core::time::now_stamp;
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult, FieldErrors, Kind, Permit};
use steward_db::{AnyRow, Row};

use crate::{internal, require_audit_write, AccessReview, SAMPLE_RECORD};

/// The checklist of the monthly access audit, in the order it is done. Keys are stored.
pub const CHECKLIST: [(&str, &str); 5] = [
    ("sample_drawn", "A sample of accesses was drawn for every user of the clinical system this month"),
    ("reasons_checked", "Each sampled access was checked against the patient's appointments, referrals or admissions"),
    ("queries_raised", "Accesses without a clear reason were raised with the user's line manager"),
    ("inappropriate_reported", "Any inappropriate access was reported to the DPO under the incident protocol"),
    ("results_recorded", "The results were recorded and shared with the practice's IG lead and SIRO"),
];

/// Outcomes of one sampled access.
pub const ITEM_OUTCOMES: [(&str, &str); 3] = [
    ("appropriate", "Appropriate"),
    ("query", "Query with the user"),
    ("inappropriate", "Inappropriate"),
];

pub const MAX_PER_USER: i64 = 50;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SampleItem {
    pub seq: i64,
    pub user_id: String,
    pub role: String,
    pub ts: String,
    pub event_id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub action: String,
    pub workstation: String,
    /// The care episode of the user's team that explains the access, if any.
    pub explained_by: Option<String>,
    /// Empty until checked: appropriate, query or inappropriate.
    pub outcome: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sample {
    pub id: String,
    pub organisation_id: String,
    pub run_id: String,
    pub period: String,
    pub per_user: i64,
    pub seed: i64,
    /// Checklist key -> done.
    pub checklist: BTreeMap<String, bool>,
    /// in_progress or completed.
    pub status: String,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub items: Vec<SampleItem>,
    pub version: i64,
}

impl Sample {
    pub fn checked(&self, key: &str) -> bool {
        self.checklist.get(key).copied().unwrap_or(false)
    }
    pub fn reviewed(&self) -> usize {
        self.items.iter().filter(|i| !i.outcome.is_empty()).count()
    }
}

/// What a reviewer saves on the sample page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SampleUpdate {
    /// Checklist keys ticked.
    #[serde(default)]
    pub checklist: Vec<String>,
    /// seq -> outcome (appropriate, query, inappropriate or empty).
    #[serde(default)]
    pub outcomes: BTreeMap<i64, String>,
    /// seq -> note.
    #[serde(default)]
    pub notes: BTreeMap<i64, String>,
}

fn item_from_row(r: &AnyRow) -> CoreResult<SampleItem> {
    Ok(SampleItem {
        seq: r.try_get("seq")?,
        user_id: r.try_get("user_id")?,
        role: r.try_get("role")?,
        ts: r.try_get("ts")?,
        event_id: r.try_get("event_id")?,
        patient_id: r.try_get("patient_id")?,
        patient_name: r.try_get("patient_name")?,
        action: r.try_get("action")?,
        workstation: r.try_get("workstation")?,
        explained_by: r.try_get("explained_by")?,
        outcome: r.try_get("outcome")?,
        note: r.try_get("note")?,
    })
}

impl AccessReview {
    async fn load_sample(&self, id: &str) -> CoreResult<Sample> {
        let r = steward_db::query("SELECT * FROM audit_samples WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        let items =
            steward_db::query("SELECT * FROM audit_sample_items WHERE sample_id = $1 ORDER BY seq")
                .bind(id)
                .fetch_all(&self.steward.db.pool)
                .await?
                .iter()
                .map(item_from_row)
                .collect::<CoreResult<Vec<_>>>()?;
        Ok(Sample {
            id: r.try_get("id")?,
            organisation_id: r.try_get("organisation_id")?,
            run_id: r.try_get("run_id")?,
            period: r.try_get("period")?,
            per_user: r.try_get("per_user")?,
            seed: r.try_get("seed")?,
            checklist: serde_json::from_str(&r.try_get::<String, _>("checklist")?)
                .unwrap_or_default(),
            status: r.try_get("status")?,
            created_at: r.try_get("created_at")?,
            completed_at: r.try_get("completed_at")?,
            items,
            version: r.try_get("version")?,
        })
    }

    /// Samples drawn from a run's export, newest first (without their items).
    pub async fn samples_of_run(
        &self,
        caller: &Caller,
        run_id: &str,
    ) -> CoreResult<Vec<(String, String, String)>> {
        let run = self.run_unlogged(caller, run_id).await?;
        let rows = steward_db::query("SELECT id, created_at, status FROM audit_samples WHERE run_id = $1 AND organisation_id = $2 ORDER BY created_at DESC")
            .bind(run_id)
            .bind(&run.organisation_id)
            .fetch_all(&self.steward.db.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("created_at")?,
                    r.try_get("status")?,
                ))
            })
            .collect()
    }

    /// Draws the month's sample from a run's export: `per_user` accesses per user in the
    /// run's month. The seed is stored, so the same sample can be drawn again.
    pub async fn create_sample(
        &self,
        caller: &Caller,
        run_id: &str,
        per_user: i64,
        seed: Option<i64>,
    ) -> CoreResult<Sample> {
        let run = self.run_unlogged(caller, run_id).await?;
        require_audit_write(caller, &run.organisation_id)?;
        if !(1..=MAX_PER_USER).contains(&per_user) {
            return Err(CoreError::invalid(
                "per_user",
                format!("Enter a number of accesses per user from 1 to {MAX_PER_USER}"),
            ));
        }
        let seed = seed.unwrap_or_else(|| (uuid::Uuid::new_v4().as_u128() as i64) & 0x7fff_ffff);
        let ds = self
            .load_dataset(&run.data_location, run.mapping_toml.clone())
            .await
            .map_err(|m| {
                CoreError::invalid("per_user", format!("The export cannot be read: {m}"))
            })?;
        let period = run.period.clone();
        let (rows, _issues) = tokio::task::spawn_blocking(move || {
            steward_access_audit::sample(
                &ds,
                &Rules::default(),
                &period,
                per_user as usize,
                seed as u64,
            )
        })
        .await
        .map_err(internal)?
        .map_err(|e| {
            CoreError::invalid("per_user", format!("The sample could not be drawn: {e:#}"))
        })?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO audit_samples (id, organisation_id, run_id, period, per_user, seed, checklist, status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, '{}', 'in_progress', $7, $8)",
        )
        .bind(&id)
        .bind(&run.organisation_id)
        .bind(run_id)
        .bind(&run.period)
        .bind(per_user)
        .bind(seed)
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        for (i, r) in rows.iter().enumerate() {
            steward_db::query(
                "INSERT INTO audit_sample_items (sample_id, seq, user_id, role, ts, event_id, patient_id, patient_name, action, workstation, explained_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&id)
            .bind(i as i64 + 1)
            .bind(&r.user_id)
            .bind(&r.role)
            .bind(fmt_ts(r.ts))
            .bind(&r.event_id)
            .bind(&r.patient_id)
            .bind(&r.patient_name)
            .bind(&r.action)
            .bind(&r.workstation)
            .bind(&r.explained_by)
            .execute(&mut *w.tx)
            .await?;
        }
        let mut e = TrailEntry::for_record(
            caller,
            "record.create",
            &run.organisation_id,
            SAMPLE_RECORD,
            &id,
        );
        e.detail = format!(
            "monthly sample {} of {per_user} per user (seed {seed}): {} accesses",
            run.period,
            rows.len()
        );
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        self.load_sample(&id).await
    }

    /// A sample with its accesses (patients' names: the view is in the trail).
    pub async fn sample(&self, permit: &Permit<ops::Read>) -> CoreResult<Sample> {
        self.load_sample(permit.id()).await
    }

    /// Saves the checklist and the outcomes of the sampled accesses. The sample is complete
    /// when every checklist item is ticked and every access has an outcome.
    pub async fn update_sample(
        &self,
        caller: &Caller,
        id: &str,
        u: &SampleUpdate,
    ) -> CoreResult<Sample> {
        self.steward
            .permit::<ops::Change>(caller, Kind::AccessAuditSample, id)
            .await?;
        let s = self.load_sample(id).await?;
        let mut errors = FieldErrors::default();
        for k in &u.checklist {
            if !CHECKLIST.iter().any(|(key, _)| key == k) {
                errors.add("checklist", format!("Unknown checklist item {k:?}"));
            }
        }
        for (seq, o) in &u.outcomes {
            if !s.items.iter().any(|i| i.seq == *seq) {
                errors.add(
                    &format!("outcome_{seq}"),
                    format!("There is no sampled access {seq}"),
                );
            } else if !o.is_empty() && !ITEM_OUTCOMES.iter().any(|(k, _)| k == o) {
                errors.add(&format!("outcome_{seq}"), "Select an outcome");
            }
        }
        for (seq, n) in &u.notes {
            if n.chars().count() > 2000 {
                errors.add(
                    &format!("note_{seq}"),
                    "A note must be 2,000 characters or fewer",
                );
            }
        }
        errors.into_result()?;
        let checklist: BTreeMap<String, bool> = CHECKLIST
            .iter()
            .map(|(k, _)| (k.to_string(), u.checklist.iter().any(|c| c == k)))
            .collect();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        for item in &s.items {
            let o = u
                .outcomes
                .get(&item.seq)
                .cloned()
                .unwrap_or_else(|| item.outcome.clone());
            let n = u
                .notes
                .get(&item.seq)
                .map(|n| n.trim().to_string())
                .unwrap_or_else(|| item.note.clone());
            if o != item.outcome || n != item.note {
                steward_db::query("UPDATE audit_sample_items SET outcome = $1, note = $2, checked_by = $3, checked_at = $4 WHERE sample_id = $5 AND seq = $6")
                    .bind(&o)
                    .bind(&n)
                    .bind(&caller.user_id)
                    .bind(&now)
                    .bind(id)
                    .bind(item.seq)
                    .execute(&mut *w.tx)
                    .await?;
            }
        }
        let all_checked = checklist.values().all(|v| *v);
        let unreviewed: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM audit_sample_items WHERE sample_id = $1 AND outcome = ''",
        )
        .bind(id)
        .fetch_one(&mut *w.tx)
        .await?;
        let done = all_checked && unreviewed == 0;
        steward_db::query("UPDATE audit_samples SET checklist = $1, status = $2, completed_at = $3, version = version + 1 WHERE id = $4")
            .bind(serde_json::to_string(&checklist).map_err(internal)?)
            .bind(if done { "completed" } else { "in_progress" })
            .bind(if done { Some(now.clone()) } else { None })
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        let mut e = TrailEntry::for_record(
            caller,
            "record.update",
            &s.organisation_id,
            SAMPLE_RECORD,
            id,
        );
        e.detail = format!(
            "checklist {} of {}, {} accesses left to check",
            checklist.values().filter(|v| **v).count(),
            CHECKLIST.len(),
            unreviewed
        );
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        self.load_sample(id).await
    }
}
