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


def _drop_stale_cache():
    """Numba keys a kernel's cache on its own file only: a change to vmath.py (inlined into
    every kernel) would not invalidate it. Keep a hash of the shared helpers next to the
    cache and clear the cached kernels when it changes."""
    import glob
    import hashlib
    here = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            with open(os.path.join(here, name), "rb") as f:
                digest.update(f.read())
    cache = os.environ.get("NUMBA_CACHE_DIR")
    cache_dirs = [os.path.join(here, "__pycache__")] if not cache else glob.glob(
        os.path.join(cache, "**", "kernels*"), recursive=True) + [cache]
    # the stamp's place must not depend on what the cache holds: a stamp written into the
    # empty cache root and looked for in a kernels* sub-directory the next time would wipe
    # a good cache on every start
    stamp_dir = cache or cache_dirs[0]
    try:
        os.makedirs(stamp_dir, exist_ok=True)
        stamp = os.path.join(stamp_dir, "jitgrad-kernels.sha256")
        old = ""
        if os.path.exists(stamp):
            with open(stamp) as f:  # closed at once: no ResourceWarning under -W error
                old = f.read()
        if old != digest.hexdigest():
            for d in cache_dirs:
                for f in glob.glob(os.path.join(d, "*.nb[ic]")):
                    os.unlink(f)
            with open(stamp, "w") as f:
                f.write(digest.hexdigest())
    except OSError:
        pass  # a read-only cache is only a missed optimisation


def _skip_numba_blas_probe():
    """Numba's first compile or cache load imports ``numba.np.arraymath``, which probes for
    BLAS by importing ``scipy.linalg`` (~0.5 s here, a third of a warm start). No kernel
    here calls BLAS, so import that module once with the probe answered "yes" without the
    import; a jitted ``np.dot`` elsewhere still imports SciPy when it is compiled. Any
    surprise from another Numba version just leaves the normal import."""
    try:
        import numba.np.linalg as nb_linalg
        probe = nb_linalg.ensure_blas
        nb_linalg.ensure_blas = lambda: None
        try:
            import numba.np.arraymath  # noqa: F401
        finally:
            nb_linalg.ensure_blas = probe
    except Exception:  # pragma: no cover - depends on Numba's internals
        pass


_ensure_cache_dir()
_drop_stale_cache()
_skip_numba_blas_probe()

from . import activation  # noqa: E402  (after the cache directory is settled)
from .parallel import get_num_threads, set_num_threads  # noqa: E402,F401
from .dispatch import run_activation, run_activation_backward, supports  # noqa: E402,F401
from .buffers import empty_cache  # noqa: E402,F401  (lets go of kept large outputs)


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
