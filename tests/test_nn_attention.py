"""scaled_dot_product_attention, nn.MultiheadAttention, TransformerEncoderLayer/Encoder.

Against PyTorch (skipped without torch): outputs, attention weights and gradients (inputs
and every parameter, copied from torch by state_dict key) in float64 and float32, for
every mask kind and layout option. Without torch: NumPy reference for SDPA, gradchecks,
init, repr, errors.
"""

import math

import numpy as np
import pytest

import autograd
import nn
from nn.functional_attention import scaled_dot_product_attention

from torch_compare import Const, check_module_grads, compare_outputs_and_grads, convert as _convert
from torch_compare import compare_with_torch as _compare_with_torch

# attention sums over more terms: a little more float32 slack than the other layers
TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=3e-4, atol=3e-5)}


def compare_with_torch(*args, **kwargs):
    return _compare_with_torch(*args, tols=TOL, **kwargs)


_compare_outputs_and_grads = compare_outputs_and_grads


def _sdpa_reference(q, k, v, mask=None, is_causal=False, scale=None):
    """NumPy: softmax(q k^T * scale + bias) v, bool mask True = allowed."""
    L, S = q.shape[-2], k.shape[-2]
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        mask = np.tril(np.ones((L, S), bool))
    if mask is not None:
        scores = scores + (np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask)
    scores = scores - scores.max(-1, keepdims=True)
    e = np.exp(scores)
    return (e / e.sum(-1, keepdims=True)) @ v


# ---- scaled_dot_product_attention -------------------------------------------------------

SDPA_CASES = [
    dict(),
    dict(is_causal=True),
    dict(scale=0.3),
    dict(mask="bool"),
    dict(mask="float"),
    dict(mask="bool_broadcast"),
]


def _sdpa_inputs(rng, case, shape_q=(2, 3, 4, 5), S=6):
    q = rng.standard_normal(shape_q)
    k = rng.standard_normal(shape_q[:-2] + (S, shape_q[-1]))
    v = rng.standard_normal(shape_q[:-2] + (S, 3))
    kw = {k_: v_ for k_, v_ in case.items() if k_ != "mask"}
    L = shape_q[-2]
    if case.get("mask") == "bool":
        m = rng.random(shape_q[:-2] + (L, S)) > 0.3
        m[..., 0] = True  # every row can attend somewhere
        kw["attn_mask"] = m
    elif case.get("mask") == "float":
        kw["attn_mask"] = rng.standard_normal((L, S))
    elif case.get("mask") == "bool_broadcast":
        m = rng.random((1, 1, L, S)) > 0.5
        m[..., 1] = True
        kw["attn_mask"] = m
    return q, k, v, kw


@pytest.mark.parametrize("case", SDPA_CASES, ids=str)
def test_sdpa_matches_numpy_reference(case, rng):
    q, k, v, kw = _sdpa_inputs(rng, case)
    out = scaled_dot_product_attention(
        autograd.tensor(q),
        autograd.tensor(k),
        autograd.tensor(v),
        **{n: (autograd.tensor(x) if isinstance(x, np.ndarray) else x) for n, x in kw.items()},
    )
    ref = _sdpa_reference(q, k, v, kw.get("attn_mask"), kw.get("is_causal", False), kw.get("scale"))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", SDPA_CASES, ids=str)
def test_sdpa_matches_torch(case, dtype, rng):
    torch = pytest.importorskip("torch")
    q, k, v, kw = _sdpa_inputs(rng, case)
    leaves = []
    (oq, ok, ov), (tq, tk, tv) = _convert((q, k, v), dtype, torch, leaves)
    o_kw, t_kw = {}, {}
    for n, x in kw.items():
        o_kw[n], t_kw[n] = _convert(x, dtype, torch, leaves)
    _compare_outputs_and_grads(
        scaled_dot_product_attention(oq, ok, ov, **o_kw),
        torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **t_kw),
        leaves,
        {},
        {},
        dtype,
        TOL[dtype],
        torch,
    )


