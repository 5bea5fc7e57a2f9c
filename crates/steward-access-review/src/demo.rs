//! Demo data: one completed access audit for Harbour View Surgery on a small synthetic export
//! (`fixtures/harbour`, written by `fixtures/make_fixtures.py`: fictional people, ZZ postcodes,
//! 999 NHS numbers), with SELF, FAMILY, NEIGHBOUR, VIP, DECEASED, LEAVER and COWORKER cases.

use std::time::Duration;

use steward_core::demo::Demo;
use steward_core::{CoreError, CoreResult, Steward};

use crate::{AccessReview, MappingChoice, Run};

/// The export in the canonical tables (no mapping needed).
pub const HARBOUR_EXPORT: [(&str, &str); 5] = [
    ("events.csv", include_str!("../fixtures/harbour/events.csv")),
    ("users.csv", include_str!("../fixtures/harbour/users.csv")),
    (
        "patients.csv",
        include_str!("../fixtures/harbour/patients.csv"),
    ),
    (
        "care_episodes.csv",
        include_str!("../fixtures/harbour/care_episodes.csv"),
    ),
    ("teams.csv", include_str!("../fixtures/harbour/teams.csv")),
];

/// The same export as a clinical system gives it: `AuditTrail.csv` with its own column names,
/// semicolons and day/month/year times (to be mapped once).
pub const SYSTEM_EXPORT: [(&str, &str); 5] = [
    (
        "AuditTrail.csv",
        include_str!("../fixtures/system-export/AuditTrail.csv"),
    ),
    (
        "users.csv",
        include_str!("../fixtures/system-export/users.csv"),
    ),
    (
        "patients.csv",
        include_str!("../fixtures/system-export/patients.csv"),
    ),
    (
        "care_episodes.csv",
        include_str!("../fixtures/system-export/care_episodes.csv"),
    ),
    (
        "teams.csv",
        include_str!("../fixtures/system-export/teams.csv"),
    ),
];

pub const DEMO_PERIOD: &str = "2025-05";
const IG_LEAD: &str = "iglead@harbour.demo.steward.test";

/// Seeds one completed run for Harbour View Surgery, as its IG lead, through the same
/// functions the pages use. Called by `steward demo` after `seed_demo`.
pub async fn seed_demo_audit(steward: &Steward, demo: &Demo) -> CoreResult<Run> {
    let harbour = demo
        .organisations
        .iter()
        .find(|(n, _)| n == "Harbour View Surgery")
        .map(|(_, id)| id.clone())
        .ok_or(CoreError::NotFound)?;
    let user_id: String = steward_db::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(IG_LEAD)
        .fetch_one(&steward.db.pool)
        .await?;
    let caller = steward
        .caller_for_user(&user_id, "demo")
        .await?
        .ok_or(CoreError::NotFound)?;
    let review = AccessReview::new(steward.clone());
    let files = HARBOUR_EXPORT
        .iter()
        .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
        .collect();
    let run = review
        .create_run_from_upload(
            &caller,
            &harbour,
            DEMO_PERIOD,
            "Demo clinical system",
            files,
        )
        .await?;
    review
        .start_run(&caller, &run.id, &MappingChoice::Canonical)
        .await?;
    let run = review
        .wait_for(&caller, &run.id, Duration::from_secs(60))
        .await?;
    if run.status != "completed" {
        return Err(CoreError::Internal(format!(
            "the demo audit did not complete: {}",
            run.error.clone().unwrap_or(run.status.clone())
        )));
    }
    // One case already reviewed, so the report has an outcome to show; the rest are open.
    let q = crate::CaseQuery {
        user: Some("u.polglase".into()),
        rule: Some("SELF".into()),
        ..Default::default()
    };
    if let Some(c) = review.cases(&caller, &run.id, &q).await?.items.first() {
        let input = crate::OutcomeInput {
            outcome: "appropriate".into(),
            reason: "Looked at her own test results with the duty GP's agreement; reminded of the policy".into(),
            ..Default::default()
        };
        review
            .record_outcome(&caller, &c.id, &input, chrono::Utc::now().date_naive())
            .await?;
    }
    // The month's practice sample (seed 001), drawn and waiting for its checks.
    review
        .create_sample(&caller, &run.id, 2, Some(2026))
        .await?;
    Ok(run)
}
