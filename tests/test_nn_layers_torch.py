"""The layers of issue 16 (3-D convolutions and pools, unpooling, padding, resizing, pixel
shuffles, normalisation, folding, distances, shrinkage activations) against PyTorch: the
same constructor arguments give the same repr, attributes and state_dict keys; after
copying torch's parameters by key, the same outputs and the same gradients for the inputs
and every parameter (float64; float32 where the layer has its own arithmetic).

The functional ops under these layers are registered ops, checked op by op by the
registry tests (forward, gradcheck, gradgradcheck, both backends, torch, fuzzing).
"""

import numpy as np
import pytest

import autograd
import nn
from torch_compare import compare_with_torch, same_error


def _distinct(rng, *shape):
    """No ties (a max's gradient is unambiguous) and no value near 0 (kinks)."""
    return (
        (rng.permutation(int(np.prod(shape))).reshape(shape) + 1.0)
        / 7.0
        * rng.choice([-1.0, 1.0], shape)
    )


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _pooled(nd, shape):
    """(values, indices) from a max pool, the inputs of MaxUnpool."""

    def make(rng):
        torch = pytest.importorskip("torch")
        pool = getattr(torch.nn.functional, f"max_pool{nd}d")
        y, i = pool(torch.tensor(_distinct(rng, *shape)), 2, return_indices=True)
        return [y.numpy(), i.numpy()]

    return make


def _inputs(*specs):
    return lambda rng: [f(rng, *shape) for f, shape in specs]


