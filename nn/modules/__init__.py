"""All layer classes; ``nn`` re-exports them.

Families: container, linear, activation, loss, normalization, dropout, sparse, flatten,
and (written alongside) conv, pooling, rnn, attention, transformer.
"""

import importlib as _importlib
import importlib.util as _ilu

from ..module import Module  # torch.nn.modules exports it
from .container import *
from .linear import *
from .activation import *
from .loss import *
from .normalization import *
from .dropout import *
from .sparse import *
from .flatten import *

__all__ = ["Module"]
_FAMILIES = (
    "container",
    "linear",
    "activation",
    "loss",
    "normalization",
    "dropout",
    "sparse",
    "flatten",
    "conv",
    "pooling",
    "padding",
    "upsampling",
    "pixelshuffle",
    "channelshuffle",
    "fold",
    "distance",
    "instancenorm",
    "rnn",
    "attention",
    "transformer",
    "syncbatchnorm",
)
for _fam in _FAMILIES:
    # conv/pooling/rnn/attention/transformer may not exist in a partial checkout; when the file
    # exists, import errors inside it still surface.
    if _ilu.find_spec(f"{__name__}.{_fam}") is None:
        continue
    _mod = _importlib.import_module(f"{__name__}.{_fam}")
    for _name in getattr(_mod, "__all__", ()):
        globals()[_name] = getattr(_mod, _name)
        __all__.append(_name)
