"""Matrix products of small row counts: the same BLAS product, asked for in a faster layout.

NumPy hands a product ``a @ b`` of row-major ``a`` and transposed ``b`` (``x @ w.T`` in
``F.linear``, the weight gradient of a convolution) to OpenBLAS as one call whose output is
row-major. For a few rows (a batch of 32 through a wide layer) OpenBLAS's kernels for that
call run well below their speed on the same product asked for another way
(bench/bench_gemm.py measures every product of the benchmarked models):

* ``"swapped"``: ``(b^T @ a^T)^T``, the product computed column-major (BLAS's m and n
  exchanged), then copied row-major; for wide products (``k`` and ``n`` >= 128);
* ``"a_columns"``: ``a`` copied column-major first (both operands then transposed for
  BLAS); for smaller ones (``k * n`` <= 20,000, ``k`` >= 64), where copying ``a`` costs little.

The result is the row-major array ``np.matmul`` returns, with the same sums; only the order
in which BLAS adds the ``k`` products of each element may differ, so float32 results agree
with ``np.matmul``'s to rounding (tests/test_kernels_gemm.py). Only float32 is rerouted:
float64 products keep ``np.matmul``'s exact bits. No Numba here: the work stays in BLAS.

Example:
    >>> import numpy as np
    >>> a, w = np.ones((32, 784), np.float32), np.ones((512, 784), np.float32)
    >>> choose(a, w.T)
    'swapped'
    >>> matmul(a, w.T).flags.c_contiguous
    True
"""

from __future__ import annotations

import numpy as np

_F32 = np.dtype(np.float32)
MIN_ROWS, MAX_ROWS = 8, 32  # products of other row counts keep NumPy's call
MIN_K, MIN_COLS = 64, 128  # nor do products of fewer terms per element or narrower results


def choose(a: np.ndarray, b: np.ndarray) -> str | None:
    """The layout to compute ``a @ b`` in: ``"swapped"``, ``"a_columns"`` or None (NumPy's
    own call). ``a`` and ``b`` are float32 stacks of matrices (or matrices) whose shapes
    fit; ``a``'s matrices must be row-major and ``b``'s transposed views of row-major ones."""
    m, k = a.shape[-2:]
    n = b.shape[-1]
    if not MIN_ROWS <= m <= MAX_ROWS or n < MIN_COLS or k < MIN_K or a.size == 0 or b.size == 0:
        return None
    if m >= 16 and n <= 256 and k * n <= 20_000:
        how = "a_columns"
    elif k >= 128:
        how = "swapped"
    else:
        return None
    item = a.itemsize  # (the layouts last: most products stop at the sizes above)
    if a.strides[-1] != item or a.strides[-2] != k * item:
        return None
    if b.strides[-2] != item or b.strides[-1] != k * item:
        return None
    return how


def supports(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``matmul`` reroutes ``a @ b`` (float32 operands of 2+ dims whose matrix
    shapes fit and whose layouts and sizes ``choose`` picks a layout for)."""
    return (
        a.dtype == _F32
        and b.dtype == _F32
        and a.ndim >= 2
        and b.ndim >= 2
        and MIN_ROWS <= a.shape[-2] <= MAX_ROWS  # (most products stop here, cheaply)
        and a.shape[-1] == b.shape[-2]
        and choose(a, b) is not None
    )


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b)`` (row-major result) computed in the layout ``choose`` picks."""
    how = choose(a, b)
    if how == "swapped":
        ct = np.matmul(np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2))
        return np.ascontiguousarray(np.swapaxes(ct, -1, -2))
    if how == "a_columns":
        a_cols = np.swapaxes(np.ascontiguousarray(np.swapaxes(a, -1, -2)), -1, -2)
        return np.matmul(a_cols, b)
    return np.matmul(a, b)


def warmup(dtype="float32") -> None:
    """Nothing to compile (the family has no Numba kernels)."""
