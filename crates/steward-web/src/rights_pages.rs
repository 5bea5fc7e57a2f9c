//! Pages of the rights-request workflow: the list, logging a request, the request's page
//! (clock, identity and authority, clarification, extension, checklist with the clinician's
//! review apart, closure, letter), and the redaction review. Each handler calls one function
//! of `steward_rights::requests` / `review`, which checks organisation and role itself; on a
//! validation error the page is shown again with the values kept and the messages beside the
//! fields.

#[allow(unused_imports)]
use crate::words::filters;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_core::records::{Attachment, Comment, Version};
use steward_core::{ops, CoreError, FieldErrors, Kind, Op};
use steward_rights::requests::{
    rights, ClinicianReviewInput, ClosureInput, ExtensionInput, NamesakeInput, RequestInput,
    RequestPage, RequestQuery, RequestRecord, StartEventsInput, StepState, WarningView,
    WithheldInput, CHANNELS, EVIDENCE_KINDS, OBJECTIONS, REQUESTERS,
};
use steward_rights::review::{
    OutputFile, RedactionDocument, ReviewScreen, RunSummary, REASON_CODES,
};
use steward_rights::Exemption;

use crate::error::PageResult;
use crate::forms;
use crate::routes::{Access, Routes};
use crate::session::SignedIn;
use crate::views::{org_filter, render, status_for, FormView, Option_, OrgFilter, PageCtx};
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let requests = |op| Organisation(Kind::RightsRequest, op);
    let request = |op| Record(Kind::RightsRequest, op);
    let (read, change) = (request(Op::Read), request(Op::Change));
    Routes::new()
        .get("/requests", requests(Op::List), list)
        .get("/requests/new", requests(Op::Create), new_page)
        .post("/requests/new", requests(Op::Create), new_submit)
        // The service also keeps the change to the DPO and the IG lead.
        .get("/requests/settings", requests(Op::List), settings_page)
        .post(
            "/requests/settings",
            requests(Op::Configure),
            settings_submit,
        )
        .get("/requests/{id}", read, request_page)
        .get("/requests/{id}/edit", change, edit_page)
        .post("/requests/{id}/edit", change, edit_submit)
        .post("/requests/{id}/start-events", change, start_events)
        .post("/requests/{id}/clarification", change, ask_clarification)
        .post(
            "/requests/{id}/clarification/received",
            change,
            clarification_received,
        )
        .post("/requests/{id}/extension", change, extension)
        .post("/requests/{id}/status", change, move_status)
        .post("/requests/{id}/steps/{step}", change, complete_step)
        .post(
            "/requests/{id}/clinician-review",
            request(Op::Advise),
            clinician_review,
        )
        .post("/requests/{id}/namesakes", change, add_namesake)
        .post("/requests/{id}/recipients", change, record_recipient)
        .post("/requests/{id}/close", change, close)
        .get("/requests/{id}/letter.pdf", read, letter_pdf)
        .get("/requests/{id}/letter.docx", read, letter_docx)
        .post("/requests/{id}/comments", request(Op::Comment), add_comment)
        .upload(
            "/requests/{id}/attachments",
            request(Op::Attach),
            add_attachment,
        )
        .upload("/requests/{id}/documents", change, add_document)
        .post("/requests/{id}/redaction/run", change, run_redaction)
        .get("/requests/{id}/review", read, review_page)
        .post("/requests/{id}/review/undecided", change, decide_undecided)
        .post("/requests/{id}/review/manual", change, add_manual)
        .post("/requests/{id}/review/{seq}", change, decide)
        .post("/requests/{id}/bundle", change, produce_bundle)
        .get("/requests/{id}/outputs/{output}", read, download_output)
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn ctx(si: &SignedIn, title: &str, form: &FormView) -> PageCtx {
    let mut c = crate::pages::ctx(si, title, "requests");
    c.has_errors = form.has_errors();
    c
}

fn options(list: &[(&str, &str)]) -> Vec<Option_> {
    list.iter()
        .map(|(v, l)| Option_ {
            value: (*v).into(),
            label: (*l).into(),
        })
        .collect()
}

// ---- template helpers ----

pub fn long_date(d: &NaiveDate) -> String {
    steward_core::time::long_date(*d)
}

pub fn maybe_date(d: &Option<NaiveDate>) -> String {
    d.map(steward_core::time::long_date)
        .unwrap_or_else(|| "Not yet".into())
}

pub fn long_stamp(s: &str) -> String {
    steward_core::time::long_stamp(s)
}

pub fn status_tag(r: &RequestRecord) -> &'static str {
    match r.status.as_str() {
        "completed" => "nhsuk-tag--green",
        "refused" | "withdrawn" => "nhsuk-tag--grey",
        "awaiting_clarification" => "nhsuk-tag--purple",
        "clinician_review" => "nhsuk-tag--aqua-green",
        "ready_to_send" => "nhsuk-tag--blue",
        _ => "nhsuk-tag--white",
    }
}

