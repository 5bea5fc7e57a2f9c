//! Pages of cluster assurance (issue 13): reporting an incident (anyone signed in), the
//! incident log and an incident's page (grading on the breach assessment grid, the 72-hour
//! clock, notification, telling the people affected, closure, the lesson for the cluster),
//! the information risk register, the DPO's cluster view and the quarterly cluster update.
//! Each handler calls one function of `steward_assurance`, which asks the gate itself; on bad
//! input the page comes back with the values kept and the messages beside the fields.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_assurance::dashboard::{cluster_view, ClusterView};
use steward_assurance::incidents::{
    incidents, quarter_label, status_label, uk, uk_input, CloseInput, GradeInput, Incident,
    IncidentPage, IncidentQuery, LessonInput, NotifyInput, ReportInput, TellPeopleInput, STATUSES,
    TELL_EXCEPTIONS,
};
use steward_assurance::risks::{
    risks, AppetiteInput, RescoreInput, Risk, RiskInput, RiskPage, RiskQuery, ScoreChange,
};
use steward_assurance::update::{
    updates, ClusterUpdate, EditInput, GenerateInput, Section, UpdateSummary,
};
use steward_assurance::{count_words, Rules};
use steward_core::records::Version;
use steward_core::{ops, CoreError, FieldErrors, Kind, Op};

use crate::error::PageResult;
use crate::forms;
use crate::routes::{Access, Routes};
use crate::session::SignedIn;
use crate::views::{download, options, render, status_for, FormView, Option_, PageCtx};
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let incidents_in = |op| Organisation(Kind::Incident, op);
    let incident = |op| Record(Kind::Incident, op);
    let risks_in = |op| Organisation(Kind::Risk, op);
    let risk = |op| Record(Kind::Risk, op);
    let update = |op| Record(Kind::ClusterUpdate, op);
    Routes::new()
        .get("/assurance", Cluster(Kind::Incident), cluster_page)
        .get("/incidents", incidents_in(Op::List), list)
        .get(
            "/organisations/{organisation_id}/incidents",
            incidents_in(Op::List),
            list_in,
        )
        .get("/incidents/report", incidents_in(Op::Create), report_page)
        .post("/incidents/report", incidents_in(Op::Create), report_submit)
        .get("/incidents/{id}", incident(Op::Read), incident_page)
        .post("/incidents/{id}/grade", incident(Op::Change), grade)
        .post("/incidents/{id}/notification", incident(Op::Change), notify)
        .post("/incidents/{id}/people", incident(Op::Change), tell)
        .post("/incidents/{id}/close", incident(Op::Change), close)
        .post(
            "/incidents/{id}/lesson",
            Record(Kind::IncidentLesson, Op::Change),
            lesson,
        )
        .get("/risks", risks_in(Op::List), risks_list)
        .get(
            "/organisations/{organisation_id}/risks",
            risks_in(Op::List),
            risks_list_in,
        )
        .get("/risks/new", risks_in(Op::Create), risk_new_page)
        .post("/risks/new", risks_in(Op::Create), risk_new_submit)
        .post("/risks/appetite", risks_in(Op::Configure), appetite_submit)
        .get("/risks/{id}", risk(Op::Read), risk_page)
        .post("/risks/{id}/score", risk(Op::Change), rescore)
        // Held by the DPO's own organisation, for the whole cluster: the DPO's.
        .get(
            "/cluster-updates",
            Cluster(Kind::ClusterUpdate),
            updates_page,
        )
        .post("/cluster-updates", Cluster(Kind::ClusterUpdate), generate)
        .get("/cluster-updates/{id}", update(Op::Read), update_page)
        .post("/cluster-updates/{id}", update(Op::Change), edit_update)
        .post(
            "/cluster-updates/{id}/send",
            update(Op::Change),
            send_update,
        )
        .get(
            "/cluster-updates/{id}/update.pdf",
            update(Op::Read),
            update_pdf,
        )
        .get(
            "/cluster-updates/{id}/update.docx",
            update(Op::Read),
            update_docx,
        )
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn ctx(si: &SignedIn, title: &str, nav: &'static str, form: &FormView) -> PageCtx {
    let mut c = crate::pages::ctx(si, title, nav);
    c.has_errors = form.has_errors();
    c
}

