"""pjd exclude --apply / --restore on a copy of a parity stack, checked with MintPy itself:
after --apply, ifgramStack.get_date12_list(dropIfgram=True) lacks exactly the excluded
pairs; --restore brings them back; MODIFICATION_TIME is touched; a stack held open for
writing by h5py is refused; --dry-run writes nothing; the template round-trips through
MintPy's read_template. Also checks the summary figures with PIL (size, not blank).

Run by ctest with Debian's /usr/bin/python3: argv[1] = pjd executable, argv[2] = shared dir."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

import h5py
from mintpy.objects import ifgramStack
from mintpy.utils import readfile

pjd, shared = sys.argv[1], sys.argv[2]
passed, failures = 0, []


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run([pjd, *args], capture_output=True, text=True)


def kept(stack_file):
    s = ifgramStack(stack_file)
    s.open(print_msg=False)
    return s.get_date12_list(dropIfgram=False), s.get_date12_list(dropIfgram=True)


def md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


with tempfile.TemporaryDirectory() as tmp:
    mintpy_dir = os.path.join(tmp, "mintpy")
    os.makedirs(os.path.join(mintpy_dir, "inputs"))
    for name in ("ifgramStack.h5", "geometryRadar.h5"):
        dst = os.path.join(mintpy_dir, "inputs", name)
        shutil.copyfile(os.path.join(shared, "parity", "nominal", "inputs", name), dst)
        os.chmod(dst, stat.S_IRUSR | stat.S_IWUSR)
    stack = os.path.join(mintpy_dir, "inputs", "ifgramStack.h5")
    res = os.path.join(tmp, "res")
    # A low threshold so that pairs and dates are excluded.
    r = run("detect", mintpy_dir, "--n-burst", "6", "--pj-thr", "2.5", "--progress", "none", "--no-catalog",
            "--out", res)
    check(r.returncode == 0, f"detect: {r.stderr}")

    # Figures with PIL: expected size, not blank.
    try:
        from PIL import Image, ImageStat
        sizes = {"timeserie_phase_jump": (1600, 900), "masked_intensity": (1600, 1000),
                 "detrended_intensity": (1600, 1000), "average_coherence_mask": (1600, 900)}
        for base, size in sizes.items():
            im = Image.open(os.path.join(res, "figs", base + ".png"))
            check(im.format == "PNG" and im.size == size, f"{base}.png: {im.format} {im.size}")
            var = ImageStat.Stat(im.convert("L")).var[0]
            check(var > 200, f"{base}.png looks blank (grey variance {var:.1f})")
    except ImportError:
        print("note: PIL not installed, figures checked by the C++ tests only")

    summary = json.load(open(os.path.join(res, "summary.json")))
    check(len(summary["excluded_pairs"]) > 0, "the low threshold excludes some pairs")

    all_before, kept_before = kept(stack)
    digest = md5(stack)

    # Dry run: nothing written.
    r = run("exclude", res, "--apply", "--dry-run", "--format", "json")
    check(r.returncode == 0, f"dry run: {r.stderr}")
    plan = json.loads(r.stdout)
    check(md5(stack) == digest, "--dry-run left the stack untouched")
    to_drop = plan["pairs_to_drop"]
    expected = sorted(set(summary["excluded_pairs"]) |
                      {p for p in all_before if set(p.split("_")) & set(summary["excluded_dates"])})
    check(sorted(to_drop) == expected, "pairs to drop = excluded pairs + pairs of excluded dates")

    # Refused while h5py holds the file open for writing (before the template is touched).
    cfg0 = os.path.join(tmp, "untouched.cfg")
    open(cfg0, "w").write("mintpy.network.excludeDate = auto\n")
    holder = subprocess.Popen([sys.executable, "-c",
                               "import h5py,sys,time; f=h5py.File(sys.argv[1],'r+'); print('open', flush=True); "
                               "time.sleep(30)", stack], stdout=subprocess.PIPE, text=True)
    try:
        holder.stdout.readline()
        r = run("exclude", res, "--apply", "--mintpy-cfg", cfg0)
        check(r.returncode == 3, f"open elsewhere: exit {r.returncode}")
        check(open(cfg0).read() == "mintpy.network.excludeDate = auto\n", "refusal left the template untouched")
        check("open for writing in another process" in r.stderr and stack in r.stderr,
              f"open elsewhere message: {r.stderr!r}")
        check(len(r.stderr.strip().splitlines()) == 1, "one line of error")
    finally:
        holder.kill()
        holder.wait()

    # Apply: MintPy sees exactly the excluded pairs dropped.
    with h5py.File(stack, "r") as f:
        mt_before = f["unwrapPhase"].attrs.get("MODIFICATION_TIME")
    time.sleep(0.05)
    r = run("exclude", res, "--apply")
    check(r.returncode == 0, f"apply: {r.stderr}")
    all_after, kept_after = kept(stack)
    check(all_after == all_before, "the pair list is unchanged")
    check(sorted(set(kept_before) - set(kept_after)) == expected,
          f"MintPy lacks exactly the excluded pairs: {sorted(set(kept_before) - set(kept_after))}")
    check(set(kept_after) <= set(kept_before), "no pair was re-enabled")
    with h5py.File(stack, "r") as f:
        mt = {k: f[k].attrs.get("MODIFICATION_TIME") for k in ("unwrapPhase", "coherence", "connectComponent")}
        saved = json.loads(f["dropIfgram"].attrs["PJD_ORIGINAL_DROPIFGRAM"])
        check(f["dropIfgram"].dtype == bool, "dropIfgram stays h5py bool")
    check(all(isinstance(v, str) and float(v) > time.time() - 60 for v in mt.values()),
          f"MODIFICATION_TIME touched: {mt} (before {mt_before})")
    check(saved["date12"] == all_before and sum(saved["dropIfgram"]) == len(kept_before), "original flags saved")

    # A second apply changes nothing and keeps the saved originals.
    r = run("exclude", res, "--apply")
    check(r.returncode == 0 and kept(stack)[1] == kept_after, "second apply is a no-op")

    # Restore.
    r = run("exclude", "--restore", "--stack", mintpy_dir)
    check(r.returncode == 0, f"restore: {r.stderr}")
    check(kept(stack)[1] == kept_before, "--restore brings the pairs back")
    with h5py.File(stack, "r") as f:
        check("PJD_ORIGINAL_DROPIFGRAM" not in f["dropIfgram"].attrs, "attribute removed by --restore")
    r = run("exclude", "--restore", "--stack", mintpy_dir)
    check(r.returncode == 3 and "nothing to restore" in r.stderr, "a second --restore is refused")

    # Template: MintPy's own reader sees the keys; other keys unchanged; idempotent.
    cfg = os.path.join(tmp, "smallbaselineApp.cfg")
    shutil.copyfile("/usr/lib/python3/dist-packages/mintpy/defaults/smallbaselineApp.cfg", cfg)
    orig = readfile.read_template(cfg)
    r = run("exclude", res, "--mintpy-cfg", cfg)
    check(r.returncode == 0, f"template: {r.stderr}")
    new = readfile.read_template(cfg, skip_chars=["[", "]"])
    check(sorted(new["mintpy.network.excludeDate12"].split(",")) == sorted(summary["excluded_pairs"]),
          "excludeDate12 as MintPy reads it")
    check(sorted(new["mintpy.network.excludeDate"].split(",")) == sorted(summary["excluded_dates"]),
          "excludeDate as MintPy reads it")
    others = {k: v for k, v in orig.items() if k not in ("mintpy.network.excludeDate",)}
    new_raw = readfile.read_template(cfg)
    check(all(new_raw.get(k) == v for k, v in others.items()), "every other key unchanged")
    first = open(cfg).read()
    r = run("exclude", res, "--mintpy-cfg", cfg)
    check(r.returncode == 0 and open(cfg).read() == first, "template edit is idempotent")

print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
