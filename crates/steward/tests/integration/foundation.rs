//! The foundation: sign-in, roles and organisations, actions, records, audit trail,
//! reminders, API, security.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::common::*;

fn in_days(n: i64) -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Duration::days(n)
}

/// Creates an action in the signed-in user's current organisation through the form.
async fn create_action(c: &Client, title: &str, owner_id: &str, due: chrono::NaiveDate) -> String {
    let (d, m, y) = (
        due.format("%d").to_string(),
        due.format("%m").to_string(),
        due.format("%Y").to_string(),
    );
    let res = c
        .post_form(
            "/actions/new",
            &[
                ("title", title),
                ("description", "From the integration tests"),
                ("owner_id", owner_id),
                ("due_day", &d),
                ("due_month", &m),
                ("due_year", &y),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "creating an action redirects to it");
    location(&res).trim_start_matches("/actions/").to_string()
}

both_backends!(
    sign_in_second_factor_and_sign_out,
    |s: Arc<TestServer>| async move {
        // A practice user signs in with a password alone.
        let c = s.sign_in(HARBOUR_IG).await;
        let (status, body) = c.get_text("/").await;
        assert_eq!(status, 200);
        assert!(
            body.contains("Harbour View Surgery"),
            "the dashboard names the organisation"
        );

        // The DPO must give a code: the password alone reaches only the second step.
        let dpo = s.visitor();
        let res = dpo.sign_in(DPO, PASSWORD).await;
        assert_eq!(location(&res), "/sign-in/code");
        assert_eq!(
            location(&dpo.get("/").await),
            "/sign-in/code",
            "no pages before the second step"
        );
        let res = dpo.post_form("/sign-in/code", &[("code", "000000")]).await;
        assert_eq!(res.status(), 422, "a wrong code is refused");
        let code = s.current_code(DPO).await;
        let res = dpo.post_form("/sign-in/code", &[("code", &code)]).await;
        assert_eq!(location(&res), "/");
        assert_eq!(dpo.get("/").await.status(), 200);

        // Signing out ends the session on the server, not just the cookie.
        let session = c.cookie("steward_session").expect("session cookie");
        let res = c.post_form("/sign-out", &[]).await;
        assert_eq!(location(&res), "/sign-in");
        let replay = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = replay
            .get(s.url("/"))
            .header("cookie", format!("steward_session={session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            location(&res),
            "/sign-in",
            "the old session token no longer works"
        );

        // Every sign-in is in the trail.
        let n: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM audit_trail WHERE event = 'sign_in.success'",
        )
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        assert!(n >= 2, "successful sign-ins recorded, found {n}");
    }
);

both_backends!(
    failed_sign_ins_are_rate_limited,
    |s: Arc<TestServer>| async move {
        let c = s.visitor();
        let res = c.sign_in(HARBOUR_IG, "wrong").await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(body.contains("nhsuk-error-summary"), "an error summary");
        assert!(body.contains(HARBOUR_IG), "the email is kept in the form");
        for _ in 0..4 {
            c.sign_in(HARBOUR_IG, "wrong").await;
        }
        // Five failures: even the right password is refused for a while.
        let res = c.sign_in(HARBOUR_IG, PASSWORD).await;
        assert_eq!(res.status(), 429);
        // Another account from the same address still works below the address limit.
        let res = c.sign_in(CASTLE_IG, PASSWORD).await;
        assert_eq!(res.status(), 303);
        let failures: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM audit_trail WHERE event = 'sign_in.failure'",
        )
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        assert_eq!(failures, 5, "every failed sign-in is in the trail");
    }
);

