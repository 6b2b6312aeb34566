#!/usr/bin/env bash
# End-to-end benchmark: `hydroscale calibrate` on the bundled example (1,000 DDS iterations),
# wall-clock time of the whole command (start-up, reading the forcing, calibration, final run,
# every output file and the plot). Prints each run and the median.
# usage: bench/bench_calibrate.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build="${1:-build}"
runs="${2:-7}"
exe="$build/drivers/hydroscale"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 - "$exe" "$out" "$runs" <<'PY'
import json, statistics, subprocess, sys, time
exe, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmd = [exe, "calibrate", "--no-progress", "--quiet", "--output", out]
walls = []
for _ in range(runs):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    walls.append(time.perf_counter() - t0)
print("command: " + " ".join(cmd[:-1]) + " DIR   (runs: %d)" % runs)
print("wall times (s): " + " ".join("%.3f" % w for w in walls))
print("median wall time: %.3f s" % statistics.median(walls))
s = json.load(open(out + "/bow/run_1/summary.json"))
t, io = s["timing"], s["io"]
print(f"calibration loop: {s['n_evaluations']} evaluations, {t['evals_per_s']:.0f} evals/s, "
      f"{t['mean_eval_us']:.1f} us/eval, serial fraction {t['serial_fraction']:.4f}")
print(f"I/O in the calibration loop: {io['calibration_loop']}")
print(f"I/O of the whole run: read {io['read_bytes']} B in {io['read_ops']} ops, "
      f"wrote {io['write_bytes']} B in {io['write_ops']} ops; peak RSS {s['memory']['peak_rss_mb']:.1f} MiB")
PY
