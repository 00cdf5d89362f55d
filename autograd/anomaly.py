"""Anomaly detection: find the op whose backward produced nan.

Inside ``with autograd.detect_anomaly():`` every node records the stack of the forward
call that created it, and after each node's backward the engine checks the gradients it
produced. The first one holding a nan raises ``RuntimeError: Function 'DivBackward0' returned
nan values in its 1th output.`` and warns with the forward traceback (an inf passes, as in
torch: 1/x at 0 has a correct gradient of -inf).

Example:
    >>> import autograd
    >>> x = autograd.tensor(0.0, requires_grad=True)
    >>> with autograd.detect_anomaly():
    ...     y = x / x          # doctest: +SKIP
"""

from __future__ import annotations

from . import function as _function
from .function import ANOMALY_CHECK_NAN, ANOMALY_TRACE, _anomaly
from .grad_mode import _decorate


class detect_anomaly:
    """Context manager (and decorator) turning anomaly mode on; ``check_nan`` as in torch."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        _function._anomaly_used = True  # (nodes read the mode only once it was ever on)
        self._token = _anomaly.set(ANOMALY_CHECK_NAN if self.check_nan else ANOMALY_TRACE)
        return self

    def __exit__(self, *exc):
        _anomaly.reset(self._token)
        return False

    def __call__(self, fn):
        return _decorate(fn, lambda: detect_anomaly(self.check_nan))


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off for this thread (``check_nan=False``: on, without failing
    on nan gradients - the forward stacks are still recorded and named on an error)."""
    if mode:
        _function._anomaly_used = True
    _anomaly.set((ANOMALY_CHECK_NAN if check_nan else ANOMALY_TRACE) if mode else False)


def is_anomaly_enabled() -> bool:
    return bool(_anomaly.get())


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """``torch.set_anomaly_enabled``: the same switch as ``set_detect_anomaly``."""
    set_detect_anomaly(enabled, check_nan)


def is_anomaly_check_nan_enabled() -> bool:
    """False while anomaly mode is on with ``check_nan=False``; True otherwise, as in torch."""
    return _anomaly.get() != ANOMALY_TRACE
