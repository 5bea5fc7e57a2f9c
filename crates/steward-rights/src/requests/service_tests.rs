//! The service over a real database (a temporary SQLite file with the demo cluster).

use chrono::NaiveDate;
use steward_core::{ops, Caller, CoreConfig, CoreError, CoreResult, Permit, Steward};

use super::*;

/// The gate's permit to read a request, as the pages and the API ask for it.
async fn read(s: &Steward, c: &Caller, id: &str) -> CoreResult<Permit<ops::Read>> {
    s.permit::<ops::Read>(c, KIND, id).await
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

async fn steward(dir: &tempfile::TempDir) -> Steward {
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let db = steward_db::Db::connect(&url).await.unwrap();
    let s = Steward::new(
        db,
        CoreConfig {
            data_dir: dir.path().to_path_buf(),
            max_attachment_bytes: 1 << 20,
            base_url: "http://localhost".into(),
            smtp: None,
            secret_key: Some(steward_core::sealed::SecretKey::from_hex(&"ab".repeat(32)).unwrap()),
        },
    );
    s.seed_demo(d(2026, 6, 1), 0).await.unwrap();
    s
}

/// Jory Nance's access request, by letter, received 1 June 2026, owned by `owner`.
fn access_request_received_1_june(owner: &Caller) -> RequestInput {
    RequestInput {
        request_type: "access".into(),
        channel: "letter".into(),
        requester_kind: "data_subject".into(),
        subject_forenames: "Jory".into(),
        subject_surname: "Nance".into(),
        received_on: "2026-06-01".into(),
        owner_id: owner.user_id.clone(),
        ..Default::default()
    }
}

async fn caller(s: &Steward, email: &str) -> Caller {
    let u = s.user_by_email(email).await.unwrap();
    s.caller_for_user(&u.id, "test").await.unwrap().unwrap()
}

#[tokio::test]
async fn clock_pause_and_extension_through_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let s = steward(&dir).await;
    let ig = caller(&s, "iglead@harbour.demo.steward.test").await;
    let org = ig.home_organisation_id.clone();
    let r = rights(&s);
    let input = access_request_received_1_june(&ig);
    let today = d(2026, 6, 5);
    let req = r.create_request(&ig, &org, &input, today).await.unwrap();
    // rights-and-deadlines.md: received 1 June, due the corresponding date, 1 July.
    assert_eq!(req.due_on, d(2026, 7, 1));
    assert_eq!(req.reference, "SAR-2026-0001");
    r.move_request(&ig, &req.id, "in_progress", today)
        .await
        .unwrap();
    r.ask_for_clarification(&ig, &req.id, "2026-06-05", "Which years?", today)
        .await
        .unwrap();
    let paused = r
        .request(&read(&s, &ig, &req.id).await.unwrap(), d(2026, 6, 10))
        .await
        .unwrap();
    assert!(paused.is_paused());
    assert_eq!(paused.status, "awaiting_clarification");
    let resumed = r
        .clarification_received(&ig, &req.id, "2026-06-15", d(2026, 6, 15))
        .await
        .unwrap();
    // Ten days paused: 11 July, a Saturday, so Monday 13 July.
    assert_eq!(resumed.paused_days, 10);
    assert_eq!(resumed.due_on, d(2026, 7, 13));
    let action_due: String = steward_db::query_scalar("SELECT due_date FROM actions WHERE id = $1")
        .bind(resumed.action_id.clone().unwrap())
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(
        action_due, "2026-07-13",
        "the linked action follows the clock"
    );
    // An extension told after the first month is refused beside its field.
    let late = ExtensionInput {
        months: "2".into(),
        ground: "complex".into(),
        reasons: "Several volumes of notes".into(),
        requester_told_on: "2026-07-20".into(),
    };
    let Err(CoreError::Invalid(e)) = r.extend(&ig, &req.id, &late, d(2026, 7, 20)).await else {
        panic!("a late extension is refused");
    };
    assert!(e
        .get("requester_told_on")
        .unwrap()
        .contains("within the first month"));
    let ok = ExtensionInput {
        requester_told_on: "2026-06-20".into(),
        ..late
    };
    let extended = r.extend(&ig, &req.id, &ok, d(2026, 6, 20)).await.unwrap();
    assert!(extended.due_on > d(2026, 8, 31));
    let versions = s
        .history(&read(&s, &ig, &req.id).await.unwrap())
        .await
        .unwrap();
    assert_eq!(versions.len(), 5, "one version per change");
}

