"""Issue 17's eager fast paths in the situations their own tests do not reach, against torch.

The lean path (``function.lean_binary`` / ``lean_unary``), F.linear's ``Addmm`` on a stack of
rows and its weight gradient taken over as ``.grad``, layer_norm's flat parameter gradients,
MaxPool2d(2)'s kernel, conv2d's per-sample path and views of integer bases: each is run here
with double backward, hooks, in-place writes after use, forward-mode AD, strided inputs and
grad accumulation, and compared with torch (values to rounding, errors by their message).
"""

import numpy as np
import pytest

import autograd
import autograd.forward_ad as fwAD
import nn.functional as F

torch = pytest.importorskip("torch")
tF = torch.nn.functional


def ours(a, requires_grad=False):
    return autograd.tensor(np.array(a), requires_grad=requires_grad)


def theirs(a, requires_grad=False):
    return torch.tensor(np.array(a), requires_grad=requires_grad)


def close(a, b, tol=1e-12):
    a = a.detach().numpy() if isinstance(a, autograd.Tensor) else a
    b = b.detach().numpy()
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _lean_chain(x, y):
    # add/sub/mul of one shape and dtype, Python numbers, unary ops saving x (sin, log) or
    # y (exp, tanh, sigmoid): every case of the lean path
    return ((x * y * x).sin().exp() + (x - y).tanh().sigmoid() * 2.0 + (x + 1).log()).sum()


def test_lean_path_double_backward_matches_torch():
    rng = np.random.default_rng(0)
    xa, ya = np.abs(rng.standard_normal(5)) + 0.5, rng.standard_normal(5)
    grads = []
    for lib, make in ((autograd, ours), (torch, theirs)):
        x, y = make(xa, True), make(ya, True)
        gx, gy = lib.autograd.grad(_lean_chain(x, y), (x, y), create_graph=True)
        (gx * gy).sum().backward()
        grads.append((gx, gy, x.grad, y.grad))
    for a, b in zip(*grads):
        close(a, b, 1e-10)


@pytest.mark.parametrize(
    "make, written",
    [
        (lambda x, y: x * y, "x"),  # Mul saves both inputs
        (lambda x, y: x.exp(), "out"),  # Exp saves its output
        (lambda x, y: x.sin(), "x"),  # Sin saves its input
    ],
    ids=["mul", "exp", "sin"],
)
def test_lean_path_in_place_after_use_raises_torchs_error(make, written):
    messages = []
    for make_t in (ours, theirs):
        a = make_t(np.arange(1.0, 4.0), True)
        x, y = a * 1.0, a * 2.0
        out = make(x, y)
        (x if written == "x" else out).mul_(3.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
            out.sum().backward()
        messages.append(str(info.value).split(" Hint:")[0])  # (the hint names each library)
    assert messages[0] == messages[1].replace("torch.", "autograd.")


def test_lean_mul_by_a_number_saves_no_input():
    # y = x * 3.0 needs only the constant: writing into x afterwards is no error (as in torch)
    grads = []
    for make in (ours, theirs):
        a = make(np.arange(3.0), True)
        x = a * 1.0
        y = x * 3.0
        x.mul_(2.0)
        y.sum().backward()
        grads.append(a.grad)
    close(*grads)


def test_lean_path_hooks_and_retain_grad_match_torch():
    rng = np.random.default_rng(1)
    xa, ya = rng.standard_normal(4), rng.standard_normal(4)
    runs = []
    for make in (ours, theirs):
        x, y = make(xa, True), make(ya, True)
        seen = []
        x.register_hook(lambda g: g * 2)
        z = x * y
        z.register_hook(lambda g: seen.append(g.clone()) or g + 1)
        w = z.exp()
        w.retain_grad()
        y.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone()))
        (w * w).sum().backward()
        runs.append([x.grad, y.grad, w.grad] + seen)
    assert len(runs[0]) == len(runs[1]) == 5
    for a, b in zip(*runs):
        close(a, b)


