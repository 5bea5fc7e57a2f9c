//! The CNIL PIA tool's JSON (github.com/LINCnil/pia): its sections, answers, risks
//! (severity and likelihood gauges) and measures mapped to Steward's and back. What has no
//! counterpart is kept in the DPIA's `kept` and written back on export. A file that is not a
//! PIA is refused with the reason, before anything is saved.

use serde_json::{json, Map, Value};

use crate::model::{Content, Measure, Qa, ReviewComment, Risk};
use crate::rules::Rules;

/// The tool's three risks: (question group, Steward's words, words that place a risk there).
const CNIL_RISKS: [(u32, &str, &[&str]); 3] = [
    (
        32,
        "Illegitimate access to data",
        &["access", "disclos", "breach", "compromis", "view"],
    ),
    (
        33,
        "Unwanted modification of data",
        &["modif", "corrupt", "inaccura", "error", "wrong"],
    ),
    (
        34,
        "Data disappearance",
        &["loss", "lost", "disappear", "destr", "unavailab", "delet"],
    ),
];

/// Why a file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn html_to_text(s: &str) -> String {
    let s = s
        .replace("</p>", "\n\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</li>", "\n")
        .replace("</div>", "\n\n");
    let mut out = String::new();
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn text_to_html(s: &str) -> String {
    s.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            format!(
                "<p>{}</p>",
                p.trim()
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            )
        })
        .collect()
}

