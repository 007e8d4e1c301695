#!/usr/bin/env bash
# Bit-identity check for speed work: runs `pjd detect` of two builds on the same stacks and
# compares every output file byte for byte, except: a netCDF file is compared object by
# object (every dataset's dtype, shape and bytes, every attribute), its history time stamp
# blanked (HDF5 checksums the header that holds it); summary.json is compared with the keys
# that hold timings or paths left out (timings_s, stack.file). Prints one line per case, exits 1 when
# any case differs.
# Usage: bash tests/bench/same_outputs.sh BASE_PJD NEW_PJD WORK_DIR STACK... [-- DETECT_ARGS...]
#   Each STACK is a MintPy directory; DETECT_ARGS (default: none) are added to every run, e.g.
#   -- --method robust --threads 2. PJD_DIRECT_READ=0 in the environment tests the HDF5 pass.
set -uo pipefail
base="$1" new="$2" work="$3"
shift 3
stacks=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do stacks+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
args=("$@")
status=0
strip() {  # summary.json without timings and paths, keys sorted
  /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
j.pop("timings_s", None)
j.get("stack", {}).pop("file", None)
print(json.dumps(j, sort_keys=True, indent=1))' "$1"
}
untimed() {  # the file byte for byte; a netCDF (HDF5) file as its objects, the history time stamp blanked
  /usr/bin/python3 -c '
import re, sys
f = sys.argv[1]
stamp = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
raw = open(f, "rb").read()
if not raw.startswith(b"\x89HDF"):
    sys.stdout.buffer.write(raw)
    sys.exit()
# HDF5 checksums its object headers, the time stamp included: compare what the file holds,
# every dataset and attribute as bytes (dtype, shape, data), with the stamp blanked.
import h5py, numpy
out = sys.stdout.buffer
out.write(b"%d bytes\n" % len(raw))
def plain(x):  # object references as the names of the objects they point to
    if isinstance(x, h5py.Reference):
        return h[x].name
    if isinstance(x, (list, tuple)) or (isinstance(x, numpy.ndarray) and x.dtype == object):
        return [plain(y) for y in x]
    if isinstance(x, numpy.void):
        return [plain(y) for y in x.tolist()]
    return x
def as_bytes(v):
    if isinstance(v, numpy.ndarray) and not v.dtype.hasobject:
        return str(v.dtype).encode() + str(v.shape).encode() + v.tobytes()
    return repr(plain(v.tolist() if isinstance(v, numpy.ndarray) else v)).encode()
def attrs(name, obj):
    for k in sorted(obj.attrs.keys()):
        out.write(b"attr %s %s %s\n" % (name.encode(), k.encode(), re.sub(stamp, b"T", as_bytes(obj.attrs[k]))))
with h5py.File(f, "r") as h:
    attrs("/", h)
    def visit(name, obj):
        attrs(name, obj)
        if isinstance(obj, h5py.Dataset):
            out.write(b"data %s " % name.encode() + as_bytes(numpy.asarray(obj[()])) + b"\n")
    h.visititems(visit)' "$1"
}
for s in "${stacks[@]}"; do
  tag="$(echo "$s ${args[*]:-}" | md5sum | cut -c1-8)"
  for which in base new; do
    bin="$base"; [ "$which" = new ] && bin="$new"
    rm -rf "$work/$tag.$which"
    if ! "$bin" detect "$s" --out "$work/$tag.$which" --no-catalog --progress none "${args[@]}" \
         >"$work/$tag.$which.log" 2>&1; then
      echo "$which run failed: $s ${args[*]:-} (see $work/$tag.$which.log)"
    fi
  done
  diffs=""
  files="$(cd "$work/$tag.base" 2>/dev/null && find . -type f | sort) $(cd "$work/$tag.new" 2>/dev/null && find . -type f | sort)"
  for f in $(printf '%s\n' $files | sort -u); do
    a="$work/$tag.base/$f" b="$work/$tag.new/$f"
    if [ ! -f "$a" ] || [ ! -f "$b" ]; then diffs+=" $f(missing)"; continue; fi
    if [[ "$(basename "$f")" == *summary.json ]]; then
      cmp -s <(strip "$a") <(strip "$b") || diffs+=" $f"
    else
      cmp -s <(untimed "$a") <(untimed "$b") || diffs+=" $f"
    fi
  done
  n="$(printf '%s\n' $files | sort -u | wc -l)"
  if [ -n "$diffs" ]; then
    echo "DIFFER $s ${args[*]:-}:$diffs"
    status=1
  else
    echo "same   $s ${args[*]:-} ($n files)"
  fi
done
exit $status
