//! HTML pages. Each handler reads the form, calls one service function and renders the
//! result; on a validation error it re-renders the same form with the values kept.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use serde::Deserialize;
use steward_core::actions::{ActionInput, ActionQuery, ActionView};
use steward_core::auth::{new_totp_secret, totp_for, Pending};
use steward_core::orgs::NewUser;
use steward_core::time::date_from_parts;
use steward_core::trail::{TrailFilter, TRAIL_PAGE};
use steward_core::{ops, CoreError, FieldErrors, Kind, Op};

use crate::error::{PageError, PageResult};
use crate::routes::{Access, Routes};
use crate::session::{Pending2fa, SignedIn, Visitor, SESSION_COOKIE};
use crate::views::*;
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let action = |op| Record(Kind::Action, op);
    Routes::new()
        .get("/", SignedIn, dashboard)
        .get("/sign-in", Public, sign_in_page)
        .post("/sign-in", Public, sign_in)
        // The second factor: the handlers take the half-signed-in session themselves.
        .get("/sign-in/code", Public, code_page)
        .post("/sign-in/code", Public, code_submit)
        .get("/sign-in/second-factor", Public, enrol_page)
        .post("/sign-in/second-factor", Public, enrol_submit)
        .post("/sign-out", Public, sign_out)
        .get("/section/{name}", SignedIn, section)
        .get("/organisations", SignedIn, organisations)
        .post("/organisations/switch", SignedIn, switch_organisation)
        .get("/actions", Organisation(Kind::Action, Op::List), actions)
        .get(
            "/actions/new",
            Organisation(Kind::Action, Op::Create),
            new_action_page,
        )
        .post(
            "/actions/new",
            Organisation(Kind::Action, Op::Create),
            new_action,
        )
        .get("/actions/{id}", action(Op::Read), action_page)
        .get("/actions/{id}/edit", action(Op::Change), edit_action_page)
        .post("/actions/{id}/edit", action(Op::Change), edit_action)
        .get(
            "/actions/{id}/delete",
            action(Op::Delete),
            confirm_delete_action,
        )
        .post("/actions/{id}/delete", action(Op::Delete), delete_action)
        .post(
            "/records/{record_type}/{id}/comments",
            AnyRecord(Op::Comment),
            add_comment,
        )
        .upload(
            "/records/{record_type}/{id}/attachments",
            AnyRecord(Op::Attach),
            add_attachment,
        )
        .get("/attachments/{id}", Attachment, download_attachment)
        .get("/account", SignedIn, account)
        .post("/account/password", SignedIn, change_password)
        .post("/account/tokens", SignedIn, create_token)
        .post("/account/tokens/{token_id}/revoke", SignedIn, revoke_token)
        .post("/account/calendar", SignedIn, new_calendar_link)
        // The feed's secret in the address is its authentication (calendar apps cannot sign in).
        .get("/calendar/{token}", Public, calendar_feed)
        .get("/admin/users", ManageUsers, users)
        .post("/admin/users", ManageUsers, add_user)
        .get(
            "/admin/users/{user_id}/deactivate",
            ManageUsers,
            confirm_deactivate_user,
        )
        .post(
            "/admin/users/{user_id}/deactivate",
            ManageUsers,
            deactivate_user,
        )
        .post("/admin/users/{user_id}/reset-link", ManageUsers, reset_link)
        // A reset link's secret is its authentication.
        .get("/reset-password/{token}", Public, reset_page)
        .post("/reset-password/{token}", Public, reset_submit)
        .get("/audit-trail", AuditTrail, audit_trail)
        .get("/audit-trail.csv", AuditTrail, audit_trail_csv)
}

