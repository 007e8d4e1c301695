"""Damaged chunk indexes are refused before HDF5 reads them (issue 14, items 1-3).

Each case copies a small simulated stack and damages one version-1 B-tree of
unwrapPhase: a node that points at itself, a wrong level or depth, a short chunk, a filter
mask on an LZF chunk, a missing, doubled or misplaced chunk, a chunk over another chunk,
the superblock or a B-tree node, a chunk past the end of the file. Every command that
reads the stack (`pjd info`, `pjd detect` with both methods and both read paths) must exit
3 with one stderr line naming the file, the dataset and the damage, leave the file
unchanged (sha256) and leave no temporary file. An audit of an archive holding a damaged
stack carries on with the others.

Run by ctest with Debian's /usr/bin/python3: argv[1] = pjd executable, argv[2] = shared dir."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import h5py

from hostile import refusal_problems

pjd = sys.argv[1]
failures = []
checked = 0


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([pjd, *args], capture_output=True, text=True, env=e, timeout=120)


def nodes(data):
    """Every chunk B-tree node of the file: address -> (level, entries, ndims-free layout)."""
    out = {}
    at = data.find(b"TREE")
    while at >= 0:
        if data[at + 4] == 1:  # node type 1: raw data chunks
            out[at] = (data[at + 5], struct.unpack_from("<H", data, at + 6)[0])
        at = data.find(b"TREE", at + 1)
    return out


def entry_pos(node, e, ndims=4):
    """Offset of entry e's key (size, mask, offsets) and of its child address."""
    key = 8 + 8 * ndims
    pos = node + 8 + 16 + e * (key + 8)
    return pos, pos + key


def dataset_leaf(path, data, name):
    """The root (a leaf) of dataset `name`'s B-tree and the file offsets of its chunks."""
    with h5py.File(path, "r") as f:
        ds = f[name]
        addrs = {ds.id.get_chunk_info(i).byte_offset for i in range(ds.id.get_num_chunks())}
        chunk_bytes = 4 * ds.chunks[0] * ds.chunks[1] * ds.chunks[2]
    for node, (level, entries) in nodes(data).items():
        if level != 0:
            continue
        children = {struct.unpack_from("<Q", data, entry_pos(node, e)[1])[0] for e in range(entries)}
        if children and children <= addrs:
            return node, entries, chunk_bytes
    raise RuntimeError(f"no leaf B-tree node found for {name} in {path}")


def damage_cases(path, lzf):
    data = bytearray(open(path, "rb").read())
    leaf, entries, chunk_bytes = dataset_leaf(path, data, "unwrapPhase")
    assert entries >= 2, entries
    k0, c0 = entry_pos(leaf, 0)
    k1, c1 = entry_pos(leaf, 1)

    def patched(*edits):
        d = bytearray(data)
        for off, fmt, value in edits:
            struct.pack_into(fmt, d, off, value)
        return d

    cases = {}
    # Item 1: a level-1 root whose children are itself (HDF5's H5B_find recursed to a stack overflow).
    cases["self-referencing node"] = patched((leaf + 5, "<B", 1), *[(entry_pos(leaf, e)[1], "<Q", leaf)
                                                                     for e in range(entries)])
    cases["impossible depth"] = patched((leaf + 5, "<B", 200))
    cases["too many entries"] = patched((leaf + 6, "<H", 5000))
    cases["missing chunk"] = patched((leaf + 6, "<H", entries - 1))
    cases["chunk listed twice"] = patched(*[(k1 + 8 + 8 * i, "<Q", struct.unpack_from("<Q", data, k0 + 8 + 8 * i)[0])
                                            for i in range(4)])
    cases["chunk offset outside the dataset"] = patched((k1 + 8, "<Q", 10 ** 9))
    # Item 3: addresses that point at other chunks, the superblock, the B-tree node, past the end.
    other = struct.unpack_from("<Q", data, c0)[0]
    cases["chunk over another chunk"] = patched((c1, "<Q", other))
    cases["chunk over the superblock"] = patched((c1, "<Q", 0))
    cases["chunk over the B-tree node"] = patched((c1, "<Q", leaf))
    cases["chunk past the end of the file"] = patched((c1, "<Q", len(data) + 4096))
    if lzf:
        masks = [struct.unpack_from("<I", data, entry_pos(leaf, e)[0] + 4)[0] for e in range(entries)]
        packed, raw = masks.index(0), masks.index(1)  # the base stack holds both kinds
        kp, kr = entry_pos(leaf, packed)[0], entry_pos(leaf, raw)[0]
        # Item 2: a filter mask on a compressed chunk (it is then read as raw bytes it does not hold).
        cases["filter mask on an LZF chunk"] = patched((kp + 4, "<I", 1))
        cases["filter mask naming a filter the dataset lacks"] = patched((kp + 4, "<I", 2))
        # Item 3: raw bytes marked as LZF, which do not decompress to the chunk.
        cases["raw chunk marked as LZF"] = patched((kr + 4, "<I", 0))
    else:
        # Item 2: a stored size smaller than the chunk (HDF5 read past its buffer).
        cases["short chunk"] = patched((k0, "<I", chunk_bytes - 64))
        cases["filter mask without filters"] = patched((k0 + 4, "<I", 1))
    return cases


