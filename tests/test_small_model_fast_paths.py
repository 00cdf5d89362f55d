"""Fast paths taken by small models' training steps (issue 17, the character-level MLP):
each is compared with the general path it shortcuts, on the same inputs, for values,
dtypes, strides, ``grad_fn`` names, ``requires_grad``, view bookkeeping, version counters,
gradients and errors.
"""

import numpy as np
import pytest

import autograd
from autograd.ops import linalg, movement
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


# ---- autograd.compile: view steps inlined, leaf gradients taken over ------------------------
def _char_mlp(dtype, seed=0):
    """The character-level MLP language model of bench_small_models.py (small sizes)."""
    import nn

    autograd.manual_seed(seed)

    class CharMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(7, 4)
            self.hidden = nn.Linear(3 * 4, 16)
            self.out = nn.Linear(16, 7)

        def forward(self, idx):
            e = self.emb(idx)
            return self.out(self.hidden(e.view(e.shape[0], -1)).tanh())

    return CharMLP().to(dtype)


def _char_mlp_step(model, opt):
    import nn.functional as F

    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_compiled_char_mlp_equals_eager_bit_for_bit(backend):
    import optim

    rng = np.random.default_rng(0)
    batches = [
        (autograd.tensor(rng.integers(0, 7, (5, 3))), autograd.tensor(rng.integers(0, 7, 5)))
        for _ in range(4)
    ]
    with autograd.backend(backend):
        m1, m2 = _char_mlp(autograd.float64), _char_mlp(autograd.float64)
        eager = _char_mlp_step(m1, optim.SGD(m1.parameters(), lr=0.1))
        compiled = autograd.compile(_char_mlp_step(m2, optim.SGD(m2.parameters(), lr=0.1)))
        kept = []
        for x, y in batches:
            assert eager(x, y).item() == compiled(x, y).item()
            for a, b in zip(m1.parameters(), m2.parameters()):
                assert np.array_equal(a.grad._data, b.grad._data)
                assert a.grad._data.dtype == b.grad._data.dtype
            # .grad owns its memory: no later replay (kept buffers, stolen arrays) writes it
            kept.append([(p.grad._data, p.grad._data.copy()) for p in m2.parameters()])
        for grads in kept:
            for arr, copy in grads:
                assert np.array_equal(arr, copy)
        arrays = [arr for grads in kept for arr, _ in grads]
        for i, a in enumerate(arrays):
            assert not any(np.shares_memory(a, b) for b in arrays[i + 1 :])
        assert all(
            np.array_equal(a._data, b._data) for a, b in zip(m1.parameters(), m2.parameters())
        )
    plan = compiled.plan
    # the view steps replay as array methods, their VJPs as the inverse movement
    assert "Reshape_forward" not in plan and "Permute_forward" not in plan
    assert ".reshape((5, 3, 4))" in plan and ".transpose((1, 0))" in plan
    assert "Reshape_backward" not in plan and "Permute_backward" not in plan
    assert (
        "Expand_backward" not in plan and "sum_rows(" in plan
    )  # (the biases: sum_to via a kernel)
    # (F.linear is traced as its composition: its bias add fuses with the ops after it)
    assert "Addmm" not in plan


def test_compiled_module_keeps_ctxs_of_inlined_views():
    # a compiled module's outputs carry one node whose backward runs later: the view steps
    # still hand it their ctxs, and its gradients equal eager mode's
    rng = np.random.default_rng(1)
    x = autograd.tensor(rng.integers(0, 7, (5, 3)))
    m1, m2 = _char_mlp(autograd.float64), _char_mlp(autograd.float64)
    cm = autograd.compile(m2)
    for i in range(3):  # (call 0 traces; the next ones replay)
        w = autograd.tensor(rng.standard_normal((5, 7)))
        m1.zero_grad()
        m2.zero_grad()
        (m1(x) * w).sum().backward()
        out = cm(x)
        assert i == 0 or out.grad_fn.name() == "CompiledFunctionBackward"
        (out * w).sum().backward()
        for a, b in zip(m1.parameters(), m2.parameters()):
            assert np.array_equal(a.grad._data, b.grad._data)
    plan = cm.__dict__["_compiled_call"].plan
    assert plan is not None and "Reshape_forward" in plan  # (ctxs made for its backward)


