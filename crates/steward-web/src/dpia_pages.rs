//! Pages of DPIAs (issue 11): screening a project (two questionnaires), starting a DPIA from
//! the screening, writing it section by section (data items, risks on the DPIA's matrix,
//! measures, lawful basis, sign-off), the DPO's advice, sign-off, frozen versions, exports and
//! import. Each handler calls one function of `steward_dpia::service`, which asks the gate
//! itself; on bad input the form comes back with the values kept and the messages beside the
//! fields.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use steward_core::{ops, CoreError, FieldErrors, Kind, Op, Permit};
use steward_dpia::model::{effect_label, Measure, Qa, Risk, EFFECTS, NO_RESIDUAL};
use steward_dpia::rules::{Law, Matrix, Rules};
use steward_dpia::screening::Answer;
use steward_dpia::service::{
    compare, dpias, AdviceInput, CommentInput, Dpia, DpiaSummary, Screening, ScreeningInput,
    StartInput, StepInput, VersionSummary,
};
use steward_dpia::{count_words, Content};

use crate::error::PageResult;
use crate::forms::{date_input, shown_again, ticked, with_date};
use crate::routes::{Access, Routes};
use crate::session::SignedIn;
use crate::views::{render, FormView, Option_, PageCtx};
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let dpia = |op| Record(Kind::Dpia, op);
    Routes::new()
        .get("/dpias", Organisation(Kind::Dpia, Op::List), list)
        .get(
            "/dpias/screen",
            Organisation(Kind::DpiaScreening, Op::Create),
            screen_page,
        )
        .post(
            "/dpias/screen",
            Organisation(Kind::DpiaScreening, Op::Create),
            screen_submit,
        )
        .get(
            "/dpia-screenings/{id}",
            Record(Kind::DpiaScreening, Op::Read),
            screening_page,
        )
        .get("/dpias/new", Organisation(Kind::Dpia, Op::Create), new_page)
        .post(
            "/dpias/new",
            Organisation(Kind::Dpia, Op::Create),
            new_submit,
        )
        .get(
            "/dpias/import",
            Organisation(Kind::Dpia, Op::Create),
            import_page,
        )
        .upload(
            "/dpias/import",
            Organisation(Kind::Dpia, Op::Create),
            import_submit,
        )
        .get("/dpias/{id}", dpia(Op::Read), dpia_page)
        .get(
            "/dpias/{id}/sections/{section}",
            dpia(Op::Change),
            section_page,
        )
        .post(
            "/dpias/{id}/sections/{section}",
            dpia(Op::Change),
            section_submit,
        )
        .get("/dpias/{id}/risks/new", dpia(Op::Change), risk_page)
        .post("/dpias/{id}/risks/new", dpia(Op::Change), risk_submit)
        .get("/dpias/{id}/risks/{risk}", dpia(Op::Change), risk_edit_page)
        .post(
            "/dpias/{id}/risks/{risk}",
            dpia(Op::Change),
            risk_edit_submit,
        )
        .get(
            "/dpias/{id}/risks/{risk}/delete",
            dpia(Op::Change),
            risk_delete_page,
        )
        .post(
            "/dpias/{id}/risks/{risk}/delete",
            dpia(Op::Change),
            risk_delete,
        )
        .get("/dpias/{id}/measures/new", dpia(Op::Change), measure_page)
        .post("/dpias/{id}/measures/new", dpia(Op::Change), measure_submit)
        .get(
            "/dpias/{id}/measures/{measure}",
            dpia(Op::Change),
            measure_edit_page,
        )
        .post(
            "/dpias/{id}/measures/{measure}",
            dpia(Op::Change),
            measure_edit_submit,
        )
        .get(
            "/dpias/{id}/measures/{measure}/delete",
            dpia(Op::Change),
            measure_delete_page,
        )
        .post(
            "/dpias/{id}/measures/{measure}/delete",
            dpia(Op::Change),
            measure_delete,
        )
        .get("/dpias/{id}/data-items", dpia(Op::Change), items_page)
        .post("/dpias/{id}/data-items", dpia(Op::Change), items_submit)
        .get("/dpias/{id}/data-flows/new", dpia(Op::Change), flow_page)
        .post("/dpias/{id}/data-flows/new", dpia(Op::Change), flow_submit)
        .get(
            "/dpias/{id}/access-controls/new",
            dpia(Op::Change),
            access_page,
        )
        .post(
            "/dpias/{id}/access-controls/new",
            dpia(Op::Change),
            access_submit,
        )
        .get("/dpias/{id}/lawful-basis", dpia(Op::Change), law_page)
        .post("/dpias/{id}/lawful-basis", dpia(Op::Change), law_submit)
        .get("/dpias/{id}/sign-off-record", dpia(Op::Change), record_page)
        .post(
            "/dpias/{id}/sign-off-record",
            dpia(Op::Change),
            record_submit,
        )
        .post("/dpias/{id}/submit", dpia(Op::Change), submit)
        .post("/dpias/{id}/new-version", dpia(Op::Change), new_version)
        .post("/dpias/{id}/advice", dpia(Op::Advise), advise)
        .post(
            "/dpias/{id}/decision",
            Record(Kind::DpiaSignOff, Op::Change),
            decide,
        )
        .post("/dpias/{id}/comments", dpia(Op::Comment), comment)
        .get("/dpias/{id}/export/{format}", dpia(Op::Read), export)
        .get("/dpias/{id}/compare", dpia(Op::Read), compare_page)
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn ctx(si: &SignedIn, title: &str, form: &FormView) -> PageCtx {
    let mut c = crate::pages::ctx(si, title, "dpias");
    c.has_errors = form.has_errors();
    c
}

/// A value of a form's data-named fields (`rest`), empty when not sent.
fn value(rest: &HashMap<String, String>, k: &str) -> String {
    rest.get(k).cloned().unwrap_or_default()
}

fn opts<'a>(list: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Option_> {
    list.into_iter()
        .map(|(v, l)| Option_ {
            value: v.into(),
            label: l.into(),
        })
        .collect()
}

// ---- template helpers ----

pub fn long_date(s: &str) -> String {
    crate::words::date(s)
}

/// "1 risk", "3 risks" (a count given by value or by reference).
pub fn words<N: std::borrow::Borrow<usize>>(n: N, one: &str, many: &str) -> String {
    count_words(*n.borrow(), one, many)
}

pub fn effect(code: &str) -> &'static str {
    effect_label(code)
}

/// One field of the generic DPIA form.
pub struct Field {
    /// input, area, select, yesno, check, heading, para
    pub kind: &'static str,
    pub name: String,
    pub label: String,
    pub hint: String,
    pub options: Vec<Option_>,
}

impl Field {
    fn new(kind: &'static str, name: &str, label: &str) -> Field {
        Field {
            kind,
            name: name.into(),
            label: label.into(),
            hint: String::new(),
            options: vec![],
        }
    }
    fn hint(mut self, h: &str) -> Field {
        self.hint = h.into();
        self
    }
    fn options(mut self, o: Vec<Option_>) -> Field {
        self.options = o;
        self
    }
}

#[derive(Template)]
#[template(path = "dpia_form.html")]
pub struct FormPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub caption: String,
    pub action: String,
    pub back: String,
    pub submit: String,
    pub fields: Vec<Field>,
    pub upload: bool,
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    si: &SignedIn,
    title: &str,
    caption: &str,
    action: String,
    back: String,
    submit: &str,
    fields: Vec<Field>,
    form: FormView,
) -> Response {
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        render(&FormPage {
            ctx: ctx(si, title, &form),
            caption: caption.into(),
            action,
            back,
            submit: submit.into(),
            fields,
            form,
            upload: false,
        }),
    )
        .into_response()
}

// ---- list ----

#[derive(Template)]
#[template(path = "dpias_list.html")]
pub struct ListPage {
    pub ctx: PageCtx,
    pub items: Vec<DpiaSummary>,
    pub screenings: Vec<Screening>,
    /// Cluster DPIAs offered to this organisation.
    pub adoptions: Vec<steward_dpia::adoption::Adoption>,
    pub can_create: bool,
}

async fn list(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let d = dpias(&state.steward);
    let items = d.list(&si.caller, &org).await?;
    let screenings = d.screenings(&si.caller, &org).await.unwrap_or_default();
    let adoptions = d.adoptions(&si.caller, &org).await.unwrap_or_default();
    Ok(render(&ListPage {
        ctx: ctx(&si, "Data protection impact assessments", &FormView::new()),
        items,
        screenings,
        adoptions,
        can_create: Kind::Dpia.allows(si.caller.role, Op::Create),
    }))
}

// ---- screening ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScreenQuery {
    questionnaire: String,
}

fn screen_fields(rules: &Rules, code: &str) -> Vec<Field> {
    let Some(q) = rules.questionnaire(code) else {
        return vec![];
    };
    let mut out = vec![
        Field::new("hidden", "questionnaire", code),
        Field::new("para", "", &q.source),
        Field::new("input", "title", "Name of the project, system or process"),
    ];
    let mut group = String::new();
    for x in &q.question {
        if x.group != group {
            group = x.group.clone();
            out.push(Field::new(
                "heading",
                "",
                match group.as_str() {
                    "ico" => "The ICO's list of processing likely to result in high risk",
                    "edpb" => "The EDPB criteria (two or more: a DPIA is expected)",
                    _ => "",
                },
            ));
        }
        out.push(
            Field::new("yesno", &format!("answer_{}", x.code), &x.text).hint(&if x
                .example
                .is_empty()
            {
                String::new()
            } else {
                format!("Example: {}", x.example)
            }),
        );
        out.push(Field::new(
            "area",
            &format!("comment_{}", x.code),
            "Comments (please detail your response if Yes)",
        ));
    }
    out
}

