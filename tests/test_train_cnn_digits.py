"""End to end: a small CNN (Conv2d, ReLU, MaxPool2d, Linear) learns scikit-learn's 8x8
digits to > 95% test accuracy in a few seconds.

This exercises the convolution and pooling VJPs, the module system, cross-entropy and an
optimizer together: a wrong gradient anywhere shows up as a model that does not learn.
"""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F


def _digits():
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    d = datasets.load_digits()
    x = d.images.astype(np.float32)[:, None]  # (1797, 1, 8, 8), values 0..16
    x = (x - x.mean()) / x.std()  # standardised pixels
    return model_selection.train_test_split(
        x, d.target.astype(np.int64), test_size=0.2, random_state=0, stratify=d.target
    )


def test_small_cnn_learns_digits():
    optim = pytest.importorskip("optim")
    x_train, x_test, y_train, y_test = _digits()
    autograd.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 4 x 4
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),  # 32 x 4 x 4
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )
    lr, epochs, batch = 5e-3, 5, 32
    opt = optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        for group in opt.param_groups:  # linear decay to 0: the last epochs settle the weights
            group["lr"] = lr * (1 - epoch / epochs)
        model.train()
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            opt.zero_grad()
            loss = F.cross_entropy(
                model(autograd.tensor(x_train[idx])), autograd.tensor(y_train[idx])
            )
            loss.backward()
            opt.step()
    model.eval()
    with autograd.no_grad():
        logits = model(autograd.tensor(x_test))
    accuracy = float((logits.numpy().argmax(1) == y_test).mean())
    assert np.isfinite(loss.item())
    assert accuracy > 0.95, f"test accuracy {accuracy:.3f}"
