//! The audit trail: append-only, each entry carrying the hash of the one before, so that
//! an altered or removed row breaks the chain and `steward audit-trail verify` finds it.

use sha2::{Digest, Sha256};

use tokio::sync::oneshot;

use crate::error::{CoreError, CoreResult};
use crate::time::now_stamp;
use crate::{Caller, Steward};
use steward_db::{Row, Tx};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct TrailEntry {
    pub user_id: Option<String>,
    pub user_email: String,
    pub organisation_id: Option<String>,
    /// What happened, e.g. "sign_in.success", "record.view", "record.update".
    pub event: String,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub detail: String,
    pub address: String,
}

impl TrailEntry {
    pub fn anonymous(email: &str, address: &str, event: &str) -> TrailEntry {
        TrailEntry {
            user_email: email.to_string(),
            address: address.to_string(),
            event: event.to_string(),
            ..Default::default()
        }
    }

    pub fn for_caller(caller: &Caller, event: &str) -> TrailEntry {
        TrailEntry {
            user_id: Some(caller.user_id.clone()),
            user_email: caller.email.clone(),
            organisation_id: Some(caller.current_organisation_id.clone()),
            event: event.to_string(),
            address: caller.address.clone(),
            ..Default::default()
        }
    }

    pub fn for_record(
        caller: &Caller,
        event: &str,
        organisation_id: &str,
        record_type: &str,
        record_id: &str,
    ) -> TrailEntry {
        TrailEntry {
            organisation_id: Some(organisation_id.to_string()),
            record_type: Some(record_type.to_string()),
            record_id: Some(record_id.to_string()),
            ..TrailEntry::for_caller(caller, event)
        }
    }
}

/// A stored entry.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TrailRow {
    pub seq: i64,
    pub at: String,
    #[serde(flatten)]
    pub entry: TrailEntry,
    pub prev_hash: String,
    pub hash: String,
}

