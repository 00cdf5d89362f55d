"""Fast paths of the transformer's hot ops (issue 17) give what their general paths give.

Each fast path below sits next to the general path it replaces in the common case; the tests
run both on the same inputs and compare values bit for bit (``tobytes``), dtypes,
``grad_fn`` names and ``requires_grad``.
"""

import numpy as np
import pytest

import autograd
from autograd.kernels import activation


def _special_and_random(n, seed=0):
    """float32 values over GELU's whole range: tails, zeros of both signs, inf, nan."""
    rng = np.random.default_rng(seed)
    special = [0.0, -0.0, 1e-30, -1e-30, 0.5, -0.5, 3.0, -3.0, 9.0, -9.0, 30.0, -30.0]
    special += [np.inf, -np.inf, np.nan, 1e30, -1e30]
    x = np.concatenate([special, rng.standard_normal(n) * 4.0, rng.uniform(-12, 12, n)])
    return x.astype(np.float32)


# ---- GELU: forward kernel that also writes dy/dx -------------------------------------------
def test_gelu_fwd_grad_kernel_matches_fwd_and_bwd_kernels():
    x = _special_and_random(500)
    g = np.random.default_rng(1).standard_normal(x.size).astype(np.float32)
    y_fast, dydx = activation.gelu_with_grad(x)
    y_general = activation.run_activation("gelu", x)
    dx_general = activation.run_activation_backward("gelu", x, g)
    assert y_fast.tobytes() == y_general.tobytes()
    assert (g * dydx).tobytes() == dx_general.tobytes()


def test_bias_gelu_kernel_is_the_bias_add_then_the_gelu_kernel():
    """A compiled plan's bias add + exact GELU in one kernel (compiler/steps.py
    ``bias_gelu``) against its general path, the bias add (float32) and ``Gelu.forward``:
    the same pre-activation, GELU and dy/dx bit for bit, and the GELU's ctx filled alike
    (its input saved, dy/dx kept for the backward, ``approximate``)."""
    from autograd.compiler.steps import Ctx, bias_gelu
    from autograd.ops.activation import Gelu

    x = _special_and_random(300)[:600].reshape(4, 6, 25)
    b = _special_and_random(25, seed=3)[-25:]
    b[:4] = [-0.0, np.inf, 1e30, -3.0]  # (inf + -inf = nan, overflow to inf)
    with np.errstate(all="ignore"), autograd.backend("numba"):
        h_general = x + b
        general = Ctx((True,))
        y_general = Gelu.forward(general, h_general, approximate="none")
        fast, h = Ctx((True,)), np.empty_like(x)
        y = bias_gelu(fast, x, b, h)
    assert h.tobytes() == h_general.tobytes()
    assert y.dtype == y_general.dtype and y.tobytes() == y_general.tobytes()
    assert fast.dydx.tobytes() == general.dydx.tobytes()
    (saved,) = fast.saved_tensors
    assert saved is h and fast.approximate == general.approximate == "none"
    assert set(vars(fast)) == set(vars(general))


def test_gelu_bias_grad_kernel_is_the_gelu_vjp_then_the_bias_sum():
    """A compiled plan's VJPs of a bias add + exact GELU in one kernel (compiler/steps.py
    ``gelu_bias_grad``) against their general path, ``Gelu.backward`` with the saved dy/dx
    then ``sum_rows`` of its result: both gradients bit for bit (inf/nan included), and the
    derivative released from the ctx as ``Gelu.backward`` releases it."""
    from autograd.compiler.steps import Ctx, bias_gelu, gelu_bias_grad, sum_rows
    from autograd.ops import xp
    from autograd.ops.activation import Gelu

    x = _special_and_random(300)[:600].reshape(4, 6, 25)
    b = _special_and_random(25, seed=3)[-25:]
    g = _special_and_random(300, seed=5)[-600:].reshape(4, 6, 25)
    with np.errstate(all="ignore"), autograd.backend("numba"):
        general, fast = Ctx((True,)), Ctx((True,))
        bias_gelu(general, x, b, np.empty_like(x))
        bias_gelu(fast, x, b, np.empty_like(x))
        dx_general = Gelu.backward(general, g, xp.NUMPY)
        db_general = sum_rows(dx_general, 25)
        dx, db = gelu_bias_grad(fast, g, 25)
    assert dx.dtype == dx_general.dtype and dx.tobytes() == dx_general.tobytes()
    assert db.dtype == db_general.dtype and db.tobytes() == db_general.tobytes()
    assert fast.dydx is None and general.dydx is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("base", ["residual", "none", "other dtype"])