def test_a_gradient_sent_to_two_leaves_is_copied_for_one():
    # ``a + b``'s VJP sends one array to both leaves: at most one may take it over
    for compiled in (False, True):
        a = autograd.tensor([1.0, 2.0], requires_grad=True)
        b = autograd.tensor([3.0, 4.0], requires_grad=True)

        def f(a, b):
            ((a + b) * 2.0).sum().backward()
            return a.grad

        fn = autograd.compile(f) if compiled else f
        for _ in range(3):
            a.grad = b.grad = None
            fn(a, b)
            assert not np.shares_memory(a.grad._data, b.grad._data)
            np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])
            np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0])
        assert not compiled or fn.plan is not None


# ---- cross_entropy's fused path: the checks on plain shapes, shared class weights -----------
@pytest.mark.parametrize("shape", [(5, 4), (4,), (3, 4, 2)])
def test_fused_cross_entropy_matches_the_composed_path(shape):
    import nn.functional as F
    from autograd.ops.classification_loss import _ones

    rng = np.random.default_rng(0)
    C = shape[1] if len(shape) > 1 else shape[0]
    t_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    x = rng.standard_normal(shape)
    t = rng.integers(0, C, t_shape)
    results = []
    for backend in ("numba", "numpy"):  # fused kernel, composed ops
        with autograd.backend(backend):
            xt = autograd.tensor(x, requires_grad=True)
            loss = F.cross_entropy(xt, autograd.tensor(t))
            loss.backward()
            results.append((loss, xt.grad))
    (l1, g1), (l2, g2) = results
    assert l1.grad_fn.name() == "NllLossBackward0"
    np.testing.assert_allclose(l1.item(), l2.item(), rtol=1e-12)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-12, atol=1e-15)
    w = _ones(C)
    assert w is _ones(C) and not w.flags.writeable and np.array_equal(w, np.ones(C))


@pytest.mark.parametrize(
    "x_shape, t_shape, error, message",
    [
        (
            (5, 4),
            (3,),
            ValueError,
            r"Expected input batch_size \(5\) to match target batch_size \(3\)",
        ),
        (
            (5, 4),
            (5, 2),
            RuntimeError,
            r"expected target of shape \[5\] for input of shape \[5, 4\]",
        ),
        ((3, 4, 2), (3, 3), RuntimeError, r"expected target of shape \[3, 2\] .* got \[3, 3\]"),
        ((4,), (1,), RuntimeError, r"expected target of shape \[\] for input of shape \[4\]"),
    ],
)
def test_cross_entropy_target_errors_unchanged(x_shape, t_shape, error, message):
    import nn.functional as F

    x, t = autograd.zeros(*x_shape), autograd.zeros(*t_shape, dtype=autograd.int64)
    for backend in ("numba", "numpy"):
        with autograd.backend(backend), pytest.raises(error, match=message):
            F.cross_entropy(x, t)


