"""Process-wide switches that PyTorch scripts set in their first lines: float32 matmul
precision, deterministic algorithms (and their debug mode), warn-always, flushing denormals,
the legacy default tensor type. (``autograd.compile``, also set up there, is
``autograd.compiler.compile``.)

jitgrad always computes float32 matmuls in full float32 and is deterministic on the CPU, so
these switches are accepted and remembered (a script that reads them back sees what it set),
and change nothing.

Example:
    >>> import autograd
    >>> autograd.set_float32_matmul_precision("high"); autograd.get_float32_matmul_precision()
    'high'
"""

from __future__ import annotations

import warnings

__all__ = [
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode",
    "get_deterministic_debug_mode",
    "set_warn_always",
    "is_warn_always_enabled",
    "set_flush_denormal",
    "set_default_tensor_type",
]


_state = {
    "matmul_precision": "highest",
    "deterministic": False,
    "warn_only": False,
    "warn_always": False,
}


def set_float32_matmul_precision(precision: str) -> None:
    """Remembered only: float32 matmuls are always computed in float32 here."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Remembered only: every op here is deterministic on the CPU already."""
    if not isinstance(mode, bool):
        raise TypeError(
            f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
            f"bool, not {type(mode).__name__}"
        )
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


_DEBUG_MODES = ("default", "warn", "error")


def set_deterministic_debug_mode(debug_mode) -> None:
    """``"default"``/0, ``"warn"``/1 or ``"error"``/2: ``use_deterministic_algorithms`` off,
    on with ``warn_only``, or on (as torch; remembered only, see the module docstring)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, "
                f"`error`, but got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0, 1 or 2 as set by ``set_deterministic_debug_mode`` (or ``use_deterministic_algorithms``)."""
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_warn_always(b: bool) -> None:
    """Remembered: torch then repeats warnings it would give once (ours are Python warnings,
    which Python's own filters decide)."""
    _state["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return _state["warn_always"]


def set_flush_denormal(mode: bool) -> bool:
    """Returns False: torch's answer when the CPU cannot be set to flush denormal numbers to
    zero; NumPy offers no control over the floating-point unit's flush mode."""
    return False


def set_default_tensor_type(t) -> None:
    """Deprecated in torch (warns as there): sets the default dtype from a legacy type
    (``autograd.DoubleTensor``) or its name (``"torch.DoubleTensor"``)."""
    from . import dtypes, legacy

    warnings.warn(
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
        UserWarning,
        stacklevel=2,
    )
    if isinstance(t, str):
        t = getattr(legacy, t.rpartition(".")[2], None)
    dtype = getattr(t, "dtype", None)
    if dtype is None or not dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    dtypes.set_default_dtype(dtype)
