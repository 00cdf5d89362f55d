"""torch functions and Tensor methods beyond the op registry's samples (issue 16, item 8):
error messages for bad input in torch's wording, the factories and switches that are not
ops, and the Tensor methods whose signature is not their function's. The ops themselves
(values, gradients, both backends, torch parity) are checked by the registry-driven tests.
"""

import warnings

import numpy as np
import pytest

import autograd
from torch_compare import same_error

torch = pytest.importorskip("torch")


def _t(lib, data, **kw):
    return lib.tensor(data, **kw)


# each case: a call written once for both libraries; ours must raise torch's type and message
ERRORS = {
    "addmm-expand": lambda L: L.addmm(_t(L, [1.0, 2.0, 3.0]), L.ones(2, 3), L.ones(3, 4)),
    "addmm-dtype": lambda L: L.addmm(L.ones(2, 4, dtype=L.float64), L.ones(2, 3), L.ones(3, 4)),
    "addmm-matrix": lambda L: L.addmm(L.ones(2, 4), L.ones(3), L.ones(3, 4)),
    "addmv-size": lambda L: L.addmv(L.ones(3), L.ones(2, 3), L.ones(3)),
    "addr-1d": lambda L: L.addr(L.ones(2, 3), L.ones(2, 1), L.ones(3)),
    "addbmm-batches": lambda L: L.addbmm(L.ones(2, 4), L.ones(5, 2, 3), L.ones(4, 3, 4)),
    "baddbmm-3d": lambda L: L.baddbmm(L.ones(4), L.ones(2, 3), L.ones(4, 3, 4)),
    "rot90-dims": lambda L: L.rot90(L.ones(3, 2), 1, [0, 0]),
    "rot90-ndim": lambda L: L.rot90(L.ones(3), 1, [0, 1]),
    "repeat_interleave-size": lambda L: L.repeat_interleave(L.ones(3, 2), _t(L, [1, 2]), dim=0),
    "repeat_interleave-neg": lambda L: L.repeat_interleave(L.ones(3, 2), -1, dim=0),
    "repeat_interleave-output_size": lambda L: L.repeat_interleave(L.ones(3), 2, output_size=5),
    "block_diag-3d": lambda L: L.block_diag(L.ones(2, 3, 4)),
    "cartesian_prod-2d": lambda L: L.cartesian_prod(L.ones(2, 2)),
    "combinations-neg": lambda L: L.combinations(L.ones(4), r=-1),
    "diag_embed-same": lambda L: L.diag_embed(L.ones(2, 3), dim1=0, dim2=0),
    "hsplit-divisible": lambda L: L.hsplit(L.ones(4, 6), 4),
    "vsplit-ndim": lambda L: L.vsplit(L.ones(6), 2),
    "dsplit-ndim": lambda L: L.dsplit(L.ones(6, 2), 2),
    "split_with_sizes-sum": lambda L: L.split_with_sizes(L.ones(3, 2), [1, 1]),
    "gcd-number": lambda L: L.gcd(_t(L, [4]), 3),
    "frexp-int": lambda L: L.frexp(_t(L, [1, 2])),
    "heaviside-dtypes": lambda L: L.heaviside(_t(L, [1.0]), _t(L, 0.5, dtype=L.float64)),
    "mvlgamma-p": lambda L: L.mvlgamma(_t(L, [2.5]), 0),
    "positive-bool": lambda L: L.positive(_t(L, [True])),
    "kthvalue-k": lambda L: L.kthvalue(L.ones(2, 4), 5),
    "mode-empty": lambda L: L.mode(_t(L, [])),
    "quantile-q": lambda L: L.quantile(L.ones(3), 1.5),
    "quantile-int": lambda L: L.quantile(_t(L, [1, 2]), 0.5),
    "quantile-qdtype": lambda L: L.quantile(L.ones(3), _t(L, [0.5], dtype=L.float64)),
    "quantile-interpolation": lambda L: L.quantile(L.ones(3), 0.5, interpolation="foo"),
    "quantile-empty": lambda L: L.quantile(_t(L, []), 0.5),
    "cov-3d": lambda L: L.cov(L.ones(2, 3, 4)),
    "cov-fweights-float": lambda L: L.cov(L.ones(3, 5), fweights=L.ones(5)),
    "cov-fweights-numel": lambda L: L.cov(L.ones(3, 5), fweights=L.ones(4, dtype=L.int64)),
    "cov-aweights-negative": lambda L: L.cov(L.ones(3, 5), aweights=-L.ones(5)),
    "bincount-negative": lambda L: L.bincount(_t(L, [-1, 3])),
    "bincount-weights": lambda L: L.bincount(_t(L, [1, 2]), weights=_t(L, [1.0])),
    "histc-range": lambda L: L.histc(_t(L, [1.0, 2.0]), min=3, max=1),
    "histc-inf": lambda L: L.histc(_t(L, [1.0, float("inf")])),
    "histogram-bins": lambda L: L.histogram(_t(L, [1.0, 2.0]), bins=0),
    "bucketize-2d": lambda L: L.bucketize(L.ones(2, 3), L.ones(1, 2)),
    "searchsorted-side": lambda L: L.searchsorted(L.ones(3), L.ones(2), side="foo"),
    "searchsorted-shape": lambda L: L.searchsorted(L.ones(2, 2), L.ones(3, 1)),
    "trapezoid-x": lambda L: L.trapezoid(L.ones(3), _t(L, [0.0, 1.0])),
    "gradient-size": lambda L: L.gradient(_t(L, [1.0, 4.0]), edge_order=2),
    "gradient-order": lambda L: L.gradient(_t(L, [1.0, 4.0, 5.0]), edge_order=3),
    "index_reduce-reduce": lambda L: L.ones(3).index_reduce(0, _t(L, [0]), _t(L, [2.0]), "sum"),
    "index_reduce-count": lambda L: L.ones(3, 2).index_reduce(
        0, _t(L, [0, 2]), L.ones(3, 2), "prod"
    ),
    "select_scatter-size": lambda L: L.select_scatter(L.zeros(2, 2), L.ones(3), 0, 0),
    "masked_scatter-short": lambda L: L.zeros(2, 3).masked_scatter(L.ones(2, 3).bool(), L.ones(3)),
    "fill_diagonal_-dims": lambda L: L.zeros(2, 3, 2).fill_diagonal_(1),
    "unfold-size": lambda L: L.arange(7.0).unfold(0, 8, 1),
    "unfold-step": lambda L: L.arange(7.0).unfold(0, 3, 0),
    "resize-grad": lambda L: L.zeros(2, requires_grad=True).resize_(3),
    "is_nonzero-empty": lambda L: L.is_nonzero(_t(L, [])),
    "is_nonzero-many": lambda L: L.is_nonzero(_t(L, [1, 2])),
    "renorm-ndim": lambda L: L.renorm(L.ones(3), 2, 0, 1.0),
    "range-step": lambda L: L.range(1, 4, 0),
    "hann_window-negative": lambda L: L.hann_window(-1),
    "deterministic-mode": lambda L: L.set_deterministic_debug_mode("foo"),
    "as_strided-bounds": lambda L: L.as_strided(L.arange(9.0), (3, 3), (3, 3)),
}


