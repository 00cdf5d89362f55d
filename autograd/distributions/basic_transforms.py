"""The transform base class and the transforms of single numbers and vectors (mirror
``torch.distributions.transforms``; the module ``transforms`` names these and the ones over
whole events): Compose, Exp, Sigmoid, Tanh, Softplus, Abs, Power, Affine and Softmax.

Example:
    >>> import autograd
    >>> t = AffineTransform(loc=1.0, scale=2.0)
    >>> y = t(autograd.tensor([0.0, 1.0]))
    >>> y, t.inv(y)
    (tensor([1., 3.]), tensor([0., 1.]))
"""

from __future__ import annotations

import math
import numbers
import operator
import weakref
from functools import reduce

import numpy as np

import autograd
from autograd.tensor import Size, Tensor

from . import constraints
from .utils import _inner_property, _softplus, _sum_rightmost, broadcast_all, finfo

__all__ = [
    "Transform",
    "ComposeTransform",
    "ExpTransform",
    "PowerTransform",
    "SigmoidTransform",
    "TanhTransform",
    "AbsTransform",
    "AffineTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "identity_transform",
]


class Transform:
    """Base class of transforms. A subclass sets ``domain``, ``codomain``, ``bijective`` and
    defines ``_call(x)``, ``_inverse(y)`` and (if bijective) ``log_abs_det_jacobian(x, y)``."""

    bijective = False
    domain: constraints.Constraint
    codomain: constraints.Constraint

    def __init__(self, cache_size: int = 0):
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._cached_x_y: tuple = (None, None)
        self._inv = None  # a weak reference to the inverse, made on first use

    @property
    def event_dim(self) -> int:
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")

    @property
    def inv(self) -> Transform:
        """The inverse transform, ``t.inv(t(x)) == x``."""
        inv = self._inv() if self._inv is not None else None
        if inv is None:
            inv = _InverseTransform(self)
            self._inv = weakref.ref(inv)  # weak: the inverse holds this one strongly
        return inv

    @property
    def sign(self):
        """The sign of the derivative (+1 or -1) of a monotone scalar transform."""
        raise NotImplementedError

    def with_cache(self, cache_size: int = 1) -> Transform:
        """This transform with the given ``cache_size``."""
        if self._cache_size == cache_size:
            return self
        if type(self).__init__ is Transform.__init__:
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self)}.with_cache is not implemented")

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __call__(self, x: Tensor) -> Tensor:
        return self._through_cache(self._call, x, side=0)

    def _inv_call(self, y: Tensor) -> Tensor:
        return self._through_cache(self._inverse, y, side=1)

    def _through_cache(self, compute, value: Tensor, side: int) -> Tensor:
        """``compute(value)``, remembered with ``cache_size=1``: the cache is the last
        ``(x, y)`` pair either direction computed, and ``side`` says where ``value`` stands in
        it (0: an ``x``, mapped forward; 1: a ``y``, mapped back). The very object found
        there returns the other end of the pair without computing."""
        if self._cache_size == 0:
            return compute(value)
        if value is self._cached_x_y[side]:
            return self._cached_x_y[1 - side]
        result = compute(value)
        self._cached_x_y = (value, result) if side == 0 else (result, value)
        return result

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        """``log |dy/dx|`` at ``(x, y = t(x))``, one number per domain event."""
        raise NotImplementedError

    def forward_shape(self, shape) -> Size:
        """The shape of ``t(x)`` for an ``x`` of ``shape``."""
        return Size(shape)

    def inverse_shape(self, shape) -> Size:
        """The shape of ``t.inv(y)`` for a ``y`` of ``shape``."""
        return Size(shape)

    def __repr__(self):
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    """``t.inv``: the same map run backwards (it shares ``t``'s cache)."""

    def __init__(self, transform: Transform):
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform  # strong, unlike the base class's weak reference

    domain = _inner_property("_inv", "codomain")
    codomain = _inner_property("_inv", "domain")
    bijective = _inner_property("_inv", "bijective")
    sign = _inner_property("_inv", "sign")

    @property
    def inv(self):
        return self._inv

    def with_cache(self, cache_size=1):
        return self.inv.with_cache(cache_size).inv

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    __hash__ = object.__hash__

    def __repr__(self):
        return f"{type(self).__name__}({self._inv!r})"

    def __call__(self, x):
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._inv.forward_shape(shape)


