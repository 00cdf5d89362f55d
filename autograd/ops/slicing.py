"""Parts of a tensor: select, narrow, diagonal, diag (views, GetItem with a computed index),
the triangles tril / triu, and the inverses that write a part back into a copy:
diagonal_scatter, select_scatter, slice_scatter.

``x[i]`` itself is ``getitem`` in ``indexing.py``.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import ShapeError
from ..function import Op
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import cast, wrap_dim
from .indexing import GetItem, IndexPut, _view_of
from .movement import movedim
from .registry import OpInfo, Sample, register

__all__ = [
    "tril",
    "triu",
    "diagonal",
    "diag",
    "select",
    "narrow",
    "diagonal_scatter",
    "select_scatter",
    "slice_scatter",
]


# ---- tril / triu ----------------------------------------------------------------------------
class Tril(Op):
    """Keep the lower triangle (of the last two dims), or the upper one with ``upper=True``;
    the VJP keeps the same triangle of the gradient."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, diagonal, upper=False):
        ctx.diagonal, ctx.upper = diagonal, upper
        return np.triu(x, diagonal) if upper else np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.triu(g, ctx.diagonal) if ctx.upper else xp.tril(g, ctx.diagonal)


class Triu(Tril):
    """Tril with ``upper=True``: its own class so that the graph says ``TriuBackward0``."""


def _triangle(op, input: Tensor, diagonal, upper: bool) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(
            f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions"
        )
    return op.apply(input, diagonal=int(diagonal), upper=upper)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements above the ``diagonal``-th diagonal of the last two dims.

    Example:
        >>> autograd.ones(2, 2).tril()
        tensor([[1., 0.],
                [1., 1.]])
    """
    return _triangle(Tril, input, diagonal, upper=False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements below the ``diagonal``-th diagonal of the last two dims (``diagonal=1``
    also zeroes the main diagonal, ``-1`` keeps the one below it).

    Example:
        >>> autograd.ones(1, 3).triu(1)
        tensor([[0., 1., 1.]])
    """
    return _triangle(Triu, input, diagonal, upper=True)


_xp.define("tril", numpy=np.tril, tensor=tril)
_xp.define("triu", numpy=np.triu, tensor=triu)
for _name, _fn, _ref in (("tril", tril, np.tril), ("triu", triu, np.triu)):
    register(
        OpInfo(
            _name,
            _fn,
            ref=_ref,
            inplace=True,
            samples=lambda rng: [
                Sample(rng.normal(size=(3, 4))),
                Sample(rng.normal(size=(2, 3, 3)), 1),
                Sample(rng.normal(size=(4, 3)), -1),
            ],
            family="slicing",
        )
    )


# ---- select / narrow / diagonal / diag: GetItem with a computed index -----------------------
class Select(GetItem):
    """One position of one dimension (``x[:, i]``): a GetItem with an int in the index."""


class Narrow(GetItem):
    """A contiguous range of one dimension (``x[:, a:b]``): a GetItem with a slice."""

    grad_fn_name = "SliceBackward0"


class Diagonal(GetItem):
    """A diagonal of the last two dims: a GetItem with row and column index arrays (its VJP),
    whose forward returns a writable view (torch's diagonal is a view) rather than the copy
    NumPy makes for array indices."""

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx, ctx.in_shape = idx, x.shape
        rows, cols = idx[-2], idx[-1]
        # the diagonal's offset (an empty diagonal: any offset past the last column)
        offset = int(cols[0] - rows[0]) if rows.size else x.shape[-1]
        out = np.diagonal(x, offset, -2, -1)
        if x.flags.writeable:
            out.flags.writeable = True  # NumPy makes diagonal views read-only by default
        return out


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at position ``index`` of dimension ``dim`` (that dimension is removed).

    Example:
        >>> autograd.tensor([[1.0, 2.0], [3.0, 4.0]]).select(1, 0)
        tensor([1., 3.])
    """
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size "
            f"{list(input.shape)} at dimension {dim}"
        )
    idx = (slice(None),) * d + (index % n,)
    return _view_of(Select.apply(input, idx=idx), input, Select, idx)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of dimension ``dim`` starting at ``start``.

    Example:
        >>> autograd.arange(5.0).narrow(0, 1, 3)
        tensor([1., 2., 3.])
    """
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return _view_of(Narrow.apply(input, idx=idx), input, Narrow, idx)


