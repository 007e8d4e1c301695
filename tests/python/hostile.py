"""Shared by the hostile-input suites (test_damaged_chunk_index.py, test_malformed_inputs.py):
run one pjd command on a bad input and list what is wrong with how it refused."""
import hashlib
import os
import subprocess


def sha(path):
    """The file's sha256, None when it is not a regular file."""
    if not os.path.isfile(path):
        return None
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def refusal_problems(pjd, args, code, must_contain, watched, out_dir=None, env=None, timeout=60):
    """Runs pjd with args; returns the problems: an exit code other than `code`, other than
    exactly one stderr line holding every string of must_contain (and no raw library text),
    a file of `watched` changed, a '.tmp' name left beside them or in out_dir, no answer
    within `timeout` seconds."""
    before = {w: sha(w) for w in watched}
    e = dict(os.environ)
    e.update(env or {})
    try:
        r = subprocess.run([pjd, *args], capture_output=True, text=True, timeout=timeout, env=e)
    except subprocess.TimeoutExpired:
        return [f"no answer in {timeout} s (hangs)"]
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    problems = []
    if r.returncode != code:
        problems.append(f"exit {r.returncode}, expected {code}")
    if len(lines) != 1:
        problems.append(f"{len(lines)} stderr lines: {lines[:3]}")
    else:
        missing = [m for m in must_contain if m not in lines[0]]
        if missing:
            problems.append(f"stderr lacks {missing}: {lines[0]}")
        if "std::" in lines[0] or "json.exception" in lines[0]:
            problems.append(f"raw library text: {lines[0]}")
    for w, h in before.items():
        if sha(w) != h:
            problems.append(f"{w} changed")
    for d in {os.path.dirname(w) for w in watched} | ({out_dir} if out_dir else set()):
        if d and os.path.isdir(d):
            left = [n for n in os.listdir(d) if ".tmp" in n]
            if left:
                problems.append(f"temporary files left in {d}: {left}")
    return problems
