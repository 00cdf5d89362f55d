"""Reductions: sum, mean, ... over ``dim`` (int, tuple or None) with ``keepdim``.

A reduction's VJP spreads the output gradient back over the reduced dimensions: it first
restores them as size-1 dimensions (if ``keepdim=False`` removed them), then expands.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..function import Op
from ..tensor import Tensor
from . import xp as _xp
from ._util import wrap_dims
from .registry import OpInfo, Sample, register

__all__ = ["sum", "mean"]

_sum_builtin = sum


def _reduce_samples(rng):
    x = rng.normal(size=(3, 4, 5))
    return [Sample(x), Sample(x, 1), Sample(x, -1, keepdim=True), Sample(x, (0, 2)),
            Sample(rng.normal(size=())), Sample(rng.normal(size=(2, 3)), 0, True)]


def _keepdim_shape(shape, dims):
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def unreduce(g, in_shape, dims, keepdim, xp):
    """Broadcast a reduction's gradient back to the input shape."""
    if not keepdim:
        g = xp.reshape(g, _keepdim_shape(in_shape, dims))
    return xp.expand(g, in_shape)


_xp.define("unreduce", numpy=lambda g, s, d, k: unreduce(g, s, d, k, _xp.NUMPY),
           tensor=lambda g, s, d, k: unreduce(g, s, d, k, _xp.TENSOR))


# ---- sum ----------------------------------------------------------------------------------
class Sum(Op):
    """Sum over ``dims``; every input element gets the output's gradient."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        out = np.sum(x, axis=dims, keepdims=keepdim, dtype=dtype)
        return np.asarray(out)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.unreduce(g, ctx.in_shape, ctx.dims, ctx.keepdim)


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum of all elements, or over ``dim``. Bool/int inputs sum as int64 (like torch).

    Example:
        >>> autograd.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
        tensor([4., 6.])
    """
    dims = wrap_dims(dim, input.ndim)
    if dtype is not None:
        npdt = _dt.as_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        npdt = np.dtype(np.int64)
    else:
        npdt = input._data.dtype
    return Sum.apply(input, dims=dims, keepdim=keepdim, dtype=npdt)


def _np_sum(x, dim=None, keepdim=False):
    return np.sum(x, axis=tuple(d % max(x.ndim, 1) for d in (
        (dim,) if isinstance(dim, int) else dim)) if dim is not None and x.ndim else None,
        keepdims=keepdim)


_xp.define("sum", numpy=_np_sum, tensor=sum)
register(OpInfo("sum", sum, ref=_np_sum, samples=_reduce_samples, family="reduce"))


# ---- mean ---------------------------------------------------------------------------------
class Mean(Op):
    """Mean over ``dims``; each input element gets grad / (number of reduced elements)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.count = count = int(np.prod([x.shape[d] for d in dims])) if dims else 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.mean(x, axis=dims, keepdims=keepdim) if count
                              else np.full(_keepdim_shape(x.shape, dims) if keepdim else
                                           tuple(n for i, n in enumerate(x.shape) if i not in dims),
                                           np.nan, x.dtype))

    @staticmethod
    def backward(ctx, g, xp):
        return xp.unreduce(g / max(ctx.count, 1), ctx.in_shape, ctx.dims, ctx.keepdim)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of all elements, or over ``dim`` (floating inputs only, like torch).

    Example:
        >>> autograd.tensor([1.0, 2.0, 3.0]).mean()
        tensor(2.)
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype.name.capitalize()}")
    dims = wrap_dims(dim, input.ndim)
    return Mean.apply(input, dims=dims, keepdim=keepdim)


def _np_mean(x, dim=None, keepdim=False):
    axes = None if dim is None or x.ndim == 0 else tuple(
        d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim))
    return np.mean(x, axis=axes, keepdims=keepdim)


_xp.define("mean", numpy=_np_mean, tensor=mean)
register(OpInfo("mean", mean, ref=_np_mean,
                samples=lambda rng: [s for s in _reduce_samples(rng)], family="reduce"))
