"""softmax and log_softmax along one dim (``torch.softmax`` / ``torch.log_softmax``).

Both subtract the row maximum before exponentiating, so logits of +-1000 give finite values
and gradients; with the numba backend float32/float64 rows run as fused kernels
(autograd/kernels/softmax.py), the NumPy code staying the reference.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import dispatch
from ..function import Op
from ..tensor import Tensor
from . import xp as _xp
from ._util import float_input, wrap_dim
from .registry import OpInfo, Sample, register

__all__ = ["softmax", "log_softmax"]


# ---- softmax / log_softmax ---------------------------------------------------------------------
def _softmax_dim(dim, ndim, opname):
    if dim is None:  # torch's legacy implicit choice, with its deprecation warning
        dim = 0 if ndim in (0, 1, 3) else 1
        warnings.warn(
            f"Implicit dimension choice for {opname} has been deprecated. Change the "
            f"call to include dim=X as an argument.",
            UserWarning,
            stacklevel=4,
        )
    return wrap_dim(dim, ndim)


def _np_softmax(x, dim):
    if x.size == 0:
        return x.copy()
    axis = dim if x.ndim else None
    x32 = x.astype(np.float32) if x.dtype == np.float16 else x
    with np.errstate(invalid="ignore", over="ignore"):  # all -inf rows give nan, like torch
        e = np.exp(x32 - np.max(x32, axis=axis, keepdims=True))
        return (e / np.sum(e, axis=axis, keepdims=True)).astype(x.dtype, copy=False)


def _np_log_softmax(x, dim):
    if x.size == 0:
        return x.copy()
    axis = dim if x.ndim else None
    half = x.dtype == np.float16
    x32 = x.astype(np.float32) if half else x
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        shifted = x32 - np.max(x32, axis=axis, keepdims=True)
        total = np.sum(np.exp(shifted), axis=axis, keepdims=True)
        if half and (x.ndim == 0 or dim == x.ndim - 1):
            lse = np.log(total.astype(np.float16)).astype(np.float16)
        else:
            lse = np.log(total)
        return (shifted - lse).astype(x.dtype, copy=False)


def _half_softmax_vjp(y, g, dim, log):
    """The VJPs on float16 NumPy arrays, in float32 and rounded once, in torch's form."""
    y, g = y.astype(np.float32), np.asarray(g, np.float32)
    dim = dim if y.ndim else None
    if log:
        out = g - np.exp(y) * np.sum(g, axis=dim, keepdims=True)
    else:
        out = y * (g - np.sum(g * y, axis=dim, keepdims=True))
    return out.astype(np.float16)


class Softmax(Op):
    """exp(x - max) / sum(exp(x - max)), VJP ``y * (g - sum(g * y))``; or, for its subclass
    LogSoftmax (``log=True``), x - max - log(sum(exp(x - max))), VJP ``g - exp(y) * sum(g)``.
    Both VJPs use the saved output. With the numba backend float32/float64 rows run the
    kernels of autograd/kernels/softmax.py (forward, and the backward when not recording)."""

    @staticmethod
    def forward(ctx, x, dim, log=False):
        ctx.dim, ctx.log = dim, log
        name = "log_softmax" if log else "softmax"
        K = dispatch.kernels("softmax", x)
        y = (
            getattr(K, name)(x, dim)
            if K is not None
            else (_np_log_softmax if log else _np_softmax)(x, dim)
        )
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g, xp):
        (y,) = ctx.saved_tensors
        dim, log = ctx.dim, ctx.log
        if not xp.graph:  # (a recorded VJP must be made of ops: no kernel, no float32 trick)
            K = dispatch.kernels("softmax", y)
            if K is not None:
                fn = K.log_softmax_backward if log else K.softmax_backward
                return fn(y, np.broadcast_to(g, y.shape), dim)
            if y.dtype == np.float16:
                return _half_softmax_vjp(y, g, dim, log)
        if log:
            return g - xp.exp(y) * xp.sum(g, dim, True)
        gy = g * y
        return gy - y * xp.sum(gy, dim, True)

    @staticmethod
    def jvp(ctx, tangents, xp):
        # softmax's Jacobian diag(y) - y y^T is symmetric: the JVP is its VJP of the tangent;
        # log_softmax's is I - 1 softmax^T: t - sum(softmax * t)
        if not ctx.log:
            return Softmax.backward(ctx, tangents[0], xp)
        (y,) = ctx.saved_tensors
        return tangents[0] - xp.sum(xp.exp(y) * tangents[0], ctx.dim, True)


class LogSoftmax(Softmax):
    """log(softmax(x)): Softmax's forward and VJP with ``log=True``."""


def _softmax_call(op, input, dim, dtype, opname):
    if dtype is not None:  # (like torch: the input is cast first)
        input = input.to(dtype)
    x = float_input(input, opname)
    return op.apply(x, dim=_softmax_dim(dim, x.ndim, opname), log=op is LogSoftmax)


def softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """Softmax along ``dim`` (rows sum to 1), stable for any logits.

    ``dtype`` casts the input first (like torch). Example:
        >>> autograd.softmax(autograd.tensor([0.0, 0.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    return _softmax_call(Softmax, input, dim, dtype, "softmax")


def log_softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """log(softmax(input, dim)) computed without overflow or log(0).

    Example:
        >>> autograd.log_softmax(autograd.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    return _softmax_call(LogSoftmax, input, dim, dtype, "log_softmax")


def _softmax_samples(rng):
    n = rng.normal
    return [
        Sample(n(size=(3, 4)), 1),
        Sample(n(size=(3, 4)), 0),
        Sample(n(size=(2, 3, 4)), -1),
        Sample(n(size=(2, 3, 4)), 1),
        Sample(n(size=()), 0),
        Sample(n(size=(2, 0)), 1),
        Sample(n(size=(5,)), 0),
        # huge logits: naive exp overflows; close values keep the gradient non-trivial
        Sample(np.array([[1000.0, 999.0, -1000.0], [-1000.0, -999.5, -1001.0]]), 1),
    ]


def _ref_softmax(x, dim):
    # independent formulation: through log-sum-exp in float64
    x64 = np.asarray(x, np.float64)
    if x64.ndim == 0 or x64.size == 0:
        return np.ones_like(x)
    m = x64.max(axis=dim, keepdims=True)
    lse = m + np.log(np.exp(x64 - m).sum(axis=dim, keepdims=True))
    return np.exp(x64 - lse).astype(x.dtype)


def _ref_log_softmax(x, dim):
    x64 = np.asarray(x, np.float64)
    if x64.ndim == 0 or x64.size == 0:
        return np.zeros_like(x)
    m = x64.max(axis=dim, keepdims=True)
    return (x64 - m - np.log(np.exp(x64 - m).sum(axis=dim, keepdims=True))).astype(x.dtype)


_xp.define("log_softmax", numpy=_np_log_softmax, tensor=log_softmax)  # for fused losses' VJPs
register(OpInfo("softmax", softmax, ref=_ref_softmax, samples=_softmax_samples, family="softmax"))
register(
    OpInfo(
        "log_softmax", log_softmax, ref=_ref_log_softmax, samples=_softmax_samples, family="softmax"
    )
)