pub fn status_name(code: &str) -> &'static str {
    steward_rights::requests::parse_status(code)
        .map(steward_rights::requests::status_label)
        .unwrap_or("")
}

pub fn reason_label(code: &str) -> &'static str {
    REASON_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// Sets the three parts of a date field from a stored date.
fn with_date(form: FormView, prefix: &str, d: Option<NaiveDate>) -> FormView {
    let (day, month, year) = match d {
        Some(d) => (
            d.format("%-d").to_string(),
            d.format("%-m").to_string(),
            d.format("%Y").to_string(),
        ),
        None => Default::default(),
    };
    form.with(&format!("{prefix}_day"), day)
        .with(&format!("{prefix}_month"), month)
        .with(&format!("{prefix}_year"), year)
}

/// The page's own values with what was posted (and its errors) on top.
fn overlay(mut base: FormView, posted: FormView) -> FormView {
    base.values.extend(posted.values);
    base.errors = posted.errors;
    base
}

// ---- list ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    status: String,
    request_type: String,
    page: String,
    /// "" the organisation being worked in, "all" the cluster, or one organisation's id.
    organisation: String,
}

#[derive(Template)]
#[template(path = "rights_list.html")]
pub struct ListPage {
    pub ctx: PageCtx,
    pub page: RequestPage,
    pub status: String,
    pub request_type: String,
    pub statuses: Vec<Option_>,
    pub types: Vec<Option_>,
    pub form: FormView,
    pub orgs: OrgFilter,
}

impl ListPage {
    pub fn link(&self, page: i64) -> String {
        format!(
            "/requests?status={}&request_type={}&page={page}{}",
            self.status,
            self.request_type,
            self.orgs.query()
        )
    }
}

fn type_options() -> Vec<Option_> {
    steward_rights::RequestType::ALL
        .iter()
        .map(|t| Option_ {
            value: steward_rights::requests::type_code(*t).into(),
            label: steward_rights::requests::type_title(*t),
        })
        .collect()
}

async fn list(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let query = RequestQuery {
        status: Some(q.status.clone()).filter(|s| !s.is_empty()),
        request_type: Some(q.request_type.clone()).filter(|s| !s.is_empty()),
        page: q.page.parse().ok(),
        size: None,
    };
    let r = rights(&state.steward);
    let orgs = org_filter(&state.steward, &si.caller, &q.organisation).await?;
    let permits = state
        .steward
        .permit_lists(&si.caller, Kind::RightsRequest, &q.organisation)?;
    let (page, form) = match r.requests_in(&si.caller, &permits, &query, today()).await {
        Ok(p) => (p, FormView::new()),
        // An unknown filter in the address bar: say so and show everything.
        Err(CoreError::Invalid(errors)) => (
            r.requests_in(&si.caller, &permits, &RequestQuery::default(), today())
                .await?,
            FormView {
                errors,
                ..FormView::new()
            },
        ),
        Err(e) => return Err(e.into()),
    };
    let mut statuses = vec![
        Option_ {
            value: "open".into(),
            label: "Open".into(),
        },
        Option_ {
            value: "overdue".into(),
            label: "Overdue".into(),
        },
    ];
    statuses.extend(
        steward_rights::requests::ALL_STATUSES
            .iter()
            .map(|s| Option_ {
                value: steward_rights::requests::status_code(*s).into(),
                label: steward_rights::requests::status_label(*s).into(),
            }),
    );
    let form = form
        .with("status", &q.status)
        .with("request_type", &q.request_type)
        .with(
            "organisation",
            orgs.selected(&si.caller.current_organisation_id),
        );
    Ok((
        status_for(&form),
        render(&ListPage {
            orgs,
            ctx: ctx(&si, "Rights requests", &form),
            page,
            status: q.status,
            request_type: q.request_type,
            statuses,
            types: type_options(),
            form,
        }),
    )
        .into_response())
}

// ---- the organisation's settings ----

#[derive(Template)]
#[template(path = "rights_settings.html")]
pub struct SettingsPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub can_change: bool,
    pub saved: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsQuery {
    saved: String,
}

async fn settings_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<SettingsQuery>,
) -> PageResult {
    let s = rights(&state.steward)
        .settings(&si.caller, &si.caller.current_organisation_id)
        .await?;
    let form = FormView::new().with(
        "period",
        if s.twenty_eight_days {
            "twenty_eight_days"
        } else {
            "calendar_month"
        },
    );
    Ok(settings_view(&si, form, q.saved == "yes"))
}