@pytest.mark.parametrize(
    "xa, ya",
    [
        (np.array(2.0, np.float32), np.array([1.0, 2.0], np.float32)),  # 0-d with 1-d
        (np.array([1.0], np.float32), np.array([[1.0], [2.0]], np.float32)),  # broadcast
        (np.array([1, 2], np.int64), np.array([1.5, 2.5], np.float32)),  # int + float
        (np.array([1.0, 2.0], np.float32), np.array([1.5, 2.5], np.float64)),  # f32 + f64
        (np.array([True, False]), np.array([1.5, 2.5], np.float32)),  # bool + float
        (np.array([True, False]), np.array([True, True])),  # bool + bool (same dtype)
        (np.array([200, 2], np.uint8), np.array([100, 4], np.uint8)),  # wraps as torch
        (np.array([1.0, 2.0], np.float16), np.array([3.0, 4.5], np.float16)),
        (np.array(3.0), np.array(4.0)),  # two 0-d tensors (NumPy returns a scalar)
        (np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32)),
    ],
)
def test_lean_binary_falls_back_or_matches_torch(xa, ya):
    for op in ("__add__", "__sub__", "__mul__"):
        if op == "__sub__" and np.bool_ in (xa.dtype.type, ya.dtype.type):
            continue  # (refused by both, tested elsewhere)
        got, want = getattr(ours(xa), op)(ours(ya)), getattr(theirs(xa), op)(theirs(ya))
        assert type(got._data) is np.ndarray
        close(got, want, 0)


def test_transposed_weight_gradient_taken_as_grad_aliases_nothing():
    """Addmm's weight gradient g^T @ x becomes w.grad without a copy: no hook's tensor, kept
    tensor or second use of the weight may share that memory."""
    rng = np.random.default_rng(2)
    xa, wa, ba = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    x, b = ours(xa, True), ours(ba, True)
    w = ours(wa, True)
    kept = autograd.ones(5, 4, dtype=autograd.float64)
    w.register_hook(lambda g: kept)  # the hook's result is the user's tensor: copied
    F.linear(x, w, b).sum().backward()
    w.grad._data += 5.0
    np.testing.assert_array_equal(kept.numpy(), np.ones((5, 4)))
    seen = []
    w = ours(wa, True)
    w.register_hook(seen.append)  # a hook keeps the gradient it saw: copied
    F.linear(x, w, b).sum().backward()
    before = seen[0].numpy().copy()
    w.grad._data += 1.0
    np.testing.assert_array_equal(seen[0].numpy(), before)
    # accumulation into an existing .grad: in place, the same tensor
    w = ours(wa, True)
    F.linear(x, w, b).sum().backward()
    grad, first = w.grad, w.grad.numpy().copy()
    F.linear(x, w, b).sum().backward()
    assert w.grad is grad
    np.testing.assert_array_equal(w.grad.numpy(), 2 * first)


def test_linear_weight_used_twice_with_retain_graph_matches_torch():
    rng = np.random.default_rng(3)
    xa, wa, ba = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)
    runs = []
    for make, lin in ((ours, F.linear), (theirs, tF.linear)):
        x, w, b = make(xa, True), make(wa, True), make(ba, True)
        y = lin(lin(x, w, b), w, b) + x @ w.t()
        y.sum().backward(retain_graph=True)
        first = w.grad.clone()
        y.sum().backward()
        runs.append((first, w.grad, b.grad, x.grad))
    for a, b in zip(*runs):
        close(a, b)


