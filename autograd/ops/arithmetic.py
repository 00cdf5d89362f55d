"""Arithmetic: + - * / // % ** and their relatives (neg, abs, sign, square), plus dtype
casts and clone. The three-operand ops (addcmul, addcdiv, lerp) are in ternary.py.

Each op is one block: the ``Op`` class (forward on arrays, VJP through ``xp``), the public
function that prepares operands (promotion + broadcasting in ``operands``), the ``xp``
entry its VJP-users need, and its ``OpInfo`` with test samples. The functions of one tensor
without special rules (exp, log, sin ...) are in unary.py.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import DTypeError
from .. import function as _function
from ..function import Op, lean_binary
from ..forward_ad import elementwise_jvp, linear_jvp, multilinear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import (
    _ERR_ALL,
    _reject,
    binary_operands,
    forward_only,
    linear_op,
    operands,
    unary_op,
)
from .masking import _number_as
from .registry import OpInfo, Sample, register
from .samples import away_from_zero_samples, binary_samples, unary_samples

__all__ = [
    "to_dtype",
    "clone",
    "neg",
    "negative",
    "add",
    "sub",
    "subtract",
    "rsub",
    "mul",
    "multiply",
    "pow",
    "float_power",
    "square",
    "abs",
    "absolute",
    "sign",
    "sgn",
]


# ---- dtype cast ---------------------------------------------------------------------------
class ToDtype(Op):
    """Cast to another dtype; the gradient is cast back to the input's dtype."""

    jvp = staticmethod(linear_jvp)

    grad_fn_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype.np)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.cast(g, ctx.in_dtype)


class ToDtypeNoGrad(ToDtype):
    """A cast to an integer or bool dtype: no gradient flows through it."""

    differentiable = False


def to_dtype(input: Tensor, dtype, copy=False) -> Tensor:
    """``input.to(dtype)``: differentiable between float dtypes."""
    dtype = _dt.as_dtype(dtype)
    if input._data.dtype == dtype.np and not copy:
        return input
    if input._requires_grad and not dtype.is_floating_point:
        return ToDtypeNoGrad.apply(input, dtype=dtype)  # ints/bools carry no gradient
    return ToDtype.apply(input, dtype=dtype)


_xp.define(
    "cast",
    numpy=lambda g, npdt: g.astype(npdt, copy=False),
    tensor=lambda g, npdt: to_dtype(g, _dt.as_dtype(npdt)),
)


