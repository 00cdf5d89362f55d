"""Small helpers around a training loop: the loop itself (``fit``, ``train_epoch``,
``evaluate``), progress bars, early stopping, a history/monitor and plots comparing runs,
and hyper-parameter search with Optuna (``OptunaObjective``, ``plot_study``).

They use only duck typing (a model with ``named_parameters``/``state_dict``/``train``/``eval``,
an optimizer with ``zero_grad``/``step``/``param_groups``), so ``autograd`` does not import
``nn`` or ``optim``. The loop is the one every PyTorch tutorial writes by hand; ``fit`` is
there so that a notebook comparing ten runs does not repeat it ten times.

Example:
    >>> from autograd.training import EarlyStopping
    >>> stop = EarlyStopping(patience=2)
    >>> [stop.step(v) for v in (1.0, 0.9, 0.95, 0.97)]
    [False, False, False, True]
"""

from __future__ import annotations

import copy
import math
import sys
import time
from typing import NamedTuple

import numpy as np

from .grad_mode import no_grad
from .tensor import Tensor

__all__ = [
    "progress",
    "EarlyStopping",
    "History",
    "Evaluation",
    "evaluate",
    "train_epoch",
    "fit",
    "plot_histories",
    "OptunaObjective",
    "plot_study",
]


def progress(iterable, desc=None, total=None, disable=None, leave=True, **kwargs):
    """A ``tqdm.auto`` progress bar that stays quiet when stderr is not a terminal
    (CI logs, redirected output) unless ``disable=False`` is given explicitly. In a
    distributed job only rank 0 draws it (one bar, not one per process)."""
    from tqdm.auto import tqdm

    if disable is None:
        disable = (
            not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
            and not _in_notebook()
            or _distributed_rank() > 0
        )
    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=leave, **kwargs)


def _distributed_rank() -> int:
    """This process's rank if a process group is initialised, else 0 (never starts MPI)."""
    dist = sys.modules.get("autograd.distributed")
    return dist.get_rank() if dist is not None and dist.is_initialized() else 0


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
    except ImportError:
        return False


class EarlyStopping:
    """Stop when a monitored value has not improved for ``patience`` checks.

    ``mode='min'`` (loss) or ``'max'`` (accuracy); an improvement must beat the best by more
    than ``min_delta``. With ``restore_best_weights=True`` and a ``model`` passed to
    ``step``, the best ``state_dict`` is kept (a deep copy) and restored when stopping.
    """

    def __init__(self, patience=5, min_delta=0.0, mode="min", restore_best_weights=False):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if patience < 0 or min_delta < 0:
            raise ValueError("patience and min_delta must be non-negative")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.restore_best_weights = restore_best_weights
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.num_bad = 0
        self.epoch = -1
        self.best_state = None
        self.should_stop = False

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value, model=None) -> bool:
        """Record one value; returns True when training should stop."""
        value = float(value.item() if isinstance(value, Tensor) else value)
        self.epoch += 1
        if self._improved(value):
            self.best, self.best_epoch, self.num_bad = value, self.epoch, 0
            if self.restore_best_weights and model is not None:
                self.best_state = {
                    k: v.clone() if isinstance(v, Tensor) else copy.deepcopy(v)
                    for k, v in model.state_dict().items()
                }
        else:
            self.num_bad += 1
        self.should_stop = self.num_bad >= max(self.patience, 1) if self.num_bad else False
        if (
            self.should_stop
            and self.restore_best_weights
            and model is not None
            and self.best_state is not None
        ):
            model.load_state_dict(self.best_state)
        return self.should_stop

    __call__ = step


