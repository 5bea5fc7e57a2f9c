//! Compliance operations (issue 14): the training needs analysis with staff out of date and
//! the toolkit's percentage; the IG lead records training (bad input re-shown, values kept);
//! an import with bad lines is refused whole, naming each line, and a good one is written;
//! reminders are set as actions; the DPO's cluster policy is offered, adopted, acknowledged
//! and re-acknowledged after a new version; the toolkit readiness changes with it; the
//! retention calculator over the API; a destruction with its certificate; the evidence pack
//! as CSV with formula cells neutralised; other organisations get 404 and roles without the
//! right 403.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::common::*;

const RECEPTION: &str = "reception@harbour.demo.steward.test";
const CALDICOTT: &str = "caldicott@harbour.demo.steward.test";

async fn seed(s: &TestServer) {
    steward_compliance::demo::seed_demo_compliance(&s.steward, chrono::Utc::now().date_naive())
        .await
        .expect("demo compliance");
}

async fn count(s: &TestServer, sql: &str) -> i64 {
    steward_db::query_scalar(sql)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap()
}

fn today_parts() -> (String, String, String) {
    let t = chrono::Utc::now().date_naive();
    (
        t.format("%-d").to_string(),
        t.format("%-m").to_string(),
        t.format("%Y").to_string(),
    )
}

