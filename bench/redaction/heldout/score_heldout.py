#!/usr/bin/env python3
"""Held-out corpus scores that score.py does not give: what survives, by kind and by tag.

usage: score_heldout.py CORPUS.jsonl PRED.jsonl [--system NAME] [--json OUT.json] [--errors N]

PRED.jsonl is the same as for score.py: {"id", "spans": [{"start", "end", "entity"}]}, offsets
in UTF-8 bytes (the held-out text is ASCII, so bytes and characters agree). Entity types of the
predictions are ignored here: this is about what a reader of the bundle would see.

  * a `gold` span (must be redacted) is HIDDEN when predictions cover more than half of its
    non-space characters, FULLY HIDDEN when they cover at least 90%;
  * a `keep` span is KEPT when no prediction touches any of its characters.
Reported per gold entity, per gold tag (relative_title, moved_address, ...; date-of-birth tags
also split by written format), and per keep kind x entity (subject, staff, clinician, practice,
organisation, clinical, subject_unlisted). Stdlib only.
"""
import argparse
import json
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus"); ap.add_argument("pred")
    ap.add_argument("--system", default="system")
    ap.add_argument("--json"); ap.add_argument("--errors", type=int, default=0)
    a = ap.parse_args()

    preds = {}
    with open(a.pred) as f:
        for line in f:
            r = json.loads(line); preds[r["id"]] = [(p["start"], p["end"]) for p in r["spans"]]

    g_n = defaultdict(int); g_hid = defaultdict(int); g_full = defaultdict(int)
    k_n = defaultdict(int); k_ok = defaultdict(int)
    miss = defaultdict(list); lost = defaultdict(list)
    ndocs = 0
    with open(a.corpus) as f:
        for line in f:
            r = json.loads(line); ndocs += 1
            text = r["text"]
            covered = set()
            for s, e in preds.get(r["id"], []):
                covered.update(range(s, e))
            for g in r["gold"]:
                chars = [i for i in range(g["start"], g["end"]) if not text[i].isspace()]
                c = sum(1 for i in chars if i in covered)
                tag = g.get("tag", "")
                base, _, fmt = tag.partition(";")
                keys = [("entity", g["entity"]), ("tag", f"{g['entity']}/{base}")]
                if fmt:
                    keys.append(("dob_format", fmt))
                for k in keys:
                    g_n[k] += 1
                    if c * 2 > len(chars):
                        g_hid[k] += 1
                    if c >= 0.9 * len(chars):
                        g_full[k] += 1
                if c * 2 <= len(chars) and len(miss[g["entity"]]) < a.errors:
                    ctx = text[max(0, g["start"] - 45):g["end"] + 25].replace("\n", " | ")
                    miss[g["entity"]].append(f"{g['text']!r} [{tag}] in ...{ctx}...")
            for k in r["keep"]:
                key = (k["kind"], k["entity"])
                k_n[key] += 1; k_n[(k["kind"], "*")] += 1
                ok = not any(i in covered for i in range(k["start"], k["end"]))
                if ok:
                    k_ok[key] += 1; k_ok[(k["kind"], "*")] += 1
                elif len(lost[k["kind"]]) < a.errors:
                    ctx = text[max(0, k["start"] - 45):k["end"] + 25].replace("\n", " | ")
                    lost[k["kind"]].append(f"{k['text']!r} [{k['entity']}/{k.get('tag', '')}] in ...{ctx}...")

    f3 = lambda x, n: f"{x / n:.3f}" if n else "  n/a"
    out = {"gold": {}, "keep": {}}
    print(f"\n{a.system}: held-out corpus, {ndocs} documents")
    for group, title in (("entity", "must be redacted, by entity"), ("tag", "by tag"), ("dob_format", "dates of birth by written format")):
        print(f"\n{title:48} {'spans':>6} {'hidden':>7} {'full':>7}")
        for k in sorted(x for x in g_n if x[0] == group):
            n = g_n[k]
            print(f"  {k[1]:46} {n:6d} {f3(g_hid[k], n):>7} {f3(g_full[k], n):>7}")
            out["gold"][f"{group}:{k[1]}"] = {"n": n, "hidden": g_hid[k] / n, "full": g_full[k] / n}
    print(f"\n{'must be kept, by kind / entity':48} {'spans':>6} {'kept':>7}")
    for k in sorted(k_n, key=lambda x: (x[0], x[1] != "*", x[1])):
        n = k_n[k]
        print(f"  {k[0] + ' / ' + k[1]:46} {n:6d} {f3(k_ok[k], n):>7}")
        out["keep"][f"{k[0]}:{k[1]}"] = {"n": n, "kept": k_ok[k] / n}
    if a.errors:
        for e, xs in miss.items():
            for x in xs:
                print(f"  MISSED {e}: {x}")
        for kd, xs in lost.items():
            for x in xs:
                print(f"  LOST {kd}: {x}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
