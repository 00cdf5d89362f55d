"""Logical and bitwise ops (torch names): logical_and / or / xor / not (any dtype, "nonzero"
is true) and bitwise_and / or / xor / not (bool and integer tensors only). Bool or integer
results, no gradient.

Comparisons, where, maximum / minimum and clamp are in compare.py.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError
from ..tensor import Tensor
from ._util import _torch_dtype_name, operands
from .registry import OpInfo, Sample, register, torch_tensor_args
from ..dtypes import FLOAT_KINDS
from .compare import Pointwise, _cmp_samples

__all__ = [
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
]


# ---- logical ops: any dtype, "nonzero" is true; bool results -----------------------------
def _pairwise(np_fn, name, doc, check=None):
    """A two-input op on truth values or bits (no gradient); ``check(name, input)`` may reject
    the input's dtype first."""

    def fn(input, other) -> Tensor:
        (a, b), _, _ = operands(input, other)
        if check is not None:
            check(name, a)
        return Pointwise.apply(a, b, fn=np_fn)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


logical_and = _pairwise(
    np.logical_and,
    "logical_and",
    """\
Elementwise ``input and other`` (nonzero counts as true; bool result).

    Example:
        >>> autograd.logical_and(autograd.tensor([1, 0, 2]), autograd.tensor([True, True, False]))
        tensor([ True, False, False])
    """,
)
logical_or = _pairwise(
    np.logical_or,
    "logical_or",
    "Elementwise ``input or other`` (nonzero counts as true; bool result).",
)
logical_xor = _pairwise(
    np.logical_xor, "logical_xor", "Elementwise exclusive or of the truth values (bool result)."
)


def logical_not(input) -> Tensor:
    """Elementwise ``not input`` (zero counts as false; bool result).

    Example:
        >>> autograd.logical_not(autograd.tensor([0.0, 2.0]))
        tensor([ True, False])
    """
    (x,), _, _ = operands(input)
    return Pointwise.apply(x, fn=np.logical_not)


def _bool_int_samples(rng):
    i = rng.integers(-5, 6, (3, 4))
    m = rng.random((3, 4)) > 0.5
    return [
        Sample(i, rng.integers(-5, 6, (3, 4))),
        Sample(m, rng.random((4,)) > 0.5),
        Sample(i, m),
        Sample(i, 3),
        Sample(m, True),
    ]


def _logical_samples(rng):
    return _cmp_samples(rng) + _bool_int_samples(rng)


def _register_kind(pairwise, not_, samples, torch_args=False):
    """Register one kind of op (logical, bitwise): the pairwise ops (and, or, xor) and the
    unary ``not`` (on the first argument of the samples), each checked against the NumPy
    function of its name. Bool or integer results, no gradient, in-place variants too."""
    for fn in pairwise:
        name = fn.__name__
        register(
            OpInfo(
                name,
                fn,
                ref=getattr(np, name),
                samples=samples,
                differentiable=False,
                inplace=True,
                torch_fn=torch_tensor_args(name) if torch_args else None,
                family="logical",
            )
        )
    register(
        OpInfo(
            not_.__name__,
            not_,
            inplace=True,
            ref=getattr(np, not_.__name__),
            samples=lambda rng: [Sample(s.args[0]) for s in samples(rng)],
            differentiable=False,
            family="logical",
        )
    )


_register_kind(
    (logical_and, logical_or, logical_xor), logical_not, _logical_samples, torch_args=True
)


# ---- bitwise ops: bool and integer tensors only --------------------------------------------
def _check_bitwise(name, t: Tensor):
    if t._data.dtype.kind in FLOAT_KINDS:
        raise DTypeError(
            f'"{name}_cpu" not implemented for '
            f"'{_torch_dtype_name(t._data.dtype)}' ({name} "
            f"needs bool or integer tensors, got {t.dtype}; for truth values of "
            f"floats use logical_{name.split('_')[1]})"
        )


bitwise_and = _pairwise(
    np.bitwise_and,
    "bitwise_and",
    """\
Elementwise ``input & other`` for bool or integer tensors.

    Example:
        >>> autograd.bitwise_and(autograd.tensor([12, 10]), 6)
        tensor([4, 2])
    """,
    _check_bitwise,
)
bitwise_or = _pairwise(
    np.bitwise_or,
    "bitwise_or",
    "Elementwise ``input | other`` for bool or integer tensors.",
    _check_bitwise,
)
bitwise_xor = _pairwise(
    np.bitwise_xor,
    "bitwise_xor",
    "Elementwise ``input ^ other`` for bool or integer tensors.",
    _check_bitwise,
)


def bitwise_not(input) -> Tensor:
    """Elementwise ``~input`` (the operator calls it): logical not for bool tensors, two's
    complement for integers.

    Example:
        >>> autograd.bitwise_not(autograd.tensor([True, False]))
        tensor([False,  True])
    """
    (x,), _, _ = operands(input)
    _check_bitwise("bitwise_not", x)
    return Pointwise.apply(x, fn=np.invert)


_register_kind((bitwise_and, bitwise_or, bitwise_xor), bitwise_not, _bool_int_samples)
