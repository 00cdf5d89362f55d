"""pad and interpolate (``torch.nn.functional`` names), built on one index-along-an-axis
primitive.

Every mode is "pick source positions along each axis" (``take_along``), optionally mixed
with constant weights (bilinear), so gradients of any order follow from that primitive.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError, shape_str
from ..function import Op
from ..tensor import Tensor
from .registry import OpInfo, Sample, register, torch_functional

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]


# ---- the primitive: take positions along one axis (and its adjoint) ---------------------------
# ``take_along(x, axis, idx)`` picks positions ``idx`` (an int array, ``-1`` = "outside",
# giving 0) along ``axis``. It is linear in ``x``; its adjoint scatter-adds back. Each op's
# VJP is the other one, so both are differentiable to any order.
def _take(x, axis, idx):
    valid = idx >= 0
    if x.shape[axis] == 0:  # nothing to take from: every position is a zero (constant pad)
        shape = list(x.shape)
        shape[axis] = idx.size
        return np.zeros(shape, x.dtype)
    out = np.take(x, np.where(valid, idx, 0), axis=axis)
    if not valid.all():
        shape = [1] * x.ndim
        shape[axis] = idx.size
        # np.where, not a product with the mask: 0 * inf would put nan into the padding
        out = np.where(valid.reshape(shape), out, np.zeros((), x.dtype))
    return out


def _scatter(g, axis, idx, n):
    shape = list(g.shape)
    shape[axis] = n
    out = np.zeros(shape, dtype=g.dtype)
    valid = idx >= 0
    moved_out = np.moveaxis(out, axis, 0)  # a view: writes land in ``out``
    np.add.at(moved_out, idx[valid], np.moveaxis(g, axis, 0)[valid])
    return out


class TakeAlong(Op):
    """out[..., j, ...] = x[..., idx[j], ...] (0 where idx[j] == -1)."""

    @staticmethod
    def forward(ctx, x, axis, idx):
        ctx.axis, ctx.idx, ctx.n = axis, idx, x.shape[axis]
        return _take(x, axis, idx)

    @staticmethod
    def backward(ctx, g, xp):
        if xp.graph:
            return TakeAlongAdjoint.apply(g, axis=ctx.axis, idx=ctx.idx, n=ctx.n)
        return _scatter(g, ctx.axis, ctx.idx, ctx.n)


class TakeAlongAdjoint(Op):
    """The transpose of TakeAlong: scatter-add positions back to length ``n``."""

    @staticmethod
    def forward(ctx, g, axis, idx, n):
        ctx.axis, ctx.idx = axis, idx
        return _scatter(g, axis, idx, n)

    @staticmethod
    def backward(ctx, gg, xp):
        if xp.graph:
            return TakeAlong.apply(gg, axis=ctx.axis, idx=ctx.idx)
        return _take(gg, ctx.axis, ctx.idx)


def take_along(x: Tensor, axis: int, idx: np.ndarray) -> Tensor:
    """Positions ``idx`` of ``x`` along ``axis`` (``-1``: a zero), differentiable to any
    order; the primitive of pad, interpolate and ``nn.functional.embedding``.

    Example:
        >>> take_along(autograd.tensor([1.0, 2.0, 3.0]), 0, np.array([2, -1, 0]))
        tensor([3., 0., 1.])
    """
    return TakeAlong.apply(x, axis=axis, idx=np.asarray(idx, dtype=np.int64))


# ---- pad ----------------------------------------------------------------------------------------
def _pad_index(n: int, before: int, after: int, mode: str, opname="pad") -> np.ndarray:
    """Source index along one axis for each output position (-1 = constant fill)."""
    pos = np.arange(-before, n + after)
    if mode == "constant":
        return np.where((pos >= 0) & (pos < n), pos, -1)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    if mode == "reflect":
        if before >= n or after >= n:
            raise ValueError(f"Padding size should be less than the corresponding input dimension, "
                             f"but got: padding ({before}, {after}) at dimension of size {n}")
        if n == 1:
            return np.zeros_like(pos)
        period = 2 * (n - 1)
        m = np.mod(pos, period)
        return np.where(m < n, m, period - m)
    if mode == "circular":
        if before > n or after > n:
            raise ValueError("Padding value causes wrapping around more than once.")
        return np.mod(pos, n)
    raise NotImplementedError(f"Unrecognised padding mode {mode}")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims; ``pad = (left, right, top, bottom, ...)`` starts
    with the last dim, like torch. Modes: constant (``value``), reflect, replicate, circular.
    Negative padding crops (constant mode).

    Example:
        >>> F.pad(autograd.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ValueError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.dim():
        raise ValueError(f"Padding length should be less than or equal to two times the input "
                         f"dimension but got padding length {len(pad)} and input of dimension "
                         f"{input.dim()}")
    if mode != "constant":
        if value not in (None, 0):
            raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if k > input.dim() - 1:
            raise NotImplementedError(f"pad: {mode} padding of {k} dims needs an input with at least "
                                      f"{k + 1} dims (batch/channel first), got {input.dim()}D")
        # torch: only a batch dimension (the first of k + 2) may be empty
        if 0 in input.shape[1 if input.dim() == k + 2 else 0:] and mode != "circular":
            raise ShapeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch "
                             "size and other non-zero dimensions for input, but got: "
                             f"{shape_str(input.shape)}")
    value = 0.0 if value is None else float(value)
    out = input
    fill = None  # mask of constant positions (for a non-zero value)
    for i in range(k):
        axis = input.dim() - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        if before == 0 and after == 0:
            continue
        n = out.shape[axis]
        if mode == "constant" and (before < 0 or after < 0):
            if n + before + after < 0:
                raise ShapeError(f"pad: cropping {(before, after)} from a dim of size {n}")
        if mode != "constant" and (before < 0 or after < 0):
            raise ValueError(f"pad: negative padding is only supported in constant mode, got {pad}")
        idx = _pad_index(n, before, after, mode)
        out = take_along(out, axis, idx)
        if mode == "constant" and value != 0.0:
            shape = [1] * input.dim()
            shape[axis] = idx.size
            m = (idx < 0).reshape(shape)
            if fill is not None:
                fill = np.take(fill, np.where(idx >= 0, idx, 0), axis=axis) | m
            else:
                fill = np.broadcast_to(m, out.shape)
            fill = np.broadcast_to(fill, out.shape)
    if fill is not None:
        out = out + Tensor._make((fill * value).astype(out._data.dtype))
    return out


def _out_size(in_sizes, size, scale_factor, k):
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = (size,) * k if isinstance(size, int) else tuple(size)
        if len(sizes) != k:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but "
                             f"got input with spatial dimensions of {list(in_sizes)} and output size "
                             f"of {list(sizes)}.")
        return sizes, [None] * k
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = (scale_factor,) * k if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    return tuple(int(math.floor(n * s)) for n, s in zip(in_sizes, scales)), list(scales)


def _dims(sizes):
    """(4, 5) -> 'H: 4, W: 5', as torch's interpolate messages name spatial sizes."""
    names = "DHW"[-len(sizes):] if len(sizes) <= 3 else [f"dim {i}" for i in range(len(sizes))]
    return ", ".join(f"{n}: {v}" for n, v in zip(names, sizes))


