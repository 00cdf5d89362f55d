"""The backward engine: graph shapes, memory, hooks, custom Functions, grad mode, errors."""

import gc
import sys
import threading
import weakref
import warnings

import numpy as np
import pytest

import autograd
from autograd import Tensor


def leaf(values, dtype=autograd.float64):
    return autograd.tensor(values, dtype=dtype, requires_grad=True)


# ---- graph shapes ----------------------------------------------------------------------
def test_diamond_graph_accumulates_both_paths():
    a = leaf(3.0)
    b = a + a  # db/da = 2
    c = b * b  # dc/db = 2b = 12
    c.backward()
    assert a.grad.item() == 24.0


def test_leaf_grad_accumulates_across_backward_calls():
    a = leaf([1.0, 2.0])
    (a * 3).sum().backward()
    (a * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [6.0, 6.0])


def test_deep_chain_100k_no_recursion_error():
    limit = sys.getrecursionlimit()
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    assert sys.getrecursionlimit() == limit
    del y  # freeing a 100k-long chain must not overflow the C stack either
    gc.collect()


def test_fan_out_10k_uses_of_one_leaf():
    x = leaf(2.0)
    total = x * 0.0
    for i in range(10_000):
        total = total + x * float(i % 3)
    total.backward()
    assert x.grad.item() == pytest.approx(sum(i % 3 for i in range(10_000)))


def test_intermediates_freed_by_refcount_alone():
    gc.disable()
    try:
        x = leaf(np.ones(5))
        h = x * 2.0
        y = h.exp()
        z = (y * y).sum()
        refs = [
            weakref.ref(h),
            weakref.ref(y),
            weakref.ref(h.grad_fn),
            weakref.ref(y.grad_fn),
            weakref.ref(z.grad_fn),
        ]
        z.backward()
        del h, y, z
        assert all(r() is None for r in refs), "graph kept alive after backward"
        assert x.grad is not None
    finally:
        gc.enable()


def test_graph_freed_without_backward_too():
    gc.disable()
    try:
        x = leaf(np.ones(3))
        y = (x * 2.0).tanh()
        r = weakref.ref(y.grad_fn)
        del y
        assert r() is None
    finally:
        gc.enable()


def test_saved_values_released_after_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_backward_with_explicit_gradient_and_shape_check():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    y.backward(autograd.tensor([1.0, 0.0, -1.0], dtype=autograd.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, -2.0])
    y2 = x * 2.0
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of"):
        y2.backward(autograd.ones(4, dtype=autograd.float64))


def test_non_scalar_backward_needs_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(
        RuntimeError, match="grad can be implicitly created only for scalar outputs"
    ):
        (x * 2).backward()


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        autograd.tensor([1.0]).sum().backward()


def test_grad_function_and_allow_unused():
    x, y = leaf(2.0), leaf(5.0)
    (gx,) = autograd.grad(x * x, x)
    assert gx.item() == 4.0 and x.grad is None  # grad() does not touch .grad
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        autograd.grad(x * x, [x, y])
    gx, gy = autograd.grad(x * x, [x, y], allow_unused=True)
    assert gy is None
    gx, gy = autograd.grad(x * x, [x, y], materialize_grads=True)
    assert gy.item() == 0.0


def test_grad_of_intermediate_tensor():
    x = leaf(2.0)
    h = x * 3.0
    y = h * h
    (gh,) = autograd.grad(y, h)
    assert gh.item() == 2 * 6.0


def test_higher_order_gradients():
    x = leaf(2.0)
    y = x * x * x
    (g,) = autograd.grad(y, x, create_graph=True)  # 3x^2 = 12
    (gg,) = autograd.grad(g, x, create_graph=True)  # 6x = 12
    (ggg,) = autograd.grad(gg, x)  # 6
    assert (g.item(), gg.item(), ggg.item()) == (12.0, 12.0, 6.0)


def test_create_graph_backward_accumulates_graph_grad():
    x = leaf(3.0)
    (x * x).backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = autograd.grad(x.grad, x)
    assert gg.item() == 2.0


