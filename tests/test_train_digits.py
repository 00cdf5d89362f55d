"""End to end: small MLPs train on scikit-learn's digits (8x8 images, 10 classes) to > 95%
test accuracy within a few seconds. (The CNN version is tests/test_train_cnn_digits.py.)"""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F

sklearn_datasets = pytest.importorskip("sklearn.datasets")


# (one BLAS thread: conftest.py's session fixture; threads spinning on a busy 2-core CI
# machine make these small matmuls many times slower)


def _digits():
    d = sklearn_datasets.load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(0).permutation(len(x))
    x, y = x[perm], y[perm]
    n_train = 1400
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _adam(params):
    """A hand-written Adam (independent of the optim package, which is tested on its own)."""
    state = [(np.zeros_like(p._data), np.zeros_like(p._data)) for p in params]
    t = [0]

    def step(lr=3e-3, b1=0.9, b2=0.999, eps=1e-8):
        t[0] += 1
        for p, (m, v) in zip(params, state):
            g = p.grad._data
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            mhat = m / (1 - b1 ** t[0])
            vhat = v / (1 - b2 ** t[0])
            p._data -= (lr * mhat / (np.sqrt(vhat) + eps)).astype(p._data.dtype)
            p._version_cell[0] += 1

    return step


def _train(model, x_tr, y_tr, epochs, batch=64):
    params = list(model.parameters())
    step = _adam(params)
    rng = np.random.default_rng(1)
    for _ in range(epochs):
        model.train()
        perm = rng.permutation(len(x_tr))
        for i in range(0, len(perm), batch):
            idx = perm[i : i + batch]
            model.zero_grad()
            loss = F.cross_entropy(model(autograd.tensor(x_tr[idx])), autograd.tensor(y_tr[idx]))
            loss.backward()
            step()
    return loss.item()


def _accuracy(model, x, y):
    model.eval()
    with autograd.no_grad():
        pred = model(autograd.tensor(x)).numpy().argmax(1)
    return (pred == y).mean()


def test_mlp_learns_digits():
    autograd.manual_seed(0)
    x_tr, y_tr, x_te, y_te = _digits()
    model = nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(128, 64),
        nn.BatchNorm1d(64),
        nn.GELU(),
        nn.Linear(64, 10),
    )
    _train(model, x_tr, y_tr, epochs=8)
    acc = _accuracy(model, x_te, y_te)
    assert acc > 0.95, acc


def test_optim_adam_trains_mlp_if_available():
    optim = pytest.importorskip("optim")
    autograd.manual_seed(0)
    x_tr, y_tr, x_te, y_te = _digits()
    model = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 10))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(1)
    for _ in range(10):
        perm = rng.permutation(len(x_tr))
        for i in range(0, len(perm), 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            F.cross_entropy(
                model(autograd.tensor(x_tr[idx])), autograd.tensor(y_tr[idx])
            ).backward()
            opt.step()
    assert _accuracy(model, x_te, y_te) > 0.95