async fn screen_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<ScreenQuery>,
) -> PageResult {
    let rules = dpias(&state.steward).rules;
    if q.questionnaire.is_empty() || rules.questionnaire(&q.questionnaire).is_none() {
        let fields = vec![
            Field::new("radios", "questionnaire", "Which screening questions?").options(
                rules
                    .questionnaires
                    .iter()
                    .map(|q| Option_ {
                        value: q.code.clone(),
                        label: q.title.clone(),
                    })
                    .collect(),
            ),
        ];
        let mut page = FormPage {
            ctx: ctx(&si, "Screen a project for a DPIA", &FormView::new()),
            caption: String::new(),
            action: "/dpias/screen".into(),
            back: "/dpias".into(),
            submit: "Continue".into(),
            fields,
            form: FormView::new().with("questionnaire", "trust"),
            upload: false,
        };
        page.ctx.title = "Screen a project for a DPIA".into();
        return Ok(render(&page));
    }
    let title = rules
        .questionnaire(&q.questionnaire)
        .map(|x| x.title.clone())
        .unwrap_or_default();
    Ok(form_page(
        &si,
        &title,
        "Screen a project for a DPIA",
        "/dpias/screen".into(),
        "/dpias".into(),
        "Record the screening",
        screen_fields(rules, &q.questionnaire),
        FormView::new().with("questionnaire", &q.questionnaire),
    ))
}

/// The screening form. The first step posts only `questionnaire`; the questionnaire posts
/// `title` and, for each question, `answer_<code>` ("yes"/"no") and `comment_<code>`, which
/// are named by the questionnaire's data and kept in `rest`.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ScreenForm {
    questionnaire: String,
    /// Absent on the first step (which questionnaire).
    title: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

