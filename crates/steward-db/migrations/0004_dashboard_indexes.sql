-- The dashboard counts a person's open actions and their organisation's open actions on
-- every view; these let both counts read an index instead of the table.
CREATE INDEX actions_owner_status ON actions(owner_id, status, due_date, organisation_id);
CREATE INDEX actions_org_status ON actions(organisation_id, status);
