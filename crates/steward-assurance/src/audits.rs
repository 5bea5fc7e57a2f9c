//! Compliance audits: the DPO audits a practice against the Data Security Compliance Audit
//! (`data/compliance-audit.toml`), question by question, with the evidence seen; on
//! completion each finding becomes an action for the practice (a foundation action, linked
//! back to the audit). A completed audit is kept as it was answered.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_core::actions::ActionInput;
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::records::record_version;
use steward_core::time::{iso_date, long_date, now_stamp, parse_iso_date};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row};

use crate::audit_template::{outcome, AuditTemplate, Outcome};

const KIND: Kind = Kind::ComplianceAudit;
/// Findings are due this many days after the visit unless the DPO says otherwise.
pub const DEFAULT_FINDING_DAYS: i64 = 30;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplianceAudit {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub reference: String,
    pub title: String,
    pub visit_date: NaiveDate,
    /// in_progress or completed
    pub status: String,
    pub started_by_name: String,
    pub completed_at: Option<String>,
    pub summary: String,
    pub outcome: Outcome,
    pub version: i64,
}

impl ComplianceAudit {
    pub fn is_completed(&self) -> bool {
        self.status == "completed"
    }
    pub fn status_label(&self) -> &'static str {
        if self.is_completed() {
            "Completed"
        } else {
            "In progress"
        }
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "title": self.title,
            "visit_date": long_date(self.visit_date),
            "status": self.status_label(),
            "summary": self.summary,
            "met": self.outcome.met,
            "applicable": self.outcome.applicable,
            "findings": self.outcome.findings,
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Answer {
    pub question_code: String,
    pub section: String,
    pub question: String,
    pub rating: String,
    pub rating_label: String,
    pub is_finding: bool,
    pub evidence_seen: String,
    pub finding: String,
    pub due_date: Option<NaiveDate>,
    pub action_id: Option<String>,
}

/// Starting an audit of a practice.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct StartInput {
    /// YYYY-MM-DD
    #[schema(format = Date)]
    pub visit_date: String,
}

/// One question's answer (form and API alike).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    pub question_code: String,
    /// A rating code of the audit: met, partly_met, not_met, not_applicable.
    pub rating: String,
    #[serde(default)]
    pub evidence_seen: String,
    /// Required when the rating is a finding: what the practice must put right.
    #[serde(default)]
    pub finding: String,
    /// YYYY-MM-DD; for a finding, when the practice's action is due (default 30 days after
    /// the visit).
    #[serde(default)]
    pub due_date: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CompleteInput {
    #[serde(default)]
    pub summary: String,
}

pub struct Audits<'a> {
    pub steward: &'a Steward,
    pub template: AuditTemplate,
}

pub fn audits(steward: &Steward) -> Audits<'_> {
    Audits {
        steward,
        template: crate::rules(steward).audit.clone(),
    }
}

const SELECT: &str = "SELECT a.*, o.name AS organisation_name, u.display_name AS started_by_name FROM compliance_audits a JOIN organisations o ON o.id = a.organisation_id JOIN users u ON u.id = a.started_by";

fn from_row(r: &AnyRow) -> CoreResult<ComplianceAudit> {
    let visit: String = r.try_get("visit_date")?;
    Ok(ComplianceAudit {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        reference: r.try_get("reference")?,
        title: r.try_get("title")?,
        visit_date: parse_iso_date(&visit)
            .ok_or_else(|| CoreError::Internal(format!("stored visit date {visit:?}")))?,
        status: r.try_get("status")?,
        started_by_name: r.try_get("started_by_name")?,
        completed_at: r.try_get("completed_at")?,
        summary: r.try_get("summary")?,
        outcome: Outcome {
            met: r.try_get("met")?,
            applicable: r.try_get("applicable")?,
            findings: r.try_get("findings")?,
        },
        version: r.try_get("version")?,
    })
}

/// The practice's owner for findings and round actions: its IG lead, else its SIRO.
pub async fn practice_owner(
    steward: &Steward,
    organisation_id: &str,
) -> CoreResult<Option<(String, String, String)>> {
    let row = steward_db::query(
        "SELECT id, display_name, email FROM users WHERE organisation_id = $1 AND active = 1 AND role IN ('ig_lead', 'siro') ORDER BY CASE role WHEN 'ig_lead' THEN 0 ELSE 1 END, created_at LIMIT 1",
    )
    .bind(organisation_id)
    .fetch_optional(&steward.db.pool)
    .await?;
    row.map(|r| -> CoreResult<_> {
        Ok((
            r.try_get("id")?,
            r.try_get("display_name")?,
            r.try_get("email")?,
        ))
    })
    .transpose()
}

