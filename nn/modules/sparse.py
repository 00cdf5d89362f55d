"""Embedding and EmbeddingBag: lookup tables of learnable vectors."""

from __future__ import annotations

import autograd

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Embedding", "EmbeddingBag"]


# The values at which torch's reprs of the two layers leave a setting out (EmbeddingBag
# always shows its ``mode``).
_REPR_DEFAULTS = {
    "padding_idx": None,
    "max_norm": None,
    "norm_type": 2,
    "scale_grad_by_freq": False,
    "sparse": False,
}


def _at_default(name: str, value) -> bool:
    if name not in _REPR_DEFAULTS:
        return False
    default = _REPR_DEFAULTS[name]
    # as torch: None and False compared by identity, the number by value
    return value is default if default is None or default is False else value == default


class _EmbeddingTable(Module):
    """What Embedding and EmbeddingBag share: the ``(num_embeddings, embedding_dim)`` weight
    (given, or drawn N(0, 1) with the ``padding_idx`` row zero) and torch's ``padding_idx``
    rule (``-num_embeddings <= padding_idx < num_embeddings``, kept non-negative)."""

    _padding_idx_error: str
    _shape_error: type[Exception]
    _shown: tuple[str, ...]  # the settings ``repr`` shows (when not at their defaults)
    _repr_value = staticmethod(str)  # how torch formats their values (EmbeddingBag: repr)

    def __init__(self, max_norm, norm_type, scale_grad_by_freq):
        """The lookup settings both layers pass to their functional (renormalising the
        rows used to ``max_norm`` in the ``norm_type`` norm; gradients scaled by the
        inverse frequency of each index)."""
        super().__init__()
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq

    def _init_table(
        self, num_embeddings, embedding_dim, padding_idx, _weight, requires_grad, factory_kwargs
    ):
        """The part of ``__init__`` both layers share: the sizes, ``padding_idx`` (checked,
        then made non-negative) and the weight. The errors use the subclass's torch wording
        (``_padding_idx_error``, ``_shape_error``: torch's two layers differ there)."""
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if (padding_idx > 0 and padding_idx >= num_embeddings) or padding_idx < -num_embeddings:
                raise AssertionError(self._padding_idx_error)
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.padding_idx = padding_idx
        if _weight is None:
            shape = (num_embeddings, embedding_dim)
            self.weight = Parameter(autograd.empty(shape, **factory_kwargs), requires_grad)
            self.reset_parameters()
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise self._shape_error(
                    "Shape of weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight, requires_grad)

    def reset_parameters(self) -> None:
        """Draw the weight again from N(0, 1), with the ``padding_idx`` row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def extra_repr(self) -> str:
        """The sizes, then ``name=value`` for each setting of ``_shown`` not at its default."""
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        for name in self._shown:
            value = getattr(self, name)
            if not _at_default(name, value):
                s += f", {name}={self._repr_value(value)}"
        return s


def _pretrained_shape(embeddings):
    """(rows, cols) of the 2-D ``embeddings`` given to ``from_pretrained``."""
    if embeddings.dim() != 2:
        raise ValueError("Embeddings parameter is expected to be 2-dimensional")
    return embeddings.shape


class Embedding(_EmbeddingTable):
    """``num_embeddings`` vectors of size ``embedding_dim``, initialised N(0, 1); the row
    ``padding_idx`` is zero and gets no gradient.

    Example:
        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(autograd.tensor([[0, 4]])).shape
        autograd.Size([1, 2, 3])
    """

    _padding_idx_error = "Padding_idx must be within num_embeddings"  # torch's two spellings
    _shape_error = ValueError
    _shown = ("padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse")

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__(max_norm, norm_type, scale_grad_by_freq)
        self.sparse = sparse
        factory_kwargs = {"dtype": dtype, "device": device}
        self._init_table(
            num_embeddings, embedding_dim, padding_idx, _weight, not _freeze, factory_kwargs
        )

    def forward(self, input):
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
    ):
        """Build an Embedding whose weight is ``embeddings`` (frozen by default)."""
        rows, cols = _pretrained_shape(embeddings)
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )


class EmbeddingBag(_EmbeddingTable):
    """Sums, means or maxima of bags of embeddings (``mode``), e.g. a bag-of-words text
    classifier: ``forward(input, offsets=None, per_sample_weights=None)`` with ``input``
    (B, N) fixed-size bags, or ``input`` (M,) all bags concatenated and ``offsets`` their
    starts. Initialised N(0, 1); the row ``padding_idx`` is zero and left out of the bags.

    Example:
        >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
        >>> bag(autograd.tensor([1, 2, 4, 5, 4]), autograd.tensor([0, 2])).shape
        autograd.Size([2, 3])
    """

    _padding_idx_error = "padding_idx must be within num_embeddings"  # torch's two spellings
    _shape_error = AssertionError
    _shown = ("max_norm", "norm_type", "scale_grad_by_freq", "mode", "padding_idx")
    _repr_value = staticmethod(repr)

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight=None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device=None,
        dtype=None,
    ):
        super().__init__(max_norm, norm_type, scale_grad_by_freq)
        factory_kwargs = {"dtype": dtype, "device": device}
        self._init_table(num_embeddings, embedding_dim, padding_idx, _weight, True, factory_kwargs)
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        max_norm=None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx=None,
    ):
        """An EmbeddingBag whose weight is ``embeddings`` (frozen by default)."""
        rows, cols = _pretrained_shape(embeddings)
        bag = cls(
            rows,
            cols,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            embeddings,
            include_last_offset,
            padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag
