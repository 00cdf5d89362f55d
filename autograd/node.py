"""Graph nodes: ``Node``, what ``tensor.grad_fn`` returns and the ``ctx`` ops and Functions get.

A node knows

* ``next_edges``: for each input, the node that produced it (or the leaf's
  ``AccumulateGrad``), so the engine can walk backwards;
* what the op saved for its backward pass (``save_for_backward``, ``saved_tensors``);
* its op, whose backward rule (VJP: vector-Jacobian product) ``_apply`` runs.

Built-in ops (``Op`` in function.py) make their nodes inline in ``Op.apply``, with the same
fields as ``Node.__init__``; custom ``Function``s (custom_function.py) and ops with several
outputs (``MultiOutputOp``) call ``Node.__init__``. function.py re-exports every name here.
"""

from __future__ import annotations

import contextvars
import re
import traceback

import numpy as np

from .errors import GraphError
from .tensor import _NUMBER_CELL, RemovableHandle, Tensor

# The module scope of the node being made (nn.Module.__call__ pushes its path: function.py
# ``push_scope``) and anomaly mode. ``Node.__init__`` reads both; function.py has the flags
# that spare ``Op.apply`` these reads while neither was ever set.
_scope = contextvars.ContextVar("autograd_module_scope", default=None)

# anomaly mode: False (off) or how it is on; autograd.anomaly switches it
ANOMALY_TRACE = "trace"  # nodes record their forward stack; a failing backward names it
ANOMALY_CHECK_NAN = "check_nan"  # ... and a nan gradient is a failure too
_anomaly = contextvars.ContextVar("autograd_anomaly", default=False)

_FREED = object()  # marks saved values released after backward


_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


def _edge(t):
    """The graph edge to input ``t``: ``(node that produced it, which output)``, or the
    leaf's ``(AccumulateGrad, 0)``; None when ``t`` needs no gradient."""
    if t is None or not t._requires_grad:
        return None
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t._grad_accumulator(), 0)


def _input_record(t):
    """The saved record of input ``t`` of a built-in op (see ``Node._resolve_saved``): its
    array, the tensor and its version; for a Python number operand (``Tensor._number``) its
    value alone, as a constant."""
    cell = t._version_cell
    if cell is _NUMBER_CELL:
        return (t._data, None, 0, None)
    return (t._data, t, cell[0], cell)


def _forward_name(grad_fn_name: str) -> str:
    """``MulBackward0`` -> ``Mul``: the name torch's messages give the op that made a tensor."""
    return re.sub(r"Backward\d*$", "", grad_fn_name)


