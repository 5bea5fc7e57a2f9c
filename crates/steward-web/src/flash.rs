//! Success banners: after a browser form post that worked and redirects (303), the page it
//! lands on says what happened, once, in an NHS.UK success notification banner drawn by the
//! layout. One mechanism for every module: [`flash`] notes the route that answered in a
//! short-lived cookie, and the next page's frame ([`crate::pages::ctx`]) takes the words for
//! that route from [`message`]. The cookie holds only the route's name, never text, so
//! nothing a page shows comes from the browser. A new form route needs a line in
//! [`message`] (or in [`OWN_NOTICE`]); a unit test walks every route to make sure.

use std::cell::Cell;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::session::cookie;
use crate::AppState;

pub const FLASH_COOKIE: &str = "steward_flash";

/// The banner waiting for this request's page, if any, and whether a page showed it.
struct Slot {
    message: Option<&'static str>,
    taken: Cell<bool>,
}

tokio::task_local! {
    static FLASH: Slot;
}

/// The words of the banner for the page being drawn (once per request).
pub fn take() -> Option<String> {
    FLASH
        .try_with(|s| {
            let m = s.message?;
            s.taken.set(true);
            Some(m.to_string())
        })
        .ok()
        .flatten()
}

/// Form routes that are not followed by a banner: signing in and out (the pages say where
/// the person is), and those whose page already says what happened in words of its own
/// (a secret shown once, the account added or deactivated, how many records were imported,
/// how many practices were sent or chased).
pub const OWN_NOTICE: &[&str] = &[
    "/sign-in",
    "/sign-in/code",
    "/sign-in/second-factor",
    "/sign-out",
    "/reset-password/{token}",
    "/account/password",
    "/account/tokens",
    "/account/calendar",
    "/admin/users",
    "/admin/users/{user_id}/deactivate",
    "/admin/users/{user_id}/reset-link",
    "/training/import",
    "/training/reminders",
    "/cluster-updates/{id}/send",
    "/action-rounds/{id}/chase",
    "/requests/settings",
    "/master-log/{template_id}/adopt",
];

