"""Loss functions with ``reduction`` = 'mean' | 'sum' | 'none' (torch.nn.functional names).

All are composed from stable primitives (``log_softmax``, ``logsigmoid``, ``softplus``),
except ``binary_cross_entropy``, a small fused op so that probabilities of exactly 0 or 1
give torch's finite, clamped values and gradients.
"""
from __future__ import annotations

import warnings

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import ShapeError, DTypeError
from autograd.function import Op

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _pointwise_inputs(input, target, name):
    if not isinstance(target, Tensor):
        target = autograd.tensor(target, dtype=input.dtype)
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=3)
    return target


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight=None) -> Tensor:
    """Mean squared error ``(input - target)**2``.

    Example:
        >>> F.mse_loss(autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 4.0]))
        tensor(2.)
    """
    _check_reduction(reduction)
    target = _pointwise_inputs(input, target, "mse_loss")
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight=None) -> Tensor:
    """Mean absolute error ``|input - target|``.

    Example:
        >>> F.l1_loss(autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 4.0]))
        tensor(1.)
    """
    _check_reduction(reduction)
    target = _pointwise_inputs(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
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
    loss = autograd.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
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
    loss = autograd.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ---- classification --------------------------------------------------------------------
def _class_dim_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N, d1, ..., C) so classes are the last dim."""
    if x.dim() <= 2:
        return x
    return x.permute(0, *range(2, x.dim()), 1)


def _check_class_target(input: Tensor, target: Tensor, opname: str):
    if not isinstance(target, Tensor):
        raise TypeError(f"{opname}(): argument 'target' must be Tensor, not {type(target).__name__}")
    if input.dim() == 0:
        raise ShapeError(f"{opname}: input must have at least 1 dimension (classes), got a 0-d tensor")
    if input.dim() >= 2 and target.dim() >= 1 and input.shape[0] != target.shape[0] \
            and target.dim() == input.dim() - 1:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    expected = input.shape[:1] + input.shape[2:] if input.dim() >= 2 else ()
    if tuple(target.shape) != tuple(expected):
        if input.dim() >= 2 and target.dim() >= 1 and input.shape[0] != target.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                             f"batch_size ({target.shape[0]}).")
        raise ShapeError(f"{opname}: expected target of shape {list(expected)} for input of shape "
                         f"{list(input.shape)}, got {list(target.shape)}")


def _nll_from_logp(logp: Tensor, target: Tensor, weight, ignore_index: int, reduction: str,
                   label_smoothing: float = 0.0, opname: str = "nll_loss") -> Tensor:
    """Shared by nll_loss and cross_entropy with class-index targets (logp has classes at dim 1)."""
    if target.dtype.is_floating_point or target.dtype == autograd.bool:
        name = {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool"}.get(
            target.dtype.name if hasattr(target.dtype, "name") else str(target.dtype), str(target.dtype))
        raise DTypeError(f"expected target dtype to be Long or Byte, but got {name}")
    C = logp.shape[1] if logp.dim() >= 2 else logp.shape[0]
    t = target._data.astype(np.int64)
    ignored = t == ignore_index
    bad = (~ignored) & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    safe = np.where(ignored, 0, t)
    if weight is not None:
        if weight.shape != (C,):
            raise ShapeError(f"{opname}: weight tensor should be defined either for all {C} classes "
                             f"or no classes but got weight tensor of shape: {list(weight.shape)}")
        w_np = weight._data.astype(logp._data.dtype)
    else:
        w_np = np.ones(C, dtype=logp._data.dtype)
    # weight of each sample's true class (0 where ignored): a constant
    sample_w = np.where(ignored, 0.0, w_np[safe]).astype(logp._data.dtype)
    if logp.dim() == 1:
        lp = logp.unsqueeze(0)
        safe, sample_w = safe.reshape(1), sample_w.reshape(1)
    else:
        lp = _class_dim_last(logp)
    hot = np.zeros(lp.shape, dtype=lp._data.dtype)
    np.put_along_axis(hot, safe[..., None], 1.0, axis=-1)
    picked = (lp * Tensor._make(hot)).sum(-1)            # logp of the true class
    nll = -picked * Tensor._make(sample_w)
    if logp.dim() == 1:
        nll = nll.reshape(())
        sample_w = sample_w.reshape(())
    if label_smoothing > 0:
        w_row = Tensor._make(w_np) if weight is None else weight.to(lp.dtype)
        smooth = -(lp * w_row).sum(-1) * Tensor._make((~ignored).astype(lp._data.dtype).reshape(
            nll.shape))
    if reduction == "none":
        out = nll
        if label_smoothing > 0:
            out = (1 - label_smoothing) * nll + (label_smoothing / C) * smooth
        return out
    total_w = float(sample_w.sum())
    if reduction == "sum":
        out = nll.sum()
        if label_smoothing > 0:
            out = (1 - label_smoothing) * out + (label_smoothing / C) * smooth.sum()
        return out
    if reduction != "mean":
        raise ValueError(f"{reduction} is not a valid value for reduction")
    # torch: weighted mean = sum / sum of the true classes' weights (nan if all ignored)
    denom = Tensor._make(np.asarray(total_w, dtype=lp._data.dtype))
    out = nll.sum() / denom
    if label_smoothing > 0:
        out = (1 - label_smoothing) * out + (label_smoothing / C) * (smooth.sum() / denom)
    return out


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C, ...) at class indices.

    Example:
        >>> logp = autograd.log(autograd.tensor([[0.5, 0.5], [0.9, 0.1]]))
        >>> round(F.nll_loss(logp, autograd.tensor([0, 0])).item(), 4)
        0.3993
    """
    _check_reduction(reduction)
    _check_class_target(input, target, "nll_loss")
    return _nll_from_logp(input, target, weight, ignore_index, reduction, 0.0, "nll_loss")


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of unnormalised logits ``input`` (N, C, ...) against class indices
    (int tensor of shape (N, ...)) or class probabilities (float, same shape as input).

    Stable for any logits (uses log_softmax). Example:
        >>> F.cross_entropy(autograd.tensor([[1000.0, -1000.0]]), autograd.tensor([0]))
        tensor(0.)
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if not isinstance(target, Tensor):
        raise TypeError(f"cross_entropy(): argument 'target' must be Tensor, not {type(target).__name__}")
    class_dim = 1 if input.dim() >= 2 else 0
    logp = autograd.log_softmax(input, class_dim)
    if target.dtype.is_floating_point and target.shape == input.shape:
        # class probabilities
        C = input.shape[class_dim]
        probs = target.to(input.dtype)
        if label_smoothing > 0:
            probs = probs * (1 - label_smoothing) + label_smoothing / C
        terms = logp * probs
        if weight is not None:
            shape = [1] * input.dim()
            shape[class_dim] = C
            terms = terms * weight.reshape(shape)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            n = loss.numel()
            return loss.sum() / n if n else loss.sum() * float("nan")
        return _reduce(loss, reduction)
    if target.dtype.is_floating_point:
        if input.dim() >= 2 and target.dim() >= 1 and target.shape[0] != input.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                             f"batch_size ({target.shape[0]}).")
        _nll_from_logp(logp, target, weight, ignore_index, reduction)  # raises the dtype error
    _check_class_target(input, target, "cross_entropy")
    return _nll_from_logp(logp, target, weight, ignore_index, reduction, label_smoothing,
                          "cross_entropy")


