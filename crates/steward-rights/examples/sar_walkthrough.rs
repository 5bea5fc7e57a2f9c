//! A solicitor's subject access request from receipt to the response letter.
//! Run: `cargo run -p steward-rights --example sar_walkthrough`

use chrono::NaiveDate;
use steward_rights::*;

fn main() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("valid date");
    let calendar = BankHolidays::embedded();
    let checklist = Checklist::embedded();

    let subject = PatientIdentity {
        patient_id: "p-1001".into(),
        forenames: "Jane".into(),
        surname: "Smith".into(),
        date_of_birth: Some(d(1980, 5, 1)),
        address: Some("12 High Street, Wimborne".into()),
        postcode: Some("BH21 1AA".into()),
        nhs_number: None,
    };
    let namesake = PatientIdentity {
        patient_id: "p-2002".into(),
        forenames: "Joan".into(),
        date_of_birth: Some(d(1980, 5, 1)),
        address: None,
        postcode: None,
        ..subject.clone()
    };
    for w in namesake_warnings(&subject, &[subject.clone(), namesake]) {
        println!("warning: {}", w.message);
    }

    let mut request = RightsRequest::new(
        "SAR-2026-014",
        RequestDetails::Access {
            scope: AccessScope::FullRecord,
        },
        Channel::Letter,
        subject,
        Requester::Proxy(Proxy {
            kind: ProxyKind::Solicitor,
            name: "Ms A Brief".into(),
            organisation: Some("Brief & Co".into()),
            evidence: Some(AuthorityEvidence {
                kind: AuthorityEvidenceKind::SignedPatientAuthority,
                description: "Signed form of authority dated 1 March 2026".into(),
            }),
        }),
        d(2026, 3, 2),
        ClockSettings::default(),
    );
    request
        .clock
        .set_proxy_authority_received_on(Some(d(2026, 3, 4)));
    request.move_to(RequestStatus::InProgress).expect("allowed");
    println!(
        "clock starts {} ({:?}), due {}",
        format_uk_date(request.clock.start_date()),
        request.clock.start_event(),
        format_uk_date(request.clock.due_date(&calendar))
    );
    request
        .ask_for_clarification(d(2026, 3, 10), "Which years of the record?", &calendar)
        .expect("pause allowed");
    println!(
        "on 12 March: {:?}, {} days remaining",
        request.clock.status(d(2026, 3, 12), &calendar),
        request.clock.days_remaining(d(2026, 3, 12), &calendar)
    );
    request
        .clarification_received(d(2026, 3, 16))
        .expect("resume allowed");
    println!(
        "after clarification: due {}",
        format_uk_date(request.clock.due_date(&calendar))
    );

    let closure = Closure {
        closed_on: d(2026, 4, 1),
        outcome: Outcome::Answered,
        disclosed: vec![DisclosedItem {
            description: "the GP record from 2015 to 2026".into(),
        }],
        withheld: vec![WithheldItem {
            description: "a third party's address in a 2019 consultation".into(),
            exemption: Exemption::ThirdPartyInformation,
            reason: "An ex-partner's address; no consent".into(),
            mention_in_letter: true,
        }],
        other_providers: Some(OtherProvidersPolicy::FilterAndSignpost {
            providers: vec!["Dorset County Hospital".into()],
        }),
        serious_harm_opinion: Some(SeriousHarmOpinion {
            professional: "Dr A Jones".into(),
            given_on: d(2026, 3, 30),
            harm_likely: false,
        }),
        action_taken: None,
    };
    let outstanding = request.outstanding_before(&closure, &checklist, &[]);
    println!("outstanding before closure: {}", outstanding.len());
    for step in &outstanding {
        println!("  [{:?}] {}", step.role, step.title);
    }

    let letter = response_letter(
        &request,
        &closure,
        &Organisation {
            name: "Riverside Surgery".into(),
            dpo_contact: "dpo@riverside.example".into(),
        },
    );
    println!("\n{}\n", letter.title);
    for p in letter.paragraphs {
        println!("{p}\n");
    }
}
