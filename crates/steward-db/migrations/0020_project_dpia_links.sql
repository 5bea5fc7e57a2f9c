-- Registers (issue 12): a sharing project's DPIA is one of its organisation's DPIAs (the DPO
-- service publishes projects), linked by id (`dpia_id`), as a processing activity's is. A
-- free-text reference naming one of them by title or reference is linked here; any other
-- text stays in `dpia_reference`, now shown as a DPIA held by another organisation.
-- Portable SQL for SQLite and PostgreSQL: TEXT only.
ALTER TABLE sharing_projects ADD COLUMN dpia_id TEXT NOT NULL DEFAULT '';

UPDATE sharing_projects SET dpia_id = COALESCE((
    SELECT d.id FROM dpias d
    WHERE d.organisation_id = sharing_projects.organisation_id
      AND (LOWER(d.title) = LOWER(TRIM(sharing_projects.dpia_reference))
           OR LOWER(d.reference) = LOWER(TRIM(sharing_projects.dpia_reference)))
    ORDER BY d.created_at LIMIT 1), '')
WHERE dpia_reference <> '';
UPDATE sharing_projects SET dpia_reference = '' WHERE dpia_id <> '';
