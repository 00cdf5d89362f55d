"""pad and interpolate (functional forms), built on one index-along-an-axis primitive.

Every mode is "pick source positions along each axis" (``take_along``), optionally mixed
with constant weights (bilinear), so gradients of any order follow from that primitive.
"""
from __future__ import annotations

import math

import numpy as np

from autograd import Tensor
from autograd.errors import ShapeError

from ._take import take_along

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]


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
