//! Demo data for compliance operations (feature `service`), through the same functions the
//! pages use: a training needs analysis at Harbour View Surgery with some staff out of date
//! (and reminders set), two cluster policies offered by the DPO and adopted with
//! acknowledgements outstanding, a practice agreement, a records management review, a
//! destruction with its certificate attached, toolkit evidence partly linked and a business
//! continuity plan with a test and the CSU's assurance. Every person is invented.

use chrono::{Duration, NaiveDate};
use steward_core::gate::{ops, Kind, Permit};
use steward_core::time::iso_date;
use steward_core::{Caller, CoreError, CoreResult, Steward};

use crate::continuity::{continuity, AssuranceInput, PlanInput, SystemInput, TestInput};
use crate::policies::{policies, PolicyInput};
use crate::records::{records, CompleteInput, DestructionInput, ReviewInput};
use crate::toolkit::{toolkit, EvidenceInput};
use crate::training::{training, TrainingInput};

async fn caller(steward: &Steward, email: &str) -> CoreResult<Caller> {
    let u = steward.user_by_email(email).await?;
    steward
        .caller_for_user(&u.id, "demo")
        .await?
        .ok_or_else(|| CoreError::Internal(format!("demo user {email} missing")))
}

async fn id_of(steward: &Steward, email: &str) -> CoreResult<String> {
    Ok(steward.user_by_email(email).await?.id)
}

const INFORMATION_RIGHTS: &str = "1. Purpose. This protocol sets out how the practice answers requests from people to see, correct or erase the information it holds about them (UK GDPR Articles 15 to 22).\n2. Recognising a request. A request may be made in writing, by phone or in person, to anyone at the practice; it need not mention the law. Log it in Steward the same day.\n3. The clock. The practice answers within one calendar month of receiving the request (Article 12(3)), paused only while identity is checked or the request clarified.\n4. Clinical review. A GP reviews the record before release for information likely to cause serious harm (Data Protection Act 2018 Schedule 3 Part 2) and for third parties.\n5. Release. Send the response securely and record what was sent and to whom.";
const INCIDENT_MANAGEMENT: &str = "1. Purpose. This protocol sets out how anyone at the practice reports a data security or protection incident, and how the IG lead and DPO assess it.\n2. Report at once. Report in Steward as soon as you know, even if unsure: time matters.\n3. Assessment. The IG lead grades the incident on the NHS breach assessment grid; the DPO advises.\n4. Notification. A reportable breach is notified to the ICO within 72 hours of the practice becoming aware (UK GDPR Article 33).\n5. Learning. Each closed incident records its root cause and lesson; the DPO shares anonymised lessons across the cluster.";
const AGREEMENT: &str = "As an administrator of the clinical system I agree to: use administrator rights only for the tasks they are given for; never look at a record without a reason connected to my work; create, change and remove accounts only on a signed request; review accounts of leavers each month; and tell the IG lead at once of any misuse I see.";

