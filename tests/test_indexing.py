"""Indexing: ``x[idx]``, ``x[idx] = v`` and the index ops, against NumPy and PyTorch.

The registry (tests/test_ops_registry.py) already checks every registered sample; this file
covers what samples cannot express: PyTorch's layout rules for mixed int/array indices,
negative steps, accumulation of repeated indices, ``__setitem__`` (gradients, leaves,
version counters), error messages, and the ``xp`` helpers other families' VJPs use.
"""

import warnings

import numpy as np
import pytest

import autograd
from torch_compare import assert_values_and_grads
from autograd.ops import xp
from autograd.ops.indexing import _normalize_index, index_put_slice


def _t(a, requires_grad=False):
    return autograd.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _ref_grad(shape, index, w):
    """Gradient of sum(w * x[index]) w.r.t. x: w added into zeros at index (NumPy)."""
    z = np.zeros(shape)
    np.add.at(z, index, w)
    return z


# indices where NumPy and PyTorch agree (so NumPy is the reference)
NUMPY_INDICES = [
    (1,),
    (-1, 2),
    (slice(None, None, 2),),
    (slice(None, None, -1),),
    (slice(3, None, -2), slice(None)),
    (Ellipsis, slice(None, None, -3)),
    (None, 1, None),
    (Ellipsis, None),
    (np.array([0, 0, 2, 0]),),
    (slice(None), np.array([[1, 1], [4, 0]])),
    (np.array([-1, 0]), slice(1, None)),
    (np.array([[0], [2]]), np.array([1, 1, 1])),
    (np.array([True, False, True, True]),),
    (slice(None), np.array([False, True, True, False, True]), None),
    (slice(0, 0),),
    (np.array([], dtype=np.int64),),
]


