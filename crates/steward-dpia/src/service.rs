//! DPIAs over Steward's storage (feature `service`). Every function asks the core's gate
//! first: `Kind::DpiaScreening` for screenings, `Kind::Dpia` to write and read a DPIA (the
//! DPO's advice is `Op::Advise`), `Kind::DpiaSignOff` to send one back, approve or reject it.
//! Bad input is refused whole: nothing is saved until everything checks.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use steward_core::actions::ActionInput;
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::records::record_version;
use steward_core::time::{iso_date, long_date, now_stamp, parse_iso_date, parse_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row};

use crate::model::{Content, Problems, ReviewComment, ScreeningSummary};
use crate::rules::Rules;
use crate::screening::{self, Answer, Outcome};
use crate::workflow::{self, status_label, Step};

pub const KIND: Kind = Kind::Dpia;
/// Days to carry out an approved measure when it has no due date.
pub const MEASURE_DAYS: i64 = 30;

fn invalid(p: Problems) -> CoreError {
    let mut e = FieldErrors::default();
    for (f, m) in p {
        e.add(&f, m);
    }
    CoreError::Invalid(e)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScreeningInput {
    /// The project, system or process screened.
    #[schema(required, pattern = "\\S")]
    pub title: String,
    /// trust or ico
    pub questionnaire: String,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Screening {
    pub id: String,
    pub organisation_id: String,
    pub title: String,
    pub questionnaire: String,
    pub questionnaire_title: String,
    pub answers: Vec<Answer>,
    pub outcome: Outcome,
    pub answered_by: String,
    pub answered_at: String,
    pub dpia_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = DpiaStartInput)]
pub struct StartInput {
    #[schema(required, pattern = "\\S")]
    pub title: String,
    /// ico, 5x5 or cnil
    pub matrix: String,
    /// The screening it starts from.
    pub screening_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = DpiaStepInput)]
