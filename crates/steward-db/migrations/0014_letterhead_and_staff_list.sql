-- What Steward knows about an organisation beyond its name, so that a rights request's
-- redaction run keeps it (issue 15): the organisation's own address, telephone numbers and
-- e-mail addresses (its letterhead), and the staff list the IG lead uploads. Portable SQL for
-- SQLite and PostgreSQL: TEXT and INTEGER only; lists are one item per line.

ALTER TABLE organisations ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN postcode TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN phones TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN emails TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN details_updated_by TEXT;
ALTER TABLE organisations ADD COLUMN details_updated_at TEXT;

-- The uploaded staff list: replaced whole by each upload (the line is the row's line in the
-- uploaded file, for the page and the trail).
CREATE TABLE staff_list (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    job_title TEXT NOT NULL DEFAULT '',
    line BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users(id),
    uploaded_at TEXT NOT NULL
);
CREATE INDEX staff_list_organisation ON staff_list(organisation_id, line);

-- How many items a redaction run kept because Steward knows whose they are.
ALTER TABLE redaction_runs ADD COLUMN kept BIGINT NOT NULL DEFAULT 0;
