"""The GEMM layout choice (autograd/kernels/gemm.py): each rerouted product equals NumPy's
matmul to float32 rounding, row-major like it; what it does not take (float64, float16, other
layouts and sizes) goes NumPy's way bit for bit; the matmul/linear/conv ops give the same
values, gradients, dtypes and grad_fn on both backends."""

import numpy as np
import pytest

import autograd
import nn.functional as F
from autograd import dispatch
from autograd.kernels import gemm as K
from autograd.ops import linalg
from autograd.ops.linalg import _gemm


def _rowmajor(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _transposed(rng, shape, dtype=np.float32):
    """An array of ``shape`` whose matrices are transposed views of row-major ones."""
    return np.swapaxes(_rowmajor(rng, shape[:-2] + shape[-1:] + shape[-2:-1], dtype), -1, -2)


def _close(got, want, a, b):
    """Equal to float32 rounding of sums of len(k) products (bound from |a| @ |b|)."""
    bound = np.matmul(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64))
    assert np.all(np.abs(got.astype(np.float64) - want) <= 1e-6 * bound + 1e-30)


# (a's shape, b's shape, the layout chosen): row-major a, transposed b
CASES = [
    ((32, 784), (784, 512), "swapped"),  # an MLP's first layer, batch 32
    ((8, 128), (128, 128), "swapped"),
    ((17, 300), (300, 129), "swapped"),
    ((32, 121), (121, 144), "a_columns"),  # the small CNN's weight gradient, per sample
    ((16, 64), (64, 200), "a_columns"),
    ((32, 30), (30, 200), None),  # k < 64: copying a gains too little
    ((3, 2, 32, 121), (3, 2, 121, 144), "a_columns"),  # batched
    ((1, 24, 200), (5, 1, 200, 160), "swapped"),  # broadcast batch dimensions
    ((0, 32, 200), (0, 200, 128), None),  # empty: NumPy's way (whatever the strides say)
    ((16, 0), (0, 128), None),
]


@pytest.mark.parametrize("sa, sb, how", CASES)
def test_rerouted_products_match_numpy(sa, sb, how):
    rng = np.random.default_rng(len(sa) + sa[-1])
    a, b = _rowmajor(rng, sa), _transposed(rng, sb)
    assert K.choose(a, b) == how and K.supports(a, b) == (how is not None)
    got, want = K.matmul(a, b), np.matmul(a, b)
    assert got.shape == want.shape and got.dtype == np.float32 and got.flags.c_contiguous
    _close(got, np.matmul(a.astype(np.float64), b.astype(np.float64)), a, b)
    _close(want, np.matmul(a.astype(np.float64), b.astype(np.float64)), a, b)


def test_special_values_propagate_like_numpy():
    rng = np.random.default_rng(1)
    a, b = _rowmajor(rng, (32, 300)), _transposed(rng, (300, 200))
    a[3, 7], a[5, 0], b[9, 11] = np.nan, np.inf, -np.inf
    np.testing.assert_array_equal(np.isnan(K.matmul(a, b)), np.isnan(np.matmul(a, b)))
    np.testing.assert_array_equal(np.isinf(K.matmul(a, b)), np.isinf(np.matmul(a, b)))


def test_products_it_declines():
    rng = np.random.default_rng(2)
    a, b = _rowmajor(rng, (32, 784)), _transposed(rng, (784, 512))
    assert not K.supports(a.astype(np.float64), b.astype(np.float64))  # float64: NumPy's bits
    assert not K.supports(a.astype(np.float16), b.astype(np.float16))
    assert not K.supports(a, np.ascontiguousarray(b))  # b row-major
    assert not K.supports(np.asfortranarray(a), b)  # a column-major
    assert not K.supports(a[:, ::2], b[::2])  # strided rows
    assert not K.supports(_rowmajor(rng, (33, 784)), b)  # more rows than MAX_ROWS
    assert not K.supports(_rowmajor(rng, (4, 784)), b)  # fewer than MIN_ROWS
    assert not K.supports(a, _transposed(rng, (784, 64)))  # narrow result
    assert not K.supports(a[0], b)  # a vector
    with autograd.backend("numpy"):
        assert dispatch.kernels("gemm", a, b) is None


