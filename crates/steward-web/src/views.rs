//! View models and the one form pattern: a form re-renders with the values the person
//! typed, an error summary at the top and each message beside its field.

use std::collections::HashMap;

#[allow(unused_imports)]
use crate::words::filters;

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use steward_core::actions::{Action, ActionPage, ActionStatus, Person, ALL_STATUSES};
use steward_core::orgs::{Organisation, User};
use steward_core::records::{Attachment, Comment, Version};
use steward_core::roles::ALL_ROLES;
use steward_core::trail::TrailRow;
use steward_core::FieldErrors;

pub fn render<T: Template>(t: &T) -> Response {
    // Room for a whole page from the start: askama's own size hint counts a loop's body
    // once, so a long page (a DPIA of 160 KB) grew its buffer, and copied it, eight times.
    let mut html = String::with_capacity(T::SIZE_HINT.max(64 * 1024));
    match t.render_into(&mut html) {
        Ok(()) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "template error",
            )
                .into_response()
        }
    }
}

/// What the layout needs on every page.
#[derive(Default, Clone)]
pub struct PageCtx {
    pub title: String,
    pub csrf: String,
    /// Which navigation item is current.
    pub nav: &'static str,
    pub user_name: Option<String>,
    pub role_label: String,
    pub organisation_name: String,
    pub can_switch: bool,
    pub can_manage_users: bool,
    pub can_read_trail: bool,
    pub can_write: bool,
    /// Access audit is for those who review it, not for the staff being audited.
    pub can_review_access: bool,
    pub has_errors: bool,
    /// The person must choose their own password first: no menu.
    pub password_owed: bool,
    /// What the last form did, shown once in a success banner (see [`crate::flash`]).
    pub flash: Option<String>,
    /// The sign-in page's footer: one link per organisation with a published privacy
    /// notice, (organisation name, code). Empty elsewhere: the footer links to the list.
    pub privacy_notices: Vec<(String, String)>,
}

impl PageCtx {
    /// The header menu for this person (see [`crate::menu`]).
    pub fn menu(&self) -> Vec<crate::menu::MenuItem> {
        crate::menu::menu(self)
    }

    pub fn anonymous(title: &str, csrf: &str) -> PageCtx {
        PageCtx {
            title: title.into(),
            csrf: csrf.into(),
            ..Default::default()
        }
    }
}

/// Submitted values and their errors.
#[derive(Default, Clone)]
pub struct FormView {
    pub values: HashMap<String, String>,
    pub errors: FieldErrors,
}

impl FormView {
    pub fn new() -> FormView {
        FormView::default()
    }
    /// The submitted values of a form struct whose fields are all strings, as typed.
    pub fn of<T: serde::Serialize>(form: &T) -> FormView {
        let values = match serde_json::to_value(form) {
            Ok(serde_json::Value::Object(fields)) => fields
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                .collect(),
            _ => HashMap::new(),
        };
        FormView {
            values,
            errors: FieldErrors::default(),
        }
    }
    pub fn with(mut self, name: &str, value: impl Into<String>) -> FormView {
        self.values.insert(name.into(), value.into());
        self
    }
    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
    /// One part of a composite field, e.g. ("due", "_day").
    pub fn part(&self, prefix: &str, suffix: &str) -> &str {
        self.value(&format!("{prefix}{suffix}"))
    }
    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors.get(name)
    }
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    pub fn selected(&self, name: &str, value: &str) -> bool {
        self.value(name) == value
    }
    /// The id of the input an error summary link should focus: for a date typed in boxes
    /// named after its field (`<field>_day`, ...), the first box that is wrong.
    pub fn anchor(&self, field: &str) -> String {
        if field == "due_date" {
            return "due_day".into();
        }
        if self.values.contains_key(&format!("{field}_day")) {
            let wrong = self.wrong_boxes(field);
            let part = ["_day", "_month", "_year"]
                .iter()
                .zip(wrong)
                .find(|(_, w)| *w)
                .map(|(p, _)| *p)
                .unwrap_or("_day");
            return format!("{field}{part}");
        }
        field.into()
    }
    fn wrong_boxes(&self, prefix: &str) -> [bool; 3] {
        crate::forms::wrong_date_boxes(
            self.part(prefix, "_day"),
            self.part(prefix, "_month"),
            self.part(prefix, "_year"),
        )
    }
    /// Whether one box of a date (`part`: "_day", "_month" or "_year") shows the error of
    /// the field `name`: only the box that is wrong, as the NHS.UK date input does.
    pub fn date_box_wrong(&self, name: &str, prefix: &str, part: &str) -> bool {
        if self.error(name).is_none() {
            return false;
        }
        let i = match part {
            "_day" => 0,
            "_month" => 1,
            _ => 2,
        };
        self.wrong_boxes(prefix)[i]
    }
}

