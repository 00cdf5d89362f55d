"""Pooling (``torch.nn.functional`` names and signatures): max_pool1d / 2d, avg_pool1d / 2d,
adaptive_avg_pool1d / 2d, adaptive_max_pool1d / 2d.

The differentiable ops come in closed families, so that every VJP is written with ops of
the same family and gradients of any order work: window sums (avg pools) and their spread;
gather / scatter-add by constant flat indices (max pools: the forward finds the arg-max
windows, then picks the values); a separable matrix product (adaptive avg pool) whose VJP
is itself with transposed matrices. On the numba backend the max-pool arg-max and the
gather / scatter-add run in the kernels of autograd/kernels/pooling.py.

Spatial ops are written for 2-D; the 1-D forms insert a height-1 axis. Padding is kept
per side, ``((top, bottom), (left, right))``, because ``ceil_mode`` pads asymmetrically.
"""
from __future__ import annotations

import numpy as np

from .. import dispatch
from ..errors import ShapeError, shape_str
from ..function import Op
from ..tensor import Tensor
from . import xp as _xp
from ._windows import _check_tensor, _col2im, _im2col, _ntuple
from .registry import OpInfo, Sample, register, torch_functional
from .samples import distinct

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"]


# ---- pooling: shapes -------------------------------------------------------------------------
def _pool_out(size, k, s, p, d, ceil_mode):
    """torch's pooling output size; with ceil_mode the last window must start inside the
    input or its left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, opname):
    """Check pooling arguments; returns kernel, stride, pads (per side, ceil_mode extra on the
    end), dilation and the output size."""
    k = _ntuple(kernel_size, 2, "kernel_size", opname)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _ntuple(stride, 2, "stride", opname)
    p = _ntuple(padding, 2, "padding", opname)
    d = _ntuple(dilation, 2, "dilation", opname)
    if any(v <= 0 for v in k):
        raise ValueError(f"{opname}: kernel_size must be greater than zero, but got {k}")
    if any(v <= 0 for v in s):
        raise ValueError(f"{opname}: stride must be greater than zero, but got {s}")
    if any(v <= 0 for v in d):
        raise ValueError(f"{opname}: dilation must be greater than zero, but got {d}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0 or pp > ((kk - 1) * dd + 1) // 2:
            raise ValueError(f"pad should be at most half of effective kernel size, but got "
                             f"pad={pp}, kernel_size={kk} and dilation={dd}")
    out = tuple(_pool_out(n, kk, ss, pp, dd, ceil_mode)
                for n, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d))
    if any(o < 1 for o in out):
        if opname.endswith("1d"):
            raise ShapeError(f"{opname}() Invalid computed output size: {out[1]}")
        c = x.shape[1]
        raise ShapeError(f"Given input size: ({c}x{x.shape[2]}x{x.shape[3]}). Calculated output "
                         f"size: ({c}x{out[0]}x{out[1]}). Output size is too small")
    # extra padding at the end so that ceil_mode's last (partial) window exists
    pads = tuple((pp, max(pp, (o - 1) * ss + (kk - 1) * dd + 1 - n - pp))
                 for n, kk, ss, pp, dd, o in zip(x.shape[2:], k, s, p, d, out))
    return k, s, pads, d, out


def _pool_input(input, opname, nd):
    _check_tensor(input, "input", opname)
    if input.ndim not in (nd + 1, nd + 2) or input.numel() == 0 and 0 in input.shape[1:]:
        raise ShapeError(f"{opname}: non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor "
                         f"expected for input, but got input of size: {shape_str(input.shape)}")


# ---- gather / scatter-add by constant flat indices (max pools) --------------------------------
def _np_gather_flat(x, index):
    k = dispatch.kernels("pooling", x)
    if k is not None and index.size:  # (an empty batch has no planes to reshape into)
        planes = x.shape[0] * x.shape[1]
        out = np.empty(index.shape, x.dtype)
        k.gather_flat(np.ascontiguousarray(x).reshape(planes, -1),
                      np.ascontiguousarray(index).reshape(planes, -1), out.reshape(planes, -1))
        return out
    n, c = x.shape[:2]
    flat = np.take_along_axis(x.reshape(n, c, -1), index.reshape(n, c, -1), axis=2)
    return flat.reshape(index.shape)


def _np_scatter_add_flat(g, index, in_shape):
    """out[n, c].flat[index[n, c, k]] += g[n, c, k], with repeated indices accumulating."""
    k = dispatch.kernels("pooling", g)
    if k is not None and g.size:  # (an empty batch has no planes to reshape into)
        planes = in_shape[0] * in_shape[1]
        out = np.zeros(in_shape, g.dtype)
        k.scatter_add_flat(np.ascontiguousarray(g).reshape(planes, -1),
                           np.ascontiguousarray(index).reshape(planes, -1),
                           out.reshape(planes, -1))
        return out
    n, c = in_shape[:2]
    plane = int(np.prod(in_shape[2:], dtype=np.int64))
    offsets = (np.arange(n * c, dtype=np.int64) * plane).reshape(n, c, *([1] * (index.ndim - 2)))
    out = np.bincount((index + offsets).ravel(), weights=g.ravel(), minlength=n * c * plane)
    return out.astype(g.dtype, copy=False).reshape(in_shape)


class GatherFlat(Op):
    """y[n, c, ...] = x[n, c].flat[index[n, c, ...]]; VJP: scatter-add of g at the indices."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.in_shape = index, x.shape
        return _np_gather_flat(x, index)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.scatter_add_flat(g, ctx.index, ctx.in_shape)


