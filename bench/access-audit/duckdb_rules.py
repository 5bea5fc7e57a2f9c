#!/usr/bin/env python3
"""The access-audit rule contract (shared/reference/access-audit-rules.md) as DuckDB SQL written
for DuckDB, the anchor of the benchmark.

Usage: duckdb_rules.py DATA_DIR FLAGS_OUT.csv [EVENTS_FILE]
EVENTS_FILE defaults to DATA_DIR/events.parquet if it exists, else DATA_DIR/events.csv; a
.parquet file is read with read_parquet (any codec), a .csv with read_csv (typed columns).
Writes event_id,rule (no evidence, no cases: less work than Steward's engine).

How it is written (one pass per rule family, range joins for the episode windows, threads=2):
* the reference tables are small: normalised once into tables with integer keys;
* the events are loaded once, projected to the four columns the rules read, with the user's and
  the patient's integer keys joined in (hash joins on the small tables);
* "explained" is a range join: an ANTI join of the events on the episodes of the same patient
  and team with start - 1 day <= ts <= end + 14 days (DuckDB hashes on (patient, team) and
  filters the range); the rules that need "not explained" (FAMILY, NEIGHBOUR, COWORKER, VIP,
  DECEASED, UNEXPLAINED) then read only the unexplained events (about 3%), in one pass;
* SELF and LEAVER: one filter pass over the events (no episode condition);
* AFTER_HOURS: the out-of-hours events first, then an ANTI range join on any active episode;
* VOLUME: one GROUP BY (user, day) with count(DISTINCT patient), quantile_cont per role, and a
  semi join back.

The first anchor (kept as a note, not run): one `base` table of every event joined with every
user and patient column, with two correlated EXISTS subqueries per event for the episode
windows, and every rule a separate scan of `base`; 42 s and 10 GB at 10M events here.
"""
import os, sys, time
import duckdb

data, out = sys.argv[1], sys.argv[2]
events = sys.argv[3] if len(sys.argv) > 3 else (
    f"{data}/events.parquet" if os.path.exists(f"{data}/events.parquet") else f"{data}/events.csv")
t0 = time.time()
con = duckdb.connect()
con.execute("SET threads=2")
con.execute("SET preserve_insertion_order=false")

if events.endswith(".parquet"):
    ev_src = f"read_parquet('{events}')"
else:
    ev_src = (f"read_csv('{events}', header=true, columns={{'event_id':'VARCHAR','ts':'TIMESTAMP',"
              f"'user_id':'VARCHAR','patient_id':'VARCHAR','action':'VARCHAR','workstation':'VARCHAR'}})")


def norm(x):
    return f"upper(regexp_replace(trim({x}), '\\s+', ' ', 'g'))"


def pc(x):
    return f"upper(regexp_replace(coalesce({x}, ''), '\\s', '', 'g'))"


