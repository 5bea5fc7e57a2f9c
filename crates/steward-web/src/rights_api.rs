//! The JSON API of the rights-request workflow, nested under `/api/v1`: the same service
//! functions as the pages, problem details on bad input (never a 500 for a malformed
//! request).

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_core::paging::Paging;
use steward_core::{ops, Kind, Op};
use steward_rights::requests::{
    rights, ClinicianReviewInput, ClosureInput, ExtensionInput, NamesakeInput, RequestInput,
    RequestPage, RequestQuery, RequestRecord, StartEventsInput, StepState, WarningView,
};
use steward_rights::review::{
    FlagView, KeptView, ManualView, OutputFile, ProposalView, RedactionDocument, RunSummary,
};
use steward_rights::settings::RightsSettings;

use crate::api::{ApiJson, ApiQuery, ApiResult, PageQuery};
use crate::error::{ApiError, Problem};
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;
use steward_core::paging::Paged;

pub fn routes() -> Routes {
    use Access::*;
    let requests = |op| Organisation(Kind::RightsRequest, op);
    let request = |op| Record(Kind::RightsRequest, op);
    let (read, change) = (request(Op::Read), request(Op::Change));
    Routes::new()
        .get(
            "/api/v1/organisations/{organisation_id}/requests",
            requests(Op::List),
            list_requests,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/requests",
            requests(Op::Create),
            create_request,
        )
        // The service also keeps the change to the DPO and the IG lead.
        .get(
            "/api/v1/organisations/{organisation_id}/rights-settings",
            requests(Op::List),
            get_settings,
        )
        .put(
            "/api/v1/organisations/{organisation_id}/rights-settings",
            requests(Op::Configure),
            change_settings,
        )
        .get("/api/v1/requests/{id}", read, get_request)
        .put("/api/v1/requests/{id}", change, update_request)
        .post(
            "/api/v1/requests/{id}/start-events",
            change,
            record_start_events,
        )
        .post(
            "/api/v1/requests/{id}/clarification",
            change,
            ask_for_clarification,
        )
        .post(
            "/api/v1/requests/{id}/clarification/received",
            change,
            clarification_received,
        )
        .post("/api/v1/requests/{id}/extension", change, extend)
        .post("/api/v1/requests/{id}/status", change, move_request)
        .get("/api/v1/requests/{id}/steps", read, steps)
        .post(
            "/api/v1/requests/{id}/steps/{step_id}",
            change,
            complete_step,
        )
        .post(
            "/api/v1/requests/{id}/clinician-review",
            request(Op::Advise),
            clinician_review,
        )
        .get("/api/v1/requests/{id}/namesakes", read, namesake_warnings)
        .post("/api/v1/requests/{id}/namesakes", change, add_namesake)
        .post("/api/v1/requests/{id}/recipients", change, record_recipient)
        .post("/api/v1/requests/{id}/close", change, close_request)
        .get("/api/v1/requests/{id}/letter", read, letter)
        .get("/api/v1/requests/{id}/documents", read, documents)
        .upload("/api/v1/requests/{id}/documents", change, add_document)
        .post("/api/v1/requests/{id}/redaction/run", change, run_redaction)
        .get("/api/v1/requests/{id}/review", read, review)
        .post("/api/v1/requests/{id}/review/{seq}", change, decide)
        .post(
            "/api/v1/requests/{id}/manual-redactions",
            change,
            add_manual,
        )
        .post("/api/v1/requests/{id}/bundle", change, produce_bundle)
        .get("/api/v1/requests/{id}/outputs", read, outputs)
        .get(
            "/api/v1/requests/{id}/outputs/{output_id}",
            read,
            download_output,
        )
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/requests", tag = "requests", security(("bearer" = [])),
    params(("organisation_id" = String, Path), RequestQuery),
    responses((status = 200, body = RequestPage), (status = 400, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_requests(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<RequestQuery>,
) -> ApiResult<Json<RequestPage>> {
    Ok(Json(
        rights(&s.steward).requests(&c, &org, &q, today()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/requests", tag = "requests", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = RequestInput,
    responses((status = 201, body = RequestRecord), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_request(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<RequestInput>,
) -> ApiResult<(StatusCode, Json<RequestRecord>)> {
    let r = rights(&s.steward)
        .create_request(&c, &org, &input, today())
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/rights-settings", tag = "requests", security(("bearer" = [])),
    params(("organisation_id" = String, Path)),
    responses((status = 200, body = RightsSettings), (status = 404, body = Problem)))]
pub async fn get_settings(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
) -> ApiResult<Json<RightsSettings>> {
    Ok(Json(rights(&s.steward).settings(&c, &org).await?))
}

/// The DPO or the IG lead sets the response period for requests logged from now on.
#[utoipa::path(put, path = "/api/v1/organisations/{organisation_id}/rights-settings", tag = "requests", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = RightsSettings,
    responses((status = 200, body = RightsSettings), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn change_settings(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(new): ApiJson<RightsSettings>,
) -> ApiResult<Json<RightsSettings>> {
    Ok(Json(
        rights(&s.steward).change_settings(&c, &org, &new).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = RequestRecord), (status = 404, body = Problem)))]
pub async fn get_request(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<RequestRecord>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::RightsRequest, &id)
        .await?;
    Ok(Json(rights(&s.steward).request(&p, today()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RequestUpdate {
    #[serde(flatten)]
    pub input: RequestInput,
    /// The version the change is made against; a newer stored version is a 409.
    pub version: Option<i64>,
}

#[utoipa::path(put, path = "/api/v1/requests/{id}", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RequestUpdate,
    responses((status = 200, body = RequestRecord), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_request(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(u): ApiJson<RequestUpdate>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(
        rights(&s.steward)
            .update_request(&c, &id, &u.input, u.version, today())
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/start-events", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = StartEventsInput,
    responses((status = 200, body = RequestRecord), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn record_start_events(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<StartEventsInput>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(
        rights(&s.steward)
            .record_start_events(&c, &id, &i, today())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ClarificationInput {
    /// YYYY-MM-DD
    #[schema(format = Date, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub asked_on: String,
    #[schema(required, pattern = "\\S")]
    pub question: String,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/clarification", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ClarificationInput,
    responses((status = 200, body = RequestRecord), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn ask_for_clarification(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ClarificationInput>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(
        rights(&s.steward)
            .ask_for_clarification(&c, &id, &i.asked_on, &i.question, today())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ClarificationReceived {
    /// YYYY-MM-DD
    #[schema(format = Date, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub received_on: String,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/clarification/received", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ClarificationReceived,
    responses((status = 200, body = RequestRecord), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn clarification_received(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ClarificationReceived>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(
        rights(&s.steward)
            .clarification_received(&c, &id, &i.received_on, today())
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/extension", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ExtensionInput,
    responses((status = 200, body = RequestRecord), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn extend(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ExtensionInput>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(rights(&s.steward).extend(&c, &id, &i, today()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusInput {
    /// The next status, e.g. in_progress, clinician_review, ready_to_send, withdrawn.
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/status", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = StatusInput,
    responses((status = 200, body = RequestRecord), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn move_request(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<StatusInput>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(
        rights(&s.steward)
            .move_request(&c, &id, &i.status, today())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/steps", tag = "requests", security(("bearer" = [])),
    params(PageQuery, ("id" = String, Path)), responses((status = 200, body = Paged<StepState>), (status = 404, body = Problem)))]
pub async fn steps(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<StepState>>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::RightsRequest, &id)
        .await?;
    pg.page_of(rights(&s.steward).steps(&p).await?)
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct StepInput {
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/steps/{step_id}", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path), ("step_id" = String, Path)), request_body = StepInput,
    responses((status = 200, body = RequestRecord), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn complete_step(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((id, step)): Path<(String, String)>,
    ApiJson(i): ApiJson<StepInput>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(
        rights(&s.steward)
            .complete_step(&c, &id, &step, &i.note, today())
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/clinician-review", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ClinicianReviewInput,
    responses((status = 200, body = RequestRecord), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn clinician_review(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ClinicianReviewInput>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(
        rights(&s.steward)
            .record_clinician_review(&c, &id, &i, today())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/namesakes", tag = "requests", security(("bearer" = [])),
    params(PageQuery, ("id" = String, Path)), responses((status = 200, body = Paged<WarningView>), (status = 404, body = Problem)))]
pub async fn namesake_warnings(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<WarningView>>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::RightsRequest, &id)
        .await?;
    pg.page_of(rights(&s.steward).namesake_warnings(&p).await?)
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/namesakes", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NamesakeInput,
    responses((status = 200, body = [WarningView]), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_namesake(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<NamesakeInput>,
) -> ApiResult<Json<Vec<WarningView>>> {
    let r = rights(&s.steward);
    r.add_namesake(&c, &id, &i, today()).await?;
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::RightsRequest, &id)
        .await?;
    Ok(Json(r.namesake_warnings(&p).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecipientInput {
    /// The recipient as listed on the request.
    #[schema(required, pattern = "\\S")]
    pub recipient: String,
    /// YYYY-MM-DD, when told
    #[serde(default)]
    pub notified_on: String,
    /// Why it was not told (impossible or disproportionate effort)
    #[serde(default)]
    pub not_notified_reason: String,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/recipients", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RecipientInput,
    responses((status = 200, body = RequestRecord), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn record_recipient(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<RecipientInput>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(
        rights(&s.steward)
            .record_recipient(
                &c,
                &id,
                &i.recipient,
                &i.notified_on,
                &i.not_notified_reason,
                today(),
            )
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/close", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ClosureInput,
    responses((status = 200, body = RequestRecord), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn close_request(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ClosureInput>,
) -> ApiResult<Json<RequestRecord>> {
    Ok(Json(
        rights(&s.steward)
            .close_request(&c, &id, &i, today())
            .await?,
    ))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LetterQuery {
    /// pdf (default) or docx
    #[param(inline)]
    pub format: Option<LetterFormat>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LetterFormat {
    Pdf,
    Docx,
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/letter", tag = "requests", security(("bearer" = [])),
    params(("id" = String, Path), LetterQuery),
    responses((status = 200, description = "The response letter (PDF or DOCX)"), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn letter(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<LetterQuery>,
) -> ApiResult<Response> {
    let docx = q.format == Some(LetterFormat::Docx);
    let (name, bytes) = crate::rights_pages::letter_bytes(&s, &c, &id, docx).await?;
    Ok(file_response(
        &name,
        if docx {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        } else {
            "application/pdf"
        },
        bytes,
    ))
}

fn file_response(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    crate::views::download(bytes, content_type, name)
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/documents", tag = "redaction", security(("bearer" = [])),
    params(PageQuery, ("id" = String, Path)), responses((status = 200, body = Paged<RedactionDocument>), (status = 404, body = Problem)))]
pub async fn documents(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<RedactionDocument>>> {
    pg.page_of(rights(&s.steward).documents(&c, &id).await?)
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/documents", tag = "redaction", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content_type = "multipart/form-data", description = "A `file` field: text, HTML, DOCX, PDF, CSV or FHIR JSON"),
    responses((status = 201, body = RedactionDocument), (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn add_document(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<RedactionDocument>)> {
    let file = crate::multipart::read(mp, &["file"])
        .await?
        .required("file", "Send the document in a multipart part named 'file'")?;
    let name = file.file_name.as_deref().unwrap_or("document");
    let d = rights(&s.steward)
        .add_document(&c, &id, name, &file.bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/redaction/run", tag = "redaction", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = RunSummary), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn run_redaction(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<RunSummary>> {
    Ok(Json(rights(&s.steward).run_redaction(&c, &id).await?))
}

/// The review of a request's redaction run: the run's summary, the flags, the manual
/// redactions and the pages needing manual review, and one page of the proposals (`items`,
/// in document order; 100 a page unless `size` says), paged as every list is.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewPage {
    pub run: RunSummary,
    pub flags: Vec<FlagView>,
    pub manual: Vec<ManualView>,
    /// Kept by default, each with its reason: the organisation's own details (its
    /// letterhead) and its staff's names.
    pub kept: Vec<KeptView>,
    /// "document: page" of pages without a text layer: they need manual review.
    pub pages_needing_review: Vec<String>,
    /// This page's proposed redactions.
    pub items: Vec<ProposalView>,
    /// How many proposals the run made.
    pub total: i64,
    /// This page's number, from 1 (the last page's when a later one was asked for).
    pub page: i64,
    /// How many proposals a page holds.
    pub size: i64,
    /// How many pages the proposals fill (at least 1).
    pub pages: i64,
}

/// Proposals a review page holds unless `size` says.
pub const REVIEW_PAGE_SIZE: i64 = 100;

#[utoipa::path(get, path = "/api/v1/requests/{id}/review", tag = "redaction", security(("bearer" = [])),
    params(("id" = String, Path), PageQuery), responses((status = 200, body = ReviewPage), (status = 409, description = "The redaction has not been run yet", body = Problem), (status = 404, body = Problem)))]
pub async fn review(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<ReviewPage>> {
    let paging = Paging::new(pg.page, pg.size, REVIEW_PAGE_SIZE)?;
    let screen = rights(&s.steward).review(&c, &id).await?.ok_or_else(|| {
        // The request exists: "not found" would send an integrator looking for the wrong thing.
        ApiError(
            StatusCode::CONFLICT,
            "The redaction has not been run for this request yet: run it first".into(),
            vec![],
        )
    })?;
    let proposals = paging.page_of(screen.proposals);
    Ok(Json(ReviewPage {
        run: screen.run,
        flags: screen.flags,
        manual: screen.manual,
        kept: screen.kept,
        pages_needing_review: screen.pages_needing_review,
        items: proposals.items,
        total: proposals.total,
        page: proposals.page,
        size: proposals.size,
        pages: proposals.pages,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    /// accept (redact) or reject (disclose)
    #[schema(pattern = "^(accept|reject)$")]
    pub verdict: String,
    /// third_party, serious_harm, restricted_by_law or other
    #[serde(default = "third_party")]
    #[schema(pattern = "^(third_party|serious_harm|restricted_by_law|other)$")]
    pub reason_code: String,
    /// Required to accept with the reason other: which exemption applies.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub note: String,
}

fn third_party() -> String {
    "third_party".into()
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/review/{seq}", tag = "redaction", security(("bearer" = [])),
    params(("id" = String, Path), ("seq" = i64, Path)), request_body = DecisionInput,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn decide(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((id, seq)): Path<(String, String)>,
    ApiJson(i): ApiJson<DecisionInput>,
) -> ApiResult<StatusCode> {
    let seq: i64 = seq
        .parse()
        .map_err(|_| ApiError::bad_request("the proposal number must be a whole number"))?;
    rights(&s.steward)
        .decide(&c, &id, seq, &i.verdict, &i.reason_code, &i.note)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ManualInput {
    /// The words to redact, wherever they occur.
    #[schema(pattern = "\\S.*\\S")]
    pub text: String,
    /// third_party, serious_harm, restricted_by_law or other
    #[schema(pattern = "^(third_party|serious_harm|restricted_by_law|other)$")]
    pub reason_code: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ManualResult {
    pub places: usize,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/manual-redactions", tag = "redaction", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ManualInput,
    responses((status = 200, body = ManualResult), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_manual(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<ManualInput>,
) -> ApiResult<Json<ManualResult>> {
    let places = rights(&s.steward)
        .add_manual(&c, &id, &i.text, &i.reason_code, &i.note)
        .await?;
    Ok(Json(ManualResult { places }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct BundleInput {
    /// box (default) or label
    #[schema(pattern = "^(|box|label)$")]
    pub style: String,
}

#[utoipa::path(post, path = "/api/v1/requests/{id}/bundle", tag = "redaction", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = BundleInput,
    responses((status = 200, body = [OutputFile]), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn produce_bundle(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(i): ApiJson<BundleInput>,
) -> ApiResult<Json<Vec<OutputFile>>> {
    let label = match i.style.as_str() {
        "" | "box" => false,
        "label" => true,
        _ => {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "style must be box or label".into(),
                vec![],
            ))
        }
    };
    Ok(Json(
        rights(&s.steward)
            .produce_bundle(&c, &id, label, today())
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/outputs", tag = "redaction", security(("bearer" = [])),
    params(PageQuery, ("id" = String, Path)), responses((status = 200, body = Paged<OutputFile>), (status = 404, body = Problem)))]
pub async fn outputs(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<OutputFile>>> {
    pg.page_of(rights(&s.steward).outputs(&c, &id).await?)
}

#[utoipa::path(get, path = "/api/v1/requests/{id}/outputs/{output_id}", tag = "redaction", security(("bearer" = [])),
    params(("id" = String, Path), ("output_id" = String, Path)),
    responses((status = 200, description = "The bundle PDF or the schedule CSV/PDF"), (status = 404, body = Problem)))]
pub async fn download_output(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((id, output)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (f, bytes) = rights(&s.steward).download_output(&c, &id, &output).await?;
    Ok(file_response(&f.filename, &f.content_type, bytes))
}
