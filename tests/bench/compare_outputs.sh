#!/usr/bin/env bash
# Bit-identity check between two pjd builds: runs `pjd detect` (both methods, no catalogue)
# with each binary on every given stack and compares every output file byte for byte,
# summary.json with its timings and paths removed. Prints one line per stack and method;
# exits 1 when anything differs.
# Usage: bash tests/bench/compare_outputs.sh OLD_PJD NEW_PJD STACK... (MintPy dirs)
set -uo pipefail
old="$1"; new="$2"; shift 2
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
strip() {  # summary.json without what changes from run to run
  /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
j.pop("timings_s", None)
for k in ("file",):
    j.get("stack", {}).pop(k, None)
print(json.dumps(j, sort_keys=True))' "$1"
}
status=0
for stack in "$@"; do
  for method in published robust; do
    nb=()
    [ "$method" = published ] && nb=(--n-burst "$(sed -n 's/^ *"n_burst": *\([0-9]*\).*/\1/p' "$stack/truth.json" | head -1)")
    for side in old new; do
      bin="$old"; [ "$side" = new ] && bin="$new"
      rm -rf "$work/$side"
      "$bin" detect "$stack" --method "$method" "${nb[@]}" --out "$work/$side" --no-catalog --no-figures \
        --progress none >/dev/null 2>"$work/$side.err" || echo "$side failed on $stack: $(cat "$work/$side.err")"
    done
    diffs=""
    for f in $(cd "$work/old" && find . -type f | sort); do
      if [ "$(basename "$f")" = summary.json ]; then
        [ "$(strip "$work/old/$f")" = "$(strip "$work/new/$f")" ] || diffs="$diffs $f"
      else
        cmp -s "$work/old/$f" "$work/new/$f" || diffs="$diffs $f"
      fi
    done
    n="$(cd "$work/old" && find . -type f | wc -l)"; m="$(cd "$work/new" && find . -type f | wc -l)"
    [ "$n" = "$m" ] || diffs="$diffs (file count $n vs $m)"
    if [ -z "$diffs" ]; then echo "identical  $method  $stack ($n files)"; else echo "DIFFERENT  $method  $stack:$diffs"; status=1; fi
  done
done
exit $status
