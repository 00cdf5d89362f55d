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


# ---- the topological order: the iterative walk equals the recursive definition -----------
def _reference_order(roots, inside=None):
    """Depth-first post-order, reversed, written recursively (small graphs only): a node is
    placed after everything it points to; a node outside ``inside`` is placed, not entered."""
    order, visited = [], set()

    def visit(node):
        for edge in node.next_edges:
            if edge is not None and edge[0] not in visited:
                nxt = edge[0]
                visited.add(nxt)
                if nxt.next_edges if inside is None else nxt in inside:
                    visit(nxt)
                else:
                    order.append(nxt)
        order.append(node)

    for root in roots:
        if root is not None and root not in visited:
            visited.add(root)
            visit(root)
    return order[::-1]


def test_topological_order_matches_the_recursive_walk():
    from autograd.engine import _topological_order

    rng = np.random.default_rng(0)
    for _ in range(150):
        leaves = [
            autograd.tensor(np.ones(2), requires_grad=bool(rng.random() < 0.8)) for _ in "abcd"
        ]
        values = list(leaves)
        for _ in range(int(rng.integers(1, 30))):
            x, y = (values[int(k)] for k in rng.integers(0, len(values), 2))
            kind = int(rng.integers(0, 4))
            values.append([x + y, x * y, x.tanh(), x.sum() + y][kind])
        picked = [values[int(k)] for k in rng.integers(0, len(values), int(rng.integers(1, 4)))]
        roots = [v.grad_fn for v in picked] + [None]
        expected = _reference_order(roots)
        assert _topological_order(roots) == expected
        inside = {n for n in expected if rng.random() < 0.7}
        assert _topological_order(roots, inside) == _reference_order(roots, inside)


def test_leaf_gradient_accumulation_fast_case_matches_general():
    """An existing ``.grad`` of the gradient's dtype is added to in place (the fast case); a
    gradient of another dtype is cast first (the general case): the same sums, in place."""
    from autograd.engine import _accumulate_into_leaf

    x = autograd.tensor(np.array([1.0, -2.0, 3.0], np.float32), requires_grad=True)
    x.grad = autograd.tensor(np.array([0.5, -0.0, 1e-8], np.float32))
    before, seen = x.grad, []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (x * x).sum().backward()  # the fast case
    expected = np.array([0.5, -0.0, 1e-8], np.float32) + np.array([2.0, -4.0, 6.0], np.float32)
    assert x.grad is before and x.grad.numpy().tobytes() == expected.tobytes()
    assert len(seen) == 1
    g64 = np.array([0.1, -0.0, 1e-9])
    _accumulate_into_leaf(x, g64, False)  # the general case: cast to float32, then added
    expected += g64.astype(np.float32)
    assert x.grad is before and x.grad.numpy().tobytes() == expected.tobytes()
    assert len(seen) == 2


# ---- slices added into their input's gradient: zeros added only where a -0.0 may be ----------
def _zero_sign_losses(x):
    """Losses whose slices send gradients with -0.0 and +0.0 into one input, in several
    orders, overlapping, with a whole-array gradient before, between or after them."""
    c = np.array([[-0.0, 0.0, 1.5, -0.0], [0.0, -0.0, -0.0, 2.0]] * 3)
    neg = autograd.tensor(-np.abs(c) * 0.0)  # all -0.0
    k = autograd.tensor(c)
    y = x * 1
    a, b, d = y[0:2], y[2:4], y[1:3]
    yield (a * k[:2]).sum() + (b * neg[:2]).sum() + (d * k[2:4]).sum()
    yield (y * neg).sum() + (a * neg[:2]).sum() + (b * k[:2]).sum()
    yield (a * neg[:2]).sum() + (y * k).sum() + (d * neg[:2]).sum() + (b * k[2:4]).sum()
    yield sum((p * neg[:1]).sum() for p in y.split(1)) + (y[::2] * k[::2]).sum()
    yield (y[:, 1:3] * neg[:, :2]).sum() + (y[4:] * k[4:]).sum() + (y[:, 0] * neg[:, 0]).sum()


