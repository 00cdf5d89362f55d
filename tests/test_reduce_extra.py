"""Reductions, sorting and scans beyond what the registry samples cover: zeros in prod /
cumprod, ties, nan, empty and 0-d inputs, result types, error messages, Tensor methods.

The registry tests (test_ops_registry.py, test_torch_parity.py) already check every
registered sample forward, by gradcheck / gradgradcheck and against torch.
"""

import sys

import numpy as np
import pytest

import autograd
from autograd import gradcheck, gradgradcheck


def t64(data, requires_grad=True):
    return autograd.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


def grad_of(fn, x):
    """d sum(w * fn(x)) / dx for fixed random weights w (exercises every output)."""
    out = fn(x)
    w = np.random.default_rng(3).standard_normal(out.shape)
    (g,) = autograd.grad((out * autograd.tensor(w)).sum(), [x])
    return g.numpy(), w


# ---- prod / cumprod with zeros -------------------------------------------------------------
ZERO_ROWS = np.array(
    [
        [1.5, 0.0, 2.0, -0.5],  # one zero
        [0.0, 0.0, 1.2, 0.7],  # two zeros
        [0.0, 0.3, 0.0, 0.0],  # three zeros
        [0.8, -1.1, 1.3, 0.9],
    ]
)  # none


def _prod_others_numpy(x):
    """d prod(x[i, :]) / d x[i, k] = product of the other elements, by brute force."""
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for k in range(x.shape[1]):
            out[i, k] = np.prod(np.delete(x[i], k))
    return out


def test_prod_gradient_with_zeros_is_exact():
    x = t64(ZERO_ROWS)
    autograd.prod(x, 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _prod_others_numpy(ZERO_ROWS), atol=1e-15)


def test_prod_all_elements_with_one_zero():
    x = t64([[2.0, 0.0], [3.0, 4.0]])
    x.prod().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 24.0], [0.0, 0.0]])


@pytest.mark.parametrize("dim", [0, 1, None])
def test_prod_with_zeros_second_order(dim):
    x = t64(ZERO_ROWS)
    f = (lambda a: a.prod()) if dim is None else (lambda a: a.prod(dim))
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_prod_third_order_with_two_zeros():
    # d^3 (a*b*c*d) / da db dc = d, also at a = b = 0
    x = t64([0.0, 0.0, 2.0, 3.0])
    (g,) = autograd.grad(x.prod(), [x], create_graph=True)
    (h,) = autograd.grad(g[0], [x], create_graph=True)
    (k,) = autograd.grad(h[1], [x])
    np.testing.assert_allclose(k.numpy(), [0.0, 0.0, 3.0, 2.0])


def test_cumprod_gradient_with_zeros_matches_finite_differences():
    x = t64(ZERO_ROWS)
    assert gradcheck(lambda a: a.cumprod(1), (x,))
    assert gradgradcheck(lambda a: a.cumprod(1), (x,))
    assert gradcheck(lambda a: a.cumprod(0), (x,))


def test_cumprod_zero_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    g, w = grad_of(lambda a: a.cumprod(1), t64(ZERO_ROWS))
    xt = torch.tensor(ZERO_ROWS, requires_grad=True)
    (xt.cumprod(1) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(g, xt.grad.numpy(), atol=1e-12)


# ---- dtypes of sum-like results -------------------------------------------------------------
def test_integer_and_bool_inputs_accumulate_in_int64():
    b = autograd.tensor([True, False, True])
    i = autograd.tensor([1, 2, 3], dtype=autograd.int32)
    assert b.sum().dtype == autograd.int64 and b.sum().item() == 2
    assert b.prod().dtype == autograd.int64 and b.prod().item() == 0
    assert i.prod().dtype == autograd.int64 and i.prod().item() == 6
    assert i.cumsum(0).dtype == autograd.int64
    assert i.cumprod(0).tolist() == [1, 2, 6]
    assert i.nansum().dtype == autograd.int64
    assert autograd.tensor([1.0, 2.0]).prod(dtype=autograd.float64).dtype == autograd.float64


def test_mean_var_norm_refuse_integers():
    i = autograd.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="mean"):
        i.mean()
    with pytest.raises(RuntimeError, match="var"):
        i.var()
    with pytest.raises(RuntimeError, match="floating point"):
        i.norm()


