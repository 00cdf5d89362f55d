"""Optimizer step time: jitgrad's optim vs torch.optim (for-loop and foreach), side by side.

Model: the parameters of a 784-1024-10 MLP (~0.8M float32 values), gradients filled once
with random numbers; each timing is the median over many ``opt.step()`` calls.

On the numba backend each parameter is updated by one fused in-place kernel
(``autograd/kernels/optim.py``); ``--kernel-threads 2`` lets large parameters use the
parallel build (the library default is 1 thread; torch uses its default, 2 here), and
``--kernel-threads 1,2`` times the numba step on both, in the same run (columns ``numba`` and
``numba kt2``; the goal uses the first count).

Each library runs in a worker process of its own (jitgrad's two backends share one; see
``_common.Workers`` for why); the parent hands them interleaved rounds of ``--inner`` steps,
each block of steps after ``--untimed`` untimed steps of the same variant (default 2). The
other variants that run in between evict a variant's parameters and state from the caches,
and the first two steps of a block run slower, for either library, than the ones after them,
whereas a training loop's optimizer finds its arrays warm (a model of this size stays in the
cache across its forward and backward passes): so the timed steps are the steady state.
``--untimed 0`` times each block from cold data, as this bench did until the eighth session.

``numba GB/s``: the bytes the fused kernel must move per step (it reads the parameter, the
gradient and each state buffer once and writes the parameter and the buffers once) per
second. One core streams ~50 GB/s from the L3 cache on the benchmark machine: once a kernel
is there, only more threads (``--kernel-threads 2``) or fewer bytes make it faster.

Run:  .venv/bin/python bench/bench_optim.py [--reps 100] [--inner 5] [--threads N]
                                            [--kernel-threads N[,N...]] [--untimed N]
"""

import argparse
import os
import statistics
import sys

import numpy as np

import autograd
import optim
from _common import Workers, serve_variants  # bench/ is on sys.path when a bench runs
from _goals import add_kernel_threads_option, goal, kernel_threads_suffix, with_kernel_threads

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


def bytes_per_step(name, kwargs, values, grads):
    """The bytes a one-pass update moves per step: the parameters and their state buffers
    read and written once, the gradients read once (the state buffers counted from the state
    our optimizer keeps after a step)."""
    params = [autograd.tensor(v.copy(), requires_grad=True) for v in values]
    for p, g in zip(params, grads):
        p.grad = autograd.tensor(g.copy())
    opt = getattr(optim, name)(params, **kwargs)
    opt.step()
    total = 0
    for p in params:
        buffers = [t for t in opt.state[p].values() if getattr(t, "shape", None) == p.shape]
        total += p.detach().numpy().nbytes * (3 + 2 * len(buffers))
    return total


def serve(lib, values, grads, inner, kernel_threads=(1,), untimed=2):
    """``--worker LIB``: every configuration's step on one library (jitgrad: numpy and numba
    backends; torch: for-loop and foreach), served to the parent (``_common.serve_variants``);
    labels are ``"<optimizer label> <column>"``."""
    variants = {}
    for name, kwargs in CONFIGS:
        label = _label(name, kwargs)
        if lib == "torch":
            for foreach in (False, True):
                step = make_torch(name, kwargs, values, grads, foreach=foreach)
                variants[f"{label} {'foreach' if foreach else 'loop'}"] = step
        else:
            variants[f"{label} numpy"] = make_ours(name, kwargs, values, grads, "numpy")
            for n in kernel_threads:
                step = make_ours(name, kwargs, values, grads, "numba")
                variants[f"{label} numba{kernel_threads_suffix(n)}"] = with_kernel_threads(step, n)
    serve_variants(variants, inner, warmup=5, untimed=untimed)


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
    add_kernel_threads_option(ap)
    ap.add_argument("--inner", type=int, default=5, help="steps per variant per round")
    ap.add_argument(
        "--untimed",
        type=int,
        default=2,
        help="untimed steps of a variant before each of its timed blocks (0: cold caches)",
    )
    ap.add_argument("--worker", choices=["jitgrad", "torch"], help="internal: a worker process")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    values = [(rng.standard_normal(s) * 0.05).astype(np.float32) for s in SHAPES]
    grads = [(rng.standard_normal(s) * 0.01).astype(np.float32) for s in SHAPES]
    n = sum(v.size for v in values)
    if args.worker == "jitgrad":
        serve("jitgrad", values, grads, args.inner, args.kernel_threads, args.untimed)
        return

    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        threads = torch.get_num_threads()
    except ImportError:
        torch = None
        threads = None
    if args.worker == "torch":
        serve("torch", values, grads, args.inner, untimed=args.untimed)
        return

    rounds = max(3, args.reps // args.inner)
    print(
        f"optimizer step, {n:,} float32 parameters in {len(SHAPES)} tensors "
        f"(784-1024-10 MLP), {args.stat} of {rounds} rounds x {args.inner} steps"
        + (f", torch threads: {threads}" if torch else ", torch not installed")
        + f", jitgrad kernel threads: {','.join(map(str, args.kernel_threads))}"
        + f", {args.untimed} untimed step(s) before each block, one worker process per library"
    )
    numba_cols = [f"numba{kernel_threads_suffix(n)}" for n in args.kernel_threads]
    print(
        f"{'optimizer':<24}{'numpy ms':>10}"
        + "".join(f"{c + ' ms':>14}" for c in numba_cols)
        + f"{'torch loop':>12}{'torch foreach':>15}"
        + "".join(f"{c + '/loop':>16}{c + '/foreach':>19}" for c in numba_cols)
        + f"{numba_cols[0] + ' GB/s':>12}"
    )
    me = [sys.executable, os.path.abspath(__file__), "--inner", str(args.inner)]
    me += ["--untimed", str(args.untimed)]
    me += ["--kernel-threads", ",".join(map(str, args.kernel_threads))]
    me += ["--threads", str(args.threads)] if args.threads else []
    commands = {"jitgrad": me + ["--worker", "jitgrad"]}
    if torch is not None:
        commands["torch"] = me + ["--worker", "torch"]
    stat = min if args.stat == "min" else statistics.median
    goals = []
    with Workers(commands) as workers:
        for name, kwargs in CONFIGS:
            label = _label(name, kwargs)
            columns = ["numpy", *numba_cols] + (["loop", "foreach"] if torch is not None else [])
            med = workers.medians(rounds, [f"{label} {c}" for c in columns], stat)
            ms = {c: 1e3 * med[f"{label} {c}"] for c in columns}
            line = f"{label:<24}{ms['numpy']:>10.3f}" + "".join(
                f"{ms[c]:>14.3f}" for c in numba_cols
            )
            gbs = bytes_per_step(name, kwargs, values, grads) / ms[numba_cols[0]] / 1e6
            if torch is None:
                print(line + f"{gbs:>12.1f}", flush=True)
                continue
            loop, fe = ms["loop"], ms["foreach"]
            line += f"{loop:>12.3f}{fe:>15.3f}"
            line += "".join(f"{ms[c] / loop:>16.2f}{ms[c] / fe:>19.2f}" for c in numba_cols)
            print(line + f"{gbs:>12.1f}", flush=True)
            ratio = ms[numba_cols[0]] / loop
            goals.append((f"{label} step (numba / torch loop)", ratio, "<=", 0.5))
    for g in goals:
        goal(*g)


if __name__ == "__main__":
    main()