def test_layer_norm_grad_kernel_adds_the_residual_gradient_as_acc_does(dtype, base):
    """A compiled plan's layer_norm VJP whose input gradient meets the residual stream's
    (compiler/steps.py ``layer_norm_grad``: the kernel writes ``base + dx``) against its
    general path, ``LayerNorm.backward`` then ``acc``: the same three gradients bit for bit
    (a base of another dtype, or none, takes the general path itself)."""
    from autograd.compiler.steps import Ctx, acc, layer_norm_grad
    from autograd.ops import xp
    from autograd.ops.normalization import LayerNorm

    rng = np.random.default_rng(11)
    x, g, b0 = (rng.standard_normal((3, 5, 24)).astype(dtype) * 3 + 1 for _ in range(3))
    w, b = (rng.standard_normal(24).astype(dtype) for _ in range(2))
    b0 = {"residual": b0, "none": None, "other dtype": b0.astype(np.float16)}[base]
    with autograd.backend("numba"):
        general, fast = Ctx((True, True, True)), Ctx((True, True, True))
        LayerNorm.forward(general, x, w, b, k=1, eps=1e-5)
        LayerNorm.forward(fast, x, w, b, k=1, eps=1e-5)
        dx, dw, db = LayerNorm.backward(general, g, xp.NUMPY)
        expected = (acc(b0, dx), dw, db)
        got = layer_norm_grad(fast, g, b0)
    for e, a in zip(expected, got):
        assert a.dtype == e.dtype and a.shape == e.shape and a.tobytes() == e.tobytes()


@pytest.mark.parametrize("shape", [(7,), (4, 33), (2, 3, 5)])
def test_gelu_saved_derivative_fast_path_matches_general_kernel_path(shape):
    x = _special_and_random(80)[: int(np.prod(shape))].reshape(shape)
    g = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    with autograd.backend("numba"):
        t = autograd.tensor(x, requires_grad=True)
        y = autograd.gelu(t)  # fast path: grad needed, the kernel saves dy/dx
        assert y.grad_fn.dydx is not None  # (the fast path was taken)
        y.backward(autograd.tensor(g))
        assert y.grad_fn.dydx is None  # (used by the backward, then released)
        y_general = autograd.gelu(autograd.tensor(x))  # no grad: the forward kernel alone
    dx_general = activation.run_activation_backward("gelu", x, g)
    assert y.dtype == y_general.dtype and y.requires_grad and not y_general.requires_grad
    assert y.grad_fn.name() == "GeluBackward0"
    assert y.detach().numpy().tobytes() == y_general.numpy().tobytes()
    assert t.grad.dtype == autograd.float32
    assert t.grad.numpy().tobytes() == dx_general.tobytes()


def test_gelu_saved_derivative_kernel_path_broadcast_grad_and_double_backward():
    x = _special_and_random(30)[:20]
    x = x[np.isfinite(x) & (np.abs(x) < 10)]
    with autograd.backend("numba"):
        t = autograd.tensor(x, requires_grad=True)
        y = autograd.gelu(t)
        (gx,) = autograd.grad(y.sum(), t, create_graph=True)  # graph VJP: the general path
        (ggx,) = autograd.grad(gx.sum(), t)
    with autograd.backend("numpy"):
        t64 = autograd.tensor(x.astype(np.float64), requires_grad=True)
        (gx64,) = autograd.grad(autograd.gelu(t64).sum(), t64, create_graph=True)
        (ggx64,) = autograd.grad(gx64.sum(), t64)
    np.testing.assert_allclose(gx.detach().numpy(), gx64.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ggx.numpy(), ggx64.numpy(), rtol=1e-4, atol=1e-5)