/// The parts of a UK local `YYYY-MM-DDTHH:MM` for a form.
fn with_when(form: FormView, prefix: &str, s: &str) -> FormView {
    match chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        Ok(t) => form
            .with(&format!("{prefix}_day"), t.format("%-d").to_string())
            .with(&format!("{prefix}_month"), t.format("%-m").to_string())
            .with(&format!("{prefix}_year"), t.format("%Y").to_string())
            .with(&format!("{prefix}_time"), t.format("%H:%M").to_string()),
        Err(_) => form,
    }
}

/// Field names of the service mapped to the form's first input (error summary links).
fn anchor(errors: FieldErrors) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|mut e| {
                e.field = match e.field.as_str() {
                    "occurred_at" => "occurred_day".into(),
                    "aware_at" => "aware_day".into(),
                    "notified_at" => "notified_day".into(),
                    f => f.into(),
                };
                e
            })
            .collect(),
    )
}

// ---- template helpers ----

pub fn uk_time(s: &str) -> String {
    uk(s)
}

pub fn maybe_uk(s: &Option<String>) -> String {
    s.as_deref().map(uk).unwrap_or_else(|| "Not yet".into())
}

pub fn long_date(d: &NaiveDate) -> String {
    steward_core::time::long_date(*d)
}

pub fn words(n: &i64, one: &str, many: &str) -> String {
    count_words(*n, one, many)
}

pub fn incident_status(code: &str) -> &'static str {
    status_label(code)
}

pub fn exception_label(code: &str) -> &'static str {
    TELL_EXCEPTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

pub fn clock_tag(i: &Incident) -> &'static str {
    use steward_assurance::ClockState::*;
    match i.clock {
        Running { .. } => "nhsuk-tag--orange",
        Overdue { .. } | NotifiedLate { .. } => "nhsuk-tag--red",
        NotifiedInTime => "nhsuk-tag--green",
    }
}

/// The clock is worth showing: notification owed or possible (not graded yet, or reportable).
pub fn clock_applies(i: &Incident) -> bool {
    i.reportable != Some(false)
}

// ---- report ----

#[derive(Template)]
#[template(path = "incident_report.html")]
pub struct ReportPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub categories: Vec<Option_>,
    pub source_note: Option<String>,
    /// The reference of the report just made (shown back; nothing is looked up).
    pub reported: Option<String>,
}