# ---- var / std ------------------------------------------------------------------------------
def test_var_std_correction_and_legacy_unbiased():
    data = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 9.0]])
    x = autograd.tensor(data)
    np.testing.assert_allclose(x.var().item(), np.var(data, ddof=1))
    np.testing.assert_allclose(x.var(unbiased=False).item(), np.var(data))
    np.testing.assert_allclose(x.var(False).item(), np.var(data))
    np.testing.assert_allclose(x.std(1, correction=0).numpy(), np.std(data, 1))
    np.testing.assert_allclose(
        x.std(dim=1, keepdim=True).numpy(), np.std(data, 1, ddof=1, keepdims=True)
    )
    v, m = autograd.var_mean(x, 0)
    np.testing.assert_allclose(v.numpy(), np.var(data, 0, ddof=1))
    np.testing.assert_allclose(m.numpy(), data.mean(0))
    s, m = x.std_mean(dim=(0, 1), keepdim=True)
    assert s.shape == (1, 1) and m.shape == (1, 1)
    with pytest.raises(RuntimeError, match="both"):
        x.var(unbiased=True, correction=1)


def test_var_of_one_element_is_nan_with_torchs_warning():
    x = t64([2.0])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert np.isnan(x.var().item()) and np.isnan(x.std().item())
    assert x.var(correction=0).item() == 0.0  # (no warning: RuntimeWarnings are errors here)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(autograd.tensor(np.zeros((0,))).var().item())


def test_var_std_gradients_match_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).normal(size=(3, 4))
    for fn in (
        lambda a: a.var(1),
        lambda a: a.std(0, correction=0),
        lambda a: a.std(dim=(0, 1)),
        lambda a: a.var(keepdim=True, dim=-1),
    ):
        g, w = grad_of(fn, t64(data))
        xt = torch.tensor(data, requires_grad=True)
        (fn(xt) * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-10)


# ---- max / min / amax / amin / argmax / aminmax -------------------------------------------
def test_max_returns_value_or_named_tuple():
    x = autograd.tensor([[1.0, 5.0, 2.0], [7.0, 2.0, 0.0]])
    assert x.max().item() == 7.0 and x.min().item() == 0.0
    r = x.max(dim=1)
    assert isinstance(r, tuple) and isinstance(r, autograd.return_types.max)
    values, indices = r
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert r.values is values and r.indices is indices and r[0] is values
    assert indices.dtype == autograd.int64
    assert "values=" in repr(r) and "indices=" in repr(r)
    r = autograd.min(x, -1, keepdim=True)
    assert r.values.shape == (2, 1) and r.indices.tolist() == [[0], [2]]
    r = autograd.max(autograd.tensor(3.0), 0)
    assert r.values.shape == () and r.indices.item() == 0


def test_binary_max_min_are_maximum_minimum():
    a, b = autograd.tensor([1.0, 5.0]), autograd.tensor([3.0, 2.0])
    assert autograd.max(a, b).tolist() == [3.0, 5.0]
    assert a.min(b).tolist() == [1.0, 2.0]


def test_ties_share_the_gradient_evenly_like_torch():
    data = np.array([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.5]])
    expect = {
        "amax1": [[0, 0.5, 0.5], [0, 0, 1]],
        "amin1": [[1, 0, 0], [0.5, 0.5, 0]],
        "max": [[0, 0.5, 0.5], [0, 0, 0]],
        "min": [[0, 0, 0], [0.5, 0.5, 0]],
    }
    for key, fn in {
        "amax1": lambda a: a.amax(1),
        "amin1": lambda a: a.amin(1),
        "max": lambda a: a.max(),
        "min": lambda a: a.min(),
    }.items():
        x = t64(data)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), expect[key], err_msg=key)
    x = t64([2.0, 1.0, 2.0, 2.0])
    x.median().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 0, 1 / 3, 1 / 3])


