"""Small helpers around a training loop: progress bars, early stopping, a history/monitor.

They use only duck typing (a model with ``named_parameters``/``state_dict``, an optimizer
with ``param_groups``), so ``autograd`` does not import ``nn`` or ``optim``.

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

from .tensor import Tensor

__all__ = ["progress", "EarlyStopping", "History"]


def progress(iterable, desc=None, total=None, disable=None, leave=True, **kwargs):
    """A ``tqdm.auto`` progress bar that stays quiet when stderr is not a terminal
    (CI logs, redirected output) unless ``disable=False`` is given explicitly."""
    from tqdm.auto import tqdm
    if disable is None:
        disable = not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()) and not _in_notebook()
    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=leave, **kwargs)


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
                self.best_state = {k: v.clone() if isinstance(v, Tensor) else copy.deepcopy(v)
                                   for k, v in model.state_dict().items()}
        else:
            self.num_bad += 1
        self.should_stop = self.num_bad >= max(self.patience, 1) if self.num_bad else False
        if self.should_stop and self.restore_best_weights and model is not None \
                and self.best_state is not None:
            model.load_state_dict(self.best_state)
        return self.should_stop

    __call__ = step


class History:
    """Per-epoch record of losses/metrics, learning rates and per-layer grad/weight norms.

    Call ``log_grads(model)`` after ``backward()`` (it keeps a running mean per epoch),
    ``end_epoch(epoch_values, model=..., optimizer=...)`` once per epoch, and ``plot()``.
    """

    def __init__(self):
        self.epochs = []
        self.values = {}          # name -> list per epoch
        self.lr = []
        self.grad_norms = {}      # parameter name -> list per epoch (mean over logged steps)
        self.weight_norms = {}
        self._grad_acc = {}
        self._grad_count = 0
        self.steps = {}           # name -> list per training step (log_step)

    def log_step(self, **values):
        """Record per-step values (e.g. ``loss=loss.item(), lr=...``) for finer curves."""
        for k, v in values.items():
            self.steps.setdefault(k, []).append(float(v.item() if isinstance(v, Tensor) else v))

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
                    float(np.linalg.norm(p._data.astype(np.float64))))
                if self._grad_count:
                    self.grad_norms.setdefault(name, []).append(
                        self._grad_acc.get(name, 0.0) / self._grad_count)
        self._grad_acc, self._grad_count = {}, 0

    def plot(self, path=None, keys=None):
        """Loss/metric curves, learning rate and gradient norms; returns the figure."""
        import matplotlib
        if path is not None and not _in_notebook():
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        step_lr = self.steps.get("lr")
        panels = 1 + bool(self.lr or step_lr) + bool(self.grad_norms)
        fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.6), squeeze=False)
        ax = axes[0][0]
        n_epochs = max(len(self.epochs), 1)
        for k, vals in self.steps.items():  # per-step curves, x in (fractional) epochs
            if k == "lr":
                continue
            xs = np.arange(1, len(vals) + 1) * (n_epochs / len(vals))
            ax.plot(xs, vals, alpha=0.35, lw=0.8, label=f"{k} (per step)")
            if len(vals) >= 20:  # a moving average shows the trend through the noise
                w = max(len(vals) // 50, 5)
                ax.plot(xs[w - 1:], np.convolve(vals, np.ones(w) / w, mode="valid"), lw=1.5,
                        label=f"{k} (moving average)")
        for k in keys or self.values:
            ax.plot(np.asarray(self.epochs[:len(self.values[k])]) + 1, self.values[k], marker="o",
                    label=k)
        ax.set_xlabel("epoch")
        ax.set_title("loss and metrics")
        ax.legend(fontsize=8)
        i = 1
        if step_lr or self.lr:
            vals = step_lr or self.lr
            xs = np.arange(1, len(vals) + 1) * (n_epochs / len(vals))
            axes[0][i].plot(xs, vals, marker="." if len(vals) < 50 else None)
            axes[0][i].set_title("learning rate")
            axes[0][i].set_xlabel("epoch")
            i += 1
        if self.grad_norms:
            a = axes[0][i]
            for name, vals in self.grad_norms.items():
                a.plot(np.arange(1, len(vals) + 1), vals, marker="o", label=name)
            a.set_yscale("log")
            a.set_title("gradient norm per parameter")
            a.set_xlabel("epoch")
            if len(self.grad_norms) <= 10:
                a.legend(fontsize=7)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig
