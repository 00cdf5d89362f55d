"""autograd.training's loop: evaluate, train_epoch, fit, plot_histories.

Each is checked against the loop written out by hand (the PyTorch tutorial loop), so the
helpers can only ever be a shorter way of writing the same steps."""

import math

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim
from autograd.training import EarlyStopping, History, evaluate, fit, plot_histories, train_epoch
from autograd.utils.data import DataLoader, TensorDataset


def _data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = (x[:, 0] - x[:, 2] > 0).astype(np.int64)
    return autograd.tensor(x), autograd.tensor(y)


def _model():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.2), nn.Linear(8, 2))


def test_evaluate_matches_hand_computation_with_uneven_batches():
    x, y = _data(50)
    model = _model()
    ev = evaluate(model, DataLoader(TensorDataset(x, y), batch_size=16), F.cross_entropy)
    model.eval()
    with autograd.no_grad():
        out = model(x)
    assert ev.loss == pytest.approx(F.cross_entropy(out, y).item(), rel=1e-6)  # 16+16+16+2
    assert ev.accuracy == pytest.approx(float((out.argmax(1) == y).float().mean().item()))
    np.testing.assert_allclose(ev.outputs.numpy(), out.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(ev.predictions.numpy(), out.argmax(1).numpy())
    np.testing.assert_array_equal(ev.targets.numpy(), y.numpy())
    assert not ev.outputs.requires_grad


def test_evaluate_restores_mode_and_leaves_grads_alone():
    x, y = _data()
    model = _model()
    model.train()
    evaluate(model, DataLoader(TensorDataset(x, y), batch_size=10), F.cross_entropy)
    assert model.training and all(p.grad is None for p in model.parameters())
    model.eval()
    evaluate(model, DataLoader(TensorDataset(x, y), batch_size=10))
    assert not model.training


def test_evaluate_regression_has_no_accuracy():
    x = autograd.randn(12, 3)
    y = autograd.randn(12, 1)
    ev = evaluate(nn.Linear(3, 1), DataLoader(TensorDataset(x, y), batch_size=5), F.mse_loss)
    assert ev.accuracy is None and ev.loss > 0
    with pytest.raises(ValueError, match="no batches"):
        evaluate(nn.Linear(3, 1), [])


def test_train_epoch_is_the_hand_written_loop():
    x, y = _data(48)
    autograd.manual_seed(3)
    a, b = _model(), _model()
    b.load_state_dict(a.state_dict())
    opt_a, opt_b = optim.Adam(a.parameters(), lr=1e-2), optim.Adam(b.parameters(), lr=1e-2)
    autograd.manual_seed(7)
    loss, acc = train_epoch(
        a, DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True), opt_a, F.cross_entropy
    )
    autograd.manual_seed(7)  # same shuffle and the same dropout masks
    b.train()
    losses, correct = [], 0
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True):
        out = b(xb)
        batch_loss = F.cross_entropy(out, yb)
        opt_b.zero_grad()
        batch_loss.backward()
        opt_b.step()
        losses.append(batch_loss.item())
        correct += int((out.argmax(1) == yb).sum().item())
    assert loss == pytest.approx(np.mean(losses), rel=1e-6)
    assert acc == correct / 48
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_fit_records_values_and_prints_one_line_per_epoch(capsys):
    x, y = _data(64)
    model = _model()
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    h = fit(
        model,
        loader,
        optim.Adam(model.parameters(), lr=2e-2),
        F.cross_entropy,
        epochs=3,
        val_loader=DataLoader(TensorDataset(x, y), batch_size=64),
        log_grads=True,
    )
    assert list(h.values) == ["train loss", "train accuracy", "val loss", "val accuracy"]
    assert all(len(v) == 3 for v in h.values.values()) and h.stop_reason is None
    assert h.values["val loss"][-1] < h.values["val loss"][0]
    assert len(h.lr) == 3 and set(h.grad_norms) == {n for n, _ in model.named_parameters()}
    assert len(h.steps["loss"]) == 3 * len(loader)  # one loss per step
    assert np.mean(h.steps["loss"][:4]) == pytest.approx(h.values["train loss"][0], rel=1e-6)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3  train loss ")
    assert "val accuracy" in lines[0] and "%" in lines[0]