# (class name, args, kwargs, inputs(rng) -> list of arrays, forward kwargs)
LAYERS = [
    ("Conv3d", (2, 4, 3), dict(padding=1), _inputs((_normal, (2, 2, 4, 5, 4))), {}),
    (
        "Conv3d",
        (4, 2, (2, 1, 3)),
        dict(stride=(1, 2, 1), groups=2, bias=False, dilation=2),
        _inputs((_normal, (1, 4, 5, 5, 7))),
        {},
    ),
    (
        "Conv3d",
        (2, 3, 3),
        dict(padding="same", padding_mode="reflect"),
        _inputs((_normal, (2, 4, 4, 5))),
        {},
    ),
    (
        "Conv3d",
        (2, 3, 2),
        dict(padding=1, padding_mode="circular"),
        _inputs((_normal, (1, 2, 3, 3, 4))),
        {},
    ),
    (
        "ConvTranspose1d",
        (3, 2, 3),
        dict(stride=2, padding=1, output_padding=1),
        _inputs((_normal, (2, 3, 5))),
        {},
    ),
    (
        "ConvTranspose1d",
        (4, 2, 2),
        dict(groups=2, dilation=2, bias=False),
        _inputs((_normal, (4, 6))),
        {},
    ),
    (
        "ConvTranspose1d",
        (2, 3, 3),
        dict(stride=2),
        _inputs((_normal, (1, 2, 4))),
        dict(output_size=[10]),
    ),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), _inputs((_normal, (1, 2, 2, 3, 2))), {}),
    (
        "ConvTranspose3d",
        (4, 2, (1, 2, 3)),
        dict(stride=(1, 2, 2), padding=(0, 1, 1), output_padding=(0, 1, 0), groups=2),
        _inputs((_normal, (2, 4, 2, 3, 3))),
        {},
    ),
    ("MaxPool3d", (2,), {}, _inputs((_distinct, (2, 2, 4, 4, 5))), {}),
    (
        "MaxPool3d",
        ((2, 3, 2),),
        dict(stride=1, padding=1, dilation=(1, 1, 2), ceil_mode=True),
        _inputs((_distinct, (1, 2, 3, 5, 6))),
        {},
    ),
    ("MaxPool3d", (2,), dict(return_indices=True), _inputs((_distinct, (2, 4, 4, 4))), {}),
    ("AvgPool3d", (2,), {}, _inputs((_normal, (2, 2, 4, 4, 5))), {}),
    (
        "AvgPool3d",
        (3,),
        dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        _inputs((_normal, (1, 2, 5, 6, 5))),
        {},
    ),
    ("AvgPool3d", (2,), dict(stride=1, divisor_override=5), _inputs((_normal, (2, 3, 3, 3))), {}),
    ("AdaptiveMaxPool1d", (3,), {}, _inputs((_distinct, (2, 3, 8))), {}),
    ("AdaptiveMaxPool1d", (4,), dict(return_indices=True), _inputs((_distinct, (3, 7))), {}),
    ("AdaptiveMaxPool2d", ((2, None),), {}, _inputs((_distinct, (2, 3, 5, 4))), {}),
    ("AdaptiveMaxPool2d", (3,), dict(return_indices=True), _inputs((_distinct, (2, 7, 5))), {}),
    (
        "AdaptiveMaxPool3d",
        ((2, 3, 1),),
        dict(return_indices=True),
        _inputs((_distinct, (2, 2, 5, 4, 3))),
        {},
    ),
    ("AdaptiveAvgPool1d", (3,), {}, _inputs((_normal, (2, 3, 8))), {}),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, _inputs((_normal, (2, 2, 5, 4, 7))), {}),
    ("AdaptiveAvgPool3d", (1,), {}, _inputs((_normal, (3, 2, 2, 2))), {}),
    ("MaxUnpool1d", (2,), {}, _pooled(1, (2, 3, 8)), {}),
    ("MaxUnpool2d", (2,), {}, _pooled(2, (2, 2, 6, 4)), dict(output_size=(7, 5))),
    ("MaxUnpool3d", (2,), {}, _pooled(3, (1, 2, 4, 2, 6)), {}),
    ("LPPool1d", (2, 3), dict(stride=2), _inputs((_normal, (2, 3, 8))), {}),
    (
        "LPPool2d",
        (1.5, (2, 3)),
        dict(stride=1, ceil_mode=True),
        _inputs((lambda rng, *s: rng.uniform(0.5, 2, s), (2, 2, 5, 6))),
        {},
    ),
    ("LPPool3d", (float("inf"), 2), {}, _inputs((_distinct, (1, 2, 4, 4, 4))), {}),
    ("ZeroPad1d", (2,), {}, _inputs((_normal, (2, 3))), {}),
    ("ZeroPad2d", ((1, 0, -1, 2),), {}, _inputs((_normal, (1, 2, 3, 4))), {}),
    ("ZeroPad3d", (1,), {}, _inputs((_normal, (2, 2, 2, 3))), {}),
    ("ConstantPad1d", ((1, 2), 3.5), {}, _inputs((_normal, (2, 3, 4))), {}),
    ("ConstantPad2d", (1, -2.0), {}, _inputs((_normal, (3, 4))), {}),
    ("ConstantPad3d", ((0, 1, 1, 0, 2, 1), 0.5), {}, _inputs((_normal, (1, 1, 2, 2, 3))), {}),
    ("ReflectionPad1d", ((2, 1),), {}, _inputs((_normal, (2, 3, 4))), {}),
    ("ReflectionPad2d", ((1, 1, 2, 0),), {}, _inputs((_normal, (2, 3, 4))), {}),
    ("ReflectionPad3d", (1,), {}, _inputs((_normal, (1, 2, 2, 3, 3))), {}),
    ("ReplicationPad1d", ((-1, 3),), {}, _inputs((_normal, (3, 4))), {}),
    ("ReplicationPad2d", (2,), {}, _inputs((_normal, (1, 2, 3, 2))), {}),
    ("ReplicationPad3d", ((1, 0, 0, 1, 2, 1),), {}, _inputs((_normal, (2, 2, 3, 3))), {}),
    ("CircularPad1d", (2,), {}, _inputs((_normal, (2, 2, 3))), {}),
    ("CircularPad2d", ((1, 0, 2, 1),), {}, _inputs((_normal, (2, 3, 4))), {}),
    ("CircularPad3d", (1,), {}, _inputs((_normal, (1, 1, 2, 2, 3))), {}),
    ("Upsample", (), dict(scale_factor=2), _inputs((_normal, (1, 2, 3))), {}),
    ("Upsample", (), dict(size=(5, 3), mode="bilinear"), _inputs((_normal, (2, 2, 3, 4))), {}),
    (
        "Upsample",
        (),
        dict(scale_factor=(1.5, 2.0), mode="bicubic", align_corners=True),
        _inputs((_normal, (1, 2, 4, 3))),
        {},
    ),
    (
        "Upsample",
        (),
        dict(scale_factor=1.7, mode="trilinear", recompute_scale_factor=True),
        _inputs((_normal, (1, 1, 2, 3, 2))),
        {},
    ),
    ("Upsample", (), dict(size=7, mode="nearest-exact"), _inputs((_normal, (2, 1, 3))), {}),
    ("Upsample", (), dict(size=(2, 3), mode="area"), _inputs((_normal, (1, 2, 5, 7))), {}),
    ("UpsamplingNearest2d", (), dict(scale_factor=2), _inputs((_normal, (1, 2, 2, 3))), {}),
    ("UpsamplingBilinear2d", (), dict(size=(4, 5)), _inputs((_normal, (1, 2, 2, 3))), {}),
    ("PixelShuffle", (2,), {}, _inputs((_normal, (2, 8, 2, 3))), {}),
    ("PixelUnshuffle", (2,), {}, _inputs((_normal, (3, 4, 6))), {}),
    ("ChannelShuffle", (3,), {}, _inputs((_normal, (2, 6, 2))), {}),
    ("Fold", ((4, 5), 2), dict(padding=1, stride=(1, 2)), _inputs((_normal, (2, 8, 15))), {}),
    (
        "Unfold",
        (2,),
        dict(dilation=(1, 2), padding=1, stride=2),
        _inputs((_normal, (2, 3, 5, 4))),
        {},
    ),
    ("CosineSimilarity", (), {}, _inputs((_normal, (3, 4)), (_normal, (4,))), {}),
    ("CosineSimilarity", (-1, 0.5), {}, _inputs((_normal, (2, 3, 1)), (_normal, (1, 3, 4))), {}),
    (
        "PairwiseDistance",
        (),
        dict(p=1.5, keepdim=True),
        _inputs((_normal, (3, 4)), (_normal, (3, 4))),
        {},
    ),
    ("Hardshrink", (0.3,), {}, _inputs((_distinct, (3, 4))), {}),
    ("Softshrink", (), {}, _inputs((_distinct, (3, 4))), {}),
    ("Softmax2d", (), {}, _inputs((_normal, (2, 3, 2, 2))), {}),
    ("InstanceNorm1d", (3,), {}, _inputs((_normal, (2, 3, 5))), {}),
    (
        "InstanceNorm2d",
        (2,),
        dict(affine=True, track_running_stats=True),
        _inputs((_normal, (3, 2, 3, 4))),
        {},
    ),
    (
        "InstanceNorm3d",
        (2,),
        dict(affine=True, bias=False, momentum=None, track_running_stats=True),
        _inputs((_normal, (2, 2, 2, 3))),
        {},
    ),
    ("LocalResponseNorm", (3,), dict(alpha=0.1, k=2.0), _inputs((_normal, (2, 5, 4, 3))), {}),
]


