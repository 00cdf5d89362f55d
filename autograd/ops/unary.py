"""Simple elementwise functions of one tensor (exp, log, trigonometric, ...), one block each.

Every op here is the same block with different maths, so the block is written once
(``unary``) and each op states only what differs, as its derivative under a decorator:

    @unary(np.exp, ("[0.0]", "tensor([1.])"))  # the forward, the docstring's example
    def exp(g, y, xp):  # the derivative, named after the op; its docstring is exp's summary
        return g * y

* the decorator takes the NumPy forward, the docstring example (input values, printed
  result), the range of the test samples (kept where the function and its derivative are
  finite), and the NumPy reference when it is not the forward itself;
* the decorated function is the op's *derivative* ``(g, v, xp) -> gradient``, written with
  operators and ``xp`` functions like any VJP (so the plain and the ``create_graph`` backward
  both use it); its name is the op's name and its docstring the summary of the public
  function's. Its second parameter says what it needs: ``x`` gets the saved input, ``y`` the
  saved output (exp's backward reuses ``exp(x)`` instead of computing it again). For an
  elementwise function the VJP ``g * f'(x)`` and the forward-mode JVP ``t * f'(x)`` are the
  same product, so the same function is the op's ``jvp`` too (autograd.forward_ad), called
  with the tangent.

``unary`` replaces the derivative by what a hand-written block has: an ``Op`` subclass named
after the op (``_util.unary_op``, so ``grad_fn`` is ``ExpBackward0``), the public function
``exp(input)`` (integers promote to the default float, like torch), ``xp.exp`` for other
VJPs, and the ``OpInfo`` with its samples.
Ops with rules of their own are written out in their families: ``abs``, ``sign``,
``square`` and ``neg`` (dtype rules) in arithmetic.py, ``relu`` (a kernel) in activation.py,
rounding, ``logit`` and ``polygamma`` in math.py.
"""

from __future__ import annotations

import inspect
import math as _math
from typing import Callable

import numpy as np

from .. import dispatch as _dispatch
from ..backend import _backend
from ..dtypes import FLOAT_KINDS
from ..function import lean_unary
from ..tensor import Tensor
from . import xp as _xp
from ._util import operands, unary_op
from .registry import OpInfo, register
from .samples import away_from_zero_samples, unary_samples

__all__ = [
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "rsqrt",
    "reciprocal",
    "sigmoid",
    "tanh",
    "sin",
    "cos",
    "tan",
    "asin",
    "arcsin",
    "acos",
    "arccos",
    "atan",
    "arctan",
    "sinh",
    "cosh",
    "asinh",
    "arcsinh",
    "acosh",
    "arccosh",
    "atanh",
    "arctanh",
    "erf",
    "erfc",
    "erfinv",
    "lgamma",
    "deg2rad",
    "rad2deg",
    "sinc",
    "i0",
]


def unary(
    forward: Callable,
    example: tuple,
    *,
    low: float = -2.0,
    high: float = 2.0,
    samples=None,
    ref=None,
    inplace: bool = True,
) -> Callable[[Callable], Callable[..., Tensor]]:
    """Decorator over an op's derivative ``grad(g, x_or_y, xp)``: defines the elementwise op
    named after ``grad`` (see the module docstring) and returns its public function.
    ``example`` is ``(input values, printed result)`` for the docstring; samples are uniform
    in ``[low, high]`` unless ``samples`` is given; ``Tensor.<name>_`` is made too (every
    function of the table has torch's in-place variant) unless ``inplace=False``."""

    def define(grad: Callable) -> Callable[..., Tensor]:
        name = grad.__name__
        saves = list(inspect.signature(grad).parameters)[1]  # what unary_op saves: x or y
        op = unary_op(
            name.capitalize(),
            forward,
            grad,
            f"Elementwise ``{name}``: its entry in autograd/ops/unary.py.",
            __name__,
        )

        def fn(input) -> Tensor:
            if type(input) is Tensor and input._data.dtype.kind in FLOAT_KINDS:
                # the common case (``operands`` would return it as is): the lean path
                out = lean_unary(op, forward, input, saves)
                return op.apply(input) if out is None else out
            (x,), _, _ = operands(input, floating=True)
            return op.apply(x)

        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = (
            f"{grad.__doc__}\n\nExample:\n    >>> autograd.{name}(autograd.tensor({example[0]}))\n"
            f"    {example[1]}\n"
        )
        fn.op = op  # the Op class, for readers and tools (``autograd.exp.op``)
        _xp.define(name, numpy=forward, tensor=fn)
        register(
            OpInfo(
                name,
                fn,
                ref=ref or forward,
                samples=samples or unary_samples(low, high),
                family="unary",
                inplace=inplace,
            )
        )
        return fn

    return define


