"""The MNIST-1D paper's models (Greydanus 2020, the repository's ``notebooks/models.py``
shapes), written once for either library, and the dataset generated locally.

``L`` is a namespace with the library's ``T`` (autograd or torch) and ``nn``; see
bench_small_models.py. Parameter counts as in the paper's code: logistic 410, MLP 15,210,
CNN 5,210, GRU 5,134.
"""

from __future__ import annotations

import numpy as np


def logistic(L):
    """Logistic regression: one linear layer 40 -> 10."""
    return L.nn.Linear(40, 10)


def mlp(L, hidden=100):
    """40-100-100-10 with ReLU, the middle layer residual."""

    class MLPBase(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear1 = L.nn.Linear(40, hidden)
            self.linear2 = L.nn.Linear(hidden, hidden)
            self.linear3 = L.nn.Linear(hidden, 10)

        def forward(self, x):
            h = self.linear1(x).relu()
            h = h + self.linear2(h).relu()
            return self.linear3(h)

    return MLPBase()


def cnn(L, channels=25):
    """Three strided 1-d convolutions (kernel 5, 3, 3; stride 2; padding 1) with ReLU, then a
    linear classifier on the 25 x 5 features."""

    class ConvBase(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = L.nn.Conv1d(1, channels, 5, stride=2, padding=1)
            self.conv2 = L.nn.Conv1d(channels, channels, 3, stride=2, padding=1)
            self.conv3 = L.nn.Conv1d(channels, channels, 3, stride=2, padding=1)
            self.linear = L.nn.Linear(channels * 5, 10)

        def forward(self, x):
            x = x.view(-1, 1, x.shape[-1])
            h = self.conv3(self.conv2(self.conv1(x).relu()).relu()).relu()
            return self.linear(h.view(h.shape[0], -1))

    return ConvBase()


def gru(L, hidden=6, steps=40):
    """A bidirectional GRU (hidden 6) over the 40 samples of the signal, every step's state
    flattened into a linear classifier (480 -> 10)."""

    class GRUBase(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = L.nn.GRU(1, hidden, batch_first=True, bidirectional=True)
            self.linear = L.nn.Linear(2 * hidden * steps, 10)

        def forward(self, x):
            h0 = L.T.zeros(2, x.shape[0], hidden)
            out, _ = self.gru(x.view(x.shape[0], x.shape[1], 1), h0)
            return self.linear(out.reshape(out.shape[0], -1))

    return GRUBase()


MODELS = {"logistic": logistic, "mlp": mlp, "cnn": cnn, "gru": gru}


def dataset():
    """The default MNIST-1D (4000 train / 1000 test, length 40), generated locally by the
    ``mnist1d`` package (its ``get_dataset()`` would download a pickle: never used)."""
    from mnist1d.data import get_dataset_args, make_dataset

    d = make_dataset(get_dataset_args())
    return (
        d["x"].astype(np.float32),
        d["y"].astype(np.int64),
        d["x_test"].astype(np.float32),
        d["y_test"].astype(np.int64),
    )
