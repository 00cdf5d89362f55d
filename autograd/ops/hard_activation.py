"""The piecewise-linear "hard" activations (``torch.nn.functional`` names): hardtanh, relu6,
hardsigmoid, hardswish.

Each is one primitive ``Op`` (a NumPy forward, its VJP written with ``xp`` so
``create_graph=True`` differentiates it again); the gradient passes strictly inside the
linear pieces, as in torch. relu, leaky_relu and the smooth activations are in
activation.py.
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..forward_ad import elementwise_jvp
from ..tensor import Tensor
from ._util import float_input, unary_op
from .registry import register_functional
from .samples import away_from, with_kwargs
from .activation import _activate, _inplace

__all__ = ["hardtanh", "relu6", "hardsigmoid", "hardswish"]


# ---- hardtanh family ----------------------------------------------------------------------------
class Hardtanh(Op):
    """clip(x, min_val, max_val); the gradient passes strictly inside the interval."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.min_val, ctx.max_val = min_val, max_val
        ctx.save_for_backward(x)
        return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, xp):
        (x,) = ctx.saved_tensors
        zero = xp.zeros_like(g)
        return xp.where(x > ctx.min_val, xp.where(x < ctx.max_val, g, zero), zero)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``clamp(x, min_val, max_val)`` as an activation.

    Example:
        >>> autograd.hardtanh(autograd.tensor([-2.0, 0.5, 2.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    x = float_input(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return _inplace(x, hardtanh, min_val, max_val)
    return Hardtanh.apply(x, min_val=float(min_val), max_val=float(max_val))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(0, x), 6)``.

    Example:
        >>> autograd.relu6(autograd.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


register_functional(
    "hardtanh",
    hardtanh,
    lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val),
    with_kwargs(away_from([-1.0, 1.0, -0.5, 2.0]), {}, {"min_val": -0.5, "max_val": 2.0}),
    "hard_activation",
)
register_functional(
    "relu6", relu6, lambda x: np.clip(x, 0, 6), away_from([0.0, 6.0], -2.0, 8.0), "hard_activation"
)


def _hardsigmoid_vjp(g, x, xp):
    zero = xp.zeros_like(g)
    return xp.where(x > -3, xp.where(x < 3, g * (1 / 6), zero), zero)


Hardsigmoid = unary_op(
    "Hardsigmoid",
    lambda x: (np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False),
    _hardsigmoid_vjp,
    "relu6(x + 3) / 6; the gradient is 1/6 strictly inside (-3, 3).",
)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """Piecewise-linear sigmoid: 0 below -3, 1 above 3, ``x / 6 + 1 / 2`` between.

    Example:
        >>> autograd.hardsigmoid(autograd.tensor([0.0]))
        tensor([0.5000])
    """
    return _activate(hardsigmoid, input, inplace, Hardsigmoid)


register_functional(
    "hardsigmoid",
    hardsigmoid,
    lambda x: np.clip(x / 6 + 0.5, 0, 1),
    away_from([-3.0, 3.0], -5, 5),
    "hard_activation",
)


def _hardswish_vjp(g, x, xp):
    mid = xp.where(x <= 3, g * (x * (1 / 3) + 0.5), g)
    return xp.where(x < -3, xp.zeros_like(g), mid)


Hardswish = unary_op(
    "Hardswish",
    lambda x: (x * np.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False),
    _hardswish_vjp,
    "x * relu6(x + 3) / 6; d/dx = 0 below -3, x / 3 + 1/2 on [-3, 3], 1 above (torch's).",
)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """Hard swish (MobileNetV3): ``x * relu6(x + 3) / 6``.

    Example:
        >>> autograd.hardswish(autograd.tensor([1.0]))
        tensor([0.6667])
    """
    return _activate(hardswish, input, inplace, Hardswish)


register_functional(
    "hardswish",
    hardswish,
    lambda x: x * np.clip(x + 3, 0, 6) / 6,
    away_from([-3.0, 3.0], -5, 5),
    "hard_activation",
)
