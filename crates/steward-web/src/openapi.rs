//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::extract::State;
use axum::Json;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Required};
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
                // Every handler that reads a body needs one: a request without it is not
                // schema-valid (OpenAPI's default is an optional body).
                if let Some(b) = op.request_body.as_mut() {
                    b.required = Some(Required::True);
                }
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
pub async fn document(State(s): State<AppState>) -> Json<serde_json::Value> {
    let mut doc = ApiDoc::openapi();
    let lists = RuleLists::of(&s.steward);
    lists.modify(&mut doc);
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    lists.refine(&mut doc);
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
    /// Their labels, which a register's retention field also accepts (as a spreadsheet names
    /// them).
    pub record_type_labels: Vec<String>,
    /// Assertions of the Data Security and Protection Toolkit (`toolkit-assertions.toml`).
    pub assertions: Vec<String>,
    /// Training courses (`training-requirements.toml`).
    pub courses: Vec<String>,
    /// Legal bases of disclosures the national data opt-out register records
    /// (`optout-bases.toml`).
    pub optout_bases: Vec<String>,
    /// The levels of likelihood and of consequence of the risk matrix (`risk-matrix.toml`).
    pub likelihoods: Vec<String>,
    pub consequences: Vec<String>,
    /// The registers' code lists by name (`registers` rule files): what a `Choice` field takes.
    pub register_choices: std::collections::BTreeMap<&'static str, Vec<String>>,
    /// The lawful bases (Article 6) that rely on legitimate interests.
    pub legitimate_interests: Vec<String>,
    /// The compliance audit's template (`compliance-audit.toml`): its questions and ratings.
    pub audit: steward_assurance::AuditTemplate,
    /// The grades of an incident (likelihood, severity) the breach grid makes reportable
    /// (`breach-grading.toml`).
    pub reportable: Vec<(i64, i64)>,
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
            record_type_labels: compliance
                .schedule
                .row
                .iter()
                .map(|r| r.label.clone())
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
            likelihoods: (1..=assurance.matrix.max_likelihood())
                .map(|n| n.to_string())
                .collect(),
            consequences: (1..=assurance.matrix.max_consequence())
                .map(|n| n.to_string())
                .collect(),
            optout_bases: steward_compliance::optout::register(steward)
                .bases
                .basis
                .iter()
                .map(|b| b.code.clone())
                .collect(),
            register_choices: {
                let rules = steward_registers::rules(steward);
                let mut lists = std::collections::BTreeMap::new();
                for def in steward_registers::fields::REGISTERS.iter() {
                    for f in def.fields {
                        if let steward_registers::fields::Ty::Choice(list) = f.ty {
                            lists.entry(list).or_insert_with(|| {
                                rules.choices(list).into_iter().map(|c| c.code).collect()
                            });
                        }
                    }
                }
                lists
            },
            audit: assurance.audit.clone(),
            reportable: (1..=i64::from(assurance.grid.max_likelihood()))
                .flat_map(|l| (1..=i64::from(assurance.grid.max_severity())).map(move |s| (l, s)))
                .filter(|(l, s)| assurance.grid.assess(*l, *s).is_ok_and(|a| a.reportable()))
                .collect(),
            legitimate_interests: steward_registers::rules(steward)
                .lawful_bases
                .basis
                .iter()
                .filter(|b| b.legitimate_interests)
                .map(|b| b.code.clone())
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

/// A JSON list of codes for an `enum`.
fn codes<'a>(list: impl IntoIterator<Item = &'a str>) -> Vec<serde_json::Value> {
    list.into_iter()
        .map(|c| serde_json::Value::String(c.to_string()))
        .collect()
}

/// Makes a property's schema the list of codes it accepts (a `null` stays allowed where the
/// type allowed it; the pattern and length the list replaces go).
fn enumerate(schema: &mut serde_json::Value, mut values: Vec<serde_json::Value>) {
    let Some(o) = schema.as_object_mut() else {
        return;
    };
    let nullable = o
        .get("type")
        .and_then(|t| t.as_array())
        .is_some_and(|t| t.iter().any(|t| t == "null"));
    if nullable {
        values.push(serde_json::Value::Null);
    }
    o.remove("pattern");
    o.remove("minLength");
    o.insert("enum".into(), serde_json::Value::Array(values));
}