async fn screen_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<ScreenForm>,
) -> PageResult {
    let d = dpias(&state.steward);
    let code = f.questionnaire.clone();
    let Some(title) = f.title.clone() else {
        // The first step (which questionnaire) posts here too.
        return Ok(Redirect::to(&format!(
            "/dpias/screen?questionnaire={}",
            if d.rules.questionnaire(&code).is_some() {
                code.as_str()
            } else {
                ""
            }
        ))
        .into_response());
    };
    let answers: Vec<Answer> = d
        .rules
        .questionnaire(&code)
        .map(|q| {
            q.question
                .iter()
                .filter(|x| f.rest.contains_key(&format!("answer_{}", x.code)))
                .map(|x| Answer {
                    question: x.code.clone(),
                    yes: value(&f.rest, &format!("answer_{}", x.code)) == "yes",
                    comment: value(&f.rest, &format!("comment_{}", x.code))
                        .trim()
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let input = ScreeningInput {
        title,
        questionnaire: code.clone(),
        answers,
    };
    match d
        .screen(&si.caller, &si.caller.current_organisation_id, &input)
        .await
    {
        Ok(s) => Ok(Redirect::to(&format!("/dpia-screenings/{}", s.id)).into_response()),
        Err(CoreError::Invalid(e)) => {
            let title = d
                .rules
                .questionnaire(&code)
                .map(|x| x.title.clone())
                .unwrap_or_else(|| "Screen a project for a DPIA".into());
            Ok(form_page(
                &si,
                &title,
                "Screen a project for a DPIA",
                "/dpias/screen".into(),
                "/dpias".into(),
                "Record the screening",
                screen_fields(d.rules, &code),
                shown_again(&f, e),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "dpia_screening.html")]
pub struct ScreeningView {
    pub ctx: PageCtx,
    pub s: Screening,
    pub questions: Vec<(String, String, String)>,
    pub can_start: bool,
}

async fn screening_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::DpiaScreening, &id)
        .await?;
    let d = dpias(&state.steward);
    let s = d.screening(&p).await?;
    let q = d.rules.questionnaire(&s.questionnaire);
    let questions = s
        .answers
        .iter()
        .map(|a| {
            (
                q.and_then(|q| q.question.iter().find(|x| x.code == a.question))
                    .map(|x| x.text.clone())
                    .unwrap_or_default(),
                if a.yes { "Yes" } else { "No" }.to_string(),
                a.comment.clone(),
            )
        })
        .collect();
    Ok(render(&ScreeningView {
        ctx: ctx(&si, &format!("Screening: {}", s.title), &FormView::new()),
        can_start: s.dpia_id.is_none() && Kind::Dpia.allows(si.caller.role, Op::Create),
        questions,
        s,
    }))
}

// ---- new DPIA, import ----

fn matrix_options(rules: &Rules) -> Vec<Option_> {
    rules
        .matrices
        .iter()
        .map(|m| Option_ {
            value: m.code.clone(),
            label: m.title.clone(),
        })
        .collect()
}

fn new_fields(rules: &Rules) -> Vec<Field> {
    vec![
        Field::new("hidden", "screening_id", ""),
        Field::new("input", "title", "Name of the project, system or process"),
        Field::new("radios", "matrix", "Risk matrix").options(matrix_options(rules)),
    ]
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    screening: String,
}

async fn new_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<NewQuery>,
) -> PageResult {
    let d = dpias(&state.steward);
    let mut form = FormView::new().with("matrix", "ico");
    if !q.screening.is_empty() {
        let p = state
            .steward
            .permit::<ops::Read>(&si.caller, Kind::DpiaScreening, &q.screening)
            .await?;
        let s = d.screening(&p).await?;
        form = form
            .with("screening_id", s.id.clone())
            .with("title", s.title.clone())
            .with(
                "matrix",
                if s.questionnaire == "trust" {
                    "5x5"
                } else {
                    "ico"
                },
            );
    }
    Ok(form_page(
        &si,
        "Start a DPIA",
        "",
        "/dpias/new".into(),
        "/dpias".into(),
        "Start the DPIA",
        new_fields(d.rules),
        form,
    ))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct NewForm {
    screening_id: String,
    title: String,
    matrix: String,
}

impl NewForm {
    fn input(&self) -> StartInput {
        StartInput {
            title: self.title.clone(),
            matrix: self.matrix.clone(),
            screening_id: Some(self.screening_id.clone()).filter(|s| !s.is_empty()),
        }
    }
}

async fn new_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<NewForm>,
) -> PageResult {
    let d = dpias(&state.steward);
    let input = f.input();
    match d
        .start(&si.caller, &si.caller.current_organisation_id, &input)
        .await
    {
        Ok(x) => Ok(Redirect::to(&format!("/dpias/{}", x.id)).into_response()),
        Err(CoreError::Invalid(e)) => Ok(form_page(
            &si,
            "Start a DPIA",
            "",
            "/dpias/new".into(),
            "/dpias".into(),
            "Start the DPIA",
            new_fields(d.rules),
            shown_again(&f, e),
        )),
        Err(e) => Err(e.into()),
    }
}

fn import_view(si: &SignedIn, form: FormView) -> Response {
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        render(&FormPage {
            ctx: ctx(si, "Import a DPIA", &form),
            caption: String::new(),
            action: "/dpias/import".into(),
            back: "/dpias".into(),
            submit: "Import".into(),
            fields: vec![Field::new(
                "file",
                "file",
                "A CNIL PIA file or a DPIA exported from Steward (JSON)",
            )],
            form,
            upload: true,
        }),
    )
        .into_response()
}

async fn import_page(si: SignedIn) -> PageResult {
    Ok(import_view(&si, FormView::new()))
}

async fn import_submit(
    State(state): State<AppState>,
    si: SignedIn,
    mut mp: Multipart,
) -> PageResult {
    // The gate first: nothing of the body is read for a caller who may not create.
    state.steward.permit_in(
        &si.caller,
        Kind::Dpia,
        Op::Create,
        &si.caller.current_organisation_id,
    )?;
    let mut bytes = None;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            let named = field.file_name().is_some_and(|n| !n.is_empty());
            if let Ok(b) = field.bytes().await {
                if named {
                    bytes = Some(b.to_vec());
                }
            }
        }
    }
    let Some(bytes) = bytes else {
        let mut form = FormView::new();
        form.errors.add("file", "Select a file");
        return Ok(import_view(&si, form));
    };
    match dpias(&state.steward)
        .import(&si.caller, &si.caller.current_organisation_id, &bytes)
        .await
    {
        Ok(x) => Ok(Redirect::to(&format!("/dpias/{}", x.id)).into_response()),
        Err(CoreError::Invalid(e)) => {
            // Errors of the content (a rating outside the matrix ...) are shown against the file.
            let mut form = FormView::new();
            for x in e.0 {
                form.errors.add("file", x.message);
            }
            Ok(import_view(&si, form))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- one DPIA ----

pub struct SectionView {
    pub code: String,
    pub part: String,
    pub new_part: bool,
    pub title: String,
    pub prompt: String,
    pub text: String,
    pub answers: Vec<Qa>,
    pub not_applicable: bool,
    pub reason: String,
    pub comments: Vec<(String, String, String)>,
}

pub struct RiskRow {
    pub id: String,
    pub number: i64,
    pub description: String,
    pub source: String,
    pub likelihood: String,
    pub severity: String,
    pub overall: String,
    pub residual: String,
    pub residual_high: bool,
    pub override_reason: String,
}

pub struct MeasureRow {
    pub id: String,
    pub number: usize,
    pub risks: String,
    pub options: String,
    pub effect: String,
    pub residual: String,
    pub approved: bool,
    pub owner: String,
    pub due: String,
    pub action_id: String,
}

#[derive(Template)]
#[template(path = "dpia.html")]
pub struct DpiaView {
    pub ctx: PageCtx,
    /// Risks on the organisation's risk register raised from this DPIA's risks.
    pub register_risks: Vec<steward_assurance::risks::Risk>,
    pub can_raise_risk: bool,
    pub d: Dpia,
    pub form: FormView,
    pub notice: Option<String>,
    pub sections: Vec<SectionView>,
    pub risks: Vec<RiskRow>,
    pub measures: Vec<MeasureRow>,
    pub items_used: Vec<(String, String)>,
    pub items_unused: usize,
    pub lawful: Vec<(String, String)>,
    pub rights: Vec<(String, bool, String)>,
    pub matrix_title: String,
    pub risk_map: String,
    pub versions: Vec<VersionSummary>,
    pub general_comments: Vec<(String, String, String)>,
    pub screening_reasons: Vec<String>,
    pub screening_summary: String,
    pub section_options: Vec<Option_>,
    pub can_edit: bool,
    pub can_submit: bool,
    pub can_new_version: bool,
    pub can_advise: bool,
    pub can_decide: bool,
    pub can_comment: bool,
    /// A cluster DPIA: who it was offered to, and (for the DPO, once approved) the
    /// practices it can still be offered to.
    pub cluster_dpia: bool,
    pub offers: Vec<steward_dpia::adoption::Adoption>,
    pub offer_to: Vec<Option_>,
}

pub(crate) fn measure_rows(c: &Content, m: &Matrix) -> Vec<MeasureRow> {
    c.measures
        .iter()
        .enumerate()
        .map(|(i, x)| MeasureRow {
            id: x.id.clone(),
            number: i + 1,
            risks: x
                .risks
                .iter()
                .filter_map(|id| c.risk(id))
                .map(|r| r.number.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            options: x.options.clone(),
            effect: effect_label(&x.effect).into(),
            residual: m.band_label(&x.residual).into(),
            approved: x.approved,
            owner: x.owner.clone(),
            due: x.due_date.clone(),
            action_id: x.action_id.clone(),
        })
        .collect()
}

pub(crate) fn risk_rows(c: &Content, m: &Matrix) -> Vec<RiskRow> {
    c.risks
        .iter()
        .map(|r| {
            let overall = c.overall(m, r);
            let residual = c.residual(m, r);
            RiskRow {
                id: r.id.clone(),
                number: r.number,
                description: r.description.clone(),
                source: r.source.clone(),
                likelihood: format!(
                    "{} ({})",
                    m.likelihood_label(r.likelihood as u8),
                    r.likelihood
                ),
                severity: format!("{} ({})", m.severity_label(r.severity as u8), r.severity),
                overall: if m.numeric {
                    format!("{} ({})", m.band_label(&overall), r.likelihood * r.severity)
                } else {
                    m.band_label(&overall).to_string()
                },
                residual_high: m.needs_art36(&residual),
                residual: m.band_label(&residual).to_string(),
                override_reason: r.override_reason.clone(),
            }
        })
        .collect()
}

pub(crate) async fn dpia_view(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    form: FormView,
    notice: Option<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::Dpia, id)
        .await?;
    let dd = dpias(&state.steward);
    let d = dd.get(&p).await?;
    let rules = dd.rules;
    let c = &d.content;
    let m = rules.matrix(&c.matrix).unwrap_or(&rules.matrices[0]);
    let mut part = String::new();
    let sections = rules
        .sections
        .iter()
        .map(|def| {
            let s = c.section(&def.code).cloned().unwrap_or_default();
            let new_part = def.part != part;
            part = def.part.clone();
            SectionView {
                code: def.code.clone(),
                part: def.part.clone(),
                new_part,
                title: def.title.clone(),
                prompt: def.prompt.clone(),
                text: s.text,
                answers: s.answers,
                not_applicable: s.not_applicable,
                reason: s.reason,
                comments: c
                    .comments
                    .iter()
                    .filter(|x| x.section == def.code)
                    .map(|x| (x.by.clone(), x.at.clone(), x.text.clone()))
                    .collect(),
            }
        })
        .collect();
    let measures = measure_rows(c, m);
    let item_label = |code: &str, own: &str| {
        rules
            .data_item(code)
            .map(|x| x.label.clone())
            .unwrap_or_else(|| own.to_string())
    };
    let mut lawful = vec![];
    for (list, codes) in [
        (&rules.law.article6, &c.article6),
        (&rules.law.article9, &c.article9),
        (&rules.law.confidentiality, &c.confidentiality),
    ] {
        for code in codes {
            if let Some(i) = Law::find(list, code) {
                lawful.push((i.label.clone(), i.text.clone()));
            }
        }
    }
    let role = si.caller.role;
    let editable = d.editable();
    let cluster_dpia = d.cluster_dpia;
    let offers = if cluster_dpia {
        dd.offers(&p).await?
    } else {
        vec![]
    };
    let offer_to = if cluster_dpia
        && matches!(d.status.as_str(), "approved" | "under_review")
        && Kind::DpiaAdoption.allows(role, Op::Create)
    {
        state
            .steward
            .organisations(&si.caller)
            .await?
            .into_iter()
            .filter(|o| {
                o.id != d.organisation_id
                    && !offers
                        .iter()
                        .any(|a| a.organisation_id == o.id && a.dpia_version == d.version_number)
            })
            .map(|o| Option_ {
                value: o.id,
                label: o.name,
            })
            .collect()
    } else {
        vec![]
    };
    let (register_risks, can_raise_risk) =
        crate::risk_sources::raised_from(state, si, Kind::Dpia, &d.id, &d.organisation_id).await?;
    Ok(render(&DpiaView {
        register_risks,
        can_raise_risk,
        cluster_dpia,
        offers,
        offer_to,
        ctx: ctx(si, &d.title, &form),
        form,
        notice,
        sections,
        risks: risk_rows(c, m),
        measures,
        items_used: c
            .data_items
            .iter()
            .filter(|i| i.used)
            .map(|i| (item_label(&i.code, &i.label), i.purpose.clone()))
            .collect(),
        items_unused: c.data_items.iter().filter(|i| !i.used).count(),
        lawful,
        rights: c
            .rights
            .iter()
            .map(|r| {
                (
                    Law::find(&rules.law.right, &r.code)
                        .map(|x| x.label.clone())
                        .unwrap_or_default(),
                    r.applies,
                    r.how.clone(),
                )
            })
            .collect(),
        matrix_title: m.title.clone(),
        risk_map: steward_dpia::svg::risk_map(c, m),
        versions: dd.versions(&p).await?,
        general_comments: c
            .comments
            .iter()
            .filter(|x| x.section.is_empty())
            .map(|x| (x.by.clone(), x.at.clone(), x.text.clone()))
            .collect(),
        screening_reasons: c
            .screening
            .as_ref()
            .map(|s| s.reasons.clone())
            .unwrap_or_default(),
        screening_summary: c
            .screening
            .as_ref()
            .map(|s| s.summary.clone())
            .unwrap_or_default(),
        section_options: rules
            .sections
            .iter()
            .map(|s| Option_ {
                value: s.code.clone(),
                label: s.title.clone(),
            })
            .collect(),
        can_edit: editable && Kind::Dpia.allows(role, Op::Change),
        can_submit: editable && Kind::Dpia.allows(role, Op::Change),
        can_new_version: matches!(d.status.as_str(), "approved" | "under_review" | "rejected")
            && Kind::Dpia.allows(role, Op::Change),
        can_advise: !matches!(d.status.as_str(), "approved" | "rejected")
            && Kind::Dpia.allows(role, Op::Advise),
        can_decide: d.status == "submitted" && Kind::DpiaSignOff.allows(role, Op::Change),
        can_comment: d.status != "approved" && Kind::Dpia.allows(role, Op::Comment),
        d,
    }))
}

async fn dpia_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    dpia_view(&state, &si, &id, FormView::new(), None).await
}

/// What happened to a change: back to the DPIA, or the DPIA with the messages.
async fn after(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    f: &impl Serialize,
    res: Result<Dpia, CoreError>,
) -> PageResult {
    match res {
        Ok(_) => Ok(Redirect::to(&format!("/dpias/{id}")).into_response()),
        Err(CoreError::Invalid(e)) => {
            let r = dpia_view(state, si, id, shown_again(f, e), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, r).into_response())
        }
        Err(CoreError::Conflict(m)) => {
            let r = dpia_view(state, si, id, FormView::of(f), Some(m)).await?;
            Ok((StatusCode::CONFLICT, r).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn change_permit(
    state: &AppState,
    si: &SignedIn,
    id: &str,
) -> Result<(Permit<ops::Change>, Dpia), CoreError> {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::Dpia, id)
        .await?;
    let d = dpias(&state.steward).get(&p.as_read()).await?;
    Ok((p, d))
}

/// Field names of the service (`risk_3_likelihood`, `measure_2_effect`) as the form's.
fn strip(errors: FieldErrors, prefix: &str) -> FieldErrors {
    if prefix.is_empty() {
        return errors;
    }
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|mut e| {
                if let Some(rest) = e.field.strip_prefix(prefix) {
                    if let Some((_, f)) = rest.split_once('_') {
                        e.field = f.to_string();
                    }
                }
                e
            })
            .collect(),
    )
}

/// Saves a changed assessment from a form; on bad input the same form comes back.
#[allow(clippy::too_many_arguments)]
async fn save_form(
    state: &AppState,
    si: &SignedIn,
    p: &Permit<ops::Change>,
    content: Content,
    f: &impl Serialize,
    title: &str,
    action: String,
    fields: Vec<Field>,
    prefix: &str,
) -> PageResult {
    let id = p.id().to_string();
    match dpias(&state.steward).save(&si.caller, p, content).await {
        Ok(_) => Ok(Redirect::to(&format!("/dpias/{id}")).into_response()),
        Err(CoreError::Invalid(e)) => Ok(form_page(
            si,
            title,
            "",
            action,
            format!("/dpias/{id}"),
            "Save",
            fields,
            shown_again(f, strip(e, prefix)),
        )),
        Err(CoreError::Conflict(m)) => {
            let r = dpia_view(state, si, &id, FormView::new(), Some(m)).await?;
            Ok((StatusCode::CONFLICT, r).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn frozen(state: &AppState, si: &SignedIn, d: &Dpia) -> PageResult {
    let m = format!(
        "{} is {} and cannot be changed{}",
        d.version_label,
        d.status_label.to_lowercase(),
        if d.status == "submitted" {
            " while it is with the reviewers"
        } else {
            ": start a new version to change it"
        }
    );
    let r = dpia_view(state, si, &d.id, FormView::new(), Some(m)).await?;
    Ok((StatusCode::CONFLICT, r).into_response())
}

// ---- sections ----

fn section_fields(rules: &Rules, code: &str, answers: usize) -> Vec<Field> {
    let def = rules.section(code);
    let mut out = vec![
        Field::new("area", "text", def.map(|d| d.title.as_str()).unwrap_or(""))
            .hint(def.map(|d| d.prompt.as_str()).unwrap_or("")),
    ];
    for i in 0..=answers {
        out.push(Field::new(
            "input",
            &format!("question_{i}"),
            if i == answers {
                "Another question of your template (optional)"
            } else {
                "Question"
            },
        ));
        out.push(Field::new("area", &format!("answer_{i}"), "Answer"));
    }
    out.push(Field::new(
        "check",
        "not_applicable",
        "This section does not apply",
    ));
    out.push(
        Field::new("area", "reason", "Why it does not apply")
            .hint("Required when the section does not apply."),
    );
    out
}

async fn section_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, code)): Path<(String, String)>,
) -> PageResult {
    let (_, d) = change_permit(&state, &si, &id).await?;
    let rules = dpias(&state.steward).rules;
    let def = rules.section(&code).ok_or(CoreError::NotFound)?;
    if !d.editable() {
        return frozen(&state, &si, &d).await;
    }
    let s = d.content.section(&code).cloned().unwrap_or_default();
    let mut form = FormView::new()
        .with("text", s.text.clone())
        .with("reason", s.reason.clone())
        .with("not_applicable", if s.not_applicable { "yes" } else { "" });
    for (i, qa) in s.answers.iter().enumerate() {
        form = form
            .with(&format!("question_{i}"), qa.question.clone())
            .with(&format!("answer_{i}"), qa.answer.clone());
    }
    Ok(form_page(
        &si,
        &def.title,
        &d.title,
        format!("/dpias/{id}/sections/{code}"),
        format!("/dpias/{id}"),
        "Save",
        section_fields(rules, &code, s.answers.len()),
        form,
    ))
}

/// One section of a DPIA: its text, whether it applies, and the questions of the
/// organisation's own template, numbered from 0 (`question_<i>`, `answer_<i>`) and kept in
/// `rest`.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct SectionForm {
    text: String,
    not_applicable: String,
    reason: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl SectionForm {
    /// The questions and answers in order, up to the first number not sent; pairs left empty
    /// are dropped.
    fn answers(&self) -> Vec<Qa> {
        let mut answers = vec![];
        let mut i = 0;
        while self.rest.contains_key(&format!("question_{i}"))
            || self.rest.contains_key(&format!("answer_{i}"))
        {
            let q = value(&self.rest, &format!("question_{i}"))
                .trim()
                .to_string();
            let a = value(&self.rest, &format!("answer_{i}")).trim().to_string();
            if !q.is_empty() || !a.is_empty() {
                answers.push(Qa {
                    question: q,
                    answer: a,
                });
            }
            i += 1;
        }
        answers
    }
}

async fn section_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, code)): Path<(String, String)>,
    Form(f): Form<SectionForm>,
) -> PageResult {
    let (p, d) = change_permit(&state, &si, &id).await?;
    let rules = dpias(&state.steward).rules;
    let def = rules.section(&code).ok_or(CoreError::NotFound)?;
    let mut c = d.content;
    let answers = f.answers();
    let n = answers.len();
    let s = c.section_mut(&code);
    s.text = f.text.trim().replace("\r\n", "\n");
    s.answers = answers;
    s.not_applicable = ticked(&f.not_applicable);
    s.reason = f.reason.trim().to_string();
    let fields = section_fields(rules, &code, n.saturating_sub(1));
    let errors_field = format!("section_{code}");
    // The service names the section; the form names its reason.
    let res = dpias(&state.steward).save(&si.caller, &p, c).await;
    match res {
        Err(CoreError::Invalid(e)) => {
            let e = FieldErrors(
                e.0.into_iter()
                    .map(|mut x| {
                        if x.field == errors_field {
                            x.field = "reason".into();
                        }
                        x
                    })
                    .collect(),
            );
            Ok(form_page(
                &si,
                &def.title,
                &d.title,
                format!("/dpias/{id}/sections/{code}"),
                format!("/dpias/{id}"),
                "Save",
                fields,
                shown_again(&f, e),
            ))
        }
        other => after(&state, &si, &id, &f, other).await,
    }
}

// ---- risks ----

fn level_options(levels: &[steward_dpia::rules::Level]) -> Vec<Option_> {
    levels
        .iter()
        .map(|l| Option_ {
            value: l.level.to_string(),
            label: format!("{} ({})", l.label, l.level),
        })
        .collect()
}

fn band_options(m: &Matrix, none: bool) -> Vec<Option_> {
    let mut o: Vec<Option_> = m
        .band
        .iter()
        .map(|b| Option_ {
            value: b.code.clone(),
            label: b.label.clone(),
        })
        .collect();
    if none {
        o.insert(
            0,
            Option_ {
                value: NO_RESIDUAL.into(),
                label: "None".into(),
            },
        );
    }
    o
}

fn risk_fields(m: &Matrix) -> Vec<Field> {
    vec![
        Field::new(
            "area",
            "description",
            "Describe the source of risk and the nature of potential impact on individuals",
        ),
        Field::new("input", "source", "Source of the risk (optional)"),
        Field::new("select", "likelihood", "Likelihood of harm")
            .options(level_options(&m.likelihood)),
        Field::new("select", "severity", "Severity of harm").options(level_options(&m.severity)),
        Field::new(
            "select",
            "overall",
            "Overall risk, if your assessment differs from the matrix",
        )
        .hint("Leave blank to use the matrix.")
        .options(band_options(m, false)),
        Field::new(
            "area",
            "override_reason",
            "Why the overall risk differs from the matrix",
        ),
    ]
}

async fn risk_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    risk_form(&state, &si, &id, None).await
}

