"""Serial and parallel builds of each kernel, and a thread/fork-safe switch between them.

Every kernel is compiled serially (``cache=True``, loaded from disk after the first run).
With ``set_num_threads(n)`` for n > 1, large inputs use a second build with
``parallel=True`` on Numba's *workqueue* threading layer, because

* the OpenMP layer aborts a process that forks after using it (DataLoader workers), and
* the workqueue layer must not be entered by two threads at once: a lock guards it, and a
  thread that finds it busy simply runs the serial build;
* in a forked child the parallel build is switched off (its thread pool is not there).

Both builds are cached on disk; the parallel one under a renamed twin of the function,
because Numba's cache cannot otherwise tell the two builds of one function apart.

The default is 1 thread (serial), unlike torch, which uses every core: the kernels are
memory-bound, a second thread gains little in a whole training step, and each kernel's
first parallel call loads (or compiles) its parallel build, which would slow down the
start of every script (docs/design-notes.md, "Parallel kernels"). The environment variable
``AUTOGRAD_NUM_THREADS=n`` sets another default for the process (read once, when the
kernels are first loaded); ``set_num_threads`` changes it at any time.

Tests lower ``PARALLEL_MIN_SIZE`` (a module attribute, read at each call) to reach the
parallel builds with small arrays.
"""

from __future__ import annotations

import os
import threading
import types
import warnings

import numba

# error_model="numpy": Python's error model puts a zero-division branch in every ``/``, which
# stops vectorisation. fastmath "contract" (only that flag) lets LLVM fuse a * b + c into one
# FMA instruction: faster polynomials and never less accurate; inf/nan semantics and
# the order of operations are untouched (no reassociation, unlike full fastmath).
JIT_OPTIONS = dict(error_model="numpy", nogil=True, fastmath={"contract"})

# Options for small *reduction helpers* (row sums, dot products), called from kernels.
# LLVM vectorises a floating-point sum only if it may reassociate it (one partial sum per
# SIMD lane); "reassoc" allows exactly that, and nothing else: no "nnan"/"ninf", so nan and
# inf propagate as in NumPy, and the sum differs from NumPy's pairwise sum by rounding only.
# Keep such a loop in its own helper: the flag would also let LLVM reorder the arithmetic of
# anything else in the same function (e.g. an exp's range reduction, which relies on the
# exact order of its operations). Helpers are not ``inline="always"``: Numba-level inlining
# drops their flags, whereas LLVM's own inlining keeps the per-instruction flags.
REDUCE_OPTIONS = dict(JIT_OPTIONS, cache=True, fastmath={"contract", "reassoc"})

_state = {"threads": 1}
_lock = threading.Lock()
PARALLEL_MIN_SIZE = 200_000  # below this, starting threads costs more than it saves
ENV_VAR = "AUTOGRAD_NUM_THREADS"


def _after_fork_in_child():
    global _lock
    _state["threads"] = 1
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads in kernels (1 = serial, the default)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    if n > 1:
        numba.config.THREADING_LAYER = "workqueue"
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    _state["threads"] = n


def get_num_threads() -> int:
    """The number of threads kernels may use (1 unless ``set_num_threads`` or
    ``AUTOGRAD_NUM_THREADS`` said otherwise)."""
    return _state["threads"]


def _threads_from_env() -> int:
    """``AUTOGRAD_NUM_THREADS`` as a thread count: 1 (with a warning) if it is not a
    positive integer, as torch does with a bad ``OMP_NUM_THREADS``."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return 1
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        warnings.warn(
            f"{ENV_VAR}={value!r} is not a positive integer: kernels use 1 thread",
            RuntimeWarning,
            stacklevel=2,
        )
        return 1
    return n


set_num_threads(_threads_from_env())


def _renamed(fn, suffix):
    """The same function under another name. Numba's on-disk cache is indexed by the
    function's qualified name (and source file), not by its compile flags, so a parallel
    build of ``fn`` under ``fn``'s own name would overwrite the serial build's cache entry;
    under its own name it gets its own, and loads in milliseconds instead of compiling
    for seconds."""
    twin = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__, fn.__closure__
    )
    twin.__qualname__ = fn.__qualname__ + suffix
    twin.__module__ = fn.__module__
    return twin


class Kernel:
    """A kernel with its serial (cached) and lazily built parallel versions."""

    def __init__(self, fn, **options):
        self.py = fn
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self.options = dict(JIT_OPTIONS, **options)  # per-kernel overrides of JIT_OPTIONS
        self.serial = numba.njit(cache=True, **self.options)(fn)
        self._parallel = None

    def parallel(self):
        if self._parallel is None:
            self._parallel = numba.njit(parallel=True, cache=True, **self.options)(
                _renamed(self.py, "_parallel")
            )
        return self._parallel

    def __call__(self, *args):
        if numba.config.DISABLE_JIT:  # running as Python: NumPy scalars would warn on inf/nan
            import numpy as np

            with np.errstate(all="ignore"):
                return self.py(*args)
        size = args[0].size
        if _state["threads"] > 1 and size >= PARALLEL_MIN_SIZE and _lock.acquire(blocking=False):
            try:
                return self.parallel()(*args)
            finally:
                _lock.release()
        return self.serial(*args)


def kernel(fn=None, **options):
    """Decorator: ``@kernel`` turns a loop function into a serial + parallel kernel;
    ``@kernel(fastmath=False)`` overrides ``JIT_OPTIONS`` for this kernel (e.g. no FMA
    contraction where results must match a reference bit for bit)."""
    if fn is None:
        return lambda f: Kernel(f, **options)
    return Kernel(fn, **options)
