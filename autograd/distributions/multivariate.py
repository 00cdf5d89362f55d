"""MultivariateNormal and Independent (mirror ``torch.distributions``)."""

from __future__ import annotations

import math

import numpy as np

import autograd
from autograd.ops.linalg_cholesky import _solve_triangular
from autograd.tensor import Size, Tensor

from . import constraints
from .distribution import Distribution
from .utils import _inner_property, _standard_normal, _sum_rightmost, lazy_property

__all__ = ["MultivariateNormal", "Independent"]


def _batch_mahalanobis(scale_tril: Tensor, diff: Tensor) -> Tensor:
    """``|L^-1 diff|^2`` for each vector of ``diff`` (batch dimensions broadcast)."""
    z = _solve_triangular(scale_tril, diff.unsqueeze(-1), upper=False)
    return z.squeeze(-1).pow(2).sum(-1)


def _precision_to_scale_tril(precision: Tensor) -> Tensor:
    # With P = (flipped-back) Lf Lf^T, the covariance P^-1 has the lower Cholesky factor
    # L = (flip(Lf)^T)^-1; flipping makes Lf's transpose lower triangular.
    lf = autograd.cholesky(precision.flip((-2, -1)))
    l_inv = lf.flip((-2, -1)).transpose(-2, -1)
    eye = autograd.eye(precision.shape[-1], dtype=precision.dtype)
    return _solve_triangular(l_inv, eye.expand(l_inv.shape), upper=False)


class MultivariateNormal(Distribution):
    """The multivariate normal N(loc, Sigma), given one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril`` (the lower Cholesky factor L of Sigma = L L^T).

    Example:
        >>> m = MultivariateNormal(autograd.zeros(2), autograd.eye(2))
        >>> m.log_prob(autograd.zeros(2))
        tensor(-1.8379)
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args=None,
    ):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, scale_tril, precision_matrix) if m is not None]
        if len(given) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril "
                "may be specified."
            )
        name = (
            "scale_tril"
            if scale_tril is not None
            else "covariance_matrix"
            if covariance_matrix is not None
            else "precision_matrix"
        )
        matrix = given[0]
        if matrix.ndim < 2:
            raise ValueError(
                f"{name} matrix must be at least two-dimensional, with optional "
                "leading batch dimensions"
                if name == "scale_tril"
                else f"{name} must be at least two-dimensional, with optional leading "
                "batch dimensions"
            )
        batch_shape = Size(np.broadcast_shapes(matrix.shape[:-2], loc.shape[:-1]))
        setattr(self, name, matrix.expand(batch_shape + matrix.shape[-2:]))
        self.loc = loc.expand(batch_shape + loc.shape[-1:])
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = autograd.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        cov_shape = batch_shape + self.event_shape + self.event_shape
        matrices = {  # the ones given or computed so far (the others stay lazy)
            name: getattr(self, name).expand(cov_shape)
            for name in ("covariance_matrix", "scale_tril", "precision_matrix")
            if name in self.__dict__
        }
        return self._expanded(
            MultivariateNormal,
            _instance,
            batch_shape,
            loc=self.loc.expand(batch_shape + self.event_shape),
            _unbroadcasted_scale_tril=self._unbroadcasted_scale_tril,
            **matrices,
        )

    def _matrix_shape(self):
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        low = self._unbroadcasted_scale_tril
        return (low @ low.transpose(-1, -2)).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        low = self._unbroadcasted_scale_tril
        eye = autograd.eye(low.shape[-1], dtype=low.dtype).expand(low.shape)
        inv = _solve_triangular(low, eye, upper=False)  # L^-1
        return (inv.transpose(-1, -2) @ inv).expand(self._matrix_shape())

    @property
    def mean(self):
        return self.loc

    mode = mean  # symmetric and unimodal

    @property
    def variance(self):
        return (
            self._unbroadcasted_scale_tril.pow(2)
            .sum(-1)
            .expand(self._batch_shape + self._event_shape)
        )

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h if len(self._batch_shape) == 0 else h.expand(self._batch_shape)


class Independent(Distribution):
    """Treat the rightmost ``reinterpreted_batch_ndims`` batch dimensions of a distribution
    as event dimensions: ``Independent(Normal(loc, scale), 1)`` is a diagonal Gaussian over
    vectors whose ``log_prob`` sums over the vector.

    Example:
        >>> from autograd.distributions import Normal
        >>> d = Independent(Normal(autograd.zeros(3), autograd.ones(3)), 1)
        >>> d.batch_shape, d.event_shape
        (autograd.Size([]), autograd.Size([3]))
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        n = reinterpreted_batch_ndims
        if n > len(base_distribution.batch_shape):
            raise ValueError(
                "Expected reinterpreted_batch_ndims <= len(base_distribution."
                f"batch_shape), actual {n} vs "
                f"{len(base_distribution.batch_shape)}"
            )
        shape = base_distribution.batch_shape + base_distribution.event_shape
        event_dim = n + len(base_distribution.event_shape)
        batch_shape, event_shape = shape[: len(shape) - event_dim], shape[len(shape) - event_dim :]
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        n = self.reinterpreted_batch_ndims
        base = self.base_dist.expand(batch_shape + self.event_shape[:n])
        return self._expanded(
            Independent, _instance, batch_shape, base_dist=base, reinterpreted_batch_ndims=n
        )

    has_rsample = _inner_property("base_dist", "has_rsample")

    @property
    def has_enumerate_support(self):
        if self.reinterpreted_batch_ndims > 0:
            return False
        return self.base_dist.has_enumerate_support

    @constraints.dependent_property
    def support(self):
        result = self.base_dist.support
        if self.reinterpreted_batch_ndims:
            result = constraints.independent(result, self.reinterpreted_batch_ndims)
        return result

    # reinterpreting batch dims as event dims changes no moment, only how log_prob sums
    mean = _inner_property("base_dist", "mean")
    mode = _inner_property("base_dist", "mode")
    variance = _inner_property("base_dist", "variance")

    def sample(self, sample_shape=Size()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=Size()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return _sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return _sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand=True):
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self):
        return f"Independent({self.base_dist}, {self.reinterpreted_batch_ndims})"
