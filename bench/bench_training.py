"""Training-step time: MLP and small CNN, jitgrad (numpy and numba backends) vs PyTorch CPU.

Usage:  .venv/bin/python bench/bench_training.py [--repeats 20] [--inner 5] [--threads N]
                                                 [--kernel-threads 1,2] [--clock wall|thread]
                                                 [--jitgrad-tree DIR] [--baseline-tree DIR]

1. MLP 784-512-256-10, ReLU, cross-entropy, Adam, float32, batch 32 / 128 / 1024;
2. small CNN (conv 1->16 3x3, relu, maxpool, conv 16->32 3x3, relu, maxpool, linear) at
   batch 64 on 28x28 inputs.
Each library runs in a worker process of its own (jitgrad's two backends too; see
``_common.Workers`` for why); the parent hands them interleaved rounds of ``--inner`` steps each and
reports the median per library with the ratio to torch (lower is better). torch uses its
default threads unless ``--threads N``; the OpenBLAS core type in effect is printed, since
OPENBLAS_CORETYPE changes GEMM speed a lot on this machine. ``--kernel-threads 1,2`` adds a
numba column per kernel-thread count (``autograd.kernels.set_num_threads``), timed in the same
run; the goal uses the first count. ``--baseline-tree DIR`` adds a worker that imports jitgrad
from DIR (e.g. ``git archive main | tar -x -C DIR``) and times its numba steps in the same
rounds (column ``baseline``): before/after ratios from one run. ``--clock thread``: CPU time of
the timing thread instead of wall time (with ``--threads 1`` on a loaded machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

# (bench/ is on sys.path when a bench runs)
from _common import Workers, blas_info, in_backend, optional_torch, serve_variants
from _goals import add_kernel_threads_option, add_threads_option, goal, jitgrad_tree, set_threads
from _goals import add_tree_and_clock_options, with_kernel_threads

sys.path.insert(0, jitgrad_tree())

import autograd
import nn
import nn.functional as F
import optim

torch = optional_torch()


def mlp(lib):
    m = lib.nn if lib is torch else nn
    return m.Sequential(
        m.Linear(784, 512), m.ReLU(), m.Linear(512, 256), m.ReLU(), m.Linear(256, 10)
    )


def cnn(lib):
    m = lib.nn if lib is torch else nn
    return m.Sequential(
        m.Conv2d(1, 16, 3),
        m.ReLU(),
        m.MaxPool2d(2),
        m.Conv2d(16, 32, 3),
        m.ReLU(),
        m.MaxPool2d(2),
        m.Flatten(),
        m.Linear(32 * 5 * 5, 10),
    )


def make_step(kind, lib, batch):
    rng = np.random.default_rng(0)
    shape = (batch, 784) if kind == "mlp" else (batch, 1, 28, 28)
    x_np = rng.standard_normal(shape).astype(np.float32)
    y_np = rng.integers(0, 10, batch)
    if lib is torch:
        model = mlp(torch) if kind == "mlp" else cnn(torch)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
        lossf = torch.nn.functional.cross_entropy
    else:
        model = mlp(None) if kind == "mlp" else cnn(None)
        opt = optim.Adam(model.parameters(), lr=1e-3)
        x, y = autograd.from_numpy(x_np), autograd.from_numpy(y_np)
        lossf = F.cross_entropy

    def step():
        opt.zero_grad()
        loss = lossf(model(x), y)
        loss.backward()
        opt.step()

    return step


ROWS = [("mlp", 32), ("mlp", 128), ("mlp", 1024), ("cnn", 64)]
COLUMNS = ("jitgrad-numpy", "jitgrad-numba", "torch")


def numba_columns(kernel_threads):
    """The numba backend's column for each kernel-thread count (``--kernel-threads``)."""
    return ["jitgrad-numba" + ("" if n == 1 else f"-kt{n}") for n in kernel_threads]


