-- Cluster assurance, continued (issue 13): the DPO's compliance audits of practices and the
-- DPO's action rounds (one set of required actions sent to many practices at once).
-- Portable SQL for SQLite and PostgreSQL: TEXT and BIGINT only; timestamps RFC 3339 UTC
-- text, dates 'YYYY-MM-DD'. The audit's questions and ratings live in steward-assurance's
-- data file; the answers keep the question's text as asked, so a later edit of the file
-- does not change a completed audit.

CREATE TABLE compliance_audits (
    id TEXT PRIMARY KEY,
    -- the practice audited
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    -- e.g. AUD-2026-0001
    reference TEXT NOT NULL,
    template_code TEXT NOT NULL,
    title TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    -- in_progress, completed
    status TEXT NOT NULL,
    started_by TEXT NOT NULL REFERENCES users(id),
    completed_at TEXT,
    completed_by TEXT,
    summary TEXT NOT NULL DEFAULT '',
    met BIGINT NOT NULL DEFAULT 0,
    applicable BIGINT NOT NULL DEFAULT 0,
    findings BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX compliance_audits_reference ON compliance_audits(organisation_id, reference);
CREATE INDEX compliance_audits_org ON compliance_audits(organisation_id, visit_date);

CREATE TABLE compliance_audit_answers (
    audit_id TEXT NOT NULL REFERENCES compliance_audits(id),
    question_code TEXT NOT NULL,
    section TEXT NOT NULL,
    question TEXT NOT NULL,
    -- a rating code of the template
    rating TEXT NOT NULL,
    evidence_seen TEXT NOT NULL,
    finding TEXT NOT NULL,
    -- the finding's action, made when the audit is completed
    due_date TEXT,
    action_id TEXT,
    answered_by TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (audit_id, question_code)
);
CREATE INDEX compliance_audit_answers_action ON compliance_audit_answers(action_id);

-- A round is held by the DPO's organisation; each practice's required actions are
-- foundation actions in the practice, listed here.
CREATE TABLE action_rounds (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    cluster_id TEXT NOT NULL,
    title TEXT NOT NULL,
    introduction TEXT NOT NULL,
    -- JSON list of {heading, text}
    required_actions TEXT NOT NULL,
    due_date TEXT NOT NULL,
    sent_by TEXT NOT NULL REFERENCES users(id),
    sent_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX action_rounds_org ON action_rounds(organisation_id, sent_at);

CREATE TABLE action_round_tasks (
    round_id TEXT NOT NULL REFERENCES action_rounds(id),
    -- the practice
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    -- position of the required action in the round
    item BIGINT NOT NULL,
    action_id TEXT NOT NULL REFERENCES actions(id),
    last_chased_at TEXT,
    PRIMARY KEY (round_id, organisation_id, item)
);
CREATE INDEX action_round_tasks_org ON action_round_tasks(organisation_id, round_id);
CREATE INDEX action_round_tasks_action ON action_round_tasks(action_id);
