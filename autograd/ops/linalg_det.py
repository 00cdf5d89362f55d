"""Linear algebra: determinants -- torch.linalg's det and slogdet, torch's det, slogdet and
logdet (batched over leading dimensions).

The primitives are ``LinalgDet`` and ``LinalgSlogdet``; their VJPs are written with ``xp``
ops, so each is differentiable again. At an exactly singular matrix ``det`` and ``slogdet``
return 0 and (0, -inf); their gradient there uses the cofactor matrix (from the SVD) as a
constant: det's gradient is the cofactor matrix (where torch returns zeros at an exactly
singular matrix) and logabsdet's is cofactor / 0 (infinite, like torch); second derivatives
at an exactly singular matrix are not available (they are zero here). Inverses and solves
are in linalg_solve.py.
"""

from __future__ import annotations

import numpy as np

from ..function import MultiOutputOp, Op
from ..tensor import Tensor
from .. import amp as _amp
from ._util import as_tensor_operand
from .linalg import _square_batch
from .registry import OpInfo, Sample, register
from .linalg_solve import (
    _array,
    _lapack_dtype,
    _mT,
    _matrices,
    _square_samples,
    _well_conditioned,
)

__all__ = ["det", "slogdet", "logdet"]
# torch.linalg-only names (exported by autograd.linalg)
LINALG = ["det", "slogdet"]
_LINALG = dict(namespace="autograd.linalg", method=False, family="linalg_det")
_TOP = dict(family="linalg_det")


def _batch_matrix(x, xp):
    """``x[..., None, None]``: a per-matrix scalar that multiplies whole matrices."""
    return xp.unsqueeze(xp.unsqueeze(x, -1), -1)


def _cofactor(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix det(A) A^-T, also where A is singular, from A = U S V^T:
    det(U) det(V) U diag(prod_{j != i} s_j) V^T."""
    if not np.all(np.isfinite(a)):
        return np.full(a.shape, np.nan, a.dtype)
    from .linalg_decomp import _svd

    u, s, vh = _svd(a)
    n = s.shape[-1]
    others = (
        np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], -1) if n else s
    )
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return (u * (sign[..., None] * others)[..., None, :]) @ vh


# ---- det / slogdet / logdet ---------------------------------------------------------------
def _det_grad_factor(a, det, singular, xp):
    """det(A) A^-T -- the cofactor matrix -- when ``det`` is given, else A^-T. Where A is
    exactly singular (``singular``: LU found a zero pivot, as torch checks) the cofactor comes
    from the SVD, as a constant; A^-T = cofactor / 0 is then infinite, as in torch."""
    if not np.any(singular):
        inv_t = _mT(xp.inv(a), xp)
        return inv_t if det is None else _batch_matrix(det, xp) * inv_t
    arr = _array(a)
    cof = _cofactor(arr)
    if det is None:
        cof = cof / np.linalg.det(arr)[..., None, None]
    return xp.asarray(cof)


class LinalgDet(Op):
    """det(A) from the LU factorisation. Backward: g det(A) A^-T (Jacobi's formula)."""

    @staticmethod
    def forward(ctx, a):
        d = np.linalg.det(a)
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g, xp):
        a, d = ctx.saved_tensors
        return _batch_matrix(g, xp) * _det_grad_factor(a, d, _array(d) == 0, xp)


@_amp.float32_precision
def det(A) -> Tensor:
    """The determinant of a square matrix (batched).

    Example:
        >>> autograd.linalg.det(autograd.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(-2.)
    """
    return LinalgDet.apply(_matrices(A, "linalg.det"))


class LinalgSlogdet(MultiOutputOp):
    """(sign, log|det A|). Backward (through logabsdet; the sign is piecewise constant):
    g A^-T."""

    @staticmethod
    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        ctx.save_for_backward(a, sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, grads, xp):
        g = grads[1]
        if g is None:
            return None
        a, sign = ctx.saved_tensors
        return _batch_matrix(g, xp) * _det_grad_factor(a, None, _array(sign) == 0, xp)


@_amp.float32_precision
def linalg_slogdet(A):
    """``(sign, logabsdet)`` of the determinant, with ``det = sign * exp(logabsdet)``: the
    logarithm without overflow for large matrices. A singular matrix gives (0, -inf).

    Example:
        >>> autograd.linalg.slogdet(autograd.tensor([[-2.0, 0.0], [0.0, 3.0]]))
        autograd.return_types.linalg_slogdet(
        sign=tensor(-1.),
        logabsdet=tensor(1.7918))
    """
    from .. import return_types

    a = _matrices(A, "linalg.slogdet")
    return return_types.linalg_slogdet(*LinalgSlogdet.apply(a))


@_amp.float32_precision
def slogdet(input):
    """``torch.slogdet``: the same as ``autograd.linalg.slogdet``, ``(sign, logabsdet)``.

    Example:
        >>> autograd.tensor([[2.0, 0.0], [0.0, 0.5]]).slogdet().logabsdet
        tensor(0.)
    """
    from .. import return_types

    return return_types.slogdet(*linalg_slogdet(input))


@_amp.float32_precision
def logdet(input) -> Tensor:
    """log(det(input)): nan where the determinant is negative, -inf where it is 0.

    Example:
        >>> autograd.logdet(autograd.tensor([[2.0, 0.0], [0.0, 3.0]]))
        tensor(1.7918)
    """
    a = as_tensor_operand(input)
    _square_batch(a, "logdet: ")
    _lapack_dtype(a, "logdet")
    sign, logabs = LinalgSlogdet.apply(a)
    from .compare import where

    return where(
        Tensor._make(sign._data < 0), Tensor._make(np.array(np.nan, a._data.dtype)), logabs
    )


def _one_matrix(rng):
    # the top-level det and slogdet: their batches are tested under torch.linalg's names
    return [Sample(_well_conditioned(rng, 3, 3))]


register(OpInfo("det", det, ref=np.linalg.det, samples=_square_samples, **_LINALG))
register(OpInfo("det", det, ref=np.linalg.det, samples=_one_matrix, **_TOP))
register(
    OpInfo(
        "slogdet",
        linalg_slogdet,
        ref=np.linalg.slogdet,
        **_LINALG,
        samples=lambda rng: [
            Sample(_well_conditioned(rng, 3, 3) * [[-1], [1], [1]]),
            Sample(_well_conditioned(rng, 2, 4, 4)),
        ],
    )
)
register(OpInfo("slogdet", slogdet, ref=np.linalg.slogdet, samples=_one_matrix, **_TOP))


def _ref_logdet(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.where(sign < 0, np.nan, logabs)  # log of a negative determinant: nan, as torch


register(
    OpInfo(
        "logdet",
        logdet,
        ref=_ref_logdet,
        **_TOP,
        samples=lambda rng: [
            Sample(_well_conditioned(rng, 3, 3)),
            Sample(_well_conditioned(rng, 2, 2, 2)),
        ],
    )
)
