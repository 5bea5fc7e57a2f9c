#!/usr/bin/env bash
# DPIA benchmark (issue 11): a DPIA with 40 risks and 120 measures (bench/dpia/large.py),
# imported into the demo cluster through `steward dpia import` (the user's code path), then
#  - its page under 20 concurrent clients (wrk, loopback, bounded in time), p99;
#  - its export to PDF and to DOCX through `steward dpia export` (hyperfine: whole process,
#    start-up and database open included, so an upper bound on the export itself).
# Usage: bench/dpia/run.sh [SECONDS]   (BACKENDS="sqlite" for one backend)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
CLIENTS=20
OUT=bench/out/dpia
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine"; exit 1; }
[ -n "${STEWARD_BIN:-}" ] || cargo build --release -q -p steward
T="${CARGO_TARGET_DIR:-target}"
BIN=$(realpath "${STEWARD_BIN:-$T/release/steward}")
PORT=8193
python3 bench/dpia/large.py > "$OUT/large.json"

source bench/lib.sh

echo "load average before: $(cat /proc/loadavg)"
trap 'kill ${SPID:-} ${HPID:-} 2>/dev/null || true; echo "load average after: $(cat /proc/loadavg)"' EXIT
echo "| case | requests/s | p50 | p99 | errors"
echo "|---|---:|---:|---:|---"
for backend in ${BACKENDS:-sqlite postgres}; do
    data=$(mktemp -d)
    if [ $backend = postgres ]; then
        db="steward_bench_dpia_$$"
        psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $db" >/dev/null
        export STEWARD_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
    else
        unset STEWARD_DATABASE_URL
    fi
    export STEWARD_DATA_DIR=$data
    "$BIN" demo --seed-only >/dev/null
    id=$("$BIN" dpia import "$OUT/large.json" --organisation Y90001 | tail -n1)
    STEWARD_LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >"$OUT/server-$backend.log" 2>&1 & SPID=$!
    wait_up
    cookie=$(sign_in iglead@harbour.demo.steward.test)
    url="http://127.0.0.1:$PORT/dpias/$id"
    code=$(curl -s -o "$OUT/page-$backend.html" -w '%{http_code}' -H "Cookie: $cookie" "$url")
    [ "$code" = 200 ] || { echo "$url answered $code"; exit 1; }
    grep -q "Risk number 40:" "$OUT/page-$backend.html" || { echo "the page lacks risk 40"; exit 1; }
    wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --latency -H "Cookie: $cookie" "$url" > "$OUT/page-$backend.txt"
    printf '| %-40s | %10s | %8s | %8s | %s\n' "$backend DPIA page (40 risks, 120 measures)" \
        "$(awk '/Requests\/sec/{print $2}' "$OUT/page-$backend.txt")" \
        "$(awk '$1=="50%"{print $2}' "$OUT/page-$backend.txt")" \
        "$(awk '$1=="99%"{print $2}' "$OUT/page-$backend.txt")" \
        "$(grep -E "Non-2xx|Socket errors" "$OUT/page-$backend.txt" | tr '\n' ' ' || true)"
    kill $SPID; wait $SPID 2>/dev/null || true
    for f in pdf docx; do
        hyperfine -N --warmup 2 --runs 10 --export-json "$OUT/export-$backend-$f.json" \
            "$BIN dpia export $id --format $f -o $OUT/large-$backend.$f" >/dev/null 2>&1
        python3 - "$OUT/export-$backend-$f.json" "$backend export $f" "$OUT/large-$backend.$f" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"| {sys.argv[2]:<40} | mean {r['mean']*1000:.0f} ms | min {r['min']*1000:.0f} ms | max {r['max']*1000:.0f} ms | {os.path.getsize(sys.argv[3]):,} bytes")
PY
    done
    rm -rf "$data"
    if [ $backend = postgres ]; then
        psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
    fi
done
