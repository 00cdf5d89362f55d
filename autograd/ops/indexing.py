"""Indexing: ``x[idx]``, ``x[idx] = v`` (index_put), masked_*, take/put, nonzero.

Three primitives carry every op of this family (and of scatter.py's gather/scatter/index_*,
and narrow/select/diagonal/split/cat's gradients in the movement and join families):

* ``GetItem``   ``out = x[idx]``                      VJP: add g into zeros at idx
* ``IndexAdd``  ``out = x.copy(); out[idx] += v``     VJP: g for x, ``g[idx]`` for v
* ``IndexPut``  ``out = x.copy(); out[idx] = v``      VJP: g zeroed at idx for x, ``g[idx]`` for v

``GetItem``'s VJP is ``IndexAdd`` into zeros and ``IndexAdd``'s VJP is ``GetItem``, so each
is the other's transpose and every op built from them is differentiable to any order.
Adding (``np.add.at``) instead of assigning matters: ``x[[0, 0]]`` uses x[0] twice, so its
gradient is the sum of both output gradients.

Indices are first brought to one canonical NumPy form by ``_normalize_index``
(in _index_normalize.py): Tensors and lists become integer arrays, bool masks become the
integer arrays of their nonzero positions, negative indices are wrapped, and out-of-range
indices raise PyTorch's IndexError. PyTorch differs from NumPy in one corner: integers next to index arrays are
applied first as plain selections (``x[0, :, [0, 1]]`` has shape ``(3, 2)`` in torch but
``(2, 3)`` in NumPy for ``x`` of shape ``(2, 3, 4)``). Such indices are rewritten into an
equivalent all-array ("mesh") index that produces PyTorch's layout.
"""

from __future__ import annotations

from operator import index as _index

import numpy as np

from .. import dtypes as _dt
from ..errors import DTypeError, ShapeError
from .. import function as _function
from ..function import Op, derive
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import _torch_dtype_name, as_tensor_operand, cast, tracked
from ._index_normalize import (  # (re-exported: other families and the tests import them here)
    _INDEX_INTS,
    _NOT_SIMPLE as _NOT_SIMPLE,
    IndexOutOfRange as IndexOutOfRange,
    _is_basic as _is_basic,
    _normalize_index as _normalize_index,
    _slice_bound as _slice_bound,
    _wrap_indices as _wrap_indices,
    as_torch_index as as_torch_index,
)
from ._views import _GRAD_KINDS as _GRAD_KINDS  # (re-exported, like the view functions)
from ._views import _basic_view, _view_of as _view_of, _views_of as _views_of
from .registry import OpInfo, Sample, register

__all__ = ["getitem", "index_put", "take", "put"]


# ==========================================================================================
# The three primitives (on normalized indices)
def _np_add_at(z, idx, v):
    if _is_basic(idx):
        z[idx] += v  # basic indexing never repeats an element: plain add
    else:
        np.add.at(z, idx, v)  # repeated indices accumulate


def _np_index_add_zeros(g, idx, shape):
    z = np.zeros(shape, dtype=g.dtype)
    if _is_basic(idx):  # no element repeats: a copy, which keeps a -0.0 (0.0 + -0.0 is +0.0)
        z[idx] = g  # as torch's slice and select gradients do
    else:
        np.add.at(z, idx, g)  # repeated indices accumulate
    return z


def _indexed(x: np.ndarray, idx: tuple) -> np.ndarray:
    """``x[idx]`` for a normalised index, always an array (GetItem's forward)."""
    out = x[idx]
    if type(out) is not np.ndarray:  # all ints: NumPy gives a scalar (a copy), and
        out = x[idx + (Ellipsis,)]  # with ``...`` a 0-d view, as torch's x[i] is
    return out


