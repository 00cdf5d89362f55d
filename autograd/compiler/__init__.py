"""``autograd.compile``: trace a forward pass or a training step once, replay it as array code.

The design is in docs/compile.md. The parts:

* tracer.py: the trace of one eager call (the hooks in ``Op.apply``, ``engine._run`` and
  ``disable``); watch.py: how values escaping the trace are noticed;
* plan.py: the trace as generated Python source, replayed on later calls;
* guards.py: what must still hold for a plan to be replayed;
* compiled.py: the compiled function (plan cache, replay, fallbacks, warnings) and the
  node a compiled module's outputs carry;
* this module: ``compile`` and torch.compiler's ``disable``/``is_compiling``/``reset`` (light:
  ``optim`` and ``nn`` use ``disable`` at import; the rest is imported on first compile).

Example:
    >>> import autograd
    >>> @autograd.compile
    ... def f(x):
    ...     return (x * 2).exp().sum()
    >>> x = autograd.ones(3)
    >>> f(x), f(x + 1)          # traced, then replayed
    (tensor(22.1672), tensor(163.7944))
"""

from __future__ import annotations

import functools

from .. import function as _function

__all__ = ["compile", "disable", "is_compiling", "reset"]


def compile(
    model=None,
    *,
    fullgraph: bool = False,
    dynamic=None,
    backend="inductor",
    mode=None,
    options=None,
    disable: bool = False,
):
    """Compile a function (a forward pass or a whole training step) or a module.

    The first call with a new kind of inputs runs eagerly while it is traced; later calls
    replay the traced array operations (docs/compile.md). Results equal eager mode's.
    What cannot be replayed (``.item()`` used in Python control flow, hooks, random draws
    outside ops ...) runs eagerly, with one warning saying what and where.

    Use as ``autograd.compile(fn)``, ``@autograd.compile``, ``@autograd.compile(...)``;
    ``autograd.compile(module)`` returns a compiled wrapper of ``module`` (see
    ``nn.Module.compile`` for compiling a module in place). torch.compile's keywords are
    accepted: ``fullgraph=True`` makes a fallback an error; ``disable=True`` returns
    ``model`` unchanged; ``mode``, ``dynamic``, ``backend`` and ``options`` change nothing.

    Example:
        >>> import autograd, nn, optim
        >>> model = nn.Linear(3, 1); opt = optim.SGD(model.parameters(), lr=0.1)
        >>> @autograd.compile
        ... def step(x, y):
        ...     opt.zero_grad()
        ...     loss = ((model(x) - y) ** 2).mean()
        ...     loss.backward()
        ...     opt.step()
        ...     return loss.detach()
        >>> x, y = autograd.randn(8, 3), autograd.randn(8, 1)
        >>> losses = [step(x, y).item() for _ in range(3)]
        >>> losses[2] < losses[0]
        True
    """
    if model is None:
        return functools.partial(
            compile,
            fullgraph=fullgraph,
            dynamic=dynamic,
            backend=backend,
            mode=mode,
            options=options,
            disable=disable,
        )
    if disable:
        return model
    wrap = getattr(model, "_compiled_wrapper", None)  # nn.Module: a module-like wrapper
    if wrap is not None:
        return wrap(fullgraph=fullgraph)
    if not callable(model):
        raise TypeError(
            f"autograd.compile: expected a callable or a Module, got {type(model).__name__}"
        )
    from .compiled import CompiledFunction

    return CompiledFunction(model, fullgraph=fullgraph)


def disable(fn=None, recursive: bool = True):
    """Run ``fn`` eagerly even when a compiled function calls it (torch.compiler.disable).

    Inside a compiled function the call is recorded and made again on every replay, so
    Python state it reads (an optimizer's learning rate, its step count) is read each time.
    It must not take or return tensors computed by the compiled function (the call then
    runs eagerly instead). ``Optimizer.step``/``zero_grad``, ``Module.zero_grad`` and the
    learning-rate schedulers' ``step`` are disabled this way.

    Example:
        >>> import autograd
        >>> calls = []
        >>> @autograd.compiler.disable
        ... def count():
        ...     calls.append(1)
        >>> @autograd.compile
        ... def f(x):
        ...     count()
        ...     return x * 2
        >>> _ = [f(autograd.ones(2)) for _ in range(3)]
        >>> len(calls)
        3
    """
    if fn is None:
        return functools.partial(disable, recursive=recursive)

    if getattr(fn, "_compiler_disabled", False):
        return fn

    @functools.wraps(fn)
    def run_eagerly(*args, **kwargs):
        tracer = _function._tracer
        if tracer is None:
            return fn(*args, **kwargs)
        return tracer.call(fn, args, kwargs)

    run_eagerly._compiler_disabled = True
    return run_eagerly


def is_compiling() -> bool:
    """True while a compiled function is being traced (torch.compiler.is_compiling)."""
    return _function._tracer is not None


def reset() -> None:
    """Forget every compiled plan (torch.compiler.reset); the next calls trace again."""
    import sys

    compiled = sys.modules.get(__name__ + ".compiled")
    if compiled is not None:
        for cf in list(compiled._compiled):
            cf._cache.clear()
            cf._last_hit = None
            cf.last_plan = cf.traced_plan = None
            cf._warned.clear()
            cf._traces = 0
