//! The JSON API of the registers and transparency under `/api/v1`: the same service
//! functions as the pages. Each register's list, create, read and change endpoints come from
//! its field list (documented in the OpenAPI document by [`RegisterPaths`]); bad input
//! answers 422 problem details naming the fields, never a 500.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use steward_core::{ops, Kind, Op};
use steward_registers::cluster::{JoinInput, MasterItem, Membership, ProjectView};
use steward_registers::fields::{Register, RegisterDef, Ty};
use steward_registers::notice::NoticeSettings;
use steward_registers::store::{
    dpo_organisation, kind_of, registers, Entry, EntryPage, EntryQuery, SearchHit,
};
use steward_registers::transparency::{NoticeDraft, NoticeVersion, PublishInput};
use steward_registers::REGISTERS;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Ref, Required};
use utoipa::Modify;

use crate::api::{ApiJson, ApiQuery, ApiResult, PageQuery};
use crate::error::Problem;
use crate::routes::{Access, Routes};
use crate::session::ApiCaller;
use crate::AppState;
use steward_core::paging::Paged;

fn cluster_register(r: Register) -> bool {
    matches!(r, Register::Templates | Register::Projects)
}

fn path(s: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = seen.get(s.as_str()) {
        return p;
    }
    let p: &'static str = Box::leak(s.into_boxed_str());
    seen.insert(p);
    p
}

pub(crate) fn list_path(def: &steward_registers::RegisterDef) -> String {
    if cluster_register(def.register) {
        format!("/api/v1/{}", def.slug)
    } else {
        format!("/api/v1/organisations/{{organisation_id}}/{}", def.slug)
    }
}

