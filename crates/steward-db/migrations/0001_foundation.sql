-- Portable SQL for SQLite and PostgreSQL through sqlx's Any driver.
-- Only TEXT, INTEGER/BIGINT and BLOB/BYTEA-free columns: booleans are 0/1, timestamps are
-- RFC 3339 UTC text with a fixed width (so they sort as text), ids are UUID text.

CREATE TABLE clusters (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL REFERENCES clusters(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    ods_code TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX organisations_ods ON organisations(cluster_id, ods_code);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    calendar_token_hash TEXT,
    created_at TEXT NOT NULL,
    deactivated_at TEXT
);
CREATE UNIQUE INDEX users_email ON users(email);

-- Browser sessions: the cookie holds a random token, only its SHA-256 is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    current_organisation_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    -- set when the password is right but a TOTP code is still owed
    pending_second_factor BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens(token_hash);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    issued_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Failed sign-ins, counted in a sliding window per account and per address.
CREATE TABLE sign_in_failures (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures(email, at);
CREATE INDEX sign_in_failures_address ON sign_in_failures(address, at);

-- Append-only, hash-chained trail: hash = SHA-256(prev_hash | fields). seq is assigned as
-- last + 1 under the primary key, so two writers can never both extend the same entry.
CREATE TABLE audit_trail (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    user_id TEXT,
    user_email TEXT NOT NULL,
    organisation_id TEXT,
    event TEXT NOT NULL,
    record_type TEXT,
    record_id TEXT,
    detail TEXT NOT NULL,
    address TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_trail_user ON audit_trail(user_id);
CREATE INDEX audit_trail_org ON audit_trail(organisation_id);
CREATE INDEX audit_trail_record ON audit_trail(record_type, record_id);

-- Every version of every record, as a JSON snapshot; diffs are computed between neighbours.
CREATE TABLE record_versions (
    id TEXT PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    snapshot TEXT NOT NULL
);
CREATE UNIQUE INDEX record_versions_record ON record_versions(record_type, record_id, version);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX attachments_record ON attachments(record_type, record_id);

CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX comments_record ON comments(record_type, record_id);

CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id),
    due_date TEXT NOT NULL,
    status TEXT NOT NULL,
    source_record_type TEXT,
    source_record_id TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX actions_org ON actions(organisation_id, due_date);
CREATE INDEX actions_owner ON actions(owner_id, due_date);

-- One reminder email per user per day, even across restarts.
CREATE TABLE reminders_sent (
    user_id TEXT NOT NULL,
    day TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (user_id, day)
);
