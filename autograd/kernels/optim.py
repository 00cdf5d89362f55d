"""Fused optimizer updates: one pass over each parameter, in place, no temporaries.

The NumPy routines in ``optim/_functional.py`` are the reference (they make ~13 passes
over memory for Adam); these do the same arithmetic per element in one pass.

Exactness: unlike the activation kernels, these compute in the parameter's own dtype
and apply the reference's operations in the reference's order, each rounded as NumPy
rounds it (a Python float hyper-parameter meets a float32 array as a float32, so every
scalar is converted with ``T = p.dtype.type`` first). IEEE ``+ - * / sqrt`` are correctly
rounded, so the fused result is bit-for-bit the NumPy one -- and the same as torch's
single-tensor update, whose operation order the reference follows. Float32 arithmetic
is also faster: computed in float64, Adam was bound by the divide/square-root unit; in
float32 (twice the lanes per instruction) it takes about the time to stream its 7 operand
accesses through memory on one core (bench/README.md, "Figures behind the code").

Conventions shared by all kernels: arrays are flat and contiguous; ``g`` (the caller's
gradient) is only read; ``maximize`` negates it; ``wd`` is coupled weight decay (``g + wd
* p``). Flags are loop-invariant, so the compiler hoists the branches out of the loop.
Optional state buffers (AMSGrad's running max, momentum buffers, the centered mean) get
kernels of their own instead of a flag plus a stand-in array: a stand-in that aliases
another operand makes LLVM's run-time overlap check fail, and the loop then runs the
scalar code (several times slower: bench/README.md, "Figures behind the code").
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numba

from .parallel import kernel

# No FMA contraction (the kernel layer's default allows it): fusing ``a * b + c`` rounds
# once instead of twice, which would break the bit-for-bit agreement with the reference
# and torch -- an optimizer's trajectory then drifts by ulps every step.
_exact_kernel = kernel(fastmath=False)


@numba.njit(inline="always", error_model="numpy")
def _effective_grad(p, g, wd, use_wd, maximize):
    """``(-g if maximize else g) + wd * p`` in the reference's order: ``p * wd`` first."""
    if use_wd:
        return p * wd - g if maximize else p * wd + g
    return -g if maximize else g


@numba.njit(inline="always", error_model="numpy")
def _lerp(start, end, w, one_minus_w, low):
    """torch's two-sided lerp ``start + w * (end - start)``; ``low`` is ``|w| < 0.5``."""
    d = end - start
    return start + d * w if low else end - d * one_minus_w


@numba.njit(inline="always", error_model="numpy")
def _nan_max(a, b):
    """``np.maximum`` for scalars: NaN if either is NaN."""
    return a if (a > b or a != a) else b


# Hyper-parameters converted once per call and read by name in the loops (Numba compiles a
# named tuple's fields like separate variables). Floats are in the parameter's dtype; the
# bools are loop-invariant flags.
class _AdamScalars(NamedTuple):
    w: float  # 1 - beta1: m's lerp weight towards g
    omw: float  # 1 - w
    low: bool  # |w| < 0.5: which side the lerp computes from (see _lerp)
    b2: float  # beta2
    omb2: float  # 1 - beta2
    decay: float  # AdamW's 1 - lr * weight_decay
    decay_p: bool  # apply it (decoupled and weight_decay != 0)
    wd: float  # coupled weight decay
    use_wd: bool  # apply it (weight_decay != 0 and not decoupled)
    bc2: float  # sqrt(1 - beta2**t)
    eps: float
    neg_step: float  # -lr / (1 - beta1**t)


class _RmsScalars(NamedTuple):
    a: float  # alpha
    oma: float  # 1 - alpha
    w: float  # the centered mean's lerp weight, 1 - alpha
    omw: float  # 1 - w
    low: bool  # |w| < 0.5 (see _lerp)
    eps: float
    neg_lr: float
    mom: float  # momentum
    wd: float  # weight decay
    use_wd: bool  # weight_decay != 0


@numba.njit(inline="always", error_model="numpy")
def _adam_scalars(p, hyper):
    """Adam's hyper-parameters ``(beta1, beta2, lr, weight_decay, eps, bias_correction2_sqrt,
    step_size, decoupled)`` in ``p``'s dtype, rounded as NumPy rounds them."""
    beta1, beta2, lr, weight_decay, eps, bias_correction2_sqrt, step_size, decoupled = hyper
    T = p.dtype.type
    w = 1.0 - beta1
    return _AdamScalars(
        T(w),
        T(1.0 - w),
        abs(w) < 0.5,
        T(beta2),
        T(1.0 - beta2),
        T(1.0 - lr * weight_decay),
        decoupled and weight_decay != 0.0,
        T(weight_decay),
        weight_decay != 0.0 and not decoupled,
        T(bias_correction2_sqrt),
        T(eps),
        T(-step_size),
    )


