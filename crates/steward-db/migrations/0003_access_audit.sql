-- Access audit of clinical-system logs (issue 5, shared/reference/access-audit-rules.md).
-- Portable SQL as in 0001: TEXT and BIGINT only; timestamps are fixed-width text, shares are
-- stored as counts (explained / events) so no REAL is needed.

-- A source system's column mapping, saved once per organisation and system (the TOML the
-- engine reads, see crates/steward-access-audit/README.md).
CREATE TABLE audit_mappings (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    system_name TEXT NOT NULL,
    mapping_toml TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_mappings_system ON audit_mappings(organisation_id, system_name);

-- One audit of one export. status: uploaded, running, completed, failed.
CREATE TABLE audit_runs (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    period TEXT NOT NULL,
    system_name TEXT NOT NULL,
    source TEXT NOT NULL,
    data_location TEXT NOT NULL,
    mapping_id TEXT,
    mapping_toml TEXT,
    status TEXT NOT NULL,
    progress_pass BIGINT NOT NULL DEFAULT 0,
    progress_passes BIGINT NOT NULL DEFAULT 0,
    progress_events BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT,
    events BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    explained BIGINT NOT NULL DEFAULT 0,
    flags BIGINT NOT NULL DEFAULT 0,
    cases BIGINT NOT NULL DEFAULT 0,
    per_rule TEXT NOT NULL DEFAULT '{}',
    issues_total BIGINT NOT NULL DEFAULT 0,
    issues TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX audit_runs_org ON audit_runs(organisation_id, period);

-- One rule hit on one event, with its evidence (JSON: relationship and detail).
CREATE TABLE audit_flags (
    run_id TEXT NOT NULL REFERENCES audit_runs(id),
    seq BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    user_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    day TEXT NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX audit_flags_user_patient ON audit_flags(run_id, user_id, patient_id);
CREATE INDEX audit_flags_user_day ON audit_flags(run_id, user_id, day);

-- Flags grouped per user and patient (or per user-day for VOLUME), ranked by severity.
-- status: open, awaiting_explanation, closed. outcome: appropriate, inappropriate,
-- needs_explanation (empty while open).
CREATE TABLE audit_cases (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES audit_runs(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    rank BIGINT NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    patient_id TEXT,
    day TEXT,
    rules TEXT NOT NULL,
    severity BIGINT NOT NULL,
    score BIGINT NOT NULL,
    events BIGINT NOT NULL,
    first_ts TEXT NOT NULL,
    last_ts TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    outcome_reason TEXT NOT NULL DEFAULT '',
    outcome_by TEXT,
    outcome_at TEXT,
    action_id TEXT,
    line_manager_id TEXT,
    explanation_due TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX audit_cases_run ON audit_cases(run_id, rank);
CREATE INDEX audit_cases_org ON audit_cases(organisation_id, status);

-- Case notes, kept apart from the generic comments so the case page can show them in line.
CREATE TABLE audit_case_notes (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES audit_cases(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    user_id TEXT NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX audit_case_notes_case ON audit_case_notes(case_id, at);

-- The monthly practice sample audit (seed 001): N random accesses per user in a month,
-- checked by hand, with the audit's checklist (JSON: item -> 0/1).
CREATE TABLE audit_samples (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    run_id TEXT NOT NULL REFERENCES audit_runs(id),
    period TEXT NOT NULL,
    per_user BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    checklist TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    completed_at TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX audit_samples_org ON audit_samples(organisation_id, period);

-- One sampled access. outcome: empty (not yet checked), appropriate, query, inappropriate.
CREATE TABLE audit_sample_items (
    sample_id TEXT NOT NULL REFERENCES audit_samples(id),
    seq BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    ts TEXT NOT NULL,
    event_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    patient_name TEXT NOT NULL,
    action TEXT NOT NULL,
    workstation TEXT NOT NULL,
    explained_by TEXT,
    outcome TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    checked_by TEXT,
    checked_at TEXT,
    PRIMARY KEY (sample_id, seq)
);
