"""Ops that pick or write along one dim with an index tensor shaped like the output:
gather / take_along_dim, scatter / scatter_add / scatter_reduce; and one_hot.

The index_* ops (a 1-D index along one dim) are in ``index_dim.py``; diagonal_scatter,
select_scatter and slice_scatter next to the views they invert, in ``slicing.py``.

They are GetItem / IndexAdd / IndexPut (indexing.py) with a computed full index, so their
gradients of any order come from those three primitives; scatter_reduce's amax/amin/prod
have Ops of their own.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError
from ..function import Op, derive
from ..tensor import Tensor
from . import xp as _xp
from ._util import as_tensor_operand, wrap_dim
from .indexing import (
    GetItem,
    IndexAdd,
    IndexPut,
    _np_index_add_zeros,
    _take,
    _wrap_indices,
)
from .masking import _number_as
from .registry import OpInfo, Sample, register, torch_functional
from ..dtypes import FLOAT_KINDS

__all__ = ["gather", "take_along_dim", "scatter", "scatter_add", "scatter_reduce", "one_hot"]


# ---- gather / take_along_dim / scatter: an index tensor shaped like the output -------------
def _check_index_tensor(index, opname) -> np.ndarray:
    arr = index._data if isinstance(index, Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{opname}(): Expected dtype int64 for index, got {arr.dtype}")
    return arr


def _flat_index(index, arr: np.ndarray):
    """``index`` (a Tensor, or else its array ``arr``) flattened; a Tensor by an op, so that
    autograd.compile sees the values it carries (a view of its array would escape)."""
    if isinstance(index, Tensor):
        from .movement import reshape

        return reshape(index, (-1,))
    return arr.reshape(-1)


def _along_dim_index(index: np.ndarray, dim: int, size: int) -> tuple:
    """The full index of ``gather``/``scatter``: ``index`` along ``dim``, positions elsewhere."""
    idx = []
    for d in range(index.ndim):
        if d == dim:
            idx.append(_wrap_indices(index, size, dim, negative_ok=False))
        else:
            s = [1] * index.ndim
            s[d] = index.shape[d]
            idx.append(np.arange(index.shape[d], dtype=np.intp).reshape(s))
    return tuple(idx)


class Gather(GetItem):
    """``out[i][j] = x[index[i][j]][j]`` (dim 0): a GetItem with a full index."""


def _as_1d(t: Tensor) -> Tensor:
    from .movement import reshape

    return reshape(t, (1,)) if t.ndim == 0 else t


def gather(input: Tensor, dim: int, index, *, sparse_grad: bool = False) -> Tensor:
    """Pick values along ``dim`` at positions given by ``index`` (same ndim as ``input``).

    Example:
        >>> autograd.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, autograd.tensor([[1], [0]]))
        tensor([[2.],
                [3.]])
    """
    arr = _check_index_tensor(index, "gather")
    if input.ndim == 0 or arr.ndim == 0:
        from .movement import reshape

        # 0-d input or index: work on 1-element vectors, answer in the index's shape
        return reshape(gather(_as_1d(input), wrap_dim(dim, 1), _flat_index(index, arr)), arr.shape)
    dim = wrap_dim(dim, input.ndim)
    if arr.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(arr.ndim):
        if d != dim and arr.shape[d] > input.shape[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index "
                f"{list(arr.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {dim}"
            )
    return Gather.apply(
        input,
        idx=derive(
            _along_dim_index,
            index if isinstance(index, Tensor) else arr,
            dim=dim,
            size=input.shape[dim],
        ),
    )


def take_along_dim(input: Tensor, indices, dim=None) -> Tensor:
    """NumPy's take_along_axis: like gather, but ``input`` and ``indices`` broadcast
    (except along ``dim``); ``dim=None`` works on the flattened tensors.

    Example:
        >>> x = autograd.tensor([[3.0, 1.0], [2.0, 5.0]])
        >>> autograd.take_along_dim(x, x.argsort(dim=1), dim=1)
        tensor([[1., 3.],
                [2., 5.]])
    """
    from .movement import expand, reshape

    arr = _check_index_tensor(indices, "take_along_dim")
    if dim is None:
        return gather(reshape(input, (-1,)), 0, _flat_index(indices, arr))
    dim = wrap_dim(dim, max(input.ndim, arr.ndim))
    if input.ndim != arr.ndim:
        raise RuntimeError(
            f"torch.take_along_dim(): input and indices should have the same "
            f"number of dimensions, but got {input.ndim} dimensions for input, "
            f"and {arr.ndim} dimensions for indices"
        )
    shape_in = list(input.shape)
    shape_ix = list(arr.shape)
    shape_in[dim] = shape_ix[dim] = 1
    common = list(np.broadcast_shapes(tuple(shape_in), tuple(shape_ix)))
    tgt_in, tgt_ix = list(common), list(common)
    tgt_in[dim], tgt_ix[dim] = input.shape[dim], arr.shape[dim]
    if tuple(tgt_in) != tuple(input.shape):
        input = expand(input, tuple(tgt_in))
    return gather(
        input,
        dim,
        derive(np.broadcast_to, indices if isinstance(indices, Tensor) else arr, tuple(tgt_ix)),
    )


def _np_gather(x, dim, index, **kw):
    out = np.empty(index.shape, x.dtype)
    for pos in np.ndindex(*index.shape):  # out[i][j] = x[index[i][j]][j] (dim 0), literally
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def _gather_samples(rng):
    x = rng.normal(size=(3, 4))
    return [
        Sample(x, 0, np.array([[0, 1, 2, 0], [2, 2, 1, 0]])),
        Sample(x, 1, np.array([[3, 3], [0, 1], [2, 0]])),
        Sample(x, -1, np.array([[1], [1]])),  # index smaller than input
        Sample(rng.normal(size=(2, 3, 4)), 2, rng.integers(0, 4, (2, 3, 5))),
    ]


register(
    OpInfo(
        "gather",
        gather,
        ref=_np_gather,
        samples=_gather_samples,
        torch_fn=lambda torch, x, dim, i: torch.gather(x, dim, torch.as_tensor(i)),
        family="scatter",
    )
)


def _np_take_along_dim(x, idx, dim=None):
    if dim is None:
        return np.take_along_axis(x.reshape(-1), idx.reshape(-1), axis=0)
    dim %= x.ndim

    def without_dim(shape):
        return tuple(1 if d == dim else n for d, n in enumerate(shape))

    common = np.broadcast_shapes(without_dim(x.shape), without_dim(idx.shape))
    xs = tuple(x.shape[d] if d == dim else n for d, n in enumerate(common))
    ys = tuple(idx.shape[d] if d == dim else n for d, n in enumerate(common))
    return np.take_along_axis(np.broadcast_to(x, xs), np.broadcast_to(idx, ys), axis=dim)


register(
    OpInfo(
        "take_along_dim",
        take_along_dim,
        ref=_np_take_along_dim,
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), np.array([[0, 3], [1, 1], [2, 0]]), 1),
            Sample(rng.normal(size=(3, 4)), np.array([5, 0, 11]), None),
            Sample(rng.normal(size=(3, 1)), np.array([[0, 0, 0]]), 1),  # input broadcasts
            Sample(rng.normal(size=(1, 4)), np.array([[0], [3]]), 1),
        ],  # indices broadcast
        torch_fn=lambda torch, x, i, dim: torch.take_along_dim(x, torch.as_tensor(i), dim),
        family="scatter",
    )
)


def _scatter_prepare(input: Tensor, dim, index, src, opname):
    """Checks shared by the scatter ops; returns (dim, full index, src restricted to index)."""
    arr = _check_index_tensor(index, opname)
    if input.ndim == 0:
        raise RuntimeError(f"{opname}(): expected a tensor with at least one dimension")
    dim = wrap_dim(dim, input.ndim)
    if arr.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    src_shape = src.shape if isinstance(src, Tensor) else None
    bad = any(d != dim and arr.shape[d] > input.shape[d] for d in range(arr.ndim))
    if src_shape is not None:
        bad = (
            bad
            or len(src_shape) != arr.ndim
            or any(arr.shape[d] > src_shape[d] for d in range(arr.ndim))
        )
    if bad:
        msg = (
            f"Expected index {list(arr.shape)} to be no larger than self "
            f"{list(input.shape)} apart from dimension {dim}"
        )
        if src_shape is not None:
            msg += f" and to be no larger size than src {list(src_shape)}"
        raise RuntimeError(msg)
    idx = derive(
        _along_dim_index,
        index if isinstance(index, Tensor) else arr,
        dim=dim,
        size=input.shape[dim],
    )
    if isinstance(src, Tensor):
        if tuple(src.shape) != arr.shape:  # only src's leading block is used
            src = GetItem.apply(src, idx=tuple(slice(0, n) for n in arr.shape))
        if src._data.dtype != input._data.dtype:
            # torch refuses rather than cast: a float src scattered into an integer tensor
            # would be truncated without a word
            raise DTypeError("scatter(): Expected self.dtype to be equal to src.dtype")
    return dim, idx, src


class Scatter(IndexPut):
    """``x[index[i][j]][j] = src[i][j]`` (dim 0): an IndexPut with a full index."""


class ScatterAdd(IndexAdd):
    """``x[index[i][j]][j] += src[i][j]`` (dim 0): an IndexAdd with a full index."""


def scatter(input: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """Write ``src`` (or a number ``value``) into ``input`` at ``index`` along ``dim``
    (the inverse of gather). ``reduce='add'`` adds instead (same as ``scatter_add``).

    Example:
        >>> autograd.zeros(2, 3).scatter(1, autograd.tensor([[2], [0]]), 1.0)
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    dim, idx, src = _scatter_prepare(input, dim, index, src, "scatter")
    if src is None:
        shape = np.broadcast_shapes(*[getattr(i, "shape", ()) for i in idx])  # = index's
        # (torch refuses a value the type cannot hold; NumPy would raise OverflowError)
        src = Tensor._make(np.full(shape, _number_as(value, input._data.dtype)))
    if reduce == "add":
        return ScatterAdd.apply(input, src, idx=idx)
    if reduce == "multiply":
        if input._requires_grad or src._requires_grad:
            raise RuntimeError(
                "scatter(reduce='multiply') is not differentiable; use "
                "scatter_reduce(..., reduce='prod')"
            )
        out = input._data.copy()
        np.multiply.at(out, idx, src._data)
        return Tensor._make(out)
    return Scatter.apply(input, src, idx=idx)