class ScatterAddFlat(Op):
    """The adjoint of ``GatherFlat``; VJP: gather at the same indices."""

    @staticmethod
    def forward(ctx, g, index, in_shape):
        ctx.index = index
        return _np_scatter_add_flat(g, index, in_shape)

    @staticmethod
    def backward(ctx, h, xp):
        return xp.gather_flat(h, ctx.index)


class MaxPool2DWithIndices(GatherFlat):
    """max pooling = gathering each window's arg-max (indices found by the forward kernel).
    The arg-max pass already produced the values: they are passed in rather than gathered
    a second time."""

    @staticmethod
    def forward(ctx, x, index, values):
        ctx.index, ctx.in_shape = index, x.shape
        return values


class AdaptiveMaxPool2D(GatherFlat):
    pass


_xp.define("gather_flat", numpy=_np_gather_flat,
           tensor=lambda x, index: GatherFlat.apply(x, index=index))
_xp.define("scatter_add_flat", numpy=_np_scatter_add_flat,
           tensor=lambda g, index, shape: ScatterAddFlat.apply(g, index=index, in_shape=shape))


# ---- max pooling --------------------------------------------------------------------------------
def _pool_argmax(a, axis):
    """argmax as torch's pools take it: the first maximum, but the *last* NaN (its loop
    replaces the best value by every NaN it meets; torch.argmax keeps the first NaN)."""
    arg = np.argmax(a, axis=axis)
    nan = np.isnan(a)
    if nan.any():
        last = a.shape[axis] - 1 - np.argmax(np.flip(nan, axis), axis=axis)
        arg = np.where(nan.any(axis=axis), last, arg)
    return arg


