#!/usr/bin/env bash
# The demo recipe: simulate a Sentinel-1 stack with known truth, run the detector on it,
# record the run in a catalogue kept next to the demo, and show what was found.
# Usage: bash share/demo/recipe.sh PJD_EXECUTABLE OUT_DIR
set -euo pipefail
pjd="$1"
out="$2"
stack="$out/stack"
catalog="$out/catalog.gpkg"
rm -rf "$stack" "$out/pj_evaluation" "$catalog" "$catalog"-*
mkdir -p "$out"

echo "== pjd simulate $stack"
"$pjd" simulate "$stack" --size small --n-burst 6 --seed 42 --progress none
echo
echo "== pjd info $stack"
"$pjd" info "$stack"
echo
echo "== pjd detect $stack   (robust method: the burst count is estimated from the seams)"
"$pjd" detect "$stack" --out "$out/pj_evaluation" --catalog "$catalog" --project demo --progress auto
echo
echo "== pjd evaluate $stack/truth.json $out/pj_evaluation   (against the simulator's truth)"
"$pjd" evaluate "$stack/truth.json" "$out/pj_evaluation"
echo
echo "== pjd catalog runs"
"$pjd" catalog runs --catalog "$catalog"
echo
echo "The simulator's truth is in $stack/truth.json; the detector's outputs are in $out/pj_evaluation/."
