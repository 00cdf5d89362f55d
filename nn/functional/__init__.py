"""``nn.functional``: stateless forms of the layers (mirrors ``torch.nn.functional``).

The differentiable ops live in ``autograd.ops``: activations, convolution, pooling and
distances are exported by ``autograd`` and re-exported here under torch's names; losses,
normalisation and padding/resizing (``autograd.ops.loss`` / ``classification_loss`` /
``margin_loss`` / ``ctc`` / ``normalization`` / ``vision`` / ``grid_sample``) are exported
only here, as in torch. This package adds the
compositions: linear layers, embeddings, dropout, gumbel_softmax and the pools'
``*_with_indices``.

Example:
    >>> import autograd, nn.functional as F
    >>> F.relu(autograd.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

import importlib as _importlib

import autograd as _ag

from autograd.ops import ctc as _ctc, loss as _loss, margin_loss as _margin
from autograd.ops import classification_loss as _xent
from autograd.ops import normalization as _norm, vision as _vision
from autograd.ops import grid_sample as _grid
from autograd.ops.ctc import *
from autograd.ops.classification_loss import *
from autograd.ops.loss import *
from autograd.ops.margin_loss import *
from autograd.ops.normalization import *
from autograd.ops.vision import *
from autograd.ops.grid_sample import *

from ._linear import *
from ._dropout import *
from ._pooling import *
from ._gumbel import *
from . import _linear, _dropout, _gumbel, _pooling

# activations, convolution, pooling, folding and distances live in autograd.ops (torch has
# them as torch.* too): these op families are re-exported here whole, as they exist
_OP_FAMILIES = (
    "activation",
    "hard_activation",
    "softmax",
    "shrink",
    "conv",
    "conv_transpose",
    "pooling",
    "avg_pooling",
    "adaptive_pooling",
    "fold",
)
_REEXPORTED = (
    *(
        name
        for family in _OP_FAMILIES
        for name in _importlib.import_module(f"autograd.ops.{family}").__all__
    ),
    "sigmoid",  # of the elementwise math only these two are in torch.nn.functional
    "tanh",
    "cosine_similarity",  # not cdist: torch.nn.functional has no cdist
    "pairwise_distance",
    "pdist",
    "scaled_dot_product_attention",
)
__all__ = (
    list(_linear.__all__)
    + list(_loss.__all__)
    + list(_xent.__all__)
    + list(_margin.__all__)
    + list(_ctc.__all__)
    + list(_norm.__all__)
    + list(_dropout.__all__)
    + list(_vision.__all__)
    + list(_grid.__all__)
    + list(_pooling.__all__)
    + list(_gumbel.__all__)
)
for _name in _REEXPORTED:
    if hasattr(_ag, _name) and _name not in globals():
        globals()[_name] = getattr(_ag, _name)
        __all__.append(_name)


def relu(input, inplace: bool = False):
    """``max(x, 0)``; ``inplace=True`` overwrites ``input``.

    Example:
        >>> F.relu(autograd.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return input.relu_() if inplace else _ag.relu(input)


def sigmoid(input):
    """The logistic function ``1 / (1 + exp(-x))``."""
    return _ag.sigmoid(input)


def tanh(input):
    """Hyperbolic tangent."""
    return _ag.tanh(input)


def softmin(input, dim=None, dtype=None):
    """``softmax(-x)``."""
    return _ag.softmax(-input, dim, dtype)


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """``x if x > threshold else value``."""
    out = _ag.where(input > threshold, input, _ag.full_like(input, value))
    return input.copy_(out) if inplace else out


def glu(input, dim: int = -1):
    """Gated linear unit: ``a * sigmoid(b)`` with ``a, b`` the two halves along ``dim``."""
    n = input.shape[dim]
    if n % 2:
        raise ValueError(f"Halving dimension must be even, but dimension {dim} is size {n}")
    a, b = input.chunk(2, dim)
    return a * _ag.sigmoid(b)


for _n in ("relu", "sigmoid", "tanh", "softmin", "threshold", "glu"):
    if _n not in __all__:
        __all__.append(_n)


_ATTENTION = ("scaled_dot_product_attention", "multi_head_attention_forward")
__all__ += list(_ATTENTION)


def __getattr__(name):
    # ops written in parallel in autograd (conv/pool ...) become visible as soon as they exist
    if name in _REEXPORTED and hasattr(_ag, name):
        return getattr(_ag, name)
    if name in _ATTENTION:  # nn/functional_attention.py imports nn modules: import it lazily
        from .. import functional_attention

        return getattr(functional_attention, name)
    raise AttributeError(f"module 'nn.functional' has no attribute {name!r}")
