//! Roles and what each may do. Authorisation is decided here, once, and called by every
//! service function; handlers never decide it themselves.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Dpo,
    IgLead,
    Siro,
    CaldicottGuardian,
    Clinician,
    Staff,
    Auditor,
    SystemAdministrator,
}

pub const ALL_ROLES: [Role; 8] = [
    Role::Dpo,
    Role::IgLead,
    Role::Siro,
    Role::CaldicottGuardian,
    Role::Clinician,
    Role::Staff,
    Role::Auditor,
    Role::SystemAdministrator,
];

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Dpo => "dpo",
            Role::IgLead => "ig_lead",
            Role::Siro => "siro",
            Role::CaldicottGuardian => "caldicott_guardian",
            Role::Clinician => "clinician",
            Role::Staff => "staff",
            Role::Auditor => "auditor",
            Role::SystemAdministrator => "system_administrator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        ALL_ROLES.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Dpo => "Data Protection Officer",
            Role::IgLead => "IG lead",
            Role::Siro => "SIRO",
            Role::CaldicottGuardian => "Caldicott Guardian",
            Role::Clinician => "Clinician",
            Role::Staff => "Staff",
            Role::Auditor => "Auditor (read-only)",
            Role::SystemAdministrator => "System administrator",
        }
    }

    /// The DPO and the system administrator work across the cluster; everyone else sees
    /// only their own organisation.
    pub fn cluster_wide(self) -> bool {
        matches!(self, Role::Dpo | Role::SystemAdministrator)
    }

    /// The DPO holds the keys to every practice's records: a second factor is required.
    pub fn requires_second_factor(self) -> bool {
        matches!(self, Role::Dpo)
    }

    /// Reading governance records. The system administrator manages accounts, not records
    /// (least privilege).
    pub fn can_read_records(self) -> bool {
        !matches!(self, Role::SystemAdministrator)
    }

    pub fn can_write_records(self) -> bool {
        !matches!(self, Role::SystemAdministrator | Role::Auditor)
    }

    pub fn can_manage_users(self) -> bool {
        matches!(self, Role::SystemAdministrator)
    }

    /// Whether someone in this role may give an account `role`: nobody grants more reach
    /// than their own. The system administrator manages accounts but reads no records, so
    /// never grants the DPO's cluster-wide reach; the DPO role comes from a DPO or from
    /// `steward user add` on the server.
    pub fn may_grant(self, role: Role) -> bool {
        match self {
            Role::Dpo => true,
            Role::SystemAdministrator => role != Role::Dpo,
            _ => false,
        }
    }

    pub fn can_read_audit_trail(self) -> bool {
        matches!(self, Role::Dpo | Role::Auditor)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_grants_more_reach_than_their_own() {
        assert!(!Role::SystemAdministrator.may_grant(Role::Dpo));
        assert!(Role::SystemAdministrator.may_grant(Role::IgLead));
        assert!(Role::Dpo.may_grant(Role::Dpo));
        for r in ALL_ROLES {
            assert!(!Role::IgLead.may_grant(r) && !Role::Staff.may_grant(r));
        }
    }
}
