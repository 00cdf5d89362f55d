"""Regression tests for the defects of issue 14 that are not about checkpoints or the
DataLoader (those are in test_checkpoint_files.py and test_dataloader_chaos.py). Each test
failed before its fix."""

import re

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F


# ---- 2: Embedding takes no negative indices ---------------------------------------------------
@pytest.mark.parametrize("bad", [-1, -5, 5])
def test_embedding_rejects_out_of_range_indices_like_torch(bad):
    emb = nn.Embedding(5, 3)
    with pytest.raises(IndexError, match="index out of range in self"):
        emb(autograd.tensor([0, bad]))
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(autograd.tensor([[bad]]), emb.weight, padding_idx=0)
    assert emb.weight.grad is None


def test_embedding_padding_idx_and_index_dtypes_like_torch():
    w = autograd.randn(5, 3, requires_grad=True)
    for pad in (5, -6):
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            F.embedding(autograd.tensor([0, 1]), w, padding_idx=pad)
    out = F.embedding(autograd.tensor([0, 4]), w, padding_idx=-1)  # -1 is row 4
    out.sum().backward()
    assert w.grad[4].tolist() == [0.0, 0.0, 0.0] and w.grad[0].tolist() == [1.0, 1.0, 1.0]
    assert F.embedding(autograd.tensor([1], dtype=autograd.int32), w).shape == (1, 3)
    for dt, name in [
        (autograd.uint8, "ByteTensor"),
        (autograd.bool, "BoolTensor"),
        (autograd.float32, "FloatTensor"),
    ]:
        with pytest.raises(TypeError, match=f"Long, Int; but got autograd.{name} instead"):
            F.embedding(autograd.tensor([0, 1]).to(dt), w)


# ---- 7: view never copies silently ------------------------------------------------------------
def test_view_that_needs_a_copy_raises_like_torch():
    x = autograd.arange(12.0).reshape(3, 4)
    with pytest.raises(
        RuntimeError,
        match=r"view size is not compatible with input tensor's size "
        r"and stride .* Use \.reshape\(\.\.\.\) instead",
    ):
        x.t().view(12)
    assert x.t().reshape(12).tolist() == x.numpy().T.ravel().tolist()  # reshape still copies
    v = x.t().view(4, 3)  # compatible: a real view, writes reach x
    v[0, 1] = 100.0
    assert x[1, 0].item() == 100.0
    w = x[:, ::2].view(6)  # uniform stride: a view as well
    w[1] = -1.0
    assert x[0, 2].item() == -1.0
    assert autograd.zeros(0, 3).t().view(3, 0).shape == (3, 0)


def test_view_errors_match_torch():
    torch = pytest.importorskip("torch")
    for shape, strided, new in [
        ((3, 4), lambda t: t.t(), (12,)),
        ((2, 3, 4), lambda t: t.permute(2, 0, 1), (4, 6)),
        ((4, 6), lambda t: t[:, 1:5], (16,)),
        ((2, 3, 4), lambda t: t.transpose(0, 1), (3, 8)),
        ((4, 6), lambda t: t[::2], (12,)),
        ((6,), lambda t: t[::2], (3, 1)),
    ]:
        ours = strided(autograd.arange(float(np.prod(shape))).reshape(*shape))
        theirs = strided(torch.arange(float(np.prod(shape))).reshape(*shape))
        try:
            expected = theirs.view(*new).tolist()
        except RuntimeError as e:
            with pytest.raises(RuntimeError) as info:
                ours.view(*new)
            assert str(info.value).startswith(str(e))
        else:
            assert ours.view(*new).tolist() == expected


# ---- 13: .grad assignment checks dtype and shape like torch ----------------------------------------
def test_grad_assignment_checks_dtype_and_size_like_torch():
    torch = pytest.importorskip("torch")
    for make, bad in [
        (lambda m: m.zeros(3, requires_grad=True), lambda m: m.zeros(3, dtype=m.float64)),
        (lambda m: m.zeros(3, requires_grad=True), lambda m: m.zeros(3, dtype=m.int64)),
        (lambda m: m.zeros(3, dtype=m.float64), lambda m: m.zeros(3)),
        (lambda m: m.zeros(3, dtype=m.float16), lambda m: m.zeros(3, dtype=m.uint8)),
        (lambda m: m.zeros(3, requires_grad=True), lambda m: m.zeros(4)),
        (lambda m: m.zeros(3, requires_grad=True), lambda m: m.zeros(3, 1)),
    ]:
        with pytest.raises(RuntimeError) as theirs:
            make(torch).grad = bad(torch)
        ours = make(autograd)
        with pytest.raises(RuntimeError) as info:
            ours.grad = bad(autograd)
        expected = str(theirs.value)
        if "grad_dtype" in expected:  # torch goes on about its grad_dtype attribute, which we lack
            expected = expected[: expected.index("defaults to the tensor's dtype).") + 32]
        assert str(info.value).startswith(expected)
        assert ours.grad is None
    p = nn.Parameter(autograd.zeros(2, 2))
    p.grad = autograd.ones(2, 2)
    p.grad = None
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        p.grad = [1.0]


