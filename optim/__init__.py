"""jitgrad's optimizers and learning-rate schedulers (mirrors ``torch.optim``).

Example:
    >>> import autograd, optim
    >>> w = autograd.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.1)
    >>> sched = optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    ...     sched.step()
"""

from . import _functional
from . import lr_scheduler
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .nadam import NAdam
from .radam import RAdam
from .adamax import Adamax
from .lbfgs import LBFGS
from .adadelta import Adadelta
from .rprop import Rprop
from .asgd import ASGD
from .adafactor import Adafactor
from .sparse_adam import SparseAdam

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "NAdam",
    "RAdam",
    "Adamax",
    "LBFGS",
    "Adadelta",
    "Rprop",
    "ASGD",
    "Adafactor",
    "SparseAdam",
    "lr_scheduler",
]
