//! Demo data for DPIAs (feature `service`), entered through the same service calls a user
//! makes: the two seed DPIAs at Harbour View Surgery. The trust's video group consultations
//! (seed 002) are screened with the trust's questions, started from the screening, written,
//! submitted, advised on by the DPO and approved by the SIRO; the Dorset Care Record (seed
//! 000) is imported from Steward's own JSON and submitted with the DPO's advice. A project
//! screened on the ICO list that needs no DPIA completes the picture.

use chrono::NaiveDate;
use serde_json::Value;
use steward_core::gate::{ops, Kind, Permit};
use steward_core::{Caller, CoreError, CoreResult, Steward};

use crate::model::Content;
use crate::screening::Answer;
use crate::service::{dpias, AdviceInput, Dpia, ScreeningInput, StartInput, StepInput};

pub const DORSET_CARE_RECORD: &str = include_str!("../data/demo/dorset-care-record.json");
pub const TEAMS_CONSULTATIONS: &str =
    include_str!("../data/demo/ms-teams-group-consultations.json");

async fn caller(steward: &Steward, email: &str) -> CoreResult<Caller> {
    let u = steward.user_by_email(email).await?;
    steward
        .caller_for_user(&u.id, "demo")
        .await?
        .ok_or_else(|| CoreError::Internal(format!("demo user {email} missing")))
}

/// The seed DPIAs as the demo enters them.
pub fn seed_contents() -> (Content, Content) {
    let read = |s: &str| -> Content {
        let v: Value = serde_json::from_str(s).expect("demo fixture");
        serde_json::from_value(v["content"].clone()).expect("demo fixture content")
    };
    (read(DORSET_CARE_RECORD), read(TEAMS_CONSULTATIONS))
}

/// Seeds the DPIA demo; returns (the Dorset Care Record, the video consultations).
pub async fn seed_demo_dpias(steward: &Steward, today: NaiveDate) -> CoreResult<(Dpia, Dpia)> {
    let ig = caller(steward, "iglead@harbour.demo.steward.test").await?;
    let dpo = caller(steward, "dpo@demo.steward.test").await?;
    let siro = caller(steward, "siro@harbour.demo.steward.test").await?;
    let harbour = ig.home_organisation_id.clone();
    let d = dpias(steward);

    // Seed 002: screened, started from the screening, written, submitted, advised, approved.
    let fixture: Value = serde_json::from_str(TEAMS_CONSULTATIONS).expect("demo fixture");
    let answers: Vec<Answer> =
        serde_json::from_value(fixture["screening"].clone()).expect("answers");
    let (dcr, teams) = seed_contents();
    let screening = d
        .screen(
            &ig,
            &harbour,
            &ScreeningInput {
                title: teams.title.clone(),
                questionnaire: "trust".into(),
                answers,
            },
        )
        .await?;
    let started = d
        .start(
            &ig,
            &harbour,
            &StartInput {
                title: teams.title.clone(),
                matrix: "5x5".into(),
                screening_id: Some(screening.id.clone()),
            },
        )
        .await?;
    let p: Permit<ops::Change> = steward.permit(&ig, Kind::Dpia, &started.id).await?;
    let mut content = teams;
    content.screening = started.content.screening.clone();
    content.section_mut("need").text = started
        .content
        .section("need")
        .map(|s| s.text.clone())
        .unwrap_or_default();
    d.save(&ig, &p, content).await?;
    d.author_step(
        &ig,
        &p,
        &StepInput {
            step: "submit".into(),
            note: String::new(),
        },
    )
    .await?;
    let a: Permit<ops::Advise> = steward.permit(&dpo, Kind::Dpia, &started.id).await?;
    d.advise(
        &dpo,
        &a,
        &AdviceInput {
            advice: "The measures address both risks; the processing can proceed. Remind hosts at the start of each session not to share anything identifiable.".into(),
        },
    )
    .await?;
    let s: Permit<ops::Change> = steward
        .permit(&siro, Kind::DpiaSignOff, &started.id)
        .await?;
    let teams = d
        .sign_off(
            &siro,
            &s,
            &StepInput {
                step: "approve".into(),
                note: String::new(),
            },
            today,
        )
        .await?;

    // Seed 000: imported as Steward's JSON (the fixture loader a user has), then submitted.
    let imported = d
        .import(&ig, &harbour, DORSET_CARE_RECORD.as_bytes())
        .await?;
    let _ = dcr;
    let p: Permit<ops::Change> = steward.permit(&ig, Kind::Dpia, &imported.id).await?;
    d.author_step(
        &ig,
        &p,
        &StepInput {
            step: "submit".into(),
            note: String::new(),
        },
    )
    .await?;
    let a: Permit<ops::Advise> = steward.permit(&dpo, Kind::Dpia, &imported.id).await?;
    let dcr = d
        .advise(
            &dpo,
            &a,
            &AdviceInput {
                advice: "Medium residual risks remain on awareness and objection: keep the communications plan and the opt-out route under review with the Pan Dorset IG Group.".into(),
            },
        )
        .await?;

    // A project that needs no DPIA, screened on the ICO list.
    let ico = &d.rules.questionnaire("ico").expect("shipped").question;
    d.screen(
        &ig,
        &harbour,
        &ScreeningInput {
            title: "Replacing the waiting-room noticeboard".into(),
            questionnaire: "ico".into(),
            answers: ico
                .iter()
                .map(|q| Answer {
                    question: q.code.clone(),
                    yes: false,
                    comment: String::new(),
                })
                .collect(),
        },
    )
    .await?;

    seed_cluster_dpia(steward, &dpo, today).await?;
    Ok((dcr, teams))
}

