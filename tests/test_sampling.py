"""Sampling ops: distributions checked by goodness-of-fit tests at fixed seeds (chi-square for
discrete, Kolmogorov-Smirnov for continuous), argument checks and messages against torch,
reproducibility under manual_seed / Generator, and the gradients torch defines."""

import doctest

import numpy as np
import pytest
from scipy import stats

import autograd

N = 20_000
ALPHA = 1e-3  # a correct sampler fails a test at a given seed with this probability


def _gen(seed=0):
    return autograd.Generator().manual_seed(seed)


def _chi2(observed_counts, probs):
    probs = np.asarray(probs, float)
    expected = probs / probs.sum() * np.sum(observed_counts)
    keep = expected > 0
    assert np.all(np.asarray(observed_counts)[~keep] == 0), "a category of probability 0 was drawn"
    return stats.chisquare(np.asarray(observed_counts)[keep], expected[keep]).pvalue


def _ks(sample, cdf):
    return stats.kstest(np.asarray(sample, np.float64).ravel(), cdf).pvalue


# ---- multinomial -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [autograd.float32, autograd.float64])
def test_multinomial_with_replacement_fits(dtype):
    w = autograd.tensor([1.0, 0.0, 3.0, 6.0], dtype=dtype)
    s = autograd.multinomial(w, N, replacement=True, generator=_gen(1))
    assert s.dtype == autograd.int64 and s.shape == (N,)
    assert _chi2(np.bincount(s.numpy(), minlength=4), [0.1, 0.0, 0.3, 0.6]) > ALPHA


