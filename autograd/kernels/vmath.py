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
``vexp_nonpos``    (= vexp)                                     <= 1.5 ulp, only for x <= 0
``vexpm1``         rel. error < 1e-14                           <= 3 ulp
``vexpm1_nonpos``  (= vexpm1)                                   <= 1.5 ulp, only for x <= 0
``vtanh``          rel. error < 1e-14                           <= 3 ulp
``vsigmoid``       rel. error < 1e-14                           <= 3 ulp
``vlog1p_exp``     rel. error < 1e-14 (softplus)                <= 4 ulp
``verf``,          abs. error < 1.5e-7, erfc relative error < 1.5e-7 (float32-grade,
``verfc``          computed in float64 for both; float64 data uses SciPy instead)
``ndtr_pdf32``     -                                            Phi <= 6 ulp (3.4e-7), also in
                                                                the far tail; phi <= 3 ulp
=================  ===========================================  ==============================

Overflow gives inf and underflow 0 (through the subnormals), as libm does; nan propagates.

The cost per element (float32, in cache, one core, sigmoid forward) halved after
(bench/README.md, "Figures behind the code"):
(1) rounding x / ln 2 with the 1.5 * 2**23 trick instead of floor + float->int conversion,
(2) a minimax degree-6 polynomial instead of Taylor to degree 7, (3) for x <= 0 (every
activation and softmax: exp(-|x|), exp(x - max)) no overflow handling and a single
scaling, and (4) tanh from one expm1 and one division, without a separate series near 0.

Two traps this file avoids, found by reading the generated assembly:

* ``math.floor`` returns a Python *int* (int64 in Numba), and AVX2 has no vector
  int64 <-> float64 conversion, so one ``math.floor`` made LLVM fall back to scalar code.
  ``np.floor`` keeps the float, and exponents go through int32 (which AVX2 converts); the
  float32 code needs no conversion at all (n is read from the bits, see ``_exp32_parts``).
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
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two so n * LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_LN2_HI_F32 = 0.693359375  # 11 significant bits: n * this is exact in float32
_LN2_LO_F32 = -2.12194440e-4  # ln 2 - _LN2_HI_F32

_inline = numba.njit(inline="always", cache=True, error_model="numpy")

if numba.config.DISABLE_JIT:
    # NUMBA_DISABLE_JIT=1 runs kernels as plain Python (for debugging and the test that
    # checks it): the same bit reinterpretation through struct.
    import struct

    def _bits_to_f64(bits):
        return struct.unpack("<d", struct.pack("<q", int(bits)))[0]

    def _bits_to_f32(bits):
        # (low 32 bits: a Python int does not wrap around on << like an int32 does)
        return np.float32(struct.unpack("<f", struct.pack("<I", int(bits) & 0xFFFFFFFF))[0])

    def _f32_bits(x):
        return struct.unpack("<i", struct.pack("<f", x))[0]

    def _fma(a, b, c):
        # float32 operands: the float64 product is exact, so this rounds (almost) once
        return type(a)(np.float64(a) * np.float64(b) + np.float64(c))
else:

    def _bitcast(src, dst, llvm_type):
        """An intrinsic that reinterprets the bits of a ``src`` value as a ``dst`` value (a
        free register move, vectorisable)."""

        @intrinsic
        def bitcast(typingctx, value):
            def codegen(context, builder, signature, args):
                return builder.bitcast(args[0], llvm_type)

            return dst(src), codegen

        return bitcast

    _bits_to_f64 = _bitcast(types.int64, types.float64, ir.DoubleType())
    _bits_to_f32 = _bitcast(types.int32, types.float32, ir.FloatType())
    _f32_bits = _bitcast(types.float32, types.int32, ir.IntType(32))

    @intrinsic
    def _fma(typingctx, a, b, c):
        """a * b + c rounded once (LLVM's fma intrinsic: one vfmadd, vectorisable). Needed
        where the rounding error of a product is computed, fma(a, b, -(a * b)): "contract"
        only *allows* LLVM to fuse, it does not promise to."""
        if not (isinstance(a, types.Float) and a == b == c):
            return None
        sig = a(a, b, c)

        def codegen(context, builder, signature, args):
            t = args[0].type
            fn = builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t]))
            return builder.call(fn, args)

        return sig, codegen


