"""Adagrad (mirrors ``torch.optim.Adagrad``)."""

import numpy as np

from autograd import Tensor

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _check_nonnegative, _hyperparameters


class Adagrad(Optimizer):
    """Per-coordinate step sizes ``lr / sqrt(sum of past squared gradients)``.

    Like torch, the state (``step``, ``sum``) is created for every parameter at
    construction, ``sum`` filled with ``initial_accumulator_value``.

    Example:
        >>> opt = optim.Adagrad(model.parameters(), lr=1e-2, lr_decay=1e-4)
    """

    _differentiable_rule = staticmethod(D.adagrad)  # the step as autograd ops
    _routine = staticmethod(F.adagrad)
    _routine_state = ("sum", "step")

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        _check_nonnegative(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(params, _hyperparameters(locals()))
        for group in self.param_groups:  # (like torch: the state exists from the start)
            for p in group["params"]:
                self.state[p].update(self._init_state(p, group))

    def _init_state(self, p, group):
        st = super()._init_state(p, group)
        st["sum"] = Tensor._make(np.full_like(_array(p), group["initial_accumulator_value"]))
        return st
