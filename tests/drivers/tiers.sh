#!/usr/bin/env bash
# Execution-tier tests of `hydroscale calibrate` (issue #3). Trajectories are compared without
# the worker column (which worker took a candidate may vary; what it computed may not).
# usage: tiers.sh EXE CONFIG OUTDIR conformance | mpi NRANKS | mpi-crash | resume | async-resume |
#        signal
set -uo pipefail
exe=$1 cfg=$2 out=$3 mode=$4
rm -rf "$out"
mkdir -p "$out"
common=(--no-progress --quiet --set NUMBER_OF_ITERATIONS=240 --set DDS_BATCH_SIZE=4)

calib() { # name, extra args...
  local name=$1; shift
  "$exe" calibrate "$cfg" "${common[@]}" --output "$out/$name" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  if [ $rc -ne 0 ]; then echo "FAIL: $name exited $rc"; cat "$out/$name.log"; exit 1; fi
}
traj() { cut -d, -f1,3- "$out/$1/bow/run_1/calibration/trajectory.csv"; }
same() { # reference, other
  if ! cmp -s <(traj "$1") <(traj "$2"); then
    echo "FAIL: trajectory of $2 differs from $1"; diff <(traj "$1") <(traj "$2") | head -5; exit 1
  fi
  echo "ok: $2 == $1"
}
backend() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['execution']['model_backend'])" \
              "$out/$1/bow/run_1/summary.json"; }
# ASYNC_DDS with the batched backend
abat=(--set ITERATIVE_OPTIMIZATION_ALGORITHM=ASYNC_DDS --set MODEL_BACKEND=batched)
rounds() { # name lanes workers: the run was evaluated in rounds of `lanes` candidates per worker
  # (dispatch numbers [r lanes, (r + 1) lanes), the last one shorter), each told as one block, in
  # dispatch order, by one worker, by `workers` distinct workers in all (0: any number). One
  # candidate at a time over 2 workers interleaves them and fails this.
  python3 - "$out/$1/bow/run_1/calibration/trajectory.csv" "$2" "$3" <<'PY' || { echo "FAIL: $1 is not in rounds of $2"; exit 1; }
import csv, sys
rows = [(r[1], int(r[-1])) for r in list(csv.reader(open(sys.argv[1])))[1:]]
lanes, workers = int(sys.argv[2]), int(sys.argv[3])
i = 0
while i < len(rows):
    w, d = rows[i]
    n = min(lanes, len(rows) - d)
    block = rows[i:i + n]
    if d % lanes or [b[1] for b in block] != list(range(d, d + n)) or {b[0] for b in block} != {w}:
        sys.exit(f"rows {i + 2}..{i + n + 1} (worker, dispatch): {block}")
    i += n
if workers and len({w for w, _ in rows}) != workers:
    sys.exit(f"{len({w for w, _ in rows})} workers told candidates, expected {workers}")
PY
  echo "ok: $1 in rounds of $2"
}
whole() { # name [evaluations]: every candidate of the budget told exactly once (after a resume too)
  local f="$out/$1/bow/run_1/calibration/trajectory.csv"
  local rows=$(($(wc -l < "$f") - 1))
  [ "$rows" -eq "${2:-241}" ] || { echo "FAIL: $rows rows in $1"; exit 1; }
  local dups=$(awk -F, 'NR > 1 { print $NF }' "$f" | sort -n | uniq -d | wc -l)
  [ "$dups" -eq 0 ] || { echo "FAIL: $dups candidates told twice in $1"; exit 1; }
}
strategy() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['execution']['strategy'])" \
               "$out/$1/bow/run_1/summary.json"; }