# ---- 8: the kernels' stale-cache sweep touches only this package's cache files ----------------------
def test_numba_cache_dir_sweep_touches_only_our_files(tmp_path):
    import hashlib
    import os
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(autograd.__file__)) + os.sep + "kernels"
    ours = tmp_path / ("kernels_" + hashlib.sha1(here.encode()).hexdigest())
    foreign = [
        tmp_path
        / "kernels_0123456789abcdef"
        / "activation.relu_fwd-12.py311.nbi",  # another project
        tmp_path / "mykernels" / "model.step-3.py311.1.nbc",
        tmp_path / "solver.run-7.py311.nbi",  # the cache root
        ours / "notes.nbi",
    ]  # not a kernel's
    stale = [
        ours / "activation.relu_fwd-12.py311.nbi",
        ours / "softmax.softmax_rows-40.py311.1.nbc",
    ]
    for f in foreign + stale:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
    (ours / "jitgrad-kernels.sha256").write_text("an old stamp")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "dev",
            "-W",
            "error::ResourceWarning",
            "-c",
            "import autograd.kernels",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and "ResourceWarning" not in out.stderr, out.stderr
    assert all(f.exists() for f in foreign)
    assert not any(f.exists() for f in stale)
    assert (ours / "jitgrad-kernels.sha256").read_text() != "an old stamp"