def _source_scale(n_in, n_out, scale, align_corners):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None else n_in / n_out


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor=None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) input.

    Modes: ``nearest`` (torch's legacy floor rule), ``linear``/``bilinear`` (with
    ``align_corners``). Example:
        >>> F.interpolate(autograd.tensor([[[1.0, 2.0]]]), scale_factor=2)
        tensor([[[1., 1., 2., 2.]]])
    """
    k = input.dim() - 2
    if k < 1:
        raise ValueError(f"interpolate: expected input with batch and channel dims, got "
                         f"{input.dim()}D")
    if mode in ("nearest",):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif mode in ("linear", "bilinear", "trilinear"):
        want = {"linear": 1, "bilinear": 2, "trilinear": 3}[mode]
        if k != want:
            raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                      f"{want + 2}D input")
        align_corners = bool(align_corners)
    else:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported (nearest, linear, "
                                  "bilinear, trilinear)")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    in_sizes = input.shape[2:]
    out_sizes, scales = _out_size(in_sizes, size, scale_factor, k)
    if min(in_sizes) <= 0 or min(out_sizes) <= 0:  # torch's check, in torch's words
        raise ShapeError(f"Input and output sizes should be greater than 0, but got input "
                         f"({_dims(in_sizes)}){' and' if k == 1 else ''} output ({_dims(out_sizes)})")
    if recompute_scale_factor:
        scales = [None] * k
    out = input
    dt = input._data.dtype
    for i in range(k):
        axis = 2 + i
        n_in, n_out = in_sizes[i], out_sizes[i]
        if mode == "nearest":
            s = _source_scale(n_in, n_out, scales[i], False)
            src = np.minimum(np.floor(np.arange(n_out) * s).astype(np.int64), n_in - 1)
            out = take_along(out, axis, src)
            continue
        s = _source_scale(n_in, n_out, scales[i], align_corners)
        dst = np.arange(n_out, dtype=np.float64)
        src = dst * s if align_corners else np.maximum((dst + 0.5) * s - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        l1 = src - i0
        shape = [1] * input.dim()
        shape[axis] = n_out
        w1 = Tensor._make(l1.reshape(shape).astype(dt))
        w0 = Tensor._make((1.0 - l1).reshape(shape).astype(dt))
        out = take_along(out, axis, i0) * w0 + take_along(out, axis, i1) * w1
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- registered ops (the generic tests check them like every other op) -------------------------
_NP_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
                 "circular": "wrap"}


def _ref_pad(x, pad, mode="constant", value=None):
    """np.pad with torch's argument order (last dim first); negative padding crops."""
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    crop = tuple(slice(max(-a, 0), x.shape[d] - max(-b, 0)) for d, (a, b) in enumerate(widths))
    widths = [(max(a, 0), max(b, 0)) for a, b in widths]
    kw = {"constant_values": value or 0.0} if mode == "constant" else {}
    return np.pad(x[crop], widths, mode=_NP_PAD_MODES[mode], **kw)