fn settings_view(si: &SignedIn, form: FormView, saved: bool) -> Response {
    (
        status_for(&form),
        render(&SettingsPage {
            ctx: ctx(si, "Rights request settings", &form),
            can_change: steward_rights::settings::can_change(si.caller.role),
            saved,
            form,
        }),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    /// "twenty_eight_days" or "calendar_month".
    period: String,
}

async fn settings_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<SettingsForm>,
) -> PageResult {
    let twenty_eight_days = match f.period.as_str() {
        "twenty_eight_days" => true,
        "calendar_month" => false,
        _ => {
            let mut form = FormView::new();
            form.errors
                .add("period", "Select the response period for new requests");
            return Ok(settings_view(&si, form, false));
        }
    };
    rights(&state.steward)
        .change_settings(
            &si.caller,
            &si.caller.current_organisation_id,
            &steward_rights::settings::RightsSettings { twenty_eight_days },
        )
        .await?;
    Ok(Redirect::to("/requests/settings?saved=yes").into_response())
}

// ---- new and edit ----

#[derive(Template)]
#[template(path = "rights_form.html")]
pub struct RequestFormPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub request_id: Option<String>,
    pub types: Vec<Option_>,
    pub channels: Vec<Option_>,
    pub requesters: Vec<Option_>,
    pub objections: Vec<Option_>,
    pub people: Vec<Option_>,
}

/// Logging or changing a request: the dates as three boxes each.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct RequestForm {
    request_type: String,
    channel: String,
    requester_kind: String,
    proxy_name: String,
    proxy_organisation: String,
    subject_forenames: String,
    subject_surname: String,
    dob_day: String,
    dob_month: String,
    dob_year: String,
    subject_address: String,
    subject_postcode: String,
    subject_nhs_number: String,
    subject_phone: String,
    subject_email: String,
    subject_aliases: String,
    received_day: String,
    received_month: String,
    received_year: String,
    what: String,
    recipients: String,
    objection_kind: String,
    owner_id: String,
    /// The version the form was opened at (changing only).
    version: String,
}

impl RequestForm {
    fn input(&self) -> RequestInput {
        RequestInput {
            request_type: self.request_type.clone(),
            channel: self.channel.clone(),
            requester_kind: self.requester_kind.clone(),
            proxy_name: self.proxy_name.clone(),
            proxy_organisation: self.proxy_organisation.clone(),
            subject_forenames: self.subject_forenames.clone(),
            subject_surname: self.subject_surname.clone(),
            subject_date_of_birth: forms::date_input(
                &self.dob_day,
                &self.dob_month,
                &self.dob_year,
            ),
            subject_address: self.subject_address.clone(),
            subject_postcode: self.subject_postcode.clone(),
            subject_nhs_number: self.subject_nhs_number.clone(),
            subject_phone: self.subject_phone.clone(),
            subject_email: self.subject_email.clone(),
            subject_aliases: self.subject_aliases.clone(),
            received_on: forms::date_input(
                &self.received_day,
                &self.received_month,
                &self.received_year,
            ),
            what: self.what.clone(),
            recipients: self.recipients.clone(),
            objection_kind: self.objection_kind.clone(),
            owner_id: self.owner_id.clone(),
        }
    }
}

async fn form_page(
    state: &AppState,
    si: &SignedIn,
    title: &str,
    form: FormView,
    request_id: Option<String>,
    org: &str,
) -> PageResult {
    let people = state.steward.assignable_people(&si.caller, org).await?;
    Ok((
        status_for(&form),
        render(&RequestFormPage {
            ctx: ctx(si, title, &form),
            form,
            request_id,
            types: type_options(),
            channels: options(&CHANNELS),
            requesters: options(&REQUESTERS),
            objections: options(&OBJECTIONS),
            people: crate::views::people_options(&people),
        }),
    )
        .into_response())
}

async fn new_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    si.caller.require_write(&org)?;
    let form = with_date(
        FormView::new()
            .with("owner_id", &si.caller.user_id)
            .with("request_type", "access")
            .with("requester_kind", "data_subject"),
        "received",
        Some(today()),
    );
    form_page(&state, &si, "Log a rights request", form, None, &org).await
}

async fn new_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<RequestForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match rights(&state.steward)
        .create_request(&si.caller, &org, &f.input(), today())
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/requests/{}", r.id)).into_response()),
        Err(CoreError::Invalid(errors)) => {
            let form = forms::shown_again(&f, errors);
            form_page(&state, &si, "Log a rights request", form, None, &org).await
        }
        Err(e) => Err(e.into()),
    }
}

