#!/usr/bin/env python3
"""Per-rule precision and recall of a flags CSV (event_id,rule,...) against gold.csv, and the
decoys flagged with the rule they imitate. Usage: score.py GOLD_DIR FLAGS.csv [LABEL]"""
import csv, sys, json

RULES = ["SELF", "FAMILY", "NEIGHBOUR", "COWORKER", "VIP", "DECEASED", "LEAVER",
         "AFTER_HOURS", "UNEXPLAINED", "VOLUME"]

def pairs(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        return {(row[0], row[1]) for row in r}

gold_dir, flags_path = sys.argv[1], sys.argv[2]
label = sys.argv[3] if len(sys.argv) > 3 else flags_path
gold = pairs(f"{gold_dir}/gold.csv")
got = pairs(flags_path)
out = {"label": label, "rules": {}}
ok = True
for rule in RULES:
    g = {e for e, r in gold if r == rule}
    f = {e for e, r in got if r == rule}
    tp = len(g & f)
    p = tp / len(f) if f else (1.0 if not g else 0.0)
    rc = tp / len(g) if g else 1.0
    out["rules"][rule] = {"gold": len(g), "flagged": len(f), "tp": tp, "precision": p, "recall": rc}
    ok &= p == 1.0 and rc == 1.0
unknown = {r for _, r in got} - set(RULES)
decoys_flagged = []
with open(f"{gold_dir}/decoys.csv", newline="") as f:
    r = csv.reader(f)
    next(r)
    decoys = list(r)
for ev, kind, not_rule in decoys:
    if (ev, not_rule) in got:
        decoys_flagged.append((ev, kind, not_rule))
out["decoys"] = len(decoys)
out["decoys_flagged"] = len(decoys_flagged)
out["unknown_rules"] = sorted(unknown)
out["all_exact"] = ok and not decoys_flagged and not unknown
print(json.dumps(out))
for d in decoys_flagged[:10]:
    print("decoy flagged:", d, file=sys.stderr)
