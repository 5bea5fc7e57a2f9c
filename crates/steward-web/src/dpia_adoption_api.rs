//! Cluster DPIAs in the JSON API under `/api/v1`, the same services as the pages
//! (`steward_dpia::adoption`): the DPO offers an approved cluster DPIA to practices and sees
//! their decisions; a practice lists what it was offered, reads the approved version and
//! records its own sign-off or declines with the reason.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use steward_core::paging::Paged;
use steward_core::{ops, Kind, Op};
use steward_dpia::adoption::{Adoption, AdoptionDecision, OfferInput};
use steward_dpia::service::dpias;
use steward_dpia::Content;

use crate::api::{ApiJson, ApiQuery, ApiResult, PageQuery};
use crate::error::Problem;
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get(
            "/api/v1/dpias/{id}/offers",
            Record(Kind::Dpia, Op::Read),
            offers,
        )
        .post(
            "/api/v1/dpias/{id}/offers",
            Record(Kind::Dpia, Op::Advise),
            offer,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/dpia-adoptions",
            Organisation(Kind::DpiaAdoption, Op::List),
            adoptions,
        )
        .get(
            "/api/v1/dpia-adoptions/{id}",
            Record(Kind::DpiaAdoption, Op::Read),
            adoption,
        )
        .post(
            "/api/v1/dpia-adoptions/{id}/decision",
            Record(Kind::DpiaAdoption, Op::Change),
            decide,
        )
}

/// An offer of a cluster DPIA with the approved version it offers, as the practice reads it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdoptionWithAssessment {
    pub adoption: Adoption,
    /// The approved version of the assessment that was offered (not the DPO service's
    /// working copy).
    pub assessment: Content,
}

/// Every offer of a cluster DPIA and each practice's decision.
#[utoipa::path(get, path = "/api/v1/dpias/{id}/offers", tag = "dpias", security(("bearer" = [])),
    params(PageQuery, ("id" = String, Path)),
    responses((status = 200, body = Paged<Adoption>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn offers(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Adoption>>> {
    let p = s.steward.permit::<ops::Read>(&c, Kind::Dpia, &id).await?;
    pg.page_of(dpias(&s.steward).offers(&p).await?)
}

/// The DPO offers the approved version of a cluster DPIA to practices. Answers every offer of
/// the DPIA. Nothing is written unless every practice may be offered it (422 naming the
/// field); a DPIA that is not the DPO service's, or not approved, is a 409.
#[utoipa::path(post, path = "/api/v1/dpias/{id}/offers", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = OfferInput,
    responses((status = 200, body = Paged<Adoption>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn offer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<OfferInput>,
) -> ApiResult<Json<Paged<Adoption>>> {
    let p = s.steward.permit::<ops::Read>(&c, Kind::Dpia, &id).await?;
    let all = dpias(&s.steward).offer(&c, &p, &input).await?;
    PageQuery::default().page_of(all)
}

/// The cluster DPIAs offered to an organisation, newest first.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/dpia-adoptions", tag = "dpias", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)),
    responses((status = 200, body = Paged<Adoption>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn adoptions(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Adoption>>> {
    pg.page_of(dpias(&s.steward).adoptions(&c, &org).await?)
}

/// One offer and the approved assessment it offers.
#[utoipa::path(get, path = "/api/v1/dpia-adoptions/{id}", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AdoptionWithAssessment), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn adoption(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AdoptionWithAssessment>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::DpiaAdoption, &id)
        .await?;
    let (adoption, assessment) = dpias(&s.steward).adoption(&p).await?;
    Ok(Json(AdoptionWithAssessment {
        adoption,
        assessment,
    }))
}

/// The practice's decision: `adopt` with who signed it off, or `decline` with why (422 when
/// missing). A second decision is a 409.
#[utoipa::path(post, path = "/api/v1/dpia-adoptions/{id}/decision", tag = "dpias", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AdoptionDecision,
    responses((status = 200, body = Adoption), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AdoptionDecision>,
) -> ApiResult<Json<Adoption>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::DpiaAdoption, &id)
        .await?;
    Ok(Json(
        dpias(&s.steward).decide_adoption(&c, &p, &input).await?,
    ))
}
