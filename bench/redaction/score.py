#!/usr/bin/env python3
"""Scores span predictions against redact-synth gold spans, per entity type.

usage: score.py CORPUS.jsonl PRED.jsonl [--system NAME] [--mapping steward|presidio]
                [--json OUT.json] [--errors N]

Matching (documented in bench/RESULTS.md):
  * a gold span is RECALLED when a prediction of the same (mapped) entity type overlaps it by
    at least one character; "full" recall additionally needs >= 90% of its non-space
    characters covered by predictions of that type (what a redaction actually hides);
  * a prediction is CORRECT when it overlaps a gold span of its (mapped) type; otherwise a
    false positive. Predictions are counted once, whichever gold span they hit.
  * "lenient" precision ignores predictions that overlap only `keep` spans (the subject's own
    data and professionals' names), i.e. what a subject-unaware tool would score if a person
    removed those by hand.
Stdlib only.
"""
import json, sys, argparse
from collections import defaultdict

ENTITIES = ["person_name", "street_address", "postcode", "phone", "email", "nhs_number",
            "ni_number", "date_of_birth", "hospital_number"]

# Presidio entity types -> ours. LOCATION may match either a street address or a postcode
# gold span; an unmatched LOCATION counts as a street_address false positive.
PRESIDIO_MAP = {
    "PERSON": ["person_name"],
    "LOCATION": ["street_address", "postcode"],
    "UK_POSTCODE": ["postcode"],
    "PHONE_NUMBER": ["phone"],
    "EMAIL_ADDRESS": ["email"],
    "UK_NHS": ["nhs_number"],
    "UK_NINO": ["ni_number"],
    "DATE_TIME": ["date_of_birth"],
}


def overlap(a, b):
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus"); ap.add_argument("pred")
    ap.add_argument("--system", default="system")
    ap.add_argument("--mapping", default="steward", choices=["steward", "presidio"])
    ap.add_argument("--json"); ap.add_argument("--errors", type=int, default=0)
    a = ap.parse_args()

    corpus = {}
    with open(a.corpus) as f:
        for line in f:
            r = json.loads(line); corpus[r["id"]] = r
    preds = {}
    with open(a.pred) as f:
        for line in f:
            r = json.loads(line); preds[r["id"]] = r["spans"]

    gold_n = defaultdict(int); rec = defaultdict(int); full = defaultdict(int)
    pred_n = defaultdict(int); tp = defaultdict(int)
    pred_n_len = defaultdict(int); tp_len = defaultdict(int)
    fn_examples = defaultdict(list); fp_examples = defaultdict(list)
    for did, r in corpus.items():
        text = r["text"]; gold = r["gold"]; keep = r.get("keep", [])
        ps = []
        for p in preds.get(did, []):
            types = [p["entity"]] if a.mapping == "steward" else PRESIDIO_MAP.get(p["entity"], [])
            if types:
                ps.append((p["start"], p["end"], types))
        for g in gold:
            e = g["entity"]; gs = (g["start"], g["end"]); gold_n[e] += 1
            hits = [p for p in ps if e in p[2] and overlap(p, gs) > 0]
            if hits:
                rec[e] += 1
                covered = set()
                for p in hits:
                    covered.update(range(max(p[0], gs[0]), min(p[1], gs[1])))
                chars = [i for i in range(gs[0], gs[1]) if not text[i].isspace()]
                if chars and sum(1 for i in chars if i in covered) >= 0.9 * len(chars):
                    full[e] += 1
            elif len(fn_examples[e]) < a.errors:
                ctx = text[max(0, gs[0] - 40):gs[1] + 30].replace("\n", " ")
                fn_examples[e].append(f"{text[gs[0]:gs[1]]!r}  in  ...{ctx}...")
        for p in ps:
            ok_types = [e for e in p[2] if any(g["entity"] == e and overlap(p, (g["start"], g["end"])) > 0 for g in gold)]
            charged = ok_types[0] if ok_types else p[2][0]
            pred_n[charged] += 1
            in_keep = any(overlap(p, (k["start"], k["end"])) > 0 for k in keep)
            if ok_types:
                tp[charged] += 1; tp_len[charged] += 1; pred_n_len[charged] += 1
            else:
                if not in_keep:
                    pred_n_len[charged] += 1
                if len(fp_examples[charged]) < a.errors:
                    ctx = text[max(0, p[0] - 40):p[1] + 30].replace("\n", " ")
                    fp_examples[charged].append(f"{text[p[0]:p[1]]!r} {'[keep]' if in_keep else ''} in ...{ctx}...")

    res = {}
    print(f"\n{a.system}: per-entity results ({len(corpus)} documents)")
    print(f"{'entity':16} {'gold':>6} {'recall':>7} {'full_rec':>8} {'preds':>6} {'precision':>9} {'lenient_p':>9}")
    for e in ENTITIES:
        g = gold_n[e]; pn = pred_n[e]
        r_ = rec[e] / g if g else None
        fr = full[e] / g if g else None
        pr = tp[e] / pn if pn else None
        lp = tp_len[e] / pred_n_len[e] if pred_n_len[e] else None
        res[e] = {"gold": g, "recall": r_, "full_recall": fr, "predictions": pn, "precision": pr,
                  "lenient_precision": lp}
        f = lambda x: "   n/a" if x is None else f"{x:.3f}"
        print(f"{e:16} {g:6d} {f(r_):>7} {f(fr):>8} {pn:6d} {f(pr):>9} {f(lp):>9}")
    if a.errors:
        for e in ENTITIES:
            for x in fn_examples[e]: print(f"  FN {e}: {x}")
            for x in fp_examples[e]: print(f"  FP {e}: {x}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
