"""dtypes and type promotion, following PyTorch's rules.

PyTorch promotes in three tiers: tensors with dimensions, zero-dimensional tensors, and
Python numbers. A lower tier only changes the result when it brings a higher *category*
(bool < integer < floating point). So ``int32_tensor + 5`` stays int32,
``float16_tensor + 2.5`` stays float16, but ``int64_tensor + 2.5`` becomes the default
float dtype (float32).

Example:
    >>> import autograd
    >>> (autograd.tensor([1, 2]) + 0.5).dtype
    autograd.float32
"""

from __future__ import annotations

import builtins

import numpy as np


# NumPy's ``dtype.kind`` of the floating dtypes a tensor can have: "f" for float16/32/64, and
# "V" for ml_dtypes' bfloat16 (an extension type; autograd admits no other "V" dtype), so
# ``arr.dtype.kind in FLOAT_KINDS`` is the cheap "is this a floating tensor" test.
FLOAT_KINDS = "fV"


class dtype:
    """A tensor element type (``autograd.float32`` ...), mirroring ``torch.dtype``."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_rank")

    def __init__(self, name: str, np_dtype, is_floating_point: builtins.bool, rank: builtins.int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = is_floating_point
        self.is_signed = name not in ("bool", "uint8")
        self.itemsize = self.np.itemsize
        self._rank = rank  # position in the promotion lattice

    @property
    def is_complex(self) -> builtins.bool:
        return False

    def __repr__(self) -> str:
        return f"autograd.{self.name}"

    def __reduce__(self):  # dtypes are singletons; copy/deepcopy keep them so
        return (_by_name, (self.name,))

    def to_numpy(self) -> np.dtype:
        return self.np


bool_ = dtype("bool", np.bool_, False, 0)
uint8 = dtype("uint8", np.uint8, False, 1)
int8 = dtype("int8", np.int8, False, 2)
int16 = dtype("int16", np.int16, False, 3)
int32 = dtype("int32", np.int32, False, 4)
int64 = dtype("int64", np.int64, False, 5)
float16 = dtype("float16", np.float16, True, 6)
float32 = dtype("float32", np.float32, True, 7)
float64 = dtype("float64", np.float64, True, 8)

# PyTorch's aliases (``float``, ``int``, ``bool`` are defined at the end of this module so
# the builtins stay usable inside it)
half, double = float16, float64
short, long = int16, int64

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}


def _by_name(name: str) -> dtype:
    if name == "bfloat16":
        return _bfloat16()
    return _NAMES[name]


# bfloat16 (8 exponent bits like float32, 8 significand bits) comes from the ml_dtypes package,
# which NumPy learns about when it is imported -- but importing it takes a second or more, so
# ``import autograd`` does not: the dtype is created on first use (``autograd.bfloat16``,
# ``dtype="bfloat16"``, or an ml_dtypes array handed to autograd).
_BF16 = None


def _bfloat16() -> dtype:
    global _BF16
    if _BF16 is None:
        try:
            import ml_dtypes
        except ImportError:  # pragma: no cover - ml_dtypes is a dependency
            raise TypeError("bfloat16 needs the ml_dtypes package: pip install ml_dtypes") from None
        _BF16 = dtype("bfloat16", ml_dtypes.bfloat16, True, 6)  # rank of float16 (see promote)
        _FROM_NP[_BF16.np] = _BF16
        _NAMES["bfloat16"] = _BF16
        from . import function

        function._LOW_PRECISION = True  # ops now check their inputs for bfloat16
    return _BF16


def __getattr__(name):
    if name == "bfloat16":
        return _bfloat16()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (``float32`` or ``float64``), like torch."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def as_dtype(d) -> dtype:
    """Accept an autograd dtype, a NumPy dtype/type, or a name such as ``"float32"``."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, str):
        if d in _NAMES:
            return _NAMES[d]
        if d == "bfloat16":
            return _bfloat16()
        raise TypeError(f"unknown dtype {d!r}; expected one of {sorted(_NAMES)}")
    try:
        npd = np.dtype(d)
    except TypeError:
        raise TypeError(f"unknown dtype {d!r}") from None
    try:
        return _FROM_NP[npd]
    except KeyError:
        if npd.name == "bfloat16":
            return _bfloat16()
        raise TypeError(
            f"NumPy dtype {npd} is not supported by autograd tensors; "
            f"supported: {', '.join(x.name for x in ALL)}"
        ) from None


_TORCH_SCALAR_NAMES = {
    "bool": "Bool",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "bfloat16": "BFloat16",
}


def torch_name(d) -> str:
    """PyTorch's scalar-type name (``Float``, ``Long`` ...), as its messages print it."""
    return _TORCH_SCALAR_NAMES[as_dtype(d).name]


