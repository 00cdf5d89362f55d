"""Kernel selection: the one place that decides whether a computation runs a Numba kernel.

Every op that has a fast path, and every optimizer update, asks here and nowhere else:

    K = dispatch.kernels("softmax", x)        # the module autograd.kernels.softmax, or None
    y = K.softmax(x, dim) if K is not None else _np_softmax(x, dim)

``kernels(family, *args)`` returns the kernel module ``autograd.kernels.<family>`` when

* the ``numba`` backend is in effect (``AUTOGRAD_BACKEND`` / ``with autograd.backend(...)``),
* and that module's ``supports(*args)`` accepts the arrays (dtype, layout, size);

otherwise None, and the caller runs its NumPy code, which is the reference both backends
are tested against. The kernel module is imported by the first call that needs it, so
``import autograd`` never imports Numba, and the numpy backend never does.

Example:
    >>> import numpy as np, autograd
    >>> from autograd import dispatch
    >>> with autograd.backend("numpy"):
    ...     dispatch.kernels("softmax", np.zeros((2, 3), np.float32)) is None
    True
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .backend import _backend

# family -> the module under autograd/kernels/ that holds its kernels and its ``supports``
FAMILIES = (
    "activation",
    "attention",
    "conv",
    "gemm",
    "linear",
    "masking",
    "norm",
    "optim",
    "pooling",
    "reduce",
    "rnn",
    "scatter",
    "softmax",
)

_loaded: dict[str, ModuleType] = {}

# While autograd.compile traces a call: given each kernel module handed out, it returns a
# stand-in that notices a kernel run on a tensor's values outside an op
# (autograd/compiler/tracer.py). None otherwise.
_trace_hook = None


def kernels(family: str, *args) -> ModuleType | None:
    """The kernel module of ``family`` when the numba backend is on and its ``supports(*args)``
    accepts the arguments; None means: run the NumPy reference."""
    if _backend.get() != "numba":
        return None
    module = _loaded.get(family)
    if module is None:
        module = _load(family)
    if not module.supports(*args):
        return None
    return module if _trace_hook is None else _trace_hook(module)


def enabled() -> bool:
    """True when the numba backend is in effect (a caller that must prepare its arrays
    before it can ask ``kernels`` checks this first, to skip the preparation otherwise)."""
    return _backend.get() == "numba"


def _load(family: str) -> ModuleType:
    if family not in FAMILIES:
        raise ValueError(f"unknown kernel family {family!r}; choose one of {FAMILIES}")
    module = _loaded[family] = importlib.import_module(f"autograd.kernels.{family}")
    return module
