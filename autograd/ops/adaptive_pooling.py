"""Adaptive pooling (``torch.nn.functional`` names): adaptive_avg_pool1d / 2d / 3d and
adaptive_max_pool1d / 2d / 3d pool to a fixed output size whatever the input size.

Output position i along a dim of size n spans ``[floor(i n / out), ceil((i + 1) n / out))``
(torch's windows; they overlap when out does not divide n). The ops:

* the average is a separable linear map, one constant averaging matrix per spatial dim
  (``A x B^T`` in 2-D); its VJP is the same map with the transposed matrices, so
  gradients of any order follow;
* the maximum gathers each window's arg-max (found in NumPy) with the flat-index gather of
  pooling.py, whose VJP is a scatter-add.

Every dimension count runs the same code (1-D is not a height-1 image here).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import ShapeError, shape_str
from ..function import Op, derive
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from . import xp as _xp
from .pooling import GatherFlat, _pool_argmax, _pool_input
from .registry import register_functions
from .samples import distinct, normal, shaped_samples

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
]


def _adaptive_bounds(size, out):
    """torch's adaptive windows: [floor(i * size / out), ceil((i + 1) * size / out))."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_output_size(in_sizes, output_size, nd, opname):
    """int, or a sequence of ``nd`` ints (``None`` keeps that input dim) -> a tuple."""
    if isinstance(output_size, (int, np.integer)):
        out = (int(output_size),) * nd
    else:
        try:
            vals = tuple(output_size)
        except TypeError:
            raise TypeError(
                f"{opname}: output_size must be an int or a sequence of {nd} ints, "
                f"got {output_size!r}"
            ) from None
        vals = vals * nd if len(vals) == 1 else vals
        if len(vals) != nd:
            raise ValueError(f"{opname}: output_size must be {nd}")
        out = tuple(n if v is None else int(v) for n, v in zip(in_sizes, vals))
    if any(v < 0 for v in out):
        raise ValueError(
            f"{opname}: elements of output_size must be greater than or equal to 0 "
            f"but received {output_size!r}"
        )
    return out


def _adaptive_input(input, output_size, nd, opname):
    """Checked (batched input, output size, unbatched?)."""
    from .movement import unsqueeze

    _pool_input(input, opname, nd)
    unbatched = input.ndim == nd + 1
    x = unsqueeze(input, 0) if unbatched else input
    out = _adaptive_output_size(x.shape[2:], output_size, nd, opname)
    if 0 in x.shape[2:]:
        raise ShapeError(
            f"{opname}(): expected input to have non-zero size for non-batch "
            f"dimensions, but input has sizes {shape_str(input.shape)}"
        )
    return x, out, unbatched


# ---- average: a separable linear map -----------------------------------------------------------
def _banded_apply(x, m, axis):
    """m @ x along ``axis``. Each row of m (and of its transpose) is nonzero on one run of
    columns only (a window), and only that run is read: a plain matrix product would spread
    one nan or inf in x to every output (0 * nan is nan); torch's pools keep it in its own
    windows."""
    xs = np.moveaxis(x, axis, -1)
    out = np.zeros(xs.shape[:-1] + (m.shape[0],), np.result_type(x, m))
    for i, row in enumerate(m):
        nz = np.flatnonzero(row)
        if nz.size:
            s, e = nz[0], nz[-1] + 1
            out[..., i] = xs[..., s:e] @ row[s:e]
    return np.moveaxis(out, -1, axis)


def _np_separable(x, mats):
    """Apply ``mats[i]`` along spatial dim i (the last ``len(mats)`` dims)."""
    for axis, m in enumerate(mats, start=x.ndim - len(mats)):
        x = _banded_apply(x, m, axis)
    return x