fn entry_hash(prev_hash: &str, seq: i64, at: &str, e: &TrailEntry) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different entries serialise the same.
    for part in [
        prev_hash,
        &seq.to_string(),
        at,
        e.user_id.as_deref().unwrap_or(""),
        &e.user_email,
        e.organisation_id.as_deref().unwrap_or(""),
        &e.event,
        e.record_type.as_deref().unwrap_or(""),
        e.record_id.as_deref().unwrap_or(""),
        &e.detail,
        &e.address,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends inside the caller's write transaction, so a change and its trail entry commit
/// together or not at all. Callers hold the write lock (see [`Steward::write`]).
pub async fn append(tx: &mut Tx<'static>, e: &TrailEntry) -> CoreResult<()> {
    append_all(tx, std::slice::from_ref(e)).await
}

/// Rows per INSERT: 12 parameters each, well under SQLite's and PostgreSQL's limits.
const ROWS_PER_INSERT: usize = 50;

/// Appends entries in order, chaining each to the one before.
async fn append_all(tx: &mut Tx<'static>, entries: &[TrailEntry]) -> CoreResult<()> {
    let last = steward_db::query("SELECT seq, hash FROM audit_trail ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    let (mut seq, mut prev_hash) = match last {
        Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
        None => (0, GENESIS_HASH.to_string()),
    };
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO audit_trail (seq, at, user_id, user_email, organisation_id, event, record_type, record_id, detail, address, prev_hash, hash) VALUES ",
        );
        for i in 0..chunk.len() {
            let n = i * 12;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(
                &(1..=12)
                    .map(|k| format!("${}", n + k))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            sql.push(')');
        }
        let at = now_stamp();
        let mut rows = Vec::with_capacity(chunk.len());
        for e in chunk {
            seq += 1;
            let hash = entry_hash(&prev_hash, seq, &at, e);
            rows.push((
                seq,
                e,
                std::mem::replace(&mut prev_hash, hash.clone()),
                hash,
            ));
        }
        let mut q = steward_db::query(&sql);
        for (seq, e, prev, hash) in rows {
            q = q
                .bind(seq)
                .bind(at.clone())
                .bind(e.user_id.clone())
                .bind(e.user_email.clone())
                .bind(e.organisation_id.clone())
                .bind(e.event.clone())
                .bind(e.record_type.clone())
                .bind(e.record_id.clone())
                .bind(e.detail.clone())
                .bind(e.address.clone())
                .bind(prev)
                .bind(hash);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// An entry waiting for a group commit, and where to tell its writer the outcome.
pub(crate) type Waiting = (TrailEntry, oneshot::Sender<Result<(), String>>);

fn row_to_trail(r: &steward_db::AnyRow) -> CoreResult<TrailRow> {
    Ok(TrailRow {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        entry: TrailEntry {
            user_id: r.try_get("user_id")?,
            user_email: r.try_get("user_email")?,
            organisation_id: r.try_get("organisation_id")?,
            event: r.try_get("event")?,
            record_type: r.try_get("record_type")?,
            record_id: r.try_get("record_id")?,
            detail: r.try_get("detail")?,
            address: r.try_get("address")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact {
        entries: i64,
        /// The newest entry's sequence number and hash (none for an empty trail). Kept
        /// outside Steward, it is the anchor that shows later whether the newest entries
        /// were cut off, which the chain alone cannot show.
        head: Option<(i64, String)>,
    },
    /// The first entry that does not follow from the one before it.
    Broken { seq: i64, reason: String },
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct TrailFilter {
    pub user: Option<String>,
    pub organisation_id: Option<String>,
    pub record_id: Option<String>,
    /// YYYY-MM-DD, inclusive.
    pub from: Option<String>,
    /// YYYY-MM-DD, inclusive.
    pub to: Option<String>,
}

pub const TRAIL_PAGE: i64 = 100;

fn outcome_of(r: Result<Result<(), String>, oneshot::error::RecvError>) -> CoreResult<()> {
    match r {
        Ok(r) => r.map_err(CoreError::Internal),
        Err(_) => Err(CoreError::Internal(
            "the audit trail writer stopped before writing".into(),
        )),
    }
}

impl Steward {
    /// Appends one entry on its own (sign-ins, views) and returns once it is committed.
    ///
    /// Group commit: the entry joins a queue, and whichever request next holds the write lock
    /// writes every queued entry in one transaction. Under load, concurrent views share one
    /// commit instead of each waiting for its own.
    pub async fn trail_standalone(&self, e: TrailEntry) -> CoreResult<()> {
        let (done, mut outcome) = oneshot::channel();
        self.trail_queue
            .lock()
            .expect("trail queue")
            .push((e, done));
        let guard = tokio::select! {
            biased;
            r = &mut outcome => return outcome_of(r),
            g = self.write_lock.clone().lock_owned() => g,
        };
        // A writer that held the lock before us may have written our entry already: it
        // answers before it lets the lock go.
        if let Ok(r) = outcome.try_recv() {
            return r.map_err(CoreError::Internal);
        }
        let batch = std::mem::take(&mut *self.trail_queue.lock().expect("trail queue"));
        // Written by a task of its own, so that this request going away (a client hanging
        // up) cannot leave the entries of the others unwritten.
        let db = self.db.clone();
        let _ = tokio::spawn(async move {
            let (entries, waiting): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let written = async {
                let mut tx = db.begin_write().await?;
                append_all(&mut tx, &entries).await?;
                tx.commit().await?;
                CoreResult::Ok(())
            }
            .await
            .map_err(|e| e.to_string());
            for w in waiting {
                let _ = w.send(written.clone());
            }
            drop(guard);
        })
        .await;
        outcome_of(outcome.await)
    }

    /// Walks the chain from the first entry; stops at the first break. With an anchor (a
    /// head printed by an earlier verification and kept elsewhere), also checks that the
    /// anchored entry is still there, unchanged: removing the newest entries leaves an
    /// intact but shorter chain, which only an anchor reveals.
    pub async fn verify_trail(&self, anchor: Option<(i64, &str)>) -> CoreResult<Verification> {
        let rows = steward_db::query("SELECT * FROM audit_trail ORDER BY seq")
            .fetch_all(&self.db.pool)
            .await?;
        let mut prev_hash = GENESIS_HASH.to_string();
        for (expected_seq, r) in (1..).zip(rows.iter()) {
            let t = row_to_trail(r)?;
            if t.seq != expected_seq {
                return Ok(Verification::Broken {
                    seq: expected_seq,
                    reason: format!("entry {expected_seq} is missing (next entry is {})", t.seq),
                });
            }
            if t.prev_hash != prev_hash {
                return Ok(Verification::Broken {
                    seq: t.seq,
                    reason: "does not chain to the entry before it".into(),
                });
            }
            if entry_hash(&prev_hash, t.seq, &t.at, &t.entry) != t.hash {
                return Ok(Verification::Broken {
                    seq: t.seq,
                    reason: "its contents were altered (hash mismatch)".into(),
                });
            }
            prev_hash = t.hash;
        }
        let entries = rows.len() as i64;
        if let Some((seq, hash)) = anchor {
            if seq > entries {
                return Ok(Verification::Broken {
                    seq: entries + 1,
                    reason: format!(
                        "the trail ends at entry {entries} but the anchor is entry {seq}: the newest entries were removed"
                    ),
                });
            }
            let anchored = usize::try_from(seq - 1)
                .ok()
                .and_then(|i| rows.get(i))
                .map(row_to_trail)
                .transpose()?;
            if anchored.is_none_or(|t| t.hash != hash) {
                return Ok(Verification::Broken {
                    seq,
                    reason: "it does not match the anchor (another hash than the one recorded)"
                        .into(),
                });
            }
        }
        Ok(Verification::Intact {
            entries,
            head: (entries > 0).then_some((entries, prev_hash)),
        })
    }

    /// Filtered trail for the DPO (cluster) or an auditor (their organisation), newest
    /// first. `limit` None = everything (CSV export).
    pub async fn trail(
        &self,
        caller: &Caller,
        f: &TrailFilter,
        offset: i64,
        limit: Option<i64>,
    ) -> CoreResult<(Vec<TrailRow>, i64)> {
        caller.require_audit_trail()?;
        let mut sql = String::from(" FROM audit_trail WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        let visible: Vec<String> = caller
            .visible_organisation_ids
            .iter()
            .map(|o| bind(o.clone()))
            .collect();
        let visible = visible.join(", ");
        if caller.role.cluster_wide() {
            // The DPO also sees sign-in failures, which belong to no organisation.
            sql.push_str(&format!(
                " AND (organisation_id IS NULL OR organisation_id IN ({visible}))"
            ));
        } else {
            sql.push_str(&format!(" AND organisation_id IN ({visible})"));
        }
        if let Some(u) = f.user.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let (a, b) = (bind(u.to_lowercase()), bind(u.to_string()));
            sql.push_str(&format!(" AND (user_email = {a} OR user_id = {b})"));
        }
        if let Some(o) = f.organisation_id.as_deref().filter(|s| !s.is_empty()) {
            let a = bind(o.to_string());
            sql.push_str(&format!(" AND organisation_id = {a}"));
        }
        if let Some(r) = f
            .record_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let a = bind(r.to_string());
            sql.push_str(&format!(" AND record_id = {a}"));
        }
        if let Some(d) = f.from.as_deref().and_then(crate::time::parse_iso_date) {
            let a = bind(format!("{d}T00:00:00"));
            sql.push_str(&format!(" AND at >= {a}"));
        }
        if let Some(d) = f.to.as_deref().and_then(crate::time::parse_iso_date) {
            let a = bind(format!("{}T00:00:00", d.succ_opt().unwrap_or(d)));
            sql.push_str(&format!(" AND at < {a}"));
        }
        let count_sql = format!("SELECT COUNT(*){sql}");
        let mut q = steward_db::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            q = q.bind(b);
        }
        let total = q.fetch_one(&self.db.pool).await?;
        let mut list_sql = format!("SELECT *{sql} ORDER BY seq DESC");
        if let Some(l) = limit {
            list_sql.push_str(&format!(" LIMIT {} OFFSET {}", l.max(0), offset.max(0)));
        }
        let mut q = steward_db::query(&list_sql);
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.db.pool).await?;
        let rows = rows
            .iter()
            .map(row_to_trail)
            .collect::<CoreResult<Vec<_>>>()?;
        Ok((rows, total))
    }

    /// The filtered trail as CSV, for the DPO's own records or an investigation.
    pub async fn trail_csv(&self, caller: &Caller, f: &TrailFilter) -> CoreResult<String> {
        let (rows, _) = self.trail(caller, f, 0, None).await?;
        let mut w = crate::csv_out::Writer::in_memory();
        w.write_record([
            "seq",
            "at",
            "user_id",
            "user_email",
            "organisation_id",
            "event",
            "record_type",
            "record_id",
            "detail",
            "address",
            "prev_hash",
            "hash",
        ])
        .map_err(|e| crate::CoreError::Internal(e.to_string()))?;
        for r in rows {
            w.write_record([
                r.seq.to_string(),
                r.at,
                r.entry.user_id.unwrap_or_default(),
                r.entry.user_email,
                r.entry.organisation_id.unwrap_or_default(),
                r.entry.event,
                r.entry.record_type.unwrap_or_default(),
                r.entry.record_id.unwrap_or_default(),
                r.entry.detail,
                r.entry.address,
                r.prev_hash,
                r.hash,
            ])
            .map_err(|e| crate::CoreError::Internal(e.to_string()))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| crate::CoreError::Internal(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| crate::CoreError::Internal(e.to_string()))
    }
}