fn category_options(rules: &Rules) -> Vec<Option_> {
    rules
        .categories
        .category
        .iter()
        .map(|c| Option_ {
            value: c.code.clone(),
            label: c.label.clone(),
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FromQuery {
    /// access_audit_case or rights_request
    from: String,
    id: String,
    /// The reference of the incident just reported.
    reported: String,
}

/// What an incident opened from another record starts with: the kind of incident and the
/// link, nothing of the record's personal data.
fn prefill(from: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match from {
        "access_audit_case" => Some((
            "inappropriate_access",
            "Inappropriate access to a record found in the access audit",
            "This incident is opened from an access-audit case found inappropriate; the case stays linked.",
        )),
        "rights_request" => Some((
            "sar_third_party",
            "Third party's information released in a rights request response",
            "This incident is opened from a rights request whose bundle went out with a third party's data; the request stays linked.",
        )),
        _ => None,
    }
}

async fn report_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<FromQuery>,
) -> PageResult {
    let inc = incidents(&state.steward);
    let mut form = FormView::new();
    let mut note = None;
    if let Some((category, title, n)) = prefill(&q.from) {
        // The source must be a record the caller may read (asked of the gate, on the trail).
        let kind = Kind::parse(&q.from).ok_or(CoreError::NotFound)?;
        let _ = state
            .steward
            .permit::<ops::Read>(&si.caller, kind, &q.id)
            .await?;
        form = form
            .with("category", category)
            .with("title", title)
            .with("source_record_type", q.from.clone())
            .with("source_record_id", q.id.clone());
        note = Some(n.to_string());
    }
    Ok(render(&ReportPage {
        ctx: ctx(&si, "Report an incident", "incidents", &form),
        categories: category_options(&inc.rules),
        form,
        source_note: note,
        reported: Some(q.reported).filter(|r| {
            r.starts_with("INC-")
                && r.len() < 20
                && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }),
    }))
}

/// The incident report form: the times as four boxes each.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ReportForm {
    title: String,
    category: String,
    what_happened: String,
    occurred_day: String,
    occurred_month: String,
    occurred_year: String,
    occurred_time: String,
    aware_day: String,
    aware_month: String,
    aware_year: String,
    aware_time: String,
    people_affected: String,
    people_names: String,
    data_involved: String,
    how_many: String,
    containment: String,
    source_record_type: String,
    source_record_id: String,
}

impl ReportForm {
    fn input(&self) -> ReportInput {
        ReportInput {
            title: self.title.clone(),
            category: self.category.clone(),
            what_happened: self.what_happened.clone(),
            occurred_at: forms::date_time_input(
                &self.occurred_day,
                &self.occurred_month,
                &self.occurred_year,
                &self.occurred_time,
            ),
            aware_at: forms::date_time_input(
                &self.aware_day,
                &self.aware_month,
                &self.aware_year,
                &self.aware_time,
            ),
            people_affected: self.people_affected.clone(),
            people_names: self.people_names.clone(),
            data_involved: self.data_involved.clone(),
            how_many: self.how_many.clone(),
            containment: self.containment.clone(),
            source_record_type: forms::optional(&self.source_record_type),
            source_record_id: forms::optional(&self.source_record_id),
        }
    }
}

async fn report_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<ReportForm>,
) -> PageResult {
    let inc = incidents(&state.steward);
    match inc
        .report(&si.caller, &si.caller.current_organisation_id, &f.input())
        .await
    {
        Ok(i) => {
            let readable = state
                .steward
                .check(&si.caller, Kind::Incident, Op::Read, &i.id)
                .await
                .is_ok();
            let to = if readable {
                format!("/incidents/{}", i.id)
            } else {
                // The reporter who cannot read the log sees their reference on the form page.
                format!("/incidents/report?reported={}", i.reference)
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            let form = forms::shown_again(&f, anchor(errors));
            Ok((
                status_for(&form),
                render(&ReportPage {
                    ctx: ctx(&si, "Report an incident", "incidents", &form),
                    categories: category_options(&inc.rules),
                    source_note: prefill(&f.source_record_type).map(|p| p.2.to_string()),
                    reported: None,
                    form,
                }),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- list ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    status: String,
    category: String,
    reportable: String,
    quarter: String,
    page: String,
}

#[derive(Template)]
#[template(path = "incidents_list.html")]
pub struct ListPage {
    pub ctx: PageCtx,
    pub page: IncidentPage,
    pub base: String,
    pub query: String,
    pub organisation_name: String,
    pub statuses: Vec<Option_>,
    pub categories: Vec<Option_>,
    pub reportables: Vec<Option_>,
    pub form: FormView,
    pub can_report: bool,
}

impl ListPage {
    pub fn link(&self, page: i64) -> String {
        format!("{}?{}&page={page}", self.base, self.query)
    }
}

async fn list(state: State<AppState>, si: SignedIn, q: Query<ListQuery>) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    list_for(state, si, org, q).await
}

async fn list_in(
    state: State<AppState>,
    si: SignedIn,
    Path(org): Path<String>,
    q: Query<ListQuery>,
) -> PageResult {
    list_for(state, si, org, q).await
}

async fn list_for(
    State(state): State<AppState>,
    si: SignedIn,
    org: String,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let inc = incidents(&state.steward);
    let query = IncidentQuery {
        status: Some(q.status.clone()).filter(|s| !s.is_empty()),
        category: Some(q.category.clone()).filter(|s| !s.is_empty()),
        reportable: Some(q.reportable.clone()).filter(|s| !s.is_empty()),
        quarter: Some(q.quarter.clone()).filter(|s| !s.is_empty()),
        page: q.page.parse().ok(),
        size: None,
    };
    let (page, errors) = match inc.list(&si.caller, &org, &query).await {
        Ok(p) => (p, FieldErrors::default()),
        Err(CoreError::Invalid(errors)) => (
            inc.list(&si.caller, &org, &IncidentQuery::default())
                .await?,
            errors,
        ),
        Err(e) => return Err(e.into()),
    };
    let mut form = FormView::new()
        .with("status", &q.status)
        .with("category", &q.category)
        .with("reportable", &q.reportable);
    form.errors = errors;
    let organisation_name = state
        .steward
        .organisation(&si.caller, &org)
        .await
        .map(|o| o.name)
        .unwrap_or_default();
    let base = if org == si.caller.current_organisation_id {
        "/incidents".to_string()
    } else {
        format!("/organisations/{org}/incidents")
    };
    let mut statuses = options([("open", "Open"), ("all", "All")]);
    statuses.extend(options(STATUSES.iter().copied()));
    Ok((
        status_for(&form),
        render(&ListPage {
            ctx: ctx(&si, "Incidents and breaches", "incidents", &form),
            query: format!(
                "status={}&category={}&reportable={}&quarter={}",
                q.status, q.category, q.reportable, q.quarter
            ),
            base,
            organisation_name,
            statuses,
            categories: category_options(&inc.rules),
            reportables: options([
                ("yes", "Reportable to the ICO"),
                ("no", "Not reportable"),
                ("clock", "On the 72-hour clock"),
            ]),
            can_report: Kind::Incident.allows(si.caller.role, Op::Create),
            page,
            form,
        }),
    )
        .into_response())
}

// ---- one incident ----

#[derive(Template)]
#[template(path = "incident.html")]
pub struct IncidentView {
    pub ctx: PageCtx,
    pub i: Incident,
    pub history: Vec<Version>,
    pub form: FormView,
    pub likelihoods: Vec<Option_>,
    pub severities: Vec<Option_>,
    pub exceptions: Vec<Option_>,
    pub grid_source: String,
    pub clock_law: String,
    pub ico_rule: String,
    pub dhsc_rule: String,
    pub can_change: bool,
    pub can_publish: bool,
    pub likelihood_label: String,
    pub severity_label: String,
}

async fn render_incident(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    form: Option<FormView>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::Incident, id)
        .await?;
    let inc = incidents(&state.steward);
    let i = inc.incident(&p).await?;
    let history = state.steward.history(&p).await?;
    let grid = &inc.rules.grid;
    let form = form.unwrap_or_else(|| {
        let f = FormView::new()
            .with(
                "likelihood",
                i.likelihood.map(|v| v.to_string()).unwrap_or_default(),
            )
            .with(
                "severity",
                i.severity.map(|v| v.to_string()).unwrap_or_default(),
            )
            .with("reasons", i.grading_reasons.clone())
            .with("ico_reference", i.ico_reference.clone())
            .with("dhsc_reference", i.dhsc_reference.clone())
            .with("late_reasons", i.late_reasons.clone())
            .with("root_cause", i.root_cause.clone())
            .with("lesson", i.lesson.clone())
            .with(
                "published_lesson",
                if i.published_lesson.is_empty() {
                    i.lesson.clone()
                } else {
                    i.published_lesson.clone()
                },
            );
        match &i.notified_at {
            Some(n) => with_when(f, "notified", &uk_input(n)),
            None => f,
        }
    });
    let scale = |s: &[steward_assurance::grading::Grade]| {
        s.iter()
            .map(|g| Option_ {
                value: g.grade.to_string(),
                label: format!("{} {}: {}", g.grade, g.label, g.meaning),
            })
            .collect::<Vec<_>>()
    };
    let rule = |code: &str| {
        grid.rule(code)
            .map(|r| {
                format!(
                    "{}: likelihood {} or more and severity {} or more ({})",
                    capital(&r.who),
                    r.min_likelihood,
                    r.min_severity,
                    r.law
                )
            })
            .unwrap_or_default()
    };
    let view = IncidentView {
        ctx: ctx(
            si,
            &format!("{}: {}", i.reference, i.title),
            "incidents",
            &form,
        ),
        history,
        likelihoods: scale(grid.likelihood.as_slice()),
        severities: scale(grid.severity.as_slice()),
        exceptions: options(TELL_EXCEPTIONS.iter().copied()),
        grid_source: grid.source.clone(),
        clock_law: grid.clock.law.clone(),
        ico_rule: rule("ico"),
        dhsc_rule: rule("dhsc"),
        can_change: Kind::Incident.allows(si.caller.role, Op::Change),
        can_publish: Kind::IncidentLesson.allows(si.caller.role, Op::Change),
        likelihood_label: i
            .likelihood
            .map(|l| grid.likelihood_label(l as u8).to_string())
            .unwrap_or_default(),
        severity_label: i
            .severity
            .map(|s| grid.severity_label(s as u8).to_string())
            .unwrap_or_default(),
        i,
        form,
    };
    Ok((status_for(&view.form), render(&view)).into_response())
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

async fn incident_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_incident(&state, &si, &id, None).await
}

/// After a change: back to the incident, or the page again with the errors and values.
async fn after<T>(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    f: &impl Serialize,
    result: Result<T, CoreError>,
    section: &str,
) -> PageResult {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/incidents/{id}#{section}")).into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_incident(state, si, id, Some(forms::shown_again(f, anchor(errors)))).await
        }
        Err(CoreError::Conflict(m)) => {
            let mut errors = FieldErrors::default();
            errors.add(section, m);
            render_incident(state, si, id, Some(forms::shown_again(f, errors))).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn change_permit(
    state: &AppState,
    si: &SignedIn,
    id: &str,
) -> Result<steward_core::Permit<ops::Change>, CoreError> {
    state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::Incident, id)
        .await
}

async fn grade(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(input): Form<GradeInput>,
) -> PageResult {
    let p = change_permit(&state, &si, &id).await?;
    let res = incidents(&state.steward)
        .grade(&si.caller, &p, &input)
        .await;
    after(&state, &si, &id, &input, res, "grading").await
}

/// Telling the ICO: the time as four boxes.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct NotifyForm {
    notified_day: String,
    notified_month: String,
    notified_year: String,
    notified_time: String,
    ico_reference: String,
    dhsc_reference: String,
    late_reasons: String,
}

impl NotifyForm {
    fn input(&self) -> NotifyInput {
        NotifyInput {
            notified_at: forms::date_time_input(
                &self.notified_day,
                &self.notified_month,
                &self.notified_year,
                &self.notified_time,
            ),
            ico_reference: self.ico_reference.clone(),
            dhsc_reference: self.dhsc_reference.clone(),
            late_reasons: self.late_reasons.clone(),
        }
    }
}

async fn notify(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<NotifyForm>,
) -> PageResult {
    let p = change_permit(&state, &si, &id).await?;
    let input = f.input();
    let res = incidents(&state.steward)
        .notify(&si.caller, &p, &input)
        .await;
    after(&state, &si, &id, &f, res, "notification").await
}

/// Telling the people affected (its reasons box is named apart from the grading's).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct TellForm {
    tell: String,
    tell_reasons: String,
    exception: String,
}

async fn tell(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<TellForm>,
) -> PageResult {
    let p = change_permit(&state, &si, &id).await?;
    let input = TellPeopleInput {
        tell: f.tell.clone(),
        reasons: f.tell_reasons.clone(),
        exception: f.exception.clone(),
    };
    let res = incidents(&state.steward)
        .decide_telling(&si.caller, &p, &input)
        .await
        .map_err(|e| match e {
            CoreError::Invalid(errs) => CoreError::Invalid(FieldErrors(
                errs.0
                    .into_iter()
                    .map(|mut x| {
                        if x.field == "reasons" {
                            x.field = "tell_reasons".into();
                        }
                        x
                    })
                    .collect(),
            )),
            e => e,
        });
    after(&state, &si, &id, &f, res, "people").await
}

async fn close(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(input): Form<CloseInput>,
) -> PageResult {
    let p = change_permit(&state, &si, &id).await?;
    let res = incidents(&state.steward)
        .close(&si.caller, &p, &input)
        .await;
    after(&state, &si, &id, &input, res, "closure").await
}

/// The lesson as the cluster will read it (named apart from the closure's own lesson).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct PublishLessonForm {
    published_lesson: String,
}

