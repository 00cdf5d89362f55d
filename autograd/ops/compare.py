"""Comparisons, nan/inf tests, isclose and isin (bool results, no gradient), and the selecting
ops ``where``, ``maximum``/``minimum``/``fmax``/``fmin`` and ``clamp`` (differentiable: the
gradient goes to the element that was selected). Logical and bitwise ops are in logical.py."""

from __future__ import annotations

import functools

import numpy as np

from .. import dispatch
from .. import dtypes as _dt
from ..errors import DTypeError
from ..function import Op, derive
from ..forward_ad import elementwise_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import as_tensor_operand, binary_op, broadcast_shapes, operands, tracked
from ._util import _reject, _torch_dtype_name
from .masking import _number_as
from .registry import OpInfo, Sample, register
from ..dtypes import FLOAT_KINDS

__all__ = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "where",
    "isnan",
    "isinf",
    "isposinf",
    "isneginf",
    "isfinite",
    "signbit",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "clamp",
    "clip",
    "clamp_min",
    "clamp_max",
    "isclose",
    "allclose",
    "equal",
    "isin",
]


class Pointwise(Op):
    """``fn(*arrays)`` for a NumPy function without a gradient (the comparisons, logical and
    bitwise ops and nan/inf tests below): an op like the others, so that it runs through
    ``Op.apply`` (and autograd.compile records it)."""

    differentiable = False

    @staticmethod
    def forward(ctx, *arrays, fn):
        return fn(*arrays)


def _cmp_samples(rng):
    a = rng.integers(-2, 3, (3, 4)).astype(np.float64)
    return [
        Sample(a, rng.integers(-2, 3, (3, 4)).astype(np.float64)),
        Sample(a, rng.integers(-2, 3, (4,)).astype(np.float64)),
        Sample(a, 1.0),
    ]


def _compare(np_fn, name):
    """The comparison ``name`` of two tensors by ``np_fn`` (its NumPy reference too),
    registered."""

    def fn(input, other) -> Tensor:
        (a, b), _, _ = operands(input, other)
        return Pointwise.apply(a, b, fn=np_fn)

    register(
        OpInfo(name, fn, ref=np_fn, samples=_cmp_samples, differentiable=False, family="compare")
    )
    return fn


eq = _compare(np.equal, "eq")
eq.__doc__ = """Elementwise ``input == other`` (bool result).

    Example:
        >>> autograd.eq(autograd.tensor([1, 2]), 2)
        tensor([False,  True])
    """
ne = not_equal = _compare(np.not_equal, "ne")
ne.__doc__ = "Elementwise ``input != other`` (bool result)."
lt = less = _compare(np.less, "lt")
lt.__doc__ = "Elementwise ``input < other`` (bool result)."
le = less_equal = _compare(np.less_equal, "le")
le.__doc__ = "Elementwise ``input <= other`` (bool result)."
gt = greater = _compare(np.greater, "gt")
gt.__doc__ = "Elementwise ``input > other`` (bool result)."
ge = greater_equal = _compare(np.greater_equal, "ge")
ge.__doc__ = "Elementwise ``input >= other`` (bool result)."


class _ComparedInPlace(Op):
    """``x.ge_(other)`` and the other in-place comparisons when ``x`` requires grad: 1 and 0
    in the operands' dtype, recorded with a zero gradient, as torch records ``GeBackward0``
    (the old value's history is cut: a comparison does not depend smoothly on its inputs)."""

    @staticmethod
    def forward(ctx, a, b, fn):
        return fn(a, b).astype(a.dtype)

    @staticmethod
    def backward(ctx, g, xp):
        zeros = xp.zeros_like(g)
        return zeros, zeros


def _compare_in_place(name, compare, np_fn):
    """The function ``x.<name>_(other)`` writes into ``x`` (ops/inplace.py ``inplace_`` casts
    it to x's dtype): the bool comparison, or 1/0 recorded with a zero gradient when an
    operand requires grad."""
    recorded = type(name.capitalize(), (_ComparedInPlace,), {"__doc__": _ComparedInPlace.__doc__})

    def fn(input, other) -> Tensor:
        if isinstance(other, Tensor) and tracked(other) or tracked(input):
            (a, b), _, _ = operands(input, other)
            return recorded.apply(a, b, fn=np_fn)
        return compare(input, other)

    fn.__name__ = fn.__qualname__ = name
    return fn


