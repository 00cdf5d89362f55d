"""Reductions: sum, mean, prod, logsumexp, norm, all/any/count_nonzero, nansum / nanmean,
renorm over ``dim`` (an int, a tuple or None) with ``keepdim``.

A reduction's VJP spreads the output gradient back over the reduced dimensions: it first
restores them as size-1 dimensions (if ``keepdim=False`` removed them), then expands
(``xp.unreduce``). var/std are in variance.py, the max/min family in extrema.py, running
sums and products in cumulative.py; the helpers they share are in _reduction.py.
"""

from __future__ import annotations


import numpy as np

from .. import amp as _amp
from .. import dispatch
from .. import dtypes as _dt
from ..dtypes import FLOAT_KINDS
from ..errors import DTypeError
from ..function import Op, derive
from ..forward_ad import linear_jvp, reduction_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._reduction import (
    _even_weights,
    _int64_if_integral,
    _keepdim_shape,
    _np_axes,
    _out_shape,
    keep_reduction,
    unreduced,
)
from ._util import _torch_dtype_name, reduce_dims, wrap_dim, wrap_dims
from .registry import OpInfo, Sample, register
from .samples import over_dims

__all__ = [
    "sum",
    "mean",
    "prod",
    "logsumexp",
    "norm",
    "all",
    "any",
    "count_nonzero",
    "nansum",
    "nanmean",
    "renorm",
]

_builtin_any, _builtin_max = any, max  # this module defines torch's any(); extrema.py max()


def _reduce_samples(rng):
    x, samples = over_dims(rng)
    return samples + [
        Sample(x, (0, 2)),
        Sample(rng.normal(size=())),
        Sample(rng.normal(size=(2, 3)), 0, True),
    ]


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

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        keep_reduction(ctx, x, dims, keepdim)
        rk = dispatch.kernels("reduce", x, dims) if dtype == x.dtype else None
        if rk is not None:
            out = rk.sum_mean(x, dims)
            return out if keepdim else out.reshape(_out_shape(x.shape, dims, False))
        out = np.sum(x, axis=dims, keepdims=keepdim, dtype=dtype)
        return np.asarray(out)

    @staticmethod
    def backward(ctx, g, xp):
        return unreduced(ctx, g, xp)


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum of all elements, or over ``dim``. Bool/int inputs sum as int64 (like torch).

    Example:
        >>> autograd.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
        tensor([4., 6.])
    """
    dims = reduce_dims(dim, input.ndim)
    if dtype is not None:
        npdt = _dt.as_dtype(dtype).np
    elif input._data.dtype.kind in "biu":
        npdt = np.dtype(np.int64)
    else:
        npdt = input._data.dtype
    return Sum.apply(input, dims=dims, keepdim=keepdim, dtype=npdt)


def _np_sum(x, dim=None, keepdim=False):
    return np.sum(
        x,
        axis=tuple(d % (x.ndim or 1) for d in ((dim,) if isinstance(dim, int) else dim))
        if dim is not None and x.ndim
        else None,
        keepdims=keepdim,
    )


_xp.define("sum", numpy=_np_sum, tensor=sum)
register(OpInfo("sum", sum, ref=_np_sum, samples=_reduce_samples, family="reduce"))


# ---- mean ---------------------------------------------------------------------------------
class Mean(Op):
    """Mean over ``dims``; each input element gets grad / (number of reduced elements)."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        keep_reduction(ctx, x, dims, keepdim)
        ctx.count = count = int(np.prod([x.shape[d] for d in dims])) if dims else 1
        rk = dispatch.kernels("reduce", x, dims)
        if rk is not None:
            out = rk.sum_mean(x, dims, mean=True)
            return out if keepdim else out.reshape(_out_shape(x.shape, dims, False))
        return np.asarray(
            np.mean(x, axis=dims, keepdims=keepdim)
            if count
            else np.full(
                _keepdim_shape(x.shape, dims)
                if keepdim
                else tuple(n for i, n in enumerate(x.shape) if i not in dims),
                np.nan,
                x.dtype,
            )
        )

    @staticmethod
    def backward(ctx, g, xp):
        return unreduced(ctx, g / _builtin_max(ctx.count, 1), xp)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of all elements, or over ``dim`` (floating inputs only, like torch).

    Example:
        >>> autograd.tensor([1.0, 2.0, 3.0]).mean()
        tensor(2.)
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a "
            f"floating point or complex dtype. Got: {_torch_dtype_name(input._data.dtype)}"
        )
    dims = reduce_dims(dim, input.ndim)
    return Mean.apply(input, dims=dims, keepdim=keepdim)