fn record_form(r: &RequestRecord) -> FormView {
    let form = FormView::new()
        .with("request_type", &r.request_type)
        .with("channel", &r.channel)
        .with("requester_kind", &r.requester_kind)
        .with("proxy_name", &r.proxy_name)
        .with("proxy_organisation", &r.proxy_organisation)
        .with("subject_forenames", &r.subject_forenames)
        .with("subject_surname", &r.subject_surname)
        .with("subject_address", &r.subject_address)
        .with("subject_postcode", &r.subject_postcode)
        .with("subject_nhs_number", &r.subject_nhs_number)
        .with("subject_phone", &r.subject_phone)
        .with("subject_email", &r.subject_email)
        .with("subject_aliases", &r.subject_aliases)
        .with("what", &r.what)
        .with("recipients", &r.recipients)
        .with("objection_kind", &r.objection_kind)
        .with("owner_id", &r.owner_id)
        .with("version", r.version.to_string());
    let form = with_date(form, "dob", r.subject_date_of_birth);
    with_date(form, "received", Some(r.received_on))
}

async fn edit_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::RightsRequest, &id)
        .await?;
    let r = rights(&state.steward)
        .request(&p.as_read(), today())
        .await?;
    form_page(
        &state,
        &si,
        "Change the request",
        record_form(&r),
        Some(id),
        &r.organisation_id,
    )
    .await
}