def test_multinomial_rows_are_separate_distributions():
    w = autograd.tensor([[1.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
    s = autograd.multinomial(w, N, replacement=True, generator=_gen(2)).numpy()
    assert s.shape == (2, N)
    assert _chi2(np.bincount(s[0], minlength=3), [0.25, 0.25, 0.5]) > ALPHA
    assert _chi2(np.bincount(s[1], minlength=3), [0.0, 0.5, 0.5]) > ALPHA


def test_multinomial_without_replacement_fits_sequential_draws():
    # P(first=i, second=j) = p_i * p_j / (1 - p_i): draws without replacement, one by one
    p = np.array([0.5, 0.3, 0.2])
    rows = autograd.tensor(np.tile(p, (N, 1)))
    s = autograd.multinomial(rows, 2, generator=_gen(3)).numpy()
    assert (s[:, 0] != s[:, 1]).all()
    pairs = [(i, j) for i in range(3) for j in range(3) if i != j]
    counts = [np.sum((s[:, 0] == i) & (s[:, 1] == j)) for i, j in pairs]
    assert _chi2(counts, [p[i] * p[j] / (1 - p[i]) for i, j in pairs]) > ALPHA


def test_multinomial_without_replacement_draws_zero_weights_last():
    s = autograd.multinomial(autograd.tensor([0.0, 1.0, 0.0, 2.0]), 4, generator=_gen(4))
    assert sorted(s[:2].tolist()) == [1, 3] and s[2:].tolist() == [0, 2]


def test_multinomial_samples_text_like_a_char_model():
    """The language-model idiom: softmax over logits, sample one next token at a time."""
    logits = autograd.tensor([2.0, 0.5, -1.0, 0.0])
    probs = autograd.softmax(logits, dim=-1)
    autograd.manual_seed(5)
    s = [autograd.multinomial(probs, num_samples=1).item() for _ in range(2000)]
    assert _chi2(np.bincount(s, minlength=4), probs.numpy().astype(float)) > ALPHA


# ---- bernoulli / poisson -------------------------------------------------------------------------
def test_bernoulli_fits_and_keeps_dtype():
    p = autograd.full((N,), 0.3, dtype=autograd.float64)
    s = autograd.bernoulli(p, generator=_gen(6))
    assert s.dtype == autograd.float64 and set(np.unique(s.numpy())) <= {0.0, 1.0}
    assert stats.binomtest(int(s.sum().item()), N, 0.3).pvalue > ALPHA
    assert autograd.bernoulli(autograd.tensor([0.0, 1.0] * 50)).tolist() == [0.0, 1.0] * 50
    s2 = autograd.bernoulli(autograd.zeros(N), 0.7, generator=_gen(7))
    assert stats.binomtest(int(s2.sum().item()), N, 0.7).pvalue > ALPHA


@pytest.mark.parametrize("rate", [0.5, 4.0, 30.0])
def test_poisson_fits(rate):
    s = autograd.poisson(autograd.full((N,), rate), generator=_gen(8)).numpy().astype(int)
    k = np.arange(s.max() + 1)
    probs = stats.poisson.pmf(k, rate)
    probs[-1] += stats.poisson.sf(k[-1], rate)  # fold the tail into the last bin
    counts = np.bincount(s, minlength=len(k))
    # pool bins with small expected counts (chi-square needs ~5 per bin)
    big = probs * N >= 5
    pooled_c = np.append(counts[big], counts[~big].sum())
    pooled_p = np.append(probs[big], probs[~big].sum())
    assert _chi2(pooled_c, pooled_p) > ALPHA


def test_bernoulli_and_poisson_pass_zero_gradients():
    p = autograd.full((5,), 0.5, requires_grad=True)
    (autograd.bernoulli(p) + autograd.poisson(p)).sum().backward()
    assert p.grad.tolist() == [0.0] * 5


# ---- normal: all overloads ----------------------------------------------------------------------
def test_normal_float_float_size():
    s = autograd.normal(2.0, 3.0, (N,), generator=_gen(9))
    assert s.dtype == autograd.float32 and s.shape == (N,)
    assert _ks(s.numpy(), stats.norm(2.0, 3.0).cdf) > ALPHA
    assert autograd.normal(0, 1, [2, 3], dtype=autograd.float64).dtype == autograd.float64
    assert autograd.normal(2, 3, size=(1, 4), requires_grad=True).requires_grad


def test_normal_tensor_overloads_broadcast_and_fit():
    mean = autograd.tensor([[-5.0], [5.0]])
    std = autograd.tensor([1.0, 2.0], dtype=autograd.float64)
    s = autograd.normal(mean.expand(2, N // 2).contiguous(), 2.0, generator=_gen(10))
    assert s.dtype == autograd.float32
    assert _ks(s[0].numpy(), stats.norm(-5, 2).cdf) > ALPHA
    assert _ks(s[1].numpy(), stats.norm(5, 2).cdf) > ALPHA
    s2 = autograd.normal(1.0, std.expand(N, 2).contiguous(), generator=_gen(11))
    assert s2.dtype == autograd.float64
    assert _ks(s2[:, 1].numpy(), stats.norm(1, 2).cdf) > ALPHA
    assert autograd.normal(mean, std).shape == (2, 2)  # broadcast
    assert autograd.normal(mean, std).dtype == autograd.float32  # mean's dtype, as torch


def test_normal_is_reparameterised():
    mean = autograd.tensor([0.0, 1.0], requires_grad=True)
    std = autograd.tensor([1.0, 2.0], requires_grad=True)
    out = autograd.normal(mean, std, generator=_gen(12))
    out.sum().backward()
    assert mean.grad.tolist() == [1.0, 1.0]
    np.testing.assert_allclose(std.grad.numpy(), ((out - mean) / std).detach().numpy(), rtol=1e-6)


# ---- in-place fills and *_like -------------------------------------------------------------------
CONTINUOUS = [
    ("uniform_", (-2.0, 3.0), stats.uniform(-2, 5).cdf),
    ("normal_", (1.0, 0.5), stats.norm(1, 0.5).cdf),
    ("exponential_", (2.0,), stats.expon(scale=0.5).cdf),
    ("cauchy_", (1.0, 2.0), stats.cauchy(1, 2).cdf),
    ("log_normal_", (0.5, 0.25), stats.lognorm(s=0.25, scale=np.exp(0.5)).cdf),
]


@pytest.mark.parametrize("name,args,cdf", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
@pytest.mark.parametrize("dtype", [autograd.float32, autograd.float64])
def test_continuous_fills_fit(name, args, cdf, dtype):
    x = autograd.empty(N, dtype=dtype)
    assert getattr(x, name)(*args, generator=_gen(13)) is x
    assert x.dtype == dtype
    assert _ks(x.numpy(), cdf) > ALPHA


def test_geometric_fill_fits():
    x = autograd.empty(N, dtype=autograd.int64).geometric_(0.3, generator=_gen(14)).numpy()
    assert x.min() >= 1
    k = np.arange(1, 16)
    probs = np.append(stats.geom.pmf(k, 0.3), stats.geom.sf(15, 0.3))
    counts = np.append(np.bincount(x, minlength=17)[1:16], np.sum(x > 15))
    assert _chi2(counts, probs) > ALPHA


@pytest.mark.parametrize(
    "dtype,args,support",
    [
        (autograd.int64, (7,), range(0, 7)),
        (autograd.int64, (-3, 4), range(-3, 4)),
        (autograd.float32, (2, 6), range(2, 6)),
        (autograd.uint8, (), range(0, 256)),
        (autograd.bool_, (), range(0, 2)),
        (autograd.int8, (), range(0, 128)),
    ],
)
def test_random_fill_is_uniform_on_its_range(dtype, args, support):
    x = autograd.empty(N, dtype=dtype).random_(*args, generator=_gen(15)).numpy().astype(np.int64)
    lo = support.start
    counts = np.bincount(x - lo, minlength=len(support))
    assert len(counts) == len(support)
    assert _chi2(counts, np.full(len(support), 1 / len(support))) > ALPHA


def test_random_fill_default_range_of_floats():
    x = autograd.empty(N).random_(generator=_gen(16)).numpy()
    assert x.min() >= 0 and x.max() <= 2**24 and np.all(x == np.round(x))
    assert _ks(x / 2**24, stats.uniform.cdf) > ALPHA


def test_bernoulli_fill_with_tensor_p():
    p = autograd.tensor([0.0, 0.25, 1.0])
    x = autograd.empty(N, 3).bernoulli_(p, generator=_gen(17)).numpy()
    assert (x[:, 0] == 0).all() and (x[:, 2] == 1).all()
    assert stats.binomtest(int(x[:, 1].sum()), N, 0.25).pvalue > ALPHA


def test_like_samplers_fit_and_keep_shape_dtype():
    ref = autograd.zeros(N, dtype=autograd.float64)
    u = autograd.rand_like(ref, generator=_gen(18))
    assert u.dtype == autograd.float64 and _ks(u.numpy(), stats.uniform.cdf) > ALPHA
    z = autograd.randn_like(ref, generator=_gen(19))
    assert _ks(z.numpy(), stats.norm.cdf) > ALPHA
    r = autograd.randint_like(ref, 2, 5, generator=_gen(20))
    assert r.dtype == autograd.float64
    assert _chi2(np.bincount(r.numpy().astype(int) - 2, minlength=3), [1 / 3] * 3) > ALPHA
    assert set(autograd.randint_like(autograd.zeros(50, dtype=autograd.int64), 3).tolist()) <= {
        0,
        1,
        2,
    }


def test_fills_on_a_leaf_follow_torch_in_place_rules():
    w = autograd.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.normal_()
    with autograd.no_grad():
        w.normal_()  # how nn.init writes into parameters
    h = (w * 1).uniform_()  # a non-leaf: the old value gets no gradient
    h.sum().backward()
    assert w.grad.tolist() == [0.0, 0.0, 0.0]


# ---- seeds and generators -----------------------------------------------------------------------
SAMPLERS = [
    lambda g: autograd.multinomial(autograd.ones(10), 5, generator=g),
    lambda g: autograd.multinomial(autograd.ones(10), 5, True, generator=g),
    lambda g: autograd.bernoulli(autograd.full((8,), 0.5), generator=g),
    lambda g: autograd.poisson(autograd.full((8,), 3.0), generator=g),
    lambda g: autograd.normal(0.0, 1.0, (8,), generator=g),
    lambda g: autograd.normal(autograd.zeros(8), 1.0, generator=g),
    lambda g: autograd.empty(8).uniform_(generator=g),
    lambda g: autograd.empty(8).exponential_(generator=g),
    lambda g: autograd.empty(8).geometric_(0.5, generator=g),
    lambda g: autograd.empty(8).cauchy_(generator=g),
    lambda g: autograd.empty(8).log_normal_(generator=g),
    lambda g: autograd.empty(8).random_(100, generator=g),
    lambda g: autograd.empty(8).bernoulli_(0.5, generator=g),
    lambda g: autograd.rand_like(autograd.zeros(8), generator=g),
    lambda g: autograd.randint_like(autograd.zeros(8), 100, generator=g),
]


@pytest.mark.parametrize("i", range(len(SAMPLERS)))
def test_same_seed_same_samples(i):
    draw = SAMPLERS[i]
    assert draw(_gen(21)).tolist() == draw(_gen(21)).tolist()
    assert draw(_gen(21)).tolist() != draw(_gen(22)).tolist()
    autograd.manual_seed(23)
    a = draw(None).tolist()
    autograd.manual_seed(23)
    assert draw(None).tolist() == a


# ---- argument checks: torch's exception types and messages --------------------------------------
ERRORS = [
    "torch.multinomial(torch.tensor([1., 2, 3]), 5)",
    "torch.multinomial(torch.tensor([1, 2, 3]), 2)",
    "torch.multinomial(torch.zeros(2, 2, 2), 1)",
    "torch.multinomial(torch.tensor([1., 2]), 0)",
    "torch.multinomial(torch.tensor([0., 0, 0]), 1)",
    "torch.multinomial(torch.tensor([1., -1, 0]), 1)",
    "torch.multinomial(torch.tensor([1., float('nan')]), 1)",
    "torch.multinomial(torch.tensor([1., float('inf')]), 1)",
    "torch.multinomial(torch.tensor([[1., 0, 0], [0, 0, 0]]), 1)",
    "torch.multinomial(torch.tensor(1.), 1)",
    "torch.multinomial(torch.tensor([1., 2]), 1.5)",
    "torch.multinomial(torch.ones(2**24 + 1), 1)",
    "torch.bernoulli(torch.tensor([0.5, 2.0]))",
    "torch.bernoulli(torch.tensor([0.5, float('nan')]))",
    "torch.bernoulli(torch.tensor([1, 0]))",
    "torch.bernoulli(torch.tensor([0.5]), p=2.)",
    "torch.zeros(3).bernoulli_(1.5)",
    "torch.zeros(3).bernoulli_(torch.tensor([0., 2, 1]))",
    "torch.zeros(3).bernoulli_(torch.tensor([1., 1]))",
    "torch.zeros(3).bernoulli_(torch.tensor([1, 1, 1]))",
    "torch.poisson(torch.tensor([-1., 2.]))",
    "torch.poisson(torch.tensor([1, 2]))",
    "torch.poisson(torch.tensor([float('nan')]))",
    "torch.normal(torch.zeros(3), torch.ones(2))",
    "torch.normal(0., -1., (2,))",
    "torch.normal(torch.zeros(3), -1.)",
    "torch.normal(torch.zeros(3), torch.tensor([1., -1, 1]))",
    "torch.normal(0., 1.)",
    "torch.normal(0, 1, 3)",
    "torch.normal(torch.zeros(3), 1., (3,))",
    "torch.normal(torch.zeros(3, dtype=torch.long), 1.)",
    "torch.normal(0., float('nan'), (2,))",
    "torch.zeros(3).uniform_(2, 1)",
    "torch.zeros(3, dtype=torch.long).uniform_()",
    "torch.zeros(3, dtype=torch.bool).uniform_()",
    "torch.zeros(3).uniform_(0, 1e39)",
    "torch.zeros(3).normal_(0, -1)",
    "torch.zeros(3, dtype=torch.long).normal_()",
    "torch.zeros(3).exponential_(-1)",
    "torch.zeros(3).exponential_(0)",
    "torch.zeros(3, dtype=torch.long).exponential_()",
    "torch.zeros(3).geometric_(0)",
    "torch.zeros(3).geometric_(1.5)",
    "torch.zeros(3).geometric_(1)",
    "torch.zeros(3, dtype=torch.bool).geometric_(0.5)",
    "torch.zeros(3).cauchy_(0, -1)",
    "torch.zeros(3, dtype=torch.long).cauchy_()",
    "torch.zeros(3).log_normal_(1, -1)",
    "torch.zeros(3).log_normal_(1, 0)",
    "torch.zeros(3, dtype=torch.long).log_normal_()",
    "torch.zeros(3).random_(5, 2)",
    "torch.zeros(3).random_(0)",
    "torch.zeros(3, dtype=torch.uint8).random_(300)",
    "torch.zeros(3, dtype=torch.uint8).random_(-1, 5)",
    "torch.zeros(3, dtype=torch.int8).random_(-200, 0)",
    "torch.zeros(3).random_(0.5, 3)",
    "torch.zeros(3, requires_grad=True).normal_()",
    "torch.rand_like(torch.zeros(3, dtype=torch.long))",
    "torch.randn_like(torch.zeros(3, dtype=torch.long))",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_as_torch(expr):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as want:
        eval(expr, {"torch": torch})
    with pytest.raises(Exception) as got:
        eval(expr, {"torch": autograd})
    assert isinstance(got.value, want.type), (got.value, want.value)
    w = str(want.value).split("  (Could this error")[0].split(", but expected one of")[0]
    if want.type is TypeError and "random_" in w:
        return  # torch lists its overloads; ours says the arguments must be ints
    assert str(got.value).startswith(w.replace("torch.", "autograd.")), (str(got.value), w)


def test_docstring_examples():
    from autograd.ops import sampling

    res = doctest.testmod(sampling, extraglobs={"autograd": autograd}, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0


def test_tensor_methods():
    probs = autograd.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert probs.multinomial(1).tolist() == [[1], [0]]
    assert probs.bernoulli().tolist() == probs.tolist()
    assert autograd.zeros(4).bernoulli(1.0).tolist() == [1.0] * 4
    x = autograd.empty(500)
    for fill in (
        x.geometric_(0.5),
        x.cauchy_(),
        x.log_normal_(),
        x.random_(to=3),
        x.uniform_(to=2.0),
        x.exponential_(),
        x.normal_(std=2.0),
    ):
        assert fill is x
    assert set(x.random_(2, 4).tolist()) == {2.0, 3.0}


def test_randint_1d_draws_the_same_numbers_as_the_tuple_path():
    # a 1-D size takes NumPy's int-size path: the stream must equal the general (tuple) path's
    autograd.manual_seed(7)
    flat = autograd.randint(-5, 1000, (40,))
    autograd.manual_seed(7)
    rows = autograd.randint(-5, 1000, (1, 40))
    assert flat.shape == (40,) and flat.dtype == autograd.int64
    assert flat.tolist() == rows[0].tolist()


def test_randint_plain_int_size_matches_the_general_size_parsing():
    # (n,) with a plain int skips the size parsing; every other spelling of the same size
    # (parsed in full) must draw the same numbers, dtype and all, and bad sizes still raise
    draws = []
    for size in ((40,), [40], (np.int64(40),), autograd.Size([40]), (autograd.tensor(40),)):
        autograd.manual_seed(3)
        draws.append(autograd.randint(2, 900, size, dtype=autograd.int32))
    assert all(d.dtype == autograd.int32 and d.shape == (40,) for d in draws)
    assert all(d.tolist() == draws[0].tolist() for d in draws)
    assert autograd.randint(5, (0,)).shape == (0,)
    with pytest.raises(RuntimeError, match=r"negative dimension -1: \[-1\]"):
        autograd.randint(5, (-1,))
    with pytest.raises(TypeError, match="size must be a sequence of ints"):
        autograd.randint(5, (2.0,))