def _diag_index(n1, n2, offset):
    """Row and column positions of the ``offset``-th diagonal of an ``n1 x n2`` matrix."""
    if offset >= 0:
        k = max(0, min(n1, n2 - offset))
        rows = np.arange(k, dtype=np.intp)
        return rows, rows + offset
    k = max(0, min(n1 + offset, n2))
    cols = np.arange(k, dtype=np.intp)
    return cols - offset, cols


def _diagonal_dims(input: Tensor, dim1, dim2) -> tuple[int, int]:
    """``dim1`` and ``dim2`` wrapped, with torch's errors for diagonal() and
    diagonal_scatter(): at least two dims, two different ones."""
    n = input.ndim
    if n < 2:
        raise RuntimeError(f"diagonal(): expected a tensor with at least 2 dimensions, got {n}")
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset``-th diagonal w.r.t. ``dim1`` and ``dim2``, as the last dimension.

    Example:
        >>> autograd.arange(4.0).reshape(2, 2).diagonal()
        tensor([0., 3.])
    """
    n = input.ndim
    d1, d2 = _diagonal_dims(input, dim1, dim2)
    x = movedim(input, (d1, d2), (n - 2, n - 1))
    rows, cols = _diag_index(x.shape[-2], x.shape[-1], int(offset))
    idx = (slice(None),) * (n - 2) + (rows, cols)
    return _view_of(Diagonal.apply(x, idx=idx), x, Diagonal, idx)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D input: a square matrix with ``input`` on its ``diagonal``-th diagonal.
    2-D input: that diagonal as a vector.

    Example:
        >>> autograd.diag(autograd.tensor([1.0, 2.0]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    if input.ndim == 2:  # a copy, unlike ``diagonal`` (as in torch)
        rows, cols = _diag_index(input.shape[0], input.shape[1], int(diagonal))
        return GetItem.apply(input, idx=(rows, cols))
    if input.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    n = input.shape[0] + abs(int(diagonal))
    rows, cols = _diag_index(n, n, int(diagonal))
    zeros = Tensor._make(np.zeros((n, n), dtype=input._data.dtype))
    return IndexPut.apply(zeros, input, idx=(rows, cols))


def _np_narrow(g, dim, start, length):
    dim = dim % g.ndim
    start = start % g.shape[dim] if start < 0 else start
    return g[(slice(None),) * dim + (slice(start, start + length),)]


_xp.define("narrow", numpy=_np_narrow, tensor=narrow)
_xp.define("select", numpy=lambda g, dim, index: np.take(g, index, axis=dim), tensor=select)
_xp.define(
    "diagonal",
    numpy=lambda g, offset=0, dim1=0, dim2=1: np.diagonal(g, offset, dim1, dim2),
    tensor=diagonal,
)
register(
    OpInfo(
        "select",
        select,
        ref=lambda x, d, i: np.take(x, i, axis=d),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), 0, 2),
            Sample(rng.normal(size=(3, 4)), -1, -1),
            Sample(rng.normal(size=(3,)), 0, 1),
        ],
        family="slicing",
    )
)
register(
    OpInfo(
        "narrow",
        narrow,
        ref=_np_narrow,
        samples=lambda rng: [
            Sample(rng.normal(size=(5, 4)), 0, 1, 3),
            Sample(rng.normal(size=(5, 4)), -1, 0, 0),
            Sample(rng.normal(size=(5, 4)), 1, -2, 2),
        ],
        family="slicing",
    )
)
register(
    OpInfo(
        "diagonal",
        diagonal,
        ref=lambda x, o=0, a=0, b=1: np.diagonal(x, o, a, b),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4))),
            Sample(rng.normal(size=(3, 4)), 1),
            Sample(rng.normal(size=(3, 4)), -2),
            Sample(rng.normal(size=(2, 3, 4)), 0, 2, 0),
            Sample(rng.normal(size=(2, 3)), 5),
        ],
        family="slicing",
    )
)
register(
    OpInfo(
        "diag",
        diag,
        ref=np.diag,
        samples=lambda rng: [
            Sample(rng.normal(size=(3,))),
            Sample(rng.normal(size=(3,)), -1),
            Sample(rng.normal(size=(3, 4)), 1),
        ],
        family="slicing",
    )
)


# ---- diagonal_scatter / select_scatter / slice_scatter: a view's region replaced ----------------
def _embed(opname: str, input: Tensor, src, idx) -> Tensor:
    """``input`` with ``input[idx]`` replaced by ``src``, whose shape must be the region's."""
    if not isinstance(src, Tensor):
        raise TypeError(f"{opname}(): argument 'src' must be Tensor, not {type(src).__name__}")
    region = np.empty(input._data.shape, np.bool_)[idx].shape
    if tuple(src.shape) != region:
        raise ShapeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(region)}"
        )
    return IndexPut.apply(input, cast(src, _dt.as_dtype(input._data.dtype)), idx=idx)


