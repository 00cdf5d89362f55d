"""Softmax / log_softmax forward+backward and cross-entropy forward+backward, float32:
jitgrad's numba backend (row kernels, 1 and 2 threads) vs its NumPy backend vs PyTorch CPU.

Usage:  .venv/bin/python bench/bench_softmax.py [--repeats 15] [--shapes 128x10,1024x1000,64x32000]
                                               [--torch-threads N] [--other-dims] [--baseline DIR]
                                               [--clock wall|thread]

Each figure is what a user gets through autograd: a leaf tensor that requires grad, the op,
then ``autograd.grad`` with an upstream gradient (for softmax) or of the mean loss (for
cross_entropy, class-index targets). jitgrad's contenders and torch run in two worker
processes (see ``_common.Workers`` for why), interleaved, one call each per round, so load
from other processes hits them alike; medians in microseconds.

``--baseline DIR`` adds a before/after column: the same ops with the kernel module
``DIR/autograd/kernels/softmax.py`` of another source tree (e.g. the last commit, from
``git archive HEAD | tar -x -C /tmp/base``) swapped in; the op code around the kernels stays
the current tree's.
"""

from __future__ import annotations

import argparse

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
    median_times,
    optional_torch,
    parse_kernel_bench_args,
    serve_variants,
    worker_commands,
)

torch = optional_torch()


def interleaved(fns, repeats):
    """Median time (us) of each function, calling them in turn ``repeats`` times."""
    return {k: t * 1e6 for k, t in median_times(fns, repeats).items()}


def ours(backend, work, threads=1):
    def run():
        K.set_num_threads(threads)
        try:
            with autograd.backend(backend):
                work()
        finally:
            K.set_num_threads(1)

    return run


def swapped(name, module, fn):
    """fn, run with the kernel family ``name`` replaced by ``module``."""

    def run():
        with kernels_swapped(name, module):
            fn()

    return run


def _inputs(rng, shape):
    """float32 logits (spread so the softmax is not flat), an output gradient, class targets."""
    x = rng.standard_normal(shape).astype(np.float32) * 3
    g = rng.standard_normal(shape).astype(np.float32)
    return x, g, rng.integers(0, shape[1], shape[0])


KERNELS = (
    "softmax fwd",
    "softmax bwd",
    "log_softmax fwd",
    "log_softmax bwd",
    "cross_entropy fwd",
    "cross_entropy bwd",
)


def kernel_variants(lib, shapes, base):
    """Each kernel alone (arrays in, a fresh output array out, no autograd), ours and the
    baseline's, or the ATen kernel torch's autograd calls for the same step; labels
    ``"kernels <shape> | <kernel> <ours|before|torch>"``."""
    from autograd.kernels import softmax as SK

    rng = np.random.default_rng(0)
    out = {}
    for shape in shapes:
        x, g, t = _inputs(rng, shape)
        y, ly = SK.softmax(x, 1), SK.log_softmax(x, 1)
        w, scale = np.ones(shape[1]), np.full(shape[0], 1.0 / shape[0])
        _, prob = SK.cross_entropy(x, t, w, -100, 0.0)
        key = f"kernels {'x'.join(map(str, shape))} | "
        if lib == "torch":
            tx, tg, ty, tly, tt = (torch.from_numpy(a) for a in (x, g, y, ly, t))
            theirs = {
                "softmax fwd": lambda tx=tx: torch.softmax(tx, 1),
                "softmax bwd": lambda tg=tg, ty=ty: torch.ops.aten._softmax_backward_data(
                    tg, ty, 1, torch.float32
                ),
                "log_softmax fwd": lambda tx=tx: torch.log_softmax(tx, 1),
                "log_softmax bwd": lambda tg=tg, tly=tly: torch.ops.aten._log_softmax_backward_data(
                    tg, tly, 1, torch.float32
                ),
                "cross_entropy fwd": lambda tx=tx, tt=tt: torch.nn.functional.cross_entropy(tx, tt),
            }
            out.update({key + name + " torch": fn for name, fn in theirs.items()})
            continue
        cases = {
            "softmax fwd": lambda m, x=x: m.softmax(x, 1),
            "softmax bwd": lambda m, y=y, g=g: m.softmax_backward(y, g, 1),
            "log_softmax fwd": lambda m, x=x: m.log_softmax(x, 1),
            "log_softmax bwd": lambda m, ly=ly, g=g: m.log_softmax_backward(ly, g, 1),
            "cross_entropy fwd": lambda m, x=x, t=t, w=w: m.cross_entropy(x, t, w, -100, 0.0),
            "cross_entropy bwd": lambda m, p=prob, t=t, w=w, s=scale: m.cross_entropy_backward(
                p, t, w, -100, 0.0, s
            ),
        }
        for name, fn in cases.items():
            out[key + name + " ours"] = lambda fn=fn: fn(SK)
            if base is not None:
                out[key + name + " before"] = lambda fn=fn: fn(base)
    return out


