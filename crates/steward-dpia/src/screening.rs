//! Screening: answer a questionnaire (data), get the outcome with its reasons.

use serde::{Deserialize, Serialize};

use crate::rules::Questionnaire;

/// One answer: yes or no, with a comment (the trust template asks for detail when Yes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "service", schema(as = ScreeningAnswer))]
#[serde(default)]
pub struct Answer {
    pub question: String,
    pub yes: bool,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "service", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "service", schema(as = ScreeningOutcome))]
pub struct Outcome {
    pub dpia_required: bool,
    /// The rule's own words.
    pub summary: String,
    /// Why: the questions answered Yes (or, when none is, that every answer is No).
    pub reasons: Vec<String>,
}

/// Checks every question is answered exactly once; the messages name the question.
pub fn check(q: &Questionnaire, answers: &[Answer]) -> Vec<(String, String)> {
    let mut e = vec![];
    for question in &q.question {
        if !answers.iter().any(|a| a.question == question.code) {
            e.push((
                format!("answer_{}", question.code),
                format!("Answer Yes or No: {}", question.text),
            ));
        }
    }
    for a in answers {
        if !q.question.iter().any(|x| x.code == a.question) {
            e.push((
                "answers".into(),
                format!("{:?} is not a question of this screening", a.question),
            ));
        }
    }
    e
}

pub fn outcome(q: &Questionnaire, answers: &[Answer]) -> Outcome {
    let yes = |code: &str| answers.iter().any(|a| a.question == code && a.yes);
    let text = |code: &str| {
        q.question
            .iter()
            .find(|x| x.code == code)
            .map(|x| x.text.clone())
            .unwrap_or_default()
    };
    match q.rule.as_str() {
        "ico_edpb" => {
            let edpb: Vec<_> = q
                .question
                .iter()
                .filter(|x| x.group == "edpb" && yes(&x.code))
                .collect();
            let mut reasons = vec![];
            for x in q
                .question
                .iter()
                .filter(|x| x.group == "ico" && yes(&x.code))
            {
                if !x.combined || !edpb.is_empty() {
                    reasons.push(format!("ICO high-risk list: {}", x.text));
                }
            }
            if edpb.len() >= q.edpb_threshold {
                reasons.push(format!(
                    "{} EDPB criteria met: {}",
                    edpb.len(),
                    edpb.iter()
                        .map(|x| x.text.trim_end_matches('.'))
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
            let required = !reasons.is_empty();
            if !required {
                reasons.push(format!(
                    "Nothing on the ICO's list applies; {} EDPB {} met (a DPIA is expected from {}).",
                    edpb.len(),
                    if edpb.len() == 1 { "criterion" } else { "criteria" },
                    q.edpb_threshold
                ));
            }
            Outcome {
                dpia_required: required,
                summary: if required {
                    q.required_text.clone()
                } else {
                    q.not_required_text.clone()
                },
                reasons,
            }
        }
        _ => {
            let reasons: Vec<String> = answers
                .iter()
                .filter(|a| a.yes)
                .map(|a| format!("Yes: {}", text(&a.question)))
                .collect();
            let required = !reasons.is_empty();
            Outcome {
                dpia_required: required,
                summary: if required {
                    q.required_text.clone()
                } else {
                    q.not_required_text.clone()
                },
                reasons: if required {
                    reasons
                } else {
                    vec![format!("All {} answers are No.", q.question.len())]
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn answers(q: &Questionnaire, yes: &[&str]) -> Vec<Answer> {
        q.question
            .iter()
            .map(|x| Answer {
                question: x.code.clone(),
                yes: yes.contains(&x.code.as_str()),
                comment: String::new(),
            })
            .collect()
    }

    #[test]
    fn all_no_on_the_trust_questions_means_no_dpia_with_why() {
        let q = Rules::embedded().questionnaire("trust").unwrap();
        let o = outcome(q, &answers(q, &[]));
        assert!(!o.dpia_required);
        assert_eq!(o.reasons, vec!["All 17 answers are No."]);
        assert!(o.summary.contains("not required"));
        let o = outcome(q, &answers(q, &["matching"]));
        assert!(o.dpia_required);
        assert!(o.reasons[0].contains("combining, comparing or matching"));
    }

    #[test]
    fn two_edpb_criteria_expect_a_dpia_one_does_not() {
        let q = Rules::embedded().questionnaire("ico").unwrap();
        assert!(!outcome(q, &answers(q, &["edpb_sensitive"])).dpia_required);
        assert!(outcome(q, &answers(q, &["edpb_sensitive", "edpb_vulnerable"])).dpia_required);
        // Innovative technology counts only with an EDPB criterion.
        assert!(!outcome(q, &answers(q, &["ico_innovative"])).dpia_required);
        assert!(outcome(q, &answers(q, &["ico_innovative", "edpb_sensitive"])).dpia_required);
        assert!(outcome(q, &answers(q, &["ico_matching"])).dpia_required);
    }

    #[test]
    fn unanswered_questions_are_named() {
        let q = Rules::embedded().questionnaire("trust").unwrap();
        let e = check(q, &answers(q, &[])[1..]);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].0, "answer_patient_staff_information");
    }
}
