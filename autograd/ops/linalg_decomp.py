"""Linear algebra, part 3: decompositions -- QR, SVD, symmetric eigendecomposition -- and
svdvals, eigvalsh; torch's svd and qr. What is built on them for rectangular and
rank-deficient matrices (pinv, lstsq, matrix_rank, cond) is in linalg_lstsq.py.

``LinalgQr``, ``LinalgSvd`` and ``LinalgEigh`` have several differentiable outputs
(``MultiOutputOp``): their VJP gets one gradient per output, None for an output that was not
used. The VJPs are the standard ones, written with ``xp`` ops so they are differentiable again:

* eigh, A = V diag(w) V^T:  gA = V (diag(gw) + F o (V^T gV)) V^T, symmetrised, with
  F_ij = 1 / (w_j - w_i) off the diagonal;
* svd, A = U diag(s) Vh:  gA = U (diag(gs) + (J s_j + s_i K) / (s_j^2 - s_i^2)) Vh plus the
  parts of gU, gVh outside the spans of U and V, where J, K are the antisymmetric parts of
  U^T gU and Vh gVh^T;
* qr, A = Q R (m >= n):  gA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q
  (copyltu: the symmetric matrix with M's lower triangle); a wide A is split as [X | Y].

Degenerate spectra, as in torch: with repeated eigenvalues (singular values) the eigenvectors
(singular vectors) are not unique and F has infinite entries, so a loss that uses them gets
inf/nan gradients; eigenvalues and singular values alone (``eigvalsh``, ``svdvals``, or
eigh/svd with only those outputs used) have finite gradients, because then the VJP leaves F
out. Eigenvectors and singular vectors are only defined up to sign: here each eigenvector
(column of V, of U) has its largest-magnitude entry positive (and Vh's rows follow U's), so
results do not depend on the LAPACK build; torch returns LAPACK's signs.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..function import MultiOutputOp
from ..tensor import Tensor
from .. import amp as _amp
from ._util import as_tensor_operand
from .linalg import LinAlgError, _square_batch
from .linalg_solve import _array, _lapack_dtype, _mT
from .registry import OpInfo, Sample, register

__all__ = ["svd", "qr"]
LINALG = ["qr", "svd", "svdvals", "eigh", "eigvalsh"]


def _floating_matrices(A, op: str, kernel: str) -> Tensor:
    """At least 2-D floating input (rectangular matrices allowed), torch's messages."""
    a = as_tensor_operand(A)
    if a.ndim < 2:
        raise ShapeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if not a.is_floating_point():
        from .linalg import _TORCH_NAMES, _name

        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got "
            f"{_name(a, _TORCH_NAMES)}"
        )
    _lapack_dtype(a, op)
    return a


def _low(t: Tensor) -> str:
    """torch's name of a low-precision dtype."""
    return {"float16": "Half", "bfloat16": "BFloat16"}.get(t._data.dtype.name, t.dtype.name)


def _eye(x, n):
    return np.eye(n, dtype=_array(x).dtype)


def _lapack(fn, a, op, what, **kwargs):
    """``fn(a, **kwargs)`` (a NumPy LAPACK routine) with torch's error if it does not
    converge (NaN or infinite input, or a pathological matrix)."""
    try:
        return fn(a, **kwargs)
    except np.linalg.LinAlgError:
        if not np.all(np.isfinite(a)):
            why = "the input matrix contained non-finite values"
        else:
            why = f"the input matrix is ill-conditioned or has too many repeated {what}"
        raise LinAlgError(f"{op}: The algorithm failed to converge because {why}.") from None


def _refuse_nonfinite(a):
    """Raise LAPACK's own error for non-finite input before an SVD runs: LAPACK's SVD does not
    return at all on some matrices holding an inf (the iteration never converges and never
    gives up), so inf gets the error LAPACK gives NaN."""
    if not np.all(np.isfinite(a)):
        raise np.linalg.LinAlgError("SVD did not converge")


def _np_svd(a, **kwargs):
    """``np.linalg.svd`` after ``_refuse_nonfinite``."""
    _refuse_nonfinite(a)
    return np.linalg.svd(a, **kwargs)


def _svd(a, **kwargs):
    return _lapack(_np_svd, a, "linalg.svd", "singular values", **kwargs)


def _eigh(a, **kwargs):
    return _lapack(np.linalg.eigh, a, "linalg.eigh", "eigenvalues", **kwargs)