# ---- 14: float16 softmax / log_softmax as torch computes them -----------------------------------------
def _half_ulps(a, b):
    a = np.asarray(a, np.float16).view(np.int16).astype(np.int64)
    b = np.asarray(b, np.float16).view(np.int16).astype(np.int64)
    return int(np.abs(a - b).max(initial=0))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_float16_softmax_equals_torch_bit_for_bit_along_the_last_dim(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for shape in [(64, 50), (2, 3, 40), (5, 300), (17,), (4, 1)]:
        x = (rng.normal(size=shape) * 3).astype(np.float16)
        g = rng.normal(size=shape).astype(np.float16)
        tx = torch.tensor(x, requires_grad=True)
        ty = getattr(torch, name)(tx, -1)
        ty.backward(torch.tensor(g))
        ax = autograd.tensor(x, requires_grad=True)
        ay = getattr(autograd, name)(ax, -1)
        ay.backward(autograd.tensor(g))
        assert ay.dtype == autograd.float16 and ax.grad.dtype == autograd.float16
        assert ay.detach().numpy().tobytes() == ty.detach().numpy().tobytes(), shape
        assert ax.grad.numpy().tobytes() == tx.grad.numpy().tobytes(), shape


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_float16_softmax_other_dims_rounded_once(name):
    """Along other dimensions torch's float16 result depends on the CPU's vector width (its
    scalar tail loop rounds every step); ours is the float32 result rounded once: within 1 ulp
    of the exact value, never further from it than torch's."""
    torch = pytest.importorskip("torch")
    from autograd.ops.softmax import _half_softmax_vjp

    rng = np.random.default_rng(1)
    for shape, dim in [((64, 50), 0), ((2, 3, 40), 1), ((5, 300), 0), ((3, 8, 33), 1)]:
        x = (rng.normal(size=shape) * 3).astype(np.float16)
        x64 = x.astype(np.float64)
        m = x64.max(dim, keepdims=True)
        lse = m + np.log(np.exp(x64 - m).sum(dim, keepdims=True))
        exact = x64 - lse if name == "log_softmax" else np.exp(x64 - lse)
        ours = getattr(autograd, name)(autograd.tensor(x), dim).numpy()
        theirs = getattr(torch, name)(torch.tensor(x), dim).numpy()
        assert _half_ulps(ours, exact) <= max(1, _half_ulps(theirs, exact)), (shape, dim)
        # the backward, from the same forward output, is torch's bit for bit
        g = rng.normal(size=shape).astype(np.float16)
        tx = torch.tensor(x, requires_grad=True)
        getattr(torch, name)(tx, dim).backward(torch.tensor(g))
        vjp = _half_softmax_vjp(theirs, g, dim, log=name == "log_softmax")
        assert vjp.tobytes() == tx.grad.numpy().tobytes(), (shape, dim)


# ---- also seen: clip_grad_norm_ with non-finite gradients, as torch ---------------------------------
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_with_nonfinite_gradients_like_torch(bad, norm_type):
    torch = pytest.importorskip("torch")
    results = []
    for lib, clip in (
        (torch, torch.nn.utils.clip_grad_norm_),
        (autograd, nn.utils.clip_grad_norm_),
    ):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        a.grad, b.grad = lib.tensor([1.0, bad]), lib.tensor([3.0, 4.0])
        keep = b.grad
        norm = clip([b, a], 1.0, norm_type=norm_type)
        assert b.grad is keep  # scaled in place
        results.append((norm.item(), a.grad.tolist(), b.grad.tolist()))
    np.testing.assert_equal(results[1], results[0])
    a = nn.Parameter(autograd.zeros(2))
    a.grad = autograd.tensor([1.0, bad])
    with pytest.raises(
        RuntimeError,
        match=f"The total norm of order {norm_type} for gradients from "
        r"`parameters` is non-finite, so it cannot be clipped",
    ):
        nn.utils.clip_grad_norm_([a], 1.0, norm_type=norm_type, error_if_nonfinite=True)
    assert a.grad.tolist()[0] == 1.0  # untouched


# ---- also seen: rand/randn draw in the target dtype ---------------------------------------------------
def test_randn_and_rand_draw_in_the_target_dtype():
    import tracemalloc

    n = 2_000_000
    for fn in (autograd.randn, autograd.rand):
        fn(10)  # warm up
        tracemalloc.start()
        x = fn(n)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert x.dtype == autograd.float32 and peak < 1.3 * 4 * n  # no float64 array of 16 MB first
        del x
    h = autograd.randn(100_000, dtype=autograd.float16)
    assert h.dtype == autograd.float16 and abs(float(h.float().std()) - 1) < 0.02
    for fn, kernel in (
        (autograd.randn, "normal_kernel_cpu"),
        (autograd.rand, "check_uniform_bounds"),
    ):
        with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for 'Long'"):
            fn(3, dtype=autograd.int64)


def test_randn_goodness_of_fit_in_each_dtype():
    from scipy import stats

    g = autograd.Generator().manual_seed(1234)
    for dt in (autograd.float16, autograd.float32, autograd.float64):
        x = autograd.randn(20_000, dtype=dt, generator=g).double().numpy()
        assert stats.kstest(x, "norm").pvalue > 1e-3, dt
        u = autograd.rand(20_000, dtype=dt, generator=g).double().numpy()
        assert stats.kstest(u, "uniform").pvalue > 1e-3 and u.min() >= 0 and u.max() < 1, dt


# ---- also seen: conv2d with a huge im2col matrix runs in bounded memory ---------------------------------
def test_conv2d_with_a_big_kernel_runs_in_bounded_memory(monkeypatch):
    """x 200x200, kernel 41x41: the im2col matrix would be 172 MB; with a 4 MiB budget the
    convolution, its input gradient and its weight gradient stay under ~16 MiB each."""
    import tracemalloc
    from scipy import signal
    from autograd.ops import conv as C

    monkeypatch.setattr(C, "_IM2COL_BUDGET", 4 * 2**20)
    rng = np.random.default_rng(0)
    x = autograd.tensor(rng.normal(size=(1, 1, 200, 200)).astype(np.float32), requires_grad=True)
    w = autograd.tensor(rng.normal(size=(1, 1, 41, 41)).astype(np.float32), requires_grad=True)
    F.conv2d(x[..., :50, :50], w, padding=3).sum().backward()  # compile/load the kernels first
    x.grad = w.grad = None
    tracemalloc.start()
    y = F.conv2d(x, w, padding=3)
    fwd_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    y.sum().backward()
    bwd_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert fwd_peak < 16 * 2**20 and bwd_peak < 16 * 2**20, (fwd_peak, bwd_peak)
    xd, wd = (
        x.detach().numpy()[0, 0].astype(np.float64),
        w.detach().numpy()[0, 0].astype(np.float64),
    )
    ref = signal.correlate2d(np.pad(xd, 3), wd, mode="valid")
    np.testing.assert_allclose(y.detach().numpy()[0, 0], ref, rtol=1e-4, atol=1e-3)
    ones = np.ones_like(ref)
    np.testing.assert_allclose(
        x.grad.numpy()[0, 0],
        signal.convolve2d(ones, wd, mode="full")[3:-3, 3:-3],
        rtol=1e-4,
        atol=1e-3,
    )
    np.testing.assert_allclose(
        w.grad.numpy()[0, 0],
        signal.correlate2d(np.pad(xd, 3), ones, mode="valid"),
        rtol=1e-4,
        atol=1e-2,
    )


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_conv2d_blocks_equal_one_block(monkeypatch, backend):
    from autograd.ops import conv as C

    rng = np.random.default_rng(1)
    cases = [
        ((2, 3, 11, 9), (4, 3, 3, 2), dict(stride=1, padding=0)),
        ((2, 4, 13, 10), (6, 2, 3, 3), dict(stride=2, padding=2, groups=2)),
        (
            (1, 2, 12, 12),
            (3, 2, 3, 3),
            dict(stride=(3, 1), padding=5, dilation=2),
        ),  # rows of padding only
        ((3, 1, 7, 7), (2, 1, 5, 5), dict(padding="same")),
        ((2, 2, 9, 8), (2, 2, 2, 2), dict(stride=3, padding=(4, 1))),
    ]
    with autograd.backend(backend):
        for xs, ws, kw in cases:
            x = autograd.tensor(rng.normal(size=xs), requires_grad=True)
            w = autograd.tensor(rng.normal(size=ws), requires_grad=True)
            g = None
            results = []
            for budget in (256 * 2**20, 1, 300):  # one block; a row at a time; a few rows
                monkeypatch.setattr(C, "_IM2COL_BUDGET", budget)
                x.grad = w.grad = None
                y = F.conv2d(x, w, **kw)
                g = autograd.tensor(rng.normal(size=y.shape)) if g is None else g
                y.backward(g)
                t = F.conv_transpose2d(g, w, stride=kw.get("stride", 1), groups=kw.get("groups", 1))
                results.append(
                    [y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), t.detach().numpy()]
                )
            for other in results[1:]:
                for a, b in zip(results[0], other):
                    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


