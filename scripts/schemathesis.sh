#!/usr/bin/env bash
# Property-based test of the JSON API against its own OpenAPI document: schemathesis, a
# pinned version in a virtual environment, with every check (`--checks all`), against the
# demo server on SQLite (a fresh temporary data folder, a free port) and the demo DPO's API
# token. Bounded in time: SCHEMATHESIS_MAX_EXAMPLES examples per operation and at most
# SCHEMATHESIS_MAX_TIME seconds in all. Exits non-zero on any failure.
#
#   scripts/schemathesis.sh                  # build the debug binary, run, clean up
#   STEWARD_BIN=target/release/steward scripts/schemathesis.sh
#
# Configured in scripts/schemathesis.toml (passed with --config-file), for what a schema
# cannot say: which records exist. After seeding, the script takes the demo practice's IG
# lead's token, reads their id and organisation from /api/v1/me and exports them
# (STEWARD_ST_STAFF, STEWARD_ST_ORGANISATION); the configuration pins every
# `organisation_id` in a path to that practice and every `owner_id` and `user_id` in a body
# to that member of staff. Nothing else is pinned and no check is disabled. Schemathesis's
# positive-data check already accepts 404 (no such record) and 409 (a step out of order: the
# API answers 409 for a record whose state forbids the step, 422 only for invalid input); for
# the operations listed in scripts/schemathesis.toml only, each with its reason (a date
# bounded by today or by the record, a record or file the tool cannot know, a rule of the
# record's state), that check accepts 422 as well.
#
# The virtual environment is kept in target/schemathesis-venv (SCHEMATHESIS_VENV) so that a
# second run needs no download; the report (JUnit XML) goes to target/schemathesis-report.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
VENV="$(realpath -m "${SCHEMATHESIS_VENV:-$TARGET/schemathesis-venv}")"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-25}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-300}"
SEED="${SCHEMATHESIS_SEED:-20261207}"
# CI runs the phases whose cases follow from the document alone (examples and coverage: every
# boundary and every kind of invalid value of every field, derandomised), so that a run that
# passed here passes there. The fuzzing and stateful phases draw new cases every run and find
# new gaps as they go (bench/RESULTS.md, "API contract, 8 December"): SCHEMATHESIS_EXPLORE=1
# runs every phase, for looking further; what it finds is fixed, not waived.
DETERMINISTIC="--generation-deterministic --phases examples,coverage"
[ "${SCHEMATHESIS_EXPLORE:-0}" = 1 ] && DETERMINISTIC=""
REPORT_DIR="$(realpath -m "${SCHEMATHESIS_REPORT_DIR:-$TARGET/schemathesis-report}")"
# schemathesis keeps its cache of past failures (replayed first) in .schemathesis/ of the
# folder it runs in: that is this folder, under the target directory, never the tree.
WORK="$TARGET/schemathesis-work"
ACCOUNT="${SCHEMATHESIS_ACCOUNT:-dpo@demo.steward.test}"
# The demo practice's IG lead: their id and organisation seed the configuration.
STAFF_ACCOUNT=iglead@harbour.demo.steward.test
CONFIG="$(realpath scripts/schemathesis.toml)"

# 1. schemathesis, pinned, in its own virtual environment.
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    echo "Installing schemathesis $SCHEMATHESIS_VERSION into $VENV..."
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# 2. The server binary: built as the test run builds it (same features, so after
# `cargo test` nothing is rebuilt; in CARGO_TARGET_DIR when that is set).
if [ -z "${STEWARD_BIN:-}" ]; then
    cargo test --workspace --locked --no-run --quiet
    STEWARD_BIN="$TARGET/debug/steward"
fi

# 3. The demo on SQLite in a temporary data folder, on a free port.
DATA="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$DATA"
}
trap cleanup EXIT
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export STEWARD_DATA_DIR="$DATA" STEWARD_LISTEN="127.0.0.1:$PORT" STEWARD_BASE_URL="http://127.0.0.1:$PORT"
unset STEWARD_DATABASE_URL STEWARD_CONFIG
"$STEWARD_BIN" demo --seed-only >"$DATA/seed.log" 2>&1
TOKEN="$("$STEWARD_BIN" user api-token "$ACCOUNT" --name schemathesis)"
STAFF_TOKEN="$("$STEWARD_BIN" user api-token "$STAFF_ACCOUNT" --name schemathesis-lookup)"
"$STEWARD_BIN" demo >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/openapi.json" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA/server.log"; echo "the demo server did not start"; exit 1; }
    sleep 1
done

# 4. Ids a schema cannot know, looked up from the API (see scripts/schemathesis.toml): the
# demo practice (the staff account's organisation) and its member of staff.
read -r STEWARD_ST_STAFF STEWARD_ST_ORGANISATION < <(curl -fsS -H "Authorization: Bearer $STAFF_TOKEN" \
    "http://127.0.0.1:$PORT/api/v1/me" \
    | python3 -c 'import json, sys; me = json.load(sys.stdin); print(me["user_id"], me["home_organisation_id"])')
export STEWARD_ST_STAFF STEWARD_ST_ORGANISATION

# 5. Every check, bounded in time, reproducible by its seed.
echo "schemathesis $SCHEMATHESIS_VERSION against the demo on port $PORT (as $ACCOUNT; seed $SEED, $MAX_EXAMPLES examples per operation, at most ${MAX_TIME}s)"
status=0
mkdir -p "$WORK"
(cd "$WORK" && "$VENV/bin/schemathesis" --config-file "$CONFIG" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    --checks all \
    --header "Authorization: Bearer $TOKEN" \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --request-timeout 20 \
    --seed "$SEED" \
    $DETERMINISTIC \
    --workers 2 \
    --no-color \
    --report junit --report-dir "$REPORT_DIR" \
    "$@") || status=$?
if [ "$status" != 0 ]; then
    echo "schemathesis found failures (exit $status); the server's log follows."
    tail -n 50 "$DATA/server.log"
fi
exit "$status"
