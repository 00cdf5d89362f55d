"""Fused layer_norm / batch_norm: the Numba kernels against the NumPy reference and PyTorch
(values, input/weight/bias gradients, running statistics), float32 and float64, affine on
and off, non-contiguous input, odd sizes, constant rows, large offsets, nan/inf, empty
input; gradcheck and gradgradcheck (float64) on both backends."""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import kernels as _kernels_pkg  # noqa: F401  (imports numba up front)
from autograd.kernels import norm as K

BACKENDS = ("numpy", "numba")
TOL = {"float32": {"rtol": 2e-5, "atol": 2e-5}, "float64": {"rtol": 1e-10, "atol": 1e-10}}
# vs torch, float32: torch rounds differently, and rows of one element (var 0, rstd =
# 1/sqrt(eps) ~ 316) amplify its rounding noise in dx to ~1e-4
TORCH_TOL = {"float32": {"rtol": 1e-4, "atol": 1e-4}, "float64": TOL["float64"]}


def _data(rng, shape, dtype, contiguous=True, offset=0.0):
    if contiguous:
        return (rng.normal(size=shape) + offset).astype(dtype)
    # a transposed copy: same values, non-contiguous memory
    return np.swapaxes(
        (rng.normal(size=shape) + offset).astype(dtype).swapaxes(0, -1).copy(), 0, -1
    )


def _leaf(a):
    return None if a is None else autograd.tensor(a, requires_grad=True)


def _grads(*ts):
    return [None if t is None else t.grad.numpy() for t in ts]


def _layer_norm_run(backend, x, shape, w, b, g, eps=1e-5):
    with autograd.backend(backend):
        xt, wt, bt = _leaf(x), _leaf(w), _leaf(b)
        y = F.layer_norm(xt, shape, wt, bt, eps)
        y.backward(autograd.tensor(g))
        return [y.detach().numpy()] + _grads(xt, wt, bt)


def _batch_norm_run(backend, x, w, b, g, training, rm=None, rv=None, momentum=0.1, eps=1e-5):
    with autograd.backend(backend):
        xt, wt, bt = _leaf(x), _leaf(w), _leaf(b)
        rmt = None if rm is None else autograd.tensor(rm.copy())
        rvt = None if rv is None else autograd.tensor(rv.copy())
        y = F.batch_norm(xt, rmt, rvt, wt, bt, training, momentum, eps)
        y.backward(autograd.tensor(g))
        stats = [None if t is None else t.numpy() for t in (rmt, rvt)]
        return [y.detach().numpy()] + _grads(xt, wt, bt) + stats


def _torch_layer_norm(x, shape, w, b, g, eps=1e-5):
    torch = pytest.importorskip("torch")
    xt = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    wt = None if w is None else torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    y = torch.nn.functional.layer_norm(xt, shape, wt, bt, eps)
    y.backward(torch.tensor(g))
    return [y.detach().numpy()] + [None if t is None else t.grad.numpy() for t in (xt, wt, bt)]


def _torch_batch_norm(x, w, b, g, training, rm=None, rv=None, momentum=0.1, eps=1e-5):
    torch = pytest.importorskip("torch")
    xt = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    wt = None if w is None else torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    rmt = None if rm is None else torch.tensor(rm.copy())
    rvt = None if rv is None else torch.tensor(rv.copy())
    y = torch.nn.functional.batch_norm(xt, rmt, rvt, wt, bt, training, momentum, eps)
    y.backward(torch.tensor(g))
    return (
        [y.detach().numpy()]
        + [None if t is None else t.grad.numpy() for t in (xt, wt, bt)]
        + [None if t is None else t.numpy() for t in (rmt, rvt)]
    )


def _close(a, b, tol, what=""):
    assert len(a) == len(b)
    for k, (u, v) in enumerate(zip(a, b)):
        if u is None or v is None:
            assert u is None and v is None, f"{what}[{k}]"
            continue
        assert u.dtype == v.dtype and u.shape == v.shape, f"{what}[{k}]"
        np.testing.assert_allclose(u, v, err_msg=f"{what}[{k}]", equal_nan=True, **tol)


AFFINE = [(True, True), (True, False), (False, False)]


