"""``biject_to`` and ``transform_to`` (mirror ``torch.distributions.constraint_registry``):
from a constraint to a transform that maps unconstrained real numbers into it.

Optimising a constrained parameter (a positive scale, a probability vector) is easiest on an
unconstrained one: keep ``u`` free and use ``transform_to(constraint)(u)``. ``biject_to``
gives a bijection (its ``log_abs_det_jacobian`` exists, for densities; StickBreaking onto the
simplex), ``transform_to`` any map onto the set (softmax onto the simplex).

Example:
    >>> import autograd
    >>> from autograd.distributions import constraints
    >>> t = transform_to(constraints.interval(-1.0, 1.0))
    >>> t(autograd.tensor([0.0]))
    tensor([0.])
"""

from __future__ import annotations

import numbers

from . import constraints, transforms

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A table from constraint types to functions ``constraint -> transform``."""

    def __init__(self):
        self._registry: dict = {}

    def register(self, constraint, factory=None):
        """Register ``factory`` for the type of ``constraint`` (a Constraint subclass or
        instance); without ``factory``, a decorator."""
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not isinstance(constraint, type) or not issubclass(constraint, constraints.Constraint):
            raise TypeError(
                "Expected constraint to be either a Constraint subclass or instance, "
                f"but got {constraint}"
            )
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            raise NotImplementedError(
                f"Cannot transform {type(constraint).__name__} constraints"
            ) from None
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


@biject_to.register(constraints.real)
@transform_to.register(constraints.real)
def _transform_to_real(constraint):
    return transforms.identity_transform


@biject_to.register(constraints.independent)
def _biject_to_independent(constraint):
    base = biject_to(constraint.base_constraint)
    return transforms.IndependentTransform(base, constraint.reinterpreted_batch_ndims)


@transform_to.register(constraints.independent)
def _transform_to_independent(constraint):
    base = transform_to(constraint.base_constraint)
    return transforms.IndependentTransform(base, constraint.reinterpreted_batch_ndims)


# positive is greater_than(0) (one type): registered below with the other lower bounds
@biject_to.register(constraints.greater_than)
@biject_to.register(constraints.greater_than_eq)
@transform_to.register(constraints.greater_than)
@transform_to.register(constraints.greater_than_eq)
def _transform_to_greater_than(constraint):
    return transforms.ComposeTransform(
        [transforms.ExpTransform(), transforms.AffineTransform(constraint.lower_bound, 1)]
    )


@biject_to.register(constraints.less_than)
@transform_to.register(constraints.less_than)
def _transform_to_less_than(constraint):
    return transforms.ComposeTransform(
        [transforms.ExpTransform(), transforms.AffineTransform(constraint.upper_bound, -1)]
    )


@biject_to.register(constraints.interval)
@biject_to.register(constraints.half_open_interval)
@transform_to.register(constraints.interval)
@transform_to.register(constraints.half_open_interval)
def _transform_to_interval(constraint):
    low, high = constraint.lower_bound, constraint.upper_bound
    if isinstance(low, numbers.Number) and isinstance(high, numbers.Number):
        if low == 0 and high == 1:
            return transforms.SigmoidTransform()
    return transforms.ComposeTransform(
        [transforms.SigmoidTransform(), transforms.AffineTransform(low, high - low)]
    )


def _parameter_free(transform_type):
    """The factory of a constraint whose transform has no parameters: a new
    ``transform_type()`` on every call, whatever the constraint's values."""
    return lambda constraint: transform_type()


# Constraints on whole events (vectors, matrices), each reached by a transform without parameters.
for _registry, _constraint, _transform_type in (
    (biject_to, constraints.simplex, transforms.StickBreakingTransform),
    (transform_to, constraints.simplex, transforms.SoftmaxTransform),
    (transform_to, constraints.lower_cholesky, transforms.LowerCholeskyTransform),
    (transform_to, constraints.positive_definite, transforms.PositiveDefiniteTransform),
):
    _registry.register(_constraint, _parameter_free(_transform_type))