# ---- helpers of the forwards and derivatives below -------------------------------------------
_LN2 = _math.log(2.0)
_LN10 = _math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / _math.sqrt(_math.pi)
_SQRT_PI_OVER_TWO = _math.sqrt(_math.pi) / 2.0
_ONES: dict = {}


def _one(v):
    """1 in ``v``'s dtype: a read-only 0-d array for arrays (``1 - y`` with a Python 1
    converts the 1 on every call, which costs as much as the subtraction itself on small
    arrays), the number 1 for Tensors (when the backward is recorded)."""
    if type(v) is not np.ndarray:
        return 1
    one = _ONES.get(v.dtype)
    if one is None:
        one = np.ones((), v.dtype)
        one.flags.writeable = False
        _ONES[v.dtype] = one
    return one


def _np_sigmoid(x):
    # two-branch form: exp of a non-positive number only, so no overflow for any x
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _special(name):
    """A scipy.special function as a forward in the input's dtype (SciPy computes float16
    in float64); scipy is imported on first use (``import autograd`` must stay cheap)."""

    def forward(x):
        import scipy.special

        return getattr(scipy.special, name)(x).astype(x.dtype, copy=False)

    forward.__name__ = name
    return forward


_gammaln = _special("gammaln")


def _np_lgamma(x):
    # As C's lgamma and torch: lgamma(-inf) is +inf (SciPy says -inf), and near 0, where
    # Gamma(x) ~ 1/x, it is -log|x| (SciPy overflows to inf for float64 subnormals)
    out = _gammaln(x)
    out = np.where(np.abs(x) < 1e-200, -np.log(np.abs(x)), out)
    return np.where(np.isneginf(x), np.inf, out).astype(x.dtype, copy=False)


def _special_ref(name):
    def ref(x):
        import scipy.special

        return getattr(scipy.special, name)(x)

    return ref


# ---- exponentials and logarithms -------------------------------------------------------------
@unary(np.exp, ("[0.0]", "tensor([1.])"))
def exp(g, y, xp):
    """Elementwise e**x (integers promote to the default float)."""
    return g * y


@unary(np.exp2, ("[3.0]", "tensor([8.])"))
def exp2(g, y, xp):
    """Elementwise 2**x."""
    return g * y * _LN2


@unary(np.expm1, ("[0.0]", "tensor([0.])"))
def expm1(g, y, xp):
    """``exp(input) - 1``, accurate when ``input`` is tiny."""
    return g * (y + 1)


@unary(np.log, ("[1.0]", "tensor([0.])"), low=0.2, high=3.0)
def log(g, x, xp):
    """Natural logarithm."""
    return g / x


@unary(np.log2, ("[8.0]", "tensor([3.])"), low=0.2, high=3.0)
def log2(g, x, xp):
    """Base-2 logarithm."""
    return g / (x * _LN2)


@unary(np.log10, ("[100.0]", "tensor([2.])"), low=0.2, high=3.0)
def log10(g, x, xp):
    """Base-10 logarithm."""
    return g / (x * _LN10)


@unary(np.log1p, ("[0.0]", "tensor([0.])"), low=-0.5)
def log1p(g, x, xp):
    """``log(1 + input)``, accurate when ``input`` is tiny."""
    return g / (x + 1)


# ---- roots and reciprocal: d/dx from the saved output --------------------------------------
@unary(np.sqrt, ("[4.0, 9.0]", "tensor([2., 3.])"), low=0.2, high=3.0)
def sqrt(g, y, xp):
    """Square root (nan for negative inputs; integers promote to the default float)."""
    return g / (2 * y)  # inf at 0, like torch


@unary(lambda x: 1 / np.sqrt(x), ("[4.0]", "tensor([0.5000])"), low=0.2, high=3.0)
def rsqrt(g, y, xp):
    """Reciprocal square root ``1 / sqrt(input)``."""
    return -0.5 * g * (y * y * y)