class ComposeTransform(Transform):
    """The transforms in ``parts`` applied one after the other (``parts[0]`` first).

    Example:
        >>> t = ComposeTransform([ExpTransform(), AffineTransform(0.0, 3.0)])
        >>> t(autograd.tensor(0.0))
        tensor(3.)
    """

    def __init__(self, parts: list, cache_size: int = 0):
        if cache_size:
            parts = [part.with_cache(cache_size) for part in parts]
        super().__init__(cache_size=cache_size)
        self.parts = parts

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = object.__hash__

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        if not self.parts:
            return constraints.real
        # the event dimension the first part must see for the last one to see its own
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            event_dim += part.domain.event_dim - part.codomain.event_dim
            event_dim = max(event_dim, part.domain.event_dim)
        return _widened(self.parts[0].domain, event_dim)

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim += part.codomain.event_dim - part.domain.event_dim
            event_dim = max(event_dim, part.codomain.event_dim)
        return _widened(self.parts[-1].codomain, event_dim)

    @property
    def bijective(self):
        return all(p.bijective for p in self.parts)

    @property
    def sign(self):
        return reduce(operator.mul, (p.sign for p in self.parts), 1)

    @property
    def inv(self):
        inv = self._inv() if self._inv is not None else None
        if inv is None:
            inv = ComposeTransform([p.inv for p in reversed(self.parts)])
            self._inv = weakref.ref(inv)
            inv._inv = weakref.ref(self)
        return inv

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ComposeTransform(self.parts, cache_size=cache_size)

    def __call__(self, x):
        for part in self.parts:
            x = part(x)
        return x

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return autograd.zeros_like(x)
        # the intermediate values (cached parts give back the ones computed by __call__)
        xs = [x]
        for part in self.parts[:-1]:
            xs.append(part(xs[-1]))
        xs.append(y)
        terms = []
        event_dim = self.domain.event_dim
        for part, a, b in zip(self.parts, xs[:-1], xs[1:]):
            terms.append(
                _sum_rightmost(part.log_abs_det_jacobian(a, b), event_dim - part.domain.event_dim)
            )
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return reduce(operator.add, terms)

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return Size(shape)

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return Size(shape)

    def __repr__(self):
        inner = ",\n    ".join(repr(p) for p in self.parts)
        return f"{type(self).__name__}(\n    {inner}\n)"


def _widened(constraint, event_dim: int):
    """``constraint`` with its event reinterpreted to span ``event_dim`` dimensions."""
    if event_dim > constraint.event_dim:
        return constraints.independent(constraint, event_dim - constraint.event_dim)
    return constraint


identity_transform = ComposeTransform([])


class _ParameterFree(Transform):
    """A transform without parameters: any two instances of its type are the same map, so
    ``__eq__`` compares types (the hash stays the base class's, by identity)."""

    def __eq__(self, other):
        return isinstance(other, type(self))

    __hash__ = object.__hash__


class _ElementwiseBijection(_ParameterFree):
    """A strictly increasing map applied to every element: the sign is +1 and ``with_cache``
    comes from the base class."""

    bijective = True
    sign = +1


class ExpTransform(_ElementwiseBijection):
    """``y = exp(x)`` (a normal becomes a log-normal).

    Example:
        >>> ExpTransform().inv(autograd.tensor(1.0))
        tensor(0.)
    """

    domain = constraints.real
    codomain = constraints.positive

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class SigmoidTransform(_ElementwiseBijection):
    """``y = 1 / (1 + exp(-x))``, kept inside (0, 1) (clamped to the dtype's smallest normal
    number and 1 - eps) so that the inverse stays finite.

    Example:
        >>> SigmoidTransform()(autograd.tensor(0.0))
        tensor(0.5000)
    """

    domain = constraints.real
    codomain = constraints.unit_interval

    def _call(self, x):
        info = finfo(x)
        return x.sigmoid().clamp(min=float(info.tiny), max=1.0 - float(info.eps))

    def _inverse(self, y):
        info = finfo(y)
        y = y.clamp(min=float(info.tiny), max=1.0 - float(info.eps))
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        # log(sigmoid(x) * (1 - sigmoid(x))) without cancellation
        return -_softplus(-x) - _softplus(x)


