"""A stack that grows: `pjd detect` on the grown stack, with the catalogue of the run on
the smaller one, reuses the stored profiles of the old pairs and gives the same result
as a full run (summary.json identical but for timings and the reuse count).

argv[1] = pjd executable, argv[2] = shared dir. Run with Debian's /usr/bin/python3."""
import json
import os
import subprocess
import sys
import tempfile

import h5py

pjd = sys.argv[1]
failures = []


def truncated_copy(src, dst, n_keep):
    """The stack as it was before its last pairs arrived."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with h5py.File(src, "r") as fi, h5py.File(dst, "w") as fo:
        n = fi["date"].shape[0]
        for k, v in fi.attrs.items():
            fo.attrs[k] = v
        for name, d in fi.items():
            data = d[:n_keep] if d.shape and d.shape[0] == n else d[()]
            kw = {}
            if d.chunks:
                kw = dict(chunks=tuple(min(c, s) for c, s in zip(d.chunks, data.shape)),
                          maxshape=(None,) + d.shape[1:] if d.ndim == 3 else None)
            fo.create_dataset(name, data=data, **kw)
            for k, v in d.attrs.items():
                fo[name].attrs[k] = v


def summary(out):
    with open(os.path.join(out, "summary.json")) as f:
        doc = json.load(f)
    doc.pop("timings_s", None)
    doc.pop("n_pairs_reused", None)
    return doc


with tempfile.TemporaryDirectory() as tmp:
    full = os.path.join(tmp, "full")
    subprocess.run([pjd, "simulate", full, "--size", "tiny", "--n-burst", "4", "--seed", "11", "--lowcoh-pairs", "0",
                    "--progress", "none"],
                   check=True, stdout=subprocess.DEVNULL)
    stack = os.path.join(full, "inputs", "ifgramStack.h5")
    with h5py.File(stack, "r") as f:
        n = f["date"].shape[0]
    old = os.path.join(tmp, "old", "inputs", "ifgramStack.h5")
    truncated_copy(stack, old, n - 6)
    # "plain": cmin 0.3 keeps every row reliable, so the average-coherence mask stays off;
    # "mask": the mask on, which reads every pair's coherence again in stack order.
    for variant, extra in (("plain", ["--cmin", "0.3"]), ("mask", ["--msk-avgCoh"])):
        cat = os.path.join(tmp, variant + ".gpkg")
        out = lambda name: os.path.join(tmp, variant + "_" + name)
        base = ["--method", "published", "--n-burst", "4", "--progress", "none", "--format", "json"] + extra
        subprocess.run([pjd, "detect", old, "--out", out("old"), "--catalog", cat] + base,
                       check=True, stdout=subprocess.DEVNULL)
        inc = subprocess.run([pjd, "detect", stack, "--out", out("inc"), "--catalog", cat] + base,
                             check=True, capture_output=True, text=True)
        reused = json.loads(inc.stdout)["n_pairs_reused"]
        subprocess.run([pjd, "detect", stack, "--out", out("full"), "--no-catalog"] + base,
                       check=True, stdout=subprocess.DEVNULL)
        if reused != n - 6:
            failures.append(f"{variant}: expected {n - 6} reused pair profiles, got {reused}")
        a, b = summary(out("inc")), summary(out("full"))
        if a["avg_coh_mask"]["used"] != (variant == "mask"):
            failures.append(f"{variant}: average-coherence mask used = {a['avg_coh_mask']['used']}")
        if a != b:
            diff = [k for k in a if a.get(k) != b.get(k)]
            failures.append(f"{variant}: incremental and full results differ in: " + ", ".join(diff))
        for name in ("pj_coordinates.txt", "magnitude_phase_jumps.txt", "stats_absolute_gradient.txt",
                     "exclude_listdate12_interferograms_by_phase_jump.txt"):
            pa, pb = (open(os.path.join(out(d), name)).read() for d in ("inc", "full"))
            if pa != pb:
                failures.append(f"{variant}: {name} differs")
for f in failures:
    print("FAIL:", f)
print(f"{14 - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
