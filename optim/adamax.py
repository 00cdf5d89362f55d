"""Adamax: Adam with the infinity norm (mirrors ``torch.optim.Adamax``)."""

from . import _differentiable as D
from . import _functional as F
from .adam import _check_adam_like
from .optimizer import Optimizer, _hyperparameters


class Adamax(Optimizer):
    """Adam variant that scales by an exponentially weighted infinity norm of past
    gradients (``exp_inf``) instead of their root mean square.

    Example:
        >>> opt = optim.Adamax(model.parameters(), lr=2e-3)
    """

    _differentiable_rule = staticmethod(D.adamax)  # the step as autograd ops
    _routine = staticmethod(F.adamax)
    _routine_state = ("exp_avg", "exp_inf", "step")
    _buffers = ("exp_avg", "exp_inf")

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        _check_adam_like(lr, betas, eps, weight_decay)
        super().__init__(params, _hyperparameters(locals(), betas=tuple(betas)))
