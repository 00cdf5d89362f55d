"""Max pooling over sliding windows (``torch.nn.functional`` names and signatures):
max_pool1d / 2d / 3d and max_unpool1d / 2d / 3d, and the window geometry every pool shares.
Average and power-average pools are in avg_pooling.py, adaptive pools in adaptive_pooling.py.

The differentiable ops come in closed families, so that every VJP is written with ops of
the same family and gradients of any order work: here, gather / scatter-add by constant
flat indices (max pools: the forward finds the arg-max windows, then picks the values;
max_unpool writes values at given indices and its VJP gathers them back). On the numba
backend the 2-D max-pool arg-max and the gather / scatter-add run in the kernels of
autograd/kernels/pooling.py.

The 1-D forms insert a height-1 axis and run as 2-D; 3-D runs the N-D array routines of
_windows.py. Padding is kept per side, ``((top, bottom), (left, right))``, because
``ceil_mode`` pads asymmetrically.
"""

from __future__ import annotations


import numpy as np

from .. import dispatch
from ..errors import DTypeError, ShapeError, shape_str
from ..function import Op, derive
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import float_input
from ._windows import _im2col, _ntuple, _out_size, _window_args
from .registry import Sample, register_functions
from .samples import distinct, shaped_samples

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d"]


# ---- pooling: shapes -------------------------------------------------------------------------
def _pool_out(size, k, s, p, d, ceil_mode):
    """torch's pooling output size; with ceil_mode the last window must start inside the
    input or its left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, opname, nd=2):
    """Check pooling arguments; returns kernel, stride, pads (per side, ceil_mode extra on the
    end), dilation and the output size."""
    k = _ntuple(kernel_size, nd, "kernel_size", opname)
    s = (
        k
        if stride is None or (not isinstance(stride, int) and len(stride) == 0)
        else _ntuple(stride, nd, "stride", opname)
    )
    p = _ntuple(padding, nd, "padding", opname)
    d = _ntuple(dilation, nd, "dilation", opname)
    if any(v <= 0 for v in k):
        raise ValueError(f"{opname}: kernel_size must be greater than zero, but got {k}")
    if any(v <= 0 for v in s):
        raise ValueError(f"{opname}: stride must be greater than zero, but got {s}")
    if any(v <= 0 for v in d):
        raise ValueError(f"{opname}: dilation must be greater than zero, but got {d}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0 or pp > ((kk - 1) * dd + 1) // 2:
            raise ValueError(
                f"pad should be at most half of effective kernel size, but got "
                f"pad={pp}, kernel_size={kk} and dilation={dd}"
            )
    out = tuple(
        _pool_out(n, kk, ss, pp, dd, ceil_mode)
        for n, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d)
    )
    if any(o < 1 for o in out):
        if opname.endswith("1d"):
            raise ShapeError(f"{opname}() Invalid computed output size: {out[1]}")
        if opname == "avg_pool3d" and any(n + 2 * pp < kk for n, pp, kk in zip(x.shape[2:], p, k)):
            raise ShapeError(
                f"input image (T: {x.shape[2]} H: {x.shape[3]} W: {x.shape[4]}) "
                f"smaller than kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})"
            )
        sizes = "x".join(map(str, (x.shape[1],) + tuple(x.shape[2:])))
        outs = "x".join(map(str, (x.shape[1],) + out))
        raise ShapeError(
            f"Given input size: ({sizes}). Calculated output size: ({outs}). "
            f"Output size is too small"
        )
    # extra padding at the end so that ceil_mode's last (partial) window exists
    pads = tuple(
        (pp, max(pp, (o - 1) * ss + (kk - 1) * dd + 1 - n - pp))
        for n, kk, ss, pp, dd, o in zip(x.shape[2:], k, s, p, d, out)
    )
    return k, s, pads, d, out


def _pool_input(input, opname, nd):
    float_input(input, opname)
    if input.ndim not in (nd + 1, nd + 2) or input.numel() == 0 and 0 in input.shape[1:]:
        raise ShapeError(
            f"{opname}: non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor "
            f"expected for input, but got input of size: {shape_str(input.shape)}"
        )


# ---- gather / scatter-add by constant flat indices (max pools) --------------------------------
def _np_gather_flat(x, index):
    k = dispatch.kernels("pooling", x)
    if k is not None and index.size:  # (an empty batch has no planes to reshape into)
        planes = x.shape[0] * x.shape[1]
        out = k.empty(index.shape, x.dtype)
        k.gather_flat(
            np.ascontiguousarray(x).reshape(planes, -1),
            np.ascontiguousarray(index).reshape(planes, -1),
            out.reshape(planes, -1),
        )
        return out
    n, c = x.shape[:2]
    flat = np.take_along_axis(x.reshape(n, c, -1), index.reshape(n, c, -1), axis=2)
    return flat.reshape(index.shape)


def _np_scatter_add_flat(g, index, in_shape):
    """out[n, c].flat[index[n, c, k]] += g[n, c, k], with repeated indices accumulating."""
    k = dispatch.kernels("pooling", g)
    if k is not None and g.size:  # (an empty batch has no planes to reshape into)
        planes = in_shape[0] * in_shape[1]
        out = k.empty(in_shape, g.dtype)  # (zeroed by the kernel, plane by plane)
        k.scatter_add_flat_zeroed(
            np.ascontiguousarray(g).reshape(planes, -1),
            np.ascontiguousarray(index).reshape(planes, -1),
            out.reshape(planes, -1),
        )
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

    @staticmethod
    def jvp(ctx, tangents, xp):
        # linear in x: the tangent gathered at the same indices (also max pooling's)
        return xp.gather_flat(tangents[0], ctx.index)


class ScatterAddFlat(Op):
    """The adjoint of ``GatherFlat``; VJP: gather at the same indices."""

    jvp = staticmethod(linear_jvp)

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


class MaxPool3DWithIndices(MaxPool2DWithIndices):
    pass


_xp.define(
    "gather_flat", numpy=_np_gather_flat, tensor=lambda x, index: GatherFlat.apply(x, index=index)
)
_xp.define(
    "scatter_add_flat",
    numpy=_np_scatter_add_flat,
    tensor=lambda g, index, shape: ScatterAddFlat.apply(g, index=index, in_shape=shape),
)


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
        ho = _out_size(h, kernel[0], stride[0], *pads[0], dilation[0])
        wo = _out_size(w, kernel[1], stride[1], *pads[1], dilation[1])
        values = k.empty((n, c, ho, wo), x.dtype)  # (from kernels/buffers.py)
        idx = k.empty((n, c, ho, wo), np.int64)
        planes = (np.ascontiguousarray(x).reshape(n * c, h, w),)
        outs = (values.reshape(n * c, ho, wo), idx.reshape(n * c, ho, wo))
        args = _window_args(kernel, stride, pads, dilation)
        if args == (2, 2, 2, 2, 0, 0, 1, 1) and 2 * ho <= h and 2 * wo <= w:
            k.maxpool2d_2x2(*planes, *outs)  # MaxPool2d(2), windows inside the image
        else:
            k.maxpool2d_argmax(*planes, *args, *outs)
        return values, idx
    win = _im2col(x, kernel, stride, pads, dilation, value=-np.inf)  # (N, C, kh, kw, Ho, Wo)
    kh, kw, ho, wo = win.shape[2:]
    flat = win.reshape(n, c, kh * kw, ho, wo)
    arg = _pool_argmax(flat, axis=2)  # (N, C, Ho, Wo)
    values = np.take_along_axis(flat, arg[:, :, None], axis=2)[:, :, 0]
    ki, kj = np.divmod(arg, kw)
    rows = np.arange(ho).reshape(-1, 1) * stride[0] + ki * dilation[0] - pads[0][0]
    cols = np.arange(wo) * stride[1] + kj * dilation[1] - pads[1][0]
    # a window of only -inf may pick padding: clamp so the index stays a valid position
    idx = np.clip(rows, 0, h - 1) * w + np.clip(cols, 0, w - 1)
    return values, idx.astype(np.int64)


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
    *,
    _opname="max_pool2d",
):
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
    k, s, pads, d, _ = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, _opname)
    # (the maxima's positions depend on the values: derived, see function.derive)
    values, idx = derive(_max_pool2d_forward_np, x, kernel=k, stride=s, pads=pads, dilation=d)
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

    return (
        unsqueeze(input, -2),
        pair(kernel_size),
        None if stride is None else pair(stride),
        (0,) + pair(padding)[1:],
        pair(dilation),
    )


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
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


def _max_pool3d_forward_np(x, kernel, stride, pads, dilation):
    """Values and flat (d * H * W + h * W + w) indices of each window's maximum, from the
    N-D window view (the same tie and NaN rules as 2-D)."""
    nd = len(kernel)
    win = _im2col(x, kernel, stride, pads, dilation, value=-np.inf)  # (N, C, *k, *out)
    out = win.shape[2 + nd :]
    flat = win.reshape(x.shape[:2] + (-1,) + out)
    arg = _pool_argmax(flat, axis=2)
    values = np.take_along_axis(flat, arg[:, :, None], axis=2)[:, :, 0]
    idx = np.zeros(arg.shape, np.int64)
    for axis, (tap, s, d, (lo, _), size) in enumerate(
        zip(np.unravel_index(arg, kernel), stride, dilation, pads, x.shape[2:])
    ):
        start = (np.arange(out[axis]) * s - lo).reshape([-1 if i == axis else 1 for i in range(nd)])
        # a window of only -inf may pick padding: clamp so the index stays a valid position
        idx = idx * size + np.clip(start + tap * d, 0, size - 1)
    return values, idx


def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W); ``stride`` defaults to
    ``kernel_size``. Indices are flat over D * H * W.

    Example:
        >>> autograd.max_pool3d(autograd.arange(8.0).reshape(1, 1, 2, 2, 2), 2)
        tensor([[[[[7.]]]]])
    """
    from .movement import squeeze, unsqueeze

    _pool_input(input, "max_pool3d", 3)
    unbatched = input.ndim == 4
    x = unsqueeze(input, 0) if unbatched else input
    k, s, pads, d, _ = _pool_geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d", 3
    )
    values, idx = derive(_max_pool3d_forward_np, x, kernel=k, stride=s, pads=pads, dilation=d)
    y = MaxPool3DWithIndices.apply(x, index=idx, values=values)
    if unbatched:
        y, idx = squeeze(y, 0), idx[0]
    return (y, Tensor._make(idx)) if return_indices else y


