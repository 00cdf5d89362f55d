"""Tensor API: creation, dtypes and promotion, attributes, repr, NumPy interop, errors."""

import copy
import warnings

import numpy as np
import pytest

import autograd
from autograd import Tensor


# ---- creation -------------------------------------------------------------------------
def test_tensor_dtype_inference_like_torch():
    assert autograd.tensor([1.0, 2.0]).dtype == autograd.float32
    assert autograd.tensor([1, 2]).dtype == autograd.int64
    assert autograd.tensor([True, False]).dtype == autograd.bool
    assert autograd.tensor([1, 2.5]).dtype == autograd.float32
    assert autograd.tensor(np.zeros(2)).dtype == autograd.float64  # keeps the array's dtype
    assert autograd.tensor(3).shape == ()
    assert autograd.tensor([[1, 2], [3, 4]], dtype=autograd.float64).dtype == autograd.float64
    r = autograd.tensor(range(4))  # a range is a sequence, as in torch
    assert r.dtype == autograd.int64 and r.tolist() == [0, 1, 2, 3]
    assert autograd.tensor([range(2), range(2, 4)], dtype=autograd.float32).tolist() == [
        [0.0, 1.0],
        [2.0, 3.0],
    ]


def test_tensor_copies_but_from_numpy_shares():
    arr = np.zeros(3, dtype=np.float32)
    t = autograd.tensor(arr)
    u = autograd.from_numpy(arr)
    arr[0] = 7
    assert t.numpy()[0] == 0 and u.numpy()[0] == 7
    assert u.numpy() is arr


def test_factories_shapes_dtypes():
    assert autograd.zeros(2, 3).shape == (2, 3)
    assert autograd.zeros((2, 3)).shape == (2, 3)
    assert autograd.ones(4, dtype=autograd.int64).dtype == autograd.int64
    assert autograd.full((2,), 7).dtype == autograd.int64
    assert autograd.full((2,), 7.0).dtype == autograd.float32
    assert autograd.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert autograd.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert autograd.arange(5).dtype == autograd.int64
    np.testing.assert_allclose(autograd.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(autograd.eye(3).numpy(), np.eye(3))
    x = autograd.randn(3, 4, dtype=autograd.float64)
    for like in (
        autograd.zeros_like,
        autograd.ones_like,
        autograd.rand_like,
        autograd.randn_like,
        autograd.empty_like,
    ):
        y = like(x)
        assert y.shape == x.shape and y.dtype == x.dtype
    assert autograd.full_like(x, 2.0).numpy().max() == 2.0
    assert autograd.randint(0, 5, (100,)).numpy().max() < 5
    assert autograd.randint(3, (10,)).numpy().max() < 3
    assert sorted(autograd.randperm(6).tolist()) == list(range(6))
    assert autograd.normal(2.0, 0.0, size=(3,)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="negative dimension"):
        autograd.zeros(-1)


def test_manual_seed_governs_all_randomness():
    autograd.manual_seed(123)
    a = [autograd.rand(3), autograd.randn(2), autograd.randint(0, 100, (3,)), autograd.randperm(5)]
    autograd.manual_seed(123)
    b = [autograd.rand(3), autograd.randn(2), autograd.randint(0, 100, (3,)), autograd.randperm(5)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    g = autograd.Generator().manual_seed(5)
    h = autograd.Generator().manual_seed(5)
    np.testing.assert_array_equal(
        autograd.rand(4, generator=g).numpy(), autograd.rand(4, generator=h).numpy()
    )
    state = autograd.get_rng_state()
    x1 = autograd.rand(3)
    autograd.set_rng_state(state)
    np.testing.assert_array_equal(x1.numpy(), autograd.rand(3).numpy())


# ---- dtypes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "a,b,expected",
    [
        (autograd.int64, autograd.float32, autograd.float32),
        (autograd.int32, autograd.int64, autograd.int64),
        (autograd.bool, autograd.int32, autograd.int32),
        (autograd.float16, autograd.float64, autograd.float64),
        (autograd.uint8, autograd.int8, autograd.int16),
    ],
)
def test_promote_types(a, b, expected):
    assert autograd.promote_types(a, b) == expected


def test_result_type_tiers_match_torch():
    i32 = autograd.tensor([1, 2], dtype=autograd.int32)
    f16 = autograd.tensor([1.0], dtype=autograd.float16)
    assert (i32 + 5).dtype == autograd.int32  # Python int does not widen
    assert (i32 + 2.5).dtype == autograd.float32  # but brings the float category
    assert (f16 + 2.5).dtype == autograd.float16
    assert (f16 * autograd.tensor(2.0, dtype=autograd.float64)).dtype == autograd.float16  # 0-d
    assert (autograd.tensor([True]) + 1).dtype == autograd.int64
    assert (i32 / 2).dtype == autograd.float32  # true division


def test_to_and_conversions():
    x = autograd.tensor([1.5, 2.5], requires_grad=True)
    d = x.double()
    assert d.dtype == autograd.float64 and d.grad_fn is not None
    d.sum().backward()
    assert x.grad.dtype == autograd.float32
    assert x.detach().long().dtype == autograd.int64
    assert x.to(autograd.float16).dtype == autograd.float16
    assert x.to(autograd.tensor([1], dtype=autograd.int32)).dtype == autograd.int32
    assert x.float() is x
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")


def test_integer_tensors_cannot_require_grad():
    msg = "Only Tensors of floating point and complex dtype can require gradients"
    with pytest.raises(RuntimeError, match=msg):
        autograd.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match=msg):
        autograd.arange(3).requires_grad_()


