-- Cluster assurance (issue 13): incidents and personal data breaches, the information risk
-- register, and the quarterly cluster update.
-- Portable SQL for SQLite and PostgreSQL through sqlx's Any driver: TEXT and BIGINT only.
-- Timestamps are fixed-width RFC 3339 UTC text, dates 'YYYY-MM-DD', booleans 0/1.
-- Rules (the breach grid, the clock, the risk matrix) live in steward-assurance's data files;
-- these tables hold what was entered and decided, never a computed band.

-- Every incident is kept whether or not it is notified (UK GDPR Art 33(5)): there is no delete.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    -- the organisation's reference, e.g. INC-2026-0003
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    -- a code of steward-assurance data/incident-categories.toml
    category TEXT NOT NULL,
    what_happened TEXT NOT NULL,
    -- three separate times (breach-grading.md, "The clock")
    occurred_at TEXT NOT NULL,
    aware_at TEXT NOT NULL,
    reported_by TEXT NOT NULL REFERENCES users(id),
    reported_at TEXT NOT NULL,
    -- who was affected, in words; and their names, one per line (for the lesson check)
    people_affected TEXT NOT NULL,
    people_names TEXT NOT NULL,
    data_involved TEXT NOT NULL,
    how_many BIGINT NOT NULL,
    containment TEXT NOT NULL,
    -- reported, graded, closed
    status TEXT NOT NULL,
    -- the grid's grades and what they gave when graded (thresholds can change later)
    likelihood BIGINT,
    severity BIGINT,
    reportable BIGINT,
    dhsc_reportable BIGINT,
    grading_reasons TEXT NOT NULL DEFAULT '',
    graded_by TEXT,
    graded_at TEXT,
    -- notification (Art 33): the time, external references, reasons when after the clock
    notified_at TEXT,
    ico_reference TEXT NOT NULL DEFAULT '',
    dhsc_reference TEXT NOT NULL DEFAULT '',
    late_reasons TEXT NOT NULL DEFAULT '',
    -- telling the people affected (Art 34): 1 yes, 0 no, NULL undecided
    tell_people BIGINT,
    tell_people_reasons TEXT NOT NULL DEFAULT '',
    -- encrypted, risk_removed, disproportionate_effort, or empty
    tell_people_exception TEXT NOT NULL DEFAULT '',
    -- closure
    root_cause TEXT NOT NULL DEFAULT '',
    lesson TEXT NOT NULL DEFAULT '',
    closed_at TEXT,
    closed_by TEXT,
    -- the anonymised lesson the DPO publishes for the cluster's incident learning
    published_lesson TEXT NOT NULL DEFAULT '',
    lesson_published_at TEXT,
    lesson_published_by TEXT,
    -- the record this incident was opened from (an access-audit case, a rights request):
    -- linked, not copied
    source_record_type TEXT,
    source_record_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX incidents_reference ON incidents(organisation_id, reference);
CREATE INDEX incidents_org_status ON incidents(organisation_id, status, aware_at);
CREATE INDEX incidents_org_aware ON incidents(organisation_id, aware_at);
CREATE INDEX incidents_source ON incidents(source_record_type, source_record_id);

-- The information risk register, per organisation.
CREATE TABLE risks (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    -- e.g. RSK-0004
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    cause TEXT NOT NULL,
    consequence TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id),
    -- the 5x5 matrix's levels; the score and band are computed from the matrix data
    inherent_likelihood BIGINT NOT NULL,
    inherent_consequence BIGINT NOT NULL,
    residual_likelihood BIGINT NOT NULL,
    residual_consequence BIGINT NOT NULL,
    -- residual likelihood x consequence, kept for lists and the dashboard's count
    residual_score BIGINT NOT NULL,
    treatment TEXT NOT NULL,
    review_date TEXT NOT NULL,
    -- open, closed
    status TEXT NOT NULL,
    -- a risk raised elsewhere (a DPIA's risk, an information asset, a high-risk processing
    -- activity): linked, not copied
    source_record_type TEXT,
    source_record_id TEXT,
    -- escalation to the SIRO when the residual score is above the appetite
    escalated_at TEXT,
    escalation_action_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX risks_reference ON risks(organisation_id, reference);
CREATE INDEX risks_org_status ON risks(organisation_id, status, residual_score);

-- Every score change with who and why.
CREATE TABLE risk_score_changes (
    id TEXT PRIMARY KEY,
    risk_id TEXT NOT NULL REFERENCES risks(id),
    organisation_id TEXT NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- inherent, residual
    which TEXT NOT NULL,
    before_likelihood BIGINT,
    before_consequence BIGINT,
    likelihood BIGINT NOT NULL,
    consequence BIGINT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX risk_score_changes_risk ON risk_score_changes(risk_id, at);

-- The organisation's risk appetite: the highest residual score it accepts.
CREATE TABLE risk_appetites (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations(id),
    appetite BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The quarterly cluster update, held by the DPO's organisation; sections are editable
-- before sending.
CREATE TABLE cluster_updates (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    cluster_id TEXT NOT NULL,
    -- e.g. 2026-Q4
    quarter TEXT NOT NULL,
    title TEXT NOT NULL,
    -- JSON list of {heading, body}
    sections TEXT NOT NULL,
    -- draft, sent
    status TEXT NOT NULL,
    sent_at TEXT,
    sent_by TEXT,
    sent_to BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX cluster_updates_org ON cluster_updates(organisation_id, quarter);
