"""Softmax, log_softmax and cross-entropy kernels: a few passes over each row, in cache.

Layout. A reduction along axis ``d`` of a C-contiguous array is a reduction along the middle
axis of the same memory viewed as ``(A, C, B)`` with ``A = prod(shape[:d])``, ``C =
shape[d]`` and ``B = prod(shape[d+1:])``. Two kernel shapes cover every case, mostly without a
transposing copy:

* ``*_rows`` kernels for ``B == 1`` (the last axis, e.g. logits ``(N, C)``): one row at a
  time, while it sits in L1/L2;
* ``*_cols`` kernels for ``B >= 16`` (e.g. ``(N, C, H, W)`` along ``C``): for each ``a``
  the ``C`` slices of length ``B`` are combined elementwise, so the inner loop over ``b`` is
  unit-stride and vectorises. For 1 < B < 16 that loop is too short, and a class-last copy
  + the row kernel measures faster (see ``_COLS_MIN_B``).

Rows are independent, so the outer loop is a ``prange`` (split across threads by the
parallel build, see parallel.py).

Numerics. Each row subtracts its maximum before ``vexp`` (no overflow for logits of
+-1000). NaN needs no special case: the maximum skips it (``v > m`` is false), but its
``exp`` is NaN, so the row sum and then the whole row become NaN, as in NumPy and torch;
a row of all ``-inf`` (or one holding ``+inf``) gives ``-inf - -inf = nan`` the same way.
``x - max`` and its exp are computed in the data's precision (``vexp`` follows its
argument's type, as NumPy's and torch's float32 kernels do); sums, dot products and losses
accumulate in float64.

Vectorising reductions. LLVM only vectorises a floating-point sum if it may reassociate
it, and we must not let it reassociate inside ``vexp`` (its range reduction depends on the
exact order of operations). So each row is done in separate loops: ``vexp`` values are
stored (a loop with no reduction, vectorised), then summed by a small helper compiled with
``fastmath={"reassoc"}`` (only that helper's additions may be reordered). The row maximum
is a plain compare-and-select loop (``fastmath`` flags measured no faster there, and
``nnan`` would make a NaN input undefined behaviour).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from .parallel import kernel
from .vmath import vexp

# reductions whose additions may be reordered (and so vectorised); see the module docstring
_REDUCE = dict(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc", "nsz"})


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _row_max(x, r):
    """The row's maximum, in x's dtype (rows are never empty here)."""
    m = x[r, 0]
    for j in range(1, x.shape[1]):
        v = x[r, j]
        m = v if v > m else m
    return m


@numba.njit(**_REDUCE)
def _row_sum(x, r):
    s = 0.0
    for j in range(x.shape[1]):
        s += numba.float64(x[r, j])
    return s


@numba.njit(**_REDUCE)
def _row_dot(x, y, r):
    s = 0.0
    for j in range(x.shape[1]):
        s += numba.float64(x[r, j]) * numba.float64(y[r, j])
    return s


@numba.njit(**_REDUCE)
def _row_wdist(x, r, m, w):
    """sum_j w[j] * (m - x[r, j]): every term >= 0 when m is the row maximum (no cancellation)."""
    s = 0.0
    for j in range(x.shape[1]):
        s += w[j] * (numba.float64(m) - numba.float64(x[r, j]))
    return s


# ---- softmax / log_softmax along the last axis: x (R, C) --------------------------------------
@kernel
def softmax_rows(x, out):
    """out = softmax(x) along axis 1 of 2-d arrays."""
    for r in numba.prange(x.shape[0]):
        m = _row_max(x, r)
        for j in range(x.shape[1]):
            out[r, j] = vexp(x[r, j] - m)
        inv = 1.0 / _row_sum(out, r)
        for j in range(x.shape[1]):
            out[r, j] = out[r, j] * inv


@kernel
def log_softmax_rows(x, out):
    """out = x - max - log(sum(exp(x - max))) along axis 1 (``out`` is scratch for the exps)."""
    for r in numba.prange(x.shape[0]):
        m = _row_max(x, r)
        for j in range(x.shape[1]):
            out[r, j] = vexp(x[r, j] - m)
        # float64 before adding (m is in x's dtype); one libm call per row
        shift = numba.float64(m) + math.log(_row_sum(out, r))
        for j in range(x.shape[1]):
            out[r, j] = numba.float64(x[r, j]) - shift


@kernel
def softmax_bwd_rows(y, g, out):
    """Gradient of softmax from its output y: y * (g - sum(g * y))."""
    for r in numba.prange(y.shape[0]):
        dot = _row_dot(g, y, r)
        for j in range(y.shape[1]):
            yj = numba.float64(y[r, j])
            out[r, j] = yj * (numba.float64(g[r, j]) - dot)


@kernel
def log_softmax_bwd_rows(y, g, out):
    """Gradient of log_softmax from its output y: g - exp(y) * sum(g)."""
    for r in numba.prange(y.shape[0]):
        s = _row_sum(g, r)
        for j in range(y.shape[1]):
            out[r, j] = numba.float64(g[r, j]) - vexp(y[r, j]) * s


# ---- along a middle axis: x (A, C, B), B > 1 ----------------------------------------------------
@kernel
def softmax_cols(x, out):
    """softmax along axis 1 of (A, C, B) arrays (B > 1)."""
    for a in numba.prange(x.shape[0]):
        C, B = x.shape[1], x.shape[2]
        m = x[a, 0].copy()  # running maximum over c, in x's dtype
        for c in range(1, C):
            for b in range(B):
                v = x[a, c, b]
                m[b] = v if v > m[b] else m[b]
        for c in range(C):  # the exps alone: this loop is the one that must vectorise
            for b in range(B):
                out[a, c, b] = vexp(x[a, c, b] - m[b])
        s = np.zeros(B)
        for c in range(C):
            for b in range(B):
                s[b] += out[a, c, b]
        for b in range(B):
            s[b] = 1.0 / s[b]
        for c in range(C):
            for b in range(B):
                out[a, c, b] = out[a, c, b] * s[b]


@kernel
def log_softmax_cols(x, out):
    """log_softmax along axis 1 of (A, C, B) arrays."""
    for a in numba.prange(x.shape[0]):
        C, B = x.shape[1], x.shape[2]
        m = x[a, 0].copy()  # running maximum over c, in x's dtype
        for c in range(1, C):
            for b in range(B):
                v = x[a, c, b]
                m[b] = v if v > m[b] else m[b]
        for c in range(C):  # out holds the exps for now (a loop without reduction)
            for b in range(B):
                out[a, c, b] = vexp(x[a, c, b] - m[b])
        s = np.zeros(B)
        for c in range(C):
            for b in range(B):
                s[b] += out[a, c, b]
        for b in range(B):
            s[b] = numba.float64(m[b]) + math.log(s[b])
        for c in range(C):
            for b in range(B):
                out[a, c, b] = numba.float64(x[a, c, b]) - s[b]


@kernel
def softmax_bwd_cols(y, g, out):
    """softmax's VJP along axis 1 of (A, C, B) arrays."""
    for a in numba.prange(y.shape[0]):
        C, B = y.shape[1], y.shape[2]
        dot = np.zeros(B)
        for c in range(C):
            for b in range(B):
                dot[b] += numba.float64(g[a, c, b]) * numba.float64(y[a, c, b])
        for c in range(C):
            for b in range(B):
                out[a, c, b] = numba.float64(y[a, c, b]) * (numba.float64(g[a, c, b]) - dot[b])


