//! Cluster assurance (issue 13): a member of staff reports a breach, the IG lead grades it
//! reportable, the clock shows, the notification is recorded, the incident is closed, the
//! DPO's lesson naming someone is refused and the clean one is published, and the quarterly
//! update carries it without personal data. Bad input (a grade outside the grid, a
//! notification before the incident) is refused with nothing saved; another organisation's
//! incident answers 404 and a role without the right 403, on pages and the API.

use std::sync::Arc;

use chrono::{Duration, Utc};
use steward_assurance::clock::utc_to_uk;

use crate::both_backends;
use crate::common::*;

const RECEPTION: &str = "reception@harbour.demo.steward.test";

/// Form fields of a UK local time `minutes_ago` minutes ago.
fn when(prefix: &str, minutes_ago: i64) -> Vec<(String, String)> {
    let t = utc_to_uk(Utc::now() - Duration::minutes(minutes_ago));
    vec![
        (format!("{prefix}_day"), t.format("%-d").to_string()),
        (format!("{prefix}_month"), t.format("%-m").to_string()),
        (format!("{prefix}_year"), t.format("%Y").to_string()),
        (format!("{prefix}_time"), t.format("%H:%M").to_string()),
    ]
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn post(c: &Client, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &f).await
}

async fn column(s: &TestServer, col: &str, id: &str) -> Option<String> {
    steward_db::query_scalar::<_, Option<String>>(&format!(
        "SELECT {col} FROM incidents WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap()
}

both_backends!(a_breach_from_report_to_the_quarterly_update, |s: Arc<
    TestServer,
>| async move {
    let staff = s.sign_in(RECEPTION).await;

    // Bad input: no title, found before it happened. The form comes back with the values.
    let mut fields = pairs(&[
        ("title", ""),
        ("category", "misdirected_post"),
        (
            "what_happened",
            "A letter with test results went to the previous tenant",
        ),
        ("people_affected", "One patient"),
        ("people_names", "Morwen Trethewey"),
        ("data_involved", "Name, address and blood test results"),
        ("how_many", "1"),
        ("containment", "The new tenant returned the letter unopened"),
    ]);
    fields.extend(when("occurred", 120));
    fields.extend(when("aware", 180));
    let res = post(&staff, "/incidents/report", &fields).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("There is a problem"), "{body}");
    assert!(body.contains("Enter a short title for the incident"));
    assert!(body.contains("must be the same as or after the time it happened"));
    assert!(body.contains("value=\"One patient\""), "values kept");
    let n: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM incidents")
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing saved");

    // Reported: staff may report but not read the log; they see their reference.
    fields.retain(|(k, _)| k != "title" && !k.starts_with("aware_"));
    fields.push((
        "title".into(),
        "Results letter sent to an old address".into(),
    ));
    fields.extend(when("aware", 60));
    let res = post(&staff, "/incidents/report", &fields).await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.starts_with("/incidents/report?reported=INC-"), "{to}");
    let (code, body) = staff.get_text(&to).await;
    assert_eq!(code, 200);
    assert!(
        body.contains("Your reference is <strong id=\"reference\">INC-"),
        "{body}"
    );
    let id: String = steward_db::query_scalar("SELECT id FROM incidents")
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    assert_eq!(staff.get(&format!("/incidents/{id}")).await.status(), 403);

    // The IG lead grades it. A grade outside the grid is refused and nothing is saved.
    let ig = s.sign_in(HARBOUR_IG).await;
    let res = post(
        &ig,
        &format!("/incidents/{id}/grade"),
        &pairs(&[("likelihood", "9"), ("severity", "3"), ("reasons", "")]),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Likelihood must be a grade from 1 to 5"),
        "{body}"
    );
    assert_eq!(column(&s, "status", &id).await.as_deref(), Some("reported"));
    let res = post(
        &ig,
        &format!("/incidents/{id}/grade"),
        &pairs(&[
            ("likelihood", "3"),
            ("severity", "3"),
            ("reasons", "Health information opened by a stranger"),
        ]),
    )
    .await;
    assert_eq!(res.status(), 303);
    let (code, body) = ig.get_text(&format!("/incidents/{id}")).await;
    assert_eq!(code, 200);
    assert!(body.contains("Yes: reportable to the ICO"), "{body}");
    assert!(
        body.contains("hours left to notify the ICO"),
        "the clock shows: {body}"
    );
    assert!(body.contains("UK GDPR Article 33(1)"), "the law is named");

    // A notification before the incident happened is refused, nothing saved.
    let mut notify = pairs(&[("ico_reference", "IC-900001-TEST"), ("late_reasons", "")]);
    notify.extend(when("notified", 600));
    let res = post(&ig, &format!("/incidents/{id}/notification"), &notify).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("The notification time must be after the time the incident happened"),
        "{body}"
    );
    assert_eq!(column(&s, "notified_at", &id).await, None);
    let mut notify = pairs(&[("ico_reference", "IC-900001-TEST"), ("late_reasons", "")]);
    notify.extend(when("notified", 5));
    let res = post(&ig, &format!("/incidents/{id}/notification"), &notify).await;
    assert_eq!(res.status(), 303);
    let (_, body) = ig.get_text(&format!("/incidents/{id}")).await;
    assert!(body.contains("IC-900001-TEST"));
    assert!(
        body.contains("The ICO was notified within 72 hours"),
        "{body}"
    );

    let res = post(
        &ig,
        &format!("/incidents/{id}/people"),
        &pairs(&[
            ("tell", "yes"),
            ("tell_reasons", "Told by phone the same day"),
            ("exception", ""),
        ]),
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = post(
        &ig,
        &format!("/incidents/{id}/close"),
        &pairs(&[
            ("root_cause", "The address on the record was out of date"),
            ("lesson", "Check the address with the patient at each visit"),
        ]),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(column(&s, "status", &id).await.as_deref(), Some("closed"));

    // The IG lead may not publish to the cluster; the DPO may, but not a lesson with a name.
    let lesson_path = format!("/incidents/{id}/lesson");
    let res = post(&ig, &lesson_path, &pairs(&[("published_lesson", "x")])).await;
    assert_eq!(res.status(), 403);
    let dpo = s.sign_in(DPO).await;
    let res = post(
        &dpo,
        &lesson_path,
        &pairs(&[(
            "published_lesson",
            "Mrs Trethewey's results went to her old address: check addresses at each visit.",
        )]),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("The lesson still holds"), "{body}");
    assert!(body.contains("Trethewey"), "shows what it found");
    assert_eq!(
        column(&s, "published_lesson", &id).await.as_deref(),
        Some("")
    );
    let clean =
        "Confirm the address with the patient at each visit before sending results by post.";
    let res = post(&dpo, &lesson_path, &pairs(&[("published_lesson", clean)])).await;
    assert_eq!(res.status(), 303);

    // Another organisation's IG lead: not found, on pages and the API; staff's token: 403.
    let castle = s.sign_in(CASTLE_IG).await;
    assert_eq!(castle.get(&format!("/incidents/{id}")).await.status(), 404);
    let castle_api = s.api(&s.api_token(CASTLE_IG).await);
    let (code, body) = castle_api.get(&format!("/incidents/{id}")).await;
    assert_eq!(code, 404, "{body}");
    let staff_api = s.api(&s.api_token(RECEPTION).await);
    let (code, _) = staff_api.get(&format!("/incidents/{id}")).await;
    assert_eq!(code, 403);
    let ig_api = s.api(&s.api_token(HARBOUR_IG).await);
    let (code, body) = ig_api.get(&format!("/incidents/{id}")).await;
    assert_eq!(code, 200);
    assert_eq!(body["reportable"], true);
    assert_eq!(body["clock"]["state"], "notified_in_time");
    // The API refuses a grade outside the grid with problem details, not a 500.
    let res = ig_api
        .req(reqwest::Method::POST, &format!("/incidents/{id}/grade"))
        .json(&serde_json::json!({"likelihood": "0", "severity": "2"}))
        .send()
        .await
        .unwrap();
    let (code, body) = json_of(res).await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "likelihood");

    // The quarterly update carries the lesson and none of the incident's personal data.
    let quarter = steward_assurance::incidents::quarter_of(Utc::now().date_naive());
    let dpo_api = s.api(&s.api_token(DPO).await);
    let res = dpo_api
        .req(reqwest::Method::POST, "/cluster-updates")
        .json(&serde_json::json!({ "quarter": quarter }))
        .send()
        .await
        .unwrap();
    let (code, update) = json_of(res).await;
    assert_eq!(code, 200, "{update}");
    let uid = update["id"].as_str().unwrap().to_string();
    let (code, page) = dpo.get_text(&format!("/cluster-updates/{uid}")).await;
    assert_eq!(code, 200);
    assert!(page.contains(clean), "{page}");
    assert!(!page.contains("Trethewey"), "no names in the update");
    assert!(
        page.contains("Post sent to the wrong person or address: 1"),
        "{page}"
    );
    let res = dpo.get(&format!("/cluster-updates/{uid}/update.pdf")).await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
});

