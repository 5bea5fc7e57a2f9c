//! Compliance audits and action rounds (issue 13). The DPO audits Harbour View Surgery one
//! question at a time (bad input refused with the values kept), completes the audit, and the
//! finding becomes the IG lead's action; a completed audit cannot be changed. The DPO sends
//! an action round to two practices, a practice ticks one off with its evidence, the grid
//! shows it, the DPO chases the other practice, and the quarterly update lists the round.
//! Practices cannot reach the round; roles without the right get 403, outsiders 404.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::common::*;

const RECEPTION: &str = "reception@harbour.demo.steward.test";

async fn dpo_in(s: &TestServer, org: &str) -> Client {
    let dpo = s.sign_in(DPO).await;
    let res = dpo
        .post_form("/organisations/switch", &[("organisation_id", org)])
        .await;
    assert_eq!(res.status(), 303);
    dpo
}

both_backends!(
    an_audit_from_first_question_to_the_practice_s_actions,
    |s: Arc<TestServer>| async move {
        let harbour = s.organisation("Y90001").await;
        let dpo = dpo_in(&s, &harbour).await;

        // A date that does not exist: refused, the typed values kept.
        let res = dpo
            .post_form(
                "/compliance-audits/new",
                &[
                    ("visit_day", "31"),
                    ("visit_month", "2"),
                    ("visit_year", "2027"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(body.contains("There is a problem"), "{body}");
        assert!(body.contains("Enter the date of the audit visit"));
        assert!(body.contains("value=\"31\""), "values kept");

        let res = dpo
            .post_form(
                "/compliance-audits/new",
                &[
                    ("visit_day", "3"),
                    ("visit_month", "12"),
                    ("visit_year", "2026"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
        let page = location(&res);
        let id = page.trim_start_matches("/compliance-audits/").to_string();
        let (status, body) = dpo.get_text(&page).await;
        assert_eq!(status, 200);
        assert!(body.contains("3 December 2026"), "the visit date in words");
        assert!(body.contains("Data Security Compliance Audit"));

        // A finding without saying what to put right: refused, the evidence typed is kept.
        let q = format!("/compliance-audits/{id}/questions/leavers");
        let res = dpo
            .post_form(
                &q,
                &[
                    ("rating", "not_met"),
                    ("evidence_seen", "Leavers' checklist for March"),
                    ("finding", ""),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Say what the practice must put right"),
            "{body}"
        );
        assert!(body.contains("checklist for March"), "values kept");
        let res = dpo
            .post_form(
                &q,
                &[
                    ("rating", "not_met"),
                    ("evidence_seen", "Leavers' checklist for March"),
                    ("finding", "Smartcards were not returned on the last day"),
                    ("due_day", "31"),
                    ("due_month", "1"),
                    ("due_year", "2027"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "saved, on to the next question");
        assert!(location(&res).starts_with(&format!("/compliance-audits/{id}/questions/")));

        // Completing with questions unrated is refused, and says how many.
        let res = dpo
            .post_form(
                &format!("/compliance-audits/{id}/complete"),
                &[("summary", "Good")],
            )
            .await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(body.contains("questions have no rating yet"), "{body}");
        let count: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM actions WHERE source_record_type = 'compliance_audit' AND source_record_id = $1")
        .bind(&id)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        assert_eq!(count, 0, "nothing made before the audit is complete");

        // The rest through the API; a rating that is not on the scale is a 422 problem.
        let api = s.api(&s.api_token(DPO).await);
        let (status, problem) = api
            .send(
                Method::PUT,
                &format!("/compliance-audits/{id}/answers"),
                &json!({"question_code": "ropa", "rating": "excellent"}),
            )
            .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["status"], 422);
        let (_, full) = api.get(&format!("/compliance-audits/{id}")).await;
        assert_eq!(full["answers"].as_array().unwrap().len(), 1);
        let codes: Vec<String> = steward_assurance::AuditTemplate::embedded()
            .questions()
            .map(|(_, q)| q.code.clone())
            .filter(|c| c != "leavers")
            .collect();
        for code in &codes {
            let (status, body) = api
                .send(
                    Method::PUT,
                    &format!("/compliance-audits/{id}/answers"),
                    &json!({"question_code": code, "rating": "met", "evidence_seen": "Seen"}),
                )
                .await;
            assert_eq!(status, 200, "{code}: {body}");
        }
        let res = dpo
            .post_form(
                &format!("/compliance-audits/{id}/complete"),
                &[("summary", "One thing to put right")],
            )
            .await;
        assert_eq!(res.status(), 303);
        let (_, body) = dpo.get_text(&format!("/compliance-audits/{id}")).await;
        assert!(body.contains("Completed"));
        assert!(body.contains("1 finding"), "counted in words");
        assert!(body.contains(&format!("{} of {} met", codes.len(), codes.len() + 1)));

        // The finding is the IG lead's action, due when the DPO said.
        let (owner, due): (String, String) = {
            let row = steward_db::query("SELECT u.email, a.due_date FROM actions a JOIN users u ON u.id = a.owner_id WHERE a.source_record_type = 'compliance_audit' AND a.source_record_id = $1")
            .bind(&id)
            .fetch_one(&s.steward.db.pool)
            .await
            .unwrap();
            use steward_db::Row;
            (
                row.try_get("email").unwrap(),
                row.try_get("due_date").unwrap(),
            )
        };
        assert_eq!(owner, HARBOUR_IG);
        assert_eq!(due, "2027-01-31");

        // Completed means kept as answered.
        let (status, _) = api
            .send(
                Method::PUT,
                &format!("/compliance-audits/{id}/answers"),
                &json!({"question_code": "ropa", "rating": "not_met", "finding": "x"}),
            )
            .await;
        assert_eq!(status, 409);

        // The practice's IG lead reads it but does not change it; staff do not read it; another
        // practice's IG lead is told it does not exist.
        let ig = s.sign_in(HARBOUR_IG).await;
        assert_eq!(
            ig.get(&format!("/compliance-audits/{id}")).await.status(),
            200
        );
        assert_eq!(
            ig.get(&format!("/compliance-audits/{id}/questions/ropa"))
                .await
                .status(),
            403
        );
        let staff = s.sign_in(RECEPTION).await;
        assert_eq!(
            staff
                .get(&format!("/compliance-audits/{id}"))
                .await
                .status(),
            403
        );
        let castle = s.sign_in(CASTLE_IG).await;
        assert_eq!(
            castle
                .get(&format!("/compliance-audits/{id}"))
                .await
                .status(),
            404
        );
    }
);

both_backends!(
    an_action_round_across_the_cluster,
    |s: Arc<TestServer>| async move {
        let harbour = s.organisation("Y90001").await;
        let castle = s.organisation("Y90002").await;
        let dpo = s.sign_in(DPO).await;

        // The form starts from the shipped high-risk processing round.
        let (status, body) = dpo.get_text("/action-rounds/new").await;
        assert_eq!(status, 200);
        assert!(body.contains("Confidential waste destruction: Our practice has identified this"));

        // Bad input: no title, a line without a heading, no practice.
        let res = dpo
            .post_form(
                "/action-rounds/new",
                &[
                    ("title", ""),
                    ("required_actions", "lock the bins"),
                    ("due_day", "1"),
                    ("due_month", "1"),
                    ("due_year", "2099"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        let body = res.text().await.unwrap();
        assert!(body.contains("Enter a title for the round"), "{body}");
        assert!(body.contains("Line 1 has no heading"));
        assert!(body.contains("Choose at least one practice"));
        assert!(body.contains("lock the bins"), "values kept");

        let lines = "Confidential waste: Certificates of destruction are kept\nRemote working: Staff use the VPN";
        let res = dpo
            .post_form(
                "/action-rounds/new",
                &[
                    ("title", "Winter round"),
                    ("required_actions", lines),
                    ("due_day", "1"),
                    ("due_month", "1"),
                    ("due_year", "2099"),
                    ("organisation_ids", &harbour),
                    ("organisation_ids", &castle),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
        let page = location(&res);
        let round = page.trim_start_matches("/action-rounds/").to_string();
        let (_, body) = dpo.get_text(&page).await;
        assert!(body.contains("Winter round"));
        assert!(body.contains("0 of 4 actions done"), "{body}");

        // Harbour's IG lead ticks the first off and notes the evidence.
        let first: String = steward_db::query_scalar("SELECT action_id FROM action_round_tasks WHERE round_id = $1 AND organisation_id = $2 AND item = 0")
        .bind(&round)
        .bind(&harbour)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        let ig_api = s.api(&s.api_token(HARBOUR_IG).await);
        let (status, action) = ig_api.get(&format!("/actions/{first}")).await;
        assert_eq!(status, 200, "{action}");
        assert_eq!(
            action["title"],
            "Confidential waste: Certificates of destruction are kept"
        );
        let (status, body) = ig_api
        .send(
            Method::PUT,
            &format!("/actions/{first}"),
            &json!({"title": action["title"], "description": action["description"], "owner_id": action["owner_id"], "due_date": action["due_date"], "status": "done"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = ig_api
            .send(
                Method::POST,
                &format!("/records/action/{first}/comments"),
                &json!({"body": "Certificates for the last quarter are in the IG folder"}),
            )
            .await;
        assert!(status == 200 || status == 201, "{status} {body}");

        let (_, body) = dpo.get_text(&page).await;
        assert!(body.contains("1 of 4 actions done"), "{body}");
        assert!(body.contains("1 item of evidence"));

        // The DPO chases Castle Hill: two actions open, the chase on the trail.
        let res = dpo
            .post_form(
                &format!("/action-rounds/{round}/chase"),
                &[("organisation_id", &castle)],
            )
            .await;
        assert_eq!(
            res.status(),
            303,
            "back to the round: a refresh does not chase again"
        );
        let (_, body) = dpo.get_text(&location(&res)).await;
        assert!(body.contains("Chased: 2 actions are still open."), "{body}");
        let chased: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM audit_trail WHERE event = 'action_round.chase' AND record_id = $1")
        .bind(&round)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
        assert_eq!(chased, 1);

        // Practices work on their own actions: the round itself is the DPO's.
        let ig = s.sign_in(HARBOUR_IG).await;
        assert_eq!(ig.get(&page).await.status(), 404);
        assert_eq!(ig.get("/action-rounds").await.status(), 403);

        // The cluster view and the quarterly update carry it.
        let (_, body) = dpo.get_text("/assurance").await;
        assert!(body.contains("Action rounds done"));
        let api = s.api(&s.api_token(DPO).await);
        let (status, update) = api
        .send(Method::POST, "/cluster-updates", &json!({"quarter": steward_assurance::incidents::quarter_of(chrono::Utc::now().date_naive())}))
        .await;
        assert_eq!(status, 200, "{update}");
        let text = update.to_string();
        assert!(text.contains("Open action rounds"), "{text}");
        assert!(text.contains("Winter round"));
        assert!(text.contains("1 of 4 actions done (25%)"));
    }
);

both_backends!(a_round_is_sent_to_every_practice_or_to_none, |s: Arc<
    TestServer,
>| async move {
    let harbour = s.organisation("Y90001").await;
    let castle = s.organisation("Y90002").await;
    let dpo = s.sign_in(DPO).await;
    // A line as long as a round takes (300 characters of text) is longer than an
    // action's title may be: every practice still gets every action, its title cut at a
    // word and the whole line in its description. (Before, the round was saved, then
    // the first long action was refused: a round with no actions.)
    let long = format!(
        "Records: {}",
        "Scan and index every paper record received, ".repeat(7)
    )
    .trim_end()
    .chars()
    .take(309)
    .collect::<String>();
    let lines = format!("Remote working: Staff use the VPN\n{long}");
    let res = dpo
        .post_form(
            "/action-rounds/new",
            &[
                ("title", "Records round"),
                ("required_actions", &lines),
                ("due_day", "1"),
                ("due_month", "1"),
                ("due_year", "2099"),
                ("organisation_ids", &harbour),
                ("organisation_ids", &castle),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = location(&res);
    let round = page.trim_start_matches("/action-rounds/").to_string();
    let (_, body) = dpo.get_text(&page).await;
    assert!(body.contains("0 of 4 actions done"), "{body}");
    let titles: Vec<(String, String)> = steward_db::query_as(
            "SELECT a.title, a.description FROM action_round_tasks t JOIN actions a ON a.id = t.action_id WHERE t.round_id = $1 AND t.item = 1 ORDER BY t.organisation_id",
        )
        .bind(&round)
        .fetch_all(&s.steward.db.pool)
        .await
        .unwrap();
    assert_eq!(titles.len(), 2, "both practices have the long action");
    for (title, description) in titles {
        assert!(
            title.chars().count() <= 200 && title.ends_with('…'),
            "{title}"
        );
        assert!(description.starts_with(long.trim_end()), "{description}");
    }
    let rounds: i64 = steward_db::query_scalar(
        "SELECT COUNT(*) FROM action_rounds WHERE title = 'Records round'",
    )
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    assert_eq!(rounds, 1);
});

both_backends!(
    each_role_s_dashboard_shows_its_share_of_assurance,
    |s: Arc<TestServer>| async move {
        seed_modules(&s).await;
        // The SIRO: the risk above appetite escalated to them, incidents, the audit's findings.
        let siro = s.sign_in("siro@harbour.demo.steward.test").await;
        let (status, body) = siro.get_text("/").await;
        assert_eq!(status, 200);
        assert!(body.contains("1 risk above the risk appetite"), "{body}");
        assert!(body.contains("1 escalated to you"));
        assert!(body.contains("2 audit findings open"));
        assert!(body.contains("incidents open") || body.contains("incident open"));
        // Staff: risks, but not the incident log nor the audits.
        let staff = s.sign_in(RECEPTION).await;
        let (_, body) = staff.get_text("/").await;
        assert!(body.contains("1 risk above the risk appetite"));
        assert!(!body.contains("escalated to you"));
        assert!(!body.contains("audit findings open"));
        assert!(!body.contains("72-hour clock"));
        // The DPO at home: the cluster, one row per organisation, each figure a link.
        let dpo = s.sign_in(DPO).await;
        let (_, body) = dpo.get_text("/").await;
        assert!(
            body.contains("The cluster, one row per organisation"),
            "{body}"
        );
        assert!(body.contains("id=\"cluster\""));
        let harbour = s.organisation("Y90001").await;
        assert!(
            body.contains(&format!(
                "/organisations/{harbour}/compliance-audits\">2</a>"
            )),
            "Harbour's two findings link to its audits"
        );
    }
);
