"""nn.Conv1d / Conv2d / ConvTranspose2d and the pooling layers.

Against PyTorch (skipped without torch): same state_dict keys and shapes; after copying
torch's parameters by key, same outputs and same gradients for the input and every
parameter, in float64 and float32; same repr; same default-init distribution.
Without torch: float64 gradchecks through the modules, shape rules, errors, hooks.
"""

import math

import numpy as np
import pytest

import autograd
import nn

from torch_compare import TOL, assert_reprs_match_torch, check_module_grads, compare_with_torch  # noqa: F401


def _x(rng, *shape):
    return rng.standard_normal(shape)


# ---- Conv vs torch --------------------------------------------------------------------

CONV2D_CASES = [
    dict(args=(3, 4, 3)),
    dict(args=(2, 4, (3, 2)), kw=dict(stride=(2, 1), padding=(1, 0))),
    dict(args=(4, 6, 3), kw=dict(groups=2, dilation=2, padding=2, bias=False)),
    dict(args=(3, 2, 3), kw=dict(padding="same")),
    dict(args=(3, 2, 4), kw=dict(padding="same", dilation=1)),  # even kernel: asymmetric
    dict(args=(3, 2, (2, 3)), kw=dict(padding="same", dilation=(2, 1))),
    dict(args=(3, 2, 3), kw=dict(padding="valid", stride=2)),
    dict(args=(3, 2, 3), kw=dict(padding=1, padding_mode="reflect")),
    dict(args=(3, 2, 3), kw=dict(padding=(2, 1), padding_mode="replicate")),
    dict(args=(6, 6, 3), kw=dict(groups=6, padding=1)),  # depthwise
    dict(args=(3, 2, (2, 3)), kw=dict(padding="same", padding_mode="reflect")),
    dict(args=(3, 2, 3), kw=dict(padding=(1, 2), padding_mode="circular", stride=2)),
]


def test_conv2d_unbatched_matches_torch(rng):
    torch = pytest.importorskip("torch")
    compare_with_torch(
        nn.Conv2d(2, 3, 3, padding=1), torch.nn.Conv2d(2, 3, 3, padding=1), (_x(rng, 2, 5, 5),)
    )


CONV1D_CASES = [
    dict(args=(3, 4, 3)),
    dict(args=(4, 2, 2), kw=dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
    dict(args=(3, 5, 4), kw=dict(padding="same")),
    dict(args=(3, 5, 3), kw=dict(padding=2, padding_mode="reflect")),
]


CONVT_CASES = [
    dict(args=(3, 2, 3)),
    dict(args=(2, 4, 3), kw=dict(stride=2, padding=1, output_padding=1)),
    dict(args=(4, 6, (2, 3)), kw=dict(stride=(2, 1), groups=2, bias=False)),
    dict(args=(2, 3, 3), kw=dict(stride=2, dilation=2, padding=2)),
]


# (layer, input's batch size and spatial size, constructor case)
LAYER_CASES = (
    [("Conv2d", 2, (7, 6), c) for c in CONV2D_CASES]
    + [("Conv1d", 3, (9,), c) for c in CONV1D_CASES]
    + [("ConvTranspose2d", 2, (4, 5), c) for c in CONVT_CASES]
)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "layer,batch,spatial,case", LAYER_CASES, ids=[f"{c[0]}-{c[3]}" for c in LAYER_CASES]
)
def test_conv_layers_match_torch(layer, batch, spatial, case, dtype, rng):
    torch = pytest.importorskip("torch")
    args, kw = case["args"], case.get("kw", {})
    x = _x(rng, batch, args[0], *spatial)
    compare_with_torch(
        getattr(nn, layer)(*args, **kw), getattr(torch.nn, layer)(*args, **kw), (x,), dtype=dtype
    )


def test_conv_transpose2d_output_size_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x = _x(rng, 1, 2, 4, 4)
    for size in [(7, 7), (8, 8), [1, 3, 8, 7]]:
        compare_with_torch(
            nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
            torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
            (x,),
            {"output_size": size},
        )
    conv = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match="requested an output size of"):
        conv(autograd.tensor(x, dtype=autograd.float32), output_size=(12, 12))


# ---- pooling vs torch -----------------------------------------------------------------

