"""The distributions added after the first set (TransformedDistribution and the transforms,
LogNormal, HalfNormal, Gumbel, Cauchy, HalfCauchy, StudentT, Chi2, Weibull, Pareto, Binomial,
Geometric, NegativeBinomial, Multinomial, ...)
against torch.distributions: log_prob, cdf/icdf, entropy, moments, shapes, expand and their
gradients (float64, broadcast batches); rsample gradients against finite differences with the
noise held fixed; samplers by goodness-of-fit tests at fixed seeds; validation errors in
torch's words; the transforms' inverses, Jacobians and caches."""

import math

import numpy as np
import pytest

import autograd
import autograd.distributions as D
from sample_fit import N, assert_samples_fit, ks_pvalue
from torch_compare import same_error

F64 = autograd.float64
stats = pytest.importorskip("scipy.stats")

A = np.array([[0.7], [1.6]])  # shape (2, 1): broadcasts with the (3,) parameters below
B = np.array([0.4, 1.3, 2.2])


def _sub(mod, torch_module):
    """Where the logit-space relaxed bases live: torch keeps them in their modules."""
    return D.relaxed if mod is D else getattr(mod, torch_module)


def _tf(mod, p):
    """TransformedDistributions built from transforms (the same code for both libraries)."""
    return {
        "Tanh-Normal": lambda: mod.TransformedDistribution(
            mod.Normal(p("loc", A - 1.0), p("scale", B)), [mod.TanhTransform(cache_size=1)]
        ),
        "Logistic": lambda: mod.TransformedDistribution(
            mod.Uniform(0.0, 1.0).expand((3,)),
            [mod.SigmoidTransform().inv, mod.AffineTransform(p("loc", A), p("scale", B))],
        ),
        "Power-Exp": lambda: mod.TransformedDistribution(
            mod.Exponential(p("rate", B)), [mod.PowerTransform(p("exponent", A))]
        ),
        "Softmax-Normal": lambda: mod.TransformedDistribution(
            mod.Normal(p("loc", A - 1.0), p("scale", B)), [mod.SoftmaxTransform()]
        ),
        "Compose-Exp-Affine": lambda: mod.TransformedDistribution(
            mod.Normal(p("loc", A), 0.5),
            mod.ComposeTransform([mod.ExpTransform(), mod.AffineTransform(1.0, p("scale", B))]),
        ),
        "MixtureSameFamily": lambda: mod.MixtureSameFamily(
            mod.Categorical(probs=p("mix", np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]))),
            mod.Normal(p("loc", A - B), p("scale", B)),
        ),
        "MixtureSameFamily-vectors": lambda: mod.MixtureSameFamily(
            mod.Categorical(logits=p("mix", B)),
            mod.Independent(mod.Gamma(p("conc", A.T + B[:, None]), p("rate", B[:, None])), 1),
        ),
        "RelaxedBernoulli": lambda: mod.RelaxedBernoulli(
            p("t", np.array(0.7)), p("probs", B / 2.5)
        ),
        "RelaxedBernoulli-logits": lambda: mod.RelaxedBernoulli(
            p("t", np.array(1.5)), logits=p("logits", A - B)
        ),
        "LogitRelaxedBernoulli": lambda: _sub(mod, "relaxed_bernoulli").LogitRelaxedBernoulli(
            p("t", np.array(0.7)), p("probs", B / 2.5)
        ),
        "RelaxedOneHotCategorical": lambda: mod.RelaxedOneHotCategorical(
            p("t", np.array(0.6)), logits=p("logits", A - B)
        ),
        "ExpRelaxedCategorical": lambda: _sub(mod, "relaxed_categorical").ExpRelaxedCategorical(
            p("t", np.array(1.3)), probs=p("probs", np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]))
        ),
        "Affine-event": lambda: mod.TransformedDistribution(
            mod.Independent(mod.Normal(p("loc", A - 1.0), p("scale", B)), 1),
            [mod.AffineTransform(0.5, p("s", -B), event_dim=1)],
        ),
    }


# name -> constructor keyword arguments (float64 arrays; batch shape (2, 3) by broadcasting)
SPECS = {
    "LogNormal": {"loc": A - 1.0, "scale": B},
    "HalfNormal": {"scale": B},
    "Gumbel": {"loc": A, "scale": B},
    "Cauchy": {"loc": A, "scale": B},
    "HalfCauchy": {"scale": A * B},
    "StudentT": {"df": B + A, "loc": A, "scale": B},
    "StudentT-low-df": {"df": A * B, "loc": 0.3, "scale": A},
    "Chi2": {"df": A * B + 0.5},
    "Weibull": {"scale": A, "concentration": B + 0.3},
    "Pareto": {"scale": A, "alpha": B + 1.5},
    **{k: None for k in _tf(None, None)},
}
COUNTS = {
    "Binomial": {"total_count": np.array([[5.0], [12.0]]), "probs": np.array([0.2, 0.5, 0.9])},
    "Binomial-logits": {"total_count": 7, "logits": np.array([-1.2, 0.0, 2.0])},
    "Geometric": {"probs": np.array([[0.2], [0.5]]) + 0.4 * B / 2.2},
    "Geometric-logits": {"logits": np.array([-1.2, 0.0, 2.0])},
    "NegativeBinomial": {"total_count": 3 * A, "probs": np.array([0.2, 0.5, 0.7])},
    "NegativeBinomial-logits": {"total_count": B + 0.1, "logits": A - 1.0},
    "Multinomial": {"total_count": 6, "probs": np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])},
    "Multinomial-logits": {"total_count": 3, "logits": np.array([[0.2, -1.0, 0.0, 1.5]])},
}
SPECS.update(COUNTS)


