"""In-place writes through views, and views of tensors modified in place (PyTorch's
CopySlices behaviour): the base's gradient history follows the write, and every view's
history follows its base. Gradients are compared with PyTorch where it is installed.
"""

import numpy as np
import pytest

import autograd
from autograd.ops import REGISTRY


def _torch():
    return pytest.importorskip("torch")


# Each case is written once and run on both libraries: ``lib`` is ``autograd`` or ``torch``,
# ``b`` a non-leaf (4, 5) tensor computed from the leaf ``a``, ``w`` a (4, 5) leaf that
# requires grad. A case modifies views of ``b`` in place and returns the tensor to
# differentiate (default: ``b`` itself).
CASES = {
    "index_mul": lambda lib, b, w: b[1].mul_(3),
    "slice_step_add": lambda lib, b, w: b[:, ::2].add_(w[:, :3]),
    "select_copy": lambda lib, b, w: b.select(1, 2).copy_(w[:, 0]),
    "transpose_mul": lambda lib, b, w: b.t().mul_(w.t()),
    "narrow_clamp": lambda lib, b, w: b.narrow(0, 1, 2).clamp_(-1.0, 3.0),
    "view_slice_fill": lambda lib, b, w: b.view(20)[3:7].fill_(2.0),
    "reshape_row_copy": lambda lib, b, w: b.reshape(2, 10)[1].copy_(w.reshape(20)[:10]),
    "diagonal_mul": lambda lib, b, w: b.diagonal().mul_(w.diagonal()),
    "diagonal_offset_zero": lambda lib, b, w: b.diagonal(1).zero_(),
    "setitem_on_view": lambda lib, b, w: b[1:3].__setitem__((slice(None), 1), w[0, :2]),
    "setitem_scalar_on_view": lambda lib, b, w: b[:, 1:].__setitem__(0, 7.0),
    "chain_of_views": lambda lib, b, w: b[1:][:, 2:].t().mul_(w[:3, :3]),
    "unsqueeze_permute": lambda lib, b, w: b.unsqueeze(0).permute(2, 0, 1)[1].add_(w[:, 0]),
    "squeeze_view": lambda lib, b, w: b[1:2].squeeze(0).mul_(w[2]),
    "fill_with_grad_value": lambda lib, b, w: b[0].fill_(w[0, 0]),
    "zero_scalar_view": lambda lib, b, w: b[2, 3].zero_(),
    "exp_saves_output": lambda lib, b, w: b[0].exp_(),
    "two_writes": lambda lib, b, w: (b[0].mul_(w[0]), b[:, 0].add_(w[:, 1])),
    "iadd_operator": lambda lib, b, w: b[1:3].__iadd__(w[1:3]),
}


def _use_old_view(lib, b, w):
    """The reverse direction: a view taken before its base is modified in place."""
    v = b[1]
    b.mul_(w)
    return v


def _sibling_view(lib, b, w):
    """A write through one view changes the history of another, overlapping one."""
    v1, v2 = b[0:2], b[1:3]
    v1.mul_(w[0:2])
    return v2


def _view_of_view_then_base(lib, b, w):
    v = b.t()[2]
    b[:, 2] = w[0, :4]
    return v * v


CASES.update(
    {
        "use_old_view": _use_old_view,
        "sibling_view": _sibling_view,
        "view_of_view_then_base_setitem": _view_of_view_then_base,
    }
)


# cases that return the tensor to differentiate (the others: differentiate ``b``)
_RETURNS_TARGET = {"use_old_view", "sibling_view", "view_of_view_then_base_setitem"}


