//! Action rounds: the DPO sends one set of required actions to many practices at once (the
//! high-risk processing list of seed 001 ships as the starting template). Each practice gets
//! one foundation action per required action, owned by its IG lead (else its SIRO), and
//! ticks it off there with its evidence attached. The DPO sees a grid of practices x
//! required actions (done, overdue, evidence) and chases a practice from it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_core::actions::{ActionInput, ActionStatus};
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::records::record_version;
use steward_core::time::{iso_date, long_date, now_stamp, parse_iso_date};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row};

use crate::audits::practice_owner;
use crate::round_template::{parse_lines, RequiredAction};

const KIND: Kind = Kind::ActionRound;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActionRound {
    pub id: String,
    pub organisation_id: String,
    pub title: String,
    pub introduction: String,
    pub required_actions: Vec<RequiredAction>,
    pub due_date: NaiveDate,
    pub sent_by_name: String,
    pub sent_at: String,
    /// Practices the round went to.
    pub practices: i64,
    /// Their actions, and how many are done.
    pub tasks: i64,
    pub done: i64,
}

impl ActionRound {
    pub fn percent_done(&self) -> i64 {
        if self.tasks == 0 {
            0
        } else {
            self.done * 100 / self.tasks
        }
    }
}

/// What the DPO sends (form and API alike).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SendInput {
    #[schema(required, pattern = "\\S")]
    pub title: String,
    #[serde(default)]
    pub introduction: String,
    /// One required action per line, "Heading: what to do".
    #[schema(required, pattern = "\\S")]
    pub required_actions: String,
    /// YYYY-MM-DD
    #[schema(required, format = Date)]
    pub due_date: String,
    /// The practices (organisation ids); at least one.
    #[serde(default)]
    #[schema(required, min_items = 1)]
    pub organisation_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cell {
    pub action_id: String,
    /// open, in_progress, done, cancelled
    pub status: String,
    pub overdue: bool,
    /// Files attached to the action and comments on it.
    pub evidence: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GridRow {
    pub organisation_id: String,
    pub name: String,
    pub owner_name: String,
    pub cells: Vec<Option<Cell>>,
    pub done: i64,
    pub overdue: i64,
    pub last_chased_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Grid {
    pub round: ActionRound,
    pub rows: Vec<GridRow>,
}

pub struct Rounds<'a> {
    pub steward: &'a Steward,
}

pub fn rounds(steward: &Steward) -> Rounds<'_> {
    Rounds { steward }
}

/// The longest title an action takes (the actions' own rule).
const ACTION_TITLE_CHARS: usize = 200;

