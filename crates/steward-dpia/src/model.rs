//! The assessment itself: what a DPIA holds, checked against the rule tables. The whole
//! DPIA is one document (kept as JSON beside its indexed fields), so a frozen version is a
//! copy of it and two versions compare field by field.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::rules::{Law, Matrix, Rules};

/// The residual risk "none" (seed 002's "No").
pub const NO_RESIDUAL: &str = "none";
/// The effect of a measure on a risk (ICO template, step 6).
pub const EFFECTS: [(&str, &str); 3] = [
    ("eliminated", "Eliminated"),
    ("reduced", "Reduced"),
    ("accepted", "Accepted"),
];

pub fn effect_label(code: &str) -> &'static str {
    EFFECTS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

macro_rules! schema {
    ($($t:item)*) => {$(
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
        #[serde(default)]
        $t
    )*};
}

schema! {
/// A question of a template and its answer, inside a section.
pub struct Qa {
    pub question: String,
    pub answer: String,
}

/// One section's answer. Not applicable only with a reason.
#[cfg_attr(feature = "service", schema(as = DpiaSection))]
pub struct Section {
    pub code: String,
    pub text: String,
    pub answers: Vec<Qa>,
    pub not_applicable: bool,
    pub reason: String,
}

/// A line of the data-items checklist: used or not, and why when used.
pub struct DataItem {
    pub code: String,
    /// For an item not on the checklist (imported or added): its words.
    pub label: String,
    pub used: bool,
    pub purpose: String,
}

/// A row of the data-flow table (seed 002).
pub struct DataFlow {
    pub category: String,
    pub whose: String,
    pub system: String,
    pub destination: String,
    pub purpose: String,
    pub frequency: String,
    pub transport: String,
    pub pid: bool,
    pub information_type: String,
}

/// A row of the access-control table (seed 002): who, why, when, how, what.
pub struct AccessControl {
    pub who: String,
    pub why: String,
    pub when: String,
    pub how: String,
    pub what: String,
}

/// A line of the individual-rights checklist.
pub struct RightAnswer {
    pub code: String,
    pub applies: bool,
    pub how: String,
}

/// A risk to individuals, rated on the DPIA's matrix. The overall risk is the matrix's,
/// unless the assessor records a different one with the reason.
#[cfg_attr(feature = "service", schema(as = DpiaRisk))]
pub struct Risk {
    pub id: String,
    pub number: i64,
    pub description: String,
    pub source: String,
    pub likelihood: i64,
    pub severity: i64,
    pub overall_override: String,
    pub override_reason: String,
}

/// A measure against one or more risks.
pub struct Measure {
    pub id: String,
    /// Ids of the risks it addresses.
    pub risks: Vec<String>,
    pub options: String,
    /// eliminated, reduced, accepted
    pub effect: String,
    /// A band code of the matrix, or "none".
    pub residual: String,
    pub approved: bool,
    /// Who carries it out, in words (a group or a person).
    pub owner: String,
    /// The user who owns the action made from it (else the DPIA's author).
    pub owner_id: String,
    /// YYYY-MM-DD
    pub due_date: String,
    /// The action made from it when the DPIA was approved.
    pub action_id: String,
}

/// Sign-off and outcomes (ICO template step 7; trust template step 9).
pub struct SignOff {
    pub measures_approved_by: String,
    pub residual_risks_approved_by: String,
    pub dpo_advice_provided_by: String,
    pub dpo_advice: String,
    /// accepted, overruled, or empty
    pub dpo_advice_decision: String,
    pub dpo_advice_decided_by: String,
    /// Required when the DPO's advice is overruled.
    pub overrule_reasons: String,
    pub consultation_reviewed_by: String,
    /// The decision departs from individuals' views: reasons required.
    pub consultation_departs: bool,
    pub consultation_reasons: String,
    pub kept_under_review_by: String,
    /// YYYY-MM-DD
    pub next_review_date: String,
    pub comments: String,
}

/// Prior consultation with the ICO (UK GDPR Art 36).
pub struct PriorConsultation {
    /// YYYY-MM-DD
    pub date: String,
    pub outcome: String,
    pub reference: String,
}

/// What the screening said, carried into the DPIA it started.
pub struct ScreeningSummary {
    pub questionnaire: String,
    pub summary: String,
    pub reasons: Vec<String>,
    pub answers: Vec<crate::screening::Answer>,
}

/// A reviewer's comment on a section.
pub struct ReviewComment {
    pub section: String,
    pub by: String,
    pub at: String,
    pub text: String,
}

/// The whole assessment.
pub struct Content {
    pub title: String,
    /// The matrix risks are rated on: ico, 5x5 or cnil.
    pub matrix: String,
    pub project_lead: String,
    pub planned_start: String,
    pub planned_completion: String,
    pub sections: Vec<Section>,
    pub data_items: Vec<DataItem>,
    pub data_flows: Vec<DataFlow>,
    pub access_controls: Vec<AccessControl>,
    /// Article 6(1) codes.
    pub article6: Vec<String>,
    /// Article 9(2) codes.
    pub article9: Vec<String>,
    /// Common-law duty of confidence codes.
    pub confidentiality: Vec<String>,
    pub legal_notes: String,
    pub rights: Vec<RightAnswer>,
    pub risks: Vec<Risk>,
    pub measures: Vec<Measure>,
    pub sign_off: SignOff,
    pub prior_consultation: PriorConsultation,
    pub screening: Option<ScreeningSummary>,
    pub comments: Vec<ReviewComment>,
    /// What an imported file held with no counterpart here, kept as it came (any JSON
    /// value; null when nothing was kept).
    #[cfg_attr(feature = "service", schema(value_type = Value))]
    pub kept: serde_json::Value,
}
}

