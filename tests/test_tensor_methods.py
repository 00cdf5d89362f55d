"""Tensor methods bound from the op registry (autograd/tensor_methods.py) and the stub
autograd/tensor.pyi that shows them to editors and type checkers."""

import ast
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


def _stub_tensor_members() -> dict:
    """The stub's Tensor class: member name -> the method whose ``def`` gives its signature
    (itself, or the target of an alias ``cos = abs``; None for an annotated attribute)."""
    tree = ast.parse((ROOT / "autograd" / "tensor.pyi").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    members: dict = {}
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            members.setdefault(node.name, node.name)  # (a property's setter repeats its name)
        elif isinstance(node, ast.AnnAssign):
            members[node.target.id] = None
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                members[target.id] = node.value.id
    return members


def test_stub_lists_every_public_method():
    members = _stub_tensor_members()
    missing = [
        name for name in dir(autograd.Tensor) if not name.startswith("_") and name not in members
    ]
    assert not missing


def test_stub_aliases_have_their_targets_signature():
    """The stub writes methods of one signature once (``cos = abs``): the alias's real
    signature must be the target's (parameters and return annotation)."""
    gen = _stub_generator()
    aliases = [(n, t) for n, t in _stub_tensor_members().items() if t is not None and t != n]
    assert len(aliases) > 100  # (the unary ops alone share one signature)

    def rendered(name):
        return gen._def("NAME", getattr(autograd.Tensor, name), "", "self")

    wrong = [(n, t) for n, t in aliases if rendered(n) != rendered(t)]
    assert not wrong


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