def _make(key, lib, requires_grad=True, dtype=np.float64, given=None):
    """(distribution, {name: leaf parameter}) for torch (``lib == "torch"``) or for us;
    ``given`` maps parameter names to tensors to use instead of new leaves."""
    if lib == "torch":
        torch = pytest.importorskip("torch")
        mod, tensor = torch.distributions, torch.tensor
    else:
        mod, tensor = D, autograd.tensor
    params = {}

    def p(name, value):
        if not isinstance(value, np.ndarray):
            return value
        if given and name in given:
            params[name] = given[name]
        else:
            params[name] = tensor(value.astype(dtype), requires_grad=requires_grad)
        return params[name]

    if SPECS[key] is None:
        return _tf(mod, p)[key](), params
    kwargs = {k: p(k, v) for k, v in SPECS[key].items()}
    return getattr(mod, key.split("-")[0])(**kwargs), params


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(a, b, what, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, err_msg=what)


def _finite_sum(t):
    """The sum of ``t``'s finite entries (moments may be nan or inf)."""
    return t.nan_to_num(nan=0.0, posinf=0.0, neginf=0.0).sum()


def _both(fn_ours, fn_theirs):
    """Both results, or None when torch does not implement it (then neither may)."""
    try:
        theirs = fn_theirs()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            fn_ours()
        return None
    return fn_ours(), theirs


