"""Convolution kernels: im2col into a GEMM-ready layout and col2im (its adjoint, the
scatter-add of the input gradient). The GEMMs themselves stay with BLAS.

Layout (the point of these kernels): ``cols[n, k, l]`` with k = (c * kh + i) * kw + j the
window element and l = a * Wo + b the output position, i.e. per sample a (C*kh*kw, Ho*Wo)
matrix. Then ``y_n = W (O, C*kh*kw) @ cols_n`` is already the (O, Ho*Wo) block of an NCHW
output, with no transpose copy (one large GEMM over a (K, N*L) layout measured no faster
here, and needs a transpose of the output; see bench/README.md). Small convolutions do use
that batch-major layout (conv.py, ``_conv2d_forward_batch``): there the per-sample products
are too small for BLAS, so the kernels also accept the (n, k, l) view of a (K, N, L) matrix,
and ``rows_to_batch`` / ``batch_to_rows`` make the transposes around the GEMMs.

Padding is handled inside the loops (zeros outside the image), so no padded copy of the
input is made. Loops over samples use ``numba.prange``: each iteration writes only its own
sample, so the parallel build (``autograd.kernels.set_num_threads``) is race-free.

The NumPy reference is ``autograd/ops/conv.py`` (``_im2col`` / ``_col2im``, made of strided
views and slice-adds); these kernels compute the same numbers. A direct-convolution kernel
(no im2col buffer) was measured for the 1-channel first layer of the small CNN and lost to
im2col + GEMM (see bench/README.md), so there is none.
"""

from __future__ import annotations

import numba
import numpy as np

from .buffers import empty, zeros  # noqa: F401  (re-exported: ops/conv.py's large arrays)
from .parallel import kernel

_u = numba.uint64  # index type without Numba's negative-index wraparound


