#!/usr/bin/env python3
"""Grows the demo cluster (SQLite) to N organisations with Y years of records, for the cluster
dashboard benchmark (issue 13): per organisation and year, 24 incidents, 12 risks, 60 rights
requests, 120 actions (a tenth of them from compliance audits), one access-audit run with 20
cases and two action rounds of the DPO's 12 required actions (one task and action each), most
of them closed or done as in a real register, some open and some overdue.

The rows are written straight into the tables (the services would take hours for half a
million records), each one a copy of a row the demo wrote through the services (`steward demo
--seed-only`), with its identity, organisation, dates and status changed: so every column
holds a value of the shape the code reads (status words, JSON, timestamps), whatever columns
the schema has grown since this script was written. Foreign keys are checked. Each new
organisation gets an IG lead (who owns its actions); every name and text is synthetic.

Usage: seed.py STEWARD.DB [--organisations 50] [--years 5] [--seed 1]"""
import argparse
import datetime as dt
import json
import random
import sqlite3
import sys
import uuid

p = argparse.ArgumentParser()
p.add_argument("db")
p.add_argument("--organisations", type=int, default=50)
p.add_argument("--years", type=int, default=5)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rnd = random.Random(a.seed)
db = sqlite3.connect(a.db)
db.row_factory = sqlite3.Row
db.execute("PRAGMA foreign_keys = ON")


def template(table, where="1 = 1", *args):
    """A row the demo wrote, as a dict; stops with a message if the demo has none."""
    row = db.execute(f"SELECT * FROM {table} WHERE {where} LIMIT 1", args).fetchone()
    if row is None:
        sys.exit(f"seed.py: the demo database has no {table} row ({where}) to copy")
    return dict(row)


def insert(table, base, **changes):
    row = {**base, **changes}
    unknown = set(changes) - set(base)
    if unknown:
        sys.exit(f"seed.py: {table} has no column {', '.join(sorted(unknown))}")
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))


def uid():
    return str(uuid.UUID(int=rnd.getrandbits(128)))


def day(d):
    return d.isoformat()


def stamp(t):
    """Steward's fixed-width RFC 3339 (microseconds, Z): stamps compare as text."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


today = dt.date.today()
now = dt.datetime.now(dt.timezone.utc)

T_org = template("organisations", "kind = 'gp_practice'")
T_user = template("users", "role = 'ig_lead'")
T_appetite = template("risk_appetites")
T_inc_open = template("incidents", "status = 'reported'")
T_inc_closed = template("incidents", "status = 'closed' AND reportable = 1")
T_risk = template("risks")
T_rights = template("rights_requests", "request_type = 'access' AND status = 'in_progress'")
T_action = template("actions", "source_record_type IS NULL")
T_run = template("audit_runs")
T_case = template("audit_cases")
T_round = template("action_rounds")
T_task = template("action_round_tasks")
required = json.loads(T_round["required_actions"])
cluster_id = T_org["cluster_id"]
dpo_org, dpo_id = db.execute(
    "SELECT organisation_id, id FROM users WHERE role = 'dpo' LIMIT 1").fetchone()

have = db.execute("SELECT COUNT(*) FROM organisations").fetchone()[0]
for i in range(have, a.organisations):
    oid = uid()
    insert("organisations", T_org, id=oid, name=f"Benchmark Practice {i + 1:03d}",
           ods_code=f"Y{95000 + i}", created_at=stamp(now))
    insert("users", T_user, id=uid(), organisation_id=oid, email=f"iglead@bench{i + 1:03d}.demo.steward.test",
           display_name=f"Benchmark Lead {i + 1:03d}", totp_secret=None, calendar_token_hash=None,
           created_at=stamp(now))
    insert("risk_appetites", T_appetite, organisation_id=oid, appetite=12, updated_at=stamp(now))

# Every organisation but the DPO service's own, with one of its users to own its records.
orgs = [(r[0], r[1]) for r in db.execute(
    "SELECT o.id, (SELECT u.id FROM users u WHERE u.organisation_id = o.id ORDER BY u.role = 'ig_lead' DESC LIMIT 1) "
    "FROM organisations o WHERE o.id <> ? ORDER BY o.name", (dpo_org,))]
orgs = [(o, owner or dpo_id) for o, owner in orgs]

n = dict.fromkeys(["incidents", "risks", "rights_requests", "actions", "audit_runs", "audit_cases",
                   "action_rounds", "action_round_tasks"], 0)
refs = {}


def reference(oid, prefix, year):
    """The organisation's next reference, after those the demo gave."""
    stem = f"{prefix}-{year}-" if year else f"{prefix}-"
    key = (oid, stem)
    if key not in refs:
        table = {"INC": "incidents", "RSK": "risks", "SAR": "rights_requests"}[prefix]
        refs[key] = db.execute(f"SELECT COUNT(*) FROM {table} WHERE organisation_id = ? AND reference LIKE ?",
                               (oid, stem + "%")).fetchone()[0]
    refs[key] += 1
    return f"{stem}{refs[key]:04d}"


def action(oid, owner, title, due, status, source=None, description=None):
    aid = uid()
    insert("actions", T_action, id=aid, organisation_id=oid, title=title,
           description=T_action["description"] if description is None else description,
           owner_id=owner, due_date=day(due), status=status, source_record_type=source,
           source_record_id=None, created_by=owner, created_at=stamp(now), updated_at=stamp(now), version=1)
    n["actions"] += 1
    return aid


