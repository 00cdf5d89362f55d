"""Linear algebra, part 2: inverses and solves (torch.linalg's inv, solve, solve_triangular,
cholesky_ex, tensorinv, tensorsolve, the *_ex variants and torch's inverse, cholesky_solve,
cholesky_inverse). Determinants are in linalg_det.py.

Every matrix op is batched over leading dimensions. The primitives are ``LinalgInvEx``,
``LinalgSolveEx`` and ``CholeskySolve``; their VJPs are written with ``xp`` ops (matmul,
transpose, solve, ...) so each is differentiable again. The rest (cholesky_inverse,
tensorinv ...) are compositions of them.

Exactly singular input: ``inv`` and ``solve`` raise torch's ``LinAlgError`` (naming the batch
element and, for inv, the zero pivot of the LU factorisation).
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError
from ..function import Op
from ..tensor import Tensor
from .. import amp as _amp
from . import xp as _xp
from ._util import as_tensor_operand, broadcast_shapes
from .linalg import LinAlgError, _check_b_against, _same_dtype, _square_batch
from .linalg_cholesky import _np_solve_triangular, _solve_triangular, cholesky
from .registry import OpInfo, Sample, register

__all__ = ["inverse", "cholesky_solve", "cholesky_inverse"]
# torch.linalg-only names (exported by autograd.linalg)
LINALG = [
    "inv",
    "inv_ex",
    "solve",
    "solve_ex",
    "cholesky_ex",
    "solve_triangular",
    "tensorinv",
    "tensorsolve",
]


def _array(x):
    """The ndarray behind a saved value (a Tensor when the backward is recorded)."""
    return x._data if isinstance(x, Tensor) else x


def _matrices(t, op: str) -> Tensor:
    """torch's checks for a batch of square matrices that LAPACK factorises."""
    t = as_tensor_operand(t)
    _square_batch(t, op + ": ")
    _lapack_dtype(t, op)
    return t


def _lapack_dtype(t: Tensor, op: str):
    if t._data.dtype.itemsize < 4:  # float16 / bfloat16: LAPACK has no such kernels
        raise DTypeError(
            f"{op}: Low precision dtypes not supported. Got "
            f"{ {'float16': 'Half'}.get(t._data.dtype.name, 'BFloat16') }"
        )


def _mT(x, xp):
    return xp.transpose(x, -1, -2)


# ---- singular matrices: torch's messages -------------------------------------------------
def _zero_pivot(m: np.ndarray) -> int:
    """The first (1-based) zero diagonal element of U in the LU factorisation with partial
    pivoting of ``m`` (what LAPACK's getrf reports), or 0 if none is exactly zero."""
    a = np.array(m, dtype=m.dtype)
    n = a.shape[-1]
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        if a[p, k] == 0:
            return k + 1
        a[[k, p]] = a[[p, k]]
        a[k + 1 :, k] /= a[k, k]
        a[k + 1 :, k + 1 :] -= np.outer(a[k + 1 :, k], a[k, k + 1 :])
    return 0


