//! Business continuity plans over Steward's storage (feature `service`): per organisation,
//! the systems the practice depends on with their workarounds, the tests of the plan and
//! their outcomes, and suppliers' (e.g. the CSU's) continuity assurance as evidence.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::time::{iso_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row};

use crate::store;

pub const KIND: Kind = Kind::ContinuityPlan;

pub const OUTCOMES: [(&str, &str); 3] = [
    ("passed", "Worked as planned"),
    ("partly", "Partly worked: changes needed"),
    ("failed", "Did not work"),
];

pub fn outcome_label(code: &str) -> &'static str {
    OUTCOMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlanInput {
    #[schema(required, pattern = "\\S")]
    pub title: String,
    #[schema(required, pattern = "\\S")]
    pub scope: String,
    #[schema(required, pattern = "\\S")]
    pub owner_id: String,
    /// YYYY-MM-DD
    #[schema(required, format = Date)]
    pub review_on: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SystemInput {
    #[schema(required, pattern = "\\S")]
    pub name: String,
    #[schema(required, pattern = "\\S")]
    pub supplier: String,
    /// How long the practice can work without it, in words.
    #[schema(required, pattern = "\\S")]
    pub tolerable_outage: String,
    #[schema(required, pattern = "\\S")]
    pub workaround: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TestInput {
    /// YYYY-MM-DD, not in the future.
    #[schema(required, format = Date)]
    pub tested_on: String,
    #[schema(required, pattern = "\\S")]
    pub scenario: String,
    /// passed, partly or failed (an enum in the document)
    #[schema(required)]
    pub outcome: String,
    #[schema(required, pattern = "\\S")]
    pub lessons: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AssuranceInput {
    #[schema(required, pattern = "\\S")]
    pub supplier: String,
    #[schema(required, pattern = "\\S")]
    pub evidence: String,
    /// YYYY-MM-DD
    #[schema(required, format = Date)]
    pub received_on: String,
    /// YYYY-MM-DD, not before `received_on`.
    #[schema(required, format = Date)]
    pub valid_until: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: String,
    pub organisation_id: String,
    pub title: String,
    pub scope: String,
    pub owner_id: String,
    pub owner_name: String,
    pub review_on: NaiveDate,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DependentSystem {
    pub name: String,
    pub supplier: String,
    pub tolerable_outage: String,
    pub workaround: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanTest {
    pub tested_on: NaiveDate,
    pub scenario: String,
    pub outcome: String,
    pub outcome_label: String,
    pub lessons: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplierAssurance {
    pub supplier: String,
    pub evidence: String,
    pub received_on: NaiveDate,
    pub valid_until: NaiveDate,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub plan: Plan,
    pub systems: Vec<DependentSystem>,
    pub tests: Vec<PlanTest>,
    pub assurances: Vec<SupplierAssurance>,
    /// The last test, and whether it was in the last 12 months.
    pub last_tested: Option<NaiveDate>,
    pub tested_this_year: bool,
}

pub struct Continuity<'a> {
    pub steward: &'a Steward,
}

pub fn continuity(steward: &Steward) -> Continuity<'_> {
    Continuity { steward }
}

const SELECT: &str = "SELECT p.*, u.display_name AS owner_name FROM continuity_plans p JOIN users u ON u.id = p.owner_id";

fn plan_from(r: &AnyRow) -> CoreResult<Plan> {
    Ok(Plan {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        title: r.try_get("title")?,
        scope: r.try_get("scope")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        review_on: store::date(r, "review_on")?,
        version: r.try_get("version")?,
    })
}

impl Continuity<'_> {
    pub async fn create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &PlanInput,
    ) -> CoreResult<Plan> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let mut e = FieldErrors::default();
        store::need_text(&input.title, "title", "Enter a title for the plan", &mut e);
        store::need_text(
            &input.scope,
            "scope",
            "Describe what the plan covers",
            &mut e,
        );
        if !store::staff(self.steward, organisation_id)
            .await?
            .iter()
            .any(|s| s.id == input.owner_id)
        {
            e.add("owner_id", "Choose who owns the plan");
        }
        let review = store::need_date(&input.review_on, "review_on", "the review date", &mut e);
        e.into_result()?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query("INSERT INTO continuity_plans (id, organisation_id, title, scope, owner_id, review_on, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1)")
            .bind(&id)
            .bind(organisation_id)
            .bind(input.title.trim())
            .bind(input.scope.trim())
            .bind(&input.owner_id)
            .bind(iso_date(review.expect("checked")))
            .bind(&caller.user_id)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        let row = steward_db::query(&format!("{SELECT} WHERE p.id = $1"))
            .bind(&id)
            .fetch_one(&mut *w.tx)
            .await?;
        let plan = plan_from(&row)?;
        let snap = serde_json::json!({"title": plan.title, "scope": plan.scope, "owner": plan.owner_name, "review": iso_date(plan.review_on)});
        store::logged(
            &mut w.tx,
            caller,
            KIND,
            &id,
            organisation_id,
            1,
            &snap,
            "record.create",
            plan.title.clone(),
        )
        .await?;
        w.commit().await?;
        Ok(plan)
    }

    pub async fn list(&self, caller: &Caller, organisation_id: &str) -> CoreResult<Vec<Plan>> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        steward_db::query(&format!(
            "{SELECT} WHERE p.organisation_id = $1 ORDER BY p.title"
        ))
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?
        .iter()
        .map(plan_from)
        .collect()
    }

    pub async fn plan(&self, permit: &Permit<ops::Read>, today: NaiveDate) -> CoreResult<PlanView> {
        self.view(permit.id(), today).await
    }

    async fn view(&self, id: &str, today: NaiveDate) -> CoreResult<PlanView> {
        let pool = &self.steward.db.pool;
        let row = steward_db::query(&format!("{SELECT} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        let plan = plan_from(&row)?;
        let systems = steward_db::query(
            "SELECT * FROM continuity_systems WHERE plan_id = $1 ORDER BY created_at",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(DependentSystem {
                name: r.try_get("name")?,
                supplier: r.try_get("supplier")?,
                tolerable_outage: r.try_get("tolerable_outage")?,
                workaround: r.try_get("workaround")?,
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
        let tests = steward_db::query(
            "SELECT * FROM continuity_tests WHERE plan_id = $1 ORDER BY tested_on DESC",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            let o: String = r.try_get("outcome")?;
            Ok(PlanTest {
                tested_on: store::date(r, "tested_on")?,
                scenario: r.try_get("scenario")?,
                outcome_label: outcome_label(&o).into(),
                outcome: o,
                lessons: r.try_get("lessons")?,
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
        let assurances = steward_db::query(
            "SELECT * FROM supplier_assurances WHERE plan_id = $1 ORDER BY received_on DESC",
        )
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(SupplierAssurance {
                supplier: r.try_get("supplier")?,
                evidence: r.try_get("evidence")?,
                received_on: store::date(r, "received_on")?,
                valid_until: store::date(r, "valid_until")?,
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
        let last = tests.first().map(|t| t.tested_on);
        Ok(PlanView {
            tested_this_year: last.is_some_and(|d| d > today - Duration::days(365)),
            last_tested: last,
            plan,
            systems,
            tests,
            assurances,
        })
    }

    async fn touch(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        tx: &mut steward_db::Tx<'static>,
        detail: String,
    ) -> CoreResult<()> {
        steward_db::query(
            "UPDATE continuity_plans SET version = version + 1, updated_at = $1 WHERE id = $2",
        )
        .bind(now_stamp())
        .bind(permit.id())
        .execute(&mut **tx)
        .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "record.update",
            permit.organisation_id(),
            KIND.code(),
            permit.id(),
        );
        t.detail = detail;
        append(tx, &t).await
    }

    pub async fn add_system(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &SystemInput,
        today: NaiveDate,
    ) -> CoreResult<PlanView> {
        let mut e = FieldErrors::default();
        store::need_text(&input.name, "name", "Enter the system", &mut e);
        store::need_text(&input.supplier, "supplier", "Enter the supplier", &mut e);
        store::need_text(
            &input.tolerable_outage,
            "tolerable_outage",
            "Say how long the practice can work without it",
            &mut e,
        );
        store::need_text(
            &input.workaround,
            "workaround",
            "Describe the workaround while it is down",
            &mut e,
        );
        e.into_result()?;
        let mut w = self.steward.write().await?;
        steward_db::query("INSERT INTO continuity_systems (id, plan_id, organisation_id, name, supplier, tolerable_outage, workaround, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(permit.id())
            .bind(permit.organisation_id())
            .bind(input.name.trim())
            .bind(input.supplier.trim())
            .bind(input.tolerable_outage.trim())
            .bind(input.workaround.trim())
            .bind(now_stamp())
            .execute(&mut *w.tx)
            .await?;
        self.touch(
            caller,
            permit,
            &mut w.tx,
            format!("system added: {}", input.name.trim()),
        )
        .await?;
        w.commit().await?;
        self.view(permit.id(), today).await
    }

    pub async fn add_test(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &TestInput,
        today: NaiveDate,
    ) -> CoreResult<PlanView> {
        let mut e = FieldErrors::default();
        let on = store::need_date(
            &input.tested_on,
            "tested_on",
            "the date of the test",
            &mut e,
        );
        if on.is_some_and(|d| d > today) {
            e.add("tested_on", "The date of the test cannot be in the future");
        }
        store::need_text(
            &input.scenario,
            "scenario",
            "Describe what was tested",
            &mut e,
        );
        if outcome_label(&input.outcome).is_empty() {
            e.add("outcome", "Choose the outcome");
        }
        store::need_text(&input.lessons, "lessons", "Record what was learned", &mut e);
        e.into_result()?;
        let mut w = self.steward.write().await?;
        steward_db::query("INSERT INTO continuity_tests (id, plan_id, organisation_id, tested_on, scenario, outcome, lessons, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(permit.id())
            .bind(permit.organisation_id())
            .bind(iso_date(on.expect("checked")))
            .bind(input.scenario.trim())
            .bind(&input.outcome)
            .bind(input.lessons.trim())
            .bind(&caller.user_id)
            .bind(now_stamp())
            .execute(&mut *w.tx)
            .await?;
        self.touch(
            caller,
            permit,
            &mut w.tx,
            format!("test recorded: {}", outcome_label(&input.outcome)),
        )
        .await?;
        w.commit().await?;
        self.view(permit.id(), today).await
    }

    pub async fn add_assurance(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &AssuranceInput,
        today: NaiveDate,
    ) -> CoreResult<PlanView> {
        let mut e = FieldErrors::default();
        store::need_text(&input.supplier, "supplier", "Enter the supplier", &mut e);
        store::need_text(
            &input.evidence,
            "evidence",
            "Describe the assurance received",
            &mut e,
        );
        let from = store::need_date(
            &input.received_on,
            "received_on",
            "the date it was received",
            &mut e,
        );
        let until = store::need_date(
            &input.valid_until,
            "valid_until",
            "the date it is valid until",
            &mut e,
        );
        if let (Some(a), Some(b)) = (from, until) {
            if b < a {
                e.add(
                    "valid_until",
                    "The date it is valid until must be after the date it was received",
                );
            }
        }
        e.into_result()?;
        let mut w = self.steward.write().await?;
        steward_db::query("INSERT INTO supplier_assurances (id, plan_id, organisation_id, supplier, evidence, received_on, valid_until, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(permit.id())
            .bind(permit.organisation_id())
            .bind(input.supplier.trim())
            .bind(input.evidence.trim())
            .bind(iso_date(from.expect("checked")))
            .bind(iso_date(until.expect("checked")))
            .bind(&caller.user_id)
            .bind(now_stamp())
            .execute(&mut *w.tx)
            .await?;
        self.touch(
            caller,
            permit,
            &mut w.tx,
            format!("supplier assurance: {}", input.supplier.trim()),
        )
        .await?;
        w.commit().await?;
        self.view(permit.id(), today).await
    }

    /// Plans tested in the last 12 months (for the toolkit), without asking the gate.
    pub(crate) async fn tested_since(
        &self,
        organisation_id: &str,
        since: NaiveDate,
    ) -> CoreResult<i64> {
        store::count(
            self.steward,
            "FROM continuity_plans p WHERE p.organisation_id = $1 AND EXISTS (SELECT 1 FROM continuity_tests t WHERE t.plan_id = p.id AND t.tested_on >= $2)",
            organisation_id,
            &iso_date(since),
        )
        .await
    }
}