# ---- found by the op fuzzer (test_op_fuzz.py) -------------------------------------------------------
@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("shape,dim", [((0, 0), None), ((0, 3), 0), ((2, 0, 3), 1)])
def test_var_std_backward_of_empty_input_is_quiet(name, shape, dim):
    x = autograd.zeros(*shape, requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        out = getattr(autograd, name)(x) if dim is None else getattr(autograd, name)(x, dim)
    outs = out if isinstance(out, tuple) else (out,)
    sum(o.sum() for o in outs).backward()  # RuntimeWarning 'Mean of empty slice' escaped
    assert x.grad.shape == x.shape


def test_std_of_large_float32_values_does_not_overflow():
    x = autograd.tensor([[1.0, -1e30, 2.0], [1e30, 1e30, 1.0]])
    np.testing.assert_allclose(autograd.std(x, 1).numpy(), [5.773503e29, 5.773503e29], rtol=1e-6)
    assert autograd.var(x, 1).numpy().tolist() == [
        np.inf,
        np.inf,
    ]  # 3.3e59 overflows float32, as torch


def test_adaptive_avg_pool_keeps_nan_and_inf_in_their_windows():
    x = np.arange(2 * 6 * 8, dtype=np.float32).reshape(1, 2, 6, 8)
    x[0, 0, 0, 0], x[0, 1, 5, 7] = np.nan, np.inf
    out = autograd.adaptive_avg_pool2d(autograd.tensor(x), (2, 2)).numpy()
    assert np.isnan(out[0, 0, 0, 0]) and np.isfinite(out[0, 0]).sum() == 3
    assert np.isposinf(out[0, 1, 1, 1]) and np.isfinite(out[0, 1]).sum() == 3
    out1 = autograd.adaptive_avg_pool1d(autograd.tensor(x[0, :, 0]), 4).numpy()
    assert np.isnan(out1[0, 0]) and np.isfinite(out1).sum() == 7


def test_triangular_solve_with_a_zero_pivot_gives_inf_like_torch():
    A = autograd.tensor([[2.0, 1.0], [0.0, 0.0]])
    b = autograd.tensor([[3.0], [4.0]])
    assert autograd.triangular_solve(b, A).solution.tolist() == [[-np.inf], [np.inf]]
    assert autograd.triangular_solve(b, A, upper=False).solution.tolist() == [[1.5], [np.inf]]


def test_lgamma_at_minus_infinity_and_near_zero_like_torch():
    x = autograd.tensor([-np.inf, -4.94e-324, 4.94e-324, 0.0], dtype=autograd.float64)
    np.testing.assert_allclose(
        autograd.lgamma(x).numpy(), [np.inf, 744.4400719, 744.4400719, np.inf]
    )


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_max_pools_pick_the_last_nan_like_torch(backend):
    x = autograd.tensor([[[[1.0, np.nan, 3.0], [np.nan, 2.0, 5.0], [0.0, 1.0, np.nan]]]])
    with autograd.backend(backend):
        assert autograd.max_pool2d(x, 3, return_indices=True)[1].tolist() == [[[[8]]]]
        assert autograd.adaptive_max_pool2d(x, 1, return_indices=True)[1].tolist() == [[[[8]]]]
        y = autograd.tensor([[[1.0, np.nan, 2.0, np.nan, 3.0]]])
        assert autograd.max_pool1d(y, 5, return_indices=True)[1].tolist() == [[[3]]]
    assert (
        autograd.argmax(autograd.tensor([1.0, np.nan, 2.0, np.nan])).item() == 1
    )  # torch.argmax: the first


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_max_pool_backward_of_an_empty_batch(backend):
    with autograd.backend(backend):
        for pool, shape in ((autograd.max_pool2d, (0, 1, 2, 2)), (autograd.max_pool1d, (0, 1, 2))):
            x = autograd.zeros(*shape, requires_grad=True)
            pool(x, 2).sum().backward()  # ValueError: cannot reshape array of size 0
            assert x.grad.shape == x.shape


def test_addcdiv_divides_last_like_torch():
    x = autograd.tensor([-1e30, 1.0])
    t1 = autograd.tensor([1.4e-45, 1.0])  # 0.5 * t1 underflows to 0 ...
    t2 = autograd.tensor([-0.0, 3.0])  # ... and 0 / -0 is nan in torch
    out = autograd.addcdiv(x, t1, t2, value=0.5).numpy()
    assert np.isnan(out[0]) and out[1] == np.float32(1.0) + np.float32(0.5) * np.float32(
        1.0
    ) / np.float32(3.0)


def test_interpolate_of_an_empty_size_raises_torchs_error():
    torch = pytest.importorskip("torch")
    for shape, kw in [
        ((1, 1, 0), dict(size=5)),
        ((1, 1, 0, 3), dict(size=(5, 5))),
        ((1, 1, 2), dict(size=0, mode="linear")),
        ((1, 1, 0, 2), dict(scale_factor=2.0, mode="bilinear")),
    ]:
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.functional.interpolate(torch.zeros(shape), **kw)
        with pytest.raises(
            RuntimeError, match="Input and output sizes should be greater than 0"
        ) as ours:
            F.interpolate(autograd.zeros(*shape), **kw)  # NumPy's IndexError escaped
        assert str(ours.value) == str(theirs.value)
    assert F.interpolate(autograd.zeros(0, 1, 3), size=5).shape == (0, 1, 5)


def test_batch_norm_of_an_empty_batch_is_empty_like_torch():
    for shape in [(0, 0), (0, 3), (2, 0), (3, 2, 0)]:
        x = autograd.zeros(*shape, requires_grad=True)
        rm, rv = autograd.zeros(shape[1]), autograd.ones(shape[1])
        w = autograd.ones(shape[1], requires_grad=True)
        y = F.batch_norm(x, rm, rv, w, training=True)  # ZeroDivisionError / ValueError before
        y.sum().backward()
        assert y.shape == shape and x.grad.shape == shape
        assert shape[1] == 0 or w.grad.tolist() == [0.0] * shape[1]  # still in the graph
        assert rm.tolist() == [0.0] * shape[1] and rv.tolist() == [1.0] * shape[1]
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(autograd.zeros(1, 3), None, None, training=True)


def test_pad_of_empty_inputs_is_shaped_or_refused_like_torch():
    torch = pytest.importorskip("torch")
    # constant padding of an empty dim raised IndexError (a take from an empty axis), circular
    # padding of an empty channel dim was refused
    for mode in ("constant", "reflect", "replicate", "circular"):
        for shape in [(1, 0), (0, 3), (1, 2, 0), (0, 2, 3), (2, 0, 3)]:
            try:
                expected = tuple(
                    torch.nn.functional.pad(torch.zeros(shape), (1, 2), mode=mode).shape
                )
            except RuntimeError as e:
                with pytest.raises((RuntimeError, ValueError), match=re.escape(str(e)[:40])):
                    F.pad(autograd.zeros(*shape), (1, 2), mode=mode)
            else:
                assert F.pad(autograd.zeros(*shape), (1, 2), mode=mode).shape == expected


def test_histogram_density_of_no_values_is_nan_like_torch():
    # NumPy's 0/0 warned (a RuntimeWarning, an error in the test suite); torch gives nan
    out = autograd.histogram(autograd.tensor(np.zeros(0, np.float32)), 4, density=True)
    assert np.isnan(out.hist.numpy()).all() and out.hist.shape == (4,)


def test_cosine_similarity_of_an_overflowing_norm_is_not_nan_like_torch():
    # the eps clamp added clamp_min(n, eps) - n = inf - inf: nan where torch gives 0
    a = autograd.tensor(np.array([-1e30, 0.25, 1e30, -0.085], np.float32))
    b = autograd.tensor(np.array([[1e-45, 0.0, -0.42, -0.36], [1.0, 2.0, 3.0, 4.0]], np.float32))
    assert F.cosine_similarity(a, b).tolist() == [0.0, 0.0]


def test_multi_margin_loss_with_an_infinite_class_weight_is_not_nan_like_torch():
    # the skipped j == y term was multiplied by weight[y]: 0 * -inf = nan where torch gives -inf
    x = autograd.tensor([[1.0, 1.2, 0.0], [0.8, -0.5, 0.0]])
    w = autograd.tensor([0.5, 1.0, -np.inf])
    out = F.multi_margin_loss(
        x, autograd.tensor([2, 0]), p=2, margin=0.5, weight=w, reduction="none"
    )
    assert out.tolist()[0] == -np.inf and np.isfinite(out.tolist()[1])


# ---- session 8 probes: integer arithmetic ----------------------------------------------------
def test_int_numbers_a_dtype_cannot_hold_wrap_like_torch():
    # NumPy raised OverflowError (``uint8_tensor + (-2)``, ``int8_tensor * 1000``); torch casts
    # the number into the tensor's type, wrapping modulo 2**bits
    u = autograd.tensor([0, 3, 250], dtype=autograd.uint8)
    assert (u + (-2)).tolist() == [254, 1, 248] and (u * -2).tolist() == [0, 250, 12]
    assert (u - (-2)).dtype == autograd.uint8 and (u & -2).tolist() == [0, 2, 250]
    i8 = autograd.tensor([1, 100, -100], dtype=autograd.int8)
    assert (i8 * 1000).tolist() == [-24, -96, 96] and (i8 + 200).tolist() == [-55, 44, 100]
    assert (1000 * i8).tolist() == [-24, -96, 96] and (i8 + 2**40).tolist() == [1, 100, -100]
    assert (autograd.tensor([1]) + 2**63).tolist() == [-(2**63) + 1]
    with pytest.raises(OverflowError, match="int too big to convert"):
        i8 + 2**64


def test_clamp_of_integers_with_bounds_out_of_range_like_torch():
    # a bound the integer type cannot hold raised NumPy's OverflowError
    u = autograd.tensor([0, 3, 7, 250], dtype=autograd.uint8)
    assert u.clamp(-1, 2).tolist() == [2, 2, 2, 2]  # -1 is 255 in uint8; min > max gives max
    assert u.clamp(min=-1).tolist() == [255] * 4 and u.clamp(max=-1).tolist() == [0, 3, 7, 250]
    for dt, lo, hi, name in [
        (autograd.uint8, 0, 256, "uint8_t"),
        (autograd.int8, -129, None, "int8_t"),
        (autograd.int32, 0, 2**40, "int"),
    ]:
        with pytest.raises(RuntimeError, match=f"converted to type {name} without overflow"):
            autograd.tensor([1], dtype=dt).clamp(lo, hi)


def test_shifts_of_bool_tensors_are_refused_like_torch():
    b = autograd.tensor([True, False])
    for fn in (lambda: b << b, lambda: b >> True, lambda: b.bitwise_left_shift(b)):
        with pytest.raises(RuntimeError, match="shift_cpu\" not implemented for 'Bool'"):
            fn()
    assert (b << 1).tolist() == [2, 0] and (b << 1).dtype == autograd.int64  # promoted first


def test_in_place_integer_results_cast_like_torch():
    # an integer result into an integer tensor of another kind (int64 into uint8) was refused:
    # NumPy's "same_kind" keeps unsigned and signed apart, torch does not
    u = autograd.tensor([250, 1], dtype=autograd.uint8)
    u += autograd.tensor([10, -2])
    assert u.tolist() == [4, 255] and u.dtype == autograd.uint8
    u.mul_(autograd.tensor([2], dtype=autograd.int8))
    assert u.tolist() == [8, 254]
    # the message names the real types (it said Long for every integer type)
    i16 = autograd.tensor([1], dtype=autograd.int16)
    for other, result in [(1.5, "Float"), (autograd.tensor([1.5], dtype=autograd.float16), "Half")]:
        with pytest.raises(
            RuntimeError,
            match=f"result type {result} can't be cast to the desired output type Short",
        ):
            i16.add_(other)
    with pytest.raises(
        RuntimeError, match="type Long can't be cast to the desired output type Bool"
    ):
        autograd.tensor([True]).add_(2)


def test_floordiv_and_mod_assignments_write_in_place_like_torch():
    # ``a //= b`` and ``a %= b`` rebound ``a`` to a new tensor (promoted: int8 //= int64 gave
    # int64) and left other references unchanged
    a = autograd.tensor([7, -8], dtype=autograd.int8)
    alias = a
    a //= autograd.tensor([2])
    assert a is alias and a.tolist() == [3, -4] and a.dtype == autograd.int8
    a %= 3
    assert alias.tolist() == [0, 2]
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        a //= 2.5
    # ``a @= b`` is not in place in torch: it rebinds ``a``, a leaf that requires grad may
    m = autograd.ones(2, 2, requires_grad=True)
    before = m
    m @= autograd.ones(2, 2)
    assert m is not before and before.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert m.grad_fn.name() == "MmBackward0"


# ---- session 8 probes: nan, inf and ties ----------------------------------------------------
def test_std_of_a_constant_row_has_a_zero_gradient_like_torch():
    # (x - mean) / ((N - 1) * std) was 0/0 = nan for a constant row; torch masks std == 0
    x = autograd.tensor([[3.0, 3.0, 3.0], [1.0, 2.0, 4.0]], requires_grad=True)
    x.std(1).sum().backward()
    assert x.grad[0].tolist() == [0.0, 0.0, 0.0] and np.isfinite(x.grad.numpy()).all()
    x = autograd.tensor([3.0, 3.0], requires_grad=True)
    autograd.std_mean(x)[0].backward()
    assert x.grad.tolist() == [0.0, 0.0]
    x = autograd.tensor([3.0], requires_grad=True)  # N <= correction: std is nan, so is its grad
    with pytest.warns(UserWarning, match="degrees of freedom"):
        s = x.std()
    s.backward()
    assert np.isnan(x.grad.numpy()).all()


def test_quantile_of_a_row_with_nan_sends_the_gradient_to_a_nan_like_torch():
    # the nan result was written over the quantile (a gradient of 0); torch selects the row's
    # last sorted value, a nan, and its gradient goes there (as median's does)
    torch = pytest.importorskip("torch")
    rows = [[1.0, np.nan, 3.0, np.nan], [np.nan] * 4, [np.nan, 1.0, 2.0, 5.0], [2.0, 1.0, 4.0, 3.0]]
    for fn in ("quantile", "nanquantile"):
        for interpolation in ("linear", "lower", "nearest"):
            grads = []
            for lib in (torch, autograd):
                x = lib.tensor(rows, requires_grad=True)
                out = getattr(x, fn)(lib.tensor([0.2, 0.9]), dim=1, interpolation=interpolation)
                (out * (lib.arange(8.0).reshape(2, 4) + 1)).sum().backward()
                grads.append((out.detach().numpy(), x.grad.numpy()))
            np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-6)
            np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-6)


