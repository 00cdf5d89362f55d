"""Attention's score softmax in one pass: the scaling, the mask and the softmax of the scores
``att = (q @ k^T) * scale``, ``att.masked_fill(mask, fill).softmax(-1)``, forward and VJP.

A compiled plan (autograd/compiler/plan.py, ``_masked_softmax``) runs these instead of its
two steps, a fused elementwise kernel (``Mul+Where``) and the softmax kernel, which write
and read the whole score array once more, and likewise for the VJPs (the softmax's, then
``WhereVJP+MulVJP``). Every element sees the operations of those steps in their order:

* forward: ``z = fill if mask else x * scale`` (rounded to the dtype, as ``np.multiply``
  rounds it: computed in ``_scores_row``, compiled without FMA contraction so that the
  product is never fused into the ``z - max`` that follows), then softmax.py's row
  softmax on ``z``: the same maximum, ``exp_nonpos``, sum and scaling. Rows are taken as
  softmax.py takes them: short rows (up to ``_SHORT_ROW``) in blocks of ``_BLOCK`` rows
  whose sums run along the row, the rows after the last full block and long rows with the
  vectorised ``_sum``;
* VJP: softmax.py's ``softmax_bwd_rows`` value ``y * (g - sum(g * y))``, rounded to the
  dtype, then the masked_fill's VJP (0 where masked) and the scaling's (times ``scale``).

So the results equal the separate steps' (and eager mode's) bit for bit
(tests/test_kernels_attention.py). Layouts: ``x``, ``y``, ``g``: (R, C) rows of scores,
row ``r`` belonging to query ``r % Q`` of a (Q, C) boolean ``mask``.
"""

from __future__ import annotations

import numba
import numpy as np

from .parallel import kernel
from .softmax import _BLOCK, _SHORT_ROW, _dot, _fmax, _max, _sum, exp_nonpos

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# (no fastmath: the product is rounded on its own, as np.multiply's)
@numba.njit(cache=True, error_model="numpy", nogil=True)
def _scores_row(xr, scale, mr, fill, zr):
    """zr = where(mr, fill, xr * scale) for one row."""
    for j in range(xr.size):
        zr[j] = fill if mr[j] else xr[j] * scale


@kernel
def masked_softmax_blocks(x, scale, mask, fill, out):
    """Rows of ``x`` (R a multiple of ``_BLOCK``), ``_BLOCK`` at a time, as softmax.py's
    ``softmax_short_rows`` takes them: maxima and sums across the block's rows."""
    C = x.shape[1]
    Q = mask.shape[0]
    T = x.dtype.type
    for blk in numba.prange(x.shape[0] // _BLOCK):
        r0 = blk * _BLOCK
        for i in range(_BLOCK):
            _scores_row(x[r0 + i], scale, mask[(r0 + i) % Q], fill, out[r0 + i])
        m = np.empty(_BLOCK, x.dtype)
        for i in range(_BLOCK):
            m[i] = out[r0 + i, 0]
        for j in range(1, C):
            for i in range(_BLOCK):
                m[i] = _fmax(m[i], out[r0 + i, j])
        for i in range(_BLOCK):
            yr, mi = out[r0 + i], m[i]
            for j in range(C):
                yr[j] = exp_nonpos(yr[j] - mi)
        s = np.zeros(_BLOCK)
        for j in range(C):
            for i in range(_BLOCK):
                s[i] += numba.float64(out[r0 + i, j])
        for i in range(_BLOCK):
            yr, inv = out[r0 + i], T(1.0 / s[i])
            for j in range(C):
                yr[j] = yr[j] * inv


@kernel
def masked_softmax_rows(x, scale, mask, fill, first, out):
    """Row by row, as softmax.py's ``softmax_rows``; ``x`` starts at row ``first`` of the
    scores (its rows' queries are counted from there)."""
    Q = mask.shape[0]
    T = x.dtype.type
    for r in numba.prange(x.shape[0]):
        yr = out[r]
        _scores_row(x[r], scale, mask[(first + r) % Q], fill, yr)
        m = _max(yr)
        for j in range(yr.size):
            yr[j] = exp_nonpos(yr[j] - m)
        inv = T(1.0 / _sum(yr))
        for j in range(yr.size):
            yr[j] = yr[j] * inv


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
    x2 = np.ascontiguousarray(x).reshape(-1, C)
    mask = np.ascontiguousarray(mask)
    out = np.empty(x2.shape, x.dtype)
    rows = x2.shape[0]
    full = rows - rows % _BLOCK if C <= _SHORT_ROW else 0
    if full:
        masked_softmax_blocks(x2[:full], T(scale), mask, T(fill), out[:full])
    if full < rows:
        masked_softmax_rows(x2[full:], T(scale), mask, T(fill), full, out[full:])
    return out.reshape(x.shape)


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
    z = np.zeros((_BLOCK + 1, 1), dtype)
    mask = np.zeros((1, 1), bool)
    y = masked_softmax(z, 1.0, mask, 0.0)
    masked_softmax_backward(y, z, mask, 1.0)
