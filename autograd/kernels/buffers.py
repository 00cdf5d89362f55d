"""Reuse of large output arrays (issue 3: "avoid re-allocating large temporaries").

Why: the OS zero-fills each 4 KiB page of fresh memory on first touch, and glibc keeps
handing out fresh memory for large arrays. It serves every block above its mmap threshold
(at most 32 MiB on 64-bit Linux) with a fresh ``mmap`` that ``free`` gives straight back;
smaller blocks come from its heap, but when more than the trim threshold (twice the mmap
threshold) is free at the top of the heap, it gives that back too. A training step frees
all of its temporaries at the end of its backward, so the next step touches new pages
again: the small CNN of ``bench/bench_training.py`` (a few MB per activation) took ~2000
minor page faults per step, and a 40 MB kernel output costs as long in page faults as the
kernel itself takes, before it writes a single value (``bench/bench_activation.py``;
bench/README.md). Only outputs of at least ``MIN_BYTES`` pass through here: smaller ones
are cheap to fault in, and glibc reuses them within a step anyway.

How: arrays handed out by ``empty`` are also kept in a short list. An array is free for
reuse when nothing but this list refers to it, which Python's reference count tells
exactly (a view of it, a Tensor wrapping it, or a NumPy user holding ``.numpy()`` all
count). So reuse can never hand out memory that something can still see. The list holds
at most ``MAX_KEPT`` arrays and ``max_bytes`` in all (``set_max_bytes``; 0 turns reuse
off); ``empty_cache()`` lets go of everything, like ``torch.cuda.empty_cache``.

Example:
    >>> from autograd.kernels import buffers
    >>> a = buffers.empty((10_000_000,), "float32")   # 40 MB: kept for reuse
    >>> del a
    >>> b = buffers.empty((10_000_000,), "float32")   # the same memory, no page faults
"""

from __future__ import annotations

import math
import os
import threading
from sys import getrefcount

import numpy as np

MIN_BYTES = 256 << 10  # smaller arrays: a page fault costs little next to the work on them

_max_bytes = 256 << 20
MAX_KEPT = 64  # arrays kept at most (``empty`` looks through them all)
_kept: list = []  # most recently used last
_lock = threading.Lock()  # two threads must not both take the same free array


def _after_fork_in_child():
    """A forked child starts with a fresh lock and an empty list: another thread of the
    parent may have held the lock at the fork (the child, which has no such thread, would
    wait on it forever) and been half-way through changing the list."""
    global _lock
    _lock = threading.Lock()
    _kept.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

# References to a kept array that nothing else uses, when ``empty`` checks it: the list's,
# the loop variable's and ``getrefcount``'s argument (tests/test_kernels_buffers.py pins it).
_FREE_REFS = 3


def empty(shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array, like ``np.empty``; large ones reuse memory."""
    shape, dtype = tuple(shape), np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES or _max_bytes == 0:
        return np.empty(shape, dtype)
    with _lock:
        for i in range(len(_kept)):  # (not enumerate: its tuple would hold a reference)
            arr = _kept[i]
            if arr.shape == shape and arr.dtype == dtype and getrefcount(arr) <= _FREE_REFS:
                del _kept[i]
                _kept.append(arr)
                return arr
        arr = np.empty(shape, dtype)
        _kept.append(arr)
        _trim()
        return arr


def zeros(shape, dtype) -> np.ndarray:
    """``np.zeros`` from ``empty`` (a fresh zeroed array is new memory too: its pages fault
    in when first written, e.g. by a scatter-add kernel)."""
    out = empty(shape, dtype)
    out.fill(0)
    return out


def empty_like(x: np.ndarray) -> np.ndarray:
    """``empty(x.shape, x.dtype)``."""
    return empty(x.shape, x.dtype)


def _trim():
    """Drop the least recently used arrays until the list fits in ``_max_bytes`` and
    ``MAX_KEPT`` (arrays still in use just stop being tracked; their owners keep them)."""
    total = sum(a.nbytes for a in _kept)
    while _kept and (total > _max_bytes or len(_kept) > MAX_KEPT):
        total -= _kept.pop(0).nbytes


def set_max_bytes(n: int) -> None:
    """Keep at most ``n`` bytes of large arrays for reuse (0: no reuse)."""
    global _max_bytes
    if n < 0:
        raise ValueError(f"set_max_bytes: expected a byte count >= 0, got {n}")
    with _lock:
        _max_bytes = int(n)
        _trim()


def empty_cache() -> None:
    """Let go of every kept array (memory that is free goes back to the OS)."""
    with _lock:
        _kept.clear()


def kept_bytes() -> int:
    """Bytes currently kept (in use or free)."""
    with _lock:
        return sum(a.nbytes for a in _kept)