class Node:
    """One recorded operation in the graph (what ``tensor.grad_fn`` returns).

    It is also the ``ctx`` that an op's forward/backward receives, so ``ctx.foo = ...``
    in forward is visible in backward.
    """

    __slots__ = (
        "op",
        "next_edges",
        "needs_input_grad",
        "_saved",
        "_out_meta",
        "_as_tensors",
        "module_path",
        "__dict__",
        "__weakref__",
    )

    # Rarely changed attributes: class-level defaults, so creating a node (once per op)
    # sets only what every node needs. Instances override them in __dict__ when used.
    _hooks = None  # {output_nr: [hooks of the non-leaf tensor]} (incl. retain_grad)
    _pre_hooks = None  # Node.register_prehook
    _post_hooks = None  # Node.register_hook
    _num_outputs = 1
    _trace = None  # forward stack, recorded in anomaly mode
    _non_diff = None
    _materialize = True
    _special = False  # True once any hook is registered: the engine's slow path
    # A weak reference to the output, kept by the rarer nodes (custom Functions, several
    # outputs, in-place rebasing) only: autograd.viz reads it when there is one.
    _out_ref = None

    def __init__(self, op, inputs):
        # (``Op.apply`` builds its nodes inline, with the same fields; this is for
        # ``Function.apply``.)
        self.op = op
        self.next_edges = edges = tuple([_edge(t) for t in inputs])
        self.needs_input_grad = tuple([e is not None for e in edges])
        self._saved = ()
        self._as_tensors = False
        # (the context variables themselves: ``_scope_used`` and ``_anomaly_used`` spare the
        # per-op paths these reads, while both variables are at their defaults)
        self.module_path = _scope.get()
        if _anomaly.get():
            self._trace = traceback.format_stack()[:-3]

    # ---- the ctx API --------------------------------------------------------------
    def save_for_backward(self, *values):
        """Keep arrays (built-in ops) or tensors (``Function``) for the backward pass.

        Inputs and the output are recognised by identity and kept so that a
        ``create_graph=True`` backward can differentiate through them; anything else is
        kept as a constant.
        """
        self._saved = values

    def _resolve_saved(self, inputs, out_arrays, out_version_cells):
        """After forward: turn saved values into (array, tensor-or-marker, version) records.

        ``inputs`` are the op's input tensors: a saved value that is one of them (or its
        array) is recognised by identity, as is one of the outputs' arrays."""
        records = []
        for v in self._saved:
            rec = None
            if v is None:
                records.append(None)
                continue
            for t in inputs:
                if t is not None and (v is t._data or v is t):
                    cell = t._version_cell
                    rec = (
                        (t._data, None, 0, None)
                        if cell is _NUMBER_CELL
                        else (t._data, t, cell[0], cell)
                    )
                    break
            if rec is None:
                for k, arr in enumerate(out_arrays):
                    if v is arr:
                        rec = (arr, k, 0, out_version_cells[k])
                        break
            if rec is None:
                data = v._data if hasattr(v, "_data") else v
                rec = (data, None, 0, None)
            records.append(rec)
        self._saved = tuple(records)

    def _resolve_saved1(self, inputs, out, raw, out_cell):
        """``_resolve_saved`` for a built-in op's single output (once per op: kept lean).
        ``raw`` is what forward returned: ``out`` itself, or the NumPy scalar that ``out``
        wraps (a saved ``raw`` is kept as ``out``). A saved Python number operand
        (``Tensor._number``) is kept as a constant, its value."""
        records = []
        for v in self._saved:
            if v is None:
                records.append(None)
                continue
            for t in inputs:
                if t is not None and (v is t._data or v is t):
                    records.append(_input_record(t))
                    break
            else:
                if v is out or v is raw:
                    records.append((out, 0, 0, out_cell))
                else:
                    records.append((v._data if hasattr(v, "_data") else v, None, 0, None))
        self._saved = tuple(records)

    @property
    def saved_tensors(self):
        """The values given to ``save_for_backward``, checked against in-place changes."""
        saved = self._saved
        if saved is _FREED:
            raise GraphError(_SECOND_BACKWARD)
        if not self._as_tensors:  # an ordinary backward: the arrays (the per-op fast path)
            # one or two records (a None one: a value not saved), none changed since (the
            # common case, once per node: written out); anything else, and the error, in the
            # loop below
            n = len(saved)
            if n == 2:
                r0, r1 = saved
                c0 = None if r0 is None else r0[3]
                c1 = None if r1 is None else r1[3]
                if (c0 is None or c0[0] == r0[2]) and (c1 is None or c1[0] == r1[2]):
                    return (None if r0 is None else r0[0], None if r1 is None else r1[0])
            elif n == 1:
                r0 = saved[0]
                if r0 is not None:
                    c0 = r0[3]
                    if c0 is None or c0[0] == r0[2]:
                        return (r0[0],)
        out = []
        if not self._as_tensors:
            for rec in saved:
                if rec is None:
                    out.append(None)
                    continue
                cell = rec[3]
                if cell is not None and cell[0] != rec[2]:
                    self._raise_modified(rec[0], rec[1], cell[0], rec[2])
                out.append(rec[0])
            return tuple(out)
        for rec in saved:
            if rec is None:
                out.append(None)
                continue
            arr, who, version, cell = rec
            if cell is not None and cell[0] != version:
                self._raise_modified(arr, who, cell[0], version)
            if not self._as_tensors:
                out.append(arr)
            elif who is None:
                out.append(Tensor._make(arr))
            elif isinstance(who, int):  # our own output: re-wrap it, pointing at this node
                out.append(Tensor._from_node(arr, self, who, cell))
            else:
                out.append(who)
        return tuple(out)

    saved_values = saved_tensors

    def _raise_modified(self, arr, who, now, expected):
        kind = {
            np.dtype(np.float32): "FloatTensor",
            np.dtype(np.float64): "DoubleTensor",
            np.dtype(np.float16): "HalfTensor",
            np.dtype(np.int64): "LongTensor",
        }.get(arr.dtype, "Tensor")
        shape = "[" + ", ".join(map(str, arr.shape)) + "]"
        # torch names the op that made the tensor by its forward name ("output 0 of Mul"),
        # and nothing for a leaf
        if isinstance(who, int):  # one of this node's own outputs
            origin = f", which is output {who} of {_forward_name(self.name())},"
        elif isinstance(who, str):  # the compiler's description of a guarded tensor
            origin = f", which is {who},"
        elif getattr(who, "grad_fn", None) is not None:  # an input made by another op
            origin = f", which is output {who._output_nr} of {_forward_name(who.grad_fn.name())},"
        else:
            origin = ""
        raise GraphError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [autograd.{kind} {shape}]{origin} is at version {now}; "
            f"expected version {expected} instead. Hint: enable anomaly detection to find "
            "the operation that failed to compute its gradient, with "
            "autograd.set_detect_anomaly(True, check_nan=False)."
        )

    def save_for_forward(self, *values):
        """Keep tensors for a ``Function``'s ``jvp`` (forward mode; ``Function`` API)."""
        self.__dict__["_forward_saved"] = values

    def mark_non_differentiable(self, *outputs):
        """Declare outputs (e.g. indices) that carry no gradient (``Function`` API)."""
        self._non_diff = {id(o) for o in outputs}

    def set_materialize_grads(self, value: bool):
        """If False, undefined output grads reach backward as None instead of zeros."""
        self._materialize = bool(value)

    # ---- introspection (torch names) ------------------------------------------
    def name(self) -> str:
        return self.op.grad_fn_name

    @property
    def next_functions(self):
        """((node, output_nr) or (None, 0)) for each input, like torch."""
        return tuple(e if e is not None else (None, 0) for e in self.next_edges)

    @property
    def metadata(self):
        return self.__dict__

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) after this node's backward (torch's Node hook)."""
        if self._post_hooks is None:
            self._post_hooks = []
        return self._hooked(self._post_hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) -> new grad_outputs or None, before this node's backward."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        return self._hooked(self._pre_hooks, fn)

    def _hooked(self, hooks, fn):
        """Append ``fn`` to this node's list ``hooks``; the handle removes it again."""
        self._special = True
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    def _add_tensor_hook(self, output_nr, fn):
        self._special = True
        if self._hooks is None:
            self._hooks = {}
        lst = self._hooks.setdefault(output_nr, [])
        lst.append(fn)
        return RemovableHandle(lst, fn)

    def _release(self):
        if self._saved:
            self._saved = _FREED

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    # ---- running the VJP ------------------------------------------------------
    def _apply(self, grads, xp):
        """Run this node's backward on ``grads`` (one per output) in the given namespace."""
        return self.op._vjp(self, grads, xp)


class _NoRecordCtx:
    """The ctx given to forward when nothing is recorded: saving and attributes are no-ops."""

    __slots__ = ()
    needs_input_grad = ()

    def save_for_backward(self, *values):
        pass

    def mark_non_differentiable(self, *outputs):
        pass

    def set_materialize_grads(self, value):
        pass

    def __setattr__(self, name, value):
        pass


_NO_RECORD = _NoRecordCtx()