# ---- clone --------------------------------------------------------------------------------
Clone = linear_op(
    "Clone",
    lambda x: x.copy(),
    lambda ctx, g, xp: g,
    "A copy with its own memory; gradient passes through.",
)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy of ``input`` that stays in the graph.

    Example:
        >>> autograd.tensor([1.0, 2.0]).clone()
        tensor([1., 2.])
    """
    if memory_format is not None:
        _dt.check_memory_format(input.ndim, memory_format)
    return Clone.apply(input)


register(OpInfo("clone", clone, ref=np.copy, samples=unary_samples(), family="arithmetic"))


# ---- neg ----------------------------------------------------------------------------------
Neg = linear_op("Neg", np.negative, lambda ctx, g, xp: -g, "-x; the gradient is negated.")


def neg(input: Tensor) -> Tensor:
    """``-input``.

    Example:
        >>> autograd.neg(autograd.tensor([1.0, -2.0]))
        tensor([-1.,  2.])
    """
    (x,), _, _ = operands(input)
    if x._data.dtype == np.bool_:
        raise DTypeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you "
            "are trying to invert a mask, use the `~` or `logical_not()` operator "
            "instead."
        )
    return Neg.apply(x)


negative = neg
register(
    OpInfo("neg", neg, inplace=True, ref=np.negative, samples=unary_samples(), family="arithmetic")
)


# ---- add / sub ----------------------------------------------------------------------------
_INT64 = np.dtype(np.int64)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# (bound once: the index arithmetic below runs for every ``i + 8`` of a batch loader)
_make, _np_asarray = Tensor._make, np.asarray


def _index_arithmetic(a, b, negate: bool):
    """``a + b`` (``a - b`` with ``negate``) when ``a`` is a 0-d int64 tensor that needs no
    gradient and ``b`` a Python int: ``i + 8`` on an index from ``for i in randint(...)`` in a
    batch loader. The same tensor as ``forward_only(Add or Sub, ...)`` (a fresh 0-d int64
    array), worked out on Python ints without the operand tensors and the ufunc call. None
    when the general path is needed: other operands, a dual level open or tracing, ``b``
    outside int64 (the general path refuses it) or a result outside int64 (the general path
    wraps it around, as torch does). (Unlike ``forward_only`` it need not step aside while
    bfloat16 stand-ins are in use: its operand is int64.)"""
    if type(b) is int and type(a) is Tensor and not a._requires_grad:
        x = a._data
        if (
            x.dtype is _INT64
            and not x.shape
            and _function._fw_level is None
            and _function._tracer is None
        ):
            v = x.item() - b if negate else x.item() + b
            if _INT64_MIN <= v <= _INT64_MAX and _INT64_MIN <= b <= _INT64_MAX:
                return _make(_np_asarray(v, _INT64))
    return None


Add = linear_op(
    "Add", np.add, lambda ctx, g, xp: (g, g), "a + b: the gradient flows unchanged to both inputs."
)


def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other`` with broadcasting and type promotion.

    Example:
        >>> autograd.add(autograd.tensor([1.0, 2.0]), 10)
        tensor([11., 12.])
    """
    if type(input) is Tensor and alpha == 1:
        # fast paths: index arithmetic (``i + 8``), then the lean path (another tensor of one
        # dtype and shape, or a Python number: ``function.lean_binary``)
        if type(other) is int and not input._requires_grad:
            # (``_index_arithmetic`` written out: a batch loader's ``data[i + 1 : i + n + 1]``
            # runs it several times per row, and the call is a good part of its cost)
            x = input._data
            if (
                x.dtype is _INT64
                and not x.shape
                and _function._fw_level is None
                and _function._tracer is None
            ):
                v = x.item() + other
                if _INT64_MIN <= v <= _INT64_MAX and _INT64_MIN <= other <= _INT64_MAX:
                    return _make(_np_asarray(v, _INT64))
        out = lean_binary(Add, np.add, input, other, False)
        if out is not None:
            return out
    if alpha != 1:
        other = _times_alpha(input, other, alpha)
    a, b = binary_operands(input, other)
    if not (a._requires_grad or b._requires_grad):  # fast path: nothing to record
        out = forward_only(Add, a, b)
        if out is not None:
            return out
    return Add.apply(a, b)


register(
    OpInfo("add", add, inplace=True, ref=np.add, samples=binary_samples(), family="arithmetic")
)


Sub = linear_op(
    "Sub",
    np.subtract,
    lambda ctx, g, xp: (g, -g if ctx.needs_input_grad[1] else None),
    "a - b: g for a, -g for b.",
)


def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other``.

    Example:
        >>> autograd.sub(autograd.tensor([5.0]), 2)
        tensor([3.])
    """
    if type(input) is Tensor and alpha == 1 and input._data.dtype.kind != "b":
        # fast paths as in add (a bool tensor is refused below)
        out = _index_arithmetic(input, other, True) if type(other) is int else None
        if out is None:
            out = lean_binary(Sub, np.subtract, input, other, False)
        if out is not None:
            return out
    if _is_bool(input) and _is_bool(other):
        raise DTypeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if _is_bool(input) or _is_bool(other):
        raise DTypeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If "
            "you are trying to invert a mask, use the `~` or `logical_not()` "
            "operator instead."
        )
    if alpha != 1:
        other = _times_alpha(input, other, alpha, subtracted=True)
    a, b = binary_operands(input, other)
    if not (a._requires_grad or b._requires_grad):  # fast path: nothing to record
        out = forward_only(Sub, a, b)
        if out is not None:
            return out
    return Sub.apply(a, b)


def _times_alpha(input, other, alpha, subtracted=False):
    """``alpha * other`` for add/sub, in the dtype of ``input + other``: alpha scales, it does
    not promote (as in torch, int32 + 2 * bool stays int32; a float alpha on integers is an
    error, not a silent switch to float). An int alpha must fit the integer type, as in torch
    (which checks ``-alpha`` for sub), where a Python int operand would wrap."""
    want = _dt.result_type(input, other)
    if isinstance(alpha, (float, np.floating)) and not (want.is_floating_point or want.is_complex):
        raise DTypeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    if type(alpha) is int and want.np.kind in "iu":
        _number_as(-alpha if subtracted else alpha, want.np)
    if not isinstance(other, Tensor):  # a number: scaled as a number, still "a scalar"
        return other * alpha
    scaled = mul(other, alpha)
    return scaled if scaled.dtype == want else scaled.to(want)


def _is_bool(x) -> bool:
    """A bool tensor or a Python/NumPy bool."""
    if isinstance(x, Tensor):
        return x._data.dtype == np.bool_
    return isinstance(x, (bool, np.bool_))


subtract = sub


def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input`` (``sub`` with the operands swapped).

    Example:
        >>> autograd.rsub(autograd.tensor([1.0, 2.0]), 5)
        tensor([4., 3.])
    """
    return sub(other, input, alpha=alpha)


