//! Pages of compliance operations (issue 14): the retention schedule and calculator, records
//! management reviews and the destruction log, training and the training needs analysis, the
//! policy library with acknowledgements, toolkit evidence and readiness, business continuity.
//! Each handler calls one function of `steward_compliance`, which asks the gate itself; on bad
//! input the page comes back with the values kept and the messages beside the fields.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_compliance::continuity::{
    continuity, AssuranceInput, Plan, PlanInput, PlanView, SystemInput, TestInput, OUTCOMES,
};
use steward_compliance::policies::{
    origin_label, policies, status_label, AckRow, Policy, PolicyInput, PolicySummary,
    PolicyVersion, VersionInput, DOCUMENT_TYPES,
};
use steward_compliance::records::{
    records, CompleteInput, Destruction, DestructionInput, Review, ReviewInput, METHODS,
};
use steward_compliance::retention::{calculate, Dates, Outcome, ScheduleRow};
use steward_compliance::toolkit::{
    toolkit, ClusterReadiness, EvidenceInput, EvidenceRecord, Readiness,
};
use steward_compliance::training::{
    training, ImportInput, NeedsAnalysis, TrainingInput, TrainingRecord,
};
use steward_compliance::{count_words, Standing};
use steward_core::actions::Action;
use steward_core::records::{Attachment, Version};
use steward_core::roles::ALL_ROLES;
use steward_core::{ops, CoreError, FieldErrors, Kind, Op, Permit};

use crate::error::PageResult;
use crate::forms::{date_input, shown_again};
use crate::routes::{Access, Routes};
use crate::session::SignedIn;
use crate::views::{options, render, FormView, Option_, PageCtx};
#[allow(unused_imports)]
use crate::words::filters;
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let org = |k, op| Organisation(k, op);
    Routes::new()
        .get("/compliance", SignedIn, hub)
        .get(
            "/retention",
            org(Kind::RetentionReview, Op::List),
            retention_page,
        )
        .get("/retention/calculator", SignedIn, calculator_page)
        .post(
            "/retention/reviews",
            org(Kind::RetentionReview, Op::Create),
            review_create,
        )
        .get(
            "/retention/reviews/{id}",
            Record(Kind::RetentionReview, Op::Read),
            review_page,
        )
        .post(
            "/retention/reviews/{id}/complete",
            Record(Kind::RetentionReview, Op::Change),
            review_complete,
        )
        .get(
            "/destructions",
            org(Kind::Destruction, Op::List),
            destructions_page,
        )
        .post(
            "/destructions",
            org(Kind::Destruction, Op::Create),
            destruction_create,
        )
        .get(
            "/destructions/{id}",
            Record(Kind::Destruction, Op::Read),
            destruction_page,
        )
        .get(
            "/training",
            org(Kind::TrainingRecord, Op::List),
            training_page,
        )
        .post(
            "/training",
            org(Kind::TrainingRecord, Op::Create),
            training_create,
        )
        .post(
            "/training/import",
            org(Kind::TrainingRecord, Op::Create),
            training_import,
        )
        .post(
            "/training/reminders",
            org(Kind::TrainingRecord, Op::Create),
            training_reminders,
        )
        .get(
            "/training/{id}",
            Record(Kind::TrainingRecord, Op::Read),
            training_record_page,
        )
        .get("/policies", org(Kind::Policy, Op::List), policies_page)
        .post("/policies", org(Kind::Policy, Op::Create), policy_create)
        .get(
            "/policies/{id}",
            Record(Kind::Policy, Op::Read),
            policy_page,
        )
        .post(
            "/policies/{id}/versions",
            Record(Kind::Policy, Op::Change),
            policy_version,
        )
        .post(
            "/policies/{id}/adopt",
            Record(Kind::Policy, Op::Change),
            policy_adopt,
        )
        .post(
            "/policies/{id}/acknowledge",
            Record(Kind::PolicyAcknowledgement, Op::Change),
            policy_acknowledge,
        )
        .get(
            "/toolkit",
            org(Kind::ToolkitEvidence, Op::List),
            toolkit_page,
        )
        .post(
            "/toolkit/evidence",
            org(Kind::ToolkitEvidence, Op::Create),
            toolkit_save,
        )
        .get(
            "/toolkit/evidence-pack.csv",
            org(Kind::ToolkitEvidence, Op::List),
            toolkit_export,
        )
        .get(
            "/toolkit/cluster",
            Cluster(Kind::ToolkitEvidence),
            toolkit_cluster,
        )
        .get(
            "/toolkit/evidence/{id}",
            Record(Kind::ToolkitEvidence, Op::Read),
            evidence_page,
        )
        .get(
            "/continuity",
            org(Kind::ContinuityPlan, Op::List),
            continuity_page,
        )
        .post(
            "/continuity",
            org(Kind::ContinuityPlan, Op::Create),
            continuity_create,
        )
        .get(
            "/continuity/{id}",
            Record(Kind::ContinuityPlan, Op::Read),
            plan_page,
        )
        .post(
            "/continuity/{id}/systems",
            Record(Kind::ContinuityPlan, Op::Change),
            plan_system,
        )
        .post(
            "/continuity/{id}/tests",
            Record(Kind::ContinuityPlan, Op::Change),
            plan_test,
        )
        .get(
            "/opt-out",
            org(Kind::NonDirectCareProcessing, Op::List),
            optout_page,
        )
        .post(
            "/opt-out",
            org(Kind::NonDirectCareProcessing, Op::Create),
            optout_create,
        )
        .get(
            "/opt-out/{id}",
            Record(Kind::NonDirectCareProcessing, Op::Read),
            processing_page,
        )
        .post(
            "/continuity/{id}/assurances",
            Record(Kind::ContinuityPlan, Op::Change),
            plan_assurance,
        )
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn ctx(si: &SignedIn, title: &str, form: &FormView) -> PageCtx {
    let mut c = crate::pages::ctx(si, title, "compliance");
    c.has_errors = form.has_errors();
    c
}

