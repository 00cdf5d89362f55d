"""Counting: bincount, histc, histogram, histogramdd (torch names and errors).

Counts have no gradient, except bincount's weights, which are summed into their bins. The
other statistics (kthvalue, mode, quantile, cov ...) are in stats.py.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import return_types
from ..dtypes import FLOAT_KINDS
from ..errors import ShapeError
from ..tensor import Tensor
from ._util import _reject
from .registry import OpInfo, Sample, register, torch_array_kwargs
from .stats import _tensor

__all__ = ["bincount", "histc", "histogram", "histogramdd"]


# ---- bincount / histc / histogram / histogramdd ----------------------------------------------
def bincount(input, weights=None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, 2 ... occurs in a 1-D tensor of non-negative integers (at
    least ``minlength`` bins); with ``weights``, the sum of the weights of each value.
    No gradient (as in torch).

    Example:
        >>> autograd.bincount(autograd.tensor([1, 3, 1]))
        tensor([0, 2, 0, 1])
    """
    x = _tensor(input, "bincount")
    if x._data.dtype.kind not in "iu":
        _reject("bincount", "bincount_cpu", x, "non-negative integers only")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    arr = x._data
    if arr.ndim != 1 or (arr < 0).any():
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    size = max(int(arr.max()) + 1 if arr.size else 0, int(minlength))
    if weights is None:
        return Tensor._make(np.bincount(arr, minlength=size).astype(np.int64))
    w = _tensor(weights, "bincount", "weights")
    if w.ndim != 1 or w.shape[0] != arr.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if arr.size == 0:  # (torch's result for no values is an int64 count, weights or not)
        return Tensor._make(np.zeros(size, np.int64))
    # torch sums float32 weights in float32 and every other dtype (float16 and bfloat16 too)
    # in float64, which is then the result's dtype
    dtype = np.dtype(np.float32 if w._data.dtype == np.float32 else np.float64)
    return Tensor._make(
        np.bincount(arr, weights=w._data.astype(dtype), minlength=size).astype(dtype, copy=False)
    )


def _ref_bincount(x, weights=None, minlength=0):
    out = np.bincount(x, weights=weights, minlength=minlength)
    if weights is None or x.size == 0:
        return out
    return out.astype(np.float32 if weights.dtype == np.float32 else np.float64)


register(
    OpInfo(
        "bincount",
        bincount,
        ref=_ref_bincount,
        differentiable=False,
        family="histogram",
        samples=lambda rng: [
            Sample(rng.integers(0, 5, (7,))),
            Sample(rng.integers(0, 5, (7,)), minlength=8),
            Sample(rng.integers(0, 4, (6,)), rng.normal(size=(6,))),
            Sample(np.zeros(0, np.int64), rng.normal(size=(0,)), 2),
        ],
    )
)


def _finite_range(opname, lo, hi):
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.{opname}: range of [{lo:g}, {hi:g}] is not finite")


