#!/usr/bin/env bash
# Execution-tier benchmarks of issue #3, through `hydroscale calibrate` on the bundled example:
#  1. dispatch overhead per candidate: a 10-day calibration period makes the model nearly free,
#     so a tier's extra time per candidate over the sequential tier is its dispatch cost;
#  2. parallel efficiency with >= 1 ms per evaluation (EVAL_DELAY_DISTRIBUTION fixed:1, a CPU
#     spin) on 2 workers: T_sequential / (2 T_parallel);
#  3. asynchronous vs synchronous DDS with uneven evaluation times (lognormal, median 2 ms,
#     sigma 0.8): wall time and worker utilization side by side;
#  4. asynchronous DDS with the batched backend against the scalar model on every tier with 2
#     workers (HBV, no synthetic delay): calibration-loop throughput, and the ratio of the two.
# usage: bench/bench_tiers.sh [BUILD_DIR] [RUNS] [SECTIONS: "1 2 3 4" (default), or e.g. "4"]
set -euo pipefail
build="${1:-build}"
runs="${2:-3}"
sections="${3:-1 2 3 4}"
exe="$build/drivers/hydroscale"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
python3 - "$exe" "$out" "$runs" "$sections" <<'PY'
import json, os, shutil, statistics, subprocess, sys
exe, out, runs, sections = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
have_mpi = shutil.which("mpirun") is not None
short = ["--set", "EXPERIMENT_TIME_START=2003-12-01", "--set", "EXPERIMENT_TIME_END=2004-01-10",
         "--set=SPINUP_PERIOD=2003-12-01, 2003-12-31", "--set=CALIBRATION_PERIOD=2004-01-01, 2004-01-10",
         "--set", "EVALUATION_PERIOD=", "--set", "CHECKPOINT_INTERVAL=1000000000"]

def calib(name, args, mpi=0):
    cmd = ([ "mpirun", "-n", str(mpi)] if mpi else []) + [exe, "calibrate", "--no-progress", "--quiet",
           "--output", f"{out}/{name}"] + args
    best = None
    for _ in range(runs):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        s = json.load(open(f"{out}/{name}/bow/run_1/summary.json"))
        if best is None or s["timing"]["calibration_wall_s"] < best["timing"]["calibration_wall_s"]:
            best = s
    return best, " ".join(cmd[:-len(args)] if args else cmd)

print(f"command: {exe} calibrate [bundled example] with the settings below; best of {runs} runs each")
if "1" in sections:
    print("\n1. dispatch overhead (10-day calibration period, 20,000 candidates, batch = workers)")
    n = 20000
    base, _ = calib("d_seq", short + ["--set", f"NUMBER_OF_ITERATIONS={n}", "--set", "EXECUTION_STRATEGY=sequential"])
    t_seq = base["timing"]["calibration_wall_s"] / base["n_evaluations"]
    print(f"   sequential             {1e6*t_seq:7.2f} us/candidate (model {base['timing']['mean_eval_us']:.2f} us)")
    rows = [("threads, 1 worker", ["--set", "EXECUTION_STRATEGY=threads", "--set", "NUM_PROCESSES=1"], 0, 1),
            ("threads, 2 workers", ["--set", "NUM_PROCESSES=2"], 0, 2),
            ("processes, 1 worker", ["--set", "EXECUTION_STRATEGY=processes", "--set", "NUM_PROCESSES=1"], 0, 1),
            ("processes, 2 workers", ["--set", "EXECUTION_STRATEGY=processes", "--set", "NUM_PROCESSES=2"], 0, 2)]
    if have_mpi:
        rows.append(("mpi, 2 ranks", [], 2, 2))
    for label, extra, mpi, w in rows:
        s, _ = calib("d_" + label.replace(" ", "_").replace(",", ""), short + ["--set", f"NUMBER_OF_ITERATIONS={n}"] + extra, mpi)
        t = s["timing"]["calibration_wall_s"] / s["n_evaluations"]
        # per candidate and worker: w workers share the wall time
        over = t * w - t_seq
        print(f"   {label:22s} {1e6*t:7.2f} us/candidate wall; dispatch overhead {1e6*over:7.2f} us per candidate per worker")