class GetItem(Op):
    """``x[idx]``; VJP: the gradient added into zeros at ``idx`` (repeats accumulate)."""

    jvp = staticmethod(linear_jvp)

    grad_fn_name = "IndexBackward0"
    view_param = "idx"  # the parameter that replays this op as a view (see ``_view_of``)

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx, ctx.in_shape = idx, x.shape
        return _indexed(x, idx)

    @staticmethod
    def backward(ctx, g, xp):
        return _index_add_zeros(g, ctx.idx, ctx.in_shape, xp)

    @staticmethod
    def backward_into(ctx, g, into, dirty):
        """``backward`` added into ``into`` (see ``Op.backward_into``): for a basic index only,
        where no element repeats (advanced indices sum repeats before adding them)."""
        idx = ctx.idx
        if not _is_basic(idx):
            return None
        inside = into[idx] + g
        # ``backward``'s zeros are added to the rest of ``into`` too: ``-0.0 + 0.0`` is
        # ``+0.0`` (as in torch), so a -0.0 gradient there must not stay -0.0. Only
        # ``into[dirty]`` may hold one (the engine knows: the part an earlier slice wrote
        # in this backward pass, else all of it); adding 0 changes nothing else.
        part = into[dirty]  # (a view: a basic index or ``...``)
        part += 0
        into[idx] = inside
        return idx


class IndexAdd(Op):
    """``x`` with ``v`` added at ``idx`` (repeats accumulate); VJP: ``g`` and ``g[idx]``."""

    jvp = staticmethod(linear_jvp)

    grad_fn_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, v, idx):
        ctx.idx = idx
        out = x.copy()
        _np_add_at(out, idx, v)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        return g, (_take(g, ctx.idx, xp) if ctx.needs_input_grad[1] else None)


