#!/usr/bin/env python3
"""Prints the Markdown tables of bench/RESULTS.md ("Issue 15") from one both.sh run.

usage: both_table.py [--short] [OUT_DIR]      (default bench/out/redaction-both)

Reads OUT_DIR/steward_scores.json (corpus 1) and, from OUT_DIR/heldout/, the score.py and
score_heldout.py JSON of each run present (base and base_known_ids: an older engine scored by
hand into the same folder; steward, steward_known, steward_known_ids, presidio: both.sh) and
the speed JSON of redact-bench. --short leaves out the configured run without the subject's
identifiers. Stdlib only.
"""
import json
import os
import sys

RUNS = [("base", "before, subject file only"), ("base_known_ids", "before, configured"),
        ("steward", "Steward, subject file only"), ("steward_known", "Steward, configured without subject's ids"),
        ("steward_known_ids", "Steward, configured"), ("presidio", "Presidio")]
if "--short" in sys.argv:
    RUNS = [r for r in RUNS if r[0] != "steward_known"]
    sys.argv.remove("--short")
OUT = sys.argv[1] if len(sys.argv) > 1 else "bench/out/redaction-both"
H = os.path.join(OUT, "heldout")
ENT = [("person_name", "person name", ">= 0.99"), ("street_address", "street line", ">= 0.98"),
       ("postcode", "postcode", ">= 0.99"), ("date_of_birth", "date of birth", ">= 0.99"),
       ("phone", "phone", "1.000"), ("email", "e-mail", "1.000"), ("nhs_number", "NHS number", "1.000"),
       ("ni_number", "NI number", "1.000"), ("hospital_number", "hospital number", "1.000")]
KEEP = [("subject", "subject's own data", ">= 0.999"), ("staff", "staff (in staff.csv)", ">= 0.98"),
        ("practice", "practice's own details", ">= 0.99"), ("clinical", "clinical content", ">= 0.99"),
        ("organisation", "other organisations' details", ""), ("clinician", "other clinicians", ""),
        ("subject_unlisted", "subject's own hospital / NI numbers", "")]


def ld(p):
    try:
        with open(p) as f:
            return json.load(f)
    except OSError:
        return None


def main():
    runs = [(r, name, ld(f"{H}/{r}_heldout.json"), ld(f"{H}/{r}_scores.json")) for r, name in RUNS]
    runs = [x for x in runs if x[2]]
    print("Corpus 2: must be redacted, hidden / fully hidden (recall / full recall)\n")
    print("| entity | spans | " + " | ".join(n for _, n, _, _ in runs) + " | target |")
    print("|---|---:|" + "---:|" * len(runs) + "---:|")
    for e, label, target in ENT:
        g = runs[0][2]["gold"].get(f"entity:{e}")
        if not g:
            continue
        cells = []
        for _, _, h, s in runs:
            x = h["gold"][f"entity:{e}"]
            cells.append(f"{x['hidden']:.3f} / {x['full']:.3f}")
        print(f"| {label} | {g['n']} | " + " | ".join(cells) + f" | {target} |")
    print("\nCorpus 2: must be kept, share kept\n")
    print("| kind | spans | " + " | ".join(n for _, n, _, _ in runs) + " | target |")
    print("|---|---:|" + "---:|" * len(runs) + "---:|")
    for k, label, target in KEEP:
        g = runs[0][2]["keep"].get(f"{k}:*")
        if not g:
            continue
        cells = [f"{h['keep'][f'{k}:*']['kept']:.3f}" for _, _, h, _ in runs]
        print(f"| {label} | {g['n']} | " + " | ".join(cells) + f" | {target} |")
    cells = []
    for _, _, _, s in runs:
        p = s["person_name"]
        cells.append(f"{p['precision']:.3f}" if p["precision"] is not None else "n/a")
    print("| person-name precision (score.py) | | " + " | ".join(cells) + " | |")
    c1 = ld(f"{OUT}/steward_scores.json")
    if c1:
        print("\nCorpus 1 (Steward): entity, gold, recall, full recall, precision")
        for e, v in c1.items():
            if v["gold"]:
                print(f"  {e}: {v['gold']} {v['recall']:.4f} {v['full_recall']:.4f} {v['precision']:.4f}")
    for name, p in [("corpus 1", f"{OUT}/steward_speed.json"), ("corpus 2", f"{H}/steward_speed.json"),
                    ("corpus 2 configured", f"{H}/steward_known_speed.json"),
                    ("Presidio corpus 2", f"{H}/presidio_speed.json")]:
        x = ld(p)
        if x:
            print(f"speed {name}: {json.dumps(x)}")


if __name__ == "__main__":
    main()
