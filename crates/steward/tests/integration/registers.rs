//! Registers and transparency (issue 12), over real HTTP on both databases: the demo's
//! master log and Harbour's log; a pending project cannot be joined, an approved one can
//! (who signed, when), the log gains its activity and the published notice names the
//! project and its partner on the public page, and leaving removes it; publishing refuses
//! while an Article 13/14 element is missing, listing it; a DPO's change to a master log
//! activity arrives as an update to accept; imports check the whole file (bad dates, an
//! unknown lawful basis, missing columns, text that is not UTF-8, a file too large) and
//! write nothing until confirmed, and importing the same file again adds nothing; the
//! command line does the same with exit 1 and a line per bad row.

use std::sync::Arc;

use steward_registers::fields::Register;
use steward_registers::store::registers;

use crate::both_backends;
use crate::common::*;

async fn count(s: &TestServer, sql: &str, org: &str) -> i64 {
    steward_db::query_scalar(sql)
        .bind(org)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap()
}

async fn project_id(s: &TestServer, status: &str) -> String {
    steward_db::query_scalar("SELECT id FROM sharing_projects WHERE status = $1")
        .bind(status)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap()
}

both_backends!(joining_a_project_reaches_the_public_notice, |s: Arc<
    TestServer,
>| async move {
    seed_modules(&s).await;
    let harbour = s.organisation("Y90001").await;
    let dpo_org = s.organisation("Y90000").await;
    assert!(
        count(
            &s,
            "SELECT COUNT(*) FROM activity_templates WHERE organisation_id = $1",
            &dpo_org
        )
        .await
            >= 25,
        "the cluster master log holds at least 25 activities"
    );
    let ig = s.sign_in(HARBOUR_IG).await;
    let (status, log) = ig.get_text("/registers/processing-activities").await;
    assert_eq!(status, 200);
    assert!(log.contains("Shared care record"), "{log}");
    assert!(!log.contains("Community frailty project"));

    // A pending project cannot be joined, on the page or through the API.
    let pending = project_id(&s, "pending").await;
    let res = ig
        .post_form(
            &format!("/sharing-projects/{pending}/join"),
            &[
                ("signed_by", "Dr Idris Penhallow, SIRO"),
                ("signed_on_day", "1"),
                ("signed_on_month", "3"),
                ("signed_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("cannot be joined until the DPO approves it"),
        "{body}"
    );
    let api = s.api(&s.api_token(HARBOUR_IG).await);
    let (code, problem) = api
        .send(
            reqwest::Method::POST,
            &format!("/organisations/{harbour}/sharing-projects/{pending}/join"),
            &serde_json::json!({"signed_by": "Dr Penhallow", "signed_on": "2026-03-01"}),
        )
        .await;
    assert_eq!(code, 409, "{problem}");
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM project_memberships WHERE organisation_id = $1",
            &harbour
        )
        .await,
        0
    );

    // The approved project: who signed is required, then the practice joins.
    let approved = project_id(&s, "approved").await;
    let res = ig
        .post_form(
            &format!("/sharing-projects/{approved}/join"),
            &[
                ("signed_by", ""),
                ("signed_on_day", "31"),
                ("signed_on_month", "2"),
                ("signed_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Enter who signed the project&#x27;s documents")
            || body.contains("Enter who signed"),
        "{body}"
    );
    // The date comes back as typed, with the error on the day (31 February is no date).
    assert!(
        body.contains("The date they signed must be a real date"),
        "{body}"
    );
    assert!(body.contains("href=\"#signed_on_day\""), "{body}");
    assert!(
        body.contains("nhsuk-input--width-2 nhsuk-input--error\" id=\"signed_on_day\" name=\"signed_on_day\" type=\"text\" inputmode=\"numeric\" value=\"31\""),
        "{body}"
    );
    assert!(
        body.contains("nhsuk-input--width-2\" id=\"signed_on_month\" name=\"signed_on_month\" type=\"text\" inputmode=\"numeric\" value=\"2\""),
        "the month is right: no error on it"
    );
    let res = ig
        .post_form(
            &format!("/sharing-projects/{approved}/join"),
            &[
                ("signed_by", "Dr Idris Penhallow, SIRO"),
                ("signed_on_day", "1"),
                ("signed_on_month", "3"),
                ("signed_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, projects) = ig.get_text("/sharing-projects").await;
    assert!(
        projects.contains("signed by Dr Idris Penhallow, SIRO on 1 March 2026"),
        "{projects}"
    );
    let (_, log) = ig.get_text("/registers/processing-activities").await;
    assert!(
        log.contains("Community frailty project"),
        "the log gains the project's activity"
    );

    // The public notice names the project and its partner after the next publication.
    let visitor = s.visitor();
    let (status, before) = visitor.get_text("/privacy/Y90001").await;
    assert_eq!(status, 200, "the published notice is public");
    assert!(!before.contains("Community frailty project"));
    let res = ig
        .post_form("/privacy-notice/publish", &[("change_summary", "")])
        .await;
    assert_eq!(res.status(), 422, "a second version says what changed");
    let res = ig
        .post_form(
            "/privacy-notice/publish",
            &[("change_summary", "Joined the community frailty project")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (status, notice) = visitor.get_text("/privacy/Y90001").await;
    assert_eq!(status, 200);
    assert!(notice.contains("Community frailty project"), "{notice}");
    assert!(notice.contains("Wessex Coast Community NHS Trust"));
    assert!(notice.contains("Version 2"));
    let (status, page) = visitor
        .get_text(&format!("/privacy/Y90001/projects/{approved}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("community frailty team"), "{page}");
    assert_eq!(
        visitor
            .get(&format!("/privacy/Y90001/projects/{pending}"))
            .await
            .status(),
        404
    );
    assert_eq!(visitor.get("/privacy/Y99999").await.status(), 404);
    let pdf = visitor.get("/privacy/Y90001/notice.pdf").await;
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    let docx = visitor.get("/privacy/Y90001/notice.docx").await;
    assert_eq!(docx.status(), 200);
    assert!(docx.bytes().await.unwrap().starts_with(b"PK"));
    let (_, index) = visitor.get_text("/privacy").await;
    assert!(index.contains("/privacy/Y90001"));
    let (_, sign_in) = visitor.get_text("/sign-in").await;
    assert!(
        sign_in.contains("href=\"/privacy/Y90001\">Privacy notice: Harbour View Surgery</a>"),
        "linked from the sign-in page"
    );
    let (_, editor) = ig.get_text("/privacy-notice").await;
    assert!(editor.contains("Reading ease (Flesch)"));
    assert!(editor.contains("Joined the community frailty project"));

    // Leaving removes the activity from the log.
    let res = ig
        .post_form(&format!("/sharing-projects/{approved}/leave"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let (_, log) = ig.get_text("/registers/processing-activities").await;
    assert!(!log.contains("Community frailty project"));
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM project_memberships WHERE organisation_id = $1 AND left_at IS NULL", &harbour).await,
        0
    );
});

both_backends!(
    publishing_refuses_a_notice_with_elements_missing,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        let castle = s.organisation("Y90002").await;
        let c = s.sign_in(CASTLE_IG).await;
        let res = c.post_form("/privacy-notice/publish", &[]).await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Contact details of the data protection officer"),
            "{body}"
        );
        assert!(body.contains("Article 13(1)(b)"));
        assert!(body.contains("The processing activities log is empty"));
        let api = s.api(&s.api_token(CASTLE_IG).await);
        let (code, problem) = api
            .send(
                reqwest::Method::POST,
                &format!("/organisations/{castle}/privacy-notice/publish"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(code, 422);
        assert!(
            problem["errors"].as_array().unwrap().len() >= 5,
            "{problem}"
        );
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM privacy_notice_versions WHERE organisation_id = $1",
                &castle
            )
            .await,
            0
        );
        assert_eq!(s.visitor().get("/privacy/Y90002").await.status(), 404);
        // Another organisation's notice is not found; the auditor reads but does not publish.
        let harbour_notice: String =
            steward_db::query_scalar("SELECT id FROM privacy_notices WHERE organisation_id = $1")
                .bind(s.organisation("Y90001").await)
                .fetch_one(&s.steward.db.pool)
                .await
                .unwrap();
        assert_eq!(
            c.get(&format!("/privacy-notices/{harbour_notice}"))
                .await
                .status(),
            404
        );
        let auditor = s.sign_in(HARBOUR_AUDITOR).await;
        assert_eq!(auditor.get("/privacy-notice").await.status(), 200);
        assert_eq!(
            auditor
                .post_form("/privacy-notice/publish", &[])
                .await
                .status(),
            403
        );
    }
);

both_backends!(a_master_log_change_is_an_update_to_accept, |s: Arc<
    TestServer,
>| async move {
    seed_modules(&s).await;
    let harbour = s.organisation("Y90001").await;
    let dpo = s.api(&s.api_token(DPO).await);
    let (code, page) = dpo.get("/master-log?q=video").await;
    assert_eq!(code, 200, "{page}");
    let template = page["items"][0].clone();
    let id = template["id"].as_str().unwrap().to_string();
    let mut values = template["values"].clone();
    values["retention"] = serde_json::json!("Not recorded; 6 months for the booking log");
    let (code, changed) = dpo
        .send(reqwest::Method::PUT, &format!("/master-log/{id}"), &values)
        .await;
    assert_eq!(code, 200, "{changed}");
    // A value outside the code list is a 422 naming the field, nothing saved.
    let mut bad = values.clone();
    bad["lawful_basis"] = serde_json::json!("because we can");
    let (code, problem) = dpo
        .send(reqwest::Method::PUT, &format!("/master-log/{id}"), &bad)
        .await;
    assert_eq!(code, 422);
    assert_eq!(problem["errors"][0]["field"], "lawful_basis");

    let ig = s.api(&s.api_token(HARBOUR_IG).await);
    let (_, log) = ig
        .get(&format!("/organisations/{harbour}/master-log"))
        .await;
    let item = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["template"]["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["update_waiting"], true, "{item}");
    let activity = item["adopted"].as_str().unwrap().to_string();
    let web = s.sign_in(HARBOUR_IG).await;
    let (_, page) = web
        .get_text(&format!("/registers/processing-activities/{activity}"))
        .await;
    assert!(page.contains("The DPO changed this activity in the master log"));
    assert!(page.contains("6 months for the booking log"));
    let (code, accepted) = ig
        .send(
            reqwest::Method::POST,
            &format!("/processing-activities/{activity}/accept-update"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(code, 200, "{accepted}");
    assert_eq!(
        accepted["values"]["retention"],
        "Not recorded; 6 months for the booking log"
    );
    let (code, _) = ig
        .send(
            reqwest::Method::POST,
            &format!("/processing-activities/{activity}/accept-update"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(code, 409, "nothing left to accept");
    // The practice cannot change the DPO's master log.
    let (code, _) = ig
        .send(reqwest::Method::PUT, &format!("/master-log/{id}"), &values)
        .await;
    assert_eq!(code, 404);
});

both_backends!(
    registers_hold_their_rules,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        let harbour = s.organisation("Y90001").await;
        // Agreements with review and expiry dates raised actions before them.
        assert!(
        count(&s, "SELECT COUNT(*) FROM actions WHERE organisation_id = $1 AND source_record_type = 'sharing_agreement'", &harbour).await >= 2
    );
        let ig = s.sign_in(HARBOUR_IG).await;
        // An asset's risk score change is kept with who and why.
        let asset: String = steward_db::query_scalar("SELECT id FROM information_assets WHERE organisation_id = $1 ORDER BY reference LIMIT 1")
        .bind(&harbour)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        let api = s.api(&s.api_token(HARBOUR_IG).await);
        let (_, a) = api.get(&format!("/information-assets/{asset}")).await;
        let mut values = a["values"].clone();
        values["risk_likelihood"] = serde_json::json!("4");
        values["risk_reason"] = serde_json::json!("Supplier outage in March");
        let (code, _) = api
            .send(
                reqwest::Method::PUT,
                &format!("/information-assets/{asset}"),
                &values,
            )
            .await;
        assert_eq!(code, 200);
        let (_, page) = ig
            .get_text(&format!("/registers/information-assets/{asset}"))
            .await;
        assert!(page.contains("Supplier outage in March"), "{page}");
        assert!(page.contains("Risk score: <strong>20</strong>"));
        // The form keeps the values and says what is wrong.
        let res = ig
            .post_form(
                "/registers/sharing-partners/new",
                &[
                    ("name", "Quayside Dental"),
                    ("partner_type", ""),
                    ("ico_registration", "12345"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(body.contains("There is a problem"));
        assert!(body.contains("value=\"Quayside Dental\""));
        assert!(body.contains("8 characters starting with Z"));
        // Search across the registers.
        let (_, found) = ig.get_text("/registers?q=frailty").await;
        assert!(found.contains("result"), "{found}");
        let (_, found) = ig.get_text("/registers?q=shared+care").await;
        assert!(found.contains("Shared care record"), "{found}");
        // Processors show the Article 28 items the contract lacks.
        let processor: String = steward_db::query_scalar(
            "SELECT id FROM processors WHERE organisation_id = $1 LIMIT 1",
        )
        .bind(&harbour)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        let (_, page) = ig
            .get_text(&format!("/registers/processors/{processor}"))
            .await;
        assert!(page.contains("Article 28(3)(h)"), "{page}");
    }
);

both_backends!(register_dates_links_and_the_sign_in_footer, |s: Arc<
    TestServer,
>| async move {
    seed_modules(&s).await;
    let harbour = s.organisation("Y90001").await;
    let ig = s.sign_in(HARBOUR_IG).await;

    // Dates are three boxes; a date that is not real comes back with the error summary,
    // the typed values kept and the error on the box that is wrong.
    let (_, form) = ig.get_text("/registers/sharing-agreements/new").await;
    assert!(form.contains("name=\"review_date_day\""), "{form}");
    assert!(form.contains("nhsuk-date-input"));
    let agreement = |signed_day: &'static str| {
        vec![
            ("name", "Quayside dental sharing agreement"),
            ("agreement_type", "information_sharing"),
            ("signed_date_day", signed_day),
            ("signed_date_month", "2"),
            ("signed_date_year", "2026"),
            ("review_date_day", "1"),
            ("review_date_month", "3"),
            ("review_date_year", "2027"),
            ("expiry_date_day", ""),
            ("expiry_date_month", ""),
            ("expiry_date_year", ""),
        ]
    };
    let res = ig
        .post_form("/registers/sharing-agreements/new", &agreement("30"))
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("There is a problem"));
    assert!(body.contains("Signed on must be a real date"), "{body}");
    assert!(body.contains("href=\"#signed_date_day\""), "{body}");
    assert!(body.contains("nhsuk-input--width-2 nhsuk-input--error\" id=\"signed_date_day\" name=\"signed_date_day\" type=\"text\" inputmode=\"numeric\" value=\"30\""), "{body}");
    assert!(body.contains("nhsuk-input--width-2\" id=\"signed_date_month\" name=\"signed_date_month\" type=\"text\" inputmode=\"numeric\" value=\"2\""), "{body}");
    assert!(body.contains("value=\"Quayside dental sharing agreement\""));
    assert_eq!(
            count(&s, "SELECT COUNT(*) FROM sharing_agreements WHERE organisation_id = $1 AND name = 'Quayside dental sharing agreement'", &harbour).await,
            0
        );
    let res = ig
        .post_form("/registers/sharing-agreements/new", &agreement("27"))
        .await;
    assert_eq!(res.status(), 303);
    let id: String = steward_db::query_scalar("SELECT id FROM sharing_agreements WHERE organisation_id = $1 AND name = 'Quayside dental sharing agreement'")
            .bind(&harbour)
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
    let stored: (String, String) = steward_db::query_as(
        "SELECT signed_date, review_date FROM sharing_agreements WHERE id = $1",
    )
    .bind(&id)
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    assert_eq!(stored, ("2026-02-27".to_string(), "2027-03-01".to_string()));
    let (_, page) = ig
        .get_text(&format!("/registers/sharing-agreements/{id}"))
        .await;
    assert!(page.contains("27 February 2026"), "{page}");
    let (_, edit) = ig
        .get_text(&format!("/registers/sharing-agreements/{id}/edit"))
        .await;
    assert!(edit.contains("id=\"signed_date_year\" name=\"signed_date_year\" type=\"text\" inputmode=\"numeric\" value=\"2026\""), "{edit}");

    // The activity's retention links to the schedule's row, its DPIA to the DPIA.
    let activity: String = steward_db::query_scalar("SELECT id FROM processing_activities WHERE organisation_id = $1 AND name = 'Shared care record'")
            .bind(&harbour)
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
    let dpia: (String, String) = steward_db::query_as("SELECT id, reference FROM dpias WHERE organisation_id = $1 AND title = 'Dorset Care Record'")
            .bind(&harbour)
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
    let (_, page) = ig
        .get_text(&format!("/registers/processing-activities/{activity}"))
        .await;
    assert!(
        page.contains("href=\"/retention#schedule-gp_patient\""),
        "{page}"
    );
    assert!(
        page.contains("GP patient records: 10 years after death"),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"/dpias/{}\"", dpia.0)),
        "{page}"
    );
    assert!(
        page.contains(&format!("{}: Dorset Care Record", dpia.1)),
        "{page}"
    );
    let (_, schedule) = ig.get_text("/retention").await;
    assert!(schedule.contains("id=\"schedule-gp_patient\""));
    // The notice's retention element is the row's period.
    let (_, notice) = ig.get_text("/privacy-notice").await;
    assert!(
        notice.contains("We keep it: 10 years after death (GP patient records"),
        "{notice}"
    );

    // A DPIA of another practice is refused, on the page and through the API.
    let castle = s.organisation("Y90002").await;
    let other = "castle-dpia-test";
    steward_db::query("INSERT INTO dpias (id, organisation_id, reference, title, status, matrix, version_number, content, created_by, created_at, updated_at, version) VALUES ($1, $2, 'DPIA-0001', 'Castle Hill kiosk', 'draft', '5x5', 1, '{}', $3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1)")
            .bind(other)
            .bind(&castle)
            .bind(s.user_id(CASTLE_IG).await)
            .execute(&s.steward.db.pool)
            .await
            .unwrap();
    let api = s.api(&s.api_token(HARBOUR_IG).await);
    let (_, a) = api.get(&format!("/processing-activities/{activity}")).await;
    let mut values = a["values"].clone();
    values["dpia_id"] = serde_json::json!(other);
    let (code, problem) = api
        .send(
            reqwest::Method::PUT,
            &format!("/processing-activities/{activity}"),
            &values,
        )
        .await;
    assert_eq!(code, 422, "{problem}");
    assert!(
        problem
            .to_string()
            .contains("belongs to another organisation"),
        "{problem}"
    );
    let (_, edit) = ig
        .get_text(&format!("/registers/processing-activities/{activity}/edit"))
        .await;
    assert!(
        edit.contains(&format!("value=\"{}\" selected", dpia.0)),
        "{edit}"
    );
    assert!(
        !edit.contains("Castle Hill kiosk"),
        "another practice's DPIA is not offered"
    );
    let mut fields: Vec<(String, String)> = a["values"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .filter(|(k, _)| !["recipient_partners", "systems"].contains(&k.as_str()))
        .collect();
    for (k, v) in fields.iter_mut() {
        if k == "dpia_id" {
            *v = other.into();
        }
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = ig
        .post_form(
            &format!("/registers/processing-activities/{activity}/edit"),
            &pairs,
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("belongs to another organisation"));
    // An activity needs a row of the schedule or a note.
    for (k, v) in fields.iter_mut() {
        if k == "dpia_id" {
            *v = dpia.0.clone();
        }
        if k == "retention_row" || k == "retention" {
            v.clear();
        }
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = ig
        .post_form(
            &format!("/registers/processing-activities/{activity}/edit"),
            &pairs,
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(
        "Select the record type from the retention schedule, or say how long it is kept"
    ));

    // The sign-in page's footer: one link per organisation with a published notice.
    let visitor = s.visitor();
    let (status, sign_in) = visitor.get_text("/sign-in").await;
    assert_eq!(status, 200);
    assert!(
        sign_in.contains("href=\"/privacy/Y90001\">Privacy notice: Harbour View Surgery</a>"),
        "{sign_in}"
    );
    assert!(
        !sign_in.contains("Privacy notice: Castle Hill Medical Centre"),
        "no notice published, no link"
    );
    assert_eq!(sign_in.matches("Privacy notice: ").count(), 1, "{sign_in}");
    // Castle Hill adopts an activity and publishes: its link appears beside Harbour's.
    let castle_ig = s.sign_in(CASTLE_IG).await;
    let template: String = steward_db::query_scalar(
            "SELECT id FROM activity_templates WHERE name = 'Direct care: consultations and the GP record'",
        )
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    let res = castle_ig
        .post_form(&format!("/master-log/{template}/adopt"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let res = castle_ig
            .post_form(
                "/privacy-notice",
                &[
                    ("introduction", "We are a GP practice in the castle quarter."),
                    ("controller_contact", "Castle Hill Medical Centre, 2 Castle Hill. Telephone 01234 000000"),
                    ("dpo_contact", "The Wessex Coast DPO Service, dpo@wessex-dpo.example"),
                    ("requirement_statement", "You do not have to give us your information, but without it we may not be able to care for you safely."),
                    ("automated_decisions", "We do not make decisions about you by computer alone."),
                ],
            )
            .await;
    assert_eq!(res.status(), 303);
    let res = castle_ig
        .post_form(
            "/privacy-notice/publish",
            &[("change_summary", "First notice")],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let (_, sign_in) = visitor.get_text("/sign-in").await;
    assert!(
        sign_in.contains("href=\"/privacy/Y90002\">Privacy notice: Castle Hill Medical Centre</a>"),
        "{sign_in}"
    );
    assert_eq!(sign_in.matches("Privacy notice: ").count(), 2);
});

const HEADER: &str = "Name of the processing activity,Purposes of the processing,Direct care or another purpose,Lawful basis (Article 6),Special category data (such as health),Condition for special category data (Article 9),Common law duty of confidentiality,Categories of people,Categories of personal data,Where the data comes from,Recipients,Transfers outside the UK,How long it is kept,Security measures,Does the National Data Opt-out apply?\n";

fn good_row(name: &str) -> String {
    format!("{name},To look after patients,Individual (direct) care,Public task,Yes,Health or social care,Implied consent for individual care,Patients,Health records,The patient,None,None,8 years,Smartcards,No\n")
}

both_backends!(
    imports_check_the_whole_file_first,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        let harbour = s.organisation("Y90001").await;
        let before = count(
            &s,
            "SELECT COUNT(*) FROM processing_activities WHERE organisation_id = $1",
            &harbour,
        )
        .await;
        let ig = s.sign_in(HARBOUR_IG).await;
        let upload = |bytes: Vec<u8>, name: &'static str| {
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(name)
                .mime_str("text/csv")
                .unwrap();
            reqwest::multipart::Form::new().part("file", part)
        };
        // Bad rows: an unknown lawful basis, a bad yes/no, a line that is not UTF-8.
        let mut bad = HEADER.to_string() + &good_row("Travel vaccinations");
        bad += "Minor surgery,To operate,Individual (direct) care,Because we can,Yes,Health or social care,Implied consent for individual care,Patients,Health records,The patient,None,None,8 years,Smartcards,Perhaps\n";
        let mut bytes = bad.into_bytes();
        bytes.extend_from_slice(b"Caf\xe9 clinic,To look after patients,Individual (direct) care,Public task,Yes,Health or social care,Implied consent for individual care,Patients,Health records,The patient,None,None,8 years,Smartcards,No\n");
        let res = ig
            .post_multipart(
                "/registers/processing-activities/import",
                upload(bytes, "log.csv"),
            )
            .await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(
            body.contains(
                "Line 3: Lawful basis (Article 6) &quot;Because we can&quot; is not one of"
            ) || body.contains("Line 3: Lawful basis (Article 6) &#34;Because we can&#34;"),
            "{body}"
        );
        assert!(body.contains("Line 3: Does the National Data Opt-out apply? must be yes or no"));
        assert!(body.contains("Line 4: the text is not UTF-8"));
        assert!(
            !body.contains("Import the file"),
            "no confirmation for a bad file"
        );
        // A missing required column.
        let res = ig
            .post_multipart(
                "/registers/processing-activities/import",
                upload(b"Name of the processing activity\nX\n".to_vec(), "log.csv"),
            )
            .await;
        assert_eq!(res.status(), 422);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("The file has no column for"));
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM processing_activities WHERE organisation_id = $1",
                &harbour
            )
            .await,
            before
        );

        // A clean file: checked, nothing written until confirmed.
        let clean =
            HEADER.to_string() + &good_row("Travel vaccinations") + &good_row("Minor surgery");
        let res = ig
            .post_multipart(
                "/registers/processing-activities/import",
                upload(clean.clone().into_bytes(), "log.csv"),
            )
            .await;
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        assert!(body.contains("2 processing activities to add"), "{body}");
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM processing_activities WHERE organisation_id = $1",
                &harbour
            )
            .await,
            before
        );
        let start = body.find("/import/").unwrap() + "/import/".len();
        let import_id: String = body[start..].chars().take_while(|c| *c != '/').collect();
        let res = ig
            .post_form(
                &format!("/registers/processing-activities/import/{import_id}/confirm"),
                &[],
            )
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            count(
                &s,
                "SELECT COUNT(*) FROM processing_activities WHERE organisation_id = $1",
                &harbour
            )
            .await,
            before + 2
        );
        // The same file again adds nothing.
        let res = ig
            .post_multipart(
                "/registers/processing-activities/import",
                upload(clean.into_bytes(), "log.csv"),
            )
            .await;
        let body = res.text().await.unwrap();
        assert!(body.contains("0 processing activities to add"), "{body}");
        assert!(body.contains("2 processing activities unchanged"));

        // The export reads back in: CSV with formula cells neutralised, XLSX through calamine.
        let res = ig.get("/registers/processing-activities/export.csv").await;
        assert_eq!(res.status(), 200);
        let csv = res.text().await.unwrap();
        assert!(csv.starts_with("Reference,Name of the processing activity"));
        let res = ig.get("/registers/processing-activities/export.xlsx").await;
        assert_eq!(res.status(), 200);
        let xlsx = res.bytes().await.unwrap().to_vec();
        let r = registers(&s.steward);
        let caller = s
            .steward
            .caller_for_user(&s.user_id(HARBOUR_IG).await, "test")
            .await
            .unwrap()
            .unwrap();
        let check = r
            .check_import(
                &caller,
                &harbour,
                Register::Processing,
                "log.xlsx",
                &xlsx,
                false,
            )
            .await
            .unwrap();
        assert!(check.is_clean(), "{:?}", check.errors);
        assert_eq!(
            check.count(steward_registers::transfer::RowAction::Add),
            0,
            "re-importing the export adds nothing"
        );
        // A file over the limit is refused before it is read.
        let big = vec![b'x'; steward_registers::transfer::MAX_IMPORT_BYTES + 10];
        assert!(matches!(
            r.check_import(
                &caller,
                &harbour,
                Register::Processing,
                "big.csv",
                &big,
                false
            )
            .await,
            Err(steward_core::CoreError::Invalid(_))
        ));
    }
);

both_backends!(imports_map_the_files_own_column_names, |s: Arc<
    TestServer,
>| async move {
    seed_modules(&s).await;
    let harbour = s.organisation("Y90001").await;
    let ig = s.sign_in(HARBOUR_IG).await;
    let partners = |sql: &'static str| {
        let s = s.clone();
        let harbour = harbour.clone();
        async move { count(&s, sql, &harbour).await }
    };
    let before = partners("SELECT COUNT(*) FROM sharing_partners WHERE organisation_id = $1").await;
    // The DPO's own spreadsheet words, not the register's.
    let file = "Who they are,Sort of organisation,ICO reg no.,Spoke to last\nQuayside Dental,Other,Z1234567,Sam at reception\nHarbour Opticians,Other,Z7654321,\n";
    let upload = |bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("partners-2026.csv")
            .mime_str("text/csv")
            .unwrap();
        reqwest::multipart::Form::new().part("file", part)
    };
    let res = ig
        .post_multipart(
            "/registers/sharing-partners/import",
            upload(file.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Match the file&#x27;s columns") || body.contains("Match the file's columns"),
        "{body}"
    );
    assert!(
        body.contains("The file&#x27;s column &quot;Who they are&quot;")
            || body.contains("Who they are"),
        "{body}"
    );
    assert!(body.contains("First value: Quayside Dental"), "{body}");
    assert!(
        !body.contains("Import the file"),
        "nothing to confirm before the columns are mapped"
    );
    let start = body.find("/import/").unwrap() + "/import/".len();
    let import_id: String = body[start..].chars().take_while(|c| *c != '/').collect();
    let map_path = format!("/registers/sharing-partners/import/{import_id}/map");
    // The required column left out: refused on the mapping, nothing written.
    let res = ig
        .post_form(
            &map_path,
            &[
                ("col_0", ""),
                ("col_1", "partner_type"),
                ("col_2", "ico_registration"),
                ("col_3", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("The file has no column for: Organisation"),
        "{body}"
    );
    // Two columns to one: refused.
    let res = ig
        .post_form(
            &map_path,
            &[
                ("col_0", "name"),
                ("col_1", "name"),
                ("col_2", "ico_registration"),
                ("col_3", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("are both mapped to Organisation"));
    assert_eq!(
        partners("SELECT COUNT(*) FROM sharing_partners WHERE organisation_id = $1").await,
        before
    );
    // Mapped: checked, then written only when confirmed.
    let res = ig
        .post_form(
            &map_path,
            &[
                ("col_0", "name"),
                ("col_1", "partner_type"),
                ("col_2", "ico_registration"),
                ("col_3", "notes"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("2 sharing partners to add"), "{body}");
    assert_eq!(
        partners("SELECT COUNT(*) FROM sharing_partners WHERE organisation_id = $1").await,
        before
    );
    let res = ig
        .post_form(
            &format!("/registers/sharing-partners/import/{import_id}/confirm"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        partners("SELECT COUNT(*) FROM sharing_partners WHERE organisation_id = $1").await,
        before + 2
    );
    assert_eq!(
            partners("SELECT COUNT(*) FROM sharing_partners WHERE organisation_id = $1 AND name = 'Quayside Dental' AND ico_registration = 'Z1234567' AND notes = 'Sam at reception'").await,
            1
        );
    // A mapped file with a bad row: reported by line, and the mapping can be changed.
    let bad = "Who they are,Sort of organisation\nRiver Dental,Dentist\n";
    let res = ig
        .post_multipart(
            "/registers/sharing-partners/import",
            upload(bad.as_bytes().to_vec()),
        )
        .await;
    let body = res.text().await.unwrap();
    let start = body.find("/import/").unwrap() + "/import/".len();
    let import_id: String = body[start..].chars().take_while(|c| *c != '/').collect();
    let res = ig
        .post_form(
            &format!("/registers/sharing-partners/import/{import_id}/map"),
            &[("col_0", "name"), ("col_1", "partner_type")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("Line 2: Type of organisation"), "{body}");
    assert!(
        body.contains(&format!(
            "/registers/sharing-partners/import/{import_id}/map\">Change which column is which"
        )),
        "{body}"
    );
    assert!(!body.contains("Import the file"));
    // Someone else's import cannot be mapped.
    let castle = s.sign_in(CASTLE_IG).await;
    let res = castle
        .get(&format!(
            "/registers/sharing-partners/import/{import_id}/map"
        ))
        .await;
    assert_eq!(res.status(), 404);
});

both_backends!(the_command_line_imports_and_exports, |s: Arc<
    TestServer,
>| async move {
    seed_modules(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| {
        let url = s.database_url.clone();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_steward"))
                .args(args)
                .env("STEWARD_DATABASE_URL", url)
                .env("STEWARD_DATA_DIR", std::env::temp_dir())
                .output()
                .await
                .unwrap()
        }
    };
    let bad = dir.path().join("partners.csv");
    std::fs::write(&bad, "Organisation,Type of organisation,ICO registration number\nQuayside Dental,Dentist,Z1234567\nHarbour Opticians,Other,nonsense\n").unwrap();
    let out = run(vec![
        "registers".into(),
        "import".into(),
        "partners".into(),
        bad.display().to_string(),
        "--organisation".into(),
        "Y90001".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2: Type of organisation \"Dentist\" is not one of"),
        "{err}"
    );
    assert!(
        err.contains("line 3: The ICO registration number is 8 characters"),
        "{err}"
    );
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "Organisation,Type of organisation\nQuayside Dental,Other\n",
    )
    .unwrap();
    let out = run(vec![
        "registers".into(),
        "import".into(),
        "partners".into(),
        good.display().to_string(),
        "--organisation".into(),
        "Y90001".into(),
        "--dry-run".into(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 to add"));
    let harbour = s.organisation("Y90001").await;
    assert_eq!(count(&s, "SELECT COUNT(*) FROM sharing_partners WHERE organisation_id = $1 AND name = 'Quayside Dental'", &harbour).await, 0);
    // The file's own column names, mapped with --map.
    let own = dir.path().join("own.csv");
    std::fs::write(
        &own,
        "Who they are,Sort of organisation,Spoke to last\nRiver Opticians,Other,Sam\n",
    )
    .unwrap();
    let with_map = |extra: &[&str]| {
        let mut args: Vec<String> = vec![
            "registers".into(),
            "import".into(),
            "partners".into(),
            own.display().to_string(),
            "--organisation".into(),
            "Y90001".into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let out = run(with_map(&[])).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("The file has no column for: Organisation; Type of organisation"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(with_map(&[
        "--map",
        "Who they are=Organisation",
        "--map",
        "Sort of organisation=Kind",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no column \"Kind\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(with_map(&[
        "--map",
        "Who they are=Organisation",
        "--map",
        "Sort of organisation=partner_type",
        "--map",
        "Spoke to last=Notes",
    ]))
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&s, "SELECT COUNT(*) FROM sharing_partners WHERE organisation_id = $1 AND name = 'River Opticians' AND notes = 'Sam'", &harbour).await, 1);
    let out = run(vec![
        "registers".into(),
        "import".into(),
        "partners".into(),
        good.display().to_string(),
        "--organisation".into(),
        "Y90001".into(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&s, "SELECT COUNT(*) FROM sharing_partners WHERE organisation_id = $1 AND name = 'Quayside Dental'", &harbour).await, 1);
    let xlsx = dir.path().join("partners.xlsx");
    let out = run(vec![
        "registers".into(),
        "export".into(),
        "partners".into(),
        "--organisation".into(),
        "Y90001".into(),
        "--format".into(),
        "xlsx".into(),
        "-o".into(),
        xlsx.display().to_string(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    let out = run(vec![
        "registers".into(),
        "export".into(),
        "partners".into(),
        "--organisation".into(),
        "Y90001".into(),
    ])
    .await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("Quayside Dental"));
});

both_backends!(
    a_sharing_project_links_one_of_the_dpo_services_dpias,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        let dpo_org: String =
            steward_db::query_scalar("SELECT id FROM organisations WHERE kind = 'dpo_service'")
                .fetch_one(&s.steward.db.pool)
                .await
                .unwrap();
        let castle = s.organisation("Y90002").await;
        for (id, org, title) in [
            ("dpo-frailty-dpia", &dpo_org, "Community frailty"),
            ("castle-kiosk-dpia", &castle, "Castle Hill kiosk"),
        ] {
            steward_db::query("INSERT INTO dpias (id, organisation_id, reference, title, status, matrix, version_number, content, created_by, created_at, updated_at, version) VALUES ($1, $2, 'DPIA-0901', $3, 'draft', '5x5', 1, '{}', $4, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1)")
            .bind(id)
            .bind(org)
            .bind(title)
            .bind(s.user_id(DPO).await)
            .execute(&s.steward.db.pool)
            .await
            .unwrap();
        }
        let project: String =
            steward_db::query_scalar("SELECT id FROM sharing_projects WHERE status = 'approved'")
                .fetch_one(&s.steward.db.pool)
                .await
                .unwrap();
        let api = s.api(&s.api_token(DPO).await);
        let (code, p) = api.get(&format!("/sharing-projects/{project}")).await;
        assert_eq!(code, 200, "{p}");
        let mut values = p["values"].clone();
        // A practice's DPIA is not the project's to link.
        values["dpia_id"] = serde_json::json!("castle-kiosk-dpia");
        let (code, problem) = api
            .send(
                reqwest::Method::PUT,
                &format!("/sharing-projects/{project}"),
                &values,
            )
            .await;
        assert_eq!(code, 422, "{problem}");
        assert!(
            problem
                .to_string()
                .contains("belongs to another organisation"),
            "{problem}"
        );
        // The DPO service's own DPIA is linked, and the project's page links to it by name.
        values["dpia_id"] = serde_json::json!("dpo-frailty-dpia");
        values["dpia_reference"] = serde_json::json!("");
        let (code, saved) = api
            .send(
                reqwest::Method::PUT,
                &format!("/sharing-projects/{project}"),
                &values,
            )
            .await;
        assert_eq!(code, 200, "{saved}");
        // The project's history names the DPIA, not its id.
        let (code, history) = api
            .get(&format!("/records/sharing_project/{project}/history"))
            .await;
        assert_eq!(code, 200, "{history}");
        let history = history.to_string();
        assert!(
            history.contains("DPIA-0901: Community frailty"),
            "{history}"
        );
        assert!(!history.contains("dpo-frailty-dpia"), "{history}");
        let dpo = s.sign_in(DPO).await;
        let (status, page) = dpo
            .get_text(&format!("/registers/sharing-projects/{project}"))
            .await;
        assert_eq!(status, 200);
        assert!(page.contains("href=\"/dpias/dpo-frailty-dpia\""), "{page}");
        assert!(page.contains("DPIA-0901: Community frailty"), "{page}");
        let (_, edit) = dpo
            .get_text(&format!("/registers/sharing-projects/{project}/edit"))
            .await;
        assert!(
            edit.contains("Community frailty (Wessex")
                || edit.contains("DPIA-0901: Community frailty"),
            "{edit}"
        );
        assert!(
            !edit.contains("Castle Hill kiosk"),
            "a practice's DPIA is not offered"
        );
    }
);

/// In a real browser: the IG lead joins the approved project, the log shows its activity,
/// the published notice names the project and its partner; the pending project offers no
/// way to join. The public pages pass a basic accessibility check in the browser (language,
/// one h1, headings in order, every form field labelled, links with text) and axe-core with no
/// serious or critical violation.
async fn a_practice_joins_a_project_in_the_browser(s: Arc<TestServer>) {
    use fantoccini::Locator;
    seed_modules(&s).await;
    let d = crate::browser::browser().await;
    let b = &d.browser;
    crate::browser::sign_in(&s, b, HARBOUR_IG).await;
    b.goto(&s.url("/sharing-projects")).await.unwrap();
    let pending = b
        .find(Locator::Css("#project-PJ-0002"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        pending.contains("cannot be joined until the DPO approves it"),
        "{pending}"
    );
    assert!(
        b.find(Locator::Css("#project-PJ-0002 form")).await.is_err(),
        "no join form for a pending project"
    );
    let form = "#project-PJ-0001 form";
    b.find(Locator::Css(&format!("{form} input[name=signed_by]")))
        .await
        .unwrap()
        .send_keys("Dr Idris Penhallow, SIRO")
        .await
        .unwrap();
    for (part, typed) in [("day", "2"), ("month", "3"), ("year", "2026")] {
        b.find(Locator::Css(&format!(
            "{form} input[name=signed_on_{part}]"
        )))
        .await
        .unwrap()
        .send_keys(typed)
        .await
        .unwrap();
    }
    b.find(Locator::Css(&format!("{form} button")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css("#project-PJ-0001 .joined"))
        .await
        .expect("the project shows as joined");
    b.goto(&s.url("/registers/processing-activities"))
        .await
        .unwrap();
    let log = b
        .find(Locator::Css("#entries"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("Community frailty project"), "{log}");
    b.goto(&s.url("/privacy-notice")).await.unwrap();
    b.find(Locator::Css("#change_summary"))
        .await
        .unwrap()
        .send_keys("Joined the community frailty project")
        .await
        .unwrap();
    b.find(Locator::Css(
        "form[action='/privacy-notice/publish'] button",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    crate::browser::wait_for_path(b, |p| p == "/privacy-notice").await;
    b.goto(&s.url("/privacy/Y90001")).await.unwrap();
    let text = b
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("Community frailty project"), "{text}");
    assert!(text.contains("Wessex Coast Community NHS Trust"));
    let check = r#"
        const problems = [];
        if (!document.documentElement.lang) problems.push('no language');
        if (document.querySelectorAll('h1').length !== 1) problems.push('not one h1');
        let last = 1;
        for (const h of document.querySelectorAll('main h1, main h2, main h3, main h4')) {
            const level = Number(h.tagName[1]);
            if (level > last + 1) problems.push('heading skips a level: ' + h.textContent);
            last = level;
        }
        for (const i of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
            if (!i.id || !document.querySelector('label[for="' + i.id + '"]')) problems.push('field without a label: ' + i.name);
        }
        for (const a of document.querySelectorAll('a')) {
            if (!a.textContent.trim() && !a.getAttribute('aria-label')) problems.push('link without text: ' + a.href);
        }
        for (const img of document.querySelectorAll('img')) {
            if (!img.hasAttribute('alt')) problems.push('image without alt');
        }
        return problems;
    "#;
    for path in ["/privacy", "/privacy/Y90001"] {
        b.goto(&s.url(path)).await.unwrap();
        let problems = b.execute(check, vec![]).await.unwrap();
        assert_eq!(problems, serde_json::json!([]), "{path}");
        crate::accessibility::assert_accessible(b, path).await;
    }
    let project: String =
        steward_db::query_scalar("SELECT id FROM sharing_projects WHERE status = 'approved'")
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
    b.goto(&s.url(&format!("/privacy/Y90001/projects/{project}")))
        .await
        .unwrap();
    let problems = b.execute(check, vec![]).await.unwrap();
    assert_eq!(problems, serde_json::json!([]));
    crate::accessibility::assert_accessible(b, "the project's public page").await;
    // The sign-in page, as a stranger sees it, with a link to each published notice in its
    // footer.
    b.delete_all_cookies().await.unwrap();
    b.goto(&s.url("/sign-in")).await.unwrap();
    let footer = b
        .find(fantoccini::Locator::Css("footer"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        footer.contains("Privacy notice: Harbour View Surgery"),
        "{footer}"
    );
    crate::accessibility::assert_accessible(b, "the sign-in page").await;
    d.browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_practice_joins_a_project_sqlite() {
    run_on(Backend::Sqlite, a_practice_joins_a_project_in_the_browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_practice_joins_a_project_postgres() {
    run_on(Backend::Postgres, a_practice_joins_a_project_in_the_browser).await;
}
