"""Convolution (``torch.nn.functional`` names and signatures): conv1d / conv2d,
conv_transpose1d / conv_transpose2d, unfold / fold.

Everything is built on two array routines (the NumPy reference):

* ``_im2col``: a strided *view* of every kernel window, shape (N, C, kh, kw, Ho, Wo), made
  with ``sliding_window_view`` (no copy until a reshape feeds it to BLAS);
* ``_col2im``: its adjoint, adding window values back into an image (kh * kw slice-adds).

On the numba backend ``_im2col_matrix`` / ``_col2im_matrix`` run Numba kernels
(``autograd/kernels/conv.py``) instead: one pass each, padding handled in the loop. The
GEMMs are BLAS on both backends.

The differentiable ops come in closed families, so that every VJP is written with ops of the
same family and gradients of any order work:

* convolution ``y = conv(x, w)``, its input gradient ``convT(g, w)`` (which *is*
  ``conv_transpose2d``) and its weight gradient ``convW(x, g)``. All three are bilinear and
  each one's VJP is made of the other two;
* ``unfold`` / ``fold`` (im2col / col2im), each the other's VJP.

Spatial ops are written for 2-D; the 1-D forms insert a height-1 axis. Padding is kept
per side, ``((top, bottom), (left, right))``, because ``padding='same'`` pads
asymmetrically. Pooling is in pooling.py.
"""
from __future__ import annotations

import numpy as np

from .. import amp as _amp
from ..errors import DTypeError, ShapeError, shape_str
from ..function import Op
from ..tensor import Tensor
from . import xp as _xp
from ._windows import (_check_tensor, _col2im_matrix, _im2col_matrix,
                       _ntuple, _out_size, _pad2d)
