"""Convolution / pooling family against torch.nn.functional over a grid of arguments
(values and gradients of input, weight and bias), second-order gradients, the unfold/fold
adjoint identity, and torch's error messages. Small shapes: the whole file runs in seconds."""

import itertools

import numpy as np
import pytest

import autograd
from autograd.errors import ShapeError


def _torch():
    return pytest.importorskip("torch")


pytestmark = pytest.mark.usefixtures("torch_one_thread")  # (conftest.py)


def _run_both(fn_name, arrays, kwargs, dtype, weights_seed=3):
    """Call autograd.<fn> and torch.nn.functional.<fn> on the same arrays (None passes through),
    backprop a random weighting of the first output; return (outs, grads) for both."""
    torch = _torch()
    ours = [
        None if a is None else autograd.tensor(a.astype(dtype), requires_grad=True) for a in arrays
    ]
    theirs = [
        None if a is None else torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays
    ]
    yo = getattr(autograd, fn_name)(*ours, **kwargs)
    yt = getattr(torch.nn.functional, fn_name)(*theirs, **kwargs)
    yo0 = yo[0] if isinstance(yo, tuple) else yo
    yt0 = yt[0] if isinstance(yt, tuple) else yt
    w = np.random.default_rng(weights_seed).normal(size=tuple(yt0.shape)).astype(dtype)
    go = autograd.grad((yo0 * autograd.tensor(w)).sum(), [t for t in ours if t is not None])
    gt = torch.autograd.grad((yt0 * torch.tensor(w)).sum(), [t for t in theirs if t is not None])
    return (yo, yt), (go, gt)


def _close(a, b, dtype):
    tol = dict(rtol=1e-10, atol=1e-11) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-5)
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, **tol)


def _check(fn_name, arrays, kwargs, dtype=np.float64):
    (yo, yt), (go, gt) = _run_both(fn_name, arrays, kwargs, dtype)
    if isinstance(yt, tuple):
        for a, b in zip(yo, yt):
            if b.dtype.is_floating_point:
                _close(a, b, dtype)
            else:
                np.testing.assert_array_equal(a.numpy(), b.numpy())
    else:
        _close(yo, yt, dtype)
    for a, b in zip(go, gt):
        _close(a, b, dtype)


# ---- convolutions ---------------------------------------------------------------------------
CONV2D = [
    dict(stride=s, padding=p, dilation=d, groups=g)
    for s, p, d, g in itertools.product(
        [1, 2, (2, 1)], [0, 1, (2, 0), "same", "valid"], [1, (1, 2)], [1, 2]
    )
    if not (p == "same" and s != 1)
]


