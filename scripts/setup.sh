#!/usr/bin/env bash
# Installs hydroscale's build dependencies on Debian 12 (apt-get, only what is missing; uses sudo
# when not root), then configures and builds into ./build (or $HS_BUILD_DIR).
# Environment: CI=true turns warnings into errors; HS_CMAKE_ARGS adds CMake arguments.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake gcc make pkg-config libc6-dev libyaml-dev libcjson-dev libnetcdf-dev libhdf5-dev
          libgdal-dev libproj-dev gnuplot-nox python3 python3-xarray python3-netcdf4
          libopenmpi-dev openmpi-bin gdal-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir="${HS_BUILD_DIR:-build}"
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHS_WARNINGS_AS_ERRORS="$werror" \
      ${HS_CMAKE_ARGS:-} > "$build_dir.configure.log" 2>&1 || { cat "$build_dir.configure.log"; exit 1; }
cmake --build "$build_dir" -j "$(nproc)"
