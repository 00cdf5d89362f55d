"""Recurrent layers forward+backward: nn.RNN / nn.GRU / nn.LSTM, jitgrad (numba and numpy
backends) vs PyTorch CPU.

Usage:  .venv/bin/python bench/bench_rnn.py [--repeats 15] [--threads 1] [--clock wall|thread]
                                           [--jitgrad-tree DIR]

Each layer runs ``out, _ = layer(x); out.sum().backward()`` on float32, batch-first input
(N, L, H_in) with H_in = H, for a small configuration (the character GRU of
bench_small_models: hidden 64, 16 steps, batch 32) and a larger one (hidden 256, 64 steps,
batch 32). Every layer/direction is one fused primitive (autograd/ops/rnn.py): per step one
BLAS product and one gate kernel, forward and backward. ``--jitgrad-tree DIR`` imports
jitgrad from another source tree (e.g. an export of an older commit) for before/after
figures; there the numba column is whatever that tree did. Each library runs in a worker
process of its own (both jitgrad backends in one; see ``_common.Workers`` for why); medians of
interleaved repeats; ratio = numba backend / torch (lower is better).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

# (bench/ is on sys.path when a bench runs)
from _common import (
    Workers,
    add_worker_option,
    in_backend,
    optional_torch,
    serve_variants,
    worker_commands,
)
from _goals import jitgrad_tree, set_threads

sys.path.insert(0, jitgrad_tree())

import autograd
import nn

torch = optional_torch()

CONFIGS = [(64, 16, 32), (256, 64, 32)]  # hidden, steps, batch
KINDS = ["RNN", "GRU", "LSTM"]


def make(kind, lib, H, L, N, backend=None):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((N, L, H)).astype(np.float32)
    if lib == "torch":
        layer = getattr(torch.nn, kind)(H, H, batch_first=True)
        x = torch.from_numpy(x_np).requires_grad_(True)
    else:
        layer = getattr(nn, kind)(H, H, batch_first=True)
        x = autograd.tensor(x_np, requires_grad=True)

    def run():
        out, _ = layer(x)
        out.sum().backward()

    return in_backend(backend, run)


def serve(lib, clock):
    """``--worker LIB``: every configuration's layers on one library (jitgrad: both backends),
    served to the parent (``_common.serve_variants``); labels ``"<kind> <H> <L> <N> <column>"``."""
    if lib == "jitgrad":
        from autograd import kernels

        kernels.warmup(("float32",))
    variants = {}
    for H, L, N in CONFIGS:
        for kind in KINDS:
            if lib == "torch":
                variants[f"{kind} {H} {L} {N} torch"] = make(kind, "torch", H, L, N)
            else:
                for backend in ("numpy", "numba"):
                    fn = make(kind, "jitgrad", H, L, N, backend)
                    variants[f"{kind} {H} {L} {N} {backend}"] = fn
    serve_variants(variants, warmup=2, clock=clock)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=0, help="torch and BLAS threads")
    ap.add_argument("--clock", choices=["wall", "thread"], default="wall")
    ap.add_argument("--jitgrad-tree", metavar="DIR", help="import jitgrad from DIR")
    add_worker_option(ap)
    args = ap.parse_args()
    if args.threads:
        set_threads(args.threads)
    clock = time.thread_time if args.clock == "thread" else time.perf_counter
    if args.worker:
        serve(args.worker, clock)
        return
    print(
        f"jitgrad from {os.path.dirname(autograd.__file__)}; torch threads "
        f"{torch.get_num_threads() if torch else '-'}; {args.clock} clock; forward+backward, "
        f"float32, median of {args.repeats} (ms)"
    )
    print(
        f"{'layer':6s} {'H':>4s} {'L':>4s} {'N':>4s} {'numpy':>9s} {'numba':>9s} {'torch':>9s}"
        "   numba/torch"
    )
    groups = ("jitgrad", "torch") if torch is not None else ("jitgrad",)
    with Workers(worker_commands(groups)) as workers:
        for H, L, N in CONFIGS:
            for kind in KINDS:
                labels = [f"{kind} {H} {L} {N} {c}" for c in ("numpy", "numba", "torch")]
                med = workers.medians(args.repeats, labels)
                med = {k.split()[-1]: t * 1e3 for k, t in med.items()}
                ratio = f"{med['numba'] / med['torch']:10.2f}" if "torch" in med else "-"
                print(
                    f"{kind:6s} {H:4d} {L:4d} {N:4d} {med['numpy']:9.3f} {med['numba']:9.3f} "
                    f"{med.get('torch', float('nan')):9.3f}   {ratio}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
