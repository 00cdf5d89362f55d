"""Shape helpers built from the movement, join and indexing ops: atleast_1d/2d/3d, ravel,
rot90, broadcast_tensors, block_diag, cartesian_prod, combinations, diag_embed, diagflat,
repeat_interleave, as_strided (a gather of positions), Tensor.unfold (sliding windows).

None of them needs a VJP of its own: each is a composition of ops that have one (reshape,
flip, transpose, expand, cat, index_select, the ``IndexPut`` that writes a diagonal), so
gradients, second derivatives and forward-mode tangents come from those.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import dtypes as _dt
from ..errors import ShapeError
from ..tensor import Tensor
from ._util import as_tensor_operand, broadcast_shapes, cast, wrap_dim
from .indexing import IndexPut
from .join import _atleast, cat, meshgrid, stack
from .slicing import _diag_index, diag
from .movement import expand, movedim, reshape, transpose
from .rearrange import flip
from .registry import OpInfo, Sample, register
from .samples import normal, shaped_samples
from .index_dim import index_select

__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "ravel",
    "rot90",
    "broadcast_tensors",
    "block_diag",
    "cartesian_prod",
    "combinations",
    "diag_embed",
    "diagflat",
    "repeat_interleave",
    "as_strided",
    "as_strided_scatter",
]


def _tensor(x, opname: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{opname}(): argument 'input' must be Tensor, not {type(x).__name__}")
    return x


# ---- atleast_nd ------------------------------------------------------------------------------
def _atleast_nd(n: int, tensors):
    opname = f"atleast_{n}d"
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return _atleast(tensors[0], n)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return tuple(_atleast(_tensor(t, opname), n) for t in tensors)


def atleast_1d(*tensors):
    """Each tensor viewed with at least one dimension (a 0-d tensor becomes shape ``(1,)``);
    one tensor gives a tensor, several (or a list) a tuple.

    Example:
        >>> autograd.atleast_1d(autograd.tensor(2.0))
        tensor([2.])
    """
    return _atleast_nd(1, tensors)


def atleast_2d(*tensors):
    """Each tensor viewed with at least two dimensions (a vector becomes one row).

    Example:
        >>> autograd.atleast_2d(autograd.tensor([1.0, 2.0])).shape
        autograd.Size([1, 2])
    """
    return _atleast_nd(2, tensors)


def atleast_3d(*tensors):
    """Each tensor viewed with at least three dimensions: a vector ``(n,)`` becomes
    ``(1, n, 1)``, a matrix ``(m, n)`` becomes ``(m, n, 1)``.

    Example:
        >>> autograd.atleast_3d(autograd.ones(2, 3)).shape
        autograd.Size([2, 3, 1])
    """
    return _atleast_nd(3, tensors)


def _np_atleast(n):
    fn = {1: np.atleast_1d, 2: np.atleast_2d, 3: np.atleast_3d}[n]

    def ref(*xs):
        out = fn(*xs)
        return tuple(out) if isinstance(out, list) else out

    return ref


def _atleast_samples(rng):
    n = rng.normal
    return [
        Sample(n(size=())),
        Sample(n(size=(3,))),
        Sample(n(size=(2, 3))),
        Sample(n(size=(2, 1, 3, 1))),
        Sample(n(size=(0,))),
        Sample(n(size=()), n(size=(2, 2))),
    ]


for _n, _fn in ((1, atleast_1d), (2, atleast_2d), (3, atleast_3d)):
    register(
        OpInfo(
            f"atleast_{_n}d",
            _fn,
            ref=_np_atleast(_n),
            samples=_atleast_samples,
            method=False,
            family="shape",
        )
    )


# ---- ravel / rot90 ---------------------------------------------------------------------------
def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor, in row-major order (a view when possible).

    Example:
        >>> autograd.ones(2, 3).ravel().shape
        autograd.Size([6])
    """
    return reshape(_tensor(input, "ravel"), (-1,))