#[derive(Clone, Debug)]
pub struct Option_ {
    pub value: String,
    pub label: String,
}

/// Select options from (value, label) pairs.
pub fn options<'a>(list: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Option_> {
    list.into_iter()
        .map(|(v, l)| Option_ {
            value: v.into(),
            label: l.into(),
        })
        .collect()
}

/// A form page answers 422 while it shows errors, 200 otherwise.
pub fn status_for(form: &FormView) -> axum::http::StatusCode {
    if form.has_errors() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    }
}

pub fn status_options() -> Vec<Option_> {
    ALL_STATUSES
        .iter()
        .map(|s| Option_ {
            value: s.as_str().into(),
            label: s.label().into(),
        })
        .collect()
}

pub fn role_options() -> Vec<Option_> {
    ALL_ROLES
        .iter()
        .map(|r| Option_ {
            value: r.as_str().into(),
            label: r.label().into(),
        })
        .collect()
}

pub fn people_options(people: &[Person]) -> Vec<Option_> {
    people
        .iter()
        .map(|p| Option_ {
            value: p.id.clone(),
            label: p.display_name.clone(),
        })
        .collect()
}

pub fn status_tag(s: &ActionStatus) -> &'static str {
    match s {
        ActionStatus::Open => "nhsuk-tag--blue",
        ActionStatus::InProgress => "nhsuk-tag--yellow",
        ActionStatus::Done => "nhsuk-tag--green",
        ActionStatus::Cancelled => "nhsuk-tag--grey",
    }
}

pub fn long_date(d: &chrono::NaiveDate) -> String {
    steward_core::time::long_date(*d)
}

pub fn long_stamp(s: &str) -> String {
    steward_core::time::long_stamp(s)
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    pub message: String,
}

