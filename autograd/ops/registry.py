"""The op registry: one ``OpInfo`` per public op, declared next to the op.

The generic tests (tests/test_ops_registry.py) iterate over ``REGISTRY`` and check each op
forward against its NumPy reference, gradients by finite differences in float64,
second-order gradients, float32 against float64 gradients, both backends, PyTorch, and that
the op is bound as ``<namespace>.<name>`` (and ``Tensor.<name>`` when ``method=True``).
Declaring an op with samples is therefore enough to get it tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


class Sample:
    """Arguments for one call of an op: ndarrays become Tensors in the tests.

    ``Sample(x, 2, dim=1)``: positional ``x`` (an ndarray -> a Tensor), then plain values.
    ``no_grad_args``: indices of ndarray arguments that should *not* require grad
    (e.g. the condition of ``where`` or integer indices).
    """

    def __init__(self, *args, no_grad_args=(), **kwargs):
        # NumPy scalars (e.g. rng.uniform(size=())) are 0-d tensor inputs, not Python numbers
        self.args = tuple(np.asarray(a) if isinstance(a, np.generic) else a for a in args)
        self.kwargs = kwargs
        self.no_grad_args = tuple(no_grad_args)

    def __repr__(self):
        parts = []
        for a in self.args:
            parts.append(f"array{getattr(a, 'shape', '')}" if hasattr(a, "shape") else repr(a))
        parts += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return "(" + ", ".join(parts) + ")"


@dataclass
class OpInfo:
    name: str  # public name: autograd.<name>
    fn: Callable  # the public function
    ref: Callable  # NumPy reference: same arguments with ndarrays
    samples: Callable[[Any], list]  # rng -> list[Sample] (float64 data)
    method: bool = True  # also bound as Tensor.<name>
    inplace: bool = False  # also Tensor.<name>_: the result written into the tensor
    differentiable: bool = True  # check gradients
    gradgrad: bool = True  # check second-order gradients
    dtypes: tuple = ("float32", "float64")
    atol32: float = 1e-4  # float32 vs reference / vs float64 tolerance
    rtol32: float = 1e-4
    grad_outputs: Callable | None = None  # which outputs to differentiate (default: floats)
    nondeterministic_grad_inputs: tuple = field(default=())
    # numba vs numpy backend tolerance {"float32": (rtol, atol), "float64": ...} where the
    # kernel accumulates differently (default: the test's tight one)
    backend_tol: dict | None = None
    family: str = ""
    # the module that exports ``name``: "autograd", or "nn.functional" for the loss / norm /
    # vision families (torch has them only in torch.nn.functional)
    namespace: str = "autograd"
    # PyTorch parity (tests/test_torch_parity.py): by default ``torch.<name>(*args, **kwargs)``
    # (``torch.linalg.<name>`` for namespace "autograd.linalg"); give
    # ``torch_fn(torch, *args, **kwargs)`` when the call differs, or torch_fn=False to skip.
    torch_fn: Any = None
    # ``wrapper(fn, *args, **kwargs)`` calls the op for the finite-difference checks when it
    # reads only part of an input (a triangle: eigh, cholesky) or needs structured input
    # (symmetric positive-definite): e.g. ``fn(A + A.mT)``, as torch's OpInfo
    # ``gradcheck_wrapper``. Forward and PyTorch checks call the op as it is.
    gradcheck_wrapper: Callable | None = None

    def torch_function(self, torch):
        """``torch.<name>`` (``torch.linalg.<name>`` ... for a sub-namespace), or None."""
        namespace = torch
        if self.namespace.startswith("autograd."):
            for part in self.namespace.split(".")[1:]:
                namespace = getattr(namespace, part)
        return getattr(namespace, self.name, None)

    @property
    def key(self) -> str:
        """The registry key: the name, qualified for a sub-namespace of autograd
        (``linalg.det`` beside ``det``)."""
        if self.namespace.startswith("autograd."):
            return self.namespace[len("autograd.") :] + "." + self.name
        return self.name


REGISTRY: dict[str, OpInfo] = {}


def torch_functional(name: str):
    """``torch_fn`` for ops that torch has only as ``torch.nn.functional.<name>``."""
    return lambda torch, *args, **kwargs: getattr(torch.nn.functional, name)(*args, **kwargs)


def torch_tensor_args(name: str):
    """``torch_fn`` for ops whose torch version takes only tensors: Python numbers become
    0-d tensors (same result dtype: 0-d tensors promote like numbers)."""

    def call(torch, *args, **kwargs):
        args = [torch.tensor(a) if isinstance(a, (int, float, bool)) else a for a in args]
        return getattr(torch, name)(*args, **kwargs)

    return call


def torch_array_kwargs(name: str):
    """``torch_fn`` for ops with keyword tensor arguments (``cov(x, fweights=...)``): the
    samples give them as arrays, torch wants tensors (floats in the first argument's dtype,
    as the tests cast the positional arrays)."""

    def call(torch, *args, **kwargs):
        def convert(v):
            t = torch.tensor(v)
            return t.to(args[0].dtype) if t.is_floating_point() else t

        kwargs = {k: convert(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return getattr(torch, name)(*args, **kwargs)

    return call


def register(info: OpInfo) -> OpInfo:
    if info.key in REGISTRY:
        raise ValueError(f"op {info.key!r} registered twice")
    REGISTRY[info.key] = info
    return info


def register_functions(family: str, entries, *, functional: bool = True, **common) -> None:
    """Register a family of functions (``method=False``): ``entries`` are ``(name, fn, ref,
    samples)`` rows, ``common`` the other ``OpInfo`` fields the family shares (``namespace=``,
    ``backend_tol=`` ...), so that a family (1-d / 2-d / 3-d variants, the losses of a file) is
    one table instead of one block per member. ``functional``: torch's version is
    ``torch.nn.functional.<name>`` (else ``torch.<name>``).

    Example (conv.py):
        register_functions("conv", [("conv1d", conv1d, _ref_conv, _conv1d_samples), ...])
    """
    kw = dict(method=False, family=family, **common)
    for name, fn, ref, samples in entries:
        torch_fn = torch_functional(name) if functional else None
        register(OpInfo(name, fn, ref=ref, samples=samples, torch_fn=torch_fn, **kw))


def register_functional(name: str, fn, ref, samples, family: str) -> None:
    """``register_functions`` for one op, registered in its own block (the activations with an
    ``inplace=`` flag, softshrink ...): not a Tensor method, compared with
    ``torch.nn.functional.<name>``.

    Example (activation.py: name, function, NumPy reference, samples, family)::

        register_functional("silu", silu, lambda x: x / (1 + np.exp(-x)), away_from([]), "activation")
    """
    register_functions(family, [(name, fn, ref, samples)])
