#!/usr/bin/env bash
# The DPO's cluster dashboard at scale (issue 13): the demo cluster grown to 50 organisations
# with 5 years of records (bench/cluster/seed.py), on SQLite; the DPO's home dashboard (the
# cluster table) and the cluster page (/assurance) under 20 concurrent clients (wrk, loopback, bounded in
# time), p99. Target: p99 under 100 ms.
# Usage: bench/cluster/run.sh [SECONDS]  (ORGS=50 YEARS=5)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
CLIENTS=20
OUT=bench/out/cluster
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
[ -n "${STEWARD_BIN:-}" ] || cargo build --release -q -p steward
T="${CARGO_TARGET_DIR:-target}"
BIN=$(realpath "${STEWARD_BIN:-$T/release/steward}")
PORT=8194
unset STEWARD_DATABASE_URL
export STEWARD_DATA_DIR=$(mktemp -d)
trap 'rm -rf "$STEWARD_DATA_DIR"' EXIT
"$BIN" demo --seed-only >/dev/null
python3 bench/cluster/seed.py "$STEWARD_DATA_DIR/steward.db" --organisations "${ORGS:-50}" --years "${YEARS:-5}" | tee "$OUT/seed.txt"
STEWARD_LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >"$OUT/server.log" 2>&1 & SPID=$!
trap 'kill $SPID 2>/dev/null || true; rm -rf "$STEWARD_DATA_DIR"; echo "load average after: $(cat /proc/loadavg)"' EXIT
source bench/lib.sh
wait_up

cookie=$(sign_in dpo@demo.steward.test)

echo "load average before: $(cat /proc/loadavg)"
echo "| page | requests/s | p50 | p99 | errors"
echo "|---|---:|---:|---:|---"
for page in "/" "/assurance"; do
    url="http://127.0.0.1:$PORT$page"
    status=$(curl -s -o "$OUT/page.html" -w '%{http_code}' -H "Cookie: $cookie" "$url")
    [ "$status" = 200 ] || { echo "$url answered $status"; exit 1; }
    grep -q "Benchmark Practice 0" "$OUT/page.html" || { echo "$page does not show the grown cluster"; exit 1; }
    name=$(echo "$page" | tr -c 'a-z\n' '_')
    wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --latency -H "Cookie: $cookie" "$url" > "$OUT/wrk$name.txt"
    printf '| %-30s | %10s | %8s | %8s | %s\n' "DPO $page (${ORGS:-50} organisations, ${YEARS:-5} years)" \
        "$(awk '/Requests\/sec/{print $2}' "$OUT/wrk$name.txt")" \
        "$(awk '$1=="50%"{print $2}' "$OUT/wrk$name.txt")" \
        "$(awk '$1=="99%"{print $2}' "$OUT/wrk$name.txt")" \
        "$(grep -E "Non-2xx|Socket errors" "$OUT/wrk$name.txt" | tr '\n' ' ' || true)"
done
