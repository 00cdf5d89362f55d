"""pad and interpolate (``torch.nn.functional`` names), built on one index-along-an-axis
primitive; affine_grid and grid_sample (spatial transformers).

Every pad / interpolate mode is "pick source positions along each axis" (``take_along``),
optionally mixed with constant weights (bilinear, bicubic), so gradients of any order follow
from that primitive. grid_sample reads the input at per-sample positions with ``gather``;
its interpolation weights are differentiable functions of the grid, so it has gradients
for the input and the grid (of any order) too.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from .. import dispatch
from ..errors import DTypeError, ShapeError
from ..function import Op
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from ._util import ZeroGradInput
from .arithmetic import _torch_dtype_name
from .compare import where
from .registry import OpInfo, Sample, register, torch_functional

__all__ = [
    "pad",
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "affine_grid",
    "grid_sample",
]


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
        # (a select, not a product with the mask: 0 * inf would be nan)
        out = np.where(valid.reshape(shape), out, np.zeros((), x.dtype))
    return out


def _scatter(g, axis, idx, n):
    k = dispatch.kernels("scatter", g, idx)
    if k is not None:  # (np.add.at's generic loop is slow on 2-D slices: an embedding's grad)
        return k.scatter(g, axis, idx, n)
    shape = list(g.shape)
    shape[axis] = n
    out = np.zeros(shape, dtype=g.dtype)
    valid = idx >= 0
    moved_out = np.moveaxis(out, axis, 0)  # a view: writes land in ``out``
    np.add.at(moved_out, idx[valid], np.moveaxis(g, axis, 0)[valid])
    return out


class TakeAlong(Op):
    """out[..., j, ...] = x[..., idx[j], ...] (0 where idx[j] == -1)."""

    jvp = staticmethod(linear_jvp)

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


def take_along(x: Tensor, axis: int, idx: np.ndarray) -> Tensor:
    """Positions ``idx`` of ``x`` along ``axis`` (``-1``: a zero), differentiable to any
    order; the primitive of pad, interpolate and ``nn.functional.embedding``.

    Example:
        >>> take_along(autograd.tensor([1.0, 2.0, 3.0]), 0, np.array([2, -1, 0]))
        tensor([3., 0., 1.])
    """
    return TakeAlong.apply(x, axis=axis, idx=np.asarray(idx, dtype=np.int64))


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


# ---- affine_grid and grid_sample (spatial transformer networks) --------------------------------
_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False "
    "since 1.3.0. Please specify align_corners=True if the old behavior is "
    "desired. See the documentation of grid_sample for details."
)


def _base_coords(n, align_corners):
    """The normalised coordinates of n pixel centres: -1 and 1 are the corner pixels'
    centres (align_corners) or the image's edges."""
    line = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    return line if align_corners else line * (n - 1) / n


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of an affine transform ``theta`` (N, 2, 3) for an output of ``size``
    (N, C, H, W): grid[n, i, j] = theta[n] @ (x_j, y_i, 1) in normalised [-1, 1]
    coordinates, (N, H, W, 2); (N, 3, 4) and (N, D, H, W, 3) in 3-D. Feed it to
    ``grid_sample``.

    Example:
        >>> theta = autograd.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])   # identity
        >>> F.affine_grid(theta, (1, 1, 2, 2), align_corners=True)[0, 0]
        tensor([[-1., -1.],
                [ 1., -1.]])
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        raise TypeError(
            f"affine_grid(): argument 'theta' must be Tensor, not {type(theta).__name__}"
        )
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(v) for v in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(
            f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
            f"affine transforms, respectively. Got size {size}."
        )
    nd = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(
            f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} "
            f"for size {size}. Got {theta.shape!r}."
        )
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if align_corners and min(size[2:]) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size "
            "grids when align_corners=True. This is not an intended use case of "
            "affine_grid. See the documentation of affine_grid for details.",
            stacklevel=2,
        )
    if theta.shape[0] != size[0]:
        raise ShapeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{size[0]}, {nd + 1}] but got: [{theta.shape[0]}, {nd + 1}]."
        )
    spatial = size[2:]
    # base[..., k]: x (the last spatial dim) first, then y (and z), then 1
    axes = [_base_coords(n, align_corners) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack([m for m in reversed(mesh)] + [np.ones(spatial)], axis=-1)
    base = Tensor._make(base.reshape(1, -1, nd + 1).astype(theta._data.dtype))
    grid = base.matmul(theta.transpose(1, 2))  # (N, prod(spatial), nd)
    return grid.reshape((size[0],) + spatial + (nd,))


def _unnormalize(coord, n, align_corners):
    """[-1, 1] -> pixel coordinates (the corner pixels' centres or the image's edges)."""
    return (coord + 1) / 2 * (n - 1) if align_corners else ((coord + 1) * n - 1) / 2


def _reflect(coord, low2, high2):
    """torch's reflect_coordinates: fold a coordinate (a Tensor, or an array of tap
    positions) into [low2 / 2, high2 / 2] by reflections at the ends; the fold count is a
    constant, so a Tensor's gradient flows with the sign of its reflection."""
    if low2 == high2:
        return coord * 0
    tensor = isinstance(coord, Tensor)
    lo, span = low2 / 2, (high2 - low2) / 2
    dist = (coord - lo).abs() if tensor else np.abs(coord - lo)
    raw = dist._data if tensor else dist
    flips = np.floor(raw / span)
    extra = dist - (Tensor._make((flips * span).astype(raw.dtype)) if tensor else flips * span)
    even = np.nan_to_num(flips, nan=0.0, posinf=0.0, neginf=0.0) % 2 == 0
    if tensor:
        return where(Tensor._make(even), extra + lo, span - extra + lo)
    return np.where(even, extra + lo, span - extra + lo)


def _pad_coordinate(coord, n, padding_mode, align_corners):
    """Apply ``border`` / ``reflection`` to (Tensor or integer array) coordinates."""
    if padding_mode == "zeros":
        return coord
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (n - 1)) if align_corners else _reflect(coord, -1, 2 * n - 1)
    if isinstance(coord, Tensor):
        return coord.clamp(0, n - 1)
    return np.clip(coord, 0, n - 1)


