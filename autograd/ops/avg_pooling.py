"""Average pooling over sliding windows (``torch.nn.functional`` names and signatures):
avg_pool1d / 2d / 3d, and lp_pool1d / 2d / 3d (power-average, composed from avg_pool and
powers as torch defines it).

The window sums (avg pools) and their spread form a closed family: each is the other's VJP,
so gradients of any order work. The window geometry (``_pool_geometry``) is shared with the
max pools in pooling.py; adaptive pools are in adaptive_pooling.py.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..function import Op
from ..forward_ad import linear_jvp
from ._util import named_function
from ._windows import _col2im, _im2col, _ntuple, define_window_xp
from .registry import Sample, register_functions
from .samples import distinct, normal, shaped_samples
from .pooling import (
    _as_2d,
    _pool_geometry,
    _pool_input,
    _pool_out,
    _ref_max_pool,
    _register_1d_2d_3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)

__all__ = ["avg_pool1d", "avg_pool2d", "avg_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d"]


# ---- window sums (average pooling) --------------------------------------------------------------
def _np_window_sum(x, kernel, stride, pads, scale):
    """scale * (sum of each window), windows of the zero-padded image."""
    win = _im2col(x, kernel, stride, pads, (1,) * len(kernel))
    return (win.sum(axis=tuple(range(2, 2 + len(kernel)))) * scale).astype(x.dtype, copy=False)


def _np_window_spread(g, in_hw, kernel, stride, pads, scale):
    """Adjoint of the window sum: every window element receives scale * g."""
    nd = len(kernel)
    cols = np.broadcast_to(
        (g * scale)[(slice(None),) * 2 + (None,) * nd], g.shape[:2] + tuple(kernel) + g.shape[2:]
    )
    return _col2im(cols, in_hw, stride, pads, (1,) * nd).astype(g.dtype, copy=False)


class AvgPool2D(Op):
    """Window sums times a constant per-position factor (1 / divisor); VJP: window spread."""

    jvp = staticmethod(linear_jvp)

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, scale):
        ctx.args = (tuple(x.shape[2:]), kernel, stride, pads, scale)
        return _np_window_sum(x, kernel, stride, pads, scale)

    @staticmethod
    def backward(ctx, g, xp):
        return xp.window_spread(g, *ctx.args)


class AvgPool2DBackward(Op):
    """The adjoint of ``AvgPool2D`` (used by its create_graph backward); VJP: window sum."""

    jvp = staticmethod(linear_jvp)

    grad_fn_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, in_hw, kernel, stride, pads, scale):
        ctx.args = (kernel, stride, pads, scale)
        return _np_window_spread(g, in_hw, kernel, stride, pads, scale)

    @staticmethod
    def backward(ctx, h, xp):
        return xp.window_sum(h, *ctx.args)


class AvgPool3D(AvgPool2D):
    pass


define_window_xp("window_sum", _np_window_sum, AvgPool2D, ("kernel", "stride", "pads", "scale"))
define_window_xp(
    "window_spread",
    _np_window_spread,
    AvgPool2DBackward,
    ("in_hw", "kernel", "stride", "pads", "scale"),
)


def _avg_divisor(in_hw, kernel, stride, padding, out_hw, count_include_pad, divisor_override):
    """torch's divisor per output position: the window clipped to the padded input (with
    count_include_pad) or to the input itself; or ``divisor_override``."""
    if divisor_override is not None:
        return np.full(out_hw, float(divisor_override))
    sizes = []
    for n, k, s, p, o in zip(in_hw, kernel, stride, padding, out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(np.minimum(end, n) - np.maximum(start, 0))
    return functools.reduce(np.multiply.outer, sizes).astype(np.float64)


def _avg_pool(
    input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd
):
    from .movement import squeeze, unsqueeze

    opname = f"avg_pool{nd}d"
    _pool_input(input, opname, nd)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError("divisor must be not zero")
    unbatched = input.ndim == nd + 1
    x = unsqueeze(input, 0) if unbatched else input
    k, s, pads, _, out = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode, opname, nd)
    div = _avg_divisor(
        x.shape[2:], k, s, tuple(p for p, _ in pads), out, count_include_pad, divisor_override
    )
    scale = (1.0 / div).astype(x._data.dtype)
    y = (AvgPool3D if nd == 3 else AvgPool2D).apply(x, kernel=k, stride=s, pads=pads, scale=scale)
    return squeeze(y, 0) if unbatched else y


def _avg_pool_nd(nd: int, doc: str):
    """The public ``avg_pool2d`` / ``avg_pool3d``: torch's signature, the same for both."""

    def avg_pool(
        input,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        return _avg_pool(
            input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd
        )

    return named_function(avg_pool, f"avg_pool{nd}d", doc)


avg_pool2d = _avg_pool_nd(
    2,
    """2-D average pooling over (N, C, H, W) or (C, H, W); ``stride`` defaults to
    ``kernel_size``.

    Example:
        >>> autograd.avg_pool2d(autograd.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """,
)
avg_pool3d = _avg_pool_nd(
    3,
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W); ``stride`` defaults to
    ``kernel_size``.

    Example:
        >>> autograd.avg_pool3d(autograd.ones(1, 2, 4, 4, 4), 2).shape
        autograd.Size([1, 2, 2, 2, 2])
    """,
)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L).

    Example:
        >>> autograd.avg_pool1d(autograd.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
        tensor([[[2., 1.]]])
    """
    from .movement import squeeze

    x, k, s, p, _ = _as_2d(input, "avg_pool1d", kernel_size, stride, padding, 1)
    y = avg_pool2d(x, k, s, p, ceil_mode, count_include_pad)
    return squeeze(y, -2)


def _ref_avg_pool(nd):
    """Loop reference of torch's semantics (window clipping and divisors), any number of
    spatial dims."""

    def ref(
        x,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        batched = x if x.ndim == nd + 2 else x[None]
        k = _ntuple(kernel_size, nd, "", "")
        s = k if stride is None else _ntuple(stride, nd, "", "")
        p = _ntuple(padding, nd, "", "")
        size = batched.shape[2:]
        out = tuple(_pool_out(n, k_, s_, p_, 1, ceil_mode) for n, k_, s_, p_ in zip(size, k, s, p))
        res = np.zeros(batched.shape[:2] + out, x.dtype)
        for pos in np.ndindex(*out):
            lo = [o * s_ - p_ for o, s_, p_ in zip(pos, s, p)]
            hi = [min(a + k_, n + p_) for a, k_, n, p_ in zip(lo, k, size, p)]
            clo = [max(a, 0) for a in lo]
            chi = [min(b, n) for b, n in zip(hi, size)]
            total = batched[(Ellipsis,) + tuple(slice(a, b) for a, b in zip(clo, chi))].sum(
                axis=tuple(range(2, 2 + nd))
            )
            div = divisor_override or int(
                np.prod(np.subtract(hi, lo) if count_include_pad else np.subtract(chi, clo))
            )
            res[(Ellipsis,) + pos] = total / div
        return res if x.ndim == nd + 2 else res[0]

    return ref


_avg_pool2d_samples = shaped_samples(
    normal,
    ((2, 2, 4, 4), 2),
    ((1, 2, 5, 6), 3, 2, 1),
    (
        (1, 1, 5, 5),
        (2, 3),
        (2, 1),
        (1, 0),
        dict(ceil_mode=True, count_include_pad=False),
    ),
    ((1, 2, 5, 5), 3, 2, 1, dict(ceil_mode=True)),
    ((2, 4, 5), 2, 1, dict(divisor_override=3)),
)
_avg_pool1d_samples = shaped_samples(
    normal,
    ((2, 2, 6), 2),
    ((1, 2, 7), 3, 2, 1, dict(ceil_mode=True, count_include_pad=False)),
    ((2, 8), 3, 1, 1),
)
_avg_pool3d_samples = shaped_samples(
    normal,
    ((2, 2, 4, 4, 4), 2),
    (
        (1, 2, 3, 5, 5),
        (2, 3, 3),
        (1, 2, 2),
        (1, 1, 0),
        dict(ceil_mode=True, count_include_pad=False),
    ),
    ((2, 3, 4, 5), 3, 2, 1, dict(ceil_mode=True)),
    ((1, 1, 3, 4, 4), 2, 1, dict(divisor_override=3)),
)
register_functions(
    "avg_pooling",
    [
        ("avg_pool2d", avg_pool2d, _ref_avg_pool(2), _avg_pool2d_samples),
        ("avg_pool1d", avg_pool1d, _ref_avg_pool(1), _avg_pool1d_samples),
        ("avg_pool3d", avg_pool3d, _ref_avg_pool(3), _avg_pool3d_samples),
    ],
)


# ---- power-average pooling (lp_pool): composed as torch defines it ------------------------------
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd):
    """``(sum over the window of x ** p) ** (1 / p)``, computed as torch does: an average
    pool of ``x ** p`` times the window size (an odd p over a negative sum gives nan, like
    torch), with the gradient 0 where the sum is 0 (``sign(s) * relu(|s|)`` is s, but its
    relu masks the infinite derivative of the root there); ``p = inf`` is the max of
    ``|x|``, ``p = -inf`` its min."""
    _pool_input(input, f"lp_pool{nd}d", nd)
    k = _ntuple(kernel_size, nd, "kernel_size", f"lp_pool{nd}d")
    if norm_type in (math.inf, -math.inf):
        max_pool = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}[nd]
        sign = 1 if norm_type > 0 else -1
        return sign * max_pool(sign * input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    pool = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}[nd]
    # contiguous: the pooling's order of summation then does not depend on the input's layout
    out = pool(input.pow(norm_type).contiguous(), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(int(np.prod(k))).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, L) or (C, L): the p-norm of each window.

    Example:
        >>> autograd.lp_pool1d(autograd.tensor([[[3.0, 4.0, 1.0, 0.0]]]), 2, 2)
        tensor([[[5., 1.]]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, H, W) or (C, H, W): the p-norm of each window
    (p = 1: sum pooling; p -> inf: max pooling).

    Example:
        >>> autograd.lp_pool2d(autograd.ones(1, 1, 4, 4), 2, 2)
        tensor([[[[2., 2.],
                  [2., 2.]]]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (N, C, D, H, W) or (C, D, H, W).

    Example:
        >>> autograd.lp_pool3d(autograd.ones(1, 1, 2, 2, 2), 1, 2)
        tensor([[[[[8.]]]]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


def _ref_lp_pool(nd):
    def ref(x, p, kernel_size, stride=None, ceil_mode=False):
        if p == math.inf:
            return _ref_max_pool(nd)(np.abs(x), kernel_size, stride, 0, 1, ceil_mode)
        avg = _ref_avg_pool(nd)(x**p, kernel_size, stride, 0, ceil_mode)
        return (avg * np.prod(_ntuple(kernel_size, nd, "", ""))) ** (1.0 / p)

    return ref


def _lp_samples(nd, shape):
    def gen(rng):
        pos = rng.uniform(0.5, 2.0, shape)  # (odd or fractional powers of positives)
        k = (2,) * (nd - 1) + (3,) if nd > 1 else 3  # (torch's lp_pool1d takes an int)
        return [
            Sample(rng.normal(size=shape), 2, 2),
            Sample(pos, 3, k, 1, ceil_mode=True),
            Sample(pos[0], 1.5, 2, 1),
            Sample(distinct(rng, shape) - 1.0, math.inf, 2),
        ]

    return gen


_register_1d_2d_3d(
    (lp_pool1d, lp_pool2d, lp_pool3d),
    _ref_lp_pool,
    _lp_samples,
    [(2, 3, 7), (2, 2, 5, 4), (1, 2, 3, 4, 5)],
    family="avg_pooling",
)
