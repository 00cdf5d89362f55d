"""Convolution kernels (autograd/kernels/conv.py): im2col / col2im against the NumPy
reference routines over strides, asymmetric paddings, dilations, groups, float32/float64,
non-contiguous inputs and extreme values; the conv ops on the numba backend against the
numpy backend (forward, backward, double backward) and against torch."""

import numpy as np
import pytest

pytest.importorskip("numba")

import autograd
from autograd import dispatch
from autograd.kernels import conv as KC
from autograd.ops import conv as C
from autograd.ops import _windows as W

# (kernel, stride, pads ((top, bottom), (left, right)), dilation)
GEOMETRIES = [
    ((3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1)),
    ((3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ((3, 2), (2, 1), ((1, 2), (0, 1)), (1, 2)),  # asymmetric padding, dilated columns
    ((2, 3), (1, 3), ((2, 0), (1, 1)), (2, 1)),  # column stride 3, padding above only
    ((1, 1), (2, 2), ((0, 1), (1, 0)), (1, 1)),
    ((3, 3), (2, 2), ((2, 2), (2, 2)), (2, 2)),  # windows entirely in the padding
]


def _geometry_id(g):
    return "k{}s{}p{}d{}".format(*g).replace(" ", "")


def _out_hw(x, kernel, stride, pads, dilation):
    return tuple(
        W._out_size(n, k, s, lo, hi, d)
        for n, k, s, (lo, hi), d in zip(x.shape[2:], kernel, stride, pads, dilation)
    )


def _image(rng, shape, dtype):
    x = rng.normal(size=shape).astype(dtype)
    x.flat[::7] = 1000.0
    x.flat[3] = np.inf
    x.flat[5] = -np.inf
    x.flat[11] = np.nan
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", GEOMETRIES, ids=_geometry_id)
def test_im2col_kernel_matches_reference_exactly(geom, dtype):
    kernel, stride, pads, dilation = geom
    x = _image(np.random.default_rng(0), (2, 3, 7, 6), dtype)
    ref = W._im2col(x, kernel, stride, pads, dilation)
    n, c, kh, kw, ho, wo = ref.shape
    cols = np.full((n, c * kh * kw, ho * wo), 7.0, dtype)  # every entry must be written
    KC.im2col(x, kh, kw, *stride, pads[0][0], pads[1][0], *dilation, ho, wo, cols)
    np.testing.assert_array_equal(cols, ref.reshape(n, c * kh * kw, ho * wo))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", GEOMETRIES, ids=_geometry_id)
def test_col2im_kernel_matches_reference_exactly(geom, dtype):
    """Each image position receives at most one value per window element (i, j), added in
    (i, j) order by both, so even float32 sums agree bit for bit."""
    kernel, stride, pads, dilation = geom
    rng = np.random.default_rng(1)
    x = np.zeros((2, 3, 7, 6), dtype)
    ho, wo = _out_hw(x, kernel, stride, pads, dilation)
    cols = _image(rng, (2, 3, kernel[0], kernel[1], ho, wo), dtype)
    ref = W._col2im(cols, x.shape[2:], stride, pads, dilation)
    out = np.zeros_like(x)
    KC.col2im(
        cols.reshape(2, -1, ho * wo),
        *kernel,
        *stride,
        pads[0][0],
        pads[1][0],
        *dilation,
        ho,
        wo,
        out,
    )
    np.testing.assert_array_equal(out, ref)


def _routines(x, w, g, geom, groups):
    kernel, stride, pads, dilation = geom
    y = C._conv2d_forward_np(x, w, stride, pads, dilation, groups)
    gx = C._conv2d_input_grad_np(g, w, x.shape[2:], stride, pads, dilation, groups)
    gw = C._conv2d_weight_grad_np(x, g, kernel, stride, pads, dilation, groups)
    return y, gx, gw


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("geom", GEOMETRIES, ids=_geometry_id)
def test_conv_routines_numba_match_numpy(geom, groups, dtype):
    """The three bilinear routines (forward, input grad, weight grad) on both backends, with
    a non-contiguous input (a strided slice of a bigger array)."""
    kernel, stride, pads, dilation = geom
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4, 9, 8)).astype(dtype)[::2, :, 1:8, 1:7]  # (2, 4, 7, 6)
    assert not x.flags.c_contiguous
    w = rng.normal(size=(6, 4 // groups) + kernel).astype(dtype)
    g = rng.normal(size=(2, 6) + _out_hw(x, kernel, stride, pads, dilation)).astype(dtype)
    with autograd.backend("numpy"):
        ref = _routines(x, w, g, geom, groups)
    with autograd.backend("numba"):
        got = _routines(x, w, g, geom, groups)
    for a, b in zip(got, ref):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)  # same windows, same BLAS calls


def _conv_step(backend, dtype, x, w, b, create_graph=False, **kw):
    with autograd.backend(backend):
        xt = autograd.tensor(x.astype(dtype), requires_grad=True)
        wt = autograd.tensor(w.astype(dtype), requires_grad=True)
        bt = autograd.tensor(b.astype(dtype), requires_grad=True)
        y = autograd.conv2d(xt, wt, bt, **kw)
        loss = (
            (y * y).sum()
            if create_graph
            else (
                y * autograd.tensor(np.cos(np.arange(y.numel())).reshape(y.shape).astype(dtype))
            ).sum()
        )
        grads = autograd.grad(loss, (xt, wt, bt), create_graph=create_graph)
        if create_graph:  # differentiate once more through the backward convolutions
            grads = autograd.grad(sum((gr * gr).sum() for gr in grads), (xt, wt))
        return [y.detach().numpy()] + [gr.detach().numpy() for gr in grads]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(padding=1),
        dict(stride=2, padding=(1, 0)),
        dict(padding="same", dilation=2),
        dict(groups=2, stride=(1, 2)),
    ],
    ids=str,
)
def test_conv2d_op_numba_matches_numpy(kw, dtype, tol):
    rng = np.random.default_rng(3)
    x, w, b = (
        rng.normal(size=(2, 4, 7, 8)),
        rng.normal(size=(6, 4 // kw.get("groups", 1), 3, 3)),
        rng.normal(size=6),
    )
    ref = _conv_step("numpy", dtype, x, w, b, **kw)
    got = _conv_step("numba", dtype, x, w, b, **kw)
    for a, r in zip(got, ref):
        np.testing.assert_allclose(a, r, rtol=tol, atol=tol)


def test_conv2d_double_backward_numba_matches_numpy():
    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 2, 3)), rng.normal(size=3)
    ref = _conv_step("numpy", np.float64, x, w, b, create_graph=True, padding=1, stride=2)
    got = _conv_step("numba", np.float64, x, w, b, create_graph=True, padding=1, stride=2)
    for a, r in zip(got, ref):
        np.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-12)


