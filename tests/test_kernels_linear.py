"""The linear layer's bias-add kernel (autograd/kernels/linear.py): bit for bit NumPy's
``out += b`` (one addition per element either way), directly and through ``F.linear`` on
both backends; the arrays it does not take still go the NumPy way."""

import numpy as np
import pytest

pytest.importorskip("numba")

import autograd
import nn.functional as F
from autograd import dispatch
from autograd.kernels import linear as K


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(512, 64), (3, 1), (1, 7), (37, 257)])
def test_add_rows_kernel_matches_numpy_bit_for_bit(dtype, shape):
    rng = np.random.default_rng(sum(shape))
    out = rng.standard_normal(shape).astype(dtype)
    b = rng.standard_normal(shape[1]).astype(dtype)
    out.flat[0], b[-1] = np.nan, np.inf  # special values pass through the same addition
    assert K.supports(out, b)
    ref = out.copy()
    ref += b
    K.add_rows_(out, b)
    assert out.dtype == ref.dtype
    np.testing.assert_array_equal(out, ref)


def test_add_rows_kernel_declines_what_numpy_handles():
    f32 = np.zeros((4, 3), np.float32)
    assert not K.supports(f32.astype(np.float16), np.zeros(3, np.float16))  # no float16
    assert not K.supports(f32, np.zeros(3))  # mixed dtypes
    assert not K.supports(f32.T.copy().T, np.zeros(3, np.float32))  # not C-contiguous
    assert not K.supports(f32, np.zeros(6, np.float32)[::2])  # strided bias
    assert not K.supports(f32[:0], np.zeros(3, np.float32))  # empty
    assert not K.supports(np.zeros(3, np.float32), np.zeros(3, np.float32))  # 1-D
    with autograd.backend("numpy"):
        assert dispatch.kernels("linear", f32, np.zeros(3, np.float32)) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 5), (2, 3, 5)])
def test_linear_with_the_kernel_matches_the_numpy_backend(dtype, shape):
    rng = np.random.default_rng(len(shape))
    arrays = [rng.standard_normal(s).astype(dtype) for s in (shape, (6, 5), (6,))]
    results = []
    for backend in ("numba", "numpy"):
        with autograd.backend(backend):
            x, w, b = (autograd.tensor(a, requires_grad=True) for a in arrays)
            y = F.linear(x, w, b)
            y.backward(
                autograd.tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape), dtype=y.dtype)
            )
            results.append([y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for a, b in zip(*results):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
