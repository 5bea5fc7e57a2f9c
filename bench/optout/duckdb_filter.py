"""The opt-out filter as DuckDB SQL, written for DuckDB: the anchor of bench/optout.

    python duckdb_filter.py EXTRACT TYPE1.csv NDOO.csv OUTPUT [--check]

EXTRACT is .csv or .parquet; OUTPUT's extension picks CSV or Parquet (snappy). The lists are
read, normalised (spaces and dashes removed), validated (modulus 11) and held as a hash table of
UBIGINT; the extract is read once (CSV: read_csv with explicit VARCHAR types, the columns kept as
text as they were; malformed lines go to DuckDB's reject tables, store_rejects), its NHS number
normalised and validated with integer arithmetic, anti-joined with the lists (hash anti join)
and COPY'd out. threads=2 (the machine has 2 cores); preserve_insertion_order=false (DuckDB's
fastest setting; Steward keeps the input order).

Work DuckDB is NOT asked to do (Steward does it in the same run): the rejects file by line of
rows failing the check digit, the removed-rows counts per list and the distinct patients. With
--check, a second untimed query prints the counts to compare with Steward's report.
"""
import sys
import time

import duckdb

extract, type1, ndoo, out = sys.argv[1:5]
check = "--check" in sys.argv
t0 = time.time()
con = duckdb.connect()
con.execute("SET threads=2")
con.execute("SET preserve_insertion_order=false")

con.execute(
    r"""
CREATE MACRO nhs_digits(s) AS replace(replace(trim(s), ' ', ''), '-', '');
CREATE MACRO nhs_num(s) AS CASE WHEN regexp_full_match(nhs_digits(s), '[0-9]{10}')
                                THEN CAST(nhs_digits(s) AS UBIGINT) END;
-- modulus 11: weights 10..2 on the first nine digits; a check of 10 never matches a digit
CREATE MACRO nhs_ok(n) AS (11 - ((n // 1000000000) * 10 + (n // 100000000 % 10) * 9
    + (n // 10000000 % 10) * 8 + (n // 1000000 % 10) * 7 + (n // 100000 % 10) * 6
    + (n // 10000 % 10) * 5 + (n // 1000 % 10) * 4 + (n // 100 % 10) * 3
    + (n // 10 % 10) * 2) % 11) % 11 = n % 10;
"""
)
con.execute(
    f"""
CREATE TABLE optout AS
SELECT DISTINCT n FROM (
    SELECT nhs_num(nhs_number) AS n FROM read_csv('{type1}', header = true,
        columns = {{'nhs_number': 'VARCHAR', 'code': 'VARCHAR', 'date_recorded': 'VARCHAR'}})
    WHERE code = '827241000000103'
    UNION ALL
    SELECT nhs_num(nhs_number) FROM read_csv('{ndoo}', header = true,
        columns = {{'nhs_number': 'VARCHAR'}})
) WHERE n IS NOT NULL AND nhs_ok(n)
"""
)

COLS = ["nhs_number", "date_of_birth", "sex", "postcode", "event_date", "snomed_code", "value", "note"]
if extract.endswith(".parquet"):
    src = f"read_parquet('{extract}')"
else:
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in COLS)
    src = (
        f"read_csv('{extract}', header = true, delim = ',', quote = '\"', escape = '\"', "
        f"columns = {{{types}}}, store_rejects = true, parallel = true)"
    )
fmt = "(FORMAT parquet, COMPRESSION snappy)" if out.endswith(".parquet") else "(FORMAT csv, HEADER)"
cols = ", ".join(f"e.{c}" for c in COLS)
con.execute(
    f"""
COPY (
    SELECT {cols}
    FROM (SELECT *, nhs_num(nhs_number) AS n FROM {src}) e
    ANTI JOIN optout o ON e.n = o.n
    WHERE e.n IS NOT NULL AND nhs_ok(e.n)
) TO '{out}' {fmt}
"""
)
t1 = time.time()
print(f"duckdb: {t1 - t0:.2f} s", file=sys.stderr)

if check:
    written = con.execute(
        f"SELECT count(*) FROM {'read_parquet' if out.endswith('.parquet') else 'read_csv'}('{out}')"
    ).fetchone()[0]
    bad_nhs = con.execute(
        f"SELECT count(*) FROM {src} WHERE nhs_num(nhs_number) IS NULL OR NOT nhs_ok(nhs_num(nhs_number))"
    ).fetchone()[0]
    try:
        malformed = con.execute("SELECT count(*) FROM reject_errors").fetchone()[0]
    except duckdb.Error:
        malformed = 0
    print(f"duckdb check: written {written}, bad NHS number {bad_nhs}, malformed lines {malformed}")
