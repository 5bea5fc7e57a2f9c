//! Access-audit pages (issue 5): upload an export, map its columns once per system, run the
//! audit with a progress bar, review cases (timeline, evidence, outcome, notes), monthly sample
//! audits with their checklist, and the report per organisation and period (PDF and CSV).
//! Every page calls `steward_access_review`, which checks organisation and role itself.

use std::collections::BTreeMap;

#[allow(unused_imports)]
use crate::words::filters;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use steward_access_audit::table::Table;
use steward_access_audit::Rule;
use steward_access_review::cases::{status_label, FlagEvidence, Outcome, CASE_PAGE_SIZE};
use steward_access_review::export::{
    column_field, file_field, guess_column, guess_file, required, table_label, TABLES,
};
use steward_access_review::report::Report;
use steward_access_review::sample::{CHECKLIST, ITEM_OUTCOMES};
use steward_access_review::{
    can_record, AccessReview, CaseDetail, CasePage, CaseQuery, ExportFile, MappingChoice,
    MappingDraft, OutcomeInput, ReportScope, Run, Sample, SampleUpdate, SavedMapping,
};
use steward_core::actions::Action;
use steward_core::records::Version;
use steward_core::time::{date_from_parts, iso_date};
use steward_core::{ops, CoreError, FieldErrors, Kind, Op};

use crate::error::PageResult;
use crate::routes::{Access, Routes};
use crate::session::SignedIn;
use crate::views::{org_filter, render, FormView, Option_, OrgFilter, PageCtx};
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let runs = |op| Organisation(Kind::AccessAuditRun, op);
    let run = |op| Record(Kind::AccessAuditRun, op);
    let case = |op| Record(Kind::AccessAuditCase, op);
    let sample = |op| Record(Kind::AccessAuditSample, op);
    Routes::new()
        .get("/access-audit", runs(Op::List), runs_page)
        .get("/access-audit/new", runs(Op::Create), new_run_page)
        .upload("/access-audit/new", runs(Op::Create), new_run_submit)
        .get("/access-audit/runs/{id}", run(Op::Read), run_page)
        .get(
            "/access-audit/runs/{id}/mapping",
            run(Op::Change),
            mapping_page,
        )
        .post(
            "/access-audit/runs/{id}/mapping",
            run(Op::Change),
            mapping_submit,
        )
        .post(
            "/access-audit/runs/{id}/samples",
            run(Op::Change),
            new_sample,
        )
        .get(
            "/access-audit/runs/{id}/export/delete",
            run(Op::Change),
            confirm_delete_export,
        )
        .post(
            "/access-audit/runs/{id}/export/delete",
            run(Op::Change),
            delete_export,
        )
        .get(
            "/access-audit/cases",
            Organisation(Kind::AccessAuditCase, Op::List),
            cases_page,
        )
        .get("/access-audit/cases/{id}", case(Op::Read), case_page)
        .post(
            "/access-audit/cases/{id}/outcome",
            case(Op::Change),
            outcome_submit,
        )
        .post(
            "/access-audit/cases/{id}/notes",
            case(Op::Comment),
            note_submit,
        )
        .get("/access-audit/samples/{id}", sample(Op::Read), sample_page)
        .post(
            "/access-audit/samples/{id}",
            sample(Op::Change),
            sample_submit,
        )
        .get("/access-audit/report", runs(Op::List), report_page)
        .get("/access-audit/report.pdf", runs(Op::List), report_pdf)
        .get("/access-audit/report.csv", runs(Op::List), report_csv)
}

fn review(state: &AppState) -> AccessReview {
    AccessReview::new(state.steward.clone())
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn ctx(si: &SignedIn, title: &str) -> PageCtx {
    let mut c = crate::pages::ctx(si, title, "audit");
    c.can_write = c.can_write && can_record(si.caller.role);
    c
}

fn status_of(form: &FormView) -> StatusCode {
    if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

pub fn run_status_label(s: &str) -> &'static str {
    match s {
        "uploaded" => "Waiting for its mapping",
        "running" => "Running",
        "completed" => "Completed",
        "failed" => "Failed",
        _ => "Unknown",
    }
}

pub fn run_status_tag(s: &str) -> &'static str {
    match s {
        "completed" => "nhsuk-tag--green",
        "running" => "nhsuk-tag--blue",
        "failed" => "nhsuk-tag--red",
        _ => "nhsuk-tag--grey",
    }
}

