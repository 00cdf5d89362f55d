"""Attention as functions: ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (re-exported by ``nn.functional``, like ``torch.nn.functional``).

Both are compositions of differentiable ops (matmul, softmax, ...), so gradients of any
order come from autograd. Masks follow PyTorch's conventions, which differ between the two:

* ``scaled_dot_product_attention``: a boolean ``attn_mask`` says where attention is
  *allowed* (True = take part); a float mask is added to the scores.
* ``multi_head_attention_forward`` / ``nn.MultiheadAttention``: boolean ``attn_mask`` and
  ``key_padding_mask`` say what is *masked out* (True = ignore); float masks are added.
"""

from __future__ import annotations

import math

import numpy as np

import autograd
from autograd import amp

from .functional._linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _additive_mask(mask, dtype, allowed_when_true):
    """A boolean mask becomes 0 / -inf scores (constant, no gradient); float masks pass as is."""
    if mask is None:
        return None
    if mask.dtype == autograd.bool:
        keep = mask.numpy() if allowed_when_true else ~mask.numpy()
        return autograd.tensor(np.where(keep, 0.0, -np.inf), dtype=dtype)
    if not mask.is_floating_point():
        raise TypeError(f"attention masks must be bool or floating point, got {mask.dtype}")
    return mask


def _safe_softmax(scores):
    """softmax over the last dim, where a row whose scores are all -inf (fully masked)
    gives zeros instead of NaN, as torch's scaled_dot_product_attention does."""
    dead = np.isneginf(scores.detach().numpy()).all(axis=-1, keepdims=True)
    if not dead.any():
        return autograd.softmax(scores, -1)
    dead_t = autograd.tensor(dead)
    # replace dead rows by zeros before the softmax (no NaN anywhere), then zero them out
    probs = autograd.softmax(
        autograd.where(dead_t, autograd.zeros((), dtype=scores.dtype), scores), -1
    )
    return autograd.where(dead_t, autograd.zeros((), dtype=scores.dtype), probs)