fn respond<T: Template>(form: &FormView, page: &T) -> Response {
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, render(page)).into_response()
}

fn opt_date(s: &str) -> Option<NaiveDate> {
    steward_core::time::parse_iso_date(s)
}

/// The errors of a failed change, or the error itself.
fn errors_of(e: CoreError, section: &str) -> Result<FieldErrors, CoreError> {
    match e {
        CoreError::Invalid(errors) => Ok(errors),
        CoreError::Conflict(m) => {
            let mut f = FieldErrors::default();
            f.add(section, m);
            Ok(f)
        }
        e => Err(e),
    }
}

async fn people(state: &AppState, si: &SignedIn, org: &str) -> Result<Vec<Option_>, CoreError> {
    Ok(state
        .steward
        .assignable_people(&si.caller, org)
        .await?
        .into_iter()
        .map(|p| Option_ {
            value: p.id,
            label: p.display_name,
        })
        .collect())
}

pub fn words(n: &i64, one: &str, many: &str) -> String {
    count_words(*n, one, many)
}

pub fn standing_label(s: &Option<Standing>) -> &'static str {
    s.map(|s| s.label()).unwrap_or("Not required")
}

pub fn standing_tag(s: &Option<Standing>) -> &'static str {
    s.map(|s| s.tag()).unwrap_or("nhsuk-tag--white")
}

pub fn maybe_date(d: &Option<NaiveDate>) -> String {
    d.map(steward_core::time::long_date)
        .unwrap_or_else(|| "Does not run out".into())
}

pub fn long_date(d: &NaiveDate) -> String {
    steward_core::time::long_date(*d)
}

/// What the attachments panel of a record page needs.
pub struct Files {
    pub kind: &'static str,
    pub id: String,
    pub list: Vec<Attachment>,
    pub can_attach: bool,
    pub max_mb: usize,
    pub label: &'static str,
}

async fn files(
    state: &AppState,
    si: &SignedIn,
    p: &Permit<ops::Read>,
    label: &'static str,
) -> Result<Files, CoreError> {
    Ok(Files {
        kind: p.kind().code(),
        id: p.id().to_string(),
        list: state.steward.attachments(p).await?,
        can_attach: p.kind().allows(si.caller.role, Op::Attach),
        max_mb: state.steward.config.max_attachment_bytes / (1024 * 1024),
        label,
    })
}

// ---- hub ----

#[derive(Template)]
#[template(path = "compliance.html")]
pub struct HubPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub links: Vec<(String, String, String)>,
}

async fn hub(si: SignedIn) -> PageResult {
    let role = si.caller.role;
    let mut links = vec![];
    let mut add = |kind: Kind, href: &str, title: &str, what: &str| {
        if kind.allows(role, Op::List) {
            links.push((href.to_string(), title.to_string(), what.to_string()));
        }
    };
    add(
        Kind::Policy,
        "/policies",
        "Policies and agreements",
        "The policies in force, what you need to acknowledge, and who has not.",
    );
    add(
        Kind::TrainingRecord,
        "/training",
        "Training",
        "Training records and the training needs analysis.",
    );
    add(
        Kind::RetentionReview,
        "/retention",
        "Records management",
        "The retention schedule, the calculator and records management reviews.",
    );
    add(
        Kind::Destruction,
        "/destructions",
        "Destruction log",
        "What was destroyed, with certificates of destruction.",
    );
    add(
        Kind::ToolkitEvidence,
        "/toolkit",
        "Toolkit evidence",
        "Readiness for the Data Security and Protection Toolkit, and the evidence pack.",
    );
    add(
        Kind::ContinuityPlan,
        "/continuity",
        "Business continuity",
        "The plan, the systems it depends on, its tests and supplier assurance.",
    );
    add(
        Kind::NonDirectCareProcessing,
        "/opt-out",
        "National data opt-out",
        "Processing beyond individual care, and whether the opt-out applies to each.",
    );
    links.push((
        "/retention/calculator".into(),
        "Retention calculator".into(),
        "The earliest date a record may be destroyed, with the rule.".into(),
    ));
    if Kind::ToolkitEvidence.allows(role, Op::List) && role.cluster_wide() {
        links.push((
            "/toolkit/cluster".into(),
            "Toolkit readiness across the cluster".into(),
            "Each practice's readiness.".into(),
        ));
    }
    let form = FormView::new();
    Ok(render(&HubPage {
        ctx: ctx(&si, "Compliance", &form),
        form,
        links,
    }))
}

// ---- retention ----

#[derive(Template)]
#[template(path = "retention.html")]
pub struct RetentionPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub source: String,
    pub rows: Vec<ScheduleRow>,
    pub reviews: Vec<Review>,
    pub people: Vec<Option_>,
    pub can_create: bool,
}

