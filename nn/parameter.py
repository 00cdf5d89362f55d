"""``nn.Parameter``: a Tensor that a Module registers as one of its learnable weights.

Assigning a Parameter to a Module attribute (``self.weight = nn.Parameter(...)``) is what
puts it into ``module.parameters()`` and ``module.state_dict()``.

Example:
    >>> import autograd, nn
    >>> p = nn.Parameter(autograd.zeros(2))
    >>> p.requires_grad
    True
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor
from autograd import serialization as _serialization


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and is recognised by ``nn.Module``.

    ``Parameter(data)`` shares memory with ``data`` (like torch); results of operations on
    a Parameter are ordinary Tensors.

    Example:
        >>> w = nn.Parameter(autograd.ones(2, 2))
        >>> (w * 2).sum().backward(); w.grad
        tensor([[2., 2.],
                [2., 2.]])
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            raise TypeError(
                f"Parameter(data): expected an autograd.Tensor, got {type(data).__name__}; "
                "wrap arrays with autograd.tensor(...) first"
            )
        self._init(arr)
        if isinstance(data, Tensor):
            self._version_cell = data._version_cell  # shares memory => shares the version
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            p._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = p
        return p


class Buffer(Tensor):
    """Marks a Tensor as a buffer when assigned to a Module attribute (``torch.nn.Buffer``).

    Example:
        >>> m = nn.Module(); m.steps = nn.Buffer(autograd.zeros(()))
        >>> list(dict(m.named_buffers()))
        ['steps']
    """

    __slots__ = ("persistent",)

    def __init__(self, data, *, persistent: bool = True):
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(data): expected an autograd.Tensor, got {type(data).__name__}")
        self._init(data._data)
        self._version_cell = data._version_cell
        self.persistent = persistent


# checkpoints (autograd.save/load) give Parameters back as Parameters
_serialization.register_tensor_subclass("parameter", Parameter)
