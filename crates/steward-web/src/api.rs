//! The JSON API under `/api/v1`: everything the pages can do, for scripts and other
//! systems. Bearer-token authentication; errors are RFC 9457 problem details.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use steward_core::actions::{Action, ActionInput, ActionPage, ActionQuery, Dashboard};
use steward_core::orgs::{NewUser, Organisation, User};
use steward_core::paging::{Paged, Paging};
use steward_core::records::{Attachment, Comment, Version};
use steward_core::trail::{TrailFilter, TrailRow};
use steward_core::{ops, Kind, Op};

use crate::error::{ApiError, Problem};
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;

pub type ApiResult<T> = Result<T, ApiError>;

/// The one JSON-body extractor of every API route: the body must be sent as
/// `application/json` (else 415), be JSON (else 400) and be a JSON object whose fields have
/// the types the schema gives (else 422). Every rejection is problem details. A top-level
/// array or scalar is refused even where every field is optional, so `[]` never stands for
/// "no fields".
pub struct ApiJson<T>(pub T);

fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers()) {
            return Err(ApiError(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as JSON, with the header Content-Type: application/json.".into(),
                vec![],
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError(e.status(), e.body_text(), vec![]))?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("The body is not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The body must be a JSON object.".into(),
                vec![],
            ));
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => {
                let status = match &e {
                    JsonRejection::JsonSyntaxError(_) => StatusCode::BAD_REQUEST,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                Err(ApiError(status, e.body_text(), vec![]))
            }
        }
    }
}

/// The one query-string extractor of every API route: a parameter of the wrong type, or a
/// missing required one, is 400 problem details; `page` and `size`, which mean the same on
/// every list, are checked here once ([`Paging::new`]: out of range is 422).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let q = axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e: QueryRejection| ApiError::bad_request(e.body_text()))?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).unwrap_or_default();
        let number = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<i64>().ok())
        };
        let (page, size) = (number("page"), number("size"));
        if page.is_some() || size.is_some() {
            Paging::new(page, size, DEFAULT_PAGE_SIZE)?;
        }
        Ok(ApiQuery(q.0))
    }
}

/// Which page of a list. Every list endpoint takes these two query parameters and answers
/// one page ([`Paged`]: `items`, `total`, `page`, `size`, `pages`); a page number past the
/// last answers the last page (its `page` says which); a page below 1 or a size out of range
/// is 422.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1 (default 1); past the last, the last.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// How many items a page holds (default 25, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub size: Option<i64>,
}

/// The default page size of every list.
pub const DEFAULT_PAGE_SIZE: i64 = 25;

impl PageQuery {
    pub fn paging(&self) -> Result<Paging, ApiError> {
        Ok(Paging::new(self.page, self.size, DEFAULT_PAGE_SIZE)?)
    }

    /// One page of a whole list.
    pub fn page_of<T>(&self, all: Vec<T>) -> ApiResult<Json<Paged<T>>> {
        Ok(Json(self.paging()?.page_of(all)))
    }
}

pub fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/api/v1/me", SignedIn, me)
        .get("/api/v1/organisations", SignedIn, organisations)
        .get(
            "/api/v1/organisations/{organisation_id}/dashboard",
            Organisation(Kind::Action, Op::List),
            dashboard,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/actions",
            Organisation(Kind::Action, Op::List),
            list_actions,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/actions",
            Organisation(Kind::Action, Op::Create),
            create_action,
        )
        .get(
            "/api/v1/actions/{id}",
            Record(Kind::Action, Op::Read),
            get_action,
        )
        .put(
            "/api/v1/actions/{id}",
            Record(Kind::Action, Op::Change),
            update_action,
        )
        .delete(
            "/api/v1/actions/{id}",
            Record(Kind::Action, Op::Delete),
            delete_action,
        )
        .get(
            "/api/v1/records/{record_type}/{id}/history",
            AnyRecord(Op::Read),
            history,
        )
        .get(
            "/api/v1/records/{record_type}/{id}/comments",
            AnyRecord(Op::Read),
            comments,
        )
        .post(
            "/api/v1/records/{record_type}/{id}/comments",
            AnyRecord(Op::Comment),
            add_comment,
        )
        .get(
            "/api/v1/records/{record_type}/{id}/attachments",
            AnyRecord(Op::Read),
            attachments,
        )
        .upload(
            "/api/v1/records/{record_type}/{id}/attachments",
            AnyRecord(Op::Attach),
            add_attachment,
        )
        .get("/api/v1/attachments/{id}", Attachment, download_attachment)
        .get("/api/v1/audit-trail", AuditTrail, audit_trail)
        .get("/api/v1/users", ManageUsers, users)
        .post("/api/v1/users", ManageUsers, add_user)
        .post(
            "/api/v1/users/{user_id}/deactivate",
            ManageUsers,
            deactivate_user,
        )
        .post(
            "/api/v1/users/{user_id}/reset-link",
            ManageUsers,
            reset_link,
        )
        .post("/api/v1/reminders/run", SignedIn, run_reminders)
        .get("/api/v1/openapi.json", Public, crate::openapi::document)
}

