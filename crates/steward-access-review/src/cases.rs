//! Cases: review, outcome, notes. Every view of a case is written to the audit trail (a case
//! names a member of staff and a patient), and every change is a new version of the case.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use steward_core::actions::{Action, ActionInput};
use steward_core::records::record_version;
use steward_core::time::{iso_date, now_stamp, parse_iso_date};
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult, FieldErrors, Kind, Permit};
use steward_db::{AnyRow, Row};

use crate::{period_label, require_audit_read, AccessReview, CASE_RECORD};

pub const CASE_PAGE_SIZE: i64 = 25;
/// An inappropriate access is the DPO's to look at within a week (incident protocol, seed 001).
pub const DPO_ACTION_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CaseOutcome)]
pub enum Outcome {
    /// There was a legitimate reason (recorded).
    Appropriate,
    /// No legitimate reason: an action for the DPO, who decides on an incident.
    Inappropriate,
    /// The user must explain: a request to their line manager with a due date.
    NeedsExplanation,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [
        Outcome::Appropriate,
        Outcome::Inappropriate,
        Outcome::NeedsExplanation,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Appropriate => "appropriate",
            Outcome::Inappropriate => "inappropriate",
            Outcome::NeedsExplanation => "needs_explanation",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Appropriate => "Appropriate",
            Outcome::Inappropriate => "Inappropriate",
            Outcome::NeedsExplanation => "Needs the user's explanation",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "open" => "To review",
        "awaiting_explanation" => "Awaiting explanation",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

pub fn outcome_label(s: Option<&str>) -> &'static str {
    s.and_then(Outcome::parse)
        .map(|o| o.label())
        .unwrap_or("Not yet reviewed")
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: String,
    pub run_id: String,
    pub organisation_id: String,
    pub period: String,
    /// 1 = review first.
    pub rank: i64,
    /// "user-patient" or "user-day" (VOLUME).
    pub kind: String,
    pub user_id: String,
    pub user_name: String,
    pub patient_id: Option<String>,
    /// The patient's name from the export, when the audit ran (none for older audits).
    pub patient_name: Option<String>,
    pub day: Option<String>,
    /// The contract's rule names.
    pub rules: Vec<String>,
    pub severity: i64,
    pub events: i64,
    /// Local time of the export.
    pub first_ts: String,
    pub last_ts: String,
    /// open, awaiting_explanation or closed.
    pub status: String,
    pub outcome: Option<String>,
    pub outcome_reason: String,
    pub outcome_by: Option<String>,
    pub outcome_at: Option<String>,
    /// The action raised by the outcome (for the DPO or the line manager).
    pub action_id: Option<String>,
    pub line_manager_id: Option<String>,
    pub explanation_due: Option<String>,
    pub version: i64,
}

impl Case {
    pub fn status_label(&self) -> &'static str {
        status_label(&self.status)
    }
    pub fn outcome_label(&self) -> &'static str {
        outcome_label(self.outcome.as_deref())
    }
    /// "patient P010" or "day 2025-05-14".
    pub fn subject(&self) -> String {
        match (&self.patient_id, &self.day) {
            (Some(p), _) => format!("patient {p}"),
            (None, Some(d)) => format!("all patients on {d}"),
            _ => String::new(),
        }
    }
    pub fn rules_text(&self) -> String {
        self.rules.join(", ")
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "status": self.status_label(),
            "outcome": self.outcome_label(),
            "reason": self.outcome_reason,
            "action": self.action_id,
            "explanation_due": self.explanation_due,
            "version": self.version,
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagEvidence {
    pub rule: String,
    /// The relationship found (same household, neighbour, colleague, self), if any.
    pub relationship: String,
    /// What matched, and the nearest care episode.
    pub detail: String,
}

/// One flagged access on the case's timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    pub event_id: String,
    pub ts: String,
    pub user_id: String,
    pub patient_id: String,
    pub flags: Vec<FlagEvidence>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Note {
    pub user_name: String,
    pub body: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    pub case: Case,
    pub timeline: Vec<TimelineEvent>,
    pub notes: Vec<Note>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// A rule name of the contract, e.g. FAMILY.
    pub rule: Option<String>,
    /// A user id or part of a user's name.
    pub user: Option<String>,
    pub patient: Option<String>,
    /// YYYY-MM-DD: cases with an access on that day.
    #[param(format = Date)]
    pub date: Option<String>,
    /// open, awaiting_explanation or closed.
    pub status: Option<String>,
    /// The page, from 1 (default 1); past the last, the last.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// How many items a page holds (default 25, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub size: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<Case>,
    pub total: i64,
    pub page: i64,
    /// How many items a page holds.
    pub size: i64,
    pub pages: i64,
}

/// What a reviewer records (form and API alike).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutcomeInput {
    /// appropriate, inappropriate or needs_explanation.
    pub outcome: String,
    /// Why the access was appropriate (required), or what was found.
    #[serde(default)]
    pub reason: String,
    /// For needs_explanation: the user's line manager (a Steward user of the organisation).
    #[serde(default)]
    pub line_manager_id: String,
    /// For needs_explanation: YYYY-MM-DD.
    #[serde(default)]
    pub due_date: String,
    /// The version you last read; a newer one makes the update fail with a conflict.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

const CASE_SELECT: &str = "SELECT c.*, r.period AS period, u.display_name AS outcome_by_name FROM audit_cases c JOIN audit_runs r ON r.id = c.run_id LEFT JOIN users u ON u.id = c.outcome_by";

fn case_from_row(r: &AnyRow) -> CoreResult<Case> {
    Ok(Case {
        id: r.try_get("id")?,
        run_id: r.try_get("run_id")?,
        organisation_id: r.try_get("organisation_id")?,
        period: r.try_get("period")?,
        rank: r.try_get("rank")?,
        kind: r.try_get("kind")?,
        user_id: r.try_get("user_id")?,
        user_name: r.try_get("user_name")?,
        patient_id: r.try_get("patient_id")?,
        patient_name: r
            .try_get::<Option<String>, _>("patient_name")?
            .filter(|n| !n.trim().is_empty()),
        day: r.try_get("day")?,
        rules: r
            .try_get::<String, _>("rules")?
            .split_whitespace()
            .map(String::from)
            .collect(),
        severity: r.try_get("severity")?,
        events: r.try_get("events")?,
        first_ts: r.try_get("first_ts")?,
        last_ts: r.try_get("last_ts")?,
        status: r.try_get("status")?,
        outcome: r.try_get("outcome")?,
        outcome_reason: r.try_get("outcome_reason")?,
        outcome_by: r.try_get("outcome_by_name")?,
        outcome_at: r.try_get("outcome_at")?,
        action_id: r.try_get("action_id")?,
        line_manager_id: r.try_get("line_manager_id")?,
        explanation_due: r.try_get("explanation_due")?,
        version: r.try_get("version")?,
    })
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl AccessReview {
    pub(crate) async fn load_case(&self, id: &str) -> CoreResult<Case> {
        let sql = format!("{CASE_SELECT} WHERE c.id = $1");
        let row = steward_db::query(&sql)
            .bind(id)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        case_from_row(&row)
    }

    /// The cases of a run, ranked, filtered and paged on the server. The list names staff
    /// and patients, so it goes in the trail (with its filter).
    pub async fn cases(
        &self,
        caller: &Caller,
        run_id: &str,
        q: &CaseQuery,
    ) -> CoreResult<CasePage> {
        let run = self.run(caller, run_id).await?;
        let mut binds: Vec<String> = vec![run_id.to_string()];
        let mut bind = |v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        let mut wh = String::from(" WHERE c.run_id = $1");
        // A case is never shown to the member of staff it is about (the gate's relation
        // rule), in lists as when opened.
        let me = bind(caller.display_name.trim().to_lowercase());
        wh.push_str(&format!(" AND LOWER(c.user_name) <> {me}"));
        if let Some(rule) = some(&q.rule) {
            // Rules are stored space-separated: match a whole name.
            let p = bind(format!("% {} %", rule.to_uppercase()));
            wh.push_str(&format!(" AND (' ' || c.rules || ' ') LIKE {p}"));
        }
        if let Some(u) = some(&q.user) {
            let (a, b) = (bind(u.to_string()), bind(format!("%{}%", u.to_lowercase())));
            wh.push_str(&format!(
                " AND (c.user_id = {a} OR LOWER(c.user_name) LIKE {b})"
            ));
        }
        if let Some(p) = some(&q.patient) {
            let a = bind(p.to_string());
            wh.push_str(&format!(" AND c.patient_id = {a}"));
        }
        if let Some(d) = some(&q.date).and_then(parse_iso_date) {
            // A case with a flagged access on that day (not merely one spanning it).
            let a = bind(iso_date(d));
            wh.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM audit_flags f WHERE f.run_id = c.run_id AND f.user_id = c.user_id AND f.day = {a} AND ((c.patient_id IS NOT NULL AND f.patient_id = c.patient_id AND f.rule <> 'VOLUME') OR (c.patient_id IS NULL AND f.day = c.day AND f.rule = 'VOLUME')))"
            ));
        }
        if let Some(s) = some(&q.status) {
            let a = bind(s.to_string());
            wh.push_str(&format!(" AND c.status = {a}"));
        }
        let count_sql = format!("SELECT COUNT(*) FROM audit_cases c{wh}");
        let mut cq = steward_db::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            cq = cq.bind(b);
        }
        let total = cq.fetch_one(&self.steward.db.pool).await?;
        let paging =
            steward_core::paging::Paging::lenient(q.page, q.size, CASE_PAGE_SIZE).at_most(total);
        let (page, size, pages) = (paging.page, paging.size, paging.pages(total));
        let sql = format!(
            "{CASE_SELECT}{wh} ORDER BY c.rank LIMIT {size} OFFSET {}",
            paging.offset()
        );
        let mut lq = steward_db::query(&sql);
        for b in &binds {
            lq = lq.bind(b);
        }
        let items = lq
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(case_from_row)
            .collect::<CoreResult<Vec<_>>>()?;
        let filter = serde_json::to_string(q).unwrap_or_default();
        self.steward
            .trail_standalone(TrailEntry {
                organisation_id: Some(run.organisation_id.clone()),
                record_type: Some(CASE_RECORD.into()),
                detail: format!("cases of run {run_id}, page {page}, filter {filter}"),
                ..TrailEntry::for_caller(caller, "record.list")
            })
            .await?;
        Ok(CasePage {
            items,
            total,
            page,
            size,
            pages,
        })
    }

    /// The cases of every audit of one or several organisations (the DPO's cluster view
    /// of cases to review), newest period first, then by rank. Each organisation was
    /// permitted by the gate (`Steward::permit_lists`); the read goes in the trail for each.
    /// `status`: open, awaiting_explanation, closed, or empty for all.
    pub async fn cases_in(
        &self,
        caller: &Caller,
        permits: &[steward_core::OrgPermit],
        status: &str,
        page: Option<i64>,
    ) -> CoreResult<CasePage> {
        if permits.is_empty() || permits.iter().any(|p| p.kind() != Kind::AccessAuditCase) {
            return Err(CoreError::Forbidden);
        }
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        let orgs: Vec<String> = permits
            .iter()
            .map(|p| bind(p.organisation_id().to_string()))
            .collect();
        let mut wh = format!(" WHERE c.organisation_id IN ({})", orgs.join(", "));
        let me = bind(caller.display_name.trim().to_lowercase());
        wh.push_str(&format!(" AND LOWER(c.user_name) <> {me}"));
        let status = status.trim();
        if !status.is_empty() {
            if !matches!(status, "open" | "awaiting_explanation" | "closed") {
                return Err(CoreError::invalid(
                    "status",
                    "Select a status from the list",
                ));
            }
            let a = bind(status.to_string());
            wh.push_str(&format!(" AND c.status = {a}"));
        }
        let count_sql = format!("SELECT COUNT(*) FROM audit_cases c{wh}");
        let mut cq = steward_db::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            cq = cq.bind(b);
        }
        let total = cq.fetch_one(&self.steward.db.pool).await?;
        let pages = ((total + CASE_PAGE_SIZE - 1) / CASE_PAGE_SIZE).max(1);
        let page = page.unwrap_or(1).clamp(1, pages);
        let sql = format!(
            "{CASE_SELECT}{wh} ORDER BY r.period DESC, c.organisation_id, c.rank LIMIT {CASE_PAGE_SIZE} OFFSET {}",
            (page - 1) * CASE_PAGE_SIZE
        );
        let mut lq = steward_db::query(&sql);
        for b in &binds {
            lq = lq.bind(b);
        }
        let items = lq
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(case_from_row)
            .collect::<CoreResult<Vec<_>>>()?;
        self.steward
            .trail_lists(caller, permits, &format!("cases {status}, page {page}"))
            .await?;
        Ok(CasePage {
            items,
            total,
            page,
            size: CASE_PAGE_SIZE,
            pages,
        })
    }

    async fn timeline(&self, c: &Case) -> CoreResult<Vec<TimelineEvent>> {
        let rows = if let Some(p) = &c.patient_id {
            steward_db::query("SELECT * FROM audit_flags WHERE run_id = $1 AND user_id = $2 AND patient_id = $3 AND rule <> 'VOLUME' ORDER BY ts, seq")
                .bind(&c.run_id)
                .bind(&c.user_id)
                .bind(p)
                .fetch_all(&self.steward.db.pool)
                .await?
        } else {
            steward_db::query("SELECT * FROM audit_flags WHERE run_id = $1 AND user_id = $2 AND day = $3 AND rule = 'VOLUME' ORDER BY ts, seq")
                .bind(&c.run_id)
                .bind(&c.user_id)
                .bind(c.day.clone().unwrap_or_default())
                .fetch_all(&self.steward.db.pool)
                .await?
        };
        let mut out: Vec<TimelineEvent> = Vec::new();
        for r in &rows {
            let event_id: String = r.try_get("event_id")?;
            let ev: serde_json::Value =
                serde_json::from_str(&r.try_get::<String, _>("evidence")?).unwrap_or_default();
            let flag = FlagEvidence {
                rule: r.try_get("rule")?,
                relationship: ev["relationship"].as_str().unwrap_or("").to_string(),
                detail: ev["detail"].as_str().unwrap_or("").to_string(),
            };
            match out.last_mut() {
                Some(last) if last.event_id == event_id => last.flags.push(flag),
                _ => out.push(TimelineEvent {
                    event_id,
                    ts: r.try_get("ts")?,
                    user_id: r.try_get("user_id")?,
                    patient_id: r.try_get("patient_id")?,
                    flags: vec![flag],
                }),
            }
        }
        Ok(out)
    }

    async fn notes(&self, case_id: &str) -> CoreResult<Vec<Note>> {
        let rows = steward_db::query("SELECT n.body, n.at, u.display_name FROM audit_case_notes n LEFT JOIN users u ON u.id = n.user_id WHERE n.case_id = $1 ORDER BY n.at")
            .bind(case_id)
            .fetch_all(&self.steward.db.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Note {
                    user_name: r
                        .try_get::<Option<String>, _>("display_name")?
                        .unwrap_or_default(),
                    body: r.try_get("body")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// One case with its timeline of flagged accesses and their evidence, its notes and the
    /// actions it raised. The gate recorded the view in the audit trail.
    pub async fn case(&self, permit: &Permit<ops::Read>) -> CoreResult<CaseDetail> {
        let id = permit.id();
        let c = self.load_case(id).await?;
        let timeline = self.timeline(&c).await?;
        let notes = self.notes(id).await?;
        let actions = self.steward.linked_actions(permit).await?;
        Ok(CaseDetail {
            case: c,
            timeline,
            notes,
            actions,
        })
    }

    pub async fn add_case_note(
        &self,
        caller: &Caller,
        case_id: &str,
        body: &str,
    ) -> CoreResult<()> {
        self.steward
            .permit::<ops::Comment>(caller, Kind::AccessAuditCase, case_id)
            .await?;
        let c = self.load_case(case_id).await?;
        let body = body.trim();
        if body.is_empty() {
            return Err(CoreError::invalid("body", "Enter a note"));
        }
        if body.chars().count() > 5000 {
            return Err(CoreError::invalid(
                "body",
                "A note must be 5,000 characters or fewer",
            ));
        }
        let mut w = self.steward.write().await?;
        steward_db::query("INSERT INTO audit_case_notes (id, case_id, organisation_id, user_id, body, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(case_id)
            .bind(&c.organisation_id)
            .bind(&caller.user_id)
            .bind(body)
            .bind(now_stamp())
            .execute(&mut *w.tx)
            .await?;
        append(
            &mut w.tx,
            &TrailEntry::for_record(
                caller,
                "comment.add",
                &c.organisation_id,
                CASE_RECORD,
                case_id,
            ),
        )
        .await?;
        w.commit().await
    }

    /// The cluster's DPO, who owns actions raised by an inappropriate access.
    async fn cluster_dpo(&self, caller: &Caller) -> CoreResult<Option<String>> {
        Ok(steward_db::query_scalar(
            "SELECT u.id FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE o.cluster_id = $1 AND u.role = 'dpo' AND u.active = 1 ORDER BY u.created_at LIMIT 1",
        )
        .bind(&caller.cluster_id)
        .fetch_optional(&self.steward.db.pool)
        .await?)
    }

    /// Records a case's outcome. Appropriate closes it with the reason; inappropriate raises
    /// an action for the DPO (who decides whether it is an incident: seed 001, "unauthorised
    /// access" in the incident protocol); needing the user's explanation raises an action for
    /// their line manager with the due date. The outcome can be changed later (e.g. once the
    /// explanation is in); every change is a version and a trail entry.
    pub async fn record_outcome(
        &self,
        caller: &Caller,
        case_id: &str,
        input: &OutcomeInput,
        today: NaiveDate,
    ) -> CoreResult<Case> {
        self.steward
            .permit::<ops::Change>(caller, Kind::AccessAuditCase, case_id)
            .await?;
        let before = self.load_case(case_id).await?;
        let org = before.organisation_id.clone();
        let mut errors = FieldErrors::default();
        let outcome = Outcome::parse(input.outcome.trim());
        if outcome.is_none() {
            errors.add("outcome", "Select the outcome of your review");
        }
        let reason = input.reason.trim().to_string();
        if outcome == Some(Outcome::Appropriate) && reason.is_empty() {
            errors.add(
                "reason",
                "Enter the reason the access was appropriate, for example the care it supported",
            );
        }
        if reason.chars().count() > 5000 {
            errors.add("reason", "The reason must be 5,000 characters or fewer");
        }
        let mut due = None;
        if outcome == Some(Outcome::NeedsExplanation) {
            let people = self.steward.assignable_people(caller, &org).await?;
            if input.line_manager_id.trim().is_empty() {
                errors.add("line_manager_id", "Select the user's line manager");
            } else if !people.iter().any(|p| p.id == input.line_manager_id) {
                errors.add(
                    "line_manager_id",
                    "Select a line manager from this organisation",
                );
            }
            let d = input.due_date.trim();
            if d.is_empty() {
                errors.add("due_date", "Enter the date the explanation is due");
            } else {
                match parse_iso_date(d) {
                    None => errors.add(
                        "due_date",
                        "The due date must be a real date, for example 27 3 2027",
                    ),
                    Some(x) if x < today => {
                        errors.add("due_date", "The due date must be today or in the future")
                    }
                    Some(x) => due = Some(x),
                }
            }
        }
        let dpo = if outcome == Some(Outcome::Inappropriate) {
            let d = self.cluster_dpo(caller).await?;
            if d.is_none() {
                errors.add(
                    "outcome",
                    "There is no DPO in this cluster to raise the action with",
                );
            }
            d
        } else {
            None
        };
        errors.into_result()?;
        if input.expected_version.is_some_and(|v| v != before.version) {
            return Err(CoreError::Conflict(
                "Someone else recorded an outcome for this case while you were reviewing it. Reload to see it.".into(),
            ));
        }
        let outcome = outcome.expect("validated");
        // Actions are seen by the whole practice, including the people access audits watch:
        // they say what to do and link to the case, and name no one (the case holds the
        // member of staff, the patient and the rules, behind the gate).
        let case_link = format!(
            "access-audit case {} ({})",
            before.rank,
            period_label(&before.period)
        );
        let action =
            |title: String, description: String, owner_id: String, due: NaiveDate| ActionInput {
                title,
                description,
                owner_id,
                due_date: iso_date(due),
                status: None,
                source_record_type: Some(CASE_RECORD.into()),
                source_record_id: Some(case_id.into()),
            };
        // The action first (it checks its owner), then the case points to it.
        let action = match outcome {
            Outcome::Appropriate => None,
            Outcome::Inappropriate => Some(
                self.steward
                    .create_action(
                        caller,
                        &org,
                        &action(
                            "Decide whether an inappropriate access is an information incident".into(),
                            format!("{case_link} was found inappropriate by {}. Open the linked case for the details; log an incident if it is one, and agree the next steps with the practice.", caller.display_name),
                            dpo.clone().expect("validated"),
                            today + Duration::days(DPO_ACTION_DAYS),
                        ),
                    )
                    .await?,
            ),
            Outcome::NeedsExplanation => Some(
                self.steward
                    .create_action(
                        caller,
                        &org,
                        &action(
                            "Get an explanation of an access to a patient record".into(),
                            format!("{} will tell you whose access needs explaining ({case_link}). Send the explanation to them to record on the case.", caller.display_name),
                            input.line_manager_id.clone(),
                            due.expect("validated"),
                        ),
                    )
                    .await?,
            ),
        };
        let status = match outcome {
            Outcome::NeedsExplanation => "awaiting_explanation",
            _ => "closed",
        };
        let mut w = self.steward.write().await?;
        let version = before.version + 1;
        steward_db::query(
            "UPDATE audit_cases SET status = $1, outcome = $2, outcome_reason = $3, outcome_by = $4, outcome_at = $5, action_id = $6, line_manager_id = $7, explanation_due = $8, version = $9 WHERE id = $10 AND version = $11",
        )
        .bind(status)
        .bind(outcome.as_str())
        .bind(&reason)
        .bind(&caller.user_id)
        .bind(now_stamp())
        .bind(action.as_ref().map(|a| a.id.clone()).or(before.action_id.clone()))
        .bind(Some(input.line_manager_id.clone()).filter(|_| outcome == Outcome::NeedsExplanation))
        .bind(due.map(iso_date))
        .bind(version)
        .bind(case_id)
        .bind(before.version)
        .execute(&mut *w.tx)
        .await?;
        let sql = format!("{CASE_SELECT} WHERE c.id = $1");
        let row = steward_db::query(&sql)
            .bind(case_id)
            .fetch_one(&mut *w.tx)
            .await?;
        let after = case_from_row(&row)?;
        if after.version != version {
            return Err(CoreError::Conflict(
                "Someone else changed this case at the same time. Reload to see it.".into(),
            ));
        }
        record_version(
            &mut w.tx,
            caller,
            CASE_RECORD,
            case_id,
            &org,
            version,
            &after.snapshot(),
        )
        .await?;
        let mut e = TrailEntry::for_record(caller, "record.update", &org, CASE_RECORD, case_id);
        e.detail = format!("outcome {}", outcome.as_str());
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        Ok(after)
    }
}

/// What the dashboard shows of the access audit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditSummary {
    /// The newest run: id, month label and status.
    pub latest_run_id: Option<String>,
    pub latest_period: String,
    pub latest_status: String,
    /// Cases of the organisation still to review.
    pub to_review: i64,
    pub awaiting_explanation: i64,
}

impl AccessReview {
    /// Counts for the dashboard; `None` for the roles that do not review access (counts
    /// only, so no trail entry).
    pub async fn dashboard_summary(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Option<AuditSummary>> {
        if require_audit_read(caller, organisation_id).is_err() {
            return Ok(None);
        }
        // One query: the dashboard runs it on every view.
        let r = steward_db::query(
            "SELECT r.id AS run_id, r.period, r.status AS run_status, \
             (SELECT COUNT(*) FROM audit_cases c WHERE c.organisation_id = $1 AND c.status = 'open') AS to_review, \
             (SELECT COUNT(*) FROM audit_cases c WHERE c.organisation_id = $1 AND c.status = 'awaiting_explanation') AS awaiting_explanation \
             FROM organisations o LEFT JOIN audit_runs r ON r.id = \
             (SELECT id FROM audit_runs WHERE organisation_id = $1 ORDER BY created_at DESC LIMIT 1) \
             WHERE o.id = $1",
        )
        .bind(organisation_id)
        .fetch_one(&self.steward.db.pool)
        .await?;
        let to_review: i64 = r.try_get("to_review")?;
        let awaiting_explanation: i64 = r.try_get("awaiting_explanation")?;
        let latest_run_id: Option<String> = r.try_get("run_id")?;
        let latest_period = r
            .try_get::<Option<String>, _>("period")?
            .map(|p| crate::period_label(&p))
            .unwrap_or_default();
        let latest_status = r
            .try_get::<Option<String>, _>("run_status")?
            .unwrap_or_default();
        Ok(Some(AuditSummary {
            latest_run_id,
            latest_period,
            latest_status,
            to_review,
            awaiting_explanation,
        }))
    }
}
