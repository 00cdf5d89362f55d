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


def jitgrad_tree() -> str:
    """The source tree to import jitgrad from: this checkout, or ``--jitgrad-tree DIR`` on the
    command line (e.g. an export of an older commit, for before/after figures). Call it
    before importing autograd and put the result first on ``sys.path``."""
    if "--jitgrad-tree" in sys.argv:
        return os.path.abspath(sys.argv[sys.argv.index("--jitgrad-tree") + 1])
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