async fn edit_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<RequestForm>,
) -> PageResult {
    let expected = f.version.parse().ok();
    match rights(&state.steward)
        .update_request(&si.caller, &id, &f.input(), expected, today())
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/requests/{}", r.id)).into_response()),
        Err(e @ (CoreError::Invalid(_) | CoreError::Conflict(_))) => {
            let errors = match e {
                CoreError::Invalid(errors) => errors,
                other => {
                    let mut fe = FieldErrors::default();
                    fe.add("request_type", other.to_string());
                    fe
                }
            };
            let org = state
                .steward
                .permit::<ops::Change>(&si.caller, Kind::RightsRequest, &id)
                .await?
                .organisation_id()
                .to_string();
            form_page(
                &state,
                &si,
                "Change the request",
                forms::shown_again(&f, errors),
                Some(id),
                &org,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the request's page ----

#[derive(Template)]
#[template(path = "rights_request.html")]
pub struct RequestView {
    pub ctx: PageCtx,
    pub r: RequestRecord,
    pub form: FormView,
    pub admin_steps: Vec<StepState>,
    pub clinician_steps: Vec<StepState>,
    pub warnings: Vec<WarningView>,
    pub documents: Vec<RedactionDocument>,
    pub run: Option<RunSummary>,
    pub outputs: Vec<OutputFile>,
    pub history: Vec<Version>,
    pub attachments: Vec<Attachment>,
    pub comments: Vec<Comment>,
    pub evidence_kinds: Vec<Option_>,
    pub next_statuses: Vec<Option_>,
    pub exemptions: Vec<Option_>,
    pub is_clinician: bool,
    pub max_mb: usize,
    pub notice: Option<String>,
}

fn exemption_options() -> Vec<Option_> {
    Exemption::ALL
        .iter()
        .map(|e| Option_ {
            value: steward_rights::requests::exemption_code(*e).into(),
            label: e.title().into(),
        })
        .collect()
}

/// The forms of the request page, filled from the record.
fn page_defaults(r: &RequestRecord, run: &Option<RunSummary>) -> FormView {
    let mut form = FormView::new()
        .with("identity_evidence", &r.identity_evidence)
        .with(
            "authority_evidence_kind",
            r.authority_evidence_kind.clone().unwrap_or_default(),
        )
        .with("authority_evidence", &r.authority_evidence)
        .with("serious_harm_professional", &r.serious_harm_professional)
        .with(
            "serious_harm_likely",
            match r.serious_harm_likely {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            },
        )
        .with(
            "other_providers_policy",
            r.other_providers_policy.clone().unwrap_or_default(),
        )
        .with("other_providers", &r.other_providers)
        .with("prohibited_information", &r.prohibited_information)
        .with("outcome", "answered")
        .with("months", "1")
        .with("ground", "complex");
    form = with_date(form, "identity", r.identity_verified_on);
    form = with_date(form, "authority", r.authority_received_on);
    form = with_date(form, "fee", r.fee_received_on);
    form = with_date(form, "harm", r.serious_harm_given_on);
    form = with_date(form, "asked", Some(today()));
    form = with_date(form, "clarified", Some(today()));
    form = with_date(form, "told", Some(today()));
    form = with_date(form, "closed", Some(today()));
    // What the closure most often says, from the redaction review.
    if r.is_access() {
        if let Some(run) = run {
            form = form.with(
                "disclosed",
                format!(
                    "A copy of the record: {}, {}, redacted as set out in the redaction schedule",
                    crate::words::count(run.documents, "document"),
                    crate::words::count(run.pages, "page")
                ),
            );
            if run.accepted + run.undecided + run.manual > 0 {
                form = form
                    .with("withheld_1_description", format!("{} passage(s) about other people", run.accepted + run.undecided + run.manual))
                    .with("withheld_1_exemption", "third_party_information")
                    .with("withheld_1_reason", "Names, addresses and other details of people other than the patient, who have not consented to disclosure.");
            }
        }
    }
    form
}

#[allow(clippy::too_many_arguments)]
async fn render_request(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    submitted: Option<FormView>,
    notice: Option<String>,
) -> PageResult {
    let rt = rights(&state.steward);
    let s = &state.steward;
    let p = s
        .permit::<ops::Read>(&si.caller, Kind::RightsRequest, id)
        .await?;
    let r = rt.request(&p, today()).await?;
    let steps = rt.steps(&p).await?;
    let run = rt.latest_run(&si.caller, id).await?;
    let defaults = page_defaults(&r, &run);
    let form = match submitted {
        Some(posted) => overlay(defaults, posted),
        None => defaults,
    };
    let (admin_steps, clinician_steps) = steps.into_iter().partition(|st| st.role == "admin");
    let next_statuses = r
        .next_statuses
        .iter()
        .map(|c| Option_ {
            value: c.clone(),
            label: status_name(c).into(),
        })
        .collect();
    Ok((
        status_for(&form),
        render(&RequestView {
            ctx: ctx(si, &format!("{} {}", r.type_label, r.reference), &form),
            warnings: rt.namesake_warnings(&p).await?,
            documents: rt.documents(&si.caller, id).await?,
            outputs: rt.outputs(&si.caller, id).await?,
            history: s.history(&p).await?,
            attachments: s.attachments(&p).await?,
            comments: s.comments(&p).await?,
            evidence_kinds: options(&EVIDENCE_KINDS),
            exemptions: exemption_options(),
            is_clinician: steward_rights::requests::is_clinician(si.caller.role),
            max_mb: s.config.max_attachment_bytes / (1024 * 1024),
            next_statuses,
            admin_steps,
            clinician_steps,
            run,
            r,
            form,
            notice,
        }),
    )
        .into_response())
}

async fn request_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_request(&state, &si, &id, None, None).await
}

/// After a change: back to the request (to the section changed), or the page again with the
/// errors beside the fields.
async fn after<T>(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    f: &impl Serialize,
    result: Result<T, CoreError>,
    anchor: &str,
) -> PageResult {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/requests/{id}#{anchor}")).into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_request(state, si, id, Some(forms::shown_again(f, errors)), None).await
        }
        Err(CoreError::Conflict(m)) => {
            let mut errors = FieldErrors::default();
            errors.add(anchor, m);
            render_request(state, si, id, Some(forms::shown_again(f, errors)), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Identity, authority and fee: what starts the clock.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct StartEventsForm {
    identity_day: String,
    identity_month: String,
    identity_year: String,
    identity_evidence: String,
    authority_day: String,
    authority_month: String,
    authority_year: String,
    authority_evidence_kind: String,
    authority_evidence: String,
    fee_day: String,
    fee_month: String,
    fee_year: String,
}

async fn start_events(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<StartEventsForm>,
) -> PageResult {
    let input = StartEventsInput {
        identity_verified_on: forms::date_input(
            &f.identity_day,
            &f.identity_month,
            &f.identity_year,
        ),
        identity_evidence: f.identity_evidence.clone(),
        authority_received_on: forms::date_input(
            &f.authority_day,
            &f.authority_month,
            &f.authority_year,
        ),
        authority_evidence_kind: f.authority_evidence_kind.clone(),
        authority_evidence: f.authority_evidence.clone(),
        fee_received_on: forms::date_input(&f.fee_day, &f.fee_month, &f.fee_year),
    };
    let res = rights(&state.steward)
        .record_start_events(&si.caller, &id, &input, today())
        .await;
    after(&state, &si, &id, &f, res, "identity").await
}

/// Asking the requester to clarify (the clock pauses).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ClarificationForm {
    asked_day: String,
    asked_month: String,
    asked_year: String,
    question: String,
}

async fn ask_clarification(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ClarificationForm>,
) -> PageResult {
    let res = rights(&state.steward)
        .ask_for_clarification(
            &si.caller,
            &id,
            &forms::date_input(&f.asked_day, &f.asked_month, &f.asked_year),
            &f.question,
            today(),
        )
        .await;
    after(&state, &si, &id, &f, res, "clock").await
}

/// The clarification arrived (the clock runs again).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ClarifiedForm {
    clarified_day: String,
    clarified_month: String,
    clarified_year: String,
}

async fn clarification_received(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ClarifiedForm>,
) -> PageResult {
    let res = rights(&state.steward)
        .clarification_received(
            &si.caller,
            &id,
            &forms::date_input(&f.clarified_day, &f.clarified_month, &f.clarified_year),
            today(),
        )
        .await;
    after(&state, &si, &id, &f, res, "clock").await
}

/// Extending the deadline.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ExtensionForm {
    months: String,
    ground: String,
    reasons: String,
    told_day: String,
    told_month: String,
    told_year: String,
}

async fn extension(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ExtensionForm>,
) -> PageResult {
    let input = ExtensionInput {
        months: f.months.clone(),
        ground: f.ground.clone(),
        reasons: f.reasons.clone(),
        requester_told_on: forms::date_input(&f.told_day, &f.told_month, &f.told_year),
    };
    let res = rights(&state.steward)
        .extend(&si.caller, &id, &input, today())
        .await;
    after(&state, &si, &id, &f, res, "clock").await
}

/// Moving the request on.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct StatusForm {
    status: String,
}