async fn render_retention(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let rm = records(&state.steward);
    let reviews = rm.reviews(&si.caller, &org).await?;
    let page = RetentionPage {
        ctx: ctx(si, "Records management", &form),
        source: rm.rules.schedule.source.clone(),
        rows: rm.rules.schedule.row.clone(),
        reviews,
        people: people(state, si, &org).await?,
        can_create: Kind::RetentionReview.allows(si.caller.role, Op::Create),
        form,
    };
    Ok(respond(&page.form, &page))
}

async fn retention_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    render_retention(&state, &si, FormView::new()).await
}

/// The calculator's question (a GET form): the type of record and three dates typed as boxes.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct CalculatorQuery {
    record_type: String,
    /// Sent by the form's hidden field: the question was asked (not the first visit).
    calculate: Option<String>,
    start_day: String,
    start_month: String,
    start_year: String,
    date_of_birth_day: String,
    date_of_birth_month: String,
    date_of_birth_year: String,
    date_of_death_day: String,
    date_of_death_month: String,
    date_of_death_year: String,
}

impl CalculatorQuery {
    /// The three dates as typed: `YYYY-MM-DD`, empty, or what was typed.
    fn dates(&self) -> [(&'static str, &'static str, String); 3] {
        [
            (
                "start",
                "the date",
                date_input(&self.start_day, &self.start_month, &self.start_year),
            ),
            (
                "date_of_birth",
                "the date of birth",
                date_input(
                    &self.date_of_birth_day,
                    &self.date_of_birth_month,
                    &self.date_of_birth_year,
                ),
            ),
            (
                "date_of_death",
                "the date of death",
                date_input(
                    &self.date_of_death_day,
                    &self.date_of_death_month,
                    &self.date_of_death_year,
                ),
            ),
        ]
    }
}

#[derive(Template)]
#[template(path = "retention_calculator.html")]
pub struct CalculatorPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub types: Vec<Option_>,
    pub outcome: Option<Outcome>,
    pub row: Option<ScheduleRow>,
}

async fn calculator_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<CalculatorQuery>,
) -> PageResult {
    let rules = steward_compliance::rules(&state.steward);
    let types = rules
        .schedule
        .row
        .iter()
        .map(|r| Option_ {
            value: r.code.clone(),
            label: r.label.clone(),
        })
        .collect();
    let mut errors = FieldErrors::default();
    let mut outcome = None;
    let code = &q.record_type;
    let row = rules.schedule.get(code).cloned();
    if !code.is_empty() && q.calculate.is_some() {
        match &row {
            None => errors.add("record_type", "Choose the type of record"),
            Some(row) => {
                let mut bad = false;
                let [start, date_of_birth, date_of_death] = q.dates().map(|(name, what, s)| {
                    let d = opt_date(&s);
                    if !s.is_empty() && d.is_none() {
                        errors.add(name, format!("Enter {what} as a real date"));
                        bad = true;
                    }
                    d
                });
                let dates = Dates {
                    start,
                    date_of_birth,
                    date_of_death,
                };
                if !bad {
                    match calculate(row, &dates) {
                        Ok(o) => outcome = Some(o),
                        Err(steward_compliance::CalcError::Field(f, m)) => errors.add(f, m),
                    }
                }
            }
        }
    }
    let form = shown_again(&q, errors);
    let page = CalculatorPage {
        ctx: ctx(&si, "Retention calculator", &form),
        form,
        types,
        outcome,
        row,
    };
    Ok(respond(&page.form, &page))
}

/// A records management review. The schedule's record types are boxes named by their code
/// (`type_<code>`, ticked "yes"), kept in `rest`.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ReviewForm {
    title: String,
    owner_id: String,
    due_on_day: String,
    due_on_month: String,
    due_on_year: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl ReviewForm {
    fn input(&self) -> ReviewInput {
        ReviewInput {
            title: self.title.clone(),
            record_types: crate::forms::ticked_codes(&self.rest, "type_"),
            owner_id: self.owner_id.clone(),
            due_on: date_input(&self.due_on_day, &self.due_on_month, &self.due_on_year),
        }
    }
}

async fn review_create(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<ReviewForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match records(&state.steward)
        .create_review(&si.caller, &org, &f.input())
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/retention/reviews/{}", r.id)).into_response()),
        Err(e) => render_retention(&state, &si, shown_again(&f, errors_of(e, "title")?)).await,
    }
}

#[derive(Template)]
#[template(path = "retention_review.html")]
pub struct ReviewPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub r: Review,
    pub actions: Vec<Action>,
    pub history: Vec<Version>,
    pub can_change: bool,
}

async fn render_review(state: &AppState, si: &SignedIn, id: &str, form: FormView) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::RetentionReview, id)
        .await?;
    let r = records(&state.steward).review(&p).await?;
    let actions = state.steward.linked_actions(&p).await?;
    let history = state.steward.history(&p).await?;
    let page = ReviewPage {
        ctx: ctx(si, &r.title, &form),
        can_change: Kind::RetentionReview.allows(si.caller.role, Op::Change) && r.status == "open",
        r,
        actions,
        history,
        form,
    };
    Ok(respond(&page.form, &page))
}

async fn review_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_review(&state, &si, &id, FormView::new()).await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ReviewCompleteForm {
    findings: String,
    completed_on_day: String,
    completed_on_month: String,
    completed_on_year: String,
}

