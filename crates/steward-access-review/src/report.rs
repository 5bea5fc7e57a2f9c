//! The access-audit report per organisation and period (PDF and CSV): accesses, the share
//! explained by a care relationship, flags per rule, cases and their outcomes, and the trend
//! over the months before. The DPO also sees it for the whole cluster.

use std::collections::BTreeMap;

use serde::Serialize;
use steward_access_audit::Rule;
use steward_core::trail::TrailEntry;
use steward_core::{Caller, CoreError, CoreResult, Role};
use steward_db::Row;

use crate::cases::{outcome_label, status_label};
use crate::{internal, period_label, require_audit_read, valid_period, AccessReview, Case};

/// How many months the trend looks back, the period included.
pub const TREND_MONTHS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportScope {
    Organisation(String),
    /// Every organisation the DPO sees.
    Cluster,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub organisation_id: String,
    pub organisation_name: String,
    pub runs: i64,
    pub events: i64,
    pub explained: i64,
    pub explained_share: f64,
    pub flags: i64,
    pub cases: i64,
    pub open: i64,
    pub awaiting_explanation: i64,
    pub appropriate: i64,
    pub inappropriate: i64,
    pub needs_explanation: i64,
}

impl Totals {
    pub fn explained_percent(&self) -> String {
        format!("{:.1}%", 100.0 * self.explained_share)
    }
    fn add(&mut self, o: &Totals) {
        self.runs += o.runs;
        self.events += o.events;
        self.explained += o.explained;
        self.flags += o.flags;
        self.cases += o.cases;
        self.open += o.open;
        self.awaiting_explanation += o.awaiting_explanation;
        self.appropriate += o.appropriate;
        self.inappropriate += o.inappropriate;
        self.needs_explanation += o.needs_explanation;
        self.share();
    }
    fn share(&mut self) {
        self.explained_share = if self.events > 0 {
            self.explained as f64 / self.events as f64
        } else {
            0.0
        };
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendRow {
    pub period: String,
    pub events: i64,
    pub explained_share: f64,
    pub cases: i64,
    pub inappropriate: i64,
}

impl TrendRow {
    pub fn explained_percent(&self) -> String {
        format!("{:.1}%", 100.0 * self.explained_share)
    }
    pub fn label(&self) -> String {
        period_label(&self.period)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleCount {
    pub rule: String,
    pub flags: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub title: String,
    pub period: String,
    #[serde(skip)]
    pub scope: ReportScope,
    /// The whole cluster (the DPO's report) rather than one organisation.
    pub cluster: bool,
    pub totals: Totals,
    /// Flags per rule, in the contract's order.
    pub per_rule: Vec<RuleCount>,
    /// One row per organisation (the cluster report), or the one organisation.
    pub organisations: Vec<Totals>,
    /// Cases reviewed so far (with an outcome), most severe first.
    pub reviewed: Vec<Case>,
    pub trend: Vec<TrendRow>,
}

fn months_back(period: &str, n: usize) -> Vec<String> {
    let Ok(mut d) = chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d") else {
        return vec![period.to_string()];
    };
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(d.format("%Y-%m").to_string());
        d = match d.pred_opt() {
            Some(p) => p.with_day0(0).unwrap_or(p),
            None => break,
        };
    }
    out.reverse();
    out
}

use chrono::Datelike;

impl AccessReview {
    fn scope_orgs(&self, caller: &Caller, scope: &ReportScope) -> CoreResult<Vec<String>> {
        match scope {
            ReportScope::Organisation(o) => {
                require_audit_read(caller, o)?;
                Ok(vec![o.clone()])
            }
            ReportScope::Cluster => {
                if caller.role != Role::Dpo {
                    return Err(CoreError::Forbidden);
                }
                Ok(caller.visible_organisation_ids.clone())
            }
        }
    }

    /// The newest month with an audit in the scope: what a report shows when no month is
    /// asked for (rather than an empty current month). `None` when nothing was audited.
    pub async fn latest_period(
        &self,
        caller: &Caller,
        scope: &ReportScope,
    ) -> CoreResult<Option<String>> {
        let orgs = self.scope_orgs(caller, scope)?;
        if orgs.is_empty() {
            return Ok(None);
        }
        let marks: Vec<String> = (1..=orgs.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT MAX(period) FROM audit_runs WHERE organisation_id IN ({})",
            marks.join(", ")
        );
        let mut q = steward_db::query_scalar::<_, Option<String>>(&sql);
        for o in &orgs {
            q = q.bind(o);
        }
        Ok(q.fetch_one(&self.steward.db.pool).await?)
    }

    async fn totals(&self, org: &str, period: &str) -> CoreResult<(Totals, BTreeMap<String, i64>)> {
        let name: String = steward_db::query_scalar("SELECT name FROM organisations WHERE id = $1")
            .bind(org)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        let mut t = Totals {
            organisation_id: org.to_string(),
            organisation_name: name,
            ..Default::default()
        };
        let mut per_rule: BTreeMap<String, i64> = BTreeMap::new();
        let runs = steward_db::query("SELECT events, explained, flags, cases, per_rule FROM audit_runs WHERE organisation_id = $1 AND period = $2 AND status = 'completed'")
            .bind(org)
            .bind(period)
            .fetch_all(&self.steward.db.pool)
            .await?;
        for r in &runs {
            t.runs += 1;
            t.events += r.try_get::<i64, _>("events")?;
            t.explained += r.try_get::<i64, _>("explained")?;
            t.flags += r.try_get::<i64, _>("flags")?;
            let pr: BTreeMap<String, i64> =
                serde_json::from_str(&r.try_get::<String, _>("per_rule")?).unwrap_or_default();
            for (k, v) in pr {
                *per_rule.entry(k).or_default() += v;
            }
        }
        let rows = steward_db::query("SELECT c.status, c.outcome, COUNT(*) AS n FROM audit_cases c JOIN audit_runs r ON r.id = c.run_id WHERE c.organisation_id = $1 AND r.period = $2 AND r.status = 'completed' GROUP BY c.status, c.outcome")
            .bind(org)
            .bind(period)
            .fetch_all(&self.steward.db.pool)
            .await?;
        for r in &rows {
            let n: i64 = r.try_get("n")?;
            let status: String = r.try_get("status")?;
            let outcome: Option<String> = r.try_get("outcome")?;
            t.cases += n;
            match status.as_str() {
                "open" => t.open += n,
                "awaiting_explanation" => t.awaiting_explanation += n,
                _ => {}
            }
            match outcome.as_deref() {
                Some("appropriate") => t.appropriate += n,
                Some("inappropriate") => t.inappropriate += n,
                Some("needs_explanation") => t.needs_explanation += n,
                _ => {}
            }
        }
        t.share();
        Ok((t, per_rule))
    }

    /// The report for an organisation (or the DPO's cluster) and a month.
    pub async fn report(
        &self,
        caller: &Caller,
        scope: &ReportScope,
        period: &str,
    ) -> CoreResult<Report> {
        let orgs = self.scope_orgs(caller, scope)?;
        if !valid_period(period) {
            return Err(CoreError::invalid(
                "period",
                "The month must be a real month, for example 5 2025",
            ));
        }
        let mut totals = Totals::default();
        let mut per_rule_all: BTreeMap<String, i64> = BTreeMap::new();
        let mut organisations = Vec::new();
        for o in &orgs {
            let (t, pr) = self.totals(o, period).await?;
            totals.add(&t);
            for (k, v) in pr {
                *per_rule_all.entry(k).or_default() += v;
            }
            organisations.push(t);
        }
        let title = match scope {
            ReportScope::Organisation(_) => {
                let name = organisations
                    .first()
                    .map(|t| t.organisation_name.clone())
                    .unwrap_or_default();
                totals.organisation_name = name.clone();
                format!("Access audit report: {name}, {}", period_label(period))
            }
            ReportScope::Cluster => {
                totals.organisation_name = "Cluster".into();
                organisations.retain(|t| t.runs > 0);
                format!("Access audit report: the cluster, {}", period_label(period))
            }
        };
        let per_rule = Rule::ALL
            .iter()
            .map(|r| RuleCount {
                rule: r.name().to_string(),
                flags: per_rule_all.get(r.name()).copied().unwrap_or(0),
            })
            .collect();
        // Reviewed cases (the outcomes), most severe first.
        let mut reviewed = Vec::new();
        for o in &orgs {
            let ids: Vec<String> = steward_db::query_scalar(
                "SELECT c.id FROM audit_cases c JOIN audit_runs r ON r.id = c.run_id WHERE c.organisation_id = $1 AND r.period = $2 AND r.status = 'completed' AND c.outcome IS NOT NULL ORDER BY c.severity DESC, c.rank LIMIT 500",
            )
            .bind(o)
            .bind(period)
            .fetch_all(&self.steward.db.pool)
            .await?;
            for id in ids {
                reviewed.push(self.load_case(&id).await?);
            }
        }
        let mut trend = Vec::new();
        for p in months_back(period, TREND_MONTHS) {
            let mut t = Totals::default();
            for o in &orgs {
                t.add(&self.totals(o, &p).await?.0);
            }
            if t.runs > 0 {
                trend.push(TrendRow {
                    period: p,
                    events: t.events,
                    explained_share: t.explained_share,
                    cases: t.cases,
                    inappropriate: t.inappropriate,
                });
            }
        }
        self.steward
            .trail_standalone(TrailEntry {
                organisation_id: match scope {
                    ReportScope::Organisation(o) => Some(o.clone()),
                    ReportScope::Cluster => Some(caller.current_organisation_id.clone()),
                },
                record_type: Some(crate::CASE_RECORD.into()),
                detail: format!(
                    "access audit report {period} ({})",
                    if matches!(scope, ReportScope::Cluster) {
                        "cluster"
                    } else {
                        "organisation"
                    }
                ),
                ..TrailEntry::for_caller(caller, "record.list")
            })
            .await?;
        Ok(Report {
            title,
            period: period.to_string(),
            scope: scope.clone(),
            cluster: matches!(scope, ReportScope::Cluster),
            totals,
            per_rule,
            organisations,
            reviewed,
            trend,
        })
    }

    /// The report's cases and outcomes as CSV, after a summary of the figures.
    pub async fn report_csv(
        &self,
        caller: &Caller,
        scope: &ReportScope,
        period: &str,
    ) -> CoreResult<String> {
        let rep = self.report(caller, scope, period).await?;
        let mut w = steward_core::csv_out::Writer::in_memory();
        let mut row = |r: Vec<String>| w.write_record(&r).map_err(internal);
        row(vec![
            "section".into(),
            "organisation".into(),
            "item".into(),
            "value".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
        ])?;
        for t in &rep.organisations {
            for (k, v) in [
                ("events", t.events.to_string()),
                ("explained", t.explained.to_string()),
                ("explained_share", format!("{:.4}", t.explained_share)),
                ("flags", t.flags.to_string()),
                ("cases", t.cases.to_string()),
                ("to_review", t.open.to_string()),
                ("awaiting_explanation", t.awaiting_explanation.to_string()),
                ("appropriate", t.appropriate.to_string()),
                ("inappropriate", t.inappropriate.to_string()),
            ] {
                row(vec![
                    "summary".into(),
                    t.organisation_name.clone(),
                    k.into(),
                    v,
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                ])?;
            }
        }
        for rc in &rep.per_rule {
            row(vec![
                "flags_per_rule".into(),
                rep.totals.organisation_name.clone(),
                rc.rule.clone(),
                rc.flags.to_string(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
            ])?;
        }
        for t in &rep.trend {
            row(vec![
                "trend".into(),
                rep.totals.organisation_name.clone(),
                t.period.clone(),
                t.events.to_string(),
                format!("{:.4}", t.explained_share),
                t.cases.to_string(),
                t.inappropriate.to_string(),
                "".into(),
                "".into(),
                "".into(),
            ])?;
        }
        row(vec![
            "case".into(),
            "organisation".into(),
            "rank".into(),
            "user".into(),
            "patient_or_day".into(),
            "rules".into(),
            "status".into(),
            "outcome".into(),
            "reason".into(),
            "first_access".into(),
        ])?;
        for c in &rep.reviewed {
            let org = rep
                .organisations
                .iter()
                .find(|t| t.organisation_id == c.organisation_id)
                .map(|t| t.organisation_name.clone())
                .unwrap_or_default();
            row(vec![
                "case".into(),
                org,
                c.rank.to_string(),
                format!("{} ({})", c.user_name, c.user_id),
                c.patient_id.clone().or(c.day.clone()).unwrap_or_default(),
                c.rules.join(" "),
                status_label(&c.status).into(),
                outcome_label(c.outcome.as_deref()).into(),
                c.outcome_reason.clone(),
                c.first_ts.clone(),
            ])?;
        }
        let bytes = w.into_inner().map_err(internal)?;
        String::from_utf8(bytes).map_err(internal)
    }

    /// The report as a PDF (steward-documents, the same writer as the engine's report).
    pub async fn report_pdf(
        &self,
        caller: &Caller,
        scope: &ReportScope,
        period: &str,
    ) -> CoreResult<Vec<u8>> {
        let rep = self.report(caller, scope, period).await?;
        tokio::task::spawn_blocking(move || render_pdf(&rep))
            .await
            .map_err(internal)?
    }
}

fn render_pdf(rep: &Report) -> CoreResult<Vec<u8>> {
    use steward_documents::DocumentSpec;
    let t = &rep.totals;
    let mut doc = DocumentSpec::new(rep.title.clone())
        .paragraph(format!(
            "Accesses audited: {}. Explained by a care relationship: {} ({}). Flags: {}. Cases: {} ({} to review, {} awaiting the user's explanation). Outcomes: {} appropriate, {} inappropriate, {} needing the user's explanation.",
            t.events, t.explained, t.explained_percent(), t.flags, t.cases, t.open, t.awaiting_explanation, t.appropriate, t.inappropriate, t.needs_explanation
        ))
        .paragraph("Rules as in the access-audit rule contract (shared/reference/access-audit-rules.md); \"explained\" means the user's team had a care episode for the patient from one day before its start to 14 days after its end.");
    if matches!(rep.scope, ReportScope::Cluster) {
        doc = doc.heading(1, "Organisations").table(
            [
                "Organisation",
                "Accesses",
                "Explained",
                "Cases",
                "To review",
                "Inappropriate",
            ]
            .map(String::from)
            .to_vec(),
            rep.organisations
                .iter()
                .map(|o| {
                    vec![
                        o.organisation_name.clone(),
                        o.events.to_string(),
                        o.explained_percent(),
                        o.cases.to_string(),
                        o.open.to_string(),
                        o.inappropriate.to_string(),
                    ]
                })
                .collect(),
        );
    }
    doc = doc.heading(1, "Flags per rule").table(
        vec!["Rule".into(), "Flags".into()],
        rep.per_rule
            .iter()
            .map(|r| vec![r.rule.clone(), r.flags.to_string()])
            .collect(),
    );
    doc = doc.heading(1, "Cases and outcomes");
    if rep.reviewed.is_empty() {
        doc = doc.paragraph("No case has an outcome yet.");
    } else {
        doc = doc.table(
            [
                "Rank",
                "User",
                "Patient / day",
                "Rules",
                "Outcome",
                "Reason",
            ]
            .map(String::from)
            .to_vec(),
            rep.reviewed
                .iter()
                .map(|c| {
                    vec![
                        c.rank.to_string(),
                        format!("{} ({})", c.user_name, c.user_id),
                        c.patient_id.clone().or(c.day.clone()).unwrap_or_default(),
                        c.rules.join(" "),
                        outcome_label(c.outcome.as_deref()).to_string(),
                        c.outcome_reason.clone(),
                    ]
                })
                .collect(),
        );
    }
    doc = doc.heading(1, "Trend");
    if rep.trend.is_empty() {
        doc = doc.paragraph("No completed audit in the last 12 months.");
    } else {
        doc = doc.table(
            ["Month", "Accesses", "Explained", "Cases", "Inappropriate"]
                .map(String::from)
                .to_vec(),
            rep.trend
                .iter()
                .map(|r| {
                    vec![
                        r.label(),
                        r.events.to_string(),
                        r.explained_percent(),
                        r.cases.to_string(),
                        r.inappropriate.to_string(),
                    ]
                })
                .collect(),
        );
    }
    doc.footer = "Confidential: access audit".into();
    steward_documents::write_pdf(&doc).map_err(|e| internal(format!("writing the PDF report: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_counts_back_whole_months() {
        assert_eq!(
            months_back("2025-03", 4),
            vec!["2024-12", "2025-01", "2025-02", "2025-03"]
        );
        assert_eq!(months_back("2025-05", 1), vec!["2025-05"]);
    }

    #[test]
    fn a_report_renders_to_pdf() {
        let rep = Report {
            title: "Access audit report: Harbour View Surgery, May 2025".into(),
            period: "2025-05".into(),
            scope: ReportScope::Organisation("o".into()),
            cluster: false,
            totals: Totals {
                events: 10,
                explained: 9,
                explained_share: 0.9,
                ..Default::default()
            },
            per_rule: vec![RuleCount {
                rule: "SELF".into(),
                flags: 1,
            }],
            organisations: vec![],
            reviewed: vec![],
            trend: vec![],
        };
        let pdf = render_pdf(&rep).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
}
