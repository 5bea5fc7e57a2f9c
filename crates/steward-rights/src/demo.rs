//! Demo rights requests for Harbour View Surgery (feature `service`): a solicitor's subject
//! access request with a record ready for redaction review, one paused for clarification, one
//! overdue, and a rectification. Every person here is invented.

use chrono::NaiveDate;
use steward_core::time::iso_date;
use steward_core::{CoreError, CoreResult, Steward};

use crate::requests::{days_ago, rights, RequestInput, StartEventsInput};

/// A synthetic GP record extract: the practice's letterhead, the patient's own details, third
/// parties (a neighbour, an ex-partner's address, a relative's phone, a son who shares a
/// surname with a practice nurse), staff acting in their role, and a safeguarding passage for
/// the clinician.
pub const DEMO_RECORD: &str = "Harbour View Surgery: record extract\n\
14 Quayside Road, Penmarrow TR99 1HV. Telephone 01632 960 201. Email reception@harbourview-surgery.example\n\
Patient: Eleanor Pascoe, born 09/04/1961, NHS number 943 476 5919, 3 Quay Cottages, Penmarrow PM3 4QA.\n\
\n\
12/03/2026 Dr Tobias Quennell. Knee pain after a fall on the harbour steps. Attended with her neighbour Jean Polglaze, who lives at 14 Chapel Row, Penmarrow PM3 7QX. X-ray requested.\n\
\n\
02/04/2026 Practice nurse Ama Boateng. Dressing changed. Daughter Kerensa Vingoe can be reached on 07700 900461 if Eleanor cannot be contacted; her email is kerensa.vingoe@example.com.\n\
\n\
28/04/2026 Dr Tobias Quennell. Low mood since separating from her partner Michael Tonkin, now living at 9 Ropewalk, Fowey PL23 1AB. Discussed safeguarding concerns raised by the health visitor about the grandchildren; information given in confidence by Mrs Polglaze.\n\
\n\
15/05/2026 Letter from Penmarrow Hospital orthopaedics: arthroscopy on the waiting list. Hospital number RX9123456.\n\
\n\
20/05/2026 Dr Anita Marchetti. Her son, Mr Gwavas, telephoned about the referral. Practice nurse Tamsin Gwavas booked her into the dressing clinic.\n";

/// Seeds the demo requests of Harbour View Surgery. Call after `Steward::seed_demo`.
pub async fn seed_demo_requests(steward: &Steward, today: NaiveDate) -> CoreResult<()> {
    let ig = steward
        .user_by_email("iglead@harbour.demo.steward.test")
        .await?;
    let gp = steward
        .user_by_email("gp@harbour.demo.steward.test")
        .await?;
    let caller = steward
        .caller_for_user(&ig.id, "demo")
        .await?
        .ok_or_else(|| CoreError::Internal("demo IG lead missing".into()))?;
    let org = caller.home_organisation_id.clone();
    let r = rights(steward);
    let d = |n: i64| iso_date(days_ago(today, n));
    let base = |forenames: &str, surname: &str, dob: &str, received: String| RequestInput {
        request_type: "access".into(),
        channel: "letter".into(),
        requester_kind: "data_subject".into(),
        subject_forenames: forenames.into(),
        subject_surname: surname.into(),
        subject_date_of_birth: dob.into(),
        subject_address: "3 Quay Cottages, Penmarrow".into(),
        subject_postcode: "PM3 4QA".into(),
        received_on: received,
        owner_id: ig.id.clone(),
        ..Default::default()
    };

    // 1. A solicitor's request for the full record, with the record uploaded and the
    // redaction run: ready for the reviewer.
    let solicitor = r
        .create_request(
            &caller,
            &org,
            &RequestInput {
                requester_kind: "solicitor".into(),
                proxy_name: "Hal Brightwater".into(),
                proxy_organisation: "Brightwater & Crane LLP".into(),
                subject_nhs_number: "9434765919".into(),
                channel: "email".into(),
                ..base("Eleanor", "Pascoe", "1961-04-09", d(12))
            },
            today,
        )
        .await?;
    r.record_start_events(
        &caller,
        &solicitor.id,
        &StartEventsInput {
            authority_received_on: d(9),
            authority_evidence_kind: "signed_patient_authority".into(),
            authority_evidence: "Form of authority signed by Mrs Pascoe, received by email".into(),
            ..Default::default()
        },
        today,
    )
    .await?;
    r.move_request(&caller, &solicitor.id, "in_progress", today)
        .await?;
    for step in [
        "log_request",
        "confirm_right_patient",
        "verify_proxy_authority",
    ] {
        r.complete_step(&caller, &solicitor.id, step, "", today)
            .await?;
    }
    r.complete_step(
        &caller,
        &solicitor.id,
        "solicitor_patient_call",
        "Called Mrs Pascoe: content for the record to go to her solicitor; narrowed to 2026 only.",
        today,
    )
    .await?;
    r.add_document(
        &caller,
        &solicitor.id,
        "record-extract.txt",
        DEMO_RECORD.as_bytes(),
    )
    .await?;
    r.run_redaction(&caller, &solicitor.id).await?;

    // 2. Paused: clarification asked for, not yet received. Same surname and address as
    // request 1, so both show the namesake warning.
    let paused = r
        .create_request(
            &caller,
            &org,
            &base("Thomas", "Pascoe", "1958-11-30", d(20)),
            today,
        )
        .await?;
    r.move_request(&caller, &paused.id, "in_progress", today)
        .await?;
    r.ask_for_clarification(
        &caller,
        &paused.id,
        &d(6),
        "The record runs from 1972. Which years or episodes would you like?",
        today,
    )
    .await?;

    // 3. Overdue: received six weeks ago and still in progress.
    let mut overdue = base("Gwen", "Treloar", "1979-06-02", d(42));
    overdue.subject_address = "Flat 2, 11 Fore Street, Penmarrow".into();
    overdue.subject_postcode = "PM3 2BT".into();
    overdue.owner_id = gp.id.clone();
    let overdue = r.create_request(&caller, &org, &overdue, today).await?;
    r.move_request(&caller, &overdue.id, "in_progress", today)
        .await?;

    // 4. A rectification with a recipient to tell (UK GDPR Art 19).
    let mut rect = base("Ruth", "Annear", "1990-01-17", d(3));
    rect.request_type = "rectification".into();
    rect.channel = "verbal".into();
    rect.what = "Her date of birth is recorded as 17/01/1991; it is 17/01/1990.".into();
    rect.recipients = "Penmarrow Hospital".into();
    rect.subject_address = "6 Harbour Hill, Penmarrow".into();
    rect.subject_postcode = "PM3 1HH".into();
    r.create_request(&caller, &org, &rect, today).await?;
    Ok(())
}
