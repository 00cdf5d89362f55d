"""Linear algebra: what is built on the SVD for rectangular and rank-deficient matrices --
torch.linalg's pinv, lstsq, matrix_rank, cond and torch's pinverse.

``LinalgPinv`` is the one primitive (its VJP is the standard one for the pseudo-inverse,
written with ``xp`` ops, so it is differentiable again); lstsq, matrix_rank and cond are
compositions of it, of solves and of the singular values. The decompositions themselves
(QR, SVD, eigh) are in linalg_decomp.py.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..function import Op
from ..tensor import Tensor
from .. import amp as _amp
from ._util import as_tensor_operand
from .linalg import _square_batch, matmul
from .linalg_solve import _array, _mT, _spd, _well_conditioned
from .registry import OpInfo, Sample, register
from .linalg_decomp import (
    _eigh,
    _floating_matrices,
    _np_svd,
    _refuse_nonfinite,
    _svd,
    svdvals,
)

__all__ = ["pinverse"]
# torch.linalg-only names (exported by autograd.linalg)
LINALG = ["pinv", "lstsq", "matrix_rank", "cond"]
_LINALG = dict(namespace="autograd.linalg", method=False, family="linalg_lstsq")
_TOP = dict(family="linalg_lstsq")


# ---- pinv / lstsq / matrix_rank / cond ------------------------------------------------------
def _tolerances(a: Tensor, atol, rtol):
    """torch's defaults: with neither given, rtol = eps * max(m, n); with only a positive
    atol, rtol = 0."""
    atol = 0.0 if atol is None else _array(atol)
    if rtol is None:
        rtol = (
            0.0 if np.any(np.asarray(atol) > 0) else np.finfo(a._data.dtype).eps * max(a.shape[-2:])
        )
    dt = a._data.dtype
    return np.asarray(atol, dt), np.asarray(_array(rtol), dt)


def _np_pinv(a, atol, rtol, hermitian):
    """Pseudo-inverse from the SVD (the eigendecomposition when ``hermitian``), keeping the
    singular values above max(atol, rtol * largest)."""
    if hermitian:
        w, v = _eigh(a)
        big = np.abs(w)
        cut = np.maximum(atol[..., None], rtol[..., None] * big.max(-1, initial=0)[..., None])
        inv_w = np.where(big > cut, 1 / np.where(big > cut, w, 1), 0)
        return (v * inv_w[..., None, :]) @ np.swapaxes(v, -1, -2)
    u, s, vh = _svd(a, full_matrices=False)
    cut = np.maximum(atol[..., None], rtol[..., None] * s.max(-1, initial=0)[..., None])
    inv_s = np.where(s > cut, 1 / np.where(s > cut, s, 1), 0)
    return (np.swapaxes(vh, -1, -2) * inv_s[..., None, :]) @ np.swapaxes(u, -1, -2)


class LinalgPinv(Op):
    """The Moore-Penrose pseudo-inverse P of A. Backward (valid while the rank does not
    change): with g^T written G, for m <= n
    gA = -(P K)^T + K P^T - A P K P^T + P^T P (G - K A), K = G P (m x m);
    the transposed formula for m > n. Made of A and P only, so differentiable again."""

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        p = _np_pinv(a, atol, rtol, hermitian)
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, g, xp):
        a, p = ctx.saved_tensors
        pt, gt = _mT(p, xp), _mT(g, xp)
        mm = xp.matmul
        if a.shape[-2] <= a.shape[-1]:
            k = mm(gt, p)
            kpt = mm(k, pt)
            return -_mT(mm(p, k), xp) + kpt - mm(mm(a, p), kpt) + mm(mm(pt, p), gt - mm(k, a))
        k = mm(p, gt)
        ptk = mm(pt, k)
        return -_mT(mm(k, p), xp) + mm(mm(gt - mm(a, k), p), pt) + ptk - mm(mm(ptk, p), a)


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse (batched): singular values at or below
    ``max(atol, rtol * largest)`` count as zero (default ``rtol = eps * max(m, n)``). With
    ``hermitian=True`` A is taken as symmetric (lower triangle read).

    Example:
        >>> autograd.linalg.pinv(autograd.tensor([[1.0, 0.0], [0.0, 0.0]]))
        tensor([[1., 0.],
                [0., 0.]])
    """
    a = as_tensor_operand(A)
    if a.ndim < 2 or not a.is_floating_point() or a._data.dtype.itemsize < 4:
        from .linalg import _CPP_NAMES

        kind = {"float32": "Float", "float64": "Double"}.get(
            a._data.dtype.name, _CPP_NAMES.get(a._data.dtype.name, a.dtype.name).title()
        )
        kind = {"Long Int": "Long", "C10::Half": "Half"}.get(kind, kind)
        raise RuntimeError(
            f"linalg.pinv({kind}{{{list(a.shape)}}}): expected a tensor with 2 "
            "or more dimensions of float, double, cfloat or cdouble types"
        )
    # under autocast torch computes it in float32 and returns the autocast dtype (its last
    # step is a matmul, which runs in low precision)
    return _amp.cast_to_autocast_dtype(_pinv(a, atol, rtol, hermitian))


