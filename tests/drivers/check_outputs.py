#!/usr/bin/env python3
"""Checks the files `hydroscale calibrate` leaves behind (docs-interface.md §3).

usage: check_outputs.py RUN_DIR N_ITERATIONS [MIN_KGE_CAL]
Verifies that every output exists and is consistent: summary.json keys; the trajectory has
N_ITERATIONS + 1 rows and its best column is monotone; the final run reproduces the best
calibration objective exactly; streamflow.nc opens with xarray and matches streamflow.csv;
best_params.yaml matches summary.json; the hydrograph is a PNG; the calibration loop did no I/O.
"""
import csv
import json
import math
import os
import sys

run_dir, n_iter = sys.argv[1], int(sys.argv[2])
min_kge = float(sys.argv[3]) if len(sys.argv) > 3 else -1e9
fail = []


def check(cond, what):
    if not cond:
        fail.append(what)


s = json.load(open(os.path.join(run_dir, "summary.json")))
for key in ["model", "algorithm", "seed", "n_evaluations", "best_params", "metrics", "timing",
            "execution", "io", "memory", "domain"]:
    check(key in s, f"summary.json lacks {key}")
for per in ["calibration", "evaluation"]:
    for m in ["KGE", "KGEp", "NSE", "PBIAS"]:
        check(m in s["metrics"][per], f"metrics.{per}.{m} missing")
for k in ["wall_s", "evals_per_s", "mean_eval_us", "serial_fraction"]:
    check(k in s["timing"], f"timing.{k} missing")
for k in ["strategy", "workers", "hru_threads", "mpi_ranks", "worker_utilization"]:
    check(k in s["execution"], f"execution.{k} missing")
for k in ["read_bytes", "write_bytes", "read_ops", "write_ops"]:
    check(k in s["io"], f"io.{k} missing")
    check(s["io"]["calibration_loop"][k] == 0, f"calibration loop did I/O: {k}")
check(s["memory"]["peak_rss_mb"] > 0, "peak_rss_mb not positive")
check(s["n_evaluations"] == n_iter + 1, f"n_evaluations {s['n_evaluations']} != {n_iter + 1}")
kge_cal = s["metrics"]["calibration"]["KGE"]
check(kge_cal >= min_kge, f"calibration KGE {kge_cal} < {min_kge}")
# the final run over the whole period must reproduce the calibration objective bit for bit
check(kge_cal == s["best_objective"],
      f"final-run KGE {kge_cal!r} differs from best objective {s['best_objective']!r}")

rows = list(csv.DictReader(open(os.path.join(run_dir, "calibration", "trajectory.csv"))))
check(len(rows) == n_iter + 1, f"trajectory has {len(rows)} rows")
check([int(r["eval"]) for r in rows] == list(range(n_iter + 1)), "eval column not 0..N")
best = [float(r["best_objective"]) for r in rows]
check(all(b2 >= b1 for b1, b2 in zip(best, best[1:])), "best_objective not monotone")
check(best[-1] == s["best_objective"], "last best_objective differs from summary")
check(max(float(r["objective"]) for r in rows) == best[-1], "best is not the max objective")

bp = {}
for line in open(os.path.join(run_dir, "calibration", "best_params.yaml")):
    line = line.split("#")[0].strip()
    if ":" in line:
        k, v = line.split(":", 1)
        bp[k.strip()] = v.strip()
for name, value in s["best_params"].items():
    check(name in bp and float(bp[name]) == value, f"best_params.yaml {name} differs")

with open(os.path.join(run_dir, "plots", "hydrograph.png"), "rb") as f:
    check(f.read(8) == b"\x89PNG\r\n\x1a\n", "hydrograph.png is not a PNG")

csv_rows = list(csv.DictReader(open(os.path.join(run_dir, "run", "streamflow.csv"))))
check(list(csv_rows[0].keys()) == ["date", "q_obs_m3s", "q_sim_m3s", "q_sim_mm"],
      "streamflow.csv columns")
try:
    import xarray as xr
    ds = xr.open_dataset(os.path.join(run_dir, "run", "streamflow.nc"))
    check(ds.attrs.get("Conventions", "").startswith("CF-1.8"), "Conventions")
    check(ds["q_sim"].attrs.get("units") == "m3 s-1", "q_sim units")
    check(ds["q_sim"].dtype == "float64", "q_sim not double")
    check(len(ds["time"]) == len(csv_rows), "time length differs from the CSV")
    check(str(ds["time"].values[0])[:10] == csv_rows[0]["date"], "first date differs")
    qs = ds["q_sim"].values
    check(all(math.isclose(float(a["q_sim_m3s"]), b, rel_tol=1e-9, abs_tol=1e-12)
              for a, b in zip(csv_rows, qs)), "q_sim differs between nc and csv")
    for v in ["q_obs", "q_sim_mm", "q_obs_mm"]:
        check(v in ds, f"{v} missing from streamflow.nc")
except ImportError:
    print("xarray not installed: netCDF check skipped")

if fail:
    print("FAILED:\n  " + "\n  ".join(fail))
    sys.exit(1)
print(f"outputs OK: calibration KGE {kge_cal:.4f}, evaluation KGE "
      f"{s['metrics']['evaluation']['KGE']:.4f}, {s['timing']['evals_per_s']:.0f} evals/s")
