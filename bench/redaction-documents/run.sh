#!/usr/bin/env bash
# Redaction documents benchmark: a synthetic 500-page GP record (invented people only) is
# written as a PDF, then `redact` (the same code as `steward redact`) reads it, detects,
# and writes the redacted bundle and schedule. Reports wall time and peak memory.
# Targets: under 5 s and under 300 MB.
#
#   bash bench/redaction-documents/run.sh [PAGES]
set -euo pipefail
cd "$(dirname "$0")/../.."
PAGES="${1:-500}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-docs}"
OUT="$PWD/bench/out/redaction-documents"
mkdir -p "$OUT"

cargo build --release -q -p steward-documents --example redact --example synth_record
BIN="$CARGO_TARGET_DIR/release/examples"

"$BIN/synth_record" "$OUT" "$PAGES"
ls -l "$OUT/record.pdf"

/usr/bin/time -v "$BIN/redact" --subject "$OUT/subject.json" "$OUT/record.pdf" \
  -o "$OUT/bundle.pdf" --schedule "$OUT/schedule.csv" > "$OUT/summary.txt" 2> "$OUT/time.txt"

head -20 "$OUT/summary.txt"
wall=$(grep "Elapsed (wall clock)" "$OUT/time.txt" | awk '{print $NF}')
rss_kb=$(grep "Maximum resident set size" "$OUT/time.txt" | awk '{print $NF}')
echo "pages: $PAGES"
echo "wall: $wall (m:ss.ss)"
echo "peak RSS: $((rss_kb / 1024)) MB"
echo "bundle: $(stat -c %s "$OUT/bundle.pdf") bytes; schedule rows: $(($(wc -l < "$OUT/schedule.csv") - 1))"