@_amp.float32_precision
def _pinv(a, atol, rtol, hermitian):
    atol, rtol = _tolerances(a, atol, rtol)
    return LinalgPinv.apply(a, atol=atol, rtol=rtol, hermitian=bool(hermitian))


@_amp.float32_precision
def pinverse(input, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: ``autograd.linalg.pinv(input, rtol=rcond)``.

    Example:
        >>> autograd.tensor([[2.0, 0.0]]).pinverse()
        tensor([[0.5000],
                [0.0000]])
    """
    a = as_tensor_operand(input)
    pinv(Tensor._make(a._data[..., :0, :0]))  # (torch's argument checks)
    return _pinv(a, None, rcond, False)


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


@_amp.float32_precision
def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A X = B`` (the minimum-norm one when A is rank deficient),
    batched. Returns ``(solution, residuals, rank, singular_values)`` as torch does on the
    CPU: ``residuals`` (squared, per column) for drivers other than the default ``'gelsy'``
    when m > n and A has full rank; ``rank`` except for ``'gels'``; ``singular_values`` for
    ``'gelsd'``/``'gelss'``; the others are empty. Gradients are those of ``pinv(A) @ B``.

    Example:
        >>> A = autograd.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> autograd.linalg.lstsq(A, autograd.tensor([[1.0], [1.0], [2.0]])).solution
        tensor([[1.],
                [1.]])
    """
    from .. import return_types

    a, b = as_tensor_operand(A), as_tensor_operand(B)
    if a.ndim < 2:
        raise ShapeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    vector = b.ndim == a.ndim - 1
    b2 = b.unsqueeze(-1) if vector else b
    if b2.ndim < 2 or b2.shape[-2] != a.shape[-2]:
        raise ShapeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    a = _floating_matrices(a, "torch.linalg.lstsq", "gelsy")
    m, n = a.shape[-2:]
    eps = np.finfo(a._data.dtype).eps
    rtol = eps * max(m, n) if rcond is None or rcond < 0 else rcond
    x = matmul(pinv(a, rtol=rtol), b2)
    dt = a._data.dtype
    empty = Tensor._make(np.zeros((0,), dt))
    s = _svd(a._data, compute_uv=False)
    rank_np = (s > rtol * s.max(-1, initial=0)[..., None]).sum(-1)
    residuals = empty
    if driver != "gelsy" and m > n and np.all(rank_np == n):
        residuals = ((matmul(a, x) - b2) ** 2).sum(-2)
    rank = (
        Tensor._make(np.zeros((0,), np.int64))
        if driver == "gels"
        else Tensor._make(np.asarray(rank_np, np.int64))
    )
    sv = Tensor._make(s) if driver in ("gelsd", "gelss") else empty
    return return_types.linalg_lstsq(x.squeeze(-1) if vector else x, residuals, rank, sv)


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above ``max(atol, rtol * largest)`` (default
    ``rtol = eps * max(m, n)``), as an int64 tensor; batched.

    Example:
        >>> autograd.linalg.matrix_rank(autograd.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(1)
    """
    a = as_tensor_operand(A)
    if a.ndim < 2:
        raise ShapeError(
            "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions."
        )
    if not a.is_floating_point():
        raise RuntimeError("This function doesn't handle types other than float and double")
    atol, rtol = _tolerances(a, atol, rtol)
    s = np.abs(_eigh(a._data)[0]) if hermitian else _svd(a._data, compute_uv=False)
    cut = np.maximum(atol, rtol * s.max(-1, initial=0))
    return Tensor._make(np.asarray((s > cut[..., None]).sum(-1), np.int64))


@_amp.float32_precision
def cond(A, p=None) -> Tensor:
    """The condition number of ``A`` in the norm ``p``: for None / 2 / -2 the ratio of the
    extreme singular values (any shape); for 'fro', 'nuc', inf, -inf, 1, -1
    ``norm(A, p) * norm(inv(A), p)`` (square A). Infinite for a singular matrix.

    Example:
        >>> autograd.linalg.cond(autograd.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor(4.)
    """
    from .linalg_norm import matrix_norm

    a = as_tensor_operand(A)
    if a.ndim < 2:
        raise ShapeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p is None or p in (2, -2):
        s = svdvals(a)
        big, small = s[..., 0], s[..., -1]
        return small / big if p == -2 else big / small
    if a.shape[-1] != a.shape[-2]:
        _square_batch(a, f"linalg.cond(ord={p}): ")
    from .linalg_solve import inv_ex

    inverse, info = inv_ex(a)
    result = matrix_norm(a, p) * matrix_norm(inverse, p)
    bad = info._data != 0
    if bad.any():  # singular: infinite, like torch
        from .compare import where

        result = where(Tensor._make(bad), Tensor._make(np.array(np.inf, a._data.dtype)), result)
    return result


def _pinv_samples(rng):
    n = rng.normal
    return [
        Sample(n(size=(3, 4))),
        Sample(n(size=(4, 3))),
        Sample(_well_conditioned(rng, 2, 3, 3)),
        Sample(n(size=(3, 2)), atol=1e-8),
        Sample(n(size=(2, 2)), rtol=1e-10),
    ]


register(
    OpInfo(
        "pinv",
        pinv,
        ref=lambda a, atol=None, rtol=None: _ref_pinv(a),
        **_LINALG,
        samples=_pinv_samples,
    )
)
register(
    OpInfo(
        "pinverse",
        pinverse,
        ref=lambda a, rcond=1e-15: _ref_pinv(a),
        **_TOP,
        samples=lambda rng: [Sample(rng.normal(size=(2, 3)))],
    )
)


def _ref_pinv(a):
    """``np.linalg.pinv`` (an SVD) after ``_refuse_nonfinite``."""
    _refuse_nonfinite(a)
    return np.linalg.pinv(a)


def _ref_lstsq(a, b, rcond=None, driver=None):
    vector = b.ndim == a.ndim - 1
    b2 = b[..., None] if vector else b
    x = _ref_pinv(a) @ b2
    m, n = a.shape[-2:]
    s = _np_svd(a, compute_uv=False)
    rank = np.asarray((s > np.finfo(a.dtype).eps * max(m, n) * s[..., :1]).sum(-1), np.int64)
    driver = driver or "gelsy"
    res = ((a @ x - b2) ** 2).sum(-2) if driver != "gelsy" and m > n else np.zeros(0, a.dtype)
    return (
        x[..., 0] if vector else x,
        res,
        np.zeros(0, np.int64) if driver == "gels" else rank,
        s if driver in ("gelsd", "gelss") else np.zeros(0, a.dtype),
    )


register(
    OpInfo(
        "lstsq",
        lstsq,
        ref=_ref_lstsq,
        **_LINALG,
        grad_outputs=lambda out: out[:2],
        samples=lambda rng: [
            Sample(rng.normal(size=(4, 3)), rng.normal(size=(4, 2))),
            Sample(rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), driver="gelsd"),
            Sample(rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5)), driver="gels"),
            Sample(rng.normal(size=(2, 3)), rng.normal(size=(2, 1)), driver="gelss"),
        ],
    )
)
register(
    OpInfo(
        "matrix_rank",
        matrix_rank,
        differentiable=False,
        **_LINALG,
        ref=lambda a, hermitian=False: np.asarray(
            np.linalg.matrix_rank(a, hermitian=hermitian), np.int64
        ),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4))),
            Sample(np.array([[1.0, 2.0], [2.0, 4.0]])),
            Sample(_spd(rng, 2, 3, 3), hermitian=True),
        ],
    )
)


def _torch_cond(torch, a, p=None):
    """torch.linalg.cond; for the norms that need the inverse, the same formula written out
    (torch 2.13's own backward fails there: it modifies the inverse in place)."""
    if p is None or p in (2, -2):
        return torch.linalg.cond(a, p)
    return torch.linalg.matrix_norm(a, p) * torch.linalg.matrix_norm(torch.linalg.inv(a), p)


register(
    OpInfo(
        "cond",
        cond,
        ref=lambda a, p=None: np.linalg.cond(a, p),
        **_LINALG,
        torch_fn=_torch_cond,
        samples=lambda rng: [
            Sample(_well_conditioned(rng, 3, 3)),
            Sample(rng.normal(size=(2, 3, 4))),
            Sample(_well_conditioned(rng, 3, 3), "fro"),
            Sample(_well_conditioned(rng, 2, 3, 3), 1),
            Sample(_well_conditioned(rng, 3, 3), float("inf")),
            Sample(_well_conditioned(rng, 3, 3), "nuc"),
            Sample(_well_conditioned(rng, 3, 3), -2),
        ],
    )
)
