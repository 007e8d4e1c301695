#!/usr/bin/env bash
# Installs what pjd needs (Debian 12), builds it, simulates the demo stack and runs pjd on it.
# Usage: bash share/scripts/run-demo.sh      (outputs land in ./demo/)
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$top"
bash share/scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DPJD_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)"
exec bash share/demo/recipe.sh "$top/build/release/bin/pjd" "$top/demo"