class AdaptiveAvgPool2D(Op):
    """y = A x B^T (one constant averaging matrix per spatial dim); the VJP is the same map
    with the transposed matrices."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, mats):
        ctx.mats = mats
        return _np_separable(x, mats)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.separable(g, tuple(m.T for m in ctx.mats))


class AdaptiveAvgPool3D(AdaptiveAvgPool2D):
    pass


_xp.define(
    "separable", numpy=_np_separable, tensor=lambda x, mats: AdaptiveAvgPool2D.apply(x, mats=mats)
)


def _averaging_matrix(size, out, dtype):
    m = np.zeros((out, size), dtype)
    start, end = _adaptive_bounds(size, out)
    for i, (s, e) in enumerate(zip(start, end)):
        m[i, s:e] = 1.0 / (e - s)
    return m


def _adaptive_avg_pool(input, output_size, nd):
    from .movement import squeeze

    x, out, unbatched = _adaptive_input(input, output_size, nd, f"adaptive_avg_pool{nd}d")
    mats = tuple(_averaging_matrix(n, o, x._data.dtype) for n, o in zip(x.shape[2:], out))
    y = (AdaptiveAvgPool3D if nd == 3 else AdaptiveAvgPool2D).apply(x, mats=mats)
    return squeeze(y, 0) if unbatched else y


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to a fixed length.

    Example:
        >>> autograd.adaptive_avg_pool1d(autograd.tensor([[[1.0, 2.0, 3.0, 4.0]]]), 2)
        tensor([[[1.5000, 3.5000]]])
    """
    return _adaptive_avg_pool(input, output_size, 1)


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Average pooling to a fixed output size (``None`` keeps that input dim).

    Example:
        >>> autograd.adaptive_avg_pool2d(autograd.ones(1, 3, 5, 7), 1).shape
        autograd.Size([1, 3, 1, 1])
    """
    return _adaptive_avg_pool(input, output_size, 2)


def adaptive_avg_pool3d(input, output_size) -> Tensor:
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed output size.

    Example:
        >>> autograd.adaptive_avg_pool3d(autograd.ones(1, 3, 4, 5, 7), (1, None, 2)).shape
        autograd.Size([1, 3, 1, 5, 2])
    """
    return _adaptive_avg_pool(input, output_size, 3)


def _windows(in_sizes, out):
    """(output position, slices of its window) for every output position (loop references
    and the arg-max search)."""
    for pos in itertools.product(*(range(o) for o in out)):
        yield (
            pos,
            tuple(
                slice(int(np.floor(i * n / o)), int(np.ceil((i + 1) * n / o)))
                for i, n, o in zip(pos, in_sizes, out)
            ),
        )


def _ref_adaptive(x, output_size, nd, kind, return_indices=False):
    """Loop reference: every output position's window by floor/ceil."""
    batched = x if x.ndim == nd + 2 else x[None]
    size = batched.shape[2:]
    out = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
    out = tuple(n if o is None else o for n, o in zip(size, out))
    vals = np.zeros(batched.shape[:2] + out, x.dtype)
    idx = np.zeros(batched.shape[:2] + out, np.int64)
    for pos, win in _windows(size, out):
        block = batched[(slice(None),) * 2 + win]
        at = (slice(None),) * 2 + pos
        if kind == "avg":
            vals[at] = block.mean(axis=tuple(range(2, 2 + nd)))
            continue
        for n, c in np.ndindex(*batched.shape[:2]):
            local = np.unravel_index(np.argmax(block[n, c]), block.shape[2:])
            vals[(n, c) + pos] = block[(n, c) + local]
            idx[(n, c) + pos] = np.ravel_multi_index(
                tuple(li + w.start for li, w in zip(local, win)), size
            )
    if x.ndim == nd + 1:
        vals, idx = vals[0], idx[0]
    return (vals, idx) if return_indices else vals


def _ref_adaptive_nd(kind, nd):
    """``_ref_adaptive`` with the op's arguments (``return_indices`` only for max)."""
    return lambda x, output_size, return_indices=False: _ref_adaptive(
        x, output_size, nd, kind, return_indices
    )