def diagonal_scatter(
    input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Tensor:
    """``input`` with its ``diagonal(offset, dim1, dim2)`` replaced by ``src`` (a new tensor;
    differentiable in both).

    Example:
        >>> autograd.diagonal_scatter(autograd.zeros(2, 2), autograd.ones(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    n = input.ndim
    d1, d2 = _diagonal_dims(input, dim1, dim2)
    rows, cols = _diag_index(input.shape[d1], input.shape[d2], int(offset))
    # the diagonal's positions, with the other dims in order and the diagonal last (as
    # diagonal() returns it)
    others = [d for d in range(n) if d not in (d1, d2)]
    grids = np.meshgrid(
        *[np.arange(input.shape[d]) for d in others], np.arange(rows.size), indexing="ij"
    )
    idx = [None] * n
    for d, g in zip(others, grids[:-1]):
        idx[d] = g
    idx[d1], idx[d2] = rows[grids[-1]], cols[grids[-1]]
    return _embed("diagonal_scatter", input, src, tuple(idx))


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """``input`` with ``input.select(dim, index)`` replaced by ``src``.

    Example:
        >>> autograd.select_scatter(autograd.zeros(2, 2), autograd.ones(2), 0, 0)
        tensor([[1., 1.],
                [0., 0.]])
    """
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size "
            f"{list(input.shape)} at dimension {d}"
        )
    return _embed("select_scatter", input, src, (slice(None),) * d + (int(index) % n,))


def slice_scatter(
    input: Tensor, src: Tensor, dim: int = 0, start=None, end=None, step: int = 1
) -> Tensor:
    """``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``.

    Example:
        >>> autograd.slice_scatter(autograd.zeros(4), autograd.ones(2), 0, 1, 4, 2)
        tensor([0., 1., 0., 1.])
    """
    d = wrap_dim(dim, input.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    return _embed("slice_scatter", input, src, (slice(None),) * d + (slice(start, end, step),))


def _np_diagonal_scatter(x, src, offset=0, dim1=0, dim2=1):
    out = x.copy()
    view = np.diagonal(out, offset, dim1, dim2)
    view.setflags(write=True)
    view[...] = src
    return out


def _np_select_scatter(x, src, dim, index):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (index,)] = src
    return out


def _np_slice_scatter(x, src, dim=0, start=None, end=None, step=1):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (slice(start, end, step),)] = src
    return out


register(
    OpInfo(
        "diagonal_scatter",
        diagonal_scatter,
        ref=_np_diagonal_scatter,
        family="slicing",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 3)), rng.normal(size=(3,))),
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(2,)), -1),
            Sample(rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 2)), 1, 0, 2),
            Sample(rng.normal(size=(2, 2)), rng.normal(size=(0,)), 3),
        ],
    )
)
register(
    OpInfo(
        "select_scatter",
        select_scatter,
        ref=_np_select_scatter,
        family="slicing",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(4,)), 0, 1),
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(3,)), -1, -1),
            Sample(rng.normal(size=(2,)), rng.normal(size=()), 0, 0),
        ],
    )
)
register(
    OpInfo(
        "slice_scatter",
        slice_scatter,
        ref=_np_slice_scatter,
        family="slicing",
        samples=lambda rng: [
            Sample(rng.normal(size=(4, 2)), rng.normal(size=(2, 2)), 0, 1, 4, 2),
            Sample(rng.normal(size=(3, 5)), rng.normal(size=(3, 2)), 1, -2),
            Sample(rng.normal(size=(3, 2)), rng.normal(size=(3, 2))),
            Sample(rng.normal(size=(3, 2)), rng.normal(size=(0, 2)), 0, 2, 1),
        ],
    )
)
