"""The max/min family: amax / amin, max / min (of everything, or along a dim with indices),
argmax / argmin, aminmax, median.

Ties share the gradient evenly (torch's rule for amax/amin and full max/min, which is also
what central finite differences see); ``max(dim)`` / ``median(dim)`` pick one position and
send the gradient there through ``_select`` (_reduction.py). With the numba backend
float32/float64 rows reduce in the kernels of autograd/kernels/reduce.py.
"""

from __future__ import annotations

import numpy as np

from .. import dispatch
from .. import return_types
from ..dtypes import FLOAT_KINDS
from ..function import Op, derive
from ..forward_ad import reduction_jvp
from ..tensor import Tensor
from ._reduction import (
    _as1d,
    _even_weights,
    _indices_out,
    _int_dim,
    _keepdim_shape,
    _np_axes,
    _out_shape,
    _select,
    keep_reduction,
    unreduced,
)
from ._util import wrap_dims
from .compare import maximum, minimum
from .registry import OpInfo, Sample, register
from .samples import over_dims

__all__ = ["amax", "amin", "max", "min", "argmax", "argmin", "aminmax", "median"]


# ---- amax / amin and full-reduction max() / min() ----------------------------------------
class _Extreme(Op):
    """Max or min over ``dims``; ties share the gradient evenly (like torch's amax/amin).

    NumPy path: the forward computes the weights (1/ties on the extremes, else 0) for the
    backward. Kernel path: the forward only reduces and saves input and output; the
    backward finds the ties and writes the gradient in one kernel (or, when recording a
    graph, builds the same weights from the saved arrays).
    """

    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_fn):
        keep_reduction(ctx, x, dims, keepdim)
        rk = dispatch.kernels("reduce", x, dims) if np_fn is np.max or np_fn is np.min else None
        if rk is not None:
            out_keep = rk.extreme(x, dims, np_fn is np.max)
            out = out_keep if keepdim else out_keep.reshape(_out_shape(x.shape, dims, False))
            ctx.weights = None
            ctx.save_for_backward(x, out)  # (an in-place change of either is then caught)
            return out
        out_keep = np_fn(x, axis=dims, keepdims=True)
        out = np.asarray(
            out_keep if keepdim else out_keep.reshape(_out_shape(x.shape, dims, False))
        )
        if ctx.needs_input_grad:  # (empty when nothing is recorded: skip the work)
            ctx.weights = _even_weights(x, out_keep, dims)
            # saved like the kernel path (and torch), only so that an in-place change of
            # the input or the result is caught the same way on both backends
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g, xp):
        weights = ctx.weights
        x, out = ctx.saved_tensors  # (raises if either was modified in place since)
        if weights is None:  # the kernel path's forward
            if not xp.graph:
                rk = dispatch.kernels("reduce", x, ctx.dims)
                if rk is not None:
                    return rk.extreme_backward(x, out, g, ctx.dims)
            else:
                x, out = x._data, out._data  # the weights are constants: plain arrays
            weights = _even_weights(x, out.reshape(_keepdim_shape(x.shape, ctx.dims)), ctx.dims)
        g_full = unreduced(ctx, g, xp)
        return g_full * xp.asarray(weights)


class Amax(_Extreme):
    pass


class Amin(_Extreme):
    pass


class _MaxAll(_Extreme):
    grad_fn_name = "MaxBackward1"


class _MinAll(_Extreme):
    grad_fn_name = "MinBackward1"


def _check_nonempty_dims(input, dims, opname):
    for d in dims:
        if input.shape[d] == 0:
            raise IndexError(f"{opname}(): Expected reduction dim {d} to have non-zero size.")


def _no_dim_on_empty(input, opname):
    if input._data.size == 0:
        raise RuntimeError(
            f"{opname}(): Expected reduction dim to be specified for "
            "input.numel() == 0. Specify the reduction dim with the 'dim' "
            "argument."
        )