@kernel
def log_softmax_bwd_cols(y, g, out):
    """log_softmax's VJP along axis 1 of (A, C, B) arrays."""
    for a in numba.prange(y.shape[0]):
        C, B = y.shape[1], y.shape[2]
        s = np.zeros(B)
        for c in range(C):
            for b in range(B):
                s[b] += numba.float64(g[a, c, b])
        for c in range(C):
            for b in range(B):
                out[a, c, b] = numba.float64(g[a, c, b]) - vexp(y[a, c, b]) * s[b]


# ---- cross-entropy with class-index targets: x (R, C) -----------------------------------------
@kernel
def cross_entropy_rows(x, target, w, ignore_index, smoothing, prob, loss):
    """Per-row loss of log_softmax + nll in one pass over the logits.

    ``prob`` (R, C) receives softmax(x) (what the backward needs); ``loss`` (R,) float64 the
    row's loss: ``(1 - smoothing) * w[t] * (lse - x[t]) + smoothing / C * sum_c w[c] *
    (lse - x[c])``, 0 for ignored rows. ``w`` holds the class weights (ones if none).
    """
    R, C = x.shape
    wsum = 0.0
    for c in range(C):
        wsum += w[c]
    for r in numba.prange(R):
        m = _row_max(x, r)
        for j in range(C):
            prob[r, j] = vexp(x[r, j] - m)
        s = _row_sum(prob, r)
        inv = 1.0 / s
        for j in range(C):
            prob[r, j] = prob[r, j] * inv
        t = target[r]
        if t == ignore_index:
            loss[r] = 0.0
            continue
        log_s = math.log(s)  # lse - m
        v = (1.0 - smoothing) * w[t] * (numba.float64(m) + log_s - numba.float64(x[r, t]))
        if smoothing > 0.0:
            v += smoothing / C * (wsum * log_s + _row_wdist(x, r, m, w))
        loss[r] = v


@kernel
def cross_entropy_bwd_rows(prob, target, w, ignore_index, smoothing, scale, out):
    """Gradient of ``sum_r scale[r] * loss[r]`` w.r.t. the logits, from the saved softmax:
    ``scale * ((1 - s) w[t] (p - onehot(t)) + s / C (sum(w) p - w))``, 0 for ignored rows."""
    R, C = prob.shape
    wsum = 0.0
    for c in range(C):
        wsum += w[c]
    k = smoothing / C
    for r in numba.prange(R):
        t = target[r]
        if t == ignore_index:
            for j in range(C):
                out[r, j] = 0.0
            continue
        g = scale[r]
        b = g * (1.0 - smoothing) * w[t]
        a = b + g * k * wsum
        if smoothing > 0.0:
            gk = g * k
            for j in range(C):
                out[r, j] = a * numba.float64(prob[r, j]) - gk * w[j]
        else:
            for j in range(C):
                out[r, j] = a * numba.float64(prob[r, j])
        out[r, t] = out[r, t] - b


