"""The plan: a trace turned into the source of Python functions that replay it on arrays.

``build(trace)`` writes one function, ``forward(inputs)``, that runs every recorded step in
order: each op's own ``forward`` on arrays (slots are local variables), each backward pass
as calls of the ops' own VJPs in the engine's order, each ``disable``d call. A compiled
module whose outputs need gradients gets a second function, ``backward(ctxs, grads)``, run
by the one graph node its outputs carry. ``plan.source`` shows both; for a tiny function::

    def forward(inputs):
        x0 = inputs[0]._data
        e1 = E1._data
        c0 = Ctx((True, True))
        v2 = Mul_forward(c0, x0, e1)
        if type(v2) is not ndarray: v2 = scalar_out(v2, c0)
        ...

Gradients are summed where several consumers send one (``acc``), in the order the engine
would sum them, and reach a leaf's ``.grad`` by the engine's rules (``acc_leaf``), so a
replay computes what the eager call computes, operation for operation.

On the numba backend, runs of elementwise steps and of their VJPs become one call of a
generated kernel each (fusion.py; ``fused0(e3, v9, v11)  # Expand+Add+Relu``), writing small
results into buffers the plan keeps between replays (``B[0]``; docs/compile.md, "Buffers").
The builder also records each step as a ``Box`` (``plan.boxes``), what ``viz.draw`` shows.

This file writes the forward side; the gradient side (backward passes, the outputs, a compiled
module's ``backward``) is plan_backward.py, and the helpers the generated source calls
(``Ctx``, ``acc``, ``acc_leaf``, ...) are steps.py.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

from .. import dispatch as _dispatch
from .. import function as _function
from ..engine import _topological_order
from ..ops import xp as _xp
from ..ops.activation import Gelu
from ..ops.arithmetic import Clone
from ..ops.linalg import Matmul, Mm, _gemm
from ..ops.movement import PERMUTES, _broadcast_view, _sum_to_shape
from ..ops.softmax import Softmax
from ..tensor import AccumulateGrad
from . import fusion as _fusion
from .tracer import BackwardStep, CallStep, DeriveStep, OpStep, Slot, SlotRef, WriteStep
from .plan_backward import BackwardSteps
from .steps import (
    BUFFER_LIMIT,
    Box,
    Ctx,
    _inline_view,
    _overlap,
    _shape_text,
    acc,
    acc_leaf,
    add_at,
    bias_gelu,
    masked_softmax,
    mm_right_grad,
    mm_right_grad_t,
    scalar_out,
    sum_rows,
)


# ---- the plan --------------------------------------------------------------------------------
class Plan:
    """Replays one trace. ``forward(inputs)`` -> ``(output arrays, ctxs)``; ``backward``
    (a compiled module whose outputs need gradients) -> the gradients of ``boundary``."""

    def __init__(self, source, namespace, outputs, boundary, saved_checks, steps, boxes=()):
        self.source = source
        self.boxes = list(boxes)  # the steps, for autograd.viz.draw
        self.kernel_names: list[str] = []  # the fused kernels, by Box.group
        exec(compile(source, "<autograd.compile plan>", "exec"), namespace)  # our source
        self.forward = namespace["forward"]
        self.backward = namespace.get("backward")
        self.outputs = outputs  # per output leaf: ("array", slot, grad) | ("input", k)
        self.boundary = boundary  # ("input", k) | ("same", tensor): where the module
        self.saved_checks = saved_checks  # backward's gradients go; [(slot kind, which)]
        self.steps = steps

    def saved_tensors(self, inputs, live):
        """The tensors whose versions a compiled module's backward checks: the inputs,
        externals and outputs that some node of it saved."""
        out = []
        for kind, which in self.saved_checks:
            out.append(
                inputs[which] if kind == "input" else live[which] if kind == "live" else which
            )
        return out

    def __repr__(self):
        return self.source


def build(tracer, outputs) -> Plan:
    """The plan of a finished trace; ``outputs`` are the leaves of the traced call's result."""
    return _Builder(tracer).build(outputs)


