-- Registers (issue 12): a processing activity's retention links to a row of the retention
-- schedule (its code in the schedule's data file; the free text kept beside it as the note,
-- in the column `retention`), and its DPIA is one of the organisation's or its DPO service's
-- DPIAs (`dpia_id`). A free-text DPIA reference naming one of those DPIAs by title or
-- reference is linked to it here; any other text stays in `dpia_reference`, now shown as a
-- DPIA held by another organisation. The same for the cluster master log.
-- An import whose columns do not match the register waits for its mapping: the file as read
-- (header, rows and unreadable lines, JSON) is kept in `file_table` until the person maps
-- its columns; nothing is written to the register until a clean file is confirmed.
-- Portable SQL for SQLite and PostgreSQL: TEXT only.
ALTER TABLE processing_activities ADD COLUMN retention_row TEXT NOT NULL DEFAULT '';
ALTER TABLE processing_activities ADD COLUMN dpia_id TEXT NOT NULL DEFAULT '';
ALTER TABLE activity_templates ADD COLUMN retention_row TEXT NOT NULL DEFAULT '';
ALTER TABLE activity_templates ADD COLUMN dpia_id TEXT NOT NULL DEFAULT '';

UPDATE processing_activities SET dpia_id = COALESCE((
    SELECT d.id FROM dpias d
    WHERE (d.organisation_id = processing_activities.organisation_id
           OR d.organisation_id IN (
               SELECT x.id FROM organisations o
               JOIN organisations x ON x.cluster_id = o.cluster_id AND x.kind = 'dpo_service'
               WHERE o.id = processing_activities.organisation_id))
      AND (LOWER(d.title) = LOWER(TRIM(processing_activities.dpia_reference))
           OR LOWER(d.reference) = LOWER(TRIM(processing_activities.dpia_reference)))
    ORDER BY d.created_at LIMIT 1), '')
WHERE dpia_reference <> '';
UPDATE processing_activities SET dpia_reference = '' WHERE dpia_id <> '';

UPDATE activity_templates SET dpia_id = COALESCE((
    SELECT d.id FROM dpias d
    WHERE d.organisation_id = activity_templates.organisation_id
      AND (LOWER(d.title) = LOWER(TRIM(activity_templates.dpia_reference))
           OR LOWER(d.reference) = LOWER(TRIM(activity_templates.dpia_reference)))
    ORDER BY d.created_at LIMIT 1), '')
WHERE dpia_reference <> '';
UPDATE activity_templates SET dpia_reference = '' WHERE dpia_id <> '';

ALTER TABLE register_imports ADD COLUMN file_table TEXT NOT NULL DEFAULT '';
