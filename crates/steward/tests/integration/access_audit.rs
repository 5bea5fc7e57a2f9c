//! Access audit in the web application (issue 5): upload an export, map it, run it, review
//! cases; other organisations cannot reach a run or a case by guessing ids (pages and API);
//! bad input gives a clear message; the browser test of the acceptance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, Locator};
use reqwest::multipart::{Form, Part};
use steward_access_review::demo::{seed_demo_audit, HARBOUR_EXPORT, SYSTEM_EXPORT};

use crate::both_backends;
use crate::browser::{browser, sign_in as browser_sign_in, wait_for_path};
use crate::common::*;

const GP: &str = "gp@harbour.demo.steward.test";

fn export_form(files: &[(&str, &str)], month: &str, year: &str, system: &str) -> Form {
    let mut form = Form::new()
        .text("period_month", month.to_string())
        .text("period_year", year.to_string())
        .text("system_name", system.to_string());
    for (name, body) in files {
        form = form.part(
            "files",
            Part::bytes(body.as_bytes().to_vec())
                .file_name(name.to_string())
                .mime_str("text/csv")
                .unwrap(),
        );
    }
    form
}

fn id_after(path: &str, prefix: &str) -> String {
    path.strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{path} should start with {prefix}"))
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

/// Polls a run page until the audit has finished.
async fn wait_completed(c: &Client, run: &str) -> String {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = c.get_text(&format!("/access-audit/runs/{run}")).await;
        assert_eq!(status, 200);
        if body.contains(">Completed<") || body.contains(">Failed<") || Instant::now() > until {
            assert!(body.contains(">Completed<"), "the audit completes: {body}");
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ids of the cases listed on a page, with their rules.
fn cases_on(body: &str) -> Vec<(String, String)> {
    body.split("data-rules=\"")
        .skip(1)
        .map(|s| {
            let rules = s.split('"').next().unwrap().to_string();
            let id = s
                .split("/access-audit/cases/")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string();
            (id, rules)
        })
        .collect()
}

/// Seeds the demo's completed Harbour View run directly (as its IG lead).
async fn harbour_run(s: &TestServer) -> String {
    let harbour = s.organisation("Y90001").await;
    let demo = steward_core::demo::Demo {
        cluster_id: String::new(),
        organisations: vec![("Harbour View Surgery".into(), harbour)],
        sign_ins: vec![],
    };
    seed_demo_audit(&s.steward, &demo)
        .await
        .expect("demo audit")
        .id
}

both_backends!(upload_map_run_and_review, |s: Arc<TestServer>| async move {
    let c = s.sign_in(HARBOUR_IG).await;
    // Upload the system's export: its own names for the audit trail's columns.
    let res = c
        .post_multipart(
            "/access-audit/new",
            export_form(&SYSTEM_EXPORT, "5", "2025", "Example PAS"),
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    let run = id_after(&to, "/access-audit/runs/");
    let (status, page) = c.get_text(&to).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("AuditTrail.csv") && page.contains("PatientRef"),
        "the mapping page lists the files and their columns"
    );

    // Map the events' columns; the other tables have the canonical names and are guessed.
    let fields = [
        ("choice", "new"),
        ("system_name", "Example PAS"),
        ("timestamp_format", "%d/%m/%Y %H:%M"),
        ("file.events", "AuditTrail.csv"),
        ("col.events.event_id", "AuditId"),
        ("col.events.ts", "When"),
        ("col.events.user_id", "Login"),
        ("col.events.patient_id", "PatientRef"),
        ("col.events.action", "Activity"),
        ("col.events.workstation", "Terminal"),
    ];
    let res = c
        .post_form(&format!("/access-audit/runs/{run}/mapping"), &fields)
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let body = wait_completed(&c, &run).await;
    assert!(body.contains("132</dd>"), "every access audited");
    let cases = cases_on(&body);
    assert_eq!(cases.len(), 11, "{cases:?}");
    for rule in [
        "SELF",
        "FAMILY",
        "NEIGHBOUR",
        "COWORKER",
        "VIP",
        "DECEASED",
        "LEAVER",
        "VOLUME",
    ] {
        assert!(
            cases.iter().any(|(_, r)| r.split(' ').any(|x| x == rule)),
            "a {rule} case"
        );
    }

    // Filters: by rule, user, patient and date.
    let (_, body) = c
        .get_text(&format!("/access-audit/runs/{run}?rule=FAMILY"))
        .await;
    assert_eq!(cases_on(&body).len(), 1);
    let (_, body) = c
        .get_text(&format!("/access-audit/runs/{run}?user=u.trelawny"))
        .await;
    assert!(cases_on(&body).len() >= 4, "Bryn's cases");
    let (_, body) = c
        .get_text(&format!("/access-audit/runs/{run}?patient=P001"))
        .await;
    assert_eq!(cases_on(&body).len(), 1);
    let (_, body) = c
        .get_text(&format!(
            "/access-audit/runs/{run}?date_day=14&date_month=5&date_year=2025"
        ))
        .await;
    assert!(cases_on(&body).iter().any(|(_, r)| r.contains("FAMILY")));
    assert!(!cases_on(&body).iter().any(|(_, r)| r.contains("SELF")));

    // The case: timeline with evidence; the view is in the trail.
    let family = cases
        .iter()
        .find(|(_, r)| r.contains("FAMILY"))
        .unwrap()
        .0
        .clone();
    let (status, page) = c.get_text(&format!("/access-audit/cases/{family}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("same household") && page.contains("TRELAWNY"),
        "evidence on the timeline"
    );
    let views: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM audit_trail WHERE event = 'record.view' AND record_type = 'access_audit_case' AND record_id = $1")
        .bind(&family)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    assert_eq!(views, 1);

    // Needs explanation without a line manager: message by the field, input kept.
    let res = c
        .post_form(
            &format!("/access-audit/cases/{family}/outcome"),
            &[("outcome", "needs_explanation"), ("reason", "Ask Bryn")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Select the user&#39;s line manager")
            || page.contains("Select the user's line manager"),
        "{page}"
    );
    assert!(page.contains("Ask Bryn"));
    let manager = s.user_id("siro@harbour.demo.steward.test").await;
    let due = (chrono::Utc::now().date_naive() + chrono::Duration::days(14))
        .format("%-d %-m %Y")
        .to_string();
    let parts: Vec<&str> = due.split(' ').collect();
    let res = c
        .post_form(
            &format!("/access-audit/cases/{family}/outcome"),
            &[
                ("outcome", "needs_explanation"),
                ("reason", "Ask Bryn"),
                ("line_manager_id", &manager),
                ("due_day", parts[0]),
                ("due_month", parts[1]),
                ("due_year", parts[2]),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let owner: String = steward_db::query_scalar("SELECT owner_id FROM actions WHERE source_record_type = 'access_audit_case' AND source_record_id = $1")
        .bind(&family)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    assert_eq!(owner, manager, "the request goes to the line manager");
    // The action is seen by the whole practice, the people access audits watch among them:
    // it names neither the member of staff nor the patient, and links to the case.
    let row = steward_db::query(
        "SELECT c.user_name, a.title, a.description FROM audit_cases c JOIN actions a ON a.source_record_id = c.id WHERE c.id = $1",
    )
    .bind(&family)
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    use steward_db::Row;
    let (user_name, title, description): (String, String, String) = (
        row.get("user_name"),
        row.get("title"),
        row.get("description"),
    );
    let surname = user_name.split_whitespace().last().unwrap().to_string();
    for text in [&title, &description] {
        assert!(
            !text.contains(&surname) && !text.contains("Bryn") && !text.contains("mother"),
            "the action names no one: {text}"
        );
    }
    let res = c
        .post_form(
            &format!("/access-audit/cases/{family}/notes"),
            &[("body", "Bryn says his mother asked him to check a letter.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = c.get_text(&format!("/access-audit/cases/{family}")).await;
    assert!(page.contains("Awaiting explanation") && page.contains("asked him to check a letter"));

    // The mapping was saved: the next export of the system needs only its name.
    let res = c
        .post_multipart(
            "/access-audit/new",
            export_form(&SYSTEM_EXPORT, "6", "2025", "Example PAS"),
        )
        .await;
    let run2 = id_after(&location(&res), "/access-audit/runs/");
    let mapping_id: String =
        steward_db::query_scalar("SELECT id FROM audit_mappings WHERE system_name = 'Example PAS'")
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
    let res = c
        .post_form(
            &format!("/access-audit/runs/{run2}/mapping"),
            &[("choice", "saved"), ("mapping_id", &mapping_id)],
        )
        .await;
    assert_eq!(res.status(), 303);
    wait_completed(&c, &run2).await;

    // The monthly sample with its checklist.
    let res = c
        .post_form(
            &format!("/access-audit/runs/{run}/samples"),
            &[("per_user", "2")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let sample = id_after(&location(&res), "/access-audit/samples/");
    let (status, page) = c.get_text(&format!("/access-audit/samples/{sample}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        page.matches("name=\"outcome_").count(),
        11,
        "two accesses for each user (one for the leaver, who has one)"
    );
    let res = c
        .post_form(
            &format!("/access-audit/samples/{sample}"),
            &[
                ("checklist", "sample_drawn"),
                ("outcome_1", "appropriate"),
                ("note_1", "Booked appointment"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = c.get_text(&format!("/access-audit/samples/{sample}")).await;
    assert!(page.contains("Booked appointment") && page.contains("1 checked"));
});

both_backends!(other_organisations_cannot_reach_runs_or_cases, |s: Arc<
    TestServer,
>| async move {
    let run = harbour_run(&s).await;
    let harbour = s.organisation("Y90001").await;
    let case: String = steward_db::query_scalar(
        "SELECT id FROM audit_cases WHERE run_id = $1 ORDER BY rank LIMIT 1",
    )
    .bind(&run)
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    // Castle Hill's IG lead guesses the ids: not found, pages and API alike.
    let castle = s.sign_in(CASTLE_IG).await;
    for path in [
        format!("/access-audit/runs/{run}"),
        format!("/access-audit/cases/{case}"),
        format!("/access-audit/runs/{run}/mapping"),
    ] {
        assert_eq!(castle.get(&path).await.status(), 404, "{path}");
    }
    let res = castle
        .post_form(
            &format!("/access-audit/cases/{case}/outcome"),
            &[("outcome", "appropriate"), ("reason", "x")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = castle
        .post_form(
            &format!("/access-audit/cases/{case}/notes"),
            &[("body", "x")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let api = s.api(&s.api_token(CASTLE_IG).await);
    for path in [
        format!("/access-audit/runs/{run}"),
        format!("/access-audit/runs/{run}/cases"),
        format!("/access-audit/cases/{case}"),
        format!("/organisations/{harbour}/access-audit/runs"),
    ] {
        let (status, body) = api.get(&path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["status"], 404, "problem details");
    }
    let (status, _) = api
        .send(
            reqwest::Method::POST,
            &format!("/access-audit/cases/{case}/outcome"),
            &serde_json::json!({"outcome": "appropriate", "reason": "x"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = api.get("/access-audit/report?period=2025-05").await;
    assert_eq!(status, 403, "only the DPO sees the cluster report");
    // In Harbour View: the clinician (audited, not auditing) is refused; the auditor reads only.
    let gp = s.sign_in(GP).await;
    assert_eq!(
        gp.get(&format!("/access-audit/cases/{case}"))
            .await
            .status(),
        403
    );
    let (_, home) = gp.get_text("/").await;
    assert!(
        !home.contains("id=\"audit-summary\""),
        "no access-audit section for the audited"
    );
    let (_, home) = s.sign_in(HARBOUR_IG).await.get_text("/").await;
    assert!(home.contains("id=\"audit-summary\"") && home.contains("cases to review"));
    let auditor = s.sign_in(HARBOUR_AUDITOR).await;
    assert_eq!(
        auditor
            .get(&format!("/access-audit/cases/{case}"))
            .await
            .status(),
        200
    );
    let res = auditor
        .post_form(
            &format!("/access-audit/cases/{case}/outcome"),
            &[("outcome", "appropriate"), ("reason", "x")],
        )
        .await;
    assert_eq!(res.status(), 403);
    // The DPO sees the cluster report, with Harbour View in it.
    let dpo = s.api(&s.api_token(DPO).await);
    let (status, rep) = dpo.get("/access-audit/report?period=2025-05").await;
    assert_eq!(status, 200, "{rep}");
    assert_eq!(
        rep["organisations"][0]["organisation_name"],
        "Harbour View Surgery"
    );
    assert_eq!(rep["totals"]["events"], 132);
});

both_backends!(
    bad_input_gives_a_clear_message,
    |s: Arc<TestServer>| async move {
        let c = s.sign_in(HARBOUR_IG).await;
        // A column missing from the events file.
        let mut files: Vec<(&str, String)> = HARBOUR_EXPORT
            .iter()
            .map(|(n, b)| (*n, b.to_string()))
            .collect();
        files[0].1 = files[0].1.replace("event_id,ts,", "event_id,when,");
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, b)| (*n, b.as_str())).collect();
        let res = c
            .post_multipart("/access-audit/new", export_form(&refs, "5", "2025", ""))
            .await;
        let run = id_after(&location(&res), "/access-audit/runs/");
        let res = c
            .post_form(
                &format!("/access-audit/runs/{run}/mapping"),
                &[("choice", "canonical")],
            )
            .await;
        assert_eq!(res.status(), 422);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("There is a problem")
                && page.contains("missing column")
                && page.contains("ts"),
            "{page}"
        );

        // Dates in a format nobody said.
        let mut files: Vec<(&str, String)> = HARBOUR_EXPORT
            .iter()
            .map(|(n, b)| (*n, b.to_string()))
            .collect();
        files[0].1 = files[0]
            .1
            .replace("2025-05-01 09:00:00", "01.05.2025 09:00");
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, b)| (*n, b.as_str())).collect();
        let res = c
            .post_multipart("/access-audit/new", export_form(&refs, "5", "2025", ""))
            .await;
        let run = id_after(&location(&res), "/access-audit/runs/");
        let res = c
            .post_form(
                &format!("/access-audit/runs/{run}/mapping"),
                &[("choice", "canonical")],
            )
            .await;
        assert_eq!(res.status(), 422);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("unknown date format") && page.contains("01.05.2025"),
            "{page}"
        );

        // An event for an unknown user: the audit runs, and the row is reported, not evaluated.
        let mut files: Vec<(&str, String)> = HARBOUR_EXPORT
            .iter()
            .map(|(n, b)| (*n, b.to_string()))
            .collect();
        files[0]
            .1
            .push_str("E99999,2025-05-20 10:00:00,u.nobody,P020,View record,HV-PC-01\n");
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, b)| (*n, b.as_str())).collect();
        let res = c
            .post_multipart("/access-audit/new", export_form(&refs, "5", "2025", ""))
            .await;
        let unknown = id_after(&location(&res), "/access-audit/runs/");
        let res = c
            .post_form(
                &format!("/access-audit/runs/{unknown}/mapping"),
                &[("choice", "canonical")],
            )
            .await;
        assert_eq!(res.status(), 303);
        let page = wait_completed(&c, &unknown).await;
        assert!(
            page.contains("unknown user_id") && page.contains("u.nobody"),
            "{page}"
        );
        assert!(page.contains("132</dd>"), "the other accesses are audited");

        // A failure inside the engine, after the start: the run says so, with the reason.
        let mut files: Vec<(&str, String)> = HARBOUR_EXPORT
            .iter()
            .map(|(n, b)| (*n, b.to_string()))
            .collect();
        files[0]
            .1
            .push_str("E99998,2200-01-01 10:00:00,u.penrose,P020,View record,HV-PC-01\n");
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, b)| (*n, b.as_str())).collect();
        let res = c
            .post_multipart("/access-audit/new", export_form(&refs, "5", "2025", ""))
            .await;
        let failing = id_after(&location(&res), "/access-audit/runs/");
        let res = c
            .post_form(
                &format!("/access-audit/runs/{failing}/mapping"),
                &[("choice", "canonical")],
            )
            .await;
        assert_eq!(res.status(), 303);
        let until = Instant::now() + Duration::from_secs(60);
        let page = loop {
            let (_, page) = c.get_text(&format!("/access-audit/runs/{failing}")).await;
            if !page.contains(">Running<") || Instant::now() > until {
                break page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(
            page.contains(">Failed<") && page.contains("timestamp outside"),
            "{page}"
        );

        // The upload form: no month, no files, a file of the wrong kind.
        let form = Form::new()
            .text("period_month", "13")
            .text("period_year", "2025")
            .part("files", Part::bytes(b"MZ".to_vec()).file_name("tool.exe"));
        let res = c.post_multipart("/access-audit/new", form).await;
        assert_eq!(res.status(), 422);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("real month") && page.contains("must be a CSV or Parquet file"),
            "{page}"
        );
        // A server folder outside the import folder.
        let form = Form::new()
            .text("period_month", "5")
            .text("period_year", "2025")
            .text("folder", "/etc");
        let res = c.post_multipart("/access-audit/new", form).await;
        assert_eq!(res.status(), 422);
        let page = res.text().await.unwrap();
        assert!(page.contains("import folder"), "{page}");

        // The API: problem details, never a 500.
        let api = s.api(&s.api_token(HARBOUR_IG).await);
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                &format!("/access-audit/runs/{run}/start"),
                &serde_json::json!({"kind": "saved", "mapping_id": "nope"}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["field"], "mapping_id");
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                &format!("/access-audit/runs/{run}/start"),
                &serde_json::json!({"kind": "sideways"}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                &format!("/access-audit/runs/{run}/start"),
                &serde_json::json!({"kind": "canonical"}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown date format"));
        let (status, _) = api
            .get(&format!("/access-audit/runs/{run}/cases?date=14-05-2025"))
            .await;
        assert!(status == 400 || status == 422);
        let harbour = s.organisation("Y90001").await;
        let (status, body) = api
            .get(&format!(
                "/organisations/{harbour}/access-audit/report?period=May"
            ))
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                &format!("/organisations/{harbour}/access-audit/mappings"),
                &serde_json::json!({"system_name": "X", "mapping_toml": "[tables.nope]"}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        // A blank mapping is valid TOML that maps nothing: refused, as the document says.
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                &format!("/organisations/{harbour}/access-audit/mappings"),
                &serde_json::json!({"system_name": "X", "mapping_toml": " "}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["field"], "mapping_toml", "{body}");
    }
);

both_backends!(outcomes_through_the_api_reach_the_report, |s: Arc<
    TestServer,
>| async move {
    let run = harbour_run(&s).await;
    let api = s.api(&s.api_token(HARBOUR_IG).await);
    let (status, page) = api
        .get(&format!("/access-audit/runs/{run}/cases?rule=SELF"))
        .await;
    assert_eq!(status, 200, "{page}");
    let self_case = page["items"][0]["id"].as_str().unwrap().to_string();
    let (_, page) = api
        .get(&format!("/access-audit/runs/{run}/cases?rule=FAMILY"))
        .await;
    let family = page["items"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            &format!("/access-audit/cases/{self_case}/outcome"),
            &serde_json::json!({"outcome": "appropriate"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "reason");
    let (status, body) = api.send(reqwest::Method::POST, &format!("/access-audit/cases/{self_case}/outcome"), &serde_json::json!({"outcome": "appropriate", "reason": "Checked her own test results with the duty GP's agreement"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "closed");
    let (status, body) = api.send(reqwest::Method::POST, &format!("/access-audit/cases/{family}/outcome"), &serde_json::json!({"outcome": "inappropriate", "reason": "No reason to open his mother's record", "expected_version": 1})).await;
    assert_eq!(status, 200, "{body}");
    let (status, detail) = api.get(&format!("/access-audit/cases/{family}")).await;
    assert_eq!(status, 200);
    let dpo = s.user_id(DPO).await;
    assert_eq!(
        detail["actions"][0]["owner_id"],
        dpo.as_str(),
        "an action for the DPO"
    );
    // A stale version is a conflict, not an overwrite.
    let (status, _) = api
        .send(
            reqwest::Method::POST,
            &format!("/access-audit/cases/{family}/outcome"),
            &serde_json::json!({"outcome": "appropriate", "reason": "x", "expected_version": 1}),
        )
        .await;
    assert_eq!(status, 409);
    let harbour = s.organisation("Y90001").await;
    let (status, rep) = api
        .get(&format!(
            "/organisations/{harbour}/access-audit/report?period=2025-05"
        ))
        .await;
    assert_eq!(status, 200, "{rep}");
    // The demo run comes with one SELF case already found appropriate.
    assert_eq!(rep["totals"]["appropriate"], 2);
    assert_eq!(rep["totals"]["inappropriate"], 1);
    assert_eq!(rep["reviewed"].as_array().unwrap().len(), 3);
    // PDF and CSV downloads from the report page.
    let c = s.sign_in(HARBOUR_IG).await;
    let res = c
        .get("/access-audit/report.pdf?period_month=5&period_year=2025")
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    let (status, csv) = c
        .get_text("/access-audit/report.csv?period_month=5&period_year=2025")
        .await;
    assert_eq!(status, 200);
    assert!(
        csv.contains("Inappropriate") && csv.contains("No reason to open his mother's record"),
        "{csv}"
    );
    // The OpenAPI document lists the access-audit paths.
    let (_, doc) = api.get("/openapi.json").await;
    assert!(doc["paths"]["/api/v1/access-audit/cases/{id}/outcome"].is_object());
});

// ---- the browser test of the acceptance ----

async fn find(b: &Browser, css: &str) -> fantoccini::elements::Element {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn shot(b: &Browser, name: &str) {
    if let Ok(png) = b.screenshot().await {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

async fn select(b: &Browser, name: &str, value: &str) {
    find(b, &format!("select[name='{name}']"))
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{name}={value}: {e}"));
}

/// Waits until the element's text holds `needle`: after a click the old page may still be
/// showing, and an element found on it goes stale when the new page arrives.
async fn wait_text(b: &Browser, css: &str, needle: &str) -> String {
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let text = match b.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < until,
            "{css} never showed {needle:?}: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn open_case(s: &TestServer, b: &Browser, run: &str, rule: &str) {
    b.goto(&s.url(&format!("/access-audit/runs/{run}?rule={rule}")))
        .await
        .unwrap();
    find(b, "#cases tbody a").await.click().await.unwrap();
    wait_for_path(b, |p| p.starts_with("/access-audit/cases/")).await;
    // The page names the rule by its title, never its code.
    wait_text(b, "#case-rules", &steward_web::words::audit_rule(rule)).await;
}

async fn record(b: &Browser, outcome: &str, reason: &str) {
    find(b, &format!("#outcome-{outcome}"))
        .await
        .click()
        .await
        .unwrap();
    find(b, "#reason").await.send_keys(reason).await.unwrap();
    find(b, "#save-outcome").await.click().await.unwrap();
}

async fn browser_upload_map_run_review_report(s: Arc<TestServer>) {
    let d = browser().await;
    let b = &d.browser;
    browser_sign_in(&s, b, HARBOUR_IG).await;
    find(b, "a[href='/access-audit']")
        .await
        .click()
        .await
        .unwrap();
    find(b, "#new-audit").await.click().await.unwrap();
    shot(b, "access-audit-upload").await;
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, body) in SYSTEM_EXPORT {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        paths.push(p.display().to_string());
    }
    find(b, "#period_month").await.clear().await.unwrap();
    find(b, "#period_month").await.send_keys("5").await.unwrap();
    find(b, "#period_year").await.clear().await.unwrap();
    find(b, "#period_year")
        .await
        .send_keys("2025")
        .await
        .unwrap();
    find(b, "#system_name")
        .await
        .send_keys("Example PAS")
        .await
        .unwrap();
    find(b, "#files")
        .await
        .send_keys(&paths.join("\n"))
        .await
        .unwrap();
    find(b, "#maincontent form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let path = wait_for_path(b, |p| p.ends_with("/mapping")).await;
    let run = id_after(&path, "/access-audit/runs/");

    // Map the audit trail's columns once.
    select(b, "col.events.event_id", "AuditId").await;
    select(b, "col.events.ts", "When").await;
    select(b, "col.events.user_id", "Login").await;
    select(b, "col.events.patient_id", "PatientRef").await;
    select(b, "col.events.action", "Activity").await;
    find(b, "#timestamp_format")
        .await
        .send_keys("%d/%m/%Y %H:%M")
        .await
        .unwrap();
    find(b, "#code_values")
        .await
        .send_keys("events.action: View record = view")
        .await
        .unwrap();
    shot(b, "access-audit-mapping").await;
    find(b, "#start-new").await.click().await.unwrap();

    // The run page shows its progress and refreshes itself until the audit is done.
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        // The page may be refreshing itself as we read it; a stale read just tries again.
        let status = match b.find(Locator::Css("#run-status")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if status == "Completed" {
            break;
        }
        assert!(
            status != "Failed" && Instant::now() < until,
            "run status {status}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        b.refresh().await.unwrap();
    }
    shot(b, "access-audit-run").await;
    let saved: String = steward_db::query_scalar(
        "SELECT mapping_toml FROM audit_mappings WHERE system_name = 'Example PAS'",
    )
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    assert!(
        saved.contains("[tables.events.values.action]")
            && saved.contains("\"View record\" = \"view\""),
        "{saved}"
    );

    open_case(&s, b, &run, "SELF").await;
    shot(b, "access-audit-case-self").await;
    record(
        b,
        "appropriate",
        "Looked at her own results with the duty GP's agreement",
    )
    .await;
    wait_text(b, "#case-outcome", "Appropriate").await;

    open_case(&s, b, &run, "FAMILY").await;
    wait_text(b, "#timeline", "same household").await;
    record(
        b,
        "inappropriate",
        "No care reason to open his mother's record",
    )
    .await;
    wait_text(b, "#case-outcome", "Inappropriate").await;
    wait_text(b, "#case-actions", "information incident").await;
    shot(b, "access-audit-case-family").await;

    // The report shows both outcomes.
    b.goto(&s.url("/access-audit/report?period_month=5&period_year=2025"))
        .await
        .unwrap();
    let outcomes = find(b, "#report-outcomes").await.text().await.unwrap();
    assert!(
        outcomes.contains("1 appropriate") && outcomes.contains("1 inappropriate"),
        "{outcomes}"
    );
    let cases = find(b, "#report-cases").await.text().await.unwrap();
    assert!(
        cases.contains("Appropriate")
            && cases.contains("Inappropriate")
            && cases.contains(&steward_web::words::audit_rule("SELF"))
            && cases.contains(&steward_web::words::audit_rule("FAMILY")),
        "{cases}"
    );
    shot(b, "access-audit-report").await;

    // Done with the export: delete it; the run page says so and keeps the cases.
    b.goto(&s.url(&format!("/access-audit/runs/{run}")))
        .await
        .unwrap();
    find(b, "#delete-export").await.click().await.unwrap();
    // It asks first, on a page of its own.
    wait_text(
        b,
        "h1",
        "Are you sure you want to delete the uploaded export?",
    )
    .await;
    find(b, "#confirm").await.click().await.unwrap();
    wait_text(b, "#export-deleted", "The uploaded export was deleted").await;
    wait_text(b, "#cases", "Same household and surname").await;
    shot(b, "access-audit-export-deleted").await;
    d.browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_access_audit_upload_map_run_review_report_sqlite() {
    run_on(Backend::Sqlite, browser_upload_map_run_review_report).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_access_audit_upload_map_run_review_report_postgres() {
    run_on(Backend::Postgres, browser_upload_map_run_review_report).await;
}

both_backends!(the_api_uploads_starts_and_reports_progress, |s: Arc<
    TestServer,
>| async move {
    let token = s.api_token(HARBOUR_IG).await;
    let api = s.api(&token);
    let harbour = s.organisation("Y90001").await;
    let mut form = Form::new()
        .text("period", "2025-05")
        .text("system_name", "Demo clinical system");
    for (name, body) in HARBOUR_EXPORT {
        form = form.part(
            "files",
            Part::bytes(body.as_bytes().to_vec()).file_name(name),
        );
    }
    let res = api
        .req(
            reqwest::Method::POST,
            &format!("/organisations/{harbour}/access-audit/uploads"),
        )
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, run) = json_of(res).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["status"], "uploaded");
    let id = run["id"].as_str().unwrap().to_string();
    let (status, run) = api
        .send(
            reqwest::Method::POST,
            &format!("/access-audit/runs/{id}/start"),
            &serde_json::json!({"kind": "canonical"}),
        )
        .await;
    assert_eq!(status, 202, "{run}");
    let until = Instant::now() + Duration::from_secs(60);
    let run = loop {
        let (_, run) = api.get(&format!("/access-audit/runs/{id}")).await;
        if run["status"] != "running" || Instant::now() > until {
            break run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["progress"]["percent"], 100);
    assert_eq!(run["events"], 132);
    assert_eq!(run["per_rule"]["FAMILY"], 2);
    // Starting it again is a conflict, not a second set of cases.
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            &format!("/access-audit/runs/{id}/start"),
            &serde_json::json!({"kind": "canonical"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (_, runs) = api
        .get(&format!("/organisations/{harbour}/access-audit/runs"))
        .await;
    assert_eq!(runs["items"].as_array().unwrap().len(), 1);
    assert!(
        runs[0].get("data_location").is_none(),
        "server paths are not shown"
    );

    // The uploaded export is deleted once done with; the cases stay. Only the
    // organisation's IG lead may, and only once.
    let export_dir = s.data_dir.join("access-audit").join(&harbour).join(&id);
    assert!(std::fs::read_dir(&export_dir).unwrap().count() > 0);
    let castle = s.api(&s.api_token(CASTLE_IG).await);
    let export = format!("/access-audit/runs/{id}/export");
    assert_eq!(
        castle
            .send(reqwest::Method::DELETE, &export, &serde_json::json!({}))
            .await
            .0,
        404
    );
    let auditor = s.api(&s.api_token(HARBOUR_AUDITOR).await);
    assert_eq!(
        auditor
            .send(reqwest::Method::DELETE, &export, &serde_json::json!({}))
            .await
            .0,
        403
    );
    assert!(export_dir.exists());
    let (status, run) = api
        .send(reqwest::Method::DELETE, &export, &serde_json::json!({}))
        .await;
    assert_eq!(status, 200, "{run}");
    assert!(run["export_deleted_at"].is_string(), "{run}");
    assert!(!export_dir.exists());
    let (status, cases) = api.get(&format!("/access-audit/runs/{id}/cases")).await;
    assert_eq!(status, 200);
    assert!(cases["total"].as_i64().unwrap() > 0, "{cases}");
    let (status, body) = api
        .send(reqwest::Method::DELETE, &export, &serde_json::json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            &format!("/access-audit/runs/{id}/samples"),
            &serde_json::json!({"per_user": 5}),
        )
        .await;
    assert_eq!(status, 422, "a sample needs the export: {body}");
    let trail: i64 = steward_db::query_scalar(
        "SELECT COUNT(*) FROM audit_trail WHERE record_id = $1 AND detail LIKE 'uploaded export deleted: % file%, % bytes'",
    )
    .bind(&id)
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    assert_eq!(trail, 1);
});
