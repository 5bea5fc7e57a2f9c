//! Use what Steward knows (issue 15): the organisation's letterhead (address, telephone,
//! e-mail) and its staff list are set through the pages and the API; a bad staff list is
//! refused whole, every bad line named, nothing written; and a rights request's redaction run
//! keeps the letterhead and the staff (shown as kept, in plain words, in the review and the
//! schedule) while it still redacts a third party and a relative who shares a staff member's
//! surname.

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::*;
use crate::words::bad_words;

const GP: &str = "gp@harbour.demo.steward.test";

/// The record the redaction runs on: the practice's letterhead as set below, a member of
/// staff from the uploaded list and one with an account, a third party, and the patient's
/// brother, who shares a surname with a member of staff.
const RECORD: &str = "Harbour View Surgery\n\
7 Lantern Quay, Penmarrow TR99 8LQ\n\
Telephone 01632 960 777. Email desk@lanternquay-surgery.example\n\
\n\
03/06/2026 Seen by Dr Tobias Quennell with Nurse Wenna Kitto. Morwen Penrose attended with her neighbour Jean Polglaze, who lives at 14 Chapel Row, Penmarrow PM3 7QX. Discussed with Ms Kitto, who dressed the wound.\n\
\n\
05/06/2026 Her brother, Mr Kitto, telephoned on 07700 900461 asking about the referral. Jago Pendarves, practice manager, arranged a call back.\n";

fn staff_csv(text: &str) -> Form {
    Form::new().part(
        "file",
        Part::bytes(text.as_bytes().to_vec())
            .file_name("staff.csv")
            .mime_str("text/csv")
            .unwrap(),
    )
}

async fn staff_names(s: &TestServer, organisation_id: &str) -> Vec<String> {
    steward_db::query_scalar("SELECT name FROM staff_list WHERE organisation_id = $1 ORDER BY line")
        .bind(organisation_id)
        .fetch_all(&s.steward.db.pool)
        .await
        .unwrap()
}

fn texts(list: &Value, field: &str) -> Vec<String> {
    // A list answers a page ({items, total, ...}); its items are what is checked.
    list.get("items")
        .unwrap_or(list)
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[field].as_str().unwrap().to_string())
        .collect()
}