def test_median_of_no_elements_is_recorded_and_named_like_torch():
    # median of an empty tensor was a constant (no grad_fn): backward() through it failed
    x = autograd.zeros(0, 3, requires_grad=True)
    m = x.median()
    assert np.isnan(m.item()) and m.grad_fn.name() == "MedianBackward0"
    m.backward()
    assert x.grad.shape == (0, 3)
    y = autograd.tensor([1.0, np.nan, 2.0], requires_grad=True)
    assert y.nanmedian().grad_fn.name() == "NanmedianBackward0"  # (was NanMedianBackward0)
    assert y.nanmedian(0).values.grad_fn.name() == "NanmedianBackward1"
    assert y.median(0).values.grad_fn.name() == "MedianBackward1"


# ---- session 8 probes: the autograd API ------------------------------------------------------
def test_grad_mode_decorators_cover_a_generators_body_like_torch():
    # the decorator wrapped only the call that creates the generator: its body ran with the
    # caller's grad mode
    x = autograd.ones(2, requires_grad=True)

    def body():
        received = yield (x * 2).requires_grad, autograd.is_grad_enabled()
        yield (x * 3).requires_grad, received
        return "done"

    for deco, mode in [
        (autograd.no_grad(), False),
        (autograd.enable_grad(), True),
        (autograd.set_grad_enabled(False), False),
        (autograd.inference_mode(), False),
    ]:
        gen = deco(body)()
        with autograd.set_grad_enabled(not mode):
            assert next(gen) == (mode, mode)
            assert autograd.is_grad_enabled() is (not mode)  # paused: the caller's mode
            assert gen.send("hi") == (mode, "hi")
            with pytest.raises(StopIteration, match="done"):
                next(gen)
    gen = autograd.no_grad()(body)()
    next(gen)
    with pytest.raises(ValueError, match="boom"):
        gen.throw(ValueError("boom"))
    assert autograd.is_grad_enabled()


