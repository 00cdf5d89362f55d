"""NAdam: Adam with Nesterov momentum (mirrors ``torch.optim.NAdam``)."""

from . import _differentiable as D
from . import _functional as F
from .adam import _check_adam_like
from .optimizer import Optimizer, _array, _check_nonnegative, _new_step, _zeros_like


class NAdam(Optimizer):
    """Adam with Nesterov momentum and a warming-up momentum schedule (``momentum_decay``);
    ``decoupled_weight_decay=True`` gives NAdamW.

    Example:
        >>> opt = optim.NAdam(model.parameters(), lr=2e-3)
    """

    _differentiable_rule = staticmethod(D.nadam)  # the step as autograd ops
    _buffers = ("exp_avg", "exp_avg_sq")

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
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _state_names(self, group):
        return super()._state_names(group) + ("mu_product",)

    def _init_state(self, p, group):
        mu_product = _new_step()  # the running product of the momentum schedule, from 1
        _array(mu_product).fill(1.0)
        return {
            "step": _new_step(),
            "mu_product": mu_product,
            "exp_avg": _zeros_like(p),
            "exp_avg_sq": _zeros_like(p),
        }  # (torch's order, kept in state_dict)

    def _update(self, group, params, grads, state):
        beta1, beta2 = group["betas"]
        F.nadam(
            params,
            grads,
            state["exp_avg"],
            state["exp_avg_sq"],
            state["mu_product"],
            state["step"],
            beta1=beta1,
            beta2=beta2,
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            momentum_decay=group["momentum_decay"],
            eps=group["eps"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
            workspace=self._workspace,
        )
