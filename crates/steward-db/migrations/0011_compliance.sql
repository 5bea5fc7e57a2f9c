-- Compliance operations (issue 14): training records, the policy library with versions and
-- acknowledgements, records management reviews and the destruction log, toolkit evidence,
-- business continuity plans.
-- Portable SQL for SQLite and PostgreSQL through sqlx's Any driver: TEXT and BIGINT only.
-- Dates 'YYYY-MM-DD', timestamps fixed-width RFC 3339 UTC text, booleans 0/1.
-- Rules (the retention schedule, training requirements, toolkit assertions) live in
-- steward-compliance's data files; these tables hold what was entered, never a computed status.

-- One course completed by one member of staff. The expiry is computed from the course's
-- renewal period when read (the DPO may change it).
CREATE TABLE training_records (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    -- a code of data/training-requirements.toml
    course TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    provider TEXT NOT NULL,
    -- the certificate's number or reference; the certificate itself is an attachment
    certificate TEXT NOT NULL DEFAULT '',
    -- the reminder action set before this training runs out
    reminder_action_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX training_records_org_user ON training_records(organisation_id, user_id, course, completed_on);

-- A policy, protocol or agreement. origin: 'cluster' (the DPO's library, held by the DPO's
-- organisation), 'from_cluster' (a practice's copy of a library policy), 'own' (the practice's
-- own). status: 'offered' (a library policy not yet adopted), 'in_force', 'retired'.
CREATE TABLE policies (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    -- 'policy' or 'agreement' (staff sign an agreement; they acknowledge a policy)
    document_type TEXT NOT NULL,
    origin TEXT NOT NULL,
    library_policy_id TEXT,
    status TEXT NOT NULL,
    -- role codes that must acknowledge, comma separated; empty: everyone in the practice
    applies_to TEXT NOT NULL DEFAULT '',
    current_version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX policies_org ON policies(organisation_id, status);
CREATE INDEX policies_library ON policies(library_policy_id);

CREATE TABLE policy_versions (
    id TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL REFERENCES policies(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    number BIGINT NOT NULL,
    -- what changed in this version
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE UNIQUE INDEX policy_versions_number ON policy_versions(policy_id, number);

CREATE TABLE policy_acknowledgements (
    id TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL REFERENCES policies(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    version_number BIGINT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE UNIQUE INDEX policy_acknowledgements_once ON policy_acknowledgements(policy_id, version_number, user_id);

-- A periodic records management review: a round of actions, one per record type reviewed.
CREATE TABLE retention_reviews (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    -- schedule row codes reviewed, comma separated
    record_types TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id),
    due_on TEXT NOT NULL,
    -- 'open' or 'completed'
    status TEXT NOT NULL,
    findings TEXT NOT NULL DEFAULT '',
    completed_on TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX retention_reviews_org ON retention_reviews(organisation_id, status);

-- The destruction log: what was destroyed, when, how, on whose authority; the certificate of
-- destruction is an attachment.
CREATE TABLE destructions (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    -- a schedule row code
    record_type TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    method TEXT NOT NULL,
    destroyed_on TEXT NOT NULL,
    -- the contractor or person who destroyed them
    destroyed_by TEXT NOT NULL,
    authorised_by TEXT NOT NULL REFERENCES users(id),
    certificate TEXT NOT NULL DEFAULT '',
    review_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX destructions_reference ON destructions(organisation_id, reference);

-- A practice's answer to one toolkit assertion: the note and the IG lead's confirmation; the
-- upload is an attachment, linked evidence is computed when read.
CREATE TABLE toolkit_evidence (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    -- a code of data/toolkit-assertions.toml
    assertion TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    -- 1 when the IG lead confirms the uploaded evidence
    confirmed BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX toolkit_evidence_once ON toolkit_evidence(organisation_id, assertion);

-- The business continuity plan of an organisation, with the systems it depends on, its tests
-- and the suppliers' continuity assurance.
CREATE TABLE continuity_plans (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    scope TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id),
    review_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX continuity_plans_org ON continuity_plans(organisation_id);

CREATE TABLE continuity_systems (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES continuity_plans(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    supplier TEXT NOT NULL,
    -- how long the practice can work without it, in words
    tolerable_outage TEXT NOT NULL,
    workaround TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX continuity_systems_plan ON continuity_systems(plan_id);

CREATE TABLE continuity_tests (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES continuity_plans(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    tested_on TEXT NOT NULL,
    scenario TEXT NOT NULL,
    -- 'passed', 'partly', 'failed'
    outcome TEXT NOT NULL,
    lessons TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX continuity_tests_plan ON continuity_tests(plan_id, tested_on);

CREATE TABLE supplier_assurances (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES continuity_plans(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    supplier TEXT NOT NULL,
    -- what was received, e.g. the CSU's continuity test report
    evidence TEXT NOT NULL,
    received_on TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX supplier_assurances_plan ON supplier_assurances(plan_id);

-- The register of processing beyond individual care, and whether the national data opt-out
-- applies (from the legal basis, by steward-compliance data/optout-bases.toml, kept as decided).
CREATE TABLE optout_register (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    purpose TEXT NOT NULL,
    recipient TEXT NOT NULL,
    basis TEXT NOT NULL,
    basis_label TEXT NOT NULL,
    data TEXT NOT NULL,
    optout_applies BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX optout_register_org ON optout_register(organisation_id);
