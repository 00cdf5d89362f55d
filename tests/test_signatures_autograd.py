"""Public signatures that the de-duplication refactors of autograd/ops and
autograd/distributions must keep: parameter names, kinds and defaults as torch 2.13's
(``inspect.signature``), and our own recorded text where torch's function has no Python
signature (C methods such as ``Tensor.fill_``). A factory-made function (one closure serving a
family) must show the same signature, name and docstring as a hand-written one."""

import inspect

import pytest

import autograd
import nn.functional as F

# (our function, torch's dotted name under torch)
AGAINST_TORCH = [
    (F.silu, "nn.functional.silu"),
    (F.mish, "nn.functional.mish"),
    (F.hardsigmoid, "nn.functional.hardsigmoid"),
    (F.hardswish, "nn.functional.hardswish"),
    (F.binary_cross_entropy, "nn.functional.binary_cross_entropy"),
    (F.binary_cross_entropy_with_logits, "nn.functional.binary_cross_entropy_with_logits"),
    (autograd.distributions.Gamma, "distributions.Gamma"),
    (autograd.distributions.Beta, "distributions.Beta"),
    (autograd.distributions.Dirichlet, "distributions.Dirichlet"),
]

# torch's are C functions without a Python signature: ours as recorded
RECORDED = [
    (autograd.Tensor.fill_, "(self, value) -> 'Tensor'"),
    (autograd.masked_fill, "(input: 'Tensor', mask, value) -> 'Tensor'"),
]


def _params(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("fn, torch_name", AGAINST_TORCH, ids=[t for _, t in AGAINST_TORCH])
def test_signature_as_torch(fn, torch_name):
    torch = pytest.importorskip("torch")
    theirs = torch
    for part in torch_name.split("."):
        theirs = getattr(theirs, part)
    assert _params(fn) == _params(theirs)
    if not isinstance(fn, type):
        assert fn.__name__ == fn.__qualname__ == torch_name.rsplit(".", 1)[1]
        assert "Example:" in (fn.__doc__ or "")


@pytest.mark.parametrize("fn, text", RECORDED, ids=[f.__name__ for f, _ in RECORDED])
def test_signature_recorded(fn, text):
    assert str(inspect.signature(fn)) == text