pub struct StepInput {
    /// submit, request_changes, approve, reject, new_version
    pub step: String,
    /// What needs changing, or why it is rejected (required for those).
    pub note: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AdviceInput {
    /// The DPO's advice: compliance, the measures, whether the processing can proceed.
    #[schema(required = true, pattern = r"\S")]
    pub advice: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CommentInput {
    /// A section code, or empty for the whole DPIA.
    pub section: String,
    #[schema(required, pattern = "\\S")]
    pub text: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dpia {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    /// The DPO service's own DPIA, which it offers to the practices to adopt.
    pub cluster_dpia: bool,
    pub reference: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub matrix: String,
    pub version_number: i64,
    /// "Version 1, 5 February 2021" when approved; "Version 2 (draft)" while written.
    pub version_label: String,
    pub content: Content,
    pub screening_id: Option<String>,
    pub next_review_date: Option<String>,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
    pub created_by: String,
    pub created_by_name: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl Dpia {
    pub fn editable(&self) -> bool {
        workflow::editable(&self.status)
    }
    fn snapshot(&self) -> Value {
        serde_json::json!({
            "title": self.title,
            "status": self.status_label,
            "version": self.version_label,
            "risks": self.content.risks.len(),
            "measures": self.content.measures.len(),
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DpiaSummary {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub version_label: String,
    pub risks: usize,
    pub measures: usize,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub version_number: i64,
    pub outcome: String,
    pub decided_at: String,
    pub decided_by: String,
    pub label: String,
}

fn version_label(n: i64, status: &str, approved_at: Option<&str>) -> String {
    match (status, approved_at.and_then(parse_stamp)) {
        ("approved" | "under_review", Some(t)) => {
            format!("Version {n}, {}", long_date(t.date_naive()))
        }
        _ => format!("Version {n} ({})", status_label(status).to_lowercase()),
    }
}

const SELECT: &str = "SELECT d.*, o.name AS organisation_name, o.kind AS organisation_kind, u.display_name AS created_by_name FROM dpias d JOIN organisations o ON o.id = d.organisation_id LEFT JOIN users u ON u.id = d.created_by";

fn from_row(r: &AnyRow) -> CoreResult<Dpia> {
    let content: String = r.try_get("content")?;
    let content: Content = serde_json::from_str(&content)
        .map_err(|e| CoreError::Internal(format!("stored DPIA content: {e}")))?;
    let status: String = r.try_get("status")?;
    let n: i64 = r.try_get("version_number")?;
    let approved_at: Option<String> = r.try_get("approved_at")?;
    Ok(Dpia {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        cluster_dpia: r.try_get::<String, _>("organisation_kind")? == "dpo_service",
        reference: r.try_get("reference")?,
        title: r.try_get("title")?,
        status_label: status_label(&status).into(),
        version_label: version_label(n, &status, approved_at.as_deref()),
        status,
        matrix: r.try_get("matrix")?,
        version_number: n,
        content,
        screening_id: r.try_get("screening_id")?,
        next_review_date: r.try_get("next_review_date")?,
        approved_at,
        approved_by: r.try_get("approved_by")?,
        created_by: r.try_get("created_by")?,
        created_by_name: r
            .try_get::<Option<String>, _>("created_by_name")?
            .unwrap_or_default(),
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

fn screening_from_row(rules: &Rules, r: &AnyRow) -> CoreResult<Screening> {
    let answers: String = r.try_get("answers")?;
    let outcome: String = r.try_get("outcome")?;
    let q: String = r.try_get("questionnaire")?;
    Ok(Screening {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        title: r.try_get("title")?,
        questionnaire_title: rules
            .questionnaire(&q)
            .map(|x| x.title.clone())
            .unwrap_or_default(),
        questionnaire: q,
        answers: serde_json::from_str(&answers)
            .map_err(|e| CoreError::Internal(format!("stored answers: {e}")))?,
        outcome: serde_json::from_str(&outcome)
            .map_err(|e| CoreError::Internal(format!("stored outcome: {e}")))?,
        answered_by: r
            .try_get::<Option<String>, _>("answered_by_name")?
            .unwrap_or_default(),
        answered_at: r.try_get("answered_at")?,
        dpia_id: r.try_get("dpia_id")?,
    })
}

pub struct Dpias<'a> {
    pub steward: &'a Steward,
    pub rules: &'static Rules,
}

pub fn dpias(steward: &Steward) -> Dpias<'_> {
    Dpias {
        steward,
        rules: Rules::embedded(),
    }
}

impl Dpias<'_> {
    // ---- screening ----

    pub async fn screen(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &ScreeningInput,
    ) -> CoreResult<Screening> {
        self.steward
            .permit_in(caller, Kind::DpiaScreening, Op::Create, organisation_id)?;
        let mut p: Problems = vec![];
        if input.title.trim().is_empty() {
            p.push((
                "title".into(),
                "Enter the name of the project, system or process".into(),
            ));
        }
        let Some(q) = self.rules.questionnaire(&input.questionnaire) else {
            p.push((
                "questionnaire".into(),
                "Choose the screening questions to answer".into(),
            ));
            return Err(invalid(p));
        };
        p.extend(screening::check(q, &input.answers));
        if !p.is_empty() {
            return Err(invalid(p));
        }
        let outcome = screening::outcome(q, &input.answers);
        let id = new_id();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO dpia_screenings (id, organisation_id, title, questionnaire, answers, dpia_required, outcome, answered_by, answered_at, dpia_id, created_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $9, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(input.title.trim())
        .bind(&q.code)
        .bind(serde_json::to_string(&input.answers).expect("serialises"))
        .bind(i64::from(outcome.dpia_required))
        .bind(serde_json::to_string(&outcome).expect("serialises"))
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "record.create",
            organisation_id,
            Kind::DpiaScreening.code(),
            &id,
        );
        t.detail = format!(
            "screening of {}: {}",
            input.title.trim(),
            if outcome.dpia_required {
                "DPIA required"
            } else {
                "no DPIA required"
            }
        );
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        self.load_screening(&id).await
    }

    async fn load_screening(&self, id: &str) -> CoreResult<Screening> {
        let row = steward_db::query(
            "SELECT s.*, u.display_name AS answered_by_name FROM dpia_screenings s LEFT JOIN users u ON u.id = s.answered_by WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.steward.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        screening_from_row(self.rules, &row)
    }

    pub async fn screening(&self, permit: &Permit<ops::Read>) -> CoreResult<Screening> {
        self.load_screening(permit.id()).await
    }

    pub async fn screenings(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<Screening>> {
        self.steward
            .permit_in(caller, Kind::DpiaScreening, Op::List, organisation_id)?;
        let rows = steward_db::query(
            "SELECT s.*, u.display_name AS answered_by_name FROM dpia_screenings s LEFT JOIN users u ON u.id = s.answered_by WHERE s.organisation_id = $1 ORDER BY s.answered_at DESC LIMIT 200",
        )
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| screening_from_row(self.rules, r))
            .collect()
    }

    // ---- DPIAs ----

    /// Starts a DPIA, pre-filled from a screening when one is named: the project's name, what
    /// the screening found, and the sections its Yes answers speak to.
    pub async fn start(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &StartInput,
    ) -> CoreResult<Dpia> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let matrix = if input.matrix.is_empty() {
            "ico"
        } else {
            input.matrix.as_str()
        };
        let mut content = Content::blank(self.rules, input.title.trim(), matrix);
        let mut screening_id = None;
        if let Some(sid) = input.screening_id.as_deref().filter(|s| !s.is_empty()) {
            let p = self
                .steward
                .permit::<ops::Read>(caller, Kind::DpiaScreening, sid)
                .await?;
            if p.organisation_id() != organisation_id {
                return Err(CoreError::NotFound);
            }
            let s = self.screening(&p).await?;
            if content.title.is_empty() {
                content.title = s.title.clone();
            }
            let q = self.rules.questionnaire(&s.questionnaire);
            let mut need = vec![s.outcome.summary.clone()];
            need.extend(s.outcome.reasons.iter().cloned());
            for a in s
                .answers
                .iter()
                .filter(|a| a.yes && !a.comment.trim().is_empty())
            {
                let text = q
                    .and_then(|q| q.question.iter().find(|x| x.code == a.question))
                    .map(|x| x.text.clone())
                    .unwrap_or_default();
                content.section_mut("need").answers.push(crate::model::Qa {
                    question: text,
                    answer: a.comment.clone(),
                });
            }
            content.section_mut("need").text = need.join("\n\n");
            content.screening = Some(ScreeningSummary {
                questionnaire: s.questionnaire.clone(),
                summary: s.outcome.summary.clone(),
                reasons: s.outcome.reasons.clone(),
                answers: s.answers.clone(),
            });
            screening_id = Some(s.id);
        }
        self.create(caller, organisation_id, content, screening_id)
            .await
    }

    /// Creates a DPIA from a whole assessment (import, the demo's fixtures): checked first,
    /// nothing saved when anything is wrong.
    pub async fn create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        mut content: Content,
        screening_id: Option<String>,
    ) -> CoreResult<Dpia> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        content.number_risks(&mut new_id);
        let p = content.check(self.rules);
        if !p.is_empty() {
            return Err(invalid(p));
        }
        let id = new_id();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        let count: i64 =
            steward_db::query_scalar("SELECT COUNT(*) FROM dpias WHERE organisation_id = $1")
                .bind(organisation_id)
                .fetch_one(&mut *w.tx)
                .await?;
        let reference = format!("DPIA-{:04}", count + 1);
        steward_db::query(
            "INSERT INTO dpias (id, organisation_id, reference, title, status, matrix, version_number, content, screening_id, next_review_date, approved_at, approved_by, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, 'draft', $5, 1, $6, $7, $8, NULL, NULL, $9, $10, $10, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(&reference)
        .bind(content.title.trim())
        .bind(&content.matrix)
        .bind(serde_json::to_string(&content).expect("serialises"))
        .bind(&screening_id)
        .bind(Some(content.sign_off.next_review_date.clone()).filter(|s| !s.is_empty()))
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        if let Some(sid) = &screening_id {
            steward_db::query("UPDATE dpia_screenings SET dpia_id = $1 WHERE id = $2")
                .bind(&id)
                .bind(sid)
                .execute(&mut *w.tx)
                .await?;
        }
        let d = self.load_in(&mut w.tx, &id).await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            &id,
            organisation_id,
            1,
            &d.snapshot(),
        )
        .await?;
        let mut t =
            TrailEntry::for_record(caller, "record.create", organisation_id, KIND.code(), &id);
        t.detail = format!("{reference} {}", d.title);
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(d)
    }

    async fn load_in(&self, tx: &mut steward_db::Tx<'static>, id: &str) -> CoreResult<Dpia> {
        let row = steward_db::query(&format!("{SELECT} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    async fn load(&self, id: &str) -> CoreResult<Dpia> {
        let row = steward_db::query(&format!("{SELECT} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn get(&self, permit: &Permit<ops::Read>) -> CoreResult<Dpia> {
        self.load(permit.id()).await
    }

    pub async fn list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<DpiaSummary>> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        let rows = steward_db::query(&format!(
            "{SELECT} WHERE d.organisation_id = $1 ORDER BY d.updated_at DESC LIMIT 500"
        ))
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let d = from_row(r)?;
                Ok(DpiaSummary {
                    id: d.id,
                    reference: d.reference,
                    title: d.title,
                    status: d.status,
                    status_label: d.status_label,
                    version_label: d.version_label,
                    risks: d.content.risks.len(),
                    measures: d.content.measures.len(),
                    updated_at: d.updated_at,
                })
            })
            .collect()
    }

    /// Writes the whole assessment. Only a draft, or one sent back for changes, can change;
    /// an approved version is frozen (start a new version to change it).
    pub async fn save(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        mut content: Content,
    ) -> CoreResult<Dpia> {
        let before = self.load(permit.id()).await?;
        if !before.editable() {
            return Err(CoreError::Conflict(format!(
                "{} is {} and cannot be changed{}",
                before.version_label,
                before.status_label.to_lowercase(),
                if matches!(
                    before.status.as_str(),
                    "approved" | "under_review" | "rejected"
                ) {
                    ": start a new version to change it"
                } else {
                    " while it is with the reviewers"
                }
            )));
        }
        // What the page or API does not send is kept: the screening, comments, kept extras.
        if content.screening.is_none() {
            content.screening = before.content.screening.clone();
        }
        if content.comments.is_empty() {
            content.comments = before.content.comments.clone();
        }
        if content.kept.is_null() {
            content.kept = before.content.kept.clone();
        }
        // A change of matrix re-rates nothing silently: the check below refuses levels that
        // do not fit the new one.
        content.number_risks(&mut new_id);
        let p = content.check(self.rules);
        if !p.is_empty() {
            return Err(invalid(p));
        }
        self.write_content(
            caller,
            permit.id(),
            permit.organisation_id(),
            &content,
            "record.update",
            "changed",
        )
        .await
    }

    async fn write_content(
        &self,
        caller: &Caller,
        id: &str,
        organisation_id: &str,
        content: &Content,
        event: &str,
        detail: &str,
    ) -> CoreResult<Dpia> {
        let mut w = self.steward.write().await?;
        steward_db::query(
            "UPDATE dpias SET content = $1, title = $2, matrix = $3, next_review_date = $4, updated_at = $5, version = version + 1 WHERE id = $6",
        )
        .bind(serde_json::to_string(content).expect("serialises"))
        .bind(content.title.trim())
        .bind(&content.matrix)
        .bind(Some(content.sign_off.next_review_date.clone()).filter(|s| !s.is_empty()))
        .bind(now_stamp())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        let d = self.load_in(&mut w.tx, id).await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            id,
            organisation_id,
            d.version,
            &d.snapshot(),
        )
        .await?;
        let mut t = TrailEntry::for_record(caller, event, organisation_id, KIND.code(), id);
        t.detail = format!("{} {detail}", d.reference);
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(d)
    }

    /// The DPO's advice (`Op::Advise`), recorded in the sign-off with the DPO's name.
    pub async fn advise(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Advise>,
        input: &AdviceInput,
    ) -> CoreResult<Dpia> {
        if input.advice.trim().is_empty() {
            return Err(CoreError::invalid("advice", "Enter your advice"));
        }
        let d = self.load(permit.id()).await?;
        if matches!(d.status.as_str(), "approved" | "rejected") {
            return Err(CoreError::Conflict(format!(
                "{} is {}: advice goes on a new version",
                d.version_label,
                d.status_label.to_lowercase()
            )));
        }
        let mut c = d.content;
        c.sign_off.dpo_advice = input.advice.trim().to_string();
        c.sign_off.dpo_advice_provided_by = caller.display_name.clone();
        self.write_content(
            caller,
            permit.id(),
            permit.organisation_id(),
            &c,
            "record.update",
            "DPO advice recorded",
        )
        .await
    }

    /// A reviewer's comment on a section (any status but a frozen one).
    pub async fn comment(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Comment>,
        input: &CommentInput,
    ) -> CoreResult<Dpia> {
        let mut p: Problems = vec![];
        if input.text.trim().is_empty() {
            p.push(("text".into(), "Enter your comment".into()));
        }
        if !input.section.is_empty() && self.rules.section(&input.section).is_none() {
            p.push(("section".into(), "Choose the section from the list".into()));
        }
        if !p.is_empty() {
            return Err(invalid(p));
        }
        let d = self.load(permit.id()).await?;
        if matches!(d.status.as_str(), "approved") {
            return Err(CoreError::Conflict(format!(
                "{} is approved and frozen",
                d.version_label
            )));
        }
        let mut c = d.content;
        c.comments.push(ReviewComment {
            section: input.section.clone(),
            by: caller.display_name.clone(),
            at: now_stamp(),
            text: input.text.trim().to_string(),
        });
        self.write_content(
            caller,
            permit.id(),
            permit.organisation_id(),
            &c,
            "record.comment",
            "comment added",
        )
        .await
    }

    /// The author's steps: submit for sign-off; start a new version of an approved one.
    pub async fn author_step(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &StepInput,
    ) -> CoreResult<Dpia> {
        let step = match Step::parse(&input.step) {
            Some(s @ (Step::Submit | Step::NewVersion)) => s,
            _ => {
                return Err(CoreError::invalid(
                    "step",
                    "Choose submit or start a new version",
                ))
            }
        };
        let d = self.load(permit.id()).await?;
        let to = workflow::next(&d.status, step).map_err(CoreError::Conflict)?;
        if step == Step::Submit {
            let p = d.content.check(self.rules);
            if !p.is_empty() {
                return Err(invalid(p));
            }
        }
        let mut w = self.steward.write().await?;
        let sql = if step == Step::NewVersion {
            "UPDATE dpias SET status = $1, version_number = version_number + 1, approved_at = NULL, approved_by = NULL, updated_at = $2, version = version + 1 WHERE id = $3"
        } else {
            "UPDATE dpias SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3"
        };
        steward_db::query(sql)
            .bind(to)
            .bind(now_stamp())
            .bind(permit.id())
            .execute(&mut *w.tx)
            .await?;
        self.finish_step(
            caller,
            w,
            permit.id(),
            permit.organisation_id(),
            &input.step,
            &input.note,
        )
        .await
    }

    async fn finish_step(
        &self,
        caller: &Caller,
        mut w: steward_core::Write,
        id: &str,
        organisation_id: &str,
        step: &str,
        note: &str,
    ) -> CoreResult<Dpia> {
        let d = self.load_in(&mut w.tx, id).await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            id,
            organisation_id,
            d.version,
            &d.snapshot(),
        )
        .await?;
        let mut t =
            TrailEntry::for_record(caller, "record.update", organisation_id, KIND.code(), id);
        t.detail = format!(
            "{} {step}{}",
            d.reference,
            if note.is_empty() {
                String::new()
            } else {
                format!(": {note}")
            }
        );
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(d)
    }

    /// The reviewers' steps (`Kind::DpiaSignOff`): send back for changes, approve, reject.
    /// Approval follows the Art 36 rule, freezes the version, and turns every approved
    /// measure into an action (and the next review date into one).
    pub async fn sign_off(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &StepInput,
        today: NaiveDate,
    ) -> CoreResult<Dpia> {
        if permit.kind() != Kind::DpiaSignOff {
            return Err(CoreError::Forbidden);
        }
        let step = match Step::parse(&input.step) {
            Some(s @ (Step::RequestChanges | Step::Approve | Step::Reject)) => s,
            _ => {
                return Err(CoreError::invalid(
                    "step",
                    "Choose approve, request changes or reject",
                ))
            }
        };
        if matches!(step, Step::RequestChanges | Step::Reject) && input.note.trim().is_empty() {
            return Err(CoreError::invalid(
                "note",
                if step == Step::Reject {
                    "Say why the DPIA is rejected"
                } else {
                    "Say what needs changing"
                },
            ));
        }
        let d = self.load(permit.id()).await?;
        let to = workflow::next(&d.status, step).map_err(CoreError::Conflict)?;
        if step == Step::Approve {
            let p = d.content.approval_problems(self.rules);
            if !p.is_empty() {
                return Err(invalid(p));
            }
        }
        let mut content = d.content.clone();
        if !input.note.trim().is_empty() {
            content.comments.push(ReviewComment {
                section: String::new(),
                by: caller.display_name.clone(),
                at: now_stamp(),
                text: format!(
                    "{}: {}",
                    match step {
                        Step::Approve => "Approved",
                        Step::Reject => "Rejected",
                        _ => "Changes requested",
                    },
                    input.note.trim()
                ),
            });
        }
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        let decided = matches!(step, Step::Approve | Step::Reject);
        steward_db::query(
            "UPDATE dpias SET status = $1, content = $2, approved_at = $3, approved_by = $4, updated_at = $5, version = version + 1 WHERE id = $6",
        )
        .bind(to)
        .bind(serde_json::to_string(&content).expect("serialises"))
        .bind(if step == Step::Approve { Some(now.clone()) } else { None })
        .bind(if step == Step::Approve { Some(caller.display_name.clone()) } else { None })
        .bind(&now)
        .bind(permit.id())
        .execute(&mut *w.tx)
        .await?;
        if decided {
            steward_db::query(
                "INSERT INTO dpia_versions (id, dpia_id, organisation_id, version_number, outcome, decided_at, decided_by, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(new_id())
            .bind(permit.id())
            .bind(permit.organisation_id())
            .bind(d.version_number)
            .bind(to)
            .bind(&now)
            .bind(&caller.display_name)
            .bind(serde_json::to_string(&content).expect("serialises"))
            .execute(&mut *w.tx)
            .await?;
        }
        let out = self
            .finish_step(
                caller,
                w,
                permit.id(),
                permit.organisation_id(),
                &input.step,
                input.note.trim(),
            )
            .await?;
        if step == Step::Approve {
            return self.actions_from(caller, out, today).await;
        }
        Ok(out)
    }

    /// "The final outcomes should be integrated back into your project plan": each approved
    /// measure becomes an action, and the next review date a reminder action.
    async fn actions_from(&self, caller: &Caller, d: Dpia, today: NaiveDate) -> CoreResult<Dpia> {
        let mut content = d.content.clone();
        let mut made = 0;
        for i in 0..content.measures.len() {
            let m = &content.measures[i];
            if !m.approved || !m.action_id.is_empty() {
                continue;
            }
            let risks: Vec<String> = m
                .risks
                .iter()
                .filter_map(|id| content.risk(id))
                .map(|r| r.number.to_string())
                .collect();
            let due = parse_iso_date(&m.due_date).unwrap_or(today + Duration::days(MEASURE_DAYS));
            let title: String = m
                .options
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(150)
                .collect();
            let action = self
                .steward
                .create_action(
                    caller,
                    &d.organisation_id,
                    &ActionInput {
                        title: format!("DPIA measure ({}): {title}", d.reference),
                        description: format!(
                            "An approved measure of the DPIA \"{}\" against risk {}{}.\n\n{}",
                            d.title,
                            risks.join(", "),
                            if m.owner.is_empty() {
                                String::new()
                            } else {
                                format!(", carried out by {}", m.owner)
                            },
                            m.options
                        ),
                        owner_id: if m.owner_id.is_empty() {
                            d.created_by.clone()
                        } else {
                            m.owner_id.clone()
                        },
                        due_date: iso_date(due),
                        status: None,
                        source_record_type: Some(KIND.code().into()),
                        source_record_id: Some(d.id.clone()),
                    },
                )
                .await?;
            content.measures[i].action_id = action.id;
            made += 1;
        }
        if let Some(review) = parse_iso_date(&content.sign_off.next_review_date) {
            self.steward
                .create_action(
                    caller,
                    &d.organisation_id,
                    &ActionInput {
                        title: format!("Review the DPIA {} ({})", d.title, d.reference),
                        description: "The DPIA's review date has come: check it still describes the processing, its risks and measures; start a new version for any change.".into(),
                        owner_id: d.created_by.clone(),
                        due_date: iso_date(review.max(today)),
                        status: None,
                        source_record_type: Some(KIND.code().into()),
                        source_record_id: Some(d.id.clone()),
                    },
                )
                .await?;
        }
        if made == 0 {
            return self.load(&d.id).await;
        }
        // The action ids go on the live record; the frozen copy stays as approved.
        steward_db::query("UPDATE dpias SET content = $1 WHERE id = $2")
            .bind(serde_json::to_string(&content).expect("serialises"))
            .bind(&d.id)
            .execute(&self.steward.db.pool)
            .await?;
        self.load(&d.id).await
    }

    pub async fn versions(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<VersionSummary>> {
        let rows = steward_db::query(
            "SELECT version_number, outcome, decided_at, decided_by FROM dpia_versions WHERE dpia_id = $1 ORDER BY version_number",
        )
        .bind(permit.id())
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("version_number")?;
                let outcome: String = r.try_get("outcome")?;
                let at: String = r.try_get("decided_at")?;
                Ok(VersionSummary {
                    label: version_label(n, &outcome, Some(&at)),
                    version_number: n,
                    outcome,
                    decided_at: at,
                    decided_by: r.try_get("decided_by")?,
                })
            })
            .collect()
    }

    /// A frozen version's assessment.
    pub async fn version(&self, permit: &Permit<ops::Read>, n: i64) -> CoreResult<Content> {
        let s: String = steward_db::query_scalar(
            "SELECT content FROM dpia_versions WHERE dpia_id = $1 AND version_number = $2",
        )
        .bind(permit.id())
        .bind(n)
        .fetch_optional(&self.steward.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        serde_json::from_str(&s).map_err(|e| CoreError::Internal(format!("stored version: {e}")))
    }

    /// Steward's own JSON of the whole DPIA.
    pub fn to_json(&self, d: &Dpia) -> Value {
        serde_json::json!({
            "format": "steward-dpia",
            "format_version": 1,
            "reference": d.reference,
            "organisation": d.organisation_name,
            "status": d.status,
            "version": d.version_label,
            "version_number": d.version_number,
            "content": d.content,
        })
    }

    /// Imports a CNIL PIA file or Steward's own JSON as a new draft. A malformed file is
    /// refused with the reason; nothing is saved.
    pub async fn import(
        &self,
        caller: &Caller,
        organisation_id: &str,
        bytes: &[u8],
    ) -> CoreResult<Dpia> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| CoreError::invalid("file", format!("The file is not JSON: {e}")))?;
        let content = if crate::cnil::is_cnil(&v) {
            crate::cnil::import(self.rules, &v, &mut new_id)
                .map_err(|e| CoreError::invalid("file", e.0))?
        } else if let Some(c) = v.get("content") {
            serde_json::from_value::<Content>(c.clone()).map_err(|e| {
                CoreError::invalid("file", format!("The DPIA in the file does not read: {e}"))
            })?
        } else {
            return Err(CoreError::invalid(
                "file",
                "This is neither a CNIL PIA file (no \"pia\") nor a DPIA exported from Steward (no \"content\")",
            ));
        };
        let mut content = content;
        // Imported measures carry no actions of this organisation.
        for m in &mut content.measures {
            m.action_id.clear();
            m.owner_id.clear();
        }
        self.create(caller, organisation_id, content, None).await
    }

    /// The approved DPIAs whose review date has come go under review (the daily job).
    pub async fn reviews_due(&self, today: NaiveDate) -> CoreResult<u64> {
        let r = steward_db::query(
            "UPDATE dpias SET status = 'under_review', updated_at = $1 WHERE status = 'approved' AND next_review_date IS NOT NULL AND next_review_date <= $2",
        )
        .bind(now_stamp())
        .bind(iso_date(today))
        .execute(&self.steward.db.pool)
        .await?;
        Ok(r.rows_affected())
    }
}

/// Two versions side by side: for each field that differs, (what, before, after).
pub fn compare(a: &Content, b: &Content) -> Vec<(String, String, String)> {
    let (va, vb) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    );
    let mut out = vec![];
    fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<(String, String, String)>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    walk(
                        &format!("{path}{}{k}", if path.is_empty() { "" } else { "." }),
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        out,
                    );
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                for i in 0..x.len().max(y.len()) {
                    walk(
                        &format!("{path}[{}]", i + 1),
                        x.get(i).unwrap_or(&Value::Null),
                        y.get(i).unwrap_or(&Value::Null),
                        out,
                    );
                }
            }
            _ if a != b => {
                let show = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    v => v.to_string(),
                };
                out.push((path.to_string(), show(a), show(b)));
            }
            _ => {}
        }
    }
    walk("", &va, &vb, &mut out);
    out
}

