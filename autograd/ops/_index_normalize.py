"""Index normalisation for indexing.py: a user index (ints, slices, ``...``, None, tensors,
lists, masks) -> the canonical NumPy index that gives PyTorch's result (``_normalize_index``),
with torch's bounds checks and messages, its reading of a list as a tuple of indices
(``as_torch_index``) and of a uint8 index as a mask. indexing.py re-exports these names.
"""

from __future__ import annotations

import warnings
from operator import index as _index

import numpy as np

from ..dtypes import FLOAT_KINDS
from ..tensor import Tensor


_BAD_INDEX_DTYPE = "tensors used as indices must be long, int, byte or bool tensors"


class IndexOutOfRange(IndexError, RuntimeError):
    """An index outside a dimension: PyTorch raises IndexError for ``x[i]`` but
    RuntimeError for gather/scatter, so this is both."""


# ==========================================================================================
# Index normalization
def _convert_item(item):
    """One entry of an index -> int, slice, None, Ellipsis, np.bool_ or an ndarray."""
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, (bool, np.bool_)):
        return None if item else np.bool_(False)  # x[True] is x[None]
    if isinstance(item, (int, np.integer)):
        return int(item)
    if isinstance(item, slice):

        def bound(b):
            return None if b is None else int(b.__index__() if isinstance(b, Tensor) else b)

        return slice(bound(item.start), bound(item.stop), bound(item.step))
    if isinstance(item, Tensor):
        arr = item._data
        if arr.dtype == np.uint8:  # (a 0-d one is a bool without the warning, as in torch)
            arr = _byte_mask(arr) if arr.ndim else arr != 0
        elif arr.dtype.kind in "iu" and arr.ndim and arr.dtype not in _INDEX_INTS:
            raise IndexError(_BAD_INDEX_DTYPE)  # (torch takes int32 and int64 tensors only)
        if arr.ndim == 0 and arr.dtype.kind in "iu":
            return int(arr)  # a 0-d integer tensor indexes like an int (PyTorch)
        if arr.ndim == 0 and arr.dtype == np.bool_:
            return None if bool(arr) else np.bool_(False)
        # a copy: the backward reads these indices, and the caller may change its index
        # tensor in place before backward runs (the gradient must go where the forward read)
        arr = arr.copy()
    elif isinstance(item, (np.ndarray, list, tuple)):
        arr = np.array(item)  # (a copy, for the same reason)
        if arr.size == 0 and arr.dtype.kind in FLOAT_KINDS:  # x[[]] selects nothing
            arr = arr.astype(np.intp)
        elif arr.dtype == np.uint8:  # (torch makes it a uint8 tensor: a mask)
            arr = _byte_mask(arr)
            if arr.ndim == 0:
                return None if bool(arr) else np.bool_(False)
    else:
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
            f"Variables are valid indices (got {type(item).__name__})"
        )
    if arr.dtype.kind not in "iub":
        raise IndexError(_BAD_INDEX_DTYPE)
    return arr


_INDEX_INTS = (np.dtype(np.int64), np.dtype(np.int32))


def _byte_mask(arr: np.ndarray) -> np.ndarray:
    """A uint8 index is a mask in torch (deprecated there, with this warning), not indices."""
    warnings.warn(
        "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.",
        UserWarning,
        stacklevel=2,
    )
    return arr != 0


def as_torch_index(index):
    """``index`` as torch reads it: a list holding a tensor, a sequence, a slice, ``...`` or
    None (and shorter than 32) is a tuple of indices, as in NumPy before 1.23 (``x[[[0, 1],
    [1, 2]]]`` is ``x[[0, 1], [1, 2]]``); any other index is returned as it is.

    Example:
        >>> as_torch_index([[0, 1], [1, 2]])
        ([0, 1], [1, 2])
    """
    if type(index) is list and len(index) < 32:
        for it in index:
            if (
                it is None
                or it is Ellipsis
                or isinstance(it, (Tensor, list, tuple, np.ndarray, slice, range))
            ):
                warnings.warn(_LIST_AS_TUPLE, UserWarning, stacklevel=3)
                return tuple(index)
    return index


_LIST_AS_TUPLE = (  # (torch's warning)
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
    "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error "
    "or a different result"
)


_NOT_SIMPLE = object()


def _slice_bound(b):
    """A slice bound that is None, an int or a 0-d integer tensor, as an int (or None);
    ``_NOT_SIMPLE`` for anything else (the general path converts or refuses it)."""
    if type(b) is Tensor:  # (first: the bounds of a batch loader's ``data[i : i + n]``)
        try:
            return _index(b._data)  # NumPy's __index__: of 0-d integer (not bool) arrays only
        except TypeError:
            return _NOT_SIMPLE
    if b is None or type(b) is int:
        return b
    return _NOT_SIMPLE


