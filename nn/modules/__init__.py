"""All layer classes; ``nn`` re-exports them.

Families: container, linear, activation, loss, normalization, dropout, sparse, flatten,
and (written alongside) conv, pooling, rnn, attention, transformer.
"""
import importlib as _importlib
import importlib.util as _ilu

from ..module import Module  # noqa: F401  (torch.nn.modules exports it)
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403

__all__ = ["Module"]
_FAMILIES = ("container", "linear", "activation", "loss", "normalization", "dropout", "sparse",
             "flatten", "conv", "pooling", "padding", "upsampling", "pixelshuffle",
             "channelshuffle", "fold", "distance", "instancenorm", "rnn", "attention", "transformer",
             "syncbatchnorm")
for _fam in _FAMILIES:
    # conv/pooling/rnn/attention/transformer may not exist in a partial checkout; when the file
    # exists, import errors inside it still surface.
    if _ilu.find_spec(f"{__name__}.{_fam}") is None:
        continue
    _mod = _importlib.import_module(f"{__name__}.{_fam}")
    for _name in getattr(_mod, "__all__", ()):
        globals()[_name] = getattr(_mod, _name)
        __all__.append(_name)
