"""Reduction kernels (autograd/kernels/reduce.py) against the NumPy reference backend:
sum / mean, amax / amin (ties share the gradient), max() / min(), max(dim) / min(dim) (value,
index, gradient to the index), forward and backward, float32 and float64, contiguous and
strided, keepdim, negative and tuple dims, empty and 0-d inputs, inf / nan / ties. Extremes
and their gradients must be bit-identical; sums differ only by summation order."""

import itertools

import numpy as np
import pytest

import autograd
from autograd.kernels import reduce as rk

pytest.importorskip("numba")

DTYPES = (np.float32, np.float64)
rng = np.random.default_rng(7)


def _special(shape, dtype, seed=0):
    """Random data with ties, +-inf and nan sprinkled in, plus one all-equal slice."""
    r = np.random.default_rng(seed)
    x = r.integers(-3, 4, size=shape).astype(dtype)  # small integers: many ties
    flat = x.reshape(-1)
    if flat.size >= 12:
        flat[r.choice(flat.size, 3, replace=False)] = [np.inf, -np.inf, np.nan]
        flat[:4] = 2.0
        flat[-2:] = np.nan  # two nans in a row: tied nans share the gradient too
        x[(-1,) + (0,) * (x.ndim - 1)] = x[(-2,) + (0,) * (x.ndim - 1)] = np.nan  # a column
    return x


def _cases():
    """(array maker, dim) pairs: rows (short and long, for the NumPy/kernel crossover),
    columns, middle axes, tuple dims (consecutive or not), everything."""
    return [
        ((5, 7), 1),
        ((5, 7), 0),
        ((5, 7), -1),
        ((3, 4, 5), 1),
        ((3, 4, 5), -1),
        ((3, 4, 5), (1, 2)),
        ((3, 4, 5), (0, 1)),
        ((3, 4, 5), (0, 2)),
        ((3, 4, 5), None),
        ((4, 70), 1),
        ((3, 70), 0),
        ((2, 3, 40), -1),
        ((6,), 0),
        ((1, 1), 0),
    ]


def _run(fn, x, backend, upstream_seed=1):
    """Value(s) and input gradient of fn(x) under a backend, with a random upstream
    gradient (so a wrong weight or position cannot hide behind ones)."""
    with autograd.backend(backend):
        t = autograd.tensor(x, requires_grad=True)
        out = fn(t)
        vals = out if isinstance(out, tuple) else (out,)
        y = vals[0]
        w = np.random.default_rng(upstream_seed).uniform(0.5, 2.0, y.shape).astype(x.dtype)
        (y * autograd.tensor(w)).sum().backward()
        return [v.detach().numpy() for v in vals], t.grad.numpy()


def _both(fn, x):
    return _run(fn, x, "numpy"), _run(fn, x, "numba")


def _variants(shape, dtype, seed):
    x = _special(shape, dtype, seed)
    yield x
    if x.ndim >= 2:  # strided: the kernels fall back (or copy) and must agree too
        yield np.asfortranarray(x)
    yield rng.standard_normal(shape).astype(dtype)


