"""The training loop every PyTorch tutorial writes by hand: ``evaluate``, ``train_epoch``,
``fit`` (epochs with validation, early stopping, a scheduler and a ``History``) and
``plot_histories`` comparing runs."""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import numpy as np

from ..grad_mode import no_grad
from ..tensor import Tensor
from .monitor import History

__all__ = ["Evaluation", "evaluate", "train_epoch", "fit", "plot_histories"]


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
    from ..ops import cat

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

    from .._figures import new_figure

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