class History:
    """Per-epoch record of losses/metrics, learning rates and per-layer grad/weight norms:
    the training monitor.

    Call ``log_grads(model)`` after ``backward()`` (it keeps a running mean per epoch),
    ``end_epoch(epoch_values, model=..., optimizer=...)`` once per epoch, and ``plot()``.
    :func:`fit` does all of that.

    With a ``writer`` (a TensorBoard ``SummaryWriter``, see
    :mod:`autograd.utils.tensorboard`), everything recorded also goes to TensorBoard as it
    is recorded: each epoch's values (``'val loss'`` as ``val/loss``), the learning rate
    (``lr``), the gradient and weight norm of every parameter (``grad_norm/<name>``,
    ``weight_norm/<name>``) and a histogram of its values (``weights/<name>``), at
    ``global_step`` = the epoch number (1, 2, ...); per-step values as ``step/<name>`` at the
    step number. The writer is flushed after every epoch, so TensorBoard shows an epoch as
    soon as it ends.

    Example:
        >>> h = History()
        >>> h.end_epoch({"train loss": 0.9}); h.end_epoch({"train loss": 0.5})
        >>> h.epochs, h.values["train loss"]
        ([0, 1], [0.9, 0.5])
    """

    def __init__(self, writer=None):
        self.epochs = []
        self.values = {}  # name -> list per epoch
        self.lr = []
        self.grad_norms = {}  # parameter name -> list per epoch (mean over logged steps)
        self.weight_norms = {}
        self._grad_acc = {}
        self._grad_count = 0
        self.steps = {}  # name -> list per training step (log_step)
        self.stop_reason = None  # set by fit() when training ended before its last epoch
        self.writer = writer

    def log_step(self, **values):
        """Record per-step values (e.g. ``loss=loss.item(), lr=...``) for finer curves."""
        for k, v in values.items():
            vals = self.steps.setdefault(k, [])
            vals.append(float(v.item() if isinstance(v, Tensor) else v))
            if self.writer is not None:
                self.writer.add_scalar(f"step/{_tag(k)}", vals[-1], len(vals))

    def log_grads(self, model):
        for name, p in model.named_parameters():
            if p.grad is not None:
                n = float(np.linalg.norm(p.grad._data.astype(np.float64)))
                self._grad_acc[name] = self._grad_acc.get(name, 0.0) + n
        self._grad_count += 1

    def end_epoch(self, values: dict, model=None, optimizer=None):
        self.epochs.append(len(self.epochs))
        for k, v in values.items():
            self.values.setdefault(k, []).append(float(v.item() if isinstance(v, Tensor) else v))
        if optimizer is not None:
            self.lr.append(float(optimizer.param_groups[0]["lr"]))
        if model is not None:
            for name, p in model.named_parameters():
                self.weight_norms.setdefault(name, []).append(
                    float(np.linalg.norm(p._data.astype(np.float64)))
                )
                if self._grad_count:
                    self.grad_norms.setdefault(name, []).append(
                        self._grad_acc.get(name, 0.0) / self._grad_count
                    )
        if self.writer is not None:
            self._write_epoch(values, model, optimizer)
        self._grad_acc, self._grad_count = {}, 0

    def _write_epoch(self, values, model, optimizer):
        w, epoch = self.writer, len(self.epochs)
        for k in values:
            w.add_scalar(_tag(k), self.values[k][-1], epoch)
        if optimizer is not None:
            w.add_scalar("lr", self.lr[-1], epoch)
        if model is not None:
            for name, p in model.named_parameters():
                if self._grad_count:
                    w.add_scalar(f"grad_norm/{name}", self.grad_norms[name][-1], epoch)
                w.add_scalar(f"weight_norm/{name}", self.weight_norms[name][-1], epoch)
                w.add_histogram(f"weights/{name}", p._data.astype(np.float32), epoch)
        w.flush()

    def plot(self, path=None, keys=None):
        """The monitor in one figure: losses (per step and per epoch), accuracies (values
        named ``*acc*``), learning rate and, when gradient norms were logged
        (``fit(..., log_grads=True)``), each parameter's gradient norm and weight norm per
        epoch -- each on its own panel, three panels to a row. Returns the figure."""
        import matplotlib

        if path is not None and not _in_notebook():
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        step_lr = self.steps.get("lr")
        keys = list(keys or self.values)
        acc_keys = [k for k in keys if "acc" in k.lower()]
        loss_keys = [k for k in keys if k not in acc_keys]
        panels = ["loss"] + ["accuracy"] * bool(acc_keys) + ["lr"] * bool(self.lr or step_lr)
        panels += ["grad"] * bool(self.grad_norms) + ["weight"] * bool(
            self.grad_norms and self.weight_norms
        )
        cols = min(len(panels), 3)
        rows = -(-len(panels) // cols)
        fig, grid = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
        n_epochs = max(len(self.epochs), 1)
        for ax, panel in zip(grid.flat, panels):
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
            if panel == "loss":
                self._plot_steps(ax, n_epochs)
                for k in loss_keys:
                    ax.plot(
                        np.asarray(self.epochs[: len(self.values[k])]) + 1,
                        self.values[k],
                        marker="o",
                        label=k,
                    )
                ax.set_title("loss" if self.steps or loss_keys else "")
            elif panel == "accuracy":
                for k in acc_keys:
                    ax.plot(
                        np.asarray(self.epochs[: len(self.values[k])]) + 1,
                        self.values[k],
                        marker="o",
                        label=k,
                    )
                ax.set_title("accuracy")
            elif panel == "lr":
                vals = step_lr or self.lr
                xs = np.arange(1, len(vals) + 1) * (n_epochs / len(vals))
                ax.plot(xs, vals, marker="." if len(vals) < 50 else None)
                ax.set_title("learning rate")
            else:
                norms = self.grad_norms if panel == "grad" else self.weight_norms
                for name, vals in norms.items():
                    ax.plot(np.arange(1, len(vals) + 1), vals, marker="o", label=name)
                ax.set_yscale("log")
                ax.set_title(
                    "gradient norm per parameter (mean over steps)"
                    if panel == "grad"
                    else "weight norm per parameter"
                )
                if len(norms) > 10:
                    continue
            if ax.lines and panel != "lr":
                ax.legend(fontsize=7 if panel in ("grad", "weight") else 8)
        for ax in grid.flat[len(panels) :]:
            fig.delaxes(ax)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig

    def _plot_steps(self, ax, n_epochs):
        """Per-step curves on the loss panel, x in (fractional) epochs."""
        for k, vals in self.steps.items():
            if k == "lr":
                continue
            xs = np.arange(1, len(vals) + 1) * (n_epochs / len(vals))
            ax.plot(xs, vals, alpha=0.35, lw=0.8, label=f"{k} (per step)")
            if len(vals) >= 20:  # a moving average shows the trend through the noise
                w = max(len(vals) // 50, 5)
                ax.plot(
                    xs[w - 1 :],
                    np.convolve(vals, np.ones(w) / w, mode="valid"),
                    lw=1.5,
                    label=f"{k} (moving average)",
                )


def _tag(key: str) -> str:
    """A TensorBoard tag for a recorded value: ``'val loss'`` -> ``'val/loss'`` (TensorBoard
    groups charts by the part before the first ``/``; it has no spaces in tags)."""
    return "/".join(key.split())


# ---- the training loop -----------------------------------------------------------------------
def _is_class_target(out, y) -> bool:
    """Class scores (N, C) against integer labels (N,): accuracy makes sense."""
    return (
        isinstance(out, Tensor)
        and isinstance(y, Tensor)
        and out.ndim == 2
        and y.ndim == 1
        and np.issubdtype(y._data.dtype, np.integer)
    )


def _correct(out, y) -> int:
    return int(np.count_nonzero(out._data.argmax(1) == y._data))


def _set_mode(model, train: bool):
    method = getattr(model, "train" if train else "eval", None)
    if callable(method):  # nn.Module.train() / .eval(); anything else callable is left alone
        method()


class Evaluation(NamedTuple):
    """What :func:`evaluate` measured on a whole data set."""

    loss: float | None  # mean loss per sample (None without a loss function)
    accuracy: float | None  # None unless outputs are (N, C) scores and targets int labels
    outputs: Tensor  # the model's outputs for every sample, in loader order
    targets: Tensor

    @property
    def predictions(self) -> Tensor:
        """The predicted class of every sample (``outputs.argmax(1)``)."""
        return self.outputs.argmax(1)


def evaluate(model, loader, loss_fn=None) -> Evaluation:
    """Run ``model`` over every batch of ``loader`` in eval mode without recording a graph.

    Returns an :class:`Evaluation`: mean loss per sample (when ``loss_fn`` is given; it must
    average over the batch, as PyTorch losses do by default), accuracy (for class scores
    against integer labels), and all outputs and targets. The model's train/eval mode is
    restored afterwards.

    Example:
        >>> import autograd, nn
        >>> import nn.functional as F
        >>> from autograd.utils.data import DataLoader, TensorDataset
        >>> x, y = autograd.randn(10, 3), autograd.tensor([0, 1] * 5)
        >>> ev = evaluate(nn.Linear(3, 2), DataLoader(TensorDataset(x, y), batch_size=4), F.cross_entropy)
        >>> tuple(ev.outputs.shape), 0.0 <= ev.accuracy <= 1.0
        ((10, 2), True)
    """
    from .ops import cat

    was_training = bool(getattr(model, "training", False))
    _set_mode(model, False)
    outputs, targets, total, n = [], [], 0.0, 0
    try:
        with no_grad():
            for x, y in loader:
                out = model(x)
                if loss_fn is not None:
                    total += float(loss_fn(out, y).item()) * len(y)
                n += len(y)
                outputs.append(out)
                targets.append(y)
    finally:
        if was_training:
            _set_mode(model, True)
    if not outputs:
        raise ValueError("evaluate: the loader gave no batches")
    out, tgt = cat(outputs), cat(targets)
    acc = _correct(out, tgt) / n if _is_class_target(out, tgt) else None
    return Evaluation(total / n if loss_fn is not None else None, acc, out, tgt)


def train_epoch(
    model,
    loader,
    optimizer,
    loss_fn,
    *,
    history=None,
    log_grads=False,
    log_steps=False,
    scheduler=None,
):
    """One pass over ``loader``: forward, loss, ``zero_grad``, ``backward``, ``step``.

    Returns ``(mean loss per sample, accuracy)``; accuracy is measured on the training
    batches as they go by (the model changes during the epoch) and is None unless outputs are
    class scores against integer labels. With ``history``, ``log_grads=True`` logs every
    step's gradient norms (:meth:`History.log_grads`) and ``log_steps=True`` every step's
    loss and learning rate (``history.steps['loss']``, ``history.steps['lr']``: the rate the
    step used). A ``scheduler`` is stepped after every optimizer step (schedules counted in
    steps, such as ``OneCycleLR``). Stops at the first non-finite loss and returns it (a
    diverged run: nothing more to learn from its steps).
    """
    _set_mode(model, True)
    total, correct, n, classes = 0.0, 0, 0, None
    for x, y in loader:
        out = model(x)
        loss = loss_fn(out, y)
        optimizer.zero_grad()
        loss.backward()
        if history is not None and log_grads:
            history.log_grads(model)
        lr = optimizer.param_groups[0]["lr"]
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        value = float(loss.item())
        if history is not None and log_steps:
            history.log_step(loss=value, lr=lr)
        if not math.isfinite(value):
            return value, None
        if classes is None:
            classes = _is_class_target(out, y)
        if classes:
            correct += _correct(out, y)
        total += value * len(y)
        n += len(y)
    if n == 0:
        raise ValueError("train_epoch: the loader gave no batches")
    return total / n, (correct / n if classes else None)


def _step_scheduler(scheduler, values, monitor):
    """One epoch's ``scheduler.step()``; ``ReduceLROnPlateau`` (whose ``step`` takes the
    metric) gets the monitored value."""
    import inspect

    if "metrics" in inspect.signature(scheduler.step).parameters:
        if monitor not in values:
            raise KeyError(f"fit: the scheduler needs {monitor!r}; recorded: {list(values)}")
        scheduler.step(values[monitor])
    else:
        scheduler.step()


def fit(
    model,
    train_loader,
    optimizer,
    loss_fn,
    epochs,
    *,
    val_loader=None,
    early_stopping=None,
    monitor=None,
    log_grads=False,
    log_steps=True,
    verbose=True,
    history=None,
    scheduler=None,
    scheduler_interval="epoch",
    writer=None,
) -> History:
    """Train for ``epochs`` epochs; returns a :class:`History` of per-epoch values.

    Records ``'train loss'`` and ``'train accuracy'`` (during the epoch), and with a
    ``val_loader`` ``'val loss'`` and ``'val accuracy'`` (after it, via :func:`evaluate`),
    plus learning rate and weight norms (and gradient norms with ``log_grads=True``), and
    the loss and learning rate of every step in ``history.steps`` (``log_steps=False`` to
    skip). A ``scheduler`` is stepped once per epoch after validation (``ReduceLROnPlateau``
    gets the ``monitor`` value), or after every optimizer step with
    ``scheduler_interval="step"``. ``writer`` (a TensorBoard ``SummaryWriter``) receives
    everything the history records (see :class:`History`).
    ``early_stopping`` is an :class:`EarlyStopping` fed with ``monitor`` (default
    ``'val loss'``, or ``'train loss'`` without a validation set); training stops when it
    says so (restoring the best weights if it was made with ``restore_best_weights=True``).
    A non-finite training loss also stops training. ``history.stop_reason`` says why training
    ended early (None when all epochs ran). ``verbose`` prints one line per epoch.

    Example:
        >>> import autograd, nn, optim
        >>> import nn.functional as F
        >>> from autograd.utils.data import DataLoader, TensorDataset
        >>> x = autograd.randn(64, 2); y = (x[:, 0] > 0).long()
        >>> model = nn.Linear(2, 2)
        >>> h = fit(model, DataLoader(TensorDataset(x, y), batch_size=16),
        ...         optim.SGD(model.parameters(), lr=0.5), F.cross_entropy, epochs=5, verbose=False)
        >>> len(h.values["train loss"]), h.values["train accuracy"][-1] > 0.8
        (5, True)
    """
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(
            f"fit: scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}"
        )
    history = History() if history is None else history
    history.stop_reason = None
    if writer is not None:
        history.writer = writer
    monitor = monitor or ("val loss" if val_loader is not None else "train loss")
    per_step = scheduler if scheduler_interval == "step" else None
    for epoch in range(epochs):
        start = time.perf_counter()
        loss, acc = train_epoch(
            model,
            train_loader,
            optimizer,
            loss_fn,
            history=history,
            log_grads=log_grads,
            log_steps=log_steps,
            scheduler=per_step,
        )
        values = {"train loss": loss}
        if acc is not None:
            values["train accuracy"] = acc
        if not math.isfinite(loss):
            history.end_epoch(values, model=model, optimizer=optimizer)
            history.stop_reason = f"the training loss became {loss} in epoch {epoch + 1}"
            if verbose:
                print(f"stopped: {history.stop_reason}")
            break
        if val_loader is not None:
            ev = evaluate(model, val_loader, loss_fn)
            values["val loss"] = ev.loss
            if ev.accuracy is not None:
                values["val accuracy"] = ev.accuracy
        history.end_epoch(values, model=model, optimizer=optimizer)
        if verbose:
            shown = "  ".join(
                f"{k} {v:.2%}" if "accuracy" in k else f"{k} {v:.4f}" for k, v in values.items()
            )
            print(
                f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}  {shown}  "
                f"({time.perf_counter() - start:.1f} s)"
            )
        if scheduler is not None and per_step is None:
            _step_scheduler(scheduler, values, monitor)
        if early_stopping is not None:
            if monitor not in values:
                raise KeyError(f"fit: cannot monitor {monitor!r}; recorded: {list(values)}")
            if early_stopping.step(values[monitor], model):
                history.stop_reason = (
                    f"early stopping: {monitor} did not improve for {early_stopping.patience} "
                    f"epochs (best {early_stopping.best:.4f} in epoch {early_stopping.best_epoch + 1})"
                )
                if verbose:
                    print(history.stop_reason)
                break
    return history


def plot_histories(runs, keys=None, *, title=None, logy=False, figsize=None):
    """Compare runs: one panel per recorded value (``'train loss'``, ``'val accuracy'`` ...),
    one line per run.

    ``runs`` maps a label to a :class:`History`; ``keys`` picks the values (default: all,
    in the order first recorded); ``logy`` puts the loss panels on a log axis. Returns a
    matplotlib ``Figure`` made without pyplot (it shows once in Jupyter, needs no display).

    Example:
        >>> a, b = History(), History()
        >>> for v in (1.0, 0.5):
        ...     a.end_epoch({"train loss": v}); b.end_epoch({"train loss": v / 2})
        >>> fig = plot_histories({"lr 0.1": a, "lr 1": b})
        >>> [ax.get_title() for ax in fig.axes]
        ['train loss']
    """
    from matplotlib.ticker import MaxNLocator

    from ._figures import new_figure

    if not runs:
        raise ValueError("plot_histories: no runs given")
    if keys is None:
        keys = list(dict.fromkeys(k for h in runs.values() for k in h.values))
    elif isinstance(keys, str):
        keys = [keys]
    n = max(len(keys), 1)
    fig = new_figure(figsize=figsize or (4.6 * n, 3.5), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, key in zip(axes, keys):
        for label, h in runs.items():
            vals = h.values.get(key)
            if vals:
                ax.plot(
                    np.arange(1, len(vals) + 1),
                    vals,
                    marker="o" if len(vals) <= 30 else None,
                    ms=3,
                    label=label,
                )
        if logy and "loss" in key:
            ax.set_yscale("log")
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.set_ylabel(key.split()[-1])
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


# ---- hyper-parameter search with Optuna (the optional extra [hpsearch]) --------------------
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
    from ._figures import new_figure

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