def _max_pool2d_forward_np(x, kernel, stride, pads, dilation):
    """Values and flat (h * W + w) indices of each window's maximum (the first one on ties;
    a NaN wins, the last NaN if there are several, like torch's pools). Padding is -inf so it
    is never chosen over a real element."""
    n, c, h, w = x.shape
    k = dispatch.kernels("pooling", x)
    if k is not None:  # numba backend: one pass, no window copy
        ho = (h + pads[0][0] + pads[0][1] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
        wo = (w + pads[1][0] + pads[1][1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
        values = np.empty((n, c, ho, wo), x.dtype)
        idx = np.empty((n, c, ho, wo), np.int64)
        k.maxpool2d_argmax(np.ascontiguousarray(x).reshape(n * c, h, w), kernel[0], kernel[1],
                           stride[0], stride[1], pads[0][0], pads[1][0], dilation[0],
                           dilation[1], values.reshape(n * c, ho, wo), idx.reshape(n * c, ho, wo))
        return values, idx
    win = _im2col(x, kernel, stride, pads, dilation, value=-np.inf)   # (N, C, kh, kw, Ho, Wo)
    kh, kw, ho, wo = win.shape[2:]
    flat = win.reshape(n, c, kh * kw, ho, wo)
    arg = _pool_argmax(flat, axis=2)                                   # (N, C, Ho, Wo)
    values = np.take_along_axis(flat, arg[:, :, None], axis=2)[:, :, 0]
    ki, kj = np.divmod(arg, kw)
    rows = np.arange(ho).reshape(-1, 1) * stride[0] + ki * dilation[0] - pads[0][0]
    cols = np.arange(wo) * stride[1] + kj * dilation[1] - pads[1][0]
    # a window of only -inf may pick padding: clamp so the index stays a valid position
    idx = np.clip(rows, 0, h - 1) * w + np.clip(cols, 0, w - 1)
    return values, idx.astype(np.int64)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False, *, _opname="max_pool2d"):
    """2-D max pooling over (N, C, H, W) or (C, H, W); ``stride`` defaults to ``kernel_size``.
    With ``return_indices=True`` also returns the flat (h * W + w) index of each maximum.

    Example:
        >>> autograd.max_pool2d(autograd.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    from .movement import squeeze, unsqueeze
    if _opname == "max_pool2d":
        _pool_input(input, _opname, 2)
    unbatched = input.ndim == 3
    x = unsqueeze(input, 0) if unbatched else input
    k, s, pads, d, _ = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode,
                                      _opname)
    values, idx = _max_pool2d_forward_np(x._data, k, s, pads, d)
    y = MaxPool2DWithIndices.apply(x, index=idx, values=values)
    if unbatched:
        y, idx = squeeze(y, 0), idx[0]
    return (y, Tensor._make(idx)) if return_indices else y


def _as_2d(input, opname, kernel_size, stride, padding, dilation):
    """A 1-D pool as the 2-D one: the input with a height-1 axis (dim -2) and the
    arguments as pairs (height 1, no padding along the height)."""
    from .movement import unsqueeze
    _pool_input(input, opname, 1)

    def pair(v):
        return (1,) + _ntuple(v, 1, "", opname)
    return (unsqueeze(input, -2), pair(kernel_size), None if stride is None else pair(stride),
            (0,) + pair(padding)[1:], pair(dilation))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L).

    Example:
        >>> autograd.max_pool1d(autograd.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
        tensor([[[3., 2.]]])
    """
    from .movement import squeeze
    x, k, s, p, d = _as_2d(input, "max_pool1d", kernel_size, stride, padding, dilation)
    res = max_pool2d(x, k, s, p, d, ceil_mode, return_indices, _opname="max_pool1d")
    if return_indices:
        return squeeze(res[0], -2), Tensor._make(res[1]._data[..., 0, :])
    return squeeze(res, -2)


def _ref_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                    return_indices=False):
    """Loop reference: max over each window's in-bounds elements."""
    batched = x if x.ndim == 4 else x[None]
    k, s, pads, d, (ho, wo) = _pool_geometry(batched, kernel_size, stride, padding, dilation,
                                             ceil_mode, "")
    n, c, h, w = batched.shape
    vals = np.full((n, c, ho, wo), -np.inf, x.dtype)
    idx = np.zeros((n, c, ho, wo), np.int64)
    for a in range(ho):
        for b in range(wo):
            for i in range(k[0]):
                for j in range(k[1]):
                    r, q = a * s[0] + i * d[0] - pads[0][0], b * s[1] + j * d[1] - pads[1][0]
                    if 0 <= r < h and 0 <= q < w:
                        v = batched[:, :, r, q]
                        better = v > vals[:, :, a, b]
                        vals[:, :, a, b] = np.where(better, v, vals[:, :, a, b])
                        idx[:, :, a, b] = np.where(better, r * w + q, idx[:, :, a, b])
    if x.ndim == 3:
        vals, idx = vals[0], idx[0]
    return (vals, idx) if return_indices else vals


def _ref_max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                    return_indices=False):
    one = lambda v: (1, v if isinstance(v, int) else v[0])  # noqa: E731
    res = _ref_max_pool2d(x[..., None, :], one(kernel_size),
                          None if stride is None else one(stride), (0, one(padding)[1]),
                          one(dilation), ceil_mode, return_indices)
    if return_indices:
        return res[0][..., 0, :], res[1][..., 0, :]
    return res[..., 0, :]


