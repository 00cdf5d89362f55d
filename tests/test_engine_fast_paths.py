"""The backward pass's fast paths (issue 17, per-op overhead) give what the general paths give.

Each fast path sits next to the general code it shortens; these tests run both on the same
inputs and compare bit for bit (values, signs of zero, NaN payloads aside: NaN positions),
dtypes, shapes and result types.
"""

import numpy as np
import pytest

import autograd
from autograd.ops import unary

numba = pytest.importorskip("numba")

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.75, 1e-30, -1e-30, 3e38, np.inf, -np.inf, np.nan]


def _bits_equal(a, b):
    """Same type (array or NumPy scalar), dtype, shape and bytes (so -0.0 differs from 0.0)."""
    assert type(a) is type(b)
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def _pairs(dtype):
    """(g, y) pairs: random, special values against each other, broadcast, strided, 0-d."""
    rng = np.random.default_rng(0)
    y = np.tanh(rng.standard_normal((6, 7)) * 2).astype(dtype)
    g = rng.standard_normal((6, 7)).astype(dtype)
    sv = np.array(SPECIAL, dtype)
    yield g, y
    yield np.repeat(sv, len(sv)), np.tile(sv, len(sv))  # every special pair
    yield g[:1], y  # g broadcast over rows
    yield g.T, y.T  # F-ordered
    yield g[::2, ::3], y[1::2, ::3]  # strided views
    yield np.asarray(g[0, 0]), np.asarray(y[0, 0])  # 0-d arrays: NumPy scalars come back


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_vjp_equals_the_expression_bit_for_bit(name, dtype):
    vjps = {"tanh": unary._TANH_VJPS, "sigmoid": unary._SIGMOID_VJPS}[name]
    for g, y in _pairs(dtype):
        with autograd.backend("numpy"):
            expected = _expression(name, g, y)
        with autograd.backend("numba"), np.errstate(all="ignore"):  # (as in the engine)
            fused = unary._fused_vjp(name, vjps, g, y)
        assert fused is not None
        _bits_equal(fused, expected)


def _expression(name, g, y):
    one = np.ones((), y.dtype)
    with np.errstate(all="ignore"):
        return g * (one - y * y) if name == "tanh" else g * y * (one - y)


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_fused_vjp_steps_aside_when_it_cannot_apply(name):
    vjps = {"tanh": unary._TANH_VJPS, "sigmoid": unary._SIGMOID_VJPS}[name]
    f32, f64 = np.ones(3, np.float32), np.ones(3, np.float64)
    with autograd.backend("numba"):
        assert unary._fused_vjp(name, vjps, f32, f64) is None  # mixed dtypes promote
        assert unary._fused_vjp(name, vjps, f32.astype(np.float16), f32.astype(np.float16)) is None
        assert unary._fused_vjp(name, vjps, autograd.tensor(f32), autograd.tensor(f32)) is None
    with autograd.backend("numpy"):
        assert unary._fused_vjp(name, vjps, f32, f32) is None


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_through_fused_vjp_matches_numpy_backend(name, dtype):
    """End to end: the leaf's gradient, and a second-order gradient (recorded VJP: Tensors,
    the expression), are the numpy backend's bit for bit."""
    x0 = (np.linspace(-3, 3, 12).reshape(3, 4)).astype(dtype)
    results = {}
    for backend in ("numpy", "numba"):
        with autograd.backend(backend):
            x = autograd.tensor(x0, requires_grad=True)
            y = getattr(autograd, name)(x * 1.5)
            (g,) = autograd.grad((y * y).sum(), x, create_graph=True)
            assert g.grad_fn is not None
            g.sum().backward()
            results[backend] = (g.detach().numpy(), x.grad.numpy())
    for a, b in zip(results["numpy"], results["numba"]):
        _bits_equal(a, b)
