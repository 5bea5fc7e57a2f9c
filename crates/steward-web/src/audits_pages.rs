//! Pages of compliance audits and action rounds (issue 13). The DPO audits a practice one
//! question at a time (one question per page, as the NHS.UK design system asks), completes
//! the audit, and its findings become the practice's actions. The DPO sends an action round
//! to the practices and follows it on a grid of practices x required actions. Handlers are
//! thin: each calls one function of `steward_assurance`, which asks the gate itself.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_assurance::audit_template::{Question, Rating};
use steward_assurance::audits::{
    audits, Answer, AnswerInput, CompleteInput, ComplianceAudit, StartInput,
};
use steward_assurance::rounds::{rounds, ActionRound, Grid, SendInput};
use steward_core::time::{date_from_parts, iso_date, long_date, long_stamp};
use steward_core::{ops, CoreError, FieldErrors, Kind, Op};

use crate::error::PageResult;
use crate::routes::{Access, Routes};
use crate::session::SignedIn;
use crate::views::{render, status_for, FormView};
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let audits_in = |op| Organisation(Kind::ComplianceAudit, op);
    let audit = |op| Record(Kind::ComplianceAudit, op);
    let round = |op| Record(Kind::ActionRound, op);
    Routes::new()
        .get("/compliance-audits", audits_in(Op::List), list)
        .get(
            "/organisations/{organisation_id}/compliance-audits",
            audits_in(Op::List),
            list_in,
        )
        .get("/compliance-audits/new", audits_in(Op::Create), new_page)
        .post("/compliance-audits/new", audits_in(Op::Create), new_submit)
        .get("/compliance-audits/{id}", audit(Op::Read), audit_page)
        .get(
            "/compliance-audits/{id}/questions/{code}",
            audit(Op::Change),
            question_page,
        )
        .post(
            "/compliance-audits/{id}/questions/{code}",
            audit(Op::Change),
            question_submit,
        )
        .post(
            "/compliance-audits/{id}/complete",
            audit(Op::Change),
            complete,
        )
        // Held by the DPO's own organisation, sent to the practices.
        .get("/action-rounds", Cluster(Kind::ActionRound), rounds_page)
        .get(
            "/action-rounds/new",
            Cluster(Kind::ActionRound),
            round_new_page,
        )
        .post(
            "/action-rounds/new",
            Cluster(Kind::ActionRound),
            round_new_submit,
        )
        .get("/action-rounds/{id}", round(Op::Read), round_page)
        .post("/action-rounds/{id}/chase", round(Op::Change), chase)
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn ctx(si: &SignedIn, title: &str, form: &FormView) -> crate::views::PageCtx {
    let mut c = crate::pages::ctx(si, title, "compliance-audits");
    c.has_errors = form.has_errors();
    c
}

/// A date typed as day, month and year: the ISO date when it is a real date, else what was
/// typed (the service then says it is not a date).
fn typed_date(day: &str, month: &str, year: &str) -> String {
    if day.trim().is_empty() && month.trim().is_empty() && year.trim().is_empty() {
        return String::new();
    }
    date_from_parts(day, month, year)
        .map(iso_date)
        .unwrap_or_else(|| format!("{day}/{month}/{year}"))
}

/// Moves a service error on `from` to the field the page shows (`to`).
fn rename(errors: FieldErrors, from: &str, to: &str) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|mut e| {
                if e.field == from {
                    e.field = to.into();
                }
                e
            })
            .collect(),
    )
}

/// A count however a template holds it (by value or behind references).
pub trait Count {
    fn count(&self) -> i64;
}
impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}
impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// "1 finding", "3 findings".
pub fn words<N: Count>(n: N, one: &str, many: &str) -> String {
    steward_assurance::count_words(n.count(), one, many)
}

pub fn date(d: &NaiveDate) -> String {
    long_date(*d)
}

pub fn when(s: &str) -> String {
    long_stamp(s)
}

// ---- compliance audits ----

#[derive(Template)]
#[template(path = "compliance_audits.html")]
pub struct ListPage {
    pub ctx: crate::views::PageCtx,
    pub audits: Vec<ComplianceAudit>,
    pub can_start: bool,
}

async fn list(state: State<AppState>, si: SignedIn) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    list_for(state, si, org).await
}

async fn list_in(state: State<AppState>, si: SignedIn, Path(org): Path<String>) -> PageResult {
    list_for(state, si, org).await
}