@numba.njit(inline="always", error_model="numpy")
def _adam_moments(p_i, g_i, m_i, v_i, s, maximize):
    """One element's Adam moments: ``(p, m, v)`` with ``p`` after AdamW's decay, ``m`` the
    lerp towards the (decayed) gradient and ``v`` the running mean of its square."""
    p_i = p_i * s.decay if s.decay_p else p_i
    g_i = _effective_grad(p_i, g_i, s.wd, s.use_wd, maximize)
    return p_i, _lerp(m_i, g_i, s.w, s.omw, s.low), v_i * s.b2 + (g_i * s.omb2) * g_i


@_exact_kernel
def adam_update(
    p,
    g,
    m,
    v,
    beta1,
    beta2,
    lr,
    weight_decay,
    eps,
    bias_correction2_sqrt,
    step_size,
    decoupled,
    maximize,
):
    """Adam/AdamW step on flat arrays. ``decoupled``: AdamW's ``p *= 1 - lr * wd`` instead
    of coupled decay; ``step_size = lr / (1 - beta1**t)``."""
    s = _adam_scalars(
        p, (beta1, beta2, lr, weight_decay, eps, bias_correction2_sqrt, step_size, decoupled)
    )
    for i in numba.prange(p.size):
        pi, mi, vi = _adam_moments(p[i], g[i], m[i], v[i], s, maximize)
        m[i] = mi
        v[i] = vi
        p[i] = pi + (mi / (np.sqrt(vi) / s.bc2 + s.eps)) * s.neg_step


@_exact_kernel
def adam_amsgrad_update(p, g, m, v, vmax, *hyper):
    """``adam_update`` with AMSGrad: the denominator uses ``vmax``, the running max of ``v``.
    ``hyper``: ``adam_update``'s arguments after ``v`` (``beta1, ..., decoupled, maximize``)."""
    s = _adam_scalars(p, hyper[:8])
    maximize = hyper[8]
    for i in numba.prange(p.size):
        pi, mi, vi = _adam_moments(p[i], g[i], m[i], v[i], s, maximize)
        m[i] = mi
        v[i] = vi
        vi = _nan_max(vmax[i], vi)
        vmax[i] = vi
        p[i] = pi + (mi / (np.sqrt(vi) / s.bc2 + s.eps)) * s.neg_step


@_exact_kernel
def sgd_update(p, g, lr, weight_decay, maximize):
    """Plain SGD step (no momentum): ``p += (g + wd * p) * -lr``."""
    T = p.dtype.type
    neg_lr, wd = T(-lr), T(weight_decay)
    use_wd = weight_decay != 0.0
    for i in numba.prange(p.size):
        p[i] = p[i] + _effective_grad(p[i], g[i], wd, use_wd, maximize) * neg_lr


