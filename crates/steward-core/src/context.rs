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
    /// The record the route guard looked up for this request, handed once to the service's
    /// own decision on the same record (see [`crate::Steward::check`]).
    #[serde(skip)]
    pub looked_up: LookedUp,
}

/// One record's organisation (and the person it is about), as the route guard read it: the
/// handler's permit for the same record then decides on it without reading it again. Taken
/// once: a second decision in the same request reads the record afresh. A [`Caller`] lives
/// for one request (it is made from the session or token each time), so this never outlives it.
#[derive(Debug, Clone, Default)]
pub struct LookedUp(std::sync::Arc<std::sync::Mutex<Option<Seen>>>);

#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) kind: &'static str,
    pub(crate) id: String,
    pub(crate) organisation_id: String,
    pub(crate) about: Option<String>,
}

impl LookedUp {
    pub(crate) fn keep(&self, seen: Seen) {
        *self.0.lock().expect("looked-up record") = Some(seen);
    }

    /// The guard's lookup of this record, if that is what it looked up; taken, not copied.
    pub(crate) fn take(&self, kind: &str, id: &str) -> Option<Seen> {
        let mut slot = self.0.lock().expect("looked-up record");
        match slot.as_ref() {
            Some(s) if s.kind == kind && s.id == id => slot.take(),
            _ => None,
        }
    }
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
            looked_up: LookedUp::default(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(kind: &'static str, id: &str) -> Seen {
        Seen {
            kind,
            id: id.into(),
            organisation_id: "org".into(),
            about: None,
        }
    }

    #[test]
    fn the_guards_lookup_is_handed_once_and_only_for_its_record() {
        let memo = LookedUp::default();
        memo.keep(seen("dpia", "a"));
        // Another record, or another kind with the same id: not this lookup.
        assert!(memo.take("dpia", "b").is_none());
        assert!(memo.take("incident", "a").is_none());
        // A clone (the handler's copy of the caller) shares it; the first take empties it.
        let handlers = memo.clone();
        assert_eq!(handlers.take("dpia", "a").unwrap().organisation_id, "org");
        assert!(memo.take("dpia", "a").is_none());
        assert!(handlers.take("dpia", "a").is_none());
    }
}