def _singular_elements(a: np.ndarray):
    """(batch index, matrix) of every matrix in ``a`` that LAPACK finds singular."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        try:
            np.linalg.inv(m)
        except np.linalg.LinAlgError:
            yield i, m


def _singular_error(a: np.ndarray, op: str) -> LinAlgError:
    i, m = next(_singular_elements(a), (0, a.reshape((-1,) + a.shape[-2:])[0]))
    where = f"(Batch element {i}): " if a.ndim > 2 else ""
    if op == "solve":
        return LinAlgError(
            f"torch.linalg.solve: {where}The solver failed because the input matrix is singular."
        )
    return LinAlgError(
        f"{op}: {where}The diagonal element {_zero_pivot(m) or m.shape[-1]} is "
        "zero, the inversion could not be completed because the input matrix "
        "is singular."
    )


# ---- inv ---------------------------------------------------------------------------------
class LinalgInvEx(Op):
    """Y = A^-1. Backward: gA = -Y^T g Y^T (from dY = -Y dA Y), made of the saved output."""

    @staticmethod
    def forward(ctx, a, opname):
        try:
            y = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular_error(a, opname) from None
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        (y,) = ctx.saved_tensors
        yt = _mT(y, xp)
        return -xp.matmul(xp.matmul(yt, g), yt)


def _each_matrix(fn, a, *rest):
    """``fn`` on the matrices of ``a`` (and ``rest``) one at a time, NaN where LAPACK finds a
    matrix singular: inside a backward pass a singular matrix gives inf/nan, as in torch,
    not an error."""
    try:
        return fn(a, *rest)
    except np.linalg.LinAlgError:
        batch = np.broadcast_shapes(a.shape[:-2], *[r.shape[:-2] for r in rest])
        flat_a = np.broadcast_to(a, batch + a.shape[-2:]).reshape((-1,) + a.shape[-2:])
        flat_r = [
            np.broadcast_to(r, batch + r.shape[-2:]).reshape((-1,) + r.shape[-2:]) for r in rest
        ]
        out = []
        for i, m in enumerate(flat_a):
            try:
                out.append(fn(m, *[r[i] for r in flat_r]))
            except np.linalg.LinAlgError:
                shape = m.shape if not rest else flat_r[0][i].shape
                out.append(np.full(shape, np.nan, m.dtype))
        return np.stack(out).reshape(batch + out[0].shape) if out else fn(a, *rest)


_xp.define(
    "inv",
    numpy=lambda a: _each_matrix(np.linalg.inv, a),
    tensor=lambda a: LinalgInvEx.apply(a, opname="linalg.inv"),
)


@_amp.float32_precision
def inv(A) -> Tensor:
    """The inverse of a square matrix (batched). A singular matrix raises
    ``autograd.linalg.LinAlgError`` with torch's message.

    Example:
        >>> autograd.linalg.inv(autograd.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    return LinalgInvEx.apply(_matrices(A, "linalg.inv"), opname="linalg.inv")


@_amp.float32_precision
def inverse(input) -> Tensor:
    """``torch.inverse``: the same as ``autograd.linalg.inv``.

    Example:
        >>> autograd.tensor([[4.0]]).inverse()
        tensor([[0.2500]])
    """
    return inv(input)


def _info(a: np.ndarray, failure) -> Tensor:
    """The ``info`` of the ``*_ex`` functions: per matrix, 0 or ``failure(matrix)``."""
    flat = a.reshape((-1,) + a.shape[-2:])
    codes = np.array([failure(m) for m in flat], dtype=np.int32)
    return Tensor._make(codes.reshape(a.shape[:-2]))


def _singular_pivot(m: np.ndarray) -> int:
    try:
        with np.errstate(all="ignore"):  # only whether it fails matters, not the values
            np.linalg.inv(m)
        return 0
    except np.linalg.LinAlgError:
        return _zero_pivot(m) or m.shape[-1]


def _ex(a: Tensor, info: Tensor, compute, core: int = 2) -> Tensor:
    """``compute(a)``; where ``info`` reports a failure, the matrix is replaced by the identity
    for the computation and its result by NaN (LAPACK's partial result is not meaningful),
    and the result is then a constant (no gradient)."""
    bad = info._data != 0
    if not bad.any():
        return compute(a)
    eye = np.eye(a.shape[-1], dtype=a._data.dtype)
    res = compute(Tensor._make(np.where(bad[..., None, None], eye, a._data)))._data
    batch = res.shape[: res.ndim - core]
    mask = np.broadcast_to(bad, batch).reshape(batch + (1,) * core)
    return Tensor._make(np.where(mask, np.nan, res).astype(res.dtype))


@_amp.float32_precision
def inv_ex(A, *, check_errors: bool = False):
    """``(inverse, info)``: like ``inv`` but a singular matrix gives ``info > 0`` (the zero
    pivot) and NaN in its place instead of an error (unless ``check_errors``).

    Example:
        >>> autograd.linalg.inv_ex(autograd.zeros(2, 2)).info
        tensor(1, dtype=autograd.int32)
    """
    from .. import return_types

    a = _matrices(A, "linalg.inv")
    info = _info(a._data, _singular_pivot)
    if check_errors and np.any(info._data):
        inv(a)
    return return_types.linalg_inv_ex(_ex(a, info, inv), info)


# ---- solve -------------------------------------------------------------------------------
class LinalgSolveEx(Op):
    """X = A^-1 B (A and B with the same batch shape, B a batch of matrices). Backward:
    gB = A^-T g (another solve), gA = -gB X^T."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise _singular_error(a, "solve") from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g, xp):
        a, x = ctx.saved_tensors
        gb = xp.solve(_mT(a, xp), g)
        ga = -xp.matmul(gb, _mT(x, xp)) if ctx.needs_input_grad[0] else None
        return ga, gb if ctx.needs_input_grad[1] else None


_xp.define(
    "solve", numpy=lambda a, b: _each_matrix(np.linalg.solve, a, b), tensor=LinalgSolveEx.apply
)


def _broadcast_batches(a: Tensor, b: Tensor):
    """A and B with their batch dimensions broadcast (differentiably)."""
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if a.shape[:-2] != batch:
        a = a.expand(batch + a.shape[-2:])
    if b.shape[:-2] != batch:
        b = b.expand(batch + b.shape[-2:])
    return a, b


def _vector_rhs(a: Tensor, b: Tensor) -> bool:
    """torch's rule: B is a (batch of) vector(s) when it is 1-D or has A's shape minus one."""
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


@_amp.float32_precision
def solve(A, B, *, left: bool = True) -> Tensor:
    """The solution X of ``A X = B`` (``X A = B`` with ``left=False``) for square ``A``.
    Batch dimensions broadcast; ``B`` may be a (batch of) vector(s). A singular ``A`` raises
    ``LinAlgError``.

    Example:
        >>> A = autograd.tensor([[3.0, 1.0], [1.0, 2.0]])
        >>> autograd.linalg.solve(A, autograd.tensor([9.0, 8.0]))
        tensor([2., 3.])
    """
    a, b = _matrices(A, "linalg.solve"), as_tensor_operand(B)
    _same_dtype(
        a,
        b,
        "linalg.solve: Expected A and B to have the same dtype, but found A of type {0} and B of "
        "type {1} instead",
    )
    vector = left and _vector_rhs(a, b)
    b2 = b.unsqueeze(-1) if vector else b
    n = a.shape[-1]
    if b2.ndim < 2 or (b2.shape[-2] if left else b2.shape[-1]) != n:
        shown = b2.shape[-2:] if b2.ndim >= 2 else (b2.shape[-1], 1)
        raise ShapeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shown[0]}x{shown[1]})"
        )
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return solve(a.mT, b.mT).mT
    a, b2 = _broadcast_batches(a, b2)
    x = LinalgSolveEx.apply(a, b2)
    return x.squeeze(-1) if vector else x


@_amp.float32_precision
def solve_ex(A, B, *, left: bool = True, check_errors: bool = False):
    """``(result, info)``: ``solve`` that reports a singular ``A`` in ``info`` (per matrix,
    the zero pivot) and NaN in its result instead of raising (unless ``check_errors``).

    Example:
        >>> autograd.linalg.solve_ex(autograd.eye(2), autograd.ones(2)).info
        tensor(0, dtype=autograd.int32)
    """
    from .. import return_types

    a = _matrices(A, "linalg.solve")
    info = _info(a._data, _singular_pivot)
    if check_errors and np.any(info._data):
        solve(a, B, left=left)
    b = as_tensor_operand(B)
    core = 1 if left and _vector_rhs(a, b) else 2
    return return_types.linalg_solve_ex(_ex(a, info, lambda m: solve(m, b, left=left), core), info)


def solve_triangular(
    A, B, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """The solution X of ``A X = B`` (``X A = B`` with ``left=False``) for a triangular ``A``:
    only its upper (``upper=True``) or lower triangle is read, its diagonal taken as ones with
    ``unitriangular``. Batch dimensions broadcast.

    Example:
        >>> A = autograd.tensor([[2.0, 1.0], [0.0, 4.0]])
        >>> autograd.linalg.solve_triangular(A, autograd.tensor([[3.0], [4.0]]), upper=True)
        tensor([[1.],
                [1.]])
    """
    a, b = as_tensor_operand(A), as_tensor_operand(B)
    if b.ndim < 2:
        raise ShapeError(
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions."
        )
    _square_batch(a, "linalg.solve_triangular: ")
    n = a.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        raise ShapeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the "
            f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and "
            f"{b.shape[-2]}x{b.shape[-1]})"
        )
    _same_dtype(
        a,
        b,
        "linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
        "{0} and B of type {1} instead",
    )
    if not left:  # X A = B  <=>  A^T X^T = B^T, and A^T has the other triangle
        return solve_triangular(a.mT, b.mT, upper=not upper, unitriangular=unitriangular).mT
    a, b = _broadcast_batches(a, b)
    return _solve_triangular(a, b, upper, unitriangular)


# ---- Cholesky solves ------------------------------------------------------------------------
def _np_cholesky_solve(b, low, upper):
    """Two triangular substitutions (A = L L^T: L y = b, L^T x = y; A = U^T U likewise); a
    zero on the factor's diagonal gives inf/nan like torch's, not an error."""
    lt = np.swapaxes(low, -1, -2)
    first, second = (lt, low) if upper else (low, lt)
    return _np_solve_triangular(second, _np_solve_triangular(first, b, False, False), True, False)


class CholeskySolve(Op):
    """X = (L L^T)^-1 B (or (U^T U)^-1 B), reading one triangle of the factor. Backward as
    torch's: gB = cholesky_solve(g), and for the factor, seen as a full matrix F in
    A = F F^T, gF = -(gB X^T + X gB^T) F (lower; F (...) for upper)."""

    @staticmethod
    def forward(ctx, b, low, upper):
        ctx.upper = upper
        x = _np_cholesky_solve(b, low, upper)
        ctx.save_for_backward(low, x)
        return x

    @staticmethod
    def backward(ctx, g, xp):
        low, x = ctx.saved_tensors
        gb = xp.cholesky_solve(g, low, ctx.upper)
        gl = None
        if ctx.needs_input_grad[1]:
            c = xp.matmul(gb, _mT(x, xp))
            c = c + _mT(c, xp)
            gl = -(xp.matmul(low, c) if ctx.upper else xp.matmul(c, low))
        return gb if ctx.needs_input_grad[0] else None, gl


_xp.define(
    "cholesky_solve",
    numpy=_np_cholesky_solve,
    tensor=lambda b, low, upper: CholeskySolve.apply(b, low, upper=upper),
)


@_amp.float32_precision
def cholesky_solve(B, L, upper: bool = False) -> Tensor:
    """Solve ``A X = B`` given the Cholesky factor of ``A``: ``L`` lower with
    ``A = L L^T`` (or upper ``U`` with ``A = U^T U`` when ``upper=True``). Batched, with
    broadcasting batch dimensions.

    Example:
        >>> L = autograd.tensor([[2.0, 0.0], [1.0, 1.0]])          # A = [[4, 2], [2, 2]]
        >>> autograd.cholesky_solve(autograd.tensor([[6.0], [4.0]]), L)
        tensor([[1.],
                [1.]])
    """
    b, low = as_tensor_operand(B), as_tensor_operand(L)
    if b.ndim < 2:
        raise ShapeError(
            f"b should have at least 2 dimensions, but has {b.ndim} dimensions instead"
        )
    if low.ndim < 2:
        raise ShapeError(
            f"u should have at least 2 dimensions, but has {low.ndim} dimensions instead"
        )
    _square_batch(low, "cholesky_solve: ")
    _check_b_against(b, low, "cholesky_solve")
    _lapack_dtype(low, "cholesky_solve")
    b, low = _broadcast_batches(b, low)
    return CholeskySolve.apply(b, low, upper=bool(upper))


@_amp.float32_precision
def cholesky_inverse(L, upper: bool = False) -> Tensor:
    """The inverse of ``A = L L^T`` (``U^T U`` with ``upper=True``) from its Cholesky factor.

    Example:
        >>> autograd.cholesky_inverse(autograd.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor([[0.2500, 0.0000],
                [0.0000, 4.0000]])
    """
    low = _square_batch(as_tensor_operand(L), "cholesky_inverse: ")
    eye = Tensor._make(
        np.broadcast_to(np.eye(low.shape[-1], dtype=low._data.dtype), low.shape).copy()
    )
    return cholesky_solve(eye, low, upper)


@_amp.float32_precision
def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False):
    """``(L, info)``: ``cholesky`` that reports a matrix that is not positive-definite in
    ``info`` (the order of the first leading minor that is not) instead of raising.

    Example:
        >>> autograd.linalg.cholesky_ex(-autograd.eye(2)).info
        tensor(1, dtype=autograd.int32)
    """
    from .. import return_types

    a = _matrices(A, "linalg.cholesky")

    def failing_minor(m):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                return k
        return 0

    info = _info(a._data, failing_minor)
    if check_errors and np.any(info._data):
        cholesky(a)
    return return_types.linalg_cholesky_ex(_ex(a, info, lambda m: cholesky(m, upper=upper)), info)


# ---- tensorinv / tensorsolve ----------------------------------------------------------------
def tensorinv(A, ind: int = 2) -> Tensor:
    """The inverse of ``A`` seen as a linear map from its last dimensions to its first ``ind``
    dimensions: ``tensordot(tensorinv(A, ind), A, ind)`` is the identity.

    Example:
        >>> autograd.linalg.tensorinv(autograd.eye(4).reshape(4, 2, 2), ind=1).shape
        autograd.Size([2, 2, 4])
    """
    a = as_tensor_operand(A)
    if int(ind) <= 0:
        raise ValueError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape, in_shape = a.shape[:ind], a.shape[ind:]
    rows, cols = int(np.prod(out_shape)), int(np.prod(in_shape))
    if rows != cols:
        raise ShapeError(
            f"Expected self to satisfy the requirement "
            f"prod(self.shape[ind:]) == prod(self.shape[:ind]), but got {cols} != "
            f"{rows}"
        )
    return LinalgInvEx.apply(_matrices(a.reshape(rows, cols), "inv"), opname="inv").reshape(
        in_shape + out_shape
    )


def tensorsolve(A, B, dims=None) -> Tensor:
    """X with ``tensordot(A, X, X.ndim) == B``: A's first ``B.ndim`` dimensions map onto B.
    ``dims`` moves those dimensions of A to the end first.

    Example:
        >>> autograd.linalg.tensorsolve(autograd.eye(6).reshape(2, 3, 6), autograd.ones(2, 3)).shape
        autograd.Size([6])
    """
    a, b = as_tensor_operand(A), as_tensor_operand(B)
    if dims is not None:
        dims = [d % a.ndim for d in dims]
        a = a.permute([d for d in range(a.ndim) if d not in dims] + dims)
    x_shape = a.shape[b.ndim :]
    n = int(np.prod(x_shape))
    if int(np.prod(a.shape[: b.ndim])) != n:
        raise ShapeError(
            f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) "
            f"== prod(self.shape[:other.ndim]), but got {n} != "
            f"{int(np.prod(a.shape[: b.ndim]))}"
        )
    return solve(a.reshape(n, n), b.reshape(n)).reshape(x_shape)


# ---- registry ------------------------------------------------------------------------------
def _well_conditioned(rng, *shape):
    """Random matrices near 2 I: far from singular, so finite differences are accurate."""
    n = shape[-1]
    return rng.normal(size=shape) * 0.5 + 2 * np.eye(n)


def _triangular_factor(rng, *shape, upper=False):
    """A Cholesky-like factor: one triangle random, positive diagonal, the other zeros."""
    m = rng.normal(size=shape) * 0.5 + 2 * np.eye(shape[-1])
    m[..., np.arange(shape[-1]), np.arange(shape[-1])] = np.abs(np.diagonal(m, 0, -2, -1))
    return np.triu(m) if upper else np.tril(m)


def _factor_wrapper(fn, *args, upper=False, **kwargs):
    """cholesky_solve reads one triangle of the factor: finite differences of the other
    triangle are zero, so differentiate through tril/triu (torch's triangular wrapper)."""
    args = list(args)
    k = 1 if len(args) > 1 else 0
    args[k] = args[k].triu() if upper else args[k].tril()
    return fn(*args, upper=upper, **kwargs)


def _ref_solve(a, b, left=True):
    if not left:
        return np.swapaxes(_ref_solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
    if b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]):
        return np.linalg.solve(a, b[..., None])[..., 0]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return np.linalg.solve(
        np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:])
    )


