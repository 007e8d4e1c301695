#!/usr/bin/env bash
# Benchmark: reading and detecting on a realistic simulated stack (300 pairs x 1500 x 800).
# Prints wall seconds, MB/s and peak RSS for the raw chunk-aligned HDF5 read, pjd's read,
# and pjd detect (published, and --method robust) with 1 and 2 threads, on a warm cache.
# Numbers only; nothing is asserted.
# Usage: bash tests/bench/run.sh [BUILD_DIR] [COMPRESSION]
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$top/build/bench}"
compression="${2:-none}"
if [ ! -x "$build/bin/pjd" ] || [ ! -x "$build/tests/pjd_read_bench" ]; then
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$(nproc)" --target pjd_cli pjd_read_bench >/dev/null 2>&1
fi
pjd="$build/bin/pjd"
stack="$build/bench_stack_$compression"
if [ ! -f "$stack/inputs/ifgramStack.h5" ]; then
  echo "simulating $stack ..." >&2
  "$pjd" simulate "$stack" --size realistic --compression "$compression" --seed 7 --progress none >/dev/null
fi
file="$stack/inputs/ifgramStack.h5"
nburst="$(/usr/bin/python3 -c "import json;print(json.load(open('$stack/truth.json'))['n_burst'])")"
cat "$file" >/dev/null  # warm the page cache

measure() {  # label, command...  -> prints "label wall_s rss_mb"
  local label="$1"; shift
  "$@" >/dev/null 2>&1  # warm-up run
  local tfile out
  tfile="$(mktemp)"
  /usr/bin/time -o "$tfile" -f '%e %M' "$@" >/dev/null 2>&1
  out="$(tail -1 "$tfile")"
  rm -f "$tfile"
  echo "$label ${out% *} $(( ${out#* } / 1024 ))"
}

bytes="$(/usr/bin/python3 -c "
import h5py
f = h5py.File('$file', 'r')
print(sum(f[d].size * 4 for d in ('unwrapPhase', 'coherence')))")"
{
  measure raw_read "$build/tests/pjd_read_bench" raw "$file"
  measure pjd_read "$build/tests/pjd_read_bench" pjd "$file"
  if "$pjd" help detect >/dev/null 2>&1; then
    measure detect_1thread "$pjd" detect "$stack" --n-burst "$nburst" --threads 1 --out "$build/bench_out1" --progress none --no-catalog --no-figures
    measure detect_2threads "$pjd" detect "$stack" --n-burst "$nburst" --threads 2 --out "$build/bench_out2" --progress none --no-catalog --no-figures
    if "$pjd" detect --help 2>/dev/null | grep -q robust; then
      measure robust_1thread "$pjd" detect "$stack" --method robust --threads 1 --out "$build/bench_out3" --progress none --no-catalog --no-figures
      measure robust_2threads "$pjd" detect "$stack" --method robust --threads 2 --out "$build/bench_out4" --progress none --no-catalog --no-figures
    fi
  fi
} | /usr/bin/python3 -c "
import sys
mb = $bytes / 1e6
rows = [l.split() for l in sys.stdin if l.strip()]
res = {r[0]: (float(r[1]), int(r[2])) for r in rows}
print(f'stack: $file ({mb:.0f} MB of unwrapPhase + coherence, compression $compression)')
print(f'{\"case\":<16}{\"wall_s\":>9}{\"MB/s\":>10}{\"peak_rss_MB\":>13}')
for k, (s, rss) in res.items():
    print(f'{k:<16}{s:>9.2f}{mb / s:>10.0f}{rss:>13}')
raw = res['raw_read'][0]
for k in res:
    if k != 'raw_read':
        print(f'ratio {k} / raw_read: {res[k][0] / raw:.2f}')
if 'detect_1thread' in res:
    print(f'speed-up 1 -> 2 threads: {res[\"detect_1thread\"][0] / res[\"detect_2threads\"][0]:.2f}x')
for n in ('1thread', '2threads'):
    if 'robust_' + n in res:
        print(f'robust / published, {n}: {res[\"robust_\" + n][0] / res[\"detect_\" + n][0]:.2f}x')
"
