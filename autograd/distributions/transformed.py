"""TransformedDistribution and the distributions built as one (mirror ``torch.distributions``):
LogNormal, HalfNormal, Gumbel, Weibull, Pareto and HalfCauchy.

``TransformedDistribution(base, [t1, t2, ...])`` draws ``x`` from ``base`` and returns
``y = ... t2(t1(x))``. By the change of variables its density is
``log p(y) = log p_base(x) - sum_i log|det dt_i/dx|``, evaluated by running the transforms
backwards from ``y``. Sampling is reparameterised whenever the base distribution's is.

Example (a log-normal built by hand equals ``LogNormal``):
    >>> import autograd
    >>> from autograd.distributions import Normal, ExpTransform
    >>> d = TransformedDistribution(Normal(0.0, 1.0), [ExpTransform()])
    >>> d.log_prob(autograd.tensor(1.0)), LogNormal(0.0, 1.0).log_prob(autograd.tensor(1.0))
    (tensor(-0.9189), tensor(-0.9189))
"""

from __future__ import annotations

import math
import numbers

import autograd
from autograd.tensor import Size

from . import constraints
from .continuous import Exponential, Normal, Uniform
from .distribution import Distribution
from .heavy_tailed import Cauchy
from .multivariate import Independent
from .transforms import AbsTransform, AffineTransform, ComposeTransform, ExpTransform
from .transforms import PowerTransform, Transform
from .utils import _inner_property, _sum_rightmost, broadcast_all, euler_constant, finfo

__all__ = [
    "TransformedDistribution",
    "LogNormal",
    "HalfNormal",
    "Gumbel",
    "Weibull",
    "Pareto",
    "HalfCauchy",
]


class TransformedDistribution(Distribution):
    """The distribution of ``transforms`` (a Transform or a list, applied in order) applied
    to a sample of ``base_distribution``.

    The event shape is the larger of the base's and the transforms' (a transform over
    vectors, e.g. ``SoftmaxTransform``, makes the last dimension one event).

    Example (the logistic distribution):
        >>> from autograd.distributions import SigmoidTransform
        >>> logistic = TransformedDistribution(
        ...     Uniform(0.0, 1.0), [SigmoidTransform().inv, AffineTransform(0.0, 2.0)])
        >>> logistic.log_prob(autograd.tensor(0.0))
        tensor(-2.0794)
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, list):
            if not all(isinstance(t, Transform) for t in transforms):
                raise ValueError("transforms must be a Transform or a list of Transforms")
            self.transforms = transforms
        else:
            raise ValueError(f"transforms must be a Transform or list, but was {transforms}")
        base_shape = Size(base_distribution.batch_shape + base_distribution.event_shape)
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        if len(base_shape) < transform.domain.event_dim:
            raise ValueError(
                "base_distribution needs to have shape with size at least "
                f"{transform.domain.event_dim}, but got {base_shape}."
            )
        forward_shape = transform.forward_shape(base_shape)
        # parameters of the transforms may broadcast the base distribution to a larger batch
        expanded_base_shape = transform.inverse_shape(forward_shape)
        if base_shape != expanded_base_shape:
            base_batch_shape = expanded_base_shape[: len(expanded_base_shape) - base_event_dim]
            base_distribution = base_distribution.expand(base_batch_shape)
        # a transform over events of k dimensions sees k of the base's batch dimensions as one
        reinterpreted_batch_ndims = transform.domain.event_dim - base_event_dim
        if reinterpreted_batch_ndims > 0:
            base_distribution = Independent(base_distribution, reinterpreted_batch_ndims)
        self.base_dist = base_distribution
        event_dim = max(
            transform.codomain.event_dim,
            base_event_dim + transform.codomain.event_dim - transform.domain.event_dim,
        )
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        shape = batch_shape + self.event_shape
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        base_batch_shape = shape[: len(shape) - len(self.base_dist.event_shape)]
        base = self.base_dist.expand(base_batch_shape)
        return self._expanded(
            TransformedDistribution,
            _instance,
            batch_shape,
            base_dist=base,
            transforms=self.transforms,
        )

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support, len(self.event_shape) - support.event_dim)
        return support

    has_rsample = _inner_property("base_dist", "has_rsample")

    def _forward(self, x):
        for transform in self.transforms:
            x = transform(x)
        return x

    def sample(self, sample_shape=Size()):
        with autograd.no_grad():
            return self._forward(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape=Size()):
        return self._forward(self.base_dist.rsample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self.event_shape)
        log_prob = 0.0
        y = value
        for transform in reversed(self.transforms):
            x = transform.inv(y)
            event_dim += transform.domain.event_dim - transform.codomain.event_dim
            log_prob = log_prob - _sum_rightmost(
                transform.log_abs_det_jacobian(x, y), event_dim - transform.domain.event_dim
            )
            y = x
        base = _sum_rightmost(
            self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape)
        )
        return log_prob + base

    def _monotonize_cdf(self, value):
        """``value`` or ``1 - value``: with a decreasing transform the CDF runs backwards."""
        sign = 1
        for transform in self.transforms:
            sign = sign * transform.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value):
        for transform in self.transforms[::-1]:
            value = transform.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value):
        return self._forward(self.base_dist.icdf(self._monotonize_cdf(value)))


class _OnBase(TransformedDistribution):
    """A named TransformedDistribution whose parameters live on its base distribution (or
    are set before ``__init__``): ``expand`` expands the base and keeps the class."""

    _own: tuple[str, ...] = ()  # parameters held by the instance itself, expanded too

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        for name in self._own:
            setattr(new, name, getattr(self, name).expand(Size(batch_shape)))
        return super().expand(batch_shape, _instance=new)


class LogNormal(_OnBase):
    """``exp(X)`` for ``X ~ Normal(loc, scale)``.

    Example:
        >>> LogNormal(0.0, 1.0).mean
        tensor(1.6487)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    loc = _inner_property("base_dist", "loc")
    scale = _inner_property("base_dist", "scale")

    @property
    def mean(self):
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self):
        return (self.loc - self.scale.pow(2)).exp()

    @property
    def variance(self):
        scale_sq = self.scale.pow(2)
        return scale_sq.expm1() * (2 * self.loc + scale_sq).exp()

    def entropy(self):
        return self.base_dist.entropy() + self.loc


