"""Activation functions (``torch.nn.functional`` names): relu, gelu, silu, elu, softplus ...

Each activation is one fused primitive ``Op``: the forward is a NumPy expression (with the
numba backend, relu/gelu/silu/leaky_relu/softplus/mish run as fused kernels instead)
and the VJP is written with operators and ``xp`` functions on the saved input or output,
so ``create_graph=True`` differentiates it again. Formulas are chosen to be stable at
extreme inputs: no ``exp`` of a large positive number is ever evaluated (softplus,
logsigmoid, elu). The piecewise-linear hardtanh, relu6, hardsigmoid and hardswish are in
hard_activation.py, tanhshrink with the shrinkage ops in shrink.py, softmax / log_softmax in
softmax.py.

Public names follow PyTorch: ``autograd.relu`` is ``torch.relu``; the rest (``gelu``,
``silu``, ...) are ``torch.nn.functional`` functions, which ``nn.functional`` re-exports.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dispatch
from ..errors import DTypeError, ShapeError
from ..function import Op
from ..forward_ad import elementwise_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import float_input, operands, unary_op
from .registry import OpInfo, Sample, register, register_functional, torch_functional
from .samples import away_from, with_kwargs
from .. import amp as _amp

__all__ = [
    "relu",
    "gelu",
    "silu",
    "elu",
    "selu",
    "celu",
    "leaky_relu",
    "softplus",
    "mish",
    "logsigmoid",
    "softsign",
    "prelu",
]


# ---- Numba fast path ---------------------------------------------------------------------------
# With the numba backend, forward and (non-create_graph) backward of the common activations
# run as one fused kernel each (autograd/kernels/activation.py); the NumPy expressions below
# stay the reference, and tests compare the two on every sample.
def _kernel_fwd(name, x, **params):
    K = dispatch.kernels("activation", name, x)
    return None if K is None else K.run_activation(name, x, **params)


def _kernel_bwd(name, x, g, xp, **params):
    if xp.graph:
        return None  # recording a graph: the VJP must be made of differentiable ops
    K = dispatch.kernels("activation", name, x)
    return None if K is None else K.run_activation_backward(name, x, g, **params)


class _Fused(Op):
    """An activation of one saved input with a fused kernel pair: the forward and the
    first-order VJP run as one Numba kernel each when the kernel named ``kernel`` supports the
    input, else the subclass's NumPy ``np_forward(x, **params)`` and its ``vjp(x, g, xp,
    **params)`` run (the VJP always, under ``create_graph=True``). ``params`` are the keyword
    arguments of ``apply``, passed to the kernels and to both functions."""

    kernel = ""

    @classmethod
    def forward(cls, ctx, x, **params):
        ctx.params = params
        ctx.save_for_backward(x)
        fast = _kernel_fwd(cls.kernel, x, **params)
        return fast if fast is not None else cls.np_forward(x, **params)

    @classmethod
    def backward(cls, ctx, g, xp):
        (x,) = ctx.saved_tensors
        fast = _kernel_bwd(cls.kernel, x, g, xp, **ctx.params)
        return fast if fast is not None else cls.vjp(x, g, xp, **ctx.params)


def _inplace(input, fn, *args):
    """``inplace=True``: the out-of-place op written back into ``input`` (see inplace.py)."""
    from .inplace import inplace_

    return inplace_(input, fn, *args)


def _activate(fn, input, inplace: bool, op, *args, **params) -> Tensor:
    """The body of an activation ``fn(input, *args, inplace=False)``: ``op.apply(x, **params)``
    on the input checked to be floating (torch's error names ``fn``), or, with
    ``inplace=True``, ``fn(x, *args)`` written back into ``x``."""
    x = float_input(input, fn.__name__)
    if inplace:
        return _inplace(x, fn, *args)
    return op.apply(x, **params)


# ---- relu ------------------------------------------------------------------------------------
class Relu(Op):
    """max(x, 0); the gradient passes where x > 0 (0 at x == 0, like torch)."""

    jvp = staticmethod(elementwise_jvp)

    grad_fn_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        y = _relu_kernel(x)  # numba backend: the fused kernel
        if y is None:
            y = np.maximum(x, 0).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        (y,) = ctx.saved_tensors
        if not xp.graph:
            fast = _relu_kernel(y, g)  # y > 0 exactly where x > 0
            if fast is not None:
                return fast
        return xp.where(y > 0, g, xp.zeros_like(g))


def _relu_kernel(x, g=None):
    """relu forward (or backward, given ``g``) as a Numba kernel, or None on the numpy
    backend / for dtypes without a kernel."""
    K = dispatch.kernels("activation", "relu", x)
    if K is None:
        return None
    return K.run_activation("relu", x) if g is None else K.run_activation_backward("relu", x, g)


def relu(input) -> Tensor:
    """Rectified linear unit, ``max(input, 0)`` elementwise. Its gradient at 0 is 0, torch's
    choice (the function has no derivative there).

    Example:
        >>> autograd.relu(autograd.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    (x,), _, _ = operands(input)
    if x._data.dtype == np.bool_:
        raise DTypeError("Boolean inputs not supported for relu")
    return Relu.apply(x)


def _relu_samples(rng):
    # keep values away from the kink at 0, where finite differences are meaningless
    def away(shape):
        v = rng.uniform(0.1, 2.0, shape)
        return v * rng.choice([-1.0, 1.0], shape)

    return [Sample(away((3, 4))), Sample(away(())), Sample(away((2, 0)))]


register(
    OpInfo(
        "relu",
        relu,
        inplace=True,
        ref=lambda x: np.maximum(x, 0),
        samples=_relu_samples,
        family="activation",
    )
)


# ---- helper primitives used by the VJPs below ----------------------------------------------
def _np_ndtr(x):
    from scipy.special import ndtr  # scipy is imported on first use only (import stays cheap)

    return ndtr(x).astype(x.dtype, copy=False)


NormalCdf = unary_op(
    "NormalCdf",
    _np_ndtr,
    lambda g, x, xp: g * xp.exp(x * x * -0.5) * (1 / math.sqrt(2 * math.pi)),
    "Phi(x), the standard normal CDF; d/dx = exp(-x**2 / 2) / sqrt(2 pi). Used by GELU.",
)


_xp.define("ndtr", numpy=_np_ndtr, tensor=NormalCdf.apply)


def _np_softplus(x, beta=1.0, threshold=math.inf):
    bx = x * beta if beta != 1 else x
    with np.errstate(over="ignore"):
        # log(1 + e**z) = max(z, 0) + log1p(e**-|z|): exp of a non-positive number only
        y = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))).astype(x.dtype, copy=False)
    if beta != 1:
        y = y / beta
    if threshold != math.inf:
        y = np.where(bx > threshold, x, y)
    return y.astype(x.dtype, copy=False)