def _id(case):
    return f"{case[0]}{case[1]}{case[2] or ''}"


@pytest.mark.parametrize("case", LAYERS, ids=[_id(c) for c in LAYERS])
def test_layer_matches_torch(case, rng):
    torch = pytest.importorskip("torch")
    name, args, kw, make_inputs, fwd_kw = case
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    public = {k: v for k, v in vars(theirs).items() if not k.startswith("_")}
    assert {k: getattr(ours, k) for k in public} == public
    inputs = tuple(make_inputs(rng))
    compare_with_torch(ours, theirs, inputs, fwd_kw)
    if any(name.startswith(p) for p in ("InstanceNorm", "RReLU")):  # eval mode differs
        compare_with_torch(ours, theirs, inputs, fwd_kw, train=False)


@pytest.mark.parametrize("name", ["Conv3d", "ConvTranspose1d", "ConvTranspose3d"])
def test_conv_layers_float32_and_init_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    shape = {
        "Conv3d": (2, 2, 4, 4, 4),
        "ConvTranspose1d": (2, 2, 5),
        "ConvTranspose3d": (1, 2, 2, 3, 3),
    }[name]
    compare_with_torch(
        getattr(nn, name)(2, 3, 2, stride=2),
        getattr(torch.nn, name)(2, 3, 2, stride=2),
        (_normal(rng, *shape),),
        dtype=np.float32,
    )
    # default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
    layer = getattr(nn, name)(4, 8, 3)
    fan_in = layer.weight.shape[1] * 27 if name.endswith("3d") else layer.weight.shape[1] * 3
    bound = 1 / np.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.detach().numpy()).max() <= bound + 1e-7
        assert np.abs(p.detach().numpy()).max() > 0.5 * bound