class IndexPut(Op):
    """``x`` with ``x[idx] = v``; VJP: ``g`` zeroed where overwritten, and ``g[idx]`` for v."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, v, idx):
        ctx.idx = idx
        out = x.copy()
        out[idx] = v
        return out

    @staticmethod
    def backward(ctx, g, xp):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            if xp.graph:
                gx = IndexPut.apply(g, Tensor._make(np.zeros((), g._data.dtype)), idx=ctx.idx)
            else:
                gx = np.array(g)  # (a 0-d gradient may arrive as a NumPy scalar)
                gx[ctx.idx] = 0
        if ctx.needs_input_grad[1]:
            gv = _take(g, ctx.idx, xp)
        return gx, gv


def _take(g, idx, xp):
    """``g[idx]`` for a normalized index, in either namespace."""
    return GetItem.apply(g, idx=idx) if xp.graph else np.asarray(g[idx])


def _index_add_zeros(g, idx, shape, xp):
    """Zeros of ``shape`` with ``g`` added at ``idx``, in either namespace."""
    if xp.graph:
        return IndexAdd.apply(Tensor._make(np.zeros(shape, g._data.dtype)), g, idx=idx)
    return _np_index_add_zeros(g, idx, shape)


# xp entries for other families' VJPs (indices in any form; normalized here)
_xp.define(
    "getitem",
    numpy=lambda g, index: g[_normalize_index(index, g)],
    tensor=lambda g, index: getitem(g, index),
)
_xp.define(
    "index_add_zeros",
    numpy=lambda g, index, shape: _np_index_add_zeros(
        g, _normalize_index(index, _Shape(shape)), tuple(shape)
    ),
    tensor=lambda g, index, shape: IndexAdd.apply(
        Tensor._make(np.zeros(tuple(shape), g._data.dtype)),
        g,
        idx=_normalize_index(index, _Shape(shape)),
    ),
)


class _Shape:
    """A stand-in with only ``.shape`` (for normalizing an index against a shape)."""

    def __init__(self, shape):
        self.shape = tuple(shape)


def _pad_np(g, pad_width):
    return np.pad(g, pad_width)


def _pad_tensor(g, pad_width):
    shape = tuple(n + a + b for n, (a, b) in zip(g.shape, pad_width))
    idx = tuple(slice(a, a + n) for n, (a, _) in zip(g.shape, pad_width))
    return IndexAdd.apply(Tensor._make(np.zeros(shape, g._data.dtype)), g, idx=idx)


# xp.pad(g, ((before, after), ...)): embed g in zeros (e.g. the VJP of a crop/slice).
_xp.define("pad", numpy=_pad_np, tensor=_pad_tensor)


# ==========================================================================================
# getitem / index_put
def getitem(input: Tensor, index) -> Tensor:
    """``input[index]`` with PyTorch's rules: ints, slices (any step), None, ``...``,
    integer tensors/lists and bool masks. Differentiable; repeated indices accumulate.

    Example:
        >>> x = autograd.arange(6.0).reshape(2, 3)
        >>> x[:, [0, 0]]
        tensor([[0., 0.],
                [3., 3.]])
    """
    # nothing to record or trace: the input needs no gradient and carries no tangent
    plain = _function._tracer is None and not input._requires_grad and input._fw is None
    if plain and type(index) is slice and index.step is None:
        # Fast path for ``x[a:b]`` (``data[i : i + n]`` in a batch loader): the view the
        # general path below makes, with the bounds (None, ints or 0-d integer tensors) read
        # directly instead of through the index normalisation.
        arr, start, stop = input._data, index.start, index.stop
        if type(start) is Tensor and type(stop) is Tensor:  # (the loader's: both tensors)
            try:
                start, stop = _index(start._data), _index(stop._data)
            except TypeError:  # (not 0-d integer tensors: the general path refuses them)
                start = _NOT_SIMPLE
        else:
            start, stop = _slice_bound(start), _slice_bound(stop)
        if arr.ndim and start is not _NOT_SIMPLE and stop is not _NOT_SIMPLE:
            return _basic_view(arr[start:stop], input, GetItem, (slice(start, stop, None),))
    index = as_torch_index(index)
    idx = _index_for(index, input)
    if plain:
        # Fast path: GetItem's forward runs without Op.apply's bookkeeping; the result is
        # the same tensor and is marked as a view just as on the general path.
        out = Tensor._make(_indexed(input._data, idx))
    else:
        out = GetItem.apply(input, idx=idx)
    return _view_of(out, input, GetItem, idx)


def _index_for(index, tensor) -> tuple:
    """``_normalize_index``; derived (see function.derive) when integer tensors in ``index``
    make it depend on their values."""
    if type(index) is slice or type(index) is int:  # (the commonest: no tensors to look for)
        return _normalize_index(index, tensor)
    tensors = _integer_index_tensors(index)
    if not tensors:
        return _normalize_index(index, tensor)
    template = tuple(
        _FROM_TENSOR if any(it is t for t in tensors) else it
        for it in (index if isinstance(index, tuple) else (index,))
    )
    return derive(_index_from, *tensors, template=template, shape=tuple(tensor.shape))


_FROM_TENSOR = object()  # marks the place of an index tensor in ``_index_from``'s template


def _integer_index_tensors(index) -> list:
    """The integer tensors in ``index`` (an index tensor or a tuple), or [] when it has none
    or has a bool one (a mask makes the result's shape depend on its values)."""
    items = index if isinstance(index, tuple) else (index,)
    tensors = [it for it in items if isinstance(it, Tensor)]
    if any(t._data.dtype not in _INDEX_INTS for t in tensors):  # (uint8: a mask)
        return []
    return tensors


def _index_from(*arrays, template, shape) -> tuple:
    """``_normalize_index`` of ``template`` with its index tensors' arrays put back (a 0-d
    integer one indexes like an int, as in PyTorch)."""
    it = iter(arrays)
    items = []
    for t in template:
        if t is _FROM_TENSOR:
            a = next(it)
            t = int(a) if a.ndim == 0 else a
        items.append(t)
    return _normalize_index(tuple(items), _Shape(shape))


def _value_for(input: Tensor, idx, value, opname) -> Tensor:
    """The value to write at ``idx``: input's dtype; broadcast to the indexed shape if it
    needs grad (its gradient is then summed back by expand's VJP)."""
    v = value if isinstance(value, Tensor) else Tensor._make(np.asarray(value))
    if v._data.dtype != input._data.dtype:
        v = cast(v, _dt.as_dtype(input._data.dtype))
    target = np.empty(input._data.shape, dtype=np.bool_)[idx].shape
    vshape = tuple(v._data.shape)
    while len(vshape) > len(target) and vshape[0] == 1:  # leading 1s may be dropped
        vshape = vshape[1:]
    try:
        if len(vshape) > len(target) or np.broadcast_shapes(vshape, target) != target:
            raise ValueError
    except ValueError:
        raise ShapeError(
            f"{opname}: shape mismatch: value tensor of shape {list(v.shape)} "
            f"cannot be broadcast to indexing result of shape {list(target)}"
        ) from None
    if tracked(v) and v._data.shape != target:
        from .movement import expand, reshape

        v = expand(reshape(v, vshape), target)
    return v


def check_index_put_dtype(input: Tensor, value: Tensor) -> None:
    """torch's index_put refuses a value tensor of another dtype instead of casting it (a
    float written into an integer tensor would otherwise be truncated without a word)."""
    if value._data.dtype != input._data.dtype:
        raise DTypeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_torch_dtype_name(input._data.dtype)} for the destination and "
            f"{_torch_dtype_name(value._data.dtype)} for the source."
        )


