"""masked_fill's kernel (autograd/kernels/masking.py): the fast path for a mask over the
trailing dims against the NumPy path, bit for bit, forward and backward, float32 and
float64; the masks it does not take still go the NumPy way."""

import numpy as np
import pytest

pytest.importorskip("numba")

import autograd
from autograd.kernels import masking as K


def _masked_fill(backend, x, mask, value, g):
    """Value and input gradient of x.masked_fill(mask, value) on one backend."""
    with autograd.backend(backend):
        t = autograd.tensor(x, requires_grad=True)
        y = t.masked_fill(autograd.tensor(mask), value)
        (gx,) = autograd.grad(y, t, autograd.tensor(g))
    return y.detach().numpy(), gx.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape,mask_shape",
    [((2, 3, 8, 8), (8, 8)), ((5, 7), (7,)), ((4, 6), (4, 6)), ((3, 1, 5), (1, 5))],
)
@pytest.mark.parametrize("value", [float("-inf"), 0.5])
def test_fast_path_matches_numpy_path_bit_for_bit(dtype, shape, mask_shape, value):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype)
    x.flat[1] = np.nan  # passed through where the mask is false, replaced where it is true
    x.flat[2] = np.inf
    mask = rng.random(mask_shape) > 0.5
    g = rng.standard_normal(shape).astype(dtype)
    assert K.supports(mask, x)
    y_nb, g_nb = _masked_fill("numba", x, mask, value, g)
    y_np, g_np = _masked_fill("numpy", x, mask, value, g)
    np.testing.assert_array_equal(y_nb, y_np)
    np.testing.assert_array_equal(g_nb, g_np)
    assert y_nb.dtype == g_nb.dtype == dtype
    np.testing.assert_array_equal(y_nb, np.where(mask, dtype(value), x))
    np.testing.assert_array_equal(g_nb, np.where(mask, 0, g))


def test_the_kernel_runs_for_a_causal_mask_only_when_supported(monkeypatch):
    """Attention's (T, T) mask takes the kernel forward and backward; a mask that broadcasts
    over size-1 dims, an integer input or a strided input take the NumPy path (same values)."""
    calls = []
    real = K.masked_fill
    monkeypatch.setattr(K, "masked_fill", lambda *a: calls.append(a[0].shape) or real(*a))
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)
    causal = np.triu(np.ones((4, 4), bool), 1)
    y_nb, g_nb = _masked_fill("numba", x, causal, float("-inf"), np.ones_like(x))
    assert calls == [(2, 2, 4, 4)] * 2
    assert np.isneginf(y_nb[..., causal]).all() and (g_nb[..., causal] == 0).all()
    calls.clear()
    with autograd.backend("numba"):
        t = autograd.tensor(x)
        t.masked_fill(autograd.tensor(np.ones((4, 1), bool)), 0.0)
        t.transpose(2, 3).masked_fill(autograd.tensor(causal), 0.0)
        autograd.tensor([[1, 2]]).masked_fill(autograd.tensor([True, False]), 0)
    assert calls == []


def test_kernel_direct_example_and_supports():
    x = np.arange(6.0).reshape(2, 3)
    out = K.masked_fill(x, np.array([False, True, False]), -1.0)
    np.testing.assert_array_equal(out, [[0, -1, 2], [3, -1, 5]])
    assert not K.supports(np.array([True]), x)  # broadcasts a size-1 dim: NumPy path
    assert not K.supports(np.ones((2, 3), np.int64), x)
    assert not K.supports(np.ones((1, 2, 3), bool), x)
