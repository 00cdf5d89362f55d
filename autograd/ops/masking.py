"""Mask ops: masked_fill, masked_select, masked_scatter; and the indices of a mask's true
elements: nonzero, argwhere, nonzero_static (integer results, not differentiable).

Indexing by tensors and slices (getitem, index_put, take/put) is in ``indexing.py``.
"""

from __future__ import annotations

import math

import numpy as np
from .. import dtypes as _dt
from ..errors import DTypeError
from ..tensor import Tensor
from ._util import _torch_dtype_name, cast, require_0d_value, tracked
from .registry import OpInfo, Sample, register
from .indexing import GetItem, IndexPut

__all__ = [
    "masked_fill",
    "masked_select",
    "masked_scatter",
    "nonzero",
    "nonzero_static",
    "argwhere",
]


# ==========================================================================================
# masks
def _fill_value(input: Tensor, value, opname) -> Tensor:
    if isinstance(value, Tensor):
        require_0d_value(
            value,
            f"{opname} only supports a 0-dimensional value tensor, but got tensor with "
            "{ndim} dimension(s).",
        )
        return (
            cast(value, _dt.as_dtype(input._data.dtype))
            if tracked(value)
            else Tensor._make(value._data.astype(input._data.dtype))
        )
    return Tensor._make(_number_as(value, input._data.dtype))


# torch names the C type in its overflow message
_C_INT_NAMES = {
    "uint8": "uint8_t",
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int",
    "int64": "int64_t",
}
_C_FLOAT_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double"}


def _number_as(value, npdtype) -> np.ndarray:
    """A Python number as a 0-d array of ``npdtype``. An integer type refuses a value it
    cannot hold, as torch does (NumPy's cast would wrap 300 to 44 in uint8, nan to 0)."""
    npdtype = np.dtype(npdtype)
    if npdtype.kind in "iu" and isinstance(value, (int, float, np.integer, np.floating)):
        info = np.iinfo(npdtype)
        # an unsigned type takes integers down to -max, wrapping them (-1 -> 255), as in torch
        # (a float must be in range: -1.0 is refused, 127.5 fits uint8 and is truncated)
        integral = isinstance(value, (int, np.integer))
        low = -info.max if npdtype.kind == "u" and integral else info.min
        if not (low <= value <= info.max):  # (false for nan as well)
            name = _C_INT_NAMES.get(npdtype.name, npdtype.name + "_t")
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    elif npdtype.kind == "f" and isinstance(value, (int, float, np.integer, np.floating)):
        # a finite number beyond the type's range is refused, as in torch (NumPy's cast
        # would make it inf with an "overflow encountered in cast" warning); inf and nan pass
        finite = not isinstance(value, (float, np.floating)) or math.isfinite(value)
        if finite and abs(value) > float(np.finfo(npdtype).max):
            name = _C_FLOAT_NAMES.get(npdtype.name, npdtype.name)
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    return np.asarray(value).astype(npdtype)


def _check_mask(mask, opname, msg) -> np.ndarray:
    arr = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if arr.dtype != np.bool_:
        raise DTypeError(msg.format(dtype=_dt.as_dtype(arr.dtype).name))
    return arr


def masked_fill(input: Tensor, mask, value) -> Tensor:
    """``value`` where ``mask`` is true, ``input`` elsewhere (``mask`` broadcasts).
    ``value`` is a number or a 0-d tensor (differentiable).

    Example:
        >>> x = autograd.tensor([1.0, -2.0])
        >>> x.masked_fill(x < 0, 0.0)
        tensor([1., 0.])
    """
    from .compare import where

    m = _check_mask(
        mask,
        "masked_fill",
        "masked_fill_ only supports boolean masks, but got mask with dtype {dtype}",
    )
    v = _fill_value(input, value, "masked_fill_")
    # the mask tensor itself when it can be (where saves it: changing it in place before
    # backward is then caught by its version counter, as in torch)
    cond = mask if isinstance(mask, Tensor) and mask._data is m else Tensor._make(m)
    return where(cond, v, input)


def masked_select(input: Tensor, mask) -> Tensor:
    """The elements of ``input`` where ``mask`` is true, as a 1-D tensor (both broadcast).

    Example:
        >>> x = autograd.tensor([[1.0, -2.0], [-3.0, 4.0]])
        >>> x.masked_select(x > 0)
        tensor([1., 4.])
    """
    from .movement import expand

    m = _check_mask(mask, "masked_select", "masked_select: expected BoolTensor for mask")
    # (a 0-d input and mask select from a 1-element row: the result is always 1-D)
    shape = np.broadcast_shapes(input._data.shape, m.shape) or (1,)
    if shape != input._data.shape:
        input = expand(input, shape)
    return MaskedSelect.apply(input, idx=tuple(np.nonzero(np.broadcast_to(m, shape))))


class MaskedSelect(GetItem):
    """The masked elements in row-major order: a GetItem with the mask's nonzero index."""


register(
    OpInfo(
        "masked_fill",
        masked_fill,
        inplace=True,
        ref=lambda x, m, v: np.where(m, v, x),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.random((3, 4)) > 0.5, -1.0),
            Sample(rng.normal(size=(3, 4)), rng.random((4,)) > 0.5, rng.normal(size=())),
            Sample(rng.normal(size=()), np.array(True), 2.0),
        ],
        family="masking",
    )
)
register(
    OpInfo(
        "masked_select",
        masked_select,
        ref=lambda x, m: np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape))[
            np.broadcast_to(m, np.broadcast_shapes(x.shape, m.shape))
        ],
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.random((3, 4)) > 0.5),
            Sample(rng.normal(size=(3, 1)), rng.random((3, 4)) > 0.5),
            Sample(rng.normal(size=(2, 3)), np.zeros((2, 3), bool)),
        ],
        family="masking",
    )
)