register(OpInfo("max_pool2d", max_pool2d, ref=_ref_max_pool2d, method=False, family="pooling",
                torch_fn=torch_functional("max_pool2d"),
                samples=lambda rng: [
                    Sample(distinct(rng, (2, 2, 4, 4)), 2),
                    Sample(distinct(rng, (1, 2, 5, 6)), 3, 2, 1),
                    Sample(distinct(rng, (1, 1, 5, 5)), (2, 3), (2, 1), (1, 0), ceil_mode=True),
                    Sample(distinct(rng, (1, 2, 6, 5)), 2, 1, dilation=2, return_indices=True),
                    Sample(distinct(rng, (2, 5, 5)), 3, ceil_mode=True, return_indices=True)]))
register(OpInfo("max_pool1d", max_pool1d, ref=_ref_max_pool1d, method=False, family="pooling",
                torch_fn=torch_functional("max_pool1d"),
                samples=lambda rng: [
                    Sample(distinct(rng, (2, 2, 6)), 2),
                    Sample(distinct(rng, (1, 2, 7)), 3, 2, 1, ceil_mode=True,
                           return_indices=True),
                    Sample(distinct(rng, (2, 8)), 2, 1, dilation=3)]))


# ---- adaptive max pooling -----------------------------------------------------------------------
def _adaptive_bounds(size, out):
    """torch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out))."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_output_size(in_hw, output_size, opname):
    """int, pair, or pair with ``None`` (keep that input dim) -> (Ho, Wo)."""
    if isinstance(output_size, (int, np.integer)):
        out = (int(output_size),) * 2
    else:
        vals = tuple(output_size)
        vals = vals * 2 if len(vals) == 1 else vals
        if len(vals) != 2:
            raise ValueError(f"{opname}: output_size must be an int or a pair, got {output_size!r}")
        out = tuple(n if v is None else int(v) for n, v in zip(in_hw, vals))
    if any(v < 0 for v in out):
        raise ValueError(f"{opname}: output_size must be non-negative, got {output_size!r}")
    return out


def _adaptive_max_pool2d_indices_np(x, out_hw):
    n, c, h, w = x.shape
    hs, he = _adaptive_bounds(h, out_hw[0])
    ws, we = _adaptive_bounds(w, out_hw[1])
    idx = np.zeros((n, c) + tuple(out_hw), np.int64)
    for a in range(out_hw[0]):
        for b in range(out_hw[1]):
            win = x[:, :, hs[a]:he[a], ws[b]:we[b]]
            arg = _pool_argmax(win.reshape(n, c, -1), axis=2)
            r, q = np.divmod(arg, we[b] - ws[b])
            idx[:, :, a, b] = (r + hs[a]) * w + q + ws[b]
    return idx


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (``None`` keeps that input dim).

    Example:
        >>> autograd.adaptive_max_pool2d(autograd.arange(16.0).reshape(1, 1, 4, 4), 1)
        tensor([[[[15.]]]])
    """
    from .movement import squeeze, unsqueeze
    _pool_input(input, "adaptive_max_pool2d", 2)
    unbatched = input.ndim == 3
    x = unsqueeze(input, 0) if unbatched else input
    out_hw = _adaptive_output_size(x.shape[2:], output_size, "adaptive_max_pool2d")
    if 0 in x.shape[2:]:
        raise ShapeError(f"adaptive_max_pool2d(): expected input to have non-zero size for "
                         f"non-batch dimensions, but input has sizes {shape_str(x.shape)}")
    idx = _adaptive_max_pool2d_indices_np(x._data, out_hw)
    y = AdaptiveMaxPool2D.apply(x, index=idx)
    if unbatched:
        y, idx = squeeze(y, 0), idx[0]
    return (y, Tensor._make(idx)) if return_indices else y


