"""jitgrad's neural-network package (mirrors ``torch.nn``).

Example:
    >>> import autograd, nn
    >>> import nn.functional as F
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> loss = F.cross_entropy(net(autograd.randn(5, 4)), autograd.tensor([0, 1, 2, 0, 1]))
    >>> loss.backward()
"""

from .parameter import Parameter, Buffer
from .module import Module, ModuleScope
from .modules import *
from . import functional, init, utils, parallel
