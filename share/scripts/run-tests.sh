#!/usr/bin/env bash
# Installs what pjd needs (Debian 12), builds it with -Werror, runs every test, then
# builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test again,
# then builds the libFuzzer targets with clang++ and runs each for 30 s (tests/fuzz/run.sh).
# QGIS is installed too, and the QGIS provider tests are required (-DPJD_QGIS_TESTS=ON).
# Usage: bash share/scripts/run-tests.sh        (from anywhere; CI calls it through .ci/run)
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$top"
bash share/scripts/install-deps.sh --qgis
jobs="$(nproc)"

echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPJD_WERROR=ON -DPJD_QGIS_TESTS=ON >/dev/null
cmake --build build/ci -j"$jobs"
echo "== tests"
(cd build/ci && ctest --output-on-failure -j"$jobs")

echo "== build (Debug, ASan + UBSan, -Werror)"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DPJD_WERROR=ON -DPJD_SANITIZE=ON -DPJD_QGIS_TESTS=ON >/dev/null
cmake --build build/asan -j"$jobs"
echo "== tests under ASan + UBSan"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
# print_suppressions=0: a suppressed leak must not add lines to the stderr the tests count
export LSAN_OPTIONS="suppressions=$top/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
(cd build/asan && ctest --output-on-failure -j"$jobs")

echo "== fuzz targets (clang++, libFuzzer + ASan + UBSan): corpus replay, then 30 s each"
# Only what the fuzz targets need (libpjd and tests/fuzz): no CLI, no unit tests.
cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DPJD_FUZZ=ON -DPJD_BUILD_TESTS=OFF >/dev/null
cmake --build build/fuzz -j"$jobs" --target pjd_fuzz
(cd build/fuzz && ctest --output-on-failure -j"$jobs")
bash tests/fuzz/run.sh build/fuzz 30
