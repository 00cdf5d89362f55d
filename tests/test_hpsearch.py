"""Hyper-parameter search with Optuna: OptunaObjective, and examples/hpsearch.py with two
worker processes sharing one SQLite study."""

import os
import subprocess
import sys

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim
from autograd.training import OptunaObjective
from autograd.utils.data import DataLoader, TensorDataset

optuna = pytest.importorskip(
    "optuna", reason='the [hpsearch] extra (optuna) is not installed: pip install -e ".[hpsearch]"'
)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 2)) * 0.3 + np.array([[0, 2], [2, 0], [-2, -2]])[y]
    return TensorDataset(autograd.tensor(x, dtype=autograd.float32), autograd.tensor(y))


def _objective(epochs=3, metric="accuracy", **kw):
    def build(trial):
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        model = nn.Linear(2, 3)
        return model, optim.SGD(model.parameters(), lr=lr)

    return OptunaObjective(
        build,
        DataLoader(_blobs(), batch_size=30, shuffle=True),
        DataLoader(_blobs(60, 1), batch_size=60),
        F.cross_entropy,
        epochs,
        metric=metric,
        **kw,
    )


def test_objective_reports_every_epoch_and_returns_the_best():
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"lr": 0.5})
    study.optimize(_objective(epochs=4), n_trials=1)
    t = study.trials[0]
    assert sorted(t.intermediate_values) == [0, 1, 2, 3]
    assert t.value == max(t.intermediate_values.values()) > 0.9
    assert t.intermediate_values[t.user_attrs["best_epoch"]] == t.value


def test_objective_loss_metric_is_minimised():
    obj = _objective(metric="loss")
    assert obj.direction == "minimize"
    study = optuna.create_study(direction=obj.direction)
    study.enqueue_trial({"lr": 0.5})
    study.optimize(obj, n_trials=1)
    t = study.trials[0]
    assert t.value == min(t.intermediate_values.values())


def test_diverging_trial_is_pruned():
    def build(trial):
        model = nn.Linear(2, 3)
        with autograd.no_grad():
            model.weight.fill_(float("nan"))
        return model, optim.SGD(model.parameters(), lr=0.1)

    obj = OptunaObjective(
        build,
        DataLoader(_blobs(), batch_size=30),
        DataLoader(_blobs(), batch_size=60),
        F.cross_entropy,
        epochs=2,
    )
    study = optuna.create_study(direction="maximize")
    study.optimize(obj, n_trials=1)
    assert study.trials[0].state == optuna.trial.TrialState.PRUNED
    assert study.trials[0].user_attrs["diverged_at_epoch"] == 0


def test_objective_checks_its_arguments():
    with pytest.raises(ValueError, match="direction"):
        OptunaObjective(None, [], [], F.cross_entropy, 1, metric=lambda m, loader: 0.0)
    with pytest.raises(ValueError, match="metric must be"):
        OptunaObjective(None, [], [], F.cross_entropy, 1, metric="f1")


@pytest.mark.slow  # two fresh worker processes, each importing Optuna, SQLAlchemy, scikit-learn
def test_two_workers_share_one_sqlite_study_and_prune(tmp_path):
    db = tmp_path / "study.db"
    out = tmp_path / "plots"
    # a deliberately bad learning-rate range (1e-6 .. 1e-2 for SGD on digits, 4 epochs) after
    # the coordinator's good baseline trial (lr 0.1): the median pruner, comparing from the
    # third epoch on with the finished trials, must stop some trials
    cmd = [
        sys.executable,
        os.path.join(ROOT, "examples", "hpsearch.py"),
        "--workers",
        "2",
        "--trials",
        "3",
        "--epochs",
        "4",
        "--lr-low",
        "1e-6",
        "--lr-high",
        "1e-2",
        "--startup-trials",
        "1",
        "--storage",
        f"sqlite:///{db}",
        "--study-name",
        "t",
        "--out",
        str(out),
    ]
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, env=env, cwd=str(tmp_path)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    study = optuna.load_study(study_name="t", storage=f"sqlite:///{db}")
    trials = study.trials
    assert len(trials) == 7
    workers = [t.user_attrs.get("worker") for t in trials]
    assert workers[0] == "baseline" and sorted(workers[1:]) == [0, 0, 0, 1, 1, 1]
    states = [t.state for t in trials]
    assert optuna.trial.TrialState.PRUNED in states
    assert study.best_trial.params["lr"] == 0.1 and study.best_value > 0.9
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    assert all(len(t.intermediate_values) == 3 for t in pruned)  # stopped after epoch 3 of 4
    assert (out / "optimization_history.png").stat().st_size > 1000
    assert (out / "intermediate_values.png").stat().st_size > 1000
    assert "pruned" in proc.stdout and "best validation accuracy" in proc.stdout


def test_plot_study_writes_history_curves_and_importances(tmp_path):
    from autograd.training import plot_study

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(_objective(epochs=2), n_trials=4)
    paths = plot_study(study, tmp_path)
    assert [os.path.basename(p) for p in paths] == [
        "optimization_history.png",
        "intermediate_values.png",
        "param_importances.png",
    ]
    assert all(os.path.getsize(p) > 1000 for p in paths)


def test_plot_study_without_out_dir_returns_one_figure_of_the_study():
    from autograd.training import plot_study

    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
    )
    with pytest.raises(ValueError, match="no finished trial"):
        plot_study(study)

    def build(trial):
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        trial.suggest_float("momentum", 0.0, 0.9)
        model = nn.Linear(2, 3)
        return model, optim.SGD(model.parameters(), lr=lr)

    objective = OptunaObjective(
        build,
        DataLoader(_blobs(), batch_size=30, shuffle=True),
        DataLoader(_blobs(60, 1), batch_size=60),
        F.cross_entropy,
        3,
    )
    study.optimize(objective, n_trials=8)
    state = optuna.trial.TrialState
    done = [t for t in study.trials if t.state == state.COMPLETE]
    pruned = [t for t in study.trials if t.state == state.PRUNED]
    assert len(done) >= 2 and pruned, "the study should have finished and pruned trials"
    fig = plot_study(study)
    hist, curves, imp, plane = fig.axes[:4]
    assert [a.get_title() for a in (hist, curves, imp, plane)] == [
        "optimisation history",
        "intermediate values (pruned trials stop early)",
        "parameter importance (fANOVA)",
        "trials in the two most important parameters",
    ]
    # one point per finished trial, one cross per pruned one at its last reported value
    np.testing.assert_allclose(hist.collections[0].get_offsets()[:, 1], [t.value for t in done])
    np.testing.assert_allclose(
        hist.collections[1].get_offsets()[:, 1],
        [t.intermediate_values[max(t.intermediate_values)] for t in pruned],
    )
    best_line = hist.lines[0].get_ydata()
    assert best_line[-1] == pytest.approx(study.best_value)
    assert len(curves.lines) == len(done) + len(pruned) + 2  # + the two legend entries
    assert {t.get_text() for t in imp.get_yticklabels()} == {"lr", "momentum"}
    assert plane.get_xlabel() in ("lr", "momentum") and plane.get_ylabel() in ("lr", "momentum")
    assert (plane.get_xscale() == "log") == (plane.get_xlabel() == "lr")
    import matplotlib.pyplot as plt

    assert not plt.get_fignums()  # made without pyplot: shown once