case "$mode" in
conformance)
  calib seq --set EXECUTION_STRATEGY=sequential
  for w in 1 2 3; do calib thr$w --set EXECUTION_STRATEGY=threads --set NUM_PROCESSES=$w; same seq thr$w; done
  for w in 2 3; do calib proc$w --set EXECUTION_STRATEGY=processes --set NUM_PROCESSES=$w; same seq proc$w; done
  # the batched SIMD backend (exact mode) gives the same trajectory as the scalar model
  calib bat1 --set EXECUTION_STRATEGY=sequential --set MODEL_BACKEND=batched; same seq bat1
  calib bat2 --set NUM_PROCESSES=2 --set MODEL_BACKEND=batched; same seq bat2
  python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['execution']; assert e['model_backend']=='batched', e" \
    "$out/bat2/bow/run_1/summary.json" || { echo "FAIL: backend not batched"; exit 1; }
  # forked workers get contiguous shares of each batch, one batched run each
  for w in 2 3; do
    calib pbat$w --set EXECUTION_STRATEGY=processes --set NUM_PROCESSES=$w --set MODEL_BACKEND=batched
    same seq pbat$w
    [ "$(backend pbat$w)" = batched ] || { echo "FAIL: processes backend $(backend pbat$w)"; exit 1; }
  done
  # and so does the batched GR4J kernel
  calib g4seq --set EXECUTION_STRATEGY=sequential --set HYDROLOGICAL_MODEL=GR4J
  calib g4bat1 --set EXECUTION_STRATEGY=sequential --set HYDROLOGICAL_MODEL=GR4J --set MODEL_BACKEND=batched
  same g4seq g4bat1
  calib g4bat2 --set NUM_PROCESSES=2 --set HYDROLOGICAL_MODEL=GR4J --set MODEL_BACKEND=batched
  same g4seq g4bat2
  python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['execution']; assert e['model_backend']=='batched', e" \
    "$out/g4bat2/bow/run_1/summary.json" || { echo "FAIL: GR4J backend not batched"; exit 1; }
  # the other models run a batch as the HRUs of one multi-HRU model: the same bits as scalar
  for m in FUSE HYPE; do
    calib ${m}seq --set EXECUTION_STRATEGY=sequential --set HYDROLOGICAL_MODEL=$m --set NUMBER_OF_ITERATIONS=60
    calib ${m}bat --set NUM_PROCESSES=2 --set HYDROLOGICAL_MODEL=$m --set MODEL_BACKEND=batched \
      --set NUMBER_OF_ITERATIONS=60
    same ${m}seq ${m}bat
    [ "$(backend ${m}bat)" = batched ] || { echo "FAIL: $m backend $(backend ${m}bat)"; exit 1; }
    # auto keeps the scalar model for them (no kernel of their own)
    calib ${m}auto --set NUM_PROCESSES=2 --set HYDROLOGICAL_MODEL=$m --set DDS_BATCH_SIZE=32 \
      --set NUMBER_OF_ITERATIONS=64
    [ "$(backend ${m}auto)" = scalar ] || { echo "FAIL: auto picked $(backend ${m}auto) for $m"; exit 1; }
  done
  [ "$(strategy thr2)" = threads ] && [ "$(strategy proc3)" = processes ] || { echo "FAIL: strategy"; exit 1; }
  # auto: NUM_PROCESSES 2 picks threads; the scratch directories of processes are gone
  calib auto2 --set NUM_PROCESSES=2
  [ "$(strategy auto2)" = threads ] || { echo "FAIL: auto with 2 workers is $(strategy auto2)"; exit 1; }
  [ ! -e "$out/proc2/bow/run_1/scratch" ] || { echo "FAIL: scratch left behind"; exit 1; }
  calib keep --set EXECUTION_STRATEGY=processes --set NUM_PROCESSES=2 --set KEEP_SCRATCH=true
  [ -f "$out/keep/bow/run_1/scratch/worker_02/config.yaml" ] || { echo "FAIL: KEEP_SCRATCH"; exit 1; }
  ;;
