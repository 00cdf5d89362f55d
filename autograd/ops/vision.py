"""pad and interpolate (``torch.nn.functional`` names), built on one index-along-an-axis
primitive. affine_grid and grid_sample (spatial transformers) are in grid_sample.py.

Every pad / interpolate mode is "pick source positions along each axis" (``take_along``),
optionally mixed with constant weights (bilinear, bicubic), so gradients of any order follow
from that primitive.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dispatch
from ..errors import ShapeError
from ..function import Op
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from .registry import Sample, register_functions

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]


# ---- the primitive: take positions along one axis (and its adjoint) ---------------------------
# ``take_along(x, axis, idx)`` picks positions ``idx`` (an int array, ``-1`` = "outside",
# giving 0) along ``axis``. It is linear in ``x``; its adjoint scatter-adds back. Each op's
# VJP is the other one, so both are differentiable to any order. ``in_range=True`` says that
# the caller has checked ``0 <= idx < x.shape[axis]`` already (an embedding's ``_rows``), so
# neither direction looks at the indices again.
def _take(x, axis, idx, in_range=False):
    if in_range:  # (the general path below gives the same: no index is -1)
        return x.take(idx, axis=axis)
    if x.shape[axis] == 0:  # nothing to take from: every position is a zero (constant pad)
        shape = list(x.shape)
        shape[axis] = idx.size
        return np.zeros(shape, x.dtype)
    # (an embedding's rows, most pads: no index to clamp, no mask; one reduction, and the
    # array's own ``take``, cost less than a mask and ``np.take``'s wrapper on small arrays)
    if not idx.size or idx.min() >= 0:
        return x.take(idx, axis=axis)
    valid = idx >= 0
    out = np.take(x, np.where(valid, idx, 0), axis=axis)
    shape = [1] * x.ndim
    shape[axis] = idx.size
    # (a select, not a product with the mask: 0 * inf would be nan)
    return np.where(valid.reshape(shape), out, np.zeros((), x.dtype))


def _scatter(g, axis, idx, n, in_range=False):
    k = dispatch.kernels("scatter", g, idx)
    if k is not None:  # (np.add.at's generic loop is slow on 2-D slices: an embedding's grad)
        return k.scatter(g, axis, idx, n, in_range)
    shape = list(g.shape)
    shape[axis] = n
    out = np.zeros(shape, dtype=g.dtype)
    valid = idx >= 0
    if axis == 0 and valid.all():  # (an embedding's VJP: no views, no masked copies)
        np.add.at(out, idx, g)
        return out
    moved_out = np.moveaxis(out, axis, 0)  # a view: writes land in ``out``
    np.add.at(moved_out, idx[valid], np.moveaxis(g, axis, 0)[valid])
    return out


class TakeAlong(Op):
    """out[..., j, ...] = x[..., idx[j], ...] (0 where idx[j] == -1; ``in_range``: the caller
    checked that every index is in ``[0, x.shape[axis])``)."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, axis, idx, in_range=False):
        ctx.axis, ctx.idx, ctx.n, ctx.in_range = axis, idx, x.shape[axis], in_range
        return _take(x, axis, idx, in_range)

    @staticmethod
    def backward(ctx, g, xp):
        if xp.graph:
            return TakeAlongAdjoint.apply(g, axis=ctx.axis, idx=ctx.idx, n=ctx.n)
        return _scatter(g, ctx.axis, ctx.idx, ctx.n, ctx.in_range)