def test_autograd_grad_options_like_torch():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed"):
        autograd.grad((x * 2).sum(), [x, z], allow_unused=False, materialize_grads=True)
    with pytest.raises(RuntimeError, match="Tensor at index 1 appears to not have been used"):
        autograd.grad((x * 2).sum(), [x, z])
    with pytest.raises(RuntimeError, match="got 2 tensors and 1 gradients"):
        autograd.grad([x * 2, x * 3], [x], [autograd.ones(3)])

    def halve(g):
        return g[:2]

    y = x * 2
    y.register_hook(halve)
    with pytest.raises(RuntimeError, match="hook 'halve' has changed the size of value"):
        y.sum().backward()


def test_autograd_grad_is_grads_batched_like_torch():
    # is_grads_batched=True raised NotImplementedError
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, autograd):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        z = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        (jac, unused) = lib.autograd.grad(
            y, [x, z], lib.eye(3), is_grads_batched=True, allow_unused=True, retain_graph=True
        )
        (zeros,) = lib.autograd.grad(
            (x * 1).sum(), [z], lib.ones(2), is_grads_batched=True, materialize_grads=True
        )
        (second,) = lib.autograd.grad(y, x, lib.eye(3), is_grads_batched=True, create_graph=True)
        results.append((jac, unused, zeros, second.requires_grad))
        with pytest.raises(RuntimeError, match="interpret the first dimension of each grad_output"):
            lib.autograd.grad(x * 2, [x], lib.ones(2, 2), is_grads_batched=True)
    (jac_t, unused_t, zeros_t, rg_t), (jac, unused, zeros, rg) = results
    np.testing.assert_array_equal(jac.numpy(), jac_t.numpy())
    np.testing.assert_array_equal(zeros.numpy(), zeros_t.numpy())
    assert unused is unused_t is None and rg is rg_t is True