def kernels_alone(workers, shapes, repeats, base):
    """Print ``kernel_variants``' medians: ours vs torch's ATen kernels and the baseline's."""
    print(f"\nkernels alone, float32, medians of {repeats} (us); ratio = torch / ours")
    print(
        f"{'kernel':22s} {'shape':>10s} {'ours':>9s} {'torch':>9s} {'ratio':>6s}"
        + (f" {'before':>9s} {'bef/ours':>8s}" if base else "")
    )
    for shape in shapes:
        for name in KERNELS:
            key = f"kernels {'x'.join(map(str, shape))} | {name} "
            res = workers.medians(repeats, [key + c for c in ("ours", "torch", "before")])
            res = {k.split()[-1]: v * 1e6 for k, v in res.items()}
            tt_ = res.get("torch")
            row = f"{name:22s} {'x'.join(map(str, shape)):>10s} {res['ours']:9.1f} "
            row += f"{tt_:9.1f} {tt_ / res['ours']:6.2f}" if tt_ else f"{'-':>9s} {'-':>6s}"
            if base:
                row += f" {res['before']:9.1f} {res['before'] / res['ours']:8.2f}"
            print(row, flush=True)


def other_dims(repeats):
    """Softmax forward along a non-last axis: the (A, C, B) "cols" kernel vs a class-last
    copy + row kernel vs NumPy (kernel level, no autograd)."""
    from autograd.kernels import softmax as SK
    from autograd.ops.softmax import _np_softmax

    rng = np.random.default_rng(1)
    print(f"\nsoftmax forward along a non-last dim, float32, medians of {repeats} (us)")
    print(f"{'shape':>16s} {'dim':>3s} {'cols kernel':>11s} {'moveaxis+rows':>13s} {'numpy':>9s}")

    def cols(x, dim):  # the cols kernel directly (softmax() itself picks by _COLS_MIN_B)
        a, c, b = SK._acb(x.shape, dim)
        out = np.empty_like(x)
        SK.softmax_cols(x.reshape(a, c, b), out.reshape(a, c, b))
        return out

    def moved(x, dim):
        xm = np.ascontiguousarray(np.moveaxis(x, dim, -1))
        return np.moveaxis(SK.softmax(xm, xm.ndim - 1), -1, dim)

    for shape, dim in [
        ((64, 1000, 8), 1),
        ((1000, 3), 0),
        ((32, 16, 32, 32), 1),
        ((8, 10, 1000), 1),
        ((1000, 1000), 0),
        ((256, 2, 64), 1),
    ]:
        x = rng.standard_normal(shape).astype(np.float32)
        res = interleaved(
            {
                "cols": lambda: cols(x, dim),
                "moved": lambda: moved(x, dim),
                "numpy": lambda: _np_softmax(x, dim),
            },
            repeats,
        )
        print(
            f"{str(shape):>16s} {dim:3d} {res['cols']:11.1f} {res['moved']:13.1f} "
            f"{res['numpy']:9.1f}"
        )


OPS = ("softmax fwd+bwd", "log_softmax fwd+bwd", "cross_entropy fwd+bwd")


