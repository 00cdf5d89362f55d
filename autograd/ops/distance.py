"""Distances between paired vectors (torch names, also ``torch.nn.functional``):
cosine_similarity and pairwise_distance, composed of differentiable reductions.
(``cdist`` / ``pdist``, distances between all pairs, are in linalg_norm.py.)
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .compare import clamp_min
from .reduce import norm
from .registry import OpInfo, Sample, register

__all__ = ["cosine_similarity", "pairwise_distance"]


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """||x|| along ``dim`` with its value clamped at ``eps`` but the gradient of the norm
    itself (torch clamps in place without recording it); 0 at a zero vector."""
    n = norm(x, 2, dim, keepdim=True)
    # the shift up to eps, as max(eps - n, 0): clamp_min(n, eps) - n is inf - inf = nan for an
    # overflowing norm
    return n + clamp_min(eps - n, 0.0).detach()


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``<x1, x2> / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``, after broadcasting
    (each vector is normalised first, which keeps the result within [-1, 1]).

    Example:
        >>> autograd.cosine_similarity(autograd.tensor([[1.0, 0.0]]),
        ...                            autograd.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    for name, x in (("x1", x1), ("x2", x2)):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"cosine_similarity(): argument '{name}' must be Tensor, not {type(x).__name__}"
            )
    shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(shape), x2.expand(shape)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim (``eps`` keeps the gradient finite when
    x1 == x2).

    Example:
        >>> autograd.pairwise_distance(autograd.tensor([[0.0, 0.0]]),
        ...                            autograd.tensor([[3.0, 4.0]]), eps=0)
        tensor([5.])
    """
    for name, x in (("x1", x1), ("x2", x2)):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"pairwise_distance(): argument '{name}' must be Tensor, not {type(x).__name__}"
            )
    return norm(x1 - x2 + eps, p, -1, keepdim=keepdim)


def _ref_cosine(x1, x2, dim=1, eps=1e-8):
    x1, x2 = np.broadcast_arrays(x1, x2)
    n1 = np.maximum(np.sqrt((x1**2).sum(dim, keepdims=True)), eps)
    n2 = np.maximum(np.sqrt((x2**2).sum(dim, keepdims=True)), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _ref_pairwise(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = np.abs(x1 - x2 + eps)
    out = d.max(-1, keepdims=True) if p == np.inf else (d**p).sum(-1, keepdims=True) ** (1 / p)
    return out if keepdim else out[..., 0]


register(
    OpInfo(
        "cosine_similarity",
        cosine_similarity,
        ref=_ref_cosine,
        method=False,
        family="distance",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(3, 4))),
            Sample(rng.normal(size=(2, 3, 1)), rng.normal(size=(1, 3, 4)), -1, 1e-6),
            Sample(rng.normal(size=(4,)), rng.normal(size=(3, 4)), 1),
            Sample(rng.normal(size=(5,)), rng.normal(size=(5,)), 0),
        ],
    )
)
register(
    OpInfo(
        "pairwise_distance",
        pairwise_distance,
        ref=_ref_pairwise,
        method=False,
        family="distance",
        samples=lambda rng: [
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(3, 4))),
            Sample(rng.normal(size=(3, 4)), rng.normal(size=(4,)), 1.5, keepdim=True),
            Sample(rng.normal(size=(2, 1, 3)), rng.normal(size=(4, 3)), np.inf),
            Sample(rng.normal(size=(5,)), rng.normal(size=(5,)), 3.0, 0.0),
        ],
    )
)
