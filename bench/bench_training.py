"""Training-step time: MLP and small CNN, jitgrad (numpy and numba backends) vs PyTorch CPU.

Usage:  .venv/bin/python bench/bench_training.py [--repeats 20]

1. MLP 784-512-256-10, ReLU, cross-entropy, Adam, float32, batch 32 / 128 / 1024;
2. small CNN (conv 1->16 3x3, relu, maxpool, conv 16->32 3x3, relu, maxpool, linear) at
   batch 64 on 28x28 inputs.
Steps are interleaved between libraries and the median per library is reported with the
ratio to torch (lower is better). torch uses its default threads; the OpenBLAS core type in
effect is printed, since OPENBLAS_CORETYPE changes GEMM speed a lot on this machine.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import autograd
import nn
import nn.functional as F
import optim
from _common import blas_info, in_backend, median_times  # bench/ is on sys.path when a bench runs
from _goals import goal

try:
    import torch
except ImportError:
    torch = None


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


def bench(kind, batch, repeats):
    libs = {
        "jitgrad-numpy": ("numpy", make_step(kind, None, batch)),
        "jitgrad-numba": ("numba", make_step(kind, None, batch)),
    }
    if torch is not None:
        libs["torch"] = (None, make_step(kind, torch, batch))
    return median_times({k: in_backend(*lib) for k, lib in libs.items()}, repeats, warmup=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    from autograd import kernels

    kernels.warmup(("float32",))  # compile / load every kernel before timing anything
    print("BLAS:", blas_info())
    print(f"torch threads: {torch.get_num_threads() if torch else '-'}")
    rows = [("mlp", 32), ("mlp", 128), ("mlp", 1024), ("cnn", 64)]
    goals = []
    print(
        f"{'model':5s} {'batch':>5s} "
        + " ".join(f"{k:>14s}" for k in ("jitgrad-numpy", "jitgrad-numba", "torch"))
        + "   ratio numba/torch"
    )
    for kind, batch in rows:
        med = bench(kind, batch, args.repeats if kind == "mlp" else max(5, args.repeats // 4))
        line = f"{kind:5s} {batch:5d} " + " ".join(
            f"{med.get(k, float('nan')) * 1e3:11.2f} ms"
            for k in ("jitgrad-numpy", "jitgrad-numba", "torch")
        )
        if "torch" in med:
            line += f"   {med['jitgrad-numba'] / med['torch']:.2f}"
        print(line)
        if "torch" in med:
            what = f"{'MLP' if kind == 'mlp' else 'small CNN'} training step, batch {batch} (numba / torch)"
            goals.append(
                (what, med["jitgrad-numba"] / med["torch"], "<=", 0.8 if kind == "mlp" else 1.0)
            )
    for g in goals:
        goal(*g)


if __name__ == "__main__":
    main()