async fn lesson(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<PublishLessonForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::IncidentLesson, &id)
        .await?;
    let input = LessonInput {
        lesson: f.published_lesson.clone(),
    };
    let res = incidents(&state.steward)
        .publish_lesson(&si.caller, &p, &input)
        .await
        .map_err(|e| match e {
            CoreError::Invalid(errs) => CoreError::Invalid(FieldErrors(
                errs.0
                    .into_iter()
                    .map(|mut x| {
                        x.field = "published_lesson".into();
                        x
                    })
                    .collect(),
            )),
            e => e,
        });
    after(&state, &si, &id, &f, res, "learning").await
}

// ---- the cluster view ----

#[derive(Template)]
#[template(path = "assurance_cluster.html")]
pub struct ClusterPage {
    pub ctx: PageCtx,
    pub view: ClusterView,
}

async fn cluster_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let view = cluster_view(&state.steward, &si.caller, today()).await?;
    Ok(render(&ClusterPage {
        ctx: ctx(&si, "Cluster assurance", "assurance", &FormView::new()),
        view,
    }))
}

// ---- risks ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct RiskListQuery {
    status: String,
    above_appetite: String,
    page: String,
}

#[derive(Template)]
#[template(path = "risks_list.html")]
pub struct RisksPage {
    pub ctx: PageCtx,
    pub page: RiskPage,
    pub base: String,
    pub query: String,
    pub form: FormView,
    pub can_keep: bool,
    pub can_set_appetite: bool,
    pub matrix_source: String,
    pub max_score: u8,
}

