"""Adagrad (mirrors ``torch.optim.Adagrad``)."""
import numpy as np

from autograd import Tensor

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _new_step


class Adagrad(Optimizer):
    """Per-coordinate step sizes ``lr / sqrt(sum of past squared gradients)``.

    Like torch, the state (``step``, ``sum``) is created for every parameter at
    construction, ``sum`` filled with ``initial_accumulator_value``.

    Example:
        >>> opt = optim.Adagrad(model.parameters(), lr=1e-2, lr_decay=1e-4)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = _new_step()
                st["sum"] = Tensor._make(np.full_like(_array(p), group["initial_accumulator_value"]))

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            sums = [_array(self.state[p]["sum"]) for p in params]
            steps = [_array(self.state[p]["step"]) for p in params]
            if self._differentiable_step(group, params, D.adagrad):
                continue
            F.adagrad([_array(p) for p in params], [_array(p.grad) for p in params], sums, steps,
                      lr=group["lr"], weight_decay=group["weight_decay"],
                      lr_decay=group["lr_decay"], eps=group["eps"], maximize=group["maximize"],
                      workspace=self._workspace)
            self._finish(params)
        return loss
