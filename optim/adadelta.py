"""Adadelta (mirrors ``torch.optim.Adadelta``)."""
from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _new_step, _zeros_like


class Adadelta(Optimizer):
    """Adadelta: step sizes from the ratio of two running RMS values, of past updates and of
    past gradients, so ``lr`` (default 1) needs little tuning.

    State per parameter: ``step``, ``square_avg``, ``acc_delta``.

    Example:
        >>> opt = optim.Adadelta(model.parameters(), lr=1.0, rho=0.9)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            square_avgs, acc_deltas, steps = [], [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _new_step()
                    st["square_avg"] = _zeros_like(p)
                    st["acc_delta"] = _zeros_like(p)
                square_avgs.append(_array(st["square_avg"]))
                acc_deltas.append(_array(st["acc_delta"]))
                steps.append(_array(st["step"]))
            if self._differentiable_step(group, params, D.adadelta):
                continue
            F.adadelta([_array(p) for p in params], [_array(p.grad) for p in params], square_avgs,
                       acc_deltas, steps, lr=group["lr"], rho=group["rho"], eps=group["eps"],
                       weight_decay=group["weight_decay"], maximize=group["maximize"],
                       workspace=self._workspace)
            self._finish(params)
        return loss
