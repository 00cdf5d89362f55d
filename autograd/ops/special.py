"""Special functions of two arguments: logaddexp, logaddexp2, the regularised incomplete
gamma functions igamma / igammac, and the multivariate log-gamma mvlgamma.

The one-argument special functions (erf, lgamma, i0, sinc ...) are entries of the table in
unary.py; digamma and polygamma are in math.py.
"""

from __future__ import annotations

import math as _math

import numpy as np

from ..function import Op
from ..forward_ad import elementwise_jvp
from ..tensor import Tensor
from ..dtypes import FLOAT_KINDS
from ._util import binary_op, operands
from ._util import _reject
from .reduce import sum as _sum
from .registry import OpInfo, Sample, register, torch_tensor_args
from .samples import binary_samples
from .unary import lgamma

__all__ = ["logaddexp", "logaddexp2", "igamma", "igammac", "mvlgamma"]

_LN2 = _math.log(2.0)


def _scipy_special():
    import scipy.special  # imported on first use (``import autograd`` must stay cheap)

    return scipy.special


# ---- logaddexp / logaddexp2 ------------------------------------------------------------------
Logaddexp = binary_op(
    "Logaddexp",
    np.logaddexp,
    lambda g, a, b, out, xp: g * xp.exp(a - out),
    lambda g, a, b, out, xp: g * xp.exp(b - out),
    "log(exp(a) + exp(b)) without overflow; d/da = exp(a - out), d/db = exp(b - out) (the "
    "softmax weights of the two).",
    with_output=True,
)
Logaddexp2 = binary_op(
    "Logaddexp2",
    np.logaddexp2,
    lambda g, a, b, out, xp: g * xp.exp((a - out) * _LN2),
    lambda g, a, b, out, xp: g * xp.exp((b - out) * _LN2),
    "log2(2**a + 2**b); d/da = 2**(a - out), d/db = 2**(b - out).",
    with_output=True,
)


def _float_pair(opname, input, other):
    (a, b), _, _ = operands(input, other)
    if a._data.dtype.kind not in FLOAT_KINDS:
        _reject(opname, opname + "_cpu", a, "convert with .float()")
    return a, b


def logaddexp(input, other) -> Tensor:
    """``log(exp(input) + exp(other))``, computed without overflow (a smooth maximum).

    Example:
        >>> autograd.logaddexp(autograd.tensor([0.0]), autograd.tensor([0.0]))
        tensor([0.6931])
    """
    return Logaddexp.apply(*_float_pair("logaddexp", input, other))


def logaddexp2(input, other) -> Tensor:
    """``log2(2**input + 2**other)``, computed without overflow.

    Example:
        >>> autograd.logaddexp2(autograd.tensor([1.0]), autograd.tensor([1.0]))
        tensor([2.])
    """
    return Logaddexp2.apply(*_float_pair("logaddexp2", input, other))


for _name, _fn, _ref in [
    ("logaddexp", logaddexp, np.logaddexp),
    ("logaddexp2", logaddexp2, np.logaddexp2),
]:
    register(
        OpInfo(
            _name,
            _fn,
            ref=_ref,
            samples=binary_samples(-3.0, 3.0),
            family="special",
            torch_fn=torch_tensor_args(_name),  # torch takes two tensors (no Python numbers)
        )
    )


# ---- igamma / igammac ------------------------------------------------------------------------
class _IncompleteGamma(Op):
    """P(a, x) (igamma) or Q(a, x) = 1 - P (igammac). Only the derivative in x exists (in
    torch too): dP/dx = x**(a - 1) exp(-x) / Gamma(a), written through lgamma so it is
    differentiable again."""

    jvp = staticmethod(elementwise_jvp)

    upper = False

    @classmethod
    def forward(cls, ctx, a, x):
        ctx.save_for_backward(a, x)
        sp = _scipy_special()
        out = (sp.gammaincc if cls.upper else sp.gammainc)(a, x)
        return np.asarray(out).astype(np.result_type(a, x), copy=False)

    @classmethod
    def backward(cls, ctx, g, xp):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            name = "igammac" if cls.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        density = xp.exp((a - 1) * xp.log(x) - x - xp.lgamma(a))
        return None, (-g * density if cls.upper else g * density)


