//! Actions: the generic to-do that every module raises (a DPIA measure, an overdue SAR, an
//! audit finding). An action belongs to one organisation and has one owner.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::gate::{ops, Kind, Op, Permit};
use crate::records::record_version;
use crate::time::{iso_date, now_stamp, parse_iso_date};
use crate::trail::{append, TrailEntry};
use crate::{Caller, Steward};
use steward_db::{AnyRow, Row};

pub const RECORD_TYPE: &str = "action";
const KIND: Kind = Kind::Action;
/// "Due soon" means due within this many days.
pub const DUE_SOON_DAYS: i64 = 7;
pub const PAGE_SIZE: i64 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    Cancelled,
}

pub const ALL_STATUSES: [ActionStatus; 4] = [
    ActionStatus::Open,
    ActionStatus::InProgress,
    ActionStatus::Done,
    ActionStatus::Cancelled,
];

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
            ActionStatus::Cancelled => "cancelled",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::Open => "Open",
            ActionStatus::InProgress => "In progress",
            ActionStatus::Done => "Done",
            ActionStatus::Cancelled => "Cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<ActionStatus> {
        ALL_STATUSES.into_iter().find(|x| x.as_str() == s)
    }
    pub fn is_closed(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::Cancelled)
    }
}

/// What a person enters to create or change an action (form and API alike).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionInput {
    #[schema(pattern = "\\S", max_length = 200)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[schema(pattern = "\\S")]
    pub owner_id: String,
    /// YYYY-MM-DD
    #[schema(format = Date)]
    pub due_date: String,
    /// open, in_progress, done or cancelled; new actions default to open.
    #[serde(default)]
    pub status: Option<String>,
    /// The record this action came from, e.g. "action" and its id.
    #[serde(default)]
    pub source_record_type: Option<String>,
    #[serde(default)]
    pub source_record_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Action {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub title: String,
    pub description: String,
    pub owner_id: String,
    pub owner_name: String,
    pub due_date: NaiveDate,
    pub status: ActionStatus,
    pub source_record_type: Option<String>,
    pub source_record_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl Action {
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        !self.status.is_closed() && self.due_date < today
    }
    pub fn is_due_soon(&self, today: NaiveDate) -> bool {
        !self.status.is_closed()
            && self.due_date >= today
            && self.due_date <= today + Duration::days(DUE_SOON_DAYS)
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "title": self.title,
            "description": self.description,
            "owner": self.owner_name,
            "due_date": iso_date(self.due_date),
            "status": self.status.label(),
            "source_record": self.source_record_id.as_ref().map(|id| format!("{} {}", self.source_record_type.as_deref().unwrap_or(""), id)),
            "version": self.version,
        })
    }
}

/// Which actions a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionView {
    /// Every action of the organisation.
    #[default]
    All,
    /// The caller's own open actions, across the organisations they can see.
    Mine,
    /// Open actions past their due date.
    Overdue,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    pub view: Option<ActionView>,
    pub status: Option<String>,
    /// due_date (default), title, status, -due_date, ...
    pub sort: Option<String>,
    /// The page, from 1 (default 1); past the last, the last.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// How many items a page holds (default 25, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub size: Option<i64>,
    pub source_record_type: Option<String>,
    pub source_record_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActionPage {
    pub items: Vec<Action>,
    pub total: i64,
    pub page: i64,
    /// How many items a page holds.
    pub size: i64,
    pub pages: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: String,
    pub display_name: String,
}

const SELECT: &str = "SELECT a.*, u.display_name AS owner_name, u.email AS owner_email, o.name AS organisation_name FROM actions a JOIN users u ON u.id = a.owner_id JOIN organisations o ON o.id = a.organisation_id";

