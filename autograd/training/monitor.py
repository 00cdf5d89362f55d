"""Watching a training run: ``progress`` bars, ``EarlyStopping`` and ``History`` (the values
recorded per epoch and per step, their plots and their TensorBoard copy).

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

import numpy as np

from ..tensor import Tensor

__all__ = ["progress", "EarlyStopping", "History"]


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
                self._plot_per_epoch(ax, loss_keys)
                ax.set_title("loss" if self.steps or loss_keys else "")
            elif panel == "accuracy":
                self._plot_per_epoch(ax, acc_keys)
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

    def _plot_per_epoch(self, ax, keys):
        """One curve per key of the per-epoch values, x the epoch (from 1)."""
        for k in keys:
            xs = np.asarray(self.epochs[: len(self.values[k])]) + 1
            ax.plot(xs, self.values[k], marker="o", label=k)

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
