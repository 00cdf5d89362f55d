"""Process-wide switches that PyTorch scripts set in their first lines: ``compile``,
float32 matmul precision, deterministic algorithms.

``compile`` is ``autograd.compiler.compile``, the JIT of docs/compile.md (imported
on first use: ``import autograd`` stays cheap). jitgrad always computes float32 matmuls in full float32 and is
deterministic on the CPU, so the other switches are accepted and remembered (a script that
reads them back sees what it set), and change nothing.

Example:
    >>> import autograd
    >>> autograd.set_float32_matmul_precision("high"); autograd.get_float32_matmul_precision()
    'high'
"""
from __future__ import annotations

import warnings

__all__ = ["compile", "set_float32_matmul_precision", "get_float32_matmul_precision",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled"]

def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",  # noqa: A001
            mode=None, options=None, disable: bool = False):
    """``torch.compile``: trace a function, a training step or a module once and replay it
    (``autograd.compiler.compile`` has the details; docs/compile.md the design)."""
    from .compiler import compile as _compile
    return _compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                    options=options, disable=disable)


_state = {"matmul_precision": "highest", "deterministic": False, "warn_only": False}


def set_float32_matmul_precision(precision: str) -> None:
    """Remembered only: float32 matmuls are always computed in float32 here."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Remembered only: every op here is deterministic on the CPU already."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]
