"""Scatter-add of slices along one axis: the backward of ``embedding`` and of every other
``take_along`` (pad, interpolate), ``out[..., idx[j], ...] += g[..., j, ...]``; and
``add_into``, the addition of a strided gradient into a strided part of another array.

NumPy's ``np.add.at`` is the reference; on 2-D data (an embedding's (tokens, features)
gradient) it takes its slow generic loop, element by element through the ufunc machinery.
This kernel does the same additions in the same order (index ``j`` ascending for every
output element, starting from zero), so the result is bit-identical to ``np.add.at``: no
fastmath, and the loop over ``j`` is sequential (only the unit-stride loop over the
trailing elements vectorises, which does not reorder any element's sum).
"""

from __future__ import annotations

import math

import numba
import numpy as np

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@numba.njit(cache=True, error_model="numpy", nogil=True)
def index_add_middle(out, idx, g):
    """out[a, idx[j], b] += g[a, j, b] for every j with idx[j] >= 0 (-1: dropped).
    out: (A, n, B) zeros, g: (A, m, B), idx: (m,) int64, all C-contiguous."""
    for a in range(g.shape[0]):
        for j in range(g.shape[1]):
            r = idx[j]
            if r < 0:
                continue
            for b in range(g.shape[2]):
                out[a, r, b] += g[a, j, b]


@numba.njit(cache=True, error_model="numpy", nogil=True)
def add_into(out, g):
    """out += g for two 4-d arrays of one shape and any strides (views of other arrays):
    the additions NumPy's ``out += g`` makes, one per element (no fastmath: each sum rounded
    as NumPy rounds it). A compiled plan adds the gradients of attention's query, key and
    value heads, ``(B, T, H, D)`` views of transposed ``(B, H, T, D)`` arrays, into their
    parts of the fused projection's gradient with it (compiler/steps.py ``add_at``): NumPy's
    own loop over such strides, or a copy to a contiguous array first, costs more."""
    n0, n1, n2, n3 = out.shape
    for a in range(n0):
        for b in range(n1):
            for c in range(n2):
                o = out[a, b, c]
                v = g[a, b, c]
                for d in range(n3):
                    o[d] += v[d]


def supports(g: np.ndarray, idx: np.ndarray) -> bool:
    """float32/float64 gradients with an int64 index (any layout: ``scatter`` copies)."""
    return g.dtype in FLOATS and idx.dtype == np.int64 and g.ndim > 0


def scatter(g: np.ndarray, axis: int, idx: np.ndarray, n: int, in_range=False) -> np.ndarray:
    """Zeros with ``g``'s shape but ``n`` along ``axis``, and ``g``'s slices added at
    ``idx`` along it (``-1``: dropped); what ``np.add.at`` on the moved axis gives.
    ``in_range``: the caller checked ``0 <= idx < n`` (the bounds check is skipped)."""
    shape = g.shape
    if (
        not in_range and idx.size and idx.max() >= n
    ):  # (the kernel does not check bounds: NumPy's error)
        bad = int(idx.max())
        raise IndexError(f"index {bad} is out of bounds for axis 0 with size {n}")  # (as moved)
    a = math.prod(shape[:axis])  # (math.prod on the shape tuple: np.prod would first make
    b = math.prod(shape[axis + 1 :])  # an array of it, which costs more than the kernel)
    out = np.zeros(shape[:axis] + (n,) + shape[axis + 1 :], g.dtype)
    index_add_middle(out.reshape(a, n, b), idx, np.ascontiguousarray(g).reshape(a, shape[axis], b))
    return out


def warmup(dtype="float32") -> None:
    """Compile (or load from cache) the kernels for one dtype."""
    scatter(np.ones((2, 3), dtype), 0, np.array([1, -1], np.int64), 3)
    warmup_add_into(dtype)


def warmup_add_into(dtype) -> None:
    """Compile (or load from cache) ``add_into`` for views (non-contiguous 4-d arrays) of
    ``dtype``, the kind a plan passes it: done while the plan is built, so that a replay
    never stops to compile."""
    view = np.zeros((1, 1, 1, 2), dtype)[..., ::2]
    add_into(view, view)