EXTREMES = [
    ("amax", lambda d, k: lambda t: t.amax(d if d is not None else (), keepdim=k)),
    ("amin", lambda d, k: lambda t: t.amin(d if d is not None else (), keepdim=k)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,make", EXTREMES, ids=[n for n, _ in EXTREMES])
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin_identical_to_numpy(dtype, name, make, keepdim):
    for i, (shape, dim) in enumerate(_cases()):
        for x in _variants(shape, dtype, i):
            (v_ref, g_ref), (v, g) = _both(make(dim, keepdim), x)
            np.testing.assert_array_equal(v[0], v_ref[0], err_msg=f"{name} {shape} {dim}")
            assert v[0].dtype == v_ref[0].dtype and v[0].shape == v_ref[0].shape
            np.testing.assert_array_equal(g, g_ref, err_msg=f"{name} grad {shape} {dim}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_identical_to_numpy(dtype, op, keepdim):
    for i, (shape, dim) in enumerate(_cases()):
        if not isinstance(dim, int):
            continue
        for x in _variants(shape, dtype, i):

            def fn(t, dim=dim):
                return tuple(getattr(t, op)(dim, keepdim))

            (v_ref, g_ref), (v, g) = _both(fn, x)
            for a, b in zip(v, v_ref):  # values, then int64 indices
                np.testing.assert_array_equal(a, b, err_msg=f"{op} {shape} {dim}")
                assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(g, g_ref, err_msg=f"{op} grad {shape} {dim}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_min_of_everything_identical_to_numpy(dtype):
    for shape in [(5, 7), (3, 70), (200,)]:
        x = _special(shape, dtype)
        for fn in (lambda t: t.max(), lambda t: t.min(), lambda t: autograd.aminmax(t).max):
            (v_ref, g_ref), (v, g) = _both(fn, x)
            np.testing.assert_array_equal(v[0], v_ref[0])
            np.testing.assert_array_equal(g, g_ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean_match_numpy(dtype, op, keepdim):
    tol = 1e-6 if dtype == np.float32 else 1e-14
    for i, (shape, dim) in enumerate(_cases() + [((7, 300), 1), ((2, 2000), -1)]):
        for x in _variants(shape, dtype, i):

            def fn(t, dim=dim):
                return getattr(t, op)(dim, keepdim)

            (v_ref, g_ref), (v, g) = _both(fn, x)
            assert v[0].dtype == v_ref[0].dtype and v[0].shape == v_ref[0].shape
            # summation order differs: bound the difference by the sum of magnitudes
            # (inf and nan results must sit at the same places)
            with np.errstate(invalid="ignore"):
                scale = np.abs(x.astype(np.float64)).sum(axis=dim, keepdims=keepdim)
                if op == "mean":
                    scale = scale / (x.size // max(v[0].size, 1))
                diff = np.abs(v[0].astype(np.float64) - v_ref[0])
            same = np.isclose(v[0], v_ref[0], rtol=0, atol=0, equal_nan=True)
            assert np.all(same | (diff <= tol * scale)), (op, shape, dim)
            np.testing.assert_array_equal(g, g_ref)  # the backward is the same code


def test_sum_is_accurate_on_long_float32_rows():
    """float64 accumulation: a long float32 row sums to within one rounding of exact."""
    x = rng.uniform(0, 1, (2, 20_000)).astype(np.float32)
    with autograd.backend("numba"):
        s = autograd.tensor(x).sum(1).numpy()
    exact = x.astype(np.float64).sum(1)
    np.testing.assert_allclose(s, exact, rtol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_zero_d_and_int_fall_back(dtype):
    for x, dim in [
        (np.zeros((0, 3), dtype), 1),
        (np.zeros((3, 0), dtype), 0),
        (np.array(2.5, dtype), None),
        (np.array(2.5, dtype), 0),
    ]:
        for op in ("sum", "mean"):

            def fn(t, op=op, dim=dim):
                return getattr(t, op)(dim)

            (v_ref, g_ref), (v, g) = _both(fn, x)
            np.testing.assert_array_equal(v[0], v_ref[0])
            np.testing.assert_array_equal(g, g_ref)
    x = np.array(1.5, dtype)
    for fn in (lambda t: t.amax(), lambda t: t.max(0).values, lambda t: t.amin(0)):
        (v_ref, g_ref), (v, g) = _both(fn, x)
        np.testing.assert_array_equal(v[0], v_ref[0])
        np.testing.assert_array_equal(g, g_ref)
    with autograd.backend("numba"):
        ints = autograd.tensor(np.arange(12).reshape(3, 4))
        assert ints.sum(1).tolist() == [6, 22, 38] and ints.amax(0).tolist() == [8, 9, 10, 11]


def test_ties_share_the_gradient_and_nan_propagates_like_torch():
    torch = pytest.importorskip("torch")
    x = np.array(
        [
            [1.0, 3.0, 3.0, 0.0, 3.0],
            [np.nan, 1.0, np.nan, 5.0, 0.0],
            [-np.inf, -np.inf, -np.inf, -np.inf, -np.inf],
        ],
        np.float32,
    )
    for op in ("amax", "amin"):
        for dim in (0, 1):
            with autograd.backend("numba"):
                t = autograd.tensor(x, requires_grad=True)
                y = getattr(t, op)(dim)
                y.backward(autograd.ones_like(y))
            tt = torch.from_numpy(x).requires_grad_()
            ty = getattr(tt, op)(dim)
            ty.backward(torch.ones_like(ty))
            np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
            # slices without nan: the same shares; a nan result: torch gives nan to its
            # whole slice (0 ties found), jitgrad sends the gradient to the nan elements
            clean = ~np.isnan(x).any(axis=dim, keepdims=True) & np.ones_like(x, bool)
            np.testing.assert_array_equal(t.grad.numpy()[clean], tt.grad.numpy()[clean])
    for dim in (0, 1):  # max(dim): the first nan; the gradient goes to the index
        with autograd.backend("numba"):
            t = autograd.tensor(x, requires_grad=True)
            r = t.max(dim)
            r.values.sum().backward()
        tr = torch.from_numpy(x).requires_grad_().max(dim)
        np.testing.assert_array_equal(r.values.detach().numpy(), tr.values.detach().numpy())
        nan_rows = np.isnan(x).any(axis=dim)  # torch's index of a nan is the first one too
        np.testing.assert_array_equal(r.indices.numpy()[nan_rows], tr.indices.numpy()[nan_rows])


def test_second_order_through_kernel_forward():
    """The kernel forward saves what the recorded (create_graph) backward needs."""
    x = _special((4, 6), np.float64)
    x[~np.isfinite(x)] = 1.0
    res = {}
    for backend in ("numpy", "numba"):
        with autograd.backend(backend):
            t = autograd.tensor(x, requires_grad=True)
            y = (t.amax(1) ** 2).sum() + t.max(0).values.pow(3).sum()
            (g,) = autograd.grad(y, t, create_graph=True)
            (gg,) = autograd.grad((g * g).sum(), t)
            res[backend] = g.detach().numpy(), gg.numpy()
    for a, b in zip(res["numpy"], res["numba"]):
        np.testing.assert_array_equal(a, b)


def test_upstream_inf_gives_nan_off_the_ties_like_numpy():
    x = np.array([[1.0, 2.0, 2.0], [0.0, 5.0, 4.0]], np.float32)
    out = {}
    for backend in ("numpy", "numba"):
        with autograd.backend(backend):
            t = autograd.tensor(x, requires_grad=True)
            t.amax(1).backward(autograd.tensor([np.inf, 1.0]))
            out[backend] = t.grad.numpy()
    np.testing.assert_array_equal(out["numba"], out["numpy"])
    assert np.isnan(out["numba"][0, 0]) and out["numba"][0, 1] == np.inf


def test_layout_helper():
    assert rk.acb((2, 3, 4, 5), (1, 2)) == (2, 12, 5)
    assert rk.acb((2, 3, 4), (0, 1, 2)) == (1, 24, 1)
    assert rk.acb((2, 3, 4), (0, 2)) is None
    assert not rk.supports(np.zeros((3, 4), np.float32).T, (0,))
    assert not rk.supports(np.zeros((3, 4), np.int64), (0,))
    assert rk.supports(np.zeros((3, 4), np.float32), (1,))


def test_layout_helper_on_every_dim_set():
    # (A, C, B) and the keepdim view against their definitions, for every sorted dim set
    for ndim in range(5):
        shape = tuple(range(2, 2 + ndim))
        for k in range(ndim + 1):
            for dims in itertools.combinations(range(ndim), k):
                run = k > 0 and dims == tuple(range(dims[0], dims[-1] + 1))
                got = rk.acb(shape, dims)
                if not run:
                    assert got is None, (shape, dims)
                    continue
                a = int(np.prod(shape[: dims[0]]))
                b = int(np.prod(shape[dims[-1] + 1 :]))
                assert got == (a, int(np.prod(shape)) // (a * b), b), (shape, dims)
                _, keep = rk._out(np.zeros(shape), dims, a, b)
                assert keep.shape == np.sum(np.zeros(shape), axis=dims, keepdims=True).shape


@pytest.mark.parametrize("dtype", DTYPES)
def test_kernels_directly(dtype):
    """The array-level entry points, incl. the NumPy crossover for long rows."""
    for shape, dims in [((4, 10), (1,)), ((4, 100), (1,)), ((3, 5, 6), (1,)), ((50, 3), (0,))]:
        x = _special(shape, dtype)
        for largest, np_fn, np_arg in ((True, np.max, np.argmax), (False, np.min, np.argmin)):
            m = rk.extreme(x, dims, largest)
            np.testing.assert_array_equal(m, np_fn(x, axis=dims, keepdims=True))
            v, i = rk.arg_extreme(x, dims[0], largest)
            np.testing.assert_array_equal(i, np_arg(x, axis=dims[0], keepdims=True))
            np.testing.assert_array_equal(v, np.take_along_axis(x, i, dims[0]))
            g = rng.standard_normal(m.shape).astype(dtype)
            hit = (x == m) | (np.isnan(x) & np.isnan(m))
            ref = g * (hit / np.maximum(hit.sum(axis=dims, keepdims=True), 1)).astype(dtype)
            np.testing.assert_array_equal(rk.extreme_backward(x, m, g, dims), ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_matches_numpy(dtype, keepdim):
    """Row and column kernels vs the NumPy path: exp is vmath's (a few ulp), the sum is in
    float64, so close but not bit-equal; inf/nan/-inf slices exactly as NumPy."""
    tol = 2e-6 if dtype == np.float32 else 1e-13
    for i, (shape, dim) in enumerate(_cases() + [((3, 300), 1), ((4, 5), 1)]):
        for scale in (1.0, 300.0):
            for x in _variants(shape, dtype, i):
                x = (x * scale).astype(dtype)

                def fn(t, dim=dim):
                    return t.logsumexp(dim if dim is not None else (0, 1)[: t.ndim], keepdim)

                (v_ref, g_ref), (v, g) = _both(fn, x)
                assert v[0].dtype == v_ref[0].dtype and v[0].shape == v_ref[0].shape
                np.testing.assert_allclose(v[0], v_ref[0], rtol=tol, atol=tol)
                np.testing.assert_allclose(g, g_ref, rtol=4 * tol, atol=4 * tol)


def test_logsumexp_kernel_handles_large_and_infinite_rows():
    x = np.array(
        [
            [1000.0, 1000.0, -5.0],
            [np.inf, 1.0, 2.0],
            [-np.inf] * 3,
            [np.nan, 0.0, 1.0],
            [-np.inf, 0.0, 0.0],
        ],
        np.float32,
    )
    for out in (rk.logsumexp(x, (1,))[:, 0], rk.logsumexp(np.ascontiguousarray(x.T), (0,))[0]):
        np.testing.assert_allclose(out[0], 1000.6931, rtol=1e-6)
        assert out[1] == np.inf and out[2] == -np.inf and np.isnan(out[3])
        np.testing.assert_allclose(out[4], np.log(2.0), rtol=1e-6)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_amax_result_modified_in_place_raises_on_both_backends(backend):
    # torch saves amax's result: an in-place change of it must be caught, whichever path ran
    with autograd.backend(backend):
        x = autograd.randn(4, 5, requires_grad=True)
        m = (x * 1.0).amax(1)
        m.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            m.sum().backward()
