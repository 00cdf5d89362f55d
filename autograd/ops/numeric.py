"""Integer arithmetic and the floating-point format: gcd, lcm, bit shifts, unravel_index,
frexp, ldexp, nextafter; and the step functions heaviside and positive.

Most of these have no gradient (integer results, or steps): they return plain tensors and are
registered with ``differentiable=False``, like torch. ``frexp``'s mantissa and ``ldexp`` are
differentiable: both scale the input by a power of two.
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..errors import DTypeError
from ..function import Op, derive
from ..forward_ad import elementwise_jvp
from ..tensor import Tensor
from ..dtypes import FLOAT_KINDS
from ._util import operands
from ._util import _reject
from .arithmetic import mul
from .registry import OpInfo, Sample, register, torch_tensor_args

__all__ = [
    "gcd",
    "lcm",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "frexp",
    "ldexp",
    "nextafter",
    "heaviside",
    "positive",
    "unravel_index",
]


def _tensor_args(opname: str, input, other):
    """torch takes two Tensors for these ops (a Python number is a TypeError)."""
    for pos, (arg, v) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(v, Tensor):
            raise TypeError(
                f"{opname}(): argument '{arg}' (position {pos}) must be Tensor, not "
                f"{type(v).__name__}"
            )


# ---- gcd / lcm -------------------------------------------------------------------------------
def _int_pair_samples(rng):
    return [
        Sample(rng.integers(-20, 20, (3, 4)), rng.integers(-20, 20, (3, 4))),
        Sample(rng.integers(0, 50, (3, 1)), rng.integers(0, 50, (1, 4))),
        Sample(rng.integers(-5, 5, ()), rng.integers(0, 9, (2, 0))),
        Sample(np.array([0, 0, 7, -12]), np.array([0, 5, 0, 18])),
    ]


def _integer_op(opname: str, np_fn):
    """The integer-only op ``opname`` of two tensors by ``np_fn`` (its NumPy reference too),
    registered."""

    def fn(input, other) -> Tensor:
        _tensor_args(opname, input, other)
        (a, b), _, _ = operands(input, other)
        if a._data.dtype.kind not in "iu":
            _reject(opname, opname + "_cpu", a, "integer tensors only")
        return Tensor._make(np.asarray(np_fn(a._data, b._data)))

    fn.__name__ = fn.__qualname__ = opname
    register(
        OpInfo(
            opname,
            fn,
            ref=np_fn,
            samples=_int_pair_samples,
            differentiable=False,
            inplace=True,
            family="numeric",
        )
    )
    return fn


gcd = _integer_op("gcd", np.gcd)
gcd.__doc__ = """The greatest common divisor, elementwise (non-negative; ``gcd(0, 0) = 0``).

    Example:
        >>> autograd.gcd(autograd.tensor([4, 6, -9]), autograd.tensor([6, 9, 6]))
        tensor([2, 3, 3])
    """
lcm = _integer_op("lcm", np.lcm)
lcm.__doc__ = """The least common multiple, elementwise (non-negative; 0 when either is 0).

    Example:
        >>> autograd.lcm(autograd.tensor([4, 6]), autograd.tensor([6, 9]))
        tensor([12, 18])
    """


# ---- bit shifts ------------------------------------------------------------------------------
def _np_shift(a, b, left: bool):
    """``a << b`` / ``a >> b`` with torch's rule for shifts outside [0, bits): a left shift
    gives 0, a right shift the sign (0 or -1). (NumPy leaves those to the C compiler.)"""
    bits = a.dtype.itemsize * 8
    inside = (b >= 0) & (b < bits)
    safe = np.where(inside, b, 0).astype(a.dtype)
    if left:
        return np.where(inside, np.left_shift(a, safe), 0).astype(a.dtype)
    return np.where(inside, np.right_shift(a, safe), np.where(a < 0, -1, 0)).astype(a.dtype)


def _shift_samples(rng):
    return [
        Sample(rng.integers(-100, 100, (3, 4)), rng.integers(0, 8, (3, 4))),
        Sample(rng.integers(-100, 100, (3, 1)), 3),
        Sample(np.array([-8, 8, 3, -1]), np.array([-1, 63, 64, 100])),
        Sample(np.array([5, -7], np.int8), np.array([7, 9], np.int8)),
    ]


def _shift(opname: str, left: bool):
    """``bitwise_left_shift`` / ``bitwise_right_shift``, registered."""

    def fn(input, other) -> Tensor:
        (a, b), _, _ = operands(input, other)
        if a._data.dtype.kind in FLOAT_KINDS or a._data.dtype.kind == "b":
            # (a bool shifted by a Python int is int64 after promotion, as in torch)
            _reject(opname, ("lshift" if left else "rshift") + "_cpu", a, "integer tensors only")
        return Tensor._make(_np_shift(a._data, b._data, left))

    fn.__name__ = fn.__qualname__ = opname
    register(
        OpInfo(
            opname,
            fn,
            differentiable=False,
            inplace=True,
            ref=lambda a, b: _np_shift(a, np.asarray(b), left),
            samples=_shift_samples,
            family="numeric",
            torch_fn=torch_tensor_args(opname),
        )
    )
    return fn


bitwise_left_shift = _shift("bitwise_left_shift", True)
bitwise_left_shift.__doc__ = """``input << other`` for integer tensors (shifts of the bit
    width or more, and negative shifts, give 0).

    Example:
        >>> autograd.bitwise_left_shift(autograd.tensor([1, 3]), 2)
        tensor([ 4, 12])
    """
bitwise_right_shift = _shift("bitwise_right_shift", False)
bitwise_right_shift.__doc__ = """``input >> other`` (arithmetic: the sign is kept) for integer
    tensors.

    Example:
        >>> autograd.bitwise_right_shift(autograd.tensor([-8, 8]), 1)
        tensor([-4,  4])
    """


# ---- frexp / ldexp ---------------------------------------------------------------------------
class Frexp(Op):
    """The mantissa of ``x = mantissa * 2**exponent``; the exponent is a constant
    (piecewise), so d mantissa / dx = 2**-exponent."""

    jvp = staticmethod(elementwise_jvp)

    @staticmethod
    def forward(ctx, x):
        mantissa, exponent = np.frexp(x)
        ctx.scale = np.ldexp(np.ones((), x.dtype), -exponent).astype(x.dtype)
        return mantissa

    @staticmethod
    def backward(ctx, g, xp):
        return g * xp.asarray(ctx.scale)


def frexp(input):
    """Split floats into ``mantissa * 2**exponent`` with ``0.5 <= |mantissa| < 1`` (0 for 0):
    a ``(mantissa, exponent)`` named tuple, the exponent as int32.

    Example:
        >>> autograd.frexp(autograd.tensor([8.0, 0.375]))
        autograd.return_types.frexp(
        mantissa=tensor([0.5000, 0.7500]),
        exponent=tensor([ 4, -1], dtype=autograd.int32))
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"frexp(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise DTypeError("torch.frexp() only supports floating-point dtypes")
    exponent = np.frexp(input._data)[1].astype(np.int32)
    return return_types.frexp(Frexp.apply(input), Tensor._make(exponent))


