#!/usr/bin/env python3
"""Markdown summary of one benchmark size and format: summarize.py RUN_DIR N FORMAT."""
import json, re, sys

d, n, fmt = sys.argv[1], sys.argv[2], sys.argv[3]

def timing(path):
    t = open(path).read()
    el = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    parts = [float(x) for x in el.split(":")]
    secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    user = float(re.search(r"User time \(seconds\): (\S+)", t).group(1))
    sys_ = float(re.search(r"System time \(seconds\): (\S+)", t).group(1))
    code = int(re.search(r"Exit status: (\d+)", t).group(1))
    return secs, rss, user + sys_, code

events = int(n)
m = re.search(r"(\d+) events,", open(f"{d}/steward.log").read())
if m:
    events = int(m.group(1))
s, dk = timing(f"{d}/steward.time"), timing(f"{d}/duckdb.time")
ss, ds = json.load(open(f"{d}/steward.score.json")), json.load(open(f"{d}/duckdb.score.json"))
print(f"### {int(n):,} events requested ({events:,} evaluated), input {fmt}\n")
print("| engine | wall s | CPU s | events/s | peak RSS MB | exit | all rules exact | decoys flagged |")
print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
for name, t, sc in (("Steward", s, ss), ("DuckDB", dk, ds)):
    print(f"| {name} | {t[0]:.2f} | {t[2]:.2f} | {events / t[0]:,.0f} | {t[1] / 1024:.0f} | {t[3]} | {sc['all_exact']} | {sc['decoys_flagged']} of {sc['decoys']} |")
print(f"\nDuckDB wall / Steward wall: {dk[0] / s[0]:.2f}x; Steward / DuckDB peak memory: {s[1] / dk[1]:.3f}x.\n")
print("| rule | gold | Steward P | Steward R | DuckDB P | DuckDB R |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for r, v in ss["rules"].items():
    w = ds["rules"][r]
    print(f"| {r} | {v['gold']} | {v['precision']:.4f} | {v['recall']:.4f} | {w['precision']:.4f} | {w['recall']:.4f} |")
print()