def scatter_add(input: Tensor, dim: int, index, src: Tensor) -> Tensor:
    """Add ``src`` into ``input`` at ``index`` along ``dim``; repeated indices accumulate.

    Example:
        >>> autograd.zeros(3).scatter_add(0, autograd.tensor([0, 0, 2]), autograd.ones(3))
        tensor([2., 0., 1.])
    """
    dim, idx, src = _scatter_prepare(input, dim, index, as_tensor_operand(src), "scatter_add")
    return ScatterAdd.apply(input, src, idx=idx)


def _dim_and_index(dim, index, ndim):
    arr = np.asarray(index._data if isinstance(index, Tensor) else index)
    return wrap_dim(dim, ndim), arr


def _xp_gather_np(g, dim, index):
    dim, arr = _dim_and_index(dim, index, g.ndim)
    return g[_along_dim_index(arr, dim, g.shape[dim])]


def _xp_scatter_add_zeros_np(g, dim, index, shape):
    dim, arr = _dim_and_index(dim, index, len(shape))
    return _np_index_add_zeros(g, _along_dim_index(arr, dim, shape[dim]), tuple(shape))


def _xp_scatter_add_zeros_tensor(g, dim, index, shape):
    dim, arr = _dim_and_index(dim, index, len(shape))
    return ScatterAdd.apply(
        Tensor._make(np.zeros(tuple(shape), g._data.dtype)),
        g,
        idx=_along_dim_index(arr, dim, shape[dim]),
    )


