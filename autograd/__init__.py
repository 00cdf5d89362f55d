"""jitgrad's autograd: tensors that record their computation, and reverse-mode differentiation.

Mirrors ``torch`` + ``torch.autograd``: ``autograd.tensor``, factories, ops as functions
and Tensor methods, ``no_grad``, ``grad``, ``Function``, ``gradcheck``.

Example:
    >>> import autograd
    >>> w = autograd.tensor([1.0, -2.0], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> loss.backward()
    >>> w.grad
    tensor([ 2., -4.])
"""

import sys as _sys

from .dtypes import (
    bool_,
    uint8,
    int8,
    int16,
    int32,
    int64,
    float16,
    float32,
    float64,
    half,
    double,
    short,
    long,
    dtype,
    get_default_dtype,
    set_default_dtype,
    promote_types,
    result_type,
    can_cast,
)
from .dtypes import float as float  # torch's alias names
from .dtypes import int as int
from .dtypes import bool as bool
from .errors import ShapeError, DTypeError, GraphError, CheckpointError
from .grad_mode import (
    no_grad,
    enable_grad,
    set_grad_enabled,
    is_grad_enabled,
    inference_mode,
    is_inference_mode_enabled,
)
from .backend import backend, get_backend, set_backend
from .devices import device, set_default_device, get_default_device
from .dtypes import (
    finfo,
    iinfo,
    memory_format,
    layout,
    preserve_format,
    contiguous_format,
    channels_last,
    channels_last_3d,
    strided,
)
from .tensor import Tensor, Size
from .ops import *
from . import return_types  # torch.return_types: max/sort/topk ... results
from . import amp as _amp  # (the ops import it already: autocast's dtype rules)
from . import linalg  # torch.linalg
from .factories import *
from .random import (
    Generator,
    manual_seed,
    seed,
    initial_seed,
    get_rng_state,
    set_rng_state,
    default_generator,
)
from .custom_function import Function
from .engine import backward, grad
from .anomaly import (
    detect_anomaly,
    set_detect_anomaly,
    is_anomaly_enabled,
    set_anomaly_enabled,
    is_anomaly_check_nan_enabled,
)
from .testing import gradcheck, gradgradcheck, assert_close
from .compiler import compile  # (the package's __init__ only: the tracer loads on first use)
from .runtime import (
    set_float32_matmul_precision,
    get_float32_matmul_precision,
    use_deterministic_algorithms,
    are_deterministic_algorithms_enabled,
    is_deterministic_algorithms_warn_only_enabled,
    set_deterministic_debug_mode,
    get_deterministic_debug_mode,
    set_warn_always,
    is_warn_always_enabled,
    set_flush_denormal,
    set_default_tensor_type,
)
from ._repr import set_printoptions
from .legacy import (
    FloatTensor,
    DoubleTensor,
    HalfTensor,
    LongTensor,
    IntTensor,
    ShortTensor,
    CharTensor,
    ByteTensor,
    BoolTensor,
    Variable,
)
from .threads import (
    set_num_threads,
    get_num_threads,
    set_num_interop_threads,
    get_num_interop_threads,
    init_num_threads,
)
from . import tensor_methods as _tensor_methods

_tensor_methods.bind()  # x.exp(), x + y ...: the ops as Tensor methods (see tensor_methods.py)

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    """True if ``obj`` is an autograd Tensor."""
    return isinstance(obj, Tensor)


def numel(input) -> int:
    """The number of elements of ``input`` (the product of its shape).

    Example:
        >>> autograd.numel(autograd.zeros(2, 3))
        6
    """
    return input.numel()


def is_floating_point(input) -> bool:
    """True if ``input``'s dtype is a floating-point one (float16/bfloat16/float32/float64).

    Example:
        >>> x = autograd.tensor([1])
        >>> autograd.is_floating_point(x), autograd.is_floating_point(x.double())
        (False, True)
    """
    return input.is_floating_point()


def is_nonzero(input) -> bool:
    """Whether a one-element tensor is not zero (more elements: torch's "ambiguous" error).

    Example:
        >>> autograd.is_nonzero(autograd.tensor([0.5]))
        True
    """
    return input.is_nonzero()


def is_same_size(input, other) -> bool:
    """True if the two tensors have the same shape.

    Example:
        >>> autograd.is_same_size(autograd.zeros(2, 3), autograd.ones(2, 3))
        True
    """
    return input.is_same_size(other)


def is_signed(input) -> bool:
    """True if ``input``'s dtype can hold negative numbers (False for uint8 and bool).

    Example:
        >>> autograd.is_signed(autograd.tensor([1], dtype=autograd.uint8))
        False
    """
    return input.is_signed()


def detach(input) -> Tensor:
    """A tensor sharing ``input``'s data, cut from the graph (no ``grad_fn``, no gradient).

    Example:
        >>> y = autograd.tensor([1.0], requires_grad=True) * 2
        >>> autograd.detach(y).requires_grad
        False
    """
    return input.detach()


def get_device(input) -> int:
    """The CUDA device index of ``input``; -1 for a CPU tensor (all tensors here).

    Example:
        >>> autograd.get_device(autograd.zeros(1))
        -1
    """
    return input.get_device()


def typename(obj) -> str:
    """torch's name for the type of ``obj``: ``'torch.FloatTensor'`` for a float32 tensor,
    ``'int'`` for built-ins, ``'module.Class'`` for other objects."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of ``shapes`` broadcast to (torch's error when they cannot).

    Example:
        >>> autograd.broadcast_shapes((2, 1), (3,))
        autograd.Size([2, 3])
    """
    from .ops._util import broadcast_shapes as _broadcast

    return Size(_broadcast(*[tuple(s) if hasattr(s, "__iter__") else (s,) for s in shapes]))


# ``import autograd as torch; torch.autograd.grad(...)`` works too.
autograd = _sys.modules[__name__]


from .serialization import save, load  # noqa: E402

_LAZY_SUBMODULES = (
    "compiler",
    "viz",
    "utils",
    "datasets",
    "transforms",
    "metrics",
    "kernels",
    "training",
    "functional",
    "func",
    "cuda",
    "accelerator",
    "backends",
    "mps",
    "version",
    "distributions",
    "amp",
    "forward_ad",
)


def __getattr__(name):
    if name == "bfloat16":  # created on first use: ml_dtypes is slow to import
        from . import dtypes

        return dtypes.bfloat16
    # torch's top-level names for autocast and vmap live in autograd.amp / autograd.func
    if name in _amp.TOP_LEVEL_NAMES:
        return getattr(_amp, name)
    if name == "vmap":
        from .func import vmap

        return vmap
    # ``autograd.viz`` / ``autograd.utils.data`` ... import on first use, so that
    # ``import autograd`` stays cheap (no matplotlib, graphviz or numba at import time).
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