def test_item_assignment_on_a_leaf_names_the_view_like_torch():
    # ``x[0] = v`` writes through the view ``x[0]``: torch's message says so
    for index, view in [(0, True), (slice(0, 2), True), (None, True), ([0], False), (..., False)]:
        x = autograd.zeros(3, requires_grad=True)
        message = ("a view of a leaf" if view else "^a leaf") + " Variable that requires grad"
        with pytest.raises(RuntimeError, match=message):
            x[index] = 1.0


def test_embedding_scale_grad_by_freq_like_torch():
    # scale_grad_by_freq=True raised NotImplementedError
    torch = pytest.importorskip("torch")
    w0 = np.random.default_rng(0).normal(size=(6, 3))
    for padding_idx in (None, 2):
        grads = []
        for lib, emb in ((torch, torch.nn.functional.embedding), (autograd, F.embedding)):
            w = lib.tensor(w0, requires_grad=True)
            out = emb(lib.tensor([[0, 2, 2], [2, 5, 1]]), w, padding_idx, scale_grad_by_freq=True)
            (out * lib.arange(18.0, dtype=out.dtype).reshape(2, 3, 3)).sum().backward()
            grads.append(w.grad.numpy())
        np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_unflatten_module_and_empty_rnn_sequence_errors_like_torch():
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[5, -1\] don't multiply"):
        nn.Unflatten(1, (5, -1))(autograd.zeros(3, 12))  # (was reshape's message)
    assert nn.Unflatten(-1, (2, -1))(autograd.zeros(3, 6)).shape == (3, 2, 3)
    for rnn in (nn.RNN(4, 5), nn.GRU(4, 5), nn.LSTM(4, 5)):
        with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
            rnn(autograd.zeros(0, 2, 4))


def test_channels_last_needs_its_rank_like_torch():
    # clone/contiguous accepted channels_last for any rank (torch refuses, the layout is 4-d)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        autograd.zeros(2, 3).clone(memory_format=autograd.channels_last)
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d"):
        autograd.zeros(1, 2, 3, 4).contiguous(memory_format=autograd.channels_last_3d)
    x = autograd.zeros(1, 2, 3, 4, requires_grad=True)
    assert x.clone(memory_format=autograd.channels_last).grad_fn.name() == "CloneBackward0"


def test_fills_of_integer_tensors_check_the_value_like_torch():
    # full/full_like/fill_/x[i] = v cast with NumPy: 1e10 became -2**31 in int32, nan became 0,
    # uint8's -1 raised OverflowError; torch wraps an int down to -max and refuses the rest
    assert autograd.full((2,), -1, dtype=autograd.uint8).tolist() == [255, 255]
    assert autograd.zeros(2, dtype=autograd.uint8).fill_(-129).tolist() == [127, 127]
    x = autograd.zeros(2, dtype=autograd.uint8)
    x[0] = -1
    assert x.tolist() == [255, 0]
    assert autograd.full((1,), -1.5, dtype=autograd.int8).tolist() == [-1]  # truncated
    for make in (
        lambda v: autograd.full((2,), v, dtype=autograd.int32),
        lambda v: autograd.full_like(autograd.zeros(2, dtype=autograd.int32), v),
        lambda v: autograd.zeros(2, dtype=autograd.int32).fill_(v),
        lambda v: autograd.zeros(2, dtype=autograd.int32).new_full((2,), v),
        lambda v: autograd.zeros(2, dtype=autograd.int32).__setitem__(0, v),
    ):
        for v in (1e10, float("nan"), 2**31):
            with pytest.raises(RuntimeError, match="converted to type int without overflow"):
                make(v)
    with pytest.raises(RuntimeError, match="uint8_t without overflow"):  # a float below 0
        autograd.zeros(2, dtype=autograd.uint8).masked_fill(autograd.tensor([True, False]), -1.5)