@pytest.mark.parametrize("key", sorted(SPECS))
def test_matches_torch(key):
    torch = pytest.importorskip("torch")
    ours, oparams = _make(key, "ours")
    theirs, tparams = _make(key, "torch")
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert ours.has_enumerate_support == theirs.has_enumerate_support
    assert type(ours.support).__name__ == type(theirs.support).__name__
    assert repr(ours) == repr(theirs).replace("torch.", "autograd.")
    torch.manual_seed(0)
    value = theirs.sample((4,))
    pair = _both(
        lambda: ours.log_prob(autograd.tensor(value.numpy())), lambda: theirs.log_prob(value)
    )
    total, ttotal = 0.0, 0.0
    if pair is not None:  # not for a transform without a Jacobian (softmax)
        _close(*pair, "log_prob")
        total, ttotal = pair[0].sum(), pair[1].sum()
    for prop in ("mean", "variance", "stddev", "mode"):
        pair = _both(lambda: getattr(ours, prop), lambda: getattr(theirs, prop))
        if pair is not None:
            _close(*pair, prop)
            total, ttotal = total + _finite_sum(pair[0]), ttotal + _finite_sum(pair[1])
    pair = _both(ours.entropy, theirs.entropy)
    if pair is not None:
        # torch's Multinomial entropy takes lgamma(n + 1) in float32 (n is an int tensor)
        _close(*pair, "entropy", rtol=1e-7 if key.startswith("Multinomial") else 1e-10)
        total, ttotal = total + pair[0].sum(), ttotal + pair[1].sum()
    q = torch.tensor([0.1, 0.5, 0.85], dtype=torch.float64).reshape(3, 1, 1)
    pair = _both(lambda: ours.icdf(autograd.tensor(q.numpy())), lambda: theirs.icdf(q))
    if pair is not None:
        _close(*pair, "icdf", rtol=1e-9)
        total, ttotal = total + _finite_sum(pair[0]), ttotal + _finite_sum(pair[1])
    pair = _both(lambda: ours.cdf(autograd.tensor(value.numpy())), lambda: theirs.cdf(value))
    if pair is not None:
        _close(*pair, "cdf")
        if key != "Chi2":  # the incomplete gamma function has no gradient in the shape
            total, ttotal = total + pair[0].sum(), ttotal + pair[1].sum()
    if theirs.has_enumerate_support:
        pair = _both(ours.enumerate_support, theirs.enumerate_support)
        if pair is not None:
            _close(*pair, "enumerate_support")
            _close(ours.enumerate_support(False), theirs.enumerate_support(False), "")
    if isinstance(total, float):
        return  # nothing differentiable to compare
    total.backward()
    ttotal.backward()
    for name, t in tparams.items():
        _close(oparams[name].grad, t.grad, f"d/d{name}", rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("key", sorted(SPECS))
def test_sample_shapes_dtypes_and_expand(key):
    autograd.manual_seed(0)
    for dtype in (np.float64, np.float32):
        d, _ = _make(key, "ours", requires_grad=False, dtype=dtype)
        s = d.sample((5,))
        assert s.shape == (5,) + tuple(d.batch_shape) + tuple(d.event_shape)
        assert s.dtype == autograd.tensor(np.zeros(1, dtype)).dtype and not s.requires_grad
        assert bool(d.support.check(s).all())
        if key == "Softmax-Normal":
            continue  # no log_prob (softmax is not a bijection), as in torch
        lp = d.log_prob(s)
        assert lp.shape == (5,) + tuple(d.batch_shape) and lp.dtype == s.dtype
        assert bool(autograd.isfinite(lp).all()), key
    d, params = _make(key, "ours")
    if d.has_rsample:
        r = d.rsample((3,))
        assert r.requires_grad and r.shape == (3,) + tuple(d.batch_shape) + tuple(d.event_shape)
    big = d.expand((4,) + tuple(d.batch_shape))
    assert type(big) is type(d)
    assert big.batch_shape == (4,) + tuple(d.batch_shape) and big.event_shape == d.event_shape
    if key != "Softmax-Normal":
        v = d.sample()
        _close(big.log_prob(v)[2], d.log_prob(v), "expanded log_prob")
    assert big.sample((2,)).shape == (2, 4) + tuple(d.batch_shape) + tuple(d.event_shape)


@pytest.mark.parametrize("key", sorted(SPECS))
def test_float32_agrees_with_float64(key):
    """The same distribution in float32: results stay float32 and agree to float32 precision."""
    d64, _ = _make(key, "ours", requires_grad=False)
    d32, _ = _make(key, "ours", requires_grad=False, dtype=np.float32)
    autograd.manual_seed(3)
    value = d64.sample((3,))
    checks = [
        ("log_prob", lambda d: d.log_prob(value.to(d.sample().dtype))),
        ("entropy", lambda d: d.entropy()),
        ("mean", lambda d: d.mean),
        ("variance", lambda d: d.variance),
    ]
    for what, fn in checks:
        try:
            r64 = fn(d64)
        except NotImplementedError:
            continue
        r32 = fn(d32)
        assert r32.dtype == autograd.float32, what
        np.testing.assert_allclose(r32.numpy(), r64.numpy(), rtol=2e-4, atol=2e-4, err_msg=what)


# ---- rsample gradients ---------------------------------------------------------------------------
GAMMA_BASED = {"StudentT", "StudentT-low-df", "Chi2"}  # implicit gradients: tested below


@pytest.mark.parametrize(
    "key", sorted(set(SPECS) - {"Chi2"} - set(COUNTS) - {k for k in SPECS if "Mixture" in k})
)
def test_rsample_gradients_match_finite_differences(key):
    """With the noise held fixed (the same seed), a reparameterised sample is a smooth
    function of the parameters: its gradient equals central finite differences."""
    _, params = _make(key, "ours")
    names = [n for n in params if not (key in GAMMA_BASED and n == "df")]

    def draw(*values):
        autograd.manual_seed(4)
        d, _ = _make(key, "ours", given=dict(zip(names, values)))
        return d.rsample((2,))

    assert autograd.gradcheck(draw, tuple(params[n] for n in names))


def _z_score(per_sample_grads, expected):
    g = per_sample_grads
    return abs(g.mean() - expected) / (g.std() / math.sqrt(len(g)))


def test_gamma_based_rsample_gradients_are_unbiased():
    # d E[x] / d df = 1 for Chi2(df); d E[x^2] / d df = -2 s^2 / (df - 2)^2 for StudentT(df, 0, s)
    autograd.manual_seed(12)
    n = 20000
    df = autograd.full((n,), 3.0, dtype=F64, requires_grad=True)
    D.Chi2(df).rsample().sum().backward()
    assert _z_score(df.grad.numpy(), 1.0) < 4
    df = autograd.full((n,), 9.0, dtype=F64, requires_grad=True)
    D.StudentT(df, 0.0, 1.5).rsample().pow(2).sum().backward()
    assert _z_score(df.grad.numpy(), -2 * 1.5**2 / 7**2) < 4


# ---- sampling: goodness of fit at fixed seeds ---------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_samples_fit_their_distribution(seed):
    autograd.manual_seed(seed)
    sp = stats
    tanh_cdf = lambda y: sp.norm(0.3, 1.2).cdf(np.arctanh(y))  # noqa: E731
    cases = [
        (D.LogNormal(0.3, 0.8), sp.lognorm(s=0.8, scale=math.exp(0.3)).cdf),
        (D.HalfNormal(1.7), sp.halfnorm(scale=1.7).cdf),
        (D.Gumbel(0.5, 2.0), sp.gumbel_r(0.5, 2.0).cdf),
        (D.Cauchy(-1.0, 0.5), sp.cauchy(-1.0, 0.5).cdf),
        (D.HalfCauchy(2.0), sp.halfcauchy(scale=2.0).cdf),
        (D.StudentT(2.5, 1.0, 3.0), sp.t(2.5, 1.0, 3.0).cdf),
        (D.StudentT(0.7), sp.t(0.7).cdf),
        (D.Chi2(3.0), sp.chi2(3.0).cdf),
        (D.Weibull(2.0, 0.7), sp.weibull_min(0.7, scale=2.0).cdf),
        (D.Pareto(1.5, 2.5), sp.pareto(2.5, scale=1.5).cdf),
        (
            D.TransformedDistribution(D.Normal(0.3, 1.2), D.TanhTransform()),
            tanh_cdf,
        ),
        (
            D.TransformedDistribution(
                D.Uniform(0.0, 1.0), [D.SigmoidTransform().inv, D.AffineTransform(1.0, 2.0)]
            ),
            sp.logistic(1.0, 2.0).cdf,
        ),
    ]
    t, p1 = 0.6, 0.3  # RelaxedBernoulli: P(Y <= y) = sigmoid(t logit(y) - logit(p1))
    relaxed_cdf = lambda y: 1 / (1 + np.exp(-(t * np.log(y / (1 - y)) - math.log(p1 / (1 - p1)))))  # noqa: E731
    cases.append((D.RelaxedBernoulli(autograd.tensor(t, dtype=F64), probs=p1), relaxed_cdf))
    assert_samples_fit(cases)
    # the test has power: the same samples against a slightly wrong distribution fail
    x = D.Gumbel(0.5, 2.0).sample((N,)).numpy()
    assert ks_pvalue(x, sp.gumbel_r(0.7, 2.0).cdf) < 1e-3


# ---- transforms ---------------------------------------------------------------------------------
def _transforms(mod, tensor):
    return {
        "exp": mod.ExpTransform(),
        "sigmoid": mod.SigmoidTransform(),
        "tanh": mod.TanhTransform(),
        "power": mod.PowerTransform(tensor([0.5, 2.0, -1.5])),
        "affine": mod.AffineTransform(tensor([1.0, -2.0, 0.5]), tensor([0.5, -3.0, 2.0])),
        "affine-number": mod.AffineTransform(1.0, -2.0),
        "exp-inv": mod.ExpTransform().inv,
        "compose": mod.ComposeTransform([mod.TanhTransform(), mod.AffineTransform(2.0, 3.0)]),
        "identity": mod.ComposeTransform([]),
        "softplus": mod.SoftplusTransform(),
        "independent-exp": mod.IndependentTransform(mod.ExpTransform(), 1),
    }


@pytest.mark.parametrize("name", sorted(_transforms(D, autograd.tensor)))
def test_transforms_match_torch_and_their_jacobians(name):
    torch = pytest.importorskip("torch")
    t = _transforms(D, lambda v: autograd.tensor(v, dtype=F64))[name]
    tt = _transforms(torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64))[name]
    assert repr(t) == repr(tt) and repr(t.inv) == repr(tt.inv)
    assert repr(t.domain) == repr(tt.domain) and repr(t.codomain) == repr(tt.codomain)
    assert t.bijective == tt.bijective
    _close(t.sign, tt.sign, "sign")
    raw = np.array([[0.3, 1.7, 0.8], [0.05, 2.5, 1.1]])
    if name == "exp-inv":
        raw = raw + 0.1  # inside the domain (positive)
    x = autograd.tensor(raw, dtype=F64, requires_grad=True)
    y, ty = t(x), tt(torch.tensor(raw))
    _close(y, ty, "forward")
    _close(t.inv(y.detach()), raw, "inverse", rtol=1e-9)
    ladj, tladj = t.log_abs_det_jacobian(x, y), tt.log_abs_det_jacobian(torch.tensor(raw), ty)
    _close(ladj, tladj, "log_abs_det_jacobian")
    # the Jacobian of an elementwise map is diagonal: log|dy/dx| from the graph
    (dy,) = autograd.grad(y.sum(), x)
    logdiag = np.log(np.abs(dy.numpy()))
    _close(ladj, logdiag.sum(-1) if name.startswith("independent") else logdiag, "", rtol=1e-9)
    assert t.forward_shape((2, 3)) == tuple(tt.forward_shape((2, 3)))
    assert t.inverse_shape((2, 3)) == tuple(tt.inverse_shape((2, 3)))


