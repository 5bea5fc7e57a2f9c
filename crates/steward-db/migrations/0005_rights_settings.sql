-- Per-organisation settings of the rights-request workflow. No row: the defaults (one
-- calendar month). rights-and-deadlines.md: the 28-day period is "a per-organisation
-- setting (off by default)".
CREATE TABLE rights_settings (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations(id),
    twenty_eight_days INTEGER NOT NULL DEFAULT 0,
    updated_by TEXT NOT NULL REFERENCES users(id),
    updated_at TEXT NOT NULL
);
