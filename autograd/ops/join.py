"""Joining and splitting: cat/stack/hstack/vstack, split/chunk/unbind, meshgrid.

``cat`` and ``stack`` are the primitives: their VJPs hand each input the slice of the
gradient it contributed (``xp.narrow``, ``xp.select``). Everything else is built from them
and the movement ops, and every piece returned by ``split``/``chunk``/``unbind`` is its own
``narrow``/``select`` node, so each graph node keeps exactly one output.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import dtypes as _dt
from ..errors import ShapeError
from .. import function as _function
from ..function import Op
from ..forward_ad import linear_jvp
from ..tensor import Tensor
from . import xp as _xp
from ._util import as_tensor_operand, cast, tracked, wrap_dim
from .indexing import _views_of
from .movement import expand, reshape, unsqueeze
from .slicing import Select, narrow, select
from .registry import OpInfo, Sample, register

__all__ = [
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "dstack",
    "column_stack",
    "row_stack",
    "split",
    "split_with_sizes",
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "chunk",
    "unbind",
    "meshgrid",
]


# ---- cat ----------------------------------------------------------------------------------
class Cat(Op):
    """Concatenate along ``dim``; each input's gradient is its slice of the output's."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, *xs, dim):
        ctx.dim, ctx.sizes = dim, [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g, xp):
        grads, start = [], 0
        for need, n in zip(ctx.needs_input_grad, ctx.sizes):
            grads.append(xp.narrow(g, ctx.dim, start, n) if need else None)
            start += n
        return tuple(grads)


def _tensor_list(tensors, opname):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{opname}(): argument 'tensors' must be tuple of Tensors, not Tensor")
    ts = [t if type(t) is Tensor else as_tensor_operand(t) for t in tensors]
    if not ts:
        raise ValueError(f"{opname}(): expected a non-empty list of Tensors")
    return ts


def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing dimension (dtypes promote, like torch).

    Example:
        >>> autograd.cat([autograd.zeros(1, 2), autograd.ones(1, 2)]).shape
        autograd.Size([2, 2])
    """
    ts = _tensor_list(tensors, "torch.cat")
    dt = _dt.result_type(*ts) if len(ts) > 1 else ts[0].dtype
    # legacy rule kept by torch: 1-D empty tensors are skipped when the others are not 1-D
    ref = next((t for t in ts if not (t.ndim == 1 and t.shape[0] == 0)), ts[0])
    used = [
        (k, t)
        for k, t in enumerate(ts)
        if t.ndim == ref.ndim or not (t.ndim == 1 and t.shape[0] == 0)
    ]
    for k, t in used:
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {k}) cannot be concatenated")
    d = wrap_dim(dim, ref.ndim)
    for k, t in used:
        if t.ndim != ref.ndim:
            raise ShapeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}"
            )
        for i in range(ref.ndim):
            if i != d and t.shape[i] != ref.shape[i]:
                raise ShapeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected "
                    f"size {ref.shape[i]} but got size {t.shape[i]} for tensor number "
                    f"{k} in the list."
                )
    return Cat.apply(*[cast(t, dt) for _, t in used], dim=d)  # always a new tensor, like torch


concat = concatenate = cat


def _np_cat(g_list, dim=0):
    return np.concatenate(g_list, axis=dim)


_xp.define("cat", numpy=_np_cat, tensor=cat)


# cat/stack/hstack/... take a *list* of tensors, which the registry-driven tests cannot build
# from a Sample (they turn top-level arrays into tensors): tests/test_movement_extra.py checks
# them with the same battery (reference, gradcheck, gradgradcheck, float32, torch parity).


# ---- stack / hstack / vstack / dstack / column_stack ---------------------------------------
class Stack(Op):
    """Join equally-shaped tensors along a new dimension; each input's gradient is its slice
    of the output's (``xp.select``). One node, where ``cat`` of ``unsqueeze``d inputs would
    record one per input and copy twice."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, *xs, dim):
        ctx.dim = dim
        return _stack_arrays(xs, dim)

    @staticmethod
    def backward(ctx, g, xp):
        d = ctx.dim
        return tuple(
            xp.select(g, d, k) if need else None for k, need in enumerate(ctx.needs_input_grad)
        )


