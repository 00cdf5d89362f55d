"""Layers: PyTorch parity (outputs and parameter gradients, float64 and float32), gradchecks
(first and second order), layer-specific behaviour (BatchNorm running stats, Dropout
reproducibility, Embedding padding) and functional extras (pad, interpolate, distances)."""

import math

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F

# (name, our factory, torch factory, input shapes, forward kwargs)
LAYERS = [
    ("Linear", lambda: nn.Linear(5, 3), lambda t: t.nn.Linear(5, 3), [(4, 5)]),
    (
        "Linear_nobias_3d",
        lambda: nn.Linear(5, 3, bias=False),
        lambda t: t.nn.Linear(5, 3, bias=False),
        [(2, 4, 5)],
    ),
    ("Bilinear", lambda: nn.Bilinear(3, 4, 2), lambda t: t.nn.Bilinear(3, 4, 2), [(3, 3), (3, 4)]),
    ("Identity", lambda: nn.Identity(), lambda t: t.nn.Identity(), [(3, 2)]),
    ("Flatten", lambda: nn.Flatten(), lambda t: t.nn.Flatten(), [(2, 3, 4)]),
    ("Unflatten", lambda: nn.Unflatten(1, (3, 4)), lambda t: t.nn.Unflatten(1, (3, 4)), [(2, 12)]),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3), lambda t: t.nn.BatchNorm1d(3), [(6, 3)]),
    ("BatchNorm1d_3d", lambda: nn.BatchNorm1d(3), lambda t: t.nn.BatchNorm1d(3), [(3, 3, 2)]),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(2), lambda t: t.nn.BatchNorm2d(2), [(2, 2, 2, 3)]),
    (
        "BatchNorm1d_momentum_none",
        lambda: nn.BatchNorm1d(3, momentum=None),
        lambda t: t.nn.BatchNorm1d(3, momentum=None),
        [(6, 3)],
    ),
    ("LayerNorm", lambda: nn.LayerNorm(4), lambda t: t.nn.LayerNorm(4), [(3, 4)]),
    ("LayerNorm_2d", lambda: nn.LayerNorm((3, 4)), lambda t: t.nn.LayerNorm((3, 4)), [(2, 3, 4)]),
    ("GroupNorm", lambda: nn.GroupNorm(2, 4), lambda t: t.nn.GroupNorm(2, 4), [(2, 4, 3)]),
    ("RMSNorm", lambda: nn.RMSNorm(4), lambda t: t.nn.RMSNorm(4), [(3, 4)]),
    (
        "RMSNorm_eps",
        lambda: nn.RMSNorm((2, 4), eps=1e-3),
        lambda t: t.nn.RMSNorm((2, 4), eps=1e-3),
        [(3, 2, 4)],
    ),
    ("ReLU", lambda: nn.ReLU(), lambda t: t.nn.ReLU(), [(3, 4)]),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2), [(3, 4)]),
    ("ELU", lambda: nn.ELU(0.7), lambda t: t.nn.ELU(0.7), [(3, 4)]),
    ("SELU", lambda: nn.SELU(), lambda t: t.nn.SELU(), [(3, 4)]),
    ("GELU", lambda: nn.GELU(), lambda t: t.nn.GELU(), [(3, 4)]),
    ("GELU_tanh", lambda: nn.GELU("tanh"), lambda t: t.nn.GELU("tanh"), [(3, 4)]),
    ("SiLU", lambda: nn.SiLU(), lambda t: t.nn.SiLU(), [(3, 4)]),
    ("Mish", lambda: nn.Mish(), lambda t: t.nn.Mish(), [(3, 4)]),
    ("Sigmoid", lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid(), [(3, 4)]),
    ("Tanh", lambda: nn.Tanh(), lambda t: t.nn.Tanh(), [(3, 4)]),
    (
        "Softplus",
        lambda: nn.Softplus(beta=2.0, threshold=5.0),
        lambda t: t.nn.Softplus(beta=2.0, threshold=5.0),
        [(3, 4)],
    ),
    ("Softmax", lambda: nn.Softmax(dim=1), lambda t: t.nn.Softmax(dim=1), [(3, 4)]),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=-1), lambda t: t.nn.LogSoftmax(dim=-1), [(3, 4)]),
    ("Hardtanh", lambda: nn.Hardtanh(-0.5, 0.5), lambda t: t.nn.Hardtanh(-0.5, 0.5), [(3, 4)]),
    (
        "Sequential",
        lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.LayerNorm(4), nn.Linear(4, 2)),
        lambda t: t.nn.Sequential(
            t.nn.Linear(3, 4), t.nn.Tanh(), t.nn.LayerNorm(4), t.nn.Linear(4, 2)
        ),
        [(3, 3)],
    ),
]


