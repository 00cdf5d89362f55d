"""Datasets, samplers and the DataLoader (mirrors ``torch.utils.data``).

Laid out as torch's package, so imports of its submodules work too:
``dataset`` (Dataset, TensorDataset, Subset, ConcatDataset, random_split ...), ``sampler``
(RandomSampler, WeightedRandomSampler, BatchSampler ...), ``dataloader`` (DataLoader,
default_collate, get_worker_info) and ``distributed`` (DistributedSampler).

Example:
    >>> import autograd
    >>> from autograd.utils.data import TensorDataset, DataLoader
    >>> ds = TensorDataset(autograd.arange(10).float(), autograd.arange(10))
    >>> xb, yb = next(iter(DataLoader(ds, batch_size=4, shuffle=True)))
    >>> xb.shape
    autograd.Size([4])
"""

from . import dataset, distributed, sampler
from .dataset import *
from .sampler import *
from .dataloader import DataLoader, default_collate, get_worker_info
from .distributed import *

# the submodules' public names (dataloader's WorkerInfo stays there, as in torch)
__all__ = [
    *dataset.__all__,
    *sampler.__all__,
    "DataLoader",
    "default_collate",
    "get_worker_info",
    *distributed.__all__,
]