impl Dpias<'_> {
    pub fn header(&self, d: &Dpia) -> crate::export::Header {
        crate::export::Header {
            organisation: d.organisation_name.clone(),
            reference: d.reference.clone(),
            status: d.status_label.clone(),
            version: d.version_label.clone(),
        }
    }

    pub fn document(&self, d: &Dpia) -> steward_documents::DocumentSpec {
        crate::export::document(self.rules, &self.header(d), &d.content)
    }

    pub fn pdf(&self, d: &Dpia) -> CoreResult<Vec<u8>> {
        steward_documents::write_pdf(&self.document(d))
            .map_err(|e| CoreError::Internal(e.to_string()))
    }

    pub fn docx(&self, d: &Dpia) -> CoreResult<Vec<u8>> {
        steward_documents::write_docx(&self.document(d))
            .map_err(|e| CoreError::Internal(e.to_string()))
    }

    pub fn cnil(&self, d: &Dpia) -> Value {
        crate::cnil::export(self.rules, &d.content, &d.status)
    }

    /// An export by format name: (bytes, content type, file name).
    pub fn export(&self, d: &Dpia, format: &str) -> CoreResult<(Vec<u8>, &'static str, String)> {
        let stem = d.reference.to_lowercase();
        Ok(match format {
            "pdf" => (self.pdf(d)?, "application/pdf", format!("{stem}.pdf")),
            "docx" => (
                self.docx(d)?,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                format!("{stem}.docx"),
            ),
            "json" => (
                serde_json::to_vec_pretty(&self.to_json(d)).expect("serialises"),
                "application/json",
                format!("{stem}.json"),
            ),
            "cnil" => (
                serde_json::to_vec_pretty(&self.cnil(d)).expect("serialises"),
                "application/json",
                format!("{stem}-cnil-pia.json"),
            ),
            _ => {
                return Err(CoreError::invalid(
                    "format",
                    "Choose pdf, docx, json or cnil",
                ))
            }
        })
    }
}