def _inputs(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    # keep away from activation kinks (ReLU at 0, Hardtanh at +-0.5) for finite differences
    out = []
    for s in shapes:
        x = rng.normal(size=s)
        x = np.where(np.abs(x) < 0.05, 0.3, x)
        x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, 0.7, x)
        out.append(x.astype(dtype))
    return out


def _copy_params_from_torch(ours, theirs):
    """Copy torch's state into ours by state_dict key (also proves the keys match)."""
    sd = {k: autograd.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(sd)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,ours_f,torch_f,shapes", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_matches_torch(name, ours_f, torch_f, shapes, dtype):
    torch = pytest.importorskip("torch")
    theirs = torch_f(torch)
    ours = ours_f()
    tdt = getattr(torch, dtype)
    theirs.to(tdt)
    ours.to(getattr(autograd, dtype))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_params_from_torch(ours, theirs)
    xs = _inputs(shapes, dtype)
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    ax = [autograd.tensor(x, requires_grad=True) for x in xs]
    tout = theirs(*tx)
    aout = ours(*ax)
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(aout.detach().numpy(), tout.detach().numpy(), **tol)
    assert aout.dtype == getattr(autograd, dtype)
    g = np.random.default_rng(1).normal(size=tout.shape).astype(dtype)
    tout.backward(torch.tensor(g))
    aout.backward(autograd.tensor(g))
    for (k, tp), (k2, ap) in zip(theirs.named_parameters(), ours.named_parameters()):
        assert k == k2
        np.testing.assert_allclose(ap.grad.numpy(), tp.grad.numpy(), err_msg=k, **tol)
    for t, a in zip(tx, ax):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), **tol)
    # buffers (running statistics) updated identically
    for (k, tb), (_, ab) in zip(theirs.named_buffers(), ours.named_buffers()):
        np.testing.assert_allclose(ab.numpy(), tb.numpy(), err_msg=k, **tol)
    # eval mode (BatchNorm uses running statistics)
    theirs.eval()
    ours.eval()
    np.testing.assert_allclose(ours(*ax).detach().numpy(), theirs(*tx).detach().numpy(), **tol)


@pytest.mark.parametrize("name,ours_f,torch_f,shapes", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_gradcheck(name, ours_f, torch_f, shapes):
    layer = ours_f().double()
    params = [p for p in layer.parameters()]
    xs = [autograd.tensor(x, requires_grad=True) for x in _inputs(shapes, "float64")]
    n = len(xs)

    def f(*args):
        # parameters are passed as inputs so their gradients are checked too
        with_params = dict(zip([k for k, _ in layer.named_parameters()], args[n:]))
        for k, v in with_params.items():
            mod_path, _, leaf = k.rpartition(".")
            layer.get_submodule(mod_path)._parameters[leaf] = v
        return layer(*args[:n])

    inputs = xs + [nn.Parameter(autograd.tensor(p.detach().numpy().copy())) for p in params]
    assert autograd.gradcheck(f, tuple(inputs))
    assert autograd.gradgradcheck(f, tuple(inputs))


def test_default_init_statistics_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for ours, theirs in [
        (nn.Linear(400, 300), torch.nn.Linear(400, 300)),
        (nn.Bilinear(30, 20, 200), torch.nn.Bilinear(30, 20, 200)),
        (nn.Embedding(300, 200), torch.nn.Embedding(300, 200)),
    ]:
        for (k, a), (_, t) in zip(ours.named_parameters(), theirs.named_parameters()):
            a, t = a.detach().numpy(), t.detach().numpy()
            assert a.shape == t.shape and a.dtype == t.dtype
            # same distribution: same range and matching moments
            assert abs(a.std() - t.std()) < 0.05 * t.std(), k
            assert abs(a.mean() - t.mean()) < 6 * t.std() / np.sqrt(a.size), k
            assert abs(np.abs(a).max() - np.abs(t).max()) < 0.1 * np.abs(t).max(), k
    assert np.allclose(nn.BatchNorm2d(3).weight.detach().numpy(), 1)
    assert np.allclose(nn.LayerNorm(3).bias.detach().numpy(), 0)


def test_linear_init_bounds_exact():
    lin = nn.Linear(16, 2000)
    w = lin.weight.detach().numpy()
    bound = 1 / np.sqrt(16)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound


def test_batchnorm_running_stats_and_eval():
    bn = nn.BatchNorm1d(2, momentum=0.5)
    x = np.array([[1.0, 2.0], [3.0, 6.0]], dtype=np.float32)
    bn(autograd.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.5 * x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-6)
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    y = bn(autograd.tensor(x)).detach().numpy()
    expect = (x - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(y, expect, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 1  # eval does not count
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(2)(autograd.ones(1, 2))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(2)(autograd.ones(1, 2, 3, 4))


def test_dropout_reproducible_and_scaled():
    d = nn.Dropout(0.25)
    autograd.manual_seed(3)
    a = d(autograd.ones(1000))
    autograd.manual_seed(3)
    b = d(autograd.ones(1000))
    assert np.array_equal(a.numpy(), b.numpy())
    vals = set(np.unique(a.numpy()).tolist())
    assert vals <= {0.0, np.float32(1 / 0.75)}
    assert 0.18 < (a.numpy() == 0).mean() < 0.32
    d.eval()
    assert np.array_equal(d(autograd.ones(5)).numpy(), np.ones(5))
    # the gradient is the same mask
    x = autograd.ones(50, requires_grad=True)
    d.train()
    y = d(x)
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), y.detach().numpy())
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.5)


