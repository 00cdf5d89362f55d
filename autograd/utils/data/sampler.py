"""Samplers (``torch.utils.data.sampler``): which dataset indices a DataLoader visits, in
which order.

Random samplers draw *lazily*, a chunk at a time, as torch's do: memory does not depend on
``num_samples``, so the "infinite loader" idiom ``RandomSampler(ds, replacement=True,
num_samples=int(1e10))`` costs nothing until iterated. Without a ``generator=``, each pass
over a sampler first draws one seed from the default generator (``autograd.manual_seed``)
and then uses a private generator made from it, as torch does: the order then depends
only on the seed, not on what else draws random numbers during the pass (dropout in the
training loop, worker processes).

Example:
    >>> from autograd.utils.data import RandomSampler, BatchSampler
    >>> endless = RandomSampler(range(5), replacement=True, num_samples=10**12)
    >>> it = iter(BatchSampler(endless, batch_size=3, drop_last=False))
    >>> len(next(it)), len(endless)
    (3, 1000000000000)
"""

from __future__ import annotations

import numpy as np

from ...random import _gen
from ...tensor import Tensor

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

_CHUNK = 32  # indices drawn at a time with replacement (torch's RandomSampler uses 32 too)


def _pass_rng(generator) -> np.random.Generator:
    """The random stream of one pass: the given generator, or a private one seeded by one
    draw from the default generator."""
    if generator is not None:
        return _gen(generator)
    return np.random.Generator(np.random.PCG64(int(_gen(None).integers(0, 2**63))))


def _check_positive_int(name, value, exc=ValueError):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise exc(f"{name} should be a positive integer value, but got {name}={value}")


def _check_bool(name, value, exc):
    if not isinstance(value, bool):
        raise exc(f"{name} should be a boolean value, but got {name}={value}")


class Sampler:
    """Base class: ``__iter__`` yields indices (or lists of indices, for batch samplers)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a permutation (repeated, then cut, when ``num_samples`` is
    larger than the dataset), or ``num_samples`` independent draws with ``replacement=True``.

    Example:
        >>> g = autograd.Generator().manual_seed(0)
        >>> sorted(RandomSampler(range(4), generator=g))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_bool("replacement", replacement, TypeError)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = _pass_rng(self.generator)
        if self.replacement:
            full, rest = divmod(self.num_samples, _CHUNK)
            for _ in range(full):
                yield from rng.integers(0, n, _CHUNK).tolist()
            yield from rng.integers(0, n, rest).tolist()
        else:
            full, rest = divmod(self.num_samples, n)
            for _ in range(full):
                yield from rng.permutation(n).tolist()
            yield from rng.permutation(n)[:rest].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` (any sequence), in random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _pass_rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    With replacement the draws are made a chunk at a time (any ``num_samples``); without,
    ``num_samples`` cannot exceed the number of non-zero weights.

    Example:
        >>> s = WeightedRandomSampler([0.0, 1.0, 0.0], num_samples=3)
        >>> list(s)
        [1, 1, 1]
    """

    _chunk = 1024

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement, ValueError)
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}"
            )
        # (torch finds these when it first draws; here they are found at once)
        if not (w >= 0).all():
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)"
            )
        if not np.isfinite(w).all():
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability "
                "entry = infinity or NaN)"
            )
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > len(w):
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
            )
        self.weights = Tensor._make(w)
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        w = self.weights._data
        rng = _pass_rng(self.generator)
        if not self.replacement:
            # exponential races (see autograd.multinomial): the first arrivals are a draw
            # without replacement; weight 0 arrives last
            with np.errstate(divide="ignore"):
                keys = rng.exponential(size=len(w)) / w
            yield from np.argsort(keys, kind="stable")[: self.num_samples].tolist()
            return
        cdf = np.cumsum(w)
        cdf /= cdf[-1]
        left = self.num_samples
        while left:
            k = min(left, self._chunk)
            yield from np.minimum(
                np.searchsorted(cdf, rng.random(k), side="right"), len(w) - 1
            ).tolist()
            left -= k

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size`` (lazily).

    Example:
        >>> list(BatchSampler(range(5), 2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last, ValueError)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
