"""Adam, with AMSGrad and (coupled or decoupled) weight decay (mirrors ``torch.optim.Adam``)."""

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _check_nonnegative, _hyperparameters


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
    _routine = staticmethod(F.adam)
    _routine_state = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step")

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
        super().__init__(params, _hyperparameters(locals(), betas=tuple(betas)))

    def _zero_buffers(self, group):
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())

    def _state_names(self, group):
        return ("step",) + self._zero_buffers(group)
