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

from .. import dispatch as _dispatch
from .. import function as _function
from .. import random as _random
from ..tensor import AccumulateGrad, Tensor
from ..ops.arithmetic import Clone
from ..ops.linalg import Matmul
from ..ops.movement import Expand
from . import fusion as _fusion
from . import watch as _watch

# the module autograd/tensor.py (``autograd.tensor`` is the factory function of that name)
_tensor = sys.modules[Tensor.__module__]


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

    __slots__ = ("array", "dtype", "initial", "kind", "n", "shape", "source", "span")

    def __init__(self, n, kind, source, array):
        self.n, self.kind, self.source, self.array = n, kind, source, array
        self.initial = None  # a constant written into: its value before the first write
        if isinstance(array, np.ndarray):
            self.shape, self.dtype, self.span = array.shape, array.dtype, _span(array)
        else:  # (a derive step's whole result: a tuple of arrays and constants)
            self.shape = self.dtype = None
            self.span = (0, 0)

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
    saved: tuple | None = None  # (fusion.saved_layout) what the node saved, for fused steps


@dataclass
class DeriveStep:
    """``out = fn(*ins, **params)``: an op's parameter computed from tensors' values
    (``autograd.function.derive``); for a tuple result, ``parts`` are ``(position, slot)``
    of the arrays in it."""

    fn: object
    ins: tuple
    params: dict
    out: Slot
    parts: list


@dataclass
class WriteStep:
    """``fn(target, *ins, **params)`` writing into the array of slot ``target``
    (``autograd.function.write``: how in-place ops store their result)."""

    fn: object
    target: Slot
    ins: tuple
    params: dict


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
    leaves: dict = field(default_factory=dict)  # leaf tensor id -> its grad slot afterwards


@dataclass
class Escape:
    """Why a trace was abandoned: ``what`` happened, in library function ``call`` (e.g.
    ``Tensor.item``; None if the user's code did it directly), at ``where`` ('file:line')."""

    what: str
    call: str | None
    where: str | None
    detail: str | None = None  # where inside the library ('autograd/ops/x.py:12 in f')

    def __str__(self):
        if self.where is None:
            return self.what
        call = f"{self.call}() at " if self.call else "at "
        detail = f" ({self.detail})" if self.detail else ""
        return f"{call}{self.where}: {self.what}{detail}"


class Tracer:
    """Records one call; see the module docstring. Use as a context manager around the
    call, after naming the inputs (``add_inputs``) and externals (``add_externals``)."""

    def __init__(self, name: str):
        self.name = name  # the compiled function's name, for messages
        self.inside = 0  # > 0 while a recorded step runs (watch.py)
        self.escaped = None  # (what, where) of the first escape, else None
        self.steps: list = []
        self.slots: list[Slot] = []
        self.node_step: dict = {}  # graph node -> index of the OpStep that made it
        self._by_id: dict = {}  # id(object) -> (Slot, the object): arrays and their
        #                              watched views, each held so that its id stays its own
        self._by_memory: dict = {}  # (address, shape, strides, dtype) -> Slot
        self._restore: list = []  # (tensor, original array): put back when tracing ends
        self._drawing = False  # set when the running op draws random numbers
        self.inputs: list = []  # the tensor arguments, in flattened order
        self.discovered: list = []  # parameters found while tracing (guarded afterwards)
        self.names: dict = {}  # id of a parameter -> its name in a module (for viz.draw)

    # ---- installing the hooks ----------------------------------------------------------
    def __enter__(self):
        if _function._tracer is not None or _watch._active is not None:
            raise RuntimeError(
                "autograd.compile: a compiled function was called while "
                "another one is being traced (nested compiled calls are "
                "traced as part of the outer one only when not compiled)"
            )
        _function._tracer = self
        _watch._active = self
        _random._draw_hook = self._random_draw
        _tensor._asarray = np.asanyarray  # (Tensors keep watched arrays watched)
        _dispatch._trace_hook = self._kernel
        return self

    def __exit__(self, *exc):
        self._uninstall()
        for t, original in reversed(self._restore):  # the tensors get their arrays back
            if isinstance(t._data, _watch.Watched):
                t._data = original if _same_memory(t._data, original) else t._data.view(np.ndarray)
        self._restore.clear()
        return False

    def _uninstall(self):
        if _function._tracer is self:
            _function._tracer = None
        if _watch._active is self:
            _watch._active = None
        _random._draw_hook = None
        _tensor._asarray = np.asarray
        _dispatch._trace_hook = None

    # ---- escapes -------------------------------------------------------------------------
    def escape(self, what: str, located: bool = True) -> None:
        """A value left the recorded steps (or something unsupported ran): stop tracing;
        the call goes on eagerly. ``located``: name the user's line that did it."""
        if self.escaped is None:
            self.escaped = Escape(what, *(_user_location() if located else (None, None, None)))
        self._uninstall()

    def unsupported(self, what: str, located: bool = True) -> None:
        self.escape(what, located)

    def _kernel(self, module):
        """A kernel module handed out (``dispatch.kernels``): a stand-in whose functions
        report a run on a watched array outside a recorded step (Numba takes watched arrays
        as plain ones, so the watch alone would not see it)."""
        return module if self.inside else _Kernels(module, self)

    def _random_draw(self):
        if not self.inside:
            self.escape("random numbers drawn outside an op")
        self._drawing = True  # (the op being recorded draws: never fused)

    # ---- naming arrays -------------------------------------------------------------------
    def add_inputs(self, tensors) -> None:
        """The function's tensor arguments, in flattened order."""
        self.inputs = list(tensors)
        for k, t in enumerate(tensors):
            if self._known(t._data) or _memory(t._data) in self._by_memory:
                self.unsupported("two tensor arguments that share memory")
                return
            self._watch(t, self._new_slot("input", k, t._data))

    def add_externals(self, tensors) -> None:
        """Parameters, buffers and closure tensors: read again on every replay."""
        for t in tensors:
            if not self._known(t._data):
                self._watch(t, self._new_slot("external", t, t._data))

    def _new_slot(self, kind, source, array) -> Slot:
        """A new slot for ``array`` (the slot keeps a plain ndarray, never a watched one)."""
        plain = array.view(np.ndarray) if isinstance(array, _watch.Watched) else array
        s = Slot(len(self.slots), kind, source, plain)
        self.slots.append(s)
        self._remember(array, s)
        self._remember(plain, s)
        if isinstance(array, np.ndarray):
            self._by_memory[_memory(array)] = s
        return s

    def _remember(self, obj, slot):
        self._by_id[id(obj)] = (slot, obj)

    def _known(self, obj):
        """The slot of this very object (an array, a watched view, a derived tuple), or None."""
        hit = self._by_id.get(id(obj))
        return hit[0] if hit is not None and hit[1] is obj else None

    def _watch(self, t: Tensor, slot: Slot) -> None:
        """Let ``t`` hold a watched view of its array for the rest of the trace."""
        arr = t._data
        if isinstance(arr, _watch.Watched):
            return
        w = _watch.watched(arr, self)
        self._restore.append((t, arr))
        t._data = w
        self._remember(w, slot)

    def slot_of(self, t: Tensor) -> Slot:
        """The slot of tensor ``t``'s array, naming it if it is new: a leaf that requires
        grad (a parameter the guards did not reach) is an external, anything else made
        outside the recorded steps is a constant."""
        arr = t._data
        s = self._known(arr)
        if s is not None:
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
        s = self._known(arr)
        if s is not None:
            return s
        s = self._by_memory.get(_memory(arr))
        if s is not None:  # the same memory, another array object: an alias
            return s  # (np.asarray of a watched array, detach() ...)
        if isinstance(arr, _watch.Watched):  # a view or copy made outside the steps
            self.escape("a view or copy of a tensor's array, made outside an op, used by an op")
        if self.traced_memory(arr):
            self.escape("a view of a tensor made outside an op")
        return self._new_slot("const", arr, arr)

    def traced_memory(self, arr) -> bool:
        """Whether ``arr`` is, or shares memory with, an array the trace named (besides its
        constants): a use of it computes on traced values."""
        if not isinstance(arr, np.ndarray):
            return False
        if isinstance(arr, _watch.Watched) or _memory(arr) in self._by_memory:
            return True
        lo, hi = _span(arr)
        return hi > lo and any(
            s.kind != "const" and s.span[0] < hi and lo < s.span[1] for s in self.slots
        )

    def _name_param(self, value):
        s = self._known(value)
        if s is not None:  # (also a derive step's whole result)
            return SlotRef(s)
        if isinstance(value, _Kernels):  # (the kernel module itself is the parameter)
            return value._module
        if isinstance(value, np.ndarray):
            return SlotRef(self._slot_of_array(value))
        if isinstance(value, Tensor):
            return SlotRef(self.slot_of(value))
        if type(value) is tuple and any(isinstance(v, (np.ndarray, Tensor)) for v in value):
            return tuple(self._name_param(v) for v in value)
        return value

    # ---- the hooks -------------------------------------------------------------------------
    def _run_inside(self, fn, /, *args, **kwargs):
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
            if (
                op in _fusion.FORWARD
                or _fusion.VJP.get(op) is not None
                or op in (Expand, Clone)
                or op.forward is Matmul.forward  # (plan.py _matmul_into_clone)
            ):
                step.saved = _fusion.saved_layout(node, inputs)
        self.steps.append(step)
        return out

    def derive(self, fn, args, params):
        """``function.derive`` while tracing: name the inputs, run ``fn``, name what it
        returns (its arrays watched, like an op's output; a tuple as a whole too)."""
        ins = tuple(self.slot_of(a) if isinstance(a, Tensor) else self._name_param(a) for a in args)
        named = {k: self._name_param(v) for k, v in params.items()}
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        if self.escaped is not None:
            return fn(*arrays, **params)
        out = self._run_inside(fn, *arrays, **params)
        n = len(self.steps)
        parts = []
        if isinstance(out, tuple):
            items = list(out)
            for i, v in enumerate(items):
                if isinstance(v, np.ndarray):
                    slot = self._new_slot("step", n, v)
                    items[i] = _watch.watched(v, self)
                    self._remember(items[i], slot)
                    parts.append((i, slot))
            out = tuple(items)
            whole = self._new_slot("step", n, out)
        else:
            whole = self._new_slot("step", n, out)
            out = _watch.watched(out, self)
            self._remember(out, whole)
        self.steps.append(DeriveStep(fn, ins, named, whole, parts))
        return out

    def write(self, fn, target, args, params):
        """``function.write`` while tracing: an in-place write, recorded as a step. A constant
        written into is copied first on every replay (eager mode makes it anew each call)."""
        slot = self.slot_of(target)
        ins = tuple(self.slot_of(a) if isinstance(a, Tensor) else self._name_param(a) for a in args)
        named = {k: self._name_param(v) for k, v in params.items()}
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        if self.escaped is None and slot.kind == "const" and slot.initial is None:
            slot.initial = slot.array.copy()
        if self.escaped is None:
            self.steps.append(WriteStep(fn, slot, ins, named))
        self._run_inside(fn, target._data, *arrays, **params)

    def backward(self, outputs, grad_outputs, retain_graph, create_graph, capture, accumulate):
        """``engine._run`` while tracing: record the pass, then run it."""
        from .. import engine

        if create_graph:
            self.unsupported("backward(create_graph=True)")
        elif capture is not None or not accumulate:
            self.unsupported("autograd.grad / backward(inputs=...)")
        if self.escaped is not None:
            return engine._run(
                outputs, grad_outputs, retain_graph, create_graph, capture, accumulate
            )
        roots, seeds = [], []
        for out, g in zip(outputs, grad_outputs):
            roots.append((out.grad_fn, self.slot_of(out)))
            seeds.append(
                None
                if g is None
                else self.slot_of(g)
                if isinstance(g, Tensor)
                else self._slot_of_array(np.asarray(g, out._data.dtype))
            )
        step = BackwardStep(roots, seeds, bool(retain_graph))
        leaves = self._check_graph([r[0] for r in roots])
        if self.escaped is not None:
            return engine._run(
                outputs, grad_outputs, retain_graph, create_graph, capture, accumulate
            )
        result = self._run_inside(
            engine._run, outputs, grad_outputs, retain_graph, create_graph, capture, accumulate
        )
        for leaf in leaves:  # name the gradients the pass left in .grad
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
            self.unsupported(
                f"the result of {_qualname(fn)}() (a disabled function's result is not replayed)"
            )
        self.steps.append(CallStep(fn, args, kwargs))
        return result


