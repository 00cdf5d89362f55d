"""Reductions: sum, mean, ... over ``dim`` (int, tuple or None) with ``keepdim``.

A reduction's VJP spreads the output gradient back over the reduced dimensions: it first
restores them as size-1 dimensions (if ``keepdim=False`` removed them), then expands.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes as _dt
from .. import return_types
from .. import dispatch
from ..function import Op
from ..tensor import Tensor
from . import xp as _xp
from ..errors import DTypeError
from ._util import wrap_dim, wrap_dims
from .registry import OpInfo, Sample, register
from ..dtypes import FLOAT_KINDS
from .. import amp as _amp

__all__ = ["sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "amax", "amin", "max",
           "min", "argmax", "argmin", "aminmax", "logsumexp", "cumsum", "cumprod", "cummax",
           "cummin", "norm", "all", "any", "count_nonzero", "nansum", "nanmean", "median"]

_sum_builtin = sum
_builtin_any, _builtin_max = any, max  # this module defines torch's any() and max()


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


# ---- Numba fast path ----------------------------------------------------------------------
# With the numba backend, sum/mean, amax/amin (and max()/min() of everything),
# max(dim)/min(dim) and logsumexp reduce float32/float64 arrays over consecutive dims with
# the kernels in autograd/kernels/reduce.py (which also hand some layouts back to NumPy where
# NumPy measured faster); the NumPy code stays the reference (tests/test_kernels_reduce.py
# compares the two). Anything else (tuple dims with gaps, empty, 0-d, int data, strided
# input: a copy first measured slower than NumPy's strided loops) runs the NumPy code.


# ---- sum ----------------------------------------------------------------------------------
class Sum(Op):
    """Sum over ``dims``; every input element gets the output's gradient."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        rk = dispatch.kernels("reduce", x, dims) if dtype == x.dtype else None
        if rk is not None:
            out = rk.sum_mean(x, dims)
            return out if keepdim else out.reshape(_out_shape(x.shape, dims, False))
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
    return np.sum(x, axis=tuple(d % (x.ndim or 1) for d in (
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
        rk = dispatch.kernels("reduce", x, dims)
        if rk is not None:
            out = rk.sum_mean(x, dims, mean=True)
            return out if keepdim else out.reshape(_out_shape(x.shape, dims, False))
        return np.asarray(np.mean(x, axis=dims, keepdims=keepdim) if count
                          else np.full(_keepdim_shape(x.shape, dims) if keepdim else
                                       tuple(n for i, n in enumerate(x.shape) if i not in dims),
                                       np.nan, x.dtype))

    @staticmethod
    def backward(ctx, g, xp):
        return xp.unreduce(g / _builtin_max(ctx.count, 1), ctx.in_shape, ctx.dims, ctx.keepdim)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of all elements, or over ``dim`` (floating inputs only, like torch).

    Example:
        >>> autograd.tensor([1.0, 2.0, 3.0]).mean()
        tensor(2.)
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in FLOAT_KINDS:
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


# ==========================================================================================
# Shared machinery for the reductions below
# ==========================================================================================
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
        raise DTypeError(f"{opname}(): expected a {what} tensor as input, got {input.dtype}. "
                         f"Convert it first, e.g. x.float().{opname}(...)")


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


class _ScatterAlong(Op):
    """Zeros of ``shape`` with ``g`` added at ``index`` along ``dim`` (repeats accumulate)."""

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
    where = tuple(index if a == dim else np.arange(index.shape[a]).reshape(
                      [-1 if b == a else 1 for b in range(index.ndim)])
                  for a in range(index.ndim))
    np.add.at(out, where, g)
    return out


def _np_select_along(x, index, dim, keepdim, unique=True):
    out = np.take_along_axis(x, index, axis=dim)
    return out if keepdim else np.squeeze(out, dim)


_xp.define("select_along", numpy=_np_select_along,
           tensor=lambda x, i, d, k, u: _SelectAlong.apply(x, index=i, dim=d, keepdim=k,
                                                          unique=u))
_xp.define("scatter_along", numpy=_np_scatter_along,
           tensor=lambda g, i, d, k, s, u: _ScatterAlong.apply(g, index=i, dim=d, keepdim=k,
                                                              shape=s, unique=u))

_SELECT_OPS: dict = {}


def _select(input: Tensor, index: np.ndarray, dim: int, keepdim: bool, name: str,
            unique: bool = True, values=None) -> Tensor:
    """Differentiable ``input`` values at ``index`` (keepdim-shaped int64 array) along ``dim``.

    ``name`` is torch's grad_fn prefix ("Max" -> MaxBackward0). 0-d inputs are treated as 1-D.
    ``unique=False`` when an index may repeat along ``dim`` (cummax): gradients then add up.
    """
    cls = _SELECT_OPS.get(name)
    if cls is None:
        cls = _SELECT_OPS[name] = type(name, (_SelectAlong,), {"grad_fn_name": name + "Backward0"})
    if input.ndim == 0:
        from .movement import reshape
        return cls.apply(reshape(input, (1,)), index=index.reshape(1), dim=0, keepdim=False,
                         unique=unique)
    return cls.apply(input, index=index, dim=dim, keepdim=keepdim, unique=unique,
                     values=values)


def _indices_out(index: np.ndarray, ndim: int, dim: int, keepdim: bool) -> Tensor:
    if ndim == 0:
        return Tensor._make(np.asarray(index).reshape(()).astype(np.int64))
    return Tensor._make((index if keepdim else np.squeeze(index, dim)).astype(np.int64, copy=False))


def _as1d(a: np.ndarray) -> np.ndarray:
    return a.reshape(1) if a.ndim == 0 else a


def _np_prod(x, dims, keepdim):
    return np.prod(x, axis=dims, keepdims=keepdim)


# ---- prod ---------------------------------------------------------------------------------
def _first_in_slice(mask: np.ndarray, dims: tuple) -> np.ndarray:
    """True at the first True element of every slice over ``dims`` (in row-major order)."""
    rest = [d for d in range(mask.ndim) if d not in dims]
    moved = np.transpose(mask, rest + list(dims))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    first = flat & (np.cumsum(flat, axis=-1) == 1)
    return np.transpose(first.reshape(moved.shape), np.argsort(rest + list(dims)))


def _prod_others(x, out_keep, zero, dims, xp):
    """For every element, the product of the *other* elements of its slice over ``dims``.

    ``out_keep`` is the product (keepdim), ``zero`` the NumPy mask of zeros in ``x``. Non-zero
    elements: ``out / x_i``. The first zero z of a slice: prod(x with z set to 1), a product
    with one zero fewer. Later zeros k: x_z * (the same quantity for x with z set to 1); its
    value is 0, but it carries the right higher derivatives, so it is only built when the
    backward pass is recorded (``create_graph=True``). Every step has one zero fewer, so the
    recursion ends.
    """
    if not zero.any():
        return out_keep / x
    first = _first_in_slice(zero, dims)
    zero_c, first_c = xp.asarray(zero), xp.asarray(first)
    x_safe = xp.where(zero_c, xp.ones_like(x), x)
    x1 = xp.where(first_c, xp.ones_like(x), x)  # the first zero of each slice set to 1
    p1 = xp.prod(x1, dims, True)  # = product of everything but the first zero
    res = xp.where(zero_c, p1, out_keep / x_safe)
    rest = zero & ~first
    if rest.any():
        later = 0.0
        if xp.graph:
            xz = xp.sum(xp.where(first_c, x, 0.0), dims, True)
            later = xz * _prod_others(x1, p1, rest, dims, xp)
        res = xp.where(xp.asarray(rest), later, res)
    return res


class Prod(Op):
    """Product over ``dims``: d out / d x_i is the product of the *other* elements,
    computed without dividing by zero (see ``_prod_others``), so inputs with zeros get
    exact gradients of every order."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        out = np.asarray(np.prod(x, axis=dims, keepdims=keepdim, dtype=dtype))
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.zero = x == 0
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, out = ctx.saved_tensors
        dims, keepdim, shape = ctx.dims, ctx.keepdim, ctx.in_shape
        g_full = xp.unreduce(g, shape, dims, keepdim)
        out_keep = out if keepdim else xp.reshape(out, _keepdim_shape(shape, dims))
        return g_full * _prod_others(x, out_keep, ctx.zero, dims, xp)


def _prod_dims(input: Tensor, dims: tuple, keepdim: bool, dtype=None) -> Tensor:
    npdt = _int64_if_integral(input._data.dtype, dtype)
    if input._requires_grad and npdt.kind not in FLOAT_KINDS:
        input = input.detach()
    return Prod.apply(input, dims=dims, keepdim=keepdim, dtype=npdt)


@_amp.float32_precision
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of all elements, or over ``dim``. Bool/int inputs give int64 (like torch).

    The gradient is exact when the input contains zeros.

    Example:
        >>> autograd.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(dim=1)
        tensor([ 2., 12.])
    """
    return _prod_dims(input, wrap_dims(dim, input.ndim), keepdim, dtype)


_xp.define("prod", numpy=_np_prod, tensor=lambda x, dims, keepdim: _prod_dims(x, dims, keepdim))


def _prod_samples(rng):
    zeros = np.array([[1.5, 0.0, 2.0, -0.5], [0.0, 0.0, 1.2, 0.7], [0.8, -1.1, 1.3, 0.9]])
    return [Sample(rng.uniform(0.5, 1.5, (3, 4))), Sample(rng.normal(size=(3, 4)), 1),
            Sample(rng.normal(size=(2, 3, 2)), -1, keepdim=True),
            Sample(zeros, 1), Sample(zeros, 0), Sample(zeros[:1]),
            Sample(rng.normal(size=())), Sample(rng.normal(size=(2, 0)), 0),
            Sample(rng.normal(size=(0, 3)))]


register(OpInfo("prod", prod, samples=_prod_samples, family="reduce",
                ref=lambda x, dim=None, keepdim=False: np.prod(x, axis=_np_axes(x, dim),
                                                              keepdims=keepdim)))


# ---- var / std (and var_mean / std_mean) --------------------------------------------------
def _correction(opname, unbiased, correction):
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{opname}: cannot specify both 'unbiased' and 'correction'")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _var64(x, dims, keepdim, dof):
    """The variance accumulated in float64 (as torch's CPU kernels do): the squares of large
    float32 values must not overflow before the division (std of 1e30s is 1e30, not inf)."""
    x64 = x.astype(np.float64, copy=False)
    d = x64 - (np.mean(x64, axis=dims, keepdims=True) if x.size else x64)
    return np.sum(d * d, axis=dims, keepdims=keepdim) / _builtin_max(dof, 0)


def _centered(x, dims, xp):
    # an empty input has an empty gradient: no mean of nothing (NumPy would warn)
    return x - xp.mean(x, dims, True) if math.prod(x.shape) else x


class Var(Op):
    """sum((x - mean)**2) / (N - correction); d/dx = 2 (x - mean) / (N - correction)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, correction):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.dof = dof = _count(x.shape, dims) - correction
        out = np.asarray(_var64(x, dims, keepdim, dof), dtype=x.dtype)
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        (x,) = ctx.saved_tensors
        g_full = xp.unreduce(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        scale = 2.0 / ctx.dof if ctx.dof > 0 else float("inf")
        return g_full * _centered(x, ctx.dims, xp) * scale


class Std(Op):
    """sqrt(var); d/dx = (x - mean) / ((N - correction) * std) (nan where std == 0, as torch)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, correction):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.dof = dof = _count(x.shape, dims) - correction
        out = np.asarray(np.sqrt(_var64(x, dims, keepdim, dof)), dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, out = ctx.saved_tensors
        shape, dims, keepdim = ctx.in_shape, ctx.dims, ctx.keepdim
        g_full = xp.unreduce(g, shape, dims, keepdim)
        return g_full * _centered(x, dims, xp) / (
            xp.unreduce(out, shape, dims, keepdim) * float(ctx.dof))


def _var_args(opname, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # legacy x.var(False): the positional is `unbiased`
        dim, unbiased = None, dim
    _float_only(input, opname)
    dims = wrap_dims(dim, input.ndim)
    c = _correction(opname, unbiased, correction)
    if _count(input._data.shape, dims) - c <= 0:
        warnings.warn(f"{opname}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return dims, c


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Variance over ``dim`` (all elements by default), dividing by N - correction
    (``correction=1`` by default; ``unbiased=False`` is the legacy spelling of ``correction=0``).

    Example:
        >>> autograd.tensor([1.0, 2.0, 3.0, 4.0]).var()
        tensor(1.6667)
    """
    dims, c = _var_args("var", input, dim, unbiased, keepdim, correction)
    return Var.apply(input, dims=dims, keepdim=keepdim, correction=c)


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Standard deviation over ``dim``: ``sqrt(var(...))`` with the same arguments.

    Example:
        >>> autograd.tensor([1.0, 3.0]).std()
        tensor(1.4142)
    """
    dims, c = _var_args("std", input, dim, unbiased, keepdim, correction)
    return Std.apply(input, dims=dims, keepdim=keepdim, correction=c)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None):
    """``(var(input, ...), mean(input, ...))`` as a tuple, like ``torch.var_mean``.

    Example:
        >>> v, m = autograd.var_mean(autograd.tensor([1.0, 3.0]))
        >>> v, m
        (tensor(2.), tensor(2.))
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None):
    """``(std(input, ...), mean(input, ...))`` as a tuple, like ``torch.std_mean``.

    Example:
        >>> s, m = autograd.std_mean(autograd.tensor([1.0, 3.0]))
        >>> s, m
        (tensor(1.4142), tensor(2.))
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def _np_var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    c = _correction("var", unbiased, correction)
    return np.var(x, axis=_np_axes(x, dim), ddof=c, keepdims=keepdim)


def _np_std(*args, **kwargs):
    return np.sqrt(_np_var(*args, **kwargs))


def _var_samples(rng):
    x = rng.normal(size=(3, 4, 5))
    return [Sample(x), Sample(x, 1), Sample(x, (0, 2), keepdim=True), Sample(x, -1, correction=0),
            Sample(x, 0, unbiased=False), Sample(rng.normal(size=(4, 3)), False),
            Sample(rng.normal(size=(2, 3)), 1, correction=2), Sample(rng.normal(size=(2, 0)), 0)]


register(OpInfo("var", var, ref=_np_var, samples=_var_samples, family="reduce"))
register(OpInfo("std", std, ref=_np_std, samples=_var_samples, family="reduce"))
register(OpInfo("var_mean", var_mean, samples=lambda rng: _var_samples(rng)[:6], family="reduce",
                ref=lambda x, *a, **k: (_np_var(x, *a, **k), _np_mean(
                    x, None if (a and isinstance(a[0], bool)) else (a[0] if a else None),
                    k.get("keepdim", False)))))
register(OpInfo("std_mean", std_mean, samples=lambda rng: _var_samples(rng)[:6], family="reduce",
                ref=lambda x, *a, **k: (_np_std(x, *a, **k), _np_mean(
                    x, None if (a and isinstance(a[0], bool)) else (a[0] if a else None),
                    k.get("keepdim", False)))))


# ---- amax / amin and full-reduction max() / min() ----------------------------------------
class _Extreme(Op):
    """Max or min over ``dims``; ties share the gradient evenly (like torch's amax/amin).

    NumPy path: the forward computes the weights (1/ties on the extremes, else 0) for the
    backward. Kernel path: the forward only reduces and saves input and output; the
    backward finds the ties and writes the gradient in one kernel (or, when recording a
    graph, builds the same weights from the saved arrays).
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_fn):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        rk = dispatch.kernels("reduce", x, dims) if np_fn is np.max or np_fn is np.min else None
        if rk is not None:
            out_keep = rk.extreme(x, dims, np_fn is np.max)
            out = out_keep if keepdim else out_keep.reshape(_out_shape(x.shape, dims, False))
            ctx.weights = None
            ctx.save_for_backward(x, out)  # (an in-place change of either is then caught)
            return out
        out_keep = np_fn(x, axis=dims, keepdims=True)
        out = np.asarray(out_keep if keepdim else out_keep.reshape(
            _out_shape(x.shape, dims, False)))
        if ctx.needs_input_grad:  # (empty when nothing is recorded: skip the work)
            ctx.weights = _even_weights(x, out_keep, dims)
            # saved like the kernel path (and torch), only so that an in-place change of
            # the input or the result is caught the same way on both backends
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        weights = ctx.weights
        x, out = ctx.saved_tensors  # (raises if either was modified in place since)
        if weights is None:  # the kernel path's forward
            if not xp.graph:
                rk = dispatch.kernels("reduce", x, ctx.dims)
                if rk is not None:
                    return rk.extreme_backward(x, out, g, ctx.dims)
            else:
                x, out = x._data, out._data  # the weights are constants: plain arrays
            weights = _even_weights(x, out.reshape(_keepdim_shape(x.shape, ctx.dims)),
                                    ctx.dims)
        g_full = xp.unreduce(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        return g_full * xp.asarray(weights)


class Amax(_Extreme):
    pass


class Amin(_Extreme):
    pass


class _MaxAll(_Extreme):
    grad_fn_name = "MaxBackward1"


class _MinAll(_Extreme):
    grad_fn_name = "MinBackward1"


def _check_nonempty_dims(input, dims, opname):
    for d in dims:
        if input.shape[d] == 0:
            raise IndexError(f"{opname}(): Expected reduction dim {d} to have non-zero size.")


def _no_dim_on_empty(input, opname):
    if input._data.size == 0:
        raise RuntimeError(f"{opname}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over ``dim`` (int or tuple; all dims by default). Tied maxima share
    the gradient evenly.

    Example:
        >>> autograd.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(dim=0)
        tensor([7., 5.])
    """
    if dim == () or dim == [] or dim is None:
        _no_dim_on_empty(input, "amax")
        dims = tuple(range(input.ndim))
    else:
        dims = wrap_dims(dim, input.ndim)
        _check_nonempty_dims(input, dims, "amax")
    return Amax.apply(input, dims=dims, keepdim=keepdim, np_fn=np.max)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim`` (int or tuple; all dims by default).

    Example:
        >>> autograd.tensor([[1.0, 5.0], [7.0, 2.0]]).amin(dim=1)
        tensor([1., 2.])
    """
    if dim == () or dim == [] or dim is None:
        _no_dim_on_empty(input, "amin")
        dims = tuple(range(input.ndim))
    else:
        dims = wrap_dims(dim, input.ndim)
        _check_nonempty_dims(input, dims, "amin")
    return Amin.apply(input, dims=dims, keepdim=keepdim, np_fn=np.min)


def _np_amax(x, dim=(), keepdim=False):
    return np.max(x, axis=None if dim == () else _np_axes(x, dim), keepdims=keepdim)


def _np_amin(x, dim=(), keepdim=False):
    return np.min(x, axis=None if dim == () else _np_axes(x, dim), keepdims=keepdim)


def _extreme_samples(rng):
    x = rng.normal(size=(3, 4, 5))
    return [Sample(x), Sample(x, 1), Sample(x, -1, keepdim=True), Sample(x, (0, 2)),
            Sample(rng.normal(size=())), Sample(rng.normal(size=(0, 2)), 1)]
    # (ties, where the gradient is split evenly, are tested in tests/test_reduce_extra.py:
    # second derivatives do not exist there, so gradgradcheck cannot take them)


register(OpInfo("amax", amax, ref=_np_amax, samples=_extreme_samples, family="reduce"))
register(OpInfo("amin", amin, ref=_np_amin, samples=_extreme_samples, family="reduce"))


def _maximum(input, other):
    from .. import ops  # another family owns the elementwise max(a, b): look it up lazily
    return ops.maximum(input, other)


def _minimum(input, other):
    from .. import ops
    return ops.minimum(input, other)


def _max_min(input, dim, keepdim, opname, np_arg, full_cls, name):
    if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum
        return (_maximum if opname == "max" else _minimum)(input, dim)
    if dim is None:
        if keepdim:
            raise TypeError(f"{opname}() received an invalid combination of arguments: keepdim "
                            "needs dim")
        _no_dim_on_empty(input, opname)
        return full_cls.apply(input, dims=tuple(range(input.ndim)), keepdim=False,
                              np_fn=np.max if opname == "max" else np.min)
    d = _int_dim(dim, input.ndim, opname)
    if input.ndim:
        _check_nonempty_dims(input, (d,), opname)
    arr = _as1d(input._data)
    dd = d if input.ndim else 0
    rk = dispatch.kernels("reduce", arr, (dd,)) if input.ndim else None
    if rk is not None:  # value and index in one pass
        found, index = rk.arg_extreme(arr, dd, opname == "max")
        values = _select(input, index, dd, keepdim, name, values=found)
    else:
        index = np.expand_dims(np_arg(arr, axis=dd), dd)
        values = _select(input, index, dd, keepdim, name)
    return getattr(return_types, opname)(values, _indices_out(index, input.ndim, dd, keepdim))


def max(input: Tensor, dim=None, keepdim: bool = False):
    """Largest element; with ``dim``, a ``(values, indices)`` named tuple; with a Tensor as
    second argument, the elementwise ``maximum``.

    Example:
        >>> x = autograd.tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> x.max()
        tensor(7.)
        >>> x.max(dim=1).indices
        tensor([1, 0])
    """
    return _max_min(input, dim, keepdim, "max", np.argmax, _MaxAll, "Max")


def min(input: Tensor, dim=None, keepdim: bool = False):
    """Smallest element; with ``dim``, a ``(values, indices)`` named tuple; with a Tensor as
    second argument, the elementwise ``minimum``.

    Example:
        >>> autograd.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=0).values
        tensor([1., 2.])
    """
    return _max_min(input, dim, keepdim, "min", np.argmin, _MinAll, "Min")


def _np_max_min(np_fn, np_arg):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            return np_fn(x)
        axis = dim % x.ndim if x.ndim else None
        idx = np_arg(x, axis=axis, keepdims=keepdim) if x.ndim else np.asarray(0)
        return np_fn(x, axis=axis, keepdims=keepdim), idx
    return ref


def _max_samples(rng):
    x = rng.normal(size=(3, 4, 5))
    return [Sample(x), Sample(x, 1), Sample(x, -1, keepdim=True), Sample(x, 0, True),
            Sample(rng.normal(size=())), Sample(rng.normal(size=()), 0),
            Sample(rng.normal(size=(0, 3)), 1)]


register(OpInfo("max", max, ref=_np_max_min(np.max, np.argmax), samples=_max_samples,
                family="reduce"))
register(OpInfo("min", min, ref=_np_max_min(np.min, np.argmin), samples=_max_samples,
                family="reduce"))


# ---- argmax / argmin ----------------------------------------------------------------------
def _arg_extreme(input, dim, keepdim, opname, np_arg):
    x = input._data
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{opname}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        idx = np.asarray(np_arg(x.reshape(-1)))
        return Tensor._make(idx.reshape((1,) * x.ndim if keepdim else ()).astype(np.int64))
    d = _int_dim(dim, x.ndim, opname)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    _check_nonempty_dims(input, (d,), opname)
    return Tensor._make(np.asarray(np_arg(x, axis=d, keepdims=keepdim)).astype(np.int64))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor, or along ``dim``), int64.

    Example:
        >>> autograd.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(dim=1)
        tensor([1, 0])
    """
    return _arg_extreme(input, dim, keepdim, "argmax", np.argmax)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (flattened, or along ``dim``), int64.

    Example:
        >>> autograd.tensor([3.0, 1.0, 2.0]).argmin()
        tensor(1)
    """
    return _arg_extreme(input, dim, keepdim, "argmin", np.argmin)


def _np_arg(np_arg):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            r = np.asarray(np_arg(x.reshape(-1)))
            return r.reshape((1,) * x.ndim) if keepdim else r
        if x.ndim == 0:
            return np.asarray(0)
        return np_arg(x, axis=dim, keepdims=keepdim)
    return ref


def _arg_samples(rng):
    x = rng.normal(size=(3, 4, 5))
    return [Sample(x), Sample(x, 1), Sample(x, -1, keepdim=True), Sample(x, keepdim=True),
            Sample(rng.normal(size=()), 0), Sample(rng.normal(size=(0, 3)), 1)]


register(OpInfo("argmax", argmax, ref=_np_arg(np.argmax), samples=_arg_samples,
                differentiable=False, family="reduce"))
register(OpInfo("argmin", argmin, ref=_np_arg(np.argmin), samples=_arg_samples,
                differentiable=False, family="reduce"))


# ---- aminmax ------------------------------------------------------------------------------
def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """``(min, max)`` named tuple over ``dim`` (all elements by default).

    Example:
        >>> r = autograd.aminmax(autograd.tensor([3.0, 1.0, 2.0]))
        >>> r.min, r.max
        (tensor(1.), tensor(3.))
    """
    if dim is None:
        if keepdim and input.ndim:
            dims = tuple(range(input.ndim))
            _no_dim_on_empty(input, "aminmax")
            return return_types.aminmax(Amin.apply(input, dims=dims, keepdim=True, np_fn=np.min),
                                        Amax.apply(input, dims=dims, keepdim=True, np_fn=np.max))
        return return_types.aminmax(amin(input), amax(input))
    d = _int_dim(dim, input.ndim, "aminmax")
    return return_types.aminmax(amin(input, d, keepdim), amax(input, d, keepdim))


def _np_aminmax(x, dim=None, keepdim=False):
    axis = None if dim is None or x.ndim == 0 else dim % x.ndim
    return np.min(x, axis=axis, keepdims=keepdim), np.max(x, axis=axis, keepdims=keepdim)


register(OpInfo("aminmax", aminmax, ref=_np_aminmax, family="reduce",
                samples=lambda rng: [Sample(rng.normal(size=(3, 4))),
                                     Sample(rng.normal(size=(3, 4)), dim=1),
                                     Sample(rng.normal(size=(3, 4)), dim=-2, keepdim=True),
                                     Sample(rng.normal(size=(3, 4)), keepdim=True),
                                     Sample(rng.normal(size=()))]))


# ---- logsumexp ----------------------------------------------------------------------------
class Logsumexp(Op):
    """log(sum(exp(x))) = m + log(sum(exp(x - m))) with m = max (no overflow); the gradient
    is softmax(x) = exp(x - out). Rows of -inf give -inf (and a nan gradient, like torch)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        rk = dispatch.kernels("reduce", x, dims)
        if rk is not None:
            out = rk.logsumexp(x, dims)
            out = out if keepdim else out.reshape(_out_shape(x.shape, dims, False))
            ctx.save_for_backward(x, out)
            return out
        m = np.max(x, axis=dims, keepdims=True, initial=-np.inf) if x.size else \
            np.full(_keepdim_shape(x.shape, dims), -np.inf, x.dtype)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
        out = np.asarray(out if keepdim else out.reshape(_out_shape(x.shape, dims, False)),
                         dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, out = ctx.saved_tensors
        shape, dims, keepdim = ctx.in_shape, ctx.dims, ctx.keepdim
        if not xp.graph:
            rk = dispatch.kernels("reduce", x, dims)
            if rk is not None:
                return rk.logsumexp_backward(x, out, g, dims)
        return xp.unreduce(g, shape, dims, keepdim) * xp.exp(
            x - xp.unreduce(out, shape, dims, keepdim))


def logsumexp(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))`` computed stably (int inputs promote to float).

    Example:
        >>> autograd.logsumexp(autograd.tensor([1000.0, 1000.0]), dim=0)
        tensor(1000.6932)
    """
    if input._data.dtype.kind not in FLOAT_KINDS:
        input = input.to(_dt.get_default_dtype())
    return Logsumexp.apply(input, dims=wrap_dims(dim, input.ndim), keepdim=keepdim)


def _np_logsumexp(x, dim=None, keepdim=False):
    from scipy.special import logsumexp as lse
    return np.asarray(lse(x, axis=_np_axes(x, dim), keepdims=keepdim))


register(OpInfo("logsumexp", logsumexp, ref=_np_logsumexp, family="reduce",
                samples=lambda rng: [Sample(rng.normal(size=(3, 4, 5)) * 3, 1),
                                     Sample(rng.normal(size=(3, 4, 5)), (0, 2), keepdim=True),
                                     Sample(rng.normal(size=(3, 4)), -1, True),
                                     Sample(rng.normal(size=()), 0),
                                     Sample(rng.normal(size=(2, 0)), 0),
                                     Sample(rng.normal(size=(3, 4)) * 300, 1)]))


# ---- cumsum / cumprod ---------------------------------------------------------------------
def _np_cumsum(x, dim, reverse=False):
    if reverse:
        return np.flip(np.cumsum(np.flip(x, dim), axis=dim), dim)
    return np.cumsum(x, axis=dim)


class Cumsum(Op):
    """Running sum along ``dim``; its VJP is the running sum from the other end."""

    @staticmethod
    def forward(ctx, x, dim, reverse, dtype):
        ctx.dim, ctx.reverse = dim, reverse
        return _np_cumsum(x.astype(dtype, copy=False), dim, reverse)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.cumsum(g, ctx.dim, not ctx.reverse)


def _cumsum_impl(x: Tensor, dim: int, reverse: bool = False, dtype=None) -> Tensor:
    npdt = np.dtype(dtype) if dtype is not None else x._data.dtype
    if x.ndim == 0:
        return Cumsum.apply(x.reshape((1,)), dim=0, reverse=False, dtype=npdt).reshape(())
    return Cumsum.apply(x, dim=dim, reverse=reverse, dtype=npdt)


_xp.define("cumsum", numpy=_np_cumsum, tensor=_cumsum_impl)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim`` (bool/int inputs accumulate in int64, like torch).

    Example:
        >>> autograd.tensor([1.0, 2.0, 3.0]).cumsum(0)
        tensor([1., 3., 6.])
    """
    d = _int_dim(dim, input.ndim, "cumsum")
    npdt = _int64_if_integral(input._data.dtype, dtype)
    if input._requires_grad and npdt.kind not in FLOAT_KINDS:
        input = input.detach()
    return _cumsum_impl(input, d, False, npdt)


register(OpInfo("cumsum", cumsum, family="reduce",
                ref=lambda x, dim, **k: np.cumsum(x, axis=dim % x.ndim).reshape(x.shape)
                if x.ndim else x,
                samples=lambda rng: [Sample(rng.normal(size=(3, 4)), 1),
                                     Sample(rng.normal(size=(3, 4, 2)), -3),
                                     Sample(rng.normal(size=()), 0),
                                     Sample(rng.normal(size=(0, 3)), 1)]))


def _cumprod_grad(g, x, y, dim, zero, xp):
    """VJP of y = cumprod(x) along ``dim``: grad_k = sum over i >= k of
    g_i * prod(x_j for j <= i, j != k), without dividing by zero (``zero``: NumPy mask).

    * before the first zero z of a row: reverse-cumsum(g * y)_k / x_k;
    * at z: reverse-cumsum(g * y1)_z with y1 = cumprod(x with z set to 1);
    * after z: x_z * (this same gradient for x with z set to 1): 0 in value, but needed for
      higher derivatives, so only built when the backward pass is recorded.
    """
    if not zero.any():
        return xp.cumsum(g * y, dim, True) / x
    seen = np.cumsum(zero, axis=dim)
    before, first = seen == 0, zero & (seen == 1)
    rest = (seen >= 1) & ~first
    before_c, first_c = xp.asarray(before), xp.asarray(first)
    x_safe = xp.where(before_c, x, xp.ones_like(x))
    x1 = xp.where(first_c, xp.ones_like(x), x)
    y1 = xp.cumprod(x1, dim)
    res = xp.where(before_c, xp.cumsum(g * y, dim, True) / x_safe,
                   xp.where(first_c, xp.cumsum(g * y1, dim, True), 0.0))
    if xp.graph and rest.any():
        xz = xp.sum(xp.where(first_c, x, 0.0), dim, True)
        res = xp.where(xp.asarray(rest), xz * _cumprod_grad(g, x1, y1, dim, zero & ~first, xp),
                       res)
    return res


class Cumprod(Op):
    """Running product along ``dim``; exact gradients with zeros (see ``_cumprod_grad``)."""

    @staticmethod
    def forward(ctx, x, dim):
        out = np.cumprod(x, axis=dim)
        ctx.dim, ctx.zero = dim, x == 0
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, out = ctx.saved_tensors
        return _cumprod_grad(g, x, out, ctx.dim, ctx.zero, xp)


def _cumprod_impl(x: Tensor, dim: int) -> Tensor:
    if x.ndim == 0:
        return Cumprod.apply(x.reshape((1,)), dim=0).reshape(())
    return Cumprod.apply(x, dim=dim)


_xp.define("cumprod", numpy=lambda x, dim: np.cumprod(x, axis=dim), tensor=_cumprod_impl)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; exact gradients also when the input has zeros.

    Example:
        >>> autograd.tensor([1.0, 2.0, 3.0]).cumprod(0)
        tensor([1., 2., 6.])
    """
    d = _int_dim(dim, input.ndim, "cumprod")
    npdt = _int64_if_integral(input._data.dtype, dtype)
    if npdt != input._data.dtype:
        input = input.detach().to(_dt._FROM_NP[npdt]) if npdt.kind not in FLOAT_KINDS else input.to(
            _dt._FROM_NP[npdt])
    return _cumprod_impl(input, d)


register(OpInfo("cumprod", cumprod, family="reduce",
                ref=lambda x, dim, **k: np.cumprod(x, axis=dim % x.ndim).reshape(x.shape)
                if x.ndim else x,
                samples=lambda rng: [
                    Sample(rng.uniform(0.5, 1.5, (3, 4)), 1),
                    Sample(rng.normal(size=(3, 4, 2)), -3),
                    Sample(np.array([[1.5, 0.0, 2.0, -0.5, 0.0, 1.1],
                                     [0.0, 1.3, 0.0, 0.7, 1.2, 0.9],
                                     [0.8, -1.1, 1.3, 0.9, 1.4, 0.0]]), 1),
                    Sample(rng.normal(size=()), 0),
                    Sample(rng.normal(size=(0, 3)), 1)]))


# ---- cummax / cummin ----------------------------------------------------------------------
def _cum_extreme(input, dim, opname, ufunc, name):
    d = _int_dim(dim, input.ndim, opname)
    x = _as1d(input._data)
    dd = d if input.ndim else 0
    with np.errstate(invalid="ignore"):
        values = ufunc.accumulate(x, axis=dd) if x.size else x  # nan propagates, as in torch
        # position of the running extreme: the latest element equal to it (torch keeps the
        # last of tied elements); once a nan was seen, the latest nan
        hit = x == values
        if x.dtype.kind in FLOAT_KINDS:
            nan = np.isnan(x)
            seen_nan = np.logical_or.accumulate(nan, axis=dd) if x.size else nan
            hit = np.where(seen_nan, nan, hit)
    shape = [1] * x.ndim
    shape[dd] = -1
    pos = np.where(hit, np.arange(x.shape[dd]).reshape(shape), 0)
    index = np.maximum.accumulate(pos, axis=dd) if x.size else pos
    index = index.astype(np.int64)
    if input.ndim == 0:
        index = index.reshape(())
        return getattr(return_types, opname)(_select(input, index, 0, False, name),
                                             Tensor._make(index))
    values = _select(input, index, dd, True, name, unique=False)  # indices repeat
    return getattr(return_types, opname)(values, Tensor._make(index))


def cummax(input: Tensor, dim: int):
    """Running maximum along ``dim`` and where it was found: ``(values, indices)``.

    Example:
        >>> autograd.tensor([1.0, 3.0, 2.0]).cummax(0)
        autograd.return_types.cummax(
        values=tensor([1., 3., 3.]),
        indices=tensor([0, 1, 1]))
    """
    return _cum_extreme(input, dim, "cummax", np.maximum, "Cummax")


def cummin(input: Tensor, dim: int):
    """Running minimum along ``dim`` and where it was found: ``(values, indices)``.

    Example:
        >>> autograd.tensor([3.0, 1.0, 2.0]).cummin(0).values
        tensor([3., 1., 1.])
    """
    return _cum_extreme(input, dim, "cummin", np.minimum, "Cummin")


def _np_cum_extreme(ufunc):
    def ref(x, dim):
        if x.ndim == 0:
            return x, np.asarray(0)
        v = ufunc.accumulate(x, axis=dim)
        idx = np.zeros(x.shape, np.int64)
        xm, vm, im = (np.moveaxis(a, dim, -1) for a in (x, v, idx))
        for pos in np.ndindex(*xm.shape[:-1]):
            best = 0
            for i in range(xm.shape[-1]):
                if xm[pos + (i,)] == vm[pos + (i,)]:
                    best = i
                im[pos + (i,)] = best
        return v, idx
    return ref


def _cum_extreme_samples(rng):
    return [Sample(rng.normal(size=(3, 5)), 1), Sample(rng.normal(size=(4, 2, 3)), 0),
            Sample(rng.normal(size=(3, 4)), -1), Sample(rng.normal(size=()), 0)]
    # (empty inputs are tested in tests/test_reduce_extra.py: torch's own empty-input
    # gradient of cummax is a tensor that requires grad, which the parity harness rejects)


register(OpInfo("cummax", cummax, ref=_np_cum_extreme(np.maximum), samples=_cum_extreme_samples,
                family="reduce"))
register(OpInfo("cummin", cummin, ref=_np_cum_extreme(np.minimum), samples=_cum_extreme_samples,
                family="reduce"))


# ---- norm ---------------------------------------------------------------------------------
class Norm(Op):
    """Vector p-norm over ``dims``: (sum |x|**p) ** (1/p), with p = inf / -inf giving
    max / min |x| and p = 0 the count of non-zeros.

    Gradients (0 wherever the norm is 0, like torch):
      p = 2: x / norm;  p = 1: sign(x);  p = +-inf: sign(x) shared evenly by the tied extremes;
      other p: sign(x) |x|**(p-1) / norm**(p-1) (0 at x == 0).
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim, p):
        ctx.in_shape, ctx.dims, ctx.keepdim, ctx.p = x.shape, dims, keepdim, p
        a = np.abs(x)
        if p == 2:
            out = np.sqrt(np.sum(x * x, axis=dims, keepdims=True))
        elif p == 1:
            out = np.sum(a, axis=dims, keepdims=True)
        elif p == np.inf:
            out = np.max(a, axis=dims, keepdims=True)
        elif p == -np.inf:
            out = np.min(a, axis=dims, keepdims=True)
        elif p == 0:
            out = np.sum(a != 0, axis=dims, keepdims=True).astype(x.dtype)
        else:
            out = np.sum(a ** p, axis=dims, keepdims=True) ** (1.0 / p)
        out = np.asarray(out, dtype=x.dtype)
        if ctx.needs_input_grad:  # masks for backward, only when it can run
            ctx.sign = np.sign(x)
            ctx.zero_norm = out == 0
            if p in (np.inf, -np.inf):
                ctx.weights = _even_weights(a, out, dims)
            elif p not in (0, 1, 2):
                ctx.zero = x == 0
        out = out if keepdim else out.reshape(_out_shape(x.shape, dims, False))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, out = ctx.saved_tensors
        shape, dims, keepdim, p = ctx.in_shape, ctx.dims, ctx.keepdim, ctx.p
        g_full = xp.unreduce(g, shape, dims, keepdim)
        sign = xp.asarray(ctx.sign)
        if p == 0:
            return g_full * 0.0
        if p == 1:
            return g_full * sign
        if p in (np.inf, -np.inf):
            return g_full * sign * xp.asarray(ctx.weights)
        zero_norm = xp.asarray(ctx.zero_norm)
        out_k = xp.unreduce(out, shape, dims, keepdim)
        norm_safe = xp.where(zero_norm, xp.ones_like(out_k), out_k)  # x is 0 there anyway
        if p == 2:
            return g_full * x / norm_safe
        zero = xp.asarray(ctx.zero)
        abs_safe = xp.where(zero, xp.ones_like(x), x * sign)
        scaled = xp.where(zero, 0.0, sign * abs_safe ** (p - 1))
        return xp.where(zero_norm, 0.0, g_full * scaled / norm_safe ** (p - 1))


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector norm of ``input`` (all elements, or over ``dim``): p = 2 / 'fro' (default),
    1, inf, -inf, 0 or any other number. Its gradient at 0 is 0, like torch.

    Example:
        >>> autograd.tensor([3.0, 4.0]).norm()
        tensor(5.)
        >>> autograd.tensor([[3.0, -4.0]]).norm(p=1, dim=1)
        tensor([7.])
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise DTypeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                         f"input. Got {input.dtype.name.capitalize()}")
    if isinstance(p, str):
        if p != "fro":
            raise NotImplementedError(f"norm: p={p!r} is not supported (only vector norms and "
                                      "'fro'); for the nuclear norm compute singular values")
        if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) > 2:
            raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                               + " ".join(str(d) for d in dim))
        p = 2
    p = float(p)
    dims = wrap_dims(dim, input.ndim)
    if p in (np.inf, -np.inf) and input._data.size == 0 and (
            dim is None or _builtin_any(input.shape[d] == 0 for d in dims)):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty tensor "
                           "because the operation does not have an identity")
    return Norm.apply(input, dims=dims, keepdim=keepdim, p=p)


