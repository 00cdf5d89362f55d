"""Optimizer step time: jitgrad's optim vs torch.optim (for-loop and foreach), side by side.

Model: the parameters of a 784-1024-10 MLP (~0.8M float32 values), gradients filled once
with random numbers; each timing is the median over many ``opt.step()`` calls.

On the numba backend each parameter is updated by one fused in-place kernel
(``autograd/kernels/optim.py``); ``--kernel-threads 2`` lets large parameters use the
parallel build (the library default is 1 thread; torch uses its default, 2 here).

Run:  .venv/bin/python bench/bench_optim.py [--reps 100] [--threads N] [--kernel-threads N]
"""

import argparse
import statistics
import time

import numpy as np

import autograd
import optim
from _goals import goal  # bench/ is on sys.path when a bench runs

SHAPES = [(1024, 784), (1024,), (10, 1024), (10,)]

CONFIGS = [
    ("Adam", {"lr": 1e-3}),
    ("AdamW", {"lr": 1e-3, "weight_decay": 1e-2}),
    ("SGD", {"lr": 1e-2, "momentum": 0.9}),
    ("RMSprop", {"lr": 1e-2}),
    ("RMSprop", {"lr": 1e-2, "centered": True, "momentum": 0.9}),
    ("Adagrad", {"lr": 1e-2, "lr_decay": 1e-4}),
]


def _label(name, kwargs):
    extra = [k for k in ("momentum", "centered") if kwargs.get(k)]
    return "+".join([name] + extra)


def _median_ms(steps, reps, warmup=5, stat=statistics.median):
    """Median time per call of each function in ``steps``. The calls are interleaved
    (a, b, c, a, b, c, ...) so that load from other processes hits all of them alike."""
    for _ in range(warmup):
        for step in steps:
            step()
    times = [[] for _ in steps]
    for _ in range(reps):
        for step, ts in zip(steps, times):
            t0 = time.perf_counter()
            step()
            ts.append(time.perf_counter() - t0)
    return [1e3 * stat(ts) for ts in times]


def make_ours(name, kwargs, values, grads, backend="numpy"):
    """Our optimizer's step on the given backend ("numba": the fused one-pass kernels)."""
    params = [autograd.tensor(v.copy(), requires_grad=True) for v in values]
    for p, g in zip(params, grads):
        p.grad = autograd.tensor(g.copy())
    step = getattr(optim, name)(params, **kwargs).step

    def run():
        with autograd.backend(backend):
            step()

    return run


def make_torch(name, kwargs, values, grads, foreach):
    import torch

    params = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g.copy())
    return getattr(torch.optim, name)(params, foreach=foreach, **kwargs).step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    ap.add_argument(
        "--stat",
        choices=("median", "min"),
        default="median",
        help="min: the least-disturbed step, for a machine loaded by other work "
        "(the median penalises long steps: they are more often preempted)",
    )
    ap.add_argument(
        "--kernel-threads",
        type=int,
        default=1,
        help="autograd.kernels.set_num_threads (parallel build for large params)",
    )
    args = ap.parse_args()
    if args.kernel_threads > 1:
        from autograd import kernels

        kernels.set_num_threads(args.kernel_threads)

    rng = np.random.default_rng(0)
    values = [(rng.standard_normal(s) * 0.05).astype(np.float32) for s in SHAPES]
    grads = [(rng.standard_normal(s) * 0.01).astype(np.float32) for s in SHAPES]
    n = sum(v.size for v in values)

    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        threads = torch.get_num_threads()
    except ImportError:
        torch = None
        threads = None

    print(
        f"optimizer step, {n:,} float32 parameters in {len(SHAPES)} tensors "
        f"(784-1024-10 MLP), {args.stat} of {args.reps} steps"
        + (f", torch threads: {threads}" if torch else ", torch not installed")
        + f", jitgrad kernel threads: {args.kernel_threads}"
    )
    print(
        f"{'optimizer':<24}{'numpy ms':>10}{'numba ms':>10}{'torch loop':>12}"
        f"{'torch foreach':>15}{'numba/loop':>12}{'numba/foreach':>15}"
    )
    goals = []
    for name, kwargs in CONFIGS:
        label = _label(name, kwargs)
        steps = [
            make_ours(name, kwargs, values, grads, "numpy"),
            make_ours(name, kwargs, values, grads, "numba"),
        ]
        if torch is not None:
            steps += [
                make_torch(name, kwargs, values, grads, foreach=False),
                make_torch(name, kwargs, values, grads, foreach=True),
            ]
        res = _median_ms(steps, args.reps, stat=min if args.stat == "min" else statistics.median)
        if torch is None:
            print(f"{label:<24}{res[0]:>10.3f}{res[1]:>10.3f}")
            continue
        ours_np, ours_nb, loop, fe = res
        print(
            f"{label:<24}{ours_np:>10.3f}{ours_nb:>10.3f}{loop:>12.3f}{fe:>15.3f}"
            f"{ours_nb / loop:>12.2f}{ours_nb / fe:>15.2f}"
        )
        goals.append((f"{label} step (numba / torch loop)", ours_nb / loop, "<=", 0.5))
    for g in goals:
        goal(*g)


if __name__ == "__main__":
    main()