@amp.lower_precision
def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """softmax(Q K^T * scale + mask) V over the last two dims, batched over the leading ones.

    ``query`` is (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev); ``scale`` defaults to
    1/sqrt(E). ``attn_mask`` broadcasts to (..., L, S): bool (True = may attend) or float
    (added to the scores). ``is_causal=True`` lets position i attend to positions <= i only
    (and needs ``attn_mask=None``). ``enable_gqa`` lets key/value have fewer heads (dim -3)
    than query, each shared by a group of query heads. Dropout with ``dropout_p`` is applied
    to the attention weights (always, like torch: pass 0.0 in eval mode). Fully masked rows
    give zeros.

    Example:
        >>> q = k = v = autograd.randn(2, 4, 5, 8)       # batch, heads, length, head dim
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        autograd.Size([2, 4, 5, 8])
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, autograd.Tensor):
            raise TypeError(
                f"scaled_dot_product_attention: {name} must be a Tensor, got {type(t).__name__}"
            )
        if t.dim() < 2:
            raise RuntimeError(
                f"scaled_dot_product_attention: {name} must be at least 2-D "
                f"(..., length, features), got shape {list(t.shape)}"
            )
    if query.size(-1) != key.size(-1):
        raise RuntimeError(
            f"scaled_dot_product_attention: query and key must have the same "
            f"embedding dimension, got query {list(query.shape)} and key "
            f"{list(key.shape)}"
        )
    if key.size(-2) != value.size(-2):
        raise RuntimeError(
            f"scaled_dot_product_attention: key and value must have the same "
            f"sequence length, got key {list(key.shape)} and value "
            f"{list(value.shape)}"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    L, S = query.size(-2), key.size(-2)
    scale_factor = 1.0 / math.sqrt(query.size(-1)) if scale is None else scale

    if enable_gqa and query.dim() >= 3 and key.size(-3) != query.size(-3):
        groups = query.size(-3) // key.size(-3)
        if groups * key.size(-3) != query.size(-3):
            raise RuntimeError(
                "scaled_dot_product_attention: with enable_gqa=True the number "
                f"of query heads ({query.size(-3)}) must be a multiple of the "
                f"number of key/value heads ({key.size(-3)})"
            )
        key = _repeat_heads(key, groups)
        value = _repeat_heads(value, groups)

    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be "
                "set when is_causal=True"
            )
        bias = _additive_mask(
            autograd.tensor(np.tril(np.ones((L, S), dtype=bool))),
            query.dtype,
            allowed_when_true=True,
        )
    else:
        bias = _additive_mask(attn_mask, query.dtype, allowed_when_true=True)

    scores = autograd.matmul(query, key.transpose(-2, -1)) * scale_factor
    if bias is not None:
        scores = scores + bias
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        from . import functional as F

        weights = F.dropout(weights, dropout_p, True)
    return autograd.matmul(weights, value)


def _repeat_heads(x, groups):
    """(..., H, S, E) -> (..., H*groups, S, E), each head repeated ``groups`` times in place
    (torch's repeat_interleave along dim -3)."""
    shape = tuple(x.shape)
    expanded = x.unsqueeze(-3).expand(*shape[:-2], groups, *shape[-2:])
    return expanded.reshape(*shape[:-3], shape[-3] * groups, *shape[-2:])


def _check_key_value_mask(kind, nd, key, value, key_padding_mask):
    """torch's messages for key / value / key_padding_mask of the wrong rank."""
    if key.dim() != nd or value.dim() != nd:
        raise ValueError(
            f"For {kind} `query`, expected `key` and `value` to be {nd}-D "
            f"but found {key.dim()}-D and {value.dim()}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.dim() != nd - 1:
        raise ValueError(
            f"For {kind} `query`, expected `key_padding_mask` to be "
            f"`None` or {nd - 1}-D but found {key_padding_mask.dim()}-D tensor "
            "instead"
        )


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """torch's _mha_shape_check: is the query batched (3-D) or not (2-D)?"""
    if query.dim() == 3:
        _check_key_value_mask("batched (3-D)", 3, key, value, key_padding_mask)
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise ValueError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D "
                f"or 3-D but found {attn_mask.dim()}-D tensor instead"
            )
        return True
    if query.dim() == 2:
        _check_key_value_mask("unbatched (2-D)", 2, key, value, key_padding_mask)
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise ValueError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be "
                    f"`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor "
                    "instead"
                )
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise ValueError(
                        f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
                    )
        return False
    raise ValueError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.dim()}-D query tensor"
    )


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """The computation behind ``nn.MultiheadAttention`` (sequence-first layout).

    ``query`` (L, N, E), ``key`` (S, N, Ek), ``value`` (S, N, Ev), or unbatched (L, E) ...
    Returns ``(attn_output, attn_weights)``; ``attn_output`` is (L, N, E) and
    ``attn_weights`` is (N, L, S) averaged over heads, (N, num_heads, L, S) with
    ``average_attn_weights=False``, or None with ``need_weights=False``.

    Example:
        >>> mha = nn.MultiheadAttention(8, 2)
        >>> x = autograd.randn(5, 3, 8)
        >>> out, w = F.multi_head_attention_forward(
        ...     x, x, x, 8, 2, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
        ...     mha.out_proj.weight, mha.out_proj.bias)
        >>> out.shape, w.shape
        (autograd.Size([5, 3, 8]), autograd.Size([3, 5, 5]))
    """
    is_batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)

    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the "
            "Transformer module method `generate_square_subsequent_mask` to "
            "create this mask."
        )
    # masks become additive float masks (True = masked out here, unlike SDPA)
    key_padding_mask = _additive_mask(key_padding_mask, query.dtype, allowed_when_true=False)
    attn_mask = _additive_mask(attn_mask, query.dtype, allowed_when_true=False)

    if embed_dim != embed_dim_to_check:
        raise ValueError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise ValueError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise ValueError(
                f"key's sequence and batch dims {tuple(key.shape[:2])} do not match "
                f"value's {tuple(value.shape[:2])}"
            )
    elif key.shape != value.shape:
        raise ValueError(f"key shape {key.shape} does not match value shape {value.shape}")

    # ---- input projections
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise ValueError("use_separate_proj_weight is False but in_proj_weight is None")
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    else:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError("use_separate_proj_weight is True but q/k/v_proj_weight is None")
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    b_q, b_k, b_v = in_proj_bias.chunk(3) if in_proj_bias is not None else (None, None, None)
    if not use_separate_proj_weight and query is key and key is value:
        # self-attention: one matmul for q, k and v together
        q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
    else:
        q = linear(query, w_q, b_q)
        k = linear(key, w_k, b_k)
        v = linear(value, w_v, b_v)

    # ---- attn_mask to (1 or N*heads, L, S)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                    f"should be {(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                    f"should be {(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    # ---- learned extra key/value (add_bias_kv): one more source position
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise ValueError("bias cannot be added to static key or value.")
        k = autograd.cat([k, bias_k.expand(1, bsz, embed_dim)], 0)
        v = autograd.cat([v, bias_v.expand(1, bsz, embed_dim)], 0)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise ValueError("bias_k and bias_v must be given together")

    # ---- split heads: (len, N, E) -> (N, heads, len, head_dim)
    def heads(x):
        return x.reshape(x.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)

    q = heads(q)
    k = heads(k) if static_k is None else _static(static_k, bsz, num_heads, head_dim, "k")
    v = heads(v) if static_v is None else _static(static_v, bsz, num_heads, head_dim, "v")

    if add_zero_attn:
        zeros = autograd.zeros((bsz, num_heads, 1, head_dim), dtype=k.dtype)
        k = autograd.cat([k, zeros], 2)
        v = autograd.cat([v, zeros], 2)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[2]

    # ---- one additive mask of shape broadcastable to (N, heads, L, S)
    mask = None
    if attn_mask is not None:
        mask = (
            attn_mask.unsqueeze(0)
            if attn_mask.shape[0] == 1
            else attn_mask.reshape(bsz, num_heads, tgt_len, src_len)
        )
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise RuntimeError(
                f"Expected key_padded_mask.shape equal to {(bsz, src_len)}, but "
                f"got {tuple(key_padding_mask.shape)}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len)
        mask = kpm if mask is None else mask + kpm

    if not training:
        dropout_p = 0.0
    scores = autograd.matmul(q * math.sqrt(1.0 / head_dim), k.transpose(-2, -1))
    if mask is not None:
        scores = scores + mask
    # torch returns NaN for fully masked rows when it returns the weights, zeros otherwise
    weights = autograd.softmax(scores, -1) if need_weights else _safe_softmax(scores)
    if dropout_p > 0.0:
        from . import functional as F

        weights = F.dropout(weights, dropout_p, True)
    out = autograd.matmul(weights, v)  # (N, heads, L, hd)
    out = out.permute(2, 0, 1, 3).reshape(tgt_len, bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)

    if need_weights:
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if not is_batched:
        out = out.squeeze(1)
    return out, None


def _pad_last(mask):
    """Append one zero (= not masked) column to an additive mask."""
    if mask is None:
        return None
    zeros = autograd.zeros((*mask.shape[:-1], 1), dtype=mask.dtype)
    return autograd.cat([mask, zeros], -1)


def _static(x, bsz, num_heads, head_dim, which):
    if x.size(0) != bsz * num_heads:
        raise ValueError(
            f"expecting static_{which}.size(0) of {bsz * num_heads}, but got {x.size(0)}"
        )
    if x.size(2) != head_dim:
        raise ValueError(f"expecting static_{which}.size(2) of {head_dim}, but got {x.size(2)}")
    return x.reshape(bsz, num_heads, x.size(1), head_dim)