async fn risk_edit_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, risk)): Path<(String, String)>,
) -> PageResult {
    risk_form(&state, &si, &id, Some(&risk)).await
}

/// The risk form: empty to add a risk, filled with the risk's answers to change one.
async fn risk_form(state: &AppState, si: &SignedIn, id: &str, risk: Option<&str>) -> PageResult {
    let (_, d) = change_permit(state, si, id).await?;
    if !d.editable() {
        return frozen(state, si, &d).await;
    }
    let rules = dpias(&state.steward).rules;
    let m = rules
        .matrix(&d.content.matrix)
        .unwrap_or(&rules.matrices[0]);
    let (title, action, submit, form) = match risk {
        None => (
            "Add a risk".to_string(),
            format!("/dpias/{id}/risks/new"),
            "Add the risk",
            FormView::new(),
        ),
        Some(rid) => {
            let r = find_risk(&d.content, rid)?;
            (
                format!("Change risk {}", r.number),
                format!("/dpias/{id}/risks/{rid}"),
                "Save the risk",
                FormView::new()
                    .with("description", r.description.clone())
                    .with("source", r.source.clone())
                    .with("likelihood", r.likelihood.to_string())
                    .with("severity", r.severity.to_string())
                    .with("overall", r.overall_override.clone())
                    .with("override_reason", r.override_reason.clone()),
            )
        }
    };
    Ok(form_page(
        si,
        &title,
        &d.title,
        action,
        format!("/dpias/{id}"),
        submit,
        risk_fields(m),
        form,
    ))
}

fn find_risk<'c>(c: &'c Content, rid: &str) -> Result<&'c Risk, CoreError> {
    c.risks
        .iter()
        .find(|r| r.id == rid)
        .ok_or(CoreError::NotFound)
}

fn find_measure(c: &Content, mid: &str) -> Result<usize, CoreError> {
    c.measures
        .iter()
        .position(|x| x.id == mid)
        .ok_or(CoreError::NotFound)
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct RiskForm {
    description: String,
    source: String,
    likelihood: String,
    severity: String,
    overall: String,
    override_reason: String,
}

impl RiskForm {
    fn risk(&self, id: String, number: i64) -> Risk {
        Risk {
            id,
            number,
            description: self.description.trim().to_string(),
            source: self.source.trim().to_string(),
            // Not a number: 0, which the matrix refuses with its levels.
            likelihood: self.likelihood.trim().parse().unwrap_or(0),
            severity: self.severity.trim().parse().unwrap_or(0),
            overall_override: self.overall.clone(),
            override_reason: self.override_reason.trim().to_string(),
        }
    }
}

async fn risk_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<RiskForm>,
) -> PageResult {
    risk_save(&state, &si, &id, None, f).await
}

