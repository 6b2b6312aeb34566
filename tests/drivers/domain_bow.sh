#!/usr/bin/env bash
# domain_bow.sh EXE TESTDATA OUT -- `hydroscale domain` on the four Bow at Banff configs: exit 0,
# the three files of docs-interface.md §3 (and no temporary file left), the GeoPackage opens
# with ogrinfo and holds the gru, hru and rivers layers (skipped with 77 without ogrinfo).
set -u
exe="$1"; data="$2"; out="$3"
rm -rf "$out"
status=0
for m in lumped elevation_bands semi_distributed distributed; do
  if ! "$exe" domain "$data/bow/domain_$m.yaml" --output "$out"; then
    echo "FAIL: domain $m exited non-zero"; status=1; continue
  fi
  dir="$out/bow_$m/domain"
  for f in domain.nc domain.gpkg domain.png; do
    [ -s "$dir/$f" ] || { echo "FAIL: $dir/$f missing"; status=1; }
  done
  if ls -A "$dir" | grep -q '^\.'; then echo "FAIL: temporary files left in $dir"; ls -A "$dir"; status=1; fi
done
if ! command -v ogrinfo >/dev/null; then echo "ogrinfo not installed: GeoPackage check skipped"; exit $(( status ? 1 : 77 )); fi
for m in lumped semi_distributed distributed; do
  info=$(ogrinfo -ro -q "$out/bow_$m/domain/domain.gpkg") || { echo "FAIL: ogrinfo $m"; status=1; continue; }
  for layer in "gru (Multi Polygon)" "hru (Multi Polygon)" "rivers (Line String)"; do
    printf '%s\n' "$info" | grep -qF "$layer" || { echo "FAIL: $m: no layer $layer"; printf '%s\n' "$info"; status=1; }
  done
done
n=$(ogrinfo -ro -so "$out/bow_semi_distributed/domain/domain.gpkg" hru | sed -n 's/^Feature Count: //p')
[ "$n" = 379 ] || { echo "FAIL: semi_distributed hru layer has '$n' features, expected 379"; status=1; }
exit $status
