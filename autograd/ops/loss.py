"""Regression and likelihood losses with ``reduction`` = 'mean' | 'sum' | 'none'
(torch.nn.functional names): mse_loss, l1_loss, smooth_l1_loss, huber_loss, kl_div,
gaussian_nll_loss, poisson_nll_loss; and the ``reduction`` helpers every loss family shares.

All are composed from stable primitives. The classification losses (cross_entropy,
nll_loss, binary_cross_entropy ...) are in ``classification_loss.py``, the margin and ranking
losses in ``margin_loss.py``, ctc_loss in ``ctc.py``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..tensor import Tensor
from .compare import where
from .unary import exp
from .math import xlogy
from .registry import Sample, register_functions
from .. import amp as _amp

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "gaussian_nll_loss",
    "poisson_nll_loss",
]


def _reduce(loss: Tensor, reduction: str, weight=None) -> Tensor:
    """``loss`` times ``weight`` (if given), reduced as ``reduction`` says."""
    if weight is not None:
        loss = loss * weight
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's translation of the deprecated ``size_average`` / ``reduce`` arguments (with its
    warning); ``reduction`` itself when both are None. The value is then checked."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.",
            stacklevel=3,
        )
    _check_reduction(reduction)
    return reduction


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _pointwise_inputs(input, target, name, mismatch: str | None = None):
    """``target`` as a Tensor (numbers and arrays in ``input``'s dtype) for a loss that pairs
    it with ``input`` element by element. A target of another shape raises the ValueError
    ``mismatch`` (formatted with ``target`` and ``input``, the two shapes: the BCE losses) or,
    without one, gets torch's warning that it will broadcast (the regression losses)."""
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=input.dtype)
    if target.shape != input.shape:
        if mismatch is not None:
            raise ValueError(mismatch.format(target=target.shape, input=input.shape))
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )
    return target


def _difference_loss(input, target, reduction, weight, opname, of_difference):
    """``of_difference(input - target)``, times ``weight`` if given, reduced."""
    _check_reduction(reduction)
    target = _pointwise_inputs(input, target, opname)
    loss = of_difference(input - target)
    return _reduce(loss, reduction, weight)


@_amp.float32_precision
def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight=None,
) -> Tensor:
    """Mean squared error ``(input - target)**2``.

    Example:
        >>> F.mse_loss(autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 4.0]))
        tensor(2.)
    """
    return _difference_loss(input, target, reduction, weight, "mse_loss", lambda d: d * d)


@_amp.float32_precision
def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight=None,
) -> Tensor:
    """Mean absolute error ``|input - target|`` (``reduction``: 'mean', 'sum' or 'none'; each
    term times ``weight`` when given).

    Example:
        >>> F.l1_loss(autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 4.0]))
        tensor(1.)
    """
    return _difference_loss(input, target, reduction, weight, "l1_loss", lambda d: d.abs())


@_amp.float32_precision
def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Quadratic ``0.5 d**2 / beta`` for ``|d| < beta``, linear ``|d| - beta/2`` beyond.

    Example:
        >>> F.smooth_l1_loss(autograd.tensor([0.5, 3.0]), autograd.zeros(2), reduction="none")
        tensor([0.1250, 2.5000])
    """
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    target = _pointwise_inputs(input, target, "smooth_l1_loss")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    loss = where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


@_amp.float32_precision
def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight=None
) -> Tensor:
    """``0.5 d**2`` for ``|d| < delta``, ``delta (|d| - delta/2)`` beyond (= delta * smooth_l1).

    Example:
        >>> F.huber_loss(autograd.tensor([0.5, 3.0]), autograd.zeros(2), reduction="none")
        tensor([0.1250, 2.5000])
    """
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    target = _pointwise_inputs(input, target, "huber_loss")
    d = (input - target).abs()
    loss = where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce(loss, reduction, weight)


@_amp.float32_precision
def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL divergence with ``input`` = log-probabilities: ``target * (log target - input)``.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematically right KL).

    Example:
        >>> p = autograd.tensor([0.5, 0.5])
        >>> F.kl_div(p.log(), p, reduction="sum")
        tensor(0.)
    """
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=input.dtype)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        # xlogy gives 0 where target == 0 (0 log 0 = 0), like torch
        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        if input.dim() == 0:
            return loss.sum()
        return loss.sum() / input.shape[0]
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the "
            "support size.'batchmean' divides only by the batch size, and aligns with the "
            "KL div math definition.'mean' will be changed to behave the same as "
            "'batchmean' in the next major release.",
            UserWarning,
            stacklevel=2,
        )
    return _reduce(loss, reduction)


