"""RMSprop, optionally centered and with momentum (mirrors ``torch.optim.RMSprop``)."""

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _check_nonnegative, _hyperparameters


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    ``centered=True`` subtracts the squared running mean of the gradient (an estimate of
    its variance); ``momentum > 0`` adds a momentum buffer.

    Example:
        >>> opt = optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.99)
    """

    _differentiable_rule = staticmethod(D.rmsprop)  # the step as autograd ops
    _routine = staticmethod(F.rmsprop)
    _routine_state = ("square_avg", "grad_avg", "momentum_buffer", "step")

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
        super().__init__(params, _hyperparameters(locals()))

    def _zero_buffers(self, group):
        return (
            ("square_avg",)
            + (("momentum_buffer",) if group["momentum"] > 0 else ())
            + (("grad_avg",) if group["centered"] else ())
        )

    def _state_names(self, group):
        return ("step",) + self._zero_buffers(group)
