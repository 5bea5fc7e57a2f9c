-- Rights requests (issue 4) and the redaction review behind subject access.
-- Portable SQL for SQLite and PostgreSQL through sqlx's Any driver: TEXT and BIGINT only.
-- Dates are 'YYYY-MM-DD' text, timestamps fixed-width RFC 3339 UTC text, booleans 0/1.
-- The clock's rules are in steward-rights (shared/reference/rights-and-deadlines.md); these
-- tables hold what it needs and nothing computed except due_on (kept for lists and sorting).

CREATE TABLE rights_requests (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    -- the organisation's reference, e.g. SAR-2026-0003
    reference TEXT NOT NULL,
    -- access, rectification, erasure, restriction, objection
    request_type TEXT NOT NULL,
    -- steward_rights::RequestDetails as JSON (access scope, corrections, Art 19 recipients,
    -- objection kind)
    details TEXT NOT NULL,
    -- letter, email, online_form, verbal
    channel TEXT NOT NULL,
    -- data_subject, solicitor, parent_for_child, attorney, insurer
    requester_kind TEXT NOT NULL,
    proxy_name TEXT NOT NULL,
    proxy_organisation TEXT NOT NULL,
    -- signed_patient_authority, parental_responsibility, lasting_power_of_attorney, court_order, other
    authority_evidence_kind TEXT,
    authority_evidence TEXT NOT NULL,
    subject_forenames TEXT NOT NULL,
    subject_surname TEXT NOT NULL,
    subject_date_of_birth TEXT,
    subject_address TEXT NOT NULL,
    subject_postcode TEXT NOT NULL,
    subject_nhs_number TEXT NOT NULL,
    subject_phone TEXT NOT NULL,
    subject_email TEXT NOT NULL,
    -- other names the subject is known by, one per line
    subject_aliases TEXT NOT NULL,
    -- the clock's start events
    received_on TEXT NOT NULL,
    identity_verified_on TEXT,
    identity_evidence TEXT NOT NULL,
    authority_received_on TEXT,
    fee_received_on TEXT,
    -- calendar_month or twenty_eight_days, copied from the setting when logged
    period TEXT NOT NULL,
    due_soon_days BIGINT NOT NULL,
    -- extension: 1 or 2 months, told within the first month with reasons
    extension_months BIGINT,
    extension_ground TEXT,
    extension_reasons TEXT,
    extension_told_on TEXT,
    extension_recorded_on TEXT,
    -- steward_rights::RequestStatus, snake_case
    status TEXT NOT NULL,
    -- the due date as of the last change (paused days counted to that day)
    due_on TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id),
    -- the linked action carrying the due date into My actions, Overdue, reminders and iCal
    action_id TEXT,
    -- clinician's review
    serious_harm_professional TEXT NOT NULL,
    serious_harm_given_on TEXT,
    serious_harm_likely BIGINT,
    -- release_all or filter_and_signpost
    other_providers_policy TEXT,
    -- providers the requester is told to ask, one per line
    other_providers TEXT NOT NULL,
    -- information the law forbids disclosing (Sch 4), as the clinician describes it
    prohibited_information TEXT NOT NULL,
    -- closure: answered, nothing_held, refused
    closure_outcome TEXT,
    refusal_reasons TEXT NOT NULL,
    -- JSON lists of steward_rights::DisclosedItem / WithheldItem
    disclosed TEXT NOT NULL,
    withheld TEXT NOT NULL,
    action_taken TEXT NOT NULL,
    closed_on TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX rights_requests_reference ON rights_requests(organisation_id, reference);
CREATE INDEX rights_requests_org ON rights_requests(organisation_id, status, due_on);
CREATE INDEX rights_requests_surname ON rights_requests(organisation_id, subject_surname);

-- Clarification pauses (Data (Use and Access) Act 2025 stop-the-clock).
CREATE TABLE rights_request_pauses (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES rights_requests(id),
    organisation_id TEXT NOT NULL,
    asked_on TEXT NOT NULL,
    question TEXT NOT NULL,
    received_on TEXT
);
CREATE INDEX rights_request_pauses_request ON rights_request_pauses(request_id, asked_on);

-- Checklist steps done (ids from steward-rights data/checklist.toml).
CREATE TABLE rights_request_steps (
    request_id TEXT NOT NULL REFERENCES rights_requests(id),
    step_id TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    user_id TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (request_id, step_id)
);

-- Patients found by the practice's own clinical-system search for the subject's surname:
-- Steward holds no patient list, so staff record what they found and Steward warns.
CREATE TABLE rights_request_namesakes (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES rights_requests(id),
    organisation_id TEXT NOT NULL,
    forenames TEXT NOT NULL,
    surname TEXT NOT NULL,
    date_of_birth TEXT,
    address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX rights_request_namesakes_request ON rights_request_namesakes(request_id);

-- Documents uploaded to a request for redaction; the bytes live under the data folder.
CREATE TABLE redaction_documents (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES rights_requests(id),
    organisation_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    format TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX redaction_documents_request ON redaction_documents(request_id);

-- One run of the engine over the request's documents; the extracted text is kept in a file
-- under the data folder (runs/<id>.json) so proposals can be shown in context.
CREATE TABLE redaction_runs (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES rights_requests(id),
    organisation_id TEXT NOT NULL,
    documents BIGINT NOT NULL,
    pages BIGINT NOT NULL,
    proposals BIGINT NOT NULL,
    flags BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX redaction_runs_request ON redaction_runs(request_id, at);

-- The engine's proposals: seq is the proposal's id within its run.
CREATE TABLE redaction_proposals (
    run_id TEXT NOT NULL REFERENCES redaction_runs(id),
    seq BIGINT NOT NULL,
    organisation_id TEXT NOT NULL,
    document_index BIGINT NOT NULL,
    page_index BIGINT NOT NULL,
    block_index BIGINT NOT NULL,
    start_byte BIGINT NOT NULL,
    end_byte BIGINT NOT NULL,
    entity TEXT NOT NULL,
    rule TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Passages flagged for the clinician (never auto-redacted).
CREATE TABLE redaction_flags (
    run_id TEXT NOT NULL REFERENCES redaction_runs(id),
    seq BIGINT NOT NULL,
    organisation_id TEXT NOT NULL,
    document_index BIGINT NOT NULL,
    page_index BIGINT NOT NULL,
    block_index BIGINT NOT NULL,
    start_byte BIGINT NOT NULL,
    end_byte BIGINT NOT NULL,
    category TEXT NOT NULL,
    matched TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Reviewer decisions: accept or reject a proposal (the latest per proposal counts), or a
-- manual redaction (proposal_seq NULL, with its place).
CREATE TABLE redaction_decisions (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES redaction_runs(id),
    organisation_id TEXT NOT NULL,
    proposal_seq BIGINT,
    -- accept, reject, manual
    verdict TEXT NOT NULL,
    -- third_party, serious_harm, restricted_by_law, other
    reason_code TEXT NOT NULL,
    note TEXT NOT NULL,
    document_index BIGINT,
    page_index BIGINT,
    block_index BIGINT,
    start_byte BIGINT,
    end_byte BIGINT,
    reviewer_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX redaction_decisions_run ON redaction_decisions(run_id, proposal_seq, at);

-- Files produced for a request: bundle_pdf, schedule_csv, schedule_pdf.
CREATE TABLE redaction_outputs (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES rights_requests(id),
    organisation_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX redaction_outputs_request ON redaction_outputs(request_id, at);