def test_fills_of_float_tensors_refuse_a_finite_value_beyond_the_type_like_torch():
    # fill_/full/masked_fill/x[i] = v of a float32 tensor with 1e300 let NumPy's "overflow
    # encountered in cast" warning escape; torch refuses a finite value the type cannot hold
    mask = autograd.tensor([True, False])
    for make in (
        lambda v: autograd.zeros(2).fill_(v),
        lambda v: autograd.full((2,), v, dtype=autograd.float32),
        lambda v: autograd.zeros(2).masked_fill(mask, v),
        lambda v: autograd.zeros(2).__setitem__(0, v),
    ):
        for v in (1e300, -1e39, 2**200):
            with pytest.raises(RuntimeError, match="converted to type float without overflow"):
                make(v)
    # inf and nan are written, as in torch
    assert autograd.zeros(1).fill_(float("-inf")).tolist() == [float("-inf")]
    assert np.isnan(autograd.full((1,), float("nan"), dtype=autograd.float32).item())
    assert autograd.full((1,), 1e300, dtype=autograd.float64).tolist() == [1e300]
    with pytest.raises(RuntimeError, match="converted to type c10::Half without overflow"):
        autograd.zeros(1, dtype=autograd.float16).fill_(70000)


def test_scatter_addcmul_fill_diagonal_values_are_checked_like_torch():
    # scatter(value=300), addcmul(value=300) and fill_diagonal_(-1) on uint8 raised NumPy's
    # OverflowError; torch wraps an int down to -max (-1 -> 255) and refuses the rest
    u8 = autograd.uint8
    one = autograd.ones(2, dtype=u8)
    msg = "converted to type uint8_t without overflow"
    for make in (
        lambda v: autograd.zeros(3, dtype=u8).scatter_(0, autograd.tensor([0]), v),
        lambda v: autograd.zeros(3, dtype=u8).scatter(0, autograd.tensor([0]), value=v),
        lambda v: autograd.addcmul(autograd.zeros(2, dtype=u8), one, one, value=v),
        lambda v: autograd.zeros(2, 2, dtype=u8).fill_diagonal_(v),
    ):
        with pytest.raises(RuntimeError, match=msg):
            make(300)
        assert make(-1).tolist()[0] in (255, [255, 0])
    with pytest.raises(RuntimeError, match=msg):
        autograd.zeros(2, 2, dtype=u8).fill_diagonal_(-1.0)
    with pytest.raises(RuntimeError, match="converted to type float without overflow"):
        autograd.zeros(2, 2).fill_diagonal_(1e300)
    with pytest.raises(RuntimeError, match="converted to type float without overflow"):
        autograd.addcdiv(autograd.zeros(2), autograd.ones(2), autograd.ones(2), value=1e300)


def test_tensor_from_numbers_of_an_integer_dtype_like_torch():
    # tensor/as_tensor/new_tensor of [-1] or 300 as uint8 raised NumPy's OverflowError; torch
    # wraps an int down to -max (-1 -> 255) and refuses the rest naming the dtype
    u8 = autograd.uint8
    assert autograd.tensor([-1, -255], dtype=u8).tolist() == [255, 1]
    assert autograd.tensor(-1, dtype=u8).item() == 255
    assert autograd.as_tensor([[1, -1]], dtype=u8).tolist() == [[1, 255]]
    assert autograd.zeros(1, dtype=u8).new_tensor([-1]).tolist() == [255]
    for make in (
        lambda v: autograd.tensor(v, dtype=u8),
        lambda v: autograd.as_tensor([1, v], dtype=u8),
        lambda v: autograd.zeros(1, dtype=u8).new_tensor([v]),
    ):
        for v in (300, -256, -1.0, float("nan")):
            with pytest.raises(RuntimeError, match="converted to type uint8 without overflow"):
                make(v)
    with pytest.raises(RuntimeError, match="converted to type int32 without overflow"):
        autograd.tensor([2**40], dtype=autograd.int32)
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        autograd.tensor([2**64], dtype=autograd.int64)
    # an array is cast as it is (wrapping), as in torch; a float too large for the type is inf
    assert autograd.tensor(np.array([-1, 300]), dtype=u8).tolist() == [255, 44]
    assert autograd.tensor([1e300], dtype=autograd.float32).tolist() == [float("inf")]
    with pytest.raises(ValueError, match="rectangular"):  # other errors are unchanged
        autograd.tensor([[1, -1], [2]], dtype=u8)


def test_in_place_comparisons_like_torch():
    # x.eq_/ne_/lt_/le_/gt_/ge_ were missing; torch writes 1/0 in the tensor's own dtype and,
    # on a tensor that requires grad, records GeBackward0 & co. with a zero gradient
    torch = pytest.importorskip("torch")
    for name in ("eq", "ne", "lt", "le", "gt", "ge", "not_equal", "less", "greater_equal"):
        for data, other in (([1.0, 2.0, 3.0], 2), ([1, 2, 3], [2.5, 2.0, 0.0]), ([1, 0], True)):
            ours, theirs = autograd.tensor(data), torch.tensor(data)
            o_other = autograd.tensor(other) if isinstance(other, list) else other
            t_other = torch.tensor(other) if isinstance(other, list) else other
            assert getattr(ours, name + "_")(o_other) is ours
            getattr(theirs, name + "_")(t_other)
            assert ours.tolist() == theirs.tolist() and ours.dtype.name == str(theirs.dtype)[6:]
    b = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = b * 2
    y.ge_(3)
    assert y.tolist() == [0.0, 1.0, 1.0] and y.grad_fn.name() == "GeBackward0"
    y.sum().backward()
    assert b.grad.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        b.lt_(1)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        autograd.zeros(2).ne_(autograd.zeros(2, 1))
