"""Sorting and ordering: sort, argsort, topk, msort; searchsorted and bucketize (positions in
a sorted sequence); unique and unique_consecutive.

``sort`` and ``topk`` return ``(values, indices)`` named tuples. The indices are computed on
the array first; the values are then picked out of the input with a differentiable
"select along dim" (``_reduction._select``), so the gradient of a value flows back to the
position it came from and the indices carry no gradient.
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..function import derive
from ..tensor import Tensor
from ._reduction import _as1d, _int_dim, _select
from .registry import OpInfo, Sample, register
from .samples import normal, shaped_samples
from ..dtypes import FLOAT_KINDS

__all__ = [
    "sort",
    "argsort",
    "topk",
    "msort",
    "searchsorted",
    "bucketize",
    "unique",
    "unique_consecutive",
]


def _order(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sort order along ``axis``; nan counts as the largest value (like torch)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")  # NumPy already puts nan last
    if x.dtype.kind == "b":
        key = ~x
    elif x.dtype.kind in FLOAT_KINDS:
        # lexsort (stable; its last key is the primary one): nan first, then larger values
        nan = np.isnan(x)
        return np.lexsort((np.where(nan, 0, -x), ~nan), axis=axis)
    elif x.dtype.kind == "u":
        key = np.iinfo(x.dtype).max - x
    else:
        key = -x.astype(np.int64) if x.dtype != np.int64 else ~x  # ~x = -x - 1: no overflow
    return np.argsort(key, axis=axis, kind="stable")


# ---- sort / argsort -----------------------------------------------------------------------
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """Sort along ``dim``: a ``(values, indices)`` named tuple. The sort is always stable
    (equal elements keep their order), and nan sorts as the largest value.

    Example:
        >>> autograd.tensor([3.0, 1.0, 2.0]).sort()
        autograd.return_types.sort(
        values=tensor([1., 2., 3.]),
        indices=tensor([1, 2, 0]))
    """
    d = _int_dim(dim, input.ndim, "sort")
    dd = d if input.ndim else 0
    # (the order depends on the values: derived, see function.derive)
    index = derive(_sort_index, input, dim=dd, descending=descending, k=None)
    return return_types.sort(_select(input, index, dd, input.ndim > 0, "Sort"), Tensor._make(index))


def _sort_index(x: np.ndarray, dim: int, descending: bool, k) -> np.ndarray:
    """int64 positions of the sorted values (the first ``k`` of them, unless None) along
    ``dim``; a 0-d ``x`` gives a 0-d index."""
    index = _order(_as1d(x), dim, descending)
    if k is not None:
        index = np.take(index, np.arange(k), axis=dim)
    index = index.astype(np.int64)
    return index.reshape(()) if x.ndim == 0 else index


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """Indices that sort ``input`` along ``dim`` (int64; stable).

    Example:
        >>> autograd.tensor([3.0, 1.0, 2.0]).argsort(descending=True)
        tensor([0, 2, 1])
    """
    return sort(input, dim, descending, stable).indices


def _np_sort(x, dim=-1, descending=False, stable=False):
    if x.ndim == 0:
        return x, np.asarray(0)
    idx = np.argsort(-x if descending else x, axis=dim, kind="stable")
    return np.take_along_axis(x, idx, axis=dim), idx


def _sort_samples(rng):
    x = rng.normal(size=(3, 5))
    ties = np.array([[2.0, 1.0, 2.0, 0.5, 1.0], [0.0, 0.0, -1.0, 3.0, 0.0]])
    return [
        Sample(x),
        Sample(x, 0),
        Sample(x, descending=True),
        Sample(x, -2, True),
        # ties check the (stable) order; no finite differences at a tie, so no grad
        Sample(ties, no_grad_args=(0,)),
        Sample(ties, descending=True, stable=True, no_grad_args=(0,)),
        Sample(rng.normal(size=())),
        Sample(rng.normal(size=(0, 3))),
    ]


register(OpInfo("sort", sort, ref=_np_sort, samples=_sort_samples, family="sorting"))
register(
    OpInfo(
        "argsort",
        argsort,
        ref=lambda *a, **k: _np_sort(*a, **k)[1],
        samples=_sort_samples,
        differentiable=False,
        family="sorting",
    )
)


# ---- topk ---------------------------------------------------------------------------------
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``.

    Values are differentiable (the gradient returns to where each value came from). The
    result is always sorted (``sorted=False`` is accepted and gives the same order).

    Example:
        >>> autograd.tensor([1.0, 5.0, 3.0]).topk(2)
        autograd.return_types.topk(
        values=tensor([5., 3.]),
        indices=tensor([1, 2]))
    """
    d = _int_dim(dim, input.ndim, "topk")
    dd = d if input.ndim else 0
    k = int(k)
    if not 0 <= k <= (input.shape[dd] if input.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0 and k == 0:
        raise RuntimeError("topk: k=0 is not supported for a 0-d tensor")
    index = derive(_sort_index, input, dim=dd, descending=largest, k=k)
    return return_types.topk(_select(input, index, dd, input.ndim > 0, "Topk"), Tensor._make(index))


def _np_topk(x, k, dim=-1, largest=True, sorted=True):
    if x.ndim == 0:
        return x, np.asarray(0)
    idx = np.take(np.argsort(-x if largest else x, axis=dim, kind="stable"), np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, axis=dim), idx


# rows: the input shape, k, dim (, largest / sorted)
_TOPK_SAMPLES = shaped_samples(
    normal,
    ((3, 6), 2),
    ((3, 6), 3, 0),
    ((3, 6), 4, dict(largest=False)),
    ((2, 3, 4), 1, -2, True),
    ((3, 4), 0),
    ((), 1),
    ((0, 4), 2),
)
register(OpInfo("topk", topk, ref=_np_topk, family="sorting", samples=_TOPK_SAMPLES))


def msort(input: Tensor) -> Tensor:
    """The values sorted along the first dimension (``sort(input, dim=0).values``).

    Example:
        >>> autograd.msort(autograd.tensor([[3.0, 1.0], [2.0, 4.0]]))
        tensor([[2., 1.],
                [3., 4.]])
    """
    return sort(input, 0).values


register(
    OpInfo(
        "msort",
        msort,
        ref=lambda x: np.sort(x, axis=0) if x.ndim else x,
        family="sorting",
        samples=lambda rng: [
            Sample(rng.normal(size=(4, 3))),
            Sample(rng.normal(size=(5,))),
            Sample(rng.normal(size=())),
        ],
    )
)


# ---- searchsorted / bucketize -------------------------------------------------------------
def _np_searchsorted(seq, values, right, sorter=None):
    """``np.searchsorted`` row by row: ``seq`` is 1-D, or its leading dimensions match those
    of ``values``."""
    side = "right" if right else "left"
    if seq.ndim == 1:
        return np.searchsorted(seq, values, side=side, sorter=sorter)
    rows_s = seq.reshape(-1, seq.shape[-1])
    rows_v = values.reshape(-1, values.shape[-1])
    rows_o = None if sorter is None else sorter.reshape(-1, sorter.shape[-1])
    out = np.empty(rows_v.shape, np.int64)
    for i in range(rows_s.shape[0]):
        out[i] = np.searchsorted(
            rows_s[i], rows_v[i], side=side, sorter=None if rows_o is None else rows_o[i]
        )
    return out.reshape(values.shape)


def _side(right, side, opname):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.{opname}(): side can only be 'left' or 'right' but got {side}"
            )
        return side == "right"
    return bool(right)


