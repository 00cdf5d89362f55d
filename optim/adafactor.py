"""Adafactor (mirrors ``torch.optim.Adafactor``)."""

import numpy as np

from autograd import Tensor

from . import _functional as F
from .optimizer import Optimizer, _array, _hyperparameters, _new_step, _zeros_like


class Adafactor(Optimizer):
    """Adafactor: Adam-like steps with a *factored* second moment -- for a matrix gradient
    only its row and column means of ``g**2`` are kept (``R + C`` numbers instead of
    ``R * C``) -- a step size relative to the parameter's RMS, and update clipping.
    Made for large models where Adam's two full-size buffers do not fit.

    State per parameter: ``step``; ``row_var`` and ``col_var`` for tensors with 2 or more
    dimensions (factored over the last two), ``variance`` for vectors.

    Example:
        >>> opt = optim.Adafactor(model.parameters(), lr=1e-2)
    """

    _routine = staticmethod(F.adafactor)
    _routine_state = ("row_var", "col_var", "variance", "step")

    def __init__(
        self,
        params,
        lr=1e-2,
        beta2_decay=-0.8,
        eps=(None, 1e-3),
        d=1.0,
        weight_decay=0.0,
        *,
        foreach=None,
        maximize=False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, _hyperparameters(locals(), eps=tuple(eps)))

    def _init_state(self, p, group):
        st = {"step": _new_step()}
        if p.grad.ndim > 1:  # factored second moment over the last two dimensions
            for name in ("row_var", "col_var"):
                st[name] = Tensor._make(np.zeros(_factor_shape(p, name), _array(p.grad).dtype))
        else:
            st["variance"] = _zeros_like(p)
        return st

    @staticmethod
    def _cast_state(param, name, value):
        # row_var/col_var are reduced along a dimension, so their shape is not the
        # parameter's: check it against the reduced shape instead.
        if name in ("row_var", "col_var"):
            arr = _array(value) if isinstance(value, Tensor) else np.asarray(value)
            shape = _factor_shape(param, name)
            if list(arr.shape) != shape:
                raise ValueError(
                    f"loaded optimizer state {name!r} has shape {list(arr.shape)} "
                    f"but its parameter of shape {list(param.shape)} needs {shape}"
                )
            return Tensor._make(arr.astype(_array(param).dtype, copy=True))
        return Optimizer._cast_state(param, name, value)


def _factor_shape(param, name):
    """The shape of a factored second moment: the parameter's, with the last (``row_var``)
    or second-to-last (``col_var``) dimension reduced to 1."""
    shape = list(param.shape)
    shape[-1 if name == "row_var" else -2] = 1
    return shape
