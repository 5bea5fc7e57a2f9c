#!/usr/bin/env bash
# Redaction documents through the web application: the synthetic 500-page GP record (invented
# people only, the same record.pdf/subject.json as run.sh) is uploaded to a subject access
# request over the JSON API, the redaction is run, the bundle is produced and downloaded,
# as a user's script would. A fresh release server (SQLite, demo data) runs in a temp folder.
#
# Reports the wall time of each HTTP step (curl's time_total; the server's CPU time over the
# step from /proc/PID/stat) and the server's peak RSS (VmHWM) just before the upload and after
# the download. The server's memory is the whole web application (runtime, SQLite, caches,
# the uploaded bytes), not only the engine. Targets of the engine: under 5 s, under 300 MB.
#
#   bash bench/redaction-documents/web.sh [PAGES]     # 500 by default; PORT=8194 by default
#
# Outputs in bench/out/redaction-documents/ (web-*.json, web-bundle.pdf, web-server.log).
set -euo pipefail
cd "$(dirname "$0")/../.."
PAGES="${1:-500}"
PORT="${PORT:-8194}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-docs}"
OUT="$PWD/bench/out/redaction-documents"
mkdir -p "$OUT"
command -v jq >/dev/null || { echo "jq is needed: apt-get install jq"; exit 1; }
BASE="http://127.0.0.1:$PORT"

cargo build --release -q -p steward
cargo build --release -q -p steward-documents --example synth_record
BIN="$CARGO_TARGET_DIR/release/steward"

# The record: reuse run.sh's output if it has the wanted number of pages' worth (regenerate
# when missing or when PAGES differs from the default, since the file does not say).
if [ ! -s "$OUT/record.pdf" ] || [ ! -s "$OUT/subject.json" ] || [ "$PAGES" != 500 ]; then
    "$CARGO_TARGET_DIR/release/examples/synth_record" "$OUT" "$PAGES"
fi
RECORD_BYTES=$(stat -c %s "$OUT/record.pdf")
# Uploads above max_attachment_mb (default 10 MB; STEWARD_MAX_ATTACHMENT_MB) are refused.
MAX_MB=10
if [ "$RECORD_BYTES" -gt $((MAX_MB * 1024 * 1024)) ]; then
    MAX_MB=$((RECORD_BYTES / 1024 / 1024 + 2))
fi
export STEWARD_MAX_ATTACHMENT_MB=$MAX_MB

if curl -s -o /dev/null "$BASE/healthz"; then
    echo "port $PORT is already in use; set PORT=..."
    exit 1
fi

tmp=$(mktemp -d)
SPID=""
cleanup() {
    if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

unset STEWARD_DATABASE_URL
STEWARD_DATA_DIR=$tmp "$BIN" demo --seed-only >/dev/null
STEWARD_DATA_DIR=$tmp STEWARD_LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve \
    >"$OUT/web-server.log" 2>&1 &
SPID=$!
up=""
for _ in $(seq 1 150); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && { up=1; break; }
    sleep 0.2
done
[ -n "$up" ] || { echo "the server did not start; see $OUT/web-server.log"; exit 1; }

# Sign in as the Harbour View IG lead (session + CSRF cookies), then create an API token on
# the account page; the page shows it once in <p class="steward-secret" id="shown-secret">.
jar="$tmp/cookies"
curl -s -c "$jar" -b "$jar" -o /dev/null "$BASE/sign-in"
csrf=$(awk '$6=="steward_csrf"{print $7}' "$jar")
curl -s -c "$jar" -b "$jar" -o /dev/null \
    --data-urlencode "csrf=$csrf" --data-urlencode "email=iglead@harbour.demo.steward.test" \
    --data-urlencode "password=demo-password-2026" "$BASE/sign-in"
grep -q steward_session "$jar" || { echo "sign-in failed"; exit 1; }
code=$(curl -s -c "$jar" -b "$jar" -o "$tmp/account.html" -w '%{http_code}' \
    --data-urlencode "csrf=$csrf" --data-urlencode "name=redaction benchmark" \
    "$BASE/account/tokens")
[ "$code" = 200 ] || { echo "POST /account/tokens answered $code"; exit 1; }
TOKEN=$(sed -n 's|.*id="shown-secret">\([^<]*\)</p>.*|\1|p' "$tmp/account.html" | head -1)
[ -n "$TOKEN" ] || { echo "no token on the account page"; exit 1; }
AUTH=(-H "Authorization: Bearer $TOKEN")

# api METHOD PATH [curl args...]: JSON body to stdout; fails on a non-2xx status.
api() {
    local method=$1 path=$2; shift 2
    local code
    code=$(curl -s "${AUTH[@]}" -X "$method" -o "$tmp/body" -w '%{http_code}' "$@" "$BASE/api/v1$path")
    case $code in 2??) cat "$tmp/body" ;; *) echo "$method $path answered $code: $(head -c 500 "$tmp/body")" >&2; return 1 ;; esac
}

ME=$(api GET /me)
USER_ID=$(jq -r .user_id <<<"$ME")
ORG=$(api GET /organisations | jq -r '[.[] | select(.name | test("Harbour View"))][0].id')
[ -n "$ORG" ] && [ "$ORG" != null ] || { echo "no Harbour View organisation"; exit 1; }

