"""autograd.linalg beyond the registry checks: torch's error messages (asked of torch itself),
named results, degenerate spectra and singular matrices, the *_ex variants, multi_dot, autocast.
Values, gradients, second derivatives and PyTorch parity of every op run in
tests/test_ops_registry.py and tests/test_torch_parity.py."""

import warnings

import numpy as np
import pytest

import autograd
from autograd import linalg as L

torch = pytest.importorskip("torch")
F64 = autograd.float64


def t64(x, requires_grad=False):
    return autograd.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


SING = [[1.0, 2.0], [2.0, 4.0]]
CASES = [  # (description, call on a library module: autograd or torch)
    ("inv singular", lambda m: m.linalg.inv(m.tensor(SING))),
    ("inv batch singular", lambda m: m.linalg.inv(m.stack([m.eye(2), m.tensor(SING)]))),
    ("inv rect", lambda m: m.linalg.inv(m.ones(2, 3))),
    ("inv 1-d", lambda m: m.linalg.inv(m.ones(3))),
    ("inv int", lambda m: m.linalg.inv(m.ones(2, 2, dtype=m.int64))),
    ("det rect", lambda m: m.linalg.det(m.ones(2, 3))),
    ("slogdet 1-d", lambda m: m.linalg.slogdet(m.ones(3))),
    ("torch.det rect", lambda m: m.det(m.ones(2, 3))),
    ("torch.inverse singular", lambda m: m.inverse(m.tensor(SING))),
    ("logdet rect", lambda m: m.logdet(m.ones(2, 3))),
    ("cholesky not pd", lambda m: m.linalg.cholesky(m.tensor(SING))),
    ("solve singular", lambda m: m.linalg.solve(m.tensor(SING), m.ones(2, 1))),
    (
        "solve batch singular",
        lambda m: m.linalg.solve(m.stack([m.eye(2), m.tensor(SING)]), m.ones(2, 2, 1)),
    ),
    ("solve shapes", lambda m: m.linalg.solve(m.eye(2), m.ones(3, 1))),
    ("solve vector shapes", lambda m: m.linalg.solve(m.eye(2), m.ones(3))),
    ("solve left=False shapes", lambda m: m.linalg.solve(m.eye(2), m.ones(2, 3), left=False)),
    ("solve dtypes", lambda m: m.linalg.solve(m.eye(2, dtype=m.float64), m.ones(2, 1))),
    (
        "solve_triangular 1-d B",
        lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(2), upper=True),
    ),
    (
        "solve_triangular shapes",
        lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(3, 1), upper=True),
    ),
    ("matrix_power rect", lambda m: m.linalg.matrix_power(m.ones(2, 3), 2)),
    ("matrix_power singular inverse", lambda m: m.linalg.matrix_power(m.tensor(SING), -1)),
    ("matrix_exp 1-d", lambda m: m.linalg.matrix_exp(m.ones(3))),
    ("eigh rect", lambda m: m.linalg.eigh(m.ones(2, 3))),
    ("eigh UPLO", lambda m: m.linalg.eigh(m.eye(2), UPLO="X")),
    ("svd 1-d", lambda m: m.linalg.svd(m.ones(3))),
    ("svd int", lambda m: m.linalg.svd(m.ones(2, 2, dtype=m.int64))),
    ("qr mode", lambda m: m.linalg.qr(m.eye(2), mode="foo")),
    ("qr 1-d", lambda m: m.linalg.qr(m.ones(3))),
    ("pinv 1-d", lambda m: m.linalg.pinv(m.ones(3, dtype=m.float64))),
    ("lstsq 1-d", lambda m: m.linalg.lstsq(m.ones(3), m.ones(3))),
    ("lstsq shapes", lambda m: m.linalg.lstsq(m.ones(2, 3), m.ones(3, 1))),
    ("lstsq driver", lambda m: m.linalg.lstsq(m.ones(2, 3), m.ones(2, 1), driver="gelsx")),
    ("matrix_rank 1-d", lambda m: m.linalg.matrix_rank(m.ones(3))),
    ("cond 1-d", lambda m: m.linalg.cond(m.ones(3))),
    ("cond rect fro", lambda m: m.linalg.cond(m.ones(2, 3), "fro")),
    ("cholesky_solve 1-d", lambda m: m.cholesky_solve(m.ones(2), m.eye(2))),
    ("cholesky_solve shapes", lambda m: m.cholesky_solve(m.ones(3, 1), m.eye(2))),
    ("cholesky_inverse rect", lambda m: m.cholesky_inverse(m.ones(2, 3))),
    ("cross length", lambda m: m.linalg.cross(m.ones(2), m.ones(2))),
    ("cross ndim", lambda m: m.linalg.cross(m.ones(3), m.ones(2, 3))),
    ("torch.cross no 3", lambda m: m.cross(m.ones(2, 2), m.ones(2, 2))),
    ("multi_dot one", lambda m: m.linalg.multi_dot([m.ones(2, 2)])),
    ("multi_dot 3-d last", lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2, 2, 2)])),
    (
        "multi_dot 3-d middle",
        lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2, 2, 2), m.ones(2, 2)]),
    ),
    ("multi_dot shapes", lambda m: m.linalg.multi_dot([m.ones(2, 3), m.ones(2, 2)])),
    (
        "multi_dot dtypes",
        lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2, 2, dtype=m.float64)]),
    ),
    ("vecdot sizes", lambda m: m.linalg.vecdot(m.ones(3), m.ones(2))),
    ("vecdot dtypes", lambda m: m.linalg.vecdot(m.ones(3), m.ones(3, dtype=m.float64))),
    ("vecdot int", lambda m: m.linalg.vecdot(m.ones(3, dtype=m.int64), m.ones(3, dtype=m.int64))),
    ("matrix_norm 1-d", lambda m: m.linalg.matrix_norm(m.ones(3))),
    ("matrix_norm ord", lambda m: m.linalg.matrix_norm(m.ones(3, 3), ord=3)),
    ("matrix_norm same dims", lambda m: m.linalg.matrix_norm(m.ones(3, 3), dim=(0, 0))),
    ("norm 3 dims", lambda m: m.linalg.norm(m.ones(3, 3, 3), dim=(0, 1, 2))),
    ("norm 3-d with ord", lambda m: m.linalg.norm(m.ones(3, 3, 3), ord=2)),
    ("norm str ord on vector", lambda m: m.linalg.norm(m.ones(3), ord="fro")),
    ("vector_norm int", lambda m: m.linalg.vector_norm(m.ones(3, dtype=m.int64))),
    ("cdist 1-d", lambda m: m.cdist(m.ones(3), m.ones(3))),
    ("cdist columns", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 4))),
    ("cdist p", lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3), p=-1)),
    ("cdist int", lambda m: m.cdist(m.ones(2, 3, dtype=m.int64), m.ones(2, 3, dtype=m.int64))),
    ("pdist 3-d", lambda m: m.pdist(m.ones(2, 3, 3))),
    ("pdist p", lambda m: m.pdist(m.ones(2, 3), p=-1)),
    ("tensorinv ind", lambda m: m.linalg.tensorinv(m.ones(4, 4), ind=0)),
    ("vander 0-d", lambda m: m.linalg.vander(m.tensor(1.0))),
    ("trace 3-d", lambda m: m.trace(m.ones(2, 2, 2))),
]