@unary(np.reciprocal, ("[2.0, 4.0]", "tensor([0.5000, 0.2500])"), samples=away_from_zero_samples())
def reciprocal(g, y, xp):
    """``1 / input`` (integers promote to the default float)."""
    return -g * (y * y)  # -inf at 0


# ---- sigmoid and tanh: y (1 - y) and 1 - y**2 ------------------------------------------------
@unary(
    _np_sigmoid,
    ("[0.0]", "tensor([0.5000])"),
    low=-5.0,
    high=5.0,
    ref=lambda x: 1 / (1 + np.exp(-x)),
)
def sigmoid(g, y, xp):
    """The logistic function, stable for large |x|."""
    fused = _fused_vjp("sigmoid", _SIGMOID_VJPS, g, y)
    return g * y * (_one(y) - y) if fused is None else fused


@unary(np.tanh, ("[0.0]", "tensor([0.])"))
def tanh(g, y, xp):
    """Hyperbolic tangent."""
    fused = _fused_vjp("tanh", _TANH_VJPS, g, y)
    return g * (_one(y) - y * y) if fused is None else fused


def _fused_vjp(name, ufuncs, g, y):
    """The derivative expression of ``name`` (tanh, sigmoid) above as one Numba ufunc call
    (kernels/activation.py ``value_vjp_ufunc``: the same operations, so the same bits) on the
    numba backend, for arrays of one float dtype; None: evaluate the expression (the
    reference; Tensors when the backward is recorded). ``ufuncs`` caches the ufunc per dtype:
    ``dispatch.kernels`` is asked once per dtype, since asking costs more than the call on
    small arrays."""
    if (
        type(g) is np.ndarray
        and type(y) is np.ndarray
        and g.dtype is y.dtype
        and _backend.get() == "numba"  # (``dispatch.enabled()``, inlined)
    ):
        ufunc = ufuncs.get(y.dtype)
        if ufunc is None:
            K = _dispatch.kernels("activation", name, y)
            if K is None:
                return None
            ufunc = ufuncs[y.dtype] = K.value_vjp_ufunc(name, y.dtype)
        return ufunc(g, y)
    return None


_SIGMOID_VJPS: dict = {}  # dtype -> the ufunc of ``_fused_vjp``
_TANH_VJPS: dict = {}


# ---- trigonometric ---------------------------------------------------------------------------
@unary(np.sin, ("[0.0]", "tensor([0.])"), low=-4.0, high=4.0)
def sin(g, x, xp):
    """Sine (radians)."""
    return g * xp.cos(x)


@unary(np.cos, ("[0.0]", "tensor([1.])"), low=-4.0, high=4.0)
def cos(g, x, xp):
    """Cosine (radians)."""
    return -g * xp.sin(x)


@unary(np.tan, ("[0.0]", "tensor([0.])"), low=-1.2, high=1.2)
def tan(g, y, xp):
    """Tangent (radians)."""
    return g * (1 + y * y)


@unary(np.arcsin, ("[0.0]", "tensor([0.])"), low=-0.9, high=0.9)
def asin(g, x, xp):
    """Inverse sine (nan outside [-1, 1])."""
    return g * xp.rsqrt(1 - x * x)  # inf at |x| == 1


@unary(np.arccos, ("[1.0]", "tensor([0.])"), low=-0.9, high=0.9)
def acos(g, x, xp):
    """Inverse cosine (nan outside [-1, 1])."""
    return -g * xp.rsqrt(1 - x * x)


@unary(np.arctan, ("[0.0]", "tensor([0.])"), low=-3.0, high=3.0)
def atan(g, x, xp):
    """Inverse tangent."""
    return g / (x * x + 1)


arcsin, arccos, arctan = asin, acos, atan


# ---- hyperbolic ------------------------------------------------------------------------------
@unary(np.sinh, ("[0.0]", "tensor([0.])"))
def sinh(g, x, xp):
    """Hyperbolic sine."""
    return g * xp.cosh(x)


@unary(np.cosh, ("[0.0]", "tensor([1.])"))
def cosh(g, x, xp):
    """Hyperbolic cosine."""
    return g * xp.sinh(x)


@unary(np.arcsinh, ("[0.0]", "tensor([0.])"))
def asinh(g, x, xp):
    """Inverse hyperbolic sine."""
    return g * xp.rsqrt(x * x + 1)


