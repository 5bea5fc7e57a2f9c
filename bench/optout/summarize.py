"""Medians of times.tsv (who, run, wall s, user s, sys s, max RSS KB) for one size and format."""
import json
import statistics
import sys
from pathlib import Path

r, n, fmt, d = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
rows = [line.split("\t") for line in (r / "times.tsv").read_text().splitlines() if line]
by = {}
for who, i, wall, user, sys_, rss in rows:
    by.setdefault(who, []).append((float(wall), float(user) + float(sys_), int(rss) / 1024))
rep = json.loads(sorted(r.glob("steward-*.json"))[-1].read_text())
exp = json.loads((d / "expected.json").read_text())
print(f"### {n:,} rows, {fmt} -> {fmt}\n")
print("| engine | runs | wall s (median, min-max) | CPU s (median) | rows/s (wall) | peak RSS MB |")
print("|---|---:|---:|---:|---:|---:|")
med = {}
for who in ("steward", "duckdb"):
    v = by[who]
    w = statistics.median(x[0] for x in v)
    med[who] = w
    print(
        f"| {who} | {len(v)} | {w:.2f} ({min(x[0] for x in v):.2f}-{max(x[0] for x in v):.2f}) "
        f"| {statistics.median(x[1] for x in v):.2f} | {n / w:,.0f} | {max(x[2] for x in v):.0f} |"
    )
pairs = [a[0] / b[0] for a, b in zip(by["duckdb"], by["steward"])]
print(f"\nDuckDB / Steward wall time, pair by pair: {', '.join(f'{p:.2f}' for p in pairs)}; "
      f"median {statistics.median(pairs):.2f}x")
print(f"\nSteward: read {rep['rows_read']:,}, written {rep['rows_written']:,}, removed {rep['rows_removed']:,} "
      f"({rep['patients_removed']:,} patients), rejected {rep['rows_rejected']:,}")
if fmt == "csv":
    ok = all(rep[k] == exp[k] for k in ("rows_read", "rows_written", "rows_rejected", "patients_removed"))
    print(f"Generator's expected counts: {'matched' if ok else 'NOT MATCHED'}")