def serve(lib, inner, kernel_threads=(1,), clock=time.perf_counter):
    """``--worker LIB``: every row's steps on one library, served to the parent
    (``_common.serve_variants``); labels are ``"<kind> <batch> <column>"``. LIB "jitgrad" is
    the numba backend on each count of ``kernel_threads``, "jitgrad-numpy" the numpy backend
    (a process of its own: its steps' allocations would change the numba steps' heap and
    page faults), "baseline" the numba backend of jitgrad from ``--baseline-tree``."""
    variants = {}
    for kind, batch in ROWS:
        if lib == "torch":
            variants[f"{kind} {batch} torch"] = make_step(kind, torch, batch)
        elif lib == "jitgrad-numpy":
            step = in_backend("numpy", make_step(kind, None, batch))
            variants[f"{kind} {batch} jitgrad-numpy"] = step
        else:
            prefix = "baseline-" if lib == "baseline" else ""
            for n, column in zip(kernel_threads, numba_columns(kernel_threads)):
                step = with_kernel_threads(in_backend("numba", make_step(kind, None, batch)), n)
                variants[f"{kind} {batch} {prefix}{column}"] = step
    serve_variants(variants, inner, warmup=10, clock=clock)  # (torch's first steps are slow)


def bench(workers, kind, batch, repeats, columns=COLUMNS):
    """Median seconds per step of each column of one row."""
    med = workers.medians(repeats, [f"{kind} {batch} {c}" for c in columns])
    return {label.split()[-1]: t for label, t in med.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20, help="interleaved rounds (median over them)")
    ap.add_argument("--inner", type=int, default=5, help="steps per variant per round")
    add_threads_option(ap)
    add_kernel_threads_option(ap)
    ap.add_argument(
        "--worker",
        choices=["jitgrad", "jitgrad-numpy", "torch", "baseline"],
        help="internal: a worker process",
    )
    add_tree_and_clock_options(ap)
    args = ap.parse_args()
    if args.threads:
        set_threads(args.threads)
    if args.worker:
        if args.worker != "torch":
            from autograd import kernels

            kernels.warmup(("float32",))  # compile / load every kernel before timing anything
        clock = time.thread_time if args.clock == "thread" else time.perf_counter
        serve(args.worker, args.inner, args.kernel_threads, clock)
        return
    print("BLAS:", blas_info())
    print(f"jitgrad from {os.path.dirname(autograd.__file__)}")
    print(f"torch threads: {torch.get_num_threads() if torch else '-'}; {args.clock} clock")
    print(f"jitgrad kernel threads: {', '.join(map(str, args.kernel_threads))}")
    goals = []
    columns = ["jitgrad-numpy", *numba_columns(args.kernel_threads), "torch"]
    baseline = "baseline-" + numba_columns(args.kernel_threads)[0]
    columns += [baseline] if args.baseline_tree else []
    print(
        f"{'model':5s} {'batch':>5s} "
        + " ".join(f"{k.replace('baseline-jitgrad-', 'baseline-'):>16s}" for k in columns)
        + "   ratio numba/torch"
        + ("   new/baseline" if args.baseline_tree else "")
    )
    me = [sys.executable, os.path.abspath(__file__), "--threads", str(args.threads)]
    me += ["--inner", str(args.inner), "--clock", args.clock]
    me += ["--kernel-threads", ",".join(map(str, args.kernel_threads))]
    tree = ["--jitgrad-tree", args.jitgrad_tree] if args.jitgrad_tree else []
    commands = {w: me + tree + ["--worker", w] for w in ("jitgrad-numpy", "jitgrad")}
    if torch is not None:
        commands["torch"] = me + ["--worker", "torch"]
    if args.baseline_tree:
        commands["baseline"] = me + ["--jitgrad-tree", args.baseline_tree, "--worker", "baseline"]
    with Workers(commands) as workers:
        for kind, batch in ROWS:
            med = bench(
                workers,
                kind,
                batch,
                args.repeats if kind == "mlp" else max(5, args.repeats // 4),
                columns,
            )
            line = f"{kind:5s} {batch:5d} " + " ".join(
                f"{med.get(k, float('nan')) * 1e3:13.2f} ms" for k in columns
            )
            if "torch" in med:
                line += "   " + " ".join(
                    f"{med[c] / med['torch']:.2f}" for c in numba_columns(args.kernel_threads)
                )
            if baseline in med:
                new = med[numba_columns(args.kernel_threads)[0]]
                line += f"   {new / med[baseline]:.2f}"
                if "torch" in med:
                    line += f" (baseline/torch {med[baseline] / med['torch']:.2f})"
            print(line, flush=True)
            if "torch" not in med:
                continue
            what = f"{'MLP' if kind == 'mlp' else 'small CNN'} training step, batch {batch} (numba / torch)"
            goals.append(
                (
                    what,
                    med[numba_columns(args.kernel_threads)[0]] / med["torch"],
                    "<=",
                    0.8 if kind == "mlp" else 1.0,
                )
            )
    for g in goals:
        goal(*g)


if __name__ == "__main__":
    main()
