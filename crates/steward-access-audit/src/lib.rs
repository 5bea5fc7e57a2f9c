//! steward-access-audit
