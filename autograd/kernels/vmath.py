"""Vectorisable elementary functions for Numba kernels, in float32 and float64.

Why: inside ``@njit`` loops, ``math.exp``/``np.tanh`` compile to scalar libm calls here (the
PyPI llvmlite has no SVML), which blocks SIMD and makes a fused activation slower than
PyTorch. These versions are plain arithmetic (range reduction + polynomial + an exponent
bit trick), so LLVM vectorises the loops that call them.

**Precision follows the argument.** ``vexp(x)`` etc. are generic: a float32 argument runs a
float32 implementation (8 SIMD lanes on AVX2, shorter polynomials), a float64 argument the
float64 one (4 lanes). Kernels pass float32 data as float32, so float32 tensors get float32
speed, like PyTorch's own float32 kernels.

Accuracy (tested in tests/test_kernels.py over the whole float range, incl. +-inf, nan):

=================  ===========================================  ==============================
function           float64 argument                             float32 argument
=================  ===========================================  ==============================
``vexp``           rel. error < 4e-16 (~2 ulp), [-708, 709]     <= 1.5 ulp
``vexpm1``         rel. error < 1e-14                           <= 3 ulp
``vtanh``          rel. error < 1e-14                           <= 4 ulp
``vsigmoid``       rel. error < 1e-14                           <= 4 ulp
``vlog1p_exp``     rel. error < 1e-14 (softplus)                <= 4 ulp
``verf``,          abs. error < 1.5e-7, erfc relative error < 1.5e-7 (float32-grade,
``verfc``          computed in float64 for both; float64 data uses SciPy instead)
=================  ===========================================  ==============================

Overflow gives inf and underflow 0 (through the subnormals), as libm does; nan propagates.

Two traps this file avoids, found by reading the generated assembly:

* ``math.floor`` returns a Python *int* (int64 in Numba), and AVX2 has no vector
  int64 <-> float64 conversion, so one ``math.floor`` made LLVM fall back to scalar code.
  ``np.floor`` keeps the float, and exponents go through int32 (which AVX2 converts).
* A bare Python float literal is float64 in Numba, so ``0.5 * v`` with a float32 ``v``
  silently computes in float64. The float32 code writes its constants as ``f32(...)``.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

f32 = numba.float32
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01   # ln 2 split in two so n * LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_LN2_HI_F32 = 0.693359375                # 11 significant bits: n * this is exact in float32
_LN2_LO_F32 = -2.12194440e-4             # ln 2 - _LN2_HI_F32

_inline = numba.njit(inline="always", cache=True, error_model="numpy")

if numba.config.DISABLE_JIT:
    # NUMBA_DISABLE_JIT=1 runs kernels as plain Python (for debugging and the test that
    # checks it): the same bit reinterpretation through struct.
    import struct

    def _bits_to_f64(bits):
        return struct.unpack("<d", struct.pack("<q", int(bits)))[0]

    def _bits_to_f32(bits):
        return np.float32(struct.unpack("<f", struct.pack("<i", int(bits)))[0])
else:
    @intrinsic
    def _bits_to_f64(typingctx, bits):
        """Reinterpret an int64 as a float64 (a free register move, vectorisable)."""
        sig = types.float64(types.int64)

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())
        return sig, codegen

    @intrinsic
    def _bits_to_f32(typingctx, bits):
        """Reinterpret an int32 as a float32."""
        sig = types.float32(types.int32)

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.FloatType())
        return sig, codegen


# Branch-free on purpose: every special case is a select (``a if c else b`` with both sides
# computed), which LLVM turns into vector blends; an early ``return`` would stop it from
# vectorising the caller's loop.

# ---- exp ---------------------------------------------------------------------------------
@_inline
def _exp64(x):
    """e**x: x = n ln2 + r with |r| <= ln2 / 2, e**r by its Taylor series to r**13 / 13!
    (remainder < 1e-17), then times 2**n through the exponent bits."""
    xc = min(max(x if x == x else 0.0, -745.2), 709.8)  # (nan handled at the end)
    n = np.floor(xc * _LOG2E + 0.5)
    r = (xc - n * _LN2_HI) - n * _LN2_LO
    p = 1.0 / 6227020800.0                                 # Horner form, highest power first
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # 2**n in two halves, so each factor is a normal number even when the result is
    # subnormal or near overflow
    ni = numba.int32(n)
    half = ni >> 1
    y = p * _bits_to_f64(numba.int64(half + 1023) << 52) * \
        _bits_to_f64(numba.int64(ni - half + 1023) << 52)
    y = math.inf if x > 709.782712893384 else y
    y = 0.0 if x < -745.1332191019412 else y
    return x if x != x else y


@_inline
def _exp32(x):
    """float32 e**x: the same reduction; Taylor series to r**7 / 7! (remainder < 6e-9)."""
    xc = min(max(x if x == x else f32(0.0), f32(-104.0)), f32(88.8))
    n = np.floor(xc * f32(_LOG2E) + f32(0.5))
    r = (xc - n * f32(_LN2_HI_F32)) - n * f32(_LN2_LO_F32)
    p = f32(1.0 / 5040.0)
    p = p * r + f32(1.0 / 720.0)
    p = p * r + f32(1.0 / 120.0)
    p = p * r + f32(1.0 / 24.0)
    p = p * r + f32(1.0 / 6.0)
    p = p * r + f32(0.5)
    p = p * r * r + r + f32(1.0)  # 1 + r + r**2 (...): adding 1 last keeps r's low bits
    ni = numba.int32(n)
    half = ni >> 1
    y = p * _bits_to_f32((half + 127) << 23) * _bits_to_f32((ni - half + 127) << 23)
    y = f32(math.inf) if x > f32(88.72283) else y
    y = f32(0.0) if x < f32(-103.97208) else y
    return x if x != x else y


# ---- expm1 -------------------------------------------------------------------------------
@_inline
def _expm1_64(x):
    """e**x - 1 without cancellation near 0: Taylor series to x**12 / 12! for |x| < 0.1
    (remainder < 1e-19 relative), exp - 1 elsewhere (loses at most ~3 bits at |x| = 0.1)."""
    s = 1.0 / 479001600.0
    s = s * x + 1.0 / 39916800.0
    s = s * x + 1.0 / 3628800.0
    s = s * x + 1.0 / 362880.0
    s = s * x + 1.0 / 40320.0
    s = s * x + 1.0 / 5040.0
    s = s * x + 1.0 / 720.0
    s = s * x + 1.0 / 120.0
    s = s * x + 1.0 / 24.0
    s = s * x + 1.0 / 6.0
    s = s * x + 0.5
    small = x + x * x * s
    return small if abs(x) < 0.1 else _exp64(x) - 1.0


@_inline
def _expm1_32(x):
    """float32: the series to x**8 / 8! for |x| < 0.5 (remainder < 1e-8 relative)."""
    s = f32(1.0 / 40320.0)
    s = s * x + f32(1.0 / 5040.0)
    s = s * x + f32(1.0 / 720.0)
    s = s * x + f32(1.0 / 120.0)
    s = s * x + f32(1.0 / 24.0)
    s = s * x + f32(1.0 / 6.0)
    s = s * x + f32(0.5)
    small = x + x * x * s
    return small if abs(x) < f32(0.5) else _exp32(x) - f32(1.0)


# ---- tanh --------------------------------------------------------------------------------
@_inline
def _tanh64(x):
    """tanh via e = e**(-2|x|): (1 - e) / (1 + e) with the sign of x; near 0, where 1 - e
    cancels, the odd Taylor series (relative error < 4e-16 for |x| < 0.1)."""
    a = abs(x)
    e = _exp64(-2.0 * a)
    t = math.copysign((1.0 - e) / (1.0 + e), x)
    x2 = x * x
    s = -1382.0 / 155925.0
    s = s * x2 + 62.0 / 2835.0
    s = s * x2 - 17.0 / 315.0
    s = s * x2 + 2.0 / 15.0
    s = s * x2 - 1.0 / 3.0
    small = x + x * x2 * s
    return small if a < 0.1 else t


@_inline
def _tanh32(x):
    """float32 tanh: as _tanh64, with the series up to |x| < 0.3 (seven terms, truncation
    < 1e-9 relative), so (1 - e) never loses more than a bit to cancellation."""
    a = abs(x)
    e = _exp32(f32(-2.0) * a)
    t = math.copysign((f32(1.0) - e) / (f32(1.0) + e), x)
    x2 = x * x
    s = f32(21844.0 / 6081075.0)
    s = s * x2 - f32(1382.0 / 155925.0)
    s = s * x2 + f32(62.0 / 2835.0)
    s = s * x2 - f32(17.0 / 315.0)
    s = s * x2 + f32(2.0 / 15.0)
    s = s * x2 - f32(1.0 / 3.0)
    small = x + x * x2 * s
    return small if a < f32(0.3) else t


# ---- sigmoid -----------------------------------------------------------------------------
@_inline
def _sigmoid64(x):
    """1 / (1 + e**-x) in the two-branch form: exp of a non-positive number only."""
    e = _exp64(-abs(x))
    inv = 1.0 / (1.0 + e)
    return inv if x >= 0 else e * inv


@_inline
def _sigmoid32(x):
    e = _exp32(-abs(x))
    inv = f32(1.0) / (f32(1.0) + e)
    return inv if x >= f32(0.0) else e * inv


# ---- softplus: log(1 + e**x) -------------------------------------------------------------
@_inline
def _log1p_exp64(x):
    """max(x, 0) + log1p(e**-|x|), stable for any x. log1p(e) for e in [0, 1] by the
    series log1p(e) = 2 atanh(z), z = e / (2 + e) <= 1/3, in z**2."""
    e = _exp64(-abs(x))
    z = e / (2.0 + e)
    z2 = z * z
    s = 1.0 / 35.0
    s = s * z2 + 1.0 / 33.0
    s = s * z2 + 1.0 / 31.0
    s = s * z2 + 1.0 / 29.0
    s = s * z2 + 1.0 / 27.0
    s = s * z2 + 1.0 / 25.0
    s = s * z2 + 1.0 / 23.0
    s = s * z2 + 1.0 / 21.0
    s = s * z2 + 1.0 / 19.0
    s = s * z2 + 1.0 / 17.0
    s = s * z2 + 1.0 / 15.0
    s = s * z2 + 1.0 / 13.0
    s = s * z2 + 1.0 / 11.0
    s = s * z2 + 1.0 / 9.0
    s = s * z2 + 1.0 / 7.0
    s = s * z2 + 1.0 / 5.0
    s = s * z2 + 1.0 / 3.0
    s = s * z2 + 1.0
    return max(x, 0.0) + 2.0 * z * s


@_inline
def _log1p_exp32(x):
    """float32 softplus: the same series to z**14 (truncation < 4e-8 relative)."""
    e = _exp32(-abs(x))
    z = e / (f32(2.0) + e)
    z2 = z * z
    s = f32(1.0 / 15.0)
    s = s * z2 + f32(1.0 / 13.0)
    s = s * z2 + f32(1.0 / 11.0)
    s = s * z2 + f32(1.0 / 9.0)
    s = s * z2 + f32(1.0 / 7.0)
    s = s * z2 + f32(1.0 / 5.0)
    s = s * z2 + f32(1.0 / 3.0)
    s = s * z2 + f32(1.0)
    return max(x, f32(0.0)) + f32(2.0) * z * s


# ---- erf / erfc (float32-grade, computed in float64) ---------------------------------------
# erfc(z) = t * exp(-z**2 + P(t)), t = 1 / (1 + z / 2) for z >= 0: a Chebyshev fit with
# fractional error < 1.2e-7 everywhere (Numerical Recipes' erfcc), good for float32 results.
# Evaluated in float64 for both precisions: in float32 the alternating-sign polynomial and
# z**2 lose enough to break erfc's *relative* accuracy far in the tail, which gelu needs.
@_inline
def _erfc_abs(z):
    """erfc(z) for z >= 0 (float64)."""
    t = 1.0 / (1.0 + 0.5 * z)
    p = 0.17087277
    p = p * t - 0.82215223
    p = p * t + 1.48851587
    p = p * t - 1.13520398
    p = p * t + 0.27886807
    p = p * t - 0.18628806
    p = p * t + 0.09678418
    p = p * t + 0.37409196
    p = p * t + 1.00002368
    p = p * t - 1.26551223
    return t * _exp64(-z * z + p)


@_inline
def _erf64(x):
    r = math.copysign(1.0 - _erfc_abs(abs(x)), x)
    return x if x != x else r


@_inline
def _erfc64(x):
    c = _erfc_abs(abs(x))
    r = c if x >= 0 else 2.0 - c
    return x if x != x else r


# ---- precision-generic entry points -------------------------------------------------------
def _generic(name, impl32, impl64):
    """A function that runs ``impl32`` for a float32 argument and ``impl64`` otherwise:
    chosen at compile time inside kernels (``overload``), by type when run as Python."""
    def fn(x):
        return impl32(x) if isinstance(x, np.float32) else impl64(np.float64(x))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``{name}(x)``: float32 math for a float32 ``x``, float64 math otherwise "
                  "(see the module docstring for error bounds).")

    @overload(fn, inline="always")
    def _typed(x):
        if x == types.float32:
            return lambda x: impl32(x)
        if isinstance(x, (types.Float, types.Integer)):
            return lambda x: impl64(numba.float64(x))
        return None
    return fn


vexp = _generic("vexp", _exp32, _exp64)
vexpm1 = _generic("vexpm1", _expm1_32, _expm1_64)
vtanh = _generic("vtanh", _tanh32, _tanh64)
vsigmoid = _generic("vsigmoid", _sigmoid32, _sigmoid64)
vlog1p_exp = _generic("vlog1p_exp", _log1p_exp32, _log1p_exp64)
verf = _generic("verf", _erf64, _erf64)        # float64 math for both (see above)
verfc = _generic("verfc", _erfc64, _erfc64)
