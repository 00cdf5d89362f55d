"""Distances (torch names): between paired vectors, cosine_similarity and pairwise_distance
(also ``torch.nn.functional``); between all pairs, cdist and pdist. All are composed of
differentiable reductions and norms; they follow torch at zero: the gradient of a 2-norm
that is 0 is 0.
"""

from __future__ import annotations

import numpy as np

from .. import amp as _amp
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor
from ._util import as_tensor_operand
from .compare import clamp_min
from .linalg import _TORCH_NAMES, _name
from .linalg_norm import _ref_vector_norm, vector_norm
from .reduce import norm
from .registry import register_functions
from .samples import normal, shaped_samples

__all__ = ["cosine_similarity", "pairwise_distance", "cdist", "pdist"]


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


_cosine_similarity_samples = shaped_samples(
    normal,
    ((3, 4), (3, 4)),
    ((2, 3, 1), (1, 3, 4), -1, 1e-6),
    ((4,), (3, 4), 1),
    ((5,), (5,), 0),
    arrays=2,
)


_pairwise_distance_samples = shaped_samples(
    normal,
    ((3, 4), (3, 4)),
    ((3, 4), (4,), 1.5, dict(keepdim=True)),
    ((2, 1, 3), (4, 3), np.inf),
    ((5,), (5,), 3.0, 0.0),
    arrays=2,
)


register_functions(
    "distance",
    [
        ("cosine_similarity", cosine_similarity, _ref_cosine, _cosine_similarity_samples),
        ("pairwise_distance", pairwise_distance, _ref_pairwise, _pairwise_distance_samples),
    ],
    functional=False,
)


# ---- distances -----------------------------------------------------------------------------
_COMPUTE_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


@_amp.float32_precision
def cdist(
    x1, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"
) -> Tensor:
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M): a (..., P, R) tensor; batch dimensions broadcast. Computed from the
    differences (``compute_mode`` is accepted for torch's signature; the result is the
    accurate one torch gives with ``'donot_use_mm_for_euclid_dist'``).

    Example:
        >>> autograd.cdist(autograd.tensor([[0.0, 0.0]]), autograd.tensor([[3.0, 4.0], [1.0, 0.0]]))
        tensor([[5., 1.]])
    """
    a, b = as_tensor_operand(x1), as_tensor_operand(x2)
    for name, t in (("X1", a), ("X2", b)):
        if t.ndim < 2:
            raise ShapeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    for name, t in (("X1", a), ("X2", b)):
        if not t.is_floating_point():
            raise DTypeError(
                f"cdist only supports floating-point dtypes, {name} got: {_name(t, _TORCH_NAMES)}"
            )
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(
            f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    return vector_norm(a.unsqueeze(-2) - b.unsqueeze(-3), p, -1)


def pdist(input, p: float = 2) -> Tensor:
    """The p-norm distances between all pairs of rows of a 2-D ``input`` (N, M): the upper
    triangle of ``cdist(input, input)`` row by row, a vector of N (N - 1) / 2 entries.

    Example:
        >>> autograd.pdist(autograd.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
        tensor([5.0000, 1.0000, 4.2426])
    """
    x = as_tensor_operand(input)
    if x.ndim != 2:
        raise ShapeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if not x.is_floating_point():
        raise DTypeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(x.shape[0], 1)
    return vector_norm(x[i] - x[j], p, -1)


def _ref_cdist(x1, x2, p=2.0):
    return _ref_vector_norm(x1[..., :, None, :] - x2[..., None, :, :], p, -1)


def _ref_pdist(x, p=2):
    i, j = np.triu_indices(x.shape[0], 1)
    return _ref_vector_norm(x[i] - x[j], p, -1)


_cdist_samples = shaped_samples(
    normal,
    ((4, 3), (5, 3)),
    ((2, 4, 3), (3, 3), 1.0),
    ((3, 2), (2, 1, 2), np.inf),
    ((3, 2), (4, 2), 3.0),
    ((0, 2), (4, 2)),
    arrays=2,
)


_pdist_samples = shaped_samples(normal, ((4, 3),), ((5, 2), 1.0), ((3, 2), np.inf), ((1, 2),))


register_functions(
    "distance",
    [
        ("cdist", cdist, _ref_cdist, _cdist_samples),
        ("pdist", pdist, _ref_pdist, _pdist_samples),
    ],
    functional=False,
)