# ---- dispatch: arrays of any shape --------------------------------------------------------------
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def supports(x: np.ndarray) -> bool:
    """True when the kernels handle this array (float32/float64, at least 1-d, not empty)."""
    return x.dtype in _FLOATS and x.ndim >= 1 and x.size > 0


def _acb(shape, dim):
    """(A, C, B): the array seen as a reduction over the middle axis."""
    return (math.prod(shape[:dim]), shape[dim], math.prod(shape[dim + 1:]))


def _contig(a):
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


# Below this many trailing elements the (A, C, B) kernels' inner loop is too short to pay:
# a class-last copy + the row kernel is faster (bench_softmax.py --other-dims: (64, 1000, 8)
# along dim 1 1.4 ms vs 6.3 ms, (1000, 3) along dim 0 25 vs 36 us; from B = 64 on the cols
# kernel wins, e.g. (256, 2, 64) 136 vs 739 us).
_COLS_MIN_B = 16


def _run(rows, cols, arrays, dim):
    arrays = [_contig(a) for a in arrays]
    shape = arrays[0].shape
    out = np.empty(shape, arrays[0].dtype)
    a, c, b = _acb(shape, dim)
    if b == 1:
        rows(*[v.reshape(a, c) for v in arrays], out.reshape(a, c))
    elif b >= _COLS_MIN_B:
        cols(*[v.reshape(a, c, b) for v in arrays], out.reshape(a, c, b))
    else:  # copy to (A, B, C), reduce rows, copy back
        moved = [np.ascontiguousarray(v.reshape(a, c, b).transpose(0, 2, 1)) for v in arrays]
        tmp = np.empty((a, b, c), out.dtype)
        rows(*[v.reshape(a * b, c) for v in moved], tmp.reshape(a * b, c))
        out.reshape(a, c, b)[...] = tmp.transpose(0, 2, 1)
    return out


def softmax(x: np.ndarray, dim: int) -> np.ndarray:
    """softmax of a float array along ``dim`` (``supports(x)`` must hold).

    Example:
        >>> softmax(np.zeros((2, 2), np.float32), 1)
        array([[0.5, 0.5],
               [0.5, 0.5]], dtype=float32)
    """
    return _run(softmax_rows, softmax_cols, [x], dim)


def log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    """log_softmax of a float array along ``dim``."""
    return _run(log_softmax_rows, log_softmax_cols, [x], dim)


def softmax_backward(y: np.ndarray, g: np.ndarray, dim: int) -> np.ndarray:
    """Input gradient of softmax from its output ``y`` and the output gradient ``g``."""
    return _run(softmax_bwd_rows, softmax_bwd_cols, [y, g.astype(y.dtype, copy=False)], dim)


def log_softmax_backward(y: np.ndarray, g: np.ndarray, dim: int) -> np.ndarray:
    """Input gradient of log_softmax from its output ``y`` and the output gradient ``g``."""
    return _run(log_softmax_bwd_rows, log_softmax_bwd_cols,
                [y, g.astype(y.dtype, copy=False)], dim)


def cross_entropy(x: np.ndarray, target: np.ndarray, weight: np.ndarray, ignore_index: int,
                  smoothing: float):
    """Row losses (float64, shape (R,)) and softmax (saved for the backward) of logits
    ``x`` (R, C) against int64 class indices ``target`` (R,); ``weight`` (C,) float64.

    Example:
        >>> loss, p = cross_entropy(np.zeros((1, 2)), np.array([0]), np.ones(2), -100, 0.0)
        >>> loss
        array([0.69314718])
    """
    x = _contig(x)
    prob = np.empty(x.shape, x.dtype)
    loss = np.empty(x.shape[0])
    cross_entropy_rows(x, target, weight, ignore_index, smoothing, prob, loss)
    return loss, prob


def cross_entropy_backward(prob, target, weight, ignore_index, smoothing, scale):
    """Logit gradient from the saved softmax; ``scale`` (R,) float64 is the upstream
    gradient of each row's loss (already divided by the total weight for 'mean')."""
    out = np.empty(prob.shape, prob.dtype)
    cross_entropy_bwd_rows(prob, target, weight, ignore_index, smoothing, scale, out)
    return out


def warmup(dtype="float32") -> None:
    """Compile (or load from cache) every kernel in this module for one dtype."""
    for shape, dim in (((2, 3), 1), ((2, 3), 0)):
        x = np.zeros(shape, dtype)
        softmax_backward(softmax(x, dim), x, dim)
        log_softmax_backward(log_softmax(x, dim), x, dim)
    target = np.zeros(2, np.int64)
    loss, prob = cross_entropy(np.zeros((2, 3), dtype), target, np.ones(3), -100, 0.0)
    cross_entropy_backward(prob, target, np.ones(3), -100, 0.0, loss)
