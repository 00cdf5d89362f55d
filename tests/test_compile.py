"""autograd.compile: traced once, replayed after; results equal eager mode (docs/compile.md).

Each test runs the same computation eagerly and compiled and compares: float64 bit for bit
(the replay calls the same forwards and VJPs in the same order), and checks that the
compiled calls really replayed (``.plan`` is set) or really fell back (the warning).
"""

import warnings

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim


def _data(rng, n=6, shape=(5, 4), classes=3, dtype=np.float64):
    xs = [autograd.tensor(rng.standard_normal(shape).astype(dtype)) for _ in range(n)]
    ys = [autograd.tensor(rng.integers(0, classes, shape[0])) for _ in range(n)]
    return xs, ys


def _mlp(dtype=autograd.float64, seed=0):
    autograd.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to(dtype)


def _train_step(model, opt):
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def _same_params(m1, m2):
    return all(np.array_equal(a._data, b._data) for a, b in zip(m1.parameters(), m2.parameters()))


# ---- a forward pass --------------------------------------------------------------------------
def test_a_forward_is_replayed_with_new_values(rng):
    def f(x, w):
        return ((x @ w).tanh() * 2 + 1).sum(1)

    cf = autograd.compile(f)
    for _ in range(3):
        x, w = (
            autograd.tensor(rng.standard_normal((3, 4))),
            autograd.tensor(rng.standard_normal((4, 2))),
        )
        assert np.array_equal(cf(x, w)._data, f(x, w)._data)
    assert "Tanh_forward" in cf.plan


def _peak_memory(fn, *args):
    import tracemalloc

    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_replay_frees_what_no_later_step_reads():
    w = autograd.ones(125_000, dtype=autograd.float64, requires_grad=True)  # 1 MB

    def f(x):
        y = x * w
        for _ in range(10):
            y = (y * 1.5).tanh()
        loss = y.sum()
        loss.backward()
        return loss

    cf = autograd.compile(f)
    x = autograd.tensor(np.ones(125_000))
    cf(x)
    w.grad = None
    eager = _peak_memory(f, x)  # (13 MB: the saved activations)
    w.grad = None
    compiled = _peak_memory(cf, x)  # (without the dels of arrays: 24 MB, of gradients: 22 MB)
    assert cf.plan is not None and compiled < 1.1 * eager


def test_decorator_forms_and_keywords_are_accepted():
    @autograd.compile
    def f(x):
        return x * 2

    @autograd.compile(mode="max-autotune", dynamic=True, fullgraph=False, backend="inductor")
    def g(x):
        return x + 1

    x = autograd.ones(2)
    assert f(x).tolist() == [2.0, 2.0] and g(x).tolist() == [2.0, 2.0]
    model = nn.Linear(2, 2)
    assert autograd.compile(model, disable=True) is model


# ---- whole training steps ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "make_opt",
    [lambda p: optim.Adam(p, lr=1e-2), lambda p: optim.SGD(p, lr=0.1, momentum=0.9)],
    ids=["adam", "sgd-momentum"],
)
def test_a_training_step_equals_eager_bit_for_bit(rng, make_opt):
    xs, ys = _data(rng)
    m1, m2 = _mlp(), _mlp()
    eager = _train_step(m1, make_opt(m1.parameters()))
    compiled = autograd.compile(_train_step(m2, make_opt(m2.parameters())))
    for x, y in zip(xs, ys):
        assert eager(x, y).item() == compiled(x, y).item()
    assert compiled.plan is not None and "Relu_backward" in compiled.plan
    assert _same_params(m1, m2)
    for a, b in zip(m1.parameters(), m2.parameters()):
        assert np.array_equal(a.grad._data, b.grad._data)


def test_float32_steps_stay_within_1e6_of_eager(rng):
    xs, ys = _data(rng, n=10, dtype=np.float32)
    m1, m2 = _mlp(autograd.float32), _mlp(autograd.float32)
    eager = _train_step(m1, optim.Adam(m1.parameters(), lr=1e-2))
    compiled = autograd.compile(_train_step(m2, optim.Adam(m2.parameters(), lr=1e-2)))
    for x, y in zip(xs, ys):
        np.testing.assert_allclose(compiled(x, y).item(), eager(x, y).item(), rtol=1e-6)
    for a, b in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_allclose(b._data, a._data, rtol=1e-6, atol=1e-7)


