#!/usr/bin/env bash
# Every model calibrates through the CLI on the bundled Bow and Durance examples (issue #4) with
# a sensible KGE: 200 DDS iterations, calibration KGE >= MIN (0.6). Prints each KGE.
# usage: models.sh EXE TESTDATA OUTDIR [MIN_KGE]
set -uo pipefail
exe=$1 data=$2 out=$3 min=${4:-0.6}
rm -rf "$out"
status=0
run() { # label config model
  local label=$1 cfg=$2 model=$3
  "$exe" calibrate "$cfg" --no-progress --quiet --output "$out/$label" --set NUMBER_OF_ITERATIONS=200 \
      --set HYDROLOGICAL_MODEL="$model" > "$out.$label.log" 2>&1
  local rc=$?
  local line
  line=$(python3 - "$out/$label" "$min" "$label" <<'PY'
import glob, json, sys
d, lo, label = sys.argv[1], float(sys.argv[2]), sys.argv[3]
s = json.load(open(glob.glob(d + "/*/*/summary.json")[0]))
kc, ke = s["metrics"]["calibration"]["KGE"], s["metrics"]["evaluation"]["KGE"]
print(f"{label:28s} calibration KGE {kc:.4f}  evaluation KGE {ke:.4f}  ({s['timing']['mean_eval_us']:.0f} us/eval)")
sys.exit(0 if kc is not None and kc >= lo else 1)
PY
)
  local ok=$?
  echo "$line"
  if [ $rc -ne 0 ] || [ $ok -ne 0 ]; then echo "FAIL: $label (exit $rc)"; cat "$out.$label.log"; status=1; fi
}
mkdir -p "$(dirname "$out")"
for m in HBV FUSE HYPE; do run "bow_$m" "$data/bow/config.yaml" "$m"; done
run bow_GR4J_CemaNeige "$data/bow/gr4j_cemaneige.yaml" GR4J_CemaNeige
for m in HBV FUSE HYPE GR4J_CemaNeige; do run "durance_$m" "$data/durance/config.yaml" "$m"; done
exit $status