# Branch-free on purpose: every special case is a select (``a if c else b`` with both sides
# computed), which LLVM turns into vector blends; an early ``return`` would stop it from
# vectorising the caller's loop.


# ---- polynomials ---------------------------------------------------------------------------
@_inline
def _horner(x, coeffs):
    """``coeffs[0] * x**n + ... + coeffs[n]`` (highest power first) in Horner form, one
    multiply-add per coefficient. ``coeffs`` is a constant tuple of the precision wanted
    (``_f32s`` for float32 code): the loop has a fixed length, so LLVM unrolls it into the
    same straight-line code as writing the steps out."""
    p = coeffs[0]
    for c in coeffs[1:]:
        p = p * x + c
    return p


def _f32s(values):
    """The coefficients as float32 constants (a Python float would be float64 in Numba)."""
    return tuple(np.float32(v) for v in values)


def _inverse_factorials(hi, lo):
    """``(1 / hi!, ..., 1 / lo!)``: Taylor coefficients of e**x, highest power first."""
    return tuple(1.0 / math.factorial(k) for k in range(hi, lo - 1, -1))


# ---- exp ---------------------------------------------------------------------------------
_EXP_TAYLOR = _inverse_factorials(13, 0)


@_inline
def _exp64(x):
    """e**x: x = n ln2 + r with |r| <= ln2 / 2, e**r by its Taylor series to r**13 / 13!
    (remainder < 1e-17), then times 2**n through the exponent bits."""
    xc = min(max(x if x == x else 0.0, -745.2), 709.8)  # (nan handled at the end)
    n = np.floor(xc * _LOG2E + 0.5)
    r = (xc - n * _LN2_HI) - n * _LN2_LO
    p = _horner(r, _EXP_TAYLOR)
    # 2**n in two halves, so each factor is a normal number even when the result is
    # subnormal or near overflow
    ni = numba.int32(n)
    half = ni >> 1
    y = (
        p
        * _bits_to_f64(numba.int64(half + 1023) << 52)
        * _bits_to_f64(numba.int64(ni - half + 1023) << 52)
    )
    y = math.inf if x > 709.782712893384 else y
    y = 0.0 if x < -745.1332191019412 else y
    return x if x != x else y


# float32 exp, shared by vexp / vexp_nonpos / vexpm1_nonpos. Per element: one FMA rounds
# x / ln 2 to the integer n (adding 1.5 * 2**23 leaves n in the low mantissa bits, so no
# floor and no float -> int conversion), two FMAs give r = x - n ln 2 exactly enough, a
# degree-6 polynomial gives e**r, and 2**n is an integer shift of the same bits.
_MAGIC_F32 = 12582912.0  # 1.5 * 2**23: x + this rounds x (|x| < 2**22) to an integer
# e**r = 1 + r + r**2 P(r) on |r| <= ln2 / 2, P of degree 4: a near-minimax fit of relative
# error 3.8e-9 (0.06 float32 ulp) with these float32 coefficients (Lawson-weighted least
# squares on Chebyshev nodes; the Taylor coefficients would need degree 7 for the same).
_EXP_P = _f32s(
    (
        0.0013814610429108143,
        0.008368710055947304,
        0.04166838899254799,
        0.1666652113199234,
        0.4999999403953552,
    )
)


@_inline
def _exp32_parts(x, bias):
    """For float32 ``x`` in [-104, 89]: ``(q, kf)`` with e**x = 2**n (1 + q), |q| < 0.42,
    and ``_f32_bits(kf) << 23`` = (n + bias) << 23, the exponent field of 2**(n + bias - 127)."""
    c = f32(_MAGIC_F32) + f32(bias)
    kf = x * f32(_LOG2E) + c
    n = kf - c
    r = (x - n * f32(_LN2_HI_F32)) - n * f32(_LN2_LO_F32)
    p = _horner(r, _EXP_P)
    return p * r * r + r, kf  # (q stays apart from the 1: expm1 needs its low bits)


