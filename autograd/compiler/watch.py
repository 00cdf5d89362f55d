"""Watched arrays: how a trace notices values that leave the recorded steps.

A compiled function is replayed as array operations only, so a value that the traced Python
code looks at outside those operations (``if loss.item() > 3``, NumPy on ``t._data`` in a
public function, ``print(x)``) would be frozen into the replay. While a call is traced,
every array the trace knows (the inputs, each step's output, the parameters and buffers of
the modules involved, the gradients of leaves) is a ``Watched`` array: an ``ndarray``
subclass that reports every use of its values to the tracer. Inside a recorded step (an
op's forward, a backward pass, an ``autograd.compiler.disable``d call) the tracer is
*inside* and uses are normal; outside, a use is an *escape* and the trace is abandoned
(the call itself is eager, so its result stays right; docs/compile.md).

What reports: NumPy functions and ufuncs (``__array_ufunc__``, ``__array_function__``) and
the methods that hand values to Python (``item``, ``tolist``, ``bool()``, ``float()``,
printing ...). Views and copies (``reshape``, ``astype``, indexing) are watched arrays too,
so their uses report in turn; one that reaches an op is reported by the tracer, which knows
the arrays it named (``Tracer._slot_of_array``). What does not report: metadata (``shape``,
``dtype``, ``strides``), and conversions that drop the subclass (``np.asarray``,
``.view(np.ndarray)``, a Numba kernel's argument); the tracer recognises such an alias by
its memory when it reaches an op, but values computed from it go unseen.

Example:
    >>> import numpy as np
    >>> from autograd.compiler import watch
    >>> class Probe:                 # what the tracer provides
    ...     inside, seen = 0, []
    ...     def escape(self, what): self.seen.append(what)
    >>> watch._active = probe = Probe()
    >>> w = watch.watched(np.arange(3.0), probe)
    >>> w.shape, (w * 2).tolist(), probe.seen
    ((3,), [0.0, 2.0, 4.0], ['numpy multiply'])
    >>> watch._active = None
"""

from __future__ import annotations

import numpy as np

# The tracer whose arrays are watched (None when nothing is traced). It has ``inside`` (> 0
# while a recorded step runs) and ``escape(what)``; see tracer.py.
_active = None


def _report(what: str) -> None:
    t = _active
    if t is not None and not t.inside:
        t.escape(what)


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, Watched) else x


def _value_method(name, what=None):
    """The ``ndarray`` method ``name``, reporting ``what`` (``"ndarray.<name>"`` by default)
    before it runs on the plain array."""

    def method(self, *args, **kwargs):
        _report(what or f"ndarray.{name}")
        return getattr(self.view(np.ndarray), name)(*args, **kwargs)

    method.__name__ = name
    return method


class Watched(np.ndarray):
    """An ndarray that reports uses of its values while a trace is outside a recorded step
    (see the module docstring). Results of NumPy calls on it are plain arrays."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _report(f"numpy {ufunc.__name__}" + ("" if method == "__call__" else "." + method))
        inputs = tuple(_plain(x) for x in inputs)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_plain(x) for x in out)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        _report(f"numpy.{func.__name__}")
        return func._implementation(
            *_plain_tree(args), **{k: _plain_tree(v) for k, v in kwargs.items()}
        )

    # values handed to Python: each reports what it hands over, then does what the array does
    item = _value_method("item", "the value of a tensor (item)")
    tolist = _value_method("tolist", "the values of a tensor (tolist)")
    __bool__ = _value_method("__bool__", "the truth value of a tensor")
    __float__ = _value_method("__float__", "the value of a tensor (float)")
    __int__ = _value_method("__int__", "the value of a tensor (int)")
    __index__ = _value_method("__index__", "the value of a tensor (index)")
    __iter__ = _value_method("__iter__", "iterating over a tensor's values")
    __repr__ = _value_method("__repr__", "printing a tensor")
    __str__ = _value_method("__str__", "printing a tensor")
    __reduce_ex__ = _value_method("__reduce_ex__", "pickling a tensor")
    tobytes = _value_method("tobytes", "the bytes of a tensor")

    def __setitem__(self, key, value):
        _report("a write into a tensor's array outside an op")
        self.view(np.ndarray)[key] = _plain(value)

    def fill(self, value):
        _report("a write into a tensor's array outside an op")
        self.view(np.ndarray).fill(value)


for _name in (
    "argmax",
    "argmin",
    "argsort",
    "nonzero",
    "sort",
    "partition",
    "put",
    "searchsorted",
    "any",
    "all",
    "max",
    "min",
    "sum",
    "mean",
    "prod",
    "std",
    "var",
    "cumsum",
    "cumprod",
    "dot",
    "clip",
    "round",
    "trace",
    "ptp",
):
    setattr(Watched, _name, _value_method(_name))
del _name


def _plain_tree(x):
    if isinstance(x, Watched):
        return x.view(np.ndarray)
    if type(x) in (tuple, list):
        return type(x)(_plain_tree(v) for v in x)
    return x


def watched(arr: np.ndarray, tracer) -> Watched:
    """``arr`` as a Watched view reporting to ``tracer`` (made while the tracer is inside, so
    making it is not itself a report)."""
    tracer.inside += 1
    try:
        return arr.view(Watched)
    finally:
        tracer.inside -= 1
