"""Linear algebra, part 4: norms and products built from other ops -- torch.linalg's
vector_norm, matrix_norm, norm, cross, diagonal, multi_dot, vecdot, vander; torch's cross,
trace, chain_matmul, kron. (cdist and pdist are in distance.py.)

All are compositions (of the reduce family's ``Norm``, sums, ``amax``, ``svdvals``, rolls and
``matmul``), so their gradients -- and second derivatives -- come from those ops.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError
from ..tensor import Tensor
from .. import amp as _amp
from ._util import as_tensor_operand, broadcast_shapes, wrap_dim
from .linalg import _CPP_NAMES, _TORCH_NAMES, _name, _same_dtype, matmul
from .linalg_decomp import svdvals
from .registry import OpInfo, Sample, register

__all__ = [
    "cross",
    "trace",
    "chain_matmul",
    "dist",
    "frobenius_norm",
    "nuclear_norm",
    "vander",
    "kron",
]
LINALG = [
    "vector_norm",
    "matrix_norm",
    "norm",
    "cross",
    "diagonal",
    "multi_dot",
    "vecdot",
    "vander",
]


def _float_input(x, op: str) -> Tensor:
    x = as_tensor_operand(x)
    if not x.is_floating_point():
        raise DTypeError(
            f"{op}: Expected a floating point or complex tensor as input. Got "
            f"{_name(x, _TORCH_NAMES)}"
        )
    return x


# ---- norms ---------------------------------------------------------------------------------
def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ``ord``-norm of ``x`` over ``dim`` (int or tuple; all elements when None):
    ``(sum |x|^ord)^(1/ord)``, max / min |x| for inf / -inf, the count of non-zeros for 0.

    Example:
        >>> autograd.linalg.vector_norm(autograd.tensor([3.0, -4.0]))
        tensor(5.)
        >>> autograd.linalg.vector_norm(autograd.tensor([3.0, -4.0]), ord=float("inf"))
        tensor(4.)
    """
    from .reduce import norm as _norm

    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    x = _float_input(x if dtype is None else as_tensor_operand(x).to(dtype), "linalg.vector_norm")
    return _norm(x, float(ord), dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """A matrix norm of ``A`` over the two dimensions ``dim`` (batched over the others):
    'fro' (default), 'nuc' (sum of singular values), 2 / -2 (largest / smallest singular
    value), 1 / -1 (max / min column sum of |A|), inf / -inf (max / min row sum).

    Example:
        >>> A = autograd.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> autograd.linalg.matrix_norm(A, ord=1)
        tensor(6.)
    """
    a = as_tensor_operand(A)
    if dtype is not None:
        a = a.to(dtype)
    if a.ndim < 2:
        raise ShapeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _float_input(a, "linalg.matrix_norm")
    if len(dim) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}"
        )
    d0, d1 = wrap_dim(dim[0], a.ndim), wrap_dim(dim[1], a.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord not in (("fro", "nuc") if isinstance(ord, str) else (1, -1, 2, -2, np.inf, -np.inf)):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord == "fro":
        return vector_norm(a, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):  # from the singular values, with the two dims moved last
        rest = [d for d in range(a.ndim) if d not in (d0, d1)]
        s = svdvals(a.permute(rest + [d0, d1]))
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    summed, extreme = (d0, d1) if abs(ord) == 1 else (d1, d0)
    sums = a.abs().sum(summed, keepdim=True)
    out = sums.amax(extreme, keepdim=True) if ord > 0 else sums.amin(extreme, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``vector_norm`` or ``matrix_norm``, as torch.linalg.norm chooses: a matrix norm when
    ``dim`` has two entries, or when ``ord`` is given for a 2-D ``A`` without ``dim`` (or is
    a string); otherwise a vector norm (of all elements when ``dim`` and ``ord`` are None).

    Example:
        >>> autograd.linalg.norm(autograd.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(5.)
    """
    a = as_tensor_operand(A)
    if dim is not None:
        dim = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(
                f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}"
            )
    elif ord is not None and a.ndim not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must "
            f"be 1D or 2D. Got {a.ndim}D."
        )
    if ord is None:
        return vector_norm(a, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (dim is None and a.ndim == 2):
        return matrix_norm(a, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    return vector_norm(a, ord, dim, keepdim, dtype=dtype)


def frobenius_norm(input, dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """``torch.frobenius_norm`` (deprecated in torch): ``vector_norm(input, 2, dim, keepdim)``.

    Example:
        >>> autograd.frobenius_norm(autograd.ones(2, 2))
        tensor(2.)
    """
    return vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input, dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """``torch.nuclear_norm`` (deprecated in torch): the sum of the singular values,
    ``matrix_norm(input, 'nuc', dim, keepdim)``.

    Example:
        >>> autograd.nuclear_norm(autograd.eye(3))
        tensor(3.)
    """
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = (-2, -1), dim
    return matrix_norm(input, "nuc", dim, keepdim)


def dist(input, other, p: float = 2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast).

    Example:
        >>> autograd.dist(autograd.tensor([3.0, 4.0]), autograd.zeros(2))
        tensor(5.)
    """
    return vector_norm(as_tensor_operand(input) - as_tensor_operand(other), p)


# ---- products ------------------------------------------------------------------------------
def linalg_cross(input, other, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (batch dimensions broadcast).

    Example:
        >>> autograd.linalg.cross(autograd.tensor([1.0, 0.0, 0.0]), autograd.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
    """
    a, b = as_tensor_operand(input), as_tensor_operand(other)
    if a.ndim != b.ndim:
        raise ShapeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise ShapeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{a.shape[d]} and {b.shape[d]}"
        )
    shape = broadcast_shapes(a.shape, b.shape)
    a, b = a.expand(shape), b.expand(shape)
    # (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0): rolls bring the right components together
    return a.roll(-1, d) * b.roll(-2, d) - a.roll(-2, d) * b.roll(-1, d)


def cross(input, other, dim=None) -> Tensor:
    """``torch.cross``: the cross product along ``dim``; without ``dim``, along the first
    dimension of size 3 (with torch's deprecation warning).

    Example:
        >>> autograd.cross(autograd.tensor([[0.0, 1.0, 0.0]]), autograd.tensor([[0.0, 0.0, 1.0]]), dim=1)
        tensor([[1., 0., 0.]])
    """
    if dim is None:
        import warnings

        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease "
            "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
            "default value of dim will change to agree with that of linalg.cross in a "
            "future release.",
            UserWarning,
            stacklevel=2,
        )
        a, b = as_tensor_operand(input), as_tensor_operand(other)
        shape = broadcast_shapes(a.shape, b.shape)
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim=dim)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``torch.linalg.diagonal``: the diagonals of a batch of matrices (the last two
    dimensions by default); a view.

    Example:
        >>> autograd.linalg.diagonal(autograd.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([1., 4.])
    """
    from .slicing import diagonal as _diagonal

    return _diagonal(as_tensor_operand(A), offset, dim1, dim2)


def trace(input) -> Tensor:
    """The sum of the main diagonal of a matrix.

    Example:
        >>> autograd.tensor([[1.0, 2.0], [3.0, 4.0]]).trace()
        tensor(5.)
    """
    x = as_tensor_operand(input)
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    from .slicing import diagonal as _diagonal

    d = _diagonal(x)
    return d.sum() if x.is_floating_point() else d.sum(dtype=np.int64)


def _chain_order(shapes):
    """The cheapest parenthesisation of a matrix chain (classic dynamic programme):
    ``split[i][j]`` is where the product of matrices i..j splits."""
    n = len(shapes)
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices, multiplied in the cheapest order; the first may
    be a row vector and the last a column vector (1-D).

    Example:
        >>> a, b, c = autograd.ones(10, 100), autograd.ones(100, 5), autograd.ones(5, 50)
        >>> autograd.linalg.multi_dot([a, b, c]).shape
        autograd.Size([10, 50])
    """
    ts = [as_tensor_operand(t) for t in tensors]
    n = len(ts)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(ts):
        where = (
            "the first tensor" if i == 0 else ("the last tensor" if i == n - 1 else f"tensor {i}")
        )
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, n - 1))
        if not ok:
            need = "2D" if 0 < i < n - 1 else "1D or 2D"
            raise ShapeError(f"multi_dot(): {where} must be {need} but got {t.ndim}D")
        if t._data.dtype != ts[0]._data.dtype:
            raise DTypeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor "
                f"0 is {_name(ts[0], _CPP_NAMES)} and tensor {i} "
                f"{_name(t, _CPP_NAMES)}"
            )
    first_vec, last_vec = ts[0].ndim == 1, ts[-1].ndim == 1
    mats = (
        [ts[0].unsqueeze(0) if first_vec else ts[0]]
        + ts[1:-1]
        + [ts[-1].unsqueeze(-1) if last_vec else ts[-1]]
    )
    for i in range(n - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise ShapeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes "
                f"{list(ts[i].shape)} and {list(ts[i + 1].shape)} cannot be "
                "multiplied"
            )
    split = _chain_order([m.shape for m in mats])

    def product(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))

    out = product(0, n - 1)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


def chain_matmul(*matrices) -> Tensor:
    """``torch.chain_matmul`` (deprecated in torch): ``linalg.multi_dot`` of 2-D matrices.

    Example:
        >>> autograd.chain_matmul(autograd.ones(2, 3), autograd.ones(3, 4)).shape
        autograd.Size([2, 4])
    """
    if len(matrices) == 1:
        return as_tensor_operand(matrices[0]).clone()
    return multi_dot(matrices)


@_amp.lower_precision
def vecdot(x, y, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along ``dim`` (batch dimensions broadcast).

    Example:
        >>> autograd.linalg.vecdot(autograd.tensor([[1.0, 2.0]]), autograd.tensor([3.0, 4.0]))
        tensor([11.])
    """
    a, b = _float_input(x, "linalg.vecdot"), as_tensor_operand(y)
    _same_dtype(
        a,
        b,
        "linalg.vecdot: Expected x and y to have the same dtype, but found x of type {0} and y "
        "of type {1} instead",
    )
    if a.ndim == 1 and b.ndim == 1 and a.shape != b.shape:
        raise ShapeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
            f"[{b.shape[0]}] to have the same number of elements, but got "
            f"{a.shape[0]} and {b.shape[0]} elements respectively"
        )
    return (a * b).sum(dim)


def linalg_vander(x, *, N=None) -> Tensor:
    """The Vandermonde matrix of ``x`` (batched): columns x^0, x^1, ..., x^(N-1)
    (``N`` defaults to ``x.shape[-1]``).

    Example:
        >>> autograd.linalg.vander(autograd.tensor([1.0, 2.0, 3.0]))
        tensor([[1., 1., 1.],
                [1., 2., 4.],
                [1., 3., 9.]])
    """
    x = as_tensor_operand(x)
    if x._data.dtype.name == "bfloat16" or x._data.dtype.kind == "b":
        raise DTypeError(
            f"linalg.vander supports floating point, complex, and integer tensors, "
            f"but got {'BFloat16' if x._data.dtype.kind != 'b' else 'Bool'}"
        )
    if x.ndim == 0:
        raise RuntimeError("N must be greater than 1.")
    n = x.shape[-1] if N is None else int(N)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    from .join import cat

    ones = Tensor._make(np.ones(x.shape + (1,), x._data.dtype))
    powers = x.unsqueeze(-1).expand(x.shape + (n - 1,)).cumprod(-1)
    return cat([ones, powers], -1)


def vander(x, N=None, increasing: bool = False) -> Tensor:
    """``torch.vander``: the Vandermonde matrix of a 1-D ``x`` with decreasing powers
    x^(N-1) ... x^0 (increasing with ``increasing=True``).

    Example:
        >>> autograd.vander(autograd.tensor([1.0, 2.0, 3.0]), N=2)
        tensor([[1., 1.],
                [2., 1.],
                [3., 1.]])
    """
    x = as_tensor_operand(x)
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is not None and N < 0:
        raise RuntimeError("N must be non-negative.")
    n = x.shape[0] if N is None else int(N)
    if n <= 1:  # (linalg.vander needs two columns)
        return (
            Tensor._make(np.ones((x.shape[0], n), x._data.dtype))
            if n == 1 or x.shape[0]
            else Tensor._make(np.ones((0, n), x._data.dtype))
        )
    out = linalg_vander(x, N=n)
    return out if increasing else out.flip(-1)


def kron(input, other) -> Tensor:
    """The Kronecker product: ``out[i*m + k, j*n + l] = input[i, j] * other[k, l]`` for
    matrices, and the same on every dimension for any shapes (the shorter is padded with
    leading ones).

    Example:
        >>> autograd.kron(autograd.eye(2), autograd.tensor([[1.0, 2.0]]))
        tensor([[1., 2., 0., 0.],
                [0., 0., 1., 2.]])
    """
    a, b = as_tensor_operand(input), as_tensor_operand(other)
    nd = max(a.ndim, b.ndim)
    a = a.reshape((1,) * (nd - a.ndim) + a.shape)
    b = b.reshape((1,) * (nd - b.ndim) + b.shape)
    # a's dims interleaved with b's: (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...), then merged
    a2 = a.reshape(tuple(x for n in a.shape for x in (n, 1)))
    b2 = b.reshape(tuple(x for n in b.shape for x in (1, n)))
    return (a2 * b2).reshape(tuple(m * n for m, n in zip(a.shape, b.shape)))


# ---- registry ------------------------------------------------------------------------------


def _ref_vector_norm(x, ord=2, dim=None, keepdim=False):
    a = np.abs(x)
    axes = None if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    if ord == np.inf:
        return a.max(axis=axes, keepdims=keepdim)
    if ord == -np.inf:
        return a.min(axis=axes, keepdims=keepdim)
    if ord == 0:
        return (a != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
    return (a**ord).sum(axis=axes, keepdims=keepdim) ** (1.0 / ord)


def _ref_matrix_norm(a, ord="fro", dim=(-2, -1), keepdim=False):
    return np.linalg.norm(a, ord, axis=tuple(dim), keepdims=keepdim)


def _ref_norm(a, ord=None, dim=None, keepdim=False):
    if dim is None and ord is None:
        return np.linalg.norm(a.reshape(-1), keepdims=False).reshape(
            (1,) * a.ndim if keepdim else ()
        )
    return np.linalg.norm(a, ord, axis=dim, keepdims=keepdim)


_LINALG = dict(namespace="autograd.linalg", method=False, family="linalg_norm")
_TOP = dict(family="linalg_norm")


def _vector_norm_samples(rng):
    return [
        Sample(rng.normal(size=(3, 4))),
        Sample(rng.normal(size=(3, 4)), 1, 1),
        Sample(rng.normal(size=(2, 3, 4)), 3, (0, 2), True),
        Sample(rng.normal(size=(3, 4)), np.inf, -1),
        Sample(rng.normal(size=(3, 4)), -np.inf),
        Sample(rng.normal(size=(4,)), 0.5),
        Sample(rng.normal(size=())),
    ]


def _matrix_norm_samples(rng):
    return [
        Sample(rng.normal(size=(3, 4))),
        Sample(rng.normal(size=(2, 3, 4)), "nuc"),
        Sample(rng.normal(size=(3, 4)), 2),
        Sample(rng.normal(size=(3, 3)), -2),
        Sample(rng.normal(size=(3, 4)), 1, keepdim=True),
        Sample(rng.normal(size=(3, 4)), -1),
        Sample(rng.normal(size=(2, 3, 4)), np.inf, (0, 2)),
        Sample(rng.normal(size=(3, 4)), -np.inf),
        Sample(rng.normal(size=(2, 3, 4)), 2, (2, 0), True),
    ]


def _norm_samples(rng):
    return [
        Sample(rng.normal(size=(2, 3, 4))),
        Sample(rng.normal(size=(3, 4)), "nuc"),
        Sample(rng.normal(size=(4,)), 1),
        Sample(rng.normal(size=(3, 4)), np.inf),
        Sample(rng.normal(size=(2, 3, 4)), 2, (1, 2)),
        Sample(rng.normal(size=(2, 3, 4)), 3, 1, True),
    ]


for _opname, _fn, _ref, _samples in [
    ("vector_norm", vector_norm, _ref_vector_norm, _vector_norm_samples),
    ("matrix_norm", matrix_norm, _ref_matrix_norm, _matrix_norm_samples),
    ("norm", norm, _ref_norm, _norm_samples),
]:
    register(OpInfo(_opname, _fn, ref=_ref, samples=_samples, **_LINALG))


def _cross_samples(rng):
    n = rng.normal
    return [
        Sample(n(size=(3,)), n(size=(3,))),
        Sample(n(size=(4, 3)), n(size=(1, 3))),
        Sample(n(size=(3, 2)), n(size=(3, 2)), dim=0),
    ]


register(
    OpInfo(
        "cross",
        linalg_cross,
        samples=_cross_samples,
        **_LINALG,
        ref=lambda a, b, dim=-1: np.cross(a, b, axis=dim),
    )
)
register(
    OpInfo(
        "cross",
        cross,
        ref=lambda a, b, dim=None: np.cross(a, b, axis=dim),
        **_TOP,
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), dim=1),
            Sample(rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), 0),
        ],
    )
)
register(
    OpInfo(
        "diagonal",
        diagonal,
        **_LINALG,
        ref=lambda a, offset=0, dim1=-2, dim2=-1: np.diagonal(a, offset, dim1, dim2),
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3, 4))),
            Sample(rng.normal(size=(3, 4)), offset=1),
            Sample(rng.normal(size=(2, 3, 4)), offset=-1, dim1=0, dim2=2),
        ],
    )
)
register(
    OpInfo(
        "vecdot",
        vecdot,
        ref=lambda a, b, dim=-1: (a * b).sum(dim),
        **_LINALG,
        samples=lambda rng: [
            Sample(rng.normal(size=(3,)), rng.normal(size=(3,))),
            Sample(rng.normal(size=(2, 3)), rng.normal(size=(3,))),
            Sample(rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), dim=0),
        ],
    )
)
register(
    OpInfo(
        "vander",
        linalg_vander,
        **_LINALG,
        ref=lambda x, N=None: x[..., None] ** np.arange(x.shape[-1] if N is None else N),
        samples=lambda rng: [Sample(rng.normal(size=(3,))), Sample(rng.normal(size=(2, 3)), N=4)],
    )
)