both_backends!(training_needs_records_import_and_reminders, |s: Arc<
    TestServer,
>| async move {
    seed(&s).await;
    let harbour = s.organisation("Y90001").await;
    let ig = s.sign_in(HARBOUR_IG).await;

    // The needs analysis: 5 staff, one out of date (the Caldicott Guardian), so 80%.
    let (status, body) = ig.get_text("/training").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Training needs analysis"));
    assert!(
        body.contains("80% of staff have Data security awareness (level 1) in date"),
        "{body}"
    );
    assert!(
        body.contains("Out of date")
            && body.contains("Due for renewal")
            && body.contains("Not done")
    );
    // Reminders were set before expiry: the SIRO (due soon) and the Caldicott Guardian.
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM actions WHERE source_record_type = 'training_record'"
        )
        .await,
        2
    );
    // Setting them again sets none twice.
    let res = ig.post_form("/training/reminders", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/training?done=reminders&n=0");

    // Bad input: the form comes back with the errors and the values.
    let caldicott = s.user_id(CALDICOTT).await;
    let res = ig
        .post_form(
            "/training",
            &[
                ("user_id", &caldicott),
                ("course", "data_security_awareness"),
                ("completed_on_day", "1"),
                ("completed_on_month", "1"),
                ("completed_on_year", "2100"),
                ("provider", ""),
                ("certificate", "C-77"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("There is a problem"));
    assert!(body.contains("cannot be in the future"));
    assert!(body.contains("Enter who provided the training"));
    assert!(body.contains("value=\"C-77\""), "values kept");

    // The IG lead records the Caldicott Guardian's training: everyone is in date.
    let (d, m, y) = today_parts();
    let res = ig
        .post_form(
            "/training",
            &[
                ("user_id", &caldicott),
                ("course", "data_security_awareness"),
                ("completed_on_day", &d),
                ("completed_on_month", &m),
                ("completed_on_year", &y),
                ("provider", "NHS e-Learning for Healthcare"),
                ("certificate", "C-77"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let record = location(&res);
    assert!(record.starts_with("/training/"));
    let (_, body) = ig.get_text("/training").await;
    assert!(body.contains("100% of staff"), "{body}");
    let (status, body) = ig.get_text(&record).await;
    assert_eq!(status, 200);
    assert!(body.contains("Dr Ffion Abernethy: Data security awareness (level 1)"));

    // An import with bad lines is refused whole, naming each line.
    let before = count(&s, "SELECT COUNT(*) FROM training_records").await;
    let csv = format!(
        "email,course,completed_on,provider\n{RECEPTION},subject_access,2026-01-10,DPO service\nnobody@example.test,data_security_awareness,2026-01-10,X\n{HARBOUR_IG},data_security_awareness,2026-02-30,X\n"
    );
    let res = ig.post_form("/training/import", &[("csv", &csv)]).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Line 3: no member of staff here has the e-mail address"),
        "{body}"
    );
    assert!(
        body.contains("Line 4: enter the date it was completed as a real date"),
        "{body}"
    );
    assert!(!body.contains("Line 2"));
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM training_records").await,
        before
    );
    let good = format!("email,course,completed_on,provider,certificate\n{RECEPTION},Subject access requests: handling and clinical review,2026-01-10,DPO service,=1+1\n");
    let res = ig.post_form("/training/import", &[("csv", &good)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/training?done=import&n=1");
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM training_records").await,
        before + 1
    );

    // The API: the same analysis; an import of nothing is a 422, not a 500.
    let api = s.api(&s.api_token(HARBOUR_IG).await);
    let (status, tna) = api
        .get(&format!("/organisations/{harbour}/training-needs"))
        .await;
    assert_eq!(status, 200, "{tna}");
    assert_eq!(tna["percentage"], 100);
    assert_eq!(tna["staff"], 5);
    let (status, p) = api
        .send(
            Method::POST,
            &format!("/organisations/{harbour}/training/import"),
            &json!({"csv": ""}),
        )
        .await;
    assert_eq!(status, 422, "{p}");

    // Another practice's record is not found; staff do not read training records.
    let castle = s.sign_in(CASTLE_IG).await;
    assert_eq!(castle.get(&record).await.status(), 404);
    let staff = s.sign_in(RECEPTION).await;
    assert_eq!(staff.get("/training").await.status(), 403);
});

both_backends!(
    policies_acknowledged_toolkit_readiness_and_records,
    |s: Arc<TestServer>| async move {
        seed(&s).await;
        let harbour = s.organisation("Y90001").await;
        let dpo_org = s.organisation("Y90000").await;
        let dpo = s.api(&s.api_token(DPO).await);
        let ig_api = s.api(&s.api_token(HARBOUR_IG).await);
        let ig = s.sign_in(HARBOUR_IG).await;
        let staff = s.sign_in(RECEPTION).await;

        // Readiness before: the staff acknowledgements are short of 95%.
        let (_, r) = ig_api
            .get(&format!("/organisations/{harbour}/toolkit"))
            .await;
        let item = |r: &serde_json::Value, code: &str| {
            r["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["code"] == code)
                .unwrap()
                .clone()
        };
        assert_eq!(item(&r, "1.2")["met"], false, "{r}");
        assert_eq!(
            item(&r, "10.1")["met"],
            true,
            "the uploaded, confirmed assurance"
        );
        assert_eq!(item(&r, "4.3.1")["met"], false, "noted, not evidenced");
        assert_eq!(item(&r, "1.3")["met"], true, "a review completed this year");
        assert_eq!(item(&r, "7.1")["met"], true, "the plan tested this year");

        // The DPO adds a cluster policy: it is offered to every practice.
        let (status, p) = dpo
        .send(
            Method::POST,
            &format!("/organisations/{dpo_org}/policies"),
            &json!({"title": "Information sharing and privacy protocol", "document_type": "policy", "body": "Share for direct care; ask the DPO otherwise."}),
        )
        .await;
        assert_eq!(status, 200, "{p}");
        assert_eq!(p["origin"], "cluster");
        let copy: String = steward_db::query_scalar(
            "SELECT id FROM policies WHERE library_policy_id = $1 AND organisation_id = $2",
        )
        .bind(p["id"].as_str().unwrap())
        .bind(&harbour)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        let (_, body) = ig.get_text(&format!("/policies/{copy}")).await;
        assert!(
            body.contains("Offered by the DPO, not yet adopted")
                && body.contains("Adopt this policy")
        );
        // Staff may not adopt; nobody acknowledges a policy not in force.
        assert_eq!(
            staff
                .post_form(&format!("/policies/{copy}/adopt"), &[])
                .await
                .status(),
            403
        );
        let res = staff
            .post_form(&format!("/policies/{copy}/acknowledge"), &[])
            .await;
        assert_eq!(res.status(), 422);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("Only a policy in force is acknowledged"));
        assert_eq!(
            ig.post_form(&format!("/policies/{copy}/adopt"), &[])
                .await
                .status(),
            303
        );

        // The member of staff acknowledges; the IG lead sees who has not.
        let (_, body) = staff.get_text(&format!("/policies/{copy}")).await;
        assert!(body.contains("I have read and understood this policy"));
        assert_eq!(
            staff
                .post_form(&format!("/policies/{copy}/acknowledge"), &[])
                .await
                .status(),
            303
        );
        let (_, body) = staff.get_text(&format!("/policies/{copy}")).await;
        assert!(body.contains("You have acknowledged this version"));
        let (_, acks) = ig_api
            .get(&format!("/policies/{copy}/acknowledgements"))
            .await;
        let acks = acks["items"].as_array().unwrap();
        assert_eq!(
            acks.len(),
            5,
            "everyone in the practice but the auditor: {acks:?}"
        );
        assert_eq!(
            acks.iter()
                .filter(|a| a["acknowledged_at"].is_null())
                .count(),
            4
        );
        let (_, body) = ig.get_text(&format!("/policies/{copy}")).await;
        assert!(
            body.contains("4 people have not yet acknowledged"),
            "{body}"
        );

        // A new version from the DPO: everyone acknowledges again.
        let (status, v) = dpo
            .send(
                Method::POST,
                &format!("/policies/{}/versions", p["id"].as_str().unwrap()),
                &json!({"summary": "", "body": ""}),
            )
            .await;
        assert_eq!(status, 422, "{v}");
        let (status, _) = dpo
        .send(Method::POST, &format!("/policies/{}/versions", p["id"].as_str().unwrap()), &json!({"summary": "Adds the opt-out", "body": "Share for direct care; apply the national data opt-out otherwise."}))
        .await;
        assert_eq!(status, 200);
        let (_, body) = staff.get_text(&format!("/policies/{copy}")).await;
        assert!(
            body.contains("I have read and understood this policy"),
            "asked again"
        );
        assert!(body.contains("apply the national data opt-out"));
        // The practice cannot publish over the cluster's version.
        let (status, _) = ig_api
            .send(
                Method::POST,
                &format!("/policies/{copy}/versions"),
                &json!({"summary": "x", "body": "y"}),
            )
            .await;
        assert_eq!(status, 409);

        // Every policy acknowledged by everyone: assertion 1.2 is met.
        let rows = steward_db::query(
            "SELECT id FROM policies WHERE organisation_id = $1 AND status = 'in_force'",
        )
        .bind(&harbour)
        .fetch_all(&s.steward.db.pool)
        .await
        .unwrap();
        for email in [
            HARBOUR_IG,
            RECEPTION,
            "siro@harbour.demo.steward.test",
            CALDICOTT,
            "gp@harbour.demo.steward.test",
        ] {
            let api = s.api(&s.api_token(email).await);
            for r in &rows {
                let id: String = steward_db::Row::try_get(r, "id").unwrap();
                let (status, _) = api
                    .send(
                        Method::POST,
                        &format!("/policies/{id}/acknowledge"),
                        &json!({}),
                    )
                    .await;
                assert!(status == 200 || status == 409, "{email}: {status}");
            }
        }
        let (_, r) = ig_api
            .get(&format!("/organisations/{harbour}/toolkit"))
            .await;
        assert_eq!(item(&r, "1.2")["met"], true, "{r}");

        // The schedule on the page: rows still to be confirmed against Appendix II are marked,
        // and serious and other incidents run from the date of the incident.
        let (status, body) = ig.get_text("/retention").await;
        assert_eq!(status, 200);
        assert_eq!(body.matches("To be confirmed").count(), 4, "{body}");
        assert!(
            body.contains("Incident files (not serious)") && body.contains("Date of the incident"),
            "{body}"
        );
        assert!(!body.contains("session"), "{body}");

        // The retention calculator: the rule is shown; an impossible date is a 422.
        let (status, o) = ig_api
        .send(Method::POST, "/retention/calculate", &json!({"record_type": "children", "start": "2021-06-01", "date_of_birth": "2004-03-10"}))
        .await;
        assert_eq!(status, 200, "{o}");
        assert_eq!(o["earliest_destruction"], "2030-03-10");
        let (status, o) = ig_api
        .send(Method::POST, "/retention/calculate", &json!({"record_type": "children", "start": "2021-02-30", "date_of_birth": "2004-03-10"}))
        .await;
        assert_eq!(status, 422, "{o}");
        let (status, body) = ig.get_text("/retention/calculator?calculate=yes&record_type=gp_patient&date_of_death_day=15&date_of_death_month=7&date_of_death_year=2020").await;
        assert_eq!(status, 200);
        assert!(
            body.contains("Earliest destruction: 15 July 2030"),
            "{body}"
        );

        // A destruction recorded over the API, its certificate attached on the page.
        let ig_id = s.user_id(HARBOUR_IG).await;
        let (status, d) = ig_api
        .send(Method::POST, &format!("/organisations/{harbour}/destructions"), &json!({
            "record_type": "cctv", "description": "CCTV recordings of November", "quantity": "1 disk",
            "method": "secure_deletion", "destroyed_on": "2026-11-30", "destroyed_by": "Practice manager",
            "authorised_by": ig_id, "certificate": "none"
        }))
        .await;
        assert_eq!(status, 200, "{d}");
        assert_eq!(d["reference"], "DST-0002");
        let csrf = ig.csrf().await;
        let file = reqwest::multipart::Part::bytes(b"certificate".to_vec())
            .file_name("certificate.txt")
            .mime_str("text/plain")
            .unwrap();
        let res = ig
            .post_multipart(
                &format!(
                    "/records/destruction/{}/attachments",
                    d["id"].as_str().unwrap()
                ),
                reqwest::multipart::Form::new()
                    .text("csrf", csrf)
                    .part("file", file),
            )
            .await;
        assert_eq!(res.status(), 303);
        let (_, body) = ig.get_text("/destructions").await;
        assert!(!body.contains("Not attached"), "both certificates attached");

        // The evidence pack: a note starting with = is neutralised.
        let (status, _) = ig_api
            .send(
                Method::POST,
                &format!("/organisations/{harbour}/toolkit-evidence"),
                &json!({"assertion": "4.3.1", "note": "=HYPERLINK(\"http://x\")"}),
            )
            .await;
        assert_eq!(status, 200);
        let res = ig.get("/toolkit/evidence-pack.csv").await;
        assert_eq!(res.status(), 200);
        let csv = res.text().await.unwrap();
        assert!(csv.starts_with("Organisation,Assertion,"));
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
        assert!(!csv.contains(",=HYPERLINK"));

        // The register of processing beyond individual care: the opt-out follows from the basis.
        let (status, body) = ig.get_text("/opt-out").await;
        assert_eq!(status, 200);
        assert!(
            body.contains("Diabetes outcomes research study")
                && body.contains("Applies")
                && body.contains("Does not apply")
        );
        let (status, p) = ig_api
            .send(
                Method::POST,
                &format!("/organisations/{harbour}/opt-out-register"),
                &json!({"purpose": "Audit", "recipient": "ICB", "basis": "whim", "data": "x"}),
            )
            .await;
        assert_eq!(status, 422, "{p}");
        let (status, p) = ig_api
            .send(
                Method::POST,
                &format!("/organisations/{harbour}/opt-out-register"),
                &json!({"purpose": "Audit", "recipient": "ICB", "basis": "consent", "data": "x"}),
            )
            .await;
        assert_eq!(status, 200, "{p}");
        assert_eq!(p["optout_applies"], false);
        assert_eq!(staff.get("/opt-out").await.status(), 403);

        // The DPO's cluster view; nobody else has it.
        let (status, c) = dpo.get("/cluster/toolkit").await;
        assert_eq!(status, 200);
        assert!(c["practices"].as_array().unwrap().len() >= 5);
        assert_eq!(ig.get("/toolkit/cluster").await.status(), 403);
        // Staff read the continuity plan but do not keep it.
        let (status, body) = staff.get_text("/continuity").await;
        assert_eq!(status, 200);
        assert!(body.contains("Business continuity plan"));
        assert_eq!(
            staff
                .post_form("/continuity", &[("title", "x")])
                .await
                .status(),
            403
        );
    }
);

mod in_the_browser {
    //! The IG lead records training, a member of staff acknowledges a policy, and the
    //! toolkit readiness view changes accordingly: real Chromium through ChromeDriver.

    use std::sync::Arc;

    use fantoccini::{Client as Browser, Locator};

    use crate::browser::{browser, sign_in, wait_for_path};
    use crate::common::*;

    async fn fill(b: &Browser, css: &str, value: &str) {
        let f = b
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        f.clear().await.unwrap();
        f.send_keys(value).await.unwrap();
    }

    async fn text(b: &Browser, css: &str) -> String {
        b.find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    async fn submit(b: &Browser, form_action: &str) {
        b.find(Locator::Css(&format!(
            "form[action='{form_action}'] button"
        )))
        .await
        .unwrap_or_else(|e| panic!("{form_action}: {e}"))
        .click()
        .await
        .unwrap();
    }

    async fn story(s: Arc<TestServer>) {
        super::seed(&s).await;
        let d = browser().await;
        let b = &d.browser;
        sign_in(&s, b, HARBOUR_IG).await;
        b.goto(&s.url("/toolkit")).await.unwrap();
        let before = text(b, "#assertion-3-2-1").await;
        assert!(
            before.contains("80%") && before.contains("Not yet met"),
            "{before}"
        );
        let acks_before = text(b, "#assertion-1-2").await;

        // The IG lead records the Caldicott Guardian's data security training.
        b.goto(&s.url("/training")).await.unwrap();
        let caldicott = s.user_id(super::CALDICOTT).await;
        b.find(Locator::Css(&format!(
            "#user_id option[value='{caldicott}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        b.find(Locator::Css(
            "#course option[value='data_security_awareness']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        let (d1, m1, y1) = super::today_parts();
        fill(b, "#completed_on_day", &d1).await;
        fill(b, "#completed_on_month", &m1).await;
        fill(b, "#completed_on_year", &y1).await;
        fill(b, "#provider", "NHS e-Learning for Healthcare").await;
        submit(b, "/training").await;
        wait_for_path(b, |p| p.starts_with("/training/")).await;
        assert!(text(b, "h1").await.contains("Dr Ffion Abernethy"));

        // A member of staff acknowledges the incident management protocol.
        let staff = browser().await;
        let sb = &staff.browser;
        sign_in(&s, sb, super::RECEPTION).await;
        sb.goto(&s.url("/policies")).await.unwrap();
        sb.find(Locator::LinkText("Incident management protocol"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_path(sb, |p| p.starts_with("/policies/")).await;
        let path = sb.current_url().await.unwrap().path().to_string();
        submit(sb, &format!("{path}/acknowledge")).await;
        sb.wait()
            .for_element(Locator::Css("#acknowledged"))
            .await
            .expect("acknowledged");
        staff.browser.close().await.unwrap();

        // The readiness view has changed accordingly.
        b.goto(&s.url("/toolkit")).await.unwrap();
        let after = text(b, "#assertion-3-2-1").await;
        assert!(
            after.contains("100%") && after.contains("Met") && !after.contains("Not yet met"),
            "{after}"
        );
        let acks_after = text(b, "#assertion-1-2").await;
        assert_ne!(acks_before, acks_after, "one more acknowledgement counted");
        d.browser.close().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn browser_training_acknowledgement_and_readiness_sqlite() {
        run_on(Backend::Sqlite, story).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn browser_training_acknowledgement_and_readiness_postgres() {
        run_on(Backend::Postgres, story).await;
    }
}

async fn display_name(s: &TestServer, email: &str) -> String {
    steward_db::query_scalar("SELECT display_name FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap()
}

/// The training e-mails a sink received, for one address.
async fn training_mails(sink: &crate::smtp::Sink, email: &str) -> Vec<String> {
    sink.messages()
        .await
        .into_iter()
        .filter(|m| m.contains(&format!("RCPT TO:<{email}>")) && m.contains("training renewal"))
        // Long lines come quoted-printable: undo the soft line breaks to read the text.
        .map(|m| m.replace("=\n", "").replace("=3D", "="))
        .collect()
}

/// Training about to run out goes out with the daily reminders (the same run, the same SMTP
/// server): the person and the IG lead each get one e-mail per expiry, training that has run
/// out shows as due now, a second run sends nothing twice, and a renewal is a new expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_reminder_emails_once_per_expiry() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let sink = crate::smtp::Sink::start().await;
        let s = TestServer::start_with(backend, crate::smtp::mailing_to(&sink)).await;
        seed(&s).await;
        let today = chrono::Utc::now().date_naive();
        let long = |d: chrono::NaiveDate| d.format("%-d %B %Y").to_string();
        const SIRO: &str = "siro@harbour.demo.steward.test";
        const GP: &str = "gp@harbour.demo.steward.test";
        let (siro_name, caldicott_name) = (
            display_name(&s, SIRO).await,
            display_name(&s, CALDICOTT).await,
        );
        let admin_api = s.api(&s.api_token(ADMIN).await);
        let (status, report) = admin_api
            .send(Method::POST, "/reminders/run", &json!({}))
            .await;
        assert_eq!(status, 200, "{report}");
        // The SIRO (data security runs out in 15 days), the Caldicott Guardian (ran out 65
        // days ago) and Harbour's IG lead, who hears of both.
        assert_eq!(report["training"]["sent"], 3, "{report}");
        assert_eq!(report["training"]["already_sent"], 0, "{report}");

        let siro = training_mails(&sink, SIRO).await;
        assert_eq!(siro.len(), 1, "{siro:?}");
        assert!(
            siro[0].contains("Subject: Steward: 1 training renewal due soon"),
            "{}",
            siro[0]
        );
        assert!(
            siro[0].contains(&format!(
                "Your Data security awareness (level 1), completed on {}, runs out on {}",
                long(today - chrono::Duration::days(350)),
                long(today + chrono::Duration::days(15))
            )),
            "{}",
            siro[0]
        );
        let caldicott = training_mails(&sink, CALDICOTT).await;
        assert_eq!(caldicott.len(), 1, "{caldicott:?}");
        assert!(
            caldicott[0].contains("Due now (the training has run out)")
                && caldicott[0].contains(&format!(
                    "ran out on {}",
                    long(today - chrono::Duration::days(65))
                )),
            "{}",
            caldicott[0]
        );
        let lead = training_mails(&sink, HARBOUR_IG).await;
        assert_eq!(lead.len(), 1, "{lead:?}");
        assert!(
            lead[0].contains(&format!("{siro_name}: Data security awareness"))
                && lead[0].contains(&format!("{caldicott_name}: Data security awareness"))
                && lead[0].contains("Subject: Steward: 2 training renewals due now"),
            "{}",
            lead[0]
        );
        assert!(
            training_mails(&sink, GP).await.is_empty(),
            "in date: no e-mail"
        );

        // Run again (the next day too): nothing is sent twice.
        for date in [today, today + chrono::Duration::days(1)] {
            let (status, report) = admin_api
                .send(
                    Method::POST,
                    "/reminders/run",
                    &json!({"date": date.format("%Y-%m-%d").to_string()}),
                )
                .await;
            assert_eq!(status, 200, "{report}");
            assert_eq!(report["training"]["sent"], 0, "{report}");
            assert_eq!(report["training"]["already_sent"], 4, "{report}");
        }
        assert_eq!(training_mails(&sink, SIRO).await.len(), 1);
        assert_eq!(training_mails(&sink, HARBOUR_IG).await.len(), 1);

        // The SIRO renews today: a new expiry, reminded once when its window comes, while the
        // Caldicott Guardian's old expiry is not sent again.
        let harbour = s.organisation("Y90001").await;
        let ig_api = s.api(&s.api_token(HARBOUR_IG).await);
        let (status, r) = ig_api
            .send(
                Method::POST,
                &format!("/organisations/{harbour}/training"),
                &json!({
                    "user_id": s.user_id(SIRO).await,
                    "course": "data_security_awareness",
                    "completed_on": today.format("%Y-%m-%d").to_string(),
                    "provider": "NHS e-Learning for Healthcare",
                }),
            )
            .await;
        assert_eq!(status, 200, "{r}");
        let renewed = today.checked_add_months(chrono::Months::new(12)).unwrap();
        let (status, report) = admin_api
            .send(
                Method::POST,
                "/reminders/run",
                &json!({"date": (renewed - chrono::Duration::days(25)).format("%Y-%m-%d").to_string()}),
            )
            .await;
        assert_eq!(status, 200, "{report}");
        let siro = training_mails(&sink, SIRO).await;
        assert_eq!(siro.len(), 2, "{siro:?}");
        assert!(
            siro[1].contains(&format!("runs out on {}", long(renewed))),
            "{}",
            siro[1]
        );
        assert_eq!(training_mails(&sink, CALDICOTT).await.len(), 1);
        s.stop().await;
    }
}