impl RisksPage {
    pub fn link(&self, page: i64) -> String {
        format!("{}?{}&page={page}", self.base, self.query)
    }
}

async fn risks_list(state: State<AppState>, si: SignedIn, q: Query<RiskListQuery>) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    risks_for(state, si, org, q, FieldErrors::default(), None).await
}

async fn risks_list_in(
    state: State<AppState>,
    si: SignedIn,
    Path(org): Path<String>,
    q: Query<RiskListQuery>,
) -> PageResult {
    risks_for(state, si, org, q, FieldErrors::default(), None).await
}

async fn risks_for(
    State(state): State<AppState>,
    si: SignedIn,
    org: String,
    Query(q): Query<RiskListQuery>,
    errors: FieldErrors,
    appetite_typed: Option<String>,
) -> PageResult {
    let rk = risks(&state.steward);
    let query = RiskQuery {
        status: Some(q.status.clone()).filter(|s| !s.is_empty()),
        above_appetite: Some(q.above_appetite.clone()).filter(|s| !s.is_empty()),
        page: q.page.parse().ok(),
        size: None,
    };
    let (page, mut errors) = match rk.list(&si.caller, &org, &query).await {
        Ok(p) => (p, errors),
        Err(CoreError::Invalid(e)) => (rk.list(&si.caller, &org, &RiskQuery::default()).await?, e),
        Err(e) => return Err(e.into()),
    };
    let appetite =
        appetite_typed.unwrap_or_else(|| page.appetite.map(|a| a.to_string()).unwrap_or_default());
    let mut form = FormView::new()
        .with("status", &q.status)
        .with("above_appetite", &q.above_appetite)
        .with("appetite", appetite);
    std::mem::swap(&mut form.errors, &mut errors);
    let base = if org == si.caller.current_organisation_id {
        "/risks".to_string()
    } else {
        format!("/organisations/{org}/risks")
    };
    Ok((
        status_for(&form),
        render(&RisksPage {
            ctx: ctx(&si, "Information risk register", "risks", &form),
            query: format!("status={}&above_appetite={}", q.status, q.above_appetite),
            base,
            can_keep: Kind::Risk.allows(si.caller.role, Op::Create)
                && org == si.caller.current_organisation_id,
            can_set_appetite: Kind::Risk.allows(si.caller.role, Op::Configure)
                && org == si.caller.current_organisation_id,
            matrix_source: rk.rules.matrix.source.clone(),
            max_score: rk.rules.matrix.max_score(),
            page,
            form,
        }),
    )
        .into_response())
}