def _torch_vander(torch, x, N=None, increasing=False):
    """torch.vander through torch.linalg.vander (torch 2.13 cannot differentiate its own
    torch.vander: it modifies a saved tensor in place)."""
    v = torch.linalg.vander(x, N=x.shape[0] if N is None else N)
    return v if increasing else v.flip(-1)


register(
    OpInfo(
        "vander",
        vander,
        **_TOP,
        method=False,
        torch_fn=_torch_vander,
        ref=lambda x, N=None, increasing=False: np.vander(x, N, increasing),
        samples=lambda rng: [
            Sample(rng.normal(size=(3,))),
            Sample(rng.normal(size=(3,)), N=4, increasing=True),
        ],
    )
)
register(
    OpInfo(
        "kron",
        kron,
        ref=np.kron,
        **_TOP,
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3)), rng.normal(size=(3, 2))),
            Sample(rng.normal(size=(3,)), rng.normal(size=(2, 2))),
            Sample(rng.normal(size=(2, 1, 2)), rng.normal(size=(2, 2))),
        ],
    )
)
register(
    OpInfo(
        "dist",
        dist,
        ref=lambda a, b, p=2: _ref_vector_norm(a - b, p),
        **_TOP,
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(4,))),
            Sample(rng.normal(size=(3,)), rng.normal(size=(3,)), 1.0),
            Sample(rng.normal(size=(3,)), rng.normal(size=(3,)), np.inf),
        ],
    )
)