# torch's '"<kernel>" not implemented for <dtype>' errors: ours say the same, then add the
# fix in parentheses (the library's DTypeError, a RuntimeError and a TypeError)
PREFIX_ERRORS = {
    "nextafter-int": lambda L: L.nextafter(_t(L, [1]), _t(L, [5])),
    "lshift-float": lambda L: L.bitwise_left_shift(_t(L, [1.0]), 3),
    "logcumsumexp-int": lambda L: L.logcumsumexp(_t(L, [1, 2]), 0),
    "logaddexp-int": lambda L: L.logaddexp(_t(L, [1]), _t(L, [2])),
    "gcd-float": lambda L: L.gcd(_t(L, [4.0]), _t(L, [6.0])),
    "bincount-float": lambda L: L.bincount(_t(L, [1.0, 2.0])),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_torch(case):
    same_error(lambda: ERRORS[case](autograd), lambda: ERRORS[case](torch))


@pytest.mark.parametrize("case", sorted(PREFIX_ERRORS))
def test_dtype_errors_start_with_torchs_message(case):
    with pytest.raises(Exception) as t:
        PREFIX_ERRORS[case](torch)
    with pytest.raises(autograd.DTypeError) as o:
        PREFIX_ERRORS[case](autograd)
    assert str(o.value).startswith(str(t.value)), (str(o.value), str(t.value))


# each case: the same call on both libraries gives the same values (and dtype)
VALUES = {
    "hann_window": lambda L: L.hann_window(5),
    "hann_window-symmetric": lambda L: L.hann_window(5, periodic=False, dtype=L.float64),
    "hamming_window": lambda L: L.hamming_window(6, False, 0.5, 0.5),
    "blackman_window": lambda L: L.blackman_window(7),
    "bartlett_window": lambda L: L.bartlett_window(6),
    "kaiser_window": lambda L: L.kaiser_window(5, False, 5.0),
    "window-short": lambda L: L.hann_window(1),
    "tril_indices": lambda L: L.tril_indices(3, 4, -1),
    "triu_indices": lambda L: L.triu_indices(4, 3, 1),
    "range": lambda L: L.range(4, 1, -0.5),
    "unfold": lambda L: L.arange(24.0).reshape(2, 3, 4).unfold(2, 2, 1),
    "unfold-0d": lambda L: L.tensor(5.0).unfold(0, 1, 1),
    "new-shape": lambda L: L.zeros(2, dtype=L.float64).new(2, 3).zero_(),
    "new-data": lambda L: L.zeros(2, dtype=L.int32).new([1, 2]),
    "resize_": lambda L: L.arange(6.0).resize_(2, 2),
    "resize_as_": lambda L: L.resize_as_(L.arange(4.0), L.zeros(2, 2)),
    "fill_diagonal_": lambda L: L.zeros(3, 4).fill_diagonal_(5.0),
    "fill_diagonal_-wrap": lambda L: L.zeros(7, 3).fill_diagonal_(2.0, wrap=True),
    "fill_diagonal_-3d": lambda L: L.zeros(2, 2, 2).fill_diagonal_(1.0),
    "zero_": lambda L: L.zero_(L.ones(3)),
    "byte": lambda L: L.tensor([1.7, -2.2, 300.0]).byte(),
    "char": lambda L: L.tensor([1.7, -2.2, 300.0]).char(),
    "short": lambda L: L.tensor([1.7, -2.2, 300.0]).short(),
    "lshift-op": lambda L: L.tensor([1, 2]) << 3,
    "rshift-op": lambda L: 64 >> L.tensor([1, 2]),
    "unique-dim": lambda L: L.unique(
        L.tensor([[1, 2], [1, 2], [0, 5]]), dim=0, return_inverse=True, return_counts=True
    ),
    "unique_consecutive-dim": lambda L: L.unique_consecutive(
        L.tensor([[1, 2], [1, 2], [0, 5]]), dim=0, return_counts=True
    ),
    "gradient-coordinates": lambda L: L.gradient(
        L.tensor([1.0, 4.0, 9.0, 16.0]), spacing=(L.tensor([0.0, 1.0, 3.0, 4.0]),)
    ),
    "gradient-coordinates-2": lambda L: L.gradient(
        L.tensor([[1.0, 4.0, 9.0, 16.0]]),
        dim=1,
        spacing=(L.tensor([0.0, 1.0, 3.0, 4.5]),),
        edge_order=2,
    ),
    "combinations-0": lambda L: L.combinations(L.tensor([1.0, 2.0]), r=0),
    "broadcast_shapes": lambda L: L.tensor(list(L.broadcast_shapes((2, 1), (3,), 1))),
    "histogram-edges": lambda L: L.histogram(
        L.tensor([1.0, 2.0, 1.0, 5.0]), bins=L.tensor([0.0, 1.5, 2.5, 6.0])
    ),
    # density of no data (or of weights summing to 0) is 0/0: nan bins, not NumPy's warning
    "histogramdd-density-empty": lambda L: L.histogramdd(L.zeros(0, 2), 2, density=True).hist,
    "histogram-density-zero-weight": lambda L: L.histogram(
        L.tensor([1.0, 2.0]), 2, density=True, weight=L.tensor([1.0, -1.0])
    ),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", sorted(VALUES))
def test_values_match_torch(case):
    ours, theirs = VALUES[case](autograd), VALUES[case](torch)
    ours = ours if isinstance(ours, (tuple, list)) else [ours]
    theirs = theirs if isinstance(theirs, (tuple, list)) else [theirs]
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


def test_unfold_and_gradient_with_coordinates_differentiate_like_torch():
    x = np.random.default_rng(0).normal(size=(3, 7))
    coords = np.cumsum(np.random.default_rng(1).uniform(0.2, 1.0, 7))
    ours = autograd.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    for o_out, t_out in (
        (ours.unfold(1, 3, 2), theirs.unfold(1, 3, 2)),
        (
            autograd.gradient(ours, spacing=(autograd.tensor(coords),), dim=1, edge_order=2)[0],
            torch.gradient(theirs, spacing=(torch.tensor(coords),), dim=1, edge_order=2)[0],
        ),
    ):
        w = np.random.default_rng(2).normal(size=tuple(t_out.shape))
        (g_o,) = autograd.grad((o_out * autograd.tensor(w)).sum(), ours)
        (g_t,) = torch.autograd.grad((t_out * torch.tensor(w)).sum(), theirs)
        np.testing.assert_allclose(o_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(g_o.numpy(), g_t.numpy(), rtol=1e-12)


def test_queries_and_switches_like_torch():
    for a in ("bool", "uint8", "int8", "int64", "float16", "float32", "float64"):
        assert (
            getattr(autograd, a if a != "bool" else "bool_").is_signed
            == getattr(torch, a).is_signed
        )
        for b in ("bool", "uint8", "int8", "int64", "float16", "float32", "float64"):
            ours = autograd.can_cast(autograd.dtypes.as_dtype(a), autograd.dtypes.as_dtype(b))
            assert ours == torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)
    x, t = autograd.zeros(4)[1:], torch.zeros(4)[1:]
    assert (x.itemsize, x.nbytes, x.storage_offset()) == (t.itemsize, t.nbytes, t.storage_offset())
    assert autograd.typename(autograd.zeros(2, dtype=autograd.int64)) == torch.typename(
        torch.zeros(2, dtype=torch.int64)
    )
    assert autograd.typename(3) == torch.typename(3)
    assert autograd.is_same_size(autograd.zeros(2), autograd.zeros(2))
    assert not autograd.zeros(2, dtype=autograd.uint8).is_signed()
    assert autograd.get_device(autograd.zeros(1)) == torch.get_device(torch.zeros(1)) == -1
    try:
        for mode in ("warn", 2, 0):
            autograd.set_deterministic_debug_mode(mode)
            torch.set_deterministic_debug_mode(mode)
            assert autograd.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
            assert (
                autograd.are_deterministic_algorithms_enabled()
                == torch.are_deterministic_algorithms_enabled()
            )
    finally:
        autograd.set_deterministic_debug_mode(0)
        torch.set_deterministic_debug_mode(0)
    autograd.set_warn_always(True)
    assert autograd.is_warn_always_enabled()
    autograd.set_warn_always(False)
    assert not autograd.is_inference_mode_enabled()
    with autograd.inference_mode():
        assert autograd.is_inference_mode_enabled() and not autograd.is_grad_enabled()
    for check_nan in (True, False):
        with autograd.detect_anomaly(check_nan=check_nan):
            ours = (autograd.is_anomaly_enabled(), autograd.is_anomaly_check_nan_enabled())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # ("Anomaly Detection has been enabled")
            with torch.autograd.detect_anomaly(check_nan=check_nan):
                theirs = (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
        assert ours == theirs == (True, check_nan)
    # (outside anomaly mode torch reports the nan check as on: it is the default setting)
    ours = (autograd.is_anomaly_enabled(), autograd.is_anomaly_check_nan_enabled())
    assert ours == (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        autograd.set_default_tensor_type("torch.DoubleTensor")
        assert autograd.get_default_dtype() == autograd.float64
        autograd.set_default_tensor_type(autograd.FloatTensor)
    assert autograd.get_default_dtype() == autograd.float32
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        autograd.range(3)


def test_inplace_variants_of_the_unary_table_and_aliases():
    x = autograd.tensor([0.5, 0.25])
    assert x.clone().arcsin_().tolist() == autograd.asin(x).tolist()
    leaf = autograd.tensor([0.5, 0.25], requires_grad=True)
    y = leaf * 1
    y.expm1_()
    (g,) = autograd.grad(y.sum(), leaf)
    np.testing.assert_allclose(g.numpy(), np.exp([0.5, 0.25]), rtol=1e-6)
