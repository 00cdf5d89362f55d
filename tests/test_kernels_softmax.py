"""Softmax / log_softmax / cross-entropy kernels (autograd/kernels/softmax.py): the numba
backend against the NumPy reference and PyTorch, values and gradients, float32 and float64,
every reduced dim, non-contiguous inputs, extreme and non-finite logits, empty inputs."""

import numpy as np
import pytest

pytest.importorskip("numba")

import autograd
import nn.functional as F
from autograd.kernels import softmax as K

TOL = {np.float32: dict(rtol=2e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}
TORCH_TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}


def _run(backend, fn, x, dim, g, noncontig=False):
    """Value and input gradient of fn(x, dim) on one backend."""
    with autograd.backend(backend):
        t = autograd.tensor(x, requires_grad=True)
        inp = t.transpose(0, -1) if noncontig else t
        y = fn(inp, dim)
        (gx,) = autograd.grad(y, t, autograd.tensor(g))
    return y.detach().numpy(), gx.numpy()


def _torch(name, x, dim, g, noncontig=False):
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    y = getattr(torch, name)(t.transpose(0, -1) if noncontig else t, dim)
    (gx,) = torch.autograd.grad(y, t, torch.tensor(g))
    return y.detach().numpy(), gx.numpy()


CASES = [
    ((7, 13), 1, False),
    ((7, 13), 0, False),
    ((7, 13), -1, True),
    ((7, 13), 0, True),
    ((3, 5, 4), 1, False),
    ((3, 5, 4), 0, False),
    ((3, 5, 4), 2, True),
    ((9,), 0, False),
    ((2, 1, 3), 1, False),
    ((1, 257), -1, False),
    ((2, 3, 17), 1, False),
    ((20, 16), 0, True),
    ((2, 3, 11, 32), -1, False),  # attention scores: the short-row block kernel + leftovers
]  # (A, C, B) cols kernels for B >= 16, class-last copies below


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dim,noncontig", CASES)
def test_softmax_numba_matches_numpy_and_torch(name, dtype, shape, dim, noncontig):
    rng = np.random.default_rng(len(shape) * 10 + dim)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    x.flat[0], x.flat[-1] = 1000.0, -1000.0  # no overflow, and still a non-trivial gradient
    out_shape = x.transpose(*range(x.ndim)[::-1]).shape if noncontig else shape
    g = rng.standard_normal(out_shape).astype(dtype)
    fn = getattr(autograd, name)
    y_nb, g_nb = _run("numba", fn, x, dim, g, noncontig)
    y_np, g_np = _run("numpy", fn, x, dim, g, noncontig)
    assert y_nb.dtype == g_nb.dtype == dtype
    np.testing.assert_allclose(y_nb, y_np, **TOL[dtype])
    np.testing.assert_allclose(g_nb, g_np, **TOL[dtype])
    y_t, g_t = _torch(name, x, dim, g, noncontig)
    np.testing.assert_allclose(y_nb, y_t, **TORCH_TOL[dtype])
    np.testing.assert_allclose(g_nb, g_t, **TORCH_TOL[dtype])


def test_numba_backend_really_runs_the_kernels(monkeypatch):
    calls = []
    for fname in (
        "softmax",
        "log_softmax",
        "softmax_backward",
        "log_softmax_backward",
        "cross_entropy",
        "cross_entropy_checked",
        "cross_entropy_backward",
    ):
        orig = getattr(K, fname)
        monkeypatch.setattr(K, fname, lambda *a, _f=orig, _n=fname: calls.append(_n) or _f(*a))
    x = autograd.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    with autograd.backend("numba"):
        autograd.softmax(x, 1).sum().backward()
        autograd.log_softmax(x, 0).sum().backward()
        F.cross_entropy(x, autograd.tensor([0, 2])).backward()  # (int64: the kernel checks)
        F.cross_entropy(x, autograd.tensor([0, 2], dtype=autograd.int32)).backward()
    assert calls == [
        "softmax",
        "softmax_backward",
        "log_softmax",
        "log_softmax_backward",
        "cross_entropy_checked",
        "cross_entropy_backward",
        "cross_entropy",
        "cross_entropy_backward",
    ]
    calls.clear()
    with autograd.backend("numpy"):
        autograd.softmax(x, 1).sum().backward()
        F.cross_entropy(x, autograd.tensor([0, 2])).backward()
    assert calls == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_finite_rows_match_numpy_and_torch(dtype):
    """nan anywhere, all -inf, or a +inf make the whole row nan (torch too); -inf entries in
    a finite row give probability 0 and log-probability -inf."""
    x = np.array(
        [
            [0, np.nan, 1, 2],
            [-np.inf] * 4,
            [np.inf, 0, 1, 2],
            [-np.inf, 0, 1, -np.inf],
            [1e30, -1e30, 0, 3],
            [-1000, 1000, 999, 0],
        ],
        dtype,
    )
    g = np.ones_like(x)
    for name in ("softmax", "log_softmax"):
        fn = getattr(autograd, name)
        y_nb, g_nb = _run("numba", fn, x, 1, g)
        y_np, g_np = _run("numpy", fn, x, 1, g)
        np.testing.assert_allclose(y_nb, y_np, equal_nan=True, **TOL[dtype])
        np.testing.assert_allclose(g_nb, g_np, equal_nan=True, **TOL[dtype])
        assert np.isnan(y_nb[:3]).all() and not np.isnan(y_nb[3:]).any()
        y_t, _ = _torch(name, x, 1, g)
        np.testing.assert_allclose(y_nb, y_t, equal_nan=True, **TORCH_TOL[dtype])