def test_the_ops_skip_the_lookup_only_for_products_it_declines():
    assert (linalg._GEMM_MAX_ROWS, linalg._GEMM_MIN_K, linalg._GEMM_MIN_COLS) == (
        K.MAX_ROWS,
        K.MIN_K,
        K.MIN_COLS,
    )
    rng = np.random.default_rng(5)
    b = _transposed(rng, (784, 512))
    assert K.supports(_rowmajor(rng, (32, 784)), b)
    assert not K.supports(_rowmajor(rng, (33, 784)), b)
    assert not K.supports(_rowmajor(rng, (32, 63)), b[:63])
    assert not K.supports(_rowmajor(rng, (32, 784)), b[:, :127])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_declined_products_are_numpys_bit_for_bit(dtype):
    rng = np.random.default_rng(3)
    shapes = [((32, 784), (784, 512)), ((64, 100), (100, 200)), ((5, 3, 16), (16, 4))]
    for sa, sb in shapes:
        a, b = _rowmajor(rng, sa, dtype), _transposed(rng, sb, dtype)
        if dtype == np.float32 and K.supports(a, b):
            continue
        with autograd.backend("numba"):
            np.testing.assert_array_equal(_gemm(a, b), np.matmul(a, b))


def _run(backend, fn, arrays):
    with autograd.backend(backend):
        ts = [autograd.tensor(x, requires_grad=True) for x in arrays]
        y = fn(*ts)
        y.backward(autograd.tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape), dtype=y.dtype))
        return y, [y.detach().numpy()] + [t.grad.numpy() for t in ts]


OPS = [
    ("linear, batch 32", lambda x, w, b: F.linear(x, w, b), [(32, 784), (512, 784), (512,)]),
    ("linear, stack of rows", lambda x, w, b: F.linear(x, w, b), [(2, 16, 64), (256, 64), (256,)]),
    ("linear without bias", lambda x, w: F.linear(x, w), [(24, 200), (160, 200)]),
    ("matmul by w.t()", lambda x, w: x @ w.t(), [(32, 121), (144, 121)]),
    ("mm by w.t()", lambda x, w: autograd.mm(x, w.t()), [(8, 300), (129, 300)]),
    ("one row", lambda x, w: x @ w.t(), [(1, 300), (200, 300)]),
    ("conv2d", lambda x, w: F.conv2d(x, w), [(4, 16, 13, 13), (32, 16, 3, 3)]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, fn, shapes", OPS, ids=[o[0] for o in OPS])
def test_ops_agree_across_backends(dtype, name, fn, shapes):
    rng = np.random.default_rng(len(name))
    arrays = [rng.standard_normal(s).astype(dtype) / 8 for s in shapes]
    y1, fast = _run("numba", fn, arrays)
    y2, ref = _run("numpy", fn, arrays)
    assert type(y1.grad_fn) is type(y2.grad_fn) and y1.requires_grad == y2.requires_grad
    for got, want in zip(fast, ref):
        assert got.dtype == want.dtype and got.shape == want.shape
        if dtype == np.float64:  # float64 is never rerouted: bit for bit
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_products_keep_their_path(dtype):
    rng = np.random.default_rng(4)
    x = autograd.tensor(rng.standard_normal((32, 300)), dtype=getattr(autograd, dtype))
    w = autograd.tensor(rng.standard_normal((200, 300)), dtype=getattr(autograd, dtype))
    with autograd.backend("numba"):
        fast = (x @ w.t()).float().numpy()
    with autograd.backend("numpy"):
        ref = (x @ w.t()).float().numpy()
    np.testing.assert_array_equal(fast, ref)