impl ReviewCompleteForm {
    fn input(&self) -> CompleteInput {
        CompleteInput {
            findings: self.findings.clone(),
            completed_on: date_input(
                &self.completed_on_day,
                &self.completed_on_month,
                &self.completed_on_year,
            ),
        }
    }
}

async fn review_complete(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ReviewCompleteForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::RetentionReview, &id)
        .await?;
    match records(&state.steward)
        .complete_review(&si.caller, &p, &f.input())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/retention/reviews/{id}")).into_response()),
        Err(e) => render_review(&state, &si, &id, shown_again(&f, errors_of(e, "findings")?)).await,
    }
}

// ---- destruction log ----

#[derive(Template)]
#[template(path = "destructions.html")]
pub struct DestructionsPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub items: Vec<Destruction>,
    pub types: Vec<Option_>,
    pub methods: Vec<Option_>,
    pub people: Vec<Option_>,
    pub can_create: bool,
}

async fn render_destructions(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let rm = records(&state.steward);
    let items = rm.destructions(&si.caller, &org).await?;
    let page = DestructionsPage {
        ctx: ctx(si, "Destruction log", &form),
        items,
        types: rm
            .rules
            .schedule
            .row
            .iter()
            .map(|r| Option_ {
                value: r.code.clone(),
                label: r.label.clone(),
            })
            .collect(),
        methods: options(METHODS.iter().copied()),
        people: people(state, si, &org).await?,
        can_create: Kind::Destruction.allows(si.caller.role, Op::Create),
        form,
    };
    Ok(respond(&page.form, &page))
}

async fn destructions_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    render_destructions(&state, &si, FormView::new()).await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct DestructionForm {
    record_type: String,
    description: String,
    quantity: String,
    method: String,
    destroyed_on_day: String,
    destroyed_on_month: String,
    destroyed_on_year: String,
    destroyed_by: String,
    authorised_by: String,
    certificate: String,
    /// The review the destruction came from (not on the page's form; a client may send it).
    review_id: String,
}

impl DestructionForm {
    fn input(&self) -> DestructionInput {
        DestructionInput {
            record_type: self.record_type.clone(),
            description: self.description.clone(),
            quantity: self.quantity.clone(),
            method: self.method.clone(),
            destroyed_on: date_input(
                &self.destroyed_on_day,
                &self.destroyed_on_month,
                &self.destroyed_on_year,
            ),
            destroyed_by: self.destroyed_by.clone(),
            authorised_by: self.authorised_by.clone(),
            certificate: self.certificate.clone(),
            review_id: Some(self.review_id.clone()).filter(|s| !s.is_empty()),
        }
    }
}

async fn destruction_create(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<DestructionForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match records(&state.steward)
        .record_destruction(&si.caller, &org, &f.input(), today())
        .await
    {
        Ok(d) => Ok(Redirect::to(&format!("/destructions/{}", d.id)).into_response()),
        Err(e) => {
            render_destructions(&state, &si, shown_again(&f, errors_of(e, "description")?)).await
        }
    }
}

#[derive(Template)]
#[template(path = "destruction.html")]
pub struct DestructionPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub d: Destruction,
    pub files: Files,
    pub history: Vec<Version>,
}

async fn destruction_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::Destruction, &id)
        .await?;
    let d = records(&state.steward).destruction(&p).await?;
    let form = FormView::new();
    Ok(render(&DestructionPage {
        ctx: ctx(
            &si,
            &format!("{}: {}", d.reference, d.record_type_label),
            &form,
        ),
        files: files(&state, &si, &p, "Certificate of destruction").await?,
        history: state.steward.history(&p).await?,
        d,
        form,
    }))
}

// ---- training ----

#[derive(Template)]
#[template(path = "training.html")]
pub struct TrainingPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub tna: NeedsAnalysis,
    pub records: Vec<TrainingRecord>,
    pub staff: Vec<Option_>,
    pub courses: Vec<Option_>,
    pub can_create: bool,
    pub notice: Option<String>,
}

async fn render_training(
    state: &AppState,
    si: &SignedIn,
    form: FormView,
    notice: Option<String>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let t = training(&state.steward);
    let tna = t.needs_analysis(&si.caller, &org, today()).await?;
    let records = t.list(&si.caller, &org).await?;
    let page = TrainingPage {
        ctx: ctx(si, "Training", &form),
        staff: tna
            .rows
            .iter()
            .map(|r| Option_ {
                value: r.person.id.clone(),
                label: r.person.name.clone(),
            })
            .collect(),
        courses: t
            .courses()
            .iter()
            .map(|c| Option_ {
                value: c.code.clone(),
                label: c.label.clone(),
            })
            .collect(),
        can_create: Kind::TrainingRecord.allows(si.caller.role, Op::Create),
        tna,
        records,
        form,
        notice,
    };
    Ok(respond(&page.form, &page))
}

/// After reminders were set or records imported: what was done and how many.
#[derive(Deserialize, Default)]
#[serde(default)]
struct TrainingQuery {
    done: String,
    n: String,
}

