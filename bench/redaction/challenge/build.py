#!/usr/bin/env python3
"""Turns challenge.txt (markup) into the corpus JSONL format that score.py, redact-bench and
presidio_run.py read. usage: build.py challenge.txt > challenge.jsonl"""
import json, re, sys

MARK = re.compile(r"\[\[(\w+):(.+?)\]\]|\{\{(\w+):(.+?)\}\}")


def build(block, did):
    head, _, body = block.partition("\n")
    subject = json.loads(head)
    subject.setdefault("aliases", [])
    for k in ("addresses", "phones", "emails"):
        subject.setdefault(k, [])
    text = ""; gold = []; keep = []; pos = 0
    for m in MARK.finditer(body):
        text += body[pos:m.start()]
        start = len(text.encode())
        if m.group(1):
            text += m.group(2)
            gold.append({"start": start, "end": len(text.encode()), "entity": m.group(1)})
        else:
            text += m.group(4)
            keep.append({"start": start, "end": len(text.encode()), "what": m.group(3)})
        pos = m.end()
    text += body[pos:]
    ids = [k["what"] for k in keep]
    opts = {"subject_identifiers": [text.encode()[k["start"]:k["end"]].decode() for k in keep
                                    if k["what"] == "subject_hospital_number"]}
    return {"id": did, "kind": "challenge", "subject": subject, "options": opts, "text": text,
            "gold": gold, "keep": keep, "decoys": []}


src = open(sys.argv[1]).read()
src = "\n".join(l for l in src.splitlines() if not l.startswith("#"))
blocks = [b for b in src.split("=== ") if b.strip()]
for i, b in enumerate(blocks):
    print(json.dumps(build(b.rstrip("\n") + "\n", i)))
