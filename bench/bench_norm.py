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

jitgrad's contenders and torch's run in two worker processes (see ``_common.Workers`` for why),
interleaved within each repeat (noise from other processes hits them alike); the table gives
medians in ms and ratios to torch.
"""

from __future__ import annotations

import argparse
from contextlib import nullcontext

import numpy as np

import autograd
import nn.functional as F
from autograd import kernels as K

# (bench/ is on sys.path when a bench runs)
from _common import (
    Workers,
    add_worker_option,
    kernels_swapped,
    load_baseline,
    optional_torch,
    parse_kernel_bench_args,
    serve_variants,
    worker_commands,
)

torch = optional_torch()


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


def contenders(lib, case, x, g, C, base=None):
    """``{name: step}`` of one library's contenders (``lib``: "jitgrad" or "torch")."""
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

    if lib == "torch":
        return torch_contenders(case, x, g, C, w, b)
    out = {
        "numba 1t": step(ours, "numba"),
        "numba 2t": step(ours, "numba", 2),
        "numpy": step(ours, "numpy"),
        "composed": step(old, "numpy"),
    }
    if base is not None:
        out["before 1t"] = step(ours, "numba", 1, base)
    return out


def torch_contenders(case, x, g, C, w, b):
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

    return {"torch 1t": torch_step(1), "torch 2t": torch_step(2)}


def kernel_variants(lib, base):
    """layer_norm's kernels alone (arrays in, fresh outputs out, no autograd and no copy of
    the input gradient into ``x.grad``) or the ATen kernels torch's autograd calls (1 thread)."""
    rng = np.random.default_rng(0)
    n = 768
    x, g = (rng.normal(size=(4096, n)).astype(np.float32) for _ in range(2))
    w, b = (rng.normal(size=n).astype(np.float32) for _ in range(2))
    if lib == "torch":
        tx, tg, tw, tb = (torch.from_numpy(a) for a in (x, g, w, b))
        _, tm, trs = torch.ops.aten.native_layer_norm(tx, [n], tw, tb, 1e-5)

        def fwd():
            torch.set_num_threads(1)
            torch.ops.aten.native_layer_norm(tx, [n], tw, tb, 1e-5)

        def bwd():
            torch.set_num_threads(1)
            torch.ops.aten.native_layer_norm_backward(
                tg, tx, [n], tm, trs, tw, tb, [True, True, True]
            )

        return {"torch fwd": fwd, "torch bwd": bwd}
    from autograd.kernels import norm

    _, mean, rstd = norm.layer_norm_forward(x, n, w, b, 1e-5)
    fns = {
        "ours fwd": lambda: norm.layer_norm_forward(x, n, w, b, 1e-5),
        "ours bwd": lambda: norm.layer_norm_backward(x, g, n, w, mean, rstd),
    }
    if base is not None:
        fns["before fwd"] = lambda: base.layer_norm_forward(x, n, w, b, 1e-5)
        fns["before bwd"] = lambda: base.layer_norm_backward(x, g, n, w, mean, rstd)
    return fns


def kernels_alone(workers, repeats):
    """Print the medians of ``kernel_variants``, ours vs torch's (and the baseline's)."""
    labels = [x for ls in workers.labels.values() for x in ls if x.startswith("kernels | ")]
    med = {k.split(" | ")[1]: v for k, v in workers.medians(repeats, labels).items()}
    print(
        "\nlayer_norm (4096, 768) kernels alone, float32, 1 thread, median ms: "
        + ", ".join(f"{k} {v * 1e3:.2f}" for k, v in med.items())
    )
    if "torch fwd" in med:
        print(
            "ours / torch: "
            + ", ".join(f"{p} {med['ours ' + p] / med['torch ' + p]:.2f}" for p in ("fwd", "bwd"))
        )
    if "before fwd" in med:
        print(
            "before / ours: "
            + ", ".join(f"{p} {med['before ' + p] / med['ours ' + p]:.2f}" for p in ("fwd", "bwd"))
        )


CASES = [("layer_norm", (4096, 768), 768), ("batch_norm", (64, 32, 28, 28), 32)]


def serve(lib, args):
    """``--worker LIB``: one library's contenders of every case (and of ``--kernels``), served
    to the parent (``_common.serve_variants``); labels ``"<case> | <contender>"``."""
    base = None
    if lib == "jitgrad":
        K.warmup(("float32",))
        from autograd.kernels import norm  # noqa: F401  (K.norm, swapped by --baseline)

        base = load_baseline(args.baseline, "norm") if args.baseline else None
    rng = np.random.default_rng(0)
    variants = {}
    for case, shape, C in CASES:
        x = rng.normal(size=shape).astype(np.float32)
        g = rng.normal(size=shape).astype(np.float32)
        for name, fn in contenders(lib, case, x, g, C, base).items():
            variants[f"{case} | {name}"] = fn
    if args.kernels:
        for name, fn in kernel_variants(lib, base).items():
            variants[f"kernels | {name}"] = fn
    serve_variants(variants, warmup=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    add_worker_option(ap)
    args = parse_kernel_bench_args(ap, "norm")
    if args.worker:
        serve(args.worker, args)
        return
    names = ["numba 1t", "numba 2t", "numpy", "composed"] + (
        ["torch 1t", "torch 2t"] if torch else []
    )
    names += ["before 1t"] if args.baseline else []
    print("forward + backward, float32, median ms (ratio = time / torch's on the same threads)")
    print(
        f"{'case':26s}"
        + "".join(f"{n:>10s}" for n in names)
        + ("  numba/torch 1t  numba/torch 2t" if torch else "")
    )
    groups = ("jitgrad", "torch") if torch is not None else ("jitgrad",)
    with Workers(worker_commands(groups)) as workers:
        for case, shape, _ in CASES:
            med = workers.medians(args.repeats, [f"{case} | {n}" for n in names])
            med = {k.split(" | ")[1]: v for k, v in med.items()}
            row = f"{case + ' ' + 'x'.join(map(str, shape)):26s}" + "".join(
                f"{med[n] * 1e3:10.2f}" for n in names
            )
            if torch:
                row += f"  {med['numba 1t'] / med['torch 1t']:14.2f}  {med['numba 2t'] / med['torch 2t']:14.2f}"
            if args.baseline and torch:
                row += f"  before/torch 1t {med['before 1t'] / med['torch 1t']:.2f}"
            print(row, flush=True)
        if args.kernels:
            kernels_alone(workers, args.repeats)


if __name__ == "__main__":
    main()
