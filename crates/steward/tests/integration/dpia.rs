//! DPIAs (issue 11), over real HTTP on both databases: a project is screened, a DPIA is started
//! from the screening and written through the pages, submitted, sent back by the DPO, fixed,
//! refused approval while a residual risk is high and the ICO has not been consulted (Art 36),
//! approved, frozen, and a new version started; the seed DPIAs' PDF and DOCX exports hold every
//! answer, risk and measure; the CNIL PIA tool's file imports and exports; bad input is refused
//! with nothing half-saved; and the command line imports and exports.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;
use steward_dpia::Content;

use crate::both_backends;
use crate::common::*;

const CNIL_EXAMPLE: &str = include_str!("../../../steward-dpia/tests/cnil-example.json");

async fn post(c: &Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    c.post_form(path, fields).await
}

async fn content_of(s: &TestServer, id: &str) -> Content {
    let text: String = steward_db::query_scalar("SELECT content FROM dpias WHERE id = $1")
        .bind(id)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn status_of(s: &TestServer, id: &str) -> String {
    steward_db::query_scalar("SELECT status FROM dpias WHERE id = $1")
        .bind(id)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap()
}

async fn count(s: &TestServer, sql: &str) -> i64 {
    steward_db::query_scalar(sql)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap()
}

/// Every answer of a trust screening: No, except the codes given.
fn trust_answers(yes: &[&str]) -> Vec<(String, String)> {
    let q = steward_dpia::Rules::embedded()
        .questionnaire("trust")
        .unwrap();
    let mut out = vec![];
    for x in &q.question {
        out.push((
            format!("answer_{}", x.code),
            if yes.contains(&x.code.as_str()) {
                "yes"
            } else {
                "no"
            }
            .to_string(),
        ));
        out.push((format!("comment_{}", x.code), String::new()));
    }
    out
}

async fn post_owned(c: &Client, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &f).await
}

