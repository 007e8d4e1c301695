#!/usr/bin/env bash
# Regenerates the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/): small valid
# files made by `pjd simulate` / `pjd detect` (and one stack written with h5py, with enough
# chunks for a two-level chunk index), plus damaged copies of each. The committed corpus is
# what this script writes; run it again only to change the seeds, and keep it small
# (each file a few tens of KB at most, the whole corpus well under 1 MB).
# Usage: tests/fuzz/make_seeds.sh PJD_EXECUTABLE      (e.g. build/ci/bin/pjd)
# Needs Debian's /usr/bin/python3 with python3-h5py (install-deps.sh installs both).
set -euo pipefail
pjd="$(realpath "${1:?usage: make_seeds.sh PJD_EXECUTABLE}")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
corpus="$here/corpus"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PYTHONNOUSERSITE=1

sim() {  # sim OUT COMPRESSION SEED ROWS [more simulate options]: a tiny stack
  local out="$1" comp="$2" seed="$3" rows="$4"
  shift 4
  "$pjd" simulate --size tiny --length "$rows" --width 8 --n-burst 2 --no-water --progress none \
    --compression "$comp" --seed "$seed" "$@" "$work/$out" >/dev/null
}
sim none none 1 32 --n-dates 3 --connections 1
sim lzf lzf 2 32 --n-dates 3 --connections 1
# Summaries: a stack with seams that both methods find (64 rows, 2 bursts), 4 pairs.
sim det none 3 64 --n-dates 3 --connections 1 --lowcoh-pairs 0 --bad-dates 1
"$pjd" detect "$work/det" --method robust --out "$work/det_robust" --no-figures --no-catalog --progress none >/dev/null
"$pjd" detect "$work/det" --method published -n 2 --out "$work/det_published" --no-figures --no-catalog \
  --progress none >/dev/null

rm -rf "$corpus"
mkdir -p "$corpus/fuzz_chunk_index" "$corpus/fuzz_stack_open" "$corpus/fuzz_summary_json"
/usr/bin/python3 - "$work" "$corpus" <<'PY'
import json, os, shutil, struct, sys

import h5py
import numpy as np

work, corpus = sys.argv[1], sys.argv[2]
ci, so, sj = (os.path.join(corpus, t) for t in ("fuzz_chunk_index", "fuzz_stack_open", "fuzz_summary_json"))
none_h5 = os.path.join(work, "none/inputs/ifgramStack.h5")
lzf_h5 = os.path.join(work, "lzf/inputs/ifgramStack.h5")

ATTRS = {"FILE_TYPE": "ifgramStack", "LENGTH": "16", "WIDTH": "8", "WAVELENGTH": "0.05546576", "ALOOKS": "3",
         "RLOOKS": "9", "ORBIT_DIRECTION": "DESCENDING"}
DATES = [["20200101", "20200113"], ["20200113", "20200125"]]


def small_stack(path, unw_chunks=(2, 16, 8), with_coherence=True, attrs=None, **datasets):
    """2 pairs x 16 x 8: unwrapPhase in chunks of unw_chunks, coherence (when asked) in one
    chunk, dates as variable-length strings (the simulated stacks have fixed-length ones),
    dropIfgram. attrs replace or add attributes (None removes one); datasets=name=kwargs of
    create_dataset replace a dataset (None leaves it out). Each file is written at once, so no
    damaged copy carries the free space of an edit."""
    rng = np.random.default_rng(4)
    sets = {"unwrapPhase": dict(data=rng.random((2, 16, 8), dtype=np.float32), chunks=unw_chunks,
                                maxshape=(None, 16, 8)),
            "date": dict(data=np.array(DATES, dtype=object), dtype=h5py.string_dtype()),
            "dropIfgram": dict(data=np.array([True, False]))}
    if with_coherence:
        sets["coherence"] = dict(data=rng.random((2, 16, 8), dtype=np.float32), chunks=(2, 16, 8))
    sets.update(datasets)
    with h5py.File(path, "w") as f:
        for k, v in {**ATTRS, **(attrs or {})}.items():
            if v is not None:
                f.attrs[k] = v
        for name, kw in sets.items():
            if kw is not None:
                f.create_dataset(name, **kw)


# multi: unwrapPhase in 128 chunks of (1, 2, 1), more than one B-tree node holds (64), so its
# index has a root of level 1 over two leaves. mini: one chunk per dataset.
multi_h5, mini_h5 = os.path.join(work, "multi.h5"), os.path.join(work, "mini.h5")
small_stack(multi_h5, (1, 2, 1))
small_stack(mini_h5)