def test_max_with_dim_sends_gradient_to_the_index():
    x = t64([[1.0, 3.0, 3.0], [4.0, 2.0, 0.5]])
    x.max(dim=1).values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])  # first of the tie


def test_values_are_twice_differentiable():
    x = t64([[1.0, 3.0, 2.5], [4.0, 2.0, 0.5]])
    for fn in (
        lambda a: a.max(1).values ** 3,
        lambda a: a.sort(1).values ** 3,
        lambda a: a.topk(2).values ** 3,
        lambda a: a.median(0).values ** 3,
        lambda a: a.cummin(1).values ** 3,
        lambda a: a.amax(0) ** 3,
    ):
        assert gradgradcheck(fn, (x,))


def test_argmax_argmin():
    x = autograd.tensor([[1.0, 5.0, 2.0], [7.0, 2.0, 0.0]])
    assert x.argmax().item() == 3 and x.argmin().item() == 5
    assert x.argmax().dtype == autograd.int64
    assert x.argmax(1).tolist() == [1, 0]
    assert x.argmin(dim=0, keepdim=True).tolist() == [[0, 1, 1]]
    assert x.argmax(keepdim=True).shape == (1, 1)
    assert autograd.tensor(2.0).argmax(0).shape == ()


def test_aminmax_named_fields():
    x = autograd.tensor([[1.0, 5.0], [-7.0, 2.0]])
    r = autograd.aminmax(x)
    assert (r.min.item(), r.max.item()) == (-7.0, 5.0)
    lo, hi = x.aminmax(dim=0)
    assert lo.tolist() == [-7.0, 2.0] and hi.tolist() == [1.0, 5.0]
    assert autograd.aminmax(x, dim=1, keepdim=True).max.shape == (2, 1)


def test_reductions_of_empty_inputs_raise_torch_errors():
    e = autograd.zeros(0, 3)
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        e.max()
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero"):
        e.max(0)
    with pytest.raises(IndexError, match="amin"):
        e.amin(0)
    with pytest.raises(IndexError, match="argmax"):
        e.argmax()
    assert e.max(1).values.shape == (0,) and e.amax(1).shape == (0,)
    assert e.sum().item() == 0 and e.prod().item() == 1
    assert np.isnan(e.median().item())
    assert e.logsumexp(0).tolist() == [-np.inf] * 3
    assert e.all().item() is True and e.any().item() is False


def test_dim_errors():
    x = autograd.zeros(2, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.max(-3)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.amax((0, 0))
    with pytest.raises(TypeError):
        autograd.cumsum(x)


# ---- logsumexp ------------------------------------------------------------------------------
def test_logsumexp_is_stable():
    x = t64([[1000.0, 1000.0], [-1000.0, -1000.0], [-np.inf, 0.0]])
    out = x.logsumexp(1)
    np.testing.assert_allclose(out.detach().numpy(), [1000 + np.log(2), -1000 + np.log(2), 0.0])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0.5], [0.5, 0.5], [0, 1]])


def test_logsumexp_of_minus_inf_rows():
    torch = pytest.importorskip("torch")
    x = t64([[-np.inf, -np.inf], [1.0, 2.0]])
    out = x.logsumexp(1)
    assert out[0].item() == -np.inf
    out.sum().backward()
    xt = torch.tensor([[-np.inf, -np.inf], [1.0, 2.0]], requires_grad=True)
    xt.logsumexp(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())  # nan row, like torch
    assert autograd.tensor([1, 2]).logsumexp(0).dtype == autograd.float32


