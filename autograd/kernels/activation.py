"""Fused activation kernels: one pass over memory for forward, one for backward.

Each function fills ``out`` from flat, contiguous float32/float64 arrays, computing in the
array's own precision: ``T = x.dtype.type`` and constants written ``T(0.5)``, because a bare
Python float is float64 in Numba and would silently turn float32 arithmetic into float64
(half the SIMD lanes). The vmath functions follow their argument's precision (float32 data:
a few ulp, like PyTorch's float32 kernels; float64: ~1e-14 relative). ``error_model="numpy"``
matters: Python's error model puts a division-by-zero check (a branch) in every ``/``, which
stops LLVM from vectorising.

Loops use ``numba.prange``: the serial build treats it as ``range``; the parallel build
(``autograd.kernels.set_num_threads(n)``, see parallel.py) splits it across threads, each
iteration writing only its own output element.

Backward kernels take the forward *input* ``x`` (recomputing cheap sub-expressions is
faster than reading a saved intermediate back from memory) and the incoming gradient ``g``.
Exact GELU is the exception: its Phi and phi cost far more than a read, so when the backward
will run, its forward kernel also writes dy/dx (``gelu_with_grad``) and the backward is a
product.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import buffers
from .parallel import kernel as _jit
from .vmath import ndtr_pdf32, vexp_nonpos, vexpm1_nonpos, vlog1p_exp, vsigmoid, vtanh

_SQRT_2_OVER_PI = 0.7978845608028654


# ---- relu / leaky_relu / elu ---------------------------------------------------------------
@numba.njit(inline="always", cache=True, error_model="numpy")
def _typed_param(x, value):
    """``(value, 0)`` in x's dtype (a bare Python float would be float64 in Numba)."""
    T = x.dtype.type
    return T(value), T(0.0)


@_jit
def relu_fwd(x, out):
    zero = x.dtype.type(0.0)
    for i in numba.prange(x.size):
        v = x[i]
        out[i] = zero if v < zero else v  # keeps nan and -0.0, like torch


@_jit
def relu_bwd(x, g, out):
    zero = x.dtype.type(0.0)
    for i in numba.prange(x.size):
        out[i] = g[i] if x[i] > zero else zero


@_jit
def leaky_relu_fwd(x, slope, out):
    a, zero = _typed_param(x, slope)
    for i in numba.prange(x.size):
        v = x[i]
        out[i] = v if v > zero else v * a


@_jit
def leaky_relu_bwd(x, slope, g, out):
    a, zero = _typed_param(x, slope)
    for i in numba.prange(x.size):
        out[i] = g[i] if x[i] > zero else g[i] * a


@_jit
def elu_fwd(x, alpha, out):
    a, zero = _typed_param(x, alpha)
    for i in numba.prange(x.size):
        v = x[i]
        e = a * vexpm1_nonpos(min(v, zero))  # (exp - 1 would cancel for small negative v)
        out[i] = v if v >= zero else e  # (>=: a zero keeps its sign, as in NumPy)


@_jit
def elu_bwd(x, alpha, g, out):
    a, zero = _typed_param(x, alpha)
    for i in numba.prange(x.size):
        v = x[i]
        out[i] = g[i] if v > zero else g[i] * (a * vexp_nonpos(min(v, zero)))


# ---- sigmoid / tanh / silu / softplus / mish ----------------------------------------------------
def _from_value(name, f, vjp):
    """The kernels of an activation whose derivative is a function of its value: forward
    ``out = f(x)``, backward ``out = vjp(g, f(x), 1)`` (f recomputed from x: cheaper than
    reading a saved output back from memory)."""

    def fwd(x, out):
        for i in numba.prange(x.size):
            out[i] = f(x[i])

    def bwd(x, g, out):
        one = x.dtype.type(1.0)
        for i in numba.prange(x.size):
            out[i] = vjp(g[i], f(x[i]), one)

    fwd.__name__ = fwd.__qualname__ = f"{name}_fwd"  # (also the kernels' cache file names)
    bwd.__name__ = bwd.__qualname__ = f"{name}_bwd"
    return _jit(fwd), _jit(bwd)


@numba.njit(inline="always", cache=True, error_model="numpy")
def _sigmoid_vjp(g, s, one):
    return g * s * (one - s)  # sigmoid' = s (1 - s)