@pytest.mark.parametrize("call", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_errors_as_torch(call):
    with pytest.raises(Exception) as theirs, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(torch)
    with pytest.raises(Exception) as ours:
        call(autograd)
    assert str(ours.value) == str(theirs.value)
    if isinstance(theirs.value, torch.linalg.LinAlgError):
        assert isinstance(ours.value, L.LinAlgError)
    assert isinstance(ours.value, (RuntimeError, TypeError, ValueError, IndexError))


def test_linalg_error_is_a_runtime_error_and_the_namespace_matches_torch():
    assert issubclass(L.LinAlgError, RuntimeError)
    ours = set(L.__all__)
    theirs = {n for n in dir(torch.linalg) if not n.startswith("_") and n != "common_notes"}
    # complex eigendecompositions are out of scope (real tensors only); LU/LDL not yet
    not_yet = {
        "eig",
        "eigvals",
        "householder_product",
        "ldl_factor",
        "ldl_factor_ex",
        "ldl_solve",
        "lu",
        "lu_factor",
        "lu_factor_ex",
        "lu_solve",
    }
    assert theirs - ours == not_yet
    assert ours <= theirs


@pytest.mark.filterwarnings("ignore:torch.qr is deprecated")
def test_named_results_like_torch():
    a = np.random.default_rng(0).normal(size=(3, 3))
    s = a + a.T
    pairs = [
        (L.slogdet(t64(a)), torch.linalg.slogdet(torch.tensor(a))),
        (autograd.slogdet(t64(a)), torch.slogdet(torch.tensor(a))),
        (L.qr(t64(a)), torch.linalg.qr(torch.tensor(a))),
        (autograd.qr(t64(a)), torch.qr(torch.tensor(a))),
        (L.svd(t64(a)), torch.linalg.svd(torch.tensor(a))),
        (autograd.svd(t64(a)), torch.svd(torch.tensor(a))),
        (L.eigh(t64(s)), torch.linalg.eigh(torch.tensor(s))),
        (L.lstsq(t64(a), t64(a)), torch.linalg.lstsq(torch.tensor(a), torch.tensor(a))),
        (L.inv_ex(t64(a)), torch.linalg.inv_ex(torch.tensor(a))),
        (L.solve_ex(t64(a), t64(a)), torch.linalg.solve_ex(torch.tensor(a), torch.tensor(a))),
        (L.cholesky_ex(t64(s @ s)), torch.linalg.cholesky_ex(torch.tensor(s @ s))),
    ]
    for ours, theirs in pairs:
        assert type(ours).__name__ == type(theirs).__name__
        assert ours._fields == tuple(f for f in dir(theirs) if f in ours._fields) or all(
            hasattr(theirs, f) for f in ours._fields
        )
        for o, t in zip(ours, theirs):
            assert tuple(o.shape) == tuple(t.shape) and str(o.dtype)[9:] == str(t.dtype)[6:]


def test_degenerate_spectra_as_torch():
    """Repeated eigenvalues / singular values: eigenvalues alone have finite gradients,
    eigenvectors give nan (as torch), also when the loss only adds 0 * V."""
    for f in (
        lambda m, a: m.linalg.eigh(a)[0].sum(),
        lambda m, a: m.linalg.eigvalsh(a).sum(),
        lambda m, a: m.linalg.svdvals(a).sum(),
        lambda m, a: m.linalg.svd(a)[1].sum(),
        lambda m, a: m.linalg.eigh(a)[1].sum(),
        lambda m, a: m.linalg.svd(a)[0].sum(),
        lambda m, a: m.linalg.eigh(a)[0].sum() + 0 * m.linalg.eigh(a)[1].sum(),
    ):
        ours, theirs = t64(np.eye(3), True), torch.eye(3, dtype=torch.float64, requires_grad=True)
        f(autograd, ours).backward()
        f(torch, theirs).backward()
        np.testing.assert_array_equal(np.isnan(ours.grad.numpy()), np.isnan(theirs.grad.numpy()))
        ok = ~np.isnan(theirs.grad.numpy())
        np.testing.assert_allclose(ours.grad.numpy()[ok], theirs.grad.numpy()[ok], atol=1e-12)


def test_determinant_of_a_singular_matrix():
    """det: the gradient at an exactly singular matrix is the cofactor matrix (torch returns
    zeros there); slogdet: (0, -inf) and an infinite gradient, like torch."""
    a = t64([[1.0, 2.0], [2.0, 4.0]], True)
    d = L.det(a)
    assert d.item() == 0
    d.backward()
    np.testing.assert_allclose(a.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    b = t64([[1.0, 1, 1], [1, 1, 1], [1, 2, 3]], True)
    L.det(b).backward()
    eps = 1e-6  # the cofactor matrix is the derivative: finite differences agree
    for i, j in [(0, 0), (2, 1), (1, 2)]:
        bp = b.detach().numpy().copy()
        bp[i, j] += eps
        assert abs((np.linalg.det(bp) - 0) / eps - b.grad.numpy()[i, j]) < 1e-5
    sign, logabs = L.slogdet(t64(SING))
    assert sign.item() == 0 and logabs.item() == -np.inf
    c = t64(SING, True)
    L.slogdet(c).logabsdet.backward()
    assert np.all(np.isinf(c.grad.numpy()))
    assert np.isnan(autograd.logdet(t64([[-1.0, 0.0], [0.0, 1.0]])).item())
    assert autograd.logdet(t64(SING)).item() == -np.inf


def test_ex_variants_report_instead_of_raising():
    a = autograd.stack([autograd.eye(2), autograd.tensor(SING)])
    inverse, info = L.inv_ex(a)
    np.testing.assert_array_equal(info.numpy(), torch.linalg.inv_ex(torch.tensor(a.numpy())).info)
    np.testing.assert_allclose(inverse[0].numpy(), np.eye(2))
    assert np.isnan(inverse[1].numpy()).all()
    with pytest.raises(L.LinAlgError, match="Batch element 1"):
        L.inv_ex(a, check_errors=True)
    res, info = L.solve_ex(a, autograd.ones(2, 2))
    assert res.shape == (2, 2) and info.tolist() == [0, 2]
    _, info = L.cholesky_ex(autograd.tensor([[1.0, 0.0], [0.0, -1.0]]))
    assert info.item() == torch.linalg.cholesky_ex(torch.tensor([[1.0, 0.0], [0.0, -1.0]])).info
    with pytest.raises(L.LinAlgError, match="leading minor of order 2"):
        L.cholesky_ex(autograd.tensor([[1.0, 0.0], [0.0, -1.0]]), check_errors=True)


def test_qr_gradient_errors_as_torch():
    a = t64(np.random.default_rng(1).normal(size=(3, 2)), True)
    q, r = L.qr(a, mode="r")
    assert q.shape == (0,) and r.shape == (2, 2)
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        r.sum().backward()
    q, r = L.qr(a, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows"):
        q.sum().backward()


def test_svd_full_matrices_gradient_ignores_the_extra_columns():
    a = np.random.default_rng(2).normal(size=(4, 2))
    ours, theirs = t64(a, True), torch.tensor(a, requires_grad=True)
    u, s, vh = L.svd(ours)
    (u[:, :2].sum() + s.sum() + vh.sum()).backward()
    tu, ts, tvh = torch.linalg.svd(theirs)
    sign = torch.sign(torch.gather(tu, 0, tu.abs().argmax(0, keepdim=True))).detach()
    ((tu * sign)[:, :2].sum() + ts.sum() + (tvh * sign[:, :2].mT).sum()).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-10)


def test_multi_dot_matches_torch_and_picks_the_cheap_order():
    rng = np.random.default_rng(3)
    shapes = [(5,), (5, 30), (30, 2), (2, 40), (40,)]
    arrays = [rng.normal(size=s) for s in shapes]
    ours = [t64(x, True) for x in arrays]
    theirs = [torch.tensor(x, requires_grad=True) for x in arrays]
    out, tout = L.multi_dot(ours), torch.linalg.multi_dot(theirs)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10)
    out.backward()
    tout.backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10)
    mats = [t64(x, True) for x in arrays[1:4]]
    assert autograd.gradcheck(lambda *m: L.multi_dot(m), mats)
    assert autograd.gradgradcheck(lambda *m: L.multi_dot(m), mats)
    # (5x30)(30x2) first costs 300 + 400 multiplications, the other order 2400 + 6000
    from autograd.ops.linalg_norm import _chain_order

    assert _chain_order([(5, 30), (30, 2), (2, 40)])[0][2] == 1


