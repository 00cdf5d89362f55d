"""Datasets, samplers and the DataLoader (mirrors ``torch.utils.data``).

Example:
    >>> import autograd
    >>> from autograd.utils.data import TensorDataset, DataLoader
    >>> ds = TensorDataset(autograd.arange(10).float(), autograd.arange(10))
    >>> xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    >>> xb.shape, yb.tolist()
    (autograd.Size([4]), [0, 1, 2, 3])

Shuffling draws from ``autograd.manual_seed``'s default generator (or ``generator=``), so
the same seed gives the same batches. ``num_workers > 0`` loads batches in forked worker
processes (see ``_WorkerPool``): a worker that dies raises an error instead of hanging.
"""
from __future__ import annotations

import bisect
import itertools
import math
import multiprocessing as mp
import numbers
import os
import queue
import warnings

import numpy as np

from ..random import _gen, default_generator
from ..tensor import Tensor
from ._distributed_sampler import DistributedSampler  # noqa: F401  (torch: .distributed)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DataLoader", "default_collate",
           "get_worker_info"]


# ---- datasets ----------------------------------------------------------------------------
class Dataset:
    """A map-style dataset: implement ``__getitem__(index)`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream-style dataset: implement ``__iter__`` (no indexing, no sampler)."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")


class TensorDataset(Dataset):
    """Samples are ``(t[i] for t in tensors)``; all tensors share the first dimension.

    Example:
        >>> ds = TensorDataset(autograd.zeros(5, 2), autograd.arange(5))
        >>> len(ds), ds[1][1].item()
        (5, 1)
    """

    def __init__(self, *tensors: Tensor):
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError("Size mismatch between tensors: "
                             + ", ".join(str(t.shape[0]) for t in tensors))
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise ValueError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][idx - start]


def random_split(dataset, lengths, generator=None):
    """Split into non-overlapping random subsets; ``lengths`` are counts or fractions.

    Example:
        >>> train, test = random_split(range(10), [0.8, 0.2])
        >>> len(train), len(test)
        (8, 2)
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):  # hand out the remainder round-robin, like torch
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _gen(generator).permutation(n).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out


# ---- samplers ----------------------------------------------------------------------------
class Sampler:
    """Yields indices (or lists of indices for batch samplers)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation (or ``num_samples`` draws with replacement)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = _gen(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        reps = -(-self.num_samples // n)
        idx = np.concatenate([rng.permutation(n) for _ in range(reps)])[:self.num_samples]
        return iter(idx.tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order."""

    def __init__(self, indices, generator=None):
        self.indices = list(indices)
        self.generator = generator

    def __iter__(self):
        return iter([self.indices[i] for i in _gen(self.generator).permutation(len(self.indices))])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Draw ``num_samples`` indices with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1 or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("weights should be a 1-D sequence of non-negative finite numbers "
                             "with a positive sum")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError("num_samples exceeds the number of non-zero weights without "
                             "replacement")
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        p = self.weights / self.weights.sum()
        idx = _gen(self.generator).choice(len(p), size=self.num_samples,
                                          replace=self.replacement, p=p)
        return iter(idx.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
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


# ---- collation ---------------------------------------------------------------------------
def default_collate(batch):
    """Stack a list of samples into a batch, recursing into tuples, lists and dicts.

    Tensors and arrays are stacked along a new first dimension, numbers become a tensor
    (float64 for floats, int64 for ints, like torch), strings stay a list.
    """
    from ..factories import tensor as _tensor
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Tensor._make(np.stack([b._data for b in batch]))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSU":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                            f"dicts or lists; found {elem.dtype}")
        return Tensor._make(np.stack(batch))
    if isinstance(elem, np.generic):
        return Tensor._make(np.array(batch))
    if isinstance(elem, bool):
        return _tensor(batch)
    if isinstance(elem, numbers.Integral):
        return _tensor(batch, dtype="int64")
    if isinstance(elem, numbers.Real):
        return _tensor(batch, dtype="float64")
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, dict):
        return {k: default_collate([b[k] for b in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, (tuple, list)):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        out = [default_collate(list(s)) for s in zip(*batch)]
        return tuple(out) if isinstance(elem, tuple) else out
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem).__name__}")


# ---- worker processes ----------------------------------------------------------------------
class WorkerInfo:
    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset


_worker_info = None


def get_worker_info():
    """Inside a DataLoader worker: its id, num_workers, seed and dataset; else None."""
    return _worker_info


class _Wire:
    """Tensors refuse pickling (checkpoints must never use pickle); between our own worker
    processes we send their arrays instead and rebuild the tensors in the parent."""

    __slots__ = ("arr",)

    def __init__(self, arr):
        self.arr = arr


