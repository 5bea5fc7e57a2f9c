//! The JSON API of DPIAs under `/api/v1`: the same service functions as the pages; bad input
//! answers 422 problem details with the field errors, a step that cannot be taken now 409,
//! never a 500.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use steward_core::{ops, Kind, Op};
use steward_dpia::service::{
    dpias, AdviceInput, CommentInput, Dpia, DpiaSummary, Screening, ScreeningInput, StartInput,
    StepInput, VersionSummary,
};
use steward_dpia::Content;

use crate::api::{ApiJson, ApiQuery, ApiResult, PageQuery};
use crate::error::Problem;
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;
use steward_core::paging::Paged;

pub fn routes() -> Routes {
    use Access::*;
    let dpia = |op| Record(Kind::Dpia, op);
    Routes::new()
        .get(
            "/api/v1/organisations/{organisation_id}/dpias",
            Organisation(Kind::Dpia, Op::List),
            list_dpias,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/dpias",
            Organisation(Kind::Dpia, Op::Create),
            start_dpia,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/dpias/import",
            Organisation(Kind::Dpia, Op::Create),
            import_dpia,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/dpia-screenings",
            Organisation(Kind::DpiaScreening, Op::List),
            list_screenings,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/dpia-screenings",
            Organisation(Kind::DpiaScreening, Op::Create),
            screen,
        )
        .get(
            "/api/v1/dpia-screenings/{id}",
            Record(Kind::DpiaScreening, Op::Read),
            get_screening,
        )
        .get("/api/v1/dpias/{id}", dpia(Op::Read), get_dpia)
        .put("/api/v1/dpias/{id}", dpia(Op::Change), save_dpia)
        .post("/api/v1/dpias/{id}/steps", dpia(Op::Change), author_step)
        .post(
            "/api/v1/dpias/{id}/sign-off",
            Record(Kind::DpiaSignOff, Op::Change),
            sign_off,
        )
        .post("/api/v1/dpias/{id}/advice", dpia(Op::Advise), advise)
        .post("/api/v1/dpias/{id}/comments", dpia(Op::Comment), comment)
        .get("/api/v1/dpias/{id}/versions", dpia(Op::Read), versions)
        .get("/api/v1/dpias/{id}/export", dpia(Op::Read), export)
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/dpias", tag = "dpias", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)),
    responses((status = 200, body = Paged<DpiaSummary>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_dpias(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<DpiaSummary>>> {
    pg.page_of(dpias(&s.steward).list(&c, &org).await?)
}

/// Starts a DPIA on a matrix (ico, 5x5, cnil), pre-filled from a screening when one is named.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/dpias", tag = "dpias", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = StartInput,
    responses((status = 200, body = Dpia), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn start_dpia(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<StartInput>,
) -> ApiResult<Json<Dpia>> {
    Ok(Json(dpias(&s.steward).start(&c, &org, &input).await?))
}

/// Imports a CNIL PIA tool file or Steward's own DPIA JSON as a new draft; a malformed file
/// is a 422 naming what is wrong, and nothing is saved.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/dpias/import", tag = "dpias", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body(content = serde_json::Value, content_type = "application/json", description = "A CNIL PIA file (with \"pia\") or a DPIA exported from Steward (with \"content\")"),
    responses((status = 200, body = Dpia), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn import_dpia(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<Dpia>> {
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Ok(Json(dpias(&s.steward).import(&c, &org, &bytes).await?))
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/dpia-screenings", tag = "dpias", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)),
    responses((status = 200, body = Paged<Screening>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_screenings(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Screening>>> {
    pg.page_of(dpias(&s.steward).screenings(&c, &org).await?)
}

/// Answers a screening questionnaire (trust or ico); every question must be answered.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/dpia-screenings", tag = "dpias", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = ScreeningInput,
    responses((status = 200, body = Screening), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn screen(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<ScreeningInput>,
) -> ApiResult<Json<Screening>> {
    Ok(Json(dpias(&s.steward).screen(&c, &org, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/dpia-screenings/{id}", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Screening), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_screening(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Screening>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::DpiaScreening, &id)
        .await?;
    Ok(Json(dpias(&s.steward).screening(&p).await?))
}

#[utoipa::path(get, path = "/api/v1/dpias/{id}", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Dpia), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_dpia(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Dpia>> {
    let p = s.steward.permit::<ops::Read>(&c, Kind::Dpia, &id).await?;
    Ok(Json(dpias(&s.steward).get(&p).await?))
}

/// Replaces the whole assessment. Only a draft or one sent back for changes: an approved
/// version is frozen (409; start a new version).
#[utoipa::path(put, path = "/api/v1/dpias/{id}", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = Content,
    responses((status = 200, body = Dpia), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn save_dpia(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(content): ApiJson<Content>,
) -> ApiResult<Json<Dpia>> {
    let p = s.steward.permit::<ops::Change>(&c, Kind::Dpia, &id).await?;
    Ok(Json(dpias(&s.steward).save(&c, &p, content).await?))
}

/// The author's steps: `submit`, or `new_version` of an approved DPIA.
#[utoipa::path(post, path = "/api/v1/dpias/{id}/steps", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = StepInput,
    responses((status = 200, body = Dpia), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn author_step(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StepInput>,
) -> ApiResult<Json<Dpia>> {
    let p = s.steward.permit::<ops::Change>(&c, Kind::Dpia, &id).await?;
    Ok(Json(dpias(&s.steward).author_step(&c, &p, &input).await?))
}

/// Sign-off: `request_changes` or `reject` (with a note), or `approve`. Approval with a high
/// residual risk and no prior consultation with the ICO (Art 36) is a 422.
#[utoipa::path(post, path = "/api/v1/dpias/{id}/sign-off", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = StepInput,
    responses((status = 200, body = Dpia), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn sign_off(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StepInput>,
) -> ApiResult<Json<Dpia>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::DpiaSignOff, &id)
        .await?;
    Ok(Json(
        dpias(&s.steward).sign_off(&c, &p, &input, today()).await?,
    ))
}

/// The DPO's advice.
#[utoipa::path(post, path = "/api/v1/dpias/{id}/advice", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AdviceInput,
    responses((status = 200, body = Dpia), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn advise(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AdviceInput>,
) -> ApiResult<Json<Dpia>> {
    let p = s.steward.permit::<ops::Advise>(&c, Kind::Dpia, &id).await?;
    Ok(Json(dpias(&s.steward).advise(&c, &p, &input).await?))
}

/// A reviewer's comment on a section.
#[utoipa::path(post, path = "/api/v1/dpias/{id}/comments", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CommentInput,
    responses((status = 200, body = Dpia), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn comment(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> ApiResult<Json<Dpia>> {
    let p = s
        .steward
        .permit::<ops::Comment>(&c, Kind::Dpia, &id)
        .await?;
    Ok(Json(dpias(&s.steward).comment(&c, &p, &input).await?))
}

/// The frozen versions: approved or rejected, with number and date.
#[utoipa::path(get, path = "/api/v1/dpias/{id}/versions", tag = "dpias", security(("bearer" = [])),
    params(PageQuery, ("id" = String, Path)), responses((status = 200, body = Paged<VersionSummary>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn versions(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<VersionSummary>>> {
    let p = s.steward.permit::<ops::Read>(&c, Kind::Dpia, &id).await?;
    pg.page_of(dpias(&s.steward).versions(&p).await?)
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ExportQuery {
    /// pdf, docx, json (Steward's own; the default) or cnil (the CNIL PIA tool's)
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

#[derive(Debug, Deserialize, Clone, Copy, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Pdf,
    Docx,
    Json,
    Cnil,
}

impl ExportFormat {
    fn name(self) -> &'static str {
        match self {
            ExportFormat::Pdf => "pdf",
            ExportFormat::Docx => "docx",
            ExportFormat::Json => "json",
            ExportFormat::Cnil => "cnil",
        }
    }
}

/// The DPIA as PDF, DOCX (one document model), Steward's JSON or the CNIL PIA tool's JSON.
#[utoipa::path(get, path = "/api/v1/dpias/{id}/export", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path), ExportQuery),
    responses((status = 200, description = "The export: PDF, DOCX, or JSON (Steward's own or the CNIL PIA tool's)", content(("application/pdf"), ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), ("application/json"))), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn export(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let p = s.steward.permit::<ops::Read>(&c, Kind::Dpia, &id).await?;
    let d = dpias(&s.steward);
    let dpia = d.get(&p).await?;
    let format = q.format.unwrap_or(ExportFormat::Json);
    let (bytes, ct, name) = d.export(&dpia, format.name())?;
    Ok(crate::views::download(bytes, ct, &name))
}
