"""Reductions along an axis (sum, mean, amax, amin, max(dim), logsumexp), forward +
backward, jitgrad (numba backend, and the NumPy reference backend) vs PyTorch.

Usage:  .venv/bin/python bench/bench_reduce.py [--repeats 15] [--ops sum,amax] [--torch-threads 2]

Issue 3 asks for reduction kernels "where they pay"; this bench is how to decide. All
contenders run ``y = x.<op>(dim); y.sum().backward()`` on float32 data (``max`` is
``x.max(dim).values``), interleaved, and the ratio of medians (numba backend / torch, lower
is better) is printed. Kernels: autograd/kernels/reduce.py.
"""

from __future__ import annotations

import argparse

import numpy as np

import autograd
from _common import median_times  # (bench/ is on sys.path when a bench runs)

try:
    import torch
except ImportError:  # the bench still runs, without the torch column
    torch = None

CASES = [
    ((1024, 1000), 0),
    ((1024, 1000), -1),
    ((64, 32000), 0),
    ((64, 32000), -1),
    ((256, 256, 16), 0),
    ((256, 256, 16), -1),
]


OPS = ("sum", "mean", "amax", "amin", "max", "logsumexp")
MORE_OPS = ("var", "std")  # no kernels (already below torch): --ops var,std


def _reduce(t, op, dim):
    y = getattr(t, op)(dim)
    return y.values if op == "max" else y


def run(shape, dim, op, repeats, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    ours_x = autograd.tensor(x, requires_grad=True)

    def ours():
        _reduce(ours_x, op, dim).sum().backward()
        ours_x.grad = None

    def reference():
        with autograd.backend("numpy"):
            ours()

    fns = {"jitgrad": ours, "numpy": reference}
    if torch is not None:
        torch_x = torch.from_numpy(x.copy()).requires_grad_()

        def theirs():
            _reduce(torch_x, op, dim).sum().backward()
            torch_x.grad = None

        fns["torch"] = theirs
    return median_times(fns, repeats)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument(
        "--ops", default=",".join(OPS), help="comma-separated subset of " + str(OPS + MORE_OPS)
    )
    ap.add_argument(
        "--torch-threads",
        type=int,
        default=2,
        help="torch's intra-op threads (jitgrad's kernels run on 1 thread)",
    )
    args = ap.parse_args()
    if torch is not None:
        torch.set_num_threads(args.torch_threads)
    from autograd import kernels

    kernels.warmup(("float32",))
    rng = np.random.default_rng(0)
    print("reduction forward + backward, float32, median ms; ratio = jitgrad (numba) / torch")
    print(
        f"{'op':9s} {'shape':>16s} {'dim':>4s} {'jitgrad':>9s} {'numpy':>9s} {'torch':>9s} "
        f"{'ratio':>6s}"
    )
    for shape, dim in CASES:
        for op in args.ops.split(","):
            med = run(shape, dim, op, args.repeats, rng)
            row = (
                f"{op:9s} {str(shape):>16s} {dim:4d} {med['jitgrad'] * 1e3:9.3f} "
                f"{med['numpy'] * 1e3:9.3f}"
            )
            if "torch" in med:
                row += f" {med['torch'] * 1e3:9.3f} {med['jitgrad'] / med['torch']:6.2f}"
            print(row)


if __name__ == "__main__":
    main()
