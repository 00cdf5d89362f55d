"""Reductions along an axis (sum, mean, amax), forward + backward, jitgrad vs PyTorch.

Usage:  .venv/bin/python bench/bench_reduce.py [--repeats 15]

Issue 3 asks for reduction kernels "where they pay"; this bench is how to decide. Both
libraries run ``y = x.<op>(dim); y.sum().backward()`` on float32 data, interleaved, and
the ratio of medians (ours / torch, lower is better) is printed. jitgrad's reductions are
NumPy's (no Numba kernel yet).
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import autograd

try:
    import torch
except ImportError:  # the bench still runs, without the torch column
    torch = None

CASES = [((1024, 1000), 0), ((1024, 1000), -1), ((64, 32000), 0), ((64, 32000), -1),
         ((256, 256, 16), 0), ((256, 256, 16), -1)]


def run(shape, dim, op, repeats, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    ours_x = autograd.tensor(x, requires_grad=True)

    def ours():
        getattr(ours_x, op)(dim).sum().backward()
        ours_x.grad = None
    fns = {"jitgrad": ours}
    if torch is not None:
        torch_x = torch.from_numpy(x.copy()).requires_grad_()

        def theirs():
            getattr(torch_x, op)(dim).sum().backward()
            torch_x.grad = None
        fns["torch"] = theirs
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():  # interleaved, so machine load hits both alike
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    if torch is not None:
        torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    print("reduction forward + backward, float32, median ms; ratio = jitgrad / torch")
    print(f"{'op':5s} {'shape':>16s} {'dim':>4s} {'jitgrad':>9s} {'torch':>9s} {'ratio':>6s}")
    for shape, dim in CASES:
        for op in ("sum", "mean", "amax"):
            med = run(shape, dim, op, args.repeats, rng)
            row = f"{op:5s} {str(shape):>16s} {dim:4d} {med['jitgrad'] * 1e3:9.3f}"
            if "torch" in med:
                row += f" {med['torch'] * 1e3:9.3f} {med['jitgrad'] / med['torch']:6.2f}"
            print(row)


if __name__ == "__main__":
    main()