register(
    OpInfo(
        "rsub",
        rsub,
        ref=lambda a, b, alpha=1: b - alpha * a,
        method=False,
        samples=lambda rng: (
            binary_samples()(rng)
            + [Sample(rng.normal(size=(3, 4)), rng.normal(size=(4,)), alpha=2.5)]
        ),
        torch_fn=lambda torch, a, b, **kw: torch.rsub(
            a, b if isinstance(b, torch.Tensor) else torch.tensor(b, dtype=a.dtype), **kw
        ),
        family="arithmetic",
    )
)
register(
    OpInfo("sub", sub, inplace=True, ref=np.subtract, samples=binary_samples(), family="arithmetic")
)


# ---- mul ----------------------------------------------------------------------------------
class Mul(Op):
    """a * b: d/da = b, d/db = a. Like torch, only the factor another input's gradient
    needs is saved, so ``y = x * 2; x.add_(1)`` leaves y differentiable."""

    jvp = staticmethod(multilinear_jvp)

    @staticmethod
    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if need:  # (empty when nothing is recorded)
            ctx.save_for_backward(a if need[1] else None, b if need[0] else None)
        return np.multiply(a, b)

    @staticmethod
    def backward(ctx, g, xp):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


def mul(input, other) -> Tensor:
    """Elementwise ``input * other``.

    Example:
        >>> autograd.mul(autograd.tensor([1.0, 2.0]), 3)
        tensor([3., 6.])
    """
    if type(input) is Tensor:
        out = lean_binary(Mul, np.multiply, input, other, True)  # fast path: as in add
        if out is not None:
            return out
    a, b = binary_operands(input, other)
    if not (a._requires_grad or b._requires_grad):  # fast path: nothing to record
        out = forward_only(Mul, a, b)
        if out is not None:
            return out
    return Mul.apply(a, b)


multiply = mul
register(
    OpInfo("mul", mul, inplace=True, ref=np.multiply, samples=binary_samples(), family="arithmetic")
)


# ---- pow / float_power ----------------------------------------------------------------------
class Pow(Op):
    """a ** b: d/da = b * a**(b-1) (0 where b == 0), d/db = a**b * log(a) (0 where a == 0 and
    b >= 0). The special cases are torch's, so gradients at 0 match it."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, a, b):
        out = _np_power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        zero = xp.zeros_like(g)
        if need_a:  # 0 ** negative and log(negative) give inf/nan, as in torch
            ga = xp.where(b == 0, zero, g * b * a ** (b - 1))
        if need_b:
            gb = xp.where((a == 0) & (b >= 0), zero, g * out * xp.log(a))
        return ga, gb


class PowTensor(Pow):
    """``tensor ** tensor``: Pow under torch's grad_fn name for that overload."""

    grad_fn_name = "PowBackward1"


class PowScalarBase(Pow):
    """``number ** tensor``: Pow under torch's grad_fn name for that overload."""

    grad_fn_name = "PowBackward2"


def _pow_op(input, exponent) -> type:
    """The Pow class whose grad_fn name torch gives ``input ** exponent``: PowBackward0 for a
    number exponent, 1 for two tensors, 2 for a number base."""
    if not isinstance(exponent, Tensor):
        return Pow
    return PowTensor if isinstance(input, Tensor) else PowScalarBase


def _np_power(a, b):
    kind = a.dtype.kind
    if kind == "b":  # only reached with a Python bool exponent: x ** True = x, x ** False = True
        return np.power(a.astype(np.uint8), b.astype(np.uint8)).astype(np.bool_)
    if kind in "iu" and np.any(b < 0):
        # integer a ** -n is 1 / a**n truncated: 1 for a == 1, +-1 for a == -1, else 0
        # (NumPy refuses negative integer powers, torch computes them)
        pos = np.power(a, np.abs(b))
        inv = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 0, 1, -1), 0))
        return np.where(b < 0, inv.astype(a.dtype), pos)
    with np.errstate(**_ERR_ALL):
        return np.power(a, b)