pub fn routes() -> Routes {
    use Access::*;
    let pa = |op| Organisation(Kind::ProcessingActivity, op);
    let notice = |op| Organisation(Kind::PrivacyNotice, op);
    let mut r = Routes::new()
        .get(
            "/api/v1/organisations/{organisation_id}/registers/search",
            pa(Op::List),
            search,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/master-log",
            pa(Op::List),
            master_log,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/master-log/{template_id}/adopt",
            pa(Op::Create),
            adopt,
        )
        .post(
            "/api/v1/processing-activities/{id}/accept-update",
            Record(Kind::ProcessingActivity, Op::Change),
            accept_update,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/sharing-projects",
            pa(Op::List),
            projects,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/sharing-projects/{project_id}/join",
            pa(Op::Create),
            join,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/sharing-projects/{project_id}/leave",
            pa(Op::Create),
            leave,
        )
        .get(
            "/api/v1/organisations/{organisation_id}/privacy-notice",
            notice(Op::List),
            get_notice,
        )
        .put(
            "/api/v1/organisations/{organisation_id}/privacy-notice",
            notice(Op::Create),
            save_notice,
        )
        .post(
            "/api/v1/organisations/{organisation_id}/privacy-notice/publish",
            notice(Op::Create),
            publish_notice,
        )
        .get(
            "/api/v1/privacy-notices/{id}",
            Record(Kind::PrivacyNotice, Op::Read),
            notice_record,
        );
    for def in REGISTERS.iter() {
        let reg = def.register;
        let k = kind_of(reg);
        let list = path(list_path(def));
        let one = path(format!("/api/v1/{}/{{id}}", def.slug));
        if cluster_register(reg) {
            r = r
                .get(
                    list,
                    Cluster(k),
                    move |s: State<AppState>, c: ApiCaller, q: ApiQuery<EntryQuery>| {
                        list_cluster(reg, s, c, q)
                    },
                )
                .post(
                    list,
                    Cluster(k),
                    move |s: State<AppState>,
                          c: ApiCaller,
                          b: ApiJson<BTreeMap<String, String>>| {
                        create_cluster(reg, s, c, b)
                    },
                );
        } else {
            r = r
                .get(
                    list,
                    Organisation(k, Op::List),
                    move |s: State<AppState>,
                          c: ApiCaller,
                          o: Path<String>,
                          q: ApiQuery<EntryQuery>| {
                        list_entries(reg, s, c, o, q)
                    },
                )
                .post(
                    list,
                    Organisation(k, Op::Create),
                    move |s: State<AppState>,
                          c: ApiCaller,
                          o: Path<String>,
                          b: ApiJson<BTreeMap<String, String>>| {
                        create_entry(reg, s, c, o, b)
                    },
                );
        }
        r = r
            .get(
                one,
                Record(k, Op::Read),
                move |s: State<AppState>, c: ApiCaller, id: Path<String>| get_entry(reg, s, c, id),
            )
            .put(
                one,
                Record(k, Op::Change),
                move |s: State<AppState>,
                      c: ApiCaller,
                      id: Path<String>,
                      b: ApiJson<BTreeMap<String, String>>| {
                    change_entry(reg, s, c, id, b)
                },
            );
    }
    r
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

async fn list_entries(
    reg: Register,
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> ApiResult<Json<EntryPage>> {
    Ok(Json(registers(&s.steward).list(&c, &org, reg, &q).await?))
}

async fn create_entry(
    reg: Register,
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(b): ApiJson<BTreeMap<String, String>>,
) -> ApiResult<Json<Entry>> {
    Ok(Json(
        registers(&s.steward)
            .create(&c, &org, reg, &b, today())
            .await?,
    ))
}

async fn dpo_of(s: &AppState, c: &steward_core::Caller) -> Result<String, steward_core::CoreError> {
    dpo_organisation(&s.steward, &c.home_organisation_id)
        .await?
        .ok_or(steward_core::CoreError::NotFound)
}

async fn list_cluster(
    reg: Register,
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> ApiResult<Json<EntryPage>> {
    let org = dpo_of(&s, &c).await?;
    Ok(Json(registers(&s.steward).list(&c, &org, reg, &q).await?))
}

async fn create_cluster(
    reg: Register,
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(b): ApiJson<BTreeMap<String, String>>,
) -> ApiResult<Json<Entry>> {
    let org = dpo_of(&s, &c).await?;
    Ok(Json(
        registers(&s.steward)
            .create(&c, &org, reg, &b, today())
            .await?,
    ))
}

async fn get_entry(
    reg: Register,
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Entry>> {
    let p = s.steward.permit::<ops::Read>(&c, kind_of(reg), &id).await?;
    Ok(Json(registers(&s.steward).entry(&p, reg).await?))
}

async fn change_entry(
    reg: Register,
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<BTreeMap<String, String>>,
) -> ApiResult<Json<Entry>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, kind_of(reg), &id)
        .await?;
    Ok(Json(
        registers(&s.steward)
            .update(&c, &p, reg, &b, today())
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct SearchQuery {
    /// Words to find in any register's names, references and text.
    pub q: String,
}

/// Searches every register of the organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/registers/search", tag = "registers", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path), SearchQuery),
    responses((status = 200, body = Paged<SearchHit>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn search(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(q): ApiQuery<SearchQuery>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<SearchHit>>> {
    pg.page_of(registers(&s.steward).search(&c, &[org], &q.q).await?)
}

/// The cluster master log, with what this organisation adopted.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/master-log", tag = "registers", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)),
    responses((status = 200, body = Paged<MasterItem>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn master_log(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<MasterItem>>> {
    pg.page_of(registers(&s.steward).master_log(&c, &org).await?)
}

/// Adds a master log activity to the organisation's log; 409 when it is already there.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/master-log/{template_id}/adopt", tag = "registers", security(("bearer" = [])),
    params(("organisation_id" = String, Path), ("template_id" = String, Path)),
    responses((status = 200, body = Entry), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn adopt(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((org, template)): Path<(String, String)>,
) -> ApiResult<Json<Entry>> {
    Ok(Json(
        registers(&s.steward).adopt(&c, &org, &template).await?,
    ))
}

/// Accepts the master log's update into the organisation's activity; 409 when there is none.
#[utoipa::path(post, path = "/api/v1/processing-activities/{id}/accept-update", tag = "registers", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Entry), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn accept_update(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Entry>> {
    let p = s
        .steward
        .permit::<ops::Change>(&c, Kind::ProcessingActivity, &id)
        .await?;
    Ok(Json(registers(&s.steward).accept_update(&c, &p).await?))
}

/// The cluster's sharing projects with this organisation's part in each.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/sharing-projects", tag = "registers", security(("bearer" = [])),
    params(PageQuery, ("organisation_id" = String, Path)),
    responses((status = 200, body = Paged<ProjectView>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn projects(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiQuery(pg): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<ProjectView>>> {
    pg.page_of(registers(&s.steward).projects_for(&c, &org).await?)
}

/// Joins an approved project (who signed, when); 409 for a pending or withdrawn project.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/sharing-projects/{project_id}/join", tag = "registers", security(("bearer" = [])),
    params(("organisation_id" = String, Path), ("project_id" = String, Path)), request_body = JoinInput,
    responses((status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn join(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((org, project)): Path<(String, String)>,
    ApiJson(input): ApiJson<JoinInput>,
) -> ApiResult<Json<Membership>> {
    Ok(Json(
        registers(&s.steward)
            .join(&c, &org, &project, &input, today())
            .await?,
    ))
}

/// Leaves a project: its activity is removed from the log.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/sharing-projects/{project_id}/leave", tag = "registers", security(("bearer" = [])),
    params(("organisation_id" = String, Path), ("project_id" = String, Path)),
    responses((status = 204, description = "Left the project"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn leave(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path((org, project)): Path<(String, String)>,
) -> ApiResult<axum::http::StatusCode> {
    registers(&s.steward).leave(&c, &org, &project).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The privacy notice generated now, what is missing, and the published versions.
#[utoipa::path(get, path = "/api/v1/organisations/{organisation_id}/privacy-notice", tag = "transparency", security(("bearer" = [])),
    params(("organisation_id" = String, Path)),
    responses((status = 200, body = NoticeDraft), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_notice(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
) -> ApiResult<Json<NoticeDraft>> {
    Ok(Json(registers(&s.steward).notice(&c, &org).await?))
}

/// Saves what the editor writes; the rest comes from the registers.
#[utoipa::path(put, path = "/api/v1/organisations/{organisation_id}/privacy-notice", tag = "transparency", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = NoticeSettings,
    responses((status = 200, body = NoticeDraft), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn save_notice(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<NoticeSettings>,
) -> ApiResult<Json<NoticeDraft>> {
    let r = registers(&s.steward);
    r.save_notice_settings(&c, &org, &input).await?;
    Ok(Json(r.notice(&c, &org).await?))
}

/// Publishes a new version; 422 listing the Article 13/14 elements missing.
#[utoipa::path(post, path = "/api/v1/organisations/{organisation_id}/privacy-notice/publish", tag = "transparency", security(("bearer" = [])),
    params(("organisation_id" = String, Path)), request_body = PublishInput,
    responses((status = 200, body = NoticeVersion), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn publish_notice(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<PublishInput>,
) -> ApiResult<Json<NoticeVersion>> {
    Ok(Json(
        registers(&s.steward)
            .publish_notice(&c, &org, &input)
            .await?,
    ))
}

/// One organisation's privacy notice by the notice's id.
#[utoipa::path(get, path = "/api/v1/privacy-notices/{id}", tag = "transparency", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = NoticeDraft), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn notice_record(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<NoticeDraft>> {
    let p = s
        .steward
        .permit::<ops::Read>(&c, Kind::PrivacyNotice, &id)
        .await?;
    Ok(Json(
        registers(&s.steward)
            .notice(&c, p.organisation_id())
            .await?,
    ))
}

/// Documents each register's generated endpoints (they come from its field list, so the
/// OpenAPI document is built from the same list).
pub struct RegisterPaths;

fn json(schema: &str, description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .build(),
        )
        .build()
}

fn string_param(name: &str, at: ParameterIn) -> utoipa::openapi::path::Parameter {
    let required = matches!(at, ParameterIn::Path);
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// The register's required fields as properties of the body, so that the document says
/// what the form says: text with something in it, a date, yes or no, a level of 1 to 5.
/// yes, no, y, n, true, false, 1 or 0 in any case, with white space around.
const YES_NO_PATTERN: &str = "^[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*([Yy]([Ee][Ss])?|[Nn][Oo]?|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)[\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$";

fn required_fields(mut object: ObjectBuilder, def: &RegisterDef) -> ObjectBuilder {
    for f in def.fields.iter().filter(|f| f.required) {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(f.label));
        let schema = match f.ty {
            // A date of the years 1900 to 2199, written YYYY-MM-DD (the days a pattern can
            // say without a calendar: 1 to 28 of every month).
            Ty::Date => schema
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                .pattern(Some(
                    "^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$",
                )),
            // What `fields::parse_yes_no` takes (spreadsheet spellings too), around the
            // white space Rust's `trim` removes.
            Ty::YesNo => schema.pattern(Some(YES_NO_PATTERN)),
            Ty::Level => schema.pattern(Some("^[1-5]$")),
            _ => schema.pattern(Some("\\S")),
        };
        object = object.property(f.name, schema).required(f.name);
    }
    object
}

impl Modify for RegisterPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for def in REGISTERS.iter() {
            let fields: Vec<String> = def
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{} ({}{})",
                        f.name,
                        f.label,
                        if f.required { ", required" } else { "" }
                    )
                })
                .collect();
            let body = || {
                RequestBodyBuilder::new()
                    .description(Some(format!(
                        "The {}'s fields by name, as text: codes of the code lists (or their labels), dates YYYY-MM-DD or DD/MM/YYYY, yes or no, linked records' ids one per line. Fields: {}.",
                        def.one,
                        fields.join("; ")
                    )))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(required_fields(
                                ObjectBuilder::new()
                                    .schema_type(Type::Object)
                                    .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String))),
                                def,
                            )))
                            .build(),
                    )
                    .required(Some(Required::True))
                    .build()
            };
            let base = || {
                OperationBuilder::new()
                    .tag("registers")
                    .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            };
            let org_param = || string_param("organisation_id", ParameterIn::Path);
            let list = list_path(def);
            let mut list_op = base()
                .summary(Some(format!(
                    "The {} (searched with q, paged)",
                    def.title.to_lowercase()
                )))
                .operation_id(Some(format!("list_{}", def.slug.replace('-', "_"))))
                .parameters(Some(<EntryQuery as utoipa::IntoParams>::into_params(
                    || Some(ParameterIn::Query),
                )))
                .response("200", json("EntryPage", "One page of the register"));
            let mut create_op = base()
                .summary(Some(format!("Add a {}", def.one)))
                .operation_id(Some(format!("create_{}", def.slug.replace('-', "_"))))
                .request_body(Some(body()))
                .response("200", json("Entry", "The new entry"));
            if !cluster_register(def.register) {
                list_op = list_op.parameter(org_param());
                create_op = create_op.parameter(org_param());
            }
            openapi
                .paths
                .add_path_operation(&list, vec![HttpMethod::Get], list_op.build());
            openapi
                .paths
                .add_path_operation(&list, vec![HttpMethod::Post], create_op.build());
            let one = format!("/api/v1/{}/{{id}}", def.slug);
            let get_op = base()
                .summary(Some(format!("One {}", def.one)))
                .operation_id(Some(format!("get_{}", def.slug.replace('-', "_"))))
                .parameter(string_param("id", ParameterIn::Path))
                .response("200", json("Entry", "The entry"));
            let put_op = base()
                .summary(Some(format!("Change a {} (every field is sent)", def.one)))
                .operation_id(Some(format!("change_{}", def.slug.replace('-', "_"))))
                .parameter(string_param("id", ParameterIn::Path))
                .request_body(Some(body()))
                .response("200", json("Entry", "The entry as changed"));
            openapi
                .paths
                .add_path_operation(&one, vec![HttpMethod::Get], get_op.build());
            openapi
                .paths
                .add_path_operation(&one, vec![HttpMethod::Put], put_op.build());
        }
    }
}
