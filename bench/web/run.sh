#!/usr/bin/env bash
# Web load test: the signed-in dashboard and the actions list over 1,000 actions, 50
# concurrent clients (wrk, loopback, bounded in time), on SQLite and PostgreSQL, beside a
# minimal axum "hello" handler as the ceiling. Usage: bench/web/run.sh [SECONDS]
# (BACKENDS="sqlite" runs one backend only; STEWARD_BIN=path runs that build without building;
# HELLO_RUN=0 skips the ceiling.)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
CLIENTS=50
OUT=bench/out/web
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }

[ -n "${STEWARD_BIN:-}" ] || cargo build --release -q -p steward
[ -n "${STEWARD_HELLO:-}" ] || [ "${HELLO_RUN:-1}" = 0 ] || cargo build --release -q -p steward-web --example hello
T="${CARGO_TARGET_DIR:-target}"
BIN=$(realpath "${STEWARD_BIN:-$T/release/steward}")
HELLO=${STEWARD_HELLO:-$T/release/examples/hello}
PORT=8190

source bench/lib.sh

load() { # name url cookie
    local name=$1 url=$2 cookie=${3:-}
    local args=(-t2 -c"$CLIENTS" -d"${DURATION}s" --latency)
    [ -n "$cookie" ] && args+=(-H "Cookie: $cookie")
    # Check the page answers 200 before loading it.
    code=$(curl -s -o /dev/null -w '%{http_code}' ${cookie:+-H "Cookie: $cookie"} "$url")
    [ "$code" = 200 ] || { echo "$name: $url answered $code"; exit 1; }
    wrk "${args[@]}" "$url" > "$OUT/$name.txt"
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/{print $2}' "$OUT/$name.txt")
    p50=$(awk '$1=="50%"{print $2}' "$OUT/$name.txt")
    p99=$(awk '$1=="99%"{print $2}' "$OUT/$name.txt")
    errors=$(grep -E "Non-2xx|Socket errors" "$OUT/$name.txt" | tr '\n' ' ' || true)
    printf '| %-28s | %10s | %8s | %8s | %s\n' "$name" "$rps" "$p50" "$p99" "${errors:-}"
}

echo "load average before: $(cat /proc/loadavg)"
trap 'kill ${SPID:-} ${HPID:-} 2>/dev/null || true; echo "load average after: $(cat /proc/loadavg)"' EXIT
echo "| case | requests/s | p50 | p99 | errors"
echo "|---|---:|---:|---:|---"

if [ "${HELLO_RUN:-1}" = 1 ]; then
    "$HELLO" "127.0.0.1:$PORT" & HPID=$!
    for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
    load "axum hello (ceiling)" "http://127.0.0.1:$PORT/"
    kill $HPID; wait $HPID 2>/dev/null || true
fi

for backend in ${BACKENDS:-sqlite postgres}; do
    data=$(mktemp -d)
    if [ $backend = postgres ]; then
        db="steward_bench_$$"
        psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $db" >/dev/null
        export STEWARD_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
    else
        unset STEWARD_DATABASE_URL
    fi
    STEWARD_DATA_DIR=$data "$BIN" demo --extra-actions 1000 --seed-only >/dev/null
    STEWARD_DATA_DIR=$data STEWARD_LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >"$OUT/server-$backend.log" 2>&1 & SPID=$!
    wait_up
    cookie=$(sign_in iglead@harbour.demo.steward.test)
    load "$backend dashboard" "http://127.0.0.1:$PORT/" "$cookie"
    load "$backend actions list (1,000)" "http://127.0.0.1:$PORT/actions?view=all" "$cookie"
    kill $SPID; wait $SPID 2>/dev/null || true
    rm -rf "$data"
    if [ $backend = postgres ]; then
        psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
    fi
done
