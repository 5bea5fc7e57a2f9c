//! Rights requests (issue 4): a subject access request from logging to closure through the
//! pages, with the redaction review producing a bundle whose text lacks every redacted string;
//! other organisations cannot reach a request by guessing its id (pages and API); bad input
//! keeps the values typed; views and decisions go in the audit trail.

use std::sync::Arc;

use reqwest::multipart::{Form, Part};
use steward_documents::{read_document, InputFile, Limits};
use steward_rights::demo::{seed_demo_requests, DEMO_RECORD};

use crate::both_backends;
use crate::common::*;

const GP: &str = "gp@harbour.demo.steward.test";

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn date_fields(prefix: &str, d: chrono::NaiveDate) -> Vec<(String, String)> {
    vec![
        (format!("{prefix}_day"), d.format("%-d").to_string()),
        (format!("{prefix}_month"), d.format("%-m").to_string()),
        (format!("{prefix}_year"), d.format("%Y").to_string()),
    ]
}

async fn post(c: &Client, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &f).await
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every text of a PDF, through steward-documents' reader (pdf-extract).
pub fn pdf_text(bytes: &[u8]) -> String {
    let doc = read_document(
        &InputFile::new("bundle.pdf", bytes.to_vec()),
        &Limits::default(),
    )
    .expect("the bundle reads back");
    doc.pages
        .iter()
        .flat_map(|p| p.blocks.iter().map(|b| b.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The ids and marked texts of the proposals on the review page.
fn proposals_on(body: &str) -> Vec<(String, String)> {
    body.split("data-proposal=\"")
        .skip(1)
        .map(|s| {
            let seq = s.split('"').next().unwrap().to_string();
            let text = s
                .split("<mark>")
                .nth(1)
                .unwrap()
                .split("</mark>")
                .next()
                .unwrap()
                .to_string();
            (seq, text)
        })
        .collect()
}

async fn harbour_request(s: &TestServer, reference: &str) -> String {
    steward_db::query_scalar("SELECT id FROM rights_requests WHERE reference = $1")
        .bind(reference)
        .fetch_one(&s.steward.db.pool)
        .await
        .expect("demo request exists")
}

both_backends!(subject_access_request_from_logging_to_closure, |s: Arc<
    TestServer,
>| async move {
    let ig = s.sign_in(HARBOUR_IG).await;
    let ig_id = s.user_id(HARBOUR_IG).await;
    let received = today() - chrono::Duration::days(5);

    // Bad input: the page comes back with the messages and what was typed.
    let mut fields = pairs(&[
        ("request_type", "access"),
        ("channel", "letter"),
        ("requester_kind", "data_subject"),
        ("subject_forenames", "Morwen"),
        ("subject_surname", ""),
        ("subject_nhs_number", "1234567890"),
        ("subject_address", "7 Net Loft Lane, Penmarrow"),
        ("subject_postcode", "PM3 5NL"),
        ("owner_id", &ig_id),
        ("dob_day", "31"),
        ("dob_month", "2"),
        ("dob_year", "1980"),
    ]);
    fields.extend(date_fields("received", received));
    let res = post(&ig, "/requests/new", &fields).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("There is a problem"), "{body}");
    assert!(
        body.contains("Enter the patient&#39;s last name")
            || body.contains("Enter the patient's last name"),
        "{body}"
    );
    assert!(body.contains("Date of birth must be a real date"));
    assert!(body.contains("NHS number must be 10 digits with a valid check digit"));
    assert!(body.contains("value=\"Morwen\""), "first names kept");
    assert!(
        body.contains("value=\"7 Net Loft Lane, Penmarrow\""),
        "address kept"
    );

    // Logged: the page shows the clock, with a linked action due on the due date.
    for (k, v) in [
        ("subject_surname", "Penrose"),
        ("dob_day", "14"),
        ("subject_nhs_number", "9434765919"),
    ] {
        fields.retain(|(x, _)| x != k);
        fields.push((k.into(), v.into()));
    }
    let res = post(&ig, "/requests/new", &fields).await;
    assert_eq!(res.status(), 303);
    let url = location(&res);
    let id = url.trim_start_matches("/requests/").to_string();
    let (status, page) = ig.get_text(&url).await;
    assert_eq!(status, 200);
    assert!(page.contains("SAR-"), "reference shown");
    assert!(page.contains("The clock started on"));
    let due: String = steward_db::query_scalar("SELECT due_on FROM rights_requests WHERE id = $1")
        .bind(&id)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    let action_due: String = steward_db::query_scalar("SELECT due_date FROM actions WHERE source_record_type = 'rights_request' AND source_record_id = $1")
        .bind(&id)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    assert_eq!(due, action_due, "the linked action carries the due date");

    // Identity verified today: the clock restarts from today.
    let mut f = pairs(&[("identity_evidence", "Passport seen at reception")]);
    f.extend(date_fields("identity", today()));
    let res = post(&ig, &format!("/requests/{id}/start-events"), &f).await;
    assert_eq!(res.status(), 303);
    let (_, page) = ig.get_text(&url).await;
    assert!(
        page.contains("the day identity was verified"),
        "start reason shown"
    );
    // A start event in the future is refused beside its field, the value kept.
    let mut f = pairs(&[("identity_evidence", "Passport")]);
    f.extend(date_fields("identity", today() + chrono::Duration::days(3)));
    let res = post(&ig, &format!("/requests/{id}/start-events"), &f).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("must be today or in the past"));

    // Clarification pauses the clock; its receipt restarts it.
    let mut f = pairs(&[("question", "Which years do you need?")]);
    f.extend(date_fields("asked", today()));
    assert_eq!(
        post(&ig, &format!("/requests/{id}/clarification"), &f)
            .await
            .status(),
        422,
        "not from a request still 'received'"
    );
    assert_eq!(
        post(
            &ig,
            &format!("/requests/{id}/status"),
            &pairs(&[("status", "in_progress")])
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        post(&ig, &format!("/requests/{id}/clarification"), &f)
            .await
            .status(),
        303
    );
    let (_, page) = ig.get_text(&url).await;
    assert!(page.contains("Clock paused"));
    let f = date_fields("clarified", today());
    assert_eq!(
        post(&ig, &format!("/requests/{id}/clarification/received"), &f)
            .await
            .status(),
        303
    );
    let (_, page) = ig.get_text(&url).await;
    assert!(!page.contains("Clock paused"));

    // Documents, redaction run, review.
    let form = Form::new().part(
        "file",
        Part::bytes(
            DEMO_RECORD
                .replace("Eleanor Pascoe", "Morwen Penrose")
                .into_bytes(),
        )
        .file_name("record.txt")
        .mime_str("text/plain")
        .unwrap(),
    );
    let res = ig
        .post_multipart(&format!("/requests/{id}/documents"), form)
        .await;
    assert_eq!(res.status(), 303);
    let bad = Form::new().part(
        "file",
        Part::bytes(b"\x00\x01\x02binary".to_vec())
            .file_name("x.exe")
            .mime_str("application/octet-stream")
            .unwrap(),
    );
    let res = ig
        .post_multipart(&format!("/requests/{id}/documents"), bad)
        .await;
    assert_eq!(res.status(), 422, "unknown formats are refused");
    let res = ig
        .post_form(&format!("/requests/{id}/redaction/run"), &[])
        .await;
    assert_eq!(location(&res), format!("/requests/{id}/review"));
    let (status, review) = ig.get_text(&format!("/requests/{id}/review")).await;
    assert_eq!(status, 200);
    let proposals = proposals_on(&review);
    let texts: Vec<&str> = proposals.iter().map(|(_, t)| t.as_str()).collect();
    for expected in [
        "Jean Polglaze",
        "PM3 7QX",
        "07700 900461",
        "kerensa.vingoe@example.com",
    ] {
        assert!(texts.contains(&expected), "{expected} proposed: {texts:?}");
    }
    assert!(
        !texts.iter().any(|t| t.contains("Morwen Penrose")),
        "the subject is kept"
    );
    // Disclose the hospital number (the reviewer judges it the patient's own), redact the rest.
    let (keep_seq, kept) = proposals
        .iter()
        .find(|(_, t)| t.starts_with("RX"))
        .cloned()
        .expect("hospital number proposed");
    let res = ig
        .post_form(
            &format!("/requests/{id}/review/{keep_seq}"),
            &[
                ("verdict", "reject"),
                ("reason_code", "third_party"),
                ("note", "The patient's own hospital number"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = ig
        .post_form(
            &format!("/requests/{id}/review/{keep_seq}"),
            &[("verdict", "maybe"), ("reason_code", "nonsense")],
        )
        .await;
    assert_eq!(res.status(), 422, "a bad decision is refused");
    let res = ig
        .post_form(
            &format!("/requests/{id}/review/undecided"),
            &[("verdict", "accept"), ("reason_code", "third_party")],
        )
        .await;
    assert_eq!(res.status(), 200);
    // The engine misses an address: the reviewer adds it by hand.
    let res = ig
        .post_form(
            &format!("/requests/{id}/review/manual"),
            &[
                ("manual_text", "9 Ropewalk, Fowey"),
                ("manual_reason", "third_party"),
                ("manual_note", "ex-partner's address"),
            ],
        )
        .await;
    let body = res.text().await.unwrap();
    assert!(body.contains("Redacted in 1 place"), "{body}");
    let res = ig
        .post_form(
            &format!("/requests/{id}/review/manual"),
            &[
                ("manual_text", "not in the record"),
                ("manual_reason", "third_party"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("value=\"not in the record\""));

    // A late document and a new run: the review so far carries over (the disclosed hospital
    // number stays disclosed, the manual redaction stays), the new passages await review.
    let late = Form::new().part(
        "file",
        Part::bytes(
            b"Letter: Morwen Penrose was driven to clinic by her friend Loveday Trezise.".to_vec(),
        )
        .file_name("letter.txt")
        .mime_str("text/plain")
        .unwrap(),
    );
    assert_eq!(
        ig.post_multipart(&format!("/requests/{id}/documents"), late)
            .await
            .status(),
        303
    );
    let res = ig
        .post_form(&format!("/requests/{id}/redaction/run"), &[])
        .await;
    assert_eq!(location(&res), format!("/requests/{id}/review"));
    let (_, review) = ig.get_text(&format!("/requests/{id}/review")).await;
    assert!(
        review.contains("Loveday Trezise"),
        "the new document's proposal is listed"
    );
    assert!(
        review.contains(" 1 rejected"),
        "the disclosed proposal carried over"
    );
    assert!(
        review.contains("“9 Ropewalk, Fowey”"),
        "the manual redaction carried over"
    );

    // The bundle and schedule: the redacted strings are gone from the bundle's text.
    assert_eq!(
        ig.post_form(&format!("/requests/{id}/bundle"), &[("style", "box")])
            .await
            .status(),
        303
    );
    let (_, page) = ig.get_text(&url).await;
    let link = |name: &str| -> String {
        let at = page.find(name).unwrap_or_else(|| panic!("{name} listed"));
        let start = page[..at].rfind("href=\"").unwrap() + 6;
        page[start..].split('"').next().unwrap().to_string()
    };
    let bundle = ig.get(&link("-bundle.pdf")).await;
    assert_eq!(bundle.status(), 200);
    assert_eq!(bundle.headers()["content-type"], "application/pdf");
    let bytes = bundle.bytes().await.unwrap();
    let text = pdf_text(&bytes);
    for gone in [
        "Jean Polglaze",
        "14 Chapel Row",
        "PM3 7QX",
        "Kerensa Vingoe",
        "07700 900461",
        "kerensa.vingoe@example.com",
        "Michael Tonkin",
        "9 Ropewalk",
        "PL23 1AB",
    ] {
        assert!(!text.contains(gone), "{gone} must not be in the bundle");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(gone),
            "{gone} must not be in the PDF bytes"
        );
    }
    assert!(
        text.contains("Morwen Penrose"),
        "the patient's own name stays"
    );
    assert!(text.contains(&kept), "the disclosed proposal stays");
    let schedule = ig
        .get(&link("-redaction-schedule.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(schedule.contains("rejected"), "{schedule}");
    assert!(schedule.contains("manual"), "{schedule}");

    // Closure is refused while steps are outstanding, with the values kept.
    let mut close = pairs(&[
        ("outcome", "answered"),
        ("disclosed", "Copy of the record"),
        ("withheld_1_description", "Other people's details"),
        ("withheld_1_exemption", "third_party_information"),
        ("withheld_1_reason", "No consent"),
    ]);
    close.extend(date_fields("closed", today()));
    let res = post(&ig, &format!("/requests/{id}/close"), &close).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("Checklist step not done"), "{body}");
    assert!(body.contains("Other people&#39;s details") || body.contains("Other people's details"));

    // The clinician's steps need a clinician: the IG lead is refused.
    assert_eq!(
        ig.post_form(
            &format!("/requests/{id}/steps/clinician_serious_harm_test"),
            &[]
        )
        .await
        .status(),
        403
    );
    for step in [
        "log_request",
        "confirm_right_patient",
        "verify_identity",
        "acknowledge_request",
        "gather_records",
        "redact_third_parties",
        "final_check_before_sending",
        "send_response",
    ] {
        assert_eq!(
            ig.post_form(&format!("/requests/{id}/steps/{step}"), &[("note", "done")])
                .await
                .status(),
            303,
            "{step}"
        );
    }
    let gp = s.sign_in(GP).await;
    for step in [
        "clinician_serious_harm_test",
        "clinician_other_providers",
        "clinician_prohibited_information",
        "clinician_approve_release",
    ] {
        assert_eq!(
            gp.post_form(&format!("/requests/{id}/steps/{step}"), &[])
                .await
                .status(),
            303,
            "{step}"
        );
    }
    let mut review = pairs(&[
        ("serious_harm_professional", "Dr Tobias Quennell"),
        ("serious_harm_likely", "no"),
        ("other_providers_policy", "filter_and_signpost"),
        ("other_providers", ""),
    ]);
    review.extend(date_fields("harm", today()));
    let res = post(&gp, &format!("/requests/{id}/clinician-review"), &review).await;
    assert_eq!(res.status(), 422, "filtering needs the providers named");
    review.retain(|(k, _)| k != "other_providers");
    review.push(("other_providers".into(), "Penmarrow Hospital".into()));
    assert_eq!(
        post(&gp, &format!("/requests/{id}/clinician-review"), &review)
            .await
            .status(),
        303
    );
    assert_eq!(
        post(
            &ig,
            &format!("/requests/{id}/status"),
            &pairs(&[("status", "ready_to_send")])
        )
        .await
        .status(),
        303
    );
    let res = post(&ig, &format!("/requests/{id}/close"), &close).await;
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let (_, page) = ig.get_text(&url).await;
    assert!(page.contains("Completed"));
    assert!(page.contains("Information about other people"));
    let letter = ig.get(&format!("/requests/{id}/letter.pdf")).await;
    assert_eq!(letter.status(), 200);
    let letter_text = pdf_text(&letter.bytes().await.unwrap());
    assert!(
        letter_text.contains("Penmarrow Hospital"),
        "the letter says where to ask: {letter_text}"
    );
    let docx = ig.get(&format!("/requests/{id}/letter.docx")).await;
    assert_eq!(docx.status(), 200);
    assert!(docx.bytes().await.unwrap().starts_with(b"PK"));
    let status: String = steward_db::query_scalar("SELECT status FROM actions WHERE source_record_type = 'rights_request' AND source_record_id = $1")
        .bind(&id)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "done", "closing the request closes its action");
    // History: one version per change.
    let versions: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM record_versions WHERE record_type = 'rights_request' AND record_id = $1")
        .bind(&id)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    assert!(versions > 10, "{versions} versions");
});

both_backends!(other_organisations_cannot_reach_requests, |s: Arc<
    TestServer,
>| async move {
    seed_demo_requests(&s.steward, today())
        .await
        .expect("demo requests");
    let id = harbour_request(&s, "SAR-2026-0001").await;
    let harbour = s.organisation("Y90001").await;
    let castle = s.sign_in(CASTLE_IG).await;
    for path in [
        format!("/requests/{id}"),
        format!("/requests/{id}/edit"),
        format!("/requests/{id}/review"),
        format!("/requests/{id}/letter.pdf"),
    ] {
        assert_eq!(castle.get(&path).await.status(), 404, "{path}");
    }
    for path in [
        "status",
        "close",
        "clarification",
        "steps/log_request",
        "review/0",
        "review/manual",
        "bundle",
        "redaction/run",
        "comments",
    ] {
        let res = castle
            .post_form(
                &format!("/requests/{id}/{path}"),
                &[
                    ("status", "withdrawn"),
                    ("verdict", "reject"),
                    ("reason_code", "third_party"),
                    ("body", "x"),
                ],
            )
            .await;
        assert_eq!(res.status(), 404, "POST {path}");
    }
    let upload = Form::new().part(
        "file",
        Part::bytes(b"hello".to_vec())
            .file_name("a.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    assert_eq!(
        castle
            .post_multipart(&format!("/requests/{id}/documents"), upload)
            .await
            .status(),
        404
    );
    let (_, list) = castle.get_text("/requests").await;
    assert!(
        !list.contains("SAR-2026-0001"),
        "Castle Hill's list holds none of Harbour View's requests"
    );

    let token = s.api_token(CASTLE_IG).await;
    let api = s.api(&token);
    let (status, body) = api.get(&format!("/requests/{id}")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["status"], 404);
    assert_eq!(
        api.get(&format!("/organisations/{harbour}/requests"))
            .await
            .0,
        404
    );
    assert_eq!(api.get(&format!("/requests/{id}/review")).await.0, 404);
    assert_eq!(
        api.send(
            reqwest::Method::POST,
            &format!("/requests/{id}/status"),
            &serde_json::json!({"status": "withdrawn"})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        api.send(
            reqwest::Method::PUT,
            &format!("/requests/{id}"),
            &serde_json::json!({"request_type": "access"})
        )
        .await
        .0,
        404
    );

    // The auditor of Harbour View reads but cannot change.
    let auditor = s.sign_in(HARBOUR_AUDITOR).await;
    assert_eq!(auditor.get(&format!("/requests/{id}")).await.status(), 200);
    assert_eq!(
        auditor
            .post_form(
                &format!("/requests/{id}/status"),
                &[("status", "withdrawn")]
            )
            .await
            .status(),
        403
    );
    let still: String =
        steward_db::query_scalar("SELECT status FROM rights_requests WHERE id = $1")
            .bind(&id)
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
    assert_eq!(still, "in_progress");
});

both_backends!(views_and_decisions_are_in_the_trail, |s: Arc<
    TestServer,
>| async move {
    seed_demo_requests(&s.steward, today())
        .await
        .expect("demo requests");
    let id = harbour_request(&s, "SAR-2026-0001").await;
    let ig = s.sign_in(HARBOUR_IG).await;
    assert_eq!(ig.get(&format!("/requests/{id}")).await.status(), 200);
    let (_, review) = ig.get_text(&format!("/requests/{id}/review")).await;
    let (seq, _) = proposals_on(&review)
        .into_iter()
        .next()
        .expect("a proposal");
    assert_eq!(
        ig.post_form(
            &format!("/requests/{id}/review/{seq}"),
            &[("verdict", "accept"), ("reason_code", "third_party")]
        )
        .await
        .status(),
        303
    );
    let count = |event: &'static str| {
        let pool = s.steward.db.pool.clone();
        let id = id.clone();
        async move {
            steward_db::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_trail WHERE event = $1 AND record_type = 'rights_request' AND record_id = $2 AND user_email = $3")
                .bind(event)
                .bind(id)
                .bind(HARBOUR_IG)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert!(
        count("record.view").await >= 1,
        "the request view is trailed"
    );
    assert_eq!(
        count("redaction.review_view").await,
        1,
        "the review view is trailed"
    );
    assert_eq!(
        count("redaction.decision").await,
        1,
        "the decision is trailed"
    );
    // The paused and overdue demo requests show on the dashboard and in Overdue actions.
    let (_, dash) = ig.get_text("/").await;
    assert!(dash.contains("1 overdue"), "{dash}");
    assert!(dash.contains("1 paused for clarification"));
    let overdue = harbour_request(&s, "SAR-2026-0003").await;
    let (_, owner_actions) = s.sign_in(GP).await.get_text("/actions?view=overdue").await;
    assert!(
        owner_actions.contains("Respond to subject access request SAR-2026-0003"),
        "overdue request in Overdue actions"
    );
    let (_, page) = ig.get_text(&format!("/requests/{overdue}")).await;
    assert!(page.contains("Overdue"));
    // Same surname and address as another request's subject: warned.
    let (_, page) = ig.get_text(&format!("/requests/{id}")).await;
    assert!(page.contains("Possible mix-up of patients"));
});

both_backends!(
    api_requests_and_problem_details,
    |s: Arc<TestServer>| async move {
        let harbour = s.organisation("Y90001").await;
        let owner = s.user_id(HARBOUR_IG).await;
        let api = s.api(&s.api_token(HARBOUR_IG).await);
        let path = format!("/organisations/{harbour}/requests");
        // Field errors as problem details.
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                &path,
                &serde_json::json!({"request_type": "access", "channel": "fax"}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"channel")
                && fields.contains(&"subject_surname")
                && fields.contains(&"received_on"),
            "{fields:?}"
        );
        // Malformed JSON and wrong types: 4xx, never 500.
        let res = api
            .req(reqwest::Method::POST, &path)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let (status, _) = api
            .send(
                reqwest::Method::POST,
                &path,
                &serde_json::json!({"twenty_eight_days": "yes please"}),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(api.get(&format!("{path}?status=sideways")).await.0, 422);
        assert_eq!(api.get(&format!("{path}?page=lots")).await.0, 400);
        // Created, read back, moved on.
        let (status, r) = api
        .send(reqwest::Method::POST, &path, &serde_json::json!({
            "request_type": "erasure", "channel": "email", "requester_kind": "data_subject",
            "subject_forenames": "Demelza", "subject_surname": "Hocking", "what": "My old mobile number",
            "received_on": chrono::Utc::now().date_naive().to_string(), "owner_id": owner,
        }))
        .await;
        assert_eq!(status, 201, "{r}");
        let id = r["id"].as_str().unwrap().to_string();
        assert!(r["reference"].as_str().unwrap().starts_with("ERAS-"));
        let (status, got) = api.get(&format!("/requests/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(got["due_on"], r["due_on"]);
        let (status, _) = api
            .send(
                reqwest::Method::POST,
                &format!("/requests/{id}/status"),
                &serde_json::json!({"status": "completed"}),
            )
            .await;
        assert_eq!(status, 422, "closing goes through /close");
        let (status, moved) = api
            .send(
                reqwest::Method::POST,
                &format!("/requests/{id}/status"),
                &serde_json::json!({"status": "in_progress"}),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(moved["status"], "in_progress");
        let (status, _) = api.send(reqwest::Method::POST, &format!("/requests/{id}/extension"), &serde_json::json!({"months": "3", "ground": "complex", "reasons": "", "requester_told_on": "2026-13-01"})).await;
        assert_eq!(status, 422);
        assert_eq!(
            api.get(&format!("/requests/{id}/letter")).await.0,
            409,
            "no letter before closure"
        );
        assert_eq!(
            api.get(&format!("/requests/{id}/review")).await.0,
            409,
            "no run yet: the request exists, so not 404"
        );
        assert_eq!(api.get("/requests/not-an-id").await.0, 404);
        // A rectification cannot close until each recipient is told, or the reason recorded.
        let (status, rect) = api
        .send(
            reqwest::Method::POST,
            &path,
            &serde_json::json!({
                "request_type": "rectification", "channel": "verbal", "requester_kind": "data_subject",
                "subject_forenames": "Demelza", "subject_surname": "Hocking", "what": "Wrong date of birth",
                "recipients": "Penmarrow Hospital", "received_on": chrono::Utc::now().date_naive().to_string(),
                "owner_id": owner,
            }),
        )
        .await;
        assert_eq!(status, 201, "{rect}");
        let rid = rect["id"].as_str().unwrap().to_string();
        let close = serde_json::json!({"outcome": "answered", "action_taken": "Corrected the date of birth"});
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                &format!("/requests/{rid}/close"),
                &close,
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            body.to_string()
                .contains("Penmarrow Hospital has not been told"),
            "{body}"
        );
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                &format!("/requests/{rid}/recipients"),
                &serde_json::json!({"recipient": "Penmarrow Hospital"}),
            )
            .await;
        assert_eq!(status, 422, "a date or a reason is needed: {body}");
        let (status, body) = api
        .send(
            reqwest::Method::POST,
            &format!("/requests/{rid}/recipients"),
            &serde_json::json!({"recipient": "Penmarrow Hospital", "notified_on": chrono::Utc::now().date_naive().to_string()}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["recipient_states"][0]["notified_on"].is_string());
        let (_, body) = api
            .send(
                reqwest::Method::POST,
                &format!("/requests/{rid}/close"),
                &close,
            )
            .await;
        assert!(!body.to_string().contains("has not been told"), "{body}");
        let (_, doc) = api.get("/openapi.json").await;
        assert!(doc["paths"]
            .get("/api/v1/requests/{id}/review/{seq}")
            .is_some());
    }
);

async fn decisions(s: &TestServer) -> Vec<(i64, String)> {
    let rows = steward_db::query("SELECT proposal_seq, verdict FROM redaction_decisions WHERE proposal_seq IS NOT NULL ORDER BY at")
        .fetch_all(&s.steward.db.pool)
        .await
        .unwrap();
    use steward_db::Row;
    rows.iter()
        .map(|r| {
            (
                r.try_get("proposal_seq").unwrap(),
                r.try_get("verdict").unwrap(),
            )
        })
        .collect()
}

async fn wait_for_decisions(s: &TestServer, n: usize) -> Vec<(i64, String)> {
    for _ in 0..100 {
        let d = decisions(s).await;
        if d.len() >= n {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    decisions(s).await
}

/// The reviewer works from the keyboard: j moves to a proposal, r discloses it, a redacts the
/// next; after each decision the page comes back with the next proposal in focus.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewer_decides_from_the_keyboard() {
    run_on(Backend::Sqlite, |s: Arc<TestServer>| async move {
        seed_demo_requests(&s.steward, today())
            .await
            .expect("demo requests");
        let id = harbour_request(&s, "SAR-2026-0001").await;
        let d = crate::browser::browser().await;
        let b = &d.browser;
        crate::browser::sign_in(&s, b, HARBOUR_IG).await;
        b.goto(&s.url(&format!("/requests/{id}/review")))
            .await
            .unwrap();
        let body = b.find(fantoccini::Locator::Css("body")).await.unwrap();
        body.send_keys("j").await.unwrap();
        let active = b.active_element().await.unwrap().attr("id").await.unwrap();
        assert_eq!(
            active.as_deref(),
            Some("p0"),
            "j focuses the first proposal"
        );
        b.active_element()
            .await
            .unwrap()
            .send_keys("r")
            .await
            .unwrap();
        assert_eq!(
            wait_for_decisions(&s, 1).await,
            vec![(0, "reject".to_string())]
        );
        // Back on the page at the next proposal, which has the focus. The page is reloading,
        // so an element read while it does may be stale: read again until it settles.
        let mut active = None;
        for _ in 0..100 {
            if b.current_url().await.unwrap().fragment() == Some("p1") {
                if let Ok(e) = b.active_element().await {
                    active = e.attr("id").await.ok().flatten();
                    if active.as_deref() == Some("p1") {
                        break;
                    }
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(active.as_deref(), Some("p1"));
        b.active_element()
            .await
            .unwrap()
            .send_keys("a")
            .await
            .unwrap();
        assert_eq!(
            wait_for_decisions(&s, 2).await[1],
            (1, "accept".to_string())
        );
        d.browser.close().await.unwrap();
    })
    .await;
}

// rights-and-deadlines.md: the 28-day period is "a per-organisation setting (off by
// default)"; it applies to requests logged after it is chosen.
both_backends!(organisation_chooses_the_28_day_period, |s: Arc<
    TestServer,
>| async move {
    use steward_rights::{BankHolidays, Clock, ClockSettings, Period};
    let harbour = s.organisation("Y90001").await;
    let owner = s.user_id(HARBOUR_IG).await;
    let api = s.api(&s.api_token(HARBOUR_IG).await);
    let settings = format!("/organisations/{harbour}/rights-settings");
    assert_eq!(
        api.get(&settings).await,
        (200, serde_json::json!({"twenty_eight_days": false}))
    );
    let received = chrono::NaiveDate::from_ymd_opt(2026, 1, 30).unwrap();
    let log = |surname: &'static str| {
        let (api, path) = (&api, format!("/organisations/{harbour}/requests"));
        let owner = owner.clone();
        async move {
            let (status, r) = api
                .send(reqwest::Method::POST, &path, &serde_json::json!({
                    "request_type": "access", "channel": "letter", "requester_kind": "data_subject",
                    "subject_forenames": "Tamsin", "subject_surname": surname,
                    "received_on": received.to_string(), "owner_id": owner,
                }))
                .await;
            assert_eq!(status, 201, "{r}");
            r
        }
    };
    let due = |period| {
        Clock::new(
            received,
            ClockSettings {
                period,
                ..Default::default()
            },
        )
        .due_date(&BankHolidays::embedded())
        .to_string()
    };
    let before = log("Penrose").await;
    assert_eq!(before["twenty_eight_days"], false);
    assert_eq!(before["due_on"], due(Period::CalendarMonth));

    // Only the DPO or IG lead of the organisation may change it.
    let gp = s.api(&s.api_token("gp@harbour.demo.steward.test").await);
    let on = serde_json::json!({"twenty_eight_days": true});
    assert_eq!(gp.send(reqwest::Method::PUT, &settings, &on).await.0, 403);
    let castle = s.api(&s.api_token(CASTLE_IG).await);
    assert_eq!(
        castle.send(reqwest::Method::PUT, &settings, &on).await.0,
        404
    );
    assert_eq!(castle.get(&settings).await.0, 404);
    let (status, _) = api
        .send(
            reqwest::Method::PUT,
            &settings,
            &serde_json::json!({"twenty_eight_days": "yes please"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(api.get(&settings).await.1["twenty_eight_days"], false);

    // The IG lead chooses 28 days on the settings page.
    let c = s.sign_in(HARBOUR_IG).await;
    let (status, page) = c.get_text("/requests/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("Response period for new requests"), "{page}");
    let res = c.post_form("/requests/settings", &[("period", "")]).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("nhsuk-error-summary")
            && page.contains("Select the response period for new requests"),
        "{page}"
    );
    let res = c
        .post_form("/requests/settings", &[("period", "twenty_eight_days")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/requests/settings?saved=yes");
    assert_eq!(api.get(&settings).await.1["twenty_eight_days"], true);
    let changes: i64 = steward_db::query_scalar(
        "SELECT COUNT(*) FROM audit_trail WHERE record_type = 'rights_settings' AND detail = 'response period: one calendar month -> 28 days'",
    )
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    assert_eq!(changes, 1);

    // New requests take 28 days; the one logged before keeps its calendar month.
    let after = log("Trevail").await;
    assert_eq!(after["twenty_eight_days"], true);
    assert_eq!(after["due_on"], due(Period::TwentyEightDays));
    assert_ne!(due(Period::TwentyEightDays), due(Period::CalendarMonth));
    let id = before["id"].as_str().unwrap();
    let (_, again) = api.get(&format!("/requests/{id}")).await;
    assert_eq!(again["due_on"], due(Period::CalendarMonth));
});
