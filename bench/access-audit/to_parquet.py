#!/usr/bin/env python3
"""Writes DIR/events.csv as Parquet the way a trust's export tool would (DuckDB's writer: typed
columns, ts TIMESTAMP, default row groups), once per codec, and a folder per codec that the
engines read: DIR/pq-CODEC/ holds events.parquet and links to the reference tables (CSV).
Usage: to_parquet.py DIR [CODEC ...]   (default: zstd snappy)"""
import os, sys
import duckdb

d = sys.argv[1]
codecs = sys.argv[2:] or ["zstd", "snappy"]
con = duckdb.connect()
con.execute("SET threads=2")
for codec in codecs:
    sub = os.path.join(d, f"pq-{codec}")
    os.makedirs(sub, exist_ok=True)
    out = os.path.join(sub, "events.parquet")
    if not os.path.exists(out):
        con.execute(f"""COPY (SELECT * FROM read_csv('{d}/events.csv', header=true,
            columns={{'event_id':'VARCHAR','ts':'TIMESTAMP','user_id':'VARCHAR','patient_id':'VARCHAR',
                      'action':'VARCHAR','workstation':'VARCHAR'}}))
            TO '{out}.tmp' (FORMAT parquet, COMPRESSION {codec})""")
        os.rename(f"{out}.tmp", out)
    for t in ["patients", "users", "teams", "care_episodes", "gold", "decoys"]:
        link = os.path.join(sub, f"{t}.csv")
        if not os.path.lexists(link):
            os.symlink(os.path.join("..", f"{t}.csv"), link)
    print(f"{out}: {os.path.getsize(out) / 1e6:.0f} MB", file=sys.stderr)
