"""Statistics: order statistics (kthvalue, mode, nanmedian, quantile, nanquantile), covariance
and correlation (cov, corrcoef). Counting (bincount, histc, histogram ...) is in histogram.py.

Order statistics find *which* element is selected on the arrays, then pick it out of the
input with the differentiable select-along-dim of _reduction.py (as sort and median do), so
the gradient goes back to the element chosen. quantile interpolates between two sorted
values with constant weights. cov and corrcoef are compositions of differentiable ops.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import return_types
from ..dtypes import FLOAT_KINDS
from ..tensor import Tensor
from ._reduction import _as1d, _indices_out, _int_dim, _keepdim_shape, _select
from ._util import wrap_dim
from .arithmetic import to_dtype
from .ternary import lerp
from .compare import clamp
from .extrema import _Extreme, _median_of_all
from .linalg import matmul
from .slicing import diagonal
from .movement import movedim, reshape, squeeze, unsqueeze
from .reduce import sum as _sum
from .registry import OpInfo, Sample, register, torch_array_kwargs
from .samples import normal, shaped_samples
from .sorting import sort
from .unary import sqrt

__all__ = ["kthvalue", "mode", "nanmedian", "quantile", "nanquantile", "cov", "corrcoef"]


def _tensor(x, opname: str, arg: str = "input", like=None) -> Tensor:
    if isinstance(x, np.ndarray) and arg != "input":  # (an array for a keyword tensor)
        return Tensor._make(
            x if like is None or x.dtype.kind not in FLOAT_KINDS else x.astype(like._data.dtype)
        )
    if not isinstance(x, Tensor):
        raise TypeError(f"{opname}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    return x


# ---- kthvalue / mode / nanmedian -------------------------------------------------------------
def _along(input: Tensor, dim, opname: str):
    """(array viewed as at least 1-D, the dim in it) for a one-dim reduction."""
    d = _int_dim(dim, input.ndim, opname)
    return _as1d(input._data), (d if input.ndim else 0)


def _values_indices(result_type, input, index, dim, keepdim, name):
    values = _select(input, index, dim, keepdim, name)
    return result_type(values, _indices_out(index, input.ndim, dim, keepdim))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element along ``dim`` (``k`` from 1) and its index, as a
    ``(values, indices)`` named tuple; nan counts as the largest value.

    Example:
        >>> autograd.tensor([3.0, 1.0, 2.0]).kthvalue(2)
        autograd.return_types.kthvalue(
        values=tensor(2.),
        indices=tensor(2))
    """
    x, d = _along(_tensor(input, "kthvalue"), dim, "kthvalue")
    if not 1 <= int(k) <= x.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    order = np.argsort(x, axis=d, kind="stable")
    index = np.take(order, [int(k) - 1], axis=d).astype(np.int64)
    return _values_indices(return_types.kthvalue, input, index, d, keepdim, "Kthvalue")


def _np_kthvalue(x, k, dim=-1, keepdim=False):
    if x.ndim == 0:
        return x, np.asarray(0)
    idx = np.take(np.argsort(x, axis=dim, kind="stable"), [k - 1], axis=dim)
    vals = np.take_along_axis(x, idx, axis=dim)
    return (vals, idx) if keepdim else (np.squeeze(vals, dim), np.squeeze(idx, dim))


# rows: the input shape, k, dim, keepdim
_KTHVALUE_SAMPLES = shaped_samples(
    normal,
    ((3, 4), 2),
    ((3, 4), 3, 0, True),
    ((2, 3, 5), 5, 2),
    ((), 1),
    ((0, 3), 1),
)
register(OpInfo("kthvalue", kthvalue, ref=_np_kthvalue, family="stats", samples=_KTHVALUE_SAMPLES))