from .registry import OpInfo, Sample, register, torch_functional

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


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
    lo = a * sh - pads_h[0]                           # first row read, in input coordinates
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
        out_hw = (_out_size(x.shape[2], kh, stride[0], *pads[0], dilation[0]),
                  _out_size(x.shape[3], kw, stride[1], *pads[1], dilation[1]))
    wm = w.reshape(groups, o // groups, cg * kh * kw)
    blocks = list(_tiles(n, x.shape[1] * kh * kw, out_hw, x.itemsize))
    if len(blocks) == 1:
        cols = _im2col_matrix(x, (kh, kw), stride, pads, dilation, out_hw)
        cols = cols.reshape(n, groups, cg * kh * kw, out_hw[0] * out_hw[1])
        return np.matmul(wm, cols).reshape(n, o, *out_hw)  # (N, G, O/G, L) is NCHW
    out = np.empty((n, o) + tuple(out_hw), np.result_type(x, w))
    for n0, n1, a, b in blocks:
        r0, r1, pads_h = _input_rows(a, b, x.shape[2], kh, stride[0], dilation[0], pads[0])
        cols = _im2col_matrix(x[n0:n1, :, r0:r1], (kh, kw), stride, (pads_h, pads[1]), dilation,
                              (b - a, out_hw[1]))
        cols = cols.reshape(n1 - n0, groups, cg * kh * kw, (b - a) * out_hw[1])
        out[n0:n1, :, a:b] = np.matmul(wm, cols).reshape(n1 - n0, o, b - a, out_hw[1])
    return out


def _conv2d_input_grad_np(g, w, in_hw, stride, pads, dilation, groups):
    """d(conv)/dx applied to g: window gradients w^T g, added back by col2im. This is also
    the forward of ``conv_transpose2d``. Large cases go block by block (``_tiles``): each
    block of output rows adds into the input rows its windows cover."""
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    wm = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1)   # (G, K, O/G)
    blocks = list(_tiles(n, groups * cg * kh * kw, (ho, wo), g.itemsize))
    if len(blocks) == 1:
        cols = np.matmul(wm, g.reshape(n, groups, o // groups, ho * wo))  # (N, G, K, L)
        return _col2im_matrix(cols.reshape(n, groups * cg * kh * kw, ho * wo), groups * cg,
                              in_hw, (kh, kw), (ho, wo), stride, pads, dilation)
    out = np.zeros((n, groups * cg) + tuple(in_hw), np.result_type(g, w))
    for n0, n1, a, b in blocks:
        r0, r1, pads_h = _input_rows(a, b, in_hw[0], kh, stride[0], dilation[0], pads[0])
        gb = np.ascontiguousarray(g[n0:n1, :, a:b]).reshape(n1 - n0, groups, o // groups, -1)
        cols = np.matmul(wm, gb).reshape(n1 - n0, groups * cg * kh * kw, (b - a) * wo)
        out[n0:n1, :, r0:r1] += _col2im_matrix(cols, groups * cg, (r1 - r0, in_hw[1]), (kh, kw),
                                               (b - a, wo), stride, (pads_h, pads[1]), dilation)
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
        cols = cols.reshape(n, groups, cg * kh * kw, ho * wo)
        gm = g.reshape(n, groups, o // groups, ho * wo)
        gw = np.matmul(gm, cols.transpose(0, 1, 3, 2)).sum(axis=0)     # (G, O/G, K)
        return gw.reshape(o, cg, kh, kw)
    gw = None
    for n0, n1, a, b in blocks:
        r0, r1, pads_h = _input_rows(a, b, x.shape[2], kh, stride[0], dilation[0], pads[0])
        cols = _im2col_matrix(x[n0:n1, :, r0:r1], kernel, stride, (pads_h, pads[1]), dilation,
                              (b - a, wo))
        cols = cols.reshape(n1 - n0, groups, cg * kh * kw, (b - a) * wo)
        gm = np.ascontiguousarray(g[n0:n1, :, a:b]).reshape(n1 - n0, groups, o // groups, -1)
        part = np.matmul(gm, cols.transpose(0, 1, 3, 2)).sum(axis=0)    # (G, O/G, K)
        gw = part if gw is None else gw + part
    return gw.reshape(o, cg, kh, kw)


# ---- the convolution family (three bilinear ops, closed under differentiation) ----------------
class Convolution(Op):
    """conv2d forward (with an optional fused bias)."""

    grad_fn_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups, out_hw=None):
        ctx.args = (stride, pads, dilation, groups)
        ctx.save_for_backward(x, w)
        y = _conv2d_forward_np(x, w, stride, pads, dilation, groups, out_hw)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = xp.conv2d_input_grad(g, w, tuple(x.shape[2:]), *ctx.args) if need_x else None
        gw = xp.conv2d_weight_grad(x, g, tuple(w.shape[2:]), *ctx.args) if need_w else None
        gb = xp.sum(g, (0, 2, 3)) if need_b else None
        return gx, gw, gb


class ConvolutionInputGrad(Op):
    """``convT(g, w)``: the adjoint of conv2d in x (conv_transpose2d, with a fused bias).

    <h, convT(g, w)> = <conv(h, w), g>, so its VJP is conv(h, w) for g and convW(h, g) for w."""

    grad_fn_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, g, w, b, in_hw, stride, pads, dilation, groups):
        ctx.args = (stride, pads, dilation, groups)
        ctx.save_for_backward(g, w)
        y = _conv2d_input_grad_np(g, w, in_hw, stride, pads, dilation, groups)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    @staticmethod
    def backward(ctx, h, xp):
        g, w = ctx.saved_tensors
        need_g, need_w, need_b = ctx.needs_input_grad
        gg = xp.conv2d_raw(h, w, *ctx.args, tuple(g.shape[2:])) if need_g else None
        gw = xp.conv2d_weight_grad(h, g, tuple(w.shape[2:]), *ctx.args) if need_w else None
        gb = xp.sum(h, (0, 2, 3)) if need_b else None
        return gg, gw, gb


class ConvolutionWeightGrad(Op):
    """``convW(x, g)``: the adjoint of conv2d in w. <convW(x, g), H> = <conv(x, H), g>, so its
    VJP is convT(g, H) for x and conv(x, H) for g."""

    grad_fn_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, g, kernel, stride, pads, dilation, groups):
        ctx.args = (stride, pads, dilation, groups)
        ctx.save_for_backward(x, g)
        return _conv2d_weight_grad_np(x, g, kernel, stride, pads, dilation, groups)

    @staticmethod
    def backward(ctx, hw, xp):
        x, g = ctx.saved_tensors
        need_x, need_g = ctx.needs_input_grad
        gx = xp.conv2d_input_grad(g, hw, tuple(x.shape[2:]), *ctx.args) if need_x else None
        gg = xp.conv2d_raw(x, hw, *ctx.args, tuple(g.shape[2:])) if need_g else None
        return gx, gg


_xp.define("conv2d_raw",
           numpy=lambda x, w, *a: _conv2d_forward_np(x, w, *a),
           tensor=lambda x, w, stride, pads, dilation, groups, out_hw=None: Convolution.apply(
               x, w, None, stride=stride, pads=pads, dilation=dilation, groups=groups,
               out_hw=out_hw))
_xp.define("conv2d_input_grad",
           numpy=lambda g, w, hw, *a: _conv2d_input_grad_np(g, w, hw, *a),
           tensor=lambda g, w, hw, stride, pads, dilation, groups: ConvolutionInputGrad.apply(
               g, w, None, in_hw=hw, stride=stride, pads=pads, dilation=dilation, groups=groups))
_xp.define("conv2d_weight_grad",
           numpy=lambda x, g, k, *a: _conv2d_weight_grad_np(x, g, k, *a),
           tensor=lambda x, g, k, stride, pads, dilation, groups: ConvolutionWeightGrad.apply(
               x, g, kernel=k, stride=stride, pads=pads, dilation=dilation, groups=groups))


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
            return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                         for k, d in zip(kernel, dilation))
        raise ValueError(f"Invalid padding string: {padding!r}")
    pad = _ntuple(padding, nd, "padding", opname)
    if any(p < 0 for p in pad):
        raise ValueError("negative padding is not supported")
    return tuple((p, p) for p in pad)


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd):
    opname = f"conv{nd}d"
    from .movement import squeeze, unsqueeze
    _check_tensor(input, "input", opname)
    _check_tensor(weight, "weight", opname)
    if input.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                         f"{opname}, but got input of size: {shape_str(input.shape)}")
    if weight.ndim != nd + 2:
        raise ShapeError(f"{opname}: expected weight of {nd + 2} dimensions (out_channels, "
                         f"in_channels / groups, *kernel_size), but got weight of size "
                         f"{shape_str(weight.shape)}")
    unbatched = input.ndim == nd + 1
    x = unsqueeze(input, 0) if unbatched else input
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
        raise ShapeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                         f"dimension 0, but got weight of size [{shape_str(weight.shape)}] "
                         f"instead")
    if x.shape[1] != weight.shape[1] * groups:
        raise ShapeError(f"Given groups={groups}, weight of size {shape_str(weight.shape)}, "
                         f"expected input{shape_str(x.shape)} to have "
                         f"{weight.shape[1] * groups} channels, but got {x.shape[1]} channels "
                         f"instead")
    if bias is not None:
        _check_tensor(bias, "bias", opname)
        if bias.ndim != 1 or bias.shape[0] != o:
            raise ShapeError(f"Given weight of size {shape_str(weight.shape)}, expected bias to "
                             f"be 1-dimensional with {o} elements, but got bias of size "
                             f"{shape_str(bias.shape)} instead")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and t._data.dtype != x._data.dtype:
            raise DTypeError(f"{opname}: input type ({x.dtype}) and {name} type ({t.dtype}) "
                             f"should be the same")
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(e > p for e, p in zip(eff, padded)):
        padded_s, eff_s = " x ".join(map(str, padded)), " x ".join(map(str, eff))
        raise ShapeError(f"Calculated padded input size per channel: ({padded_s}). Kernel size: "
                         f"({eff_s}). Kernel size can't be greater than actual input size")
    if nd == 1:  # a 1-D conv is a 2-D conv over a height-1 image
        x, w = unsqueeze(x, 2), unsqueeze(weight, 2)
        stride, pads, dilation = (1,) + stride, ((0, 0),) + pads, (1,) + dilation
    else:
        w = weight
    y = Convolution.apply(x, w, bias, stride=stride, pads=pads, dilation=dilation,
                          groups=int(groups))
    if nd == 1:
        y = squeeze(y, 2)
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


