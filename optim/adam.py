"""Adam, with AMSGrad and (coupled or decoupled) weight decay (mirrors ``torch.optim.Adam``)."""

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _check_nonnegative


def _check_adam_like(lr, betas, eps, weight_decay):
    _check_nonnegative(lr=lr, eps=eps)
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
    _check_nonnegative(weight_decay=weight_decay)


class Adam(Optimizer):
    """Adam: per-parameter step sizes from running averages of the gradient and its square.

    State per parameter: ``step`` (0-d tensor), ``exp_avg``, ``exp_avg_sq`` and, with
    ``amsgrad=True``, ``max_exp_avg_sq``.

    Example:
        >>> opt = optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    """

    _differentiable_rule = staticmethod(D.adam)  # the step as autograd ops

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        _check_adam_like(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _zero_buffers(self, group):
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())

    def _update(self, group, params, grads, state):
        beta1, beta2 = group["betas"]
        F.adam(
            params,
            grads,
            state["exp_avg"],
            state["exp_avg_sq"],
            state.get("max_exp_avg_sq", []),
            state["step"],
            amsgrad=group["amsgrad"],
            beta1=beta1,
            beta2=beta2,
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            workspace=self._workspace,
        )