# ---- gelu ---------------------------------------------------------------------------------------
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_C = 0.044715


class Gelu(Op):
    """x * Phi(x) (exact) or 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x**3) ('tanh').

    The tanh form is computed as x * sigmoid(2u), the same function (0.5 (1 + tanh(u)) =
    sigmoid(2u)) without the cancellation of 1 + tanh(u) for negative x (float32 lost ~1e-5
    relative at x = -3 and every digit further out)."""

    jvp = staticmethod(elementwise_jvp)

    grad_fn_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        if approximate == "none" and True in ctx.needs_input_grad:  # the backward runs: one
            K = dispatch.kernels("activation", "gelu", x)  # kernel gives y and dy/dx, and
            if K is not None:  # the backward is g * dy/dx (same values as the bwd kernel)
                y, ctx.dydx = K.gelu_with_grad(x)
                return y
        fast = _kernel_fwd("gelu_tanh" if approximate == "tanh" else "gelu", x)
        if fast is not None:
            return fast
        if approximate == "tanh":
            s = _xp.NUMPY.sigmoid((x + _GELU_C * x**3) * (2 * _SQRT_2_OVER_PI))
            return (x * s).astype(x.dtype, copy=False)
        return x * _np_ndtr(x)

    @staticmethod
    def backward(ctx, g, xp):
        (x,) = ctx.saved_tensors
        dydx = getattr(ctx, "dydx", None)
        if dydx is not None:  # saved by the forward's kernel (see forward)
            # released once used, as the engine releases saved values (a graph kept alive
            # after its backward would hold it); a retained graph's next backward takes the
            # backward kernel below, which gives the same values
            ctx.dydx = None
            if not xp.graph:
                g = g if g.shape == x.shape else np.broadcast_to(g, x.shape)
                # into dydx itself: nothing else refers to it any more (one array less)
                return np.multiply(g.astype(x.dtype, copy=False), dydx, out=dydx)
        fast = _kernel_bwd("gelu_tanh" if ctx.approximate == "tanh" else "gelu", x, g, xp)
        if fast is not None:
            return fast
        if ctx.approximate == "tanh":
            # d/dx x s(2u) = s + x s (1 - s) 2u'
            s = xp.sigmoid((x + x * x * x * _GELU_C) * (2 * _SQRT_2_OVER_PI))
            du2 = (x * x * (3 * _GELU_C) + 1) * (2 * _SQRT_2_OVER_PI)
            return g * (s + x * s * (1 - s) * du2)
        pdf = xp.exp(x * x * -0.5) * (1 / math.sqrt(2 * math.pi))
        return g * (xp.ndtr(x) + x * pdf)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, exact (``'none'``) or with the tanh approximation.

    Example:
        >>> autograd.gelu(autograd.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8413])
    """
    x = float_input(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise ValueError("approximate argument must be either none or tanh.")
    return Gelu.apply(x, approximate=approximate)


def _ref_gelu(x, approximate="none"):
    if approximate == "tanh":  # x * sigmoid(2u) = 0.5 x (1 + tanh(u)), without cancellation
        from scipy.special import expit

        return x * expit(2 * np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))
    from scipy.special import erf

    return (x * 0.5 * (1 + erf(x / np.sqrt(2)))).astype(x.dtype)


register_functional(
    "gelu", gelu, _ref_gelu, with_kwargs(away_from([]), {}, {"approximate": "tanh"}), "activation"
)


# ---- silu ---------------------------------------------------------------------------------------
class Silu(_Fused):
    """x * sigmoid(x); d/dx = s (1 + x (1 - s))."""

    jvp = staticmethod(elementwise_jvp)

    kernel = "silu"

    @staticmethod
    def np_forward(x):
        return x * _xp.NUMPY.sigmoid(x)

    @staticmethod
    def vjp(x, g, xp):
        s = xp.sigmoid(x)
        return g * s * (x * (1 - s) + 1)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``.

    Example:
        >>> autograd.silu(autograd.tensor([0.0]))
        tensor([0.])
    """
    return _activate(silu, input, inplace, Silu)


