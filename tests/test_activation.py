"""Activation family: stability at extreme inputs, torch-specific behaviour, errors, in-place
forms and second-order gradients. (Forward / gradcheck / gradgradcheck / torch parity for
every registered sample run in test_ops_registry.py and test_torch_parity.py.)"""

import warnings

import numpy as np
import pytest

import autograd
from autograd.errors import DTypeError, ShapeError
from autograd.ops import activation as _activation_ops

# every activation of autograd/ops/activation.py but relu (tested everywhere) and prelu (it
# takes a weight): a new activation gets these stability tests without being listed here
UNARY = [name for name in _activation_ops.__all__ if name not in ("relu", "prelu")]
EXTREME = np.array([-1000.0, -100.0, -30.0, -1.0, 0.0, 1e-8, 1.0, 30.0, 100.0, 1000.0])


def _torch():
    return pytest.importorskip("torch")


pytestmark = pytest.mark.usefixtures("torch_one_thread")  # (conftest.py)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_finite_and_match_torch(name, dtype):
    torch = _torch()
    x = autograd.tensor(EXTREME.astype(dtype), requires_grad=True)
    y = getattr(autograd, name)(x)
    y.sum().backward()
    assert np.all(np.isfinite(y.detach().numpy())), name
    assert np.all(np.isfinite(x.grad.numpy())), name
    tx = torch.tensor(EXTREME.astype(dtype), requires_grad=True)
    ty = getattr(torch.nn.functional, name)(tx)
    ty.sum().backward()
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), **tol)
    if name == "hardsigmoid" and dtype == np.float64:
        tol = dict(rtol=1e-7)  # torch's float64 backward uses float32(1/6) = 0.16666667163...
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_stable_at_huge_logits(fn):
    x = autograd.tensor(
        [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]],
        dtype=autograd.float32,
        requires_grad=True,
    )
    y = getattr(autograd, fn)(x, dim=1)
    (y * autograd.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])).sum().backward()
    assert np.all(np.isfinite(y.detach().numpy()))
    assert np.all(np.isfinite(x.grad.numpy()))
    if fn == "softmax":
        np.testing.assert_allclose(
            y.detach().numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7
        )
    else:
        np.testing.assert_allclose(y.detach().numpy()[0], [0, -2000, -1000], atol=1e-3)


def test_softmax_methods_dtype_and_implicit_dim():
    x = autograd.tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(x.softmax(1).numpy(), autograd.softmax(x, 1).numpy())
    np.testing.assert_allclose(x.log_softmax(-1).numpy(), np.log(x.softmax(-1).numpy()), rtol=1e-6)
    assert autograd.softmax(x, 0, dtype=autograd.float64).dtype == autograd.float64
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = autograd.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(axis=1), [1.0, 1.0], rtol=1e-6)
    with pytest.raises(DTypeError):
        autograd.softmax(autograd.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        autograd.softmax(x, 2)


def test_softmax_all_neg_inf_row_is_nan_like_torch():
    x = autograd.tensor([[-np.inf, -np.inf], [0.0, -np.inf]])
    y = autograd.softmax(x, 1).numpy()
    assert np.all(np.isnan(y[0]))
    np.testing.assert_array_equal(y[1], [1.0, 0.0])


def test_softmax_second_order_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    a, w = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    for fn in ("softmax", "log_softmax"):
        x = autograd.tensor(a, requires_grad=True)
        (g,) = autograd.grad(
            (getattr(autograd, fn)(x, 1) * autograd.tensor(w)).sum(), [x], create_graph=True
        )
        (gg,) = autograd.grad((g * g).sum(), [x])
        tx = torch.tensor(a, requires_grad=True)
        (tg,) = torch.autograd.grad(
            (getattr(torch, fn)(tx, 1) * torch.tensor(w)).sum(), [tx], create_graph=True
        )
        (tgg,) = torch.autograd.grad((tg * tg).sum(), [tx])
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10, atol=1e-12)


