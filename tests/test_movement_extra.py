"""Shape/movement and join ops beyond the registry samples.

cat/stack/hstack/vstack/dstack/column_stack take a *list* of tensors, which the registry
harness cannot build from a Sample, so they get the same battery here: NumPy reference,
gradcheck, gradgradcheck, float32 dtypes and PyTorch parity. Then error messages (PyTorch's
wording), dtype promotion, split/chunk/unbind graph structure and edge cases.
"""

import numpy as np
import pytest

import autograd
from torch_compare import assert_values_and_grads


def _t(a, requires_grad=False, dtype=np.float64):
    return autograd.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad)


JOIN_CASES = [
    ("cat", [(2, 3), (1, 3)], {}, lambda arrs: np.concatenate(arrs)),
    ("cat", [(2, 3), (2, 1), (2, 2)], {"dim": 1}, lambda arrs: np.concatenate(arrs, 1)),
    ("cat", [(2,), (0,), (3,)], {"dim": -1}, lambda arrs: np.concatenate(arrs)),
    ("concat", [(2, 2), (1, 2)], {}, lambda arrs: np.concatenate(arrs)),
    ("stack", [(2, 3), (2, 3)], {}, lambda arrs: np.stack(arrs)),
    ("stack", [(2, 3), (2, 3), (2, 3)], {"dim": -1}, lambda arrs: np.stack(arrs, -1)),
    ("hstack", [(2,), (3,)], {}, np.hstack),
    ("hstack", [(2, 1), (2, 3)], {}, np.hstack),
    ("vstack", [(3,), (3,)], {}, np.vstack),
    ("vstack", [(1, 3), (2, 3)], {}, np.vstack),
    ("dstack", [(2, 3), (2, 3)], {}, np.dstack),
    ("column_stack", [(3,), (3, 2)], {}, np.column_stack),
]


@pytest.mark.parametrize(
    "name,shapes,kw,ref", JOIN_CASES, ids=[f"{c[0]}-{k}" for k, c in enumerate(JOIN_CASES)]
)
def test_join_ops(name, shapes, kw, ref):
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=s) for s in shapes]
    fn = getattr(autograd, name)
    for dtype in (np.float64, np.float32):
        out = fn([_t(a, dtype=dtype) for a in arrays], **kw)
        expected = ref([a.astype(dtype) for a in arrays])
        assert out._data.dtype == dtype
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    ts = tuple(_t(a, True) for a in arrays)
    assert autograd.gradcheck(lambda *xs: fn(list(xs), **kw), ts)
    assert autograd.gradgradcheck(lambda *xs: fn(list(xs), **kw) ** 2, ts)