def _torch_deprecated(name):
    def call(torch, *args, **kwargs):
        import warnings

        with warnings.catch_warnings():  # (deprecated in torch, in favour of linalg's norms)
            warnings.simplefilter("ignore", UserWarning)
            return getattr(torch, name)(*args, **kwargs)

    return call


register(
    OpInfo(
        "frobenius_norm",
        frobenius_norm,
        method=False,
        **_TOP,
        torch_fn=_torch_deprecated("frobenius_norm"),
        ref=lambda a, dim=(-2, -1), keepdim=False: np.linalg.norm(a, "fro", dim, keepdim),
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3, 4)), (1, 2)),
            Sample(rng.normal(size=(3, 4)), (0, 1), True),
        ],
    )
)
register(
    OpInfo(
        "nuclear_norm",
        nuclear_norm,
        method=False,
        **_TOP,
        torch_fn=_torch_deprecated("nuclear_norm"),
        ref=lambda a, dim=(-2, -1), keepdim=False: np.linalg.norm(
            a,
            "nuc",
            (-2, -1) if isinstance(dim, bool) else dim,
            dim if isinstance(dim, bool) else keepdim,
        ),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4))),
            Sample(rng.normal(size=(2, 3, 4)), (1, 2)),
            Sample(rng.normal(size=(3, 3)), True),
        ],
    )
)
register(
    OpInfo(
        "trace",
        trace,
        ref=np.trace,
        **_TOP,
        samples=lambda rng: [Sample(rng.normal(size=(3, 3))), Sample(rng.normal(size=(2, 4)))],
    )
)


def _torch_chain_matmul(torch, *ms):
    import warnings

    with warnings.catch_warnings():  # deprecated in torch, in favour of linalg.multi_dot
        warnings.simplefilter("ignore", UserWarning)
        return torch.chain_matmul(*ms)


register(
    OpInfo(
        "chain_matmul",
        chain_matmul,
        ref=lambda *ms: np.linalg.multi_dot(ms) if len(ms) > 1 else ms[0],
        method=False,
        torch_fn=_torch_chain_matmul,
        **_TOP,
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3)), rng.normal(size=(3, 4))),
            Sample(
                rng.normal(size=(4, 2)),
                rng.normal(size=(2, 5)),
                rng.normal(size=(5, 1)),
                rng.normal(size=(1, 3)),
            ),
        ],
    )
)