def test_conv_transpose3d_output_size(rng):
    torch = pytest.importorskip("torch")
    x = _normal(rng, 1, 2, 2, 3, 3)
    compare_with_torch(
        nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1),
        torch.nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1),
        (x,),
        {"output_size": (4, 6, 5)},
    )
    layer = nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match="requested an output size of"):
        layer(autograd.tensor(x, dtype=autograd.float32), output_size=(9, 6, 5))


def test_instance_norm_running_stats_match_torch(rng):
    torch = pytest.importorskip("torch")
    x = _normal(rng, 3, 2, 4, 5) * 2 + 1
    for momentum in (0.1, None):
        ours = nn.InstanceNorm2d(2, momentum=momentum, track_running_stats=True).double()
        theirs = torch.nn.InstanceNorm2d(2, momentum=momentum, track_running_stats=True).double()
        for _ in range(2):
            ours(autograd.tensor(x))
            theirs(torch.tensor(x))
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            np.testing.assert_allclose(
                getattr(ours, name).numpy(), getattr(theirs, name).numpy(), rtol=1e-12, err_msg=name
            )
        ours.eval()
        theirs.eval()
        np.testing.assert_allclose(
            ours(autograd.tensor(x)).numpy(),
            theirs(torch.tensor(x)).numpy(),
            rtol=1e-10,
            atol=1e-12,
        )


def test_rrelu_training_slopes_are_uniform_and_are_the_gradient():
    stats = pytest.importorskip("scipy.stats")
    autograd.manual_seed(0)
    x = autograd.tensor(-np.linspace(0.5, 2.0, 4000), requires_grad=True)
    layer = nn.RReLU(0.1, 0.3)
    y = layer(x)
    slopes = (y / x).detach().numpy()
    assert stats.kstest(slopes, stats.uniform(0.1, 0.2).cdf).pvalue > 1e-3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)  # the gradient is the slope
    pos = autograd.tensor([0.5, 2.0])
    np.testing.assert_array_equal(layer(pos).numpy(), pos.numpy())  # positives unchanged
    autograd.manual_seed(3)
    a = layer(x).detach().numpy()
    autograd.manual_seed(3)
    np.testing.assert_array_equal(layer(x).detach().numpy(), a)  # same seed, same slopes
    np.testing.assert_allclose(layer.eval()(x).detach().numpy(), x.detach().numpy() * 0.2)


