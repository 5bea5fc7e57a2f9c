#!/usr/bin/env python3
"""Grows the demo cluster (SQLite) to N organisations with Y years of records, for the cluster
dashboard benchmark (issue 13): per organisation and year, 24 incidents, 12 risks, 60 rights
requests, 120 actions (some from compliance audits), 20 access-audit cases and 10 action-round
tasks, most of them closed or done as in a real register, some open and some overdue.

The rows are written straight into the tables the dashboard counts (the services would take
hours for half a million records); each NOT NULL column the script does not set gets a value of
its type, so the schema's own constraints hold. Every name and text is synthetic.

Usage: seed.py STEWARD.DB [--organisations 50] [--years 5] [--seed 1]"""
import argparse
import datetime as dt
import random
import sqlite3
import uuid

p = argparse.ArgumentParser()
p.add_argument("db")
p.add_argument("--organisations", type=int, default=50)
p.add_argument("--years", type=int, default=5)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rnd = random.Random(a.seed)
db = sqlite3.connect(a.db)
db.execute("PRAGMA foreign_keys = OFF")

columns = {}
def cols(table):
    if table not in columns:
        columns[table] = db.execute(f"PRAGMA table_info({table})").fetchall()
    return columns[table]

def insert(table, row):
    """Fills every NOT NULL column without a default that `row` leaves out."""
    known = {c[1] for c in cols(table)}
    full = {k: v for k, v in row.items() if k in known}
    for _, name, typ, notnull, default, pk in cols(table):
        if name in full or not notnull or default is not None:
            continue
        t = (typ or "").upper()
        full[name] = 0 if ("INT" in t or "REAL" in t or "NUM" in t) else ("{}" if name in ("details", "answers", "content") else "")
    names = ", ".join(full)
    marks = ", ".join("?" for _ in full)
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(full.values()))

def uid():
    return str(uuid.UUID(int=rnd.getrandbits(128)))

cluster_id, = db.execute("SELECT cluster_id FROM organisations LIMIT 1").fetchone()
owner_id, = db.execute("SELECT id FROM users WHERE role = 'dpo' LIMIT 1").fetchone()
have = db.execute("SELECT COUNT(*) FROM organisations").fetchone()[0]
today = dt.date.today()
now = dt.datetime.now(dt.timezone.utc)
def day(d): return d.isoformat()
def stamp(t): return t.strftime("%Y-%m-%dT%H:%M:%SZ")

round_id, = db.execute("SELECT id FROM action_rounds LIMIT 1").fetchone() or (uid(),)
orgs = []
for i in range(have, a.organisations):
    oid = uid()
    insert("organisations", {"id": oid, "cluster_id": cluster_id, "name": f"Benchmark Practice {i + 1:03d}",
                             "kind": "gp_practice", "ods_code": f"Y{95000 + i}", "created_at": stamp(now)})
    insert("risk_appetites", {"organisation_id": oid, "appetite": 12})
    orgs.append(oid)
orgs += [r[0] for r in db.execute("SELECT id FROM organisations WHERE name NOT LIKE 'Benchmark Practice %'")]

n = {"incidents": 0, "risks": 0, "rights_requests": 0, "actions": 0, "audit_cases": 0, "action_round_tasks": 0}
for oid in orgs:
    for y in range(a.years):
        for k in range(24):
            aware = now - dt.timedelta(days=365 * y + rnd.randrange(365), hours=rnd.randrange(24))
            recent = (now - aware).days < 30
            insert("incidents", {"id": uid(), "organisation_id": oid, "reference": f"INC-{oid[:4]}-{y}-{k}",
                                 "status": rnd.choice(["reported", "triaged"]) if recent else "closed",
                                 "aware_at": stamp(aware), "occurred_at": stamp(aware), "reported_at": stamp(aware),
                                 "reportable": rnd.choice([0, 1, None]), "reported_by": owner_id, "created_at": stamp(aware), "updated_at": stamp(aware)})
            n["incidents"] += 1
        for k in range(12):
            insert("risks", {"id": uid(), "organisation_id": oid, "reference": f"RISK-{oid[:4]}-{y}-{k}",
                             "status": "open" if y == 0 else "closed", "inherent_score": rnd.randrange(1, 26),
                             "residual_score": rnd.randrange(1, 26), "created_at": stamp(now), "updated_at": stamp(now)})
            n["risks"] += 1
        for k in range(60):
            received = today - dt.timedelta(days=365 * y + rnd.randrange(365))
            open_ = (today - received).days < 45
            insert("rights_requests", {"id": uid(), "organisation_id": oid, "reference": f"SAR-{y}-{k:04d}",
                                       "request_type": "access", "details": "{}", "channel": "letter",
                                       "requester_kind": "data_subject", "period": "calendar_month",
                                       "received_on": day(received), "due_on": day(received + dt.timedelta(days=30)),
                                       "status": rnd.choice(["logged", "in_progress"]) if open_ else "completed",
                                       "created_at": stamp(now), "updated_at": stamp(now)})
            n["rights_requests"] += 1
        for k in range(120):
            due = today - dt.timedelta(days=365 * y + rnd.randrange(365)) + dt.timedelta(days=30)
            status = "done" if (today - due).days > 20 else rnd.choice(["open", "in_progress", "done"])
            insert("actions", {"id": uid(), "organisation_id": oid, "title": f"Benchmark action {k}",
                               "description": "", "owner_id": owner_id, "due_date": day(due), "status": status,
                               "source_record_type": "compliance_audit" if k % 10 == 0 else None,
                               "created_by": owner_id, "created_at": stamp(now), "updated_at": stamp(now), "version": 1})
            n["actions"] += 1
            if k < 2:
                insert("action_round_tasks", {"round_id": round_id, "organisation_id": oid, "item": 100 + y * 2 + k,
                                              "action_id": db.execute("SELECT id FROM actions ORDER BY rowid DESC LIMIT 1").fetchone()[0]})
                n["action_round_tasks"] += 1
        for k in range(20):
            insert("audit_cases", {"id": uid(), "organisation_id": oid, "run_id": uid(), "rank": k,
                                   "status": "open" if y == 0 and k < 3 else "closed",
                                   "created_at": stamp(now), "updated_at": stamp(now)})
            n["audit_cases"] += 1
db.commit()
db.execute("ANALYZE")
print(f"{len(orgs)} organisations, {a.years} years: " + ", ".join(f"{v:,} {k}" for k, v in n.items()))
