#!/usr/bin/env bash
# The demo recipe: simulate a small Sentinel-1 stack with known truth, then run pjd on it.
# Usage: bash share/demo/recipe.sh PJD_EXECUTABLE OUT_DIR
set -euo pipefail
pjd="$1"
out="$2"
stack="$out/stack"
rm -rf "$stack"
mkdir -p "$out"
echo "== pjd simulate $stack"
"$pjd" simulate "$stack" --size small --n-burst 6 --seed 42 --progress none
echo
echo "== pjd info $stack"
"$pjd" info "$stack"
