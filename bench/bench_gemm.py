"""Matrix products of the benchmarked models, one GEMM at a time: NumPy's OpenBLAS ways vs torch.

Usage:  .venv/bin/python bench/bench_gemm.py [--repeats 15] [--threads 1 [--clock thread]]
        [--only SUBSTRING]

Every product that one training step of bench_training.py's MLP (784-512-256-10, batch 32 /
128 / 1024) and small CNN (batch 64), and of bench_small_models.py's transformer (width 64,
batch 16 x context 32, 4 heads) runs, forward and backward, float32, with its operands laid
out as the step lays them out: ``C`` a row-major matrix, ``T`` the transposed view of one
(``w.T`` in ``F.linear``, ``g.T`` in its weight gradient: BLAS gets a trans flag), ``H`` a
head of ``x.view(B, T, heads, d).transpose(1, 2)`` (row-major rows, strided matrices), ``HT``
its transpose (``k.transpose(-2, -1)``). The variants (each where it applies):

* ``jitgrad``: the product as jitgrad's matmul/linear ops compute it
  (``autograd.ops.linalg._matmul_arrays``, which the forward and backward of ``Mm``,
  ``Matmul``, ``Bmm`` and ``Addmm`` call);
* ``np.matmul``: NumPy's matmul on the operands as they are;
* ``out=``: the same into a preallocated result;
* ``swapped``: ``C^T = B^T A^T`` (OpenBLAS sees M and N exchanged and the other trans flags);
* ``contiguous``: transposed/strided operands copied row-major first (the copy is timed);
* ``scipy``: ``scipy.linalg.blas.sgemm`` (SciPy ships an OpenBLAS build of its own) on the
  Fortran views of the row-major operands (2-D only);
* ``torch``: ``torch.matmul`` on the same layouts, in a worker process of its own.

Each library runs in a worker process of its own (``_common.Workers``); each call of a
variant runs ``--inner`` products; the table shows medians in microseconds and each
variant's ratio to torch (lower is better). Use ``--threads 1`` on a loaded machine; the
default is both libraries' own thread choice (2 on the development machine).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import _common
from _common import Workers, add_worker_option, blas_info, serve_variants, worker_commands
from _goals import add_threads_option, jitgrad_tree, set_threads

sys.path.insert(0, jitgrad_tree())

# (name, (a shape, a layout), (b shape, b layout)): shapes are those of the operands as
# matmul sees them; see the module docstring for the layouts.
SHAPES = []


def _linear(tag, rows, fan_in, fan_out):
    """The three products of ``F.linear`` on (rows, fan_in) -> (rows, fan_out)."""
    return [
        (f"{tag} fwd x@w.T", ((rows, fan_in), "C"), ((fan_in, fan_out), "T")),
        (f"{tag} dx g@w", ((rows, fan_out), "C"), ((fan_out, fan_in), "C")),
        (f"{tag} dw g.T@x", ((fan_out, rows), "T"), ((rows, fan_in), "C")),
    ]


for _b in (32, 128, 1024):
    for _i, _o in ((784, 512), (512, 256), (256, 10)):
        SHAPES += _linear(f"mlp{_b} {_i}-{_o}", _b, _i, _o)
SHAPES += [
    # the small CNN at batch 64: im2col GEMMs per image (np.matmul broadcasts the weight)
    ("cnn conv1 fwd", ((1, 16, 9), "C"), ((64, 1, 9, 676), "C")),
    ("cnn conv2 fwd", ((1, 32, 144), "C"), ((64, 1, 144, 121), "C")),
    ("cnn conv2 dcols", ((1, 144, 32), "T"), ((64, 1, 32, 121), "C")),
    ("cnn conv2 dw", ((64, 1, 32, 121), "C"), ((64, 1, 121, 144), "T")),
    ("cnn conv1 dw", ((64, 1, 16, 676), "C"), ((64, 1, 676, 9), "T")),
]
for _i, _o in ((64, 192), (64, 64), (64, 256), (256, 64)):
    SHAPES += _linear(f"tfm {_i}-{_o}", 512, _i, _o)
SHAPES += [
    ("tfm att q@k.T", ((16, 4, 32, 16), "H"), ((16, 4, 16, 32), "HT")),
    ("tfm att p@v", ((16, 4, 32, 32), "C"), ((16, 4, 32, 16), "H")),
    ("tfm att dp g@v.T", ((16, 4, 32, 16), "C"), ((16, 4, 16, 32), "HT")),
    ("tfm att dv p.T@g", ((16, 4, 32, 32), "T"), ((16, 4, 32, 16), "C")),
]


def operand(shape, layout, rng):
    """A float32 array of ``shape`` laid out as ``layout`` (see the module docstring)."""
    if layout == "C":
        return rng.standard_normal(shape).astype(np.float32)
    if layout == "T":
        return np.swapaxes(operand(shape[:-2] + shape[-1:] + shape[-2:-1], "C", rng), -1, -2)
    b, h, t, d = shape if layout == "H" else shape[:2] + shape[3:] + shape[2:3]
    x = rng.standard_normal((b, t, h, d)).astype(np.float32).transpose(0, 2, 1, 3)
    return x if layout == "H" else np.swapaxes(x, -1, -2)


def _swapped(a, b):
    return np.matmul(np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2)).swapaxes(-1, -2)


def _contiguous(a, b):
    return np.matmul(np.ascontiguousarray(a), np.ascontiguousarray(b))


def numpy_variants(a, b):
    """The NumPy-side ways of computing ``a @ b`` (name -> zero-argument function)."""
    from autograd.ops.linalg import _matmul_arrays

    out = np.matmul(a, b)
    ways = {
        "jitgrad": lambda: _matmul_arrays(a, b),
        "np.matmul": lambda: np.matmul(a, b),
        "out=": lambda: np.matmul(a, b, out=out),
        "swapped": lambda: _swapped(a, b),
    }
    if not (a.flags.c_contiguous and b.flags.c_contiguous):
        ways["contiguous"] = lambda: _contiguous(a, b)
    if a.ndim == 2 and b.ndim == 2:
        from scipy.linalg import blas

        # the row-major product C = A B is, in Fortran order, C^T = B^T A^T: the transposed
        # views of row-major operands are Fortran-ordered, so sgemm copies nothing
        at, bt = a.T, b.T
        ta, tb = int(not at.flags.f_contiguous), int(not bt.flags.f_contiguous)
        at, bt = (at.T if ta else at), (bt.T if tb else bt)
        ways["scipy"] = lambda: blas.sgemm(1.0, bt, at, trans_a=tb, trans_b=ta).T
    return ways


def serve(group, shapes, inner):
    rng = np.random.default_rng(0)
    variants = {}
    for name, (sa, la), (sb, lb) in shapes:
        a, b = operand(sa, la, rng), operand(sb, lb, rng)
        if group == "torch":
            import torch

            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            variants[f"{name}|torch"] = lambda ta=ta, tb=tb: torch.matmul(ta, tb)
        else:
            for k, fn in numpy_variants(a, b).items():
                variants[f"{name}|{k}"] = fn
    serve_variants(variants, inner, warmup=5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15, help="interleaved rounds (median)")
    ap.add_argument("--inner", type=int, default=20, help="products per timed call")
    ap.add_argument("--only", default="", help="only the shapes whose name contains this")
    ap.add_argument("--jitgrad-tree", metavar="DIR", help="import jitgrad from DIR")
    ap.add_argument(
        "--clock",
        choices=["wall", "thread"],
        default="wall",
        help="thread: the worker thread's CPU time (with --threads 1 only: on a loaded "
        "machine it leaves out the time a worker waits for a core)",
    )
    add_threads_option(ap)
    add_worker_option(ap)
    args = ap.parse_args()
    if args.worker == "jitgrad":
        import scipy.linalg.blas  # noqa: F401 (loaded before set_threads limits its OpenBLAS too)
    if args.threads:
        set_threads(args.threads)
    if args.clock == "thread":
        _common._default_clock[0] = time.thread_time
    shapes = [s for s in SHAPES if args.only in s[0]]
    if args.worker:
        serve(args.worker, shapes, args.inner)
        return
    print("BLAS:", blas_info(), "| threads:", args.threads or "default")
    try:
        import torch  # noqa: F401

        groups = ("jitgrad", "torch")
    except ImportError:
        groups = ("jitgrad",)
    with Workers(worker_commands(groups)) as workers:
        names = [x for g in groups for x in workers.labels[g]]
        cols = list(dict.fromkeys(x.split("|")[1] for x in names))
        print(f"{'product':24s} {'a':>16s} {'b':>18s} " + " ".join(f"{c:>10s}" for c in cols))
        print(f"{'':62s}(microseconds per product; ratio to torch in brackets)")
        for name, (sa, la), (sb, lb) in shapes:
            med = workers.medians(args.repeats, [x for x in names if x.startswith(name + "|")])
            us = {x.split("|")[1]: t * 1e6 for x, t in med.items()}
            ref = us.get("torch")
            cells = []
            for c in cols:
                if c not in us:
                    cells.append(f"{'-':>10s}")
                elif ref and c != "torch":
                    cells.append(f"{us[c]:5.0f}({us[c] / ref:.2f})".rjust(10))
                else:
                    cells.append(f"{us[c]:10.0f}")
            sa_, sb_ = "x".join(map(str, sa)) + la, "x".join(map(str, sb)) + lb
            print(f"{name:24s} {sa_:>16s} {sb_:>18s} " + " ".join(cells), flush=True)


if __name__ == "__main__":
    main()
