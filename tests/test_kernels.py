"""Numba kernels: accuracy of the vectorisable math over the whole range, and every fused
activation kernel against its NumPy/SciPy reference (float32 and float64, contiguous,
non-contiguous, empty and 0-d arrays)."""

import numpy as np
import pytest

numba = pytest.importorskip("numba")
from scipy import special  # noqa: E402

from autograd import kernels as K  # noqa: E402
from autograd.kernels import vmath  # noqa: E402


_LOOPS = {}
# Under NUMBA_DISABLE_JIT=1 the loops run as Python (~10 us per element): sample more sparsely.
DENSE = 1 if not numba.config.DISABLE_JIT else 20


def _grid(lo, hi, n):
    return np.linspace(lo, hi, n // DENSE + 1)


def _apply(fn, x):
    """fn applied elementwise inside a jitted loop (the way kernels call it)."""
    if fn not in _LOOPS:

        @numba.njit(error_model="numpy")
        def loop(x, out):
            for i in range(x.size):
                out[i] = fn(x[i])

        _LOOPS[fn] = loop
    out = np.empty_like(x)
    with np.errstate(all="ignore"):  # only matters under NUMBA_DISABLE_JIT=1 (plain Python)
        _LOOPS[fn](x, out)
    return out


def _ulps(out, ref):
    """Error of float32 ``out`` in units of the float32 spacing at the float64 ``ref``."""
    return np.abs(out.astype(np.float64) - ref) / np.spacing(np.abs(ref).astype(np.float32))


SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 5e-324, 1e300, -1e300])


def test_vexp_accuracy_whole_range():
    x = np.concatenate([_grid(-745, 709.7, 400_000), SPECIAL])
    with np.errstate(over="ignore"):
        ref = np.exp(x)
    out = _apply(vmath.vexp, x)
    normal = np.isfinite(ref) & (ref > 1e-300)
    assert np.max(np.abs(out[normal] - ref[normal]) / ref[normal]) < 4e-16
    np.testing.assert_array_equal(out[~np.isfinite(x)], ref[~np.isfinite(x)])
    assert _apply(vmath.vexp, np.array([710.0, -746.0])).tolist() == [np.inf, 0.0]
    sub = np.linspace(-744, -709, 1001)  # subnormal results: absolute accuracy
    assert np.max(np.abs(_apply(vmath.vexp, sub) - np.exp(sub))) < 1e-320


@pytest.mark.parametrize(
    "name,ref,tol",
    [
        ("vexpm1", np.expm1, 1e-14),
        ("vtanh", np.tanh, 1e-14),
        ("vsigmoid", lambda x: special.expit(x), 1e-14),
        ("vlog1p_exp", lambda x: np.logaddexp(0.0, x), 1e-14),
    ],
)
def test_derived_functions_accuracy(name, ref, tol):
    x = np.concatenate(
        [
            _grid(-50, 50, 200_000),
            np.linspace(-1e-6, 1e-6, 1001),
            [-1e308, 1e308, np.inf, -np.inf, 0.0],
        ]
    )
    out = _apply(getattr(vmath, name), x)
    with np.errstate(over="ignore"):  # expm1(1e308) = inf is the expected answer
        r = ref(x)
    nz = (np.abs(r) > 1e-300) & np.isfinite(r)
    assert np.max(np.abs(out[nz] - r[nz]) / np.abs(r[nz])) < tol
    np.testing.assert_array_equal(out[~np.isfinite(r)], r[~np.isfinite(r)])
    assert np.isnan(_apply(getattr(vmath, name), np.array([np.nan]))[0])


def test_vexp_float32_runs_in_float32_within_2_ulp():
    x = np.concatenate([_grid(-103.9, 88.7, 1_000_000), _grid(-1, 1, 10_000)])
    x = x.astype(np.float32)
    out = _apply(vmath.vexp, x)
    assert out.dtype == np.float32
    ref = np.exp(x.astype(np.float64))
    normal = ref > np.finfo(np.float32).tiny
    assert _ulps(out[normal], ref[normal]).max() <= 1.5
    assert np.abs(out[~normal] - ref[~normal]).max() <= 1.5e-45  # subnormals: 1 unit
    special_x = np.array([89.0, -104.0, np.inf, -np.inf, np.nan, 0.0], np.float32)
    np.testing.assert_array_equal(
        _apply(vmath.vexp, special_x), [np.inf, 0.0, np.inf, 0.0, np.nan, 1.0]
    )


