"""Adagrad (mirrors ``torch.optim.Adagrad``)."""

import numpy as np

from autograd import Tensor

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _check_nonnegative


class Adagrad(Optimizer):
    """Per-coordinate step sizes ``lr / sqrt(sum of past squared gradients)``.

    Like torch, the state (``step``, ``sum``) is created for every parameter at
    construction, ``sum`` filled with ``initial_accumulator_value``.

    Example:
        >>> opt = optim.Adagrad(model.parameters(), lr=1e-2, lr_decay=1e-4)
    """

    _differentiable_rule = staticmethod(D.adagrad)  # the step as autograd ops

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
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:  # (like torch: the state exists from the start)
            for p in group["params"]:
                self.state[p].update(self._init_state(p, group))

    def _init_state(self, p, group):
        st = super()._init_state(p, group)
        st["sum"] = Tensor._make(np.full_like(_array(p), group["initial_accumulator_value"]))
        return st

    def _state_names(self, group):
        return ("sum", "step")

    def _update(self, group, params, grads, state):
        F.adagrad(
            params,
            grads,
            state["sum"],
            state["step"],
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            lr_decay=group["lr_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
            workspace=self._workspace,
        )