impl Audits<'_> {
    /// The DPO starts an audit of a practice on the shipped (or the DPO's own) template.
    pub async fn start(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &StartInput,
    ) -> CoreResult<ComplianceAudit> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let mut e = FieldErrors::default();
        let visit = parse_iso_date(input.visit_date.trim());
        if visit.is_none() {
            e.add(
                "visit_date",
                "Enter the date of the audit visit, for example 5 2 2026",
            );
        }
        e.into_result()?;
        let visit = visit.expect("checked");
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        let n: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM compliance_audits WHERE organisation_id = $1",
        )
        .bind(organisation_id)
        .fetch_one(&mut *w.tx)
        .await?;
        let reference = format!("AUD-{}-{:04}", visit.format("%Y"), n + 1);
        steward_db::query("INSERT INTO compliance_audits (id, organisation_id, reference, template_code, title, visit_date, status, started_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, 'in_progress', $7, $8, $8, 1)")
            .bind(&id)
            .bind(organisation_id)
            .bind(&reference)
            .bind(&self.template.code)
            .bind(&self.template.title)
            .bind(iso_date(visit))
            .bind(&caller.user_id)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        let a = self.load_in(&mut w.tx, &id).await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            &id,
            organisation_id,
            1,
            &a.snapshot(),
        )
        .await?;
        let mut t =
            TrailEntry::for_record(caller, "record.create", organisation_id, KIND.code(), &id);
        t.detail = format!("{} {}", a.reference, a.title);
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(a)
    }

    async fn load_in(
        &self,
        tx: &mut steward_db::Tx<'static>,
        id: &str,
    ) -> CoreResult<ComplianceAudit> {
        let row = steward_db::query(&format!("{SELECT} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn audit(&self, permit: &Permit<ops::Read>) -> CoreResult<ComplianceAudit> {
        let row = steward_db::query(&format!("{SELECT} WHERE a.id = $1"))
            .bind(permit.id())
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    /// The answers given so far, in the template's order (answers to questions no longer in
    /// the template come last, as asked).
    pub async fn answers(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<Answer>> {
        let rows = steward_db::query("SELECT * FROM compliance_audit_answers WHERE audit_id = $1")
            .bind(permit.id())
            .fetch_all(&self.steward.db.pool)
            .await?;
        let mut out = rows
            .iter()
            .map(|r| -> CoreResult<Answer> {
                let rating: String = r.try_get("rating")?;
                let due: Option<String> = r.try_get("due_date")?;
                Ok(Answer {
                    question_code: r.try_get("question_code")?,
                    section: r.try_get("section")?,
                    question: r.try_get("question")?,
                    rating_label: self.template.rating_label(&rating),
                    is_finding: self.template.rating(&rating).is_some_and(|x| x.finding),
                    rating,
                    evidence_seen: r.try_get("evidence_seen")?,
                    finding: r.try_get("finding")?,
                    due_date: due.as_deref().and_then(parse_iso_date),
                    action_id: r.try_get("action_id")?,
                })
            })
            .collect::<CoreResult<Vec<_>>>()?;
        let pos = |code: &str| {
            self.template
                .questions()
                .position(|(_, q)| q.code == code)
                .unwrap_or(usize::MAX)
        };
        out.sort_by_key(|a| pos(&a.question_code));
        Ok(out)
    }

    /// Records (or changes) one question's answer while the audit is in progress.
    pub async fn answer(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &AnswerInput,
    ) -> CoreResult<Answer> {
        let a = self.audit(&permit.as_read()).await?;
        if a.is_completed() {
            return Err(CoreError::Conflict(
                "This audit is completed: its answers are kept as they were given".into(),
            ));
        }
        let mut e = FieldErrors::default();
        let Some((section, q)) = self
            .template
            .questions()
            .find(|(_, q)| q.code == input.question_code)
        else {
            e.add("question_code", "Choose a question of this audit");
            return Err(CoreError::Invalid(e));
        };
        let field = |name: &str| format!("{}_{name}", q.code);
        let rating = self.template.rating(input.rating.trim());
        if rating.is_none() {
            e.add(&field("rating"), "Choose a rating");
        }
        let evidence = input.evidence_seen.trim().to_string();
        let finding = input.finding.trim().to_string();
        if evidence.chars().count() > 2_000 {
            e.add(
                &field("evidence_seen"),
                "Evidence seen must be 2,000 characters or fewer",
            );
        }
        if finding.chars().count() > 2_000 {
            e.add(
                &field("finding"),
                "The finding must be 2,000 characters or fewer",
            );
        }
        let is_finding = rating.is_some_and(|r| r.finding);
        let mut due = None;
        if is_finding {
            if finding.is_empty() {
                e.add(&field("finding"), "Say what the practice must put right");
            }
            due = if input.due_date.trim().is_empty() {
                Some(a.visit_date + chrono::Duration::days(DEFAULT_FINDING_DAYS))
            } else {
                match parse_iso_date(input.due_date.trim()) {
                    Some(d) if d < a.visit_date => {
                        e.add(
                            &field("due_date"),
                            "The action cannot be due before the visit",
                        );
                        None
                    }
                    Some(d) => Some(d),
                    None => {
                        e.add(
                            &field("due_date"),
                            "Enter a real date, for example 5 3 2026",
                        );
                        None
                    }
                }
            };
        }
        e.into_result()?;
        let rating = rating.expect("checked");
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "DELETE FROM compliance_audit_answers WHERE audit_id = $1 AND question_code = $2",
        )
        .bind(permit.id())
        .bind(&q.code)
        .execute(&mut *w.tx)
        .await?;
        steward_db::query("INSERT INTO compliance_audit_answers (audit_id, question_code, section, question, rating, evidence_seen, finding, due_date, answered_by, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(permit.id())
            .bind(&q.code)
            .bind(section)
            .bind(&q.text)
            .bind(&rating.code)
            .bind(&evidence)
            .bind(if is_finding { finding.clone() } else { String::new() })
            .bind(due.map(iso_date))
            .bind(&caller.user_id)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        steward_db::query(
            "UPDATE compliance_audits SET updated_at = $1, version = version + 1 WHERE id = $2",
        )
        .bind(&now)
        .bind(permit.id())
        .execute(&mut *w.tx)
        .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "record.update",
            permit.organisation_id(),
            KIND.code(),
            permit.id(),
        );
        t.detail = format!("{}: {}", q.text, rating.label);
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(Answer {
            question_code: q.code.clone(),
            section: section.to_string(),
            question: q.text.clone(),
            rating: rating.code.clone(),
            rating_label: rating.label.clone(),
            is_finding,
            evidence_seen: evidence,
            finding: if is_finding { finding } else { String::new() },
            due_date: due,
            action_id: None,
        })
    }

    /// Completes the audit: every question rated, then one action for the practice per
    /// finding (owned by its IG lead, else its SIRO). Safe to repeat after a failure: a
    /// finding that already has its action is not given a second one.
    pub async fn complete(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &CompleteInput,
    ) -> CoreResult<ComplianceAudit> {
        let read = permit.as_read();
        let a = self.audit(&read).await?;
        if a.is_completed() {
            return Err(CoreError::Conflict(
                "This audit is already completed".into(),
            ));
        }
        let answers = self.answers(&read).await?;
        let mut e = FieldErrors::default();
        let missing = self
            .template
            .questions()
            .filter(|(_, q)| !answers.iter().any(|a| a.question_code == q.code))
            .count();
        if missing > 0 {
            e.add(
                "summary",
                format!(
                    "{} no rating yet: rate every question before completing the audit",
                    crate::count_words(missing as i64, "question has", "questions have")
                ),
            );
        }
        let summary = input.summary.trim().to_string();
        if summary.chars().count() > 5_000 {
            e.add("summary", "The summary must be 5,000 characters or fewer");
        }
        let owner = practice_owner(self.steward, &a.organisation_id).await?;
        if owner.is_none() && answers.iter().any(|x| x.is_finding) {
            e.add(
                "summary",
                format!(
                    "{} has no IG lead or SIRO to own the findings: add one first",
                    a.organisation_name
                ),
            );
        }
        e.into_result()?;
        for x in answers
            .iter()
            .filter(|x| x.is_finding && x.action_id.is_none())
        {
            let owner = owner.as_ref().expect("checked");
            let action = self
                .steward
                .create_action(
                    caller,
                    &a.organisation_id,
                    &ActionInput {
                        title: format!("Compliance audit finding: {}", x.question),
                        description: format!(
                            "{} ({}, {}): rated {}.\n\n{}",
                            a.title,
                            a.reference,
                            long_date(a.visit_date),
                            x.rating_label.to_lowercase(),
                            x.finding
                        ),
                        owner_id: owner.0.clone(),
                        due_date: iso_date(x.due_date.unwrap_or(
                            a.visit_date + chrono::Duration::days(DEFAULT_FINDING_DAYS),
                        )),
                        status: None,
                        source_record_type: Some(KIND.code().into()),
                        source_record_id: Some(a.id.clone()),
                    },
                )
                .await?;
            steward_db::query("UPDATE compliance_audit_answers SET action_id = $1 WHERE audit_id = $2 AND question_code = $3")
                .bind(&action.id)
                .bind(&a.id)
                .bind(&x.question_code)
                .execute(&self.steward.db.pool)
                .await?;
        }
        let o = outcome(&self.template, answers.iter().map(|x| x.rating.as_str()));
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query("UPDATE compliance_audits SET status = 'completed', completed_at = $1, completed_by = $2, summary = $3, met = $4, applicable = $5, findings = $6, updated_at = $1, version = version + 1 WHERE id = $7 AND status = 'in_progress'")
            .bind(&now)
            .bind(&caller.user_id)
            .bind(&summary)
            .bind(o.met)
            .bind(o.applicable)
            .bind(o.findings)
            .bind(&a.id)
            .execute(&mut *w.tx)
            .await?;
        let after = self.load_in(&mut w.tx, &a.id).await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            &a.id,
            &a.organisation_id,
            after.version,
            &after.snapshot(),
        )
        .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "record.update",
            &a.organisation_id,
            KIND.code(),
            &a.id,
        );
        t.detail = format!(
            "Completed: {} of {} met, {}",
            o.met,
            o.applicable,
            crate::count_words(o.findings, "finding", "findings")
        );
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(after)
    }

    /// The organisation's audits, newest visit first.
    pub async fn list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<ComplianceAudit>> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        let rows = steward_db::query(&format!(
            "{SELECT} WHERE a.organisation_id = $1 ORDER BY a.visit_date DESC, a.reference DESC"
        ))
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }
}
