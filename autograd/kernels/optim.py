"""Fused optimizer updates: one pass over each parameter, in place, no temporaries.

The NumPy routines in ``optim/_functional.py`` are the reference (they make ~13 passes
over memory for Adam); these do the same arithmetic per element in one pass. Float32
parameters are updated with float64 intermediates, so results agree with the reference to
float32 rounding (and to ~1 ulp in float64).
"""
from __future__ import annotations

import math

import numba

from .parallel import kernel


@kernel
def adam_update(p, g, m, v, vmax, amsgrad, beta1, beta2, step_size, bc2_sqrt, eps, decay,
                grad_wd, maximize):
    """Adam/AdamW step. ``decay`` = 1 - lr * wd for decoupled decay (else 1); ``grad_wd``
    the coupled weight decay; ``vmax`` the running max of ``v`` when ``amsgrad``."""
    w = 1.0 - beta1
    for i in numba.prange(p.size):
        pi = p[i] * decay
        gi = -g[i] if maximize else g[i]
        gi = pi * grad_wd + gi if grad_wd != 0.0 else gi
        d = gi - m[i]
        mi = m[i] + d * w if w < 0.5 else gi - d * (1.0 - w)  # torch's two-sided lerp
        vi = v[i] * beta2 + (gi * (1.0 - beta2)) * gi
        m[i] = mi
        v[i] = vi
        if amsgrad:
            vi = max(vmax[i], vi)
            vmax[i] = vi
        denom = math.sqrt(vi) / bc2_sqrt + eps
        p[i] = pi + (mi / denom) * (-step_size)


@kernel
def sgd_momentum_update(p, g, buf, first, lr, momentum, dampening, weight_decay, nesterov,
                        maximize):
    """SGD with momentum (``first``: the buffer is initialised from the gradient)."""
    for i in numba.prange(p.size):
        gi = -g[i] if maximize else g[i]
        gi = p[i] * weight_decay + gi if weight_decay != 0.0 else gi
        b = gi if first else buf[i] * momentum + gi * (1.0 - dampening)
        buf[i] = b
        step = gi + b * momentum if nesterov else b
        p[i] = p[i] + step * (-lr)
