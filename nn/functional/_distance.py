"""cosine_similarity and pairwise_distance (functional forms)."""
from __future__ import annotations

import autograd
from autograd import Tensor

__all__ = ["cosine_similarity", "pairwise_distance"]


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (broadcasting).

    Example:
        >>> F.cosine_similarity(autograd.tensor([[1.0, 0.0]]), autograd.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    n1 = autograd.clamp_min((x1 * x1).sum(dim, keepdim=True).sqrt(), eps)
    n2 = autograd.clamp_min((x2 * x2).sum(dim, keepdim=True).sqrt(), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim.

    Example:
        >>> F.pairwise_distance(autograd.tensor([[0.0, 0.0]]), autograd.tensor([[3.0, 4.0]]), eps=0)
        tensor([5.])
    """
    d = x1 - x2 + eps
    return autograd.norm(d, p, -1, keepdim=keepdim)
