"""Learning-rate schedulers (mirrors ``torch.optim.lr_scheduler``).

A scheduler rewrites ``group['lr']`` of its optimizer's parameter groups each time
``scheduler.step()`` is called (once per epoch or per batch, *after* ``optimizer.step()``).
Construction performs the first step: it records ``initial_lr`` in every group and sets the
epoch-0 learning rate.

Most schedulers use torch's *recursive* form (the new lr is computed from the group's
current lr), so several schedulers can be chained and the sequences agree with torch's to
the last bit; ``step(epoch)`` (deprecated in torch too) uses the closed form instead.

Example: linear warm-up for 5 epochs, then cosine decay::

    >>> opt = optim.SGD(params, lr=0.1)
    >>> warmup = optim.lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=5)
    >>> cosine = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=95)
    >>> sched = optim.lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[5])
    >>> for epoch in range(100):
    ...     train_one_epoch(); opt.step(); sched.step()
"""

from .scheduler import LRScheduler
from .scheduler import _LRScheduler as _LRScheduler  # (torch still has the old name)
from .decay import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .cyclic import CyclicLR, OneCycleLR
from .combined import ChainedScheduler, ReduceLROnPlateau, SequentialLR

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
]
