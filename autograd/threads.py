"""``set_num_threads`` / ``get_num_threads``: how many threads one op may use, as in torch.

Two things run multi-threaded inside an op here: BLAS (matmul, conv's GEMM) and, for large
inputs, the Numba kernels (serial unless asked: ``set_num_threads(n)``, or the environment
variable ``AUTOGRAD_NUM_THREADS=n``; unlike torch, the kernels do not use every core by
default, see docs/design-notes.md, "Parallel kernels"). BLAS starts with one thread per core, which
helps large matrix products but costs a lot for the small ones of a small model, and far
more when other processes share the cores (threads spin waiting for each other): training a
small MLP on a busy 2-core machine was several times slower with 2 BLAS threads than with
1 (bench/README.md, "Figures behind the code").

Example:
    >>> import autograd
    >>> autograd.set_num_threads(1)    # small models, or several processes on few cores
    >>> autograd.get_num_threads()
    1
"""

from __future__ import annotations

import os

__all__ = [
    "set_num_threads",
    "get_num_threads",
    "set_num_interop_threads",
    "get_num_interop_threads",
    "init_num_threads",
]

_threads: int | None = None  # None: not set, BLAS and kernels keep their own defaults
_interop_threads: int | None = None


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads inside one op: BLAS (through ``threadpoolctl``) and the Numba
    kernels (``autograd.kernels.set_num_threads``). Like ``torch.set_num_threads``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise ImportError(
            "autograd.set_num_threads needs threadpoolctl to limit BLAS threads: "
            "pip install threadpoolctl"
        ) from None
    threadpool_limits(limits=n, user_api="blas")  # called, not entered: the limit stays
    from . import kernels

    kernels.set_num_threads(n)
    global _threads
    _threads = n


def get_num_threads() -> int:
    """The number set by :func:`set_num_threads`, else the threads BLAS would use."""
    if _threads is not None:
        return _threads
    try:
        from threadpoolctl import threadpool_info

        blas = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    except ImportError:
        blas = []
    return max(blas) if blas else (os.cpu_count() or 1)


def set_num_interop_threads(n: int) -> None:
    """Remembered only: torch uses these threads to run independent ops at once, which
    jitgrad never does (ops run one after the other, each using ``get_num_threads``)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    global _interop_threads
    _interop_threads = n


def get_num_interop_threads() -> int:
    """The number set by :func:`set_num_interop_threads`, else the number of cores."""
    return _interop_threads if _interop_threads is not None else (os.cpu_count() or 1)


def init_num_threads() -> None:
    """Nothing to initialise (torch's call for worker threads): thread settings here hold
    for the whole process."""
