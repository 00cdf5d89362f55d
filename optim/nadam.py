"""NAdam: Adam with Nesterov momentum (mirrors ``torch.optim.NAdam``)."""

from . import _differentiable as D
from . import _functional as F
from .adam import _check_adam_like
from .optimizer import (
    Optimizer,
    _array,
    _check_nonnegative,
    _hyperparameters,
    _new_step,
    _zeros_like,
)


class NAdam(Optimizer):
    """Adam with Nesterov momentum and a warming-up momentum schedule (``momentum_decay``);
    ``decoupled_weight_decay=True`` gives NAdamW.

    Example:
        >>> opt = optim.NAdam(model.parameters(), lr=2e-3)
    """

    _differentiable_rule = staticmethod(D.nadam)  # the step as autograd ops
    _routine = staticmethod(F.nadam)
    _routine_state = ("exp_avg", "exp_avg_sq", "mu_product", "step")

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        _check_adam_like(lr, betas, eps, weight_decay)
        _check_nonnegative(momentum_decay=momentum_decay)
        super().__init__(params, _hyperparameters(locals(), betas=tuple(betas)))

    def _init_state(self, p, group):
        mu_product = _new_step()  # the running product of the momentum schedule, from 1
        _array(mu_product).fill(1.0)
        return {
            "step": _new_step(),
            "mu_product": mu_product,
            "exp_avg": _zeros_like(p),
            "exp_avg_sq": _zeros_like(p),
        }  # (torch's order, kept in state_dict)
