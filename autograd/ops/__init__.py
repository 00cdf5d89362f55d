"""All differentiable ops, by family. ``autograd`` re-exports the public names.

Families: elementwise (arithmetic), math (transcendental, rounding, misc elementwise),
compare (comparisons, logical, where), activation (softmax, ...), reduce, sorting,
movement (views and shape), join (cat/stack/split ...), indexing, linalg, conv, inplace,
sampling (random draws and fills), rnn (recurrent layers and cells as fused primitives); and,
exported by ``nn.functional`` only: loss, normalization (batch/layer/group norm ...), vision
(pad, interpolate).
"""
from ..dtypes import promote_types, result_type  # noqa: F401
from . import xp  # noqa: F401
from .registry import REGISTRY, OpInfo, Sample, register  # noqa: F401
from .elementwise import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .movement import *  # noqa: F401,F403
from .join import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .inplace import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from . import elementwise, math, compare, movement, join, reduce, sorting, indexing, linalg, \
    activation, conv, inplace, sampling, rnn  # noqa: F401,E402
# families whose public names are ``torch.nn.functional`` names only: registered here,
# exported by ``nn.functional`` (not as ``autograd.<name>``)
from . import loss, normalization, vision  # noqa: F401,E402

FAMILIES = ("elementwise", "math", "compare", "movement", "join", "reduce", "sorting", "indexing",
            "linalg", "activation", "conv", "inplace", "sampling", "rnn")
FUNCTIONAL_FAMILIES = ("loss", "normalization", "vision")


def public_names():
    """Every public op name exported by the families."""
    import sys
    names = []
    for fam in FAMILIES:
        names += list(getattr(sys.modules[__name__ + "." + fam], "__all__", []))
    return names
