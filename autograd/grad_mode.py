"""Gradient mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

The flag lives in a ``ContextVar`` so it is thread-local (and asyncio-task-local): a
``no_grad`` block in one thread never turns recording off in another.

Example:
    >>> import autograd
    >>> x = autograd.ones(2, requires_grad=True)
    >>> with autograd.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import contextvars
import functools
import inspect

_grad_enabled = contextvars.ContextVar("autograd_grad_enabled", default=True)


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return _grad_enabled.get()


class _GradModeContext:
    """Base for the grad-mode context managers; each is also usable as a decorator."""

    _mode: bool = True

    def __new__(cls, *args, **kwargs):
        # ``@no_grad`` without parentheses: the class is called with the function itself.
        if cls in (no_grad, enable_grad) and len(args) == 1 and callable(args[0]):
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self.__dict__.setdefault("_tokens", []).append(_grad_enabled.set(self._mode))
        return self

    def __exit__(self, *exc):
        _grad_enabled.reset(self._tokens.pop())
        return False

    def __call__(self, fn):
        return _with_mode(fn, self._mode)


def _with_mode(fn, mode: bool):
    """``fn`` run with grad mode ``mode`` (the decorator form of the contexts)."""
    if inspect.isgeneratorfunction(fn):
        return _generator_in(fn, lambda: _Mode(mode))

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        token = _grad_enabled.set(mode)
        try:
            return fn(*args, **kwargs)
        finally:
            _grad_enabled.reset(token)

    return wrapper


def _decorate(fn, make_context):
    """``fn`` run inside a new ``make_context()`` at each call: the decorator form of a context
    manager (a new one per call, so that threads and recursive calls each have their own)."""
    if inspect.isgeneratorfunction(fn):
        return _generator_in(fn, make_context)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with make_context():
            return fn(*args, **kwargs)

    return wrapper


class _Mode:
    """Grad mode ``mode`` inside a ``with`` block (for _generator_in)."""

    def __init__(self, mode: bool):
        self._mode = mode

    def __enter__(self):
        self._token = _grad_enabled.set(self._mode)

    def __exit__(self, *exc):
        _grad_enabled.reset(self._token)
        return False


def _generator_in(gen_fn, make_context):
    """A decorated generator function: each step of the generator (up to its next ``yield``)
    runs inside a new ``make_context()``, and the caller's mode is back while it is paused,
    as torch's decorators do (wrapping only the call that creates the generator would run
    none of its body in the mode)."""

    @functools.wraps(gen_fn)
    def wrapper(*args, **kwargs):
        gen = gen_fn(*args, **kwargs)
        try:
            with make_context():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make_context():
                        gen.close()
                    raise
                except BaseException as e:
                    with make_context():
                        response = gen.throw(e)
                else:
                    with make_context():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value

    return wrapper


class no_grad(_GradModeContext):
    """Context manager / decorator that disables graph recording (like ``torch.no_grad``)."""

    _mode = False


class enable_grad(_GradModeContext):
    """Context manager / decorator that enables graph recording inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` as a context manager, decorator, or plain call."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        # Like torch, calling it without ``with`` sets the mode immediately.
        self._prev = _grad_enabled.get()
        _grad_enabled.set(self._mode)

    def __enter__(self):
        self._token = None
        return self

    def __exit__(self, *exc):
        _grad_enabled.set(self._prev)
        return False

    def __call__(self, fn):
        # undo the immediate set done in __init__: as a decorator it applies per call
        _grad_enabled.set(self._prev)
        return _with_mode(fn, self._mode)


_inference = contextvars.ContextVar("autograd_inference_mode", default=False)


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (and its decorated functions)."""
    return _inference.get()


class inference_mode(no_grad):
    """``no_grad`` that ``is_inference_mode_enabled()`` reports (we have no separate
    inference tensors)."""

    def __init__(self, mode: bool = True):
        self._mode = not mode
        self._inference = bool(mode)

    def __enter__(self):
        self.__dict__.setdefault("_inference_tokens", []).append(_inference.set(self._inference))
        return super().__enter__()

    def __exit__(self, *exc):
        _inference.reset(self._inference_tokens.pop())
        return super().__exit__(*exc)

    def __call__(self, fn):
        return _decorate(fn, lambda: inference_mode(self._inference))
