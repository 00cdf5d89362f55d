"""Running and differencing ops along one dim: cumsum, cumprod, cummax / cummin, diff,
logcumsumexp; integrals by the trapezoidal rule (trapezoid, cumulative_trapezoid) and
numerical derivatives (gradient).

cumsum's VJP is a reversed cumsum; cumprod's handles zeros exactly (no division by the
input); cummax / cummin pick, for each position, the index of the running extreme and send
the gradient there (``_select``, repeated indices adding up); diff's VJP is its transpose.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from .. import return_types
from ..dtypes import FLOAT_KINDS
from ..function import Op
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._reduction import _as1d, _int64_if_integral, _int_dim, _select
from ._util import wrap_dim
from .registry import OpInfo, Sample, register

__all__ = [
    "cumsum",
    "cumprod",
    "cummax",
    "cummin",
    "diff",
    "logcumsumexp",
    "trapezoid",
    "trapz",
    "cumulative_trapezoid",
    "gradient",
]


# ---- cumsum / cumprod ---------------------------------------------------------------------
def _np_cumsum(x, dim, reverse=False):
    if reverse:
        return np.flip(np.cumsum(np.flip(x, dim), axis=dim), dim)
    return np.cumsum(x, axis=dim)


class Cumsum(Op):
    """Running sum along ``dim``; its VJP is the running sum from the other end."""

    jvp = staticmethod(linear_jvp)

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
    npdt = _int64_if_integral(input._data.dtype, dtype)
    d = _int_dim(dim, input.ndim, "cumsum")
    if input._requires_grad and npdt.kind not in FLOAT_KINDS:
        input = input.detach()
    return _cumsum_impl(input, d, False, npdt)


def _register_scan(name, fn, np_fn, samples):
    """The registry entry of cumsum / cumprod: the reference is ``np_fn`` along ``dim`` (a 0-d
    input is its own scan; ``dtype=`` is left to the op)."""
    register(
        OpInfo(
            name,
            fn,
            inplace=True,
            family="cumulative",
            ref=lambda x, dim, **k: np_fn(x, axis=dim % x.ndim).reshape(x.shape) if x.ndim else x,
            samples=samples,
        )
    )


def _cumsum_samples(rng):
    return [
        Sample(rng.normal(size=(3, 4)), 1),
        Sample(rng.normal(size=(3, 4, 2)), -3),
        Sample(rng.normal(size=()), 0),
        Sample(rng.normal(size=(0, 3)), 1),
    ]


_register_scan("cumsum", cumsum, np.cumsum, _cumsum_samples)


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
    res = xp.where(
        before_c,
        xp.cumsum(g * y, dim, True) / x_safe,
        xp.where(first_c, xp.cumsum(g * y1, dim, True), 0.0),
    )
    if xp.graph and rest.any():
        xz = xp.sum(xp.where(first_c, x, 0.0), dim, True)
        res = xp.where(xp.asarray(rest), xz * _cumprod_grad(g, x1, y1, dim, zero & ~first, xp), res)
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
        input = (
            input.detach().to(_dt._FROM_NP[npdt])
            if npdt.kind not in FLOAT_KINDS
            else input.to(_dt._FROM_NP[npdt])
        )
    return _cumprod_impl(input, d)


def _cumprod_samples(rng):
    return [
        Sample(rng.uniform(0.5, 1.5, (3, 4)), 1),
        Sample(rng.normal(size=(3, 4, 2)), -3),
        Sample(
            np.array(
                [
                    [1.5, 0.0, 2.0, -0.5, 0.0, 1.1],
                    [0.0, 1.3, 0.0, 0.7, 1.2, 0.9],
                    [0.8, -1.1, 1.3, 0.9, 1.4, 0.0],
                ]
            ),
            1,
        ),
        Sample(rng.normal(size=()), 0),
        Sample(rng.normal(size=(0, 3)), 1),
    ]


_register_scan("cumprod", cumprod, np.cumprod, _cumprod_samples)


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
        return getattr(return_types, opname)(
            _select(input, index, 0, False, name), Tensor._make(index)
        )
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
    return [
        Sample(rng.normal(size=(3, 5)), 1),
        Sample(rng.normal(size=(4, 2, 3)), 0),
        Sample(rng.normal(size=(3, 4)), -1),
        Sample(rng.normal(size=()), 0),
    ]
    # (empty inputs are tested in tests/test_reduce_extra.py: torch's own empty-input
    # gradient of cummax is a tensor that requires grad, which the parity harness rejects)


register(
    OpInfo(
        "cummax",
        cummax,
        ref=_np_cum_extreme(np.maximum),
        samples=_cum_extreme_samples,
        family="cumulative",
    )
)
register(
    OpInfo(
        "cummin",
        cummin,
        ref=_np_cum_extreme(np.minimum),
        samples=_cum_extreme_samples,
        family="cumulative",
    )
)


# ---- diff ---------------------------------------------------------------------------------
class Diff(Op):
    """out[i] = x[i + 1] - x[i] along ``dim``; its VJP is ``DiffTranspose`` (and back)."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim, ctx.in_shape = dim, x.shape
        return np.diff(x, axis=dim)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.diff_transpose(g, ctx.dim, ctx.in_shape)