def test_transform_caches_equality_and_errors():
    torch = pytest.importorskip("torch")
    x = autograd.tensor([0.5, 40.0], dtype=F64)
    cached = D.TanhTransform(cache_size=1)
    y = cached(x)
    assert cached.inv(y) is x  # atanh(1.0) would be inf
    assert math.isinf(float(D.TanhTransform().inv(y)[1]))
    assert D.ComposeTransform([D.ExpTransform()], cache_size=1).parts[0]._cache_size == 1
    assert D.ExpTransform().with_cache(1)._cache_size == 1
    assert D.ExpTransform() == D.ExpTransform() and D.ExpTransform() != D.TanhTransform()
    assert D.ExpTransform().inv == D.ExpTransform().inv and D.ExpTransform().inv.inv is not None
    assert D.AffineTransform(1.0, 2.0) == D.AffineTransform(1.0, 2.0)
    assert D.AffineTransform(1.0, 2.0) != D.AffineTransform(1.0, 3.0)
    c = D.ComposeTransform([D.ExpTransform(), D.AffineTransform(0.0, 2.0)])
    assert c.inv.inv is c
    same_error(lambda: D.ExpTransform(cache_size=2), lambda: torch.distributions.ExpTransform(2))
    same_error(
        lambda: D.SoftmaxTransform().forward_shape(()),
        lambda: torch.distributions.SoftmaxTransform().forward_shape(()),
    )
    # a transform over vectors makes the last batch dimension part of the event
    s = D.TransformedDistribution(D.Normal(autograd.zeros(2, 3), 1.0), D.SoftmaxTransform())
    assert (s.batch_shape, s.event_shape) == ((2,), (3,))
    assert D.ComposeTransform([D.SoftmaxTransform(), D.ExpTransform()]).codomain.event_dim == 1


