//! The JSON API of compliance operations under `/api/v1`: the same service functions as the
//! pages; bad input answers 422 problem details with the field errors, never a 500.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use steward_compliance::continuity::{
    continuity, AssuranceInput, Plan, PlanInput, PlanView, SystemInput, TestInput,
};
use steward_compliance::optout::{register, Processing, ProcessingInput};
use steward_compliance::policies::{
    policies, AckRow, Policy, PolicyInput, PolicySummary, VersionInput,
};
use steward_compliance::records::{
    records, CompleteInput, Destruction, DestructionInput, Review, ReviewInput,
};
use steward_compliance::retention::{calculate, CalcError, Dates, Outcome, ScheduleRow};
use steward_compliance::toolkit::{
    toolkit, ClusterReadiness, EvidenceInput, EvidenceRecord, Readiness,
};
use steward_compliance::training::{
    training, ImportInput, ImportReport, NeedsAnalysis, TrainingInput, TrainingRecord,
};
use steward_core::time::parse_iso_date;
use steward_core::{ops, CoreError, FieldErrors, Kind, Op};

use crate::api::{ApiJson, ApiQuery, ApiResult, PageQuery};
use crate::error::Problem;
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;
use steward_core::paging::Paged;

pub fn routes() -> Routes {
    use Access::*;
    let org = |k, op| Organisation(k, op);
    Routes::new()
        .get("/api/v1/retention/schedule", SignedIn, schedule)
        .post("/api/v1/retention/calculate", SignedIn, calculate_retention)
        .get(
            "/api/v1/organisations/{organisation_id}/retention-reviews",
            org(Kind::RetentionReview, Op::List),
            list_reviews,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/retention-reviews",
            org(Kind::RetentionReview, Op::Create),
            create_review,
        )
        .get(
            "/api/v1/retention-reviews/{id}",
            Record(Kind::RetentionReview, Op::Read),
            get_review,
        )
        .post(
            "/api/v1/retention-reviews/{id}/complete",
            Record(Kind::RetentionReview, Op::Change),
            complete_review,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/destructions",
            org(Kind::Destruction, Op::List),
            list_destructions,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/destructions",
            org(Kind::Destruction, Op::Create),
            record_destruction,
        )
        .get(
            "/api/v1/destructions/{id}",
            Record(Kind::Destruction, Op::Read),
            get_destruction,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/training",
            org(Kind::TrainingRecord, Op::List),
            list_training,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/training",
            org(Kind::TrainingRecord, Op::Create),
            create_training,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/training/import",
            org(Kind::TrainingRecord, Op::Create),
            import_training,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/training/reminders",
            org(Kind::TrainingRecord, Op::Create),
            training_reminders,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/training-needs",
            org(Kind::TrainingRecord, Op::List),
            training_needs,
        )
        .get(
            "/api/v1/training/{id}",
            Record(Kind::TrainingRecord, Op::Read),
            get_training,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/policies",
            org(Kind::Policy, Op::List),
            list_policies,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/policies",
            org(Kind::Policy, Op::Create),
            create_policy,
        )
        .get(
            "/api/v1/policies/{id}",
            Record(Kind::Policy, Op::Read),
            get_policy,
        )
        .get(
            "/api/v1/policies/{id}/acknowledgements",
            Record(Kind::Policy, Op::Read),
            policy_acknowledgements,
        )
        .post(
            "/api/v1/policies/{id}/versions",
            Record(Kind::Policy, Op::Change),
            publish_version,
        )
        .post(
            "/api/v1/policies/{id}/adopt",
            Record(Kind::Policy, Op::Change),
            adopt_policy,
        )
        .post(
            "/api/v1/policies/{id}/acknowledge",
            Record(Kind::PolicyAcknowledgement, Op::Change),
            acknowledge_policy,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/toolkit",
            org(Kind::ToolkitEvidence, Op::List),
            readiness,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/toolkit-evidence",
            org(Kind::ToolkitEvidence, Op::Create),
            save_evidence,
        )
        .get(
            "/api/v1/toolkit-evidence/{id}",
            Record(Kind::ToolkitEvidence, Op::Read),
            get_evidence,
        )
        .get(
            "/api/v1/cluster/toolkit",
            Cluster(Kind::ToolkitEvidence),
            cluster_readiness,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/continuity-plans",
            org(Kind::ContinuityPlan, Op::List),
            list_plans,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/continuity-plans",
            org(Kind::ContinuityPlan, Op::Create),
            create_plan,
        )
        .get(
            "/api/v1/continuity-plans/{id}",
            Record(Kind::ContinuityPlan, Op::Read),
            get_plan,
        )
        .post(
            "/api/v1/continuity-plans/{id}/systems",
            Record(Kind::ContinuityPlan, Op::Change),
            add_system,
        )
        .post(
            "/api/v1/continuity-plans/{id}/tests",
            Record(Kind::ContinuityPlan, Op::Change),
            add_test,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/opt-out-register",
            org(Kind::NonDirectCareProcessing, Op::List),
            list_processing,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/opt-out-register",
            org(Kind::NonDirectCareProcessing, Op::Create),
            create_processing,
        )
        .get(
            "/api/v1/opt-out-register/{id}",
            Record(Kind::NonDirectCareProcessing, Op::Read),
            get_processing,
        )
        .post(
            "/api/v1/continuity-plans/{id}/assurances",
            Record(Kind::ContinuityPlan, Op::Change),
            add_assurance,
        )
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The retention schedule (Appendix II of the Records Management Code of Practice 2021).
#[utoipa::path(get, path = "/api/v1/retention/schedule", tag = "compliance", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, body = Paged<ScheduleRow>)))]
pub async fn schedule(
    State(s): State<AppState>,
    ApiCaller(_c): ApiCaller,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<ScheduleRow>>> {
    pg.page_of(steward_compliance::rules(&s.steward).schedule.row.clone())
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CalcInput {
    /// A schedule row code.
    pub record_type: String,
    /// YYYY-MM-DD: what the period runs from (last seen, closure, leaving, recording).
    pub start: Option<String>,
    pub date_of_birth: Option<String>,
    pub date_of_death: Option<String>,
}

/// The earliest destruction date of a record, with the rule shown; a missing or impossible
/// date is a 422 naming the field.
#[utoipa::path(post, path = "/api/v1/retention/calculate", tag = "compliance", security(("bearer" = [])),
    request_body = CalcInput, responses((status = 200, body = Outcome), (status = 422, body = Problem)))]
pub async fn calculate_retention(
    State(s): State<AppState>,
    ApiCaller(_c): ApiCaller,
    ApiJson(input): ApiJson<CalcInput>,
) -> ApiResult<Json<Outcome>> {
    let rules = steward_compliance::rules(&s.steward);
    let row = rules.schedule.get(&input.record_type).ok_or_else(|| {
        CoreError::invalid("record_type", "Choose a type of record of the schedule")
    })?;
    let mut e = FieldErrors::default();
    let mut date = |v: &Option<String>, field: &str| match v.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => {
            let d = parse_iso_date(t);
            if d.is_none() {
                e.add(field, "Enter the date as YYYY-MM-DD, a real date");
            }
            d
        }
    };
    let dates = Dates {
        start: date(&input.start, "start"),
        date_of_birth: date(&input.date_of_birth, "date_of_birth"),
        date_of_death: date(&input.date_of_death, "date_of_death"),
    };
    e.into_result()?;
    calculate(row, &dates)
        .map(Json)
        .map_err(|CalcError::Field(f, m)| CoreError::invalid(f, m).into())
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/retention-reviews", tag = "compliance", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)), responses((status = 200, body = Paged<Review>)))]
pub async fn list_reviews(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Review>>> {
    pg.page_of(records(&s.steward).reviews(&c, &org).await?)
}

/// Starts a records management review: one action per type of record, for its owner.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/retention-reviews", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = ReviewInput, responses((status = 200, body = Review), (status = 422, body = Problem)))]
pub async fn create_review(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<Json<Review>> {
    Ok(Json(
        records(&s.steward).create_review(&c, &org, &input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/retention-reviews/{id}", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Review)))]
pub async fn get_review(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Review>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::RetentionReview, &id)
        .await?;
    Ok(Json(records(&s.steward).review(&p).await?))
}

#[utoipa::path(post, path = "/api/v1/retention-reviews/{id}/complete", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CompleteInput, responses((status = 200, body = Review), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn complete_review(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CompleteInput>,
) -> ApiResult<Json<Review>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::RetentionReview, &id)
        .await?;
    Ok(Json(
        records(&s.steward).complete_review(&c, &p, &input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/destructions", tag = "compliance", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)), responses((status = 200, body = Paged<Destruction>)))]
pub async fn list_destructions(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Destruction>>> {
    pg.page_of(records(&s.steward).destructions(&c, &org).await?)
}

/// Records a destruction; attach the certificate with the generic attachments endpoint.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/destructions", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = DestructionInput, responses((status = 200, body = Destruction), (status = 422, body = Problem)))]
pub async fn record_destruction(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<DestructionInput>,
) -> ApiResult<Json<Destruction>> {
    Ok(Json(
        records(&s.steward)
            .record_destruction(&c, &org, &input, today())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/destructions/{id}", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Destruction)))]
pub async fn get_destruction(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Destruction>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::Destruction, &id)
        .await?;
    Ok(Json(records(&s.steward).destruction(&p).await?))
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/training", tag = "compliance", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)), responses((status = 200, body = Paged<TrainingRecord>)))]
pub async fn list_training(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<TrainingRecord>>> {
    pg.page_of(training(&s.steward).list(&c, &org).await?)
}

#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/training", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = TrainingInput, responses((status = 200, body = TrainingRecord), (status = 422, body = Problem)))]
pub async fn create_training(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<TrainingInput>,
) -> ApiResult<Json<TrainingRecord>> {
    Ok(Json(
        training(&s.steward)
            .create(&c, &org, &input, today())
            .await?,
    ))
}

/// Imports a provider's CSV. The whole file is checked first; any bad line is a 422 naming
/// every bad line, and nothing is written.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/training/import", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = ImportInput, responses((status = 200, body = ImportReport), (status = 422, body = Problem)))]
pub async fn import_training(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<ImportInput>,
) -> ApiResult<Json<ImportReport>> {
    Ok(Json(
        training(&s.steward)
            .import(&c, &org, &input, today())
            .await?,
    ))
}

/// Sets a renewal action for each person whose training is about to run out; returns how many.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/training/reminders", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), responses((status = 200, body = i64, content_type = "application/json")))]
pub async fn training_reminders(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
) -> ApiResult<Json<i64>> {
    Ok(Json(
        training(&s.steward)
            .set_reminders(&c, &org, today())
            .await?,
    ))
}

/// The training needs analysis: people x required training x standing, and the toolkit's
/// percentage.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/training-needs", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), responses((status = 200, body = NeedsAnalysis)))]
pub async fn training_needs(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
) -> ApiResult<Json<NeedsAnalysis>> {
    Ok(Json(
        training(&s.steward)
            .needs_analysis(&c, &org, today())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/training/{id}", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = TrainingRecord)))]
pub async fn get_training(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<TrainingRecord>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::TrainingRecord, &id)
        .await?;
    Ok(Json(training(&s.steward).record(&p).await?))
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/policies", tag = "compliance", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)), responses((status = 200, body = Paged<PolicySummary>)))]
pub async fn list_policies(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<PolicySummary>>> {
    pg.page_of(policies(&s.steward).list(&c, &org).await?)
}

/// Adds a policy: in the DPO's organisation it joins the cluster library and is offered to
/// every practice; in a practice it is the practice's own.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/policies", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = PolicyInput, responses((status = 200, body = Policy), (status = 422, body = Problem)))]
pub async fn create_policy(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<PolicyInput>,
) -> ApiResult<Json<Policy>> {
    Ok(Json(policies(&s.steward).create(&c, &org, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Policy)))]
pub async fn get_policy(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Policy>> {
    let p = s.steward.permit::<ops::Read>(&c, Kind::Policy, &id).await?;
    Ok(Json(policies(&s.steward).policy(&p).await?))
}

/// Who the policy applies to and whether each has acknowledged the current version.
#[utoipa::path(get, path = "/api/v1/policies/{id}/acknowledgements", tag = "compliance", security(("bearer" = [])),
    params(PageQuery, ("id" = String, Path)), responses((status = 200, body = Paged<AckRow>)))]
pub async fn policy_acknowledgements(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<AckRow>>> {
    let p = s.steward.permit::<ops::Read>(&c, Kind::Policy, &id).await?;
    pg.page_of(policies(&s.steward).acknowledgements(&p).await?)
}

#[utoipa::path(post, path = "/api/v1/policies/{id}/versions", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = VersionInput, responses((status = 200, body = Policy), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn publish_version(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<VersionInput>,
) -> ApiResult<Json<Policy>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::Policy, &id)
        .await?;
    Ok(Json(
        policies(&s.steward).publish_version(&c, &p, &input).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/policies/{id}/adopt", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Policy), (status = 409, body = Problem)))]
pub async fn adopt_policy(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Policy>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::Policy, &id)
        .await?;
    Ok(Json(policies(&s.steward).adopt(&c, &p).await?))
}

/// The caller acknowledges (or signs) the current version.
#[utoipa::path(post, path = "/api/v1/policies/{id}/acknowledge", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Policy), (status = 409, body = Problem)))]
pub async fn acknowledge_policy(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Policy>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::PolicyAcknowledgement, &id)
        .await?;
    Ok(Json(policies(&s.steward).acknowledge(&c, &p).await?))
}

/// Readiness for the toolkit: each assertion with its linked evidence and status.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/toolkit", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), responses((status = 200, body = Readiness)))]
pub async fn readiness(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
) -> ApiResult<Json<Readiness>> {
    Ok(Json(
        toolkit(&s.steward).readiness(&c, &org, today()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/toolkit-evidence", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = EvidenceInput, responses((status = 200, body = EvidenceRecord), (status = 422, body = Problem)))]
pub async fn save_evidence(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<EvidenceInput>,
) -> ApiResult<Json<EvidenceRecord>> {
    Ok(Json(toolkit(&s.steward).save(&c, &org, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/toolkit-evidence/{id}", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = EvidenceRecord)))]
pub async fn get_evidence(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<EvidenceRecord>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::ToolkitEvidence, &id)
        .await?;
    Ok(Json(toolkit(&s.steward).evidence(&p).await?))
}

/// Each practice's readiness (the DPO).
#[utoipa::path(get, path = "/api/v1/cluster/toolkit", tag = "compliance", security(("bearer" = [])),
    responses((status = 200, body = ClusterReadiness)))]
pub async fn cluster_readiness(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Json<ClusterReadiness>> {
    Ok(Json(toolkit(&s.steward).cluster(&c, today()).await?))
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/continuity-plans", tag = "compliance", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)), responses((status = 200, body = Paged<Plan>)))]
pub async fn list_plans(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Plan>>> {
    pg.page_of(continuity(&s.steward).list(&c, &org).await?)
}

#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/continuity-plans", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = PlanInput, responses((status = 200, body = Plan), (status = 422, body = Problem)))]
pub async fn create_plan(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<PlanInput>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(continuity(&s.steward).create(&c, &org, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/continuity-plans/{id}", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = PlanView)))]
pub async fn get_plan(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<PlanView>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::ContinuityPlan, &id)
        .await?;
    Ok(Json(continuity(&s.steward).plan(&p, today()).await?))
}

#[utoipa::path(post, path = "/api/v1/continuity-plans/{id}/systems", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SystemInput, responses((status = 200, body = PlanView), (status = 422, body = Problem)))]
pub async fn add_system(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SystemInput>,
) -> ApiResult<Json<PlanView>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::ContinuityPlan, &id)
        .await?;
    Ok(Json(
        continuity(&s.steward)
            .add_system(&c, &p, &input, today())
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/continuity-plans/{id}/tests", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TestInput, responses((status = 200, body = PlanView), (status = 422, body = Problem)))]
pub async fn add_test(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TestInput>,
) -> ApiResult<Json<PlanView>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::ContinuityPlan, &id)
        .await?;
    Ok(Json(
        continuity(&s.steward)
            .add_test(&c, &p, &input, today())
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/continuity-plans/{id}/assurances", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AssuranceInput, responses((status = 200, body = PlanView), (status = 422, body = Problem)))]
pub async fn add_assurance(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AssuranceInput>,
) -> ApiResult<Json<PlanView>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::ContinuityPlan, &id)
        .await?;
    Ok(Json(
        continuity(&s.steward)
            .add_assurance(&c, &p, &input, today())
            .await?,
    ))
}

/// The register of processing beyond individual care, with whether the opt-out applies.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/opt-out-register", tag = "compliance", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)), responses((status = 200, body = Paged<Processing>)))]
pub async fn list_processing(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Processing>>> {
    pg.page_of(register(&s.steward).list(&c, &org).await?)
}

/// Records processing beyond individual care; whether the opt-out applies follows from the
/// legal basis.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/opt-out-register", tag = "compliance", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = ProcessingInput, responses((status = 200, body = Processing), (status = 422, body = Problem)))]
pub async fn create_processing(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<ProcessingInput>,
) -> ApiResult<Json<Processing>> {
    Ok(Json(register(&s.steward).create(&c, &org, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/opt-out-register/{id}", tag = "compliance", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Processing)))]
pub async fn get_processing(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Processing>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::NonDirectCareProcessing, &id)
        .await?;
    Ok(Json(register(&s.steward).processing(&p).await?))
}
