"""``Transformer``, ``TransformerEncoder(Layer)`` and ``TransformerDecoder(Layer)`` (mirror
``torch.nn``).

One encoder layer = self-attention + a two-layer feed-forward network, each wrapped in a
residual connection with LayerNorm, after the sublayer (post-norm, the default, as in
"Attention Is All You Need") or before it (``norm_first=True``, pre-norm). A decoder layer
adds attention over the encoder's output (``memory``) between the two.

Submodule names and order are torch's, so ``state_dict`` keys match: ``self_attn.*``,
(``multihead_attn.*``), ``linear1``, ``dropout``, ``linear2``, ``norm1``, ``norm2``,
(``norm3``), ``dropout1``, ``dropout2``, (``dropout3``).

Masks follow torch: boolean masks (True = do not attend) become float masks of the input's
dtype (-inf where True), a mask that equals the causal one is recognised as causal, and a
``TransformerEncoder`` in inference (eval mode, no gradient needed) with a key padding mask
returns zeros (then the final norm) at the padded positions, as torch's nested-tensor path
does.

Example:
    >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32,
    ...                                    batch_first=True)
    >>> encoder = nn.TransformerEncoder(layer, num_layers=2)
    >>> encoder(autograd.randn(3, 7, 16)).shape
    autograd.Size([3, 7, 16])
"""

from __future__ import annotations

import copy
import warnings

import numpy as np

import autograd

from .. import functional as F
from .. import init
from ..module import Module
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .normalization import LayerNorm

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """torch's mask normalisation: a boolean mask becomes a float mask of ``target_type``
    (-inf where True); a mask whose type differs from the other mask's warns."""
    if mask is None:
        return None
    if mask.dtype != autograd.bool and not mask.is_floating_point():
        raise TypeError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
            f"same type for both instead.",
            stacklevel=3,
        )
    if not mask.is_floating_point():
        return autograd.tensor(np.where(mask.numpy(), -np.inf, 0.0), dtype=target_type)
    return mask


def _none_or_dtype(t):
    return None if t is None else t.dtype


def _detect_is_causal_mask(mask, is_causal=None, size=None) -> bool:
    """``is_causal`` if given; otherwise whether ``mask`` is the causal mask of this size."""
    if is_causal is not None or mask is None:
        return bool(is_causal)
    sz = size if size is not None else mask.shape[-2]
    causal = np.triu(np.full((sz, sz), -np.inf), 1)
    return tuple(mask.shape) == causal.shape and bool((mask.numpy() == causal).all())


