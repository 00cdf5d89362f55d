"""Linear algebra: the Cholesky factorisation (cholesky) and triangular solves
(triangular_solve, and the ``xp.solve_triangular`` the other VJPs use).

``Cholesky``'s VJP is written with triangular solves, which are differentiable again
(``SolveTriangular``), so both have gradients of any order. cholesky_solve,
cholesky_inverse and cholesky_ex are in linalg_solve.py; the checks and ``LinAlgError``
shared by the factorisations in linalg.py.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..function import Op
from ..tensor import Tensor
from . import xp as _xp
from ._util import as_tensor_operand
from .registry import OpInfo, Sample, register
from .. import amp as _amp
from .linalg import LinAlgError, _check_b_against, _square_batch

__all__ = ["cholesky", "triangular_solve"]


def _triangle(a: np.ndarray, upper: bool, unitriangular: bool) -> np.ndarray:
    """The triangle of ``a`` a triangular solve reads (the rest is ignored, as in LAPACK)."""
    tri = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        idx = np.arange(a.shape[-1])
        tri[..., idx, idx] = 1
    return tri


def _np_solve_triangular(a, b, upper, unitriangular):
    """Substitution, row by row (vectorised over batches and right-hand sides), as BLAS trsm
    does: a zero on the diagonal gives inf/nan like torch, not an error (an LU solve would
    refuse the singular matrix)."""
    n = a.shape[-1]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    a = np.broadcast_to(a, shape[:-2] + a.shape[-2:])
    x = np.array(np.broadcast_to(b, shape), dtype=np.result_type(a, b))
    rows = range(n - 1, -1, -1) if upper else range(n)
    for i in rows:
        done = slice(i + 1, n) if upper else slice(0, i)
        if (upper and i < n - 1) or (not upper and i > 0):
            x[..., i, :] -= np.einsum("...j,...jk->...k", a[..., i, done], x[..., done, :])
        if not unitriangular:
            x[..., i, :] /= a[..., i, i, None]
    return x


class SolveTriangular(Op):
    """X = A^-1 B for a triangular A (only its ``upper``/lower triangle is read; with
    ``unitriangular`` its diagonal is taken as ones). Backward: gB = A^-T g (a triangular
    solve with the transpose) and gA = -gB X^T restricted to the triangle that was read."""

    @staticmethod
    def forward(ctx, a, b, upper, unitriangular):
        x = _np_solve_triangular(a, b, upper, unitriangular)
        ctx.save_for_backward(a, x)
        ctx.upper, ctx.unitriangular = upper, unitriangular
        ctx.a_shape, ctx.b_shape = a.shape, b.shape  # (batch dims broadcast: sum back)
        return x

    @staticmethod
    def backward(ctx, g, xp):
        a, x = ctx.saved_tensors
        upper, unit = ctx.upper, ctx.unitriangular
        gb = xp.solve_triangular(xp.transpose(a, -1, -2), g, not upper, unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -xp.matmul(gb, xp.transpose(x, -1, -2))
            ga = xp.triu(ga, 1 if unit else 0) if upper else xp.tril(ga, -1 if unit else 0)
            ga = xp.sum_to(ga, ctx.a_shape)
        return ga, xp.sum_to(gb, ctx.b_shape) if ctx.needs_input_grad[1] else None


def _solve_triangular(a, b, upper, unitriangular=False) -> Tensor:
    return SolveTriangular.apply(a, b, upper=bool(upper), unitriangular=bool(unitriangular))


_xp.define("solve_triangular", numpy=_np_solve_triangular, tensor=_solve_triangular)


@_amp.float32_precision
def triangular_solve(
    b, A, upper: bool = True, transpose: bool = False, unitriangular: bool = False
):
    """Solve ``A X = b`` (``A^T X = b`` with ``transpose``) for a triangular ``A``; batched,
    with broadcasting batch dimensions. Returns ``(solution, cloned_coefficient)`` like
    ``torch.triangular_solve``. Only the upper (or lower) triangle of ``A`` is read.

    Example:
        >>> A = autograd.tensor([[2.0, 1.0], [0.0, 4.0]])
        >>> autograd.triangular_solve(autograd.tensor([[3.0], [4.0]]), A).solution
        tensor([[1.],
                [1.]])
    """
    from .. import return_types

    A, b = as_tensor_operand(A), as_tensor_operand(b)
    if b.ndim < 2:
        raise ShapeError(
            "torch.triangular_solve: Expected b to have at least 2 dimensions, but "
            f"it has {b.ndim} dimensions instead"
        )
    _square_batch(A, "")
    _check_b_against(b, A, "triangular_solve")
    coef = A.transpose(-1, -2) if transpose else A
    x = _solve_triangular(coef, b, upper != transpose, unitriangular)
    # like torch, the returned copy of A has the broadcast batch shape
    return return_types.triangular_solve(x, A.expand(x.shape[:-2] + A.shape[-2:]).clone())


class Cholesky(Op):
    """L with A = L L^T for a symmetric positive-definite A (only its lower triangle is
    read). Backward (Murray 2016): with P = L^T gL, lower triangle, diagonal halved,
    gA = sym(L^-T P L^-1), written with triangular solves so it is differentiable again."""

    @staticmethod
    def forward(ctx, a):
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise _not_positive_definite(a) from None
        ctx.save_for_backward(low)
        return low

    @staticmethod
    def backward(ctx, g, xp):
        (low,) = ctx.saved_tensors
        lt = xp.transpose(low, -1, -2)
        m = xp.matmul(lt, g)
        p = (xp.tril(m) + xp.tril(m, -1)) * 0.5  # lower triangle, diagonal halved
        y = xp.solve_triangular(lt, p, True, False)  # L^-T P
        s = xp.transpose(xp.solve_triangular(lt, xp.transpose(y, -1, -2), True, False), -1, -2)
        return (s + xp.transpose(s, -1, -2)) * 0.5


def _not_positive_definite(a):
    # find the first leading minor that fails, for torch's message (which names the batch
    # element when the input is a batch)
    batch = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(batch):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                where = f"(Batch element {i}): " if a.ndim > 2 else ""
                return LinAlgError(
                    f"linalg.cholesky: {where}The factorization could not be "
                    "completed because the input is not positive-definite (the "
                    f"leading minor of order {k} is not positive-definite)."
                )
    return LinAlgError(
        "linalg.cholesky: The factorization could not be completed because the "
        "input is not positive-definite."
    )


@_amp.float32_precision
def cholesky(input, upper: bool = False) -> Tensor:
    """The Cholesky factor of a symmetric positive-definite matrix (batched): lower ``L``
    with ``input = L @ L.mT``, or upper ``U = L.mT`` with ``upper=True``. Only the lower
    triangle of ``input`` is read. A matrix that is not positive-definite raises torch's
    error (naming the first leading minor that is not).

    Example:
        >>> autograd.cholesky(autograd.tensor([[4.0, 2.0], [2.0, 5.0]]))
        tensor([[2., 0.],
                [1., 2.]])
    """
    a = as_tensor_operand(input)
    _square_batch(a, "linalg.cholesky: ")
    low = Cholesky.apply(a)
    return low.transpose(-1, -2) if upper else low


def _triangular_samples(rng):
    def tri(shape, upper):
        a = rng.uniform(-1, 1, shape)
        a[..., np.arange(shape[-1]), np.arange(shape[-1])] += 3.0 * np.sign(
            rng.uniform(-1, 1, shape[:-1])
        )
        return a  # the other triangle is ignored: keep it random

    return [
        Sample(rng.normal(size=(3, 2)), tri((3, 3), True)),
        Sample(rng.normal(size=(3, 2)), tri((3, 3), False), upper=False),
        Sample(rng.normal(size=(2, 3, 1)), tri((3, 3), True), transpose=True),
        Sample(rng.normal(size=(3, 4)), tri((2, 3, 3), False), upper=False, unitriangular=True),
        Sample(rng.normal(size=(3, 0)), tri((3, 3), True)),
    ]


def _ref_triangular_solve(b, a, upper=True, transpose=False, unitriangular=False):
    tri = _triangle(a, upper, unitriangular)
    if transpose:
        tri = np.swapaxes(tri, -1, -2)
    x = np.linalg.solve(tri, b)
    return x, np.broadcast_to(a, x.shape[:-2] + a.shape[-2:])


def _torch_triangular_solve(torch, *args, **kwargs):
    import warnings

    with warnings.catch_warnings():  # deprecated in torch, in favour of linalg's
        warnings.simplefilter("ignore", UserWarning)
        return torch.triangular_solve(*args, **kwargs)


register(
    OpInfo(
        "triangular_solve",
        triangular_solve,
        ref=_ref_triangular_solve,
        samples=_triangular_samples,
        family="linalg_cholesky",
        torch_fn=_torch_triangular_solve,
    )
)
