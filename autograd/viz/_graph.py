"""Read an autograd graph into plain data for the pictures (no drawing here).

What can be known about a node depends on where the graph is in its life:

* structure (op names, edges, shapes, dtypes, module paths) is always there;
* a tensor's *value* is known while the tensor is alive (``Graph.output``) or while a
  node that saved it for backward still holds it (freed by ``backward()`` unless
  ``retain_graph=True``);
* a gradient is known for leaves from ``.grad``, for op nodes from a backward that ran
  under :func:`autograd.viz.record` (or :func:`backprop_steps`), from ``retain_grad()``, or
  else by a *side pass*: while the saved values are still there, this module runs each
  node's VJP itself (same VJPs as the engine, no hooks, no ``.grad`` written).
"""

from __future__ import annotations

import contextlib
import gc
import weakref

import numpy as np

from ..engine import _topological_order, _step_observers
from ..function import _FREED
from ..tensor import AccumulateGrad, Tensor

# node -> {"grads": [array|None per output], "edges": {input_index: array}}
_RECORDED = weakref.WeakKeyDictionary()
# node -> {output_nr: array}: values found in saved tensors while a recorded backward ran
_RECORDED_VALUES = weakref.WeakKeyDictionary()


def _as_array(g):
    if g is None:
        return None
    return np.asarray(g._data if hasattr(g, "_data") else g)


def _record_step(node, grads, grads_in):
    """Engine observer used by :func:`record`: keep what flowed through ``node``."""
    _RECORDED[node] = {
        "grads": [_as_array(g) for g in grads],
        "edges": {}
        if grads_in is None
        else {i: _as_array(g) for i, g in enumerate(grads_in) if g is not None},
    }
    if grads_in is not None:
        for prod, nr, arr in saved_values(node):
            _RECORDED_VALUES.setdefault(prod, {})[nr] = arr


@contextlib.contextmanager
def record():
    """Remember every gradient of the backward passes run inside the block, for draw().

    After a plain ``backward()`` the graph's intermediate gradients are gone; inside this
    block they are kept (as long as the graph lives) so that ``draw`` can show them.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([1.0, 2.0], requires_grad=True)
        >>> loss = (x.tanh() * 3).sum()
        >>> with autograd.viz.record():
        ...     loss.backward()
        >>> g = autograd.viz.draw(loss)   # every node shows its gradient
    """
    _step_observers.append(_record_step)
    try:
        yield
    finally:
        _step_observers.remove(_record_step)


def out_meta(node, nr=0):
    """(shape, numpy dtype) of output ``nr`` of ``node``, or None if unknown."""
    if type(node) is AccumulateGrad:
        d = node.variable._data
        return d.shape, d.dtype
    m = getattr(node, "_out_meta", None)
    if m is None:
        return None
    if len(m) == 2 and isinstance(m[1], np.dtype):  # built-in op: one (shape, dtype)
        return m if nr == 0 else None
    return m[nr] if nr < len(m) else None


def saved_values(node):
    """(producer node, output_nr, array) for every tensor ``node`` still holds for backward."""
    saved = getattr(node, "_saved", ())
    if saved is _FREED or not saved:
        return
    for rec in saved:
        if not isinstance(rec, tuple) or len(rec) != 4:
            continue
        arr, who, _, _ = rec
        if isinstance(who, int):
            yield node, who, arr
        elif who is not None and getattr(who, "grad_fn", None) is not None:
            yield who.grad_fn, who._output_nr, arr
        elif who is not None and getattr(who, "_accum", None) is not None:
            acc = who._accum()
            if acc is not None:
                yield acc, 0, arr