register_functions(
    "adaptive_pooling",
    [
        (
            "adaptive_avg_pool2d",
            adaptive_avg_pool2d,
            _ref_adaptive_nd("avg", 2),
            shaped_samples(
                normal,
                ((2, 2, 5, 7), (2, 3)),
                ((1, 2, 4, 4), 1),
                ((2, 5, 6), (None, 4)),
                ((1, 1, 3, 3), 5),
            ),
        ),
        (
            "adaptive_avg_pool1d",
            adaptive_avg_pool1d,
            _ref_adaptive_nd("avg", 1),
            shaped_samples(normal, ((2, 3, 7), 3), ((2, 5), 7)),
        ),
        (
            "adaptive_avg_pool3d",
            adaptive_avg_pool3d,
            _ref_adaptive_nd("avg", 3),
            shaped_samples(
                normal,
                ((2, 2, 3, 5, 4), (2, 3, 3)),
                ((2, 3, 4, 3), (None, 2, 5)),
                ((1, 1, 2, 2, 3), 1),
            ),
        ),
    ],
)


# ---- maximum: gather each window's arg-max -----------------------------------------------------
class AdaptiveMaxPool2D(GatherFlat):
    pass


class AdaptiveMaxPool3D(GatherFlat):
    pass


def _adaptive_max_indices_np(x, out):
    """Flat (per-plane) index of each window's maximum (a NaN wins, as in torch's pools)."""
    n, c, *size = x.shape
    idx = np.zeros((n, c) + tuple(out), np.int64)
    for pos, win in _windows(size, out):
        block = x[(slice(None),) * 2 + win]
        local = np.unravel_index(_pool_argmax(block.reshape(n, c, -1), axis=2), block.shape[2:])
        idx[(slice(None),) * 2 + pos] = np.ravel_multi_index(
            tuple(li + w.start for li, w in zip(local, win)), size
        )
    return idx


def _adaptive_max_pool(input, output_size, return_indices, nd):
    from .movement import squeeze

    x, out, unbatched = _adaptive_input(input, output_size, nd, f"adaptive_max_pool{nd}d")
    idx = derive(_adaptive_max_indices_np, x, out=out)  # (see function.derive)
    y = (AdaptiveMaxPool3D if nd == 3 else AdaptiveMaxPool2D).apply(x, index=idx)
    if unbatched:
        y, idx = squeeze(y, 0), idx[0]
    return (y, Tensor._make(idx)) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) or (C, L) to a fixed length (indices index the length).

    Example:
        >>> autograd.adaptive_max_pool1d(autograd.tensor([[[1.0, 4.0, 3.0, 2.0]]]), 2)
        tensor([[[4., 3.]]])
    """
    return _adaptive_max_pool(input, output_size, return_indices, 1)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (``None`` keeps that input dim); with
    ``return_indices=True`` also the flat (h * W + w) index of each maximum.

    Example:
        >>> autograd.adaptive_max_pool2d(autograd.arange(16.0).reshape(1, 1, 4, 4), 1)
        tensor([[[[15.]]]])
    """
    return _adaptive_max_pool(input, output_size, return_indices, 2)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed output size; indices are
    flat over D * H * W.

    Example:
        >>> autograd.adaptive_max_pool3d(autograd.arange(8.0).reshape(1, 1, 2, 2, 2), 1)
        tensor([[[[[7.]]]]])
    """
    return _adaptive_max_pool(input, output_size, return_indices, 3)


register_functions(
    "adaptive_pooling",
    [
        (
            "adaptive_max_pool2d",
            adaptive_max_pool2d,
            _ref_adaptive_nd("max", 2),
            shaped_samples(
                distinct,
                ((2, 2, 5, 7), (2, 3)),
                ((1, 2, 4, 4), 3, dict(return_indices=True)),
                ((2, 5, 6), (None, 4)),
            ),
        ),
        (
            "adaptive_max_pool1d",
            adaptive_max_pool1d,
            _ref_adaptive_nd("max", 1),
            shaped_samples(distinct, ((2, 3, 7), 3, dict(return_indices=True)), ((2, 5), 4)),
        ),
        (
            "adaptive_max_pool3d",
            adaptive_max_pool3d,
            _ref_adaptive_nd("max", 3),
            shaped_samples(
                distinct,
                ((2, 2, 3, 5, 4), (2, 3, 3), dict(return_indices=True)),
                ((2, 3, 4, 3), (None, 2, 2)),
            ),
        ),
    ],
)