def _ref_adaptive_max_pool2d(x, output_size, return_indices=False):
    batched = x if x.ndim == 4 else x[None]
    ho, wo = (output_size, output_size) if isinstance(output_size, int) else output_size
    ho = batched.shape[2] if ho is None else ho
    wo = batched.shape[3] if wo is None else wo
    n, c, h, w = batched.shape
    vals = np.zeros((n, c, ho, wo), x.dtype)
    idx = np.zeros((n, c, ho, wo), np.int64)
    for a in range(ho):
        for b in range(wo):
            r0, r1 = int(np.floor(a * h / ho)), int(np.ceil((a + 1) * h / ho))
            q0, q1 = int(np.floor(b * w / wo)), int(np.ceil((b + 1) * w / wo))
            for nn in range(n):
                for cc in range(c):
                    win = batched[nn, cc, r0:r1, q0:q1]
                    r, q = np.unravel_index(np.argmax(win), win.shape)
                    vals[nn, cc, a, b] = win[r, q]
                    idx[nn, cc, a, b] = (r + r0) * w + q + q0
    if x.ndim == 3:
        vals, idx = vals[0], idx[0]
    return (vals, idx) if return_indices else vals


register(OpInfo("adaptive_max_pool2d", adaptive_max_pool2d, ref=_ref_adaptive_max_pool2d,
                method=False, family="pooling", torch_fn=torch_functional("adaptive_max_pool2d"),
                samples=lambda rng: [
                    Sample(distinct(rng, (2, 2, 5, 7)), (2, 3)),
                    Sample(distinct(rng, (1, 2, 4, 4)), 3, return_indices=True),
                    Sample(distinct(rng, (2, 5, 6)), (None, 4))]))


# ---- window sums (average pooling) --------------------------------------------------------------
def _np_window_sum(x, kernel, stride, pads, scale):
    """scale * (sum of each window), windows of the zero-padded image."""
    win = _im2col(x, kernel, stride, pads, (1, 1))
    return (win.sum(axis=(2, 3)) * scale).astype(x.dtype, copy=False)


def _np_window_spread(g, in_hw, kernel, stride, pads, scale):
    """Adjoint of the window sum: every window element receives scale * g."""
    n, c, ho, wo = g.shape
    cols = np.broadcast_to((g * scale)[:, :, None, None], (n, c) + tuple(kernel) + (ho, wo))
    return _col2im(cols, in_hw, stride, pads, (1, 1)).astype(g.dtype, copy=False)


