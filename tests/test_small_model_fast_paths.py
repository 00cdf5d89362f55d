"""Fast paths taken by small models' training steps (issue 17, the character-level MLP):
each is compared with the general path it shortcuts, on the same inputs, for values,
dtypes, strides, ``grad_fn`` names, ``requires_grad``, view bookkeeping, version counters,
gradients and errors.
"""

import numpy as np
import pytest

import autograd
from autograd.ops import movement
from autograd.ops.movement import _broadcast_view


def _same_tensor(a, b):
    assert type(a) is type(b)
    assert a._data.dtype == b._data.dtype and a._data.shape == b._data.shape
    assert a._data.strides == b._data.strides
    np.testing.assert_array_equal(a._data, b._data)
    assert a.requires_grad == b.requires_grad
    assert (a.grad_fn is None) == (b.grad_fn is None)
    if a.grad_fn is not None:
        assert a.grad_fn.name() == b.grad_fn.name()
    assert (a._view is None) == (b._view is None)
    if a._view is not None:
        assert a._view[1] == b._view[1] and a._view[2] == b._view[2]


# ---- expand: the broadcast view -----------------------------------------------------------
@pytest.mark.parametrize(
    "in_shape, shape",
    [
        ((200,), (32, 200)),
        ((3, 1), (2, 3, 4)),
        ((), (2, 2)),
        ((1,), (5,)),
        ((4,), (4,)),
        ((0,), (3, 0)),
        ((2, 0), (2, 0)),
        ((2, 1, 3), (2, 5, 3)),
        ((1, 1), (0, 1)),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_broadcast_view_matches_numpy(in_shape, shape, dtype):
    x = (np.arange(int(np.prod(in_shape))) % 3).astype(dtype).reshape(in_shape)
    for arr in (x, x.copy()):  # a view of arange's array, and an array owning its data
        ref, out = np.broadcast_to(arr, shape), _broadcast_view(arr, shape)
        assert out.shape == ref.shape and out.strides == ref.strides and out.dtype == ref.dtype
        assert out.flags.writeable is False and out.base is ref.base
        np.testing.assert_array_equal(out, ref)
        with pytest.raises(ValueError, match="read-only"):
            out[...] = 0


def test_broadcast_view_of_a_strided_array_takes_broadcast_to():
    x = np.arange(12.0).reshape(3, 4)[:, :1]  # not C-contiguous
    out = _broadcast_view(x, (3, 5))
    np.testing.assert_array_equal(out, np.broadcast_to(x, (3, 5)))
    assert out.strides == np.broadcast_to(x, (3, 5)).strides


def test_expand_grad_and_errors_unchanged():
    torch = pytest.importorskip("torch")
    b = autograd.tensor(np.arange(3.0), requires_grad=True)
    y = b.expand(4, 3)
    assert y.grad_fn.name() == "ExpandBackward0" and y._view is not None
    (y * autograd.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
    tb = torch.tensor(np.arange(3.0), requires_grad=True)
    (tb.expand(4, 3) * torch.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())
    with pytest.raises(RuntimeError, match="must match the existing size"):
        b.expand(4, 2)


# ---- t() and view(): straight to the op ---------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3), (1, 5), (3, 1), (0, 2), (4,), ()])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_t_matches_transpose(shape, requires_grad):
    x = autograd.tensor(np.arange(float(np.prod(shape))).reshape(shape))
    x.requires_grad_(requires_grad)
    base = x * 1 if requires_grad else x  # (a non-leaf too: its views are tracked)
    for src in (x, base):
        fast = src.t()
        general = movement.transpose(src, 0, 1) if src.ndim == 2 else src
        _same_tensor(fast, general)
        assert fast._version_cell is src._version_cell
        if src.ndim < 2:
            assert fast is src


def test_t_errors_and_gradient():
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions"):
        autograd.zeros(2, 3, 4).t()
    w = autograd.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (w.t() * autograd.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.arange(6.0).reshape(3, 2).T)


def test_t_view_writes_reach_the_base():
    x = autograd.zeros(2, 3)
    v = x.t()
    v[0, 1] = 5.0
    assert x[1, 0].item() == 5.0 and x._version == v._version == 1


@pytest.mark.parametrize(
    "shape, new", [((4, 3), (2, -1)), ((4, 3), (12,)), ((4, 3), (4, 3)), ((2, 3, 4), (2, 12))]
)
def test_view_matches_reshape(shape, new):
    x = autograd.tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
    h = x * 2
    _same_tensor(h.view(*new), h.reshape(*new))
    _same_tensor(h.view(new), h.reshape(new))
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        h.t().view(-1) if h.ndim == 2 else h.transpose(0, 2).view(-1)
    with pytest.raises(RuntimeError, match="is invalid for input of size"):
        h.view(5, -1)