async fn training_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<TrainingQuery>,
) -> PageResult {
    let n = q.n.parse().unwrap_or(0);
    let notice = match q.done.as_str() {
        "reminders" => Some(format!("{} set.", count_words(n, "reminder", "reminders"))),
        "import" => Some(format!(
            "{} imported.",
            count_words(n, "training record", "training records")
        )),
        _ => None,
    };
    render_training(&state, &si, FormView::new(), notice).await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct TrainingForm {
    user_id: String,
    course: String,
    completed_on_day: String,
    completed_on_month: String,
    completed_on_year: String,
    provider: String,
    certificate: String,
}

impl TrainingForm {
    fn input(&self) -> TrainingInput {
        TrainingInput {
            user_id: self.user_id.clone(),
            course: self.course.clone(),
            completed_on: date_input(
                &self.completed_on_day,
                &self.completed_on_month,
                &self.completed_on_year,
            ),
            provider: self.provider.clone(),
            certificate: self.certificate.clone(),
        }
    }
}

async fn training_create(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<TrainingForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match training(&state.steward)
        .create(&si.caller, &org, &f.input(), today())
        .await
    {
        Ok(t) => Ok(Redirect::to(&format!("/training/{}", t.id)).into_response()),
        Err(e) => {
            render_training(&state, &si, shown_again(&f, errors_of(e, "user_id")?), None).await
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ImportForm {
    csv: String,
}

async fn training_import(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<ImportForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match training(&state.steward)
        .import(
            &si.caller,
            &org,
            &ImportInput { csv: f.csv.clone() },
            today(),
        )
        .await
    {
        Ok(r) => {
            Ok(Redirect::to(&format!("/training?done=import&n={}", r.created)).into_response())
        }
        Err(e) => render_training(&state, &si, shown_again(&f, errors_of(e, "csv")?), None).await,
    }
}

async fn training_reminders(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let n = training(&state.steward)
        .set_reminders(&si.caller, &org, today())
        .await?;
    Ok(Redirect::to(&format!("/training?done=reminders&n={n}")).into_response())
}

#[derive(Template)]
#[template(path = "training_record.html")]
pub struct TrainingRecordPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub t: TrainingRecord,
    pub files: Files,
    pub history: Vec<Version>,
}

async fn training_record_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::TrainingRecord, &id)
        .await?;
    let t = training(&state.steward).record(&p).await?;
    let form = FormView::new();
    Ok(render(&TrainingRecordPage {
        ctx: ctx(
            &si,
            &format!("{}: {}", t.person_name, t.course_label),
            &form,
        ),
        files: files(&state, &si, &p, "Certificate").await?,
        history: state.steward.history(&p).await?,
        t,
        form,
    }))
}

// ---- policies ----

#[derive(Template)]
#[template(path = "policies.html")]
pub struct PoliciesPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub items: Vec<PolicySummary>,
    pub types: Vec<Option_>,
    pub roles: Vec<Option_>,
    pub can_create: bool,
}

async fn render_policies(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let items = policies(&state.steward).list(&si.caller, &org).await?;
    let page = PoliciesPage {
        ctx: ctx(si, "Policies and agreements", &form),
        items,
        types: options(DOCUMENT_TYPES.iter().copied()),
        roles: ALL_ROLES
            .iter()
            .filter(|r| r.can_write_records() && **r != steward_core::Role::Dpo)
            .map(|r| Option_ {
                value: r.as_str().into(),
                label: r.label().into(),
            })
            .collect(),
        can_create: Kind::Policy.allows(si.caller.role, Op::Create),
        form,
    };
    Ok(respond(&page.form, &page))
}

async fn policies_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    render_policies(&state, &si, FormView::new()).await
}

/// A new policy. The roles it applies to are boxes named by the role's code (`role_<code>`,
/// ticked "yes"), kept in `rest`.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct PolicyForm {
    title: String,
    document_type: String,
    summary: String,
    body: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl PolicyForm {
    fn input(&self) -> PolicyInput {
        PolicyInput {
            title: self.title.clone(),
            document_type: self.document_type.clone(),
            applies_to: crate::forms::ticked_codes(&self.rest, "role_"),
            summary: self.summary.clone(),
            body: self.body.clone(),
        }
    }
}

async fn policy_create(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<PolicyForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match policies(&state.steward)
        .create(&si.caller, &org, &f.input())
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/policies/{}", p.id)).into_response()),
        Err(e) => render_policies(&state, &si, shown_again(&f, errors_of(e, "title")?)).await,
    }
}

#[derive(Template)]
#[template(path = "policy.html")]
pub struct PolicyPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub p: Policy,
    pub versions: Vec<PolicyVersion>,
    pub acks: Vec<AckRow>,
    pub outstanding: i64,
    pub can_change: bool,
    /// Whether the caller owes an acknowledgement of the current version.
    pub owes: bool,
    pub acknowledged: bool,
    pub files: Files,
}

impl PolicyPage {
    pub fn origin(&self) -> &'static str {
        origin_label(&self.p.origin)
    }
    pub fn status(&self) -> &'static str {
        status_label(&self.p.status)
    }
}

async fn render_policy(state: &AppState, si: &SignedIn, id: &str, form: FormView) -> PageResult {
    let s = &state.steward;
    let perm = s.permit::<ops::Read>(&si.caller, Kind::Policy, id).await?;
    let pol = policies(s);
    let p = pol.policy(&perm).await?;
    let versions = pol.versions(&perm).await?;
    let acks = pol.acknowledgements(&perm).await?;
    let mine = acks.iter().find(|a| a.person.id == si.caller.user_id);
    let acknowledged = mine.is_some_and(|a| a.acknowledged_at.is_some());
    let owes = p.status == "in_force" && mine.is_some() && !acknowledged;
    let can_change = Kind::Policy.allows(si.caller.role, Op::Change);
    let page = PolicyPage {
        ctx: ctx(si, &p.title, &form),
        outstanding: acks.iter().filter(|a| a.acknowledged_at.is_none()).count() as i64,
        acks: if can_change { acks } else { vec![] },
        versions,
        can_change,
        owes,
        acknowledged,
        files: files(state, si, &perm, "Documents").await?,
        p,
        form,
    };
    Ok(respond(&page.form, &page))
}

