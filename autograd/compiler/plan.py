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
"""

from __future__ import annotations

import math

import numpy as np

from .. import dispatch as _dispatch
from .. import function as _function
from ..engine import _exclusive, _topological_order
from ..ops import xp as _xp
from ..ops.indexing import GetItem, _is_basic
from ..ops.movement import Expand, Permute, Reshape, _broadcast_view, _sum_to_shape
from ..tensor import AccumulateGrad, Tensor
from . import fusion as _fusion
from .tracer import BackwardStep, CallStep, DeriveStep, OpStep, Slot, SlotRef, WriteStep


class Ctx:
    """The ctx a replayed step's forward and backward share (what a graph node is to them
    in eager mode): saved values, attributes, ``needs_input_grad``."""

    __slots__ = ("__dict__", "_saved", "needs_input_grad")

    def __init__(self, needs):
        self.needs_input_grad = needs
        self._saved = ()

    def save_for_backward(self, *values):
        self._saved = values

    @property
    def saved_tensors(self):
        return self._saved

    saved_values = saved_tensors

    def mark_non_differentiable(self, *outputs):
        pass

    def set_materialize_grads(self, value):
        pass


# the VJP of x[idx] (and of its subclasses that keep it): zeros with the gradient added at idx
_GETITEM_VJP = GetItem.backward


def _basic_index(idx) -> bool:
    """An index of slices, integers, None and ... only (a view: no element twice)."""
    return type(idx) is tuple and _is_basic(idx)


def scalar_out(raw, ctx):
    """A forward returned a NumPy scalar: the array ``Op.apply`` would have made of it (and
    saved instead of it)."""
    out = np.asarray(raw)
    saved = getattr(ctx, "_saved", ())
    if saved:
        ctx._saved = tuple(out if v is raw else v for v in saved)
    return out


def acc(old, new):
    """Fan-in: the sum of the gradients reaching one value (None: none yet)."""
    if old is None:
        return new
    if new is None:
        return old
    return old + new


def acc_leaf(leaf, g):
    """A gradient reaching leaf tensor ``leaf``: into ``.grad`` as the engine does it (a new
    ``.grad`` owns its memory: a fresh array nothing else holds is taken over, as the
    engine's ``_accumulate_into_leaf`` does, anything else is copied, such as a kept buffer
    of a fused kernel or an array sent to several inputs; an existing ``.grad`` is added to in
    place). The plan's variable, ``g``, ``arr`` and ``_exclusive``'s own two references are
    the engine's five."""
    arr = g if type(g) is np.ndarray else np.asarray(g)
    if arr.dtype != leaf._data.dtype:
        arr = arr.astype(leaf._data.dtype)
    old = leaf._grad
    if old is None:
        if arr is not g or not _exclusive(arr):
            arr = arr.copy()
        leaf._grad = Tensor._make(arr)
    elif old._requires_grad:
        leaf._grad = Tensor._make(old._data + arr)
    else:
        np.add(old._data, arr, out=old._data, casting="unsafe")


def _inline_view(op, step):
    """(forward, VJP) of a view step written out as one expression each on the array (``{}``
    stands for it), or None: ``Reshape`` and ``Permute`` replay as ``x.reshape(shape)`` and
    ``x.transpose(dims)``, ``Expand`` as the broadcast view, their VJPs as the inverse
    movement (the sum back to the input's shape for ``Expand``): what the ops' own
    ``forward``/``backward`` compute, without a ctx and two calls per step. (The shapes and
    dims are constants of the trace: the guards fix the input shapes.)"""
    if op is Expand:
        shape, in_shape = step.params["shape"], step.ins[0].shape
        return f"broadcast_view({{}}, {shape!r})", f"sum_to({{}}, {in_shape!r})"
    if op is Reshape:
        return f"{{}}.reshape({step.params['shape']!r})", f"{{}}.reshape({step.ins[0].shape!r})"
    if op is Permute:
        dims = step.params["dims"]
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        return f"{{}}.transpose({dims!r})", f"{{}}.transpose({tuple(inverse)!r})"
    return None