def test_sdpa_fully_masked_row_gives_zeros_like_torch(rng):
    q, k, v = (
        autograd.tensor(rng.standard_normal((1, 3, 4)), requires_grad=True) for _ in range(3)
    )
    mask = np.ones((3, 3), bool)
    mask[1] = False
    out = scaled_dot_product_attention(q, k, v, attn_mask=autograd.tensor(mask))
    assert np.all(out.detach().numpy()[0, 1] == 0) and np.all(np.isfinite(out.detach().numpy()))
    out.sum().backward()
    assert np.all(np.isfinite(q.grad.numpy()))


def test_sdpa_grouped_query_attention_matches_torch(rng):
    torch = pytest.importorskip("torch")
    q, k, v = (
        rng.standard_normal((2, 4, 3, 5)),
        rng.standard_normal((2, 2, 6, 5)),
        rng.standard_normal((2, 2, 6, 5)),
    )
    leaves = []
    (oq, ok, ov), (tq, tk, tv) = _convert((q, k, v), np.float64, torch, leaves)
    _compare_outputs_and_grads(
        scaled_dot_product_attention(oq, ok, ov, enable_gqa=True),
        torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, enable_gqa=True),
        leaves,
        {},
        {},
        np.float64,
        TOL[np.float64],
        torch,
    )


def test_sdpa_gradcheck_and_gradgradcheck(rng):
    q, k, v = (
        autograd.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True) for _ in range(3)
    )
    mask = autograd.tensor(
        np.array([[True, False, True], [True, True, False], [False, True, True]])
    )
    f = lambda q, k, v: scaled_dot_product_attention(q, k, v, attn_mask=mask)  # noqa: E731
    assert autograd.gradcheck(f, (q, k, v))
    assert autograd.gradgradcheck(f, (q, k, v))
    assert autograd.gradcheck(
        lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v)
    )


