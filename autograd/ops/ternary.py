"""Three-operand pointwise ops: addcmul, addcdiv and lerp (``input`` combined with two more
tensors or numbers, with broadcasting and promotion over all three).

Each op is one block, as in arithmetic.py: the ``Op`` class (forward on arrays, VJP through
``xp``), the public function that prepares operands (``operands``), and its ``OpInfo`` with
test samples.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import FLOAT_KINDS
from ..errors import DTypeError
from ..forward_ad import elementwise_jvp
from ..function import Op
from ..tensor import Tensor
from ._util import _reject, operands
from .masking import _number_as
from .registry import OpInfo, Sample, register

__all__ = ["addcmul", "addcdiv", "lerp"]


# ---- addcmul / addcdiv ------------------------------------------------------------------------
def _number(v, opname):
    """A Python number from a number or a one-element tensor (``value=`` arguments)."""
    if isinstance(v, Tensor):
        return v.item()
    if isinstance(v, np.generic):
        return v.item()
    if not isinstance(v, (int, float, bool)):
        raise TypeError(f"{opname}: value must be a number, got {type(v).__name__}")
    return v


class Addcmul(Op):
    """input + value * t1 * t2."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        return (x + value * (t1 * t2)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, xp):
        t1, t2 = ctx.saved_tensors
        need_x, need_1, need_2 = ctx.needs_input_grad
        v = ctx.value
        return (
            (g if need_x else None),
            (g * t2 * v if need_1 else None),
            (g * t1 * v if need_2 else None),
        )


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2`` with broadcasting and promotion over all three.

    Example:
        >>> autograd.addcmul(autograd.tensor([1.0]), autograd.tensor([2.0]),
        ...                  autograd.tensor([3.0]), value=0.5)
        tensor([4.])
    """
    value = _number(value, "addcmul")
    (x, t1, t2), _, dt = operands(input, tensor1, tensor2)
    if x._data.dtype.kind not in FLOAT_KINDS and isinstance(value, float):
        raise RuntimeError(
            "For integral input tensors, argument value must not be a floating point number."
        )
    # torch refuses a value the type cannot hold and wraps an int down to -max (-1 -> 255
    # in uint8, which NumPy's uint8 arithmetic would refuse)
    held = _number_as(value, x._data.dtype).item()
    return Addcmul.apply(x, t1, t2, value=held if x._data.dtype.kind in "iu" else value)


register(
    OpInfo(
        "addcmul",
        addcmul,
        ref=lambda x, a, b, value=1: x + value * a * b,
        samples=lambda rng: [
            Sample(
                rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), value=0.5
            ),
            Sample(rng.normal(size=(3, 1)), rng.normal(size=(4,)), rng.normal(size=(3, 4))),
            Sample(rng.normal(size=()), rng.normal(size=(2,)), rng.normal(size=(2,)), value=-2),
        ],
        family="ternary",
    )
)


class Addcdiv(Op):
    """input + value * t1 / t2."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        # torch's order, (value * t1) / t2: value * (t1 / t2) rounds differently, and gives
        # -inf where torch has nan when value * t1 underflows to 0 and t2 is 0
        return (x + value * t1 / t2).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, xp):
        t1, t2 = ctx.saved_tensors
        need_x, need_1, need_2 = ctx.needs_input_grad
        v = ctx.value
        g1 = g * v / t2 if need_1 else None
        g2 = -g * v * t1 / (t2 * t2) if need_2 else None
        return (g if need_x else None), g1, g2


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2`` (floating point tensors only).

    Example:
        >>> autograd.addcdiv(autograd.tensor([1.0]), autograd.tensor([2.0]),
        ...                  autograd.tensor([4.0]), value=2)
        tensor([2.])
    """
    value = _number(value, "addcdiv")
    if not _is_floating(tensor1) and not _is_floating(tensor2):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / "
            "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
            "tensor2) for float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes."
        )
    (x, t1, t2), _, dt = operands(input, tensor1, tensor2)
    _number_as(value, x._data.dtype)  # (torch refuses a value the type cannot hold)
    return Addcdiv.apply(x, t1, t2, value=value)


def _is_floating(x) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype.kind in FLOAT_KINDS
    return isinstance(x, (float, np.floating))


register(
    OpInfo(
        "addcdiv",
        addcdiv,
        ref=lambda x, a, b, value=1: x + value * a / b,
        samples=lambda rng: [
            Sample(
                rng.normal(size=(3, 4)),
                rng.normal(size=(3, 4)),
                rng.uniform(0.5, 2.0, (3, 4)),
                value=0.5,
            ),
            Sample(rng.normal(size=(3, 1)), rng.normal(size=(4,)), -rng.uniform(0.5, 2.0, (3, 4))),
            Sample(
                rng.normal(size=()), rng.normal(size=(2,)), rng.uniform(0.5, 2.0, (2,)), value=-2
            ),
        ],
        family="ternary",
    )
)


# ---- lerp -------------------------------------------------------------------------------------
def _np_lerp(start, end, weight):
    # torch's two-sided formula: exact at weight == 0 and weight == 1
    diff = end - start
    return np.where(np.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))


class Lerp(Op):
    """start + weight * (end - start); weight is a tensor input or a number (``scalar``)."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, start, end, weight, scalar):
        w = scalar if weight is None else weight
        ctx.save_for_backward(start, end, weight)
        ctx.scalar = scalar
        return _np_lerp(start, end, w).astype(start.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, xp):
        start, end, weight = ctx.saved_tensors
        w = ctx.scalar if weight is None else weight
        need_s, need_e, need_w = ctx.needs_input_grad
        return (
            (g * (1 - w) if need_s else None),
            (g * w if need_e else None),
            (g * (end - start) if need_w else None),
        )


def lerp(input, end, weight) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` is a number or a
    tensor. All tensors must share one floating dtype (as in torch).

    Example:
        >>> autograd.lerp(autograd.tensor([0.0, 2.0]), autograd.tensor([4.0, 6.0]), 0.5)
        tensor([2., 4.])
    """
    start = input
    if not isinstance(start, Tensor):
        raise TypeError(f"lerp(): argument 'input' must be Tensor, not {type(start).__name__}")
    if start._data.dtype.kind not in FLOAT_KINDS:
        _reject("lerp", "lerp_kernel_scalar", start, "use a floating point tensor")
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != start._data.dtype:
            raise DTypeError(
                f"expected dtype {start.dtype.name} for `{name}` but got dtype "
                f"{t.dtype.name} (lerp needs one dtype; convert with .to())"
            )
    if isinstance(weight, Tensor):
        (s, e, w), _, _ = operands(start, end, weight)
        return Lerp.apply(s, e, w, scalar=None)
    (s, e), _, _ = operands(start, end, promote_to=start.dtype)
    return Lerp.apply(s, e, None, scalar=_number(weight, "lerp"))


register(
    OpInfo(
        "lerp",
        lerp,
        inplace=True,
        ref=_np_lerp,
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), 0.3),
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(4,)), 0.8),
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(0, 1, (3, 4))),
            Sample(rng.normal(size=(3, 1)), rng.normal(size=(4,)), rng.uniform(-0.5, 1.5, (3, 4))),
            Sample(rng.normal(size=()), rng.normal(size=()), rng.uniform(0, 1, ())),
        ],
        family="ternary",
    )
)
