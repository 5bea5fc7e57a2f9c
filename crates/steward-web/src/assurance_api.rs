//! The JSON API of cluster assurance under `/api/v1`: the same service functions as the
//! pages; bad input answers 422 problem details with the field errors, never a 500.

use axum::extract::{Path, State};
use axum::Json;
use steward_assurance::dashboard::{cluster_view, ClusterView};
use steward_assurance::incidents::{
    incidents, CloseInput, GradeInput, Incident, IncidentPage, IncidentQuery, LessonInput,
    NotifyInput, ReportInput, TellPeopleInput,
};
use steward_assurance::risks::{
    risks, AppetiteInput, RescoreInput, Risk, RiskInput, RiskPage, RiskQuery,
};
use steward_assurance::update::{updates, ClusterUpdate, EditInput, GenerateInput};
use steward_core::{ops, Kind, Op};

use crate::api::{ApiJson, ApiQuery, ApiResult};
use crate::error::Problem;
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let incidents_in = |op| Organisation(Kind::Incident, op);
    let incident = |op| Record(Kind::Incident, op);
    let risks_in = |op| Organisation(Kind::Risk, op);
    let risk = |op| Record(Kind::Risk, op);
    Routes::new()
        .get(
            "/api/v1/organisations/{organisation_id}/incidents",
            incidents_in(Op::List),
            list_incidents,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/incidents",
            incidents_in(Op::Create),
            report_incident,
        )
        .get("/api/v1/incidents/{id}", incident(Op::Read), get_incident)
        .post(
            "/api/v1/incidents/{id}/grade",
            incident(Op::Change),
            grade_incident,
        )
        .post(
            "/api/v1/incidents/{id}/notification",
            incident(Op::Change),
            notify_incident,
        )
        .post(
            "/api/v1/incidents/{id}/people",
            incident(Op::Change),
            tell_people,
        )
        .post(
            "/api/v1/incidents/{id}/close",
            incident(Op::Change),
            close_incident,
        )
        .post(
            "/api/v1/incidents/{id}/lesson",
            Record(Kind::IncidentLesson, Op::Change),
            publish_lesson,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/risks",
            risks_in(Op::List),
            list_risks,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/risks",
            risks_in(Op::Create),
            create_risk,
        )
        .put(
            "/api/v1/organisations/{organisation_id}/risk-appetite",
            risks_in(Op::Configure),
            set_appetite,
        )
        .get("/api/v1/risks/{id}", risk(Op::Read), get_risk)
        .post("/api/v1/risks/{id}/score", risk(Op::Change), rescore_risk)
        .get("/api/v1/cluster", Cluster(Kind::Incident), cluster)
        // Held by the DPO's own organisation, for the whole cluster.
        .post(
            "/api/v1/cluster-updates",
            Cluster(Kind::ClusterUpdate),
            generate_update,
        )
        .get(
            "/api/v1/cluster-updates/{id}",
            Record(Kind::ClusterUpdate, Op::Read),
            get_update,
        )
        .put(
            "/api/v1/cluster-updates/{id}",
            Record(Kind::ClusterUpdate, Op::Change),
            edit_update,
        )
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/incidents", tag = "incidents", security(("bearer" = [])),
    params(("organisation_id" = String, Path), IncidentQuery),
    responses((status = 200, body = IncidentPage), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_incidents(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<IncidentQuery>,
) -> ApiResult<Json<IncidentPage>> {
    Ok(Json(incidents(&s.steward).list(&c, &org, &q).await?))
}

/// Anyone signed in reports an incident (times in UK local time, YYYY-MM-DDTHH:MM).
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/incidents", tag = "incidents", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = ReportInput,
    responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn report_incident(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<ReportInput>,
) -> ApiResult<Json<Incident>> {
    Ok(Json(incidents(&s.steward).report(&c, &org, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_incident(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Incident>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::Incident, &id)
        .await?;
    Ok(Json(incidents(&s.steward).incident(&p).await?))
}

/// Grades on the NHS breach assessment grid; a grade outside the grid is a 422.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/grade", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = GradeInput,
    responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn grade_incident(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<GradeInput>,
) -> ApiResult<Json<Incident>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::Incident, &id)
        .await?;
    Ok(Json(incidents(&s.steward).grade(&c, &p, &input).await?))
}

/// Records the notification to the ICO; a time before the incident is a 422.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/notification", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NotifyInput,
    responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn notify_incident(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NotifyInput>,
) -> ApiResult<Json<Incident>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::Incident, &id)
        .await?;
    Ok(Json(incidents(&s.steward).notify(&c, &p, &input).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/people", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TellPeopleInput,
    responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn tell_people(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TellPeopleInput>,
) -> ApiResult<Json<Incident>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::Incident, &id)
        .await?;
    Ok(Json(
        incidents(&s.steward).decide_telling(&c, &p, &input).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/close", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CloseInput,
    responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn close_incident(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CloseInput>,
) -> ApiResult<Json<Incident>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::Incident, &id)
        .await?;
    Ok(Json(incidents(&s.steward).close(&c, &p, &input).await?))
}

/// The DPO publishes the anonymised lesson; a lesson holding a person's data is a 422 naming
/// what was found.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/lesson", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = LessonInput,
    responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn publish_lesson(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LessonInput>,
) -> ApiResult<Json<Incident>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::IncidentLesson, &id)
        .await?;
    Ok(Json(
        incidents(&s.steward).publish_lesson(&c, &p, &input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/risks", tag = "risks", security(("bearer" = [])),
    params(("organisation_id" = String, Path), RiskQuery),
    responses((status = 200, body = RiskPage), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_risks(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<RiskQuery>,
) -> ApiResult<Json<RiskPage>> {
    Ok(Json(risks(&s.steward).list(&c, &org, &q).await?))
}

#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/risks", tag = "risks", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = RiskInput,
    responses((status = 200, body = Risk), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_risk(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<RiskInput>,
) -> ApiResult<Json<Risk>> {
    Ok(Json(
        risks(&s.steward).create(&c, &org, &input, today()).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/organisations/{organisation_id}/risk-appetite", tag = "risks", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = AppetiteInput,
    responses((status = 200, body = i64, content_type = "application/json", description = "The appetite now set"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_appetite(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<AppetiteInput>,
) -> ApiResult<Json<i64>> {
    Ok(Json(
        risks(&s.steward).set_appetite(&c, &org, &input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/risks/{id}", tag = "risks", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Risk), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_risk(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Risk>> {
    let p = s.steward.permit::<ops::Read>(&c, Kind::Risk, &id).await?;
    Ok(Json(risks(&s.steward).risk(&p).await?))
}

#[utoipa::path(post, path = "/api/v1/risks/{id}/score", tag = "risks", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RescoreInput,
    responses((status = 200, body = Risk), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn rescore_risk(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RescoreInput>,
) -> ApiResult<Json<Risk>> {
    let p = s.steward.permit::<ops::Change>(&c, Kind::Risk, &id).await?;
    Ok(Json(
        risks(&s.steward).rescore(&c, &p, &input, today()).await?,
    ))
}

/// The cluster view: one row per organisation the caller may list incidents of.
#[utoipa::path(get, path = "/api/v1/cluster", tag = "assurance", security(("bearer" = [])),
    responses((status = 200, body = ClusterView), (status = 403, body = Problem)))]
pub async fn cluster(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Json<ClusterView>> {
    Ok(Json(cluster_view(&s.steward, &c, today()).await?))
}

/// The DPO generates the quarter's update, held by the DPO's own organisation.
#[utoipa::path(post, path = "/api/v1/cluster-updates", tag = "assurance", security(("bearer" = [])),
    request_body = GenerateInput,
    responses((status = 200, body = ClusterUpdate), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn generate_update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<GenerateInput>,
) -> ApiResult<Json<ClusterUpdate>> {
    let org = c.home_organisation_id.clone();
    Ok(Json(
        updates(&s.steward)
            .generate(&c, &org, &input, today())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/cluster-updates/{id}", tag = "assurance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ClusterUpdate), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ClusterUpdate>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::ClusterUpdate, &id)
        .await?;
    Ok(Json(updates(&s.steward).update(&p).await?))
}

#[utoipa::path(put, path = "/api/v1/cluster-updates/{id}", tag = "assurance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = EditInput,
    responses((status = 200, body = ClusterUpdate), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn edit_update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EditInput>,
) -> ApiResult<Json<ClusterUpdate>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::ClusterUpdate, &id)
        .await?;
    Ok(Json(updates(&s.steward).edit(&c, &p, &input).await?))
}
