//! The access-audit JSON API under `/api/v1` (in the OpenAPI document): the same service
//! functions as the pages. Bad input answers RFC 9457 problem details, never a 500.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use steward_access_review::cases::CaseQuery;
use steward_access_review::{
    AccessReview, Case, CaseDetail, CasePage, MappingChoice, OutcomeInput, Report, ReportScope,
    Run, Sample, SampleUpdate, SavedMapping,
};
use steward_core::{ops, CoreError, Kind, Op};

use crate::api::{ApiJson, ApiQuery, ApiResult, PageQuery};
use crate::error::{ApiError, Problem};
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;
use steward_core::paging::Paged;

pub fn routes() -> Routes {
    use Access::*;
    let runs = |op| Organisation(Kind::AccessAuditRun, op);
    let run = |op| Record(Kind::AccessAuditRun, op);
    let case = |op| Record(Kind::AccessAuditCase, op);
    let sample = |op| Record(Kind::AccessAuditSample, op);
    Routes::new()
        .get(
            "/api/v1/organisations/{organisation_id}/access-audit/runs",
            runs(Op::List),
            list_runs,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/access-audit/runs",
            runs(Op::Create),
            create_run,
        )
        .upload(
            "/api/v1/organisations/{organisation_id}/access-audit/uploads",
            runs(Op::Create),
            upload_run,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/access-audit/mappings",
            runs(Op::List),
            list_mappings,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/access-audit/mappings",
            runs(Op::Create),
            save_mapping,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/access-audit/report",
            runs(Op::List),
            report,
        )
        // The cluster's report: the service keeps to the organisations the caller sees.
        .get(
            "/api/v1/access-audit/report",
            Cluster(Kind::AccessAuditRun),
            cluster_report,
        )
        .get("/api/v1/access-audit/runs/{id}", run(Op::Read), get_run)
        .post(
            "/api/v1/access-audit/runs/{id}/start",
            run(Op::Change),
            start_run,
        )
        .delete(
            "/api/v1/access-audit/runs/{id}/export",
            run(Op::Change),
            delete_export,
        )
        .get(
            "/api/v1/access-audit/runs/{id}/cases",
            run(Op::Read),
            list_cases,
        )
        .post(
            "/api/v1/access-audit/runs/{id}/samples",
            run(Op::Change),
            create_sample,
        )
        .get("/api/v1/access-audit/cases/{id}", case(Op::Read), get_case)
        .post(
            "/api/v1/access-audit/cases/{id}/outcome",
            case(Op::Change),
            record_outcome,
        )
        .post(
            "/api/v1/access-audit/cases/{id}/notes",
            case(Op::Comment),
            add_note,
        )
        .get(
            "/api/v1/access-audit/samples/{id}",
            sample(Op::Read),
            get_sample,
        )
        .put(
            "/api/v1/access-audit/samples/{id}",
            sample(Op::Change),
            update_sample,
        )
}

