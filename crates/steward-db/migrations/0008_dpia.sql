-- Data protection impact assessments (issue 11): screenings, DPIAs and their frozen versions.
-- Portable SQL for SQLite and PostgreSQL through sqlx's Any driver: TEXT and BIGINT only.
-- Timestamps are fixed-width RFC 3339 UTC text, dates 'YYYY-MM-DD', booleans 0/1.
-- The assessment itself (sections, data items, flows, risks, measures, sign-off) is one JSON
-- document in `content`, checked by steward-dpia against its rule tables; the columns here
-- are what lists, the gate and the review reminders need.

-- A screening: a questionnaire answered (who answered and when), and its outcome.
CREATE TABLE dpia_screenings (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    -- a questionnaire code of steward-dpia's data (trust, ico)
    questionnaire TEXT NOT NULL,
    -- JSON: [{question, yes, comment}]
    answers TEXT NOT NULL,
    dpia_required BIGINT NOT NULL,
    -- JSON: {dpia_required, summary, reasons}
    outcome TEXT NOT NULL,
    answered_by TEXT NOT NULL REFERENCES users(id),
    answered_at TEXT NOT NULL,
    -- the DPIA started from it
    dpia_id TEXT,
    created_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX dpia_screenings_org ON dpia_screenings(organisation_id, answered_at);

CREATE TABLE dpias (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    -- e.g. DPIA-0003
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    -- draft, submitted, changes_requested, approved, rejected, under_review
    status TEXT NOT NULL,
    -- a matrix code of steward-dpia's data (ico, 5x5, cnil)
    matrix TEXT NOT NULL,
    -- the version being written or last approved: 1, 2, ...
    version_number BIGINT NOT NULL,
    content TEXT NOT NULL,
    screening_id TEXT,
    next_review_date TEXT,
    approved_at TEXT,
    approved_by TEXT,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- the record's change counter (history)
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX dpias_reference ON dpias(organisation_id, reference);
CREATE INDEX dpias_org_status ON dpias(organisation_id, status);

-- Every approved version, frozen: read-only, with its number and date.
CREATE TABLE dpia_versions (
    id TEXT PRIMARY KEY,
    dpia_id TEXT NOT NULL REFERENCES dpias(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    version_number BIGINT NOT NULL,
    -- approved or rejected
    outcome TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE UNIQUE INDEX dpia_versions_number ON dpia_versions(dpia_id, version_number);