async fn appetite_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<AppetiteInput>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match risks(&state.steward)
        .set_appetite(&si.caller, &org, &f)
        .await
    {
        Ok(_) => Ok(Redirect::to("/risks").into_response()),
        Err(CoreError::Invalid(errors)) => {
            risks_for(
                State(state),
                si,
                org,
                Query(RiskListQuery::default()),
                errors,
                Some(f.appetite),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "risk_form.html")]
pub struct RiskFormPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub people: Vec<Option_>,
    pub likelihoods: Vec<Option_>,
    pub consequences: Vec<Option_>,
    pub matrix_source: String,
    /// Where a risk raised from another record comes from.
    pub source_note: Option<String>,
}

async fn risk_form(
    state: &AppState,
    si: &SignedIn,
    form: FormView,
    source_note: Option<String>,
) -> PageResult {
    let rk = risks(&state.steward);
    let people = state
        .steward
        .assignable_people(&si.caller, &si.caller.current_organisation_id)
        .await?;
    let levels = |l: &[steward_assurance::matrix::Level]| {
        l.iter()
            .map(|x| Option_ {
                value: x.score.to_string(),
                label: format!("{} {}", x.score, x.label),
            })
            .collect::<Vec<_>>()
    };
    Ok((
        status_for(&form),
        render(&RiskFormPage {
            ctx: ctx(si, "Add a risk", "risks", &form),
            people: crate::views::people_options(&people),
            likelihoods: levels(rk.rules.matrix.likelihood.as_slice()),
            consequences: levels(rk.rules.matrix.consequence.as_slice()),
            matrix_source: rk.rules.matrix.source.clone(),
            source_note,
            form,
        }),
    )
        .into_response())
}

/// Which record a new risk is raised from, if any (see `risk_sources`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct RaiseQuery {
    from: String,
    id: String,
    /// A DPIA's own risk.
    part: String,
}

