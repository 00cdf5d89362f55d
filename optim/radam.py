"""RAdam: rectified Adam (mirrors ``torch.optim.RAdam``)."""

from . import _differentiable as D
from . import _functional as F
from .adam import _check_adam_like
from .optimizer import Optimizer


class RAdam(Optimizer):
    """Adam with a rectified adaptive learning rate: plain momentum SGD for the first steps,
    while the second-moment estimate is too noisy; ``decoupled_weight_decay=True`` gives
    RAdamW.

    Example:
        >>> opt = optim.RAdam(model.parameters(), lr=1e-3)
    """

    _differentiable_rule = staticmethod(D.radam)  # the step as autograd ops
    _buffers = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        _check_adam_like(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update(self, group, params, grads, state):
        beta1, beta2 = group["betas"]
        F.radam(
            params,
            grads,
            state["exp_avg"],
            state["exp_avg_sq"],
            state["step"],
            beta1=beta1,
            beta2=beta2,
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
            workspace=self._workspace,
        )