def test_fit_early_stopping_stops_and_restores_best_weights():
    x, y = _data(64)
    model = _model()
    loader = DataLoader(TensorDataset(x, y), batch_size=64)
    # lr so large that the loss goes up after the first steps: early stopping must restore
    # the weights of the best epoch
    stop = EarlyStopping(patience=2, restore_best_weights=True)
    h = fit(
        model,
        loader,
        optim.SGD(model.parameters(), lr=30.0),
        F.cross_entropy,
        epochs=30,
        val_loader=loader,
        early_stopping=stop,
        verbose=False,
    )
    assert h.stop_reason.startswith("early stopping") and len(h.values["val loss"]) < 30
    best = min(h.values["val loss"])
    assert stop.best == pytest.approx(best)
    assert evaluate(model, loader, F.cross_entropy).loss == pytest.approx(best, rel=1e-5)
    with pytest.raises(KeyError, match="cannot monitor 'val accuracy'"):
        fit(
            model,
            loader,
            optim.SGD(model.parameters(), lr=0.1),
            F.cross_entropy,
            epochs=1,
            early_stopping=EarlyStopping(),
            monitor="val accuracy",
            verbose=False,
        )


def test_fit_stops_when_the_loss_is_not_finite(capsys):
    x = autograd.randn(32, 3)
    y = autograd.randn(32, 1) * 100
    model = nn.Linear(3, 1)
    h = fit(
        model,
        DataLoader(TensorDataset(x, y), batch_size=8),
        optim.SGD(model.parameters(), lr=1e3),
        F.mse_loss,
        epochs=20,
    )
    assert not math.isfinite(h.values["train loss"][-1]) and len(h.values["train loss"]) < 20
    assert "train accuracy" not in h.values
    assert h.stop_reason.startswith("the training loss became")
    assert "stopped: the training loss became" in capsys.readouterr().out


def test_plot_histories_one_panel_per_key_one_line_per_run():
    runs = {}
    for name, scale in (("a", 1.0), ("b", 0.5)):
        h = History()
        for v in (1.0, 0.4, 0.2):
            h.end_epoch({"train loss": v * scale, "val accuracy": 1 - v * scale})
        runs[name] = h
    fig = plot_histories(runs, logy=True, title="two runs")
    assert [ax.get_title() for ax in fig.axes] == ["train loss", "val accuracy"]
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "linear"
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [0.5, 0.2, 0.1])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a", "b"]
    assert len(plot_histories(runs, keys="val accuracy").axes) == 1
    with pytest.raises(ValueError):
        plot_histories({})


def test_history_plot_puts_accuracies_on_their_own_panel():
    import matplotlib.pyplot as plt

    h = History()
    for step in range(30):
        h.log_step(loss=1.0 / (step + 1))
    for v in (0.5, 0.7):
        h.end_epoch({"train loss": 1 - v, "val accuracy": v})
    fig = h.plot()
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert [line.get_label() for line in fig.axes[1].lines] == ["val accuracy"]
    assert "train loss" in [line.get_label() for line in fig.axes[0].lines]
    plt.close(fig)


# ---- learning-rate schedules, the monitor, TensorBoard ---------------------------------------
def _scheduled_by_hand(interval, epochs=3):
    """The hand-written loop with a scheduler (PyTorch's order: step after optimizer.step())."""
    x, y = _data(48)
    autograd.manual_seed(5)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    sched = (
        optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=epochs * 3)
        if interval == "step"
        else optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    )
    lrs = []
    for _ in range(epochs):
        model.train()
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True):
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            if interval == "step":
                sched.step()
        if interval == "epoch":
            sched.step()
    return model, lrs


