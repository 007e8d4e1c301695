"""Values read by libpjd equal the same values read by h5py, on the three parity stacks
(LZF included), for whole blocks and for column subsets.

Run by ctest with Debian's /usr/bin/python3: argv[1] = pjd executable, argv[2] = shared dir;
PJD_READ_DUMP names the dump tool."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

shared = sys.argv[2]
dump = os.environ["PJD_READ_DUMP"]
failures = []
checked = 0
with tempfile.TemporaryDirectory() as tmp:
    for case in ("nominal", "lowcoh_lzf", "descending_subx"):
        path = os.path.join(shared, "parity", case, "inputs", "ifgramStack.h5")
        with h5py.File(path, "r") as f:
            n, length, width = f["unwrapPhase"].shape
            for dataset in ("unwrapPhase", "coherence"):
                for p0, p1, x0, x1 in ((0, n, 0, width), (1, min(n, 9), 20, width - 7)):
                    out = os.path.join(tmp, "dump.raw")
                    subprocess.run([dump, path, dataset, str(p0), str(p1), str(x0), str(x1), out],
                                   check=True)
                    ours = np.fromfile(out, dtype="<f4").reshape(p1 - p0, length, x1 - x0)
                    theirs = f[dataset][p0:p1, :, x0:x1]
                    checked += 1
                    if not np.array_equal(ours, theirs):
                        failures.append(f"{case} {dataset} [{p0}:{p1}, :, {x0}:{x1}]: "
                                        f"{np.count_nonzero(ours != theirs)} values differ")
for f in failures:
    print("FAIL:", f)
print(f"{checked - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