def _pad_samples(rng):
    n = rng.normal
    return [Sample(n(size=(2, 3)), (1, 2)),
            Sample(n(size=(2, 3)), (1, 1, 0, 2), "constant", 1.5),
            Sample(n(size=(2, 5)), (-1, 2)),                      # crop on one side
            Sample(n(size=(1, 2, 4)), (2, 1), "reflect"),
            Sample(n(size=(1, 2, 3, 3)), (1, 1, 2, 0), "replicate"),
            Sample(n(size=(1, 2, 4)), (2, 3), "circular")]


def _resize_matrix(n_in, n_out, scale, mode, align_corners):
    """The (n_out, n_in) matrix that resizes one axis (an independent formulation: one
    row of interpolation weights per output position)."""
    m = np.zeros((n_out, n_in))
    for j in range(n_out):
        if mode == "nearest":
            src = j * (1 / scale if scale else n_in / n_out)
            m[j, min(int(np.floor(src)), n_in - 1)] = 1.0
            continue
        if align_corners:
            src = j * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            src = max((j + 0.5) * (1 / scale if scale else n_in / n_out) - 0.5, 0.0)
        lo = min(int(np.floor(src)), n_in - 1)
        hi = min(lo + 1, n_in - 1)
        m[j, lo] += 1 - (src - lo)
        m[j, hi] += src - lo
    return m


def _ref_interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    k = x.ndim - 2
    out = x
    for i in range(k):
        n_in = x.shape[2 + i]
        if size is not None:
            n_out, scale = (size if isinstance(size, int) else size[i]), None
        else:
            scale = scale_factor if isinstance(scale_factor, (int, float)) else scale_factor[i]
            n_out = int(np.floor(n_in * scale))
        m = _resize_matrix(n_in, n_out, scale, mode, align_corners)
        out = np.moveaxis(np.tensordot(m, np.moveaxis(out, 2 + i, 0), axes=1), 0, 2 + i)
    return out.astype(x.dtype)


def _interpolate_samples(rng):
    n = rng.normal
    return [Sample(n(size=(1, 2, 3)), 5),
            Sample(n(size=(1, 1, 3, 4)), scale_factor=2),
            Sample(n(size=(2, 1, 4)), 7, mode="linear", align_corners=False),
            Sample(n(size=(1, 2, 3, 3)), (5, 4), mode="bilinear", align_corners=True),
            Sample(n(size=(1, 1, 4, 4)), scale_factor=0.5, mode="bilinear"),
            Sample(n(size=(1, 1, 5)), scale_factor=1.5, mode="linear")]


register(OpInfo("pad", pad, ref=_ref_pad, samples=_pad_samples, method=False, family="vision",
                namespace="nn.functional", torch_fn=torch_functional("pad")))
register(OpInfo("interpolate", interpolate, ref=_ref_interpolate, samples=_interpolate_samples,
                method=False, family="vision", namespace="nn.functional",
                torch_fn=torch_functional("interpolate")))