@pytest.mark.parametrize("shape,dim", [((0, 3), 1), ((3, 0), 1), ((3, 0), 0), ((), 0), ((1,), 0)])
def test_empty_and_tiny_inputs(shape, dim):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    g = np.ones(shape, np.float32)
    for name in ("softmax", "log_softmax"):
        fn = getattr(autograd, name)
        y_nb, g_nb = _run("numba", fn, x, dim, g)
        y_np, g_np = _run("numpy", fn, x, dim, g)
        assert y_nb.shape == y_np.shape == shape
        np.testing.assert_array_equal(y_nb, y_np)
        np.testing.assert_array_equal(g_nb, g_np)


def test_create_graph_differentiates_the_vjp_again():
    x = autograd.tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    with autograd.backend("numba"):
        for fn in (autograd.softmax, autograd.log_softmax):
            assert autograd.gradgradcheck(lambda t: fn(t, 1), (x,))
            assert autograd.gradgradcheck(lambda t: fn(t, 0), (x,))


def test_parallel_build_matches_serial(monkeypatch):
    """The prange build of the fused cross-entropy (parallel builds are not cached, so one
    kernel only: each costs seconds to compile; all were checked once by hand)."""
    from autograd.kernels import parallel

    rng = np.random.default_rng(2)
    x = rng.standard_normal((33, 17)).astype(np.float32)
    t = rng.integers(0, 17, 33)
    t[3] = -100
    w = rng.uniform(0.5, 2, 17)
    serial = K.cross_entropy(x, t, w, -100, 0.1)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_SIZE", 0)  # small arrays take the parallel build
    parallel.set_num_threads(2)
    try:
        for a, b in zip(K.cross_entropy(x, t, w, -100, 0.1), serial):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    finally:
        parallel.set_num_threads(1)


# ---- cross-entropy ----------------------------------------------------------------------------
def _ce(backend, x, t, g, **kw):
    with autograd.backend(backend):
        xt = autograd.tensor(x, requires_grad=True)
        if kw.get("weight") is not None:
            kw = dict(kw, weight=autograd.tensor(kw["weight"]))
        loss = F.cross_entropy(xt, autograd.tensor(t), **kw)
        (gx,) = autograd.grad(loss, xt, autograd.tensor(g))
    return loss.detach().numpy(), gx.numpy()


def _ce_torch(x, t, g, **kw):
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    if kw.get("weight") is not None:
        kw = dict(kw, weight=torch.tensor(kw["weight"], dtype=xt.dtype))
    loss = torch.nn.functional.cross_entropy(xt, torch.tensor(t), **kw)
    (gx,) = torch.autograd.grad(loss, xt, torch.tensor(g))
    return loss.detach().numpy(), gx.numpy()