@_inline
def _exp32(x):
    """float32 e**x over the whole range (<= 1.5 ulp): 2**n in two halves, so each factor
    is a normal number even when the result is subnormal or near overflow. Clamping keeps
    nan (a comparison with nan is false, so ``lo if x < lo else x`` passes it through)."""
    xc = f32(-104.0) if x < f32(-104.0) else x
    xc = f32(88.8) if xc > f32(88.8) else xc
    q, kf = _exp32_parts(xc, 0)
    ni = _f32_bits(kf) - _f32_bits(f32(_MAGIC_F32))  # = n
    half = ni >> 1
    y = (f32(1.0) + q) * _bits_to_f32((half + 127) << 23) * _bits_to_f32((ni - half + 127) << 23)
    return f32(math.inf) if x > f32(88.72283) else y


@_inline
def _exp_nonpos32(x):
    """float32 e**x for x <= 0 (valid up to x ~ 71), <= 1.5 ulp, subnormal results included:
    2**n is formed as 2**(n + 24) (a normal number for every n >= -150), and the final
    multiplication by 2**-24 rounds into the subnormals. No overflow handling at all: ~2/3
    of vexp's cost. -inf gives 0, nan gives nan. Below -104 the result is 0 (e**-104 is
    under half the smallest subnormal): it is selected, and the lanes compute e**-80 instead,
    as a subnormal intermediate costs ~100 cycles on x86 (a causal mask's -inf: 4x slower
    softmax rows)."""
    tiny = x < f32(-104.0)
    q, kf = _exp32_parts(f32(-80.0) if tiny else x, 127 + 24)
    y = (f32(1.0) + q) * _bits_to_f32(_f32_bits(kf) << 23) * f32(2.0**-24)
    return f32(0.0) if tiny else y


@_inline
def _expm1_nonpos32(x):
    """float32 e**x - 1 for x <= 0, <= 1.5 ulp: 2**n (1 + q) - 1 = 2**n q + (2**n - 1), where
    2**n - 1 is exact and, for n = 0 (|x| < 0.35), nothing cancels at all. Below x = -30
    the result is -1 in float32 anyway. (-0.0 gives +0.0: callers that care keep x's zero.)"""
    xc = f32(-30.0) if x < f32(-30.0) else x
    q, kf = _exp32_parts(xc, 127)
    s = _bits_to_f32(_f32_bits(kf) << 23)
    return s * q + (s - f32(1.0))


# ---- expm1 -------------------------------------------------------------------------------
_EXPM1_TAYLOR = _inverse_factorials(12, 2)  # (e**x - 1 - x) / x**2
_EXPM1_TAYLOR32 = _f32s(_inverse_factorials(8, 2))


@_inline
def _expm1_64(x):
    """e**x - 1 without cancellation near 0: Taylor series to x**12 / 12! for |x| < 0.1
    (remainder < 1e-19 relative), exp - 1 elsewhere (loses at most ~3 bits at |x| = 0.1)."""
    small = x + x * x * _horner(x, _EXPM1_TAYLOR)
    return small if abs(x) < 0.1 else _exp64(x) - 1.0


@_inline
def _expm1_32(x):
    """float32: the series to x**8 / 8! for |x| < 0.5 (remainder < 1e-8 relative)."""
    small = x + x * x * _horner(x, _EXPM1_TAYLOR32)
    return small if abs(x) < f32(0.5) else _exp32(x) - f32(1.0)


# ---- tanh --------------------------------------------------------------------------------
_TANH_TAYLOR = (-1382.0 / 155925.0, 62.0 / 2835.0, -17.0 / 315.0, 2.0 / 15.0, -1.0 / 3.0)