pub async fn not_found() -> Response {
    PageError::Core(CoreError::NotFound).into_response()
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The page frame every signed-in page shares: who, where, and which menu items they get.
pub(crate) fn ctx(si: &SignedIn, title: &str, nav: &'static str) -> PageCtx {
    let role = si.caller.role;
    PageCtx {
        title: title.into(),
        csrf: si.csrf.clone(),
        nav,
        user_name: Some(si.caller.display_name.clone()),
        role_label: role.label().into(),
        organisation_name: si.organisation_name.clone(),
        can_switch: si.caller.visible_organisation_ids.len() > 1 && role.can_read_records(),
        can_manage_users: role.can_manage_users(),
        can_read_trail: role.can_read_audit_trail(),
        can_write: role.can_write_records(),
        can_review_access: steward_access_review::can_review(role),
        has_errors: false,
        password_owed: si.must_change_password,
        flash: crate::flash::take(),
        privacy_notices: vec![],
    }
}

fn with_errors(mut ctx: PageCtx, form: &FormView) -> PageCtx {
    ctx.has_errors = form.has_errors();
    ctx
}

fn session_cookie(state: &AppState, token: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.web.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .expect("cookie is ASCII")
}

// ---- sign-in ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInForm {
    email: String,
    password: String,
}

/// The sign-in page's frame: its footer links to each published privacy notice.
async fn sign_in_ctx(state: &AppState, csrf: &str) -> PageCtx {
    PageCtx {
        privacy_notices: crate::registers_pages::privacy_notice_links(state).await,
        ..PageCtx::anonymous("Sign in", csrf)
    }
}

async fn sign_in_page(State(state): State<AppState>, v: Visitor, si: Option<SignedIn>) -> Response {
    if si.is_some() {
        return Redirect::to("/").into_response();
    }
    render(&SignInPage {
        ctx: sign_in_ctx(&state, &v.csrf).await,
        form: FormView::new(),
        notice: None,
    })
}

async fn sign_in(
    State(state): State<AppState>,
    v: Visitor,
    Form(f): Form<SignInForm>,
) -> PageResult {
    let form = FormView::new().with("email", &f.email);
    let mut errors = FieldErrors::default();
    if f.email.trim().is_empty() {
        errors.add("email", "Enter your email address");
    }
    if f.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    let result = if errors.is_empty() {
        state
            .steward
            .sign_in(&f.email, &f.password, &v.address)
            .await
    } else {
        Err(CoreError::Invalid(errors))
    };
    match result {
        Ok(signed) => {
            let to = match signed.pending {
                Pending::None => "/",
                Pending::Code => "/sign-in/code",
                Pending::Enrolment => "/sign-in/second-factor",
            };
            let mut res = Redirect::to(to).into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(&state, &signed.token, None),
            );
            Ok(res)
        }
        Err(CoreError::Invalid(errors)) => {
            let form = FormView { errors, ..form };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&SignInPage {
                    ctx: with_errors(sign_in_ctx(&state, &v.csrf).await, &form),
                    form,
                    notice: None,
                }),
            )
                .into_response())
        }
        Err(CoreError::RateLimited) => {
            let mut form = form;
            form.errors.add(
                "email",
                "Too many failed attempts. Wait 15 minutes, then try again.",
            );
            Ok((
                StatusCode::TOO_MANY_REQUESTS,
                render(&SignInPage {
                    ctx: with_errors(sign_in_ctx(&state, &v.csrf).await, &form),
                    form,
                    notice: None,
                }),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
    secret: String,
}

fn second_factor_page(p: &Pending2fa, form: FormView, secret: Option<String>) -> Response {
    let otpauth_url = secret
        .as_deref()
        .and_then(|s| totp_for(s, &p.caller.email).ok())
        .map(|t| t.get_url());
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        render(&SecondFactorPage {
            ctx: with_errors(PageCtx::anonymous("Second step of sign-in", &p.csrf), &form),
            form,
            secret,
            otpauth_url,
        }),
    )
        .into_response()
}

async fn code_page(p: Pending2fa) -> PageResult {
    if p.pending != Pending::Code {
        return Ok(Redirect::to("/sign-in/second-factor").into_response());
    }
    Ok(second_factor_page(&p, FormView::new(), None))
}

async fn code_submit(
    State(state): State<AppState>,
    p: Pending2fa,
    Form(f): Form<CodeForm>,
) -> PageResult {
    match state
        .steward
        .verify_second_factor(&p.token, &p.caller, &f.code)
        .await
    {
        // A new session id once the second factor is given.
        Ok(token) => {
            let mut res = Redirect::to("/").into_response();
            res.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&state, &token, None));
            Ok(res)
        }
        Err(CoreError::Invalid(errors)) => Ok(second_factor_page(
            &p,
            FormView {
                errors,
                ..Default::default()
            },
            None,
        )),
        Err(e) => Err(e.into()),
    }
}

