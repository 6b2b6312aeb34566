#!/usr/bin/env bash
# `hydroscale scaling --quick` on every study file of experiments/ (issue #8): each produces its
# table and figure; the Gantt bars are the recorded start/end times; the SLURM scripts pass
# `bash -n` and hold one task per run; `hydroscale ensemble` runs configs given on the line.
# usage: study.sh EXE SOURCE_DIR OUTDIR
set -uo pipefail
exe=$1 src=$2 out=$3
rm -rf "$out"
fail() { echo "FAIL: $*"; exit 1; }
for s in strong_threads strong_mpi async_vs_sync backends weak ensemble; do
  if [ "$s" = strong_mpi ] && { ! command -v mpirun > /dev/null || ! "$exe" --version | grep -q 'MPI on'; }; then
    echo "skip $s (no MPI build or no mpirun)"; continue
  fi
  "$exe" scaling "$src/experiments/$s.yaml" --quick --model --output "$out" > "$out.$s.log" 2>&1 ||
    { cat "$out.$s.log"; fail "study $s"; }
  d="$out/$s"
  [ -s "$d/table.csv" ] && [ -s "$d/table.md" ] || fail "$s: no table"
  ls "$d"/*.png > /dev/null 2>&1 || fail "$s: no figure"
  for png in "$d"/*.png; do
    head -c 8 "$png" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' || fail "$png is not a PNG"
  done
  grep -q "^# machine: " "$d/table.csv" || fail "$s: no machine line in table.csv"
  echo "ok: $s ($(grep -vc '^#' "$d/table.csv") table lines)"
done
# Gantt data = table.csv start/end, member by member
python3 - "$out/ensemble" <<'PY' || fail "Gantt bars differ from the recorded times"
import csv, sys, glob
d = sys.argv[1]
rows = [r for r in csv.DictReader(l for l in open(d + "/table.csv") if not l.startswith("#"))]
for mode in sorted({r["mode"] for r in rows}):
    bars = [l.split() for l in open(f"{d}/gantt_{mode}.dat")]
    mine = [r for r in rows if r["mode"] == mode]
    assert len(bars) == len(mine), (mode, len(bars), len(mine))
    for b, r in zip(bars, mine):
        assert b[3] == r["member"], (b, r)
        assert abs(float(b[1]) - float(r["start_s"])) < 1e-5 and abs(float(b[2]) - float(r["end_s"])) < 1e-5, (b, r)
    if mode == "sequential":  # one after another
        for a, b in zip(mine, mine[1:]):
            assert float(b["start_s"]) >= float(a["end_s"]) - 1e-6
    else:                     # all at once
        assert max(float(r["start_s"]) for r in mine) < min(float(r["end_s"]) for r in mine)
print("ok: Gantt bars match the recorded start and end times")
PY
# SLURM: one array task per non-MPI run, one script per MPI run, all valid bash
"$exe" scaling "$src/experiments/strong_mpi.yaml" --emit-slurm --output "$out/slurm" > "$out.slurm.log" 2>&1 ||
  { cat "$out.slurm.log"; fail "emit-slurm"; }
arr="$out/slurm/strong_mpi/slurm/strong_mpi_array.sbatch"
[ -f "$arr" ] || fail "no array script"
for f in "$out"/slurm/strong_mpi/slurm/*.sbatch; do bash -n "$f" || fail "bash -n $f"; done
tasks=$(grep -cE '^  [0-9]+\) ' "$arr")
# strong_mpi: 3 strategies x 4 workers; mpi with 2, 4, 8 ranks go to their own scripts
[ "$tasks" -eq 9 ] || fail "$tasks array tasks, expected 9"
grep -q -- '--array=0-8' "$arr" || fail "array range"
nmpi=$(ls "$out"/slurm/strong_mpi/slurm/strong_mpi_mpi_w*.sbatch | wc -l)
[ "$nmpi" -eq 3 ] || fail "$nmpi MPI scripts, expected 3"
grep -q 'srun -n 8' "$out/slurm/strong_mpi/slurm/strong_mpi_mpi_w8.sbatch" || fail "srun line"
[ ! -e "$out/slurm/strong_mpi/runs" ] || fail "--emit-slurm ran something"
echo "ok: SLURM scripts ($tasks array tasks, $nmpi MPI scripts)"
# ensemble from the command line
"$exe" ensemble "$src/testdata/bow/config.yaml" "$src/testdata/durance/config.yaml" --mode parallel \
    --set NUMBER_OF_ITERATIONS=20 --output "$out/cli" > "$out.cli.log" 2>&1 || { cat "$out.cli.log"; fail "ensemble"; }
[ -f "$out/cli/ensemble/gantt_parallel.png" ] || fail "ensemble: no Gantt chart"
echo "ok: hydroscale ensemble"