def test_linear_on_a_stack_of_rows_matches_torch_beyond_first_order():
    """ViewBackward0 <- AddmmBackward0: double backward, in-place writes into the viewed
    result, and forward-mode AD (which takes the composition) agree with torch."""
    rng = np.random.default_rng(4)
    xa, wa, ba = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    runs = []
    for lib, make, lin in ((autograd, ours, F.linear), (torch, theirs, tF.linear)):
        x, w, b = make(xa, True), make(wa, True), make(ba, True)
        y = lin(x, w, b)
        gx, gw = lib.autograd.grad((y * y).sum(), (x, w), create_graph=True)
        (gw.sin().sum() + (gx * gx).sum()).backward()
        x2, w2, b2 = make(xa, True), make(wa, True), make(ba, True)
        y2 = lin(x2, w2, b2)
        y2.mul_(2.0)
        y2[0].add_(1.0)
        (y2 * y2).sum().backward()
        runs.append((y.grad_fn.name(), gx, gw, x.grad, w.grad, x2.grad, w2.grad, b2.grad))
    assert runs[0][0] == runs[1][0] == "ViewBackward0"
    for a, b in zip(runs[0][1:], runs[1][1:]):
        close(a, b, 1e-10)
    ta = rng.standard_normal(xa.shape)
    with fwAD.dual_level():
        x = fwAD.make_dual(ours(xa), ours(ta))
        tangent = fwAD.unpack_dual(F.linear(x, ours(wa), ours(ba))).tangent
    with torch.autograd.forward_ad.dual_level():
        x = torch.autograd.forward_ad.make_dual(theirs(xa), theirs(ta))
        want = torch.autograd.forward_ad.unpack_dual(tF.linear(x, theirs(wa), theirs(ba)))
    close(tangent, want.tangent)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_parameters_used_twice_match_torch(dtype):
    # the kernel's flat weight/bias gradients become .grad as they are: a second use of the
    # parameters and a second backward add into them
    rng = np.random.default_rng(5)
    xa = rng.standard_normal((4, 8)).astype(dtype)
    wa, ba = rng.standard_normal(8).astype(dtype), rng.standard_normal(8).astype(dtype)
    runs = []
    for make, ln in ((ours, F.layer_norm), (theirs, tF.layer_norm)):
        x, w, b = make(xa, True), make(wa, True), make(ba, True)
        for _ in range(2):
            y = ln(ln(x, (8,), w, b), (8,), w, b)
            (y * y).sum().backward()
        runs.append((x.grad, w.grad, b.grad))
    for a, b in zip(*runs):
        close(a, b, 1e-4 if dtype == np.float32 else 1e-10)


def _pool_input(dtype):
    x = np.random.default_rng(6).standard_normal((2, 3, 6, 7)).astype(dtype)
    x[0, 0, 0, :2] = np.nan  # two NaNs in one window: the last one wins, as in torch
    x[0, 1, :2, :2] = -np.inf  # a window of -inf only: its first position
    x[1, 0, 2:4, 2:4] = 1.0  # ties: the first position
    x[1, 2, 4, 5] = np.inf
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "reversed"])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool_2x2_matches_torch_on_nan_inf_ties_and_strides(dtype, layout, ceil_mode):
    x = _pool_input(dtype)
    x = {"contiguous": x, "transposed": x.transpose(0, 1, 3, 2), "reversed": x[..., ::-1]}[layout]
    a, t = ours(x, True), theirs(np.ascontiguousarray(x), True)
    y, idx = F.max_pool2d(a, 2, ceil_mode=ceil_mode, return_indices=True)
    ty, tidx = tF.max_pool2d(t, 2, ceil_mode=ceil_mode, return_indices=True)
    close(y, ty, 0)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    y.sum().backward()
    ty.sum().backward()
    close(a.grad, t.grad, 0)


