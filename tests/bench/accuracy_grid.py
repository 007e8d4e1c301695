#!/usr/bin/python3
"""Accuracy grid: simulate stacks over a grid of conditions, run both detection methods and
score them against the truth with `pjd evaluate`.

    /usr/bin/python3 tests/bench/accuracy_grid.py build/bin/pjd --grid full --seeds 3 \
        --work /tmp/pjd_grid --markdown docs/accuracy.md

--grid full: the benchmark (docs/accuracy.md); --grid ci: a small grid for the regression test
(tests/python/test_robust_accuracy.py). Prints one JSON document (cells with both methods'
scores) on stdout unless --quiet. The parity stacks (../shared/parity) are included with
--parity DIR.
"""
import argparse
import concurrent.futures
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time

# Baseline: the simulator's "small" preset (30 dates, 3 connections = 81 pairs, 540 x 140).
BASE = {"coherence": 0.80, "scatter": 0.0015, "smear": 2.0, "bursts": 6, "orbit": "asc", "water": True,
        "subswaths": 1}


def cell(name, **kw):
    c = dict(BASE)
    c.update(kw)
    c["name"] = name
    return c


FULL = [
    cell("baseline"),
    cell("coherence 0.6", coherence=0.6),
    cell("coherence 0.65", coherence=0.65),
    cell("coherence 0.7", coherence=0.7),
    cell("coherence 0.9", coherence=0.9),
    cell("scatter 0.001", scatter=0.001),
    cell("scatter 0.003", scatter=0.003),
    cell("scatter 0.005", scatter=0.005),
    cell("smear 0.3", smear=0.3),
    cell("smear 1", smear=1.0),
    cell("4 bursts", bursts=4),
    cell("10 bursts", bursts=10),
    cell("descending", orbit="desc"),
    cell("no water", water=False),
    cell("2 sub-swaths", subswaths=2, width=200),
    cell("3 sub-swaths", subswaths=3, width=240),
    cell("coh 0.65, smear 0.3, 10 bursts, desc", coherence=0.65, smear=0.3, bursts=10, orbit="desc"),
    cell("coh 0.65, 4 bursts, 2 sub-swaths", coherence=0.65, bursts=4, subswaths=2, width=200),
    cell("coh 0.9, scatter 0.005, smear 0.3, no water, desc", coherence=0.9, scatter=0.005, smear=0.3,
         water=False, orbit="desc"),
    cell("coh 0.7, scatter 0.003, smear 1, 3 sub-swaths", coherence=0.7, scatter=0.003, smear=1.0, subswaths=3,
         width=240),
]

# CI: small and quick, one cell per hard case, all with mean coherence >= 0.65.
CI = [
    cell("ci baseline", n_dates=20),
    cell("ci coherence 0.65, smear 0.3, desc", n_dates=20, coherence=0.65, smear=0.3, orbit="desc"),
    cell("ci 10 bursts, no water", n_dates=20, bursts=10, water=False),
    cell("ci 2 sub-swaths", n_dates=20, subswaths=2, width=200),
]


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    return p.stdout


def evaluate(pjd, truth, out):
    return json.loads(run([pjd, "evaluate", truth, out, "--format", "json"]))


METHODS = ("published", "robust")


def one_stack(pjd, work, c, seed, threads, keep):
    d = os.path.join(work, "%s_seed%d" % (c["name"].replace(" ", "_").replace(",", "").replace(".", "p"), seed))
    sim = [pjd, "simulate", d, "--size", "small", "--seed", str(seed), "--coherence", str(c["coherence"]),
           "--misreg-sigma-px", str(c["scatter"]), "--smear-rows", str(c["smear"]), "--n-burst", str(c["bursts"]),
           "--orbit", c["orbit"], "--subswaths", str(c["subswaths"]), "--threads", str(threads),
           "--progress", "none"]
    if not c["water"]:
        sim.append("--no-water")
    if "width" in c:
        sim += ["--width", str(c["width"])]
    if "n_dates" in c:
        sim += ["--n-dates", str(c["n_dates"])]
    run(sim)
    truth = os.path.join(d, "truth.json")
    t = json.load(open(truth))
    coh = [p["mean_coherence"] for p in t["pairs"] if not p["low_coherence"]]
    res = {"seed": seed, "pair_mean_coherence": statistics.mean(coh)}
    for method in METHODS:
        out = os.path.join(d, "det_" + method)
        cmd = [pjd, "detect", d, "--method", method, "--out", out, "--no-catalog", "--progress", "none",
               "--threads", str(threads), "--format", "json"]
        if method == "published":
            cmd += ["--n-burst", str(t["n_burst"])]  # the published method needs it by hand
        t0 = time.time()
        run(cmd)
        res[method] = evaluate(pjd, truth, out)
        res[method]["wall_s"] = time.time() - t0
    if not keep:
        shutil.rmtree(d, ignore_errors=True)
    return res