def _register_ex(name, fn, op_ref, samples, **kw):
    """Register torch.linalg's ``<op>_ex``: the op's result and ``info``, zeros per matrix
    (errors raise here instead), so the reference is the op's own with that info."""

    def ref(a, *args):
        return op_ref(a, *args), np.zeros(a.shape[:-2], np.int32)

    register(OpInfo(name, fn, ref=ref, samples=samples, **_LINALG, **kw))


def _square_samples(rng):
    w = _well_conditioned
    return [
        Sample(w(rng, 3, 3)),
        Sample(w(rng, 2, 4, 4)),
        Sample(w(rng, 1, 1)),
        Sample(w(rng, 0, 0)),
    ]


_LINALG = dict(namespace="autograd.linalg", method=False, family="linalg_solve")
_TOP = dict(family="linalg_solve")
register(OpInfo("inv", inv, ref=np.linalg.inv, samples=_square_samples, **_LINALG))


def _two_matrices(rng):
    # torch's inverse and linalg.inv_ex (inv's own samples cover the shapes)
    return [Sample(_well_conditioned(rng, 2, 3, 3))]


register(OpInfo("inverse", inverse, ref=np.linalg.inv, samples=_two_matrices, **_TOP))
_register_ex("inv_ex", inv_ex, np.linalg.inv, _two_matrices)
register(
    OpInfo(
        "solve",
        solve,
        ref=_ref_solve,
        **_LINALG,
        samples=lambda rng: [
            Sample(_well_conditioned(rng, 3, 3), rng.normal(size=(3, 2))),
            Sample(_well_conditioned(rng, 2, 3, 3), rng.normal(size=(2, 3))),  # batch of vectors
            Sample(_well_conditioned(rng, 3, 3), rng.normal(size=(3,))),  # one vector
            Sample(_well_conditioned(rng, 3, 3), rng.normal(size=(2, 3, 1))),  # batch broadcast
            Sample(_well_conditioned(rng, 3, 3), rng.normal(size=(2, 3)), left=False),
        ],
    )
)
_register_ex(
    "solve_ex",
    solve_ex,
    _ref_solve,
    lambda rng: [Sample(_well_conditioned(rng, 3, 3), rng.normal(size=(3, 2)))],
)