@numba.njit(inline="always", cache=True, error_model="numpy")
def _tanh_vjp(g, t, one):
    return g * (one - t * t)  # tanh' = 1 - t**2


sigmoid_fwd, sigmoid_bwd = _from_value("sigmoid", vsigmoid, _sigmoid_vjp)
tanh_fwd, tanh_bwd = _from_value("tanh", vtanh, _tanh_vjp)


# The same two VJPs as NumPy ufuncs of ``(g, y)``, ``y`` the saved output: the backward of
# ``autograd.tanh`` / ``autograd.sigmoid`` (ops/unary.py), whose NumPy expression is three
# ufunc calls and two temporaries, which on small arrays cost mostly the calls. The
# operations and their order are the expression's, each rounded to the arrays' dtype (no
# fastmath, so no fused multiply-add): the same bits (tests/test_engine_fast_paths.py).
# Built on first use (``value_vjp_ufunc``), so importing this module compiles nothing more.
def _tanh_vjp32(g, y):
    return _tanh_vjp(g, y, numba.float32(1.0))


def _tanh_vjp64(g, y):
    return _tanh_vjp(g, y, 1.0)


def _sigmoid_vjp32(g, y):
    return _sigmoid_vjp(g, y, numba.float32(1.0))


def _sigmoid_vjp64(g, y):
    return _sigmoid_vjp(g, y, 1.0)


_VALUE_VJP_SOURCES = {
    ("tanh", np.dtype(np.float32)): (_tanh_vjp32, "float32(float32, float32)"),
    ("tanh", np.dtype(np.float64)): (_tanh_vjp64, "float64(float64, float64)"),
    ("sigmoid", np.dtype(np.float32)): (_sigmoid_vjp32, "float32(float32, float32)"),
    ("sigmoid", np.dtype(np.float64)): (_sigmoid_vjp64, "float64(float64, float64)"),
}
_VALUE_VJPS: dict = {}  # (name, dtype) -> Numba's DUFunc (which keeps the compiled loop alive)


def value_vjp_ufunc(name: str, dtype: np.dtype) -> np.ufunc:
    """The ufunc ``(g, y) -> g * (1 - y * y)`` (``name="tanh"``) or ``g * y * (1 - y)``
    (``"sigmoid"``) for arrays of ``dtype`` (float32 or float64): like any ufunc, any shapes
    that broadcast and any layout; a 0-d result is a NumPy scalar, as from the expression."""
    built = _VALUE_VJPS.get((name, dtype))
    if built is None:
        fn, signature = _VALUE_VJP_SOURCES[name, dtype]
        built = _VALUE_VJPS[name, dtype] = numba.vectorize([signature], cache=True)(fn)
    return built.ufunc  # (the plain NumPy ufunc: called without the DUFunc's Python layer)


@_jit
def silu_fwd(x, out):
    for i in numba.prange(x.size):
        v = x[i]
        out[i] = v * vsigmoid(v)


@_jit
def silu_bwd(x, g, out):
    one = x.dtype.type(1.0)
    for i in numba.prange(x.size):
        v = x[i]
        s = vsigmoid(v)
        out[i] = g[i] * s * (one + v * (one - s))


@_jit
def softplus_fwd(x, beta, threshold, out):
    # torch: x where beta * x > threshold (linear regime), else log(1 + e**(beta x)) / beta
    T = x.dtype.type
    b, th = T(beta), T(threshold)
    for i in numba.prange(x.size):
        v = x[i]
        bx = b * v
        out[i] = v if bx > th else vlog1p_exp(bx) / b


@_jit
def softplus_bwd(x, beta, threshold, g, out):
    T = x.dtype.type
    b, th = T(beta), T(threshold)
    for i in numba.prange(x.size):
        bx = b * x[i]
        out[i] = g[i] if bx > th else g[i] * vsigmoid(bx)