mpi)
  n=$5
  calib seq --set EXECUTION_STRATEGY=sequential
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
  export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  mpiexec=${MPIEXEC:-mpirun}
  # a hung job fails this test in 2 minutes with its log (exit 124) instead of at ctest's limit
  mpirun_limited() { timeout -k 5 120 "$mpiexec" "$@"; }
  if ! mpirun_limited -n "$n" "$exe" calibrate "$cfg" "${common[@]}" --output "$out/mpi$n" > "$out/mpi$n.log" 2>&1; then
    echo "FAIL: mpirun -n $n"; cat "$out/mpi$n.log"; exit 1
  fi
  same seq "mpi$n"
  [ "$(strategy mpi$n)" = mpi ] || { echo "FAIL: strategy $(strategy mpi$n)"; exit 1; }
  # mpi x batched: each rank evaluates its share of a batch with the SIMD kernel
  if ! mpirun_limited -n "$n" "$exe" calibrate "$cfg" "${common[@]}" --output "$out/mpib$n" \
       --set MODEL_BACKEND=batched > "$out/mpib$n.log" 2>&1; then
    echo "FAIL: mpirun -n $n batched"; cat "$out/mpib$n.log"; exit 1
  fi
  same seq "mpib$n"
  # ASYNC_DDS with batched rounds: rank 0 coordinates, n - 1 worker ranks hold 8 / (n - 1)
  # candidates each. With one worker rank (n = 2) there is one completion order: the trajectory
  # is the sequential one, interrupted and resumed or not.
  mpicalib() { # name, extra args...
    local name=$1; shift
    mpirun_limited -n "$n" "$exe" calibrate "$cfg" "${common[@]}" --output "$out/$name" "$@" > "$out/$name.log" 2>&1
  }
  aextra=("${abat[@]}" --set ASYNC_DDS_BATCH_SIZE=8 --set CHECKPOINT_INTERVAL=25 --set CHECKPOINT_MIN_SECONDS=0)
  calib aseq --set EXECUTION_STRATEGY=sequential "${aextra[@]}"
  mpicalib mpia$n "${aextra[@]}" || { echo "FAIL: mpirun -n $n async batched"; cat "$out/mpia$n.log"; exit 1; }
  [ "$(backend mpia$n)" = batched ] || { echo "FAIL: mpi async backend $(backend mpia$n)"; exit 1; }
  whole mpia$n
  if [ "$n" -eq 2 ]; then same aseq mpia2; else rounds mpia$n $(((8 + n - 2) / (n - 1))) $((n - 1)); fi
  HS_TEST_STOP_AFTER=120 mpicalib mpiar$n "${aextra[@]}"
  rc=$?
  [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "interrupted after [0-9]* of 241 evaluations; checkpoint written" "$out/mpiar$n.log" ||
    { echo "FAIL: mpi async interruption"; cat "$out/mpiar$n.log"; exit 1; }
  mpicalib mpiar$n --resume "${aextra[@]}" || { echo "FAIL: mpi async resume"; cat "$out/mpiar$n.log"; exit 1; }
  whole mpiar$n
  [ "$n" -ne 2 ] || same mpia2 mpiar2
  echo "ok: mpi async batched resume"
  if [ "$n" -gt 2 ]; then
    # a rank killed in its 6th round ends the job; the last checkpoint holds candidates in flight
    HS_TEST_CRASH_WORKER=2:6 timeout 60 "$mpiexec" -n "$n" "$exe" calibrate "$cfg" "${common[@]}" \
        --output "$out/mpiac$n" "${aextra[@]}" > "$out/mpiac$n.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "FAIL: rank crash exit $rc (124 = hung)"; cat "$out/mpiac$n.log"; exit 1; }
    grep -q "^inflight " "$out/mpiac$n/bow/run_1/calibration/checkpoint.txt" ||
      { echo "FAIL: no candidate in flight in the checkpoint"; exit 1; }
    mpicalib mpiac$n --resume "${aextra[@]}" || { echo "FAIL: resume after a rank crash"; cat "$out/mpiac$n.log"; exit 1; }
    whole mpiac$n
    echo "ok: mpi async batched resume after a rank crash, with candidates in flight"
  fi
  ;;
resume)
  # an interruption after 100 evaluations (test hook) then --resume ends where an uninterrupted
  # run ends, bit for bit
  calib full --set NUM_PROCESSES=2 --set CHECKPOINT_INTERVAL=30 --set CHECKPOINT_MIN_SECONDS=0
  HS_TEST_STOP_AFTER=100 "$exe" calibrate "$cfg" "${common[@]}" --output "$out/cut" \
      --set NUM_PROCESSES=2 --set CHECKPOINT_INTERVAL=30 --set CHECKPOINT_MIN_SECONDS=0 > "$out/cut.log" 2>&1
  rc=$?
  [ $rc -eq 1 ] || { echo "FAIL: interrupted run exited $rc"; cat "$out/cut.log"; exit 1; }
  grep -q "interrupted after 100 of 241 evaluations; checkpoint written" "$out/cut.log" || {
    echo "FAIL: message"; cat "$out/cut.log"; exit 1; }
  [ ! -e "$out/cut/bow/run_1/summary.json" ] || { echo "FAIL: outputs of an interrupted run"; exit 1; }
  calib cut --resume --set NUM_PROCESSES=2 --set CHECKPOINT_INTERVAL=30 --set CHECKPOINT_MIN_SECONDS=0
  same full cut
  [ ! -e "$out/cut/bow/run_1/calibration/checkpoint.txt" ] || { echo "FAIL: checkpoint left"; exit 1; }
  # a resume with other settings is refused with the reason
  HS_TEST_STOP_AFTER=50 "$exe" calibrate "$cfg" "${common[@]}" --output "$out/cut2" > /dev/null 2>&1
  "$exe" calibrate "$cfg" "${common[@]}" --output "$out/cut2" --resume --set RANDOM_SEED=7 > "$out/bad.log" 2>&1
  rc=$?
  [ $rc -ne 0 ] && grep -q "differ from this run's" "$out/bad.log" || { echo "FAIL: mismatched resume"; cat "$out/bad.log"; exit 1; }
  # periodic checkpoints come at most once per CHECKPOINT_MIN_SECONDS: none in a run shorter
  # than it, one per 10 evaluations without the floor
  calib ck1 --set CHECKPOINT_INTERVAL=10 --set CHECKPOINT_MIN_SECONDS=1000
  calib ck0 --set CHECKPOINT_INTERVAL=10 --set CHECKPOINT_MIN_SECONDS=0
  python3 - "$out/ck1/bow/run_1/summary.json" "$out/ck0/bow/run_1/summary.json" <<'PY' ||