class _Kernels:
    """A kernel module as handed out while tracing, outside a recorded step: its functions
    first check that they do not run on a tensor's values (which the plan would not see)."""

    def __init__(self, module, tracer):
        self._module, self._tracer = module, tracer

    def __getattr__(self, name):
        fn = getattr(self._module, name)
        if not callable(fn):
            return fn
        tracer = self._tracer

        def run(*args, **kwargs):
            if not tracer.inside and any(tracer.traced_memory(a) for a in args):
                tracer.escape(f"the kernel {name} run on a tensor's values outside an op")
            return fn(*args, **kwargs)

        return run


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
        dirs = [
            here,
            os.path.join(root, "nn"),
            os.path.join(root, "optim"),
            os.path.dirname(np.__file__),
        ]
        _LIBRARY_DIRS = tuple(os.path.join(d, "") for d in dirs)
    return _LIBRARY_DIRS


def _user_location():
    """``(library call, 'file:line', detail)``: the innermost frame of user code on the stack,
    the library function it called (``Tensor.item``, ``cross_entropy`` ...; wrappers made by
    decorators are skipped) and where inside the library the escape happened."""
    lib = _library_dirs()
    here = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    called, detail = None, None
    while frame is not None:
        code = frame.f_code
        path = os.path.abspath(code.co_filename)
        if path.startswith(lib) or code.co_filename.startswith("<frozen"):
            name = getattr(code, "co_qualname", code.co_name)
            if "<locals>" not in name:  # (not a decorator's wrapper)
                called = frame
            if detail is None and not path.startswith(here) and "numpy" not in path:
                detail = (
                    f"{os.path.relpath(path, os.path.dirname(os.path.dirname(here)))}"
                    f":{frame.f_lineno} in {code.co_name}"
                )
            frame = frame.f_back
            continue
        name = None
        if called is not None:
            name = getattr(called.f_code, "co_qualname", called.f_code.co_name)
            self_ = called.f_locals.get("self")
            if name.startswith("Module.") and self_ is not None:
                name = type(self_).__name__ + name[len("Module") :]
        return name, f"{os.path.basename(path)}:{frame.f_lineno}", detail
    return None, "?", detail
