"""Attention's score softmax with its scaling and mask, ``att = (q @ k^T) * scale``,
``att.masked_fill(mask, fill).softmax(-1)``: forward in two passes, VJP in one.

A compiled plan (autograd/compiler/plan.py, ``_masked_softmax``) runs these instead of its
steps: a fused elementwise kernel (``Mul+Where``) and the softmax's op (one call instead of
two); in the backward the softmax's VJP and the ``WhereVJP+MulVJP`` kernel, which write and
read a whole gradient array in between. Every element sees the operations of those steps in
their order:

* forward: ``z = fill if mask else x * scale`` (``masked_scores``: rounded to the dtype, as
  ``np.multiply`` rounds it), then softmax.py's row softmax (``_softmax_rows``) of ``z``;
* VJP: softmax.py's ``softmax_bwd_rows`` value ``y * (g - sum(g * y))``, rounded to the
  dtype, then the masked_fill's VJP (0 where masked) and the scaling's (times ``scale``),
  in one loop per row.

So the results equal the separate steps' (and eager mode's) bit for bit
(tests/test_kernels_attention.py). Layouts: ``x``, ``y``, ``g``: (R, C) rows of scores,
row ``r`` belonging to query ``r % Q`` of a (Q, C) boolean ``mask``.
"""

from __future__ import annotations

import numba
import numpy as np

from .parallel import kernel
from .softmax import _dot, _softmax_rows

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# (no FMA contraction: each product rounded on its own, as np.multiply rounds it)
@kernel(fastmath=False)
def masked_scores(x, scale, mask, fill, out):
    """out = where(mask, fill, x * scale), row ``r`` masked by ``mask[r % Q]``."""
    Q = mask.shape[0]
    for r in numba.prange(x.shape[0]):
        xr, zr, mr = x[r], out[r], mask[r % Q]
        for j in range(xr.size):
            zr[j] = fill if mr[j] else xr[j] * scale


@kernel
def masked_softmax_bwd_rows(y, g, mask, scale, out):
    """out = where(mask, 0, y * (g - sum(g * y))) * scale, the VJP rounded to the dtype before
    the masking and the scaling."""
    Q = mask.shape[0]
    T = y.dtype.type
    zero = T(0.0)
    for r in numba.prange(y.shape[0]):
        yr, gr, dr, mr = y[r], g[r], out[r], mask[r % Q]
        dot = _dot(gr, yr)
        for j in range(yr.size):
            d = T(numba.float64(yr[j]) * (numba.float64(gr[j]) - dot))
            dr[j] = (zero if mr[j] else d) * scale


def supports(x, mask) -> bool:
    """x (..., Q, C) float32/float64, not empty; mask (Q, C) bool."""
    return (
        x.dtype in _FLOATS
        and x.ndim >= 2
        and x.size > 0
        and mask.dtype == np.bool_
        and mask.shape == x.shape[-2:]
    )


def masked_softmax(x, scale, mask, fill):
    """``softmax(where(mask, fill, x * scale), -1)`` for scores ``x`` (..., Q, C), a
    (Q, C) boolean ``mask`` and scalars ``scale``, ``fill`` (cast to x's dtype).

    Example:
        >>> x = np.zeros((2, 2), np.float32)
        >>> masked_softmax(x, 0.5, np.array([[False, True], [False, False]]), -np.inf)
        array([[1. , 0. ],
               [0.5, 0.5]], dtype=float32)
    """
    T = x.dtype.type
    C = x.shape[-1]
    z = np.empty((x.size // C, C), x.dtype)
    mask = np.ascontiguousarray(mask)
    masked_scores(np.ascontiguousarray(x).reshape(-1, C), T(scale), mask, T(fill), z)
    out = np.empty(x.shape, x.dtype)
    _softmax_rows(z, out.reshape(-1, C))  # (not in place: its loops vectorise)
    return out


def masked_softmax_backward(y, g, mask, scale):
    """The gradient of ``masked_softmax``'s scores ``x`` from its output ``y`` and the
    output gradient ``g`` (both (..., Q, C), of one dtype)."""
    C = y.shape[-1]
    out = np.empty(y.shape, y.dtype)
    masked_softmax_bwd_rows(
        np.ascontiguousarray(y).reshape(-1, C),
        np.ascontiguousarray(g).reshape(-1, C),
        np.ascontiguousarray(mask),
        y.dtype.type(scale),
        out.reshape(-1, C),
    )
    return out


def warmup(dtype) -> None:
    """Compile (or load from the cache) the kernels for ``dtype`` now: a compiled plan calls
    this while it is built, so that no replay stops to compile."""
    z = np.zeros((9, 1), dtype)  # (short rows: a block of 8 rows and one more)
    mask = np.zeros((1, 1), bool)
    y = masked_softmax(z, 1.0, mask, 0.0)
    masked_softmax_backward(y, z, mask, 1.0)