def _np_mean(x, dim=None, keepdim=False):
    axes = (
        None
        if dim is None or x.ndim == 0
        else tuple(d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim))
    )
    return np.mean(x, axis=axes, keepdims=keepdim)


_xp.define("mean", numpy=_np_mean, tensor=mean)
register(OpInfo("mean", mean, ref=_np_mean, samples=_reduce_samples, family="reduce"))


def _np_prod(x, dims, keepdim):
    return np.prod(x, axis=dims, keepdims=keepdim)


# ---- prod ---------------------------------------------------------------------------------
def _first_in_slice(mask: np.ndarray, dims: tuple) -> np.ndarray:
    """True at the first True element of every slice over ``dims`` (in row-major order)."""
    rest = [d for d in range(mask.ndim) if d not in dims]
    moved = np.transpose(mask, rest + list(dims))
    flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
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

    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        out = np.asarray(np.prod(x, axis=dims, keepdims=keepdim, dtype=dtype))
        keep_reduction(ctx, x, dims, keepdim)
        ctx.zero = x == 0
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, out = ctx.saved_tensors
        dims, keepdim, shape = ctx.dims, ctx.keepdim, ctx.in_shape
        g_full = unreduced(ctx, g, xp)
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
    return [
        Sample(rng.uniform(0.5, 1.5, (3, 4))),
        Sample(rng.normal(size=(3, 4)), 1),
        Sample(rng.normal(size=(2, 3, 2)), -1, keepdim=True),
        Sample(zeros, 1),
        Sample(zeros, 0),
        Sample(zeros[:1]),
        Sample(rng.normal(size=())),
        Sample(rng.normal(size=(2, 0)), 0),
        Sample(rng.normal(size=(0, 3))),
    ]


register(
    OpInfo(
        "prod",
        prod,
        samples=_prod_samples,
        family="reduce",
        ref=lambda x, dim=None, keepdim=False: np.prod(x, axis=_np_axes(x, dim), keepdims=keepdim),
    )
)


# ---- logsumexp ----------------------------------------------------------------------------
class Logsumexp(Op):
    """log(sum(exp(x))) = m + log(sum(exp(x - m))) with m = max (no overflow); the gradient
    is softmax(x) = exp(x - out). Rows of -inf give -inf (and a nan gradient, like torch)."""

    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        keep_reduction(ctx, x, dims, keepdim)
        rk = dispatch.kernels("reduce", x, dims)
        if rk is not None:
            out = rk.logsumexp(x, dims)
            out = out if keepdim else out.reshape(_out_shape(x.shape, dims, False))
            ctx.save_for_backward(x, out)
            return out
        m = (
            np.max(x, axis=dims, keepdims=True, initial=-np.inf)
            if x.size
            else np.full(_keepdim_shape(x.shape, dims), -np.inf, x.dtype)
        )
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
        out = np.asarray(
            out if keepdim else out.reshape(_out_shape(x.shape, dims, False)), dtype=x.dtype
        )
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, out = ctx.saved_tensors
        if not xp.graph:
            rk = dispatch.kernels("reduce", x, ctx.dims)
            if rk is not None:
                return rk.logsumexp_backward(x, out, g, ctx.dims)
        return unreduced(ctx, g, xp) * xp.exp(x - unreduced(ctx, out, xp))


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


