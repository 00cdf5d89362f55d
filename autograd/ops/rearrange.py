"""Ops that copy elements into a new arrangement: repeat, tile, flip (fliplr, flipud), roll.

Views and reshapes are in ``movement.py``; rot90 is in ``shape.py``.
"""

from __future__ import annotations

import numpy as np
from ..function import Op
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import sizes_arg, wrap_dim, wrap_dims
from .registry import OpInfo, Sample, register
from .samples import normal, shaped_samples
from .movement import expand, reshape

__all__ = ["repeat", "tile", "flip", "fliplr", "flipud", "roll"]


# ---- repeat / tile: an expand of interleaved size-1 dims, then a reshape -----------------
def repeat(input: Tensor, *sizes) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along each dimension (PyTorch's ``repeat``, i.e.
    NumPy's ``tile``; extra leading ``sizes`` add dimensions).

    Example:
        >>> autograd.tensor([1.0, 2.0]).repeat(2, 2)
        tensor([[1., 2., 1., 2.],
                [1., 2., 1., 2.]])
    """
    reps = sizes_arg(sizes)
    if len(reps) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number "
            "of dimensions of tensor"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {min(reps)}: {list(reps)}"
        )
    shape = (1,) * (len(reps) - input.ndim) + tuple(input.shape)
    # (a, b) -> (1, a, 1, b) -> (r0, a, r1, b) -> (r0*a, r1*b): each copy of the block
    x = reshape(input, tuple(v for n in shape for v in (1, n)))
    x = expand(x, tuple(v for r, n in zip(reps, shape) for v in (r, n)))
    out = reshape(x, tuple(r * n for r, n in zip(reps, shape)))
    if out._view is not None:  # NumPy could reshape without copying: torch's repeat copies
        from .arithmetic import clone

        out = clone(out)
    return out


def tile(input: Tensor, *dims) -> Tensor:
    """Like ``repeat``, but fewer ``dims`` than dimensions are padded with leading 1s.

    Example:
        >>> autograd.tensor([[1.0, 2.0]]).tile(2).shape
        autograd.Size([1, 4])
    """
    reps = sizes_arg(dims)
    reps = (1,) * (input.ndim - len(reps)) + reps
    return repeat(input, reps)


# rows: the input shape, repeats
_REPEAT_SAMPLES = shaped_samples(
    normal,
    ((2, 3), (2, 1)),
    ((3,), (2, 1, 3)),
    ((), (2,)),
    ((2, 3), (0, 2)),
)
register(
    OpInfo(
        "repeat",
        repeat,
        ref=np.tile,
        torch_fn=lambda torch, x, r: x.repeat(r),
        samples=_REPEAT_SAMPLES,
        family="rearrange",
    )
)
register(
    OpInfo(
        "tile",
        tile,
        ref=np.tile,
        samples=shaped_samples(normal, ((2, 3), (2,)), ((2, 3), (1, 2, 2))),
        family="rearrange",
    )
)


# ---- flip / roll ----------------------------------------------------------------------------
class Flip(Op):
    """Reverse the order along ``dims``; flipping is its own inverse, so is its VJP."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()  # NumPy's flip is a view; torch's flip is a copy

    @staticmethod
    def backward(ctx, g, xp):
        return xp.flip(g, ctx.dims)


def flip(input: Tensor, dims) -> Tensor:
    """Reverse the element order along ``dims``.

    Example:
        >>> autograd.tensor([1.0, 2.0, 3.0]).flip(0)
        tensor([3., 2., 1.])
    """
    dims = wrap_dims(dims, input.ndim) if input.ndim else ()
    if not dims:
        return input
    return Flip.apply(input, dims=dims)


def fliplr(input: Tensor) -> Tensor:
    """Flip columns (dim 1) of a tensor with at least 2 dimensions."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flip rows (dim 0) of a tensor with at least 1 dimension."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Op):
    """Shift elements cyclically; the VJP shifts back."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.roll(g, tuple(-s for s in ctx.shifts), ctx.dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements by ``shifts`` along ``dims``, wrapping around (``dims=None``: over the
    flattened tensor, keeping the shape).

    Example:
        >>> autograd.tensor([1.0, 2.0, 3.0]).roll(1)
        tensor([3., 1., 2.])
    """
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return reshape(
            Roll.apply(reshape(input, (-1,)), shifts=(int(shifts[0]),), dims=(0,)), input.shape
        )
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    dims = tuple(wrap_dim(d, input.ndim) for d in dims)
    return Roll.apply(input, shifts=tuple(int(s) for s in shifts), dims=dims)


_xp.define("flip", numpy=np.flip, tensor=flip)
_xp.define("roll", numpy=np.roll, tensor=roll)
register(
    OpInfo(
        "flip",
        flip,
        ref=lambda x, d: np.flip(x, d),
        torch_fn=lambda torch, x, d: torch.flip(x, (d,) if isinstance(d, int) else d),
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3, 4)), (0, 2)),
            Sample(rng.normal(size=(3,)), 0),
            Sample(rng.normal(size=(2, 3)), (-1,)),
        ],
        family="rearrange",
    )
)
register(
    OpInfo(
        "fliplr",
        fliplr,
        ref=np.fliplr,
        samples=lambda rng: [Sample(rng.normal(size=(2, 3, 4)))],
        family="rearrange",
    )
)
register(
    OpInfo(
        "flipud",
        flipud,
        ref=np.flipud,
        samples=lambda rng: [Sample(rng.normal(size=(2, 3)))],
        family="rearrange",
    )
)
register(
    OpInfo(
        "roll",
        roll,
        ref=lambda x, s, d=None: np.roll(x, s, d),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), 1),
            Sample(rng.normal(size=(3, 4)), -5, 1),
            Sample(rng.normal(size=(3, 4)), (1, 2), (1, 0)),
        ],
        family="rearrange",
    )
)