async fn list_for(State(state): State<AppState>, si: SignedIn, org: String) -> PageResult {
    let list = audits(&state.steward).list(&si.caller, &org).await?;
    Ok(render(&ListPage {
        ctx: ctx(&si, "Compliance audits", &FormView::new()),
        can_start: org == si.caller.current_organisation_id
            && state
                .steward
                .permit_in(&si.caller, Kind::ComplianceAudit, Op::Create, &org)
                .is_ok(),
        audits: list,
    }))
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct StartForm {
    visit_day: String,
    visit_month: String,
    visit_year: String,
}

#[derive(Template)]
#[template(path = "compliance_audit_new.html")]
pub struct NewPage {
    pub ctx: crate::views::PageCtx,
    pub form: FormView,
    pub audit_title: String,
    pub questions: usize,
}

fn new_view(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let a = audits(&state.steward);
    Ok((
        status_for(&form),
        render(&NewPage {
            ctx: ctx(si, "Start a compliance audit", &form),
            audit_title: a.template.title.clone(),
            questions: a.template.questions().count(),
            form,
        }),
    )
        .into_response())
}

async fn new_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    new_view(&state, &si, FormView::new())
}

async fn new_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<StartForm>,
) -> PageResult {
    let input = StartInput {
        visit_date: typed_date(&f.visit_day, &f.visit_month, &f.visit_year),
    };
    let org = si.caller.current_organisation_id.clone();
    match audits(&state.steward).start(&si.caller, &org, &input).await {
        Ok(a) => Ok(Redirect::to(&format!("/compliance-audits/{}", a.id)).into_response()),
        Err(CoreError::Invalid(e)) => {
            let mut form = FormView::of(&f);
            form.errors = rename(e, "visit_date", "visit_day");
            new_view(&state, &si, form)
        }
        Err(e) => Err(e.into()),
    }
}

/// One section of the audit page: its questions with their answers.
pub struct SectionView {
    pub title: String,
    pub rows: Vec<(Question, Option<Answer>)>,
}

#[derive(Template)]
#[template(path = "compliance_audit.html")]
pub struct AuditPage {
    pub ctx: crate::views::PageCtx,
    pub a: ComplianceAudit,
    pub sections: Vec<SectionView>,
    pub unanswered: i64,
    pub can_change: bool,
    pub form: FormView,
    pub source: String,
}

async fn render_audit(state: &AppState, si: &SignedIn, id: &str, form: FormView) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::ComplianceAudit, id)
        .await?;
    let svc = audits(&state.steward);
    let a = svc.audit(&p).await?;
    let answers = svc.answers(&p).await?;
    let mut sections: Vec<SectionView> = vec![];
    let mut unanswered = 0;
    if a.is_completed() {
        // Kept as asked: the questions and sections stored with the answers.
        for x in answers {
            if sections
                .last()
                .map(|s| s.title != x.section)
                .unwrap_or(true)
            {
                sections.push(SectionView {
                    title: x.section.clone(),
                    rows: vec![],
                });
            }
            let q = Question {
                code: x.question_code.clone(),
                text: x.question.clone(),
                evidence: String::new(),
            };
            sections.last_mut().expect("pushed").rows.push((q, Some(x)));
        }
    } else {
        for s in &svc.template.section {
            let rows = s
                .question
                .iter()
                .map(|q| {
                    let x = answers.iter().find(|x| x.question_code == q.code).cloned();
                    if x.is_none() {
                        unanswered += 1;
                    }
                    (q.clone(), x)
                })
                .collect();
            sections.push(SectionView {
                title: s.title.clone(),
                rows,
            });
        }
    }
    let title = format!("{}: {}", a.reference, a.title);
    Ok((
        status_for(&form),
        render(&AuditPage {
            ctx: ctx(si, &title, &form),
            can_change: !a.is_completed()
                && Kind::ComplianceAudit.allows(si.caller.role, Op::Change),
            source: svc.template.source.clone(),
            a,
            sections,
            unanswered,
            form,
        }),
    )
        .into_response())
}

async fn audit_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_audit(&state, &si, &id, FormView::new()).await
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct AnswerForm {
    rating: String,
    evidence_seen: String,
    finding: String,
    due_day: String,
    due_month: String,
    due_year: String,
}

#[derive(Template)]
#[template(path = "compliance_audit_question.html")]
pub struct QuestionPage {
    pub ctx: crate::views::PageCtx,
    pub a: ComplianceAudit,
    pub section: String,
    pub q: Question,
    pub ratings: Vec<Rating>,
    pub form: FormView,
    pub number: usize,
    pub of: usize,
}

