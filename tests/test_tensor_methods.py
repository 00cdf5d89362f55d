"""Tensor methods bound from the op registry (autograd/tensor_methods.py) and the stub
autograd/tensor.pyi that shows them to editors and type checkers."""

import importlib.util
import inspect
import pathlib

import numpy as np
import pytest

import autograd
from autograd import tensor_methods
from autograd.ops import REGISTRY

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _stub_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_tensor_stub", ROOT / "scripts" / "gen_tensor_stub.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tensor_stub_is_current():
    """A new op (or a changed signature) must be followed by ``python scripts/gen_tensor_stub.py``."""
    text = (ROOT / "autograd" / "tensor.pyi").read_text()
    assert text == _stub_generator().render(), (
        "autograd/tensor.pyi is stale: run python scripts/gen_tensor_stub.py"
    )


def test_stub_lists_every_public_method():
    text = (ROOT / "autograd" / "tensor.pyi").read_text()
    tensor_class = text[
        text.index("class Tensor:") : text.index("\nclass ", text.index("class Tensor:"))
    ]
    missing = [
        name
        for name in dir(autograd.Tensor)
        if not name.startswith("_")
        and f"def {name}(" not in tensor_class
        and f"    {name}:" not in tensor_class
    ]
    assert not missing


METHOD_OPS = sorted(
    n
    for n, i in REGISTRY.items()
    if i.method and i.namespace == "autograd" and n not in tensor_methods.METHODS
)


@pytest.mark.parametrize("name", METHOD_OPS)
def test_method_is_the_op_function(name):
    """``x.<op>(...)`` is the op itself: same signature and docstring, no forwarding call."""
    assert getattr(autograd.Tensor, name) is REGISTRY[name].fn


def test_methods_have_real_signatures():
    # (``to`` really is ``to(*args, **kwargs)``: torch's three forms, device / dtype / tensor)
    forwarding = [
        name
        for name, value in vars(autograd.Tensor).items()
        if callable(value)
        and not name.startswith("__")
        and name != "to"
        and list(inspect.signature(value).parameters) == ["self", "args", "kwargs"]
    ]
    assert not forwarding, f"(self, *args, **kwargs) forwarders: {forwarding}"


def _fits_in_place(info, sample) -> bool:
    """The sample's result can be written into its first argument (same shape and dtype)."""
    x = sample.args[0]
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
        return False
    args = [autograd.tensor(a) if isinstance(a, np.ndarray) else a for a in sample.args]
    out = info.fn(*args, **sample.kwargs)
    return isinstance(out, autograd.Tensor) and out.shape == x.shape and out.dtype == args[0].dtype


def _inplace_cases():
    # built by applicability at collection time, so nothing is skipped at run time
    cases = []
    for name in sorted(n for n, i in REGISTRY.items() if i.inplace):
        for k, sample in enumerate(REGISTRY[name].samples(np.random.default_rng(1234))):
            if _fits_in_place(REGISTRY[name], sample):
                cases.append(pytest.param(name, k, id=f"{name}_-{k}"))
    return cases


@pytest.mark.parametrize("name,k", _inplace_cases())
def test_inplace_variant_writes_the_op_result(name, k):
    """``x.<name>_(...)`` returns x holding ``<name>(x, ...)``, bumps its version and passes
    the same gradient back as the out-of-place op."""
    info = REGISTRY[name]
    sample = info.samples(np.random.default_rng(1234))[k]
    x = autograd.tensor(sample.args[0], requires_grad=0 not in sample.no_grad_args)
    rest = [autograd.tensor(a) if isinstance(a, np.ndarray) else a for a in sample.args[1:]]
    expected = info.fn(x, *rest, **sample.kwargs)
    y = x.clone()
    version = y._version
    out = getattr(y, name + "_")(*rest, **sample.kwargs)
    assert out is y and y._version > version
    np.testing.assert_array_equal(y.detach().numpy(), expected.detach().numpy())
    if expected.requires_grad:
        (g_inplace,) = autograd.grad(y.sum(), x)
        (g_outplace,) = autograd.grad(expected.sum(), x)
        np.testing.assert_allclose(g_inplace.numpy(), g_outplace.numpy(), rtol=1e-12)