sql = f"""
CREATE TEMP TABLE patients AS
SELECT row_number() OVER () AS pk, patient_id, vip, deceased_date, fam_n, addr_n, pc_n,
       TRY_CAST(nullif(regexp_extract(addr_n, '^[0-9]+'), '') AS BIGINT) AS house_no,
       trim(ltrim(regexp_replace(addr_n, '^[0-9]+', ''), ' ,')) AS street
FROM (SELECT *, {norm('family')} AS fam_n, {norm("coalesce(address_line, '')")} AS addr_n, {pc('postcode')} AS pc_n
      FROM read_csv('{data}/patients.csv', header=true, columns={{'patient_id':'VARCHAR','nhs_number':'VARCHAR','given':'VARCHAR','family':'VARCHAR','dob':'DATE','address_line':'VARCHAR','town':'VARCHAR','postcode':'VARCHAR','deceased_date':'DATE','vip':'BOOLEAN'}}));

CREATE TEMP TABLE users AS
SELECT row_number() OVER () AS uk, u.user_id, u.team_id, p.pk AS u_pk, u.role_n, u.org_n, u.leave_date, u.fam_n, u.home_addr_n, u.home_pc_n,
       TRY_CAST(nullif(regexp_extract(home_addr_n, '^[0-9]+'), '') AS BIGINT) AS house_no,
       trim(ltrim(regexp_replace(home_addr_n, '^[0-9]+', ''), ' ,')) AS street
FROM (SELECT *, {norm('family')} AS fam_n, {norm('role')} AS role_n, {norm('organisation')} AS org_n,
             {norm("coalesce(home_address_line, '')")} AS home_addr_n, {pc('home_postcode')} AS home_pc_n
      FROM read_csv('{data}/users.csv', header=true, columns={{'user_id':'VARCHAR','given':'VARCHAR','family':'VARCHAR','role':'VARCHAR','team_id':'VARCHAR','organisation':'VARCHAR','start_date':'DATE','leave_date':'DATE','home_address_line':'VARCHAR','home_postcode':'VARCHAR','patient_id':'VARCHAR'}})) u
LEFT JOIN patients p ON p.patient_id = u.patient_id;

CREATE TEMP TABLE eps AS
SELECT p.pk, x.team_id, x.start_ts - INTERVAL 1 DAY AS lo, coalesce(x.end_ts + INTERVAL 14 DAY, TIMESTAMP '9999-12-31') AS hi,
       x.start_ts, coalesce(x.end_ts, TIMESTAMP '9999-12-31') AS end_ts
FROM read_csv('{data}/care_episodes.csv', header=true,
  columns={{'episode_id':'VARCHAR','patient_id':'VARCHAR','team_id':'VARCHAR','episode_type':'VARCHAR','start_ts':'TIMESTAMP','end_ts':'TIMESTAMP'}}) x
JOIN patients p USING (patient_id);

-- the load: four columns, integer keys of the user and the patient
CREATE TEMP TABLE ev AS
SELECT e.event_id, e.ts, u.uk, u.team_id, p.pk
FROM (SELECT event_id, ts, user_id, patient_id FROM {ev_src}) e
JOIN users u ON u.user_id = e.user_id
JOIN patients p ON p.patient_id = e.patient_id;

-- family 1: not explained (range anti join), then the rules that need it, on ~3% of the events
CREATE TEMP TABLE unexpl AS
SELECT e.* FROM ev e
ANTI JOIN eps x ON x.pk = e.pk AND x.team_id = e.team_id AND e.ts >= x.lo AND e.ts <= x.hi;

-- family 3: VOLUME
CREATE TEMP TABLE vol AS
WITH ud AS (SELECT uk, CAST(ts AS DATE) AS d, count(DISTINCT pk) AS n FROM ev GROUP BY ALL),
     r AS (SELECT ud.*, u.role_n FROM ud JOIN users u USING (uk)),
     thr AS (SELECT role_n, quantile_cont(n, 0.99) AS t FROM r GROUP BY role_n)
SELECT r.uk, r.d FROM r JOIN thr USING (role_n) WHERE r.n > thr.t;

COPY (
  -- family 1
  SELECT e.event_id, unnest(list_filter([
      CASE WHEN u.u_pk IS DISTINCT FROM e.pk AND u.home_addr_n <> '' AND u.home_pc_n <> ''
                AND u.home_addr_n = p.addr_n AND u.home_pc_n = p.pc_n AND u.fam_n <> '' AND u.fam_n = p.fam_n THEN 'FAMILY' END,
      CASE WHEN u.u_pk IS DISTINCT FROM e.pk AND u.street <> '' AND u.home_pc_n <> '' AND u.street = p.street
                AND u.home_pc_n = p.pc_n AND u.home_addr_n <> p.addr_n AND abs(u.house_no - p.house_no) <= 4 THEN 'NEIGHBOUR' END,
      CASE WHEN EXISTS (SELECT 1 FROM users v WHERE v.u_pk = e.pk AND v.uk <> e.uk AND v.org_n = u.org_n) THEN 'COWORKER' END,
      CASE WHEN p.vip THEN 'VIP' END,
      CASE WHEN CAST(e.ts AS DATE) > p.deceased_date THEN 'DECEASED' END,
      'UNEXPLAINED'], lambda x: x IS NOT NULL)) AS rule
  FROM unexpl e JOIN users u USING (uk) JOIN patients p USING (pk)
  -- family 2: no episode condition
  UNION ALL
  SELECT e.event_id, unnest(list_filter([
      CASE WHEN u.u_pk = e.pk THEN 'SELF' END,
      CASE WHEN CAST(e.ts AS DATE) > u.leave_date THEN 'LEAVER' END], lambda x: x IS NOT NULL))
  FROM ev e JOIN users u USING (uk)
  WHERE u.u_pk = e.pk OR CAST(e.ts AS DATE) > u.leave_date
  -- AFTER_HOURS: out-of-hours events, anti range join on any active episode
  UNION ALL
  SELECT e.event_id, 'AFTER_HOURS'
  FROM (SELECT * FROM ev WHERE hour(ts) < 7 OR hour(ts) >= 20) e
  ANTI JOIN eps x ON x.pk = e.pk AND e.ts >= x.start_ts AND e.ts <= x.end_ts
  -- VOLUME
  UNION ALL
  SELECT e.event_id, 'VOLUME' FROM ev e SEMI JOIN vol v ON v.uk = e.uk AND v.d = CAST(e.ts AS DATE)
) TO '{out}' (HEADER, DELIMITER ',');
"""
con.execute(sql)
n, u = con.execute("SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM unexpl)").fetchone()
print(f"duckdb: {n} events from {os.path.basename(events)}, {100.0 * (n - u) / max(n, 1):.2f}% explained, "
      f"{time.time() - t0:.2f}s", file=sys.stderr)
