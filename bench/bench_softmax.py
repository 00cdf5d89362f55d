"""Softmax / log_softmax forward+backward and cross-entropy forward+backward, float32:
jitgrad's numba backend (row kernels, 1 and 2 threads) vs its NumPy backend vs PyTorch CPU.

Usage:  .venv/bin/python bench/bench_softmax.py [--repeats 15] [--shapes 128x10,1024x1000,64x32000]
                                               [--torch-threads N] [--other-dims] [--baseline DIR]
                                               [--clock wall|thread]

Each figure is what a user gets through autograd: a leaf tensor that requires grad, the op,
then ``autograd.grad`` with an upstream gradient (for softmax) or of the mean loss (for
cross_entropy, class-index targets). The contenders run interleaved, one call each per
round, so load from other processes hits them alike; medians in microseconds.

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
from _common import kernels_swapped, load_baseline, median_times, parse_kernel_bench_args

try:
    import torch
except ImportError:
    torch = None


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


def kernels_alone(shapes, repeats, base):
    """Each kernel alone (arrays in, a fresh output array out, no autograd) vs the ATen
    kernel torch's autograd calls for the same step, and the baseline's kernel."""
    from autograd.kernels import softmax as SK

    rng = np.random.default_rng(0)
    print(f"\nkernels alone, float32, medians of {repeats} (us); ratio = torch / ours")
    print(
        f"{'kernel':22s} {'shape':>10s} {'ours':>9s} {'torch':>9s} {'ratio':>6s}"
        + (f" {'before':>9s} {'bef/ours':>8s}" if base else "")
    )
    for shape in shapes:
        x, g, t = _inputs(rng, shape)
        y, ly = SK.softmax(x, 1), SK.log_softmax(x, 1)
        w, scale = np.ones(shape[1]), np.full(shape[0], 1.0 / shape[0])
        _, prob = SK.cross_entropy(x, t, w, -100, 0.0)
        cases = {
            "softmax fwd": (lambda m: m.softmax(x, 1), lambda: torch.softmax(tx, 1)),
            "softmax bwd": (
                lambda m: m.softmax_backward(y, g, 1),
                lambda: torch.ops.aten._softmax_backward_data(tg, ty, 1, torch.float32),
            ),
            "log_softmax fwd": (lambda m: m.log_softmax(x, 1), lambda: torch.log_softmax(tx, 1)),
            "log_softmax bwd": (
                lambda m: m.log_softmax_backward(ly, g, 1),
                lambda: torch.ops.aten._log_softmax_backward_data(tg, tly, 1, torch.float32),
            ),
            "cross_entropy fwd": (
                lambda m: m.cross_entropy(x, t, w, -100, 0.0),
                lambda: torch.nn.functional.cross_entropy(tx, tt),
            ),
            "cross_entropy bwd": (
                lambda m: m.cross_entropy_backward(prob, t, w, -100, 0.0, scale),
                None,
            ),
        }
        if torch is not None:
            tx, tg, ty, tly, tt = (torch.from_numpy(a) for a in (x, g, y, ly, t))
        for name, (ours_fn, torch_fn) in cases.items():
            fns = {"ours": lambda: ours_fn(SK)}
            if torch is not None and torch_fn is not None:
                fns["torch"] = torch_fn
            if base is not None:
                fns["before"] = lambda: ours_fn(base)
            res = interleaved(fns, repeats)
            tt_ = res.get("torch")
            row = f"{name:22s} {'x'.join(map(str, shape)):>10s} {res['ours']:9.1f} "
            row += f"{tt_:9.1f} {tt_ / res['ours']:6.2f}" if tt_ else f"{'-':>9s} {'-':>6s}"
            if base is not None:
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
    args = parse_kernel_bench_args(ap, "softmax")
    if torch is not None and args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    from autograd.kernels import softmax as SK

    SK.warmup("float32")
    base = load_baseline(args.baseline, "softmax") if args.baseline else None
    rng = np.random.default_rng(0)
    print(
        f"float32, medians of {args.repeats} (us); torch on {torch.get_num_threads() if torch else '-'}"
        " threads; ratio = torch time / ours (above 1: ours is faster)"
    )
    print(
        f"{'op':22s} {'shape':>10s} {'numpy':>9s} {'numba 1t':>9s} {'numba 2t':>9s} {'torch':>9s} "
        f"{'torch/1t':>8s} {'torch/2t':>8s} {'numpy/1t':>8s}"
        + (f" {'before 1t':>9s} {'before/1t':>9s} {'torch/bef':>9s}" if base else "")
    )
    for shape in shapes:
        x, g, t = _inputs(rng, shape)
        xt, gt, tt = autograd.tensor(x, requires_grad=True), autograd.tensor(g), autograd.tensor(t)
        work = {
            "softmax fwd+bwd": lambda: autograd.grad(autograd.softmax(xt, 1), xt, gt),
            "log_softmax fwd+bwd": lambda: autograd.grad(autograd.log_softmax(xt, 1), xt, gt),
            "cross_entropy fwd+bwd": lambda: autograd.grad(F.cross_entropy(xt, tt), xt),
        }
        if torch is not None:
            tx = torch.from_numpy(x).requires_grad_()
            tg, ttg = torch.from_numpy(g), torch.from_numpy(t)
            tw = {
                "softmax fwd+bwd": lambda: torch.autograd.grad(torch.softmax(tx, 1), tx, tg),
                "log_softmax fwd+bwd": lambda: torch.autograd.grad(
                    torch.log_softmax(tx, 1), tx, tg
                ),
                "cross_entropy fwd+bwd": lambda: torch.autograd.grad(
                    torch.nn.functional.cross_entropy(tx, ttg), tx
                ),
            }
        for name, w in work.items():
            fns = {
                "numpy": ours("numpy", w),
                "numba1": ours("numba", w),
                "numba2": ours("numba", w, 2),
            }
            if torch is not None:
                fns["torch"] = tw[name]
            if base is not None:
                fns["before"] = ours("numba", swapped("softmax", base, w))
            res = interleaved(fns, args.repeats)
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
        kernels_alone(shapes, args.repeats, base)
    if args.other_dims:
        other_dims(args.repeats)


if __name__ == "__main__":
    main()