# (bound as Tensor methods ``eq_`` ... by tensor_methods.py, with the aliases' names too)
COMPARED_IN_PLACE = {
    name: _compare_in_place(name, compare, np_fn)
    for name, compare, np_fn in [
        ("eq", eq, np.equal),
        ("ne", ne, np.not_equal),
        ("lt", lt, np.less),
        ("le", le, np.less_equal),
        ("gt", gt, np.greater),
        ("ge", ge, np.greater_equal),
    ]
}


# ---- where --------------------------------------------------------------------------------
def _fills(cond, x) -> bool:
    """``cond`` broadcasts to the shape of ``x`` and both are C-contiguous: np.where's result
    then has ``x``'s shape and C order, as a copy of ``x`` has."""
    return (
        x.flags.c_contiguous
        and cond.flags.c_contiguous
        and cond.ndim <= x.ndim
        and broadcast_shapes(cond.shape, x.shape) == x.shape
    )


class Where(Op):
    """cond ? a : b; the gradient goes to ``a`` where cond holds and to ``b`` elsewhere."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        if a.ndim == 0 and a.dtype == b.dtype and _fills(cond, b):
            # masked_fill (``b`` with a constant where ``cond`` holds): ``b`` copied, the
            # constant written over it, without broadcasting all three as np.where does;
            # a mask over b's trailing dims (attention's causal mask) is one kernel pass
            K = dispatch.kernels("masking", cond, b)
            if K is not None:
                return K.masked_fill(b, cond, a)
            out = b.copy()
            np.copyto(out, a, where=cond)
            return out
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g, xp):
        (cond,) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[1:]
        if not xp.graph and need_b and not need_a and isinstance(g, np.ndarray) and _fills(cond, g):
            K = dispatch.kernels("masking", cond, g)
            if K is not None:  # (the same fill, with zero: one pass)
                return None, None, K.masked_fill(g, cond, 0)
            gb = g.copy()  # (masked_fill's VJP: the gradient, zeroed where cond)
            np.copyto(gb, 0, where=cond)
            return None, None, gb
        zero = xp.zeros_like(g)
        return (
            None,
            xp.where(cond, g, zero) if need_a else None,
            xp.where(cond, zero, g) if need_b else None,
        )


def where(condition, input=None, other=None) -> Tensor:
    """Pick from ``input`` where ``condition`` is true, else from ``other``.

    Example:
        >>> x = autograd.tensor([-1.0, 2.0])
        >>> autograd.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    if input is None and other is None:
        from .masking import nonzero

        return nonzero(condition, as_tuple=True)
    cond = as_tensor_operand(condition)
    if cond._data.dtype != np.bool_:
        cond = Pointwise.apply(cond, fn=_as_bool)
    (a, b), shape, _ = operands(input, other)
    for v in (input, other):
        if type(v) is int and a._data.dtype.kind in "iu":  # (operands wraps it, as arithmetic
            _number_as(v, a._data.dtype)  # does; where refuses what the type cannot hold)
    shape = broadcast_shapes(cond._data.shape, a._data.shape, b._data.shape)
    from ._util import expand_to

    a, b = expand_to(a, shape), expand_to(b, shape)
    return Where.apply(cond, a, b)


def _as_bool(x):
    return x.astype(bool)


_xp.define("where", numpy=np.where, tensor=where)
register(
    OpInfo(
        "where",
        where,
        ref=np.where,
        samples=lambda rng: [
            Sample(
                rng.random((3, 4)) > 0.5,
                rng.normal(size=(3, 4)),
                rng.normal(size=(3, 4)),
                no_grad_args=(0,),
            ),
            Sample(
                rng.random((3, 4)) > 0.5,
                rng.normal(size=(4,)),
                rng.normal(size=(3, 1)),
                no_grad_args=(0,),
            ),
            Sample(rng.random((3,)) > 0.5, rng.normal(size=(3,)), 0.0, no_grad_args=(0,)),
        ],
        method=False,
        family="compare",
    )
)


