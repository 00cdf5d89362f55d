"""The lines PyTorch scripts start with, beyond devices: compile, matmul precision,
deterministic algorithms, print options, finfo/iinfo, memory formats, torch.version, and
the legacy spellings (FloatTensor & co., Variable). Compared with torch where installed."""

import doctest

import numpy as np
import pytest

import autograd
import nn

CASES = [
    "torch.finfo(torch.float32).eps",
    "torch.finfo(torch.float16).eps",
    "torch.finfo(torch.float64).max",
    "torch.finfo(torch.float32).min",
    "torch.finfo(torch.float32).tiny",
    "torch.finfo().resolution",
    "torch.finfo(torch.float32).bits",
    "torch.finfo(torch.float32).dtype",
    "torch.iinfo(torch.int64).max",
    "torch.iinfo(torch.uint8).max",
    "torch.iinfo(torch.int8).min",
    "torch.iinfo(torch.int32).bits",
    "torch.finfo(torch.int64)",
    "torch.iinfo(torch.float32)",
    "repr(torch.finfo(torch.float32))",
    "repr(torch.iinfo(torch.int64))",
    "torch.set_float32_matmul_precision('high') or torch.get_float32_matmul_precision()",
    "torch.use_deterministic_algorithms(True) or torch.are_deterministic_algorithms_enabled()",
    "torch.use_deterministic_algorithms('x')",
    "torch.is_deterministic_algorithms_warn_only_enabled()",
    "torch.version.cuda",
    "torch.version.hip",
    "torch.FloatTensor([1, 2])",
    "torch.LongTensor(3).shape",
    "torch.FloatTensor(2, 3).shape",
    "torch.DoubleTensor([1]).dtype",
    "torch.BoolTensor([True]).dtype",
    "torch.ByteTensor([1]).dtype",
    "isinstance(torch.zeros(2), torch.FloatTensor)",
    "isinstance(torch.zeros(2).long(), torch.FloatTensor)",
    "isinstance(torch.zeros(2).long(), torch.LongTensor)",
    "torch.zeros(2).type(torch.LongTensor)",
    "torch.zeros(2).type('torch.DoubleTensor')",
    "torch.zeros(2).type()",
    "torch.zeros(2).long().type()",
    "torch.autograd.Variable(torch.ones(2), requires_grad=True)",
    "isinstance(torch.ones(2), torch.autograd.Variable)",
    "torch.autograd.Variable(torch.ones(2))",
    "torch.zeros(2, 3, 4, 5).to(memory_format=torch.channels_last).shape",
    "torch.zeros(2).contiguous(memory_format=torch.contiguous_format)",
]

PRINT_CASES = [
    ({"precision": 2}, "torch.tensor([1.23456, 2.0])"),
    ({"profile": "short"}, "torch.tensor([[1.23456, -2.0], [3.5, 4.25]])"),
    ({"sci_mode": False}, "torch.tensor([1e-8, 1.0])"),
    ({"sci_mode": True}, "torch.tensor([1.5, 250.0])"),
    ({"threshold": 5, "edgeitems": 2}, "torch.arange(10.)"),
    ({"linewidth": 20}, "torch.arange(12.)"),
    ({"profile": "full"}, "torch.arange(2000.)[-3:]"),
]


def _run(expr, torch):
    try:
        return "ok", repr(eval(expr, {"torch": torch}))
    except Exception as e:  # the exception is the result compared
        return type(e).__name__, str(e)


@pytest.mark.parametrize("expr", CASES)
def test_same_as_torch(expr):
    torch = pytest.importorskip("torch")
    try:
        want = _run(expr, torch)
        got = _run(expr, autograd)
    finally:
        torch.use_deterministic_algorithms(False)
        autograd.use_deterministic_algorithms(False)
        torch.set_float32_matmul_precision("highest")
        autograd.set_float32_matmul_precision("highest")
    assert got[0] == want[0]
    assert got[1] == want[1].replace("torch.float", "autograd.float").replace(
        "torch.int", "autograd.int"
    ).replace("torch.bool", "autograd.bool").replace("torch.uint8", "autograd.uint8").replace(
        "torch.Size", "autograd.Size"
    )


@pytest.mark.parametrize("options,expr", PRINT_CASES)
def test_printoptions_as_torch(options, expr):
    torch = pytest.importorskip("torch")
    try:
        torch.set_printoptions(**options)
        autograd.set_printoptions(**options)
        assert repr(eval(expr, {"torch": autograd})) == repr(eval(expr, {"torch": torch}))
    finally:
        torch.set_printoptions(profile="default", sci_mode=None)
        autograd.set_printoptions(profile="default", sci_mode=None)


def test_compile_accepts_torch_compile_calls():
    """torch.compile's everyday forms (the JIT itself is tested in test_compile.py)."""
    model = nn.Linear(3, 2)
    x = autograd.ones(4, 3)
    compiled = autograd.compile(model)
    assert isinstance(compiled, nn.Module) and compiled._orig_mod is model
    assert autograd.compile(mode="max-autotune")(model)(x).tolist() == model(x).tolist()
    assert autograd.compile(model, disable=True) is model

    @autograd.compile
    def f(x):
        return x * 2

    assert f(autograd.ones(1)).item() == 2.0


def test_matmul_precision_and_determinism_are_remembered():
    with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
        autograd.set_float32_matmul_precision("fast")
    assert autograd.get_float32_matmul_precision() == "highest"
    autograd.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert autograd.are_deterministic_algorithms_enabled()
        assert autograd.is_deterministic_algorithms_warn_only_enabled()
    finally:
        autograd.use_deterministic_algorithms(False)


def test_variable_is_the_tensor():
    x = autograd.ones(2)
    v = autograd.autograd.Variable(x, requires_grad=True)
    assert v is x and v.requires_grad
    with pytest.warns(UserWarning, match="volatile was removed"):
        autograd.Variable(autograd.ones(1), volatile=True)


def test_finfo_masks_like_scripts_use_it():
    scores = autograd.tensor([[1.0, 2.0], [3.0, 4.0]])
    mask = autograd.tensor([[True, False], [False, True]])
    filled = scores.masked_fill(~mask, autograd.finfo(scores.dtype).min)
    assert np.all(np.isfinite(autograd.softmax(filled, -1).numpy()))


@pytest.mark.parametrize("module", ["runtime", "legacy", "dtypes", "_repr"])
def test_docstring_examples(module):
    import importlib

    mod = importlib.import_module(f"autograd.{module}")
    res = doctest.testmod(
        mod, extraglobs={"autograd": autograd, "nn": nn}, optionflags=doctest.ELLIPSIS
    )
    assert res.failed == 0
