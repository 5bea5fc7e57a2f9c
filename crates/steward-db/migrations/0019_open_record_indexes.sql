-- The cluster view and the dashboard count the records still open, per organisation, on
-- every view. Their status tests (`status <> 'closed'`, `status NOT IN (...)`) cannot use an
-- index on the status column, so each count read every record the organisation ever had
-- (years of closed incidents and completed requests) before filtering. These partial
-- indexes hold only the open records, with the columns the counts read, and SQLite and
-- PostgreSQL use one when the query repeats its WHERE term exactly: keep the two in step
-- (crates/steward-assurance/src/dashboard.rs, steward-rights' listing).
CREATE INDEX incidents_open ON incidents(organisation_id, aware_at, notified_at, reportable) WHERE status <> 'closed';
CREATE INDEX rights_requests_open ON rights_requests(organisation_id, status, due_on) WHERE status NOT IN ('completed', 'refused', 'withdrawn');
CREATE INDEX audit_cases_open ON audit_cases(organisation_id) WHERE status <> 'closed';
CREATE INDEX actions_not_done ON actions(organisation_id, status, due_date, source_record_type, id) WHERE status IN ('open', 'in_progress', 'cancelled');