@pytest.mark.parametrize("index", NUMPY_INDICES, ids=repr)
def test_getitem_matches_numpy_and_grads_accumulate(index):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 5, 3))
    x = _t(a, requires_grad=True)
    out = x[index]
    ref = a[index]
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out.detach().numpy(), ref)
    w = rng.normal(size=ref.shape)
    (out * _t(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _ref_grad(a.shape, index, w))


@pytest.mark.parametrize(
    "index",
    [(slice(None, None, -1), np.array([0, 0, 3])), (np.array([1, 1]), slice(None, None, -2))],
    ids=repr,
)
def test_negative_steps_are_differentiable_twice(index):
    x = _t(np.random.default_rng(1).normal(size=(4, 5)), requires_grad=True)
    assert autograd.gradcheck(lambda t: t[index] ** 2, (x,))
    assert autograd.gradgradcheck(lambda t: t[index] ** 2, (x,))


def test_repeated_indices_accumulate():
    x = _t([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 0, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_tensor_and_list_indices():
    x = autograd.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(x[autograd.tensor([2, 0])].numpy(), x.numpy()[[2, 0]])
    np.testing.assert_array_equal(x[autograd.tensor(1)].numpy(), x.numpy()[1])  # 0-d = int
    np.testing.assert_array_equal(x[x > 5].numpy(), x.numpy()[x.numpy() > 5])
    np.testing.assert_array_equal(x[np.array([1])].numpy(), x.numpy()[[1]])
    assert x[True].shape == (1, 3, 4) and x[[]].shape == (0, 4)


@pytest.mark.parametrize(
    "index",
    [
        (0, slice(None), [0, 1]),  # torch: ints first -> (3, 2); NumPy gives (2, 3)
        ([0, 1], slice(None), [0, 1]),
        (slice(None), [0, 1], 1),
        (1, [0, 1], 1),
        (None, [0, 1], None, 1),
        (Ellipsis, [2, 0], None),
        (1, Ellipsis, [[0], [2]], slice(None, None, 2)),
        ([[0, 1]], 2, [[3], [0]]),
    ],
    ids=repr,
)
def test_mixed_int_and_array_indices_follow_torch(index):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).normal(size=(2, 3, 4))
    x, t = _t(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    assert_values_and_grads(torch, x[index], t[index], x, t)


@pytest.mark.parametrize(
    "index,message",
    [
        (5, "index 5 is out of bounds for dimension 0 with size 3"),
        (-4, "index -4 is out of bounds for dimension 0 with size 3"),
        ((slice(None), [4]), "index 4 is out of bounds for dimension 1 with size 4"),
        ((0, 0, 0), "too many indices for tensor of dimension 2"),
        ((Ellipsis, Ellipsis), "an index can only have a single ellipsis"),
        (
            np.array([True, False]),
            "The shape of the mask [2] at index 0 does not match the shape of "
            "the indexed tensor [3, 4] at index 0",
        ),
        (np.array([0.5]), "tensors used as indices must be long, int, byte or bool tensors"),
        (1.5, "only integers, slices"),
    ],
)
def test_getitem_errors(index, message):
    x = autograd.zeros(3, 4)
    with pytest.raises(IndexError) as e:
        x[index]
    assert message in str(e.value)


def test_basic_index_is_a_view_sharing_the_version_counter():
    x = autograd.zeros(2, 3)
    row = x[0]
    row.fill_(1.0)  # writes through, like torch
    np.testing.assert_array_equal(x.numpy()[0], [1.0, 1.0, 1.0])
    assert x._version == row._version == 1
    # a value saved from the view is invalidated by an in-place change of the base
    a = autograd.randn(2, 3, requires_grad=True)
    h = a * 2
    v = h[0]
    y = v * v  # saves v
    h[1] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- __setitem__ ---------------------------------------------------------------------------
def test_setitem_without_grad_writes_in_place():
    x = autograd.zeros(3, 4)
    x[0] = 1.0
    x[:, 1] = autograd.tensor([5.0, 6.0, 7.0])
    x[x > 5] = -1.0
    x[[2, 2], [0, 3]] = 9.0
    ref = np.zeros((3, 4))
    ref[0] = 1
    ref[:, 1] = [5, 6, 7]
    ref[ref > 5] = -1
    ref[[2, 2], [0, 3]] = 9
    np.testing.assert_array_equal(x.numpy(), ref)
    assert x._version == 4


def test_setitem_is_differentiable_for_self_and_value():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4,))
    w = _t(a, requires_grad=True)
    v = _t(b, requires_grad=True)
    y = w * 2
    y[1] = v  # value broadcast-free
    y[:, 0] = v[:3]  # overwrites part of v's row too
    weights = rng.normal(size=(3, 4))
    (y * _t(weights)).sum().backward()
    gw = 2 * weights
    gw[1] = 0
    gw[:, 0] = 0
    np.testing.assert_allclose(w.grad.numpy(), gw)
    gv = weights[1].copy()
    gv[0] = 0  # y[1, 0] was overwritten by v[1] afterwards
    gv[:3] += weights[:, 0]
    np.testing.assert_allclose(v.grad.numpy(), gv)


def test_setitem_broadcast_value_gradient_is_summed():
    x = autograd.zeros(3, 4, dtype=autograd.float64, requires_grad=True)
    v = _t(2.0, requires_grad=True)
    y = x + 0
    y[:, 1:3] = v
    y.sum().backward()
    assert v.grad.item() == 6.0
    np.testing.assert_array_equal(x.grad.numpy()[:, 1:3], 0)


def test_setitem_matches_torch_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 3))
    ours = [_t(a, True), _t(b, True)]
    theirs = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    for (x, v), lib in ((ours, autograd), (theirs, torch)):
        y = x.exp()
        y = y * 1  # exp saved its output: write into a copy
        y[lib.tensor([3, 0])] = v * v
        (y**2).sum().backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy())