def _mode_index(x: np.ndarray) -> np.ndarray:
    """For each row of a 2-D array, the index of the last occurrence of its most frequent
    value (ties between values: the smallest value), as torch's mode."""
    out = np.zeros((x.shape[0], 1), np.int64)
    for r, row in enumerate(x):
        values, counts = np.unique(row, return_counts=True)  # sorted, nan last
        best = values[np.argmax(counts)]  # first (smallest) of the most
        hits = np.flatnonzero(row == best) if best == best else np.flatnonzero(row != row)
        out[r, 0] = hits[-1]
    return out


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest one when several are equally
    frequent) and the index of its last occurrence: a ``(values, indices)`` named tuple.

    Example:
        >>> autograd.tensor([1, 2, 2, 3, 3]).mode()
        autograd.return_types.mode(
        values=tensor(2),
        indices=tensor(2))
    """
    x, d = _along(_tensor(input, "mode"), dim, "mode")
    if x.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    rows = np.moveaxis(x, d, -1)
    index = _mode_index(rows.reshape(-1, rows.shape[-1])).reshape(rows.shape[:-1] + (1,))
    index = np.moveaxis(index, -1, d)
    return _values_indices(return_types.mode, input, index, d, keepdim, "Mode")


def _np_mode(x, dim=-1, keepdim=False):
    if x.ndim == 0:
        return x, np.asarray(0)
    rows = np.moveaxis(x, dim, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    vals = np.empty(flat.shape[0], x.dtype)
    idx = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        counts = {v: (row == v).sum() for v in row}
        best = min(counts, key=lambda v: (-counts[v], v))
        vals[r], idx[r] = best, np.flatnonzero(row == best)[-1]
    shape = rows.shape[:-1]
    vals, idx = vals.reshape(shape), idx.reshape(shape)
    if keepdim:
        vals, idx = np.expand_dims(vals, dim % x.ndim), np.expand_dims(idx, dim % x.ndim)
    return vals, idx


def _mode_samples(rng):
    ints = rng.integers(0, 3, (4, 6)).astype(float)
    return [
        Sample(ints, no_grad_args=(0,)),
        Sample(ints, 0, True, no_grad_args=(0,)),
        Sample(rng.normal(size=(3, 4))),
        Sample(rng.normal(size=())),
        Sample(np.array([2.0, 1.0, 1.0, 2.0]), no_grad_args=(0,)),
    ]


register(OpInfo("mode", mode, ref=_np_mode, samples=_mode_samples, family="stats"))


class NanMedian(_Extreme):
    """nanmedian() of all elements: the lower median of the non-nan values; ties share the
    gradient evenly (as median)."""

    grad_fn_name = "NanmedianBackward0"  # (torch's spelling)


def _nan_median_index(x: np.ndarray, axis: int) -> np.ndarray:
    """Index (keepdim shape) of the lower median of the non-nan values along ``axis``."""
    order = np.argsort(x, axis=axis, kind="stable")  # nan last
    valid = (
        (~np.isnan(x)).sum(axis=axis, keepdims=True)
        if x.dtype.kind in FLOAT_KINDS
        else np.full(_keepdim_shape(x.shape, (axis,)), x.shape[axis])
    )
    # (a row of nan only: stable sorting leaves it in order, so the position is the index)
    pos = np.where(valid == 0, _all_nan_index(x.shape[axis]), (valid - 1) // 2)
    return np.take_along_axis(order, pos, axis=axis).astype(np.int64)


def _all_nan_index(n: int) -> int:
    """The index torch's CPU nanmedian reports for a slice of ``n`` nans.

    Any index is a correct answer there (torch documents the index of a non-unique median
    as unspecified), but we give torch's: its kernel selects position 0 with C++'s
    ``nth_element``, and as no comparison of two nans is true, the answer is whichever index
    that algorithm's swaps leave in front. These are the swaps of GCC's introselect (the
    C++ library of torch's Linux builds): move the middle element to the front (all three
    "median of three" candidates compare equal), swap pairs from both ends inwards until
    they meet, keep the left part (it holds position 0); at 3 elements or fewer, an
    insertion sort that moves nothing.
    """
    idx = list(range(n))
    end = n
    while end > 3:
        mid = end // 2
        idx[0], idx[mid] = idx[mid], idx[0]
        lo, hi = 1, end
        while True:
            hi -= 1
            if lo >= hi:
                break
            idx[lo], idx[hi] = idx[hi], idx[lo]
            lo += 1
        end = lo
    return idx[0]


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """``median`` ignoring nan: the lower median of the other values (nan only when all are
    nan). With ``dim``, a ``(values, indices)`` named tuple.

    Example:
        >>> autograd.tensor([1.0, float("nan"), 3.0, 2.0]).nanmedian()
        tensor(2.)
    """
    input = _tensor(input, "nanmedian")
    if dim is None:
        return _median_of_all(NanMedian, input, _nan_median_index)
    xa, d = _along(input, dim, "nanmedian")
    if xa.shape[d] == 0:
        raise IndexError(f"nanmedian(): Expected reduction dim {d} to have non-zero size.")
    index = _nan_median_index(xa, d)
    return _values_indices(return_types.nanmedian, input, index, d, keepdim, "NanmedianBackward1")


def _np_nanmedian(x, dim=None, keepdim=False):
    if dim is None:
        v = np.sort(x[~np.isnan(x)])
        return v[(v.size - 1) // 2] if v.size else np.asarray(np.nan, x.dtype)
    if x.ndim == 0:
        return x, np.asarray(0)
    idx = _nan_median_index(x, dim % x.ndim)
    vals = np.take_along_axis(x, idx, axis=dim)
    return (vals, idx) if keepdim else (np.squeeze(vals, dim), np.squeeze(idx, dim))


def _nanmedian_samples(rng):
    with_nan = rng.normal(size=(3, 5))
    with_nan[rng.random((3, 5)) < 0.3] = np.nan
    with_nan[2] = np.nan
    # (no finite differences through nan results: those samples check values only)
    return [
        Sample(rng.normal(size=(3, 4))),
        Sample(with_nan),
        Sample(with_nan, 1, no_grad_args=(0,)),
        Sample(with_nan, 0, True),
        Sample(rng.normal(size=())),
        Sample(rng.normal(size=()), 0),
    ]


register(
    OpInfo("nanmedian", nanmedian, ref=_np_nanmedian, samples=_nanmedian_samples, family="stats")
)


# ---- quantile / nanquantile ------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_q(q, x: Tensor, opname: str) -> tuple:
    """(q as a 1-D float array, whether q was a scalar), with torch's checks."""
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{opname}() q must be a scalar or 1D tensor")
        if q._data.dtype != x._data.dtype:
            raise RuntimeError(f"{opname}() q tensor must be same dtype as the input tensor")
        scalar, qs = q.ndim == 0, q._data.reshape(-1).astype(np.float64)
    else:
        scalar, qs = np.ndim(q) == 0, np.asarray(q, np.float64).reshape(-1)
    for v in qs:
        if not 0 <= v <= 1:
            raise RuntimeError(f"{opname}() q must be in the range [0, 1] but got {v:g}")
    return qs, scalar


