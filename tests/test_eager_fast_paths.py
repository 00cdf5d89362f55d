"""The eager fast paths (issue 17) give what the general paths give.

Each fast path sits next to a general path that handles every case; these tests run both on
the same inputs (the general one reached by an input the fast path does not take, or
called directly) and compare values, dtypes, shapes, ``grad_fn`` names, ``requires_grad``,
view bookkeeping and errors, then compare with PyTorch where it is installed.
"""

import re
import warnings

import numpy as np
import pytest

import autograd
from autograd.ops import _util
from autograd.ops.indexing import _normalize_index
from autograd.ops.join import unbind
from autograd.ops.slicing import select

INT_AND_FLOAT = [np.int64, np.int32, np.int16, np.int8, np.uint8, np.float32, np.float64]


def _same_tensor(a, b):
    assert type(a) is type(b)
    assert a._data.dtype == b._data.dtype and a._data.shape == b._data.shape
    np.testing.assert_array_equal(a._data, b._data)
    assert a.requires_grad == b.requires_grad
    assert (a.grad_fn is None) == (b.grad_fn is None)
    if a.grad_fn is not None:
        assert a.grad_fn.name() == b.grad_fn.name()


# ---- binary operands: tensor (op) Python number ------------------------------------------
@pytest.mark.parametrize("dtype", INT_AND_FLOAT + [np.bool_])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("number", [0, 7, -3, 2.5, 300, 2**40])
def test_binary_operands_number_fast_path_matches_general(dtype, shape, number):
    a = autograd.tensor((np.arange(int(np.prod(shape))) % 3).astype(dtype).reshape(shape))
    try:
        general = _util.operands(a, number)[0]
    except OverflowError as e:
        with pytest.raises(OverflowError, match=str(e)):
            _util.binary_operands(a, number)
        return
    fast = _util.binary_operands(a, number)
    assert len(fast) == len(general) == 2
    _same_tensor(fast[0], general[0])
    _same_tensor(fast[1], general[1])


@pytest.mark.parametrize("dtype", INT_AND_FLOAT)
def test_tensor_plus_number_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    arr = np.array([1, 2, 3], dtype=dtype)
    for number in (5, -1, 2.5):
        for op in ("__add__", "__sub__", "__mul__", "__radd__", "__rsub__"):
            if arr.dtype == np.uint8 and number == -1:
                continue  # (torch wraps a negative int into uint8; we refuse it like NumPy)
            ours = getattr(autograd.tensor(arr), op)(number)
            theirs = getattr(torch.tensor(arr), op)(number)
            assert str(ours.dtype) == str(theirs.dtype).replace("torch", "autograd"), op
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    i = autograd.tensor(np.array(4, dtype=dtype))  # a 0-d tensor, as iterating gives
    assert (i + 8).dtype == i.dtype and (i + 8).item() == 12


def test_shared_int_operands_stay_constant():
    """An int operand's 0-d array is shared between calls (read-only); results are fresh,
    writable tensors, and a zero float operand is never shared (-0.0 == 0.0 as a key)."""
    for dtype in (np.int64, np.float32):
        x = autograd.tensor(np.array([1, 2], dtype=dtype))
        first = _util.binary_operands(x, 3)[1]
        again = _util.binary_operands(x, 3)[1]
        assert first._data is again._data and not first._data.flags.writeable
        y = x + 3
        y.add_(1)  # a result is the caller's to write into
        np.testing.assert_array_equal(y.numpy(), [5, 6])
        assert (x + 3).tolist() == [4, 5]
    z = autograd.tensor([1.0]) * 0.0
    assert np.signbit((autograd.tensor([1.0]) * -0.0).numpy()[0]) and not np.signbit(z.numpy()[0])
    w = autograd.tensor([1.5, 2.0], requires_grad=True)
    (w * 3).sum().backward()  # a recorded op keeps the shared operand's value
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


# ---- slices with 0-d tensor bounds ---------------------------------------------------------
BOUNDS = [None, 0, 2, -2, 5, 9, -9, 40]


@pytest.mark.parametrize("shape", [(6,), (6, 2)])
def test_slice_fast_path_matches_general(shape):
    x = autograd.zeros(*shape)
    for start in BOUNDS:
        for stop in BOUNDS:
            general = _normalize_index((slice(start, stop),), x)  # (a tuple: general path)
            for wrap in (lambda b: b, lambda b: b if b is None else autograd.tensor(b)):
                fast = _normalize_index(slice(wrap(start), wrap(stop)), x)
                assert fast == general and all(type(v) is int for v in (fast[0].start,) if v)
    # bounds the fast path leaves to the general one: same results and errors as before
    for index in (slice(1, 4, 2), slice(autograd.tensor([1]), 3), slice(np.int64(1), 3)):
        assert _normalize_index(index, x) == _normalize_index((index,), x)
    with pytest.raises(IndexError, match="too many indices"):
        _normalize_index(slice(0, 1), autograd.tensor(1.0))
    with pytest.raises(TypeError, match="only integer tensors"):
        _normalize_index(slice(autograd.tensor(1.0), 3), x)
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        _normalize_index(slice(0, 3, 0), x)


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_getitem_slice_fast_path_matches_general(dtype, grad_mode):
    """``x[a:b]`` (fast path) against ``x[(a:b,)]`` (a tuple: the general path): the same
    view of the same base, with the same replay steps, version counter and view list."""
    with autograd.set_grad_enabled(grad_mode):
        for base_shape, view in [((6,), False), ((6, 2), False), ((8, 2), True)]:
            root = autograd.tensor(np.arange(np.prod(base_shape)).astype(dtype).reshape(base_shape))
            x = root[2:] if view else root
            for start in BOUNDS:
                for stop in BOUNDS:
                    for wrap in (lambda b: b, lambda b: b if b is None else autograd.tensor(b)):
                        index = slice(wrap(start), wrap(stop))
                        fast, general = x[index], x[(index,)]
                        _same_tensor(fast, general)
                        assert fast._view == general._view and fast._view[0] is root
                        assert fast._version_cell is root._version_cell
                        listed = [r() for r in root._views or ()]
                        assert any(v is fast for v in listed) == any(v is general for v in listed)
                        assert np.shares_memory(fast._data, root._data) or fast.numel() == 0
    # what the fast path leaves to the general one: the same results and errors as before
    x = autograd.arange(6)
    for index in (slice(1, 4, 2), slice(autograd.tensor([1]), 3), slice(np.int64(1), 3)):
        _same_tensor(x[index], x[(index,)])
    with pytest.raises(IndexError, match="too many indices"):
        autograd.tensor(1.0)[0:1]
    with pytest.raises(TypeError, match="only integer tensors"):
        x[autograd.tensor(1.0) : 3]
    w = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)  # recorded: the general path
    _same_tensor(w[autograd.tensor(1) :], w[(slice(1, None),)])
    assert w[autograd.tensor(1) :].grad_fn is not None


