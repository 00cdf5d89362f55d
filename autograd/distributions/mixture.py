"""MixtureSameFamily (mirrors ``torch.distributions.MixtureSameFamily``): a mixture of ``k``
distributions of one family, e.g. a Gaussian mixture model.

The components are the last batch dimension of ``component_distribution``; the mixture
weights are a ``Categorical`` over them. ``log_prob`` is the log-sum-exp of the components'
log densities plus the log weights, so it is differentiable in both (fitting a mixture by
gradient descent); samples pick a component, then draw from it (no ``rsample``).
"""

from __future__ import annotations

import autograd
from autograd.tensor import Size

from . import constraints
from .discrete import Categorical
from .distribution import Distribution

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """A mixture with weights ``mixture_distribution`` (a Categorical over ``k``) of the
    ``k`` distributions in the last batch dimension of ``component_distribution``.

    Example (two Gaussians, weights 0.3 and 0.7):
        >>> from autograd.distributions import Categorical, Normal
        >>> mix = Categorical(probs=autograd.tensor([0.3, 0.7]))
        >>> comp = Normal(autograd.tensor([-1.0, 2.0]), autograd.tensor([0.5, 1.0]))
        >>> gmm = MixtureSameFamily(mix, comp)
        >>> gmm.mean, gmm.log_prob(autograd.tensor(0.0))
        (tensor(1.1000), tensor(-2.6566))
    """

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(
                " The Mixture distribution needs to be an "
                " instance of torch.distributions.Categorical"
            )
        if not isinstance(component_distribution, Distribution):
            raise ValueError(
                "The Component distribution needs to be an "
                "instance of torch.distributions.Distribution"
            )
        mdbs = mixture_distribution.batch_shape
        cdbs = Size(component_distribution.batch_shape[:-1])
        for size1, size2 in zip(reversed(mdbs), reversed(cdbs)):
            if size1 != 1 and size2 != 1 and size1 != size2:
                raise ValueError(
                    f"`mixture_distribution.batch_shape` ({mdbs}) is not "
                    f"compatible with `component_distribution.batch_shape`({cdbs})"
                )
        km = mixture_distribution.logits.shape[-1]
        kc = component_distribution.batch_shape[-1]
        if km != kc:
            raise ValueError(
                f"`mixture_distribution component` ({km}) does not equal "
                f"`component_distribution.batch_shape[-1]` ({kc})"
            )
        self._num_component = km
        event_shape = component_distribution.event_shape
        self._event_ndims = len(event_shape)
        super().__init__(cdbs, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        components = self._component_distribution.expand(batch_shape + (self._num_component,))
        return self._expanded(
            MixtureSameFamily,
            _instance,
            batch_shape,
            "_mixture_distribution",
            _component_distribution=components,
            _num_component=self._num_component,
            _event_ndims=self._event_ndims,
        )

    @constraints.dependent_property
    def support(self):
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    def _weights(self):
        """The mixture weights, shaped to broadcast against per-component moments."""
        probs = self.mixture_distribution.probs
        return probs.reshape(tuple(probs.shape) + (1,) * self._event_ndims)

    def _sum_components(self, x):
        return x.sum(-1 - self._event_ndims)

    @property
    def mean(self):
        comp_mean = self.component_distribution.mean
        return self._sum_components(self._weights() * comp_mean)

    @property
    def variance(self):
        # the law of total variance: E[Var(X | c)] + Var(E[X | c])
        comp_mean = self.component_distribution.mean
        weights = self._weights()
        mean_cond_var = self._sum_components(weights * self.component_distribution.variance)
        var_cond_mean = self._sum_components(weights * (comp_mean - self._pad(self.mean)).pow(2))
        return mean_cond_var + var_cond_mean

    def cdf(self, x):
        cdf_x = self.component_distribution.cdf(self._pad(x))
        return (cdf_x * self.mixture_distribution.probs).sum(-1)

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        log_prob_x = self.component_distribution.log_prob(self._pad(x))  # [S, B, k]
        log_mix_prob = autograd.log_softmax(self.mixture_distribution.logits, -1)  # [B, k]
        return (log_prob_x + log_mix_prob).logsumexp(-1)  # [S, B]

    def sample(self, sample_shape=Size()):
        with autograd.no_grad():
            sample_shape = Size(sample_shape)
            event = tuple(self.event_shape)
            batch = tuple(self.batch_shape)
            component = self.mixture_distribution.sample(sample_shape)  # S + mixture batch
            samples = self.component_distribution.sample(sample_shape)  # S + B + (k,) + E
            # the index of the chosen component, broadcast over the batch and the event
            lead = tuple(sample_shape) + (1,) * (
                len(batch) - len(self.mixture_distribution.batch_shape)
            )
            index = component.reshape(lead + tuple(component.shape[len(sample_shape) :]))
            index = index.reshape(tuple(index.shape) + (1,) * (1 + len(event)))
            index = index.expand(tuple(sample_shape) + batch + (1,) + event)
            dim = len(sample_shape) + len(batch)
            return samples.gather(dim, index).squeeze(dim)

    def _pad(self, x):
        """``x`` with a components dimension (before the event) to broadcast against them."""
        return x.unsqueeze(-1 - self._event_ndims)

    def __repr__(self):
        return (
            f"MixtureSameFamily(\n  {self.mixture_distribution},\n  {self.component_distribution})"
        )