pub type Problems = Vec<(String, String)>;

fn date_ok(s: &str) -> bool {
    s.trim().is_empty() || NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").is_ok()
}

impl Content {
    pub fn section(&self, code: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.code == code)
    }
    pub fn section_mut(&mut self, code: &str) -> &mut Section {
        if let Some(i) = self.sections.iter().position(|s| s.code == code) {
            return &mut self.sections[i];
        }
        self.sections.push(Section {
            code: code.into(),
            ..Default::default()
        });
        self.sections.last_mut().expect("just pushed")
    }
    pub fn risk(&self, id: &str) -> Option<&Risk> {
        self.risks.iter().find(|r| r.id == id)
    }
    pub fn measures_for<'a>(&'a self, risk_id: &'a str) -> impl Iterator<Item = &'a Measure> {
        self.measures
            .iter()
            .filter(move |m| m.risks.iter().any(|r| r == risk_id))
    }

    /// The overall (inherent) risk: the assessor's where recorded, else the matrix's.
    pub fn overall(&self, m: &Matrix, r: &Risk) -> String {
        if !r.overall_override.is_empty() {
            return r.overall_override.clone();
        }
        m.rate(r.likelihood, r.severity)
            .map(|x| x.band)
            .unwrap_or_default()
    }

    /// The residual risk: the lowest residual among the approved measures against it, or
    /// its overall risk while no approved measure addresses it.
    pub fn residual(&self, m: &Matrix, r: &Risk) -> String {
        self.measures_for(&r.id)
            .filter(|x| x.approved && !x.residual.is_empty())
            .min_by_key(|x| m.rank(&x.residual))
            .map(|x| x.residual.clone())
            .unwrap_or_else(|| self.overall(m, r))
    }

    /// Every problem with what was entered, as (field, message); empty when it is fine.
    pub fn check(&self, rules: &Rules) -> Problems {
        let mut e: Problems = vec![];
        let mut add = |f: &str, m: String| e.push((f.to_string(), m));
        if self.title.trim().is_empty() {
            add(
                "title",
                "Enter the name of the project, system or process".into(),
            );
        }
        let Some(matrix) = rules.matrix(&self.matrix) else {
            add("matrix", "Choose the risk matrix from the list".into());
            return e;
        };
        for (i, s) in self.sections.iter().enumerate() {
            if rules.section(&s.code).is_none() {
                add(
                    &format!("sections[{i}]"),
                    format!("{:?} is not a section of a DPIA", s.code),
                );
            } else if s.not_applicable && s.reason.trim().is_empty() {
                add(
                    &format!("section_{}", s.code),
                    format!(
                        "Give the reason \"{}\" does not apply",
                        rules
                            .section(&s.code)
                            .map(|d| d.title.as_str())
                            .unwrap_or("")
                    ),
                );
            }
        }
        for (i, d) in self.data_items.iter().enumerate() {
            let label = rules
                .data_item(&d.code)
                .map(|x| x.label.clone())
                .unwrap_or_else(|| d.label.clone());
            if rules.data_item(&d.code).is_none() && d.label.trim().is_empty() {
                add(&format!("data_items[{i}]"), "Name the data item".into());
            }
            if d.used && d.purpose.trim().is_empty() {
                add(
                    &format!("item_{}", d.code),
                    format!("{label} is answered Yes: give the purpose it is processed for"),
                );
            }
        }
        for (list, codes, what) in [
            (&rules.law.article6, &self.article6, "article6"),
            (&rules.law.article9, &self.article9, "article9"),
            (
                &rules.law.confidentiality,
                &self.confidentiality,
                "confidentiality",
            ),
        ] {
            for c in codes {
                if Law::find(list, c).is_none() {
                    add(what, format!("{c:?} is not on the list"));
                }
            }
        }
        for r in &self.rights {
            if Law::find(&rules.law.right, &r.code).is_none() {
                add(
                    "rights",
                    format!("{:?} is not an individual right on the list", r.code),
                );
            }
        }
        for r in &self.risks {
            let f = |n: &str| format!("risk_{}_{n}", r.number);
            if r.description.trim().is_empty() {
                add(&f("description"), format!("Describe risk {}", r.number));
            }
            if let Err(msg) = matrix.rate(r.likelihood, r.severity) {
                let field = if msg.starts_with("Likelihood") {
                    f("likelihood")
                } else {
                    f("severity")
                };
                add(&field, format!("Risk {}: {msg}", r.number));
            }
            if !r.overall_override.is_empty() {
                if matrix.band(&r.overall_override).is_none() {
                    add(
                        &f("overall"),
                        format!(
                            "Risk {}: choose the overall risk from the matrix's bands",
                            r.number
                        ),
                    );
                } else if r.override_reason.trim().is_empty() {
                    add(
                        &f("override_reason"),
                        format!(
                            "Risk {}: say why the overall risk differs from the matrix's",
                            r.number
                        ),
                    );
                }
            }
        }
        for (i, m) in self.measures.iter().enumerate() {
            let f = |n: &str| format!("measure_{}_{n}", i + 1);
            if m.options.trim().is_empty() {
                add(
                    &f("options"),
                    format!(
                        "Measure {}: describe the options to reduce or eliminate the risk",
                        i + 1
                    ),
                );
            }
            if m.risks.is_empty() {
                add(
                    &f("risks"),
                    format!("Measure {}: choose the risk it addresses", i + 1),
                );
            }
            for r in &m.risks {
                if self.risk(r).is_none() {
                    add(
                        &f("risks"),
                        format!(
                            "Measure {}: the risk it addresses is not on this DPIA",
                            i + 1
                        ),
                    );
                }
            }
            if effect_label(&m.effect).is_empty() {
                add(&f("effect"), format!("Measure {}: choose its effect on the risk: eliminated, reduced or accepted", i + 1));
            }
            if m.residual != NO_RESIDUAL && matrix.band(&m.residual).is_none() {
                add(
                    &f("residual"),
                    format!(
                        "Measure {}: choose the residual risk from the matrix's bands",
                        i + 1
                    ),
                );
            }
            if !date_ok(&m.due_date) {
                add(
                    &f("due_date"),
                    format!("Measure {}: the due date must be a real date", i + 1),
                );
            }
        }
        let s = &self.sign_off;
        if !matches!(
            s.dpo_advice_decision.as_str(),
            "" | "accepted" | "overruled"
        ) {
            add("dpo_advice_decision", "Choose accepted or overruled".into());
        }
        if s.dpo_advice_decision == "overruled" && s.overrule_reasons.trim().is_empty() {
            add(
                "overrule_reasons",
                "The DPO's advice is overruled: explain your reasons".into(),
            );
        }
        if s.consultation_departs && s.consultation_reasons.trim().is_empty() {
            add(
                "consultation_reasons",
                "The decision departs from individuals' views: explain your reasons".into(),
            );
        }
        if !date_ok(&s.next_review_date) {
            add(
                "next_review_date",
                "The next review date must be a real date".into(),
            );
        }
        if !date_ok(&self.prior_consultation.date) {
            add(
                "prior_consultation_date",
                "The date of the prior consultation must be a real date".into(),
            );
        }
        e
    }

    /// What stops approval: the Art 36 rule. A residual risk in a band that needs prior
    /// consultation (High) can be approved only when the consultation with the ICO is
    /// recorded with its date and outcome.
    pub fn approval_problems(&self, rules: &Rules) -> Problems {
        let mut e = self.check(rules);
        let Some(matrix) = rules.matrix(&self.matrix) else {
            return e;
        };
        let consulted = !self.prior_consultation.date.trim().is_empty()
            && !self.prior_consultation.outcome.trim().is_empty();
        if !consulted {
            for r in &self.risks {
                let residual = self.residual(matrix, r);
                if matrix.needs_art36(&residual) {
                    e.push((
                        "prior_consultation_date".into(),
                        format!(
                            "Risk {} has a {} residual risk: record the prior consultation with the ICO (UK GDPR Article 36), its date and outcome, before approving",
                            r.number,
                            matrix.band_label(&residual).to_lowercase()
                        ),
                    ));
                }
            }
        }
        e
    }

    /// Numbers risks 1, 2, 3 ... in order and gives new ones an id.
    pub fn number_risks(&mut self, new_id: &mut dyn FnMut() -> String) {
        for (i, r) in self.risks.iter_mut().enumerate() {
            r.number = i as i64 + 1;
            if r.id.is_empty() {
                r.id = new_id();
            }
        }
        for m in self.measures.iter_mut() {
            if m.id.is_empty() {
                m.id = new_id();
            }
        }
    }

    /// A DPIA started from nothing: every section, every data item (No), every right.
    pub fn blank(rules: &Rules, title: &str, matrix: &str) -> Content {
        Content {
            title: title.into(),
            matrix: matrix.into(),
            sections: rules
                .sections
                .iter()
                .map(|s| Section {
                    code: s.code.clone(),
                    ..Default::default()
                })
                .collect(),
            data_items: rules
                .data_items
                .iter()
                .map(|d| DataItem {
                    code: d.code.clone(),
                    ..Default::default()
                })
                .collect(),
            rights: rules
                .law
                .right
                .iter()
                .map(|r| RightAnswer {
                    code: r.code.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Content {
        let r = Rules::embedded();
        let mut c = Content::blank(r, "Video group consultations", "ico");
        c.risks.push(Risk {
            id: "r1".into(),
            number: 1,
            description: "System could be compromised".into(),
            likelihood: 3,
            severity: 3,
            ..Default::default()
        });
        c
    }

    #[test]
    fn a_likelihood_outside_the_matrix_is_refused() {
        let mut c = sample();
        c.risks[0].likelihood = 4;
        let e = c.check(Rules::embedded());
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].0, "risk_1_likelihood");
        assert!(e[0].1.contains("Probable (3)"));
    }

    #[test]
    fn a_yes_data_item_needs_its_purpose() {
        let mut c = sample();
        c.data_items[0].used = true;
        let e = c.check(Rules::embedded());
        assert_eq!(e[0].0, "item_name");
        assert!(e[0].1.starts_with("Name is answered Yes"));
        c.data_items[0].purpose = "To admit the patient from the lobby".into();
        assert!(c.check(Rules::embedded()).is_empty());
    }

    #[test]
    fn not_applicable_needs_a_reason() {
        let mut c = sample();
        c.section_mut("transfers").not_applicable = true;
        assert_eq!(c.check(Rules::embedded())[0].0, "section_transfers");
        c.section_mut("transfers").reason = "Data stays in the UK".into();
        assert!(c.check(Rules::embedded()).is_empty());
    }

    #[test]
    fn a_high_residual_risk_needs_the_ico_consulted_before_approval() {
        let r = Rules::embedded();
        let mut c = sample();
        let e = c.approval_problems(r);
        assert_eq!(e.len(), 1);
        assert!(e[0].1.contains("Article 36"), "{}", e[0].1);
        // A measure that brings it down to medium, approved: fine.
        c.measures.push(Measure {
            id: "m1".into(),
            risks: vec!["r1".into()],
            options: "Penetration testing".into(),
            effect: "reduced".into(),
            residual: "medium".into(),
            approved: true,
            ..Default::default()
        });
        assert!(c.approval_problems(r).is_empty());
        // Not approved: the risk stays high.
        c.measures[0].approved = false;
        assert_eq!(c.approval_problems(r).len(), 1);
        // The ICO consulted, with a date but no outcome: still refused; with both: fine.
        c.prior_consultation.date = "2021-02-01".into();
        assert_eq!(c.approval_problems(r).len(), 1);
        c.prior_consultation.outcome =
            "The ICO advised the processing may proceed with the measures.".into();
        assert!(c.approval_problems(r).is_empty());
    }

    #[test]
    fn overruling_the_dpo_needs_reasons() {
        let mut c = sample();
        c.sign_off.dpo_advice_decision = "overruled".into();
        assert_eq!(c.check(Rules::embedded())[0].0, "overrule_reasons");
        c.sign_off.consultation_departs = true;
        assert_eq!(c.check(Rules::embedded()).len(), 2);
    }
}
