#!/usr/bin/env python3
"""Checks run/gr4j_fluxes.csv (OUTPUT_INTERNAL_FLUXES) against GR4J's own bookkeeping.

usage: check_gr4j_fluxes.py RUN_DIR
Each row must obey airGR's identities (Perrin et al. 2003; docs-models.md §2.1): Pn and En from
P - E; Pr = Pn - Ps + Perc; Qd = max(0, Q1 + AExch2); Qsim = Qr + Qd; and each store's balance
from one day to the next: Prod += Ps - Es - Perc, Rout += Q9 + AExch1 - Qr. The qsim column must equal
the q_sim_mm of run/streamflow.csv (the same final run), so the replay cannot drift from it.
"""
import csv
import os
import sys

run = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(run, "run", "gr4j_fluxes.csv"))))
flow = list(csv.DictReader(open(os.path.join(run, "run", "streamflow.csv"))))
fail = []
if len(rows) != len(flow) or len(rows) < 365:
    fail.append(f"{len(rows)} flux rows against {len(flow)} streamflow rows")
worst = 0.0
prev = None
for r, f in zip(rows, flow):
    v = {k: float(x) for k, x in r.items() if k != "date"}
    if prev is not None:
        for got, want in [(v["prod_mm"], prev["prod_mm"] + v["ps"] - v["es"] - v["perc"]),
                          (v["rout_mm"], prev["rout_mm"] + v["q9"] + v["aexch1"] - v["qr"])]:
            worst = max(worst, abs(got - want) / max(1.0, abs(want)))
    prev = v
    p, e = v["precip_mm"], v["pet_mm"]
    checks = [
        (v["pn"], max(p - e, 0.0)),
        (v["en"], max(e - p, 0.0)),
        (v["pr"], v["pn"] - v["ps"] + v["perc"]),
        (v["qd"], max(0.0, v["q1"] + v["aexch2"])),
        (v["qsim"], v["qr"] + v["qd"]),
        (v["qsim"], float(f["q_sim_mm"])),
    ]
    if r["date"] != f["date"]:
        fail.append(f"date {r['date']} against {f['date']}")
        break
    for got, want in checks:
        worst = max(worst, abs(got - want) / max(1.0, abs(want)))
    if min(v["ps"], v["es"], v["ae"], v["perc"], v["qr"]) < 0:
        fail.append(f"{r['date']}: a negative store flux")
# streamflow.csv keeps 10 significant digits
if worst > 1e-8:
    fail.append(f"worst identity residual {worst:.3g} mm (limit 1e-8)")
print(f"{len(rows)} days, worst identity residual {worst:.3g} mm")
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