def test_backward_inputs_argument_limits_accumulation():
    x, y = leaf(1.0), leaf(2.0)
    (x * y).backward(inputs=[x])
    assert x.grad.item() == 2.0 and y.grad is None


# ---- hooks -----------------------------------------------------------------------------
def test_tensor_hook_on_leaf_and_nonleaf():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    h = x * 2.0
    h.register_hook(lambda g: g * 10)  # replaces the gradient flowing into h
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])
    np.testing.assert_array_equal(seen[0], [20.0, 20.0])


def test_hook_handle_remove():
    x = leaf(1.0)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 3).backward()
    assert x.grad.item() == 3.0


def test_retain_grad_on_nonleaf():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [6.0, 12.0])


def test_nonleaf_grad_access_warns():
    x = leaf(1.0)
    h = x * 2
    with pytest.warns(UserWarning, match="is not a leaf Tensor"):
        assert h.grad is None


def test_post_accumulate_grad_hook():
    x = leaf(1.0)
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.item()))
    (x * 4).backward()
    assert calls == [4.0]


# ---- custom Function ---------------------------------------------------------------------
class Cube(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class SplitTwo(autograd.Function):
    """Two outputs, one of them marked non-differentiable."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        idx = autograd.tensor(np.argsort(x.detach().numpy()))
        ctx.mark_non_differentiable(idx)
        return x * scale, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        assert ctx.needs_input_grad == (True, False)
        return g * ctx.scale, None


def test_custom_function_forward_backward_and_gradcheck():
    x = leaf([1.0, -2.0])
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    assert autograd.gradcheck(Cube.apply, (leaf([0.5, 1.5]),))
    assert autograd.gradgradcheck(Cube.apply, (leaf([0.5, 1.5]),))


def test_custom_function_multiple_outputs_and_non_differentiable():
    x = leaf([3.0, 1.0, 2.0])
    y, idx = SplitTwo.apply(x, 5.0)
    assert not idx.requires_grad and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0, 5.0])


def test_custom_function_without_grad_just_runs():
    y = Cube.apply(autograd.tensor([2.0]))
    assert y.item() == 8.0 and y.grad_fn is None


# ---- grad mode -----------------------------------------------------------------------
def test_no_grad_and_enable_grad_nesting_and_decorators():
    x = leaf(1.0)
    with autograd.no_grad():
        assert not (x * 2).requires_grad
        with autograd.enable_grad():
            assert (x * 2).requires_grad

    @autograd.no_grad()
    def f():
        return x * 2

    @autograd.no_grad
    def g():
        return x * 2

    assert not f().requires_grad and not g().requires_grad
    assert (x * 2).requires_grad
    with autograd.set_grad_enabled(False):
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()


def test_grad_mode_is_thread_local():
    results = {}
    ready, done = threading.Event(), threading.Event()

    def other():
        ready.wait()
        results["other"] = autograd.is_grad_enabled()
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with autograd.no_grad():
        ready.set()
        done.wait()
        results["main"] = autograd.is_grad_enabled()
    t.join()
    assert results == {"other": True, "main": False}


# ---- in-place and version counters -------------------------------------------------------
def test_inplace_on_leaf_requiring_grad_is_refused():
    x = leaf([1.0])
    with pytest.raises(
        RuntimeError,
        match="a leaf Variable that requires grad is being used in an in-place operation.",
    ):
        x.add_(1)
    with autograd.no_grad():
        x.add_(1)  # allowed without recording (optimizer updates)
    assert x.item() == 2.0


def test_modified_saved_tensor_is_detected():
    x = leaf([1.0, 2.0])
    y = x.exp()
    z = y * 1.0
    y.add_(1)  # ExpBackward saved y
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_nonleaf_is_differentiable():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    h.mul_(3.0)
    h.add_(x)
    assert h.grad_fn.name() == "AddBackward0"
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_inplace_shares_memory_with_views_and_numpy():
    arr = np.zeros(3, dtype=np.float32)
    t = autograd.from_numpy(arr)
    t.add_(2.0)
    np.testing.assert_array_equal(arr, [2.0, 2.0, 2.0])
    assert t._version == 1


# ---- anomaly mode --------------------------------------------------------------------
def test_detect_anomaly_names_the_op():
    x = leaf([0.0])
    with autograd.detect_anomaly():
        y = (x / x).sum()
        with (
            pytest.raises(RuntimeError, match=r"Function 'DivBackward0' returned nan values"),
            pytest.warns(UserWarning, match="Traceback of forward call"),
        ):
            y.backward()


def test_detect_anomaly_lets_inf_through_like_torch():
    # d(1/x)/dx at 0 is -inf: a correct gradient, which torch's anomaly mode does not flag
    x = leaf([0.0, 2.0])
    with autograd.detect_anomaly():
        (1 / x).sum().backward()
    assert x.grad.tolist() == [-np.inf, -0.25]


# ---- dtypes through the graph ----------------------------------------------------------
@pytest.mark.parametrize("dt", [autograd.float16, autograd.float32, autograd.float64])
def test_grad_dtype_follows_leaf(dt):
    x = autograd.tensor([1.0, 2.0], dtype=dt, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype == dt


def test_mixed_precision_grad_is_cast_back():
    x = autograd.tensor([1.0, 2.0], dtype=autograd.float32, requires_grad=True)
    w = autograd.tensor([3.0, 4.0], dtype=autograd.float64, requires_grad=True)
    y = (x * w).sum()
    assert y.dtype == autograd.float64
    y.backward()
    assert x.grad.dtype == autograd.float32 and w.grad.dtype == autograd.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_ndarray_operand_defers_to_tensor():
    x = leaf([1.0, 2.0])
    y = np.array([2.0, 3.0]) * x  # __array_ufunc__ = None: Tensor.__rmul__ runs
    assert isinstance(y, Tensor) and y.requires_grad


# ---- .grad takes over an exclusively owned gradient (no copy), like torch ---------------
def test_leaf_grad_takes_over_a_fresh_gradient(twice_function):
    ids = []
    x = leaf([1.0, 2.0, 3.0])
    twice_function(lambda a: ids.append(id(a))).apply(x).sum().backward()
    assert id(x.grad._data) == ids[0]  # the VJP's own array became .grad (x.grad keeps it alive)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_leaf_grad_copies_a_gradient_someone_else_holds(twice_function):
    kept = []
    x = leaf([1.0, 2.0, 3.0])
    twice_function(kept.append).apply(x).sum().backward()
    assert not np.shares_memory(x.grad._data, kept[0])
    (x * 1.0).sum().backward()  # accumulates into .grad in place: kept[0] must not change
    np.testing.assert_array_equal(kept[0], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_one_gradient_sent_to_two_leaves_is_not_shared():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = a + b  # Add's VJP sends the very same array to both leaves
    y.backward(autograd.tensor([1.0, 1.0]))
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad.add_(10.0)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_user_seed_is_never_adopted_as_grad():
    x = leaf([1.0, 2.0])
    seed = autograd.tensor([5.0, 6.0])
    (x + 0.0).backward(seed)
    (x + 0.0).backward(seed)  # the second pass accumulates into .grad in place
    np.testing.assert_array_equal(seed.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 12.0])


def test_retained_intermediate_grad_is_not_shared_with_leaf():
    x = leaf([1.0, 2.0])
    y = x * 1.0
    y.retain_grad()
    (y * 3.0).sum().backward()
    x.grad.add_(100.0)
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0])


def test_version_error_names_the_op_that_made_the_tensor_like_torch():
    cases = {
        "saved output": lambda lib, a: (lambda b: (b.exp(), b))(a.exp()),
        "saved input": lambda lib, a: (lambda b: (b * b, b))(a * 2),
        "leaf": lambda lib, a: ((a * a).sum(), a),
    }
    torch = pytest.importorskip("torch")
    for name, make in cases.items():
        messages = []
        for lib in (autograd, torch):
            a = lib.ones(3, requires_grad=True)
            out, written = make(lib, a)
            with lib.no_grad():
                written.add_(1)
            with pytest.raises(RuntimeError) as info:
                out.sum().backward()
            messages.append(str(info.value).split(" Hint:")[0])
        assert messages[0] == messages[1].replace("torch.", "autograd."), name


def test_detect_anomaly_without_nan_check_still_names_the_failing_forward_call():
    assert (autograd.is_anomaly_enabled(), autograd.is_anomaly_check_nan_enabled()) == (False, True)
    with autograd.detect_anomaly(check_nan=False):
        assert autograd.is_anomaly_enabled() and not autograd.is_anomaly_check_nan_enabled()
        x = leaf([0.0])
        (x / x).sum().backward()  # a nan gradient passes
        assert np.isnan(x.grad.numpy()).all()
        a = leaf([1.0, 2.0])
        b = a * 2
        c = b * b
        b.mul_(2)
        with (
            pytest.raises(RuntimeError, match="modified by an inplace operation"),
            pytest.warns(UserWarning, match="Error detected in MulBackward0. Traceback of forward"),
        ):
            c.sum().backward()
    autograd.set_detect_anomaly(True, check_nan=False)
    try:
        assert autograd.is_anomaly_enabled() and not autograd.is_anomaly_check_nan_enabled()
    finally:
        autograd.set_detect_anomaly(False)
    assert (autograd.is_anomaly_enabled(), autograd.is_anomaly_check_nan_enabled()) == (False, True)


def test_retain_grad_follows_in_place_writes_like_torch():
    # retain_grad keeps the gradient of the tensor's newest value; a hook registered with
    # register_hook keeps the gradient of the value it was registered on (torch >= 2.0)
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.ones(3, requires_grad=True)
        y = x * 1
        y.retain_grad()
        seen = []
        y.register_hook(lambda g: seen.append(g.tolist()))
        y.mul_(2)
        y.add_(1)
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        a = lib.ones(4, requires_grad=True)
        b = a * 1
        b.retain_grad()
        b[1:3].mul_(5)  # through a view: b takes a CopySlices node
        (b * b).sum().backward()
        h = lib.tensor([-1.0, 2.0, 3.0], requires_grad=True) * 2
        h.retain_grad()
        h.relu_()
        h.sum().backward()
        return (
            y.grad.tolist(),
            seen,
            x.grad.tolist(),
            b.grad.tolist(),
            a.grad.tolist(),
            h.grad.tolist(),
        )

    assert run(autograd) == run(torch)


@pytest.mark.parametrize("create_graph", [False, True])
def test_backward_inputs_fills_a_non_leaf_inputs_grad_like_torch(create_graph):
    # backward(inputs=[y]) with y a non-leaf: torch accumulates y's gradient into y.grad
    # (we left it None); leaves not listed stay untouched
    torch = pytest.importorskip("torch")
    got = []
    for lib in (autograd, torch):
        x = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        y = x * 2
        out = (y[0:1] * 3).sum() + (y**2).sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (torch's reference-cycle warning)
            out.backward(inputs=[y], retain_graph=True, create_graph=create_graph)
            first = y.grad.detach().numpy().copy()
            assert x.grad is None
            out.backward(inputs=[y, x], create_graph=create_graph)
            y2, y3 = x * 2, x * 3
            y3.retain_grad()  # (filled once, not twice)
            (y2 * y3).sum().backward(inputs=[y2, y2, y3], create_graph=create_graph)
        got.append((first.tolist(), y.grad.tolist(), x.grad.tolist(), y.grad.requires_grad))
        got.append((y2.grad.tolist(), y3.grad.tolist()))
    assert got[:2] == got[2:]


def test_custom_function_gradients_are_validated_like_torch():
    # a wrong-shaped gradient became the input's .grad as it was (x.grad of shape () for an x
    # of shape (2,)); extra non-None gradients and numbers were taken silently
    torch = pytest.importorskip("torch")
    cases = {
        "wrong shape": lambda g: (g.sum(), g),
        "three": lambda g: (g, g, g),
        "number": lambda g: (3, g),
        "broadcast, summed": lambda g: (g.expand(3, 2) * 2, g),
        "extra None": lambda g: (g, g, None),
    }
    for name, ret in cases.items():
        results = []
        for lib, base in ((autograd, autograd.Function), (torch, torch.autograd.Function)):

            class M(base):
                @staticmethod
                def forward(ctx, x, y):
                    return x * y

                @staticmethod
                def backward(ctx, g):
                    return ret(g)

            x, y = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
            try:
                M.apply(x, y).sum().backward()
                results.append((x.grad.tolist(), y.grad.tolist()))
            except RuntimeError as e:
                results.append(str(e))
        assert results[0] == results[1], name


def test_large_fan_in_sums_in_place_only_into_gradients_the_engine_alone_holds(monkeypatch):
    """``_summed``: the fan-in sum of large gradients goes into the first one when nothing
    but the engine holds it (the same bits as ``old + g``), never into an array anybody
    else can see: the seed a user passed, a gradient that also flows to another input."""
    from autograd import engine

    rng = np.random.default_rng(0)
    n = engine._SUM_INTO_MIN
    x_np = rng.standard_normal(n).astype(np.float32)
    seed_np = rng.standard_normal(n).astype(np.float32)
    g = rng.standard_normal(n).astype(np.float32)

    buffers = {"node": x_np.copy()}  # as the engine loop holds a gradient: its buffer,
    old = buffers["node"]  # the loop's local, then _summed's parameter
    assert engine._summed(old, g) is old and old.tobytes() == (x_np + g).tobytes()
    seen = old  # somebody else sees it: a new array
    assert engine._summed(old, g) is not seen and seen.tobytes() == (x_np + g).tobytes()

    def grads():
        x = autograd.tensor(x_np, requires_grad=True)
        seed = autograd.tensor(seed_np.copy())
        # x + x: the Add's VJP sends the seed itself to x twice; x * 2, x * 3 and sin:
        # fresh VJP results meet at x
        (x + x + x * 2 + (x * 3) * x.sin()).backward(seed)
        assert np.array_equal(seed.numpy(), seed_np)  # the user's gradient is untouched
        return x.grad.numpy()

    fast = grads()
    monkeypatch.setattr(engine, "_SUM_INTO_MIN", 10**12)  # every sum a new array
    assert fast.tobytes() == grads().tobytes()


def test_create_graph_backward_copies_the_gradient_it_stores_like_torch():
    # with create_graph=True a leaf's new .grad was the incoming gradient itself: the
    # caller's seed (shared by both leaves of x + w), or a read-only broadcast view (x.sum()'s);
    # a later backward added into it in place, changing the seed and the other leaf's .grad,
    # or failed with NumPy's "output array is read-only"
    torch = pytest.importorskip("torch")
    results = []
    for lib in (autograd, torch):
        x, w = lib.ones(3, requires_grad=True), lib.ones(3, requires_grad=True)
        seed = lib.tensor([1.0, 2.0, 3.0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (torch's warning about the reference cycle)
            (x + w).backward(seed, create_graph=True)
            (x * 2).sum().backward()
            z = lib.ones(2, 3, requires_grad=True)
            (z.sum() * 2).backward(create_graph=True)
            (z * 3).sum().backward()
        results.append((seed.tolist(), x.grad.tolist(), w.grad.tolist(), z.grad.tolist()))
    assert results[0] == results[1]


def test_custom_function_returning_a_numpy_array_is_refused_like_torch():
    # an array was taken as the gradient; torch refuses it and names its type
    torch = pytest.importorskip("torch")
    for grad in (np.ones(2), np.float64(1.0), [1.0, 1.0], 2.0):
        messages = []
        for lib, base in ((autograd, autograd.Function), (torch, torch.autograd.Function)):

            class F(base):
                @staticmethod
                def forward(ctx, x):
                    return x * 1

                @staticmethod
                def backward(ctx, g):
                    return grad

            with pytest.raises(RuntimeError) as e:
                F.apply(lib.ones(2, requires_grad=True)).sum().backward()
            messages.append(str(e.value))
        assert messages[0] == messages[1]