register(
    OpInfo(
        "logsumexp",
        logsumexp,
        ref=_np_logsumexp,
        family="reduce",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4, 5)) * 3, 1),
            Sample(rng.normal(size=(3, 4, 5)), (0, 2), keepdim=True),
            Sample(rng.normal(size=(3, 4)), -1, True),
            Sample(rng.normal(size=()), 0),
            Sample(rng.normal(size=(2, 0)), 0),
            Sample(rng.normal(size=(3, 4)) * 300, 1),
        ],
    )
)


# ---- norm ---------------------------------------------------------------------------------
class Norm(Op):
    """Vector p-norm over ``dims``: (sum |x|**p) ** (1/p), with p = inf / -inf giving
    max / min |x| and p = 0 the count of non-zeros.

    Gradients (0 wherever the norm is 0, like torch):
      p = 2: x / norm;  p = 1: sign(x);  p = +-inf: sign(x) shared evenly by the tied extremes;
      other p: sign(x) |x|**(p-1) / norm**(p-1) (0 at x == 0).
    """

    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim, p):
        keep_reduction(ctx, x, dims, keepdim)
        ctx.p = p
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
            out = np.sum(a**p, axis=dims, keepdims=True) ** (1.0 / p)
        if p != 0 and x.size and out.size == x.size:
            out = a  # one element per norm is |x| exactly, as torch (|1e30| ** 3 overflows float32)
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
        p = ctx.p
        g_full = unreduced(ctx, g, xp)
        sign = xp.asarray(ctx.sign)
        if p == 0:
            return g_full * 0.0
        if p == 1:
            return g_full * sign
        if p in (np.inf, -np.inf):
            return g_full * sign * xp.asarray(ctx.weights)
        zero_norm = xp.asarray(ctx.zero_norm)
        out_k = unreduced(ctx, out, xp)
        norm_safe = xp.where(zero_norm, xp.ones_like(out_k), out_k)  # x is 0 there anyway
        if p == 2:
            return g_full * x / norm_safe
        zero = xp.asarray(ctx.zero)
        abs_safe = xp.where(zero, xp.ones_like(x), x * sign)
        scaled = xp.where(zero, 0.0, sign * abs_safe ** (p - 1))
        return xp.where(zero_norm, 0.0, g_full * scaled / norm_safe ** (p - 1))


def _floating_in(input: Tensor, dtype, error: type, message: str) -> Tensor:
    """``input`` converted to ``dtype`` (when given), which must be floating point: else
    ``error(message + its dtype's name)``, torch's message (norm, nanmean)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise error(message + _torch_dtype_name(input._data.dtype))
    return input


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector norm of ``input`` (all elements, or over ``dim``): p = 2 / 'fro' (default),
    1, inf, -inf, 0 or any other number; 'nuc' is the nuclear matrix norm (of a 2-D input, or
    over two ``dim``). Its gradient at 0 is 0, like torch.

    Example:
        >>> autograd.tensor([3.0, 4.0]).norm()
        tensor(5.)
        >>> autograd.tensor([[3.0, -4.0]]).norm(p=1, dim=1)
        tensor([7.])
    """
    input = _floating_in(
        input,
        dtype,
        DTypeError,
        "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ",
    )
    if isinstance(p, str):
        one_dim = isinstance(dim, (int, np.integer))
        if p == "fro" and (dim is None or one_dim or len(dim) <= 2):
            p = 2  # 'fro' over at most two dims is the 2-norm of those elements
        else:
            # as torch: 'nuc' (the sum of singular values) and anything else go to matrix_norm,
            # over all dims when dim is None, which then checks the 2-tuple and the order
            from .linalg_norm import matrix_norm

            dims = tuple(range(input.ndim)) if dim is None else (dim,) if one_dim else dim
            return matrix_norm(input, p, dims, keepdim)
    p = float(p)
    dims = reduce_dims(dim, input.ndim)
    if (
        p in (np.inf, -np.inf)
        and input._data.size == 0
        and (dim is None or _builtin_any(input.shape[d] == 0 for d in dims))
    ):
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {p} norm on an empty tensor "
            "because the operation does not have an identity"
        )
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
    return np.sum(a**p, axis=axes, keepdims=keepdim) ** (1 / p)