class TakeAlongAdjoint(Op):
    """The transpose of TakeAlong: scatter-add positions back to length ``n``."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, g, axis, idx, n):
        ctx.axis, ctx.idx = axis, idx
        return _scatter(g, axis, idx, n)

    @staticmethod
    def backward(ctx, gg, xp):
        if xp.graph:
            return TakeAlong.apply(gg, axis=ctx.axis, idx=ctx.idx)
        return _take(gg, ctx.axis, ctx.idx)


def take_along(x: Tensor, axis: int, idx: np.ndarray, in_range: bool = False) -> Tensor:
    """Positions ``idx`` of ``x`` along ``axis`` (``-1``: a zero), differentiable to any
    order; the primitive of pad, interpolate and ``nn.functional.embedding``. Pass
    ``in_range=True`` only for indices already checked to lie in ``[0, x.shape[axis])``.

    Example:
        >>> take_along(autograd.tensor([1.0, 2.0, 3.0]), 0, np.array([2, -1, 0]))
        tensor([3., 0., 1.])
    """
    idx = np.asarray(idx, dtype=np.int64)
    if in_range:
        return TakeAlong.apply(x, axis=axis, idx=idx, in_range=True)
    return TakeAlong.apply(x, axis=axis, idx=idx)


# ---- pad ----------------------------------------------------------------------------------------
def _pad_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source index along one axis for each output position (-1 = constant fill). A negative
    amount crops that side first (then the other side is padded from what is left, as torch
    does)."""
    lo, hi = max(-before, 0), n - max(-after, 0)
    before, after, m = max(before, 0), max(after, 0), hi - lo
    pos = np.arange(-before, m + after)
    if mode == "constant":
        return np.where((pos >= 0) & (pos < m), pos + lo, -1)
    if mode == "replicate":
        return np.clip(pos, 0, m - 1) + lo
    if mode == "reflect":
        if m == 1:
            return np.full_like(pos, lo)
        period = 2 * (m - 1)
        r = np.mod(pos, period)
        return np.where(r < m, r, period - r) + lo
    if mode == "circular":
        return np.mod(pos, m) + lo
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
        raise ValueError(
            f"Padding length should be less than or equal to two times the input "
            f"dimension but got padding length {len(pad)} and input of dimension "
            f"{input.dim()}"
        )
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if value not in (None, 0):
            raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if input.dim() not in (k + 1, k + 2) or k > 3:
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
            )
        _check_non_constant_pad(input, pad, mode)
    value = 0.0 if value is None else float(value)
    out = input
    fill = None  # mask of constant positions (for a non-zero value)
    for i in range(k):
        axis = input.dim() - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        if before == 0 and after == 0:
            continue
        n = out.shape[axis]
        if n + min(before, 0) + min(after, 0) < 0:  # torch crops (narrows) before it pads
            raise ShapeError(
                f"narrow(): length must be non-negative. (pad {(before, after)} crops "
                f"more than the {n} elements of dimension {axis} of input "
                f"{list(input.shape)})"
            )
        idx = _pad_index(n, before, after, mode)
        out = take_along(out, axis, idx)
        if mode == "constant" and value != 0.0:
            shape = [1] * input.dim()
            shape[axis] = idx.size
            m = (idx < 0).reshape(shape)
            if fill is not None and fill.shape[axis]:  # (an empty axis is all new positions)
                fill = np.take(fill, np.where(idx >= 0, idx, 0), axis=axis) | m
            else:
                fill = np.broadcast_to(m, out.shape)
            fill = np.broadcast_to(fill, out.shape)
    if fill is not None:
        out = out + Tensor._make((fill * value).astype(out._data.dtype))
    return out


def _check_non_constant_pad(input, pad, mode):
    """torch's checks for reflect / replicate / circular padding (reflect and replicate need
    the dims after the batch dim non-empty; reflect pads less than the size, circular at most
    the size)."""
    k = len(pad) // 2
    first = input.dim() - k - 1  # the channel dim (or the batch dim of unbatched input)
    if mode != "circular" and any(n == 0 for n in input.shape[first:]):
        raise ShapeError(
            f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
            f"batch size and other non-zero dimensions for input, but got: "
            f"{list(input.shape)}"
        )
    for i in range(k):
        axis = input.dim() - 1 - i
        before, after, n = pad[2 * i], pad[2 * i + 1], input.shape[axis]
        if mode == "reflect" and (before >= n or after >= n):
            raise ValueError(
                f"Argument #4: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({before}, {after}) at "
                f"dimension {axis} of input {list(input.shape)}"
            )
        if mode == "circular" and (before > n or after > n):
            raise ValueError("Padding value causes wrapping around more than once.")


