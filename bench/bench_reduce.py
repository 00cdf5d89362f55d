"""Reductions along an axis (sum, mean, amax, amin, max(dim), logsumexp), forward +
backward, jitgrad (numba backend, and the NumPy reference backend) vs PyTorch.

Usage:  .venv/bin/python bench/bench_reduce.py [--repeats 15] [--ops sum,amax] [--torch-threads 2]

Issue 3 asks for reduction kernels "where they pay"; this bench is how to decide. All
contenders run ``y = x.<op>(dim); y.sum().backward()`` on float32 data (``max`` is
``x.max(dim).values``), jitgrad (both backends) and torch each in a worker process of its own
(see ``_common.Workers`` for why), interleaved, and the ratio of medians (numba backend /
torch, lower is better) is printed. Kernels: autograd/kernels/reduce.py.
"""

from __future__ import annotations

import argparse

import numpy as np

import autograd

# (bench/ is on sys.path when a bench runs)
from _common import Workers, add_worker_option, optional_torch, serve_variants, worker_commands

torch = optional_torch()

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


def variants(lib, ops):
    """Every case's and op's step on one library (jitgrad: the numba backend and the NumPy
    reference); labels ``"<shape> <dim> <op> <column>"``."""
    rng = np.random.default_rng(0)
    out = {}
    for shape, dim in CASES:
        x = rng.standard_normal(shape).astype(np.float32)
        t = torch.from_numpy(x.copy()).requires_grad_() if lib == "torch" else None
        t = autograd.tensor(x, requires_grad=True) if lib == "jitgrad" else t
        for op in ops:

            def step(t=t, op=op, dim=dim):
                _reduce(t, op, dim).sum().backward()
                t.grad = None

            key = f"{shape} {dim} {op} ".replace(" ", "")
            if lib == "torch":
                out[key + " torch"] = step
                continue

            def reference(step=step):
                with autograd.backend("numpy"):
                    step()

            out[key + " jitgrad"] = step
            out[key + " numpy"] = reference
    return out


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
    add_worker_option(ap)
    args = ap.parse_args()
    ops = args.ops.split(",")
    if args.worker == "torch":
        torch.set_num_threads(args.torch_threads)
    if args.worker == "jitgrad":
        from autograd import kernels

        kernels.warmup(("float32",))
    if args.worker:
        serve_variants(variants(args.worker, ops), warmup=1)
        return
    print("reduction forward + backward, float32, median ms; ratio = jitgrad (numba) / torch")
    print(
        f"{'op':9s} {'shape':>16s} {'dim':>4s} {'jitgrad':>9s} {'numpy':>9s} {'torch':>9s} "
        f"{'ratio':>6s}"
    )
    groups = ("jitgrad", "torch") if torch is not None else ("jitgrad",)
    with Workers(worker_commands(groups)) as workers:
        for shape, dim in CASES:
            # one case's ops share the rounds (fewer pauses between the workers' turns)
            keys = [f"{shape} {dim} {op} ".replace(" ", "") for op in ops]
            labels = [k + c for k in keys for c in (" jitgrad", " numpy", " torch")]
            res = workers.medians(args.repeats, labels)
            for op, key in zip(ops, keys):
                med = {c: res.get(f"{key} {c}") for c in ("jitgrad", "numpy", "torch")}
                row = (
                    f"{op:9s} {str(shape):>16s} {dim:4d} {med['jitgrad'] * 1e3:9.3f} "
                    f"{med['numpy'] * 1e3:9.3f}"
                )
                if med["torch"] is not None:
                    row += f" {med['torch'] * 1e3:9.3f} {med['jitgrad'] / med['torch']:6.2f}"
                print(row, flush=True)


if __name__ == "__main__":
    main()
