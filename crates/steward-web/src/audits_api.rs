//! The JSON API of compliance audits and action rounds under `/api/v1`: the same service
//! functions as the pages; bad input answers 422 problem details, never a 500.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_assurance::audits::{
    audits, Answer, AnswerInput, CompleteInput, ComplianceAudit, StartInput,
};
use steward_assurance::rounds::{rounds, ActionRound, Grid, SendInput};
use steward_core::{ops, Kind, Op};

use crate::api::{ApiJson, ApiQuery, ApiResult, PageQuery};
use crate::error::Problem;
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;
use steward_core::paging::Paged;

pub fn routes() -> Routes {
    use Access::*;
    let audits_in = |op| Organisation(Kind::ComplianceAudit, op);
    let audit = |op| Record(Kind::ComplianceAudit, op);
    let round = |op| Record(Kind::ActionRound, op);
    Routes::new()
        .get(
            "/api/v1/organisations/{organisation_id}/compliance-audits",
            audits_in(Op::List),
            list_audits,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/compliance-audits",
            audits_in(Op::Create),
            start_audit,
        )
        .get("/api/v1/compliance-audits/{id}", audit(Op::Read), get_audit)
        .put(
            "/api/v1/compliance-audits/{id}/answers",
            audit(Op::Change),
            answer_question,
        )
        .post(
            "/api/v1/compliance-audits/{id}/complete",
            audit(Op::Change),
            complete_audit,
        )
        // Held by the DPO's own organisation, sent to the practices.
        .get(
            "/api/v1/action-rounds",
            Cluster(Kind::ActionRound),
            list_rounds,
        )
        .post(
            "/api/v1/action-rounds",
            Cluster(Kind::ActionRound),
            send_round,
        )
        .get("/api/v1/action-rounds/{id}", round(Op::Read), get_round)
        .post(
            "/api/v1/action-rounds/{id}/chase",
            round(Op::Change),
            chase_practice,
        )
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditWithAnswers {
    pub audit: ComplianceAudit,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChaseInput {
    pub organisation_id: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Chased {
    /// The practice's actions of the round still open.
    pub open_actions: i64,
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/compliance-audits", tag = "compliance audits", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)),
    responses((status = 200, body = Paged<ComplianceAudit>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_audits(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<ComplianceAudit>>> {
    pg.page_of(audits(&s.steward).list(&c, &org).await?)
}

/// The DPO starts a Data Security Compliance Audit of a practice.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/compliance-audits", tag = "compliance audits", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = StartInput,
    responses((status = 200, body = ComplianceAudit), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn start_audit(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<StartInput>,
) -> ApiResult<Json<ComplianceAudit>> {
    Ok(Json(audits(&s.steward).start(&c, &org, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/compliance-audits/{id}", tag = "compliance audits", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AuditWithAnswers), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_audit(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<AuditWithAnswers>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::ComplianceAudit, &id)
        .await?;
    let a = audits(&s.steward);
    Ok(Json(AuditWithAnswers {
        audit: a.audit(&p).await?,
        answers: a.answers(&p).await?,
    }))
}

/// Rates one question (again, while the audit is in progress).
#[utoipa::path(put, path = "/api/v1/compliance-audits/{id}/answers", tag = "compliance audits", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AnswerInput,
    responses((status = 200, body = Answer), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn answer_question(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> ApiResult<Json<Answer>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::ComplianceAudit, &id)
        .await?;
    Ok(Json(audits(&s.steward).answer(&c, &p, &input).await?))
}

/// Completes the audit: every question must be rated; each finding becomes an action.
#[utoipa::path(post, path = "/api/v1/compliance-audits/{id}/complete", tag = "compliance audits", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CompleteInput,
    responses((status = 200, body = ComplianceAudit), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn complete_audit(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CompleteInput>,
) -> ApiResult<Json<ComplianceAudit>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::ComplianceAudit, &id)
        .await?;
    Ok(Json(audits(&s.steward).complete(&c, &p, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/action-rounds", tag = "action rounds", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, body = Paged<ActionRound>), (status = 403, body = Problem)))]
pub async fn list_rounds(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<ActionRound>>> {
    let org = c.home_organisation_id.clone();
    pg.page_of(rounds(&s.steward).list(&c, &org).await?)
}

/// The DPO sends one set of required actions to many practices at once.
#[utoipa::path(post, path = "/api/v1/action-rounds", tag = "action rounds", security(("bearer" = [])),
    request_body = SendInput,
    responses((status = 200, body = ActionRound), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn send_round(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<SendInput>,
) -> ApiResult<Json<ActionRound>> {
    let org = c.home_organisation_id.clone();
    Ok(Json(
        rounds(&s.steward).send(&c, &org, &input, today()).await?,
    ))
}

/// The grid: practices x required actions, each with its status and evidence.
#[utoipa::path(get, path = "/api/v1/action-rounds/{id}", tag = "action rounds", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Grid), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_round(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Grid>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::ActionRound, &id)
        .await?;
    Ok(Json(rounds(&s.steward).grid(&p, today()).await?))
}

/// Chases one practice's open actions of the round (an e-mail when e-mail is set up).
#[utoipa::path(post, path = "/api/v1/action-rounds/{id}/chase", tag = "action rounds", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ChaseInput,
    responses((status = 200, body = Chased), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn chase_practice(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChaseInput>,
) -> ApiResult<Json<Chased>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::ActionRound, &id)
        .await?;
    let open_actions = rounds(&s.steward)
        .chase(&c, &p, &input.organisation_id)
        .await?;
    Ok(Json(Chased { open_actions }))
}