async fn risk_edit_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, risk)): Path<(String, String)>,
    Form(f): Form<RiskForm>,
) -> PageResult {
    risk_save(&state, &si, &id, Some(&risk), f).await
}

async fn risk_save(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    risk: Option<&str>,
    f: RiskForm,
) -> PageResult {
    let (p, d) = change_permit(state, si, id).await?;
    let rules = dpias(&state.steward).rules;
    let m = rules
        .matrix(&d.content.matrix)
        .unwrap_or(&rules.matrices[0]);
    let mut c = d.content.clone();
    let (title, action, number) = match risk {
        None => {
            // Risks are numbered 1, 2, 3 in order when saved (after a deletion too).
            let number = c.risks.len() as i64 + 1;
            c.risks.push(f.risk(String::new(), number));
            (
                "Add a risk".to_string(),
                format!("/dpias/{id}/risks/new"),
                number,
            )
        }
        Some(rid) => {
            let number = find_risk(&c, rid)?.number;
            for r in c.risks.iter_mut().filter(|r| r.id == rid) {
                *r = f.risk(rid.to_string(), number);
            }
            (
                format!("Change risk {number}"),
                format!("/dpias/{id}/risks/{rid}"),
                number,
            )
        }
    };
    save_form(
        state,
        si,
        &p,
        c,
        &f,
        &title,
        action,
        risk_fields(m),
        &format!("risk_{number}"),
    )
    .await
}

async fn risk_delete_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, risk)): Path<(String, String)>,
) -> PageResult {
    let (_, d) = change_permit(&state, &si, &id).await?;
    if !d.editable() {
        return frozen(&state, &si, &d).await;
    }
    let r = find_risk(&d.content, &risk)?;
    let only: Vec<String> = d
        .content
        .measures
        .iter()
        .enumerate()
        .filter(|(_, x)| x.risks.len() == 1 && x.risks[0] == risk)
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    let mut what = format!(
        "Risk {} “{}” will be deleted from this DPIA.",
        r.number, r.description
    );
    if !only.is_empty() {
        what.push_str(&format!(
            " {} against this risk alone will be deleted with it ({}); their actions stay on the actions list.",
            if only.len() == 1 { "The measure" } else { "The measures" },
            if only.len() == 1 {
                format!("measure {}", only[0])
            } else {
                format!("measures {}", only.join(", "))
            }
        ));
    }
    Ok(render(&crate::views::ConfirmPage {
        ctx: ctx(
            &si,
            &format!("Are you sure you want to delete risk {}?", r.number),
            &FormView::new(),
        ),
        what,
        action: format!("/dpias/{id}/risks/{risk}/delete"),
        button: format!("Delete risk {}", r.number),
        cancel: format!("/dpias/{id}"),
    }))
}

async fn risk_delete(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, risk)): Path<(String, String)>,
) -> PageResult {
    let (p, d) = change_permit(&state, &si, &id).await?;
    let mut c = d.content.clone();
    find_risk(&c, &risk)?;
    c.risks.retain(|r| r.id != risk);
    for x in &mut c.measures {
        x.risks.retain(|r| *r != risk);
    }
    c.measures.retain(|x| !x.risks.is_empty());
    save_or_conflict(&state, &si, &p, c).await
}

/// Saves a change made by a button (no form to re-render): back to the DPIA, or the DPIA
/// with the reason when it cannot change.
async fn save_or_conflict(
    state: &AppState,
    si: &SignedIn,
    p: &Permit<ops::Change>,
    content: Content,
) -> PageResult {
    let id = p.id().to_string();
    match dpias(&state.steward).save(&si.caller, p, content).await {
        Ok(_) => Ok(Redirect::to(&format!("/dpias/{id}")).into_response()),
        Err(CoreError::Conflict(m)) => {
            let r = dpia_view(state, si, &id, FormView::new(), Some(m)).await?;
            Ok((StatusCode::CONFLICT, r).into_response())
        }
        Err(CoreError::Invalid(e)) => {
            let m =
                e.0.iter()
                    .map(|x| x.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
            let r = dpia_view(state, si, &id, FormView::new(), Some(m)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, r).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- measures ----

fn measure_fields(c: &Content, m: &Matrix) -> Vec<Field> {
    let mut out = vec![Field::new("heading", "", "Which risks it addresses")];
    for r in &c.risks {
        out.push(Field::new(
            "check",
            &format!("risk_{}", r.id),
            &format!("Risk {}: {}", r.number, r.description),
        ));
    }
    out.extend([
        Field::new("area", "options", "Options to reduce or eliminate the risk"),
        Field::new("radios", "effect", "Effect on risk").options(opts(EFFECTS.iter().copied())),
        Field::new("select", "residual", "Residual risk").options(band_options(m, true)),
        Field::new("yesno", "approved", "Measure approved"),
        Field::new("input", "owner", "Who carries it out (optional)"),
        Field::new("date", "due_date", "Due date (optional)").hint("For example, 31 3 2027"),
    ]);
    out
}

async fn measure_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    measure_form(&state, &si, &id, None).await
}

async fn measure_edit_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, measure)): Path<(String, String)>,
) -> PageResult {
    measure_form(&state, &si, &id, Some(&measure)).await
}

/// The measure form: empty to add one, filled with the measure's answers to change it.
async fn measure_form(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    measure: Option<&str>,
) -> PageResult {
    let (_, d) = change_permit(state, si, id).await?;
    if !d.editable() {
        return frozen(state, si, &d).await;
    }
    let rules = dpias(&state.steward).rules;
    let m = rules
        .matrix(&d.content.matrix)
        .unwrap_or(&rules.matrices[0]);
    let (title, action, submit, form) = match measure {
        None => (
            "Add a measure".to_string(),
            format!("/dpias/{id}/measures/new"),
            "Add the measure",
            FormView::new().with("approved", "no"),
        ),
        Some(mid) => {
            let i = find_measure(&d.content, mid)?;
            let x = &d.content.measures[i];
            let mut form = FormView::new()
                .with("options", x.options.clone())
                .with("effect", x.effect.clone())
                .with("residual", x.residual.clone())
                .with("approved", if x.approved { "yes" } else { "no" })
                .with("owner", x.owner.clone());
            for r in &x.risks {
                form = form.with(&format!("risk_{r}"), "yes");
            }
            let form = with_date(form, "due_date", &x.due_date);
            (
                format!("Change measure {}", i + 1),
                format!("/dpias/{id}/measures/{mid}"),
                "Save the measure",
                form,
            )
        }
    };
    Ok(form_page(
        si,
        &title,
        &d.title,
        action,
        format!("/dpias/{id}"),
        submit,
        measure_fields(&d.content, m),
        form,
    ))
}

/// A measure. The risks it addresses are boxes named by the risk's id (`risk_<id>`), kept in
/// `rest`.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct MeasureForm {
    options: String,
    effect: String,
    residual: String,
    approved: String,
    owner: String,
    due_date_day: String,
    due_date_month: String,
    due_date_year: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl MeasureForm {
    /// The measure as answered, against the DPIA's risks whose boxes are ticked.
    fn measure(&self, risks: &[Risk]) -> Measure {
        Measure {
            risks: risks
                .iter()
                .filter(|r| ticked(&value(&self.rest, &format!("risk_{}", r.id))))
                .map(|r| r.id.clone())
                .collect(),
            options: self.options.trim().replace("\r\n", "\n"),
            effect: self.effect.clone(),
            residual: self.residual.clone(),
            approved: self.approved == "yes",
            owner: self.owner.trim().to_string(),
            due_date: date_input(
                &self.due_date_day,
                &self.due_date_month,
                &self.due_date_year,
            ),
            ..Default::default()
        }
    }
}

async fn measure_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<MeasureForm>,
) -> PageResult {
    measure_save(&state, &si, &id, None, f).await
}

async fn measure_edit_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, measure)): Path<(String, String)>,
    Form(f): Form<MeasureForm>,
) -> PageResult {
    measure_save(&state, &si, &id, Some(&measure), f).await
}

async fn measure_save(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    measure: Option<&str>,
    f: MeasureForm,
) -> PageResult {
    let (p, d) = change_permit(state, si, id).await?;
    let rules = dpias(&state.steward).rules;
    let m = rules
        .matrix(&d.content.matrix)
        .unwrap_or(&rules.matrices[0]);
    let mut c = d.content.clone();
    let answered = f.measure(&c.risks);
    let (title, action, n) = match measure {
        None => {
            c.measures.push(answered);
            (
                "Add a measure".to_string(),
                format!("/dpias/{id}/measures/new"),
                c.measures.len(),
            )
        }
        Some(mid) => {
            let i = find_measure(&c, mid)?;
            let old = &c.measures[i];
            // What the service keeps of a measure (its id, its action, who owns that)
            // stays; the answers are the form's.
            c.measures[i] = Measure {
                id: old.id.clone(),
                action_id: old.action_id.clone(),
                owner_id: old.owner_id.clone(),
                ..answered
            };
            (
                format!("Change measure {}", i + 1),
                format!("/dpias/{id}/measures/{mid}"),
                i + 1,
            )
        }
    };
    let fields = measure_fields(&d.content, m);
    save_form(
        state,
        si,
        &p,
        c,
        &f,
        &title,
        action,
        fields,
        &format!("measure_{n}"),
    )
    .await
}

