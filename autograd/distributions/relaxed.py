"""Relaxed (Concrete / Gumbel-softmax) distributions (mirror ``torch.distributions``):
RelaxedBernoulli and RelaxedOneHotCategorical, with their logit-space bases
LogitRelaxedBernoulli and ExpRelaxedCategorical.

A categorical sample is ``argmax(logits + g)`` with Gumbel noise ``g`` (the Gumbel-max
trick); replacing the argmax by ``softmax((logits + g) / temperature)`` gives a point of the
simplex that is differentiable in the logits. As the temperature goes to 0 the samples
approach one-hot vectors; ``rsample`` trains discrete choices by backpropagation.
"""

from __future__ import annotations

import numbers

import autograd
from autograd.tensor import Size

from . import constraints
from .discrete import Categorical, _BinaryTrials
from .distribution import Distribution
from .transformed import _OnBase
from .transforms import ExpTransform, SigmoidTransform
from .utils import _inner_property, broadcast_all, clamp_probs

__all__ = [
    "LogitRelaxedBernoulli",
    "RelaxedBernoulli",
    "ExpRelaxedCategorical",
    "RelaxedOneHotCategorical",
]


def _temperature(temperature, like):
    """A number becomes a tensor of the parameters' dtype (``log_prob`` takes its log)."""
    if isinstance(temperature, numbers.Number):
        return autograd.tensor(float(temperature), dtype=like.dtype)
    return temperature


class LogitRelaxedBernoulli(_BinaryTrials):
    """The logit of a RelaxedBernoulli sample: ``(logit(u) + logits) / temperature``.

    Example:
        >>> d = LogitRelaxedBernoulli(autograd.tensor(0.5), logits=autograd.tensor(0.0))
        >>> d.log_prob(autograd.tensor(0.0))
        tensor(-2.0794)
    """

    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        batch_shape, _ = self._set_probs_or_logits(probs, logits)
        self.temperature = _temperature(temperature, self._param)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded_trials(
            LogitRelaxedBernoulli, _instance, batch_shape, temperature=self.temperature
        )

    # has_rsample stays False, as in torch (RelaxedBernoulli, built on it, says True)
    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(autograd.rand(tuple(shape), dtype=probs.dtype))
        logistic = u.log() - (-u).log1p()  # logistic noise: the difference of two Gumbels
        return (logistic + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class _Relaxed(_OnBase):
    """A relaxed distribution built on its logit-space base: the parameters are the base's."""

    has_rsample = True
    temperature = _inner_property("base_dist", "temperature")
    logits = _inner_property("base_dist", "logits")
    probs = _inner_property("base_dist", "probs")


class RelaxedBernoulli(_Relaxed):
    """A relaxed (continuous) Bernoulli on (0, 1): ``sigmoid`` of a LogitRelaxedBernoulli.

    Example:
        >>> d = RelaxedBernoulli(autograd.tensor(0.5), probs=autograd.tensor(0.5))
        >>> d.log_prob(autograd.tensor(0.5))
        tensor(-0.6931)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)


class ExpRelaxedCategorical(Distribution):
    """The log of a RelaxedOneHotCategorical sample (better conditioned for small
    temperatures): ``log_softmax((logits + gumbel) / temperature)``.

    Example:
        >>> d = ExpRelaxedCategorical(autograd.tensor(1.0), logits=autograd.zeros(2))
        >>> d.log_prob(autograd.tensor([-0.5, -0.9741]))
        tensor(-1.4420)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector  # the samples lie on a submanifold of it
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = _temperature(temperature, self._categorical._param)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(
            ExpRelaxedCategorical,
            _instance,
            batch_shape,
            "_categorical",
            temperature=self.temperature,
        )

    param_shape = _inner_property("_categorical", "param_shape")
    logits = _inner_property("_categorical", "logits")
    probs = _inner_property("_categorical", "probs")

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = clamp_probs(autograd.rand(tuple(shape), dtype=self.logits.dtype))
        gumbels = -(-(u.log())).log()
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        t = self.temperature
        log_scale = autograd.full_like(t, float(k)).lgamma() + (k - 1) * t.log()
        score = logits - value * t
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(_Relaxed):
    """The Concrete / Gumbel-softmax distribution on the simplex: ``exp`` of an
    ExpRelaxedCategorical sample, i.e. ``softmax((logits + gumbel) / temperature)``.

    Example:
        >>> d = RelaxedOneHotCategorical(autograd.tensor(0.1), logits=autograd.tensor([0.0, 3.0]))
        >>> d.rsample().shape
        autograd.Size([2])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)