def _to_wire(obj):
    if isinstance(obj, Tensor):
        return _Wire(obj._data)
    if isinstance(obj, dict):
        return {k: _to_wire(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_to_wire(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_wire(v) for v in obj)
    return obj


def _from_wire(obj):
    if isinstance(obj, _Wire):
        return Tensor._make(obj.arr)
    if isinstance(obj, dict):
        return {k: _from_wire(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_from_wire(v) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_from_wire(v) for v in obj)
    return obj


def _worker_loop(dataset, collate_fn, index_q, result_q, worker_id, num_workers, seed,
                 worker_init_fn):
    global _worker_info
    # Numba/BLAS thread pools do not survive fork well: keep workers single-threaded.
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    default_generator.manual_seed(seed)
    np.random.seed(seed % 2**32)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    try:
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception as e:  # report, then stop
        result_q.put((-1, None, f"worker_init_fn failed in worker {worker_id}: {e!r}"))
        return
    while True:
        item = index_q.get()
        if item is None:
            return
        batch_idx, indices = item
        try:
            data = collate_fn([dataset[i] for i in indices])
            result_q.put((batch_idx, _to_wire(data), None))
        except Exception as e:  # send the error to the parent instead of dying silently
            import traceback
            result_q.put((batch_idx, None, f"{type(e).__name__} in DataLoader worker "
                                           f"{worker_id}:\n{traceback.format_exc()}"))


class _WorkerPool:
    """Forked workers; batches come back in order; a dead worker raises, never hangs."""

    def __init__(self, loader, batches):
        ctx = mp.get_context(loader.multiprocessing_context or
                             ("fork" if "fork" in mp.get_all_start_methods() else "spawn"))
        self.batches = iter(enumerate(batches))
        self.timeout = loader.timeout or None
        base_seed = int(_gen(loader.generator).integers(0, 2**62))
        self.index_qs, self.workers = [], []
        self.result_q = ctx.Queue()
        for w in range(loader.num_workers):
            q = ctx.Queue()
            p = ctx.Process(target=_worker_loop, daemon=True,
                            args=(loader.dataset, loader.collate_fn, q, self.result_q, w,
                                  loader.num_workers, base_seed + w, loader.worker_init_fn))
            p.start()
            self.index_qs.append(q)
            self.workers.append(p)
        self.sent = self.received = 0
        self.buffer = {}
        self.next_out = 0
        for _ in range(loader.prefetch_factor * loader.num_workers):
            self._send_one()

    def _send_one(self):
        try:
            idx, indices = next(self.batches)
        except StopIteration:
            return False
        self.index_qs[idx % len(self.workers)].put((idx, indices))
        self.sent += 1
        return True

    def __next__(self):
        while self.next_out not in self.buffer:
            if self.received == self.sent:
                self.close()
                raise StopIteration
            waited = 0.0
            while True:
                try:
                    batch_idx, data, err = self.result_q.get(timeout=1.0)
                    break
                except queue.Empty:
                    waited += 1.0
                    dead = [p for p in self.workers if not p.is_alive()]
                    if dead:
                        self.close()
                        raise RuntimeError(f"DataLoader worker (pid(s) "
                                           f"{', '.join(str(p.pid) for p in dead)}) exited "
                                           "unexpectedly")
                    if self.timeout and waited >= self.timeout:
                        self.close()
                        raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds")
            if err is not None:
                self.close()
                raise RuntimeError(err)
            self.received += 1
            self.buffer[batch_idx] = data
            self._send_one()
        data = self.buffer.pop(self.next_out)
        self.next_out += 1
        return _from_wire(data)

    def close(self):
        for q in self.index_qs:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for p in self.workers:
            p.join(timeout=2)
            if p.is_alive():
                p.terminate()
        self.workers = []
        self.index_qs = []

    def __del__(self):
        if self.workers:
            self.close()


# ---- DataLoader ----------------------------------------------------------------------------
class DataLoader:
    """Iterate over a dataset in batches (``torch.utils.data.DataLoader``'s arguments).

    Example:
        >>> loader = DataLoader(list(range(10)), batch_size=4, drop_last=True)
        >>> [b.tolist() for b in loader]
        [[0, 1, 2, 3], [4, 5, 6, 7]]
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if prefetch_factor is None else prefetch_factor
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.drop_last = drop_last
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 "and batch_sampler options")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn or (default_collate if batch_size is not None or
                                         batch_sampler is not None else _identity)
        if num_workers > 0 and self._iterable:
            warnings.warn("num_workers > 0 with an IterableDataset: every worker would replay "
                          "the whole stream; loading in the main process instead")
            self.num_workers = 0

    def __iter__(self):
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is None:  # batch_size=None: one sample at a time
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        if self.num_workers == 0:
            return (self.collate_fn([self.dataset[i] for i in idx]) for idx in self.batch_sampler)
        return _WorkerIter(_WorkerPool(self, self.batch_sampler))

    def _iter_stream(self):
        if self.batch_size is None:
            for x in self.dataset:
                yield self.collate_fn(x)
            return
        batch = []
        for x in self.dataset:
            batch.append(x)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)


class _WorkerIter:
    def __init__(self, pool):
        self.pool = pool

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.pool)


def _identity(x):
    return x
