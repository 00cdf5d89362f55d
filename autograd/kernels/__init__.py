"""Numba kernels (the fast CPU path). Never imports the Tensor: arrays in, arrays out.

The NumPy implementation of every op is the reference; a kernel here is an optional faster
implementation of the same arithmetic, used when the ``numba`` backend is active
(``AUTOGRAD_BACKEND=numba`` or ``with autograd.backend("numba"):``) and the data suit it
(float32/float64). Importing ``autograd`` does not import Numba: this package is loaded on
the first kernel call, and kernels compile on first use (``cache=True`` keeps the machine
code on disk; ``warmup()`` compiles everything up front, for benchmarks).

Caching: Numba writes its cache next to the source. If the package directory is not
writable (a system-wide install), ``NUMBA_CACHE_DIR`` is pointed at a user cache directory
before Numba is imported.
"""

from __future__ import annotations

import os
import tempfile


def _ensure_cache_dir():
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    if os.access(here, os.W_OK):
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "jitgrad", "numba")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        path = os.path.join(tempfile.gettempdir(), "jitgrad-numba-cache")
        os.makedirs(path, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = path


def _our_cache_dir(here):
    """Where Numba caches the kernels of this folder: ``__pycache__`` next to the source, or,
    with ``NUMBA_CACHE_DIR``, the sub-folder Numba names after this folder (its name and the
    SHA-1 of its path; numba.core.caching's get_suitable_cache_subpath), which no other
    project shares."""
    import hashlib

    cache = os.environ.get("NUMBA_CACHE_DIR")
    if not cache:
        return os.path.join(here, "__pycache__")
    return os.path.join(
        cache, os.path.basename(here) + "_" + hashlib.sha1(here.encode()).hexdigest()
    )


def _drop_stale_cache():
    """Numba keys a kernel's cache on its own file only: a change to vmath.py (inlined into
    every kernel) would not invalidate it. Keep a hash of the shared helpers next to the
    cache and clear the cached kernels when it changes. Only files this package's kernels
    wrote are ever removed: ``<module>.<function>-<line>.py<ver>[.<n>].nb[ic]`` for our own
    modules, in our own cache folder (never another project's cache, nor the cache root)."""
    import hashlib

    here = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    modules = []
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            modules.append(name[:-3])
            with open(os.path.join(here, name), "rb") as f:
                digest.update(f.read())

    def ours(name):  # <module>.<function>-<line>.py<ver>[.<n>].nb[ic] of one of our modules
        stem, _, ext = name.rpartition(".")
        return (
            ext in ("nbi", "nbc")
            and "-" in stem
            and ".py" in stem.rpartition("-")[2]
            and any(name.startswith(m + ".") for m in modules)
        )

    cache_dir = _our_cache_dir(here)
    stamp = os.path.join(cache_dir, "jitgrad-kernels.sha256")
    try:
        os.makedirs(cache_dir, exist_ok=True)
        try:
            with open(stamp) as f:
                old = f.read()
        except FileNotFoundError:
            old = ""
        if old != digest.hexdigest():
            for name in os.listdir(cache_dir):
                if ours(name):
                    os.unlink(os.path.join(cache_dir, name))
            with open(stamp, "w") as f:
                f.write(digest.hexdigest())
    except OSError:
        pass  # a read-only cache is only a missed optimisation


def _skip_numba_blas_probe():
    """Numba's first compile or cache load imports ``numba.np.arraymath``, which probes for
    BLAS by importing ``scipy.linalg`` (a third of a warm start: bench/README.md, "Figures
    behind the code"). No kernel
    here calls BLAS, so import that module once with the probe answered "yes" without the
    import; a jitted ``np.dot`` elsewhere still imports SciPy when it is compiled. Any
    surprise from another Numba version just leaves the normal import."""
    try:
        import numba.np.linalg as nb_linalg

        probe = nb_linalg.ensure_blas
        nb_linalg.ensure_blas = lambda: None
        try:
            import numba.np.arraymath
        finally:
            nb_linalg.ensure_blas = probe
    except Exception:  # pragma: no cover - depends on Numba's internals
        pass


_ensure_cache_dir()
_drop_stale_cache()
_skip_numba_blas_probe()

from . import activation  # noqa: E402  (after the cache directory is settled)
from .parallel import get_num_threads, set_num_threads  # noqa: E402
from .activation import run_activation, run_activation_backward, supports  # noqa: E402
from .buffers import empty_cache  # noqa: E402  (lets go of kept large outputs)


def warmup(dtypes=("float32", "float64")) -> None:
    """Compile (or load from cache) every kernel for the given dtypes."""
    import numpy as np

    for dt in dtypes:
        x = np.zeros(4, dt)
        g = np.ones(4, dt)
        for name, (fwd, bwd, f64_ok) in activation.ACTIVATIONS.items():
            if dt == "float64" and not f64_ok:
                continue
            run_activation(name, x)
            run_activation_backward(name, x, g)
        if dt == "float32":
            activation.gelu_with_grad(x)
        from . import norm

        norm.warmup(dt)
        from . import optim

        optim.warmup(dt)
        from . import conv

        conv.warmup(dt)
        from . import softmax

        softmax.warmup(dt)
        from . import reduce

        reduce.warmup(dt)
        from . import scatter

        scatter.warmup(dt)
        from . import rnn

        rnn.warmup(dt)
        from . import linear

        linear.warmup(dt)