def histc(input, bins: int = 100, min=0, max=0) -> Tensor:
    """A histogram with ``bins`` equal bins from ``min`` to ``max`` (both 0: the data's
    minimum and maximum); values outside are ignored. Returns the counts, in the input's dtype.

    Example:
        >>> autograd.histc(autograd.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    x = _tensor(input, "histc")
    if x._data.dtype.kind not in FLOAT_KINDS:
        _reject("histc", "histogram_cpu", x, "floating point tensors only")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    arr = x._data.reshape(-1)
    dt = arr.dtype
    lo, hi = float(min), float(max)  # the range is chosen in float64, as torch does
    if lo == hi and arr.size:
        lo, hi = float(arr.min()), float(arr.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    _finite_range("histc", lo, hi)
    # ... but the bin of each value is computed in the input's dtype, each step rounded to it
    # (torch's kernel works on its edges stored as that dtype): in bfloat16 this moves many
    # values to a neighbouring bin, and we count them where torch does
    lo, hi = dt.type(lo), dt.type(hi)
    inside = arr[(arr >= lo) & (arr <= hi)]
    index = ((inside - lo) * dt.type(bins) / (hi - lo)).astype(np.int64)
    index = np.minimum(index, bins - 1)
    return Tensor._make(np.bincount(index, minlength=bins).astype(dt))


def _ref_histc(x, bins=100, min=0, max=0):
    # torch's definition: the range in float64, then bin = (x - lo) * bins / (hi - lo) in the
    # input's dtype (np.histogram's float64 bins put some float32 values one bin higher)
    lo, hi = (min, max) if min != max else ((x.min(), x.max()) if x.size else (0, 0))
    lo, hi = float(lo), float(hi)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    lo, hi = x.dtype.type(lo), x.dtype.type(hi)
    counts = np.zeros(bins, np.int64)
    for v in x.reshape(-1):
        if lo <= v <= hi:
            counts[builtins.min(int((v - lo) * x.dtype.type(bins) / (hi - lo)), bins - 1)] += 1
    return counts.astype(x.dtype)


register(
    OpInfo(
        "histc",
        histc,
        ref=_ref_histc,
        differentiable=False,
        family="histogram",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 20))),
            Sample(rng.normal(size=(50,)), 7, -1, 1),
            Sample(np.array([1.0, 1.0]), 4),
            Sample(rng.normal(size=(0,)), 5),
        ],
    )
)


def _bin_edges(opname, arr, bins, range_, dim=0):
    """(edges as an array, its dtype) for int bins (with range) or a tensor of edges."""
    if isinstance(bins, Tensor):
        edges = bins._data.astype(arr.dtype)
        if edges.ndim != 1:
            raise RuntimeError(
                f"torch.histogramdd: bins tensor should have one dimension, but "
                f"got {edges.ndim} dimensions in the bins tensor for dimension "
                f"{dim}"
            )
        if edges.size < 2:
            raise RuntimeError(
                f"torch.{opname}(): bins must be > 0, but got {edges.size - 1} for dimension {dim}"
            )
        if not (np.diff(edges) >= 0).all():
            raise ValueError(
                f"{opname}(): the bin edges must be increasing numbers, got {edges.tolist()}"
            )
        return edges
    if int(bins) <= 0:
        raise RuntimeError(
            f"torch.{opname}(): bins must be > 0, but got {bins} for dimension {dim}"
        )
    if range_ is not None:
        lo, hi = float(range_[0]), float(range_[1])
    elif arr.size:
        lo, hi = float(arr.min()), float(arr.max())
    else:
        lo, hi = 0.0, 1.0
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(
            f"torch.histogramdd: dimension {dim}'s range [{lo:g}, {hi:g}] is not finite"
        )
    if lo > hi:
        raise RuntimeError(
            f"torch.histogramdd: min should not exceed max, but got min {lo:g} "
            f"max {hi:g} for dimension {dim}"
        )
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, int(bins) + 1).astype(arr.dtype)


def _weight(weight, x: Tensor, opname: str) -> np.ndarray:
    w = _tensor(weight, opname, "weight", like=x)
    if w._data.dtype != x._data.dtype:
        raise RuntimeError(
            f"torch.histogramdd: if weight tensor is provided, input tensor and "
            f"weight tensor should have the same dtype, but got input"
            f"({_C_NAMES[x._data.dtype.name]}), and weight"
            f"({_C_NAMES.get(w._data.dtype.name, w._data.dtype.name)})"
        )
    if w.shape != x.shape[: -1 if opname == "histogramdd" else None]:
        raise RuntimeError(
            f"torch.{opname}: if weight tensor is provided it should have the "
            f"same shape as the input tensor excluding its innermost dimension, "
            f"but got input with shape {list(x.shape)} and weight with shape "
            f"{list(w.shape)}"
        )
    return w._data.reshape(-1)


def _density(hist: np.ndarray, edges: list) -> np.ndarray:
    """Counts -> density, as torch divides: by the total, then by each dimension's bin widths.
    No data (or weights summing to 0) gives 0/0 = nan in every bin, as torch (NumPy would warn)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        hist = hist / hist.sum()
        for dim, e in enumerate(edges):
            shape = [1] * hist.ndim
            shape[dim] = -1
            hist = hist / np.diff(e).astype(hist.dtype).reshape(shape)
    return hist


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half"}


def histogram(input, bins, *, range=None, weight=None, density: bool = False):
    """A histogram of the values: ``bins`` equal bins over ``range`` (default: the data's
    minimum to maximum), or the bin edges given as a tensor. Returns ``(hist, bin_edges)``,
    both in the input's dtype; ``weight`` weighs each value, ``density`` normalises the
    histogram to integrate to 1.

    Example:
        >>> autograd.histogram(autograd.tensor([1.0, 2.0, 1.0]), bins=2).hist
        tensor([2., 1.])
    """
    x = _tensor(input, "histogram")
    if x._data.dtype.kind not in FLOAT_KINDS:
        _reject("histogram", "histogram_cpu", x, "floating point tensors only")
    arr = x._data.reshape(-1)
    edges = _bin_edges("histogram", arr, bins, range)
    w = None if weight is None else _weight(weight, x, "histogram")
    hist = np.histogram(arr, edges, weights=w)[0]
    if density:
        hist = _density(hist, [edges])
    return return_types.histogram(Tensor._make(hist.astype(arr.dtype)), Tensor._make(edges.copy()))


