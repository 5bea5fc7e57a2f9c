//! The hardening a hostile tester asked for: the second factor (attempt limits, one use per
//! code, a new session id), the roles an administrator may give, and bodies read only after
//! the caller is known.

use std::sync::Arc;

use crate::both_backends;
use crate::common::*;

fn session(c: &Client) -> String {
    c.cookie("steward_session").expect("a session cookie")
}

both_backends!(
    second_factor_allows_five_wrong_codes_then_waits,
    |s: Arc<TestServer>| async move {
        let c = s.visitor();
        let res = c.sign_in(DPO, PASSWORD).await;
        assert_eq!(location(&res), "/sign-in/code");
        for _ in 0..5 {
            let res = c.post_form("/sign-in/code", &[("code", "000000")]).await;
            assert_eq!(
                res.status(),
                422,
                "a wrong code is refused with the form again"
            );
        }
        // Even the right code is refused now: the attempt is used up.
        let code = s.current_code(DPO).await;
        let res = c.post_form("/sign-in/code", &[("code", &code)]).await;
        assert_eq!(res.status(), 429);
        let page = res.text().await.unwrap();
        assert!(page.contains("Too many attempts"), "{page}");
        // A new sign-in attempt of the same account waits too (per account, 15 minutes).
        let again = s.visitor();
        again.sign_in(DPO, PASSWORD).await;
        let res = again.post_form("/sign-in/code", &[("code", &code)]).await;
        assert_eq!(res.status(), 429);
        let limited: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM audit_trail WHERE event = 'sign_in.second_factor_rate_limited'",
        )
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        assert_eq!(limited, 2);
    }
);

both_backends!(
    a_code_is_accepted_once_and_the_session_id_changes,
    |s: Arc<TestServer>| async move {
        let c = s.visitor();
        c.sign_in(DPO, PASSWORD).await;
        let before = session(&c);
        let code = s.current_code(DPO).await;
        let res = c.post_form("/sign-in/code", &[("code", &code)]).await;
        assert_eq!(location(&res), "/");
        let after = session(&c);
        assert_ne!(
            before, after,
            "the session id changes after the second factor"
        );
        assert_eq!(c.get("/").await.status(), 200);
        // The id seen before the second factor is worth nothing now.
        let stale = s.visitor();
        let url: reqwest::Url = s.base.parse().unwrap();
        let jar = reqwest::cookie::Jar::default();
        jar.add_cookie_str(&format!("steward_session={before}; Path=/"), &url);
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::new(jar))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = http.get(s.url("/")).send().await.unwrap();
        assert_eq!(res.status(), 303, "the old session id signs no one in");
        drop(stale);
        // The same code again, from another sign-in: refused.
        let other = s.visitor();
        other.sign_in(DPO, PASSWORD).await;
        let res = other.post_form("/sign-in/code", &[("code", &code)]).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("used already"));
    }
);

both_backends!(an_administrator_cannot_give_the_dpo_role, |s: Arc<
    TestServer,
>| async move {
    let token = s.api_token(ADMIN).await;
    let api = s.api(&token);
    let harbour = s.organisation("Y90001").await;
    let (status, body) = api
            .send(
                reqwest::Method::POST,
                "/users",
                &serde_json::json!({"email": "new.dpo@harbour.demo.steward.test", "display_name": "Nia Newman", "role": "dpo", "organisation_id": harbour, "password": "a-long-enough-password"}),
            )
            .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "role");
    let made: i64 = steward_db::query_scalar(
        "SELECT COUNT(*) FROM users WHERE email = 'new.dpo@harbour.demo.steward.test'",
    )
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    assert_eq!(made, 0);
    let (status, body) = api
            .send(
                reqwest::Method::POST,
                "/users",
                &serde_json::json!({"email": "new.ig@harbour.demo.steward.test", "display_name": "Ivo Newman", "role": "ig_lead", "organisation_id": harbour, "password": "a-long-enough-password"}),
            )
            .await;
    assert_eq!(status, 201, "{body}");
});

