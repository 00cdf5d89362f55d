"""Linear algebra: matmul semantics and PyTorch's error messages, mm/bmm/mv/dot/outer/inner,
einsum (implicit output, ellipsis, diagonals, broadcasting), tensordot, higher-order
gradients. Registered samples are also checked by test_ops_registry / test_torch_parity.
"""

import numpy as np
import pytest

import autograd
from autograd import gradcheck, gradgradcheck


def rand(*shape, requires_grad=True, seed=0):
    data = np.random.default_rng(seed + len(shape)).normal(size=shape)
    return autograd.tensor(data, requires_grad=requires_grad)


# ---- matmul semantics ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "sa,sb",
    [
        ((3,), (3,)),
        ((3,), (3, 2)),
        ((2, 3), (3,)),
        ((2, 3), (3, 4)),
        ((5, 2, 3), (3, 4)),
        ((3,), (5, 3, 2)),
        ((2, 1, 2, 3), (4, 3, 2)),
        ((5, 2, 3), (3,)),
    ],
)
def test_matmul_shapes_values_and_gradients(sa, sb):
    a, b = rand(*sa), rand(*sb, seed=1)
    out = a @ b
    ref = np.matmul(a.detach().numpy(), b.detach().numpy())
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
    assert gradcheck(autograd.matmul, (a, b))
    assert gradgradcheck(autograd.matmul, (a, b))