both_backends!(the_demo_quarter_and_the_cluster_view, |s: Arc<
    TestServer,
>| async move {
    let today = Utc::now().date_naive();
    let update = steward_assurance::demo::seed_demo_assurance(&s.steward, today)
        .await
        .expect("the demo seeds");
    let text = update.text();
    for heading in [
        "Baseline compliance status",
        "What your DPO did this quarter",
        "What your DPO will do next",
        "Subject access requests",
        "Incidents by category",
        "Incident learning",
        "Information risk",
        "Upcoming deadlines",
    ] {
        assert!(text.contains(heading), "{heading} missing from:\n{text}");
    }
    assert!(
        text.contains("an ex-partner may not want their address known"),
        "{text}"
    );
    assert!(
        !text.contains("Caspar Venn") && !text.contains("Demelza"),
        "{text}"
    );
    assert!(
        text.contains(
            "3 incidents were reported across the cluster this quarter, 1 of them reportable"
        ),
        "{text}"
    );
    assert!(text.contains("1 above appetite"), "{text}");

    // The cluster view: the DPO sees every practice with its figures and links.
    let dpo = s.sign_in(DPO).await;
    let (code, body) = dpo.get_text("/assurance").await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("Harbour View Surgery") && body.contains("Castle Hill Medical Centre"));
    let castle = s.organisation("Y90002").await;
    assert!(body.contains(&format!(
        "/organisations/{castle}/incidents?status=open&amp;reportable=clock"
    )));
    let (code, body) = dpo
        .get_text(&format!(
            "/organisations/{castle}/incidents?status=open&reportable=clock"
        ))
        .await;
    assert_eq!(code, 200);
    assert!(
        body.contains("Envelope of test results came open"),
        "{body}"
    );
    // The risk above appetite was escalated to the SIRO with an action.
    let harbour = s.organisation("Y90001").await;
    let (code, body) = dpo
        .get_text(&format!(
            "/organisations/{harbour}/risks?above_appetite=yes"
        ))
        .await;
    assert_eq!(code, 200);
    assert!(body.contains("Shared logins"), "{body}");
    let escalated: i64 =
        steward_db::query_scalar("SELECT COUNT(*) FROM actions WHERE source_record_type = 'risk'")
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
    assert_eq!(escalated, 1);
    // A practice's staff cannot open the cluster view.
    let staff = s.sign_in(RECEPTION).await;
    assert_eq!(staff.get("/assurance").await.status(), 403);
});

