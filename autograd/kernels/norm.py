"""Fused layer_norm / batch_norm kernels: statistics, normalisation and affine in one kernel
forward, and the whole input/weight/bias gradient in one kernel backward.

The NumPy code in ``nn/functional/_normalization.py`` is the reference; these kernels do
the same arithmetic with float64 accumulators.

Numerical choices:

* variance is never ``E[x**2] - E[x]**2``, which cancels catastrophically when the data has
  a large offset. batch_norm takes the mean of squared deviations from the mean (two passes
  over the channel); layer_norm's rows take one pass of sums shifted by the row's first
  element (``_variance``: the row's own element is within the data, so the subtraction
  loses at most log2(n) bits of float64, and a second pass is taken when it would lose more
  than one);
* layer_norm's elementwise passes (y, dx) run in the data's precision with the mean split
  into a high and a low part (see ``layer_norm_fwd``): float32 data gets 8 SIMD lanes
  instead of float64's 4, so in-cache rows run faster than in float64;
* reductions (``_sum``, ``_sum_sq_dev``, ...) may be reassociated (one partial sum per SIMD
  lane, see below), so results differ from the NumPy reference by rounding only.

Layouts: layer_norm sees its input as ``(rows, n)`` (rows independent: ``prange`` over
rows); batch_norm sees ``(N, C, S)`` with S the product of the spatial dims (channels
independent: ``prange`` over channels; (N, C) input, where a channel is a strided column,
has row-wise kernels instead). Weight/bias gradients of layer_norm are sums over
rows: each ``prange`` iteration owns a chunk of rows and one row of ``dw_part``/``db_part``
(no shared accumulators), and the chunks are added up afterwards. The chunk count is fixed,
so results do not depend on the number of threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .parallel import REDUCE_OPTIONS, kernel
from .vmath import _fma

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
LN_CHUNKS = 16  # row chunks of the layer_norm backward (partial weight/bias gradients)


# ---- reductions over a 1-d contiguous array ---------------------------------------------
# ``REDUCE_OPTIONS`` (parallel.py) let LLVM reorder the additions of a running sum, i.e. keep
# one partial sum per SIMD lane; without it a sum is a serial chain of dependent adds and
# does not vectorise. nan and inf still propagate as in the NumPy reference; the sums differ
# from NumPy's pairwise sums by rounding only.
_reduce = numba.njit(**REDUCE_OPTIONS)


@_reduce
def _sum(a):
    s = 0.0
    for j in range(a.size):
        s += numba.float64(a[j])  # (explicit: as Python, float32 + 0.0 would stay float32)
    return s


@_reduce
def _sum_sq_dev(a, mu):
    """sum((a - mu)**2)"""
    s = 0.0
    for j in range(a.size):
        d = numba.float64(a[j]) - mu
        s += d * d
    return s


@_reduce
def _sum_g_gdev(g, a, mu):
    """(sum(g), sum(g * (a - mu)))"""
    s = 0.0
    t = 0.0
    for j in range(a.size):
        gj = numba.float64(g[j])
        s += gj
        t += gj * (numba.float64(a[j]) - mu)
    return s, t


# ---- layer_norm ----------------------------------------------------------------------------
@_reduce
def _shifted_sums(a):
    """(sum(a - k), sum((a - k)**2)) with k = a[0], in float64: both statistics in one pass.
    The shift keeps the squares small (k lies within the data), so ``s2 - s1**2 / n`` does not
    cancel unless the mean is far from k in units of the spread; the caller checks that."""
    k = numba.float64(a[0])
    s1 = 0.0
    s2 = 0.0
    for j in range(a.size):
        d = numba.float64(a[j]) - k
        s1 += d
        s2 += d * d
    return s1, s2


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _variance(a, s1, s2, mu):
    """Biased variance of a row (float64) from its shifted sums ``s1, s2 = _shifted_sums(a)``
    and its mean ``mu = a[0] + s1 / n``, stable for any offset."""
    n = a.size
    c = s1 * s1 / n
    if c <= 0.5 * s2:  # s2 - c loses at most one bit: the usual case
        return (s2 - c) / n
    return _sum_sq_dev(a, mu) / n  # mean far from a[0]: a second, exact pass


@_reduce
def _ln_bwd_sums(x, g, w, mu):
    """One pass over a row for the layer_norm backward: (sum(g w), sum(g w (x - mu)))."""
    s = 0.0
    t = 0.0
    for j in range(x.size):
        u = numba.float64(g[j]) * w[j]
        s += u
        t += u * (numba.float64(x[j]) - mu)
    return s, t


# The elementwise passes run in the data's precision (float32: 8 SIMD lanes, no conversions),
# with the row's mean split in two, mu = hi + lo (hi = mu rounded to the dtype): for x near
# a large mean, x - hi is exact (Sterbenz), so (x - hi) - lo keeps the deviation as accurate
# as a float64 subtraction would (the large-offset test).
@kernel
def layer_norm_fwd(x, w, b, eps, y, mean, rstd):
    """x, y: (rows, n); w, b: (n,) (ones/zeros when there is no affine); mean, rstd: (rows,)."""
    T = x.dtype.type
    rows, n = x.shape
    for r in numba.prange(rows):
        xr = x[r]
        yr = y[r]
        # mean and variance (the mean written out here: a helper returning both was not
        # inlined, and on short rows a call per row costs as much as the row's arithmetic)
        s1, s2 = _shifted_sums(xr)
        mu = numba.float64(xr[0]) + s1 / n
        var = _variance(xr, s1, s2, mu)
        rs = 1.0 / math.sqrt(var + eps)
        hi = T(mu)
        lo = T(mu - numba.float64(hi))
        rs_t = T(rs)
        for j in range(n):
            yr[j] = ((xr[j] - hi) - lo) * rs_t * w[j] + b[j]
        mean[r] = mu
        rstd[r] = rs


# No FMA contraction here: fma(g, w, -a) would keep the exact product's rounding error, and
# rows of one element (dx = 0 exactly, by g w - mean(g w) = 0) would come out at ~1e-5
# after the factor rstd = 1/sqrt(eps).
@kernel(fastmath=False)
def layer_norm_bwd(x, g, w, mean, rstd, base, dx, dw_part, db_part, dw, db):
    """dx = rstd * (g w - mean(g w) - xhat * mean(g w xhat)) per row, plus ``base`` (the
    gradient x already has, added to the rounded value as ``base + dx``; None for none);
    the rows of chunk k add g * xhat and g into dw_part[k] / db_part[k] (float64
    scratch); then dw / db (x's dtype) are the chunks' sums, added in chunk order from 0.0 as
    NumPy's ``sum(axis=0)`` adds the rows of a 2-d array, and rounded to the dtype."""
    T = x.dtype.type
    rows, n = x.shape
    chunks = dw_part.shape[0]
    for k in numba.prange(chunks):
        pw = dw_part[k]
        pb = db_part[k]
        pw[:] = 0.0
        pb[:] = 0.0
        for r in range(k * rows // chunks, (k + 1) * rows // chunks):
            xr = x[r]
            gr = g[r]
            dxr = dx[r]
            mu = numba.float64(mean[r])
            rs = numba.float64(rstd[r])
            s, t = _ln_bwd_sums(xr, gr, w, mu)
            # the partial weight/bias gradients here, not in the helper's reduction loop: a
            # second array-writing helper call per row costs more than a short row's
            # arithmetic; the product is added with one rounding (fma), as LLVM's
            # contraction of that loop did
            for j in range(n):
                gj = numba.float64(gr[j])
                pw[j] = _fma(gj, (numba.float64(xr[j]) - mu) * rs, pw[j])
                pb[j] += gj
            hi = T(mu)
            lo = T(mu - numba.float64(hi))
            rs_t = T(rs)
            a = T(s / n)  # mean(g w)
            c = T(t * rs / n * rs)  # mean(g w xhat) * rstd
            # ``base is None`` is decided when Numba compiles (None has its own type), so
            # each build keeps one of the two loops: a test of the array's shape at run time
            # here kept LLVM from vectorising either loop
            if base is not None:
                br = base[r]
                for j in range(n):
                    dxr[j] = br[j] + (rs_t * (gr[j] * w[j] - a) - ((xr[j] - hi) - lo) * (rs_t * c))
            else:
                for j in range(n):
                    dxr[j] = rs_t * (gr[j] * w[j] - a) - ((xr[j] - hi) - lo) * (rs_t * c)
    for j in range(n):
        sw = 0.0
        sb = 0.0
        for k in range(chunks):
            sw += dw_part[k, j]
            sb += db_part[k, j]
        dw[j] = T(sw)
        db[j] = T(sb)


# ---- batch_norm ----------------------------------------------------------------------------
@kernel
def batch_norm_fwd_train(x, w, b, eps, y, mean, var, rstd):
    """x, y: (N, C, S). Per channel: batch mean and biased variance over N and S, then
    y = (x - mean) * rstd * w + b. mean/var/rstd: (C,) float64 outputs."""
    nb, ch, sp = x.shape
    count = nb * sp
    for c in numba.prange(ch):
        s = 0.0
        for i in range(nb):
            s += _sum(x[i, c])
        mu = s / count
        q = 0.0
        for i in range(nb):
            q += _sum_sq_dev(x[i, c], mu)
        v = q / count
        rs = 1.0 / math.sqrt(v + eps)
        scale = rs * w[c]
        shift = b[c]
        for i in range(nb):
            xr = x[i, c]
            yr = y[i, c]
            for j in range(sp):
                yr[j] = (xr[j] - mu) * scale + shift
        mean[c] = mu
        var[c] = v
        rstd[c] = rs


@kernel
def batch_norm_fwd_eval(x, mean, rstd, w, b, y):
    """y = (x - mean[c]) * rstd[c] * w[c] + b[c] with given (running) statistics."""
    nb, ch, sp = x.shape
    for p in numba.prange(nb * ch):
        i = p // ch
        c = p % ch
        mu = numba.float64(mean[c])
        scale = numba.float64(rstd[c]) * w[c]
        shift = b[c]
        xr = x[i, c]
        yr = y[i, c]
        for j in range(sp):
            yr[j] = (xr[j] - mu) * scale + shift


@kernel
def batch_norm_bwd(x, g, w, mean, rstd, batch_stats, dx, dw, db):
    """Per channel: db = sum(g), dw = sum(g * xhat), and
    dx = w rstd (g - db / M - xhat dw / M) with batch statistics (training), or
    dx = w rstd g with fixed (running) statistics. dw, db: (C,) float64 outputs."""
    nb, ch, sp = x.shape
    count = nb * sp
    for c in numba.prange(ch):
        mu = numba.float64(mean[c])
        rs = numba.float64(rstd[c])
        sg = 0.0
        sgd = 0.0
        for i in range(nb):
            s, t = _sum_g_gdev(g[i, c], x[i, c], mu)
            sg += s
            sgd += t
        sgx = sgd * rs  # sum(g * xhat)
        db[c] = sg
        dw[c] = sgx
        k = rs * w[c]
        a = sg / count if batch_stats else 0.0
        e = sgx / count * rs if batch_stats else 0.0  # mean(g xhat) * rstd
        for i in range(nb):
            xr = x[i, c]
            gr = g[i, c]
            dxr = dx[i, c]
            for j in range(sp):
                dxr[j] = k * (numba.float64(gr[j]) - a - (xr[j] - mu) * e)


# ---- batch_norm on (N, C) input ------------------------------------------------------------
# With no spatial dims a channel is a strided column: the per-channel loops above would
# handle one element at a time. These kernels walk the rows instead and vectorise across
# the channels of a block (each channel has its own accumulator, so no reassociation is
# needed). Accumulators are local arrays, not the output arguments: LLVM cannot rule out
# that an output aliases the input, and measured slower that way. ``prange`` runs
# over channel blocks, each writing only its own channels.
_NC_BLOCK = 256


@numba.njit(inline="always")
def _nc_blocks(ch):
    """How many channel blocks of ``_NC_BLOCK`` cover ``ch`` channels."""
    return (ch + _NC_BLOCK - 1) // _NC_BLOCK


@numba.njit(inline="always")
def _nc_block(blk, ch):
    """Block ``blk``'s channels ``[c0, c1)`` and their number ``k``."""
    c0 = blk * _NC_BLOCK
    c1 = min(c0 + _NC_BLOCK, ch)
    return c0, c1, c1 - c0


@numba.njit(inline="always")
def _block_means(x, c0, c1):
    """The float64 mean of each column of ``x[:, c0:c1]``, row by row (one accumulator per
    column, so the loop along a row vectorises)."""
    m = np.zeros(c1 - c0)
    for i in range(x.shape[0]):
        xr = x[i, c0:c1]
        for c in range(m.size):
            m[c] += xr[c]
    for c in range(m.size):
        m[c] /= x.shape[0]
    return m


@kernel
def batch_norm_fwd_train_nc(x, w, b, eps, y, mean, var, rstd):
    """``batch_norm_fwd_train`` for x, y: (N, C); mean/var/rstd: (C,) float64 outputs."""
    nb, ch = x.shape
    for blk in numba.prange(_nc_blocks(ch)):
        c0, c1, k = _nc_block(blk, ch)
        m = _block_means(x, c0, c1)
        v = np.zeros(k)
        scale = np.empty(k)
        for i in range(nb):
            xr = x[i, c0:c1]
            for c in range(k):
                d = xr[c] - m[c]
                v[c] += d * d
        for c in range(k):
            v[c] /= nb
            rs = 1.0 / math.sqrt(v[c] + eps)
            scale[c] = rs * w[c0 + c]
            mean[c0 + c] = m[c]
            var[c0 + c] = v[c]
            rstd[c0 + c] = rs
        br = b[c0:c1]
        for i in range(nb):
            xr = x[i, c0:c1]
            yr = y[i, c0:c1]
            for c in range(k):
                yr[c] = (xr[c] - m[c]) * scale[c] + br[c]


@kernel
def batch_norm_fwd_eval_nc(x, mean, rstd, w, b, y):
    """``batch_norm_fwd_eval`` for x, y: (N, C)."""
    nb, ch = x.shape
    scale = np.empty(ch)
    for c in range(ch):
        scale[c] = numba.float64(rstd[c]) * w[c]
    for i in numba.prange(nb):
        xr = x[i]
        yr = y[i]
        for c in range(ch):
            yr[c] = (xr[c] - numba.float64(mean[c])) * scale[c] + b[c]


@kernel
def batch_norm_bwd_nc(x, g, w, mean, rstd, batch_stats, dx, dw, db):
    """``batch_norm_bwd`` for x, g, dx: (N, C); dw, db: (C,) float64 outputs."""
    nb, ch = x.shape
    for blk in numba.prange(_nc_blocks(ch)):
        c0, c1, k = _nc_block(blk, ch)
        mu = np.empty(k)
        sg = np.zeros(k)
        sgd = np.zeros(k)
        for c in range(k):
            mu[c] = mean[c0 + c]
        for i in range(nb):
            xr = x[i, c0:c1]
            gr = g[i, c0:c1]
            for c in range(k):
                gc = numba.float64(gr[c])
                sg[c] += gc
                sgd[c] += gc * (xr[c] - mu[c])
        scale = np.empty(k)
        a = np.zeros(k)
        e = np.zeros(k)
        for c in range(k):
            rs = numba.float64(rstd[c0 + c])
            db[c0 + c] = sg[c]
            dw[c0 + c] = sgd[c] * rs  # sum(g * xhat)
            scale[c] = rs * w[c0 + c]
            if batch_stats:
                a[c] = sg[c] / nb
                e[c] = sgd[c] * rs / nb * rs
        for i in range(nb):
            xr = x[i, c0:c1]
            gr = g[i, c0:c1]
            dxr = dx[i, c0:c1]
            for c in range(k):
                dxr[c] = scale[c] * (numba.float64(gr[c]) - a[c] - (xr[c] - mu[c]) * e[c])


# ---- calling the kernels: contiguous views and outputs -------------------------------------
def supports(*arrays) -> bool:
    """True when the kernels handle these arrays (float32/float64, same dtype, non-empty)."""
    dt = arrays[0].dtype
    return dt in FLOATS and arrays[0].size > 0 and all(a is None or a.dtype == dt for a in arrays)


def _c(a):
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _param(a, n, fill, dtype):
    return np.full(n, fill, dtype) if a is None else _c(a).reshape(n)


def layer_norm_forward(x, n, weight, bias, eps):
    """y, mean, rstd of layer_norm over the trailing ``n`` elements of each row of ``x``
    (mean and rstd have x's dtype and one value per row).

    Example:
        >>> y, mean, rstd = layer_norm_forward(np.array([[1.0, 2.0, 3.0]]), 3, None, None, 1e-5)
        >>> y.round(3).tolist(), mean.tolist()
        ([[-1.225, 0.0, 1.225]], [2.0])
    """
    xc = _c(x)
    x2 = xc.reshape(-1, n)
    rows = x2.shape[0]
    y = np.empty_like(xc)
    mean = np.empty(rows, x.dtype)
    rstd = np.empty(rows, x.dtype)
    layer_norm_fwd(
        x2,
        _param(weight, n, 1.0, x.dtype),
        _param(bias, n, 0.0, x.dtype),
        float(eps),
        y.reshape(rows, n),
        mean,
        rstd,
    )
    return y, mean, rstd


def layer_norm_backward(x, g, n, weight, mean, rstd, base=None):
    """dx, dweight, dbias of layer_norm (dweight/dbias flat, length n, x's dtype). ``base``:
    a C-contiguous array of x's shape and dtype that dx is added to (the result is the new
    array ``base + dx``, the same bits as that NumPy sum: a residual stream's gradient)."""
    x2 = _c(x).reshape(-1, n)
    if g.shape != x.shape:
        g = np.broadcast_to(g, x.shape)
    g2 = _c(g.astype(x.dtype, copy=False)).reshape(-1, n)
    rows = x2.shape[0]
    dx = np.empty(x2.shape, x.dtype)
    chunks = max(1, min(LN_CHUNKS, rows))
    parts = np.empty((2, chunks, n))  # (the kernel zeroes them)
    dw, db = np.empty(n, x.dtype), np.empty(n, x.dtype)
    layer_norm_bwd(
        x2,
        g2,
        _param(weight, n, 1.0, x.dtype),
        _c(mean).reshape(rows),
        _c(rstd).reshape(rows),
        None if base is None else base.reshape(rows, n),
        dx,
        parts[0],
        parts[1],
        dw,
        db,
    )
    return dx.reshape(x.shape), dw, db


def _as3d(x):
    """(N, C, *spatial) -> contiguous (N, C, S)."""
    return _c(x).reshape(x.shape[0], x.shape[1], -1)


def _squeeze(a3):
    """(N, C, 1) -> (N, C) for the row-wise kernels; (N, C, S > 1) unchanged."""
    return a3.reshape(a3.shape[:2]) if a3.shape[2] == 1 else a3


def batch_norm_forward_train(x, weight, bias, eps):
    """y and the per-channel batch mean, biased variance and rstd (float64, shape (C,))."""
    x3 = _as3d(x)
    ch = x3.shape[1]
    y = np.empty(x3.shape, x.dtype)
    mean, var, rstd = np.empty(ch), np.empty(ch), np.empty(ch)
    fn = batch_norm_fwd_train_nc if x3.shape[2] == 1 else batch_norm_fwd_train
    fn(
        _squeeze(x3),
        _param(weight, ch, 1.0, x.dtype),
        _param(bias, ch, 0.0, x.dtype),
        float(eps),
        _squeeze(y),
        mean,
        var,
        rstd,
    )
    return y.reshape(x.shape), mean, var, rstd


def batch_norm_forward_eval(x, mean, rstd, weight, bias):
    """y = (x - mean) * rstd * weight + bias per channel, with given (C,) statistics."""
    x3 = _as3d(x)
    ch = x3.shape[1]
    y = np.empty(x3.shape, x.dtype)
    fn = batch_norm_fwd_eval_nc if x3.shape[2] == 1 else batch_norm_fwd_eval
    fn(
        _squeeze(x3),
        _c(mean).reshape(ch),
        _c(rstd).reshape(ch),
        _param(weight, ch, 1.0, x.dtype),
        _param(bias, ch, 0.0, x.dtype),
        _squeeze(y),
    )
    return y.reshape(x.shape)


def batch_norm_backward(x, g, weight, mean, rstd, batch_stats):
    """dx, dweight, dbias (x's dtype) of batch_norm; ``batch_stats`` False for eval mode."""
    x3 = _as3d(x)
    g3 = _as3d(np.broadcast_to(g, x.shape).astype(x.dtype, copy=False))
    ch = x3.shape[1]
    dx = np.empty(x3.shape, x.dtype)
    dw, db = np.empty(ch), np.empty(ch)
    fn = batch_norm_bwd_nc if x3.shape[2] == 1 else batch_norm_bwd
    fn(
        _squeeze(x3),
        _squeeze(g3),
        _param(weight, ch, 1.0, x.dtype),
        _c(mean).reshape(ch),
        _c(rstd).reshape(ch),
        bool(batch_stats),
        _squeeze(dx),
        dw,
        db,
    )
    return dx.reshape(x.shape), dw.astype(x.dtype), db.astype(x.dtype)


def warmup(dtype) -> None:
    """Compile (or load from cache) the norm kernels for one dtype, through the same
    wrappers the ops call (so the signatures match)."""
    x = np.ones((2, 3, 4), dtype)
    w = np.ones(3, dtype)
    _, mean, rstd = layer_norm_forward(x, 4, None, None, 1e-5)
    layer_norm_backward(x, x, 4, None, mean, rstd)
    layer_norm_backward(x, x, 4, None, mean, rstd, base=x)  # (a build of its own)
    for xb in (x, x[:, :, 0]):  # (N, C, S) and (N, C) kernels
        _, mean, _, rstd = batch_norm_forward_train(xb, w, w, 1e-5)
        mean, rstd = mean.astype(dtype), rstd.astype(dtype)
        batch_norm_forward_eval(xb, mean, rstd, w, w)
        batch_norm_backward(xb, xb, w, mean, rstd, True)


__all__ = [
    "batch_norm_backward",
    "batch_norm_forward_eval",
    "batch_norm_forward_train",
    "layer_norm_backward",
    "layer_norm_forward",
    "supports",
    "warmup",
]