# For VJPs of ops that pick along a dim (max/min with dim, sort, topk, ...): gather the
# gradient, or scatter-add it into zeros of the input's shape (repeats accumulate).
_xp.define("gather", numpy=_xp_gather_np, tensor=lambda g, dim, index: gather(g, dim, index))
_xp.define("scatter_add_zeros", numpy=_xp_scatter_add_zeros_np, tensor=_xp_scatter_add_zeros_tensor)


def _np_scatter(x, dim, index, src=None, value=None, reduce=None):
    out = x.copy()
    if not isinstance(src, np.ndarray):
        src = np.full(index.shape, src if value is None else value, x.dtype)
    src = src[tuple(slice(0, n) for n in index.shape)]
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        if reduce == "add":
            out[tuple(tgt)] += src[pos]
        else:
            out[tuple(tgt)] = src[pos]
    return out


def _unique_scatter_index(rng, shape, size, dim):
    """Index for scatter without collisions along dim (their result would be arbitrary)."""
    out = np.empty(shape, dtype=np.int64)
    for pos in np.ndindex(*[n for d, n in enumerate(shape) if d != dim]):
        perm = rng.permutation(size)[: shape[dim]]
        sl = list(pos)
        sl.insert(dim, slice(None))
        out[tuple(sl)] = perm
    return out