def copy(src, dst_dir, name):
    dst = os.path.join(dst_dir, name)
    shutil.copyfile(src, dst)
    return dst


def trees(data):
    """Offsets of the raw-data chunk B-tree nodes (TREE, type 1): [(offset, level, entries)]."""
    out, at = [], data.find(b"TREE")
    while at >= 0:
        if data[at + 4] == 1:
            out.append((at, data[at + 5], struct.unpack_from("<H", data, at + 6)[0]))
        at = data.find(b"TREE", at + 1)
    return out


KEY = 8 + 8 * 4  # chunk size, filter mask, 4 offsets (rank 3 + the element)


def entry(node, e):
    """File offsets of entry e's key and child address."""
    pos = node + 8 + 16 + e * (KEY + 8)
    return pos, pos + KEY


def damaged(src, dst_dir, name, fn):
    data = bytearray(open(src, "rb").read())
    fn(data)
    open(os.path.join(dst_dir, name), "wb").write(bytes(data))


def leaf(data):
    return next(t for t in trees(data) if t[1] == 0)


def root(data):
    return max(trees(data), key=lambda t: t[1])


def put(fmt, pos, value):
    return lambda d: struct.pack_into(fmt, d, pos, value)


# --- the chunk index: valid files, then one damage each -----------------------------------
for src, tag in ((none_h5, "sim_none"), (lzf_h5, "sim_lzf"), (multi_h5, "multi"), (mini_h5, "mini")):
    copy(src, ci, tag + ".h5")
data = open(multi_h5, "rb").read()
r, lf = root(data), leaf(data)
damaged(multi_h5, ci, "multi_cycle.h5", put("<Q", entry(r[0], 0)[1], r[0]))           # a child is its parent
damaged(multi_h5, ci, "multi_level.h5", put("<B", lf[0] + 5, 3))                       # a leaf claims level 3
damaged(multi_h5, ci, "multi_missing.h5", put("<H", lf[0] + 6, lf[2] - 1))             # a chunk left out
damaged(multi_h5, ci, "multi_twice.h5",                                                # a chunk listed twice
        lambda d: d.__setitem__(slice(entry(lf[0], 1)[0] + 8, entry(lf[0], 1)[0] + KEY),
                                d[entry(lf[0], 0)[0] + 8:entry(lf[0], 0)[0] + KEY]))
damaged(multi_h5, ci, "multi_between.h5", put("<Q", entry(lf[0], 1)[0] + 16, 1))        # a row offset between chunks
damaged(multi_h5, ci, "multi_overlap.h5",                                              # two chunks share bytes
        lambda d: struct.pack_into("<Q", d, entry(lf[0], 1)[1], struct.unpack_from("<Q", d, entry(lf[0], 0)[1])[0] + 4))
open(os.path.join(ci, "multi_truncated.h5"), "wb").write(data[:lf[0] + 200])
data = open(mini_h5, "rb").read()
lf = leaf(data)
damaged(mini_h5, ci, "mini_entries.h5", put("<H", lf[0] + 6, 65))                      # more entries than fit
damaged(mini_h5, ci, "mini_short.h5", put("<I", entry(lf[0], 0)[0], 4))               # 4 bytes of a chunk stored
damaged(mini_h5, ci, "mini_mask.h5", put("<I", entry(lf[0], 0)[0] + 4, 1))            # a filter it has not
damaged(mini_h5, ci, "mini_past_end.h5", put("<Q", entry(lf[0], 0)[1], len(data) + 64))
damaged(mini_h5, ci, "mini_on_node.h5", put("<Q", entry(lf[0], 0)[1], lf[0]))           # the chunk is the node
data = open(lzf_h5, "rb").read()
lf = leaf(data)
damaged(lzf_h5, ci, "sim_lzf_skipped.h5", put("<I", entry(lf[0], 0)[0] + 4, 1))         # "stored unfiltered"
damaged(lzf_h5, ci, "sim_lzf_payload.h5",                                               # LZF data that is not
        lambda d: d.__setitem__(slice(struct.unpack_from("<Q", d, entry(lf[0], 0)[1])[0],
                                      struct.unpack_from("<Q", d, entry(lf[0], 0)[1])[0] + 8), b"\xff" * 8))

# Regressions (defects the fuzzers found): a shape needing 2^64 + 2^42 chunks of one element
# (the count wrapped to 2^42, which was allocated), one chunk stored: about 4.5 KB.
with h5py.File(os.path.join(ci, "regress_chunk_count_wraps.h5"), "w") as f:
    f.create_dataset("unwrapPhase", shape=(2**22 + 1, 2**21, 2**21), chunks=(1, 1, 1), dtype="f4")[0, 0, 0] = 1

