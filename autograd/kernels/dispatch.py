"""Calling kernels from ops: checks in Python, then one call on flat contiguous arrays."""
from __future__ import annotations

import numpy as np

from . import buffers
from .activation import ACTIVATIONS

# extra scalar parameters of each activation kernel, in order, with torch's defaults
_PARAMS = {"leaky_relu": (("negative_slope", 0.01),), "elu": (("alpha", 1.0),),
           "softplus": (("beta", 1.0), ("threshold", 20.0))}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def supports(name: str, x: np.ndarray) -> bool:
    """True when activation ``name`` has a kernel for this array's dtype."""
    entry = ACTIVATIONS.get(name)
    if entry is None or x.dtype not in _FLOATS:
        return False
    return x.dtype == np.float32 or entry[2]


def _params(name, kwargs):
    return tuple(float(kwargs.get(p, default)) for p, default in _PARAMS.get(name, ()))


def run_activation(name: str, x: np.ndarray, **kwargs) -> np.ndarray:
    """Forward of activation ``name`` on any-shaped float array (returns a new array)."""
    fwd = ACTIVATIONS[name][0]
    xc = x if x.flags.c_contiguous else x.copy()  # (ascontiguousarray would make 0-d 1-d)
    out = buffers.empty_like(xc)  # (very large outputs reuse memory: see buffers.py)
    fwd(xc.reshape(-1), *_params(name, kwargs), out.reshape(-1))
    return out


def run_activation_backward(name: str, x: np.ndarray, g: np.ndarray, **kwargs) -> np.ndarray:
    """Gradient of activation ``name`` w.r.t. its input, given the input ``x`` and ``g``."""
    bwd = ACTIVATIONS[name][1]
    xc = x if x.flags.c_contiguous else x.copy()
    gc = np.broadcast_to(g, x.shape).astype(x.dtype, order="C", copy=False)
    if not gc.flags.c_contiguous:
        gc = gc.copy()
    out = buffers.empty_like(xc)  # (very large outputs reuse memory: see buffers.py)
    bwd(xc.reshape(-1), *_params(name, kwargs), gc.reshape(-1), out.reshape(-1))
    return out