def _ref_max_pool(nd):
    """Loop reference (any number of spatial dims): the max over each window's in-bounds
    elements, the first one on ties."""

    def ref(
        x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
    ):
        batched = x if x.ndim == nd + 2 else x[None]
        k, s, pads, d, out = _pool_geometry(
            batched, kernel_size, stride, padding, dilation, ceil_mode, "", nd
        )
        size = batched.shape[2:]
        vals = np.full(batched.shape[:2] + out, -np.inf, x.dtype)
        idx = np.zeros(batched.shape[:2] + out, np.int64)
        for pos in np.ndindex(*out):
            for tap in np.ndindex(*k):
                at = tuple(
                    o * s_ + t * d_ - lo for o, s_, t, d_, (lo, _) in zip(pos, s, tap, d, pads)
                )
                if all(0 <= a < n for a, n in zip(at, size)):
                    v, cur = batched[(Ellipsis,) + at], vals[(Ellipsis,) + pos]
                    better = v > cur
                    vals[(Ellipsis,) + pos] = np.where(better, v, cur)
                    idx[(Ellipsis,) + pos] = np.where(
                        better, np.ravel_multi_index(at, size), idx[(Ellipsis,) + pos]
                    )
        if x.ndim == nd + 1:
            vals, idx = vals[0], idx[0]
        return (vals, idx) if return_indices else vals

    return ref


