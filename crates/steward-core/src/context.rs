//! Who is calling, from where, and which organisation they are working in.

use serde::Serialize;

use crate::error::{CoreError, CoreResult};
use crate::roles::Role;

#[derive(Debug, Clone, Serialize)]
pub struct Caller {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The organisation the user belongs to.
    pub home_organisation_id: String,
    pub cluster_id: String,
    /// The organisation the user is working in now (a DPO can switch).
    pub current_organisation_id: String,
    /// Every organisation this caller may see: the cluster for cluster-wide roles.
    pub visible_organisation_ids: Vec<String>,
    /// Client address, for the audit trail.
    pub address: String,
}

/// The user id that Steward's own scheduled jobs write under (history and trail).
pub const SYSTEM_USER_ID: &str = "system";
pub const SYSTEM_NAME: &str = "Steward (scheduled update)";

impl Caller {
    /// Steward itself, for scheduled jobs that keep derived dates up to date in one
    /// organisation; it never comes from a request.
    pub fn system(organisation_id: &str) -> Caller {
        Caller {
            user_id: SYSTEM_USER_ID.into(),
            email: SYSTEM_NAME.into(),
            display_name: SYSTEM_NAME.into(),
            role: Role::Dpo,
            home_organisation_id: organisation_id.into(),
            cluster_id: String::new(),
            current_organisation_id: organisation_id.into(),
            visible_organisation_ids: vec![organisation_id.into()],
            address: "scheduled".into(),
        }
    }

    pub fn can_see_organisation(&self, organisation_id: &str) -> bool {
        self.visible_organisation_ids
            .iter()
            .any(|o| o == organisation_id)
    }

    /// Records of an organisation the caller cannot see are reported as not found, so ids
    /// cannot be probed.
    pub fn require_read(&self, organisation_id: &str) -> CoreResult<()> {
        if !self.role.can_read_records() {
            return Err(CoreError::Forbidden);
        }
        if !self.can_see_organisation(organisation_id) {
            return Err(CoreError::NotFound);
        }
        Ok(())
    }

    pub fn require_write(&self, organisation_id: &str) -> CoreResult<()> {
        self.require_read(organisation_id)?;
        if !self.role.can_write_records() {
            return Err(CoreError::Forbidden);
        }
        Ok(())
    }

    pub fn require_manage_users(&self) -> CoreResult<()> {
        if self.role.can_manage_users() {
            Ok(())
        } else {
            Err(CoreError::Forbidden)
        }
    }

    pub fn require_audit_trail(&self) -> CoreResult<()> {
        if self.role.can_read_audit_trail() {
            Ok(())
        } else {
            Err(CoreError::Forbidden)
        }
    }
}