@pytest.mark.parametrize("kw", CONV2D, ids=str)
def test_conv2d_grid_matches_torch(kw):
    rng = np.random.default_rng(0)
    g = kw["groups"]
    _check("conv2d", [rng.normal(size=s) for s in [(2, 4, 7, 6), (6, 4 // g, 3, 2), (6,)]], kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_no_bias_unbatched_and_dtypes(dtype):
    rng = np.random.default_rng(1)
    _check("conv2d", [rng.normal(size=(3, 5, 5)), rng.normal(size=(2, 3, 3, 3))], {}, dtype)
    _check(
        "conv2d",
        [rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=(4,))],
        dict(stride=2, padding=1),
        dtype,
    )


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(stride=2, padding=2),
        dict(dilation=2, groups=3),
        dict(padding="same", dilation=3),
        dict(padding="valid"),
    ],
    ids=str,
)
def test_conv1d_matches_torch(kw):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 11))
    w = rng.normal(size=(6, 3 // kw.get("groups", 1), 4))
    _check("conv1d", [x, w, rng.normal(size=(6,))], kw)
    _check("conv1d", [x[0], w, None], kw)  # unbatched


CONVT = [
    dict(stride=s, padding=p, output_padding=op, dilation=d, groups=g)
    for s, p, op, d, g in itertools.product([1, 2, (3, 2)], [0, 1], [0, 1], [1, 2], [1, 2])
    if all(op < si or op < d for si in (s if isinstance(s, tuple) else (s,)))
]


@pytest.mark.parametrize("kw", CONVT, ids=str)
def test_conv_transpose2d_grid_matches_torch(kw):
    rng = np.random.default_rng(3)
    g = kw["groups"]
    x = rng.normal(size=(2, 4, 4, 3))
    w = rng.normal(size=(4, 6 // g, 3, 2))
    _check("conv_transpose2d", [x, w, rng.normal(size=(6,))], kw)


def test_conv_double_backward_matches_torch():
    """Gradient-of-gradient through conv2d / conv_transpose2d (e.g. gradient penalties)."""
    torch = _torch()
    rng = np.random.default_rng(4)
    xa, wa, ba = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    for fn, kw, w_arr in (
        ("conv2d", dict(stride=2, padding=1), wa),
        (
            "conv_transpose2d",
            dict(stride=2, padding=1, output_padding=1),
            rng.normal(size=(2, 3, 3, 3)),
        ),
    ):
        b_arr = ba if fn == "conv2d" else rng.normal(size=3)
        res = []
        for lib, F in ((autograd, autograd), (torch, torch.nn.functional)):
            x = lib.tensor(xa, requires_grad=True)
            w = lib.tensor(w_arr, requires_grad=True)
            b = lib.tensor(b_arr, requires_grad=True)
            y = getattr(F, fn)(x, w, b, **kw)
            gx, gw = lib.autograd.grad((y * y).sum(), [x, w], create_graph=True)
            penalty = (gx * gx).sum() + (gw * gw * gw).sum()
            res.append([g.detach().numpy() for g in lib.autograd.grad(penalty, [x, w, b])])
        for a, b in zip(*res):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_conv_gradgradcheck_small():
    rng = np.random.default_rng(5)
    x = autograd.tensor(rng.normal(size=(1, 2, 4, 4)), requires_grad=True)
    w = autograd.tensor(rng.normal(size=(2, 1, 2, 2)), requires_grad=True)
    b = autograd.tensor(rng.normal(size=(2,)), requires_grad=True)
    f = lambda x, w, b: autograd.conv2d(x, w, b, stride=2, padding=1, groups=2)  # noqa: E731
    assert autograd.gradcheck(f, (x, w, b))
    assert autograd.gradgradcheck(f, (x, w, b))
    ft = lambda x, w: autograd.conv_transpose2d(x, w, stride=2, output_padding=1)  # noqa: E731
    assert autograd.gradgradcheck(ft, (x, w))


# ---- pooling --------------------------------------------------------------------------------
def _distinct(rng, shape):
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)


POOL = [
    dict(kernel_size=k, stride=s, padding=p, ceil_mode=c)
    for k, s, p, c in itertools.product([2, 3, (3, 2)], [None, 1, 2, (2, 3)], [0, 1], [False, True])
]


@pytest.mark.parametrize("kw", POOL, ids=str)
def test_max_pool2d_grid_matches_torch(kw):
    rng = np.random.default_rng(6)
    _check("max_pool2d", [_distinct(rng, (2, 2, 7, 8))], dict(kw, return_indices=True))
    _check("max_pool2d", [_distinct(rng, (2, 7, 8))], dict(kw, dilation=2, return_indices=True))


@pytest.mark.parametrize("kw", POOL, ids=str)
def test_avg_pool2d_grid_matches_torch(kw):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 2, 7, 8))
    for extra in (dict(), dict(count_include_pad=False), dict(divisor_override=5)):
        _check("avg_pool2d", [x], dict(kw, **extra))


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=3, stride=1, padding=1),
    ],
    ids=str,
)
def test_pool1d_matches_torch(kw):
    rng = np.random.default_rng(8)
    _check("max_pool1d", [_distinct(rng, (2, 3, 9))], dict(kw, return_indices=True))
    _check("avg_pool1d", [rng.normal(size=(2, 3, 9))], kw)
    _check("avg_pool1d", [rng.normal(size=(3, 9))], dict(kw, count_include_pad=False))


def test_max_pool_ties_and_overlap_route_gradient_like_torch():
    x = np.ones((1, 1, 4, 4))
    _check("max_pool2d", [x], dict(kernel_size=2, stride=1, return_indices=True))
    _check("max_pool2d", [x], dict(kernel_size=3, stride=1, padding=1))


def test_max_pool_nan_propagates():
    x = autograd.tensor([[[[1.0, np.nan], [2.0, 3.0]]]])
    assert np.isnan(autograd.max_pool2d(x, 2).item())


@pytest.mark.parametrize("size", [(5, 7), 1, 3, (None, 4), (2, None), (6, 9)], ids=str)
def test_adaptive_pools_match_torch(size):
    rng = np.random.default_rng(9)
    _check("adaptive_avg_pool2d", [rng.normal(size=(2, 3, 5, 7))], dict(output_size=size))
    _check(
        "adaptive_max_pool2d",
        [_distinct(rng, (2, 3, 5, 7))],
        dict(output_size=size, return_indices=True),
    )
    _check("adaptive_avg_pool2d", [rng.normal(size=(3, 5, 7))], dict(output_size=size))