def test_tanh_policy_log_prob_of_saturated_samples():
    # SAC: a squashed Gaussian with a large mean gives samples that round to 1; the cached
    # transform scores them through the pre-tanh value, like torch
    torch = pytest.importorskip("torch")
    loc = np.array([0.2, 25.0])
    mu = autograd.tensor(loc, dtype=F64, requires_grad=True)
    d = D.TransformedDistribution(D.Normal(mu, 1.0), [D.TanhTransform(cache_size=1)])
    autograd.manual_seed(0)
    a = d.rsample()
    lp = d.log_prob(a)
    assert bool(autograd.isfinite(lp).all())
    td = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(torch.tensor(loc), 1.0),
        [torch.distributions.TanhTransform(cache_size=1)],
    )
    pre = torch.tensor(d.transforms[0]._cached_x_y[0].detach().numpy())  # the same x for torch
    ty = td.transforms[0](pre)
    _close(lp, td.log_prob(ty), "log_prob")
    lp.sum().backward()
    assert bool(autograd.isfinite(mu.grad).all())


# ---- validation errors --------------------------------------------------------------------------
def _error_cases(mod, lib):
    """Calls that must raise torch's errors (``mod``: the distributions, ``lib``: tensors)."""
    T = lib.tensor
    cat = lambda k: mod.Categorical(logits=lib.zeros(k))  # noqa: E731
    return [
        lambda: mod.LogNormal(T(0.0), T(-1.0)),
        lambda: mod.LogNormal(T(0.0), T(1.0)).log_prob(T(-1.0)),
        lambda: mod.HalfNormal(T([1.0, -1.0])),
        lambda: mod.HalfNormal(T(1.0)).log_prob(T(-0.5)),
        lambda: mod.Gumbel(T(0.0), T(0.0)),
        lambda: mod.Cauchy(T(0.0), T(-2.0)),
        lambda: mod.HalfCauchy(T(1.0)).log_prob(T([-1.0, 1.0])),
        lambda: mod.StudentT(T(-1.0)),
        lambda: mod.Chi2(T(0.0)),
        lambda: mod.Weibull(T(1.0), T(-1.0)),
        lambda: mod.Pareto(T(1.0), T(2.0)).log_prob(T(0.5)),
        lambda: mod.TransformedDistribution(mod.Normal(T(0.0), T(1.0)), 3),
        lambda: mod.TransformedDistribution(mod.Normal(T(0.0), T(1.0)), [3]),
        lambda: mod.TransformedDistribution(mod.Normal(T(0.0), T(1.0)), mod.SoftmaxTransform()),
        lambda: mod.Binomial(T(2.5), T(0.5)),
        lambda: mod.Binomial(T(3.0), T(0.5)).log_prob(T(4.0)),
        lambda: mod.Binomial(3, probs=T(0.5), logits=T(0.0)),
        lambda: mod.Geometric(T([0.0, 0.5])),
        lambda: mod.Geometric(T(0.5)).log_prob(T(1.5)),
        lambda: mod.NegativeBinomial(T(2.0), T(1.0)),
        lambda: mod.Multinomial(T(3.0), T([0.5, 0.5])),
        lambda: mod.Multinomial(3, T([-0.5, 1.5])),
        lambda: mod.Multinomial(3, T([0.5, 0.5])).log_prob(T([4.0, 0.0])),
        lambda: mod.MixtureSameFamily(mod.Normal(T(0.0), T(1.0)), mod.Normal(T(0.0), T(1.0))),
        lambda: mod.MixtureSameFamily(cat(2), 3),
        lambda: mod.MixtureSameFamily(cat(3), mod.Normal(lib.zeros(2), T(1.0))),
        lambda: mod.MixtureSameFamily(
            mod.Categorical(logits=lib.zeros(4, 2)), mod.Normal(lib.zeros(3, 2), T(1.0))
        ),
        lambda: mod.RelaxedBernoulli(T(0.5), probs=T(1.5)),
        lambda: mod.RelaxedOneHotCategorical(T(0.5), probs=T([0.5, -0.5, 1.0])),
    ]


@pytest.mark.parametrize("case", range(len(_error_cases(D, autograd))))
def test_validation_errors_as_torch(case):
    torch = pytest.importorskip("torch")
    same_error(
        lambda: _error_cases(D, autograd)[case](),
        lambda: _error_cases(torch.distributions, torch)[case](),
    )


def test_docstring_examples():
    import doctest

    import autograd.distributions.basic_transforms as bt
    import autograd.distributions.constraint_registry as cr
    import autograd.distributions.counts as c
    import autograd.distributions.event_transforms as et
    import autograd.distributions.heavy_tailed as h
    import autograd.distributions.mixture as m
    import autograd.distributions.relaxed as r
    import autograd.distributions.transformed as tr
    import autograd.distributions.transforms as t

    names = {n: getattr(D, n) for n in D.__all__}
    for mod in (bt, c, cr, et, h, tr, t, m, r):
        res = doctest.testmod(mod, extraglobs={"autograd": autograd, **names})
        assert res.failed == 0 and res.attempted > 0, mod.__name__


