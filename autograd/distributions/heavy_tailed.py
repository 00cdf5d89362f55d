"""Cauchy, StudentT and Chi2 distributions (mirror ``torch.distributions``).

The Cauchy and Student's t distributions have heavy tails: their mean (Cauchy; t with
``df <= 1``) and variance (``df <= 2``) do not exist, reported as nan or inf like torch.
Student's t is a normal divided by the root of an independent chi-square over its degrees
of freedom, and a chi-square is a gamma, so its ``rsample`` is differentiable in ``df``
through the gamma sampler's implicit gradient.
"""

from __future__ import annotations

import math

import autograd
from autograd.tensor import Size

from . import constraints
from .continuous import _LocScale, _uniform
from .distribution import Distribution
from .gamma import Gamma
from .utils import _standard_normal, broadcast_all

__all__ = ["Cauchy", "StudentT", "Chi2"]


class Cauchy(_LocScale):
    """The Cauchy (Lorentz) distribution with median ``loc`` and half-width ``scale``.

    Example:
        >>> Cauchy(0.0, 1.0).log_prob(autograd.tensor(0.0))
        tensor(-1.1447)
    """

    _parameters = ("loc", "scale")

    @property
    def mean(self):
        return autograd.full(self._extended_shape(), math.nan, dtype=self.loc.dtype)

    @property
    def variance(self):
        return autograd.full(self._extended_shape(), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape=Size()):
        # inverse CDF: tan(pi (u - 1/2)) is standard Cauchy
        shape = self._extended_shape(sample_shape)
        eps = (math.pi * (_uniform(shape, self.loc) - 0.5)).tan()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - (z**2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()


class Chi2(Gamma):
    """The chi-square distribution with ``df`` degrees of freedom: Gamma(df / 2, 1 / 2).

    Example:
        >>> Chi2(autograd.tensor(2.0)).mean
        tensor(2.)
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2


class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, location and scale.

    Example:
        >>> StudentT(autograd.tensor(3.0)).log_prob(autograd.tensor(0.0))
        tensor(-1.0009)
    """

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(StudentT, _instance, batch_shape, "df", "loc", "scale", "_chi2")

    @property
    def mean(self):
        nan = autograd.full_like(self.loc, math.nan)
        return autograd.where(self.df <= 1, nan, self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite_df = autograd.where(df > 2, df, autograd.full_like(df, 3.0))  # no 0/0 in grads
        finite = self.scale.pow(2) * finite_df / (finite_df - 2)
        undefined = autograd.where(
            df > 1, autograd.full_like(df, math.inf), autograd.full_like(df, math.nan)
        )
        return autograd.where(df > 2, finite, undefined)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        x = _standard_normal(shape, self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * x * (z / self.df).rsqrt()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        df, lg = self.df, autograd.lgamma
        y = (value - self.loc) / self.scale
        norm = (
            self.scale.log()
            + 0.5 * df.log()
            + 0.5 * math.log(math.pi)
            + lg(0.5 * df)
            - lg(0.5 * (df + 1.0))
        )
        return -0.5 * (df + 1.0) * (y**2 / df).log1p() - norm

    def entropy(self):
        df, lg, dg = self.df, autograd.lgamma, autograd.digamma
        lbeta = lg(0.5 * df) + math.lgamma(0.5) - lg(0.5 * (df + 1))
        return (
            self.scale.log()
            + 0.5 * (df + 1) * (dg(0.5 * (df + 1)) - dg(0.5 * df))
            + 0.5 * df.log()
            + lbeta
        )