@pytest.mark.parametrize(
    "name,ref,max_ulp",
    [
        ("vexpm1", np.expm1, 3),
        ("vtanh", np.tanh, 3),
        ("vsigmoid", lambda x: special.expit(x), 3),
        ("vlog1p_exp", lambda x: np.logaddexp(0.0, x), 4),
    ],
)
def test_derived_functions_float32_accuracy_in_ulps(name, ref, max_ulp):
    x = np.concatenate(
        [_grid(-60, 60, 1_000_000), _grid(-1e-3, 1e-3, 10_000), _grid(-1, 1, 10_000)]
    ).astype(np.float32)
    fn = getattr(vmath, name)
    out = _apply(fn, x)
    with np.errstate(over="ignore"):
        r = ref(x.astype(np.float64))
    ok = np.abs(r) > np.finfo(np.float32).tiny
    assert _ulps(out[ok], r[ok]).max() <= max_ulp
    edge = np.array([np.inf, -np.inf, 3e38, -3e38], np.float32)
    with np.errstate(over="ignore"):
        edge_ref = ref(edge.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(_apply(fn, edge), edge_ref)
    assert np.isnan(_apply(fn, np.array([np.nan], np.float32))[0])


def test_vexp_nonpos_and_vexpm1_nonpos_float32_within_1_5_ulp():
    """The x <= 0 variants (no overflow handling): whole range incl. subnormal results."""
    x = -np.concatenate(
        [
            _grid(0, 110, 1_000_000),
            _grid(0, 1e-3, 10_000),
            np.geomspace(1e-38, 1, 1000 // DENSE + 1),
        ]
    ).astype(np.float32)
    ref = np.exp(x.astype(np.float64))
    out = _apply(vmath.vexp_nonpos, x)
    assert out.dtype == np.float32
    normal = ref > np.finfo(np.float32).tiny
    assert _ulps(out[normal], ref[normal]).max() <= 1.5
    assert np.abs(out[~normal] - ref[~normal]).max() <= 1.5e-45  # subnormals: 1 unit
    m1 = _apply(vmath.vexpm1_nonpos, x)
    ref1 = np.expm1(x.astype(np.float64))
    nz = ref1 != 0
    assert _ulps(m1[nz], ref1[nz]).max() <= 1.5
    edge = np.array([-np.inf, -0.0, 0.0, -1e-45, np.nan], np.float32)
    np.testing.assert_array_equal(_apply(vmath.vexp_nonpos, edge), [0, 1, 1, 1, np.nan])
    m1e = _apply(vmath.vexpm1_nonpos, edge)
    np.testing.assert_array_equal(m1e, np.array([-1, 0.0, 0, -1e-45, np.nan], np.float32))
    assert not np.signbit(m1e[1])  # documented: -0.0 gives +0.0 (elu keeps x's own zero)
    # float64 arguments take the full-range float64 function (tested above)
    x64 = np.linspace(-700, 0, 10_001)
    np.testing.assert_allclose(_apply(vmath.vexp_nonpos, x64), np.exp(x64), rtol=4e-16)


def _ndtr32(x):
    return vmath.ndtr_pdf32(x)[0]


def _pdf32(x):
    return vmath.ndtr_pdf32(x)[1]


if not numba.config.DISABLE_JIT:
    _ndtr32 = numba.njit(_ndtr32)
    _pdf32 = numba.njit(_pdf32)


def test_ndtr_pdf32_relative_accuracy_including_the_far_tail():
    """float32 Phi(x) (exact gelu) keeps its *relative* accuracy down to x = -13 (Phi ~ 1e-38),
    where 1 + erf(x / sqrt 2) would have no correct digit left."""
    from scipy.special import ndtr

    x = np.concatenate([_grid(-13, 13, 400_000), _grid(-1e-3, 1e-3, 10_000)]).astype(np.float32)
    x64 = x.astype(np.float64)
    out, ref = _apply(_ndtr32, x), ndtr(x64)
    assert out.dtype == np.float32
    assert _ulps(out, ref).max() <= 6  # (without vmath's exact split of x**2 / 2: ~64)
    pdf, pref = _apply(_pdf32, x), np.exp(-0.5 * x64 * x64) / np.sqrt(2 * np.pi)
    ok = pref > np.finfo(np.float32).tiny
    assert _ulps(pdf[ok], pref[ok]).max() <= 3
    edge = np.array([np.inf, -np.inf, 40.0, -40.0, 3e38, -3e38, 0.0, -0.0], np.float32)
    np.testing.assert_allclose(_apply(_ndtr32, edge), [1, 0, 1, 0, 1, 0, 0.5, 0.5], rtol=3e-7)
    np.testing.assert_array_equal(_apply(_pdf32, edge)[:6], 0.0)
    assert np.isnan(_apply(_ndtr32, np.array([np.nan], np.float32))[0])


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "mish", "sigmoid", "elu"])
def test_activation_kernels_float32_relative_accuracy_in_negative_tail(name):
    """Far left, where these functions are tiny, float32 kernels stay accurate *relative* to
    the value (formulas without cancellation; exact gelu's erfc-like tail)."""
    x = -np.concatenate([np.linspace(3, 12, 20_001 // DENSE), [15.0, 20.0, 30.0]]).astype(
        np.float32
    )
    ref = _ref_fwd(name, x, {})
    ok = np.abs(ref) > np.finfo(np.float32).tiny * 16
    out = K.run_activation(name, x)
    tol = 12.0
    if name == "gelu_tanh":
        # x sigmoid(2u) ~ x e**(2u): float32 rounding of u = sqrt(2/pi) (x + 0.044715 x**3)
        # (~3 roundings) is amplified |2u| times (torch has the same); 0.5 x (1 + tanh u) was
        # off by ~170 ulp already at x = -3 and lost every digit beyond x ~ -4.5
        x64 = x[ok].astype(np.float64)
        tol = 4 + 3 * np.abs(2 * np.sqrt(2 / np.pi) * (x64 + 0.044715 * x64**3))
    assert np.all(_ulps(out[ok], ref[ok]) <= tol)


def test_verf_verfc_float32_grade():
    x = np.concatenate([_grid(-10, 10, 200_000), [np.inf, -np.inf]])
    assert np.max(np.abs(_apply(vmath.verf, x) - special.erf(x))) < 1.5e-7
    assert np.isnan(_apply(vmath.verf, np.array([np.nan]))[0])
    # erfc keeps its *relative* accuracy in the tails (gelu's Phi(x) for very negative x)
    xs = _grid(-9, 9, 100_000)
    rel = np.abs(_apply(vmath.verfc, xs) - special.erfc(xs)) / special.erfc(xs)
    assert rel.max() < 1.5e-7
    np.testing.assert_array_equal(_apply(vmath.verfc, np.array([np.inf, -np.inf])), [0.0, 2.0])


def _ref_fwd(name, x, kw):
    x = x.astype(np.float64)
    if name == "relu":
        return np.maximum(x, 0)
    if name == "leaky_relu":
        return np.where(x > 0, x, x * kw.get("negative_slope", 0.01))
    if name == "elu":
        return np.where(x > 0, x, kw.get("alpha", 1.0) * np.expm1(np.minimum(x, 0)))
    if name == "sigmoid":
        return special.expit(x)
    if name == "tanh":
        return np.tanh(x)
    if name == "silu":
        return x * special.expit(x)
    if name == "softplus":
        b, t = kw.get("beta", 1.0), kw.get("threshold", 20.0)
        return np.where(b * x > t, x, np.logaddexp(0, b * x) / b)
    if name == "mish":
        return x * np.tanh(np.logaddexp(0, x))
    if name == "gelu_tanh":  # = 0.5 x (1 + tanh(u)), without its cancellation for x < 0
        return x * special.expit(2 * np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))
    if name == "gelu":
        return x * special.ndtr(x)  # (0.5 x (1 + erf(x / sqrt 2)) cancels for x < 0)
    raise KeyError(name)


def _ref_bwd(name, x, kw, h=1e-6):
    x = x.astype(np.float64)
    # central differences on the float64 reference are accurate to ~1e-9 here
    return (_ref_fwd(name, x + h, kw) - _ref_fwd(name, x - h, kw)) / (2 * h)


KW = {
    "leaky_relu": {"negative_slope": 0.2},
    "elu": {"alpha": 1.5},
    "softplus": {"beta": 2.0, "threshold": 10.0},
}


@pytest.mark.parametrize("name", sorted(K.activation.ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_kernels_match_reference(name, dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 3, 5000), np.linspace(-30, 30, 601)]).astype(dtype)
    x = x[np.abs(x) > 1e-3]  # the kinks of relu-like functions: no derivative there
    kw = KW.get(name, {})
    if name == "softplus":  # and softplus's switch to the linear branch
        x = x[np.abs(kw["beta"] * x - kw["threshold"]) > 1e-3]
    if not K.supports(name, x):
        assert dtype == np.float64 and name == "gelu"
        return
    out = K.run_activation(name, x, **kw)
    assert out.dtype == dtype
    rtol = 2e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, _ref_fwd(name, x, kw), rtol=rtol, atol=rtol * 1e-2)
    g = rng.normal(size=x.shape).astype(dtype)
    gin = K.run_activation_backward(name, x, g, **kw)
    np.testing.assert_allclose(gin, g * _ref_bwd(name, x, kw), rtol=max(rtol, 1e-6), atol=1e-6)


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (4, 5)])
def test_kernels_handle_any_shape_and_strides(shape):
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    out = K.run_activation("silu", x)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, _ref_fwd("silu", x, {}), rtol=2e-6)
    if x.ndim == 2:  # non-contiguous input
        xt = x.T
        np.testing.assert_allclose(K.run_activation("tanh", xt), np.tanh(xt), rtol=2e-6)
        gt = np.ones_like(xt)
        np.testing.assert_allclose(
            K.run_activation_backward("tanh", xt, gt),
            1 - np.tanh(xt.astype(np.float64)) ** 2,
            rtol=2e-6,
        )


