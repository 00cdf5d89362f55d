"""Normal, Laplace, Uniform and Exponential distributions (mirror ``torch.distributions``).

Each one is reparameterised: ``rsample`` is a location-scale (or inverse-CDF) transform of
parameter-free noise, so gradients of a sample reach the parameters.
"""

from __future__ import annotations

import math

import autograd
from autograd.tensor import Size, Tensor

from . import constraints
from .distribution import _BroadcastParameters
from .utils import _standard_normal, finfo

__all__ = ["Normal", "Laplace", "Uniform", "Exponential"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


def _uniform(shape, like: Tensor) -> Tensor:
    return autograd.rand(tuple(shape), dtype=like.dtype)


class _LocScale(_BroadcastParameters):
    """A real ``loc`` and a positive ``scale`` of one batch shape, ``loc`` being the mean and
    the mode (Normal, Laplace)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        super().__init__(loc, scale, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    mode = mean  # symmetric and unimodal


class Normal(_LocScale):
    """The normal (Gaussian) distribution N(loc, scale**2).

    Example:
        >>> m = Normal(autograd.tensor([0.0]), autograd.tensor([1.0]))
        >>> m.log_prob(autograd.tensor([0.0]))
        tensor([-0.9189])
    """

    _parameters = ("loc", "scale")

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + autograd.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * autograd.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


class Laplace(_LocScale):
    """The Laplace (double exponential) distribution with location ``loc`` and scale.

    Example:
        >>> Laplace(autograd.tensor(0.0), autograd.tensor(1.0)).log_prob(autograd.tensor(0.0))
        tensor(-0.6931)
    """

    _parameters = ("loc", "scale")

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=Size()):
        # inverse CDF of u ~ U(-1, 1) (open at -1 so that log1p(-|u|) stays finite)
        shape = self._extended_shape(sample_shape)
        eps = float(finfo(self.loc).eps)
        u = _uniform(shape, self.loc) * (2 - eps) + (eps - 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * autograd.expm1(
            -(value - self.loc).abs() / self.scale
        )

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()


class Uniform(_BroadcastParameters):
    """The continuous uniform distribution on ``[low, high)``.

    Example:
        >>> Uniform(0.0, 4.0).log_prob(autograd.tensor(1.0))
        tensor(-1.3863)
    """

    _parameters = ("low", "high")
    has_rsample = True

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    def __init__(self, low, high, validate_args=None):
        super().__init__(low, high, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return float("nan") * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return self.low + _uniform(shape, self.low) * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        inside = (self.low <= value) & (self.high > value)
        return inside.to(self.low.dtype).log() - (self.high - self.low).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()


class Exponential(_BroadcastParameters):
    """The exponential distribution with ``rate`` (mean ``1 / rate``).

    Example:
        >>> Exponential(autograd.tensor(2.0)).log_prob(autograd.tensor(1.0))
        tensor(-1.3069)
    """

    _parameters = ("rate",)
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        super().__init__(rate, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return autograd.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=Size()):
        # -log(1 - u) is Exp(1); 1 - u is in (0, 1], so the log is finite
        shape = self._extended_shape(sample_shape)
        e = -(1 - _uniform(shape, self.rate)).log()
        return e / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()