# ---- attributes -------------------------------------------------------------------------
def test_attributes_and_helpers():
    x = autograd.zeros(2, 3, dtype=autograd.float64)
    assert x.shape == (2, 3) and isinstance(x.shape, autograd.Size)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    assert repr(x.shape) == "autograd.Size([2, 3])"
    assert x.is_leaf and x.grad_fn is None and not x.requires_grad
    assert x.tolist() == [[0.0] * 3] * 2
    assert autograd.tensor(5.0).item() == 5.0
    assert len(x) == 2
    assert x.contiguous() is x
    assert x.is_floating_point()
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(2)


def test_item_on_many_elements():
    with pytest.raises(
        RuntimeError, match="a Tensor with 3 elements cannot be converted to Scalar"
    ):
        autograd.zeros(3).item()


def test_detach_clone_requires_grad_retain():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    c = y.clone()
    assert c.grad_fn.name() == "CloneBackward0"
    with pytest.raises(
        RuntimeError, match="you can only change requires_grad flags of leaf variables"
    ):
        y.requires_grad_(False)
    assert autograd.zeros(2).requires_grad_().requires_grad


def test_numpy_on_requires_grad_tensor():
    x = autograd.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0]


# ---- repr --------------------------------------------------------------------------------
def test_repr_like_torch():
    assert (
        repr(autograd.tensor([1.0, 2.0], requires_grad=True))
        == "tensor([1., 2.], requires_grad=True)"
    )
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * x) == "tensor([1., 4.], grad_fn=<MulBackward0>)"
    assert repr(autograd.tensor([0.5, 1.25])) == "tensor([0.5000, 1.2500])"
    assert repr(autograd.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(autograd.tensor(3.0)) == "tensor(3.)"
    assert (
        repr(autograd.tensor([1.0], dtype=autograd.float64))
        == "tensor([1.], dtype=autograd.float64)"
    )
    assert repr(autograd.tensor([True, False])) == "tensor([ True, False])"
    assert repr(autograd.zeros(0)) == "tensor([])"
    assert (
        repr(autograd.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    )


SCI_CASES = [
    [0.0, 0.31326, 2.1269, 800.0],
    [1e-8, 1.0, 2.5],
    [1e-5, 800.0],
    [1e9, -3.0],
    [1e-5, float("inf"), float("nan")],
]


def test_repr_scientific_keeps_four_digits_like_torch():
    assert repr(autograd.tensor([1e-5, 800.0])) == "tensor([1.0000e-05, 8.0000e+02])"
    assert (
        repr(autograd.tensor([0.0, 0.31326, 800.0]))
        == "tensor([0.0000e+00, 3.1326e-01, 8.0000e+02])"
    )
    torch = pytest.importorskip("torch")
    for values in SCI_CASES:
        assert repr(autograd.tensor(values)) == repr(torch.tensor(values)), values


# ---- NumPy interop -------------------------------------------------------------------------
def test_array_protocol_and_ufunc_deferral():
    x = autograd.tensor([1.0, 2.0])
    assert np.asarray(x).dtype == np.float32
    assert np.array(x, dtype=np.float64).dtype == np.float64
    y = np.float64(2.0) * x
    assert isinstance(y, Tensor)
    z = np.ones(2) + autograd.tensor([1.0, 2.0], requires_grad=True)
    assert isinstance(z, Tensor) and z.requires_grad


def test_dlpack_export():
    x = autograd.arange(4, dtype=autograd.float32)
    back = np.from_dlpack(x)
    np.testing.assert_array_equal(back, [0, 1, 2, 3])
    torch = pytest.importorskip("torch")
    t = torch.from_dlpack(x)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_pickle_for_processes_and_deepcopy_work():
    import pickle

    x = autograd.tensor([1.0], requires_grad=True)
    z = pickle.loads(pickle.dumps(x))  # for worker processes; checkpoints never pickle
    assert z.requires_grad and z is not x and z.tolist() == [1.0]
    y = copy.deepcopy(x)
    assert y.requires_grad and y is not x and y.tolist() == [1.0]


# ---- errors: broadcasting ---------------------------------------------------------------
def test_broadcast_error_names_both_sizes():
    a, b = autograd.zeros(2, 3), autograd.zeros(2, 5)
    with pytest.raises(
        RuntimeError,
        match=r"The size of tensor a \(3\) must match the size of "
        r"tensor b \(5\) at non-singleton dimension 1",
    ):
        a + b
    with pytest.raises(ValueError):  # also a ValueError
        a * b


def test_bool_of_multi_element_tensor():
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(autograd.zeros(2))
    assert bool(autograd.tensor([1.0]))


def test_no_warning_for_common_ops():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = autograd.tensor([0.0, 1.0], requires_grad=True)
        y = (x.log() * 0 + x.exp()).sum()
        y.backward()