# ---- KL divergence ------------------------------------------------------------------------------
def _kl_cases(mod, p):
    """name -> (P, Q) built from leaves ``p(name, array)`` (batch shape (2, 3))."""
    normal = lambda: mod.Normal(p("n_loc", A - 0.5), p("n_scale", B + 0.2))  # noqa: E731
    gumbel = lambda: mod.Gumbel(p("g_loc", B - 1.0), p("g_scale", A))  # noqa: E731
    pareto = lambda s=A: mod.Pareto(p("p_scale", s), p("p_alpha", B + 1.5))  # noqa: E731
    expo = lambda: mod.Exponential(p("e_rate", B))  # noqa: E731
    gamma = lambda: mod.Gamma(p("ga_conc", A + 0.2), p("ga_rate", B))  # noqa: E731
    uniform = lambda: mod.Uniform(p("u_low", A + 0.1), p("u_high", A + B + 0.1))  # noqa: E731
    beta = lambda: mod.Beta(p("b_c1", A), p("b_c0", B))  # noqa: E731
    laplace = lambda: mod.Laplace(p("l_loc", A), p("l_scale", B))  # noqa: E731
    return {
        "Gumbel|Gumbel": lambda: (mod.Gumbel(p("loc", A), p("scale", B)), gumbel()),
        "HalfNormal|HalfNormal": lambda: (mod.HalfNormal(p("s", A)), mod.HalfNormal(p("t", B))),
        "Pareto|Pareto": lambda: (mod.Pareto(p("s", B), p("a", A + 1.0)), pareto()),
        "Cauchy|Cauchy": lambda: (mod.Cauchy(p("loc", A), p("scale", B)), mod.Cauchy(0.3, 1.2)),
        "LogNormal|LogNormal": lambda: (
            mod.LogNormal(p("loc", A), p("scale", B)),
            mod.LogNormal(0.5, 2.0),
        ),
        "Exponential|Gumbel": lambda: (expo(), gumbel()),
        "Gamma|Gumbel": lambda: (gamma(), gumbel()),
        "Gumbel|Normal": lambda: (gumbel(), normal()),
        "Normal|Gumbel": lambda: (normal(), gumbel()),
        "Uniform|Gumbel": lambda: (uniform(), gumbel()),
        "Pareto|Exponential": lambda: (mod.Pareto(p("s", A), p("a", B + 0.5)), expo()),
        "Pareto|Gamma": lambda: (mod.Pareto(p("s", A), p("a", B + 0.5)), gamma()),
        "Pareto|Normal": lambda: (mod.Pareto(p("s", A), p("a", B + 0.5)), normal()),
        "Uniform|Pareto": lambda: (uniform(), pareto(np.array([[0.5], [1.0]]))),
        "Gumbel|Beta": lambda: (gumbel(), beta()),
        "Gumbel|Pareto": lambda: (gumbel(), pareto()),
        "Normal|Pareto": lambda: (normal(), pareto()),
        "Laplace|Pareto": lambda: (laplace(), pareto()),
        "Exponential|Pareto": lambda: (expo(), pareto()),
        "Gamma|Pareto": lambda: (gamma(), pareto()),
        "Beta|Pareto": lambda: (beta(), pareto()),
        "Pareto|Uniform": lambda: (pareto(), uniform()),
        "Binomial|Binomial": lambda: (
            mod.Binomial(p("n", np.array([[5.0], [7.0]])), probs=p("p", B / 2.5)),
            mod.Binomial(5, logits=p("q", A - 1.0)),
        ),
        "Geometric|Geometric": lambda: (
            mod.Geometric(p("p", B / 2.5)),
            mod.Geometric(logits=p("q", A - 1.0)),
        ),
        "Poisson|Binomial": lambda: (mod.Poisson(p("rate", B)), mod.Binomial(5, p("q", A / 2))),
        "Tanh-Normal|Tanh-Normal": lambda: (
            mod.TransformedDistribution(normal(), mod.TanhTransform()),
            mod.TransformedDistribution(laplace(), mod.TanhTransform()),
        ),
    }


@pytest.mark.parametrize("pair", sorted(_kl_cases(D, None)))
def test_kl_matches_torch(pair):
    torch = pytest.importorskip("torch")
    kls, leaves = [], []
    for mod, tensor in ((D, autograd.tensor), (torch.distributions, torch.tensor)):
        params = {}

        def p(name, value, params=params, tensor=tensor):
            params[name] = tensor(np.asarray(value, np.float64), requires_grad=True)
            return params[name]

        P, Q = _kl_cases(mod, p)[pair]()
        kls.append(mod.kl_divergence(P, Q))
        leaves.append(params)
    kl, tkl = kls
    _close(kl, tkl, "kl", rtol=1e-9)
    finite = np.isfinite(tkl.detach().numpy())
    assert np.array_equal(np.isfinite(kl.detach().numpy()), finite)
    if finite.any():
        _finite_sum(kl).backward()
        _finite_sum(tkl).backward()
        for name, t in leaves[1].items():
            if t.grad is not None:
                _close(leaves[0][name].grad, t.grad, f"dKL/d{name}", rtol=1e-8, atol=1e-10)