def test_pad_keeps_inf_inside_and_zeros_outside():
    """Regression: the padded positions were x[0] * 0, nan next to an inf."""
    import nn.functional as F

    y = F.pad(autograd.tensor([[np.inf, 1.0, -np.inf]]), (1, 1))
    np.testing.assert_array_equal(y.numpy(), [[0.0, np.inf, 1.0, -np.inf, 0.0]])
    y = F.interpolate(autograd.tensor([[[np.inf, 1.0]]]), size=3, mode="nearest")
    assert not np.isnan(y.numpy()).any()


def _torch_error(fn, torch):
    with pytest.raises(Exception) as info:
        fn(torch, torch.nn.functional, torch.nn)
    return info.value


# (ours, torch): f(lib, F, nn) called with autograd/torch; both must raise the same message
ERRORS = [
    lambda L, F, nn: F.conv3d(L.zeros(1, 2, 3, 4), L.zeros(2, 2, 3, 3, 3)),
    lambda L, F, nn: F.conv_transpose3d(
        L.zeros(1, 2, 1, 1, 1), L.zeros(2, 2, 3, 3, 3), output_padding=2, stride=2
    ),
    lambda L, F, nn: F.conv_transpose1d(
        L.zeros(1, 2, 3), L.zeros(2, 2, 3), output_padding=2, stride=2
    ),
    lambda L, F, nn: F.max_pool3d(L.zeros(1, 2, 2, 2, 2), 3),
    lambda L, F, nn: F.max_pool3d(L.zeros(1, 2, 4, 4, 4), 3, padding=2),
    lambda L, F, nn: F.avg_pool3d(L.zeros(1, 2, 2, 2, 2), 3),
    lambda L, F, nn: F.avg_pool3d(L.zeros(1, 2, 4, 4, 4), 3, divisor_override=0),
    lambda L, F, nn: F.max_unpool2d(L.ones(1, 1, 2, 2), L.full((1, 1, 2, 2), 70), 2),
    lambda L, F, nn: F.max_unpool2d(
        L.ones(1, 1, 2, 2), L.zeros(1, 1, 2, 2).long(), 2, output_size=(7, 5)
    ),
    lambda L, F, nn: F.max_unpool2d(
        L.ones(1, 1, 2, 2), L.zeros(1, 1, 2, 2).long(), 2, output_size=(7,)
    ),
    lambda L, F, nn: F.max_unpool3d(L.ones(2, 2, 2), L.zeros(2, 2, 2).long(), 2),
    lambda L, F, nn: F.max_unpool2d(L.ones(1, 1, 2, 2), L.zeros(1, 1, 2, 1).long(), 2),
    lambda L, F, nn: F.adaptive_avg_pool3d(L.zeros(1, 2, 3, 4, 5), (2, 2)),
    lambda L, F, nn: F.pad(L.zeros(1, 1, 3, 3), (1, 1), mode="reflect"),
    lambda L, F, nn: F.pad(L.zeros(1, 1, 3), (3, 3), mode="reflect"),
    lambda L, F, nn: F.pad(L.zeros(1, 1, 3), (4, 0), mode="circular"),
    lambda L, F, nn: F.pad(L.zeros(1, 0, 3), (1, 1), mode="replicate"),
    lambda L, F, nn: nn.CircularPad1d(1)(L.zeros(3)),
    lambda L, F, nn: F.pixel_shuffle(L.zeros(1, 5, 2, 2), 2),
    lambda L, F, nn: F.pixel_unshuffle(L.zeros(1, 1, 5, 4), 2),
    lambda L, F, nn: F.pixel_shuffle(L.zeros(4, 4), 2),
    lambda L, F, nn: F.channel_shuffle(L.zeros(1, 5, 1, 2), 2),
    lambda L, F, nn: F.softshrink(L.ones(2), -0.5),
    lambda L, F, nn: F.rrelu(L.zeros(2), 0.5, 0.2, training=True),
    lambda L, F, nn: nn.Softmax2d()(L.zeros(2, 3)),
    lambda L, F, nn: F.instance_norm(L.zeros(2, 3, 1)),
    lambda L, F, nn: nn.InstanceNorm1d(4, affine=True)(L.zeros(2, 3, 5)),
    lambda L, F, nn: F.interpolate(L.zeros(1, 1, 4), size=3, mode="bicubic"),
    lambda L, F, nn: F.interpolate(
        L.zeros(1, 1, 4), size=3, mode="nearest-exact", align_corners=True
    ),
    lambda L, F, nn: F.grid_sample(
        L.zeros(1, 2, 3, 4), L.zeros(1, 5, 6, 2), mode="x", align_corners=False
    ),
    lambda L, F, nn: F.grid_sample(
        L.zeros(1, 2, 3, 4), L.zeros(1, 5, 6, 2), padding_mode="x", align_corners=False
    ),
    lambda L, F, nn: F.grid_sample(
        L.zeros(1, 2, 3, 4, 5), L.zeros(1, 2, 2, 2, 3), mode="bicubic", align_corners=False
    ),
    lambda L, F, nn: F.grid_sample(L.zeros(1, 2, 3, 4), L.zeros(1, 5, 6, 3), align_corners=False),
    lambda L, F, nn: F.grid_sample(L.zeros(1, 2, 3, 4), L.zeros(2, 5, 6, 2), align_corners=False),
    lambda L, F, nn: F.grid_sample(L.zeros(1, 2, 3, 4), L.zeros(1, 5, 2), align_corners=False),
    lambda L, F, nn: F.grid_sample(L.zeros(1, 2, 0, 4), L.zeros(1, 5, 6, 2), align_corners=False),
    lambda L, F, nn: F.affine_grid(L.zeros(1, 3, 3), (1, 1, 3, 4), align_corners=False),
    lambda L, F, nn: F.affine_grid(L.zeros(1, 2, 3), (1, 1, 3), align_corners=False),
    lambda L, F, nn: F.affine_grid(L.zeros(1, 2, 3), (1, 1, 0, 4), align_corners=False),
    lambda L, F, nn: F.affine_grid(L.zeros(1, 2, 3), (1, 1, 2, 3, 4), align_corners=False),
    lambda L, F, nn: F.affine_grid(L.zeros(2, 2, 3), (1, 1, 3, 4), align_corners=False),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_match_torch(k):
    torch = pytest.importorskip("torch")
    import nn.functional as F

    expected = _torch_error(ERRORS[k], torch)
    with pytest.raises(Exception) as info:
        ERRORS[k](autograd, F, nn)
    assert str(info.value) == str(expected).replace("torch.Size", "autograd.Size")
    assert isinstance(
        info.value, (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError)
    )


def test_instance_norm_channel_mismatch_warns_without_affine():
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm2d(4)(autograd.zeros(2, 4, 5))
    with pytest.raises(ValueError, match="Expected 3D or higher dimensionality input"):
        nn.LocalResponseNorm(2)(autograd.zeros(2, 3))


BAGS = [
    (dict(mode="sum"), (np.array([[1, 2, 3], [4, 4, 9]]),), {}),
    (dict(mode="mean", padding_idx=2), (np.array([1, 2, 3, 4, 2, 9, 0]), np.array([0, 3, 3])), {}),
    (dict(mode="max"), (np.array([1, 2, 3, 4, 4, 9, 0]), np.array([0, 2, 2, 5])), {}),
    (
        dict(mode="max", include_last_offset=True),
        (np.array([1, 2, 3, 4, 4, 9, 0]), np.array([0, 2, 2, 7])),
        {},
    ),
    (
        dict(mode="sum", max_norm=1.0, norm_type=1.5),
        (np.array([1, 2, 3, 4, 4, 9]), np.array([0, 4])),
        {},
    ),
    (
        dict(mode="sum"),
        (np.array([1, 2, 3, 4, 4, 9]), np.array([0, 1])),
        {"per_sample_weights": np.linspace(-1, 2, 6)},
    ),
    (dict(mode="mean"), (np.zeros(0, np.int64), np.array([0, 0])), {}),  # empty bags: zeros
]


@pytest.mark.parametrize("case", BAGS, ids=[str(c[0]) for c in BAGS])
def test_embedding_bag_matches_torch(case):
    torch = pytest.importorskip("torch")
    kw, inputs, fwd = case
    ours, theirs = nn.EmbeddingBag(10, 3, **kw), torch.nn.EmbeddingBag(10, 3, **kw)
    assert repr(ours) == repr(theirs)
    compare_with_torch(ours, theirs, inputs, fwd)
    if "max_norm" in kw:  # the rows used were renormalised in place, as torch does
        np.testing.assert_allclose(
            ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12
        )


@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(padding_idx=-1, max_norm=1.0),
        dict(norm_type=3.0, scale_grad_by_freq=True, sparse=True),
        dict(norm_type=2.0, sparse=False),
    ],
)
def test_embedding_repr_matches_torch(kw):
    # Embedding left out norm_type, scale_grad_by_freq and sparse
    torch = pytest.importorskip("torch")
    assert repr(nn.Embedding(10, 3, **kw)) == repr(torch.nn.Embedding(10, 3, **kw))