def test_conv2d_per_sample_path_matches_torch_with_retain_graph_and_forward_ad():
    """conv2d's per-sample path (more than 64 output positions), where this session kept
    the windows for the weight gradient for a while: a second backward through the graph
    and forward AD agree with torch."""
    rng = np.random.default_rng(7)
    xa, wa = rng.standard_normal((3, 4, 12, 12)), rng.standard_normal((6, 2, 3, 3))
    ba = rng.standard_normal(6)
    g = rng.standard_normal((3, 6, 6, 6))
    runs = []
    for make, conv in ((ours, F.conv2d), (theirs, tF.conv2d)):
        for needs_x in (False, True):
            x, w, b = make(xa, needs_x), make(wa, True), make(ba, True)
            y = conv(x, w, b, stride=2, padding=1, groups=2)
            y.backward(make(g), retain_graph=True)
            y.backward(make(g))
            runs.append((y, w.grad, b.grad) + ((x.grad,) if needs_x else ()))
    for a, b in zip(runs[0] + runs[1], runs[2] + runs[3]):
        close(a, b, 1e-10)
    ta = rng.standard_normal(xa.shape)
    with fwAD.dual_level():
        w = ours(wa, True)
        x = fwAD.make_dual(ours(xa), ours(ta))
        tangent = fwAD.unpack_dual(F.conv2d(x, w, padding=1, groups=2)).tangent
    with torch.autograd.forward_ad.dual_level():
        x = torch.autograd.forward_ad.make_dual(theirs(xa), theirs(ta))
        want = torch.autograd.forward_ad.unpack_dual(tF.conv2d(x, theirs(wa), padding=1, groups=2))
    close(tangent, want.tangent, 1e-10)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_views_of_integer_bases_see_in_place_writes_as_torch(dtype):
    # such views are not listed in the base's _views: writes through the base, the view and
    # a view of the view still reach each other, with one version counter
    data = np.arange(10).astype(dtype)
    results = []
    for make in (ours, theirs):
        base = make(data)
        v = base[2:8]
        vv = v[1:4]
        if dtype is np.bool_:
            base.logical_not_()
            vv.logical_not_()
        else:
            base.add_(100)
            vv.mul_(2)
        results.append((base.clone(), v.clone(), vv.clone(), base._version, vv._version))
    for a, b in zip(results[0][:3], results[1][:3]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert results[0][3:] == results[1][3:] == (2, 2)


@pytest.mark.parametrize("where", ["view", "view of a view", "base"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_integer_tensor_written_from_a_tensor_that_requires_grad_matches_torch(where, dtype):
    """An integer or bool tensor records nothing: copy_/setitem of a float tensor that
    requires grad cast into it as outside grad mode (was: a TypeError from regenerating the
    views an integer base does not list), and add_ refuses the float result as torch does
    (was: silently truncated)."""
    for lib in (autograd, torch):
        base = lib.zeros(4, dtype=getattr(lib, dtype))
        target = {"view": base[1:3], "view of a view": base[0:3][1:3], "base": base[1:3]}[where]
        src = lib.ones(2, dtype=lib.float64, requires_grad=True) * 2.5
        if where == "base":
            base[1:3] = src
        else:
            target.copy_(src)
        assert not base.requires_grad and base.grad_fn is None and target.grad_fn is None
        assert base._version == target._version == 1
        want = [False, True, True, False] if dtype == "bool" else [0, 2, 2, 0]
        assert base.tolist() == want
        if dtype == "int64":
            with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
                target.add_(src)
            with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
                base.mul_(lib.ones(4, dtype=lib.float64, requires_grad=True))
            assert base.tolist() == want


@pytest.mark.parametrize("op", ["masked_fill_", "index_fill_", "setitem"])
def test_integer_view_filled_from_a_scalar_that_requires_grad_matches_torch(op):
    # (each raised TypeError before: the integer base was rebased as if it recorded)
    results = []
    for lib in (autograd, torch):
        base = lib.arange(4)
        view = base[1:3]
        value = lib.tensor(2.5, dtype=lib.float64, requires_grad=True) * 1
        if op == "masked_fill_":
            view.masked_fill_(lib.tensor([True, False]), value)
        elif op == "index_fill_":
            view.index_fill_(0, lib.tensor([1]), value)
        else:
            view[0] = value
        if lib is autograd:  # (torch marks such an integer view as requiring grad)
            assert view.grad_fn is None and not base.requires_grad
        results.append((base.tolist(), base._version))
    assert results[0] == results[1]