async fn risk_new_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<RaiseQuery>,
) -> PageResult {
    if q.from.is_empty() {
        return risk_form(&state, &si, FormView::new(), None).await;
    }
    match crate::risk_sources::prefill(&state, &si, &q.from, &q.id, &q.part).await {
        Ok((form, note)) => risk_form(&state, &si, form, Some(note)).await,
        Err(CoreError::Conflict(m)) => {
            let mut form = FormView::new();
            form.errors.add("title", &m);
            risk_form(&state, &si, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A new risk on the register: the review date as three boxes.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct RiskForm {
    title: String,
    cause: String,
    consequence: String,
    owner_id: String,
    inherent_likelihood: String,
    inherent_consequence: String,
    residual_likelihood: String,
    residual_consequence: String,
    treatment: String,
    review_day: String,
    review_month: String,
    review_year: String,
    source_record_type: String,
    source_record_id: String,
}

impl RiskForm {
    fn input(&self) -> RiskInput {
        RiskInput {
            title: self.title.clone(),
            cause: self.cause.clone(),
            consequence: self.consequence.clone(),
            owner_id: self.owner_id.clone(),
            inherent_likelihood: self.inherent_likelihood.clone(),
            inherent_consequence: self.inherent_consequence.clone(),
            residual_likelihood: self.residual_likelihood.clone(),
            residual_consequence: self.residual_consequence.clone(),
            treatment: self.treatment.clone(),
            review_date: forms::date_input(&self.review_day, &self.review_month, &self.review_year),
            source_record_type: forms::optional(&self.source_record_type),
            source_record_id: forms::optional(&self.source_record_id),
        }
    }
}

async fn risk_new_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<RiskForm>,
) -> PageResult {
    let input = f.input();
    match risks(&state.steward)
        .create(
            &si.caller,
            &si.caller.current_organisation_id,
            &input,
            today(),
        )
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/risks/{}", r.id)).into_response()),
        Err(CoreError::Invalid(errors)) => {
            let errors = FieldErrors(
                errors
                    .0
                    .into_iter()
                    .map(|mut e| {
                        if e.field == "review_date" {
                            e.field = "review_day".into();
                        }
                        e
                    })
                    .collect(),
            );
            let note = crate::risk_sources::link(&f.source_record_type, &f.source_record_id, "")
                .map(|(_, what)| format!("This risk is raised from {what}; it stays linked."));
            risk_form(&state, &si, forms::shown_again(&f, errors), note).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "risk.html")]
pub struct RiskView {
    pub ctx: PageCtx,
    pub r: Risk,
    pub changes: Vec<ScoreChange>,
    pub form: FormView,
    pub can_change: bool,
    pub matrix_source: String,
    /// The record the risk was raised from: its page and what to call it.
    pub source: Option<(String, String)>,
}

async fn render_risk(state: &AppState, si: &SignedIn, id: &str, form: FormView) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::Risk, id)
        .await?;
    let rk = risks(&state.steward);
    let r = rk.risk(&p).await?;
    let changes = rk.score_changes(&p).await?;
    Ok((
        status_for(&form),
        render(&RiskView {
            ctx: ctx(si, &format!("{}: {}", r.reference, r.title), "risks", &form),
            can_change: Kind::Risk.allows(si.caller.role, Op::Change),
            matrix_source: rk.rules.matrix.source.clone(),
            source: match (&r.source_record_type, &r.source_record_id) {
                (Some(t), Some(i)) => crate::risk_sources::link(t, i, ""),
                _ => None,
            },
            r,
            changes,
            form,
        }),
    )
        .into_response())
}

async fn risk_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_risk(&state, &si, &id, FormView::new()).await
}

async fn rescore(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(input): Form<RescoreInput>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::Risk, &id)
        .await?;
    match risks(&state.steward)
        .rescore(&si.caller, &p, &input, today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/risks/{id}")).into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_risk(&state, &si, &id, forms::shown_again(&input, errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the quarterly cluster update ----

#[derive(Template)]
#[template(path = "cluster_updates.html")]
pub struct UpdatesPage {
    pub ctx: PageCtx,
    pub items: Vec<UpdateSummary>,
    pub form: FormView,
    pub quarters: Vec<Option_>,
}

fn quarter_options() -> Vec<Option_> {
    let t = today();
    let mut out = vec![];
    let mut d = t;
    for _ in 0..4 {
        let q = steward_assurance::incidents::quarter_of(d);
        out.push(Option_ {
            label: quarter_label(&q),
            value: q.clone(),
        });
        let (s, _) = steward_assurance::incidents::quarter_bounds(&q).expect("a quarter");
        d = s - chrono::Duration::days(1);
    }
    out
}

async fn updates_view(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let items = updates(&state.steward)
        .list(&si.caller, &si.caller.home_organisation_id)
        .await?;
    Ok((
        status_for(&form),
        render(&UpdatesPage {
            ctx: ctx(si, "Quarterly cluster updates", "assurance", &form),
            items,
            quarters: quarter_options(),
            form,
        }),
    )
        .into_response())
}

async fn updates_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let form = FormView::new().with("quarter", steward_assurance::incidents::quarter_of(today()));
    updates_view(&state, &si, form).await
}

