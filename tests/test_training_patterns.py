"""Everyday training patterns, written exactly as in PyTorch: gradient accumulation,
freezing layers, reproducibility from one seed, early stopping with best-weight restore."""

import numpy as np

import autograd
import nn
import nn.functional as F
import optim
from autograd.training import EarlyStopping
from autograd.utils.data import DataLoader, TensorDataset


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 10)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return autograd.tensor(x), autograd.tensor(y)


def _model(dropout=0.0):
    return nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 2))


def test_gradient_accumulation_equals_one_big_batch():
    x, y = _data(32)
    autograd.manual_seed(0)
    big = _model()
    small = _model()
    small.load_state_dict(big.state_dict())
    F.cross_entropy(big(x), y).backward()
    k = 4
    for xb, yb in zip(x.chunk(k), y.chunk(k)):
        (F.cross_entropy(small(xb), yb) / k).backward()  # loss / k; backward(); step every k
    for (name, p), q in zip(big.named_parameters(), small.parameters()):
        np.testing.assert_allclose(
            q.grad.numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name
        )
    opt_big, opt_small = optim.SGD(big.parameters(), lr=0.1), optim.SGD(small.parameters(), lr=0.1)
    opt_big.step()
    opt_small.step()
    for p, q in zip(big.parameters(), small.parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_frozen_layers_do_not_change_and_get_no_grad():
    x, y = _data()
    autograd.manual_seed(1)
    model = _model()
    for p in model[0].parameters():  # freeze the first layer (fine-tuning)
        p.requires_grad_(False)
    frozen = [p.detach().numpy().copy() for p in model[0].parameters()]
    head = [p.detach().numpy().copy() for p in model[3].parameters()]
    opt = optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(5):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for p, before in zip(model[0].parameters(), frozen):
        assert p.grad is None
        np.testing.assert_array_equal(p.detach().numpy(), before)
    assert any(
        not np.array_equal(p.detach().numpy(), b) for p, b in zip(model[3].parameters(), head)
    )


def _train_once(seed):
    autograd.manual_seed(seed)
    x, y = _data(96)
    model = _model(dropout=0.3)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    losses = []
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return [p.detach().numpy().copy() for p in model.parameters()], losses


def test_same_seed_gives_bit_identical_training_run():
    w1, l1 = _train_once(123)
    w2, l2 = _train_once(123)
    assert l1 == l2  # dropout masks and shuffling included
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    w3, l3 = _train_once(124)
    assert l3 != l1


def test_early_stopping_restores_best_weights():
    autograd.manual_seed(0)
    model = nn.Linear(3, 1)
    stop = EarlyStopping(patience=2, mode="min", restore_best_weights=True)
    best = None
    for epoch, val_loss in enumerate([1.0, 0.5, 0.7, 0.8]):
        with autograd.no_grad():
            model.weight.add_(1.0)  # "training" changes the weights every epoch
        if val_loss == 0.5:
            best = model.weight.detach().numpy().copy()
        if stop.step(val_loss, model=model):
            break
    assert stop.should_stop and stop.best_epoch == 1
    np.testing.assert_array_equal(model.weight.detach().numpy(), best)
