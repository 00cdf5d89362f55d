"""Adadelta (mirrors ``torch.optim.Adadelta``)."""

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _check_nonnegative, _hyperparameters


class Adadelta(Optimizer):
    """Adadelta: step sizes from the ratio of two running RMS values, of past updates and of
    past gradients, so ``lr`` (default 1) needs little tuning.

    State per parameter: ``step``, ``square_avg``, ``acc_delta``.

    Example:
        >>> opt = optim.Adadelta(model.parameters(), lr=1.0, rho=0.9)
    """

    _differentiable_rule = staticmethod(D.adadelta)  # the step as autograd ops
    _routine = staticmethod(F.adadelta)
    _routine_state = ("square_avg", "acc_delta", "step")
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
        super().__init__(params, _hyperparameters(locals()))
