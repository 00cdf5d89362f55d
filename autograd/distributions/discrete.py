"""Bernoulli, Categorical, OneHotCategorical and Poisson distributions (mirror
``torch.distributions``). Discrete samples are not differentiable (no ``rsample``); train
through them with the score-function estimator, ``-(log_prob(sample) * reward)``.

Bernoulli and Categorical take either ``probs`` or ``logits`` (unnormalised log
probabilities); the other one is derived on first use.
"""

from __future__ import annotations

import numbers

import numpy as np

import autograd
from autograd.random import _gen
from autograd.tensor import Size

from . import constraints
from .distribution import Distribution, _BroadcastParameters
from .utils import (
    _inner_property,
    _softplus,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["Bernoulli", "Categorical", "OneHotCategorical", "Poisson"]


def _one_of(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _expanded_probs_logits(dist, shape) -> dict:
    """``probs`` and ``logits``, those of them ``dist`` holds (one was given, the other is
    computed lazily), expanded to ``shape``; ``_param`` is the last of them, as in torch."""
    expanded = {}
    for name in ("probs", "logits"):
        if name in dist.__dict__:
            expanded[name] = expanded["_param"] = getattr(dist, name).expand(shape)
    return expanded


class _BinaryTrials(Distribution):
    """Base of the distributions of success/failure trials given ``probs`` (the success
    probability) or ``logits`` (its log-odds); the other one is derived on first use
    (Bernoulli, Geometric, Binomial, NegativeBinomial, LogitRelaxedBernoulli)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}

    def _set_probs_or_logits(self, probs, logits, *others):
        """Store ``probs`` or ``logits`` (and ``_param``), broadcast with the tensors or
        numbers ``others``; return the batch shape (``()`` for a lone number, as torch) and
        the broadcast ``others``."""
        _one_of(probs, logits)
        given = probs if probs is not None else logits
        param, *rest = broadcast_all(given, *others)
        setattr(self, "probs" if probs is not None else "logits", param)
        self._param = param
        lone_number = isinstance(given, numbers.Number) and not others
        return (Size() if lone_number else param.shape), rest

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.shape

    def _expanded_trials(self, cls, _instance, batch_shape, *names, **attributes):
        """``_expanded`` with ``probs`` or ``logits`` (those this one holds) expanded too."""
        trials = _expanded_probs_logits(self, Size(batch_shape))
        return self._expanded(cls, _instance, batch_shape, *names, **attributes, **trials)


class Bernoulli(_BinaryTrials):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0.

    Example:
        >>> Bernoulli(probs=autograd.tensor(0.3)).log_prob(autograd.tensor(1.0))
        tensor(-1.2040)
    """

    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        batch_shape, _ = self._set_probs_or_logits(probs, logits)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded_trials(Bernoulli, _instance, batch_shape)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return autograd.where(self.probs == 0.5, autograd.full_like(mode, float("nan")), mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(self.probs.detach().numpy(), tuple(shape))
        return autograd.tensor((_gen().random(tuple(shape)) < p).astype(p.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        # -binary_cross_entropy_with_logits(logits, value)
        return value * logits - _softplus(logits)

    def entropy(self):
        logits, probs = self.logits, self.probs
        return _softplus(logits) - probs * logits

    def enumerate_support(self, expand=True):
        values = autograd.arange(2, dtype=self._param.dtype).reshape(
            (-1,) + (1,) * len(self._batch_shape)
        )
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class Categorical(Distribution):
    """One of ``K`` categories ``0 .. K-1`` with probabilities ``probs`` (normalised over the
    last dimension) or ``softmax(logits)``.

    Example:
        >>> Categorical(probs=autograd.tensor([0.2, 0.8])).log_prob(autograd.tensor(1))
        tensor(-0.2231)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(probs, logits)
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        parameters = _expanded_probs_logits(self, batch_shape + (self._num_events,))
        return self._expanded(
            Categorical, _instance, batch_shape, _num_events=self._num_events, **parameters
        )

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return autograd.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return autograd.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=Size()):
        # inverse CDF: the first category whose cumulative probability exceeds a uniform
        shape = self._extended_shape(sample_shape)
        p = self.probs.detach().numpy().astype(np.float64)
        cdf = np.cumsum(p, -1)
        cdf /= cdf[..., -1:]
        u = _gen().random(tuple(shape))
        idx = (u[..., None] >= np.broadcast_to(cdf, tuple(shape) + (self._num_events,))).sum(-1)
        return autograd.tensor(np.minimum(idx, self._num_events - 1), dtype=autograd.int64)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(value.shape, self.logits.shape)
        log_pmf = self.logits.expand(shape)
        index = value.expand(shape[:-1] + (1,))
        return log_pmf.gather(-1, index).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits._data.dtype).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = autograd.arange(self._num_events).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class OneHotCategorical(Distribution):
    """A categorical sample written as a one-hot vector of length ``K``.

    Example:
        >>> OneHotCategorical(probs=autograd.tensor([0.2, 0.8])).log_prob(autograd.tensor([0.0, 1.0]))
        tensor(-0.2231)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        param = self._categorical._param
        super().__init__(param.shape[:-1], param.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(OneHotCategorical, _instance, batch_shape, "_categorical")

    probs = _inner_property("_categorical", "probs")
    logits = _inner_property("_categorical", "logits")
    _param = _inner_property("_categorical", "_param")
    param_shape = _inner_property("_categorical", "param_shape")
    mean = _inner_property("_categorical", "probs")  # a one-hot vector's mean is the probs

    @property
    def mode(self):
        probs = self._categorical.probs
        return autograd.one_hot(probs.argmax(-1), probs.shape[-1]).to(probs.dtype)

    @property
    def variance(self):
        p = self._categorical.probs
        return p * (1 - p)

    def sample(self, sample_shape=Size()):
        probs = self._categorical.probs
        indices = self._categorical.sample(sample_shape)
        return autograd.one_hot(indices, probs.shape[-1]).to(probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self.event_shape[0]
        values = autograd.eye(n, dtype=self._param.dtype).reshape(
            (n,) + (1,) * len(self.batch_shape) + (n,)
        )
        return values.expand((n,) + tuple(self.batch_shape) + (n,)) if expand else values

    def __repr__(self):
        cat = self._categorical
        names = [k for k in ("probs", "logits") if k in cat.__dict__]
        args = ", ".join(
            f"{p}: {cat.__dict__[p] if cat.__dict__[p].numel() == 1 else cat.__dict__[p].size()}"
            for p in names
        )
        return f"OneHotCategorical({args})"


class Poisson(_BroadcastParameters):
    """The Poisson distribution: counts with mean ``rate``.

    Example:
        >>> Poisson(autograd.tensor(2.0)).log_prob(autograd.tensor(3.0))
        tensor(-1.7123)
    """

    _parameters = ("rate",)
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        super().__init__(rate, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        rate = np.broadcast_to(self.rate.detach().numpy(), tuple(shape))
        counts = _gen().poisson(rate.astype(np.float64))
        return autograd.tensor(counts.astype(self.rate._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return autograd.xlogy(value, rate) - rate - autograd.lgamma(value + 1)