def check(label, args, stack_file, out_dir, env=None, damage="chunk index damaged"):
    global checked
    checked += 1
    problems = refusal_problems(pjd, args, 3, [stack_file, "unwrapPhase", damage], [stack_file], out_dir, env=env,
                                timeout=120)
    if problems:
        failures.append(f"{label}: {'; '.join(problems)}")


with tempfile.TemporaryDirectory() as tmp:
    for compression in ("none", "lzf"):
        base = os.path.join(tmp, f"base_{compression}")
        # Without noise some LZF chunks compress (stored filtered) and some do not (stored raw).
        r = run("simulate", base, "--size", "tiny", "--compression", compression, "--seed", "3", "--no-noise",
                "--progress", "none")
        assert r.returncode == 0, r.stderr
        base_file = os.path.join(base, "inputs", "ifgramStack.h5")
        for name, blob in damage_cases(base_file, compression == "lzf").items():
            stack = os.path.join(tmp, f"{compression}_{name.replace(' ', '_')}")
            shutil.copytree(os.path.join(base, "inputs"), os.path.join(stack, "inputs"))
            stack_file = os.path.join(stack, "inputs", "ifgramStack.h5")
            open(stack_file, "wb").write(blob)
            out = os.path.join(tmp, "out")
            # Raw bytes marked as LZF leave the index whole: the read refuses the chunk.
            damage = "does not decompress" if name == "raw chunk marked as LZF" else "chunk index damaged"
            if damage == "chunk index damaged":
                check(f"{compression} / {name} / info", ["info", stack], stack_file, out)
            for method in ("published", "robust"):
                extra = ["--n-burst", "4"] if method == "published" else []
                for direct in ("1", "0"):
                    shutil.rmtree(out, ignore_errors=True)
                    check(f"{compression} / {name} / detect {method} PJD_DIRECT_READ={direct}",
                          ["detect", stack, "--method", method, *extra, "--out", out, "--no-catalog",
                           "--no-figures", "--progress", "none"], stack_file, out, env={"PJD_DIRECT_READ": direct},
                          damage=damage)

    # An audit of an archive with a damaged stack reports it and carries on with the others.
    archive = os.path.join(tmp, "archive")
    os.makedirs(archive)
    shutil.copytree(os.path.join(tmp, "base_none", "inputs"), os.path.join(archive, "a_good", "inputs"))
    shutil.copytree(os.path.join(tmp, "none_self-referencing_node", "inputs"), os.path.join(archive, "b_bad", "inputs"))
    shutil.copytree(os.path.join(tmp, "base_lzf", "inputs"), os.path.join(archive, "c_good", "inputs"))
    r = run("audit", archive, "--catalog", os.path.join(tmp, "audit.gpkg"), "--out-root", os.path.join(tmp, "audit_out"),
            "--progress", "none", "--format", "json")
    checked += 1
    if r.returncode != 3 or "b_bad" not in r.stdout + r.stderr or r.stdout.count("\"detected\"") < 2:
        failures.append(f"audit of an archive with one damaged stack: exit {r.returncode}\n{r.stdout}\n{r.stderr}")

    # Even a crash inside a library (here a hook raises SIGSEGV while the one stack is
    # audited) is that stack's failure: the others are detected.
    # (Under ASan its handler reports the SEGV and exits 1: the entry says the child ended without a result.)
    r = run("audit", archive, "--catalog", os.path.join(tmp, "audit2.gpkg"), "--progress", "none", "--format", "json",
            env={"PJD_TEST_CRASH_STACK": "c_good"})
    checked += 1
    if r.returncode != 3 or "the audit of this stack" not in r.stdout or r.stdout.count("\"detected\"") != 1:
        failures.append(f"audit with a crash in one stack: exit {r.returncode}\n{r.stdout}\n{r.stderr}")

for f in failures:
    print("FAIL:", f)
print(f"{checked - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
