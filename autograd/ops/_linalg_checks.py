"""The dtype names and checks the linear-algebra families share.

``_name``/``_same_dtype`` give torch's dtype mismatch messages (matmul and its special cases,
blas, distance, the norms); ``_square_batch`` and ``_check_b_against`` are the
factorisations' checks (linalg_cholesky, linalg_solve, linalg_det, linalg_decomp ...), whose
error, ``LinAlgError``, is in linalg.py. linalg.py re-exports every name here.
"""

from __future__ import annotations

from ..errors import DTypeError, ShapeError
from ..tensor import _C_NAMES, _SCALAR_NAMES, Tensor


# the dtype names torch prints: C++ scalar types ("expected m1 and m2 to have the same dtype")
# and ScalarType names
_CPP_NAMES, _TORCH_NAMES = _C_NAMES, _SCALAR_NAMES


def _name(t: Tensor, table) -> str:
    return table.get(t._data.dtype.name, t._data.dtype.name)


def _same_dtype(a: Tensor, b: Tensor, message: str, names=_TORCH_NAMES) -> None:
    """torch's DTypeError when ``a`` and ``b`` differ in dtype: ``message`` with ``{0}`` and
    ``{1}`` replaced by the names torch prints for their dtypes (``names``: ``Float``,
    ``Double`` ...; ``_CPP_NAMES``: ``float``, ``double`` ...)."""
    if a._data.dtype != b._data.dtype:
        raise DTypeError(message.format(_name(a, names), _name(b, names)))


# ---- the checks the factorisations share (linalg_cholesky, linalg_solve ...) -------
def _square_batch(t: Tensor, op: str) -> Tensor:
    """torch's checks for a (batch of) square floating matrices; ``op`` prefixes the message.
    Returns ``t``."""
    if t.ndim < 2:
        raise ShapeError(f"{op}The input tensor A must have at least 2 dimensions.")
    if t.shape[-1] != t.shape[-2]:
        raise ShapeError(
            f"{op}A must be batches of square matrices, but they are "
            f"{t.shape[-2]} by {t.shape[-1]} matrices"
        )
    if not t.is_floating_point():
        raise DTypeError(
            f"{op}Expected a floating point or complex tensor as input. Got "
            f"{_name(t, _TORCH_NAMES)}"
        )
    return t


def _check_b_against(b: Tensor, a: Tensor, op: str):
    """torch's checks of the right-hand side ``b`` against the square ``a`` (``op``:
    triangular_solve, cholesky_solve): as many rows as ``a``, the same dtype."""
    if b.shape[-2] != a.shape[-1]:
        raise ShapeError(
            f"Incompatible matrix sizes for {op}: each A matrix is {a.shape[-1]} by "
            f"{a.shape[-1]} but each b matrix is {b.shape[-2]} by {b.shape[-1]}"
        )
    _same_dtype(
        b,
        a,
        "Expected b and A to have the same dtype, but found b of type {0} and A of type {1} "
        "instead.",
    )