class TanhTransform(_ElementwiseBijection):
    """``y = tanh(x)``: squashes a Gaussian policy into (-1, 1) (soft actor-critic). Use
    ``cache_size=1`` so that ``log_prob`` of a sample reuses its ``x`` (``atanh`` of a value
    rounded to 1 is infinite).

    Example:
        >>> TanhTransform().log_abs_det_jacobian(autograd.tensor(0.0), autograd.tensor(0.0))
        tensor(0.)
    """

    domain = constraints.real
    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return y.atanh()

    def log_abs_det_jacobian(self, x, y):
        # log(1 - tanh(x)^2) = 2 (log 2 - x - softplus(-2x)), stable for large |x|
        return 2.0 * (math.log(2.0) - x - _softplus(-2.0 * x))


class SoftplusTransform(_ElementwiseBijection):
    """``y = log(1 + exp(x))``: a smooth map onto the positive numbers.

    Example:
        >>> SoftplusTransform().inv(autograd.tensor(math.log(2.0)))
        tensor(0.)
    """

    domain = constraints.real
    codomain = constraints.positive

    def _call(self, x):
        return _softplus(x)

    def _inverse(self, y):
        return y + (-(-y).expm1()).log()  # log(e^y - 1), stable for large y

    def log_abs_det_jacobian(self, x, y):
        return -_softplus(-x)  # log sigmoid(x)


class AbsTransform(_ParameterFree):
    """``y = |x|`` (not injective: the inverse returns the positive root).

    Example:
        >>> AbsTransform()(autograd.tensor([-2.0, 3.0]))
        tensor([2., 3.])
    """

    domain = constraints.real
    codomain = constraints.positive

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


def _shape_of(value) -> tuple:
    return tuple(value.shape) if isinstance(value, Tensor) else ()


def _same(a, b) -> bool:
    """Two transform parameters (numbers or tensors) are equal everywhere."""
    if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
        return a == b
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return bool((a == b).all())
    return False


class PowerTransform(Transform):
    """``y = x ** exponent`` on positive numbers.

    Example:
        >>> PowerTransform(2.0)(autograd.tensor(3.0))
        tensor(9.)
    """

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        (self.exponent,) = broadcast_all(exponent)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @property
    def sign(self):
        return self.exponent.sign()

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and _same(self.exponent, other.exponent)

    __hash__ = object.__hash__

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return Size(np.broadcast_shapes(tuple(shape), _shape_of(self.exponent)))

    inverse_shape = forward_shape


class AffineTransform(Transform):
    """``y = loc + scale * x``; with ``event_dim`` > 0 the rightmost dimensions form one event
    (the log-Jacobian is summed over them).

    Example:
        >>> AffineTransform(0.0, -2.0).log_abs_det_jacobian(autograd.zeros(2), autograd.zeros(2))
        tensor([0.6931, 0.6931])
    """

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.loc, self.scale = loc, scale
        self._event_dim = event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        return _widened(constraints.real, self._event_dim)

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        return _widened(constraints.real, self._event_dim)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self._event_dim, cache_size=cache_size)

    def __eq__(self, other):
        return (
            isinstance(other, AffineTransform)
            and _same(self.loc, other.loc)
            and _same(self.scale, other.scale)
        )

    __hash__ = object.__hash__

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Real):
            return 1 if self.scale > 0 else -1 if self.scale < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        shape = tuple(x.shape)
        if isinstance(self.scale, numbers.Number):
            result = autograd.full_like(x, math.log(abs(self.scale)))
        else:
            result = self.scale.abs().log()
        if self._event_dim:
            result = _sum_rightmost(result, self._event_dim)
            shape = shape[: len(shape) - self._event_dim]
        return result.expand(shape)

    def forward_shape(self, shape):
        return Size(np.broadcast_shapes(tuple(shape), _shape_of(self.loc), _shape_of(self.scale)))

    inverse_shape = forward_shape


class SoftmaxTransform(_ParameterFree):
    """Unconstrained vectors -> probability vectors, ``softmax`` over the last dimension (not
    bijective: the inverse is ``log``, one of the many preimages).

    Example:
        >>> SoftmaxTransform()(autograd.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x):
        probs = (x - x.amax(-1, keepdim=True).detach()).exp()
        return probs / probs.sum(-1, keepdim=True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return Size(shape)

    inverse_shape = forward_shape
