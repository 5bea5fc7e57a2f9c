//! The information risk register over Steward's storage (feature `service`): per
//! organisation, scored on the 5x5 matrix (data), with the organisation's risk appetite; a
//! residual score above the appetite escalates to the SIRO (an action and an e-mail); every
//! score change is kept with who and why. Risks raised elsewhere link here by their record.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use steward_core::actions::ActionInput;
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::records::record_version;
use steward_core::time::{iso_date, now_stamp, parse_iso_date};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row};

use crate::{rules, Rules};

pub const KIND: Kind = Kind::Risk;
pub const PAGE_SIZE: i64 = 25;
/// Days the SIRO has to act on an escalated risk.
pub const ESCALATION_DAYS: i64 = 14;

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RiskInput {
    #[schema(required, pattern = "\\S")]
    pub title: String,
    #[schema(required, pattern = "\\S")]
    pub cause: String,
    #[schema(required, pattern = "\\S")]
    pub consequence: String,
    #[schema(required, pattern = "\\S")]
    pub owner_id: String,
    /// 1-5 on the matrix (the levels of the risk matrix are an enum in the document).
    #[schema(required)]
    pub inherent_likelihood: String,
    #[schema(required)]
    pub inherent_consequence: String,
    #[schema(required)]
    pub residual_likelihood: String,
    #[schema(required)]
    pub residual_consequence: String,
    #[schema(required, pattern = "\\S")]
    pub treatment: String,
    /// YYYY-MM-DD
    #[schema(required, format = Date)]
    pub review_date: String,
    pub source_record_type: Option<String>,
    pub source_record_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RescoreInput {
    /// "inherent" or "residual".
    #[schema(required, pattern = "^(inherent|residual)$")]
    pub which: String,
    #[schema(required, pattern = "^[1-5]$")]
    pub likelihood: String,
    #[schema(required, pattern = "^[1-5]$")]
    pub consequence: String,
    /// Why the score changed (kept with who and when).
    #[schema(required, pattern = "\\S")]
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AppetiteInput {
    /// The highest residual score the organisation accepts (1-25).
    #[schema(required, pattern = "^([1-9]|1[0-9]|2[0-5])$")]
    pub appetite: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScoreChange {
    pub at: String,
    pub user_name: String,
    pub which: String,
    pub before: Option<i64>,
    pub after: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Risk {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub reference: String,
    pub title: String,
    pub cause: String,
    pub consequence: String,
    pub owner_id: String,
    pub owner_name: String,
    pub inherent_likelihood: i64,
    pub inherent_consequence: i64,
    pub inherent_score: i64,
    pub inherent_band: String,
    pub residual_likelihood: i64,
    pub residual_consequence: i64,
    pub residual_score: i64,
    pub residual_band: String,
    pub treatment: String,
    pub review_date: NaiveDate,
    pub status: String,
    pub source_record_type: Option<String>,
    pub source_record_id: Option<String>,
    pub escalated_at: Option<String>,
    pub escalation_action_id: Option<String>,
    /// The organisation's appetite when read (None: not set).
    pub appetite: Option<i64>,
    pub version: i64,
}

impl Risk {
    pub fn above_appetite(&self) -> bool {
        self.appetite
            .is_some_and(|a| crate::matrix::above_appetite(self.residual_score as u8, a as u8))
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "title": self.title,
            "cause": self.cause,
            "consequence": self.consequence,
            "owner": self.owner_name,
            "inherent score": format!("{} x {} = {}", self.inherent_likelihood, self.inherent_consequence, self.inherent_score),
            "residual score": format!("{} x {} = {}", self.residual_likelihood, self.residual_consequence, self.residual_score),
            "treatment": self.treatment,
            "review date": iso_date(self.review_date),
            "status": self.status,
        })
    }
}

const SELECT: &str = "SELECT r.*, o.name AS organisation_name, u.display_name AS owner_name, a.appetite AS appetite FROM risks r JOIN organisations o ON o.id = r.organisation_id JOIN users u ON u.id = r.owner_id LEFT JOIN risk_appetites a ON a.organisation_id = r.organisation_id";

fn band(rules: &Rules, score: i64) -> String {
    u8::try_from(score)
        .ok()
        .and_then(|s| rules.matrix.band_of(s))
        .map(|b| b.label.clone())
        .unwrap_or_default()
}

fn from_row(r: &AnyRow, rules: &Rules) -> CoreResult<Risk> {
    let il: i64 = r.try_get("inherent_likelihood")?;
    let ic: i64 = r.try_get("inherent_consequence")?;
    let rl: i64 = r.try_get("residual_likelihood")?;
    let rc: i64 = r.try_get("residual_consequence")?;
    let review: String = r.try_get("review_date")?;
    Ok(Risk {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        reference: r.try_get("reference")?,
        title: r.try_get("title")?,
        cause: r.try_get("cause")?,
        consequence: r.try_get("consequence")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        inherent_likelihood: il,
        inherent_consequence: ic,
        inherent_score: il * ic,
        inherent_band: band(rules, il * ic),
        residual_likelihood: rl,
        residual_consequence: rc,
        residual_score: rl * rc,
        residual_band: band(rules, rl * rc),
        treatment: r.try_get("treatment")?,
        review_date: parse_iso_date(&review)
            .ok_or_else(|| CoreError::Internal(format!("stored date {review:?}")))?,
        status: r.try_get("status")?,
        source_record_type: r.try_get("source_record_type")?,
        source_record_id: r.try_get("source_record_id")?,
        escalated_at: r.try_get("escalated_at")?,
        escalation_action_id: r.try_get("escalation_action_id")?,
        appetite: r.try_get("appetite")?,
        version: r.try_get("version")?,
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct RiskQuery {
    /// open (default), closed, all
    #[param(pattern = "^(|open|closed|all)$")]
    pub status: Option<String>,
    /// "yes": residual score above the organisation's appetite only
    #[param(pattern = "^(|yes)$")]
    pub above_appetite: Option<String>,
    /// The page, from 1 (default 1); past the last, the last.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// How many items a page holds (default 25, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub size: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskPage {
    pub items: Vec<Risk>,
    pub total: i64,
    pub page: i64,
    /// How many items a page holds.
    pub size: i64,
    pub pages: i64,
    pub appetite: Option<i64>,
}

pub struct Risks<'a> {
    pub steward: &'a Steward,
    pub rules: std::sync::Arc<Rules>,
}

pub fn risks(steward: &Steward) -> Risks<'_> {
    Risks {
        steward,
        rules: rules(steward),
    }
}

/// A level on the matrix typed as text; the message names the field.
fn level(v: &str, field: &str, what: &str, max: u8, e: &mut FieldErrors) -> i64 {
    match v.trim().parse::<i64>() {
        Ok(n) if (1..=i64::from(max)).contains(&n) => n,
        _ => {
            e.add(field, format!("{what} must be from 1 to {max}"));
            0
        }
    }
}

impl Risks<'_> {
    pub async fn appetite(&self, organisation_id: &str) -> CoreResult<Option<i64>> {
        Ok(steward_db::query_scalar(
            "SELECT appetite FROM risk_appetites WHERE organisation_id = $1",
        )
        .bind(organisation_id)
        .fetch_optional(&self.steward.db.pool)
        .await?)
    }

    /// Sets the organisation's risk appetite (the SIRO or the DPO: `Op::Configure`).
    pub async fn set_appetite(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &AppetiteInput,
    ) -> CoreResult<i64> {
        self.steward
            .permit_in(caller, KIND, Op::Configure, organisation_id)?;
        let max = self.rules.matrix.max_score();
        let a = match input.appetite.trim().parse::<i64>() {
            Ok(n) if (1..=i64::from(max)).contains(&n) => n,
            _ => {
                return Err(CoreError::invalid(
                    "appetite",
                    format!("The risk appetite must be a score from 1 to {max}"),
                ))
            }
        };
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO risk_appetites (organisation_id, appetite, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (organisation_id) DO UPDATE SET appetite = $2, updated_by = $3, updated_at = $4",
        )
        .bind(organisation_id)
        .bind(a)
        .bind(&caller.user_id)
        .bind(now_stamp())
        .execute(&mut *w.tx)
        .await?;
        let mut t = TrailEntry::for_caller(caller, "record.update");
        t.organisation_id = Some(organisation_id.into());
        t.record_type = Some("risk_appetite".into());
        t.detail = format!("risk appetite set to {a}");
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(a)
    }

    async fn check(&self, caller: &Caller, org: &str, input: &RiskInput) -> CoreResult<[i64; 4]> {
        let mut e = FieldErrors::default();
        if input.title.trim().is_empty() {
            e.add("title", "Enter the risk");
        }
        if input.cause.trim().is_empty() {
            e.add("cause", "Describe the cause");
        }
        if input.consequence.trim().is_empty() {
            e.add("consequence", "Describe the consequence");
        }
        let people = self.steward.assignable_people(caller, org).await?;
        if !people.iter().any(|p| p.id == input.owner_id) {
            e.add("owner_id", "Select the risk owner");
        }
        let (ml, mc) = (
            self.rules.matrix.max_likelihood(),
            self.rules.matrix.max_consequence(),
        );
        let il = level(
            &input.inherent_likelihood,
            "inherent_likelihood",
            "Inherent likelihood",
            ml,
            &mut e,
        );
        let ic = level(
            &input.inherent_consequence,
            "inherent_consequence",
            "Inherent consequence",
            mc,
            &mut e,
        );
        let rl = level(
            &input.residual_likelihood,
            "residual_likelihood",
            "Residual likelihood",
            ml,
            &mut e,
        );
        let rc = level(
            &input.residual_consequence,
            "residual_consequence",
            "Residual consequence",
            mc,
            &mut e,
        );
        if input.treatment.trim().is_empty() {
            e.add(
                "treatment",
                "Describe the treatment: what is done or will be done",
            );
        }
        if parse_iso_date(&input.review_date).is_none() {
            e.add("review_date", "Enter the review date as a real date");
        }
        e.into_result()?;
        Ok([il, ic, rl, rc])
    }

    pub async fn create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &RiskInput,
        today: NaiveDate,
    ) -> CoreResult<Risk> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let [il, ic, rl, rc] = self.check(caller, organisation_id, input).await?;
        let source = match (&input.source_record_type, &input.source_record_id) {
            (Some(t), Some(id)) if !t.is_empty() && !id.is_empty() => {
                let kind = Kind::parse(t).ok_or(CoreError::NotFound)?;
                let _: Permit<ops::Read> = self.steward.permit(caller, kind, id).await?;
                Some((t.clone(), id.clone()))
            }
            _ => None,
        };
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        let n: i64 =
            steward_db::query_scalar("SELECT COUNT(*) FROM risks WHERE organisation_id = $1")
                .bind(organisation_id)
                .fetch_one(&mut *w.tx)
                .await?;
        let reference = format!("RSK-{:04}", n + 1);
        steward_db::query(
            "INSERT INTO risks (id, organisation_id, reference, title, cause, consequence, owner_id, inherent_likelihood, inherent_consequence, residual_likelihood, residual_consequence, residual_score, treatment, review_date, status, source_record_type, source_record_id, created_by, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'open', $15, $16, $17, $18, $18, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(&reference)
        .bind(input.title.trim())
        .bind(input.cause.trim())
        .bind(input.consequence.trim())
        .bind(&input.owner_id)
        .bind(il)
        .bind(ic)
        .bind(rl)
        .bind(rc)
        .bind(rl * rc)
        .bind(input.treatment.trim())
        .bind(&input.review_date)
        .bind(source.as_ref().map(|s| s.0.clone()))
        .bind(source.as_ref().map(|s| s.1.clone()))
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        for (which, l, c) in [("inherent", il, ic), ("residual", rl, rc)] {
            steward_db::query(
                "INSERT INTO risk_score_changes (id, risk_id, organisation_id, at, user_id, which, likelihood, consequence, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'first scored')",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&id)
            .bind(organisation_id)
            .bind(&now)
            .bind(&caller.user_id)
            .bind(which)
            .bind(l)
            .bind(c)
            .execute(&mut *w.tx)
            .await?;
        }
        let risk = self.load_in(&mut w.tx, &id).await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            &id,
            organisation_id,
            1,
            &risk.snapshot(),
        )
        .await?;
        let mut t =
            TrailEntry::for_record(caller, "record.create", organisation_id, KIND.code(), &id);
        t.detail = reference;
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        self.escalate_if_needed(caller, risk, today).await
    }

    async fn load_in(&self, tx: &mut steward_db::Tx<'static>, id: &str) -> CoreResult<Risk> {
        let sql = format!("{SELECT} WHERE r.id = $1");
        let row = steward_db::query(&sql)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row, &self.rules)
    }

    pub async fn risk(&self, permit: &Permit<ops::Read>) -> CoreResult<Risk> {
        let sql = format!("{SELECT} WHERE r.id = $1");
        let row = steward_db::query(&sql)
            .bind(permit.id())
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row, &self.rules)
    }

    pub async fn score_changes(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<ScoreChange>> {
        let rows = steward_db::query(
            "SELECT c.*, u.display_name AS user_name FROM risk_score_changes c LEFT JOIN users u ON u.id = c.user_id WHERE c.risk_id = $1 ORDER BY c.at, c.which",
        )
        .bind(permit.id())
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let bl: Option<i64> = r.try_get("before_likelihood")?;
                let bc: Option<i64> = r.try_get("before_consequence")?;
                let l: i64 = r.try_get("likelihood")?;
                let c: i64 = r.try_get("consequence")?;
                Ok(ScoreChange {
                    at: r.try_get("at")?,
                    user_name: r
                        .try_get::<Option<String>, _>("user_name")?
                        .unwrap_or_default(),
                    which: r.try_get("which")?,
                    before: bl.zip(bc).map(|(a, b)| a * b),
                    after: l * c,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }

    pub async fn list(
        &self,
        caller: &Caller,
        organisation_id: &str,
        q: &RiskQuery,
    ) -> CoreResult<RiskPage> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        let mut cond = vec!["r.organisation_id = $1".to_string()];
        match q.status.as_deref().unwrap_or("open") {
            "" | "open" => cond.push("r.status = 'open'".into()),
            "closed" => cond.push("r.status = 'closed'".into()),
            "all" => {}
            _ => {
                return Err(CoreError::invalid(
                    "status",
                    "Choose a status from the list",
                ))
            }
        }
        match q.above_appetite.as_deref().unwrap_or("") {
            "" => {}
            "yes" => cond.push("a.appetite IS NOT NULL AND r.residual_score > a.appetite".into()),
            _ => return Err(CoreError::invalid("above_appetite", "Choose from the list")),
        }
        let wh = cond.join(" AND ");
        let total: i64 = steward_db::query_scalar(&format!(
            "SELECT COUNT(*) FROM risks r LEFT JOIN risk_appetites a ON a.organisation_id = r.organisation_id WHERE {wh}"
        ))
        .bind(organisation_id)
        .fetch_one(&self.steward.db.pool)
        .await?;
        let paging =
            steward_core::paging::Paging::lenient(q.page, q.size, PAGE_SIZE).at_most(total);
        let (page, size, pages) = (paging.page, paging.size, paging.pages(total));
        let sql = format!(
            "{SELECT} WHERE {wh} ORDER BY r.residual_score DESC, r.reference LIMIT {size} OFFSET {}",
            paging.offset()
        );
        let items = steward_db::query(&sql)
            .bind(organisation_id)
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(|r| from_row(r, &self.rules))
            .collect::<CoreResult<Vec<_>>>()?;
        Ok(RiskPage {
            items,
            total,
            page,
            size,
            pages,
            appetite: self.appetite(organisation_id).await?,
        })
    }

    /// The risks on the register raised from another record (a DPIA, an information asset),
    /// newest first, where the caller may read the register of the risk's organisation:
    /// the record shows them as links, not copies.
    pub async fn raised_from(
        &self,
        caller: &Caller,
        source: Kind,
        source_id: &str,
    ) -> CoreResult<Vec<Risk>> {
        let rows = steward_db::query(&format!(
            "{SELECT} WHERE r.source_record_type = $1 AND r.source_record_id = $2 ORDER BY r.created_at DESC LIMIT 100"
        ))
        .bind(source.code())
        .bind(source_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let r = from_row(row, &self.rules)?;
            if self
                .steward
                .permit_in(caller, KIND, Op::List, &r.organisation_id)
                .is_ok()
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Changes the inherent or residual score, with the reason kept; escalates when the
    /// residual score is now above the appetite.
    pub async fn rescore(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &RescoreInput,
        today: NaiveDate,
    ) -> CoreResult<Risk> {
        let mut e = FieldErrors::default();
        if !matches!(input.which.as_str(), "inherent" | "residual") {
            e.add("which", "Choose the inherent or the residual score");
        }
        let l = level(
            &input.likelihood,
            "likelihood",
            "Likelihood",
            self.rules.matrix.max_likelihood(),
            &mut e,
        );
        let c = level(
            &input.consequence,
            "consequence",
            "Consequence",
            self.rules.matrix.max_consequence(),
            &mut e,
        );
        if input.reason.trim().is_empty() {
            e.add("reason", "Say why the score changed");
        }
        e.into_result()?;
        let mut w = self.steward.write().await?;
        let before = self.load_in(&mut w.tx, permit.id()).await?;
        let (bl, bc) = if input.which == "inherent" {
            (before.inherent_likelihood, before.inherent_consequence)
        } else {
            (before.residual_likelihood, before.residual_consequence)
        };
        let sql = if input.which == "inherent" {
            "UPDATE risks SET inherent_likelihood = $1, inherent_consequence = $2, version = version + 1, updated_at = $3 WHERE id = $4"
        } else {
            "UPDATE risks SET residual_likelihood = $1, residual_consequence = $2, residual_score = $1 * $2, version = version + 1, updated_at = $3 WHERE id = $4"
        };
        let now = now_stamp();
        steward_db::query(sql)
            .bind(l)
            .bind(c)
            .bind(&now)
            .bind(permit.id())
            .execute(&mut *w.tx)
            .await?;
        steward_db::query(
            "INSERT INTO risk_score_changes (id, risk_id, organisation_id, at, user_id, which, before_likelihood, before_consequence, likelihood, consequence, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(permit.id())
        .bind(permit.organisation_id())
        .bind(&now)
        .bind(&caller.user_id)
        .bind(&input.which)
        .bind(bl)
        .bind(bc)
        .bind(l)
        .bind(c)
        .bind(input.reason.trim())
        .execute(&mut *w.tx)
        .await?;
        let after = self.load_in(&mut w.tx, permit.id()).await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            permit.id(),
            permit.organisation_id(),
            after.version,
            &after.snapshot(),
        )
        .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "record.update",
            permit.organisation_id(),
            KIND.code(),
            permit.id(),
        );
        t.detail = format!(
            "{} {} score {} -> {}: {}",
            after.reference,
            input.which,
            bl * bc,
            l * c,
            input.reason.trim()
        );
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        self.escalate_if_needed(caller, after, today).await
    }

    /// A residual score above the appetite, not yet escalated: an action for the SIRO (the
    /// organisation's SIRO, else the risk owner) and an e-mail when e-mail is set up.
    async fn escalate_if_needed(
        &self,
        caller: &Caller,
        risk: Risk,
        today: NaiveDate,
    ) -> CoreResult<Risk> {
        if !risk.above_appetite() || risk.escalated_at.is_some() {
            return Ok(risk);
        }
        let siro: Option<(String, String, String)> = steward_db::query(
            "SELECT id, display_name, email FROM users WHERE organisation_id = $1 AND role = 'siro' AND active = 1 ORDER BY created_at LIMIT 1",
        )
        .bind(&risk.organisation_id)
        .fetch_optional(&self.steward.db.pool)
        .await?
        .map(|r| -> CoreResult<_> { Ok((r.try_get("id")?, r.try_get("display_name")?, r.try_get("email")?)) })
        .transpose()?;
        let owner = siro
            .as_ref()
            .map(|s| s.0.clone())
            .unwrap_or(risk.owner_id.clone());
        let action = self
            .steward
            .create_action(
                caller,
                &risk.organisation_id,
                &ActionInput {
                    title: format!("Risk above appetite: {} ({})", risk.title, risk.reference),
                    description: format!(
                        "The residual score is {} ({}), above the organisation's risk appetite of {}. Review the treatment and accept, treat further or escalate.",
                        risk.residual_score,
                        risk.residual_band,
                        risk.appetite.unwrap_or_default()
                    ),
                    owner_id: owner,
                    due_date: iso_date(today + Duration::days(ESCALATION_DAYS)),
                    status: None,
                    source_record_type: Some(KIND.code().into()),
                    source_record_id: Some(risk.id.clone()),
                },
            )
            .await?;
        let now = now_stamp();
        steward_db::query(
            "UPDATE risks SET escalated_at = $1, escalation_action_id = $2 WHERE id = $3",
        )
        .bind(&now)
        .bind(&action.id)
        .bind(&risk.id)
        .execute(&self.steward.db.pool)
        .await?;
        if let (Some((_, name, email)), Some(_)) = (&siro, &self.steward.config.smtp) {
            let text = format!(
                "Dear {name},\n\nA risk on {}'s information risk register is above the risk appetite and has been escalated to you.\n\n{} {}\nResidual score: {} ({}); appetite: {}\n\n{}/risks/{}\n",
                risk.organisation_name,
                risk.reference,
                risk.title,
                risk.residual_score,
                risk.residual_band,
                risk.appetite.unwrap_or_default(),
                self.steward.config.base_url,
                risk.id
            );
            if let Err(e) = crate::mail::send(
                self.steward,
                &[(name.clone(), email.clone())],
                &format!("Steward: risk above appetite at {}", risk.organisation_name),
                &text,
                None,
            )
            .await
            {
                tracing::warn!(error = %e, "escalation e-mail not sent");
            }
        }
        Ok(Risk {
            escalated_at: Some(now),
            escalation_action_id: Some(action.id),
            ..risk
        })
    }
}
