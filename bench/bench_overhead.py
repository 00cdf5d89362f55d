"""Per-op overhead and deep-chain backward: jitgrad vs PyTorch CPU (and plain NumPy).

Usage:  .venv/bin/python bench/bench_overhead.py [--repeats 7] [--clock wall|thread]
                                                [--jitgrad-tree DIR]

1. Per-op overhead: forward + backward of a chain of small ops (add, mul, tanh) on (4, 4)
   float32 tensors; reported as microseconds per op (median of repeats), ours / torch ratio
   (issue goal: <= 0.75). The forward alone is timed too (the part where Python-level
   bookkeeping costs most). The NumPy column is the same chain written by hand with its
   backward (the floor for any Python-level engine).
2. Deep chain: a 100,000-op chain ``y = y * 1.0`` built and differentiated.

The libraries are measured interleaved in one process (ours, torch, numpy, ours, ...), so a
noisy shared machine affects them alike; ratios of medians are what to read.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import sys

import numpy as np

from _goals import goal, jitgrad_tree  # bench/ is on sys.path when a bench runs

sys.path.insert(0, jitgrad_tree())  # (--jitgrad-tree: an older tree, for before/after runs)

import autograd

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # the bench still runs, without the torch column
    torch = None

CHAIN = 30  # ops per forward in the overhead benchmark (10 x add, mul, tanh)


def chain_forward(a, b):
    """The chain's forward (the same code for jitgrad and torch tensors)."""
    y = a
    for _ in range(CHAIN // 3):
        y = y + b
        y = y * b
        y = y.tanh()
    return y.sum()


def ours_chain(a, b):
    chain_forward(a, b).backward()


torch_chain = ours_chain  # same code, torch tensors


def numpy_chain(a, b):
    """The same chain with a hand-written backward (no framework at all)."""
    tape = []
    y = a
    for _ in range(CHAIN // 3):
        y = y + b
        tape.append(("mul", y))
        y = y * b
        y = np.tanh(y)
        tape.append(("tanh", y))
    g = np.ones_like(y)
    gb = np.zeros_like(b)
    for kind, val in reversed(tape):
        if kind == "tanh":
            g = g * (1 - val * val)
        else:
            gb += g * val
            g = g * b
            gb += g
    return g, gb


# --clock thread: CPU time of the calling thread (time.thread_time) instead of wall time; on a
# loaded machine it leaves out the time spent preempted (every library here runs on one thread).
CLOCK = [time.perf_counter]


def time_per_op(fn, args, iters):
    clock = CLOCK[0]
    t0 = clock()
    for _ in range(iters):
        fn(*args)
    return (clock() - t0) / (iters * (CHAIN + 1)) * 1e6


def deep_chain(lib, n):
    """(build, backward) seconds of an ``n``-op chain ``y = y * 1.0`` (``lib``: autograd or
    torch: the same code)."""
    x = lib.tensor(1.0, requires_grad=True)
    clock = CLOCK[0]
    t0 = clock()
    y = x
    for _ in range(n):
        y = y * 1.0
    t1 = clock()
    y.backward()
    t2 = clock()
    return t1 - t0, t2 - t1


def machine():
    try:
        import threadpoolctl

        blas = [
            f"{i.get('internal_api')} {i.get('version')} core={i.get('architecture')}"
            for i in threadpoolctl.threadpool_info()
            if i.get("user_api") == "blas"
        ]
    except Exception:
        blas = []
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import os

    return (
        f"{cpu}, {os.cpu_count()} cpus, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, torch {torch.__version__ if torch else 'n/a'}, "
        f"BLAS: {'; '.join(blas) or 'unknown'}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--depth", type=int, default=100_000)
    ap.add_argument(
        "--clock",
        choices=("wall", "thread"),
        default="wall",
        help="thread: CPU time of this thread (for a loaded machine; see CLOCK)",
    )
    ap.add_argument(
        "--jitgrad-tree", metavar="DIR", help="import jitgrad from DIR (see jitgrad_tree)"
    )
    args = ap.parse_args()
    if args.jitgrad_tree:
        print("jitgrad imported from", autograd.__file__)
    if args.clock == "thread":
        CLOCK[0] = time.thread_time
    print("machine:", machine())
    if args.clock == "thread":
        print("clock: CPU time of the benchmarking thread (--clock thread)")
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((4, 4)).astype(np.float32) * 0.1
    b_np = rng.standard_normal((4, 4)).astype(np.float32) * 0.1
    a = autograd.tensor(a_np, requires_grad=True)
    b = autograd.tensor(b_np, requires_grad=True)
    libs = {"jitgrad": (ours_chain, (a, b)), "numpy": (numpy_chain, (a_np, b_np))}
    if torch is not None:
        libs["torch"] = (
            torch_chain,
            (torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)),
        )
    fwd_libs = {k: (chain_forward, fargs) for k, (_, fargs) in libs.items() if k != "numpy"}
    for fn, fargs in list(libs.values()) + list(fwd_libs.values()):  # warm up
        time_per_op(fn, fargs, 20)
    results = {k: [] for k in libs}
    fwd_results = {k: [] for k in fwd_libs}
    for _ in range(args.repeats):
        for name, (fn, fargs) in libs.items():
            results[name].append(time_per_op(fn, fargs, args.iters))
        for name, (fn, fargs) in fwd_libs.items():
            fwd_results[name].append(time_per_op(fn, fargs, args.iters))
    med = {k: statistics.median(v) for k, v in results.items()}
    fmed = {k: statistics.median(v) for k, v in fwd_results.items()}
    print(f"\n1. per-op overhead, (4,4) float32, chain of {CHAIN} ops (median of {args.repeats})")
    print(f"   {'':8s} {'fwd+bwd':>9s} {'fwd only':>9s}")
    for k, v in med.items():
        f = f"{fmed[k]:7.2f}" if k in fmed else "      -"
        print(f"   {k:8s} {v:7.2f}   {f}   us/op")
    if torch is not None:
        print(
            f"   ratio jitgrad/torch = {med['jitgrad'] / med['torch']:.2f}  (goal <= 0.75); "
            f"forward only {fmed['jitgrad'] / fmed['torch']:.2f}"
        )
        goal(
            "per-op overhead, fwd+bwd (jitgrad / torch)", med["jitgrad"] / med["torch"], "<=", 0.75
        )
    print(f"   ratio jitgrad/numpy = {med['jitgrad'] / med['numpy']:.2f}")

    print(f"\n2. chain of {args.depth:,} ops: build (forward) and backward, seconds")
    rows = {"jitgrad": [], "torch": []}
    for _ in range(3):
        rows["jitgrad"].append(deep_chain(autograd, args.depth))
        if torch is not None:
            rows["torch"].append(deep_chain(torch, args.depth))
    for k, v in rows.items():
        if v:
            f = statistics.median(x[0] for x in v)
            bw = statistics.median(x[1] for x in v)
            print(f"   {k:8s} forward {f:6.3f} s   backward {bw:6.3f} s")
    if torch is not None:
        fo = statistics.median(x[0] for x in rows["jitgrad"])
        bo = statistics.median(x[1] for x in rows["jitgrad"])
        ft = statistics.median(x[0] for x in rows["torch"])
        bt = statistics.median(x[1] for x in rows["torch"])
        print(f"   ratio jitgrad/torch: forward {fo / ft:.2f}, backward {bo / bt:.2f}")


if __name__ == "__main__":
    main()