_max_pool2d_samples = shaped_samples(
    distinct,
    ((2, 2, 4, 4), 2),
    ((1, 2, 5, 6), 3, 2, 1),
    ((1, 1, 5, 5), (2, 3), (2, 1), (1, 0), dict(ceil_mode=True)),
    ((1, 2, 6, 5), 2, 1, dict(dilation=2, return_indices=True)),
    ((2, 5, 5), 3, dict(ceil_mode=True, return_indices=True)),
)
_max_pool1d_samples = shaped_samples(
    distinct,
    ((2, 2, 6), 2),
    ((1, 2, 7), 3, 2, 1, dict(ceil_mode=True, return_indices=True)),
    ((2, 8), 2, 1, dict(dilation=3)),
)
_max_pool3d_samples = shaped_samples(
    distinct,
    ((2, 2, 4, 4, 4), 2),
    ((1, 2, 3, 5, 4), (2, 3, 2), (1, 2, 2), (1, 1, 0), dict(ceil_mode=True, return_indices=True)),
    ((2, 5, 4, 5), 2, 1, dict(dilation=(1, 2, 2), return_indices=True)),
)
register_functions(
    "pooling",
    [
        ("max_pool2d", max_pool2d, _ref_max_pool(2), _max_pool2d_samples),
        ("max_pool1d", max_pool1d, _ref_max_pool(1), _max_pool1d_samples),
        ("max_pool3d", max_pool3d, _ref_max_pool(3), _max_pool3d_samples),
    ],
)