async fn policy_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_policy(&state, &si, &id, FormView::new()).await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct VersionForm {
    summary: String,
    body: String,
}

async fn policy_version(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::Policy, &id)
        .await?;
    let input = VersionInput {
        summary: f.summary.clone(),
        body: f.body.clone(),
    };
    match policies(&state.steward)
        .publish_version(&si.caller, &p, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/policies/{id}")).into_response()),
        Err(e) => render_policy(&state, &si, &id, shown_again(&f, errors_of(e, "summary")?)).await,
    }
}

async fn policy_adopt(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::Policy, &id)
        .await?;
    match policies(&state.steward).adopt(&si.caller, &p).await {
        Ok(_) => Ok(Redirect::to(&format!("/policies/{id}")).into_response()),
        Err(e) => {
            let form = FormView {
                errors: errors_of(e, "adopt")?,
                ..FormView::new()
            };
            render_policy(&state, &si, &id, form).await
        }
    }
}

async fn policy_acknowledge(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::PolicyAcknowledgement, &id)
        .await?;
    match policies(&state.steward).acknowledge(&si.caller, &p).await {
        Ok(_) => Ok(Redirect::to(&format!("/policies/{id}")).into_response()),
        Err(e) => {
            let form = FormView {
                errors: errors_of(e, "acknowledge")?,
                ..FormView::new()
            };
            render_policy(&state, &si, &id, form).await
        }
    }
}

// ---- toolkit ----

#[derive(Template)]
#[template(path = "toolkit.html")]
pub struct ToolkitPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub r: Readiness,
    pub assertions: Vec<Option_>,
    pub can_change: bool,
    pub source: String,
}

async fn render_toolkit(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let tk = toolkit(&state.steward);
    let r = tk.readiness(&si.caller, &org, today()).await?;
    let page = ToolkitPage {
        ctx: ctx(si, "Toolkit evidence", &form),
        assertions: r
            .items
            .iter()
            .map(|i| Option_ {
                value: i.code.clone(),
                label: format!("{} {}", i.code, i.text),
            })
            .collect(),
        can_change: Kind::ToolkitEvidence.allows(si.caller.role, Op::Change),
        source: tk.rules.assertions.source.clone(),
        r,
        form,
    };
    Ok(respond(&page.form, &page))
}

async fn toolkit_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    render_toolkit(&state, &si, FormView::new()).await
}

/// Evidence for an assertion (from the toolkit page, or the evidence page with the
/// assertion hidden).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct EvidenceForm {
    assertion: String,
    note: String,
    /// "yes" or "no", as the service takes it.
    confirmed: String,
}

async fn toolkit_save(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<EvidenceForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let input = EvidenceInput {
        assertion: f.assertion.clone(),
        note: f.note.clone(),
        confirmed: f.confirmed.clone(),
    };
    match toolkit(&state.steward).save(&si.caller, &org, &input).await {
        Ok(e) => Ok(Redirect::to(&format!("/toolkit/evidence/{}", e.id)).into_response()),
        Err(e) => render_toolkit(&state, &si, shown_again(&f, errors_of(e, "assertion")?)).await,
    }
}

async fn toolkit_export(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let csv = toolkit(&state.steward)
        .export_csv(&si.caller, &org, today())
        .await?;
    Ok(crate::views::download(
        csv,
        "text/csv; charset=utf-8",
        "toolkit-evidence-pack.csv",
    ))
}

#[derive(Template)]
#[template(path = "toolkit_cluster.html")]
pub struct ToolkitClusterPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub c: ClusterReadiness,
}

async fn toolkit_cluster(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let c = toolkit(&state.steward).cluster(&si.caller, today()).await?;
    let form = FormView::new();
    Ok(render(&ToolkitClusterPage {
        ctx: ctx(&si, "Toolkit readiness across the cluster", &form),
        form,
        c,
    }))
}

#[derive(Template)]
#[template(path = "toolkit_evidence.html")]
pub struct EvidencePage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub e: EvidenceRecord,
    pub text: String,
    pub files: Files,
    pub can_change: bool,
}

async fn evidence_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::ToolkitEvidence, &id)
        .await?;
    let tk = toolkit(&state.steward);
    let e = tk.evidence(&p).await?;
    let text = tk
        .rules
        .assertions
        .get(&e.assertion)
        .map(|a| a.text.clone())
        .unwrap_or_default();
    let form = FormView::new()
        .with("note", e.note.clone())
        .with("confirmed", if e.confirmed { "yes" } else { "no" });
    Ok(render(&EvidencePage {
        ctx: ctx(&si, &format!("Toolkit evidence {}", e.assertion), &form),
        files: files(&state, &si, &p, "Evidence documents").await?,
        can_change: Kind::ToolkitEvidence.allows(si.caller.role, Op::Change),
        text,
        e,
        form,
    }))
}

// ---- business continuity ----

