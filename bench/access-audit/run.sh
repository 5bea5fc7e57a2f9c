#!/usr/bin/env bash
# Access-audit benchmark: Steward's engine (release) vs the same rules as DuckDB SQL written for
# DuckDB (duckdb_rules.py), on the same generated data, 2 threads for both (the machine has 2
# cores; DuckDB: SET threads=2), for each input format: events.csv, and events.parquet written
# by DuckDB with zstd and with snappy (to_parquet.py; reference tables CSV in every case).
# Reports per-rule precision/recall against gold, decoys flagged, wall time, events/s and peak
# RSS (/usr/bin/time -v) for both, and the ratios.
#
#   bench/access-audit/run.sh                        # 1M and 10M events, csv zstd snappy
#   SIZES="1000000" FORMATS="zstd" bench/access-audit/run.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SIZES=${SIZES:-"1000000 10000000"}
FORMATS=${FORMATS:-"csv zstd snappy"}
SEED=${SEED:-1}
OUT=${OUT:-$ROOT/bench/out/access-audit}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-audit}
HERE=$ROOT/bench/access-audit
PY=$ROOT/bench/.venv/bin/python

if [ ! -x "$PY" ]; then python3 -m venv "$ROOT/bench/.venv"; fi
"$PY" -c "import duckdb" 2>/dev/null || "$ROOT/bench/.venv/bin/pip" install -q duckdb
# the engine without the PDF report stack (the benchmark writes no report)
cargo build --release -p steward-access-audit --no-default-features --bins
BIN=$CARGO_TARGET_DIR/release
mkdir -p "$OUT"

for n in $SIZES; do
  d=$OUT/synth-$n-s$SEED
  if [ ! -f "$d/gold.csv" ]; then
    echo "== generating $n events (seed $SEED) in $d"
    "$BIN/audit-synth" --out "$d" --events "$n" --seed "$SEED"
  fi
  for f in $FORMATS; do
    if [ "$f" = csv ]; then dd=$d; ev=$d/events.csv; else
      "$PY" "$HERE/to_parquet.py" "$d" "$f"; dd=$d/pq-$f; ev=$dd/events.parquet; fi
    r=$d/run-$f
    mkdir -p "$r"
    echo "== steward ($n, $f)"
    /usr/bin/time -v -o "$r/steward.time" "$BIN/steward-audit" run --data "$dd" -o "$r/steward-flags.csv" \
        --cases "$r/steward-cases.csv" -q 2> "$r/steward.log"
    cat "$r/steward.log"
    echo "== duckdb ($n, $f)"
    /usr/bin/time -v -o "$r/duckdb.time" "$PY" "$HERE/duckdb_rules.py" "$d" "$r/duckdb-flags.csv" "$ev" 2> "$r/duckdb.log"
    cat "$r/duckdb.log"
    "$PY" "$HERE/score.py" "$d" "$r/steward-flags.csv" steward > "$r/steward.score.json"
    "$PY" "$HERE/score.py" "$d" "$r/duckdb-flags.csv" duckdb > "$r/duckdb.score.json"
    "$PY" "$HERE/summarize.py" "$r" "$n" "$f" | tee "$r/summary.md"
  done
done
