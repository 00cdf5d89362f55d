"""Reductions along an axis: sum / mean, amax / amin (ties share the gradient), the
value + index of max(dim) / min(dim), and logsumexp, forward and backward.

Layout. Reducing a C-contiguous array over one axis (or a run of consecutive axes) is
reducing the middle axis of the same memory viewed as ``(A, C, B)``: ``A`` = product of the
axes before, ``C`` = the reduced extent, ``B`` = product of the axes after. Two loop shapes
cover every case without a transposing copy:

* ``*_rows`` kernels for ``B == 1`` (the last axis, or everything): one row at a time, in
  cache. NumPy is slow here on short rows (its pairwise sum restarts for every row);
* ``*_cols`` kernels for ``B > 1``: for each ``a`` the ``C`` slices of length ``B`` are
  combined elementwise into a per-``b`` accumulator, so the inner loop is unit-stride.
  (Sums need none: NumPy already reduces that layout at memory speed.)

Semantics follow the NumPy path exactly for amax/amin/argmax (nan propagates: a slice
holding a nan reduces to nan, and argmax/argmin return its first nan, as NumPy and torch
do; ties: argmax/argmin return the first extreme, amax/amin's gradient is shared evenly
by every element equal to the result, and a nan result's gradient by the nan elements,
where torch's finds no tie and makes the slice's gradient nan). Sums accumulate in float64
and may be reordered (``fastmath={"reassoc"}`` on the summation helpers only, so LLVM can
vectorise them), so they match NumPy's float32 sums up to rounding (and are usually closer to
the exact sum).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .parallel import kernel
from .vmath import vexp, vexp_nonpos

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# the additions of a running sum may be reordered (that is what lets LLVM vectorise it);
# only this small helper gets the flag, see softmax.py's docstring
_REDUCE = dict(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc", "nsz"})
_PLAIN = dict(cache=True, error_model="numpy", nogil=True)

# cols kernels work on blocks of ``a`` so that per-b scratch arrays are allocated once per
# block (an allocation per ``a`` costs more than the work when B is small and A large)
_BLOCKS = 64

# Along the last axis, NumPy's max/argmax are hand-written SIMD loops: faster than ours on
# long rows (a nan-propagating max reduction does not vectorise in Numba), much slower on
# short ones (a fixed cost per row). Measured on 1M float32 (ms, NumPy / kernel): max in rows
# of 16: 3.1 / 1.3, of 40: 1.33 / 1.25, of 64: 0.88 / 1.24; argmax in rows of 16: 2.9 / 2.0,
# of 40: 0.88 / 2.1.
NUMPY_MIN_ROW = 64
NUMPY_MIN_ROW_ARG = 32  # the same for argmax / argmin
_ROW_BLOCK = 256  # rows advanced together by arg_extreme_rows (their data stays in L1)


# ---- helpers on one row of a 2-D array ------------------------------------------------------
@numba.njit(**_REDUCE)
def _row_sum(x, r):
    s = 0.0
    for j in range(x.shape[1]):
        s += numba.float64(x[r, j])  # (explicit: as Python, float32 + 0.0 stays float32)
    return s


@numba.njit(**_PLAIN)
def _row_extreme(x, r, largest):
    """max (``largest``) or min of row ``r``, nan if the row holds one (like NumPy).

    np.maximum / np.minimum compile to branch-free selects that propagate nan (Python's
    ``v if v > m else m`` compiles to branches, and LLVM then keeps the loop scalar)."""
    m = x[r, 0]
    if largest:
        for j in range(1, x.shape[1]):
            m = np.maximum(m, x[r, j])
    else:
        for j in range(1, x.shape[1]):
            m = np.minimum(m, x[r, j])
    return m


@numba.njit(**_PLAIN)
def _hit(v, m):
    """v is (one of) the element(s) the extreme m came from: equal, or both nan."""
    return (v == m) | ((v != v) & (m != m))


@numba.njit(**_PLAIN)
def _blocks(n):
    """(number of blocks, block length) splitting range(n) for the cols kernels."""
    nblk = min(n, _BLOCKS)
    return nblk, (n + nblk - 1) // nblk


# ---- sum / mean -----------------------------------------------------------------------------
@kernel
def sum_rows(x, div, out):
    """out[r] = sum(x[r, :]) / div for x: (R, C), out: (R,)."""
    for r in numba.prange(x.shape[0]):
        out[r] = _row_sum(x, r) / div


# ---- amax / amin ----------------------------------------------------------------------------
@kernel
def extreme_rows(x, largest, out):
    """out[r] = max (``largest``) or min of x[r, :], nan-propagating; x: (R, C), C >= 1."""
    for r in numba.prange(x.shape[0]):
        out[r] = _row_extreme(x, r, largest)


@kernel
def extreme_cols(x, largest, out):
    """out[a, b] = max or min of x[a, :, b], nan-propagating; x: (A, C, B), C >= 1."""
    na, nc, nb = x.shape
    for a in numba.prange(na):
        o = out[a]
        for b in range(nb):
            o[b] = x[a, 0, b]
        for c in range(1, nc):
            xc = x[a, c]
            # elementwise over b (unit stride): vectorises
            if largest:
                for b in range(nb):
                    o[b] = np.maximum(o[b], xc[b])
            else:
                for b in range(nb):
                    o[b] = np.minimum(o[b], xc[b])


@kernel
def extreme_bwd_rows(x, m, g, dx):
    """dx[r, j] = g[r] / (number of ties) where x[r, j] is row r's extreme m[r], else 0.

    Written as the NumPy path computes it, ``g * weight`` with ``weight = hit * (1/n)``
    rounded to the data's dtype, so the results are equal bit for bit (also g = inf: inf *
    0 = nan off the ties, as in NumPy and torch); the arithmetic form is branch-free."""
    for r in numba.prange(x.shape[0]):
        mr = m[r]
        n = 0
        for j in range(x.shape[1]):
            n += _hit(x[r, j], mr)
        w = dx.dtype.type(1.0 / max(n, 1))
        gr = g[r]
        for j in range(x.shape[1]):
            dx[r, j] = gr * (w * _hit(x[r, j], mr))


@kernel
def extreme_bwd_cols(x, m, g, dx):
    """``extreme_bwd_rows`` for x, dx: (A, C, B); m, g: (A, B)."""
    na, nc, nb = x.shape
    nblk, step = _blocks(na)
    for k in numba.prange(nblk):
        cnt = np.empty(nb, np.int64)
        w = np.empty(nb, dx.dtype)
        for a in range(k * step, min(na, (k + 1) * step)):
            ma, ga = m[a], g[a]
            cnt[:] = 0
            for c in range(nc):
                xc = x[a, c]
                for b in range(nb):
                    cnt[b] += _hit(xc[b], ma[b])
            for b in range(nb):
                w[b] = dx.dtype.type(1.0 / max(cnt[b], 1))
            for c in range(nc):
                xc, dc = x[a, c], dx[a, c]
                for b in range(nb):
                    dc[b] = ga[b] * (w[b] * _hit(xc[b], ma[b]))


# ---- max(dim) / min(dim): value and index in one pass ----------------------------------------
@kernel
def arg_extreme_rows(x, largest, out, idx):
    """out[r], idx[r] = the extreme of x[r, :] and its first position (its first nan if
    any), for short rows. The rows of a block are advanced together, column by column:
    independent rows instead of one long dependency chain per row."""
    na, nc = x.shape
    nblk = (na + _ROW_BLOCK - 1) // _ROW_BLOCK
    for k in numba.prange(nblk):
        r0, r1 = k * _ROW_BLOCK, min(na, (k + 1) * _ROW_BLOCK)
        for r in range(r0, r1):
            out[r] = x[r, 0]
            idx[r] = 0
        for j in range(1, nc):
            for r in range(r0, r1):
                v, m = x[r, j], out[r]
                better = (v > m) if largest else (v < m)
                take = better | ((v != v) & (m == m))
                out[r] = np.maximum(m, v) if largest else np.minimum(m, v)
                idx[r] += (j - idx[r]) * take


@kernel
def arg_extreme_cols(x, largest, out, idx):
    """out[a, b], idx[a, b] = the extreme of x[a, :, b] and its first position (its first
    nan if any), for x: (A, C, B). (Along the last axis NumPy's SIMD argmax is faster.)"""
    na, nc, nb = x.shape
    for a in numba.prange(na):
        o, i = out[a], idx[a]
        for b in range(nb):
            o[b] = x[a, 0, b]
            i[b] = 0
        for c in range(1, nc):
            xc = x[a, c]
            for b in range(nb):
                v, m = xc[b], o[b]
                # strictly better (the first extreme wins ties), or the first nan
                better = (v > m) if largest else (v < m)
                take = better | ((v != v) & (m == m))
                # branch-free selects (a ternary here compiles to branches: scalar loop);
                # np.maximum keeps a nan m and takes a nan v, i.e. the first nan
                o[b] = np.maximum(m, v) if largest else np.minimum(m, v)
                i[b] += (c - i[b]) * take


# ---- logsumexp along rows ------------------------------------------------------------------
@numba.njit(**_REDUCE)
def _sum1(a):
    s = 0.0
    for j in range(a.size):
        s += numba.float64(a[j])
    return s


@kernel
def logsumexp_rows(x, out):
    """out[r] = m + log(sum(exp(x[r, :] - m))) with m the row maximum (no overflow). The
    exps are stored, then summed (so that both loops vectorise, see softmax.py)."""
    na, nc = x.shape
    nblk, step = _blocks(na)
    for k in numba.prange(nblk):
        e = np.empty(nc, x.dtype)
        for r in range(k * step, min(na, (k + 1) * step)):
            m = _row_extreme(x, r, True)
            if m - m != 0:
                # m = +inf, -inf (the whole row) or nan: that is the result, as in the
                # NumPy path (which then uses 0 as the shift)
                out[r] = m
                continue
            for j in range(nc):
                e[j] = vexp_nonpos(x[r, j] - m)
            out[r] = m + math.log(_sum1(e))


@kernel
def logsumexp_bwd_rows(x, out, g, dx):
    """dx[r, j] = g[r] * exp(x[r, j] - out[r]) (the softmax of the row)."""
    for r in numba.prange(x.shape[0]):
        o, gr = out[r], g[r]
        for j in range(x.shape[1]):
            dx[r, j] = gr * vexp(x[r, j] - o)


@kernel
def logsumexp_cols(x, m, out):
    """out[a, b] = logsumexp of x[a, :, b] for x: (A, C, B), given m[a, b] = the max."""
    na, nc, nb = x.shape
    nblk, step = _blocks(na)
    for k in numba.prange(nblk):
        acc = np.empty(nb)
        for a in range(k * step, min(na, (k + 1) * step)):
            ma = m[a]
            acc[:] = 0.0
            for c in range(nc):
                xc = x[a, c]
                for b in range(nb):  # (m = +-inf or nan: fixed below)
                    acc[b] += vexp_nonpos(xc[b] - ma[b])
            for b in range(nb):
                mb = ma[b]
                out[a, b] = mb + math.log(acc[b]) if mb - mb == 0 else mb


@kernel
def logsumexp_bwd_cols(x, out, g, dx):
    """dx[a, c, b] = g[a, b] * exp(x[a, c, b] - out[a, b])."""
    na, nc, nb = x.shape
    for a in numba.prange(na):
        oa, ga = out[a], g[a]
        for c in range(nc):
            xc, dc = x[a, c], dx[a, c]
            for b in range(nb):
                dc[b] = ga[b] * vexp(xc[b] - oa[b])


# ---- Python side: layout, checks, calls -----------------------------------------------------
def acb(shape, dims):
    """``(A, C, B)`` for reducing ``shape`` over ``dims`` (sorted, distinct, non-negative: as
    ``wrap_dims`` gives them), or None when the dims are not one run of consecutive axes (then
    there is no such view).

    Example:
        >>> acb((2, 3, 4, 5), (1, 2))
        (2, 12, 5)
    """
    if not dims:
        return None
    first, last = dims[0], dims[-1]
    if last - first + 1 != len(dims):  # sorted distinct dims: a run exactly when they span len
        return None
    return (
        math.prod(shape[:first]),
        math.prod(shape[first : last + 1]),
        math.prod(shape[last + 1 :]),
    )


# ---- the sum over leading axes in NumPy's own order (a bias's gradient) ----------------------
# NumPy sums a C-contiguous (R, n) array over axis 0 (n > 1) as ``out = 0; out += x[i]`` for
# each row i in turn, in the array's dtype: the same additions in the same order here give
# the same bits, without NumPy's fixed cost per call, which is most of the time for the
# small gradients of small models (tests/test_kernels_transformer.py compares the two).
LEADING_MIN = 8  # columns at least: with one, NumPy sums pairwise instead


@numba.njit(**_PLAIN)
def sum_leading_rows(x, out):
    """out[j] += x[i, j] for each row i in order (``out``: zeros of x's dtype)."""
    for i in range(x.shape[0]):
        xi = x[i]
        for j in range(x.shape[1]):
            out[j] += xi[j]


def sum_leading(x: np.ndarray) -> np.ndarray | None:
    """``x.sum(axis=0)`` of a C-contiguous 2-d float array (``supports(x, (0,))``), bit for
    bit; None when it has fewer than ``LEADING_MIN`` columns (NumPy's order differs there).

    Example:
        >>> sum_leading(np.ones((3, 8), np.float32)).tolist()
        [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    """
    if x.shape[1] < LEADING_MIN:
        return None
    out = np.zeros(x.shape[1], x.dtype)
    sum_leading_rows(x, out)
    return out


def supports(x: np.ndarray, dims) -> bool:
    """True when the kernels here handle reducing ``x`` over ``dims``: float32/float64,
    C-contiguous, non-empty, at least 1-d and the dims consecutive. (Strided input: copying
    it first measured slower than the NumPy path, e.g. amax of a transposed (1024, 1000).)"""
    return (
        x.dtype in FLOATS
        and x.ndim > 0
        and x.size > 0
        and x.flags.c_contiguous
        and acb(x.shape, dims) is not None
    )


def _out(x, dims, a, b, dtype=None):
    """Output buffer (A, B) and its keepdim-shaped view."""
    out = np.empty((a, b), dtype or x.dtype)
    shape = x.shape  # dims are one run of axes (acb): they become ones
    return out, out.reshape(shape[: dims[0]] + (1,) * len(dims) + shape[dims[-1] + 1 :])


def _per_output(arr, shape_ab, dtype):
    """An output-shaped array (e.g. the incoming gradient, maybe a broadcast view) as a
    contiguous (A, B) array of ``dtype``."""
    return np.ascontiguousarray(arr, dtype=dtype).reshape(shape_ab)


def sum_mean(x: np.ndarray, dims, mean: bool = False) -> np.ndarray:
    """Sum (or mean) of ``x`` over ``dims`` with keepdim=True (``supports(x, dims)`` must hold).
    A kernel sums rows (reducing the last axes, where NumPy pays a fixed cost per row);
    other layouts are summed by NumPy.

    Example:
        >>> sum_mean(np.ones((2, 3), np.float32), (1,))
        array([[3.],
               [3.]], dtype=float32)
    """
    a, c, b = acb(x.shape, dims)
    if b > 1:
        # NumPy adds whole (C-contiguous) slices elementwise here: already at memory speed,
        # and a float64-accumulating kernel measured slower (bench/README.md)
        return (np.mean if mean else np.sum)(x, axis=dims, keepdims=True)
    out, keep = _out(x, dims, a, b)
    sum_rows(x.reshape(a, c), float(c) if mean else 1.0, out.reshape(a))
    return keep


def extreme(x: np.ndarray, dims, largest: bool) -> np.ndarray:
    """amax (``largest``) or amin of ``x`` over ``dims``, keepdim=True; nan propagates.

    Example:
        >>> extreme(np.array([[1.0, 5.0], [7.0, np.nan]]), (1,), True)
        array([[ 5.],
               [nan]])
    """
    x = np.ascontiguousarray(x)
    a, c, b = acb(x.shape, dims)
    out, keep = _out(x, dims, a, b)
    if b == 1 and c >= NUMPY_MIN_ROW:  # long rows: NumPy's max is SIMD code, faster
        out[:, 0] = (np.max if largest else np.min)(x.reshape(a, c), axis=1)
    elif b == 1:
        extreme_rows(x.reshape(a, c), largest, out.reshape(a))
    else:
        extreme_cols(x.reshape(a, c, b), largest, out)
    return keep


def extreme_backward(x: np.ndarray, m: np.ndarray, g: np.ndarray, dims) -> np.ndarray:
    """Gradient of amax/amin: ``g`` (output-shaped) shared evenly by the elements of ``x``
    equal to the result ``m`` (keepdim-shaped); 0 elsewhere."""
    x = np.ascontiguousarray(x)
    a, c, b = acb(x.shape, dims)
    dx = np.empty_like(x)
    mm = _per_output(m, (a, b), x.dtype)
    gg = _per_output(g, (a, b), x.dtype)
    if b == 1:
        extreme_bwd_rows(x.reshape(a, c), mm.reshape(a), gg.reshape(a), dx.reshape(a, c))
    else:
        extreme_bwd_cols(x.reshape(a, c, b), mm, gg, dx.reshape(a, c, b))
    return dx


def arg_extreme(x: np.ndarray, dim: int, largest: bool):
    """(values, int64 indices), keepdim-shaped, of max(dim) (``largest``) or min(dim): the
    first extreme of each slice, or its first nan.

    Example:
        >>> arg_extreme(np.array([[1.0, 5.0, 5.0]]), 1, True)
        (array([[5.]]), array([[1]]))
    """
    x = np.ascontiguousarray(x)
    a, c, b = acb(x.shape, (dim,))
    out, keep = _out(x, (dim,), a, b)
    idx, idx_keep = _out(x, (dim,), a, b, np.int64)
    if b == 1 and c < NUMPY_MIN_ROW_ARG:
        arg_extreme_rows(x.reshape(a, c), largest, out.reshape(a), idx.reshape(a))
        return keep, idx_keep
    if b == 1:  # long rows: NumPy's argmax is SIMD code, faster than this scalar loop
        i = (np.argmax if largest else np.argmin)(x.reshape(a, c), axis=1)
        idx[:, 0] = i
        out[:, 0] = x.reshape(a, c)[np.arange(a), i]
        return keep, idx_keep
    arg_extreme_cols(x.reshape(a, c, b), largest, out, idx)
    return keep, idx_keep


def logsumexp(x: np.ndarray, dims) -> np.ndarray:
    """log(sum(exp(x))) over ``dims`` (``supports(x, dims)``), keepdim=True, without
    overflow (shifted by the maximum); a slice whose maximum is inf, -inf or nan gives that.

    Example:
        >>> logsumexp(np.array([[1000.0, 1000.0]]), (1,))
        array([[1000.69314718]])
    """
    a, c, b = acb(x.shape, dims)
    out, keep = _out(x, dims, a, b)
    if b == 1:
        logsumexp_rows(x.reshape(a, c), out.reshape(a))
    else:
        m = np.empty((a, b), x.dtype)
        extreme_cols(x.reshape(a, c, b), True, m)
        logsumexp_cols(x.reshape(a, c, b), m, out)
    return keep


def logsumexp_backward(x: np.ndarray, out: np.ndarray, g: np.ndarray, dims) -> np.ndarray:
    """Input gradient of logsumexp: ``g * exp(x - out)`` (out, g output-shaped)."""
    a, c, b = acb(x.shape, dims)
    dx = np.empty_like(x)
    oo, gg = _per_output(out, (a, b), x.dtype), _per_output(g, (a, b), x.dtype)
    if b == 1:
        logsumexp_bwd_rows(x.reshape(a, c), oo.reshape(a), gg.reshape(a), dx.reshape(a, c))
    else:
        logsumexp_bwd_cols(x.reshape(a, c, b), oo, gg, dx.reshape(a, c, b))
    return dx


def warmup(dtype="float32") -> None:
    """Compile (or load from cache) every kernel in this module for one dtype."""
    for dims in ((1,), (0,)):
        x = np.zeros((2, 3), dtype)
        sum_mean(x, dims)
        m = extreme(x, dims, True)
        extreme_backward(x, m, m, dims)
        arg_extreme(x, dims[0], True)
        logsumexp_backward(x, logsumexp(x, dims), m, dims)
    sum_leading(np.zeros((2, LEADING_MIN), dtype))
