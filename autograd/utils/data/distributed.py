"""``DistributedSampler``: each rank iterates over its own share of a dataset
(``torch.utils.data.distributed``; also exported by ``autograd.utils.data``)."""

from __future__ import annotations

import math

from ...random import Generator

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """Split the dataset's indices between ``num_replicas`` ranks, each a disjoint share.

    Every rank draws the same permutation (from ``seed + epoch``) and keeps every
    ``num_replicas``-th index starting at its ``rank``. When the dataset does not divide
    evenly, the list is padded with indices from its start so all ranks get the same number
    of samples (some samples are then seen twice per epoch); ``drop_last=True`` drops the
    tail instead. Call ``set_epoch(epoch)`` at the start of each epoch, or every epoch
    repeats the same order.

    ``num_replicas`` and ``rank`` default to the default process group's world size and rank.

    Example:
        >>> s = DistributedSampler(range(10), num_replicas=3, rank=0, shuffle=False)
        >>> list(s), len(s)          # 10 indices padded to 12: rank 0 gets 0, 3, 6, 9
        ([0, 3, 6, 9], 4)
        >>> list(DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False))
        [2, 5, 8, 0]
    """

    def __init__(
        self,
        dataset,
        num_replicas=None,
        rank=None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ):
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # the largest equal share (the tail is dropped)
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            # The same seed on every rank => the same permutation => disjoint shares.
            g = Generator().manual_seed(self.seed + self.epoch)
            indices = g.numpy.permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:  # a tiny dataset and many ranks: repeat it as often as needed
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        assert len(indices) == self.total_size  # internal invariant, not user input
        share = indices[self.rank : self.total_size : self.num_replicas]
        return iter(share)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use a different shuffle for ``epoch`` (the same on every rank)."""
        self.epoch = epoch