# rows: the input shape
_RAVEL_SAMPLES = shaped_samples(
    normal,
    ((2, 3),),
    ((),),
    ((2, 0, 3),),
)
register(OpInfo("ravel", ravel, ref=np.ravel, family="shape", samples=_RAVEL_SAMPLES))


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first towards the
    second axis (``np.rot90``'s direction).

    Example:
        >>> autograd.rot90(autograd.tensor([[1, 2], [3, 4]]))
        tensor([[2, 4],
                [1, 3]])
    """
    x = _tensor(input, "rot90")
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = wrap_dim(dims[0], x.ndim), wrap_dim(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k = int(k) % 4
    if k == 1:
        return transpose(flip(x, [d1]), d0, d1)
    if k == 2:
        return flip(x, [d0, d1])
    if k == 3:
        return transpose(flip(x, [d0]), d0, d1)
    return x.clone()


register(
    OpInfo(
        "rot90",
        rot90,
        ref=lambda x, k=1, dims=(0, 1): np.rot90(x, k, dims).copy(),
        family="shape",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 2))),
            Sample(rng.normal(size=(3, 2)), 2),
            Sample(rng.normal(size=(3, 2, 4)), 3, [2, 0]),
            Sample(rng.normal(size=(2, 3)), -1, (1, 0)),
            Sample(rng.normal(size=(2, 3)), 4),
        ],
    )
)


# ---- broadcast_tensors -----------------------------------------------------------------------
def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views, as ``expand``).

    Example:
        >>> a, b = autograd.broadcast_tensors(autograd.ones(3, 1), autograd.ones(4))
        >>> a.shape, b.shape
        (autograd.Size([3, 4]), autograd.Size([3, 4]))
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [_tensor(t, "broadcast_tensors") for t in tensors]
    shape = broadcast_shapes(*[t.shape for t in ts]) if ts else ()
    return tuple(expand(t, shape) for t in ts)


register(
    OpInfo(
        "broadcast_tensors",
        broadcast_tensors,
        ref=lambda *xs: tuple(np.broadcast_arrays(*xs)),
        method=False,
        family="shape",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 1)), rng.normal(size=(4,))),
            Sample(rng.normal(size=(2, 3)), rng.normal(size=()), rng.normal(size=(1, 3))),
            Sample(rng.normal(size=(0, 1)), rng.normal(size=(2,))),
        ],
    )
)


# ---- block_diag / cartesian_prod / combinations ----------------------------------------------
def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix with the given tensors (0-d, 1-d as one row, or 2-d) on its
    diagonal and zeros elsewhere; dtypes promote.

    Example:
        >>> autograd.block_diag(autograd.ones(1, 2), autograd.tensor(3.0))
        tensor([[1., 1., 0.],
                [0., 0., 3.]])
    """
    ts = [as_tensor_operand(t) for t in tensors]
    for k, t in enumerate(ts):
        if t.ndim > 2:
            raise ShapeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                f"Input {k} has {t.ndim} dimensions"
            )
    dt = _dt.result_type(*ts) if ts else _dt.get_default_dtype()
    blocks = [reshape(cast(t, dt), (1, -1) if t.ndim < 2 else t.shape) for t in ts]
    width = sum(b.shape[1] for b in blocks)
    if not blocks:
        return Tensor._make(np.zeros((1, 0), dt.np))
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        pad_l = Tensor._make(np.zeros((r, left), dt.np))
        pad_r = Tensor._make(np.zeros((r, width - left - c), dt.np))
        rows.append(cat([pad_l, b, pad_r], 1))
        left += c
    return cat(rows, 0)


def _np_block_diag(*xs):
    import scipy.linalg

    return scipy.linalg.block_diag(*[np.reshape(x, (1, -1)) if x.ndim < 2 else x for x in xs])


register(
    OpInfo(
        "block_diag",
        block_diag,
        ref=_np_block_diag,
        method=False,
        family="shape",
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3)), rng.normal(size=(3,)), rng.normal(size=())),
            Sample(rng.normal(size=(2, 2))),
            Sample(rng.normal(size=(0, 2)), rng.normal(size=(1, 0)), rng.normal(size=(2, 1))),
        ],
    )
)


def _vector(t, opname) -> Tensor:
    t = as_tensor_operand(t)
    if t.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    return t


def cartesian_prod(*tensors) -> Tensor:
    """All tuples of one element from each 1-D tensor, in order, as the rows of a matrix
    (one tensor: returned as it is, like torch).

    Example:
        >>> autograd.cartesian_prod(autograd.tensor([1, 2]), autograd.tensor([3, 4]))
        tensor([[1, 3],
                [1, 4],
                [2, 3],
                [2, 4]])
    """
    ts = [_vector(t, "cartesian_prod") for t in tensors]
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if len(ts) == 1:
        return ts[0]
    return stack([reshape(g, (-1,)) for g in meshgrid(*ts, indexing="ij")], 1)


def _np_cartesian_prod(*xs):
    if len(xs) == 1:
        return xs[0]
    return np.stack([g.reshape(-1) for g in np.meshgrid(*xs, indexing="ij")], 1)