#[derive(Template)]
#[template(path = "continuity.html")]
pub struct ContinuityPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub plans: Vec<Plan>,
    pub people: Vec<Option_>,
    pub can_create: bool,
}

async fn render_continuity(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let plans = continuity(&state.steward).list(&si.caller, &org).await?;
    let page = ContinuityPage {
        ctx: ctx(si, "Business continuity", &form),
        plans,
        people: people(state, si, &org).await?,
        can_create: Kind::ContinuityPlan.allows(si.caller.role, Op::Create),
        form,
    };
    Ok(respond(&page.form, &page))
}

async fn continuity_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    render_continuity(&state, &si, FormView::new()).await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct PlanForm {
    title: String,
    scope: String,
    owner_id: String,
    review_on_day: String,
    review_on_month: String,
    review_on_year: String,
}

impl PlanForm {
    fn input(&self) -> PlanInput {
        PlanInput {
            title: self.title.clone(),
            scope: self.scope.clone(),
            owner_id: self.owner_id.clone(),
            review_on: date_input(
                &self.review_on_day,
                &self.review_on_month,
                &self.review_on_year,
            ),
        }
    }
}

async fn continuity_create(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<PlanForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match continuity(&state.steward)
        .create(&si.caller, &org, &f.input())
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/continuity/{}", p.id)).into_response()),
        Err(e) => render_continuity(&state, &si, shown_again(&f, errors_of(e, "title")?)).await,
    }
}

#[derive(Template)]
#[template(path = "continuity_plan.html")]
pub struct PlanPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub v: PlanView,
    pub outcomes: Vec<Option_>,
    pub can_change: bool,
    pub files: Files,
}

async fn render_plan(state: &AppState, si: &SignedIn, id: &str, form: FormView) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::ContinuityPlan, id)
        .await?;
    let v = continuity(&state.steward).plan(&p, today()).await?;
    let page = PlanPage {
        ctx: ctx(si, &v.plan.title, &form),
        outcomes: options(OUTCOMES.iter().copied()),
        can_change: Kind::ContinuityPlan.allows(si.caller.role, Op::Change),
        files: files(state, si, &p, "Documents").await?,
        v,
        form,
    };
    Ok(respond(&page.form, &page))
}

async fn plan_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_plan(&state, &si, &id, FormView::new()).await
}

async fn plan_change<T>(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    f: &impl Serialize,
    result: Result<T, CoreError>,
    section: &str,
) -> PageResult {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/continuity/{id}#{section}")).into_response()),
        Err(e) => render_plan(state, si, id, shown_again(f, errors_of(e, section)?)).await,
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct SystemForm {
    name: String,
    supplier: String,
    tolerable_outage: String,
    workaround: String,
}

async fn plan_system(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<SystemForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ContinuityPlan, &id)
        .await?;
    let input = SystemInput {
        name: f.name.clone(),
        supplier: f.supplier.clone(),
        tolerable_outage: f.tolerable_outage.clone(),
        workaround: f.workaround.clone(),
    };
    let r = continuity(&state.steward)
        .add_system(&si.caller, &p, &input, today())
        .await;
    plan_change(&state, &si, &id, &f, r, "systems").await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct PlanTestForm {
    tested_on_day: String,
    tested_on_month: String,
    tested_on_year: String,
    scenario: String,
    outcome: String,
    lessons: String,
}

impl PlanTestForm {
    fn input(&self) -> TestInput {
        TestInput {
            tested_on: date_input(
                &self.tested_on_day,
                &self.tested_on_month,
                &self.tested_on_year,
            ),
            scenario: self.scenario.clone(),
            outcome: self.outcome.clone(),
            lessons: self.lessons.clone(),
        }
    }
}

async fn plan_test(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<PlanTestForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ContinuityPlan, &id)
        .await?;
    let r = continuity(&state.steward)
        .add_test(&si.caller, &p, &f.input(), today())
        .await;
    plan_change(&state, &si, &id, &f, r, "tests").await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct AssuranceForm {
    supplier: String,
    evidence: String,
    received_on_day: String,
    received_on_month: String,
    received_on_year: String,
    valid_until_day: String,
    valid_until_month: String,
    valid_until_year: String,
}

impl AssuranceForm {
    fn input(&self) -> AssuranceInput {
        AssuranceInput {
            supplier: self.supplier.clone(),
            evidence: self.evidence.clone(),
            received_on: date_input(
                &self.received_on_day,
                &self.received_on_month,
                &self.received_on_year,
            ),
            valid_until: date_input(
                &self.valid_until_day,
                &self.valid_until_month,
                &self.valid_until_year,
            ),
        }
    }
}

async fn plan_assurance(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<AssuranceForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ContinuityPlan, &id)
        .await?;
    let r = continuity(&state.steward)
        .add_assurance(&si.caller, &p, &f.input(), today())
        .await;
    plan_change(&state, &si, &id, &f, r, "assurances").await
}

/// A checkbox `{prefix}{code}` was ticked.
pub fn ticked(form: &FormView, prefix: &str, code: &str) -> bool {
    form.value(&format!("{prefix}{code}")) == "yes"
}

pub fn yes_no() -> Vec<Option_> {
    options([("no", "Not yet"), ("yes", "Yes")])
}

// ---- national data opt-out register ----

#[derive(Template)]
#[template(path = "optout.html")]
pub struct OptOutPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub items: Vec<steward_compliance::optout::Processing>,
    pub bases: Vec<steward_compliance::optout::Basis>,
    pub basis_options: Vec<Option_>,
    pub source: String,
    pub can_create: bool,
}