def _extreme_dims(input, dim, opname) -> tuple:
    """amax/amin's dims: all of them for ``()`` / ``[]`` / None (refused on an empty input),
    else the wrapped ``dim`` (refused when one of them is empty)."""
    if dim == () or dim == [] or dim is None:
        _no_dim_on_empty(input, opname)
        return tuple(range(input.ndim))
    dims = wrap_dims(dim, input.ndim)
    _check_nonempty_dims(input, dims, opname)
    return dims


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over ``dim`` (int or tuple; all dims by default). Tied maxima share
    the gradient evenly.

    Example:
        >>> autograd.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(dim=0)
        tensor([7., 5.])
    """
    dims = _extreme_dims(input, dim, "amax")
    return Amax.apply(input, dims=dims, keepdim=keepdim, np_fn=np.max)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim`` (int or tuple; all dims by default).

    Example:
        >>> autograd.tensor([[1.0, 5.0], [7.0, 2.0]]).amin(dim=1)
        tensor([1., 2.])
    """
    dims = _extreme_dims(input, dim, "amin")
    return Amin.apply(input, dims=dims, keepdim=keepdim, np_fn=np.min)


def _np_amax(x, dim=(), keepdim=False):
    return np.max(x, axis=None if dim == () else _np_axes(x, dim), keepdims=keepdim)


def _np_amin(x, dim=(), keepdim=False):
    return np.min(x, axis=None if dim == () else _np_axes(x, dim), keepdims=keepdim)


def _extreme_samples(rng):
    x, samples = over_dims(rng)
    return samples + [
        Sample(x, (0, 2)),
        Sample(rng.normal(size=())),
        Sample(rng.normal(size=(0, 2)), 1),
    ]
    # (ties, where the gradient is split evenly, are tested in tests/test_reduce_extra.py:
    # second derivatives do not exist there, so gradgradcheck cannot take them)


register(OpInfo("amax", amax, ref=_np_amax, samples=_extreme_samples, family="extrema"))
register(OpInfo("amin", amin, ref=_np_amin, samples=_extreme_samples, family="extrema"))


def _max_min(input, dim, keepdim, opname, np_arg, full_cls, name):
    if isinstance(dim, Tensor):  # max(a, b) is the elementwise maximum
        return (maximum if opname == "max" else minimum)(input, dim)
    if dim is None:
        if keepdim:
            raise TypeError(
                f"{opname}() received an invalid combination of arguments: keepdim needs dim"
            )
        _no_dim_on_empty(input, opname)
        return full_cls.apply(
            input,
            dims=tuple(range(input.ndim)),
            keepdim=False,
            np_fn=np.max if opname == "max" else np.min,
        )
    d = _int_dim(dim, input.ndim, opname)
    if input.ndim:
        _check_nonempty_dims(input, (d,), opname)
    dd = d if input.ndim else 0
    rk = dispatch.kernels("reduce", input._data, (dd,)) if input.ndim else None
    # (the index depends on the values: derived, see function.derive)
    if rk is not None:  # value and index in one pass
        found, index = derive(
            _kernel_arg_extreme, input, kernels=rk, dim=dd, largest=opname == "max"
        )
        values = _select(input, index, dd, keepdim, name, values=found)
    else:
        index = derive(_np_arg_extreme, input, np_arg=np_arg, dim=dd)
        values = _select(input, index, dd, keepdim, name)
    return getattr(return_types, opname)(values, _indices_out(index, input.ndim, dd, keepdim))


def _kernel_arg_extreme(x, kernels, dim, largest):
    """(values, keepdim-shaped indices) of the maxima (``largest``) or minima along ``dim``."""
    return kernels.arg_extreme(_as1d(x), dim, largest)


def _np_arg_extreme(x, np_arg, dim):
    return np.expand_dims(np_arg(_as1d(x), axis=dim), dim)


def max(input: Tensor, dim=None, keepdim: bool = False):
    """Largest element; with ``dim``, a ``(values, indices)`` named tuple; with a Tensor as
    second argument, the elementwise ``maximum``.

    Example:
        >>> x = autograd.tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> x.max()
        tensor(7.)
        >>> x.max(dim=1).indices
        tensor([1, 0])
    """
    return _max_min(input, dim, keepdim, "max", np.argmax, _MaxAll, "Max")


def min(input: Tensor, dim=None, keepdim: bool = False):
    """Smallest element; with ``dim``, a ``(values, indices)`` named tuple; with a Tensor as
    second argument, the elementwise ``minimum``.

    Example:
        >>> autograd.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=0).values
        tensor([1., 2.])
    """
    return _max_min(input, dim, keepdim, "min", np.argmin, _MinAll, "Min")