def test_pool_double_backward_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(10)
    xa = _distinct(rng, (1, 2, 5, 5))
    res = []
    for lib, F in ((autograd, autograd), (torch, torch.nn.functional)):
        x = lib.tensor(xa, requires_grad=True)
        y = (
            (F.max_pool2d(x * x, 2, 1) ** 2).sum()
            + (F.avg_pool2d(x * x, 3, 2, 1) ** 2).sum()
            + (F.adaptive_avg_pool2d(x * x, 3) ** 2).sum()
        )
        (g,) = lib.autograd.grad(y, [x], create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), [x])
        res.append(gg.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-9, atol=1e-10)


# ---- unfold / fold ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
        dict(kernel_size=3, stride=2, padding=1),
    ],
    ids=str,
)
def test_unfold_fold_match_torch_and_are_adjoint(kw):
    torch = _torch()
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 3, 6, 7))
    _check("unfold", [x], kw)
    cols = torch.nn.functional.unfold(torch.tensor(x), **kw)
    y = rng.normal(size=tuple(cols.shape))
    _check("fold", [y], dict(kw, output_size=(6, 7)))
    # <unfold(x), y> == <x, fold(y)>
    lhs = (autograd.unfold(autograd.tensor(x), **kw) * autograd.tensor(y)).sum().item()
    rhs = (autograd.tensor(x) * autograd.fold(autograd.tensor(y), (6, 7), **kw)).sum().item()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_conv_equals_unfold_matmul():
    rng = np.random.default_rng(12)
    x = autograd.tensor(rng.normal(size=(2, 3, 5, 5)))
    w = autograd.tensor(rng.normal(size=(4, 3, 3, 3)))
    y = autograd.conv2d(x, w, padding=1)
    cols = autograd.unfold(x, 3, padding=1).numpy()  # (2, 27, 25)
    ref = np.einsum("ok,nkl->nol", w.numpy().reshape(4, -1), cols).reshape(2, 4, 5, 5)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)


# ---- errors (torch's wording) -----------------------------------------------------------------
@pytest.mark.parametrize(
    "call,msg",
    [
        (
            lambda: autograd.conv2d(autograd.zeros(1, 4, 8, 8), autograd.zeros(16, 3, 3, 3)),
            r"Given groups=1, weight of size \[16, 3, 3, 3\], expected input\[1, 4, 8, 8\] to have 3 "
            r"channels, but got 4 channels instead",
        ),
        (
            lambda: autograd.conv2d(autograd.zeros(1, 3, 2, 2), autograd.zeros(16, 3, 3, 3)),
            r"Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). Kernel size "
            r"can't be greater than actual input size",
        ),
        (
            lambda: autograd.conv2d(
                autograd.zeros(1, 3, 8, 8), autograd.zeros(16, 3, 3, 3), stride=2, padding="same"
            ),
            "padding='same' is not supported for strided convolutions",
        ),
        (
            lambda: autograd.conv2d(autograd.zeros(2, 1, 3, 8, 8), autograd.zeros(16, 3, 3, 3)),
            r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: "
            r"\[2, 1, 3, 8, 8\]",
        ),
        (
            lambda: autograd.conv2d(
                autograd.zeros(1, 4, 8, 8), autograd.zeros(16, 2, 3, 3), groups=3
            ),
            "Given groups=3, expected weight to be divisible by 3 at dimension 0",
        ),
        (
            lambda: autograd.conv2d(
                autograd.zeros(1, 4, 8, 8), autograd.zeros(16, 4, 3, 3), autograd.zeros(3)
            ),
            r"expected bias to be 1-dimensional with 16 elements, but got bias of size \[3\] instead",
        ),
        (
            lambda: autograd.conv2d(
                autograd.zeros(1, 4, 8, 8), autograd.zeros(16, 4, 3, 3), padding="foo"
            ),
            "Invalid padding string: 'foo'",
        ),
        (
            lambda: autograd.conv2d(
                autograd.zeros(1, 4, 8, 8), autograd.zeros(16, 4, 3, 3), stride=0
            ),
            "non-positive stride is not supported",
        ),
        (
            lambda: autograd.conv1d(autograd.zeros(1, 4, 8), autograd.zeros(16, 3, 3)),
            r"expected input\[1, 4, 8\] to have 3 channels, but got 4 channels instead",
        ),
        (
            lambda: autograd.conv_transpose2d(
                autograd.zeros(1, 4, 8, 8), autograd.zeros(4, 3, 3, 3), stride=2, output_padding=2
            ),
            "output padding must be smaller than either stride or dilation",
        ),
        (
            lambda: autograd.conv_transpose2d(
                autograd.zeros(1, 4, 8, 8), autograd.zeros(5, 3, 3, 3)
            ),
            r"Given transposed=1, weight of size \[5, 3, 3, 3\], expected input\[1, 4, 8, 8\] to have 5 "
            r"channels, but got 4 channels instead",
        ),
        (
            lambda: autograd.max_pool2d(autograd.zeros(1, 4, 8, 8), 3, padding=2),
            "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
            "dilation=1",
        ),
        (
            lambda: autograd.max_pool2d(autograd.zeros(1, 4, 2, 2), 3),
            r"Given input size: \(4x2x2\). Calculated output size: \(4x0x0\). Output size is too small",
        ),
        (lambda: autograd.avg_pool2d(autograd.zeros(1, 4, 2, 2), 3), "Output size is too small"),
        (
            lambda: autograd.max_pool1d(autograd.zeros(1, 4, 2), 3),
            "max_pool1d\\(\\) Invalid computed output size: 0",
        ),
        (
            lambda: autograd.unfold(autograd.zeros(1, 3, 4, 4), 5),
            "calculated shape of the array of sliding blocks as \\(0, 0\\), but its components must be "
            "at least one",
        ),
        (
            lambda: autograd.fold(autograd.zeros(1, 13, 4), (3, 3), 2),
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size",
        ),
        (
            lambda: autograd.fold(autograd.zeros(1, 12, 5), (3, 3), 2),
            "expected size of input's dimension 2 to match the calculated number of sliding blocks "
            "2 \\* 2 = 4, but got input.size\\(2\\)=5",
        ),
    ],
)
def test_errors_use_torch_wording(call, msg):
    with pytest.raises((ShapeError, ValueError, RuntimeError), match=msg):
        call()