/// Seeds the compliance demo as of `today`.
pub async fn seed_demo_compliance(steward: &Steward, today: NaiveDate) -> CoreResult<()> {
    let ig = caller(steward, "iglead@harbour.demo.steward.test").await?;
    let dpo = caller(steward, "dpo@demo.steward.test").await?;
    let gp = caller(steward, "gp@harbour.demo.steward.test").await?;
    let reception = caller(steward, "reception@harbour.demo.steward.test").await?;
    let harbour = ig.home_organisation_id.clone();
    let days = |n: i64| iso_date(today - Duration::days(n));

    // 1. Training: some staff out of date, one due for renewal, one GP without SAR training.
    let t = training(steward);
    let people = [
        (
            "iglead@harbour.demo.steward.test",
            "data_security_awareness",
            60,
            "NHS e-Learning for Healthcare",
        ),
        (
            "iglead@harbour.demo.steward.test",
            "ig_lead",
            200,
            "Wessex Coast DPO Service",
        ),
        (
            "siro@harbour.demo.steward.test",
            "data_security_awareness",
            350,
            "NHS e-Learning for Healthcare",
        ),
        (
            "siro@harbour.demo.steward.test",
            "siro",
            400,
            "NHS England SIRO workshop",
        ),
        (
            "caldicott@harbour.demo.steward.test",
            "data_security_awareness",
            430,
            "NHS e-Learning for Healthcare",
        ),
        (
            "caldicott@harbour.demo.steward.test",
            "caldicott_guardian",
            900,
            "UK Caldicott Guardian Council",
        ),
        (
            "gp@harbour.demo.steward.test",
            "data_security_awareness",
            90,
            "NHS e-Learning for Healthcare",
        ),
        (
            "reception@harbour.demo.steward.test",
            "data_security_awareness",
            150,
            "NHS e-Learning for Healthcare",
        ),
    ];
    for (i, (email, course, ago, provider)) in people.into_iter().enumerate() {
        t.create(
            &ig,
            &harbour,
            &TrainingInput {
                user_id: id_of(steward, email).await?,
                course: course.into(),
                completed_on: days(ago),
                provider: provider.into(),
                certificate: format!("CERT-{:05}", 24100 + i),
            },
            today,
        )
        .await?;
    }
    t.set_reminders(&ig, &harbour, today).await?;

    // 2. Two cluster policies, offered by the DPO to every practice; Harbour adopts both and
    // staff acknowledge some: acknowledgements outstanding. Plus the practice's own agreement.
    let pol = policies(steward);
    let dpo_org = dpo.home_organisation_id.clone();
    let rights = pol
        .create(
            &dpo,
            &dpo_org,
            &PolicyInput {
                title: "Information rights and access protocol".into(),
                document_type: "policy".into(),
                applies_to: vec![],
                summary: "First issue for the cluster".into(),
                body: INFORMATION_RIGHTS.into(),
            },
        )
        .await?;
    let incidents = pol
        .create(
            &dpo,
            &dpo_org,
            &PolicyInput {
                title: "Incident management protocol".into(),
                document_type: "policy".into(),
                applies_to: vec![],
                summary: "First issue for the cluster".into(),
                body: INCIDENT_MANAGEMENT.into(),
            },
        )
        .await?;
    for library in [&rights, &incidents] {
        let copy: String = steward_db::query_scalar(
            "SELECT id FROM policies WHERE library_policy_id = $1 AND organisation_id = $2",
        )
        .bind(&library.id)
        .bind(&harbour)
        .fetch_one(&steward.db.pool)
        .await?;
        let p: Permit<ops::Change> = steward.permit(&ig, Kind::Policy, &copy).await?;
        pol.adopt(&ig, &p).await?;
        for who in [&ig, &gp] {
            let a: Permit<ops::Change> = steward
                .permit(who, Kind::PolicyAcknowledgement, &copy)
                .await?;
            pol.acknowledge(who, &a).await?;
        }
        if library.id == rights.id {
            let a: Permit<ops::Change> = steward
                .permit(&reception, Kind::PolicyAcknowledgement, &copy)
                .await?;
            pol.acknowledge(&reception, &a).await?;
        }
    }
    let agreement = pol
        .create(
            &ig,
            &harbour,
            &PolicyInput {
                title: "Clinical system administrators' accountability agreement".into(),
                document_type: "agreement".into(),
                applies_to: vec!["ig_lead".into(), "staff".into()],
                summary: "First issue".into(),
                body: AGREEMENT.into(),
            },
        )
        .await?;
    let a: Permit<ops::Change> = steward
        .permit(&ig, Kind::PolicyAcknowledgement, &agreement.id)
        .await?;
    pol.acknowledge(&ig, &a).await?;

    // 3. A records management review (completed) and a destruction with its certificate.
    let rm = records(steward);
    let review = rm
        .create_review(
            &ig,
            &harbour,
            &ReviewInput {
                title: "Annual records review".into(),
                record_types: vec!["subject_access".into(), "complaints".into(), "cctv".into()],
                owner_id: ig.user_id.clone(),
                due_on: days(-30),
            },
        )
        .await?;
    let rp: Permit<ops::Change> = steward
        .permit(&ig, Kind::RetentionReview, &review.id)
        .await?;
    rm.complete_review(&ig, &rp, &CompleteInput {
        findings: "Subject access correspondence closed before 2023 found in the archive cupboard: two boxes destroyed. Complaints files are all within their period. CCTV overwrites after 31 days.".into(),
        completed_on: days(20),
    })
    .await?;
    let d = rm
        .record_destruction(
            &ig,
            &harbour,
            &DestructionInput {
                record_type: "subject_access".into(),
                description: "Subject access request correspondence closed in 2021 and 2022".into(),
                quantity: "2 archive boxes".into(),
                method: "confidential_waste".into(),
                destroyed_on: days(18),
                destroyed_by: "Kernow Secure Shred Ltd".into(),
                authorised_by: ig.user_id.clone(),
                certificate: "KSS-2026-4471".into(),
                review_id: Some(review.id.clone()),
            },
            today,
        )
        .await?;
    let ap: Permit<ops::Attach> = steward.permit(&ig, Kind::Destruction, &d.id).await?;
    steward
        .add_attachment(&ig, &ap, "certificate-of-destruction-KSS-2026-4471.txt", b"Kernow Secure Shred Ltd. Certificate of destruction KSS-2026-4471. Collected from Harbour View Surgery: 2 archive boxes of confidential paper, cross-cut shredded to DIN 66399 P-4 and pulped.")
        .await?;

    // 4. A business continuity plan with its systems, a test and the CSU's assurance.
    let bc = continuity(steward);
    let plan = bc
        .create(
            &ig,
            &harbour,
            &PlanInput {
                title: "Business continuity plan".into(),
                scope: "Loss of the clinical system, telephones, the building or key staff.".into(),
                owner_id: ig.user_id.clone(),
                review_on: days(-200),
            },
        )
        .await?;
    let pp: Permit<ops::Change> = steward.permit(&ig, Kind::ContinuityPlan, &plan.id).await?;
    for (name, supplier, outage, workaround) in [
        ("Clinical system", "EMIS Health", "4 hours", "Paper appointment lists printed each evening; read-only summary care record; emergency prescriptions on FP10 pads."),
        ("Telephone system", "Wessex Coast CSU (X24)", "2 hours", "Divert to the partner practice's number; mobile phone on the practice website."),
    ] {
        bc.add_system(&ig, &pp, &SystemInput { name: name.into(), supplier: supplier.into(), tolerable_outage: outage.into(), workaround: workaround.into() }, today).await?;
    }
    bc.add_test(
        &ig,
        &pp,
        &TestInput {
            tested_on: days(75),
            scenario: "Desk-top exercise: clinical system down for a whole Monday morning".into(),
            outcome: "partly".into(),
            lessons: "The printed appointment list was a day old; now printed at 18:00 each day."
                .into(),
        },
        today,
    )
    .await?;
    bc.add_assurance(
        &ig,
        &pp,
        &AssuranceInput {
            supplier: "Wessex Coast CSU (IT services)".into(),
            evidence: "Annual continuity test report of the CSU's data centre and network".into(),
            received_on: days(100),
            valid_until: days(-265),
        },
        today,
    )
    .await?;

    // 5. Toolkit evidence partly linked: the supplier assurance uploaded and confirmed; the
    // IT administrators' agreement noted but not yet evidenced.
    let tk = toolkit(steward);
    let e = tk
        .save(
            &ig,
            &harbour,
            &EvidenceInput {
                assertion: "10.1".into(),
                note: "The CSU's continuity and security assurance for this year.".into(),
                confirmed: "yes".into(),
            },
        )
        .await?;
    let ep: Permit<ops::Attach> = steward.permit(&ig, Kind::ToolkitEvidence, &e.id).await?;
    steward
        .add_attachment(&ig, &ep, "csu-assurance-letter.txt", b"Wessex Coast CSU: assurance of data security and business continuity for the services provided to Harbour View Surgery.")
        .await?;
    tk.save(
        &ig,
        &harbour,
        &EvidenceInput {
            assertion: "4.3.1".into(),
            note: "Agreement sent to the IT support company's administrators; waiting for their signatures.".into(),
            confirmed: String::new(),
        },
    )
    .await?;

    // 6. The register of processing beyond individual care: a research extract (the opt-out
    // applies) and a mandatory collection under a direction (it does not).
    let reg = crate::optout::register(steward);
    for (purpose, recipient, basis, data) in [
        ("Diabetes outcomes research study", "University of the Wessex Coast (research team)", "section_251", "Coded diabetes history, HbA1c results and year of birth for registered patients with diabetes"),
        ("General Practice Extraction Service collection", "NHS England", "legal_requirement", "The data set of the collection's direction"),
    ] {
        reg.create(&ig, &harbour, &crate::optout::ProcessingInput { purpose: purpose.into(), recipient: recipient.into(), basis: basis.into(), data: data.into() }).await?;
    }
    Ok(())
}
