"""An index or mask changed in place after the forward must not move the gradient: the ops
that keep indices for backward keep their own copy (getitem with tensor or NumPy indices,
index_select, gather, take, embedding), or the mask tensor itself, whose version counter
then reports the change (masked_fill, as in torch)."""

import numpy as np
import pytest

import autograd
import nn.functional as F
from autograd.errors import GraphError

INDEXED = {
    "getitem tensor": lambda f, i: f[i],
    "getitem numpy": lambda f, i: f[i._data],
    "index_select": lambda f, i: f.index_select(0, i),
    "gather": lambda f, i: f.gather(0, i),
    "take": lambda f, i: autograd.take(f, i),
    "embedding": lambda f, i: F.embedding(i, f.reshape(10, 1)).reshape(-1),
}


@pytest.mark.parametrize("name", sorted(INDEXED))
def test_the_gradient_goes_where_the_forward_read(name):
    f = autograd.tensor(np.arange(10.0), requires_grad=True)
    idx = autograd.tensor(np.array([0, 2, 2, 3]))
    y = (INDEXED[name](f, idx) * autograd.tensor([1.0, 2.0, 3.0, 4.0])).sum()
    with autograd.no_grad():
        idx.add_(5)
    y.backward()
    np.testing.assert_array_equal(f.grad._data, [1, 0, 5, 4, 0, 0, 0, 0, 0, 0])


def test_a_numpy_index_changed_after_the_forward():
    f = autograd.tensor(np.arange(10.0), requires_grad=True)
    a = np.array([0, 1])
    y = f[a].sum()
    a += 5
    y.backward()
    np.testing.assert_array_equal(f.grad._data, [1, 1, 0, 0, 0, 0, 0, 0, 0, 0])


def test_masked_fill_reports_a_mask_changed_in_place():
    f = autograd.tensor(np.arange(4.0), requires_grad=True)
    mask = autograd.tensor([True, False, True, False])
    y = f.masked_fill(mask, 0.0).sum()
    mask.logical_not_()
    with pytest.raises(GraphError, match="modified by an inplace operation"):
        y.backward()
    # unchanged, the mask gives the usual gradient
    f.grad = None
    mask = autograd.tensor([True, False, True, False])
    f.masked_fill(mask, 0.0).sum().backward()
    np.testing.assert_array_equal(f.grad._data, [0, 1, 0, 1])
