"""Malformed inputs get one clear stderr line, the right exit code, and nothing written
(issue 14: items 6, 7, 10-12, 14, 15).

Each case derives a damaged copy of a small simulated stack (attributes, dates, shapes,
file types) or a bad option, runs a pjd command, and checks: the exit code (2 usage,
3 data); exactly one stderr line, naming the file (or the option) and the problem; the
input unchanged (sha256); no temporary file left beside it or in the output folder. The
FIFO cases also check that pjd returns at all (a 20 s timeout).

Run by ctest with Debian's /usr/bin/python3: argv[1] = pjd executable, argv[2] = shared dir."""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from hostile import refusal_problems

pjd = sys.argv[1]
failures = []
checked = 0


def check(label, args, code, must_contain, watched, out_dir=None):
    """One refusal: exit `code`, one stderr line holding must_contain, `watched` unchanged."""
    global checked
    checked += 1
    problems = refusal_problems(pjd, args, code, must_contain, watched, out_dir, timeout=20)
    if problems:
        failures.append(f"{label}: {'; '.join(problems)}")


with tempfile.TemporaryDirectory() as tmp:
    base = os.path.join(tmp, "base")
    r = subprocess.run([pjd, "simulate", base, "--size", "tiny", "--seed", "5", "--progress", "none"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    n_case = 0

    def variant(edit):
        """A copy of the base stack with edit(h5py.File) applied; returns (dir, file)."""
        global n_case
        n_case += 1
        d = os.path.join(tmp, f"case{n_case}")
        shutil.copytree(os.path.join(base, "inputs"), os.path.join(d, "inputs"))
        f = os.path.join(d, "inputs", "ifgramStack.h5")
        with h5py.File(f, "r+") as h:
            edit(h)
        return d, f

    def set_attr(key, value):
        return lambda h: h.attrs.__setitem__(key, value)

    # Attributes out of their physical range (item 11: no garbage numbers from casts; item 12).
    attr_cases = [("LENGTH", "nan"), ("LENGTH", "1e30"), ("LENGTH", "-200"), ("LENGTH", "12.5"), ("WIDTH", "inf"),
                  ("WAVELENGTH", "inf"), ("WAVELENGTH", "1e308"), ("WAVELENGTH", "-0.05"), ("WAVELENGTH", "abc"),
                  ("ALOOKS", "0"), ("ALOOKS", "1e9"), ("RLOOKS", "-1"), ("trackNumber", "1e300"),
                  ("number_of_bursts", "-2147483648"), ("number_of_bursts", "nan")]
    for key, value in attr_cases:
        d, f = variant(set_attr(key, value))
        for cmd in (["info", d], ["detect", d, "--out", os.path.join(tmp, "o"), "--no-catalog", "--no-figures",
                                  "--progress", "none"]):
            check(f"{key}={value} / {cmd[0]}", cmd, 3, [f, key, value], [f], os.path.join(tmp, "o"))

    # Dates (item 12: reversed pairs; item 10: same-day and duplicate pairs).
    def set_date(i, ref, sec):
        def edit(h):
            dates = h["date"][()]
            dates[i] = [ref.encode(), sec.encode()]
            h["date"][...] = dates
        return edit

    with h5py.File(os.path.join(base, "inputs", "ifgramStack.h5"), "r") as h:
        d0 = [x.decode() for x in h["date"][0]]
        d1 = [x.decode() for x in h["date"][1]]
    date_cases = [("reversed pair", set_date(0, d0[1], d0[0]), "after the secondary"),
                  ("same-day pair", set_date(0, d0[0], d0[0]), "same day"),
                  ("duplicate pair", set_date(1, d0[0], d0[1]), "repeats pair 0"),
                  ("not a date", set_date(1, "2020133", d1[1]), "pair 1")]
    for label, edit, text in date_cases:
        d, f = variant(edit)
        check(f"{label} / info", ["info", d], 3, [f, text], [f])

    # Shapes: a (n, 1) dropIfgram (item 11), a float dropIfgram is left to the exclude tests.
    def column_drop(h):
        n = h["dropIfgram"].shape[0]
        del h["dropIfgram"]
        h.create_dataset("dropIfgram", data=np.ones((n, 1), dtype=bool))
    d, f = variant(column_drop)
    check("(n, 1) dropIfgram / info", ["info", d], 3, [f, "dropIfgram", "shape"], [f])

    # File types (item 6): a FIFO as the stack or as summary.json must not hang.
    fifo_dir = os.path.join(tmp, "fifo", "inputs")
    os.makedirs(fifo_dir)
    fifo = os.path.join(fifo_dir, "ifgramStack.h5")
    os.mkfifo(fifo)
    for cmd in (["info", os.path.dirname(fifo_dir)], ["detect", os.path.dirname(fifo_dir), "--no-catalog",
                                                      "--no-figures", "--out", os.path.join(tmp, "o2")]):
        check(f"FIFO stack / {cmd[0]}", cmd, 3, [fifo, "not a regular file"], [], os.path.join(tmp, "o2"))
    res = os.path.join(tmp, "fifo_result")
    os.makedirs(res)
    os.mkfifo(os.path.join(res, "summary.json"))
    check("FIFO summary.json / overlay", ["overlay", res, "--out", os.path.join(tmp, "x.gpkg")], 3,
          ["summary.json", "not a regular file"], [])
    check("directory as a stack file / info", ["info", os.path.join(base, "inputs", "ifgramStack.h5", "")], 3,
          ["ifgramStack.h5"], [])

    # Options (item 14: usage is exit 2, said once).
    bf = os.path.join(base, "inputs", "ifgramStack.h5")
    check("--threads 4294967295 / detect", ["detect", base, "--threads", "4294967295", "--no-catalog"], 2,
          ["--threads"], [bf])
    check("-n -3 / audit", ["audit", base, "-n", "-3", "--catalog", os.path.join(tmp, "a.gpkg")], 2,
          ["--n-burst", "-3"], [bf])

    # More attributes: the other keys a track is read from, and a stack of another kind.
    for key in ("TRACK", "relative_orbit", "relativeOrbit"):
        d, f = variant(set_attr(key, "1e300"))
        check(f"{key}=1e300 / info", ["info", d], 3, [f, key, "1e300"], [f])
    d, f = variant(set_attr("FILE_TYPE", "timeseries"))
    check("FILE_TYPE=timeseries / info", ["info", d], 3, [f, "FILE_TYPE", "timeseries"], [f])

    # More dates: a day the calendar does not have, an empty date.
    for label, edit, text in [("31 February", set_date(1, d1[0][:4] + "0231", d1[1]), "pair 1"),
                              ("empty date", set_date(2, "", d1[1]), "pair 2")]:
        d, f = variant(edit)
        check(f"{label} / info", ["info", d], 3, [f, text], [f])

    # Datasets: missing, of the wrong kind or shape.
    def drop_dataset(name):
        return lambda h: h.__delitem__(name)

    def retype(name, dtype):
        def edit(h):
            data = h[name][()]
            del h[name]
            h.create_dataset(name, data=data.astype(dtype))
        return edit

    def reshape_rows(name, rows):
        def edit(h):
            data = h[name][()]
            del h[name]
            h.create_dataset(name, data=data[:, :rows, :])
        return edit

    def flatten(name):
        def edit(h):
            data = h[name][()]
            del h[name]
            h.create_dataset(name, data=data[0])
        return edit

    for label, edit, text in [("no unwrapPhase", drop_dataset("unwrapPhase"), "missing dataset 'unwrapPhase'"),
                              ("no date", drop_dataset("date"), "missing dataset 'date'"),
                              ("text unwrapPhase", retype("unwrapPhase", "S4"), "dtype"),
                              ("short coherence", reshape_rows("coherence", 10), "coherence"),
                              ("rank-2 unwrapPhase", flatten("unwrapPhase"), "rank 2")]:
        d, f = variant(edit)
        for cmd in (["info", d], ["detect", d, "--out", os.path.join(tmp, "o3"), "--no-catalog", "--no-figures",
                                  "--progress", "none"]):
            check(f"{label} / {cmd[0]}", cmd, 3, [f, text], [f], os.path.join(tmp, "o3"))

    # Files that are not stacks: empty, text, cut in half.
    for label, content, text in [("0-byte stack", b"", "not an HDF5 file"),
                                 ("text as a stack", b"mintpy.load.processor = isce\n", "not an HDF5 file")]:
        d = os.path.join(tmp, label.replace(" ", "_"), "inputs")
        os.makedirs(d)
        f = os.path.join(d, "ifgramStack.h5")
        open(f, "wb").write(content)
        check(f"{label} / info", ["info", os.path.dirname(d)], 3, [f, text], [f])
    half = os.path.join(tmp, "half", "inputs")
    shutil.copytree(os.path.join(base, "inputs"), half)
    hf = os.path.join(half, "ifgramStack.h5")
    os.truncate(hf, os.path.getsize(hf) // 2)
    check("half a stack / detect", ["detect", os.path.dirname(half), "--out", os.path.join(tmp, "o4"), "--no-catalog",
                                    "--no-figures", "--progress", "none"], 3, [hf], [hf], os.path.join(tmp, "o4"))

    # A good result, then damaged copies of what it wrote and of its geometry.
    good = os.path.join(tmp, "good")
    r = subprocess.run([pjd, "detect", base, "--out", good, "--no-catalog", "--no-figures", "--progress", "none"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    summary_text = open(os.path.join(good, "summary.json")).read()

    def result_with(text):
        global n_case
        n_case += 1
        d = os.path.join(tmp, f"result{n_case}")
        os.makedirs(d)
        open(os.path.join(d, "summary.json"), "w").write(text)
        return d, os.path.join(d, "summary.json")

    for label, text, problem in [("summary.json not JSON", "{\"pairs\": [1, 2", "malformed summary"),
                                 ("summary.json an array", "[]", "not a pjd result"),
                                 ("summary.json cut short", summary_text[: len(summary_text) // 2], "malformed"),
                                 ("summary.json empty", "", "malformed")]:
        d, f = result_with(text)
        for cmd in (["exclude", d], ["overlay", d, "--out", os.path.join(d, "x.gpkg")]):
            check(f"{label} / {cmd[0]}", cmd, 3, [f, problem], [f], d)
    d = os.path.join(tmp, "no_summary")
    os.makedirs(d)
    check("no summary.json / exclude", ["exclude", d], 3, [os.path.join(d, "summary.json"), "no such file"], [])

    geo_src = os.path.join(base, "inputs", "geometryRadar.h5")
    for label, edit, problem in [("latitude 1000", ("latitude", 1000.0), "not a latitude"),
                                 ("longitude -inf", ("longitude", -np.inf), "not a longitude")]:
        n_case += 1
        g = os.path.join(tmp, f"geo{n_case}.h5")
        shutil.copy(geo_src, g)
        with h5py.File(g, "r+") as h:
            data = h[edit[0]][()]
            data[5, 5] = edit[1]
            h[edit[0]][...] = data
        check(f"{label} / overlay", ["overlay", good, "--geometry", g, "--out", os.path.join(tmp, "geo.gpkg")], 3,
              [g, problem], [g])
    geo_fifo = os.path.join(tmp, "geo_fifo.h5")
    os.mkfifo(geo_fifo)
    check("FIFO geometry / overlay", ["overlay", good, "--geometry", geo_fifo, "--out", os.path.join(tmp, "geo.gpkg")],
          3, [geo_fifo, "not a regular file"], [])

    # Catalogues that are not pjd's: a FIFO, a text file, a foreign SQLite file.
    cat_fifo = os.path.join(tmp, "cat_fifo.gpkg")
    os.mkfifo(cat_fifo)
    check("FIFO catalogue / catalog runs", ["catalog", "runs", "--catalog", cat_fifo], 3, [cat_fifo], [])
    cat_text = os.path.join(tmp, "cat.gpkg")
    open(cat_text, "w").write("not a database\n")
    check("text catalogue / catalog runs", ["catalog", "runs", "--catalog", cat_text], 3, [cat_text], [cat_text])
    check("text catalogue / detect", ["detect", base, "--catalog", cat_text, "--out", os.path.join(tmp, "o5"),
                                      "--no-figures", "--progress", "none"], 3, [cat_text], [cat_text, bf],
          os.path.join(tmp, "o5"))
    import sqlite3
    foreign = os.path.join(tmp, "foreign.sqlite")
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE notes (x TEXT)")
    con.commit()
    con.close()
    check("foreign SQLite / catalog runs", ["catalog", "runs", "--catalog", foreign], 3, [foreign], [foreign])

    # Options that cannot be: usage errors (exit 2), said once, nothing written.
    o6 = os.path.join(tmp, "o6")
    for opts, named in [(["--pct", "2"], "--pct"), (["--cmin", "0"], "--cmin"), (["--pj-thr", "-1"], "--pj-thr"),
                        (["--sub-x", "500", "10"], "--sub-x"), (["--pair", "not_a_pair"], "--pair"),
                        (["--method", "magic"], "--method"), (["--date-thr-px", "nan"], "--date-thr-px")]:
        check(f"{' '.join(opts)} / detect", ["detect", base, "--no-catalog", "--out", o6, *opts], 2, [named], [bf], o6)
        if os.path.exists(o6):
            failures.append(f"{' '.join(opts)}: usage error created {o6}")

    # Leftovers (item 15). Beside a file pjd rewrites (here a template), the temporaries of
    # killed runs are cleared by the next run; those of live processes and other machines'
    # recent ones are kept. A result folder is one result: the next detect into it leaves no
    # temporary at all (it is replaced whole).
    import socket
    host = socket.gethostname()
    for c in "/-.":
        host = host.replace(c, "_")
    dead = subprocess.Popen(["true"])
    dead.wait()
    cfg_dir = os.path.join(tmp, "leftovers_cfg")
    os.makedirs(cfg_dir)
    cfg = os.path.join(cfg_dir, "smallbaselineApp.cfg")
    open(cfg, "w").write("mintpy.load.processor = isce\n")
    stale = [f".smallbaselineApp.cfg.tmp-{host}-{dead.pid}-0", f".other.cfg.tmp-{host}-{dead.pid}-3"]
    kept = [f".smallbaselineApp.cfg.tmp-{host}-{os.getpid()}-0", ".smallbaselineApp.cfg.tmp-otherhost-12345-0"]
    for name in stale + kept:
        open(os.path.join(cfg_dir, name), "w").write("partial")
    r = subprocess.run([pjd, "exclude", good, "--mintpy-cfg", cfg], capture_output=True, text=True)
    checked += 1
    left = sorted(n for n in os.listdir(cfg_dir) if ".tmp-" in n)
    if r.returncode != 0 or left != sorted(kept):
        failures.append(f"stale temporaries: exit {r.returncode}, left {left}, expected {sorted(kept)}: {r.stderr}")
    out = os.path.join(tmp, "leftovers")
    os.makedirs(out)
    for name in [f".summary.json.tmp-{host}-{dead.pid}-0", f".intensity_pct.nc.tmp-{host}-{dead.pid}-3.aux.xml",
                 "notes.txt"]:
        open(os.path.join(out, name), "w").write("partial")
    r = subprocess.run([pjd, "detect", base, "--out", out, "--no-catalog", "--no-figures", "--progress", "none"],
                       capture_output=True, text=True)
    checked += 1
    left = sorted(n for n in os.listdir(out) if ".tmp-" in n)
    if r.returncode != 0 or left or not os.path.isfile(os.path.join(out, "notes.txt")):
        failures.append(f"result folder: exit {r.returncode}, temporaries left {left}, notes.txt kept "
                        f"{os.path.isfile(os.path.join(out, 'notes.txt'))}: {r.stderr}")
    if any(".tmp-" in n for n in os.listdir(tmp)):
        failures.append(f"a temporary folder left beside the result: {os.listdir(tmp)}")

for f in failures:
    print("FAIL:", f)
print(f"{checked - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