# ---- nan / inf tests and signbit ------------------------------------------------------------
def _special_samples(rng):
    special = np.array([[np.nan, np.inf, -np.inf, 1.5], [-2.0, np.nan, -0.0, 0.0]])
    return [
        Sample(special),
        Sample(rng.normal(size=(3, 4))),
        Sample(np.array(np.inf)),
        Sample(rng.integers(-3, 3, (4,))),
        Sample(rng.random((2, 3)) > 0.5),
    ]


def _test(np_fn, name, for_ints):
    """A float test, registered; integers and bools are finite, so the answer is ``for_ints``
    everywhere."""

    def fn(input) -> Tensor:
        (x,), _, _ = operands(input)
        if x._data.dtype.kind not in FLOAT_KINDS:
            return Tensor._make(np.full(x._data.shape, for_ints))
        return Pointwise.apply(x, fn=np_fn)

    fn.__name__ = fn.__qualname__ = name
    register(
        OpInfo(
            name, fn, ref=np_fn, samples=_special_samples, differentiable=False, family="compare"
        )
    )
    return fn


isnan = _test(np.isnan, "isnan", False)
isnan.__doc__ = """True where the element is nan.

    Example:
        >>> autograd.isnan(autograd.tensor([1.0, float("nan")]))
        tensor([False,  True])
    """
isinf = _test(np.isinf, "isinf", False)
isinf.__doc__ = "True where the element is +inf or -inf."
isposinf = _test(np.isposinf, "isposinf", False)
isposinf.__doc__ = "True where the element is +inf."
isneginf = _test(np.isneginf, "isneginf", False)
isneginf.__doc__ = "True where the element is -inf."
isfinite = _test(np.isfinite, "isfinite", True)
isfinite.__doc__ = "True where the element is neither nan nor +-inf."


def signbit(input) -> Tensor:
    """True where the sign bit is set (negative numbers, including -0.0).

    Example:
        >>> autograd.signbit(autograd.tensor([-0.0, 0.0, -2.0]))
        tensor([ True, False,  True])
    """
    (x,), _, _ = operands(input)
    kind = x._data.dtype.kind
    if kind == "b":
        return Tensor._make(np.zeros(x._data.shape, bool))
    return Pointwise.apply(x, fn=np.signbit if kind in FLOAT_KINDS else _negative)


def _negative(x):
    return x < 0


register(
    OpInfo(
        "signbit",
        signbit,
        ref=lambda x: np.signbit(x.astype(float)),
        samples=_special_samples,
        differentiable=False,
        family="compare",
    )
)
_xp.define("isnan", numpy=np.isnan, tensor=isnan)
_xp.define("isfinite", numpy=np.isfinite, tensor=isfinite)


# ---- maximum / minimum ----------------------------------------------------------------------
def _tie_split(g, a, b, xp, loses):
    """The gradient of a max/min input: none where it lost, half on a tie (torch's rule)."""
    return xp.where(loses, xp.zeros_like(g), xp.where(a == b, g * 0.5, g))


Maximum = binary_op(
    "Maximum",
    np.maximum,
    lambda g, a, b, xp: _tie_split(g, a, b, xp, a < b),
    lambda g, a, b, xp: _tie_split(g, a, b, xp, a > b),
    """max(a, b), nan if either is nan. The gradient goes to the larger input; on a tie it is
    split in half (torch's rule); where a nan is involved both inputs receive it.""",
)
Minimum = binary_op(
    "Minimum",
    np.minimum,
    lambda g, a, b, xp: _tie_split(g, a, b, xp, a > b),
    lambda g, a, b, xp: _tie_split(g, a, b, xp, a < b),
    "min(a, b); gradient as for ``maximum`` with the roles of < and > swapped.",
)


def maximum(input, other) -> Tensor:
    """Elementwise maximum (nan wins, like torch); ``other`` may also be a number.

    Example:
        >>> autograd.maximum(autograd.tensor([1.0, 5.0]), autograd.tensor([3.0, 2.0]))
        tensor([3., 5.])
    """
    (a, b), _, _ = operands(input, other)
    return Maximum.apply(a, b)


def minimum(input, other) -> Tensor:
    """Elementwise minimum (nan wins, like torch); ``other`` may also be a number.

    Example:
        >>> autograd.minimum(autograd.tensor([[1.0, 5.0], [-2.0, 3.0]]), 2.0)
        tensor([[ 1.,  2.],
                [-2.,  2.]])
    """
    (a, b), _, _ = operands(input, other)
    return Minimum.apply(a, b)