class DiffTranspose(Op):
    """The adjoint of one ``diff``: x[i] gets g[i - 1] - g[i] (missing terms are 0)."""

    jvp = staticmethod(linear_jvp)

    grad_fn_name = "DiffBackward0"

    @staticmethod
    def forward(ctx, g, dim, shape):
        ctx.dim = dim
        return _np_diff_transpose(g, dim, shape)

    @staticmethod
    def backward(ctx, gg, xp):  # (its adjoint is diff itself)
        return Diff.apply(gg, dim=ctx.dim) if xp.graph else np.diff(gg, axis=ctx.dim)


def _np_diff_transpose(g, dim, shape):
    out = np.zeros(shape, g.dtype)
    lead = [slice(None)] * len(shape)
    hi, lo = list(lead), list(lead)
    hi[dim], lo[dim] = slice(1, None), slice(None, -1)
    out[tuple(hi)] += g
    out[tuple(lo)] -= g
    return out


_xp.define(
    "diff_transpose",
    numpy=_np_diff_transpose,
    tensor=lambda g, dim, shape: DiffTranspose.apply(g, dim=dim, shape=shape),
)


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along ``dim`` (``out[i] = x[i+1] - x[i]`` for n=1);
    ``prepend`` / ``append`` are joined to ``input`` first.

    Example:
        >>> autograd.tensor([1.0, 4.0, 9.0]).diff()
        tensor([3., 5.])
    """
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = wrap_dim(dim, input.ndim)
    if prepend is not None or append is not None:
        from .join import cat  # the join family owns cat

        parts = [p for p in (prepend, input, append) if p is not None]
        parts = [
            p
            if isinstance(p, Tensor)
            else Tensor._make(
                np.broadcast_to(
                    np.asarray(p, input._data.dtype), input.shape[:d] + (1,) + input.shape[d + 1 :]
                )
            )
            for p in parts
        ]
        input = cat(parts, d)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    out = input
    for _ in range(n):
        if out.shape[d] == 0:
            break
        if out._data.dtype == np.bool_:  # torch: diff of bools is "not equal" (xor)
            out = Tensor._make(
                np.not_equal(
                    out._data[(slice(None),) * d + (slice(1, None),)],
                    out._data[(slice(None),) * d + (slice(None, -1),)],
                )
            )
            continue
        out = Diff.apply(out, dim=d)
    return out


register(
    OpInfo(
        "diff",
        diff,
        family="cumulative",
        ref=lambda x, n=1, dim=-1, **k: np.diff(x, n=n, axis=dim),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 5))),
            Sample(rng.normal(size=(3, 5)), 2, 0),
            Sample(rng.normal(size=(4, 3, 2)), 1, -2),
            Sample(rng.normal(size=(4,)), 3),
            Sample(rng.normal(size=(0, 3)), 1, 0),
            Sample(rng.normal(size=(2, 3)), 0),
        ],
    )
)


# ---- logcumsumexp ---------------------------------------------------------------------------
def _np_logcumsumexp(x, dim):
    return np.logaddexp.accumulate(x, axis=dim) if x.size else x.copy()


class Logcumsumexp(Op):
    """Running ``log(sum(exp(x)))`` along ``dim`` (``logaddexp`` accumulated: no overflow).

    VJP: dx_j = sum_{i >= j} g_i exp(x_j - y_i). Summed directly that overflows for widely
    spread values, so, as torch, the positive and the negative parts of ``g`` are summed in
    log space with a reversed logcumsumexp (itself differentiable)."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        y = _np_logcumsumexp(x, dim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        x, y = ctx.saved_tensors
        d = ctx.dim
        one = xp.ones_like(g)

        def log_part(mask, magnitude):
            # log|g| - y where mask holds, -inf elsewhere; y only in the taken branch, so the
            # nan gradients of a logcumsumexp at -inf inputs never reach it
            return xp.where(mask, xp.log(xp.where(mask, magnitude, one)) - y, float("-inf"))

        def reverse_lcse(v):
            return xp.flip(xp.logcumsumexp(xp.flip(v, d), d), d)

        pos = xp.exp(x + reverse_lcse(log_part(g > 0, g)))
        neg = xp.exp(x + reverse_lcse(log_part(g < 0, -g)))
        return pos - neg


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))``, computed without overflow.

    Example:
        >>> autograd.tensor([0.0, 0.0, 0.0]).logcumsumexp(0)
        tensor([0.0000, 0.6931, 1.0986])
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"logcumsumexp(): argument 'input' must be Tensor, not {type(input).__name__}"
        )
    if input._data.dtype.kind not in FLOAT_KINDS:
        from ._util import _reject

        _reject("logcumsumexp", "logcumsumexp_out_cpu", input, "convert with .float()")
    d = _int_dim(dim, input.ndim, "logcumsumexp")
    if input.ndim == 0:
        return Logcumsumexp.apply(input.reshape((1,)), dim=0).reshape(())
    return Logcumsumexp.apply(input, dim=d)