# ---- layer_norm ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", AFFINE, ids=["affine", "weight_only", "plain"])
@pytest.mark.parametrize(
    "shape,norm_shape,contiguous",
    [
        ((4, 7), (7,), True),
        ((37, 13), (13,), False),
        ((2, 3, 5, 6), (5, 6), True),
        ((3, 4, 1), (1,), True),
        ((5, 64), (64,), False),
        ((9,), (9,), True),
    ],
)
def test_layer_norm_backends_and_torch(dtype, affine, shape, norm_shape, contiguous):
    rng = np.random.default_rng(0)
    x = _data(rng, shape, dtype, contiguous)
    w = rng.normal(size=norm_shape).astype(dtype) if affine[0] else None
    b = rng.normal(size=norm_shape).astype(dtype) if affine[1] else None
    g = rng.normal(size=shape).astype(dtype)
    ref = _layer_norm_run("numpy", x, norm_shape, w, b, g)
    _close(_layer_norm_run("numba", x, norm_shape, w, b, g), ref, TOL[dtype], "numba vs numpy")
    _close(ref, _torch_layer_norm(x, norm_shape, w, b, g), TORCH_TOL[dtype], "numpy vs torch")


def test_layer_norm_numba_path_is_taken(monkeypatch):
    """The numba backend must call the kernels (forward and backward), the numpy one not."""
    calls = []
    for name in ("layer_norm_forward", "layer_norm_backward"):
        real = getattr(K, name)
        monkeypatch.setattr(K, name, lambda *a, _r=real, _n=name: calls.append(_n) or _r(*a))
    x = autograd.tensor(np.ones((3, 4), np.float32) * np.arange(4), requires_grad=True)
    with autograd.backend("numpy"):
        F.layer_norm(x, (4,)).sum().backward()
    assert calls == []
    with autograd.backend("numba"):
        F.layer_norm(x, (4,)).sum().backward()
    assert calls == ["layer_norm_forward", "layer_norm_backward"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_norm_constant_rows(backend, dtype):
    """var = 0: y = bias, gradients finite (rstd = 1/sqrt(eps)), like torch."""
    x = np.full((3, 5), 2.5, dtype)
    x[1] = np.arange(5)  # one ordinary row
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=5).astype(dtype), rng.normal(size=5).astype(dtype)
    g = rng.normal(size=(3, 5)).astype(dtype)
    out = _layer_norm_run(backend, x, (5,), w, b, g)
    assert all(np.isfinite(o).all() for o in out)
    np.testing.assert_allclose(out[0][0], b, rtol=1e-6)
    _close(out, _torch_layer_norm(x, (5,), w, b, g), {"rtol": 1e-4, "atol": 1e-4})


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype,offset,tol", [("float32", 1e4, 2e-3), ("float64", 1e8, 1e-6)])
def test_layer_norm_large_offset(backend, dtype, offset, tol):
    """Variance from squared deviations: E[x**2] - E[x]**2 would cancel to garbage here."""
    rng = np.random.default_rng(2)
    x = _data(rng, (6, 96), dtype, offset=offset)
    g = rng.normal(size=x.shape).astype(dtype)
    y, dx, _, _ = _layer_norm_run(backend, x, (96,), None, None, g)
    c = x.astype(np.float64) - offset  # exact: the data's offset removed first
    d = c - c.mean(1, keepdims=True)
    rstd = 1 / np.sqrt((d * d).mean(1, keepdims=True) + 1e-5)
    xhat = d * rstd
    np.testing.assert_allclose(y, xhat, atol=tol)
    dx_ref = rstd * (g - g.mean(1, keepdims=True) - xhat * (g * xhat).mean(1, keepdims=True))
    np.testing.assert_allclose(dx, dx_ref, atol=tol * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_norm_one_pass_statistics_both_branches(dtype):
    """The kernel's mean/variance come from sums shifted by each row's first element; when
    that element is far from the mean (rows 0 and 2: the shifted sums would cancel) it
    takes a second, exact pass. Both branches must agree with float64 two-pass statistics,
    at offsets where E[x**2] - E[x]**2 would be garbage."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 50)) + 1e3
    x[0, 0] = 1e3 + 400.0  # an outlier first: the second-pass branch
    x[2, 0] = -5e3
    x = x.astype(dtype)
    _, mean, rstd = K.layer_norm_forward(x, 50, None, None, 1e-5)
    x64 = x.astype(np.float64)
    mu = x64.mean(1)
    var = ((x64 - mu[:, None]) ** 2).mean(1)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(mean, mu, rtol=tol)
    np.testing.assert_allclose(rstd, 1 / np.sqrt(var + 1e-5), rtol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_norm_nan_inf_rows(dtype):
    """A row with nan or inf becomes nan; the other rows are untouched (both backends)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 6)).astype(dtype)
    x[1, 2], x[2, 0] = np.nan, np.inf
    g = rng.normal(size=x.shape).astype(dtype)
    w = rng.normal(size=6).astype(dtype)
    outs = [_layer_norm_run(be, x, (6,), w, None, g)[:2] for be in BACKENDS]
    for y, dx in outs:
        assert np.isnan(y[1]).all() and np.isnan(y[2]).all()
        assert np.isfinite(y[[0, 3]]).all() and np.isfinite(dx[[0, 3]]).all()
    _close(outs[1], outs[0], TOL[dtype])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape,norm_shape", [((0, 4), (4,)), ((2, 0), (0,))])
