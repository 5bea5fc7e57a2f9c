//! The DPIA as one document model (`steward_documents::DocumentSpec`), rendered to PDF and
//! DOCX by the document engine: the same headings, tables and words in both, in the order of
//! the templates (the need, the processing, consultation, necessity and proportionality,
//! risks, measures, sign-off).

use steward_documents::DocumentSpec;

use crate::model::{effect_label, Content};
use crate::rules::{Law, Rules};

/// What the document says about the record beyond its content.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub organisation: String,
    pub reference: String,
    pub status: String,
    /// "Version 1, 5 February 2021" or "Version 2 (draft)".
    pub version: String,
}

/// "5 February 2021" for a stored `YYYY-MM-DD`; anything else as it is.
pub fn long_date(s: &str) -> String {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| s.to_string())
}

fn yes_no(b: bool) -> String {
    if b { "Yes" } else { "No" }.into()
}

pub fn document(rules: &Rules, h: &Header, c: &Content) -> DocumentSpec {
    let matrix = rules.matrix(&c.matrix);
    let mut d = DocumentSpec::new(format!("Data protection impact assessment: {}", c.title));
    d.footer = format!("{} · {} · {}", h.organisation, h.reference, h.version);
    let mut facts = vec![
        vec!["Organisation".into(), h.organisation.clone()],
        vec!["Reference".into(), h.reference.clone()],
        vec!["Version".into(), h.version.clone()],
        vec!["Status".into(), h.status.clone()],
    ];
    if !c.project_lead.is_empty() {
        facts.push(vec!["Project lead".into(), c.project_lead.clone()]);
    }
    if !c.planned_start.is_empty() {
        facts.push(vec!["Planned start".into(), long_date(&c.planned_start)]);
    }
    if !c.planned_completion.is_empty() {
        facts.push(vec![
            "Planned completion".into(),
            long_date(&c.planned_completion),
        ]);
    }
    if let Some(m) = matrix {
        facts.push(vec!["Risk matrix".into(), m.title.clone()]);
    }
    d = d.table(vec!["DPIA".into(), "".into()], facts);

    if let Some(s) = &c.screening {
        d = d.heading(1, "Screening");
        d = d.paragraph(s.summary.clone()).list(s.reasons.clone());
        if let Some(q) = rules.questionnaire(&s.questionnaire) {
            for a in &s.answers {
                let text = q
                    .question
                    .iter()
                    .find(|x| x.code == a.question)
                    .map(|x| x.text.clone())
                    .unwrap_or_else(|| a.question.clone());
                d = d.paragraph(format!("{text}: {}", yes_no(a.yes)));
                if !a.comment.is_empty() {
                    d = d.paragraph(a.comment.clone());
                }
            }
        }
    }

    let mut part = String::new();
    for def in &rules.sections {
        let Some(s) = c.section(&def.code) else {
            continue;
        };
        if s.text.is_empty() && s.answers.is_empty() && !s.not_applicable {
            continue;
        }
        if def.part != part {
            part = def.part.clone();
            d = d.heading(1, part.clone());
        }
        d = d.heading(2, def.title.clone());
        if s.not_applicable {
            d = d.paragraph(format!("Not applicable: {}", s.reason));
            continue;
        }
        for para in s.text.split("\n\n").filter(|p| !p.trim().is_empty()) {
            d = d.paragraph(para.trim().to_string());
        }
        for qa in &s.answers {
            d = d
                .heading(3, qa.question.clone())
                .paragraph(qa.answer.clone());
        }
    }

    let used: Vec<_> = c.data_items.iter().filter(|i| i.used).collect();
    if !c.data_items.is_empty() {
        d = d.heading(1, "Data items");
        let label = |code: &str, own: &str| {
            rules
                .data_item(code)
                .map(|x| x.label.clone())
                .unwrap_or_else(|| own.to_string())
        };
        d = d.table(
            vec!["Data item".into(), "Used".into()],
            c.data_items
                .iter()
                .map(|i| vec![label(&i.code, &i.label), yes_no(i.used)])
                .collect(),
        );
        for i in used {
            d = d.paragraph(format!("{}: {}", label(&i.code, &i.label), i.purpose));
        }
    }
    if !c.data_flows.is_empty() {
        d = d.heading(1, "Data flows");
        for (n, f) in c.data_flows.iter().enumerate() {
            d = d
                .heading(3, format!("Data flow {}: {}", n + 1, f.category))
                .table(
                    vec!["Item".into(), "Detail".into()],
                    vec![
                        vec!["Whose information".into(), f.whose.clone()],
                        vec!["System".into(), f.system.clone()],
                        vec!["Where it goes".into(), f.destination.clone()],
                        vec!["Nature and purpose".into(), f.purpose.clone()],
                        vec!["Frequency".into(), f.frequency.clone()],
                        vec!["Method of transport".into(), f.transport.clone()],
                        vec![
                            "Personal identifiable data".into(),
                            if f.pid { "PID" } else { "No PID" }.into(),
                        ],
                        vec!["Type of information".into(), f.information_type.clone()],
                    ],
                );
        }
    }
    if !c.access_controls.is_empty() {
        d = d.heading(1, "Access control");
        for a in &c.access_controls {
            d = d.heading(3, a.who.clone()).table(
                vec!["Item".into(), "Detail".into()],
                vec![
                    vec!["Why".into(), a.why.clone()],
                    vec!["When".into(), a.when.clone()],
                    vec!["How".into(), a.how.clone()],
                    vec!["What".into(), a.what.clone()],
                ],
            );
        }
    }

    d = d.heading(1, "Lawful basis");
    for (list, codes, what) in [
        (&rules.law.article6, &c.article6, "Article 6"),
        (&rules.law.article9, &c.article9, "Article 9"),
        (
            &rules.law.confidentiality,
            &c.confidentiality,
            "Common-law duty of confidence",
        ),
    ] {
        for code in codes {
            if let Some(item) = Law::find(list, code) {
                d = d
                    .heading(3, item.label.clone())
                    .paragraph(format!("{what}: {}", item.text));
            }
        }
    }
    if !c.legal_notes.is_empty() {
        for para in c.legal_notes.split("\n\n") {
            d = d.paragraph(para.trim().to_string());
        }
    }
    if !c.rights.is_empty() {
        d = d.heading(1, "Individual rights");
        for r in &c.rights {
            let label = Law::find(&rules.law.right, &r.code)
                .map(|x| x.label.clone())
                .unwrap_or_default();
            d = d.paragraph(format!(
                "{label}: {}",
                if r.applies {
                    "applies"
                } else {
                    "not applicable"
                }
            ));
            if !r.how.is_empty() {
                d = d.paragraph(r.how.clone());
            }
        }
    }

    if let Some(m) = matrix {
        d = d.heading(1, "Risks");
        let mut rows = vec![];
        for r in &c.risks {
            rows.push(vec![
                r.number.to_string(),
                format!(
                    "{} ({})",
                    m.likelihood_label(r.likelihood as u8),
                    r.likelihood
                ),
                format!("{} ({})", m.severity_label(r.severity as u8), r.severity),
                if m.numeric {
                    format!(
                        "{} ({})",
                        m.band_label(&c.overall(m, r)),
                        r.likelihood * r.severity
                    )
                } else {
                    m.band_label(&c.overall(m, r)).to_string()
                },
                m.band_label(&c.residual(m, r)).to_string(),
            ]);
        }
        d = d.table(
            vec![
                "Risk".into(),
                "Likelihood".into(),
                "Severity".into(),
                "Overall risk".into(),
                "Residual risk".into(),
            ],
            rows,
        );
        for r in &c.risks {
            d = d
                .heading(3, format!("Risk {}", r.number))
                .paragraph(r.description.clone());
            if !r.source.is_empty() {
                d = d.paragraph(format!("Source: {}", r.source));
            }
            if !r.overall_override.is_empty() {
                d = d.paragraph(format!(
                    "Overall risk recorded as {}: {}",
                    m.band_label(&r.overall_override),
                    r.override_reason
                ));
            }
        }
        // The risk map: the matrix shaded by band, each risk in the cell of its inherent
        // rating, with its residual band where a measure lowers it (as the page's picture).
        let mut grid = vec![];
        let mut fills = vec![];
        for si in (0..m.severity.len()).rev() {
            let mut row = vec![m.severity[si].label.clone()];
            let mut fill = vec![String::new()];
            for li in 0..m.likelihood.len() {
                let here: Vec<String> = c
                    .risks
                    .iter()
                    .filter(|r| r.severity == si as i64 + 1 && r.likelihood == li as i64 + 1)
                    .map(|r| {
                        let residual = c.residual(m, r);
                        if m.rank(&residual) < m.rank(&c.overall(m, r)) {
                            format!("{} (residual {})", r.number, m.band_label(&residual))
                        } else {
                            r.number.to_string()
                        }
                    })
                    .collect();
                let band = m.band_label(&m.grid[si][li]).to_string();
                row.push(if here.is_empty() {
                    band
                } else {
                    format!("{band}\nRisk {}", here.join(", "))
                });
                fill.push(
                    crate::svg::colour(&m.grid[si][li], m)
                        .trim_start_matches('#')
                        .to_string(),
                );
            }
            grid.push(row);
            fills.push(fill);
        }
        let mut head = vec!["Severity / likelihood".to_string()];
        head.extend(m.likelihood.iter().map(|l| l.label.clone()));
        d = d.heading(2, "Risk map");
        // The page's picture, drawn at three times its size for print; our own SVG always
        // draws, and the table after it says the same in words.
        if let Ok(png) = steward_documents::picture::svg_to_png(&crate::svg::risk_map(c, m), 3.0) {
            d = d.image(
                png,
                "Risk map: the matrix of likelihood against severity, each risk placed by its \
                 rating before measures (an open circle) with an arrow to its residual rating \
                 where measures lower it (a filled circle). The table below gives the same map.",
                120.0,
            );
        }
        d = d
            .paragraph(
                "Each risk sits in the cell of its likelihood and severity before measures; \
                 where measures lower it, its residual rating follows in brackets.",
            )
            .shaded_table(head, grid, fills);

        d = d.heading(1, "Measures to reduce risk");
        for (i, x) in c.measures.iter().enumerate() {
            let against: Vec<String> = x
                .risks
                .iter()
                .filter_map(|id| c.risk(id))
                .map(|r| r.number.to_string())
                .collect();
            d = d
                .heading(
                    3,
                    format!("Measure {} (risk {})", i + 1, against.join(", ")),
                )
                .paragraph(x.options.clone());
            let mut rows = vec![
                vec!["Effect on risk".into(), effect_label(&x.effect).into()],
                vec!["Residual risk".into(), m.band_label(&x.residual).into()],
                vec!["Measure approved".into(), yes_no(x.approved)],
            ];
            if !x.owner.is_empty() {
                rows.push(vec!["Owner".into(), x.owner.clone()]);
            }
            if !x.due_date.is_empty() {
                rows.push(vec!["Due".into(), long_date(&x.due_date)]);
            }
            d = d.table(vec!["Item".into(), "Detail".into()], rows);
        }
    }

    let s = &c.sign_off;
    d = d.heading(1, "Sign off and outcomes");
    let mut rows = vec![
        vec![
            "Measures approved by".into(),
            s.measures_approved_by.clone(),
        ],
        vec![
            "Residual risks approved by".into(),
            s.residual_risks_approved_by.clone(),
        ],
        vec![
            "DPO advice provided by".into(),
            s.dpo_advice_provided_by.clone(),
        ],
        vec![
            "DPO advice accepted or overruled".into(),
            s.dpo_advice_decision.clone(),
        ],
        vec!["Decided by".into(), s.dpo_advice_decided_by.clone()],
        vec![
            "Consultation responses reviewed by".into(),
            s.consultation_reviewed_by.clone(),
        ],
        vec![
            "Kept under review by".into(),
            s.kept_under_review_by.clone(),
        ],
        vec!["Next review date".into(), long_date(&s.next_review_date)],
    ];
    if !c.prior_consultation.date.is_empty() {
        rows.push(vec![
            "Prior consultation with the ICO".into(),
            long_date(&c.prior_consultation.date),
        ]);
    }
    d = d.table(vec!["Item".into(), "Name or date".into()], rows);
    for (label, text) in [
        ("Summary of DPO advice", &s.dpo_advice),
        (
            "Reasons for overruling the DPO's advice",
            &s.overrule_reasons,
        ),
        (
            "Reasons for departing from individuals' views",
            &s.consultation_reasons,
        ),
        ("Comments", &s.comments),
        (
            "Outcome of the prior consultation",
            &c.prior_consultation.outcome,
        ),
    ] {
        if !text.is_empty() {
            d = d.heading(3, label).paragraph(text.clone());
        }
    }
    d
}