def _quantile(opname, input, q, dim, keepdim, interpolation, ignore_nan):
    x = _tensor(input, opname)
    # torch's rule, float16 and bfloat16 included (a dtype check of its own, not a missing kernel)
    if x._data.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{opname}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{opname}() interpolation must be one of linear, lower, higher, "
            f"midpoint or nearest, but got {interpolation}"
        )
    qs, scalar_q = _quantile_q(q, x, opname)
    if x.numel() == 0:
        raise RuntimeError(f"{opname}() input tensor must be non-empty")
    ndim = x.ndim
    if dim is None:
        rows, d = reshape(x, (-1,)), None
    else:
        d = wrap_dim(dim, ndim)
        rows = movedim(x, d, -1) if ndim else reshape(x, (1,))
    values = sort(rows, -1).values  # (..., n), nan last
    arr = rows._data
    n = arr.shape[-1]
    if ignore_nan:
        count = (~np.isnan(arr)).sum(-1, keepdims=True)  # (..., 1)
    else:
        count = np.full(arr.shape[:-1] + (1,), n)
    # one rank per q, in front: (nq, ..., 1)
    rank = qs.reshape((-1,) + (1,) * arr.ndim) * np.maximum(count - 1, 0)
    if not ignore_nan:
        # a row holding nan: its quantiles are its last sorted value, a nan (torch's rule,
        # which also sends their gradient to that element); nanquantile's row of nan only
        # has rank 0, a nan as well
        rank = np.where(np.isnan(arr).any(-1, keepdims=True), n - 1, rank)
    lo = np.floor(rank).astype(np.int64)
    hi = np.ceil(rank).astype(np.int64)
    if interpolation == "nearest":
        lo = hi = np.round(rank).astype(np.int64)  # halves to even, like torch
    elif interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    batch = np.broadcast_shapes(lo.shape[:-1] + (n,), (len(qs),) + arr.shape)
    full = values.unsqueeze(0).expand(batch)
    v_lo = _select(
        full, np.broadcast_to(lo, batch[:-1] + (1,)).copy(), -1 % full.ndim, False, "Quantile"
    )
    if interpolation in ("lower", "higher", "nearest"):
        out = v_lo
    else:  # (lerp's two-sided formula, as torch: -inf and a finite value give -inf)
        v_hi = _select(
            full, np.broadcast_to(hi, batch[:-1] + (1,)).copy(), full.ndim - 1, False, "Quantile"
        )
        weight = (
            0.5
            if interpolation == "midpoint"
            else Tensor._make((rank - lo)[..., 0].astype(arr.dtype))
        )
        out = lerp(v_lo, v_hi, weight)
    if keepdim:
        if d is None:
            out = reshape(out, (len(qs),) + (1,) * ndim)
        elif ndim:
            out = unsqueeze(out, d + 1)
    if scalar_q:
        out = squeeze(out, 0)
    return out


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """The ``q``-quantiles of ``input`` (of all elements, or along ``dim``); ``q`` a number
    or a 1-D tensor (then the quantiles are stacked in a new first dimension). Between two
    data points the value is interpolated as ``interpolation`` says (``linear``, ``lower``,
    ``higher``, ``midpoint``, ``nearest``). A slice holding nan gives nan.

    Example:
        >>> autograd.quantile(autograd.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
        tensor(2.5000)
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """``quantile`` ignoring nan (nan only where a slice is all nan).

    Example:
        >>> autograd.nanquantile(autograd.tensor([1.0, float("nan"), 3.0]), 0.5)
        tensor(2.)
    """
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def _ref_quantile(nan_aware):
    def ref(x, q, dim=None, keepdim=False, interpolation="linear"):
        fn = np.nanquantile if nan_aware else np.quantile
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-nan slices
            return np.asarray(
                fn(x, np.asarray(q), axis=dim, keepdims=keepdim, method=interpolation)
            ).astype(x.dtype)

    return ref


def _quantile_samples(nan_aware):
    def gen(rng):
        x = rng.normal(size=(3, 5))
        out = [
            Sample(x, 0.3),
            Sample(x, np.array([0.1, 0.5, 1.0]), 1, no_grad_args=(1,)),
            Sample(x, 0.75, 0, True),
            Sample(rng.normal(size=(2, 3, 4)), 0.4, -1, True, interpolation="midpoint"),
            Sample(x, np.array([0.2, 0.9]), None, True, interpolation="lower", no_grad_args=(1,)),
            Sample(x, 0.6, 1, interpolation="higher"),
            Sample(x, np.array([0.25, 0.5]), 1, interpolation="nearest", no_grad_args=(1,)),
            Sample(rng.normal(size=()), 0.5),
        ]
        with_nan = x.copy()
        with_nan[0, 1] = np.nan
        if nan_aware:
            with_nan[2] = np.nan
        out.append(Sample(with_nan, 0.4, 1, no_grad_args=(0,)))  # a nan result: values only
        return out

    return gen


for _name, _fn, _nan_aware in [("quantile", quantile, False), ("nanquantile", nanquantile, True)]:
    register(
        OpInfo(
            _name,
            _fn,
            ref=_ref_quantile(_nan_aware),
            family="stats",
            samples=_quantile_samples(_nan_aware),
        )
    )


# ---- cov / corrcoef --------------------------------------------------------------------------
def _check_weights(w, name: str, kinds: str, kind_name: str, n_obs: int) -> Tensor:
    w = _tensor(w, "cov", name)
    if w._data.dtype.kind not in kinds:
        raise RuntimeError(
            f"cov(): expected {name} to have {kind_name} dtype but got {name} "
            f"with {_dtype_word(w)} dtype"
        )
    if w.ndim > 1:
        raise RuntimeError(
            f"cov(): expected {name} to have one or fewer dimensions but got "
            f"{name} with {w.ndim} dimensions"
        )
    if w.numel() != n_obs:
        raise RuntimeError(
            f"cov(): expected {name} to have the same numel as there are "
            f"observations in the input but got {w.numel()} != {n_obs}"
        )
    if (w._data < 0).any():
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return w


def _dtype_word(t: Tensor) -> str:
    from ._util import _torch_dtype_name

    return _torch_dtype_name(t._data.dtype)


def _variables(input, opname: str) -> Tensor:
    """cov's and corrcoef's input: a tensor of at most two dims (variables in the rows)."""
    x = _tensor(input, opname)
    if x.ndim > 2:
        raise RuntimeError(
            f"{opname}(): expected input to have two or fewer dimensions but got an "
            f"input with {x.ndim} dimensions"
        )
    return x


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in
    the columns; a 1-D input is one variable). ``correction=1`` is Bessel's correction
    (``0``: the maximum-likelihood estimate); ``fweights`` (integer frequencies) and
    ``aweights`` (observation weights) as NumPy's ``cov``.

    Example:
        >>> autograd.cov(autograd.tensor([[1.0, 2.0, 4.0], [3.0, 1.0, 0.0]]))
        tensor([[ 2.3333, -2.1667],
                [-2.1667,  2.3333]])
    """
    x = _variables(input, "cov")
    if isinstance(correction, bool) or not isinstance(correction, (int, np.integer)):
        raise TypeError(
            f"cov(): argument 'correction' must be int, not {type(correction).__name__}"
        )
    if x._data.dtype.kind not in FLOAT_KINDS:
        x = to_dtype(x, _default_float())
    x2 = reshape(x, (1, -1)) if x.ndim < 2 else x
    n_obs = x2.shape[1]
    w = None
    if fweights is not None:
        w = _check_weights(fweights, "fweights", "iu", "integral", n_obs)
        w = to_dtype(w, x.dtype)
    if aweights is not None:
        a = _check_weights(aweights, "aweights", FLOAT_KINDS, "floating point", n_obs)
        w = a if w is None else w * a
    if w is None:
        w_sum = float(n_obs)
        mean = x2.mean(1, keepdim=True)
    else:
        w_sum = _sum(w)
        mean = _sum(x2 * w, 1, keepdim=True) / w_sum
    if w is None or aweights is None:
        norm = w_sum - correction
    else:
        norm = w_sum - correction * _sum(w * a) / w_sum
    if float(norm if not isinstance(norm, Tensor) else norm.item()) <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less "
            "than the number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm = clamp(norm, min=0) if isinstance(norm, Tensor) else 0.0
    centred = x2 - mean
    weighted = centred if w is None else centred * w
    c = matmul(weighted, centred.mT) / norm
    return squeeze(c) if x.ndim < 2 or x2.shape[0] == 1 else c


