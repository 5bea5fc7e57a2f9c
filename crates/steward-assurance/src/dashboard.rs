//! The DPO's cluster view: one row per organisation the caller may see, with its incidents
//! open and on the 72-hour clock, risks above appetite, and the figures the other modules
//! give (rights requests, access-audit cases, overdue actions). Counted in SQL with one
//! grouped query per table, whatever the number of organisations and years of records.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use serde::Serialize;
use steward_core::gate::{Kind, Op};
use steward_core::time::{iso_date, stamp};
use steward_core::{Caller, CoreError, CoreResult, Steward};
use steward_db::Row;

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ClusterRow {
    pub organisation_id: String,
    pub name: String,
    pub incidents_open: i64,
    /// Open, notification owed or not yet graded, not notified, and within the clock.
    pub incidents_on_clock: i64,
    pub risks_above_appetite: i64,
    pub rights_open: i64,
    pub rights_overdue: i64,
    pub audit_cases_open: i64,
    pub actions_overdue: i64,
    /// Actions from compliance-audit findings still open.
    pub audit_findings_open: i64,
    /// The organisation's actions from action rounds, and how many are done.
    pub round_actions: i64,
    pub round_actions_done: i64,
}

impl ClusterRow {
    /// Action-round completion as a whole percentage (100 when nothing was asked).
    pub fn round_percent(&self) -> i64 {
        if self.round_actions == 0 {
            100
        } else {
            self.round_actions_done * 100 / self.round_actions
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClusterView {
    pub rows: Vec<ClusterRow>,
    pub totals: ClusterRow,
}

fn placeholders(from: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", from + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Grouped counts: `sql` has `{orgs}` where the organisation list goes (it may appear more
/// than once), takes `extra` binds first, and selects `org` and the columns `names`; each
/// organisation's counts come back in that order.
async fn grouped(
    steward: &Steward,
    sql: &str,
    extra: &[String],
    orgs: &[String],
    names: &[&str],
) -> CoreResult<HashMap<String, Vec<i64>>> {
    let sql = sql.replace("{orgs}", &placeholders(extra.len() + 1, orgs.len()));
    let mut q = steward_db::query(&sql);
    for b in extra.iter().chain(orgs) {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&steward.db.pool).await?;
    rows.iter()
        .map(|r| {
            let counts = names
                .iter()
                .map(|n| r.try_get::<i64, _>(*n))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((r.try_get::<String, _>("org")?, counts))
        })
        .collect()
}

pub async fn cluster_view(
    steward: &Steward,
    caller: &Caller,
    today: NaiveDate,
) -> CoreResult<ClusterView> {
    // The DPO's view of the whole cluster (the gate's cluster rule), then the organisations
    // whose incidents the caller may list.
    steward_core::gate::decide_cluster(caller, Kind::Incident)?;
    let orgs: Vec<String> = caller
        .visible_organisation_ids
        .iter()
        .filter(|o| {
            steward
                .permit_in(caller, Kind::Incident, Op::List, o)
                .is_ok()
        })
        .cloned()
        .collect();
    if orgs.is_empty() {
        return Err(CoreError::Forbidden);
    }
    let rules = crate::rules(steward);
    let since = stamp(Utc::now() - Duration::hours(rules.grid.clock.notify_within_hours));
    let today_s = iso_date(today);
    // One statement per table, each reading an index on the organisation and the status:
    // the open records, never the years of closed ones. Asked at once, so that their trips
    // to the database overlap.
    let incidents_q = grouped(steward, "SELECT organisation_id AS org, COUNT(*) AS open, SUM(CASE WHEN notified_at IS NULL AND (reportable IS NULL OR reportable = 1) AND aware_at >= $1 THEN 1 ELSE 0 END) AS on_clock FROM incidents WHERE status <> 'closed' AND organisation_id IN ({orgs}) GROUP BY organisation_id", std::slice::from_ref(&since), &orgs, &["open", "on_clock"]);
    let risks_q = grouped(steward, "SELECT r.organisation_id AS org, COUNT(*) AS n FROM risks r JOIN risk_appetites a ON a.organisation_id = r.organisation_id WHERE r.status = 'open' AND r.residual_score > a.appetite AND r.organisation_id IN ({orgs}) GROUP BY r.organisation_id", &[], &orgs, &["n"]);
    let rights_q = grouped(steward, "SELECT organisation_id AS org, COUNT(*) AS open, SUM(CASE WHEN status <> 'awaiting_clarification' AND due_on < $1 THEN 1 ELSE 0 END) AS overdue FROM rights_requests WHERE status NOT IN ('completed', 'refused', 'withdrawn') AND organisation_id IN ({orgs}) GROUP BY organisation_id", std::slice::from_ref(&today_s), &orgs, &["open", "overdue"]);
    let cases_q = grouped(steward, "SELECT organisation_id AS org, COUNT(*) AS n FROM audit_cases WHERE status <> 'closed' AND organisation_id IN ({orgs}) GROUP BY organisation_id", &[], &orgs, &["n"]);
    // Actions not done (open, in progress, cancelled): overdue, audit findings, and those
    // from action rounds (a round's action is in the practice the task is for). Filtering
    // on the due date instead read every action ever due before today.
    let actions_q = grouped(steward, "SELECT a.organisation_id AS org, \
         SUM(CASE WHEN a.status IN ('open', 'in_progress') AND a.due_date < $1 THEN 1 ELSE 0 END) AS overdue, \
         SUM(CASE WHEN a.status IN ('open', 'in_progress') AND a.source_record_type = 'compliance_audit' THEN 1 ELSE 0 END) AS findings, \
         SUM(CASE WHEN EXISTS (SELECT 1 FROM action_round_tasks t WHERE t.action_id = a.id) THEN 1 ELSE 0 END) AS round_not_done \
         FROM actions a WHERE a.status IN ('open', 'in_progress', 'cancelled') AND a.organisation_id IN ({orgs}) GROUP BY a.organisation_id", std::slice::from_ref(&today_s), &orgs, &["overdue", "findings", "round_not_done"]);
    let round_all_q = grouped(steward, "SELECT organisation_id AS org, COUNT(*) AS n FROM action_round_tasks WHERE organisation_id IN ({orgs}) GROUP BY organisation_id", &[], &orgs, &["n"]);
    let (names, incidents, risks, rights, cases, actions, round_all) = tokio::try_join!(
        grouped_names(steward, &orgs),
        incidents_q,
        risks_q,
        rights_q,
        cases_q,
        actions_q,
        round_all_q,
    )?;
    let get =
        |m: &HashMap<String, Vec<i64>>, o: &str, i: usize| m.get(o).map(|v| v[i]).unwrap_or(0);
    let mut rows: Vec<ClusterRow> = orgs
        .iter()
        .map(|o| ClusterRow {
            organisation_id: o.clone(),
            name: names.get(o).cloned().unwrap_or_default(),
            incidents_open: get(&incidents, o, 0),
            incidents_on_clock: get(&incidents, o, 1),
            risks_above_appetite: get(&risks, o, 0),
            rights_open: get(&rights, o, 0),
            rights_overdue: get(&rights, o, 1),
            audit_cases_open: get(&cases, o, 0),
            actions_overdue: get(&actions, o, 0),
            audit_findings_open: get(&actions, o, 1),
            round_actions: get(&round_all, o, 0),
            round_actions_done: get(&round_all, o, 0) - get(&actions, o, 2),
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let mut totals = ClusterRow {
        name: "Cluster".into(),
        ..Default::default()
    };
    for r in &rows {
        totals.incidents_open += r.incidents_open;
        totals.incidents_on_clock += r.incidents_on_clock;
        totals.risks_above_appetite += r.risks_above_appetite;
        totals.rights_open += r.rights_open;
        totals.rights_overdue += r.rights_overdue;
        totals.audit_cases_open += r.audit_cases_open;
        totals.actions_overdue += r.actions_overdue;
        totals.audit_findings_open += r.audit_findings_open;
        totals.round_actions += r.round_actions;
        totals.round_actions_done += r.round_actions_done;
    }
    Ok(ClusterView { rows, totals })
}

async fn grouped_names(steward: &Steward, orgs: &[String]) -> CoreResult<HashMap<String, String>> {
    let sql = format!(
        "SELECT id, name FROM organisations WHERE id IN ({})",
        placeholders(1, orgs.len())
    );
    let mut q = steward_db::query(&sql);
    for o in orgs {
        q = q.bind(o);
    }
    q.fetch_all(&steward.db.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

/// What the signed-in dashboard shows of assurance for one organisation: risks above the
/// appetite (the SIRO's escalations), incidents open and on the clock (for those who read
/// incidents), compliance-audit findings still open; and, for the DPO at home, the cluster's
/// totals. `None` for those who read no risks (the system administrator).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub risks_above_appetite: i64,
    /// Open risks above appetite escalated to the caller (the SIRO's own list).
    pub escalated_to_me: i64,
    pub incidents: Option<(i64, i64)>,
    pub audit_findings_open: i64,
    pub cluster: Option<ClusterView>,
}

pub async fn summary(
    steward: &Steward,
    caller: &Caller,
    org: &str,
    today: NaiveDate,
) -> CoreResult<Option<Summary>> {
    if steward
        .permit_in(caller, Kind::Risk, Op::List, org)
        .is_err()
    {
        return Ok(None);
    }
    // One statement for the five counts: the dashboard runs it on every view, and each
    // statement is a round trip to the database (PostgreSQL on another host).
    let may_incidents = steward
        .permit_in(caller, Kind::Incident, Op::List, org)
        .is_ok();
    let rules = crate::rules(steward);
    let since = stamp(Utc::now() - Duration::hours(rules.grid.clock.notify_within_hours));
    let r = steward_db::query(
        "SELECT \
         (SELECT COUNT(*) FROM risks r JOIN risk_appetites a ON a.organisation_id = r.organisation_id WHERE r.organisation_id = $1 AND r.status = 'open' AND r.residual_score > a.appetite) AS risks_above_appetite, \
         (SELECT COUNT(*) FROM risks r JOIN actions a ON a.id = r.escalation_action_id WHERE r.organisation_id = $1 AND r.status = 'open' AND a.owner_id = $2 AND a.status IN ('open', 'in_progress')) AS escalated_to_me, \
         (SELECT COUNT(*) FROM actions WHERE organisation_id = $1 AND source_record_type = 'compliance_audit' AND status IN ('open', 'in_progress')) AS audit_findings_open, \
         (SELECT COUNT(*) FROM incidents WHERE organisation_id = $1 AND status <> 'closed') AS incidents_open, \
         (SELECT COUNT(*) FROM incidents WHERE organisation_id = $1 AND status <> 'closed' AND notified_at IS NULL AND (reportable IS NULL OR reportable = 1) AND aware_at >= $3) AS incidents_on_clock",
    )
    .bind(org)
    .bind(&caller.user_id)
    .bind(&since)
    .fetch_one(&steward.db.pool)
    .await?;
    let risks_above_appetite: i64 = r.try_get("risks_above_appetite")?;
    let escalated_to_me: i64 = r.try_get("escalated_to_me")?;
    let audit_findings_open: i64 = r.try_get("audit_findings_open")?;
    // Counted for everyone who reads risks, shown only to those who may list incidents.
    let incidents = if may_incidents {
        Some((
            r.try_get("incidents_open")?,
            r.try_get("incidents_on_clock")?,
        ))
    } else {
        None
    };
    let cluster = if org == caller.home_organisation_id
        && steward_core::gate::decide_cluster(caller, Kind::Incident).is_ok()
    {
        Some(cluster_view(steward, caller, today).await?)
    } else {
        None
    };
    Ok(Some(Summary {
        risks_above_appetite,
        escalated_to_me,
        incidents,
        audit_findings_open,
        cluster,
    }))
}