# ---- max_unpool: values back to the positions max pooling took them from ----------------------
class MaxUnpool2D(Op):
    """out[n, c].flat[index] = x, zeros elsewhere; VJP: gather g at the same indices (whose VJP
    is the scatter-add, equal to this op when indices do not repeat)."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, index, out_shape):
        ctx.index = index
        out = np.zeros(out_shape, x.dtype)
        if x.size:
            planes = out_shape[0] * out_shape[1]
            rows = np.arange(planes)[:, None]
            # torch keeps the first of repeated indices: write in reverse, the first lands last
            out.reshape(planes, -1)[rows, index.reshape(planes, -1)[:, ::-1]] = x.reshape(
                planes, -1
            )[:, ::-1]
        return out

    @staticmethod
    def backward(ctx, g, xp):
        return xp.gather_flat(g, ctx.index)


class MaxUnpool3D(MaxUnpool2D):
    pass


def _unpool_output_size(size, kernel, stride, padding, output_size):
    """torch's rule: the default (n - 1) * s + k - 2p, or ``output_size`` (spatial, or with
    batch and channel) strictly within a stride of it."""
    default = [(n - 1) * s + k - 2 * p for n, k, s, p in zip(size, kernel, stride, padding)]
    if output_size is None:
        out = default
    else:
        out = [int(v) for v in output_size]
        nd = len(kernel)
        if len(out) == nd + 2:
            out = out[2:]
        if len(out) != nd:
            raise ValueError(
                f"output_size should be a sequence containing {nd} or {nd + 2} "
                f"elements, but it has a length of '{len(out)}'"
            )
        for d, (v, dv, s) in enumerate(zip(out, default, stride)):
            if not dv - s < v < dv + s:
                raise ValueError(
                    f'invalid output_size "{tuple(output_size)}" (dim {d} must be '
                    f"between {dv - s} and {dv + s})"
                )
    for d, v in enumerate(out):
        if v < 0:
            raise ValueError(
                f"max_unpooling: output_size must contain non-negative spatial "
                f"dimensions, but got output_size[{d}]={v}"
            )
    return tuple(out)


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd):
    from .movement import squeeze, unsqueeze

    opname = f"max_unpool{nd}d"
    float_input(input, opname)
    if not isinstance(indices, Tensor):
        raise TypeError(
            f"{opname}(): argument 'indices' (position 2) must be Tensor, not "
            f"{type(indices).__name__}"
        )
    if indices._data.dtype != np.int64:
        raise DTypeError(f"elements in indices should be type int64 but got: {indices.dtype}")
    if input.ndim not in (nd + 1, nd + 2):
        raise ShapeError(
            f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d "
            f"Tensor, but got a tensor with {input.ndim} dimensions."
        )
    if indices.shape != input.shape:
        raise ShapeError(
            f"Expected shape of indices to be same as that of the input tensor "
            f"({shape_str(input.shape)}) but got indices tensor with shape: "
            f"{shape_str(indices.shape)}"
        )
    empty = [d for d in range(input.ndim - nd - 1, input.ndim) if input.shape[d] == 0]
    if empty:
        raise ShapeError(
            f"{opname}(): Expected input to have non-zero size for non-batch "
            f"dimensions, but got {shape_str(input.shape)} with dimension "
            f"{empty[0]} being empty."
        )
    k = _ntuple(kernel_size, nd, "kernel_size", opname)
    s = k if stride is None else _ntuple(stride, nd, "stride", opname)
    p = _ntuple(padding, nd, "padding", opname)
    out = _unpool_output_size(input.shape[-nd:], k, s, p, output_size)
    idx = indices._data
    volume = int(np.prod(out))
    bad = (idx < 0) | (idx >= volume)
    if bad.any():
        raise IndexError(
            f"Found an invalid max index: {int(idx[bad].flat[0])} (output volumes "
            f"are of size {'x'.join(map(str, out))})"
        )
    unbatched = input.ndim == nd + 1
    x = unsqueeze(input, 0) if unbatched else input
    idx = idx[None] if unbatched else idx
    y = (MaxUnpool3D if nd == 3 else MaxUnpool2D).apply(x, index=idx, out_shape=x.shape[:2] + out)
    return squeeze(y, 0) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of ``max_pool1d``: each value goes back to the position its index names
    (from ``max_pool1d(..., return_indices=True)``); zeros elsewhere.

    Example:
        >>> y, i = autograd.max_pool1d(autograd.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2,
        ...                            return_indices=True)
        >>> autograd.max_unpool1d(y, i, 2)
        tensor([[[0., 3., 2., 0.]]])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of ``max_pool2d`` (values at their flat ``h * W + w`` indices, zeros
    elsewhere); ``output_size`` picks among the input sizes that pool to this size.

    Example:
        >>> x = autograd.arange(16.0).reshape(1, 1, 4, 4)
        >>> autograd.max_unpool2d(*autograd.max_pool2d(x, 2, return_indices=True), 2).shape
        autograd.Size([1, 1, 4, 4])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of ``max_pool3d`` (values at their flat ``(d * H + h) * W + w`` indices).

    Example:
        >>> x = autograd.arange(64.0).reshape(1, 1, 4, 4, 4)
        >>> autograd.max_unpool3d(*autograd.max_pool3d(x, 2, return_indices=True), 2).shape
        autograd.Size([1, 1, 4, 4, 4])
    """
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3)


