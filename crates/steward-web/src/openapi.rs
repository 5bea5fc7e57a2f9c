//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

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

#[derive(OpenApi)]
#[openapi(
    info(title = "Steward API", description = "Information governance for health and care. Errors are RFC 9457 problem details."),
    paths(
        api::me, api::organisations, api::dashboard, api::list_actions, api::create_action,
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
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