async fn measure_delete_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, measure)): Path<(String, String)>,
) -> PageResult {
    let (_, d) = change_permit(&state, &si, &id).await?;
    if !d.editable() {
        return frozen(&state, &si, &d).await;
    }
    let i = find_measure(&d.content, &measure)?;
    let x = &d.content.measures[i];
    let mut what = format!(
        "Measure {} “{}” will be deleted from this DPIA.",
        i + 1,
        x.options
    );
    if !x.action_id.is_empty() {
        what.push_str(" Its action stays on the actions list.");
    }
    Ok(render(&crate::views::ConfirmPage {
        ctx: ctx(
            &si,
            &format!("Are you sure you want to delete measure {}?", i + 1),
            &FormView::new(),
        ),
        what,
        action: format!("/dpias/{id}/measures/{measure}/delete"),
        button: format!("Delete measure {}", i + 1),
        cancel: format!("/dpias/{id}"),
    }))
}

async fn measure_delete(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, measure)): Path<(String, String)>,
) -> PageResult {
    let (p, d) = change_permit(&state, &si, &id).await?;
    let mut c = d.content.clone();
    let i = find_measure(&c, &measure)?;
    c.measures.remove(i);
    save_or_conflict(&state, &si, &p, c).await
}

// ---- data items ----

fn item_fields(rules: &Rules, c: &Content) -> Vec<Field> {
    let mut out = vec![Field::new("para", "", "Individual's information must not be processed \"just in case it is needed\": it must be limited to what is required to achieve the intended purpose. A Yes needs its purpose.")];
    for i in &c.data_items {
        let label = rules
            .data_item(&i.code)
            .map(|x| x.label.clone())
            .unwrap_or_else(|| i.label.clone());
        out.push(Field::new("yesno", &format!("used_{}", i.code), &label));
        out.push(Field::new(
            "input",
            &format!("item_{}", i.code),
            &format!("Purpose ({label})"),
        ));
    }
    out
}

async fn items_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let (_, d) = change_permit(&state, &si, &id).await?;
    if !d.editable() {
        return frozen(&state, &si, &d).await;
    }
    let rules = dpias(&state.steward).rules;
    let mut form = FormView::new();
    for i in &d.content.data_items {
        form = form
            .with(
                &format!("used_{}", i.code),
                if i.used { "yes" } else { "no" },
            )
            .with(&format!("item_{}", i.code), i.purpose.clone());
    }
    Ok(form_page(
        &si,
        "Data items",
        &d.title,
        format!("/dpias/{id}/data-items"),
        format!("/dpias/{id}"),
        "Save",
        item_fields(rules, &d.content),
        form,
    ))
}

/// The data items: every field is named by an item's code (`used_<code>` "yes"/"no",
/// `item_<code>` its purpose), so all are kept in `rest`.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ItemsForm {
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

async fn items_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ItemsForm>,
) -> PageResult {
    let (p, d) = change_permit(&state, &si, &id).await?;
    let rules = dpias(&state.steward).rules;
    let mut c = d.content.clone();
    for i in &mut c.data_items {
        i.used = value(&f.rest, &format!("used_{}", i.code)) == "yes";
        i.purpose = value(&f.rest, &format!("item_{}", i.code))
            .trim()
            .to_string();
    }
    let fields = item_fields(rules, &d.content);
    save_form(
        &state,
        &si,
        &p,
        c,
        &f,
        "Data items",
        format!("/dpias/{id}/data-items"),
        fields,
        "",
    )
    .await
}

// ---- lawful basis and rights ----

fn law_fields(rules: &Rules) -> Vec<Field> {
    let mut out = vec![Field::new(
        "heading",
        "",
        "Lawful basis (UK GDPR Article 6)",
    )];
    for i in &rules.law.article6 {
        out.push(Field::new("check", &format!("a6_{}", i.code), &i.label).hint(&i.text));
    }
    out.push(Field::new(
        "heading",
        "",
        "Condition for special category data (UK GDPR Article 9)",
    ));
    for i in &rules.law.article9 {
        out.push(Field::new("check", &format!("a9_{}", i.code), &i.label).hint(&i.text));
    }
    out.push(Field::new("heading", "", "Common-law duty of confidence"));
    for i in &rules.law.confidentiality {
        out.push(Field::new("check", &format!("cl_{}", i.code), &i.label).hint(&i.text));
    }
    out.push(Field::new("area", "legal_notes", "Other legal basis and notes (for example the Health and Social Care Act 2012, safeguarding)"));
    out.push(Field::new("heading", "", "Individual rights"));
    for r in &rules.law.right {
        out.push(Field::new(
            "check",
            &format!("right_{}", r.code),
            &format!("{} applies", r.label),
        ));
        out.push(Field::new(
            "input",
            &format!("how_{}", r.code),
            &format!("How it is supported: {}", r.label.to_lowercase()),
        ));
    }
    out
}

async fn law_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let (_, d) = change_permit(&state, &si, &id).await?;
    if !d.editable() {
        return frozen(&state, &si, &d).await;
    }
    let rules = dpias(&state.steward).rules;
    let c = &d.content;
    let mut form = FormView::new().with("legal_notes", c.legal_notes.clone());
    for (p, codes) in [
        ("a6_", &c.article6),
        ("a9_", &c.article9),
        ("cl_", &c.confidentiality),
    ] {
        for code in codes {
            form = form.with(&format!("{p}{code}"), "yes");
        }
    }
    for r in &c.rights {
        form = form
            .with(
                &format!("right_{}", r.code),
                if r.applies { "yes" } else { "" },
            )
            .with(&format!("how_{}", r.code), r.how.clone());
    }
    Ok(form_page(
        &si,
        "Lawful basis and individual rights",
        &d.title,
        format!("/dpias/{id}/lawful-basis"),
        format!("/dpias/{id}"),
        "Save",
        law_fields(rules),
        form,
    ))
}

/// The lawful basis and rights. The boxes and answers are named by the law's codes
/// (`a6_<code>`, `a9_<code>`, `cl_<code>`, `right_<code>`, `how_<code>`), kept in `rest`.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct LawForm {
    legal_notes: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

async fn law_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<LawForm>,
) -> PageResult {
    let (p, d) = change_permit(&state, &si, &id).await?;
    let rules = dpias(&state.steward).rules;
    let mut c = d.content.clone();
    let yes = |k: String| ticked(&value(&f.rest, &k));
    let pick = |prefix: &str, list: &[steward_dpia::rules::LawItem]| -> Vec<String> {
        list.iter()
            .filter(|i| yes(format!("{prefix}{}", i.code)))
            .map(|i| i.code.clone())
            .collect()
    };
    c.article6 = pick("a6_", &rules.law.article6);
    c.article9 = pick("a9_", &rules.law.article9);
    c.confidentiality = pick("cl_", &rules.law.confidentiality);
    c.legal_notes = f.legal_notes.trim().replace("\r\n", "\n");
    c.rights = rules
        .law
        .right
        .iter()
        .map(|r| steward_dpia::model::RightAnswer {
            code: r.code.clone(),
            applies: yes(format!("right_{}", r.code)),
            how: value(&f.rest, &format!("how_{}", r.code))
                .trim()
                .to_string(),
        })
        .collect();
    save_form(
        &state,
        &si,
        &p,
        c,
        &f,
        "Lawful basis and individual rights",
        format!("/dpias/{id}/lawful-basis"),
        law_fields(rules),
        "",
    )
    .await
}

// ---- data flows and access control ----

fn flow_fields() -> Vec<Field> {
    vec![
        Field::new("input", "category", "Category of data"),
        Field::new("input", "whose", "Whose information"),
        Field::new("input", "system", "System"),
        Field::new("input", "destination", "Where is it going?"),
        Field::new("area", "purpose", "Nature and purpose of the processing"),
        Field::new("input", "frequency", "Frequency")
            .hint("For example daily, weekly, monthly, real time."),
        Field::new("input", "transport", "Method of transport"),
        Field::new("yesno", "pid", "Personal identifiable data (PID)"),
        Field::new("area", "information_type", "Type of information"),
    ]
}

async fn flow_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let (_, d) = change_permit(&state, &si, &id).await?;
    if !d.editable() {
        return frozen(&state, &si, &d).await;
    }
    Ok(form_page(
        &si,
        "Add a data flow",
        &d.title,
        format!("/dpias/{id}/data-flows/new"),
        format!("/dpias/{id}"),
        "Add the data flow",
        flow_fields(),
        FormView::new(),
    ))
}

/// Text as saved: trimmed, with the browser's line ends made `\n`.
fn text(s: &str) -> String {
    s.trim().replace("\r\n", "\n")
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct FlowForm {
    category: String,
    whose: String,
    system: String,
    destination: String,
    purpose: String,
    frequency: String,
    transport: String,
    pid: String,
    information_type: String,
}

impl FlowForm {
    fn flow(&self) -> steward_dpia::model::DataFlow {
        steward_dpia::model::DataFlow {
            category: text(&self.category),
            whose: text(&self.whose),
            system: text(&self.system),
            destination: text(&self.destination),
            purpose: text(&self.purpose),
            frequency: text(&self.frequency),
            transport: text(&self.transport),
            pid: self.pid == "yes",
            information_type: text(&self.information_type),
        }
    }
}

async fn flow_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<FlowForm>,
) -> PageResult {
    let (p, d) = change_permit(&state, &si, &id).await?;
    if text(&f.category).is_empty() {
        let mut e = FieldErrors::default();
        e.add("category", "Enter the category of data");
        return Ok(form_page(
            &si,
            "Add a data flow",
            &d.title,
            format!("/dpias/{id}/data-flows/new"),
            format!("/dpias/{id}"),
            "Add the data flow",
            flow_fields(),
            shown_again(&f, e),
        ));
    }
    let mut c = d.content.clone();
    c.data_flows.push(f.flow());
    save_form(
        &state,
        &si,
        &p,
        c,
        &f,
        "Add a data flow",
        format!("/dpias/{id}/data-flows/new"),
        flow_fields(),
        "",
    )
    .await
}