def _seq_len(src, batch_first):
    if src.dim() == 2:  # unbatched: (S, E)
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: self-attention (``self_attn``), in a
    decoder layer (``_cross_attention``) attention over the encoder's output
    (``multihead_attn``), the feed-forward block (``linear1``, ``dropout``, ``linear2``) and
    one LayerNorm and one dropout per sublayer (``norm1``, ``dropout1`` ...), registered in
    torch's order so that ``state_dict`` keys match."""

    _cross_attention = False

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        kw = dict(bias=bias, device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, batch_first=batch_first, **kw
        )
        if self._cross_attention:
            self.multihead_attn = MultiheadAttention(
                d_model, nhead, dropout=dropout, batch_first=batch_first, **kw
            )
        self.linear1 = Linear(d_model, dim_feedforward, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, **kw)
        if self._cross_attention:
            self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if self._cross_attention:
            self.dropout3 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        self.activation = activation

    @staticmethod
    def _attend(attention, dropout, x, kv, attn_mask, key_padding_mask, is_causal):
        """An attention sublayer: ``x`` attends to ``kv`` (itself, or the memory), then
        dropout."""
        out = attention(
            x,
            kv,
            kv,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return dropout(out)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        attention, dropout = self.self_attn, self.dropout1
        return self._attend(attention, dropout, x, x, attn_mask, key_padding_mask, is_causal)

    def _feed_forward(self, x):
        """The feed-forward sublayer without its last dropout (dropout2 or dropout3)."""
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then feed-forward, each with dropout, a residual and LayerNorm.

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``; ``src`` is
    (S, N, E), or (N, S, E) with ``batch_first=True``. ``activation`` is "relu", "gelu" or
    a callable.

    Example:
        >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
        >>> layer(autograd.randn(5, 3, 8)).shape
        autograd.Size([5, 3, 8])
    """

    @property
    def activation_relu_or_gelu(self) -> bool:
        """Whether the activation is relu or gelu (one condition of torch's fast path)."""
        return self.activation in (F.relu, F.gelu)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        src_key_padding_mask = _canonical_mask(
            src_key_padding_mask,
            "src_key_padding_mask",
            _none_or_dtype(src_mask),
            "src_mask",
            src.dtype,
        )
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, check_other=False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _ff_block(self, x):
        return self.dropout2(self._feed_forward(x))


class TransformerEncoder(Module):
    """A stack of ``num_layers`` independent copies of ``encoder_layer`` (``layers.0`` ...),
    optionally followed by a final ``norm``.

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)``.

    Example:
        >>> layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> enc = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(8))
        >>> enc(autograd.randn(2, 5, 8)).shape
        autograd.Size([2, 5, 8])
    """

    def __init__(
        self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True
    ):
        super().__init__()
        # deep copies: every layer gets its own parameters (initially equal, like torch)
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        # torch's inference path over "nested" (unpadded) sequences: only for the layers it
        # supports, with the same warning when it cannot be used
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = self._why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(
                f"enable_nested_tensor is True, but self.use_nested_tensor is False "
                f"because {why_not}",
                stacklevel=2,
            )
            self.use_nested_tensor = False

    @staticmethod
    def _why_not_nested(layer) -> str:
        name = "encoder_layer"
        if not isinstance(layer, TransformerEncoderLayer):
            return f"{name} was not TransformerEncoderLayer"
        if layer.norm_first:
            return f"{name}.norm_first was True"
        if not layer.self_attn.batch_first:
            return (
                f"{name}.self_attn.batch_first was not True(use batch_first for better "
                f"inference performance)"
            )
        if not layer.self_attn._qkv_same_embed_dim:
            return f"{name}.self_attn._qkv_same_embed_dim was not True"
        if layer.self_attn.in_proj_bias is None:
            return f"{name}.self_attn was passed bias=False"
        if not layer.activation_relu_or_gelu:
            return f"{name}.activation_relu_or_gelu was not True"
        if layer.norm1.eps != layer.norm2.eps:
            return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
        if layer.self_attn.num_heads % 2 == 1:
            return f"{name}.self_attn.num_heads is odd"
        return ""

    def _padded_outputs_are_zero(self, src, mask, key_padding_mask) -> bool:
        """Whether torch would run its nested-tensor path (inference with a key padding
        mask), whose outputs at padded positions are zeros."""
        first = self.layers[0]
        if not self.use_nested_tensor or first.training or src.dim() != 3:
            return False
        if key_padding_mask is None or mask is not None:
            return False
        if autograd.amp.is_autocast_enabled("cpu"):
            return False
        padded = np.isneginf(key_padding_mask.numpy())
        if self.mask_check and (np.diff(padded.astype(int), axis=1) < 0).any():
            return False  # not left aligned (padding only at the end of each sequence)
        params = [src] + list(first.parameters())
        return not (autograd.is_grad_enabled() and any(p.requires_grad for p in params))

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        src_key_padding_mask = _canonical_mask(
            src_key_padding_mask, "src_key_padding_mask", _none_or_dtype(mask), "mask", src.dtype
        )
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, check_other=False)
        zero_padded = self._padded_outputs_are_zero(src, mask, src_key_padding_mask)
        first = self.layers[0]
        is_causal = _detect_is_causal_mask(
            mask, is_causal, _seq_len(src, first.self_attn.batch_first)
        )
        output = src
        for mod in self.layers:
            output = mod(
                output,
                src_mask=mask,
                is_causal=is_causal,
                src_key_padding_mask=src_key_padding_mask,
            )
        if zero_padded:
            keep = autograd.tensor(~np.isneginf(src_key_padding_mask.numpy())[..., None])
            output = autograd.where(keep, output, autograd.zeros((), dtype=output.dtype))
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention over the target, attention over the encoder's output (``memory``),
    then feed-forward; each with dropout, a residual and LayerNorm (post-norm, or pre-norm
    with ``norm_first=True``).

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``; shapes
    (T, N, E) and (S, N, E), or batch first with ``batch_first=True``.

    Example:
        >>> layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
        >>> layer(autograd.randn(4, 3, 8), autograd.randn(6, 3, 8)).shape
        autograd.Size([4, 3, 8])
    """

    _cross_attention = True

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=False,
        memory_is_causal=False,
    ):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        attention, dropout = self.multihead_attn, self.dropout2
        return self._attend(attention, dropout, x, mem, attn_mask, key_padding_mask, is_causal)

    def _ff_block(self, x):
        return self.dropout3(self._feed_forward(x))


class TransformerDecoder(Module):
    """A stack of ``num_layers`` independent copies of ``decoder_layer``, optionally followed
    by a final ``norm``; a ``tgt_mask`` equal to the causal mask is recognised as causal.

    Example:
        >>> dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 2)
        >>> dec(autograd.randn(4, 3, 8), autograd.randn(6, 3, 8)).shape
        autograd.Size([4, 3, 8])
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        output = tgt
        tgt_is_causal = _detect_is_causal_mask(
            tgt_mask, tgt_is_causal, _seq_len(tgt, self.layers[0].self_attn.batch_first)
        )
        for mod in self.layers:
            output = mod(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=tgt_is_causal,
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder transformer of "Attention Is All You Need": ``encoder`` (a
    ``TransformerEncoder`` with a final LayerNorm) reads ``src``, ``decoder`` attends to its
    output while reading ``tgt``. Parameters with more than one dim start Xavier-uniform.

    ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    src_is_causal=None, tgt_is_causal=None, memory_is_causal=False)``.

    Example:
        >>> model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
        ...                        num_decoder_layers=1, dim_feedforward=16, batch_first=True)
        >>> tgt_mask = nn.Transformer.generate_square_subsequent_mask(4)
        >>> model(autograd.randn(2, 5, 8), autograd.randn(2, 4, 8), tgt_mask=tgt_mask).shape
        autograd.Size([2, 4, 8])
    """

    def __init__(
        self,
        d_model=512,
        nhead=8,
        num_encoder_layers=6,
        num_decoder_layers=6,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        custom_encoder=None,
        custom_decoder=None,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        # what the encoder and the decoder layers are built from
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps)
        layer_args += (batch_first, norm_first, bias)

        def stack(custom, layer_class, stack_class, num_layers):
            """``custom`` if given, else ``num_layers`` layers ending in a LayerNorm."""
            if custom is not None:
                return custom
            layer = layer_class(*layer_args, **kw)
            final_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            return stack_class(layer, num_layers, final_norm)

        self.encoder = stack(
            custom_encoder, TransformerEncoderLayer, TransformerEncoder, num_encoder_layers
        )
        self.decoder = stack(
            custom_decoder, TransformerDecoderLayer, TransformerDecoder, num_decoder_layers
        )
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

    def forward(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        is_batched = src.dim() == 3
        batch = 0 if self.batch_first else 1
        if is_batched and src.shape[batch] != tgt.shape[batch]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """A float (sz, sz) causal mask: 0 on and below the diagonal, -inf above.

        Example:
            >>> nn.Transformer.generate_square_subsequent_mask(3)
            tensor([[  0., -inf, -inf],
                    [  0.,   0., -inf],
                    [  0.,   0.,   0.]])
        """
        return generate_square_subsequent_mask(sz, dtype=dtype)


def generate_square_subsequent_mask(sz, dtype=None):
    """A float (sz, sz) causal mask: 0 on and below the diagonal, -inf above (torch's
    ``nn.Transformer.generate_square_subsequent_mask``).

    Example:
        >>> nn.modules.transformer.generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
    """
    return autograd.triu(autograd.full((sz, sz), float("-inf"), dtype=dtype), diagonal=1)
