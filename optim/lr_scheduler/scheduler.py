"""The ``LRScheduler`` base class and the helpers the schedulers share."""

import types
import warnings
import weakref
from functools import wraps

import autograd

from ..optimizer import Optimizer


EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available. Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)


def _format_param(name, optimizer, value):
    """One value per parameter group (a scalar is repeated; a list must match)."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has "
                f"{len(optimizer.param_groups)}."
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


def _group_lrs(optimizer):
    return [group["lr"] for group in optimizer.param_groups]


def _scaled_lrs(optimizer, factor):
    """Every group's current lr times ``factor``: one step of a chainable schedule."""
    return [group["lr"] * factor for group in optimizer.param_groups]


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


class LRScheduler:
    """Base class: subclasses implement ``get_lr()`` (the lrs for epoch ``self.last_epoch``).

    Args:
        optimizer: the optimizer whose ``group['lr']`` values are scheduled.
        last_epoch: index of the last epoch seen; keep -1 except when resuming.
    """

    _is_initial = False  # True during the construction step (some get_lr() differ there)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:  # (not traced by autograd.compile: runs on every call)
            cls.step = autograd.compiler.disable(cls.__dict__["step"])

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming scheduler with last_epoch >= 0: load the optimizer's "
                        "state_dict before creating the scheduler, or use last_epoch=-1"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        _track_optimizer_steps(optimizer)
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The learning rates for the current ``last_epoch`` (called by ``step``)."""
        raise NotImplementedError

    def get_last_lr(self):
        """The learning rates set by the last ``step()``, one per parameter group."""
        return self._last_lr

    @autograd.compiler.disable  # (a compiled training step runs it on every call)
    def step(self, epoch=None):
        """Advance one epoch and write the new learning rates into the optimizer."""
        if self._step_count == 1 and not self._is_initial:
            _warn_if_optimizer_not_stepped(self.optimizer)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _group_lrs(self.optimizer)

    def state_dict(self):
        """Everything in ``self.__dict__`` except the optimizer."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

    def _state_dict_with(self, name, saved):
        """``state_dict()`` with attribute ``name`` (something that cannot be saved as it is:
        functions, other schedulers) replaced by ``saved``."""
        sd = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", name)}
        sd[name] = saved
        return sd

    def _load_state_dict_with(self, state_dict, name):
        """Load a ``_state_dict_with(name, ...)`` dict except ``name``; returns what was saved
        for ``name``, for the caller to restore."""
        state_dict = dict(state_dict)
        saved = state_dict.pop(name)
        self.__dict__.update(state_dict)
        return saved


# torch warns when scheduler.step() comes before the first optimizer.step() (the first lr of
# the schedule would be skipped); to know, it wraps the optimizer's step once.
def _track_optimizer_steps(optimizer):
    if getattr(optimizer.step, "_wrapped_by_lr_sched", False):
        return
    opt_ref = weakref.ref(optimizer)
    func = optimizer.step.__func__

    @wraps(func)
    def step(*args, **kwargs):
        opt = opt_ref()
        opt._opt_called = True
        return func(opt, *args, **kwargs)

    step._wrapped_by_lr_sched = True
    optimizer.step = step


def _warn_if_optimizer_not_stepped(optimizer):
    if not getattr(optimizer.step, "_wrapped_by_lr_sched", False):
        warnings.warn(
            "Seems like `optimizer.step()` has been overridden after learning rate "
            "scheduler initialization. Please, make sure to call `optimizer.step()` "
            "before `lr_scheduler.step()`.",
            UserWarning,
            stacklevel=3,
        )
    elif not getattr(optimizer, "_opt_called", False):
        warnings.warn(
            "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
            "You should call them in the opposite order: `optimizer.step()` before "
            "`lr_scheduler.step()`. Failure to do this will result in skipping the "
            "first value of the learning rate schedule.",
            UserWarning,
            stacklevel=3,
        )


class _LRScheduler(LRScheduler):
    """The old name of ``LRScheduler`` (torch keeps it for custom schedulers that subclass
    it)."""


def _lambdas(optimizer, lr_lambda):
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * len(optimizer.param_groups)
    if len(lr_lambda) != len(optimizer.param_groups):
        raise ValueError(
            f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}"
        )
    return list(lr_lambda)


class _LambdaStateMixin:
    # Plain functions/lambdas cannot be saved; callable objects save their __dict__.
    def state_dict(self):
        return self._state_dict_with(
            "lr_lambdas",
            [
                None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
                for fn in self.lr_lambdas
            ],
        )

    def load_state_dict(self, state_dict):
        for fn, saved in zip(self.lr_lambdas, self._load_state_dict_with(state_dict, "lr_lambdas")):
            if saved is not None:
                fn.__dict__.update(saved)
