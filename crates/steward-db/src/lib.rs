//! steward-db
