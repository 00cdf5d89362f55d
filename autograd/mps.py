"""``autograd.mps``: Apple-GPU (Metal) namespace of a build without MPS, as torch's CPU build.

Example:
    >>> import autograd
    >>> autograd.mps.is_available(), autograd.mps.device_count()
    (False, 0)
"""

from __future__ import annotations

__all__ = [
    "is_available",
    "device_count",
    "manual_seed",
    "seed",
    "synchronize",
    "empty_cache",
    "get_rng_state",
    "set_rng_state",
    "current_allocated_memory",
    "driver_allocated_memory",
    "recommended_max_memory",
]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed) -> None:
    """Accepted and ignored, as torch does without MPS."""
    int(seed)


def _without_mps(what):
    def fail(*args, **kwargs):
        raise RuntimeError(f"Cannot execute {what}() without MPS backend.")

    fail.__name__ = what
    return fail


seed = get_rng_state = set_rng_state = _without_mps("getDefaultGenerator")
synchronize = _without_mps("deviceSynchronize")
empty_cache = _without_mps("emptyCache")
current_allocated_memory = _without_mps("getCurrentAllocatedMemory")
driver_allocated_memory = _without_mps("getDriverAllocatedMemory")
recommended_max_memory = _without_mps("getRecommendedMaxMemory")
