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

Numerics. Each row subtracts its maximum before the exp (no overflow for logits of
+-1000), so every exp argument is <= 0 and ``exp_nonpos`` (vmath's exp without its
overflow handling) suffices. NaN needs no special case: the maximum skips it (``maxnum``),
but its exp is NaN, so the row sum and then the whole row become NaN, as in NumPy and
torch; a row of all ``-inf`` (or one holding ``+inf``) gives ``-inf - -inf = nan`` the same
way. ``x - max``, its exp and the final scaling are computed in the data's precision (as
NumPy's and torch's float32 kernels do); sums, dot products, log-sum-exp shifts and losses
in float64.

Speed (1024 x 1000 float32, one thread, data in cache): a row costs a max, an exp, a sum
and a scaling pass; the exp is most of it. Three things made the kernels faster than their
first version (bench/README.md): the row maximum as a ``maxnum`` reduction (a
compare-and-select chain does not vectorise), the cheaper exp, and keeping the log_softmax
backward in float32 (a float64 product there kept the whole loop scalar).

Vectorising reductions. LLVM only vectorises a floating-point sum if it may reassociate
it, and we must not let it reassociate inside the exp (its range reduction depends on the
exact order of operations). So each row is done in separate loops: the exps are stored (a
loop with no reduction, vectorised), then summed by a small helper compiled with
``REDUCE_OPTIONS`` (parallel.py: only that helper's additions may be reordered); the row is
still in L1/L2 for that second pass.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .parallel import REDUCE_OPTIONS, kernel
from .vmath import vexp_nonpos

f32 = numba.float32
_inline = numba.njit(inline="always", cache=True, error_model="numpy")


# ---- the row maximum: a vectorised max that skips nan -------------------------------------
# ``m = v if v > m else m`` is a chain of dependent scalar max instructions: LLVM may not
# reorder it (a compare-and-select is not associative when a nan is involved). LLVM's
# ``maxnum`` intrinsic is (it ignores a nan operand, like np.fmax), so a loop of maxnum is
# vectorised with one partial maximum per SIMD lane (bench/README.md, "Figures behind the
# code"). A row holding a nan still comes out all-nan: its exp is nan, so the sum is.
if numba.config.DISABLE_JIT:
    _fmax = np.fmax
else:

    @intrinsic
    def _fmax(typingctx, a, b):
        """maxnum(a, b) of two floats of one type: the larger, or the other one if one is nan."""
        if not (isinstance(a, types.Float) and a == b):
            return None

        def codegen(context, builder, signature, args):
            ty = args[0].type
            fn = builder.module.declare_intrinsic(
                "llvm.maxnum", [ty], ir.FunctionType(ty, [ty, ty])
            )
            return builder.call(fn, args)

        return a(a, b), codegen


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _max(a):
    """Maximum of a non-empty 1-d array, ignoring nan (nan only if all are nan)."""
    m = a[0]
    # (from 0, not 1: max(a[0], a[0]) changes nothing, and the vectorised loop then covers
    # the whole row, e.g. all 64 elements of a row of 64 instead of 63, which left every
    # element of it to the scalar remainder loop)
    for j in range(a.size):
        m = _fmax(m, a[j])
    return m


# ---- e**d for d <= 0 ---------------------------------------------------------------------
# After subtracting the row maximum every exp argument is <= 0 (or nan, or -inf), so vmath's
# exp without overflow handling is enough (``vexp_nonpos``: <= 1.5 ulp in float32).
exp_nonpos = vexp_nonpos


# ---- float64 sums over a 1-d row, vectorised (REDUCE_OPTIONS: reassociation allowed) ----------
@numba.njit(**REDUCE_OPTIONS)
def _sum(a):
    s = 0.0
    for j in range(a.size):
        s += numba.float64(a[j])  # (explicit: as Python, float32 + 0.0 would stay float32)
    return s


@numba.njit(**REDUCE_OPTIONS)
def _dot(a, b):
    s = 0.0
    for j in range(a.size):
        s += numba.float64(a[j]) * numba.float64(b[j])
    return s


@numba.njit(**REDUCE_OPTIONS)
def _wdist(a, m, w):
    """sum_j w[j] * (m - a[j]): every term >= 0 when m is the row maximum (no cancellation)."""
    s = 0.0
    for j in range(a.size):
        s += w[j] * (numba.float64(m) - numba.float64(a[j]))
    return s


# ---- softmax / log_softmax along the last axis: x (R, C) --------------------------------------
# Each row: its maximum (one read of x), the exps stored into ``out`` (a loop without a
# reduction, so it vectorises under the kernel's own flags), their sum (a reassociable
# helper, reading ``out`` back from L1/L2), and a last pass in cache.
@kernel
def softmax_rows(x, out):
    """out = softmax(x) along axis 1 of 2-d arrays."""
    T = x.dtype.type
    for r in numba.prange(x.shape[0]):
        xr, yr = x[r], out[r]
        m = _max(xr)
        for j in range(xr.size):
            yr[j] = exp_nonpos(xr[j] - m)
        inv = T(1.0 / _sum(yr))  # (1 / sum rounded once: multiplying is cheaper than dividing)
        for j in range(xr.size):
            yr[j] = yr[j] * inv


# Short rows (attention scores: a row per query, as long as the context) make the per-row
# work above mostly overhead: two helper calls and loops of a few SIMD steps each. This
# kernel takes ``_BLOCK`` rows at a time instead, so the maxima and sums become elementwise
# loops across the block's rows (one lane per row: vectorised without reassociating any
# row's sum, and each row's maximum is still its ``maxnum``). The exps and the scaling are
# the same per-element operations as in ``softmax_rows``; only the float64 row sums may
# round differently (in their last bits, before the ``1 / sum``).
# The block's maxima and sums are eight named variables, not arrays: LLVM keeps variables in
# registers, whereas an array's elements were stored and reloaded at every step (a store into
# a fresh array may, for all LLVM knows, write into ``x``).
_BLOCK = 8  # (the number of named rows in softmax_short_rows)
_SHORT_ROW = 64  # rows up to this long take the block kernel (bench_softmax.py --shapes 2048x32)


@kernel
def softmax_short_rows(x, out):
    """``softmax_rows`` for x (R, C) with R a multiple of ``_BLOCK``, blocks of rows at once."""
    C = x.shape[1]
    T = x.dtype.type
    f64 = numba.float64
    for blk in numba.prange(x.shape[0] // _BLOCK):
        r0 = blk * _BLOCK
        x0, x1, x2, x3 = x[r0], x[r0 + 1], x[r0 + 2], x[r0 + 3]
        x4, x5, x6, x7 = x[r0 + 4], x[r0 + 5], x[r0 + 6], x[r0 + 7]
        m0, m1, m2, m3, m4, m5, m6, m7 = x0[0], x1[0], x2[0], x3[0], x4[0], x5[0], x6[0], x7[0]
        for j in range(1, C):
            m0, m1, m2, m3 = _fmax(m0, x0[j]), _fmax(m1, x1[j]), _fmax(m2, x2[j]), _fmax(m3, x3[j])
            m4, m5, m6, m7 = _fmax(m4, x4[j]), _fmax(m5, x5[j]), _fmax(m6, x6[j]), _fmax(m7, x7[j])
        m = (m0, m1, m2, m3, m4, m5, m6, m7)
        for i in range(_BLOCK):
            xr, yr, mi = x[r0 + i], out[r0 + i], m[i]
            for j in range(C):
                yr[j] = exp_nonpos(xr[j] - mi)
        y0, y1, y2, y3 = out[r0], out[r0 + 1], out[r0 + 2], out[r0 + 3]
        y4, y5, y6, y7 = out[r0 + 4], out[r0 + 5], out[r0 + 6], out[r0 + 7]
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
        for j in range(C):
            s0, s1, s2, s3 = s0 + f64(y0[j]), s1 + f64(y1[j]), s2 + f64(y2[j]), s3 + f64(y3[j])
            s4, s5, s6, s7 = s4 + f64(y4[j]), s5 + f64(y5[j]), s6 + f64(y6[j]), s7 + f64(y7[j])
        s = (s0, s1, s2, s3, s4, s5, s6, s7)
        for i in range(_BLOCK):
            yr, inv = out[r0 + i], T(1.0 / s[i])
            for j in range(C):
                yr[j] = yr[j] * inv


def _softmax_rows(x, out):
    """``softmax_rows``, with short rows (``_SHORT_ROW``) in blocks by ``softmax_short_rows``
    (rows left over after the last full block: ``softmax_rows``)."""
    rows, c = x.shape
    full = rows - rows % _BLOCK if c <= _SHORT_ROW else 0
    if full:
        softmax_short_rows(x[:full], out[:full])
    if full < rows:
        softmax_rows(x[full:], out[full:])


@kernel
def log_softmax_rows(x, out):
    """out = x - max - log(sum(exp(x - max))) along axis 1 (``out`` is scratch for the exps)."""
    for r in numba.prange(x.shape[0]):
        xr, yr = x[r], out[r]
        m = _max(xr)
        for j in range(xr.size):
            yr[j] = exp_nonpos(xr[j] - m)
        # in float64 (m is in x's dtype): x - shift then loses nothing to the rounding of
        # the shift when |m| is large; one libm log per row
        shift = numba.float64(m) + math.log(_sum(yr))
        for j in range(xr.size):
            yr[j] = numba.float64(xr[j]) - shift


@kernel
def softmax_bwd_rows(y, g, out):
    """Gradient of softmax from its output y: y * (g - sum(g * y))."""
    for r in numba.prange(y.shape[0]):
        yr, gr, dr = y[r], g[r], out[r]
        dot = _dot(gr, yr)
        for j in range(yr.size):
            dr[j] = numba.float64(yr[j]) * (numba.float64(gr[j]) - dot)


@kernel
def log_softmax_bwd_rows(y, g, out):
    """Gradient of log_softmax from its output y: g - exp(y) * sum(g) (y <= 0: log-probs)."""
    T = y.dtype.type
    for r in numba.prange(y.shape[0]):
        yr, gr, dr = y[r], g[r], out[r]
        s = T(_sum(gr))  # (in y's dtype: a float64 product here stopped the loop vectorising)
        for j in range(yr.size):
            dr[j] = gr[j] - exp_nonpos(yr[j]) * s


# ---- along a middle axis: x (A, C, B), B > 1 ----------------------------------------------------
@_inline
def _exp_cols(x, out):
    """One (C, B) slice: ``out = e**(x - m)`` with ``m`` the maximum over ``c`` of each
    column ``b`` (in x's dtype); returns ``(m, s)``, ``s`` the column sums of ``out``
    (float64). Unit-stride inner loops over ``b``: each vectorises."""
    C, B = x.shape
    m = x[0].copy()  # running maximum over c
    for c in range(1, C):
        for b in range(B):
            v = x[c, b]
            m[b] = v if v > m[b] else m[b]
    for c in range(C):  # the exps alone: this loop is the one that must vectorise
        for b in range(B):
            out[c, b] = exp_nonpos(x[c, b] - m[b])
    return m, _sum_cols(out)


@_inline
def _sum_cols(a):
    """The float64 sums over ``c`` of a (C, B) slice, one per column (elementwise across the
    columns: vectorised without reassociation)."""
    s = np.zeros(a.shape[1])
    for c in range(a.shape[0]):
        for b in range(s.size):
            s[b] += numba.float64(a[c, b])
    return s


@_inline
def _dot_cols(a, y):
    """``sum_c a[c] * y[c]`` in float64, one per column of two (C, B) slices."""
    s = np.zeros(a.shape[1])
    for c in range(a.shape[0]):
        for b in range(s.size):
            s[b] += numba.float64(a[c, b]) * numba.float64(y[c, b])
    return s


@kernel
def softmax_cols(x, out):
    """softmax along axis 1 of (A, C, B) arrays (B > 1)."""
    for a in numba.prange(x.shape[0]):
        xa, ya = x[a], out[a]
        m, s = _exp_cols(xa, ya)
        inv = 1.0 / s
        for c in range(ya.shape[0]):
            for b in range(inv.size):
                ya[c, b] = ya[c, b] * inv[b]


@kernel
def log_softmax_cols(x, out):
    """log_softmax along axis 1 of (A, C, B) arrays (``out`` holds the exps first)."""
    for a in numba.prange(x.shape[0]):
        xa, ya = x[a], out[a]
        m, s = _exp_cols(xa, ya)
        shift = np.log(s) + m  # (float64: m's rounding is not added to the log)
        for c in range(ya.shape[0]):
            for b in range(shift.size):
                ya[c, b] = numba.float64(xa[c, b]) - shift[b]


@kernel
def softmax_bwd_cols(y, g, out):
    """softmax's VJP along axis 1 of (A, C, B) arrays."""
    for a in numba.prange(y.shape[0]):
        ya, ga, da = y[a], g[a], out[a]
        dot = _dot_cols(ga, ya)
        for c in range(ya.shape[0]):
            for b in range(dot.size):
                da[c, b] = numba.float64(ya[c, b]) * (numba.float64(ga[c, b]) - dot[b])


@kernel
def log_softmax_bwd_cols(y, g, out):
    """log_softmax's VJP along axis 1 of (A, C, B) arrays."""
    for a in numba.prange(y.shape[0]):
        ya, ga, da = y[a], g[a], out[a]
        s = _sum_cols(ga)
        for c in range(ya.shape[0]):
            for b in range(s.size):
                da[c, b] = numba.float64(ga[c, b]) - exp_nonpos(ya[c, b]) * s[b]


# ---- cross-entropy with class-index targets: x (R, C) -----------------------------------------
@kernel
def cross_entropy_rows(x, target, w, ignore_index, smoothing, prob, loss):
    """Per-row loss of log_softmax + nll in one pass over the logits.

    ``prob`` (R, C) receives softmax(x) (what the backward needs); ``loss`` (R,) float64 the
    row's loss: ``(1 - smoothing) * w[t] * (lse - x[t]) + smoothing / C * sum_c w[c] *
    (lse - x[c])``, 0 for ignored rows. ``w`` holds the class weights (ones if none).
    Returns ``(bad, ignored)``: how many targets are outside ``[0, C)`` without being
    ``ignore_index`` (their loss is left 0: the caller raises) and how many are ignored, so
    that the caller need not look at the targets before the kernel.
    """
    R, C = x.shape
    wsum = 0.0
    for c in range(C):
        wsum += w[c]
    T = x.dtype.type
    bad = 0
    ignored = 0
    for r in numba.prange(R):
        xr, pr = x[r], prob[r]
        m = _max(xr)
        for j in range(C):
            pr[j] = exp_nonpos(xr[j] - m)
        s = _sum(pr)
        inv = T(1.0 / s)
        for j in range(C):
            pr[j] = pr[j] * inv
        t = target[r]
        if t == ignore_index:
            loss[r] = 0.0
            ignored += 1
            continue
        if t < 0 or t >= C:
            loss[r] = 0.0
            bad += 1
            continue
        log_s = math.log(s)  # lse - m
        v = (1.0 - smoothing) * w[t] * (numba.float64(m) + log_s - numba.float64(xr[t]))
        if smoothing > 0.0:
            v += smoothing / C * (wsum * log_s + _wdist(xr, m, w))
        loss[r] = v
    return bad, ignored


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
    return (math.prod(shape[:dim]), shape[dim], math.prod(shape[dim + 1 :]))


def _contig(a):
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


# Below this many trailing elements the (A, C, B) kernels' inner loop is too short to pay:
# a class-last copy + the row kernel is faster (bench_softmax.py --other-dims; figures in
# bench/README.md, "Figures behind the code").
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
    return _run(_softmax_rows, softmax_cols, [x], dim)


def log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    """log_softmax of a float array along ``dim``."""
    return _run(log_softmax_rows, log_softmax_cols, [x], dim)


def softmax_backward(y: np.ndarray, g: np.ndarray, dim: int) -> np.ndarray:
    """Input gradient of softmax from its output ``y`` and the output gradient ``g``."""
    return _run(softmax_bwd_rows, softmax_bwd_cols, [y, g.astype(y.dtype, copy=False)], dim)


def log_softmax_backward(y: np.ndarray, g: np.ndarray, dim: int) -> np.ndarray:
    """Input gradient of log_softmax from its output ``y`` and the output gradient ``g``."""
    return _run(log_softmax_bwd_rows, log_softmax_bwd_cols, [y, g.astype(y.dtype, copy=False)], dim)


def cross_entropy(
    x: np.ndarray, target: np.ndarray, weight: np.ndarray, ignore_index: int, smoothing: float
):
    """Row losses (float64, shape (R,)) and softmax (saved for the backward) of logits
    ``x`` (R, C) against int64 class indices ``target`` (R,); ``weight`` (C,) float64.

    Example:
        >>> loss, p = cross_entropy(np.zeros((1, 2)), np.array([0]), np.ones(2), -100, 0.0)
        >>> loss
        array([0.69314718])
    """
    loss, prob, _, _ = _cross_entropy(x, target, weight, ignore_index, smoothing)
    return loss, prob


def cross_entropy_checked(
    x: np.ndarray, target: np.ndarray, weight: np.ndarray, ignore_index: int, smoothing: float
):
    """``cross_entropy`` that also checks the targets: ``(loss, prob, bad, ignored)``, with
    ``bad`` the number of targets outside ``[0, C)`` that are not ``ignore_index`` (the
    losses are then incomplete: the caller raises) and ``ignored`` the number equal to
    ``ignore_index``.

    Example:
        >>> loss, p, bad, ignored = cross_entropy_checked(
        ...     np.zeros((3, 2)), np.array([0, 5, -100]), np.ones(2), -100, 0.0)
        >>> bad, ignored
        (1, 1)
    """
    return _cross_entropy(x, target, weight, ignore_index, smoothing)


def _cross_entropy(x, target, weight, ignore_index, smoothing):
    x = _contig(x)
    prob = np.empty(x.shape, x.dtype)
    loss = np.empty(x.shape[0])
    bad, ignored = cross_entropy_rows(x, target, weight, ignore_index, smoothing, prob, loss)
    return loss, prob, bad, ignored


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
