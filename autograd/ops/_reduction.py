"""Helpers shared by the reduction families (reduce.py, extrema.py, cumulative.py,
sorting.py): dims and shapes, the gradient spreading of a reduction (``unreduce``), even
tie weights, and the differentiable "select along dim" that max(dim), sort, topk, median and
cummax use to send a value's gradient back to where it came from.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..dtypes import FLOAT_KINDS
from ..errors import DTypeError
from ..function import Op, derive
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import wrap_dim


def _keepdim_shape(shape, dims):
    if len(dims) == len(shape):  # every dim reduced (a loss: the commonest; dims are distinct)
        return (1,) * len(shape)
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def unreduce(g, in_shape, dims, keepdim, xp):
    """Broadcast a reduction's gradient back to the input shape."""
    if not keepdim:
        g = xp.reshape(g, _keepdim_shape(in_shape, dims))
    return xp.expand(g, in_shape)


def _np_unreduce(g, in_shape, dims, keepdim):
    """``unreduce`` on arrays (every reduction's VJP: every loss's backward): the read-only
    view ``np.broadcast_to`` gives (the same strides: 0 along every broadcast or size-1
    dim), built from the strides, since ``np.broadcast_to``'s checks cost several times the
    view itself. Empty and non-contiguous gradients take ``np.broadcast_to``."""
    g = np.asarray(g)  # (a VJP may send a NumPy scalar)
    if not keepdim:
        g = g.reshape(_keepdim_shape(in_shape, dims))
    if not g.size or not g.flags.c_contiguous or 0 in in_shape:
        return np.broadcast_to(g, in_shape)
    strides = []
    for m, n, step in zip(g.shape, in_shape, g.strides):
        strides.append(step if m == n and n != 1 else 0)
    out = np.ndarray(in_shape, g.dtype, g, 0, tuple(strides))
    out.flags.writeable = False
    return out


_xp.define(
    "unreduce",
    numpy=_np_unreduce,
    tensor=lambda g, s, d, k: unreduce(g, s, d, k, _xp.TENSOR),
)


def keep_reduction(ctx, x, dims, keepdim) -> None:
    """Keep what a reduction's VJP needs to send its gradient back over the input: the input's
    shape, the reduced dims and keepdim (read back by ``unreduced``)."""
    ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim


def unreduced(ctx, g, xp):
    """``g``, shaped like the reduction's output (its gradient, or the output itself), broadcast
    back to the input's shape."""
    return xp.unreduce(g, ctx.in_shape, ctx.dims, ctx.keepdim)


def _np_axes(x, dim):
    """NumPy axis argument for a torch ``dim`` (None, int or tuple) on array ``x``."""
    if dim is None or x.ndim == 0:
        return None
    return tuple(d % x.ndim for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim))