CE_OPTIONS = [
    dict(),
    dict(weight=np.array([0.5, 2.0, 1.0, 1.5, 0.25])),
    dict(ignore_index=1),
    dict(label_smoothing=0.2),
    dict(weight=np.array([0.5, 2.0, 1.0, 1.5, 0.25]), ignore_index=3, label_smoothing=0.3),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", range(len(CE_OPTIONS)))
@pytest.mark.parametrize("layout", ["batched", "unbatched", "spatial"])
def test_cross_entropy_fused_matches_numpy_and_torch(dtype, reduction, opts, layout):
    rng = np.random.default_rng(opts)
    kw = dict(CE_OPTIONS[opts], reduction=reduction)
    shape = {"batched": (6, 5), "unbatched": (5,), "spatial": (2, 5, 3, 2)}[layout]
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    t = {
        "batched": np.array([0, 1, 3, 4, 1, 2]),
        "unbatched": np.array(4),
        "spatial": rng.integers(0, 5, (2, 3, 2)),
    }[layout]
    if layout != "unbatched":
        x[0, 0], x[1, 2] = 1000.0, -1000.0  # extreme logits stay finite
    g = rng.standard_normal(t.shape if reduction == "none" else ()).astype(dtype)
    l_nb, g_nb = _ce("numba", x, t, g, **kw)
    l_np, g_np = _ce("numpy", x, t, g, **kw)
    assert l_nb.dtype == g_nb.dtype == dtype and l_nb.shape == l_np.shape
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else TOL[dtype]
    np.testing.assert_allclose(l_nb, l_np, **tol)
    np.testing.assert_allclose(g_nb, g_np, **tol)
    l_t, g_t = _ce_torch(x, t, g, **kw)
    np.testing.assert_allclose(l_nb, l_t, **tol)
    np.testing.assert_allclose(g_nb, g_t, **tol)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_cross_entropy_and_nll_with_minus_inf_like_torch(backend):
    """-inf logits / log-probabilities of other classes (or of ignored rows) give torch's
    finite loss, not -inf * 0 = nan."""
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf], [-np.inf, 1.0, 0.0]])
    t = np.array([0, 1, 1])
    for kw in (
        dict(),
        dict(label_smoothing=0.1, ignore_index=2),
        dict(ignore_index=0),
        dict(ignore_index=1, reduction="none", label_smoothing=0.2),
    ):
        g = np.ones(3) if kw.get("reduction") == "none" else np.ones(())
        l_ours, g_ours = _ce(backend, x, t, g, **kw)
        l_t, g_t = _ce_torch(x, t, g, **kw)
        np.testing.assert_allclose(l_ours, l_t, rtol=1e-12)
        np.testing.assert_allclose(g_ours, g_t, rtol=1e-12, atol=1e-15)
    torch = pytest.importorskip("torch")
    lp = np.array([[np.log(0.5), -np.inf, np.log(0.5)], [-np.inf, np.log(0.25), np.log(0.75)]])
    for tgt in ([0, 2], [0, -100]):
        with autograd.backend(backend):
            a = autograd.tensor(lp, requires_grad=True)
            loss = F.nll_loss(a, autograd.tensor(np.array(tgt)))
            loss.backward()
        b = torch.tensor(lp, requires_grad=True)
        ref = torch.nn.functional.nll_loss(b, torch.tensor(tgt))
        ref.backward()
        assert loss.item() == pytest.approx(ref.item(), rel=1e-12)
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_cross_entropy_all_ignored_mean_like_torch():
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]])
    l_nb, g_nb = _ce("numba", x, np.array([-100, -100]), np.ones(()))
    l_t, g_t = _ce_torch(x, np.array([-100, -100]), np.ones(()))
    assert np.isnan(l_nb) and np.isnan(l_t)
    np.testing.assert_array_equal(g_nb, g_t)  # zero: every row is ignored (the composed
    # path on the numpy backend gives nan here: d(0 / 0))


def test_cross_entropy_fused_is_twice_differentiable_and_mixes_backends():
    rng = np.random.default_rng(3)
    x = autograd.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    t = autograd.tensor(np.array([0, 2, 1, 1]))
    w = autograd.tensor(np.array([0.5, 1.0, 2.0]))
    with autograd.backend("numba"):
        for red in ("mean", "sum", "none"):

            def f(v):
                return F.cross_entropy(
                    v, t, weight=w, ignore_index=1, reduction=red, label_smoothing=0.1
                )

            assert f(x).grad_fn.name() == "NllLossBackward0"  # the fused op
            assert autograd.gradcheck(f, (x,))
            assert autograd.gradgradcheck(f, (x,))
        x3 = autograd.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
        t3 = autograd.tensor(np.array([[0, 2], [1, 1]]))

        def f3(v):
            return F.cross_entropy(v, t3, weight=w, ignore_index=2, label_smoothing=0.2)

        assert f3(x3).grad_fn.name() == "NllLossBackward0"
        assert autograd.gradcheck(f3, (x3,)) and autograd.gradgradcheck(f3, (x3,))
        loss = F.cross_entropy(x, t, weight=w, label_smoothing=0.1)
    with autograd.backend("numpy"):  # forward by kernel, backward by the xp formula
        (g_np,) = autograd.grad(loss, x)
    with autograd.backend("numpy"):
        (g_ref,) = autograd.grad(F.cross_entropy(x, t, weight=w, label_smoothing=0.1), x)
    np.testing.assert_allclose(g_np.numpy(), g_ref.numpy(), rtol=1e-12)


