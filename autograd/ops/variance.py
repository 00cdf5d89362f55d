"""Variance and standard deviation over ``dim`` with ``keepdim`` and Bessel's ``correction``:
var, std, var_mean, std_mean (accumulated in float64, as torch's CPU kernels do).

The other reductions (sum, mean, prod, norm, logsumexp ...) are in reduce.py; the helpers
they share in _reduction.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..function import Op
from ..forward_ad import reduction_jvp
from ..tensor import Tensor
from ._reduction import (
    _count,
    _float_only,
    _np_axes,
    keep_reduction,
    unreduced,
)
from ._util import reduce_dims
from .registry import OpInfo, Sample, register
from .reduce import _np_mean, mean

__all__ = ["var", "std", "var_mean", "std_mean"]


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
    return np.sum(d * d, axis=dims, keepdims=keepdim) / max(dof, 0)


def _variance(ctx, x, dims, keepdim, correction):
    """The forward that Var and Std share: the float64 variance over ``dims``, with what the
    backward needs kept on ``ctx`` (the reduction's shape, ``dof = N - correction``)."""
    keep_reduction(ctx, x, dims, keepdim)
    ctx.dof = dof = _count(x.shape, dims) - correction
    return _var64(x, dims, keepdim, dof)


def _centered(x, dims, xp):
    # an empty input has an empty gradient: no mean of nothing (NumPy would warn)
    return x - xp.mean(x, dims, True) if math.prod(x.shape) else x


class Var(Op):
    """sum((x - mean)**2) / (N - correction); d/dx = 2 (x - mean) / (N - correction)."""

    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim, correction):
        out = np.asarray(_variance(ctx, x, dims, keepdim, correction), dtype=x.dtype)
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        (x,) = ctx.saved_tensors
        g_full = unreduced(ctx, g, xp)
        scale = 2.0 / ctx.dof if ctx.dof > 0 else float("inf")
        return g_full * _centered(x, ctx.dims, xp) * scale


class Std(Op):
    """sqrt(var); d/dx = (x - mean) / ((N - correction) * std), 0 where std == 0 (torch's rule:
    a constant row has a zero gradient, not 0/0), nan where std is nan (N <= correction)."""

    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim, correction):
        out = np.asarray(np.sqrt(_variance(ctx, x, dims, keepdim, correction)), dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, out = ctx.saved_tensors
        out_full = unreduced(ctx, out, xp)
        # where std == 0 every centred x is 0: divide by 1 there instead (0, not 0/0 = nan)
        zero = out_full == 0
        denom = xp.where(zero, xp.ones_like(out_full), out_full) * float(ctx.dof)
        return unreduced(ctx, g, xp) * _centered(x, ctx.dims, xp) / denom


def _var_args(opname, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # legacy x.var(False): the positional is `unbiased`
        dim, unbiased = None, dim
    _float_only(input, opname)
    dims = reduce_dims(dim, input.ndim)
    c = _correction(opname, unbiased, correction)
    if _count(input._data.shape, dims) - c <= 0:
        warnings.warn(
            f"{opname}(): degrees of freedom is <= 0. Correction should be strictly "
            "less than the reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    return dims, c


def var(
    input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None
) -> Tensor:
    """Variance over ``dim`` (all elements by default), dividing by N - correction
    (``correction=1`` by default; ``unbiased=False`` is the legacy spelling of ``correction=0``).

    Example:
        >>> autograd.tensor([1.0, 2.0, 3.0, 4.0]).var()
        tensor(1.6667)
    """
    dims, c = _var_args("var", input, dim, unbiased, keepdim, correction)
    return Var.apply(input, dims=dims, keepdim=keepdim, correction=c)


def std(
    input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None
) -> Tensor:
    """Standard deviation over ``dim``: ``sqrt(var(...))`` with the same arguments.

    Example:
        >>> autograd.tensor([1.0, 3.0]).std()
        tensor(1.4142)
    """
    dims, c = _var_args("std", input, dim, unbiased, keepdim, correction)
    return Std.apply(input, dims=dims, keepdim=keepdim, correction=c)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var(input, ...), mean(input, ...))`` as a tuple, like ``torch.var_mean``.

    Example:
        >>> v, m = autograd.var_mean(autograd.tensor([1.0, 3.0]))
        >>> v, m
        (tensor(2.), tensor(2.))
    """
    return _with_mean(var, input, dim, unbiased, keepdim, correction)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std(input, ...), mean(input, ...))``, like ``torch.std_mean`` (see ``var_mean``):
    ``autograd.std_mean(autograd.tensor([1.0, 3.0]))`` is ``(tensor(1.4142), tensor(2.))``."""
    return _with_mean(std, input, dim, unbiased, keepdim, correction)


def _with_mean(stat, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var_mean(x, True): the old unbiased argument
        dim, unbiased = None, dim
    return (stat(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim))


def _np_var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    c = _correction("var", unbiased, correction)
    return np.var(x, axis=_np_axes(x, dim), ddof=c, keepdims=keepdim)


def _np_std(*args, **kwargs):
    return np.sqrt(_np_var(*args, **kwargs))


def _var_samples(rng):
    x = rng.normal(size=(3, 4, 5))
    return [
        Sample(x),
        Sample(x, 1),
        Sample(x, (0, 2), keepdim=True),
        Sample(x, -1, correction=0),
        Sample(x, 0, unbiased=False),
        Sample(rng.normal(size=(4, 3)), False),
        Sample(rng.normal(size=(2, 3)), 1, correction=2),
        Sample(rng.normal(size=(2, 0)), 0),
    ]


register(OpInfo("var", var, ref=_np_var, samples=_var_samples, family="variance"))
register(OpInfo("std", std, ref=_np_std, samples=_var_samples, family="variance"))


def _ref_with_mean(np_stat):
    """The reference of var_mean / std_mean: the statistic and the mean over the same dims."""

    def ref(x, *a, **k):
        dim = None if (a and isinstance(a[0], bool)) else (a[0] if a else None)
        return np_stat(x, *a, **k), _np_mean(x, dim, k.get("keepdim", False))

    return ref


for _name, _fn, _np_stat in (("var_mean", var_mean, _np_var), ("std_mean", std_mean, _np_std)):
    register(
        OpInfo(
            _name,
            _fn,
            samples=lambda rng: _var_samples(rng)[:6],
            family="variance",
            ref=_ref_with_mean(_np_stat),
        )
    )