def _run(lib, name, a_arr, w_arr, c_arr):
    a = lib.tensor(a_arr, requires_grad=True)
    w = lib.tensor(w_arr, requires_grad=True)
    b = a * 2 + 1
    out = CASES[name](lib, b, w)
    target = out if name in _RETURNS_TARGET else b
    c = lib.tensor(c_arr.reshape(-1)[: target.numel()].reshape(target.shape))
    (target * c).sum().backward()
    grads = [None if t.grad is None else t.grad.numpy().copy() for t in (a, w)]
    return b.detach().numpy().copy(), grads


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    torch = _torch()
    rng = np.random.default_rng(0)
    a_arr, w_arr, c_arr = (rng.normal(size=(4, 5)) for _ in range(3))
    ours_val, ours_grads = _run(autograd, name, a_arr, w_arr, c_arr)
    theirs_val, theirs_grads = _run(torch, name, a_arr, w_arr, c_arr)
    np.testing.assert_allclose(ours_val, theirs_val, rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(ours_grads, theirs_grads):
        if theirs is None:
            assert ours is None or not ours.any()
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_write_through_view_rebases_the_base():
    a = autograd.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = a * 2
    v = b[1:3]
    v.mul_(3)
    assert b.grad_fn.name() == "CopySlices"
    assert v._base is b and v._is_view() and b._base is None
    b.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 6.0, 6.0, 2.0])


def test_view_history_is_regenerated_from_the_base():
    a = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    v = b[0:2]
    b.mul_(3)
    assert v.grad_fn.next_functions[0][0] is b.grad_fn
    v.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [6.0, 6.0, 0.0])


def test_base_without_grad_gets_history_from_value():
    """``out = zeros(n); out[i:j].copy_(w)``: the base starts needing grad (torch too)."""
    w = autograd.tensor([1.0, 2.0], requires_grad=True)
    z = autograd.zeros(4)
    z[1:3].copy_(w * 10)
    assert z.requires_grad and z.grad_fn.name() == "CopySlices"
    (z * autograd.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [10.0, 20.0])


def test_view_of_plain_base_follows_base_modified_with_grad_value():
    b = autograd.zeros(3)
    v = b[0:2]
    w = autograd.ones(3, requires_grad=True)
    b.copy_(w)
    assert v.requires_grad
    v.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0, 0.0])


def test_double_backward_through_copy_slices():
    torch = _torch()
    res = []
    for lib in (autograd, torch):
        a = lib.tensor([0.5, -1.0, 2.0, 1.5], dtype=lib.float64, requires_grad=True)
        b = a * a
        b[1:3].mul_(b[0:2].detach() + a[1:3])
        b[0].copy_(a[3] ** 3)
        y = (b * b).sum()
        (g,) = (
            lib.autograd.grad(y, a, create_graph=True)
            if lib is torch
            else autograd.grad(y, a, create_graph=True)
        )
        (gg,) = lib.autograd.grad(g.sum(), a) if lib is torch else autograd.grad(g.sum(), a)
        res.append((g.detach().numpy(), gg.detach().numpy()))
    for ours, theirs in zip(*res):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_gradcheck_through_view_write():
    def f(a, w):
        b = a * 1.5
        b[1:, ::2].mul_(w)
        b.diagonal().add_(w[0, :2].sum())
        return b.sin()

    rng = np.random.default_rng(1)
    a = autograd.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    w = autograd.tensor(rng.normal(size=(2, 2)), requires_grad=True)
    assert autograd.gradcheck(f, (a, w))
    assert autograd.gradgradcheck(f, (a, w))


# ---- torch's refusals --------------------------------------------------------------------
def test_view_of_leaf_cannot_be_modified_in_place():
    a = autograd.ones(3, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="a view of a leaf Variable that requires grad is "
        "being used in an in-place operation.",
    ):
        a[0:2].mul_(2)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        a[0].copy_(autograd.tensor(2.0))
    m = autograd.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        m.t()[1] = 3.0
    with autograd.no_grad():  # allowed without recording (an optimizer step)
        a[0:2].mul_(2)
    np.testing.assert_array_equal(a.detach().numpy(), [2.0, 2.0, 1.0])


