//! The JSON API of the organisation's details (its letterhead) and its staff list: what a
//! rights request's redaction run keeps. The same service functions as the pages; problem
//! details on bad input, with every bad row of a staff list named by its line.

use axum::extract::{Multipart, Path, State};
use axum::Json;
use steward_core::known::{OrganisationDetails, OrganisationDetailsInput, StaffList};
use steward_core::{Kind, Op};

use crate::api::{ApiJson, ApiResult};
use crate::error::Problem;
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let staff = |op| Organisation(Kind::StaffListEntry, op);
    Routes::new()
        .get(
            "/api/v1/organisations/{organisation_id}/details",
            staff(Op::List),
            get_details,
        )
        .put(
            "/api/v1/organisations/{organisation_id}/details",
            staff(Op::Configure),
            change_details,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/staff-list",
            staff(Op::List),
            get_staff_list,
        )
        .upload(
            "/api/v1/organisations/{organisation_id}/staff-list",
            staff(Op::Create),
            upload_staff_list,
        )
}

/// The organisation's own details: kept by default in every redaction run.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/details", tag = "organisations", security(("bearer" = [])),
    params(("organisation_id" = String, Path)),
    responses((status = 200, body = OrganisationDetails), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_details(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
) -> ApiResult<Json<OrganisationDetails>> {
    Ok(Json(s.steward.organisation_details(&c, &org).await?))
}

/// The DPO or the IG lead sets the organisation's address, telephone numbers and e-mail.
#[utoipa::path(put, path = "/api/v1/organisations/{organisation_id}/details", tag = "organisations", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = OrganisationDetailsInput,
    responses((status = 200, body = OrganisationDetails), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change_details(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<OrganisationDetailsInput>,
) -> ApiResult<Json<OrganisationDetails>> {
    Ok(Json(
        s.steward
            .change_organisation_details(&c, &org, &input)
            .await?,
    ))
}

/// The uploaded staff list.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/staff-list", tag = "organisations", security(("bearer" = [])),
    params(("organisation_id" = String, Path)),
    responses((status = 200, body = StaffList), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_staff_list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
) -> ApiResult<Json<StaffList>> {
    Ok(Json(s.steward.staff_list(&c, &org).await?))
}

/// Replaces the staff list with a CSV file (multipart field `file`): a header row naming a
/// `name` column (or `first name` and `last name`) and optionally `job title`. The whole file
/// is checked first; any bad row answers 422 with every bad line, and nothing is written.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/staff-list", tag = "organisations", security(("bearer" = [])),
    params(("organisation_id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "A CSV file in the field 'file'"),
    responses((status = 200, body = StaffList), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn upload_staff_list(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<StaffList>> {
    let file = crate::multipart::read(mp, &["file"]).await?.required(
        "file",
        "Send the staff list in a multipart part named 'file'",
    )?;
    let name = file.file_name.as_deref().unwrap_or("staff.csv");
    Ok(Json(
        s.steward
            .replace_staff_list(&c, &org, name, &file.bytes)
            .await?,
    ))
}
