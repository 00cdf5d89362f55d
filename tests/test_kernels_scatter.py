"""The scatter-add kernel (autograd/kernels/scatter.py) against the NumPy reference
(``np.add.at`` on the moved axis, autograd/ops/vision.py ``_scatter``): bit-identical, for
both float dtypes, any axis, repeated and dropped (-1) indices, strided gradients; and the
embedding gradient it serves, numba backend against numpy backend."""

import numpy as np
import pytest

import autograd
import nn.functional as F
from autograd.ops import vision

pytest.importorskip("numba")
from autograd.kernels import scatter as sk


def _reference(g, axis, idx, n):
    with autograd.backend("numpy"):
        return vision._scatter(g, axis, idx, n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape,axis,n",
    [((256, 65), 0, 65), ((7,), 0, 4), ((3, 9, 5), 1, 6), ((4, 6), 1, 3), ((2, 3, 8), 2, 8)],
)
def test_scatter_kernel_is_bit_identical_to_add_at(dtype, shape, axis, n):
    rng = np.random.default_rng(0)
    g = rng.standard_normal(shape).astype(dtype)
    idx = rng.integers(-1, n, shape[axis])  # repeats accumulate, -1 is dropped
    out = sk.scatter(g, axis, idx, n)
    ref = _reference(g, axis, idx, n)
    assert out.dtype == ref.dtype and out.shape == ref.shape
    np.testing.assert_array_equal(out, ref)
    strided = np.swapaxes(np.swapaxes(g, 0, -1).copy(), 0, -1)  # same values, not C-order
    np.testing.assert_array_equal(sk.scatter(strided, axis, idx, n), ref)


def test_scatter_kernel_bounds_and_dispatch():
    g = np.ones((2, 3), np.float32)
    with pytest.raises(IndexError) as ours:
        sk.scatter(g, 0, np.array([0, 5]), 3)
    with pytest.raises(IndexError) as numpy:
        _reference(g, 0, np.array([0, 5]), 3)
    assert str(ours.value) == str(numpy.value)
    assert sk.supports(g, np.array([0], np.int64))
    assert not sk.supports(g.astype(np.float16), np.array([0], np.int64))
    assert not sk.supports(g.astype(np.int64), np.array([0], np.int64))


def test_embedding_gradient_numba_matches_numpy_backend():
    rng = np.random.default_rng(1)
    idx = autograd.tensor(rng.integers(0, 65, (32, 8)))
    grads = []
    for backend in ("numba", "numpy"):
        with autograd.backend(backend):
            w = autograd.tensor(
                rng.standard_normal((65, 65)).astype(np.float32), requires_grad=True
            )
            w.data = autograd.tensor(np.arange(65 * 65, dtype=np.float32).reshape(65, 65) / 100)
            out = F.embedding(idx, w)
            (out * autograd.tensor(np.linspace(-1, 1, 65, dtype=np.float32))).sum().backward()
            grads.append(w.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_into_kernel_is_numpys_inplace_add_on_strided_views(dtype):
    """``add_into`` (a compiled plan's addition of attention's head gradients into their
    part of the q/k/v projection's gradient): the values of NumPy's ``out += g``, bit for bit,
    on views with any strides, signs of zeros, infinities and NaN included."""
    rng = np.random.default_rng(2)
    g = rng.standard_normal((2, 4, 3, 5)).astype(dtype).transpose(0, 2, 1, 3)  # (2, 3, 4, 5)
    g[0, 0, 0, :4] = [-0.0, np.inf, np.nan, -np.inf]
    base = rng.standard_normal((2, 3, 60)).astype(dtype)
    base[0, 0, 20:24] = [0.0, -np.inf, 1.0, np.inf]  # (+0 + -0 = +0; inf - inf = nan)
    ours, ref = base.copy(), base.copy()
    with np.errstate(invalid="ignore"):  # (inf - inf; also for the kernel run as Python)
        sk.add_into(ours[:, :, 20:40].reshape((2, 3, 4, 5)), g)  # (a view)
        ref[:, :, 20:40] += g.reshape(2, 3, 20)
    assert ours.tobytes() == ref.tobytes()
    zero_stride = np.broadcast_to(dtype(1.5), g.shape)  # (a broadcast gradient: strides 0)
    with np.errstate(invalid="ignore"):
        sk.add_into(ours[:, :, :20].reshape((2, 3, 4, 5)), zero_stride)
        ref[:, :, :20] += 1.5
    assert ours.tobytes() == ref.tobytes()
