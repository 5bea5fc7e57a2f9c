//! The organisation's list of requests (filtered and paged on the server, most urgent
//! first) and the dashboard's counts.

use chrono::NaiveDate;
use steward_core::time::iso_date;
use steward_core::{Caller, CoreError, CoreResult, Op};
use steward_db::{AnyRow, Row};

use super::codes::{parse_status, parse_type, status_code, type_code};
use super::stored::{pauses_from, stored_from_row, SELECT};
use super::view::{RequestPage, RequestQuery, RequestRecord, RequestSummary};
use super::{Rights, KIND, PAGE_SIZE};

impl Rights<'_> {
    /// Lists an organisation's requests, filtered and paged on the server, most urgent first.
    pub async fn requests(
        &self,
        caller: &Caller,
        organisation_id: &str,
        q: &RequestQuery,
        today: NaiveDate,
    ) -> CoreResult<RequestPage> {
        let permit = self
            .steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        self.requests_in(caller, &[permit], q, today).await
    }

    /// The requests of several organisations in one list (the DPO's cluster view): each
    /// organisation permitted by the gate (`Steward::permit_lists`) and the read recorded on
    /// the trail for each.
    pub async fn requests_in(
        &self,
        caller: &Caller,
        permits: &[steward_core::OrgPermit],
        q: &RequestQuery,
        today: NaiveDate,
    ) -> CoreResult<RequestPage> {
        if permits.is_empty() || permits.iter().any(|p| p.kind() != KIND) {
            return Err(CoreError::Forbidden);
        }
        let mut binds: Vec<String> = permits
            .iter()
            .map(|p| p.organisation_id().to_string())
            .collect();
        let marks: Vec<String> = (1..=binds.len()).map(|i| format!("${i}")).collect();
        let mut wh = format!(" WHERE r.organisation_id IN ({})", marks.join(", "));
        let closed = "('completed', 'refused', 'withdrawn')";
        match q.status.as_deref().unwrap_or("") {
            "" | "all" => {}
            "open" => wh.push_str(&format!(" AND r.status NOT IN {closed}")),
            "overdue" => {
                binds.push(iso_date(today));
                wh.push_str(&format!(" AND r.status NOT IN {closed} AND r.status <> 'awaiting_clarification' AND r.due_on < ${}", binds.len()));
            }
            s => {
                let st = parse_status(s)
                    .ok_or_else(|| CoreError::invalid("status", "Select a status from the list"))?;
                binds.push(status_code(st).into());
                wh.push_str(&format!(" AND r.status = ${}", binds.len()));
            }
        }
        if let Some(t) = q.request_type.as_deref().filter(|t| !t.is_empty()) {
            let t = parse_type(t)
                .ok_or_else(|| CoreError::invalid("request_type", "Select a type from the list"))?;
            binds.push(type_code(t).into());
            wh.push_str(&format!(" AND r.request_type = ${}", binds.len()));
        }
        let count_sql = format!("SELECT COUNT(*) FROM rights_requests r{wh}");
        let mut cq = steward_db::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            cq = cq.bind(b);
        }
        let total = cq.fetch_one(&self.steward.db.pool).await?;
        let paging =
            steward_core::paging::Paging::lenient(q.page, q.size, PAGE_SIZE).at_most(total);
        let (page, size, pages) = (paging.page, paging.size, paging.pages(total));
        let sql = format!(
            "{SELECT}{wh} ORDER BY CASE WHEN r.status IN {closed} THEN 1 ELSE 0 END, r.due_on, r.reference LIMIT {size} OFFSET {}",
            paging.offset()
        );
        let mut lq = steward_db::query(&sql);
        for b in &binds {
            lq = lq.bind(b);
        }
        let rows = lq.fetch_all(&self.steward.db.pool).await?;
        let items = self.records_from(&rows, today).await?;
        self.steward
            .trail_lists(
                caller,
                permits,
                &format!("list {} page {page}", q.status.clone().unwrap_or_default()),
            )
            .await?;
        Ok(RequestPage {
            items,
            total,
            page,
            size,
            pages,
        })
    }

    pub(super) async fn records_from(
        &self,
        rows: &[AnyRow],
        today: NaiveDate,
    ) -> CoreResult<Vec<RequestRecord>> {
        let mut stored = rows
            .iter()
            .map(stored_from_row)
            .collect::<CoreResult<Vec<_>>>()?;
        if stored.is_empty() {
            return Ok(Vec::new());
        }
        // Every request's pauses in one query, not one per request.
        let marks: Vec<String> = (1..=stored.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT request_id, asked_on, question, received_on FROM rights_request_pauses WHERE request_id IN ({}) ORDER BY request_id, asked_on",
            marks.join(", ")
        );
        let mut q = steward_db::query(&sql);
        for s in &stored {
            q = q.bind(s.id.clone());
        }
        let pause_rows = q.fetch_all(&self.steward.db.pool).await?;
        let mut by_request: std::collections::HashMap<String, Vec<AnyRow>> =
            std::collections::HashMap::new();
        for r in pause_rows {
            by_request
                .entry(r.try_get("request_id")?)
                .or_default()
                .push(r);
        }
        let mut out = Vec::with_capacity(stored.len());
        for mut s in stored.drain(..) {
            if let Some(pr) = by_request.get(&s.id) {
                s.pauses = pauses_from(pr)?;
            }
            out.push(s.record(today)?);
        }
        Ok(out)
    }

    /// Counts of open, overdue, due-soon and paused requests for the dashboard.
    pub async fn summary(
        &self,
        caller: &Caller,
        organisation_id: &str,
        today: NaiveDate,
    ) -> CoreResult<RequestSummary> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        let sql = format!("{SELECT} WHERE r.organisation_id = $1 AND r.status NOT IN ('completed', 'refused', 'withdrawn') ORDER BY r.due_on");
        let rows = steward_db::query(&sql)
            .bind(organisation_id)
            .fetch_all(&self.steward.db.pool)
            .await?;
        let items = self.records_from(&rows, today).await?;
        let mut next: Vec<RequestRecord> = items
            .iter()
            .filter(|r| r.is_overdue() || r.is_due_soon())
            .cloned()
            .collect();
        next.truncate(5);
        Ok(RequestSummary {
            open: items.len() as i64,
            overdue: items.iter().filter(|r| r.is_overdue()).count() as i64,
            due_soon: items.iter().filter(|r| r.is_due_soon()).count() as i64,
            paused: items.iter().filter(|r| r.is_paused()).count() as i64,
            next,
        })
    }
}