def searchsorted(
    sorted_sequence, input, *, out_int32: bool = False, right: bool = False, side=None, sorter=None
) -> Tensor:
    """Where ``input``'s values would be inserted into ``sorted_sequence`` to keep it sorted:
    the index of the first element ``>=`` each value (``>`` with ``right=True`` or
    ``side='right'``). ``sorted_sequence`` is 1-D, or its rows match ``input``'s leading
    dimensions; ``sorter`` gives the order of an unsorted sequence.

    Example:
        >>> autograd.searchsorted(autograd.tensor([1.0, 3.0, 5.0]), autograd.tensor([3.0, 6.0]))
        tensor([1, 3])
    """
    seq = sorted_sequence
    if not isinstance(seq, Tensor):
        raise TypeError(
            f"searchsorted(): argument 'sorted_sequence' must be Tensor, not {type(seq).__name__}"
        )
    scalar = not isinstance(input, Tensor)
    values = np.asarray(input, seq._data.dtype) if scalar else input._data
    if seq.ndim > 1 and (scalar or seq.shape[:-1] != input.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor "
            f"{list(np.shape(values))}"
        )
    if seq.ndim == 0:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should have positive "
            "dimension, but got 0 dimension"
        )
    order = None
    if sorter is not None:
        order = sorter._data if isinstance(sorter, Tensor) else np.asarray(sorter)
        if order.shape != seq.shape:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same "
                f"size, but got boundary tensor {list(seq.shape)}and got sorter "
                f"tensor {list(order.shape)}"
            )
    out = _np_searchsorted(seq._data, values, _side(right, side, "searchsorted"), order)
    return Tensor._make(np.asarray(out).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value of ``input`` between the sorted 1-D ``boundaries``: the index
    of the first boundary ``>=`` the value (``>`` with ``right=True``).

    Example:
        >>> autograd.bucketize(autograd.tensor([3.0, 6.0, 9.0]), autograd.tensor([1.0, 3.0, 5.0, 7.0]))
        tensor([1, 3, 4])
    """
    if not isinstance(boundaries, Tensor):
        raise TypeError(
            f"bucketize(): argument 'boundaries' must be Tensor, not {type(boundaries).__name__}"
        )
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _searchsorted_samples(rng):
    seq = np.sort(rng.normal(size=(6,)))
    return [
        Sample(seq, rng.normal(size=(3, 4))),
        Sample(seq, rng.normal(size=(5,)), right=True),
        Sample(np.sort(rng.normal(size=(2, 5)), -1), rng.normal(size=(2, 3)), side="right"),
        Sample(seq, np.array([seq[1], seq[3], np.nan, np.inf]), out_int32=True),
        Sample(seq, rng.normal(size=(0,))),
    ]


def _ref_searchsorted(seq, values, out_int32=False, right=False, side=None, sorter=None):
    r = right if side is None else side == "right"
    out = _np_searchsorted(seq, values, r, sorter)
    return np.asarray(out).astype(np.int32 if out_int32 else np.int64)


register(
    OpInfo(
        "searchsorted",
        searchsorted,
        method=False,
        differentiable=False,
        family="sorting",
        ref=_ref_searchsorted,
        samples=_searchsorted_samples,
    )
)
register(
    OpInfo(
        "bucketize",
        bucketize,
        differentiable=False,
        family="sorting",
        ref=lambda x, b, out_int32=False, right=False: _ref_searchsorted(b, x, out_int32, right),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), np.sort(rng.normal(size=(5,)))),
            Sample(rng.normal(size=()), np.sort(rng.normal(size=(3,))), right=True),
            Sample(np.array([1.0, 3.0, 7.0]), np.array([1.0, 3.0, 5.0]), out_int32=True),
        ],
    )
)


# ---- unique / unique_consecutive ----------------------------------------------------------
def _unique_result(values, inverse, counts, return_inverse, return_counts):
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _unique_along(x: np.ndarray, dim, consecutive: bool):
    """(values, inverse, counts) of the slices of ``x`` along ``dim`` (None: elements)."""
    if dim is None:
        flat = x.reshape(-1)
        if not consecutive:
            # (each nan is distinct, as in torch: NumPy would merge them)
            values, inverse, counts = np.unique(
                flat, return_inverse=True, return_counts=True, equal_nan=False
            )
            return values, inverse.reshape(x.shape), counts
        new = np.ones(flat.shape, bool)
        if flat.size:
            new[1:] = flat[1:] != flat[:-1]
        starts = np.flatnonzero(new)
        inverse = np.cumsum(new) - 1
        counts = np.diff(np.append(starts, flat.size))
        return flat[starts], inverse.reshape(x.shape), counts
    moved = np.moveaxis(x, dim, 0)
    rows = moved.reshape(moved.shape[0], -1)
    if not consecutive:
        values, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    else:
        new = np.ones(rows.shape[0], bool)
        if rows.shape[0]:
            new[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        starts = np.flatnonzero(new)
        values, inverse = rows[starts], np.cumsum(new) - 1
        counts = np.diff(np.append(starts, rows.shape[0]))
    values = np.moveaxis(values.reshape((-1,) + moved.shape[1:]), 0, dim)
    return values, inverse.reshape(-1), counts


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim=None,
):
    """The distinct values (always sorted), or the distinct slices along ``dim``; with
    ``return_inverse``, where each element went in the result; with ``return_counts``, how
    often each occurs. No gradient (as in torch).

    Example:
        >>> autograd.unique(autograd.tensor([3, 1, 3, 2]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"unique(): argument 'input' must be Tensor, not {type(input).__name__}")
    d = None if dim is None else _int_dim(dim, input.ndim, "unique")
    values, inverse, counts = _unique_along(input._data, d, False)
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None
):
    """Collapse each run of equal consecutive values (or slices along ``dim``) into one,
    like the Unix ``uniq``; ``return_inverse`` / ``return_counts`` as in ``unique``.

    Example:
        >>> autograd.unique_consecutive(autograd.tensor([1, 1, 2, 2, 3, 1]))
        tensor([1, 2, 3, 1])
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"unique_consecutive(): argument 'input' must be Tensor, not {type(input).__name__}"
        )
    d = None if dim is None else _int_dim(dim, input.ndim, "unique_consecutive")
    values, inverse, counts = _unique_along(input._data, d, True)
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


def _ref_unique(consecutive):
    def ref(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
        values, inverse, counts = _ref_unique_arrays(x, dim, consecutive)
        out = [values] + ([inverse] if return_inverse else []) + ([counts] if return_counts else [])
        return out[0] if len(out) == 1 else tuple(out)

    return ref


def _ref_unique_arrays(x, dim, consecutive):
    """An independent (loop) reference: runs or distinct keys, in order."""
    d = None if dim is None else dim % max(x.ndim, 1)
    items = list(x.reshape(-1)) if d is None else list(np.moveaxis(x, d, 0))
    keys = [np.asarray(v).tobytes() for v in items]
    if consecutive:
        firsts = [i for i in range(len(items)) if i == 0 or keys[i] != keys[i - 1]]
        group = np.cumsum([i in firsts for i in range(len(items))]) - 1
    else:
        order = sorted(range(len(items)), key=lambda i: tuple(np.asarray(items[i]).reshape(-1)))
        firsts, group, seen = [], np.zeros(len(items), np.int64), {}
        for i in order:
            if keys[i] not in seen:
                seen[keys[i]] = len(firsts)
                firsts.append(i)
            group[i] = seen[keys[i]]
    counts = np.bincount(group, minlength=len(firsts)) if len(items) else np.zeros(0, np.int64)
    if d is None:
        values = np.array([items[i] for i in firsts], x.dtype).reshape(-1)
        return values, np.asarray(group, np.int64).reshape(x.shape), counts
    values = (
        np.stack([items[i] for i in firsts])
        if firsts
        else np.zeros((0,) + np.moveaxis(x, d, 0).shape[1:], x.dtype)
    )
    return np.moveaxis(values, 0, d), np.asarray(group, np.int64), counts


def _unique_samples(rng):
    ints = rng.integers(0, 4, (3, 5)).astype(float)
    rows = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 5.0], [1.0, 2.0]])
    return [
        Sample(ints),
        Sample(ints, return_inverse=True, return_counts=True),
        Sample(rows, dim=0, return_inverse=True, return_counts=True),
        Sample(rows, dim=1, return_counts=True),
        Sample(np.array(3.0)),
        Sample(np.zeros(0)),
    ]


register(
    OpInfo(
        "unique",
        unique,
        ref=_ref_unique(False),
        samples=_unique_samples,
        differentiable=False,
        family="sorting",
    )
)
register(
    OpInfo(
        "unique_consecutive",
        unique_consecutive,
        ref=_ref_unique(True),
        differentiable=False,
        family="sorting",
        samples=lambda rng: (
            _unique_samples(rng)
            + [
                Sample(
                    np.array([1.0, 1.0, 2.0, 2.0, 3.0, 1.0, 1.0, 2.0]),
                    return_inverse=True,
                    return_counts=True,
                )
            ]
        ),
    )
)
