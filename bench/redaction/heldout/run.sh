#!/usr/bin/env bash
# Held-out redaction corpus: generate, run Steward's detector (redact-bench), score.
#
#   bash bench/redaction/heldout/run.sh                 # DOCS=300 SEED=7
#   DOCS=1000 SEED=11 bash bench/redaction/heldout/run.sh
#   PRESIDIO=1 bash bench/redaction/heldout/run.sh      # also Presidio (needs bench/.venv from ../run.sh)
#
# Outputs in bench/out/redaction-heldout/ (gitignored with the rest of bench/out).
set -euo pipefail
cd "$(dirname "$0")/../../.."
DOCS="${DOCS:-300}"
SEED="${SEED:-7}"
OUT=bench/out/redaction-heldout
TARGET="${CARGO_TARGET_DIR:-target}"
HERE=bench/redaction/heldout
mkdir -p "$OUT"

python3 "$HERE/generate.py" --docs "$DOCS" --seed "$SEED" --out "$OUT"

cargo build --quiet --release -p steward-redact --bin redact-bench
"$TARGET/release/redact-bench" "$OUT/corpus.jsonl" "$OUT/steward.jsonl" --min-seconds 0.2 > "$OUT/steward_speed.json"
python3 bench/redaction/score.py "$OUT/corpus.jsonl" "$OUT/steward.jsonl" --system "Steward (held-out)" \
  --mapping steward --json "$OUT/steward_scores.json"
python3 "$HERE/score_heldout.py" "$OUT/corpus.jsonl" "$OUT/steward.jsonl" --system "Steward (held-out)" \
  --json "$OUT/steward_heldout.json" --errors "${ERRORS:-0}"

if [ "${PRESIDIO:-0}" = 1 ]; then
  bench/.venv/bin/python bench/redaction/presidio_run.py "$OUT/corpus.jsonl" "$OUT/presidio.jsonl" \
    2> "$OUT/presidio.stderr" > "$OUT/presidio_speed.json"
  python3 bench/redaction/score.py "$OUT/corpus.jsonl" "$OUT/presidio.jsonl" --system "Presidio (held-out)" \
    --mapping presidio --json "$OUT/presidio_scores.json"
  python3 "$HERE/score_heldout.py" "$OUT/corpus.jsonl" "$OUT/presidio.jsonl" --system "Presidio (held-out)" \
    --json "$OUT/presidio_heldout.json"
fi
