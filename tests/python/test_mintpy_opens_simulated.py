"""MintPy and h5py open stacks written by `pjd simulate`, for every compression.

Run by ctest with Debian's /usr/bin/python3: argv[1] = pjd executable, argv[2] = shared dir.
For none, gzip and lzf: simulate a tiny stack, open it with mintpy.objects.ifgramStack, read
every pair's unwrapPhase with mintpy.utils.readfile and compare with h5py; check the layout
(chunks = h5py's own guess, maxshape, dtypes) and that truth.json names the same pairs.
h5py reads LZF natively (it bundles the filter), so no hdf5plugin is needed."""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from h5py._hl.filters import guess_chunk
from mintpy.objects import ifgramStack
from mintpy.utils import readfile

pjd = sys.argv[1]
failures = []
checks = 0


def check(ok, message):
    global checks
    checks += 1
    if not ok:
        failures.append(message)


with tempfile.TemporaryDirectory() as tmp:
    for compression in ("none", "gzip", "lzf"):
        out = os.path.join(tmp, compression)
        run = subprocess.run([pjd, "simulate", out, "--size", "tiny", "--seed", "5",
                              "--compression", compression, "--progress", "none"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            failures.append(f"{compression}: pjd simulate exited {run.returncode}: {run.stderr.strip()}")
            continue
        path = os.path.join(out, "inputs", "ifgramStack.h5")
        with open(os.path.join(out, "truth.json")) as f:
            truth = json.load(f)

        stack = ifgramStack(path)
        stack.open(print_msg=False)
        date12 = stack.get_date12_list(dropIfgram=False)
        check(len(date12) == len(truth["pairs"]), f"{compression}: MintPy sees {len(date12)} pairs, truth has {len(truth['pairs'])}")
        check(date12 == [p["pair"] for p in truth["pairs"]], f"{compression}: MintPy's date12 list differs from truth.json")
        check(stack.get_date12_list(dropIfgram=True) == date12, f"{compression}: dropIfgram drops pairs")
        check((stack.length, stack.width) == (truth["length"], truth["width"]),
              f"{compression}: MintPy size {stack.length}x{stack.width}")
        check(stack.metadata["FILE_TYPE"] == "ifgramStack", f"{compression}: FILE_TYPE")

        with h5py.File(path, "r") as h5:
            for name, typesize, comp in (("unwrapPhase", 4, compression), ("coherence", 4, compression),
                                         ("connectComponent", 2, "lzf")):
                d = h5[name]
                expected = None if comp == "none" else comp
                check(d.compression == expected, f"{compression}: {name} compression {d.compression}")
                check(d.chunks == guess_chunk(d.shape, None, typesize),
                      f"{compression}: {name} chunks {d.chunks} != h5py's guess {guess_chunk(d.shape, None, typesize)}")
                check(d.maxshape == (None,) + d.shape[1:], f"{compression}: {name} maxshape {d.maxshape}")
            check(h5["unwrapPhase"].dtype == np.float32, f"{compression}: unwrapPhase dtype")
            check(h5["connectComponent"].dtype == np.int16, f"{compression}: connectComponent dtype")
            check(h5["dropIfgram"].dtype == np.bool_, f"{compression}: dropIfgram dtype {h5['dropIfgram'].dtype}")
            check(h5["date"].dtype == np.dtype("S8"), f"{compression}: date dtype {h5['date'].dtype}")
            check(h5["bperp"].dtype == np.float32, f"{compression}: bperp dtype")
            if compression == "gzip":
                check(h5["unwrapPhase"].shuffle and h5["unwrapPhase"].compression_opts == 4,
                      "gzip: expected shuffle + level 4")
            unw = h5["unwrapPhase"][:]
            coh = h5["coherence"][:]
            cc = h5["connectComponent"][:]
            check(np.array_equal(cc == 1, coh != 0), f"{compression}: connectComponent != land mask")

        for i, d12 in enumerate(date12):
            data, atr = readfile.read(path, datasetName="unwrapPhase-" + d12)
            if not np.array_equal(data, unw[i]):
                failures.append(f"{compression}: readfile unwrapPhase-{d12} differs from h5py "
                                f"({np.count_nonzero(data != unw[i])} values)")
            checks += 1
        data, _ = readfile.read(path, datasetName="coherence-" + date12[-1])
        check(np.array_equal(data, coh[-1]), f"{compression}: readfile coherence differs from h5py")

        # Truth agrees with the data: mean coherence of non-zero cells, per pair.
        for i, p in enumerate(truth["pairs"]):
            c = coh[i][coh[i] != 0]
            check(abs(float(c.mean(dtype=np.float64)) - p["mean_coherence"]) < 1e-6,
                  f"{compression}: {p['pair']} mean coherence {c.mean()} vs truth {p['mean_coherence']}")

        geom = os.path.join(out, "inputs", "geometryRadar.h5")
        lat, gatr = readfile.read(geom, datasetName="latitude")
        check(gatr["FILE_TYPE"] == "geometry", f"{compression}: geometry FILE_TYPE {gatr['FILE_TYPE']}")
        check(lat.shape == (truth["length"], truth["width"]), f"{compression}: latitude shape {lat.shape}")
        check(bool(np.all(np.diff(lat, axis=0) > 0)), f"{compression}: ascending latitude must increase with row")
        with h5py.File(geom, "r") as g:
            for name in ("latitude", "longitude", "height", "incidenceAngle", "azimuthAngle", "slantRangeDistance"):
                check(name in g and g[name].dtype == np.float32, f"{compression}: geometry {name} missing or not float32")
            for name in ("shadowMask", "waterMask"):
                check(name in g and g[name].dtype == np.bool_, f"{compression}: geometry {name} missing or not bool")

for f in failures:
    print("FAIL:", f)
print(f"{checks - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