def _ref_histogram(x, bins, range=None, weight=None, density=False):
    hist, edges = np.histogram(x, bins, range=range, weights=weight, density=density)
    return hist.astype(x.dtype), edges.astype(x.dtype)


register(
    OpInfo(
        "histogram",
        histogram,
        ref=_ref_histogram,
        differentiable=False,
        family="histogram",
        torch_fn=torch_array_kwargs("histogram"),
        samples=lambda rng: [
            Sample(rng.normal(size=(20,)), 5),
            Sample(rng.normal(size=(4, 5)), 3, range=(-1.0, 1.0), weight=rng.uniform(size=(4, 5))),
            Sample(rng.normal(size=(30,)), np.array([-2.0, -0.5, 0.0, 2.0])),
            Sample(rng.normal(size=(30,)), 4, density=True),
            Sample(np.array([1.0, 1.0]), 2),
        ],
    )
)


def histogramdd(input, bins, *, range=None, weight=None, density: bool = False):
    """A histogram of points in D dimensions (``input``: ``(..., D)``): ``bins`` per dimension
    (an int, a list of ints, or a list of edge tensors); ``range`` as ``[lo0, hi0, lo1,
    hi1, ...]``. Returns ``(hist, bin_edges)`` with one edge tensor per dimension.

    Example:
        >>> autograd.histogramdd(autograd.tensor([[0.0, 0.0], [1.0, 1.0]]), bins=2).hist
        tensor([[1., 0.],
                [0., 1.]])
    """
    x = _tensor(input, "histogramdd")
    if x._data.dtype.kind not in FLOAT_KINDS:
        _reject("histogramdd", "histogramdd", x, "floating point tensors only")
    if x.ndim < 1:
        raise ShapeError(
            "torch.histogramdd: input tensor should have at least 1 dimension, but got 0"
        )
    points = x._data.reshape(-1, x.shape[-1])
    n_dims = points.shape[1]
    per_dim = list(bins) if isinstance(bins, (list, tuple)) else [bins] * n_dims
    if len(per_dim) != n_dims:
        raise RuntimeError(
            f"torch.histogramdd: expected {n_dims} sequences of bin edges for "
            f"each of the {n_dims} input dimensions, but got {len(per_dim)} bin "
            "edge tensors"
        )
    ranges = (
        [None] * n_dims
        if range is None
        else [(range[2 * i], range[2 * i + 1]) for i in builtins.range(n_dims)]
    )
    edges = [
        _bin_edges("histogramdd", points[:, i], per_dim[i], ranges[i], i)
        for i in builtins.range(n_dims)
    ]
    w = None if weight is None else _weight(weight, x, "histogramdd")
    hist = np.histogramdd(points, edges, weights=w)[0]
    if density:
        hist = _density(hist, edges)
    return return_types.histogramdd(
        Tensor._make(hist.astype(points.dtype)), tuple(Tensor._make(e.copy()) for e in edges)
    )


def _ref_histogramdd(x, bins, range=None, weight=None, density=False):
    pts = x.reshape(-1, x.shape[-1])
    rng_pairs = (
        None
        if range is None
        else [(range[2 * i], range[2 * i + 1]) for i in builtins.range(pts.shape[1])]
    )
    hist, edges = np.histogramdd(pts, bins, range=rng_pairs, weights=weight, density=density)
    return hist.astype(x.dtype)  # (the edges, a tuple inside the result, are compared
    # with torch's in tests/test_torch_parity.py)


register(
    OpInfo(
        "histogramdd",
        histogramdd,
        ref=_ref_histogramdd,
        differentiable=False,
        method=False,
        family="histogram",
        samples=lambda rng: [
            Sample(rng.normal(size=(20, 2)), 3),
            Sample(rng.normal(size=(4, 5, 3)), [2, 3, 4], range=[-1.0, 1.0, -2.0, 2.0, 0.0, 1.0]),
            Sample(rng.normal(size=(10, 1)), 4, density=True),
        ],
    )
)