class AvgPool2D(Op):
    """Window sums times a constant per-position factor (1 / divisor); VJP: window spread."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, scale):
        ctx.args = (tuple(x.shape[2:]), kernel, stride, pads, scale)
        return _np_window_sum(x, kernel, stride, pads, scale)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.window_spread(g, *ctx.args)


class AvgPool2DBackward(Op):
    """The adjoint of ``AvgPool2D`` (used by its create_graph backward); VJP: window sum."""

    grad_fn_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, in_hw, kernel, stride, pads, scale):
        ctx.args = (kernel, stride, pads, scale)
        return _np_window_spread(g, in_hw, kernel, stride, pads, scale)

    @staticmethod
    def backward(ctx, h, xp):
        return xp.window_sum(h, *ctx.args)


_xp.define("window_sum", numpy=_np_window_sum,
           tensor=lambda x, kernel, stride, pads, scale: AvgPool2D.apply(
               x, kernel=kernel, stride=stride, pads=pads, scale=scale))
_xp.define("window_spread", numpy=_np_window_spread,
           tensor=lambda g, hw, kernel, stride, pads, scale: AvgPool2DBackward.apply(
               g, in_hw=hw, kernel=kernel, stride=stride, pads=pads, scale=scale))


def _avg_divisor(in_hw, kernel, stride, padding, out_hw, count_include_pad, divisor_override):
    """torch's divisor per output position: the window clipped to the padded input (with
    count_include_pad) or to the input itself; or ``divisor_override``."""
    if divisor_override is not None:
        return np.full(out_hw, float(divisor_override))
    sizes = []
    for n, k, s, p, o in zip(in_hw, kernel, stride, padding, out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(np.minimum(end, n) - np.maximum(start, 0))
    return np.outer(sizes[0], sizes[1]).astype(np.float64)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling over (N, C, H, W) or (C, H, W); ``stride`` defaults to
    ``kernel_size``.

    Example:
        >>> autograd.avg_pool2d(autograd.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    from .movement import squeeze, unsqueeze
    _pool_input(input, "avg_pool2d", 2)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError("divisor must be not zero")
    unbatched = input.ndim == 3
    x = unsqueeze(input, 0) if unbatched else input
    k, s, pads, _, out = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode,
                                        "avg_pool2d")
    div = _avg_divisor(x.shape[2:], k, s, tuple(p for p, _ in pads), out, count_include_pad,
                       divisor_override)
    scale = (1.0 / div).astype(x._data.dtype)
    y = AvgPool2D.apply(x, kernel=k, stride=s, pads=pads, scale=scale)
    return squeeze(y, 0) if unbatched else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L).

    Example:
        >>> autograd.avg_pool1d(autograd.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
        tensor([[[2., 1.]]])
    """
    from .movement import squeeze
    x, k, s, p, _ = _as_2d(input, "avg_pool1d", kernel_size, stride, padding, 1)
    y = avg_pool2d(x, k, s, p, ceil_mode, count_include_pad)
    return squeeze(y, -2)


def _ref_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                    count_include_pad=True, divisor_override=None):
    """Loop reference of torch's semantics (window clipping and divisors)."""
    batched = x if x.ndim == 4 else x[None]
    k = _ntuple(kernel_size, 2, "", "")
    s = k if stride is None else _ntuple(stride, 2, "", "")
    p = _ntuple(padding, 2, "", "")
    n, c, h, w = batched.shape
    ho, wo = (_pool_out(h, k[0], s[0], p[0], 1, ceil_mode),
              _pool_out(w, k[1], s[1], p[1], 1, ceil_mode))
    out = np.zeros((n, c, ho, wo), x.dtype)
    for a in range(ho):
        for b in range(wo):
            r0, q0 = a * s[0] - p[0], b * s[1] - p[1]
            r1, q1 = min(r0 + k[0], h + p[0]), min(q0 + k[1], w + p[1])
            pool = (r1 - r0) * (q1 - q0)
            r0c, q0c, r1c, q1c = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
            total = batched[:, :, r0c:r1c, q0c:q1c].sum(axis=(2, 3))
            div = divisor_override or (pool if count_include_pad else (r1c - r0c) * (q1c - q0c))
            out[:, :, a, b] = total / div
    return out if x.ndim == 4 else out[0]


def _ref_avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                    count_include_pad=True):
    one = lambda v: (1, v if isinstance(v, int) else v[0])  # noqa: E731
    return _ref_avg_pool2d(x[..., None, :], one(kernel_size),
                           None if stride is None else one(stride), (0, one(padding)[1]),
                           ceil_mode, count_include_pad)[..., 0, :]