def is_advanced_put(index, value: Tensor) -> bool:
    """Does ``self[index] = value`` go through torch's index_put (an integer index array, or
    a boolean mask with a value of more than one element)? Basic indexing copies with a cast,
    and a mask with a one-element value is a masked fill, which casts too."""
    has_mask = False
    for part in index if isinstance(index, tuple) else (index,):
        if isinstance(part, Tensor):
            arr = part._data
        elif isinstance(part, (list, np.ndarray)):
            arr = np.asarray(part)
        else:
            continue
        if arr.dtype.kind == "b":
            has_mask = True
        elif arr.dtype.kind in "iu" and arr.ndim > 0:  # a 0-d integer tensor is an int
            return True
    return has_mask and value._data.size != 1


def index_put_slice(self: Tensor, index, value) -> Tensor:
    """Out of place ``self[index] = value``: a new tensor, differentiable w.r.t. both
    (``self``'s gradient is zero where it was overwritten). Used by ``x[index] = value``.

    Example:
        >>> index_put_slice(autograd.zeros(3), 1, 5.0)
        tensor([0., 5., 0.])
    """
    idx = _normalize_index(index, self)
    return IndexPut.apply(self, _value_for(self, idx, value, "index_put"), idx=idx)


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """``input`` with ``input[indices] = values`` (or ``+=`` with ``accumulate=True``, where
    repeated indices add up). ``indices`` is a tuple of index tensors.

    Example:
        >>> autograd.index_put(autograd.zeros(3), (autograd.tensor([0, 0]),),
        ...                    autograd.tensor(1.0), accumulate=True)
        tensor([2., 0., 0.])
    """
    if isinstance(values, Tensor):
        check_index_put_dtype(input, values)
    idx = _normalize_index(tuple(indices), input)
    v = _value_for(input, idx, values, "index_put")
    return (IndexAdd if accumulate else IndexPut).apply(input, v, idx=idx)


def _np_getitem(x, index):
    return x[index]


def _getitem_samples(rng):
    x = rng.normal(size=(3, 4, 5))
    return [
        Sample(x, 1),
        Sample(x, -1),
        Sample(x, (slice(None), slice(1, 3))),
        Sample(x, (Ellipsis, slice(None, None, 2))),
        Sample(x, (None, 0, Ellipsis, None)),
        Sample(x, (np.array([0, 2, 0]),)),  # repeats accumulate
        Sample(x, (slice(None), np.array([[1, 1], [3, 0]]))),
        Sample(x, (np.array([0, 1]), slice(None), np.array([4, 4]))),  # block in front
        Sample(x, (rng.random((3, 4)) > 0.5,)),  # bool mask
        Sample(x, (np.array([2, 2]), np.array([[0], [3]]))),  # broadcast index arrays
        Sample(rng.normal(size=()), (None, Ellipsis)),
        Sample(rng.normal(size=(0, 3)), (slice(None), 1)),
    ]


register(
    OpInfo(
        "getitem",
        getitem,
        ref=_np_getitem,
        samples=_getitem_samples,
        method=False,
        torch_fn=lambda torch, x, index: x[
            tuple(torch.as_tensor(i) if isinstance(i, np.ndarray) else i for i in index)
            if isinstance(index, tuple)
            else index
        ],
        family="indexing",
    )
)


def _np_index_put(x, indices, values, accumulate=False):
    out = x.copy()
    if accumulate:
        np.add.at(out, tuple(indices), values)
    else:
        out[tuple(indices)] = values
    return out


