"""nn.init: distributions (bounds and moments vs the formulas and vs torch), gains, fans,
reproducibility with manual_seed, in-place semantics."""

import math

import numpy as np
import pytest

import autograd
import nn
from nn import init


def _w(*shape):
    return autograd.empty(*shape, dtype=autograd.float64)


def test_calculate_gain_matches_torch_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    torch = pytest.importorskip("torch")
    for nl in ["linear", "tanh", "relu", "leaky_relu", "selu", "sigmoid"]:
        assert init.calculate_gain(nl) == pytest.approx(torch.nn.init.calculate_gain(nl))


def test_fans():
    assert init._calculate_fan_in_and_fan_out(_w(3, 5)) == (5, 3)
    assert init._calculate_fan_in_and_fan_out(_w(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(_w(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(_w(3, 3), mode="fan_avg")


def _check_uniform(x, bound):
    assert np.abs(x).max() <= bound
    assert np.abs(x).max() > 0.97 * bound
    assert abs(x.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert abs(x.mean()) < 0.03 * bound


def _check_normal(x, std, mean=0.0):
    assert abs(x.std() - std) < 0.03 * std
    assert abs(x.mean() - mean) < 0.03 * std + 1e-12


def test_uniform_normal_constant_family():
    _check_uniform(init.uniform_(_w(200, 100), -0.3, 0.3).numpy(), 0.3)
    _check_normal(init.normal_(_w(200, 100), 1.5, 0.2).numpy(), 0.2, 1.5)
    assert np.all(init.constant_(_w(2, 2), 0.7).numpy() == 0.7)
    assert np.all(init.ones_(_w(2)).numpy() == 1) and np.all(init.zeros_(_w(2)).numpy() == 0)
    assert np.array_equal(init.eye_(_w(2, 3)).numpy(), np.eye(2, 3))
    d = init.dirac_(_w(2, 2, 3, 3)).numpy()
    assert d[0, 0, 1, 1] == 1 and d[1, 1, 1, 1] == 1 and d.sum() == 2


def test_xavier_and_kaiming_follow_formulas():
    w = _w(300, 200)
    _check_uniform(init.xavier_uniform_(w, gain=2.0).numpy(), 2.0 * math.sqrt(6 / 500))
    _check_normal(init.xavier_normal_(w).numpy(), math.sqrt(2 / 500))
    _check_uniform(
        init.kaiming_uniform_(w, nonlinearity="relu").numpy(), math.sqrt(2) * math.sqrt(3 / 200)
    )
    _check_uniform(init.kaiming_uniform_(w, a=math.sqrt(5)).numpy(), 1 / math.sqrt(200))
    _check_normal(
        init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu").numpy(), math.sqrt(2 / 300)
    )
    conv = _w(64, 16, 3, 3)
    _check_normal(init.kaiming_normal_(conv, nonlinearity="relu").numpy(), math.sqrt(2 / 144))


def test_trunc_normal_bounds_and_moments():
    x = init.trunc_normal_(_w(400, 100), mean=0.5, std=1.0, a=-0.5, b=2.0).numpy()
    assert x.min() >= -0.5 and x.max() <= 2.0
    from scipy.stats import truncnorm

    ref = truncnorm(-1.0, 1.5, loc=0.5, scale=1.0)
    assert abs(x.mean() - ref.mean()) < 0.01 and abs(x.std() - ref.std()) < 0.01
    x = init.trunc_normal_(_w(200, 100), std=0.02).numpy()  # ViT-style: bounds far out
    _check_normal(x, 0.02)


def test_orthogonal():
    for shape in [(6, 6), (4, 9), (9, 4), (4, 2, 3)]:
        q = init.orthogonal_(_w(*shape), gain=1.5).numpy().reshape(shape[0], -1)
        if q.shape[0] <= q.shape[1]:
            np.testing.assert_allclose(q @ q.T, 2.25 * np.eye(q.shape[0]), atol=1e-10)
        else:
            np.testing.assert_allclose(q.T @ q, 2.25 * np.eye(q.shape[1]), atol=1e-10)


def test_sparse():
    w = init.sparse_(_w(10, 50), sparsity=0.3).numpy()
    assert np.all((w == 0).sum(0) >= 3)


def test_init_is_in_place_untracked_and_reproducible():
    lin = nn.Linear(3, 4)
    w = lin.weight
    v0 = w._version
    out = init.normal_(lin.weight)
    assert out is w and w.requires_grad and w.grad_fn is None and w._version > v0
    autograd.manual_seed(5)
    a = init.kaiming_uniform_(_w(5, 5)).numpy().copy()
    autograd.manual_seed(5)
    b = init.kaiming_uniform_(_w(5, 5)).numpy()
    assert np.array_equal(a, b)
    g = autograd.Generator().manual_seed(1)
    c = init.uniform_(_w(3), generator=g).numpy().copy()
    g.manual_seed(1)
    assert np.array_equal(c, init.uniform_(_w(3), generator=g).numpy())
    autograd.manual_seed(9)
    m1 = nn.Linear(4, 4).weight.numpy(force=True)
    autograd.manual_seed(9)
    assert np.array_equal(m1, nn.Linear(4, 4).weight.numpy(force=True))


def test_float32_tensors_stay_float32():
    w = autograd.empty(3, 3)
    init.xavier_normal_(w)
    assert w.dtype == autograd.float32