async fn render_question(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    code: &str,
    form: Option<FormView>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ComplianceAudit, id)
        .await?;
    let svc = audits(&state.steward);
    let a = svc.audit(&p.as_read()).await?;
    if a.is_completed() {
        return Ok(Redirect::to(&format!("/compliance-audits/{id}")).into_response());
    }
    let all: Vec<(String, Question)> = svc
        .template
        .questions()
        .map(|(s, q)| (s.to_string(), q.clone()))
        .collect();
    let Some(number) = all.iter().position(|(_, q)| q.code == code) else {
        return Err(CoreError::NotFound.into());
    };
    let form = match form {
        Some(f) => f,
        None => {
            let existing = svc
                .answers(&p.as_read())
                .await?
                .into_iter()
                .find(|x| x.question_code == code);
            let mut f = FormView::new();
            if let Some(x) = existing {
                f = f
                    .with("rating", x.rating)
                    .with("evidence_seen", x.evidence_seen)
                    .with("finding", x.finding);
                if let Some(d) = x.due_date {
                    f = f
                        .with("due_day", d.format("%-d").to_string())
                        .with("due_month", d.format("%-m").to_string())
                        .with("due_year", d.format("%Y").to_string());
                }
            }
            f
        }
    };
    let (section, q) = all[number].clone();
    Ok((
        status_for(&form),
        render(&QuestionPage {
            ctx: ctx(si, &q.text, &form),
            ratings: svc.template.rating.clone(),
            of: all.len(),
            number: number + 1,
            a,
            section,
            q,
            form,
        }),
    )
        .into_response())
}

async fn question_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, code)): Path<(String, String)>,
) -> PageResult {
    render_question(&state, &si, &id, &code, None).await
}

