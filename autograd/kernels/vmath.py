"""Vectorisable elementary functions for Numba kernels.

Why: inside ``@njit`` loops, ``math.exp``/``np.tanh`` compile to scalar libm calls here (the
PyPI llvmlite has no SVML), which blocks SIMD and makes a fused activation slower than
PyTorch. These versions are plain arithmetic (range reduction + polynomial + an exponent
bit trick), so LLVM vectorises the loops that call them.

Accuracy (tested in tests/test_kernels.py over the whole float range, incl. +-inf, nan):

* ``vexp(x)`` (float64): relative error < 4e-16 (~2 ulp) for x in [-708, 709];
  overflow to inf above 709.78, 0 below -745.
* ``vtanh``, ``vsigmoid``, ``vlog1p_exp`` (softplus): built on ``vexp`` in float64;
  relative error < 1e-14 (float32 results are correctly rounded in all but rare ties).
* ``verf`` (float64): absolute error < 1.2e-7 everywhere (good for float32 only; float64
  callers fall back to NumPy/SciPy).

All take and return float64; kernels for float32 arrays compute in float64 and round once.
"""
from __future__ import annotations

import math

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01   # ln 2 split in two so n * LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10


if numba.config.DISABLE_JIT:
    # NUMBA_DISABLE_JIT=1 runs kernels as plain Python (for debugging and the test that
    # checks it): the same bit reinterpretation through struct.
    import struct

    def _bits_to_f64(bits):
        return struct.unpack("<d", struct.pack("<q", int(bits)))[0]
else:
    @intrinsic
    def _bits_to_f64(typingctx, bits):
        """Reinterpret an int64 as a float64 (a free register move, vectorisable)."""
        sig = types.float64(types.int64)

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())
        return sig, codegen


# Branch-free on purpose: every special case is a select (``a if c else b`` with both sides
# computed), which LLVM turns into vector blends; an early ``return`` would stop it from
# vectorising the caller's loop.
@numba.njit(inline="always", cache=True, error_model="numpy")
def vexp(x):
    """e**x in float64 without libm: x = n ln2 + r, e**r by a degree-13 polynomial."""
    xc = min(max(x if x == x else 0.0, -745.2), 709.8)  # (nan handled at the end)
    n = math.floor(xc * _LOG2E + 0.5)
    r = (xc - n * _LN2_HI) - n * _LN2_LO          # |r| <= ln2 / 2
    # Taylor series of e**r to r**13 / 13! (remainder < 1e-17 on |r| <= 0.347), Horner form
    p = 1.0 / 6227020800.0
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
    # scale by 2**n through the exponent bits, in two halves so each factor is a normal
    # number even when the result is subnormal or near overflow
    ni = numba.int64(n)
    half = ni >> 1
    y = p * _bits_to_f64((half + 1023) << 52) * _bits_to_f64((ni - half + 1023) << 52)
    y = math.inf if x > 709.782712893384 else y
    y = 0.0 if x < -745.1332191019412 else y
    return x if x != x else y


@numba.njit(inline="always", cache=True, error_model="numpy")
def vtanh(x):
    """tanh via e**(-2|x|): (1 - e) / (1 + e) with the sign of x; tanh(x) = x for tiny x
    (where 1 - e would cancel)."""
    a = abs(x)
    e = vexp(-2.0 * a)
    t = math.copysign((1.0 - e) / (1.0 + e), x)
    # near 0, 1 - e cancels: use the odd Taylor series (error < 4e-16 relative for |x| < 0.1)
    x2 = x * x
    s = -1382.0 / 155925.0
    s = s * x2 + 62.0 / 2835.0
    s = s * x2 - 17.0 / 315.0
    s = s * x2 + 2.0 / 15.0
    s = s * x2 - 1.0 / 3.0
    small = x + x * x2 * s
    return small if a < 0.1 else t


@numba.njit(inline="always", cache=True, error_model="numpy")
def vsigmoid(x):
    """1 / (1 + e**-x) in the two-branch form: exp of a non-positive number only."""
    e = vexp(-abs(x))
    inv = 1.0 / (1.0 + e)
    return inv if x >= 0 else e * inv


@numba.njit(inline="always", cache=True, error_model="numpy")
def vlog1p_exp(x):
    """softplus log(1 + e**x) = max(x, 0) + log1p(e**-|x|), stable for any x."""
    e = vexp(-abs(x))
    # log1p of a number in [0, 1]: atanh-series form log1p(e) = 2 atanh(e / (2 + e))
    z = e / (2.0 + e)                      # <= 1/3, so the series below converges fast
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


@numba.njit(inline="always", cache=True, error_model="numpy")
def verf(x):
    """erf for float32 use: erfc(|x|) = t * exp(-x**2 + P(t)), t = 1 / (1 + |x| / 2)
    (a Chebyshev fit with fractional error < 1.2e-7)."""
    z = abs(x)
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
    erfc = t * vexp(-z * z + p)
    r = math.copysign(1.0 - erfc, x)
    return x if x != x else r
