//! An organisation's settings for its rights requests: today the response period, one
//! calendar month by default or 28 days (rights-and-deadlines.md, "The due date": "a
//! per-organisation setting (off by default)").

use serde::{Deserialize, Serialize};
use steward_core::time::now_stamp;
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, Role};
use steward_db::AnyConnection;

use crate::requests::Rights;

pub const RECORD_TYPE: &str = "rights_settings";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RightsSettings {
    /// Requests logged from now on are due 28 days after the clock starts instead of one
    /// calendar month (same weekend and bank-holiday rule). Requests already logged keep
    /// the period they were logged with.
    pub twenty_eight_days: bool,
}

/// Who may change the organisation's rights settings: the DPO and the IG lead.
pub fn can_change(role: Role) -> bool {
    steward_core::Kind::RightsRequest.allows(role, steward_core::Op::Configure)
}

/// The setting as stored (no row: off), on a pooled connection or inside a transaction.
pub(crate) async fn twenty_eight_days(
    conn: &mut AnyConnection,
    organisation_id: &str,
) -> CoreResult<bool> {
    let v: Option<i64> = steward_db::query_scalar(
        "SELECT twenty_eight_days FROM rights_settings WHERE organisation_id = $1",
    )
    .bind(organisation_id)
    .fetch_optional(conn)
    .await?;
    Ok(v == Some(1))
}

impl Rights<'_> {
    pub async fn settings(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<RightsSettings> {
        caller.require_read(organisation_id)?;
        let mut conn = self
            .steward
            .db
            .pool
            .acquire()
            .await
            .map_err(steward_db::DbError::from)?;
        Ok(RightsSettings {
            twenty_eight_days: twenty_eight_days(&mut conn, organisation_id).await?,
        })
    }

    pub async fn change_settings(
        &self,
        caller: &Caller,
        organisation_id: &str,
        new: &RightsSettings,
    ) -> CoreResult<RightsSettings> {
        caller.require_write(organisation_id)?;
        if !can_change(caller.role) {
            return Err(CoreError::Forbidden);
        }
        let mut w = self.steward.write().await?;
        let before = twenty_eight_days(&mut w.tx, organisation_id).await?;
        steward_db::query(
            "INSERT INTO rights_settings (organisation_id, twenty_eight_days, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (organisation_id) DO UPDATE SET twenty_eight_days = $2, updated_by = $3, updated_at = $4",
        )
        .bind(organisation_id)
        .bind(new.twenty_eight_days as i64)
        .bind(&caller.user_id)
        .bind(now_stamp())
        .execute(&mut *w.tx)
        .await?;
        let period = |b: bool| if b { "28 days" } else { "one calendar month" };
        let mut e = TrailEntry::for_record(
            caller,
            "record.update",
            organisation_id,
            RECORD_TYPE,
            organisation_id,
        );
        e.detail = format!(
            "response period: {} -> {}",
            period(before),
            period(new.twenty_eight_days)
        );
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        Ok(new.clone())
    }
}