class _Folded(_OnBase):
    """``|X|`` for ``X ~ _unfolded(0, scale)``, a distribution symmetric about 0 (HalfNormal,
    HalfCauchy): the density is twice the base's on ``x >= 0`` and 0 below."""

    support = constraints.nonnegative
    has_rsample = True
    arg_constraints = {"scale": constraints.positive}
    scale = _inner_property("base_dist", "scale")
    _unfolded: type[Distribution]  # the symmetric distribution, built from (loc=0, scale)

    def __init__(self, scale, validate_args=None):
        base = self._unfolded(0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    @property
    def mode(self):
        return autograd.zeros_like(self.scale)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = autograd.as_tensor(value, dtype=self.scale.dtype)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return autograd.where(value >= 0, log_prob, autograd.full_like(log_prob, -math.inf))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class HalfNormal(_Folded):
    """``|X|`` for ``X ~ Normal(0, scale)``.

    Example:
        >>> HalfNormal(1.0).log_prob(autograd.tensor(0.0))
        tensor(-0.2258)
    """

    _unfolded = Normal

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)


class HalfCauchy(_Folded):
    """``|X|`` for ``X ~ Cauchy(0, scale)`` (a common prior for scale parameters).

    Example:
        >>> HalfCauchy(1.0).log_prob(autograd.tensor(0.0))
        tensor(-0.4516)
    """

    _unfolded = Cauchy

    @property
    def mean(self):
        return autograd.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    variance = _inner_property("base_dist", "variance")


class Gumbel(_OnBase):
    """The Gumbel (type-I extreme value) distribution: ``loc - scale * log(-log U)``. The
    maximum of many samples follows it; ``-log(-log U)`` is the noise of the Gumbel-max trick.

    Example:
        >>> Gumbel(0.0, 1.0).log_prob(autograd.tensor(0.0))
        tensor(-1.)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    _own = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        info = finfo(self.loc)
        low, high = float(info.tiny), 1 - float(info.eps)
        if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number):
            base = Uniform(low, high, validate_args=validate_args)
        else:
            full = autograd.full_like
            base = Uniform(full(self.loc, low), full(self.loc, high), validate_args=validate_args)
        transforms = [
            ExpTransform().inv,
            AffineTransform(loc=0, scale=-autograd.ones_like(self.scale)),
            ExpTransform().inv,
            AffineTransform(loc=loc, scale=-self.scale),
        ]
        super().__init__(base, transforms, validate_args=validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    @property
    def mean(self):
        return self.loc + self.scale * euler_constant

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def entropy(self):
        return self.scale.log() + (1 + euler_constant)


class Weibull(TransformedDistribution):
    """The Weibull distribution: ``scale * E ** (1 / concentration)`` for ``E ~ Exp(1)``.

    Example:
        >>> Weibull(1.0, 1.0).log_prob(autograd.tensor(1.0))
        tensor(-1.)
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(autograd.ones_like(self.scale), validate_args=validate_args)
        super().__init__(base, self._transforms(), validate_args=validate_args)

    def _transforms(self):
        return [
            PowerTransform(exponent=self.concentration_reciprocal),
            AffineTransform(loc=0, scale=self.scale),
        ]

    def expand(self, batch_shape, _instance=None):
        # the transforms hold the parameters: rebuilt from the expanded ones
        batch_shape = Size(batch_shape)
        new = self._get_checked_instance(Weibull, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base = self.base_dist.expand(batch_shape)
        TransformedDistribution.__init__(new, base, new._transforms(), validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.scale * autograd.lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self):
        r = self.concentration_reciprocal
        lg = autograd.lgamma
        return self.scale.pow(2) * (lg(1 + 2 * r).exp() - (2 * lg(1 + r)).exp())

    def entropy(self):
        r = self.concentration_reciprocal
        return euler_constant * (1 - r) + (self.scale * r).log() + 1


class Pareto(_OnBase):
    """The Pareto (type I) distribution: ``scale * exp(E)`` for ``E ~ Exp(alpha)``, on
    ``[scale, inf)``.

    Example:
        >>> Pareto(1.0, 2.0).log_prob(autograd.tensor(2.0))
        tensor(-1.3863)
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    _own = ("scale", "alpha")

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self):
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())