def test_conv_transpose_unfold_fold_numba_match_numpy():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 4, 5, 6)).astype(np.float32)
    w = rng.normal(size=(4, 3, 3, 2)).astype(np.float32)
    res = {}
    for backend in ("numpy", "numba"):
        with autograd.backend(backend):
            xt = autograd.tensor(x, requires_grad=True)
            yt = autograd.conv_transpose2d(
                xt, autograd.tensor(w), stride=2, padding=1, output_padding=1
            )
            cols = autograd.unfold(xt, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
            img = autograd.fold(cols, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
            (gx,) = autograd.grad(yt.sum() + (img * img).sum(), (xt,))
            res[backend] = [t.detach().numpy() for t in (yt, cols, img, gx)]
    for a, r in zip(res["numba"], res["numpy"]):
        np.testing.assert_allclose(a, r, rtol=1e-5, atol=1e-5)


def test_conv2d_empty_batch_and_dtype_fallback():
    w = np.ones((2, 3, 3, 3), np.float32)
    for backend in ("numpy", "numba"):
        with autograd.backend(backend):
            xt = autograd.zeros(0, 3, 5, 5, requires_grad=True)
            wt = autograd.tensor(w, requires_grad=True)
            y = autograd.conv2d(xt, wt, padding=1)
            assert tuple(y.shape) == (0, 2, 5, 5)
            gx, gw = autograd.grad(y.sum(), (xt, wt))
            assert tuple(gx.shape) == (0, 3, 5, 5)
            np.testing.assert_array_equal(gw.numpy(), np.zeros_like(w))
    # float16 has no kernel: the routine falls back to the NumPy reference
    x16 = np.ones((1, 1, 4, 4), np.float16)
    with autograd.backend("numba"):
        assert dispatch.kernels("conv", x16) is None
        cols = W._im2col_matrix(x16, (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1))
    assert cols.dtype == np.float16 and cols.shape == (1, 4, 9)


def test_conv2d_matches_torch_on_cnn_layer_shapes():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 3, 10, 9)).astype(np.float32)
    w = rng.normal(size=(5, 3, 3, 3)).astype(np.float32)
    b = rng.normal(size=5).astype(np.float32)
    g = rng.normal(size=(4, 5, 5, 6)).astype(np.float32)
    with autograd.backend("numba"):
        xt, wt, bt = (autograd.tensor(a, requires_grad=True) for a in (x, w, b))
        y = autograd.conv2d(xt, wt, bt, stride=2, padding=(1, 2))
        grads = autograd.grad(y, (xt, wt, bt), autograd.tensor(g))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=2, padding=(1, 2))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    for ours, theirs in zip(grads, (tx.grad, tw.grad, tb.grad)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-4)


