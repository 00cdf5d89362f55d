"""Index-along-one-axis primitives shared by ``pad`` and ``interpolate``.

``take_along(x, axis, idx)`` picks positions ``idx`` (an int array, ``-1`` = "outside",
giving 0) along ``axis``. It is linear in ``x``; its adjoint scatters-adds back. Each op's
VJP is the other one, so both are differentiable to any order.
"""
from __future__ import annotations

import numpy as np

from autograd.function import Op


def _take(x, axis, idx):
    valid = idx >= 0
    out = np.take(x, np.where(valid, idx, 0), axis=axis)
    if not valid.all():
        shape = [1] * x.ndim
        shape[axis] = idx.size
        out = out * valid.reshape(shape).astype(x.dtype)
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


def take_along(x, axis: int, idx: np.ndarray):
    return TakeAlong.apply(x, axis=axis, idx=np.asarray(idx, dtype=np.int64))