# mish(x) = x tanh(softplus(x)). With e = exp(-|x|), tanh(log(1 + e**x)) is
# (1 + 2e) / (1 + 2e + 2e**2) for x > 0 and e (e + 2) / (e (e + 2) + 2) otherwise: one exp
# and one division instead of exp + log + tanh, and neither side cancels.
@numba.njit(inline="always", cache=True, error_model="numpy")
def _tanh_softplus_sigmoid(v, zero, one, two):
    """(tanh(softplus(v)), sigmoid(v)) from a single exp; the constants carry the dtype."""
    e = vexp_nonpos(-abs(v))
    pos = v > zero
    num = one + two * e if pos else e * (e + two)
    den = num + two * e * e if pos else num + two
    s = (one if pos else e) / (one + e)  # (one division: select the numerator first)
    return num / den, s


@_jit
def mish_fwd(x, out):
    T = x.dtype.type
    zero, one, two = T(0.0), T(1.0), T(2.0)
    for i in numba.prange(x.size):
        v = x[i]
        t, _ = _tanh_softplus_sigmoid(v, zero, one, two)
        out[i] = v * t


@_jit
def mish_bwd(x, g, out):
    # d/dx x tanh(sp(x)) = tanh(sp) + x (1 - tanh(sp)**2) sigmoid(x)
    T = x.dtype.type
    zero, one, two = T(0.0), T(1.0), T(2.0)
    for i in numba.prange(x.size):
        v = x[i]
        t, s = _tanh_softplus_sigmoid(v, zero, one, two)
        out[i] = g[i] * (t + v * (one - t * t) * s)


# ---- gelu ------------------------------------------------------------------------------------
# tanh-approximate GELU, 0.5 x (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x**3), is
# computed as x * sigmoid(2u) (the same function: 0.5 (1 + tanh(u)) = sigmoid(2u)), because
# 1 + tanh(u) cancels for very negative x, and float32 would lose every digit there.
@_jit
def gelu_tanh_fwd(x, out):
    T = x.dtype.type
    k2, c = T(2 * _SQRT_2_OVER_PI), T(0.044715)
    for i in numba.prange(x.size):
        v = x[i]
        out[i] = v * vsigmoid(k2 * (v + c * v * v * v))


@_jit
def gelu_tanh_bwd(x, g, out):
    # d/dx x s(2u) = s + x s (1 - s) 2u'
    T = x.dtype.type
    k2, c, c3, one = T(2 * _SQRT_2_OVER_PI), T(0.044715), T(3 * 0.044715), T(1.0)
    for i in numba.prange(x.size):
        v = x[i]
        s = vsigmoid(k2 * (v + c * v * v * v))
        out[i] = g[i] * (s + v * s * (one - s) * k2 * (one + c3 * v * v))


@_jit
def gelu_erf_fwd(x, out):
    """Exact GELU x * Phi(x), float32 arrays only: ``ndtr_pdf32`` keeps Phi's relative
    accuracy far in the negative tail (float64 data takes the NumPy/SciPy path)."""
    for i in numba.prange(x.size):
        v = x[i]
        cdf, _ = ndtr_pdf32(v)
        out[i] = v * cdf


@_jit
def gelu_erf_bwd(x, g, out):
    # d/dx x Phi(x) = Phi(x) + x phi(x); Phi and phi share one exp
    for i in numba.prange(x.size):
        v = x[i]
        cdf, pdf = ndtr_pdf32(v)
        out[i] = g[i] * (cdf + v * pdf)


@_jit
def gelu_erf_fwd_grad(x, out, dydx):
    """``gelu_erf_fwd`` that also writes the derivative ``Phi(x) + x phi(x)`` (the factor
    ``gelu_erf_bwd`` multiplies ``g`` by, computed the same way): when the backward will run,
    the one evaluation of Phi and phi serves both passes, and the backward is ``g * dydx``."""
    for i in numba.prange(x.size):
        v = x[i]
        cdf, pdf = ndtr_pdf32(v)
        out[i] = v * cdf
        dydx[i] = cdf + v * pdf


@_jit
def bias_gelu_erf_fwd_grad(x, b, h, out, dydx):
    """``gelu_erf_fwd_grad`` of ``h = x + b``, for ``x`` (rows, n) and a bias ``b`` (n,)
    added to every row, also writing ``h``: a compiled plan's bias add and the exact GELU
    after it (``nn.Linear`` then ``nn.GELU``) in one pass (compiler/steps.py ``bias_gelu``).
    The same float32 operations as the bias add's and ``gelu_erf_fwd_grad``'s, so the same
    bits."""
    for r in numba.prange(x.shape[0]):
        xr, hr, yr, dr = x[r], h[r], out[r], dydx[r]
        for j in range(xr.size):
            v = xr[j] + b[j]
            hr[j] = v
            cdf, pdf = ndtr_pdf32(v)
            yr[j] = v * cdf
            dr[j] = cdf + v * pdf