@pytest.mark.parametrize("dtype", INT_AND_FLOAT + [np.bool_])
@pytest.mark.parametrize("shape", [(), (1,)])
def test_slice_bound_tensors_match_general(dtype, shape):
    """A slice bound tensor is read as an int only when it is 0-d and of an integer dtype
    (not bool, as in torch); otherwise ``_slice_bound`` leaves it to the general path."""
    from autograd.ops.indexing import _NOT_SIMPLE, _slice_bound

    b = autograd.tensor(np.full(shape, 2, dtype))
    x = autograd.arange(6)
    simple = not shape and np.dtype(dtype).kind in "iu"
    got = _slice_bound(b)
    assert (got == 2 and type(got) is int) if simple else got is _NOT_SIMPLE
    try:
        general = x[(slice(b, 5),)].tolist()  # (a tuple: the general path)
    except (TypeError, IndexError) as e:
        assert not simple
        with pytest.raises(type(e), match=str(e)):
            x[b:5]
        return
    assert x[b:5].tolist() == general  # (a bool bound is 0 or 1, as in torch)
    # both bounds tensors (the loader's ``data[i : i + n]``), either one of this kind
    five = autograd.tensor(5)
    for index in (slice(b, five), slice(five, b), slice(b, b)):
        try:
            general = x[(index,)].tolist()
        except (TypeError, IndexError) as e:
            with pytest.raises(type(e), match=str(e)):
                x[index]
            continue
        assert x[index].tolist() == general
    assert _slice_bound(None) is None and _slice_bound(-3) == -3
    assert _slice_bound(np.int64(1)) is _NOT_SIMPLE and _slice_bound(1.0) is _NOT_SIMPLE


def test_getitem_slice_fast_path_is_taken(monkeypatch):
    """(so that the comparison above compares two paths) a loader's ``data[i : i + n]``
    does not reach the index normalisation"""
    from autograd.ops import indexing

    def refuse(*args):
        raise AssertionError("general path")

    data = autograd.arange(10)
    i = list(autograd.tensor([3]))[0]
    monkeypatch.setattr(indexing, "_index_for", refuse)
    assert data[i : i + 4].tolist() == [3, 4, 5, 6] and data[:2].tolist() == [0, 1]
    with pytest.raises(AssertionError, match="general path"):
        data[i : i + 4 : 2]


def test_slicing_with_index_tensors_matches_torch():
    torch = pytest.importorskip("torch")
    data = np.arange(50)
    ix = [3, 0, 41, 17]
    ours = autograd.stack([autograd.tensor(data)[i : i + 8] for i in autograd.tensor(ix)])
    theirs = torch.stack([torch.tensor(data)[i : i + 8] for i in torch.tensor(ix)])
    assert ours.dtype == autograd.int64 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---- unbind / iteration --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.int64])  # (int64: ``for i in index``)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_fast_path_matches_select(dim, dtype):
    base = autograd.tensor(np.arange(12).reshape(3, 4).astype(dtype))
    pieces = unbind(base, dim)  # nothing requires grad: the fast path
    for i, p in enumerate(pieces):
        ref = select(base, dim, i)
        _same_tensor(p, ref)
        assert p._version_cell is base._version_cell is ref._version_cell
        assert p._view[0] is base and p._view[1:] == ref._view[1:]
        assert p._data.base is ref._data.base
    base.add_(1)  # the pieces are views, as select's are
    assert pieces[0]._version == base._version == 1
    assert pieces[0][0].item() == 1.0


def test_iterating_index_tensors_of_many_lengths_matches_select():
    """``for i in ix`` of 1-D tensors of several lengths (the pieces' keys are made once
    per length) and of one longer than the lengths kept: the same pieces as select's."""
    for n in [0, 1, 3, 32, 3, 1, 5000]:
        base = autograd.tensor(np.arange(n) * 7)
        pieces = list(base)
        assert len(pieces) == n
        for i in [0, n // 2, n - 1] if n else []:
            ref = select(base, 0, i)
            _same_tensor(pieces[i], ref)
            assert pieces[i]._view[1:] == ref._view[1:] and pieces[i]._view[0] is base


@pytest.mark.parametrize("grad_mode", [True, False])
def test_unbind_of_a_view_matches_select(grad_mode):
    """Pieces of a view: the bookkeeping shared by all pieces (base, earlier steps, grad
    mode, the base's list of views) is worked out once, and must be what select records."""
    base = autograd.zeros(4, 3)
    fast_views, ref_views = [], []
    with autograd.set_grad_enabled(grad_mode):
        view = base[1:]
        before = len(base._views or ())
        pieces = unbind(view, 1)
        fast_views = len(base._views or ()) - before
        refs = tuple(select(view, 1, i) for i in range(3))
        ref_views = len(base._views or ()) - before - fast_views
    assert fast_views == ref_views == (3 if grad_mode else 0)
    for p, ref in zip(pieces, refs):
        _same_tensor(p, ref)
        assert p._version_cell is base._version_cell
        assert p._view[0] is base and p._view[1:] == ref._view[1:]


def test_unbind_of_tracked_tensor_takes_general_path():
    x = autograd.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert [r.grad_fn.name() for r in rows] == ["SelectBackward0"] * 3
    sum(r.sum() * k for k, r in enumerate(rows)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [1, 1], [2, 2]])