_xp.define("logcumsumexp", numpy=_np_logcumsumexp, tensor=logcumsumexp)
register(
    OpInfo(
        "logcumsumexp",
        logcumsumexp,
        family="cumulative",
        ref=lambda x, dim: _np_logcumsumexp(x, dim % x.ndim) if x.ndim else x,
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), 1),
            Sample(rng.normal(size=(3, 4, 2)) * 5, -3),
            Sample(rng.normal(size=()), 0),
            Sample(rng.normal(size=(0, 3)), 1),
        ],
    )
)


# ---- trapezoid / cumulative_trapezoid ---------------------------------------------------------
def _trapezoid_parts(y, x, dx, dim, opname):
    """(dim, the areas of the trapezoids between consecutive samples along dim)."""
    from .arithmetic import to_dtype
    from .slicing import narrow
    from .movement import reshape

    if not isinstance(y, Tensor):
        raise TypeError(f"{opname}(): argument 'y' must be Tensor, not {type(y).__name__}")
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if y._data.dtype.kind not in FLOAT_KINDS:
        y = to_dtype(y, _dt.get_default_dtype())
    d = wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        return d, y
    # (the products in torch's order, so that inf and nan come out where they do in torch)
    sums = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    if x is None:
        return d, sums * ((1.0 if dx is None else dx) / 2)
    if not isinstance(x, Tensor):
        raise TypeError(f"{opname}(): argument 'x' must be Tensor, not {type(x).__name__}")
    if dx is not None:
        raise TypeError(f"{opname}(): give either the sample points x or the spacing dx, not both")
    xd = x.ndim - 1 if x.ndim == 1 else d - y.ndim + x.ndim
    if x.ndim == 0 or xd < 0 or x.shape[xd] != n:
        raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
    widths = narrow(x, xd, 1, n - 1) - narrow(x, xd, 0, n - 1)
    if x.ndim == 1:  # the same sample points for every slice along dim
        widths = reshape(widths, [n - 1 if i == d else 1 for i in range(y.ndim)])
    return d, widths * sums * 0.5


def trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, at the sample points
    ``x`` (a tensor) or with spacing ``dx`` (default 1).

    Example:
        >>> autograd.trapezoid(autograd.tensor([1.0, 2.0, 4.0]))
        tensor(4.5000)
    """
    if x is None and isinstance(y, Tensor) and y.ndim and y.shape[dim] > 0:
        # torch's form with even spacing: (sum - (first + last) / 2) * dx (its inf/nan too)
        from .arithmetic import to_dtype
        from .slicing import select

        if y._data.dtype.kind not in FLOAT_KINDS:
            y = to_dtype(y, _dt.get_default_dtype())
        d = wrap_dim(dim, y.ndim)
        ends = (select(y, d, 0) + select(y, d, -1)) * 0.5
        return (y.sum(d) - ends) * (1.0 if dx is None else dx)
    d, parts = _trapezoid_parts(y, x, dx, dim, "trapezoid")
    return parts.sum(d)


def trapz(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """``trapezoid`` under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running integral of ``y`` along ``dim`` by the trapezoidal rule (one element
    fewer than ``y`` along ``dim``).

    Example:
        >>> autograd.cumulative_trapezoid(autograd.tensor([1.0, 2.0, 4.0]))
        tensor([1.5000, 4.5000])
    """
    d, parts = _trapezoid_parts(y, x, dx, dim, "cumulative_trapezoid")
    if parts.shape[d] == 0:
        return parts
    return parts.cumsum(d)


def _ref_trapezoid(cumulative):
    def ref(y, x=None, *, dx=None, dim=-1):
        import scipy.integrate

        fn = scipy.integrate.cumulative_trapezoid if cumulative else scipy.integrate.trapezoid
        if y.dtype.kind not in "f":
            y = y.astype(np.float32)
        if y.shape[dim] == 0:
            return (
                np.zeros(y.shape[: dim % y.ndim] + y.shape[dim % y.ndim + 1 :], y.dtype)
                if not cumulative
                else y
            )
        return fn(y, x=x, dx=1.0 if dx is None else dx, axis=dim)

    return ref


def _trapezoid_samples(rng):
    return [
        Sample(rng.normal(size=(3, 5))),
        Sample(rng.normal(size=(3, 5)), dx=0.5, dim=0),
        Sample(rng.normal(size=(3, 5)), np.cumsum(rng.uniform(0.1, 1, (5,)))),
        Sample(rng.normal(size=(2, 4)), np.cumsum(rng.uniform(0.1, 1, (2, 4)), 1), dim=1),
        Sample(rng.normal(size=(4,)), dx=2.0),
        Sample(rng.normal(size=(2, 1))),
    ]


for _name, _fn, _cumulative in (
    ("trapezoid", trapezoid, False),
    ("trapz", trapz, False),
    ("cumulative_trapezoid", cumulative_trapezoid, True),
):
    register(
        OpInfo(
            _name,
            _fn,
            ref=_ref_trapezoid(_cumulative),
            samples=_trapezoid_samples,
            method=False,
            family="cumulative",
        )
    )


# ---- gradient (numerical derivatives) ---------------------------------------------------------
def _gradient_along(f: Tensor, d: int, spacing, edge_order: int) -> Tensor:
    """Central differences along ``d`` inside, one-sided at the ends (NumPy's formulas, for
    even spacing ``h`` or sample coordinates ``x``)."""
    from .join import cat
    from .slicing import narrow

    n = f.shape[d]

    def s(start, length=1):
        return narrow(f, d, start % n, length)

    if not isinstance(spacing, Tensor):  # even spacing h
        h = float(spacing)
        inner = (s(2, n - 2) - s(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first, last = (s(1) - s(0)) / h, (s(-1) - s(-2)) / h
        else:
            first = (s(0) * -3 + s(1) * 4 - s(2)) / (2 * h)
            last = (s(-1) * 3 - s(-2) * 4 + s(-3)) / (2 * h)
        return cat([first, inner, last], d)
    x = spacing._data.astype(f._data.dtype)
    shape = [1] * f.ndim

    def coef(values):  # a constant along d, broadcast over the other dims
        shape[d] = -1
        return Tensor._make(np.asarray(values, f._data.dtype).reshape(shape))

    dx = np.diff(x)
    hd, hs = dx[:-1], dx[1:]  # the steps before and after each inner point
    inner = (
        s(0, n - 2) * coef(-hs / (hd * (hd + hs)))
        + s(1, n - 2) * coef((hs - hd) / (hd * hs))
        + s(2, n - 2) * coef(hd / (hs * (hd + hs)))
    )
    if edge_order == 1:
        first = (s(1) - s(0)) / float(dx[0])
        last = (s(-1) - s(-2)) / float(dx[-1])
    else:
        a, b = dx[0], dx[1]
        first = (
            s(0) * float(-(2 * a + b) / (a * (a + b)))
            + s(1) * float((a + b) / (a * b))
            + s(2) * float(-a / (b * (a + b)))
        )
        a, b = dx[-2], dx[-1]
        last = (
            s(-3) * float(b / (a * (a + b)))
            + s(-2) * float(-(a + b) / (a * b))
            + s(-1) * float((a + 2 * b) / (b * (a + b)))
        )
    return cat([first, inner, last], d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1):
    """Numerical derivatives of samples of a function, one tensor per dimension in ``dim``
    (default: all): central differences inside, one-sided (first or second order,
    ``edge_order``) at the edges. ``spacing``: one step for every dimension, a step per
    dimension, or a 1-D tensor of sample coordinates per dimension.

    Example:
        >>> autograd.gradient(autograd.tensor([1.0, 4.0, 9.0, 16.0]))
        (tensor([3., 4., 6., 7.]),)
    """
    from .arithmetic import to_dtype

    if not isinstance(input, Tensor):
        raise TypeError(f"gradient(): argument 'input' must be Tensor, not {type(input).__name__}")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = list(range(input.ndim))
    else:
        dims = [wrap_dim(d, input.ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(
                f"torch.gradient expected spacing to be unspecified, a scalar or "
                f"it's spacing and dim arguments to have the same length, but got "
                f"a spacing argument of length {len(spacing)} and a dim argument "
                f"of length {len(dims)}."
            )
        steps = list(spacing)
    else:
        steps = [spacing] * len(dims)
    for d, h in zip(dims, steps):
        if input.shape[d] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1"
            )
        if isinstance(h, Tensor) and (h.ndim != 1 or h.shape[0] != input.shape[d]):
            raise RuntimeError(
                f"torch.gradient expected each tensor to be on the same device "
                f"and of size {input.shape[d]} along dimension {d}, got "
                f"{list(h.shape)}"
            )
    f = input if input._data.dtype.kind in FLOAT_KINDS else to_dtype(input, _dt.get_default_dtype())
    return tuple(_gradient_along(f, d, h, edge_order) for d, h in zip(dims, steps))


def _ref_gradient(x, *, spacing=1, dim=None, edge_order=1):
    axes = tuple(range(x.ndim)) if dim is None else ((dim,) if isinstance(dim, int) else dim)
    steps = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(axes)
    return tuple(np.gradient(x, h, axis=a, edge_order=edge_order) for a, h in zip(axes, steps))


def _gradient_samples(rng):
    return [
        Sample(rng.normal(size=(5,))),
        Sample(rng.normal(size=(3, 4)), spacing=0.5),
        Sample(rng.normal(size=(3, 5)), dim=1, edge_order=2),
        Sample(rng.normal(size=(4, 3)), spacing=[2.0, 0.5], dim=[0, 1], edge_order=2),
        Sample(rng.normal(size=(3, 2)), dim=0, spacing=[1.5]),
    ]


register(
    OpInfo(
        "gradient",
        gradient,
        ref=_ref_gradient,
        samples=_gradient_samples,
        method=False,
        family="cumulative",
    )
)
