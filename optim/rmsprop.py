"""RMSprop, optionally centered and with momentum (mirrors ``torch.optim.RMSprop``)."""

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _check_nonnegative


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    ``centered=True`` subtracts the squared running mean of the gradient (an estimate of
    its variance); ``momentum > 0`` adds a momentum buffer.

    Example:
        >>> opt = optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.99)
    """

    _differentiable_rule = staticmethod(D.rmsprop)  # the step as autograd ops

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        _check_nonnegative(
            lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha
        )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _zero_buffers(self, group):
        return (
            ("square_avg",)
            + (("momentum_buffer",) if group["momentum"] > 0 else ())
            + (("grad_avg",) if group["centered"] else ())
        )

    def _update(self, group, params, grads, state):
        F.rmsprop(
            params,
            grads,
            state["square_avg"],
            state.get("grad_avg", []),
            state.get("momentum_buffer", []),
            state["step"],
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            centered=group["centered"],
            maximize=group["maximize"],
            workspace=self._workspace,
        )
