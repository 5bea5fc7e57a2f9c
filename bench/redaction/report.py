#!/usr/bin/env python3
"""Combines score.py --json outputs and the two throughput lines into one table.

usage: report.py STEWARD_SCORES.json PRESIDIO_SCORES.json STEWARD_SPEED.json PRESIDIO_SPEED.json
Prints a Markdown table (pasted into bench/RESULTS.md) and the target checks.
"""
import json, sys

st, pr = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ss, ps = json.loads(open(sys.argv[3]).read().strip().splitlines()[-1]), json.loads(open(sys.argv[4]).read().strip().splitlines()[-1])

RECALL_T = {"nhs_number": .99, "postcode": .99, "phone": .99, "email": .99, "ni_number": .99,
            "person_name": .95, "street_address": .95}
f = lambda x: "n/a" if x is None else f"{x:.3f}"
print("| entity | gold spans | Steward recall | Steward precision | Presidio recall | Presidio precision | Presidio precision (subject/staff excluded) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for e, s in st.items():
    p = pr[e]
    print(f"| {e} | {s['gold']} | {f(s['recall'])} | {f(s['precision'])} | {f(p['recall'])} | {f(p['precision'])} | {f(p['lenient_precision'])} |")
print()
print(f"Throughput (one core): Steward {ss['mb_per_s']:.2f} MB/s wall, "
      f"{(ss.get('cpu_mb_per_s') or float('nan')):.2f} MB/s CPU; Presidio {ps['mb_per_s']:.4f} MB/s wall, "
      f"{ps['cpu_mb_per_s']:.4f} MB/s CPU.")
ratio_wall = ss["mb_per_s"] / ps["mb_per_s"]
ratio_cpu = (ss.get("cpu_mb_per_s") or 0) / ps["cpu_mb_per_s"]
print(f"Ratio Steward/Presidio: {ratio_wall:.0f}x (wall), {ratio_cpu:.0f}x (CPU time).")
print()
print("Targets:")
ok_all = True
def check(name, ok):
    global ok_all
    ok_all &= ok
    print(f"- {'MET' if ok else 'NOT MET'}: {name}")
check("throughput >= 50x Presidio (CPU time)", ratio_cpu >= 50)
for e, t in RECALL_T.items():
    check(f"{e} recall >= {t} (measured {f(st[e]['recall'])})", (st[e]["recall"] or 0) >= t)
for e, s in st.items():
    if s["predictions"]:
        check(f"{e} precision >= 0.9 (measured {f(s['precision'])})", s["precision"] >= 0.9)
for e, s in st.items():
    p = pr[e]
    if p["recall"] is not None and p["predictions"]:
        check(f"{e}: recall not below Presidio ({f(s['recall'])} vs {f(p['recall'])})", s["recall"] >= p["recall"])
        check(f"{e}: precision not below Presidio ({f(s['precision'])} vs {f(p['precision'])})", (s["precision"] or 0) >= p["precision"])
print(f"\nAll targets met: {ok_all}")