def test_layer_norm_empty(backend, shape, norm_shape):
    with autograd.backend(backend):
        x = autograd.zeros(shape, requires_grad=True)
        w = autograd.ones(norm_shape, requires_grad=True)
        b = autograd.zeros(norm_shape, requires_grad=True)
        y = F.layer_norm(x, norm_shape, w, b)
        assert tuple(y.shape) == shape
        y.sum().backward()
        assert tuple(x.grad.shape) == shape and tuple(w.grad.shape) == norm_shape
        assert not w.grad.numpy().any() and not b.grad.numpy().any()


@pytest.mark.parametrize("backend", BACKENDS)
def test_layer_norm_broadcast_grad_and_partial_needs(backend):
    """y.sum().backward() hands the op a broadcast (zero-stride) gradient; only the weight
    requires grad in the second call."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 8))
    w, b = rng.normal(size=8), rng.normal(size=8)
    ref = _torch_layer_norm(x, (8,), w, b, np.ones((5, 8)))
    with autograd.backend(backend):
        xt, wt, bt = _leaf(x), _leaf(w), _leaf(b)
        F.layer_norm(xt, (8,), wt, bt).sum().backward()
        _close(_grads(xt, wt, bt), ref[1:], TOL["float64"])
        wt2 = _leaf(w)
        F.layer_norm(autograd.tensor(x), (8,), wt2, autograd.tensor(b)).sum().backward()
        np.testing.assert_allclose(wt2.grad.numpy(), ref[2], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("affine", AFFINE, ids=["affine", "weight_only", "plain"])
def test_layer_norm_gradcheck(backend, affine):
    rng = np.random.default_rng(5)
    x = _leaf(rng.normal(size=(3, 2, 4)))
    w = _leaf(rng.normal(size=(2, 4))) if affine[0] else None
    b = _leaf(rng.normal(size=(2, 4))) if affine[1] else None
    inputs = tuple(t for t in (x, w, b) if t is not None)

    def f(*args):
        it = iter(args[1:])
        return F.layer_norm(
            args[0],
            (2, 4),
            next(it) if w is not None else None,
            next(it) if b is not None else None,
        )

    with autograd.backend(backend):
        assert autograd.gradcheck(f, inputs)
        assert autograd.gradgradcheck(f, inputs)


def test_layer_norm_errors():
    with pytest.raises(autograd.ShapeError, match="expected input with shape"):
        F.layer_norm(autograd.ones(2, 3), (4,))
    with pytest.raises(autograd.ShapeError, match="at least 1-dimensional"):
        F.layer_norm(autograd.ones(2, 3), ())
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.layer_norm(autograd.ones(2, 3, dtype=autograd.long), (3,))
    with pytest.raises(autograd.ShapeError, match="Expected weight to be of same shape"):
        F.layer_norm(autograd.ones(2, 3), (3,), autograd.ones(2))
    with pytest.raises(autograd.ShapeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(autograd.ones(2, 3), autograd.zeros(4), autograd.ones(4))
    with pytest.raises(autograd.ShapeError, match="weight should contain 3 elements not 2"):
        F.batch_norm(autograd.ones(2, 3), None, None, autograd.ones(2), training=True)


# ---- batch_norm ------------------------------------------------------------------------------
# (N, C) input has its own kernels, with channel blocks of 256: (5, 300) spans two blocks
BN_SHAPES = [
    ((6, 3), True),
    ((5, 300), False),
    ((4, 3, 5), False),
    ((2, 3, 4, 5), True),
    ((3, 2, 7, 3), False),
    ((5, 4, 1, 1), True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", AFFINE, ids=["affine", "weight_only", "plain"])
@pytest.mark.parametrize("shape,contiguous", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batch_norm_backends_and_torch(dtype, affine, shape, contiguous, training):
    rng = np.random.default_rng(6)
    C = shape[1]
    x = _data(rng, shape, dtype, contiguous, offset=3.0)
    w = rng.normal(size=C).astype(dtype) if affine[0] else None
    b = rng.normal(size=C).astype(dtype) if affine[1] else None
    g = rng.normal(size=shape).astype(dtype)
    rm = rng.normal(size=C).astype(dtype)
    rv = rng.uniform(0.5, 2.0, size=C).astype(dtype)
    ref = _batch_norm_run("numpy", x, w, b, g, training, rm, rv, momentum=0.3)
    _close(
        _batch_norm_run("numba", x, w, b, g, training, rm, rv, momentum=0.3),
        ref,
        TOL[dtype],
        "numba vs numpy",
    )
    _close(
        ref,
        _torch_batch_norm(x, w, b, g, training, rm, rv, momentum=0.3),
        TORCH_TOL[dtype],
        "numpy vs torch",
    )
    if training:  # the running statistics really moved
        assert not np.allclose(ref[4], rm) and not np.allclose(ref[5], rv)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_norm_without_running_stats(backend):
    rng = np.random.default_rng(7)
    x, g = rng.normal(size=(4, 3, 5)), rng.normal(size=(4, 3, 5))
    w, b = rng.normal(size=3), rng.normal(size=3)
    _close(
        _batch_norm_run(backend, x, w, b, g, True),
        _torch_batch_norm(x, w, b, g, True),
        TOL["float64"],
    )


def test_batch_norm_numba_path_is_taken(monkeypatch):
    calls = []
    for name in ("batch_norm_forward_train", "batch_norm_forward_eval", "batch_norm_backward"):
        real = getattr(K, name)
        monkeypatch.setattr(K, name, lambda *a, _r=real, _n=name: calls.append(_n) or _r(*a))
    x = autograd.tensor(np.arange(24, dtype=np.float32).reshape(4, 3, 2), requires_grad=True)
    rm, rv = autograd.zeros(3), autograd.ones(3)
    with autograd.backend("numpy"):
        F.batch_norm(x, rm, rv, training=True).sum().backward()
    assert calls == []
    with autograd.backend("numba"):
        F.batch_norm(x, rm, rv, training=True).sum().backward()
        F.batch_norm(x, rm, rv, training=False).sum().backward()
    assert calls == [
        "batch_norm_forward_train",
        "batch_norm_backward",
        "batch_norm_forward_eval",
        "batch_norm_backward",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_constant_channel_and_offset(backend, dtype):
    """A constant channel (var 0) gives y = bias and finite gradients; a channel with a large
    offset keeps its precision (two-pass variance)."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    offset = 1e4 if dtype == "float32" else 1e8
    x = rng.normal(size=(8, 3, 6)).astype(dtype)
    x[:, 0] = 1.5
    x[:, 2] += offset
    g = rng.normal(size=x.shape).astype(dtype)
    w, b = rng.normal(size=3).astype(dtype), rng.normal(size=3).astype(dtype)
    out = _batch_norm_run(backend, x, w, b, g, True)
    assert all(np.isfinite(o).all() for o in out[:4])
    np.testing.assert_allclose(out[0][:, 0], np.broadcast_to(b[0], (8, 6)), rtol=1e-6)
    c = x[:, 2].astype(np.float64) - offset
    xhat = (c - c.mean()) / np.sqrt(c.var() + 1e-5)
    np.testing.assert_allclose(out[0][:, 2], xhat * w[2] + b[2], atol=3e-3 * abs(w[2]) + 1e-6)
    ref = _torch_batch_norm(
        x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), g.astype(np.float64), True
    )
    _close([o.astype(np.float64) for o in out[:4]], ref[:4], {"rtol": 1e-3, "atol": 1e-2})


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_module_running_stats_match_torch(backend, momentum):
    """Several training steps of nn.BatchNorm2d (incl. momentum=None: cumulative average)
    then eval, against torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    with autograd.backend(backend):
        ours, theirs = (
            nn.BatchNorm2d(3, momentum=momentum),
            torch.nn.BatchNorm2d(3, momentum=momentum),
        )
        for _ in range(3):
            x = rng.normal(loc=2.0, scale=3.0, size=(4, 3, 5, 5)).astype(np.float32)
            ours(autograd.tensor(x)).sum().backward()
            theirs(torch.tensor(x)).sum().backward()
        for (k, a), (_, t) in zip(ours.named_buffers(), theirs.named_buffers()):
            np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
        np.testing.assert_allclose(
            ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-4
        )
        ours.eval()
        theirs.eval()
        np.testing.assert_allclose(
            ours(autograd.tensor(x)).detach().numpy(),
            theirs(torch.tensor(x)).detach().numpy(),
            rtol=1e-5,
            atol=1e-5,
        )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_gradcheck(backend, training, affine):
    rng = np.random.default_rng(10)
    x = _leaf(rng.normal(size=(3, 2, 2, 3)))
    params = (_leaf(rng.normal(size=2)), _leaf(rng.normal(size=2))) if affine else ()
    rm, rv = autograd.tensor(rng.normal(size=2)), autograd.tensor(rng.uniform(0.5, 2, size=2))

    def f(x, *wb):
        # momentum 0: the running statistics stay put while gradcheck calls f many times
        return F.batch_norm(x, rm, rv, *wb, training=training, momentum=0.0)

    with autograd.backend(backend):
        assert autograd.gradcheck(f, (x,) + params)
        assert autograd.gradgradcheck(f, (x,) + params)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_norm_empty_eval_and_errors(backend):
    with autograd.backend(backend):
        x = autograd.zeros(0, 3, 4, requires_grad=True)
        w = autograd.ones(3, requires_grad=True)
        y = F.batch_norm(x, autograd.zeros(3), autograd.ones(3), w, training=False)
        y.sum().backward()
        assert tuple(y.shape) == (0, 3, 4) and not w.grad.numpy().any()
        with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
            F.batch_norm(autograd.ones(1, 3), None, None, training=True)
        with pytest.raises(RuntimeError, match="running_mean and running_var must be given"):
            F.batch_norm(autograd.ones(2, 3), None, None, training=False)


# ---- the kernels themselves ----------------------------------------------------------------
@pytest.mark.needs_jit
def test_kernels_parallel_build_matches_serial():
    """With 2 threads, large inputs take the parallel build. The layer_norm backward is the
    kernel whose parallel form differs (row chunks with their own partial weight/bias
    gradients); its results must equal the serial build's. (Only this one kernel: each
    parallel build compiles in-process, seconds per kernel.)"""
    numba = pytest.importorskip("numba")
    if numba.config.DISABLE_JIT:
        pytest.skip("no parallel build when kernels run as Python")
    from autograd.kernels import parallel

    rng = np.random.default_rng(11)
    x = rng.normal(size=(523, 400)).astype(np.float32)  # rows not a multiple of the chunks
    g = rng.normal(size=x.shape).astype(np.float32)
    w, b = rng.normal(size=400).astype(np.float32), rng.normal(size=400).astype(np.float32)
    _, mean, rstd = K.layer_norm_forward(x, 400, w, b, 1e-5)
    serial = K.layer_norm_backward(x, g, 400, w, mean, rstd)
    old = parallel.get_num_threads()
    parallel.set_num_threads(2)
    try:
        par = K.layer_norm_backward(x, g, 400, w, mean, rstd)
    finally:
        parallel.set_num_threads(old)
    for s, p in zip(serial, par):
        np.testing.assert_allclose(p, s, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("normalized_shape", [(6,), (2, 3)])
def test_layer_norm_kernel_parameter_grads_are_taken_over_by_grad(normalized_shape, monkeypatch):
    # the kernel's new weight/bias gradients become .grad as they are (a view of them would
    # be copied by the engine); a multi-dim normalized_shape gets its shape back
    made, backward = [], K.layer_norm_backward

    def spy(*args):  # (notes the arrays' ids: holding them would make the engine copy)
        out = backward(*args)
        made.append(tuple(map(id, out)))
        return out

    x = np.random.default_rng(0).normal(size=(4,) + normalized_shape).astype(np.float32)
    grads = {}
    for backend in BACKENDS:
        with autograd.backend(backend):
            ln = nn.LayerNorm(normalized_shape)
            with monkeypatch.context() as m:
                m.setattr(K, "layer_norm_backward", spy)
                ln(autograd.tensor(x)).pow(2).sum().backward()
            grads[backend] = (ln.weight.grad, ln.bias.grad)
    for ours, ref in zip(grads["numba"], grads["numpy"]):
        assert ours.shape == ref.shape == normalized_shape and ours.dtype == ref.dtype
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), **TOL["float32"])
    ((_, dw, db),) = made
    if len(normalized_shape) == 1:
        assert (id(grads["numba"][0]._data), id(grads["numba"][1]._data)) == (dw, db)