def test_cross_entropy_errors_identical_on_both_backends():
    cases = [
        (
            lambda: F.cross_entropy(autograd.zeros(4, 3), autograd.tensor([0, 1, 2, 0, 1])),
            ValueError,
        ),
        (lambda: F.cross_entropy(autograd.zeros(2, 3), autograd.tensor([0, 7])), IndexError),
        (lambda: F.cross_entropy(autograd.zeros(2, 3), autograd.tensor([0, -1])), IndexError),
        (lambda: F.cross_entropy(autograd.zeros(2, 3), autograd.tensor([[0], [1]])), Exception),
        (
            lambda: F.cross_entropy(
                autograd.zeros(2, 3), autograd.tensor([0, 1]), weight=autograd.ones(4)
            ),
            Exception,
        ),
        (lambda: F.cross_entropy(autograd.zeros(2, 3), autograd.tensor([True, False])), Exception),
    ]
    for fn, exc in cases:
        messages = []
        for backend in ("numpy", "numba"):
            with autograd.backend(backend), pytest.raises(exc) as info:
                fn()
            messages.append((type(info.value), str(info.value)))
        assert messages[0] == messages[1]


def test_cross_entropy_uint8_targets_and_float32_weights():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    t = np.array([0, 3, 1, 1, 2], np.uint8)
    w = np.array([0.5, 2.0, 1.0, 1.5])  # float64 weight with float32 logits, like the composed path
    l_nb, g_nb = _ce("numba", x, t, np.float32(1.0), weight=w)
    l_np, g_np = _ce("numpy", x, t, np.float32(1.0), weight=w)
    np.testing.assert_allclose(l_nb, l_np, rtol=1e-6)
    np.testing.assert_allclose(g_nb, g_np, rtol=1e-5, atol=1e-7)