def _ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Shift-and-accumulate reference (independent of im2col): one einsum per kernel tap."""
    if x.ndim == 3:
        return _ref_conv2d(x[None], w, b, stride, padding, dilation, groups)[0]
    s, d = _ntuple(stride, 2, "", ""), _ntuple(dilation, 2, "", "")
    pads = _conv_pads(padding, w.shape[2:], d, s, 2, "")
    xp_ = _pad2d(x, pads)
    n, c, hp, wp = xp_.shape
    o, cg, kh, kw = w.shape
    ho, wo = (hp - d[0] * (kh - 1) - 1) // s[0] + 1, (wp - d[1] * (kw - 1) - 1) // s[1] + 1
    og = o // groups
    out = np.zeros((n, o, ho, wo), x.dtype)
    for gi in range(groups):
        xs = xp_[:, gi * cg:(gi + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * d[0]:i * d[0] + s[0] * (ho - 1) + 1:s[0],
                           j * d[1]:j * d[1] + s[1] * (wo - 1) + 1:s[1]]
                out[:, gi * og:(gi + 1) * og] += np.einsum(
                    "nchw,oc->nohw", patch, w[gi * og:(gi + 1) * og, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def _ref_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    pad = padding if isinstance(padding, str) else (0, _ntuple(padding, 1, "", "")[0])
    return _ref_conv2d(x[:, :, None], w[:, :, None], b, (1, _ntuple(stride, 1, "", "")[0]), pad,
                       (1, _ntuple(dilation, 1, "", "")[0]), groups)[:, :, 0]


def _conv2d_samples(rng):
    n = rng.normal
    return [Sample(n(size=(2, 2, 5, 5)), n(size=(3, 2, 3, 3)), n(size=(3,))),
            Sample(n(size=(1, 2, 6, 5)), n(size=(2, 2, 2, 3)), None, stride=2, padding=1),
            Sample(n(size=(1, 4, 5, 6)), n(size=(4, 2, 2, 2)), n(size=(4,)), groups=2,
                   dilation=(2, 1), padding=(1, 0)),
            Sample(n(size=(1, 2, 4, 5)), n(size=(2, 2, 2, 3)), n(size=(2,)), padding="same"),
            Sample(n(size=(1, 1, 4, 4)), n(size=(2, 1, 3, 3)), None, padding="valid",
                   stride=(1, 2)),
            Sample(n(size=(4, 4, 4)), n(size=(2, 2, 2, 2)), None, groups=2)]   # unbatched


def _conv1d_samples(rng):
    n = rng.normal
    return [Sample(n(size=(2, 2, 7)), n(size=(3, 2, 3)), n(size=(3,))),
            Sample(n(size=(1, 4, 8)), n(size=(2, 2, 2)), None, stride=2, padding=1, dilation=2,
                   groups=2),
            Sample(n(size=(1, 2, 6)), n(size=(2, 2, 4)), n(size=(2,)), padding="same")]


register(OpInfo("conv2d", conv2d, ref=_ref_conv2d, samples=_conv2d_samples, method=False,
                family="conv", torch_fn=torch_functional("conv2d")))
register(OpInfo("conv1d", conv1d, ref=_ref_conv1d, samples=_conv1d_samples, method=False,
                family="conv", torch_fn=torch_functional("conv1d")))


# ---- conv_transpose2d ---------------------------------------------------------------------------
@_amp.lower_precision
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """Transposed 2-D convolution (the gradient of conv2d w.r.t. its input), weight of shape
    (in_channels, out_channels / groups, kH, kW).

    Example:
        >>> x = autograd.ones(1, 1, 2, 2)
        >>> autograd.conv_transpose2d(x, autograd.ones(1, 1, 3, 3), stride=2).shape
        autograd.Size([1, 1, 5, 5])
    """
    opname = "conv_transpose2d"
    from .movement import squeeze, unsqueeze
    _check_tensor(input, "input", opname)
    _check_tensor(weight, "weight", opname)
    if input.ndim not in (3, 4):
        raise ShapeError(f"Expected 3D (unbatched) or 4D (batched) input to {opname}, but got "
                         f"input of size: {shape_str(input.shape)}")
    if weight.ndim != 4:
        raise ShapeError(f"{opname}: expected weight of 4 dimensions (in_channels, out_channels / "
                         f"groups, kH, kW), but got weight of size {shape_str(weight.shape)}")
    unbatched = input.ndim == 3
    x = unsqueeze(input, 0) if unbatched else input
    stride = _ntuple(stride, 2, "stride", opname)
    dilation = _ntuple(dilation, 2, "dilation", opname)
    pad = _ntuple(padding, 2, "padding", opname)
    opad = _ntuple(output_padding, 2, "output_padding", opname)
    if any(s <= 0 for s in stride):
        raise ValueError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise ValueError("dilation should be greater than zero")
    if any(p < 0 for p in pad) or any(p < 0 for p in opad):
        raise ValueError("negative padding is not supported")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError("non-positive groups is not supported")
    if any(op >= s and op >= d for op, s, d in zip(opad, stride, dilation)):
        raise ValueError(f"output padding must be smaller than either stride or dilation, but got "
                         f"output_padding_height: {opad[0]} output_padding_width: {opad[1]} "
                         f"stride_height: {stride[0]} stride_width: {stride[1]} dilation_height: "
                         f"{dilation[0]} dilation_width: {dilation[1]}")
    cin, cg = weight.shape[:2]
    if cin % groups:
        raise ShapeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                         f"dimension 0, but got weight of size [{shape_str(weight.shape)}] "
                         f"instead")
    if x.shape[1] != cin:
        raise ShapeError(f"Given transposed=1, weight of size {shape_str(weight.shape)}, expected "
                         f"input{shape_str(x.shape)} to have {cin} channels, but got "
                         f"{x.shape[1]} channels instead")
    if bias is not None:
        _check_tensor(bias, "bias", opname)
        if bias.ndim != 1 or bias.shape[0] != cg * groups:
            raise ShapeError(f"Given transposed=1, weight of size {shape_str(weight.shape)}, "
                             f"expected bias to be 1-dimensional with {cg * groups} elements, "
                             f"but got bias of size {shape_str(bias.shape)} instead")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and t._data.dtype != x._data.dtype:
            raise DTypeError(f"{opname}: input type ({x.dtype}) and {name} type ({t.dtype}) "
                             f"should be the same")
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in
                   zip(x.shape[2:], stride, pad, dilation, weight.shape[2:], opad))
    if any(n <= 0 for n in out_hw):
        raise ShapeError(f"Given input size per channel: ({' x '.join(map(str, x.shape[2:]))}). "
                         f"Calculated output size per channel: ({' x '.join(map(str, out_hw))}). "
                         f"Output size is too small")
    y = ConvolutionInputGrad.apply(x, weight, bias, in_hw=out_hw, stride=stride,
                                   pads=tuple((p, p) for p in pad), dilation=dilation,
                                   groups=int(groups))
    return squeeze(y, 0) if unbatched else y


def _ref_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                          dilation=1):
    """Scatter reference: every input pixel adds weight * value at its strided position."""
    if x.ndim == 3:
        return _ref_conv_transpose2d(x[None], w, b, stride, padding, output_padding, groups,
                                     dilation)[0]
    s, d = _ntuple(stride, 2, "", ""), _ntuple(dilation, 2, "", "")
    p, op = _ntuple(padding, 2, "", ""), _ntuple(output_padding, 2, "", "")
    n, cin, h, wd = x.shape
    _, cg, kh, kw = w.shape
    ho = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    wo = (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    full = np.zeros((n, cg * groups, ho + 2 * p[0], wo + 2 * p[1]), x.dtype)
    ig = cin // groups
    for gi in range(groups):
        for i in range(kh):
            for j in range(kw):
                contrib = np.einsum("nchw,co->nohw", x[:, gi * ig:(gi + 1) * ig],
                                    w[gi * ig:(gi + 1) * ig, :, i, j])
                full[:, gi * cg:(gi + 1) * cg, i * d[0]:i * d[0] + s[0] * (h - 1) + 1:s[0],
                     j * d[1]:j * d[1] + s[1] * (wd - 1) + 1:s[1]] += contrib
    out = full[:, :, p[0]:p[0] + ho, p[1]:p[1] + wo]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return out


register(OpInfo("conv_transpose2d", conv_transpose2d, ref=_ref_conv_transpose2d, method=False,
                family="conv", torch_fn=torch_functional("conv_transpose2d"),
                samples=lambda rng: [
                    Sample(rng.normal(size=(2, 2, 3, 3)), rng.normal(size=(2, 3, 2, 2)),
                           rng.normal(size=(3,))),
                    Sample(rng.normal(size=(1, 2, 3, 2)), rng.normal(size=(2, 2, 3, 3)), None,
                           stride=2, padding=1, output_padding=1),
                    Sample(rng.normal(size=(1, 4, 2, 3)), rng.normal(size=(4, 1, 2, 2)),
                           rng.normal(size=(2,)), stride=(2, 1), groups=2, dilation=2),
                    Sample(rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 2, 2, 2)), None)]))


@_amp.lower_precision
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """Transposed 1-D convolution over (N, C, L) or (C, L); weight (in_channels,
    out_channels / groups, k).

    Example:
        >>> w = autograd.ones(1, 1, 2)
        >>> autograd.conv_transpose1d(autograd.ones(1, 1, 3), w, stride=2).shape
        autograd.Size([1, 1, 6])
    """
    from .movement import squeeze, unsqueeze
    _check_tensor(input, "input", "conv_transpose1d")
    _check_tensor(weight, "weight", "conv_transpose1d")
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ShapeError(f"Expected 2D (unbatched) or 3D (batched) input and a 3D weight to "
                         f"conv_transpose1d, but got input of size: {shape_str(input.shape)} and "
                         f"weight of size {shape_str(weight.shape)}")
    one = lambda v, name: (1,) + _ntuple(v, 1, name, "conv_transpose1d")  # noqa: E731
    y = conv_transpose2d(unsqueeze(input, -2), unsqueeze(weight, 2), bias, one(stride, "stride"),
                         (0,) + one(padding, "padding")[1:],
                         (0,) + one(output_padding, "output_padding")[1:], groups,
                         one(dilation, "dilation"))
    return squeeze(y, -2)


def _ref_conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                          dilation=1):
    return _ref_conv_transpose2d(x[..., None, :], w[:, :, None], b, (1, stride), (0, padding),
                                 (0, output_padding), groups, (1, dilation))[..., 0, :]


register(OpInfo("conv_transpose1d", conv_transpose1d, ref=_ref_conv_transpose1d, method=False,
                family="conv", torch_fn=torch_functional("conv_transpose1d"),
                samples=lambda rng: [
                    Sample(rng.normal(size=(2, 2, 4)), rng.normal(size=(2, 3, 3)),
                           rng.normal(size=(3,))),
                    Sample(rng.normal(size=(1, 4, 3)), rng.normal(size=(4, 1, 2)), None,
                           stride=3, padding=1, output_padding=1, groups=2, dilation=2),
                    Sample(rng.normal(size=(2, 5)), rng.normal(size=(2, 2, 3)), None, stride=2)]))


# ---- unfold / fold (im2col / col2im) -------------------------------------------------------------
class Im2Col(Op):
    """(N, C, H, W) -> (N, C*kh*kw, L) sliding blocks; VJP: fold (col2im)."""

    @staticmethod
    def forward(ctx, x, kernel, dilation, pads, stride):
        ctx.args = (tuple(x.shape[2:]), kernel, dilation, pads, stride)
        return _im2col_matrix(x, kernel, stride, pads, dilation)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.col2im(g, *ctx.args)


class Col2Im(Op):
    """(N, C*kh*kw, L) -> (N, C, H, W), summing overlaps; VJP: unfold (im2col)."""

    @staticmethod
    def forward(ctx, cols, out_hw, kernel, dilation, pads, stride):
        ctx.args = (kernel, dilation, pads, stride)
        return _np_col2im_blocks(cols, out_hw, kernel, dilation, pads, stride)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.im2col(g, *ctx.args)


def _blocks(out_hw, kernel, dilation, pads, stride):
    return tuple(_out_size(n, k, s, lo, hi, d) for n, k, s, (lo, hi), d in
                 zip(out_hw, kernel, stride, pads, dilation))


def _np_col2im_blocks(cols, out_hw, kernel, dilation, pads, stride):
    ckk = cols.shape[1]
    ho, wo = _blocks(out_hw, kernel, dilation, pads, stride)
    c = ckk // (kernel[0] * kernel[1])
    return _col2im_matrix(cols, c, out_hw, kernel, (ho, wo), stride, pads, dilation)


def _np_im2col_blocks(x, kernel, dilation, pads, stride):
    return _im2col_matrix(x, kernel, stride, pads, dilation)


_xp.define("im2col", numpy=_np_im2col_blocks,
           tensor=lambda x, kernel, dilation, pads, stride: Im2Col.apply(
               x, kernel=kernel, dilation=dilation, pads=pads, stride=stride))
_xp.define("col2im", numpy=lambda g, hw, *a: _np_col2im_blocks(g, hw, *a),
           tensor=lambda g, hw, kernel, dilation, pads, stride: Col2Im.apply(
               g, out_hw=hw, kernel=kernel, dilation=dilation, pads=pads, stride=stride))


def _fold_args(kernel_size, dilation, padding, stride, opname):
    k = _ntuple(kernel_size, 2, "kernel_size", opname)
    d = _ntuple(dilation, 2, "dilation", opname)
    p = _ntuple(padding, 2, "padding", opname)
    s = _ntuple(stride, 2, "stride", opname)
    if any(v <= 0 for v in k + d + s):
        raise ValueError(f"{opname}: kernel_size, dilation and stride must be greater than zero, "
                         f"but got kernel_size={k}, dilation={d}, stride={s}")
    if any(v < 0 for v in p):
        raise ValueError(f"{opname}: padding must be non-negative, but got padding={p}")
    return k, d, tuple((v, v) for v in p), s


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding blocks (im2col): (N, C, H, W) -> (N, C * kh * kw, L).

    Example:
        >>> autograd.unfold(autograd.ones(1, 2, 3, 3), 2).shape
        autograd.Size([1, 8, 4])
    """
    from .movement import squeeze, unsqueeze
    _check_tensor(input, "input", "unfold")
    if input.ndim not in (3, 4):
        raise ShapeError(f"Input Error: Only 3D or 4D input Tensors are supported "
                         f"(got {input.ndim}D)")
    k, d, pads, s = _fold_args(kernel_size, dilation, padding, stride, "unfold")
    unbatched = input.ndim == 3
    x = unsqueeze(input, 0) if unbatched else input
    blocks = _blocks(x.shape[2:], k, d, pads, s)
    if any(b < 1 for b in blocks):
        raise ShapeError(f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={k}, "
                         f"dilation={d}, padding={tuple(p for p, _ in pads)}, calculated shape of "
                         f"the array of sliding blocks as {blocks}, but its components must be at "
                         f"least one.")
    y = Im2Col.apply(x, kernel=k, dilation=d, pads=pads, stride=s)
    return squeeze(y, 0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding blocks into an image (col2im; overlaps are summed), the adjoint of
    ``unfold``: (N, C * kh * kw, L) -> (N, C, *output_size).

    Example:
        >>> autograd.fold(autograd.ones(1, 4, 4), (3, 3), 2).shape
        autograd.Size([1, 1, 3, 3])
    """
    from .movement import squeeze, unsqueeze
    _check_tensor(input, "input", "fold")
    if input.ndim not in (2, 3):
        raise ShapeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                         f"supported (got {input.ndim}D)")
    out_hw = _ntuple(output_size, 2, "output_size", "fold")
    k, d, pads, s = _fold_args(kernel_size, dilation, padding, stride, "fold")
    unbatched = input.ndim == 2
    x = unsqueeze(input, 0) if unbatched else input
    if x.shape[1] % (k[0] * k[1]):
        raise ShapeError(f"Expected size of input's dimension 1 to be divisible by the product of "
                         f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={k}.")
    blocks = _blocks(out_hw, k, d, pads, s)
    if any(b < 1 for b in blocks) or x.shape[2] != blocks[0] * blocks[1]:
        raise ShapeError(f"Given output_size={out_hw}, kernel_size={k}, dilation={d}, "
                         f"padding={tuple(p for p, _ in pads)}, stride={s}, expected size of "
                         f"input's dimension 2 to match the calculated number of sliding blocks "
                         f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                         f"input.size(2)={x.shape[2]}.")
    y = Col2Im.apply(x, out_hw=out_hw, kernel=k, dilation=d, pads=pads, stride=s)
    return squeeze(y, 0) if unbatched else y


def _ref_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Loop reference: copy each block, channel-major then kernel row/column (torch's order)."""
    k, d, pads, s = _fold_args(kernel_size, dilation, padding, stride, "")
    batched = x if x.ndim == 4 else x[None]
    xp_ = _pad2d(batched, pads)
    n, c = batched.shape[:2]
    ho, wo = _blocks(batched.shape[2:], k, d, pads, s)
    out = np.zeros((n, c, k[0], k[1], ho, wo), x.dtype)
    for a in range(ho):
        for b in range(wo):
            for i in range(k[0]):
                for j in range(k[1]):
                    out[:, :, i, j, a, b] = xp_[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    out = out.reshape(n, c * k[0] * k[1], ho * wo)
    return out if x.ndim == 4 else out[0]


def _ref_fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    k, d, pads, s = _fold_args(kernel_size, dilation, padding, stride, "")
    hw = _ntuple(output_size, 2, "", "")
    batched = cols if cols.ndim == 3 else cols[None]
    n = batched.shape[0]
    c = batched.shape[1] // (k[0] * k[1])
    ho, wo = _blocks(hw, k, d, pads, s)
    blocks = batched.reshape(n, c, k[0], k[1], ho, wo)
    out = np.zeros((n, c, hw[0] + 2 * pads[0][0], hw[1] + 2 * pads[1][0]), cols.dtype)
    for a in range(ho):
        for b in range(wo):
            for i in range(k[0]):
                for j in range(k[1]):
                    out[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]] += blocks[:, :, i, j, a, b]
    out = out[:, :, pads[0][0]:pads[0][0] + hw[0], pads[1][0]:pads[1][0] + hw[1]]
    return out if cols.ndim == 3 else out[0]


register(OpInfo("unfold", unfold, ref=_ref_unfold, method=False, family="conv",
                torch_fn=torch_functional("unfold"),
                samples=lambda rng: [
                    Sample(rng.normal(size=(2, 2, 4, 4)), 2),
                    Sample(rng.normal(size=(1, 2, 5, 4)), (2, 3), dilation=(2, 1), padding=1,
                           stride=(2, 1)),
                    Sample(rng.normal(size=(3, 3, 3)), 2, stride=2, padding=1)]))
register(OpInfo("fold", fold, ref=_ref_fold, method=False, family="conv", torch_fn=torch_functional("fold"),
                samples=lambda rng: [
                    Sample(rng.normal(size=(2, 8, 4)), (3, 3), 2),
                    Sample(rng.normal(size=(1, 12, 6)), (4, 3), (2, 3), dilation=(2, 1),
                           padding=1, stride=(2, 1)),
                    Sample(rng.normal(size=(4, 9)), (5, 5), 2, stride=2, padding=1)]))