def masked_scatter(input: Tensor, mask, source: Tensor) -> Tensor:
    """``input`` with the positions where ``mask`` is true filled, in row-major order, by the
    first elements of ``source`` (the mask broadcasts to ``input``).

    Example:
        >>> autograd.zeros(2, 2).masked_scatter(autograd.tensor([[True, False], [False, True]]),
        ...                                     autograd.tensor([5.0, 6.0, 7.0, 8.0]))
        tensor([[5., 0.],
                [0., 6.]])
    """
    from .movement import expand, reshape
    from .slicing import narrow

    m = _check_mask(
        mask,
        "masked_scatter",
        "masked_scatter_ only supports boolean masks, but got mask with dtype {dtype}",
    )
    if not isinstance(source, Tensor):
        raise TypeError(
            f"masked_scatter(): argument 'source' must be Tensor, not {type(source).__name__}"
        )
    if source._data.dtype != input._data.dtype:  # torch's words, "got" and all
        raise DTypeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{_torch_dtype_name(input._data.dtype)} and {_torch_dtype_name(source._data.dtype)}"
        )
    shape = np.broadcast_shapes(input._data.shape, m.shape)
    if shape != input._data.shape:
        input = expand(input, shape)
    mb = np.broadcast_to(m, shape)
    idx = tuple(np.nonzero(mb)) if mb.ndim else ()
    k = idx[0].size if mb.ndim else int(mb)
    if k > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    values = narrow(reshape(source, (-1,)), 0, 0, k)
    if not mb.ndim:  # a 0-d input: replaced or not
        return IndexPut.apply(input, reshape(values, ()), idx=()) if k else input.clone()
    return IndexPut.apply(input, values, idx=idx)


def _np_masked_scatter(x, m, source):
    out = np.array(np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape)))
    mm = np.broadcast_to(m, out.shape)
    out[mm] = source.reshape(-1)[: int(mm.sum())]
    return out


register(
    OpInfo(
        "masked_scatter",
        masked_scatter,
        inplace=True,
        ref=_np_masked_scatter,
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.random((3, 4)) > 0.5, rng.normal(size=(3, 4))),
            Sample(rng.normal(size=(3, 4)), rng.random((4,)) > 0.5, rng.normal(size=(20,))),
            Sample(rng.normal(size=(2, 3)), np.zeros((2, 3), bool), rng.normal(size=(0,))),
            Sample(rng.normal(size=()), np.array(True), rng.normal(size=(2,))),
        ],
        family="masking",
    )
)


# ==========================================================================================
# nonzero (integer results, not differentiable)
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Positions of the nonzero elements: an ``(n, ndim)`` int64 tensor, or with
    ``as_tuple=True`` one 1-D tensor per dimension (usable as an index).

    Example:
        >>> autograd.tensor([0.0, 3.0, 0.0, 1.0]).nonzero()
        tensor([[1],
                [3]])
    """
    arr = input._data if isinstance(input, Tensor) else np.asarray(input)
    if as_tuple:
        if arr.ndim == 0:
            return (Tensor._make(np.zeros(int(bool(arr)), dtype=np.int64)),)
        return tuple(Tensor._make(a.astype(np.int64)) for a in np.nonzero(arr))
    return Tensor._make(np.argwhere(arr).astype(np.int64))


def argwhere(input: Tensor) -> Tensor:
    """Same as ``nonzero(input)``."""
    return nonzero(input)


register(
    OpInfo(
        "nonzero",
        nonzero,
        ref=lambda x, **kw: np.argwhere(x),
        differentiable=False,
        samples=lambda rng: [Sample(np.round(rng.normal(size=(3, 4)))), Sample(np.zeros((2, 0)))],
        family="masking",
    )
)


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """``nonzero(input)`` with exactly ``size`` rows: cut, or padded with ``fill_value``
    (a shape known in advance, as compilers want).

    Example:
        >>> autograd.nonzero_static(autograd.tensor([0, 1, 0, 2]), size=3)
        tensor([[ 1],
                [ 3],
                [-1]])
    """
    if size < 0:
        raise RuntimeError(
            f"nonzero_static: 'size' must be an non-negative integer, but got size: {size}"
        )
    found = (
        np.argwhere(input._data) if input.ndim else np.zeros((int(bool(input._data)), 0), np.int64)
    )
    out = np.full((int(size), found.shape[1]), fill_value, np.int64)
    k = min(int(size), found.shape[0])
    out[:k] = found[:k]
    return Tensor._make(out)


register(
    OpInfo(
        "nonzero_static",
        nonzero_static,
        differentiable=False,
        family="masking",
        ref=lambda x, *, size, fill_value=-1: np.concatenate(
            [np.argwhere(x), np.full((max(size - np.count_nonzero(x), 0), x.ndim), fill_value)]
        )[:size].astype(np.int64),
        samples=lambda rng: [
            Sample(rng.integers(0, 2, (3, 4)), size=4),
            Sample(np.array([0.0, 1.5, 0.0, 2.0]), size=5, fill_value=9),
            Sample(np.zeros((2, 2)), size=2),
        ],
    )
)
