"""Rprop, resilient backpropagation (mirrors ``torch.optim.Rprop``)."""
import numpy as np

from autograd import Tensor

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _new_step, _zeros_like


class Rprop(Optimizer):
    """Rprop: every coordinate has its own step size, grown by ``etas[1]`` while the
    gradient keeps its sign and shrunk by ``etas[0]`` when it flips; only the gradient's
    sign is used. Meant for full-batch training.

    State per parameter: ``step``, ``prev`` (the previous gradient), ``step_size``.

    Example:
        >>> opt = optim.Rprop(model.parameters(), lr=1e-2, etas=(0.5, 1.2))
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes),
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            prevs, step_sizes, steps = [], [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _new_step()
                    st["prev"] = _zeros_like(p)
                    st["step_size"] = Tensor._make(np.full_like(_array(p), group["lr"]))
                prevs.append(_array(st["prev"]))
                step_sizes.append(_array(st["step_size"]))
                steps.append(_array(st["step"]))
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            if self._differentiable_step(group, params, D.rprop):
                continue
            F.rprop([_array(p) for p in params], [_array(p.grad) for p in params], prevs,
                    step_sizes, steps, step_size_min=step_size_min, step_size_max=step_size_max,
                    etaminus=etaminus, etaplus=etaplus, maximize=group["maximize"],
                    workspace=self._workspace)
            self._finish(params)
        return loss

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:      # JSON checkpoints turn tuples into lists
            group["etas"], group["step_sizes"] = tuple(group["etas"]), tuple(group["step_sizes"])