@pytest.mark.parametrize(
    "targets, ignore_index",
    [
        ([0, 3, 26, 3], -100),
        ([0, -100, 26, -100], -100),  # ignored rows counted by the kernel
        ([0, 5, 5, 1], 5),  # an ignored class index
        ([-100, -100], -100),  # all ignored: nan
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_kernel_checked_targets_match_the_general_path(
    targets, ignore_index, reduction
):
    """int64 targets without class weights have the kernel check the targets; int32 targets
    and class weights of ones take the paths that check them first: the same numbers, bit
    for bit, and the same gradients."""
    import nn.functional as F

    x = np.random.default_rng(1).standard_normal((len(targets), 27))
    t = np.asarray(targets, np.int64)
    out = []
    for kind in ("int64", "int32", "weight"):
        xt = autograd.tensor(x, requires_grad=True)
        tt = autograd.tensor(t.astype(np.int32) if kind == "int32" else t)
        w = autograd.ones(27, dtype=autograd.float64) if kind == "weight" else None
        loss = F.cross_entropy(xt, tt, w, ignore_index=ignore_index, reduction=reduction)
        loss.sum().backward()
        out.append((loss, xt.grad))
    for loss, grad in out[1:]:
        _same_tensor(loss.detach(), out[0][0].detach())
        assert loss.grad_fn.name() == out[0][0].grad_fn.name()
        np.testing.assert_array_equal(grad.numpy(), out[0][1].numpy())


@pytest.mark.parametrize("bad", [27, -1, 2**40, -(2**40)])
def test_cross_entropy_kernel_checked_out_of_range_target_raises(bad):
    import nn.functional as F

    from autograd.kernels import softmax as K

    t = np.array([0, bad, 3], np.int64)
    loss, prob, n_bad, ignored = K.cross_entropy_checked(
        np.zeros((3, 27)), t, np.ones(27), -100, 0.0
    )
    assert (n_bad, ignored) == (1, 0) and loss[1] == 0.0
    for backend in ("numba", "numpy"):
        with autograd.backend(backend), pytest.raises(IndexError, match=f"Target {bad} is out"):
            F.cross_entropy(autograd.zeros(3, 27), autograd.tensor(t))


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_take_along_in_range_matches_the_checked_path(backend, dtype):
    """``in_range=True`` (an embedding's checked rows) skips the index checks of the take and
    of its VJP's scatter: the same values, grad_fn and gradients as without it."""
    from autograd.ops.vision import take_along

    idx = np.array([3, 0, 26, 3, 3], np.int64)
    w = np.random.default_rng(2).standard_normal((27, 10)).astype(dtype)
    g = np.random.default_rng(3).standard_normal((5, 10)).astype(dtype)
    out = []
    with autograd.backend(backend):
        for in_range in (False, True):
            wt = autograd.tensor(w, requires_grad=True)
            y = take_along(wt, 0, idx, in_range=in_range)
            y.backward(autograd.tensor(g))
            out.append((y, wt.grad))
    _same_tensor(out[0][0].detach(), out[1][0].detach())
    assert out[0][0].grad_fn.name() == out[1][0].grad_fn.name()
    _same_tensor(out[0][1], out[1][1])


def test_embedding_index_errors_unchanged():
    import nn.functional as F

    w = autograd.ones(5, 3, requires_grad=True)
    for bad in (5, -1):
        for backend in ("numba", "numpy"):
            with autograd.backend(backend), pytest.raises(IndexError, match="index out of range"):
                F.embedding(autograd.tensor([0, bad]), w)


# ---- take_along's forward (embedding rows, pads): the unmasked path ---------------------------
@pytest.mark.parametrize(
    "shape, axis, idx",
    [
        ((27, 10), 0, [3, 0, 26, 3]),
        ((27, 10), 0, []),
        ((4, 5), 1, [-1, 0, 4, -1]),
        ((4, 5), 1, [-1, -1]),
        ((0, 3), 0, [-1, -1]),
        ((2, 3, 4), 2, [3, 2, 1, 0, 0]),
    ],
)
def test_take_matches_the_masked_reference(shape, axis, idx):
    from autograd.ops.vision import _take

    x = np.arange(float(np.prod(shape)), dtype=np.float32).reshape(shape)
    x.flat[:1] = np.inf  # (a masked position is 0, never 0 * inf)
    idx = np.asarray(idx, np.int64)
    valid = idx >= 0
    if x.shape[axis]:
        ref = np.take(x, np.where(valid, idx, 0), axis=axis)
        mask = valid.reshape([-1 if d == axis else 1 for d in range(x.ndim)])
        ref = np.where(mask, ref, np.float32(0))
    else:
        ref = np.zeros(shape[:axis] + (idx.size,) + shape[axis + 1 :], np.float32)
    out = _take(x, axis, idx)
    assert out.dtype == ref.dtype and out.shape == ref.shape
    np.testing.assert_array_equal(out, ref)


# ---- binary operands with an nn.Parameter (a Linear's bias) ---------------------------------
@pytest.mark.parametrize(
    "shapes", [((32, 5), (5,)), ((5,), (5,)), ((3, 1), (4,)), ((2, 3), ()), ((), (2, 3))]
)
@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float32, np.float64)])
def test_binary_operands_with_a_parameter_match_general(shapes, dtypes):
    import nn
    from autograd.ops import _util

    rng = np.random.default_rng(0)
    h = autograd.tensor(rng.standard_normal(shapes[0]).astype(dtypes[0]), requires_grad=True)
    p = nn.Parameter(autograd.tensor(rng.standard_normal(shapes[1]).astype(dtypes[1])))
    for a, b in ((h, p), (p, h), (p, p), (p, 2.0), (p, 3)):
        fast = _util.binary_operands(a, b)
        general = _util.operands(a, b)[0]
        assert len(fast) == len(general) == 2
        for f, g in zip(fast, general):
            _same_tensor(f, g)
            assert (f is a) == (g is a) and (f is b) == (g is b)
    # the same gradient as through a plain tensor leaf
    q = autograd.tensor(p._data.copy(), requires_grad=True)
    (h + p).sum().backward()
    (h + q).sum().backward()
    assert (h + p).grad_fn.name() == "AddBackward0"
    _same_tensor(p.grad, q.grad)


