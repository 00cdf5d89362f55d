"""Adadelta (mirrors ``torch.optim.Adadelta``)."""

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _check_nonnegative


class Adadelta(Optimizer):
    """Adadelta: step sizes from the ratio of two running RMS values, of past updates and of
    past gradients, so ``lr`` (default 1) needs little tuning.

    State per parameter: ``step``, ``square_avg``, ``acc_delta``.

    Example:
        >>> opt = optim.Adadelta(model.parameters(), lr=1.0, rho=0.9)
    """

    _differentiable_rule = staticmethod(D.adadelta)  # the step as autograd ops
    _buffers = ("square_avg", "acc_delta")

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ):
        _check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update(self, group, params, grads, state):
        F.adadelta(
            params,
            grads,
            state["square_avg"],
            state["acc_delta"],
            state["step"],
            lr=group["lr"],
            rho=group["rho"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
            workspace=self._workspace,
        )