if "2" in sections:
    print("\n2. parallel efficiency, 1 ms per evaluation (EVAL_DELAY_DISTRIBUTION fixed:1), 400 candidates")
    d = ["--set", "NUMBER_OF_ITERATIONS=400", "--set", "EVAL_DELAY_DISTRIBUTION=fixed:1", "--set", "CHECKPOINT_INTERVAL=1000000000"]
    s1, _ = calib("e_seq", d + ["--set", "EXECUTION_STRATEGY=sequential"])
    T1 = s1["timing"]["calibration_wall_s"]
    print(f"   sequential        {T1:.3f} s")
    for label, extra, mpi in [("threads x2", ["--set", "NUM_PROCESSES=2"], 0),
                              ("processes x2", ["--set", "EXECUTION_STRATEGY=processes", "--set", "NUM_PROCESSES=2"], 0)] + \
                             ([("mpi 2 ranks", [], 2)] if have_mpi else []):
        s, _ = calib("e_" + label.replace(" ", "_"), d + extra, mpi)
        T = s["timing"]["calibration_wall_s"]
        print(f"   {label:17s} {T:.3f} s  efficiency {T1/(2*T):.3f}  utilization {s['execution']['worker_utilization']:.3f}")
if "3" in sections:
    print("\n3. async vs sync DDS, uneven costs (lognormal:2:0.8 ms), 400 candidates, 2 workers")
    h = ["--set", "NUMBER_OF_ITERATIONS=400", "--set", "EVAL_DELAY_DISTRIBUTION=lognormal:2:0.8", "--set", "CHECKPOINT_INTERVAL=1000000000"]
    for label, extra, mpi in [("threads", ["--set", "NUM_PROCESSES=2"], 0),
                              ("processes", ["--set", "EXECUTION_STRATEGY=processes", "--set", "NUM_PROCESSES=2"], 0)] + \
                             ([("mpi 3 ranks", [], 3)] if have_mpi else []):
        res = []
        for algo in ["DDS", "ASYNC_DDS"]:
            s, _ = calib(f"h_{label.replace(' ', '_')}_{algo}", h + extra + ["--set", f"ITERATIVE_OPTIMIZATION_ALGORITHM={algo}"], mpi)
            res.append((algo, s["timing"]["calibration_wall_s"], s["execution"]["worker_utilization"],
                        s["metrics"]["calibration"]["KGE"], s["execution"]["workers"]))
        print(f"   {label:12s} " + " | ".join(f"{a}: {w:.3f} s, utilization {u:.3f}, KGE {k:.4f}, {nw} workers" for a, w, u, k, nw in res))

if "4" in sections:
    print("\n4. ASYNC_DDS, batched backend against the scalar model, 2 workers, HBV (no delay), 10,000 candidates")
    a = ["--set", "NUMBER_OF_ITERATIONS=10000", "--set", "ITERATIVE_OPTIMIZATION_ALGORITHM=ASYNC_DDS",
         "--set", "CHECKPOINT_INTERVAL=1000000000"]
    bat = ["--set", "MODEL_BACKEND=batched", "--set", "ASYNC_DDS_BATCH_SIZE=16"]
    s, _ = calib("a_seq", a + ["--set", "EXECUTION_STRATEGY=sequential", "--set", "MODEL_BACKEND=scalar"])
    base = s["timing"]["evals_per_s"]
    print(f"   sequential scalar    {base:9.0f} evals/s (the reference of the compound column)")
    for label, extra, mpi in [("threads x2", ["--set", "NUM_PROCESSES=2"], 0),
                              ("processes x2", ["--set", "EXECUTION_STRATEGY=processes", "--set", "NUM_PROCESSES=2"], 0)] + \
                             ([("mpi 3 ranks", [], 3)] if have_mpi else []):
        sc, _ = calib(f"a_{label.replace(' ', '_')}_scalar", a + extra + ["--set", "MODEL_BACKEND=scalar"], mpi)
        ba, _ = calib(f"a_{label.replace(' ', '_')}_batched", a + extra + bat, mpi)
        r_sc, r_ba = sc["timing"]["evals_per_s"], ba["timing"]["evals_per_s"]
        print(f"   {label:14s} scalar {r_sc:9.0f} evals/s | batched ({ba['execution']['model_backend']}, 8 per worker) "
              f"{r_ba:9.0f} evals/s | batched/scalar {r_ba / r_sc:5.2f}x | compound {r_ba / base:5.2f}x | "
              f"KGE {sc['metrics']['calibration']['KGE']:.4f} / {ba['metrics']['calibration']['KGE']:.4f}")
PY