/// What a successful post to a route did, in the words of the person who did it.
pub fn message(route: &str) -> Option<&'static str> {
    let m = match route {
        // Actions, comments, attachments, accounts.
        "/organisations/switch" => "You have switched organisation.",
        "/actions/new" => "The action has been created.",
        "/actions/{id}/edit" => "The action has been updated.",
        "/actions/{id}/delete" => "The action has been deleted.",
        "/records/{record_type}/{id}/comments" => "Your comment has been added.",
        "/records/{record_type}/{id}/attachments" => "The file has been attached.",
        "/account/tokens/{token_id}/revoke" => "The API token has been revoked.",
        // Rights requests.
        "/requests/new" => "The request has been logged.",
        "/requests/{id}/edit" => "The request has been updated.",
        "/requests/{id}/start-events" => "The date the clock starts has been updated.",
        "/requests/{id}/clarification" => "The request for clarification has been recorded.",
        "/requests/{id}/clarification/received" => {
            "The clarification has been recorded and the clock restarted."
        }
        "/requests/{id}/extension" => "The extension has been recorded.",
        "/requests/{id}/status" => "The request's status has been changed.",
        "/requests/{id}/steps/{step}" => "The step has been recorded.",
        "/requests/{id}/clinician-review" => "The clinician's review has been recorded.",
        "/requests/{id}/namesakes" => "The namesake check has been recorded.",
        "/requests/{id}/recipients" => "The recipients have been saved.",
        "/requests/{id}/close" => "The request has been closed.",
        "/requests/{id}/comments" => "Your comment has been added.",
        "/requests/{id}/attachments" => "The file has been attached.",
        "/requests/{id}/documents" => "The documents have been added.",
        "/requests/{id}/redaction/run" => "The documents have been checked for redactions.",
        "/requests/{id}/review/undecided" => "The remaining proposals have been decided.",
        "/requests/{id}/review/manual" => "Your redaction has been added.",
        "/requests/{id}/review/{seq}" => "Your decision has been saved.",
        "/requests/{id}/bundle" => "The disclosure bundle has been made.",
        // Access audit.
        "/access-audit/new" => "The audit log has been uploaded.",
        "/access-audit/runs/{id}/mapping" => "The columns have been matched and the log checked.",
        "/access-audit/runs/{id}/samples" => "The sample has been drawn.",
        "/access-audit/runs/{id}/export/delete" => "The export has been deleted.",
        "/access-audit/cases/{id}/outcome" => "The outcome of the case has been recorded.",
        "/access-audit/cases/{id}/notes" => "Your note has been added.",
        "/access-audit/samples/{id}" => "The sample has been updated.",
        // Incidents, risks and cluster updates.
        "/incidents/report" => "The incident has been reported.",
        "/incidents/{id}/grade" => "The incident's grade has been saved.",
        "/incidents/{id}/notification" => "The notification has been recorded.",
        "/incidents/{id}/people" => "The people involved have been saved.",
        "/incidents/{id}/close" => "The incident has been closed.",
        "/incidents/{id}/lesson" => "The lesson has been recorded.",
        "/risks/new" => "The risk has been added to the register.",
        "/risks/appetite" => "The risk appetite has been saved.",
        "/risks/{id}/score" => "The risk's score has been updated.",
        "/cluster-updates" => "The cluster update has been drafted.",
        "/cluster-updates/{id}" => "The cluster update has been saved.",
        // Compliance audits and action rounds.
        "/compliance-audits/new" => "The audit has been started.",
        "/compliance-audits/{id}/questions/{code}" => "Your answer has been saved.",
        "/compliance-audits/{id}/complete" => "The audit has been completed.",
        "/action-rounds/new" => "The action round has been sent to the practices.",
        // Compliance.
        "/retention/reviews" => "The retention review has been started.",
        "/retention/reviews/{id}/complete" => "The retention review has been completed.",
        "/destructions" => "The destruction has been recorded.",
        "/training" => "The training record has been added.",
        "/policies" => "The policy has been added.",
        "/policies/{id}/versions" => "The new version of the policy has been saved.",
        "/policies/{id}/adopt" => "The policy has been adopted.",
        "/policies/{id}/acknowledge" => "You have acknowledged the policy.",
        "/toolkit/evidence" => "The evidence has been recorded.",
        "/continuity" => "The continuity plan has been created.",
        "/continuity/{id}/systems" => "The system has been added to the plan.",
        "/continuity/{id}/tests" => "The test of the plan has been recorded.",
        "/continuity/{id}/assurances" => "The supplier assurance has been recorded.",
        "/opt-out" => "The processing has been added to the opt-out register.",
        // DPIAs.
        "/dpias/screen" => "The screening has been saved.",
        "/dpias/new" => "The DPIA has been started.",
        "/dpias/import" => "The DPIA has been imported.",
        "/dpias/{id}/sections/{section}" => "The section has been saved.",
        "/dpias/{id}/risks/new" => "The risk has been added to the DPIA.",
        "/dpias/{id}/risks/{risk}" => "The risk has been changed.",
        "/dpias/{id}/risks/{risk}/delete" => "The risk has been deleted from the DPIA.",
        "/dpias/{id}/measures/{measure}" => "The measure has been changed.",
        "/dpias/{id}/measures/{measure}/delete" => "The measure has been deleted from the DPIA.",
        "/dpias/{id}/offers" => "The DPIA has been offered to the practices you chose.",
        "/dpia-adoptions/{id}" => "The practice's decision has been recorded.",
        // The organisation's own details, kept in redaction.
        "/organisation/details" => "Details saved. Redaction runs from now on keep them.",
        "/organisation/staff-list" => {
            "Staff list uploaded. Redaction runs from now on keep these names."
        }
        "/dpias/{id}/measures/new" => "The measure has been added to the DPIA.",
        "/dpias/{id}/data-items" => "The data items have been saved.",
        "/dpias/{id}/data-flows/new" => "The data flow has been added.",
        "/dpias/{id}/access-controls/new" => "The access control has been added.",
        "/dpias/{id}/lawful-basis" => "The lawful basis has been saved.",
        "/dpias/{id}/sign-off-record" => "The sign-off has been recorded.",
        "/dpias/{id}/submit" => "The DPIA has been sent for the DPO's advice.",
        "/dpias/{id}/new-version" => "A new version of the DPIA has been started.",
        "/dpias/{id}/advice" => "Your advice has been recorded.",
        "/dpias/{id}/decision" => "The decision has been recorded.",
        "/dpias/{id}/comments" => "Your comment has been added.",
        // Registers, sharing projects and privacy notices.
        "/sharing-projects/{project_id}/join" => "The practice has joined the project.",
        "/sharing-projects/{project_id}/leave" => "The practice has left the project.",
        "/registers/processing-activities/{id}/accept-update" => {
            "The update from the master log has been accepted."
        }
        "/privacy-notice" => "The privacy notice has been saved.",
        "/privacy-notice/publish" => "The privacy notice has been published.",
        r if r.starts_with("/registers/") && r.ends_with("/new") => {
            "The entry has been added to the register."
        }
        r if r.starts_with("/registers/") && r.ends_with("/{id}/edit") => {
            "The entry has been updated."
        }
        r if r.starts_with("/registers/") && r.ends_with("/import/{import_id}/confirm") => {
            "The rows have been imported into the register."
        }
        _ => return None,
    };
    Some(m)
}