fn review(s: &AppState) -> AccessReview {
    AccessReview::new(s.steward.clone())
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/access-audit/runs", tag = "access audit", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)), responses((status = 200, body = Paged<Run>), (status = 404, body = Problem)))]
pub async fn list_runs(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Run>>> {
    pg.page_of(review(&s).runs(&c, &org).await?)
}

/// A run over an export in a folder on the server (inside the import folder).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewFolderRun {
    /// YYYY-MM
    #[schema(required, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub period: String,
    #[serde(default)]
    pub system_name: String,
    /// A folder inside the organisation's import folder on the server (`<import root>/<ODS code>/`).
    #[schema(required, pattern = "\\S")]
    pub folder: String,
}

#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/access-audit/runs", tag = "access audit", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = NewFolderRun,
    responses((status = 201, body = Run), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn create_run(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(b): ApiJson<NewFolderRun>,
) -> ApiResult<Response> {
    let run = review(&s)
        .create_run_from_folder(&c, &org, &b.period, &b.system_name, &b.folder)
        .await?;
    Ok((StatusCode::CREATED, Json(run)).into_response())
}

/// Multipart: `period` (YYYY-MM), optional `system_name`, and one or more `files` (CSV or Parquet).
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/access-audit/uploads", tag = "access audit", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body(content_type = "multipart/form-data", description = "period, system_name, files"),
    responses((status = 201, body = Run), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn upload_run(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let mut parts = crate::multipart::read(mp, &["period", "system_name", "files"]).await?;
    let (period, system) = (parts.text("period")?, parts.text("system_name")?);
    let files = parts
        .all("files")
        .into_iter()
        .map(|f| (f.file_name.unwrap_or_default(), f.bytes.to_vec()))
        .collect();
    let run = review(&s)
        .create_run_from_upload(&c, &org, &period, &system, files)
        .await?;
    Ok((StatusCode::CREATED, Json(run)).into_response())
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/access-audit/mappings", tag = "access audit", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)), responses((status = 200, body = Paged<SavedMapping>), (status = 404, body = Problem)))]
pub async fn list_mappings(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<SavedMapping>>> {
    pg.page_of(review(&s).mappings(&c, &org).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewMapping {
    #[schema(required, pattern = "\\S")]
    pub system_name: String,
    /// The engine's mapping file (TOML; see the access-audit README).
    #[schema(pattern = "\\S")]
    pub mapping_toml: String,
}

#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/access-audit/mappings", tag = "access audit", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = NewMapping,
    responses((status = 201, body = SavedMapping), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn save_mapping(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(b): ApiJson<NewMapping>,
) -> ApiResult<Response> {
    let m = review(&s)
        .save_mapping(&c, &org, &b.system_name, &b.mapping_toml)
        .await?;
    Ok((StatusCode::CREATED, Json(m)).into_response())
}

#[utoipa::path(get, path = "/api/v1/access-audit/runs/{id}", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Run), (status = 404, body = Problem)))]
pub async fn get_run(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Run>> {
    Ok(Json(review(&s).run(&c, &id).await?))
}

/// Deletes the uploaded export's files; the audit's flags, cases and outcomes stay.
#[utoipa::path(delete, path = "/api/v1/access-audit/runs/{id}/export", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Run), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_export(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Run>> {
    Ok(Json(review(&s).delete_export(&c, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/access-audit/runs/{id}/start", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MappingChoice,
    responses((status = 202, body = Run), (status = 409, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn start_run(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(choice): ApiJson<MappingChoice>,
) -> ApiResult<Response> {
    let run = review(&s).start_run(&c, &id, &choice).await?;
    Ok((StatusCode::ACCEPTED, Json(run)).into_response())
}

#[utoipa::path(get, path = "/api/v1/access-audit/runs/{id}/cases", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path), CaseQuery), responses((status = 200, body = CasePage), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn list_cases(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<CasePage>> {
    if let Some(d) = q.date.as_deref().filter(|d| !d.is_empty()) {
        if steward_core::time::parse_iso_date(d).is_none() {
            return Err(ApiError::from(CoreError::invalid(
                "date",
                "date must be a real date, YYYY-MM-DD",
            )));
        }
    }
    Ok(Json(review(&s).cases(&c, &id, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/access-audit/cases/{id}", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CaseDetail), (status = 404, body = Problem)))]
pub async fn get_case(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseDetail>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::AccessAuditCase, &id)
        .await?;
    Ok(Json(review(&s).case(&p).await?))
}

#[utoipa::path(post, path = "/api/v1/access-audit/cases/{id}/outcome", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = OutcomeInput,
    responses((status = 200, body = Case), (status = 409, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn record_outcome(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<OutcomeInput>,
) -> ApiResult<Json<Case>> {
    Ok(Json(review(&s).record_outcome(&c, &id, &b, today()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewNote {
    /// The note: some text, not only spaces.
    #[schema(pattern = r"\S")]
    pub body: String,
}

#[utoipa::path(post, path = "/api/v1/access-audit/cases/{id}/notes", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NewNote,
    responses((status = 201), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn add_note(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NewNote>,
) -> ApiResult<StatusCode> {
    review(&s).add_case_note(&c, &id, &b.body).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewSample {
    /// Accesses per user, 1 to 50.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 50)]
    pub per_user: i64,
    /// Give the seed of an earlier sample to draw the same one again.
    #[serde(default, deserialize_with = "whole_or_null")]
    pub seed: Option<i64>,
}

/// A whole number as JSON may write it, `5` or `5.0`: JSON Schema's `integer` is either.
fn whole_number(n: serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
            .map(|f| f as i64)
    })
}

fn whole<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    whole_number(serde_json::Number::deserialize(d)?)
        .ok_or_else(|| serde::de::Error::custom("expected a whole number"))
}

fn whole_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => whole_number(n)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("expected a whole number")),
    }
}

#[utoipa::path(post, path = "/api/v1/access-audit/runs/{id}/samples", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NewSample,
    responses((status = 201, body = Sample), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn create_sample(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NewSample>,
) -> ApiResult<Response> {
    let sample = review(&s)
        .create_sample(&c, &id, b.per_user, b.seed)
        .await?;
    Ok((StatusCode::CREATED, Json(sample)).into_response())
}

#[utoipa::path(get, path = "/api/v1/access-audit/samples/{id}", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Sample), (status = 404, body = Problem)))]
pub async fn get_sample(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Sample>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::AccessAuditSample, &id)
        .await?;
    Ok(Json(review(&s).sample(&p).await?))
}

#[utoipa::path(put, path = "/api/v1/access-audit/samples/{id}", tag = "access audit", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SampleUpdate,
    responses((status = 200, body = Sample), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn update_sample(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SampleUpdate>,
) -> ApiResult<Json<Sample>> {
    Ok(Json(review(&s).update_sample(&c, &id, &b).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The month, YYYY-MM.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub period: String,
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/access-audit/report", tag = "access audit", security(("bearer" = [])),
    params(("organisation_id" = String, Path), PeriodQuery), responses((status = 200, body = Report), (status = 400, body = Problem), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn report(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Report>> {
    Ok(Json(
        review(&s)
            .report(&c, &ReportScope::Organisation(org), &q.period)
            .await?,
    ))
}

/// The DPO's report across the cluster.
#[utoipa::path(get, path = "/api/v1/access-audit/report", tag = "access audit", security(("bearer" = [])),
    params(PeriodQuery), responses((status = 200, body = Report), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn cluster_report(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Report>> {
    Ok(Json(
        review(&s)
            .report(&c, &ReportScope::Cluster, &q.period)
            .await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::NewSample;

    #[test]
    fn a_whole_number_may_be_written_with_a_point() {
        let s: NewSample = serde_json::from_str(r#"{"per_user": 5.0, "seed": -3.0}"#).unwrap();
        assert_eq!((s.per_user, s.seed), (5, Some(-3)));
        let s: NewSample = serde_json::from_str(r#"{"per_user": 7, "seed": null}"#).unwrap();
        assert_eq!((s.per_user, s.seed), (7, None));
        let s: NewSample = serde_json::from_str(r#"{"per_user": 7}"#).unwrap();
        assert_eq!(s.seed, None);
        assert!(serde_json::from_str::<NewSample>(r#"{"per_user": 5.5}"#).is_err());
        assert!(serde_json::from_str::<NewSample>(r#"{"per_user": "5"}"#).is_err());
        assert!(serde_json::from_str::<NewSample>(r#"{"per_user": 1e300}"#).is_err());
    }
}
