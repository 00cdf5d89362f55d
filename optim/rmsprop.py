"""RMSprop, optionally centered and with momentum (mirrors ``torch.optim.RMSprop``)."""
from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _new_step, _zeros_like


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    ``centered=True`` subtracts the squared running mean of the gradient (an estimate of
    its variance); ``momentum > 0`` adds a momentum buffer.

    Example:
        >>> opt = optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.99)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step (returns ``closure()``'s loss if given)."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            params = self._with_grad(group)
            square_avgs, grad_avgs, bufs, steps = [], [], [], []
            for p in params:
                st = self.state[p]
                if len(st) == 0:
                    st["step"] = _new_step()
                    st["square_avg"] = _zeros_like(p)
                    if group["momentum"] > 0:
                        st["momentum_buffer"] = _zeros_like(p)
                    if group["centered"]:
                        st["grad_avg"] = _zeros_like(p)
                square_avgs.append(_array(st["square_avg"]))
                if group["momentum"] > 0:
                    bufs.append(_array(st["momentum_buffer"]))
                if group["centered"]:
                    grad_avgs.append(_array(st["grad_avg"]))
                steps.append(_array(st["step"]))
            if self._differentiable_step(group, params, D.rmsprop):
                continue
            F.rmsprop([_array(p) for p in params], [_array(p.grad) for p in params], square_avgs,
                      grad_avgs, bufs, steps, lr=group["lr"], alpha=group["alpha"],
                      eps=group["eps"], weight_decay=group["weight_decay"],
                      momentum=group["momentum"], centered=group["centered"],
                      maximize=group["maximize"], workspace=self._workspace)
            self._finish(params)
        return loss
