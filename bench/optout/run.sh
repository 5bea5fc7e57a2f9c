#!/usr/bin/env bash
# Opt-out filter benchmark: steward-optout against DuckDB (duckdb_filter.py) on the same
# generated extract, 2 threads each, CSV -> CSV and Parquet -> Parquet, A B A B.
#
#   bench/optout/run.sh                   # 10M rows
#   SIZES="10000000 100000000" bench/optout/run.sh
#   RUNS=3 bench/optout/run.sh
#
# The engine is built with the dev profile and this crate at opt-level 3 without debug
# assertions (`--config`), which reuses the workspace's optimised dependencies instead of a
# separate release build on a shared 2-core machine. Timing: /usr/bin/time -v per run (wall,
# CPU, peak RSS), runs alternated A B A B; medians in the summary.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SIZES=${SIZES:-"10000000"}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
OUT=${OUT:-$ROOT/bench/out/optout}
HERE=$ROOT/bench/optout
PY=$ROOT/bench/.venv/bin/python
if [ ! -x "$PY" ]; then python3 -m venv "$ROOT/bench/.venv"; fi
"$PY" -c "import duckdb" 2>/dev/null || "$ROOT/bench/.venv/bin/pip" install -q duckdb

cargo build -p steward-optout --bin steward-optout \
  --config 'profile.dev.package.steward-optout.opt-level=3' \
  --config 'profile.dev.package.steward-optout.debug-assertions=false' \
  --config 'profile.dev.package.steward-optout.overflow-checks=false'
BIN=${BIN:-$ROOT/target/debug/steward-optout}
mkdir -p "$OUT"

for n in $SIZES; do
  d=$OUT/synth-$n-s$SEED
  if [ ! -f "$d/expected.json" ]; then
    echo "== generating $n rows in $d"
    "$BIN" generate --out "$d" --rows "$n" --seed "$SEED" --force
  fi
  if [ ! -f "$d/extract.parquet" ]; then
    # the Parquet extract as DuckDB writes it (VARCHAR columns, snappy, its row groups);
    # DuckDB drops the malformed lines, so this extract has only NHS-number rejects
    "$PY" - "$d" <<'PY'
import sys, duckdb
d = sys.argv[1]
cols = ["nhs_number","date_of_birth","sex","postcode","event_date","snomed_code","value","note"]
types = ", ".join(f"'{c}': 'VARCHAR'" for c in cols)
con = duckdb.connect(); con.execute("SET threads=2")
con.execute(f"""COPY (SELECT * FROM read_csv('{d}/extract.csv', header=true, quote='"', escape='"',
  columns={{{types}}}, ignore_errors=true)) TO '{d}/extract.parquet' (FORMAT parquet, COMPRESSION snappy)""")
PY
  fi
  ls -l "$d"
  for fmt in csv parquet; do
    r=$d/run-$fmt
    mkdir -p "$r"
    : > "$r/times.tsv"
    for i in $(seq 1 "$RUNS"); do
      rm -f "$r"/steward-out.$fmt "$r"/steward-out.rejects.csv "$r"/duckdb-out.$fmt
      /usr/bin/time -v -o "$r/steward-$i.time" "$BIN" filter --threads 2 -q \
        --codes "$d/type1.csv" --ndoo "$d/ndoo.csv" "$d/extract.$fmt" \
        -o "$r/steward-out.$fmt" --report "$r/steward-$i.json" > "$r/steward-$i.log"
      /usr/bin/time -v -o "$r/duckdb-$i.time" "$PY" "$HERE/duckdb_filter.py" \
        "$d/extract.$fmt" "$d/type1.csv" "$d/ndoo.csv" "$r/duckdb-out.$fmt" 2> "$r/duckdb-$i.log"
      for who in steward duckdb; do
        t=$r/$who-$i.time
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(k=1;k<=n;k++) s=s*60+a[k]; print s}' "$t")
        user=$(awk -F': ' '/User time/{print $2}' "$t")
        sys=$(awk -F': ' '/System time/{print $2}' "$t")
        rss=$(awk -F': ' '/Maximum resident/{print $2}' "$t")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$who" "$i" "$wall" "$user" "$sys" "$rss" >> "$r/times.tsv"
      done
    done
    "$PY" "$HERE/duckdb_filter.py" "$d/extract.$fmt" "$d/type1.csv" "$d/ndoo.csv" "$r/duckdb-check.$fmt" --check 2>/dev/null | tee "$r/duckdb-check.txt"
    rm -f "$r/duckdb-check.$fmt"
    "$PY" "$HERE/summarize.py" "$r" "$n" "$fmt" "$d" | tee "$r/summary.md"
  done
done