def _norm_samples(rng):
    x = rng.normal(size=(3, 4))
    # (the zero gradient at a zero norm is tested in tests/test_reduce_extra.py: no second
    # derivative exists there)
    return [
        Sample(x),
        Sample(x, 1, 1),
        Sample(x, 3, -1, True),
        Sample(x, float("inf"), 0),
        Sample(x, -float("inf"), 1),
        Sample(x, 0.5, 1),
        Sample(x, 0, 1),
        Sample(rng.normal(size=(2, 3, 4)), "fro", (0, 2)),
        Sample(rng.normal(size=())),
        Sample(rng.normal(size=(2, 0)), 2, 1),
    ]


register(OpInfo("norm", norm, ref=_np_norm, samples=_norm_samples, family="reduce"))


# ---- all / any / count_nonzero ------------------------------------------------------------
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element (over ``dim``, int or tuple) is non-zero; bool result (uint8
    0/1 for a uint8 input, as in torch).

    Example:
        >>> autograd.tensor([[True, False], [True, True]]).all(dim=1)
        tensor([False,  True])
    """
    dims = wrap_dims(dim, input.ndim)
    return Tensor._make(derive(_truth, input, np_fn=np.all, dims=dims, keepdim=keepdim))


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element (over ``dim``, int or tuple) is non-zero; bool result (uint8
    0/1 for a uint8 input, as in torch).

    Example:
        >>> autograd.tensor([0.0, 2.0]).any()
        tensor(True)
    """
    dims = wrap_dims(dim, input.ndim)
    return Tensor._make(derive(_truth, input, np_fn=np.any, dims=dims, keepdim=keepdim))


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of non-zero elements (over ``dim``, int or tuple), int64.

    Example:
        >>> autograd.tensor([[1, 0], [2, 3]]).count_nonzero(dim=0)
        tensor([2, 1])
    """
    dims = reduce_dims(dim, input.ndim)
    return Tensor._make(derive(_count_nonzero, input, dims=dims))


# (these have no gradient: their values are derived, see function.derive)
def _truth(x, np_fn, dims, keepdim):
    out = np.asarray(np_fn(x, axis=dims, keepdims=keepdim))
    # torch keeps uint8 for a uint8 input (0/1), as before it had a bool type
    return out.astype(np.uint8) if x.dtype == np.uint8 else out


def _count_nonzero(x, dims):
    return np.asarray(np.count_nonzero(x, axis=dims)).astype(np.int64)


def _bool_samples(rng):
    x = np.where(rng.random((3, 4, 2)) > 0.3, rng.normal(size=(3, 4, 2)), 0.0)
    return [
        Sample(x),
        Sample(x, 1),
        Sample(x, -1, True),
        Sample(x, (0, 2)),
        Sample(np.zeros(())),
        Sample(np.ones((0, 3)), 1),
        Sample(np.ones((0, 3))),
    ]


for _name, _fn, _ref in [("all", all, np.all), ("any", any, np.any)]:
    register(
        OpInfo(
            _name,
            _fn,
            differentiable=False,
            samples=_bool_samples,
            family="reduce",
            ref=lambda x, dim=None, keepdim=False, _r=_ref: np.asarray(
                _r(x, axis=_np_axes(x, dim), keepdims=keepdim)
            ),
        )
    )
register(
    OpInfo(
        "count_nonzero",
        count_nonzero,
        differentiable=False,
        family="reduce",
        samples=lambda rng: [
            s for s in _bool_samples(rng) if "keepdim" not in s.kwargs and len(s.args) < 3
        ],
        ref=lambda x, dim=None: np.asarray(np.count_nonzero(x, axis=_np_axes(x, dim))),
    )
)


# ---- nansum / nanmean ---------------------------------------------------------------------
class Nansum(Op):
    """Sum treating nan as 0; nan elements get no gradient."""

    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        keep_reduction(ctx, x, dims, keepdim)
        ctx.keep = ~np.isnan(x) if x.dtype.kind in FLOAT_KINDS else None
        return np.asarray(np.nansum(x, axis=dims, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, g, xp):
        g_full = unreduced(ctx, g, xp)
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
    return Nansum.apply(input, dims=reduce_dims(dim, input.ndim), keepdim=keepdim, dtype=npdt)


class Nanmean(Op):
    """Mean of the non-nan elements; each of them gets grad / count."""

    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        keep_reduction(ctx, x, dims, keepdim)
        keep = ~np.isnan(x)
        count = keep.sum(axis=dims, keepdims=True)
        if ctx.needs_input_grad:
            ctx.weights = np.where(keep, 1.0 / np.maximum(count, 1), 0.0).astype(x.dtype)
        out = np.nansum(x, axis=dims, keepdims=True) / count
        return np.asarray(
            out if keepdim else out.reshape(_out_shape(x.shape, dims, False)), dtype=x.dtype
        )

    @staticmethod
    def backward(ctx, g, xp):
        g_full = unreduced(ctx, g, xp)
        return g_full * xp.asarray(ctx.weights)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` ignoring nan elements (nan when all of them are nan).

    Example:
        >>> autograd.tensor([1.0, float("nan"), 3.0]).nanmean()
        tensor(2.)
    """
    input = _floating_in(
        input,
        dtype,
        RuntimeError,
        "nanmean(): expected input to have floating point or complex dtype but got ",
    )
    return Nanmean.apply(input, dims=reduce_dims(dim, input.ndim), keepdim=keepdim)