class _Builder(BackwardSteps):
    def __init__(self, tracer):
        self.tr = tracer
        self.names = tracer.names  # id of a parameter -> its name, for the boxes
        self.ns = {
            "Ctx": Ctx,
            "NR": _function._NO_RECORD,
            "NP": _xp.NUMPY,
            "ndarray": np.ndarray,
            "scalar_out": scalar_out,
            "acc": acc,
            "acc_leaf": acc_leaf,
            "ones": np.ones,
            "zeros": np.zeros,
            "broadcast_view": _broadcast_view,
            "sum_to": _sum_to_shape,
            "sum_rows": sum_rows,
            "add_at": add_at,
            "mm_right_grad": mm_right_grad,
            "mm_right_grad_t": mm_right_grad_t,
        }
        self._names = {}  # id(object) -> its name in the namespace
        self.lines = []
        self.fresh = set()  # externals read since the last disabled call
        self.copied = set()  # constants written into, copied for this replay
        self.boxes: list[Box] = []  # what autograd.viz.draw shows
        self._sourced: set = set()
        self.temps: set = set()  # slots a fused kernel keeps in registers (no variable)
        self.group = None  # the fused kernel the steps emitted now belong to
        self.single: set = set()  # gradient variables one value reaches (no sum: no acc)
        self.reshaped: dict = {}  # reshape nodes whose slice VJP adds their gradient as is
        self.masked: dict = {}  # softmax step -> (scale, mask) steps run with it (_masked_softmax)
        self.inline_mm: set = set()  # Mm steps written as gemm calls (_mm), forward and VJP
        self.folded: set = set()  # Permute nodes whose VJP _mm_vjp writes (_transposed_weight)
        self.runs: dict = {}  # the fused VJP runs of the backward pass being written
        self.bias_gelus: dict = {}  # GELU step -> (expand, add) steps run with it (_bias_gelu)

    # ---- names ------------------------------------------------------------------------
    def bind(self, obj, hint: str) -> str:
        """A name for ``obj`` in the generated code's namespace."""
        name = self._names.get(id(obj))
        if name is None:
            name = hint if hint not in self.ns else f"{hint}_{len(self._names)}"
            self.ns[name] = obj
            self._names[id(obj)] = name
        return name

    def var(self, slot) -> str:
        kind = slot.kind
        if kind == "input":
            self._source_box(slot, f"x{slot.source}", f"input {slot.source}")
            return f"x{slot.source}"
        if kind == "const":
            if slot.initial is None:
                name = self.bind(slot.array, f"K{slot.n}")
                self._source_box(slot, name, "constant")
                return name
            name = f"k{slot.n}"  # written into: a fresh copy on every replay
            if slot.n not in self.copied:
                self.copied.add(slot.n)
                self.emit(f"{name} = {self.bind(slot.initial, f'K{slot.n}')}.copy()")
                self._source_box(slot, name, "constant (copied per call)")
            return name
        if kind == "external":  # read when first used, and again after each disabled call
            name = f"e{slot.n}"
            if slot.n not in self.fresh:
                self.fresh.add(slot.n)
                self.emit(f"{name} = {self.bind(slot.source, f'E{slot.n}')}._data")
                what = "parameter" if slot.source._requires_grad else "tensor"
                label = self.names.get(id(slot.source), what)
                self._source_box(slot, name, f"{label} ({name.upper()})")
            return name
        if kind == "grad":
            return f"d{slot.n}"
        return f"v{slot.n}"

    def literal(self, value, hint) -> str:
        if value is None or type(value) in (bool, int, str):
            return repr(value)
        if type(value) is float and math.isfinite(value):
            return repr(value)
        if isinstance(value, SlotRef):
            return self.var(value.slot)
        if type(value) is tuple:
            inner = [self.literal(v, f"{hint}_{i}") for i, v in enumerate(value)]
            return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
        return self.bind(value, hint)

    def _source_box(self, slot, name, label):
        """A box for an array the plan reads from outside (drawn once per name)."""
        if name not in self._sourced:
            self._sourced.add(name)
            kind = slot.kind if slot.kind in ("input", "external") else "const"
            self.boxes.append(Box(kind, label, (), (name,), _shape_text(slot)))

    def box(self, kind, label, reads, writes, detail=""):
        self.boxes.append(Box(kind, label, reads, writes, detail, self.group))

    @contextmanager
    def fused_kernel(self, name: str):
        """The boxes drawn inside ``with self.fused_kernel(name):`` are the steps of one
        hand-written fused kernel, drawn framed together under ``name`` (``Box.group``)."""
        self.kernel_names.append(name)
        self.group = len(self.kernel_names) - 1
        try:
            yield
        finally:
            self.group = None

    def emit(self, line, indent=1):
        self.lines.append("    " * indent + line)

    # ---- the whole plan ----------------------------------------------------------------
    def build(self, outputs) -> Plan:
        tr = self.tr
        self.consumed = set()  # nodes whose saved values a non-retained pass freed
        self.in_backward = set()  # steps whose ctx a backward reads
        for step in tr.steps:
            if isinstance(step, BackwardStep):
                order = _topological_order([n for n, _ in step.roots])
                step.order = order
                for node in order:
                    if type(node) is not AccumulateGrad:
                        self.in_backward.add(tr.node_step[node])
                if not step.retain_graph:
                    self.consumed.update(order)
        out_spec, live = self._outputs(outputs)
        self.live_order = self._module_order(live) if live else []
        # steps whose ctx a compiled module's backward receives (made even for inlined views)
        self.live_steps = {tr.node_step[n] for n in self.live_order if n in tr.node_step}
        self.in_backward.update(self.live_steps)

        last = self._last_uses(out_spec)
        self.used = set(last)
        self.last = last
        dies = self._deaths(last)
        # fusion (fusion.py) on the numba backend; kernels write into buffers the plan keeps
        # when nothing it computes outlives the replay (no compiled module's backward to run
        # later) -- except arrays the result may share memory with
        self.fusing = _fusion.enabled and _dispatch.enabled()
        self.keep_buffers = not live
        self.out_spans = [tr.slots[o[1]].span for o in out_spec if o[0] == "array"]
        self.buffers: list = []  # (shape, dtype) of each kept buffer
        self.kernel_names: list = []
        self.saved_slots = self._saved_by_ctxs()
        groups = _fusion.forward_groups(tr.steps, self._needed) if self.fusing else []
        first_of = {g[0]: g for g in groups}
        skip = set()
        self.emit("def forward(inputs):", 0)
        for s in tr.slots:
            if s.kind == "input" and s.n in self.used:
                self.emit(f"{self.var(s)} = inputs[{s.source}]._data")
        for k, step in enumerate(tr.steps):
            if k in first_of:
                g = first_of[k]
                gelu = self._gelu_after_bias(g)  # (a bias add, then exact GELU)
                soft = self._softmax_after_mask(g)  # (attention: scale, mask, softmax)
                span = range(g[0], (soft or gelu or g[-1]) + 1)
                skip.update(span)
                if soft is not None:
                    self._masked_softmax(g, soft)
                elif gelu is None:
                    self._fused_forward(g)
                else:
                    self._bias_gelu(g, gelu)
                gone = [v for j in span for v in dies.get(j, ()) if self._assigned(v)]
                if gone:
                    self.emit(f"del {', '.join(self.var(v) for v in gone)}")
                continue
            if k in skip:
                continue
            if self._matmul_into_clone(k):  # (a product, permuted, then copied)
                span = range(k, k + 3)
                skip.update(span)
                gone = [v for j in span for v in dies.get(j, ()) if self._assigned(v)]
                if gone:
                    self.emit(f"del {', '.join(self.var(v) for v in gone)}")
                continue
            if isinstance(step, OpStep):
                self._op(k, step)
            elif isinstance(step, BackwardStep):
                self._backward(step)
            elif isinstance(step, CallStep):
                self._call(step)
            elif isinstance(step, DeriveStep):
                self._derive(step)
            elif isinstance(step, WriteStep):
                self._write(step)
            if k in dies:
                self.emit(f"del {', '.join(self.var(s) for s in dies[k])}")
        arrays = [self.var(tr.slots[o[1]]) for o in out_spec if o[0] == "array"]
        ctxs = sorted(tr.node_step[n] for n in self.live_order if n in tr.node_step)
        if self.buffers:  # (the kept buffers: taken for this replay, given back at its end)
            self.lines.insert(1, "    B = BUFS.pop() if BUFS else new_buffers()")
            self.emit("BUFS.append(B)")
            specs = list(self.buffers)
            self.ns["BUFS"] = []
            self.ns["new_buffers"] = lambda: [np.empty(shape, dt) for shape, dt in specs]
        self.emit(
            f"return ({''.join(a + ', ' for a in arrays)}), ({''.join(f'c{k}, ' for k in ctxs)})"
        )
        boundary, saved_checks = [], []
        if live:
            boundary, saved_checks = self._module_backward(live, ctxs)
        source = "\n".join(self.lines) + "\n"
        self._forget_trace()
        plan = Plan(source, self.ns, out_spec, boundary, saved_checks, tr.steps, self.boxes)
        plan.kernel_names = self.kernel_names
        return plan

    def _forget_trace(self):
        """Drop what the trace held that the plan does not need: the traced call's graph
        nodes and the arrays of its slots (its activations), keeping shapes and dtypes."""
        tr = self.tr
        for step in tr.steps:
            if isinstance(step, OpStep):
                step.node = None
            elif isinstance(step, BackwardStep):
                step.roots = [(None, slot) for _, slot in step.roots]
                step.order = None
        for s in tr.slots:
            if s.kind != "const":
                s.array = None
        tr.node_step = {}

    def _last_uses(self, out_spec) -> dict:
        """slot number -> the number of the last step that reads it (one past the last step
        for the result's arrays), for the slots that some step or the result reads."""
        last = {}

        def use(k, v):
            if isinstance(v, Slot):
                last[v.n] = k
            elif isinstance(v, SlotRef):
                last[v.slot.n] = k
            elif type(v) is tuple:
                for x in v:
                    use(k, x)

        for k, step in enumerate(self.tr.steps):
            if isinstance(step, OpStep):
                use(k, step.ins + tuple(step.params.values()))
            elif isinstance(step, BackwardStep):
                use(k, tuple(step.seeds))
            elif isinstance(step, (DeriveStep, WriteStep)):
                use(k, step.ins + tuple(step.params.values()))
                if isinstance(step, WriteStep):
                    use(k, step.target)
        end = len(self.tr.steps)
        for o in out_spec:
            if o[0] == "array":
                last[o[1]] = end
        return last

    def _deaths(self, last) -> dict:
        """step number -> the arrays computed by the plan that no later step reads: their
        variables are deleted after it, so that, as in eager mode, an array that nothing
        saved is freed (and its memory reused) while the step goes on."""
        tr, dies = self.tr, {}
        for s in tr.slots:
            if s.kind == "step" and s.n not in last:
                step = tr.steps[s.source]
                if s is not step.out:  # (a part of a derived tuple: never assigned)
                    continue
                k = s.source
            elif s.kind in ("step", "grad") or (s.kind == "const" and s.initial is not None):
                k = last.get(s.n)
            else:
                continue
            if k is not None and k < len(tr.steps):
                dies.setdefault(k, []).append(s)
        return dies

    # ---- fused runs (fusion.py) ----------------------------------------------------------
    def _saved_by_ctxs(self) -> set:
        """Slots some recorded step's ctx keeps (its forward's ``save_for_backward``)."""
        tr, out = self.tr, set()
        for k in self.in_backward:
            step = tr.steps[k]
            for pos in (step.saved or ((),))[0]:
                if pos is not None:
                    out.add(step.out.n if pos[0] == "out" else step.ins[pos[1]].n)
        return out

    def _needed(self, slot, k) -> bool:
        """Whether the array of ``slot`` is needed after step ``k``: read by a later step or
        the result, or kept by a ctx."""
        return self.last.get(slot.n, -1) > k or slot.n in self.saved_slots

    def _assigned(self, slot) -> bool:
        return slot.n not in self.temps

    def _alloc(self, shape, dtype, span=None) -> str:
        """An array for a kernel to write: a buffer the plan keeps (reused by the next
        replay), or a new one when it may leave the replay."""
        small = math.prod(shape) * dtype.itemsize <= BUFFER_LIMIT
        if self.keep_buffers and small and not any(_overlap(span, s) for s in self.out_spans):
            self.buffers.append((shape, dtype))
            return f"B[{len(self.buffers) - 1}]"
        return f"empty({shape!r}, {self.bind(dtype, 'dt_' + dtype.name)})"

    def _kernel(self, label, in_shapes, examples, shape, dtype, body, outs) -> str:
        """The name of the kernel computing ``body``, compiled now (while tracing, not on the
        first replay) for inputs typed like ``examples`` (the traced arrays; None: a
        C-contiguous writable array) and C-contiguous outputs."""
        source = _fusion.kernel_source(len(in_shapes), in_shapes, shape, body, outs)
        kernel = _fusion.load_kernel(source)
        if hasattr(kernel, "compile"):  # (not under NUMBA_DISABLE_JIT)
            import numba

            def array_type(ndim):
                return numba.types.Array(numba.from_dtype(dtype), ndim, "C")

            sig = [
                array_type(len(s)) if a is None else numba.typeof(np.asarray(a))
                for s, a in zip(in_shapes, examples)
            ] + [array_type(len(shape))] * len(outs)
            kernel.compile(tuple(sig))
        self.kernel_names.append(label)
        self.ns.setdefault("empty", np.empty)
        return self.bind(kernel, f"fused{len(self.kernel_names) - 1}")

    def _fused_forward(self, group):
        """One kernel for a run of elementwise forward steps; the ctxs its steps' VJPs read
        are filled as their forwards would have filled them."""
        tr = self.tr
        steps = [tr.steps[k] for k in group]
        for k in range(group[0], group[-1] + 1):  # Expands whose broadcast is read outside
            if k not in group:
                self._op(k, tr.steps[k])
        shape = next(st.out.shape for st in steps if st.op is not _fusion.Expand)
        dtype = steps[0].out.dtype
        keep = set()
        for k, st in zip(group, steps):
            if st.op is not _fusion.Expand and self._needed(st.out, group[-1]):
                keep.add(st.out.n)
            if k in self.in_backward:
                for pos in st.saved[0]:
                    if pos is not None:
                        keep.add(st.out.n if pos[0] == "out" else st.ins[pos[1]].n)
        expr, ins, in_shapes, body, outs, out_vars, examples = {}, [], [], [], [], [], []

        def load(slot):
            if slot.n in expr:
                return expr[slot.n]
            name = self.var(slot)
            if name not in ins:
                ins.append(name)
                in_shapes.append(slot.shape)
                examples.append(slot.array)
            return f"x{ins.index(name)}"

        gid = len(self.kernel_names)
        self.group = gid
        for k, st in zip(group, steps):
            if st.op is _fusion.Expand:
                expr[st.out.n] = load(st.ins[0])  # (read with a broadcasting subscript)
                self.temps.add(st.out.n)
                self.box("forward", "Expand", [self.var(st.ins[0])], [f"~{st.out.n}"])
                continue
            args = [load(s) for s in st.ins]
            t = f"t{len(body)}"
            body.append(f"{t} = {_fusion.FORWARD[st.op](args)}")
            expr[st.out.n] = t
            reads = [f"~{s.n}" if s.n in self.temps else self.var(s) for s in st.ins]
            if st.out.n in keep:
                outs.append(t)
                out_vars.append(self.var(st.out))
                write = self.var(st.out)
            else:
                self.temps.add(st.out.n)
                write = f"~{st.out.n}"
            ctx = [f"c{k}"] if k in self.in_backward else []
            self.box("forward", st.op.__name__, reads, [write, *ctx], _shape_text(st.out))
        self.group = None
        if not outs:  # (nothing of the run is needed: its steps as they are)
            del self.boxes[len(self.boxes) - len(steps) :]
            self.temps.difference_update(st.out.n for st in steps)
            for k, st in zip(group, steps):
                self._op(k, st)
            return
        for v, st in zip(out_vars, [st for st in steps if st.out.n in keep]):
            self.emit(f"{v} = {self._alloc(shape, dtype, st.out.span)}")
        label = "+".join(st.op.__name__ for st in steps)
        fn = self._kernel(label, in_shapes, examples, shape, dtype, body, outs)
        self.emit(f"{fn}({', '.join(ins + out_vars)})  # {label}")
        self._fused_ctxs(group, steps)

    def _fused_ctxs(self, group, steps):
        """The ctxs of a fused run's steps, filled as their forwards would fill them."""
        for k, st in zip(group, steps):
            if k not in self.in_backward:
                continue
            if k not in self.live_steps and _inline_view(st.op, st) is not None:
                continue  # (its VJP is inlined: no ctx)
            self.emit(f"c{k} = Ctx({st.node.needs_input_grad!r})")
            layout, attrs = st.saved
            if layout:
                vals = [
                    "None"
                    if pos is None
                    else self.var(st.out if pos[0] == "out" else st.ins[pos[1]])
                    for pos in layout
                ]
                self.emit(f"c{k}._saved = ({''.join(v + ', ' for v in vals)})")
            for name, value in attrs.items():
                self.emit(f"c{k}.{name} = {self.literal(value, f'A{k}_{name}')}")

    def _gelu_after_bias(self, group):
        """The number of the exact-GELU step that takes the result of ``group`` when the
        group is a bias add (``Expand`` of a (n,) vector, ``Add``) of float32 arrays and the
        GELU's backward will run (``nn.Linear`` then ``nn.GELU``), else None: ``_bias_gelu``
        makes them one kernel."""
        tr = self.tr
        if len(group) != 2 or group[1] != group[0] + 1 or group[1] + 1 >= len(tr.steps):
            return None
        expand, add, gelu = tr.steps[group[0]], tr.steps[group[1]], tr.steps[group[1] + 1]
        if not (
            isinstance(gelu, OpStep)
            and expand.op is _fusion.Expand
            and add.op is _fusion.Add
            and gelu.op is Gelu
            and gelu.params.get("approximate") == "none"
            and gelu.ins[0] is add.out
            and gelu.node is not None
            and group[1] + 1 in self.in_backward
            and True in gelu.node.needs_input_grad  # (Gelu.forward then saves dy/dx)
            and add.out.dtype == np.float32
            and len(expand.ins[0].shape) == 1
            and expand.ins[0].dtype == np.float32
            and self.last.get(expand.out.n) == group[1]  # (the broadcast read once)
            and group[0] not in self.live_steps
        ):
            return None
        x = add.ins[0] if add.ins[1] is expand.out else add.ins[1]
        if x is expand.out or x.shape != add.out.shape or x.dtype != np.float32:
            return None
        return group[1] + 1

    def _bias_gelu(self, group, k):
        """A bias add (``group``) and the exact GELU of step ``k`` after it as one kernel
        call (steps.py ``bias_gelu``), the GELU's ctx filled as its forward fills it."""
        tr = self.tr
        expand, add, gelu = tr.steps[group[0]], tr.steps[group[1]], tr.steps[k]
        x = add.ins[0] if add.ins[1] is expand.out else add.ins[1]
        b, h, y = self.var(expand.ins[0]), self.var(add.out), self.var(gelu.out)
        K = _dispatch._load("activation")  # (its kernel compiled now, not on a replay)
        z = [np.zeros((1, 1), np.float32) for _ in range(4)]
        K.bias_gelu_erf_fwd_grad(z[0], np.zeros(1, np.float32), *z[1:])
        self.temps.add(expand.out.n)  # (the broadcast is read by the kernel, never made)
        self.ns.setdefault("empty", np.empty)
        self.ns["bias_gelu"] = bias_gelu
        with self.fused_kernel("Expand+Add+Gelu"):
            self.box("forward", "Expand", [b], [f"~{expand.out.n}"])
            self.box("forward", "Add", [self.var(x), f"~{expand.out.n}"], [h], _shape_text(add.out))
            self.emit(f"{h} = empty({add.out.shape!r}, {self.bind(add.out.dtype, 'dt_float32')})")
            self._fused_ctxs(group, [expand, add])
            self.emit(f"c{k} = Ctx({gelu.node.needs_input_grad!r})")
            self.emit(f"{y} = bias_gelu(c{k}, {self.var(x)}, {b}, {h})  # Expand+Add+Gelu")
            self.bias_gelus[k] = (group[0], group[1])
            self.box("forward", "Gelu", [h], [y, f"c{k}"], _shape_text(gelu.out))

    def _softmax_after_mask(self, group):
        """The number of the softmax step that takes the result of ``group`` when the group
        is attention's scaling and causal mask, ``(x * scale).masked_fill(mask, fill)``
        (a ``Mul`` by a 0-d value, then a ``Where`` picking a 0-d ``fill`` where a (Q, C)
        boolean ``mask`` holds) followed by a softmax over the last axis, neither
        intermediate read elsewhere; else None. ``_masked_softmax`` makes the three steps
        one kernel call."""
        tr = self.tr
        if len(group) != 2 or group[1] + 1 >= len(tr.steps):
            return None
        mul, where, soft = tr.steps[group[0]], tr.steps[group[1]], tr.steps[group[1] + 1]
        k = group[1] + 1
        if not (
            isinstance(soft, OpStep)
            and mul.op is _fusion.Mul
            and where.op is _fusion.Where
            and soft.op is Softmax
            and soft.params.get("log") is False
            and soft.ins[0] is where.out
            and where.ins[2] is mul.out
            and mul.out.dtype in _fusion._FLOATS
            and mul.out.shape is not None
            and len(mul.out.shape) >= 2
            and soft.params.get("dim") == len(mul.out.shape) - 1
            and all(s.dtype == mul.out.dtype for s in (*mul.ins, where.ins[1], soft.out))
            and where.ins[1].shape == ()
            and where.ins[0].dtype == np.bool_
            and where.ins[0].shape == mul.out.shape[-2:]
            and sorted([mul.ins[0].shape, mul.ins[1].shape], key=len) == [(), mul.out.shape]
            and self.last.get(mul.out.n) == group[1]
            and self.last.get(where.out.n) == k
            and mul.out.n not in self.saved_slots
            and where.out.n not in self.saved_slots
            and not {group[0], group[1], k} & self.live_steps
            and all(tr.steps[j].saved is not None for j in group if j in self.in_backward)
        ):
            return None
        return k

    def _masked_softmax(self, group, k):
        """Attention's scaling, mask and softmax (``_softmax_after_mask``) as one kernel call
        (steps.py ``masked_softmax``, kernels/attention.py); the steps' ctxs filled as
        their forwards fill them. Steps between the two (the mask made from a buffer) run
        first."""
        tr = self.tr
        mul, where, soft = tr.steps[group[0]], tr.steps[group[1]], tr.steps[k]
        for j in range(group[0], group[1]):
            if j not in group:
                self._op(j, tr.steps[j])
        x, scale = mul.ins if mul.ins[1].shape == () else mul.ins[::-1]
        names = [self.var(s) for s in (x, scale, where.ins[0], where.ins[1])]
        _dispatch._load("attention").warmup(mul.out.dtype)  # (compiled now, not in a replay)
        self.ns["masked_softmax"] = masked_softmax
        self.temps.update((mul.out.n, where.out.n))  # (never made: no variables)
        with self.fused_kernel("Mul+Where+Softmax"):
            self.box("forward", "Mul", names[:2], [f"~{mul.out.n}"], _shape_text(mul.out))
            self.box("forward", "Where", [names[2], names[3], f"~{mul.out.n}"], [f"~{where.out.n}"])
            self._fused_ctxs(group, [mul, where])
            ctx = "NR"
            if k in self.in_backward:
                ctx = f"c{k}"
                self.emit(f"{ctx} = Ctx({soft.node.needs_input_grad!r})")
                self.masked[k] = (group[0], group[1], scale)
            y = self.var(soft.out)
            self.emit(f"{y} = masked_softmax({ctx}, {', '.join(names)})  # Mul+Where+Softmax")
            self.box("forward", "Softmax", [f"~{where.out.n}"], [y, ctx], _shape_text(soft.out))

    def _matmul_into_clone(self, k) -> bool:
        """Steps ``k``, ``k + 1``, ``k + 2`` as one call when they are a batched product of
        float arrays, a ``Permute`` of it and a ``Clone`` of that (attention's
        ``(att @ v).transpose(1, 2).contiguous()``), neither intermediate used elsewhere:
        ``np.matmul`` writes the product straight into the clone's array, through the
        permutation's inverse (BLAS writes each matrix with the strides it is given, so the
        values are those of the product copied), instead of a product and a copy. Only
        for permutations that keep the last axis (rows of each matrix stay contiguous:
        NumPy hands such an ``out`` to BLAS; other strides take its own loop, whose sums
        differ) and matrices of at least 2 x 2 (NumPy's vector cases). Emits them and
        returns True, else False. The ctxs are filled as the ops' forwards fill them."""
        steps = self.tr.steps
        if k + 2 >= len(steps) or not all(isinstance(steps[j], OpStep) for j in (k, k + 1, k + 2)):
            return False
        mm, perm, clone = steps[k], steps[k + 1], steps[k + 2]
        if not (
            mm.op.forward is Matmul.forward
            and perm.op in PERMUTES
            and clone.op is Clone
            and perm.ins[0] is mm.out
            and clone.ins[0] is perm.out
            and len(mm.ins) == 2
            and mm.ins[0].shape is not None
            and mm.ins[1].shape is not None
            and len(mm.ins[0].shape) == len(mm.ins[1].shape) >= 3
            and mm.ins[0].shape[:-2] == mm.ins[1].shape[:-2]  # (no broadcast batch dims)
            and mm.ins[0].dtype == mm.ins[1].dtype == mm.out.dtype
            and mm.out.dtype in _fusion._FLOATS
            and self.last.get(mm.out.n) == k + 1
            and self.last.get(perm.out.n) == k + 2
            and mm.out.n not in self.saved_slots
            and perm.out.n not in self.saved_slots
            and not {k, k + 1, k + 2} & self.live_steps
            and all(steps[j].saved is not None for j in (k, k + 2) if j in self.in_backward)
            and ("out",) not in (mm.saved or ((),))[0]  # (the product is never made)
            and perm.params["dims"][-1] == len(mm.out.shape) - 1
            and min(mm.out.shape[-2:]) > 1
        ):
            return False
        dims = perm.params["dims"]
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        a, b, out = self.var(mm.ins[0]), self.var(mm.ins[1]), self.var(clone.out)
        self.temps.update((mm.out.n, perm.out.n))  # (never made: no variables)
        self.ns["matmul"] = np.matmul
        self.ns.setdefault("empty", np.empty)
        self.emit(f"{out} = empty({clone.out.shape!r}, {self._dt(clone.out.dtype)})")
        self._fused_ctxs([k], [mm])
        self.emit(f"matmul({a}, {b}, out={out}.transpose({tuple(inverse)!r}))")
        self._fused_ctxs([k + 2], [clone])
        self.box("forward", mm.op.__name__, [a, b], [f"~{mm.out.n}"], _shape_text(mm.out))
        self.box("forward", "Permute", [f"~{mm.out.n}"], [f"~{perm.out.n}"])
        self.box("forward", "Clone", [f"~{perm.out.n}"], [out], _shape_text(clone.out))
        return True

    # ---- forward steps -----------------------------------------------------------------
    def _op(self, k, step: OpStep):
        op = step.op
        inline = _inline_view(op, step)
        if inline is not None and k not in self.live_steps:
            out, x = self.var(step.out), self.var(step.ins[0])
            self.emit(f"{out} = {inline[0].format(x)}")
            self.box("forward", op.__name__, [x], (out,), _shape_text(step.out))
            return
        if op is Mm and self._plain_mm(k, step):
            self._mm(k, step)
            return
        fwd = self.bind(op.forward, f"{op.__name__}_forward")
        args = ", ".join("None" if s is None else self.var(s) for s in step.ins)
        params = "".join(
            f", {name}={self.literal(v, f'P{k}_{name}')}" for name, v in step.params.items()
        )
        if k in self.in_backward:
            ctx = f"c{k}"
            self.emit(f"{ctx} = Ctx({step.node.needs_input_grad!r})")
        else:
            ctx = "NR"
        out = self.var(step.out)
        self.emit(f"{out} = {fwd}({ctx}{', ' if args else ''}{args}{params})")
        reads = [self.var(s) for s in step.ins if s is not None]
        reads += [self.var(v.slot) for v in step.params.values() if isinstance(v, SlotRef)]
        writes = (out, ctx) if ctx != "NR" else (out,)
        self.box("forward", op.__name__, reads, writes, _shape_text(step.out))
        if step.out.shape == ():  # (only a 0-d result can come back as a NumPy scalar)
            self.emit(f"if type({out}) is not ndarray: {out} = scalar_out({out}, {ctx})")

    def _plain_mm(self, k, step) -> bool:
        """A product of two float32 (or two float64) matrices that ``_mm`` writes out: what
        ``Mm.forward`` computes is then ``_gemm(a, b)`` (``linalg._matmul_arrays`` of 2-d
        operands that are not float16), and its VJP (``_mm_vjp``) needs only ``a`` and ``b``.
        Not for a step of a compiled module's backward (its ctx goes to ``Mm.backward``)."""
        a, b = step.ins
        return (
            k not in self.live_steps
            and not step.params
            and a.shape is not None
            and b.shape is not None
            and len(a.shape) == len(b.shape) == 2
            and a.dtype == b.dtype == step.out.dtype
            and step.out.dtype in _fusion._FLOATS
            and (k not in self.in_backward or (step.saved or ((),))[0] == (("in", 0), ("in", 1)))
        )

    def _mm(self, k, step):
        """A matrix product as one ``gemm`` call (``Mm.forward`` without the call around it);
        when its VJP runs, the ctx keeps the two operands, as ``Mm.forward`` saves them, for
        ``_mm_vjp``."""
        a, b = (self.var(s) for s in step.ins)
        out = self.var(step.out)
        self.ns["gemm"] = _gemm
        writes: tuple = (out,)
        if k in self.in_backward:
            self.inline_mm.add(k)
            self.emit(f"c{k} = Ctx({step.node.needs_input_grad!r})")
            self.emit(f"c{k}._saved = ({a}, {b})")
            writes = (out, f"c{k}")
        self.emit(f"{out} = gemm({a}, {b})")
        self.box("forward", "Mm", [a, b], writes, _shape_text(step.out))

    def _fn_call(self, step, kind: str, first=()) -> str:
        """``fn(*first, *ins, **params)`` of a derive or write step, as source."""
        name = getattr(step.fn, "__name__", kind).strip("_") or kind
        fn = self.bind(step.fn, name)
        args = list(first)
        args += [
            self.var(a) if isinstance(a, Slot) else self.literal(a, f"{fn}_a{i}")
            for i, a in enumerate(step.ins)
        ]
        args += [f"{k}={self.literal(v, f'{fn}_{k}')}" for k, v in step.params.items()]
        return f"{fn}({', '.join(args)})"

    def _derive(self, step: DeriveStep):
        whole = self.var(step.out)
        self.emit(f"{whole} = {self._fn_call(step, 'derive')}")
        reads = [self.var(a) for a in step.ins if isinstance(a, Slot)]
        parts = [self.var(slot) for _, slot in step.parts]
        label = getattr(step.fn, "__name__", "derive")
        self.box("derive", label, reads, [whole, *parts], _shape_text(step.out))
        for i, slot in step.parts:
            if slot.n in self.used:
                self.emit(f"{self.var(slot)} = {whole}[{i}]")

    def _write(self, step: WriteStep):
        target = self.var(step.target)
        self.emit(self._fn_call(step, "write", [target]))
        reads = [target] + [self.var(a) for a in step.ins if isinstance(a, Slot)]
        label = getattr(step.fn, "__name__", "write")
        self.box("write", label, reads, [target], _shape_text(step.target))

    def _call(self, step: CallStep):
        name = getattr(step.fn, "__qualname__", getattr(step.fn, "__name__", "call"))
        fn = self.bind(step.fn, name.replace(".", "_").replace("<", "").replace(">", ""))
        args = ", ".join(
            [self.literal(a, f"{fn}_a{i}") for i, a in enumerate(step.args)]
            + [f"{k}={self.literal(v, f'{fn}_{k}')}" for k, v in step.kwargs.items()]
        )
        self.emit(f"{fn}({args})")
        self.box("call", name, (), ())
        self.fresh.clear()  # (it may have replaced a parameter's array: read them again)