# ---- norm -----------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2, "fro", 1, 3, 0.5, float("inf"), -float("inf"), 0])
def test_norm_gradient_at_zero_is_zero_and_matches_torch(p):
    torch = pytest.importorskip("torch")
    data = np.array([[0.0, 0.0, 0.0], [1.5, -0.7, 0.0], [-2.0, 2.0, 1.0]])
    x = t64(data)
    out = x.norm(p, dim=1)
    out.sum().backward()
    xt = torch.tensor(data, requires_grad=True)
    ot = xt.norm(p, dim=1)
    ot.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ot.detach().numpy(), rtol=1e-12)
    expected = np.zeros_like(data) if xt.grad is None else xt.grad.numpy()  # p=0: no grad
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-10, atol=1e-12)
    assert np.all(x.grad.numpy()[0] == 0)


def test_norm_of_one_element_is_its_magnitude_without_overflow():
    # torch returns |x| when each norm covers one element: (1e30 ** 3) ** (1/3) would overflow
    # float32 to inf (so did triplet_margin_loss's distance to a 1-element vector)
    x = autograd.tensor([[1e30], [-3e30], [0.0]])
    for p in (2, 3, 0.5, -1):
        np.testing.assert_array_equal(x.norm(p, dim=1).numpy(), np.float32([1e30, 3e30, 0.0]))
    assert autograd.tensor([-1e-30]).norm(3).item() == pytest.approx(1e-30)  # no underflow
    assert x.norm(0, dim=1).tolist() == [1.0, 1.0, 0.0]  # p=0 still counts
    assert np.isinf(autograd.tensor([1e30, 1e30]).norm(3).item())  # as torch


def test_norm_forms():
    x = autograd.tensor([[3.0, -4.0], [0.0, 1.0]])
    assert x.norm().item() == pytest.approx(np.sqrt(26))
    assert x.norm(p=1).item() == 8.0
    assert x.norm(float("inf")).item() == 4.0
    assert x.norm(dim=1, keepdim=True).shape == (2, 1)
    assert autograd.norm(x, "fro", dim=(0, 1)).item() == pytest.approx(np.sqrt(26))
    with pytest.raises(RuntimeError, match="2-tuple"):
        autograd.zeros(2, 2, 2).norm("fro", dim=(0, 1, 2))
    # 'nuc' is a matrix norm: torch computes it over all dims, which must then be two
    assert x.norm("nuc").item() == pytest.approx(np.linalg.norm(x.numpy(), "nuc"))
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple. Got 0 1 2"):
        autograd.zeros(2, 2, 2).norm("nuc")
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple. Got 1"):
        autograd.zeros(2, 2, 2).norm("nuc", dim=1)
    with pytest.raises(RuntimeError, match="Order abc not supported"):
        x.norm("abc")


# ---- all / any / count_nonzero / nansum / nanmean --------------------------------------------
def test_boolean_reductions():
    x = autograd.tensor([[1.0, 0.0], [2.0, 3.0]])
    assert x.all().dtype == autograd.bool and x.all().item() is False
    assert x.any(dim=0).tolist() == [True, True]
    assert x.all(dim=1, keepdim=True).tolist() == [[False], [True]]
    assert x.all(dim=(0, 1)).item() is False
    assert x.count_nonzero().item() == 3 and x.count_nonzero().dtype == autograd.int64
    assert x.count_nonzero(dim=0).tolist() == [2, 1]
    assert autograd.count_nonzero(x, dim=(0, 1)).item() == 3


def test_nansum_nanmean():
    nan = float("nan")
    x = t64([[1.0, nan, 3.0], [nan, nan, nan]])
    assert x.nansum().item() == 4.0
    m = x.nanmean(1)
    assert m[0].item() == 2.0 and np.isnan(m[1].item())
    (m * autograd.tensor([1.0, 0.0])).nansum().backward()  # the nan row gets weight 0
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 0, 0.5], [0, 0, 0]])
    x.grad = None
    x.nansum(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 0, 1], [0, 0, 0]])


# ---- median / cummax / cummin ---------------------------------------------------------------
def test_median_lower_middle_and_nan():
    x = autograd.tensor([4.0, 1.0, 3.0, 2.0])
    assert x.median().item() == 2.0  # lower of the two middle values
    r = autograd.tensor([[1.0, float("nan"), 0.0], [3.0, 1.0, 2.0]]).median(1)
    assert np.isnan(r.values[0].item()) and r.indices.tolist() == [1, 2]
    assert isinstance(r, autograd.return_types.median)
    assert autograd.tensor(np.zeros((0, 3))).median(1).values.shape == (0,)