register(
    OpInfo(
        "scatter",
        scatter,
        inplace=True,
        ref=_np_scatter,
        samples=lambda rng: [
            Sample(
                rng.normal(size=(3, 4)),
                0,
                _unique_scatter_index(rng, (2, 4), 3, 0),
                rng.normal(size=(2, 4)),
            ),
            Sample(
                rng.normal(size=(3, 5)),
                1,
                _unique_scatter_index(rng, (3, 2), 5, 1),
                rng.normal(size=(3, 2)),
            ),
            Sample(rng.normal(size=(3, 4)), -1, _unique_scatter_index(rng, (2, 3), 4, 1), 1.5),
        ],
        # src larger than index and reduce="add" are checked in tests/test_indexing.py: torch has
        # no backward for them
        torch_fn=lambda torch, x, d, i, s, **kw: torch.scatter(x, d, torch.as_tensor(i), s, **kw),
        family="scatter",
    )
)
register(
    OpInfo(
        "scatter_add",
        scatter_add,
        inplace=True,
        ref=lambda x, d, i, s: _np_scatter(x, d, i, s, reduce="add"),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), 0, rng.integers(0, 3, (5, 4)), rng.normal(size=(5, 4))),
            Sample(rng.normal(size=(2, 5)), 1, rng.integers(0, 5, (2, 3)), rng.normal(size=(2, 3))),
        ],
        torch_fn=lambda torch, x, d, i, s: torch.scatter_add(x, d, torch.as_tensor(i), s),
        family="scatter",
    )
)


class ScatterExtreme(Op):
    """scatter_reduce with ``amax``/``amin``: the gradient is shared equally among all the
    contributors (self and src entries) equal to the result, like PyTorch."""

    grad_fn_name = "ScatterReduceBackward0"

    @staticmethod
    def forward(ctx, x, src, idx, ufunc, include_self):
        out = x.copy()
        if not include_self:  # scattered positions start from the reduction's identity
            if x.dtype.kind in FLOAT_KINDS:
                out[idx] = -np.inf if ufunc is np.maximum else np.inf
            else:
                info = np.iinfo(x.dtype)
                out[idx] = info.min if ufunc is np.maximum else info.max
        ufunc.at(out, idx, src)
        if ctx.needs_input_grad:  # constant masks: who attains the extreme
            self_hit = x == out
            if not include_self:
                self_hit[idx] = False
            src_hit = src == out[idx]
            count = self_hit.astype(x.dtype)
            np.add.at(count, idx, src_hit.astype(x.dtype))
            ctx.idx, ctx.self_hit, ctx.src_hit, ctx.count = idx, self_hit, src_hit, count
        return out

    @staticmethod
    def backward(ctx, g, xp):
        share = g / xp.asarray(np.maximum(ctx.count, 1))
        zero = xp.zeros_like(share)
        gx = xp.where(xp.asarray(ctx.self_hit), share, zero) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[1]:
            picked = _take(share, ctx.idx, xp)
            gs = xp.where(xp.asarray(ctx.src_hit), picked, xp.zeros_like(picked))
        return gx, gs


