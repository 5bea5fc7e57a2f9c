#!/usr/bin/env python3
"""Writes a synthetic DPIA in Steward's own JSON (the shape `steward dpia export --format json`
writes and `steward dpia import` reads): 40 risks and 120 measures on the 5x5 matrix, every
text invented. Usage: large.py > large.json"""
import json

risks = [
    {
        "id": f"r{i}",
        "number": i,
        "description": f"Risk number {i}: records seen by someone without a care relationship "
        "when the shared record is opened from a practice system",
        "source": "Workshop with the practices' IG leads",
        "likelihood": (i % 5) + 1,
        "severity": ((i // 5) % 5) + 1,
    }
    for i in range(1, 41)
]
measures = [
    {
        "id": f"m{j}",
        "risks": [f"r{(j % 40) + 1}"],
        "options": f"Measure number {j}: role-based access, a legitimate-relationship check "
        "and a monthly audit of access by the information governance lead",
        "effect": "reduced",
        "residual": "low",
        "approved": j % 2 == 0,
    }
    for j in range(1, 121)
]
print(json.dumps({"content": {
    "title": "Shared care record for the Wessex Coast cluster (benchmark: 40 risks, 120 measures)",
    "matrix": "5x5",
    "risks": risks,
    "measures": measures,
}}))
