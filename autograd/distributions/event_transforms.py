"""Transforms over whole events (mirror ``torch.distributions.transforms``): vectors
(StickBreakingTransform), matrices (LowerCholeskyTransform, PositiveDefiniteTransform),
reshaped events (ReshapeTransform) and any transform with batch dimensions reinterpreted as
event dimensions (IndependentTransform). ``transforms`` names them with the others.
"""

from __future__ import annotations

import autograd
from autograd.tensor import Size

from . import constraints
from .basic_transforms import SigmoidTransform, Transform, _ParameterFree
from .utils import _inner_property, _softplus, _sum_rightmost, finfo

__all__ = [
    "IndependentTransform",
    "ReshapeTransform",
    "StickBreakingTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
]


class IndependentTransform(Transform):
    """``base_transform`` with its ``reinterpreted_batch_ndims`` rightmost batch dimensions
    treated as part of the event: the log-Jacobian is summed over them.

    Example:
        >>> t = IndependentTransform(ExpTransform(), 1)
        >>> t.log_abs_det_jacobian(autograd.tensor([1.0, 2.0]), None)
        tensor(3.)
    """

    def __init__(self, base_transform, reinterpreted_batch_ndims: int, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return IndependentTransform(
            self.base_transform, self.reinterpreted_batch_ndims, cache_size=cache_size
        )

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    bijective = _inner_property("base_transform", "bijective")
    sign = _inner_property("base_transform", "sign")

    def _call(self, x):
        if x.ndim < self.domain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform(x)

    def _inverse(self, y):
        if y.ndim < self.codomain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        result = self.base_transform.log_abs_det_jacobian(x, y)
        return _sum_rightmost(result, self.reinterpreted_batch_ndims)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)


class ReshapeTransform(Transform):
    """Reshapes the rightmost ``in_shape`` dimensions of each event to ``out_shape`` (the
    same number of elements); the Jacobian's determinant is 1.

    Example:
        >>> ReshapeTransform((4,), (2, 2))(autograd.arange(4.0)).shape
        autograd.Size([2, 2])
    """

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0):
        self.in_shape, self.out_shape = Size(in_shape), Size(out_shape)
        if self.in_shape.numel() != self.out_shape.numel():
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @constraints.dependent_property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @constraints.dependent_property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    def _call(self, x):
        batch = tuple(x.shape[: x.ndim - len(self.in_shape)])
        return x.reshape(batch + tuple(self.out_shape))

    def _inverse(self, y):
        batch = tuple(y.shape[: y.ndim - len(self.out_shape)])
        return y.reshape(batch + tuple(self.in_shape))

    def log_abs_det_jacobian(self, x, y):
        batch = tuple(x.shape[: x.ndim - len(self.in_shape)])
        return autograd.zeros(batch, dtype=x.dtype)

    def _swap(self, shape, old: Size, new: Size) -> Size:
        if len(shape) < len(old):
            raise ValueError("Too few dimensions on input")
        cut = len(shape) - len(old)
        if tuple(shape[cut:]) != tuple(old):
            raise ValueError(f"Shape mismatch: expected {shape[cut:]} but got {old}")
        return Size(tuple(shape[:cut]) + tuple(new))

    def forward_shape(self, shape):
        return self._swap(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._swap(shape, self.out_shape, self.in_shape)


def _ones_column(x):
    return autograd.ones(tuple(x.shape[:-1]) + (1,), dtype=x.dtype)


class StickBreakingTransform(_ParameterFree):
    """Unconstrained vectors of length ``K - 1`` -> probability vectors of length ``K``, a
    bijection: each entry takes a sigmoid-sized share of the stick left by the ones before.

    Example:
        >>> StickBreakingTransform()(autograd.zeros(2))
        tensor([0.3333, 0.3333, 0.3333])
    """

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    @staticmethod
    def _log_offset(x):
        # log(K - 1 - i) for i = 0 .. K-2: zeros map to the uniform vector
        n = x.shape[-1]
        return autograd.arange(n, 0, -1, dtype=x.dtype).log()

    def _call(self, x):
        z = SigmoidTransform()(x - self._log_offset(x))
        left = (1 - z).cumprod(-1)  # the stick left after each break
        ones = _ones_column(x)
        return autograd.cat([z, ones], -1) * autograd.cat([ones, left], -1)

    def _inverse(self, y):
        y_crop = y[..., :-1]
        left = (1 - y_crop.cumsum(-1)).clamp(min=float(finfo(y).tiny))
        return y_crop.log() - left.log() + self._log_offset(y_crop)

    def log_abs_det_jacobian(self, x, y):
        x = x - self._log_offset(x)
        return (-x - _softplus(-x) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return Size(tuple(shape[:-1]) + (shape[-1] + 1,))

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return Size(tuple(shape[:-1]) + (shape[-1] - 1,))


class LowerCholeskyTransform(_ParameterFree):
    """Square matrices -> lower triangular ones with a positive diagonal (the strictly
    lower part is kept, the diagonal exponentiated).

    Example:
        >>> LowerCholeskyTransform()(autograd.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(_ParameterFree):
    """Square matrices -> positive definite ones: ``L L^T`` of the LowerCholeskyTransform.

    Example:
        >>> PositiveDefiniteTransform()(autograd.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """

    domain = LowerCholeskyTransform.domain  # the matrices it maps first
    codomain = constraints.positive_definite

    def _call(self, x):
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(autograd.linalg.cholesky(y))