/// [`SELECT`] of one page: the page's actions first (`filter` and `order` on `a` only), then
/// their owners and organisations. Joining before the limit joined every matching action (a
/// thousand for a busy practice) to show twenty-five. `order` ends with the id, so that the
/// page and its order are the same in both steps.
fn select_page(filter: &str, order: &str, limit: i64, offset: i64) -> String {
    format!(
        "SELECT a.*, u.display_name AS owner_name, u.email AS owner_email, o.name AS organisation_name \
         FROM (SELECT a.* FROM actions a{filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}) a \
         JOIN users u ON u.id = a.owner_id JOIN organisations o ON o.id = a.organisation_id \
         ORDER BY {order}"
    )
}

fn from_row(r: &AnyRow) -> CoreResult<Action> {
    let due: String = r.try_get("due_date")?;
    Ok(Action {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        due_date: parse_iso_date(&due)
            .ok_or_else(|| CoreError::Internal(format!("stored due date {due:?} is not a date")))?,
        status: ActionStatus::parse(&r.try_get::<String, _>("status")?)
            .unwrap_or(ActionStatus::Open),
        source_record_type: r.try_get("source_record_type")?,
        source_record_id: r.try_get("source_record_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

/// A new action that passed the gate and its checks, ready for [`Steward::insert_action`];
/// only [`Steward::check_new_action`] makes one.
pub struct NewAction {
    organisation_id: String,
    checked: Checked,
}

struct Checked {
    title: String,
    description: String,
    owner_id: String,
    due_date: NaiveDate,
    status: ActionStatus,
    source: Option<(String, String)>,
}

impl Steward {
    /// People who may own an action of an organisation: its own users who work on
    /// records, and the cluster's DPO.
    pub async fn assignable_people(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<Person>> {
        caller.require_read(organisation_id)?;
        let rows = steward_db::query(
            "SELECT u.id, u.display_name, u.role, u.organisation_id FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.active = 1 AND o.cluster_id = $1 AND (u.organisation_id = $2 OR u.role = 'dpo') AND u.role NOT IN ('system_administrator', 'auditor') ORDER BY u.display_name",
        )
        .bind(&caller.cluster_id)
        .bind(organisation_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Person {
                    id: r.try_get("id")?,
                    display_name: r.try_get("display_name")?,
                })
            })
            .collect()
    }

    async fn check_action(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &ActionInput,
        creating: bool,
    ) -> CoreResult<Checked> {
        let mut errors = FieldErrors::default();
        let title = input.title.trim().to_string();
        if title.is_empty() {
            errors.add("title", "Enter a title");
        } else if title.chars().count() > 200 {
            errors.add("title", "Title must be 200 characters or fewer");
        }
        let description = input.description.trim().to_string();
        if description.chars().count() > 10_000 {
            errors.add(
                "description",
                "Description must be 10,000 characters or fewer",
            );
        }
        let people = self.assignable_people(caller, organisation_id).await?;
        if input.owner_id.trim().is_empty() {
            errors.add("owner_id", "Select who owns this action");
        } else if !people.iter().any(|p| p.id == input.owner_id) {
            errors.add("owner_id", "Select an owner from this organisation");
        }
        let due = input.due_date.trim();
        let due_date = if due.is_empty() {
            errors.add("due_date", "Enter a due date");
            None
        } else {
            let d = parse_iso_date(due);
            if d.is_none() {
                errors.add(
                    "due_date",
                    "Due date must be a real date, for example 27 3 2027",
                );
            }
            d
        };
        let status = match input.status.as_deref().filter(|s| !s.is_empty()) {
            None if creating => Some(ActionStatus::Open),
            None => {
                errors.add("status", "Select a status");
                None
            }
            Some(s) => {
                let st = ActionStatus::parse(s);
                if st.is_none() {
                    errors.add("status", "Select a status");
                }
                st
            }
        };
        let source = match (
            input
                .source_record_type
                .as_deref()
                .filter(|s| !s.is_empty()),
            input.source_record_id.as_deref().filter(|s| !s.is_empty()),
        ) {
            (None, None) => None,
            // The linked record goes through the gate too: one the caller cannot read, or
            // of another organisation, is refused the same way as one that does not exist.
            (Some(t), Some(id)) => match self.permit_quiet(caller, t, id).await {
                Ok(p) if p.organisation_id() == organisation_id => {
                    Some((t.to_string(), id.to_string()))
                }
                _ => {
                    errors.add(
                        "source_record_id",
                        "The linked record must exist in this organisation",
                    );
                    None
                }
            },
            _ => {
                errors.add(
                    "source_record_id",
                    "Give both the type and the id of the linked record",
                );
                None
            }
        };
        errors.into_result()?;
        Ok(Checked {
            title,
            description,
            owner_id: input.owner_id.clone(),
            due_date: due_date.expect("validated"),
            status: status.expect("validated"),
            source,
        })
    }

    pub async fn create_action(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &ActionInput,
    ) -> CoreResult<Action> {
        let new = self
            .check_new_action(caller, organisation_id, input)
            .await?;
        let mut w = self.write().await?;
        let action = self.insert_action(&mut w.tx, caller, new).await?;
        w.commit().await?;
        Ok(action)
    }

    /// Checks a new action (the gate, then its fields) without writing anything: a module
    /// that creates many actions in one transaction checks them all first, then writes each
    /// with [`Steward::insert_action`].
    pub async fn check_new_action(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &ActionInput,
    ) -> CoreResult<NewAction> {
        self.permit_in(caller, KIND, Op::Create, organisation_id)?;
        let checked = self
            .check_action(caller, organisation_id, input, true)
            .await?;
        Ok(NewAction {
            organisation_id: organisation_id.to_string(),
            checked,
        })
    }

    /// Writes a checked new action, its first version and its trail entry, inside `tx`.
    pub async fn insert_action(
        &self,
        tx: &mut steward_db::Tx<'static>,
        caller: &Caller,
        new: NewAction,
    ) -> CoreResult<Action> {
        let NewAction {
            organisation_id,
            checked: c,
        } = new;
        let organisation_id = organisation_id.as_str();
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        steward_db::query(
            "INSERT INTO actions (id, organisation_id, title, description, owner_id, due_date, status, source_record_type, source_record_id, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(&c.title)
        .bind(&c.description)
        .bind(&c.owner_id)
        .bind(iso_date(c.due_date))
        .bind(c.status.as_str())
        .bind(c.source.as_ref().map(|s| s.0.clone()))
        .bind(c.source.as_ref().map(|s| s.1.clone()))
        .bind(&caller.user_id)
        .bind(&now)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        let action = self.action_in(tx, &id).await?;
        record_version(
            tx,
            caller,
            RECORD_TYPE,
            &id,
            organisation_id,
            1,
            &action.snapshot(),
        )
        .await?;
        let mut e =
            TrailEntry::for_record(caller, "record.create", organisation_id, RECORD_TYPE, &id);
        e.detail = c.title;
        append(tx, &e).await?;
        Ok(action)
    }

    async fn action_in(&self, tx: &mut steward_db::Tx<'static>, id: &str) -> CoreResult<Action> {
        let sql = format!("{SELECT} WHERE a.id = $1");
        let row = steward_db::query(&sql)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    async fn load_action(&self, id: &str) -> CoreResult<Action> {
        let sql = format!("{SELECT} WHERE a.id = $1");
        let row = steward_db::query(&sql)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    /// One action; the gate recorded the view in the audit trail when it gave the permit.
    pub async fn action(&self, permit: &Permit<ops::Read>) -> CoreResult<Action> {
        self.load_action(permit.id()).await
    }

    /// Updates an action. `expected_version` (when given) guards against overwriting a
    /// change someone else saved in the meantime.
    pub async fn update_action(
        &self,
        caller: &Caller,
        id: &str,
        input: &ActionInput,
        expected_version: Option<i64>,
    ) -> CoreResult<Action> {
        self.permit::<ops::Change>(caller, KIND, id).await?;
        let before = self.load_action(id).await?;
        let c = self
            .check_action(caller, &before.organisation_id, input, false)
            .await?;
        let mut w = self.write().await?;
        let current: i64 = steward_db::query_scalar("SELECT version FROM actions WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *w.tx)
            .await?;
        if expected_version.is_some_and(|v| v != current) {
            return Err(CoreError::Conflict(
                "Someone else changed this action while you were editing it. Reload to see their changes.".into(),
            ));
        }
        let version = current + 1;
        steward_db::query(
            "UPDATE actions SET title = $1, description = $2, owner_id = $3, due_date = $4, status = $5, source_record_type = $6, source_record_id = $7, updated_at = $8, version = $9 WHERE id = $10",
        )
        .bind(&c.title)
        .bind(&c.description)
        .bind(&c.owner_id)
        .bind(iso_date(c.due_date))
        .bind(c.status.as_str())
        .bind(c.source.as_ref().map(|s| s.0.clone()))
        .bind(c.source.as_ref().map(|s| s.1.clone()))
        .bind(now_stamp())
        .bind(version)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        let after = self.action_in(&mut w.tx, id).await?;
        record_version(
            &mut w.tx,
            caller,
            RECORD_TYPE,
            id,
            &after.organisation_id,
            version,
            &after.snapshot(),
        )
        .await?;
        let changes = crate::records::diff(&before.snapshot(), &after.snapshot());
        let mut e = TrailEntry::for_record(
            caller,
            "record.update",
            &after.organisation_id,
            RECORD_TYPE,
            id,
        );
        e.detail = changes
            .iter()
            .map(|c| c.field.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        Ok(after)
    }

    pub async fn delete_action(&self, caller: &Caller, id: &str) -> CoreResult<()> {
        self.permit::<ops::Delete>(caller, KIND, id).await?;
        let a = self.load_action(id).await?;
        let mut w = self.write().await?;
        let rounds: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM action_round_tasks WHERE action_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *w.tx)
        .await?;
        if rounds > 0 {
            return Err(CoreError::Conflict(
                "This action was set by an audit round sent to the practices, so it cannot be deleted. Mark it done or cancelled instead.".into(),
            ));
        }
        steward_db::query("DELETE FROM actions WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        // The versions stay: the history of a deleted record is still evidence.
        let mut e =
            TrailEntry::for_record(caller, "record.delete", &a.organisation_id, RECORD_TYPE, id);
        e.detail = a.title;
        append(&mut w.tx, &e).await?;
        w.commit().await
    }

    /// Lists actions of the caller's current organisation (or, for "mine", every
    /// organisation they can see), filtered, sorted and paged on the server.
    pub async fn actions(
        &self,
        caller: &Caller,
        organisation_id: &str,
        q: &ActionQuery,
        today: NaiveDate,
    ) -> CoreResult<ActionPage> {
        let permit = self.permit_in(caller, KIND, Op::List, organisation_id)?;
        self.actions_in(caller, &[permit], q, today).await
    }

    /// The actions of several organisations in one list (the DPO's cluster view): each
    /// organisation permitted by the gate ([`Steward::permit_lists`]) and the read recorded
    /// on the trail for each.
    pub async fn actions_in(
        &self,
        caller: &Caller,
        permits: &[crate::OrgPermit],
        q: &ActionQuery,
        today: NaiveDate,
    ) -> CoreResult<ActionPage> {
        if permits.iter().any(|p| p.kind() != KIND) || permits.is_empty() {
            return Err(CoreError::Forbidden);
        }
        let view = q.view.unwrap_or_default();
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |v: String| {
            binds.push(v);
            format!("${}", binds.len())
        };
        let mut wh = String::from(" WHERE 1 = 1");
        match view {
            ActionView::Mine => {
                let p = bind(caller.user_id.clone());
                wh.push_str(&format!(
                    " AND a.owner_id = {p} AND a.status IN ('open', 'in_progress')"
                ));
                let orgs: Vec<String> = caller
                    .visible_organisation_ids
                    .iter()
                    .map(|o| bind(o.clone()))
                    .collect();
                wh.push_str(&format!(" AND a.organisation_id IN ({})", orgs.join(", ")));
            }
            ActionView::Overdue | ActionView::All => {
                let orgs: Vec<String> = permits
                    .iter()
                    .map(|p| bind(p.organisation_id().to_string()))
                    .collect();
                wh.push_str(&format!(" AND a.organisation_id IN ({})", orgs.join(", ")));
                if view == ActionView::Overdue {
                    let d = bind(iso_date(today));
                    wh.push_str(&format!(
                        " AND a.status IN ('open', 'in_progress') AND a.due_date < {d}"
                    ));
                }
            }
        }
        if let Some(s) = q.status.as_deref().and_then(ActionStatus::parse) {
            let p = bind(s.as_str().to_string());
            wh.push_str(&format!(" AND a.status = {p}"));
        }
        if let (Some(t), Some(id)) = (
            q.source_record_type.as_deref(),
            q.source_record_id.as_deref(),
        ) {
            let (pt, pi) = (bind(t.to_string()), bind(id.to_string()));
            wh.push_str(&format!(
                " AND a.source_record_type = {pt} AND a.source_record_id = {pi}"
            ));
        }
        let order = match q.sort.as_deref().unwrap_or("due_date") {
            "title" => "a.title ASC, a.due_date ASC, a.id",
            "-title" => "a.title DESC, a.due_date ASC, a.id",
            "status" => "a.status ASC, a.due_date ASC, a.id",
            "-status" => "a.status DESC, a.due_date ASC, a.id",
            "-due_date" => "a.due_date DESC, a.title ASC, a.id",
            _ => "a.due_date ASC, a.title ASC, a.id",
        };
        let count_sql = format!("SELECT COUNT(*) FROM actions a{wh}");
        let mut cq = steward_db::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            cq = cq.bind(b);
        }
        let total = cq.fetch_one(&self.db.pool).await?;
        let paging = crate::paging::Paging::lenient(q.page, q.size, PAGE_SIZE).at_most(total);
        let (page, size, pages) = (paging.page, paging.size, paging.pages(total));
        let sql = select_page(&wh, order, size, paging.offset());
        let mut lq = steward_db::query(&sql);
        for b in &binds {
            lq = lq.bind(b);
        }
        let items = lq
            .fetch_all(&self.db.pool)
            .await?
            .iter()
            .map(from_row)
            .collect::<CoreResult<Vec<_>>>()?;
        self.trail_lists(caller, permits, &format!("list {view:?} page {page}"))
            .await?;
        Ok(ActionPage {
            items,
            total,
            page,
            size,
            pages,
        })
    }

    /// Open actions per owner that are overdue or due soon: what the reminder email says.
    pub async fn actions_to_remind(
        &self,
        today: NaiveDate,
    ) -> CoreResult<Vec<(String, String, String, Vec<Action>)>> {
        let soon = iso_date(today + Duration::days(DUE_SOON_DAYS));
        let sql = format!("{SELECT} WHERE a.status IN ('open', 'in_progress') AND a.due_date <= $1 AND u.active = 1 ORDER BY a.owner_id, a.due_date");
        let rows = steward_db::query(&sql)
            .bind(soon)
            .fetch_all(&self.db.pool)
            .await?;
        let mut out: Vec<(String, String, String, Vec<Action>)> = Vec::new();
        for r in &rows {
            let a = from_row(r)?;
            match out.last_mut() {
                Some(last) if last.0 == a.owner_id => last.3.push(a),
                _ => {
                    let email: String = r.try_get("owner_email")?;
                    out.push((a.owner_id.clone(), email, a.owner_name.clone(), vec![a]));
                }
            }
        }
        Ok(out)
    }

    /// Open actions owned by a user, for their calendar feed.
    pub async fn open_actions_of(&self, user_id: &str) -> CoreResult<Vec<Action>> {
        let sql = format!("{SELECT} WHERE a.owner_id = $1 AND a.status IN ('open', 'in_progress') ORDER BY a.due_date");
        steward_db::query(&sql)
            .bind(user_id)
            .fetch_all(&self.db.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }
}

/// What the dashboard shows a signed-in person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// The caller's open actions, in every organisation they can see.
    pub mine: i64,
    pub mine_overdue: i64,
    pub mine_due_soon: i64,
    /// Open actions of the current organisation.
    pub open_in_organisation: i64,
    pub next: Vec<Action>,
}

impl Steward {
    pub async fn dashboard(
        &self,
        caller: &Caller,
        organisation_id: &str,
        today: NaiveDate,
    ) -> CoreResult<Dashboard> {
        caller.require_read(organisation_id)?;
        // Counted in SQL: a person may own thousands of open actions.
        let orgs: Vec<String> = (0..caller.visible_organisation_ids.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let (today_n, soon_n) = (orgs.len() + 2, orgs.len() + 3);
        let mine_where =
            format!(
            "a.owner_id = $1 AND a.status IN ('open', 'in_progress') AND a.organisation_id IN ({})",
            if orgs.is_empty() { "NULL".to_string() } else { orgs.join(", ") }
        );
        let org_n = orgs.len() + 4;
        let count_sql = format!(
            "SELECT COUNT(*) AS mine, \
             COALESCE(SUM(CASE WHEN a.due_date < ${today_n} THEN 1 ELSE 0 END), 0) AS overdue, \
             COALESCE(SUM(CASE WHEN a.due_date >= ${today_n} AND a.due_date <= ${soon_n} THEN 1 ELSE 0 END), 0) AS due_soon, \
             (SELECT COUNT(*) FROM actions o WHERE o.organisation_id = ${org_n} AND o.status IN ('open', 'in_progress')) AS open_in_organisation \
             FROM actions a WHERE {mine_where}"
        );
        let next_sql = select_page(&format!(" WHERE {mine_where}"), "a.due_date, a.id", 5, 0);
        // One statement, one trip to the database: the counts beside each of the next five
        // actions (one row of counts and no action when the person has none open).
        let sql = format!(
            "SELECT c.mine, c.overdue, c.due_soon, c.open_in_organisation, p.* \
             FROM ({count_sql}) c LEFT JOIN ({next_sql}) p ON 1 = 1 ORDER BY p.due_date, p.id"
        );
        let mut q = steward_db::query(&sql).bind(&caller.user_id);
        for id in &caller.visible_organisation_ids {
            q = q.bind(id);
        }
        let rows = q
            .bind(iso_date(today))
            .bind(iso_date(today + Duration::days(DUE_SOON_DAYS)))
            .bind(organisation_id)
            .fetch_all(&self.db.pool)
            .await?;
        let counts = rows
            .first()
            .ok_or_else(|| CoreError::Internal("the dashboard's counts returned no row".into()))?;
        let mut next = Vec::with_capacity(rows.len());
        for r in &rows {
            if r.try_get::<Option<String>, _>("id")?.is_some() {
                next.push(from_row(r)?);
            }
        }
        let d = Dashboard {
            mine: counts.try_get::<i64, _>("mine")?,
            mine_overdue: counts.try_get::<i64, _>("overdue")?,
            mine_due_soon: counts.try_get::<i64, _>("due_soon")?,
            open_in_organisation: counts.try_get::<i64, _>("open_in_organisation")?,
            next,
        };
        // Counts and the caller's own next actions: no record is opened, so no trail entry
        // (one per page view would bury the entries that matter).
        Ok(d)
    }

    /// Actions raised from a record (the record's own view is already in the trail).
    pub async fn linked_actions(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<Action>> {
        let (record_type, record_id) = (permit.kind().code(), permit.id());
        let sql = format!("{SELECT} WHERE a.source_record_type = $1 AND a.source_record_id = $2 ORDER BY a.due_date");
        steward_db::query(&sql)
            .bind(record_type)
            .bind(record_id)
            .fetch_all(&self.db.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }
}