def _np_max_min(np_fn, np_arg):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            return np_fn(x)
        axis = dim % x.ndim if x.ndim else None
        idx = np_arg(x, axis=axis, keepdims=keepdim) if x.ndim else np.asarray(0)
        return np_fn(x, axis=axis, keepdims=keepdim), idx

    return ref


def _max_samples(rng):
    x, samples = over_dims(rng)
    return samples + [
        Sample(x, 0, True),
        Sample(rng.normal(size=())),
        Sample(rng.normal(size=()), 0),
        Sample(rng.normal(size=(0, 3)), 1),
    ]


register(
    OpInfo("max", max, ref=_np_max_min(np.max, np.argmax), samples=_max_samples, family="extrema")
)
register(
    OpInfo("min", min, ref=_np_max_min(np.min, np.argmin), samples=_max_samples, family="extrema")
)


# ---- argmax / argmin ----------------------------------------------------------------------
def _arg_extreme(input, dim, keepdim, opname, np_arg):
    x = input._data
    if dim is None:
        if x.size == 0:
            raise IndexError(
                f"{opname}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        return Tensor._make(derive(_arg_flat, input, np_arg=np_arg, keepdim=keepdim))
    d = _int_dim(dim, x.ndim, opname)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    _check_nonempty_dims(input, (d,), opname)
    return Tensor._make(derive(_arg_along, input, np_arg=np_arg, dim=d, keepdim=keepdim))


def _arg_flat(x, np_arg, keepdim):
    """argmax/argmin of the flattened ``x`` (an index tensor's array; see function.derive)."""
    idx = np.asarray(np_arg(x.reshape(-1)))
    return idx.reshape((1,) * x.ndim if keepdim else ()).astype(np.int64)


def _arg_along(x, np_arg, dim, keepdim):
    return np.asarray(np_arg(x, axis=dim, keepdims=keepdim)).astype(np.int64)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor, or along ``dim``), int64.

    Example:
        >>> autograd.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(dim=1)
        tensor([1, 0])
    """
    return _arg_extreme(input, dim, keepdim, "argmax", np.argmax)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (flattened, or along ``dim``), int64.

    Example:
        >>> autograd.tensor([3.0, 1.0, 2.0]).argmin()
        tensor(1)
    """
    return _arg_extreme(input, dim, keepdim, "argmin", np.argmin)


def _np_arg(np_arg):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            r = np.asarray(np_arg(x.reshape(-1)))
            return r.reshape((1,) * x.ndim) if keepdim else r
        if x.ndim == 0:
            return np.asarray(0)
        return np_arg(x, axis=dim, keepdims=keepdim)

    return ref


def _arg_samples(rng):
    x, samples = over_dims(rng)
    return samples + [
        Sample(x, keepdim=True),
        Sample(rng.normal(size=()), 0),
        Sample(rng.normal(size=(0, 3)), 1),
    ]


for _name, _fn, _np_fn in [("argmax", argmax, np.argmax), ("argmin", argmin, np.argmin)]:
    register(
        OpInfo(
            _name,
            _fn,
            ref=_np_arg(_np_fn),
            samples=_arg_samples,
            differentiable=False,
            family="extrema",
        )
    )


# ---- aminmax ------------------------------------------------------------------------------
def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """``(min, max)`` named tuple over ``dim`` (all elements by default).

    Example:
        >>> r = autograd.aminmax(autograd.tensor([3.0, 1.0, 2.0]))
        >>> r.min, r.max
        (tensor(1.), tensor(3.))
    """
    if dim is None:
        if keepdim and input.ndim:
            dims = tuple(range(input.ndim))
            _no_dim_on_empty(input, "aminmax")
            return return_types.aminmax(
                Amin.apply(input, dims=dims, keepdim=True, np_fn=np.min),
                Amax.apply(input, dims=dims, keepdim=True, np_fn=np.max),
            )
        return return_types.aminmax(amin(input), amax(input))
    d = _int_dim(dim, input.ndim, "aminmax")
    return return_types.aminmax(amin(input, d, keepdim), amax(input, d, keepdim))


def _np_aminmax(x, dim=None, keepdim=False):
    axis = None if dim is None or x.ndim == 0 else dim % x.ndim
    return np.min(x, axis=axis, keepdims=keepdim), np.max(x, axis=axis, keepdims=keepdim)