register_functional("silu", silu, lambda x: x / (1 + np.exp(-x)), away_from([]), "activation")


# ---- elu / selu / celu --------------------------------------------------------------------------
class Elu(Op):
    """scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)): elu, selu and celu.

    For x <= 0, dy/dx = input_scale * (y + scale * alpha), so the VJP reuses the output."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        neg = alpha * np.expm1(np.minimum(x, 0) * input_scale)  # no exp of large positives
        y = (scale * np.where(x > 0, x, neg)).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        x, y = ctx.saved_tensors
        sa = ctx.scale * ctx.alpha
        return xp.where(x > 0, g * ctx.scale, g * (y + sa) * ctx.input_scale)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Exponential linear unit: ``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise.

    Example:
        >>> autograd.elu(autograd.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """
    return _activate(
        elu, input, inplace, Elu, alpha, alpha=float(alpha), scale=1.0, input_scale=1.0
    )


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507).

    Example:
        >>> autograd.selu(autograd.tensor([1.0]))
        tensor([1.0507])
    """
    return _activate(
        selu, input, inplace, Elu, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0
    )


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Continuously differentiable ELU: ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example:
        >>> autograd.celu(autograd.tensor([-1.0, 2.0]), alpha=2.0)
        tensor([-0.7869,  2.0000])
    """
    x = float_input(input, "celu")
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (ZeroDivisionError in 1 / alpha)")
    if inplace:
        return _inplace(x, celu, alpha)
    return Elu.apply(x, alpha=float(alpha), scale=1.0, input_scale=1.0 / alpha)


def _ref_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