#[tokio::test]
async fn a_paused_clock_moves_the_linked_action_every_day() {
    let dir = tempfile::tempdir().unwrap();
    let s = steward(&dir).await;
    let ig = caller(&s, "iglead@harbour.demo.steward.test").await;
    let org = ig.home_organisation_id.clone();
    let r = rights(&s);
    let input = access_request_received_1_june(&ig);
    let req = r
        .create_request(&ig, &org, &input, d(2026, 6, 5))
        .await
        .unwrap();
    r.move_request(&ig, &req.id, "in_progress", d(2026, 6, 5))
        .await
        .unwrap();
    r.ask_for_clarification(&ig, &req.id, "2026-06-05", "Which years?", d(2026, 6, 5))
        .await
        .unwrap();
    let action_due = || async {
        steward_db::query_scalar::<_, String>(
            "SELECT a.due_date FROM actions a JOIN rights_requests r ON r.action_id = a.id WHERE r.id = $1",
        )
        .bind(&req.id)
        .fetch_one(&s.db.pool)
        .await
        .unwrap()
    };
    let before = action_due().await;
    // Still paused on 30 June: 25 days paused so far, so due 26 July (a Sunday), moved
    // to Monday 27 July; the action says so without anyone touching the request.
    assert_eq!(r.refresh_paused_clocks(d(2026, 6, 30)).await.unwrap(), 1);
    assert_eq!(action_due().await, "2026-07-27");
    assert_ne!(before, "2026-07-27");
    let shown = r
        .request(&read(&s, &ig, &req.id).await.unwrap(), d(2026, 6, 30))
        .await
        .unwrap();
    assert_eq!(shown.due_on, d(2026, 7, 27));
    // Run again the same day: nothing to move.
    assert_eq!(r.refresh_paused_clocks(d(2026, 6, 30)).await.unwrap(), 0);
    // The change is in the history and the trail under Steward's own name.
    let history = s
        .history(&read(&s, &ig, &req.id).await.unwrap())
        .await
        .unwrap();
    assert_eq!(history[0].user_name, steward_core::context::SYSTEM_NAME);
    let trail: i64 = steward_db::query_scalar(
        "SELECT COUNT(*) FROM audit_trail WHERE record_id = $1 AND user_id = 'system' AND detail LIKE 'clock paused: due date moved from % to 27 July 2026'",
    )
    .bind(&req.id)
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(trail, 1);
    // Once the clarification is in, the request no longer moves by itself.
    r.clarification_received(&ig, &req.id, "2026-07-01", d(2026, 7, 1))
        .await
        .unwrap();
    assert_eq!(r.refresh_paused_clocks(d(2026, 7, 9)).await.unwrap(), 0);
}

#[tokio::test]
async fn roles_and_organisations_are_checked_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = steward(&dir).await;
    let today = d(2026, 6, 5);
    let ig = caller(&s, "iglead@harbour.demo.steward.test").await;
    let gp = caller(&s, "gp@harbour.demo.steward.test").await;
    let auditor = caller(&s, "auditor@harbour.demo.steward.test").await;
    let castle = caller(&s, "iglead@castlehill.demo.steward.test").await;
    let org = ig.home_organisation_id.clone();
    let r = rights(&s);
    let input = RequestInput {
        request_type: "access".into(),
        channel: "email".into(),
        requester_kind: "data_subject".into(),
        subject_forenames: "Jory".into(),
        subject_surname: "Nance".into(),
        received_on: "2026-06-01".into(),
        owner_id: ig.user_id.clone(),
        ..Default::default()
    };
    assert!(matches!(
        r.create_request(&auditor, &org, &input, today).await,
        Err(CoreError::Forbidden)
    ));
    assert!(matches!(
        r.create_request(&castle, &org, &input, today).await,
        Err(CoreError::NotFound)
    ));
    let req = r.create_request(&ig, &org, &input, today).await.unwrap();
    assert!(matches!(
        read(&s, &castle, &req.id).await,
        Err(CoreError::NotFound)
    ));
    assert!(r
        .request(&read(&s, &auditor, &req.id).await.unwrap(), today)
        .await
        .is_ok());
    assert!(matches!(
        r.complete_step(&ig, &req.id, "clinician_serious_harm_test", "", today)
            .await,
        Err(CoreError::Forbidden)
    ));
    r.complete_step(&gp, &req.id, "clinician_serious_harm_test", "", today)
        .await
        .unwrap();
    assert!(matches!(
        r.record_clinician_review(&ig, &req.id, &ClinicianReviewInput::default(), today)
            .await,
        Err(CoreError::Forbidden)
    ));
    // A step that is not on the checklist names nothing: not found (404 in the API).
    assert!(matches!(
        r.complete_step(&ig, &req.id, "no_such_step", "", today)
            .await,
        Err(CoreError::NotFound)
    ));
    // Namesakes: the practice's search finds another Nance at the same date of birth.
    r.add_namesake(
        &ig,
        &req.id,
        &NamesakeInput {
            forenames: "Jenna".into(),
            surname: "NANCE".into(),
            date_of_birth: String::new(),
            address: String::new(),
            postcode: String::new(),
        },
        today,
    )
    .await
    .unwrap();
    assert!(
        r.namesake_warnings(&read(&s, &ig, &req.id).await.unwrap())
            .await
            .unwrap()
            .is_empty(),
        "surname alone is no warning"
    );
    let mut input2 = input.clone();
    input2.subject_forenames = "Jenna".into();
    input2.subject_date_of_birth = "1990-02-03".into();
    let other = r.create_request(&ig, &org, &input2, today).await.unwrap();
    let mut first = input.clone();
    first.subject_date_of_birth = "1990-02-03".into();
    r.update_request(&ig, &req.id, &first, None, today)
        .await
        .unwrap();
    let w = r
        .namesake_warnings(&read(&s, &ig, &req.id).await.unwrap())
        .await
        .unwrap();
    assert_eq!(w.len(), 1);
    assert!(w[0].source.contains(&other.reference), "{:?}", w[0]);
}