def _canonical_signs(v: np.ndarray) -> np.ndarray:
    """+-1 per column of ``v`` (shape (..., 1, k)) that makes each column's largest-magnitude
    entry positive."""
    if v.shape[-2] == 0:
        return np.ones(v.shape[:-2] + (1, v.shape[-1]), v.dtype)
    top = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
    return np.where(top < 0, -1, 1).astype(v.dtype)


# ---- eigh ----------------------------------------------------------------------------------
class LinalgEigh(MultiOutputOp):
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix; only the
    ``uplo`` triangle is read."""

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = _eigh(a, UPLO=uplo)
        v = v * _canonical_signs(v)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, grads, xp):
        gw, gv = grads
        w, v = ctx.saved_tensors
        eye = xp.asarray(_eye(w, v.shape[-1]))
        inner = 0
        if gv is not None:  # F o (V^T gV), F_ij = 1/(w_j - w_i), zero on the diagonal
            e = xp.unsqueeze(w, -2) - xp.unsqueeze(w, -1) + eye
            inner = xp.matmul(_mT(v, xp), gv) / e * (1 - eye)
        if gw is not None:
            inner = inner + xp.unsqueeze(gw, -2) * eye
        ga = xp.matmul(xp.matmul(v, inner), _mT(v, xp))
        return (ga + _mT(ga, xp)) * 0.5


def _uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO


def _eigh_input(A, UPLO):
    a = as_tensor_operand(A)
    _square_batch(a, "linalg.eigh: ")
    if a._data.dtype.itemsize < 4:
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{_low(a)}'")
    return a, _uplo(UPLO)


@_amp.float32_precision
def eigh(A, UPLO: str = "L"):
    """Eigenvalues (ascending) and eigenvectors (the columns of ``eigenvectors``) of a
    symmetric matrix, batched: ``A = V diag(w) V^T``. Only the lower (``UPLO='L'``) or upper
    triangle is read. Each eigenvector is returned with its largest-magnitude entry positive.

    Example:
        >>> w, V = autograd.linalg.eigh(autograd.tensor([[2.0, 1.0], [1.0, 2.0]]))
        >>> w
        tensor([1., 3.])
    """
    from .. import return_types

    a, uplo = _eigh_input(A, UPLO)
    return return_types.linalg_eigh(*LinalgEigh.apply(a, uplo=uplo))


@_amp.float32_precision
def eigvalsh(A, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of a symmetric matrix, batched; their gradient is finite
    even where eigenvalues repeat.

    Example:
        >>> autograd.linalg.eigvalsh(autograd.tensor([[2.0, 1.0], [1.0, 2.0]]))
        tensor([1., 3.])
    """
    a, uplo = _eigh_input(A, UPLO)
    return LinalgEigh.apply(a, uplo=uplo)[0]


# ---- svd -----------------------------------------------------------------------------------
class LinalgSvd(MultiOutputOp):
    """(U, S, Vh) with A = U diag(S) Vh, S descending. With ``full_matrices`` the gradient
    of the extra columns of U and rows of Vh is ignored (they are not unique), like torch."""

    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = _svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        sign = _canonical_signs(u)
        u = u * sign
        vh_sign = np.swapaxes(sign[..., :k], -1, -2)
        if vh.shape[-2] > k:  # full Vh: its extra rows get their own signs
            extra = np.swapaxes(_canonical_signs(np.swapaxes(vh[..., k:, :], -1, -2)), -1, -2)
            vh_sign = np.concatenate([vh_sign, extra], -2)
        vh = vh * vh_sign
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, grads, xp):
        gu, gs, gvh = grads
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        m, n = u.shape[-2], vh.shape[-1]
        if u.shape[-1] > k:  # full_matrices: only the first k columns / rows matter
            u = xp.narrow(u, -1, 0, k)
            gu = None if gu is None else xp.narrow(gu, -1, 0, k)
        if vh.shape[-2] > k:
            vh = xp.narrow(vh, -2, 0, k)
            gvh = None if gvh is None else xp.narrow(gvh, -2, 0, k)
        eye = xp.asarray(_eye(s, k))
        s_row, s_col = xp.unsqueeze(s, -2), xp.unsqueeze(s, -1)
        inner = 0
        if gu is not None or gvh is not None:
            if gu is not None:
                j = xp.matmul(_mT(u, xp), gu)
                inner = (j - _mT(j, xp)) * s_row
            if gvh is not None:
                kk = xp.matmul(vh, _mT(gvh, xp))
                inner = inner + s_col * (kk - _mT(kk, xp))
            inner = inner / (s_row * s_row - s_col * s_col + eye)
        if gs is not None:
            inner = inner + xp.unsqueeze(gs, -2) * eye
        ga = xp.matmul(xp.matmul(u, inner), vh)
        if gu is not None and m > k:  # (I - U U^T) gU S^-1 Vh
            proj = gu - xp.matmul(u, xp.matmul(_mT(u, xp), gu))
            ga = ga + xp.matmul(proj / s_row, vh)
        if gvh is not None and n > k:  # U S^-1 gVh (I - Vh^T Vh)
            proj = gvh - xp.matmul(xp.matmul(gvh, _mT(vh, xp)), vh)
            ga = ga + xp.matmul(u, proj / s_col)
        return ga


