//! The privacy notice, generated from the registers and never written twice: who the
//! organisation is, its data protection officer, each processing activity (purposes, lawful
//! basis, recipients, retention), the sharing projects it has joined, rights, the National
//! Data Opt-out and how to complain. Checked against the Article 13/14 elements of
//! `data/notice-elements.toml`: a notice with an element missing is not published.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fields::is_none_answer;
use crate::readability::{flesch, Readability};
use crate::rules::Rules;

/// The checks an element of `notice-elements.toml` may name.
pub const CHECKS: [&str; 12] = [
    "always",
    "controller_contact",
    "dpo_contact",
    "activities_purposes",
    "legitimate_interests",
    "data_categories",
    "recipients",
    "transfers",
    "retention",
    "requirement_statement",
    "sources",
    "automated_decisions",
];

/// What the editor writes; everything else comes from the registers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NoticeSettings {
    /// A few plain sentences at the top.
    pub introduction: String,
    /// The organisation's address, telephone and e-mail.
    pub controller_contact: String,
    /// How to reach the data protection officer.
    pub dpo_contact: String,
    /// Whether people must give their information, and what happens if they do not.
    pub requirement_statement: String,
    /// Whether decisions are made by automated means alone ("We do not" is an answer).
    pub automated_decisions: String,
}