def _ref_max_unpool(nd):
    def ref(x, idx, kernel_size, stride=None, padding=0, output_size=None):
        k = _ntuple(kernel_size, nd, "", "")
        s = k if stride is None else _ntuple(stride, nd, "", "")
        p = _ntuple(padding, nd, "", "")
        out = _unpool_output_size(x.shape[-nd:], k, s, p, output_size)
        res = np.zeros(x.shape[:-nd] + out, x.dtype)
        for lead in np.ndindex(*x.shape[:-nd]):
            plane = res[lead].reshape(-1)
            for j in reversed(range(idx[lead].size)):  # the first of repeated indices wins
                plane[idx[lead].flat[j]] = x[lead].flat[j]
        return res

    return ref


def _unpool_samples(nd, shape):
    """Values and the indices max pooling picked (distinct values: no repeated index)."""

    def gen(rng):
        pool = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}[nd]
        x = Tensor._make(distinct(rng, shape))
        y, i = pool(x, 2, return_indices=True)
        y2, i2 = pool(x[0], 2, return_indices=True)  # unbatched, a larger output
        return [
            Sample(y._data, i._data, 2),
            Sample(y2._data, i2._data, 2, output_size=tuple(2 * n + 1 for n in i2.shape[1:])),
        ]

    return gen


def _register_1d_2d_3d(fns, ref, samples, shapes, family="pooling"):
    """Register the 1d, 2d and 3d forms ``fns``: ``ref(nd)`` and ``samples(nd, shape)`` make
    the reference and the sample generator for nd spatial dims (inputs of ``shapes[nd - 1]``)."""
    register_functions(
        family,
        [
            (fn.__name__, fn, ref(nd), samples(nd, shape))
            for nd, (fn, shape) in enumerate(zip(fns, shapes), 1)
        ],
    )


_register_1d_2d_3d(
    (max_unpool1d, max_unpool2d, max_unpool3d),
    _ref_max_unpool,
    _unpool_samples,
    [(2, 3, 8), (2, 2, 6, 4), (1, 2, 4, 2, 6)],
)