class Igamma(_IncompleteGamma):
    pass


class Igammac(_IncompleteGamma):
    upper = True


def _gamma_args(opname, input, other):
    for arg, v in (("input", input), ("other", other)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{opname}(): argument '{arg}' must be Tensor, not {type(v).__name__}")
    return _float_pair(opname, input, other)


def igamma(input, other) -> Tensor:
    """The regularised lower incomplete gamma function ``P(input, other)`` (the gamma
    distribution's CDF at ``other``); differentiable in ``other`` only, as in torch.

    Example:
        >>> autograd.igamma(autograd.tensor([1.0]), autograd.tensor([1.0]))   # 1 - 1/e
        tensor([0.6321])
    """
    return Igamma.apply(*_gamma_args("igamma", input, other))


def igammac(input, other) -> Tensor:
    """The regularised upper incomplete gamma function ``Q(input, other) = 1 - P``.

    Example:
        >>> autograd.igammac(autograd.tensor([1.0]), autograd.tensor([1.0]))  # 1/e
        tensor([0.3679])
    """
    return Igammac.apply(*_gamma_args("igammac", input, other))


def _igamma_samples(rng):
    u = rng.uniform
    return [
        Sample(u(0.5, 3.0, (3, 4)), u(0.3, 4.0, (3, 4)), no_grad_args=(0,)),
        Sample(u(0.5, 3.0, (3, 1)), u(0.3, 4.0, (1, 4)), no_grad_args=(0,)),
        Sample(u(0.5, 3.0, ()), u(0.3, 4.0, (2, 0)), no_grad_args=(0,)),
        Sample(
            np.array([0.0, 1.0, -1.0, 2.0]), np.array([1.0, 0.0, 1.0, -1.0]), no_grad_args=(0, 1)
        ),
    ]


def _ref_igamma(upper):
    def ref(a, x):
        sp = _scipy_special()
        return (sp.gammaincc if upper else sp.gammainc)(a, x)

    return ref


register(
    OpInfo(
        "igamma",
        igamma,
        ref=_ref_igamma(False),
        samples=_igamma_samples,
        inplace=True,
        family="special",
    )
)
register(
    OpInfo(
        "igammac",
        igammac,
        ref=_ref_igamma(True),
        samples=_igamma_samples,
        inplace=True,
        family="special",
    )
)


# ---- mvlgamma --------------------------------------------------------------------------------
def mvlgamma(input, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension ``p``:
    ``p (p - 1) / 4 * log(pi) + sum_{i < p} lgamma(input - i / 2)``.

    Example:
        >>> autograd.mvlgamma(autograd.tensor([2.5]), 1)     # lgamma(2.5)
        tensor([0.2847])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"mvlgamma(): argument 'input' must be Tensor, not {type(input).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    (x,), _, _ = operands(input, floating=True)
    terms = x.unsqueeze(-1) - Tensor._make(np.arange(p, dtype=x._data.dtype) / 2)
    return _sum(lgamma(terms), -1) + p * (p - 1) / 4 * _math.log(_math.pi)


def _ref_mvlgamma(x, p):
    return np.vectorize(lambda v: _scipy_special().multigammaln(v, p), otypes=[x.dtype])(x)


register(
    OpInfo(
        "mvlgamma",
        mvlgamma,
        ref=_ref_mvlgamma,
        family="special",
        inplace=True,
        samples=lambda rng: [
            Sample(rng.uniform(2.0, 5.0, (3, 4)), 2),
            Sample(rng.uniform(0.5, 5.0, ()), 1),
            Sample(rng.uniform(2.0, 5.0, (5,)), 3),
            Sample(rng.uniform(2.0, 5.0, (2, 0)), 4),
        ],
    )
)