#[derive(Debug, Clone, Default)]
pub struct NoticeActivity {
    pub name: String,
    pub values: BTreeMap<String, String>,
    pub partner_names: Vec<String>,
    /// The sharing project the activity came with.
    pub project: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct NoticeProject {
    pub id: String,
    pub name: String,
    pub patient_description: String,
    pub partners: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NoticeInput {
    pub organisation_name: String,
    pub settings: NoticeSettings,
    pub activities: Vec<NoticeActivity>,
    pub projects: Vec<NoticeProject>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[schema(as = NoticeSection)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Missing {
    pub code: String,
    pub article: String,
    pub label: String,
    /// What to do, and which records lack it.
    pub fix: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct GeneratedNotice {
    pub title: String,
    pub sections: Vec<Section>,
    pub projects: Vec<NoticeProject>,
    /// Article 13/14 elements not yet covered: the notice cannot be published.
    pub missing: Vec<Missing>,
    pub reading_ease: f64,
    pub reading_band: String,
}

impl GeneratedNotice {
    /// All the notice's words, for the readability score and for comparing versions.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for s in &self.sections {
            out.push_str(&s.heading);
            out.push('\n');
            for p in s.paragraphs.iter().chain(&s.items) {
                out.push_str(p);
                out.push('\n');
            }
        }
        out
    }
}

fn section(heading: &str, paragraphs: Vec<String>, items: Vec<String>) -> Section {
    Section {
        heading: heading.into(),
        paragraphs,
        items,
    }
}

fn sentence(s: &str) -> String {
    let t = s.trim();
    if t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

pub const RIGHTS_TEXT: [&str; 6] = [
    "You can ask for a copy of the information we hold about you (the right of access).",
    "You can ask us to correct information that is wrong (the right to rectification).",
    "You can ask us to delete information or to limit how we use it, in some circumstances (the rights to erasure and restriction).",
    "You can object to some uses of your information (the right to object).",
    "You can ask for information you gave us in a form a computer can read, in some circumstances (the right to data portability).",
    "To use any of these rights, contact the practice. We reply within one month.",
];

pub const COMPLAINT_TEXT: &str = "If you are unhappy with how we use your information, please tell us first. You can also complain to the Information Commissioner's Office: ico.org.uk/make-a-complaint, telephone 0303 123 1113.";

pub const OPT_OUT_TEXT: &str = "The National Data Opt-out lets you stop your confidential patient information being used for research and planning. It does not affect your care. You can set your choice at nhs.uk/your-nhs-data-matters or by calling 0300 303 5678.";

/// Generates the notice and checks it against the Article 13/14 elements.
pub fn generate(rules: &Rules, input: &NoticeInput) -> GeneratedNotice {
    let s = &input.settings;
    let v = |a: &NoticeActivity, k: &str| a.values.get(k).cloned().unwrap_or_default();
    let mut sections = Vec::new();

    let mut who = vec![format!(
        "{} is responsible for looking after the information we hold about you. This notice explains what we hold, why, who we share it with and your rights.",
        input.organisation_name
    )];
    if !s.introduction.trim().is_empty() {
        who.push(s.introduction.trim().to_string());
    }
    if !s.controller_contact.trim().is_empty() {
        who.push(format!(
            "How to contact us: {}",
            sentence(&s.controller_contact)
        ));
    }
    sections.push(section("Who we are", who, vec![]));
    if !s.dpo_contact.trim().is_empty() {
        sections.push(section(
            "Our data protection officer",
            vec![format!(
                "Our data protection officer checks that we use your information lawfully. Contact them: {}",
                sentence(&s.dpo_contact)
            )],
            vec![],
        ));
    }

    let groups = [
        ("direct_care", "How we use your information for your care"),
        ("secondary", "Other ways we use your information"),
        ("administration", "Running the practice"),
    ];
    let mut consent_used = false;
    let mut transfers = Vec::new();
    let mut opt_out = Vec::new();
    for (purpose, heading) in groups {
        let mut items = Vec::new();
        for a in input
            .activities
            .iter()
            .filter(|a| v(a, "care_purpose") == purpose)
        {
            let basis = rules.basis(&v(a, "lawful_basis"));
            consent_used |= basis.is_some_and(|b| b.consent)
                || v(a, "special_category_condition") == "explicit_consent";
            let mut line = format!("{}: {}", a.name, sentence(&v(a, "purposes")));
            line.push_str(&format!(
                " Information used: {}",
                sentence(&v(a, "data_categories"))
            ));
            line.push_str(&format!(" It comes from: {}", sentence(&v(a, "sources"))));
            if let Some(b) = basis {
                line.push_str(&format!(
                    " Our lawful basis is {} ({}).",
                    b.label.to_lowercase(),
                    b.article
                ));
            }
            if v(a, "special_category") == "yes" {
                if let Some(c) = rules
                    .conditions
                    .basis
                    .iter()
                    .find(|c| c.code == v(a, "special_category_condition"))
                {
                    line.push_str(&format!(
                        " For health information: {} ({}).",
                        c.label.to_lowercase(),
                        c.article
                    ));
                }
            }
            let li = v(a, "legitimate_interests");
            if !li.is_empty() {
                line.push_str(&format!(" Our legitimate interests: {}", sentence(&li)));
            }
            let mut recipients = v(a, "recipients");
            if !a.partner_names.is_empty() {
                let names = a.partner_names.join(", ");
                recipients = if is_none_answer(&recipients) || recipients.is_empty() {
                    names
                } else {
                    format!("{}; {names}", recipients.trim_end_matches('.'))
                };
            }
            if is_none_answer(&recipients) {
                line.push_str(" We do not share it.");
            } else if !recipients.is_empty() {
                line.push_str(&format!(" We share it with: {}", sentence(&recipients)));
            }
            let keep = v(a, "retention");
            if !keep.is_empty() {
                line.push_str(&format!(" We keep it: {}", sentence(&keep)));
            }
            if let Some(p) = &a.project {
                line.push_str(&format!(" This is part of the sharing project \"{p}\"."));
            }
            items.push(line);
            let t = v(a, "transfers");
            if !t.is_empty() && !is_none_answer(&t) {
                transfers.push(format!(
                    "{}: {} Safeguards: {}",
                    a.name,
                    sentence(&t),
                    sentence(&v(a, "transfer_safeguards"))
                ));
            }
            if v(a, "opt_out_applies") == "yes" {
                opt_out.push(format!("{}: {}", a.name, sentence(&v(a, "opt_out_how"))));
            }
        }
        if !items.is_empty() {
            sections.push(section(heading, vec![], items));
        }
    }

    if !input.projects.is_empty() {
        sections.push(section(
            "Sharing projects we take part in",
            vec!["We take part in these projects, approved by our data protection officer.".into()],
            input
                .projects
                .iter()
                .map(|p| {
                    let mut line = format!("{}: {}", p.name, sentence(&p.patient_description));
                    if !p.partners.is_empty() {
                        line.push_str(&format!(" Partners: {}.", p.partners.join(", ")));
                    }
                    line
                })
                .collect(),
        ));
    }
    sections.push(section(
        "Sending information outside the UK",
        if transfers.is_empty() {
            vec!["We do not send your information outside the UK.".into()]
        } else {
            vec!["Some information leaves the UK, with these safeguards.".into()]
        },
        transfers,
    ));
    if !opt_out.is_empty() {
        sections.push(section(
            "The National Data Opt-out",
            vec![OPT_OUT_TEXT.into()],
            opt_out,
        ));
    }
    let mut rights: Vec<String> = RIGHTS_TEXT.iter().map(|s| s.to_string()).collect();
    if consent_used {
        rights.push("Where we rely on your consent, you can withdraw it at any time. This does not affect what we did before.".into());
    }
    sections.push(section("Your rights", vec![], rights));
    if !s.requirement_statement.trim().is_empty() {
        sections.push(section(
            "Do you have to give us your information?",
            vec![s.requirement_statement.trim().to_string()],
            vec![],
        ));
    }
    if !s.automated_decisions.trim().is_empty() {
        sections.push(section(
            "Decisions made by computer",
            vec![s.automated_decisions.trim().to_string()],
            vec![],
        ));
    }
    sections.push(section(
        "How to complain",
        vec![COMPLAINT_TEXT.into()],
        vec![],
    ));

    // The Article 13/14 check.
    let lacking = |key: &str| -> Vec<String> {
        input
            .activities
            .iter()
            .filter(|a| v(a, key).trim().is_empty())
            .map(|a| a.name.clone())
            .collect()
    };
    let mut missing = Vec::new();
    for e in &rules.elements.element {
        let gap: Option<String> = match e.check.as_str() {
            "always" => None,
            "controller_contact" => s.controller_contact.trim().is_empty().then(String::new),
            "dpo_contact" => s.dpo_contact.trim().is_empty().then(String::new),
            "requirement_statement" => s.requirement_statement.trim().is_empty().then(String::new),
            "automated_decisions" => s.automated_decisions.trim().is_empty().then(String::new),
            "activities_purposes" => {
                if input.activities.is_empty() {
                    Some(" The processing activities log is empty.".into())
                } else {
                    let mut names = lacking("purposes");
                    names.extend(lacking("lawful_basis"));
                    (!names.is_empty()).then(|| format!(" Lacking: {}.", names.join(", ")))
                }
            }
            "legitimate_interests" => {
                let names: Vec<String> = input
                    .activities
                    .iter()
                    .filter(|a| {
                        rules
                            .basis(&v(a, "lawful_basis"))
                            .is_some_and(|b| b.legitimate_interests)
                            && v(a, "legitimate_interests").trim().is_empty()
                    })
                    .map(|a| a.name.clone())
                    .collect();
                (!names.is_empty()).then(|| format!(" Lacking: {}.", names.join(", ")))
            }
            "transfers" => {
                let mut names = lacking("transfers");
                names.extend(
                    input
                        .activities
                        .iter()
                        .filter(|a| {
                            let t = v(a, "transfers");
                            !t.is_empty()
                                && !is_none_answer(&t)
                                && v(a, "transfer_safeguards").trim().is_empty()
                        })
                        .map(|a| a.name.clone()),
                );
                (!names.is_empty()).then(|| format!(" Lacking: {}.", names.join(", ")))
            }
            key @ ("data_categories" | "recipients" | "retention" | "sources") => {
                let names = lacking(key);
                (!names.is_empty()).then(|| format!(" Lacking: {}.", names.join(", ")))
            }
            _ => None,
        };
        if let Some(detail) = gap {
            missing.push(Missing {
                code: e.code.clone(),
                article: e.article.clone(),
                label: e.label.clone(),
                fix: format!("{}{detail}", e.fix),
            });
        }
    }
    let mut notice = GeneratedNotice {
        title: format!("Privacy notice: {}", input.organisation_name),
        sections,
        projects: input.projects.clone(),
        missing,
        reading_ease: 0.0,
        reading_band: String::new(),
    };
    let r: Readability = flesch(&notice.text());
    notice.reading_ease = (r.score * 10.0).round() / 10.0;
    notice.reading_band = r.band().into();
    notice
}

/// A short list of what changed between two published versions (headings and items added
/// or removed), to suggest the change summary.
pub fn changes(before: &GeneratedNotice, after: &GeneratedNotice) -> Vec<String> {
    let lines = |n: &GeneratedNotice| -> Vec<String> {
        n.sections
            .iter()
            .flat_map(|s| {
                s.items
                    .iter()
                    .map(|i| i.split(':').next().unwrap_or("").to_string())
            })
            .collect()
    };
    let (b, a) = (lines(before), lines(after));
    let mut out = Vec::new();
    for x in a.iter().filter(|x| !b.contains(x)) {
        out.push(format!("Added: {x}"));
    }
    for x in b.iter().filter(|x| !a.contains(x)) {
        out.push(format!("Removed: {x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(name: &str) -> NoticeActivity {
        let values = [
            ("care_purpose", "direct_care"),
            ("purposes", "To refer you to hospital"),
            ("lawful_basis", "public_task"),
            ("special_category", "yes"),
            ("special_category_condition", "health_care"),
            ("data_categories", "Health records"),
            ("sources", "You and your GP"),
            ("recipients", "Hospitals"),
            ("transfers", "None"),
            ("retention", "10 years after death"),
            ("opt_out_applies", "no"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        NoticeActivity {
            name: name.into(),
            values,
            partner_names: vec!["Wessex Coast Community NHS Trust".into()],
            project: None,
        }
    }

    fn settings() -> NoticeSettings {
        NoticeSettings {
            controller_contact: "1 Harbour Road".into(),
            dpo_contact: "dpo@example.test".into(),
            requirement_statement: "You do not have to give us information, but we may not be able to care for you safely.".into(),
            automated_decisions: "We do not make decisions about you by computer alone.".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_notice_has_nothing_missing_and_names_partners_and_projects() {
        let r = Rules::embedded();
        let n = generate(
            &r,
            &NoticeInput {
                organisation_name: "Harbour View Surgery".into(),
                settings: settings(),
                activities: vec![activity("Referrals")],
                projects: vec![NoticeProject {
                    id: "p".into(),
                    name: "Frailty project".into(),
                    patient_description: "Care coordinators see your record".into(),
                    partners: vec!["Wessex Coast Community NHS Trust".into()],
                }],
            },
        );
        assert!(n.missing.is_empty(), "{:?}", n.missing);
        let text = n.text();
        assert!(text.contains("Frailty project"));
        assert!(text.contains("We share it with: Hospitals; Wessex Coast Community NHS Trust."));
        assert!(text.contains("public task (Article 6(1)(e))"));
        assert!(text.contains("Information Commissioner"));
        assert!(n.reading_ease > 0.0);
    }

    #[test]
    fn missing_elements_are_listed_with_the_article() {
        let r = Rules::embedded();
        let mut a = activity("Referrals");
        a.values
            .insert("lawful_basis".into(), "legitimate_interests".into());
        a.values
            .insert("transfers".into(), "A support desk in India".into());
        let n = generate(
            &r,
            &NoticeInput {
                organisation_name: "Harbour View Surgery".into(),
                settings: NoticeSettings {
                    dpo_contact: String::new(),
                    ..settings()
                },
                activities: vec![a],
                projects: vec![],
            },
        );
        let codes: Vec<_> = n.missing.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(codes, ["dpo", "legitimate_interests", "transfers"]);
        assert!(n.missing[0].article.contains("13(1)(b)"));
        assert!(n.missing[1].fix.contains("Referrals"));
        let empty = generate(&r, &NoticeInput::default());
        assert!(empty
            .missing
            .iter()
            .any(|m| m.code == "purposes" && m.fix.contains("log is empty")));
        assert!(empty.missing.iter().any(|m| m.code == "controller"));
    }

    #[test]
    fn changes_name_added_and_removed_activities() {
        let r = Rules::embedded();
        let one = NoticeInput {
            organisation_name: "H".into(),
            settings: settings(),
            activities: vec![activity("Referrals")],
            projects: vec![],
        };
        let mut two = one.clone();
        two.activities.push(activity("Screening"));
        let c = changes(&generate(&r, &one), &generate(&r, &two));
        assert_eq!(c, ["Added: Screening"]);
    }
}
