#!/usr/bin/env bash
# Installs the Debian 12 packages pjd needs to build, test and run.
# Does nothing when every package is already installed.
# Usage: install-deps.sh [--qgis]   --qgis also installs QGIS (about 2 GB) for the QGIS
#                                    provider and its tests (CI passes it).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libhdf5-dev hdf5-plugin-lzf liblzf-dev hdf5-tools
  libgdal-dev gdal-bin netcdf-bin
  libproj-dev proj-bin
  libsqlite3-dev sqlite3
  nlohmann-json3-dev libcli11-dev catch2
  libplplot-dev plplot-driver-cairo fonts-dejavu-core
  python3-mintpy python3-h5py python3-numpy python3-gdal python3-pil
  strace  # tests only: kills pjd at exact writes (exclude --apply, --restore) by fault injection
  clang libclang-rt-14-dev  # tests only: the libFuzzer targets (tests/fuzz, -DPJD_FUZZ=ON); the runtime is only a Recommends of clang-14
)
# The QGIS Processing provider (qgis_provider/) and its tests: qgis_process, python3-qgis, pytest.
QGIS_PACKAGES=(qgis python3-qgis python3-pytest)

for arg in "$@"; do
  case "$arg" in
    --qgis) PACKAGES+=("${QGIS_PACKAGES[@]}") ;;
    *) echo "install-deps: unknown option $arg (use --qgis)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
