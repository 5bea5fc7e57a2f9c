-- Second factor hardening (issue: one gate, and the hardening a hostile tester found):
-- a code is accepted once (the time step last used), wrong codes are limited per sign-in
-- attempt and per account, API tokens may expire, and the instance knows whether it holds
-- the fictional demo (only then may the CLI print a live code).
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

CREATE TABLE second_factor_failures (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    session_hash TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX second_factor_failures_user ON second_factor_failures(user_id, at);

ALTER TABLE api_tokens ADD COLUMN expires_on TEXT;

CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
