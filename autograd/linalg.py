"""``autograd.linalg``: linear algebra with ``torch.linalg``'s names, arguments and results.

Every function takes batches of matrices (leading dimensions), is differentiable (twice, too)
where torch's is, raises torch's errors (``LinAlgError`` for a singular or non-positive-
definite matrix) and returns torch's named tuples (``slogdet`` -> ``(sign, logabsdet)``,
``eigh`` -> ``(eigenvalues, eigenvectors)`` ...). The ops themselves live in
``autograd/ops/linalg*.py``; this module only gathers them.

Example:
    >>> import autograd
    >>> A = autograd.tensor([[4.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> autograd.linalg.solve(A, autograd.tensor([5.0, 4.0]))
    tensor([1., 1.], grad_fn=<ViewBackward0>)
    >>> autograd.linalg.det(A).backward()               # d det(A) / dA = det(A) A^-T
    >>> A.grad
    tensor([[ 3., -1.],
            [-1.,  4.]])
"""

from .ops.linalg import LinAlgError, matmul
from .ops.linalg_cholesky import cholesky
from .ops.linalg_solve import (
    inv,
    inv_ex,
    solve,
    solve_ex,
    cholesky_ex,
    solve_triangular,
    tensorinv,
    tensorsolve,
)
from .ops.linalg_det import det, linalg_slogdet as slogdet
from .ops.linalg_func import matrix_power, matrix_exp
from .ops.linalg_decomp import linalg_qr as qr, linalg_svd as svd, svdvals, eigh, eigvalsh
from .ops.linalg_lstsq import pinv, lstsq, matrix_rank, cond
from .ops.linalg_norm import (
    vector_norm,
    matrix_norm,
    norm,
    linalg_cross as cross,
    diagonal,
    multi_dot,
    vecdot,
    linalg_vander as vander,
)

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "inv_ex",
    "lstsq",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]