def test_setitem_errors():
    w = autograd.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w[0] = 1.0
    a = autograd.randn(3, requires_grad=True)
    b = a.exp()  # saves its output b
    b[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()
    y = a * 1
    with pytest.raises(RuntimeError, match="shape mismatch: value tensor of shape"):
        y[:2] = autograd.ones(3, requires_grad=True)


def test_setitem_create_graph_second_order():
    x = _t([1.0, 2.0, 3.0], requires_grad=True)

    def f(t):
        y = t * t
        y[1] = t[0] ** 3
        return y

    assert autograd.gradcheck(f, (x,))
    assert autograd.gradgradcheck(f, (x,))


def test_index_put_slice_is_out_of_place():
    x = autograd.zeros(3)
    y = index_put_slice(x, 1, 5.0)
    np.testing.assert_array_equal(y.numpy(), [0, 5, 0])
    np.testing.assert_array_equal(x.numpy(), [0, 0, 0])


def test_normalize_index():
    x = autograd.zeros(3, 2)
    idx = _normalize_index((autograd.tensor([0, -1]), slice(None)), x)
    np.testing.assert_array_equal(idx[0], [0, 2])
    assert idx[1] == slice(None)
    assert _normalize_index(-1, x) == (2,)
    assert _normalize_index((Ellipsis, 1), x) == (slice(None), 1)


# ---- index ops -----------------------------------------------------------------------------
def test_gather_scatter_roundtrip_and_errors():
    x = _t([[1.0, 2.0], [3.0, 4.0]])
    idx = autograd.tensor([[0, 0], [1, 0]])
    np.testing.assert_array_equal(x.gather(1, idx).numpy(), [[1, 1], [4, 3]])
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with size 2"):
        x.gather(0, autograd.tensor([[5]]))
    with pytest.raises(RuntimeError, match="Index tensor must have the same number of dimensions"):
        x.gather(0, autograd.tensor([0]))
    with pytest.raises(RuntimeError, match="Expected index"):
        x.scatter(0, autograd.tensor([[0, 1, 0]]), autograd.ones(1, 3))


def test_scatter_with_larger_src_and_reduce_add():
    rng = np.random.default_rng(6)
    x, src = _t(rng.normal(size=(3, 4)), True), _t(rng.normal(size=(4, 5)), True)
    idx = autograd.tensor([[2, 0, 1, 2], [0, 1, 2, 1]])
    out = x.scatter(0, idx, src)
    ref = x.detach().numpy().copy()
    for i in range(2):
        for j in range(4):
            ref[idx.numpy()[i, j], j] = src.detach().numpy()[i, j]
    np.testing.assert_allclose(out.detach().numpy(), ref)
    assert autograd.gradcheck(lambda a, s: a.scatter(0, idx, s), (x, src))
    assert autograd.gradcheck(lambda a, s: a.scatter(0, idx, s, reduce="add"), (x, src))
    assert autograd.gradgradcheck(lambda a, s: a.scatter(0, idx, s, reduce="add") ** 2, (x, src))
    dup = autograd.tensor([[0, 0, 0, 0], [0, 0, 0, 0]])
    out = x.scatter(0, dup, src, reduce="add")
    np.testing.assert_allclose(
        out.detach().numpy()[0], x.detach().numpy()[0] + src.detach().numpy()[:2, :4].sum(0)
    )


def test_scatter_reduce_amax_shares_ties_like_torch():
    torch = pytest.importorskip("torch")
    x = np.array([1.0, 5.0, 0.0])
    src = np.array([5.0, 2.0, 2.0, 7.0])
    idx = np.array([1, 2, 2, 0])
    for reduce in ("amax", "amin", "mean", "sum", "prod"):
        for include_self in (True, False):
            a, s = _t(x, True), _t(src, True)
            ta, ts = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
            out = a.scatter_reduce(0, autograd.tensor(idx), s, reduce, include_self=include_self)
            ref = ta.scatter_reduce(0, torch.tensor(idx), ts, reduce, include_self=include_self)
            np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy())
            out.sum().backward()
            ref.sum().backward()
            np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
            if reduce in ("amax", "amin") and not include_self:
                # torch still counts an excluded self value that ties with the result when
                # sharing the gradient (x[1] == src[0] == 5 here); we share among actual
                # contributors only: the tie at position 2 splits, the rest get it all
                np.testing.assert_allclose(s.grad.numpy(), [1.0, 0.5, 0.5, 1.0])
            else:
                np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())
    with pytest.raises(RuntimeError, match="reduce argument must be"):
        _t(x).scatter_reduce(0, autograd.tensor(idx), _t(src), "median")