def _default_float():
    from ..dtypes import get_default_dtype

    return get_default_dtype()


def corrcoef(input: Tensor) -> Tensor:
    """Pearson's correlation coefficients of the variables in the rows of ``input`` (the
    covariance normalised by the standard deviations, clipped to [-1, 1]).

    Example:
        >>> autograd.corrcoef(autograd.tensor([[1.0, 2.0, 4.0], [3.0, 1.0, 0.0]]))
        tensor([[ 1.0000, -0.9286],
                [-0.9286,  1.0000]])
    """
    x = _variables(input, "corrcoef")
    c = cov(x)
    if c.ndim == 0:
        return c / c
    std = sqrt(diagonal(c))
    c = c / unsqueeze(std, 1) / unsqueeze(std, 0)
    return clamp(c, -1, 1)


def _ref_cov(x, correction=1, fweights=None, aweights=None):
    return np.cov(x, ddof=correction, fweights=fweights, aweights=aweights)


register(
    OpInfo(
        "cov",
        cov,
        ref=_ref_cov,
        family="stats",
        torch_fn=torch_array_kwargs("cov"),
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 5))),
            Sample(rng.normal(size=(6,))),
            Sample(rng.normal(size=(2, 4)), correction=0),
            Sample(rng.normal(size=(2, 5)), fweights=rng.integers(1, 4, (5,))),
            Sample(rng.normal(size=(3, 4)), aweights=rng.uniform(0.5, 2, (4,))),
            Sample(
                rng.normal(size=(2, 4)),
                correction=2,
                fweights=rng.integers(1, 4, (4,)),
                aweights=rng.uniform(0.5, 2, (4,)),
            ),
        ],
    )
)
# rows: the input shape (variables x observations)
_CORRCOEF_SAMPLES = shaped_samples(
    normal,
    ((3, 5),),
    ((7,),),
    ((2, 4),),
)
register(OpInfo("corrcoef", corrcoef, ref=np.corrcoef, family="stats", samples=_CORRCOEF_SAMPLES))