register_functional(
    "elu", elu, _ref_elu, with_kwargs(away_from([0.0]), {}, {"alpha": 0.5}), "activation"
)
register_functional(
    "selu", selu, lambda x: _SELU_SCALE * _ref_elu(x, _SELU_ALPHA), away_from([0.0]), "activation"
)
register_functional(
    "celu",
    celu,
    lambda x, alpha=1.0: (
        np.maximum(x, 0) + np.minimum(0, alpha * (np.exp(np.minimum(x, 0) / alpha) - 1))
    ),
    with_kwargs(away_from([0.0]), {}, {"alpha": 2.0}),
    "activation",
)


# ---- leaky_relu / prelu -------------------------------------------------------------------------
class LeakyRelu(_Fused):
    """x for x > 0, slope * x otherwise (the gradient at 0 is ``slope``, like torch)."""

    jvp = staticmethod(elementwise_jvp)

    kernel = "leaky_relu"

    @staticmethod
    def np_forward(x, negative_slope):
        return np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)

    @staticmethod
    def vjp(x, g, xp, negative_slope):
        return xp.where(x > 0, g, g * negative_slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """ReLU with a small slope for negative inputs.

    Example:
        >>> autograd.leaky_relu(autograd.tensor([-1.0, 2.0]), 0.1)
        tensor([-0.1000,  2.0000])
    """
    return _activate(
        leaky_relu, input, inplace, LeakyRelu, negative_slope, negative_slope=float(negative_slope)
    )


register_functional(
    "leaky_relu",
    leaky_relu,
    lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x),
    with_kwargs(away_from([0.0]), {}, {"negative_slope": 0.2}),
    "activation",
)


class Prelu(Op):
    """Leaky ReLU with a learnt slope ``w`` (already broadcast to x's shape by ``prelu``)."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return np.where(x > 0, x, w * x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, xp):
        x, w = ctx.saved_tensors
        pos = x > 0
        gx = xp.where(pos, g, g * w) if ctx.needs_input_grad[0] else None
        gw = xp.where(pos, xp.zeros_like(g), g * x) if ctx.needs_input_grad[1] else None
        return gx, gw


@_amp.lower_precision
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Parametric ReLU: ``max(0, x) + weight * min(0, x)``, one slope per channel (dim 1)
    or a single shared slope. Differentiable w.r.t. ``weight``.

    Example:
        >>> autograd.prelu(autograd.tensor([[-2.0, 3.0]]), autograd.tensor([0.25]))
        tensor([[-0.5000,  3.0000]])
    """
    from .movement import expand, reshape

    x = float_input(input, "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' must be Tensor, not {type(weight).__name__}")
    if weight._data.dtype != x._data.dtype:
        raise DTypeError(
            f"prelu: expected weight to have the input's dtype {x.dtype}, got {weight.dtype}"
        )
    channels = x.shape[1] if x.ndim >= 2 else 1
    n = weight.numel()
    if weight.ndim > 1 or (n != 1 and n != channels):
        raise ShapeError(
            f"Mismatch of parameter numbers and input channel size. Found parameter "
            f"numbers = {n} and channel size = {channels}."
        )
    if n == 1:
        w = reshape(weight, ()) if weight.ndim else weight
    else:  # one slope per channel: shape (C, 1, ..., 1) broadcasts against (N, C, ...)
        w = reshape(weight, (channels,) + (1,) * (x.ndim - 2))
    if w._data.shape != x._data.shape:  # (the op, also without grad: autograd.compile sees it)
        w = expand(w, x.shape)
    return Prelu.apply(x, w)


def _ref_prelu(x, w):
    wb = w.reshape((-1,) + (1,) * (x.ndim - 2)) if w.size > 1 else w.reshape(())
    return np.where(x > 0, x, wb * x)


def _prelu_samples(rng):
    return [
        Sample(
            rng.uniform(0.2, 2, (2, 3, 4)) * rng.choice([-1, 1], (2, 3, 4)),
            rng.uniform(0.1, 0.5, (3,)),
        ),
        Sample(
            rng.uniform(0.2, 2, (2, 3)) * rng.choice([-1, 1], (2, 3)), rng.uniform(0.1, 0.5, (1,))
        ),
        Sample(
            rng.uniform(0.2, 2, (2, 4, 3, 3)) * rng.choice([-1, 1], (2, 4, 3, 3)),
            rng.uniform(0.1, 0.5, (4,)),
        ),
        Sample(rng.uniform(0.2, 2, (5,)) * rng.choice([-1, 1], (5,)), rng.uniform(0.1, 0.5, ())),
    ]