async fn move_status(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    let res = rights(&state.steward)
        .move_request(&si.caller, &id, &f.status, today())
        .await;
    after(&state, &si, &id, &f, res, "status").await
}

/// A checklist step done, with an optional note.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct NoteForm {
    note: String,
}

async fn complete_step(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<NoteForm>,
) -> PageResult {
    let res = rights(&state.steward)
        .complete_step(&si.caller, &id, &step, &f.note, today())
        .await;
    after(&state, &si, &id, &f, res, "checklist").await
}

/// The clinician's review: serious harm, other providers, prohibited information.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ClinicianReviewForm {
    serious_harm_professional: String,
    harm_day: String,
    harm_month: String,
    harm_year: String,
    serious_harm_likely: String,
    other_providers_policy: String,
    other_providers: String,
    prohibited_information: String,
}

async fn clinician_review(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ClinicianReviewForm>,
) -> PageResult {
    let input = ClinicianReviewInput {
        serious_harm_professional: f.serious_harm_professional.clone(),
        serious_harm_given_on: forms::date_input(&f.harm_day, &f.harm_month, &f.harm_year),
        serious_harm_likely: f.serious_harm_likely.clone(),
        other_providers_policy: f.other_providers_policy.clone(),
        other_providers: f.other_providers.clone(),
        prohibited_information: f.prohibited_information.clone(),
    };
    let res = rights(&state.steward)
        .record_clinician_review(&si.caller, &id, &input, today())
        .await;
    after(&state, &si, &id, &f, res, "clinician").await
}

/// Another patient of the same name (its fields named apart from the subject's).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct NamesakeForm {
    namesake_forenames: String,
    namesake_surname: String,
    namesake_dob_day: String,
    namesake_dob_month: String,
    namesake_dob_year: String,
    namesake_address: String,
    namesake_postcode: String,
}

async fn add_namesake(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<NamesakeForm>,
) -> PageResult {
    let input = NamesakeInput {
        forenames: f.namesake_forenames.clone(),
        surname: f.namesake_surname.clone(),
        date_of_birth: forms::date_input(
            &f.namesake_dob_day,
            &f.namesake_dob_month,
            &f.namesake_dob_year,
        ),
        address: f.namesake_address.clone(),
        postcode: f.namesake_postcode.clone(),
    };
    let res = rights(&state.steward)
        .add_namesake(&si.caller, &id, &input, today())
        .await;
    after(&state, &si, &id, &f, res, "identity").await
}

/// A recipient told of a rectification, erasure or restriction.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct RecipientForm {
    recipient: String,
    notified_day: String,
    notified_month: String,
    notified_year: String,
    not_notified_reason: String,
}

async fn record_recipient(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<RecipientForm>,
) -> PageResult {
    let res = rights(&state.steward)
        .record_recipient(
            &si.caller,
            &id,
            &f.recipient,
            &forms::date_input(&f.notified_day, &f.notified_month, &f.notified_year),
            &f.not_notified_reason,
            today(),
        )
        .await;
    after(&state, &si, &id, &f, res, "recipients").await
}

/// Closing the request: the outcome, and up to three things withheld with their exemptions.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ClosureForm {
    outcome: String,
    refusal_reasons: String,
    closed_day: String,
    closed_month: String,
    closed_year: String,
    disclosed: String,
    withheld_1_description: String,
    withheld_1_exemption: String,
    withheld_1_reason: String,
    withheld_2_description: String,
    withheld_2_exemption: String,
    withheld_2_reason: String,
    withheld_3_description: String,
    withheld_3_exemption: String,
    withheld_3_reason: String,
    action_taken: String,
}