@pytest.mark.parametrize("requires_grad_base", [True, False])
def test_view_made_in_no_grad_cannot_be_modified_with_grad(requires_grad_base):
    a = autograd.ones(3, requires_grad=True)
    b = a * 2 if requires_grad_base else autograd.ones(3)
    with autograd.no_grad():
        v = b[0:2]
    with pytest.raises(
        RuntimeError,
        match="A view was created in no_grad mode and is being "
        "modified inplace with grad mode enabled",
    ):
        v.copy_(a[1:])
    with autograd.no_grad():
        v.mul_(2)  # both in no_grad: fine
    assert b.detach().numpy()[0] in (4.0, 2.0)


def test_plain_view_in_place_without_grad_just_writes():
    b = autograd.ones(3)
    with autograd.no_grad():
        v = b[0:2]
    v.mul_(2)  # nothing requires grad: no error, like torch
    np.testing.assert_array_equal(b.numpy(), [2.0, 2.0, 1.0])
    assert b.grad_fn is None and not b.requires_grad


def test_expanded_view_cannot_be_written():
    b = autograd.ones(3, 1, requires_grad=True) * 2
    with pytest.raises(
        RuntimeError,
        match="more than one element of the written-to tensor refers to a single memory location",
    ):
        b.expand(3, 4).mul_(2)


# ---- which ops are views -----------------------------------------------------------------
_VIEW_OPS = {
    "expand",
    "broadcast_to",
    "expand_as",
    "reshape",
    "view",
    "flatten",
    "unflatten",
    "linalg.diagonal",
    "permute",
    "transpose",
    "t",
    "movedim",
    "unsqueeze",
    "squeeze",
    "select",
    "narrow",
    "diagonal",
    "getitem",
    "split",
    "chunk",
    "unbind",
    "tensor_split",
    "meshgrid",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_tensors",
    "ravel",
    "hsplit",
    "vsplit",
    "dsplit",
    "split_with_sizes",
}


def _sample_cases():
    for name in sorted(REGISTRY):
        for k, s in enumerate(REGISTRY[name].samples(np.random.default_rng(0))):
            yield pytest.param(name, k, id=f"{name}-{k}")


@pytest.mark.parametrize("name,k", list(_sample_cases()))
def test_only_view_ops_share_memory_with_their_input(name, k):
    """An op that is a copy in torch must not return NumPy views of its input (a later
    in-place write would reach the input); a view op's result is marked as a view."""
    info = REGISTRY[name]
    sample = info.samples(np.random.default_rng(0))[k]
    args = [autograd.tensor(a) if isinstance(a, np.ndarray) else a for a in sample.args]
    outs = info.fn(*args, **sample.kwargs)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    inputs = [a for a in args if isinstance(a, autograd.Tensor)]
    for out in outs:
        if not isinstance(out, autograd.Tensor) or any(out is x for x in inputs):
            continue
        shared = any(np.shares_memory(out._data, x._data) for x in inputs)
        if name not in _VIEW_OPS:
            assert not shared, f"{name} returned a view of its input"
        elif shared:
            assert out._base is not None and any(out._base is x for x in inputs)


def test_view_ops_share_the_version_counter():
    b = autograd.ones(2, 3, requires_grad=True) * 1.0
    y = b.unsqueeze(0).reshape(6)
    assert b.t().reshape(6)._base is None  # NumPy had to copy: not a view (torch neither)
    assert b.unsqueeze(0)._version == b.reshape(6)._version == b.diagonal()._version == 0
    z = y * y  # saves y
    b.add_(1)
    assert y._version == b._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_flip_is_a_copy():
    x = autograd.arange(3.0)
    y = x.flip(0)
    y.add_(10)
    np.testing.assert_array_equal(x.numpy(), [0.0, 1.0, 2.0])