register(
    OpInfo(
        "cartesian_prod",
        cartesian_prod,
        ref=_np_cartesian_prod,
        method=False,
        family="shape",
        samples=lambda rng: [
            Sample(rng.normal(size=(2,)), rng.normal(size=(3,))),
            Sample(rng.normal(size=(2,)), rng.normal(size=(1,)), rng.normal(size=(2,))),
            Sample(rng.normal(size=(3,))),
            Sample(rng.normal(size=(0,)), rng.normal(size=(2,))),
        ],
    )
)


def _combination_index(n: int, r: int, with_replacement: bool) -> np.ndarray:
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(n), r)), dtype=np.int64)
    return idx.reshape(-1, r)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-``r`` combinations of the elements of a 1-D tensor (as
    ``itertools.combinations``; ``with_replacement`` allows repeats), one per row.

    Example:
        >>> autograd.combinations(autograd.tensor([1, 2, 3]))
        tensor([[1, 2],
                [1, 3],
                [2, 3]])
    """
    x = _vector(_tensor(input, "combinations"), "combinations")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:  # (no gradient: torch's result is a new empty tensor)
        return Tensor._make(np.zeros((0,), x._data.dtype))
    idx = _combination_index(x.shape[0], int(r), bool(with_replacement))
    cols = [index_select(x, 0, Tensor._make(idx[:, j].copy())) for j in range(r)]
    return stack(cols, 1)


def _np_combinations(x, r=2, with_replacement=False):
    if r == 0:
        return np.zeros((0,), x.dtype)
    return x[_combination_index(x.shape[0], r, with_replacement)]


register(
    OpInfo(
        "combinations",
        combinations,
        ref=_np_combinations,
        method=False,
        family="shape",
        samples=lambda rng: [
            Sample(rng.normal(size=(4,))),
            Sample(rng.normal(size=(4,)), 3, True),
            Sample(rng.normal(size=(3,)), 1),
            Sample(rng.normal(size=(2,)), 3),
            Sample(rng.normal(size=(0,))),
        ],
    )
)


# ---- diag_embed / diagflat -------------------------------------------------------------------
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices with the last dimension of ``input`` on their ``offset``-th diagonal, placed
    in dimensions ``dim1`` and ``dim2`` of the result (the inverse of ``diagonal``).

    Example:
        >>> autograd.diag_embed(autograd.tensor([[1.0, 2.0]]))
        tensor([[[1., 0.],
                 [0., 2.]]])
    """
    x = _tensor(input, "diag_embed")
    nd = x.ndim + 1
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = x.shape[-1] if x.ndim else 1
    n = m + abs(int(offset))
    rows, cols = _diag_index(n, n, int(offset))
    zeros = Tensor._make(np.zeros(tuple(x.shape[:-1]) + (n, n), x._data.dtype))
    if x.ndim == 0:
        x = reshape(x, (1,))
    out = IndexPut.apply(zeros, x, idx=(Ellipsis, rows, cols))
    return movedim(out, (nd - 2, nd - 1), (d1, d2))


def _np_diag_embed(x, offset=0, dim1=-2, dim2=-1):
    m = x.shape[-1]
    n = m + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), x.dtype)
    rows, cols = _diag_index(n, n, offset)
    out[..., rows, cols] = x
    nd = x.ndim + 1
    return np.moveaxis(out, (nd - 2, nd - 1), (dim1 % nd, dim2 % nd))


