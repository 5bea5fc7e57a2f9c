//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::extract::State;
use axum::Json;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::registers_api::RegisterPaths;
use crate::AppState;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation documents the errors the route guard and the extractors answer, all as
/// RFC 9457 problem details: 401 and 403 for a route that needs a token, 404 for one that
/// names a record, 409 for one that changes something (a newer version, a step out of order,
/// a record other records refer to), 400 and 422 for one that takes query parameters, 400
/// and 413 for one that takes a body (JSON or multipart), and 415 and 422 as well for a JSON
/// body.
/// The handlers' own annotations name their particular successes and errors; an error they
/// document as JSON is the same problem document, so its media type is set here too.
struct Problems;

fn problem_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

fn add_problem(op: &mut Operation, code: &str, description: &str) {
    op.responses
        .responses
        .entry(code.to_string())
        .or_insert_with(|| problem_response(description));
}

impl Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names_something = path.contains('{');
            for (writes, op) in [
                (false, &mut item.get),
                (true, &mut item.put),
                (true, &mut item.post),
                (true, &mut item.delete),
                (true, &mut item.patch),
            ]
            .into_iter()
            .filter_map(|(w, op)| op.as_mut().map(|op| (w, op)))
            {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let body = op.request_body.is_some();
                let json = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b| b.content.contains_key("application/json"));
                if secured {
                    add_problem(op, "401", "No valid API token was given.");
                    add_problem(op, "403", "The token's role may not do this.");
                }
                if names_something {
                    add_problem(
                        op,
                        "404",
                        "No such record, or it belongs to an organisation the caller does not work in.",
                    );
                }
                if writes && secured {
                    add_problem(
                        op,
                        "409",
                        "A conflict: the record has changed since it was read, a step is out of order, or other records refer to it.",
                    );
                }
                if body {
                    add_problem(
                        op,
                        "400",
                        "The body could not be read (not well formed, or a multipart body without its `file` part).",
                    );
                    add_problem(op, "413", "The body is larger than this endpoint accepts.");
                }
                let query = op.parameters.as_ref().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| matches!(p.parameter_in, ParameterIn::Query))
                });
                if query {
                    add_problem(
                        op,
                        "400",
                        "A query parameter is missing or not of its type.",
                    );
                    add_problem(
                        op,
                        "422",
                        "A query parameter is out of range (a page below 1, a page size above 500) or not valid.",
                    );
                }
                if json {
                    add_problem(op, "400", "The body is not valid JSON.");
                    add_problem(op, "415", "The body is not sent as application/json.");
                    add_problem(
                        op,
                        "422",
                        "The body is JSON but a field is missing or not valid.",
                    );
                }
                for (code, r) in op.responses.responses.iter_mut() {
                    if !(code.starts_with('4') || code.starts_with('5')) {
                        continue;
                    }
                    if let RefOr::T(r) = r {
                        match r.content.shift_remove("application/json") {
                            Some(c) => {
                                r.content.insert("application/problem+json".into(), c);
                            }
                            None if r.content.is_empty() => {
                                r.content.insert(
                                    "application/problem+json".into(),
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("Problem")))
                                        .build(),
                                );
                            }
                            None => {}
                        }
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Steward API", description = "Information governance for health and care.

Authentication: a bearer token (`Authorization: Bearer stw_...`), created on the account page.

Errors are RFC 9457 problem details (`application/problem+json`): 401 without a valid token, 403 when the token's role may not do this, 404 for no such record (or one of an organisation the caller does not work in), 409 for a conflict (a newer version, a step out of order), 413 for a body too large, 415 for a body not sent as `application/json`, 400 for a body that is not JSON or a query parameter of the wrong type, 422 for a body that is not a JSON object, a field missing or not valid, or a parameter out of range. Field-level errors are listed in `errors`.

