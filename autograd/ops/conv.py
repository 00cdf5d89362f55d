"""Convolution (``torch.nn.functional`` names and signatures): conv1d / conv2d / conv3d
(conv_transpose1d / 2d / 3d are in conv_transpose.py, unfold / fold in fold.py).

Everything is built on two array routines (the NumPy reference):

* ``_im2col``: a strided *view* of every kernel window, shape (N, C, kh, kw, Ho, Wo), made
  with ``sliding_window_view`` (no copy until a reshape feeds it to BLAS);
* ``_col2im``: its adjoint, adding window values back into an image (kh * kw slice-adds).

On the numba backend ``_im2col_matrix`` / ``_col2im_matrix`` run Numba kernels
(``autograd/kernels/conv.py``) instead: one pass each, padding handled in the loop. The
GEMMs are BLAS on both backends: one per sample and group, or, for small convolutions, one
per group for the whole batch (``_conv2d_forward_batch``, which also keeps its windows for
the weight gradient).

The differentiable ops come in closed families, so that every VJP is written with ops of the
same family and gradients of any order work:

* convolution ``y = conv(x, w)``, its input gradient ``convT(g, w)`` (which *is*
  ``conv_transpose2d``) and its weight gradient ``convW(x, g)``. All three are bilinear and
  each one's VJP is made of the other two;

Spatial ops are written for 2-D, with the blocking and kernels that make them fast; the 1-D
forms insert a height-1 axis; 3-D inputs take the same im2col + GEMM route without them
(``_conv3d_*_np``). Padding is kept per side, ``((top, bottom), (left, right))``, because
``padding='same'`` pads asymmetrically. Pooling is in pooling.py.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import amp as _amp
from .. import dispatch
from ..errors import DTypeError, ShapeError, shape_str
from ..function import Op
from ..forward_ad import apply_op, multilinear_jvp, sum_terms
from ..tensor import Tensor
from . import xp as _xp
from ._util import float_input
from ._windows import (
    _col2im,
    _col2im_matrix,
    _im2col,
    _im2col_matrix,
    _ntuple,
    _out_size,
    _pad_nd,
    _window_args,
)
from .linalg import _gemm
from .registry import register_functions
from .samples import normal, shaped_samples

__all__ = ["conv1d", "conv2d", "conv3d"]


# ---- the GEMM-based convolution (im2col, one product per group) ---------------------------------
# im2col makes a (C*kh*kw) x (Ho*Wo) matrix per sample: huge for big kernels on big images
# (a 1000x1000 image and a 101x101 kernel: 31 GiB). Above this many bytes the convolution
# runs in blocks of samples and output rows, each with its own small im2col matrix.
_IM2COL_BUDGET = 64 * 2**20


def _tiles(n, k, out_hw, itemsize):
    """Blocks ``(n0, n1, a, b)`` of samples and output rows whose im2col matrices stay within
    the budget (at least one sample and one row each); one block when everything fits."""
    ho, wo = out_hw
    if n == 0 or ho == 0:  # nothing to compute: one (empty) block
        yield 0, n, 0, ho
        return
    per_row = max(1, k * wo * itemsize)
    rows = max(1, min(ho, _IM2COL_BUDGET // per_row))
    samples = max(1, min(n, _IM2COL_BUDGET // (per_row * rows))) if rows == ho else 1
    for n0 in range(0, n, samples):
        for a in range(0, ho, rows):
            yield n0, min(n, n0 + samples), a, min(ho, a + rows)


def _input_rows(a, b, in_h, kh, sh, dh, pads_h):
    """The input rows that output rows [a, b) read, and the padding they see:
    ``(r0, r1, (top, bottom))`` so that rows r0:r1 padded by (top, bottom) give exactly
    rows [a, b) of windows."""
    lo = a * sh - pads_h[0]  # first row read, in input coordinates
    hi = (b - 1) * sh + (kh - 1) * dh + 1 - pads_h[0]  # one past the last
    if lo >= in_h or hi <= 0:  # only padding
        r = in_h if lo >= in_h else 0
        return r, r, (hi - lo, 0)
    r0 = max(lo, 0)
    r1 = min(max(hi, r0), in_h)
    return r0, r1, (r0 - lo, hi - r1)


def _conv2d_forward_np(x, w, stride, pads, dilation, groups, out_hw=None):
    """y[n, o] = sum over (c, i, j) in o's group of w[o, c, i, j] * window[n, c, i, j]:
    im2col, then one batched GEMM per group. The per-sample (C*kh*kw, Ho*Wo) layout makes
    each product w (O, C*kh*kw) @ cols_n an (O, Ho*Wo) block of the NCHW output: no
    transpose copies around the GEMM. Large cases go block by block (``_tiles``)."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    if out_hw is None:
        out_hw = (
            _out_size(x.shape[2], kh, stride[0], *pads[0], dilation[0]),
            _out_size(x.shape[3], kw, stride[1], *pads[1], dilation[1]),
        )
    wm = w.reshape(groups, o // groups, cg * kh * kw)
    blocks = list(_tiles(n, x.shape[1] * kh * kw, out_hw, x.itemsize))
    if len(blocks) == 1:
        cols = _im2col_matrix(x, (kh, kw), stride, pads, dilation, out_hw)
        return _windows_product(w, cols, groups, out_hw)
    out = np.empty((n, o) + tuple(out_hw), np.result_type(x, w))
    for n0, n1, a, b in blocks:
        r0, r1, pads_h = _input_rows(a, b, x.shape[2], kh, stride[0], dilation[0], pads[0])
        cols = _im2col_matrix(
            x[n0:n1, :, r0:r1], (kh, kw), stride, (pads_h, pads[1]), dilation, (b - a, out_hw[1])
        )
        cols = cols.reshape(n1 - n0, groups, cg * kh * kw, (b - a) * out_hw[1])
        out[n0:n1, :, a:b] = np.matmul(wm, cols).reshape(n1 - n0, o, b - a, out_hw[1])
    return out


def _windows_product(w, cols, groups, out_hw):
    """The forward's GEMMs on per-sample windows ``cols`` (N, C*kh*kw, Ho*Wo): one product
    per sample and group, (N, G, O/G, Ho*Wo), which is the NCHW output (N, O, Ho, Wo)."""
    n, (o, kg) = cols.shape[0], (w.shape[0], w.shape[1] * w.shape[2] * w.shape[3])
    wm = w.reshape(groups, o // groups, kg)
    shape = (n, groups, o // groups, out_hw[0] * out_hw[1])
    out = _scratch(shape, np.result_type(w, cols), cols)
    return np.matmul(wm, cols.reshape(n, groups, kg, shape[-1]), out=out).reshape(n, o, *out_hw)


def _scratch(shape, dtype, like):
    """A new array for a product's result: on the numba backend from
    autograd/kernels/buffers.py (no page faults for the step's multi-MB temporaries), else
    None (NumPy allocates it)."""
    k = dispatch.kernels("conv", like)
    return None if k is None else k.empty(shape, dtype)


def _conv2d_input_grad_np(g, w, in_hw, stride, pads, dilation, groups):
    """d(conv)/dx applied to g: window gradients w^T g, added back by col2im. This is also
    the forward of ``conv_transpose2d``. Large cases go block by block (``_tiles``): each
    block of output rows adds into the input rows its windows cover."""
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    wm = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1)  # (G, K, O/G)
    blocks = list(_tiles(n, groups * cg * kh * kw, (ho, wo), g.itemsize))
    if len(blocks) == 1:
        shape = (n, groups, cg * kh * kw, ho * wo)
        gm = g.reshape(n, groups, o // groups, ho * wo)
        cols = np.matmul(wm, gm, out=_scratch(shape, np.result_type(g, w), g))  # (N, G, K, L)
        return _col2im_matrix(
            cols.reshape(n, groups * cg * kh * kw, ho * wo),
            groups * cg,
            in_hw,
            (kh, kw),
            (ho, wo),
            stride,
            pads,
            dilation,
        )
    out = np.zeros((n, groups * cg) + tuple(in_hw), np.result_type(g, w))
    for n0, n1, a, b in blocks:
        r0, r1, pads_h = _input_rows(a, b, in_hw[0], kh, stride[0], dilation[0], pads[0])
        gb = np.ascontiguousarray(g[n0:n1, :, a:b]).reshape(n1 - n0, groups, o // groups, -1)
        cols = np.matmul(wm, gb).reshape(n1 - n0, groups * cg * kh * kw, (b - a) * wo)
        out[n0:n1, :, r0:r1] += _col2im_matrix(
            cols,
            groups * cg,
            (r1 - r0, in_hw[1]),
            (kh, kw),
            (b - a, wo),
            stride,
            (pads_h, pads[1]),
            dilation,
        )
    return out


def _conv2d_weight_grad_np(x, g, kernel, stride, pads, dilation, groups):
    """d(conv)/dw applied to g: sum over batch and positions of g * windows (block by block
    in large cases, see ``_tiles``)."""
    n, o, ho, wo = g.shape
    cg = x.shape[1] // groups
    kh, kw = kernel
    blocks = list(_tiles(n, x.shape[1] * kh * kw, (ho, wo), x.itemsize))
    if len(blocks) == 1:
        cols = _im2col_matrix(x, kernel, stride, pads, dilation, (ho, wo))
        return _windows_weight_grad(cols, g, groups, (o, cg, kh, kw))
    gw = None
    for n0, n1, a, b in blocks:
        r0, r1, pads_h = _input_rows(a, b, x.shape[2], kh, stride[0], dilation[0], pads[0])
        cols = _im2col_matrix(
            x[n0:n1, :, r0:r1], kernel, stride, (pads_h, pads[1]), dilation, (b - a, wo)
        )
        cols = cols.reshape(n1 - n0, groups, cg * kh * kw, (b - a) * wo)
        gm = np.ascontiguousarray(g[n0:n1, :, a:b]).reshape(n1 - n0, groups, o // groups, -1)
        part = _gemm(gm, cols.transpose(0, 1, 3, 2)).sum(axis=0)  # (G, O/G, K)
        gw = part if gw is None else gw + part
    return gw.reshape(o, cg, kh, kw)


def _windows_weight_grad(cols, g, groups, w_shape):
    """The weight gradient from per-sample windows ``cols`` (N, C*kh*kw, Ho*Wo): per sample
    and group g_n @ cols_n^T, summed over the samples."""
    n, o = g.shape[:2]
    cols = cols.reshape(n, groups, cols.shape[1] // groups, cols.shape[2])
    gm = g.reshape(n, groups, o // groups, cols.shape[-1])
    gw = _gemm(gm, cols.transpose(0, 1, 3, 2)).sum(axis=0)  # (G, O/G, K)
    return gw.reshape(w_shape)


# ---- the numba backend keeps the windows for the weight gradient --------------------------------
# The general path builds the window matrix twice per training step: in the forward, and again
# for the weight gradient. On the numba backend, a convolution whose matrix fits in one block
# (``_tiles``) keeps the forward's matrix instead when the weight's gradient will be wanted
# (the matrix comes from autograd/kernels/buffers.py, so the next step reuses its memory). The
# products are the general path's, on the same matrix: the same values bit for bit.
_KEPT_WINDOWS_BUDGET = _IM2COL_BUDGET  # bytes (-1: never keep; the tests compare both paths)


def _keeps_windows(x, w, out_hw, needs) -> bool:
    """Whether conv2d of ``x`` (4-D) with ``w`` keeps its window matrix for the backward."""
    if len(needs) < 2 or not needs[1] or x.ndim != 4 or x.shape[0] == 0:
        return False
    k = x.shape[1] * w.shape[2] * w.shape[3]
    if x.shape[0] * k * out_hw[0] * out_hw[1] * x.itemsize > min(
        _KEPT_WINDOWS_BUDGET, _IM2COL_BUDGET
    ):
        return False
    return dispatch.kernels("conv", x, w) is not None


def _conv2d_forward_keep(x, w, stride, pads, dilation, groups, out_hw):
    """The general forward (one block) that also returns its per-sample window matrix."""
    cols = _im2col_matrix(x, w.shape[2:], stride, pads, dilation, out_hw)
    return _windows_product(w, cols, groups, out_hw), cols


# ---- small convolutions: the whole batch in one GEMM ---------------------------------------------
# Per-sample GEMMs are efficient on big images; on small ones (the MNIST-1D CNN's 10 output
# positions) numpy's loop of N tiny products and the weight gradient's sum over samples cost
# more than the arithmetic. When the output has at most this many positions and the window
# matrix fits in this many bytes, conv2d lays it out batch-major, (C*kh*kw, N*Ho*Wo): the
# forward is one GEMM (a transpose, fused with the bias, turns (O, N, L) into NCHW), and the
# forward keeps the matrix for the weight gradient, one GEMM too, instead of computing the
# windows again. (On bigger images the transposes cost more than they save: bench_conv.py's
# 26x26 and 11x11 layers stay per-sample.)
_BATCH_MAX_POSITIONS = 64
_BATCH_COLS_BUDGET = 8 * 2**20


def _batch_major(x, w, out_hw) -> bool:
    """Whether conv2d of ``x`` with ``w`` takes the batch-major path (4-D, small images)."""
    if x.ndim != 4 or out_hw[0] * out_hw[1] > _BATCH_MAX_POSITIONS:
        return False
    k = x.shape[1] * w.shape[2] * w.shape[3]
    return k * x.shape[0] * out_hw[0] * out_hw[1] * x.itemsize <= _BATCH_COLS_BUDGET


def _rows_to_batch(rows, b):
    """(O, N, L) -> (N, O, L), plus the bias per output channel if any."""
    k = dispatch.kernels("conv", rows)
    if k is None:
        out = np.ascontiguousarray(rows.transpose(1, 0, 2))
        if b is not None:
            out += b[:, None]
        return out
    out = np.empty((rows.shape[1], rows.shape[0], rows.shape[2]), rows.dtype)
    k.rows_to_batch(rows, b if b is not None else np.empty(0, rows.dtype), out)
    return out


def _batch_to_rows(g):
    """(N, O, L) -> (O, N, L), contiguous."""
    k = dispatch.kernels("conv", g)
    if k is None or not g.flags.c_contiguous:
        return np.ascontiguousarray(g.transpose(1, 0, 2))
    out = np.empty((g.shape[1], g.shape[0], g.shape[2]), g.dtype)
    k.batch_to_rows(g, out)
    return out


def _samples_inner(n, out_hw) -> bool:
    """Whether the window kernels run with the sample loop innermost (``im2col_batch``):
    when the output rows are short next to the batch, their per-row loops would cost more
    than the copying."""
    return 4 * out_hw[1] <= n


def _im2col_batch(x, kernel, stride, pads, dilation, out_hw):
    """The windows of x as a batch-major (C*kh*kw, N, Ho*Wo) matrix."""
    n, c = x.shape[:2]
    cols = np.empty((c * kernel[0] * kernel[1], n, out_hw[0] * out_hw[1]), x.dtype)
    k = dispatch.kernels("conv", x)
    if k is not None and _samples_inner(n, out_hw):
        geometry = _window_args(kernel, stride, pads, dilation)
        k.im2col_batch(np.ascontiguousarray(x), *geometry, *out_hw, cols)
    else:  # the per-sample walk, writing through the (n, k, l) view
        _im2col_matrix(x, kernel, stride, pads, dilation, out_hw, out=cols.transpose(1, 0, 2))
    return cols


def _col2im_batch(cols, c, in_hw, kernel, out_hw, stride, pads, dilation):
    """Adjoint of ``_im2col_batch``: (C*kh*kw, N, Ho*Wo) window values into (N, C, H, W)."""
    k = dispatch.kernels("conv", cols)
    if k is None or not _samples_inner(cols.shape[1], out_hw):
        view = cols.transpose(1, 0, 2)
        return _col2im_matrix(view, c, in_hw, kernel, out_hw, stride, pads, dilation)
    out = np.zeros((cols.shape[1], c) + tuple(in_hw), cols.dtype)
    k.col2im_batch(cols, *_window_args(kernel, stride, pads, dilation), *out_hw, out)
    return out


def _conv2d_forward_batch(x, w, b, stride, pads, dilation, groups, out_hw):
    """The forward of a small conv2d: (y with bias, the batch-major window matrix)."""
    n, o, (_, cg, kh, kw) = x.shape[0], w.shape[0], w.shape
    kg, l = cg * kh * kw, out_hw[0] * out_hw[1]
    cols = _im2col_batch(x, (kh, kw), stride, pads, dilation, out_hw)
    rows = np.matmul(w.reshape(groups, o // groups, kg), cols.reshape(groups, kg, n * l))
    return _rows_to_batch(rows.reshape(o, n, l), b).reshape((n, o) + tuple(out_hw)), cols


def _conv2d_backward_batch(g, x_shape, w, cols, needs, stride, pads, dilation, groups):
    """The three gradients of a small conv2d from the matrix its forward kept: one transpose
    of ``g``, then one GEMM each for the input (with col2im) and the weight."""
    need_x, need_w, need_b = needs
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    kg = cg * kh * kw
    rows = _batch_to_rows(g.reshape(n, o, ho * wo)).reshape(groups, o // groups, n * ho * wo)
    gx = gw = gb = None
    if need_x:
        wt = w.reshape(groups, o // groups, kg).transpose(0, 2, 1)  # (G, K/G, O/G)
        gcols = np.matmul(wt, rows).reshape(groups * kg, n, ho * wo)
        gx = _col2im_batch(
            gcols,
            x_shape[1],
            x_shape[2:],
            (kh, kw),
            (ho, wo),
            stride,
            pads,
            dilation,
        )
    if need_w:
        cols = cols.reshape(groups, kg, n * ho * wo)
        gw = np.matmul(rows, cols.transpose(0, 2, 1)).reshape(w.shape)  # (G, O/G, K/G)
    if need_b:
        gb = rows.reshape(o, -1).sum(axis=1)
    return gx, gw, gb


def _conv3d_forward_np(x, w, stride, pads, dilation, groups, out_hw=None):
    """The same im2col + one GEMM per group for 3-D inputs (N, C, D, H, W), without the
    blocking and the Numba kernels of the 2-D path."""
    n, (o, cg), kernel = x.shape[0], w.shape[:2], w.shape[2:]
    cols = _im2col(x, kernel, stride, pads, dilation, out_hw=out_hw)  # (N, C, *k, *out)
    out = cols.shape[2 + len(kernel) :]
    k = cg * int(np.prod(kernel))
    cols = cols.reshape(n, groups, k, int(np.prod(out)))
    return np.matmul(w.reshape(groups, o // groups, k), cols).reshape((n, o) + out)


def _conv3d_input_grad_np(g, w, in_hw, stride, pads, dilation, groups):
    (n, o), out, (cg, *kernel) = g.shape[:2], g.shape[2:], w.shape[1:]
    wm = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)  # (G, K, O/G)
    cols = np.matmul(wm, g.reshape(n, groups, o // groups, -1))  # (N, G, K, L)
    return _col2im(
        cols.reshape((n, groups * cg) + tuple(kernel) + out), in_hw, stride, pads, dilation
    )


def _conv3d_weight_grad_np(x, g, kernel, stride, pads, dilation, groups):
    (n, o), out = g.shape[:2], g.shape[2:]
    cg = x.shape[1] // groups
    cols = _im2col(x, kernel, stride, pads, dilation, out_hw=out)
    cols = cols.reshape(n, groups, cg * int(np.prod(kernel)), -1)
    gm = g.reshape(n, groups, o // groups, -1)
    return np.matmul(gm, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape((o, cg) + tuple(kernel))


# the array routines by number of spatial dims. A 1-D convolution runs as a 2-D one over a
# height-1 image: its (N, C, L) arrays are viewed as (N, C, 1, L) here, inside the ops, so
# conv1d records one op, not an unsqueeze and a squeeze around it. Its arguments (stride,
# pads, dilation) come in 2-D form; the sizes read off its arrays (``in_hw``, ``kernel``,
# ``out_hw``) get the height 1 here.
def _as_2d(a):
    """A 1-D convolution's (N, C, L) array as (N, C, 1, L); other arrays unchanged."""
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if a.ndim == 3 else a


def _from_2d(a):
    """(N, C, 1, L) -> (N, C, L): the result of a 1-D convolution run as 2-D."""
    return a.reshape(a.shape[:2] + a.shape[3:])


def _size_2d(size):
    return (1,) + tuple(size) if size is not None and len(size) == 1 else size


def _conv_forward_np(x, w, stride, pads, dilation, groups, out_hw=None):
    if x.ndim == 3:
        y = _conv2d_forward_np(
            _as_2d(x), _as_2d(w), stride, pads, dilation, groups, _size_2d(out_hw)
        )
        return _from_2d(y)
    fn = _conv2d_forward_np if x.ndim == 4 else _conv3d_forward_np
    return fn(x, w, stride, pads, dilation, groups, out_hw)


def _conv_input_grad_np(g, w, in_hw, *args):
    if g.ndim == 3:
        return _from_2d(_conv2d_input_grad_np(_as_2d(g), _as_2d(w), _size_2d(in_hw), *args))
    return (_conv2d_input_grad_np if g.ndim == 4 else _conv3d_input_grad_np)(g, w, in_hw, *args)


def _conv_weight_grad_np(x, g, kernel, *args):
    if x.ndim == 3:
        return _from_2d(_conv2d_weight_grad_np(_as_2d(x), _as_2d(g), _size_2d(kernel), *args))
    fn = _conv2d_weight_grad_np if x.ndim == 4 else _conv3d_weight_grad_np
    return fn(x, g, kernel, *args)


def _channel_shape(b, ndim):
    """A bias (C,) shaped to broadcast over (N, C, *spatial)."""
    return b.reshape((1, -1) + (1,) * (ndim - 2))


def _spatial_sum_dims(ndim):
    return (0,) + tuple(range(2, ndim))


# ---- the convolution family (three bilinear ops, closed under differentiation) ----------------
def _conv_jvp(ctx, tangents, xp):
    """Forward mode for Convolution and ConvolutionInputGrad: bilinear in the first two
    inputs (one term each, without the bias), plus the bias's tangent at every position."""
    x, w, _ = ctx.primals
    tx, tw, tb = tangents
    terms = [
        apply_op(ctx, (tx, w, None), xp) if tx is not None else None,
        apply_op(ctx, (x, tw, None), xp) if tw is not None else None,
    ]
    if tb is not None:
        out_shape = tuple(ctx.output.shape)
        terms.append(xp.expand(xp.reshape(tb, (1, -1) + (1,) * (len(out_shape) - 2)), out_shape))
    return sum_terms(terms)


def _saved_with_bias(ctx, operands, args, y, b):
    """A bilinear op's forward ends alike: keep both operands and the conv arguments for the
    VJP, and add the bias, if any, per output channel (in place: ``y`` is a fresh array)."""
    ctx.args = args
    ctx.save_for_backward(*operands)
    if b is not None:
        y += _channel_shape(b, y.ndim)
    return y


class Convolution(Op):
    """conv2d forward (with an optional fused bias)."""

    jvp = staticmethod(_conv_jvp)

    grad_fn_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups, out_hw=None):
        x2, w2, out_hw = _as_2d(x), _as_2d(w), _size_2d(out_hw)
        if out_hw is None and x2.ndim == 4:
            out_hw = tuple(
                _out_size(n, k, s, *p, d)
                for n, k, s, p, d in zip(x2.shape[2:], w2.shape[2:], stride, pads, dilation)
            )
        args = (stride, pads, dilation, groups)
        if _batch_major(x2, w2, out_hw):  # small: one GEMM, the windows kept for backward
            y, cols = _conv2d_forward_batch(x2, w2, b, *args, out_hw)
            ctx.args, ctx.kept = args, "batch"
            ctx.save_for_backward(x, w, cols)
            return _from_2d(y) if x.ndim == 3 else y
        if _keeps_windows(x2, w2, out_hw, ctx.needs_input_grad):  # numba: windows kept
            y, cols = _conv2d_forward_keep(x2, w2, *args, out_hw)
            ctx.kept = "samples"
            y = _saved_with_bias(ctx, (x, w, cols), args, y, b)
            return _from_2d(y) if x.ndim == 3 else y
        y = _conv_forward_np(x, w, stride, pads, dilation, groups, out_hw)
        return _saved_with_bias(ctx, (x, w), args, y, b)

    @staticmethod
    def backward(ctx, g, xp):
        x, w, *cols = ctx.saved_tensors
        if cols and not xp.graph and ctx.kept == "samples":
            # the general VJP with the forward's windows for the weight gradient
            need_x, need_w, need_b = ctx.needs_input_grad
            gx = xp.conv2d_input_grad(g, w, tuple(x.shape[2:]), *ctx.args) if need_x else None
            gw = _windows_weight_grad(cols[0], _as_2d(g), ctx.args[3], _as_2d(w).shape)
            gb = xp.sum(g, _spatial_sum_dims(len(g.shape))) if need_b else None
            return gx, (_from_2d(gw) if x.ndim == 3 else gw), gb
        if cols and not xp.graph:  # the batch-major forward kept its windows
            gx, gw, gb = _conv2d_backward_batch(
                _as_2d(g), _as_2d(x).shape, _as_2d(w), cols[0], ctx.needs_input_grad, *ctx.args
            )
            if x.ndim == 3:  # conv1d
                gx = None if gx is None else _from_2d(gx)
                gw = None if gw is None else _from_2d(gw)
            return gx, gw, gb
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = xp.conv2d_input_grad(g, w, tuple(x.shape[2:]), *ctx.args) if need_x else None
        gw = xp.conv2d_weight_grad(x, g, tuple(w.shape[2:]), *ctx.args) if need_w else None
        gb = xp.sum(g, _spatial_sum_dims(len(g.shape))) if need_b else None
        return gx, gw, gb


class ConvolutionInputGrad(Op):
    """``convT(g, w)``: the adjoint of conv2d in x (conv_transpose2d, with a fused bias).

    <h, convT(g, w)> = <conv(h, w), g>, so its VJP is conv(h, w) for g and convW(h, g) for w."""

    jvp = staticmethod(_conv_jvp)

    grad_fn_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, g, w, b, in_hw, stride, pads, dilation, groups):
        y = _conv_input_grad_np(g, w, in_hw, stride, pads, dilation, groups)
        return _saved_with_bias(ctx, (g, w), (stride, pads, dilation, groups), y, b)

    @staticmethod
    def backward(ctx, h, xp):
        need_g, need_w, need_b = ctx.needs_input_grad
        g, w = ctx.saved_tensors
        return (
            xp.conv2d_raw(h, w, *ctx.args, tuple(g.shape[2:])) if need_g else None,
            xp.conv2d_weight_grad(h, g, tuple(w.shape[2:]), *ctx.args) if need_w else None,
            xp.sum(h, _spatial_sum_dims(len(h.shape))) if need_b else None,
        )


class ConvolutionWeightGrad(Op):
    """``convW(x, g)``: the adjoint of conv2d in w. <convW(x, g), H> = <conv(x, H), g>, so its
    VJP is convT(g, H) for x and conv(x, H) for g."""

    jvp = staticmethod(multilinear_jvp)

    grad_fn_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, g, kernel, stride, pads, dilation, groups):
        ctx.args = (stride, pads, dilation, groups)
        ctx.save_for_backward(x, g)
        return _conv_weight_grad_np(x, g, kernel, stride, pads, dilation, groups)

    @staticmethod
    def backward(ctx, hw, xp):
        x, g = ctx.saved_tensors
        need_x, need_g = ctx.needs_input_grad
        gx = xp.conv2d_input_grad(g, hw, tuple(x.shape[2:]), *ctx.args) if need_x else None
        gg = xp.conv2d_raw(x, hw, *ctx.args, tuple(g.shape[2:])) if need_g else None
        return gx, gg


_xp.define(
    "conv2d_raw",
    numpy=lambda x, w, *a: _conv_forward_np(x, w, *a),
    tensor=lambda x, w, stride, pads, dilation, groups, out_hw=None: Convolution.apply(
        x, w, None, stride=stride, pads=pads, dilation=dilation, groups=groups, out_hw=out_hw
    ),
)
_xp.define(
    "conv2d_input_grad",
    numpy=lambda g, w, hw, *a: _conv_input_grad_np(g, w, hw, *a),
    tensor=lambda g, w, hw, stride, pads, dilation, groups: ConvolutionInputGrad.apply(
        g, w, None, in_hw=hw, stride=stride, pads=pads, dilation=dilation, groups=groups
    ),
)
_xp.define(
    "conv2d_weight_grad",
    numpy=lambda x, g, k, *a: _conv_weight_grad_np(x, g, k, *a),
    tensor=lambda x, g, k, stride, pads, dilation, groups: ConvolutionWeightGrad.apply(
        x, g, kernel=k, stride=stride, pads=pads, dilation=dilation, groups=groups
    ),
)


# ---- conv1d / conv2d ----------------------------------------------------------------------------
def _conv_pads(padding, kernel, dilation, stride, nd, opname):
    """int / tuple / 'valid' / 'same' -> ((lo, hi), ...) per spatial dim."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            # total d (k - 1); the odd extra row/column goes to the end, like torch
            return tuple(
                (d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation)
            )
        raise ValueError(f"Invalid padding string: {padding!r}")
    pad = _ntuple(padding, nd, "padding", opname)
    if any(p < 0 for p in pad):
        raise ValueError("negative padding is not supported")
    return tuple((p, p) for p in pad)


def _batched(input, weight, nd, opname, weight_layout):
    """The checks every convolution starts with (``weight_layout`` names the weight's first
    two dims in torch's message); returns the input as a batch (one sample when it is
    unbatched) and whether it was unbatched."""
    from .movement import unsqueeze

    float_input(input, opname)
    float_input(weight, opname, "weight")
    if input.ndim not in (nd + 1, nd + 2):
        raise ShapeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
            f"{opname}, but got input of size: {shape_str(input.shape)}"
        )
    if weight.ndim != nd + 2:
        raise ShapeError(
            f"{opname}: expected weight of {nd + 2} dimensions ({weight_layout}, "
            f"*kernel_size), but got weight of size {shape_str(weight.shape)}"
        )
    unbatched = input.ndim == nd + 1
    return (unsqueeze(input, 0) if unbatched else input), unbatched


def _check_bias_and_dtypes(x, weight, bias, channels, opname, given):
    """The checks conv and conv_transpose share: a 1-D bias of one value per output channel
    (``given`` starts torch's message), and weight and bias of the input's dtype."""
    if bias is not None:
        float_input(bias, opname, "bias")
        if bias.ndim != 1 or bias.shape[0] != channels:
            raise ShapeError(
                f"{given}weight of size {shape_str(weight.shape)}, expected bias to "
                f"be 1-dimensional with {channels} elements, but got bias of size "
                f"{shape_str(bias.shape)} instead"
            )
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and t._data.dtype != x._data.dtype:
            raise DTypeError(
                f"{opname}: input type ({x.dtype}) and {name} type ({t.dtype}) should be the same"
            )


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd):
    opname = f"conv{nd}d"
    from .movement import squeeze

    x, unbatched = _batched(input, weight, nd, opname, "out_channels, in_channels / groups")
    stride = _ntuple(stride, nd, "stride", opname)
    dilation = _ntuple(dilation, nd, "dilation", opname)
    kernel = tuple(weight.shape[2:])
    if any(s <= 0 for s in stride):
        raise ValueError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise ValueError("dilation should be greater than zero")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError("non-positive groups is not supported")
    pads = _conv_pads(padding, kernel, dilation, stride, nd, opname)
    o = weight.shape[0]
    if o % groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size [{shape_str(weight.shape)}] "
            f"instead"
        )
    if x.shape[1] != weight.shape[1] * groups:
        raise ShapeError(
            f"Given groups={groups}, weight of size {shape_str(weight.shape)}, "
            f"expected input{shape_str(x.shape)} to have "
            f"{weight.shape[1] * groups} channels, but got {x.shape[1]} channels "
            f"instead"
        )
    _check_bias_and_dtypes(x, weight, bias, o, opname, "Given ")
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(e > p for e, p in zip(eff, padded)):
        padded_s, eff_s = " x ".join(map(str, padded)), " x ".join(map(str, eff))
        raise ShapeError(
            f"Calculated padded input size per channel: ({padded_s}). Kernel size: "
            f"({eff_s}). Kernel size can't be greater than actual input size"
        )
    if nd == 1:  # a 1-D conv is a 2-D conv over a height-1 image (see _as_2d)
        stride, pads, dilation = (1,) + stride, ((0, 0),) + pads, (1,) + dilation
    y = Convolution.apply(
        x, weight, bias, stride=stride, pads=pads, dilation=dilation, groups=int(groups)
    )
    return squeeze(y, 0) if unbatched else y


@_amp.lower_precision
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D convolution (cross-correlation) over (N, C, H, W) or unbatched (C, H, W) input.

    ``padding``: int, pair, ``'valid'`` or ``'same'`` (stride 1). Example:
        >>> x = autograd.ones(1, 1, 3, 3)
        >>> autograd.conv2d(x, autograd.ones(1, 1, 2, 2)).shape
        autograd.Size([1, 1, 2, 2])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2)


@_amp.lower_precision
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D convolution over (N, C, L) or unbatched (C, L) input.

    Example:
        >>> autograd.conv1d(autograd.ones(1, 1, 5), autograd.ones(1, 1, 3)).shape
        autograd.Size([1, 1, 3])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1)


@_amp.lower_precision
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-D convolution over (N, C, D, H, W) or unbatched (C, D, H, W) input (videos,
    volumes); weight (out_channels, in_channels / groups, kD, kH, kW).

    Example:
        >>> x = autograd.ones(1, 2, 4, 5, 5)
        >>> autograd.conv3d(x, autograd.ones(3, 2, 3, 3, 3), padding=1).shape
        autograd.Size([1, 3, 4, 5, 5])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3)


def _ref_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Shift-and-accumulate reference (independent of im2col), any number of spatial dims:
    one einsum per kernel tap."""
    nd = w.ndim - 2
    if x.ndim == nd + 1:
        return _ref_conv(x[None], w, b, stride, padding, dilation, groups)[0]
    s, d = _ntuple(stride, nd, "", ""), _ntuple(dilation, nd, "", "")
    pads = _conv_pads(padding, w.shape[2:], d, s, nd, "")
    xp_ = _pad_nd(x, pads)
    o, cg, kernel = w.shape[0], w.shape[1], w.shape[2:]
    out = [(n - d_ * (k - 1) - 1) // s_ + 1 for n, k, s_, d_ in zip(xp_.shape[2:], kernel, s, d)]
    og = o // groups
    res = np.zeros([x.shape[0], o] + out, x.dtype)
    for gi in range(groups):
        xs = xp_[:, gi * cg : (gi + 1) * cg]
        for tap in itertools.product(*(range(k) for k in kernel)):
            patch = xs[
                (slice(None),) * 2
                + tuple(
                    slice(i * d_, i * d_ + s_ * (m - 1) + 1, s_)
                    for i, d_, s_, m in zip(tap, d, s, out)
                )
            ]
            res[:, gi * og : (gi + 1) * og] += np.einsum(
                "nc...,oc->no...", patch, w[(slice(gi * og, (gi + 1) * og), slice(None)) + tap]
            )
    if b is not None:
        res += b.reshape((1, -1) + (1,) * nd)
    return res


def conv_samples(*rows):
    """``samples`` for conv and conv_transpose: each row is (input shape, weight shape, bias
    shape or None, keyword arguments), drawn from a standard normal in that order."""
    return shaped_samples(normal, *rows, arrays=3)


_conv2d_samples = conv_samples(
    ((2, 2, 5, 5), (3, 2, 3, 3), (3,), {}),
    ((1, 2, 6, 5), (2, 2, 2, 3), None, dict(stride=2, padding=1)),
    ((1, 4, 5, 6), (4, 2, 2, 2), (4,), dict(groups=2, dilation=(2, 1), padding=(1, 0))),
    ((1, 2, 4, 5), (2, 2, 2, 3), (2,), dict(padding="same")),
    ((1, 1, 4, 4), (2, 1, 3, 3), None, dict(padding="valid", stride=(1, 2))),
    ((4, 4, 4), (2, 2, 2, 2), None, dict(groups=2)),  # unbatched
)
_conv1d_samples = conv_samples(
    ((2, 2, 7), (3, 2, 3), (3,), {}),
    ((1, 4, 8), (2, 2, 2), None, dict(stride=2, padding=1, dilation=2, groups=2)),
    ((1, 2, 6), (2, 2, 4), (2,), dict(padding="same")),
)
_conv3d_samples = conv_samples(
    ((2, 2, 3, 4, 3), (3, 2, 2, 3, 2), (3,), {}),
    (
        (1, 4, 4, 3, 5),
        (2, 2, 2, 2, 2),
        None,
        dict(stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2),
    ),
    ((2, 3, 3, 4), (2, 2, 2, 2, 3), (2,), dict(padding="same")),
)
register_functions(
    "conv",
    [
        ("conv2d", conv2d, _ref_conv, _conv2d_samples),
        ("conv1d", conv1d, _ref_conv, _conv1d_samples),
        ("conv3d", conv3d, _ref_conv, _conv3d_samples),
    ],
)
