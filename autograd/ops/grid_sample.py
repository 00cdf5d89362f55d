"""Spatial transformer networks (``torch.nn.functional`` names): affine_grid and grid_sample.

grid_sample reads the input at per-sample positions with ``gather``; its interpolation
weights are differentiable functions of the grid, so it has gradients for the input and the
grid (of any order). pad and interpolate are in vision.py.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from ..errors import DTypeError, ShapeError
from ..tensor import Tensor
from ._util import ZeroGradInput
from ._util import _torch_dtype_name
from .compare import where
from .registry import Sample, register_functions
from .vision import _cubic_weights

__all__ = ["affine_grid", "grid_sample"]


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


def _sizes(input, grid):
    """How torch's grid_sampler shape errors end."""
    return f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"


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
            f"number of dimensions, but got {_sizes(input, grid)}"
        )
    if grid.shape[-1] != nd:
        raise ShapeError(
            f"grid_sampler(): expected grid to have size {nd} in last dimension, "
            f"but got grid with sizes {list(grid.shape)}"
        )
    if input.ndim not in (4, 5):
        raise ShapeError(
            f"grid_sampler(): expected 4D or 5D input and grid with same number "
            f"of dimensions, but got {_sizes(input, grid)}"
        )
    if grid.shape[0] != input.shape[0]:
        raise ShapeError(
            f"grid_sampler(): expected grid and input to have same batch size, but "
            f"got {_sizes(input, grid)}"
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


def _affine_grid_samples(rng):
    return [
        Sample(rng.normal(size=(2, 2, 3)), (2, 3, 4, 5), False),
        Sample(rng.normal(size=(1, 2, 3)), (1, 1, 1, 3), False),
        Sample(rng.normal(size=(2, 3, 4)), (2, 1, 2, 3, 2), False),
    ]


register_functions(
    "grid_sample",
    [
        ("affine_grid", affine_grid, _ref_affine_grid, _affine_grid_samples),
        ("grid_sample", grid_sample, _ref_grid_sample, _grid_sample_samples),
    ],
    namespace="nn.functional",
)