def _stack_arrays(xs, dim):
    """Stack's forward on the arrays ``xs`` (a list or tuple of one shape and one dtype)."""
    if dim == 0:  # (np.array stacks them as np.stack does along a new first axis, in one
        return np.array(xs)  # C call)
    return np.stack(xs, axis=dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join equally-shaped tensors along a new dimension ``dim`` (dtypes promote, like torch).

    Example:
        >>> autograd.stack([autograd.zeros(3), autograd.ones(3)]).shape
        autograd.Size([2, 3])
    """
    if type(tensors) in (list, tuple) and _function.plain_eager():
        out = _stack_plain(tensors, dim)
        if out is not None:
            return out
    ts = _tensor_list(tensors, "stack")
    shape = ts[0]._data.shape
    d = wrap_dim(dim, len(shape) + 1)  # (torch checks dim before the shapes)
    for k, t in enumerate(ts):
        if t._data.shape != shape:
            raise ShapeError(
                f"stack expects each tensor to be equal size, but got "
                f"{list(shape)} at entry 0 and {list(t.shape)} at entry {k}"
            )
    if len({t._data.dtype for t in ts}) > 1:
        dt = _dt.result_type(*ts)
        ts = [cast(t, dt) for t in ts]
    return Stack.apply(*ts, dim=d)


_dtype_of = operator.attrgetter("dtype")


def _stack_plain(tensors, dim):
    """Fast path of ``stack`` (a batch loader's rows): Tensors of one dtype, none requiring
    grad, so nothing to record: Stack's forward on their arrays without Op.apply's
    bookkeeping for each of the many inputs. One pass over the pieces takes their arrays
    (and checks their type and requires_grad), one (``map``) their dtypes; NumPy's join finds
    unequal shapes. None when the general path is needed (other operands, promotion, unequal
    shapes: it raises torch's error)."""
    arrs = [t._data for t in tensors if type(t) is Tensor and not t._requires_grad]
    if not arrs or len(arrs) != len(tensors) or len(set(map(_dtype_of, arrs))) != 1:
        return None
    d = wrap_dim(dim, arrs[0].ndim + 1)
    try:
        out = _stack_arrays(arrs, d)
    except ValueError:  # unequal shapes (joining arrays raises nothing else)
        return None
    return Tensor._make(out)


def _atleast(t: Tensor, n: int) -> Tensor:
    if t.ndim >= n:
        return t
    if n == 3 and t.ndim == 2:
        return unsqueeze(t, -1)
    shape = (
        {1: (1,), 2: (1, -1), 3: (1, -1, 1)}[n] if t.ndim == 0 else {2: (1, -1), 3: (1, -1, 1)}[n]
    )
    return reshape(t, shape)


def hstack(tensors) -> Tensor:
    """Concatenate column-wise (along dim 1; along dim 0 for 1-D tensors).

    Example:
        >>> autograd.hstack([autograd.zeros(2), autograd.ones(3)]).shape
        autograd.Size([5])
    """
    ts = [_atleast(t, 1) for t in _tensor_list(tensors, "hstack")]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenate row-wise (1-D tensors become rows).

    Example:
        >>> autograd.vstack([autograd.zeros(3), autograd.ones(3)]).shape
        autograd.Size([2, 3])
    """
    return cat([_atleast(t, 2) for t in _tensor_list(tensors, "vstack")], 0)


def dstack(tensors) -> Tensor:
    """Concatenate depth-wise (along dim 2, after making every tensor at least 3-D)."""
    return cat([_atleast(t, 3) for t in _tensor_list(tensors, "dstack")], 2)


row_stack = vstack


def column_stack(tensors) -> Tensor:
    """Stack 1-D tensors as columns (2-D tensors are taken as they are)."""
    ts = _tensor_list(tensors, "column_stack")
    return cat([reshape(t, (-1, 1)) if t.ndim <= 1 else t for t in ts], 1)


# ---- split / chunk / unbind (each piece is one narrow/select node) -------------------------
def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    """Split into pieces of ``split_size_or_sections`` (the last may be smaller), or into
    pieces of the listed sizes. Returns a tuple of tensors.

    Example:
        >>> [t.shape[0] for t in autograd.zeros(5).split(2)]
        [2, 2, 1]
    """
    d = wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        if size == 0:
            if n != 0:
                raise RuntimeError(
                    f"split_size can only be 0 if dimension size is 0, but got "
                    f"dimension size of {n}"
                )
            return (tensor,)
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        if not sizes:
            sizes = [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                f"tensor's size at dimension {d}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def chunk(input: Tensor, chunks: int, dim: int = 0):
    """Split into ``chunks`` pieces of equal size ``ceil(n / chunks)`` (the last may be
    smaller, and there may be fewer pieces).

    Example:
        >>> [t.shape[0] for t in autograd.zeros(5).chunk(3)]
        [2, 2, 1]
    """
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    size = -(-n // chunks)
    return split(input, size if size else 0, d) if n else split(input, [0] * chunks, d)


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0):
    """Split into ``n`` nearly equal pieces (first ones one larger), or at the given indices.

    Example:
        >>> [t.shape[0] for t in autograd.zeros(5).tensor_split(3)]
        [2, 2, 1]
    """
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if not isinstance(indices_or_sections, (int, np.integer)):  # split at these indices
        bounds = [min(max(int(i), 0), n) for i in indices_or_sections]
        edges = [0] + bounds + [n]
        sizes = [max(b - a, 0) for a, b in zip(edges[:-1], edges[1:])]
        return tuple(narrow(input, d, min(s, n), sz) for s, sz in zip(edges[:-1], sizes))
    k = int(indices_or_sections)  # k nearly equal sections
    if k <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {k}")
    return split(input, [n // k + (1 if i < n % k else 0) for i in range(k)], d)


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0):
    """Split into pieces of the listed sizes, which must add up to the size of ``dim``.

    Example:
        >>> [t.shape[0] for t in autograd.zeros(5).split_with_sizes([1, 4])]
        [1, 4]
    """
    return split(input, list(split_sizes), dim)


def _split_at(name: str, min_dims: int, dim: int, input: Tensor, indices_or_sections):
    """hsplit / vsplit / dsplit: ``tensor_split`` along ``dim``, but a number of sections
    must divide the dimension exactly (torch's and NumPy's rule)."""
    if input.ndim < min_dims:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_dims} dimension, "
            f"but got a tensor with {input.ndim} dimensions!"
        )
    if isinstance(indices_or_sections, (int, np.integer)):
        n, k = input.shape[dim], int(indices_or_sections)
        if k == 0 or n % k:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the "
                f"size of the dimension {n} is not divisible by the split_size "
                f"{k}!"
            )
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input: Tensor, indices_or_sections):
    """Split column-wise: along dim 1 (dim 0 for a 1-D tensor) into equal sections or at the
    given indices.

    Example:
        >>> [t.shape for t in autograd.zeros(2, 4).hsplit(2)]
        [autograd.Size([2, 2]), autograd.Size([2, 2])]
    """
    return _split_at("hsplit", 1, 0 if input.ndim == 1 else 1, input, indices_or_sections)


def vsplit(input: Tensor, indices_or_sections):
    """Split row-wise (along dim 0) into equal sections or at the given indices.

    Example:
        >>> [t.shape for t in autograd.zeros(4, 2).vsplit([1])]
        [autograd.Size([1, 2]), autograd.Size([3, 2])]
    """
    return _split_at("vsplit", 2, 0, input, indices_or_sections)


def dsplit(input: Tensor, indices_or_sections):
    """Split depth-wise (along dim 2) into equal sections or at the given indices.

    Example:
        >>> len(autograd.zeros(1, 2, 6).dsplit(3))
        3
    """
    return _split_at("dsplit", 3, 2, input, indices_or_sections)


def unbind(input: Tensor, dim: int = 0):
    """All slices along ``dim`` (that dimension removed), as a tuple.

    Example:
        >>> a, b = autograd.tensor([[1.0, 2.0], [3.0, 4.0]]).unbind(1)
        >>> a
        tensor([1., 3.])
    """
    d = wrap_dim(dim, input.ndim)
    if _function._tracer is None and not tracked(input):
        # Fast path: nothing to record or trace, so each piece is the view ``select`` would
        # make (``_views_of`` keeps the same view bookkeeping), without select's checks of dim
        # and index per piece. ``for i in ix`` over an index tensor runs this.
        arr, n = input._data, input._data.shape[d]
        if d == 0:  # (``for i in ix``: the pieces ``arr[i, ...]``, select's param ``(i,)``)
            keys, params = _first_dim_keys(n)
            return _views_of([arr[k] for k in keys], input, Select, params)
        params = [(slice(None),) * d + (i,) for i in range(n)]
        return _views_of([arr[p + (...,)] for p in params], input, Select, params)
    return tuple(select(input, d, i) for i in range(input.shape[d]))


# n -> the keys ``(i, ...)`` and select params ``(i,)`` of unbind(0)'s pieces, for the few
# lengths a program iterates over (the batch size of ``for i in ix``), made once
_FIRST_DIM_KEYS: dict = {}


def _first_dim_keys(n: int) -> tuple:
    keys = _FIRST_DIM_KEYS.get(n)
    if keys is None:
        keys = tuple((i, ...) for i in range(n)), tuple((i,) for i in range(n))
        if len(_FIRST_DIM_KEYS) < 64 and n <= 4096:
            _FIRST_DIM_KEYS[n] = keys
    return keys


# ---- meshgrid -----------------------------------------------------------------------------
def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids from 1-D tensors: ``indexing='ij'`` (matrix, torch's default) or
    ``'xy'`` (Cartesian: the first two output dimensions swapped).

    Example:
        >>> X, Y = autograd.meshgrid(autograd.arange(3), autograd.arange(2), indexing="ij")
        >>> X.shape
        autograd.Size([3, 2])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [as_tensor_operand(t) for t in tensors]
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.shape}"
            )
    ts = [reshape(t, (-1,)) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    order = list(range(len(ts)))
    if swap:
        order[0], order[1] = 1, 0
    shape = tuple(ts[i].shape[0] for i in order)
    out = []
    for k, t in enumerate(ts):
        pos = order.index(k)
        view = [1] * len(ts)
        view[pos] = -1
        out.append(expand(reshape(t, tuple(view)), shape))
    return tuple(out)


def _np_split(x, sizes, dim=0):
    if isinstance(sizes, int):
        n = x.shape[dim]
        sizes = [sizes] * (n // sizes) + ([n % sizes] if n % sizes else [])
    return np.split(x, np.cumsum(sizes)[:-1], axis=dim)


register(
    OpInfo(
        "split",
        split,
        ref=_np_split,
        samples=lambda rng: [
            Sample(rng.normal(size=(5, 3)), 2),
            Sample(rng.normal(size=(5, 3)), [1, 2], 1),
            Sample(rng.normal(size=(4, 3)), [0, 4]),
            Sample(rng.normal(size=(4,)), 4),
        ],
        family="join",
    )
)
register(
    OpInfo(
        "chunk",
        chunk,
        ref=lambda x, c, dim=0: _np_split(x, -(-x.shape[dim] // c), dim),
        samples=lambda rng: [
            Sample(rng.normal(size=(5, 3)), 3),
            Sample(rng.normal(size=(2, 6)), 4, 1),
            Sample(rng.normal(size=(3, 2)), 1, -1),
        ],
        family="join",
    )
)
register(
    OpInfo(
        "tensor_split",
        tensor_split,
        ref=lambda x, s, dim=0: np.array_split(x, s, axis=dim),
        samples=lambda rng: [
            Sample(rng.normal(size=(5, 3)), 3),
            Sample(rng.normal(size=(5, 3)), [1, 4], 0),
            Sample(rng.normal(size=(2, 7)), 2, 1),
        ],
        family="join",
    )
)
register(
    OpInfo(
        "split_with_sizes",
        split_with_sizes,
        ref=_np_split,
        family="join",
        samples=lambda rng: [
            Sample(rng.normal(size=(5, 3)), [1, 4]),
            Sample(rng.normal(size=(2, 3)), [3, 0], 1),
        ],
    )
)
for _name, _fn, _np_fn, _shapes in (
    ("hsplit", hsplit, np.hsplit, ((2, 4), (6,))),
    ("vsplit", vsplit, np.vsplit, ((4, 3), (6, 2))),
    ("dsplit", dsplit, np.dsplit, ((2, 1, 4), (1, 2, 6))),
):
    register(
        OpInfo(
            _name,
            _fn,
            ref=lambda x, s, _f=_np_fn: _f(x, s),
            family="join",
            samples=lambda rng, _s=_shapes: [
                Sample(rng.normal(size=_s[0]), 2),
                Sample(rng.normal(size=_s[1]), [1, 3]),
                Sample(rng.normal(size=_s[1]), [3, 1]),
            ],
        )
    )
register(
    OpInfo(
        "unbind",
        unbind,
        ref=lambda x, dim=0: [np.take(x, i, axis=dim) for i in range(x.shape[dim])],
        samples=lambda rng: [Sample(rng.normal(size=(3, 2))), Sample(rng.normal(size=(3, 2)), 1)],
        family="join",
    )
)
register(
    OpInfo(
        "meshgrid",
        meshgrid,
        ref=lambda *xs, indexing="ij": np.meshgrid(*xs, indexing=indexing),
        method=False,
        samples=lambda rng: [
            Sample(rng.normal(size=(3,)), rng.normal(size=(2,)), indexing="ij"),
            Sample(
                rng.normal(size=(3,)), rng.normal(size=(2,)), rng.normal(size=(4,)), indexing="xy"
            ),
            Sample(rng.normal(size=(3,)), indexing="ij"),
        ],
        family="join",
    )
)