# ---- sum over leading axes (a bias's gradient) in NumPy's order ---------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, n", [(1, 8), (3, 8), (512, 64), (37, 65), (1000, 9), (2, 300)])
def test_sum_leading_kernel_is_numpys_axis0_sum_bit_for_bit(dtype, rows, n):
    from autograd.kernels import reduce

    rng = np.random.default_rng(rows * n)
    x = rng.standard_normal((rows, n)) * 10.0 ** rng.integers(-6, 6, (rows, n))
    x = x.astype(dtype)
    x[0, :5] = [-0.0, np.inf, np.nan, 1e30, -1e30][: min(5, n)]
    if rows > 1:
        x[1, :2] = [-0.0, -np.inf]
    with np.errstate(all="ignore"):
        fast, general = reduce.sum_leading(x), x.sum(axis=0)
    assert fast.dtype == general.dtype and fast.tobytes() == general.tobytes()
    assert reduce.sum_leading(x[:, :7].copy()) is None  # (too few columns: NumPy's path)


@pytest.mark.parametrize(
    "shape, to, kernel",
    [
        ((16, 32, 64), (64,), True),
        ((64, 16, 8), (16, 8), True),
        ((1024, 9), (9,), True),
        ((5, 3, 8), (3, 8), False),  # (small: NumPy's sum on both backends)
    ],
)
def test_sum_to_fast_path_matches_numpy_backend_kernel(monkeypatch, shape, to, kernel):
    """A bias's gradient (Expand's VJP): the numba backend's kernel path gives the numpy
    backend's values bit for bit, dtype and shape included, and the gradients of a Linear's
    bias agree."""
    from autograd.kernels import reduce
    from autograd.ops.movement import _sum_to_shape

    calls = []
    real = reduce.sum_leading
    monkeypatch.setattr(reduce, "sum_leading", lambda x: calls.append(1) or real(x))
    g = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    with autograd.backend("numba"):
        fast = _sum_to_shape(g, to)
    assert len(calls) == kernel
    with autograd.backend("numpy"):
        general = _sum_to_shape(g, to)
    assert fast.shape == general.shape == to and fast.dtype == general.dtype
    assert fast.tobytes() == general.tobytes()
    grads = []
    for backend in ("numba", "numpy"):
        with autograd.backend(backend):
            b = autograd.tensor(np.zeros(to, np.float32), requires_grad=True)
            (autograd.tensor(g) + b).backward(autograd.tensor(g))
            grads.append(b.grad.numpy())
    assert grads[0].tobytes() == grads[1].tobytes()


def test_gelu_saved_derivative_is_released_by_the_backward_like_saved_values():
    """dy/dx is held only until the backward uses it (a loss kept in a list keeps its graph,
    not GELU's derivative); with retain_graph a second backward takes the backward kernel
    and gives the same gradient bit for bit; with create_graph it is released as well."""
    x = _special_and_random(40)
    x = x[np.isfinite(x)]
    with autograd.backend("numba"):
        t = autograd.tensor(x, requires_grad=True)
        y = autograd.gelu(t)
        y.sum().backward(retain_graph=True)
        first = t.grad.numpy().copy()
        assert y.grad_fn.dydx is None
        t.grad = None
        y.sum().backward()
        assert t.grad.numpy().tobytes() == first.tobytes()
        y2 = autograd.gelu(t)
        autograd.grad(y2.sum(), t, create_graph=True)
        assert y2.grad_fn.dydx is None