def test_integer_index_of_1d_is_a_view():
    b = autograd.zeros(3)
    b[1].add_(5)
    np.testing.assert_array_equal(b.numpy(), [0.0, 5.0, 0.0])
    assert b[1]._base is b


def test_view_references_do_not_pile_up():
    b = autograd.ones(100, requires_grad=True) * 2
    for i in range(5000):
        _ = b[i % 100]
    assert len(b._views) < 100
    keep = [b[i] for i in range(100)]
    for i in range(1000):
        _ = b[i % 100]
    assert 100 <= len(b._views) < 400
    del keep


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_no_views_recorded_for_integer_or_bool_bases(dtype):
    """No in-place op gives an integer or bool tensor a grad_fn, so its views (``for i in
    index_tensor``) never need regenerating: none is recorded. They still share its data and
    its version counter."""
    b = autograd.zeros(4, dtype=dtype)
    pieces = list(b)
    assert b._views is None
    assert pieces[1]._base is b and pieces[1]._version == b._version
    b.add_(1) if dtype == "int64" else b.logical_not_()
    assert pieces[1].item() == 1 and pieces[1]._version == b._version == 1
    f = autograd.zeros(4)  # a float base keeps them (it may be written with a gradient later)
    kept = list(f)
    assert len(f._views) == 4
    del kept


def test_no_views_recorded_for_leaf_requiring_grad():
    """A leaf that requires grad can never be rebased, so its views are not tracked."""
    p = autograd.ones(4, requires_grad=True)
    for i in range(4):
        _ = p[i]
    assert p._views is None


# ---- random chains of views, against torch -------------------------------------------------
def _random_program(rng):
    """A list of (view op, args) to apply to a (4, 5, 3) tensor, an in-place op, and whether
    the base is then modified too; every choice is valid for the shapes it meets."""
    shape, views = [4, 5, 3], []
    for _ in range(rng.integers(1, 4)):
        kinds = ["select", "narrow", "step", "unsqueeze"] + (
            ["transpose", "diagonal"] if len(shape) >= 2 else []
        )
        kind = kinds[rng.integers(len(kinds))]
        if kind != "unsqueeze" and (not shape or min(shape) == 0):
            break
        d = int(rng.integers(len(shape))) if shape else 0
        if kind == "select":
            views.append((kind, (d, int(rng.integers(shape[d])))))
            shape.pop(d)
        elif kind == "narrow":
            start = int(rng.integers(shape[d]))
            length = int(rng.integers(1, shape[d] - start + 1))
            views.append((kind, (d, start, length)))
            shape[d] = length
        elif kind == "step":
            views.append((kind, (d, 2)))
            shape[d] = (shape[d] + 1) // 2
        elif kind == "unsqueeze":
            d = int(rng.integers(len(shape) + 1))
            views.append((kind, (d,)))
            shape.insert(d, 1)
        elif kind == "transpose":
            e = int(rng.integers(len(shape)))
            views.append((kind, (d, e)))
            shape[d], shape[e] = shape[e], shape[d]
        else:
            views.append((kind, ()))
            n = min(shape[0], shape[1])
            shape = shape[2:] + [n]
    op = ["mul_", "add_", "copy_", "zero_", "fill_", "clamp_", "setitem"][rng.integers(7)]
    return views, op, bool(rng.integers(2))


def _apply_view(t, kind, args):
    if kind == "select":
        return t.select(*args)
    if kind == "narrow":
        return t.narrow(*args)
    if kind == "step":
        d, step = args
        return t[(slice(None),) * d + (slice(None, None, step),)]
    if kind == "unsqueeze":
        return t.unsqueeze(*args)
    if kind == "transpose":
        return t.transpose(*args)
    return t.diagonal()