def test_parallel_build_matches_serial_and_is_thread_and_fork_safe():
    import os
    import threading
    from autograd.kernels import parallel

    # (as plain Python there is no parallel build to reach: a small array still checks the
    # thread and fork bookkeeping without minutes of interpreted loops)
    n = parallel.PARALLEL_MIN_SIZE + 10 if not numba.config.DISABLE_JIT else 1000
    x = np.random.default_rng(2).normal(size=n).astype(np.float32)
    serial = K.run_activation("gelu_tanh", x)
    parallel.set_num_threads(2)
    try:
        np.testing.assert_array_equal(K.run_activation("gelu_tanh", x), serial)
        results = []

        def work():
            results.append(K.run_activation("gelu_tanh", x))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            np.testing.assert_array_equal(r, serial)
        pid = os.fork()
        if pid == 0:  # child: must not touch the parent's thread pool
            ok = parallel.get_num_threads() == 1 and np.array_equal(
                K.run_activation("gelu_tanh", x), serial
            )
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0
    finally:
        parallel.set_num_threads(1)


def test_maxpool_kernels_match_numpy_reference_exactly():
    """Random pooling geometries incl. padding, dilation, ceil_mode, ties, -inf and NaN."""
    import autograd

    rng = np.random.default_rng(5)
    for trial in range(40):
        n, c, h, w = rng.integers(1, 3), rng.integers(1, 4), rng.integers(3, 9), rng.integers(3, 9)
        k = int(rng.integers(1, 4))
        d = int(rng.integers(1, 3))
        p = int(rng.integers(0, k // 2 + 1))
        s = int(rng.integers(1, 3))
        if (k - 1) * d + 1 > min(h, w) + 2 * p:
            continue
        x = rng.integers(-3, 3, (n, c, h, w)).astype(np.float32)  # many ties
        if trial % 5 == 0:
            x[0, 0, 0, 0] = np.nan
            x[0, 0, -1, :] = -np.inf
        results = {}
        for backend in ("numpy", "numba"):
            with autograd.backend(backend):
                t = autograd.tensor(x, requires_grad=True)
                y, idx = autograd.max_pool2d(
                    t, k, s, p, d, ceil_mode=bool(trial % 2), return_indices=True
                )
                g = autograd.grad(
                    y.sum() if not np.isnan(y.detach().numpy()).any() else (y * 0).sum(), t
                )[0]
                results[backend] = (y.detach().numpy(), idx.numpy(), g.numpy())
        for a, b in zip(results["numpy"], results["numba"]):
            np.testing.assert_array_equal(a, b)


def test_maxpool_2x2_kernel_matches_the_general_kernel_and_the_reference():
    """MaxPool2d(2)'s fast kernel == the general kernel == the NumPy reference: odd sizes
    (the last row/column unused), ceil_mode (a partial window: the general kernel), ties,
    -inf, NaN (the last NaN of a window wins)."""
    import autograd
    from autograd.kernels import pooling

    rng = np.random.default_rng(7)
    for trial, (h, w) in enumerate([(4, 4), (5, 7), (2, 3), (9, 6), (3, 2)]):
        x = rng.integers(-2, 2, (2, 3, h, w)).astype(np.float32)  # many ties
        x[0, 0, 0, :2] = np.nan
        x[0, 1, 1, 0] = np.nan
        x[1, 2] = -np.inf
        planes = x.reshape(6, h, w)
        outs = [
            (np.empty((6, h // 2, w // 2), np.float32), np.empty((6, h // 2, w // 2), np.int64))
            for _ in range(2)
        ]
        pooling.maxpool2d_2x2(planes, *outs[0])
        pooling.maxpool2d_argmax(planes, 2, 2, 2, 2, 0, 0, 1, 1, *outs[1])
        for a, b in zip(*outs):
            np.testing.assert_array_equal(a, b)
        for ceil_mode in (False, True):
            results = {}
            for backend in ("numpy", "numba"):
                with autograd.backend(backend):
                    t = autograd.tensor(x, requires_grad=True)
                    y, idx = autograd.max_pool2d(t, 2, ceil_mode=ceil_mode, return_indices=True)
                    (g,) = autograd.grad((y * (y == y)).nan_to_num().sum(), t)
                    results[backend] = (y.detach().numpy(), idx.numpy(), g.numpy())
            for a, b in zip(results["numpy"], results["numba"]):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(K.activation.ACTIVATIONS))
def test_activation_kernels_special_values_match_numpy_backend(name):
    """inf, -inf, nan, signed zeros, huge and tiny inputs: the numba backend gives what the
    NumPy reference gives (a kernel once returned nan for mish(+inf))."""
    import autograd
    import nn.functional as F

    fns = {
        "relu": F.relu,
        "leaky_relu": F.leaky_relu,
        "elu": F.elu,
        "sigmoid": autograd.sigmoid,
        "tanh": autograd.tanh,
        "silu": F.silu,
        "softplus": F.softplus,
        "mish": F.mish,
        "gelu": F.gelu,
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    }
    x = np.array(
        [np.inf, -np.inf, np.nan, 0.0, -0.0, 100.0, -100.0, 1e-30, -1e-30, 3e38, -3e38], np.float32
    )
    results = {}
    for backend in ("numpy", "numba"):
        with autograd.backend(backend):
            t = autograd.tensor(x, requires_grad=True)
            y = fns[name](t)
            y.backward(autograd.ones_like(y))
            results[backend] = (y.detach().numpy(), t.grad.numpy())
    for ref, got in zip(results["numpy"], results["numba"]):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-30, equal_nan=True)


def test_numpy_reference_gelu_tanh_has_no_cancellation_in_float32():
    """The NumPy path (the reference) computes tanh-gelu as x * sigmoid(2u) too: the old
    0.5 x (1 + tanh u) was off by 1.3e-5 relative at x = -3 in float32."""
    import autograd
    import nn.functional as F

    x = -np.linspace(3, 8, 501).astype(np.float32)
    with autograd.backend("numpy"):
        out = F.gelu(autograd.tensor(x), approximate="tanh").numpy()
    ref = _ref_fwd("gelu_tanh", x, {})
    x64 = x.astype(np.float64)
    cond = np.abs(2 * np.sqrt(2 / np.pi) * (x64 + 0.044715 * x64**3))  # see the tail test
    assert np.all(_ulps(out, ref) <= 4 + 3 * cond)


def test_scatter_add_flat_zeroed_kernel_ignores_what_out_held():
    """Max pooling's gradient kernel zeroes each plane itself (its output comes
    uninitialised from kernels/buffers.py): garbage in ``out`` must not leak, and repeated
    indices (overlapping windows) add up, exactly as np.add.at on zeros."""
    from autograd.kernels import pooling

    rng = np.random.default_rng(12)
    for dtype in (np.float32, np.float64):
        g = rng.normal(size=(3, 5)).astype(dtype)
        g[0, 0] = -0.0  # (0.0 + -0.0 is 0.0, as in a scatter-add on zeros)
        index = rng.integers(0, 6, (3, 5))
        out = np.full((3, 6), np.nan, dtype)
        pooling.scatter_add_flat_zeroed(g, index, out)
        ref = np.zeros((3, 6), dtype)
        for p in range(3):
            np.add.at(ref[p], index[p], g[p])
        np.testing.assert_array_equal(out, ref)
        np.testing.assert_array_equal(np.signbit(out), np.signbit(ref))  # (-0.0 too)
