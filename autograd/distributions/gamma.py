"""Gamma, Beta and Dirichlet distributions (mirror ``torch.distributions``), and the gamma
sampler with its *implicit reparameterisation* gradient.

A gamma sample cannot be written as a simple differentiable function of parameter-free
noise, but it can be defined implicitly: ``x`` is the point where the CDF reaches a fixed
uniform ``u``, ``P(alpha, x) = u``. Differentiating that identity gives
``dx/dalpha = -(dP/dalpha) / (dP/dx)``, where ``dP/dx`` is the gamma density and
``dP/dalpha`` is computed numerically from SciPy's regularised incomplete gamma function
(central differences with Richardson extrapolation, on the upper tail ``Q = 1 - P`` past
the median so that neither tail loses relative precision). Beta and Dirichlet samples are
normalised gamma samples, so their gradients follow by the chain rule.
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd.function import Op
from autograd.random import _gen
from autograd.tensor import Size, Tensor

from . import constraints
from .distribution import Distribution, _BroadcastParameters
from .utils import broadcast_all, finfo

__all__ = ["Gamma", "Beta", "Dirichlet"]


def _special():
    import scipy.special

    return scipy.special


# ---- the gamma sampler and its gradient ---------------------------------------------------------
def _gamma_sample_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``dx/dalpha`` of a standard-gamma sample ``x`` with the noise held fixed, in float64."""
    sp = _special()
    a = alpha.astype(np.float64)
    x = x.astype(np.float64)
    upper = sp.gammainc(a, x) > 0.5

    def cdf(b):  # P, or -Q on the upper half (the same derivative, better precision)
        return np.where(upper, -sp.gammaincc(b, x), sp.gammainc(b, x))

    h = 1e-4 * np.maximum(a, 1e-2)
    d1 = (cdf(a + h) - cdf(a - h)) / (2 * h)
    d2 = (cdf(a + 2 * h) - cdf(a - 2 * h)) / (4 * h)
    dp_dalpha = (4 * d1 - d2) / 3  # Richardson: O(h^4) error
    log_density = (a - 1) * np.log(x) - x - sp.gammaln(a)
    return -dp_dalpha * np.exp(-log_density)


class StandardGammaGrad(Op):
    """``dx/dalpha`` as an op of (alpha, x), so that a first-order gradient can be recorded
    (``create_graph=True``); its own derivative is not implemented, as in torch."""

    @staticmethod
    def forward(ctx, alpha, x):
        return _gamma_sample_grad(alpha, x).astype(alpha.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, xp):
        raise RuntimeError("the derivative for '_standard_gamma_grad' is not implemented.")


class StandardGamma(Op):
    """A Gamma(alpha, 1) sample for every element of ``alpha``; the VJP uses the implicit
    reparameterisation gradient above."""

    @staticmethod
    def forward(ctx, alpha):
        x = _gen().standard_gamma(alpha.astype(np.float64))
        x = np.maximum(x, np.finfo(alpha.dtype).tiny).astype(alpha.dtype, copy=False)
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, g, xp):
        alpha, x = ctx.saved_tensors
        if xp.graph:
            return g * StandardGammaGrad.apply(alpha, x)
        return g * _gamma_sample_grad(alpha, x).astype(alpha.dtype, copy=False)


def _standard_gamma(alpha: Tensor) -> Tensor:
    """Gamma(alpha, 1) samples, differentiable in ``alpha`` (torch._standard_gamma)."""
    return StandardGamma.apply(alpha)


class GammaInc(Op):
    """The regularised lower incomplete gamma function P(a, x); differentiable in ``x``
    only (d/dx is the gamma density), as in torch."""

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _special().gammainc(a, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g, xp):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise RuntimeError("the derivative for 'self' is not implemented.")
        return None, g * xp.exp((a - 1) * xp.log(x) - x - xp.lgamma(a))


