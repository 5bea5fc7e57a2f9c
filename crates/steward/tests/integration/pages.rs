//! The page conventions every module inherits (issue 10): a success banner after every form
//! that worked, a password of one's own before anything else, the DPO's lists across the
//! cluster (each organisation through the gate and on the trail), the patient's name on an
//! access-audit case, reports on the newest month with data, and list pages past the end.

use std::sync::Arc;

use crate::both_backends;
use crate::common::*;

const BANNER: &str = "nhsuk-notification-banner--success";

/// Follows a form's redirect and returns the page it lands on.
async fn landing(c: &Client, res: reqwest::Response) -> String {
    assert_eq!(res.status(), 303, "a form that worked redirects");
    let to = location(&res);
    let (status, body) = c.get_text(&to).await;
    assert_eq!(status, 200, "{to}");
    body
}

both_backends!(
    a_form_that_worked_says_so_once,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        let c = s.sign_in(HARBOUR_IG).await;
        let me = s.user_id(HARBOUR_IG).await;
        // Actions (the core): created, then deleted.
        let res = c
            .post_form(
                "/actions/new",
                &[
                    ("title", "Check the fax policy"),
                    ("description", "From the banner test"),
                    ("owner_id", &me),
                    ("due_day", "31"),
                    ("due_month", "3"),
                    ("due_year", "2031"),
                ],
            )
            .await;
        let to = location(&res);
        let page = landing(&c, res).await;
        assert!(page.contains(BANNER), "a success banner");
        assert!(page.contains("The action has been created."));
        // Once: the next page has no banner.
        let (_, again) = c.get_text(&to).await;
        assert!(!again.contains(BANNER), "the banner is shown once");
        // A comment through the generic record features.
        let id = to.trim_start_matches("/actions/").to_string();
        let res = c
            .post_form(
                &format!("/records/action/{id}/comments"),
                &[("body", "Asked the practice manager")],
            )
            .await;
        let page = landing(&c, res).await;
        assert!(
            page.contains("Your comment has been added."),
            "comment banner"
        );
        let res = c.post_form(&format!("/actions/{id}/delete"), &[]).await;
        let page = landing(&c, res).await;
        assert!(page.contains("The action has been deleted."));
        // Another module: a comment on a rights request.
        let request: String = steward_db::query_scalar(
        "SELECT r.id FROM rights_requests r JOIN users u ON u.organisation_id = r.organisation_id WHERE u.email = $1 LIMIT 1",
    )
    .bind(HARBOUR_IG)
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
        let res = c
            .post_form(
                &format!("/requests/{request}/comments"),
                &[("body", "Identity checked")],
            )
            .await;
        let page = landing(&c, res).await;
        assert!(page.contains(BANNER) && page.contains("Your comment has been added."));
        // A form with errors re-renders without a banner, and leaves none for later.
        let res = c.post_form("/actions/new", &[("title", "")]).await;
        assert_eq!(res.status(), 422);
        let (_, later) = c.get_text("/actions").await;
        assert!(!later.contains(BANNER));
        // A cookie naming no route shows nothing.
        let v = s.visitor();
        let res = v
            .http
            .get(s.url("/sign-in"))
            .header("cookie", "steward_flash=<script>")
            .send()
            .await
            .unwrap();
        assert!(!res.text().await.unwrap().contains(BANNER));
    }
);