both_backends!(
    deactivation_ends_access_everywhere,
    |s: Arc<TestServer>| async move {
        let leaver = s.sign_in(HARBOUR_IG).await;
        let token = s.api_token(HARBOUR_IG).await;
        assert_eq!(s.api(&token).get("/me").await.0, 200);
        let admin = s.sign_in(ADMIN).await;
        // A reset link issued before the person left must die with the account.
        let uid = s.user_id(HARBOUR_IG).await;
        let res = admin
            .post_form(&format!("/admin/users/{uid}/reset-link"), &[])
            .await;
        let body = res.text().await.unwrap();
        let start = body
            .find("/reset-password/")
            .expect("the page shows the reset link");
        let link: String = body[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '<' && *c != '"')
            .collect();

        let res = admin
            .post_form(&format!("/admin/users/{uid}/deactivate"), &[])
            .await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "deactivated: {}",
            res.status()
        );

        assert_eq!(
            location(&leaver.get("/").await),
            "/sign-in",
            "the open session has ended"
        );
        assert_eq!(
            s.api(&token).get("/me").await.0,
            401,
            "the API token has ended"
        );
        assert_eq!(
            s.visitor().sign_in(HARBOUR_IG, PASSWORD).await.status(),
            422,
            "no sign-in"
        );
        let v = s.visitor();
        let (status, _) = v.get_text(&link).await;
        assert_eq!(status, 404, "the old reset link is dead");
        let res = v
            .post_form(
                &link,
                &[
                    ("new_password", "a-brand-new-password-1"),
                    ("confirm_password", "a-brand-new-password-1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 404, "and cannot set a password");
        assert_eq!(
            s.visitor()
                .sign_in(HARBOUR_IG, "a-brand-new-password-1")
                .await
                .status(),
            422
        );
        // No new link can be issued for a deactivated account either.
        let res = admin
            .post_form(&format!("/admin/users/{uid}/reset-link"), &[])
            .await;
        assert!(
            res.status().is_client_error(),
            "reset link for a leaver refused: {}",
            res.status()
        );
    }
);

both_backends!(
    password_reset_link_is_one_time,
    |s: Arc<TestServer>| async move {
        let admin = s.sign_in(ADMIN).await;
        let uid = s.user_id(CASTLE_IG).await;
        let body = admin
            .post_form(&format!("/admin/users/{uid}/reset-link"), &[])
            .await
            .text()
            .await
            .unwrap();
        let start = body.find("/reset-password/").unwrap();
        let link: String = body[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '<' && *c != '"')
            .collect();
        let v = s.visitor();
        // Bad input keeps the page and says why.
        let res = v
            .post_form(
                &link,
                &[("new_password", "short"), ("confirm_password", "short")],
            )
            .await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("nhsuk-error-message"));
        let res = v
            .post_form(
                &link,
                &[
                    ("new_password", "a-brand-new-password-1"),
                    ("confirm_password", "a-brand-new-password-1"),
                ],
            )
            .await;
        assert!(res.status().is_redirection() || res.status().is_success());
        assert_eq!(
            s.visitor()
                .sign_in(CASTLE_IG, "a-brand-new-password-1")
                .await
                .status(),
            303
        );
        assert_eq!(
            s.visitor().sign_in(CASTLE_IG, PASSWORD).await.status(),
            422,
            "the old password is gone"
        );
        let res = v
            .post_form(
                &link,
                &[
                    ("new_password", "another-password-22"),
                    ("confirm_password", "another-password-22"),
                ],
            )
            .await;
        assert_eq!(res.status(), 404, "a used link cannot be used again");
    }
);

both_backends!(change_password_checks_the_current_one, |s: Arc<
    TestServer,
>| async move {
    let c = s.sign_in(CASTLE_IG).await;
    let res = c
        .post_form(
            "/account/password",
            &[
                ("current_password", "nope"),
                ("new_password", "a-brand-new-password-1"),
                ("confirm_password", "a-brand-new-password-1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = c
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a-brand-new-password-1"),
                ("confirm_password", "a-brand-new-password-1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        s.visitor()
            .sign_in(CASTLE_IG, "a-brand-new-password-1")
            .await
            .status(),
        303
    );
});

both_backends!(
    another_organisation_cannot_read_or_change_records,
    |s: Arc<TestServer>| async move {
        let harbour = s.sign_in(HARBOUR_IG).await;
        let owner = s.user_id(HARBOUR_IG).await;
        let id = create_action(
            &harbour,
            "Harbour View: review the fax policy",
            &owner,
            in_days(10),
        )
        .await;
        harbour
            .post_form(
                &format!("/records/action/{id}/comments"),
                &[("body", "Harbour-only remark")],
            )
            .await;
        let part = reqwest::multipart::Part::bytes(b"Harbour View minutes".to_vec())
            .file_name("minutes.txt");
        let res = harbour
            .post_multipart(
                &format!("/records/action/{id}/attachments"),
                reqwest::multipart::Form::new().part("file", part),
            )
            .await;
        assert_eq!(res.status(), 303, "attachment added");
        let attachment: String =
            steward_db::query_scalar("SELECT id FROM attachments WHERE record_id = $1")
                .bind(&id)
                .fetch_one(&s.steward.db.pool)
                .await
                .unwrap();

        // Castle Hill guesses the ids: pages.
        let castle = s.sign_in(CASTLE_IG).await;
        for path in [
            format!("/actions/{id}"),
            format!("/actions/{id}/edit"),
            format!("/attachments/{attachment}"),
        ] {
            let (status, body) = castle.get_text(&path).await;
            assert_eq!(status, 404, "{path}");
            assert!(
                !body.contains("fax policy") && !body.contains("Harbour View minutes"),
                "{path} leaks nothing"
            );
        }
        let res = castle
            .post_form(
                &format!("/actions/{id}/edit"),
                &[
                    ("title", "hijacked"),
                    ("owner_id", &owner),
                    ("due_day", "1"),
                    ("due_month", "1"),
                    ("due_year", "2030"),
                    ("status", "done"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 404);
        assert_eq!(
            castle
                .post_form(&format!("/actions/{id}/delete"), &[])
                .await
                .status(),
            404
        );
        assert_eq!(
            castle
                .post_form(&format!("/records/action/{id}/comments"), &[("body", "x")])
                .await
                .status(),
            404
        );
        let part = reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt");
        assert_eq!(
            castle
                .post_multipart(
                    &format!("/records/action/{id}/attachments"),
                    reqwest::multipart::Form::new().part("file", part)
                )
                .await
                .status(),
            404
        );
        let harbour_org = s.organisation("Y90001").await;
        let res = castle
            .post_form(
                "/organisations/switch",
                &[("organisation_id", &harbour_org)],
            )
            .await;
        assert!(
            res.status().is_client_error(),
            "a practice cannot switch into another"
        );

        // Castle Hill guesses the ids: API.
        let api = s.api(&s.api_token(CASTLE_IG).await);
        for path in [
            format!("/actions/{id}"),
            format!("/records/action/{id}/history"),
            format!("/records/action/{id}/comments"),
            format!("/records/action/{id}/attachments"),
            format!("/attachments/{attachment}"),
            format!("/organisations/{harbour_org}/actions"),
            format!("/organisations/{harbour_org}/dashboard"),
        ] {
            let (status, body) = api.get(&path).await;
            assert_eq!(status, 404, "{path}: {body}");
        }
        let (status, _) = api.send(Method::PUT, &format!("/actions/{id}"), &json!({"title": "hijacked", "owner_id": owner, "due_date": "2030-01-01", "status": "done", "version": 1})).await;
        assert_eq!(status, 404);
        let (status, _) = api
            .send(Method::DELETE, &format!("/actions/{id}"), &json!({}))
            .await;
        assert_eq!(status, 404);
        let (status, _) = api
            .send(
                Method::POST,
                &format!("/organisations/{harbour_org}/actions"),
                &json!({"title": "planted", "owner_id": owner, "due_date": "2030-01-01"}),
            )
            .await;
        assert_eq!(status, 404);

        // Nothing changed.
        let (status, body) = harbour.get_text(&format!("/actions/{id}")).await;
        assert_eq!(status, 200);
        assert!(body.contains("review the fax policy") && !body.contains("hijacked"));
        let actions: i64 =
            steward_db::query_scalar("SELECT COUNT(*) FROM actions WHERE title = 'planted'")
                .fetch_one(&s.steward.db.pool)
                .await
                .unwrap();
        assert_eq!(actions, 0);
    }
);

both_backends!(dpo_sees_the_cluster_and_switches_organisation, |s: Arc<
    TestServer,
>| async move {
    let dpo = s.sign_in(DPO).await;
    let (status, body) = dpo.get_text("/organisations").await;
    assert_eq!(status, 200);
    for name in [
        "Harbour View Surgery",
        "Castle Hill Medical Centre",
        "Wessex Coast DPO Service",
    ] {
        assert!(body.contains(name), "{name} listed");
    }
    let castle = s.organisation("Y90002").await;
    let res = dpo
        .post_form("/organisations/switch", &[("organisation_id", &castle)])
        .await;
    assert_eq!(location(&res), "/");
    let (_, body) = dpo.get_text("/").await;
    assert!(body.contains("Working in: <strong>Castle Hill Medical Centre</strong>"));
    // A practice user has no organisation list.
    let practice = s.sign_in(HARBOUR_IG).await;
    assert!(practice
        .get("/organisations")
        .await
        .status()
        .is_client_error());
    // The API lists only what the caller may see.
    let (_, orgs) = s
        .api(&s.api_token(HARBOUR_IG).await)
        .get("/organisations")
        .await;
    assert_eq!(orgs["items"].as_array().map(|a| a.len()), Some(1), "{orgs}");
    assert_eq!(orgs["total"], 1, "{orgs}");
});

both_backends!(action_form_keeps_input_and_records_history, |s: Arc<
    TestServer,
>| async move {
    let c = s.sign_in(HARBOUR_IG).await;
    let owner = s.user_id(HARBOUR_IG).await;
    let res = c
        .post_form(
            "/actions/new",
            &[
                ("title", ""),
                ("description", "Keep this text please"),
                ("owner_id", &owner),
                ("due_day", "31"),
                ("due_month", "2"),
                ("due_year", "2027"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("nhsuk-error-summary"));
    assert!(body.contains("Keep this text please"), "description kept");
    assert!(
        body.contains("value=\"31\""),
        "the day is kept even though the date is wrong"
    );
    assert!(
        body.contains("Enter a title") || body.contains("title"),
        "title error"
    );

    let id = create_action(&c, "Renew the DSPT evidence", &owner, in_days(30)).await;
    let res = c
        .post_form(
            &format!("/actions/{id}/edit"),
            &[
                ("title", "Renew the DSPT evidence by March"),
                ("owner_id", &owner),
                ("due_day", "1"),
                ("due_month", "3"),
                ("due_year", "2030"),
                ("status", "in_progress"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // A stale version is a conflict, not a silent overwrite.
    let res = c
        .post_form(
            &format!("/actions/{id}/edit"),
            &[
                ("title", "stale edit"),
                ("owner_id", &owner),
                ("due_day", "1"),
                ("due_month", "3"),
                ("due_year", "2030"),
                ("status", "open"),
                ("version", "1"),
            ],
        )
        .await;
    assert!(res.status().is_client_error(), "stale edit refused");
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Someone else changed this action"));
    let (_, body) = c.get_text(&format!("/actions/{id}")).await;
    assert!(body.contains("Renew the DSPT evidence by March"));
    assert!(
        body.contains("Renew the DSPT evidence") && body.contains("In progress"),
        "the history shows before and after"
    );
    let (status, history) = s
        .api(&s.api_token(HARBOUR_IG).await)
        .get(&format!("/records/action/{id}/history"))
        .await;
    assert_eq!(status, 200);
    let versions = history["items"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{history}");
    let changed: Vec<&str> = versions
        .iter()
        .flat_map(|v| v["changes"].as_array().unwrap().iter())
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert!(
        changed.contains(&"title") && changed.contains(&"status"),
        "{history}"
    );
});

both_backends!(
    auditor_reads_but_cannot_change,
    |s: Arc<TestServer>| async move {
        let ig = s.sign_in(HARBOUR_IG).await;
        let owner = s.user_id(HARBOUR_IG).await;
        let id = create_action(&ig, "Check smartcard access", &owner, in_days(5)).await;
        let auditor = s.sign_in(HARBOUR_AUDITOR).await;
        assert_eq!(auditor.get(&format!("/actions/{id}")).await.status(), 200);
        assert_eq!(auditor.get("/actions/new").await.status(), 403);
        let res = auditor
            .post_form(
                &format!("/actions/{id}/edit"),
                &[
                    ("title", "changed"),
                    ("owner_id", &owner),
                    ("due_day", "1"),
                    ("due_month", "3"),
                    ("due_year", "2030"),
                    ("status", "done"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 403);
        let api = s.api(&s.api_token(HARBOUR_AUDITOR).await);
        let (status, body) = api
            .send(Method::DELETE, &format!("/actions/{id}"), &json!({}))
            .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["status"], 403);
    }
);

both_backends!(api_answers_problem_details_for_bad_requests, |s: Arc<
    TestServer,
>| async move {
    let token = s.api_token(HARBOUR_IG).await;
    let api = s.api(&token);
    let org = s.organisation("Y90001").await;
    let owner = s.user_id(HARBOUR_IG).await;
    // Malformed JSON.
    let res = api
        .req(Method::POST, &format!("/organisations/{org}/actions"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let (_, problem) = json_of(res).await;
    assert_eq!(problem["status"], 400);
    assert!(problem["title"].is_string());
    // Out-of-range values are a 422 naming the fields.
    let (status, problem) = api
        .send(
            Method::POST,
            &format!("/organisations/{org}/actions"),
            &json!({"title": "", "owner_id": owner, "due_date": "2027-02-30"}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"title") && fields.contains(&"due_date"),
        "{problem}"
    );
    // Wrong types, wrong query values, huge bodies and unknown ids are 4xx, never 500.
    let (status, _) = api
        .send(
            Method::POST,
            &format!("/organisations/{org}/actions"),
            &json!({"title": 5, "owner_id": [], "due_date": null}),
        )
        .await;
    assert!((400..500).contains(&status), "{status}");
    let (status, _) = api
        .get(&format!(
            "/organisations/{org}/actions?page=-1&sort=%27;drop"
        ))
        .await;
    assert!(status == 200 || (400..500).contains(&status), "{status}");
    let (status, _) = api.get("/actions/does-not-exist").await;
    assert_eq!(status, 404);
    // The server answers 413 without reading the body and closes that connection, so the
    // oversized request goes on a connection of its own (a pooled one would be closed under
    // the next request).
    let big = "x".repeat(2 * 1024 * 1024);
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/organisations/{org}/actions", api.base))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body(format!("{{\"title\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // No token, or a wrong one.
    let res = reqwest::get(s.url("/api/v1/me")).await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(s.api("stw_nottherealtoken").get("/me").await.0, 401);
    // A good request works.
    let (status, action) = api.send(Method::POST, &format!("/organisations/{org}/actions"), &json!({"title": "Update the privacy notice", "owner_id": owner, "due_date": "2027-01-15"})).await;
    assert_eq!(status, 201, "{action}");
    assert_eq!(action["title"], "Update the privacy notice");
});

both_backends!(
    openapi_document_describes_the_api,
    |s: Arc<TestServer>| async move {
        let (status, doc) =
            json_of(reqwest::get(s.url("/api/v1/openapi.json")).await.unwrap()).await;
        assert_eq!(status, 200);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/v1/me",
            "/api/v1/actions/{id}",
            "/api/v1/organisations/{organisation_id}/actions",
            "/api/v1/audit-trail",
        ] {
            assert!(paths.contains_key(p), "{p} documented");
        }
    }
);

both_backends!(forms_need_the_csrf_token, |s: Arc<TestServer>| async move {
    let c = s.sign_in(HARBOUR_IG).await;
    let owner = s.user_id(HARBOUR_IG).await;
    let res = c
        .post_form_without_csrf(
            "/actions/new",
            &[
                ("title", "forged"),
                ("owner_id", &owner),
                ("due_day", "1"),
                ("due_month", "1"),
                ("due_year", "2030"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = c
        .post_form_without_csrf(
            "/actions/new",
            &[
                (
                    "csrf",
                    "0000000000000000000000000000000000000000000000000000000000000000",
                ),
                ("title", "forged"),
                ("owner_id", &owner),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let n: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM actions WHERE title = 'forged'")
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
});

both_backends!(
    security_headers_health_and_metrics,
    |s: Arc<TestServer>| async move {
        let res = s.visitor().get("/sign-in").await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.contains_key("referrer-policy"));
        let csrf = h
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with("steward_csrf"))
            .unwrap();
        assert!(csrf.contains("HttpOnly"));
        let c = s.visitor();
        let res = c.sign_in(HARBOUR_IG, PASSWORD).await;
        let session = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with("steward_session"))
            .unwrap();
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        assert_eq!(reqwest::get(s.url("/healthz")).await.unwrap().status(), 200);
        let metrics = reqwest::get(s.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("steward_http_requests_total"), "{metrics}");
    }
);

both_backends!(
    attachments_are_checked_and_stored,
    |s: Arc<TestServer>| async move {
        let c = s.sign_in(HARBOUR_IG).await;
        let owner = s.user_id(HARBOUR_IG).await;
        let id = create_action(&c, "File the breach report", &owner, in_days(3)).await;
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
        let part = reqwest::multipart::Part::bytes(pdf.clone()).file_name("report.pdf");
        let res = c
            .post_multipart(
                &format!("/records/action/{id}/attachments"),
                reqwest::multipart::Form::new().part("file", part),
            )
            .await;
        assert_eq!(res.status(), 303);
        // An executable calling itself a PDF is refused.
        let part = reqwest::multipart::Part::bytes(
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec(),
        )
        .file_name("invoice.pdf");
        let res = c
            .post_multipart(
                &format!("/records/action/{id}/attachments"),
                reqwest::multipart::Form::new().part("file", part),
            )
            .await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("nhsuk-error-summary"));
        // Over the size limit (1 MB in the tests).
        let part =
            reqwest::multipart::Part::bytes(vec![b'a'; 1024 * 1024 + 10]).file_name("big.txt");
        let res = c
            .post_multipart(
                &format!("/records/action/{id}/attachments"),
                reqwest::multipart::Form::new().part("file", part),
            )
            .await;
        assert!(
            res.status() == 413 || res.status() == 422,
            "{}",
            res.status()
        );
        let (_, list) = s
            .api(&s.api_token(HARBOUR_IG).await)
            .get(&format!("/records/action/{id}/attachments"))
            .await;
        let list = list["items"].as_array().unwrap().clone();
        assert_eq!(list.len(), 1, "only the good file stored");
        let att = list[0]["id"].as_str().unwrap();
        let res = c.get(&format!("/attachments/{att}")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/pdf");
        assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);
    }
);

both_backends!(audit_trail_records_views_and_filters, |s: Arc<
    TestServer,
>| async move {
    let c = s.sign_in(HARBOUR_IG).await;
    let owner = s.user_id(HARBOUR_IG).await;
    let id = create_action(&c, "Audit the smartcard list", &owner, in_days(3)).await;
    c.get(&format!("/actions/{id}")).await;
    let dpo = s.sign_in(DPO).await;
    let (status, body) = dpo.get_text(&format!("/audit-trail?record_id={id}")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&steward_web::words::trail_event("record.create"))
            && body.contains(&steward_web::words::trail_event("record.view")),
        "create and view both recorded"
    );
    let (status, csv) = dpo
        .get_text(&format!("/audit-trail.csv?record_id={id}"))
        .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].contains("at") && lines.len() >= 3, "{csv}");
    assert!(
        lines[1..].iter().all(|l| l.contains(&id)),
        "the filter applies to the export"
    );
    // Only the DPO and auditors read the trail.
    assert_eq!(c.get("/audit-trail").await.status(), 403);
});

both_backends!(tampering_with_the_trail_is_detected, |s: Arc<
    TestServer,
>| async move {
    let c = s.sign_in(HARBOUR_IG).await;
    c.get("/").await;
    let run = |url: String| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(["audit-trail", "verify"])
            .env("STEWARD_DATABASE_URL", url)
            .env("STEWARD_DATA_DIR", std::env::temp_dir())
            .output()
            .await
            .unwrap()
    };
    let out = run(s.database_url.clone()).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
    let target: i64 = steward_db::query_scalar(
        "SELECT MIN(seq) FROM audit_trail WHERE event = 'sign_in.success'",
    )
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    steward_db::query("UPDATE audit_trail SET address = '10.9.9.9' WHERE seq = $1")
        .bind(target)
        .execute(&s.steward.db.pool)
        .await
        .unwrap();
    let out = run(s.database_url.clone()).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("entry {target}")), "{err}");
    // Removing a row is caught too.
    steward_db::query("DELETE FROM audit_trail WHERE seq = $1")
        .bind(target + 1)
        .execute(&s.steward.db.pool)
        .await
        .unwrap();
    let out = run(s.database_url.clone()).await;
    assert_eq!(out.status.code(), Some(1));
});

// The chain cannot show that its newest entries were cut off; the head printed by verify,
// kept elsewhere and given back as an anchor, can.
both_backends!(
    cutting_off_the_newest_entries_is_caught_by_an_anchor,
    |s: Arc<TestServer>| async move {
        let c = s.sign_in(HARBOUR_IG).await;
        c.get("/").await;
        let verify = |args: Vec<String>| {
            let url = s.database_url.clone();
            async move {
                let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_steward"))
                    .args(["audit-trail", "verify"])
                    .args(args)
                    .env("STEWARD_DATABASE_URL", url)
                    .env("STEWARD_DATA_DIR", std::env::temp_dir())
                    .output()
                    .await
                    .unwrap();
                (
                    out.status.code(),
                    String::from_utf8_lossy(&out.stdout).to_string(),
                    String::from_utf8_lossy(&out.stderr).to_string(),
                )
            }
        };
        let (code, out, err) = verify(vec![]).await;
        assert_eq!(code, Some(0), "{err}");
        let head = out
            .lines()
            .find_map(|l| l.strip_prefix("Head: "))
            .unwrap_or_else(|| panic!("no head in {out}"))
            .to_string();
        let seq: i64 = head.split(':').next().unwrap().parse().unwrap();
        // More activity: the anchor still holds.
        c.get("/").await;
        c.get("/actions").await;
        let (code, out, err) = verify(vec!["--anchor".into(), head.clone()]).await;
        assert_eq!(code, Some(0), "{err}");
        assert!(out.contains("anchored entry is present"), "{out}");
        // Someone with database access removes the newest entries, the anchored one among them:
        // the chain alone still verifies, the anchor does not.
        steward_db::query("DELETE FROM audit_trail WHERE seq >= $1")
            .bind(seq - 1)
            .execute(&s.steward.db.pool)
            .await
            .unwrap();
        let (code, _, err) = verify(vec![]).await;
        assert_eq!(code, Some(0), "{err}");
        let (code, _, err) = verify(vec!["--anchor".into(), head.clone()]).await;
        assert_eq!(code, Some(1));
        assert!(err.contains("the newest entries were removed"), "{err}");
        // A malformed anchor is a clear error, not a pass.
        let (code, _, err) = verify(vec!["--anchor".into(), "yesterday".into()]).await;
        assert_ne!(code, Some(0));
        assert!(err.contains("SEQ:HASH"), "{err}");
    }
);

both_backends!(reminders_by_email_and_calendar_feed, |s: Arc<
    TestServer,
>| async move {
    let c = s.sign_in(CASTLE_IG).await;
    let owner = s.user_id(CASTLE_IG).await;
    create_action(
        &c,
        "Overdue: sign the sharing agreement",
        &owner,
        in_days(-2),
    )
    .await;
    create_action(&c, "Due soon: refresh IG training", &owner, in_days(2)).await;
    // The calendar feed is reachable by its secret link only.
    let body = c
        .post_form("/account/calendar", &[])
        .await
        .text()
        .await
        .unwrap();
    let start = body.find("/calendar/").unwrap();
    let link: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<' && *c != '"')
        .collect();
    let res = reqwest::get(s.url(&link)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let ics = res.text().await.unwrap();
    assert!(ics.contains("BEGIN:VCALENDAR") && ics.contains("refresh IG training"));
    assert!(
        ics.contains(&format!(
            "DTSTART;VALUE=DATE:{}",
            in_days(2).format("%Y%m%d")
        )),
        "{ics}"
    );
    assert_eq!(
        reqwest::get(s.url("/calendar/not-a-real-token.ics"))
            .await
            .unwrap()
            .status(),
        404
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminder_emails_reach_the_smtp_server() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let sink = crate::smtp::Sink::start().await;
        let s = TestServer::start_with(backend, crate::smtp::mailing_to(&sink)).await;
        let c = s.sign_in(CASTLE_IG).await;
        let owner = s.user_id(CASTLE_IG).await;
        create_action(
            &c,
            "Overdue: sign the sharing agreement",
            &owner,
            in_days(-2),
        )
        .await;
        create_action(&c, "Due soon: refresh IG training", &owner, in_days(2)).await;
        create_action(&c, "Later: plan the annual audit", &owner, in_days(60)).await;
        let admin_api = s.api(&s.api_token(ADMIN).await);
        let (status, report) = admin_api
            .send(Method::POST, "/reminders/run", &json!({}))
            .await;
        assert_eq!(status, 200, "{report}");
        let mails = sink.messages().await;
        let mine: Vec<&String> = mails.iter().filter(|m| m.contains(CASTLE_IG)).collect();
        assert_eq!(mine.len(), 1, "one email for the IG lead: {mails:?}");
        let m = mine[0];
        assert!(
            m.contains("sign the sharing agreement") && m.contains("refresh IG training"),
            "{m}"
        );
        assert!(
            !m.contains("plan the annual audit"),
            "actions not yet due are left out"
        );
        // Running again the same day sends nothing new.
        admin_api
            .send(Method::POST, "/reminders/run", &json!({}))
            .await;
        assert_eq!(
            sink.messages()
                .await
                .iter()
                .filter(|m| m.contains(CASTLE_IG))
                .count(),
            1
        );
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_and_restore() {
    let s = TestServer::start(Backend::Sqlite).await;
    let c = s.sign_in(HARBOUR_IG).await;
    let owner = s.user_id(HARBOUR_IG).await;
    create_action(&c, "Before the backup", &owner, in_days(3)).await;
    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("snapshot.db");
    // The server keeps running and writing while the snapshot is taken.
    let writer = {
        let c2 = s.sign_in(HARBOUR_IG).await;
        let owner = owner.clone();
        tokio::spawn(async move {
            for i in 0..5 {
                create_action(&c2, &format!("During the backup {i}"), &owner, in_days(4)).await;
            }
        })
    };
    let out = tokio::task::spawn_blocking({
        let backup = backup.clone();
        let data_dir = s.data_dir.clone();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
                .args(["backup", backup.to_str().unwrap()])
                .env("STEWARD_DATA_DIR", &data_dir)
                .env_remove("STEWARD_DATABASE_URL")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    writer.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    create_action(&c, "After the backup", &owner, in_days(3)).await;
    // The DPO's second-factor key in the backup is sealed with this key.
    let key = s.secret_key.clone();
    s.stop().await;

    let data_dir = tempfile::tempdir().unwrap();
    let restored = data_dir.path().to_path_buf();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["restore", backup.to_str().unwrap()])
        .env("STEWARD_DATA_DIR", &restored)
        .env("STEWARD_SECRET_KEY", &key)
        .env_remove("STEWARD_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = steward_core::Db::connect(&format!(
        "sqlite://{}",
        restored.join("steward.db").display()
    ))
    .await
    .unwrap();
    let titles: Vec<String> = steward_db::query_scalar(
        "SELECT title FROM actions WHERE title LIKE 'Before%' OR title LIKE 'After%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        titles,
        vec!["Before the backup".to_string()],
        "the snapshot holds what was there when it was taken"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["audit-trail", "verify"])
        .env("STEWARD_DATA_DIR", &restored)
        .env_remove("STEWARD_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the restored trail verifies: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A file that is not a Steward backup is refused and nothing is replaced.
    let junk = restored.join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["restore", junk.to_str().unwrap()])
        .env("STEWARD_DATA_DIR", &restored)
        .env_remove("STEWARD_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let still: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM actions")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(still > 0);
}

both_backends!(
    menu_shows_what_the_role_may_use,
    |s: Arc<TestServer>| async move {
        let (_, ig) = s.sign_in(HARBOUR_IG).await.get_text("/").await;
        assert!(
            ig.contains("href=\"/access-audit\""),
            "the IG lead reviews access audits"
        );
        let gp = s.sign_in("gp@harbour.demo.steward.test").await;
        let (_, body) = gp.get_text("/").await;
        assert!(
            !body.contains("href=\"/access-audit\""),
            "clinicians are audited, they do not review"
        );
        assert_eq!(gp.get("/access-audit").await.status(), 403);
        assert!(!body.contains("href=\"/audit-trail\""));
    }
);

// Views under load share trail commits (group commit); each view must still have its own
// entry, in one unbroken chain.
both_backends!(
    concurrent_views_each_reach_the_trail_in_one_chain,
    |s: Arc<TestServer>| async move {
        let c = s.sign_in(HARBOUR_IG).await;
        let action: String = steward_db::query_scalar(
            "SELECT a.id FROM actions a JOIN organisations o ON o.id = a.organisation_id WHERE o.ods_code = 'Y90001' ORDER BY a.id LIMIT 1",
        )
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        let views_of = || async {
            steward_db::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM audit_trail WHERE event = 'record.view' AND record_id = $1",
            )
            .bind(&action)
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap()
        };
        let before = views_of().await;
        let mut views = tokio::task::JoinSet::new();
        for _ in 0..60 {
            let (http, url) = (c.http.clone(), s.url(&format!("/actions/{action}")));
            views.spawn(async move { http.get(url).send().await.unwrap().status().as_u16() });
        }
        while let Some(status) = views.join_next().await {
            assert_eq!(status.unwrap(), 200);
        }
        assert_eq!(views_of().await, before + 60);
        let seqs: Vec<i64> = steward_db::query_scalar("SELECT seq FROM audit_trail ORDER BY seq")
            .fetch_all(&s.steward.db.pool)
            .await
            .unwrap();
        assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
        assert!(matches!(
            s.steward.verify_trail(None).await.unwrap(),
            steward_core::trail::Verification::Intact { .. }
        ));
    }
);

// Two Steward processes on one database (a second server, or the CLI beside the server)
// extend the one chain in turn: no entry is lost, no number taken twice.
both_backends!(
    two_processes_extend_one_chain,
    |s: Arc<TestServer>| async move {
        let other = steward_core::Steward::new(
            steward_db::Db::connect(&s.database_url).await.unwrap(),
            (*s.steward.config).clone(),
        );
        let before: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM audit_trail")
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
        let mut writers = tokio::task::JoinSet::new();
        for (n, steward) in [s.steward.clone(), other.clone()].into_iter().enumerate() {
            for i in 0..40 {
                let steward = steward.clone();
                writers.spawn(async move {
                    let mut e = steward_core::trail::TrailEntry::anonymous(
                        "ops@demo.steward.test",
                        "test",
                        "test.write",
                    );
                    e.detail = format!("process {n} entry {i}");
                    steward.trail_standalone(e).await
                });
            }
        }
        while let Some(r) = writers.join_next().await {
            r.unwrap().expect("every entry is written");
        }
        let after: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM audit_trail")
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
        assert_eq!(after, before + 80);
        assert!(matches!(
            other.verify_trail(None).await.unwrap(),
            steward_core::trail::Verification::Intact { .. }
        ));
        other.db.close().await;
    }
);

both_backends!(the_dashboard_counts_what_the_person_owns, |s: Arc<
    TestServer,
>| async move {
    let org = s.organisation("Y90001").await;
    let me = s.user_id(HARBOUR_IG).await;
    let api = s.api(&s.api_token(HARBOUR_IG).await);
    let path = format!("/organisations/{org}/dashboard");
    let (status, before) = api.get(&path).await;
    assert_eq!(status, 200, "{before}");

    // Six more open actions: three due within the week, three later.
    for (i, days) in [20, 2, 12, 5, 9, 3].into_iter().enumerate() {
        let (status, body) = api
            .send(
                Method::POST,
                &format!("/organisations/{org}/actions"),
                &json!({"title": format!("dashboard test {i}"), "owner_id": me, "due_date": in_days(days).to_string()}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, after) = api.get(&path).await;
    assert_eq!(status, 200, "{after}");
    let n = |v: &serde_json::Value, k: &str| v[k].as_i64().unwrap_or_else(|| panic!("{k}: {v}"));
    assert_eq!(n(&after, "mine"), n(&before, "mine") + 6, "{after}");
    assert_eq!(n(&after, "mine_due_soon"), n(&before, "mine_due_soon") + 3);
    assert_eq!(n(&after, "mine_overdue"), n(&before, "mine_overdue"));
    assert_eq!(
        n(&after, "open_in_organisation"),
        n(&before, "open_in_organisation") + 6
    );
    // The next five: the person's own open actions, soonest first.
    let next = after["next"].as_array().unwrap();
    assert_eq!(next.len() as i64, n(&after, "mine").min(5), "{after}");
    let dues: Vec<&str> = next
        .iter()
        .map(|a| a["due_date"].as_str().unwrap())
        .collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
    assert!(next.iter().all(|a| a["owner_id"] == me.as_str()));

    // Someone who owns nothing: zeros and no next action, and the practice's figure is the
    // same for them.
    let (status, body) = s
        .api(&s.api_token(ADMIN).await)
        .send(
            Method::POST,
            "/users",
            &json!({"email": "new.staff@harbour.demo.steward.test", "display_name": "Nell Newby", "role": "staff", "organisation_id": org, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // (A new account changes its password at first sign-in; that is not what this tests.)
    steward_db::query("UPDATE users SET must_change_password = 0 WHERE email = $1")
        .bind("new.staff@harbour.demo.steward.test")
        .execute(&s.steward.db.pool)
        .await
        .unwrap();
    let (status, empty) = s
        .api(&s.api_token("new.staff@harbour.demo.steward.test").await)
        .get(&path)
        .await;
    assert_eq!(status, 200, "{empty}");
    for k in ["mine", "mine_overdue", "mine_due_soon"] {
        assert_eq!(n(&empty, k), 0, "{k}: {empty}");
    }
    assert_eq!(empty["next"], json!([]));
    assert_eq!(
        n(&empty, "open_in_organisation"),
        n(&after, "open_in_organisation")
    );
});
