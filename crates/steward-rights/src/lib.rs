//! steward-rights
