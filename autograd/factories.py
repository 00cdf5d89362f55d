"""Tensor creation: ``tensor``, ``zeros``, ``ones``, ``arange``, ``randn`` ... and ``*_like``;
triangle indices and the signal-processing windows (``hann_window`` ...).

Random factories draw from ``autograd.random.default_generator`` (seeded by
``autograd.manual_seed``) unless a ``generator=`` is given.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from . import devices as _devices
from . import dtypes as _dt
from .random import _gen
from .ops import xp as _xp
from .ops._util import sizes_arg
from .tensor import Tensor, _to_array

__all__ = [
    "tensor",
    "as_tensor",
    "asarray",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "logspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "randperm",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "randint_like",
    "scalar_tensor",
    "range",
    "tril_indices",
    "triu_indices",
    "empty_strided",
    "frombuffer",
    "hann_window",
    "hamming_window",
    "blackman_window",
    "bartlett_window",
    "kaiser_window",
]


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """Make a tensor from data (lists, numbers, arrays). Always copies.

    Example:
        >>> autograd.tensor([[1, 2], [3, 4]])
        tensor([[1, 2],
                [3, 4]])
        >>> autograd.tensor([1.0, 2.0], requires_grad=True)
        tensor([1., 2.], requires_grad=True)
    """
    _check_device(device, pin_memory, "tensor")
    try:
        arr = _to_array(data, dtype)
    except (OverflowError, ValueError) as e:
        # NumPy refused a number for an integer dtype (-1 for uint8, nan): torch's rule instead
        if dtype is None or isinstance(data, (np.ndarray, Tensor)):
            raise
        npdtype = _dt.as_dtype(dtype).np
        if npdtype.kind not in "iu":
            raise
        numbers = _numbers_as(data, npdtype)  # (torch's error for a number it refuses)
        try:
            arr = np.array(numbers, npdtype)
        except ValueError:  # (not a number's fault: ragged data, ...)
            raise e from None
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _numbers_as(data, npdtype):
    """The numbers of nested sequences ``data`` as 0-d arrays of the integer ``npdtype``, as
    torch.tensor converts them: an unsigned type wraps an int down to -max (-1 -> 255 in
    uint8) and every other number out of range is refused."""
    from .ops.masking import _number_as

    if isinstance(data, (list, tuple, builtins.range)):  # (``range`` is torch's, below)
        return [_numbers_as(v, npdtype) for v in data]
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.ndarray):
        return data.astype(npdtype)  # (an array is cast as it is, wrapping, as in torch)
    if isinstance(data, int) and not -(2**63) <= data < 2**63:
        raise ValueError("Overflow when unpacking long long")
    try:
        return _number_as(data, npdtype)
    except RuntimeError:  # (torch.tensor names the dtype, not the C type as fill_ does)
        raise RuntimeError(
            f"value cannot be converted to type {npdtype.name} without overflow"
        ) from None


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with an ndarray/Tensor when no conversion is needed."""
    _check_device(device, fn="as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype is _dt.as_dtype(dtype)):
        return data
    if (
        isinstance(data, np.ndarray)
        and data.dtype in _dt._FROM_NP
        and (dtype is None or _dt.as_dtype(dtype).np == data.dtype)
    ):
        return Tensor._make(data)
    return tensor(data, dtype=dtype)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (changes to one show in the other).

    Example:
        >>> a = np.zeros(2, dtype=np.float32); t = autograd.from_numpy(a); a[0] = 5; t
        tensor([5., 0.])
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.as_dtype(ndarray.dtype)  # raises for unsupported dtypes
    return Tensor._make(ndarray)


def scalar_tensor(s, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A 0-d tensor holding the number ``s`` (default float dtype)."""
    return tensor(
        float(s),
        dtype=dtype or _dt.get_default_dtype(),
        device=device,
        requires_grad=requires_grad,
        pin_memory=pin_memory,
    )


def _check_device(device, pin_memory=False, fn="tensor"):
    """torch's CPU-build behaviour for ``device=``/``pin_memory=`` (see autograd.devices)."""
    _devices.check(device, fn=fn)
    if pin_memory:
        _devices.check_pin_memory(pin_memory)


def _shape(size):
    shape = sizes_arg(size, "size must be a sequence of ints")
    for s in shape:
        if s < 0:
            given = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(given)}"
            )
    return shape


def _finish(arr, requires_grad):
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype):
    return (_dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()).np