register(
    OpInfo(
        "diag_embed",
        diag_embed,
        ref=_np_diag_embed,
        family="shape",
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 3))),
            Sample(rng.normal(size=(2, 3)), 1, 0, 2),
            Sample(rng.normal(size=(3,)), -2, 1, 0),
            Sample(rng.normal(size=(2, 0))),
        ],
    )
)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A square matrix with the flattened ``input`` on its ``offset``-th diagonal.

    Example:
        >>> autograd.diagflat(autograd.tensor([[1.0, 2.0]]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    return diag(reshape(_tensor(input, "diagflat"), (-1,)), offset)


register(
    OpInfo(
        "diagflat",
        diagflat,
        ref=lambda x, offset=0: np.diagflat(x, offset),
        family="shape",
        samples=lambda rng: [
            Sample(rng.normal(size=(2, 2))),
            Sample(rng.normal(size=(3,)), -2),
            Sample(rng.normal(size=()), 1),
            Sample(rng.normal(size=(0,))),
        ],
    )
)


# ---- repeat_interleave -----------------------------------------------------------------------
def _repeat_counts(repeats, size: int) -> np.ndarray:
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise NotImplementedError(
                f"\"repeat_interleave_cpu\" not implemented for '{_dt.torch_name(repeats.dtype)}'"
            )
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if r.ndim == 0 or r.shape[0] == 1:
            r = np.full(size, int(r.reshape(-1)[0]), np.int64)
        elif r.shape[0] != size:
            raise RuntimeError(
                f"repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {r.shape[0]} and input.size(0) = {size}"
            )
        if (r < 0).any():
            raise RuntimeError("repeats can not be negative")
        return r.astype(np.int64)
    if int(repeats) < 0:
        raise RuntimeError("Repeats must be non-negative")
    return np.full(size, int(repeats), np.int64)


def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (the flattened tensor when ``dim``
    is None); ``repeats`` is a number or a tensor with one count per element. With a single
    integer tensor, ``repeat_interleave(counts)`` repeats each index ``counts[i]`` times.

    Example:
        >>> autograd.tensor([1, 2]).repeat_interleave(2)
        tensor([1, 1, 2, 2])
        >>> autograd.repeat_interleave(autograd.tensor([2, 1]))
        tensor([0, 0, 1])
    """
    x = _tensor(input, "repeat_interleave")
    if repeats is None:  # repeat_interleave(counts): the indices repeated
        counts = _repeat_counts(x, x.shape[0] if x.ndim else 1)
        return Tensor._make(np.repeat(np.arange(counts.shape[0]), counts))
    if dim is None:
        x, d = reshape(x, (-1,)), 0
    else:
        d = wrap_dim(dim, x.ndim)
        if x.ndim == 0:
            x = reshape(x, (1,))
    counts = _repeat_counts(repeats, x.shape[d])
    index = np.repeat(np.arange(x.shape[d]), counts)
    if output_size is not None and output_size != index.shape[0]:
        raise RuntimeError(
            f"repeat_interleave: Invalid output_size, expected {index.shape[0]} "
            f"but got {output_size}"
        )
    return index_select(x, d, Tensor._make(index))


def _np_repeat_interleave(x, repeats=None, dim=None, **kw):
    if isinstance(repeats, np.ndarray) and repeats.ndim == 0:
        repeats = int(repeats)
    return np.repeat(x, repeats, axis=dim)


# rows: the input shape, repeats, dim (, output_size=)
_REPEAT_INTERLEAVE_SAMPLES = shaped_samples(
    normal,
    ((2, 3), 2),
    ((2, 3), 3, 1),
    ((3, 2), np.array([1, 0, 2]), 0),
    ((3, 2), np.array([2]), -1, dict(output_size=4)),
    ((), 3),
    ((0, 2), 2, 0),
)
register(
    OpInfo(
        "repeat_interleave",
        repeat_interleave,
        ref=_np_repeat_interleave,
        family="shape",
        samples=_REPEAT_INTERLEAVE_SAMPLES,
    )
)


# ---- as_strided / as_strided_scatter ---------------------------------------------------------
def _strided_positions(input: Tensor, size, stride, storage_offset: int, opname: str):
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"{opname}: Negative sizes are not allowed, got {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"{opname}: Negative strides are not supported at the moment, got "
            f"strides: {list(stride)}"
        )
    pos = np.full(size, int(storage_offset), np.intp)
    for axis, (n, st) in enumerate(zip(size, stride)):
        pos = pos + (np.arange(n) * st).reshape([-1 if a == axis else 1 for a in range(len(size))])
    needed = int(pos.max()) + 1 if pos.size else 0
    if needed > input.numel():
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
            f"offset {storage_offset}, and itemsize {input._data.itemsize} "
            f"requiring a storage size of {needed * input._data.itemsize} are out "
            f"of bounds for storage of size {input.numel() * input._data.itemsize}"
        )
    return pos


def as_strided(input: Tensor, size, stride, storage_offset: int = 0) -> Tensor:
    """A tensor of ``size`` whose element ``[i, j, ...]`` is element ``storage_offset + i *
    stride[0] + j * stride[1] + ...`` of ``input`` in row-major order (for a contiguous
    tensor that owns its memory, torch's storage positions). Differentiable; unlike torch's
    it is a copy, not a view (overlapping windows then get their gradients added).

    Example:
        >>> autograd.arange(5.0).as_strided((3, 3), (1, 1))
        tensor([[0., 1., 2.],
                [1., 2., 3.],
                [2., 3., 4.]])
    """
    x = _tensor(input, "as_strided")
    pos = _strided_positions(x, size, stride, storage_offset, "as_strided")
    return reshape(x, (-1,))[Tensor._make(pos.astype(np.int64))]


def as_strided_scatter(input: Tensor, src: Tensor, size, stride, storage_offset: int = 0) -> Tensor:
    """``input`` with the elements that ``as_strided(input, size, stride, storage_offset)``
    reads replaced by ``src`` (a new tensor).

    Example:
        >>> autograd.as_strided_scatter(autograd.zeros(4), autograd.ones(2), (2,), (2,))
        tensor([1., 0., 1., 0.])
    """
    x = _tensor(input, "as_strided_scatter")
    pos = _strided_positions(x, size, stride, storage_offset, "as_strided_scatter")
    if tuple(src.shape) != pos.shape:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(pos.shape)}"
        )
    flat = IndexPut.apply(reshape(x, (-1,)), reshape(src, (-1,)), idx=(pos.reshape(-1),))
    return reshape(flat, x.shape)


def _np_as_strided(x, size, stride, storage_offset=0):
    flat = np.ascontiguousarray(x).reshape(-1)
    return np.lib.stride_tricks.as_strided(
        flat[storage_offset:], size, [s * flat.itemsize for s in stride]
    ).copy()


def _np_as_strided_scatter(x, src, size, stride, storage_offset=0):
    out = np.ascontiguousarray(x).copy()
    view = np.lib.stride_tricks.as_strided(
        out.reshape(-1)[storage_offset:], size, [s * out.itemsize for s in stride], writeable=True
    )
    view[...] = src
    return out


register(
    OpInfo(
        "as_strided",
        as_strided,
        ref=_np_as_strided,
        family="shape",
        samples=lambda rng: [
            Sample(rng.normal(size=(9,)), (3, 3), (1, 1)),
            Sample(rng.normal(size=(3, 4)), (2, 2), (4, 1), 1),
            Sample(rng.normal(size=(3, 4)), (6,), (2,)),
            Sample(rng.normal(size=(5,)), (0, 2), (1, 1)),
        ],
    )
)


def _torch_as_strided_scatter(torch, x, src, size, stride, storage_offset=0):
    """torch's values; gradients of the same scatter written with index_put, because torch
    2.13's backward gives ``input`` the gradient of the overwritten elements (the ones it
    does not reach) instead of the others."""
    values = torch.as_strided_scatter(x.detach(), src.detach(), size, stride, storage_offset)
    # (the positions depend on the shape only: float() lets bfloat16 through .numpy())
    pos = torch.as_tensor(
        _strided_positions(
            Tensor._make(x.detach().float().numpy()), size, stride, storage_offset, ""
        ).reshape(-1)
    )
    same = x.reshape(-1).index_put((pos,), src.reshape(-1)).reshape(x.shape)
    torch.testing.assert_close(same.detach(), values, equal_nan=True, rtol=0, atol=0)
    return same


register(
    OpInfo(
        "as_strided_scatter",
        as_strided_scatter,
        ref=_np_as_strided_scatter,
        family="shape",
        torch_fn=_torch_as_strided_scatter,
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(2, 2)), (2, 2), (4, 1), 1),
            Sample(rng.normal(size=(6,)), rng.normal(size=(3,)), (3,), (2,)),
        ],
    )
)


# ---- Tensor.unfold: sliding windows -----------------------------------------------------------
def unfold_windows(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: every window of ``size`` elements along ``dimension``, ``step``
    apart: that dimension becomes the window count and a new last dimension of ``size``
    holds each window (a copy here; differentiable).

    Example:
        >>> autograd.arange(5.0).unfold(0, 2, 2)
        tensor([[0., 1.],
                [2., 3.]])
    """
    x = _tensor(input, "unfold")
    d = wrap_dim(dimension, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if x.ndim == 0:
        return reshape(x, (1,))
    count = (n - size) // step + 1
    index = (np.arange(count)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    windows = index_select(x, d, Tensor._make(index))
    shape = x.shape[:d] + (count, size) + x.shape[d + 1 :]
    return movedim(reshape(windows, shape), d + 1, -1)


def _np_unfold(x, dimension, size, step):
    if x.ndim == 0:
        return x.reshape(1)
    d = dimension % x.ndim
    v = np.lib.stride_tricks.sliding_window_view(x, size, axis=d)
    return np.take(v, np.arange(0, v.shape[d], step), axis=d).copy()