class ScatterProd(Op):
    """scatter_reduce with ``prod``. A contributor ``c`` to ``out[p]`` has derivative
    ``out[p] / c`` when it is nonzero; a zero contributor gets the product of the others if
    it is the only zero there, else 0 (the division formula would give 0/0)."""

    grad_fn_name = "ScatterReduceBackward0"

    @staticmethod
    def forward(ctx, x, src, idx, include_self):
        out = x.copy()
        if not include_self:
            out[idx] = 1
        np.multiply.at(out, idx, src)
        if ctx.needs_input_grad:  # constants for the zero contributors
            self_c = x.copy()
            if not include_self:
                self_c[idx] = 1  # excluded: neutral, and its gradient is 0 there (below)
            zeros = (self_c == 0).astype(np.int64)
            np.add.at(zeros, idx, (src == 0).astype(np.int64))
            others = np.where(self_c == 0, 1, self_c)  # product of the nonzero contributors
            np.multiply.at(others, idx, np.where(src == 0, 1, src))
            ctx.idx, ctx.zeros, ctx.others, ctx.include_self = idx, zeros, others, include_self
            ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        x, src, out = ctx.saved_tensors
        idx, lone_zero = ctx.idx, ctx.zeros == 1
        g_out = g * out
        g_others = g * xp.asarray(ctx.others)
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = _contributor_grad(x, g_out, g_others, lone_zero, xp)
            if not ctx.include_self:
                gx = (
                    IndexPut.apply(gx, Tensor._make(np.zeros((), gx._data.dtype)), idx=idx)
                    if xp.graph
                    else _np_zero_at(gx, idx)
                )
        if ctx.needs_input_grad[1]:
            gs = _contributor_grad(
                src, _take(g_out, idx, xp), _take(g_others, idx, xp), lone_zero[idx], xp
            )
        return gx, gs


def _contributor_grad(c, g_out, g_others, lone_zero, xp):
    """The gradient of ``scatter_reduce(..., "prod")`` for the contributors ``c`` (the input
    or the source), given ``g * out`` and ``g * (product of the nonzero others)`` at their
    places: ``g * out / c`` where ``c`` is nonzero; where ``c`` is the only zero of its
    product, ``g`` times the others' product; 0 elsewhere."""
    nz = np.asarray(c._data if isinstance(c, Tensor) else c) != 0
    safe = xp.where(xp.asarray(nz), c, xp.ones_like(c))
    return xp.where(
        xp.asarray(nz),
        g_out / safe,
        xp.where(xp.asarray(~nz & lone_zero), g_others, xp.zeros_like(safe)),
    )


def _scatter_count(shape, dtype, idx, include_self):
    """How many values ``scatter_reduce(..., "mean")`` averages at each position (at least 1:
    a position nothing reaches keeps its value)."""
    count = np.zeros(shape, dtype=dtype)
    np.add.at(count, idx, 1)
    if include_self:
        count += 1
    return np.maximum(count, 1)


def _np_zero_at(a, idx):
    a = a.copy()
    a[idx] = 0
    return a


