"""autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) and autograd.func (grad,
grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap) against torch.autograd.functional
and torch.func: values, which results carry a graph, create_graph results differentiated
again, gradcheck/gradgradcheck through them, strict mode and error messages."""

import doctest

import numpy as np
import pytest

import autograd
from torch_compare import same_error
import autograd._pytree as pytree
import autograd.func as AF
import autograd.functional as AFL

# torch.func imports torch.jit, which warns that it is deprecated
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

F64 = autograd.float64
rng = np.random.default_rng(7)
X = rng.standard_normal(3)
Y = rng.standard_normal((2, 3))


def _lib(name):
    if name == "torch":
        torch = pytest.importorskip("torch")
        return torch, torch.tensor
    return autograd, lambda a, **kw: autograd.tensor(a, dtype=F64, **kw)


def _same(ours, theirs, what=""):
    """Same nesting, values (1e-10) and requires_grad."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), what
        for a, b in zip(ours, theirs):
            _same(a, b, what)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), what
        for k in theirs:
            _same(ours[k], theirs[k], what)
    else:
        assert isinstance(ours, autograd.Tensor), (what, type(ours))
        assert ours.shape == tuple(theirs.shape), (what, ours.shape, theirs.shape)
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=what
        )
        assert ours.requires_grad == theirs.requires_grad, (what, ours.requires_grad)


# functions written once for both libraries (only methods and operators)
def f_multi(x, y):
    return (x * y).sin().sum(0) + x.exp(), (y**2).sum()


def f_vec(x):
    return x.tanh() * x.sum()


def f_scalar(x, y):
    return (x.sin() * y).sum() ** 2 + (x * x * x).sum()


def f_scalar1(x):
    return (x.exp() * x.sin()).sum()


# ---- autograd.functional ----------------------------------------------------------------------
@pytest.mark.parametrize("create_graph", [False, True])
def test_functional_matches_torch(create_graph):
    results = {}
    for lib in ("ours", "torch"):
        mod, tensor = _lib(lib)
        F = AFL if lib == "ours" else mod.autograd.functional
        xs = (tensor(X), tensor(Y))
        v_out = (tensor(np.ones(3)), tensor(2.0))
        cg = create_graph
        results[lib] = {
            "jacobian": F.jacobian(f_multi, xs, create_graph=cg),
            "jacobian1": F.jacobian(f_vec, xs[0], create_graph=cg),
            "vectorize": F.jacobian(f_vec, xs[0], vectorize=True),
            "vjp": F.vjp(f_multi, xs, v_out, create_graph=cg),
            "vjp1": F.vjp(f_scalar1, xs[0], create_graph=cg),
            "jvp": F.jvp(f_multi, xs, xs, create_graph=cg),
            "hessian": F.hessian(f_scalar, xs, create_graph=cg),
            "hessian1": F.hessian(f_scalar1, xs[0], create_graph=cg),
            "hvp": F.hvp(f_scalar, xs, xs, create_graph=cg),
            "vhp": F.vhp(f_scalar, xs, xs, create_graph=cg),
            "hvp1": F.hvp(f_scalar1, xs[0], xs[0], create_graph=cg),
        }
    for key in results["torch"]:
        _same(results["ours"][key], results["torch"][key], key)


def test_functional_create_graph_differentiates_again():
    # inputs that require grad: with create_graph the results depend on them, and a
    # backward through the Jacobian / Hessian-vector product gives torch's gradients
    grads = {}
    for lib in ("ours", "torch"):
        mod, tensor = _lib(lib)
        F = AFL if lib == "ours" else mod.autograd.functional
        x = tensor(X, requires_grad=True)
        y = tensor(Y, requires_grad=True)
        jac = F.jacobian(f_multi, (x, y), create_graph=True)
        _, hv = F.hvp(f_scalar, (x, y), (x.detach(), y.detach()), create_graph=True)
        total = sum((j**2).sum() for per_out in jac for j in per_out) + sum(h.sum() for h in hv)
        total.backward()
        grads[lib] = (x.grad, y.grad)
    _same(grads["ours"], grads["torch"])


def test_gradcheck_through_functional():
    x = autograd.tensor(X, dtype=F64, requires_grad=True)
    y = autograd.tensor(Y, dtype=F64, requires_grad=True)
    v = autograd.tensor(rng.standard_normal(3), dtype=F64)

    def jac(x, y):
        return AFL.jacobian(f_multi, (x, y), create_graph=True)[0][1]

    def hvp(x):
        return AFL.hvp(f_scalar1, x, v, create_graph=True)[1]

    def jvp(x):
        return AFL.jvp(f_vec, x, v, create_graph=True)[1]

    assert autograd.gradcheck(jac, (x, y))
    assert autograd.gradcheck(hvp, (x,))
    assert autograd.gradgradcheck(jvp, (x,))
    assert autograd.gradgradcheck(lambda x: AFL.vjp(f_vec, x, v, create_graph=True)[1], (x,))


def test_functional_independent_outputs():
    # an input the output does not use: zeros, or torch's error in strict mode
    for lib in ("ours", "torch"):
        mod, tensor = _lib(lib)
        F = AFL if lib == "ours" else mod.autograd.functional
        a, b = tensor(X), tensor(Y)
        jac = F.jacobian(lambda x, y: x * 2, (a, b))
        assert float(abs(jac[1]).sum()) == 0 and tuple(jac[1].shape) == (3, 2, 3)
    torch = pytest.importorskip("torch")
    TF = torch.autograd.functional
    ta, tb = torch.tensor(X), torch.tensor(Y)
    a, b = autograd.tensor(X, dtype=F64), autograd.tensor(Y, dtype=F64)
    cases = [
        ("jacobian", lambda F, x, y: F.jacobian(lambda p, q: p * 2, (x, y), strict=True)),
        ("vjp", lambda F, x, y: F.vjp(lambda p, q: p.sum(), (x, y), strict=True)),
        ("jvp", lambda F, x, y: F.jvp(lambda p, q: p * 2, (x, y), (x, y), strict=True)),
        ("hessian", lambda F, x, y: F.hessian(lambda p, q: (p * 2).sum(), (x, y), strict=True)),
        ("hvp", lambda F, x, y: F.hvp(lambda p, q: (p**3).sum(), (x, y), (x, y), strict=True)),
        ("vhp", lambda F, x, y: F.vhp(lambda p, q: (p**3).sum(), (x, y), (x, y), strict=True)),
        ("constant", lambda F, x, y: F.vjp(lambda p, q: p.detach().sum(), (x, y), strict=True)),
        ("linear", lambda F, x, y: F.hessian(lambda p, q: (p + q[0]).sum(), (x, y), strict=True)),
    ]
    for name, call in cases:
        same_error(lambda: call(AFL, a, b), lambda: call(TF, ta, tb))


def test_functional_argument_errors_as_torch():
    torch = pytest.importorskip("torch")
    TF = torch.autograd.functional
    t, a = torch.tensor(X), autograd.tensor(X, dtype=F64)
    calls = [
        lambda F, x, lib: F.vjp(lambda z: z * 2, x),  # v missing
        lambda F, x, lib: F.jvp(lambda z: z * 2, x),
        lambda F, x, lib: F.vjp(lambda z: z * 2, x, lib.ones(4, dtype=x.dtype)),
        lambda F, x, lib: F.vjp(lambda z: (z, z), x, (lib.ones(3, dtype=x.dtype),)),
        lambda F, x, lib: F.jvp(lambda z, w: z * w, (x, x), (x, lib.ones(2, dtype=x.dtype))),
        lambda F, x, lib: F.jacobian(lambda z: 3, x),
        lambda F, x, lib: F.jacobian(lambda z: z, [x]),
        lambda F, x, lib: F.jacobian(lambda z: z, (x, 3.0)),
        lambda F, x, lib: F.hessian(lambda z: z, x),
        lambda F, x, lib: F.hessian(lambda z: (z.sum(), z.sum()), x),
        lambda F, x, lib: F.hvp(lambda z: z, x, x),
        lambda F, x, lib: F.vhp(lambda z: (z.sum(),), x, x),
        lambda F, x, lib: F.jacobian(lambda z: z, x, vectorize=True, strict=True),
        lambda F, x, lib: F.jacobian(lambda z: z, x, strategy="sideways"),
        lambda F, x, lib: F.jacobian(lambda z: z, x, strategy="forward-mode"),
        lambda F, x, lib: F.jacobian(
            lambda z: z, x, vectorize=True, strategy="forward-mode", create_graph=True
        ),
    ]
    for call in calls:
        same_error(lambda: call(AFL, a, autograd), lambda: call(TF, t, torch))


def test_jacobian_in_forward_mode_matches_torch():
    torch = pytest.importorskip("torch")

    def f(lib):
        return lambda x, y: (x.sin() * y.sum(), (x * y).exp().reshape(1, -1), x.sum())

    args = X, X[::-1].copy() + 1.0
    kw = dict(vectorize=True, strategy="forward-mode")
    ours = AFL.jacobian(f(autograd), tuple(autograd.tensor(a, dtype=F64) for a in args), **kw)
    theirs = torch.autograd.functional.jacobian(f(torch), tuple(map(torch.tensor, args)), **kw)
    for row_ours, row_theirs in zip(ours, theirs):
        for o, t in zip(row_ours, row_theirs):
            assert o.shape == tuple(t.shape) and not o.requires_grad
            np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)


def test_functional_leaves_inputs_alone():
    x = autograd.tensor(X, dtype=F64, requires_grad=True)
    AFL.hessian(f_scalar1, x)
    AFL.jacobian(f_vec, x)
    assert x.grad is None and x.is_leaf
    with autograd.no_grad():  # works inside no_grad, like torch
        jac = AFL.jacobian(f_vec, x)
    assert not jac.requires_grad


# ---- autograd.func -------------------------------------------------------------------------------
def _func_results(lib):
    mod, tensor = _lib(lib)
    fn = AF if lib == "ours" else mod.func
    x, y = tensor(X), tensor(Y)
    params = {"w": tensor(X), "b": tensor(Y[0])}

    def loss(p, inp):
        return ((p["w"] * inp).tanh().sum(-1) + p["b"].sum()).pow(2).mean()

    def with_aux(x):
        return (x**2).sum(), {"double": x * 2}

    out, vjp_fn = fn.vjp(f_multi, x, y)
    cot = (tensor(np.ones(3)), tensor(3.0))
    res = {
        "grad": fn.grad(f_scalar1)(x),
        "grad_argnums": fn.grad(f_scalar, argnums=(0, 1))(x, y),
        "grad_pytree": fn.grad(loss)(params, y),
        "grad_aux": fn.grad(with_aux, has_aux=True)(x),
        "grad_and_value": fn.grad_and_value(f_scalar, argnums=1)(x, y),
        "gradgrad": fn.grad(fn.grad(lambda s: s.sin() * s**3))(x[0]),
        "vjp_out": out,
        "vjp": vjp_fn(cot),
        "jvp": fn.jvp(f_multi, (x, y), (y[0], x.expand(2, 3))),
        "jacrev": fn.jacrev(f_multi, argnums=(0, 1))(x, y),
        "jacrev_pytree": fn.jacrev(loss)(params, y),
        "jacfwd": fn.jacfwd(f_vec)(x),
        "hessian": fn.hessian(f_scalar1)(x),
        "hessian_argnums": fn.hessian(f_scalar, argnums=1)(x, y),
        "vmap": fn.vmap(f_vec)(y),
        "vmap_in_dims": fn.vmap(lambda a, b: (a * b).sum(), in_dims=(1, None))(y, x[:2]),
        "vmap_out_dims": fn.vmap(lambda a: (a, a.sum()), out_dims=(1, 0))(y),
        "vmap_pytree": fn.vmap(lambda d: d["a"] * d["b"], in_dims=({"a": 0, "b": None},))(
            {"a": y, "b": x}
        ),
        "vmap_nested": fn.vmap(fn.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(
            x, y[0]
        ),
        "per_example_grads": fn.vmap(fn.grad(loss), in_dims=(None, 0))(params, y),
        "vmap_jacrev": fn.vmap(fn.jacrev(f_vec))(y),
        "vmap_kwargs": fn.vmap(lambda a, scale=1.0: a * scale)(y, scale=3.0),
    }
    return res


def test_func_matches_torch():
    ours, theirs = _func_results("ours"), _func_results("torch")
    for key in theirs:
        _same(ours[key], theirs[key], key)


def test_func_composes_with_backward():
    # grad(f) closes over a tensor that requires grad: the result depends on it (a gradient
    # penalty), exactly as with torch.func
    grads = {}
    for lib in ("ours", "torch"):
        mod, tensor = _lib(lib)
        fn = AF if lib == "ours" else mod.func
        w = tensor(X, requires_grad=True)
        g = fn.grad(lambda x: (w * x).sin().sum())(tensor(X))
        assert g.requires_grad
        per_example = fn.vmap(fn.grad(lambda p, x: ((p * x).sum()) ** 2), in_dims=(None, 0))(
            w, tensor(Y)
        )
        ((g**2).sum() + per_example.sum()).backward()
        grads[lib] = w.grad
    _same(grads["ours"], grads["torch"])


def test_gradcheck_through_func():
    x = autograd.tensor(X, dtype=F64, requires_grad=True)
    y = autograd.tensor(Y, dtype=F64, requires_grad=True)
    assert autograd.gradcheck(AF.grad(f_scalar, argnums=(0, 1)), (x, y))
    assert autograd.gradgradcheck(AF.grad(f_scalar1), (x,))
    assert autograd.gradcheck(AF.vmap(f_vec), (y,))
    assert autograd.gradcheck(AF.hessian(f_scalar1), (x,))


def test_vmap_randomness():
    x = autograd.zeros(4, 2)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        AF.vmap(lambda r: r + autograd.rand(2))(x)
    autograd.manual_seed(0)
    different = AF.vmap(lambda r: r + autograd.rand(2), randomness="different")(x)
    assert len({tuple(row) for row in different.numpy().tolist()}) == 4
    autograd.manual_seed(0)
    same = AF.vmap(lambda r: r + autograd.rand(2), randomness="same")(x)
    np.testing.assert_array_equal(same.numpy(), np.broadcast_to(same.numpy()[0], (4, 2)))
    autograd.manual_seed(0)
    np.testing.assert_array_equal(same.numpy()[0], autograd.rand(2).numpy())
    autograd.rand(1)  # outside vmap random ops work again


def test_vmap_empty_batch_and_unbatched_outputs():
    out = AF.vmap(lambda r: r.sum(-1, keepdim=True) * 2)(autograd.zeros(0, 3))
    assert out.shape == (0, 1)
    x = autograd.tensor(Y, dtype=F64)
    a, b = AF.vmap(lambda r: (r * 2, autograd.tensor(1.0)), out_dims=(0, None))(x)
    assert a.shape == (2, 3) and b.shape == ()


def test_func_errors_as_torch():
    torch = pytest.importorskip("torch")
    t, a = torch.tensor(X), autograd.tensor(X, dtype=F64)
    calls = [
        lambda fn, x, lib: fn.grad(lambda z: z * 2)(x),
        lambda fn, x, lib: fn.grad(lambda z: z.sum())(3.0),
        lambda fn, x, lib: fn.grad(lambda z: z.sum(), has_aux=True)(x),
        lambda fn, x, lib: fn.grad(lambda z: z.sum(), argnums=2)(x),
        lambda fn, x, lib: fn.grad(lambda z: z.sum(), argnums=(0, 0))(x),
        lambda fn, x, lib: fn.grad(lambda z: z.sum(), argnums="a")(x),
        lambda fn, x, lib: fn.grad(lambda z: 3)(x),
        lambda fn, x, lib: fn.vjp(lambda z: z.sum(), x, has_aux=True),
        lambda fn, x, lib: fn.vjp(lambda z: 3, x),
        lambda fn, x, lib: fn.vjp(lambda z: z * 2, x)[1](lib.ones(4, dtype=x.dtype)),
        lambda fn, x, lib: fn.jacrev(lambda z: z * 2, argnums=1)(x),
        lambda fn, x, lib: fn.vmap(lambda u, v: u + v)(x, lib.ones(4, dtype=x.dtype)),
        lambda fn, x, lib: fn.vmap(lambda u: u)(x.sum()),
        lambda fn, x, lib: fn.vmap(lambda u: u, in_dims=1)(x),
        lambda fn, x, lib: fn.vmap(lambda u: 3)(x),
        lambda fn, x, lib: fn.vmap(lambda u: u)(3.0),
        lambda fn, x, lib: fn.vmap(lambda u: u, in_dims=None)(x),
        lambda fn, x, lib: fn.vmap(lambda u: u, in_dims="a")(x),
        lambda fn, x, lib: fn.vmap(lambda u: u, in_dims=(None,))(x),
        lambda fn, x, lib: fn.vmap(lambda u: u, out_dims=None)(x),
        lambda fn, x, lib: fn.vmap(lambda u: u, out_dims=2)(x),
        lambda fn, x, lib: fn.vmap(lambda u: u, randomness="foo")(x),
        lambda fn, x, lib: fn.vmap(lambda u: u)(),
    ]
    for call in calls:
        same_error(lambda: call(AF, a, autograd), lambda: call(torch.func, t, torch))


def test_pytree_round_trip():
    from collections import namedtuple

    Point = namedtuple("Point", "x y")
    tree = {"a": [1, (2, None)], "b": Point(3, {"c": 4})}
    leaves, spec = pytree.tree_flatten(tree)
    assert leaves == [1, 2, 3, 4]
    assert pytree.tree_unflatten(leaves, spec) == tree
    assert repr(spec) == "{'a': [*, (*, None)], 'b': Point(*, {'c': *})}"
    assert repr(pytree.tree_flatten((1,))[1]) == "(*,)"
    assert pytree.broadcast_prefix((0, None), ([1, 2], 3)) == [0, 0, None]
    with pytest.raises(pytree.StructureMismatch):
        pytree.broadcast_prefix((0, 0, 0), (1, 2))


@pytest.mark.parametrize("module", [AFL, AF, pytree], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(
        module, extraglobs={"autograd": autograd}, optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0 and result.attempted > 0
