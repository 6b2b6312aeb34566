"""check_domain.py OUT -- the domain.nc files of domain_bow.sh open in xarray (CF attributes,
docs-interface.md §4 names) and hold a consistent domain: HRU areas add up to the basin area
(within 5 % of the gauge's 2,210 km2), every HRU in one GRU, every segment reaches the outlet.
Exit 77 (skipped) without xarray/netCDF4."""
import importlib.util
import sys

if importlib.util.find_spec("xarray") is None or importlib.util.find_spec("netCDF4") is None:
    sys.exit(77)
import numpy as np
import xarray as xr

expected = {"lumped": (1, 1), "elevation_bands": (1, 12), "semi_distributed": (49, 379),
            "distributed": (None, None)}
for method, (n_gru, n_hru) in expected.items():
    ds = xr.open_dataset(f"{sys.argv[1]}/bow_{method}/domain/domain.nc")
    assert ds.attrs["Conventions"] == "CF-1.8"
    assert ds.attrs["discretization"] == method
    for v in ("hruId", "gruId", "hru2gru", "area", "elev_mean", "lat", "lon", "segId",
              "downSegId", "length", "slope", "hruSegId"):
        assert v in ds.variables, (method, v)
    assert ds.area.attrs["units"] == "m2" and ds.length.attrs["units"] == "m"
    assert ds.lat.attrs["units"] == "degrees_north"
    area_km2 = float(ds.area.sum()) / 1e6
    assert abs(area_km2 - ds.attrs["basin_area_km2"]) < 1e-6 * area_km2, area_km2
    assert abs(area_km2 - 2210) < 0.05 * 2210, area_km2
    if n_gru is not None:
        assert ds.sizes["gru"] == n_gru and ds.sizes["hru"] == n_hru, dict(ds.sizes)
    assert set(np.unique(ds.hru2gru.values)) == set(ds.gruId.values)
    down = dict(zip(ds.segId.values.tolist(), ds.downSegId.values.tolist()))
    assert list(down.values()).count(0) == 1
    for s in down:
        steps = 0
        while s != 0:
            s = down[s]
            steps += 1
            assert steps <= len(down), f"{method}: cycle in the network"
    assert bool((ds.slope > 0).all()) and bool((ds.length > 0).all())
    assert 51.0 < float(ds.lat.mean()) < 51.7 and -116.6 < float(ds.lon.mean()) < -115.5
    print(f"{method}: {dict(ds.sizes)}, {area_km2:.1f} km2")