def _tap_index(pos, n):
    """Integer positions, with the far away (and non-finite) ones pulled to just outside the
    input: they read zeros without overflowing an int64."""
    return np.clip(np.nan_to_num(pos, nan=-3.0, posinf=n + 2.0, neginf=-3.0), -3, n + 2).astype(
        np.int64
    )


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample ``input`` (N, C, H, W) at the positions ``grid`` (N, Ho, Wo, 2) holds, (x, y) in
    normalised [-1, 1] coordinates (5-D: (N, C, D, H, W) and (N, Do, Ho, Wo, 3)). ``mode``:
    'bilinear' (trilinear in 3-D), 'nearest' or 'bicubic' (2-D); ``padding_mode`` for
    positions outside: 'zeros', 'border' (edge values) or 'reflection'. Differentiable
    with respect to the input and the grid (spatial transformer networks).

    Example:
        >>> x = autograd.arange(4.0).reshape(1, 1, 2, 2)
        >>> grid = autograd.tensor([[[[0.0, 0.0]]]])           # the centre
        >>> F.grid_sample(x, grid, align_corners=True)
        tensor([[[[1.5000]]]])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
            f"'nearest' or 'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
            f"'border', or 'reflection', but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"grid_sample(): argument '{name}' must be Tensor, not {type(t).__name__}"
            )
    nd = input.ndim - 2
    if grid.ndim != input.ndim:
        raise ShapeError(
            f"grid_sampler(): expected {input.ndim}D input and grid with same "
            f"number of dimensions, but got input with sizes "
            f"{list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.shape[-1] != nd:
        raise ShapeError(
            f"grid_sampler(): expected grid to have size {nd} in last dimension, "
            f"but got grid with sizes {list(grid.shape)}"
        )
    if input.ndim not in (4, 5):
        raise ShapeError(
            f"grid_sampler(): expected 4D or 5D input and grid with same number "
            f"of dimensions, but got input with sizes {list(input.shape)} and "
            f"grid with sizes {list(grid.shape)}"
        )
    if grid.shape[0] != input.shape[0]:
        raise ShapeError(
            f"grid_sampler(): expected grid and input to have same batch size, but "
            f"got input with sizes {list(input.shape)} and grid with sizes "
            f"{list(grid.shape)}"
        )
    empty = [d for d in range(2, input.ndim) if input.shape[d] == 0]
    if empty:
        raise ShapeError(
            f"grid_sampler(): expected input to have non-empty spatial dimensions, "
            f"but input has sizes {list(input.shape)} with dimension {empty[0]} "
            f"being empty"
        )
    if mode == "bicubic" and nd != 2:
        raise ShapeError("grid_sampler(): bicubic interpolation only supports 4D input")
    for name, t in (("input", input), ("grid", grid)):
        if not t.dtype.is_floating_point:
            raise DTypeError(f"grid_sampler(): expected a floating point {name}, got {t.dtype}")
    if grid._data.dtype != input._data.dtype:
        raise DTypeError(
            f"expected scalar type {_torch_dtype_name(input._data.dtype)} but "
            f"found {_torch_dtype_name(grid._data.dtype)}"
        )
    n, c, sizes = input.shape[0], input.shape[1], tuple(input.shape[2:])
    out_shape = tuple(grid.shape[1:-1])
    points = int(np.prod(out_shape))
    dt = input._data.dtype
    # per spatial axis a (grid component nd - 1 - a): the taps (integer index, weight)
    taps = []
    for a, size in enumerate(sizes):
        coord = _unnormalize(grid[..., nd - 1 - a].reshape(n, points), size, align_corners)
        if mode != "bicubic":
            coord = _pad_coordinate(coord, size, padding_mode, align_corners)
            if padding_mode != "zeros":  # non-finite positions read an edge, as torch's do
                fill = (
                    np.where(coord._data == np.inf, size - 1, 0)
                    if padding_mode == "border"
                    else np.zeros(coord.shape)
                )
                coord = where(
                    Tensor._make(np.isfinite(coord._data)), coord, Tensor._make(fill.astype(dt))
                )
        if mode == "nearest":
            taps.append([(_tap_index(np.rint(coord._data), size), None)])
            continue
        floor = np.floor(coord._data)
        t = coord - Tensor._make(floor.astype(dt))  # (nan for a non-finite position)
        i0 = _tap_index(floor, size)
        if mode == "bilinear":
            taps.append([(i0, 1 - t), (i0 + 1, t)])
        elif padding_mode == "zeros":  # bicubic
            taps.append([(i0 - 1 + j, w) for j, w in enumerate(_cubic_weights(t))])
        else:  # bicubic: torch pads each tap's position, then truncates it to an index
            base = np.where(np.isfinite(floor), floor, 0.0)  # (the weights are nan there)
            taps.append(
                [
                    (
                        _tap_index(
                            _pad_coordinate(base - 1 + j, size, padding_mode, align_corners), size
                        ),
                        w,
                    )
                    for j, w in enumerate(_cubic_weights(t))
                ]
            )
    flat = input.reshape(n, c, -1)
    out = None
    for combo in itertools.product(*taps):
        inside = np.ones((n, points), bool)
        index = np.zeros((n, points), np.int64)
        weight = None
        for (idx, w), size in zip(combo, sizes):
            inside &= (idx >= 0) & (idx < size)
            index = index * size + np.clip(idx, 0, size - 1)
            if w is not None:
                weight = w if weight is None else weight * w
        picked = flat.gather(2, Tensor._make(np.broadcast_to(index[:, None], (n, c, points))))
        # outside positions read zeros (a select: 0 * inf would be nan). torch's 2-D kernel
        # then multiplies by the weight (a nan weight, at a nan position, gives nan); its 3-D
        # kernel skips outside taps altogether
        inside_t = Tensor._make(inside[:, None])
        if weight is None:
            term = where(inside_t, picked, 0.0)
        elif nd == 2:
            term = where(inside_t, picked, 0.0) * weight.unsqueeze(1)
        else:
            term = where(inside_t, picked * weight.unsqueeze(1), 0.0)
        out = term if out is None else out + term
    out = out.reshape((n, c) + out_shape)
    # nearest: the grid only picks pixels, and torch's gradient for it is zero (not None)
    return ZeroGradInput.apply(out, grid) if mode == "nearest" else out


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


register(
    OpInfo(
        "pad",
        pad,
        ref=_ref_pad,
        samples=_pad_samples,
        method=False,
        family="vision",
        namespace="nn.functional",
        torch_fn=torch_functional("pad"),
    )
)
register(
    OpInfo(
        "interpolate",
        interpolate,
        ref=_ref_interpolate,
        samples=_interpolate_samples,
        method=False,
        family="vision",
        namespace="nn.functional",
        torch_fn=torch_functional("interpolate"),
    )
)


def _ref_affine_grid(theta, size, align_corners=False):
    nd = len(size) - 2
    axes = [_base_coords(n, align_corners) for n in size[2:]]
    out = np.zeros(tuple(size[:1]) + tuple(size[2:]) + (nd,))
    for pos in np.ndindex(*size[2:]):
        point = [axes[a][i] for a, i in reversed(list(enumerate(pos)))] + [1.0]
        out[(slice(None),) + pos] = theta @ np.array(point)
    return out.astype(theta.dtype)


def _ref_grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    """Point by point, the way torch's CPU kernel reads it."""
    nd = x.ndim - 2
    sizes = x.shape[2:]

    def reflect(c, low2, high2):
        if low2 == high2:
            return 0.0
        lo, span = low2 / 2, (high2 - low2) / 2
        d = abs(c - lo)
        flips = np.floor(d / span)
        extra = d - flips * span
        return extra + lo if flips % 2 == 0 else span - extra + lo

    def pad(c, n):
        if padding_mode == "reflection":
            c = reflect(c, 0, 2 * (n - 1)) if align_corners else reflect(c, -1, 2 * n - 1)
        return min(max(c, 0.0), n - 1.0) if padding_mode != "zeros" else c

    def read(b, idx):
        if padding_mode != "zeros":
            idx = [int(pad(float(i), n)) for i, n in zip(idx, sizes)]
        if all(0 <= i < n for i, n in zip(idx, sizes)):
            return x[(b, slice(None)) + tuple(idx)]
        return np.zeros(x.shape[1])

    def cubic(t):
        a = -0.75
        near = lambda v: ((a + 2) * v - (a + 3)) * v * v + 1  # noqa: E731
        far = lambda v: ((a * v - 5 * a) * v + 8 * a) * v - 4 * a  # noqa: E731
        return [far(t + 1), near(t), near(1 - t), far(2 - t)]

    out = np.zeros((x.shape[0], x.shape[1]) + grid.shape[1:-1])
    for b in range(x.shape[0]):
        for pos in np.ndindex(*grid.shape[1:-1]):
            g = grid[(b,) + pos]
            c = [
                (g[nd - 1 - a] + 1) / 2 * (n - 1)
                if align_corners
                else ((g[nd - 1 - a] + 1) * n - 1) / 2
                for a, n in enumerate(sizes)
            ]
            if mode != "bicubic":
                c = [pad(v, n) for v, n in zip(c, sizes)]
            if mode == "nearest":
                val = read(b, [int(np.rint(v)) for v in c])
            else:
                lo = [int(np.floor(v)) for v in c]
                t = [v - f for v, f in zip(c, lo)]
                if mode == "bilinear":
                    weights = [[1 - ti, ti] for ti in t]
                    offsets = [0, 1]
                else:
                    weights = [cubic(ti) for ti in t]
                    offsets = [-1, 0, 1, 2]
                val = 0.0
                for combo in itertools.product(range(len(offsets)), repeat=nd):
                    w = np.prod([weights[a][k] for a, k in enumerate(combo)])
                    val = val + w * read(b, [f + offsets[k] for f, k in zip(lo, combo)])
            out[(b, slice(None)) + pos] = val
    return out.astype(x.dtype)


def _grid_sample_samples(rng):
    u, n = rng.uniform, rng.normal
    return [
        Sample(n(size=(2, 2, 3, 4)), u(-1.3, 1.3, (2, 3, 2, 2)), "bilinear", "zeros", False),
        Sample(n(size=(1, 2, 4, 3)), u(-1.5, 1.5, (1, 2, 3, 2)), "bilinear", "border", True),
        Sample(n(size=(1, 1, 3, 5)), u(-1.8, 1.8, (1, 4, 2, 2)), "bilinear", "reflection", False),
        Sample(n(size=(1, 2, 4, 4)), u(-1.2, 1.2, (1, 2, 3, 2)), "bicubic", "zeros", True),
        Sample(n(size=(1, 1, 3, 4)), u(-1.6, 1.6, (1, 3, 2, 2)), "bicubic", "reflection", False),
        Sample(n(size=(2, 1, 3, 3)), u(-1.2, 1.2, (2, 2, 2, 2)), "nearest", "border", False),
        Sample(n(size=(1, 2, 2, 3, 4)), u(-1.3, 1.3, (1, 2, 2, 2, 3)), "bilinear", "zeros", True),
        Sample(
            n(size=(1, 1, 3, 2, 3)), u(-1.6, 1.6, (1, 1, 2, 3, 3)), "bilinear", "reflection", True
        ),
    ]


register(
    OpInfo(
        "affine_grid",
        affine_grid,
        ref=_ref_affine_grid,
        method=False,
        family="vision",
        namespace="nn.functional",
        torch_fn=torch_functional("affine_grid"),
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 2, 3)), (2, 3, 4, 5), False),
            Sample(rng.normal(size=(1, 2, 3)), (1, 1, 1, 3), False),
            Sample(rng.normal(size=(2, 3, 4)), (2, 1, 2, 3, 2), False),
        ],
    )
)
register(
    OpInfo(
        "grid_sample",
        grid_sample,
        ref=_ref_grid_sample,
        method=False,
        family="vision",
        namespace="nn.functional",
        torch_fn=torch_functional("grid_sample"),
        samples=_grid_sample_samples,
    )
)
