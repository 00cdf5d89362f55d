"""masked_fill with a mask over the trailing dims: ``out = value where mask else x``.

The common case is attention's causal mask: scores ``(B, heads, T, T)`` and one ``(T, T)``
mask, the same for every (batch, head). NumPy's reference (``x.copy()``, then
``np.copyto(out, value, where=mask)``) writes the array twice and broadcasts the mask
through a masked-copy loop; this kernel sees ``x`` as ``(rows, M)`` and the mask as ``(M,)``
(``M`` the mask's size) and writes each element once, a select that vectorises. The values
are the same either way (each output element is one input element or ``value``), so the
kernel is bit-identical to the reference. The backward of masked_fill is this same fill
with ``value = 0`` (the gradient, zeroed where the mask holds).
"""

from __future__ import annotations

import numba
import numpy as np

from .parallel import kernel

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@kernel
def fill_rows(x, mask, value, out):
    """out[r, j] = value if mask[j] else x[r, j] for x, out (R, M) and mask (M,) bool."""
    for r in numba.prange(x.shape[0]):
        xr, yr = x[r], out[r]
        for j in range(xr.size):
            yr[j] = value if mask[j] else xr[j]


def supports(mask: np.ndarray, x: np.ndarray) -> bool:
    """A float32/float64 C-contiguous ``x`` and a bool C-contiguous ``mask`` of ``x``'s
    trailing shape (a mask with fewer or size-1 dims, a strided one: the NumPy path)."""
    return (
        x.dtype in FLOATS
        and mask.dtype == np.bool_
        and x.size > 0
        and 0 < mask.ndim <= x.ndim
        and x.shape[x.ndim - mask.ndim :] == mask.shape
        and x.flags.c_contiguous
        and mask.flags.c_contiguous
    )


def masked_fill(x: np.ndarray, mask: np.ndarray, value) -> np.ndarray:
    """A new array: ``value`` where ``mask`` (``x``'s trailing shape) holds, ``x`` elsewhere
    (``supports(mask, x)`` must hold).

    Example:
        >>> masked_fill(np.ones((2, 2)), np.array([True, False]), -1.0).tolist()
        [[-1.0, 1.0], [-1.0, 1.0]]
    """
    out = np.empty_like(x)
    m = mask.size
    fill_rows(x.reshape(-1, m), mask.reshape(m), x.dtype.type(value), out.reshape(-1, m))
    return out