class GraphData:
    """The graph reachable from some outputs, in the engine's order (consumers first)."""

    def __init__(self, outputs, params=None):
        from ..tensor import Tensor

        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        elif isinstance(outputs, dict):
            outputs = tuple(outputs.values())
        outputs = tuple(outputs)
        for o in outputs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"viz.draw: outputs must be Tensors (or a list of them), got {type(o).__name__}"
                )
        self.outputs = tuple(o for o in outputs if o._requires_grad)  # the others: no graph
        roots = [
            (o.grad_fn if o.grad_fn is not None else o._grad_accumulator(), o._output_nr)
            for o in self.outputs
        ]
        if not roots:
            raise ValueError(
                "viz.draw: none of the outputs requires grad, so no graph was recorded. Create "
                "the inputs or parameters with requires_grad=True and compute the outputs with "
                "grad mode on (not inside no_grad())."
            )
        self.roots = roots
        self.order = _topological_order([n for n, _ in roots])
        self.index = {n: i for i, n in enumerate(self.order)}
        # forward-direction edges: (producer, output_nr, consumer, input_index)
        self.edges = []
        self.consumers = [[] for _ in self.order]
        self.producers = [[] for _ in self.order]
        idx = self.index
        for c, node in enumerate(self.order):
            for i, e in enumerate(node.next_edges):
                if e is not None:
                    p = idx[e[0]]
                    k = len(self.edges)
                    self.edges.append((p, e[1], c, i))
                    self.consumers[p].append(k)
                    self.producers[c].append(k)
        self.param_names, self.module_names, self.module_types = _names(params)
        self._paths = self._module_paths()
        self._values = None
        self._live = None  # (node, output_nr) -> live tensor (see ``output``)
        self.grad_source = None
        self.node_grads = {}  # index -> [array|None per output]
        self.edge_grads = {}  # edge index -> array (contribution of one consumer)

    def __len__(self):
        return len(self.order)

    # ---- names and modules ------------------------------------------------------
    def is_leaf(self, i):
        return type(self.order[i]) is AccumulateGrad

    def leaf_name(self, i):
        var = self.order[i].variable
        name = self.param_names.get(id(var))
        return name if name is not None else getattr(var, "name", None)

    def leaf_number(self, i):
        """1, 2, ... for unnamed leaves, in the order forward used them."""
        if not hasattr(self, "_leaf_numbers"):
            leaves = [j for j in reversed(range(len(self.order))) if self.is_leaf(j)]
            self._leaf_numbers = {j: k + 1 for k, j in enumerate(leaves)}
        return self._leaf_numbers.get(i, 0)

    def module_of(self, i):
        """Dotted module path of node ``i`` (None when outside any sub-module)."""
        return self._paths[i]

    def _module_paths(self):
        """Resolve every node's ``module_path`` once.

        nn.Module.__call__ records a scope object (``.module``, ``.path``, ``.type_name``);
        a plain string path or a Module object works too. With ``params=`` a Module, paths
        come from its ``named_modules()`` so they match ``named_parameters()`` names.
        Parameters of the modules seen here get names even without ``params=``.
        """
        paths = [None] * len(self.order)
        cache = {}
        for i, node in enumerate(self.order):
            if type(node) is AccumulateGrad:
                continue
            scope = node.module_path
            if scope is None or isinstance(scope, str):
                paths[i] = scope or None
                continue
            hit = cache.get(id(scope))
            if hit is None:
                hit = cache[id(scope)] = (self._resolve_scope(scope), scope)
            paths[i] = hit[0]
        for i, node in enumerate(self.order):
            if type(node) is AccumulateGrad:
                name = self.param_names.get(id(node.variable))
                paths[i] = (name.rpartition(".")[0] or None) if name else None
        return paths

    def _resolve_scope(self, scope):
        mod = getattr(scope, "module", scope)
        name = self.module_names.get(id(mod))
        if name is None:
            name = getattr(scope, "path", None)
            if not isinstance(name, str):
                name = type(mod).__name__
            if name:
                self.module_types.setdefault(name, getattr(scope, "type_name", type(mod).__name__))
            if hasattr(mod, "named_parameters"):  # name this module's own parameters
                try:
                    own = mod.named_parameters(recurse=False)
                except TypeError:
                    own = ()
                for pname, t in own:
                    self.param_names.setdefault(id(t), f"{name}.{pname}" if name else pname)
        return name or None

    # ---- values -------------------------------------------------------------------
    def output(self, node, nr=0):
        """The live tensor that is output ``nr`` of ``node``, or None.

        Some nodes keep a weak reference to their output (``_out_ref``: custom Functions,
        several outputs); a built-in op's node does not (one per op would cost every forward
        pass), so the first call looks for the graph's live tensors among the objects the
        garbage collector tracks (every Tensor is one), once per picture."""
        ref = getattr(node, "_out_ref", None)
        t = ref() if ref is not None else None
        if t is not None and t._output_nr == nr and t.grad_fn is node:
            return t
        if self._live is None:
            nodes = set(self.order)
            self._live = {}
            # (``type``: isinstance may run an object's code; ``getattr``: another thread's
            # Op.apply may hold a Tensor whose fields are not all set yet)
            for obj in gc.get_objects():
                if issubclass(type(obj), Tensor) and getattr(obj, "grad_fn", None) in nodes:
                    nr = getattr(obj, "_output_nr", None)
                    if nr is not None:
                        self._live.setdefault((obj.grad_fn, nr), obj)
        return self._live.get((node, nr))

    def value(self, i, nr=0):
        """The forward value of output ``nr`` of node ``i`` as an array, or None."""
        node = self.order[i]
        if type(node) is AccumulateGrad:
            return node.variable._data
        t = self.output(node, nr)
        if t is not None:
            return t._data
        if self._values is None:
            self._values = {}
            for n in self.order:
                for prod, k, arr in saved_values(n):
                    self._values[(prod, k)] = arr
        arr = self._values.get((node, nr))
        if arr is None:
            arr = _RECORDED_VALUES.get(node, {}).get(nr)
        return arr

    # ---- gradients ---------------------------------------------------------------
    def load_grads(self):
        """Fill node_grads/edge_grads from the best available source; returns its name."""
        if self.grad_source is not None:
            return self.grad_source
        if self.order[0] in _RECORDED:  # the last backward through this graph was recorded
            self._from_recorded()
            self.grad_source = "recorded backward()"
        elif self._side_pass():
            self.grad_source = "computed by viz (side pass; .grad untouched)"
        else:
            self._from_recorded()  # partial records, if any
            self.grad_source = ".grad of leaves (and retain_grad tensors)"
        # Everything in one picture comes from one backward pass; .grad (which may hold
        # sums over several passes) fills in only what that pass did not give.
        for i, node in enumerate(self.order):
            if i in self.node_grads:
                continue
            if type(node) is AccumulateGrad:
                if node.variable._grad is not None:
                    self.node_grads[i] = [node.variable._grad._data]
            else:
                t = self.output(node)
                if t is not None and t._retains_grad and t._grad is not None:
                    self.node_grads[i] = [t._grad._data]
        return self.grad_source

    def _from_recorded(self):
        for i, node in enumerate(self.order):
            rec = _RECORDED.get(node)
            if rec is None:
                continue
            self.node_grads[i] = rec["grads"]
            for k in self.producers[i]:
                g = rec["edges"].get(self.edges[k][3])
                if g is not None:
                    self.edge_grads[k] = g

    def _side_pass(self):
        """Run the VJPs ourselves (scalar outputs only); False if the graph was freed."""
        from ..grad_mode import no_grad
        from ..ops import xp as _xp

        seeds = {}
        for o, (node, nr) in zip(self.outputs, self.roots):
            if o.numel() != 1:
                return False
            buf = seeds.setdefault(self.index[node], [None] * node._num_outputs)
            one = np.ones(o._data.shape, o._data.dtype)
            buf[nr] = one if buf[nr] is None else buf[nr] + one
        for node in self.order:
            if type(node) is not AccumulateGrad and node._saved is _FREED:
                return False
        buffers = seeds
        node_grads, edge_grads = {}, {}
        try:
            with no_grad(), np.errstate(all="ignore"):
                for i, node in enumerate(self.order):
                    grads = buffers.pop(i, None)
                    if grads is None:
                        continue
                    node_grads[i] = grads
                    if type(node) is AccumulateGrad or all(g is None for g in grads):
                        continue
                    grads_in = node.op._vjp(node, list(grads), _xp.NUMPY)
                    for k in self.producers[i]:
                        p, nr, _, inp = self.edges[k]
                        g = grads_in[inp] if inp < len(grads_in) else None
                        if g is None:
                            continue
                        g = _as_array(g)
                        edge_grads[k] = g
                        buf = buffers.setdefault(p, [None] * self.order[p]._num_outputs)
                        buf[nr] = g if buf[nr] is None else buf[nr] + g
        except Exception:  # a custom Function that cannot run twice: show no gradients
            return False
        self.node_grads.update(node_grads)
        self.edge_grads.update(edge_grads)
        return True


def _names(params):
    """(id(tensor) -> name, id(module) -> path, path -> module type name) from ``params``."""
    pnames, mnames, mtypes = {}, {}, {}
    if params is None:
        return pnames, mnames, mtypes
    items = None
    if hasattr(params, "named_parameters"):
        items = params.named_parameters()
        if hasattr(params, "named_modules"):
            for path, mod in params.named_modules():
                mnames[id(mod)] = path
                mtypes[path] = type(mod).__name__
    elif isinstance(params, dict):
        items = params.items()
    else:
        try:
            items = list(params)
        except TypeError:
            raise TypeError(
                f"viz: params must be a dict name -> Tensor or a Module with "
                f"named_parameters(), got {type(params).__name__}"
            ) from None
    for name, t in items:
        pnames.setdefault(id(t), str(name))
    return pnames, mnames, mtypes
