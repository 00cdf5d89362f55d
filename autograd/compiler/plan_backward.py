"""The backward half of the plan builder: backward passes inside a compiled function, the
outputs a replay returns, and the ``backward(ctxs, grads)`` function of a compiled module.

``BackwardSteps`` is a base class of plan.py's builder (``_Builder``), split off by what it
writes: gradients in the engine's order (``_backward``, ``_vjp``, ``acc``), slicing VJPs as
additions into one array (``_slice_vjp``), runs of table VJPs as one fused kernel
(``_fused_vjps``, fusion.py), and a compiled module's own backward (``_module_backward``).
It uses the builder's naming and emitting methods (``bind``, ``var``, ``emit``, ``box``).
"""

from __future__ import annotations

import numpy as np

from .. import dispatch as _dispatch
from ..engine import _topological_order
from ..ops.movement import PERMUTES, Reshape
from ..ops.normalization import LayerNorm
from ..tensor import AccumulateGrad, Tensor
from . import fusion as _fusion
from .steps import (
    _GETITEM_VJP,
    Unsupported,
    _basic_index,
    _inline_view,
    _saved_example,
    _shape_text,
    gelu_bias_grad,
    layer_norm_grad,
    masked_softmax_grad,
)
from .tracer import BackwardStep


class BackwardSteps:
    """Methods of the plan builder that write the gradient side of a plan."""

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
        seeded = set()
        for (node, slot), seed in zip(step.roots, step.seeds):
            if node is None or node not in gvar:
                raise Unsupported("backward() of a tensor not computed in the compiled function")
            if seed is not None:
                value = self.var(seed)
            else:  # (the implicit gradient of a scalar loss: a copy of a kept array of ones)
                ones = np.ones(slot.shape, slot.dtype)
                value = f"{self.bind(ones, f'ONES{slot.n}')}.copy()"
            if node in seeded:
                self.emit(f"{gvar[node]} = acc({gvar[node]}, {value})")
            else:  # (the first gradient it gets: what ``acc`` returns for it)
                seeded.add(node)
                self.emit(f"{gvar[node]} = {value}")
            reads = [self.var(slot)] if slot.kind == "step" else []
            self.box("seed", "backward()", reads, [gvar[node]], _shape_text(slot))
        self.feeds = self._feeds(step)
        self.single = {gvar[node] for node, feeds in self.feeds.items() if len(feeds) == 1}
        runs = self.runs = self._vjp_runs(step) if self.fusing else {}
        into = self._slice_targets(step)
        self.reshaped = self._reshaped_slices(step, into)
        skip = self.folded = set()  # (_mm_vjp adds the Permute nodes it does the VJP of)
        for node in step.order:
            if node in skip:
                continue
            masked = self._masked_run(node, step, runs)
            if masked is not None:  # (attention's softmax, mask and scaling: one kernel)
                skip.update(masked)
                self._masked_softmax_vjp(masked, gvar, step.retain_graph)
                continue
            gelu = self._gelu_bias_run(node, step, runs)
            if gelu is not None:  # (a GELU after a bias add: the bias gradient with it)
                skip.update(gelu)
                self._gelu_bias_vjp(gelu, gvar, step.retain_graph)
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
            if node in self.reshaped:  # (the slice's VJP adds this gradient in this shape)
                t = gvar[self.reshaped[node]]
                self.emit(f"if {g} is not None:")
                self.emit(self._acc(t, g), 2)
                self.emit(f"{g} = None", 2)
                self.box("backward", "Reshape VJP", [g], [t])
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

    def _reshaped_slices(self, step, into) -> dict:
        """Reshape node -> the slicing node it sends its gradient to, where that slice's
        gradient comes from this reshape only (``q.view(B, T, H, D)`` after ``split``, as
        attention splits heads): the reshape's VJP is skipped, its gradient handed on as it
        is, and the slice's VJP adds it into a view of its part in that shape (``add_at``).
        The reshape's VJP would copy a permuted gradient (the heads' ``transpose``) only for
        that addition to read the copy."""
        tr = self.tr
        out = {}
        for node in step.order:
            if node not in tr.node_step or node.op is not Reshape:
                continue
            edge = node.next_edges[0]
            if edge is not None and edge[0] in into and self.feeds[edge[0]] == [node]:
                out[node] = edge[0]
        if out and _dispatch.enabled():  # (add_at's kernel, compiled now: a replay never
            scatter = _dispatch._load("scatter")  # stops to compile)
            for dtype in {tr.steps[tr.node_step[node]].out.dtype for node in out.values()}:
                if dtype in _fusion._FLOATS:
                    scatter.warmup_add_into(dtype)
        return out

    def _slice_vjp(self, node, g, target, retain):
        """A slicing node's VJP as an addition into its input's gradient (``_slice_targets``;
        with ``add_at`` when the gradient arrives in a reshape's shape, ``_reshaped_slices``)."""
        k = self.tr.node_step[node]
        st = self.tr.steps[k]
        idx = self.literal(st.params["idx"], f"P{k}_idx")
        bwd = self.bind(st.op.backward, f"{st.op.__name__}_backward")
        reshaped = node in self.reshaped.values()
        self.emit(f"if {g} is not None:")
        self.emit(f"if {target} is None: {target} = zeros({st.ins[0].shape!r}, {g}.dtype)", 2)
        if reshaped:
            self.emit(f"if {target}.dtype == {g}.dtype: add_at({target}, {idx}, {g})", 2)
            g_own = f"{g}.reshape({st.out.shape!r})"  # (the slice's shape, for its own VJP)
        else:
            self.emit(f"if {target}.dtype == {g}.dtype: {target}[{idx}] += {g}", 2)
            g_own = g
        # (gradients of two dtypes: the engine's promoting sum, with the node's own VJP)
        self.emit(f"else: {target} = acc({target}, {bwd}(c{k}, {g_own}, NP))", 2)
        self.emit(f"{g} = None", 2)
        if not retain:
            self.emit(f"c{k} = None", 2)
        self.box("backward", f"{st.op.__name__} VJP", [g, f"c{k}"], [target])

    def _masked_run(self, node, step, runs):
        """[softmax, where, mul] nodes, when ``node`` is the softmax of a ``masked_softmax``
        forward (plan.py ``_masked_softmax``) and the engine's order runs the three VJPs one
        after the other, each sending its gradient to the next only (and the scaling's to
        the scores only); else None."""
        tr = self.tr
        k = tr.node_step.get(node) if type(node) is not AccumulateGrad else None
        if k not in self.masked:
            return None
        k_mul, k_where, _ = self.masked[k]
        i = step.order.index(node)
        run = step.order[i : i + 3]
        if len(run) != 3 or [tr.node_step.get(n) for n in run[1:]] != [k_where, k_mul]:
            return None
        where, mul = run[1], run[2]
        x = 0 if tr.steps[k_mul].ins[1] is self.masked[k][2] else 1  # (the scores' input)
        if not (
            self.feeds.get(where) == [node]
            and self.feeds.get(mul) == [where]
            and node.next_edges[0] is not None
            and node.next_edges[0][0] is where
            and where.next_edges[0] is None
            and where.next_edges[1] is None
            and where.next_edges[2] is not None
            and where.next_edges[2][0] is mul
            and mul.next_edges[x] is not None
            and mul.next_edges[x ^ 1] is None
            and runs.get(where, [where, mul]) == [where, mul]
        ):
            return None
        return run

    def _masked_softmax_vjp(self, run, gvar, retain):
        """The VJPs of attention's softmax, mask and scaling (``_masked_run``) as one kernel
        call (steps.py ``masked_softmax_grad``); a gradient of another dtype or layout than
        the kernel's takes the three nodes' own VJPs."""
        tr = self.tr
        soft, where, mul = run
        k, k_where, k_mul = (tr.node_step[n] for n in run)
        x = 0 if tr.steps[k_mul].ins[1] is self.masked[k][2] else 1  # (the scores' input)
        mask_at = tr.steps[k_where].saved[0].index(("in", 0))
        scale_at = tr.steps[k_mul].saved[0].index(("in", x ^ 1))
        g, target = gvar[soft], gvar[mul.next_edges[x][0]]
        self.ns["masked_softmax_grad"] = masked_softmax_grad
        dtype = self._dt(tr.steps[k].out.dtype)
        self.emit(f"if {g} is not None and {g}.dtype == {dtype} and {g}.flags.carray:")
        call = f"masked_softmax_grad(c{k}, {g}, c{k_where}._saved[{mask_at}], "
        call += f"c{k_mul}._saved[{scale_at}])"
        self.emit(self._acc(target, call) + "  # SoftmaxVJP+WhereVJP+MulVJP", 2)
        self.emit(f"{g} = {gvar[where]} = {gvar[mul]} = None", 2)
        if not retain:
            self.emit(f"c{k} = c{k_where} = c{k_mul} = None", 2)
        with self.fused_kernel("SoftmaxVJP+WhereVJP+MulVJP"):
            self.box("backward", "Softmax VJP", [g, f"c{k}"], [f"~{id(where)}"])
            self.box("backward", "Where VJP", [f"~{id(where)}", f"c{k_where}"], [f"~{id(mul)}"])
            self.box("backward", "Mul VJP", [f"~{id(mul)}", f"c{k_mul}"], [target])
        self.emit("else:")
        for node in run:
            self._vjp(node, gvar[node], lambda edge: gvar[edge[0]], retain, indent=2)

    def _gelu_bias_run(self, node, step, runs):
        """[gelu, add, expand] nodes, when ``node`` is the GELU of a ``bias_gelu`` forward
        (plan.py ``_bias_gelu``) and the engine's order runs its VJP, the bias add's and the
        bias broadcast's (``sum_rows``) one after the other, each sending its gradient to
        the next only (the add's other gradient to the bias add's input); else None."""
        tr = self.tr
        k = tr.node_step.get(node) if type(node) is not AccumulateGrad else None
        if k not in self.bias_gelus:
            return None
        k_expand, k_add = self.bias_gelus[k]
        i = step.order.index(node)
        run = step.order[i : i + 3]
        if len(run) != 3 or [tr.node_step.get(n) for n in run[1:]] != [k_add, k_expand]:
            return None
        add, expand = run[1], run[2]
        n = tr.steps[k_expand].ins[0].shape[0]
        b = 1 if tr.steps[k_add].ins[1] is tr.steps[k_expand].out else 0
        if not (
            self.feeds.get(add) == [node]
            and self.feeds.get(expand) == [add]
            and node.next_edges[0] is not None
            and node.next_edges[0][0] is add
            and add.next_edges[b] is not None
            and add.next_edges[b][0] is expand
            and add.next_edges[b ^ 1] is not None
            and expand.next_edges[0] is not None
            and add not in runs
            and n >= _dispatch._load("reduce").LEADING_MIN  # (sum_rows' kernel sums it)
        ):
            return None
        return run

    def _gelu_bias_vjp(self, run, gvar, retain):
        """The VJPs of ``_gelu_bias_run``'s GELU, bias add and bias broadcast as one kernel
        call (steps.py ``gelu_bias_grad``); a gradient of another dtype or layout, or a ctx
        whose derivative is gone, takes the three nodes' own VJPs."""
        tr = self.tr
        gelu, add, expand = run
        k, k_add = tr.node_step[gelu], tr.node_step[add]
        b = 1 if add.next_edges[1][0] is expand else 0
        g, tx, tb = gvar[gelu], gvar[add.next_edges[b ^ 1][0]], gvar[expand.next_edges[0][0]]
        n = tr.steps[tr.node_step[expand]].ins[0].shape[0]
        self.ns["gelu_bias_grad"] = gelu_bias_grad
        z = np.zeros((1, 1), np.float32)  # (its kernel compiled now, not on a replay)
        _dispatch._load("activation").gelu_bias_grad_rows(z, z, z.copy(), np.zeros(1, z.dtype))
        dtype = self._dt(np.dtype(np.float32))
        self.emit(
            f"if {g} is not None and {g}.dtype == {dtype} and {g}.flags.carray"
            f" and c{k}.dydx is not None:"
        )
        self.emit(f"gx, gb = gelu_bias_grad(c{k}, {g}, {n})  # GeluVJP+AddVJP+ExpandVJP", 2)
        self.emit(self._acc(tx, "gx"), 2)
        self.emit(self._acc(tb, "gb"), 2)
        self.emit(f"{g} = {gvar[add]} = {gvar[expand]} = gx = gb = None", 2)
        if not retain:
            self.emit(f"c{k} = c{k_add} = None", 2)
        with self.fused_kernel("GeluVJP+AddVJP+ExpandVJP"):
            self.box("backward", "Gelu VJP", [g, f"c{k}"], [f"~{id(add)}"])
            self.box("backward", "Add VJP", [f"~{id(add)}", f"c{k_add}"], [tx, f"~{id(expand)}"])
            self.box("backward", "Expand VJP", [f"~{id(expand)}"], [tb])
        self.emit("else:")
        for node in run:
            self._vjp(node, gvar[node], lambda edge: gvar[edge[0]], retain, indent=2)

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
                saved = st.ins[pos[1]]
                if (
                    saved.dtype == np.bool_
                    and saved.shape is not None
                    and _fusion.broadcasts(saved.shape, shape)
                ):
                    continue  # (a where's condition, e.g. a causal mask)
                if saved.shape not in (shape, ()) or saved.dtype != dtype:
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
        # A gradient that leaves the run unchanged (an Add's VJP: g, g) is handed on as the
        # array that arrived, as the engine hands it on, instead of being copied by the kernel
        copied = _copies_of_inputs(body, outs, {f"x{ins.index(g)}": g for g in fed_from_before})
        handoffs = [(target, copied.get(j, j)) for target, j in handoffs]
        outs = [e if j not in copied else None for j, e in enumerate(outs)]
        if not any(outs):  # (nothing computed leaves the run: keep the nodes' own VJPs)
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
        computed = [j for j, e in enumerate(outs) if e is not None]
        names = [f"o{j}" for j in computed]
        for name in names:
            self.emit(f"{name} = {self._alloc(shape, dtype, (0, 0))}", 2)  # (never returned)
        label = "+".join(tr.steps[tr.node_step[n]].op.__name__ + "VJP" for n in run)
        body_out = [f"_o{j} = {outs[j]}" for j in computed]
        out_names = [f"_o{j}" for j in computed]
        fn = self._kernel(label, in_shapes, examples, shape, dtype, body + body_out, out_names)
        self.emit(f"{fn}({', '.join(ins + names)})  # {label}", 2)
        for target, j in handoffs:  # (j: a kernel output, or the name of an arrived gradient)
            self.emit(f"{target} = acc({target}, {j if isinstance(j, str) else f'o{j}'})", 2)
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
        if k in self.inline_mm:  # (a product written as a gemm call: plan.py _mm)
            self._mm_vjp(node, k, g, target, retain, indent)
            return
        residual = (  # (its input's gradient also comes from elsewhere: added by the kernel)
            op is LayerNorm
            and self.fusing
            and node.next_edges[0] is not None
            and target(node.next_edges[0]) not in self.single
        )
        bwd = self.bind(op.backward, f"{op.__name__}_backward")
        self.emit(f"if {g} is not None:", indent)
        if residual:
            x = target(node.next_edges[0])
            call = f"layer_norm_grad(c{k}, {g}, {x})  # LayerNormVJP+acc"
            self.ns["layer_norm_grad"] = layer_norm_grad
            self.emit(f"r = {call}", indent + 1)
        else:
            self.emit(f"r = {bwd}(c{k}, {g}, NP)", indent + 1)
        targets = [target(edge) for edge in node.next_edges if edge is not None]
        self.box("backward", f"{op.__name__} VJP", [g, f"c{k}"], targets)
        self.emit("if type(r) is not tuple: r = (r,)", indent + 1)
        for i, edge in enumerate(node.next_edges):
            if edge is not None:
                t = target(edge)
                self.emit(
                    f"{t} = r[0]" if residual and i == 0 else self._acc(t, f"r[{i}]"), indent + 1
                )
        if any(t.startswith("g_") for t in targets):  # (a leaf's gradient: ``r`` must not
            self.emit("r = None", indent + 1)  # hold it, or acc_leaf copies what it could take)
        self.emit(f"{g} = None", indent + 1)  # (sent on: as the engine, free it)
        if not retain:  # (eager mode frees a node's saved values once its VJP has run)
            self.emit(f"c{k} = None", indent + 1)

    def _mm_vjp(self, node, k, g, target, retain, indent):
        """``Mm.backward`` of two matrices written out (``_vjp``'s lines with the call
        inlined): ``g @ b^T`` for the left operand, ``mm_right_grad`` (steps.py) for the
        right one, each only where an input wants it, in that order."""
        self.emit(f"if {g} is not None:", indent)
        self.emit(f"ma, mb = c{k}._saved", indent + 1)
        left, right = node.next_edges
        targets = []
        if left is not None:
            targets.append(target(left))
            self.emit(self._acc(target(left), f"gemm({g}, mb.T)"), indent + 1)
        if right is not None:
            into = self._transposed_weight(right, target)
            if into is None:
                targets.append(target(right))
                self.emit(self._acc(target(right), f"mm_right_grad(ma, {g}, mb)"), indent + 1)
            else:  # (the product's gradient, transposed back: the weight's layout, no copy)
                targets.append(into)
                self.emit(f"{into} = mm_right_grad_t(ma, {g}, mb)", indent + 1)
                self.box("backward", "Permute VJP", [g], [into])
        self.emit(f"{g} = ma = mb = None", indent + 1)
        if not retain:
            self.emit(f"c{k} = None", indent + 1)
        self.box("backward", "Mm VJP", [g, f"c{k}"], targets)

    def _transposed_weight(self, edge, target):
        """The variable that takes the gradient of ``w`` when the right operand of a product
        is ``w.t()`` (a ``Permute`` of a matrix, ``nn.Linear``'s ``x @ w.t()``) and both
        gradients have one sender each (no sum whose order could change): ``_mm_vjp`` then
        writes the product's gradient transposed back into it, and the ``Permute`` VJP is not
        emitted (``self.folded``). Transposed back, the gradient of a column-major ``w.t()``
        (``mm_right_grad``'s ``(g^T @ a)^T``) is the product ``g^T @ a`` itself
        (``mm_right_grad_t``): the same values as the VJP's transposed view, in an array of
        its own, which the leaf takes as ``.grad`` where the engine (and ``acc_leaf``) copy
        the view. Else None."""
        node = edge[0]
        k = self.tr.node_step.get(node)
        if k is None or node in self.folded or node in self.runs or target(edge) not in self.single:
            return None
        step = self.tr.steps[k]
        if not (
            step.op in PERMUTES
            and tuple(step.params.get("dims", ())) == (1, 0)
            and k not in self.live_steps
            and node.next_edges[0] is not None
            and target(node.next_edges[0]) in self.single
        ):
            return None
        self.folded.add(node)
        return target(node.next_edges[0])

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
        order = _topological_order([root for root, _ in live], inside)
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


def _copies_of_inputs(body, outs, inputs) -> dict:
    """{output position: gradient variable} for the outputs of a fused VJP run that are one of
    its incoming gradients unchanged: ``body`` lines ``t<k> = <expression>``, where a plain
    name copies a kernel input (``x<j>``, ``inputs`` maps those to their variables) or an
    earlier temporary."""
    same: dict = {}
    for line in body:
        name, _, expr = line.partition(" = ")
        same[name] = same.get(expr, expr)
    return {j: inputs[same.get(e, e)] for j, e in enumerate(outs) if same.get(e, e) in inputs}