/// `reference_to` arrives as a number or a string.
fn reference(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

fn str_of(o: &Value, k: &str) -> String {
    o.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

/// Whether a JSON document looks like the CNIL tool's (has `pia`).
pub fn is_cnil(v: &Value) -> bool {
    v.get("pia").is_some()
}

/// Reads a CNIL PIA file into a DPIA on the CNIL 4x4 matrix.
pub fn import(
    rules: &Rules,
    v: &Value,
    new_id: &mut dyn FnMut() -> String,
) -> Result<Content, Refused> {
    let pia = v
        .get("pia")
        .filter(|p| p.is_object())
        .ok_or_else(|| Refused("This is not a CNIL PIA file: it has no \"pia\" object".into()))?;
    let name = str_of(pia, "name");
    if name.trim().is_empty() {
        return Err(Refused(
            "The CNIL PIA file has no name (pia.name is required)".into(),
        ));
    }
    for k in ["answers", "measures", "evaluations", "comments"] {
        if !v.get(k).is_some_and(Value::is_array) {
            return Err(Refused(format!(
                "The CNIL PIA file has no \"{k}\" list (the tool needs all four: answers, measures, evaluations, comments; empty is fine)"
            )));
        }
    }
    let arr = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    let mut c = Content::blank(rules, name.trim(), "cnil");
    c.project_lead = str_of(pia, "author_name");
    c.sign_off.dpo_advice = html_to_text(&str_of(pia, "dpo_opinion"));
    c.sign_off.dpo_advice_provided_by = match pia.get("dpos_names") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    c.sign_off.residual_risks_approved_by = str_of(pia, "validator_name");
    c.sign_off.consultation_reviewed_by = match pia.get("people_names") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let opinion = html_to_text(&str_of(pia, "concerned_people_opinion"));
    if !opinion.is_empty() {
        c.section_mut("consultation").text = opinion;
    }

    let mut unmapped_answers = vec![];
    // Per CNIL risk group: impacts, threats, sources, controls, severity, likelihood.
    let mut groups: std::collections::BTreeMap<u32, [Value; 6]> = Default::default();
    for a in arr("answers") {
        let Some(r) = a.get("reference_to").and_then(reference) else {
            return Err(Refused(
                "An answer of the CNIL PIA file has no question number (reference_to)".into(),
            ));
        };
        let Ok(n) = r.parse::<u32>() else {
            return Err(Refused(format!(
                "An answer of the CNIL PIA file names the question {r:?}, which is not a number"
            )));
        };
        let data = a.get("data").cloned().unwrap_or(Value::Null);
        let text = html_to_text(data.get("text").and_then(Value::as_str).unwrap_or(""));
        let list: Vec<String> = data
            .get("list")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        if (321..=346).contains(&n) && matches!(n / 10, 32..=34) && (1..=6).contains(&(n % 10)) {
            let g = groups.entry(n / 10).or_default();
            g[(n % 10 - 1) as usize] = data;
            continue;
        }
        if let Some(def) = rules.sections.iter().find(|s| s.cnil == Some(n)) {
            let s = c.section_mut(&def.code);
            if !text.is_empty() {
                s.text = text;
            }
            for item in list {
                s.answers.push(Qa {
                    question: "Listed in the CNIL PIA".into(),
                    answer: item,
                });
            }
        } else {
            unmapped_answers.push(a);
        }
    }
    let list_of = |v: &Value| -> Vec<String> {
        v.get("list")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let gauge = |v: &Value| {
        v.get("gauge")
            .and_then(Value::as_i64)
            .filter(|g| (1..=4).contains(g))
    };
    let mut control_titles: Vec<(String, Vec<String>)> = vec![];
    for (g, data) in &groups {
        let Some((_, words, _)) = CNIL_RISKS.iter().find(|(n, _, _)| n == g) else {
            continue;
        };
        let (Some(sev), Some(lik)) = (gauge(&data[4]), gauge(&data[5])) else {
            // Not yet rated in the tool: kept as it came.
            unmapped_answers.push(json!({ "risk_group": g, "data": data.to_vec() }));
            continue;
        };
        let impacts = list_of(&data[0]);
        let mut description = words.to_string();
        if !impacts.is_empty() {
            description.push_str(&format!(": {}", impacts.join("; ")));
        }
        let mut sources = list_of(&data[1]);
        sources.extend(list_of(&data[2]));
        let id = new_id();
        control_titles.push((id.clone(), list_of(&data[3])));
        c.risks.push(Risk {
            id,
            number: c.risks.len() as i64 + 1,
            description,
            source: sources.join("; "),
            likelihood: lik,
            severity: sev,
            ..Default::default()
        });
    }
    let evaluations = arr("evaluations");
    let mut unmapped_measures = vec![];
    for m in arr("measures") {
        let title = str_of(&m, "title");
        let content = html_to_text(&str_of(&m, "content"));
        let mid = m.get("id").and_then(reference).unwrap_or_default();
        let mut risks: Vec<String> = control_titles
            .iter()
            .filter(|(_, titles)| titles.iter().any(|t| t.trim() == title.trim()))
            .map(|(id, _)| id.clone())
            .collect();
        if risks.is_empty() {
            risks = c.risks.iter().map(|r| r.id.clone()).collect();
        }
        if risks.is_empty() || (title.trim().is_empty() && content.is_empty()) {
            unmapped_measures.push(m);
            continue;
        }
        let approved = evaluations.iter().any(|e| {
            e.get("reference_to").and_then(reference).as_deref() == Some(&format!("3.1.{mid}"))
                && e.get("status").and_then(Value::as_i64) == Some(3)
        });
        let matrix = rules.matrix("cnil").expect("shipped");
        let residual = risks
            .iter()
            .filter_map(|id| c.risk(id))
            .map(|r| c.overall(matrix, r))
            .max_by_key(|b| matrix.rank(b))
            .unwrap_or_else(|| "low".into());
        c.measures.push(Measure {
            id: new_id(),
            risks,
            options: if content.is_empty() {
                title.clone()
            } else {
                format!("{title}\n\n{content}")
            },
            effect: "reduced".into(),
            residual,
            approved,
            ..Default::default()
        });
    }
    for cm in arr("comments") {
        let section = cm
            .get("reference_to")
            .and_then(reference)
            .and_then(|r| r.parse::<u32>().ok())
            .and_then(|n| rules.sections.iter().find(|s| s.cnil == Some(n)))
            .map(|s| s.code.clone())
            .unwrap_or_default();
        c.comments.push(ReviewComment {
            section,
            by: "CNIL PIA tool".into(),
            at: str_of(&cm, "created_at"),
            text: html_to_text(&str_of(&cm, "description")),
        });
    }
    c.kept = json!({
        "source": "cnil_pia",
        "pia": pia,
        "answers": unmapped_answers,
        "measures": unmapped_measures,
        "evaluations": evaluations,
    });
    Ok(c)
}

/// Scales a level of a matrix of `n` levels to the tool's 1-4 gauge.
fn to_gauge(level: i64, n: u8) -> i64 {
    if n == 4 {
        return level;
    }
    ((level * 4 + i64::from(n) - 1) / i64::from(n)).clamp(1, 4)
}

/// Writes a DPIA as a CNIL PIA file.
pub fn export(rules: &Rules, c: &Content, status: &str) -> Value {
    let matrix = rules.matrix(&c.matrix);
    let mut pia: Map<String, Value> = c
        .kept
        .get("pia")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    pia.insert("name".into(), json!(c.title));
    pia.insert("author_name".into(), json!(c.project_lead));
    pia.insert(
        "validator_name".into(),
        json!(c.sign_off.residual_risks_approved_by),
    );
    pia.insert(
        "evaluator_name".into(),
        json!(pia
            .get("evaluator_name")
            .cloned()
            .unwrap_or(json!(c.sign_off.dpo_advice_provided_by))),
    );
    pia.insert(
        "dpo_opinion".into(),
        json!(text_to_html(&c.sign_off.dpo_advice)),
    );
    pia.insert(
        "dpos_names".into(),
        json!(c.sign_off.dpo_advice_provided_by),
    );
    pia.entry("dpo_status")
        .or_insert(json!(if c.sign_off.dpo_advice.is_empty() {
            0
        } else {
            1
        }));
    let consultation = c
        .section("consultation")
        .map(|s| s.text.clone())
        .unwrap_or_default();
    pia.insert(
        "concerned_people_searched_opinion".into(),
        json!(!consultation.is_empty()),
    );
    pia.insert(
        "concerned_people_opinion".into(),
        json!(text_to_html(&consultation)),
    );
    pia.insert(
        "people_names".into(),
        json!(c.sign_off.consultation_reviewed_by),
    );
    pia.insert(
        "status".into(),
        json!(match status {
            "rejected" => 1,
            "approved" => 2,
            _ => 0,
        }),
    );
    pia.entry("is_example").or_insert(json!(0));
    pia.entry("progress").or_insert(json!(0));

    let mut answers: Vec<Value> = vec![];
    for def in &rules.sections {
        let (Some(n), Some(s)) = (def.cnil, c.section(&def.code)) else {
            continue;
        };
        let mut text = if s.not_applicable {
            format!("Not applicable: {}", s.reason)
        } else {
            s.text.clone()
        };
        for qa in &s.answers {
            text.push_str(&format!("\n\n{}: {}", qa.question, qa.answer));
        }
        if text.trim().is_empty() {
            continue;
        }
        answers.push(json!({ "reference_to": n, "data": { "text": text_to_html(&text), "gauge": null, "list": [] } }));
    }
    // Steward's risks placed on the tool's three, the gauges the highest of those placed.
    let measures: Vec<Value> = c
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let title: String = m.options.lines().next().unwrap_or("").chars().take(120).collect();
            json!({ "id": i + 1, "title": title, "content": text_to_html(&m.options), "placeholder": "" })
        })
        .collect();
    if let Some(mx) = matrix {
        for (g, _, words) in CNIL_RISKS {
            let placed: Vec<&Risk> = c
                .risks
                .iter()
                .filter(|r| {
                    let d = r.description.to_lowercase();
                    let hit = |ws: &[&str]| ws.iter().any(|w| d.contains(w));
                    match g {
                        32 => hit(words) || !CNIL_RISKS[1..].iter().any(|(_, _, ws)| hit(ws)),
                        _ => hit(words),
                    }
                })
                .collect();
            if placed.is_empty() {
                continue;
            }
            let controls: Vec<Value> = c
                .measures
                .iter()
                .enumerate()
                .filter(|(_, m)| m.risks.iter().any(|id| placed.iter().any(|r| &r.id == id)))
                .map(|(i, _)| measures[i]["title"].clone())
                .collect();
            let sev = placed
                .iter()
                .map(|r| to_gauge(r.severity, mx.max_severity()))
                .max()
                .unwrap_or(1);
            let lik = placed
                .iter()
                .map(|r| to_gauge(r.likelihood, mx.max_likelihood()))
                .max()
                .unwrap_or(1);
            let q = |k: u32| g * 10 + k;
            answers.push(json!({ "reference_to": q(1), "data": { "text": null, "gauge": null, "list": placed.iter().map(|r| r.description.clone()).collect::<Vec<_>>() } }));
            answers.push(json!({ "reference_to": q(3), "data": { "text": null, "gauge": null, "list": placed.iter().filter(|r| !r.source.is_empty()).map(|r| r.source.clone()).collect::<Vec<_>>() } }));
            answers.push(json!({ "reference_to": q(4), "data": { "text": null, "gauge": null, "list": controls } }));
            answers.push(
                json!({ "reference_to": q(5), "data": { "text": null, "gauge": sev, "list": [] } }),
            );
            answers.push(
                json!({ "reference_to": q(6), "data": { "text": null, "gauge": lik, "list": [] } }),
            );
        }
    }
    for a in c
        .kept
        .get("answers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if a.get("reference_to").is_some() {
            answers.push(a.clone());
        }
    }
    let mut all_measures = measures;
    for m in c
        .kept
        .get("measures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        all_measures.push(m.clone());
    }
    let comments: Vec<Value> = c
        .comments
        .iter()
        .map(|cm| {
            let n = rules.section(&cm.section).and_then(|s| s.cnil).unwrap_or(0);
            json!({ "description": cm.text, "reference_to": n, "for_measure": false })
        })
        .collect();
    json!({
        "pia": pia,
        "answers": answers,
        "measures": all_measures,
        "evaluations": c.kept.get("evaluations").cloned().unwrap_or(json!([])),
        "comments": comments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const EXAMPLE: &str = include_str!("../tests/cnil-example.json");

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("id{n}")
        }
    }

    #[test]
    fn the_example_imports_with_its_risks_measures_and_extras_kept() {
        let r = Rules::embedded();
        let v: Value = serde_json::from_str(EXAMPLE).unwrap();
        let c = import(r, &v, &mut ids()).unwrap();
        assert_eq!(
            c.title,
            "Online appointment booking for Harbour View Surgery"
        );
        assert_eq!(c.matrix, "cnil");
        assert!(c.section("need").unwrap().text.contains("book and cancel"));
        assert_eq!(c.risks.len(), 2);
        assert_eq!((c.risks[0].severity, c.risks[0].likelihood), (3, 2));
        assert!(c.risks[0]
            .description
            .starts_with("Illegitimate access to data: "));
        assert_eq!(c.measures.len(), 2);
        assert!(c.measures[0].approved);
        assert!(c.check(r).is_empty(), "{:?}", c.check(r));
        // No counterpart: kept, and written back on export.
        assert_eq!(c.kept["pia"]["structure_name"], "PIA standard");
        assert_eq!(c.kept["evaluations"].as_array().unwrap().len(), 2);
        let out = export(r, &c, "draft");
        assert_eq!(out["pia"]["structure_name"], "PIA standard");
        assert_eq!(out["pia"]["name"], c.title);
        assert!(out["answers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["reference_to"] == 222));
        // And back again: the same risks and sections.
        let again = import(r, &out, &mut ids()).unwrap();
        assert_eq!(again.risks.len(), c.risks.len());
        assert_eq!(
            again.section("need").unwrap().text,
            c.section("need").unwrap().text
        );
    }

    #[test]
    fn a_malformed_file_is_refused_with_the_reason() {
        let r = Rules::embedded();
        let e = import(r, &json!({"name": "x"}), &mut ids()).unwrap_err();
        assert!(e.0.contains("no \"pia\" object"));
        let e = import(
            r,
            &json!({"pia": {"name": "x"}, "answers": [], "measures": []}),
            &mut ids(),
        )
        .unwrap_err();
        assert!(e.0.contains("\"evaluations\""), "{e}");
        let e = import(r, &json!({"pia": {"name": ""}}), &mut ids()).unwrap_err();
        assert!(e.0.contains("no name"));
        let e = import(
            r,
            &json!({"pia": {"name": "x"}, "answers": [{"reference_to": "abc", "data": {}}], "measures": [], "evaluations": [], "comments": []}),
            &mut ids(),
        )
        .unwrap_err();
        assert!(e.0.contains("not a number"));
    }
}
