"""``autograd.accelerator``: torch's device-agnostic accelerator API, with no accelerator.

Recent PyTorch scripts select their device with::

    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"

Here ``is_available()`` is False and ``current_accelerator()`` None, as in torch's CPU build;
calls that need an accelerator raise its error ("Cannot access accelerator device when none
is available.").

Example:
    >>> import autograd
    >>> autograd.accelerator.is_available(), autograd.accelerator.current_accelerator()
    (False, None)
"""

from __future__ import annotations

from .devices import no_accelerator

__all__ = [
    "is_available",
    "current_accelerator",
    "device_count",
    "current_device_index",
    "current_device_idx",
    "set_device_index",
    "set_device_idx",
    "device_index",
    "synchronize",
    "current_stream",
    "empty_cache",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "memory_stats",
    "reset_peak_memory_stats",
    "get_memory_info",
]


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator's device type, or None: there is none."""
    return None


def device_count() -> int:
    return 0


def _needs_accelerator(*args, **kwargs):
    raise no_accelerator()


# Everything below acts on the current accelerator, which does not exist.
current_device_index = current_device_idx = set_device_index = set_device_idx = _needs_accelerator
synchronize = current_stream = empty_cache = _needs_accelerator
memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = _needs_accelerator
memory_stats = reset_peak_memory_stats = get_memory_info = _needs_accelerator


class device_index:
    """``with torch.accelerator.device_index(i):``; ``None`` does nothing, an index fails."""

    def __init__(self, device):
        self.idx = device

    def __enter__(self):
        if self.idx is not None:
            raise no_accelerator()
        return None

    def __exit__(self, *exc):
        return False