def parity_stack(pjd, parity, case, args, n_burst, work):
    d = os.path.join(parity, case)
    res = {"seed": None}
    t = json.load(open(os.path.join(d, "truth.json")))
    res["pair_mean_coherence"] = statistics.mean(p["mean_coherence"] for p in t["pairs"] if not p["low_coherence"])
    for method in METHODS:
        out = os.path.join(work, "parity_%s_%s" % (case, method))
        cmd = [pjd, "detect", d, "--method", method, "--out", out, "--no-catalog", "--progress", "none",
               "--format", "json"] + args
        if method == "published":
            cmd += ["--n-burst", str(n_burst)]
        t0 = time.time()
        run(cmd)
        res[method] = evaluate(pjd, os.path.join(d, "truth.json"), out)
        res[method]["wall_s"] = time.time() - t0
    return res


def aggregate(stacks, method):
    """Pooled scores of one method over a cell's stacks."""
    s = [x[method] for x in stacks]
    seams_true = sum(x["seams"]["true"] for x in s)
    seams_found = sum(x["seams"]["found"] for x in s)
    seams_false = sum(x["seams"]["false"] for x in s)
    n = sum(x["ramp"]["n"] for x in s)
    sq = sum(x["ramp"]["n"] * (x["ramp"]["rmse_mm"] or 0) ** 2 for x in s)
    biases = [x["ramp"]["median_bias_mm"] for x in s if x["ramp"]["median_bias_mm"] is not None]
    tp = sum(x["pairs"]["tp"] for x in s)
    fp = sum(x["pairs"]["fp"] for x in s)
    fn = sum(x["pairs"]["fn"] for x in s)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    f1_min = min((x["pairs"]["f1"] for x in s if x["pairs"]["f1"] is not None), default=None)
    dates_true = sum(x["dates"]["true"] for x in s)
    dates_found = sum(x["dates"]["found"] for x in s)
    dates_false = sum(x["dates"]["false"] for x in s)
    bursts_right = sum(1 for x in s if x["bursts"]["right"])
    out = {
        "stacks": len(s),
        "seams_found_pct": 100.0 * seams_found / seams_true if seams_true else 100.0,
        "seams_false": seams_false,
        "ramp_rmse_mm": math.sqrt(sq / n) if n else None,
        "ramp_median_bias_mm": statistics.median(biases) if biases else None,
        "pair_f1": f1,
        "pair_f1_min": f1_min,
        "pair_precision": tp / (tp + fp) if tp + fp else 1.0,
        "pair_recall": tp / (tp + fn) if tp + fn else 1.0,
        "bad_dates_found": dates_found,
        "bad_dates_true": dates_true,
        "bad_dates_false": dates_false,
        "bursts_right_pct": 100.0 * bursts_right / len(s),
        "wall_s": statistics.mean(x["wall_s"] for x in s),
    }
    out["targets"] = {
        "seams": out["seams_found_pct"] == 100.0 and seams_false == 0,
        "ramp": out["ramp_rmse_mm"] is not None and out["ramp_rmse_mm"] <= 1.0,
        "f1": f1 >= 0.95,
        "dates": dates_found == dates_true and dates_false == 0,
        "bursts": out["bursts_right_pct"] >= 95.0,
    }
    out["targets"]["all"] = all(out["targets"].values())
    return out


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def markdown(cells, command):
    lines = []
    lines.append("| cell | pair coh | method | seams found | false seams | ramp RMSE mm | ramp bias mm | pair F1 (P/R) "
                 "| bad dates found (false) | bursts right | targets |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for c in cells:
        for m in ("published", "robust"):
            a = c[m]
            missed = [k for k, v in a["targets"].items() if k != "all" and not v]
            lines.append("| %s | %s | %s | %s%% | %d | %s | %s | %s (%s/%s) | %d/%d (%d) | %s%% | %s |" % (
                c["name"] if m == "published" else "", fmt(c["pair_mean_coherence"], ".2f") if m == "published" else "",
                m, fmt(a["seams_found_pct"], ".0f"), a["seams_false"], fmt(a["ramp_rmse_mm"], ".2f"),
                fmt(a["ramp_median_bias_mm"], "+.2f"), fmt(a["pair_f1"], ".2f"), fmt(a["pair_precision"], ".2f"),
                fmt(a["pair_recall"], ".2f"), a["bad_dates_found"], a["bad_dates_true"], a["bad_dates_false"],
                fmt(a["bursts_right_pct"], ".0f"), "all met" if not missed else "missed: " + ", ".join(missed)))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pjd")
    ap.add_argument("--grid", choices=["full", "ci"], default="full")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--work", default="/tmp/pjd_accuracy_grid")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="threads per simulate/detect run")
    ap.add_argument("--parity", help="the shared parity directory (cases.json and one folder per case)")
    ap.add_argument("--markdown", help="write the table into this file (docs/accuracy.md)")
    ap.add_argument("--keep", action="store_true", help="keep the simulated stacks")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--methods", default="published,robust", help="comma-separated methods to run")
    args = ap.parse_args()
    global METHODS
    METHODS = tuple(args.methods.split(","))
    pjd = os.path.abspath(args.pjd)
    os.makedirs(args.work, exist_ok=True)
    grid = FULL if args.grid == "full" else CI
    t0 = time.time()
    jobs = [(c, s) for c in grid for s in range(args.first_seed, args.first_seed + args.seeds)]
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futs = {ex.submit(one_stack, pjd, args.work, c, s, args.threads, args.keep): (c["name"], s) for c, s in jobs}
        for f in concurrent.futures.as_completed(futs):
            name, s = futs[f]
            results.setdefault(name, []).append(f.result())
    cells = []
    for c in grid:
        stacks = sorted(results[c["name"]], key=lambda x: x["seed"])
        cells.append({"name": c["name"], "params": {k: v for k, v in c.items() if k != "name"},
                      "pair_mean_coherence": statistics.mean(x["pair_mean_coherence"] for x in stacks),
                      "stacks": stacks})
        cells[-1].update({m: aggregate(stacks, m) for m in METHODS})
    if args.parity:
        cases = json.load(open(os.path.join(args.parity, "cases.json")))
        for case, spec in cases.items():
            r = parity_stack(pjd, args.parity, case, spec.get("reference_args", []), spec["n_burst"], args.work)
            cells.append({"name": "parity " + case, "params": {"reference_args": spec.get("reference_args", [])},
                          "pair_mean_coherence": r["pair_mean_coherence"],
                          "stacks": [r]})
            cells[-1].update({m: aggregate([r], m) for m in METHODS})
    doc = {"grid": args.grid, "seeds": args.seeds, "elapsed_s": time.time() - t0, "cells": cells}
    if args.markdown:
        cmd = "/usr/bin/python3 tests/bench/accuracy_grid.py build/bin/pjd --grid %s --seeds %d%s --markdown %s" % (
            args.grid, args.seeds, " --parity ../shared/parity" if args.parity else "", args.markdown)
        write_markdown(args.markdown, cells, cmd, doc)
    if not args.quiet:
        json.dump(doc, sys.stdout, indent=1)
        print()


def write_markdown(path, cells, cmd, doc):
    start, end = "<!-- accuracy-table:start -->", "<!-- accuracy-table:end -->"
    table = "%s\n\nRegenerate with:\n\n```\n%s\n```\n\n%d cells, %d seeds per simulated cell, %.0f s.\n\n%s\n%s" % (
        start, cmd, len(cells), doc["seeds"], doc["elapsed_s"], markdown(cells, cmd), end)
    text = open(path).read() if os.path.exists(path) else "# Accuracy\n\n" + start + "\n" + end + "\n"
    if start in text and end in text:
        text = text[:text.index(start)] + table + text[text.index(end) + len(end):]
    else:
        text += "\n" + table + "\n"
    open(path, "w").write(text)


if __name__ == "__main__":
    main()