async fn question_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, code)): Path<(String, String)>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ComplianceAudit, &id)
        .await?;
    let input = AnswerInput {
        question_code: code.clone(),
        rating: f.rating.clone(),
        evidence_seen: f.evidence_seen.clone(),
        finding: f.finding.clone(),
        due_date: typed_date(&f.due_day, &f.due_month, &f.due_year),
    };
    let svc = audits(&state.steward);
    match svc.answer(&si.caller, &p, &input).await {
        Ok(_) => {
            // On to the next question without a rating, or back to the audit.
            let answered = svc.answers(&p.as_read()).await?;
            let next = svc
                .template
                .questions()
                .map(|(_, q)| q)
                .skip_while(|q| q.code != code)
                .skip(1)
                .find(|q| !answered.iter().any(|x| x.question_code == q.code));
            let to = match next {
                Some(q) => format!("/compliance-audits/{id}/questions/{}", q.code),
                None => format!("/compliance-audits/{id}"),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(CoreError::Invalid(e)) => {
            let prefix = format!("{code}_");
            let e = FieldErrors(
                e.0.into_iter()
                    .map(|mut x| {
                        if let Some(rest) = x.field.strip_prefix(&prefix) {
                            x.field = if rest == "due_date" {
                                "due_day".into()
                            } else {
                                rest.into()
                            };
                        }
                        x
                    })
                    .collect(),
            );
            let mut form = FormView::of(&f);
            form.errors = e;
            render_question(&state, &si, &id, &code, Some(form)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct CompleteForm {
    summary: String,
}

async fn complete(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<CompleteForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ComplianceAudit, &id)
        .await?;
    let input = CompleteInput {
        summary: f.summary.clone(),
    };
    match audits(&state.steward)
        .complete(&si.caller, &p, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/compliance-audits/{id}")).into_response()),
        Err(CoreError::Invalid(e)) => {
            let mut form = FormView::of(&f);
            form.errors = e;
            render_audit(&state, &si, &id, form).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- action rounds ----

#[derive(Template)]
#[template(path = "action_rounds.html")]
pub struct RoundsPage {
    pub ctx: crate::views::PageCtx,
    pub rounds: Vec<ActionRound>,
}

async fn rounds_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let org = si.caller.home_organisation_id.clone();
    let list = rounds(&state.steward).list(&si.caller, &org).await?;
    let mut c = crate::pages::ctx(&si, "Action rounds", "assurance");
    c.has_errors = false;
    Ok(render(&RoundsPage {
        ctx: c,
        rounds: list,
    }))
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct RoundForm {
    title: String,
    introduction: String,
    required_actions: String,
    due_day: String,
    due_month: String,
    due_year: String,
    /// Checkboxes: one `organisation_ids` entry per practice ticked (read from the raw body).
    #[serde(skip)]
    organisation_ids: Vec<String>,
}

#[derive(Template)]
#[template(path = "action_round_new.html")]
pub struct RoundNewPage {
    pub ctx: crate::views::PageCtx,
    pub form: FormView,
    pub practices: Vec<(String, String, bool)>,
}

async fn round_form(
    state: &AppState,
    si: &SignedIn,
    form: FormView,
    chosen: Option<&[String]>,
) -> PageResult {
    let mut practices = vec![];
    for id in &si.caller.visible_organisation_ids {
        if *id == si.caller.home_organisation_id {
            continue;
        }
        let name: String = steward_db::query_scalar("SELECT name FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_one(&state.steward.db.pool)
            .await
            .map_err(CoreError::from)?;
        let ticked = chosen.map(|c| c.contains(id)).unwrap_or(true);
        practices.push((id.clone(), name, ticked));
    }
    practices.sort_by(|a, b| a.1.cmp(&b.1));
    let mut c = crate::pages::ctx(si, "Send an action round", "assurance");
    c.has_errors = form.has_errors();
    Ok((
        status_for(&form),
        render(&RoundNewPage {
            ctx: c,
            form,
            practices,
        }),
    )
        .into_response())
}

async fn round_new_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let t = &steward_assurance::rules(&state.steward).round;
    let form = FormView::new()
        .with("title", t.title.clone())
        .with("required_actions", t.as_lines());
    round_form(&state, &si, form, None).await
}

async fn round_new_submit(
    State(state): State<AppState>,
    si: SignedIn,
    body: axum::body::Bytes,
) -> PageResult {
    // The practices are repeated checkboxes, which a plain struct cannot hold: the fields
    // come from the typed form, the list from the same body.
    let mut f: RoundForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    f.organisation_ids = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k == "organisation_ids")
        .map(|(_, v)| v)
        .collect();
    let input = SendInput {
        title: f.title.clone(),
        introduction: f.introduction.clone(),
        required_actions: f.required_actions.clone(),
        due_date: typed_date(&f.due_day, &f.due_month, &f.due_year),
        organisation_ids: f.organisation_ids.clone(),
    };
    let org = si.caller.home_organisation_id.clone();
    match rounds(&state.steward)
        .send(&si.caller, &org, &input, today())
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/action-rounds/{}", r.id)).into_response()),
        Err(CoreError::Invalid(e)) => {
            let mut form = FormView::of(&f);
            form.errors = rename(e, "due_date", "due_day");
            round_form(&state, &si, form, Some(&f.organisation_ids)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "action_round.html")]
pub struct RoundPage {
    pub ctx: crate::views::PageCtx,
    pub grid: Grid,
    pub can_chase: bool,
    pub message: String,
}

async fn render_round(state: &AppState, si: &SignedIn, id: &str, message: String) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::ActionRound, id)
        .await?;
    let grid = rounds(&state.steward).grid(&p, today()).await?;
    let c = crate::pages::ctx(si, &grid.round.title.clone(), "assurance");
    Ok(render(&RoundPage {
        ctx: c,
        can_chase: Kind::ActionRound.allows(si.caller.role, Op::Change),
        grid,
        message,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoundQuery {
    /// After a chase: how many of the practice's actions are still open.
    chased: Option<i64>,
}

async fn round_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<RoundQuery>,
) -> PageResult {
    let message = q
        .chased
        .map(|n| {
            format!(
                "Chased: {} still open.",
                words(n, "action is", "actions are")
            )
        })
        .unwrap_or_default();
    render_round(&state, &si, &id, message).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChaseForm {
    organisation_id: String,
}

async fn chase(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ChaseForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ActionRound, &id)
        .await?;
    // After the chase, back to the round (a refresh does not chase again).
    let message = match rounds(&state.steward)
        .chase(&si.caller, &p, &f.organisation_id)
        .await
    {
        Ok(n) => {
            return Ok(Redirect::to(&format!("/action-rounds/{id}?chased={n}")).into_response())
        }
        Err(CoreError::Conflict(m)) => m,
        Err(CoreError::Invalid(e)) => {
            e.0.into_iter()
                .map(|x| x.message)
                .collect::<Vec<_>>()
                .join(". ")
        }
        Err(e) => return Err(e.into()),
    };
    render_round(&state, &si, &id, message).await
}
