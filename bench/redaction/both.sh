#!/usr/bin/env bash
# Both redaction corpora in one run (issue 15): the first generator (redact-synth, seed 2026)
# and the held-out one (bench/redaction/heldout/generate.py, written without reading the
# detector), Steward with and without what it knows about the practice (--organisation,
# --staff), Presidio on the held-out corpus, and `steward redact --batch` over the held-out
# documents (whole pipeline: read, detect, write bundle PDFs), one core.
#
#   bash bench/redaction/both.sh                     # DOCS=1000 SEED=2026 HELDOUT_SEED=11
#   PRESIDIO=0 bash bench/redaction/both.sh          # without Presidio
#
# Needs bench/.venv with presidio-analyzer (made by bench/redaction/run.sh) for PRESIDIO=1.
# Outputs in bench/out/redaction-both/ (gitignored); `python3 bench/redaction/both_table.py`
# prints the tables of bench/RESULTS.md from them.
set -euo pipefail
cd "$(dirname "$0")/../.."
DOCS="${DOCS:-1000}"
SEED="${SEED:-2026}"
HELDOUT_SEED="${HELDOUT_SEED:-11}"
PRESIDIO="${PRESIDIO:-1}"
OUT="${OUT:-bench/out/redaction-both}"
H="$OUT/heldout"
TARGET="${CARGO_TARGET_DIR:-target}"
R="$TARGET/release"
mkdir -p "$OUT" "$H"
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c 0); fi

cargo build --quiet --release -p steward-redact --bin redact-synth --bin redact-bench
cargo build --quiet --release -p steward-documents --example redact

echo "== corpus 1: redact-synth --docs $DOCS --seed $SEED =="
"$R/redact-synth" --docs "$DOCS" --seed "$SEED" > "$OUT/corpus.jsonl"
"${PIN[@]}" "$R/redact-bench" "$OUT/corpus.jsonl" "$OUT/steward.jsonl" --min-seconds 3 | tee "$OUT/steward_speed.json"
python3 bench/redaction/score.py "$OUT/corpus.jsonl" "$OUT/steward.jsonl" --system "Steward (corpus 1)" \
  --mapping steward --json "$OUT/steward_scores.json"

echo "== corpus 2 (held-out): generate.py --docs $DOCS --seed $HELDOUT_SEED =="
python3 bench/redaction/heldout/generate.py --docs "$DOCS" --seed "$HELDOUT_SEED" --out "$H"
# What a deployment configures: the trusts' hospital-number formats (trusts.json, as
# --hospital-number-pattern); and, in a third run, the subject's own hospital and NI numbers
# (Options::subject_identifiers; see heldout/configure.py for where they come from).
python3 bench/redaction/heldout/configure.py "$H/corpus.jsonl" "$H/trusts.json" "$H/configured.jsonl"
python3 bench/redaction/heldout/configure.py "$H/corpus.jsonl" "$H/trusts.json" "$H/configured_ids.jsonl" \
  --subject-identifiers
"${PIN[@]}" "$R/redact-bench" "$H/corpus.jsonl" "$H/steward.jsonl" --min-seconds 3 | tee "$H/steward_speed.json"
"${PIN[@]}" "$R/redact-bench" "$H/configured.jsonl" "$H/steward_known.jsonl" --min-seconds 3 \
  --organisation "$H/organisation.json" --staff "$H/staff.csv" | tee "$H/steward_known_speed.json"
"${PIN[@]}" "$R/redact-bench" "$H/configured_ids.jsonl" "$H/steward_known_ids.jsonl" --min-seconds 1 \
  --organisation "$H/organisation.json" --staff "$H/staff.csv" > "$H/steward_known_ids_speed.json"
for run in steward steward_known steward_known_ids; do
  python3 bench/redaction/score.py "$H/corpus.jsonl" "$H/$run.jsonl" --system "$run (held-out)" \
    --mapping steward --json "$H/${run}_scores.json"
  python3 bench/redaction/heldout/score_heldout.py "$H/corpus.jsonl" "$H/$run.jsonl" \
    --system "$run (held-out)" --json "$H/${run}_heldout.json"
done

if [ "$PRESIDIO" = 1 ]; then
  echo "== Presidio on the held-out corpus (one core; takes minutes) =="
  "${PIN[@]}" bench/.venv/bin/python bench/redaction/presidio_run.py "$H/corpus.jsonl" "$H/presidio.jsonl" \
    2> "$H/presidio.stderr" | tee "$H/presidio_speed.json"
  python3 bench/redaction/score.py "$H/corpus.jsonl" "$H/presidio.jsonl" --system "Presidio (held-out)" \
    --mapping presidio --json "$H/presidio_scores.json"
  python3 bench/redaction/heldout/score_heldout.py "$H/corpus.jsonl" "$H/presidio.jsonl" \
    --system "Presidio (held-out)" --json "$H/presidio_heldout.json"
fi

echo "== steward redact --batch over the held-out documents (one core, bundles written) =="
rm -rf "$H/bundles"; mkdir -p "$H/bundles"
PATS=()
while IFS= read -r p; do PATS+=(--hospital-number-pattern "$p"); done < <(
  python3 -c 'import json, sys; print("\n".join(t["hospital_number_regex"] for t in json.load(open(sys.argv[1]))))' "$H/trusts.json")
/usr/bin/time -v "${PIN[@]}" "$R/examples/redact" --batch "$H/manifest.csv" "${PATS[@]}" \
  --organisation "$H/organisation.json" --staff "$H/staff.csv" > "$H/batch.txt" 2> "$H/batch_time.txt"
tail -1 "$H/batch.txt"
grep -E "Elapsed|User time|System time|Maximum resident" "$H/batch_time.txt"
echo "bytes of input text: $(cat "$H"/docs/* | wc -c); bundles: $(ls "$H/bundles" | wc -l)"
