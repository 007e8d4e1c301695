"""A catalogue written by `pjd detect` is a valid GeoPackage: GDAL's validate_gpkg.py
passes, ogrinfo lists pjd's attribute tables, and Python's sqlite3 reads the run back.

argv[1] = pjd executable, argv[2] = shared dir. Run with Debian's /usr/bin/python3."""
import os
import sqlite3
import subprocess
import sys
import tempfile

pjd, shared = sys.argv[1], sys.argv[2]
validator = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
failures = []
with tempfile.TemporaryDirectory() as tmp:
    cat = os.path.join(tmp, "catalog.gpkg")
    for case, nb in (("nominal", 6), ("lowcoh_lzf", 9)):
        subprocess.run([pjd, "detect", os.path.join(shared, "parity", case), "--n-burst", str(nb),
                        "--out", os.path.join(tmp, case), "--catalog", cat, "--progress", "none"],
                       check=True, stdout=subprocess.DEVNULL)
    v = subprocess.run(["/usr/bin/python3", validator, cat], capture_output=True, text=True)
    if v.returncode != 0:
        failures.append("validate_gpkg.py: " + (v.stdout + v.stderr).strip())
    info = subprocess.run(["ogrinfo", "-ro", "-q", cat], capture_output=True, text=True)
    for table in ("pjd_stacks", "pjd_runs", "pjd_run_pairs", "pjd_run_seams", "pjd_run_excluded_dates"):
        if table not in info.stdout:
            failures.append(f"ogrinfo does not list {table}")
    db = sqlite3.connect(cat)
    runs = db.execute("SELECT count(*) FROM pjd_runs").fetchone()[0]
    pairs = db.execute("SELECT count(*) FROM pjd_run_pairs").fetchone()[0]
    if runs != 2 or pairs != 42 + 36:
        failures.append(f"expected 2 runs and 78 pair rows, found {runs} and {pairs}")
    if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        failures.append("integrity_check failed")
for f in failures:
    print("FAIL:", f)
print(f"{4 - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
