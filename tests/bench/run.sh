#!/usr/bin/env bash
# Benchmark: reading and detecting on a realistic simulated stack (300 pairs x 1500 x 800).
# Prints wall seconds, MB/s and peak RSS for the raw chunk-aligned HDF5 read, pjd's read,
# and pjd detect (published, and --method robust) with 1 and 2 threads, on a warm cache.
# Numbers only; nothing is asserted.
# Usage: bash tests/bench/run.sh [BUILD_DIR] [COMPRESSION]
#   PJD_BENCH_ROBUST=0: skip --method robust; PJD_BENCH_REPEAT=N: the fastest of N timed runs per case
#   (a shared or busy machine: compare the best, and note the load).
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$top/build/bench}"
compression="${2:-none}"
# Always (re)build: an up-to-date build costs a second, a stale one measures old code.
[ -f "$build/CMakeCache.txt" ] || cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target pjd_cli pjd_read_bench >/dev/null
pjd="$build/bin/pjd"
stack="$build/bench_stack_$compression"
if [ ! -f "$stack/inputs/ifgramStack.h5" ]; then
  echo "simulating $stack ..." >&2
  "$pjd" simulate "$stack" --size realistic --compression "$compression" --seed 7 --progress none >/dev/null
fi
file="$stack/inputs/ifgramStack.h5"
# Dimensions and burst count from pjd itself (top-level keys of `pjd info --format json`).
info="$("$pjd" info "$stack" --format json)"
top_key() { printf '%s\n' "$info" | sed -n "s/^  \"$1\": *\"\{0,1\}\([0-9]*\).*/\1/p" | head -1; }
n_pairs="$(top_key n_pairs)"; length="$(top_key length)"; width="$(top_key width)"
nburst="$(printf '%s\n' "$info" | sed -n 's/^    "number_of_bursts": *"\([0-9]*\)".*/\1/p' | head -1)"
if [ -z "$nburst" ]; then  # the simulator's truth, when the attribute is missing
  nburst="$(sed -n 's/^ *"n_burst": *\([0-9]*\).*/\1/p' "$stack/truth.json" | head -1)"
fi
cat "$file" >/dev/null  # warm the page cache

measure() {  # label, command...  -> prints "label wall_s rss_mb" (the fastest of PJD_BENCH_REPEAT runs)
  local label="$1"; shift
  "$@" >/dev/null 2>&1  # warm-up run
  local tfile out best="" i
  tfile="$(mktemp)"
  for (( i = 0; i < ${PJD_BENCH_REPEAT:-1}; i++ )); do
    /usr/bin/time -o "$tfile" -f '%e %M' "$@" >/dev/null 2>&1
    out="$(tail -1 "$tfile")"
    if [ -z "$best" ] || awk -v a="${out% *}" -v b="${best% *}" 'BEGIN { exit !(a < b) }'; then best="$out"; fi
  done
  rm -f "$tfile"
  echo "$label ${best% *} $(( ${best#* } / 1024 ))"
}

# unwrapPhase + coherence, float32, (pairs, rows, columns) each.
bytes=$(( 2 * 4 * n_pairs * length * width ))
{
  measure raw_read "$build/tests/pjd_read_bench" raw "$file"
  measure pjd_read "$build/tests/pjd_read_bench" pjd "$file"
  if "$pjd" help detect >/dev/null 2>&1; then
    measure detect_1thread "$pjd" detect "$stack" --method published --n-burst "$nburst" --threads 1 --out "$build/bench_out1" --progress none --no-catalog --no-figures
    measure detect_2threads "$pjd" detect "$stack" --method published --n-burst "$nburst" --threads 2 --out "$build/bench_out2" --progress none --no-catalog --no-figures
    if [ "${PJD_BENCH_ROBUST:-1}" != 0 ] && "$pjd" detect --help 2>/dev/null | grep -q robust; then
      measure robust_1thread "$pjd" detect "$stack" --method robust --threads 1 --out "$build/bench_out3" --progress none --no-catalog --no-figures
      measure robust_2threads "$pjd" detect "$stack" --method robust --threads 2 --out "$build/bench_out4" --progress none --no-catalog --no-figures
    fi
  fi
} | awk -v bytes="$bytes" -v file="$file" -v comp="$compression" '
  NF == 3 { n++; key[n] = $1; wall[$1] = $2; rss[$1] = $3 }
  END {
    mb = bytes / 1e6
    printf "stack: %s (%.0f MB of unwrapPhase + coherence, compression %s)\n", file, mb, comp
    printf "%-16s%9s%10s%13s\n", "case", "wall_s", "MB/s", "peak_rss_MB"
    for (i = 1; i <= n; i++) {
      k = key[i]
      printf "%-16s%9.2f%10.0f%13d\n", k, wall[k], (wall[k] > 0 ? mb / wall[k] : 0), rss[k]
    }
    raw = wall["raw_read"]
    for (i = 1; i <= n; i++)
      if (key[i] != "raw_read" && raw > 0) printf "ratio %s / raw_read: %.2f\n", key[i], wall[key[i]] / raw
    if (("detect_1thread" in wall) && ("detect_2threads" in wall) && wall["detect_2threads"] > 0)
      printf "speed-up 1 -> 2 threads: %.2fx\n", wall["detect_1thread"] / wall["detect_2threads"]
    split("1thread 2threads", ns, " ")
    for (j = 1; j <= 2; j++)
      if (("robust_" ns[j] in wall) && wall["detect_" ns[j]] > 0)
        printf "robust / published, %s: %.2fx\n", ns[j], wall["robust_" ns[j]] / wall["detect_" ns[j]]
  }'