def test_iterating_then_writing_through_a_piece_rebases_history():
    """The fast path's pieces are registered with their base like select's, so an in-place
    write through one that brings in a gradient still reaches the base's other views."""
    w = autograd.tensor([2.0, 3.0], requires_grad=True)
    results = []
    for fast in (True, False):
        base = autograd.zeros(3, 2)
        pieces = unbind(base, 0) if fast else tuple(select(base, 0, i) for i in range(3))
        pieces[1].copy_(w)
        view = base[1]
        results.append((base.grad_fn.name(), view.grad_fn.name(), pieces[1].grad_fn.name()))
        view.sum().backward()
    assert results[0] == results[1]
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0])


def test_iteration_matches_torch():
    torch = pytest.importorskip("torch")
    ours = list(autograd.tensor([[1, 2], [3, 4]]))
    theirs = list(torch.tensor([[1, 2], [3, 4]]))
    assert [p.tolist() for p in ours] == [p.tolist() for p in theirs]
    assert [p.dtype for p in ours] == [autograd.int64] * 2
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(autograd.tensor(1))


# ---- stack: one node -------------------------------------------------------------------------
def test_stack_is_one_node_and_matches_cat_of_unsqueezed():
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(2, 3)) for _ in range(3)]
    for dim in (0, 1, 2, -1):
        xs = [autograd.tensor(a, requires_grad=True) for a in arrays]
        out = autograd.stack(xs, dim)
        assert out.grad_fn.name() == "StackBackward0"  # torch's name
        assert all(e[0].name() == "AccumulateGrad" for e in out.grad_fn.next_edges)
        ys = [autograd.tensor(a, requires_grad=True) for a in arrays]
        ref = autograd.cat([y.unsqueeze(dim) for y in ys], dim)
        np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
        g = autograd.tensor(rng.normal(size=tuple(out.shape)))
        out.backward(g)
        ref.backward(g)
        for x, y in zip(xs, ys):
            np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy())
    # no input needs grad: no node; one that does: only its edge is kept
    plain = autograd.stack([autograd.zeros(2), autograd.ones(2)])
    assert plain.grad_fn is None and not plain.requires_grad
    mixed = autograd.stack([autograd.zeros(2), autograd.ones(2, requires_grad=True)])
    assert mixed.grad_fn.needs_input_grad == (False, True)


def test_stack_promotes_dtypes_and_keeps_errors():
    torch = pytest.importorskip("torch")
    for a, b in [(np.int64, np.float32), (np.bool_, np.int32), (np.float32, np.float64)]:
        for shape in ((), (2,)):
            pair = (np.zeros(shape, a), np.ones(shape, b))
            ours = autograd.stack([autograd.tensor(p) for p in pair])
            theirs = torch.stack([torch.tensor(p) for p in pair])
            assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
            assert tuple(ours.shape) == tuple(theirs.shape)
    with pytest.raises(ValueError, match="expected a non-empty list"):
        autograd.stack([])
    with pytest.raises(RuntimeError, match=r"at entry 0 and \[4, 3\] at entry 1"):
        autograd.stack([autograd.zeros(3, 4), autograd.zeros(4, 3)])


@pytest.mark.parametrize("dtype", [np.int64, np.float32, np.bool_])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_stack_fast_path_matches_op_apply(dtype, dim):
    from autograd.ops.join import Stack

    xs = [autograd.tensor((np.arange(6).reshape(2, 3) + k).astype(dtype)) for k in range(4)]
    fast = autograd.stack(xs, dim)  # nothing requires grad: the fast path
    general = Stack.apply(*xs, dim=dim % 3)
    _same_tensor(fast, general)
    assert fast._view is None and fast._version_cell is not xs[0]._version_cell
    fast.zero_()  # a new array, not sharing the inputs'
    assert xs[0].tolist() == np.arange(6).reshape(2, 3).astype(dtype).tolist()


def test_stack_plain_fast_path_is_taken_only_when_it_may_be(monkeypatch):
    """(so that the comparisons here compare two paths) rows of one dtype and shape that
    need no gradient skip Op.apply; promotion, unequal shapes, non-tensors and inputs that
    need grad are left to the general path (``_stack_plain`` returns None)."""
    from autograd.ops.join import _stack_plain

    rows = [autograd.arange(3) + k for k in range(5)]
    for dim in (0, 1, -1):
        out = _stack_plain(rows, dim)
        _same_tensor(out, autograd.ops.join.Stack.apply(*rows, dim=dim % 2))
        assert _stack_plain(tuple(rows), dim).tolist() == out.tolist()
    assert _stack_plain([autograd.zeros(2), autograd.zeros(2, dtype=autograd.int32)], 0) is None
    assert _stack_plain([autograd.zeros(2), autograd.zeros(3)], 0) is None
    assert _stack_plain([autograd.zeros(2), autograd.zeros(2, 1)], 0) is None
    assert _stack_plain([autograd.zeros(2), np.zeros(2)], 0) is None
    assert _stack_plain([autograd.zeros(2), autograd.zeros(2, requires_grad=True)], 0) is None
    assert _stack_plain([], 0) is None
    monkeypatch.setattr(autograd.function, "_LOW_PRECISION", False)  # (as if no bfloat16 yet)
    monkeypatch.setattr(autograd.ops.join.Stack, "apply", None)
    assert autograd.stack(rows).shape == (5, 3)  # (Stack.apply is not called)


@pytest.mark.parametrize("needs_grad", [False, True])
def test_stack_errors_match_torch_on_both_paths(needs_grad):
    """The errors are torch's whichever path runs: the dim is checked before the shapes."""
    torch = pytest.importorskip("torch")
    cases = [
        ([(3, 4), (4, 3)], 0),
        ([(3, 4), (4, 3)], 5),  # both wrong: torch names the dim
        ([(3,), (3,)], 2),
        ([(3,), (3,)], -3),
        ([(2,), (2, 1)], 0),
        ([(), ()], 1),
    ]
    for shapes, dim in cases:
        errors = []
        for lib in (autograd, torch):
            xs = [lib.zeros(s) for s in shapes]
            if needs_grad:
                xs[0].requires_grad_(True)
            with pytest.raises((RuntimeError, IndexError)) as info:
                lib.stack(xs, dim)
            errors.append((info.type, str(info.value)))
        ours, theirs = errors
        assert issubclass(ours[0], theirs[0]) and ours[1] == theirs[1], (shapes, dim)
    with pytest.raises(IndexError, match="Dimension out of range"):  # (and with a promotion)
        autograd.stack([autograd.zeros(2), autograd.zeros(3, dtype=autograd.int32)], 3)