# ---- small convolutions: the batch-major path (conv.py's _conv2d_forward_batch) ----------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", GEOMETRIES, ids=_geometry_id)
def test_im2col_col2im_kernels_on_batch_major_view_exactly(geom, dtype):
    """The kernels write and read the (n, k, l) view of a (K, N, L) matrix as they do a
    contiguous (N, K, L) one."""
    kernel, stride, pads, dilation = geom
    x = _image(np.random.default_rng(7), (3, 2, 7, 6), dtype)
    ho, wo = _out_hw(x, kernel, stride, pads, dilation)
    args = (*kernel, *stride, pads[0][0], pads[1][0], *dilation, ho, wo)
    ref = np.full((3, 2 * kernel[0] * kernel[1], ho * wo), 7.0, dtype)
    KC.im2col(x, *args, ref)
    batch = np.full((ref.shape[1], 3, ho * wo), 7.0, dtype)
    KC.im2col(x, *args, batch.transpose(1, 0, 2))
    np.testing.assert_array_equal(batch.transpose(1, 0, 2), ref)
    img_ref, img = np.zeros_like(x), np.zeros_like(x)
    KC.col2im(ref, *args, img_ref)
    KC.col2im(batch.transpose(1, 0, 2), *args, img)
    np.testing.assert_array_equal(img, img_ref)
    # the sample-innermost kernels write and read the contiguous batch-major matrix
    batch[...] = 7.0
    KC.im2col_batch(x, *args, batch)
    np.testing.assert_array_equal(batch.transpose(1, 0, 2), ref)
    img[...] = 0.0
    KC.col2im_batch(batch, *args, img)
    np.testing.assert_array_equal(img, img_ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_to_batch_and_batch_to_rows_kernels_match_numpy(dtype):
    rng = np.random.default_rng(8)
    rows = _image(rng, (4, 3, 5), dtype)
    bias = rng.normal(size=4).astype(dtype)
    for b in (bias, None):
        with autograd.backend("numba"):
            got = C._rows_to_batch(rows, b)
        with autograd.backend("numpy"):
            ref = C._rows_to_batch(rows, b)
        assert got.dtype == ref.dtype == dtype and got.flags.c_contiguous
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(
            got, rows.transpose(1, 0, 2) + (0 if b is None else b[:, None])
        )
    g = _image(rng, (3, 4, 5), dtype)
    with autograd.backend("numba"):
        got = C._batch_to_rows(g)
    np.testing.assert_array_equal(got, g.transpose(1, 0, 2))
    assert got.flags.c_contiguous


def _conv_record(
    budget, monkeypatch, backend, dtype, x, w, b, conv=autograd.conv2d, kept=None, **kw
):
    """conv2d forward, backward and double backward with the batch-major budget set to
    ``budget`` and the kept-windows one to ``kept`` (default: ``budget``; -1 for both:
    every convolution takes the general path): values and bookkeeping."""
    monkeypatch.setattr(C, "_BATCH_COLS_BUDGET", budget)
    monkeypatch.setattr(C, "_KEPT_WINDOWS_BUDGET", budget if kept is None else kept)
    with autograd.backend(backend):
        xt, wt, bt = (autograd.tensor(a.astype(dtype), requires_grad=True) for a in (x, w, b))
        y = conv(xt, wt, bt, **kw)
        rec = {
            "path": len(y.grad_fn._saved),  # 3: it kept the window matrix
            "y": [y.detach().numpy()],
            "meta": (y.dtype, y.requires_grad, y.grad_fn.name(), y._version),
        }
        g = autograd.tensor(np.cos(np.arange(y.numel())).reshape(y.shape).astype(dtype))
        grads = autograd.grad(y, (xt, wt, bt), g, retain_graph=True)
        rec["grads"] = [gr.numpy() for gr in grads]
        rec["grad_meta"] = [(gr.dtype, gr.requires_grad, gr.grad_fn) for gr in grads]
        gg = autograd.grad(y, (xt, wt, bt), g, create_graph=True, retain_graph=True)
        rec["double"] = [
            gr.numpy() for gr in autograd.grad(sum((t * t).sum() for t in gg), (xt, wt))
        ]
        with autograd.no_grad():
            xt.mul_(2.0)  # the saved input changed: both paths refuse the backward
        with pytest.raises(RuntimeError) as err:
            y.backward(g)
        rec["error"] = str(err.value)
    return rec


def _assert_same_records(rec, general, tol=None):
    """``rec`` (a record of a special path, which keeps its window matrix) agrees with
    ``general`` (the general path's): bookkeeping and errors equal, every value of the same
    dtype and shape, equal bit for bit (``tol=None``) or to ``tol``."""
    assert (rec["path"], general["path"]) == (3, 2)
    assert rec["meta"] == general["meta"] and rec["grad_meta"] == general["grad_meta"]
    assert rec["error"] == general["error"]
    for key in ("y", "grads", "double"):
        for a, r in zip(rec[key], general[key]):
            assert a.dtype == r.dtype and a.shape == r.shape
            if tol is None:
                np.testing.assert_array_equal(a, r)
            else:
                np.testing.assert_allclose(a, r, rtol=tol, atol=tol)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize(
    "kw",
    [dict(stride=(1, 2), padding=(0, 1)), dict(padding=1, dilation=2), dict(groups=2, stride=2)],
    ids=str,
)
@pytest.mark.parametrize("shape", [(3, 4, 6, 9), (16, 4, 5, 3)], ids=["rows", "samples"])
def test_conv2d_batch_major_path_matches_general_path(kw, dtype, tol, backend, shape, monkeypatch):
    """Same values (the GEMMs group the sums differently, so to rounding), dtypes,
    grad_fn, requires_grad, version counters and errors as the per-sample path; with long
    output rows and with a batch large enough for the sample-innermost window kernels."""
    rng = np.random.default_rng(9)
    x, w, b = (
        rng.normal(size=shape),
        rng.normal(size=(6, 4 // kw.get("groups", 1), 3, 2)),
        rng.normal(size=6),
    )
    out_hw = autograd.conv2d(autograd.tensor(x), autograd.tensor(w), **kw).shape[2:]
    assert C._samples_inner(shape[0], out_hw) == (shape[0] == 16)
    fast = _conv_record(C._BATCH_COLS_BUDGET, monkeypatch, backend, dtype, x, w, b, **kw)
    general = _conv_record(-1, monkeypatch, backend, dtype, x, w, b, **kw)
    _assert_same_records(fast, general, tol)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("shape", [(3, 4, 9), (20, 4, 7)], ids=["rows", "samples"])
def test_conv1d_runs_as_one_convolution_op_on_both_paths(backend, shape, monkeypatch):
    """conv1d records one ConvolutionBackward0 node (torch's grad_fn; the height-1 views are
    made inside the op), on the batch-major path and on the general one alike."""
    rng = np.random.default_rng(10)
    x, w, b = rng.normal(size=shape), rng.normal(size=(6, 2, 3)), rng.normal(size=6)
    kw = dict(conv=autograd.conv1d, stride=2, padding=1, groups=2)
    fast = _conv_record(C._BATCH_COLS_BUDGET, monkeypatch, backend, np.float64, x, w, b, **kw)
    general = _conv_record(-1, monkeypatch, backend, np.float64, x, w, b, **kw)
    _assert_same_records(fast, general, 1e-12)
    assert fast["meta"][2] == general["meta"][2] == "ConvolutionBackward0"
    ref = C._ref_conv(x, w, b, stride=2, padding=1, groups=2)
    np.testing.assert_allclose(fast["y"][0], ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "conv,shape,wshape,kw",
    [
        (autograd.conv2d, (3, 4, 9, 10), (6, 4, 3, 3), dict(padding=1)),
        (autograd.conv2d, (2, 4, 11, 9), (6, 2, 3, 2), dict(stride=(2, 1), dilation=2, groups=2)),
        (autograd.conv1d, (3, 4, 20), (6, 4, 3), dict(padding=2)),
    ],
    ids=["padded", "groups", "conv1d"],
)
def test_conv_kept_windows_path_matches_general_path(conv, shape, wshape, kw, dtype, monkeypatch):
    """The numba backend's per-sample path that keeps the forward's windows for the weight
    gradient: the same values bit for bit (same windows, same products), dtypes, grad_fn,
    requires_grad, version counters and errors as the general path, which builds them
    again in the backward."""
    rng = np.random.default_rng(11)
    x, w, b = rng.normal(size=shape), rng.normal(size=wshape), rng.normal(size=wshape[0])
    args = (monkeypatch, "numba", dtype, x, w, b)
    kept = _conv_record(-1, *args, conv=conv, kept=C._IM2COL_BUDGET, **kw)
    general = _conv_record(-1, *args, conv=conv, **kw)
    _assert_same_records(kept, general)  # bit for bit


def test_conv_keeps_windows_only_when_the_weight_gradient_is_wanted():
    x = autograd.tensor(np.ones((2, 3, 12, 12), np.float32), requires_grad=True)  # (not small)
    w = autograd.tensor(np.ones((4, 3, 3, 3), np.float32))
    with autograd.backend("numba"):
        assert len(autograd.conv2d(x, w).grad_fn._saved) == 2  # x's gradient only
        w.requires_grad_()
        assert len(autograd.conv2d(x, w).grad_fn._saved) == 3
    with autograd.backend("numpy"):  # the reference path never keeps them
        assert len(autograd.conv2d(x, w).grad_fn._saved) == 2
