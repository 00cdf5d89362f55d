"""The benchmark goals of issues 3 and 17, reported in one line each so bench/run_all.py can
build the summary table at the top of RESULTS.md.

(Also helpers of the benches' options: ``add_threads_option`` and ``set_threads`` for
``--threads``, and ``jitgrad_tree`` for ``--jitgrad-tree``.)

A bench calls ``goal("MLP step, batch 32 (numba / torch)", 0.71, "<=", 0.8)``; the line it
prints starts with ``GOAL|`` and is also readable on its own.
"""

from __future__ import annotations

import os
import sys


def goal(what: str, value: float, op: str, target: float, unit: str = "") -> bool:
    met = value <= target if op == "<=" else value >= target
    print(f"GOAL|{what}|{value:.2f}{unit}|{op} {target:g}{unit}|{'met' if met else 'not met'}")
    return met


def parse(text: str):
    """The (what, measured, goal, met) rows in a bench's output."""
    return [tuple(line.split("|")[1:5]) for line in text.splitlines() if line.startswith("GOAL|")]


def add_threads_option(ap) -> None:
    """``--threads N`` on an ``argparse`` parser (0, the default: the libraries' own choice);
    the bench passes a nonzero N to ``set_threads``."""
    ap.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch and BLAS threads (default: the libraries' own choice; on a "
        "loaded machine a thread pool waits for the busy core: use 1)",
    )


def set_threads(n: int) -> None:
    """Use ``n`` threads in torch and in BLAS (threadpoolctl) for the rest of the process."""
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(n)
    except ImportError:
        print("threadpoolctl not installed: BLAS threads left as they are")


def add_kernel_threads_option(ap) -> None:
    """``--kernel-threads N[,N...]`` on an ``argparse`` parser: jitgrad's kernel threads
    (``autograd.kernels.set_num_threads``; 1, the library default). With several counts
    (``1,2``) each jitgrad step is timed once per count, as variants of the same worker,
    interleaved with the others: 1- and 2-thread figures from the same run."""
    ap.add_argument(
        "--kernel-threads",
        type=lambda s: [int(n) for n in s.split(",")],
        default=[1],
        metavar="N[,N...]",
        help="jitgrad kernel threads (autograd.kernels.set_num_threads); several "
        "(1,2): each timed in the same run",
    )


def kernel_threads_suffix(n: int) -> str:
    """The label suffix of a variant run on ``n`` kernel threads ('' for the default 1)."""
    return "" if n == 1 else f" kt{n}"


def with_kernel_threads(step, n: int):
    """``step`` run with ``n`` kernel threads (the count is restored after it): lets one
    worker serve 1- and 2-thread variants of the same step."""
    from autograd import kernels

    def run():
        old = kernels.get_num_threads()
        kernels.set_num_threads(n)
        try:
            return step()
        finally:
            kernels.set_num_threads(old)

    return run


def add_tree_and_clock_options(ap) -> None:
    """``--jitgrad-tree DIR`` (import jitgrad from DIR, see ``jitgrad_tree``), ``--baseline-tree
    DIR`` (also time jitgrad from DIR in a worker of its own, in the same rounds) and
    ``--clock wall|thread`` on an ``argparse`` parser."""
    ap.add_argument(
        "--jitgrad-tree", metavar="DIR", help="import jitgrad from DIR (see jitgrad_tree)"
    )
    ap.add_argument(
        "--baseline-tree",
        metavar="DIR",
        help="also time jitgrad imported from DIR (e.g. `git archive main | tar -x -C DIR`) "
        "in a worker of its own, in the same rounds: before/after ratios from one run",
    )
    ap.add_argument(
        "--clock",
        choices=["wall", "thread"],
        default="wall",
        help="thread: CPU time of the timing thread (with --threads 1 on a loaded machine)",
    )


def jitgrad_tree() -> str:
    """The source tree to import jitgrad from: this checkout, or ``--jitgrad-tree DIR`` on the
    command line (e.g. an export of an older commit, for before/after figures). Call it
    before importing autograd and put the result first on ``sys.path``."""
    if "--jitgrad-tree" in sys.argv:
        return os.path.abspath(sys.argv[sys.argv.index("--jitgrad-tree") + 1])
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
