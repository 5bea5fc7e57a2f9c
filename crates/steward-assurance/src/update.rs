//! The quarterly cluster update (seed 003 is the reference): generated from the quarter's
//! data, editable section by section before sending, sent as an HTML e-mail to every
//! practice's users, and exported to PDF and DOCX through steward-documents.
//!
//! Sections: baseline compliance status per practice; what the DPO did and will do next;
//! subject access volumes and timeliness; incidents by category with the published lessons;
//! the information risk register; upcoming deadlines.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::records::record_version;
use steward_core::time::{iso_date, long_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::Row;
use steward_documents::DocumentSpec;

use crate::count_words;
use crate::incidents::{quarter_bounds, quarter_label};

pub const KIND: Kind = Kind::ClusterUpdate;

/// Fixed dates of the cluster's year (`data/cluster-calendar.toml`).
pub const EMBEDDED_CALENDAR_TOML: &str = include_str!("../data/cluster-calendar.toml");

#[derive(Debug, Clone, Deserialize)]
struct CalendarDate {
    month: u32,
    day: u32,
    what: String,
    source: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Calendar {
    date: Vec<CalendarDate>,
}

/// Dates from the calendar that fall after `from` and before `to`.
pub fn calendar_dates(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, String, String)> {
    use chrono::Datelike;
    let cal: Calendar = toml::from_str(EMBEDDED_CALENDAR_TOML).expect("the shipped calendar reads");
    let mut out = vec![];
    for y in from.year()..=to.year() {
        for d in &cal.date {
            if let Some(date) = NaiveDate::from_ymd_opt(y, d.month, d.day) {
                if date >= from && date < to {
                    out.push((date, d.what.clone(), d.source.clone()));
                }
            }
        }
    }
    out.sort();
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = UpdateSection)]
pub struct Section {
    pub heading: String,
    /// Paragraphs separated by blank lines; lines starting "- " are a bulleted list.
    pub body: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClusterUpdate {
    pub id: String,
    pub organisation_id: String,
    pub quarter: String,
    pub title: String,
    pub sections: Vec<Section>,
    pub status: String,
    pub sent_at: Option<String>,
    pub sent_to: i64,
    pub version: i64,
}

impl ClusterUpdate {
    /// The whole text, for reading and checking.
    pub fn text(&self) -> String {
        let mut s = format!("{}\n\n", self.title);
        for sec in &self.sections {
            s.push_str(&format!("{}\n{}\n\n", sec.heading, sec.body));
        }
        s
    }

    pub fn document(&self) -> DocumentSpec {
        let mut d = DocumentSpec::new(self.title.clone());
        for sec in &self.sections {
            d = d.heading(2, sec.heading.clone());
            for block in blocks(&sec.body) {
                d = match block {
                    Block::Para(p) => d.paragraph(p),
                    Block::List(items) => d.list(items),
                };
            }
        }
        d
    }

    pub fn html(&self) -> String {
        let mut h = format!(
            "<!DOCTYPE html><html lang=\"en-GB\"><body style=\"font-family: Arial, sans-serif\"><h1>{}</h1>",
            esc(&self.title)
        );
        for sec in &self.sections {
            h.push_str(&format!("<h2>{}</h2>", esc(&sec.heading)));
            for block in blocks(&sec.body) {
                match block {
                    Block::Para(p) => h.push_str(&format!("<p>{}</p>", esc(&p))),
                    Block::List(items) => {
                        h.push_str("<ul>");
                        for i in items {
                            h.push_str(&format!("<li>{}</li>", esc(&i)));
                        }
                        h.push_str("</ul>");
                    }
                }
            }
        }
        h.push_str("</body></html>");
        h
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub enum Block {
    Para(String),
    List(Vec<String>),
}

/// A section's text as paragraphs and lists.
pub fn blocks(body: &str) -> Vec<Block> {
    let mut out: Vec<Block> = vec![];
    let mut para: Vec<String> = vec![];
    let flush = |para: &mut Vec<String>, out: &mut Vec<Block>| {
        if !para.is_empty() {
            out.push(Block::Para(para.join(" ")));
            para.clear();
        }
    };
    for line in body.lines() {
        let t = line.trim();
        if let Some(item) = t.strip_prefix("- ") {
            flush(&mut para, &mut out);
            match out.last_mut() {
                Some(Block::List(items)) => items.push(item.to_string()),
                _ => out.push(Block::List(vec![item.to_string()])),
            }
        } else if t.is_empty() {
            flush(&mut para, &mut out);
            out.push(Block::Para(String::new()));
        } else {
            para.push(t.to_string());
        }
    }
    flush(&mut para, &mut out);
    out.retain(|b| !matches!(b, Block::Para(p) if p.is_empty()));
    out
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct GenerateInput {
    /// e.g. 2026-Q4
    #[schema(required = true, pattern = "^[0-9]{4}-Q[1-4]$")]
    pub quarter: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EditInput {
    #[schema(required, pattern = "\\S")]
    pub title: String,
    pub sections: Vec<Section>,
}

fn from_row(r: &steward_db::AnyRow) -> CoreResult<ClusterUpdate> {
    let sections: String = r.try_get("sections")?;
    Ok(ClusterUpdate {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        quarter: r.try_get("quarter")?,
        title: r.try_get("title")?,
        sections: serde_json::from_str(&sections)
            .map_err(|e| CoreError::Internal(format!("stored sections: {e}")))?,
        status: r.try_get("status")?,
        sent_at: r.try_get("sent_at")?,
        sent_to: r.try_get("sent_to")?,
        version: r.try_get("version")?,
    })
}

pub struct Updates<'a> {
    pub steward: &'a Steward,
}

pub fn updates(steward: &Steward) -> Updates<'_> {
    Updates { steward }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UpdateSummary {
    pub id: String,
    pub quarter: String,
    pub title: String,
    pub status: String,
    pub sent_at: Option<String>,
}

impl Updates<'_> {
    pub async fn list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<UpdateSummary>> {
        steward_core::gate::decide_cluster(caller, KIND)?;
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        let rows = steward_db::query(
            "SELECT id, quarter, title, status, sent_at FROM cluster_updates WHERE organisation_id = $1 ORDER BY quarter DESC, created_at DESC LIMIT 40",
        )
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UpdateSummary {
                    id: r.try_get("id")?,
                    quarter: r.try_get("quarter")?,
                    title: r.try_get("title")?,
                    status: r.try_get("status")?,
                    sent_at: r.try_get("sent_at")?,
                })
            })
            .collect()
    }

    pub async fn update(&self, permit: &Permit<ops::Read>) -> CoreResult<ClusterUpdate> {
        let row = steward_db::query("SELECT * FROM cluster_updates WHERE id = $1")
            .bind(permit.id())
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    /// Generates the quarter's update as a draft from the data of every organisation of the
    /// cluster the caller can see.
    pub async fn generate(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &GenerateInput,
        today: NaiveDate,
    ) -> CoreResult<ClusterUpdate> {
        steward_core::gate::decide_cluster(caller, KIND)?;
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let Some((start, end)) = quarter_bounds(input.quarter.trim()) else {
            return Err(CoreError::invalid(
                "quarter",
                "Choose the quarter, for example 2026-Q4",
            ));
        };
        if start > today {
            return Err(CoreError::invalid(
                "quarter",
                "The quarter must have started",
            ));
        }
        let sections = self
            .compose(caller, organisation_id, start, end, today)
            .await?;
        let title = format!(
            "DPO cluster quarterly update: {}",
            quarter_label(&input.quarter)
        );
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO cluster_updates (id, organisation_id, cluster_id, quarter, title, sections, status, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $8, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(&caller.cluster_id)
        .bind(input.quarter.trim())
        .bind(&title)
        .bind(serde_json::to_string(&sections).expect("sections serialise"))
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        let u = ClusterUpdate {
            id: id.clone(),
            organisation_id: organisation_id.into(),
            quarter: input.quarter.trim().into(),
            title,
            sections,
            status: "draft".into(),
            sent_at: None,
            sent_to: 0,
            version: 1,
        };
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            &id,
            organisation_id,
            1,
            &serde_json::json!({"text": u.text()}),
        )
        .await?;
        let mut t =
            TrailEntry::for_record(caller, "record.create", organisation_id, KIND.code(), &id);
        t.detail = u.title.clone();
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(u)
    }

    async fn compose(
        &self,
        caller: &Caller,
        dpo_org: &str,
        start: NaiveDate,
        end: NaiveDate,
        today: NaiveDate,
    ) -> CoreResult<Vec<Section>> {
        let db = &self.steward.db.pool;
        let rules = crate::rules(self.steward);
        // The practices: every organisation the caller sees apart from the DPO's own.
        let mut orgs: Vec<(String, String)> = vec![];
        for id in &caller.visible_organisation_ids {
            if id == dpo_org {
                continue;
            }
            let name: Option<String> =
                steward_db::query_scalar("SELECT name FROM organisations WHERE id = $1")
                    .bind(id)
                    .fetch_optional(db)
                    .await?;
            if let Some(n) = name {
                orgs.push((id.clone(), n));
            }
        }
        orgs.sort_by(|a, b| a.1.cmp(&b.1));
        let (s, e) = (iso_date(start), iso_date(end));
        let today_s = iso_date(today);
        let count = |sql: &'static str, binds: Vec<String>| async move {
            let mut q = steward_db::query_scalar::<_, i64>(sql);
            for b in binds {
                q = q.bind(b);
            }
            q.fetch_one(db).await
        };

        // 1. Baseline compliance status per practice.
        let mut baseline = String::from(
            "Where each practice stands at the end of the quarter: open incidents, risks above the practice's risk appetite, overdue actions and overdue subject access requests.\n",
        );
        for (id, name) in &orgs {
            let inc = count(
                "SELECT COUNT(*) FROM incidents WHERE organisation_id = $1 AND status <> 'closed'",
                vec![id.clone()],
            )
            .await?;
            let risks = count("SELECT COUNT(*) FROM risks r JOIN risk_appetites a ON a.organisation_id = r.organisation_id WHERE r.organisation_id = $1 AND r.status = 'open' AND r.residual_score > a.appetite", vec![id.clone()]).await?;
            let acts = count("SELECT COUNT(*) FROM actions WHERE organisation_id = $1 AND status IN ('open', 'in_progress') AND due_date < $2", vec![id.clone(), today_s.clone()]).await?;
            let sars = count("SELECT COUNT(*) FROM rights_requests WHERE organisation_id = $1 AND status NOT IN ('completed', 'refused', 'withdrawn', 'awaiting_clarification') AND due_on < $2", vec![id.clone(), today_s.clone()]).await?;
            baseline.push_str(&format!(
                "- {name}: {} open, {} above appetite, {} overdue, {} overdue\n",
                count_words(inc, "incident", "incidents"),
                count_words(risks, "risk", "risks"),
                count_words(acts, "action", "actions"),
                count_words(sars, "subject access request", "subject access requests"),
            ));
        }

        // 2. What the DPO did and will do next: the DPO service's own actions.
        let done = steward_db::query("SELECT title FROM actions WHERE organisation_id = $1 AND status = 'done' AND updated_at >= $2 AND updated_at < $3 ORDER BY updated_at")
            .bind(dpo_org).bind(&s).bind(&e).fetch_all(db).await?;
        let next_end = iso_date(end + Duration::days(92));
        let next = steward_db::query("SELECT title, due_date FROM actions WHERE organisation_id = $1 AND status IN ('open', 'in_progress') AND due_date < $2 ORDER BY due_date")
            .bind(dpo_org).bind(&next_end).fetch_all(db).await?;
        let mut did = String::new();
        for r in &done {
            did.push_str(&format!("- {}\n", r.try_get::<String, _>("title")?));
        }
        if did.is_empty() {
            did.push_str(
                "Nothing recorded as done this quarter; add what the DPO did before sending.\n",
            );
        }
        let mut will = String::new();
        for r in &next {
            let due: String = r.try_get("due_date")?;
            let due = steward_core::time::parse_iso_date(&due)
                .map(long_date)
                .unwrap_or(due);
            will.push_str(&format!(
                "- {} (by {due})\n",
                r.try_get::<String, _>("title")?
            ));
        }
        if will.is_empty() {
            will.push_str("Nothing planned yet; add the DPO's next steps before sending.\n");
        }

        // 3. Subject access requests: volumes and timeliness.
        let mut sar = String::new();
        let (mut all_in, mut all_on_time, mut all_late) = (0, 0, 0);
        for (id, name) in &orgs {
            let received = count("SELECT COUNT(*) FROM rights_requests WHERE organisation_id = $1 AND request_type = 'access' AND received_on >= $2 AND received_on < $3", vec![id.clone(), s.clone(), e.clone()]).await?;
            let on_time = count("SELECT COUNT(*) FROM rights_requests WHERE organisation_id = $1 AND request_type = 'access' AND closed_on >= $2 AND closed_on < $3 AND closed_on <= due_on", vec![id.clone(), s.clone(), e.clone()]).await?;
            let late = count("SELECT COUNT(*) FROM rights_requests WHERE organisation_id = $1 AND request_type = 'access' AND closed_on >= $2 AND closed_on < $3 AND closed_on > due_on", vec![id.clone(), s.clone(), e.clone()]).await?;
            all_in += received;
            all_on_time += on_time;
            all_late += late;
            sar.push_str(&format!(
                "- {name}: {} received; {} answered on time, {} late\n",
                count_words(received, "request", "requests"),
                on_time,
                late
            ));
        }
        let sar = format!(
            "Across the cluster {} were received this quarter; {} answered within the statutory time and {} late.\n{sar}",
            count_words(all_in, "subject access request", "subject access requests"),
            all_on_time,
            all_late
        );

        // 4. Incidents by category, and the published lessons.
        let rows = steward_db::query("SELECT category, COUNT(*) AS n, SUM(CASE WHEN reportable = 1 THEN 1 ELSE 0 END) AS r FROM incidents WHERE organisation_id IN (SELECT id FROM organisations WHERE cluster_id = $1) AND aware_at >= $2 AND aware_at < $3 GROUP BY category ORDER BY category")
            .bind(&caller.cluster_id).bind(&s).bind(&e).fetch_all(db).await?;
        let mut by_cat: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for r in &rows {
            let c: String = r.try_get("category")?;
            by_cat.insert(
                rules.categories.label(&c),
                (
                    r.try_get("n")?,
                    r.try_get::<Option<i64>, _>("r")?.unwrap_or(0),
                ),
            );
        }
        let total: i64 = by_cat.values().map(|v| v.0).sum();
        let reportable: i64 = by_cat.values().map(|v| v.1).sum();
        let mut incidents = format!(
            "{} reported across the cluster this quarter, {} of them reportable to the ICO.\n",
            count_words(total, "incident was", "incidents were"),
            reportable
        );
        for (label, (n, _)) in &by_cat {
            incidents.push_str(&format!("- {label}: {n}\n"));
        }
        let lessons = steward_db::query("SELECT published_lesson FROM incidents WHERE organisation_id IN (SELECT id FROM organisations WHERE cluster_id = $1) AND published_lesson <> '' AND lesson_published_at >= $2 AND lesson_published_at < $3 ORDER BY lesson_published_at")
            .bind(&caller.cluster_id).bind(&s).bind(iso_date(end.max(today + Duration::days(1)))).fetch_all(db).await?;
        let mut learning = String::from(
            "Here is the learning from actual incidents across the cluster this quarter:\n",
        );
        for r in &lessons {
            learning.push_str(&format!(
                "- {}\n",
                r.try_get::<String, _>("published_lesson")?
            ));
        }
        if lessons.is_empty() {
            learning = "No lessons have been published this quarter.\n".into();
        }

        // 5. Information risk.
        let mut risk = String::from(
            "Practice risk registers should include key information risks, and risks above the practice's appetite are escalated to its SIRO.\n",
        );
        for (id, name) in &orgs {
            let open = count(
                "SELECT COUNT(*) FROM risks WHERE organisation_id = $1 AND status = 'open'",
                vec![id.clone()],
            )
            .await?;
            let above = count("SELECT COUNT(*) FROM risks r JOIN risk_appetites a ON a.organisation_id = r.organisation_id WHERE r.organisation_id = $1 AND r.status = 'open' AND r.residual_score > a.appetite", vec![id.clone()]).await?;
            risk.push_str(&format!(
                "- {name}: {} on the register, {} above appetite\n",
                count_words(open, "open risk", "open risks"),
                above
            ));
        }

        // 6. Compliance audits: those of the quarter, and findings still open.
        let mut audits_body = String::from(
            "The Data Security Compliance Audit: what was found at each practice, and the findings still to put right.\n",
        );
        for (id, name) in &orgs {
            let done = steward_db::query("SELECT reference, visit_date, met, applicable, findings FROM compliance_audits WHERE organisation_id = $1 AND status = 'completed' AND visit_date >= $2 AND visit_date < $3 ORDER BY visit_date")
                .bind(id).bind(&s).bind(&e).fetch_all(db).await?;
            let open = count("SELECT COUNT(*) FROM actions WHERE organisation_id = $1 AND source_record_type = 'compliance_audit' AND status IN ('open', 'in_progress')", vec![id.clone()]).await?;
            for r in &done {
                let visit: String = r.try_get("visit_date")?;
                let visit = steward_core::time::parse_iso_date(&visit)
                    .map(long_date)
                    .unwrap_or(visit);
                let (met, applicable, findings): (i64, i64, i64) = (
                    r.try_get("met")?,
                    r.try_get("applicable")?,
                    r.try_get("findings")?,
                );
                audits_body.push_str(&format!(
                    "- {name}: audited {visit}, {met} of {applicable} met, {}\n",
                    count_words(findings, "finding", "findings")
                ));
            }
            if open > 0 {
                audits_body.push_str(&format!(
                    "- {name}: {} from audits still open\n",
                    count_words(open, "finding", "findings")
                ));
            }
        }
        if !audits_body.contains("\n- ") {
            audits_body.push_str("No audits this quarter and no findings open.\n");
        }

        // 7. Action rounds still open: completion per round and who has not finished.
        let rounds = steward_db::query("SELECT id, title, due_date FROM action_rounds WHERE organisation_id = $1 ORDER BY sent_at")
            .bind(dpo_org).fetch_all(db).await?;
        let mut rounds_body = String::new();
        for r in &rounds {
            let rid: String = r.try_get("id")?;
            let total = count(
                "SELECT COUNT(*) FROM action_round_tasks WHERE round_id = $1",
                vec![rid.clone()],
            )
            .await?;
            let done = count("SELECT COUNT(*) FROM action_round_tasks t JOIN actions a ON a.id = t.action_id WHERE t.round_id = $1 AND a.status = 'done'", vec![rid.clone()]).await?;
            if total == 0 || done == total {
                continue;
            }
            let behind = steward_db::query("SELECT o.name, COUNT(*) AS n FROM action_round_tasks t JOIN actions a ON a.id = t.action_id JOIN organisations o ON o.id = t.organisation_id WHERE t.round_id = $1 AND a.status IN ('open', 'in_progress') GROUP BY o.name ORDER BY o.name")
                .bind(&rid).fetch_all(db).await?;
            let due: String = r.try_get("due_date")?;
            let due = steward_core::time::parse_iso_date(&due)
                .map(long_date)
                .unwrap_or(due);
            rounds_body.push_str(&format!(
                "- {} (due {due}): {done} of {total} actions done ({}%)\n",
                r.try_get::<String, _>("title")?,
                done * 100 / total
            ));
            for b in &behind {
                rounds_body.push_str(&format!(
                    "- {}: {} to do\n",
                    b.try_get::<String, _>("name")?,
                    count_words(b.try_get("n")?, "action", "actions")
                ));
            }
        }
        if rounds_body.is_empty() {
            rounds_body.push_str("No action round is open.\n");
        } else {
            rounds_body.insert_str(0, "Please highlight these to your practice SIRO and make sure the actions are taken:\n");
        }

        // 8. Upcoming deadlines: the calendar's fixed dates, and actions due next quarter.
        let mut deadlines = String::new();
        for (d, what, source) in calendar_dates(today, end + Duration::days(183)) {
            deadlines.push_str(&format!("- {}: {what} ({source})\n", long_date(d)));
        }
        let due = steward_db::query("SELECT a.title, a.due_date, o.name FROM actions a JOIN organisations o ON o.id = a.organisation_id WHERE o.cluster_id = $1 AND a.status IN ('open', 'in_progress') AND a.due_date >= $2 AND a.due_date < $3 ORDER BY a.due_date LIMIT 20")
            .bind(&caller.cluster_id).bind(&today_s).bind(&next_end).fetch_all(db).await?;
        for r in &due {
            let d: String = r.try_get("due_date")?;
            let d = steward_core::time::parse_iso_date(&d)
                .map(long_date)
                .unwrap_or(d);
            deadlines.push_str(&format!(
                "- {d}: {} ({})\n",
                r.try_get::<String, _>("title")?,
                r.try_get::<String, _>("name")?
            ));
        }
        if deadlines.is_empty() {
            deadlines.push_str("No deadlines in the next two quarters.\n");
        }

        Ok(vec![
            Section {
                heading: "Baseline compliance status".into(),
                body: baseline,
            },
            Section {
                heading: "What your DPO did this quarter".into(),
                body: did,
            },
            Section {
                heading: "What your DPO will do next".into(),
                body: will,
            },
            Section {
                heading: "Subject access requests".into(),
                body: sar,
            },
            Section {
                heading: "Incidents by category".into(),
                body: incidents,
            },
            Section {
                heading: "Incident learning".into(),
                body: learning,
            },
            Section {
                heading: "Information risk".into(),
                body: risk,
            },
            Section {
                heading: "Compliance audits".into(),
                body: audits_body,
            },
            Section {
                heading: "Open action rounds".into(),
                body: rounds_body,
            },
            Section {
                heading: "Upcoming deadlines".into(),
                body: deadlines,
            },
        ])
    }

    /// Edits the draft's title and sections (a sent update is kept as sent).
    pub async fn edit(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &EditInput,
    ) -> CoreResult<ClusterUpdate> {
        let current = self.update(&permit.as_read()).await?;
        if current.status == "sent" {
            return Err(CoreError::Conflict(
                "This update has been sent; generate a new one to change it".into(),
            ));
        }
        let mut e = FieldErrors::default();
        if input.title.trim().is_empty() {
            e.add("title", "Enter the title");
        }
        for (i, s) in input.sections.iter().enumerate() {
            if s.heading.trim().is_empty() {
                e.add(
                    &format!("heading_{i}"),
                    format!("Enter a heading for section {}", i + 1),
                );
            }
        }
        if input.sections.is_empty() {
            e.add("title", "The update needs at least one section");
        }
        e.into_result()?;
        let sections: Vec<Section> = input
            .sections
            .iter()
            .map(|s| Section {
                heading: s.heading.trim().into(),
                body: s.body.trim_end().to_string() + "\n",
            })
            .collect();
        let mut w = self.steward.write().await?;
        steward_db::query("UPDATE cluster_updates SET title = $1, sections = $2, version = version + 1, updated_at = $3 WHERE id = $4")
            .bind(input.title.trim())
            .bind(serde_json::to_string(&sections).expect("sections serialise"))
            .bind(now_stamp())
            .bind(permit.id())
            .execute(&mut *w.tx)
            .await?;
        let after = ClusterUpdate {
            title: input.title.trim().into(),
            sections,
            version: current.version + 1,
            ..current
        };
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            permit.id(),
            permit.organisation_id(),
            after.version,
            &serde_json::json!({"text": after.text()}),
        )
        .await?;
        append(
            &mut w.tx,
            &TrailEntry::for_record(
                caller,
                "record.update",
                permit.organisation_id(),
                KIND.code(),
                permit.id(),
            ),
        )
        .await?;
        w.commit().await?;
        Ok(after)
    }

    /// Sends the update as an HTML e-mail (with a text part) to every active user of every
    /// practice of the cluster, and marks it sent.
    pub async fn send(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
    ) -> CoreResult<ClusterUpdate> {
        let current = self.update(&permit.as_read()).await?;
        if current.status == "sent" {
            return Err(CoreError::Conflict(
                "This update has already been sent".into(),
            ));
        }
        let rows = steward_db::query(
            "SELECT u.display_name, u.email FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE o.cluster_id = $1 AND o.id <> $2 AND u.active = 1 AND u.role <> 'system_administrator' ORDER BY u.email",
        )
        .bind(&caller.cluster_id)
        .bind(permit.organisation_id())
        .fetch_all(&self.steward.db.pool)
        .await?;
        let to: Vec<(String, String)> = rows
            .iter()
            .map(|r| Ok((r.try_get("display_name")?, r.try_get("email")?)))
            .collect::<CoreResult<_>>()?;
        let sent = crate::mail::send(
            self.steward,
            &to,
            &current.title,
            &current.text(),
            Some(&current.html()),
        )
        .await?;
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query("UPDATE cluster_updates SET status = 'sent', sent_at = $1, sent_by = $2, sent_to = $3, version = version + 1, updated_at = $1 WHERE id = $4")
            .bind(&now)
            .bind(&caller.user_id)
            .bind(sent as i64)
            .bind(permit.id())
            .execute(&mut *w.tx)
            .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "record.update",
            permit.organisation_id(),
            KIND.code(),
            permit.id(),
        );
        t.detail = format!("sent to {sent} people");
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(ClusterUpdate {
            status: "sent".into(),
            sent_at: Some(now),
            sent_to: sent as i64,
            version: current.version + 1,
            ..current
        })
    }

    pub fn pdf(&self, u: &ClusterUpdate) -> CoreResult<Vec<u8>> {
        steward_documents::write_pdf(&u.document()).map_err(|e| CoreError::Internal(e.to_string()))
    }

    pub fn docx(&self, u: &ClusterUpdate) -> CoreResult<Vec<u8>> {
        steward_documents::write_docx(&u.document()).map_err(|e| CoreError::Internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_read_as_paragraphs_and_lists() {
        let b = blocks("Intro line one\nline two\n\n- first\n- second\nAfter.\n");
        assert_eq!(b.len(), 3);
        assert!(matches!(&b[0], Block::Para(p) if p == "Intro line one line two"));
        assert!(
            matches!(&b[1], Block::List(i) if i == &vec!["first".to_string(), "second".to_string()])
        );
        assert!(matches!(&b[2], Block::Para(p) if p == "After."));
    }

    #[test]
    fn the_toolkit_deadline_comes_from_the_calendar() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let found = calendar_dates(d(2026, 12, 1), d(2027, 9, 1));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, d(2027, 6, 30));
        assert!(found[0].1.contains("Data Security and Protection Toolkit"));
        assert!(calendar_dates(d(2026, 7, 1), d(2026, 12, 31)).is_empty());
    }

    #[test]
    fn the_html_escapes_what_was_typed() {
        let u = ClusterUpdate {
            id: "u".into(),
            organisation_id: "o".into(),
            quarter: "2026-Q4".into(),
            title: "Update <one>".into(),
            sections: vec![Section {
                heading: "A & B".into(),
                body: "- <script>\n".into(),
            }],
            status: "draft".into(),
            sent_at: None,
            sent_to: 0,
            version: 1,
        };
        let h = u.html();
        assert!(h.contains("Update &lt;one&gt;") && h.contains("A &amp; B"));
        assert!(h.contains("<li>&lt;script&gt;</li>"));
        assert_eq!(u.document().blocks.len(), 2);
    }
}