# --- stack opening: valid files, then attributes, dates, shapes ---------------------------
copy(none_h5, so, "sim_none.h5")


def variant_stack(name, **kw):
    small_stack(os.path.join(so, name), with_coherence=False, **kw)


def dates(rows, **kw):
    return dict(data=np.array(rows, dtype="S8"), **kw)


variant_stack("mini.h5")
variant_stack("mini_fixed_dates.h5", date=dates(DATES))
variant_stack("attr_length_nan.h5", attrs={"LENGTH": "nan"})
variant_stack("attr_width_mismatch.h5", attrs={"WIDTH": "9"})
variant_stack("attr_no_size.h5", attrs={"LENGTH": None, "WIDTH": None, "FILE_TYPE": None})
variant_stack("attr_wavelength_inf.h5", attrs={"WAVELENGTH": "inf"})
variant_stack("attr_alooks_huge.h5", attrs={"ALOOKS": "1e30"})
variant_stack("attr_file_type.h5", attrs={"FILE_TYPE": "timeseries"})
variant_stack("attr_number_array.h5", attrs={"LENGTH": np.array([16, 16], dtype=np.int64)})
variant_stack("date_reversed.h5", date=dates([["20200113", "20200101"], ["20200113", "20200125"]]))
variant_stack("date_bad_day.h5", date=dates([["20200101", "20200230"], ["20200113", "20200125"]]))
variant_stack("date_repeated.h5", date=dates([["20200101", "20200113"], ["20200101", "20200113"]]))
variant_stack("date_shape.h5", date=dates([["20200101", "20200113", "20200125"]] * 2))
variant_stack("date_numbers.h5", date=dict(data=np.array([[20200101, 20200113], [20200113, 20200125]])))
variant_stack("date_missing.h5", date=None)
variant_stack("drop_shape.h5", dropIfgram=dict(data=np.array([True, True, False])))
variant_stack("unw_rank2.h5", unwrapPhase=dict(data=np.zeros((16, 8), dtype=np.float32)))
variant_stack("unw_dtype.h5", unwrapPhase=dict(data=np.zeros((2, 16, 8), dtype="S4")))
variant_stack("coh_pairs.h5", coherence=dict(data=np.zeros((3, 16, 8), dtype=np.float32)))
copy(os.path.join(ci, "regress_chunk_count_wraps.h5"), so, "regress_chunk_count_wraps.h5")
data = open(os.path.join(so, "mini.h5"), "rb").read()
open(os.path.join(so, "truncated.h5"), "wb").write(data[:len(data) // 2])

# --- summary.json: the two methods' summaries, then damaged ones --------------------------
robust = os.path.join(work, "det_robust/summary.json")
published = os.path.join(work, "det_published/summary.json")
copy(robust, sj, "robust.json")
copy(published, sj, "published.json")
doc = json.load(open(robust))


def variant(name, fn):
    d = json.loads(json.dumps(doc))
    fn(d)
    open(os.path.join(sj, name), "w").write(json.dumps(d))


text = open(robust).read()
open(os.path.join(sj, "truncated.json"), "w").write(text[:len(text) // 2])
open(os.path.join(sj, "not_json.json"), "w").write("pjd detect\n")
open(os.path.join(sj, "array.json"), "w").write("[1, 2, 3]\n")
variant("schema_future.json", lambda d: d.__setitem__("schema_version", 99))
variant("params_missing.json", lambda d: d.pop("params"))
variant("params_method.json", lambda d: d["params"].__setitem__("method", "magic"))
variant("params_cmin.json", lambda d: d["params"].__setitem__("cmin", -1))
variant("params_types.json", lambda d: d["params"].__setitem__("n_burst", "two"))
variant("pairs_object.json", lambda d: d.__setitem__("pairs", {"a": 1}))
variant("pair_name.json", lambda d: d["pairs"][0].__setitem__("pair", "2020_01"))
variant("pair_ramp_string.json", lambda d: d["pairs"][0].__setitem__("ramp_mm", "5"))
variant("seams_negative.json", lambda d: d.__setitem__("seams", [{"row": -3}]))
variant("length_huge.json", lambda d: d.__setitem__("length", 1e300))
variant("width_negative.json", lambda d: d.__setitem__("width", -8))
variant("x_range.json", lambda d: (d.__setitem__("x0", 9), d.__setitem__("x1", 2)))
variant("stack_file_number.json", lambda d: d.__setitem__("stack_file", 7))
variant("excluded_unknown.json", lambda d: d.__setitem__("excluded_pairs", ["19990101_19990113"]))
PY
du -sh "$corpus"/*
