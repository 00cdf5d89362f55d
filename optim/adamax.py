"""Adamax: Adam with the infinity norm (mirrors ``torch.optim.Adamax``)."""

from . import _differentiable as D
from . import _functional as F
from .adam import _check_adam_like
from .optimizer import Optimizer


class Adamax(Optimizer):
    """Adam variant that scales by an exponentially weighted infinity norm of past
    gradients (``exp_inf``) instead of their root mean square.

    Example:
        >>> opt = optim.Adamax(model.parameters(), lr=2e-3)
    """

    _differentiable_rule = staticmethod(D.adamax)  # the step as autograd ops
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
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update(self, group, params, grads, state):
        beta1, beta2 = group["betas"]
        F.adamax(
            params,
            grads,
            state["exp_avg"],
            state["exp_inf"],
            state["step"],
            eps=group["eps"],
            beta1=beta1,
            beta2=beta2,
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
            workspace=self._workspace,
        )
