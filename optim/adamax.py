"""Adamax: Adam with the infinity norm (mirrors ``torch.optim.Adamax``)."""
from . import _differentiable as D
from . import _functional as F
from .adam import _check_adam_like
from .optimizer import Optimizer, _array, _new_step, _zeros_like


class Adamax(Optimizer):
    """Adam variant that scales by an exponentially weighted infinity norm of past
    gradients (``exp_inf``) instead of their root mean square.

    Example:
        >>> opt = optim.Adamax(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            exp_avgs, exp_infs, steps = [], [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _new_step()
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_inf"] = _zeros_like(p)
                exp_avgs.append(_array(st["exp_avg"]))
                exp_infs.append(_array(st["exp_inf"]))
                steps.append(_array(st["step"]))
            beta1, beta2 = group["betas"]
            if self._differentiable_step(group, params, D.adamax):
                continue
            F.adamax([_array(p) for p in params], [_array(p.grad) for p in params], exp_avgs,
                     exp_infs, steps, eps=group["eps"], beta1=beta1, beta2=beta2, lr=group["lr"],
                     weight_decay=group["weight_decay"], maximize=group["maximize"],
                     workspace=self._workspace)
            self._finish(params)
        return loss