def scatter_reduce(
    input: Tensor, dim: int, index, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` with ``reduce`` in
    ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"``, ``"amin"`` (``include_self=False``
    leaves the old values of scattered positions out of the reduction).

    Example:
        >>> autograd.zeros(2).scatter_reduce(0, autograd.tensor([0, 0, 1]),
        ...                                  autograd.tensor([1.0, 3.0, 2.0]), "amax")
        tensor([3., 2.])
    """
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    dim, idx, src = _scatter_prepare(input, dim, index, as_tensor_operand(src), "scatter_reduce")
    if reduce == "prod":
        return ScatterProd.apply(input, src, idx=idx, include_self=include_self)
    if reduce in ("amax", "amin"):
        return ScatterExtreme.apply(
            input,
            src,
            idx=idx,
            include_self=include_self,
            ufunc=np.maximum if reduce == "amax" else np.minimum,
        )
    base = (
        input
        if include_self
        else Scatter.apply(input, Tensor._make(np.zeros((), input._data.dtype)), idx=idx)
    )
    total = ScatterAdd.apply(base, src, idx=idx)
    if reduce == "sum":
        return total
    count = derive(
        _scatter_count,
        shape=tuple(input.shape),
        dtype=input._data.dtype,
        idx=idx,
        include_self=include_self,
    )
    if input._data.dtype.kind in FLOAT_KINDS:
        return total / Tensor._make(count)
    return total // Tensor._make(count)


def _np_scatter_reduce(x, dim, index, src, reduce, include_self=True):
    out = x.copy()
    groups = {}
    for pos in np.ndindex(*index.shape):
        tgt = list(pos)
        tgt[dim] = index[pos]
        groups.setdefault(tuple(tgt), []).append(src[pos])
    for tgt, vals in groups.items():
        vals = vals + ([x[tgt]] if include_self else [])
        out[tgt] = {
            "sum": np.sum,
            "prod": np.prod,
            "mean": np.mean,
            "amax": np.max,
            "amin": np.min,
        }[reduce](vals)
    return out


def _scatter_reduce_samples(rng):
    x, src = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    i = rng.integers(0, 3, (5, 4))
    return [
        Sample(x, 0, i, src, "sum"),
        Sample(x, 0, i, src, "mean", include_self=False),
        Sample(x, 0, i, src, "mean"),
        Sample(x, 0, i, src, "amax"),
        Sample(x, 0, i, src, "amin", include_self=False),
        Sample(x, 0, i, src, "prod"),
        Sample(x, 0, i, src, "prod", include_self=False),
        Sample(
            rng.normal(size=(2, 5)),
            1,
            rng.integers(0, 5, (2, 7)),
            rng.normal(size=(2, 7)),
            "amax",
            include_self=False,
        ),
    ]


register(
    OpInfo(
        "scatter_reduce",
        scatter_reduce,
        inplace=True,
        ref=_np_scatter_reduce,
        samples=_scatter_reduce_samples,
        torch_fn=lambda torch, x, d, i, s, r, **kw: torch.scatter_reduce(
            x, d, torch.as_tensor(i), s, r, **kw
        ),
        family="scatter",
    )
)


# ---- one_hot ------------------------------------------------------------------------------------
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dimension of size ``num_classes``
    (inferred as max + 1 when -1). Not differentiable.

    Example:
        >>> autograd.one_hot(autograd.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    if not isinstance(tensor, Tensor) or tensor._data.dtype != np.int64:
        raise DTypeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:  # (the result's shape depends on the values: not compiled)
        if tensor._data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor._data.max()) + 1
    return Tensor._make(derive(_one_hot, tensor, num_classes=int(num_classes)))


def _one_hot(idx: np.ndarray, num_classes: int) -> np.ndarray:
    """``one_hot`` on an index array (its values decide the result: see function.derive)."""
    if idx.size:
        if idx.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if idx.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(idx.shape + (num_classes,), np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return out


register(
    OpInfo(
        "one_hot",
        one_hot,
        method=False,
        differentiable=False,
        family="scatter",
        ref=lambda x, n=-1: np.eye(x.max() + 1 if n == -1 else n, dtype=np.int64)[x],
        samples=lambda rng: [
            Sample(rng.integers(0, 4, (5,))),
            Sample(rng.integers(0, 3, (2, 3)), 5),
            Sample(np.array(2), 4),
            Sample(rng.integers(0, 3, (0,)), 3),
        ],
        torch_fn=torch_functional("one_hot"),
    )
)
