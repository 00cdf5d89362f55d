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
from torch_compare import compare_with_torch


def _distinct(rng, *shape):
    """No ties (a max's gradient is unambiguous) and no value near 0 (kinks)."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) + 1.0) / 7.0 * \
        rng.choice([-1.0, 1.0], shape)


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
    ("Conv3d", (4, 2, (2, 1, 3)), dict(stride=(1, 2, 1), groups=2, bias=False, dilation=2),
     _inputs((_normal, (1, 4, 5, 5, 7))), {}),
    ("Conv3d", (2, 3, 3), dict(padding="same", padding_mode="reflect"),
     _inputs((_normal, (2, 4, 4, 5))), {}),
    ("Conv3d", (2, 3, 2), dict(padding=1, padding_mode="circular"),
     _inputs((_normal, (1, 2, 3, 3, 4))), {}),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=2, padding=1, output_padding=1),
     _inputs((_normal, (2, 3, 5))), {}),
    ("ConvTranspose1d", (4, 2, 2), dict(groups=2, dilation=2, bias=False),
     _inputs((_normal, (4, 6))), {}),
    ("ConvTranspose1d", (2, 3, 3), dict(stride=2), _inputs((_normal, (1, 2, 4))),
     dict(output_size=[10])),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), _inputs((_normal, (1, 2, 2, 3, 2))), {}),
    ("ConvTranspose3d", (4, 2, (1, 2, 3)), dict(stride=(1, 2, 2), padding=(0, 1, 1),
                                                output_padding=(0, 1, 0), groups=2),
     _inputs((_normal, (2, 4, 2, 3, 3))), {}),
    ("MaxPool3d", (2,), {}, _inputs((_distinct, (2, 2, 4, 4, 5))), {}),
    ("MaxPool3d", ((2, 3, 2),), dict(stride=1, padding=1, dilation=(1, 1, 2), ceil_mode=True),
     _inputs((_distinct, (1, 2, 3, 5, 6))), {}),
    ("MaxPool3d", (2,), dict(return_indices=True), _inputs((_distinct, (2, 4, 4, 4))), {}),
    ("AvgPool3d", (2,), {}, _inputs((_normal, (2, 2, 4, 4, 5))), {}),
    ("AvgPool3d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     _inputs((_normal, (1, 2, 5, 6, 5))), {}),
    ("AvgPool3d", (2,), dict(stride=1, divisor_override=5), _inputs((_normal, (2, 3, 3, 3))),
     {}),
    ("AdaptiveMaxPool1d", (3,), {}, _inputs((_distinct, (2, 3, 8))), {}),
    ("AdaptiveMaxPool1d", (4,), dict(return_indices=True), _inputs((_distinct, (3, 7))), {}),
    ("AdaptiveMaxPool2d", ((2, None),), {}, _inputs((_distinct, (2, 3, 5, 4))), {}),
    ("AdaptiveMaxPool2d", (3,), dict(return_indices=True), _inputs((_distinct, (2, 7, 5))),
     {}),
    ("AdaptiveMaxPool3d", ((2, 3, 1),), dict(return_indices=True),
     _inputs((_distinct, (2, 2, 5, 4, 3))), {}),
    ("AdaptiveAvgPool1d", (3,), {}, _inputs((_normal, (2, 3, 8))), {}),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, _inputs((_normal, (2, 2, 5, 4, 7))), {}),
    ("AdaptiveAvgPool3d", (1,), {}, _inputs((_normal, (3, 2, 2, 2))), {}),
    ("MaxUnpool1d", (2,), {}, _pooled(1, (2, 3, 8)), {}),
    ("MaxUnpool2d", (2,), {}, _pooled(2, (2, 2, 6, 4)), dict(output_size=(7, 5))),
    ("MaxUnpool3d", (2,), {}, _pooled(3, (1, 2, 4, 2, 6)), {}),
    ("LPPool1d", (2, 3), dict(stride=2), _inputs((_normal, (2, 3, 8))), {}),
    ("LPPool2d", (1.5, (2, 3)), dict(stride=1, ceil_mode=True),
     _inputs((lambda rng, *s: rng.uniform(0.5, 2, s), (2, 2, 5, 6))), {}),
    ("LPPool3d", (float("inf"), 2), {}, _inputs((_distinct, (1, 2, 4, 4, 4))), {}),
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
    compare_with_torch(ours, theirs, tuple(make_inputs(rng)), fwd_kw)


@pytest.mark.parametrize("name", ["Conv3d", "ConvTranspose1d", "ConvTranspose3d"])
def test_conv_layers_float32_and_init_match_torch(name, rng):
    torch = pytest.importorskip("torch")
    shape = {"Conv3d": (2, 2, 4, 4, 4), "ConvTranspose1d": (2, 2, 5),
             "ConvTranspose3d": (1, 2, 2, 3, 3)}[name]
    compare_with_torch(getattr(nn, name)(2, 3, 2, stride=2), getattr(torch.nn, name)(2, 3, 2, stride=2),
                       (_normal(rng, *shape),), dtype=np.float32)
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
    compare_with_torch(nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1),
                       torch.nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1), (x,),
                       {"output_size": (4, 6, 5)})
    layer = nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match="requested an output size of"):
        layer(autograd.tensor(x, dtype=autograd.float32), output_size=(9, 6, 5))