# ---- the engine's order: nodes without inputs are placed without a stack push -------------
def _reference_order(roots):
    """Reverse post-order of a recursive depth-first search: the order the engine's iterative
    one must give (every consumer before the nodes it feeds, edges in order)."""
    order, visited = [], set()

    def visit(node):
        visited.add(node)
        for edge in node.next_edges:
            if edge is not None and edge[0] not in visited:
                visit(edge[0])
        order.append(node)

    for root in roots:
        if root is not None and root not in visited:
            visit(root)
    return order[::-1]


def test_topological_order_unchanged():
    from autograd.engine import _topological_order

    rng = np.random.default_rng(0)
    x = autograd.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = autograd.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    b = autograd.tensor(rng.standard_normal(3), requires_grad=True)
    h = (x @ w + b).tanh()
    y = (h * x + h @ w.t() + b * 2.0).sum() + (x * x).sum()
    other = (w * 3.0).sum()
    for roots in ([y.grad_fn], [y.grad_fn, other.grad_fn], [other.grad_fn, y.grad_fn, None]):
        assert _topological_order(roots) == _reference_order(roots)
    m = _char_mlp(autograd.float64)
    loss = m(autograd.tensor(rng.integers(0, 7, (5, 3)))).sum()
    assert _topological_order([loss.grad_fn]) == _reference_order([loss.grad_fn])


# ---- plain SGD: one foreach-style call per group --------------------------------------------
@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize(
    "hyper",
    [
        dict(lr=0.1, weight_decay=0.0, maximize=False),
        dict(lr=0.05, weight_decay=1e-2, maximize=True),
        dict(lr=1, weight_decay=0, maximize=True),  # ints, as a user may write them
    ],
)
def test_sgd_plain_matches_the_per_parameter_loop(backend, hyper):
    from optim import _functional as F

    rng = np.random.default_rng(0)
    # a float32 and a float64 parameter, an unsupported float16 one between them (the NumPy
    # path), a broadcast (non-contiguous) gradient, a 0-d and an empty parameter
    shapes = [(4, 3), (5,), (2, 3), (3, 2), (), (0, 2)]
    dtypes = [np.float32, np.float64, np.float16, np.float32, np.float32, np.float64]
    params = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
    grads = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
    grads[3] = np.broadcast_to(rng.standard_normal(2).astype(np.float32), (3, 2))
    general = [p.copy() for p in params]
    with autograd.backend(backend):
        for _ in range(3):
            F.sgd_plain(params, grads, **hyper, workspace={})
            F.sgd(general, grads, [None] * len(grads), momentum=0, dampening=0,
                  nesterov=False, **hyper, workspace={})  # fmt: skip
    for fast, slow in zip(params, general):
        assert fast.dtype == slow.dtype
        np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_sgd_step_takes_the_plain_path_with_state_and_versions_unchanged(backend, monkeypatch):
    import optim
    from optim import _functional as F

    calls = []
    plain = F.sgd_plain
    monkeypatch.setattr(F, "sgd_plain", lambda *a, **k: calls.append(1) or plain(*a, **k))
    with autograd.backend(backend):
        w = autograd.tensor([1.0, -2.0], requires_grad=True)
        b = autograd.tensor([0.5], requires_grad=True)
        unused = autograd.tensor([3.0], requires_grad=True)  # no gradient: not stepped
        opt = optim.SGD([w, b, unused], lr=0.1, weight_decay=0.1)
        (w * w).sum().add(b.sum()).backward()
        versions = [t._version for t in (w, b, unused)]
        opt.step()
    assert calls == [1]
    assert w.tolist() == pytest.approx([1.0 - 0.1 * (2.0 + 0.1), -2.0 - 0.1 * (-4.0 - 0.2)])
    assert [t._version for t in (w, b, unused)] == [versions[0] + 1, versions[1] + 1, versions[2]]
    assert opt.state_dict()["state"] == {} and not opt.state