def test_index_op_errors():
    x = autograd.zeros(3, 4)
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_select(0, autograd.tensor([3]))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(0, autograd.tensor([[0]]))
    with pytest.raises(
        RuntimeError,
        match=r"Number of indices \(2\) should be equal to "
        r"source.size\(dim\): \(3\)",
    ):
        x.index_add(0, autograd.tensor([0, 1]), autograd.ones(3, 4))
    with pytest.raises(RuntimeError, match="must have the same scalar type"):
        x.index_add(0, autograd.tensor([0]), autograd.ones(1, 4, dtype=autograd.float64))
    with pytest.raises(
        IndexError, match="out of range: tried to access index 12 on a tensor of 12 elements"
    ):
        x.take(autograd.tensor([12]))
    with pytest.raises(IndexError, match="Expected source and index to have the same number"):
        x.put(autograd.tensor([0, 1]), autograd.ones(3))


def test_masked_fill_and_select():
    x = _t([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    v = _t(7.0, requires_grad=True)
    out = x.masked_fill(x < 0, v)
    np.testing.assert_array_equal(out.detach().numpy(), [[1, 7], [7, 4]])
    out.sum().backward()
    assert v.grad.item() == 2.0
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0], [0, 1]])
    with pytest.raises(
        RuntimeError,
        match="masked_fill_ only supports boolean masks, but got mask with dtype float",
    ):
        x.masked_fill(autograd.ones(2, 2), 0.0)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
        x.masked_fill(x > 0, autograd.ones(2))
    with pytest.raises(RuntimeError, match="masked_select: expected BoolTensor for mask"):
        x.masked_select(autograd.ones(2, 2))
    # integer tensors take the value in their own dtype
    i = autograd.tensor([1, 2, 3]).masked_fill(autograd.tensor([True, False, True]), 0)
    assert i.dtype == autograd.int64 and i.tolist() == [0, 2, 0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("layout", ["C", "transposed", "broadcast"])
def test_where_fill_paths_equal_np_where(dtype, layout):
    """Where's forward with a 0-d ``a`` of ``b``'s dtype (masked_fill: b copied, a written
    where cond) and its VJP for ``b`` alone (g copied, zeroed where cond), against the general
    path np.where: the same bytes (-0.0, inf, nan), dtype, shape and memory order; a mask that
    broadcasts, a full one, a transposed one (general path), and one that broadcasts only
    with ``a``."""
    from types import SimpleNamespace

    from autograd.ops.compare import Where

    rng = np.random.default_rng(5)
    b = (rng.normal(size=(3, 4, 5)) * 3).astype(dtype)
    if b.dtype.kind == "f":
        b[0, 0, :3] = [-0.0, np.inf, np.nan]
    if layout == "transposed":
        b = b.transpose(2, 0, 1)
    elif layout == "broadcast":  # (a read-only view with a 0 stride, as a sum's VJP sends)
        b = np.broadcast_to(b[:1], b.shape)
    a = np.array(-np.inf if b.dtype.kind == "f" else -7, dtype)
    conds = [rng.random(b.shape[1:]) < 0.5, rng.random(b.shape) < 0.5]
    conds.append(np.ascontiguousarray(conds[1].transpose(2, 1, 0)).transpose(2, 1, 0))
    for cond in conds:
        ctx = SimpleNamespace(save_for_backward=lambda *v: None)
        out = Where.forward(ctx, cond, a, b)
        ref = np.where(cond, a, b)
        assert out.dtype == ref.dtype and out.shape == ref.shape and out.strides == ref.strides
        assert out.tobytes() == ref.tobytes()
        ctx = SimpleNamespace(saved_tensors=(cond,), needs_input_grad=(False, False, True))
        _, ga, gb = Where.backward(ctx, b, xp.NUMPY)
        ref = np.where(cond, np.zeros_like(b), b)
        assert ga is None and gb.dtype == ref.dtype and gb.shape == ref.shape
        assert gb.strides == ref.strides and gb.tobytes() == ref.tobytes()
    # a mask that only broadcasts to b together with a: the general path's result shape
    wide = rng.random((2,) + b.shape) < 0.5
    ctx = SimpleNamespace(save_for_backward=lambda *v: None)
    assert Where.forward(ctx, wide, a, b).shape == (2,) + b.shape


def test_nonzero():
    x = autograd.tensor([[0.0, 1.0], [2.0, 0.0]])
    assert x.nonzero().tolist() == [[0, 1], [1, 0]]
    assert x.nonzero().dtype == autograd.int64
    rows, cols = x.nonzero(as_tuple=True)
    np.testing.assert_array_equal(x[rows, cols].numpy(), [1.0, 2.0])
    assert autograd.where(x > 0)[0].tolist() == [0, 1]


def test_index_put_accumulate_and_index_fill_repeats():
    x = _t(np.zeros(4), requires_grad=True)
    v = _t([1.0, 2.0, 3.0], requires_grad=True)
    y = autograd.index_put(x, (autograd.tensor([1, 1, 3]),), v, accumulate=True)
    np.testing.assert_array_equal(y.detach().numpy(), [0, 3, 0, 3])
    assert autograd.gradcheck(
        lambda a, b: autograd.index_put(a, (autograd.tensor([1, 1, 3]),), b, accumulate=True),
        (x, v),
    )
    z = _t(np.ones((2, 3)))
    s = _t(4.0, requires_grad=True)
    z.index_fill(1, autograd.tensor([2, 2, 0]), s).sum().backward()
    assert s.grad.item() == 4.0  # two rows x two distinct columns


# ---- xp helpers for other families ---------------------------------------------------------
@pytest.mark.parametrize(
    "name,args",
    [
        ("getitem", ((slice(None), [0, 0, 2]),)),
        ("index_add_zeros", ((slice(None), [1, 1]), (3, 5))),
        ("pad", (((1, 0), (2, 3)),)),
        ("narrow", (1, 1, 2)),
        ("select", (0, -1)),
        ("flip", ((0, 1),)),
        ("roll", ((1, -2), (0, 1))),
        ("tril", (1,)),
        ("triu", (-1,)),
        ("diagonal", (1,)),
        ("gather", (1, np.array([[0, 0], [3, 1], [2, 2]]))),
        ("scatter_add_zeros", (1, np.array([[0, 0], [4, 1], [2, 2]]), (3, 5))),
    ],
)
def test_xp_numpy_and_tensor_namespaces_agree(name, args):
    g = np.random.default_rng(7).normal(
        size=(3, 2) if name in ("index_add_zeros", "scatter_add_zeros") else (3, 4)
    )
    a = getattr(xp.NUMPY, name)(g, *args)
    t = getattr(xp.TENSOR, name)(_t(g, True), *args)
    np.testing.assert_allclose(t.detach().numpy(), a)
    assert t.requires_grad  # recorded, so VJPs using it are differentiable again
    gt = _t(g, True)
    assert autograd.gradcheck(lambda u: getattr(xp.TENSOR, name)(u, *args), (gt,))


def test_xp_cat_agrees():
    a, b = np.ones((2, 3)), np.zeros((1, 3))
    np.testing.assert_array_equal(xp.TENSOR.cat([_t(a), _t(b)], 0).numpy(), xp.NUMPY.cat([a, b], 0))


def test_scatter_reduce_prod_with_zeros_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.array([1.0, 0.0, 2.0, 3.0])
    src = np.array([0.0, 2.0, 0.0, 4.0, 5.0])
    idx = np.array([0, 1, 2, 2, 3])
    for include_self in (True, False):
        a, s = _t(x, True), _t(src, True)
        ta, ts = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
        out = a.scatter_reduce(0, autograd.tensor(idx), s, "prod", include_self=include_self)
        ref = ta.scatter_reduce(0, torch.tensor(idx), ts, "prod", include_self=include_self)
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy())
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
        np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())