both_backends!(letterhead_and_staff_are_kept_in_redaction, |s| async move {
    let harbour = s.organisation("Y90001").await;
    let ig = s.sign_in(HARBOUR_IG).await;

    // The page, in the DPO's words, with the demo's letterhead and staff list.
    let (status, page) = ig.get_text("/organisation").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Your practice&#39;s details") || page.contains("Your practice's details"),
        "{page}"
    );
    assert!(
        page.contains("01632 960 201"),
        "the demo letterhead is shown"
    );
    assert!(
        page.contains("Anita Marchetti"),
        "the demo staff list is shown"
    );
    assert!(bad_words(&page).is_empty(), "{:?}", bad_words(&page));

    // Bad letterhead: the page comes back with the error summary and the values typed.
    let res = ig
        .post_form(
            "/organisation/details",
            &[
                ("address", "7 Lantern Quay\nPenmarrow"),
                ("postcode", "NOT A CODE"),
                ("phones", "01632 960 777\ncall the desk"),
                ("emails", "desk at lanternquay"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("There is a problem"), "{body}");
    assert!(body.contains("Enter a real postcode"), "{body}");
    assert!(body.contains("is not a telephone number"), "{body}");
    assert!(body.contains("is not an email address"), "{body}");
    assert!(body.contains("7 Lantern Quay"), "the address typed is kept");
    assert!(bad_words(&body).is_empty(), "{:?}", bad_words(&body));
    let (_, api_details) = s
        .api(&s.api_token(HARBOUR_IG).await)
        .get(&format!("/organisations/{harbour}/details"))
        .await;
    assert_eq!(api_details["postcode"], "TR99 1HV", "nothing was written");

    // The letterhead through the page.
    let res = ig
        .post_form(
            "/organisation/details",
            &[
                ("address", "7 Lantern Quay\nPenmarrow"),
                ("postcode", "tr99 8lq"),
                ("phones", "01632 960 777"),
                ("emails", "Desk@lanternquay-surgery.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/organisation");
    let (_, page) = ig.get_text("/organisation").await;
    assert!(page.contains("Details saved"), "{page}");
    assert!(
        page.contains("TR99 8LQ"),
        "postcode shown as written by the Post Office"
    );
    assert!(page.contains("desk@lanternquay-surgery.example"));

    // The API: everyone who reads records reads it; only the IG lead and the DPO change it.
    let gp_api = s.api(&s.api_token(GP).await);
    let (status, d) = gp_api
        .get(&format!("/organisations/{harbour}/details"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(d["phones"], "01632 960 777");
    assert_eq!(d["address"], "7 Lantern Quay\nPenmarrow");
    let (status, _) = gp_api
        .send(
            Method::PUT,
            &format!("/organisations/{harbour}/details"),
            &json!({"postcode": "TR99 8LQ"}),
        )
        .await;
    assert_eq!(status, 403, "a clinician cannot change the letterhead");
    let ig_api = s.api(&s.api_token(HARBOUR_IG).await);
    let (status, problem) = ig_api
        .send(
            Method::PUT,
            &format!("/organisations/{harbour}/details"),
            &json!({"address": "7 Lantern Quay\nPenmarrow", "postcode": "TR99 8LQ", "phones": "0", "emails": "desk@lanternquay-surgery.example"}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "phones", "{problem}");
    let castle_api = s.api(&s.api_token(CASTLE_IG).await);
    let (status, _) = castle_api
        .get(&format!("/organisations/{harbour}/details"))
        .await;
    assert_eq!(status, 404, "another practice's IG lead cannot see it");

    // A bad staff list, by the page: refused whole, every bad line named, nothing written.
    let before = staff_names(&s, &harbour).await;
    assert_eq!(before.len(), 5, "the demo's staff list");
    let bad = "name,job title\nWenna Kitto,Practice nurse\n,Receptionist\nR2-D2 (unit 7),Droid\nJago Pendarves,Practice manager,extra\n";
    let res = ig
        .post_multipart("/organisation/staff-list", staff_csv(bad))
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("There is a problem"), "{body}");
    for line in ["Line 3:", "Line 4:", "Line 5:"] {
        assert!(body.contains(line), "{line} named: {body}");
    }
    assert!(!body.contains("Line 2:"), "a good line is not reported");
    assert!(bad_words(&body).is_empty(), "{:?}", bad_words(&body));
    assert_eq!(
        staff_names(&s, &harbour).await,
        before,
        "nothing was written"
    );
    // And by the API: 422 problem details with each bad line.
    let res = ig_api
        .req(
            Method::POST,
            &format!("/organisations/{harbour}/staff-list"),
        )
        .multipart(staff_csv(bad))
        .send()
        .await
        .unwrap();
    let (status, problem) = json_of(res).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3, "{problem}");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Line 3:"));
    assert_eq!(
        staff_names(&s, &harbour).await,
        before,
        "nothing was written"
    );
    // A clinician cannot upload one.
    let gp = s.sign_in(GP).await;
    let res = gp
        .post_multipart("/organisation/staff-list", staff_csv("name\nWenna Kitto\n"))
        .await;
    assert_eq!(res.status(), 403);

    // A good staff list, by the page.
    let res = ig
        .post_multipart(
            "/organisation/staff-list",
            staff_csv("First name,Last name,Job title\nWenna,Kitto,Practice nurse\nJago,Pendarves,Practice manager\n"),
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/organisation");
    assert_eq!(
        staff_names(&s, &harbour).await,
        ["Wenna Kitto", "Jago Pendarves"]
    );
    let (status, list) = gp_api
        .get(&format!("/organisations/{harbour}/staff-list"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["entries"][1]["job_title"], "Practice manager");
    let (_, page) = ig.get_text("/organisation").await;
    assert!(page.contains("Staff list uploaded"), "the banner: {page}");
    assert!(page.contains("2 names"), "{page}");
    assert!(bad_words(&page).is_empty(), "{:?}", bad_words(&page));

    // A subject access request with the record, and the redaction run.
    let ig_id = s.user_id(HARBOUR_IG).await;
    let received = chrono::Utc::now().date_naive() - chrono::Duration::days(3);
    let (status, request) = ig_api
        .send(
            Method::POST,
            &format!("/organisations/{harbour}/requests"),
            &json!({
                "request_type": "access",
                "channel": "letter",
                "requester_kind": "data_subject",
                "subject_forenames": "Morwen",
                "subject_surname": "Penrose",
                "subject_address": "3 Net Loft Lane, Penmarrow",
                "subject_postcode": "PM3 5NL",
                "received_on": received.format("%Y-%m-%d").to_string(),
                "owner_id": ig_id,
            }),
        )
        .await;
    assert_eq!(status, 201, "{request}");
    let id = request["id"].as_str().unwrap().to_string();
    let res = ig_api
        .req(Method::POST, &format!("/requests/{id}/documents"))
        .multipart(
            Form::new().part(
                "file",
                Part::bytes(RECORD.as_bytes().to_vec())
                    .file_name("record.txt")
                    .mime_str("text/plain")
                    .unwrap(),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let (status, run) = ig_api
        .send(
            Method::POST,
            &format!("/requests/{id}/redaction/run"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    let (status, screen) = ig_api.get(&format!("/requests/{id}/review")).await;
    assert_eq!(status, 200);
    let proposed = texts(&screen, "text");
    let kept = texts(&screen["kept"], "text");
    let kept_reasons = texts(&screen["kept"], "reason_label");

    // Proposed for redaction: the third party and the relative with a staff surname.
    // The neighbour's street is in the practice's town: the town alone does not keep it.
    for third in ["Jean Polglaze", "14 Chapel Row", "PM3 7QX", "07700 900461"] {
        assert!(
            proposed.iter().any(|p| p.contains(third)),
            "{third} proposed: {proposed:?}"
        );
    }
    assert!(
        proposed.iter().any(|p| p.contains("Kitto")),
        "the brother (Mr Kitto) is redacted though a nurse is called Kitto: {proposed:?}"
    );
    // Kept: the letterhead and the staff, none of them proposed.
    for known in [
        "01632 960 777",
        "desk@lanternquay-surgery.example",
        "TR99 8LQ",
        "Lantern Quay",
        "Wenna Kitto",
        "Ms Kitto",
        "Jago Pendarves",
        "Tobias Quennell",
    ] {
        assert!(
            !proposed
                .iter()
                .any(|p| p.contains(known) || known.contains(p.as_str())),
            "{known} is not proposed: {proposed:?}"
        );
    }
    for known in [
        "01632 960 777",
        "desk@lanternquay-surgery.example",
        "Wenna Kitto",
        "Jago Pendarves",
    ] {
        assert!(
            kept.iter().any(|k| k.contains(known)),
            "{known} kept: {kept:?}"
        );
    }
    assert!(
        kept_reasons
            .iter()
            .any(|r| r == "Kept: the practice's own details"),
        "{kept_reasons:?}"
    );
    assert!(
        kept_reasons.iter().any(|r| r == "Kept: staff member"),
        "{kept_reasons:?}"
    );
    assert!(
        screen["run"]["kept"].as_i64().unwrap() >= 4,
        "{}",
        screen["run"]
    );

    // The review page says so in plain words.
    let (status, review) = ig.get_text(&format!("/requests/{id}/review")).await;
    assert_eq!(status, 200);
    assert!(review.contains("Kept, not redacted"));
    assert!(
        review.contains("Kept: the practice&#39;s own details")
            || review.contains("Kept: the practice's own details"),
        "{review}"
    );
    assert!(review.contains("Kept: staff member"));
    assert!(bad_words(&review).is_empty(), "{:?}", bad_words(&review));

    // The schedule lists the kept items as kept; the bundle keeps them and hides the rest.
    let (status, outputs) = ig_api
        .send(
            Method::POST,
            &format!("/requests/{id}/bundle"),
            &json!({"style": "box"}),
        )
        .await;
    assert_eq!(status, 200, "{outputs}");
    let output = |kind: &str| -> String {
        outputs
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == kind)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let schedule = ig_api
        .req(
            Method::GET,
            &format!("/requests/{id}/outputs/{}", output("schedule_csv")),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(schedule.contains("Kept: staff member"), "{schedule}");
    assert!(
        schedule.contains("Kept: the practice's own details"),
        "{schedule}"
    );
    let bundle = ig_api
        .req(
            Method::GET,
            &format!("/requests/{id}/outputs/{}", output("bundle_pdf")),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    // Lines of the bundle wrap where the page ends: compare words.
    let text = crate::rights::pdf_text(&bundle)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for stays in [
        "Wenna Kitto",
        "Jago Pendarves",
        "01632 960 777",
        "Lantern Quay",
    ] {
        assert!(text.contains(stays), "{stays} stays in the bundle: {text}");
    }
    for gone in ["Jean Polglaze", "14 Chapel Row", "07700 900461", "Mr Kitto"] {
        assert!(
            !text.contains(gone),
            "{gone} is redacted from the bundle: {text}"
        );
    }
});