def _svd_input(A):
    a = as_tensor_operand(A)
    if a.ndim < 2:
        raise ShapeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if not a.is_floating_point():
        _square_batch(a if a.shape[-1] == a.shape[-2] else a[..., :1, :1], "linalg.svd: ")
    if a._data.dtype.itemsize < 4:
        raise NotImplementedError(f"\"linalg_svd_cpu\" not implemented for '{_low(a)}'")
    return a


@_amp.float32_precision
def linalg_svd(A, full_matrices: bool = True):
    """The singular value decomposition ``A = U diag(S) Vh`` (batched), ``S`` descending.
    ``full_matrices=False`` gives the reduced one (U: m x k, Vh: k x n, k = min(m, n)).
    Singular vectors are returned with U's largest-magnitude entry per column positive.

    Example:
        >>> U, S, Vh = autograd.linalg.svd(autograd.tensor([[3.0, 0.0], [0.0, -2.0]]))
        >>> S
        tensor([3., 2.])
    """
    from .. import return_types

    a = _svd_input(A)
    return return_types.linalg_svd(*LinalgSvd.apply(a, full_matrices=bool(full_matrices)))


@_amp.float32_precision
def svdvals(A) -> Tensor:
    """The singular values of ``A`` (descending, batched); their gradient is finite even
    where singular values repeat.

    Example:
        >>> autograd.linalg.svdvals(autograd.tensor([[3.0, 0.0], [0.0, -2.0]]))
        tensor([3., 2.])
    """
    return LinalgSvd.apply(_svd_input(A), full_matrices=False)[1]


@_amp.float32_precision
def svd(input, some: bool = True, compute_uv: bool = True):
    """``torch.svd``: ``(U, S, V)`` with ``input = U diag(S) V^T`` -- V, not Vh as in
    ``autograd.linalg.svd`` -- reduced when ``some`` (the default). With
    ``compute_uv=False``, U and V are zero matrices of the full shapes.

    Example:
        >>> U, S, V = autograd.svd(autograd.tensor([[3.0, 0.0], [0.0, -2.0]]))
        >>> S
        tensor([3., 2.])
    """
    from .. import return_types

    a = _svd_input(input)
    if not compute_uv:
        m, n = a.shape[-2:]
        dt = a._data.dtype
        zeros = [Tensor._make(np.zeros(a.shape[:-2] + (d, d), dt)) for d in (m, n)]
        return return_types.svd(zeros[0], svdvals(a), zeros[1])
    u, s, vh = LinalgSvd.apply(a, full_matrices=not some)
    return return_types.svd(u, s, vh.mT)


# ---- qr ------------------------------------------------------------------------------------
class LinalgQr(MultiOutputOp):
    """(Q, R) with A = Q R, Q with orthonormal columns and R upper triangular (LAPACK's
    Householder QR, the same signs as torch)."""

    @staticmethod
    def forward(ctx, a, mode):
        ctx.mode = mode
        q, r = _lapack(
            np.linalg.qr,
            a,
            "linalg.qr",
            "values",
            mode="complete" if mode == "complete" else "reduced",
        )
        ctx.save_for_backward(q, r)
        if mode == "r":
            return np.zeros((0,), a.dtype), r
        return q, r

    @staticmethod
    def backward(ctx, grads, xp):
        gq, gr = grads
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed "
                "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                "are going to differentiate through linalg.qr."
            )
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        gq = xp.zeros_like(q) if gq is None else gq
        gr = xp.zeros_like(r) if gr is None else gr
        if m >= n:
            return _qr_square_backward(q, r, gq, gr, xp)
        # wide: A = [X | Y] with X = Q U (square) and Y = Q V
        u, v = xp.narrow(r, -1, 0, m), xp.narrow(r, -1, m, n - m)
        gu, gv = xp.narrow(gr, -1, 0, m), xp.narrow(gr, -1, m, n - m)
        y = xp.matmul(q, v)
        gx = _qr_square_backward(q, u, gq + xp.matmul(y, _mT(gv, xp)), gu, xp)
        return xp.cat([gx, xp.matmul(q, gv)], -1)