def _np_norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    p = 2.0 if p == "fro" else float(p)
    axes = _np_axes(x, dim)
    a = np.abs(x)
    if p == np.inf:
        return np.max(a, axis=axes, keepdims=keepdim)
    if p == -np.inf:
        return np.min(a, axis=axes, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
    return np.sum(a ** p, axis=axes, keepdims=keepdim) ** (1 / p)


def _norm_samples(rng):
    x = rng.normal(size=(3, 4))
    # (the zero gradient at a zero norm is tested in tests/test_reduce_extra.py: no second
    # derivative exists there)
    return [Sample(x), Sample(x, 1, 1), Sample(x, 3, -1, True), Sample(x, float("inf"), 0),
            Sample(x, -float("inf"), 1), Sample(x, 0.5, 1), Sample(x, 0, 1),
            Sample(rng.normal(size=(2, 3, 4)), "fro", (0, 2)), Sample(rng.normal(size=())),
            Sample(rng.normal(size=(2, 0)), 2, 1)]


register(OpInfo("norm", norm, ref=_np_norm, samples=_norm_samples, family="reduce"))


# ---- all / any / count_nonzero ------------------------------------------------------------
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element (over ``dim``, int or tuple) is non-zero; bool result.

    Example:
        >>> autograd.tensor([[True, False], [True, True]]).all(dim=1)
        tensor([False,  True])
    """
    dims = wrap_dims(dim, input.ndim)
    return Tensor._make(np.asarray(np.all(input._data, axis=dims, keepdims=keepdim)))


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element (over ``dim``, int or tuple) is non-zero; bool result.

    Example:
        >>> autograd.tensor([0.0, 2.0]).any()
        tensor(True)
    """
    dims = wrap_dims(dim, input.ndim)
    return Tensor._make(np.asarray(np.any(input._data, axis=dims, keepdims=keepdim)))


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of non-zero elements (over ``dim``, int or tuple), int64.

    Example:
        >>> autograd.tensor([[1, 0], [2, 3]]).count_nonzero(dim=0)
        tensor([2, 1])
    """
    dims = wrap_dims(dim, input.ndim)
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=dims)).astype(np.int64))


def _bool_samples(rng):
    x = np.where(rng.random((3, 4, 2)) > 0.3, rng.normal(size=(3, 4, 2)), 0.0)
    return [Sample(x), Sample(x, 1), Sample(x, -1, True), Sample(x, (0, 2)),
            Sample(np.zeros(())), Sample(np.ones((0, 3)), 1), Sample(np.ones((0, 3)))]


for _name, _fn, _ref in [("all", all, np.all), ("any", any, np.any)]:
    register(OpInfo(_name, _fn, differentiable=False, samples=_bool_samples, family="reduce",
                    ref=lambda x, dim=None, keepdim=False, _r=_ref: np.asarray(
                        _r(x, axis=_np_axes(x, dim), keepdims=keepdim))))
register(OpInfo("count_nonzero", count_nonzero, differentiable=False, family="reduce",
                samples=lambda rng: [s for s in _bool_samples(rng) if "keepdim" not in s.kwargs
                                     and len(s.args) < 3],
                ref=lambda x, dim=None: np.asarray(np.count_nonzero(x, axis=_np_axes(x, dim)))))


# ---- nansum / nanmean ---------------------------------------------------------------------
class Nansum(Op):
    """Sum treating nan as 0; nan elements get no gradient."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.keep = ~np.isnan(x) if x.dtype.kind in FLOAT_KINDS else None
        return np.asarray(np.nansum(x, axis=dims, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, g, xp):
        g_full = xp.unreduce(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        return xp.where(xp.asarray(ctx.keep), g_full, 0.0)


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` treating nan as zero.

    Example:
        >>> autograd.tensor([1.0, float("nan"), 2.0]).nansum()
        tensor(3.)
    """
    npdt = _int64_if_integral(input._data.dtype, dtype)
    if input._requires_grad and npdt.kind not in FLOAT_KINDS:
        input = input.detach()
    return Nansum.apply(input, dims=wrap_dims(dim, input.ndim), keepdim=keepdim, dtype=npdt)


class Nanmean(Op):
    """Mean of the non-nan elements; each of them gets grad / count."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        keep = ~np.isnan(x)
        count = keep.sum(axis=dims, keepdims=True)
        if ctx.needs_input_grad:
            ctx.weights = np.where(keep, 1.0 / np.maximum(count, 1), 0.0).astype(x.dtype)
        out = np.nansum(x, axis=dims, keepdims=True) / count
        return np.asarray(out if keepdim else out.reshape(_out_shape(x.shape, dims, False)),
                          dtype=x.dtype)

    @staticmethod
    def backward(ctx, g, xp):
        g_full = xp.unreduce(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        return g_full * xp.asarray(ctx.weights)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` ignoring nan elements (nan when all of them are nan).

    Example:
        >>> autograd.tensor([1.0, float("nan"), 3.0]).nanmean()
        tensor(2.)
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {input.dtype.name.capitalize()}")
    return Nanmean.apply(input, dims=wrap_dims(dim, input.ndim), keepdim=keepdim)


def _nan_samples(rng):
    x = rng.normal(size=(3, 4))
    x[0, 1] = x[2, 3] = np.nan
    return [Sample(x), Sample(x, 1), Sample(x, 0, True), Sample(x, (0, 1)),
            Sample(rng.normal(size=())), Sample(rng.normal(size=(2, 0)), 1)]


def _np_nanmean(x, dim=None, keepdim=False):
    axes = _np_axes(x, dim)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nansum(x, axis=axes, keepdims=keepdim) / np.sum(~np.isnan(x), axis=axes,
                                                                   keepdims=keepdim)


register(OpInfo("nansum", nansum, samples=_nan_samples, family="reduce",
                ref=lambda x, dim=None, keepdim=False: np.nansum(x, axis=_np_axes(x, dim),
                                                                keepdims=keepdim)))
register(OpInfo("nanmean", nanmean, ref=_np_nanmean, samples=_nan_samples, family="reduce"))


# ---- median -------------------------------------------------------------------------------
class Median(_Extreme):
    """median() of all elements: the lower of the two middle values; ties share the gradient
    evenly (as in torch)."""


def _lower_median_index(x: np.ndarray, axis: int) -> np.ndarray:
    """Index (keepdim shape) of the lower median along ``axis``; rows with nan point at their
    first nan, whose value torch returns."""
    n = x.shape[axis]
    order = np.argsort(x, axis=axis, kind="stable")  # nan sorts last
    index = np.take(order, [(n - 1) // 2], axis=axis)
    if x.dtype.kind in FLOAT_KINDS:
        nan = np.isnan(x)
        has_nan = nan.any(axis=axis, keepdims=True)
        index = np.where(has_nan, np.argmax(nan, axis=axis, keepdims=True), index)
    return index.astype(np.int64)


def median(input: Tensor, dim=None, keepdim: bool = False):
    """Lower median of all elements; with ``dim``, a ``(values, indices)`` named tuple.
    nan propagates, like torch.

    Example:
        >>> autograd.tensor([3.0, 1.0, 2.0, 4.0]).median()
        tensor(2.)
    """
    x = input._data
    if dim is None:
        if x.size == 0:
            return Tensor._make(np.full((), np.nan, x.dtype))
        flat = x.reshape(-1)
        value = flat[_lower_median_index(flat, 0)[0]]
        dims = tuple(range(x.ndim))
        # the "reduction" just returns the value found above; _Extreme's backward then
        # spreads the gradient over every element equal to it
        return Median.apply(input, dims=dims, keepdim=False,
                            np_fn=lambda a, axis, keepdims: np.full(
                                _keepdim_shape(a.shape, dims), value, a.dtype))
    d = _int_dim(dim, input.ndim, "median")
    if x.ndim:
        _check_nonempty_dims(input, (d,), "median")
    xa = _as1d(x)
    dd = d if x.ndim else 0
    if xa.size == 0:
        index = np.zeros(_keepdim_shape(xa.shape, (dd,)), np.int64)
    else:
        index = _lower_median_index(xa, dd)
    values = _select(input, index, dd, keepdim, "Median")
    return return_types.median(values, _indices_out(index, x.ndim, dd, keepdim))


def _np_median(x, dim=None, keepdim=False):
    if dim is None:
        s = np.sort(x.reshape(-1))
        return s[(s.size - 1) // 2] if s.size else np.nan
    if x.ndim == 0:
        return x, np.asarray(0)
    axis = dim % x.ndim
    n = x.shape[axis]
    idx = np.take(np.argsort(x, axis=axis, kind="stable"), [(n - 1) // 2], axis=axis)
    vals = np.take_along_axis(x, idx, axis=axis)
    if not keepdim:
        idx, vals = np.squeeze(idx, axis), np.squeeze(vals, axis)
    return vals, idx


register(OpInfo("median", median, ref=_np_median, family="reduce",
                samples=lambda rng: [Sample(rng.normal(size=(3, 4))), Sample(rng.normal(size=(5,))),
                                     Sample(rng.normal(size=(3, 5)), 1),
                                     Sample(rng.normal(size=(3, 4, 2)), -2, True),
                                     Sample(rng.normal(size=())), Sample(rng.normal(size=()), 0),
                                     Sample(rng.normal(size=(0, 3)), 1)]))