def test_embedding_max_norm_renormalises_like_torch(rng):
    torch = pytest.importorskip("torch")
    import nn.functional as F

    w = rng.normal(size=(6, 4)) * 2
    w[2] *= 0.1  # one row already within max_norm
    ours, theirs = autograd.tensor(w, requires_grad=True), torch.tensor(w)
    idx = np.array([[0, 2], [2, 5]])
    o = F.embedding(autograd.tensor(idx), ours, max_norm=1.5)
    t = torch.nn.functional.embedding(torch.tensor(idx), theirs, max_norm=1.5)
    np.testing.assert_allclose(o.detach().numpy(), t.numpy(), rtol=1e-12)
    # the rows used were renormalised in place (the others untouched), as torch's
    np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ours.detach().numpy()[[1, 2, 3, 4]], w[[1, 2, 3, 4]])


BAG_ERRORS = [
    lambda L, F: F.embedding_bag(L.tensor([[1, 2]]), L.ones(10, 3), L.tensor([0])),
    lambda L, F: F.embedding_bag(L.tensor([1, 2]), L.ones(10, 3)),
    lambda L, F: F.embedding_bag(L.tensor([1, 2]), L.ones(10, 3), L.tensor([[0]])),
    lambda L, F: F.embedding_bag(L.tensor([[[1, 2]]]), L.ones(10, 3)),
    lambda L, F: F.embedding_bag(L.tensor([[1, 2]]), L.ones(10, 3), mode="x"),
    lambda L, F: F.embedding_bag(
        L.tensor([[1, 2]]), L.ones(10, 3), per_sample_weights=L.ones(1, 2)
    ),
    lambda L, F: F.embedding_bag(
        L.tensor([[1, 2]]), L.ones(10, 3), mode="sum", per_sample_weights=L.ones(2)
    ),
    lambda L, F: F.embedding_bag(L.tensor([1, 20]), L.ones(10, 3), L.tensor([0])),
    lambda L, F: F.embedding_bag(L.tensor([1, 2]), L.ones(10), L.tensor([0])),
    lambda L, F: F.embedding_bag(L.tensor([1, 2, 3]), L.ones(10, 3), L.tensor([0, 5])),
]