register(
    OpInfo(
        "prelu",
        prelu,
        ref=_ref_prelu,
        family="activation",
        samples=_prelu_samples,
        torch_fn=torch_functional("prelu"),
    )
)


# ---- softplus / mish / logsigmoid ---------------------------------------------------------------
class Softplus(_Fused):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (like torch).

    d/dx = sigmoid(beta x) (1 above the threshold)."""

    jvp = staticmethod(elementwise_jvp)

    kernel = "softplus"
    np_forward = staticmethod(_np_softplus)

    @staticmethod
    def vjp(x, g, xp, beta, threshold):
        bx = x * beta
        return xp.where(bx > threshold, g, g * xp.sigmoid(bx))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Smooth ReLU ``log(1 + exp(beta * x)) / beta``; linear where ``beta * x > threshold``.

    Example:
        >>> autograd.softplus(autograd.tensor([0.0]))
        tensor([0.6931])
    """
    x = float_input(input, "softplus")
    return Softplus.apply(x, beta=float(beta), threshold=float(threshold))


_xp.define(
    "softplus",
    numpy=_np_softplus,
    tensor=lambda x, beta=1.0, threshold=math.inf: softplus(x, beta, threshold),
)


def _ref_softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.logaddexp(0, beta * x) / beta)


register_functional(
    "softplus",
    softplus,
    _ref_softplus,
    with_kwargs(away_from([1.0, -1.0 / 3]), {}, {"beta": 2.0}, {"beta": 3.0, "threshold": 1.0}),
    "activation",
)


class Mish(_Fused):
    """x * tanh(softplus(x)); d/dx = t + x (1 - t**2) sigmoid(x) with t = tanh(softplus(x))."""

    jvp = staticmethod(elementwise_jvp)

    kernel = "mish"

    @staticmethod
    def np_forward(x):
        return x * np.tanh(_np_softplus(x))

    @staticmethod
    def vjp(x, g, xp):
        t = xp.tanh(xp.softplus(x))
        return g * (t + x * (1 - t * t) * xp.sigmoid(x))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """Mish: ``x * tanh(softplus(x))``.

    Example:
        >>> autograd.mish(autograd.tensor([0.0]))
        tensor([0.])
    """
    return _activate(mish, input, inplace, Mish)


register_functional(
    "mish", mish, lambda x: x * np.tanh(np.logaddexp(0, x)), away_from([]), "activation"
)


LogSigmoid = unary_op(
    "LogSigmoid",
    lambda x: (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False),
    lambda g, x, xp: g * xp.sigmoid(-x),
    "log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)); d/dx = sigmoid(-x).",
)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, finite for any x (about x for very negative x).

    Example:
        >>> autograd.logsigmoid(autograd.tensor([0.0]))
        tensor([-0.6931])
    """
    return LogSigmoid.apply(float_input(input, "logsigmoid"))


register_functional(
    "logsigmoid",
    logsigmoid,
    lambda x: -np.logaddexp(0, -x),
    lambda rng: away_from([])(rng) + [Sample(np.array([-800.0, 800.0, 30.0]))],
    "activation",
)


# ---- softsign / tanhshrink ----------------------------------------------------------------------
def _softsign_vjp(g, x, xp):
    d = xp.where(x >= 0, x + 1, 1 - x)  # 1 + |x|, differentiable through where
    return g / (d * d)


Softsign = unary_op(
    "Softsign",
    lambda x: x / (1 + np.abs(x)),
    _softsign_vjp,
    "x / (1 + |x|); d/dx = 1 / (1 + |x|)**2.",
)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``.

    Example:
        >>> autograd.softsign(autograd.tensor([1.0]))
        tensor([0.5000])
    """
    return Softsign.apply(float_input(input, "softsign"))


register_functional(
    "softsign", softsign, lambda x: x / (1 + np.abs(x)), away_from([0.0]), "activation"
)