def step_variants(lib, shapes, base):
    """Each op through autograd on one library: jitgrad's numpy, numba 1- and 2-thread (and
    baseline) contenders, or torch's; labels ``"<shape> | <op> <contender>"``."""
    rng = np.random.default_rng(0)
    out = {}
    for shape in shapes:
        x, g, t = _inputs(rng, shape)
        key = f"{'x'.join(map(str, shape))} | "
        if lib == "torch":
            tx = torch.from_numpy(x).requires_grad_()
            tg, ttg = torch.from_numpy(g), torch.from_numpy(t)
            tw = {
                OPS[0]: lambda tx=tx, tg=tg: torch.autograd.grad(torch.softmax(tx, 1), tx, tg),
                OPS[1]: lambda tx=tx, tg=tg: torch.autograd.grad(torch.log_softmax(tx, 1), tx, tg),
                OPS[2]: lambda tx=tx, tt=ttg: torch.autograd.grad(
                    torch.nn.functional.cross_entropy(tx, tt), tx
                ),
            }
            out.update({key + name + " torch": fn for name, fn in tw.items()})
            continue
        xt, gt, tt = autograd.tensor(x, requires_grad=True), autograd.tensor(g), autograd.tensor(t)
        work = {
            OPS[0]: lambda xt=xt, gt=gt: autograd.grad(autograd.softmax(xt, 1), xt, gt),
            OPS[1]: lambda xt=xt, gt=gt: autograd.grad(autograd.log_softmax(xt, 1), xt, gt),
            OPS[2]: lambda xt=xt, tt=tt: autograd.grad(F.cross_entropy(xt, tt), xt),
        }
        for name, w in work.items():
            out[key + name + " numpy"] = ours("numpy", w)
            out[key + name + " numba1"] = ours("numba", w)
            out[key + name + " numba2"] = ours("numba", w, 2)
            if base is not None:
                out[key + name + " before"] = ours("numba", swapped("softmax", base, w))
    return out


def serve(lib, args, shapes):
    """``--worker LIB``: one library's variants (``step_variants``, and ``kernel_variants``
    with ``--kernels``), served to the parent (``_common.serve_variants``)."""
    base = None
    if lib == "jitgrad":
        from autograd.kernels import softmax as SK

        SK.warmup("float32")
        base = load_baseline(args.baseline, "softmax") if args.baseline else None
    variants = step_variants(lib, shapes, base)
    if args.kernels:
        variants.update(kernel_variants(lib, shapes, base))
    serve_variants(variants, warmup=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--shapes", default="128x10,1024x1000,64x32000")
    ap.add_argument("--torch-threads", type=int, default=0, help="0: torch's default")
    ap.add_argument(
        "--other-dims",
        action="store_true",
        help="also time reductions along a non-last axis (kernel choice)",
    )
    add_worker_option(ap)
    args = parse_kernel_bench_args(ap, "softmax")
    if torch is not None and args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    if args.worker:
        serve(args.worker, args, shapes)
        return
    base = args.baseline
    print(
        f"float32, medians of {args.repeats} (us); torch on {torch.get_num_threads() if torch else '-'}"
        " threads; ratio = torch time / ours (above 1: ours is faster)"
    )
    print(
        f"{'op':22s} {'shape':>10s} {'numpy':>9s} {'numba 1t':>9s} {'numba 2t':>9s} {'torch':>9s} "
        f"{'torch/1t':>8s} {'torch/2t':>8s} {'numpy/1t':>8s}"
        + (f" {'before 1t':>9s} {'before/1t':>9s} {'torch/bef':>9s}" if base else "")
    )
    columns = ("numpy", "numba1", "numba2", "torch", "before")
    groups = ("jitgrad", "torch") if torch is not None else ("jitgrad",)
    with Workers(worker_commands(groups)) as workers:
        for shape in shapes:
            for name in OPS:
                key = f"{'x'.join(map(str, shape))} | {name} "
                res = workers.medians(args.repeats, [key + c for c in columns])
                res = {k.split()[-1]: v * 1e6 for k, v in res.items()}
                tt_ = res.get("torch")
                row = (
                    f"{name:22s} {'x'.join(map(str, shape)):>10s} {res['numpy']:9.1f} "
                    f"{res['numba1']:9.1f} {res['numba2']:9.1f} "
                )
                row += (
                    f"{tt_:9.1f} {tt_ / res['numba1']:8.2f} {tt_ / res['numba2']:8.2f}"
                    if tt_
                    else f"{'-':>9s} {'-':>8s} {'-':>8s}"
                )
                row += f" {res['numpy'] / res['numba1']:8.2f}"
                if base is not None:
                    row += f" {res['before']:9.1f} {res['before'] / res['numba1']:9.2f}"
                    row += f" {tt_ / res['before']:9.2f}" if tt_ else f" {'-':>9s}"
                print(row, flush=True)
        if args.kernels:
            kernels_alone(workers, shapes, args.repeats, base)
    if args.other_dims:  # (jitgrad's kernels only: timed in this process)
        from autograd.kernels import softmax as SK

        SK.warmup("float32")
        other_dims(args.repeats)


if __name__ == "__main__":
    main()