register(
    OpInfo(
        "index_put",
        index_put,
        inplace=True,
        ref=_np_index_put,
        samples=lambda rng: [
            Sample(rng.normal(size=(4, 3)), (np.array([0, 2]),), rng.normal(size=(2, 3))),
            Sample(
                rng.normal(size=(4, 3)), (np.array([0, 2]), np.array([1, 1])), rng.normal(size=())
            ),
            Sample(
                rng.normal(size=(4, 3)),
                (np.array([1, 1, 3]),),
                rng.normal(size=(3,)),
                accumulate=True,
            ),
        ],
        torch_fn=lambda torch, x, ind, v, **kw: torch.index_put(
            x, tuple(torch.as_tensor(i) for i in ind), v, **kw
        ),
        family="indexing",
    )
)


# ==========================================================================================
# flat indexing: take / put
def _flat_index(input: Tensor, index, opname) -> np.ndarray:
    arr = np.asarray(index._data if isinstance(index, Tensor) else index)
    if arr.dtype.kind not in "iu":
        raise DTypeError(
            f"{opname}(): Expected a long tensor for index, but got {_dt.as_dtype(arr.dtype).name}"
        )
    n = input._data.size
    if arr.size and (arr.max() >= n or arr.min() < -n):
        bad = int(arr.max()) if arr.max() >= n else int(arr.min())
        raise IndexOutOfRange(
            f"out of range: tried to access index {bad} on a tensor of {n} elements."
        )
    return np.where(arr < 0, arr + n, arr).astype(np.intp)


def take(input: Tensor, index) -> Tensor:
    """Elements of the flattened ``input`` at ``index``; the result has ``index``'s shape.

    Example:
        >>> autograd.tensor([[1.0, 2.0], [3.0, 4.0]]).take(autograd.tensor([0, 3]))
        tensor([1., 4.])
    """
    from .movement import reshape

    arr = _flat_index(input, index, "take")
    return GetItem.apply(reshape(input, (-1,)), idx=(arr,))


def put(input: Tensor, index, source, accumulate: bool = False) -> Tensor:
    """``input`` with its flattened elements at ``index`` set to (or, with
    ``accumulate=True``, increased by) ``source``.

    Example:
        >>> autograd.zeros(2, 2).put(autograd.tensor([3]), autograd.tensor([9.0]))
        tensor([[0., 0.],
                [0., 9.]])
    """
    from .movement import reshape

    arr = _flat_index(input, index, "put_").reshape(-1)
    source = as_tensor_operand(source)
    if source._data.size != arr.size:
        raise IndexError(
            f"put_(): Expected source and index to have the same number of "
            f"elements, but got source.numel() = {source._data.size}, "
            f"index.numel() = {arr.size}"
        )
    if source._data.dtype != input._data.dtype:
        raise DTypeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{_torch_dtype_name(input._data.dtype)} and source.dtype = "
            f"{_torch_dtype_name(source._data.dtype)}"
        )
    flat = (IndexAdd if accumulate else IndexPut).apply(
        reshape(input, (-1,)), reshape(source, (-1,)), idx=(arr,)
    )
    return reshape(flat, input.shape)


def _np_put(x, index, source, accumulate=False):
    out = x.copy().reshape(-1)
    if accumulate:
        np.add.at(out, index.reshape(-1), source.reshape(-1))
    else:
        out[index.reshape(-1)] = source.reshape(-1)
    return out.reshape(x.shape)


register(
    OpInfo(
        "take",
        take,
        ref=lambda x, i: x.reshape(-1)[i],
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), np.array([[0, 11], [-1, 0]])),
            Sample(rng.normal(size=()), np.array([0, 0])),
        ],
        torch_fn=lambda torch, x, i: torch.take(x, torch.as_tensor(i)),
        family="indexing",
    )
)
register(
    OpInfo(
        "put",
        put,
        inplace=True,
        ref=_np_put,
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), np.array([[0, 10], [-1, 5]]), rng.normal(size=(2, 2))),
            Sample(
                rng.normal(size=(3, 4)), np.array([1, 1, 2]), rng.normal(size=(3,)), accumulate=True
            ),
        ],
        torch_fn=lambda torch, x, i, s, **kw: x.put(torch.as_tensor(i), s, **kw),
        family="indexing",
    )
)