register(
    OpInfo(
        "frexp",
        frexp,
        family="numeric",
        ref=lambda x: (np.frexp(x)[0], np.frexp(x)[1].astype(np.int32)),
        samples=lambda rng: [
            Sample(rng.uniform(-9, 9, (3, 4))),
            Sample(rng.uniform(0.1, 3, ())),
            Sample(rng.uniform(-9, 9, (2, 0))),
        ],
    )
)


def ldexp(input, other) -> Tensor:
    """``input * 2**other`` (``other`` usually holds integers; integers promote to float).

    Example:
        >>> autograd.ldexp(autograd.tensor([1.0, 3.0]), autograd.tensor([3, -1]))
        tensor([8.0000, 1.5000])
    """
    _tensor_args("ldexp", input, other)
    (x,), _, _ = operands(input, floating=True)
    e = other._data
    power = np.exp2(e.astype(x._data.dtype if e.dtype.kind in "iub" else e.dtype))
    return mul(x, Tensor._make(np.asarray(power)))


# torch's gradient for integer exponents is computed as ``grad * 2 ** other`` in integers
# (0 for negative exponents); with the exponents given as floats it is the true one, ours
register(
    OpInfo(
        "ldexp",
        ldexp,
        family="numeric",
        torch_fn=lambda torch, x, e: torch.ldexp(x, e.to(x.dtype)),
        ref=lambda x, e: x * np.exp2(e.astype(x.dtype) if np.asarray(e).dtype.kind in "iu" else e),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.integers(-3, 4, (3, 4))),
            Sample(rng.normal(size=(3, 1)), rng.integers(-3, 4, (4,))),
            Sample(rng.normal(size=()), rng.integers(-3, 4, (2,))),
        ],
    )
)


