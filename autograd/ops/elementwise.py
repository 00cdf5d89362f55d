"""Elementwise ops: arithmetic, transcendental functions, activations.

Each op is one block: the ``Op`` class (forward on arrays, VJP through ``xp``), the public
function that prepares operands (promotion + broadcasting in ``operands``), the ``xp``
entry its VJP-users need, and its ``OpInfo`` with test samples.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..function import Op
from ..tensor import Tensor
from . import xp as _xp
from ._util import operands
from .registry import OpInfo, Sample, register

__all__ = ["to_dtype", "clone", "neg", "negative", "add", "sub", "subtract", "mul", "multiply",
           "div", "divide", "true_divide", "exp", "log", "tanh", "sigmoid", "relu", "pow"]


# ---- sample generators shared by the tests of this family -------------------------------
def _unary_samples(low=-2.0, high=2.0):
    def gen(rng):
        return [Sample(rng.uniform(low, high, (3, 4))),
                Sample(rng.uniform(low, high, ())),
                Sample(rng.uniform(low, high, (2, 0, 3))),
                Sample(rng.uniform(low, high, (5,)))]
    return gen


def _binary_samples(low=-2.0, high=2.0, b_low=None, b_high=None):
    b_low = low if b_low is None else b_low
    b_high = high if b_high is None else b_high

    def gen(rng):
        u = rng.uniform
        return [Sample(u(low, high, (3, 4)), u(b_low, b_high, (3, 4))),
                Sample(u(low, high, (3, 1)), u(b_low, b_high, (1, 4))),    # both broadcast
                Sample(u(low, high, (2, 3, 4)), u(b_low, b_high, (4,))),   # b broadcast
                Sample(u(low, high, ()), u(b_low, b_high, (2, 2))),        # 0-d with matrix
                Sample(u(low, high, (3,)), float(u(b_low, b_high)))]      # Python scalar
    return gen


# ---- dtype cast ---------------------------------------------------------------------------
class ToDtype(Op):
    """Cast to another dtype; the gradient is cast back to the input's dtype."""

    grad_fn_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype.np)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.cast(g, ctx.in_dtype)


def to_dtype(input: Tensor, dtype, copy=False) -> Tensor:
    """``input.to(dtype)``: differentiable between float dtypes."""
    dtype = _dt.as_dtype(dtype)
    if input._data.dtype == dtype.np and not copy:
        return input
    if input._requires_grad and not dtype.is_floating_point:
        return Tensor._make(input._data.astype(dtype.np))  # ints/bools carry no gradient
    return ToDtype.apply(input, dtype=dtype)


_xp.define("cast", numpy=lambda g, npdt: g.astype(npdt, copy=False),
           tensor=lambda g, npdt: to_dtype(g, _dt.as_dtype(npdt)))


# ---- clone --------------------------------------------------------------------------------
class Clone(Op):
    """A copy with its own memory; gradient passes through."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g, xp):
        return g


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy of ``input`` that stays in the graph.

    Example:
        >>> autograd.tensor([1.0, 2.0]).clone()
        tensor([1., 2.])
    """
    return Clone.apply(input)


register(OpInfo("clone", clone, ref=np.copy, samples=_unary_samples(), family="elementwise"))


# ---- neg ----------------------------------------------------------------------------------
class Neg(Op):
    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, g, xp):
        return -g


def neg(input: Tensor) -> Tensor:
    """``-input``.

    Example:
        >>> autograd.neg(autograd.tensor([1.0, -2.0]))
        tensor([-1.,  2.])
    """
    (x,), _, _ = operands(input)
    return Neg.apply(x)


negative = neg
register(OpInfo("neg", neg, ref=np.negative, samples=_unary_samples(), family="elementwise"))


# ---- add / sub ----------------------------------------------------------------------------
class Add(Op):
    """a + b: the gradient flows unchanged to both inputs."""

    @staticmethod
    def forward(ctx, a, b):
        return np.add(a, b)

    @staticmethod
    def backward(ctx, g, xp):
        return g, g


def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other`` with broadcasting and type promotion.

    Example:
        >>> autograd.add(autograd.tensor([1.0, 2.0]), 10)
        tensor([11., 12.])
    """
    if alpha != 1:
        other = mul(other, alpha)
    (a, b), _, _ = operands(input, other)
    return Add.apply(a, b)


register(OpInfo("add", add, ref=np.add, samples=_binary_samples(), family="elementwise"))


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b):
        return np.subtract(a, b)

    @staticmethod
    def backward(ctx, g, xp):
        return g, (-g if ctx.needs_input_grad[1] else None)


def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other``.

    Example:
        >>> autograd.sub(autograd.tensor([5.0]), 2)
        tensor([3.])
    """
    if alpha != 1:
        other = mul(other, alpha)
    (a, b), _, _ = operands(input, other)
    if a._data.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    return Sub.apply(a, b)


subtract = sub
register(OpInfo("sub", sub, ref=np.subtract, samples=_binary_samples(), family="elementwise"))


# ---- mul ----------------------------------------------------------------------------------
class Mul(Op):
    """a * b: d/da = b, d/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
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
    (a, b), _, _ = operands(input, other)
    return Mul.apply(a, b)


multiply = mul
register(OpInfo("mul", mul, ref=np.multiply, samples=_binary_samples(), family="elementwise"))


# ---- div ----------------------------------------------------------------------------------
class Div(Op):
    """a / b: d/da = 1/b, d/db = -a/b**2 = -out/b."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.true_divide(a, b)

    @staticmethod
    def backward(ctx, g, xp):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = g / b if need_a else None
        gb = -g * a / (b * b) if need_b else None
        return ga, gb