/// Unknown addresses under `/api/` answer in the API's own format.
pub async fn not_found() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "No such API endpoint".into(), vec![])
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: steward_core::Role,
    pub home_organisation_id: String,
    pub visible_organisation_ids: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(ApiCaller(c): ApiCaller) -> Json<Me> {
    me_of(c)
}

/// The same as `/api/v1/me`, under the name some clients expect.
#[utoipa::path(get, path = "/api/v1/whoami", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn whoami(ApiCaller(c): ApiCaller) -> Json<Me> {
    me_of(c)
}

fn me_of(c: steward_core::Caller) -> Json<Me> {
    Json(Me {
        user_id: c.user_id,
        email: c.email,
        display_name: c.display_name,
        role: c.role,
        home_organisation_id: c.home_organisation_id,
        visible_organisation_ids: c.visible_organisation_ids,
    })
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, body = Paged<Organisation>), (status = 401, body = Problem)))]
pub async fn organisations(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Organisation>>> {
    pg.page_of(s.steward.organisations(&c).await?)
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/dashboard", tag = "actions", security(("bearer" = [])),
    params(("organisation_id" = String, Path)),
    responses((status = 200, body = Dashboard), (status = 404, body = Problem)))]
pub async fn dashboard(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
) -> ApiResult<Json<Dashboard>> {
    Ok(Json(s.steward.dashboard(&c, &org, today()).await?))
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/actions", tag = "actions", security(("bearer" = [])),
    params(("organisation_id" = String, Path), ActionQuery),
    responses((status = 200, body = ActionPage), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn list_actions(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<ActionQuery>,
) -> ApiResult<Json<ActionPage>> {
    Ok(Json(s.steward.actions(&c, &org, &q, today()).await?))
}

#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/actions", tag = "actions", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = ActionInput,
    responses((status = 201, body = Action), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn create_action(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<ActionInput>,
) -> ApiResult<Response> {
    let a = s.steward.create_action(&c, &org, &input).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

#[utoipa::path(get, path = "/api/v1/actions/{id}", tag = "actions", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Action), (status = 404, body = Problem)))]
pub async fn get_action(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Action>> {
    let p = s.steward.permit::<ops::Read>(&c, Kind::Action, &id).await?;
    Ok(Json(s.steward.action(&p).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActionUpdate {
    #[serde(flatten)]
    pub action: ActionInput,
    /// The version you last read; a newer saved version makes the update fail with 409.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

#[utoipa::path(put, path = "/api/v1/actions/{id}", tag = "actions", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ActionUpdate,
    responses((status = 200, body = Action), (status = 409, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn update_action(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(u): ApiJson<ActionUpdate>,
) -> ApiResult<Json<Action>> {
    Ok(Json(
        s.steward
            .update_action(&c, &id, &u.action, u.expected_version)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/actions/{id}", tag = "actions", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_action(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.steward.delete_action(&c, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/records/{record_type}/{id}/history", tag = "records", security(("bearer" = [])),
    params(PageQuery, ("record_type" = String, Path), ("id" = String, Path)), responses((status = 200, body = Paged<Version>), (status = 404, body = Problem)))]
pub async fn history(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((t, id)): Path<(String, String)>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Version>>> {
    let p = s.steward.permit_code::<ops::Read>(&c, &t, &id).await?;
    pg.page_of(s.steward.history(&p).await?)
}

#[utoipa::path(get, path = "/api/v1/records/{record_type}/{id}/comments", tag = "records", security(("bearer" = [])),
    params(PageQuery, ("record_type" = String, Path), ("id" = String, Path)), responses((status = 200, body = Paged<Comment>), (status = 404, body = Problem)))]
pub async fn comments(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((t, id)): Path<(String, String)>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Comment>>> {
    let p = s.steward.permit_code::<ops::Read>(&c, &t, &id).await?;
    pg.page_of(s.steward.comments(&p).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewComment {
    /// The comment: some text, not only spaces.
    #[schema(pattern = r"\S")]
    pub body: String,
}

#[utoipa::path(post, path = "/api/v1/records/{record_type}/{id}/comments", tag = "records", security(("bearer" = [])),
    params(("record_type" = String, Path), ("id" = String, Path)), request_body = NewComment,
    responses((status = 201), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn add_comment(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((t, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<NewComment>,
) -> ApiResult<StatusCode> {
    let p = s.steward.permit_code::<ops::Comment>(&c, &t, &id).await?;
    s.steward.add_comment(&c, &p, &b.body).await?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(get, path = "/api/v1/records/{record_type}/{id}/attachments", tag = "records", security(("bearer" = [])),
    params(PageQuery, ("record_type" = String, Path), ("id" = String, Path)), responses((status = 200, body = Paged<Attachment>), (status = 404, body = Problem)))]
pub async fn attachments(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((t, id)): Path<(String, String)>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Attachment>>> {
    let p = s.steward.permit_code::<ops::Read>(&c, &t, &id).await?;
    pg.page_of(s.steward.attachments(&p).await?)
}

/// Upload as multipart/form-data with one part named `file`.
#[utoipa::path(post, path = "/api/v1/records/{record_type}/{id}/attachments", tag = "records", security(("bearer" = [])),
    params(("record_type" = String, Path), ("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "The file, in a part named `file`"),
    responses((status = 201, body = Attachment), (status = 422, body = Problem), (status = 413, body = Problem), (status = 404, body = Problem)))]
pub async fn add_attachment(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((t, id)): Path<(String, String)>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    // The gate first: nothing of the body is read for a caller who may not attach.
    let p = s.steward.permit_code::<ops::Attach>(&c, &t, &id).await?;
    let file = crate::multipart::read(mp, &["file"])
        .await?
        .required("file", "Send the file in a multipart part named 'file'")?;
    let name = file.file_name.as_deref().unwrap_or("attachment");
    let a = s.steward.add_attachment(&c, &p, name, &file.bytes).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "records", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "The file"), (status = 404, body = Problem)))]
pub async fn download_attachment(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (att, bytes) = s.steward.download_attachment(&c, &id).await?;
    Ok(crate::pages::attachment_response(att, bytes).unwrap_or_else(|e| e.into_response()))
}

/// The audit trail, newest first, a page at a time (100 entries a page unless `size` says).
#[utoipa::path(get, path = "/api/v1/audit-trail", tag = "audit trail", security(("bearer" = [])),
    params(TrailFilter, PageQuery),
    responses((status = 200, body = Paged<TrailRow>), (status = 403, body = Problem)))]
pub async fn audit_trail(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(filter): ApiQuery<TrailFilter>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<TrailRow>>> {
    let mut paging = Paging::new(pg.page, pg.size, 100)?;
    let (mut items, total) = s
        .steward
        .trail(&c, &filter, paging.offset(), Some(paging.size))
        .await?;
    if paging.at_most(total) != paging {
        // Past the last page: the last page, as every list answers.
        paging = paging.at_most(total);
        items = s
            .steward
            .trail(&c, &filter, paging.offset(), Some(paging.size))
            .await?
            .0;
    }
    Ok(Json(paging.paged(items, total)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, body = Paged<User>), (status = 403, body = Problem)))]
pub async fn users(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<User>>> {
    pg.page_of(s.steward.users(&c).await?)
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = NewUser,
    responses((status = 201, body = User), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn add_user(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(n): ApiJson<NewUser>,
) -> ApiResult<Response> {
    let u = s.steward.add_user(Some(&c), &n).await?;
    Ok((StatusCode::CREATED, Json(u)).into_response())
}

#[utoipa::path(post, path = "/api/v1/users/{user_id}/deactivate", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn deactivate_user(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.steward.deactivate_user(Some(&c), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ResetLink {
    pub url: String,
}

#[utoipa::path(post, path = "/api/v1/users/{user_id}/reset-link", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path)), responses((status = 201, body = ResetLink), (status = 409, body = Problem), (status = 404, body = Problem)))]
pub async fn reset_link(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    s.steward.managed_user(&c, &id).await?;
    let token = s.steward.issue_password_reset(&c.email, &id).await?;
    let url = format!(
        "{}/reset-password/{token}",
        s.steward.config.base_url.trim_end_matches('/')
    );
    Ok((StatusCode::CREATED, Json(ResetLink { url })).into_response())
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ReminderRun {
    /// The day to remind for (YYYY-MM-DD); today when absent.
    #[serde(default)]
    #[schema(value_type = String, format = Date)]
    pub date: Option<chrono::NaiveDate>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReminderResult {
    /// Action reminders sent (one email per user per day).
    pub sent: usize,
    /// Users already reminded today.
    pub skipped: usize,
    pub failed: Vec<String>,
    /// The emails before training runs out, sent in the same run.
    pub training: TrainingReminderResult,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TrainingReminderResult {
    /// Emails sent (one per recipient, listing the expiries not yet sent to them).
    pub sent: usize,
    /// Expiries already sent to a recipient, not sent again.
    pub already_sent: usize,
    pub failed: Vec<String>,
}

/// Sends today's reminder emails now: overdue and due-soon actions, and training running out
/// (they are also sent daily by the server).
#[utoipa::path(post, path = "/api/v1/reminders/run", tag = "actions", security(("bearer" = [])), request_body = ReminderRun,
    responses((status = 200, body = ReminderResult), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn run_reminders(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<ReminderRun>,
) -> ApiResult<Json<ReminderResult>> {
    c.require_manage_users()?;
    let day = r.date.unwrap_or_else(today);
    let rep = s.steward.send_reminders(day).await?;
    let training = steward_compliance::training::training(&s.steward)
        .send_expiry_reminders(day)
        .await?;
    Ok(Json(ReminderResult {
        sent: rep.sent,
        skipped: rep.skipped,
        failed: rep.failed,
        training: TrainingReminderResult {
            sent: training.sent,
            already_sent: training.skipped,
            failed: training.failed,
        },
    }))
}