import json, sys
floor, none = (json.load(open(p))["io"]["checkpoints"]["write_ops"] for p in sys.argv[1:])
assert floor == 0 and none >= 20, (floor, none)
PY
    { echo "FAIL: CHECKPOINT_MIN_SECONDS"; exit 1; }
  echo "ok: resume"
  ;;
async-resume)
  # scalar, then the batched backend refilling 8 candidates per worker (16 outstanding)
  for v in a b; do
    extra=(--set NUM_PROCESSES=2 --set ITERATIVE_OPTIMIZATION_ALGORITHM=ASYNC_DDS --set CHECKPOINT_INTERVAL=25 --set CHECKPOINT_MIN_SECONDS=0)
    [ $v = b ] && extra+=(--set MODEL_BACKEND=batched --set ASYNC_DDS_BATCH_SIZE=16)
    HS_TEST_STOP_AFTER=120 "$exe" calibrate "$cfg" "${common[@]}" --output "$out/$v" "${extra[@]}" > "$out/$v.log" 2>&1
    [ $? -eq 1 ] || { echo "FAIL: async interruption ($v)"; cat "$out/$v.log"; exit 1; }
    calib $v --resume "${extra[@]}"
    rows=$(($(wc -l < "$out/$v/bow/run_1/calibration/trajectory.csv") - 1))
    [ "$rows" -eq 241 ] || { echo "FAIL: $rows rows after an async resume ($v)"; exit 1; }
    # every candidate dispatched exactly once
    dups=$(awk -F, 'NR > 1 { print $NF }' "$out/$v/bow/run_1/calibration/trajectory.csv" | sort -n | uniq -d | wc -l)
    [ "$dups" -eq 0 ] || { echo "FAIL: $dups candidates told twice ($v)"; exit 1; }
    echo "ok: async resume ($v)"
  done
  python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['execution']; assert e['model_backend']=='batched', e" \
    "$out/b/bow/run_1/summary.json" || { echo "FAIL: async backend not batched"; exit 1; }
  # sequential ASYNC_DDS with batched refills is deterministic, and its best objective is what
  # the scalar final run reproduces (check_outputs.py does that for the e2e runs)
  for v in s1 s2; do
    calib $v --set EXECUTION_STRATEGY=sequential --set ITERATIVE_OPTIMIZATION_ALGORITHM=ASYNC_DDS \
      --set MODEL_BACKEND=batched --set ASYNC_DDS_BATCH_SIZE=8
  done
  same s1 s2
  # one worker on any tier has one completion order: the same rounds of 8, the same trajectory
  calib t1 --set EXECUTION_STRATEGY=threads --set NUM_PROCESSES=1 "${abat[@]}" --set ASYNC_DDS_BATCH_SIZE=8
  same s1 t1
  calib p1 --set EXECUTION_STRATEGY=processes --set NUM_PROCESSES=1 "${abat[@]}" --set ASYNC_DDS_BATCH_SIZE=8
  same s1 p1
  [ "$(backend p1)" = batched ] || { echo "FAIL: processes async backend $(backend p1)"; exit 1; }
  # two workers: completion order (so the trajectory) may differ between runs and tiers, but on
  # threads and processes alike each worker holds 16 / 2 = 8 candidates, told together
  calib t2 --set EXECUTION_STRATEGY=threads --set NUM_PROCESSES=2 "${abat[@]}" --set ASYNC_DDS_BATCH_SIZE=16
  rounds t2 8 0  # a thread started late may find every round taken: its count is not checked
  calib p2 --set EXECUTION_STRATEGY=processes --set NUM_PROCESSES=2 "${abat[@]}" --set ASYNC_DDS_BATCH_SIZE=16
  rounds p2 8 2; whole p2
  # forked workers, batched rounds: an interruption, then --resume
  pextra=(--set EXECUTION_STRATEGY=processes --set NUM_PROCESSES=2 "${abat[@]}" --set ASYNC_DDS_BATCH_SIZE=16
          --set CHECKPOINT_INTERVAL=25 --set CHECKPOINT_MIN_SECONDS=0)
  HS_TEST_STOP_AFTER=120 "$exe" calibrate "$cfg" "${common[@]}" --output "$out/pr" "${pextra[@]}" > "$out/pr.log" 2>&1
  [ $? -eq 1 ] && grep -q "interrupted after [0-9]* of 241 evaluations; checkpoint written" "$out/pr.log" ||
    { echo "FAIL: processes async interruption"; cat "$out/pr.log"; exit 1; }
  calib pr --resume "${pextra[@]}"
  whole pr
  echo "ok: processes async batched resume"
  # a worker killed in its 6th round: the last checkpoint holds candidates in flight (the other
  # worker's round at least), and --resume evaluates them again
  HS_TEST_CRASH_WORKER=2:6 "$exe" calibrate "$cfg" "${common[@]}" --output "$out/pc" "${pextra[@]}" > "$out/pc.log" 2>&1
  rc=$?
  [ $rc -eq 1 ] && grep -q "worker 2 (scratch .*worker_02) was killed by signal 9 while evaluating candidate [0-9]* (and 7 more of its batch)" "$out/pc.log" ||
    { echo "FAIL: crash of a batched worker (exit $rc)"; cat "$out/pc.log"; exit 1; }
  grep -q "^inflight " "$out/pc/bow/run_1/calibration/checkpoint.txt" ||
    { echo "FAIL: no candidate in flight in the checkpoint"; exit 1; }
  calib pc --resume "${pextra[@]}"
  whole pc
  echo "ok: processes async batched resume after a worker crash, with candidates in flight"
  ;;
