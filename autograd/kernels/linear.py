"""The linear layer's bias add: ``out[r, :] += b`` for every row of the product ``x @ w.T``.

``F.linear`` on a batch of rows is one ``Addmm`` (autograd/ops/linalg.py): a BLAS product,
then the bias added to each row in place. NumPy's broadcast add ``out += b`` runs its inner
loop once per row, with the loop's setup each time; on the short rows of small models
(64-256 features) that setup costs more than the adds. This kernel runs the same adds in
one loop nest. Each output element gets exactly one addition either way, so the result is
bit-identical to NumPy's (tests/test_kernels_linear.py).
"""

from __future__ import annotations

import numba
import numpy as np

from .parallel import kernel

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@kernel
def add_rows_(out, b):
    """out[r, j] += b[j] for out (rows, n) and b (n,), in place."""
    for r in numba.prange(out.shape[0]):
        o = out[r]
        for j in range(o.size):
            o[j] += b[j]


def supports(out: np.ndarray, b: np.ndarray) -> bool:
    """A float32/float64 C-contiguous matrix ``out`` and a C-contiguous vector ``b`` of its
    dtype and row length (anything else: NumPy's ``out += b``)."""
    return (
        out.dtype in FLOATS
        and b.dtype == out.dtype
        and out.ndim == 2
        and b.shape == out.shape[1:]
        and out.size > 0
        and out.flags.c_contiguous
        and b.flags.c_contiguous
    )


def warmup(dtype="float32") -> None:
    """Compile (or load from cache) the kernel for one dtype."""
    add_rows_(np.zeros((2, 3), dtype), np.ones(3, dtype))