def test_conv_dtype_mismatch_is_clear():
    with pytest.raises(TypeError, match="should be the same"):
        autograd.conv2d(
            autograd.zeros(1, 1, 3, 3), autograd.zeros(1, 1, 2, 2, dtype=autograd.float64)
        )


def test_small_cnn_step_matches_torch():
    """conv -> relu -> maxpool -> conv -> avgpool -> adaptive pool, all gradients vs torch."""
    torch = _torch()
    rng = np.random.default_rng(13)
    arrays = dict(
        x=rng.normal(size=(3, 1, 12, 12)),
        w1=rng.normal(size=(4, 1, 3, 3)) * 0.5,
        b1=rng.normal(size=4),
        w2=rng.normal(size=(6, 4, 3, 3)) * 0.3,
        b2=rng.normal(size=6),
    )
    res = []
    for lib, F in ((autograd, autograd), (torch, torch.nn.functional)):
        t = {k: lib.tensor(v.astype(np.float32), requires_grad=True) for k, v in arrays.items()}
        h = F.max_pool2d(lib.relu(F.conv2d(t["x"], t["w1"], t["b1"], padding=1)), 2)
        h = F.avg_pool2d(lib.tanh(F.conv2d(h, t["w2"], t["b2"])), 2, ceil_mode=True)
        out = F.adaptive_avg_pool2d(h, 1).sum()
        grads = lib.autograd.grad(out, list(t.values()))
        res.append([out.detach().numpy()] + [g.detach().numpy() for g in grads])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(stride=2, padding=1, output_padding=1),
        dict(stride=3, dilation=2, groups=2, output_padding=2),
    ],
    ids=str,
)
def test_conv_transpose1d_matches_torch(kw):
    rng = np.random.default_rng(14)
    g = kw.get("groups", 1)
    _check(
        "conv_transpose1d",
        [rng.normal(size=(2, 4, 5)), rng.normal(size=(4, 6 // g, 3)), rng.normal(size=(6,))],
        kw,
    )


@pytest.mark.parametrize("size", [1, 3, 7, 10])
def test_adaptive_pools_1d_match_torch(size):
    rng = np.random.default_rng(15)
    _check("adaptive_avg_pool1d", [rng.normal(size=(2, 3, 7))], dict(output_size=size))
    _check(
        "adaptive_max_pool1d",
        [_distinct(rng, (2, 3, 7))],
        dict(output_size=size, return_indices=True),
    )
