"""Probability distributions (mirrors ``torch.distributions``).

Each distribution has ``sample`` / ``rsample`` (reparameterised: differentiable in the
parameters), ``log_prob``, ``entropy``, ``mean``, ``mode``, ``variance``, ``stddev``,
``batch_shape`` / ``event_shape`` and ``expand``; ``kl_divergence(p, q)`` gives the
KL divergence in closed form for the usual pairs. Parameters are checked against
``arg_constraints`` and values given to ``log_prob`` against ``support``, with torch's
error messages (``validate_args=False`` skips the checks).

Example (a variational autoencoder's loss terms):
    >>> import autograd
    >>> from autograd.distributions import Normal, kl_divergence
    >>> mu = autograd.zeros(4, requires_grad=True)
    >>> q = Normal(mu, autograd.ones(4))
    >>> z = q.rsample()                              # gradients reach mu
    >>> kl = kl_divergence(q, Normal(0.0, 1.0)).sum()
    >>> kl
    tensor(0., grad_fn=<SumBackward0>)
"""

from . import constraints, transforms
from .continuous import Exponential, Laplace, Normal, Uniform
from .constraint_registry import biject_to, transform_to
from .counts import Binomial, Geometric, Multinomial, NegativeBinomial
from .discrete import Bernoulli, Categorical, OneHotCategorical, Poisson
from .distribution import Distribution
from .gamma import Beta, Dirichlet, Gamma
from .heavy_tailed import Cauchy, Chi2, StudentT
from .kl import kl_divergence, register_kl
from .mixture import MixtureSameFamily
from .multivariate import Independent, MultivariateNormal
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from .transformed import (
    Gumbel,
    HalfCauchy,
    HalfNormal,
    LogNormal,
    Pareto,
    TransformedDistribution,
    Weibull,
)
from .transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)

__all__ = [
    "Distribution",
    "Normal",
    "Laplace",
    "Uniform",
    "Exponential",
    "Bernoulli",
    "Categorical",
    "OneHotCategorical",
    "Poisson",
    "Gamma",
    "Beta",
    "Dirichlet",
    "MultivariateNormal",
    "Independent",
    "TransformedDistribution",
    "LogNormal",
    "HalfNormal",
    "Gumbel",
    "Cauchy",
    "HalfCauchy",
    "StudentT",
    "Chi2",
    "Weibull",
    "Pareto",
    "Binomial",
    "Geometric",
    "NegativeBinomial",
    "Multinomial",
    "MixtureSameFamily",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    *transforms.__all__,
    "biject_to",
    "transform_to",
    "kl_divergence",
    "register_kl",
    "constraints",
    "transforms",
]
