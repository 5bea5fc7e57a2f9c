-- An uploaded export (raw clinical-system logs naming every patient looked at) can be
-- deleted once its audit is done; the flags, cases and outcomes stay.
ALTER TABLE audit_runs ADD COLUMN export_deleted_at TEXT;
ALTER TABLE audit_runs ADD COLUMN export_deleted_by TEXT;
