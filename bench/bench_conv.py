"""conv2d and max_pool2d forward+backward: jitgrad (numpy and numba backends) vs PyTorch CPU.

Usage:  .venv/bin/python bench/bench_conv.py [--repeats 15] [--skip-big] [--threads N] [--cpu-time]

Shapes: the two convolutions and the first max pool of the small CNN in bench_training.py
(batch 64), and a bigger ResNet-like layer, (32, 64, 56, 56) 3x3 64->64 padding 1. Each
step is forward + backward with respect to input, weight and bias (float32). The libraries
run in worker processes of their own (jitgrad's two backends share one; see
``_common.Workers`` for why), interleaved, and the median per library is reported with the
ratio to torch (lower is better). BLAS and torch use their default threads, or N with ``--threads N`` (1 thread is
much steadier on a loaded machine); the OpenBLAS core type is printed. ``--cpu-time``
(with ``--threads 1``) times each step with the thread's CPU clock instead of the wall
clock: on a shared, oversubscribed machine that counts the work done, not the time spent
waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import autograd

# (bench/ is on sys.path when a bench runs)
from _common import (
    Workers,
    add_worker_option,
    blas_info,
    in_backend,
    optional_torch,
    serve_variants,
    worker_commands,
)

torch = optional_torch()

# name, input shape, (out channels, kernel, padding) for a conv or ("pool", kernel)
CASES = [
    ("conv 1->16 (CNN layer 1)", (64, 1, 28, 28), (16, 3, 0)),
    ("conv 16->32 (CNN layer 2)", (64, 16, 13, 13), (32, 3, 0)),
    ("maxpool 2 (CNN pool 1)", (64, 16, 26, 26), ("pool", 2)),
    ("conv 64->64 56x56 pad 1", (32, 64, 56, 56), (64, 3, 1)),
]


def make_step(lib, shape, spec):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(shape).astype(np.float32)
    if spec[0] == "pool":
        params = []
    else:
        o, k, _ = spec
        params = [
            rng.standard_normal((o, shape[1], k, k)).astype(np.float32) * 0.1,
            rng.standard_normal(o).astype(np.float32),
        ]
    if lib == "torch":
        x = torch.tensor(x_np, requires_grad=True)
        ps = [torch.tensor(p, requires_grad=True) for p in params]
        F = torch.nn.functional
    else:
        x = autograd.tensor(x_np, requires_grad=True)
        ps = [autograd.tensor(p, requires_grad=True) for p in params]
        F = autograd

    def step():
        if spec[0] == "pool":
            y = F.max_pool2d(x, spec[1])
        else:
            y = F.conv2d(x, ps[0], ps[1], padding=spec[2])
        y.sum().backward()
        x.grad = None
        for p in ps:
            p.grad = None

    return step


def cases(skip_big):
    """(name, shape, spec, big) of each case to run."""
    for name, shape, spec in CASES:
        big = shape[0] * shape[1] * shape[2] * shape[3] > 2_000_000
        if not (big and skip_big):
            yield name, shape, spec, big


def serve(lib, skip_big, clock):
    """``--worker LIB``: every case's steps on one library (jitgrad: both backends), served to
    the parent (``_common.serve_variants``); labels are ``"<case> | <column>"``."""
    variants = {}
    for name, shape, spec, _ in cases(skip_big):
        if lib == "torch":
            variants[f"{name} | torch"] = make_step("torch", shape, spec)
        else:
            for backend in ("numpy", "numba"):
                step = make_step("jitgrad", shape, spec)
                variants[f"{name} | jitgrad-{backend}"] = in_backend(backend, step)
    serve_variants(variants, warmup=2, clock=clock)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--skip-big", action="store_true", help="only the small-CNN shapes")
    ap.add_argument("--threads", type=int, default=0, help="BLAS and torch threads (0: default)")
    ap.add_argument("--cpu-time", action="store_true", help="thread CPU time (needs --threads 1)")
    add_worker_option(ap)
    args = ap.parse_args()
    if args.cpu_time and args.threads != 1:
        ap.error("--cpu-time measures one thread: use it with --threads 1")
    clock = time.thread_time if args.cpu_time else time.perf_counter
    if args.threads:
        import threadpoolctl

        threadpoolctl.threadpool_limits(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    if args.worker:
        serve(args.worker, args.skip_big, clock)
        return
    print("BLAS:", blas_info())
    print(
        f"torch threads: {torch.get_num_threads() if torch else '-'}; clock: "
        f"{'thread CPU time' if args.cpu_time else 'wall'}"
    )
    names = ("jitgrad-numpy", "jitgrad-numba", "torch")
    print(
        f"{'case (forward+backward)':28s} "
        + " ".join(f"{k:>14s}" for k in names)
        + "   numba/torch  numba/numpy"
    )
    groups = ("jitgrad", "torch") if torch is not None else ("jitgrad",)
    with Workers(worker_commands(groups)) as workers:
        for name, _, _, big in cases(args.skip_big):
            repeats = max(3, args.repeats // 3) if big else args.repeats
            med = workers.medians(repeats, [f"{name} | {k}" for k in names])
            med = {label.split(" | ")[-1]: t for label, t in med.items()}
            line = f"{name:28s} " + " ".join(
                f"{med.get(k, float('nan')) * 1e3:11.2f} ms" for k in names
            )
            ratio = med["jitgrad-numba"] / med["torch"] if "torch" in med else float("nan")
            line += f"   {ratio:11.2f}  {med['jitgrad-numba'] / med['jitgrad-numpy']:11.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