both_backends!(bodies_are_read_only_after_the_caller_is_known, |s: Arc<
    TestServer,
>| async move {
    // Over the form limit (256 KB): a stranger is refused for who they are (sign in, 401),
    // not for the size, so the guard decided before it read anything.
    let big = vec![b'a'; 300 * 1024];
    // No connection reuse: the server closes a connection whose body it did not read.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let res = http
        .post(s.url("/requests/new"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/sign-in");
    let harbour = s.organisation("Y90001").await;
    let res = http
        .post(s.url(&format!("/api/v1/organisations/{harbour}/requests")))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // A signed-in clinician's upload to an access audit: refused by the gate (403) before
    // the body is read.
    let gp = s.sign_in("gp@harbour.demo.steward.test").await;
    let res = gp
        .http
        .post(s.url("/access-audit/new"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
});

#[test]
fn production_start_needs_the_sealing_key_and_codes_stay_on_the_phone() {
    let dir = tempfile::tempdir().unwrap();
    let steward = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(args)
            .env("STEWARD_DATA_DIR", dir.path())
            .env_remove("STEWARD_SECRET_KEY")
            .env("STEWARD_LISTEN", "127.0.0.1:0")
            .output()
            .unwrap()
    };
    let out = steward(&["serve"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("STEWARD_SECRET_KEY is not set"), "{err}");
    // A database that is not the demo: no live codes from the command line.
    assert!(steward(&["migrate"]).status.success());
    let out = steward(&["user", "totp-code", "dpo@demo.steward.test"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("demo database only"), "{err}");
    // A key is 64 hexadecimal characters, made by `steward secret-key`.
    let out = steward(&["secret-key"]);
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(key.len() == 64 && key.chars().all(|c| c.is_ascii_hexdigit()));
}

both_backends!(csv_exports_neutralise_formula_cells, |s: Arc<
    TestServer,
>| async move {
    // The failed sign-in's email is typed by anyone, and lands in the trail export.
    let stranger = s.visitor();
    let res = stranger
        .sign_in("=HYPERLINK(\"http://evil.test\",\"x\")@a.test", "wrong")
        .await;
    assert_ne!(res.status(), 303);
    let dpo = s.sign_in(DPO).await;
    let res = dpo.get("/audit-trail.csv").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().clone();
    let email = header.iter().position(|h| h == "user_email").unwrap();
    let seq = header.iter().position(|h| h == "seq").unwrap();
    let cells: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    let typed: Vec<&str> = cells
        .iter()
        .map(|c| &c[email])
        .filter(|e| e.contains("hyperlink"))
        .collect();
    assert!(!typed.is_empty(), "the failed sign-in is in the export");
    for e in typed {
        assert!(e.starts_with("'="), "neutralised: {e}");
    }
    // Numbers stay numbers.
    assert!(cells.iter().all(|c| c[seq].parse::<i64>().is_ok()));
    // No cell anywhere in the export starts a formula.
    for c in &cells {
        for cell in c.iter() {
            assert!(
                !cell.starts_with(['=', '@', '\t', '\r'])
                    && (!cell.starts_with(['+', '-']) || cell.parse::<f64>().is_ok()),
                "{cell:?}"
            );
        }
    }
});

both_backends!(
    import_folders_are_per_organisation_and_say_one_thing,
    |s: Arc<TestServer>| async move {
        use reqwest::multipart::Form;
        let root = s.data_dir.join("imports");
        let own = root.join("Y90001").join("may-2025");
        let other = root.join("Y90002").join("may-2025");
        for dir in [&own, &other] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(
                dir.join("events.csv"),
                "event_id,ts\nE1,2025-05-01 09:00:00\n",
            )
            .unwrap();
        }
        std::fs::write(root.join("Y90001").join("notes.txt"), "not a folder").unwrap();
        const ONE_MESSAGE: &str =
            "There is no such folder in this organisation&#39;s import folder";
        let ig = s.sign_in(HARBOUR_IG).await;
        let post = |folder: String| {
            let form = Form::new()
                .text("period_month", "5")
                .text("period_year", "2025")
                .text("folder", folder);
            ig.post_multipart("/access-audit/new", form)
        };
        // Another practice's folder (relative or absolute), a folder that does not exist, a
        // file, a path outside the import folder: one answer, no path named.
        for folder in [
            "../Y90002/may-2025".to_string(),
            other.display().to_string(),
            "june-2025".to_string(),
            "notes.txt".to_string(),
            "/etc".to_string(),
            "../../".to_string(),
        ] {
            let res = post(folder.clone()).await;
            assert_eq!(res.status(), 422, "{folder}");
            let page = res.text().await.unwrap();
            assert!(page.contains(ONE_MESSAGE), "{folder}: {page}");
            assert!(
                !page.contains("does not exist") && !page.contains("must be inside"),
                "{folder}"
            );
        }
        // The form names no path on the server.
        let (_, page) = ig.get_text("/access-audit/new").await;
        assert!(page.contains("import folder"), "{page}");
        assert!(!page.contains(&root.display().to_string()), "{page}");
        // The practice's own folder, by name or by its full path.
        for folder in ["may-2025".to_string(), own.display().to_string()] {
            let res = post(folder.clone()).await;
            assert_eq!(res.status(), 303, "{folder}");
            assert!(location(&res).ends_with("/mapping"), "{folder}");
        }
        // Castle Hill's IG lead reaches Castle Hill's folder, and not Harbour View's.
        let castle = s.organisation("Y90002").await;
        let api = s.api(&s.api_token(CASTLE_IG).await);
        let path = format!("/organisations/{castle}/access-audit/runs");
        let body = |folder: &str| serde_json::json!({"period": "2025-05", "folder": folder});
        let (status, b) = api
            .send(reqwest::Method::POST, &path, &body("may-2025"))
            .await;
        assert_eq!(status, 201, "{b}");
        let (status, b) = api
            .send(reqwest::Method::POST, &path, &body("../Y90001/may-2025"))
            .await;
        assert_eq!(status, 422, "{b}");
        assert_eq!(b["errors"][0]["field"], "folder");
        let refused = b["errors"][0]["message"].as_str().unwrap().to_string();
        let (_, b) = api
            .send(reqwest::Method::POST, &path, &body("no-such-month"))
            .await;
        assert_eq!(b["errors"][0]["message"], refused.as_str());
        assert!(
            !refused.contains("Y9000") && !refused.contains('/'),
            "{refused}"
        );
    }
);

/// A form post by hand (the CSRF cookie is Secure when secure cookies are on, and a
/// cookie jar does not send it over plain HTTP).
async fn sign_in_from(
    s: &TestServer,
    forwarded_for: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http.get(s.url("/sign-in")).send().await.unwrap();
    let csrf = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("steward_csrf="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string();
    http.post(s.url("/sign-in"))
        .header("cookie", format!("steward_csrf={csrf}"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

async fn failure_addresses(s: &TestServer) -> Vec<String> {
    steward_db::query_scalar("SELECT DISTINCT address FROM sign_in_failures")
        .fetch_all(&s.steward.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_transport_security_metrics_token_and_real_addresses() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let s = TestServer::start_with(
            backend,
            Options {
                web: steward_web::WebConfig {
                    secure_cookies: true,
                    metrics: steward_web::MetricsAccess::Bearer("metrics-token-0123456789".into()),
                    trusted_proxies: steward_web::parse_trusted_proxies(&["127.0.0.1".into()])
                        .unwrap(),
                    ..steward_web::WebConfig::default()
                },
                ..Options::default()
            },
        )
        .await;
        // Strict-Transport-Security with secure cookies.
        let res = reqwest::get(s.url("/sign-in")).await.unwrap();
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000"
        );
        // /metrics needs its token.
        let http = reqwest::Client::new();
        let res = http.get(s.url("/metrics")).send().await.unwrap();
        assert_eq!(res.status(), 401);
        let res = http
            .get(s.url("/metrics"))
            .bearer_auth("metrics-token-wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let res = http
            .get(s.url("/metrics"))
            .bearer_auth("metrics-token-0123456789")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("steward_http_requests_total"));
        // The proxy (127.0.0.1, trusted) says who the client is: the limits count the
        // client, not the proxy. 20 failures from one client address...
        for i in 0..20 {
            let res = sign_in_from(
                &s,
                "6.6.6.6, 203.0.113.7",
                &format!("guess{i}@nowhere.test"),
                "wrong password",
            )
            .await;
            assert_eq!(res.status(), 422, "attempt {i}");
        }
        assert_eq!(failure_addresses(&s).await, vec!["203.0.113.7".to_string()]);
        // ...and that client waits, even with the right password...
        let res = sign_in_from(&s, "203.0.113.7", HARBOUR_IG, PASSWORD).await;
        assert_eq!(res.status(), 429);
        // ...while another client behind the same proxy signs in.
        let res = sign_in_from(&s, "203.0.113.8", HARBOUR_IG, PASSWORD).await;
        assert_eq!(res.status(), 303);
        s.stop().await;
    }
}

both_backends!(api_tokens_expire_and_show_their_last_use, |s: Arc<
    TestServer,
>| async move {
    // Without secure cookies: no Strict-Transport-Security; without trusted proxies the
    // forwarded address is not believed.
    let res = sign_in_from(&s, "203.0.113.7", "nobody@nowhere.test", "wrong").await;
    assert!(!res.headers().contains_key("strict-transport-security"));
    assert_eq!(failure_addresses(&s).await, vec!["127.0.0.1".to_string()]);

    let c = s.sign_in(HARBOUR_IG).await;
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let form = |name: &'static str, d: String, m: String, y: String| {
        let c = &c;
        async move {
            c.post_form(
                "/account/tokens",
                &[
                    ("name", name),
                    ("expires_day", &d),
                    ("expires_month", &m),
                    ("expires_year", &y),
                ],
            )
            .await
        }
    };
    use chrono::Datelike;
    let parts = |d: chrono::NaiveDate| {
        (
            d.day().to_string(),
            d.month().to_string(),
            d.year().to_string(),
        )
    };
    // A date that is not real, and one not in the future: the form again, values kept.
    let res = form("bad", "31".into(), "2".into(), "2030".into()).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Enter a real expiry date"), "{page}");
    assert!(page.contains("value=\"31\""), "{page}");
    let (d, m, y) = parts(today);
    let res = form("past", d, m, y).await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("The expiry date must be in the future"));
    // A token that expires tomorrow works today.
    let (d, m, y) = parts(tomorrow);
    let res = form("expiring", d, m, y).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    let start = page.find("stw_").expect("the new token, shown once");
    let token: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let row = |page: &str| -> String {
        let at = page
            .find("<td class=\"nhsuk-table__cell\">expiring</td>")
            .unwrap();
        page[at..at + page[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(row(&page).contains("Never used"), "{}", row(&page));
    assert!(
        row(&page).contains(&steward_core::time::long_date(tomorrow)),
        "{}",
        row(&page)
    );
    let api = s.api(&token);
    let (status, body) = api.get("/whoami").await;
    assert_eq!(status, 200, "{body}");
    // The account page shows when it was last used.
    let (_, page) = c.get_text("/account").await;
    assert!(page.contains("Last used"));
    assert!(!row(&page).contains("Never used"), "{}", row(&page));
    let used: Option<String> =
        steward_db::query_scalar("SELECT last_used_at FROM api_tokens WHERE name = 'expiring'")
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
    assert!(used.is_some());
    // On its expiry date it is refused, as a problem.
    steward_db::query("UPDATE api_tokens SET expires_on = $1 WHERE name = 'expiring'")
        .bind(steward_core::time::iso_date(today))
        .execute(&s.steward.db.pool)
        .await
        .unwrap();
    let res = api
        .req(reqwest::Method::GET, "/whoami")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let (_, page) = c.get_text("/account").await;
    assert!(row(&page).contains("Expired"), "{}", row(&page));
});
