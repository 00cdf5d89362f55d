"""ASGD, averaged stochastic gradient descent (mirrors ``torch.optim.ASGD``)."""

import autograd

from . import _differentiable as D
from . import _functional as F
from .optimizer import (
    Optimizer,
    _check_nonnegative,
    _hyperparameters,
    _new_step,
    _scalar_dtype,
    _zeros_like,
)


class ASGD(Optimizer):
    """SGD with a decaying step ``eta_t = lr / (1 + lambd * lr * t) ** alpha`` that also keeps
    ``ax``, the average of the iterates from step ``t0`` on (Polyak averaging): evaluate with
    the averaged weights (``opt.state[p]['ax']``) for a less noisy solution.

    State per parameter: ``step``, ``eta``, ``mu`` (0-d, torch's scalar dtype), ``ax``.

    Example:
        >>> opt = optim.ASGD(model.parameters(), lr=1e-2, t0=100)
    """

    _differentiable_rule = staticmethod(D.asgd)  # the step as autograd ops
    _routine = staticmethod(F.asgd)
    _routine_state = ("ax", "mu", "eta", "step")

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd=1e-4,
        alpha=0.75,
        t0=1e6,
        weight_decay=0,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        _check_nonnegative(lr=lr, weight_decay=weight_decay)
        super().__init__(params, _hyperparameters(locals()))

    def _init_state(self, p, group):
        return {
            "step": _new_step(),
            "eta": autograd.tensor(group["lr"], dtype=_scalar_dtype()),
            "mu": autograd.tensor(1.0, dtype=_scalar_dtype()),
            "ax": _zeros_like(p),
        }