def test_one_hot():
    y = autograd.one_hot(autograd.tensor([0, 2, 1]))
    assert y.dtype == autograd.int64 and y.shape == (3, 3)
    np.testing.assert_array_equal(y.numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert autograd.one_hot(autograd.tensor([[1]]), 4).shape == (1, 1, 4)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        autograd.one_hot(autograd.tensor([-1, 2]))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        autograd.one_hot(autograd.tensor([1, 2]), 2)
    with pytest.raises(RuntimeError, match="only applicable to index tensor of type LongTensor"):
        autograd.one_hot(autograd.tensor([1.0]))
    with pytest.raises(RuntimeError, match="Can not infer total number of classes"):
        autograd.one_hot(autograd.tensor(np.zeros(0, np.int64)))


def test_gelu_bad_approximate_and_integer_input():
    with pytest.raises(ValueError, match="approximate argument must be either none or tanh"):
        autograd.gelu(autograd.tensor([1.0]), approximate="fast")
    with pytest.raises(DTypeError, match="floating point"):
        autograd.gelu(autograd.tensor([1]))


def test_softplus_threshold_is_exactly_linear():
    x = autograd.tensor([25.0, 5.0], dtype=autograd.float64, requires_grad=True)
    y = autograd.softplus(x, beta=2.0, threshold=20.0)
    y.sum().backward()
    assert y[0].item() == 25.0  # beta * x = 50 > 20
    np.testing.assert_allclose(y[1].item(), np.log1p(np.exp(10.0)) / 2)
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1 / (1 + np.exp(-10.0))])


def test_logsigmoid_far_negative():
    x = autograd.tensor([-1000.0], dtype=autograd.float64, requires_grad=True)
    y = autograd.logsigmoid(x)
    y.backward()
    assert y.item() == -1000.0
    assert x.grad.item() == 1.0


def test_prelu_matches_torch_with_weight_grad():
    torch = _torch()
    rng = np.random.default_rng(1)
    xa = rng.normal(size=(2, 3, 4, 2))
    for wa in (rng.uniform(0.1, 0.5, (3,)), np.array([0.25])):
        x, w = autograd.tensor(xa, requires_grad=True), autograd.tensor(wa, requires_grad=True)
        tx, tw = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
        y, ty = autograd.prelu(x, w), torch.nn.functional.prelu(tx, tw)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    with pytest.raises(ShapeError, match="Found parameter numbers = 2 and channel size = 3."):
        autograd.prelu(autograd.zeros(2, 3), autograd.zeros(2))


@pytest.mark.parametrize(
    "name,args",
    [
        ("leaky_relu", (0.2,)),
        ("elu", ()),
        ("hardtanh", ()),
        ("relu6", ()),
        ("silu", ()),
        ("selu", ()),
        ("hardswish", ()),
        ("mish", ()),
    ],
)
def test_inplace_forms(name, args):
    a = np.array([-2.0, -0.5, 0.5, 3.0, 7.0])
    x = autograd.tensor(a, requires_grad=True)
    expected = getattr(autograd, name)(x, *args)
    h = x * 1.0
    out = getattr(autograd, name)(h, *args, inplace=True)
    assert out is h
    np.testing.assert_allclose(h.detach().numpy(), expected.detach().numpy())
    (g_in,) = autograd.grad(h.sum(), [x])
    (g_ref,) = autograd.grad(expected.sum(), [x])
    np.testing.assert_allclose(g_in.numpy(), g_ref.numpy())


@pytest.mark.parametrize(
    "name", ["gelu", "silu", "mish", "elu", "softplus", "logsigmoid", "tanhshrink", "celu"]
)
def test_second_derivative_matches_torch(name):
    torch = _torch()
    a = np.array([-3.0, -1.2, -0.3, 0.4, 1.1, 2.5])
    x = autograd.tensor(a, requires_grad=True)
    (g,) = autograd.grad(getattr(autograd, name)(x).sum(), [x], create_graph=True)
    (gg,) = autograd.grad(g.sum(), [x])
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(
        getattr(torch.nn.functional, name)(tx).sum(), [tx], create_graph=True
    )
    (tgg,) = torch.autograd.grad(tg.sum(), [tx])
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-9, atol=1e-12)


def test_gelu_tanh_second_derivative_matches_torch():
    torch = _torch()
    a = np.linspace(-3, 3, 7)
    x = autograd.tensor(a, requires_grad=True)
    (g,) = autograd.grad(autograd.gelu(x, approximate="tanh").sum(), [x], create_graph=True)
    (gg,) = autograd.grad(g.sum(), [x])
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(
        torch.nn.functional.gelu(tx, approximate="tanh").sum(), [tx], create_graph=True
    )
    (tgg,) = torch.autograd.grad(tg.sum(), [tx])
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-9, atol=1e-12)


def test_no_runtime_warnings_at_extremes():
    x = autograd.tensor(np.array([-1e308, -1e4, 1e4, 1e308]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("softplus", "logsigmoid", "elu", "selu", "celu", "mish", "silu"):
            y = getattr(autograd, name)(x)
            (g,) = autograd.grad(y.sum(), [x])
            assert np.all(np.isfinite(g.numpy())), name