signal)
  # a real SIGINT (as ^C sends) and SIGTERM: checkpoint, clean exit with a message; the resumed
  # run ends where an uninterrupted one ends. 1 ms of spin per evaluation makes the run last ~1 s.
  slow=(--set NUMBER_OF_ITERATIONS=800 --set DDS_BATCH_SIZE=2 --set EVAL_DELAY_DISTRIBUTION=fixed:1)
  "$exe" calibrate "$cfg" "${common[@]}" "${slow[@]}" --output "$out/full" > "$out/full.log" 2>&1 ||
    { echo "FAIL: uninterrupted run"; cat "$out/full.log"; exit 1; }
  for sig in INT TERM; do
    "$exe" calibrate "$cfg" "${common[@]}" "${slow[@]}" --output "$out/$sig" > "$out/$sig.log" 2>&1 &
    pid=$!
    sleep 0.4
    kill -s "$sig" "$pid"
    wait "$pid"
    rc=$?
    if [ $rc -eq 0 ]; then echo "note: the run ended before SIG$sig arrived; nothing to test"; continue; fi
    [ $rc -eq 1 ] && grep -q "interrupted after [0-9]* of 801 evaluations; checkpoint written" "$out/$sig.log" ||
      { echo "FAIL: SIG$sig exit $rc"; cat "$out/$sig.log"; exit 1; }
    "$exe" calibrate "$cfg" "${common[@]}" "${slow[@]}" --output "$out/$sig" --resume > "$out/$sig.2.log" 2>&1 ||
      { echo "FAIL: resume after SIG$sig"; cat "$out/$sig.2.log"; exit 1; }
    same full "$sig"
  done
  # forked workers holding batched async rounds: SIGINT lets the rounds in flight finish, then
  # checkpoints; the resumed run tells every candidate once
  pa=("${slow[@]}" --set EXECUTION_STRATEGY=processes --set NUM_PROCESSES=2 "${abat[@]}" --set ASYNC_DDS_BATCH_SIZE=16)
  "$exe" calibrate "$cfg" "${common[@]}" "${pa[@]}" --output "$out/pa" > "$out/pa.log" 2>&1 &
  pid=$!
  sleep 0.4
  kill -s INT "$pid"
  wait "$pid"
  rc=$?
  if [ $rc -eq 0 ]; then echo "note: the processes run ended before SIGINT arrived; nothing to test"; exit 0; fi
  [ $rc -eq 1 ] && grep -q "interrupted after [0-9]* of 801 evaluations; checkpoint written" "$out/pa.log" ||
    { echo "FAIL: processes async SIGINT exit $rc"; cat "$out/pa.log"; exit 1; }
  "$exe" calibrate "$cfg" "${common[@]}" "${pa[@]}" --output "$out/pa" --resume > "$out/pa.2.log" 2>&1 ||
    { echo "FAIL: resume after SIGINT (processes async)"; cat "$out/pa.2.log"; exit 1; }
  whole pa 801
  [ ! -e "$out/pa/bow/run_1/scratch" ] || { echo "FAIL: scratch left behind"; exit 1; }
  echo "ok: processes async batched SIGINT and resume"
  ;;
mpi-crash)
  # a rank that dies ends the whole job promptly with an error (no hang)
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
  export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  HS_TEST_CRASH_WORKER=1 timeout 60 "${MPIEXEC:-mpirun}" -n 2 "$exe" calibrate "$cfg" "${common[@]}" \
      --output "$out/crash" > "$out/crash.log" 2>&1
  rc=$?
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "FAIL: exit $rc (124 = hung)"; cat "$out/crash.log"; exit 1; }
  [ ! -e "$out/crash/bow/run_1/summary.json" ] || { echo "FAIL: outputs of a failed run"; exit 1; }
  echo "ok: a dead rank stops the job (exit $rc)"
  ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
