"""Devices, as a CPU-only build of PyTorch has them.

jitgrad computes on the CPU only, yet PyTorch scripts begin with device boilerplate::

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device); x = x.to(device, non_blocking=True)

So ``autograd.device`` parses every device string torch parses, ``device=`` is accepted
wherever torch takes it, and asking for a device we do not have fails the way a CPU build
of torch 2.13 fails, with its exception type and message (people search for those), plus a
hint. Which failure depends on the device type and on whether a tensor is *made* there
(``zeros(2, device="mps")``) or *moved* there (``x.to("mps")``), as in torch.

Example:
    >>> import autograd
    >>> d = autograd.device("cuda" if autograd.cuda.is_available() else "cpu")
    >>> d, str(d), autograd.zeros(2, device=d).device
    (device(type='cpu'), 'cpu', device(type='cpu'))
"""

from __future__ import annotations

import re

__all__ = ["device", "set_default_device", "get_default_device", "DeviceUnavailableError"]

# The device types torch's parser knows, in its own order (its error message lists them).
_TYPES = (
    "cpu",
    "cuda",
    "ipu",
    "xpu",
    "mkldnn",
    "opengl",
    "opencl",
    "ideep",
    "hip",
    "ve",
    "fpga",
    "maia",
    "xla",
    "lazy",
    "vulkan",
    "mps",
    "meta",
    "hpu",
    "mtia",
    "privateuseone",
)
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?")
# Device types whose missing backend torch reports with "Torch not compiled with X enabled".
_COMPILED_IN = {"cuda": "CUDA", "xpu": "XPU", "mtia": "MTIA"}
# The others have no backend in a CPU build; torch names the dispatch key when a tensor is
# made there.
_DISPATCH_NAME = {
    "mps": "MPS",
    "hip": "HIP",
    "xla": "XLA",
    "lazy": "Lazy",
    "ipu": "IPU",
    "vulkan": "Vulkan",
    "ve": "VE",
    "maia": "MAIA",
    "meta": "Meta",
}
_HINT = (
    "jitgrad runs on the CPU only; use device='cpu' (e.g. "
    "device = 'cuda' if torch.cuda.is_available() else 'cpu')."
)


class DeviceUnavailableError(AssertionError, RuntimeError):
    """A device this build has no backend for (torch raises ``AssertionError`` for CUDA in a
    CPU build; this is also a ``RuntimeError`` so either ``except`` catches it)."""


class device:
    """Where a tensor lives (``torch.device``): ``device("cpu")``, ``device("cuda:1")``,
    ``device("cuda", 1)``. Any type torch knows can be *named*; only ``cpu`` holds tensors.

    Used as a context manager it sets the default device of factories inside the block.

    Example:
        >>> autograd.device("cuda", 1), str(autograd.device("cuda:1")), autograd.device("cpu").type
        (device(type='cuda', index=1), 'cuda:1', 'cpu')
    """

    __slots__ = ("_type", "_index", "_previous")

    def __init__(self, type, index=None):  # torch's argument name
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): a device object takes no index")
            type, index = type._type, type._index
        elif isinstance(type, bool) or not isinstance(type, (str, int)):
            raise TypeError(
                f"device() received an invalid combination of arguments - got "
                f"({_type_name(type)}), expected a string such as 'cpu' or "
                "'cuda:0', or a device"
            )
        elif isinstance(type, int):
            # An integer names an accelerator device; a CPU build has none.
            raise RuntimeError("Cannot access accelerator device when none is available.")
        else:
            m = _DEVICE_STRING.fullmatch(type)
            if m is None:
                raise RuntimeError(f"Invalid device string: '{type}'")
            if m.group(1) not in _TYPES:
                raise RuntimeError(
                    f"Expected one of {', '.join(_TYPES)} device type at start of "
                    f"device string: {type}"
                )
            if m.group(2) is not None:
                if index is not None:
                    raise RuntimeError(
                        "type (string) must not include an index because index "
                        f"was passed explicitly: {type}"
                    )
                index = int(m.group(2))
            type = m.group(1)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(
                    f"device(): argument 'index' (position 2) must be int, not {_type_name(index)}"
                )
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self._type = type
        self._index = index
        self._previous = None

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self):
        return self._index

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __eq__(self, other):
        # torch compares devices with devices only: device("cpu") == "cpu" is False there.
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (self._type, self._index))

    def __enter__(self):
        global _default
        self._previous = _default
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        global _default
        _default = self._previous
        return False


def _type_name(obj) -> str:
    return "NoneType" if obj is None else type(obj).__name__


CPU = device("cpu")
_default = None  # None: the CPU; otherwise the device set by set_default_device


def as_device(d) -> device:
    """``d`` (a device, a string or an int) as a device object, with torch's parse errors."""
    return d if isinstance(d, device) else device(d)


def set_default_device(device_) -> None:
    """Set the device factories use when given no ``device=`` (``torch.set_default_device``).

    Setting ``"cuda"`` is accepted, as torch does; factories then fail as they would with
    ``device="cuda"``. ``None`` restores the CPU.

    Example:
        >>> autograd.set_default_device("cpu"); autograd.get_default_device()
        device(type='cpu')
    """
    global _default
    _default = None if device_ is None else as_device(device_)
    if _default is not None and _default.type == "cpu":
        _default = None