/// A route's name as the cookie holds it: cookie values take no braces.
fn encode(route: &str) -> String {
    route.replace('{', "(").replace('}', ")")
}

fn decode(value: &str) -> String {
    value.replace('(', "{").replace(')', "}")
}

fn set_cookie(res: &mut Response, value: &str, max_age: u32, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Notes a successful form post for the next page and hands a waiting banner to this
/// request's page; the cookie is cleared once a page has shown it.
pub async fn flash(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let secure = state.web.secure_cookies;
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let is_form_post = req.method() == Method::POST && !req.uri().path().starts_with("/api/");
    let waiting = cookie(req.headers(), FLASH_COOKIE);
    let slot = Slot {
        message: waiting.as_deref().map(decode).as_deref().and_then(message),
        taken: Cell::new(false),
    };
    let (mut res, taken) = FLASH
        .scope(slot, async move {
            let res = next.run(req).await;
            (res, FLASH.with(|s| s.taken.get()))
        })
        .await;
    let done = is_form_post
        && res.status() == StatusCode::SEE_OTHER
        && route.as_deref().and_then(message).is_some();
    if done {
        set_cookie(
            &mut res,
            &encode(route.as_deref().unwrap_or_default()),
            120,
            secure,
        );
    } else if taken {
        set_cookie(&mut res, "", 0, secure);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Also without a banner: reading a register's import file, or its columns once mapped,
    /// shows its rows to check on the same page (no redirect).
    fn own_notice(route: &str) -> bool {
        OWN_NOTICE.contains(&route)
            || (route.starts_with("/registers/")
                && (route.ends_with("/import") || route.ends_with("/import/{import_id}/map")))
    }

    #[test]
    fn every_form_route_says_what_it_did() {
        let missing: Vec<&str> = crate::routes()
            .specs()
            .iter()
            .filter(|r| r.method == Method::POST && !r.is_api())
            .map(|r| r.path)
            .filter(|p| message(p).is_none() && !own_notice(p))
            .collect();
        assert!(
            missing.is_empty(),
            "form routes without a success message: {missing:?}"
        );
    }

    #[test]
    fn the_cookie_names_a_route_and_nothing_else() {
        let route = "/actions/{id}/edit";
        assert_eq!(decode(&encode(route)), route);
        assert!(HeaderValue::from_str(&encode(route)).is_ok());
        assert_eq!(message(&decode("<script>")), None);
    }
}