pub fn case_status_tag(s: &str) -> &'static str {
    match s {
        "open" => "nhsuk-tag--blue",
        "awaiting_explanation" => "nhsuk-tag--yellow",
        _ => "nhsuk-tag--green",
    }
}

fn rule_options() -> Vec<Option_> {
    Rule::ALL
        .iter()
        .map(|r| Option_ {
            value: r.name().into(),
            label: r.name().into(),
        })
        .collect()
}

fn people_options(people: &[steward_core::actions::Person]) -> Vec<Option_> {
    crate::views::people_options(people)
}

// ---- runs ----

#[derive(Template)]
#[template(path = "audit_runs.html")]
pub struct RunsView {
    pub ctx: PageCtx,
    pub runs: Vec<Run>,
    pub mappings: Vec<SavedMapping>,
    pub is_dpo: bool,
}

async fn runs_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let r = review(&state);
    let org = si.caller.current_organisation_id.clone();
    let runs = r.runs(&si.caller, &org).await?;
    let mappings = r.mappings(&si.caller, &org).await?;
    Ok(render(&RunsView {
        ctx: ctx(&si, "Access audit"),
        runs,
        mappings,
        is_dpo: si.caller.role == steward_core::Role::Dpo,
    }))
}

#[derive(Template)]
#[template(path = "audit_new.html")]
pub struct NewRunView {
    pub ctx: PageCtx,
    pub form: FormView,
    pub max_mb: usize,
    pub folder_hint: String,
}

async fn new_run_form(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let mut c = ctx(si, "Audit a clinical system export");
    c.has_errors = form.has_errors();
    Ok((
        status_of(&form),
        render(&NewRunView {
            ctx: c,
            max_mb: state.steward.config.max_attachment_bytes / (1024 * 1024),
            // The folder's place on the server is the administrator's business (README):
            // the page names no path.
            folder_hint: "The name of a folder that the system administrator placed in this organisation's import folder, for example may-2025".into(),
            form,
        }),
    )
        .into_response())
}

async fn new_run_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    steward_access_review::require_audit_write(&si.caller, &si.caller.current_organisation_id)?;
    let last_month = today()
        .with_day0(0)
        .and_then(|d| d.pred_opt())
        .unwrap_or_else(today);
    let form = FormView::new()
        .with("period_month", last_month.format("%-m").to_string())
        .with("period_year", last_month.format("%Y").to_string());
    new_run_form(&state, &si, form).await
}

use chrono::Datelike;

fn period_from(month: &str, year: &str) -> String {
    match date_from_parts("1", month, year) {
        Some(d) => d.format("%Y-%m").to_string(),
        None if month.trim().is_empty() && year.trim().is_empty() => String::new(),
        None => "not a month".into(),
    }
}

