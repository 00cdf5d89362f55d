"""Backend selection: ``"numba"`` (fused JIT kernels, the default) or ``"numpy"`` (the
reference).

The NumPy path is the definition of every op; a Numba kernel is an optional faster
implementation of the same thing and must agree with it. Choose with the environment
variable ``AUTOGRAD_BACKEND`` or, in code, ``with autograd.backend("numpy"):``.

Example:
    >>> import autograd
    >>> with autograd.backend("numpy"):
    ...     autograd.get_backend()
    'numpy'

Ops without a kernel run the NumPy code on either backend; ops with one (activations, max
pooling, optimizer updates) use it on ``numba``. Kernels compile on first use and are
cached on disk, so ``import autograd`` does not import Numba.
"""

from __future__ import annotations

import contextlib
import contextvars
import os

BACKENDS = ("numpy", "numba")


def _default() -> str:
    """numba when it is installed (it is a dependency); the NumPy reference otherwise."""
    import importlib.util

    return "numba" if importlib.util.find_spec("numba") is not None else "numpy"


def _initial() -> str:
    name = os.environ.get("AUTOGRAD_BACKEND", "").strip().lower() or _default()
    if name not in BACKENDS:
        raise ValueError(f"AUTOGRAD_BACKEND={name!r} is not a backend; choose one of {BACKENDS}")
    return name


_backend = contextvars.ContextVar("autograd_backend", default=_initial())


def get_backend() -> str:
    """The name of the backend in effect in this thread."""
    return _backend.get()


def set_backend(name: str) -> None:
    """Switch the backend for this thread (and tasks started from it)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {BACKENDS}")
    _backend.set(name)


@contextlib.contextmanager
def backend(name: str):
    """Run a block with another backend: ``with autograd.backend("numpy"): ...``."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {BACKENDS}")
    token = _backend.set(name)
    try:
        yield name
    finally:
        _backend.reset(token)


def use_numba() -> bool:
    """True when ops that have a Numba kernel should use it."""
    return _backend.get() == "numba"