/// A cluster DPIA: the DPO writes one DPIA for the text-message reminders every practice
/// sends through the same supplier, approves it, and offers it to every practice; Castle
/// Hill adopts it with its SIRO's sign-off, the others (Harbour View among them) have yet
/// to decide.
async fn seed_cluster_dpia(steward: &Steward, dpo: &Caller, today: NaiveDate) -> CoreResult<()> {
    use crate::adoption::{AdoptionDecision, OfferInput};
    use crate::model::{Measure, Risk};
    let d = dpias(steward);
    let mut c = Content::blank(
        d.rules,
        "Appointment reminders by text message across the cluster",
        "5x5",
    );
    c.section_mut("need").text = "Every practice of the cluster sends appointment reminders and recalls by text message through one supplier under one contract; the DPO assesses the processing once for all of them.".into();
    c.risks = vec![
        Risk {
            description: "A reminder goes to a number that now belongs to someone else and reveals that the patient has an appointment".into(),
            source: "Numbers kept after a patient changes phone".into(),
            likelihood: 3,
            severity: 2,
            ..Default::default()
        },
        Risk {
            description: "The supplier keeps message logs longer than the practices need".into(),
            source: "Supplier's default retention".into(),
            likelihood: 2,
            severity: 2,
            ..Default::default()
        },
    ];
    c.number_risks(&mut || uuid::Uuid::new_v4().to_string());
    c.measures = vec![Measure {
        risks: vec![c.risks[0].id.clone()],
        options: "Reminders name the practice and the time only, never the clinic or the reason; numbers are checked at every appointment.".into(),
        effect: "reduced".into(),
        residual: "low".into(),
        approved: true,
        owner: "Each practice's reception lead".into(),
        ..Default::default()
    }];
    let created = d.create(dpo, &dpo.home_organisation_id, c, None).await?;
    let p: Permit<ops::Change> = steward.permit(dpo, Kind::Dpia, &created.id).await?;
    d.author_step(
        dpo,
        &p,
        &StepInput {
            step: "submit".into(),
            note: String::new(),
        },
    )
    .await?;
    let s: Permit<ops::Change> = steward.permit(dpo, Kind::DpiaSignOff, &created.id).await?;
    d.sign_off(
        dpo,
        &s,
        &StepInput {
            step: "approve".into(),
            note: String::new(),
        },
        today,
    )
    .await?;
    let practices: Vec<String> = steward
        .organisations(dpo)
        .await?
        .into_iter()
        .filter(|o| o.kind == "gp_practice")
        .map(|o| o.id)
        .collect();
    let r: Permit<ops::Read> = steward.permit(dpo, Kind::Dpia, &created.id).await?;
    let offers = d
        .offer(
            dpo,
            &r,
            &OfferInput {
                organisations: practices,
            },
        )
        .await?;
    let castle = caller(steward, "iglead@castlehill.demo.steward.test").await?;
    if let Some(a) = offers
        .iter()
        .find(|a| a.organisation_id == castle.home_organisation_id)
    {
        let p: Permit<ops::Change> = steward.permit(&castle, Kind::DpiaAdoption, &a.id).await?;
        d.decide_adoption(
            &castle,
            &p,
            &AdoptionDecision {
                decision: "adopt".into(),
                signed_off_by: "Dr Priya Castle, SIRO".into(),
                note: String::new(),
            },
        )
        .await?;
    }
    Ok(())
}
