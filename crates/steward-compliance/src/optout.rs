//! The register of the organisation's processing beyond individual care (feature
//! `service`), and whether the national data opt-out applies to each, from its legal basis
//! (`data/optout-bases.toml`). The opt-out filter itself is a separate, pure engine.

use serde::{Deserialize, Serialize};
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::time::now_stamp;
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row};

use crate::store;

pub const KIND: Kind = Kind::NonDirectCareProcessing;
pub const EMBEDDED_BASES_TOML: &str = include_str!("../data/optout-bases.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Basis {
    pub code: String,
    pub label: String,
    /// Whether the national data opt-out applies to processing on this basis.
    pub applies: bool,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Bases {
    pub source: String,
    pub basis: Vec<Basis>,
}

impl Bases {
    pub fn embedded() -> Bases {
        toml::from_str(EMBEDDED_BASES_TOML).expect("the shipped opt-out bases read")
    }
    pub fn get(&self, code: &str) -> Option<&Basis> {
        self.basis.iter().find(|b| b.code == code)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ProcessingInput {
    #[schema(required, pattern = "\\S")]
    pub purpose: String,
    /// Who receives the data.
    #[schema(required, pattern = "\\S")]
    pub recipient: String,
    /// A basis code of the opt-out bases.
    #[schema(required, pattern = "\\S")]
    pub basis: String,
    #[schema(required, pattern = "\\S")]
    pub data: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Processing {
    pub id: String,
    pub organisation_id: String,
    pub purpose: String,
    pub recipient: String,
    pub basis: String,
    pub basis_label: String,
    pub data: String,
    /// Whether the opt-out applies (from the basis when recorded).
    pub optout_applies: bool,
    /// Why, from the rule.
    pub reason: String,
    pub version: i64,
}

pub struct Register<'a> {
    pub steward: &'a Steward,
    pub bases: Bases,
}

pub fn register(steward: &Steward) -> Register<'_> {
    let dir = steward.config.data_dir.join("optout-bases.toml");
    let bases = std::fs::read_to_string(dir)
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_else(Bases::embedded);
    Register { steward, bases }
}

fn from_row(r: &AnyRow) -> CoreResult<Processing> {
    Ok(Processing {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        purpose: r.try_get("purpose")?,
        recipient: r.try_get("recipient")?,
        basis: r.try_get("basis")?,
        basis_label: r.try_get("basis_label")?,
        data: r.try_get("data")?,
        optout_applies: r.try_get::<i64, _>("optout_applies")? == 1,
        reason: r.try_get("reason")?,
        version: r.try_get("version")?,
    })
}

impl Register<'_> {
    pub async fn create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &ProcessingInput,
    ) -> CoreResult<Processing> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let mut e = FieldErrors::default();
        store::need_text(&input.purpose, "purpose", "Describe the purpose", &mut e);
        store::need_text(
            &input.recipient,
            "recipient",
            "Enter who receives the data",
            &mut e,
        );
        store::need_text(&input.data, "data", "Describe the data disclosed", &mut e);
        let basis = self.bases.get(&input.basis).cloned();
        if basis.is_none() {
            e.add("basis", "Choose the legal basis");
        }
        e.into_result()?;
        let basis = basis.expect("checked");
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query("INSERT INTO optout_register (id, organisation_id, purpose, recipient, basis, basis_label, data, optout_applies, reason, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1)")
            .bind(&id)
            .bind(organisation_id)
            .bind(input.purpose.trim())
            .bind(input.recipient.trim())
            .bind(&basis.code)
            .bind(&basis.label)
            .bind(input.data.trim())
            .bind(i64::from(basis.applies))
            .bind(&basis.source)
            .bind(&caller.user_id)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        let row = steward_db::query("SELECT * FROM optout_register WHERE id = $1")
            .bind(&id)
            .fetch_one(&mut *w.tx)
            .await?;
        let p = from_row(&row)?;
        let snap = serde_json::json!({"purpose": p.purpose, "recipient": p.recipient, "basis": p.basis_label, "data": p.data, "opt-out applies": p.optout_applies});
        store::logged(
            &mut w.tx,
            caller,
            KIND,
            &id,
            organisation_id,
            1,
            &snap,
            "record.create",
            p.purpose.clone(),
        )
        .await?;
        w.commit().await?;
        Ok(p)
    }

    pub async fn list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<Processing>> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        steward_db::query(
            "SELECT * FROM optout_register WHERE organisation_id = $1 ORDER BY purpose",
        )
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
    }

    pub async fn processing(&self, permit: &Permit<ops::Read>) -> CoreResult<Processing> {
        let row = steward_db::query("SELECT * FROM optout_register WHERE id = $1")
            .bind(permit.id())
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_opt_out_applies_to_research_and_planning_not_to_the_exemptions() {
        let b = super::Bases::embedded();
        assert!(b.get("section_251").unwrap().applies);
        assert!(!b.get("legal_requirement").unwrap().applies);
        assert!(!b.get("consent").unwrap().applies);
        assert!(b.basis.iter().all(|x| !x.source.is_empty()));
    }
}
