-- Cluster DPIAs (issue 11): a DPIA the DPO writes once for the cluster (held by the DPO
-- service) and, once approved, offers to practices; each practice reads it as approved and
-- records its own sign-off (adopted, with who signed it off) or declines it with a reason.
-- Portable SQL for SQLite and PostgreSQL: TEXT and BIGINT only.
CREATE TABLE dpia_adoptions (
    id TEXT PRIMARY KEY,
    -- the practice
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    -- the cluster DPIA and the approved version offered
    dpia_id TEXT NOT NULL REFERENCES dpias(id),
    dpia_version BIGINT NOT NULL,
    -- offered, adopted, declined
    status TEXT NOT NULL,
    offered_by TEXT NOT NULL REFERENCES users(id),
    offered_at TEXT NOT NULL,
    -- the practice's sign-off: who signed it off for the practice (name and role, in words),
    -- who recorded it and when, and the reason when declined
    signed_off_by TEXT NOT NULL DEFAULT '',
    decided_by TEXT,
    decided_at TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX dpia_adoptions_offer ON dpia_adoptions(dpia_id, dpia_version, organisation_id);
CREATE INDEX dpia_adoptions_org ON dpia_adoptions(organisation_id, status);