def test_kl_of_transformed_distributions_needs_the_same_transforms():
    p = D.TransformedDistribution(D.Normal(0.0, 1.0), D.ExpTransform())
    q = D.TransformedDistribution(D.Normal(1.0, 1.0), D.TanhTransform())
    with pytest.raises(NotImplementedError):
        D.kl_divergence(p, q)
    # a shared bijection leaves the divergence unchanged
    q = D.TransformedDistribution(D.Normal(1.0, 1.0), D.ExpTransform())
    assert float(D.kl_divergence(p, q)) == pytest.approx(0.5)


def test_multinomial_entropy_is_exact():
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    ours = D.Multinomial(6, probs=autograd.tensor(probs)).entropy().numpy()
    exact = [stats.multinomial(6, p).entropy() for p in probs]
    np.testing.assert_allclose(ours, exact, rtol=1e-12)


def test_bernoulli_gradient_at_zero_logits():
    # regression: the softplus helper's max(x, 0) had gradient 1 at x = 0 (a clamp), so
    # d log_prob / d logits at logits = 0 was 0 instead of torch's 1/2
    torch = pytest.importorskip("torch")
    logits = autograd.tensor([0.0, 1.0], dtype=F64, requires_grad=True)
    D.Bernoulli(logits=logits).log_prob(autograd.tensor([1.0, 1.0], dtype=F64)).sum().backward()
    t = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    torch.distributions.Bernoulli(logits=t).log_prob(
        torch.ones(2, dtype=torch.float64)
    ).sum().backward()
    _close(logits.grad, t.grad, "d/dlogits")


def _chi2(counts, probs):
    return stats.chisquare(counts, probs * counts.sum() / probs.sum()).pvalue


def _binned(sample, pmf, bins):
    """Counts of 0 .. bins-2 and of the tail >= bins-1, with their probabilities."""
    k = np.minimum(np.asarray(sample).astype(int).ravel(), bins - 1)
    probs = pmf(np.arange(bins))
    probs[-1] = 1 - probs[:-1].sum()
    return np.bincount(k, minlength=bins), probs


@pytest.mark.parametrize("seed", [0, 1])
def test_count_samples_fit_their_distribution(seed):
    autograd.manual_seed(seed)
    sp = stats
    cases = [
        (D.Binomial(12, autograd.tensor(0.3)), sp.binom(12, 0.3).pmf, 9),
        (D.Binomial(5, logits=autograd.tensor(1.0)), sp.binom(5, 1 / (1 + math.exp(-1))).pmf, 6),
        (D.Geometric(autograd.tensor(0.35)), sp.geom(0.35, loc=-1).pmf, 8),
        (D.NegativeBinomial(2.5, autograd.tensor(0.4)), sp.nbinom(2.5, 0.6).pmf, 8),
        (
            D.NegativeBinomial(0.7, logits=autograd.tensor(0.5)),
            sp.nbinom(0.7, 1 / (1 + math.exp(0.5))).pmf,
            8,
        ),
    ]
    for d, pmf, bins in cases:
        counts, probs = _binned(d.sample((N,)).numpy(), pmf, bins)
        assert _chi2(counts, probs) > 1e-3, repr(d)
    # Multinomial: each count vector of n = 3 draws over 3 categories
    p = np.array([0.2, 0.5, 0.3])
    x = D.Multinomial(3, probs=autograd.tensor(p)).sample((N,)).numpy().astype(int)
    assert (x.sum(-1) == 3).all()
    vectors = [(a, b, 3 - a - b) for a in range(4) for b in range(4 - a)]
    counts = np.array([np.all(x == v, -1).sum() for v in vectors])
    probs = np.array([sp.multinomial(3, p).pmf(v) for v in vectors])
    assert _chi2(counts, probs) > 1e-3
    # power: the same Binomial draws against a slightly different p fail
    counts, probs = _binned(
        D.Binomial(12, autograd.tensor(0.3)).sample((N,)).numpy(), sp.binom(12, 0.33).pmf, 9
    )
    assert _chi2(counts, probs) < 1e-3
    # batched parameters are independent distributions, sample by sample
    b = D.Binomial(autograd.tensor([2.0, 20.0]), autograd.tensor([0.9, 0.1])).sample((N,)).numpy()
    assert abs(b[:, 0].mean() - 1.8) < 0.05 and abs(b[:, 1].mean() - 2.0) < 0.1