# (no FMA contraction: the product is rounded before it is added, as np.multiply then the sum
# kernel round it)
@numba.njit(cache=True, error_model="numpy", nogil=True)
def gelu_bias_grad_rows(g, dydx, out, db):
    """The backward of ``gelu(x + b)`` after ``bias_gelu_erf_fwd_grad``: ``out = g * dydx``
    (``Gelu.backward`` with the saved derivative) and the bias gradient ``db`` (zeros of
    ``n``, added to) as the sum of ``out``'s rows in order, the additions of
    ``reduce.sum_leading_rows``. g, dydx, out: (rows, n); one pass instead of three."""
    for r in range(g.shape[0]):
        gr, dr, outr = g[r], dydx[r], out[r]
        for j in range(gr.size):  # (two loops: each vectorises, one loop doing both did not)
            outr[j] = gr[j] * dr[j]
        for j in range(gr.size):
            db[j] += outr[j]


# ---- the kernels by name (see run_activation below) -----------------------------------------
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

__all__ = [
    "ACTIVATIONS",
    "supports",
    "run_activation",
    "run_activation_backward",
    "gelu_with_grad",
    "value_vjp_ufunc",
]
_ = math  # math is used by the vmath helpers inlined above

# extra scalar parameters of each activation kernel, in order, with torch's defaults
_PARAMS = {
    "leaky_relu": (("negative_slope", 0.01),),
    "elu": (("alpha", 1.0),),
    "softplus": (("beta", 1.0), ("threshold", 20.0)),
}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# ---- calling the kernels: checks in Python, then one call on flat contiguous arrays --------
def supports(name: str, x: np.ndarray) -> bool:
    """True when activation ``name`` has a kernel for this array's dtype."""
    entry = ACTIVATIONS.get(name)
    if entry is None or x.dtype not in _FLOATS:
        return False
    return x.dtype == np.float32 or entry[2]


def _params(name, kwargs):
    return tuple(float(kwargs.get(p, default)) for p, default in _PARAMS.get(name, ()))


def run_activation(name: str, x: np.ndarray, **kwargs) -> np.ndarray:
    """Forward of activation ``name`` on any-shaped float array (returns a new array)."""
    fwd = ACTIVATIONS[name][0]
    xc = x if x.flags.c_contiguous else x.copy()  # (ascontiguousarray would make 0-d 1-d)
    out = buffers.empty_like(xc)  # (very large outputs reuse memory: see buffers.py)
    fwd(xc.reshape(-1), *_params(name, kwargs), out.reshape(-1))
    return out


def gelu_with_grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact GELU of a float32 array and its derivative, ``(y, dydx)``, from one kernel; the
    gradient for an incoming ``g`` is then ``g * dydx``, bit for bit what
    ``run_activation_backward("gelu", x, g)`` returns (``g`` cast to float32 first)."""
    xc = x if x.flags.c_contiguous else x.copy()
    out = buffers.empty_like(xc)
    dydx = np.empty_like(xc)
    gelu_erf_fwd_grad(xc.reshape(-1), out.reshape(-1), dydx.reshape(-1))
    return out, dydx


def run_activation_backward(name: str, x: np.ndarray, g: np.ndarray, **kwargs) -> np.ndarray:
    """Gradient of activation ``name`` w.r.t. its input, given the input ``x`` and ``g``."""
    bwd = ACTIVATIONS[name][1]
    xc = x if x.flags.c_contiguous else x.copy()
    gc = np.broadcast_to(g, x.shape).astype(x.dtype, order="C", copy=False)
    if not gc.flags.c_contiguous:
        gc = gc.copy()
    out = buffers.empty_like(xc)  # (very large outputs reuse memory: see buffers.py)
    bwd(xc.reshape(-1), *_params(name, kwargs), gc.reshape(-1), out.reshape(-1))
    return out