def test_sdpa_dropout_zeroes_weights_and_is_reseedable(rng):
    q = autograd.tensor(rng.standard_normal((1, 8, 4)), dtype=autograd.float32)
    v = autograd.ones(1, 8, 4)
    autograd.manual_seed(3)
    a = scaled_dot_product_attention(q, q, v, dropout_p=0.5)
    autograd.manual_seed(3)
    b = scaled_dot_product_attention(q, q, v, dropout_p=0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    # without dropout every output is exactly 1 (weights sum to 1); with it they scatter
    assert not np.allclose(a.numpy(), 1.0)


def test_sdpa_errors():
    q = autograd.zeros(2, 3, 4)
    with pytest.raises(
        RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"
    ):
        scaled_dot_product_attention(q, q, q, attn_mask=autograd.ones(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match="same embedding dimension"):
        scaled_dot_product_attention(q, autograd.zeros(2, 3, 5), q)


# ---- MultiheadAttention --------------------------------------------------------------

MHA_CASES = [
    dict(),
    dict(batch_first=True),
    dict(bias=False),
    dict(kdim=3, vdim=5),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(add_bias_kv=True, add_zero_attn=True, batch_first=True),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("cfg", MHA_CASES, ids=str)
def test_mha_matches_torch(cfg, need_weights, dtype, rng):
    torch = pytest.importorskip("torch")
    E, H, L, S, N = 8, 2, 4, 5, 3
    bf = cfg.get("batch_first", False)
    shape = lambda n, e: (N, n, e) if bf else (n, N, e)  # noqa: E731
    q = rng.standard_normal(shape(L, E))
    k = rng.standard_normal(shape(S, cfg.get("kdim", E)))
    v = rng.standard_normal(shape(S, cfg.get("vdim", E)))
    torch.manual_seed(0)
    compare_with_torch(
        nn.MultiheadAttention(E, H, **cfg),
        torch.nn.MultiheadAttention(E, H, **cfg),
        (q, k, v),
        {"need_weights": need_weights},
        dtype=dtype,
    )


def _masks(rng, kind, N, H, L, S):
    if kind == "kpm_bool":
        m = np.zeros((N, S), bool)
        m[0, -2:] = True
        m[1, 0] = True
        return {"key_padding_mask": m}
    if kind == "kpm_float":
        return {"key_padding_mask": rng.standard_normal((N, S))}
    if kind == "attn_bool_2d":
        return {"attn_mask": np.triu(np.ones((L, S), bool), 1)}
    if kind == "attn_float_3d":
        return {"attn_mask": rng.standard_normal((N * H, L, S))}
    if kind == "attn_bool_3d+kpm_bool":
        m = rng.random((N * H, L, S)) > 0.7
        m[..., 0] = False
        kpm = np.zeros((N, S), bool)
        kpm[:, -1] = True
        return {"attn_mask": m, "key_padding_mask": kpm}
    if kind == "attn_float+kpm_float":
        return {
            "attn_mask": rng.standard_normal((L, S)),
            "key_padding_mask": rng.standard_normal((N, S)),
        }
    raise AssertionError(kind)


MASK_KINDS = [
    "kpm_bool",
    "kpm_float",
    "attn_bool_2d",
    "attn_float_3d",
    "attn_bool_3d+kpm_bool",
    "attn_float+kpm_float",
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("kind", MASK_KINDS)
def test_mha_masks_match_torch(kind, average, dtype, rng):
    torch = pytest.importorskip("torch")
    E, H, L, S, N = 6, 3, 4, 4, 2
    x = rng.standard_normal((N, L, E))
    kw = dict(_masks(rng, kind, N, H, L, S), average_attn_weights=average)
    compare_with_torch(
        nn.MultiheadAttention(E, H, batch_first=True),
        torch.nn.MultiheadAttention(E, H, batch_first=True),
        (x, x, x),
        kw,
        dtype=dtype,
    )


def test_mha_unbatched_matches_torch(rng):
    torch = pytest.importorskip("torch")
    q, kv = rng.standard_normal((4, 6)), rng.standard_normal((5, 6))
    kpm = np.array([False, False, True, False, False])
    for bf in (False, True):
        compare_with_torch(
            nn.MultiheadAttention(6, 2, batch_first=bf),
            torch.nn.MultiheadAttention(6, 2, batch_first=bf),
            (q, kv, kv),
            {"key_padding_mask": kpm, "average_attn_weights": False},
        )


def test_mha_dropout_in_eval_matches_torch_and_training_is_random(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((5, 2, 8))
    compare_with_torch(
        nn.MultiheadAttention(8, 2, dropout=0.5),
        torch.nn.MultiheadAttention(8, 2, dropout=0.5),
        (x, x, x),
        train=False,
    )
    mha = nn.MultiheadAttention(8, 2, dropout=0.5)
    xt = autograd.tensor(x, dtype=autograd.float32)
    a, wa = mha(xt, xt, xt)
    b, wb = mha(xt, xt, xt)
    assert not np.allclose(wa.detach().numpy(), wb.detach().numpy())


def test_mha_gradcheck(rng):
    mha = nn.MultiheadAttention(4, 2, add_bias_kv=True)
    x = autograd.tensor(rng.standard_normal((3, 1, 4)), requires_grad=True)
    mask = autograd.tensor(np.triu(np.ones((3, 3), bool), 1))
    mha.double()
    params = tuple(mha.parameters())
    assert autograd.gradcheck(lambda x, *ps: mha(x, x, x, attn_mask=mask), (x,) + params)


def test_mha_parameters_init_and_repr():
    mha = nn.MultiheadAttention(64, 4)
    assert [(k, tuple(v.shape)) for k, v in mha.state_dict().items()] == [
        ("in_proj_weight", (192, 64)),
        ("in_proj_bias", (192,)),
        ("out_proj.weight", (64, 64)),
        ("out_proj.bias", (64,)),
    ]
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert [(k, tuple(v.shape)) for k, v in sep.state_dict().items()] == [
        ("q_proj_weight", (8, 8)),
        ("k_proj_weight", (8, 3)),
        ("v_proj_weight", (8, 5)),
        ("out_proj.weight", (8, 8)),
    ]
    w = mha.in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (64 + 192))  # xavier_uniform_ on (3E, E)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert not np.any(mha.in_proj_bias.detach().numpy())
    assert not np.any(mha.out_proj.bias.detach().numpy())
    assert np.abs(mha.out_proj.weight.detach().numpy()).max() <= 1 / 8  # Linear's default
    assert repr(nn.MultiheadAttention(8, 2)) == (
        "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
        "out_features=8, bias=True)\n)"
    )
    try:
        import torch
    except ImportError:
        return
    tw = torch.nn.MultiheadAttention(64, 4).in_proj_weight.detach().numpy()
    assert abs(tw.std() - w.std()) < 0.03 * bound


def test_mha_errors():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(4, 2)
    x = autograd.zeros(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is"):
        mha(x, x, x, attn_mask=autograd.zeros(2, 3))
    with pytest.raises(ValueError, match="was expecting embedding dimension of 4, but got 5"):
        y = autograd.zeros(3, 2, 5)
        mha(y, y, y)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)


def test_mha_forward_hook(rng):
    mha = nn.MultiheadAttention(4, 2)
    calls = []
    mha.register_forward_hook(lambda m, inp, out: calls.append(len(inp)))
    x = autograd.zeros(3, 2, 4)
    mha(x, x, x)
    assert calls == [3]


# ---- Transformer encoder ---------------------------------------------------------------

ENC_CASES = [
    dict(),
    dict(activation="gelu"),
    dict(norm_first=True),
    dict(batch_first=True, layer_norm_eps=1e-3),
    dict(bias=False),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cfg", ENC_CASES, ids=str)
def test_encoder_layer_matches_torch(cfg, dtype, rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x = rng.standard_normal((3, 5, 8) if cfg.get("batch_first") else (5, 3, 8))
    make = lambda lib: lib.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, **cfg)  # noqa: E731
    compare_with_torch(make(nn), make(torch.nn), (x,), dtype=dtype)


def test_encoder_layer_masks_and_eval_match_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 5, 8))
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    causal = np.triu(np.ones((5, 5), bool), 1)
    make = lambda lib: lib.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)  # noqa: E731
    compare_with_torch(
        make(nn),
        make(torch.nn),
        (x,),
        {"src_mask": causal, "src_key_padding_mask": kpm},
        train=False,
    )


def test_encoder_stack_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 2, 8))
    mask = np.triu(np.full((4, 4), -np.inf), 1)
    ours = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2, norm=nn.LayerNorm(8)
    )
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
        2,
        norm=torch.nn.LayerNorm(8),
        enable_nested_tensor=False,
    )
    # (the mask is a constant: torch recognises it as causal and does not use it at all)
    compare_with_torch(ours, theirs, (x,), {"mask": Const(mask)})