# ---- nextafter -------------------------------------------------------------------------------
def nextafter(input, other) -> Tensor:
    """The next representable float after ``input`` in the direction of ``other``.

    Example:
        >>> (autograd.nextafter(autograd.tensor([1.0], dtype=autograd.float64),
        ...                     autograd.tensor([2.0], dtype=autograd.float64)) - 1).item()
        2.220446049250313e-16
    """
    _tensor_args("nextafter", input, other)
    (a, b), _, _ = operands(input, other)
    if a._data.dtype.kind not in FLOAT_KINDS:
        _reject("nextafter", "nextafter_cpu", a, "floating point tensors only")
    return Tensor._make(np.asarray(np.nextafter(a._data, b._data)))


register(
    OpInfo(
        "nextafter",
        nextafter,
        ref=np.nextafter,
        differentiable=False,
        inplace=True,
        family="numeric",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(3, 4))),
            Sample(rng.normal(size=(3, 1)), rng.normal(size=(4,))),
            Sample(np.array([0.0, 1.0, -1.0]), np.array([1.0, 1.0, 0.0])),
        ],
    )
)


# ---- heaviside / positive --------------------------------------------------------------------
def heaviside(input, values) -> Tensor:
    """The step function: 0 where ``input < 0`` (and where it is nan), 1 where
    ``input > 0``, and ``values`` where ``input == 0``. No gradient (as in torch).

    Example:
        >>> autograd.heaviside(autograd.tensor([-2.0, 0.0, 3.0]), autograd.tensor(0.5))
        tensor([0.0000, 0.5000, 1.0000])
    """
    _tensor_args("heaviside", input, values)
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    (x, v), _, _ = operands(input, values)
    return Tensor._make(np.asarray(_np_heaviside(x._data, v._data)))


def _np_heaviside(x, v):
    out = np.where(x == 0, v, (x > 0).astype(x.dtype))
    return np.asarray(out).astype(np.result_type(x, v), copy=False)


register(
    OpInfo(
        "heaviside",
        heaviside,
        ref=_np_heaviside,
        differentiable=False,
        inplace=True,
        family="numeric",
        samples=lambda rng: [
            Sample(np.array([-1.5, 0.0, 2.0, np.nan, -0.0]), np.array(0.5)),
            Sample(rng.normal(size=(3, 4)) * (rng.random((3, 4)) > 0.3), rng.normal(size=(3, 4))),
            Sample(rng.normal(size=(2, 0)), rng.normal(size=(1, 0))),
        ],
    )
)


def positive(input) -> Tensor:
    """``+input``: the tensor itself (torch's ``positive``); bool tensors are refused.

    Example:
        >>> x = autograd.tensor([-1.0]); autograd.positive(x) is x
        True
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"positive(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


register(
    OpInfo(
        "positive",
        positive,
        ref=lambda x: x,
        family="numeric",
        samples=lambda rng: [Sample(rng.normal(size=(3, 4))), Sample(rng.normal(size=()))],
    )
)


# ---- unravel_index ---------------------------------------------------------------------------
def unravel_index(indices, shape):
    """The coordinates, in a tensor of ``shape``, of flat (row-major) ``indices``: a tuple
    with one int64 tensor per dimension, each shaped like ``indices``.

    Example:
        >>> autograd.unravel_index(autograd.tensor([4, 1]), (2, 3))
        (tensor([1, 0]), tensor([1, 1]))
    """
    arr = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"expected 'indices' to be integer dtype, but got "
            f"torch.{'float32' if arr.dtype.kind == 'f' else arr.dtype}"
        )
    dims = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if any(d < 0 for d in dims):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(dims)))
    # derive: computed from the index tensor's values (the bounds check included), so
    # autograd.compile recomputes it on every replay
    coords = derive(_np_unravel_index, indices if isinstance(indices, Tensor) else arr, dims=dims)
    return tuple(Tensor._make(c) for c in coords)


def _np_unravel_index(arr, dims):
    total = int(np.prod(dims))
    if arr.size and (arr.min() < -total or arr.max() >= total):
        raise IndexError(
            f"unravel_index: an index is out of bounds for shape {tuple(dims)} "
            f"(indices must be in [{-total}, {total - 1}])"
        )
    coords = np.unravel_index(np.where(arr < 0, arr + total, arr), dims)
    return tuple(np.asarray(c, np.int64) for c in coords)


register(
    OpInfo(
        "unravel_index",
        unravel_index,
        method=False,
        differentiable=False,
        family="numeric",
        ref=lambda i, s: tuple(np.asarray(c, np.int64) for c in np.unravel_index(i, s)),
        torch_fn=lambda torch, i, s: torch.unravel_index(i, s),
        samples=lambda rng: [
            Sample(rng.integers(0, 24, (3, 2)), (2, 3, 4)),
            Sample(np.array(5), (3, 2)),
            Sample(np.array([0, 5]), 6),
        ],
    )
)