def _nan_samples(rng):
    x = rng.normal(size=(3, 4))
    x[0, 1] = x[2, 3] = np.nan
    return [
        Sample(x),
        Sample(x, 1),
        Sample(x, 0, True),
        Sample(x, (0, 1)),
        Sample(rng.normal(size=())),
        Sample(rng.normal(size=(2, 0)), 1),
    ]


def _np_nanmean(x, dim=None, keepdim=False):
    axes = _np_axes(x, dim)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nansum(x, axis=axes, keepdims=keepdim) / np.sum(
            ~np.isnan(x), axis=axes, keepdims=keepdim
        )


register(
    OpInfo(
        "nansum",
        nansum,
        samples=_nan_samples,
        family="reduce",
        ref=lambda x, dim=None, keepdim=False: np.nansum(
            x, axis=_np_axes(x, dim), keepdims=keepdim
        ),
    )
)
register(OpInfo("nanmean", nanmean, ref=_np_nanmean, samples=_nan_samples, family="reduce"))


# ---- renorm ---------------------------------------------------------------------------------
def renorm(input: Tensor, p, dim: int, maxnorm) -> Tensor:
    """Each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm`` (torch's ``maxnorm / (norm + 1e-7)``); the others unchanged.

    Example:
        >>> autograd.tensor([[3.0, 4.0], [0.3, 0.4]]).renorm(2, 0, 1.0)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    from .compare import where

    if not isinstance(input, Tensor):
        raise TypeError(f"renorm(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise RuntimeError(f"renorm: input needs to be floating point, got {input.dtype.name}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions"
        )
    d = wrap_dim(dim, input.ndim)
    others = tuple(i for i in range(input.ndim) if i != d)
    norms = norm(input, p, others, keepdim=True)
    over = Tensor._make(norms._data > maxnorm)
    factor = where(over, maxnorm / (norms + 1e-7), Tensor._make(np.ones((), input._data.dtype)))
    return input * factor


def _ref_renorm(x, p, dim, maxnorm):
    others = tuple(i for i in range(x.ndim) if i != dim % x.ndim)
    n = np.sum(np.abs(x) ** p, axis=others, keepdims=True) ** (1.0 / p)
    return x * np.where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)


register(
    OpInfo(
        "renorm",
        renorm,
        ref=_ref_renorm,
        inplace=True,
        family="reduce",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), 2, 0, 1.5),
            Sample(rng.normal(size=(3, 4)), 1, 1, 2.0),
            Sample(rng.normal(size=(2, 3, 4)), 3, -1, 1.0),
            Sample(rng.normal(size=(0, 3)), 2, 0, 1.0),
        ],
    )
)