async fn generate(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<GenerateInput>,
) -> PageResult {
    match updates(&state.steward)
        .generate(&si.caller, &si.caller.home_organisation_id, &f, today())
        .await
    {
        Ok(u) => Ok(Redirect::to(&format!("/cluster-updates/{}", u.id)).into_response()),
        Err(CoreError::Invalid(errors)) => {
            updates_view(&state, &si, forms::shown_again(&f, errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "cluster_update.html")]
pub struct UpdateView {
    pub ctx: PageCtx,
    pub u: ClusterUpdate,
    pub form: FormView,
    pub can_change: bool,
    pub notice: Option<String>,
}

impl UpdateView {
    pub fn heading(&self, i: &usize) -> String {
        self.form.value(&format!("heading_{i}")).to_string()
    }
    pub fn heading_error(&self, i: &usize) -> Option<String> {
        self.form.error(&format!("heading_{i}")).map(str::to_string)
    }
    pub fn body(&self, i: &usize) -> String {
        self.form.value(&format!("body_{i}")).to_string()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateQuery {
    sent: String,
}

async fn render_update(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    typed: Option<FormView>,
    notice: Option<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::ClusterUpdate, id)
        .await?;
    let u = updates(&state.steward).update(&p).await?;
    let form = typed.unwrap_or_else(|| {
        let mut f = FormView::new().with("title", u.title.clone());
        for (i, s) in u.sections.iter().enumerate() {
            f = f
                .with(&format!("heading_{i}"), s.heading.clone())
                .with(&format!("body_{i}"), s.body.clone());
        }
        f
    });
    Ok((
        status_for(&form),
        render(&UpdateView {
            ctx: ctx(si, &u.title, "assurance", &form),
            can_change: Kind::ClusterUpdate.allows(si.caller.role, Op::Change)
                && u.status == "draft",
            u,
            form,
            notice,
        }),
    )
        .into_response())
}

async fn update_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<UpdateQuery>,
) -> PageResult {
    let notice = (!q.sent.is_empty()).then(|| {
        format!(
            "The update was sent to {}.",
            count_words(q.sent.parse().unwrap_or(0), "person", "people")
        )
    });
    render_update(&state, &si, &id, None, notice).await
}

/// The quarterly update's text: the title, then one heading and body per section, numbered
/// from 0 (`heading_0`, `body_0`, ...): those are named by position, so they are kept in one map.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct UpdateForm {
    title: String,
    #[serde(flatten)]
    sections: HashMap<String, String>,
}

impl UpdateForm {
    fn input(&self) -> EditInput {
        let part = |name: &str, i: usize| self.sections.get(&format!("{name}_{i}")).cloned();
        let sections = (0..)
            .map_while(|i| {
                part("heading", i).map(|heading| Section {
                    heading,
                    body: part("body", i).unwrap_or_default(),
                })
            })
            .collect();
        EditInput {
            title: self.title.clone(),
            sections,
        }
    }
}

async fn edit_update(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<UpdateForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ClusterUpdate, &id)
        .await?;
    let input = f.input();
    match updates(&state.steward).edit(&si.caller, &p, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/cluster-updates/{id}")).into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_update(&state, &si, &id, Some(forms::shown_again(&f, errors)), None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn send_update(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ClusterUpdate, &id)
        .await?;
    match updates(&state.steward).send(&si.caller, &p).await {
        Ok(u) => {
            Ok(Redirect::to(&format!("/cluster-updates/{id}?sent={}", u.sent_to)).into_response())
        }
        // Not sent (e-mail not set up, or sent already): said on the page, the text kept.
        Err(CoreError::Conflict(m)) => render_update(&state, &si, &id, None, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

async fn update_pdf(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::ClusterUpdate, &id)
        .await?;
    let up = updates(&state.steward);
    let u = up.update(&p).await?;
    Ok(download(
        up.pdf(&u)?,
        "application/pdf",
        &format!("cluster-update-{}.pdf", u.quarter),
    ))
}

async fn update_docx(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::ClusterUpdate, &id)
        .await?;
    let up = updates(&state.steward);
    let u = up.update(&p).await?;
    Ok(download(
        up.docx(&u)?,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("cluster-update-{}.docx", u.quarter),
    ))
}