@pytest.mark.parametrize(
    "name,shapes,kw,ref", JOIN_CASES, ids=[f"{c[0]}-{k}" for k, c in enumerate(JOIN_CASES)]
)
def test_join_ops_match_torch(name, shapes, kw, ref):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=s) for s in shapes]
    ours = [_t(a, True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    o = getattr(autograd, name)(ours, **kw)
    t = getattr(torch, name)(theirs, **kw)
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy())
    w = rng.normal(size=tuple(t.shape))
    (o * _t(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())


@pytest.mark.parametrize("shape", [(), (3,), (2, 0), (4, 5)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64, np.bool_])
def test_stack_along_dim_0_equals_np_stack(shape, dtype):
    """Stack's forward along dim 0 (np.array of the pieces, as in a get_batch) against the
    general path np.stack: the same bytes, dtype and shape, a new C-contiguous array owning
    its memory; pieces that are views (rows, an F-ordered transpose, 0-d elements)."""
    from types import SimpleNamespace

    from autograd.ops.join import Stack

    rng = np.random.default_rng(1)
    base = (rng.normal(size=(3,) + shape) * 4).astype(dtype)
    if base.dtype.kind == "f" and base.size:
        base.reshape(-1)[:1] = -0.0
    views = [base[k] for k in range(3)]
    if len(shape) == 2:
        views[1] = np.ascontiguousarray(base[1].T).T
    for pieces in (views, views[:1]):
        out = Stack.forward(SimpleNamespace(), *pieces, dim=0)
        ref = np.stack(pieces, axis=0)
        assert out.dtype == ref.dtype and out.shape == ref.shape
        assert out.tobytes() == ref.tobytes()
        assert out.flags.c_contiguous and out.flags.owndata
        assert not any(np.shares_memory(out, p) for p in pieces)


def test_cat_promotes_dtypes_and_grads_keep_input_dtype():
    a = autograd.ones(2, dtype=autograd.float32, requires_grad=True)
    b = autograd.ones(1, dtype=autograd.float64, requires_grad=True)
    c = autograd.tensor([7])
    out = autograd.cat([a, b, c])
    assert out.dtype == autograd.float64
    assert out.tolist() == [1.0, 1.0, 1.0, 7.0]
    out.sum().backward()
    assert a.grad.dtype == autograd.float32 and b.grad.dtype == autograd.float64
    assert autograd.cat([autograd.tensor([1]), autograd.tensor([True])]).dtype == autograd.int64


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (
            lambda: autograd.cat([autograd.zeros(2, 3), autograd.zeros(2, 4)]),
            RuntimeError,
            "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for "
            "tensor number 1 in the list.",
        ),
        (
            lambda: autograd.cat([autograd.zeros(3, 3), autograd.zeros(4, 4)], 1),
            RuntimeError,
            "Sizes of tensors must match except in dimension 1. Expected size 3 but got size 4 for "
            "tensor number 1 in the list.",
        ),
        (
            lambda: autograd.cat([autograd.zeros(2, 3), autograd.zeros(3)]),
            RuntimeError,
            "Tensors must have same number of dimensions: got 2 and 1",
        ),
        (lambda: autograd.cat([]), ValueError, "expected a non-empty list of Tensors"),
        (lambda: autograd.cat([autograd.zeros(2)], 1), IndexError, "Dimension out of range"),
        (
            lambda: autograd.stack([autograd.zeros(3, 4), autograd.zeros(4, 3)]),
            RuntimeError,
            "stack expects each tensor to be equal size, but got [3, 4] at entry 0 and [4, 3] at "
            "entry 1",
        ),
        (
            lambda: autograd.zeros(3).split(0),
            RuntimeError,
            "split_size can only be 0 if dimension size is 0, but got dimension size of 3",
        ),
        (lambda: autograd.zeros(3).split([1, 1]), RuntimeError, "split_with_sizes expects"),
        (
            lambda: autograd.zeros(3).chunk(0),
            RuntimeError,
            "chunk expects `chunks` to be greater than 0, got: 0",
        ),
        (
            lambda: autograd.zeros(3, 4).select(0, 5),
            IndexError,
            "select(): index 5 out of range for tensor of size [3, 4] at dimension 0",
        ),
        (
            lambda: autograd.zeros(3, 4).narrow(0, 2, 3),
            RuntimeError,
            "start (2) + length (3) exceeds dimension size (3).",
        ),
        (
            lambda: autograd.zeros(3, 4).diagonal(0, 0, 0),
            RuntimeError,
            "diagonal dimensions cannot be identical 0, 0",
        ),
        (
            lambda: autograd.zeros(3, 4).repeat(2),
            RuntimeError,
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor",
        ),
        (
            lambda: autograd.zeros(3, 4).unflatten(1, (3, 2)),
            RuntimeError,
            "unflatten: Provided sizes [3, 2] don't multiply up to the size of dim 1 (4) in the input "
            "tensor",
        ),
        (
            lambda: autograd.zeros(3, 4).flatten(1, 0),
            RuntimeError,
            "flatten() has invalid args: start_dim cannot come after end_dim",
        ),
        (
            lambda: autograd.zeros(3, 4).roll((1, 2), (0,)),
            RuntimeError,
            "shifts and dimensions must align. shifts: 2, dims:1",
        ),
        (
            lambda: autograd.zeros(3, 4).movedim((0, 1), (1,)),
            RuntimeError,
            "movedim: Invalid source or destination dims",
        ),
        (lambda: autograd.zeros(3).tril(), RuntimeError, "tril: input tensor must have at least 2"),
        (lambda: autograd.zeros(2, 2, 2).diag(), RuntimeError, "diag(): Supports 1D or 2D tensors"),
    ],
)
def test_errors(call, exc, message):
    with pytest.raises(exc) as e:
        call()
    assert message in str(e.value)