def test_the_returned_loss_cannot_be_backpropagated_again(rng):
    xs, ys = _data(rng, n=2)
    m = _mlp()
    step = autograd.compile(_train_step(m, optim.SGD(m.parameters(), lr=0.1)))
    step(xs[0], ys[0])
    loss = step(xs[1], ys[1])
    assert loss.requires_grad and loss.grad_fn.name() == "CompiledFunctionBackward"
    with pytest.raises(autograd.GraphError, match="backward through the graph a second time"):
        loss.backward()


def test_a_scheduler_inside_the_step_runs_every_call(rng):
    xs, ys = _data(rng, n=5)
    runs = []
    for compile_it in (False, True):
        m = _mlp()
        opt = optim.SGD(m.parameters(), lr=0.5)
        sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        step = _train_step(m, opt)

        def with_schedule(x, y, step=step, sched=sched):
            loss = step(x, y)
            sched.step()
            return loss

        f = autograd.compile(with_schedule) if compile_it else with_schedule
        runs.append(([f(x, y).item() for x, y in zip(xs, ys)], opt.param_groups[0]["lr"], m))
    assert runs[0][:2] == runs[1][:2]
    assert _same_params(runs[0][2], runs[1][2])


def test_disabled_functions_run_on_every_call():
    calls = []

    @autograd.compiler.disable
    def count(k):
        calls.append(k)

    @autograd.compile
    def f(x):
        count(1)
        return x * 2

    for _ in range(3):
        f(autograd.ones(2))
    assert calls == [1, 1, 1] and f.plan is not None


# ---- a compiled module: its outputs carry one node --------------------------------------------
def test_a_compiled_module_backward_equals_eager(rng):
    xs, ys = _data(rng)
    m1, m2 = _mlp(), _mlp()
    o1, o2 = optim.SGD(m1.parameters(), lr=0.1), optim.SGD(m2.parameters(), lr=0.1)
    cm = autograd.compile(m2)
    for x, y in zip(xs, ys):
        losses = []
        for m, o in ((m1, o1), (cm, o2)):
            o.zero_grad()
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            o.step()
            losses.append(loss.item())
        assert losses[0] == losses[1]
    assert cm(xs[0]).grad_fn.name() == "CompiledFunctionBackward"
    assert _same_params(m1, m2)


def test_compiled_module_is_a_module_sharing_the_original():
    m = _mlp()
    cm = autograd.compile(m)
    assert isinstance(cm, nn.Module) and cm._orig_mod is m
    assert list(cm.state_dict()) == ["_orig_mod." + k for k in m.state_dict()]
    assert cm.append == m.append  # attributes not found on the wrapper come from the module
    cm.eval()
    assert not m.training


def test_module_compile_in_place(rng):
    m1, m2 = _mlp(), _mlp()
    m2.compile()
    x = autograd.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    x2 = x.detach().requires_grad_()
    for _ in range(3):
        m1(x).sum().backward()
        m2(x2).sum().backward()
    assert m2._compiled_call.plan is not None
    assert np.array_equal(x.grad._data, x2.grad._data)
    assert all(
        np.array_equal(a.grad._data, b.grad._data) for a, b in zip(m1.parameters(), m2.parameters())
    )


def test_in_place_change_of_a_saved_output_is_caught(rng):
    m = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid()).double()  # sigmoid saves its output
    cm = autograd.compile(m)
    x = autograd.tensor(rng.standard_normal((2, 4)))
    for _ in range(2):
        cm(x)
    y = cm(x)
    with autograd.no_grad():
        y.mul_(2)
    with pytest.raises(autograd.GraphError, match="modified by an inplace operation"):
        y.sum().backward()


def test_no_grad_forward_and_eval_mode(rng):
    m = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 2)).double()
    cm = autograd.compile(m)
    x = autograd.tensor(rng.standard_normal((3, 4)))
    m.eval()
    with autograd.no_grad():
        for _ in range(2):
            y = cm(x)
    assert not y.requires_grad and np.array_equal(y._data, m(x)._data)


# ---- guards ---------------------------------------------------------------------------------------
def test_a_new_shape_retraces_and_old_plans_stay(rng):
    f = autograd.compile(lambda x: (x * 3).sum(0))
    a, b = autograd.ones(2, 3), autograd.ones(4, 3)
    for x in (a, b, a, b):
        assert np.array_equal(f(x)._data, (x * 3).sum(0)._data)
    assert f._traces == 2