def pow(input, exponent) -> Tensor:
    """``input ** exponent`` elementwise (either may be a number).

    Example:
        >>> autograd.pow(autograd.tensor([2.0, 3.0]), 2)
        tensor([4., 9.])
    """
    (a, b), _, _ = operands(input, exponent)
    if (
        a._data.dtype.kind in "iub"
        and isinstance(exponent, (int, np.integer))
        and not isinstance(exponent, bool)
        and exponent < 0
    ):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if a._data.dtype == np.bool_ and not isinstance(exponent, (bool, np.bool_)):
        _reject("pow", "pow", a, "convert with .long() or .float()")
    return _pow_op(input, exponent).apply(a, b)


# what the entries of pow and float_power share: positive bases (real powers of any exponent)
_POWER = dict(inplace=True, samples=binary_samples(0.5, 2.0, -2.0, 2.0), family="arithmetic")
register(OpInfo("pow", pow, ref=np.power, **_POWER))


def float_power(input, exponent) -> Tensor:
    """``input ** exponent`` computed in float64 (the result is always float64; gradients
    are cast back to each input's dtype).

    Example:
        >>> autograd.float_power(autograd.tensor([2]), 3)
        tensor([8.], dtype=autograd.float64)
    """
    (a, b), _, _ = operands(input, exponent, promote_to=_dt.float64)
    return _pow_op(input, exponent).apply(a, b)


register(OpInfo("float_power", float_power, ref=np.float_power, **_POWER))


# ---- square ----------------------------------------------------------------------
Square = unary_op(
    "Square", lambda x: np.multiply(x, x), lambda g, x, xp: 2 * g * x, "x * x; d/dx = 2x."
)


def square(input) -> Tensor:
    """``input * input``; integers stay integers and bool becomes int64 (like torch).

    Example:
        >>> autograd.square(autograd.tensor([-2.0, 3.0]))
        tensor([4., 9.])
    """
    (x,), _, _ = operands(input)
    if x._data.dtype == np.bool_:
        x = Tensor._make(x._data.astype(np.int64))
    return Square.apply(x)


_xp.define("square", numpy=np.square, tensor=square)
register(
    OpInfo(
        "square", square, inplace=True, ref=np.square, samples=unary_samples(), family="arithmetic"
    )
)


# ---- abs / sign / sgn -------------------------------------------------------------------------
def _np_sign(x):
    # (x > 0) - (x < 0): 0 for 0 and nan (torch's sign(nan) is 0; np.sign gives nan)
    if x.dtype == np.bool_:
        return x.copy()
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


class Sign(Op):
    """-1, 0 or 1: piecewise constant, so the gradient is zero."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x):
        return _np_sign(x)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.zeros_like(g)


def sign(input) -> Tensor:
    """The sign of each element (-1, 0 or 1; 0 for nan), in the input's dtype.

    Example:
        >>> autograd.sign(autograd.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.])
    """
    (x,), _, _ = operands(input)
    return Sign.apply(x)


_xp.define("sign", numpy=_np_sign, tensor=sign)
# what the entries of sign, sgn and abs share: a kink at 0, so samples away from it
_KINK_AT_0 = dict(inplace=True, samples=away_from_zero_samples(), family="arithmetic")
register(OpInfo("sign", sign, ref=np.sign, **_KINK_AT_0))


def sgn(input) -> Tensor:
    """``sign`` extended to complex numbers; for real tensors it is ``sign``.

    Example:
        >>> autograd.sgn(autograd.tensor([-2.0, 3.0]))
        tensor([-1.,  1.])
    """
    return sign(input)


register(
    OpInfo(
        "sgn",
        sgn,
        ref=np.sign,
        # torch.sgn's gradient is a "ZeroTensor" that cannot be compared; sign's is equal
        torch_fn=lambda torch, x: torch.sign(x),
        **_KINK_AT_0,
    )
)


class Abs(Op):
    """|x|; d/dx = sign(x), which is 0 at x == 0 (torch's choice of subgradient)."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g, xp):
        (x,) = ctx.saved_tensors
        return g * xp.sign(x)


def abs(input) -> Tensor:
    """Absolute value; integer tensors stay integer.

    Example:
        >>> autograd.abs(autograd.tensor([-2.0, 3.0]))
        tensor([2., 3.])
    """
    (x,), _, _ = operands(input)
    if x._data.dtype == np.bool_:
        _reject("abs", "abs_cpu", x, "a bool tensor is already non-negative")
    return Abs.apply(x)


absolute = abs
_xp.define("abs", numpy=np.abs, tensor=abs)
register(OpInfo("abs", abs, ref=np.abs, **_KINK_AT_0))