/// A required action's title as an action: "Heading: what to do", cut at a word with an
/// ellipsis when longer than an action's title may be (a line may hold 80 characters of
/// heading and 300 of text); the whole line opens the action's description.
fn action_title(item: &RequiredAction) -> String {
    let full = format!("{}: {}", item.heading, item.text);
    if full.chars().count() <= ACTION_TITLE_CHARS {
        return full;
    }
    let cut: String = full.chars().take(ACTION_TITLE_CHARS - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

const SELECT: &str = "SELECT r.*, u.display_name AS sent_by_name, (SELECT COUNT(DISTINCT t.organisation_id) FROM action_round_tasks t WHERE t.round_id = r.id) AS practices, (SELECT COUNT(*) FROM action_round_tasks t WHERE t.round_id = r.id) AS tasks, (SELECT COUNT(*) FROM action_round_tasks t JOIN actions a ON a.id = t.action_id WHERE t.round_id = r.id AND a.status = 'done') AS done FROM action_rounds r JOIN users u ON u.id = r.sent_by";

fn from_row(r: &AnyRow) -> CoreResult<ActionRound> {
    let due: String = r.try_get("due_date")?;
    let list: String = r.try_get("required_actions")?;
    Ok(ActionRound {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        title: r.try_get("title")?,
        introduction: r.try_get("introduction")?,
        required_actions: serde_json::from_str(&list)
            .map_err(|e| CoreError::Internal(format!("stored required actions: {e}")))?,
        due_date: parse_iso_date(&due)
            .ok_or_else(|| CoreError::Internal(format!("stored due date {due:?}")))?,
        sent_by_name: r.try_get("sent_by_name")?,
        sent_at: r.try_get("sent_at")?,
        practices: r.try_get("practices")?,
        tasks: r.try_get("tasks")?,
        done: r.try_get("done")?,
    })
}

impl Rounds<'_> {
    /// The DPO sends a round from their own organisation to the practices chosen. Everything
    /// is checked first (each practice has an owner for the actions, each action passes the
    /// gate and its checks); then the round and every practice's actions are written in one
    /// transaction.
    pub async fn send(
        &self,
        caller: &Caller,
        dpo_org: &str,
        input: &SendInput,
        today: NaiveDate,
    ) -> CoreResult<ActionRound> {
        self.steward.permit_in(caller, KIND, Op::Create, dpo_org)?;
        let mut e = FieldErrors::default();
        let title = input.title.trim().to_string();
        if title.is_empty() {
            e.add("title", "Enter a title for the round");
        } else if title.chars().count() > 200 {
            e.add("title", "The title must be 200 characters or fewer");
        }
        let intro = input.introduction.trim().to_string();
        if intro.chars().count() > 5_000 {
            e.add(
                "introduction",
                "The introduction must be 5,000 characters or fewer",
            );
        }
        let items = match parse_lines(&input.required_actions) {
            Ok(i) => i,
            Err(m) => {
                e.add("required_actions", m);
                vec![]
            }
        };
        let due = match parse_iso_date(input.due_date.trim()) {
            Some(d) if d < today => {
                e.add("due_date", "The due date must be today or later");
                None
            }
            Some(d) => Some(d),
            None => {
                e.add(
                    "due_date",
                    "Enter the date the practices must finish by, for example 31 3 2027",
                );
                None
            }
        };
        let mut orgs: Vec<String> = input.organisation_ids.clone();
        orgs.sort();
        orgs.dedup();
        orgs.retain(|o| o != dpo_org);
        let mut owners = vec![];
        if orgs.is_empty() {
            e.add("organisation_ids", "Choose at least one practice");
        }
        for o in &orgs {
            // Another cluster's organisation, or one the caller may not give actions to,
            // reads as not chosen.
            if self
                .steward
                .permit_in(caller, Kind::Action, Op::Create, o)
                .is_err()
            {
                e.add("organisation_ids", "Choose practices of your cluster");
                break;
            }
            match practice_owner(self.steward, o).await? {
                Some(owner) => owners.push((o.clone(), owner)),
                None => {
                    let name: String =
                        steward_db::query_scalar("SELECT name FROM organisations WHERE id = $1")
                            .bind(o)
                            .fetch_one(&self.steward.db.pool)
                            .await?;
                    e.add(
                        "organisation_ids",
                        format!("{name} has no IG lead or SIRO to own the actions"),
                    );
                }
            }
        }
        e.into_result()?;
        let due = due.expect("checked");
        // Every practice's actions are checked before anything is written, then the round,
        // its tasks and every action are written in one transaction: a round is sent to all
        // the practices chosen, or to none.
        let mut actions = Vec::with_capacity(owners.len() * items.len());
        for (org, owner) in &owners {
            for (i, item) in items.iter().enumerate() {
                let input = ActionInput {
                    title: action_title(item),
                    description: format!(
                        "{}: {}\n\nRequired by the DPO in the round \"{title}\". {intro}\n\nMark this action done when it is in place, and attach the evidence (a certificate, a contract, a training report).",
                        item.heading, item.text
                    ).replace(". \n", ".\n"),
                    owner_id: owner.0.clone(),
                    due_date: iso_date(due),
                    status: None,
                    source_record_type: None,
                    source_record_id: None,
                };
                let new = self.steward.check_new_action(caller, org, &input).await?;
                actions.push((org, i, new));
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query("INSERT INTO action_rounds (id, organisation_id, cluster_id, title, introduction, required_actions, due_date, sent_by, sent_at, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, 1)")
            .bind(&id)
            .bind(dpo_org)
            .bind(&caller.cluster_id)
            .bind(&title)
            .bind(&intro)
            .bind(serde_json::to_string(&items).expect("serialises"))
            .bind(iso_date(due))
            .bind(&caller.user_id)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        record_version(&mut w.tx, caller, KIND.code(), &id, dpo_org, 1, &serde_json::json!({
            "title": title, "due_date": long_date(due), "required_actions": items.len(), "practices": orgs.len(),
        })).await?;
        let mut t = TrailEntry::for_record(caller, "record.create", dpo_org, KIND.code(), &id);
        t.detail = title.clone();
        append(&mut w.tx, &t).await?;
        for (org, i, new) in actions {
            let action = self.steward.insert_action(&mut w.tx, caller, new).await?;
            steward_db::query("INSERT INTO action_round_tasks (round_id, organisation_id, item, action_id) VALUES ($1, $2, $3, $4)")
                .bind(&id)
                .bind(org)
                .bind(i as i64)
                .bind(&action.id)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        self.load(&id).await
    }

    async fn load(&self, id: &str) -> CoreResult<ActionRound> {
        let row = steward_db::query(&format!("{SELECT} WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn round(&self, permit: &Permit<ops::Read>) -> CoreResult<ActionRound> {
        self.load(permit.id()).await
    }

    /// The DPO's rounds, newest first.
    pub async fn list(&self, caller: &Caller, dpo_org: &str) -> CoreResult<Vec<ActionRound>> {
        self.steward.permit_in(caller, KIND, Op::List, dpo_org)?;
        let rows = steward_db::query(&format!(
            "{SELECT} WHERE r.organisation_id = $1 ORDER BY r.sent_at DESC"
        ))
        .bind(dpo_org)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Practices x required actions: each cell the practice's action with its status and
    /// evidence (attachments and comments), in two queries whatever the size of the round.
    pub async fn grid(&self, permit: &Permit<ops::Read>, today: NaiveDate) -> CoreResult<Grid> {
        let round = self.round(permit).await?;
        let rows = steward_db::query(
            "SELECT t.organisation_id, t.item, t.action_id, t.last_chased_at, o.name, a.status, a.due_date, u.display_name AS owner_name, \
             (SELECT COUNT(*) FROM attachments f WHERE f.record_type = 'action' AND f.record_id = a.id) + (SELECT COUNT(*) FROM comments c WHERE c.record_type = 'action' AND c.record_id = a.id) AS evidence \
             FROM action_round_tasks t JOIN organisations o ON o.id = t.organisation_id JOIN actions a ON a.id = t.action_id JOIN users u ON u.id = a.owner_id \
             WHERE t.round_id = $1 ORDER BY o.name, t.item",
        )
        .bind(permit.id())
        .fetch_all(&self.steward.db.pool)
        .await?;
        let today_s = iso_date(today);
        let mut out: Vec<GridRow> = vec![];
        for r in &rows {
            let org: String = r.try_get("organisation_id")?;
            if out.last().map(|x| x.organisation_id != org).unwrap_or(true) {
                out.push(GridRow {
                    organisation_id: org.clone(),
                    name: r.try_get("name")?,
                    owner_name: r.try_get("owner_name")?,
                    cells: vec![None; round.required_actions.len()],
                    done: 0,
                    overdue: 0,
                    last_chased_at: None,
                });
            }
            let row = out.last_mut().expect("pushed");
            let status: String = r.try_get("status")?;
            let due: String = r.try_get("due_date")?;
            let closed = ActionStatus::parse(&status).is_some_and(|s| s.is_closed());
            let overdue = !closed && due < today_s;
            if status == "done" {
                row.done += 1;
            }
            if overdue {
                row.overdue += 1;
            }
            let chased: Option<String> = r.try_get("last_chased_at")?;
            if chased.is_some() {
                row.last_chased_at = row.last_chased_at.clone().max(chased);
            }
            let item: i64 = r.try_get("item")?;
            if let Some(c) = row.cells.get_mut(item as usize) {
                *c = Some(Cell {
                    action_id: r.try_get("action_id")?,
                    status,
                    overdue,
                    evidence: r.try_get("evidence")?,
                });
            }
        }
        Ok(Grid { round, rows: out })
    }

    /// Chases one practice: an e-mail to the owner of its open actions in the round (when
    /// e-mail is set up) and the chase recorded. Returns how many actions were open.
    pub async fn chase(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        organisation_id: &str,
    ) -> CoreResult<i64> {
        let round = self.round(&permit.as_read()).await?;
        let open = steward_db::query(
            "SELECT a.title, u.display_name, u.email, o.name FROM action_round_tasks t JOIN actions a ON a.id = t.action_id JOIN users u ON u.id = a.owner_id JOIN organisations o ON o.id = t.organisation_id WHERE t.round_id = $1 AND t.organisation_id = $2 AND a.status IN ('open', 'in_progress') ORDER BY t.item",
        )
        .bind(permit.id())
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        let in_round: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM action_round_tasks WHERE round_id = $1 AND organisation_id = $2",
        )
        .bind(permit.id())
        .bind(organisation_id)
        .fetch_one(&self.steward.db.pool)
        .await?;
        if in_round == 0 {
            let mut e = FieldErrors::default();
            e.add(
                "organisation_id",
                "Choose a practice this round was sent to",
            );
            return Err(CoreError::Invalid(e));
        }
        if open.is_empty() {
            return Err(CoreError::Conflict(
                "This practice has done every action of the round".into(),
            ));
        }
        let mut to: Vec<(String, String)> = vec![];
        let mut lines = String::new();
        let mut practice = String::new();
        for r in &open {
            let who: (String, String) = (r.try_get("display_name")?, r.try_get("email")?);
            if !to.contains(&who) {
                to.push(who);
            }
            practice = r.try_get("name")?;
            lines.push_str(&format!("- {}\n", r.try_get::<String, _>("title")?));
        }
        if self.steward.config.smtp.is_some() {
            let text = format!(
                "Your DPO asks {practice} to finish the actions of \"{}\" by {}:\n\n{lines}\nMark each action done in Steward and attach the evidence.",
                round.title,
                long_date(round.due_date)
            );
            crate::mail::send(
                self.steward,
                &to,
                &format!("Reminder: {}", round.title),
                &text,
                None,
            )
            .await?;
        }
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query("UPDATE action_round_tasks SET last_chased_at = $1 WHERE round_id = $2 AND organisation_id = $3")
            .bind(&now)
            .bind(permit.id())
            .bind(organisation_id)
            .execute(&mut *w.tx)
            .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "action_round.chase",
            permit.organisation_id(),
            KIND.code(),
            permit.id(),
        );
        t.detail = format!(
            "{practice}: {}",
            crate::count_words(open.len() as i64, "action open", "actions open")
        );
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(open.len() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(heading: &str, text: &str) -> RequiredAction {
        RequiredAction {
            heading: heading.into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_required_action_fits_an_actions_title() {
        let short = item("Remote working", "Staff use the VPN");
        assert_eq!(action_title(&short), "Remote working: Staff use the VPN");
        // The longest line a round takes: an 80-character heading and 300 characters of text.
        let long = item(&"H".repeat(80), &"shred the waste, ".repeat(18)[..300]);
        let title = action_title(&long);
        assert!(title.chars().count() <= ACTION_TITLE_CHARS, "{title}");
        // Cut at a word: what is kept is the start of the line, followed there by a space.
        let kept = title.strip_suffix('…').expect("an ellipsis");
        let full = format!("{}: {}", long.heading, long.text);
        assert!(full.starts_with(kept), "{title}");
        assert_eq!(full[kept.len()..].chars().next(), Some(' '), "{title}");
    }
}