@numba.njit(inline="always")
def _valid_range(start, step, size, count):
    """The b in [0, count) with 0 <= start + b * step < size form one run [lo, hi)."""
    lo = 0 if start >= 0 else (-start + step - 1) // step
    last = size - 1 - start
    hi = 0 if last < 0 else min(count, last // step + 1)
    lo = min(lo, count)
    return lo, max(hi, lo)


@numba.njit(inline="always")
def _window_walk(x, cols, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, adjoint):
    """The walk im2col and col2im share: for each sample n, window element k = (c * kh + i)
    * kw + j and output row a, the image row r and the run of output columns b inside the
    image. ``adjoint`` False (im2col): ``cols[n, k, a*wo + b] = x[n, c, r, q]``, zeros in
    the padding; True (col2im): ``x[n, c, r, q] += cols[n, k, a*wo + b]``, padding dropped.
    The kernels pass a constant, so each build keeps only its own branches."""
    n_, c_, h, w = x.shape
    # the runs depend on the kernel column j only: found once here, not per sample and
    # channel (their integer divisions would otherwise dominate small images)
    runs = np.empty((kw, 2), np.int64)
    for j in range(kw):
        runs[j, 0], runs[j, 1] = _valid_range(j * dw - pl, sw, w, wo)
    for n in numba.prange(n_):
        for c in range(c_):
            for i in range(kh):
                for j in range(kw):
                    q0 = j * dw - pl
                    b_lo, b_hi = runs[j, 0], runs[j, 1]
                    k = (c * kh + i) * kw + j
                    for a in range(ho):
                        r = a * sh + i * dh - pt
                        base = a * wo
                        if r < 0 or r >= h:
                            if not adjoint:
                                for b in range(wo):
                                    cols[n, k, _u(base + b)] = 0.0
                            continue
                        if not adjoint:
                            for b in range(b_lo):
                                cols[n, k, _u(base + b)] = 0.0
                        # unsigned indices: no negative-index wraparound check, so the
                        # unit-stride loop vectorises (a slice per row would cost more)
                        if sw == 1:
                            for b in range(b_lo, b_hi):
                                if adjoint:
                                    x[n, c, r, _u(q0 + b)] += cols[n, k, _u(base + b)]
                                else:
                                    cols[n, k, _u(base + b)] = x[n, c, r, _u(q0 + b)]
                        else:
                            for b in range(b_lo, b_hi):
                                if adjoint:
                                    x[n, c, r, _u(q0 + b * sw)] += cols[n, k, _u(base + b)]
                                else:
                                    cols[n, k, _u(base + b)] = x[n, c, r, _u(q0 + b * sw)]
                        if not adjoint:
                            for b in range(b_hi, wo):
                                cols[n, k, _u(base + b)] = 0.0


@kernel
def im2col(x, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, cols):
    """cols[n, (c*kh + i)*kw + j, a*wo + b] = x[n, c, a*sh + i*dh - pt, b*sw + j*dw - pl],
    zero where that position is in the padding. x: (N, C, H, W), C-contiguous; cols: (N,
    C*kh*kw, ho*wo), C-contiguous or the (n, k, l) view of a batch-major (C*kh*kw, N*ho*wo)
    matrix (``cols2.reshape(K, N, L).transpose(1, 0, 2)``)."""
    _window_walk(x, cols, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, False)


@kernel
def col2im(cols, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, out):
    """The adjoint of ``im2col``: out[n, c, r, q] += every window value of cols (N, C*kh*kw,
    ho*wo, either layout of ``im2col``) that lands on (r, q); values in the padding are
    dropped. ``out`` (N, C, H, W) must be zero-initialised by the caller."""
    _window_walk(out, cols, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, True)


@numba.njit(inline="always")
def _batch_walk(x, cols, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, adjoint):
    """``_window_walk`` for a batch-major ``cols[k, n, a*wo + b]`` (K, N, ho*wo) with the
    sample loop innermost: for small images (a few output columns, many samples) the
    per-row loops of ``_window_walk`` are too short and their setup costs more than the
    copying. Each channel c reads and writes only its own rows k and image channel, so the
    parallel loop over channels is race-free."""
    n_, c_, h, w = x.shape
    for c in numba.prange(c_):
        for i in range(kh):
            for j in range(kw):
                q0 = j * dw - pl
                b_lo, b_hi = _valid_range(q0, sw, w, wo)
                k = (c * kh + i) * kw + j
                for a in range(ho):
                    r = a * sh + i * dh - pt
                    for b in range(wo):
                        col = a * wo + b
                        if r < 0 or r >= h or b < b_lo or b >= b_hi:  # in the padding
                            if not adjoint:
                                for n in range(n_):
                                    cols[k, n, col] = 0.0
                            continue
                        q = q0 + b * sw
                        for n in range(n_):
                            if adjoint:
                                x[n, c, r, q] += cols[k, n, col]
                            else:
                                cols[k, n, col] = x[n, c, r, q]


@kernel
def im2col_batch(x, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, cols):
    """``im2col`` into the batch-major layout, cols[(c*kh + i)*kw + j, n, a*wo + b]; x (N, C,
    H, W) and cols (C*kh*kw, N, ho*wo) C-contiguous. For small images (``_batch_walk``)."""
    _batch_walk(x, cols, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, False)


@kernel
def col2im_batch(cols, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, out):
    """The adjoint of ``im2col_batch`` (``out`` zero-initialised by the caller)."""
    _batch_walk(out, cols, kh, kw, sh, sw, pt, pl, dh, dw, ho, wo, True)


@kernel
def rows_to_batch(rows, bias, out):
    """out[n, o, l] = rows[o, n, l] + bias[o] (no bias when ``bias`` is empty): a batch-major
    GEMM result (O, N, L) back to the (N, O, L) layout of an NCHW output, bias added."""
    o_, n_, l_ = rows.shape
    with_bias = bias.shape[0] > 0
    for n in numba.prange(n_):
        for o in range(o_):
            if with_bias:
                bo = bias[o]
                for q in range(l_):
                    out[n, o, q] = rows[o, n, q] + bo
            else:
                for q in range(l_):
                    out[n, o, q] = rows[o, n, q]


@kernel
def batch_to_rows(g, out):
    """out[o, n, l] = g[n, o, l]: an (N, O, L) output gradient in the batch-major layout
    (O, N, L) of the GEMMs that take it."""
    n_, o_, l_ = g.shape
    for n in numba.prange(n_):
        for o in range(o_):
            for q in range(l_):
                out[o, n, q] = g[n, o, q]


def supports(*arrays) -> bool:
    """True when the kernels handle these arrays: float32 or float64, all of one dtype."""
    dt = arrays[0].dtype
    return dt in (np.float32, np.float64) and all(a.dtype == dt for a in arrays)


def warmup(dtype) -> None:
    """Compile (or load from the cache) the kernels for one dtype."""
    x = np.zeros((1, 1, 3, 3), dtype)
    cols = np.zeros((1, 4, 4), dtype)
    im2col(x, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2, cols)
    col2im(cols, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2, x)
    view = cols.transpose(1, 0, 2)  # the batch-major layout's (n, k, l) view
    im2col(x, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2, view)
    col2im(view, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2, x)
    batch = cols.transpose(1, 0, 2).copy()
    im2col_batch(x, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2, batch)
    col2im_batch(batch, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2, x)
    rows = np.zeros((2, 1, 4), dtype)
    rows_to_batch(rows, np.zeros(2, dtype), np.empty((1, 2, 4), dtype))
    batch_to_rows(rows.transpose(1, 0, 2).copy(), rows)