# ---- binary ----------------------------------------------------------------------------
class BinaryCrossEntropy(Op):
    """-(y log x + (1-y) log(1-x)) with logs clamped at -100 (torch), elementwise.

    d/dx = (x - y) / max(x (1 - x), 1e-12): finite even at x = 0 or 1.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        log_x = np.maximum(np.log(x), -100.0)
        log_1mx = np.maximum(np.log1p(-x), -100.0)
        return -(y * log_x + (1 - y) * log_1mx)

    @staticmethod
    def backward(ctx, g, xp):
        x, y = ctx.saved_tensors
        denom = xp.maximum(x * (1 - x), xp.asarray(np.asarray(1e-12, dtype=_dtype_of(x))))
        gx = g * (x - y) / denom if ctx.needs_input_grad[0] else None
        gy = None
        if ctx.needs_input_grad[1]:
            gy = g * (xp.maximum(xp.log1p(-x), xp.asarray(np.asarray(-100.0, dtype=_dtype_of(x))))
                      - xp.maximum(xp.log(x), xp.asarray(np.asarray(-100.0, dtype=_dtype_of(x)))))
        return gx, gy


def _dtype_of(a):
    return a._data.dtype if isinstance(a, Tensor) else a.dtype


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """BCE of probabilities ``input`` in [0, 1]; logs are clamped at -100 like torch.

    Example:
        >>> F.binary_cross_entropy(autograd.tensor([0.0, 1.0]), autograd.tensor([0.0, 1.0]))
        tensor(0.)
    """
    _check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = autograd.tensor(target, dtype=input.dtype)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    x = input._data
    if x.size and (np.any(x < 0) or np.any(x > 1) or np.any(np.isnan(x))):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE on logits, stable for any logit: ``(1-y) x - (1 + (pw-1) y) logsigmoid(x)``.

    Example:
        >>> F.binary_cross_entropy_with_logits(autograd.tensor([1000.0]), autograd.tensor([1.0]))
        tensor(0.)
    """
    _check_reduction(reduction)
    if not isinstance(target, Tensor):
        target = autograd.tensor(target, dtype=input.dtype)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    target = target.to(input.dtype)
    log_sig = autograd.logsigmoid(input)
    if pos_weight is not None:
        lw = 1 + (pos_weight - 1) * target
        loss = (1 - target) * input - lw * log_sig
    else:
        loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
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
        target = autograd.tensor(target, dtype=input.dtype)
    if log_target:
        loss = autograd.exp(target) * (target - input)
    else:
        # xlogy gives 0 where target == 0 (0 log 0 = 0), like torch
        loss = autograd.xlogy(target, target) - target * input
    if reduction == "batchmean":
        if input.dim() == 0:
            return loss.sum()
        return loss.sum() / input.shape[0]
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with the "
                      "KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    return _reduce(loss, reduction)