def test_stack_double_backward_and_forward_mode():
    x = autograd.tensor([1.0, 2.0], requires_grad=True, dtype=autograd.float64)
    y = autograd.tensor([3.0, 4.0], requires_grad=True, dtype=autograd.float64)
    assert autograd.gradgradcheck(lambda a, b: autograd.stack([a, b], 1) ** 2, (x, y))
    import autograd.forward_ad as fwAD

    with fwAD.dual_level():
        dx = fwAD.make_dual(x.detach(), autograd.tensor([1.0, 0.0], dtype=autograd.float64))
        out = autograd.stack([dx, y.detach()])
        tangent = fwAD.unpack_dual(out).tangent
    np.testing.assert_array_equal(tangent.numpy(), [[1.0, 0.0], [0.0, 0.0]])


# ---- getitem on a tensor that needs no gradient ---------------------------------------------
INDICES = [
    3,
    -1,
    slice(1, 4),
    (slice(None), 1),
    (Ellipsis, None),
    [0, 2, 2],
    (np.array([0, 1]), slice(None)),
    np.array([True, False, True, False, True]),
]


@pytest.mark.parametrize("index", INDICES, ids=[str(k) for k in range(len(INDICES))])
def test_getitem_fast_path_matches_general(index):
    """A base that needs no gradient takes the fast path, one that does the general; the
    results differ only in what the gradient requires."""
    arr = np.arange(15.0).reshape(5, 3)
    plain = autograd.tensor(arr)
    tracked = autograd.tensor(arr, requires_grad=True)
    fast, general = plain[index], tracked[index]
    assert fast._data.dtype == general._data.dtype and fast.shape == general.shape
    np.testing.assert_array_equal(fast._data, general._data)
    assert fast.grad_fn is None and not fast.requires_grad
    assert (fast._view is None) == (general._view is None)  # a view exactly when it is one
    if fast._view is not None:
        assert fast._version_cell is plain._version_cell
        assert fast._view[0] is plain and fast._view[1] == general._view[1]
        assert np.shares_memory(fast._data, plain._data)
    with autograd.no_grad():  # no gradient anywhere: the general path records nothing either
        _same_tensor(tracked[index], fast)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
@pytest.mark.parametrize(
    "shapes", [((4, 3), (3,)), ((3,), (4, 3)), ((2, 1, 3), (4, 1)), ((), (2, 2)), ((5,), ())]
)
def test_binary_operands_broadcast_fast_path_matches_general(dtype, shapes):
    rng = np.random.default_rng(0)
    grad = np.dtype(dtype).kind == "f"
    a, b = (
        autograd.tensor(rng.integers(0, 3, s).astype(dtype), requires_grad=grad) for s in shapes
    )
    fast, general = _util.binary_operands(a, b), _util.operands(a, b)[0]
    for f, g in zip(fast, general):
        _same_tensor(f, g)
    with pytest.raises(RuntimeError, match="must match the size"):
        _util.binary_operands(autograd.zeros(2, 3), autograd.zeros(4))