async fn new_run_submit(
    State(state): State<AppState>,
    si: SignedIn,
    mut mp: Multipart,
) -> PageResult {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        if name == "files" {
            let fname = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|_| {
                CoreError::invalid("files", "The files could not be read; try again")
            })?;
            files.push((fname, bytes.to_vec()));
        } else {
            fields.insert(name, field.text().await.unwrap_or_default());
        }
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let period = period_from(&get("period_month"), &get("period_year"));
    let system = get("system_name");
    let folder = get("folder");
    let r = review(&state);
    let org = si.caller.current_organisation_id.clone();
    let has_files = files.iter().any(|(n, b)| !n.is_empty() || !b.is_empty());
    let result = if !folder.trim().is_empty() && !has_files {
        r.create_run_from_folder(&si.caller, &org, &period, &system, &folder)
            .await
    } else {
        r.create_run_from_upload(&si.caller, &org, &period, &system, files)
            .await
    };
    match result {
        Ok(run) => {
            Ok(Redirect::to(&format!("/access-audit/runs/{}/mapping", run.id)).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            let form = FormView {
                errors,
                ..FormView::new()
                    .with("period_month", get("period_month"))
                    .with("period_year", get("period_year"))
                    .with("system_name", system)
                    .with("folder", folder)
            };
            new_run_form(&state, &si, form).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- mapping ----

pub struct ColumnRow {
    pub name: String,
    pub field: String,
    pub required: bool,
}

pub struct TableRow {
    pub name: String,
    pub label: String,
    pub file_field: String,
    /// The columns of the chosen file.
    pub options: Vec<Option_>,
    pub columns: Vec<ColumnRow>,
}

#[derive(Template)]
#[template(path = "audit_mapping.html")]
pub struct MappingView {
    pub ctx: PageCtx,
    pub run: Run,
    pub files: Vec<ExportFile>,
    pub file_options: Vec<Option_>,
    pub tables: Vec<TableRow>,
    pub mappings: Vec<Option_>,
    pub canonical: bool,
    pub form: FormView,
}

/// Values of the mapping form: what was posted, else guesses from the file and column names.
fn mapping_form(files: &[ExportFile], posted: &BTreeMap<String, String>) -> FormView {
    let mut form = FormView::new();
    for (k, v) in posted {
        if k != "csrf" {
            form = form.with(k, v.clone());
        }
    }
    for t in TABLES {
        let ff = file_field(t);
        let chosen = posted
            .get(&ff)
            .cloned()
            .filter(|s| !s.is_empty())
            .or_else(|| guess_file(t, files))
            .unwrap_or_default();
        form = form.with(&ff, chosen.clone());
        let cols = files
            .iter()
            .find(|f| f.name == chosen)
            .map(|f| f.columns.clone())
            .unwrap_or_default();
        for c in t.columns() {
            let cf = column_field(t, c.name);
            // A refreshed file choice re-guesses its columns.
            let keep = posted
                .get(&cf)
                .filter(|v| cols.iter().any(|x| x == *v))
                .cloned();
            form = form.with(
                &cf,
                keep.or_else(|| guess_column(c.name, &cols))
                    .unwrap_or_default(),
            );
        }
    }
    form
}

async fn render_mapping(
    state: &AppState,
    si: &SignedIn,
    run_id: &str,
    form: FormView,
) -> PageResult {
    let r = review(state);
    let run = r.run(&si.caller, run_id).await?;
    steward_access_review::require_audit_write(&si.caller, &run.organisation_id)?;
    let files = r.export_files(&si.caller, run_id).await?;
    let mappings = r.mappings(&si.caller, &run.organisation_id).await?;
    let tables = TABLES
        .iter()
        .map(|t| {
            let chosen = form.value(&file_field(*t)).to_string();
            let cols = files
                .iter()
                .find(|f| f.name == chosen)
                .map(|f| f.columns.clone())
                .unwrap_or_default();
            TableRow {
                name: t.name().into(),
                label: table_label(*t).into(),
                file_field: file_field(*t),
                options: cols
                    .iter()
                    .map(|c| Option_ {
                        value: c.clone(),
                        label: c.clone(),
                    })
                    .collect(),
                columns: t
                    .columns()
                    .iter()
                    .map(|c| ColumnRow {
                        name: steward_access_review::export::column_label(c.name),
                        field: column_field(*t, c.name),
                        required: required(*t, c.name),
                    })
                    .collect(),
            }
        })
        .collect();
    let canonical = Table::ALL.iter().all(|t| {
        files.iter().any(|f| {
            f.name == format!("{}.csv", t.name()) || f.name == format!("{}.parquet", t.name())
        })
    });
    let mut c = ctx(si, "Map the export's columns");
    c.has_errors = form.has_errors();
    Ok((
        status_of(&form),
        render(&MappingView {
            ctx: c,
            file_options: files
                .iter()
                .map(|f| Option_ {
                    value: f.name.clone(),
                    label: f.name.clone(),
                })
                .collect(),
            files,
            tables,
            mappings: mappings
                .iter()
                .map(|m| Option_ {
                    value: m.id.clone(),
                    label: m.system_name.clone(),
                })
                .collect(),
            canonical,
            run,
            form,
        }),
    )
        .into_response())
}

async fn mapping_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let r = review(&state);
    let run = r.run(&si.caller, &id).await?;
    let files = r.export_files(&si.caller, &id).await?;
    let mut form = mapping_form(&files, &BTreeMap::new());
    form = form.with("system_name", run.system_name.clone());
    render_mapping(&state, &si, &id, form).await
}

async fn mapping_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let posted: BTreeMap<String, String> = fields.into_iter().collect();
    let get = |k: &str| posted.get(k).cloned().unwrap_or_default();
    let r = review(&state);
    let files = r.export_files(&si.caller, &id).await?;
    let form = mapping_form(&files, &posted);
    let choice = match get("choice").as_str() {
        "refresh" => return render_mapping(&state, &si, &id, form).await,
        "canonical" => Ok(MappingChoice::Canonical),
        "saved" if get("mapping_id").is_empty() => {
            Err(FieldErrors(vec![steward_core::FieldError {
                field: "mapping_id".into(),
                message: "Select a saved mapping".into(),
            }]))
        }
        "saved" => Ok(MappingChoice::Saved {
            mapping_id: get("mapping_id"),
        }),
        _ => {
            let mut draft = MappingDraft {
                system_name: get("system_name"),
                date_format: get("date_format"),
                timestamp_format: get("timestamp_format"),
                code_values: get("code_values"),
                ..Default::default()
            };
            for t in TABLES {
                draft
                    .files
                    .insert(t.name().into(), form.value(&file_field(t)).to_string());
                let cols = t
                    .columns()
                    .iter()
                    .map(|c| {
                        (
                            c.name.to_string(),
                            form.value(&column_field(t, c.name)).to_string(),
                        )
                    })
                    .collect();
                draft.columns.insert(t.name().into(), cols);
            }
            steward_access_review::export::build_mapping(&draft, &files).map(|toml| {
                MappingChoice::New {
                    system_name: draft.system_name.clone(),
                    mapping_toml: toml,
                }
            })
        }
    };
    let result = match choice {
        Ok(c) => r.start_run(&si.caller, &id, &c).await.map(|_| ()),
        Err(f) => Err(CoreError::Invalid(f)),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/access-audit/runs/{id}")).into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_mapping(&state, &si, &id, FormView { errors, ..form }).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- a run and its cases ----

#[derive(Template)]
#[template(path = "audit_run.html")]
pub struct RunView {
    pub ctx: PageCtx,
    pub run: Run,
    pub cases: Option<CasePage>,
    pub filter: FormView,
    pub query: String,
    pub rules: Vec<Option_>,
    pub statuses: Vec<Option_>,
    pub samples: Vec<(String, String, String)>,
    pub form: FormView,
}

impl RunView {
    pub fn page_link(&self, page: i64) -> String {
        format!(
            "/access-audit/runs/{}?{}&page={page}",
            self.run.id, self.query
        )
    }
    pub fn flags_of(&self, rule: &str) -> i64 {
        self.run.per_rule.get(rule).copied().unwrap_or(0)
    }
    pub fn page_size(&self) -> i64 {
        CASE_PAGE_SIZE
    }
}

#[derive(Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct CaseFilter {
    rule: String,
    user: String,
    patient: String,
    date_day: String,
    date_month: String,
    date_year: String,
    status: String,
    page: String,
}

impl CaseFilter {
    fn date(&self) -> Option<String> {
        date_from_parts(&self.date_day, &self.date_month, &self.date_year).map(iso_date)
    }
    fn query(&self) -> CaseQuery {
        let some = |s: &String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        CaseQuery {
            rule: some(&self.rule),
            user: some(&self.user),
            patient: some(&self.patient),
            date: self.date(),
            status: some(&self.status),
            page: self.page.parse().ok(),
            size: None,
        }
    }
    fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("rule", &self.rule),
            ("user", &self.user),
            ("patient", &self.patient),
            ("date_day", &self.date_day),
            ("date_month", &self.date_month),
            ("date_year", &self.date_year),
            ("status", &self.status),
        ])
        .unwrap_or_default()
    }
    fn view(&self) -> FormView {
        FormView::of(self)
    }
}

