"""The optimizers' and schedulers' public signatures are torch's (names, kinds, defaults), so a
refactor of their shared set-up cannot change what ``help()`` or ``inspect.signature`` show."""

import inspect

import pytest

import optim
import optim.lr_scheduler as ours_sched

torch_optim = pytest.importorskip("torch.optim")

OPTIMIZERS = [n for n in optim.__all__ if inspect.isclass(getattr(optim, n))]
SCHEDULERS = [
    n
    for n, obj in vars(ours_sched).items()
    if inspect.isclass(obj) and not n.startswith("_") and hasattr(torch_optim.lr_scheduler, n)
]
METHODS = ("__init__", "step", "zero_grad", "state_dict", "load_state_dict", "add_param_group")


def _parameters(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_signatures_are_torchs(name):
    ours, theirs = getattr(optim, name), getattr(torch_optim, name)
    for method in METHODS:
        assert _parameters(getattr(ours, method)) == _parameters(getattr(theirs, method)), method
    if name != "Optimizer":  # (each optimizer's docstring keeps its example)
        assert "Example:" in ours.__doc__


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_signatures_are_torchs(name):
    ours, theirs = getattr(ours_sched, name), getattr(torch_optim.lr_scheduler, name)
    assert _parameters(ours.__init__) == _parameters(theirs.__init__)


def test_every_optimizer_and_scheduler_is_checked():
    assert len(OPTIMIZERS) == 15 and len(SCHEDULERS) >= 15