def test_split_chunk_unbind_pieces_are_single_output_nodes():
    x = _t(np.arange(10.0).reshape(5, 2), True)
    pieces = x.split([2, 3])
    assert [tuple(p.shape) for p in pieces] == [(2, 2), (3, 2)]
    assert all(
        p.grad_fn is not None and p.grad_fn is not pieces[0].grad_fn or p is pieces[0]
        for p in pieces
    )
    (pieces[1] * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0]] * 2 + [[3, 3]] * 3)
    assert [p.shape[0] for p in autograd.zeros(5).chunk(3)] == [2, 2, 1]
    assert [p.shape[0] for p in autograd.zeros(6).chunk(4)] == [2, 2, 2]  # fewer chunks
    rows = list(_t([[1.0, 2.0], [3.0, 4.0]]))  # Tensor.__iter__ uses unbind
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    a, b = _t([[1.0, 2.0], [3.0, 4.0]]).unbind(1)
    assert a.tolist() == [1.0, 3.0] and b.tolist() == [2.0, 4.0]


def test_split_chunk_match_torch():
    torch = pytest.importorskip("torch")
    for n in (0, 1, 5, 6, 7):
        for chunks in (1, 2, 3, 4):
            ours = [tuple(p.shape) for p in autograd.zeros(n, 2).chunk(chunks)]
            theirs = [tuple(p.shape) for p in torch.zeros(n, 2).chunk(chunks)]
            assert ours == theirs, (n, chunks)
        for size in (1, 2, 3, 8):
            ours = [tuple(p.shape) for p in autograd.zeros(n, 2).split(size)]
            theirs = [tuple(p.shape) for p in torch.zeros(n, 2).split(size)]
            assert ours == theirs, (n, size)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: x.repeat(2, 1, 3),
        lambda m, x: x.repeat(1, 1),
        lambda m, x: x.tile((2,)),
        lambda m, x: m.roll(x, 3),
        lambda m, x: m.roll(x, (1, -1), (0, 1)),
        lambda m, x: x.flip(0, 1),
        lambda m, x: m.fliplr(x),
        lambda m, x: m.flipud(x),
        lambda m, x: x.movedim(0, 1),
        lambda m, x: x.flatten(),
        lambda m, x: x.unflatten(1, (2, -1)),
        lambda m, x: x.diagonal(-1),
        lambda m, x: x.triu(1),
        lambda m, x: x.tril(-1),
        lambda m, x: x.narrow(1, 1, 2),
        lambda m, x: x.select(1, -1),
        lambda m, x: m.diag(x[0], 1),
        lambda m, x: x.expand_as(m.zeros(2, 3, 4)),
        lambda m, x: m.meshgrid(x[0], x[1, :2], indexing="xy")[0],
    ],
)
def test_movement_matches_torch_with_grads(call):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).normal(size=(3, 4))
    x, t = _t(a, True), torch.tensor(a, requires_grad=True)
    assert_values_and_grads(torch, call(autograd, x), call(torch, t), x, t)
    assert autograd.gradgradcheck(lambda u: call(autograd, u) ** 2, (_t(a, True),))


def test_grad_fn_names_follow_torch():
    x = autograd.randn(3, 4, requires_grad=True)
    assert x.select(0, 1).grad_fn.name() == "SelectBackward0"
    assert x.narrow(0, 1, 1).grad_fn.name() == "SliceBackward0"
    assert x.diagonal().grad_fn.name() == "DiagonalBackward0"
    assert x.gather(0, autograd.tensor([[0]])).grad_fn.name() == "GatherBackward0"
    assert autograd.cat([x, x]).grad_fn.name() == "CatBackward0"
    assert x.flip(0).grad_fn.name() == "FlipBackward0"