// A risk raised from a DPIA's risk or an information asset goes on the register pre-filled
// and linked (not copied): the register's risk names its source, and the source's page lists
// the register's risks raised from it.
both_backends!(a_risk_is_raised_from_a_dpia_and_an_asset, |s: Arc<
    TestServer,
>| async move {
    seed_modules(&s).await;
    let harbour = s.organisation("Y90001").await;
    let (dpia, content): (String, String) = steward_db::query_as(
        "SELECT id, content FROM dpias WHERE organisation_id = $1 AND status = 'approved' LIMIT 1",
    )
    .bind(&harbour)
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    let content: serde_json::Value = serde_json::from_str(&content).unwrap();
    let dpia_risk = &content["risks"][0];
    let part = dpia_risk["id"].as_str().unwrap();
    let description = dpia_risk["description"].as_str().unwrap();
    let ig = s.sign_in(HARBOUR_IG).await;

    // The DPIA's page offers to put each of its risks on the register.
    let (_, page) = ig.get_text(&format!("/dpias/{dpia}")).await;
    let raise = format!("/risks/new?from=dpia&amp;id={dpia}&amp;part={part}");
    assert!(page.contains(&raise), "{page}");
    assert!(page.contains("No risk on the register is raised from this yet"));

    // The form starts from the DPIA's risk, and says where it came from.
    let (code, form) = ig
        .get_text(&format!("/risks/new?from=dpia&id={dpia}&part={part}"))
        .await;
    assert_eq!(code, 200);
    assert!(
        form.contains("This risk is raised from risk 1 of the DPIA"),
        "{form}"
    );
    let plain: String = description
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    assert!(plain.len() > 10 && form.contains(&plain), "{plain}: {form}");
    assert!(form.contains(&format!("value=\"{dpia}\"")));
    // An unknown part, a kind that cannot raise risks, another practice: nothing to fill.
    assert_eq!(
        ig.get(&format!("/risks/new?from=dpia&id={dpia}&part=nope"))
            .await
            .status(),
        404
    );
    let request: String = steward_db::query_scalar(
        "SELECT id FROM rights_requests WHERE organisation_id = $1 LIMIT 1",
    )
    .bind(&harbour)
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    assert_eq!(
        ig.get(&format!("/risks/new?from=rights_request&id={request}"))
            .await
            .status(),
        404
    );
    let castle = s.sign_in(CASTLE_IG).await;
    assert_eq!(
        castle
            .get(&format!("/risks/new?from=dpia&id={dpia}&part={part}"))
            .await
            .status(),
        404
    );

    // Saving it puts it on Harbour's register, linked back to the DPIA.
    let owner = s.user_id(HARBOUR_IG).await;
    let mut fields = pairs(&[
        ("title", description),
        ("cause", "Identified in the DPIA"),
        ("consequence", "Patients' details reach the wrong person"),
        ("owner_id", owner.as_str()),
        ("inherent_likelihood", "3"),
        ("inherent_consequence", "4"),
        ("treatment", "The DPIA's measures"),
        ("residual_likelihood", "2"),
        ("residual_consequence", "3"),
        ("source_record_type", "dpia"),
        ("source_record_id", dpia.as_str()),
    ]);
    let review = (Utc::now() + Duration::days(90)).date_naive();
    fields.extend(pairs(&[
        ("review_day", review.format("%-d").to_string().as_str()),
        ("review_month", review.format("%-m").to_string().as_str()),
        ("review_year", review.format("%Y").to_string().as_str()),
    ]));
    let res = post(&ig, "/risks/new", &fields).await;
    assert_eq!(res.status(), 303);
    let risk_page = location(&res);
    let (_, page) = ig.get_text(&risk_page).await;
    assert!(page.contains("Raised from"), "{page}");
    assert!(page.contains(&format!("href=\"/dpias/{dpia}\"")), "{page}");
    let risk_id = risk_page.trim_start_matches("/risks/");
    let (_, page) = ig.get_text(&format!("/dpias/{dpia}")).await;
    assert!(
        page.contains(&format!("href=\"/risks/{risk_id}\"")),
        "{page}"
    );
    assert_eq!(
        steward_db::query_scalar::<_, String>("SELECT organisation_id FROM risks WHERE id = $1")
            .bind(risk_id)
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap(),
        harbour
    );

    // An information asset: the button, and the form starts from its risk score.
    let (asset, likelihood): (String, i64) = steward_db::query_as(
        "SELECT id, risk_likelihood FROM information_assets WHERE organisation_id = $1 AND risk_likelihood IS NOT NULL LIMIT 1",
    )
    .bind(&harbour)
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    let (_, page) = ig
        .get_text(&format!("/registers/information-assets/{asset}"))
        .await;
    // (the link's "&" is written as an HTML entity)
    assert!(
        page.contains("/risks/new?from=information_asset&")
            && page.contains(&format!("id={asset}\"")),
        "{page}"
    );
    let (code, form) = ig
        .get_text(&format!("/risks/new?from=information_asset&id={asset}"))
        .await;
    assert_eq!(code, 200);
    assert!(
        form.contains("This risk is raised from the information asset"),
        "{form}"
    );
    assert!(
        form.contains(&format!("<option value=\"{likelihood}\" selected")),
        "{form}"
    );

    // A receptionist cannot add risks: no button, and the form is refused.
    let reception = s.sign_in(RECEPTION).await;
    let (_, page) = reception.get_text(&format!("/dpias/{dpia}")).await;
    assert!(!page.contains("Add to the risk register"));
    assert_eq!(
        reception
            .get(&format!("/risks/new?from=dpia&id={dpia}&part={part}"))
            .await
            .status(),
        403
    );
});