@pytest.mark.parametrize("k", range(len(BAG_ERRORS)))
def test_embedding_bag_errors_match_torch(k):
    torch = pytest.importorskip("torch")
    import nn.functional as F

    call, torch_F = BAG_ERRORS[k], torch.nn.functional
    same_error(lambda: call(autograd, F), lambda: call(torch, torch_F), check_type=False)


def test_spatial_transformer_warns_and_learns_like_torch(rng):
    """affine_grid + grid_sample as in a spatial transformer network: the default
    align_corners warns as torch does, and theta gets torch's gradient through both."""
    torch = pytest.importorskip("torch")
    import nn.functional as F

    theta = np.array([[[0.9, 0.2, 0.1], [-0.1, 1.1, -0.2]]]) + rng.normal(size=(2, 2, 3)) * 0.05
    x = rng.normal(size=(2, 3, 5, 6))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        F.grid_sample(autograd.tensor(x), F.affine_grid(autograd.tensor(theta), (2, 3, 4, 4)))
    ours = autograd.tensor(theta, requires_grad=True)
    theirs = torch.tensor(theta, requires_grad=True)
    out_o = F.grid_sample(
        autograd.tensor(x),
        F.affine_grid(ours, (2, 3, 4, 4), False),
        padding_mode="border",
        align_corners=False,
    )
    out_t = torch.nn.functional.grid_sample(
        torch.tensor(x),
        torch.nn.functional.affine_grid(theirs, (2, 3, 4, 4), False),
        padding_mode="border",
        align_corners=False,
    )
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-10)
    (out_o**2).sum().backward()
    (out_t**2).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9)