def test_select_and_narrow_are_views_sharing_the_version_counter():
    x = autograd.zeros(3, 4)
    x.narrow(1, 1, 2).fill_(1.0)
    x.select(0, 2).fill_(2.0)
    np.testing.assert_array_equal(x.numpy(), [[0, 1, 1, 0], [0, 1, 1, 0], [2, 2, 2, 2]])
    assert x._version == 2
    a = autograd.randn(3, 4, requires_grad=True)
    h = a * 1
    piece = h.split(2)[0]
    y = piece.exp() * piece  # saves piece
    h[2] = 0.0  # the base changes: torch refuses the backward too
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize(
    "gshape,shape",
    [((32, 200), (200,)), ((4, 5, 6), (6,)), ((4, 5, 6), (5, 6)), ((3, 0, 2), (2,)), ((7, 3), ())],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_sum_to_shape_over_leading_axes_equals_the_keepdims_path(gshape, shape, dtype):
    """The leading-axes fast path of ``_sum_to_shape`` (a bias's gradient) gives bit for bit
    what the general path (sum with keepdims, then reshape) gives."""
    from autograd.ops.movement import _sum_to_shape

    g = np.random.default_rng(0).standard_normal(gshape).astype(dtype)
    lead = len(gshape) - len(shape)
    ref = g.sum(axis=tuple(range(lead)), keepdims=True).reshape(shape)
    out = _sum_to_shape(g, shape)
    assert type(out) is np.ndarray and out.shape == shape and out.dtype == g.dtype
    np.testing.assert_array_equal(out, ref)


def test_transpose_and_pow_grad_fn_names_and_views_like_torch():
    # transpose()/mT/H were PermuteBackward0, x ** tensor and 2 ** x PowBackward0;
    # transpose(d, d) returned the input itself (a leaf), not a view; x.H of a 3-D tensor
    # reversed its dims instead of raising, x.mT of a vector named no reason. (t() stays
    # transpose(0, 1)'s twin, as test_small_model_fast_paths pins: torch names it TBackward0.)
    torch = pytest.importorskip("torch")
    calls = {
        "transpose": lambda lib, x, v: x.transpose(0, 1),
        "transpose(d, d)": lambda lib, x, v: x.transpose(1, 1),
        "swapaxes": lambda lib, x, v: x.swapaxes(0, 1),
        "H": lambda lib, x, v: x.H,
        "mT": lambda lib, x, v: x.mT,
        "mH": lambda lib, x, v: x.mH,
        "T": lambda lib, x, v: x.T,
        "permute": lambda lib, x, v: x.permute(1, 0),
        "x ** 2": lambda lib, x, v: x**2,
        "x ** x": lambda lib, x, v: x**x,
        "2 ** x": lambda lib, x, v: 2**x,
        "pow(2.0, x)": lambda lib, x, v: lib.pow(2.0, x),
        "x ** 0-d tensor": lambda lib, x, v: x ** lib.tensor(2.0),
        "pow_(x)": lambda lib, x, v: (x * 1).pow_(x),
        "float_power(2, x)": lambda lib, x, v: lib.float_power(2, x),
    }
    for name, call in calls.items():
        got = []
        for lib in (autograd, torch):
            x, v = lib.ones(3, 4, requires_grad=True), lib.ones(3, requires_grad=True)
            out = call(lib, x, v)
            got.append(
                (type(out.grad_fn).__name__ if lib is torch else out.grad_fn.name(), out.is_leaf)
            )
        assert got[0] == got[1], name
    for lib in (autograd, torch):
        with pytest.raises(RuntimeError) as e:
            lib.ones(2, 3, 4).H
        assert str(e.value) == (
            "tensor.H is only supported on matrices (2-D tensors). Got 3-D tensor. "
            "For batches of matrices, consider using tensor.mH"
        )
        with pytest.raises(RuntimeError) as e:
            lib.ones(3).mT
        assert str(e.value) == (
            "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."
        )
    v = autograd.ones(3, requires_grad=True)
    (v.t() * autograd.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.tolist() == [1.0, 2.0, 3.0]