both_backends!(a_dpia_from_screening_to_a_frozen_version, |s: Arc<
    TestServer,
>| async move {
    let ig = s.sign_in(HARBOUR_IG).await;

    // Screening: every answer No is recorded as no DPIA required, with why.
    let mut f = trust_answers(&[]);
    f.push(("questionnaire".into(), "trust".into()));
    f.push(("title".into(), "New waiting-room chairs".into()));
    let res = post_owned(&ig, "/dpias/screen", &f).await;
    assert_eq!(res.status(), 303);
    let (_, page) = ig.get_text(&location(&res)).await;
    assert!(page.contains("No DPIA is required"), "{page}");
    assert!(page.contains("All 17 answers are No."));
    // A question left unanswered is named, the values kept.
    let mut f = trust_answers(&["matching"]);
    f.retain(|(k, _)| k != "answer_genetic");
    f.push(("questionnaire".into(), "trust".into()));
    f.push(("title".into(), "Online group education".into()));
    let res = post_owned(&ig, "/dpias/screen", &f).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("Answer Yes or No: Will the project/system/device or process involve the collection or use of genetic data"), "{body}");
    assert!(body.contains("value=\"Online group education\""));
    f.push(("answer_genetic".into(), "no".into()));
    for (k, v) in f.iter_mut() {
        if k == "comment_matching" {
            *v = "Attendees are matched against the clinic list".into();
        }
    }
    let res = post_owned(&ig, "/dpias/screen", &f).await;
    assert_eq!(res.status(), 303);
    let screening = location(&res).rsplit('/').next().unwrap().to_string();
    let (_, page) = ig.get_text(&location(&res)).await;
    assert!(page.contains("A DPIA is required"));

    // A DPIA started from it, pre-filled with what the screening said.
    let res = post(
        &ig,
        "/dpias/new",
        &[
            ("title", "Online group education"),
            ("matrix", "5x5"),
            ("screening_id", &screening),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let url = location(&res);
    let id = url.rsplit('/').next().unwrap().to_string();
    let (_, page) = ig.get_text(&url).await;
    assert!(
        page.contains("Attendees are matched against the clinic list"),
        "the screening's comment is carried"
    );
    assert!(page.contains("Draft"));

    // A likelihood outside the matrix: refused, the form kept, nothing saved.
    let res = post(
        &ig,
        &format!("/dpias/{id}/risks/new"),
        &[
            ("description", "A patient joins the wrong group"),
            ("likelihood", "7"),
            ("severity", "2"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Likelihood must be one of the matrix"),
        "{body}"
    );
    assert!(body.contains("Rare (1), Unlikely (2), Possible (3), Likely (4), Almost certain (5)"));
    assert!(body.contains("A patient joins the wrong group"));
    assert!(
        content_of(&s, &id).await.risks.is_empty(),
        "nothing half-saved"
    );
    for (d, l, sev) in [
        ("A patient joins the wrong group", "3", "2"),
        ("Health details shared in the group chat", "5", "5"),
    ] {
        let res = post(
            &ig,
            &format!("/dpias/{id}/risks/new"),
            &[("description", d), ("likelihood", l), ("severity", sev)],
        )
        .await;
        assert_eq!(res.status(), 303, "risk {d}");
    }
    let c = content_of(&s, &id).await;
    assert_eq!(c.risks.len(), 2);

    // A Yes data item needs its purpose.
    let res = post(
        &ig,
        &format!("/dpias/{id}/data-items"),
        &[("used_name", "yes"), ("item_name", "")],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Name is answered Yes: give the purpose it is processed for"));
    assert!(!content_of(&s, &id).await.data_items.iter().any(|i| i.used));
    let res = post(
        &ig,
        &format!("/dpias/{id}/data-items"),
        &[
            ("used_name", "yes"),
            ("item_name", "To admit the patient from the lobby"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);

    // Not applicable only with a reason.
    let res = post(
        &ig,
        &format!("/dpias/{id}/sections/transfers"),
        &[("text", ""), ("not_applicable", "yes"), ("reason", "")],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Give the reason"));
    let res = post(
        &ig,
        &format!("/dpias/{id}/sections/transfers"),
        &[
            ("text", ""),
            ("not_applicable", "yes"),
            ("reason", "Everything stays in the UK"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = post(
        &ig,
        &format!("/dpias/{id}/sections/need"),
        &[
            ("text", "Group education sessions by video"),
            ("question_0", "Who attends?"),
            ("answer_0", "Patients invited by the practice nurse"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);

    // A data flow and who has access.
    let res = post(
        &ig,
        &format!("/dpias/{id}/data-flows/new"),
        &[("category", ""), ("whose", "Patients")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = post(
        &ig,
        &format!("/dpias/{id}/data-flows/new"),
        &[
            ("category", "Attendance list"),
            ("whose", "Patients"),
            ("system", "Video platform"),
            ("pid", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = post(
        &ig,
        &format!("/dpias/{id}/access-controls/new"),
        &[("who", "Practice nurses"), ("why", "To admit patients")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let c2 = content_of(&s, &id).await;
    assert_eq!((c2.data_flows.len(), c2.access_controls.len()), (1, 1));
    assert!(c2.data_flows[0].pid);

    // A measure against the first risk, approved.
    let r1 = c.risks[0].id.clone();
    let res = post(
        &ig,
        &format!("/dpias/{id}/measures/new"),
        &[
            (&format!("risk_{r1}"), "yes"),
            (
                "options",
                "Patients wait in a lobby and are admitted by the host",
            ),
            ("effect", "eliminated"),
            ("residual", "none"),
            ("approved", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);

    // Submitted: no more changes while it is with the reviewers.
    let res = post(&ig, &format!("/dpias/{id}/submit"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(status_of(&s, &id).await, "submitted");
    let res = post(
        &ig,
        &format!("/dpias/{id}/risks/new"),
        &[("description", "x"), ("likelihood", "1"), ("severity", "1")],
    )
    .await;
    assert_eq!(res.status(), 409);

    // The DPO advises and asks for changes.
    let dpo = s.sign_in(DPO).await;
    let res = post(
        &dpo,
        &format!("/dpias/{id}/advice"),
        &[("advice", "Reduce the chat risk before approval")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = post(
        &dpo,
        &format!("/dpias/{id}/decision"),
        &[("step", "request_changes"), ("note", "")],
    )
    .await;
    assert_eq!(res.status(), 422, "a note is needed");
    let res = post(
        &dpo,
        &format!("/dpias/{id}/decision"),
        &[
            ("step", "request_changes"),
            ("note", "Say how the chat is controlled"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(status_of(&s, &id).await, "changes_requested");

    // The author fixes it and submits again.
    let res = post(
        &ig,
        &format!("/dpias/{id}/sections/principle_6"),
        &[("text", "The chat is switched off for guests")],
    )
    .await;
    assert_eq!(res.status(), 303);
    post(&ig, &format!("/dpias/{id}/submit"), &[]).await;
    assert_eq!(status_of(&s, &id).await, "submitted");

    // Art 36: the second risk is extreme with no measure, and the ICO not consulted: refused.
    let res = post(
        &dpo,
        &format!("/dpias/{id}/decision"),
        &[("step", "approve"), ("note", "")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("record the prior consultation with the ICO (UK GDPR Article 36)"),
        "{body}"
    );
    assert_eq!(status_of(&s, &id).await, "submitted");
    assert_eq!(
        count(&s, "SELECT COUNT(*) FROM dpia_versions").await,
        0,
        "nothing frozen"
    );
    // Through the API too, the same answer.
    let api = s.api(&s.api_token(DPO).await);
    let (code, problem) = api
        .send(
            Method::POST,
            &format!("/dpias/{id}/sign-off"),
            &json!({"step": "approve"}),
        )
        .await;
    assert_eq!(code, 422, "{problem}");
    assert!(problem.to_string().contains("Article 36"));

    // Sent back; the consultation recorded with its date and outcome; approved.
    post(
        &dpo,
        &format!("/dpias/{id}/decision"),
        &[
            ("step", "request_changes"),
            ("note", "Consult the ICO first"),
        ],
    )
    .await;
    let res = post(
        &ig,
        &format!("/dpias/{id}/sign-off-record"),
        &[
            ("prior_consultation_date_day", "2"),
            ("prior_consultation_date_month", "11"),
            ("prior_consultation_date_year", "2026"),
            ("prior_consultation_outcome", ""),
            ("measures_approved_by", "Practice IG meeting"),
        ],
    )
    .await;
    assert_eq!(
        res.status(),
        303,
        "a date alone is saved; approval still needs the outcome"
    );
    post(&ig, &format!("/dpias/{id}/submit"), &[]).await;
    let res = post(
        &dpo,
        &format!("/dpias/{id}/decision"),
        &[("step", "approve")],
    )
    .await;
    assert_eq!(res.status(), 422, "no outcome yet");
    post(
        &dpo,
        &format!("/dpias/{id}/decision"),
        &[
            ("step", "request_changes"),
            ("note", "Record the ICO's answer"),
        ],
    )
    .await;
    post(
        &ig,
        &format!("/dpias/{id}/sign-off-record"),
        &[
            ("prior_consultation_date_day", "2"),
            ("prior_consultation_date_month", "11"),
            ("prior_consultation_date_year", "2026"),
            (
                "prior_consultation_outcome",
                "The ICO advised the processing may go ahead with the chat switched off",
            ),
            ("measures_approved_by", "Practice IG meeting"),
            ("next_review_date_day", "1"),
            ("next_review_date_month", "11"),
            ("next_review_date_year", "2027"),
        ],
    )
    .await;
    post(&ig, &format!("/dpias/{id}/submit"), &[]).await;
    let res = post(
        &dpo,
        &format!("/dpias/{id}/decision"),
        &[("step", "approve")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(status_of(&s, &id).await, "approved");

    // Frozen: version 1 with its date; no edits by page or API.
    let (_, page) = ig.get_text(&format!("/dpias/{id}")).await;
    let today = steward_core::time::long_date(chrono::Utc::now().date_naive());
    assert!(page.contains(&format!("Version 1, {today}")), "{page}");
    assert!(page.contains("approved and frozen"));
    assert_eq!(
        ig.get(&format!("/dpias/{id}/risks/new")).await.status(),
        409
    );
    let res = post(
        &ig,
        &format!("/dpias/{id}/sections/need"),
        &[("text", "changed")],
    )
    .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        content_of(&s, &id).await.section("need").unwrap().text,
        "Group education sessions by video"
    );
    let ig_api = s.api(&s.api_token(HARBOUR_IG).await);
    let (_, current) = ig_api.get(&format!("/dpias/{id}")).await;
    let (code, _) = ig_api
        .send(Method::PUT, &format!("/dpias/{id}"), &current["content"])
        .await;
    assert_eq!(code, 409);

    // The approved measure became an action, and the review date a reminder.
    let actions = count(&s, &format!("SELECT COUNT(*) FROM actions WHERE source_record_type = 'dpia' AND source_record_id = '{id}'")).await;
    assert_eq!(actions, 2);
    assert!(!content_of(&s, &id).await.measures[0].action_id.is_empty());

    // A change makes a new version; version 1 stays as approved and can be compared.
    let res = post(&ig, &format!("/dpias/{id}/new-version"), &[]).await;
    assert_eq!(res.status(), 303);
    let res = post(
        &ig,
        &format!("/dpias/{id}/sections/need"),
        &[("text", "Group education and review sessions by video")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, page) = ig.get_text(&format!("/dpias/{id}")).await;
    assert!(page.contains("Version 2 (draft)"));
    let (code, page) = ig.get_text(&format!("/dpias/{id}/compare?a=1")).await;
    assert_eq!(code, 200);
    assert!(
        page.contains("Group education sessions by video")
            && page.contains("Group education and review sessions by video"),
        "{page}"
    );
    let (code, versions) = ig_api.get(&format!("/dpias/{id}/versions")).await;
    assert_eq!(code, 200);
    assert_eq!(versions["items"][0]["label"], format!("Version 1, {today}"));

    // Another organisation's DPIA is not found; the auditor reads but may not sign off.
    let castle = s.sign_in(CASTLE_IG).await;
    assert_eq!(castle.get(&format!("/dpias/{id}")).await.status(), 404);
    let auditor = s.sign_in(HARBOUR_AUDITOR).await;
    assert_eq!(auditor.get(&format!("/dpias/{id}")).await.status(), 200);
    assert_eq!(
        post(
            &auditor,
            &format!("/dpias/{id}/decision"),
            &[("step", "approve")]
        )
        .await
        .status(),
        403
    );
});

/// Text of an export with all white space removed (line wrapping differs by format).
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Removes "Page 3 of 12" and the running footer from squeezed text.
fn without_page_furniture(text: &str, footer: &str) -> String {
    let text = text.replace(footer, "");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Page") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let n = after.chars().take_while(|c| c.is_ascii_digit()).count();
        let of = &after[n..];
        if n > 0 && of.starts_with("of") {
            let m = of[2..].chars().take_while(|c| c.is_ascii_digit()).count();
            if m > 0 {
                rest = &of[2 + m..];
                continue;
            }
        }
        out.push_str("Page");
        rest = after;
    }
    out.push_str(rest);
    out
}

fn text_of(name: &str, bytes: Vec<u8>) -> String {
    let doc = steward_documents::read_document(
        &steward_documents::InputFile::new(name, bytes),
        &steward_documents::Limits::default(),
    )
    .unwrap();
    doc.pages
        .iter()
        .flat_map(|p| p.blocks.iter().map(|b| b.text.clone()))
        .collect::<Vec<_>>()
        .join(" ")
}

both_backends!(
    the_seed_dpias_export_every_answer_risk_and_measure,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        let ig = s.sign_in(HARBOUR_IG).await;
        let api = s.api(&s.api_token(HARBOUR_IG).await);
        let harbour = s.organisation("Y90001").await;
        let (code, list) = api.get(&format!("/organisations/{harbour}/dpias")).await;
        assert_eq!(code, 200);
        let (dcr, teams) = steward_dpia::demo::seed_contents();
        for seed in [&dcr, &teams] {
            let item = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["title"] == seed.title.as_str())
                .unwrap_or_else(|| panic!("{} is in the demo", seed.title));
            let id = item["id"].as_str().unwrap();
            let expected = steward_dpia::export::expected_texts(seed);
            // The running footer and page numbers land inside paragraphs that cross a page.
            let footer = squeeze(&format!(
                "Harbour View Surgery · {} · {}",
                item["reference"].as_str().unwrap(),
                item["version_label"].as_str().unwrap()
            ));
            assert!(expected.len() > 10);
            for (format, name) in [("pdf", "dpia.pdf"), ("docx", "dpia.docx")] {
                let res = ig.get(&format!("/dpias/{id}/export/{format}")).await;
                assert_eq!(res.status(), 200);
                let text = without_page_furniture(
                    &squeeze(&text_of(name, res.bytes().await.unwrap().to_vec())),
                    &footer,
                );
                for e in &expected {
                    let want = squeeze(e);
                    if !text.contains(&want) {
                        let head: String = want.chars().take(25).collect();
                        let near = text
                            .find(&head)
                            .map(|i| {
                                text[i..]
                                    .chars()
                                    .take(want.chars().count() + 80)
                                    .collect::<String>()
                            })
                            .unwrap_or_default();
                        panic!("{format} of {} lacks: {want}\n\nnear: {near}", seed.title);
                    }
                }
                for r in &seed.risks {
                    assert!(text.contains(&squeeze(&format!("Risk {}", r.number))));
                }
            }
            // Steward's JSON holds the whole DPIA; the CNIL file is the tool's shape.
            let res = api
                .req(Method::GET, &format!("/dpias/{id}/export?format=json"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let v: serde_json::Value = res.json().await.unwrap();
            let back: Content = serde_json::from_value(v["content"].clone()).unwrap();
            assert_eq!(back.risks.len(), seed.risks.len());
            assert_eq!(back.measures.len(), seed.measures.len());
            let res = api
                .req(Method::GET, &format!("/dpias/{id}/export?format=cnil"))
                .send()
                .await
                .unwrap();
            let v: serde_json::Value = res.json().await.unwrap();
            for k in ["answers", "measures", "evaluations", "comments"] {
                assert!(v[k].is_array(), "{k}");
            }
            assert_eq!(v["pia"]["name"], seed.title.as_str());
        }
        // The approved seed (the video consultations) turned its approved measures into actions.
        let (_, page) = ig.get_text("/dpias").await;
        assert!(page.contains("MS Teams Patient Group Video Consultations"));
        assert!(page.contains("2 risks, 2 measures"));
    }
);

both_backends!(
    cnil_files_import_and_export,
    |s: Arc<TestServer>| async move {
        let api = s.api(&s.api_token(HARBOUR_IG).await);
        let harbour = s.organisation("Y90001").await;
        let example: serde_json::Value = serde_json::from_str(CNIL_EXAMPLE).unwrap();
        let (code, d) = api
            .send(
                Method::POST,
                &format!("/organisations/{harbour}/dpias/import"),
                &example,
            )
            .await;
        assert_eq!(code, 200, "{d}");
        assert_eq!(d["matrix"], "cnil");
        assert_eq!(d["content"]["risks"].as_array().unwrap().len(), 2);
        assert_eq!(
            d["content"]["kept"]["pia"]["structure_name"],
            "PIA standard"
        );
        let id = d["id"].as_str().unwrap();
        let res = api
            .req(Method::GET, &format!("/dpias/{id}/export?format=cnil"))
            .send()
            .await
            .unwrap();
        let out: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            out["pia"]["structure_name"], "PIA standard",
            "kept, not dropped"
        );
        assert_eq!(out["pia"]["name"], example["pia"]["name"]);
        assert!(out["answers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["reference_to"] == 325 && a["data"]["gauge"] == 3));

        // Malformed: refused with the reason, nothing saved.
        let before = count(&s, "SELECT COUNT(*) FROM dpias").await;
        for (bad, words) in [
            (json!({"pia": {"name": "x"}, "answers": []}), "\"measures\""),
            (
                json!({"pia": {"name": "x"}, "answers": [{"reference_to": 325, "data": {"gauge": 3}}, {"reference_to": 326, "data": {"gauge": 9}}], "measures": [], "evaluations": [], "comments": []}),
                "",
            ),
            (json!({"hello": 1}), "neither a CNIL PIA file"),
            (
                json!({"pia": {"name": "x"}, "answers": [{"reference_to": "one", "data": {}}], "measures": [], "evaluations": [], "comments": []}),
                "not a number",
            ),
        ] {
            let (code, problem) = api
                .send(
                    Method::POST,
                    &format!("/organisations/{harbour}/dpias/import"),
                    &bad,
                )
                .await;
            if words.is_empty() {
                // A gauge outside the scale is not rated: kept as it came, not turned into a risk.
                assert_eq!(code, 200, "{problem}");
                assert!(problem["content"]["risks"].as_array().unwrap().is_empty());
                continue;
            }
            assert_eq!(code, 422, "{problem}");
            let message = problem["errors"][0]["message"].as_str().unwrap_or("");
            assert!(message.contains(words), "{problem}");
        }
        assert_eq!(count(&s, "SELECT COUNT(*) FROM dpias").await, before + 1);
    }
);

both_backends!(bad_input_is_refused_with_nothing_half_saved, |s: Arc<
    TestServer,
>| async move {
    let api = s.api(&s.api_token(HARBOUR_IG).await);
    let harbour = s.organisation("Y90001").await;
    let (code, d) = api
        .send(
            Method::POST,
            &format!("/organisations/{harbour}/dpias"),
            &json!({"title": "Text reminders", "matrix": "ico"}),
        )
        .await;
    assert_eq!(code, 200, "{d}");
    let id = d["id"].as_str().unwrap().to_string();
    let mut content = d["content"].clone();
    content["risks"] =
        json!([{"description": "Reminder sent to an old number", "likelihood": 4, "severity": 2}]);
    let (code, problem) = api
        .send(Method::PUT, &format!("/dpias/{id}"), &content)
        .await;
    assert_eq!(code, 422);
    assert!(
        problem.to_string().contains(
            "Likelihood must be one of the matrix's levels: Remote (1), Possible (2), Probable (3)"
        ),
        "{problem}"
    );
    content["risks"] = json!([]);
    content["data_items"][0]["used"] = json!(true);
    let (code, problem) = api
        .send(Method::PUT, &format!("/dpias/{id}"), &content)
        .await;
    assert_eq!(code, 422);
    assert!(
        problem.to_string().contains("Name is answered Yes"),
        "{problem}"
    );
    let stored = content_of(&s, &id).await;
    assert!(
        stored.risks.is_empty() && !stored.data_items[0].used,
        "nothing half-saved"
    );
    // Unknown step, unknown matrix: 422, not 500.
    let (code, _) = api
        .send(
            Method::POST,
            &format!("/dpias/{id}/steps"),
            &json!({"step": "publish"}),
        )
        .await;
    assert_eq!(code, 422);
    let (code, _) = api
        .send(
            Method::POST,
            &format!("/organisations/{harbour}/dpias"),
            &json!({"title": "x", "matrix": "7x7"}),
        )
        .await;
    assert_eq!(code, 422);
});

both_backends!(the_command_line_imports_and_exports, |s: Arc<
    TestServer,
>| async move {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pia.json");
    std::fs::write(&file, CNIL_EXAMPLE).unwrap();
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
    let out = run(vec![
        "dpia".into(),
        "import".into(),
        file.display().to_string(),
        "--organisation".into(),
        "Y90001".into(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let id = stdout.lines().last().unwrap().trim().to_string();
    assert_eq!(status_of(&s, &id).await, "draft");
    let pdf = dir.path().join("out.pdf");
    let out = run(vec![
        "dpia".into(),
        "export".into(),
        id.clone(),
        "--format".into(),
        "pdf".into(),
        "-o".into(),
        pdf.display().to_string(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = text_of("out.pdf", std::fs::read(&pdf).unwrap());
    assert!(squeeze(&text).contains(&squeeze(
        "Online appointment booking for Harbour View Surgery"
    )));
    let out = run(vec![
        "dpia".into(),
        "export".into(),
        id,
        "--format".into(),
        "cnil".into(),
    ])
    .await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pia"]["structure_name"], "PIA standard");
    // A malformed file: refused, a clear message, nothing saved.
    std::fs::write(&file, "{\"pia\": {}}").unwrap();
    let before = count(&s, "SELECT COUNT(*) FROM dpias").await;
    let out = run(vec![
        "dpia".into(),
        "import".into(),
        file.display().to_string(),
        "--organisation".into(),
        "Y90001".into(),
    ])
    .await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no name"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&s, "SELECT COUNT(*) FROM dpias").await, before);
});

// ---------------------------------------------------------------- cluster DPIAs

/// The demo's cluster DPIA: the one the DPO service holds.
async fn cluster_dpia_of(s: &TestServer) -> String {
    let dpo_service = s.organisation("Y90000").await;
    steward_db::query_scalar("SELECT id FROM dpias WHERE organisation_id = $1")
        .bind(&dpo_service)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap()
}

both_backends!(
    a_cluster_dpia_is_adopted_by_each_practice_with_its_own_sign_off,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        let harbour = s.organisation("Y90001").await;
        let cluster_dpia = cluster_dpia_of(&s).await;
        let offer: String = steward_db::query_scalar(
            "SELECT id FROM dpia_adoptions WHERE dpia_id = $1 AND organisation_id = $2",
        )
        .bind(&cluster_dpia)
        .bind(&harbour)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();

        // The practice sees the offer on its DPIA list and reads the approved version; it cannot
        // read the DPO service's working copy itself.
        let ig = s.sign_in(HARBOUR_IG).await;
        let (_, list) = ig.get_text("/dpias").await;
        assert!(list.contains("Cluster DPIAs"), "{list}");
        assert!(list.contains("Appointment reminders by text message across the cluster"));
        let (code, page) = ig.get_text(&format!("/dpia-adoptions/{offer}")).await;
        assert_eq!(code, 200);
        assert!(page.contains("Waiting for the practice"), "{page}");
        assert!(page.contains("reveals that the patient has an appointment"));
        assert_eq!(
            ig.get(&format!("/dpias/{cluster_dpia}")).await.status(),
            404
        );
        let pdf = ig.get(&format!("/dpia-adoptions/{offer}/export/pdf")).await;
        assert_eq!(pdf.status(), 200);
        let text = text_of("cluster.pdf", pdf.bytes().await.unwrap().to_vec());
        assert!(
            text.contains("Appointment reminders by text message"),
            "{text}"
        );

        // Bad input: adopting needs who signed it off; declining needs why. Nothing changes.
        let res = post(
            &ig,
            &format!("/dpia-adoptions/{offer}"),
            &[("decision", "adopt"), ("signed_off_by", " ")],
        )
        .await;
        assert_eq!(res.status(), 422);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("Say who signed the DPIA off for the practice"));
        let res = post(
            &ig,
            &format!("/dpia-adoptions/{offer}"),
            &[("decision", "decline"), ("note", "")],
        )
        .await;
        assert_eq!(res.status(), 422);
        let res = post(
            &ig,
            &format!("/dpia-adoptions/{offer}"),
            &[("signed_off_by", "Someone")],
        )
        .await;
        assert_eq!(res.status(), 422, "no decision chosen");
        let status = |s: Arc<TestServer>, id: String| async move {
            steward_db::query_scalar::<_, String>("SELECT status FROM dpia_adoptions WHERE id = $1")
                .bind(id)
                .fetch_one(&s.steward.db.pool)
                .await
                .unwrap()
        };
        assert_eq!(status(s.clone(), offer.clone()).await, "offered");

        // A receptionist reads it but cannot sign it off; another practice cannot see it.
        let reception = s.sign_in("reception@harbour.demo.steward.test").await;
        assert_eq!(
            reception
                .get(&format!("/dpia-adoptions/{offer}"))
                .await
                .status(),
            200
        );
        assert_eq!(
            post(
                &reception,
                &format!("/dpia-adoptions/{offer}"),
                &[("decision", "adopt"), ("signed_off_by", "Me")]
            )
            .await
            .status(),
            403
        );
        let castle = s.sign_in(CASTLE_IG).await;
        assert_eq!(
            castle
                .get(&format!("/dpia-adoptions/{offer}"))
                .await
                .status(),
            404
        );

        // The IG lead adopts it with the SIRO's sign-off; a second decision is refused.
        let res = post(
            &ig,
            &format!("/dpia-adoptions/{offer}"),
            &[
                ("decision", "adopt"),
                ("signed_off_by", "Dr Sam Harbour, SIRO"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(status(s.clone(), offer.clone()).await, "adopted");
        let (_, page) = ig.get_text(&format!("/dpia-adoptions/{offer}")).await;
        assert!(page.contains("Dr Sam Harbour, SIRO"));
        let res = post(
            &ig,
            &format!("/dpia-adoptions/{offer}"),
            &[("decision", "decline"), ("note", "Changed our mind")],
        )
        .await;
        assert_eq!(res.status(), 409);

        // The DPO sees each practice's decision on the cluster DPIA; offering nothing is refused.
        let dpo = s.sign_in(DPO).await;
        let (_, page) = dpo.get_text(&format!("/dpias/{cluster_dpia}")).await;
        assert!(page.contains("Harbour View Surgery"), "{page}");
        assert!(page.contains("Dr Sam Harbour, SIRO"));
        assert!(
            page.contains("Dr Priya Castle, SIRO"),
            "the demo's Castle Hill adoption"
        );
        let res = post(&dpo, &format!("/dpias/{cluster_dpia}/offers"), &[]).await;
        assert!(
            matches!(res.status().as_u16(), 409 | 422),
            "{}",
            res.status()
        );
        // A practice's own DPIA is not a cluster DPIA: it cannot be offered.
        let harbour_dpia: String = steward_db::query_scalar(
            "SELECT id FROM dpias WHERE organisation_id = $1 AND status = 'approved' LIMIT 1",
        )
        .bind(&harbour)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        let castle_id = s.organisation("Y90002").await;
        let res = post(
            &dpo,
            &format!("/dpias/{harbour_dpia}/offers"),
            &[("organisations", castle_id.as_str())],
        )
        .await;
        assert_eq!(res.status(), 409);
        assert_eq!(
            count(
                &s,
                &format!("SELECT COUNT(*) FROM dpia_adoptions WHERE dpia_id = '{harbour_dpia}'")
            )
            .await,
            0
        );
        // The trail has the decision.
        assert!(
        count(&s, &format!("SELECT COUNT(*) FROM audit_trail WHERE record_type = 'dpia_adoption' AND record_id = '{offer}' AND event = 'record.change'")).await >= 1
    );
    }
);

both_backends!(
    a_cluster_dpia_is_offered_and_adopted_through_the_api,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        let harbour = s.organisation("Y90001").await;
        let castle = s.organisation("Y90002").await;
        let cluster_dpia = cluster_dpia_of(&s).await;
        let dpo = s.api(&s.api_token(DPO).await);
        let ig = s.api(&s.api_token(HARBOUR_IG).await);
        let castle_ig = s.api(&s.api_token(CASTLE_IG).await);

        // The DPO sees every practice's offer and decision (the demo's Castle Hill adopted it).
        let (status, offers) = dpo.get(&format!("/dpias/{cluster_dpia}/offers")).await;
        assert_eq!(status, 200, "{offers}");
        let items = offers["items"].as_array().unwrap();
        assert!(offers["total"].as_i64().unwrap() >= 2, "{offers}");
        let of = |org: &str| {
            items
                .iter()
                .find(|a| a["organisation_id"] == org)
                .unwrap_or_else(|| panic!("an offer to {org}: {offers}"))
                .clone()
        };
        assert_eq!(of(&castle)["status"], "adopted");
        assert_eq!(of(&castle)["signed_off_by"], "Dr Priya Castle, SIRO");
        let offer = of(&harbour)["id"].as_str().unwrap().to_string();
        assert_eq!(of(&harbour)["status"], "offered");

        // The practice lists what it was offered and reads the approved version, not the DPO
        // service's working copy; another practice reads neither.
        let (status, mine) = ig
            .get(&format!("/organisations/{harbour}/dpia-adoptions"))
            .await;
        assert_eq!(status, 200, "{mine}");
        assert!(mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == offer.as_str()));
        let (status, read) = ig.get(&format!("/dpia-adoptions/{offer}")).await;
        assert_eq!(status, 200, "{read}");
        assert_eq!(read["adoption"]["status"], "offered");
        assert!(read["assessment"]
            .to_string()
            .contains("reveals that the patient has an appointment"));
        assert_eq!(ig.get(&format!("/dpias/{cluster_dpia}")).await.0, 404);
        assert_eq!(
            ig.get(&format!("/dpias/{cluster_dpia}/offers")).await.0,
            404
        );
        assert_eq!(
            castle_ig.get(&format!("/dpia-adoptions/{offer}")).await.0,
            404
        );
        let (status, _) = castle_ig
            .get(&format!("/organisations/{harbour}/dpia-adoptions"))
            .await;
        assert!(matches!(status, 403 | 404), "{status}");

        // Bad decisions are 422 problems naming the field, and change nothing.
        let decide = format!("/dpia-adoptions/{offer}/decision");
        let (status, problem) = ig
            .send(
                Method::POST,
                &decide,
                &json!({"decision": "adopt", "signed_off_by": " "}),
            )
            .await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem.to_string().contains("signed_off_by"), "{problem}");
        let (status, _) = ig
            .send(Method::POST, &decide, &json!({"decision": "maybe"}))
            .await;
        assert_eq!(status, 422);
        let (status, _) = ig
            .send(Method::POST, &decide, &json!({"decision": "decline"}))
            .await;
        assert_eq!(status, 422, "declining needs the reason");
        assert_eq!(
            ig.get(&format!("/dpia-adoptions/{offer}")).await.1["adoption"]["status"],
            "offered"
        );

        // The practice adopts it with its SIRO's sign-off; a second decision is a 409.
        let (status, adopted) = ig
            .send(
                Method::POST,
                &decide,
                &json!({"decision": "adopt", "signed_off_by": "Dr Sam Harbour, SIRO"}),
            )
            .await;
        assert_eq!(status, 200, "{adopted}");
        assert_eq!(adopted["status"], "adopted");
        assert_eq!(adopted["signed_off_by"], "Dr Sam Harbour, SIRO");
        let (status, _) = ig
            .send(
                Method::POST,
                &decide,
                &json!({"decision": "decline", "note": "Changed our mind"}),
            )
            .await;
        assert_eq!(status, 409);

        // Offering: at least one practice (422); only the DPO service's approved DPIAs (409);
        // a practice cannot offer.
        let offers_path = format!("/dpias/{cluster_dpia}/offers");
        let (status, _) = dpo
            .send(Method::POST, &offers_path, &json!({"organisations": []}))
            .await;
        assert_eq!(status, 422);
        let (status, _) = ig
            .send(
                Method::POST,
                &offers_path,
                &json!({"organisations": [castle.as_str()]}),
            )
            .await;
        assert!(matches!(status, 403 | 404), "{status}");
        let harbour_dpia: String = steward_db::query_scalar(
            "SELECT id FROM dpias WHERE organisation_id = $1 AND status = 'approved' LIMIT 1",
        )
        .bind(&harbour)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        let (status, _) = dpo
            .send(
                Method::POST,
                &format!("/dpias/{harbour_dpia}/offers"),
                &json!({"organisations": [castle.as_str()]}),
            )
            .await;
        assert_eq!(status, 409);
        // Offering the same version again leaves the decisions as they are.
        let (status, again) = dpo
            .send(
                Method::POST,
                &offers_path,
                &json!({"organisations": [harbour.as_str(), castle.as_str()]}),
            )
            .await;
        assert_eq!(status, 200, "{again}");
        let again = again["items"].as_array().unwrap();
        assert!(again
            .iter()
            .any(|a| a["id"] == offer.as_str() && a["status"] == "adopted"));
    }
);

// ---------------------------------------------------------------- in the browser

mod in_the_browser {
    use std::sync::Arc;

    use fantoccini::{Client as Browser, Locator};

    use crate::accessibility::assert_accessible;
    use crate::browser::{browser, sign_in, wait_for_path};
    use crate::common::*;

    async fn find(b: &Browser, css: &str) -> fantoccini::elements::Element {
        b.find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }
    async fn fill(b: &Browser, css: &str, value: &str) {
        let f = find(b, css).await;
        f.clear().await.unwrap();
        f.send_keys(value).await.unwrap();
    }
    async fn click(b: &Browser, css: &str) {
        find(b, css).await.click().await.unwrap();
    }
    async fn click_link(b: &Browser, text: &str) {
        b.find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("link {text:?}: {e}"))
            .click()
            .await
            .unwrap();
    }
    async fn submit(b: &Browser, form_action_ends: &str) {
        click(
            b,
            &format!("form[action$='{form_action_ends}'] button[type=submit]"),
        )
        .await;
    }
    /// The main text once it meets `ready`. After a post that comes back to the same path,
    /// the page read first may be the one before (or go stale while it is read), so this
    /// polls for up to 30 seconds and then returns what it last read, for the assertion.
    async fn page_text_when(b: &Browser, ready: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        for _ in 0..300 {
            if let Ok(main) = b.find(Locator::Css("main")).await {
                if let Ok(text) = main.text().await {
                    if ready(&text) {
                        return text;
                    }
                    last = text;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        last
    }
    async fn page_text_with(b: &Browser, needle: &str) -> String {
        page_text_when(b, |t| t.contains(needle)).await
    }
    async fn sign_out(s: &TestServer, b: &Browser) {
        b.delete_all_cookies().await.unwrap();
        b.goto(&s.url("/sign-in")).await.unwrap();
    }
    async fn add_risk(b: &Browser, description: &str, likelihood: &str, severity: &str) {
        click_link(b, "Add a risk").await;
        wait_for_path(b, |p| p.ends_with("/risks/new")).await;
        fill(b, "#description", description).await;
        find(b, "#likelihood")
            .await
            .select_by_value(likelihood)
            .await
            .unwrap();
        find(b, "#severity")
            .await
            .select_by_value(severity)
            .await
            .unwrap();
        submit(b, "/risks/new").await;
        wait_for_path(b, |p| !p.ends_with("/risks/new")).await;
    }

    /// Issue 11's acceptance, in Chromium: the IG lead screens a new project, writes a DPIA
    /// with two risks, changes one and submits it; the DPO asks for changes; the IG lead
    /// fixes them and submits again; the DPO approves; the frozen version offers no change
    /// and refuses one. Every DPIA page on the way passes axe-core with no serious or
    /// critical violation.
    async fn a_dpia_from_screening_to_approval(s: Arc<TestServer>) {
        let d = browser().await;
        let b = &d.browser;
        sign_in(&s, b, HARBOUR_IG).await;

        b.goto(&s.url("/dpias")).await.unwrap();
        assert_accessible(b, "the DPIA list").await;
        click_link(b, "Screen a new project").await;
        wait_for_path(b, |p| p == "/dpias/screen").await;
        assert_accessible(b, "the choice of screening questions").await;
        click(b, "form[action='/dpias/screen'] button[type=submit]").await;
        wait_for_path(b, |p| p == "/dpias/screen").await;
        fill(b, "#title", "Text reminders for flu clinics").await;
        b.execute(
            "document.querySelectorAll('input[type=radio][value=no]').forEach(e => e.click())",
            vec![],
        )
        .await
        .unwrap();
        click(b, "#answer_matching-yes").await;
        assert_accessible(b, "the screening questions").await;
        submit(b, "/dpias/screen").await;
        wait_for_path(b, |p| p.starts_with("/dpia-screenings/")).await;
        assert!(page_text_with(b, "A DPIA is required")
            .await
            .contains("A DPIA is required"));
        assert_accessible(b, "the screening's outcome").await;
        click(b, "form[action='/dpias/new'] button[type=submit]").await;
        wait_for_path(b, |p| p == "/dpias/new").await;
        assert_accessible(b, "the new DPIA form").await;
        b.execute(
            "document.querySelector('input[name=matrix][value=\"5x5\"]').click()",
            vec![],
        )
        .await
        .unwrap();
        submit(b, "/dpias/new").await;
        let path = wait_for_path(b, |p| p.starts_with("/dpias/") && p != "/dpias/new").await;
        let id = path.rsplit('/').next().unwrap().to_string();
        assert!(page_text_with(b, "Draft").await.contains("Draft"));

        // Two risks; the form keeps what was typed when the likelihood is missing.
        click_link(b, "Add a risk").await;
        wait_for_path(b, |p| p.ends_with("/risks/new")).await;
        fill(b, "#description", "A reminder reaches an old number").await;
        submit(b, "/risks/new").await;
        wait_for_path(b, |p| p.ends_with("/risks/new")).await;
        assert!(find(b, ".nhsuk-error-summary")
            .await
            .text()
            .await
            .unwrap()
            .contains("Likelihood"));
        assert_eq!(
            find(b, "#description")
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("A reminder reaches an old number")
        );
        assert_accessible(b, "the risk form with its errors").await;
        b.goto(&s.url(&format!("/dpias/{id}"))).await.unwrap();
        add_risk(b, "A reminder reaches an old number", "2", "2").await;
        add_risk(b, "The clinic list is sent to the wrong practice", "3", "2").await;
        let text = page_text_when(b, |t| t.contains("2 risks") || t.contains("two risks")).await;
        assert!(
            text.contains("2 risks") || text.contains("two risks"),
            "{text}"
        );

        // Change risk 2 on its own page.
        click(
            b,
            "#risks tbody tr:nth-child(2) td:last-child a:first-child",
        )
        .await;
        let p = wait_for_path(b, |p| p.contains("/risks/") && !p.ends_with("/new")).await;
        assert!(!p.ends_with("/delete"));
        assert_accessible(b, "the change risk form").await;
        assert_eq!(
            find(b, "#description")
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("The clinic list is sent to the wrong practice")
        );
        fill(
            b,
            "#description",
            "The clinic list is e-mailed to the wrong practice",
        )
        .await;
        click(b, "form button[type=submit]").await;
        wait_for_path(b, |p| p == format!("/dpias/{id}")).await;
        assert!(page_text_with(b, "e-mailed to the wrong practice")
            .await
            .contains("e-mailed to the wrong practice"));

        // A third risk, deleted after a page that asks first.
        add_risk(b, "A risk written by mistake", "1", "1").await;
        click(b, "#risks tbody tr:nth-child(3) a[href$='/delete']").await;
        wait_for_path(b, |p| p.ends_with("/delete")).await;
        assert!(find(b, "#confirm-what")
            .await
            .text()
            .await
            .unwrap()
            .contains("A risk written by mistake"));
        assert_accessible(b, "the page asking before a risk is deleted").await;
        click(b, "#confirm").await;
        wait_for_path(b, |p| p == format!("/dpias/{id}")).await;
        let text = page_text_when(b, |t| !t.contains("A risk written by mistake")).await;
        assert!(!text.contains("A risk written by mistake"), "{text}");
        assert!(
            text.contains("2 risks") || text.contains("two risks"),
            "{text}"
        );
        assert_accessible(b, "the DPIA with two risks").await;

        click(b, &format!("form[action='/dpias/{id}/submit'] button")).await;
        wait_for_path(b, |p| p == format!("/dpias/{id}")).await;
        assert!(page_text_with(b, "Submitted").await.contains("Submitted"));
        sign_out(&s, b).await;

        // The DPO asks for changes.
        sign_in(&s, b, DPO).await;
        b.goto(&s.url(&format!("/dpias/{id}"))).await.unwrap();
        assert_accessible(b, "the DPIA as the DPO sees it").await;
        click(b, "#step-request_changes").await;
        fill(b, "#note", "Say how numbers are kept up to date").await;
        submit(b, "/decision").await;
        wait_for_path(b, |p| p == format!("/dpias/{id}")).await;
        assert!(page_text_with(b, "Changes requested")
            .await
            .contains("Changes requested"));
        sign_out(&s, b).await;

        // The IG lead fixes it and submits again.
        sign_in(&s, b, HARBOUR_IG).await;
        b.goto(&s.url(&format!("/dpias/{id}/sections/need")))
            .await
            .unwrap();
        assert_accessible(b, "a section form").await;
        fill(
            b,
            "#text",
            "Numbers are checked with the patient at each appointment",
        )
        .await;
        click(b, "form button[type=submit]").await;
        wait_for_path(b, |p| p == format!("/dpias/{id}")).await;
        click(b, &format!("form[action='/dpias/{id}/submit'] button")).await;
        wait_for_path(b, |p| p == format!("/dpias/{id}")).await;
        sign_out(&s, b).await;

        // The DPO approves; the version is frozen.
        sign_in(&s, b, DPO).await;
        b.goto(&s.url(&format!("/dpias/{id}"))).await.unwrap();
        click(b, "#step-approve").await;
        submit(b, "/decision").await;
        wait_for_path(b, |p| p == format!("/dpias/{id}")).await;
        let text = page_text_with(b, "Approved").await;
        assert!(text.contains("Approved"), "{text}");
        sign_out(&s, b).await;
        sign_in(&s, b, HARBOUR_IG).await;
        b.goto(&s.url(&format!("/dpias/{id}"))).await.unwrap();
        let today = steward_core::time::long_date(chrono::Utc::now().date_naive());
        let version = format!("Version 1, {today}");
        let text = page_text_with(b, &version).await;
        assert!(text.contains(&version), "{text}");
        assert!(
            b.find(Locator::LinkText("Add a risk")).await.is_err(),
            "no change offered on a frozen version"
        );
        assert_accessible(b, "the approved DPIA").await;
        b.goto(&s.url(&format!("/dpias/{id}/risks/new")))
            .await
            .unwrap();
        assert!(page_text_with(b, "cannot be changed")
            .await
            .contains("cannot be changed"));
        d.browser.close().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn browser_a_dpia_from_screening_to_approval_sqlite() {
        run_on(Backend::Sqlite, a_dpia_from_screening_to_approval).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn browser_a_dpia_from_screening_to_approval_postgres() {
        run_on(Backend::Postgres, a_dpia_from_screening_to_approval).await;
    }
}
