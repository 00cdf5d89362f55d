"""ASGD, averaged stochastic gradient descent (mirrors ``torch.optim.ASGD``)."""
import autograd

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _new_step, _scalar_dtype, _zeros_like


class ASGD(Optimizer):
    """SGD with a decaying step ``eta_t = lr / (1 + lambd * lr * t) ** alpha`` that also keeps
    ``ax``, the average of the iterates from step ``t0`` on (Polyak averaging): evaluate with
    the averaged weights (``opt.state[p]['ax']``) for a less noisy solution.

    State per parameter: ``step``, ``eta``, ``mu`` (0-d, torch's scalar dtype), ``ax``.

    Example:
        >>> opt = optim.ASGD(model.parameters(), lr=1e-2, t0=100)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            axs, mus, etas, steps = [], [], [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _new_step()
                    st["eta"] = autograd.tensor(group["lr"], dtype=_scalar_dtype())
                    st["mu"] = autograd.tensor(1.0, dtype=_scalar_dtype())
                    st["ax"] = _zeros_like(p)
                axs.append(_array(st["ax"]))
                mus.append(_array(st["mu"]))
                etas.append(_array(st["eta"]))
                steps.append(_array(st["step"]))
            if self._differentiable_step(group, params, D.asgd):
                continue
            F.asgd([_array(p) for p in params], [_array(p.grad) for p in params], axs, mus, etas,
                   steps, lambd=group["lambd"], lr=group["lr"], t0=group["t0"],
                   alpha=group["alpha"], weight_decay=group["weight_decay"],
                   maximize=group["maximize"], workspace=self._workspace)
            self._finish(params)
        return loss