async fn close(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ClosureForm>,
) -> PageResult {
    let withheld = [
        (
            &f.withheld_1_description,
            &f.withheld_1_exemption,
            &f.withheld_1_reason,
        ),
        (
            &f.withheld_2_description,
            &f.withheld_2_exemption,
            &f.withheld_2_reason,
        ),
        (
            &f.withheld_3_description,
            &f.withheld_3_exemption,
            &f.withheld_3_reason,
        ),
    ]
    .into_iter()
    .map(|(description, exemption, reason)| WithheldInput {
        description: description.clone(),
        exemption: exemption.clone(),
        reason: reason.clone(),
    })
    .collect();
    let input = ClosureInput {
        outcome: f.outcome.clone(),
        refusal_reasons: f.refusal_reasons.clone(),
        closed_on: forms::date_input(&f.closed_day, &f.closed_month, &f.closed_year),
        disclosed: f.disclosed.clone(),
        withheld,
        action_taken: f.action_taken.clone(),
    };
    let res = rights(&state.steward)
        .close_request(&si.caller, &id, &input, today())
        .await;
    after(&state, &si, &id, &f, res, "outcome").await
}

fn download(filename: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    crate::views::download(bytes, content_type, filename)
}

pub async fn letter_bytes(
    state: &AppState,
    caller: &steward_core::Caller,
    id: &str,
    docx: bool,
) -> Result<(String, Vec<u8>), CoreError> {
    let p = state
        .steward
        .permit::<ops::Read>(caller, Kind::RightsRequest, id)
        .await?;
    let letter = rights(&state.steward).letter(caller, &p).await?;
    let reference = rights(&state.steward).request(&p, today()).await?.reference;
    let bytes = tokio::task::spawn_blocking(move || {
        if docx {
            steward_rights::render_letter_docx(&letter)
        } else {
            steward_rights::render_letter_pdf(&letter)
        }
    })
    .await
    .map_err(|e| CoreError::Internal(format!("letter task failed: {e}")))?
    .map_err(|e| CoreError::Internal(format!("letter could not be written: {e}")))?;
    Ok((
        format!(
            "{reference}-response-letter.{}",
            if docx { "docx" } else { "pdf" }
        ),
        bytes,
    ))
}

async fn letter_pdf(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let (name, bytes) = letter_bytes(&state, &si.caller, &id, false).await?;
    Ok(download(&name, "application/pdf", bytes))
}

async fn letter_docx(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let (name, bytes) = letter_bytes(&state, &si.caller, &id, true).await?;
    Ok(download(
        &name,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        bytes,
    ))
}

/// A comment on the request.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct CommentForm {
    body: String,
}

async fn add_comment(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> PageResult {
    let res = match state
        .steward
        .permit::<ops::Comment>(&si.caller, Kind::RightsRequest, &id)
        .await
    {
        Ok(p) => state.steward.add_comment(&si.caller, &p, &f.body).await,
        Err(e) => Err(e),
    };
    after(&state, &si, &id, &f, res, "comments").await
}

async fn read_file(mp: &mut Multipart) -> Result<Option<(String, Vec<u8>)>, CoreError> {
    let mut file = None;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| CoreError::invalid("file", "The file could not be read; try again"))?;
            if !name.is_empty() {
                file = Some((name, bytes.to_vec()));
            }
        }
    }
    Ok(file)
}