@unary(np.arccosh, ("[1.0]", "tensor([0.])"), low=1.2, high=3.0)
def acosh(g, x, xp):
    """Inverse hyperbolic cosine (nan below 1)."""
    return g * xp.rsqrt(x * x - 1)  # inf at x == 1


@unary(np.arctanh, ("[0.0]", "tensor([0.])"), low=-0.9, high=0.9)
def atanh(g, x, xp):
    """Inverse hyperbolic tangent (+-inf at +-1, nan outside [-1, 1])."""
    return g / (1 - x * x)


arcsinh, arccosh, arctanh = asinh, acosh, atanh


# ---- error and gamma functions (scipy.special) -----------------------------------------------
@unary(_special("erf"), ("[0.0]", "tensor([0.])"), ref=_special_ref("erf"))
def erf(g, x, xp):
    """The Gauss error function."""
    return g * _TWO_OVER_SQRT_PI * xp.exp(-(x * x))


@unary(_special("erfc"), ("[0.0]", "tensor([1.])"), ref=_special_ref("erfc"))
def erfc(g, x, xp):
    """The complementary error function ``1 - erf(input)``."""
    return -g * _TWO_OVER_SQRT_PI * xp.exp(-(x * x))


@unary(
    _special("erfinv"), ("[0.0]", "tensor([0.])"), low=-0.9, high=0.9, ref=_special_ref("erfinv")
)
def erfinv(g, y, xp):
    """The inverse error function (+-inf at +-1, nan outside [-1, 1])."""
    return g * _SQRT_PI_OVER_TWO * xp.exp(y * y)


@unary(
    _np_lgamma,
    ("[1.0, 4.0]", "tensor([0.0000, 1.7918])"),
    low=0.2,
    high=5.0,
    ref=_special_ref("gammaln"),
)
def lgamma(g, x, xp):
    """The log of the absolute value of the gamma function (``log((n - 1)!)`` at integers)."""
    return g * xp.polygamma(0, x)


# ---- angles, sinc and the Bessel function i0 -------------------------------------------------
_DEG = _math.pi / 180.0


@unary(
    lambda x: x * np.asarray(_DEG, x.dtype), ("[180.0]", "tensor([3.1416])"), low=-360.0, high=360.0
)
def deg2rad(g, x, xp):
    """Degrees to radians (integers promote to the default float)."""
    return g * _DEG


@unary(
    lambda x: x * np.asarray(1 / _DEG, x.dtype),
    ("[3.141592653589793]", "tensor([180.])"),
    low=-7.0,
    high=7.0,
)
def rad2deg(g, x, xp):
    """Radians to degrees (integers promote to the default float)."""
    return g * (1 / _DEG)


@unary(np.sinc, ("[0.0, 0.5]", "tensor([1.0000, 0.6366])"), low=-3.0, high=3.0)
def sinc(g, x, xp):
    """The normalised sinc function ``sin(pi x) / (pi x)`` (1 at 0)."""
    # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, which tends to 0 at 0 (the 0/0
    # there is kept out of both branches, so second derivatives stay finite)
    safe = xp.where(x == 0, xp.ones_like(x), x)
    return g * xp.where(x == 0, xp.zeros_like(x), (xp.cos(safe * _math.pi) - xp.sinc(safe)) / safe)


def _i1_grad(g, x, xp):
    # d/dx i1 = i0 - i1 / x, which tends to 1/2 at 0
    safe = xp.where(x == 0, xp.ones_like(x), x)
    return g * xp.where(x == 0, xp.ones_like(x) * 0.5, xp.i0(x) - xp.i1(safe) / safe)


_I1 = unary_op(
    "_I1",
    _special("i1"),
    _i1_grad,
    "The modified Bessel function of the first kind of order 1, the derivative of i0 "
    "(needed by i0's VJP; torch has it as ``torch.special.i1``).",
    __name__,
)


_xp.define("i1", numpy=_special("i1"), tensor=lambda x: _I1.apply(x))


@unary(
    _special("i0"),
    ("[0.0, 1.0]", "tensor([1.0000, 1.2661])"),
    low=-3.0,
    high=3.0,
    ref=_special_ref("i0"),
)
def i0(g, x, xp):
    """The modified Bessel function of the first kind of order 0."""
    return g * xp.i1(x)