def _aminmax_samples(rng):
    return [
        Sample(rng.normal(size=(3, 4))),
        Sample(rng.normal(size=(3, 4)), dim=1),
        Sample(rng.normal(size=(3, 4)), dim=-2, keepdim=True),
        Sample(rng.normal(size=(3, 4)), keepdim=True),
        Sample(rng.normal(size=())),
    ]


register(OpInfo("aminmax", aminmax, ref=_np_aminmax, samples=_aminmax_samples, family="extrema"))


# ---- median -------------------------------------------------------------------------------
class Median(_Extreme):
    """median() of all elements: the lower of the two middle values; ties share the gradient
    evenly (as in torch)."""


def _lower_median_index(x: np.ndarray, axis: int) -> np.ndarray:
    """Index (keepdim shape) of the lower median along ``axis``; rows with nan point at their
    first nan, whose value torch returns."""
    n = x.shape[axis]
    order = np.argsort(x, axis=axis, kind="stable")  # nan sorts last
    index = np.take(order, [(n - 1) // 2], axis=axis)
    if x.dtype.kind in FLOAT_KINDS:
        nan = np.isnan(x)
        has_nan = nan.any(axis=axis, keepdims=True)
        index = np.where(has_nan, np.argmax(nan, axis=axis, keepdims=True), index)
    return index.astype(np.int64)


def _median_index(x: np.ndarray, dim: int) -> np.ndarray:
    return _lower_median_index(_as1d(x), dim)


def _median_of_all(op: type, input: Tensor, median_index) -> Tensor:
    """The median of all elements (0-d; nan when there are none) as the reduction ``op``
    (Median, NanMedian), the element ``median_index(flat, 0)`` picks."""
    x = input._data
    flat = x.reshape(-1)
    if flat.size == 0 and x.dtype.kind not in FLOAT_KINDS:
        return Tensor._make(np.full((), np.nan, x.dtype))
    # (no elements: nan, still recorded as the reduction, as in torch: its gradient is empty)
    value = flat[median_index(flat, 0)[0]] if flat.size else np.nan
    dims = tuple(range(x.ndim))
    # the "reduction" just returns the value found above; _Extreme's backward then spreads
    # the gradient over every element equal to it
    return op.apply(
        input,
        dims=dims,
        keepdim=False,
        np_fn=lambda a, axis, keepdims: np.full(_keepdim_shape(a.shape, dims), value, a.dtype),
    )


def median(input: Tensor, dim=None, keepdim: bool = False):
    """Lower median of all elements; with ``dim``, a ``(values, indices)`` named tuple.
    nan propagates, like torch.

    Example:
        >>> autograd.tensor([3.0, 1.0, 2.0, 4.0]).median()
        tensor(2.)
    """
    x = input._data
    if dim is None:
        return _median_of_all(Median, input, _lower_median_index)
    d = _int_dim(dim, input.ndim, "median")
    if x.ndim:
        _check_nonempty_dims(input, (d,), "median")
    xa = _as1d(x)
    dd = d if x.ndim else 0
    if xa.size == 0:
        index = np.zeros(_keepdim_shape(xa.shape, (dd,)), np.int64)
    else:
        index = derive(_median_index, input, dim=dd)
    values = _select(input, index, dd, keepdim, "MedianBackward1")
    return return_types.median(values, _indices_out(index, x.ndim, dd, keepdim))


def _np_median(x, dim=None, keepdim=False):
    if dim is None:
        s = np.sort(x.reshape(-1))
        return s[(s.size - 1) // 2] if s.size else np.nan
    if x.ndim == 0:
        return x, np.asarray(0)
    axis = dim % x.ndim
    n = x.shape[axis]
    idx = np.take(np.argsort(x, axis=axis, kind="stable"), [(n - 1) // 2], axis=axis)
    vals = np.take_along_axis(x, idx, axis=axis)
    if not keepdim:
        idx, vals = np.squeeze(idx, axis), np.squeeze(vals, axis)
    return vals, idx


def _median_samples(rng):
    return [
        Sample(rng.normal(size=(3, 4))),
        Sample(rng.normal(size=(5,))),
        Sample(rng.normal(size=(3, 5)), 1),
        Sample(rng.normal(size=(3, 4, 2)), -2, True),
        Sample(rng.normal(size=())),
        Sample(rng.normal(size=()), 0),
        Sample(rng.normal(size=(0, 3)), 1),
    ]


register(OpInfo("median", median, ref=_np_median, samples=_median_samples, family="extrema"))