# ---- cross_entropy: the targets' range checked with one reduction ---------------------------
@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])
@pytest.mark.parametrize("C", [1, 27, 300])
def test_unweighted_targets_range_check_matches_min_max(dtype, C):
    from autograd.ops.classification_loss import _unweighted_targets

    info = np.iinfo(dtype)
    edges = {0, 1, C - 1, C, C + 1, -1, -2, info.min, info.max, 2**63 - 1}
    for bad in sorted(v for v in edges if info.min <= v <= info.max):
        for t in (
            np.array([0, bad, 0], dtype),
            np.array(bad, dtype),
            np.array([bad, 0], dtype)[::2],
        ):
            got = _unweighted_targets(t, C, -100)
            valid = t.min() >= 0 and t.max() < C
            assert (got is not None) == valid, (bad, t)
            if valid:
                assert got[0].dtype == np.int64 and np.array_equal(got[0], t)
                assert got[1] == float(t.size)


# ---- F.linear on a batch of rows: one Addmm node ------------------------------------------
def _linear_both(x, w, b, create_graph=False):
    """F.linear (the Addmm fast path) and the composition it replaces, on copies of the same
    leaves; returns (out, leaves) for each, after a backward when something requires grad."""
    import nn.functional as F

    results = []
    for fn in (F.linear, lambda x, w, b: autograd.matmul(x, w.t()) + b):
        leaves = [autograd.tensor(a.copy(), requires_grad=r) for a, r in (x, w, b)]
        out = fn(*leaves)
        if out.requires_grad:
            g = autograd.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape), dtype=out.dtype)
            (out * g).sum().backward(create_graph=create_graph)
        results.append((out, leaves))
    return results


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize(
    "needs", [(True, True, True), (False, True, True), (True, False, False), (False,) * 3]
)
@pytest.mark.parametrize("n, k, m", [(32, 30, 200), (1, 3, 4), (0, 3, 2), (5, 0, 2)])
def test_linear_addmm_matches_the_composition(dtype, needs, n, k, m):
    rng = np.random.default_rng(n + k + m)
    arrays = [rng.normal(size=s).astype(dtype) for s in ((n, k), (m, k), (m,))]
    (fast, fast_leaves), (ref, ref_leaves) = _linear_both(*zip(arrays, needs))
    assert fast._data.dtype == ref._data.dtype and fast.requires_grad == ref.requires_grad
    np.testing.assert_array_equal(fast._data, ref._data)  # bit for bit (same arithmetic)
    assert fast._version == ref._version == 0
    if fast.requires_grad:
        assert fast.grad_fn.name() == "AddmmBackward0" and ref.grad_fn.name() == "AddBackward0"
    for a, b in zip(fast_leaves, ref_leaves):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            _same_tensor(a.grad, b.grad)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("needs", [(True, True, True), (True, False, False), (False,) * 3])