# ---- add / sub / mul on tensors that need no gradient: the forward alone -------------------
@pytest.mark.parametrize("name", ["Add", "Sub", "Mul"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float32, np.float64])
def test_forward_only_matches_op_apply(name, dtype, monkeypatch):
    import warnings

    # (once any bfloat16 tensor exists, forward_only leaves every op to Op.apply; these
    # inputs are not bfloat16, so the fast path is compared as if none existed)
    monkeypatch.setattr(autograd.function, "_LOW_PRECISION", False)

    from autograd.ops import arithmetic

    op = getattr(arithmetic, name)
    big = np.iinfo(dtype).max if np.dtype(dtype).kind in "iu" else np.finfo(dtype).max
    for x, y in [(np.array(3, dtype), np.array(8, dtype)), (np.array([big, 1], dtype), big)]:
        a, b = autograd.tensor(x), autograd.tensor(np.asarray(y, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # overflow: inf / wrap-around, silently, both ways
            fast, general = _util.forward_only(op, a, b), op.apply(a, b)
        _same_tensor(fast, general)
    assert type((autograd.tensor(3) + 8)._data) is np.ndarray  # (a 0-d array, not a scalar)


def test_forward_only_leaves_tangents_to_op_apply(monkeypatch):
    import autograd.forward_ad as fwAD
    from autograd.ops import arithmetic

    x = autograd.tensor([1.0, 2.0])
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, autograd.tensor([1.0, 1.0]))
        assert _util.forward_only(arithmetic.Add, dual, x) is None
        out = dual * 3.0 + x - 1.0  # the operators still carry the tangent
        np.testing.assert_array_equal(fwAD.unpack_dual(out).tangent.numpy(), [3.0, 3.0])
    monkeypatch.setattr(autograd.function, "_LOW_PRECISION", False)  # (see above)
    assert _util.forward_only(arithmetic.Add, x, x) is not None
    monkeypatch.setattr(autograd.function, "_LOW_PRECISION", True)  # bfloat16 exists
    assert _util.forward_only(arithmetic.Add, x, x) is None


# ---- index arithmetic: a 0-d int64 tensor and a Python int ---------------------------------
INT64 = np.iinfo(np.int64)


@pytest.mark.parametrize("name", ["add", "sub"])
def test_index_arithmetic_matches_general(name, monkeypatch):
    """``i + n`` / ``i - n`` on Python ints against forward_only on the general operands:
    the same values (wrapping around at the int64 limits), dtype, fresh version counter and
    the same OverflowError for a number outside int64."""
    from autograd.ops import arithmetic

    monkeypatch.setattr(autograd.function, "_LOW_PRECISION", False)  # (see above)
    op = {"add": arithmetic.Add, "sub": arithmetic.Sub}[name]
    fn = getattr(autograd, name)
    values = [0, 5, -7, INT64.max, INT64.min, 2**62]
    numbers = [0, 1, -1, 8, INT64.max, INT64.min, 2**63, -(2**63) - 1, 2**70]
    taken = 0
    for v in values:
        ix = autograd.tensor([v, 1])
        i = list(ix)[0]  # a 0-d view, as iterating an index tensor gives
        for n in numbers:
            try:
                general = _util.forward_only(op, *_util.binary_operands(i, n))
            except OverflowError as e:
                with pytest.raises(OverflowError, match=str(e)):
                    fn(i, n)
                continue
            fast = arithmetic._index_arithmetic(i, n, name == "sub")
            taken += fast is not None
            out = fn(i, n)
            _same_tensor(out, general)
            assert out._data.flags.writeable and out._data.base is None
            assert out._view is None and out._version_cell is not i._version_cell
            if fast is not None:
                _same_tensor(fast, general)
    assert taken > 20  # (the fast path is the common case, not only the fallback)
    # operands it leaves to the general path
    for a, b in [
        (autograd.tensor(3, dtype=autograd.int32), 1),
        (autograd.tensor([3]), 1),
        (autograd.tensor(3.0), 1),
        (autograd.tensor(3), 1.0),
        (autograd.tensor(3), True),
    ]:
        assert arithmetic._index_arithmetic(a, b, False) is None
        _same_tensor(
            autograd.add(a, b), _util.forward_only(arithmetic.Add, *_util.operands(a, b)[0])
        )
    monkeypatch.setattr(autograd.function, "_tracer", object())  # autograd.compile tracing
    assert arithmetic._index_arithmetic(autograd.tensor(3), 1, False) is None


def test_index_arithmetic_matches_torch():
    torch = pytest.importorskip("torch")
    for v, n in [(4, 8), (INT64.max, 1), (INT64.min, -1), (-3, 2**40)]:
        for op in ("__add__", "__sub__"):
            ours = getattr(autograd.tensor(v), op)(n)
            theirs = getattr(torch.tensor(v), op)(n)
            assert ours.dtype == autograd.int64 and ours.shape == ()
            assert ours.item() == theirs.item(), (v, op, n)


# ---- Python number operands: saved as their value ------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_number_operand_matches_constant_tensor(dtype):
    """``x * 2.5`` (the number becomes ``Tensor._number``, which a saving op keeps as its
    value) gives what ``x * tensor(2.5)`` (an ordinary constant tensor) gives: values,
    gradients, double backward, grad_fn, and the graph does not keep the number alive."""
    import weakref

    from autograd.ops import arithmetic

    x_np = np.array([0.5, -1.5, 2.0], dtype)
    results = []
    for other in (2.5, autograd.tensor(np.asarray(2.5, dtype))):
        x = autograd.tensor(x_np, requires_grad=True)
        y = (x * other) * x  # (mul saves the number for x's gradient)
        (gx,) = autograd.grad(y.sum(), x, create_graph=True)
        (ggx,) = autograd.grad(gx.sum(), x)
        results.append((y, gx, ggx))
    for a, b in zip(*results):
        _same_tensor(a, b)
    a, c = _util.binary_operands(autograd.tensor(x_np, requires_grad=True), 2.5)
    assert c._version == 0 and c._data.dtype == np.dtype(dtype)
    y, ref = arithmetic.Mul.apply(a, c), weakref.ref(c)
    del c
    assert ref() is None  # the record holds the value (an array), not the tensor
    np.testing.assert_array_equal(y.grad_fn.saved_tensors[1], np.asarray(2.5, dtype))


def test_constant_tensor_operand_keeps_its_version_check():
    """An ordinary constant tensor saved by mul is still checked for in-place changes."""
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    c = autograd.tensor(3.0)
    y = x * c
    c.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- unary functions of a floating tensor: straight to Op.apply ----------------------------
@pytest.mark.parametrize("name", ["tanh", "exp", "sigmoid", "sqrt"])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_unary_fast_path_matches_operands(name, requires_grad):
    fn = getattr(autograd, name)
    for dtype in (np.float32, np.float64):
        x = autograd.tensor(np.array([0.25, 1.5], dtype), requires_grad=requires_grad)
        (general_input,), _, _ = _util.operands(x, floating=True)
        _same_tensor(fn(x), fn.op.apply(general_input))
    i = autograd.tensor([1, 4])  # an integer input takes the general path: default float
    _same_tensor(fn(i), fn(i.float()))


# ---- Op.apply with many inputs: records only when one of them requires grad -------------
def test_stack_records_when_any_input_requires_grad():
    a, b = autograd.tensor([1.0, 2.0]), autograd.tensor([3.0, 4.0], requires_grad=True)
    out = autograd.stack([a, b, a])
    assert out.requires_grad and out.grad_fn.name() == "StackBackward0"
    assert out.grad_fn.needs_input_grad == (False, True, False)
    out.sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    assert autograd.stack([a, a]).grad_fn is None
    with autograd.no_grad():
        assert autograd.stack([a, b]).grad_fn is None


def test_float_operands_shared_except_zeros_and_nan():
    """A float operand's 0-d array is shared like an int's (read-only, converted to the
    tensor's dtype), but not -0.0, 0.0 or nan; each gives what ``np.asarray(v, dtype)``
    gives."""
    for dtype in (np.float32, np.float64):
        x = autograd.tensor(np.array([1.0, 2.0], dtype=dtype))
        for v in (2.5, -1e30, float("inf"), 1.0 / 3.0, 2.0, 2):
            first, again = _util.binary_operands(x, v)[1], _util.binary_operands(x, v)[1]
            assert first._data is again._data and not first._data.flags.writeable
            assert first._data.dtype == np.dtype(dtype) and first._data.shape == ()
            assert first._data.tobytes() == np.asarray(v, dtype).tobytes()
        for v in (0.0, -0.0, float("nan")):
            first, again = _util.binary_operands(x, v)[1], _util.binary_operands(x, v)[1]
            assert first._data is not again._data
            assert first._data.tobytes() == np.asarray(v, dtype).tobytes()
    assert _util.binary_operands(autograd.tensor([1.0]), 2.0)[1]._data == 2.0


# ---- Op.apply: the written-out one- and two-input cases vs Node.__init__ --------------------
def _reference_apply(op, inputs, params):
    """What ``Op.apply`` does, through the readable general code: ``Node.__init__``, forward
    called with ``*arrays, **params``, ``Node._resolve_saved`` and ``Tensor._from_node``."""
    from autograd.function import _NO_RECORD, Node
    from autograd.tensor import Tensor

    record = any(t is not None and t.requires_grad for t in inputs) and autograd.is_grad_enabled()
    ctx = Node(op, inputs) if record else _NO_RECORD
    with np.errstate(all="ignore"):
        raw = op.forward(ctx, *[None if t is None else t._data for t in inputs], **params)
    out = np.asarray(raw)
    if not record:
        return Tensor._make(out)
    ctx._saved = tuple(out if v is raw else v for v in ctx._saved)
    result = Tensor._from_node(out, ctx, 0, None)
    ctx._resolve_saved(inputs, (out,), (result._version_cell,))
    return result


def _same_node(a, b):
    _same_tensor(a, b)
    assert a._version == b._version == 0
    if a.grad_fn is None:
        return
    na, nb = a.grad_fn, b.grad_fn
    assert na.needs_input_grad == nb.needs_input_grad and na.module_path == nb.module_path
    assert [None if e is None else (e[0], e[1]) for e in na.next_edges] == [
        None if e is None else (e[0], e[1]) for e in nb.next_edges
    ]
    assert len(na._saved) == len(nb._saved)
    for ra, rb in zip(na._saved, nb._saved):
        if ra is None:
            assert rb is None
            continue
        (xa, wa, va, ca), (xb, wb, vb, cb) = ra, rb
        assert va == vb and (ca is None) == (cb is None)
        if isinstance(wa, int):  # the output itself: each result's own array and counter
            assert wb == wa and xa is a._data and xb is b._data and ca is a._version_cell
        else:
            assert wa is wb and xa is xb and ca is cb
    assert na._out_meta == (a._data.shape, a._data.dtype)


def _two_inputs(shape, grads, dtype):
    """Tensors ``a`` and ``b`` of ``shape`` requiring grad as ``grads`` says (``a`` is then a
    non-leaf)."""
    rng = np.random.default_rng(0)
    leaf = autograd.tensor(rng.normal(size=shape).astype(dtype), requires_grad=grads[0])
    a = leaf * 1.5 if grads[0] else leaf
    return a, autograd.tensor(rng.normal(size=shape).astype(dtype), requires_grad=grads[1])


def _same_gradients(fast, general, inputs):
    """The gradients of ``fast.sum()`` and ``general.sum()`` wrt the tensors among ``inputs``
    that need one are the same tensors, bit for bit."""
    if fast.requires_grad:
        wrt = [t for t in inputs if isinstance(t, autograd.Tensor) and t.requires_grad]
        gf = autograd.grad(fast.sum(), wrt, retain_graph=True)
        gg = autograd.grad(general.sum(), wrt, retain_graph=True)
        for x, y in zip(gf, gg):
            _same_tensor(x, y)
            assert x._data.tobytes() == y._data.tobytes()


@pytest.mark.parametrize("shape", [(), (3,)])
@pytest.mark.parametrize("grads", [(True, True), (True, False), (False, True), (False, False)])
def test_op_apply_fast_cases_match_node_init(shape, grads):
    from autograd.ops import arithmetic, unary
    from autograd.ops.activation import LeakyRelu

    a, b = _two_inputs(shape, grads, np.float64)
    number = _util.binary_operands(a, 2.5)[1]
    cases = [
        (arithmetic.Add, (a, b), {}),
        (arithmetic.Mul, (a, b), {}),  # saves both inputs
        (arithmetic.Mul, (b, number), {}),  # saves a number operand: its value
        (arithmetic.Mul, (a, a), {}),  # one tensor twice
        (arithmetic.Mul, (b, b.detach()), {}),  # two tensors of one array
        (arithmetic.Mul, (b.t(), a), {}),  # a view's record: its own version cell
        (unary.tanh.op, (a,), {}),  # saves its output (a NumPy scalar when 0-d)
        (unary.exp.op, (b,), {}),
        (LeakyRelu, (a,), {"negative_slope": 0.1}),  # params: the general call
    ]
    for op, inputs, params in cases:
        for grad_mode in (True, False):
            with autograd.set_grad_enabled(grad_mode):
                fast, general = op.apply(*inputs, **params), _reference_apply(op, inputs, params)
            _same_node(fast, general)
            _same_gradients(fast, general, inputs)


# ---- the lean path (function.lean_binary / lean_unary) vs Op.apply ---------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (3,)])
@pytest.mark.parametrize("grads", [(True, True), (True, False), (False, True), (False, False)])
def test_lean_path_matches_op_apply(dtype, shape, grads):
    from autograd.ops import arithmetic, unary

    a, b = _two_inputs(shape, grads, dtype)
    cases = [
        (autograd.add, arithmetic.Add, (a, b)),
        (autograd.sub, arithmetic.Sub, (b, a)),
        (autograd.mul, arithmetic.Mul, (a, b)),  # saves both inputs
        (autograd.mul, arithmetic.Mul, (b.t(), a)),  # a view's record: its own version cell
        (autograd.mul, arithmetic.Mul, (a, 2.5)),  # a Python number: saved as its value
        (autograd.add, arithmetic.Add, (a, 3)),
        (autograd.sub, arithmetic.Sub, (b, -0.0)),
        (autograd.tanh, unary.tanh.op, (a,)),  # saves its output (a NumPy scalar when 0-d)
        (autograd.exp, unary.exp.op, (b,)),
        (autograd.sin, unary.sin.op, (a,)),  # saves its input
    ]
    for fn, op, inputs in cases:
        for grad_mode in (True, False):
            with autograd.set_grad_enabled(grad_mode):
                lean = fn(*inputs)
                general = op.apply(
                    *(_util.binary_operands(*inputs) if len(inputs) == 2 else inputs)
                )
            _same_node(lean, general)
            if lean.grad_fn is not None:
                assert lean.grad_fn.op is general.grad_fn.op
                assert lean.grad_fn._out_meta is general.grad_fn._out_meta  # (shared)
            _same_gradients(lean, general, inputs)


@pytest.mark.parametrize("dtype", INT_AND_FLOAT)
def test_lean_path_with_numbers_matches_binary_operands(dtype):
    from autograd.ops import arithmetic

    a = autograd.tensor((np.arange(6) % 4).astype(dtype).reshape(2, 3))
    for number in (0, 7, -3, 2.5, 300, 2**40, float("nan"), True):
        for fn, op in ((autograd.add, arithmetic.Add), (autograd.mul, arithmetic.Mul)):
            try:
                general = op.apply(*_util.binary_operands(a, number))
            except (OverflowError, RuntimeError) as e:  # (refused the same way)
                with pytest.raises(type(e), match=re.escape(str(e))):
                    fn(a, number)
                continue
            _same_node(fn(a, number), general)


def test_lean_path_steps_aside_and_keeps_errors():
    from autograd import function

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = autograd.tensor([3.0, 4.0], dtype=autograd.float64)
    # other dtypes, shapes, one array twice: the general path (promotion, broadcasting)
    assert function.lean_binary(None, np.add, x, y, False) is None
    assert function.lean_binary(None, np.add, x, x[:1], False) is None
    assert function.lean_binary(None, np.multiply, x, x, True) is None
    assert (x + y).dtype == autograd.float64 and (x + x[:1]).shape == (2,)
    np.testing.assert_array_equal((x * x).grad_fn.saved_tensors, [[1.0, 2.0], [1.0, 2.0]])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        autograd.tensor([True]) - autograd.tensor([False])
    big = autograd.tensor([3e38], dtype=autograd.float32, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow gives inf without a warning, as in torch
        assert np.isinf((big + big)._data).all() and np.isinf((big * big).exp()._data).all()
    with autograd.detect_anomaly():  # the trace ends at the line that made the node
        z = x + x.detach()
        t = x.tanh()
    assert "z = x + x.detach()" in z.grad_fn._trace[-1]
    assert "t = x.tanh()" in t.grad_fn._trace[-1]


def test_lean_path_runs_its_ufunc_quietly_in_every_case():
    """The lean path runs its ufunc in a context of its own where NumPy's warnings are off
    (``function._quiet_ufunc``); when that context is in use (another thread's ufunc, or here
    a call made inside it) it takes the general switch instead. Either way: the same tensors
    and gradients as ``Op.apply``, no warning on overflow even under the caller's
    ``np.errstate(all="raise")``, and the caller's error state left as it was."""
    from autograd import function
    from autograd.ops import arithmetic, unary

    big = autograd.tensor([3e38, -3e38, 1.0], dtype=autograd.float32, requires_grad=True)
    w = autograd.tensor([10.0, 10.0, 0.5], dtype=autograd.float32, requires_grad=True)
    cases = [
        (lambda: big * w, lambda: arithmetic.Mul.apply(big, w)),
        (lambda: w - big, lambda: arithmetic.Sub.apply(w, big)),
        (lambda: (big * w).exp(), lambda: unary.exp.op.apply(big * w)),
        (lambda: big.sigmoid() + w, lambda: arithmetic.Add.apply(unary.sigmoid.op.apply(big), w)),
    ]  # (sigmoid's forward is a Python function, run the general way)
    before = np.geterr()
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for lean, general in cases:
            want = general()
            for got in (lean(), function._QUIET_CONTEXT.run(lean)):  # (the 2nd: the fallback)
                _same_tensor(got, want)
                _same_gradients(got, want, [big, w])
        assert np.geterr() == {**before, **dict.fromkeys(before, "raise")}
    assert np.geterr() == before


def test_lean_path_from_several_threads():
    """Threads running lean ops at once (NumPy lets go of the GIL in long loops, so one
    thread's ufunc may be inside the quiet context when another's starts) get the results
    and gradients of one thread."""
    import threading

    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=200_000).astype(np.float32) for _ in range(2)]

    def work(results, k):
        a = autograd.tensor(arrays[0], requires_grad=True)
        b = autograd.tensor(arrays[1], requires_grad=True)
        for _ in range(5):
            y = ((a * b + a) - b).tanh()
        y.sum().backward()
        results[k] = (y._data, a.grad._data, b.grad._data)

    alone, together = [None], [None] * 3
    work(alone, 0)
    threads = [threading.Thread(target=work, args=(together, k)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for res in together:
        for x, y in zip(res, alone[0]):
            assert x.tobytes() == y.tobytes()


def test_op_apply_saved_output_keeps_its_version_check():
    x = autograd.tensor(0.5, requires_grad=True)  # 0-d: np.tanh returns a NumPy scalar
    y = x.tanh()
    assert y.grad_fn.saved_tensors[0] is y._data
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        y.backward()


def test_plain_eager_names_the_cases_op_apply_checks(monkeypatch):
    import autograd.forward_ad as fwAD
    from autograd import function

    monkeypatch.setattr(function, "_LOW_PRECISION", False)
    assert function.plain_eager()
    with fwAD.dual_level():
        assert not function.plain_eager()
    assert function.plain_eager()
    monkeypatch.setattr(function, "_tracer", object())
    assert not function.plain_eager()
    monkeypatch.setattr(function, "_tracer", None)
    monkeypatch.setattr(function, "_LOW_PRECISION", True)
    assert not function.plain_eager()


def test_output_meta_shared_between_nodes():
    """Nodes whose outputs agree in shape and dtype share one ``_out_meta`` tuple (the graph
    holds fewer objects); it still says each node's own shape and dtype."""
    x = autograd.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y, z = x * 2.0, (x + 1.0).double()
    w = (x * 3.0).tanh()
    assert y.grad_fn._out_meta is w.grad_fn._out_meta == ((2, 3), np.dtype(np.float32))
    assert z.grad_fn._out_meta == ((2, 3), np.dtype(np.float64))
    assert x.sum().grad_fn._out_meta == ((), np.dtype(np.float32))


def test_view_ops_skip_the_errstate_switch_and_nothing_warns():
    """View ops run without NumPy's error-state switch (they do no arithmetic); like every
    op they warn of nothing on inf/nan, and NumPy's own error state is left as it was."""
    import warnings

    before = np.geterr()
    x = autograd.tensor([[np.inf, np.nan, 3e38]], dtype=autograd.float32, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        views = [x.reshape(3, 1), x.expand(2, 3), x.permute(1, 0), x[0], x.t(), x.view(-1)]
        for v in views:
            np.testing.assert_array_equal(v.detach().numpy().reshape(-1)[:3], x._data.reshape(-1))
            assert v._data.base is not None  # (a view of x's memory)
        y = (x * 10.0).sum() + views[2].sum()  # overflow: inf, silently
        y.backward()
    assert np.isinf(y.item()) or np.isnan(y.item())
    assert np.geterr() == before


# ---- wrap_dim: an int already in range is returned as it is ---------------------------------
def test_wrap_dim_fast_path_matches_general():
    """Every dim of every rank, as an int (the fast path when in range), a NumPy integer and
    a bool (the general path): the same normalised int, and the same IndexError/TypeError
    outside the range or for other types."""
    for ndim in range(4):
        n = max(ndim, 1)
        for dim in range(-n - 2, n + 2):
            for given in (dim, np.int64(dim), np.int8(dim)):
                if -n <= dim < n:
                    out = _util.wrap_dim(given, ndim)
                    assert type(out) is int and out == dim % n
                else:
                    with pytest.raises(IndexError, match=rf"\[{-n}, {n - 1}\], but got {dim}\)"):
                        _util.wrap_dim(given, ndim)
    assert _util.wrap_dim(True, 2) == 1 and type(_util.wrap_dim(True, 2)) is int
    with pytest.raises(TypeError, match="dim must be an int, got float"):
        _util.wrap_dim(1.0, 2)


@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_slice_views_of_integer_bases_are_not_listed(dtype):
    """``data[i : i + 2]`` (the slice fast path) and ``data[1]`` (the general one) of an
    integer or bool base are views sharing its version counter but are not listed in its
    ``_views`` (never regenerated); a float base lists them."""
    data = autograd.zeros(6, dtype=dtype)
    i = list(autograd.tensor([1, 3]))[0]
    views = [data[i : i + 2], data[1], data[:3]]
    for v in views:
        assert v._base is data and v._version_cell is data._version_cell
    assert (data._views is None) == (dtype != "float32")
    if dtype == "float32":
        assert len(data._views) == len(views)


# ---- a slice's gradient added into its input's (engine._added_into) -----------------------
def _slice_graphs(lib, x):
    """Losses (on ``lib``: autograd or torch) whose graphs send several slices' gradients to
    one input: split, chunk, unbind, overlapping ``x[a:b]``, an unused piece, and an input
    whose gradient array is shared with another node (``p + r`` hands both the same array:
    it must not be added into)."""
    w = lib.tensor(np.random.default_rng(1).normal(size=(4, 3, 6)), dtype=x.dtype)
    q, k, v = (x * w).split(2, dim=2)
    yield (q * 3).sum() + (k * v).sum() + (v[:, 1] ** 2).sum()
    a, _, c = (x * w).chunk(3, dim=2)  # the middle piece unused
    yield (a * c).sum()
    yield sum(((t * (i + 1)) ** 2).sum() for i, t in enumerate((x * w).unbind(1)))
    y = x * w
    yield (y[:, :2] * 2).sum() + (y[:, 1:] * y[:, 1:]).sum() + y[0].sum()
    p, r = x * 1, x * w  # (in this order the sum reaches p and r before the slices)
    yield (p[:, 1:2] * 5).sum() + (r[1:] ** 2).sum() + ((p + r) * w).sum()


@pytest.mark.parametrize("dtype", [autograd.float64, autograd.float32])
def test_slice_gradients_added_into_input_match_general_path(dtype, monkeypatch):
    from autograd.ops.indexing import GetItem

    taken = []
    general = GetItem.backward_into

    def spy(ctx, g, into, dirty):
        taken.append(general(ctx, g, into, dirty))
        return taken[-1]

    monkeypatch.setattr(GetItem, "backward_into", staticmethod(spy))
    x0 = np.random.default_rng(0).normal(size=(4, 3, 6))
    x = autograd.tensor(x0, dtype=dtype, requires_grad=True)
    for n, loss in enumerate(_slice_graphs(autograd, x)):
        # autograd.grad captures a gradient, which sends every node through the general path
        (expected,) = autograd.grad(loss, x, retain_graph=True)
        del taken[:]
        x.grad = None
        loss.backward(retain_graph=True)
        # the fast path ran; in the last graph an array shared by two buffers must not be added
        # into (whether another slice may be, once the sum made a fresh array, depends on
        # the order of the walk): the values below would show a wrong add
        assert any(taken) or n == 4
        assert x.grad.dtype == expected.dtype and x.grad.shape == expected.shape
        np.testing.assert_array_equal(x.grad.numpy(), expected.numpy())
        loss.backward()  # accumulates into .grad, as the general path does
        np.testing.assert_array_equal(x.grad.numpy(), (expected + expected).numpy())


def test_slice_gradients_added_into_input_match_torch():
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(0).normal(size=(4, 3, 6))
    x = autograd.tensor(x0, requires_grad=True)
    tx = torch.tensor(x0, requires_grad=True)
    for loss, tloss in zip(_slice_graphs(autograd, x), _slice_graphs(torch, tx)):
        x.grad = None
        loss.backward(retain_graph=True)
        (g,) = autograd.grad(loss, x, create_graph=True)  # (gradients as recorded tensors)
        (tg,) = torch.autograd.grad(tloss, tx, create_graph=True)
        np.testing.assert_allclose(x.grad.numpy(), tg.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
        (gg,) = autograd.grad((g * g).sum(), x)
        (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12)


@pytest.mark.parametrize("first", ["zero", "slice"])
def test_slice_gradient_keeps_the_sign_of_zero_like_torch(first):
    # torch copies a slice's gradient into zeros (a -0.0 stays -0.0 there) and adds the
    # zeros to the rest of the input's gradient (-0.0 + 0.0 is +0.0 there); we added the
    # slice into zeros (-0.0 became +0.0) and the added-into path left -0.0 outside it
    torch = pytest.importorskip("torch")
    signs = []
    for lib in (autograd, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        y = x * 1
        a, b = (y * -0.0).sum(), (y[0:1] * -0.0).sum()  # -0.0 gradients everywhere
        (a + b if first == "zero" else b + a).backward()
        signs.append(np.signbit(x.grad.numpy()).tolist())
        pieces = [x[0:1], x[1], x.narrow(1, 0, 1), x.unbind(0)[1], x[lib.tensor([0, 0])]]
        for piece in pieces:  # one slice: the general path
            x.grad = None
            (piece * -0.0).sum().backward()
            signs.append(np.signbit(x.grad.numpy()).tolist())
    assert signs[: len(signs) // 2] == signs[len(signs) // 2 :]
