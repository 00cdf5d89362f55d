"""Hyper-parameter search with Optuna (the optional extra ``[hpsearch]``): ``OptunaObjective``
turns a model factory into an objective, ``plot_study`` draws a finished study."""

from __future__ import annotations

import math

import numpy as np

from ..grad_mode import no_grad
from .loop import _set_mode, evaluate, train_epoch
from .monitor import _in_notebook

__all__ = ["OptunaObjective", "plot_study"]


def _optuna():
    try:
        import optuna
    except ImportError:
        raise ImportError(
            'hyper-parameter search needs Optuna: pip install -e ".[hpsearch]"'
        ) from None
    return optuna


class OptunaObjective:
    """An Optuna objective: train one model per trial, report the validation score after
    every epoch (so a pruner can stop hopeless trials early), return the best score.

    ``build(trial)`` reads the trial's suggestions and returns ``(model, optimizer)`` or
    ``(model, optimizer, scheduler)`` (the scheduler is stepped once per epoch).
    ``train_loader`` may also be a function of the trial (e.g. to tune the batch size).
    ``metric`` is ``"accuracy"`` (maximised), ``"loss"`` (the mean of ``loss_fn`` on the
    validation set, minimised) or a function ``metric(model, val_loader) -> float`` (then
    give ``direction``). A trial whose training loss becomes inf/nan is pruned at once (a
    learning rate that diverges); its ``user_attrs["diverged_at_epoch"]`` says when.

    Example:
        >>> def build(trial):                                       # doctest: +SKIP
        ...     lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        ...     model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
        ...     return model, optim.SGD(model.parameters(), lr=lr)
        >>> objective = OptunaObjective(build, train_loader, val_loader, F.cross_entropy,
        ...                             epochs=10)                  # doctest: +SKIP
        >>> study = optuna.create_study(direction=objective.direction,
        ...                             pruner=optuna.pruners.MedianPruner())  # doctest: +SKIP
        >>> study.optimize(objective, n_trials=30)                  # doctest: +SKIP
    """

    def __init__(
        self,
        build,
        train_loader,
        val_loader,
        loss_fn,
        epochs: int,
        metric="accuracy",
        direction=None,
    ):
        if callable(metric) and direction is None:
            raise ValueError(
                "OptunaObjective: give direction='maximize' or 'minimize' for a metric function"
            )
        if not callable(metric) and metric not in ("accuracy", "loss"):
            raise ValueError(
                f"OptunaObjective: metric must be 'accuracy', 'loss' or a function, got {metric!r}"
            )
        if direction is None:
            direction = "maximize" if metric == "accuracy" else "minimize"
        if direction not in ("maximize", "minimize"):
            raise ValueError(f"direction must be 'maximize' or 'minimize', got {direction!r}")
        self.build, self.train_loader, self.val_loader = build, train_loader, val_loader
        self.loss_fn, self.epochs, self.metric, self.direction = loss_fn, epochs, metric, direction

    def __call__(self, trial) -> float:
        optuna = _optuna()
        built = self.build(trial)
        model, optimizer = built[0], built[1]
        scheduler = built[2] if len(built) > 2 else None
        loader = self.train_loader
        if callable(loader) and not hasattr(loader, "__iter__"):
            loader = loader(trial)
        best, best_epoch = None, -1
        for epoch in range(self.epochs):
            train_loss, _ = train_epoch(model, loader, optimizer, self.loss_fn)
            if not math.isfinite(train_loss):
                trial.set_user_attr("diverged_at_epoch", epoch)
                raise optuna.TrialPruned(f"training loss became {train_loss} in epoch {epoch}")
            if scheduler is not None:
                scheduler.step()
            score = self.evaluate(model)
            trial.report(score, epoch)
            if best is None or (score > best if self.direction == "maximize" else score < best):
                best, best_epoch = score, epoch
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {epoch} with {score:.4g}")
        trial.set_user_attr("best_epoch", best_epoch)
        return best

    def evaluate(self, model) -> float:
        """The validation score of ``model`` (eval mode, no gradients recorded)."""
        if callable(self.metric):
            was_training = bool(getattr(model, "training", False))
            _set_mode(model, False)
            try:
                with no_grad():
                    return float(self.metric(model, self.val_loader))
            finally:
                if was_training:
                    _set_mode(model, True)
        ev = evaluate(model, self.val_loader, self.loss_fn)
        if self.metric == "loss":
            return ev.loss
        if ev.accuracy is None:
            raise ValueError(
                "OptunaObjective: metric='accuracy' needs class scores (N, C) and "
                "integer labels; use metric='loss' or a metric function"
            )
        return ev.accuracy