def test_matmul_gradients_match_torch_with_broadcast_batches():
    torch = pytest.importorskip("torch")
    a, b = rand(2, 1, 2, 3), rand(4, 3, 5, seed=1)
    out = a @ b
    w = np.random.default_rng(2).normal(size=out.shape)
    (out * autograd.tensor(w)).sum().backward()
    at = torch.tensor(a.detach().numpy(), requires_grad=True)
    bt = torch.tensor(b.detach().numpy(), requires_grad=True)
    ((at @ bt) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("sa", [(4, 5, 3), (2, 3, 5, 3), (2, 0, 3), (0, 5, 3), (4, 5, 0)])
@pytest.mark.parametrize("transposed", [False, True])
def test_stack_times_matrix_is_one_gemm_like_the_general_path(sa, transposed):
    """(..., n, k) @ (k, m) runs as one (rows, k) @ (k, m) product and its VJP as two
    (grad_b's sum over the stack inside the GEMM): the general path's values, dtype, grad_fn,
    version counter and torch's gradients."""
    rng = np.random.default_rng(0)
    data = rng.normal(size=sa[:-2] + sa[-1:] + sa[-2:-1])  # (..., k, n), transposed below
    data = (
        np.swapaxes(data, -1, -2) if transposed else np.ascontiguousarray(np.swapaxes(data, -1, -2))
    )
    a = autograd.tensor(data, requires_grad=True)
    b = autograd.tensor(rng.normal(size=(sa[-1], 4)), requires_grad=True)
    out = a @ b
    general = np.matmul(data, b.detach().numpy())  # NumPy's own loop over the stack
    assert out.shape == general.shape and out.dtype == autograd.float64
    np.testing.assert_allclose(out.detach().numpy(), general, rtol=1e-13, atol=1e-15)
    assert out.grad_fn.name() == "MatmulBackward0"
    assert out._version == 0
    g = rng.normal(size=out.shape)
    out.backward(autograd.tensor(g))
    ga = np.matmul(g, b.detach().numpy().T)
    gb = np.matmul(np.swapaxes(data, -1, -2), g).reshape(int(np.prod(sa[:-2])), sa[-1], 4).sum(0)
    np.testing.assert_allclose(a.grad.numpy(), ga, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.grad.numpy(), gb, rtol=1e-12, atol=1e-14)
    torch = pytest.importorskip("torch")
    at = torch.tensor(data, requires_grad=True)
    bt = torch.tensor(b.detach().numpy(), requires_grad=True)
    (at @ bt).backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.grad.numpy(), bt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_stack_times_matrix_keeps_integer_and_float16_rules():
    ints = autograd.tensor(np.arange(24).reshape(2, 3, 4))
    out = ints @ autograd.tensor(np.ones((4, 2), dtype=np.int64))
    assert (
        out.dtype == autograd.int64
        and out.tolist()
        == np.matmul(np.arange(24).reshape(2, 3, 4), np.ones((4, 2), dtype=np.int64)).tolist()
    )
    rng = np.random.default_rng(3)
    a16, b16 = (
        rng.normal(size=(3, 5, 40)).astype(np.float16),
        rng.normal(size=(40, 6)).astype(np.float16),
    )
    out = autograd.tensor(a16) @ autograd.tensor(b16)
    wide = np.matmul(a16.astype(np.float32), b16.astype(np.float32)).astype(np.float16)
    assert out.dtype == autograd.float16
    np.testing.assert_array_equal(out.numpy(), wide)


def test_matmul_hessian_of_quadratic_form():
    # f(x) = x^T A x  ->  Hessian A + A^T
    A = rand(3, 3, requires_grad=False)
    x = rand(3)
    (g,) = autograd.grad(x @ (A @ x), [x], create_graph=True)
    rows = [autograd.grad(g[i], [x], retain_graph=True)[0] for i in range(3)]
    H = np.stack([r.numpy() for r in rows])
    np.testing.assert_allclose(H, A.numpy() + A.numpy().T, rtol=1e-12)


def test_grad_fn_names_like_torch():
    x = rand(2, 3)
    assert (x @ rand(3, 4)).grad_fn.name() == "MmBackward0"
    assert (rand(3) @ rand(3)).grad_fn.name() == "DotBackward0"
    assert (x @ rand(3)).grad_fn.name() == "MvBackward0"
    assert autograd.bmm(rand(2, 2, 3), rand(2, 3, 1)).grad_fn.name() == "BmmBackward0"


# ---- error messages ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sa,sb,msg",
    [
        ((2, 3), (4, 5), "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
        ((3,), (4, 5), "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"),
        (
            (3,),
            (4,),
            "inconsistent tensor size, expected tensor [3] and src [4] to have the same "
            "number of elements, but got 3 and 4 elements respectively",
        ),
        ((2, 3), (4,), "size mismatch, got input (2), mat (2x3), vec (4)"),
        ((2, 3, 4), (5,), "size mismatch, got input (6), mat (6x4), vec (5)"),
        (
            (2, 2, 3),
            (2, 4, 5),
            "Expected size for first two dimensions of batch2 tensor to be: "
            "[2, 3] but got: [2, 4].",
        ),
        (
            (3, 2, 3),
            (2, 3, 5),
            "The size of tensor a (3) must match the size of tensor b (2) at "
            "non-singleton dimension 0",
        ),
        ((), (2,), "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    ],
)
def test_matmul_shape_errors_use_torch_wording(sa, sb, msg):
    with pytest.raises(RuntimeError) as info:
        autograd.zeros(*sa) @ autograd.zeros(*sb)
    assert str(info.value) == msg
    assert isinstance(info.value, ValueError)  # ShapeError is both


def test_matmul_error_messages_equal_torchs():
    torch = pytest.importorskip("torch")
    cases = [
        ((2, 3), (4, 5)),
        ((3,), (4,)),
        ((2, 3), (4,)),
        ((2, 2, 3), (2, 4, 5)),
        ((5,), (2, 3, 4)),
    ]
    for sa, sb in cases:
        with pytest.raises(RuntimeError) as ours:
            autograd.zeros(*sa) @ autograd.zeros(*sb)
        with pytest.raises(RuntimeError) as theirs:
            torch.zeros(*sa) @ torch.zeros(*sb)
        assert str(ours.value) == str(theirs.value)


def test_dtype_mismatch_errors():
    f32, f64 = autograd.zeros(2, 2), autograd.zeros(2, 2, dtype=autograd.float64)
    with pytest.raises(
        TypeError, match="expected m1 and m2 to have the same dtype, but got: float != double"
    ):
        f32 @ f64
    with pytest.raises(RuntimeError, match="long int != double"):
        autograd.zeros(2, 2, dtype=autograd.int64) @ f64
    with pytest.raises(
        RuntimeError,
        match="dot : expected both vectors to have same dtype, but found Float and Double",
    ):
        autograd.dot(autograd.zeros(2), autograd.zeros(2, dtype=autograd.float64))


@pytest.mark.parametrize("mat_dtype,vec_dtype", [("float32", "float64"), ("float64", "float32")])
def test_mv_dtype_mismatch_message_equals_torchs(mat_dtype, vec_dtype):
    """torch names the dtypes of addmv's (result, matrix, vector): the result has the vector's."""
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as ours:
        autograd.mv(autograd.ones(2, 3, dtype=mat_dtype), autograd.ones(3, dtype=vec_dtype))
    with pytest.raises(RuntimeError) as theirs:
        torch.mv(
            torch.ones(2, 3, dtype=getattr(torch, mat_dtype)),
            torch.ones(3, dtype=getattr(torch, vec_dtype)),
        )
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "sa,sb", [((64, 100), (100, 32)), ((3, 40, 50), (3, 50, 6)), ((50,), (50, 7)), ((7, 50), (50,))]
)
def test_float16_matmul_accumulates_in_float32_and_rounds_once(sa, sb):
    """NumPy's float16 matmul is a slow loop of its own; jitgrad multiplies float16 in float32
    and rounds the result once (torch's CPU kernels accumulate in float32 too). Gradients are
    products as well and are computed the same way."""
    rng = np.random.default_rng(0)
    a32, b32 = rng.normal(size=sa).astype(np.float16), rng.normal(size=sb).astype(np.float16)
    a = autograd.tensor(a32, requires_grad=True)
    b = autograd.tensor(b32, requires_grad=True)
    out = a @ b
    assert out.dtype == autograd.float16
    wide = np.matmul(a32.astype(np.float32), b32.astype(np.float32))
    np.testing.assert_array_equal(out.detach().numpy(), wide.astype(np.float16))
    g = rng.normal(size=out.shape).astype(np.float16)
    out.backward(autograd.tensor(g))
    a2 = a32.reshape(1, -1) if a32.ndim == 1 else a32
    g2 = g.reshape(g.shape[:-1] + (1, g.shape[-1])) if a32.ndim == 1 else g
    g2 = g2.reshape(g2.shape + (1,)) if b32.ndim == 1 else g2
    b2 = b32.reshape(-1, 1) if b32.ndim == 1 else b32
    gb = np.matmul(np.swapaxes(a2, -1, -2).astype(np.float32), g2.astype(np.float32)).astype(
        np.float16
    )
    assert a.grad.dtype == b.grad.dtype == autograd.float16
    np.testing.assert_array_equal(b.grad.numpy(), gb.reshape(b32.shape))
    ga = np.matmul(g2.astype(np.float32), np.swapaxes(b2, -1, -2).astype(np.float32)).astype(
        np.float16
    )
    np.testing.assert_array_equal(a.grad.numpy(), ga.reshape(a32.shape))


def test_float16_matmul_is_within_one_rounding_of_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, b = (
        rng.normal(size=(32, 200)).astype(np.float16),
        rng.normal(size=(200, 16)).astype(np.float16),
    )
    ours = (autograd.tensor(a) @ autograd.tensor(b)).numpy().astype(np.float64)
    theirs = (torch.tensor(a) @ torch.tensor(b)).numpy().astype(np.float64)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    ulp = np.spacing(np.abs(exact).astype(np.float16)).astype(np.float64)
    assert np.all(np.abs(ours - theirs) <= ulp)
    assert np.all(np.abs(ours - exact) <= ulp)  # rounded once: at most one ulp from exact


def test_integer_matmul_keeps_int64():
    a = autograd.tensor([[1, 2], [3, 4]])
    out = a @ a
    assert out.dtype == autograd.int64 and out.tolist() == [[7, 10], [15, 22]]


def test_mm_bmm_mv_dot_outer_inner_errors():
    z = autograd.zeros
    cases = [
        (lambda: autograd.mm(z(2), z(2, 2)), "self must be a matrix"),
        (lambda: autograd.mm(z(2, 2), z(2)), "mat2 must be a matrix"),
        (lambda: autograd.bmm(z(2, 2), z(2, 2, 2)), "batch1 must be a 3D tensor"),
        (lambda: autograd.bmm(z(2, 2, 2), z(2, 2)), "batch2 must be a 3D tensor"),
        (
            lambda: autograd.bmm(z(3, 2, 2), z(2, 2, 2)),
            "Expected size for first two dimensions of batch2 tensor to be: [3, 2] but got: "
            "[2, 2].",
        ),
        (lambda: autograd.dot(z(2, 2), z(2)), "1D tensors expected, but got 2D and 1D tensors"),
        (lambda: autograd.mv(z(2, 3), z(2)), "size mismatch, got input (2), mat (2x3), vec (2)"),
        (lambda: autograd.mv(z(3), z(2)), "vector + matrix @ vector expected, got 1, 1, 1"),
        (lambda: autograd.outer(z(3, 2), z(2)), "outer: Expected 1-D argument self, but got 2-D"),
        (
            lambda: autograd.inner(z(3, 2), z(3)),
            "inner() the last dimension must match on both input tensors but got shapes [3, 2] "
            "and [3]",
        ),
        (
            lambda: autograd.tensordot(z(2, 3), z(4, 4), 1),
            "contracted dimensions need to match, but first has size 3 in dim -1 and second has "
            "size 4 in dim 0",
        ),
    ]
    for fn, msg in cases:
        with pytest.raises(RuntimeError) as info:
            fn()
        assert str(info.value) == msg


def test_special_products():
    a, v, w = rand(2, 3), rand(3, seed=4), rand(2, seed=5)
    an, vn, wn = (t.detach().numpy() for t in (a, v, w))
    np.testing.assert_allclose(autograd.mv(a, v).detach().numpy(), an @ vn)
    np.testing.assert_allclose(autograd.outer(w, v).detach().numpy(), np.outer(wn, vn))
    np.testing.assert_allclose(autograd.inner(a, a).detach().numpy(), np.inner(an, an))
    assert a.mm(a.T).shape == (2, 2) and v.dot(v).shape == () and w.outer(v).shape == (2, 3)
    assert a.inner(v).shape == (2,) and a.mv(v).shape == (2,) and a.matmul(v).shape == (2,)
    assert rand(4, 2, 3).bmm(rand(4, 3, 5)).shape == (4, 2, 5)
    assert gradgradcheck(autograd.outer, (w, v)) and gradgradcheck(autograd.inner, (a, v))


# ---- einsum --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "eq,shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ij,jk", [(2, 3), (3, 4)]),
        ("ba,ab", [(3, 2), (2, 3)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("iij->j", [(2, 2, 3)]),
        ("ij->", [(2, 3)]),
        ("ij->ji", [(2, 3)]),
        ("i,i->i", [(3,), (3,)]),
        ("i,j->ij", [(2,), (3,)]),
        ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
        ("...ij->...", [(2, 1, 3)]),
        ("b...i,bi->b...", [(2, 3, 4), (2, 4)]),
        ("abc,cd,da->b", [(2, 3, 4), (4, 2), (2, 2)]),
        ("ij,ij->ij", [(2, 1), (2, 3)]),
        ("->", [()]),
        ("i->", [(0,)]),
    ],
)
def test_einsum_matches_numpy_and_torch_with_gradients(eq, shapes):
    ops = [rand(*s, seed=k) for k, s in enumerate(shapes)]
    out = autograd.einsum(eq, *ops)
    arrays = [o.detach().numpy() for o in ops]
    np.testing.assert_allclose(out.detach().numpy(), np.einsum(eq, *arrays), rtol=1e-12)
    assert gradcheck(lambda *t: autograd.einsum(eq, *t), tuple(ops))
    assert gradgradcheck(lambda *t: autograd.einsum(eq, *t), tuple(ops))
    try:
        import torch
    except ImportError:
        return
    tops = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = torch.einsum(eq, *tops)
    assert tuple(tout.shape) == tuple(out.shape)
    w = np.random.default_rng(1).normal(size=out.shape)
    gs = autograd.grad((out * autograd.tensor(w)).sum(), ops)
    tgs = torch.autograd.grad((tout * torch.tensor(w)).sum(), tops)
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-10, atol=1e-12)


def test_einsum_operand_list_and_spaces():
    a, b = rand(2, 3), rand(3, 4, seed=1)
    np.testing.assert_allclose(
        autograd.einsum("ij, jk -> ik", [a, b]).detach().numpy(),
        (a @ b).detach().numpy(),
        rtol=1e-12,
    )


def test_einsum_errors():
    a = autograd.zeros(2, 3)
    with pytest.raises(ValueError, match="fewer operands"):
        autograd.einsum("ij,jk", a)
    with pytest.raises(ValueError, match="more operands"):
        autograd.einsum("ij", a, a)
    with pytest.raises(
        RuntimeError,
        match=r"number of subscripts in the equation \(3\) does not "
        r"match the number of dimensions \(2\) for operand 0",
    ):
        autograd.einsum("ijk", a)
    with pytest.raises(
        RuntimeError,
        match="subscript j has size 4 for operand 1 which does not "
        "broadcast with previously seen size 3",
    ):
        autograd.einsum("ij,jk", a, autograd.zeros(4, 4))
    with pytest.raises(ValueError, match="output subscript k does not appear"):
        autograd.einsum("ij->k", a)
    with pytest.raises(TypeError, match="expected scalar type Float but found Double"):
        autograd.einsum("ij,jk", a, autograd.zeros(3, 4, dtype=autograd.float64))


def test_tensordot():
    a, b = rand(2, 3, 4), rand(3, 4, 5, seed=1)
    ref = np.tensordot(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_allclose(autograd.tensordot(a, b).detach().numpy(), ref, rtol=1e-12)
    out = autograd.tensordot(a, rand(4, 3, seed=2), dims=([1, 2], [1, 0]))
    assert out.shape == (2,)
    assert gradcheck(lambda x, y: autograd.tensordot(x, y, 1), (rand(2, 3), rand(3, 2, seed=3)))


def test_blas_beta_zero_ignores_input_but_gives_it_a_zero_gradient_like_torch():
    torch = pytest.importorskip("torch")
    x = [[float("nan"), 1.0], [2.0, float("inf")]]
    for lib in (autograd, torch):
        inp, a = lib.tensor(x, requires_grad=True), lib.ones(2, 2, requires_grad=True)
        y = lib.addmm(inp, a, a, beta=0, alpha=2)
        y.sum().backward()
        assert y.tolist() == [[4.0, 4.0], [4.0, 4.0]] and inp.grad.tolist() == [[0.0, 0.0]] * 2
