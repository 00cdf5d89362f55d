"""Sorting and ordering: sort, argsort, topk.

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
from ..dtypes import FLOAT_KINDS

__all__ = ["sort", "argsort", "topk"]


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
    return return_types.sort(_select(input, index, dd, input.ndim > 0, "Sort"),
                             Tensor._make(index))


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
    return [Sample(x), Sample(x, 0), Sample(x, descending=True), Sample(x, -2, True),
            # ties check the (stable) order; no finite differences at a tie, so no grad
            Sample(ties, no_grad_args=(0,)),
            Sample(ties, descending=True, stable=True, no_grad_args=(0,)),
            Sample(rng.normal(size=())), Sample(rng.normal(size=(0, 3)))]


register(OpInfo("sort", sort, ref=_np_sort, samples=_sort_samples, family="sorting"))
register(OpInfo("argsort", argsort, ref=lambda *a, **k: _np_sort(*a, **k)[1],
                samples=_sort_samples, differentiable=False, family="sorting"))


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
    return return_types.topk(_select(input, index, dd, input.ndim > 0, "Topk"),
                             Tensor._make(index))


def _np_topk(x, k, dim=-1, largest=True, sorted=True):
    if x.ndim == 0:
        return x, np.asarray(0)
    idx = np.take(np.argsort(-x if largest else x, axis=dim, kind="stable"), np.arange(k),
                  axis=dim)
    return np.take_along_axis(x, idx, axis=dim), idx


register(OpInfo("topk", topk, ref=_np_topk, family="sorting",
                samples=lambda rng: [Sample(rng.normal(size=(3, 6)), 2),
                                     Sample(rng.normal(size=(3, 6)), 3, 0),
                                     Sample(rng.normal(size=(3, 6)), 4, largest=False),
                                     Sample(rng.normal(size=(2, 3, 4)), 1, -2, True),
                                     Sample(rng.normal(size=(3, 4)), 0),
                                     Sample(rng.normal(size=()), 1),
                                     Sample(rng.normal(size=(0, 4)), 2)]))