register(OpInfo("avg_pool2d", avg_pool2d, ref=_ref_avg_pool2d, method=False, family="pooling",
                torch_fn=torch_functional("avg_pool2d"),
                samples=lambda rng: [
                    Sample(rng.normal(size=(2, 2, 4, 4)), 2),
                    Sample(rng.normal(size=(1, 2, 5, 6)), 3, 2, 1),
                    Sample(rng.normal(size=(1, 1, 5, 5)), (2, 3), (2, 1), (1, 0), ceil_mode=True,
                           count_include_pad=False),
                    Sample(rng.normal(size=(1, 2, 5, 5)), 3, 2, 1, ceil_mode=True),
                    Sample(rng.normal(size=(2, 4, 5)), 2, 1, divisor_override=3)]))
register(OpInfo("avg_pool1d", avg_pool1d, ref=_ref_avg_pool1d, method=False, family="pooling",
                torch_fn=torch_functional("avg_pool1d"),
                samples=lambda rng: [
                    Sample(rng.normal(size=(2, 2, 6)), 2),
                    Sample(rng.normal(size=(1, 2, 7)), 3, 2, 1, ceil_mode=True,
                           count_include_pad=False),
                    Sample(rng.normal(size=(2, 8)), 3, 1, 1)]))


# ---- adaptive average pooling (a separable linear map: A x B^T) ---------------------------------
def _np_separable(x, a, b):
    """A x B^T over the last two axes. Each row of A or B (and of their transposes) is
    nonzero on one run of columns only (a window), and only that run is read: a plain matrix
    product would spread one nan or inf in x to every output (0 * nan is nan); torch's pools
    keep it in its own windows."""
    return _banded_apply(_banded_apply(x, a, -2), b, -1)


def _banded_apply(x, m, axis):
    xs = np.moveaxis(x, axis, -1)
    out = np.zeros(xs.shape[:-1] + (m.shape[0],), np.result_type(x, m))
    for i, row in enumerate(m):
        nz = np.flatnonzero(row)
        if nz.size:
            s, e = nz[0], nz[-1] + 1
            out[..., i] = xs[..., s:e] @ row[s:e]
    return np.moveaxis(out, -1, axis)


class AdaptiveAvgPool2D(Op):
    """y = A x B^T over the last two dims with constant averaging matrices A (Ho, H) and
    B (Wo, W); the VJP is the same map with A^T and B^T."""

    @staticmethod
    def forward(ctx, x, a, b):
        ctx.a, ctx.b = a, b
        return _np_separable(x, a, b)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.separable(g, ctx.a.T, ctx.b.T)


_xp.define("separable", numpy=_np_separable,
           tensor=lambda x, a, b: AdaptiveAvgPool2D.apply(x, a=a, b=b))


