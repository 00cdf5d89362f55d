"""cosine_similarity and pairwise_distance (functional forms)."""
from __future__ import annotations

import numpy as np

import autograd
from autograd import Tensor

__all__ = ["cosine_similarity", "pairwise_distance"]


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (broadcasting).

    Example:
        >>> F.cosine_similarity(autograd.tensor([[1.0, 0.0]]), autograd.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))  # torch broadcasts first
    x1, x2 = x1.expand(shape), x2.expand(shape)
    n1, n2 = (_clamped_norm(x, dim, eps) for x in (x1, x2))
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """||x|| along ``dim`` with its value clamped at ``eps`` but its gradient that of the norm
    itself (torch clamps in place without recording it), 0 at a zero vector."""
    norm = autograd.norm(x, 2, dim, keepdim=True)
    return norm + (autograd.clamp_min(norm, eps) - norm).detach()


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim.

    Example:
        >>> F.pairwise_distance(autograd.tensor([[0.0, 0.0]]), autograd.tensor([[3.0, 4.0]]), eps=0)
        tensor([5.])
    """
    d = x1 - x2 + eps
    return autograd.norm(d, p, -1, keepdim=keepdim)