def _ref_solve_triangular(a, b, upper, left=True, unitriangular=False):
    from .linalg_cholesky import _triangle

    tri = _triangle(a, upper, unitriangular)
    if not left:
        return np.swapaxes(
            np.linalg.solve(np.swapaxes(tri, -1, -2), np.swapaxes(b, -1, -2)), -1, -2
        )
    return _ref_solve(tri, b)


register(
    OpInfo(
        "solve_triangular",
        solve_triangular,
        ref=_ref_solve_triangular,
        **_LINALG,
        samples=lambda rng: [
            Sample(_well_conditioned(rng, 3, 3), rng.normal(size=(3, 2)), upper=True),
            Sample(_well_conditioned(rng, 2, 3, 3), rng.normal(size=(3, 1)), upper=False),
            Sample(_well_conditioned(rng, 3, 3), rng.normal(size=(2, 3)), upper=True, left=False),
            Sample(
                _well_conditioned(rng, 3, 3),
                rng.normal(size=(3, 2)),
                upper=False,
                unitriangular=True,
            ),
        ],
    )
)


def _spd(rng, *shape):
    m = rng.normal(size=shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def _spd_wrapper(fn, a, *args, **kwargs):
    """cholesky reads the lower triangle of a symmetric positive-definite matrix: check
    gradients through A A^T + n I (torch's OpInfo does the same)."""
    n = a.shape[-1]
    return fn(a @ a.mT + n * Tensor._make(np.eye(n, dtype=a._data.dtype)), *args, **kwargs)


register(  # (linalg_cholesky.py's op, registered here beside the SPD samples it shares)
    OpInfo(
        "cholesky",
        cholesky,
        ref=np.linalg.cholesky,
        gradcheck_wrapper=_spd_wrapper,
        **{**_LINALG, "family": "linalg_cholesky"},
        samples=lambda rng: [
            Sample(_spd(rng, 3, 3)),
            Sample(_spd(rng, 2, 4, 4)),
            Sample(_spd(rng, 1, 1)),
        ],
    )
)
_register_ex(
    "cholesky_ex",
    cholesky_ex,
    np.linalg.cholesky,
    lambda rng: [Sample(_spd(rng, 3, 3))],
    gradcheck_wrapper=_spd_wrapper,
)
register(
    OpInfo(
        "cholesky_solve",
        cholesky_solve,
        **_TOP,
        gradcheck_wrapper=_factor_wrapper,
        ref=lambda b, low, upper=False: _np_cholesky_solve(b, low, upper),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 2)), _triangular_factor(rng, 3, 3)),
            Sample(rng.normal(size=(3, 2)), _triangular_factor(rng, 3, 3, upper=True), upper=True),
            Sample(rng.normal(size=(2, 3, 1)), _triangular_factor(rng, 3, 3)),
        ],
    )
)
register(
    OpInfo(
        "cholesky_inverse",
        cholesky_inverse,
        **_TOP,
        gradcheck_wrapper=_factor_wrapper,
        ref=lambda low, upper=False: _np_cholesky_solve(
            np.broadcast_to(np.eye(low.shape[-1]), low.shape).astype(low.dtype), low, upper
        ),
        samples=lambda rng: [
            Sample(_triangular_factor(rng, 3, 3)),
            Sample(_triangular_factor(rng, 2, 3, 3, upper=True), upper=True),
        ],
    )
)


register(
    OpInfo(
        "tensorinv",
        tensorinv,
        ref=np.linalg.tensorinv,
        **_LINALG,
        samples=lambda rng: [
            Sample(_well_conditioned(rng, 4, 4).reshape(4, 2, 2), 1),
            Sample(_well_conditioned(rng, 6, 6).reshape(2, 3, 6)),
        ],
    )
)
register(
    OpInfo(
        "tensorsolve",
        tensorsolve,
        ref=np.linalg.tensorsolve,
        **_LINALG,
        samples=lambda rng: [
            Sample(_well_conditioned(rng, 6, 6).reshape(2, 3, 6), rng.normal(size=(2, 3))),
            Sample(_well_conditioned(rng, 6, 6).reshape(6, 2, 3), rng.normal(size=(6,))),
        ],
    )
)
