#!/usr/bin/env bash
# Access-audit benchmark: Steward's engine (release) vs the same rules as DuckDB SQL, on the
# same generated data, 2 threads for both (the machine has 2 cores; DuckDB: SET threads=2).
# Reports per-rule precision/recall against gold, decoys flagged, wall time, events/s and peak
# RSS (/usr/bin/time -v) for both, and the ratios.
#
#   bench/access-audit/run.sh                 # 1M and 10M events
#   SIZES="1000000" bench/access-audit/run.sh # one size
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SIZES=${SIZES:-"1000000 10000000"}
SEED=${SEED:-1}
OUT=${OUT:-$ROOT/bench/out/access-audit}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target-audit}
HERE=$ROOT/bench/access-audit
PY=$ROOT/bench/.venv/bin/python

if [ ! -x "$PY" ]; then python3 -m venv "$ROOT/bench/.venv"; fi
"$PY" -c "import duckdb" 2>/dev/null || "$ROOT/bench/.venv/bin/pip" install -q duckdb
cargo build --release -p steward-access-audit --bins
BIN=$CARGO_TARGET_DIR/release
mkdir -p "$OUT"

for n in $SIZES; do
  d=$OUT/synth-$n-s$SEED
  if [ ! -f "$d/gold.csv" ]; then
    echo "== generating $n events (seed $SEED) in $d"
    "$BIN/audit-synth" --out "$d" --events "$n" --seed "$SEED"
  fi
  echo "== steward ($n)"
  /usr/bin/time -v -o "$d/steward.time" "$BIN/steward-audit" run --data "$d" -o "$d/steward-flags.csv" \
      --cases "$d/steward-cases.csv" -q 2> "$d/steward.log"
  cat "$d/steward.log"
  echo "== duckdb ($n)"
  /usr/bin/time -v -o "$d/duckdb.time" "$PY" "$HERE/duckdb_rules.py" "$d" "$d/duckdb-flags.csv" 2> "$d/duckdb.log"
  cat "$d/duckdb.log"
  "$PY" "$HERE/score.py" "$d" "$d/steward-flags.csv" steward > "$d/steward.score.json"
  "$PY" "$HERE/score.py" "$d" "$d/duckdb-flags.csv" duckdb > "$d/duckdb.score.json"
  "$PY" "$HERE/summarize.py" "$d" "$n" | tee "$d/summary.md"
done