def test_matrix_power_zero_and_one():
    a = t64([[1.0, 2.0], [3.0, 4.0]], True)
    p0 = L.matrix_power(a, 0)
    np.testing.assert_array_equal(p0.detach().numpy(), np.eye(2))
    p0.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros((2, 2)))
    p1 = L.matrix_power(a, 1)
    assert p1 is not a and np.array_equal(p1.detach().numpy(), a.detach().numpy())
    assert L.matrix_power(autograd.tensor([[1, 1], [0, 1]]), 3).tolist() == [[1, 3], [0, 1]]


def test_cdist_gradient_at_zero_distance_is_zero_like_torch():
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    ours, theirs = t64(x, True), torch.tensor(x, requires_grad=True)
    autograd.cdist(ours, ours).sum().backward()
    torch.cdist(theirs, theirs).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)
    assert np.isfinite(ours.grad.numpy()).all()


def test_torch_cross_without_dim_warns_like_torch():
    a, b = np.eye(3)[:, :2], np.ones((3, 2))
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        ours = autograd.cross(t64(a), t64(b))
    # torch warns once per process (TORCH_WARN_ONCE): an earlier test's call would hide it
    always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
            theirs = torch.cross(torch.tensor(a), torch.tensor(b))
    finally:
        torch.set_warn_always(always)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_tensor_methods():
    a = t64(np.random.default_rng(4).normal(size=(3, 3)) + 3 * np.eye(3))
    ta = torch.tensor(a.numpy())
    for name, args in [
        ("det", ()),
        ("logdet", ()),
        ("inverse", ()),
        ("pinverse", ()),
        ("matrix_exp", ()),
        ("matrix_power", (3,)),
        ("trace", ()),
        ("cross", (a, -1)),
        ("slogdet", ()),
        ("qr", ()),
        ("svd", ()),
    ]:
        ours = getattr(a, name)(*args)
        theirs = getattr(ta, name)(*[ta if x is a else x for x in args])
        np.testing.assert_allclose(
            np.abs(np.asarray(ours[-1] if isinstance(ours, tuple) else ours)),
            np.abs(np.asarray(theirs[-1] if isinstance(theirs, tuple) else theirs)),
            rtol=1e-9,
            atol=1e-12,
            err_msg=name,
        )


