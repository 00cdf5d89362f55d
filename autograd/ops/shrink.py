"""Shrinkage and randomized activations (torch names): hardshrink, softshrink, tanhshrink,
rrelu.

* ``hardshrink`` keeps x where ``|x| > lambd`` and zeroes the rest; ``softshrink`` also
  moves the kept values ``lambd`` towards 0 (the proximal operator of ``lambd * |x|``, the
  step of ISTA / LISTA sparse coding). Both pass the gradient where ``|x| > lambd``.
* ``tanhshrink`` is ``x - tanh(x)``, smooth: its gradient is ``tanh(x)**2``.
* ``rrelu`` (randomized leaky ReLU): in training every negative element gets its own slope
  drawn from U(lower, upper); in evaluation the slope is ``(lower + upper) / 2`` (a leaky
  ReLU). The drawn slopes are constants of the graph: the gradient is the slope.
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..forward_ad import elementwise_jvp
from ..random import _gen
from ..tensor import Tensor
from ._util import _torch_dtype_name, float_input
from .activation import _inplace, leaky_relu
from .registry import OpInfo, register, register_functional
from .samples import away_from, with_kwargs

__all__ = ["hardshrink", "rrelu", "softshrink", "tanhshrink"]


def _outside(x, lambd):
    """Where the shrinkage keeps x: not in [-lambd, lambd] (NaN included, as in torch)."""
    return ~((x >= -lambd) & (x <= lambd))


class Hardshrink(Op):
    """x where |x| > lambd, else 0; the gradient passes where x is kept."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, lambd):
        keep = _outside(x, lambd)
        ctx.keep = keep
        return np.where(keep, x, 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.where(xp.asarray(ctx.keep), g, xp.zeros_like(g))


class Softshrink(Hardshrink):
    """x - lambd above lambd, x + lambd below -lambd, else 0; the same gradient as
    hardshrink."""

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.keep = _outside(x, lambd)
        # x * 0 inside (not 0): a NaN stays NaN, as in torch
        return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, x * 0)).astype(
            x.dtype, copy=False
        )


def hardshrink(input, lambd: float = 0.5) -> Tensor:
    """Hard shrinkage: ``x if |x| > lambd else 0``.

    Example:
        >>> autograd.hardshrink(autograd.tensor([-1.0, 0.3, 0.7]))
        tensor([-1.0000,  0.0000,  0.7000])
    """
    x = float_input(input, "hardshrink")
    return Hardshrink.apply(x, lambd=float(lambd))


def softshrink(input, lambd: float = 0.5) -> Tensor:
    """Soft shrinkage: ``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0.

    Example:
        >>> autograd.softshrink(autograd.tensor([-1.0, 0.3, 0.7]))
        tensor([-0.5000,  0.0000,  0.2000])
    """
    x = float_input(input, "softshrink")
    if lambd < 0:
        raise ValueError(
            f"lambda must be in range [0, {np.finfo(x._data.dtype).max:g}] for "
            f"input dtype {_torch_dtype_name(x._data.dtype)}, but found {lambd}"
        )
    return Softshrink.apply(x, lambd=float(lambd))


class RReLU(Op):
    """x * slope, with one constant slope per element (1 where x > 0); VJP: g * slope."""

    jvp = staticmethod(elementwise_jvp)

    grad_fn_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, noise):
        ctx.noise = noise
        return x * noise

    @staticmethod
    def backward(ctx, g, xp):
        return g * xp.asarray(ctx.noise)


def rrelu(
    input,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    *,
    generator=None,
) -> Tensor:
    """Randomized leaky ReLU: in training, each element x <= 0 is multiplied by its own
    slope drawn from U(lower, upper); otherwise by ``(lower + upper) / 2``.

    Example:
        >>> autograd.rrelu(autograd.tensor([-1.0, 2.0]), 0.1, 0.3)
        tensor([-0.2000,  2.0000])
    """
    x = float_input(input, "rrelu")
    if lower > upper:
        raise ValueError("Lower bound should be less than or equal to the upper bound")
    if inplace:
        return _inplace(x, rrelu, lower, upper, training)
    if not training:
        return leaky_relu(x, (lower + upper) / 2)
    data = x._data
    slopes = _gen(generator).uniform(lower, upper, data.shape)
    noise = np.where(data <= 0, slopes, 1.0).astype(data.dtype)
    return RReLU.apply(x, noise=noise)


_shrink_samples = with_kwargs(away_from([-0.5, 0.5]), {}, {"lambd": 0.5})
register(
    OpInfo(
        "hardshrink",
        hardshrink,
        family="shrink",
        samples=_shrink_samples,
        ref=lambda x, lambd=0.5: np.where(np.abs(x) > lambd, x, 0.0),
    )
)
register_functional(
    "softshrink",
    softshrink,
    lambda x, lambd=0.5: np.sign(x) * np.maximum(np.abs(x) - lambd, 0.0),
    with_kwargs(away_from([-1.0, 1.0]), {"lambd": 1.0}),
    "shrink",
)
register(
    OpInfo(
        "rrelu",
        rrelu,
        method=False,
        family="shrink",
        samples=with_kwargs(away_from([0.0]), {}, {"lower": 0.2, "upper": 0.4, "training": False}),
        ref=lambda x, lower=1 / 8, upper=1 / 3, training=False: np.where(
            x > 0, x, x * (lower + upper) / 2
        ),
    )
)


class Tanhshrink(Op):
    """x - tanh(x); d/dx = tanh(x)**2 = (x - y)**2."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x):
        y = x - np.tanh(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        x, y = ctx.saved_tensors
        t = x - y
        return g * t * t


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``.

    Example:
        >>> autograd.tanhshrink(autograd.tensor([0.0]))
        tensor([0.])
    """
    return Tanhshrink.apply(float_input(input, "tanhshrink"))


register_functional("tanhshrink", tanhshrink, lambda x: x - np.tanh(x), away_from([]), "shrink")
