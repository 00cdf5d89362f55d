"""Data-parallel training over several processes (mirrors ``torch.nn.parallel``)."""
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DistributedDataParallel"]