def _run_program(lib, program, arrays):
    views, op, then_base = program
    a_arr, w_arr, c_arr = arrays
    a = lib.tensor(a_arr, requires_grad=True)
    w = lib.tensor(w_arr, requires_grad=True)
    b = a * 2 + 1
    v = b
    for kind, args in views:
        v = _apply_view(v, kind, args)
    wv = w[: v.numel()].reshape(v.shape)
    if op in ("mul_", "add_", "copy_"):
        getattr(v, op)(wv)
    elif op == "zero_":
        v.zero_()
    elif op == "fill_":
        v.fill_(1.5)
    elif op == "clamp_":
        v.clamp_(-2.0, 2.0)
    else:
        v[...] = wv
    if then_base:
        b.mul_(w[:60].reshape(4, 5, 3))
    loss = (b * lib.tensor(c_arr)).sum() + (v * v).sum()
    loss.backward()
    return [b.detach().numpy().copy()] + [
        np.zeros(t.shape) if t.grad is None else t.grad.numpy().copy() for t in (a, w)
    ]


@pytest.mark.parametrize("seed", range(40))
def test_random_view_chains_match_torch(seed):
    torch = _torch()
    rng = np.random.default_rng(seed)
    program = _random_program(rng)
    arrays = (rng.normal(size=(4, 5, 3)), rng.normal(size=60), rng.normal(size=(4, 5, 3)))
    ours = _run_program(autograd, program, arrays)
    theirs = _run_program(torch, program, arrays)
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12, err_msg=str(program))