def _pair_samples(rng):
    u = rng.uniform
    return [
        Sample(u(-2, 2, (3, 4)), u(-2, 2, (3, 4))),
        Sample(u(-2, 2, (3, 1)), u(-2, 2, (1, 4))),
        Sample(u(-2, 2, (2, 3, 4)), u(-2, 2, (4,))),
        Sample(u(-2, 2, ()), u(-2, 2, (2, 2))),
        Sample(u(-2, 2, (0, 3)), u(-2, 2, (3,))),
    ]


_xp.define("maximum", numpy=np.maximum, tensor=maximum)
_xp.define("minimum", numpy=np.minimum, tensor=minimum)
register(OpInfo("maximum", maximum, ref=np.maximum, samples=_pair_samples, family="compare"))
register(OpInfo("minimum", minimum, ref=np.minimum, samples=_pair_samples, family="compare"))


def _fmax_a_wins(a, b, xp):
    return (a >= b) | xp.isnan(b)


def _fmin_a_wins(a, b, xp):
    return (a <= b) | xp.isnan(b)


Fmax = binary_op(
    "Fmax",
    np.fmax,
    lambda g, a, b, xp: xp.where(_fmax_a_wins(a, b, xp), g, xp.zeros_like(g)),
    lambda g, a, b, xp: xp.where(_fmax_a_wins(a, b, xp), xp.zeros_like(g), g),
    """max(a, b) ignoring nan (the other value wins). The gradient goes to ``a`` where
    a >= b or b is nan, else to ``b`` (ties go to ``a``, like torch).""",
)
Fmin = binary_op(
    "Fmin",
    np.fmin,
    lambda g, a, b, xp: xp.where(_fmin_a_wins(a, b, xp), g, xp.zeros_like(g)),
    lambda g, a, b, xp: xp.where(_fmin_a_wins(a, b, xp), xp.zeros_like(g), g),
    "min(a, b) ignoring nan; the gradient goes to ``a`` where a <= b or b is nan.",
)


def fmax(input, other) -> Tensor:
    """Elementwise maximum that ignores nan (nan only where both are nan).

    Example:
        >>> autograd.fmax(autograd.tensor([1.0, float("nan")]), autograd.tensor([3.0, 2.0]))
        tensor([3., 2.])
    """
    (a, b), _, _ = operands(input, other)
    return Fmax.apply(a, b)


def fmin(input, other) -> Tensor:
    """Elementwise minimum that ignores nan (nan only where both are nan).

    Example:
        >>> nan = float("nan")
        >>> autograd.fmin(autograd.tensor([[1.0, nan], [nan, nan]]), autograd.tensor([2.0, nan]))
        tensor([[ 1., nan],
                [ 2., nan]])
    """
    (a, b), _, _ = operands(input, other)
    return Fmin.apply(a, b)


register(OpInfo("fmax", fmax, ref=np.fmax, samples=_pair_samples, family="compare"))
register(OpInfo("fmin", fmin, ref=np.fmin, samples=_pair_samples, family="compare"))


# ---- clamp ---------------------------------------------------------------------------------
def _np_clamp(x, min=None, max=None):
    # max(x, min) then min(., max): where min > max every element becomes max (torch's rule)
    if min is not None:
        x = np.maximum(x, min)
    if max is not None:
        x = np.minimum(x, max)
    return x


class Clamp(Op):
    """clamp to numbers [lo, hi]: the gradient passes where lo <= x <= hi (both inclusive,
    like torch), and is 0 elsewhere and at nan."""

    jvp = staticmethod(elementwise_jvp)

    grad_fn_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return _np_clamp(x, lo, hi)

    @staticmethod
    def backward(ctx, g, xp):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.lo, ctx.hi
        if lo is not None and hi is not None:
            keep = (x >= lo) & (x <= hi)
        elif lo is not None:
            keep = x >= lo
        else:
            keep = x <= hi
        return xp.where(keep, g, xp.zeros_like(g))