async fn render_run(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    f: &CaseFilter,
    form: FormView,
) -> PageResult {
    let r = review(state);
    let run = r.run(&si.caller, id).await?;
    let cases = if run.status == "completed" {
        Some(r.cases(&si.caller, id, &f.query()).await?)
    } else {
        None
    };
    let samples = if run.status == "completed" {
        r.samples_of_run(&si.caller, id).await?
    } else {
        vec![]
    };
    let mut c = ctx(si, &format!("Access audit: {}", run.period_label()));
    c.has_errors = form.has_errors();
    Ok((
        status_of(&form),
        render(&RunView {
            ctx: c,
            run,
            cases,
            filter: f.view(),
            query: f.query_string(),
            rules: rule_options(),
            statuses: ["open", "awaiting_explanation", "closed"]
                .iter()
                .map(|s| Option_ {
                    value: s.to_string(),
                    label: status_label(s).into(),
                })
                .collect(),
            samples,
            form,
        }),
    )
        .into_response())
}

async fn run_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Query(f): Query<CaseFilter>,
) -> PageResult {
    let form = FormView::new().with("per_user", "5");
    render_run(&state, &si, &id, &f, form).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SampleForm {
    per_user: String,
}

async fn new_sample(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<SampleForm>,
) -> PageResult {
    let per_user = f.per_user.trim().parse::<i64>().unwrap_or(0);
    match review(&state)
        .create_sample(&si.caller, &id, per_user, None)
        .await
    {
        Ok(s) => Ok(Redirect::to(&format!("/access-audit/samples/{}", s.id)).into_response()),
        Err(CoreError::Invalid(errors)) => {
            let form = FormView {
                errors,
                ..FormView::new().with("per_user", f.per_user)
            };
            render_run(&state, &si, &id, &CaseFilter::default(), form).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn confirm_delete_export(
    State(_state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    Ok(render(&crate::views::ConfirmPage {
        ctx: ctx(&si, "Are you sure you want to delete the uploaded export?"),
        what: "The clinical system's access logs uploaded for this audit will be deleted. The flags, cases and outcomes are kept, but no new sample or audit can be made from this export.".into(),
        action: format!("/access-audit/runs/{id}/export/delete"),
        button: "Yes, delete the export".into(),
        cancel: format!("/access-audit/runs/{id}#export"),
    }))
}

async fn delete_export(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    review(&state).delete_export(&si.caller, &id).await?;
    Ok(Redirect::to(&format!("/access-audit/runs/{id}#export")).into_response())
}

// ---- a case ----

#[derive(Template)]
#[template(path = "audit_case.html")]
pub struct CaseView {
    pub ctx: PageCtx,
    pub d: CaseDetail,
    pub history: Vec<Version>,
    pub people: Vec<Option_>,
    pub outcomes: Vec<Option_>,
    pub form: FormView,
}

impl CaseView {
    pub fn actions(&self) -> &[Action] {
        &self.d.actions
    }
    pub fn evidence_of(&self, f: &FlagEvidence) -> String {
        let text = if f.relationship.is_empty() {
            f.detail.clone()
        } else {
            format!("{}: {}", f.relationship, f.detail)
        };
        crate::words::prose(&text)
    }
}

async fn render_case(state: &AppState, si: &SignedIn, id: &str, form: FormView) -> PageResult {
    let r = review(state);
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::AccessAuditCase, id)
        .await?;
    let d = r.case(&p).await?;
    let history = state.steward.history(&p).await?;
    let people = if can_record(si.caller.role) {
        state
            .steward
            .assignable_people(&si.caller, &d.case.organisation_id)
            .await?
    } else {
        vec![]
    };
    let mut form = form;
    if form.value("version").is_empty() {
        form = form.with("version", d.case.version.to_string());
    }
    let mut c = ctx(si, &format!("Case {}: {}", d.case.rank, d.case.user_name));
    c.has_errors = form.has_errors();
    Ok((
        status_of(&form),
        render(&CaseView {
            ctx: c,
            people: people_options(&people),
            outcomes: Outcome::ALL
                .iter()
                .map(|o| Option_ {
                    value: o.as_str().into(),
                    label: o.label().into(),
                })
                .collect(),
            d,
            history,
            form,
        }),
    )
        .into_response())
}

/// Every case of the organisation's audits, or of the cluster's for the DPO, without
/// opening audit by audit: the cases to review by default.
#[derive(Template)]
#[template(path = "audit_cases.html")]
pub struct CasesView {
    pub ctx: PageCtx,
    pub page: CasePage,
    pub form: FormView,
    pub statuses: Vec<Option_>,
    pub orgs: OrgFilter,
    pub status: String,
}

impl CasesView {
    pub fn link(&self, page: i64) -> String {
        format!(
            "/access-audit/cases?status={}&page={page}{}",
            self.status,
            self.orgs.query()
        )
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CasesQuery {
    /// open (the default), awaiting_explanation, closed or all.
    status: String,
    page: String,
    organisation: String,
}

async fn cases_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<CasesQuery>,
) -> PageResult {
    let orgs = org_filter(&state.steward, &si.caller, &q.organisation).await?;
    let permits = state
        .steward
        .permit_lists(&si.caller, Kind::AccessAuditCase, &q.organisation)?;
    let status = if q.status.is_empty() {
        "open".to_string()
    } else {
        q.status.clone()
    };
    let wanted = if status == "all" { "" } else { status.as_str() };
    let r = review(&state);
    let (page, form) = match r
        .cases_in(&si.caller, &permits, wanted, q.page.parse().ok())
        .await
    {
        Ok(p) => (p, FormView::new()),
        Err(CoreError::Invalid(errors)) => (
            r.cases_in(&si.caller, &permits, "", None).await?,
            FormView {
                errors,
                ..FormView::new()
            },
        ),
        Err(e) => return Err(e.into()),
    };
    let mut statuses: Vec<Option_> = ["open", "awaiting_explanation", "closed"]
        .iter()
        .map(|s| Option_ {
            value: s.to_string(),
            label: status_label(s).into(),
        })
        .collect();
    statuses.push(Option_ {
        value: "all".into(),
        label: "Any status".into(),
    });
    let form = form.with("status", &status).with(
        "organisation",
        orgs.selected(&si.caller.current_organisation_id),
    );
    let mut c = ctx(&si, "Access audit cases");
    c.has_errors = form.has_errors();
    Ok(render(&CasesView {
        ctx: c,
        page,
        form,
        statuses,
        orgs,
        status,
    }))
}

async fn case_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_case(&state, &si, &id, FormView::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OutcomeForm {
    outcome: String,
    reason: String,
    line_manager_id: String,
    due_day: String,
    due_month: String,
    due_year: String,
    version: String,
}

async fn outcome_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<OutcomeForm>,
) -> PageResult {
    let due_date = crate::forms::date_input(&f.due_day, &f.due_month, &f.due_year);
    let input = OutcomeInput {
        outcome: f.outcome.clone(),
        reason: f.reason.clone(),
        line_manager_id: f.line_manager_id.clone(),
        due_date,
        expected_version: f.version.parse().ok(),
    };
    match review(&state)
        .record_outcome(&si.caller, &id, &input, today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/access-audit/cases/{id}")).into_response()),
        Err(e @ (CoreError::Invalid(_) | CoreError::Conflict(_))) => {
            let errors = match e {
                CoreError::Invalid(errors) => errors,
                other => FieldErrors(vec![steward_core::FieldError {
                    field: "outcome".into(),
                    message: other.to_string(),
                }]),
            };
            let form = FormView::new()
                .with("outcome", f.outcome)
                .with("reason", f.reason)
                .with("line_manager_id", f.line_manager_id)
                .with("due_day", f.due_day)
                .with("due_month", f.due_month)
                .with("due_year", f.due_year);
            render_case(&state, &si, &id, FormView { errors, ..form }).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoteForm {
    body: String,
}

async fn note_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> PageResult {
    match review(&state).add_case_note(&si.caller, &id, &f.body).await {
        Ok(()) => Ok(Redirect::to(&format!("/access-audit/cases/{id}#notes")).into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_case(
                &state,
                &si,
                &id,
                FormView {
                    errors,
                    ..FormView::new().with("body", f.body)
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- monthly sample ----

#[derive(Template)]
#[template(path = "audit_sample.html")]
pub struct SampleView {
    pub ctx: PageCtx,
    pub sample: Sample,
    pub checklist: Vec<(String, String)>,
    pub outcomes: Vec<Option_>,
    pub form: FormView,
}

impl SampleView {
    pub fn outcome_field(&self, seq: &i64) -> String {
        format!("outcome_{seq}")
    }
    pub fn note_field(&self, seq: &i64) -> String {
        format!("note_{seq}")
    }
}

async fn render_sample(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    form: Option<FormView>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::AccessAuditSample, id)
        .await?;
    let s = review(state).sample(&p).await?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormView::new();
        for i in &s.items {
            f = f
                .with(&format!("outcome_{}", i.seq), i.outcome.clone())
                .with(&format!("note_{}", i.seq), i.note.clone());
        }
        for (k, _) in CHECKLIST {
            if s.checked(k) {
                f = f.with(&format!("check_{k}"), "1");
            }
        }
        f
    });
    let mut c = ctx(
        si,
        &format!(
            "Monthly access audit: {}",
            steward_access_review::period_label(&s.period)
        ),
    );
    c.has_errors = form.has_errors();
    Ok((
        status_of(&form),
        render(&SampleView {
            ctx: c,
            checklist: CHECKLIST
                .iter()
                .map(|(k, l)| (k.to_string(), l.to_string()))
                .collect(),
            outcomes: ITEM_OUTCOMES
                .iter()
                .map(|(k, l)| Option_ {
                    value: k.to_string(),
                    label: l.to_string(),
                })
                .collect(),
            sample: s,
            form,
        }),
    )
        .into_response())
}

async fn sample_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_sample(&state, &si, &id, None).await
}

async fn sample_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let mut u = SampleUpdate::default();
    let mut form = FormView::new();
    for (k, v) in &fields {
        if k == "checklist" {
            u.checklist.push(v.clone());
            form = form.with(&format!("check_{v}"), "1");
        } else if let Some(seq) = k.strip_prefix("outcome_").and_then(|s| s.parse().ok()) {
            u.outcomes.insert(seq, v.clone());
            form = form.with(k, v.clone());
        } else if let Some(seq) = k.strip_prefix("note_").and_then(|s| s.parse().ok()) {
            u.notes.insert(seq, v.clone());
            form = form.with(k, v.clone());
        }
    }
    match review(&state).update_sample(&si.caller, &id, &u).await {
        Ok(_) => Ok(Redirect::to(&format!("/access-audit/samples/{id}")).into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_sample(&state, &si, &id, Some(FormView { errors, ..form })).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- report ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportQuery {
    period_month: String,
    period_year: String,
    scope: String,
}

impl ReportQuery {
    /// The month asked for; when none, the newest month with an audit in the scope, else
    /// last month.
    async fn period(&self, state: &AppState, si: &SignedIn) -> String {
        let p = period_from(&self.period_month, &self.period_year);
        if !p.is_empty() {
            return p;
        }
        if let Ok(Some(latest)) = review(state)
            .latest_period(&si.caller, &self.scope(si))
            .await
        {
            return latest;
        }
        let last = today()
            .with_day0(0)
            .and_then(|d| d.pred_opt())
            .unwrap_or_else(today);
        last.format("%Y-%m").to_string()
    }
    fn scope(&self, si: &SignedIn) -> ReportScope {
        if self.scope == "cluster" {
            ReportScope::Cluster
        } else {
            ReportScope::Organisation(si.caller.current_organisation_id.clone())
        }
    }
}

#[derive(Template)]
#[template(path = "audit_report.html")]
pub struct ReportView {
    pub ctx: PageCtx,
    pub report: Report,
    pub form: FormView,
    pub query: String,
    pub cluster: bool,
    pub is_dpo: bool,
}

async fn report_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let period = q.period(&state, &si).await;
    let mut form = FormView::new()
        .with(
            "period_month",
            period.get(5..7).unwrap_or("").trim_start_matches('0'),
        )
        .with("period_year", period.get(..4).unwrap_or(""));
    let result = review(&state)
        .report(&si.caller, &q.scope(&si), &period)
        .await;
    let report = match result {
        Ok(r) => r,
        Err(CoreError::Invalid(errors)) => {
            form.errors = errors;
            let fallback = today().format("%Y-%m").to_string();
            review(&state)
                .report(&si.caller, &q.scope(&si), &fallback)
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    let query = serde_urlencoded::to_string([
        ("period_month", form.value("period_month")),
        ("period_year", form.value("period_year")),
        ("scope", q.scope.as_str()),
    ])
    .unwrap_or_default();
    let mut c = ctx(&si, &report.title);
    c.has_errors = form.has_errors();
    Ok((
        status_of(&form),
        render(&ReportView {
            ctx: c,
            cluster: matches!(report.scope, ReportScope::Cluster),
            is_dpo: si.caller.role == steward_core::Role::Dpo,
            report,
            form,
            query,
        }),
    )
        .into_response())
}

fn download(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    crate::views::download(body, content_type, &name)
}

async fn report_pdf(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let period = q.period(&state, &si).await;
    let pdf = review(&state)
        .report_pdf(&si.caller, &q.scope(&si), &period)
        .await?;
    Ok(download(
        "application/pdf",
        format!("access-audit-{period}.pdf"),
        pdf,
    ))
}

async fn report_csv(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let period = q.period(&state, &si).await;
    let csv = review(&state)
        .report_csv(&si.caller, &q.scope(&si), &period)
        .await?;
    Ok(download(
        "text/csv; charset=utf-8",
        format!("access-audit-{period}.csv"),
        csv.into_bytes(),
    ))
}

pub fn period_label(p: &str) -> String {
    steward_access_review::period_label(p)
}