def _qr_square_backward(q, r, gq, gr, xp):
    """gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q, for A = Q R with m >= n."""
    mm = xp.matmul(r, _mT(gr, xp)) - xp.matmul(_mT(gq, xp), q)
    low = xp.tril(mm, -1)
    sym = low + _mT(low, xp) + mm * xp.asarray(_eye(mm, mm.shape[-1]))
    b = gq + xp.matmul(q, sym)
    return _mT(xp.solve_triangular(r, _mT(b, xp), True, False), xp)  # b R^-T


def _qr(A, mode, op):
    a = _floating_matrices(A, op, "geqrf_cpu")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of "
            "'reduced' (default), 'r', or 'complete'"
        )
    return LinalgQr.apply(a, mode=mode)


@_amp.float32_precision
def linalg_qr(A, mode: str = "reduced"):
    """The QR decomposition ``A = Q R`` (batched): ``mode='reduced'`` (Q: m x k, R: k x n,
    k = min(m, n)), ``'complete'`` (Q: m x m) or ``'r'`` (R only; Q is empty).

    Example:
        >>> Q, R = autograd.linalg.qr(autograd.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> R
        tensor([[-5.0000, -2.2000],
                [ 0.0000,  0.4000]])
    """
    from .. import return_types

    return return_types.linalg_qr(*_qr(A, mode, "linalg.qr"))


@_amp.float32_precision
def qr(input, some: bool = True):
    """``torch.qr``: ``(Q, R)``, reduced when ``some`` (the default), else complete.

    Example:
        >>> autograd.qr(autograd.eye(2)).R
        tensor([[1., 0.],
                [0., 1.]])
    """
    from .. import return_types

    return return_types.qr(*_qr(input, "reduced" if some else "complete", "linalg.qr"))


# ---- registry ------------------------------------------------------------------------------


def _np_signs(v):
    return v * _canonical_signs(v)


