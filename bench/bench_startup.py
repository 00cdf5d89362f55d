"""Start-up time: ``import`` + building an MLP + the first Adam training step, in a fresh
interpreter, cold (empty Numba cache: every kernel compiles) and warm (cache filled).

Each measurement is a new ``python`` process (nothing is shared but the disk cache), so it
includes what a user waits for when running a training script:

* jitgrad: ``import autograd, nn, optim``; the 784-512-256-10 ReLU MLP; one step of
  cross-entropy + backward + ``Adam.step()`` on a batch of 128 float32 (numba backend);
* torch:   ``import torch`` and the same model and step.

"cold" points ``NUMBA_CACHE_DIR`` at a new empty directory for each repeat; "warm" runs
again on that same directory, so kernels are loaded from disk. Columns: the child's own
wall-clock timings from before its first import (``time.perf_counter``); ``cpu``, the CPU
time of import..first step (less sensitive to other processes on a busy machine; torch's
step uses 2 threads); ``wall``, the whole process seen from outside (interpreter start-up
and exit included). Python's .pyc files are written by an untimed first run, as
installing a package does, so ``PYTHONDONTWRITEBYTECODE`` in the environment does not
add source compilation to every run. Medians over the repeats; the contenders'
runs are interleaved so machine load hits them alike.

Run:  .venv/bin/python bench/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _goals import goal  # (bench/ is on sys.path when a bench runs)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# The child: times import, model construction and the first step, prints one JSON line.
CHILD = r"""
import time
t0, c0 = time.perf_counter(), time.process_time()
import sys, json
LIB = sys.argv[1]
if LIB == "torch":
    import torch
    t_import = time.perf_counter()
    import numpy as np
    m = torch.nn
    model = m.Sequential(m.Linear(784, 512), m.ReLU(), m.Linear(512, 256), m.ReLU(),
                         m.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((128, 784)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 10, 128))
    lossf = torch.nn.functional.cross_entropy
else:
    import autograd, nn, optim
    t_import = time.perf_counter()
    import numpy as np
    import nn.functional as F
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = autograd.from_numpy(rng.standard_normal((128, 784)).astype(np.float32))
    y = autograd.from_numpy(rng.integers(0, 10, 128))
    lossf = F.cross_entropy
t_model = time.perf_counter()
opt.zero_grad()
loss = lossf(model(x), y)
loss.backward()
opt.step()
t_step, c_step = time.perf_counter(), time.process_time()
# a second step shows what the first one paid for compilation / loading
opt.zero_grad()
lossf(model(x), y).backward()
opt.step()
t_step2 = time.perf_counter()
print(json.dumps({"import": t_import - t0, "model": t_model - t_import,
                  "first_step": t_step - t_model, "second_step": t_step2 - t_step,
                  "total": t_step - t0, "cpu": c_step - c0, "loss": float(loss.item())}))
"""


def run_child(lib: str, cache_dir: str | None) -> dict:
    """One fresh interpreter; returns its timings plus the wall time seen from outside."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("AUTOGRAD_BACKEND", None)  # the default backend: numba
    # Python's own bytecode cache is not what is measured: a user's installed package has
    # its .pyc files (without them, compiling jitgrad's sources adds ~0.5 s to every start)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", CHILD, lib], capture_output=True, text=True, env=env, cwd=ROOT
    )
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{lib} child failed:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def have_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    rows = {"jitgrad cold": [], "jitgrad warm": []}
    if have_torch():
        rows["torch"] = []
    # one untimed run of each writes the .pyc files, as installing a package does
    with tempfile.TemporaryDirectory(prefix="jitgrad-startup-") as cache:
        run_child("jitgrad", cache)
    if "torch" in rows:
        run_child("torch", None)
    for _ in range(args.repeats):
        cache = tempfile.mkdtemp(prefix="jitgrad-startup-")
        try:
            rows["jitgrad cold"].append(run_child("jitgrad", cache))
            if "torch" in rows:
                rows["torch"].append(run_child("torch", None))
            rows["jitgrad warm"].append(run_child("jitgrad", cache))
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    print(
        f"start-up: fresh interpreter, import + MLP 784-512-256-10 + first Adam step at "
        f"batch 128 (float32), median of {args.repeats}, seconds"
    )
    cols = ("import", "model", "first_step", "second_step", "total", "cpu", "wall")
    print(f"{'':<14}" + "".join(f"{c:>13}" for c in cols))
    med = {}
    for name, runs in rows.items():
        med[name] = {c: statistics.median(r[c] for r in runs) for c in cols}
        print(f"{name:<14}" + "".join(f"{med[name][c]:>13.3f}" for c in cols))
    warm = med["jitgrad warm"]["total"]
    goal("warm start: import + first training step", warm, "<=", 1.0, " s")
    if "torch" in med:
        print(
            f"ratios of totals: jitgrad warm / torch {warm / med['torch']['total']:.2f}, "
            f"jitgrad cold / torch {med['jitgrad cold']['total'] / med['torch']['total']:.2f}"
        )


if __name__ == "__main__":
    main()