# The subject of the record, as the request's fields (run.sh passes subject.json to the CLI).
S="$OUT/subject.json"
SURNAME=$(jq -r '.name | split(" ") | last' "$S")
NHS=$(jq -r '.nhs_number // ""' "$S")
# An open access request for this subject, if any; otherwise log one.
REQ=""
page=1
while :; do
    list=$(api GET "/organisations/$ORG/requests?request_type=access&status=open&page=$page")
    REQ=$(jq -r --arg s "$SURNAME" --arg n "$NHS" \
        '[.items[] | select(.subject_surname == $s and (.subject_nhs_number | gsub(" "; "")) == $n)][0].id // empty' <<<"$list")
    pages=$(jq -r .pages <<<"$list")
    [ -n "$REQ" ] || [ "$page" -ge "$pages" ] && break
    page=$((page + 1))
done
if [ -n "$REQ" ]; then
    echo "request: existing $REQ"
else
    body=$(jq --arg owner "$USER_ID" --arg today "$(date -u +%F)" '
        (.addresses[0] // "") as $a
        | ($a | capture("^(?<addr>.*), *(?<pc>[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$") // {addr: $a, pc: ""}) as $parts
        | {
            request_type: "access", channel: "letter", requester_kind: "data_subject",
            subject_forenames: (.name | split(" ") | .[:-1] | join(" ")),
            subject_surname: (.name | split(" ") | last),
            subject_date_of_birth: (.date_of_birth // ""),
            subject_nhs_number: (.nhs_number // ""),
            subject_address: $parts.addr, subject_postcode: $parts.pc,
            subject_phone: (.phones[0] // ""), subject_email: (.emails[0] // ""),
            subject_aliases: ((.aliases // []) | join("\n")),
            received_on: $today, what: "The full GP record (redaction benchmark)",
            owner_id: $owner
          }' "$S")
    REQ=$(api POST "/organisations/$ORG/requests" -H 'Content-Type: application/json' \
        --data-binary "$body" | jq -r .id)
    echo "request: created $REQ"
fi

TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
hwm_mb() { awk '/^VmHWM/{printf "%.0f", $2 / 1024}' "/proc/$SPID/status"; }
rss_mb() { awk '/^VmRSS/{printf "%.0f", $2 / 1024}' "/proc/$SPID/status"; }

ROWS=()
# step NAME METHOD PATH OUTFILE [curl args...]: times one request, checks for a 2xx status.
step() {
    local name=$1 method=$2 path=$3 out=$4; shift 4
    local c0 c1 res code t
    c0=$(cpu_ticks)
    res=$(curl -s "${AUTH[@]}" -X "$method" -o "$out" -w '%{http_code} %{time_total}' "$@" "$BASE/api/v1$path")
    c1=$(cpu_ticks)
    code=${res% *}; t=${res#* }
    case $code in 2??) ;; *) echo "$name: $method $path answered $code: $(head -c 500 "$out")" >&2; exit 1 ;; esac
    ROWS+=("$(printf '| %-24s | %3s | %7.2f s | %7.2f s | %5s MB |' "$name" "$code" "$t" \
        "$(echo "($c1 - $c0) / $TICKS" | bc -l)" "$(hwm_mb)")")
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
BASE_HWM=$(hwm_mb); BASE_RSS=$(rss_mb)
t0=$(date +%s.%N)
step "upload (multipart)" POST "/requests/$REQ/documents" "$OUT/web-document.json" \
    -F "file=@$OUT/record.pdf;type=application/pdf"
step "redaction run" POST "/requests/$REQ/redaction/run" "$OUT/web-run.json"
# The run answers when the engine has finished (the handler awaits it); check that it did.
proposals=$(jq -r .proposals "$OUT/web-run.json")
[ "$proposals" -gt 0 ] 2>/dev/null || { echo "the run answered without proposals: $(cat "$OUT/web-run.json")"; exit 1; }
step "review screen (GET)" GET "/requests/$REQ/review" "$OUT/web-review.json"
step "bundle" POST "/requests/$REQ/bundle" "$OUT/web-outputs.json" \
    -H 'Content-Type: application/json' --data-binary '{"style":"box"}'
BUNDLE_ID=$(jq -r '[.[] | select(.kind == "bundle_pdf")][0].id' "$OUT/web-outputs.json")
step "bundle download" GET "/requests/$REQ/outputs/$BUNDLE_ID" "$OUT/web-bundle.pdf"
t1=$(date +%s.%N)
PEAK_HWM=$(hwm_mb); END_RSS=$(rss_mb)
[ "$(head -c 5 "$OUT/web-bundle.pdf")" = "%PDF-" ] || { echo "the bundle is not a PDF"; exit 1; }

echo
echo "commit $(git rev-parse --short HEAD), $(date -u '+%F %H:%M UTC'), load average $LOAD"
echo "record: $PAGES pages, $RECORD_BYTES bytes; request $REQ"
jq -r '"run: \(.documents) document(s), \(.pages) pages, \(.proposals) proposals, \(.flags) flags"' "$OUT/web-run.json"
echo "bundle: $(stat -c %s "$OUT/web-bundle.pdf") bytes; outputs: $(jq -r 'map("\(.kind) \(.size)") | join(", ")' "$OUT/web-outputs.json")"
echo "review screen JSON: $(stat -c %s "$OUT/web-review.json") bytes"
echo
echo "| step | status | wall | server CPU | VmHWM after |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
printf '| %-24s |     | %7.2f s |           |             |\n' "upload to download" "$(echo "$t1 - $t0" | bc -l)"
echo
echo "server memory: VmHWM $BASE_HWM MB before the upload (VmRSS $BASE_RSS MB), peak VmHWM $PEAK_HWM MB after the download (VmRSS $END_RSS MB)"
