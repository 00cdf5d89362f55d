"""Division: div / divide / true_divide (with ``rounding_mode`` 'trunc' or 'floor'),
floor_divide, remainder and fmod, with torch's rules for integer division by zero and its
'not implemented for' messages.

The other arithmetic operators (+ - * **, neg, abs ...) are in arithmetic.py;
addcmul, addcdiv and lerp in ternary.py.
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..forward_ad import elementwise_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import _ERR_ALL, _reject, binary_op, operands
from .registry import OpInfo, Sample, register
from .samples import binary_samples, random_signs
from ..dtypes import FLOAT_KINDS

__all__ = ["div", "divide", "true_divide", "floor_divide", "remainder", "fmod"]


# ---- div ----------------------------------------------------------------------------------
Div = binary_op(
    "Div",
    np.true_divide,
    lambda g, a, b, xp: g / b,  # b == 0 gives inf/nan gradients, like torch
    lambda g, a, b, xp: -g * a / (b * b),
    "a / b: d/da = 1/b, d/db = -a/b**2.",
)


def _check_int_divisor(opname, a: Tensor, b: Tensor):
    # integer division by zero has no inf/nan to return: torch raises, and so do we
    if a._data.dtype.kind in "iub" and not np.all(b._data):
        raise RuntimeError(f"ZeroDivisionError ({opname}: integer division by zero)")


def _np_trunc_divide(a, b):
    if a.dtype.kind in FLOAT_KINDS:
        return np.trunc(np.true_divide(a, b))
    q = np.floor_divide(a, b)
    # floor and trunc differ (by one) where the division is inexact and the signs differ
    fix = (np.remainder(a, b) != 0) & ((a < 0) != (b < 0))
    return q + fix.astype(q.dtype)


class DivRounding(Op):
    """a / b rounded toward -inf ("floor") or toward zero ("trunc"): piecewise constant, so
    the gradient is zero for both inputs (as in torch)."""

    jvp = staticmethod(elementwise_jvp)

    grad_fn_name = "DivBackward1"

    @staticmethod
    def forward(ctx, a, b, mode):
        return np.floor_divide(a, b) if mode == "floor" else _np_trunc_divide(a, b)

    @staticmethod
    def backward(ctx, g, xp):
        need_a, need_b = ctx.needs_input_grad
        return (xp.zeros_like(g) if need_a else None), (xp.zeros_like(g) if need_b else None)


def _checked_division(op, opname: str, kernel: str, input, other, hint="", **params) -> Tensor:
    """``op`` on the promoted operands, after torch's errors for bool input (``kernel``: the
    name its message gives) and for an integer division by zero."""
    (a, b), _, _ = operands(input, other)
    if a._data.dtype == np.bool_:
        _reject(opname, kernel, a, hint)
    _check_int_divisor(opname, a, b)
    return op.apply(a, b, **params)


def _div_rounding(input, other, rounding_mode):
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
            f"found '{rounding_mode}'"
        )
    kernel = "div_" + rounding_mode + "_cpu"
    hint = "convert with .long() or .float()"
    return _checked_division(DivRounding, "div", kernel, input, other, hint, mode=rounding_mode)


def div(input, other, *, rounding_mode=None) -> Tensor:
    """True division (``rounding_mode=None``), or ``"floor"`` / ``"trunc"`` rounding.

    True division promotes integers to the default float; the rounding modes keep integer
    dtypes and have a zero gradient.

    Example:
        >>> autograd.div(autograd.tensor([1, 2]), 4)
        tensor([0.2500, 0.5000])
        >>> autograd.div(autograd.tensor([-7.0, 7.0]), 2, rounding_mode="trunc")
        tensor([-3.,  3.])
    """
    if rounding_mode is not None:
        return _div_rounding(input, other, rounding_mode)
    (a, b), _, _ = operands(input, other, floating=True)
    return Div.apply(a, b)


divide = true_divide = div
register(
    OpInfo(
        "div",
        div,
        inplace=True,
        ref=np.true_divide,
        samples=binary_samples(b_low=0.5, b_high=2.0),
        family="division",
    )
)


def _div_rounding_samples(mode):
    # divisors away from 0; |a / b| up to 12 so several rounding steps are crossed
    def gen(rng):
        return [
            Sample(s.args[0] * 3, random_signs(rng, s.args[1]), rounding_mode=mode)
            for s in binary_samples(-2.0, 2.0, 0.5, 2.0)(rng)
        ]

    return gen


def _ref_div_rounding(a, b, rounding_mode):
    with np.errstate(**_ERR_ALL):
        return np.floor_divide(a, b) if rounding_mode == "floor" else np.trunc(a / b)


# registered under a second name so the rounding modes get their own samples
register(
    OpInfo(
        "divide",
        divide,
        inplace=True,
        ref=_ref_div_rounding,
        samples=_div_rounding_samples("trunc"),
        family="division",
    )
)


def floor_divide(input, other) -> Tensor:
    """``input // other``: division rounded toward -inf (Python's ``//``); integers stay
    integers. The gradient is zero (torch has none).

    Example:
        >>> autograd.floor_divide(autograd.tensor([7, -7]), 2)
        tensor([ 3, -4])
    """
    return _div_rounding(input, other, "floor")


_xp.define("floor_divide", numpy=np.floor_divide, tensor=floor_divide)
register(
    OpInfo(
        "floor_divide",
        floor_divide,
        inplace=True,
        ref=np.floor_divide,
        samples=lambda rng: [Sample(*s.args) for s in _div_rounding_samples("floor")(rng)],
        differentiable=False,
        family="division",
    )
)


# ---- remainder / fmod -----------------------------------------------------------------------
Remainder = binary_op(
    "Remainder",
    np.remainder,
    lambda g, a, b, xp: g,
    lambda g, a, b, xp: -g * xp.floor_divide(a, b),
    """a - b * floor(a / b), with the sign of the divisor (Python's ``%``).
    d/da = 1, d/db = -floor(a / b).""",
)


def remainder(input, other) -> Tensor:
    """Python-style modulus: the result has the sign of ``other``.

    Example:
        >>> autograd.remainder(autograd.tensor([-3.0, 3.0]), 2)
        tensor([1., 1.])
    """
    return _checked_division(Remainder, "remainder", "remainder_cpu", input, other)


def _fmod_samples(rng):
    return [
        Sample(s.args[0] * 3, random_signs(rng, s.args[1]))
        for s in binary_samples(-2.0, 2.0, 0.5, 2.0)(rng)
    ]


Fmod = binary_op(
    "Fmod",
    np.fmod,
    lambda g, a, b, xp: g,
    lambda g, a, b, xp: -g * xp.trunc(a / b),
    """C's fmod: a - b * trunc(a / b), with the sign of the dividend.
    d/da = 1, d/db = -trunc(a / b).""",
)


def fmod(input, other) -> Tensor:
    """C-style modulus: the result has the sign of ``input``.

    Example:
        >>> autograd.fmod(autograd.tensor([-3.0, 3.0]), 2)
        tensor([-1.,  1.])
    """
    return _checked_division(Fmod, "fmod", "fmod_cpu", input, other)


# the two moduli share their samples: dividends on both sides of 0, divisors of both signs
for _name, _fn, _ref in [("remainder", remainder, np.remainder), ("fmod", fmod, np.fmod)]:
    register(OpInfo(_name, _fn, inplace=True, ref=_ref, samples=_fmod_samples, family="division"))