fn access_fields() -> Vec<Field> {
    vec![
        Field::new("input", "who", "Who will have access"),
        Field::new("area", "why", "Why do they need access?"),
        Field::new("input", "when", "When will they need access?"),
        Field::new(
            "area",
            "how",
            "How will they access it, and how is access controlled?",
        ),
        Field::new("area", "what", "What will they have access to?"),
    ]
}

async fn access_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let (_, d) = change_permit(&state, &si, &id).await?;
    if !d.editable() {
        return frozen(&state, &si, &d).await;
    }
    Ok(form_page(
        &si,
        "Add who has access",
        &d.title,
        format!("/dpias/{id}/access-controls/new"),
        format!("/dpias/{id}"),
        "Add",
        access_fields(),
        FormView::new(),
    ))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct AccessForm {
    who: String,
    why: String,
    when: String,
    how: String,
    what: String,
}

impl AccessForm {
    fn access(&self) -> steward_dpia::model::AccessControl {
        steward_dpia::model::AccessControl {
            who: text(&self.who),
            why: text(&self.why),
            when: text(&self.when),
            how: text(&self.how),
            what: text(&self.what),
        }
    }
}

async fn access_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<AccessForm>,
) -> PageResult {
    let (p, d) = change_permit(&state, &si, &id).await?;
    if text(&f.who).is_empty() {
        let mut e = FieldErrors::default();
        e.add("who", "Enter who will have access");
        return Ok(form_page(
            &si,
            "Add who has access",
            &d.title,
            format!("/dpias/{id}/access-controls/new"),
            format!("/dpias/{id}"),
            "Add",
            access_fields(),
            shown_again(&f, e),
        ));
    }
    let mut c = d.content.clone();
    c.access_controls.push(f.access());
    save_form(
        &state,
        &si,
        &p,
        c,
        &f,
        "Add who has access",
        format!("/dpias/{id}/access-controls/new"),
        access_fields(),
        "",
    )
    .await
}

// ---- sign-off record ----

const SIGN_OFF_FIELDS: [(&str, &str); 12] = [
    ("measures_approved_by", "Measures approved by"),
    ("residual_risks_approved_by", "Residual risks approved by"),
    ("dpo_advice_provided_by", "DPO advice provided by"),
    (
        "dpo_advice_decided_by",
        "DPO advice accepted or overruled by",
    ),
    ("overrule_reasons", "If overruled, your reasons"),
    (
        "consultation_reviewed_by",
        "Consultation responses reviewed by",
    ),
    (
        "consultation_reasons",
        "If your decision departs from individuals' views, your reasons",
    ),
    (
        "kept_under_review_by",
        "This DPIA will be kept under review by",
    ),
    ("next_review_date", "Next review date"),
    ("comments", "Comments"),
    (
        "prior_consultation_date",
        "Prior consultation with the ICO (Article 36): date",
    ),
    (
        "prior_consultation_outcome",
        "Prior consultation with the ICO: outcome",
    ),
];

fn record_fields() -> Vec<Field> {
    let mut out = vec![];
    for (name, label) in SIGN_OFF_FIELDS {
        let kind = if matches!(
            name,
            "overrule_reasons" | "consultation_reasons" | "comments" | "prior_consultation_outcome"
        ) {
            "area"
        } else if name.ends_with("date") {
            "date"
        } else {
            "input"
        };
        let mut f = Field::new(kind, name, label);
        if kind == "date" {
            f = f.hint("For example, 5 2 2027");
        }
        out.push(f);
        if name == "dpo_advice_provided_by" {
            out.push(
                Field::new("radios", "dpo_advice_decision", "The DPO's advice was").options(opts(
                    [
                        ("", "Not decided yet"),
                        ("accepted", "Accepted"),
                        ("overruled", "Overruled"),
                    ],
                )),
            );
        }
        if name == "consultation_reviewed_by" {
            out.push(Field::new(
                "check",
                "consultation_departs",
                "The decision departs from individuals' views",
            ));
        }
    }
    out
}

async fn record_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let (_, d) = change_permit(&state, &si, &id).await?;
    if !d.editable() {
        return frozen(&state, &si, &d).await;
    }
    let s = &d.content.sign_off;
    let pc = &d.content.prior_consultation;
    let form = FormView::new()
        .with("measures_approved_by", s.measures_approved_by.clone())
        .with(
            "residual_risks_approved_by",
            s.residual_risks_approved_by.clone(),
        )
        .with("dpo_advice_provided_by", s.dpo_advice_provided_by.clone())
        .with("dpo_advice_decision", s.dpo_advice_decision.clone())
        .with("dpo_advice_decided_by", s.dpo_advice_decided_by.clone())
        .with("overrule_reasons", s.overrule_reasons.clone())
        .with(
            "consultation_reviewed_by",
            s.consultation_reviewed_by.clone(),
        )
        .with(
            "consultation_departs",
            if s.consultation_departs { "yes" } else { "" },
        )
        .with("consultation_reasons", s.consultation_reasons.clone())
        .with("kept_under_review_by", s.kept_under_review_by.clone())
        .with("comments", s.comments.clone())
        .with("prior_consultation_outcome", pc.outcome.clone());
    let form = with_date(form, "next_review_date", &s.next_review_date);
    let form = with_date(form, "prior_consultation_date", &pc.date);
    Ok(form_page(
        &si,
        "Sign-off and outcomes",
        &d.title,
        format!("/dpias/{id}/sign-off-record"),
        format!("/dpias/{id}"),
        "Save",
        record_fields(),
        form,
    ))
}

/// The sign-off record (the fields of `SIGN_OFF_FIELDS`, the DPO's decision, and whether the
/// decision departs from individuals' views); its two dates are typed as three boxes each.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct RecordForm {
    measures_approved_by: String,
    residual_risks_approved_by: String,
    dpo_advice_provided_by: String,
    dpo_advice_decision: String,
    dpo_advice_decided_by: String,
    overrule_reasons: String,
    consultation_reviewed_by: String,
    consultation_departs: String,
    consultation_reasons: String,
    kept_under_review_by: String,
    next_review_date_day: String,
    next_review_date_month: String,
    next_review_date_year: String,
    comments: String,
    prior_consultation_date_day: String,
    prior_consultation_date_month: String,
    prior_consultation_date_year: String,
    prior_consultation_outcome: String,
}

impl RecordForm {
    /// The answers written into the DPIA's content.
    fn write(&self, c: &mut Content) {
        let t = |v: &str| v.trim().to_string();
        let s = &mut c.sign_off;
        s.measures_approved_by = t(&self.measures_approved_by);
        s.residual_risks_approved_by = t(&self.residual_risks_approved_by);
        s.dpo_advice_provided_by = t(&self.dpo_advice_provided_by);
        s.dpo_advice_decision = t(&self.dpo_advice_decision);
        s.dpo_advice_decided_by = t(&self.dpo_advice_decided_by);
        s.overrule_reasons = t(&self.overrule_reasons);
        s.consultation_reviewed_by = t(&self.consultation_reviewed_by);
        s.consultation_departs = ticked(&self.consultation_departs);
        s.consultation_reasons = t(&self.consultation_reasons);
        s.kept_under_review_by = t(&self.kept_under_review_by);
        s.next_review_date = date_input(
            &self.next_review_date_day,
            &self.next_review_date_month,
            &self.next_review_date_year,
        );
        s.comments = t(&self.comments);
        c.prior_consultation.date = date_input(
            &self.prior_consultation_date_day,
            &self.prior_consultation_date_month,
            &self.prior_consultation_date_year,
        );
        c.prior_consultation.outcome = t(&self.prior_consultation_outcome);
    }
}

async fn record_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<RecordForm>,
) -> PageResult {
    let (p, d) = change_permit(&state, &si, &id).await?;
    let mut c = d.content.clone();
    f.write(&mut c);
    save_form(
        &state,
        &si,
        &p,
        c,
        &f,
        "Sign-off and outcomes",
        format!("/dpias/{id}/sign-off-record"),
        record_fields(),
        "",
    )
    .await
}

// ---- steps ----

/// A button's form: nothing but the CSRF token, which the layer checks.
#[derive(Deserialize, Serialize, Default)]
struct ButtonForm {}

async fn submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ButtonForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::Dpia, &id)
        .await?;
    let res = dpias(&state.steward)
        .author_step(
            &si.caller,
            &p,
            &StepInput {
                step: "submit".into(),
                note: String::new(),
            },
        )
        .await;
    after(&state, &si, &id, &f, res).await
}

async fn new_version(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ButtonForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::Dpia, &id)
        .await?;
    let res = dpias(&state.steward)
        .author_step(
            &si.caller,
            &p,
            &StepInput {
                step: "new_version".into(),
                note: String::new(),
            },
        )
        .await;
    after(&state, &si, &id, &f, res).await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct AdviceForm {
    advice: String,
}