both_backends!(an_administrators_password_is_replaced_first, |s: Arc<
    TestServer,
>| async move {
    let admin = s.sign_in(ADMIN).await;
    let harbour = s.organisation("Y90001").await;
    let res = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "new.starter@harbour.demo.steward.test"),
                ("display_name", "Nell Starter"),
                ("role", "staff"),
                ("organisation_id", &harbour),
                ("password", "given-by-the-admin-1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("choose their own password when they first sign in"));
    // The new starter signs in with the given password and can go nowhere but their
    // account page until they choose their own.
    let c = s.visitor();
    let res = c
        .sign_in(
            "new.starter@harbour.demo.steward.test",
            "given-by-the-admin-1",
        )
        .await;
    assert_eq!(res.status(), 303);
    for path in [
        "/",
        "/requests",
        "/actions",
        "/incidents/report",
        "/section/governance",
    ] {
        let res = c.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(location(&res), "/account", "{path}");
    }
    let res = c.post_form("/account/tokens", &[("name", "script")]).await;
    assert_eq!(location(&res), "/account", "no API token before a password");
    let (status, page) = c.get_text("/account").await;
    assert_eq!(status, 200);
    assert!(page.contains("Choose your own password"));
    assert!(!page.contains("aria-label=\"Menu\""), "no menu yet");
    assert!(!page.contains("API tokens"));
    // The API refuses the account's tokens too (one made behind the pages' back).
    let id = s.user_id("new.starter@harbour.demo.steward.test").await;
    let caller = s
        .steward
        .caller_for_user(&id, "127.0.0.1")
        .await
        .unwrap()
        .unwrap();
    let (_, token) = s
        .steward
        .create_api_token(&caller, "script", None)
        .await
        .unwrap();
    let (status, body) = s.api(&token).get("/whoami").await;
    assert_eq!(status, 403, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("choose your own"));
    // The same password again is not a new one.
    let res = c
        .post_form(
            "/account/password",
            &[
                ("current_password", "given-by-the-admin-1"),
                ("new_password", "given-by-the-admin-1"),
                ("confirm_password", "given-by-the-admin-1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = c
        .post_form(
            "/account/password",
            &[
                ("current_password", "given-by-the-admin-1"),
                ("new_password", "only-nell-knows-this"),
                ("confirm_password", "only-nell-knows-this"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(c.get("/requests").await.status(), 200, "free to go on");
    let (status, _) = s.api(&token).get("/whoami").await;
    assert_eq!(status, 200);
    // The demo's printed accounts, made on the server, owe nothing.
    let owed: i64 =
        steward_db::query_scalar("SELECT COUNT(*) FROM users WHERE must_change_password = 1")
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
    assert_eq!(owed, 0);
});

/// The trail rows of the DPO's list reads of a kind, per organisation.
async fn list_reads(s: &TestServer, kind: &str) -> Vec<String> {
    steward_db::query_scalar(
        "SELECT t.organisation_id FROM audit_trail t JOIN users u ON u.id = t.user_id WHERE u.email = $1 AND t.event = 'record.list' AND t.record_type = $2 ORDER BY t.organisation_id",
    )
    .bind(DPO)
    .bind(kind)
    .fetch_all(&s.steward.db.pool)
    .await
    .unwrap()
}

both_backends!(the_dpo_lists_the_cluster_without_switching, |s: Arc<
    TestServer,
>| async move {
    seed_modules(&s).await;
    let c = s.sign_in(DPO).await;
    let harbour = s.organisation("Y90001").await;
    let orgs: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM organisations")
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    for (path, kind) in [
        ("/requests?organisation=all", "rights_request"),
        ("/actions?organisation=all", "action"),
        (
            "/access-audit/cases?organisation=all&status=all",
            "access_audit_case",
        ),
    ] {
        let before = list_reads(&s, kind).await.len();
        let (status, page) = c.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            page.contains("<th scope=\"col\">Organisation</th>"),
            "{path}"
        );
        assert!(page.contains("Harbour View Surgery"), "{path}");
        assert!(page.contains("The whole cluster"), "{path}");
        // Still working in the DPO service: nothing was switched.
        assert!(page.contains("Working in: <strong>"), "{path}");
        // One trail entry for each organisation listed, as a one-organisation list has.
        let after = list_reads(&s, kind).await;
        assert_eq!(after.len() - before, orgs as usize, "{path}: {after:?}");
        // One organisation, by the filter.
        let base = path.split('?').next().unwrap();
        let (status, page) = c.get_text(&format!("{base}?organisation={harbour}")).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !page.contains("<th scope=\"col\">Organisation</th>"),
            "{path}"
        );
    }
    // A figure of the cluster dashboard leads to its filtered list.
    let (_, home) = c.get_text("/").await;
    let link = format!("/requests?status=overdue&amp;organisation={harbour}");
    assert!(home.contains(&link), "the dashboard links to the list");
    let (status, _) = c.get_text(&link.replace("&amp;", "&")).await;
    assert_eq!(status, 200);
    // A practice's IG lead has no cluster to list, and no other practice's list.
    let ig = s.sign_in(HARBOUR_IG).await;
    let (status, page) = ig.get_text("/requests?organisation=all").await;
    assert_eq!(status, 200);
    assert!(!page.contains("The whole cluster"));
    let castle = s.organisation("Y90002").await;
    assert_eq!(
        ig.get(&format!("/requests?organisation={castle}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        ig.get(&format!("/access-audit/cases?organisation={castle}"))
            .await
            .status(),
        404
    );
    // Staff do not review access.
    let staff = s.sign_in("reception@harbour.demo.steward.test").await;
    assert_eq!(staff.get("/access-audit/cases").await.status(), 403);
});

both_backends!(an_access_audit_case_names_its_patient, |s: Arc<
    TestServer,
>| async move {
    seed_modules(&s).await;
    let row = steward_db::query(
        "SELECT c.id, c.patient_id, c.patient_name, c.organisation_id FROM audit_cases c JOIN organisations o ON o.id = c.organisation_id WHERE o.ods_code = 'Y90001' AND c.patient_name IS NOT NULL ORDER BY c.rank LIMIT 1",
    )
    .fetch_one(&s.steward.db.pool)
    .await
    .expect("the demo's audit names the patients of its cases");
    use steward_db::Row;
    let id: String = row.try_get("id").unwrap();
    let patient: String = row.try_get("patient_id").unwrap();
    let name: String = row.try_get("patient_name").unwrap();
    assert!(!name.trim().is_empty());
    let c = s.sign_in(HARBOUR_IG).await;
    let (status, page) = c.get_text(&format!("/access-audit/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("{name} ({patient})")),
        "the case page names {name}"
    );
    // The report opens on the newest month with an audit, not an empty current month.
    let latest: String = steward_db::query_scalar(
        "SELECT MAX(r.period) FROM audit_runs r JOIN organisations o ON o.id = r.organisation_id WHERE o.ods_code = 'Y90001'",
    )
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    let (status, report) = c.get_text("/access-audit/report").await;
    assert_eq!(status, 200);
    assert!(
        report.contains(&steward_access_review::period_label(&latest)),
        "the report is on {latest}"
    );
});

both_backends!(
    a_page_past_the_last_shows_the_last,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        let c = s.sign_in(DPO).await;
        for path in [
            "/requests?page=99999999999999999",
            "/actions?page=99999999999999999",
            "/access-audit/cases?organisation=all&status=all&page=99999999999999999",
            "/audit-trail?page=99999999999999999",
        ] {
            let (status, page) = c.get_text(path).await;
            assert_eq!(status, 200, "{path}");
            assert!(!page.contains("99999999999999999"), "{path}");
        }
    }
);
