"""``torch.nn.modules.batchnorm``: the batch-norm layers under torch's module name (they are
written in ``normalization.py`` with the other normalisation layers, ``SyncBatchNorm`` in
``syncbatchnorm.py``)."""

from .normalization import _BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d  # noqa: F401
from .syncbatchnorm import SyncBatchNorm

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm"]