def div(input, other, *, rounding_mode=None) -> Tensor:
    """True division (``rounding_mode=None``), or ``"floor"`` / ``"trunc"`` rounding.

    Example:
        >>> autograd.div(autograd.tensor([1, 2]), 4)
        tensor([0.2500, 0.5000])
    """
    if rounding_mode is not None:
        return _div_rounding(input, other, rounding_mode)
    (a, b), _, _ = operands(input, other, floating=True)
    return Div.apply(a, b)


divide = true_divide = div


def _div_rounding(input, other, rounding_mode):
    raise NotImplementedError("div rounding_mode: TODO")  # replaced below by the full family
register(OpInfo("div", div, ref=np.true_divide, samples=_binary_samples(b_low=0.5, b_high=2.0),
                family="elementwise"))


# ---- pow ----------------------------------------------------------------------------------
class Pow(Op):
    """a ** b: d/da = b * a**(b-1), d/db = a**b * log(a) (taken as 0 where a == 0)."""

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            ga = g * b * a ** (b - 1)
        if need_b:
            gb = g * out * xp.log(xp.where(a == 0, xp.ones_like(a), a))
        return ga, gb


def pow(input, exponent) -> Tensor:
    """``input ** exponent`` elementwise (either may be a number).

    Example:
        >>> autograd.pow(autograd.tensor([2.0, 3.0]), 2)
        tensor([4., 9.])
    """
    (a, b), _, _ = operands(input, exponent)
    if a._data.dtype.kind in "iu" and b._data.dtype.kind in "iu" and np.any(b._data < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return Pow.apply(a, b)


register(OpInfo("pow", pow, ref=np.power, samples=_binary_samples(0.5, 2.0, -2.0, 2.0),
                family="elementwise"))


# ---- exp / log ----------------------------------------------------------------------------
class Exp(Op):
    """e**x; its derivative is itself, so backward reuses the output."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        (y,) = ctx.saved_tensors
        return g * y


def exp(input) -> Tensor:
    """Elementwise e**x (integers promote to the default float).

    Example:
        >>> autograd.exp(autograd.tensor([0.0]))
        tensor([1.])
    """
    (x,), _, _ = operands(input, floating=True)
    return Exp.apply(x)


_xp.define("exp", numpy=np.exp, tensor=exp)
register(OpInfo("exp", exp, ref=np.exp, samples=_unary_samples(), family="elementwise"))


class Log(Op):
    """Natural log; d/dx = 1/x. Non-positive inputs give nan/-inf like torch (no warning)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, g, xp):
        (x,) = ctx.saved_tensors
        return g / x


def log(input) -> Tensor:
    """Natural logarithm.

    Example:
        >>> autograd.log(autograd.tensor([1.0]))
        tensor([0.])
    """
    (x,), _, _ = operands(input, floating=True)
    return Log.apply(x)


_xp.define("log", numpy=np.log, tensor=log)
register(OpInfo("log", log, ref=np.log, samples=_unary_samples(0.2, 3.0), family="elementwise"))


# ---- tanh / sigmoid / relu ----------------------------------------------------------------
class Tanh(Op):
    """tanh(x); d/dx = 1 - tanh(x)**2 (from the saved output)."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)


def tanh(input) -> Tensor:
    """Hyperbolic tangent.

    Example:
        >>> autograd.tanh(autograd.tensor([0.0]))
        tensor([0.])
    """
    (x,), _, _ = operands(input, floating=True)
    return Tanh.apply(x)


_xp.define("tanh", numpy=np.tanh, tensor=tanh)
register(OpInfo("tanh", tanh, ref=np.tanh, samples=_unary_samples(), family="elementwise"))


def _np_sigmoid(x):
    # two-branch form: exp of a non-positive number only, so no overflow for any x
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(Op):
    """1 / (1 + e**-x), computed without overflow; d/dx = y * (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        y = _np_sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)


def sigmoid(input) -> Tensor:
    """The logistic function, stable for large |x|.

    Example:
        >>> autograd.sigmoid(autograd.tensor([0.0]))
        tensor([0.5000])
    """
    (x,), _, _ = operands(input, floating=True)
    return Sigmoid.apply(x)


_xp.define("sigmoid", numpy=_np_sigmoid, tensor=sigmoid)
register(OpInfo("sigmoid", sigmoid, ref=lambda x: 1 / (1 + np.exp(-x)),
                samples=_unary_samples(-5, 5), family="elementwise"))


class Relu(Op):
    """max(x, 0); the gradient passes where x > 0 (0 at x == 0, like torch)."""

    grad_fn_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        (y,) = ctx.saved_tensors
        return xp.where(y > 0, g, xp.zeros_like(g))


def relu(input) -> Tensor:
    """Rectified linear unit.

    Example:
        >>> autograd.relu(autograd.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    (x,), _, _ = operands(input)
    return Relu.apply(x)


def _relu_samples(rng):
    # keep values away from the kink at 0, where finite differences are meaningless
    def away(shape):
        v = rng.uniform(0.1, 2.0, shape)
        return v * rng.choice([-1.0, 1.0], shape)
    return [Sample(away((3, 4))), Sample(away(())), Sample(away((2, 0)))]


register(OpInfo("relu", relu, ref=lambda x: np.maximum(x, 0), samples=_relu_samples,
                family="elementwise"))
