"""The tracer: one eager call of a compiled function, recorded as steps on named arrays.

While a call is traced, ``autograd.function._tracer`` is the ``Tracer``, so every op that
runs goes through ``Tracer.apply`` (the hook at the top of ``Op.apply``), every backward
pass through ``Tracer.backward`` (the hook in ``engine._run``) and every call of an
``autograd.compiler.disable``d function through ``Tracer.call``. Each records a step and
then runs the ordinary eager code, so the traced call computes exactly what an eager call
computes (and builds the ordinary graph, which the plan's backward is read from).

Arrays are named by *slots*: an input of the function, an external tensor (a parameter,
a buffer, a tensor the function's closure holds) read again on every replay, a constant
(an array made outside any op during the trace, e.g. by ``arange``), the output of a step,
or a leaf's gradient after a backward pass. Every named array is watched (watch.py); a use
of its values outside a recorded step is an escape, which abandons the trace (the call
itself completes eagerly).

Example:
    >>> import autograd
    >>> from autograd.compiler.tracer import Tracer
    >>> x = autograd.ones(3)
    >>> with Tracer("f") as tr:
    ...     tr.add_inputs([x])
    ...     y = (x * 2).exp()
    >>> [type(s).__name__ + ":" + s.op.__name__ for s in tr.steps]
    ['OpStep:Mul', 'OpStep:Exp']
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

import numpy as np

from .. import function as _function
from .. import random as _random
from .. import tensor as _tensor
from ..tensor import AccumulateGrad, Tensor
from . import watch as _watch


# ---- what a trace records ----------------------------------------------------------------
class Slot:
    """A named array of the trace. ``kind`` is one of

    * ``"input"``: the ``source``-th tensor among the function's (flattened) arguments;
    * ``"external"``: the tensor ``source`` (a parameter, buffer or closure tensor), whose
      ``_data`` is read again on every replay;
    * ``"const"``: the array ``source`` itself, made outside any op during the trace;
    * ``"step"``: the output of step number ``source``;
    * ``"grad"``: the gradient of leaf ``source`` after a backward pass.
    """

    __slots__ = ("array", "dtype", "kind", "n", "shape", "source", "span")

    def __init__(self, n, kind, source, array):
        self.n, self.kind, self.source, self.array = n, kind, source, array
        self.shape, self.dtype = array.shape, array.dtype
        self.span = _span(array)

    def __repr__(self):
        return f"<slot {self.n} {self.kind} {self.dtype}{list(self.shape)}>"


class SlotRef:
    """An array inside an op's ``params`` that the trace knows: replayed with that slot's
    current array instead of the array seen while tracing."""

    __slots__ = ("slot",)

    def __init__(self, slot):
        self.slot = slot

    def __repr__(self):
        return f"SlotRef({self.slot.n})"


@dataclass
class OpStep:
    """``out = op.forward(ctx, *ins, **params)``; ``node`` is the graph node the traced call
    made (None when nothing was recorded)."""
    op: type
    ins: tuple
    params: dict
    out: Slot
    node: object = None
    draws_random: bool = False


@dataclass
class CallStep:
    """``fn(*args, **kwargs)`` of a ``disable``d function, run again on every replay."""
    fn: object
    args: tuple
    kwargs: dict


@dataclass
class BackwardStep:
    """A backward pass: from ``roots`` (graph node, output slot) seeded with ``seeds``
    (a slot, or None for the implicit 1 of a scalar), gradients accumulated into leaves."""
    roots: list
    seeds: list
    retain_graph: bool
    leaves: dict = field(default_factory=dict)   # leaf tensor id -> its grad slot afterwards


@dataclass
class Escape:
    """Why a trace was abandoned: ``what`` happened, in library function ``call`` (e.g.
    ``Tensor.item``; None if the user's code did it directly), at ``where`` ('file:line')."""
    what: str
    call: str | None
    where: str | None

    def __str__(self):
        if self.where is None:
            return self.what
        call = f"{self.call}() at " if self.call else "at "
        return f"{call}{self.where}: {self.what}"


class Tracer:
    """Records one call; see the module docstring. Use as a context manager around the
    call, after naming the inputs (``add_inputs``) and externals (``add_externals``)."""

    def __init__(self, name: str):
        self.name = name             # the compiled function's name, for messages
        self.inside = 0              # > 0 while a recorded step runs (watch.py)
        self.escaped = None          # (what, where) of the first escape, else None
        self.steps: list = []
        self.slots: list[Slot] = []
        self.node_step: dict = {}    # graph node -> index of the OpStep that made it
        self._by_id: dict = {}       # id(array) -> Slot (the arrays are kept in the slots)
        self._by_memory: dict = {}   # (address, shape, strides, dtype) -> Slot
        self._restore: list = []     # (tensor, original array): put back when tracing ends
        self._drawing = False        # set when the running op draws random numbers
        self.inputs: list = []       # the tensor arguments, in flattened order
        self.discovered: list = []   # parameters found while tracing (guarded afterwards)

    # ---- installing the hooks ----------------------------------------------------------
    def __enter__(self):
        if _function._tracer is not None or _watch._active is not None:
            raise RuntimeError("autograd.compile: a compiled function was called while "
                               "another one is being traced (nested compiled calls are "
                               "traced as part of the outer one only when not compiled)")
        _function._tracer = self
        _watch._active = self
        _random._draw_hook = self._random_draw
        _tensor._asarray = np.asanyarray   # (Tensors keep watched arrays watched)
        return self

    def __exit__(self, *exc):
        self._uninstall()
        for t, original in reversed(self._restore):   # the tensors get their arrays back
            if isinstance(t._data, _watch.Watched):
                t._data = original if _same_memory(t._data, original) else t._data.view(np.ndarray)
        for s in self.slots:   # the arrays the plan keeps are plain ones
            if isinstance(s.array, _watch.Watched):
                s.array = s.array.view(np.ndarray)
        self._restore.clear()
        return False

    def _uninstall(self):
        if _function._tracer is self:
            _function._tracer = None
        if _watch._active is self:
            _watch._active = None
        _random._draw_hook = None
        _tensor._asarray = np.asarray

    # ---- escapes -------------------------------------------------------------------------
    def escape(self, what: str, located: bool = True) -> None:
        """A value left the recorded steps (or something unsupported ran): stop tracing;
        the call goes on eagerly. ``located``: name the user's line that did it."""
        if self.escaped is None:
            self.escaped = Escape(what, *(_user_location() if located else (None, None)))
        self._uninstall()

    def unsupported(self, what: str, located: bool = True) -> None:
        self.escape(what, located)

    def _random_draw(self):
        if not self.inside:
            self.escape("random numbers drawn outside an op")
        self._drawing = True    # (the op being recorded draws: never fused)

    # ---- naming arrays -------------------------------------------------------------------
    def add_inputs(self, tensors) -> None:
        """The function's tensor arguments, in flattened order."""
        self.inputs = list(tensors)
        for k, t in enumerate(tensors):
            if id(t._data) in self._by_id or _memory(t._data) in self._by_memory:
                self.unsupported("two tensor arguments that share memory")
                return
            self._watch(t, self._new_slot("input", k, t._data))

    def add_externals(self, tensors) -> None:
        """Parameters, buffers and closure tensors: read again on every replay."""
        for t in tensors:
            if id(t._data) not in self._by_id:
                self._watch(t, self._new_slot("external", t, t._data))

    def _new_slot(self, kind, source, array) -> Slot:
        s = Slot(len(self.slots), kind, source, array)
        self.slots.append(s)
        self._by_id[id(array)] = s
        self._by_memory[_memory(array)] = s
        return s

    def _watch(self, t: Tensor, slot: Slot) -> None:
        """Let ``t`` hold a watched view of its array for the rest of the trace."""
        arr = t._data
        if isinstance(arr, _watch.Watched):
            return
        w = _watch.watched(arr, self)
        self._restore.append((t, arr))
        t._data = w
        slot.array = w
        self._by_id[id(w)] = slot

    def slot_of(self, t: Tensor) -> Slot:
        """The slot of tensor ``t``'s array, naming it if it is new: a leaf that requires
        grad (a parameter the guards did not reach) is an external, anything else made
        outside the recorded steps is a constant."""
        arr = t._data
        s = self._by_id.get(id(arr))
        if s is not None and s.array is arr:
            return s
        if t._requires_grad and t.grad_fn is None and self._by_memory.get(_memory(arr)) is None:
            s = self._new_slot("external", t, arr)
            self.discovered.append(t)
        else:
            s = self._slot_of_array(arr)
        if s.kind in ("const", "external"):
            self._watch(t, s)
        return s

    def _slot_of_array(self, arr) -> Slot:
        s = self._by_id.get(id(arr))
        if s is not None and (s.array is arr):
            return s
        s = self._by_memory.get(_memory(arr))
        if s is not None:       # the same memory, another array object: an alias
            return s            # (np.asarray of a watched array, detach() ...)
        lo, hi = _span(arr)
        if hi > lo:
            for other in self.slots:
                if other.kind != "const" and other.span[0] < hi and lo < other.span[1]:
                    self.escape("a view of a tensor made outside an op")
                    break
        return self._new_slot("const", arr, arr)

    def _name_param(self, value):
        if isinstance(value, np.ndarray):
            return SlotRef(self._slot_of_array(value))
        if isinstance(value, Tensor):
            return SlotRef(self.slot_of(value))
        if type(value) is tuple and any(isinstance(v, (np.ndarray, Tensor)) for v in value):
            return tuple(self._name_param(v) for v in value)
        return value

    # ---- the hooks -------------------------------------------------------------------------
    def _run_inside(self, fn, *args, **kwargs):
        """Run ``fn`` as part of a recorded step: watched arrays are free to use, ops are not
        recorded again."""
        self.inside += 1
        _function._tracer = None
        try:
            return fn(*args, **kwargs)
        finally:
            self.inside -= 1
            if self.escaped is None:
                _function._tracer = self

    def apply(self, op, inputs, params):
        """``Op.apply`` while tracing: name the inputs, run the op, name its output."""
        if _function._LOW_PRECISION and _function._has_bfloat16(inputs):
            self.unsupported("bfloat16 tensors")
            return op.apply(*inputs, **params)
        ins = tuple(None if t is None else self.slot_of(t) for t in inputs)
        named = {k: self._name_param(v) for k, v in params.items()}
        if self.escaped is not None:
            return op.apply(*inputs, **params)
        self._drawing = False
        out = self._run_inside(op.apply, *inputs, **params)
        node = out.grad_fn
        if node is not None and (node.op is not op or node in self.node_step):
            node = None
        step = OpStep(op, ins, named, None, node, self._drawing)
        arr = out._data
        step.out = slot = self._new_slot("step", len(self.steps), arr)
        if not isinstance(arr, _watch.Watched):
            self._watch(out, slot)
        if node is not None:
            self.node_step[node] = len(self.steps)
        self.steps.append(step)
        return out

    def backward(self, outputs, grad_outputs, retain_graph, create_graph, capture, accumulate):
        """``engine._run`` while tracing: record the pass, then run it."""
        from .. import engine
        if create_graph:
            self.unsupported("backward(create_graph=True)")
        elif capture is not None or not accumulate:
            self.unsupported("autograd.grad / backward(inputs=...)")
        if self.escaped is not None:
            return engine._run(outputs, grad_outputs, retain_graph, create_graph, capture,
                               accumulate)
        roots, seeds = [], []
        for out, g in zip(outputs, grad_outputs):
            roots.append((out.grad_fn, self.slot_of(out)))
            seeds.append(None if g is None else self.slot_of(g) if isinstance(g, Tensor)
                         else self._slot_of_array(np.asarray(g, out._data.dtype)))
        step = BackwardStep(roots, seeds, bool(retain_graph))
        leaves = self._check_graph([r[0] for r in roots])
        if self.escaped is not None:
            return engine._run(outputs, grad_outputs, retain_graph, create_graph, capture,
                               accumulate)
        result = self._run_inside(engine._run, outputs, grad_outputs, retain_graph,
                                  create_graph, capture, accumulate)
        for leaf in leaves:   # name the gradients the pass left in .grad
            g = leaf._grad
            if g is not None:
                slot = self._new_slot("grad", leaf, g._data)
                self._watch(g, slot)
                step.leaves[id(leaf)] = slot
        self.steps.append(step)
        return result

    def _check_graph(self, roots):
        """The leaves a backward from ``roots`` reaches; escapes for what the plan does not
        model (hooks, nodes made outside this trace)."""
        from ..engine import _topological_order
        if _function._anomaly.get():
            self.unsupported("anomaly detection")
            return []
        leaves = []
        for node in _topological_order([r for r in roots if r is not None]):
            if type(node) is AccumulateGrad:
                leaf = node.variable
                if leaf._leaf_hooks or leaf._post_acc_hooks:
                    self.unsupported("a hook on a leaf tensor")
                leaves.append(leaf)
            elif node not in self.node_step:
                self.unsupported("a backward pass into a graph made before the compiled call")
            elif node._special:
                self.unsupported("a hook on a tensor or a graph node (or retain_grad)")
        return leaves

    def call(self, fn, args, kwargs):
        """A ``disable``d function called by traced code: recorded, run eagerly."""
        from .._pytree import tree_flatten
        leaves, _ = tree_flatten((args, kwargs))
        if any(isinstance(v, (Tensor, np.ndarray)) for v in leaves):
            self.unsupported(f"{_qualname(fn)}() called with tensor arguments")
        if self.escaped is not None:
            return fn(*args, **kwargs)
        result = self._run_inside(fn, *args, **kwargs)
        if result is not None:
            self.unsupported(f"the result of {_qualname(fn)}() (a disabled function's result "
                             "is not replayed)")
        self.steps.append(CallStep(fn, args, kwargs))
        return result


# ---- helpers ------------------------------------------------------------------------------
def _memory(arr):
    """What identifies an array's memory and layout."""
    return (arr.__array_interface__["data"][0], arr.shape, arr.strides, arr.dtype.str)


def _span(arr):
    """The byte range ``[lo, hi)`` an array's elements occupy."""
    if arr.size == 0:
        return (0, 0)
    lo = hi = arr.__array_interface__["data"][0]
    for n, st in zip(arr.shape, arr.strides):
        if st > 0:
            hi += (n - 1) * st
        else:
            lo += (n - 1) * st
    return (lo, hi + arr.itemsize)


def _same_memory(a, b) -> bool:
    return _memory(a) == _memory(b)


def _qualname(fn) -> str:
    fn = getattr(fn, "__func__", fn)
    return getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))


