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

from .dataset import Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset, random_split
from .sampler import (
    Sampler,
    SequentialSampler,
    RandomSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    BatchSampler,
)
from .dataloader import DataLoader, default_collate, get_worker_info
from .distributed import DistributedSampler

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "random_split",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "DataLoader",
    "default_collate",
    "get_worker_info",
    "DistributedSampler",
]
