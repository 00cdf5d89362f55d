"""Helpers shared by the distributions (mirrors ``torch.distributions.utils``)."""

from __future__ import annotations

import functools
import numbers

import numpy as np

import autograd
from autograd.tensor import Tensor

__all__ = [
    "broadcast_all",
    "logits_to_probs",
    "probs_to_logits",
    "clamp_probs",
    "lazy_property",
    "euler_constant",
]

euler_constant = 0.57721566490153286060  # the Euler-Mascheroni constant


def broadcast_all(*values):
    """Tensors and numbers -> tensors of one broadcast shape. Numbers take the dtype of the
    first tensor argument (the default dtype if there is none).

    Example:
        >>> loc, scale = broadcast_all(autograd.zeros(3), 1.0)
        >>> scale
        tensor([1., 1., 1.])
    """
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, torch.Tensor or "
            "objects implementing __torch_function__."
        )
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = like.dtype if like is not None else autograd.get_default_dtype()
    tensors = [v if isinstance(v, Tensor) else autograd.tensor(v, dtype=dtype) for v in values]
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else t.expand(shape) for t in tensors)


def finfo(t: Tensor):
    return np.finfo(t._data.dtype)


def _standard_normal(shape, dtype) -> Tensor:
    return autograd.randn(tuple(shape), dtype=dtype)


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum the ``dim`` rightmost dimensions (an event's log-density is the sum over it)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """``sigmoid`` (binary) or ``softmax`` over the last dimension."""
    return logits.sigmoid() if is_binary else autograd.softmax(logits, -1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities kept in ``[eps, 1 - eps]`` so their logs stay finite."""
    eps = float(finfo(probs).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """``log(p) - log(1 - p)`` (binary) or ``log(p)`` of the clamped probabilities."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def _softplus(x: Tensor) -> Tensor:
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|). The max is written
    (x + |x|) / 2 so that the gradient at x = 0 is the derivative's 1/2 (a clamp's is 1)."""
    return (x + x.abs()) / 2 + (-x.abs()).exp().log1p()


class lazy_property:
    """A property computed on first access and then stored on the instance (so ``probs`` is
    only derived from ``logits`` when somebody asks for it). Computed with gradient
    recording on, like torch, so the result stays differentiable."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with autograd.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _inner_property(inner: str, name: str) -> property:
    """A read-only property that returns ``self.<inner>.<name>``: what an object built around
    another one reports unchanged (``Independent``'s ``base_dist``, ``OneHotCategorical``'s
    categorical, the base transform of ``IndependentTransform``, the base constraint of
    ``independent``).

    Example:
        >>> class Wrapper:
        ...     mean = _inner_property("base", "real")
        ...     def __init__(self, base):
        ...         self.base = base
        >>> Wrapper(3.0).mean
        3.0
    """
    return property(lambda self: getattr(getattr(self, inner), name))