def test_gumbel_softmax_samples_the_softmax_distribution():
    """Gumbel-max: the argmax of a hard sample is distributed as softmax(logits) (chi-square
    at a fixed seed); the hard sample is one-hot and its gradient is the soft sample's."""
    stats = pytest.importorskip("scipy.stats")
    import nn.functional as F

    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    autograd.manual_seed(0)
    y = F.gumbel_softmax(autograd.tensor(np.tile(logits, (20000, 1))), tau=0.7, hard=True)
    counts = y.numpy().sum(0)
    np.testing.assert_array_equal(y.numpy().sum(1), 1.0)
    assert stats.chisquare(counts, 20000 * np.exp(logits)).pvalue > 1e-3
    grads = []
    for hard in (True, False):
        x = autograd.tensor(np.tile(logits, (5, 1)), requires_grad=True)
        autograd.manual_seed(3)
        out = F.gumbel_softmax(x, tau=0.5, hard=hard, dim=1)
        (out * autograd.arange(4.0)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)  # straight through
    soft = F.gumbel_softmax(autograd.zeros(3, 5), tau=2.0)
    np.testing.assert_allclose(soft.numpy().sum(-1), 1.0, rtol=1e-6)
    assert (soft.numpy() > 0).all() and (soft.numpy() < 1).all()
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(autograd.zeros(2, 2), eps=1e-5)


@pytest.mark.parametrize(
    "module",
    [
        "autograd.ops.conv",
        "autograd.ops.conv_transpose",
        "autograd.ops.fold",
        "autograd.ops.pooling",
        "autograd.ops.avg_pooling",
        "autograd.ops.adaptive_pooling",
        "autograd.ops.shrink",
        "autograd.ops.distance",
        "autograd.ops.margin_loss",
        "autograd.ops.ctc",
        "autograd.ops.vision",
        "autograd.ops.grid_sample",
        "nn.modules.padding",
        "nn.modules.upsampling",
        "nn.modules.pixelshuffle",
        "nn.modules._simple",
        "nn.modules.activation",
        "nn.modules.channelshuffle",
        "nn.modules.fold",
        "nn.modules.distance",
        "nn.modules.instancenorm",
        "nn.modules.transformer",
        "nn.modules.pooling",
        "nn.modules.loss",
        "nn.modules.sparse",
        "nn.functional._gumbel",
        "nn.functional._linear",
    ],
)
def test_docstring_examples(module):
    import doctest
    import importlib
    import nn.functional as F

    autograd.manual_seed(0)
    result = doctest.testmod(
        importlib.import_module(module),
        optionflags=doctest.NORMALIZE_WHITESPACE,
        extraglobs={"autograd": autograd, "nn": nn, "F": F, "np": np},
    )
    assert result.attempted > 0 and result.failed == 0