class ClampTensor(Op):
    """clamp with tensor bounds (either may be absent). Gradients (torch's rule): ``x`` where
    min <= x <= max; ``min`` where x < min (and min < max); ``max`` where x > max, or
    everywhere that max < min (then the result is max)."""

    jvp = staticmethod(elementwise_jvp)

    grad_fn_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        return _np_clamp(x, lo, hi)

    @staticmethod
    def backward(ctx, g, xp):
        x, lo, hi = ctx.saved_tensors
        need_x, need_lo, need_hi = ctx.needs_input_grad
        zero = xp.zeros_like(g)
        gx = glo = ghi = None
        if need_x:
            if lo is not None and hi is not None:
                keep = (x >= lo) & (x <= hi)
            else:
                keep = (x >= lo) if lo is not None else (x <= hi)
            gx = xp.where(keep, g, zero)
        if need_lo:
            sel = (x < lo) & (lo < hi) if hi is not None else x < lo
            glo = xp.where(sel, g, zero)
        if need_hi:
            sel = (x > hi) | (hi < lo) if lo is not None else x > hi
            ghi = xp.where(sel, g, zero)
        return gx, glo, ghi


def _as_bound(v):
    if isinstance(v, np.generic):
        return v.item()
    return v


def clamp(input, min=None, max=None) -> Tensor:
    """Limit every element to ``[min, max]``; the bounds are numbers or tensors (broadcast),
    either may be None. Where ``min > max`` the result is ``max``. The result dtype follows
    torch's promotion (``clamp(int_tensor, 0.5)`` is float).

    Example:
        >>> autograd.clamp(autograd.tensor([-2.0, 0.5, 3.0]), min=-1, max=1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    min, max = _as_bound(min), _as_bound(max)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        bounds = [b for b in (min, max) if b is not None]
        ts, _, _ = operands(input, *bounds)
        x = ts[0]
        if x._data.dtype == np.bool_:
            _reject("clamp", "clamp_cpu", x, "convert with .long() or .float()")
        lo = ts[1] if min is not None else None
        hi = ts[-1] if max is not None else None
        return ClampTensor.apply(x, lo, hi)
    (x,), _, _ = operands(
        input,
        promote_to=_dt.result_type(
            input if isinstance(input, Tensor) else as_tensor_operand(input),
            *[b for b in (min, max) if b is not None],
        ),
    )
    if x._data.dtype == np.bool_:
        _reject("clamp", "clamp_scalar_cpu", x, "convert with .long() or .float()")
    if x._data.dtype.kind in "iu":  # an int bound the dtype cannot hold wraps, as in torch
        min, max = (_int_bound(b, x._data.dtype) for b in (min, max))
    return Clamp.apply(x, lo=min, hi=max)


def _int_bound(b, npdtype):
    """An int bound as torch's clamp converts it (masking._number_as's rule: an unsigned
    type also takes ``-max <= b < 0``, wrapped, anything else out of range is an error)."""
    return _number_as(b, npdtype).item() if type(b) is int else b


clip = clamp


def clamp_min(input, min) -> Tensor:
    """``clamp(input, min=min)``.

    Example:
        >>> autograd.clamp_min(autograd.tensor([-2.0, 3.0]), 0)
        tensor([0., 3.])
    """
    return clamp(input, min=min)


def clamp_max(input, max) -> Tensor:
    """``clamp(input, max=max)``.

    Example:
        >>> autograd.clamp_max(autograd.tensor([-2.0, 3.0]), 0)
        tensor([-2.,  0.])
    """
    return clamp(input, max=max)


def _clamp_samples(rng):
    x = rng.uniform(-2, 2, (3, 4))
    return [
        Sample(x, -1.0, 1.0),
        Sample(x, min=-0.5),
        Sample(x, max=0.5),
        Sample(rng.uniform(-2, 2, ()), -1.0, 1.0),
        Sample(x, rng.uniform(-1.5, -0.5, (3, 4)), rng.uniform(0.5, 1.5, (4,))),
        Sample(x, rng.uniform(-1, 1, (3, 1))),  # min only
        Sample(x, None, rng.uniform(-1, 1, (4,))),  # max only
        Sample(x, rng.uniform(0.5, 1.0, (3, 4)), rng.uniform(-1.0, -0.5, (3, 4))),
    ]  # min > max


def _ref_clamp(x, min=None, max=None):
    return _np_clamp(x, min, max)


_xp.define("clamp", numpy=_np_clamp, tensor=clamp)


def _one_bound_samples(rng):
    # clamp_min / clamp_max: a number, and a tensor bound broadcast along the rows
    return [
        Sample(rng.uniform(-2, 2, (3, 4)), 0.25),
        Sample(rng.uniform(-2, 2, (3, 4)), rng.uniform(-1, 1, (4,))),
    ]


for _name, _fn, _ref, _samples in [
    ("clamp", clamp, _ref_clamp, _clamp_samples),
    ("clip", clip, _ref_clamp, _clamp_samples),
    ("clamp_min", clamp_min, np.maximum, _one_bound_samples),
    ("clamp_max", clamp_max, np.minimum, _one_bound_samples),
]:
    register(OpInfo(_name, _fn, inplace=True, ref=_ref, samples=_samples, family="compare"))


# ---- isclose / allclose / equal ------------------------------------------------------------
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """True where ``|input - other| <= atol + rtol * |other|`` (equal infinities are close;
    nan is close to nan only with ``equal_nan``). Both tensors must have the same dtype.

    Example:
        >>> autograd.isclose(autograd.tensor([1.0, 2.0]), autograd.tensor([1.0 + 1e-9, 2.1]))
        tensor([ True, False])
    """
    if isinstance(input, Tensor) and isinstance(other, Tensor) and input.dtype != other.dtype:
        raise DTypeError(
            f"{_torch_dtype_name(input._data.dtype)} did not match "
            f"{_torch_dtype_name(other._data.dtype)} (isclose: "
            f"{input.dtype} vs {other.dtype}; convert one with .to())"
        )
    (a, b), _, _ = operands(input, other)
    return Pointwise.apply(
        a, b, fn=functools.partial(np.isclose, rtol=rtol, atol=atol, equal_nan=equal_nan)
    )


register(
    OpInfo(
        "isclose",
        isclose,
        ref=np.isclose,
        samples=lambda rng: [
            Sample(
                np.array([1.0, 1.0 + 1e-9, np.nan, np.inf, -np.inf, 2.0]),
                np.array([1.0, 1.0, np.nan, np.inf, np.inf, 2.1]),
            ),
            Sample(np.array([np.nan, 1.0]), np.array([np.nan, 1.05]), equal_nan=True, rtol=0.1),
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(4,)), atol=0.5),
        ],
        differentiable=False,
        family="compare",
    )
)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True (a Python bool) if every element of ``input`` is close to ``other`` (``isclose``).

    Example:
        >>> autograd.allclose(autograd.tensor([1.0]), autograd.tensor([1.0 + 1e-9]))
        True
    """
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan)._data))


