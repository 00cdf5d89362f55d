"""RAdam: rectified Adam (mirrors ``torch.optim.RAdam``)."""

from . import _differentiable as D
from . import _functional as F
from .adam import _check_adam_like
from .optimizer import Optimizer, _hyperparameters


class RAdam(Optimizer):
    """Adam with a rectified adaptive learning rate: plain momentum SGD for the first steps,
    while the second-moment estimate is too noisy; ``decoupled_weight_decay=True`` gives
    RAdamW.

    Example:
        >>> opt = optim.RAdam(model.parameters(), lr=1e-3)
    """

    _differentiable_rule = staticmethod(D.radam)  # the step as autograd ops
    _routine = staticmethod(F.radam)
    _routine_state = ("exp_avg", "exp_avg_sq", "step")
    _buffers = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        _check_adam_like(lr, betas, eps, weight_decay)
        super().__init__(params, _hyperparameters(locals(), betas=tuple(betas)))