def _averaging_matrix(size, out, dtype):
    m = np.zeros((out, size), dtype)
    start, end = _adaptive_bounds(size, out)
    for i, (s, e) in enumerate(zip(start, end)):
        m[i, s:e] = 1.0 / (e - s)
    return m


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Average pooling to a fixed output size (``None`` keeps that input dim).

    Example:
        >>> autograd.adaptive_avg_pool2d(autograd.ones(1, 3, 5, 7), 1).shape
        autograd.Size([1, 3, 1, 1])
    """
    _pool_input(input, "adaptive_avg_pool2d", 2)
    out_hw = _adaptive_output_size(input.shape[-2:], output_size, "adaptive_avg_pool2d")
    h, w = input.shape[-2:]
    if h == 0 or w == 0:
        raise ShapeError(f"adaptive_avg_pool2d(): expected input to have non-zero size for "
                         f"non-batch dimensions, but input has sizes {shape_str(input.shape)}")
    dt = input._data.dtype
    return AdaptiveAvgPool2D.apply(input, a=_averaging_matrix(h, out_hw[0], dt),
                                   b=_averaging_matrix(w, out_hw[1], dt))


def _ref_adaptive_avg_pool2d(x, output_size):
    ho, wo = (output_size, output_size) if isinstance(output_size, int) else output_size
    ho = x.shape[-2] if ho is None else ho
    wo = x.shape[-1] if wo is None else wo
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (ho, wo), x.dtype)
    for a in range(ho):
        for b in range(wo):
            r0, r1 = int(np.floor(a * h / ho)), int(np.ceil((a + 1) * h / ho))
            q0, q1 = int(np.floor(b * w / wo)), int(np.ceil((b + 1) * w / wo))
            out[..., a, b] = x[..., r0:r1, q0:q1].mean(axis=(-2, -1))
    return out


register(OpInfo("adaptive_avg_pool2d", adaptive_avg_pool2d, ref=_ref_adaptive_avg_pool2d,
                method=False, family="pooling", torch_fn=torch_functional("adaptive_avg_pool2d"),
                samples=lambda rng: [
                    Sample(rng.normal(size=(2, 2, 5, 7)), (2, 3)),
                    Sample(rng.normal(size=(1, 2, 4, 4)), 1),
                    Sample(rng.normal(size=(2, 5, 6)), (None, 4)),
                    Sample(rng.normal(size=(1, 1, 3, 3)), 5)]))


# ---- 1-D adaptive pools (a height-1 image) -------------------------------------------------
def _one_d_size(output_size, opname):
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 1:
            raise ValueError(f"{opname}: output_size must be an int or a 1-tuple, got "
                             f"{output_size!r}")
        output_size = output_size[0]
    return (1, output_size)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to a fixed length.

    Example:
        >>> autograd.adaptive_avg_pool1d(autograd.tensor([[[1.0, 2.0, 3.0, 4.0]]]), 2)
        tensor([[[1.5000, 3.5000]]])
    """
    from .movement import squeeze, unsqueeze
    _pool_input(input, "adaptive_avg_pool1d", 1)
    y = adaptive_avg_pool2d(unsqueeze(input, -2), _one_d_size(output_size, "adaptive_avg_pool1d"))
    return squeeze(y, -2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) or (C, L) to a fixed length (indices index the length).

    Example:
        >>> autograd.adaptive_max_pool1d(autograd.tensor([[[1.0, 4.0, 3.0, 2.0]]]), 2)
        tensor([[[4., 3.]]])
    """
    from .movement import squeeze, unsqueeze
    _pool_input(input, "adaptive_max_pool1d", 1)
    res = adaptive_max_pool2d(unsqueeze(input, -2),
                              _one_d_size(output_size, "adaptive_max_pool1d"), return_indices)
    if return_indices:
        return squeeze(res[0], -2), Tensor._make(res[1]._data[..., 0, :])
    return squeeze(res, -2)


register(OpInfo("adaptive_avg_pool1d", adaptive_avg_pool1d, method=False, family="pooling",
                ref=lambda x, n: _ref_adaptive_avg_pool2d(x[..., None, :], (1, n))[..., 0, :],
                torch_fn=torch_functional("adaptive_avg_pool1d"),
                samples=lambda rng: [Sample(rng.normal(size=(2, 3, 7)), 3),
                                     Sample(rng.normal(size=(2, 5)), 7)]))


def _ref_adaptive_max_pool1d(x, n, return_indices=False):
    res = _ref_adaptive_max_pool2d(x[..., None, :], (1, n), return_indices)
    return (res[0][..., 0, :], res[1][..., 0, :]) if return_indices else res[..., 0, :]


register(OpInfo("adaptive_max_pool1d", adaptive_max_pool1d, ref=_ref_adaptive_max_pool1d,
                method=False, family="pooling", torch_fn=torch_functional("adaptive_max_pool1d"),
                samples=lambda rng: [Sample(distinct(rng, (2, 3, 7)), 3, return_indices=True),
                                     Sample(distinct(rng, (2, 5)), 4)]))