class Box:
    """One step of the plan as ``autograd.viz.draw`` shows it: what it is (``label``,
    ``kind``: input, external, forward, backward, grad, call, derive, write), the variables
    of ``plan.source`` it reads and writes, and the fused kernel it belongs to (``group``)."""

    __slots__ = ("detail", "group", "kind", "label", "reads", "writes")

    def __init__(self, kind, label, reads=(), writes=(), detail="", group=None):
        self.kind, self.label, self.detail, self.group = kind, label, detail, group
        self.reads, self.writes = tuple(reads), tuple(writes)

    def __repr__(self):
        return f"<{self.kind} {self.label}: {self.reads} -> {self.writes}>"


def _saved_example(step, pos):
    """(shape, traced array) of a value a step saved for its VJP."""
    slot = step.out if pos[0] == "out" else step.ins[pos[1]]
    return slot.shape, slot.array


def _overlap(a, b) -> bool:
    """Two (start, end) address spans overlap (unknown: assume they do)."""
    if a is None or b is None:
        return True
    return a[0] < b[1] and b[0] < a[1]


def _shape_text(slot) -> str:
    if slot.shape is None:
        return ""
    dims = "\u00d7".join(str(d) for d in slot.shape) if slot.shape else "scalar"
    return f"{dims} {slot.dtype.name}"


# Kernel results up to this size (bytes) go into buffers the plan keeps between replays; a
# bigger one is allocated by each replay and freed after its last use, so a replay never
# holds more memory at once than the eager call (kept buffers are all alive together).
BUFFER_LIMIT = 1 << 16


class Unsupported(Exception):
    """The trace needs something the plan does not model (the call then stays eager)."""


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