def test_tensor_only_calls_and_calls_with_other_arguments_key_apart(rng):
    """Calls with tensors only take a shortcut past tree_flatten (compiled.py): they must
    find the plan a tensors-only trace made, and a call passing the same tensors another
    way (a keyword, a tuple, a scalar) must not find it."""
    f = autograd.compile(lambda x, y=None, s=1.0: (x * s + (0 if y is None else y)).sum(0))
    x, y = (autograd.tensor(rng.standard_normal((3, 4))) for _ in range(2))
    calls = [((x, y), {}), ((x,), {"y": y}), ((x, y, 2.0), {}), ((x, y), {}), ((x,), {})]
    for args, kwargs in calls:
        expected = f.fn(*args, **kwargs)._data
        np.testing.assert_array_equal(f(*args, **kwargs)._data, expected)
    assert f._traces == 4  # (x, y) twice: one trace
    assert np.array_equal(f(x, y)._data, f.fn(x, y)._data) and f._traces == 4


def test_guards_see_closure_scalars_module_flags_and_requires_grad(rng):
    scale = 2.0
    m = _mlp()

    def f(x):
        return m(x) * scale

    cf = autograd.compile(f)
    x = autograd.tensor(rng.standard_normal((5, 4)))
    cf(x)
    cf(x)
    assert cf._traces == 1
    scale = 3.0
    assert np.array_equal(cf(x)._data, f(x)._data) and cf._traces == 2
    m.eval()
    cf(x)
    assert cf._traces == 3
    m[0].weight.requires_grad_(False)
    y = cf(x)
    assert cf._traces == 4 and y.requires_grad


def test_too_many_recompilations_warn_and_run_eagerly():
    f = autograd.compile(lambda x: x + 1)
    with pytest.warns(UserWarning, match="recompiled 8 times .* the shape of"):
        for n in range(1, 11):
            assert f(autograd.ones(n)).shape == (n,)