Lists: every list endpoint takes `page` (from 1, default 1) and `size` (items a page holds: 25 unless the endpoint says, at most 500) and answers `{items, total, page, size, pages}`: `total` counts the whole list, `pages` is at least 1, and a page number past the last answers the last page (its `page` says which)."),
    paths(
        document, api::me, api::whoami, api::organisations, api::dashboard, api::list_actions, api::create_action,
        api::get_action, api::update_action, api::delete_action, api::history, api::comments,
        api::add_comment, api::attachments, api::add_attachment, api::download_attachment,
        api::audit_trail, api::users, api::add_user, api::deactivate_user, api::reset_link,
        api::run_reminders,
        crate::rights_api::list_requests, crate::rights_api::create_request,
        crate::rights_api::get_settings, crate::rights_api::change_settings, crate::rights_api::get_request,
        crate::rights_api::update_request, crate::rights_api::record_start_events,
        crate::rights_api::ask_for_clarification, crate::rights_api::clarification_received,
        crate::rights_api::extend, crate::rights_api::move_request, crate::rights_api::steps,
        crate::rights_api::complete_step, crate::rights_api::clinician_review,
        crate::rights_api::namesake_warnings, crate::rights_api::add_namesake,
        crate::rights_api::record_recipient, crate::rights_api::close_request, crate::rights_api::letter, crate::rights_api::documents,
        crate::rights_api::add_document, crate::rights_api::run_redaction, crate::rights_api::review,
        crate::rights_api::decide, crate::rights_api::add_manual, crate::rights_api::produce_bundle,
        crate::rights_api::outputs, crate::rights_api::download_output,
        crate::organisation_api::get_details, crate::organisation_api::change_details,
        crate::organisation_api::get_staff_list, crate::organisation_api::upload_staff_list,
        crate::audit_api::list_runs, crate::audit_api::create_run, crate::audit_api::upload_run,
        crate::audit_api::list_mappings, crate::audit_api::save_mapping, crate::audit_api::get_run,
        crate::audit_api::start_run, crate::audit_api::delete_export, crate::audit_api::list_cases, crate::audit_api::get_case,
        crate::audit_api::record_outcome, crate::audit_api::add_note, crate::audit_api::create_sample,
        crate::audit_api::get_sample, crate::audit_api::update_sample, crate::audit_api::report,
        crate::audit_api::cluster_report,
        crate::assurance_api::list_incidents, crate::assurance_api::report_incident,
        crate::assurance_api::get_incident, crate::assurance_api::grade_incident,
        crate::assurance_api::notify_incident, crate::assurance_api::tell_people,
        crate::assurance_api::close_incident, crate::assurance_api::publish_lesson,
        crate::assurance_api::list_risks, crate::assurance_api::create_risk,
        crate::assurance_api::set_appetite, crate::assurance_api::get_risk,
        crate::assurance_api::rescore_risk, crate::assurance_api::cluster,
        crate::assurance_api::generate_update, crate::assurance_api::get_update,
        crate::assurance_api::edit_update,
        crate::audits_api::list_audits, crate::audits_api::start_audit,
        crate::audits_api::get_audit, crate::audits_api::answer_question,
        crate::audits_api::complete_audit, crate::audits_api::list_rounds,
        crate::audits_api::send_round, crate::audits_api::get_round,
        crate::audits_api::chase_practice,
        crate::dpia_api::list_dpias, crate::dpia_api::start_dpia, crate::dpia_api::import_dpia,
        crate::dpia_api::list_screenings, crate::dpia_api::screen, crate::dpia_api::get_screening,
        crate::dpia_api::get_dpia, crate::dpia_api::save_dpia, crate::dpia_api::author_step,
        crate::dpia_api::sign_off, crate::dpia_api::advise, crate::dpia_api::comment,
        crate::dpia_api::versions, crate::dpia_api::export,
        crate::dpia_adoption_api::offers, crate::dpia_adoption_api::offer,
        crate::dpia_adoption_api::adoptions, crate::dpia_adoption_api::adoption,
        crate::dpia_adoption_api::decide,
        crate::compliance_api::schedule, crate::compliance_api::calculate_retention,
        crate::compliance_api::list_reviews, crate::compliance_api::create_review,
        crate::compliance_api::get_review, crate::compliance_api::complete_review,
        crate::compliance_api::list_destructions, crate::compliance_api::record_destruction,
        crate::compliance_api::get_destruction, crate::compliance_api::list_training,
        crate::compliance_api::create_training, crate::compliance_api::import_training,
        crate::compliance_api::training_reminders, crate::compliance_api::training_needs,
        crate::compliance_api::get_training, crate::compliance_api::list_policies,
        crate::compliance_api::create_policy, crate::compliance_api::get_policy,
        crate::compliance_api::policy_acknowledgements, crate::compliance_api::publish_version,
        crate::compliance_api::adopt_policy, crate::compliance_api::acknowledge_policy,
        crate::compliance_api::readiness, crate::compliance_api::save_evidence,
        crate::compliance_api::get_evidence, crate::compliance_api::cluster_readiness,
        crate::compliance_api::list_plans, crate::compliance_api::create_plan,
        crate::compliance_api::get_plan, crate::compliance_api::add_system,
        crate::compliance_api::add_test, crate::compliance_api::add_assurance,
        crate::compliance_api::list_processing, crate::compliance_api::create_processing,
        crate::compliance_api::get_processing,
        crate::registers_api::search, crate::registers_api::master_log, crate::registers_api::adopt,
        crate::registers_api::accept_update, crate::registers_api::projects, crate::registers_api::join,
        crate::registers_api::leave, crate::registers_api::get_notice, crate::registers_api::save_notice,
        crate::registers_api::publish_notice, crate::registers_api::notice_record,
    ),
    components(schemas(steward_core::actions::ActionView, steward_registers::store::Entry, steward_registers::store::EntryPage)),
    modifiers(&BearerAuth, &RegisterPaths, &Problems)
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "api",
    responses((status = 200, description = "The OpenAPI 3 document of this API", content_type = "application/json")))]
