"""Gradient clipping (in place on ``p.grad``)."""

from __future__ import annotations

import math

import numpy as np

from autograd import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grad_norm"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale all gradients together so their joint ``norm_type``-norm is at most ``max_norm``;
    returns the total norm before clipping.

    Example:
        >>> w = nn.Parameter(autograd.zeros(2)); w.grad = autograd.tensor([3.0, 4.0])
        >>> nn.utils.clip_grad_norm_([w], 1.0)
        tensor(5.)
        >>> w.grad
        tensor([0.6000, 0.8000])
    """
    params = _grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return Tensor._make(np.asarray(0.0, dtype=np.float32))
    arrays = [p.grad._data for p in params]
    dt = np.result_type(*[a.dtype for a in arrays])
    with np.errstate(over="ignore", invalid="ignore"):
        # torch's total is the norm of the per-gradient norms: for finite p != 0 the p-norm of
        # all elements; for -inf the smallest |element|, for 0 the count of nonzero gradients
        if norm_type == math.inf:  # nan anywhere makes the norm nan, as in torch
            total = float(np.max([np.max(np.abs(a)) if a.size else 0.0 for a in arrays]))
        elif norm_type == -math.inf:
            total = float(np.min([np.min(np.abs(a)) if a.size else math.inf for a in arrays]))
        elif norm_type == 0:
            total = float(sum(bool(np.count_nonzero(a)) for a in arrays))
        else:
            per = [np.sum(np.abs(a.astype(np.float64)) ** norm_type) for a in arrays]
            total = float(np.sum(per)) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    # torch multiplies by min(coef, 1) unconditionally: a nan norm makes every gradient nan (the
    # step is visibly broken instead of half applied), an inf norm zeroes the finite ones
    clip_coef = float(max_norm) / (total + 1e-6)
    clip_coef = clip_coef if math.isnan(clip_coef) else min(clip_coef, 1.0)
    if clip_coef != 1.0:
        with np.errstate(invalid="ignore"):
            for p in params:
                g = p.grad
                if g._data.flags.writeable:  # in place, like torch's mul_
                    np.multiply(g._data, clip_coef, out=g._data, casting="unsafe")
                else:
                    g._data = (g._data * clip_coef).astype(g._data.dtype)
    return Tensor._make(np.asarray(total, dtype=dt))


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of ``clip_grad_norm_``."""
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]`` in place.

    Example:
        >>> w = nn.Parameter(autograd.zeros(2)); w.grad = autograd.tensor([-3.0, 0.5])
        >>> nn.utils.clip_grad_value_([w], 1.0); w.grad
        tensor([-1.0000,  0.5000])
    """
    c = float(clip_value)
    for p in _grads(parameters):
        np.clip(p.grad._data, -c, c, out=p.grad._data)