def test_mul_saves_only_what_the_gradient_needs():
    # like torch: y = x * c keeps c (for dy/dx), not x, so changing x afterwards is fine;
    # before the fix Mul saved both and backward raised "modified by an inplace operation"
    torch = pytest.importorskip("torch")
    for lib in (autograd, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        x = w * 1.0
        y = x * 2 + x * lib.tensor([3.0, 4.0])
        x.add_(1)
        y.sum().backward()
        assert w.grad.tolist() == [5.0, 6.0]
    w = autograd.tensor([1.0, 2.0], requires_grad=True)
    x = w * 1.0
    y = x * x  # both factors needed: the check still fires
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_shuffles_copy_even_when_a_view_would_do():
    """torch's pixel/channel shuffles always return new memory; with a factor of 1 (or one
    pixel per block) our reshapes alone would return a view of the input."""
    x = autograd.randn(1, 4, 2, 2)
    before = x.numpy().copy()
    for out in (
        autograd.pixel_shuffle(x, 1),
        autograd.pixel_unshuffle(x, 1),
        autograd.pixel_unshuffle(x[:, :1], 2),
        autograd.channel_shuffle(x, 1),
        autograd.channel_shuffle(x, 4),
    ):
        assert out._base is None
        out.add_(1.0)
    np.testing.assert_array_equal(x.numpy(), before)


# ---- t_ / transpose_ / swapaxes_ / swapdims_ (in-place view ops) -----------------------------
_A = np.arange(6.0).reshape(2, 3)
_W = np.arange(6.0).reshape(3, 2) + 1

# each case runs on both libraries and returns what must agree (tensors, numbers, names)
_TRANSPOSE_CASES = {
    "non_leaf": """
x = lib.tensor(A, requires_grad=True); y = x * 1; v0 = y._version; r = y.METHOD
name = type(r.grad_fn).__name__ if lib.__name__ == "torch" else r.grad_fn.name()
(y * lib.tensor(W)).sum().backward()
out = [r is y, y, y._version - v0, name, x.grad, y.is_contiguous(), y.stride()]""",
    "no_grad_leaf": """
x = lib.tensor(A, requires_grad=True)
with lib.no_grad():
    x.METHOD
out = [x, x.requires_grad, x.grad_fn is None, x._version]""",
    "view_then_write": """
z = lib.tensor(A); v = z[:, :2]; v.METHOD; v[0, 1] = 100.0
out = [z, v, z._version]""",
    "view_of_non_leaf": """
x = lib.tensor(A, requires_grad=True); y = x * 2; v = y[:, :2]; v.METHOD
v.mul_(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
(y * lib.tensor(A)).sum().backward()
out = [y, v, x.grad]""",
    "earlier_views_follow": """
x = lib.tensor(A, requires_grad=True); y = x * 2; w = y[0]; u = y.t(); y.METHOD
w.add_(1.0); u.mul_(2.0)
(y * lib.tensor(W)).sum().backward()
out = [y, w, u, x.grad]""",
    "twice": """
x = lib.tensor(A, requires_grad=True); y = x * 2; y.METHOD; y.METHOD
(y * lib.tensor(A)).sum().backward()
out = [y, x.grad, y._version]""",
}


@pytest.mark.parametrize(
    "method", ["t_()", "transpose_(0, 1)", "swapaxes_(1, 0)", "swapdims_(-1, -2)"]
)
@pytest.mark.parametrize("case", sorted(_TRANSPOSE_CASES))
def test_in_place_transposes_match_torch(method, case):
    torch = _torch()
    results = []
    for lib in (torch, autograd):
        env = {"lib": lib, "A": _A, "W": _W}
        exec(_TRANSPOSE_CASES[case].replace("METHOD", method), env)
        results.append(env["out"])
    for theirs, ours in zip(*results):
        if isinstance(theirs, torch.Tensor):
            assert tuple(ours.shape) == tuple(theirs.shape)
            np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        else:
            assert ours == (tuple(theirs) if isinstance(theirs, tuple) else theirs)


def test_in_place_transposes_errors_and_checks_like_torch():
    for method in ("t_", "transpose_", "swapaxes_", "swapdims_"):
        args = () if method == "t_" else (0, 1)
        x = autograd.zeros(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            getattr(x, method)(*args)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            getattr(x[:, :2], method)(*args)
        assert x.shape == (2, 3) and x._version == 0
        # a node that saved the old tensor sees the version change, as in torch
        y = x * 1
        p = y * y
        getattr(y, method)(*args)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            p.sum().backward()
    with pytest.raises(RuntimeError, match="t_\\(\\) expects a tensor with <= 2 dimensions"):
        autograd.zeros(2, 3, 4).t_()
    with pytest.raises(IndexError, match="Dimension out of range"):
        autograd.zeros(2, 3).transpose_(0, 2)
    y = autograd.tensor([1.0, 2.0], requires_grad=True) * 1
    assert y.t_().shape == (2,) and y.grad_fn.name() == "TBackward1"  # (a node all the same)
    z = autograd.zeros(2, 3, 4, requires_grad=True) * 1
    assert z.transpose_(0, 2).shape == (4, 3, 2) and z.grad_fn.name() == "TransposeBackward1"


def test_in_place_transpose_carries_the_forward_tangent():
    fwAD = autograd.forward_ad
    with fwAD.dual_level():
        y = fwAD.make_dual(autograd.tensor(_A), autograd.tensor(_A) * 10) * 1
        y.t_()
        tangent = fwAD.unpack_dual(y).tangent
    np.testing.assert_array_equal(tangent.numpy(), _A.T * 10)


def test_detach_in_place_of_a_view_is_refused_like_torch():
    # detach_() of a view cut it off its base silently; torch refuses it for every view
    torch = pytest.importorskip("torch")
    for make in (
        lambda lib: (lib.ones(3, 4, requires_grad=True) * 2)[0],
        lambda lib: lib.ones(3, 4)[0],
        lambda lib: (lib.ones(3, 4, requires_grad=True) * 2).reshape(12),
        lambda lib: lib.arange(6)[1:],
    ):
        messages = []
        for lib in (autograd, torch):
            with pytest.raises(RuntimeError) as e:
                make(lib).detach_()
            messages.append(str(e.value))
        assert messages[0] == messages[1]
    y = autograd.ones(3, requires_grad=True) * 2  # (not a view: detached in place)
    assert y.detach_() is y and not y.requires_grad and y.grad_fn is None
