-- Registers and transparency (issue 12): the processing activities log (Article 30), the
-- cluster master log, information assets, sharing partners and agreements, processors,
-- sharing projects and the privacy notices generated from them.
-- Portable SQL for SQLite and PostgreSQL through sqlx's Any driver: TEXT and BIGINT (and
-- DOUBLE PRECISION) only. Dates 'YYYY-MM-DD', timestamps RFC 3339 UTC text, yes/no as 0/1.
-- Codes (lawful basis, Article 9 condition, types, statuses) are those of steward-registers'
-- data files; links to other records are their ids, one per line.

CREATE TABLE processing_activities (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    purposes TEXT NOT NULL DEFAULT '',
    care_purpose TEXT NOT NULL DEFAULT '',
    lawful_basis TEXT NOT NULL DEFAULT '',
    legitimate_interests TEXT NOT NULL DEFAULT '',
    special_category BIGINT,
    special_category_condition TEXT NOT NULL DEFAULT '',
    confidentiality_basis TEXT NOT NULL DEFAULT '',
    data_subjects TEXT NOT NULL DEFAULT '',
    data_categories TEXT NOT NULL DEFAULT '',
    sources TEXT NOT NULL DEFAULT '',
    recipients TEXT NOT NULL DEFAULT '',
    recipient_partners TEXT NOT NULL DEFAULT '',
    transfers TEXT NOT NULL DEFAULT '',
    transfer_safeguards TEXT NOT NULL DEFAULT '',
    retention TEXT NOT NULL DEFAULT '',
    security_measures TEXT NOT NULL DEFAULT '',
    systems TEXT NOT NULL DEFAULT '',
    opt_out_applies BIGINT,
    opt_out_how TEXT NOT NULL DEFAULT '',
    dpia_reference TEXT NOT NULL DEFAULT '',
    -- the master log activity it follows, and the template version last accepted
    template_id TEXT,
    template_version BIGINT,
    -- the sharing project it came with (removed when the practice leaves)
    project_id TEXT,
    removed_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX processing_activities_reference ON processing_activities(organisation_id, reference);
CREATE INDEX processing_activities_template ON processing_activities(template_id);

-- The DPO's cluster master log, held by the DPO service's organisation.
CREATE TABLE activity_templates (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    purposes TEXT NOT NULL DEFAULT '',
    care_purpose TEXT NOT NULL DEFAULT '',
    lawful_basis TEXT NOT NULL DEFAULT '',
    legitimate_interests TEXT NOT NULL DEFAULT '',
    special_category BIGINT,
    special_category_condition TEXT NOT NULL DEFAULT '',
    confidentiality_basis TEXT NOT NULL DEFAULT '',
    data_subjects TEXT NOT NULL DEFAULT '',
    data_categories TEXT NOT NULL DEFAULT '',
    sources TEXT NOT NULL DEFAULT '',
    recipients TEXT NOT NULL DEFAULT '',
    recipient_partners TEXT NOT NULL DEFAULT '',
    transfers TEXT NOT NULL DEFAULT '',
    transfer_safeguards TEXT NOT NULL DEFAULT '',
    retention TEXT NOT NULL DEFAULT '',
    security_measures TEXT NOT NULL DEFAULT '',
    systems TEXT NOT NULL DEFAULT '',
    opt_out_applies BIGINT,
    opt_out_how TEXT NOT NULL DEFAULT '',
    dpia_reference TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX activity_templates_reference ON activity_templates(organisation_id, reference);

CREATE TABLE information_assets (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    asset_type TEXT NOT NULL DEFAULT '',
    supplier TEXT NOT NULL DEFAULT '',
    hosting TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    administrator TEXT NOT NULL DEFAULT '',
    data_held TEXT NOT NULL DEFAULT '',
    special_category BIGINT,
    volume TEXT NOT NULL DEFAULT '',
    access_control TEXT NOT NULL DEFAULT '',
    continuity_plan TEXT NOT NULL DEFAULT '',
    contract TEXT NOT NULL DEFAULT '',
    -- the 5x5 matrix: likelihood x impact
    risk_likelihood BIGINT,
    risk_impact BIGINT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX information_assets_reference ON information_assets(organisation_id, reference);

-- Every change of an asset's risk score, with who and why.
CREATE TABLE asset_risk_changes (
    id TEXT PRIMARY KEY,
    asset_id TEXT NOT NULL REFERENCES information_assets(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    before_likelihood BIGINT,
    before_impact BIGINT,
    likelihood BIGINT NOT NULL,
    impact BIGINT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX asset_risk_changes_asset ON asset_risk_changes(asset_id, at);

CREATE TABLE sharing_partners (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    partner_type TEXT NOT NULL DEFAULT '',
    ods_code TEXT NOT NULL DEFAULT '',
    ico_registration TEXT NOT NULL DEFAULT '',
    toolkit_status TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX sharing_partners_reference ON sharing_partners(organisation_id, reference);

CREATE TABLE sharing_agreements (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    agreement_type TEXT NOT NULL DEFAULT '',
    parties TEXT NOT NULL DEFAULT '',
    signatories TEXT NOT NULL DEFAULT '',
    signed_date TEXT NOT NULL DEFAULT '',
    review_date TEXT NOT NULL DEFAULT '',
    expiry_date TEXT NOT NULL DEFAULT '',
    documents TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX sharing_agreements_reference ON sharing_agreements(organisation_id, reference);

CREATE TABLE processors (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    service TEXT NOT NULL DEFAULT '',
    contract_reference TEXT NOT NULL DEFAULT '',
    contract_end TEXT NOT NULL DEFAULT '',
    -- the Article 28 items the contract provides, codes one per line
    article_28 TEXT NOT NULL DEFAULT '',
    sub_processors TEXT NOT NULL DEFAULT '',
    storage_location TEXT NOT NULL DEFAULT '',
    transfers TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX processors_reference ON processors(organisation_id, reference);

-- Sharing projects, published by the DPO service for the cluster.
CREATE TABLE sharing_projects (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    -- pending, approved, withdrawn
    status TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    patient_description TEXT NOT NULL DEFAULT '',
    partners TEXT NOT NULL DEFAULT '',
    documents TEXT NOT NULL DEFAULT '',
    dpia_reference TEXT NOT NULL DEFAULT '',
    activity_template TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX sharing_projects_reference ON sharing_projects(organisation_id, reference);

-- A practice's part in a project: who signed and when; left_at when it left.
CREATE TABLE project_memberships (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES sharing_projects(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    activity_id TEXT NOT NULL,
    signed_by TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    joined_by TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    left_at TEXT,
    left_by TEXT
);
CREATE INDEX project_memberships_org ON project_memberships(organisation_id, project_id);

-- Each organisation's privacy notice: what the editor writes (the rest is generated from
-- the registers) and its published versions.
CREATE TABLE privacy_notices (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    introduction TEXT NOT NULL DEFAULT '',
    controller_contact TEXT NOT NULL DEFAULT '',
    dpo_contact TEXT NOT NULL DEFAULT '',
    requirement_statement TEXT NOT NULL DEFAULT '',
    automated_decisions TEXT NOT NULL DEFAULT '',
    published_number BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX privacy_notices_org ON privacy_notices(organisation_id);

CREATE TABLE privacy_notice_versions (
    id TEXT PRIMARY KEY,
    notice_id TEXT NOT NULL REFERENCES privacy_notices(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    number BIGINT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    change_summary TEXT NOT NULL,
    -- the generated notice as JSON (sections, projects), shown as published
    content TEXT NOT NULL,
    reading_ease DOUBLE PRECISION NOT NULL
);
CREATE UNIQUE INDEX privacy_notice_versions_number ON privacy_notice_versions(notice_id, number);

-- An import checked and waiting for the person to confirm it: nothing is written to the
-- register before then.
CREATE TABLE register_imports (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    register TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- the checked rows as JSON
    rows TEXT NOT NULL
);
