"""Adam, with AMSGrad and (coupled or decoupled) weight decay (mirrors ``torch.optim.Adam``)."""
from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _new_step, _zeros_like


def _check_adam_like(lr, betas, eps, weight_decay):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """Adam: per-parameter step sizes from running averages of the gradient and its square.

    State per parameter: ``step`` (0-d tensor), ``exp_avg``, ``exp_avg_sq`` and, with
    ``amsgrad=True``, ``max_exp_avg_sq``.

    Example:
        >>> opt = optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            exp_avgs, exp_avg_sqs, max_sqs, steps = [], [], [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _new_step()
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_avg_sq"] = _zeros_like(p)
                    if group["amsgrad"]:
                        st["max_exp_avg_sq"] = _zeros_like(p)
                exp_avgs.append(_array(st["exp_avg"]))
                exp_avg_sqs.append(_array(st["exp_avg_sq"]))
                if group["amsgrad"]:
                    max_sqs.append(_array(st["max_exp_avg_sq"]))
                steps.append(_array(st["step"]))
            beta1, beta2 = group["betas"]
            if self._differentiable_step(group, params, D.adam):
                continue
            F.adam([_array(p) for p in params], [_array(p.grad) for p in params], exp_avgs,
                   exp_avg_sqs, max_sqs, steps, amsgrad=group["amsgrad"], beta1=beta1,
                   beta2=beta2, lr=group["lr"], weight_decay=group["weight_decay"],
                   eps=group["eps"], maximize=group["maximize"],
                   decoupled_weight_decay=group["decoupled_weight_decay"],
                   workspace=self._workspace)
            self._finish(params)
        return loss