@pytest.mark.parametrize(
    "shape, m", [((4, 8, 30), 20), ((2, 3, 4, 5), 6), ((0, 3, 4), 2), ((2, 3, 0), 2)]
)
def test_linear_on_a_stack_of_rows_matches_the_composition(dtype, needs, shape, m):
    # (..., in) input: viewed as one matrix of rows, one Addmm, viewed back, as torch
    # records it (ViewBackward0 <- AddmmBackward0 <- ViewBackward0)
    rng = np.random.default_rng(len(shape) + m)
    arrays = [rng.normal(size=s).astype(dtype) for s in (shape, (m, shape[-1]), (m,))]
    (fast, fast_leaves), (ref, ref_leaves) = _linear_both(*zip(arrays, needs))
    assert fast._data.dtype == ref._data.dtype and fast.requires_grad == ref.requires_grad
    assert fast.shape == ref.shape == shape[:-1] + (m,)
    np.testing.assert_array_equal(fast._data, ref._data)  # bit for bit (same arithmetic)
    assert fast._version == ref._version == 0
    if fast.requires_grad:
        assert fast.grad_fn.name() == "ViewBackward0"
        assert fast.grad_fn.next_functions[0][0].name() == "AddmmBackward0"
    for a, b in zip(fast_leaves, ref_leaves):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            _same_tensor(a.grad, b.grad)