async fn enrol_page(p: Pending2fa) -> PageResult {
    if p.pending != Pending::Enrolment {
        return Ok(Redirect::to("/sign-in/code").into_response());
    }
    Ok(second_factor_page(
        &p,
        FormView::new(),
        Some(new_totp_secret()),
    ))
}

async fn enrol_submit(
    State(state): State<AppState>,
    p: Pending2fa,
    Form(f): Form<CodeForm>,
) -> PageResult {
    if p.pending != Pending::Enrolment {
        return Ok(Redirect::to("/sign-in/code").into_response());
    }
    match state
        .steward
        .enrol_second_factor(&p.token, &p.caller, &f.secret, &f.code)
        .await
    {
        Ok(token) => {
            let mut res = Redirect::to("/").into_response();
            res.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&state, &token, None));
            Ok(res)
        }
        Err(CoreError::Invalid(errors)) => Ok(second_factor_page(
            &p,
            FormView {
                errors,
                ..Default::default()
            },
            Some(f.secret),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn sign_out(State(state): State<AppState>, si: SignedIn) -> PageResult {
    state.steward.sign_out(&si.token, &si.caller).await?;
    let mut res = Redirect::to("/sign-in").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, session_cookie(&state, "", Some(0)));
    Ok(res)
}

// ---- dashboard and organisations ----

/// A section of the menu: its destinations for this person, with what each is for.
async fn section(si: SignedIn, Path(name): Path<String>) -> PageResult {
    let Some(s) = crate::menu::SECTIONS.iter().find(|s| s.name == name) else {
        return Err(CoreError::NotFound.into());
    };
    let c = ctx(&si, s.label, s.name);
    let links: Vec<crate::menu::MenuLink> = c
        .menu()
        .into_iter()
        .filter(|i| i.section == s.name)
        .flat_map(|i| i.children)
        .collect();
    if links.is_empty() {
        return Err(CoreError::NotFound.into());
    }
    Ok(render(&SectionPage {
        ctx: c,
        heading: s.label.into(),
        intro: s.intro.into(),
        links,
    }))
}

async fn dashboard(State(state): State<AppState>, si: SignedIn) -> PageResult {
    if !si.caller.role.can_read_records() {
        return Ok(Redirect::to("/admin/users").into_response());
    }
    let (caller, org, day) = (&si.caller, &si.caller.current_organisation_id, today());
    let rights = steward_rights::requests::rights(&state.steward);
    let review = steward_access_review::AccessReview::new(state.steward.clone());
    // The four summaries are independent: asked at once, their trips to the database overlap.
    let (d, requests, audit, assurance) = tokio::try_join!(
        state.steward.dashboard(caller, org, day),
        rights.summary(caller, org, day),
        review.dashboard_summary(caller, org),
        steward_assurance::dashboard::summary(&state.steward, caller, org, day),
    )?;
    Ok(render(&DashboardPage {
        ctx: ctx(&si, "Dashboard", "home"),
        mine: d.mine,
        overdue: d.mine_overdue,
        due_soon: d.mine_due_soon,
        open_in_org: d.open_in_organisation,
        my_actions: d.next,
        today: day,
        requests,
        audit,
        assurance,
    }))
}

async fn organisations(State(state): State<AppState>, si: SignedIn) -> PageResult {
    if si.caller.visible_organisation_ids.len() < 2 {
        return Err(CoreError::Forbidden.into());
    }
    Ok(render(&OrganisationsPage {
        ctx: ctx(&si, "Organisations", "organisations"),
        organisations: state.steward.organisations(&si.caller).await?,
        current: si.caller.current_organisation_id.clone(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SwitchForm {
    organisation_id: String,
}

async fn switch_organisation(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<SwitchForm>,
) -> PageResult {
    state
        .steward
        .switch_organisation(&si.token, &si.caller, &f.organisation_id)
        .await?;
    Ok(Redirect::to("/").into_response())
}

// ---- actions ----

/// List filters as typed in the address bar: anything unreadable falls back to the default.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    view: String,
    status: String,
    sort: String,
    page: String,
    /// "" the organisation being worked in, "all" the cluster, or one organisation's id.
    organisation: String,
}

async fn actions(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let view = match q.view.as_str() {
        "mine" => ActionView::Mine,
        "overdue" => ActionView::Overdue,
        _ => ActionView::All,
    };
    let query = ActionQuery {
        view: Some(view),
        status: Some(q.status.clone()).filter(|s| !s.is_empty()),
        sort: Some(q.sort.clone()).filter(|s| !s.is_empty()),
        page: q.page.parse().ok(),
        ..Default::default()
    };
    let orgs = org_filter(&state.steward, &si.caller, &q.organisation).await?;
    let permits = state
        .steward
        .permit_lists(&si.caller, Kind::Action, &q.organisation)?;
    let page = state
        .steward
        .actions_in(&si.caller, &permits, &query, today())
        .await?;
    let (heading, view_s) = match view {
        ActionView::Mine => ("My actions", "mine"),
        ActionView::Overdue => ("Overdue actions", "overdue"),
        ActionView::All => ("Actions", "all"),
    };
    Ok(render(&ActionsPage {
        ctx: ctx(&si, heading, "actions"),
        heading: heading.into(),
        page,
        current_organisation: si.caller.current_organisation_id.clone(),
        orgs,
        view: view_s.into(),
        status: q.status,
        sort: if q.sort.is_empty() {
            "due_date".into()
        } else {
            q.sort
        },
        today: today(),
    }))
}

#[derive(Deserialize, serde::Serialize, Default, Clone)]
#[serde(default)]
struct ActionForm {
    title: String,
    description: String,
    owner_id: String,
    due_day: String,
    due_month: String,
    due_year: String,
    status: String,
    version: String,
    source_record_type: String,
    source_record_id: String,
}

impl ActionForm {
    fn input(&self) -> ActionInput {
        let due_date = crate::forms::date_input(&self.due_day, &self.due_month, &self.due_year);
        ActionInput {
            title: self.title.clone(),
            description: self.description.clone(),
            owner_id: self.owner_id.clone(),
            due_date,
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            source_record_type: Some(self.source_record_type.clone()).filter(|s| !s.is_empty()),
            source_record_id: Some(self.source_record_id.clone()).filter(|s| !s.is_empty()),
        }
    }

    fn view(&self) -> FormView {
        FormView::of(self)
    }
}

async fn action_form(
    state: &AppState,
    si: &SignedIn,
    title: &str,
    form: FormView,
    action_id: Option<String>,
    organisation_id: &str,
) -> PageResult {
    let people = state
        .steward
        .assignable_people(&si.caller, organisation_id)
        .await?;
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render(&ActionFormPage {
            ctx: with_errors(ctx(si, title, "actions"), &form),
            form,
            action_id,
            people: people_options(&people),
            statuses: status_options(),
        }),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SourceQuery {
    source_record_type: String,
    source_record_id: String,
}

async fn new_action_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<SourceQuery>,
) -> PageResult {
    si.caller
        .require_write(&si.caller.current_organisation_id)?;
    let form = ActionForm {
        owner_id: si.caller.user_id.clone(),
        source_record_type: q.source_record_type,
        source_record_id: q.source_record_id,
        ..Default::default()
    };
    let org = si.caller.current_organisation_id.clone();
    action_form(&state, &si, "Add an action", form.view(), None, &org).await
}

async fn new_action(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match state
        .steward
        .create_action(&si.caller, &org, &f.input())
        .await
    {
        Ok(a) => Ok(Redirect::to(&format!("/actions/{}", a.id)).into_response()),
        Err(CoreError::Invalid(errors)) => {
            action_form(
                &state,
                &si,
                "Add an action",
                FormView { errors, ..f.view() },
                None,
                &org,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn render_action(state: &AppState, si: &SignedIn, id: &str, form: FormView) -> PageResult {
    let s = &state.steward;
    let p = s.permit::<ops::Read>(&si.caller, Kind::Action, id).await?;
    let action = s.action(&p).await?;
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render(&ActionPageView {
            ctx: with_errors(ctx(si, &action.title, "actions"), &form),
            history: s.history(&p).await?,
            attachments: s.attachments(&p).await?,
            comments: s.comments(&p).await?,
            linked: s.linked_actions(&p).await?,
            action,
            form,
            today: today(),
            max_mb: s.config.max_attachment_bytes / (1024 * 1024),
        }),
    )
        .into_response())
}

async fn action_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    render_action(&state, &si, &id, FormView::new()).await
}

async fn edit_action_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::Action, &id)
        .await?;
    let a = state.steward.action(&p.as_read()).await?;
    let form = FormView::new()
        .with("title", &a.title)
        .with("description", &a.description)
        .with("owner_id", &a.owner_id)
        .with("due_day", a.due_date.format("%-d").to_string())
        .with("due_month", a.due_date.format("%-m").to_string())
        .with("due_year", a.due_date.format("%Y").to_string())
        .with("status", a.status.as_str())
        .with("version", a.version.to_string())
        .with(
            "source_record_type",
            a.source_record_type.clone().unwrap_or_default(),
        )
        .with(
            "source_record_id",
            a.source_record_id.clone().unwrap_or_default(),
        );
    action_form(
        &state,
        &si,
        "Change action",
        form,
        Some(id),
        &a.organisation_id,
    )
    .await
}

async fn edit_action(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let expected = f.version.parse().ok();
    match state
        .steward
        .update_action(&si.caller, &id, &f.input(), expected)
        .await
    {
        Ok(a) => Ok(Redirect::to(&format!("/actions/{}", a.id)).into_response()),
        Err(e @ (CoreError::Invalid(_) | CoreError::Conflict(_))) => {
            let errors = match e {
                CoreError::Invalid(errors) => errors,
                other => {
                    let mut fe = FieldErrors::default();
                    fe.add("title", other.to_string());
                    fe
                }
            };
            let p = state
                .steward
                .permit::<ops::Change>(&si.caller, Kind::Action, &id)
                .await?;
            let org = p.organisation_id().to_string();
            action_form(
                &state,
                &si,
                "Change action",
                FormView { errors, ..f.view() },
                Some(id),
                &org,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn confirm_delete_action(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let s = &state.steward;
    let p = s.permit::<ops::Read>(&si.caller, Kind::Action, &id).await?;
    let a = s.action(&p).await?;
    Ok(render(&crate::views::ConfirmPage {
        ctx: ctx(
            &si,
            "Are you sure you want to delete this action?",
            "actions",
        ),
        what: format!(
            "The action “{}” will be deleted. Its history stays in the audit trail.",
            a.title
        ),
        action: format!("/actions/{id}/delete"),
        button: "Yes, delete this action".into(),
        cancel: format!("/actions/{id}"),
    }))
}

async fn delete_action(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    state.steward.delete_action(&si.caller, &id).await?;
    Ok(Redirect::to("/actions").into_response())
}

// ---- comments and attachments (any record type) ----

/// The page of a record of any kind: where a comment or an attachment goes back to. A new
/// kind does not compile until it has a page.
pub fn record_page(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Action => format!("/actions/{id}"),
        Kind::RightsRequest => format!("/requests/{id}"),
        Kind::AccessAuditRun => format!("/access-audit/runs/{id}"),
        Kind::AccessAuditCase => format!("/access-audit/cases/{id}"),
        Kind::AccessAuditSample => format!("/access-audit/samples/{id}"),
        Kind::Incident | Kind::IncidentLesson => format!("/incidents/{id}"),
        Kind::Risk => format!("/risks/{id}"),
        Kind::ClusterUpdate => format!("/cluster-updates/{id}"),
        Kind::ComplianceAudit => format!("/compliance-audits/{id}"),
        Kind::ActionRound => format!("/action-rounds/{id}"),
        Kind::DpiaScreening => format!("/dpia-screenings/{id}"),
        Kind::Dpia | Kind::DpiaSignOff => format!("/dpias/{id}"),
        Kind::DpiaAdoption => format!("/dpia-adoptions/{id}"),
        Kind::TrainingRecord => format!("/training/{id}"),
        Kind::Policy | Kind::PolicyAcknowledgement => format!("/policies/{id}"),
        Kind::RetentionReview => format!("/retention/reviews/{id}"),
        Kind::Destruction => format!("/destructions/{id}"),
        Kind::ToolkitEvidence => format!("/toolkit/evidence/{id}"),
        Kind::ContinuityPlan => format!("/continuity/{id}"),
        Kind::NonDirectCareProcessing => format!("/opt-out/{id}"),
        Kind::PrivacyNotice => format!("/privacy-notices/{id}"),
        // The staff list has no page per name: its organisation's details page.
        Kind::StaffListEntry => "/organisation".to_string(),
        Kind::ProcessingActivity
        | Kind::ActivityTemplate
        | Kind::InformationAsset
        | Kind::SharingPartner
        | Kind::SharingAgreement
        | Kind::Processor
        | Kind::SharingProject => crate::registers_pages::entry_page(kind, id),
    }
}

fn record_url(kind: &str, id: &str) -> Result<String, PageError> {
    Kind::parse(kind)
        .map(|k| record_page(k, id))
        .ok_or_else(|| CoreError::NotFound.into())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CommentForm {
    body: String,
}

async fn add_comment(
    State(state): State<AppState>,
    si: SignedIn,
    Path((kind, id)): Path<(String, String)>,
    Form(f): Form<CommentForm>,
) -> PageResult {
    let url = record_url(&kind, &id)?;
    let p = state
        .steward
        .permit_code::<ops::Comment>(&si.caller, &kind, &id)
        .await?;
    match state.steward.add_comment(&si.caller, &p, &f.body).await {
        Ok(()) => Ok(Redirect::to(&url).into_response()),
        // Actions take comments on this route; other kinds have their own pages and forms.
        Err(CoreError::Invalid(errors)) if p.kind() == Kind::Action => {
            render_action(
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

async fn add_attachment(
    State(state): State<AppState>,
    si: SignedIn,
    Path((kind, id)): Path<(String, String)>,
    mut mp: Multipart,
) -> PageResult {
    let url = record_url(&kind, &id)?;
    // The gate first: nothing of the body is read for a caller who may not attach.
    let p = state
        .steward
        .permit_code::<ops::Attach>(&si.caller, &kind, &id)
        .await?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| CoreError::invalid("file", "The file could not be read; try again"))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let result = match file {
        Some((name, bytes)) if !name.is_empty() => state
            .steward
            .add_attachment(&si.caller, &p, &name, &bytes)
            .await
            .map(|_| ()),
        _ => Err(CoreError::invalid("file", "Select a file")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&url).into_response()),
        Err(CoreError::Invalid(errors)) if p.kind() == Kind::Action => {
            render_action(
                &state,
                &si,
                &id,
                FormView {
                    errors,
                    ..FormView::new()
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn download_attachment(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let (att, bytes) = state.steward.download_attachment(&si.caller, &id).await?;
    attachment_response(att, bytes)
}

pub fn attachment_response(att: steward_core::records::Attachment, bytes: Vec<u8>) -> PageResult {
    Ok(crate::views::download(
        bytes,
        &att.content_type,
        &att.filename,
    ))
}

// ---- account ----

async fn account_page(
    state: &AppState,
    si: &SignedIn,
    form: FormView,
    shown_once: Option<(String, String)>,
    notice: Option<String>,
) -> PageResult {
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render(&AccountPage {
            ctx: with_errors(ctx(si, "Your account", "account"), &form),
            form,
            tokens: state.steward.api_tokens(&si.caller).await?,
            shown_once,
            notice,
            password_owed: si.must_change_password,
        }),
    )
        .into_response())
}

async fn account(State(state): State<AppState>, si: SignedIn) -> PageResult {
    account_page(&state, &si, FormView::new(), None, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    match state
        .steward
        .change_password(
            Some(&si.token),
            &si.caller,
            &f.current_password,
            &f.new_password,
            &f.confirm_password,
        )
        .await
    {
        Ok(()) => {
            let si = SignedIn {
                must_change_password: false,
                ..si
            };
            account_page(
                &state,
                &si,
                FormView::new(),
                None,
                Some(
                    "Your password has been changed. Your other sessions have been signed out."
                        .into(),
                ),
            )
            .await
        }
        Err(CoreError::Invalid(errors)) => {
            account_page(
                &state,
                &si,
                FormView {
                    errors,
                    ..FormView::new()
                },
                None,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    name: String,
    expires_day: String,
    expires_month: String,
    expires_year: String,
}

impl TokenForm {
    /// The expiry date: none when left blank, an error when it is not a real date.
    fn expires_on(&self) -> Result<Option<chrono::NaiveDate>, CoreError> {
        let parts = [&self.expires_day, &self.expires_month, &self.expires_year];
        if parts.iter().all(|p| p.trim().is_empty()) {
            return Ok(None);
        }
        date_from_parts(&self.expires_day, &self.expires_month, &self.expires_year)
            .map(Some)
            .ok_or_else(|| {
                CoreError::invalid(
                    "expires_on",
                    "Enter a real expiry date, for example 31 3 2027, or leave it blank",
                )
            })
    }
}

async fn create_token(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<TokenForm>,
) -> PageResult {
    let created = match f.expires_on() {
        Ok(expires_on) => {
            state
                .steward
                .create_api_token(&si.caller, &f.name, expires_on)
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok((_, token)) => {
            account_page(
                &state,
                &si,
                FormView::new(),
                Some(("Your new API token".into(), token)),
                None,
            )
            .await
        }
        Err(CoreError::Invalid(errors)) => {
            account_page(
                &state,
                &si,
                FormView {
                    errors,
                    ..FormView::new()
                        .with("name", f.name)
                        .with("expires_day", f.expires_day)
                        .with("expires_month", f.expires_month)
                        .with("expires_year", f.expires_year)
                },
                None,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    state.steward.revoke_api_token(&si.caller, &id).await?;
    account_page(
        &state,
        &si,
        FormView::new(),
        None,
        Some("The token has been revoked.".into()),
    )
    .await
}

async fn new_calendar_link(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let token = state.steward.new_calendar_token(&si.caller).await?;
    let url = format!(
        "{}/calendar/{token}.ics",
        state.steward.config.base_url.trim_end_matches('/')
    );
    account_page(
        &state,
        &si,
        FormView::new(),
        Some(("Your calendar link".into(), url)),
        None,
    )
    .await
}

async fn calendar_feed(State(state): State<AppState>, Path(token): Path<String>) -> PageResult {
    let token = token.trim_end_matches(".ics");
    let user = state.steward.user_for_calendar_token(token).await?;
    let body = state.steward.calendar_feed(&user.id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response())
}

// ---- administration ----

async fn users_page(
    state: &AppState,
    si: &SignedIn,
    form: FormView,
    notice: Option<String>,
) -> PageResult {
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render(&UsersPage {
            ctx: with_errors(ctx(si, "Users", "users"), &form),
            users: state.steward.users(&si.caller).await?,
            form,
            organisations: state.steward.organisations(&si.caller).await?,
            roles: role_options(),
            notice,
        }),
    )
        .into_response())
}

async fn users(State(state): State<AppState>, si: SignedIn) -> PageResult {
    users_page(&state, &si, FormView::new(), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserForm {
    email: String,
    display_name: String,
    role: String,
    organisation_id: String,
    password: String,
}

async fn add_user(
    State(state): State<AppState>,
    si: SignedIn,
    Form(f): Form<UserForm>,
) -> PageResult {
    let new = NewUser {
        email: f.email.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        organisation_id: f.organisation_id.clone(),
        password: f.password.clone(),
    };
    match state.steward.add_user(Some(&si.caller), &new).await {
        Ok(u) => {
            users_page(
                &state,
                &si,
                FormView::new(),
                Some(format!(
                    "{} has been added. They choose their own password when they first sign in.",
                    u.email
                )),
            )
            .await
        }
        Err(CoreError::Invalid(errors)) => {
            let form = FormView::new()
                .with("email", f.email)
                .with("display_name", f.display_name)
                .with("role", f.role)
                .with("organisation_id", f.organisation_id);
            users_page(&state, &si, FormView { errors, ..form }, None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn confirm_deactivate_user(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let u = state.steward.managed_user(&si.caller, &id).await?;
    Ok(render(&crate::views::ConfirmPage {
        ctx: ctx(
            &si,
            &format!("Are you sure you want to deactivate {}?", u.display_name),
            "users",
        ),
        what: format!(
            "{} ({}) will no longer be able to sign in; their sessions and API tokens end now.",
            u.display_name, u.email
        ),
        action: format!("/admin/users/{id}/deactivate"),
        button: "Yes, deactivate this account".into(),
        cancel: "/admin/users".into(),
    }))
}

async fn deactivate_user(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let u = state.steward.managed_user(&si.caller, &id).await?;
    state.steward.deactivate_user(Some(&si.caller), &id).await?;
    users_page(
        &state,
        &si,
        FormView::new(),
        Some(format!(
            "{} has been deactivated; their sessions and API tokens have ended.",
            u.email
        )),
    )
    .await
}

async fn reset_link(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let u = state.steward.managed_user(&si.caller, &id).await?;
    let token = state
        .steward
        .issue_password_reset(&si.caller.email, &id)
        .await?;
    let url = format!(
        "{}/reset-password/{token}",
        state.steward.config.base_url.trim_end_matches('/')
    );
    users_page(
        &state,
        &si,
        FormView::new(),
        Some(format!(
            "Send this one-time link to {} (valid for 24 hours): {url}",
            u.email
        )),
    )
    .await
}

async fn reset_page(
    State(state): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
) -> PageResult {
    state.steward.check_password_reset(&token).await?;
    Ok(render(&ResetPasswordPage {
        ctx: PageCtx::anonymous("Choose a new password", &v.csrf),
        form: FormView::new(),
        token,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetForm {
    new_password: String,
    confirm_password: String,
}

async fn reset_submit(
    State(state): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
    Form(f): Form<ResetForm>,
) -> PageResult {
    match state
        .steward
        .complete_password_reset(&token, &f.new_password, &f.confirm_password, &v.address)
        .await
    {
        Ok(()) => Ok(render(&SignInPage {
            ctx: sign_in_ctx(&state, &v.csrf).await,
            form: FormView::new(),
            notice: Some("Your password has been set. Sign in with it now.".into()),
        })),
        Err(CoreError::Invalid(errors)) => {
            let form = FormView {
                errors,
                ..FormView::new()
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&ResetPasswordPage {
                    ctx: with_errors(PageCtx::anonymous("Choose a new password", &v.csrf), &form),
                    form,
                    token,
                }),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- audit trail ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct TrailQuery {
    user: String,
    organisation_id: String,
    record_id: String,
    from: String,
    to: String,
    page: String,
}

impl TrailQuery {
    fn filter(&self) -> TrailFilter {
        let some = |s: &String| Some(s.clone()).filter(|s| !s.trim().is_empty());
        TrailFilter {
            user: some(&self.user),
            organisation_id: some(&self.organisation_id),
            record_id: some(&self.record_id),
            from: some(&self.from),
            to: some(&self.to),
        }
    }
    fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("user", &self.user),
            ("organisation_id", &self.organisation_id),
            ("record_id", &self.record_id),
            ("from", &self.from),
            ("to", &self.to),
        ])
        .unwrap_or_default()
    }
}

async fn audit_trail(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<TrailQuery>,
) -> PageResult {
    si.caller.require_audit_trail()?;
    let asked: i64 = q.page.parse().unwrap_or(1).clamp(1, i64::MAX / TRAIL_PAGE);
    let (mut rows, total) = state
        .steward
        .trail(
            &si.caller,
            &q.filter(),
            (asked - 1) * TRAIL_PAGE,
            Some(TRAIL_PAGE),
        )
        .await?;
    // Past the last page: show the last page.
    let last = ((total + TRAIL_PAGE - 1) / TRAIL_PAGE).max(1);
    let page = asked.min(last);
    if page != asked {
        rows = state
            .steward
            .trail(
                &si.caller,
                &q.filter(),
                (page - 1) * TRAIL_PAGE,
                Some(TRAIL_PAGE),
            )
            .await?
            .0;
    }
    let form = FormView::new()
        .with("user", &q.user)
        .with("organisation_id", &q.organisation_id)
        .with("record_id", &q.record_id)
        .with("from", &q.from)
        .with("to", &q.to);
    Ok(render(&AuditTrailPage {
        ctx: ctx(&si, "Audit trail", "trail"),
        rows,
        total,
        form,
        page,
        pages: last,
        query: q.query_string(),
        organisations: state.steward.organisations(&si.caller).await?,
    }))
}

async fn audit_trail_csv(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<TrailQuery>,
) -> PageResult {
    let csv = state.steward.trail_csv(&si.caller, &q.filter()).await?;
    Ok(crate::views::download(
        csv,
        "text/csv; charset=utf-8",
        "audit-trail.csv",
    ))
}