def zeros(*size, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``.

    Example:
        >>> autograd.zeros(2)
        tensor([0., 0.])
    """
    _check_device(device, pin_memory, "zeros")
    return _finish(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A tensor of ones.

    Example:
        >>> autograd.ones(2, dtype=autograd.int64)
        tensor([1, 1])
    """
    _check_device(device, pin_memory, "ones")
    return _finish(np.ones(_shape(size), _float_dtype(dtype)), requires_grad)


def empty(
    *size, dtype=None, device=None, requires_grad=False, pin_memory=False, memory_format=None
) -> Tensor:
    """An uninitialised tensor (we fill it with zeros so results are reproducible)."""
    _check_device(device, pin_memory, "empty")
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(
    size, fill_value, *, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    """A tensor filled with ``fill_value``; dtype follows the value like torch.

    Example:
        >>> autograd.full((2,), 7)
        tensor([7, 7])
    """
    _check_device(device, pin_memory, "full")
    if dtype is None:
        dtype = _dt.scalar_dtype(
            fill_value.item() if isinstance(fill_value, Tensor) else fill_value
        )
    npdtype = _dt.as_dtype(dtype).np
    return _finish(
        np.full(
            _shape((size,) if isinstance(size, int) else (tuple(size),)),
            _fill_number(fill_value, npdtype),
            npdtype,
        ),
        requires_grad,
    )


def _fill_number(value, npdtype):
    """A number ``full`` may write into ``npdtype``: a type refuses what it cannot hold
    (NumPy wrapped 1e10 to -2**31, made nan 0 and 1e300 inf in float32), as torch does."""
    from .ops.masking import _number_as

    if isinstance(value, (bool, Tensor)) or np.dtype(npdtype).kind not in "iuf":
        return value
    return _number_as(value, npdtype)


def arange(
    start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``: int64 for ints, else float.

    Example:
        >>> autograd.arange(3)
        tensor([0, 1, 2])
    """
    _check_device(device, pin_memory, "arange")
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = (
            _dt.int64
            if all(isinstance(v, (int, np.integer)) for v in vals)
            else _dt.get_default_dtype()
        )
    dt = _dt.as_dtype(dtype)
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (vals[0] + np.arange(max(n, 0)) * vals[2]).astype(dt.np)
    return _finish(arr, requires_grad)


def linspace(
    start, end, steps, *, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Example:
        >>> autograd.linspace(0, 1, 3)
        tensor([0.0000, 0.5000, 1.0000])
    """
    _check_device(device, pin_memory, "linspace")
    return _finish(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def logspace(
    start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False, pin_memory=False
):
    """``base ** linspace(start, end, steps)``."""
    _check_device(device, pin_memory, "logspace")
    return _finish(
        np.logspace(start, end, steps, base=base).astype(_float_dtype(dtype)), requires_grad
    )


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """Identity matrix ``n x m``.

    Example:
        >>> autograd.eye(2)
        tensor([[1., 0.],
                [0., 1.]])
    """
    _check_device(device, pin_memory, "eye")
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


# ---- random (more sampling in autograd/sampling.py) ----------------------------------------
def rand(
    *size, generator=None, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    """Uniform samples in [0, 1).

    Example:
        >>> autograd.manual_seed(0); autograd.rand(2).shape
        autograd.Size([2])
    """
    _check_device(device, pin_memory, "rand")
    return _finish(
        _draw(_gen(generator).random, size, dtype, "check_uniform_bounds", _half_uniform),
        requires_grad,
    )


def randn(
    *size, generator=None, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    """Standard normal samples.

    Example:
        >>> autograd.randn(2, 3, dtype=autograd.float64).dtype
        autograd.float64
    """
    _check_device(device, pin_memory, "randn")
    return _finish(
        _draw(_gen(generator).standard_normal, size, dtype, "normal_kernel_cpu"), requires_grad
    )


def _draw(method, size, dtype, kernel, to_low=lambda a, npdt: a.astype(npdt)):
    """Samples drawn directly in the target dtype (no float64 array twice the size first);
    NumPy draws float32 and float64 only, so float16 and bfloat16 are drawn in float32 and
    converted by ``to_low``."""
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dt.torch_name(dt)}'")
    if dt.itemsize == 2:
        return to_low(method(_shape(size), dtype=np.float32), dt.np)
    return method(_shape(size), dtype=dt.np)


def _half_uniform(u, npdt):
    # rounding to nearest would turn values close to 1 into 1.0; [0, 1) in steps of the
    # dtype's precision below 1 (2**-11 for float16, 2**-8 for bfloat16: torch's grid) stays
    # below 1
    steps = 2048 if npdt == np.float16 else 256
    return (np.floor(u * steps) / steps).astype(npdt)


def randint(
    low,
    high=None,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """Integers uniform in [low, high): ``randint(10, (3,))`` or ``randint(0, 10, (3,))``.

    Example:
        >>> autograd.randint(0, 5, (4,)).dtype
        autograd.int64
    """
    _check_device(device, pin_memory, "randint")
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.int64
    # a 1-D size passed as an int draws the same numbers as (n,) but skips NumPy's element
    # count of a tuple size; the common get_batch call, randint(n, (batch,)), also skips the
    # general size parsing (a plain non-negative int needs no conversion or check)
    if type(size) is tuple and len(size) == 1 and type(size[0]) is int and size[0] >= 0:
        n = size[0]
    else:
        shape = _shape((tuple(size),))
        n = shape[0] if len(shape) == 1 else shape
    drawn = _gen(generator).integers(low, high, n)
    return _finish(drawn.astype(dt.np, copy=False), requires_grad)


def randperm(
    n, *, generator=None, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    _check_device(device, pin_memory, "randperm")
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.int64
    return _finish(_gen(generator).permutation(n).astype(dt.np), requires_grad)


def _like(input, dtype, device, fn):
    _check_device(device, fn=fn)
    return _dt.as_dtype(dtype) if dtype is not None else input.dtype


def zeros_like(
    input, *, dtype=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Zeros with the shape (and dtype) of ``input``."""
    return _finish(
        np.zeros(input._data.shape, _like(input, dtype, device, "zeros_like").np), requires_grad
    )


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    """Ones with the shape (and dtype) of ``input``."""
    return _finish(
        np.ones(input._data.shape, _like(input, dtype, device, "ones_like").np), requires_grad
    )


def full_like(
    input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    npdtype = _like(input, dtype, device, "full_like").np
    return _finish(
        np.full(input._data.shape, _fill_number(fill_value, npdtype), npdtype), requires_grad
    )


def empty_like(
    input, *, dtype=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(
    input, *, generator=None, dtype=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Uniform [0, 1) samples with the shape (and dtype) of ``input``."""
    dt = _like(input, dtype, device, "rand_like")
    return rand(*input.shape, generator=generator, dtype=dt, requires_grad=requires_grad)


def randn_like(
    input, *, generator=None, dtype=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Standard normal samples with the shape (and dtype) of ``input``."""
    dt = _like(input, dtype, device, "randn_like")
    return randn(*input.shape, generator=generator, dtype=dt, requires_grad=requires_grad)


def randint_like(
    input,
    low=0,
    high=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad=False,
    memory_format=None,
) -> Tensor:
    """Integers uniform in [low, high) with the shape (and dtype) of ``input``:
    ``randint_like(x, 10)`` or ``randint_like(x, 3, 10)``."""
    return randint(
        low,
        high,
        tuple(input.shape),
        generator=generator,
        dtype=_like(input, dtype, device, "randint_like"),
        requires_grad=requires_grad,
    )


# zeros_like/ones_like are also needed by VJPs (see ops/xp.py)

_xp.define("zeros_like", numpy=np.zeros_like, tensor=zeros_like)
_xp.define("ones_like", numpy=np.ones_like, tensor=ones_like)
_xp.define(
    "asarray",
    numpy=np.asarray,
    tensor=lambda a: a if isinstance(a, Tensor) else Tensor._make(np.asarray(a)),
)


def range(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` *inclusive* by ``step`` (default float dtype).
    Deprecated in torch (it warns, as there): use ``arange``, whose end is exclusive.

    Example:
        >>> import warnings; warnings.simplefilter("ignore")
        >>> autograd.range(1, 4)
        tensor([1., 2., 3., 4.])
    """
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because "
        "its behavior is inconsistent with Python's range builtin. Instead, use "
        "torch.arange, which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    _check_device(device, fn="range")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(np.floor((end - start) / step)) + 1
    return _finish((start + np.arange(n) * step).astype(_float_dtype(dtype)), requires_grad)


def _triangle_indices(row, col, offset, dtype, lower: bool) -> Tensor:
    if row < 0 or col < 0:
        raise RuntimeError(
            f"row must be non-negative, got{row}"
            if row < 0
            else f"col must be non-negative, got{col}"
        )
    rows, cols = np.nonzero(
        np.tri(row, col, offset, dtype=bool) if lower else ~np.tri(row, col, offset - 1, dtype=bool)
    )
    return Tensor._make(np.stack([rows, cols]).astype(_dt.as_dtype(dtype or _dt.int64).np))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (row, column) indices of the lower triangle of a ``row x col`` matrix (up to the
    ``offset``-th diagonal), as a ``2 x N`` tensor in row-major order.

    Example:
        >>> autograd.tril_indices(2, 2)
        tensor([[0, 1, 1],
                [0, 0, 1]])
    """
    _check_device(device, fn="tril_indices")
    return _triangle_indices(row, col, offset, dtype, True)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (row, column) indices of the upper triangle of a ``row x col`` matrix (from the
    ``offset``-th diagonal), as a ``2 x N`` tensor in row-major order.

    Example:
        >>> autograd.triu_indices(2, 2)
        tensor([[0, 0, 1],
                [0, 1, 1]])
    """
    _check_device(device, fn="triu_indices")
    return _triangle_indices(row, col, offset, dtype, False)


def empty_strided(
    size, stride, *, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    """``empty(size)``: the strides are accepted and ignored (NumPy chooses the memory
    layout of the array under a tensor; ``stride()`` reports it)."""
    if len(tuple(size)) != len(tuple(stride)):
        raise RuntimeError("mismatch in length of strides and shape")
    return empty(
        tuple(size), dtype=dtype, device=device, requires_grad=requires_grad, pin_memory=pin_memory
    )


def frombuffer(
    buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False
) -> Tensor:
    """A 1-D tensor over the bytes of a Python buffer (``bytearray``, ``memoryview`` ...),
    sharing its memory.

    Example:
        >>> autograd.frombuffer(bytearray(b"\\x01\\x02"), dtype=autograd.uint8)
        tensor([1, 2], dtype=autograd.uint8)
    """
    arr = np.frombuffer(buffer, dtype=_dt.as_dtype(dtype).np, count=count, offset=offset)
    return _finish(arr, requires_grad)


# ---- windows (signal processing): symmetric with periodic=False, else one point longer and cut
def _window(name, window_length, periodic, dtype, requires_grad, fn) -> Tensor:
    if window_length < 0:
        raise RuntimeError(
            f"{name} requires non-negative window_length, got window_length={window_length}"
        )
    npdt = _float_dtype(dtype)
    if np.dtype(npdt).kind not in _dt.FLOAT_KINDS:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {_dt.as_dtype(dtype)}")
    if window_length <= 1:
        return _finish(np.ones(window_length, npdt), requires_grad)
    n = window_length + 1 if periodic else window_length
    w = fn(n)
    return _finish(np.asarray(w[:window_length] if periodic else w).astype(npdt), requires_grad)


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """The Hann window ``0.5 - 0.5 cos(2 pi n / (N - 1))`` (``periodic``: for spectral
    analysis, the first ``window_length`` points of a window one longer).

    Example:
        >>> autograd.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    _check_device(device, pin_memory, "hann_window")
    return _window("hann_window", window_length, periodic, dtype, requires_grad, np.hanning)


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """The Hamming window ``alpha - beta cos(2 pi n / (N - 1))``.

    Example:
        >>> autograd.hamming_window(4)
        tensor([0.0800, 0.5400, 1.0000, 0.5400])
    """
    _check_device(device, pin_memory, "hamming_window")
    return _window(
        "hamming_window",
        window_length,
        periodic,
        dtype,
        requires_grad,
        lambda n: alpha - beta * np.cos(2 * np.pi * np.arange(n) / (n - 1)),
    )


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``.

    Example:
        >>> autograd.blackman_window(3, periodic=False)
        tensor([0., 1., 0.])
    """
    _check_device(device, pin_memory, "blackman_window")
    return _window("blackman_window", window_length, periodic, dtype, requires_grad, np.blackman)


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """The Bartlett (triangular) window ``1 - |2 n / (N - 1) - 1|``.

    Example:
        >>> autograd.bartlett_window(5, periodic=False)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    _check_device(device, pin_memory, "bartlett_window")
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad, np.bartlett)


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    layout=None,
    pin_memory=False,
) -> Tensor:
    """The Kaiser window ``I0(beta sqrt(1 - (2 n / (N - 1) - 1)**2)) / I0(beta)``.

    Example:
        >>> autograd.kaiser_window(3, periodic=False, beta=0.0)
        tensor([1., 1., 1.])
    """
    _check_device(device, pin_memory, "kaiser_window")
    return _window(
        "kaiser_window", window_length, periodic, dtype, requires_grad, lambda n: np.kaiser(n, beta)
    )