async fn add_attachment(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> PageResult {
    // The gate first: nothing of the body is read for a caller who may not attach.
    let p = state
        .steward
        .permit::<ops::Attach>(&si.caller, Kind::RightsRequest, &id)
        .await?;
    let res = match read_file(&mut mp).await {
        Ok(Some((name, bytes))) => state
            .steward
            .add_attachment(&si.caller, &p, &name, &bytes)
            .await
            .map(|_| ()),
        Ok(None) => Err(CoreError::invalid("attachment_file", "Select a file")),
        Err(e) => Err(e),
    };
    let res = res.map_err(|e| match e {
        CoreError::Invalid(fe) => CoreError::Invalid(FieldErrors(
            fe.0.into_iter()
                .map(|mut x| {
                    if x.field == "file" {
                        x.field = "attachment_file".into();
                    }
                    x
                })
                .collect(),
        )),
        other => other,
    });
    after(&state, &si, &id, &(), res, "attachments").await
}

async fn add_document(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> PageResult {
    let res = match read_file(&mut mp).await {
        Ok(Some((name, bytes))) => rights(&state.steward)
            .add_document(&si.caller, &id, &name, &bytes)
            .await
            .map(|_| ()),
        Ok(None) => Err(CoreError::invalid("file", "Select a file")),
        Err(e) => Err(e),
    };
    after(&state, &si, &id, &(), res, "redaction").await
}

async fn run_redaction(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    match rights(&state.steward).run_redaction(&si.caller, &id).await {
        Ok(_) => Ok(Redirect::to(&format!("/requests/{id}/review")).into_response()),
        Err(e @ (CoreError::Invalid(_) | CoreError::Conflict(_))) => {
            after(&state, &si, &id, &(), Err::<(), _>(e), "redaction").await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- redaction review ----

#[derive(Template)]
#[template(path = "rights_review.html")]
pub struct ReviewPage {
    pub ctx: PageCtx,
    pub r: RequestRecord,
    pub screen: ReviewScreen,
    pub form: FormView,
    pub reasons: Vec<Option_>,
    pub notice: Option<String>,
    /// Documents added after the last run: not in this review until it is run again.
    pub added_since: Vec<String>,
}

async fn render_review(
    state: &AppState,
    si: &SignedIn,
    id: &str,
    form: FormView,
    notice: Option<String>,
) -> PageResult {
    let rt = rights(&state.steward);
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::RightsRequest, id)
        .await?;
    let r = rt.request(&p, today()).await?;
    let Some(screen) = rt.review(&si.caller, id).await? else {
        return Ok(Redirect::to(&format!("/requests/{id}#redaction")).into_response());
    };
    let added_since = rt
        .documents(&si.caller, id)
        .await?
        .into_iter()
        .filter(|d| d.at > screen.run.at)
        .map(|d| d.filename)
        .collect();
    Ok((
        status_for(&form),
        render(&ReviewPage {
            ctx: ctx(si, &format!("Redaction review, {}", r.reference), &form),
            r,
            screen,
            form,
            reasons: options(&REASON_CODES),
            notice,
            added_since,
        }),
    )
        .into_response())
}

async fn review_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_review(
        &state,
        &si,
        &id,
        FormView::new().with("manual_reason", "third_party"),
        None,
    )
    .await
}

/// A decision on one proposed redaction, or on all those undecided (no note).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct DecisionForm {
    verdict: String,
    reason_code: String,
    note: String,
}

async fn decide(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, seq)): Path<(String, String)>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let seq: i64 = seq.parse().map_err(|_| CoreError::NotFound)?;
    let res = rights(&state.steward)
        .decide(&si.caller, &id, seq, &f.verdict, &f.reason_code, &f.note)
        .await;
    match res {
        // On to the next proposal: keyboard users carry on where they were.
        Ok(()) => Ok(Redirect::to(&format!("/requests/{id}/review#p{}", seq + 1)).into_response()),
        Err(CoreError::Invalid(errors)) => {
            let errors = FieldErrors(
                errors
                    .0
                    .into_iter()
                    .map(|mut e| {
                        e.field = format!("p{seq}");
                        e
                    })
                    .collect(),
            );
            render_review(&state, &si, &id, forms::shown_again(&f, errors), None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn decide_undecided(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    match rights(&state.steward)
        .decide_undecided(&si.caller, &id, &f.verdict, &f.reason_code)
        .await
    {
        Ok(n) => {
            render_review(
                &state,
                &si,
                &id,
                FormView::new().with("manual_reason", "third_party"),
                Some(format!(
                    "{} decided.",
                    crate::words::count(n as i64, "proposal")
                )),
            )
            .await
        }
        Err(CoreError::Invalid(errors)) => {
            render_review(&state, &si, &id, forms::shown_again(&f, errors), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Text the reviewer redacts by hand, wherever it appears.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ManualForm {
    manual_text: String,
    manual_reason: String,
    manual_note: String,
}

async fn add_manual(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ManualForm>,
) -> PageResult {
    match rights(&state.steward)
        .add_manual(
            &si.caller,
            &id,
            &f.manual_text,
            &f.manual_reason,
            &f.manual_note,
        )
        .await
    {
        Ok(n) => {
            render_review(
                &state,
                &si,
                &id,
                FormView::new().with("manual_reason", "third_party"),
                Some(format!(
                    "Redacted in {}.",
                    crate::words::count(n as i64, "place")
                )),
            )
            .await
        }
        Err(CoreError::Invalid(errors)) => {
            render_review(&state, &si, &id, forms::shown_again(&f, errors), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Producing the bundle: \"label\" shows each redaction's reason on the page.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct BundleForm {
    style: String,
}

async fn produce_bundle(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<BundleForm>,
) -> PageResult {
    let res = rights(&state.steward)
        .produce_bundle(&si.caller, &id, f.style == "label", today())
        .await;
    after(&state, &si, &id, &f, res, "bundle").await
}

async fn download_output(
    State(state): State<AppState>,
    si: SignedIn,
    Path((id, output)): Path<(String, String)>,
) -> PageResult {
    let (file, bytes) = rights(&state.steward)
        .download_output(&si.caller, &id, &output)
        .await?;
    Ok(download(&file.filename, &file.content_type, bytes))
}
