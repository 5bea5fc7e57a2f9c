#!/usr/bin/env python3
"""The access-audit rule contract (shared/reference/access-audit-rules.md) as DuckDB SQL, for
the benchmark. Usage: duckdb_rules.py DATA_DIR FLAGS_OUT.csv. Writes event_id,rule (no
evidence: less work than Steward's engine, which also writes evidence and cases)."""
import sys, time
import duckdb

data, out = sys.argv[1], sys.argv[2]
t0 = time.time()
con = duckdb.connect()
con.execute("SET threads=2")
con.execute("SET preserve_insertion_order=false")

def norm(x):
    return f"upper(regexp_replace(trim({x}), '\\s+', ' ', 'g'))"

def pc(x):
    return f"upper(regexp_replace(coalesce({x}, ''), '\\s', '', 'g'))"

sql = f"""
CREATE TABLE patients AS
SELECT patient_id, vip, deceased_date, fam_n, addr_n, pc_n,
       TRY_CAST(nullif(regexp_extract(addr_n, '^[0-9]+'), '') AS BIGINT) AS house_no,
       trim(ltrim(regexp_replace(addr_n, '^[0-9]+', ''), ' ,')) AS street
FROM (SELECT *, {norm('family')} AS fam_n, {norm("coalesce(address_line, '')")} AS addr_n, {pc('postcode')} AS pc_n
      FROM read_csv('{data}/patients.csv', header=true, columns={{'patient_id':'VARCHAR','nhs_number':'VARCHAR','given':'VARCHAR','family':'VARCHAR','dob':'DATE','address_line':'VARCHAR','town':'VARCHAR','postcode':'VARCHAR','deceased_date':'DATE','vip':'BOOLEAN'}}));

CREATE TABLE users AS
SELECT user_id, team_id, patient_id AS u_pid, role_n, org_n, leave_date, fam_n, home_addr_n, home_pc_n,
       TRY_CAST(nullif(regexp_extract(home_addr_n, '^[0-9]+'), '') AS BIGINT) AS house_no,
       trim(ltrim(regexp_replace(home_addr_n, '^[0-9]+', ''), ' ,')) AS street
FROM (SELECT *, {norm('family')} AS fam_n, {norm('role')} AS role_n, {norm('organisation')} AS org_n,
             {norm("coalesce(home_address_line, '')")} AS home_addr_n, {pc('home_postcode')} AS home_pc_n
      FROM read_csv('{data}/users.csv', header=true, columns={{'user_id':'VARCHAR','given':'VARCHAR','family':'VARCHAR','role':'VARCHAR','team_id':'VARCHAR','organisation':'VARCHAR','start_date':'DATE','leave_date':'DATE','home_address_line':'VARCHAR','home_postcode':'VARCHAR','patient_id':'VARCHAR'}}));

CREATE TABLE eps AS SELECT * FROM read_csv('{data}/care_episodes.csv', header=true,
  columns={{'episode_id':'VARCHAR','patient_id':'VARCHAR','team_id':'VARCHAR','episode_type':'VARCHAR','start_ts':'TIMESTAMP','end_ts':'TIMESTAMP'}});

CREATE TABLE base AS
SELECT e.event_id, e.ts, CAST(e.ts AS DATE) AS d, e.user_id, e.patient_id,
       u.team_id, u.u_pid, u.role_n, u.org_n, u.leave_date, u.fam_n AS u_fam, u.home_addr_n, u.home_pc_n,
       u.street AS u_street, u.house_no AS u_no,
       p.fam_n AS p_fam, p.addr_n, p.pc_n, p.street AS p_street, p.house_no AS p_no, p.vip, p.deceased_date,
       EXISTS (SELECT 1 FROM eps x WHERE x.patient_id = e.patient_id AND x.team_id = u.team_id
               AND x.start_ts - INTERVAL 1 DAY <= e.ts AND (x.end_ts IS NULL OR e.ts <= x.end_ts + INTERVAL 14 DAY)) AS explained,
       EXISTS (SELECT 1 FROM eps x WHERE x.patient_id = e.patient_id
               AND x.start_ts <= e.ts AND (x.end_ts IS NULL OR e.ts <= x.end_ts)) AS active
FROM read_csv('{data}/events.csv', header=true,
  columns={{'event_id':'VARCHAR','ts':'TIMESTAMP','user_id':'VARCHAR','patient_id':'VARCHAR','action':'VARCHAR','workstation':'VARCHAR'}}) e
JOIN users u ON u.user_id = e.user_id
JOIN patients p ON p.patient_id = e.patient_id;

CREATE TABLE vol AS
WITH ud AS (SELECT user_id, d, any_value(role_n) AS role_n, count(DISTINCT patient_id) AS n FROM base GROUP BY user_id, d),
     thr AS (SELECT role_n, quantile_cont(n, 0.99) AS t FROM ud GROUP BY role_n)
SELECT ud.user_id, ud.d FROM ud JOIN thr USING (role_n) WHERE ud.n > thr.t;

COPY (
  SELECT event_id, 'SELF' AS rule FROM base WHERE u_pid = patient_id
  UNION ALL SELECT event_id, 'FAMILY' FROM base WHERE NOT explained AND u_pid IS DISTINCT FROM patient_id
     AND home_addr_n <> '' AND home_pc_n <> '' AND home_addr_n = addr_n AND home_pc_n = pc_n AND u_fam <> '' AND u_fam = p_fam
  UNION ALL SELECT event_id, 'NEIGHBOUR' FROM base WHERE NOT explained AND u_pid IS DISTINCT FROM patient_id
     AND u_street <> '' AND home_pc_n <> '' AND u_street = p_street AND home_pc_n = pc_n AND home_addr_n <> addr_n
     AND abs(u_no - p_no) <= 4
  UNION ALL SELECT b.event_id, 'COWORKER' FROM base b WHERE NOT b.explained AND EXISTS
     (SELECT 1 FROM users v WHERE v.u_pid = b.patient_id AND v.user_id <> b.user_id AND v.org_n = b.org_n)
  UNION ALL SELECT event_id, 'VIP' FROM base WHERE NOT explained AND vip
  UNION ALL SELECT event_id, 'DECEASED' FROM base WHERE NOT explained AND d > deceased_date
  UNION ALL SELECT event_id, 'LEAVER' FROM base WHERE d > leave_date
  UNION ALL SELECT event_id, 'AFTER_HOURS' FROM base WHERE (hour(ts) < 7 OR hour(ts) >= 20) AND NOT active
  UNION ALL SELECT event_id, 'UNEXPLAINED' FROM base WHERE NOT explained
  UNION ALL SELECT b.event_id, 'VOLUME' FROM base b SEMI JOIN vol v ON v.user_id = b.user_id AND v.d = b.d
) TO '{out}' (HEADER, DELIMITER ',');
"""
con.execute(sql)
n = con.execute("SELECT count(*), sum(explained::INT) FROM base").fetchone()
print(f"duckdb: {n[0]} events, {100.0 * n[1] / max(n[0], 1):.2f}% explained, {time.time() - t0:.2f}s", file=sys.stderr)
