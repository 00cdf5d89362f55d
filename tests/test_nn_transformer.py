"""nn.Transformer, TransformerDecoder(Layer) and TransformerEncoder's masks against PyTorch:
state_dict keys, outputs and gradients (inputs and every parameter), boolean / float /
causal masks, torch's nested-tensor inference path (zeros at padded positions), its
warnings and errors."""

import warnings

import numpy as np
import pytest

import autograd
import nn
from torch_compare import Const, compare_with_torch

torch = pytest.importorskip("torch")


def _x(rng, *shape):
    return rng.standard_normal(shape)


DEC_CASES = [
    dict(),
    dict(norm_first=True, activation="gelu"),
    dict(batch_first=True, bias=False, layer_norm_eps=1e-3),
]


@pytest.mark.parametrize("cfg", DEC_CASES, ids=str)
def test_decoder_layer_matches_torch(cfg, rng):
    bf = cfg.get("batch_first", False)
    tgt = _x(rng, *((2, 4, 8) if bf else (4, 2, 8)))
    mem = _x(rng, *((2, 5, 8) if bf else (5, 2, 8)))
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    causal = np.triu(np.ones((4, 4), bool), 1)

    def make(lib):
        return lib.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, **cfg)

    compare_with_torch(
        make(nn), make(torch.nn), (tgt, mem), {"tgt_mask": causal, "memory_key_padding_mask": kpm}
    )


def test_decoder_stack_and_transformer_match_torch(rng):
    def make_dec(lib):
        return lib.TransformerDecoder(
            lib.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2, norm=lib.LayerNorm(8)
        )

    tgt_mask = Const(np.triu(np.full((3, 3), -np.inf), 1))
    compare_with_torch(
        make_dec(nn),
        make_dec(torch.nn),
        (_x(rng, 3, 2, 8), _x(rng, 4, 2, 8)),
        {"tgt_mask": tgt_mask},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about its nested tensors
        ours = nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, batch_first=True)
        theirs = torch.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, batch_first=True)
    assert repr(ours) == repr(theirs)
    kpm = np.zeros((2, 5), bool)
    kpm[0, 4] = True
    compare_with_torch(
        ours,
        theirs,
        (_x(rng, 2, 5, 8), _x(rng, 2, 3, 8)),
        {
            "tgt_mask": Const(nn.Transformer.generate_square_subsequent_mask(3).numpy()),
            "src_key_padding_mask": kpm,
            "memory_key_padding_mask": kpm,
        },
    )


def test_transformer_init_and_checks():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = nn.Transformer(16, 4, 1, 1, 32)
    w = model.encoder.layers[0].linear1.weight.detach().numpy()  # xavier uniform
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert model.decoder.layers[0].linear1.bias.detach().numpy().any()  # biases untouched
    src, tgt = autograd.zeros(5, 2, 16), autograd.zeros(4, 3, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(src, tgt)
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        model(src, autograd.zeros(4, 2, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=autograd.float64)
    np.testing.assert_array_equal(
        mask.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    )


def _encoder(lib, batch_first=True, nhead=2, **kw):
    layer = lib.TransformerEncoderLayer(8, nhead, 16, dropout=0.0, batch_first=batch_first)
    return lib.TransformerEncoder(layer, 2, norm=lib.LayerNorm(8), **kw)


def test_encoder_inference_with_padding_zeroes_padded_positions_like_torch(rng):
    """torch runs inference with a key padding mask over nested (unpadded) sequences: the
    padded positions come out as zeros (then the final norm)."""
    x = _x(rng, 2, 5, 8)
    pad = np.zeros((2, 5), bool)
    pad[1, 3:] = True
    ours, theirs = _encoder(nn), _encoder(torch.nn)
    ours.load_state_dict({k: autograd.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    ours.double().eval()
    theirs.double().eval()
    for grad in (False, True):  # no grad: nested path; grad: the ordinary one
        with autograd.set_grad_enabled(grad), torch.set_grad_enabled(grad):
            o = ours(autograd.tensor(x), src_key_padding_mask=autograd.tensor(pad))
            t = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad))
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-10)
        assert np.allclose(o.detach().numpy()[1, 3:], 0) != grad
    # not left aligned (padding first): no nested path, in torch either
    pad2 = pad[:, ::-1].copy()
    with autograd.no_grad(), torch.no_grad():
        o = ours(autograd.tensor(x), src_key_padding_mask=autograd.tensor(pad2))
        t = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad2))
    np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-9, atol=1e-10)


def test_encoder_masks_match_torch(rng):
    """bool and float masks, a causal mask recognised as such, and torch's warning for
    mismatched mask types."""
    x = _x(rng, 2, 4, 8)
    causal_bool = np.triu(np.ones((4, 4), bool), 1)
    causal_float = np.triu(np.full((4, 4), -np.inf), 1)
    pad = np.zeros((2, 4), bool)
    pad[0, 3] = True
    for mask, kpm in (
        (causal_bool, pad),
        (Const(causal_float), Const(np.where(pad, -np.inf, 0.0))),
    ):
        compare_with_torch(
            _encoder(nn, enable_nested_tensor=False),
            _encoder(torch.nn, enable_nested_tensor=False),
            (x,),
            {"mask": mask, "src_key_padding_mask": kpm},
        )
    enc = _encoder(nn).double()
    with pytest.warns(
        UserWarning, match="Support for mismatched src_key_padding_mask and mask is deprecated"
    ):
        enc(
            autograd.tensor(x),
            mask=autograd.tensor(causal_float),
            src_key_padding_mask=autograd.tensor(pad),
        )
    with pytest.raises(TypeError, match="only bool and floating types of mask are supported"):
        enc(autograd.tensor(x), mask=autograd.tensor(causal_bool.astype(np.int64)))


@pytest.mark.parametrize(
    "kw,reason",
    [
        (dict(batch_first=False), "encoder_layer.self_attn.batch_first was not True"),
        (dict(nhead=1), "encoder_layer.self_attn.num_heads is odd"),
    ],
)
def test_encoder_warns_when_nested_tensors_cannot_be_used_like_torch(kw, reason):
    for lib in (nn, torch.nn):
        with pytest.warns(UserWarning, match=f"self.use_nested_tensor is False because {reason}"):
            enc = _encoder(lib, **kw)
        assert enc.use_nested_tensor is False and enc.enable_nested_tensor is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _encoder(nn).use_nested_tensor is True
        _encoder(nn, batch_first=False, enable_nested_tensor=False)


def test_decoder_layer_gradcheck(rng):
    from torch_compare import check_module_grads

    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, dropout=0.0, norm_first=True)
    tgt = autograd.tensor(_x(rng, 3, 1, 4), requires_grad=True)
    mem = autograd.tensor(_x(rng, 2, 1, 4), requires_grad=True)
    check_module_grads(layer, tgt, mem)
