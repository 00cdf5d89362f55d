"""Fused activation kernels: one pass over memory for forward, one for backward.

Each function fills ``out`` from flat, contiguous float32/float64 arrays. Float32 data is
computed in float64 (see vmath) and rounded once, so results match the NumPy reference to
float32 rounding. ``error_model="numpy"`` matters: Python's error model puts a
division-by-zero check (a branch) in every ``/``, which stops LLVM from vectorising.

Loops use ``numba.prange``: the serial build treats it as ``range``; the parallel build
(``autograd.kernels.set_num_threads(n)``, see parallel.py) splits it across threads, each
iteration writing only its own output element.

Backward kernels take the forward *input* ``x`` (recomputing cheap sub-expressions is
faster than reading a saved intermediate back from memory) and the incoming gradient ``g``.
"""
from __future__ import annotations

import math

import numba

from .parallel import kernel as _jit
from .vmath import verf, vexp, vlog1p_exp, vsigmoid, vtanh

_SQRT_2_OVER_PI = 0.7978845608028654
_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327


# ---- relu / leaky_relu / elu ---------------------------------------------------------------
@_jit
def relu_fwd(x, out):
    for i in numba.prange(x.size):
        v = x[i]
        out[i] = 0.0 if v < 0 else v  # keeps nan and -0.0, like torch


@_jit
def relu_bwd(x, g, out):
    for i in numba.prange(x.size):
        out[i] = g[i] if x[i] > 0 else 0.0


@_jit
def leaky_relu_fwd(x, slope, out):
    for i in numba.prange(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * slope


@_jit
def leaky_relu_bwd(x, slope, g, out):
    for i in numba.prange(x.size):
        out[i] = g[i] if x[i] > 0 else g[i] * slope


@_jit
def elu_fwd(x, alpha, out):
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        e = alpha * (vexp(min(v, 0.0)) - 1.0)
        out[i] = v if v > 0 else e


@_jit
def elu_bwd(x, alpha, g, out):
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        d = alpha * vexp(min(v, 0.0))
        out[i] = g[i] if v > 0 else g[i] * d


# ---- sigmoid / tanh / silu / softplus / mish ----------------------------------------------------
@_jit
def sigmoid_fwd(x, out):
    for i in numba.prange(x.size):
        out[i] = vsigmoid(numba.float64(x[i]))


@_jit
def sigmoid_bwd(x, g, out):
    for i in numba.prange(x.size):
        s = vsigmoid(numba.float64(x[i]))
        out[i] = g[i] * s * (1.0 - s)


@_jit
def tanh_fwd(x, out):
    for i in numba.prange(x.size):
        out[i] = vtanh(numba.float64(x[i]))


@_jit
def tanh_bwd(x, g, out):
    for i in numba.prange(x.size):
        t = vtanh(numba.float64(x[i]))
        out[i] = g[i] * (1.0 - t * t)


@_jit
def silu_fwd(x, out):
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        out[i] = v * vsigmoid(v)


@_jit
def silu_bwd(x, g, out):
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        s = vsigmoid(v)
        out[i] = g[i] * s * (1.0 + v * (1.0 - s))


@_jit
def softplus_fwd(x, beta, threshold, out):
    # torch: x where beta * x > threshold (linear regime), else log(1 + e**(beta x)) / beta
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        bx = beta * v
        out[i] = v if bx > threshold else vlog1p_exp(bx) / beta


@_jit
def softplus_bwd(x, beta, threshold, g, out):
    for i in numba.prange(x.size):
        bx = beta * numba.float64(x[i])
        out[i] = g[i] if bx > threshold else g[i] * vsigmoid(bx)


@_jit
def mish_fwd(x, out):
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        out[i] = v * vtanh(vlog1p_exp(v))


@_jit
def mish_bwd(x, g, out):
    # d/dx x tanh(sp(x)) = tanh(sp) + x (1 - tanh(sp)**2) sigmoid(x)
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        t = vtanh(vlog1p_exp(v))
        out[i] = g[i] * (t + v * (1.0 - t * t) * vsigmoid(v))


# ---- gelu ------------------------------------------------------------------------------------
@_jit
def gelu_tanh_fwd(x, out):
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        inner = _SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)
        out[i] = 0.5 * v * (1.0 + vtanh(inner))


@_jit
def gelu_tanh_bwd(x, g, out):
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        inner = _SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)
        t = vtanh(inner)
        d_inner = _SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * v * v)
        out[i] = g[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * d_inner)


@_jit
def gelu_erf_fwd(x, out):
    """Exact GELU x * Phi(x); ``verf`` is float32-accurate, so float32 arrays only."""
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        out[i] = 0.5 * v * (1.0 + verf(v * _INV_SQRT2))


@_jit
def gelu_erf_bwd(x, g, out):
    for i in numba.prange(x.size):
        v = numba.float64(x[i])
        cdf = 0.5 * (1.0 + verf(v * _INV_SQRT2))
        pdf = _INV_SQRT_2PI * vexp(-0.5 * v * v)
        out[i] = g[i] * (cdf + v * pdf)


# ---- registry used by the dispatch layer --------------------------------------------------
# name -> (forward kernel, backward kernel, float64 allowed). Kernels whose accuracy is only
# float32-grade (gelu exact) say so, and float64 data then takes the NumPy path.
ACTIVATIONS = {
    "relu": (relu_fwd, relu_bwd, True),
    "leaky_relu": (leaky_relu_fwd, leaky_relu_bwd, True),
    "elu": (elu_fwd, elu_bwd, True),
    "sigmoid": (sigmoid_fwd, sigmoid_bwd, True),
    "tanh": (tanh_fwd, tanh_bwd, True),
    "silu": (silu_fwd, silu_bwd, True),
    "softplus": (softplus_fwd, softplus_bwd, True),
    "mish": (mish_fwd, mish_bwd, True),
    "gelu_tanh": (gelu_tanh_fwd, gelu_tanh_bwd, True),
    "gelu": (gelu_erf_fwd, gelu_erf_bwd, False),
}

__all__ = ["ACTIVATIONS"]
_ = math  # math is used by the vmath helpers inlined above
