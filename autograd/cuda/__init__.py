"""``autograd.cuda``: the ``torch.cuda`` namespace of a CPU-only build.

jitgrad has no GPU backend. Scripts still ask ``torch.cuda.is_available()`` (False here),
seed the GPUs (``manual_seed_all``: accepted and ignored, as torch does without CUDA) and
read memory counters (0). Anything that needs a GPU fails exactly as in torch's CPU build:
``AssertionError: Torch not compiled with CUDA enabled`` (here a
``devices.DeviceUnavailableError``, which is both an ``AssertionError`` and a
``RuntimeError``).

``autograd.cuda.amp`` (torch's deprecated ``torch.cuda.amp``) gives ``autocast`` and
``GradScaler`` that switch themselves off with torch's warnings.

Example:
    >>> import autograd
    >>> autograd.cuda.is_available(), autograd.cuda.device_count()
    (False, 0)
    >>> autograd.cuda.manual_seed_all(0)   # accepted, nothing to seed
"""

from __future__ import annotations

import collections
import warnings

from ..devices import as_device, unavailable

__all__ = [
    "is_available",
    "device_count",
    "is_initialized",
    "init",
    "manual_seed",
    "manual_seed_all",
    "seed",
    "seed_all",
    "initial_seed",
    "get_rng_state",
    "get_rng_state_all",
    "set_rng_state",
    "set_rng_state_all",
    "synchronize",
    "current_device",
    "set_device",
    "get_device_name",
    "get_device_properties",
    "get_device_capability",
    "device",
    "device_of",
    "empty_cache",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "max_memory_reserved",
    "memory_cached",
    "memory_stats",
    "reset_peak_memory_stats",
    "reset_max_memory_allocated",
    "mem_get_info",
    "is_bf16_supported",
    "get_arch_list",
    "default_generators",
    "current_stream",
    "Stream",
    "Event",
]

default_generators: tuple = ()


def _not_compiled() -> Exception:
    return unavailable(as_device("cuda"), moving=False)


def is_available() -> bool:
    """False: jitgrad computes on the CPU only."""
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def get_arch_list() -> list:
    return []


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


# ---- seeding: accepted and ignored, as in torch without CUDA --------------------------------
def manual_seed(seed) -> None:
    """Accepted (the seed must be an int, as in torch); there is no GPU generator to seed."""
    int(seed)


def manual_seed_all(seed) -> None:
    int(seed)


def seed() -> None:
    return None


def seed_all() -> None:
    return None


def get_rng_state_all() -> list:
    return []


def set_rng_state(new_state, device="cuda") -> None:
    return None


def set_rng_state_all(new_states) -> None:
    return None


# ---- memory counters: zero, nothing allocated on a GPU --------------------------------------
def empty_cache() -> None:
    return None


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def max_memory_reserved(device=None) -> int:
    return 0


def memory_cached(device=None) -> int:
    warnings.warn(
        "`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`",
        FutureWarning,
        stacklevel=2,
    )
    return 0


def memory_stats(device=None) -> "collections.OrderedDict":
    return collections.OrderedDict()


# ---- everything that needs a GPU: torch's CPU-build error -----------------------------------
def init() -> None:
    raise _not_compiled()


def synchronize(device=None) -> None:
    raise _not_compiled()


def current_device() -> int:
    raise _not_compiled()


def set_device(device) -> None:
    raise _not_compiled()


def get_device_name(device=None) -> str:
    raise _not_compiled()


def get_device_properties(device=None):
    raise _not_compiled()


def get_device_capability(device=None):
    raise _not_compiled()


def initial_seed() -> int:
    raise _not_compiled()


def get_rng_state(device="cuda"):
    raise _not_compiled()


def mem_get_info(device=None):
    raise _not_compiled()


def reset_peak_memory_stats(device=None) -> None:
    raise _not_compiled()


def reset_max_memory_allocated(device=None) -> None:
    raise _not_compiled()


def current_stream(device=None):
    raise _not_compiled()


class Stream:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("torch.cuda.Stream requires CUDA support")


class Event:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("Tried to instantiate dummy base class Event")


class device:
    """``with torch.cuda.device(i):`` selects a GPU; there is none, so entering fails."""

    def __init__(self, device):
        self.idx = device

    def __enter__(self):
        raise _not_compiled()

    def __exit__(self, *exc):
        return False


class device_of(device):
    """``torch.cuda.device_of(tensor)``: a no-op for CPU tensors, as in torch."""

    def __init__(self, obj):
        super().__init__(-1)

    def __enter__(self):
        return self


def __getattr__(name):
    # ``autograd.cuda.amp`` on first use (it imports autograd.amp)
    if name == "amp":
        import importlib

        return importlib.import_module(f"{__name__}.amp")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