# dtype names as torch's messages print them (C type / ScalarType)
_C_NAMES = {
    "float64": "double",
    "float32": "float",
    "float16": "c10::Half",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
}
_SCALAR_NAMES = {
    "float64": "Double",
    "float32": "Float",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


def from_numpy_dtype(npd: np.dtype) -> dtype:
    return _FROM_NP[np.dtype(npd)] if np.dtype(npd) in _FROM_NP else as_dtype(npd)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to (torch.promote_types)."""
    if a is b:
        return a
    # uint8 with a signed int widens to int16, float16 with bfloat16 to float32 (like torch);
    # everything else is a total order.
    if {a, b} == {uint8, int8}:
        return int16
    if a._rank == b._rank == float16._rank:
        return float32
    return a if a._rank >= b._rank else b


def _category(d: dtype) -> builtins.int:
    return 2 if d.is_floating_point else (0 if d is bool_ else 1)


def _combine(higher, lower):
    """Combine a higher tier's dtype with a lower tier's (torch's combine_categories)."""
    if higher is None:
        return lower
    if higher.is_floating_point or lower is None:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x) -> dtype:
    """The dtype a Python number takes when it decides a result (bool, int64, default float)."""
    if isinstance(x, (builtins.bool, np.bool_)):
        return bool_
    if isinstance(x, (builtins.int, np.integer)):
        return int64
    return _default_float


def wrapped_int(value, npdtype) -> np.ndarray:
    """The 0-d array of a Python int that ``npdtype`` (an integer NumPy dtype) cannot hold,
    wrapped modulo 2**bits as torch casts it (``uint8_tensor + (-2)`` adds 254, ``int8 * 1000``
    multiplies by -24); NumPy raises OverflowError instead. Like torch, any int in
    [-2**63, 2**64) is taken, others raise."""
    if not -(2**63) <= value < 2**64:
        raise OverflowError("int too big to convert")
    return np.asarray(value % 2**64, np.uint64).astype(npdtype)


def result_type(*operands) -> dtype:
    """torch.result_type for any mix of Tensors (anything with ``.dtype``/``.ndim``) and numbers."""
    dim_res = zero_res = num_res = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim > 0:
                dim_res = d if dim_res is None else promote_types(dim_res, d)
            else:
                zero_res = d if zero_res is None else promote_types(zero_res, d)
        else:
            d = scalar_dtype(x)
            num_res = (
                d if num_res is None else (d if _category(d) > _category(num_res) else num_res)
            )
    return _combine(dim_res, _combine(zero_res, num_res))


class finfo:
    """Limits of a floating dtype (``torch.finfo``): ``bits``, ``eps``, ``max``, ``min``,
    ``tiny`` (= ``smallest_normal``), ``resolution``, ``dtype``.

    Example:
        >>> autograd.finfo(autograd.float16).eps
        0.0009765625
    """

    def __init__(self, type=None):  # torch's argument name
        d = get_default_dtype() if type is None else as_dtype(type)
        if not d.is_floating_point:
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo "
                "to handle 'torch.finfo'"
            )
        info = np.finfo(d.np)
        self.bits, self.dtype = info.bits, d.name
        self.eps, self.max, self.min = (
            builtins.float(info.eps),
            builtins.float(info.max),
            builtins.float(info.min),
        )
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -builtins.int(info.precision)

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """Limits of an integer dtype (``torch.iinfo``): ``bits``, ``max``, ``min``, ``dtype``."""

    def __init__(self, type):
        d = as_dtype(type)
        if d.is_floating_point:
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to "
                "handle 'torch.iinfo'"
            )
        info = np.iinfo(np.uint8 if d is bool_ else d.np)
        self.bits, self.dtype = info.bits, d.name
        self.max, self.min = (
            (1, 0) if d is bool_ else (builtins.int(info.max), builtins.int(info.min))
        )

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


class _Named:
    """A named constant printed as ``autograd.<name>`` (pickled as that global)."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"autograd.{self._name}"

    def __reduce__(self):
        return self._name


class memory_format(_Named):
    """How a tensor's elements are laid out (``torch.memory_format``). Tensors here are
    always row-major contiguous; the formats are accepted where torch takes them."""


class layout(_Named):
    """Dense or sparse storage (``torch.layout``); only ``strided`` (dense) exists here."""


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
strided = layout("strided")


def check_memory_format(ndim: builtins.int, fmt) -> None:
    """torch's rank check of ``clone``/``contiguous``'s ``memory_format`` (the layouts
    themselves are not kept: tensors here stay row-major)."""
    name = getattr(fmt, "_name", "")
    need = {"channels_last": 4, "channels_last_3d": 5}.get(name)
    if need is not None and ndim != need:
        raise RuntimeError(f"required rank {need} tensor to use {name} format")


float = float32  # torch's alias names
int = int32
bool = bool_


def can_cast(from_, to) -> builtins.bool:
    """Whether torch's casting rules allow ``from_`` to ``to`` without losing the kind of
    number: bool -> integer -> floating point, never back (``can_cast(float32, int64)`` is
    False; within a kind any size goes, ``can_cast(float64, float16)`` is True).

    Example:
        >>> import autograd
        >>> autograd.can_cast(autograd.int64, autograd.float32), autograd.can_cast(autograd.float32, autograd.int64)
        (True, False)
    """

    def kind(d):
        d = as_dtype(d)
        return 2 if d.is_floating_point else (0 if d.name == "bool" else 1)

    return kind(from_) <= kind(to)
