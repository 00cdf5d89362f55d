"""Rprop, resilient backpropagation (mirrors ``torch.optim.Rprop``)."""

import numpy as np

from autograd import Tensor

from . import _differentiable as D
from . import _functional as F
from .optimizer import Optimizer, _array, _check_nonnegative, _hyperparameters


class Rprop(Optimizer):
    """Rprop: every coordinate has its own step size, grown by ``etas[1]`` while the
    gradient keeps its sign and shrunk by ``etas[0]`` when it flips; only the gradient's
    sign is used. Meant for full-batch training.

    State per parameter: ``step``, ``prev`` (the previous gradient), ``step_size``.

    Example:
        >>> opt = optim.Rprop(model.parameters(), lr=1e-2, etas=(0.5, 1.2))
    """

    _differentiable_rule = staticmethod(D.rprop)  # the step as autograd ops
    _routine = staticmethod(F.rprop)
    _routine_state = ("prev", "step_size", "step")
    _buffers = ("prev",)

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        _check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = _hyperparameters(locals(), etas=tuple(etas), step_sizes=tuple(step_sizes))
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        st = super()._init_state(p, group)
        st["step_size"] = Tensor._make(np.full_like(_array(p), group["lr"]))
        return st
