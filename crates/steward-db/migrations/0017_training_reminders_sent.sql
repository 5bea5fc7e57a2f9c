-- Reminder e-mails before training runs out (issue 14), sent by the daily reminders job: one
-- to each recipient (the member of staff, and the practice's IG lead) per expiry, even across
-- restarts, as reminders_sent does for the daily action reminders. The expiry is that of the
-- training record, computed from the course's renewal period; a renewal is a new record, and a
-- changed renewal period a new expiry, so each is reminded once again.
-- Portable SQL for SQLite and PostgreSQL: TEXT only; dates 'YYYY-MM-DD', timestamps RFC 3339.
CREATE TABLE training_reminders_sent (
    training_record_id TEXT NOT NULL REFERENCES training_records(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    expires_on TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (training_record_id, user_id, expires_on)
);
