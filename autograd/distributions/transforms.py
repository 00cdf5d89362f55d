"""Transforms: invertible (or at least differentiable) maps ``y = f(x)`` between the supports
of distributions (mirrors ``torch.distributions.transforms``).

A ``TransformedDistribution`` samples ``x`` from a base distribution and returns ``f(x)``; its
density follows from the change of variables, ``log p(y) = log p(x) - log|df/dx|``, which is
why every bijective transform knows ``log_abs_det_jacobian(x, y)``. ``t.inv`` is the
inverse map; ``domain`` and ``codomain`` are the constraints of ``x`` and ``y``.

``cache_size=1`` remembers the last ``(x, y)`` pair, so that inverting a value this transform
produced returns the original ``x`` instead of recomputing it: ``atanh(tanh(x))`` is
infinite once ``tanh(x)`` rounds to 1, which is why SAC-style policies use
``TanhTransform(cache_size=1)``.

Example:
    >>> import autograd
    >>> x = autograd.tensor([20.0])
    >>> y = TanhTransform()(x)
    >>> TanhTransform().inv(y)  # tanh(20) rounds to 1
    tensor([inf])
    >>> t = TanhTransform(cache_size=1)
    >>> t.inv(t(x)) is x
    True
"""

from . import basic_transforms, event_transforms
from .basic_transforms import *  # each module lists its public names in its __all__
from .event_transforms import *

__all__ = basic_transforms.__all__ + event_transforms.__all__
