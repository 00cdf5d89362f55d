"""Linear algebra, part 3: functions of a matrix -- matrix_power (repeated squaring, built on
matmul and inv) and matrix_exp (scaling and squaring with a Pade approximant; its VJP is
another matrix exponential, of a block matrix, so it is differentiable to any order).
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..tensor import Tensor
from .. import amp as _amp
from . import xp as _xp
from ._util import as_tensor_operand
from .linalg import _square_batch, matmul
from .linalg_solve import _matrices, _mT, _well_conditioned, inv
from .registry import OpInfo, Sample, register

__all__ = ["matrix_power", "matrix_exp"]
LINALG = ["matrix_power", "matrix_exp"]


# ---- matrix_power / matrix_exp ------------------------------------------------------------
def matrix_power(A, n: int) -> Tensor:
    """``A`` to the integer power ``n`` (batched) by repeated squaring; ``n = 0`` gives the
    identity, ``n < 0`` the power of the inverse.

    Example:
        >>> autograd.linalg.matrix_power(autograd.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    a = as_tensor_operand(A)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:  # (integer matrices are fine for n >= 0)
        _square_batch(a, "linalg.matrix_power: ")
    n = int(n)
    if n == 0:  # the identity, with a zero gradient (like torch)
        from .compare import where

        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a._data.dtype), a.shape)
        return where(Tensor._make(np.ones(a.shape, bool)), Tensor._make(eye.copy()), a)
    if n == 1:
        return a.clone()
    if n < 0:
        a = inv(a)
        n = -n
    result, base = None, a
    while n:  # binary exponentiation: A^13 = A^8 A^4 A
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152  # largest 1-norm for which the [13/13] Pade approximant is exact
#                               to double precision (Higham 2005)


def _np_matrix_exp(a: np.ndarray) -> np.ndarray:
    """exp(A) by scaling and squaring with the [13/13] Pade approximant (Higham 2005): scale
    A by 2^-s until its 1-norm is below theta_13, approximate, square s times."""
    if a.size == 0:
        return a.copy()
    finite = np.isfinite(a).all(axis=(-2, -1))
    if not finite.all():  # NaN or inf entries: NaN results, as torch (and no endless squaring)
        out = _np_matrix_exp(np.where(finite[..., None, None], a, 0))
        return np.where(finite[..., None, None], out, np.nan).astype(a.dtype)
    norm = np.abs(a).sum(-2).max(-1)
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / _THETA13))).astype(np.int64)
    a = a / (2.0**s)[..., None, None].astype(a.dtype)
    b = _PADE13
    eye = np.eye(a.shape[-1], dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (
        a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye
    )
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for k in range(int(s.max())):  # each matrix squared as often as it was scaled
        r = np.where((s > k)[..., None, None], r @ r, r)
    return r.astype(a.dtype, copy=False)


class LinalgMatrixExp(Op):
    """exp(A). Backward: the derivative of exp at A^T applied to g, which is the upper-right
    block of exp([[A^T, g], [0, A^T]]) -- another matrix_exp, so differentiable again."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _np_matrix_exp(a)

    @staticmethod
    def backward(ctx, g, xp):
        (a,) = ctx.saved_tensors
        n = g.shape[-1]
        at = _mT(a, xp)
        top = xp.cat([at, g], -1)
        bottom = xp.cat([xp.zeros_like(at), at], -1)
        e = xp.matrix_exp(xp.cat([top, bottom], -2))
        return xp.narrow(xp.narrow(e, -2, 0, n), -1, n, n)


_xp.define("matrix_exp", numpy=_np_matrix_exp, tensor=LinalgMatrixExp.apply)


@_amp.float32_precision
def matrix_exp(A) -> Tensor:
    """The matrix exponential exp(A) = I + A + A^2/2! + ... (batched).

    Example:
        >>> autograd.linalg.matrix_exp(autograd.tensor([[0.0, 1.0], [0.0, 0.0]]))
        tensor([[1., 1.],
                [0., 1.]])
    """
    return LinalgMatrixExp.apply(_matrices(A, "linalg.matrix_exp"))


# ---- registry ------------------------------------------------------------------------------
_LINALG = dict(namespace="autograd.linalg", method=False, family="linalg_func")
_TOP = dict(family="linalg_func")


def _power_samples(rng):
    w = _well_conditioned
    return [
        Sample(rng.normal(size=(3, 3)), 3),
        Sample(rng.normal(size=(2, 2, 2)), 0),
        Sample(w(rng, 3, 3), -2),
        Sample(rng.normal(size=(3, 3)), 1),
        Sample(rng.normal(size=(2, 3, 3)), 6),
    ]


register(
    OpInfo(
        "matrix_power", matrix_power, ref=np.linalg.matrix_power, samples=_power_samples, **_LINALG
    )
)
register(
    OpInfo(
        "matrix_power",
        matrix_power,
        ref=np.linalg.matrix_power,
        **_TOP,
        samples=lambda rng: [Sample(rng.normal(size=(3, 3)), 2)],
    )
)


def _ref_matrix_exp(a):
    """exp(A) by scaling, a 30-term Taylor series and squaring (independent of the Pade code)."""
    a = np.asarray(a, np.float64)
    s = int(max(0, np.ceil(np.log2(max(np.abs(a).sum(-2).max(initial=0), 1e-300))) + 1))
    x = a / 2.0**s
    term = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    total = term.copy()
    for k in range(1, 30):
        term = term @ x / k
        total = total + term
    for _ in range(s):
        total = total @ total
    return total


def _exp_samples(rng):
    return [
        Sample(rng.normal(size=(3, 3)) * 0.3),
        Sample(rng.normal(size=(2, 3, 3)) * 2.0),
        Sample(rng.normal(size=(1, 1))),
        Sample(rng.normal(size=(2, 0, 0))),
    ]


register(OpInfo("matrix_exp", matrix_exp, ref=_ref_matrix_exp, samples=_exp_samples, **_LINALG))
register(
    OpInfo(
        "matrix_exp",
        matrix_exp,
        ref=_ref_matrix_exp,
        **_TOP,
        samples=lambda rng: [Sample(rng.normal(size=(2, 2)))],
    )
)
