#!/usr/bin/env bash
# Runs on the Bow domains built by e2e_domain_bow (issue 6 coupling): a routed semi-distributed
# calibration; routing conserves the water (IRF and KWT against unrouted sums); a lumped domain
# with routing off equals the plain lumped model given the same area and elevation, bit for bit.
# usage: domain_run.sh EXE TESTDATA DOMAIN_OUT OUT
set -uo pipefail
exe=$1 data=$2 dom=$3 out=$4
rm -rf "$out"
fail() { echo "FAIL: $*"; exit 1; }
semi="$data/bow/domain_semi_distributed.yaml"
[ -f "$dom/bow_semi_distributed/domain/domain.nc" ] || { echo "domains not built"; exit 1; }
"$exe" calibrate "$semi" --output "$dom" --no-progress --set EXPERIMENT_ID=routed \
    --set NUMBER_OF_ITERATIONS=10 > "$out.log" 2>&1 || { cat "$out.log"; fail "routed calibration"; }
for r in none IRF KWT; do
  "$exe" run "$semi" --output "$dom" --set EXPERIMENT_ID=run_$r --set ROUTING_MODEL=$r \
      > "$out.$r.log" 2>&1 || { cat "$out.$r.log"; fail "run $r"; }
done
"$exe" run "$data/bow/domain_lumped.yaml" --output "$dom" --set EXPERIMENT_ID=lumped_domain \
    > "$out.ld.log" 2>&1 || { cat "$out.ld.log"; fail "lumped domain run"; }
/usr/bin/python3 - "$dom" "$exe" "$data" "$out" <<'PY' || exit 1
import json, subprocess, sys
import numpy as np, xarray as xr
dom, exe, data, out = sys.argv[1:5]
s = json.load(open(f"{dom}/bow_semi_distributed/routed/summary.json"))
d = s["domain"]
assert d["n_hru"] == 379 and d["n_seg"] == 49 and d["routing"] == "IRF", d
ds = xr.open_dataset(f"{dom}/bow_semi_distributed/routed/run/streamflow.nc")
assert ds.sizes["seg"] == 49 and "q_seg" in ds and float(ds.q_seg.min()) >= 0
# the outlet's q_sim is its segment's q_seg
outlet = int(np.argmax(ds.q_seg.mean("time").values))
assert np.array_equal(ds.q_sim.values, ds.q_seg.values[:, outlet])
vol = {}
for r in ["none", "IRF", "KWT"]:
    q = xr.open_dataset(f"{dom}/bow_semi_distributed/run_{r}/run/streamflow.nc").q_sim.values
    vol[r] = q.sum()
for r in ["IRF", "KWT"]:
    rel = abs(vol[r] - vol["none"]) / vol["none"]
    print(f"volume routed {r} vs unrouted: relative difference {rel:.2e} (water still in transit)")
    assert rel < 1e-3, (r, rel)
# lumped domain, routing off == plain lumped model with the domain's area and elevation
nc = xr.open_dataset(f"{dom}/bow_lumped/domain/domain.nc")
area_km2 = float(nc.area.sum()) / 1e6
elev = float(nc.elev_mean.values[0])
subprocess.run([exe, "run", f"{data}/bow/config.yaml", "--output", out + "/plain",
                "--set", f"BASIN_AREA_KM2={area_km2!r}", "--set", f"HRU_ELEVATION={elev!r}"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
a = xr.open_dataset(f"{dom}/bow_lumped/lumped_domain/run/streamflow.nc").q_sim.values
b = xr.open_dataset(f"{out}/plain/bow/run_1/run/streamflow.nc").q_sim.values
assert np.array_equal(a, b), np.abs(a - b).max()
print(f"lumped domain == lumped model (area {area_km2:.1f} km2, elevation {elev:.0f} m): identical")
PY
# gridded ERA5 forcing remapped to the 379 HRUs: weights sum to 1 per HRU, the run completes
"$exe" run "$semi" --output "$dom" --set EXPERIMENT_ID=era5 \
    --set FORCING_FILE="$data/era5/domain_Bow_at_Banff_ERA5_merged_200401.nc" \
    "--set=FORCING_VARIABLES={precip: pptrate, temp: airtemp}" --set PET_METHOD=oudin \
    --set EXPERIMENT_TIME_START=2004-01-01 --set EXPERIMENT_TIME_END=2004-01-31 --set SPINUP_PERIOD= \
    "--set=CALIBRATION_PERIOD=2004-01-01, 2004-01-31" --set EVALUATION_PERIOD= > "$out.era5.log" 2>&1 ||
  { cat "$out.era5.log"; fail "ERA5 run"; }
/usr/bin/python3 - "$dom/bow_semi_distributed/domain/remap_domain_Bow_at_Banff_ERA5_merged_200401.csv" <<'PY' || exit 1
import csv, sys
from collections import defaultdict
s = defaultdict(float)
for r in csv.DictReader(open(sys.argv[1])):
    s[r["hru"]] += float(r["weight"])
assert len(s) == 379, len(s)
assert all(abs(v - 1) < 1e-12 for v in s.values()), max(abs(v - 1) for v in s.values())
print(f"ERA5 remap: weights of all {len(s)} HRUs sum to 1")
PY
echo "ok: routed domain runs"
