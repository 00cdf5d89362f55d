"""The index_* ops: a 1-D index along one dim. index_select, index_add, index_copy,
index_fill, index_reduce.

Like gather / scatter (``scatter.py``) they are GetItem / IndexAdd / IndexPut (indexing.py)
with a computed full index, so their gradients of any order come from those primitives.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError
from ..function import derive
from ..tensor import Tensor
from ._util import _torch_dtype_name, as_tensor_operand, tracked, wrap_dim
from .indexing import (
    GetItem,
    IndexAdd,
    IndexPut,
    _wrap_indices,
)
from .masking import _fill_value, _number_as
from .registry import OpInfo, Sample, register
from .scatter import _as_1d, _np_scatter_reduce, scatter_reduce

__all__ = ["index_select", "index_add", "index_copy", "index_fill", "index_reduce"]


# ---- index_select / index_add / index_copy / index_fill: a 1-D index along one dim
def _dim_index(input: Tensor, dim, index, opname):
    arr = index._data if isinstance(index, Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{opname}(): Expected dtype int32/int64 for index")
    if arr.ndim > 1:
        raise IndexError(f"{opname}(): Index is supposed to be a vector")
    dim = wrap_dim(dim, input.ndim)
    size = input.shape[dim] if input.ndim else 1
    return dim, derive(
        _index_along,
        index if isinstance(index, Tensor) else arr,
        dim=dim,
        size=size,
        lead=input.ndim > 0,
    )


def _index_along(index: np.ndarray, dim: int, size: int, lead: bool) -> tuple:
    """The NumPy index picking positions ``index`` (checked) along ``dim``."""
    arr = _wrap_indices(
        index.reshape(-1), size, dim, negative_ok=False, msg="index out of range in self"
    )
    return (slice(None),) * dim + (arr,) if lead else (arr,)


class IndexSelect(GetItem):
    """``x`` restricted to the positions ``index`` along one dim."""


def index_select(input: Tensor, dim: int, index) -> Tensor:
    """Rows (or any dim's slices) at ``index``, in that order; repeats allowed.

    Example:
        >>> autograd.tensor([[1.0, 2.0], [3.0, 4.0]]).index_select(0, autograd.tensor([1, 1]))
        tensor([[3., 4.],
                [3., 4.]])
    """
    dim, idx = _dim_index(input, dim, index, "index_select")
    if input.ndim == 0:  # a 0-d input acts as a 1-element vector; result: index's shape
        from .movement import reshape

        return reshape(
            IndexSelect.apply(_as_1d(input), idx=idx),
            np.shape(index._data if isinstance(index, Tensor) else index),
        )
    return IndexSelect.apply(input, idx=idx)


def _source_for(input, dim, idx, source, opname) -> Tensor:
    source = as_tensor_operand(source)
    n = idx[-1].size
    if source.ndim != input.ndim and not (source.ndim == 0 and input.ndim <= 1):
        raise ShapeError(
            f"{opname}(): Source/destination tensor must have same slice shapes. "
            f"Destination slice shape: {list(input.shape)} at dimension {dim} and "
            f"source slice shape: {list(source.shape)} at dimension {dim}."
        )
    src_n = source.shape[dim] if source.ndim else 1
    if src_n != n:
        raise ShapeError(
            f"{opname}(): Number of indices ({n}) should be equal to "
            f"source.size(dim): ({src_n}), for dim: {dim}"
        )
    expected = tuple(n if d == dim else s for d, s in enumerate(input.shape))
    if source.ndim and tuple(source.shape) != expected:
        raise ShapeError(
            f"{opname}(): Source/destination tensor must have same slice shapes. "
            f"Destination slice shape: {list(input.shape)} at dimension {dim} and "
            f"source slice shape: {list(source.shape)} at dimension {dim}."
        )
    if source._data.dtype != input._data.dtype:
        # torch's two wordings: index_copy_ has its own sentence
        mine, theirs = _torch_dtype_name(input._data.dtype), _torch_dtype_name(source._data.dtype)
        if opname.startswith("index_copy"):
            raise DTypeError(
                f"{opname}(): self and source expected to have the same dtype, but got "
                f"(self) {mine} and (source) {theirs}"
            )
        raise DTypeError(
            f"{opname}(): self ({mine}) and source ({theirs}) must have the same scalar type"
        )
    if source.ndim == 0 and input.ndim == 1:
        from .movement import reshape

        source = reshape(source, (1,))
    return source


def index_add(input: Tensor, dim: int, index, source, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeats add up).

    Example:
        >>> autograd.zeros(3, 2).index_add(0, autograd.tensor([0, 0]), autograd.ones(2, 2))
        tensor([[2., 2.],
                [0., 0.],
                [0., 0.]])
    """
    dim, idx = _dim_index(input, dim, index, "index_add_")
    source = _source_for(input, dim, idx, source, "index_add_")
    if alpha != 1:
        if type(alpha) is int and source._data.dtype.kind in "iu":
            _number_as(alpha, source._data.dtype)  # (torch refuses what the type cannot hold)
        source = source * alpha
    return IndexAdd.apply(input, source, idx=idx)


def index_copy(input: Tensor, dim: int, index, source) -> Tensor:
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source``.

    Example:
        >>> autograd.zeros(3).index_copy(0, autograd.tensor([2]), autograd.tensor([7.0]))
        tensor([0., 0., 7.])
    """
    dim, idx = _dim_index(input, dim, index, "index_copy_")
    source = _source_for(input, dim, idx, source, "index_copy_")
    return IndexPut.apply(input, source, idx=idx)


def index_fill(input: Tensor, dim: int, index, value) -> Tensor:
    """``input`` with the slices at ``index`` along ``dim`` set to ``value``.

    Example:
        >>> autograd.zeros(2, 2).index_fill(1, autograd.tensor([0]), -1.0)
        tensor([[-1.,  0.],
                [-1.,  0.]])
    """
    dim, idx = _dim_index(input, dim, index, "index_fill_")
    # filling twice is filling once: drop repeats so value's gradient counts each slot once
    idx = idx[:-1] + (np.unique(idx[-1]),)
    v = _fill_value(input, value, "index_fill_")
    if tracked(v):
        from .movement import expand

        v = expand(v, np.empty(input._data.shape, np.bool_)[idx].shape)
    return IndexPut.apply(input, v, idx=idx)


def _np_index_op(kind):
    def ref(x, dim, index, source=None, alpha=1):
        out = x.copy()
        sl = (slice(None),) * (dim % max(x.ndim, 1)) + (np.asarray(index).reshape(-1),)
        if kind == "select":
            return x[sl]
        if kind == "add":
            np.add.at(out, sl, alpha * source)
        else:
            out[sl] = source
        return out

    return ref


def _torch_index_op(name):
    """``torch_fn`` of torch.<name>(x, dim, index, ...): the NumPy index array made a tensor."""
    return lambda torch, x, d, i, *a, **kw: getattr(torch, name)(x, d, torch.as_tensor(i), *a, **kw)


def _select_samples(rng):
    return [
        Sample(rng.normal(size=(4, 3)), 0, np.array([3, 0, 3])),
        Sample(rng.normal(size=(2, 3, 4)), -1, np.array([1])),
        Sample(rng.normal(size=(4, 3)), 1, np.array([], dtype=np.int64)),
    ]


def _add_samples(rng):
    return [
        Sample(rng.normal(size=(4, 3)), 0, np.array([3, 0, 3]), rng.normal(size=(3, 3))),
        Sample(rng.normal(size=(2, 4)), 1, np.array([1, 2]), rng.normal(size=(2, 2)), alpha=-2.0),
    ]


def _copy_samples(rng):
    return [
        Sample(rng.normal(size=(4, 3)), 0, np.array([3, 0]), rng.normal(size=(2, 3))),
        Sample(rng.normal(size=(2, 4)), -1, np.array([2]), rng.normal(size=(2, 1))),
    ]


def _fill_samples(rng):
    return [
        Sample(rng.normal(size=(4, 3)), 0, np.array([3, 0]), 2.5),
        Sample(rng.normal(size=(2, 4)), 1, np.array([1, 1]), rng.normal(size=())),
    ]


register(
    OpInfo(
        "index_select",
        index_select,
        ref=_np_index_op("select"),
        samples=_select_samples,
        torch_fn=_torch_index_op("index_select"),
        family="index_dim",
    )
)
# the in-place family: (name, function, what the NumPy reference does, samples, torch_fn)
for _opname, _fn, _kind, _samples, _torch_fn in [
    ("index_add", index_add, "add", _add_samples, _torch_index_op("index_add")),
    ("index_copy", index_copy, "copy", _copy_samples, _torch_index_op("index_copy")),
    (
        "index_fill",
        index_fill,
        "copy",
        _fill_samples,
        lambda torch, x, d, i, v: x.index_fill(d, torch.as_tensor(i), v),
    ),
]:
    register(
        OpInfo(
            _opname,
            _fn,
            inplace=True,
            ref=_np_index_op(_kind),
            samples=_samples,
            torch_fn=_torch_fn,
            family="index_dim",
        )
    )


def index_reduce(
    input: Tensor, dim: int, index, source, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce the slices of ``source`` into ``input`` at ``index`` along ``dim`` with
    ``reduce`` in ``"prod"``, ``"mean"``, ``"amax"``, ``"amin"`` (``include_self=False``
    leaves the old values of the targeted slices out): ``scatter_reduce`` with one index per
    slice instead of one per element.

    Example:
        >>> autograd.ones(2).index_reduce(0, autograd.tensor([0, 0]),
        ...                               autograd.tensor([2.0, 3.0]), "prod")
        tensor([6., 1.])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
            f"amin but got {reduce}."
        )
    arr = np.asarray(index._data if isinstance(index, Tensor) else index)
    if arr.dtype.kind not in "iu":
        from ._util import _torch_dtype_name

        raise DTypeError(
            f"index_reduce_(): Expected dtype int32/int64 for index but got: "
            f"{_torch_dtype_name(arr.dtype)}"
        )
    dim, idx = _dim_index(input, dim, index, "index_reduce_")
    source = _source_for(input, dim, idx, source, "index_reduce_")
    # the index of every element of source: its slice's target along dim (derived from the
    # index tensor's values, see function.derive)
    full = derive(_index_everywhere, idx[-1], dim=dim, shape=tuple(source.shape))
    return scatter_reduce(input, dim, Tensor._make(full), source, reduce, include_self=include_self)


def _index_everywhere(index: np.ndarray, dim: int, shape: tuple) -> np.ndarray:
    """``index`` (1-d, along ``dim``) repeated over the other dims of ``shape``."""
    along = index.reshape([-1 if d == dim else 1 for d in range(len(shape))])
    return np.broadcast_to(along, shape).copy()


def _np_index_reduce(x, dim, index, source, reduce, include_self=True):
    full = np.broadcast_to(
        np.reshape(index, [-1 if d == dim % x.ndim else 1 for d in range(x.ndim)]), source.shape
    )
    return _np_scatter_reduce(x, dim % x.ndim, full, source, reduce, include_self)


def _index_reduce_samples(rng):
    x = rng.normal(size=(3, 4))
    out = []
    for reduce in ("prod", "mean", "amax", "amin"):
        out.append(Sample(x, 0, np.array([0, 2, 0, 1, 2]), rng.normal(size=(5, 4)), reduce))
        out.append(
            Sample(x, 1, np.array([3, 3]), rng.normal(size=(3, 2)), reduce, include_self=False)
        )
    return out


register(
    OpInfo(
        "index_reduce",
        index_reduce,
        inplace=True,
        ref=_np_index_reduce,
        samples=_index_reduce_samples,
        family="index_dim",
        torch_fn=_torch_index_op("index_reduce"),
    )
)