POOL_CASES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", (3,), dict(stride=2, padding=1)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, dilation=(2, 1), ceil_mode=True)),
    ("MaxPool2d", (2,), dict(ceil_mode=True)),
    ("MaxPool1d", (3,), dict(stride=2, padding=1)),
    ("MaxPool1d", (2,), dict(ceil_mode=True)),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ("AvgPool2d", (2,), dict(divisor_override=3)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1)),
    ("AvgPool1d", (2,), dict(count_include_pad=False, padding=1)),
    ("AdaptiveAvgPool2d", ((3, 2),), {}),
    ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveAvgPool2d", ((4, None),), {}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: f"{c[0]}{c[1]}{c[2]}")
def test_pooling_matches_torch(case, dtype, rng):
    torch = pytest.importorskip("torch")
    name, args, kw = case
    shape = (2, 3, 9) if name.endswith("1d") else (2, 3, 7, 6)
    # distinct values: no ties, so the max's gradient is unambiguous
    x = rng.permutation(np.prod(shape)).reshape(shape) / 7.0
    compare_with_torch(
        getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw), (x,), dtype=dtype
    )


@pytest.mark.parametrize("name", ["MaxPool1d", "MaxPool2d"])
def test_max_pool_return_indices_matches_torch(name, rng):
    torch = pytest.importorskip("torch")
    shape = (2, 3, 8) if name == "MaxPool1d" else (2, 3, 6, 5)
    x = rng.permutation(np.prod(shape)).reshape(shape) / 3.0
    ours, theirs = (
        getattr(nn, name)(2, return_indices=True),
        getattr(torch.nn, name)(2, return_indices=True),
    )
    (o_val, o_idx), (t_val, t_idx) = ours(autograd.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_array_equal(o_val.numpy(), t_val.numpy())
    np.testing.assert_array_equal(o_idx.numpy(), t_idx.numpy())
    assert o_idx.dtype == autograd.int64


# ---- gradchecks (no torch needed) --------------------------------------------------------


def test_conv_modules_gradcheck(rng):
    check_module_grads(
        nn.Conv2d(2, 2, 2, stride=1, padding=1, groups=2),
        autograd.tensor(_x(rng, 1, 2, 3, 3), requires_grad=True),
    )
    check_module_grads(
        nn.Conv2d(2, 1, (2, 3), padding="same", dilation=(1, 2)),
        autograd.tensor(_x(rng, 1, 2, 3, 4), requires_grad=True),
    )
    check_module_grads(
        nn.Conv1d(2, 2, 3, stride=2, padding=1),
        autograd.tensor(_x(rng, 2, 2, 5), requires_grad=True),
    )
    check_module_grads(
        nn.ConvTranspose2d(2, 2, 2, stride=2, padding=1, output_padding=1),
        autograd.tensor(_x(rng, 1, 2, 2, 2), requires_grad=True),
    )


def test_conv_padding_modes_gradcheck(rng):
    check_module_grads(
        nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"),
        autograd.tensor(_x(rng, 1, 1, 3, 4), requires_grad=True),
    )
    check_module_grads(
        nn.Conv1d(1, 2, 2, padding=1, padding_mode="replicate"),
        autograd.tensor(_x(rng, 1, 1, 4), requires_grad=True),
    )


def test_pooling_gradcheck(rng):
    x = autograd.tensor(rng.permutation(32).reshape(1, 2, 4, 4) / 5.0, requires_grad=True)
    for m in [nn.MaxPool2d(2), nn.AvgPool2d(3, stride=1, padding=1), nn.AdaptiveAvgPool2d(3)]:
        assert autograd.gradcheck(m, (x,))
    x1 = autograd.tensor(rng.permutation(10).reshape(1, 2, 5) / 5.0, requires_grad=True)
    for m in [nn.MaxPool1d(2, ceil_mode=True), nn.AvgPool1d(2, padding=1)]:
        assert autograd.gradcheck(m, (x1,))


def test_conv2d_same_keeps_size_and_matches_explicit_padding(rng):
    x = autograd.tensor(_x(rng, 2, 3, 6, 5), dtype=autograd.float32)
    same = nn.Conv2d(3, 4, 3, padding="same")
    explicit = nn.Conv2d(3, 4, 3, padding=1)
    explicit.load_state_dict(same.state_dict())
    assert same(x).shape == (2, 4, 6, 5)
    np.testing.assert_allclose(same(x).detach().numpy(), explicit(x).detach().numpy(), rtol=1e-6)
    assert nn.Conv2d(3, 4, (4, 2), padding="same")(x).shape == (2, 4, 6, 5)


# ---- parameters, init, repr, hooks, errors ---------------------------------------------------


def test_parameter_names_shapes_and_dtype():
    conv = nn.Conv2d(4, 6, (3, 2), groups=2)
    assert [(k, tuple(v.shape)) for k, v in conv.state_dict().items()] == [
        ("weight", (6, 2, 3, 2)),
        ("bias", (6,)),
    ]
    assert conv.weight.dtype == autograd.float32
    convt = nn.ConvTranspose2d(4, 6, 3, groups=2, bias=False)
    assert [(k, tuple(v.shape)) for k, v in convt.state_dict().items()] == [
        ("weight", (4, 3, 3, 3))
    ]
    assert nn.Conv1d(2, 3, 5, dtype=autograd.float64).weight.dtype == autograd.float64
    assert conv.bias.requires_grad and conv.weight.is_leaf


@pytest.mark.parametrize(
    "make, bound_fan_in",
    [
        (lambda m: m.Conv2d(16, 32, 3), 16 * 9),
        (lambda m: m.Conv2d(16, 32, 3, groups=4), 4 * 9),
        (lambda m: m.Conv1d(8, 64, 5), 8 * 5),
        (lambda m: m.ConvTranspose2d(16, 32, 3, groups=2), 16 * 9),
    ],
)
def test_default_init_distribution(make, bound_fan_in):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, as torch (checked against
    torch's own samples when torch is importable)."""
    bound = 1 / math.sqrt(bound_fan_in)
    m = make(nn)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.08 * bound / math.sqrt(3)
    assert abs(w.mean()) < 0.1 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    try:
        import torch
    except ImportError:
        return
    t = make(torch.nn)
    tw = t.weight.detach().numpy()
    assert tw.shape == w.shape
    assert abs(tw.std() - w.std()) < 0.1 * tw.std()
    assert abs(np.abs(tw).max() - np.abs(w).max()) < 0.05 * bound


def test_repr_matches_torch():
    cases = [
        ("Conv2d", (1, 16, 3), {}),
        (
            "Conv2d",
            (4, 8, (3, 5)),
            dict(stride=2, padding=(1, 2), dilation=3, groups=2, bias=False),
        ),
        ("Conv2d", (1, 16, 3), dict(padding="same", padding_mode="reflect")),
        ("Conv1d", (2, 4, 3), dict(padding=1, padding_mode="circular")),
        ("ConvTranspose2d", (2, 3, 3), dict(stride=2, output_padding=1)),
        ("MaxPool2d", (2,), {}),
        ("MaxPool2d", ((3, 2),), dict(stride=1, padding=1, ceil_mode=True)),
        ("MaxPool1d", (3,), {}),
        ("AvgPool2d", (2,), dict(stride=1)),
        ("AvgPool1d", (2,), {}),
        ("AdaptiveAvgPool2d", ((3, None),), {}),
    ]
    expected = {
        0: "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1))",
        5: "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
        9: "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))",
    }
    for i, s in expected.items():
        name, args, kw = cases[i]
        assert repr(getattr(nn, name)(*args, **kw)) == s
    assert_reprs_match_torch(nn, cases)


def test_hooks_run_around_conv_forward(rng):
    conv = nn.Conv2d(1, 2, 3)
    seen = []
    pre = conv.register_forward_pre_hook(lambda m, inp: (inp[0] * 2,))
    post = conv.register_forward_hook(lambda m, inp, out: seen.append(tuple(out.shape)))
    x = autograd.tensor(_x(rng, 1, 1, 5, 5), dtype=autograd.float32)
    doubled = conv(x)
    pre.remove()
    post.remove()
    np.testing.assert_allclose(doubled.detach().numpy(), conv(x * 2).detach().numpy(), rtol=1e-6)
    assert seen == [(1, 2, 3, 3)]


def test_full_backward_hook_sees_conv_gradients(rng):
    conv = nn.Conv2d(2, 3, 3, padding=1)
    seen = []
    conv.register_full_backward_hook(
        lambda m, grad_in, grad_out: seen.append(
            (tuple(grad_in[0].shape), tuple(grad_out[0].shape))
        )
    )
    x = autograd.tensor(_x(rng, 1, 2, 4, 4), dtype=autograd.float32, requires_grad=True)
    conv(x).sum().backward()
    assert seen == [((1, 2, 4, 4), (1, 3, 4, 4))]


def test_cnn_backward_fills_every_parameter_grad(rng):
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding="same"),
        nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    model(autograd.tensor(_x(rng, 3, 1, 8, 8), dtype=autograd.float32)).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name


def test_constructor_errors():
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(1, 1, 3, padding="full")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(
        ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'
    ):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


def test_wrong_channel_count_is_a_clear_error():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises((RuntimeError, ValueError), match="channels"):
        conv(autograd.zeros(1, 2, 5, 5))