# ---- likelihood losses -----------------------------------------------------------------
@_amp.float32_precision
def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` under N(input, var): ``0.5 (log var + (input -
    target)**2 / var)`` (+ ``0.5 log(2 pi)`` with ``full``). ``var`` has the input's shape, or
    one dim of size 1 (or missing at the end) for a variance shared along it, or is a float.
    It is clamped at ``eps`` for stability; as in torch the clamp does not stop its gradient.

    Example:
        >>> F.gaussian_nll_loss(autograd.zeros(2), autograd.ones(2), autograd.ones(2))
        tensor(0.5000)
    """
    from .arithmetic import mul

    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = mul(Tensor._make(np.ones(input.shape, input._data.dtype)), float(var))
    elif not isinstance(var, Tensor):
        raise TypeError(
            f"gaussian_nll_loss(): argument 'var' must be Tensor or float, not {type(var).__name__}"
        )
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:  # shared over the last dim: (..., 1)
            var = var.unsqueeze(-1)
        elif not (
            input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + (var.clamp_min(eps) - var).detach()  # the value clamped, the gradient not
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


@_amp.float32_precision
def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of counts ``target`` under Poisson(rate): ``exp(input) - target
    * input`` for a log-rate input (default), ``input - target * log(input + eps)`` for a
    rate; ``full`` adds Stirling's approximation of ``log(target!)`` (for targets > 1).

    Example:
        >>> F.poisson_nll_loss(autograd.zeros(2), autograd.tensor([1.0, 2.0]))
        tensor(1.)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    for name, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"poisson_nll_loss(): argument '{name}' must be Tensor, not {type(t).__name__}"
            )
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:  # Stirling's log(t!) ~ t log t - t + log(2 pi t) / 2, for targets > 1 only
        big = target > 1
        t = where(big, target, 2.0)  # (2 where masked: no log of 0 in the value or gradient)
        loss = loss + where(big, t * t.log() - t + 0.5 * (2 * math.pi * t).log(), 0.0)
    return _reduce(loss, reduction)


def _ref_reduce(loss, reduction, dtype=None):
    """The NumPy references' ``reduction``: the array, or its mean or sum as a 0-d array."""
    if reduction == "none":
        return loss
    return np.asarray(loss.mean() if reduction == "mean" else loss.sum(), dtype)


def _ref_gaussian_nll(x, t, var, full=False, eps=1e-6, reduction="mean"):
    var = np.full_like(x, var) if np.ndim(var) == 0 else var
    if var.shape != x.shape and x.shape[:-1] == var.shape:
        var = var[..., None]
    var = np.maximum(var, eps)
    loss = 0.5 * (np.log(var) + (x - t) ** 2 / var) + (0.5 * np.log(2 * np.pi) if full else 0)
    return _ref_reduce(loss, reduction)


def _ref_poisson_nll(
    x, t, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"
):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    if full:
        safe = np.where(t > 1, t, 2.0)
        loss = loss + np.where(
            t > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0.0
        )
    return _ref_reduce(loss, reduction)


def _gaussian_nll_loss_samples(rng):
    return [
        Sample(rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(0.5, 2, (3, 4))),
        Sample(
            rng.normal(size=(2, 3)),
            rng.normal(size=(2, 3)),
            rng.uniform(0.5, 2, (2,)),
            True,
            reduction="sum",
        ),  # shared var
        Sample(
            rng.normal(size=(2, 3, 2)),
            rng.normal(size=(2, 3, 2)),
            rng.uniform(0.5, 2, (2, 1, 2)),
            reduction="none",
        ),
        Sample(rng.normal(size=(4,)), rng.normal(size=(4,)), 0.7),
        Sample(
            rng.normal(size=(3,)),
            rng.normal(size=(3,)),
            np.array([1e-8, 0.5, 2.0]),
            eps=1e-3,
            # (clamped var: its gradient is torch's, not the finite difference)
            no_grad_args=(2,),
        ),
    ]


def _poisson_nll_loss_samples(rng):
    return [
        Sample(rng.normal(size=(3, 4)), rng.poisson(2.0, (3, 4)).astype(float)),
        Sample(rng.uniform(0.5, 3, (5,)), rng.uniform(0.2, 4, (5,)), False, True, reduction="none"),
        Sample(rng.normal(size=(2, 3)), rng.uniform(0.2, 4, (2, 3)), True, True, reduction="sum"),
    ]


register_functions(
    "loss",
    [
        ("gaussian_nll_loss", gaussian_nll_loss, _ref_gaussian_nll, _gaussian_nll_loss_samples),
        ("poisson_nll_loss", poisson_nll_loss, _ref_poisson_nll, _poisson_nll_loss_samples),
    ],
    namespace="nn.functional",
)