def test_low_precision_and_autocast_like_torch():
    with pytest.raises(RuntimeError, match="Low precision dtypes not supported. Got Half"):
        L.inv(autograd.eye(2, dtype=autograd.float16))
    a = np.random.default_rng(5).normal(size=(3, 3)).astype(np.float32) + 3 * np.eye(
        3, dtype=np.float32
    )
    for fn in ("inv", "det", "svdvals", "matrix_exp", "pinv", "vecdot", "eigvalsh", "multi_dot"):
        args = (a, a) if fn == "vecdot" else ([a, a, a],) if fn == "multi_dot" else (a,)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            theirs = getattr(torch.linalg, fn)(
                *[
                    [torch.tensor(y) for y in x] if isinstance(x, list) else torch.tensor(x)
                    for x in args
                ]
            )
        with autograd.autocast("cpu", dtype=autograd.bfloat16):
            ours = getattr(L, fn)(
                *[
                    [autograd.tensor(y) for y in x] if isinstance(x, list) else autograd.tensor(x)
                    for x in args
                ]
            )
        assert str(ours.dtype)[9:] == str(theirs.dtype)[6:], fn


@pytest.mark.parametrize(
    "module",
    [
        "autograd.linalg",
        "autograd.ops.linalg_solve",
        "autograd.ops.linalg_det",
        "autograd.ops.linalg_cholesky",
        "autograd.ops.linalg_func",
        "autograd.ops.linalg_decomp",
        "autograd.ops.linalg_lstsq",
        "autograd.ops.linalg_norm",
    ],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(module),
        extraglobs={"autograd": autograd},
        optionflags=doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0 and result.failed == 0


def test_torch_norm_nuclear():
    a = np.random.default_rng(6).normal(size=(2, 3, 4))
    ours, theirs = t64(a, True), torch.tensor(a, requires_grad=True)
    ours.norm(p="nuc", dim=(1, 2)).sum().backward()
    theirs.norm(p="nuc", dim=(1, 2)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10)
    assert np.isclose(autograd.norm(t64(a[0]), p="nuc").item(), np.linalg.norm(a[0], "nuc"))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (5, 5), (6, 4)])
def test_svd_family_refuses_inf_instead_of_hanging(shape):
    """LAPACK's SVD (NumPy's OpenBLAS build) never returns on some matrices holding an inf;
    every op built on it raises LinAlgError for non-finite input instead."""
    for pos in range(3):
        a = np.random.default_rng(pos).normal(size=shape)
        a.flat[2 * pos] = np.inf
        t = autograd.tensor(a)
        for call in (
            lambda: autograd.linalg.svd(t),
            lambda: autograd.linalg.pinv(t),
            lambda: autograd.linalg.svdvals(t),
            lambda: autograd.linalg.lstsq(t, autograd.ones(shape[0], 1, dtype=autograd.float64)),
        ):
            with pytest.raises(autograd.linalg.LinAlgError, match="non-finite"):
                call()