def plot_study(study, out_dir=None):
    """Pictures of an Optuna study.

    Without ``out_dir``: one matplotlib ``Figure`` (made without pyplot, so it shows once in
    Jupyter) with four panels: every trial's objective value in order with the best so far,
    pruned trials marked at the last value they reported; every trial's intermediate values
    (the validation score per epoch: pruned trials stop early); the parameters'
    importances (Optuna's fANOVA, seeded; from two finished trials on); and the finished
    trials in the plane of the two most important parameters, coloured by their value
    (log axes for parameters sampled on a log scale).

    With ``out_dir``: Optuna's own plots saved there as PNG files (optimisation history,
    intermediate values and, from two finished trials on, parameter importances); returns
    their paths.

    Example:
        >>> study.optimize(objective, n_trials=20)              # doctest: +SKIP
        >>> plot_study(study)                                   # doctest: +SKIP
    """
    if out_dir is None:
        return _study_figure(study)
    optuna = _optuna()
    import os
    import warnings

    import matplotlib

    if not _in_notebook():
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ovm

    os.makedirs(out_dir, exist_ok=True)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    plots = [
        ("optimization_history", ovm.plot_optimization_history),
        ("intermediate_values", ovm.plot_intermediate_values),
    ]
    if len(done) >= 2:
        plots.append(("param_importances", ovm.plot_param_importances))
    paths = []
    for name, plot in plots:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            ax = plot(study)
        fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
        fig.tight_layout()
        path = os.path.join(out_dir, f"{name}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def _study_figure(study):
    optuna = _optuna()
    from .._figures import new_figure

    state = optuna.trial.TrialState
    done = [t for t in study.trials if t.state == state.COMPLETE]
    pruned = [t for t in study.trials if t.state == state.PRUNED and t.intermediate_values]
    if not done:
        raise ValueError("plot_study: the study has no finished trial yet")
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    best = study.best_trial
    fig = new_figure(figsize=(11.5, 8), layout="constrained")
    (ax_hist, ax_curves), (ax_imp, ax_plane) = fig.subplots(2, 2)

    def last(t):
        return t.intermediate_values[max(t.intermediate_values)]

    # 1. the value of every trial, in order, and the best so far
    ax_hist.scatter(
        [t.number for t in done], [t.value for t in done], s=20, zorder=3, label="finished trial"
    )
    if pruned:
        ax_hist.scatter(
            [t.number for t in pruned],
            [last(t) for t in pruned],
            marker="x",
            color="0.55",
            zorder=3,
            label="pruned (last reported value)",
        )
    running = np.maximum.accumulate if maximize else np.minimum.accumulate
    ax_hist.step(
        [t.number for t in done],
        running([t.value for t in done]),
        where="post",
        color="tab:red",
        label="best so far",
    )
    ax_hist.set(title="optimisation history", xlabel="trial", ylabel="objective value")
    ax_hist.legend(fontsize=8)

    # 2. intermediate values: what a pruner sees
    for t in pruned + done:
        steps = sorted(t.intermediate_values)
        vals = [t.intermediate_values[k] for k in steps]
        if t.number == best.number:
            ax_curves.plot(
                steps, vals, color="tab:red", lw=2, zorder=3, label=f"best (trial {t.number})"
            )
        elif t.state == state.PRUNED:
            ax_curves.plot(steps, vals, color="0.6", lw=1, marker=".", ms=4)
        else:
            ax_curves.plot(steps, vals, color="tab:blue", lw=1, alpha=0.7)
    ax_curves.plot([], [], color="tab:blue", label="finished")
    ax_curves.plot([], [], color="0.6", marker=".", label="pruned")
    ax_curves.set(
        title="intermediate values (pruned trials stop early)",
        xlabel="step",
        ylabel="reported value",
    )
    ax_curves.legend(fontsize=8)

    # 3. importances, 4. the two most important parameters
    names = list(best.params)
    if len(done) >= 2 and names:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            imp = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)
            )
        names = list(imp)
        ax_imp.barh(names[::-1], [imp[n] for n in names[::-1]], color="tab:blue")
        ax_imp.set(title="parameter importance (fANOVA)", xlabel="share of the variance")
    else:
        ax_imp.text(
            0.5,
            0.5,
            "importances need two finished trials",
            ha="center",
            va="center",
            transform=ax_imp.transAxes,
        )
        ax_imp.set_title("parameter importance")
    if len(names) >= 2:
        px, py = names[:2]
        points = [t for t in done if px in t.params and py in t.params]
        sc = ax_plane.scatter(
            [t.params[px] for t in points],
            [t.params[py] for t in points],
            c=[t.value for t in points],
            cmap="viridis",
            s=30,
            zorder=3,
        )
        fig.colorbar(sc, ax=ax_plane, label="objective value")
        cut = [t for t in pruned if px in t.params and py in t.params]
        if cut:
            ax_plane.scatter(
                [t.params[px] for t in cut],
                [t.params[py] for t in cut],
                marker="x",
                color="0.55",
                label="pruned",
            )
        ax_plane.scatter(
            [best.params[px]],
            [best.params[py]],
            marker="*",
            s=250,
            facecolor="none",
            edgecolor="tab:red",
            lw=1.5,
            zorder=4,
            label="best",
        )
        for name, axis in ((px, "x"), (py, "y")):
            if getattr(best.distributions[name], "log", False):
                getattr(ax_plane, f"set_{axis}scale")("log")
        ax_plane.set(title="trials in the two most important parameters", xlabel=px, ylabel=py)
        ax_plane.legend(fontsize=8)
    else:
        ax_plane.set_axis_off()
    for ax in (ax_hist, ax_curves, ax_imp, ax_plane):
        ax.grid(alpha=0.3)
    return fig