# ---- distributions --------------------------------------------------------------------------------
class Gamma(_BroadcastParameters):
    """The gamma distribution with ``concentration`` (shape) and ``rate`` (1 / scale).

    Example:
        >>> Gamma(autograd.tensor(2.0), autograd.tensor(1.0)).log_prob(autograd.tensor(1.0))
        tensor(-1.)
    """

    _parameters = ("concentration", "rate")
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        super().__init__(concentration, rate, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        np.maximum(value._data, finfo(value).tiny, out=value._data)  # stays positive
        return value

    def log_prob(self, value):
        value = autograd.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        c, r = self.concentration, self.rate
        return autograd.xlogy(c, r) + autograd.xlogy(c - 1, value) - r * value - autograd.lgamma(c)

    def entropy(self):
        c = self.concentration
        return c - self.rate.log() + autograd.lgamma(c) + (1.0 - c) * autograd.digamma(c)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c, x = broadcast_all(self.concentration, self.rate * value)
        return GammaInc.apply(c, x)


class Dirichlet(Distribution):
    """The Dirichlet distribution over probability vectors (the simplex), with
    ``concentration`` alpha (its last dimension is the number of categories).

    Example:
        >>> Dirichlet(autograd.tensor([1.0, 1.0, 1.0])).log_prob(autograd.tensor([0.2, 0.3, 0.5]))
        tensor(0.6931)
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        concentration = self.concentration.expand(batch_shape + self.event_shape)
        return self._expanded(Dirichlet, _instance, batch_shape, concentration=concentration)

    def rsample(self, sample_shape=Size()):
        # normalised independent gammas; clamped away from 0 and 1 like torch's sampler
        shape = self._extended_shape(sample_shape)
        g = _standard_gamma(self.concentration.expand(shape))
        return _inside_unit_interval(g / g.sum(-1, keepdim=True))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (
            autograd.xlogy(c - 1.0, value).sum(-1)
            + autograd.lgamma(c.sum(-1))
            - autograd.lgamma(c).sum(-1)
        )

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        return _dirichlet_mode(self.concentration)

    @property
    def variance(self):
        c0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (c0 - self.concentration) / (c0.pow(2) * (c0 + 1))

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return (
            autograd.lgamma(c).sum(-1)
            - autograd.lgamma(a0)
            - (k - a0) * autograd.digamma(a0)
            - ((c - 1.0) * autograd.digamma(c)).sum(-1)
        )


def _inside_unit_interval(x: Tensor) -> Tensor:
    """``x`` (normalised gammas) clamped in place into (0, 1), from the dtype's smallest
    normal number to ``1 - eps``, like torch's Dirichlet and Beta samplers: rounding can give
    exactly 0 or 1, where ``log_prob`` is infinite."""
    info = finfo(x)
    np.clip(x._data, info.tiny, 1 - info.eps, out=x._data)
    return x


def _dirichlet_mode(c):
    """The most likely probability vector: (c - 1)+ normalised; when every c < 1 the density
    peaks at a corner, taken (as torch does) at the first maximum of that vector."""
    mode = (c - 1).clamp(min=0.0)
    mode = mode / mode.sum(-1, keepdim=True)
    mask = (c < 1).all(-1)
    if bool(mask.any()):
        corner = autograd.one_hot(mode.argmax(-1), c.shape[-1]).to(c.dtype)
        mode = autograd.where(mask.unsqueeze(-1), corner, mode)
    return mode


class Beta(_BroadcastParameters):
    """The beta distribution on [0, 1] with ``concentration1`` (alpha) and
    ``concentration0`` (beta).

    Example:
        >>> Beta(autograd.tensor(2.0), autograd.tensor(2.0)).log_prob(autograd.tensor(0.5))
        tensor(0.4055)
    """

    _parameters = ("concentration1", "concentration0")
    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        super().__init__(concentration1, concentration0, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return _dirichlet_mode(autograd.stack([self.concentration1, self.concentration0], -1))[
            ..., 0
        ]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=Size()):
        # a two-category Dirichlet: x = g1 / (g1 + g0)
        shape = self._extended_shape(sample_shape)
        g1 = _standard_gamma(self.concentration1.expand(shape))
        g0 = _standard_gamma(self.concentration0.expand(shape))
        return _inside_unit_interval(g1 / (g1 + g0))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return (
            autograd.xlogy(a - 1.0, value)
            + autograd.xlogy(b - 1.0, 1.0 - value)
            + autograd.lgamma(a + b)
            - autograd.lgamma(a)
            - autograd.lgamma(b)
        )

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return (
            autograd.lgamma(a)
            + autograd.lgamma(b)
            - autograd.lgamma(total)
            - (a - 1) * autograd.digamma(a)
            - (b - 1) * autograd.digamma(b)
            + (total - 2) * autograd.digamma(total)
        )