# Two action rounds a year, sent by the DPO service to every practice.
rounds = []
for y in range(a.years):
    for half in range(2):
        sent = now - dt.timedelta(days=365 * y + 180 * half + 20)
        rid = uid()
        insert("action_rounds", T_round, id=rid, title=f"Required actions, round {a.years * 2 - 2 * y - half}",
               due_date=day((sent + dt.timedelta(days=45)).date()), sent_at=stamp(sent),
               created_at=stamp(sent), updated_at=stamp(sent), version=1)
        rounds.append((rid, sent))
        n["action_rounds"] += 1

for oid, owner in orgs:
    for y in range(a.years):
        for k in range(24):
            aware = now - dt.timedelta(days=365 * y + rnd.randrange(365), hours=rnd.randrange(24))
            recent = (now - aware).days < 30
            t = T_inc_open if recent else T_inc_closed
            # recent ones are still as reported (not yet graded), the rest graded and closed
            reportable = None if recent else rnd.choice([0, 0, 1])
            later = aware + dt.timedelta(days=rnd.randrange(1, 20))
            insert("incidents", t, id=uid(), organisation_id=oid,
                   reference=reference(oid, "INC", aware.year),
                   occurred_at=stamp(aware - dt.timedelta(hours=6)), aware_at=stamp(aware),
                   reported_by=owner, reported_at=stamp(aware), reportable=reportable,
                   notified_at=stamp(aware + dt.timedelta(hours=30)) if (reportable == 1 and not recent) else None,
                   graded_by=None if recent else owner, closed_by=None if recent else owner,
                   closed_at=None if recent else stamp(later), lesson_published_by=None,
                   lesson_published_at=None, published_lesson="",
                   created_at=stamp(aware), updated_at=stamp(later if not recent else aware))
            n["incidents"] += 1
        for k in range(12):
            il, ic = rnd.randrange(1, 6), rnd.randrange(1, 6)
            rl, rc = rnd.randrange(1, il + 1), rnd.randrange(1, ic + 1)
            insert("risks", T_risk, id=uid(), organisation_id=oid, reference=reference(oid, "RSK", None),
                   owner_id=owner, inherent_likelihood=il, inherent_consequence=ic,
                   residual_likelihood=rl, residual_consequence=rc, residual_score=rl * rc,
                   status="open" if y == 0 else "closed", escalated_at=None, escalation_action_id=None,
                   created_by=owner, created_at=stamp(now), updated_at=stamp(now), version=1)
            n["risks"] += 1
        for k in range(60):
            received = today - dt.timedelta(days=365 * y + rnd.randrange(365))
            open_ = (today - received).days < 45
            status = rnd.choice(["received", "in_progress"]) if open_ else "completed"
            insert("rights_requests", T_rights, id=uid(), organisation_id=oid,
                   reference=reference(oid, "SAR", received.year),
                   received_on=day(received), identity_verified_on=day(received),
                   authority_received_on=day(received), due_on=day(received + dt.timedelta(days=30)),
                   status=status, owner_id=owner, action_id=None,
                   closed_on=None if open_ else day(received + dt.timedelta(days=rnd.randrange(5, 31))),
                   created_by=owner, created_at=stamp(now), updated_at=stamp(now))
            n["rights_requests"] += 1
        for k in range(120):
            due = today - dt.timedelta(days=365 * y + rnd.randrange(365)) + dt.timedelta(days=30)
            status = "done" if (today - due).days > 20 else rnd.choice(["open", "in_progress", "done"])
            action(oid, owner, f"Benchmark action {y}-{k}", due, status,
                   source="compliance_audit" if k % 10 == 0 else None)
        run = uid()
        month = (today - dt.timedelta(days=365 * y + 30)).strftime("%Y-%m")
        insert("audit_runs", T_run, id=run, organisation_id=oid, period=month,
               data_location=f"{T_run['data_location']}-bench-{run}", created_by=owner)
        n["audit_runs"] += 1
        for k in range(20):
            insert("audit_cases", T_case, id=uid(), run_id=run, organisation_id=oid, rank=k + 1,
                   status="open" if y == 0 and k < 3 else "closed", action_id=None,
                   outcome=None if (y == 0 and k < 3) else "appropriate")
            n["audit_cases"] += 1
    for rid, sent in rounds:
        for item, req in enumerate(required):
            due = (sent + dt.timedelta(days=45)).date()
            status = "done" if rnd.random() < (0.95 if due < today else 0.3) else "open"
            aid = action(oid, owner, f"{req['heading']}: {req['text']}", due, status, description="")
            insert("action_round_tasks", T_task, round_id=rid, organisation_id=oid, item=item,
                   action_id=aid, last_chased_at=None)
            n["action_round_tasks"] += 1
db.commit()
bad = db.execute("PRAGMA foreign_key_check").fetchall()
if bad:
    sys.exit(f"seed.py: {len(bad)} rows break a foreign key, e.g. {tuple(bad[0])}")
db.execute("ANALYZE")
db.close()
print(f"{len(orgs) + 1} organisations (the DPO service and {len(orgs)} practices and trusts), {a.years} years: "
      + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in n.items()))