def _ref_eigh(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return w, _np_signs(v)


def _torch_signs(torch, v):
    """torch's vectors flipped to our convention (largest-magnitude entry positive)."""
    if v.numel() == 0:
        return v
    top = torch.gather(v, -2, v.detach().abs().argmax(-2, keepdim=True))
    return v * torch.where(top < 0, -1.0, 1.0).to(v.dtype).detach()


def _torch_eigh(torch, a, UPLO="L"):
    w, v = torch.linalg.eigh(a, UPLO=UPLO)
    return w, _torch_signs(torch, v)


def _symmetric_wrapper(fn, a, *args, **kwargs):
    """eigh reads one triangle: check gradients through the symmetric A + A^T (as torch)."""
    return fn(a + a.mT, *args, **kwargs)


def _symmetric_samples(rng):
    s = [rng.normal(size=sh) for sh in ((3, 3), (2, 4, 4), (1, 1))]
    return [Sample(m + np.swapaxes(m, -1, -2)) for m in s] + [
        Sample(s[0] + s[0].T, UPLO="U"),
        Sample(np.zeros((0, 0))),
    ]


_LINALG = dict(namespace="autograd.linalg", method=False, family="linalg_decomp")
_TOP = dict(family="linalg_decomp")
register(
    OpInfo(
        "eigh",
        eigh,
        ref=_ref_eigh,
        samples=_symmetric_samples,
        **_LINALG,
        gradcheck_wrapper=_symmetric_wrapper,
        torch_fn=_torch_eigh,
    )
)
register(
    OpInfo(
        "eigvalsh",
        eigvalsh,
        ref=lambda a, UPLO="L": np.linalg.eigvalsh(a, UPLO),
        samples=_symmetric_samples,
        gradcheck_wrapper=_symmetric_wrapper,
        **_LINALG,
    )
)


def _ref_svd(a, full_matrices=True):
    u, s, vh = _np_svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    sign = _canonical_signs(u)
    vh = vh.copy()
    vh[..., :k, :] *= np.swapaxes(sign[..., :k], -1, -2)
    if vh.shape[-2] > k:
        vh[..., k:, :] = np.swapaxes(_np_signs(np.swapaxes(vh[..., k:, :], -1, -2)), -1, -2)
    return u * sign, s, vh


def _torch_svd(torch, a, full_matrices=True):
    u, s, vh = torch.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    if u.numel() == 0 or vh.numel() == 0:
        return u, s, vh
    top = torch.gather(u, -2, u.detach().abs().argmax(-2, keepdim=True))
    sign = torch.where(top < 0, -1.0, 1.0).to(u.dtype).detach()
    head = vh[..., :k, :] * sign[..., :k].mT
    if vh.shape[-2] > k:
        head = torch.cat([head, _torch_signs(torch, vh[..., k:, :].mT).mT], -2)
    return u * sign, s, head


def _svd_samples(rng):
    n = rng.normal
    return [
        Sample(n(size=(3, 3))),
        Sample(n(size=(4, 2)), full_matrices=False),
        Sample(n(size=(2, 4)), full_matrices=False),
        Sample(n(size=(2, 3, 2)), False),
        Sample(n(size=(3, 2))),
        Sample(n(size=(2, 3))),
        Sample(n(size=(0, 2)), False),
    ]


def _linalg_svd_outputs(out):
    u, s, vh = out
    k = s.shape[-1]
    return u[..., :k], s, vh[..., :k, :]


register(
    OpInfo(
        "svd",
        linalg_svd,
        ref=_ref_svd,
        samples=_svd_samples,
        **_LINALG,
        torch_fn=_torch_svd,
        grad_outputs=_linalg_svd_outputs,
    )
)
register(
    OpInfo(
        "svdvals",
        svdvals,
        ref=lambda a: _np_svd(a, compute_uv=False),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 3))),
            Sample(rng.normal(size=(2, 4, 2))),
            Sample(rng.normal(size=(2, 3))),
        ],
        **_LINALG,
    )
)


def _ref_torch_svd(a, some=True, compute_uv=True):
    u, s, vh = _ref_svd(a, full_matrices=not some)
    if not compute_uv:
        m, n = a.shape[-2:]
        return np.zeros(a.shape[:-2] + (m, m)), s, np.zeros(a.shape[:-2] + (n, n))
    return u, s, np.swapaxes(vh, -1, -2)


def _torch_torch_svd(torch, a, some=True, compute_uv=True):
    if not compute_uv:
        return torch.svd(a, some, compute_uv)
    u, s, vh = _torch_svd(torch, a, full_matrices=not some)
    return u, s, vh.mT


def _torch_svd_outputs(out):
    u, s, v = out
    k = s.shape[-1]
    return u[..., :k], s, v[..., :k]


register(
    OpInfo(
        "svd",
        svd,
        ref=_ref_torch_svd,
        **_TOP,
        torch_fn=_torch_torch_svd,
        grad_outputs=_torch_svd_outputs,
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 2))),
            Sample(rng.normal(size=(2, 3)), some=False),
            Sample(rng.normal(size=(3, 2)), compute_uv=False),
        ],
    )
)


def _ref_qr(a, mode="reduced"):
    return np.linalg.qr(a, mode=mode)


register(
    OpInfo(
        "qr",
        linalg_qr,
        ref=_ref_qr,
        **_LINALG,
        samples=lambda rng: [
            Sample(rng.normal(size=(4, 3))),
            Sample(rng.normal(size=(2, 4))),
            Sample(rng.normal(size=(2, 3, 3))),
            Sample(rng.normal(size=(3, 3)), mode="complete"),
            Sample(rng.normal(size=(2, 3)), "complete"),
        ],
    )
)
register(
    OpInfo(
        "qr",
        qr,
        ref=lambda a, some=True: np.linalg.qr(a, "reduced" if some else "complete"),
        **_TOP,
        torch_fn=lambda torch, a, some=True: torch.linalg.qr(  # (torch.qr warns)
            a, "reduced" if some else "complete"
        ),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 2))),
            Sample(rng.normal(size=(2, 3)), some=False),
        ],
    )
)