/// The schema of a property of a named component.
fn property<'a>(
    doc: &'a mut serde_json::Value,
    schema: &str,
    name: &str,
) -> Option<&'a mut serde_json::Value> {
    doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{name}"))
}

/// The inline JSON schema of an operation's request body.
fn body<'a>(
    doc: &'a mut serde_json::Value,
    path: &str,
    method: &str,
) -> Option<&'a mut serde_json::Value> {
    let path = path.replace('~', "~0").replace('/', "~1");
    doc.pointer_mut(&format!(
        "/paths/{path}/{method}/requestBody/content/application~1json/schema"
    ))
}

impl RuleLists {
    /// What the types alone cannot say, written into the document as JSON: the codes a text
    /// field accepts where the list is the domain's (a constant or a rule file read at run
    /// time), and the registers' code lists.
    pub fn refine(&self, doc: &mut serde_json::Value) {
        let strs = |v: &[String]| codes(v.iter().map(String::as_str));
        let fixed: Vec<(&str, &str, Vec<serde_json::Value>)> = vec![
            (
                "TestInput",
                "outcome",
                codes(
                    steward_compliance::continuity::OUTCOMES
                        .iter()
                        .map(|(c, _)| *c),
                ),
            ),
            (
                "DestructionInput",
                "method",
                codes(steward_compliance::records::METHODS.iter().map(|(c, _)| *c)),
            ),
            ("DestructionInput", "record_type", strs(&self.record_types)),
            ("EvidenceInput", "confirmed", codes(["", "yes", "no"])),
            ("ProcessingInput", "basis", strs(&self.optout_bases)),
            ("RiskInput", "inherent_likelihood", strs(&self.likelihoods)),
            ("RiskInput", "residual_likelihood", strs(&self.likelihoods)),
            (
                "RiskInput",
                "inherent_consequence",
                strs(&self.consequences),
            ),
            (
                "RiskInput",
                "residual_consequence",
                strs(&self.consequences),
            ),
            (
                "DpiaStartInput",
                "matrix",
                codes(
                    steward_dpia::Rules::embedded()
                        .matrices
                        .iter()
                        .map(|m| m.code.as_str()),
                ),
            ),
            (
                "ScreeningInput",
                "questionnaire",
                codes(
                    steward_dpia::Rules::embedded()
                        .questionnaires
                        .iter()
                        .map(|q| q.code.as_str()),
                ),
            ),
            (
                "CommentInput",
                "section",
                codes(
                    std::iter::once("").chain(
                        steward_dpia::Rules::embedded()
                            .sections
                            .iter()
                            .map(|s| s.code.as_str()),
                    ),
                ),
            ),
            (
                "ActionInput",
                "status",
                codes(
                    std::iter::once("").chain(
                        steward_core::actions::ALL_STATUSES
                            .iter()
                            .map(|s| s.as_str()),
                    ),
                ),
            ),
            (
                "StatusInput",
                "status",
                codes(
                    steward_rights::requests::codes::ALL_STATUSES
                        .iter()
                        .filter(|s| {
                            !matches!(
                                s,
                                steward_rights::RequestStatus::AwaitingClarification
                                    | steward_rights::RequestStatus::Completed
                                    | steward_rights::RequestStatus::Refused
                            )
                        })
                        .map(|s| steward_rights::requests::codes::status_code(*s)),
                ),
            ),
        ];
        let matrices = codes(
            steward_dpia::Rules::embedded()
                .matrices
                .iter()
                .map(|m| m.code.as_str()),
        );
        let fixed = fixed.into_iter().chain([("Content", "matrix", matrices)]);
        for (schema, name, values) in fixed {
            if let Some(p) = property(doc, schema, name) {
                enumerate(p, values);
            }
        }
        if let Some(items) =
            property(doc, "ReviewInput", "record_types").and_then(|p| p.get_mut("items"))
        {
            enumerate(items, strs(&self.record_types));
        }
        // An update names a status of the list (only a new action may leave it out).
        if let Some(parts) = doc
            .pointer_mut("/components/schemas/ActionUpdate/allOf/1")
            .and_then(|p| p.as_object_mut())
        {
            parts.insert("required".into(), serde_json::json!(["status"]));
            let statuses = codes(
                steward_core::actions::ALL_STATUSES
                    .iter()
                    .map(|s| s.as_str()),
            );
            if let Some(props) = parts.get_mut("properties").and_then(|p| p.as_object_mut()) {
                props.insert(
                    "status".into(),
                    serde_json::json!({"type": "string", "enum": statuses}),
                );
            }
        }
        // An incident graded not reportable keeps the reasons (UK GDPR Article 33(5)).
        if let Some(g) = doc
            .pointer_mut("/components/schemas/GradeInput")
            .and_then(|g| g.as_object_mut())
        {
            let mut branches: Vec<serde_json::Value> = self
                .reportable
                .iter()
                .map(|(l, s)| {
                    serde_json::json!({"properties": {
                        "likelihood": {"const": l.to_string()},
                        "severity": {"const": s.to_string()}}})
                })
                .collect();
            branches.push(serde_json::json!({"required": ["reasons"], "properties": {"reasons": {"type": "string", "pattern": "\\S"}}}));
            g.insert("anyOf".into(), serde_json::Value::Array(branches));
        }
        // Telling the people affected: an exception, when one applies, is one of the list.
        if let Some(p) = property(doc, "TellPeopleInput", "exception") {
            enumerate(
                p,
                codes(
                    std::iter::once("").chain(
                        steward_assurance::incidents::TELL_EXCEPTIONS
                            .iter()
                            .map(|(c, _)| *c),
                    ),
                ),
            );
        }
        // Screening starts from a questionnaire of the list.
        if let Some(r) = doc
            .pointer_mut("/components/schemas/ScreeningInput/required")
            .and_then(|r| r.as_array_mut())
        {
            if !r.iter().any(|x| x == "questionnaire") {
                r.push("questionnaire".into());
            }
        }
        // A practice adopts a DPIA with who signed it off, or declines it with a reason.
        if let Some(d) = doc
            .pointer_mut("/components/schemas/AdoptionDecision")
            .and_then(|d| d.as_object_mut())
        {
            if let Some(p) = d.get_mut("properties").and_then(|p| p.get_mut("decision")) {
                enumerate(p, codes(["adopt", "decline"]));
            }
            d.insert("required".into(), serde_json::json!(["decision"]));
            d.insert(
                "anyOf".into(),
                serde_json::json!([
                    {"properties": {"decision": {"const": "adopt"}, "signed_off_by": {"type": "string", "pattern": "\\S"}}, "required": ["signed_off_by"]},
                    {"properties": {"decision": {"const": "decline"}, "note": {"type": "string", "pattern": "\\S"}}, "required": ["note"]}
                ]),
            );
        }
        // An audit's answer: a question and a rating of the audit's template; a rating that is
        // a finding says what the practice must put right.
        {
            let template = &self.audit;
            let questions = codes(template.questions().map(|(_, q)| q.code.as_str()));
            let ratings = codes(template.rating.iter().map(|r| r.code.as_str()));
            let plain = codes(
                template
                    .rating
                    .iter()
                    .filter(|r| !r.finding)
                    .map(|r| r.code.as_str()),
            );
            if let Some(a) = doc
                .pointer_mut("/components/schemas/AnswerInput")
                .and_then(|a| a.as_object_mut())
            {
                if let Some(p) = a.get_mut("properties").and_then(|p| p.as_object_mut()) {
                    if let Some(q) = p.get_mut("question_code") {
                        enumerate(q, questions);
                    }
                    if let Some(r) = p.get_mut("rating") {
                        enumerate(r, ratings);
                    }
                }
                a.insert(
                    "anyOf".into(),
                    serde_json::json!([
                        {"properties": {"rating": {"enum": plain}}},
                        {"required": ["finding"], "properties": {"finding": {"type": "string", "pattern": "\\S"}}}
                    ]),
                );
            }
        }
        // A redaction decision: accepting with the reason "other" says which exemption applies.
        if let Some(d) = doc
            .pointer_mut("/components/schemas/DecisionInput")
            .and_then(|d| d.as_object_mut())
        {
            if let Some(p) = d.get_mut("properties").and_then(|p| p.as_object_mut()) {
                if let Some(v) = p.get_mut("verdict") {
                    enumerate(v, codes(["accept", "reject"]));
                }
                if let Some(r) = p.get_mut("reason_code") {
                    enumerate(
                        r,
                        codes(steward_rights::review::REASON_CODES.iter().map(|(c, _)| *c)),
                    );
                }
            }
            d.insert(
                "anyOf".into(),
                serde_json::json!([
                    {"properties": {"verdict": {"const": "reject"}}},
                    {"properties": {"reason_code": {"not": {"const": "other"}}}, "required": ["reason_code"]},
                    {"required": ["note"], "properties": {"note": {"type": "string", "pattern": "\\S"}}}
                ]),
            );
        }
        // A DPIA is saved with its name.
        if let Some(t) = property(doc, "Content", "title").and_then(|t| t.as_object_mut()) {
            t.insert("pattern".into(), "\\S".into());
        }
        if let Some(r) = doc
            .pointer_mut("/components/schemas/Content")
            .and_then(|c| c.as_object_mut())
        {
            let required = r.entry("required").or_insert_with(|| serde_json::json!([]));
            if let Some(list) = required.as_array_mut() {
                for f in ["title", "matrix"] {
                    if !list.iter().any(|x| x == f) {
                        list.push(f.into());
                    }
                }
            }
        }
        // An edited cluster update keeps at least one section, each with a heading.
        if let Some(e) = doc
            .pointer_mut("/components/schemas/EditInput")
            .and_then(|e| e.as_object_mut())
        {
            if let Some(p) = e.get_mut("properties").and_then(|p| p.as_object_mut()) {
                p.insert(
                    "sections".into(),
                    serde_json::json!({"type": "array", "minItems": 1, "items": {
                        "type": "object",
                        "required": ["heading", "body"],
                        "properties": {
                            "heading": {"type": "string", "pattern": "\\S"},
                            "body": {"type": "string", "description": "Paragraphs separated by blank lines; lines starting \"- \" are a bulleted list."}
                        }
                    }}),
                );
            }
            e.insert("required".into(), serde_json::json!(["title", "sections"]));
        }
        // The two DPIA steps share a type but not their steps: the author submits or starts a
        // new version; the signer approves, or asks for changes or rejects with a note.
        let dpia_step = |steps: &[&str], noted: &[&str]| {
            let mut schema = serde_json::json!({
                "type": "object",
                "required": ["step"],
                "properties": {
                    "step": {"type": "string", "enum": steps},
                    "note": {"type": "string", "description": "What needs changing, or why it is rejected."}
                }
            });
            if !noted.is_empty() {
                let plain: Vec<&str> = steps
                    .iter()
                    .copied()
                    .filter(|s| !noted.contains(s))
                    .collect();
                schema["anyOf"] = serde_json::json!([
                    {"properties": {"step": {"enum": plain}}},
                    {"required": ["note"], "properties": {"note": {"pattern": "\\S"}}}
                ]);
            }
            schema
        };
        for (path, steps, noted) in [
            (
                "/api/v1/dpias/{id}/steps",
                &["submit", "new_version"][..],
                &[][..],
            ),
            (
                "/api/v1/dpias/{id}/sign-off",
                &["approve", "request_changes", "reject"][..],
                &["request_changes", "reject"][..],
            ),
        ] {
            if let Some(b) = body(doc, path, "post") {
                *b = dpia_step(steps, noted);
            }
        }
        // A multipart body: its parts, as the handlers read them, and no other (crate::multipart).
        if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
            for (path, item) in paths.iter_mut() {
                let Some(c) = item.pointer_mut("/post/requestBody/content/multipart~1form-data")
                else {
                    continue;
                };
                let schema = if path.ends_with("/access-audit/uploads") {
                    serde_json::json!({"type": "object", "additionalProperties": false, "required": ["period", "files"], "properties": {
                        "period": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
                        "system_name": {"type": "string"},
                        "files": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"}}}})
                } else {
                    serde_json::json!({"type": "object", "additionalProperties": false, "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary"}}})
                };
                if let Some(o) = c.as_object_mut() {
                    o.insert("schema".into(), schema);
                }
            }
        }
        // The registers: a field of a code list takes one of its codes.
        for def in steward_registers::fields::REGISTERS.iter() {
            let list = crate::registers_api::list_path(def);
            let one = format!("/api/v1/{}/{{id}}", def.slug);
            for (path, method) in [(list.as_str(), "post"), (one.as_str(), "put")] {
                let Some(b) = body(doc, path, method) else {
                    continue;
                };
                for f in def.fields {
                    let steward_registers::fields::Ty::Choice(name) = f.ty else {
                        continue;
                    };
                    let Some(values) = self.register_choices.get(name) else {
                        continue;
                    };
                    if let Some(p) = b.pointer_mut(&format!("/properties/{}", f.name)) {
                        enumerate(p, strs(values));
                    }
                }
                // A short text field holds at most 300 characters.
                for f in def
                    .fields
                    .iter()
                    .filter(|f| f.ty == steward_registers::fields::Ty::Text)
                {
                    if let Some(p) = b
                        .pointer_mut(&format!("/properties/{}", f.name))
                        .and_then(|p| p.as_object_mut())
                    {
                        p.insert("maxLength".into(), 300.into());
                    }
                }
                // What an activity's answers make necessary.
                if matches!(
                    def.register,
                    steward_registers::Register::Processing
                        | steward_registers::Register::Templates
                ) {
                    let other_bases: Vec<String> = self
                        .register_choices
                        .get("lawful_basis")
                        .into_iter()
                        .flatten()
                        .filter(|c| !self.legitimate_interests.contains(c))
                        .cloned()
                        .collect();
                    let conditions = self
                        .register_choices
                        .get("special_category_condition")
                        .cloned()
                        .unwrap_or_default();
                    let text = serde_json::json!({"type": "string", "pattern": "\\S"});
                    // The retention field names a row of the schedule by its code or its
                    // record type; left empty, the note says how long instead.
                    if let Some(p) = b.pointer_mut("/properties/retention_row") {
                        enumerate(
                            p,
                            codes(
                                std::iter::once("")
                                    .chain(self.record_types.iter().map(String::as_str))
                                    .chain(self.record_type_labels.iter().map(String::as_str)),
                            ),
                        );
                    }
                    let rows: Vec<&String> = self
                        .record_types
                        .iter()
                        .chain(&self.record_type_labels)
                        .collect();
                    if let Some(o) = b.as_object_mut() {
                        o.insert("allOf".into(), serde_json::json!([
                            {"anyOf": [
                                {"properties": {"lawful_basis": {"enum": other_bases}}},
                                {"required": ["legitimate_interests"], "properties": {"legitimate_interests": text}}
                            ]},
                            {"anyOf": [
                                {"properties": {"special_category": {"const": "no"}}},
                                {"required": ["special_category_condition"], "properties": {"special_category_condition": {"type": "string", "enum": conditions}}}
                            ]},
                            {"anyOf": [
                                {"properties": {"transfers": {"enum": ["", "none", "no", "n/a", "na", "not applicable", "nil", "no transfers", "nobody"]}}},
                                {"required": ["transfer_safeguards"], "properties": {"transfer_safeguards": text}}
                            ]},
                            {"anyOf": [
                                {"required": ["retention_row"], "properties": {"retention_row": {"enum": rows}}},
                                {"required": ["retention"], "properties": {"retention": text}}
                            ]},
                            {"anyOf": [
                                {"properties": {"opt_out_applies": {"const": "no"}}},
                                {"required": ["opt_out_how"], "properties": {"opt_out_how": text}}
                            ]}
                        ]));
                    }
                }
            }
        }
    }
}