def test_dropout2d_zeroes_whole_channels():
    y = nn.Dropout2d(0.5)(autograd.ones(4, 16, 3, 3)).numpy()
    per_channel = y.reshape(4, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0 < (per_channel == 0).all(-1).mean() < 1


def test_embedding_padding_idx_gets_no_grad():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(6, 3, padding_idx=1)
    theirs = torch.nn.Embedding(6, 3, padding_idx=1)
    assert np.all(ours.weight.detach().numpy()[1] == 0)
    _copy_params_from_torch(ours, theirs)
    idx = [[0, 1, 2], [1, 1, 5]]
    ao = ours(autograd.tensor(idx))
    to = theirs(torch.tensor(idx))
    g = np.random.default_rng(0).normal(size=(2, 3, 3)).astype(np.float32)
    ao.backward(autograd.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(ao.detach().numpy(), to.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)
    assert np.all(ours.weight.grad.numpy()[1] == 0)
    with pytest.raises(IndexError):
        ours(autograd.tensor([6]))


def test_embedding_gradcheck():
    w = autograd.randn(5, 3, dtype=autograd.float64, requires_grad=True)
    idx = autograd.tensor([[0, 2, 2], [4, 0, 1]])
    # (with padding_idx the gradient is deliberately not the true derivative, like torch)
    assert autograd.gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert autograd.gradgradcheck(lambda w: F.embedding(idx, w), (w,))


# ---- functional extras -----------------------------------------------------------------
PAD_CASES = [
    ((1, 2), "constant", 0.0, (2, 3, 4)),
    ((1, 2), "constant", 1.5, (2, 3, 4)),
    ((2, 1, 1, 0), "constant", -1.0, (2, 3, 4)),
    ((-1, 1), "constant", 0.0, (2, 3)),
    ((2, 3), "reflect", None, (2, 3, 5)),
    ((1, 1, 2, 1), "reflect", None, (1, 2, 4, 3)),
    ((2, 3), "replicate", None, (2, 3, 4)),
    ((1, 2, 0, 1), "replicate", None, (1, 2, 3, 3)),
    ((1, 2), "circular", None, (1, 2, 4)),
]


@pytest.mark.parametrize("pad,mode,value,shape", PAD_CASES)
def test_pad_matches_torch_and_gradchecks(pad, mode, value, shape):
    x = np.random.default_rng(0).normal(size=shape)
    a = autograd.tensor(x, requires_grad=True)
    kw = {} if value is None else {"value": value}
    assert autograd.gradcheck(lambda t: F.pad(t, pad, mode=mode, **kw), (a,))
    assert autograd.gradgradcheck(lambda t: F.pad(t, pad, mode=mode, **kw), (a,))
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    expect = torch.nn.functional.pad(t, pad, mode=mode, **kw)
    got = F.pad(a, pad, mode=mode, **kw)
    np.testing.assert_allclose(got.detach().numpy(), expect.detach().numpy())
    g = np.random.default_rng(1).normal(size=tuple(expect.shape))
    expect.backward(torch.tensor(g))
    got.backward(autograd.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("pad,shape", [((-1, 2), (1, 0)), ((-4, 2), (1, 3)), ((-2, -2), (1, 3))])
def test_pad_cropping_more_than_the_dim_is_torchs_narrow_error(pad, shape):
    # torch crops (narrows) each side before padding the other: (-4, 2) on 3 elements is an error
    # even though 3 - 4 + 2 >= 0 (we used to pad garbage, or fail inside NumPy on an empty dim)
    with pytest.raises(RuntimeError, match=r"narrow\(\): length must be non-negative"):
        F.pad(autograd.zeros(*shape), pad)


def test_pad_of_an_empty_tensor_is_all_value():
    # the fill mask of a non-zero value used to be taken from the empty axis (IndexError in NumPy)
    got = F.pad(autograd.zeros(0, 0), (1, 1, 0, 2), value=1.5)
    np.testing.assert_array_equal(got.numpy(), np.full((2, 2), 1.5, np.float32))


INTERP_CASES = [
    dict(scale_factor=2, mode="nearest"),
    dict(size=(5, 7), mode="nearest"),
    dict(size=(3, 2), mode="nearest"),
    dict(scale_factor=2, mode="bilinear"),
    dict(size=(5, 7), mode="bilinear", align_corners=False),
    dict(size=(5, 7), mode="bilinear", align_corners=True),
    dict(size=(2, 3), mode="bilinear", align_corners=False),
    dict(scale_factor=1.5, mode="bilinear", align_corners=True),
]


@pytest.mark.parametrize("kw", INTERP_CASES, ids=[str(k) for k in INTERP_CASES])
def test_interpolate_matches_torch(kw):
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    a = autograd.tensor(x, requires_grad=True)
    assert autograd.gradcheck(lambda t: F.interpolate(t, **kw), (a,))
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    expect = torch.nn.functional.interpolate(t, **kw)
    got = F.interpolate(a, **kw)
    np.testing.assert_allclose(
        got.detach().numpy(), expect.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    g = np.random.default_rng(1).normal(size=tuple(expect.shape))
    expect.backward(torch.tensor(g))
    got.backward(autograd.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_interpolate_linear_1d_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(1, 2, 5))
    for ac in (False, True):
        e = torch.nn.functional.interpolate(
            torch.tensor(x), size=8, mode="linear", align_corners=ac
        )
        np.testing.assert_allclose(
            F.interpolate(autograd.tensor(x), size=8, mode="linear", align_corners=ac).numpy(),
            e.numpy(),
            rtol=1e-10,
        )


def test_distances_and_normalize_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    tf = torch.nn.functional
    checks = [
        (lambda a, b: F.cosine_similarity(a, b), lambda a, b: tf.cosine_similarity(a, b)),
        (
            lambda a, b: F.cosine_similarity(a, b, dim=0),
            lambda a, b: tf.cosine_similarity(a, b, dim=0),
        ),
        (lambda a, b: F.pairwise_distance(a, b), lambda a, b: tf.pairwise_distance(a, b)),
        (
            lambda a, b: F.pairwise_distance(a, b, p=1.0, keepdim=True),
            lambda a, b: tf.pairwise_distance(a, b, p=1.0, keepdim=True),
        ),
        (lambda a, b: F.normalize(a) * b, lambda a, b: tf.normalize(a) * b),
        (lambda a, b: F.normalize(a, p=1, dim=0) * b, lambda a, b: tf.normalize(a, p=1, dim=0) * b),
    ]
    for ours, theirs in checks:
        a, b = autograd.tensor(x1, requires_grad=True), autograd.tensor(x2, requires_grad=True)
        ta, tb = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
        got, exp = ours(a, b), theirs(ta, tb)
        np.testing.assert_allclose(got.detach().numpy(), exp.detach().numpy(), rtol=1e-10)
        got.sum().backward()
        exp.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-8, atol=1e-12)
        assert autograd.gradcheck(
            ours, [autograd.tensor(x1, requires_grad=True), autograd.tensor(x2, requires_grad=True)]
        )


def test_functional_reexports_activations():
    x = autograd.tensor([-2.0, 0.5, 3.0])
    for name in [
        "relu",
        "gelu",
        "silu",
        "elu",
        "selu",
        "leaky_relu",
        "softplus",
        "mish",
        "hardtanh",
        "logsigmoid",
        "sigmoid",
        "tanh",
        "softmax",
        "log_softmax",
        "one_hot",
        "dropout",
    ]:
        assert callable(getattr(F, name)), name
    np.testing.assert_allclose(
        F.softplus(x, beta=2.0).numpy(), np.log1p(np.exp(2 * x.numpy())) / 2, rtol=1e-6
    )
    np.testing.assert_allclose(F.logsigmoid(x).numpy(), -np.log1p(np.exp(-x.numpy())), rtol=1e-6)
    assert F.one_hot(autograd.tensor([1, 0]), 3).tolist() == [[0, 1, 0], [1, 0, 0]]


def test_linear_shape_error_message():
    with pytest.raises(
        RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 2x5\)"
    ):
        nn.Linear(2, 5)(autograd.ones(4, 3))


def test_clip_grad_norm_and_value_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    gs = [rng.normal(size=(3, 4)), rng.normal(size=(5,))]
    for norm_type in (2.0, 1.0, float("inf")):
        ours = [nn.Parameter(autograd.zeros(*g.shape, dtype=autograd.float64)) for g in gs]
        theirs = [torch.nn.Parameter(torch.zeros(*g.shape, dtype=torch.float64)) for g in gs]
        for p, q, g in zip(ours, theirs, gs):
            p.grad = autograd.tensor(g)
            q.grad = torch.tensor(g)
        a = nn.utils.clip_grad_norm_(ours, 0.5, norm_type)
        b = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
        assert abs(a.item() - b.item()) < 1e-10
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10)
    p = nn.Parameter(autograd.zeros(3))
    p.grad = autograd.tensor([-2.0, 0.1, 5.0])
    nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [-1.0, pytest.approx(0.1), 1.0]


def test_parameters_vector_round_trip():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    v = nn.utils.parameters_to_vector(net.parameters())
    assert v.shape == (11,)
    nn.utils.vector_to_parameters(autograd.arange(11, dtype=autograd.float32), net.parameters())
    assert net[0].weight.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert net[1].bias.tolist() == [10]
    with pytest.raises(ValueError):
        nn.utils.vector_to_parameters(autograd.zeros(3), net.parameters())


@pytest.mark.parametrize(
    "layer,shape",
    [
        (nn.Dropout(0.3), (4, 5)),
        (nn.Dropout2d(0.5), (2, 4, 2, 2)),
        (nn.Dropout1d(0.5), (2, 4, 3)),
        (nn.AlphaDropout(0.2), (3, 4)),
    ],
)
def test_dropout_gradcheck_with_fixed_mask(layer, shape):
    def f(x):
        autograd.manual_seed(7)  # same mask on every evaluation
        return layer(x)

    x = autograd.tensor(np.random.default_rng(0).normal(size=shape), requires_grad=True)
    assert autograd.gradcheck(f, (x,))
    assert autograd.gradgradcheck(f, (x,))


def test_full_backward_hook_with_two_inputs():
    bil = nn.Bilinear(2, 3, 1)
    seen = []
    bil.register_full_backward_hook(lambda m, gi, go: seen.append([g.shape for g in gi]))
    a = autograd.ones(4, 2, requires_grad=True)
    b = autograd.ones(4, 3, requires_grad=True)
    bil(a, b).sum().backward()
    assert seen == [[(4, 2), (4, 3)]]
    assert a.grad is not None and b.grad is not None


def test_clip_grad_norm_of_order_minus_inf_and_zero_like_torch():
    # norm_type=-inf took the largest |element| (as +inf does) and clipped by it; norm_type=0
    # raised ZeroDivisionError. torch's total is the norm of the per-gradient norms.
    torch = pytest.importorskip("torch")
    for norm_type in (-math.inf, 0, math.inf, 1.0, 3.0):
        got = []
        for lib, N in ((autograd, nn), (torch, torch.nn)):
            ps = [
                N.Parameter(lib.ones(3, dtype=lib.float64)),
                N.Parameter(lib.ones(2, dtype=lib.float64)),
            ]
            ps[0].grad = lib.tensor([3.0, -4.0, 1.0], dtype=lib.float64)
            ps[1].grad = lib.tensor([0.0, 5.0], dtype=lib.float64)
            total = N.utils.clip_grad_norm_(ps, 1.0, norm_type=norm_type)
            got.append([total.item()] + [v for p in ps for v in p.grad.tolist()])
        np.testing.assert_allclose(got[0], got[1], rtol=1e-12, err_msg=str(norm_type))


def test_group_norm_of_an_empty_batch_like_torch():
    # reshape(0, groups, -1) cannot infer -1: GroupNorm of a batch of 0 raised
    x = autograd.zeros(0, 4, 3, requires_grad=True)
    y = nn.GroupNorm(2, 4)(x)
    assert y.shape == (0, 4, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 4, 3)
