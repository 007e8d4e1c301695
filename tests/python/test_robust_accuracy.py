#!/usr/bin/python3
"""Regression test: the robust method meets the issue's targets on a small accuracy grid.

Runs tests/bench/accuracy_grid.py --grid ci (4 cells x 2 seeds of 20-date simulated stacks,
mean coherence >= 0.65, smear 0.3-2 rows, 6-10 bursts, asc/desc, water or none, one or two
sub-swaths), robust only, and asserts per cell: every seam found within +-1 row and none
false, ramp RMSE <= 1 mm, pair F1 >= 0.95, every bad date found and none false, burst count
right in >= 95 % of stacks. The full grid is the benchmark in docs/accuracy.md.

Usage: test_robust_accuracy.py PJD SHARED_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
pjd = sys.argv[1]
grid = os.path.join(here, "..", "bench", "accuracy_grid.py")
with tempfile.TemporaryDirectory(prefix="pjd_accuracy_ci_") as work:
    out = subprocess.run([sys.executable, grid, pjd, "--grid", "ci", "--seeds", "2", "--methods", "robust",
                          "--work", work, "--jobs", "2"], check=True, stdout=subprocess.PIPE, text=True).stdout
doc = json.loads(out)
failures = []
for c in doc["cells"]:
    a = c["robust"]
    line = ("%-40s seams %5.1f%% false %d | RMSE %.2f mm | F1 %.3f | dates %d/%d false %d | bursts %3.0f%%" % (
        c["name"], a["seams_found_pct"], a["seams_false"], a["ramp_rmse_mm"] or float("nan"), a["pair_f1"],
        a["bad_dates_found"], a["bad_dates_true"], a["bad_dates_false"], a["bursts_right_pct"]))
    print(line)
    if a["seams_found_pct"] < 100.0 or a["seams_false"] > 0:
        failures.append(c["name"] + ": seams")
    if a["ramp_rmse_mm"] is None or a["ramp_rmse_mm"] > 1.0:
        failures.append(c["name"] + ": ramp RMSE")
    if a["pair_f1"] < 0.95:
        failures.append(c["name"] + ": pair F1")
    if a["bad_dates_found"] != a["bad_dates_true"] or a["bad_dates_false"] > 0:
        failures.append(c["name"] + ": bad dates")
    if a["bursts_right_pct"] < 95.0:
        failures.append(c["name"] + ": burst count")
print("grid took %.1f s" % doc["elapsed_s"])
if failures:
    print("FAILED targets: " + "; ".join(failures))
    sys.exit(1)
print("all targets met")
