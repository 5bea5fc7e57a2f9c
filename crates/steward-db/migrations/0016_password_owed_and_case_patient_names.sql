-- A password set by an administrator (a new account made on the users page or through the
-- API) is the administrator's, not the person's: they choose their own at first sign-in.
-- 1 until they do; every page and API call is refused until then. Accounts made on the server
-- (the command line, the demo's printed accounts) start at 0.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- The name of the patient an access-audit case is about, from the export's patient table
-- when the audit ran (as a sample's accesses keep it), so the case page names the patient
-- and not only the clinical system's number. Empty for cases of audits run before.
ALTER TABLE audit_cases ADD COLUMN patient_name TEXT;
