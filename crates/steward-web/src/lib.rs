//! steward-web
