#!/usr/bin/env bash
# Runs every fuzz target of BUILD_DIR (a -DPJD_FUZZ=ON build) for SECONDS each, starting from
# a copy of its committed corpus (tests/fuzz/corpus/<target>/, never written to), and prints
# the executions of each.
#
# libFuzzer runs in fork mode and carries on after a finding, so one run finds every kind
# it can in its time; each finding's input is kept in BUILD_DIR/fuzz-findings/<target>/ and
# replayed to see where it fails (replay one with: BUILD_DIR/fuzz/<target> FILE):
#  - in pjd's code (or anywhere else, or an out-of-memory): the run FAILS;
#  - inside Debian's HDF5 library (libhdf5_serial: the first frame that is neither the
#    sanitizers', libFuzzer's nor libc's is in it): listed as an HDF5 defect, which pjd
#    cannot fix, and the run does not fail for it unless PJD_FUZZ_STRICT=1.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS_PER_TARGET
set -euo pipefail
build="$(realpath "${1:?usage: run.sh BUILD_DIR SECONDS_PER_TARGET}")"
seconds="${2:?usage: run.sh BUILD_DIR SECONDS_PER_TARGET}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="$(cd "$here/../.." && pwd)"
# allocator_may_return_null: HDF5 asks for what a damaged header claims (100 GB) and copes
# with NULL; pjd's own new then throws std::bad_alloc, which the targets report as a finding.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$top/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# where FINDING: "hdf5" when the input fails inside libhdf5, else "pjd".
where() {
  local exe="$1" input="$2" frame
  frame="$("$exe" -timeout=25 -rss_limit_mb=2048 "$input" 2>&1 | grep -E '^ +#[0-9]+ ' |
    grep -vE 'fuzzer::|__sanitizer|__interceptor|__asan|__ubsan|libc\.so|sysdeps|/libclang_rt|in (malloc|calloc|realloc|operator new)' |
    head -1 || true)"
  case "$frame" in *libhdf5*) echo hdf5 ;; *) echo pjd ;; esac
}

failed=()
total=0
hdf5_total=0
for target in fuzz_chunk_index fuzz_stack_open fuzz_summary_json; do
  exe="$build/fuzz/$target"
  [ -x "$exe" ] || { echo "run.sh: $exe not built (cmake --build $build --target pjd_fuzz)" >&2; exit 2; }
  cp -r "$here/corpus/$target" "$work/$target"
  findings="$build/fuzz-findings/$target"
  rm -rf "$findings"
  mkdir -p "$findings"
  log="$work/$target.log"
  rc=0
  # -timeout: one input taking 25 s is a hang; -rss_limit_mb: 2 GB is an out-of-memory.
  "$exe" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 -max_total_time="$seconds" \
    -timeout=25 -rss_limit_mb=2048 -artifact_prefix="$findings/" "$work/$target" >"$log" 2>&1 || rc=$?
  # The fork-mode status lines: "#EXECUTIONS: cov: ... exec/s N oom/timeout/crash: a/b/c ...".
  last="$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)"
  execs="$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")"
  n_pjd=0
  n_hdf5=0
  for f in "$findings"/*; do
    [ -e "$f" ] || continue
    if [ "$(where "$exe" "$f")" = hdf5 ]; then
      n_hdf5=$((n_hdf5 + 1))
      echo "  $target: HDF5 library defect (not pjd's code): $f" >&2
    else
      n_pjd=$((n_pjd + 1))
      echo "  $target: FINDING in pjd: $f" >&2
      "$exe" -timeout=25 -rss_limit_mb=2048 "$f" 2>&1 | grep -E 'ERROR|finding|^ +#[0-9]+ ' | head -25 >&2 || true
    fi
  done
  printf '%-18s %9s executions in %ss, corpus %s -> %s inputs, findings: %s in pjd, %s in HDF5\n' "$target" \
    "${execs:-?}" "$seconds" "$(find "$here/corpus/$target" -type f | wc -l)" "$(find "$work/$target" -type f | wc -l)" \
    "$n_pjd" "$n_hdf5"
  total=$((total + ${execs:-0}))
  hdf5_total=$((hdf5_total + n_hdf5))
  if [ -z "$execs" ] || { [ "$rc" -ne 0 ] && [ "$n_pjd" -eq 0 ] && [ "$n_hdf5" -eq 0 ]; }; then
    echo "---- $target: libFuzzer failed (exit $rc), last lines of its log:" >&2
    tail -n 30 "$log" >&2
    failed+=("$target")
  elif [ "$n_pjd" -ne 0 ] || { [ "$n_hdf5" -ne 0 ] && [ "${PJD_FUZZ_STRICT:-0}" = 1 ]; }; then
    failed+=("$target")
  fi
  rmdir "$findings" 2>/dev/null || true
done
rmdir "$build/fuzz-findings" 2>/dev/null || true
echo "fuzz: $total executions in all; $hdf5_total input(s) failing inside HDF5 (kept in $build/fuzz-findings)"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