pub async fn document(State(s): State<AppState>) -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    RuleLists::of(&s.steward).modify(&mut doc);
    Json(doc)
}

/// The lists the rule files define, read when the server starts (a DPO may replace the
/// shipped files with their own copies), written into the document as enums: the codes a
/// field accepts are known only at run time, so the type alone cannot say them.
pub struct RuleLists {
    /// Incident categories (`incident-categories.toml`).
    pub incident_categories: Vec<String>,
    /// Types of record of the retention schedule (`retention-schedule.toml`).
    pub record_types: Vec<String>,
    /// Assertions of the Data Security and Protection Toolkit (`toolkit-assertions.toml`).
    pub assertions: Vec<String>,
    /// Training courses (`training-requirements.toml`).
    pub courses: Vec<String>,
}

impl RuleLists {
    pub fn of(steward: &steward_core::Steward) -> RuleLists {
        let assurance = steward_assurance::rules(steward);
        let compliance = steward_compliance::rules(steward);
        RuleLists {
            incident_categories: assurance
                .categories
                .category
                .iter()
                .map(|c| c.code.clone())
                .collect(),
            record_types: compliance
                .schedule
                .row
                .iter()
                .map(|r| r.code.clone())
                .collect(),
            assertions: compliance
                .assertions
                .assertion
                .iter()
                .map(|a| a.code.clone())
                .collect(),
            courses: compliance
                .requirements
                .course
                .iter()
                .map(|c| c.code.clone())
                .collect(),
        }
    }
}

fn set_enum(schema: &mut RefOr<Schema>, values: &[String], empty_allowed: bool) {
    if let RefOr::T(Schema::Object(o)) = schema {
        let mut list: Vec<serde_json::Value> = Vec::with_capacity(values.len() + 1);
        if empty_allowed {
            list.push(serde_json::Value::String(String::new()));
        }
        list.extend(values.iter().cloned().map(serde_json::Value::String));
        o.enum_values = Some(list);
        o.pattern = None;
        o.min_length = None;
    }
}

fn set_property_enum(
    openapi: &mut utoipa::openapi::OpenApi,
    schema_name: &str,
    property: &str,
    values: &[String],
) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(schema_name) {
        if let Some(p) = o.properties.get_mut(property) {
            set_enum(p, values, false);
        }
    }
}

fn set_query_enum(
    openapi: &mut utoipa::openapi::OpenApi,
    path: &str,
    parameter: &str,
    values: &[String],
) {
    let Some(op) = openapi
        .paths
        .paths
        .get_mut(path)
        .and_then(|item| item.get.as_mut())
    else {
        return;
    };
    for p in op.parameters.iter_mut().flatten() {
        if p.name == parameter && matches!(p.parameter_in, ParameterIn::Query) {
            if let Some(schema) = p.schema.as_mut() {
                // A filter left empty means "any".
                set_enum(schema, values, true);
            }
        }
    }
}

impl Modify for RuleLists {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        set_query_enum(
            openapi,
            "/api/v1/organisations/{organisation_id}/incidents",
            "category",
            &self.incident_categories,
        );
        set_property_enum(
            openapi,
            "ReportInput",
            "category",
            &self.incident_categories,
        );
        set_property_enum(openapi, "CalcInput", "record_type", &self.record_types);
        set_property_enum(openapi, "EvidenceInput", "assertion", &self.assertions);
        set_property_enum(openapi, "TrainingInput", "course", &self.courses);
    }
}
