"""RAdam: rectified Adam (mirrors ``torch.optim.RAdam``)."""
from . import _differentiable as D
from . import _functional as F
from .adam import _check_adam_like
from .optimizer import Optimizer, _array, _new_step, _zeros_like


class RAdam(Optimizer):
    """Adam with a rectified adaptive learning rate: plain momentum SGD for the first steps,
    while the second-moment estimate is too noisy; ``decoupled_weight_decay=True`` gives
    RAdamW.

    Example:
        >>> opt = optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            exp_avgs, exp_avg_sqs, steps = [], [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _new_step()
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_avg_sq"] = _zeros_like(p)
                exp_avgs.append(_array(st["exp_avg"]))
                exp_avg_sqs.append(_array(st["exp_avg_sq"]))
                steps.append(_array(st["step"]))
            beta1, beta2 = group["betas"]
            if self._differentiable_step(group, params, D.radam):
                continue
            F.radam([_array(p) for p in params], [_array(p.grad) for p in params], exp_avgs,
                    exp_avg_sqs, steps, beta1=beta1, beta2=beta2, lr=group["lr"],
                    weight_decay=group["weight_decay"], eps=group["eps"],
                    decoupled_weight_decay=group["decoupled_weight_decay"],
                    maximize=group["maximize"], workspace=self._workspace)
            self._finish(params)
        return loss
