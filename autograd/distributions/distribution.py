"""The ``Distribution`` base class (mirrors ``torch.distributions.Distribution``).

Shapes: a distribution object holds a batch of independent distributions
(``batch_shape``), each over events of shape ``event_shape``: ``Normal(zeros(3), 1)`` has
batch shape (3,) and event shape (); ``MultivariateNormal(zeros(3), eye(3))`` has batch
shape () and event shape (3,). ``sample(sample_shape)`` returns
``sample_shape + batch_shape + event_shape``; ``log_prob(value)`` returns one number per
event (``batch_shape``, broadcast with the value's leading dimensions).

``rsample`` draws with the *reparameterisation trick*: the sample is a differentiable
function of the parameters and of parameter-free noise (``loc + scale * eps``), so a loss
of the sample can be backpropagated into the parameters (VAEs). ``sample`` draws the same
way without recording a graph.

Validation (on by default, like torch; ``validate_args=False`` or
``Distribution.set_default_validate_args(False)`` turns it off): parameters must satisfy
``arg_constraints`` and values given to ``log_prob`` must lie in ``support``, otherwise a
``ValueError`` in torch's words says which and where.
"""

from __future__ import annotations

import warnings

import autograd
from autograd.tensor import Size, Tensor

from . import constraints
from .utils import broadcast_all, lazy_property

__all__ = ["Distribution"]


class Distribution:
    """Base class of probability distributions."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = True

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Switch argument validation on or off for distributions created from now on."""
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
                warnings.warn(
                    f"{self.__class__} does not define `arg_constraints`. Please set "
                    "`arg_constraints = {}` or initialize the distribution with "
                    "`validate_args=False` to turn off validation.",
                    stacklevel=2,
                )
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue  # cannot be checked on its own
                if param not in self.__dict__ and isinstance(
                    getattr(type(self), param, None), lazy_property
                ):
                    continue  # derived lazily from another parameter
                self._require(
                    constraint,
                    getattr(self, param),
                    f"parameter {param}",
                    f"of distribution {self!r} to satisfy the constraint {constraint!r}",
                )

    def expand(self, batch_shape, _instance=None):
        """A distribution with a larger ``batch_shape`` sharing these parameters (no copy)."""
        raise NotImplementedError

    @property
    def batch_shape(self) -> Size:
        """The shape of the batch of independent distributions this object holds."""
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        """The shape of one sample of one of them (``()`` for a distribution over scalars)."""
        return self._event_shape

    @property
    def arg_constraints(self) -> dict:
        raise NotImplementedError

    @property
    def support(self):
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()) -> Tensor:
        """Draw ``sample_shape`` samples (no graph is recorded)."""
        with autograd.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()) -> Tensor:
        """Draw a reparameterised sample: differentiable in the parameters."""
        raise NotImplementedError

    def sample_n(self, n: int) -> Tensor:
        warnings.warn(
            "`sample_n(n)` will be deprecated. Use `sample((n,))` instead.",
            FutureWarning,
            stacklevel=2,
        )
        return self.sample(Size((n,)))

    def log_prob(self, value: Tensor) -> Tensor:
        """The log of the density (or probability mass) at ``value``."""
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    # ---- helpers for subclasses -----------------------------------------------------------
    def _extended_shape(self, sample_shape=Size()) -> Size:
        """``sample_shape + batch_shape + event_shape``."""
        if isinstance(sample_shape, int):
            raise TypeError("sample_shape must be a tuple of ints (e.g. (n,)), got an int")
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = value.ndim - len(self._event_shape)
        if value.shape[event_dim_start:] != self._event_shape:
            raise ValueError(
                f"The right-most size of value must match event_shape: "
                f"{value.shape} vs {self._event_shape}."
            )
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(value.shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    f"Value is not broadcastable with batch_shape+event_shape: "
                    f"{value.shape} vs {Size(expected)}."
                )
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(
                f"{self.__class__} does not define `support` to enable sample "
                "validation. Please initialize the distribution with "
                "`validate_args=False` to turn off validation.",
                stacklevel=2,
            )
            return
        self._require(
            support,
            value,
            "value argument",
            f"to be within the support ({support!r}) of the distribution {self!r}",
        )

    @staticmethod
    def _require(constraint, value, what, expectation):
        """Raise torch's ``ValueError`` ("Expected <what> (<type> of shape <shape>)
        <expectation>, but found invalid values: ...") unless ``value`` satisfies
        ``constraint`` everywhere."""
        if not bool(constraint.check(value).all()):
            raise ValueError(
                f"Expected {what} ({type(value).__name__} of shape {tuple(value.shape)}) "
                f"{expectation}, but found invalid values:\n{value}"
            )

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method."
            )
        return self.__new__(type(self)) if _instance is None else _instance

    def _expanded(self, cls, _instance, batch_shape, *names, **attributes):
        """The end of every ``expand``: a new ``cls`` (or ``_instance``) with ``batch_shape``,
        this event shape and this validation setting, holding this one's attributes ``names``
        (tensors or distributions of this batch shape) expanded to ``batch_shape`` and the
        ``attributes`` given (kept, or expanded by the caller). The expanded parameters were
        valid already: they are not checked again."""
        batch_shape = Size(batch_shape)
        expanded = {name: getattr(self, name).expand(batch_shape) for name in names}
        new = self._get_checked_instance(cls, _instance)
        for name, value in (expanded | attributes).items():
            setattr(new, name, value)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(
            f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}"
            for p in names
        )
        return f"{type(self).__name__}({args})"


class _BroadcastParameters(Distribution):
    """Base of the distributions over scalars whose parameters are tensors broadcast against
    each other to the batch shape (Normal, Laplace, Uniform, Exponential, Poisson, Gamma,
    Beta).

    A subclass names its parameters in ``_parameters``, in the order its ``__init__`` takes
    them, and passes them on: ``super().__init__(loc, scale, validate_args=validate_args)``.
    ``expand`` expands each parameter and builds the class that set ``_parameters`` (a
    subclass of it with its own ``__init__`` must define its own ``expand``, as in torch).
    """

    _parameters: tuple[str, ...] = ()

    def __init__(self, *values, validate_args=None):
        broadcast = broadcast_all(*values)
        for name, value in zip(self._parameters, broadcast, strict=True):
            setattr(self, name, value)
        super().__init__(broadcast[0].shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        cls = next(c for c in type(self).__mro__ if "_parameters" in vars(c))
        return self._expanded(cls, _instance, batch_shape, *self._parameters)
