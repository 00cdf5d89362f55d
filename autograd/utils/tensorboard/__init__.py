"""TensorBoard logging (mirrors ``torch.utils.tensorboard``): ``SummaryWriter``.

Needs the optional ``tensorboardX`` package (``pip install "jitgrad[tensorboard]"``); view the
logs with TensorBoard (``pip install tensorboard; tensorboard --logdir runs``).

Example:
    >>> from autograd.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter("runs/demo") as w:                     # doctest: +SKIP
    ...     for step in range(3):
    ...         w.add_scalar("loss", 1.0 / (step + 1), step)
"""

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