def _random_index(rng, shape, torch):
    """A random mix of ints, slices (any step sign), None, ..., index lists and bool masks."""
    items, d = [], 0
    for _ in range(rng.integers(1, 5)):
        kind = rng.choice(["int", "slice", "none", "list", "ellipsis", "mask", "tensor0"])
        if kind == "ellipsis":
            if not any(it is Ellipsis for it in items):
                items.append(Ellipsis)
            continue
        if kind == "none":
            items.append(None)
            continue
        if d >= len(shape):
            continue
        n = shape[d]
        if kind == "int":
            items.append(int(rng.integers(-n, n)))
        elif kind == "tensor0":
            items.append(torch.tensor(int(rng.integers(0, n))))
        elif kind == "slice":
            items.append(
                slice(
                    rng.choice([None, 0, 1, -2]),
                    rng.choice([None, 2, -1, 4]),
                    rng.choice([None, 1, 2]),
                )
            )
        elif kind == "list":
            size = [(2,), (1,), (2, 1), (0,)][rng.integers(0, 4)]
            items.append(torch.tensor(rng.integers(-n, n, size=size)))
        else:
            items.append(torch.tensor(rng.random(n) > 0.5))
        d += 1
    return tuple(items)


def test_random_indices_match_torch_values_grads_and_errors():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    a = rng.normal(size=(3, 4, 5))
    for _ in range(300):
        index = _random_index(rng, a.shape, torch)
        ours_index = tuple(
            autograd.tensor(i.numpy()) if isinstance(i, torch.Tensor) else i for i in index
        )
        t, x = torch.tensor(a, requires_grad=True), _t(a, True)
        try:
            ref = t[index]
        except IndexError:
            with pytest.raises(IndexError):
                x[ours_index]
            continue
        out = x[ours_index]
        assert tuple(out.shape) == tuple(ref.shape), index
        np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
        w = rng.normal(size=tuple(ref.shape))
        (ref * torch.tensor(w)).sum().backward()
        (out * _t(w)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), err_msg=repr(index))