def get_default_device() -> device:
    """The device factories use when given none (``torch.get_default_device``)."""
    return CPU if _default is None else _default


def _hinted(torch_message: str) -> str:
    return torch_message + ("" if torch_message.endswith(".") else ".") + " " + _HINT


def unavailable(d: device, *, moving: bool) -> Exception:
    """The exception torch's CPU build raises for a tensor made on (``moving=False``) or
    moved to (``moving=True``) device ``d``, which is not the CPU: torch's message, then
    our hint."""
    if d.type in _COMPILED_IN:
        return DeviceUnavailableError(
            _hinted(f"Torch not compiled with {_COMPILED_IN[d.type]} enabled")
        )
    if d.type == "meta":
        return NotImplementedError(
            "jitgrad has no 'meta' device (tensors without data); make the tensor on the CPU"
        )
    if moving and d.type != "lazy":
        return RuntimeError(_hinted(f"PyTorch is not linked with support for {d.type} devices"))
    name = _DISPATCH_NAME.get(d.type, d.type)
    return NotImplementedError(
        _hinted(
            f"Could not run 'aten::empty.memory_format' with arguments from the '{name}' backend."
        )
    )


def check(device_=None, *, fn: str = "tensor") -> None:
    """Raise unless a tensor can be made on ``device_`` (None: the default device).

    Called by every factory; cheap when nothing is set (the common case).
    """
    if device_ is None:
        if _default is None:
            return
        device_ = _default
    elif not isinstance(device_, (device, str, int)) or isinstance(device_, bool):
        raise TypeError(
            f"{fn}(): argument 'device' must be torch.device, not {_type_name(device_)}"
        )
    d = as_device(device_)
    if d.type != "cpu":
        raise unavailable(d, moving=False)


def check_move(device_) -> None:
    """Raise unless a tensor or module can be moved to ``device_`` (``.to(device)``)."""
    if device_ is None:
        return
    d = as_device(device_)
    if d.type != "cpu":
        raise unavailable(d, moving=True)


def check_pin_memory(pin_memory) -> None:
    """``pin_memory=True`` on a factory: torch's CPU build has no pinned-memory allocator."""
    if pin_memory:
        raise RuntimeError(
            "pin_memory=True requires a CUDA or other accelerator backend; no "
            "pinned memory allocator is available on this system."
        )


def no_accelerator() -> RuntimeError:
    return RuntimeError("Cannot access accelerator device when none is available.")


_TO_SIGNATURES = (
    " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, "
    "bool copy = False, *, torch.memory_format memory_format = None)\n"
    " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None)\n"
)


def _arg_type(a) -> str:
    from .dtypes import dtype

    if isinstance(a, dtype):
        return "torch.dtype"
    if isinstance(a, device):
        return "torch.device"
    return _type_name(a)


def parse_to(args, kwargs):
    """Read the arguments of ``Tensor.to`` / ``Module.to`` as torch does.

    Returns ``(device, dtype, non_blocking, copy)``; ``device`` is None or a checked
    device. Three forms: ``to(device=None, dtype=None, non_blocking=False, copy=False)``,
    ``to(dtype, non_blocking=False, copy=False)``, ``to(tensor, non_blocking=False,
    copy=False)``; ``memory_format=`` is accepted (every tensor here is contiguous).
    A string is always a device, as in torch (``x.to("float32")`` is an invalid device).
    """
    from . import dtypes as _dt

    def invalid():
        got = [_arg_type(a) for a in args] + [f"{k}={_arg_type(v)}" for k, v in kwargs.items()]
        return TypeError(
            "to() received an invalid combination of arguments - got ("
            + ", ".join(got)
            + (", " if kwargs else "")
            + "), but expected one "
            "of:\n" + _TO_SIGNATURES
        )

    def is_dtype(a):
        if isinstance(a, _dt.dtype):
            return True
        if a is None or isinstance(a, (str, int, device)) or hasattr(a, "_data"):
            return False
        try:  # NumPy dtypes and scalar types are accepted as a convenience
            _dt.as_dtype(a)
            return True
        except TypeError:
            return False

    def is_device(a):
        return a is None or (isinstance(a, (str, int, device)) and not isinstance(a, bool))

    allowed = {"non_blocking", "copy", "memory_format"}
    first = args[0] if args else None
    if args and hasattr(first, "_data") and hasattr(first, "grad_fn"):  # a Tensor
        names = ("tensor", "non_blocking", "copy")
    elif args and is_dtype(first):
        names = ("dtype", "non_blocking", "copy")
    else:
        names = ("device", "dtype", "non_blocking", "copy")
        allowed |= {"device", "dtype"}
    if len(args) > len(names) or any(k not in allowed for k in kwargs):
        raise invalid()
    got = dict(zip(names, args))
    for k, v in kwargs.items():
        if k in got:
            raise invalid()
        got[k] = v
    dev, dt = got.get("device"), got.get("dtype")
    if "tensor" in got:
        dt = got["tensor"].dtype
    if not is_device(dev) or not (dt is None or is_dtype(dt)):
        raise invalid()
    for k in ("non_blocking", "copy"):
        if not isinstance(got.get(k, False), bool):
            raise invalid()
    if dev is not None:
        check_move(dev)
    return (
        dev,
        (None if dt is None else _dt.as_dtype(dt)),
        got.get("non_blocking", False),
        got.get("copy", False),
    )