def test_encoder_layers_are_independent_copies():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    a, b = enc.layers[0].linear1.weight, enc.layers[1].linear1.weight
    assert a is not b
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    keys = list(enc.state_dict())
    assert keys[0] == "layers.0.self_attn.in_proj_weight" and keys[-1] == "layers.1.norm2.bias"


def test_encoder_layer_gradcheck(rng):
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation="gelu")
    x = autograd.tensor(rng.standard_normal((3, 1, 4)), requires_grad=True)
    check_module_grads(layer, x)


def test_encoder_layer_repr_matches_torch():
    ours = nn.TransformerEncoderLayer(8, 2, 16)
    assert repr(ours).startswith("TransformerEncoderLayer(\n  (self_attn): MultiheadAttention(\n")
    try:
        import torch
    except ImportError:
        return
    assert repr(ours) == repr(torch.nn.TransformerEncoderLayer(8, 2, 16))


def test_tiny_transformer_learns_to_copy_the_first_token(rng):
    """Self-attention must move information between positions: predict token 0's class
    from the last position."""
    optim = pytest.importorskip("optim")
    import nn.functional as F

    autograd.manual_seed(0)
    V, E, L = 4, 16, 5
    emb, pos = nn.Embedding(V, E), nn.Parameter(autograd.randn(L, E) * 0.1)
    layer = nn.TransformerEncoderLayer(E, 2, dim_feedforward=32, dropout=0.0, batch_first=True)
    head = nn.Linear(E, V)
    params = list(emb.parameters()) + [pos] + list(layer.parameters()) + list(head.parameters())
    opt = optim.Adam(params, lr=1e-2)
    tokens = rng.integers(0, V, size=(64, L))
    x_idx, y = autograd.tensor(tokens), autograd.tensor(tokens[:, 0])

    def loss_fn():
        h = layer(emb(x_idx) + pos)
        return F.cross_entropy(head(h[:, -1]), y)

    first = loss_fn().item()
    for _ in range(60):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    assert loss_fn().item() < 0.1 * first