@pytest.mark.parametrize("method", ["index_add", "index_add_", "index_copy", "index_copy_"])
def test_index_add_copy_dtype_mismatch_message_is_torchs(method):
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (autograd, torch):
        x, source = lib.zeros(3, 2), lib.zeros(2, 2, dtype=lib.float64)
        with pytest.raises(RuntimeError) as info:
            getattr(x, method)(0, lib.tensor([0, 1]), source)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# Writes of a source tensor of another dtype: torch refuses them (a float source written into
# an integer tensor would otherwise be truncated without a word). Each case: the call, and
# the message torch 2.13 gives for a Float destination and a Double source.
_MISMATCHED_WRITES = {
    "index_put_": (
        lambda lib, x, s: x.index_put_((lib.tensor([0]),), s),
        "Index put requires the source and destination dtypes match, got Float for the "
        "destination and Double for the source.",
    ),
    "index_put": (
        lambda lib, x, s: x.index_put((lib.tensor([0]),), s, accumulate=True),
        "Index put requires the source and destination dtypes match, got Float for the "
        "destination and Double for the source.",
    ),
    "setitem int index": (
        lambda lib, x, s: x.__setitem__(lib.tensor([0]), s),
        "Index put requires the source and destination dtypes match, got Float for the "
        "destination and Double for the source.",
    ),
    "setitem list index": (
        lambda lib, x, s: x.__setitem__([0], s),
        "Index put requires the source and destination dtypes match, got Float for the "
        "destination and Double for the source.",
    ),
    "scatter_": (
        lambda lib, x, s: x.scatter_(0, lib.tensor([0]), s),
        "scatter(): Expected self.dtype to be equal to src.dtype",
    ),
    "scatter_add": (
        lambda lib, x, s: lib.scatter_add(x, 0, lib.tensor([0]), s),
        "scatter(): Expected self.dtype to be equal to src.dtype",
    ),
    "scatter_reduce_": (
        lambda lib, x, s: x.scatter_reduce_(0, lib.tensor([0]), s, "sum"),
        "scatter(): Expected self.dtype to be equal to src.dtype",
    ),
    "masked_scatter_": (
        lambda lib, x, s: x.masked_scatter_(lib.tensor([True, False, False]), s),
        "masked_scatter: expected self and source to have same dtypes but gotFloat and Double",
    ),
    "put_": (
        lambda lib, x, s: x.put_(lib.tensor([0]), s),
        "put_(): self and source expected to have the same dtype, but got self.dtype = "
        "Float and source.dtype = Double",
    ),
}


@pytest.mark.parametrize("case", sorted(_MISMATCHED_WRITES))
def test_write_of_another_dtype_is_refused_like_torch(case):
    call, message = _MISMATCHED_WRITES[case]
    x = autograd.zeros(3)
    with pytest.raises(RuntimeError) as info:
        call(autograd, x, autograd.ones(1, dtype=autograd.float64))
    assert str(info.value) == message
    assert x.tolist() == [0.0, 0.0, 0.0]  # nothing written
    i = autograd.zeros(3, dtype=autograd.int64)  # the silent truncation this prevents
    with pytest.raises(RuntimeError):
        call(autograd, i, autograd.tensor([1.5]))
    assert i.tolist() == [0, 0, 0]