def test_slices_added_into_keep_the_general_paths_zero_signs(monkeypatch):
    from autograd.ops.indexing import GetItem

    dirty_seen = []
    general = GetItem.backward_into

    def spy(ctx, g, into, dirty):
        dirty_seen.append(dirty)
        return general(ctx, g, into, dirty)

    monkeypatch.setattr(GetItem, "backward_into", staticmethod(spy))
    x = autograd.tensor(np.arange(24.0).reshape(6, 4), requires_grad=True)
    for loss in _zero_sign_losses(x):
        (expected,) = autograd.grad(loss, x, retain_graph=True)  # (the general path)
        x.grad = None
        loss.backward(retain_graph=True)  # (the losses share ``x * 1``)
        assert x.grad.numpy().tobytes() == expected.numpy().tobytes()
    # the fast path ran, and later slices added their zeros to a part of the array only
    assert ... in dirty_seen and any(d is not ... for d in dirty_seen)


# ---- saved values: one and two records written out, the loop for the rest ------------------
def _saved_by_the_loop(node):
    """What ``saved_tensors`` returns in an ordinary backward, record by record (its loop)."""
    out = []
    for rec in node._saved:
        if rec is not None:
            cell = rec[3]
            if cell is not None and cell[0] != rec[2]:
                node._raise_modified(rec[0], rec[1], cell[0], rec[2])
        out.append(None if rec is None else rec[0])
    return tuple(out)


def _outcome(fn, node):
    try:
        return ("ok", tuple(id(v) for v in fn(node)))
    except Exception as e:  # (the error, as a value to compare)
        return (type(e), str(e))


@pytest.mark.parametrize("case", ["mul", "mul_one_side", "tanh", "sin", "addcmul", "add"])
@pytest.mark.parametrize("modify", [None, "a", "b"])
def test_saved_tensors_fast_cases_match_the_loop(case, modify):
    a = autograd.tensor(np.array([0.5, -1.0]), requires_grad=True) * 1
    b = autograd.tensor(np.array([2.0, 3.0]), requires_grad=case != "mul_one_side") * 1
    out = {
        "mul": lambda: a * b,
        "mul_one_side": lambda: a * b,  # one record is None
        "tanh": lambda: a.tanh(),  # the output, saved
        "sin": lambda: a.sin(),  # the input, saved
        "addcmul": lambda: autograd.addcmul(a, a, b),  # (two records: the loop's results)
        "add": lambda: a + b,  # no records
    }[case]()
    node = out.grad_fn
    if modify == "a":
        a.add_(1)
    elif modify == "b":
        b.add_(1)
    if case == "tanh" and modify == "a":
        out.add_(1)  # (tanh saved its output: change that instead)
    assert _outcome(lambda n: n.saved_tensors, node) == _outcome(_saved_by_the_loop, node)


# ---- a reduction's VJP on arrays: np.broadcast_to's view, built from the strides ------------
def test_np_unreduce_is_broadcast_to_view():
    import itertools

    from autograd.ops._reduction import _np_unreduce

    rng = np.random.default_rng(0)
    for ndim in range(4):
        for shape in itertools.product([1, 2, 3], repeat=ndim):
            for dims in (
                d for r in range(ndim + 1) for d in itertools.combinations(range(ndim), r)
            ):
                kept = tuple(1 if i in dims else n for i, n in enumerate(shape))
                for keepdim, layout in itertools.product((False, True), ("C", "F", "scalar")):
                    out_shape = (
                        kept if keepdim else tuple(n for i, n in enumerate(shape) if i not in dims)
                    )
                    g = rng.normal(size=out_shape).astype(np.float32)
                    g = (
                        np.asfortranarray(g)
                        if layout == "F"
                        else g[()]
                        if layout == "scalar"
                        else g
                    )
                    expected = np.broadcast_to(np.reshape(g, kept), shape)
                    got = _np_unreduce(g, shape, dims, keepdim)
                    assert type(got) is np.ndarray and got.dtype == expected.dtype
                    assert got.shape == expected.shape and got.strides == expected.strides
                    assert not got.flags.writeable and got.base is not None
                    assert got.flags.c_contiguous == expected.flags.c_contiguous
                    np.testing.assert_array_equal(got, expected)
    empty = np.ones((0, 1), np.float32)
    assert _np_unreduce(empty, (0, 3), (1,), True).shape == (0, 3)