/// Every piece of text a reader must find in an export of this DPIA: each answer, risk and
/// measure (used by the tests that read the exports back).
pub fn expected_texts(c: &Content) -> Vec<String> {
    let mut out = vec![c.title.clone()];
    for s in &c.sections {
        out.extend(s.text.split("\n\n").map(|p| p.trim().to_string()));
        for qa in &s.answers {
            out.push(qa.question.clone());
            out.push(qa.answer.clone());
        }
        out.push(s.reason.clone());
    }
    for i in c.data_items.iter().filter(|i| i.used) {
        out.push(i.purpose.clone());
    }
    for f in &c.data_flows {
        out.extend([
            f.category.clone(),
            f.purpose.clone(),
            f.information_type.clone(),
        ]);
    }
    for a in &c.access_controls {
        out.extend([a.who.clone(), a.how.clone(), a.what.clone()]);
    }
    for r in &c.risks {
        out.push(r.description.clone());
    }
    for m in &c.measures {
        out.push(m.options.clone());
    }
    out.push(c.sign_off.measures_approved_by.clone());
    out.push(c.sign_off.residual_risks_approved_by.clone());
    out.retain(|s| !s.trim().is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Measure, Risk};

    /// A DPIA of the size the issue measures (40 risks, 120 measures) checks, and renders to
    /// PDF and DOCX from the one model with every risk and measure in it. (The timing target
    /// of 0.5 s is for the release build in bench/; here only a generous debug-build bound.)
    #[test]
    fn a_large_dpia_renders_to_pdf_and_docx() {
        let rules = Rules::embedded();
        let mut c = Content::blank(rules, "Cluster-wide shared care record", "5x5");
        for i in 1..=40 {
            c.risks.push(Risk {
                id: format!("r{i}"),
                number: i,
                description: format!(
                    "Risk number {i}: records seen by someone without a care relationship"
                ),
                likelihood: (i % 5) + 1,
                severity: ((i / 5) % 5) + 1,
                ..Default::default()
            });
        }
        for j in 1..=120 {
            c.measures.push(Measure {
                id: format!("m{j}"),
                risks: vec![format!("r{}", (j % 40) + 1)],
                options: format!("Measure number {j}: role-based access and monthly audit"),
                effect: "reduced".into(),
                residual: "low".into(),
                approved: j % 2 == 0,
                ..Default::default()
            });
        }
        assert!(c.check(rules).is_empty());
        let doc = document(rules, &Header::default(), &c);
        let pdf = steward_documents::write_pdf(&doc).unwrap();
        let docx = steward_documents::write_docx(&doc).unwrap();
        assert!(pdf.starts_with(b"%PDF") && docx.starts_with(b"PK"));
        // The risk map picture goes into both, with its text alternative.
        assert!(
            doc.blocks.iter().any(|b| matches!(b,
            steward_documents::spec::SpecBlock::Image { alt, .. } if alt.starts_with("Risk map:")))
        );
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        assert!(
            text.contains("Risk map: the matrix of likelihood"),
            "the caption"
        );
        let xml = {
            use std::io::Read;
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
            assert!(z
                .file_names()
                .filter_map(|n| n.ok())
                .any(|n| n.starts_with("word/media/") && n.ends_with(".png")));
            let mut s = String::new();
            z.by_name("word/document.xml")
                .unwrap()
                .read_to_string(&mut s)
                .unwrap();
            s
        };
        assert!(xml.contains("Risk number 40:") && xml.contains("Measure number 120:"));
        assert!(xml.contains(r#"name="Picture 1" descr="Risk map: the matrix"#));
        assert_eq!(
            crate::svg::risk_map(&c, rules.matrix("5x5").unwrap())
                .matches("<circle")
                .count(),
            40
        );
    }
}