_LIBRARY_DIRS = None


def _library_dirs():
    """The folders of jitgrad's packages and NumPy: frames there are not the user's."""
    global _LIBRARY_DIRS
    if _LIBRARY_DIRS is None:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # autograd/
        root = os.path.dirname(here)
        dirs = [here, os.path.join(root, "nn"), os.path.join(root, "optim"),
                os.path.dirname(np.__file__)]
        _LIBRARY_DIRS = tuple(os.path.join(d, "") for d in dirs)
    return _LIBRARY_DIRS


def _user_location():
    """``(library call, 'file:line')``: the innermost frame of user code on the stack and the
    library function it called (``Tensor.item``, ``cross_entropy`` ...)."""
    lib = _library_dirs()
    frame = sys._getframe(1)
    callee = None
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(lib) and not frame.f_code.co_filename.startswith("<frozen"):
            name = None
            if callee is not None:
                code = callee.f_code
                name = getattr(code, "co_qualname", code.co_name)
                self_ = callee.f_locals.get("self")
                if name in ("Module.__call__", "Module._call_impl") and self_ is not None:
                    name = type(self_).__name__ + ".__call__"
            return name, f"{os.path.basename(path)}:{frame.f_lineno}"
        callee = frame
        frame = frame.f_back
    return None, "?"