# ---- the building blocks ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype,max_ulp", [(np.float32, 1.5), (np.float64, 2.0)])
def test_exp_nonpos_accuracy_and_special_values(dtype, max_ulp):
    """K.exp_nonpos (the exp after the max is subtracted) against float64 / longdouble exp:
    within a few ulp over the whole non-positive range, subnormal results included; exact at
    0; 0 for -inf and far below the smallest subnormal; nan for nan."""
    lo = -104.0 if dtype == np.float32 else -746.0
    d = np.concatenate([-np.geomspace(1e-8, -lo, 3001), -np.linspace(0, 1, 1001)]).astype(dtype)
    got = np.array([K.exp_nonpos(v) for v in d], dtype)  # (runs the generic Python form)
    ref = np.exp(d.astype(np.longdouble))
    tiny = np.finfo(dtype).smallest_subnormal
    ulp = np.maximum(np.spacing(np.abs(ref).astype(dtype)), tiny).astype(np.longdouble)
    err = np.abs(got.astype(np.longdouble) - ref) / ulp
    assert err.max() <= max_ulp, (d[err.argmax()], err.max())
    special = np.array([0.0, -0.0, -np.inf, np.nan, lo - 50], dtype)
    out = np.array([K.exp_nonpos(v) for v in special], dtype)
    assert out[0] == out[1] == 1.0 and out[2] == 0.0 and np.isnan(out[3]) and out[4] == 0.0
    # and inside a compiled kernel (a row softmax): the same values on rows of 0 and d
    x = np.stack([np.zeros_like(d), d], 1)
    y = K.softmax(x, 1)
    np.testing.assert_allclose(
        y[:, 1],
        (got / (1 + got.astype(np.float64))).astype(dtype),
        rtol=4 * np.finfo(dtype).eps,
        atol=0,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_skips_nan_and_rows_with_nan_stay_nan(dtype):
    """The vectorised row maximum ignores nan (LLVM maxnum, np.fmax semantics); a row holding
    a nan must still come out all-nan, wherever the nan sits (first, in the SIMD body, in the
    tail), and the other rows are untouched."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 37)).astype(dtype)
    for r, j in [(0, 0), (1, 17), (2, 36)]:
        x[r, j] = np.nan
    x[4, :] = np.nan
    for name in ("softmax", "log_softmax"):
        y = getattr(K, name)(x, 1)
        assert np.isnan(y[[0, 1, 2, 4]]).all()
        with autograd.backend("numpy"):
            ref = getattr(autograd, name)(autograd.tensor(x[3:4]), 1).numpy()
        np.testing.assert_allclose(y[3:4], ref, **TOL[dtype])
    loss, prob = K.cross_entropy(x, np.zeros(5, np.int64), np.ones(37), -100, 0.0)
    assert np.isnan(loss[[0, 1, 2, 4]]).all() and np.isfinite(loss[3])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_is_np_fmax_for_every_row_length(dtype):
    """``_max`` (the vectorised loop covers the whole row, a[0] included) equals
    ``np.fmax.reduce`` bit for bit for lengths around the SIMD widths, with the maximum or a
    nan first, in the body or last, and for an all-nan row."""
    rng = np.random.default_rng(3)
    for n in (1, 2, 15, 16, 17, 31, 32, 63, 64, 65, 127, 128, 129, 1000):
        a = rng.standard_normal(n).astype(dtype)
        for j in {0, n // 2, n - 1}:
            for v in (1e3, np.nan):
                b = a.copy()
                b[j] = v
                assert K._max(b) == np.fmax.reduce(b) or np.isnan(b).all()
        assert K._max(a) == a.max()
    assert np.isnan(K._max(np.full(64, np.nan, dtype)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cols", [1, 5, 32, K._SHORT_ROW])
def test_short_row_block_kernel_matches_the_row_kernel(dtype, cols):
    """softmax_short_rows (blocks of rows, for short rows) against softmax_rows (one row at a
    time) on the same rows: causal-mask rows of -inf, a nan first / in the middle / last, an
    all -inf row and a +inf; only the float64 row sums may round differently."""
    rng = np.random.default_rng(cols)
    x = (rng.standard_normal((5 * K._BLOCK, cols)) * 4).astype(dtype)
    for r in range(x.shape[0]):
        x[r, r % cols + 1 :] = -np.inf  # the causal mask
    for r, j in [(1, 0), (2, cols // 2), (3, cols - 1)]:
        x[r, j] = np.nan
    x[9, :] = -np.inf
    x[10, cols - 1] = np.inf
    x[11, 0] = 1000.0
    fast, general = np.empty_like(x), np.empty_like(x)
    K.softmax_short_rows(x, fast)
    K.softmax_rows(x, general)
    np.testing.assert_allclose(fast, general, rtol=8 * np.finfo(dtype).eps, atol=0, equal_nan=True)
    assert (np.isnan(fast).all(1) == np.isnan(general).all(1)).all()
    if cols > 1:
        assert np.isnan(fast[[1, 2, 3, 9, 10]]).all() and not np.isnan(fast[11:]).any()
    # the dispatch: full blocks by the block kernel, the rows left over by the row kernel
    odd = x[: 2 * K._BLOCK + 3]
    np.testing.assert_array_equal(K.softmax(odd, 1)[: 2 * K._BLOCK], fast[: 2 * K._BLOCK])
    np.testing.assert_array_equal(
        K.softmax(odd, 1)[2 * K._BLOCK :], general[2 * K._BLOCK : len(odd)]
    )


@pytest.mark.parametrize("tdtype", [np.int32, np.uint8, np.int64])
def test_cross_entropy_unweighted_fast_path(tdtype):
    """Unweighted class targets skip the general target checks (a min/max test instead):
    other integer dtypes, an ignore_index that is a valid class, and out-of-range targets
    (which go back to the general path and raise) behave as on the numpy backend."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((9, 4)).astype(np.float32)
    t = np.array([0, 3, 1, 1, 2, 3, 0, 2, 1], tdtype)
    for kw in (
        dict(),
        dict(ignore_index=1),
        dict(ignore_index=1, reduction="sum"),
        dict(ignore_index=2, reduction="none", label_smoothing=0.1),
    ):
        g = np.ones(9 if kw.get("reduction") == "none" else (), np.float32)
        l_nb, g_nb = _ce("numba", x, t, g, **kw)
        l_np, g_np = _ce("numpy", x, t, g, **kw)
        np.testing.assert_allclose(l_nb, l_np, rtol=1e-6)
        np.testing.assert_allclose(g_nb, g_np, rtol=1e-5, atol=1e-7)
    bad = t.copy()
    bad[4] = 4
    for backend in ("numba", "numpy"):
        with autograd.backend(backend), pytest.raises(IndexError, match="out of bounds"):
            F.cross_entropy(autograd.tensor(x), autograd.tensor(bad))