async fn render_optout(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let reg = steward_compliance::optout::register(&state.steward);
    let items = reg.list(&si.caller, &org).await?;
    let page = OptOutPage {
        ctx: ctx(si, "National data opt-out", &form),
        items,
        basis_options: reg
            .bases
            .basis
            .iter()
            .map(|b| Option_ {
                value: b.code.clone(),
                label: b.label.clone(),
            })
            .collect(),
        source: reg.bases.source.clone(),
        bases: reg.bases.basis.clone(),
        can_create: Kind::NonDirectCareProcessing.allows(si.caller.role, Op::Create),
        form,
    };
    Ok(respond(&page.form, &page))
}

async fn optout_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    render_optout(&state, &si, FormView::new()).await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ProcessingForm {
    purpose: String,
    recipient: String,
    basis: String,
    data: String,
}

async fn optout_create(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<ProcessingForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let input = steward_compliance::optout::ProcessingInput {
        purpose: f.purpose.clone(),
        recipient: f.recipient.clone(),
        basis: f.basis.clone(),
        data: f.data.clone(),
    };
    match steward_compliance::optout::register(&state.steward)
        .create(&si.caller, &org, &input)
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/opt-out/{}", p.id)).into_response()),
        Err(e) => render_optout(&state, &si, shown_again(&f, errors_of(e, "purpose")?)).await,
    }
}

#[derive(Template)]
#[template(path = "optout_processing.html")]
pub struct ProcessingPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub p: steward_compliance::optout::Processing,
    pub history: Vec<Version>,
}

async fn processing_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let perm = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::NonDirectCareProcessing, &id)
        .await?;
    let p = steward_compliance::optout::register(&state.steward)
        .processing(&perm)
        .await?;
    let form = FormView::new();
    Ok(render(&ProcessingPage {
        ctx: ctx(&si, &p.purpose, &form),
        history: state.steward.history(&perm).await?,
        p,
        form,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::forms::posted;

    #[test]
    fn the_calculator_asks_only_when_the_form_was_sent_and_names_a_date_typed_wrong() {
        let q: CalculatorQuery = posted("record_type=gp");
        assert!(q.calculate.is_none());
        let q: CalculatorQuery = posted(
            "calculate=yes&record_type=gp&start_day=5&start_month=2&start_year=2021\
             &date_of_birth_day=31&date_of_birth_month=2&date_of_birth_year=2000",
        );
        assert!(q.calculate.is_some());
        let [start, birth, death] = q.dates();
        assert_eq!(start, ("start", "the date", "2021-02-05".to_string()));
        assert_eq!(birth.0, "date_of_birth");
        assert!(!birth.2.is_empty() && opt_date(&birth.2).is_none());
        assert_eq!(death.2, "");
        // Shown again as typed (the hidden `calculate` too).
        let v = shown_again(&q, FieldErrors::default());
        assert_eq!(v.value("date_of_birth_day"), "31");
        assert_eq!(v.value("calculate"), "yes");
    }

    #[test]
    fn ticked_record_types_and_roles_are_read_from_their_named_boxes() {
        let f: ReviewForm = posted(
            "csrf=t&title=Annual&type_gp=yes&type_staff=yes&type_other=no&owner_id=u1\
             &due_on_day=31&due_on_month=3&due_on_year=2027",
        );
        let mut input = f.input();
        input.record_types.sort();
        assert_eq!(input.title, "Annual");
        assert_eq!(input.record_types, vec!["gp", "staff"]);
        assert_eq!(input.due_on, "2027-03-31");
        let v = shown_again(&f, FieldErrors::default());
        assert!(ticked(&v, "type_", "gp"));
        assert!(!ticked(&v, "type_", "other"));

        let f: PolicyForm = posted("title=P&document_type=policy&role_clinician=yes&summary=s");
        let input = f.input();
        assert_eq!(input.applies_to, vec!["clinician"]);
        assert_eq!((input.summary.as_str(), input.body.as_str()), ("s", ""));
    }

    #[test]
    fn dates_are_iso_empty_or_as_typed_never_a_sentinel() {
        let f: AssuranceForm = posted(
            "supplier=CSU&received_on_day=1&received_on_month=9&received_on_year=2026\
             &valid_until_day=31&valid_until_month=9&valid_until_year=2027",
        );
        let a = f.input();
        assert_eq!(a.received_on, "2026-09-01");
        assert_eq!(a.valid_until, "31/9/2027");
        let t: TrainingForm = posted("user_id=u&course=ig");
        assert_eq!(t.input().completed_on, "");
        let d: DestructionForm =
            posted("review_id=&destroyed_on_day=3&destroyed_on_month=12&destroyed_on_year=2026");
        let d = d.input();
        assert_eq!(d.destroyed_on, "2026-12-03");
        assert!(d.review_id.is_none());
        let p: PlanForm = posted("title=T&review_on_day=30&review_on_month=6&review_on_year=2027");
        assert_eq!(p.input().review_on, "2027-06-30");
        let c: ReviewCompleteForm = posted("findings=F");
        assert_eq!(c.input().completed_on, "");
        let t: PlanTestForm = posted("tested_on_day=14&tested_on_month=11&tested_on_year=2026");
        assert_eq!(t.input().tested_on, "2026-11-14");
    }
}
