"""Comparisons, logical ops and ``where``: bool results, no gradient (except ``where``)."""
from __future__ import annotations

import numpy as np

from ..function import Op
from ..tensor import Tensor
from . import xp as _xp
from ._util import as_tensor_operand, broadcast_shapes, operands
from .registry import OpInfo, Sample, register

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "where"]


def _compare(np_fn):
    def fn(input, other) -> Tensor:
        (a, b), _, _ = operands(input, other)
        return Tensor._make(np_fn(a._data, b._data))
    return fn


def _cmp_samples(rng):
    a = rng.integers(-2, 3, (3, 4)).astype(np.float64)
    return [Sample(a, rng.integers(-2, 3, (3, 4)).astype(np.float64)),
            Sample(a, rng.integers(-2, 3, (4,)).astype(np.float64)),
            Sample(a, 1.0)]


eq = _compare(np.equal)
eq.__doc__ = "Elementwise ``input == other`` (bool result).\n\n    Example:\n        >>> autograd.eq(autograd.tensor([1, 2]), 2)\n        tensor([False,  True])\n    "
ne = not_equal = _compare(np.not_equal)
ne.__doc__ = "Elementwise ``input != other`` (bool result)."
lt = less = _compare(np.less)
lt.__doc__ = "Elementwise ``input < other`` (bool result)."
le = less_equal = _compare(np.less_equal)
le.__doc__ = "Elementwise ``input <= other`` (bool result)."
gt = greater = _compare(np.greater)
gt.__doc__ = "Elementwise ``input > other`` (bool result)."
ge = greater_equal = _compare(np.greater_equal)
ge.__doc__ = "Elementwise ``input >= other`` (bool result)."

for _name, _fn, _ref in [("eq", eq, np.equal), ("ne", ne, np.not_equal), ("lt", lt, np.less),
                         ("le", le, np.less_equal), ("gt", gt, np.greater),
                         ("ge", ge, np.greater_equal)]:
    register(OpInfo(_name, _fn, ref=_ref, samples=_cmp_samples, differentiable=False,
                    family="compare"))


# ---- where --------------------------------------------------------------------------------
class Where(Op):
    """cond ? a : b; the gradient goes to ``a`` where cond holds and to ``b`` elsewhere."""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g, xp):
        (cond,) = ctx.saved_tensors
        zero = xp.zeros_like(g)
        need_a, need_b = ctx.needs_input_grad[1:]
        return (None, xp.where(cond, g, zero) if need_a else None,
                xp.where(cond, zero, g) if need_b else None)


def where(condition, input=None, other=None) -> Tensor:
    """Pick from ``input`` where ``condition`` is true, else from ``other``.

    Example:
        >>> x = autograd.tensor([-1.0, 2.0])
        >>> autograd.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    cond = as_tensor_operand(condition)
    if cond._data.dtype != np.bool_:
        cond = Tensor._make(cond._data.astype(bool))
    (a, b), shape, _ = operands(input, other)
    shape = broadcast_shapes(cond._data.shape, a._data.shape, b._data.shape)
    from ._util import expand_to
    a, b = expand_to(a, shape), expand_to(b, shape)
    return Where.apply(cond, a, b)


_xp.define("where", numpy=np.where, tensor=where)
register(OpInfo("where", where, ref=np.where,
                samples=lambda rng: [
                    Sample(rng.random((3, 4)) > 0.5, rng.normal(size=(3, 4)), rng.normal(size=(3, 4)),
                           no_grad_args=(0,)),
                    Sample(rng.random((3, 4)) > 0.5, rng.normal(size=(4,)), rng.normal(size=(3, 1)),
                           no_grad_args=(0,)),
                    Sample(rng.random((3,)) > 0.5, rng.normal(size=(3,)), 0.0, no_grad_args=(0,))],
                method=False, family="compare"))
