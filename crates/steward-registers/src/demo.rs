//! Demo data, entered through the same services the pages use: the Wessex Coast DPO
//! service's cluster master log (27 processing activities of a GP practice), the county's
//! sharing partners and information sharing charter, two sharing projects (one pending, one
//! approved), and Harbour View Surgery's registers (adopted activities, assets, a local
//! partner and agreement, processors) with its privacy notice published. Every organisation
//! and person is invented.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use steward_core::{Caller, CoreError, CoreResult, Steward};

use crate::fields::Register;
use crate::notice::NoticeSettings;
use crate::store::{dpo_organisation, registers, Entry};
use crate::transparency::PublishInput;

async fn caller(steward: &Steward, email: &str, organisation_id: &str) -> CoreResult<Caller> {
    let u = steward.user_by_email(email).await?;
    let c = steward
        .caller_for_user(&u.id, "demo")
        .await?
        .ok_or_else(|| CoreError::Internal(format!("demo user {email} missing")))?;
    Ok(Caller {
        current_organisation_id: organisation_id.into(),
        ..c
    })
}

fn m(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const SECURITY: &str = "NHS smartcards and role-based access; audit trails of access; the encrypted NHS network; staff confidentiality training every year";
const GP_RECORD: &str =
    "While registered and for 10 years after death (Records Management Code of Practice 2021)";

/// (name, purposes, care purpose, lawful basis, Art 9 condition or "", confidentiality,
/// people, data, sources, recipients, retention, opt-out applies, how it is applied)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
);