pub fn error_page(title: &str, message: impl Into<String>) -> ErrorPage {
    ErrorPage {
        ctx: PageCtx::anonymous(title, ""),
        message: message.into(),
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
pub struct SecondFactorPage {
    pub ctx: PageCtx,
    pub form: FormView,
    /// Present when enrolling: the new secret to add to an authenticator app.
    pub secret: Option<String>,
    pub otpauth_url: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub ctx: PageCtx,
    pub mine: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub open_in_org: i64,
    pub my_actions: Vec<Action>,
    pub today: chrono::NaiveDate,
    /// Rights requests of the current organisation: open, overdue, due soon, paused.
    pub requests: steward_rights::requests::RequestSummary,
    /// Access-audit cases to review (None for roles that do not review access).
    pub audit: Option<steward_access_review::cases::AuditSummary>,
    /// Risks above appetite, incidents, audit findings; the cluster for the DPO at home.
    pub assurance: Option<steward_assurance::dashboard::Summary>,
}

#[derive(Template)]
#[template(path = "organisations.html")]
pub struct OrganisationsPage {
    pub ctx: PageCtx,
    pub organisations: Vec<Organisation>,
    pub current: String,
}

#[derive(Template)]
#[template(path = "actions.html")]
pub struct ActionsPage {
    pub ctx: PageCtx,
    pub heading: String,
    pub page: ActionPage,
    pub view: String,
    pub status: String,
    pub sort: String,
    pub today: chrono::NaiveDate,
    pub orgs: OrgFilter,
    pub current_organisation: String,
}

impl ActionsPage {
    pub fn link(&self, page: i64) -> String {
        format!(
            "/actions?view={}&status={}&sort={}&page={page}{}",
            self.view,
            self.status,
            self.sort,
            self.orgs.query()
        )
    }
    /// Rows from more than one organisation: say which.
    pub fn across(&self) -> bool {
        self.view == "mine" || self.orgs.across()
    }
    pub fn sort_link(&self, field: &str) -> String {
        let sort = if self.sort == field {
            format!("-{field}")
        } else {
            field.to_string()
        };
        format!(
            "/actions?view={}&status={}&sort={sort}{}",
            self.view,
            self.status,
            self.orgs.query()
        )
    }
}

#[derive(Template)]
#[template(path = "action_form.html")]
pub struct ActionFormPage {
    pub ctx: PageCtx,
    pub form: FormView,
    /// None when creating.
    pub action_id: Option<String>,
    pub people: Vec<Option_>,
    pub statuses: Vec<Option_>,
}

#[derive(Template)]
#[template(path = "action.html")]
pub struct ActionPageView {
    pub ctx: PageCtx,
    pub action: Action,
    pub history: Vec<Version>,
    pub attachments: Vec<Attachment>,
    pub comments: Vec<Comment>,
    pub linked: Vec<Action>,
    pub form: FormView,
    pub today: chrono::NaiveDate,
    pub max_mb: usize,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub tokens: Vec<steward_core::auth::ApiToken>,
    /// A secret shown once (new API token or calendar link).
    pub shown_once: Option<(String, String)>,
    pub notice: Option<String>,
    /// The password was set by an administrator: only the password form is offered.
    pub password_owed: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub ctx: PageCtx,
    pub users: Vec<User>,
    pub form: FormView,
    pub organisations: Vec<Organisation>,
    pub roles: Vec<Option_>,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
pub struct ResetPasswordPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub token: String,
}

#[derive(Template)]
#[template(path = "audit_trail.html")]
pub struct AuditTrailPage {
    pub ctx: PageCtx,
    pub rows: Vec<TrailRow>,
    pub total: i64,
    pub form: FormView,
    pub page: i64,
    pub pages: i64,
    pub query: String,
    pub organisations: Vec<Organisation>,
}

/// A destructive action asks first, on a page of its own: what will happen, a warning
/// button that does it, and a way back.
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub ctx: PageCtx,
    pub what: String,
    pub action: String,
    pub button: String,
    pub cancel: String,
}

/// A section of the menu: what is in it.
#[derive(Template)]
#[template(path = "section.html")]
pub struct SectionPage {
    pub ctx: PageCtx,
    pub heading: String,
    pub intro: String,
    pub links: Vec<crate::menu::MenuLink>,
}

/// The organisation filter of a list: whoever sees more than one organisation (the DPO) can
/// list the whole cluster, with an organisation column, without switching organisation.
/// Each organisation still goes through the gate (`Steward::permit_lists`).
#[derive(Clone, Default)]
pub struct OrgFilter {
    /// As the address has it: "" (the organisation being worked in), "all", or an
    /// organisation's id.
    pub value: String,
    /// Empty for those who see one organisation: no filter then.
    pub options: Vec<Option_>,
    names: HashMap<String, String>,
}

impl OrgFilter {
    pub fn shown(&self) -> bool {
        !self.options.is_empty()
    }
    /// The list covers more than one organisation: show which each row belongs to.
    pub fn across(&self) -> bool {
        self.shown() && self.value == steward_core::gate::ALL_ORGANISATIONS
    }
    /// The filter's part of a list's address, to keep it in paging and sorting links.
    pub fn query(&self) -> String {
        if self.value.is_empty() {
            String::new()
        } else {
            format!("&organisation={}", self.value)
        }
    }
    /// An organisation's name, for rows that carry only its id.
    pub fn name_of(&self, id: &str) -> String {
        self.names.get(id).cloned().unwrap_or_default()
    }
    /// The filter's value for the form: the current organisation when none is chosen.
    pub fn selected(&self, current: &str) -> String {
        if self.value.is_empty() {
            current.to_string()
        } else {
            self.value.clone()
        }
    }
}

/// The organisation filter for a caller, from the address's `organisation` value.
pub async fn org_filter(
    steward: &steward_core::Steward,
    caller: &steward_core::Caller,
    value: &str,
) -> Result<OrgFilter, steward_core::CoreError> {
    let value = value.trim().to_string();
    if caller.visible_organisation_ids.len() < 2 {
        return Ok(OrgFilter {
            value,
            ..Default::default()
        });
    }
    let orgs = steward.organisations(caller).await?;
    let mut options = vec![Option_ {
        value: steward_core::gate::ALL_ORGANISATIONS.into(),
        label: "The whole cluster".into(),
    }];
    options.extend(orgs.iter().map(|o| Option_ {
        value: o.id.clone(),
        label: o.name.clone(),
    }));
    Ok(OrgFilter {
        value,
        options,
        names: orgs.into_iter().map(|o| (o.id, o.name)).collect(),
    })
}

/// A file to download: its content type and its name. Characters a header cannot carry (and
/// quotes) become "_" in the name; a content type that is not a valid header value is sent as
/// `application/octet-stream`.
pub fn download(
    body: impl Into<axum::body::Body>,
    content_type: &str,
    name: &str,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    let name = name.replace(
        |c: char| !c.is_ascii() || c.is_ascii_control() || c == '"',
        "_",
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body.into(),
    )
        .into_response()
}