# ---- fallbacks: what cannot be replayed runs eagerly, with one warning -------------------------
def test_item_in_control_flow_falls_back_with_a_warning_naming_the_line():
    def f(x):
        if x.sum().item() > 0:  # the line the warning names
            return x * 2
        return x * 3

    cf = autograd.compile(f)
    with pytest.warns(UserWarning, match=r"Tensor.item\(\) at test_compile.py:\d+.*runs eagerly"):
        assert cf(autograd.ones(2)).tolist() == [2.0, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning only
        assert cf(-autograd.ones(2)).tolist() == [-3.0, -3.0]


def test_grad_set_to_none_inside_the_step_is_done_on_every_replay():
    # `p.grad = None` before backward (instead of zero_grad) must act on every call, or the
    # replayed backward would add onto the last call's gradients
    def step(model, x):
        for p in model.parameters():
            p.grad = None
        model(x).sum().backward()

    x = autograd.tensor(np.random.default_rng(0).normal(size=(6, 4)))
    eager, compiled = _mlp(), _mlp()
    cf = autograd.compile(lambda x: step(compiled, x))
    for _ in range(3):
        step(eager, x)
        cf(x)
    for a, b in zip(eager.parameters(), compiled.parameters()):
        np.testing.assert_array_equal(a.grad._data, b.grad._data)


def test_assigning_a_tensor_to_grad_falls_back():
    m = _mlp()
    x = autograd.tensor(np.random.default_rng(0).normal(size=(6, 4)))

    def step(x):
        for p in m.parameters():
            p.grad = autograd.zeros_like(p)
        m(x).sum().backward()

    with pytest.warns(UserWarning, match="assigning a tensor to .grad"):
        autograd.compile(step)(x)
    eager = _mlp()
    eager(x).sum().backward()
    for a, b in zip(eager.parameters(), m.parameters()):
        np.testing.assert_array_equal(a.grad._data, b.grad._data)


def test_random_draws_outside_ops_fall_back():
    cf = autograd.compile(lambda x: x + autograd.randn(3))
    with pytest.warns(UserWarning, match="random numbers drawn outside an op"):
        cf(autograd.zeros(3))
    a, b = cf(autograd.zeros(3)), cf(autograd.zeros(3))
    assert not np.array_equal(a._data, b._data)


def test_hooks_fall_back():
    m = _mlp()
    seen = []
    m[0].register_forward_hook(lambda mod, i, o: seen.append(1))
    cm = autograd.compile(m)
    with pytest.warns(UserWarning, match="hooks"):
        cm(autograd.ones(2, 4, dtype=autograd.float64))
    cm(autograd.ones(2, 4, dtype=autograd.float64))
    assert seen == [1, 1]


def test_custom_functions_fall_back(twice_function):
    Twice = twice_function()
    cf = autograd.compile(lambda x: Twice.apply(x) + 1)
    with pytest.warns(UserWarning, match="autograd.Function Twice"):
        assert cf(autograd.ones(1)).item() == 3.0


def test_fullgraph_turns_a_fallback_into_an_error():
    cf = autograd.compile(lambda x: x * x.sum().item(), fullgraph=True)
    with pytest.raises(RuntimeError, match="fullgraph=True"):
        cf(autograd.ones(2))


def test_reset_forgets_the_plans():
    f = autograd.compile(lambda x: x + 1)
    f(autograd.ones(1))
    autograd.compiler.reset()
    f(autograd.ones(1))
    assert f._traces == 1 and f.plan is None  # (the first call after reset traces again)


def test_docstring_examples():
    import doctest

    from autograd.compiler import compiled, guards, plan, tracer, watch

    for mod in (autograd.compiler, compiled, guards, plan, tracer, watch):
        result = doctest.testmod(mod, extraglobs={"autograd": autograd, "nn": nn, "optim": optim})
        assert result.failed == 0, mod.__name__


# ---- values computed from tensors' values, and in-place writes, are steps of the plan --------
def _replays_like_eager(f, make_args, calls=3):
    """``f`` compiled gives eager's results on ``calls`` calls with new values, without falling
    back (a warning would be an error)."""
    cf = autograd.compile(f)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(calls):
            args = make_args()
            assert np.array_equal(cf(*args)._data, f(*args)._data)
    assert cf.plan is not None and cf._traces == 1
    return cf


def test_indices_that_depend_on_values_are_recomputed(rng):
    def f(x):
        top = x.topk(2, 1)
        y = x.sort(1).values + x.max(1).values[:, None] + top.indices.sum() + x.argmax()
        y = y + F.one_hot(x.argmin(1), 4) + x[x.argmax(1) % 3]
        y = y + autograd.zeros(3, 4, dtype=autograd.float64).scatter_reduce(
            1, x.argsort(1), x, "mean"
        )
        y = y + autograd.take_along_dim(x, x.argsort(1)).reshape(3, 4)  # (flattened)
        y = y + x.sum(1).gather(0, x.argmax() % 3)  # (a 0-d index)
        return y + F.max_pool2d(x.reshape(1, 1, 3, 4), 2).sum() + (x > 0).all(1)[:, None]

    _replays_like_eager(f, lambda: (autograd.tensor(rng.standard_normal((3, 4))),))


def test_in_place_writes_are_replayed(rng):
    def f(x, s):
        y = autograd.zeros(3, 4, dtype=autograd.float64)  # made anew by every eager call
        y[x.argmax(0) % 3] = 1.0
        y[:, 1] = x[:, 0]
        z = (x * 1).fill_(s)  # a 0-d tensor's new value
        return y + z + autograd.empty(3, 4, dtype=autograd.float64).copy_(x * 2)

    cf = _replays_like_eager(
        f,
        lambda: (
            autograd.tensor(rng.standard_normal((3, 4))),
            autograd.tensor(rng.standard_normal(())),
        ),
    )
    assert "set_at" in cf.plan and "copy_into" in cf.plan


def test_checks_inside_ops_run_on_every_replay(rng):
    cf = autograd.compile(lambda p, y: F.binary_cross_entropy(p, y))
    y = autograd.ones(3, dtype=autograd.float64)
    for _ in range(2):
        cf(autograd.tensor(rng.uniform(0, 1, 3)), y)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        cf(autograd.tensor([0.5, 2.0, 0.5]), y)


def test_a_kernel_run_on_traced_values_outside_an_op_falls_back(rng):
    from autograd import dispatch

    if dispatch.kernels("reduce", np.zeros((3, 4)), (1,)) is None:
        pytest.skip("the numpy backend hands out no kernels")

    def f(x):
        K = dispatch.kernels("reduce", x._data, (1,))
        _, index = K.arg_extreme(x._data, 1, True)  # outside an op: not a step of the plan
        return x + autograd.tensor(index)

    cf = autograd.compile(f)
    with pytest.warns(UserWarning, match="kernel arg_extreme run on a tensor's values"):
        cf(autograd.tensor(rng.standard_normal((3, 4))))
    x = autograd.tensor(rng.standard_normal((3, 4)))
    assert np.array_equal(cf(x)._data, f(x)._data) and cf.plan is None


def test_an_op_with_several_outputs_falls_back(rng):
    cf = autograd.compile(lambda a: autograd.linalg.eigh(a @ a.mT).eigenvalues)
    with pytest.warns(UserWarning, match="several outputs"):
        cf(autograd.tensor(rng.standard_normal((3, 3))))
    a = autograd.tensor(rng.standard_normal((3, 3)))
    assert np.array_equal(cf(a)._data, autograd.linalg.eigh(a @ a.mT).eigenvalues._data)


def test_an_internal_error_of_the_compiler_falls_back(monkeypatch):
    from autograd.compiler import compiled

    def broken(tracer, outputs):
        raise KeyError("oops")

    monkeypatch.setattr(compiled._plan, "build", broken)
    cf = autograd.compile(lambda x: x * 2)
    with pytest.warns(UserWarning, match=r"internal error of autograd.compile \(KeyError"):
        assert cf(autograd.ones(2)).tolist() == [2.0, 2.0]
    assert cf(autograd.ones(2)).tolist() == [2.0, 2.0] and cf.plan is None


# ---- the op registry: each op's first sample, compiled and eager --------------------------------
def test_every_registered_op_replays_like_eager_or_falls_back():
    """Traced on one sample, replayed on it and on the sample drawn from another seed (same
    shapes, new values): outputs and gradients equal eager mode's bit for bit, whether the
    call replayed or fell back. Most ops replay (a guard against falling back everywhere)."""
    from autograd.ops import REGISTRY

    def tensors(sample, grad):
        return [
            autograd.tensor(
                a.copy(),
                requires_grad=grad and a.dtype.kind == "f" and i not in sample.no_grad_args,
            )
            for i, a in enumerate(sample.args)
            if isinstance(a, np.ndarray)
        ]

    def same_call(a, b):  # (only the arrays' values differ)
        return (
            len(a.args) == len(b.args)
            and repr(a) == repr(b)
            and all(
                x.dtype == y.dtype if isinstance(x, np.ndarray) else repr(x) == repr(y)
                for x, y in zip(a.args, b.args)
            )
            and repr(a.kwargs) == repr(b.kwargs)
        )

    def results(fn, sample, grad):
        ins = tensors(sample, grad)
        with np.errstate(all="ignore"):
            out = fn(*ins)
        outs = [
            o
            for o in (out if isinstance(out, (tuple, list)) else [out])
            if isinstance(o, autograd.Tensor)
        ]
        found = [o.detach()._data.copy() for o in outs]
        diff = [o for o in outs if o.requires_grad]
        if diff:
            sum(o.sum() for o in diff).backward()
            found += [t.grad._data for t in ins if t.grad is not None]
        return found

    replayed = fell_back = 0
    for name in sorted(REGISTRY):
        info = REGISTRY[name]
        a = info.samples(np.random.default_rng(1234))[0]
        b = info.samples(np.random.default_rng(99))[0]

        def f(*ts, info=info, a=a):
            it = iter(ts)
            return info.fn(
                *[next(it) if isinstance(v, np.ndarray) else v for v in a.args], **a.kwargs
            )

        cf = autograd.compile(f)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for sample in [a, b] if same_call(a, b) else [a, a]:  # (trace, replay)
                expected = results(f, sample, info.differentiable)
                got = results(cf, sample, info.differentiable)
                assert len(got) == len(expected), name
                for x, y in zip(got, expected):
                    assert x.shape == y.shape and np.array_equal(x, y, equal_nan=True), name
        if any("autograd.compile" in str(w.message) for w in caught):
            fell_back += 1
        else:
            replayed += 1
    assert replayed > 4 * fell_back, (replayed, fell_back)