def test_linear_on_a_stack_of_rows_has_torchs_graph():
    torch = pytest.importorskip("torch")
    import nn.functional as F

    x = autograd.randn(2, 3, 4, requires_grad=True)
    w, b = autograd.randn(5, 4, requires_grad=True), autograd.randn(5, requires_grad=True)
    tx, tw, tb = (torch.from_numpy(t._data.copy()).requires_grad_() for t in (x, w, b))
    ours, theirs = F.linear(x, w, b), torch.nn.functional.linear(tx, tw, tb)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    for a, t in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(a.grad._data, t.grad.numpy(), rtol=1e-5, atol=1e-6)
    # the input's view shares its version counter: an in-place change is still caught
    from autograd.errors import GraphError

    y = F.linear(x, w, b)
    with autograd.no_grad():
        x.add_(1.0)
    with pytest.raises(GraphError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("linear", ["addmm", "composition", "stack"])
def test_linear_weight_gradient_is_computed_in_the_weights_layout(linear):
    # the VJP hands the weight a fresh row-major array (g^T @ x, torch's order for a
    # transposed operand), which the engine adopts as .grad; (x^T @ g)^T, a transposed
    # view, needed a transposing copy into .grad
    import nn.functional as F
    from autograd.ops import xp

    rng = np.random.default_rng(3)
    shape = (4, 5, 3) if linear == "stack" else (5, 3)
    x = autograd.tensor(rng.normal(size=shape), requires_grad=True)
    w = autograd.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    b = autograd.tensor(rng.normal(size=4), requires_grad=True)
    out = F.linear(x, w, b) if linear == "addmm" else autograd.matmul(x, w.t())
    node = out.grad_fn
    g = rng.normal(size=out.shape)
    gw = node.op._vjp(node, [g], xp.NUMPY)[1]
    if linear != "addmm":  # the matmul's VJP for w.t(): then the transpose's
        assert gw.flags.f_contiguous and gw.base is not None and gw.base.flags.c_contiguous
        gw = gw.T
    else:
        assert gw.flags.c_contiguous and gw.base is None
    x2 = x._data.reshape(-1, 3)
    np.testing.assert_allclose(gw, g.reshape(-1, 4).T @ x2, rtol=1e-12)
    np.testing.assert_array_equal(gw, np.matmul(g.reshape(-1, 4).T, x2))  # that very order
    out.sum().backward()
    assert w.grad._data.flags.c_contiguous


def test_linear_addmm_in_no_grad_and_double_backward():
    import nn.functional as F

    rng = np.random.default_rng(1)
    x, w, b = (rng.normal(size=s) for s in ((4, 3), (2, 3), (2,)))
    with autograd.no_grad():
        out = F.linear(*(autograd.tensor(a, requires_grad=True) for a in (x, w, b)))
    assert out.grad_fn is None and not out.requires_grad
    # create_graph: the gradients are themselves differentiable, equal to the composition's
    (_, fast), (_, ref) = _linear_both((x, True), (w, True), (b, True), create_graph=True)
    for a, r in zip(fast, ref):
        np.testing.assert_array_equal(a.grad._data, r.grad._data)
    second = [autograd.grad(leaves[0].grad.sum(), leaves[1])[0] for leaves in (fast, ref)]
    np.testing.assert_array_equal(second[0]._data, second[1]._data)


def test_linear_addmm_sees_an_in_place_change_of_a_saved_input():
    import nn.functional as F
    from autograd.errors import GraphError

    for fn in (F.linear, lambda x, w, b: autograd.matmul(x, w.t()) + b):
        for changed in (0, 1):  # the input, then the weight (both saved for the VJP)
            leaves = [autograd.randn(*s, requires_grad=True) for s in ((3, 2), (4, 2), (4,))]
            y = fn(*leaves)
            with autograd.no_grad():
                leaves[changed].add_(1.0)
            with pytest.raises(GraphError, match="modified by an inplace operation"):
                y.sum().backward()


def test_linear_other_cases_keep_the_composition():
    import nn.functional as F

    w = autograd.randn(4, 3, requires_grad=True)
    b = autograd.randn(4, requires_grad=True)
    assert F.linear(autograd.randn(5, 2, 3), w, b).grad_fn.name() == "ViewBackward0"  # torch's
    assert F.linear(autograd.randn(3), w, b).grad_fn.name() == "AddBackward0"  # 1-D
    assert F.linear(autograd.randn(2, 3), w).grad_fn.name() == "MmBackward0"  # no bias
    x64 = autograd.randn(2, 3, dtype=autograd.float64)
    with pytest.raises(Exception) as fast_err:  # mixed dtypes: the matmul's error
        F.linear(x64, w, b)
    with pytest.raises(Exception) as ref_err:
        autograd.matmul(x64, w.t()) + b
    assert type(fast_err.value) is type(ref_err.value)
    assert str(fast_err.value) == str(ref_err.value)
    with pytest.raises(Exception, match="mat1 and mat2 shapes cannot be multiplied"):
        F.linear(autograd.randn(2, 5), w, b)
    # bfloat16 (the composition rounds after each op) and forward AD keep the composition
    bf = [t.detach().to(autograd.bfloat16) for t in (autograd.randn(2, 3), w, b)]
    assert not linalg.linear_as_addmm(*bf)
    import autograd.forward_ad as fwAD

    with fwAD.dual_level():
        x = fwAD.make_dual(autograd.randn(2, 3), autograd.randn(2, 3))
        assert not linalg.linear_as_addmm(x, w, b)
        assert F.linear(x, w, b).grad_fn.name() == "AddBackward0"


# ---- autograd.compile: the last call's entries, found without hashing the call key --------
def test_compiled_call_reuses_the_last_entries_until_the_key_or_reset_changes():
    f = autograd.compile(lambda x: (x * 3).sum(0))
    a, b = autograd.ones(2, 3), autograd.ones(4, 3)
    for x in (a, a, a, b, b, a, b):  # (repeated keys take the shortcut, new ones look up)
        np.testing.assert_array_equal(f(x)._data, (x * 3).sum(0)._data)
    assert f._traces == 2
    autograd.compiler.reset()  # the shortcut's entries are forgotten with the cache
    f(b)
    assert f._traces == 1 and f.plan is None


# ---- embedding's index check: one reduction, as min and max --------------------------------
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64])
@pytest.mark.parametrize("num", [1, 27, 300])
def test_embedding_rows_check_matches_min_max(dtype, num):
    from nn.functional._linear import _rows

    info = np.iinfo(dtype)
    for values in ([0], [num - 1], [num], [-1], [info.min], [info.max], [0, num - 1, 3]):
        idx = np.array([v for v in values if info.min <= v <= info.max], dtype)
        if not idx.size:
            continue
        wide = idx.astype(np.int64)  # (what _rows reads: uint64 above 2**63 wraps negative)
        if wide.min() < 0 or wide.max() >= num:
            bad = int(wide.min()) if wide.min() < 0 else int(wide.max())
            with pytest.raises(IndexError, match=f"embedding: index {bad} for a weight of"):
                _rows(idx, num)
        else:
            np.testing.assert_array_equal(_rows(idx, num), wide)