const MASTER_LOG: [Row; 27] = [
    ("Direct care: consultations and the GP record", "To diagnose, treat and care for patients and keep an accurate record of their care", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients", "Contact details, NHS number, health and care records", "The patient, clinicians, hospitals and other care providers", "Other health and care professionals caring for the patient", GP_RECORD, false, ""),
    ("Referrals to hospital and community services", "To refer patients for tests, specialist opinion and treatment", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients", "Contact details, NHS number, relevant health history", "The GP record", "Hospitals, community services and the NHS e-Referral Service", GP_RECORD, false, ""),
    ("Prescriptions and medicines management", "To issue prescriptions electronically and review medicines safely", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients", "Medication, allergies, NHS number", "The GP record", "Community pharmacies chosen by the patient; the NHS Electronic Prescription Service", GP_RECORD, false, ""),
    ("Pathology and test results", "To request tests and receive and act on results", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients", "Test requests and results", "Hospital laboratories", "Hospital laboratories", GP_RECORD, false, ""),
    ("Shared care record", "To let clinicians in health and social care see relevant information when caring for a patient (Dorset-style shared care record)", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients", "Demographics, diagnoses, medication, allergies, care plans", "The GP record and the partners' systems", "Health and social care partners of the shared care record, with permission to view", GP_RECORD, false, ""),
    ("Video consultations", "To consult with patients by video when that is safe and suitable", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients and those with them", "Name, contact details, what is discussed (not recorded)", "The patient", "None", "Not recorded; the consultation is written in the GP record", false, ""),
    ("Safeguarding children and adults at risk", "To protect children and adults at risk of harm and share concerns with the right agencies", "direct_care", "public_task", "substantial_public_interest", "public_interest", "Patients, their families and others in the household", "Health records, safeguarding concerns, family details", "The GP record, health visitors, social care, the police", "Local authority social care, the police, health visitors, safeguarding partnerships", GP_RECORD, false, ""),
    ("NHS screening programmes (cervical, bowel, breast, AAA)", "To invite eligible patients for national screening and follow up results", "direct_care", "public_task", "health_care", "implied_consent", "Eligible registered patients", "Contact details, NHS number, screening history and results", "The GP record; national screening programmes", "NHS England screening services", GP_RECORD, false, ""),
    ("Diabetic eye screening", "To refer patients with diabetes for annual eye screening", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients with diabetes", "Contact details, NHS number, diabetes diagnosis", "The GP record", "The local diabetic eye screening programme", GP_RECORD, false, ""),
    ("NHS Health Checks", "To invite eligible adults aged 40 to 74 for an NHS Health Check", "direct_care", "public_task", "health_care", "implied_consent", "Eligible registered patients", "Contact details, age, relevant health history", "The GP record", "The local authority public health team that commissions the checks", GP_RECORD, false, ""),
    ("Immunisations and vaccinations", "To offer and record vaccinations, including childhood and seasonal programmes", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients", "Vaccination history, contact details", "The GP record, community pharmacies", "Child health information services; NHS England vaccination records", GP_RECORD, false, ""),
    ("Child health surveillance", "To check children's growth and development and share with health visitors", "direct_care", "public_task", "health_care", "implied_consent", "Registered children and their parents", "Development checks, growth, immunisations", "The GP record, health visitors", "Health visiting service; child health information services", "Until the 25th birthday, or the 26th if 17 at the end of treatment, and as the GP record", false, ""),
    ("Out-of-hours and NHS 111", "To let urgent care services see a summary of the record", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients", "Summary Care Record: medication, allergies, adverse reactions", "The GP record", "NHS 111, out-of-hours and urgent treatment services", GP_RECORD, false, ""),
    ("Clinical audit within the practice", "To check and improve the quality of care the practice gives", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients", "Health records", "The GP record", "None", GP_RECORD, false, ""),
    ("Medical research", "To identify patients who may take part in approved research studies, and share data with approved studies", "secondary", "public_task", "research", "section_251", "Registered patients", "Health records, pseudonymised where possible", "The GP record", "Approved research studies (such as CPRD)", "For the life of the study, as approved by the ethics committee", true, "Patients who have registered a National Data Opt-out are removed from every extract before it leaves the practice"),
    ("Planning and commissioning (GP data for planning and research)", "To plan and pay for NHS services, using data collected under legal direction", "secondary", "legal_obligation", "health_care", "legal_requirement", "Registered patients", "Health records, pseudonymised", "The GP record", "NHS England under the Health and Social Care Act 2012 directions", "As set in the direction", true, "Type 1 opt-outs are applied by the practice; the National Data Opt-out is applied by NHS England"),
    ("Risk stratification", "To identify patients at risk of unplanned admission so that they can be offered support", "secondary", "public_task", "health_care", "section_251", "Registered patients", "Health records, pseudonymised", "The GP record; hospital activity data", "The integrated care board's risk stratification processor", "12 months, then deleted", true, "Opted-out patients are excluded from the extract"),
    ("National Diabetes Audit and other national clinical audits", "To measure the quality of care nationally", "secondary", "legal_obligation", "health_care", "legal_requirement", "Registered patients with the audited conditions", "Diagnoses, test results, NHS number", "The GP record", "NHS England", "As set by the audit", true, "The National Data Opt-out is applied by NHS England"),
    ("Medicines optimisation by the integrated care board", "To support safe and cost-effective prescribing", "secondary", "public_task", "health_care", "implied_consent", "Registered patients", "Medication records", "The GP record", "The integrated care board's pharmacists working for the practice", GP_RECORD, false, ""),
    ("Patient complaints", "To investigate and respond to complaints", "administration", "legal_obligation", "health_care", "implied_consent", "Complainants and patients", "Contact details, the complaint and relevant records", "The complainant", "The Parliamentary and Health Service Ombudsman when asked", "10 years after the complaint is closed", false, ""),
    ("Subject access and other rights requests", "To respond to requests for copies of records and other rights", "administration", "legal_obligation", "health_care", "legal_requirement", "Patients and their representatives", "Identity checks, the request and the records released", "The requester", "The requester or their representative", "3 years after the request is closed", false, ""),
    ("CCTV on the premises", "To keep staff and patients safe and prevent crime", "administration", "public_task", "", "not_confidential", "Patients, visitors and staff", "Images", "Cameras at the entrance and car park", "The police when needed to investigate a crime", "31 days unless needed for an incident", false, ""),
    ("Staff records and recruitment", "To employ staff and meet employment law", "administration", "contract", "employment", "not_confidential", "Staff and applicants", "Contact details, employment history, DBS checks, health information for occupational health", "Staff and applicants; referees; the DBS", "Occupational health; the DBS; NHS pensions", "Until the 75th birthday or 6 years after leaving, whichever is later", false, ""),
    ("Payroll and pensions", "To pay staff and administer pensions", "administration", "contract", "", "not_confidential", "Staff", "Bank details, salary, tax and pension information", "Staff", "HMRC; NHS Pensions; the payroll bureau", "6 years after the end of the financial year", false, ""),
    ("Telephone call recording", "To keep a record of calls for quality, training and safety", "administration", "public_task", "health_care", "implied_consent", "Callers and staff", "Voice recordings", "Callers", "None", "3 years", false, ""),
    ("Medical reports for insurers and employers", "To write reports the patient has consented to", "administration", "consent", "explicit_consent", "explicit_consent", "Patients", "Relevant health records", "The GP record", "The insurer or employer the patient names", GP_RECORD, false, ""),
    ("Online services and the NHS App", "To let patients book appointments, order repeat prescriptions and see their record online", "direct_care", "public_task", "health_care", "implied_consent", "Registered patients and their proxies", "Appointments, prescriptions, record access", "The patient", "The online services supplier (processor)", GP_RECORD, false, ""),
];

/// The row of the retention schedule a master log activity's retention is (its code), and
/// the note kept beside it; free text alone where no row fits.
fn retention_of(text: &'static str) -> (&'static str, &'static str) {
    match text {
        GP_RECORD => ("gp_patient", ""),
        "10 years after the complaint is closed" => ("complaints", ""),
        "3 years after the request is closed" => ("subject_access", ""),
        "31 days unless needed for an incident" => {
            ("cctv", "Kept longer only when needed for an incident")
        }
        t if t.starts_with("Until the 75th birthday") => ("staff_summary", ""),
        t if t.starts_with("Until the 25th birthday") => ("children", "And as the GP record"),
        t => ("", t),
    }
}

/// Seeds the registers' demo. Needs the core demo (organisations and people).
pub async fn seed_demo_registers(steward: &Steward, today: NaiveDate) -> CoreResult<()> {
    let harbour: String =
        steward_db::query_scalar("SELECT id FROM organisations WHERE ods_code = 'Y90001'")
            .fetch_one(&steward.db.pool)
            .await?;
    let dpo_org = dpo_organisation(steward, &harbour)
        .await?
        .ok_or_else(|| CoreError::Internal("the demo has no DPO service".into()))?;
    let dpo = caller(steward, "dpo@demo.steward.test", &dpo_org).await?;
    let ig = caller(steward, "iglead@harbour.demo.steward.test", &harbour).await?;
    let r = registers(steward);
    let date = |days: i64| {
        (today + Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };

    // The county's sharing partners, kept by the DPO.
    let mut partners: Vec<Entry> = Vec::new();
    for (name, ty, ods, ico, toolkit) in [
        (
            "Wessex Coast Community NHS Trust",
            "nhs_trust",
            "RX900",
            "Z9000001",
            "met",
        ),
        (
            "Wessex Coast University Hospitals NHS Foundation Trust",
            "nhs_trust",
            "RX901",
            "Z9000002",
            "exceeded",
        ),
        (
            "Wessex Coast Integrated Care Board",
            "icb",
            "QX9",
            "Z9000003",
            "met",
        ),
        (
            "Wessex County Council Adult Social Care",
            "local_authority",
            "",
            "Z9000004",
            "met",
        ),
        (
            "Wessex County Council Public Health",
            "local_authority",
            "",
            "Z9000005",
            "met",
        ),
        (
            "Coastline Hospice",
            "voluntary",
            "",
            "Z9000006",
            "approaching",
        ),
    ] {
        partners.push(
            r.create(
                &dpo,
                &dpo_org,
                Register::Partners,
                &m(&[
                    ("name", name),
                    ("partner_type", ty),
                    ("ods_code", ods),
                    ("ico_registration", ico),
                    ("toolkit_status", toolkit),
                    ("contact", "Information governance team"),
                ]),
                today,
            )
            .await?,
        );
    }
    r.create(
        &dpo,
        &dpo_org,
        Register::Agreements,
        &m(&[
            ("name", "Wessex County Information Sharing Charter"),
            ("agreement_type", "charter"),
            (
                "parties",
                &*partners
                    .iter()
                    .map(|p| p.id.clone())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            ("signatories", "Each partner's SIRO signs on joining"),
            ("signed_date", &*date(-400)),
            ("review_date", &*date(40)),
            ("expiry_date", &*date(330)),
            ("documents", "County information sharing charter, version 3"),
        ]),
        today,
    )
    .await?;

    // The cluster master log.
    let mut templates = Vec::new();
    for (
        name,
        purposes,
        care,
        basis,
        condition,
        conf,
        people,
        data,
        sources,
        recipients,
        retention,
        opt,
        how,
    ) in MASTER_LOG
    {
        let mut v = m(&[
            ("name", name),
            ("purposes", purposes),
            ("care_purpose", care),
            ("lawful_basis", basis),
            (
                "special_category",
                if condition.is_empty() { "no" } else { "yes" },
            ),
            ("special_category_condition", condition),
            ("confidentiality_basis", conf),
            ("data_subjects", people),
            ("data_categories", data),
            ("sources", sources),
            ("recipients", recipients),
            ("transfers", "None"),
            ("retention_row", retention_of(retention).0),
            ("retention", retention_of(retention).1),
            ("security_measures", SECURITY),
            ("opt_out_applies", if opt { "yes" } else { "no" }),
            ("opt_out_how", how),
        ]);
        if name.starts_with("Shared care record") {
            v.insert(
                "recipient_partners".into(),
                partners[..4]
                    .iter()
                    .map(|p| p.id.clone())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            v.insert("dpia_reference".into(), "Shared care record DPIA".into());
        }
        if name.starts_with("Video consultations") {
            v.insert(
                "dpia_reference".into(),
                "Group video consultations DPIA".into(),
            );
        }
        templates.push(
            r.create(&dpo, &dpo_org, Register::Templates, &v, today)
                .await?,
        );
    }
    // Two project activities, added to a practice's log when it joins.
    let frailty_activity = r
        .create(
            &dpo,
            &dpo_org,
            Register::Templates,
            &m(&[
                ("name", "Community frailty project"),
                (
                    "purposes",
                    "To identify frail older patients and plan their care with community teams",
                ),
                ("care_purpose", "direct_care"),
                ("lawful_basis", "public_task"),
                ("special_category", "yes"),
                ("special_category_condition", "health_care"),
                ("confidentiality_basis", "implied_consent"),
                (
                    "data_subjects",
                    "Registered patients aged 65 and over with frailty",
                ),
                (
                    "data_categories",
                    "Frailty score, diagnoses, medication, care plans",
                ),
                ("sources", "The GP record"),
                ("recipients", "The community frailty team"),
                ("recipient_partners", partners[0].id.as_str()),
                ("transfers", "None"),
                ("retention_row", "gp_patient"),
                ("security_measures", SECURITY),
                ("opt_out_applies", "no"),
                (
                    "dpia_reference",
                    "Community frailty DPIA, held by the community trust",
                ),
            ]),
            today,
        )
        .await?;
    let research_activity = r
        .create(
            &dpo,
            &dpo_org,
            Register::Templates,
            &m(&[
                ("name", "Coastal respiratory research database"),
                (
                    "purposes",
                    "To build a pseudonymised research database of respiratory disease",
                ),
                ("care_purpose", "secondary"),
                ("lawful_basis", "public_task"),
                ("special_category", "yes"),
                ("special_category_condition", "research"),
                ("confidentiality_basis", "section_251"),
                ("data_subjects", "Registered patients with asthma or COPD"),
                (
                    "data_categories",
                    "Pseudonymised diagnoses, prescriptions, test results",
                ),
                ("sources", "The GP record"),
                ("recipients", "The university research team"),
                ("transfers", "None"),
                ("retention", "10 years after the study ends"),
                ("security_measures", SECURITY),
                ("opt_out_applies", "yes"),
                (
                    "opt_out_how",
                    "National Data Opt-outs are removed before extraction",
                ),
            ]),
            today,
        )
        .await?;
    r.create(&dpo, &dpo_org, Register::Projects, &m(&[
        ("name", "Community frailty project"), ("status", "approved"),
        ("summary", "Practices share the records of frail older patients with the community frailty team, which plans their care with them."),
        ("patient_description", "If you are 65 or over and living with frailty, the community frailty team can see your GP record to plan your care with your GP"),
        ("partners", partners[0].id.as_str()), ("documents", "Community frailty data sharing agreement\nCommunity frailty DPIA"),
        ("dpia_reference", "Community frailty DPIA"), ("activity_template", frailty_activity.id.as_str()),
    ]), today).await?;
    r.create(&dpo, &dpo_org, Register::Projects, &m(&[
        ("name", "Coastal respiratory research database"), ("status", "pending"),
        ("summary", "A university research database of respiratory disease. The DPO is reviewing the DPIA and the section 251 support."),
        ("patient_description", "Pseudonymised information about asthma and COPD helps researchers improve care"),
        ("partners", partners[1].id.as_str()), ("documents", "Research data sharing agreement (draft)"),
        ("activity_template", research_activity.id.as_str()),
    ]), today).await?;

    // Harbour View Surgery: adopts most of the master log, and keeps its own registers.
    for t in templates.iter().take(24) {
        r.adopt(&ig, &harbour, &t.id).await?;
    }
    // Its own DPIAs (the DPIA demo's) linked to the activities they assess.
    for (activity, dpia_title) in [
        ("Shared care record", "Dorset Care Record"),
        (
            "Video consultations",
            "MS Teams Patient Group Video Consultations - Trustwide",
        ),
    ] {
        let dpia: Option<String> = steward_db::query_scalar(
            "SELECT id FROM dpias WHERE organisation_id = $1 AND title = $2",
        )
        .bind(&harbour)
        .bind(dpia_title)
        .fetch_optional(&steward.db.pool)
        .await?;
        let id: Option<String> = steward_db::query_scalar(
            "SELECT id FROM processing_activities WHERE organisation_id = $1 AND name = $2",
        )
        .bind(&harbour)
        .bind(activity)
        .fetch_optional(&steward.db.pool)
        .await?;
        if let (Some(dpia), Some(id)) = (dpia, id) {
            let p = steward
                .permit::<steward_core::gate::ops::Change>(
                    &ig,
                    crate::store::kind_of(Register::Processing),
                    &id,
                )
                .await?;
            let e = r.entry(&p.as_read(), Register::Processing).await?;
            let mut values = e.values.clone();
            values.insert("dpia_id".into(), dpia);
            values.insert("dpia_reference".into(), String::new());
            r.update(&ig, &p, Register::Processing, &values, today)
                .await?;
        }
    }
    let emis = r
        .create(
            &ig,
            &harbour,
            Register::Assets,
            &m(&[
                ("name", "Clinical system"),
                ("asset_type", "clinical_system"),
                ("supplier", "Clinical system supplier (demo)"),
                ("hosting", "supplier_hosted"),
                ("location", "Supplier's UK data centres"),
                ("owner", "Dr Idris Penhallow (SIRO)"),
                ("administrator", "Morwenna Tregarthen"),
                ("data_held", "The GP record of every registered patient"),
                ("special_category", "yes"),
                ("volume", "over_10000"),
                (
                    "access_control",
                    "Smartcards and role-based access; monthly access audit",
                ),
                (
                    "continuity_plan",
                    "Paper templates and read-only copy; supplier recovery within 4 hours",
                ),
                ("contract", "NHS framework contract"),
                ("risk_likelihood", "2"),
                ("risk_impact", "5"),
            ]),
            today,
        )
        .await?;
    r.create(
        &ig,
        &harbour,
        Register::Assets,
        &m(&[
            ("name", "Telephone system with call recording"),
            ("asset_type", "network"),
            ("supplier", "Telephony supplier (demo)"),
            ("hosting", "cloud_uk"),
            ("location", "UK cloud"),
            ("owner", "Dr Idris Penhallow (SIRO)"),
            ("administrator", "Jasmine Oduya"),
            ("data_held", "Call recordings and call logs"),
            ("special_category", "yes"),
            ("volume", "over_10000"),
            ("access_control", "Named managers only"),
            ("risk_likelihood", "3"),
            ("risk_impact", "3"),
        ]),
        today,
    )
    .await?;
    r.create(
        &ig,
        &harbour,
        Register::Partners,
        &m(&[
            ("name", "Harbour Pharmacy"),
            ("partner_type", "pharmacy"),
            ("ods_code", "FX901"),
            ("ico_registration", "Z9000010"),
            ("toolkit_status", "met"),
        ]),
        today,
    )
    .await?;
    r.create(&ig, &harbour, Register::Agreements, &m(&[
        ("name", "Care home medicines sharing agreement"), ("agreement_type", "information_sharing"),
        ("parties", partners[0].id.as_str()), ("signatories", "Harbour View Surgery: Dr Idris Penhallow, SIRO\nWessex Coast Community NHS Trust: Director of Nursing"),
        ("signed_date", &*date(-300)), ("review_date", &*date(20)), ("expiry_date", &*date(65)),
    ]), today).await?;
    r.create(
        &ig,
        &harbour,
        Register::Processors,
        &m(&[
            ("name", "Confidential waste service (demo)"),
            (
                "service",
                "Collection and shredding of confidential paper waste",
            ),
            ("contract_reference", "CW-2026-01"),
            ("contract_end", &*date(200)),
            (
                "article_28",
                "guarantees\ninstructions\nconfidentiality\nsecurity\nend_of_contract",
            ),
            ("sub_processors", "None"),
            (
                "storage_location",
                "Locked bins on site; shredded at the supplier's UK depot",
            ),
            ("transfers", "None"),
            (
                "notes",
                "Certificates of destruction kept for every collection",
            ),
        ]),
        today,
    )
    .await?;
    let _ = emis;

    r.save_notice_settings(&ig, &harbour, &NoticeSettings {
        introduction: "We are a GP practice caring for about 9,000 people on the Wessex coast.".into(),
        controller_contact: "Harbour View Surgery, 1 Harbour Road, Wessex Coast. Telephone 01234 567890. Email harbour.view@nhs.example".into(),
        dpo_contact: "Priya Castellano, Wessex Coast DPO Service, dpo@wessex-dpo.example".into(),
        requirement_statement: "You do not have to give us your information, but without it we may not be able to care for you safely.".into(),
        automated_decisions: "We do not make decisions about you by computer alone.".into(),
    }).await?;
    r.publish_notice(&ig, &harbour, &PublishInput::default())
        .await?;
    Ok(())
}
