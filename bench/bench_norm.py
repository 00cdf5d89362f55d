"""layer_norm and batch_norm forward+backward: fused Numba kernels vs the NumPy backend vs
the old composed graph vs PyTorch.

Usage:  .venv/bin/python bench/bench_norm.py [--repeats 15]

Cases (float32, weight and bias requiring grad, like a LayerNorm / BatchNorm2d module in
training): layer_norm over the last dim of (4096, 768), batch_norm in training mode on
(64, 32, 28, 28). One timed step = forward + ``backward(g)`` through the public
``nn.functional`` call (what a user gets, op overhead included). Contenders:

* ``numba 1t`` / ``numba 2t``: the fused kernels, serial and with
  ``autograd.kernels.set_num_threads(2)``;
* ``numpy``: the same fused op on the NumPy backend (the reference code);
* ``composed``: the former implementation, a graph of mean/sub/mul/rsqrt ops;
* ``torch 1t`` / ``torch 2t``: PyTorch CPU on 1 and 2 threads.

Contenders are interleaved within each repeat (noise from other processes hits them
alike); the table gives medians in ms and ratios to torch.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import autograd
import nn.functional as F
from autograd import kernels as K

try:
    import torch
except ImportError:
    torch = None


def composed_layer_norm(x, w, b, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    d = x - mean
    return d * autograd.rsqrt((d * d).mean(-1, keepdim=True) + eps) * w + b


def composed_batch_norm(x, w, b, eps=1e-5):
    dims = (0, 2, 3)
    mean = x.mean(dims, keepdim=True)
    d = x - mean
    y = d * autograd.rsqrt((d * d).mean(dims, keepdim=True) + eps)
    return y * w.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)


def contenders(case, x, g, C):
    rng = np.random.default_rng(1)
    w = rng.normal(size=C).astype(np.float32)
    b = rng.normal(size=C).astype(np.float32)
    leaves = [autograd.tensor(a, requires_grad=True) for a in (x, w, b)]
    ag = autograd.tensor(g)
    if case == "layer_norm":
        ours = lambda: F.layer_norm(leaves[0], (C,), leaves[1], leaves[2])
        old = lambda: composed_layer_norm(*leaves)
    else:
        rm, rv = autograd.zeros(C), autograd.ones(C)
        ours = lambda: F.batch_norm(leaves[0], rm, rv, leaves[1], leaves[2], True)
        old = lambda: composed_batch_norm(*leaves)

    def step(fn, backend, threads=1):
        def run():
            for t in leaves:
                t.grad = None
            K.set_num_threads(threads)
            with autograd.backend(backend):
                fn().backward(ag)
            K.set_num_threads(1)
        return run

    out = {"numba 1t": step(ours, "numba"), "numba 2t": step(ours, "numba", 2),
           "numpy": step(ours, "numpy"), "composed": step(old, "numpy")}
    if torch is not None:
        tl = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        tg = torch.tensor(g)
        trm, trv = torch.zeros(C), torch.ones(C)

        def torch_step(threads):
            def run():
                torch.set_num_threads(threads)
                for t in tl:
                    t.grad = None
                if case == "layer_norm":
                    y = torch.nn.functional.layer_norm(tl[0], (C,), tl[1], tl[2])
                else:
                    y = torch.nn.functional.batch_norm(tl[0], trm, trv, tl[1], tl[2], True)
                y.backward(tg)
            return run
        out["torch 1t"] = torch_step(1)
        out["torch 2t"] = torch_step(2)
    return out


def bench(fns, repeats):
    times = {k: [] for k in fns}
    for fn in fns.values():  # warm up: compile, first-touch allocations
        fn()
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    K.warmup(("float32",))
    rng = np.random.default_rng(0)
    cases = [("layer_norm", (4096, 768), 768), ("batch_norm", (64, 32, 28, 28), 32)]
    names = ["numba 1t", "numba 2t", "numpy", "composed"] + (["torch 1t", "torch 2t"] if torch else [])
    print("forward + backward, float32, median ms (ratio = time / torch's on the same threads)")
    print(f"{'case':26s}" + "".join(f"{n:>10s}" for n in names)
          + ("  numba/torch 1t  numba/torch 2t" if torch else ""))
    for case, shape, C in cases:
        x = rng.normal(size=shape).astype(np.float32)
        g = rng.normal(size=shape).astype(np.float32)
        med = bench(contenders(case, x, g, C), args.repeats)
        row = f"{case + ' ' + 'x'.join(map(str, shape)):26s}" + "".join(
            f"{med[n] * 1e3:10.2f}" for n in names)
        if torch:
            row += f"  {med['numba 1t'] / med['torch 1t']:14.2f}  {med['numba 2t'] / med['torch 2t']:14.2f}"
        print(row)
    if torch is not None:
        torch.set_num_threads(2)


if __name__ == "__main__":
    main()
