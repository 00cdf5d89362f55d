"""Fused activation forward+backward on 10M float32: Numba kernels vs PyTorch vs NumPy.

Usage:  .venv/bin/python bench/bench_activation.py [--n 10000000] [--repeats 7] [--baseline DIR]

For each activation: time of forward + backward (our kernels on 1 and on 2 threads) (given the input and an upstream
gradient) for our fused kernels, PyTorch CPU (autograd, so what a user gets), and composed
NumPy (the reference implementation). Also the effective bandwidth of our kernels: bytes
moved (read x, write y; read x and g, write dx) over time, against a measured copy
bandwidth (``np.copyto``) on the same machine. torch runs in a worker process of its own
(``_common.Workers``: its OpenMP threads and our kernels' threads in one process slow each
other down); our kernels and NumPy are timed in this process.

``--baseline DIR``: also time an older version of the kernels, side by side in the same run
(interleaved): DIR is a package directory holding that version's ``parallel.py``,
``vmath.py`` and ``activation.py`` (and an empty ``__init__.py``), e.g. from
``git show <rev>:autograd/kernels/vmath.py``. Reported: in-cache cost per element (4096
elements, repeated; arithmetic only) and the 10M kernel time of both versions.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time

import numpy as np
from scipy import special

from autograd import kernels as K

# (bench/ is on sys.path when a bench runs)
from _common import Workers, add_worker_option, serve_variants, worker_commands
from _goals import goal

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

NUMPY = {
    "gelu_tanh": (
        lambda x: 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x**3))),
        lambda x, g: (
            g
            * (
                0.5 * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))
                + 0.5
                * x
                * (1 - np.tanh(0.7978845608 * (x + 0.044715 * x**3)) ** 2)
                * 0.7978845608
                * (1 + 3 * 0.044715 * x * x)
            )
        ),
    ),
    "silu": (
        lambda x: x * special.expit(x),
        lambda x, g: g * special.expit(x) * (1 + x * (1 - special.expit(x))),
    ),
    "tanh": (np.tanh, lambda x, g: g * (1 - np.tanh(x) ** 2)),
    "sigmoid": (special.expit, lambda x, g: g * special.expit(x) * (1 - special.expit(x))),
}
TORCH = {
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
    "tanh": torch.tanh if torch else None,
    "sigmoid": torch.sigmoid if torch else None,
    "gelu": F.gelu if torch else None,
    "mish": F.mish if torch else None,
}


def timeit(fn, repeats):
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


NAMES = ("gelu_tanh", "gelu", "silu", "mish", "tanh", "sigmoid")


def inputs(n):
    rng = np.random.default_rng(0)
    return rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)


def serve_torch(n):
    """``--worker torch``: torch's forward+backward of each activation (autograd, what a user
    gets), served to the parent (``_common.serve_variants``); labels are the names."""
    x, g = inputs(n)
    tx, tg = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)
    variants = {}
    for name in NAMES:
        if TORCH.get(name) is not None:

            def torch_fb(f=TORCH[name]):
                torch.autograd.grad(f(tx), tx, tg)

            variants[name] = torch_fb
    serve_variants(variants, warmup=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--baseline", help="package dir with an older parallel/vmath/activation.py")
    add_worker_option(ap, ["torch"])
    args = ap.parse_args()
    if args.worker:
        serve_torch(args.n)
        return
    K.warmup(("float32",))
    if args.baseline:
        compare_baseline(args)
        return
    with Workers(worker_commands(["torch"]) if torch is not None else {}) as workers:
        table(args, workers)


def table(args, workers):
    """The main table: our kernels and NumPy timed here, torch in its worker."""
    x, g = inputs(args.n)
    dst = np.empty_like(x)
    copy_t = timeit(lambda: np.copyto(dst, x), args.repeats)
    bw = 2 * x.nbytes / copy_t
    print(f"n = {args.n:,} float32; copy bandwidth {bw / 1e9:.1f} GB/s (read + write)")
    print(
        "kernel = our fwd + bwd kernels writing into preallocated outputs (serial); op = the "
        "same through autograd.kernels.run_activation*, which allocate their outputs through "
        "autograd.kernels.buffers (a 40 MB output reuses freed memory); fresh = op 1thr with "
        "that reuse off (a fresh 40 MB array is always mmap'd by glibc: page faults)"
    )
    print(
        f"{'activation':10s} {'kernel 1t':>9s} {'fresh 1t':>9s} {'op 1thr':>9s} {'op 2thr':>9s} {'torch ms':>9s} "
        f"{'numpy ms':>9s} {'torch/best':>10s} {'numpy/best':>10s} {'kernel % of copy bw':>20s}"
    )
    goals = []
    fwd_out, bwd_out = np.empty_like(x), np.empty_like(x)
    torch_names = [x for ls in workers.labels.values() for x in ls]
    for name in NAMES:
        fwd, bwd, _ = K.activation.ACTIVATIONS[name]
        kern = timeit(lambda: (fwd(x, fwd_out), bwd(x, g, bwd_out)), args.repeats)
        K.buffers.set_max_bytes(0)
        fresh = timeit(
            lambda: (K.run_activation(name, x), K.run_activation_backward(name, x, g)), args.repeats
        )
        K.buffers.set_max_bytes(256 << 20)
        ours1 = timeit(
            lambda: (K.run_activation(name, x), K.run_activation_backward(name, x, g)), args.repeats
        )
        K.set_num_threads(2)  # the parallel build (autograd.kernels.set_num_threads)
        ours = timeit(
            lambda: (K.run_activation(name, x), K.run_activation_backward(name, x, g)), args.repeats
        )
        K.set_num_threads(1)
        moved = 2 * x.nbytes + 3 * x.nbytes
        row = (
            f"{name:10s} {kern * 1e3:9.1f} {fresh * 1e3:9.1f} {ours1 * 1e3:9.1f} {ours * 1e3:9.1f}"
        )
        if name in torch_names:
            tt = workers.medians(args.repeats, [name])[name]
            row += f" {tt * 1e3:9.1f}"
        else:
            tt = None
            row += f" {'-':>9s}"
        if name in NUMPY:
            f, b = NUMPY[name]
            nt = timeit(lambda: (f(x), b(x, g)), max(3, args.repeats // 2))
            row += f" {nt * 1e3:9.1f}"
        else:
            nt = None
            row += f" {'-':>9s}"
        # the goal's "ours": the better of our 1- and 2-thread runs (a user picks it with
        # kernels.set_num_threads); memory-bound kernels gain little from a second thread here
        best = min(ours1, ours)
        row += f" {tt / best:10.1f}" if tt else f" {'-':>10s}"
        row += f" {nt / best:10.1f}" if nt else f" {'-':>10s}"
        row += f" {100 * (moved / kern) / bw:19.0f}%"
        print(row)
        if tt:
            goals.append(
                (
                    f"{name} fwd+bwd, 10M float32 (torch time / ours, best of 1-2 threads)",
                    tt / best,
                    ">=",
                    5,
                )
            )
        goals.append(
            (
                f"{name} fwd+bwd kernel, % of 1-thread copy bandwidth",
                100 * (moved / kern) / bw,
                ">=",
                80,
                "%",
            )
        )
    for g in goals:
        goal(*g)


def compare_baseline(args):
    """Old vs current kernels, interleaved: in-cache ns/element and 10M fwd+bwd time."""
    base = os.path.abspath(args.baseline.rstrip("/"))
    sys.path.insert(0, os.path.dirname(base))
    old = importlib.import_module(os.path.basename(base) + ".activation").ACTIVATIONS
    new = K.activation.ACTIVATIONS
    rng = np.random.default_rng(0)
    xs = (3 * rng.standard_normal(4096)).astype(np.float32)
    gs = rng.standard_normal(4096).astype(np.float32)
    x = rng.standard_normal(args.n).astype(np.float32)
    g = rng.standard_normal(args.n).astype(np.float32)
    o1, o2, dst = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    s1 = np.empty_like(xs)
    print(f"n = {args.n:,} float32; kernels serial; % of the copy bandwidth measured in each row")
    print(
        f"{'activation':10s} {'in cache ns/el fwd+bwd':>24s} {'10M fwd+bwd ms':>16s} "
        f"{'old/new':>8s} {'% of copy bw':>14s}"
    )
    print(
        f"{'':10s} {'old':>11s} {'new':>12s} {'old':>7s} {'new':>8s} {'':>8s} {'old':>6s} {'new':>7s}"
    )
    for name in ("gelu_tanh", "gelu", "silu", "mish", "tanh", "sigmoid"):
        cache, big, copies = {}, {}, []
        for tag, table in (("old", old), ("new", new)):
            f, b = table[name][0].serial, table[name][1].serial
            f(xs, s1), b(xs, gs, s1)
            cache[tag], big[tag] = [], []
        for _ in range(args.repeats):  # interleaved, so load from other processes hits all
            t0 = time.perf_counter()
            np.copyto(dst, x)
            copies.append(time.perf_counter() - t0)
            for tag, table in (("old", old), ("new", new)):
                f, b = table[name][0].serial, table[name][1].serial
                t0 = time.perf_counter()
                for _ in range(100):
                    f(xs, s1), b(xs, gs, s1)
                cache[tag].append((time.perf_counter() - t0) / 100 / xs.size * 1e9)
                t0 = time.perf_counter()
                f(x, o1), b(x, g, o2)
                big[tag].append(time.perf_counter() - t0)
        c = {k: statistics.median(v) for k, v in cache.items()}
        t = {k: statistics.median(v) for k, v in big.items()}
        bw = 2 * x.nbytes / statistics.median(copies)  # copy timed in the same loop
        pct = {k: 100 * 5 * x.nbytes / v / bw for k, v in t.items()}
        print(
            f"{name:10s} {c['old']:11.2f} {c['new']:12.2f} {t['old'] * 1e3:7.1f} "
            f"{t['new'] * 1e3:8.1f} {t['old'] / t['new']:8.2f} {pct['old']:5.0f}% {pct['new']:6.0f}%"
            f"   (copy {bw / 1e9:.1f} GB/s)"
        )


if __name__ == "__main__":
    main()
