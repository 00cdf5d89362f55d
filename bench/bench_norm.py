"""layer_norm and batch_norm forward+backward: fused Numba kernels vs the NumPy backend vs
the old composed graph vs PyTorch.

Usage:  .venv/bin/python bench/bench_norm.py [--repeats 15] [--baseline DIR] [--clock wall|thread]

Cases (float32, weight and bias requiring grad, like a LayerNorm / BatchNorm2d module in
training): layer_norm over the last dim of (4096, 768), batch_norm in training mode on
(64, 32, 28, 28). One timed step = forward + ``backward(g)`` through the public
``nn.functional`` call (what a user gets, op overhead included). Contenders:

* ``numba 1t`` / ``numba 2t``: the fused kernels, serial and with
  ``autograd.kernels.set_num_threads(2)``;
* ``numpy``: the same fused op on the NumPy backend (the reference code);
* ``composed``: the former implementation, a graph of mean/sub/mul/rsqrt ops;
* ``torch 1t`` / ``torch 2t``: PyTorch CPU on 1 and 2 threads.

* ``before 1t`` (with ``--baseline DIR``): ``numba 1t`` with the kernel module
  ``DIR/autograd/kernels/norm.py`` of another source tree swapped in (e.g. the last commit,
  from ``git archive HEAD | tar -x -C /tmp/base``); the op code stays the current tree's.

Contenders are interleaved within each repeat (noise from other processes hits them
alike); the table gives medians in ms and ratios to torch.
"""

from __future__ import annotations

import argparse
from contextlib import nullcontext

import numpy as np

import autograd
import nn.functional as F
from autograd import kernels as K

# (bench/ is on sys.path when a bench runs)
from _common import kernels_swapped, load_baseline, median_times, parse_kernel_bench_args

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


def contenders(case, x, g, C, base=None):
    rng = np.random.default_rng(1)
    w = rng.normal(size=C).astype(np.float32)
    b = rng.normal(size=C).astype(np.float32)
    leaves = [autograd.tensor(a, requires_grad=True) for a in (x, w, b)]
    ag = autograd.tensor(g)
    rm, rv = autograd.zeros(C), autograd.ones(C)  # (batch_norm's running statistics)

    def ours():
        if case == "layer_norm":
            return F.layer_norm(leaves[0], (C,), leaves[1], leaves[2])
        return F.batch_norm(leaves[0], rm, rv, leaves[1], leaves[2], True)

    def old():
        if case == "layer_norm":
            return composed_layer_norm(*leaves)
        return composed_batch_norm(*leaves)

    def step(fn, backend, threads=1, kernels=None):
        def run():
            for t in leaves:
                t.grad = None
            K.set_num_threads(threads)
            swap = kernels_swapped("norm", kernels) if kernels is not None else nullcontext()
            try:
                with swap, autograd.backend(backend):
                    fn().backward(ag)
            finally:
                K.set_num_threads(1)

        return run

    out = {
        "numba 1t": step(ours, "numba"),
        "numba 2t": step(ours, "numba", 2),
        "numpy": step(ours, "numpy"),
        "composed": step(old, "numpy"),
    }
    if base is not None:
        out["before 1t"] = step(ours, "numba", 1, base)
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
    return median_times(fns, repeats)


def kernels_alone(repeats, base):
    """layer_norm's kernels alone (arrays in, fresh outputs out, no autograd and no copy of
    the input gradient into ``x.grad``) vs the ATen kernels torch's autograd calls."""
    from autograd.kernels import norm

    rng = np.random.default_rng(0)
    n = 768
    x, g = (rng.normal(size=(4096, n)).astype(np.float32) for _ in range(2))
    w, b = (rng.normal(size=n).astype(np.float32) for _ in range(2))
    _, mean, rstd = norm.layer_norm_forward(x, n, w, b, 1e-5)
    fns = {
        "ours fwd": lambda: norm.layer_norm_forward(x, n, w, b, 1e-5),
        "ours bwd": lambda: norm.layer_norm_backward(x, g, n, w, mean, rstd),
    }
    if base is not None:
        fns["before fwd"] = lambda: base.layer_norm_forward(x, n, w, b, 1e-5)
        fns["before bwd"] = lambda: base.layer_norm_backward(x, g, n, w, mean, rstd)
    if torch is not None:
        torch.set_num_threads(1)
        tx, tg, tw, tb = (torch.from_numpy(a) for a in (x, g, w, b))
        _, tm, trs = torch.ops.aten.native_layer_norm(tx, [n], tw, tb, 1e-5)
        fns["torch fwd"] = lambda: torch.ops.aten.native_layer_norm(tx, [n], tw, tb, 1e-5)
        fns["torch bwd"] = lambda: torch.ops.aten.native_layer_norm_backward(
            tg, tx, [n], tm, trs, tw, tb, [True, True, True]
        )
    med = bench(fns, repeats)
    print(
        "\nlayer_norm (4096, 768) kernels alone, float32, 1 thread, median ms: "
        + ", ".join(f"{k} {v * 1e3:.2f}" for k, v in med.items())
    )
    if torch is not None:
        print(
            "ours / torch: "
            + ", ".join(f"{p} {med['ours ' + p] / med['torch ' + p]:.2f}" for p in ("fwd", "bwd"))
        )
    if base is not None:
        print(
            "before / ours: "
            + ", ".join(f"{p} {med['before ' + p] / med['ours ' + p]:.2f}" for p in ("fwd", "bwd"))
        )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    args = parse_kernel_bench_args(ap, "norm")
    K.warmup(("float32",))
    from autograd.kernels import norm  # noqa: F401  (K.norm, swapped by --baseline)

    base = load_baseline(args.baseline, "norm") if args.baseline else None
    rng = np.random.default_rng(0)
    cases = [("layer_norm", (4096, 768), 768), ("batch_norm", (64, 32, 28, 28), 32)]
    names = ["numba 1t", "numba 2t", "numpy", "composed"] + (
        ["torch 1t", "torch 2t"] if torch else []
    )
    names += ["before 1t"] if base else []
    print("forward + backward, float32, median ms (ratio = time / torch's on the same threads)")
    print(
        f"{'case':26s}"
        + "".join(f"{n:>10s}" for n in names)
        + ("  numba/torch 1t  numba/torch 2t" if torch else "")
    )
    for case, shape, C in cases:
        x = rng.normal(size=shape).astype(np.float32)
        g = rng.normal(size=shape).astype(np.float32)
        med = bench(contenders(case, x, g, C, base), args.repeats)
        row = f"{case + ' ' + 'x'.join(map(str, shape)):26s}" + "".join(
            f"{med[n] * 1e3:10.2f}" for n in names
        )
        if torch:
            row += f"  {med['numba 1t'] / med['torch 1t']:14.2f}  {med['numba 2t'] / med['torch 2t']:14.2f}"
        if base and torch:
            row += f"  before/torch 1t {med['before 1t'] / med['torch 1t']:.2f}"
        print(row)
    if args.kernels:
        kernels_alone(args.repeats, base)
    if torch is not None:
        torch.set_num_threads(2)


if __name__ == "__main__":
    main()
