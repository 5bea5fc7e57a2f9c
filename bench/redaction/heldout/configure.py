#!/usr/bin/env python3
"""Adds what a deployment configures to a held-out corpus, for `redact-bench`.

usage: configure.py CORPUS.jsonl TRUSTS.json OUT.jsonl [--subject-identifiers]

Writes CORPUS.jsonl again with an `options` object per record (the shape of
`steward_redact::Options`, which `redact-bench` reads from each record):

  * `hospital_number_patterns`: every trust's `hospital_number_regex` from TRUSTS.json, as
    an organisation configures `steward redact --hospital-number-pattern` for the trusts
    whose letters it receives;
  * with `--subject-identifiers`, `subject_identifiers`: the subject's own hospital and NI
    numbers. The generator records the subject's identifiers only as `keep` spans of kind
    `subject_unlisted` (the subject file has no field for them), so they are read from there:
    this stands in for the subject's record listing its own identifiers. It is the only place
    a runner reads the corpus's labels, and it is reported as a separate run.

The text, gold and keep spans are unchanged; score against the original CORPUS.jsonl.
Stdlib only.
"""
import argparse
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus"); ap.add_argument("trusts"); ap.add_argument("out")
    ap.add_argument("--subject-identifiers", action="store_true")
    a = ap.parse_args()
    with open(a.trusts) as f:
        patterns = [t["hospital_number_regex"] for t in json.load(f) if t.get("hospital_number_regex")]
    with open(a.corpus) as f, open(a.out, "w") as out:
        for line in f:
            r = json.loads(line)
            opts = {"hospital_number_patterns": patterns}
            if a.subject_identifiers:
                ids = []
                for k in r.get("keep", []):
                    if k.get("kind") == "subject_unlisted" and k["text"] not in ids:
                        ids.append(k["text"])
                opts["subject_identifiers"] = ids
            r["options"] = opts
            out.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
