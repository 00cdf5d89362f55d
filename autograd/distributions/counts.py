"""Binomial, Geometric, NegativeBinomial and Multinomial distributions (mirror
``torch.distributions``): counts of successes and failures of Bernoulli trials.

Each takes ``probs`` (the success probability; for Multinomial a probability vector) or
``logits``, like Bernoulli and Categorical. Samples are drawn with NumPy's samplers from
jitgrad's generator (``autograd.manual_seed``) and are not differentiable; ``log_prob`` is.
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd.random import _gen
from autograd.tensor import Size

from . import constraints
from .discrete import Categorical, _BinaryTrials
from .distribution import Distribution
from .utils import _inner_property, _softplus, broadcast_all, finfo

__all__ = ["Binomial", "Geometric", "NegativeBinomial", "Multinomial"]


def _numpy(t, shape) -> np.ndarray:
    """A parameter as a float64 array broadcast to ``shape`` (for NumPy's samplers)."""
    return np.broadcast_to(t.detach().numpy().astype(np.float64), tuple(shape))


def _log_sigmoid(x):
    return -_softplus(-x)


class _CountsOfTrials(_BinaryTrials):
    """The parameters of Binomial and NegativeBinomial: ``total_count`` (cast to the
    probabilities' dtype) and ``probs`` or ``logits``, all broadcast to the batch shape."""

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        batch_shape, (total_count,) = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.to(self._param.dtype)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        cls = Binomial if isinstance(self, Binomial) else NegativeBinomial
        return self._expanded_trials(cls, _instance, batch_shape, "total_count")


class Binomial(_CountsOfTrials):
    """The number of successes in ``total_count`` independent trials with success
    probability ``probs`` (or ``sigmoid(logits)``).

    Example:
        >>> Binomial(10, autograd.tensor(0.5)).log_prob(autograd.tensor(5.0))
        tensor(-1.4020)
    """

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        **_BinaryTrials.arg_constraints,
    }
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        super().__init__(total_count, probs, logits, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        n = _numpy(self.total_count, shape).astype(np.int64)
        counts = _gen().binomial(n, _numpy(self.probs, shape))
        return autograd.tensor(counts.astype(self._param._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits, lg = self.total_count, self.logits, autograd.lgamma
        # n log(1 + e^logits), the normaliser, written so that it cannot overflow
        log_norm = n * _softplus(logits) - lg(n + 1)
        return value * logits - lg(value + 1) - lg(n - value + 1) - log_norm

    def _homogeneous_count(self, what: str) -> int:
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return total_count

    def entropy(self):
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = self._homogeneous_count("enumerate_support")
        values = autograd.arange(1 + total_count, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class NegativeBinomial(_CountsOfTrials):
    """The number of successes before ``total_count`` failures, each trial succeeding with
    probability ``probs``; ``total_count`` may be any positive real (a gamma-Poisson mixture,
    the usual model of overdispersed counts).

    Example:
        >>> NegativeBinomial(2.0, autograd.tensor(0.5)).log_prob(autograd.tensor(1.0))
        tensor(-1.3863)
    """

    arg_constraints = {
        "total_count": constraints.greater_than_eq(0),
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        super().__init__(total_count, probs, logits, validate_args=validate_args)

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape=Size()):
        # Poisson(G) with G ~ Gamma(total_count, rate=exp(-logits))
        shape = self._extended_shape(sample_shape)
        odds = _numpy(self.logits.exp(), shape)
        rate = _gen().standard_gamma(_numpy(self.total_count, shape)) * odds
        return autograd.tensor(_gen().poisson(rate).astype(self._param._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits, lg = self.total_count, self.logits, autograd.lgamma
        log_unnormalized = n * _log_sigmoid(-logits) + value * _log_sigmoid(logits)
        log_norm = -lg(n + value) + lg(1.0 + value) + lg(n)
        log_norm = autograd.where(n + value == 0.0, autograd.zeros_like(log_norm), log_norm)
        return log_unnormalized - log_norm


class Geometric(_BinaryTrials):
    """The number of failures before the first success of trials succeeding with
    probability ``probs`` (support 0, 1, 2, ...).

    Example:
        >>> Geometric(autograd.tensor(0.25)).log_prob(autograd.tensor(2.0))
        tensor(-1.9617)
    """

    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        batch_shape, _ = self._set_probs_or_logits(probs, logits)
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            value = self.probs
            raise ValueError(
                f"Expected parameter probs ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) of distribution {self!r} to be positive but found "
                f"invalid values:\n{value[~(value > 0)].detach()}"
            )

    def expand(self, batch_shape, _instance=None):
        return self._expanded_trials(Geometric, _instance, batch_shape)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return autograd.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=Size()):
        # inverse CDF: floor(log U / log(1 - p)), U in [tiny, 1)
        shape = self._extended_shape(sample_shape)
        p = self.probs.detach()
        u = np.maximum(_gen().random(tuple(shape)), float(finfo(p).tiny))
        k = np.floor(np.log(u) / np.log1p(-_numpy(p, shape)))
        return autograd.tensor(k.astype(p._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # 0 * log(0) = 0: a certain success scores 0 failures with probability 1
        certain = (probs == 1) & (value == 0)
        probs = autograd.where(certain, autograd.zeros_like(probs), probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        # binary cross-entropy of the first trial, over the expected number of trials
        return (_softplus(self.logits) - self.probs * self.logits) / self.probs


class Multinomial(Distribution):
    """Counts of each of ``K`` categories in ``total_count`` draws with probabilities
    ``probs`` (or ``softmax(logits)``); events are count vectors of length ``K``.

    Example:
        >>> m = Multinomial(4, probs=autograd.tensor([0.5, 0.5]))
        >>> m.log_prob(autograd.tensor([2.0, 2.0]))
        tensor(-0.9808)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(
            Multinomial, _instance, batch_shape, "_categorical", total_count=self.total_count
        )

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    logits = _inner_property("_categorical", "logits")
    probs = _inner_property("_categorical", "probs")
    param_shape = _inner_property("_categorical", "param_shape")

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        p = self.probs.detach().numpy().astype(np.float64)
        p = np.broadcast_to(p / p.sum(-1, keepdims=True), tuple(shape))
        counts = _gen().multinomial(self.total_count, p, size=tuple(shape[:-1]))
        return autograd.tensor(counts.astype(self.probs._data.dtype))

    def entropy(self):
        # H = -log n! - n sum p log p + sum_k E[log x_k!], x_k ~ Binomial(n, p_k)
        n = autograd.tensor(float(self.total_count), dtype=self.probs.dtype)
        term1 = n * self._categorical.entropy() - autograd.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = self._binomial.log_prob(support).exp()
        weights = autograd.lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum((0, -1))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        # an impossible category drawn 0 times contributes 0, not 0 * -inf
        impossible = (value == 0) & (logits == -np.inf)
        logits = autograd.where(impossible, autograd.zeros_like(logits), logits)
        log_factorial_n = autograd.lgamma(value.sum(-1) + 1)
        log_factorial_xs = autograd.lgamma(value + 1).sum(-1)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)