def test_mixture_and_gumbel_softmax_samples_fit():
    autograd.manual_seed(21)
    w, locs, scales = np.array([0.3, 0.7]), np.array([-1.0, 2.0]), np.array([0.5, 1.0])
    gmm = D.MixtureSameFamily(
        D.Categorical(probs=autograd.tensor(w)),
        D.Normal(autograd.tensor(locs), autograd.tensor(scales)),
    )
    cdf = lambda x: sum(wi * stats.norm(m, s).cdf(x) for wi, m, s in zip(w, locs, scales))  # noqa: E731
    assert ks_pvalue(gmm.sample((N,)).numpy(), cdf) > 1e-3
    assert ks_pvalue(gmm.sample((N,)).numpy(), stats.norm(1.1, 1.6).cdf) < 1e-3  # power
    # batched mixtures of vector components: each batch entry from its own mixture
    comp = D.Independent(D.Normal(autograd.tensor([[[0.0, 0.0], [10.0, 10.0]]] * 3), 1.0), 1)
    mix = D.Categorical(probs=autograd.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]))
    x = D.MixtureSameFamily(mix, comp).sample((N,)).numpy()
    assert x.shape == (N, 3, 2)
    np.testing.assert_allclose(x.mean(0), [[0, 0], [10, 10], [5, 5]], atol=0.5)
    # Gumbel-max: the argmax of a relaxed sample is Categorical(probs) at any temperature
    probs = np.array([0.2, 0.5, 0.05, 0.25])
    for temperature in (0.1, 2.0):
        d = D.RelaxedOneHotCategorical(autograd.tensor(temperature), probs=autograd.tensor(probs))
        s = d.sample((N,)).numpy()
        np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-5)
        assert _chi2(np.bincount(s.argmax(-1), minlength=4), probs) > 1e-3
    # low temperatures give nearly one-hot samples
    assert s.max(-1).mean() < 0.9
    d = D.RelaxedOneHotCategorical(autograd.tensor(0.05), probs=autograd.tensor(probs))
    assert d.sample((200,)).numpy().max(-1).mean() > 0.95


EVENT_TRANSFORMS = {
    "stick-breaking": (lambda m: m.StickBreakingTransform(), (2, 3)),
    "lower-cholesky": (lambda m: m.LowerCholeskyTransform(), (2, 3, 3)),
    "positive-definite": (lambda m: m.PositiveDefiniteTransform(), (2, 3, 3)),
    "reshape": (lambda m: m.ReshapeTransform((2, 3), (3, 2)), (4, 2, 3)),
    "independent-affine": (
        lambda m: m.IndependentTransform(m.AffineTransform(0.0, 2.0), 2),
        (4, 2, 3),
    ),
}


@pytest.mark.parametrize("name", sorted(EVENT_TRANSFORMS))
def test_event_transforms_match_torch(name):
    torch = pytest.importorskip("torch")
    make, shape = EVENT_TRANSFORMS[name]
    t, tt = make(D.transforms), make(torch.distributions.transforms)
    assert repr(t) == repr(tt) and repr(t.domain) == repr(tt.domain)
    assert repr(t.codomain) == repr(tt.codomain) and t.bijective == tt.bijective
    raw = np.random.default_rng(0).normal(size=shape)
    x = autograd.tensor(raw, dtype=F64, requires_grad=True)
    tx = torch.tensor(raw, requires_grad=True)
    y, ty = t(x), tt(tx)
    _close(y, ty, "forward")
    assert bool(t.codomain.check(y).all())
    _close(t.inv(y.detach()), tt.inv(ty.detach()), "inverse", rtol=1e-8)
    if t.bijective:  # the Cholesky ones drop the upper triangle
        _close(t.inv(y.detach()), raw, "round trip", rtol=1e-8)
    assert t.forward_shape(shape) == tuple(tt.forward_shape(shape))
    assert t.inverse_shape(tuple(y.shape)) == tuple(tt.inverse_shape(tuple(ty.shape)))
    w = np.random.default_rng(1).normal(size=tuple(y.shape))
    (y * autograd.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    _close(x.grad, tx.grad, "gradient")
    if not t.bijective:
        return  # torch defines no log-Jacobian for these
    ladj = t.log_abs_det_jacobian(x, y)
    _close(ladj, tt.log_abs_det_jacobian(tx, ty), "log_abs_det_jacobian")


def test_stick_breaking_log_jacobian_is_the_determinant():
    # y has one more entry than x; the density lives on the first K - 1 coordinates
    x0 = autograd.tensor([0.3, -1.2, 0.7], dtype=F64)
    t = D.StickBreakingTransform()
    jac = autograd.functional.jacobian(lambda x: t(x)[:-1], x0).numpy()
    expected = np.log(abs(np.linalg.det(jac)))
    _close(t.log_abs_det_jacobian(x0, t(x0)), expected, "log|det J|", rtol=1e-10)


def test_biject_to_and_transform_to():
    torch = pytest.importorskip("torch")
    C, TC = D.constraints, torch.distributions.constraints
    cases = [
        ("real", ()),
        ("positive", ()),
        ("nonnegative", ()),
        ("unit_interval", ()),
        ("simplex", ()),
        ("real_vector", ()),
        ("lower_cholesky", ()),
        ("positive_definite", ()),
        ("greater_than", (2.0,)),
        ("less_than", (1.0,)),
        ("interval", (-1.0, 3.0)),
        ("half_open_interval", (0.0, 2.0)),
    ]
    u = autograd.tensor(np.random.default_rng(2).normal(size=(2, 3, 3)), dtype=F64)
    for name, args in cases:
        c, tc = getattr(C, name), getattr(TC, name)
        if args:
            c, tc = c(*args), tc(*args)
        for registry in ("biject_to", "transform_to"):
            try:
                expected = repr(getattr(torch.distributions, registry)(tc))
            except NotImplementedError:
                with pytest.raises(NotImplementedError, match="Cannot transform"):
                    getattr(D, registry)(c)
                continue
            t = getattr(D, registry)(c)
            assert repr(t) == expected, (name, registry)
            y = t(u)
            assert bool(c.check(y).all()), (name, registry)
    with pytest.raises(TypeError, match="Expected constraint"):
        D.biject_to.register(int, lambda c: None)