def _out_shape(shape, dims, keepdim):
    if keepdim:
        return _keepdim_shape(shape, dims)
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _count(shape, dims) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _int_dim(dim, ndim, opname):
    """A single dim (torch ops such as cumsum / sort / max(dim) take exactly one)."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{opname}(): argument 'dim' must be int, not {type(dim).__name__}")
    return wrap_dim(dim, ndim)


def _float_only(input, opname, what="floating point"):
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise DTypeError(
            f"{opname}(): expected a {what} tensor as input, got {input.dtype}. "
            f"Convert it first, e.g. x.float().{opname}(...)"
        )


def _int64_if_integral(arr_dtype, dtype):
    """Result dtype of sum-like ops: the ``dtype`` argument, else int64 for bool/int inputs."""
    if dtype is not None:
        return _dt.as_dtype(dtype).np
    if arr_dtype.kind in "biu":
        return np.dtype(np.int64)
    return arr_dtype


def _even_weights(x, out_keep, dims):
    """1/count on the elements equal to the reduced value (count = number of ties), else 0.

    torch spreads the gradient of max()/amax()/median() evenly over tied elements, which is
    also what central finite differences see at a tie.
    """
    hit = x == out_keep
    if x.dtype.kind in FLOAT_KINDS:
        hit |= np.isnan(x) & np.isnan(out_keep)  # a nan result comes from the nan elements
    count = hit.sum(axis=dims, keepdims=True)
    return (hit / np.maximum(count, 1)).astype(x.dtype)


# ---- select-along-dim and its transpose (used by max(dim), sort, topk, median, cummax) ----
class _SelectAlong(Op):
    """``out = take_along_axis(x, index, dim)`` (squeezing ``dim`` unless keepdim).

    The gradient goes back to the selected positions (``_ScatterAlong``); the two ops are each
    other's VJP, so any order of derivative works. Subclasses only set torch's grad_fn name.
    """

    @staticmethod
    def forward(ctx, x, index, dim, keepdim, unique=True, values=None):
        ctx.index, ctx.dim, ctx.keepdim, ctx.in_shape = index, dim, keepdim, x.shape
        ctx.unique = unique  # no index repeats along dim (sort, max): no accumulation needed
        # ``values``: x at index (keepdim shape), when the caller already has them (a kernel
        # that found the index found them too)
        out = np.take_along_axis(x, index, axis=dim) if values is None else values
        return out if keepdim else np.squeeze(out, dim)

    @staticmethod
    def backward(ctx, g, xp):
        # (a scatter kernel measured no faster than np.zeros + put_along_axis: NumPy here)
        return xp.scatter_along(g, ctx.index, ctx.dim, ctx.keepdim, ctx.in_shape, ctx.unique)

    @staticmethod
    def jvp(ctx, tangents, xp):
        # linear in x: the tangent selected at the same indices
        return xp.select_along(tangents[0], ctx.index, ctx.dim, ctx.keepdim, ctx.unique)


class _ScatterAlong(Op):
    """Zeros of ``shape`` with ``g`` added at ``index`` along ``dim`` (repeats accumulate)."""

    jvp = staticmethod(linear_jvp)

    grad_fn_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, g, index, dim, keepdim, shape, unique):
        ctx.index, ctx.dim, ctx.keepdim, ctx.unique = index, dim, keepdim, unique
        return _np_scatter_along(g, index, dim, keepdim, shape, unique)

    @staticmethod
    def backward(ctx, gg, xp):
        return xp.select_along(gg, ctx.index, ctx.dim, ctx.keepdim, ctx.unique)


def _np_scatter_along(g, index, dim, keepdim, shape, unique=False):
    if not keepdim:
        g = np.expand_dims(g, dim)
    out = np.zeros(shape, g.dtype)
    if unique:
        np.put_along_axis(out, index, g, axis=dim)
        return out
    where = tuple(
        index
        if a == dim
        else np.arange(index.shape[a]).reshape([-1 if b == a else 1 for b in range(index.ndim)])
        for a in range(index.ndim)
    )
    np.add.at(out, where, g)
    return out


def _np_select_along(x, index, dim, keepdim, unique=True):
    out = np.take_along_axis(x, index, axis=dim)
    return out if keepdim else np.squeeze(out, dim)


_xp.define(
    "select_along",
    numpy=_np_select_along,
    tensor=lambda x, i, d, k, u: _SelectAlong.apply(x, index=i, dim=d, keepdim=k, unique=u),
)
_xp.define(
    "scatter_along",
    numpy=_np_scatter_along,
    tensor=lambda g, i, d, k, s, u: _ScatterAlong.apply(
        g, index=i, dim=d, keepdim=k, shape=s, unique=u
    ),
)

_SELECT_OPS: dict = {}


def _select(
    input: Tensor,
    index: np.ndarray,
    dim: int,
    keepdim: bool,
    name: str,
    unique: bool = True,
    values=None,
) -> Tensor:
    """Differentiable ``input`` values at ``index`` (keepdim-shaped int64 array) along ``dim``.

    ``name`` is torch's grad_fn prefix ("Max" -> MaxBackward0), or its whole name where that
    does not end in 0 ("MedianBackward1"). 0-d inputs are treated as 1-D.
    ``unique=False`` when an index may repeat along ``dim`` (cummax): gradients then add up.
    """
    cls = _SELECT_OPS.get(name)
    if cls is None:
        full = name if "Backward" in name else name + "Backward0"
        cls = _SELECT_OPS[name] = type(
            full.split("Backward")[0], (_SelectAlong,), {"grad_fn_name": full}
        )
    if input.ndim == 0:
        from .movement import reshape

        return cls.apply(
            reshape(input, (1,)), index=index.reshape(1), dim=0, keepdim=False, unique=unique
        )
    return cls.apply(input, index=index, dim=dim, keepdim=keepdim, unique=unique, values=values)


def _indices_out(index: np.ndarray, ndim: int, dim: int, keepdim: bool) -> Tensor:
    """The indices tensor of max/min/median/cummax ... from their keepdim-shaped ``index``
    (derived: it depends on the input's values; see function.derive)."""
    return Tensor._make(derive(_indices_array, index, ndim=ndim, dim=dim, keepdim=keepdim))


def _indices_array(index: np.ndarray, ndim: int, dim: int, keepdim: bool) -> np.ndarray:
    if ndim == 0:
        return np.asarray(index).reshape(()).astype(np.int64)
    return (index if keepdim else np.squeeze(index, dim)).astype(np.int64, copy=False)


def _as1d(a: np.ndarray) -> np.ndarray:
    return a.reshape(1) if a.ndim == 0 else a