async fn advise(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<AdviceForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Advise>(&si.caller, Kind::Dpia, &id)
        .await?;
    let res = dpias(&state.steward)
        .advise(
            &si.caller,
            &p,
            &AdviceInput {
                advice: f.advice.clone(),
            },
        )
        .await;
    after(&state, &si, &id, &f, res).await
}

/// The sign-off decision: `step` is approve, request_changes or reject.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct DecisionForm {
    step: String,
    note: String,
}

async fn decide(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::DpiaSignOff, &id)
        .await?;
    let res = dpias(&state.steward)
        .sign_off(
            &si.caller,
            &p,
            &StepInput {
                step: f.step.clone(),
                note: f.note.clone(),
            },
            today(),
        )
        .await;
    after(&state, &si, &id, &f, res).await
}

/// A comment on a section (or, with no section, on the whole DPIA).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct CommentForm {
    comment_section: String,
    comment_text: String,
}

async fn comment(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Comment>(&si.caller, Kind::Dpia, &id)
        .await?;
    let res = dpias(&state.steward)
        .comment(
            &si.caller,
            &p,
            &CommentInput {
                section: f.comment_section.clone(),
                text: f.comment_text.clone(),
            },
        )
        .await;
    // The comment form's fields are named for the page.
    let res = res.map_err(|e| match e {
        CoreError::Invalid(fe) => CoreError::Invalid(FieldErrors(
            fe.0.into_iter()
                .map(|mut x| {
                    x.field = format!("comment_{}", x.field);
                    x
                })
                .collect(),
        )),
        e => e,
    });
    after(&state, &si, &id, &f, res).await
}

// ---- exports and versions ----

async fn export(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, format)): Path<(String, String)>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::Dpia, &id)
        .await?;
    let d = dpias(&state.steward);
    let dpia = d.get(&p).await?;
    let format = format
        .trim_end_matches(".pdf")
        .trim_end_matches(".docx")
        .trim_end_matches(".json");
    let (bytes, ct, name) = match d.export(&dpia, format) {
        Ok(x) => x,
        Err(CoreError::Invalid(_)) => return Err(CoreError::NotFound.into()),
        Err(e) => return Err(e.into()),
    };
    Ok(crate::views::download(bytes, ct, &name))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CompareQuery {
    a: String,
    b: String,
}

#[derive(Template)]
#[template(path = "dpia_compare.html")]
pub struct CompareView {
    pub ctx: PageCtx,
    pub d: Dpia,
    pub a_label: String,
    pub b_label: String,
    pub rows: Vec<(String, String, String)>,
}

/// "risks[2].description" in words: "Risk 2: description".
fn field_words(path: &str) -> String {
    let mut out = path.replace("content.", "");
    for (from, to) in [
        ("sections[", "Section "),
        ("risks[", "Risk "),
        ("measures[", "Measure "),
        ("data_items[", "Data item "),
        ("data_flows[", "Data flow "),
        ("access_controls[", "Access control "),
        ("rights[", "Right "),
        ("answers[", "answer "),
        ("comments[", "Comment "),
    ] {
        out = out.replace(from, to);
    }
    out.replace("].", ": ")
        .replace(']', "")
        .replace('.', ": ")
        .replace('_', " ")
}

async fn compare_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<CompareQuery>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::Dpia, &id)
        .await?;
    let dd = dpias(&state.steward);
    let d = dd.get(&p).await?;
    let load = |which: String| {
        let dd = &dd;
        let p = &p;
        let d = &d;
        async move {
            match which.parse::<i64>() {
                Ok(n) => match dd.version(p, n).await {
                    Ok(c) => Ok::<_, CoreError>((format!("Version {n}"), c)),
                    // No such frozen version (yet): the current one, said so.
                    Err(CoreError::NotFound) => Ok((
                        format!("Version {n} (not approved or rejected yet: the current text)"),
                        d.content.clone(),
                    )),
                    Err(e) => Err(e),
                },
                Err(_) => Ok((d.version_label.clone(), d.content.clone())),
            }
        }
    };
    let (a_label, a) = load(if q.a.is_empty() {
        "1".into()
    } else {
        q.a.clone()
    })
    .await?;
    let (b_label, b) = load(q.b.clone()).await?;
    let rows = compare(&a, &b)
        .into_iter()
        .filter(|(k, _, _)| !k.ends_with(".id") && !k.contains("action_id"))
        .map(|(k, x, y)| (field_words(&k), x, y))
        .collect();
    Ok(render(&CompareView {
        ctx: ctx(
            &si,
            &format!("Compare versions: {}", d.title),
            &FormView::new(),
        ),
        d,
        a_label,
        b_label,
        rows,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::forms::posted;

    #[test]
    fn the_first_screening_step_sends_no_title_and_the_answers_are_named_by_question() {
        let first: ScreenForm = posted("csrf=t&questionnaire=trust");
        assert_eq!(first.questionnaire, "trust");
        assert!(first.title.is_none());
        let f: ScreenForm =
            posted("csrf=t&questionnaire=ico&title=&answer_q1=yes&comment_q1=+why+&answer_q2=no");
        assert_eq!(f.title.as_deref(), Some(""));
        assert_eq!(value(&f.rest, "answer_q1"), "yes");
        assert_eq!(value(&f.rest, "comment_q1"), " why ");
        assert!(!f.rest.contains_key("comment_q2"));
        // Shown again as typed, the data-named fields too.
        let mut e = FieldErrors::default();
        e.add("title", "Enter the name");
        let v = shown_again(&f, e);
        assert_eq!(v.value("questionnaire"), "ico");
        assert_eq!(v.value("answer_q2"), "no");
        assert_eq!(v.value("comment_q1"), " why ");
        assert_eq!(v.error("title"), Some("Enter the name"));
    }

    #[test]
    fn a_section_keeps_its_questions_in_order_up_to_the_first_gap() {
        let f: SectionForm = posted(
            "text=T&not_applicable=yes&reason=R&question_0=Q0&answer_0=A0\
             &question_1=&answer_1=&question_2=Q2&answer_2=&answer_4=late",
        );
        assert_eq!(f.text, "T");
        assert!(ticked(&f.not_applicable));
        let qa: Vec<(String, String)> = f
            .answers()
            .into_iter()
            .map(|x| (x.question, x.answer))
            .collect();
        assert_eq!(
            qa,
            vec![
                ("Q0".to_string(), "A0".to_string()),
                ("Q2".to_string(), String::new())
            ]
        );
    }

    #[test]
    fn a_measure_takes_the_ticked_risks_and_a_typed_date() {
        let risks: Vec<Risk> = ["r1", "r2", "r3"]
            .iter()
            .map(|id| Risk {
                id: id.to_string(),
                ..Default::default()
            })
            .collect();
        let f: MeasureForm = posted(
            "risk_r1=yes&risk_r3=yes&options=a%0D%0Ab&effect=reduced&residual=low\
             &approved=yes&owner=+Jo+&due_date_day=5&due_date_month=2&due_date_year=2027",
        );
        let m = f.measure(&risks);
        assert_eq!(m.risks, vec!["r1".to_string(), "r3".to_string()]);
        assert_eq!(m.options, "a\nb");
        assert!(m.approved);
        assert_eq!(m.owner, "Jo");
        assert_eq!(m.due_date, "2027-02-05");
        // Not a date: what was typed, which the DPIA's checks refuse (no sentinel).
        let f: MeasureForm = posted("due_date_day=31&due_date_month=2&due_date_year=2027");
        assert_eq!(f.measure(&risks).due_date, "31/2/2027");
        let f: MeasureForm = posted("options=x");
        assert_eq!(f.measure(&risks).due_date, "");
        assert!(f.measure(&risks).risks.is_empty());
    }

    #[test]
    fn the_sign_off_record_takes_its_two_dates_from_boxes() {
        let f: RecordForm = posted(
            "measures_approved_by=+A+&consultation_departs=yes&next_review_date_day=1\
             &next_review_date_month=12&next_review_date_year=2027\
             &prior_consultation_date_day=x&prior_consultation_outcome=ok",
        );
        let mut c = Content::default();
        f.write(&mut c);
        assert_eq!(c.sign_off.measures_approved_by, "A");
        assert!(c.sign_off.consultation_departs);
        assert_eq!(c.sign_off.next_review_date, "2027-12-01");
        assert_eq!(c.prior_consultation.date, "x//");
        assert_eq!(c.prior_consultation.outcome, "ok");
        // A stored date is shown again in its boxes.
        let v = with_date(FormView::new(), "next_review_date", "2027-12-01");
        assert_eq!(v.value("next_review_date_day"), "1");
        assert_eq!(v.value("next_review_date_month"), "12");
    }

    #[test]
    fn a_button_form_and_named_forms_read_what_the_pages_post() {
        let _: ButtonForm = posted("csrf=t");
        let d: DecisionForm = posted("csrf=t&step=reject&note=No");
        assert_eq!((d.step.as_str(), d.note.as_str()), ("reject", "No"));
        let c: CommentForm = posted("comment_section=&comment_text=Hi");
        assert_eq!(c.comment_text, "Hi");
        let f: FlowForm = posted("category=+Health+&pid=yes");
        let flow = f.flow();
        assert_eq!(flow.category, "Health");
        assert!(flow.pid);
        let l: LawForm = posted("legal_notes=n&a6_e=yes&right_access=on&how_access=SAR");
        assert_eq!(l.legal_notes, "n");
        assert!(ticked(&value(&l.rest, "a6_e")));
        assert!(ticked(&value(&l.rest, "right_access")));
        assert_eq!(value(&l.rest, "how_access"), "SAR");
    }
}