@pytest.mark.parametrize("interval", ["epoch", "step"])
def test_fit_steps_a_scheduler_per_epoch_or_per_step_like_the_hand_written_loop(interval):
    x, y = _data(48)
    want, want_lrs = _scheduled_by_hand(interval)
    autograd.manual_seed(5)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    sched = (
        optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=9)
        if interval == "step"
        else optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    )
    h = fit(
        model,
        DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True),
        opt,
        F.cross_entropy,
        3,
        scheduler=sched,
        scheduler_interval=interval,
        verbose=False,
    )
    assert h.steps["lr"] == want_lrs  # the rate each step used
    if interval == "epoch":  # per epoch: the rate when the epoch ended
        assert h.lr == [0.5, 0.25, 0.125]
    else:
        assert h.lr[:2] == want_lrs[3::3]
    for p, q in zip(model.parameters(), want.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_fit_gives_reduce_lr_on_plateau_the_monitored_value():
    x, y = _data(32)
    model = nn.Linear(4, 2)
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=0)
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    # lr 1e3 makes the training loss go up, so the plateau scheduler cuts the rate after epoch 2
    opt.param_groups[0]["lr"] = 1e3
    h = fit(
        model, loader, opt, F.cross_entropy, 3, scheduler=sched, verbose=False, monitor="train loss"
    )
    assert h.values["train loss"][1] > h.values["train loss"][0]
    assert h.lr[0] == h.lr[1] == 1e3 and h.lr[2] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="scheduler_interval"):
        fit(model, loader, opt, F.cross_entropy, 1, scheduler=sched, scheduler_interval="batch")
    with pytest.raises(KeyError, match="the scheduler needs 'val loss'"):
        fit(
            model,
            loader,
            opt,
            F.cross_entropy,
            1,
            scheduler=sched,
            monitor="val loss",
            verbose=False,
        )


def test_history_plot_is_the_monitor_with_gradient_and_weight_norms():
    import matplotlib.pyplot as plt

    x, y = _data(64)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    h = fit(model, loader, opt, F.cross_entropy, 2, log_grads=True, verbose=False)
    fig = h.plot()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "loss",
        "accuracy",
        "learning rate",
        "gradient norm per parameter (mean over steps)",
        "weight norm per parameter",
    ]
    names = [n for n, _ in model.named_parameters()]
    assert [line.get_label() for line in fig.axes[4].lines] == names
    np.testing.assert_allclose(fig.axes[4].lines[0].get_ydata(), h.weight_norms[names[0]])
    np.testing.assert_allclose(fig.axes[3].lines[0].get_ydata(), h.grad_norms[names[0]])
    plt.close(fig)
    without = fit(model, loader, opt, F.cross_entropy, 1, verbose=False).plot()  # no norms
    assert [ax.get_title() for ax in without.axes] == ["loss", "accuracy", "learning rate"]
    plt.close(without)


def test_fit_writes_everything_it_records_to_tensorboard(tmp_path):
    pytest.importorskip("tensorboardX")
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from autograd.utils.tensorboard import SummaryWriter

    x, y = _data(64)
    model = _model()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    with SummaryWriter(str(tmp_path)) as w:
        h = fit(
            model,
            loader,
            optim.SGD(model.parameters(), lr=0.1),
            F.cross_entropy,
            2,
            val_loader=loader,
            log_grads=True,
            writer=w,
            verbose=False,
        )
        assert h.writer is w
    ea = ea_mod.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "histograms": 0})
    ea.Reload()
    names = [n for n, _ in model.named_parameters()]
    expected = {
        "train/loss",
        "train/accuracy",
        "val/loss",
        "val/accuracy",
        "lr",
        "step/loss",
        "step/lr",
    }
    expected |= {f"{kind}/{n}" for n in names for kind in ("grad_norm", "weight_norm")}
    assert set(ea.Tags()["scalars"]) == expected
    assert set(ea.Tags()["histograms"]) == {f"weights/{n}" for n in names}
    for tag, key in [("val/loss", "val loss"), ("train/accuracy", "train accuracy")]:
        events = ea.Scalars(tag)
        assert [e.step for e in events] == [1, 2]
        np.testing.assert_allclose([e.value for e in events], h.values[key], rtol=1e-6)
    np.testing.assert_allclose(
        [e.value for e in ea.Scalars(f"grad_norm/{names[0]}")], h.grad_norms[names[0]], rtol=1e-6
    )
    steps = ea.Scalars("step/loss")
    assert [e.step for e in steps] == list(range(1, 9))
    np.testing.assert_allclose([e.value for e in steps], h.steps["loss"], rtol=1e-6)
    last = ea.Histograms(f"weights/{names[0]}")[-1].histogram_value
    w0 = model.state_dict()[names[0]].numpy()
    assert last.num == w0.size and last.max == pytest.approx(w0.max())
