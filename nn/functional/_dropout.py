"""dropout, dropout1d/2d, alpha_dropout (masks drawn from ``autograd``'s default generator,
so ``autograd.manual_seed`` makes them reproducible)."""

from __future__ import annotations

import numpy as np

from autograd import Tensor
from autograd.random import default_generator

__all__ = ["dropout", "dropout1d", "dropout2d", "alpha_dropout"]


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input: Tensor, keep: np.ndarray, p: float, inplace: bool) -> Tensor:
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = Tensor._make((keep * scale).astype(input._data.dtype))
    if inplace:
        return input.mul_(mask)
    return input * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    (identity when not training).

    Example:
        >>> autograd.manual_seed(0)  # doctest: +ELLIPSIS
        <...>
        >>> y = F.dropout(autograd.ones(1000), 0.5)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    keep = default_generator.numpy.random(input.shape) >= p
    return _apply_mask(input, keep, p, inplace)


def _channel_dropout(input, p, training, inplace, spatial, name):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if input.dim() not in (spatial + 1, spatial + 2):
        raise ValueError(
            f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received a "
            f"{input.dim()}D input"
        )
    batched = input.dim() == spatial + 2
    lead = input.shape[:2] if batched else input.shape[:1]
    keep = default_generator.numpy.random(lead) >= p
    keep = keep.reshape(tuple(lead) + (1,) * spatial)
    return _apply_mask(input, keep, p, inplace)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, L) input with probability ``p``."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels (feature maps) of (N, C, H, W) input with probability ``p``.

    Example:
        >>> y = F.dropout2d(autograd.ones(2, 8, 3, 3), 0.5)
        >>> set(y.sum((2, 3)).flatten().tolist()) <= {0.0, 18.0}
        True
    """
    return _channel_dropout(input, p, training, inplace, 2, "dropout2d")


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout that keeps SELU's self-normalising mean and variance."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    alpha_p = -1.7580993408473766  # -selu_scale * selu_alpha
    keep = default_generator.numpy.random(input.shape) >= p
    a = ((1 - p) * (1 + p * alpha_p**2)) ** -0.5
    b = -a * alpha_p * p
    dt = input._data.dtype
    out = input * Tensor._make((keep * a).astype(dt)) + Tensor._make(
        ((~keep) * (a * alpha_p) + b).astype(dt)
    )
    return out