@_inline
def _tanh64(x):
    """tanh via e = e**(-2|x|): (1 - e) / (1 + e) with the sign of x; near 0, where 1 - e
    cancels, the odd Taylor series (relative error < 4e-16 for |x| < 0.1)."""
    a = abs(x)
    e = _exp64(-2.0 * a)
    t = math.copysign((1.0 - e) / (1.0 + e), x)
    x2 = x * x
    small = x + x * x2 * _horner(x2, _TANH_TAYLOR)
    return small if a < 0.1 else t


@_inline
def _tanh32(x):
    """float32 tanh(|x|) = -m / (2 + m) with m = e**(-2|x|) - 1 (in (-1, 0], no cancellation
    for small |x|, and 2 + m in (1, 2]), then x's sign: one expm1 and one division, no
    separate series near 0 (<= 2.5 ulp)."""
    m = _expm1_nonpos32(f32(-2.0) * abs(x))
    return math.copysign(-m / (f32(2.0) + m), x)


# ---- sigmoid -----------------------------------------------------------------------------
@_inline
def _sigmoid64(x):
    """1 / (1 + e**-x) in the two-branch form: exp of a non-positive number only."""
    e = _exp64(-abs(x))
    inv = 1.0 / (1.0 + e)
    return inv if x >= 0 else e * inv


@_inline
def _sigmoid32(x):
    """float32: the numerator is chosen before the division (one rounding fewer than
    e * (1 / (1 + e)), and one multiplication less)."""
    e = _exp_nonpos32(-abs(x))
    return (f32(1.0) if x >= f32(0.0) else e) / (f32(1.0) + e)


# ---- softplus: log(1 + e**x) -------------------------------------------------------------
_ATANH_SERIES = tuple(1.0 / k for k in range(35, 0, -2))  # atanh(z) / z in z**2, to z**34
_ATANH_SERIES32 = _f32s(1.0 / k for k in range(15, 0, -2))


@_inline
def _log1p_exp64(x):
    """max(x, 0) + log1p(e**-|x|), stable for any x. log1p(e) for e in [0, 1] by the
    series log1p(e) = 2 atanh(z), z = e / (2 + e) <= 1/3, in z**2."""
    e = _exp64(-abs(x))
    z = e / (2.0 + e)
    return max(x, 0.0) + 2.0 * z * _horner(z * z, _ATANH_SERIES)


@_inline
def _log1p_exp32(x):
    """float32 softplus: the same series to z**14 (truncation < 4e-8 relative)."""
    e = _exp_nonpos32(-abs(x))
    z = e / (f32(2.0) + e)
    return max(x, f32(0.0)) + f32(2.0) * z * _horner(z * z, _ATANH_SERIES32)


# ---- erf / erfc (float32-grade, computed in float64) ---------------------------------------
# erfc(z) = t * exp(-z**2 + P(t)), t = 1 / (1 + z / 2) for z >= 0: a Chebyshev fit with
# fractional error < 1.2e-7 everywhere (Numerical Recipes' erfcc), good for float32 results.
# Evaluated in float64 for both precisions: in float32 the alternating-sign polynomial and
# z**2 lose enough to break erfc's *relative* accuracy far in the tail, which gelu needs.
_ERFC_P = (
    0.17087277,
    -0.82215223,
    1.48851587,
    -1.13520398,
    0.27886807,
    -0.18628806,
    0.09678418,
    0.37409196,
    1.00002368,
    -1.26551223,
)


@_inline
def _erfc_abs(z):
    """erfc(z) for z >= 0 (float64)."""
    t = 1.0 / (1.0 + 0.5 * z)
    return t * _exp64(-z * z + _horner(t, _ERFC_P))


@_inline
def _erf64(x):
    r = math.copysign(1.0 - _erfc_abs(abs(x)), x)
    return x if x != x else r


@_inline
def _erfc64(x):
    c = _erfc_abs(abs(x))
    r = c if x >= 0 else 2.0 - c
    return x if x != x else r


