"""gumbel_softmax: a differentiable sample from a categorical distribution (Jang et al.,
"Categorical Reparameterization with Gumbel-Softmax"; Maddison et al., "The Concrete
Distribution"), drawn from ``autograd``'s default generator."""

from __future__ import annotations

import warnings

import autograd
from autograd import Tensor

__all__ = ["gumbel_softmax"]


def gumbel_softmax(
    logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """``softmax((logits + g) / tau)`` with ``g`` Gumbel(0, 1) noise: as ``tau`` -> 0 the
    sample approaches a one-hot vector whose class is distributed as ``softmax(logits)``.
    With ``hard=True`` the result is exactly one-hot (the argmax) while its gradient is the
    soft sample's (straight-through estimator).

    Example:
        >>> y = F.gumbel_softmax(autograd.zeros(4, 3), tau=0.5, hard=True)
        >>> y.sum(-1)
        tensor([1., 1., 1., 1.])
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if not isinstance(logits, Tensor):
        raise TypeError(
            f"gumbel_softmax(): argument 'logits' must be Tensor, not {type(logits).__name__}"
        )
    # -log(E) with E ~ Exp(1) is Gumbel(0, 1) (torch draws it the same way)
    gumbels = -autograd.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = autograd.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
