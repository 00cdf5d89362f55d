"""The lean paths a compiled step's replay takes, each against the general code it stands
for: the generated guard check against ``Guards.general_check`` (the same answer for every
kind of change a guard watches)."""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim
from autograd.compiler.guards import Guards
from autograd.compiler.steps import mm_right_grad, mm_right_grad_t, sum_rows
from autograd.ops import xp as _xp
from autograd.ops.linalg import _grad_of_right_matrix
from autograd.ops.movement import _sum_to_shape

SCALE = 2.0  # a global the traced function reads (guarded by value)


def _guarded_step():
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.0), nn.Linear(3, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    shift = [0.5]
    offset = 1

    def step(x):
        opt.zero_grad()
        loss = (model(x) * SCALE + offset).sum()
        loss.backward()
        opt.step()
        return loss * shift[0]

    x = autograd.tensor(np.ones((5, 4)))
    guards = Guards().reach(step, [x])
    guards.add_tensors([])
    return model, guards, step


def _changes(model, step):
    """(apply, undo) pairs: each changes one thing a guard watches."""
    lin, drop = model[0], model[2 - 1]
    w = lin.weight
    other = nn.Parameter(autograd.zeros(3, 4))
    cell = next(c for c in step.__closure__ if c.cell_contents == 1)

    def setter(obj, name, value):
        old = getattr(obj, name)
        return (lambda: setattr(obj, name, value)), (lambda: setattr(obj, name, old))

    def set_data(arr):
        old = w._data
        return (lambda: setattr(w, "_data", arr)), (lambda: setattr(w, "_data", old))

    def set_global(value):
        def apply():
            if value is None:
                del globals()["SCALE"]
            else:
                globals()["SCALE"] = value

        return apply, lambda: globals().__setitem__("SCALE", 2.0)

    def set_cell(value):
        def apply():
            if value is None:
                del cell.cell_contents
            else:
                cell.cell_contents = value

        return apply, lambda: setattr(cell, "cell_contents", 1)

    return [
        setter(model, "training", False),
        setter(drop, "p", 0.5),
        setter(drop, "p", 0.0 + 1e-300),
        (
            lambda: lin._parameters.__setitem__("weight", other),
            lambda: lin._parameters.__setitem__("weight", w),
        ),
        set_data(np.zeros((4, 3))),
        set_data(np.zeros((3, 4), np.float64)),
        setter(w, "_requires_grad", False),
        setter(w, "grad_fn", object()),
        set_global(3.0),
        set_global(2),  # equal value, other type
        set_global(None),
        set_cell(2),
        set_cell(1.0),  # equal value, other type
        set_cell(None),
    ]


def test_generated_guard_check_matches_general_check():
    model, guards, step = _guarded_step()
    fast = guards.generated_check()
    assert fast() is True and guards.general_check() is True
    assert guards.check() is True and guards.check is not Guards.check  # replaced once
    changes = _changes(model, step)
    for k, (apply, undo) in enumerate(changes):
        apply()
        try:
            assert fast() is guards.general_check() is False, k
        finally:
            undo()
        assert fast() is guards.general_check() is True, k


def test_guards_added_after_the_first_check_are_checked():
    _, guards, _ = _guarded_step()
    assert guards.check()
    t = autograd.ones(2)
    guards.add_tensors([(t, (2,), t._data.dtype, False, True)])
    assert guards.check()
    t._data = np.ones(3)
    assert not guards.check() and not guards.general_check()


def test_compiled_step_retraces_when_a_guard_fails():
    autograd.manual_seed(0)
    model = nn.Linear(4, 2).double()
    opt = optim.SGD(model.parameters(), lr=0.1)

    @autograd.compile
    def step(x):
        opt.zero_grad()
        loss = F.mse_loss(model(x), autograd.zeros(5, 2, dtype=autograd.float64))
        loss.backward()
        opt.step()
        return loss

    x = autograd.tensor(np.ones((5, 4)))
    step(x)
    step(x)
    (entries,) = step._cache.values()
    assert step.plan is not None and len(entries) == 1
    model.bias.requires_grad_(False)
    step(x)  # a new trace for the new state, not the old plan
    assert len(entries) == 2 and entries[0].guards.check() is False


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize(
    "dtype, shape, layout",
    [
        ("float32", (32, 27), "C"),
        ("float64", (4, 5, 200), "C"),
        ("float64", (30, 9), "F"),  # not C-contiguous
        ("float32", (16, 3), "C"),  # fewer columns than the kernel takes
        ("float16", (8, 12), "C"),
        ("float32", (0, 10), "C"),
    ],
)
def test_sum_rows_matches_sum_to(backend, dtype, shape, layout):
    rng = np.random.default_rng(0)
    g = rng.standard_normal(shape).astype(dtype)
    if layout == "F":
        g = np.asfortranarray(g)
    n = shape[-1]
    with autograd.backend(backend):
        fast, general = sum_rows(g, n), _sum_to_shape(g, (n,))
    assert fast.dtype == general.dtype and fast.shape == general.shape == (n,)
    assert fast.tobytes() == general.tobytes()
    assert (fast.base is None) == (general.base is None)


def test_bias_gradient_in_plan_uses_sum_rows():
    autograd.manual_seed(0)
    model = nn.Linear(4, 9).double()
    x = autograd.tensor(np.random.default_rng(0).standard_normal((5, 4)))

    def loss_of(m, x):
        return (m(x).tanh() ** 2).sum()

    def step(x):
        model.zero_grad()
        loss = loss_of(model, x)
        loss.backward()
        return loss

    compiled = autograd.compile(step)
    for _ in range(3):
        loss = compiled(x)
    assert "sum_rows(" in compiled.plan
    got = model.bias.grad._data.copy()
    model.zero_grad()
    ref = step(x)
    assert loss.item() == ref.item()
    assert got.tobytes() == model.bias.grad._data.tobytes()


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("right", ["weight.T", "matrix"])  # (b column-major, row-major)
@pytest.mark.parametrize("needs", [(True, True), (False, True), (True, False)])
def test_matrix_product_in_plan_matches_eager(backend, dtype, right, needs):
    """A product of two matrices replays as gemm calls (plan.py ``_mm``, plan_backward.py
    ``_mm_vjp``; for ``x @ w.t()`` the transpose's VJP folded in, ``_transposed_weight``):
    the same loss and gradients, bit for bit and in the same layout, as the eager ``Mm`` op,
    for both layouts of the right operand and for each input that wants a gradient."""
    rng = np.random.default_rng(1)
    a0 = rng.standard_normal((30, 40)).astype(dtype)
    w0 = rng.standard_normal((130, 40) if right == "weight.T" else (40, 130)).astype(dtype)

    def make():
        a = autograd.tensor(a0.copy(), requires_grad=needs[0])
        w = autograd.tensor(w0.copy(), requires_grad=needs[1])
        return a, w

    def step(a, w):
        b = w.t() if right == "weight.T" else w
        loss = ((a @ b).tanh() * 3.0).sum()
        loss.backward()
        return loss

    with autograd.backend(backend):
        compiled = autograd.compile(step)
        for _ in range(2):
            a, w = make()
            got = compiled(a, w)
        assert "gemm(" in compiled.plan and "Mm_backward" not in compiled.plan
        ra, rw = make()
        ref = step(ra, rw)
    assert got.item() == ref.item()
    for t, r in ((a, ra), (w, rw)):
        if r.grad is None:
            assert t.grad is None
        else:
            assert t.grad.dtype == r.grad.dtype and t.grad.shape == r.grad.shape
            assert t.grad._data.tobytes() == r.grad._data.tobytes()
            assert t.grad._data.flags.c_contiguous == r.grad._data.flags.c_contiguous
            assert t.grad._data.base is None and r.grad._data.base is None
    if right == "weight.T" and needs[1]:  # (w.t()'s VJP folded into the product's)
        backward = compiled.plan.split("# backward")[1]
        assert "mm_right_grad_t(" in backward and ".transpose(" not in backward


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_mm_right_grad_matches_the_ops_rule(dtype, layout):
    """``mm_right_grad`` (the plan's VJP of a product's right matrix) gives what
    ``linalg._grad_of_right_matrix`` gives: the same values in the same layout."""
    rng = np.random.default_rng(2)
    a, g = (rng.standard_normal(s).astype(dtype) for s in ((9, 5), (9, 7)))
    b = rng.standard_normal((5, 7)).astype(dtype)
    b = np.asfortranarray(b) if layout == "F" else b
    fast, general = mm_right_grad(a, g, b), _grad_of_right_matrix(a, g, b, _xp.NUMPY)
    assert fast.dtype == general.dtype and fast.shape == general.shape
    assert fast.tobytes() == general.tobytes()
    assert fast.flags.c_contiguous == general.flags.c_contiguous
    assert fast.flags.f_contiguous == general.flags.f_contiguous
    back = mm_right_grad_t(a, g, b)  # (its transpose: an array of its own for column-major b)
    assert back.dtype == general.dtype and np.array_equal(back, general.T)
    assert (back.base is None) == (layout == "F")


def test_leaf_takes_its_gradient_from_a_vjp_without_a_copy(monkeypatch):
    """A VJP's fresh result that goes straight to a leaf becomes its ``.grad`` as it is, in a
    replay as in eager mode (the engine's rule, ``acc_leaf``): the plan lets go of the VJP's
    result tuple first, which would otherwise count as one more holder and force a copy."""
    import weakref

    from autograd.ops.vision import TakeAlong

    made = []  # (weak references: a list holding the arrays would itself force a copy)
    vjp = TakeAlong.backward

    def spy(ctx, g, xp):
        out = vjp(ctx, g, xp)
        made.append(weakref.ref(out))
        return out

    monkeypatch.setattr(TakeAlong, "backward", staticmethod(spy))
    emb = nn.Embedding(5, 3)
    idx = autograd.tensor([[0, 1], [4, 1]])

    def step(idx):
        emb.zero_grad()
        loss = (emb(idx) * 2.0).sum()
        loss.backward()
        return loss

    compiled = autograd.compile(step)
    for _ in range(3):
        compiled(idx)
    assert "TakeAlong" in compiled.plan and emb.weight.grad._data is made[-1]()
    got = emb.weight.grad._data.copy()
    step(idx)
    assert emb.weight.grad._data is made[-1]()  # (eager mode: the engine takes it too)
    assert got.tobytes() == emb.weight.grad._data.tobytes()