# ---- the normal distribution in float32 (exact GELU) -----------------------------------------
# Phi(-a) = e**(-a**2 / 2) R(a) for a >= 0, with R(a) = erfcx(a / sqrt 2) / 2 smooth and
# decreasing from 1/2 to ~1 / (a sqrt(2 pi)). R = t Q(t) with t = 1 / (1 + 0.35 a) in (0, 1]
# covers the whole half-line with one polynomial: Q of degree 10, relative error 4.4e-8 with
# these float32 coefficients (fitted like _EXP_P, with relative weights). Two things keep
# Phi's *relative* accuracy in the far tail, where e**(-a**2 / 2) is tiny:
# * no a / sqrt 2 (its rounding would be multiplied by a**2 inside the exponential), and
# * a**2 / 2 = h + l exactly (h = fl(a * a) / 2, l = fma(a, a, -fl(a * a)) / 2), and
#   e**(-h - l) = e**(-h) (1 - l): without l, float32 loses ~a**2 ulp (6 bits at a = 8).
_NDTR_K = 0.35
_NDTR_Q = _f32s(
    (
        0.019314557,
        -0.10845856,
        0.23589112,
        -0.22592452,
        0.06957237,
        -0.028396579,
        0.04840317,
        0.087786496,
        0.12255291,
        0.13962923,
        0.1396298,
    )
)  # highest power first
_INV_SQRT_2PI = 0.3989422804014327


@_inline
def ndtr_pdf32(x):
    """``(Phi(x), phi(x))``, the standard normal CDF and density of a float32 ``x``, from one
    exp and one division: relative error of Phi <= 6 ulp (3.4e-7) over the whole range, incl.
    the far left tail (tested); Phi(x) for x >= 0 as 1 - Phi(-x) (no cancellation: Phi(-x)
    <= 1/2). nan gives nan; float32 arguments only."""
    a = abs(x)
    a = f32(20.0) if a > f32(20.0) else a  # Phi(-20) = 0 in float32; a * a cannot overflow
    aa = a * a
    h = aa * f32(0.5)
    lo = _fma(a, a, -aa) * f32(0.5)
    e = _exp_nonpos32(-h)
    e = e - e * lo
    t = f32(1.0) / (f32(1.0) + f32(_NDTR_K) * a)
    tail = e * (t * _horner(t, _NDTR_Q))  # Phi(-|x|)
    cdf = f32(1.0) - tail if x > f32(0.0) else tail
    return cdf, e * f32(_INV_SQRT_2PI)


# ---- precision-generic entry points -------------------------------------------------------
def _generic(name, impl32, impl64):
    """A function that runs ``impl32`` for a float32 argument and ``impl64`` otherwise:
    chosen at compile time inside kernels (``overload``), by type when run as Python."""

    def fn(x):
        return impl32(x) if isinstance(x, np.float32) else impl64(np.float64(x))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"``{name}(x)``: float32 math for a float32 ``x``, float64 math otherwise "
        "(see the module docstring for error bounds)."
    )

    @overload(fn, inline="always")
    def _typed(x):
        if x == types.float32:
            return lambda x: impl32(x)
        if isinstance(x, (types.Float, types.Integer)):
            return lambda x: impl64(numba.float64(x))
        return None

    return fn


vexp = _generic("vexp", _exp32, _exp64)
vexp_nonpos = _generic("vexp_nonpos", _exp_nonpos32, _exp64)  # only for x <= 0 (see above)
vexpm1_nonpos = _generic("vexpm1_nonpos", _expm1_nonpos32, _expm1_64)  # only for x <= 0
vexpm1 = _generic("vexpm1", _expm1_32, _expm1_64)
vtanh = _generic("vtanh", _tanh32, _tanh64)
vsigmoid = _generic("vsigmoid", _sigmoid32, _sigmoid64)
vlog1p_exp = _generic("vlog1p_exp", _log1p_exp32, _log1p_exp64)
verf = _generic("verf", _erf64, _erf64)  # float64 math for both (see above)
verfc = _generic("verfc", _erfc64, _erfc64)
