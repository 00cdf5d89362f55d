"""Small helpers around a training loop: the loop itself (``fit``, ``train_epoch``,
``evaluate``; loop.py), progress bars, early stopping, a history/monitor (monitor.py), plots
comparing runs, and hyper-parameter search with Optuna (``OptunaObjective``, ``plot_study``;
hpsearch.py).

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

from .hpsearch import OptunaObjective, plot_study
from .loop import Evaluation, evaluate, fit, plot_histories, train_epoch
from .monitor import EarlyStopping, History, progress

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