def test_cummax_cummin_ties_take_the_last_index():
    x = autograd.tensor([1.0, 1.0, 0.0, 2.0, 2.0])
    r = x.cummax(0)
    assert r.values.tolist() == [1, 1, 1, 2, 2] and r.indices.tolist() == [0, 1, 1, 3, 4]
    r = autograd.tensor([1.0, 1.0, 0.0, 2.0, 0.0]).cummin(0)
    assert r.values.tolist() == [1, 1, 0, 0, 0] and r.indices.tolist() == [0, 1, 2, 2, 4]


def test_cummax_cummin_nan_like_torch():
    nan = float("nan")
    for fn in ("cummax", "cummin"):
        r = getattr(autograd.tensor([2.0, 1.0, nan, nan, 5.0]), fn)(0)
        assert np.isnan(r.values.numpy()[2:]).all()
        assert r.indices.tolist() == [0, 0 if fn == "cummax" else 1, 2, 3, 3]


def test_cummax_gradient_accumulates_on_repeated_indices():
    x = t64([3.0, 1.0, 2.0, 5.0])
    x.cummax(0).values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 0, 0, 1])


def test_cummax_of_empty_and_0d():
    x = t64(np.zeros((0, 3)))
    r = x.cummax(1)
    assert r.values.shape == (0, 3) and r.indices.dtype == autograd.int64
    (g,) = autograd.grad(r.values.sum(), [x])
    assert g.shape == (0, 3)
    r = t64(2.0).cummin(0)
    assert r.values.item() == 2.0 and r.indices.item() == 0


# ---- sort / argsort / topk / diff -----------------------------------------------------------
def test_sort_is_stable_and_puts_nan_last():
    x = autograd.tensor([2.0, 1.0, 2.0, float("nan"), 1.0])
    r = x.sort()
    assert r.indices.tolist() == [1, 4, 0, 2, 3]
    r = x.sort(descending=True)
    assert r.indices.tolist() == [3, 0, 2, 1, 4]
    assert x.argsort(descending=True, stable=True).tolist() == [3, 0, 2, 1, 4]
    i = autograd.tensor([3, -1, 3, 0])
    assert i.sort(descending=True).indices.tolist() == [0, 2, 3, 1]
    b = autograd.tensor([False, True, False])
    assert b.sort(descending=True).indices.tolist() == [1, 0, 2]


def test_sort_gradient_goes_back_to_positions():
    x = t64([3.0, 1.0, 2.0])
    v = x.sort().values
    (v * autograd.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [100, 1, 10])


def test_topk():
    x = autograd.tensor([[1.0, 5.0, 3.0], [4.0, 0.0, 6.0]])
    r = x.topk(2)
    assert r.values.tolist() == [[5, 3], [6, 4]] and r.indices.tolist() == [[1, 2], [2, 0]]
    assert x.topk(1, dim=0, largest=False).indices.tolist() == [[0, 1, 0]]
    assert isinstance(r, autograd.return_types.topk)
    assert x.topk(0).values.shape == (2, 0)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(4)


def test_diff():
    x = t64([1.0, 4.0, 9.0, 16.0])
    assert x.diff().tolist() == [3, 5, 7]
    assert x.diff(2).tolist() == [2, 2]
    assert x.diff(n=5).shape == (0,)
    y = autograd.tensor([1.0, 2.0])
    assert y.diff(prepend=autograd.tensor([0.0]), append=autograd.tensor([5.0])).tolist() == [
        1,
        1,
        3,
    ]
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        autograd.tensor(1.0).diff()
    assert gradgradcheck(lambda a: a.diff(2) ** 2, (x,))


# ---- Tensor methods -------------------------------------------------------------------------
METHODS = (
    "sum mean prod var std max min amax amin argmax argmin logsumexp cumsum cumprod "
    "cummax cummin norm all any count_nonzero sort argsort topk median nansum nanmean "
    "aminmax std_mean var_mean diff"
).split()


@pytest.mark.parametrize("name", METHODS)
def test_tensor_method_resolves(name):
    x = autograd.tensor([[1.0, 3.0], [2.0, 0.5]])
    args = {
        "cumsum": (0,),
        "cumprod": (0,),
        "cummax": (0,),
        "cummin": (0,),
        "topk": (1,),
        "logsumexp": (1,),
    }.get(name, ())
    out = getattr(x, name)(*args)
    ref = getattr(autograd, name)(x, *args)
    for a, b in zip(
        out if isinstance(out, tuple) else (out,), ref if isinstance(ref, tuple) else (ref,)
    ):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_nanmedian_of_an_all_nan_slice_reports_torchs_index():
    torch = pytest.importorskip("torch")
    if sys.platform != "linux":
        pytest.skip("torch's index there comes from GCC's nth_element (its Linux builds)")
    for n in range(1, 40):
        ours = autograd.full((2, n), float("nan")).nanmedian(1).indices
        theirs = torch.full((2, n), float("nan")).nanmedian(1).indices
        assert ours.tolist() == theirs.tolist(), n


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, a: a.sum(dim=()),
        lambda lib, a: a.sum(dim=[], keepdim=True),
        lambda lib, a: a.sum((), dtype=lib.float32),
        lambda lib, a: a.mean(dim=()),
        lambda lib, a: a.nansum(dim=()),
        lambda lib, a: a.nanmean(dim=()),
        lambda lib, a: a.std(dim=()),
        lambda lib, a: a.var(dim=(), keepdim=True),
        lambda lib, a: lib.std_mean(a, dim=())[0],
        lambda lib, a: a.norm(dim=()),
        lambda lib, a: lib.linalg.vector_norm(a, dim=()),
        lambda lib, a: a.count_nonzero(dim=()),
        lambda lib, a: a.amax(dim=()),
        lambda lib, a: a.any(dim=()),  # (any/all keep every element: no dim to reduce)
    ],
)
def test_an_empty_dim_list_reduces_like_torch(call):
    # torch reads dim=() as "every dim" for the sum family; we returned the input unchanged
    torch = pytest.importorskip("torch")
    a = np.arange(6.0).reshape(2, 3)
    ours, theirs = call(autograd, autograd.tensor(a)), call(torch, torch.tensor(a))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert tuple(ours.shape) == tuple(theirs.shape)


def test_sum_over_an_empty_dim_list_has_the_gradient_of_a_full_sum():
    x = autograd.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x.mean(dim=()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 1 / 6))


def test_masked_select_of_a_0d_tensor_is_1d_like_torch():
    m = autograd.tensor(2.0, requires_grad=True)
    out = m.masked_select(m > 0)
    assert tuple(out.shape) == (1,) and out.tolist() == [2.0]
    out.sum().backward()
    assert m.grad.item() == 1.0
    assert m.masked_select(autograd.tensor([True, False])).tolist() == [2.0]


def test_integer_refusals_and_repeated_dims_are_named_like_torch():
    # the messages named NumPy-style types (Int64, Uint8) where torch says Long, Byte, and
    # a repeated dim as the whole tuple "dim (0, 0)" where torch names the dim
    torch = pytest.importorskip("torch")
    calls = [
        lambda lib: lib.tensor([1, 2]).mean(),
        lambda lib: lib.tensor([1, 2], dtype=lib.uint8).mean(0),
        lambda lib: lib.tensor([1, 2], dtype=lib.int8).nanmean(),
        lambda lib: lib.tensor([1, 2], dtype=lib.int32).norm(),
        lambda lib: lib.ones(2, 3).sum((0, -2)),
        lambda lib: lib.ones(2, 3).amax((1, -1)),
    ]
    for call in calls:
        messages = []
        for lib in (autograd, torch):
            with pytest.raises(RuntimeError) as e:
                call(lib)
            messages.append(str(e.value))
        assert messages[0] == messages[1]