@pytest.mark.parametrize("case", sorted(_MISMATCHED_WRITES))
def test_write_of_another_dtype_message_matches_torch(case):
    torch = pytest.importorskip("torch")
    call, message = _MISMATCHED_WRITES[case]
    with pytest.raises(RuntimeError) as info:
        call(torch, torch.zeros(3), torch.ones(1, dtype=torch.float64))
    assert str(info.value) == message


def test_setitem_that_torch_casts_still_casts():
    # basic indexing copies with a cast, and a mask with a one-element value is a masked fill
    x = autograd.zeros(3, dtype=autograd.int64)
    x[0] = autograd.tensor(1.7)
    x[1:2] = autograd.tensor([2.7], dtype=autograd.float64)
    x[autograd.tensor(2)] = autograd.tensor(3.7)  # a 0-d integer index is an int
    assert x.tolist() == [1, 2, 3]
    x[autograd.tensor([True, False, True])] = autograd.tensor(5.5)
    assert x.tolist() == [5, 2, 5]
    x[autograd.tensor([0, 1])] = 7.9  # a Python number is cast, as in torch
    assert x.tolist() == [7, 7, 5]


def test_uint8_and_small_integer_index_tensors_like_torch():
    # a uint8 index tensor (or NumPy array) was read as indices; torch reads it as a mask
    # (with a deprecation warning); int8/int16 index tensors were taken, torch refuses them
    torch = pytest.importorskip("torch")
    a = np.arange(12.0).reshape(3, 4)
    for make in (
        lambda lib: lib.tensor([1, 0, 1], dtype=lib.uint8),
        lambda lib: np.array([1, 0, 1], dtype=np.uint8),
        lambda lib: lib.tensor(a > 5).to(lib.uint8),
    ):
        got = []
        for lib in (autograd, torch):
            with pytest.warns(
                UserWarning, match="indexing with dtype torch.uint8 is now deprecated"
            ):
                got.append(lib.tensor(a)[make(lib)].tolist())
        assert got[0] == got[1]
    for lib in (autograd, torch):
        for dt in (lib.int8, lib.int16):
            with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte"):
                lib.tensor(a)[lib.tensor([1, 0], dtype=dt)]
        assert lib.tensor(a)[lib.tensor(1, dtype=lib.int8)].tolist() == a[1].tolist()
        assert lib.tensor(a)[lib.tensor(1, dtype=lib.uint8)].tolist() == [a.tolist()]


def test_a_list_of_sequences_indexes_as_a_tuple_like_torch():
    # x[[[0, 1], [1, 2]]] gave rows 0, 1, 1, 2 (NumPy's array index); torch reads the list as
    # the tuple x[[0, 1], [1, 2]], as for a list holding a slice, None or a tensor
    torch = pytest.importorskip("torch")
    a = np.arange(12.0).reshape(3, 4)
    for index in (
        lambda lib: [[0, 1], [1, 2]],
        lambda lib: [0, slice(1, 3)],
        lambda lib: [lib.tensor([0, 2]), 1],
        lambda lib: [0, None],
        lambda lib: [[0, 1]],
    ):
        got, written = [], []
        for lib in (autograd, torch):
            with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidim"):
                x = lib.tensor(a, requires_grad=True)
                got.append(x[index(lib)].tolist())
                x[index(lib)].sum().backward()
                y = lib.tensor(a)
                y[index(lib)] = -1.0
            written.append((x.grad.tolist(), y.tolist()))
        assert got[0] == got[1] and written[0] == written[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert autograd.tensor(a)[[0, 2]].tolist() == a[[0, 2]].tolist()


def test_basic_index_write_of_a_wrong_shape_gives_torchs_error():
    # y[0] = a tensor of 3 elements in a row of 4 let NumPy's ValueError escape
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (autograd, torch):
        y = lib.zeros(3, 4)
        with pytest.raises(RuntimeError) as e:
            y[0:2] = lib.ones(3)
        messages.append(str(e.value))
        y[0] = lib.ones(1, 1, 4)  # (leading 1s are dropped)
        assert y.sum().item() == 4.0
    assert messages[0] == messages[1]
