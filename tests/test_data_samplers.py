"""Lazy samplers: memory independent of num_samples, distributions checked by chi-square at
fixed seeds, the same order for any num_workers, torch's argument errors, and the package
layout of autograd.utils.data (torch's submodules)."""

import tracemalloc

import numpy as np
import pytest
from scipy import stats
from torch_compare import same_error

import autograd
import nn
from autograd.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)

ALPHA = 1e-3


def _counts(indices, n):
    return np.bincount(np.asarray(indices), minlength=n)


def _first(iterable, k):
    it = iter(iterable)
    return [next(it) for _ in range(k)]


@pytest.mark.parametrize(
    "make",
    [
        lambda: RandomSampler(range(100), replacement=True, num_samples=int(1e10)),
        lambda: RandomSampler(range(100), replacement=False, num_samples=int(1e10)),
        lambda: WeightedRandomSampler(np.ones(100), num_samples=int(1e10)),
        lambda: BatchSampler(RandomSampler(range(100), True, int(1e10)), 32, drop_last=True),
    ],
)
def test_infinite_samplers_draw_lazily(make):
    tracemalloc.start()
    try:
        sampler = make()
        first = _first(sampler, 2000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(first) == 2000 and peak < 2_000_000, peak  # 1e10 int64 indices would be 80 GB
    assert len(sampler) in (int(1e10), int(1e10) // 32)


def test_infinite_loader_idiom():
    ds = TensorDataset(autograd.arange(50).float())
    sampler = RandomSampler(ds, replacement=True, num_samples=int(1e10))
    loader = DataLoader(ds, sampler=sampler, batch_size=16, pin_memory=True, num_workers=2)
    with pytest.warns(UserWarning, match="no accelerator is found"):
        batches = iter(loader)
    for _ in range(5):
        (xb,) = next(batches)
        assert xb.shape == (16,)
    assert len(loader) == -(-int(1e10) // 16)


def test_random_sampler_distributions():
    g = autograd.Generator().manual_seed(1)
    with_rep = list(RandomSampler(range(10), replacement=True, num_samples=20_000, generator=g))
    assert stats.chisquare(_counts(with_rep, 10)).pvalue > ALPHA
    # without replacement: each block of n is a permutation, positions uniform
    perms = np.array(list(RandomSampler(range(5), num_samples=5 * 4000, generator=g))).reshape(
        -1, 5
    )
    assert all(sorted(p) == [0, 1, 2, 3, 4] for p in perms)
    assert stats.chisquare(_counts(perms[:, 0], 5)).pvalue > ALPHA
    cut = list(RandomSampler(range(5), num_samples=7, generator=g))
    assert sorted(cut[:5]) == [0, 1, 2, 3, 4] and len(cut) == 7


def test_weighted_sampler_distributions():
    w = [1.0, 0.0, 2.0, 7.0]
    g = autograd.Generator().manual_seed(2)
    draws = list(WeightedRandomSampler(w, 20_000, generator=g))
    c = _counts(draws, 4)
    assert c[1] == 0
    assert stats.chisquare(c[[0, 2, 3]], np.array([0.1, 0.2, 0.7]) * 20_000).pvalue > ALPHA
    firsts = [
        next(iter(WeightedRandomSampler(w, 3, replacement=False, generator=g))) for _ in range(4000)
    ]
    assert (
        stats.chisquare(_counts(firsts, 4)[[0, 2, 3]], np.array([0.1, 0.2, 0.7]) * 4000).pvalue
        > ALPHA
    )
    assert sorted(WeightedRandomSampler(w, 3, replacement=False)) == [0, 2, 3]
    assert list(WeightedRandomSampler([1.0, 0.0], 2, replacement=False)) == [0, 1]


def test_subset_random_sampler_keeps_the_sequence():
    s = SubsetRandomSampler(range(10, 20))
    assert s.indices == range(10, 20) and sorted(s) == list(range(10, 20))


@pytest.mark.parametrize("shuffle_kind", ["shuffle", "infinite", "weighted"])
def test_same_order_for_any_num_workers(shuffle_kind):
    ds = TensorDataset(autograd.arange(40))

    def order(num_workers):
        autograd.manual_seed(7)
        if shuffle_kind == "shuffle":
            loader = DataLoader(ds, batch_size=8, shuffle=True, num_workers=num_workers)
        elif shuffle_kind == "infinite":
            loader = DataLoader(
                ds,
                batch_size=8,
                num_workers=num_workers,
                sampler=RandomSampler(ds, replacement=True, num_samples=int(1e10)),
            )
        else:
            loader = DataLoader(
                ds,
                batch_size=8,
                num_workers=num_workers,
                sampler=WeightedRandomSampler(np.arange(40.0), 64),
            )
        return [b[0].tolist() for b in _first(loader, 5)]

    ref = order(0)
    assert order(1) == ref and order(2) == ref


def test_order_does_not_depend_on_randomness_used_during_the_pass():
    """A training loop's dropout draws between batches must not change the data order."""
    ds = TensorDataset(autograd.arange(64))

    def order(use_dropout):
        autograd.manual_seed(3)
        out = []
        sampler = RandomSampler(ds, replacement=True, num_samples=128)  # drawn in chunks
        for (xb,) in DataLoader(ds, batch_size=8, sampler=sampler):
            out.append(xb.tolist())
            if use_dropout:
                nn.functional.dropout(autograd.ones(100), 0.5)
        return out

    assert order(True) == order(False)


def test_sequential_and_batch_samplers():
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    assert list(BatchSampler(range(5), 2, False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, False)) == 3


ERRORS = [
    "RandomSampler(range(5), replacement=1)",
    "RandomSampler(range(5), num_samples=0)",
    "RandomSampler(range(5), num_samples=2.5)",
    "RandomSampler([])",
    "WeightedRandomSampler([[1., 2]], 2)",
    "WeightedRandomSampler([1., 2], 0)",
    "WeightedRandomSampler([1., 2], 2, replacement=1)",
    "list(WeightedRandomSampler([1., -1], 2))",
    "list(WeightedRandomSampler([0., 0.], 2))",
    "list(WeightedRandomSampler([1., 2.], 3, replacement=False))",
    "BatchSampler(range(5), 0, False)",
    "BatchSampler(range(5), 2, 1)",
    "BatchSampler(range(5), True, False)",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_as_torch(expr):
    tdata = pytest.importorskip("torch.utils.data")
    import autograd.utils.data as odata

    same_error(lambda: eval(expr, vars(odata)), lambda: eval(expr, vars(tdata)))


def test_package_layout():
    from autograd.utils.data import dataloader, dataset, distributed, sampler
    import autograd.utils.data as data

    assert data.DataLoader is dataloader.DataLoader and data.Dataset is dataset.Dataset
    assert data.RandomSampler is sampler.RandomSampler
    assert data.DistributedSampler is distributed.DistributedSampler
    assert dataloader.default_collate is data.default_collate