def _normalize_index(index, tensor) -> tuple:
    """Turn a user index into a canonical NumPy index giving PyTorch's result.

    Tensors/lists become integer ndarrays, masks become their nonzero positions, negative
    indices are wrapped and bounds are checked (PyTorch's IndexError). ``tensor`` is
    anything with a ``.shape``.

    Example:
        >>> _normalize_index((autograd.tensor([0, -1]), slice(None)), autograd.zeros(3, 2))
        (array([0, 2]), slice(None, None, None))
    """
    shape = tensor._data.shape if isinstance(tensor, Tensor) else tuple(tensor.shape)
    if type(index) is int and shape and -shape[0] <= index < shape[0]:
        return (index % shape[0],)  # fast path for the most common case, x[i]
    if type(index) is slice and shape and index.step is None:
        # fast path for ``x[a:b]``, also with 0-d integer tensor bounds (``data[i : i + n]``
        # in a batch loader): a slice needs no wrapping or checks, only its bounds as ints
        start, stop = _slice_bound(index.start), _slice_bound(index.stop)
        if start is not _NOT_SIMPLE and stop is not _NOT_SIMPLE:
            return (slice(start, stop, None),)
    ndim = len(shape)
    items = [_convert_item(it) for it in (index if isinstance(index, tuple) else (index,))]

    def consumed(it):
        if it is None or it is Ellipsis or isinstance(it, np.bool_):
            return 0
        if isinstance(it, np.ndarray) and it.dtype == np.bool_:
            return it.ndim
        return 1

    n_ellipsis = sum(it is Ellipsis for it in items)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(consumed(it) for it in items)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if n_ellipsis:
        k = next(j for j, it in enumerate(items) if it is Ellipsis)  # not .index: arrays
        items[k : k + 1] = [slice(None)] * (ndim - used)

    out, d = [], 0
    has_int = has_array = False
    for it in items:
        if isinstance(it, int):
            size = shape[d]
            if not -size <= it < size:
                raise IndexOutOfRange(
                    f"index {it} is out of bounds for dimension {d} with size {size}"
                )
            out.append(it % size)
            has_int = True
            d += 1
        elif isinstance(it, slice):
            if it.step == 0:
                raise ValueError("slice step cannot be zero")
            out.append(it)
            d += 1
        elif isinstance(it, np.ndarray) and it.dtype == np.bool_:
            mshape = shape[d : d + it.ndim]
            for j, n in enumerate(it.shape):
                if n != mshape[j]:
                    raise IndexError(
                        f"The shape of the mask {list(it.shape)} at index {j} does "
                        f"not match the shape of the indexed tensor {list(shape)} "
                        f"at index {d + j}"
                    )
            out += list(np.nonzero(it)) if it.ndim else [it]
            has_array = True
            d += it.ndim
        elif isinstance(it, np.ndarray):
            out.append(_wrap_indices(it, shape[d], d))
            has_array = True
            d += 1
        else:  # None or np.bool_(False)
            out.append(it)
    arrays = [it for it in out if isinstance(it, np.ndarray)]
    if len(arrays) > 1:
        try:
            np.broadcast_shapes(*[a.shape for a in arrays])
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together "
                "with shapes " + ", ".join(str(list(a.shape)) for a in arrays)
            ) from None
    if has_int and has_array:
        return _mesh_index(out, shape)
    return tuple(out)


def _wrap_indices(arr, size, dim, negative_ok=True, msg=None):
    """Bounds-check an integer index array along a dimension of ``size``; wrap negatives."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in "iu":
        raise IndexError(_BAD_INDEX_DTYPE)
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        low_ok = -size if negative_ok else 0
        bad = hi if hi >= size else (lo if lo < low_ok else None)
        if bad is not None:
            raise IndexOutOfRange(
                msg.format(bad)
                if msg
                else f"index {bad} is out of bounds for dimension {dim} with size {size}"
            )
        if lo < 0:
            arr = np.where(arr < 0, arr + size, arr)
    # always a copy: backward reads these indices, and the caller may change its index tensor
    # in place before backward runs (the gradient must go where the forward read)
    return arr.astype(np.intp)


def _mesh_index(items, shape) -> tuple:
    """Rewrite an index mixing ints and arrays into an all-array index with PyTorch's layout.

    PyTorch first applies the ints (plain selections), then the arrays: their broadcast
    block lands where the arrays were if they are adjacent (ignoring the ints), else in
    front. Every input dimension gets an index array shaped for that result layout; NumPy
    then broadcasts them without copying.
    """
    if any(isinstance(it, np.bool_) for it in items):
        raise IndexError("a False index cannot be combined with integer and tensor indices")
    n_used = sum(1 for it in items if it is not None)
    items = list(items) + [slice(None)] * (len(shape) - n_used)
    bshape = np.broadcast_shapes(*[it.shape for it in items if isinstance(it, np.ndarray)])
    rest = [k for k, it in enumerate(items) if not isinstance(it, int)]  # ints go first
    pos = [j for j, k in enumerate(rest) if isinstance(items[k], np.ndarray)]
    adjacent = pos == list(range(pos[0], pos[0] + len(pos)))
    # result axes: one per slice and per None, len(bshape) for the array block
    axis_of, axis, block_at = {}, 0, None
    if not adjacent:
        block_at, axis = 0, len(bshape)
    for k in rest:
        if isinstance(items[k], np.ndarray):
            if block_at is None:
                block_at, axis = axis, axis + len(bshape)
        else:
            axis_of[k] = axis
            axis += 1
    ndim_out = axis
    result, d = [], 0
    for k, it in enumerate(items):
        if it is None:
            continue
        if isinstance(it, int):
            result.append(np.asarray(it, dtype=np.intp))
        elif isinstance(it, slice):
            ar = np.arange(*it.indices(shape[d]), dtype=np.intp)
            s = [1] * ndim_out
            s[axis_of[k]] = ar.size
            result.append(ar.reshape(s))
        else:
            b = np.broadcast_to(it, bshape)
            result.append(
                b.reshape(
                    (1,) * block_at + tuple(bshape) + (1,) * (ndim_out - block_at - len(bshape))
                )
            )
        d += 1
    return tuple(result)


def _is_basic(idx) -> bool:
    """True when the index has no arrays: the result is a view and no element repeats."""
    return not any(isinstance(it, np.ndarray) for it in idx)