class _Builder:
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
                span = range(g[0], g[-1] + 1)
                skip.update(span)
                self._fused_forward(g)
                gone = [v for j in span for v in dies.get(j, ()) if self._assigned(v)]
                if gone:
                    self.emit(f"del {', '.join(self.var(v) for v in gone)}")
                continue
            if k in skip:
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

    # ---- forward steps -----------------------------------------------------------------
    def _op(self, k, step: OpStep):
        op = step.op
        inline = _inline_view(op, step)
        if inline is not None and k not in self.live_steps:
            out, x = self.var(step.out), self.var(step.ins[0])
            self.emit(f"{out} = {inline[0].format(x)}")
            self.box("forward", op.__name__, [x], (out,), _shape_text(step.out))
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

    # ---- backward passes inside the function (a training step) ---------------------------
    def _leaf_tensor(self, leaf) -> str:
        s = self.tr.slot_of(leaf)
        if s.kind == "input":
            return f"inputs[{s.source}]"
        if s.kind == "external":
            return self.bind(s.source, f"E{s.n}")
        raise Unsupported("a gradient for a leaf tensor made inside the compiled function")

    def _backward(self, step: BackwardStep):
        tr = self.tr
        gvar = {}
        for node in step.order:
            if type(node) is AccumulateGrad:
                gvar[node] = f"g_{self.var(tr.slot_of(node.variable))}"
            else:
                gvar[node] = f"g{tr.node_step[node]}"
        self.emit("# backward")
        self.emit(" = ".join(gvar.values()) + " = None")
        for (node, slot), seed in zip(step.roots, step.seeds):
            if node is None or node not in gvar:
                raise Unsupported("backward() of a tensor not computed in the compiled function")
            value = (
                self.var(seed)
                if seed is not None
                else f"ones({slot.shape!r}, {self.bind(slot.dtype, 'dt_' + slot.dtype.name)})"
            )
            self.emit(f"{gvar[node]} = acc({gvar[node]}, {value})")
            reads = [self.var(slot)] if slot.kind == "step" else []
            self.box("seed", "backward()", reads, [gvar[node]], _shape_text(slot))
        self.feeds = self._feeds(step)
        self.single = {gvar[node] for node, feeds in self.feeds.items() if len(feeds) == 1}
        runs = self._vjp_runs(step) if self.fusing else {}
        into = self._slice_targets(step)
        skip = set()
        for node in step.order:
            if node in skip:
                continue
            if node in runs:
                run = runs[node]
                skip.update(run)
                self._fused_vjps(run, step, gvar)
                continue
            g = gvar[node]
            if type(node) is AccumulateGrad:
                leaf = self._leaf_tensor(node.variable)
                self.emit(f"if {g} is not None: acc_leaf({leaf}, {g})")
                label = self.names.get(id(node.variable), leaf)
                self.box("grad", f"{label}.grad", [g], [f"{leaf}.grad"])
                continue
            if node in into:
                self._slice_vjp(node, g, gvar[into[node]], step.retain_graph)
                continue
            self._vjp(node, g, lambda edge: gvar[edge[0]], step.retain_graph)
        self.single = set()
        for slot in step.leaves.values():  # .grad that later steps read
            if slot.n in self.used:
                self.emit(f"{self.var(slot)} = {self._leaf_tensor(slot.source)}._grad._data")

    @staticmethod
    def _feeds(step) -> dict:
        """node -> the nodes (or "seed") sending it gradients, in the engine's order."""
        feeds: dict = {}
        for node, _ in step.roots:
            feeds.setdefault(node, []).append("seed")
        for node in step.order:
            for edge in node.next_edges if type(node) is not AccumulateGrad else ():
                if edge is not None:
                    feeds.setdefault(edge[0], []).append(node)
        return feeds

    def _slice_targets(self, step) -> dict:
        """node -> the node its VJP feeds, for slicing nodes (``x[a:b]``, ``split``: GetItem
        with a basic index) whose input receives gradients from such nodes only. Eagerly
        each of their VJPs makes zeros of the input's shape with its gradient added at its
        index, and the engine sums those arrays; here the input's gradient is one zeros
        array each VJP adds into (``_slice_vjp``). The values are the same: every
        element is the same additions to 0.0 in the same order, minus additions of 0.0
        (which change no sum that starts at 0.0)."""
        tr = self.tr
        basic = {}
        for node in step.order:
            if type(node) is AccumulateGrad or node not in tr.node_step:
                continue
            st = tr.steps[tr.node_step[node]]
            if (
                st.op.backward is _GETITEM_VJP
                and node.next_edges[0] is not None
                and _basic_index(getattr(node, "idx", None))
            ):
                basic[node] = node.next_edges[0][0]
        return {
            node: target
            for node, target in basic.items()
            if all(basic.get(f) is target for f in self.feeds[target])
        }

    def _slice_vjp(self, node, g, target, retain):
        """A slicing node's VJP as an addition into its input's gradient (``_slice_targets``)."""
        k = self.tr.node_step[node]
        st = self.tr.steps[k]
        idx = self.literal(st.params["idx"], f"P{k}_idx")
        bwd = self.bind(st.op.backward, f"{st.op.__name__}_backward")
        self.emit(f"if {g} is not None:")
        self.emit(f"if {target} is None: {target} = zeros({st.ins[0].shape!r}, {g}.dtype)", 2)
        self.emit(f"if {target}.dtype == {g}.dtype: {target}[{idx}] += {g}", 2)
        # (gradients of two dtypes: the engine's promoting sum, with the node's own VJP)
        self.emit(f"else: {target} = acc({target}, {bwd}(c{k}, {g}, NP))", 2)
        self.emit(f"{g} = None", 2)
        if not retain:
            self.emit(f"c{k} = None", 2)
        self.box("backward", f"{st.op.__name__} VJP", [g, f"c{k}"], [target])

    def _vjp_runs(self, step) -> dict:
        """first node -> the run of consecutive nodes (in the engine's order) whose VJPs one
        kernel computes: table ops (fusion.VJP) whose gradients all have one shape and float
        dtype, each receiving a gradient (from before the run, or from a node in it)."""
        tr = self.tr
        feeds = self.feeds

        def key(node):
            if type(node) is AccumulateGrad or node not in tr.node_step:
                return None
            st = tr.steps[tr.node_step[node]]
            if _fusion.VJP.get(st.op) is None or st.saved is None:
                return None
            shape, dtype = st.out.shape, st.out.dtype
            if dtype not in _fusion._FLOATS or not shape:  # (0-d: gradients may be scalars)
                return None
            for i, edge in enumerate(node.next_edges):  # gradients of the output's shape
                if edge is not None and st.ins[i].shape != shape:
                    return None
            for pos in st.saved[0]:
                if pos is None or pos[0] == "out":
                    continue
                if st.ins[pos[1]].shape not in (shape, ()) or st.ins[pos[1]].dtype != dtype:
                    return None
            return shape, dtype

        runs, cur, cur_key = {}, [], None

        def close():
            if len(cur) >= 2:
                runs[cur[0]] = list(cur)

        for node in step.order:
            k = key(node)
            if k is not None and k == cur_key and feeds.get(node):
                cur.append(node)
                continue
            close()
            cur, cur_key = ([node], k) if k is not None and feeds.get(node) else ([], None)
        close()
        return runs

    def _fused_vjps(self, run, step, gvar):
        """The VJPs of ``run`` as one kernel call: each gradient summed in the engine's order
        (what came from before the run first, then the run's own, in order) and handed on to
        the nodes after the run as ``acc`` would. When a gradient from before the run is
        missing or of another dtype, the nodes' own VJPs run instead (``else`` branch)."""
        tr = self.tr
        members = set(run)
        st0 = tr.steps[tr.node_step[run[0]]]
        shape, dtype = st0.out.shape, st0.out.dtype
        inside: dict = {}  # node -> contributions from the run, in order
        ins, in_shapes, body, outs, handoffs, examples = [], [], [], [], [], []
        fed_from_before = []

        def load(text, shp, example=None):
            if text not in ins:
                ins.append(text)
                in_shapes.append(shp)
                examples.append(example)
            return f"x{ins.index(text)}"

        gid = len(self.kernel_names)
        self.group = gid
        for node in run:
            k = tr.node_step[node]
            st = tr.steps[k]
            g = gvar[node]
            early = any(f not in members for f in self.feeds[node])
            terms = ([load(g, shape)] if early else []) + inside.get(node, [])
            if early:
                fed_from_before.append(g)
            total = terms[0]
            for term in terms[1:]:  # summed left to right, as acc does: ((a + b) + c)
                total = f"({total} + {term})"
            t = f"t{len(body)}"
            body.append(f"{t} = {total}")
            saved = [
                None if pos is None else load(f"c{k}._saved[{i}]", *_saved_example(st, pos))
                for i, pos in enumerate(st.saved[0])
            ]
            grads = _fusion.VJP.get(st.op)(t, saved, node.needs_input_grad)
            targets = []
            for i, edge in enumerate(node.next_edges):
                if edge is None or grads[i] is None:
                    continue
                if edge[0] in members:
                    u = f"t{len(body)}"
                    body.append(f"{u} = {grads[i]}")
                    inside.setdefault(edge[0], []).append(u)
                    targets.append(f"~{id(edge[0])}")
                else:
                    if grads[i] not in outs:
                        outs.append(grads[i])
                    handoffs.append((gvar[edge[0]], outs.index(grads[i])))
                    targets.append(gvar[edge[0]])
            reads = [g if early else f"~{id(node)}", f"c{k}"]
            self.box("backward", f"{st.op.__name__} VJP", reads, targets)
        self.group = None
        if not outs:  # (nothing leaves the run: keep the nodes' own VJPs)
            del self.boxes[len(self.boxes) - len(run) :]
            for node in run:
                self._vjp(node, gvar[node], lambda edge: gvar[edge[0]], step.retain_graph)
            return
        # (the kernel was compiled for C-contiguous writable gradients of the dtype: another
        # kind, e.g. the broadcast view a sum's VJP sends, takes the unfused path instead of
        # compiling again in the middle of a replay)
        cond = " and ".join(
            f"{g} is not None and {g}.dtype == {self._dt(dtype)} and {g}.flags.carray"
            for g in fed_from_before
        )
        self.emit(f"if {cond}:")
        names = [f"o{j}" for j in range(len(outs))]
        for name in names:
            self.emit(f"{name} = {self._alloc(shape, dtype, (0, 0))}", 2)  # (never returned)
        label = "+".join(tr.steps[tr.node_step[n]].op.__name__ + "VJP" for n in run)
        body_out = [f"_o{j} = {e}" for j, e in enumerate(outs)]
        out_names = [f"_o{j}" for j in range(len(outs))]
        fn = self._kernel(label, in_shapes, examples, shape, dtype, body + body_out, out_names)
        self.emit(f"{fn}({', '.join(ins + names)})  # {label}", 2)
        for target, j in handoffs:
            self.emit(f"{target} = acc({target}, o{j})", 2)
        self.emit(" = ".join(gvar[n] for n in run) + " = None", 2)
        if not step.retain_graph:
            self.emit(" = ".join(f"c{tr.node_step[n]}" for n in run) + " = None", 2)
        self.emit("else:")
        boxes = len(self.boxes)
        for node in run:
            self._vjp(node, gvar[node], lambda edge: gvar[edge[0]], step.retain_graph, indent=2)
        del self.boxes[boxes:]  # (drawn once: as the kernel)

    def _dt(self, dtype) -> str:
        return self.bind(dtype, "dt_" + dtype.name)

    def _vjp(self, node, g, target, retain, indent=1):
        """One node's VJP; ``target(edge)`` is the variable collecting that input's gradient."""
        k = self.tr.node_step[node]
        op = node.op
        inline = _inline_view(op, self.tr.steps[k])
        if inline is not None:  # (the step's input always needs this gradient: it made one)
            (edge,) = node.next_edges
            t = target(edge)
            self.emit(f"if {g} is not None:", indent)
            self.emit(self._acc(t, inline[1].format(g)), indent + 1)
            self.emit(f"{g} = None", indent + 1)
            self.box("backward", f"{op.__name__} VJP", [g], [t])
            return
        bwd = self.bind(op.backward, f"{op.__name__}_backward")
        self.emit(f"if {g} is not None:", indent)
        self.emit(f"r = {bwd}(c{k}, {g}, NP)", indent + 1)
        targets = [target(edge) for edge in node.next_edges if edge is not None]
        self.box("backward", f"{op.__name__} VJP", [g, f"c{k}"], targets)
        self.emit("if type(r) is not tuple: r = (r,)", indent + 1)
        for i, edge in enumerate(node.next_edges):
            if edge is not None:
                t = target(edge)
                self.emit(self._acc(t, f"r[{i}]"), indent + 1)
        self.emit(f"{g} = None", indent + 1)  # (sent on: as the engine, free it)
        if not retain:  # (eager mode frees a node's saved values once its VJP has run)
            self.emit(f"c{k} = None", indent + 1)

    def _acc(self, target, value) -> str:
        """``target`` gets ``value`` added: ``acc`` where several values meet, else the value
        itself (what ``acc`` returns for the first one)."""
        if target in self.single:
            return f"{target} = {value}"
        return f"{target} = acc({target}, {value})"

    # ---- the outputs -------------------------------------------------------------------
    def _outputs(self, outputs):
        """Per output leaf what a replay returns, and the outputs that need a live node."""
        tr = self.tr
        spec, live = [], []
        for leaf in outputs:
            if isinstance(leaf, Tensor):
                s = tr.slot_of(leaf)
                if s.kind == "input" and leaf is tr.inputs[s.source]:
                    spec.append(("input", s.source))
                    continue
                if s.kind == "external" and leaf is s.source:
                    spec.append(("same", s.source))
                    continue
                if not leaf._requires_grad:
                    spec.append(("array", s.n, None))
                    continue
                node = leaf.grad_fn
                if node is None or node not in tr.node_step:
                    raise Unsupported(
                        "returning a tensor that requires grad and was not "
                        "computed by the compiled function"
                    )
                if node in self.consumed:
                    spec.append(("array", s.n, "released"))
                else:
                    spec.append(("array", s.n, len(live)))
                    live.append((node, s))
            elif isinstance(leaf, np.ndarray):
                spec.append(("array", tr._slot_of_array(leaf).n, "ndarray"))
            else:
                spec.append(("value", leaf))
        return spec, live

    # ---- a compiled module's backward (its outputs' one node) -----------------------------
    def _module_order(self, live):
        """The nodes of the traced graph reachable from the live outputs, in the engine's
        order (a depth-first post-order, reversed), stopping at the graph's edge: leaves and
        nodes made before the call, which appear in the order but are not entered."""
        inside = self.tr.node_step
        order, visited = [], set()
        for root, _ in live:
            if root in visited:
                continue
            visited.add(root)
            stack = [(root, iter(root.next_edges))]
            while stack:
                node, edges = stack[-1]
                for edge in edges:
                    if edge is not None and edge[0] not in visited:
                        visited.add(edge[0])
                        if edge[0] in inside:
                            stack.append((edge[0], iter(edge[0].next_edges)))
                            break
                        order.append(edge[0])
                else:
                    stack.pop()
                    order.append(node)
        order.reverse()
        if any(node in self.consumed for node in order if node in inside):
            raise Unsupported(
                "an output whose graph a backward pass inside the compiled function has freed"
            )
        return order

    def _boundary_edges(self):
        """graph edge -> slot, for the function's inputs and externals that require grad:
        where the compiled module's backward hands gradients back to the engine."""
        tr = self.tr
        edges = {}
        for s in tr.slots:
            t = (
                tr.inputs[s.source]
                if s.kind == "input"
                else s.source
                if s.kind == "external"
                else None
            )
            if t is not None and t._requires_grad:
                key = (
                    (t.grad_fn, t._output_nr)
                    if t.grad_fn is not None
                    else (t._grad_accumulator(), 0)
                )
                edges.setdefault(key, s)
        return edges

    def _saved_slots(self):
        """Slots whose arrays some node of the module's backward saved: their tensors'
        versions are checked before that backward runs (eager mode's in-place check)."""
        tr = self.tr
        saved = set()
        for node in self.live_order:
            if node not in tr.node_step or not isinstance(node._saved, tuple):
                continue
            for rec in node._saved:
                if rec is None:
                    continue
                if isinstance(rec[1], Tensor):
                    saved.add(tr.slot_of(rec[1]).n)
                elif isinstance(rec[1], int):
                    saved.add(tr.steps[tr.node_step[node]].out.n)
        return sorted(saved)

    def _module_backward(self, live, ctxs):
        """``backward(ctxs, grads)``: the VJPs of the live outputs' graph; returns one
        gradient per boundary tensor (``boundary``: ("input", k) or ("same", tensor))."""
        tr = self.tr
        edges = self._boundary_edges()
        gvar = {node: f"g{tr.node_step[node]}" for node in self.live_order if node in tr.node_step}
        boundary, bvar = [], {}

        def target(edge):
            if edge[0] in gvar:
                return gvar[edge[0]]
            if edge not in bvar:
                s = edges.get(edge)
                if s is None:
                    raise Unsupported(
                        "a gradient flowing into a tensor the compiled function "
                        "did not receive as an argument or find as a parameter"
                    )
                bvar[edge] = f"b{len(boundary)}"
                boundary.append(("input", s.source) if s.kind == "input" else ("same", s.source))
            return bvar[edge]

        outer, self.lines = self.lines, []
        for i, (node, s) in enumerate(live):
            self.emit(f"{gvar[node]} = acc({gvar[node]}, grads[{i}])")
            self.box("seed", f"grad of output {i}", [], [gvar[node]], _shape_text(s))
        for node in self.live_order:
            if node in gvar:
                self._vjp(node, gvar[node], target, retain=True)
        vjps, self.lines = self.lines, outer
        self.emit("def backward(ctxs, grads):", 0)
        if ctxs:
            self.emit(", ".join(f"c{k}" for k in ctxs) + ", = ctxs")
        self.emit(" = ".join(list(gvar.values()) + list(bvar.values())) + " = None")
        self.lines.extend(vjps)
        self.emit("return (" + "".join(f"{v}, " for v in bvar.values()) + ")")
        checks = []
        live_index = {s.n: i for i, (_, s) in enumerate(live)}
        for n in self._saved_slots():
            s = tr.slots[n]
            if s.kind == "input":
                checks.append(("input", s.source))
            elif s.kind == "external":
                checks.append(("external", s.source))
            elif n in live_index:
                checks.append(("live", live_index[n]))
        return boundary, checks