def _out_size(in_sizes, size, scale_factor, k):
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = (size,) * k if isinstance(size, int) else tuple(size)
        if len(sizes) != k:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {list(in_sizes)} and output size "
                f"of {list(sizes)}."
            )
        return sizes, [None] * k
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    scales = (scale_factor,) * k if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    return tuple(int(math.floor(n * s)) for n, s in zip(in_sizes, scales)), list(scales)


def _dims(sizes):
    """(4, 5) -> 'H: 4, W: 5', as torch's interpolate messages name spatial sizes."""
    names = "DHW"[-len(sizes) :] if len(sizes) <= 3 else [f"dim {i}" for i in range(len(sizes))]
    return ", ".join(f"{n}: {v}" for n, v in zip(names, sizes))


def _source_scale(n_in, n_out, scale, align_corners):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None else n_in / n_out


_CUBIC_A = -0.75  # torch's (and OpenCV's) bicubic kernel parameter


def _cubic_weights(t):
    """The four Keys cubic-convolution weights of the taps at -1, 0, 1, 2 (t in [0, 1))."""

    def near(x):  # |x| <= 1
        return ((_CUBIC_A + 2) * x - (_CUBIC_A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((_CUBIC_A * x - 5 * _CUBIC_A) * x + 8 * _CUBIC_A) * x - 4 * _CUBIC_A

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _taps(n_in, n_out, scale, mode, align_corners):
    """How one axis is resized: ``[(source indices, weights or None), ...]`` with output j =
    sum over taps of ``weight[j] * x[index[j]]``."""
    dst = np.arange(n_out, dtype=np.float64)
    if mode in ("nearest", "nearest-exact"):
        s = _source_scale(n_in, n_out, scale, False)
        shift = 0.5 if mode == "nearest-exact" else 0.0  # legacy nearest: floor(j * s)
        return [(np.minimum(np.floor((dst + shift) * s).astype(np.int64), n_in - 1), None)]
    s = _source_scale(n_in, n_out, scale, align_corners)
    src = dst * s if align_corners else (dst + 0.5) * s - 0.5
    if mode != "bicubic":  # linear modes clamp the source at 0; bicubic does not
        src = np.maximum(src, 0.0)
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    if mode != "bicubic":
        i0 = np.minimum(i0, n_in - 1)
        return [(i0, 1.0 - t), (np.minimum(i0 + 1, n_in - 1), t)]
    # out-of-range taps read the edge value (torch's bounded access)
    return [(np.clip(i0 - 1 + j, 0, n_in - 1), w) for j, w in enumerate(_cubic_weights(t))]


_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor=None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) input to ``size`` or by ``scale_factor``.

    Modes: ``nearest`` (torch's legacy rule: source floor(j * in / out)), ``nearest-exact``
    (floor((j + 0.5) * in / out), like image libraries), ``linear`` / ``bilinear`` /
    ``trilinear`` and ``bicubic`` (with ``align_corners``), ``area`` (adaptive average
    pooling). Every mode picks and weights source positions along each axis, so gradients
    of any order follow from ``take_along``.

    Example:
        >>> F.interpolate(autograd.tensor([[[1.0, 2.0]]]), scale_factor=2)
        tensor([[[1., 1., 2., 2.]]])
    """
    k = input.dim() - 2
    if k < 1 or k > 3:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            f"the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})"
        )
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif mode in _MODE_DIMS:
        if k != _MODE_DIMS[mode] and mode == "bicubic":  # (torch words it generically)
            raise NotImplementedError(
                f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                f"for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | "
                f"area | nearest-exact (got {mode})"
            )
        if k != _MODE_DIMS[mode]:
            raise NotImplementedError(
                f"Got {input.dim()}D input, but {mode} mode needs {_MODE_DIMS[mode] + 2}D input"
            )
        align_corners = bool(align_corners)
    else:
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not supported (nearest, "
            "nearest-exact, linear, bilinear, bicubic, trilinear, area)"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    in_sizes = input.shape[2:]
    out_sizes, scales = _out_size(in_sizes, size, scale_factor, k)
    if min(in_sizes) <= 0 or min(out_sizes) <= 0:  # torch's check, in torch's words
        raise ShapeError(
            f"Input and output sizes should be greater than 0, but got input "
            f"({_dims(in_sizes)}){' and' if k == 1 else ''} output ({_dims(out_sizes)})"
        )
    if mode == "area":
        from .adaptive_pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[k - 1]
        return pool(input, tuple(out_sizes))
    if recompute_scale_factor:
        scales = [None] * k
    out = input
    dt = input._data.dtype
    for i in range(k):
        axis = 2 + i
        shape = [1] * input.dim()
        shape[axis] = out_sizes[i]
        total = None
        for idx, w in _taps(in_sizes[i], out_sizes[i], scales[i], mode, align_corners):
            term = take_along(out, axis, idx)
            if w is not None:
                term = term * Tensor._make(w.reshape(shape).astype(dt))
            total = term if total is None else total + term
        out = total
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- registered ops (the generic tests check them like every other op) -------------------------
_NP_PAD_MODES = {
    "constant": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}


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
    return [
        Sample(n(size=(2, 3)), (1, 2)),
        Sample(n(size=(2, 3)), (1, 1, 0, 2), "constant", 1.5),
        Sample(n(size=(2, 5)), (-1, 2)),  # crop on one side
        Sample(n(size=(1, 2, 4)), (2, 1), "reflect"),
        Sample(n(size=(1, 2, 3, 3)), (1, 1, 2, 0), "replicate"),
        Sample(n(size=(1, 2, 4)), (2, 3), "circular"),
    ]


def _resize_matrix(n_in, n_out, scale, mode, align_corners):
    """The (n_out, n_in) matrix that resizes one axis (an independent formulation: one
    row of interpolation weights per output position)."""
    m = np.zeros((n_out, n_in))
    step = 1 / scale if scale else n_in / n_out
    for j in range(n_out):
        if mode == "area":  # the mean of an adaptive-pooling window
            lo, hi = int(np.floor(j * n_in / n_out)), int(np.ceil((j + 1) * n_in / n_out))
            m[j, lo:hi] = 1.0 / (hi - lo)
            continue
        if mode in ("nearest", "nearest-exact"):
            src = (j + (0.5 if mode == "nearest-exact" else 0.0)) * step
            m[j, min(int(np.floor(src)), n_in - 1)] = 1.0
            continue
        if align_corners:
            src = j * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            src = (j + 0.5) * step - 0.5
        if mode == "bicubic":
            lo = int(np.floor(src))
            for tap in range(-1, 3):
                x = abs(src - (lo + tap))
                a = -0.75
                w = (
                    ((a + 2) * x - (a + 3)) * x * x + 1
                    if x <= 1
                    else a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
                )
                m[j, min(max(lo + tap, 0), n_in - 1)] += w
            continue
        src = max(src, 0.0)
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
    return [
        Sample(n(size=(1, 2, 3)), 5),
        Sample(n(size=(1, 1, 3, 4)), scale_factor=2),
        Sample(n(size=(2, 1, 4)), 7, mode="linear", align_corners=False),
        Sample(n(size=(1, 2, 3, 3)), (5, 4), mode="bilinear", align_corners=True),
        Sample(n(size=(1, 1, 4, 4)), scale_factor=0.5, mode="bilinear"),
        Sample(n(size=(1, 1, 5)), scale_factor=1.5, mode="linear"),
        Sample(n(size=(1, 2, 3, 4)), (5, 7), mode="bicubic"),
        Sample(n(size=(2, 1, 5, 4)), scale_factor=(0.6, 1.5), mode="bicubic", align_corners=True),
        Sample(n(size=(1, 2, 5)), 7, mode="nearest-exact"),
        Sample(n(size=(1, 1, 2, 3, 4)), (3, 2, 5), mode="trilinear", align_corners=True),
        Sample(n(size=(1, 2, 5, 7)), (2, 3), mode="area"),
    ]


register_functions(
    "vision",
    [
        ("pad", pad, _ref_pad, _pad_samples),
        ("interpolate", interpolate, _ref_interpolate, _interpolate_samples),
    ],
    namespace="nn.functional",
)