def equal(input, other) -> bool:
    """True (a Python bool) if both tensors have the same shape and the same values.

    Example:
        >>> autograd.equal(autograd.tensor([1, 2]), autograd.tensor([1.0, 2.0]))
        True
    """
    if tuple(input.shape) != tuple(other.shape):
        return False
    (a, b), _, _ = operands(input, other)
    return bool(np.array_equal(a._data, b._data))


# ---- isin -------------------------------------------------------------------------------------
def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each of ``elements`` occurs in ``test_elements`` (either may be a number);
    ``invert=True`` gives the opposite. nan is in nothing (nan != nan).

    Example:
        >>> autograd.isin(autograd.tensor([1, 2, 3]), autograd.tensor([2, 5]))
        tensor([False,  True, False])
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): at least one of 'elements' and 'test_elements' must be a Tensor")
    # derive: computed from the tensors' values, so autograd.compile recomputes it on replay
    return Tensor._make(np.asarray(derive(_np_isin, elements, test_elements, invert=bool(invert))))


def _np_isin(a, b, invert):
    return np.isin(np.asarray(a), np.asarray(b), invert=invert)


register(
    OpInfo(
        "isin",
        isin,
        ref=lambda a, b, **kw: np.isin(a, b, invert=kw.get("invert", False)),
        differentiable=False,
        method=False,
        family="compare",
        samples=lambda rng: [
            Sample(rng.integers(0, 6, (3, 4)), rng.integers(0, 6, (4,))),
            Sample(rng.integers(0, 6, (5,)), 3, invert=True),
            Sample(np.array([1.0, np.nan, 2.5]), np.array([np.nan, 2.5])),
            Sample(rng.integers(0, 6, (0,)), rng.integers(0, 6, (2,))),
        ],
    )
)