@_exact_kernel
def sgd_momentum_update(
    p, g, buf, first, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    """SGD with momentum (``first``: the buffer is initialised from the gradient)."""
    T = p.dtype.type
    neg_lr, mom, omd = T(-lr), T(momentum), T(1.0 - dampening)
    wd = T(weight_decay)
    use_wd = weight_decay != 0.0
    damp = dampening != 0.0
    for i in numba.prange(p.size):
        gi = _effective_grad(p[i], g[i], wd, use_wd, maximize)
        if first:
            b = gi
        else:
            b = buf[i] * mom + (gi * omd if damp else gi)
        buf[i] = b
        p[i] = p[i] + (gi + b * mom if nesterov else b) * neg_lr


@numba.njit(inline="always", error_model="numpy")
def _rms_scalars(p, lr, alpha, eps, weight_decay, momentum):
    """RMSprop's hyper-parameters in ``p``'s dtype (the centered mean is
    ``lerp(grad_avg, g, 1 - alpha)``)."""
    T = p.dtype.type
    w = 1.0 - alpha
    return _RmsScalars(
        T(alpha),
        T(1.0 - alpha),
        T(w),
        T(1.0 - w),
        abs(w) < 0.5,
        T(eps),
        T(-lr),
        T(momentum),
        T(weight_decay),
        weight_decay != 0.0,
    )


@numba.njit(inline="always", error_model="numpy")
def _rms_square_avg(p_i, g_i, sq_i, s, maximize):
    """One element's ``(g, square_avg)``: the effective gradient and the updated running mean
    of its square, ``alpha * square_avg + (1 - alpha) * g * g``."""
    g_i = _effective_grad(p_i, g_i, s.wd, s.use_wd, maximize)
    return g_i, sq_i * s.a + (g_i * s.oma) * g_i


@_exact_kernel
def rmsprop_update(p, g, square_avg, lr, alpha, eps, weight_decay, maximize):
    """RMSprop step, neither centered nor with momentum."""
    s = _rms_scalars(p, lr, alpha, eps, weight_decay, 0.0)
    for i in numba.prange(p.size):
        gi, sq = _rms_square_avg(p[i], g[i], square_avg[i], s, maximize)
        square_avg[i] = sq
        p[i] = p[i] + (gi / (np.sqrt(sq) + s.eps)) * s.neg_lr


@_exact_kernel
def rmsprop_momentum_update(
    p, g, square_avg, buf, lr, alpha, eps, weight_decay, momentum, maximize
):
    """RMSprop step with a momentum buffer ``buf = momentum * buf + g / avg``."""
    s = _rms_scalars(p, lr, alpha, eps, weight_decay, momentum)
    for i in numba.prange(p.size):
        gi, sq = _rms_square_avg(p[i], g[i], square_avg[i], s, maximize)
        square_avg[i] = sq
        b = buf[i] * s.mom + gi / (np.sqrt(sq) + s.eps)
        buf[i] = b
        p[i] = p[i] + b * s.neg_lr


@numba.njit(inline="always", error_model="numpy")
def _rms_centered(p_i, g_i, sq_i, ga_i, s, maximize):
    """Centered RMSprop's ``(g, square_avg, grad_avg, avg)`` for one element, ``grad_avg`` the
    running mean of g (``lerp(grad_avg, g, 1 - alpha)``), ``avg = sqrt(v - mean(g)**2) + eps``."""
    g_i, sq = _rms_square_avg(p_i, g_i, sq_i, s, maximize)
    ga = _lerp(ga_i, g_i, s.w, s.omw, s.low)
    return g_i, sq, ga, np.sqrt(sq - ga * ga) + s.eps


@_exact_kernel
def rmsprop_centered_update(p, g, square_avg, grad_avg, lr, alpha, eps, weight_decay, maximize):
    """Centered RMSprop step: ``avg = sqrt(v - mean(g)**2) + eps``."""
    s = _rms_scalars(p, lr, alpha, eps, weight_decay, 0.0)
    for i in numba.prange(p.size):
        gi, sq, ga, avg = _rms_centered(p[i], g[i], square_avg[i], grad_avg[i], s, maximize)
        square_avg[i] = sq
        grad_avg[i] = ga
        p[i] = p[i] + (gi / avg) * s.neg_lr


@_exact_kernel
def rmsprop_centered_momentum_update(
    p, g, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay, momentum, maximize
):
    """Centered RMSprop step with a momentum buffer."""
    s = _rms_scalars(p, lr, alpha, eps, weight_decay, momentum)
    for i in numba.prange(p.size):
        gi, sq, ga, avg = _rms_centered(p[i], g[i], square_avg[i], grad_avg[i], s, maximize)
        square_avg[i] = sq
        grad_avg[i] = ga
        b = buf[i] * s.mom + gi / avg
        buf[i] = b
        p[i] = p[i] + b * s.neg_lr


@_exact_kernel
def adagrad_update(p, g, state_sum, clr, weight_decay, eps, maximize):
    """Adagrad step with the decayed learning rate ``clr = lr / (1 + (t - 1) * lr_decay)``."""
    T = p.dtype.type
    neg_clr, eps_, wd = T(-clr), T(eps), T(weight_decay)
    use_wd = weight_decay != 0.0
    for i in numba.prange(p.size):
        gi = _effective_grad(p[i], g[i], wd, use_wd, maximize)
        s = state_sum[i] + gi * gi
        state_sum[i] = s
        p[i] = p[i] + (gi / (np.sqrt(s) + eps_)) * neg_clr


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def supports(*arrays) -> bool:
    """True when every array is a contiguous float32/float64 array of one dtype, the
    parameter and state buffers writeable (``arrays[1]``, the gradient, is only read).
    Asked once per parameter per step, so it is kept cheap: the common case (every array
    C-contiguous, aligned and writeable: ``flags.carray``) costs one flag look-up per array;
    otherwise each array is checked for what the kernels actually need."""
    dt = arrays[0].dtype
    if dt not in _FLOATS:
        return False
    for a in arrays:
        if a.dtype != dt:
            return False
        if not a.flags.carray:
            break
    else:
        return True
    for k, a in enumerate(arrays):
        flags = a.flags
        if a.dtype != dt or not flags.c_contiguous or (k != 1 and not flags.writeable):
            return False
    return True


def warmup(dtype) -> None:
    """Compile (or load from cache) every optimizer kernel for ``dtype``.

    Example:
        >>> warmup("float32")
    """

    def z():
        return np.zeros(2, dtype)

    adam = (0.9, 0.999, 1e-3, 0.0, 1e-8, 1.0, 1e-3, False, False)
    adam_update(z(), z(), z(), z(), *adam)
    adam_amsgrad_update(z(), z(), z(), z(), z(), *adam)
    sgd_update(z(), z(), 1e-2, 0.0, False)
    sgd_momentum_update(z(), z(), z(), True, 1e-2, 0.9, 0.0, 0.0, False, False)
    rms = (1e-2, 0.99, 1e-8, 0.0)
    rmsprop_update(z(), z(), z(), *rms, False)
    rmsprop_momentum_update(z(), z(), z(), z(), *rms, 0.9, False)
    rmsprop_centered_update(z(), z(), z(), z(), *rms, False)
    rmsprop_centered_momentum_update(z(), z(), z(), z(), z(), *rms, 0.9, False)
    adagrad_update(z(), z(), z(), 1e-2, 0.0, 1e-10, False)
