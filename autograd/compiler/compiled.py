"""The compiled function: plan cache, replay, fallbacks, and the node a compiled
function's outputs carry (see docs/compile.md; ``autograd.compiler.compile`` makes them)."""

from __future__ import annotations

import copy
import functools
import warnings
import weakref

from .. import amp as _amp
from .. import function as _function
from .._pytree import tree_flatten, tree_unflatten
from ..errors import GraphError
from ..function import _FREED, _NP_QUIET, _SECOND_BACKWARD, Node, _edge, _np_err
from ..tensor import Tensor
from . import guards as _guards
from . import plan as _plan
from .steps import Unsupported
from .tracer import Tracer

# Plans kept per compiled function (torch._dynamo.config.cache_size_limit); past it the
# function runs eagerly for new kinds of inputs, with a warning.
cache_size_limit = 8

_compiled = weakref.WeakSet()  # every CompiledFunction, for reset()


# ---- the compiled function ------------------------------------------------------------------
class _Entry:
    """One cached way to run calls with a given key: a plan and its guards, or eagerly."""

    __slots__ = ("eager", "guards", "input_positions", "plan")

    def __init__(self, guards, plan=None, input_positions=(), eager=None):
        self.guards = guards
        self.plan = plan
        self.input_positions = input_positions
        self.eager = eager  # why this kind of call runs eagerly (None: it replays)


class CompiledFunction:
    """What ``autograd.compile(fn)`` returns: call it like ``fn``. ``.plan`` is the source
    of the plan used by the last call (None if it ran eagerly)."""

    def __init__(self, fn, *, fullgraph=False):
        self.fn = fn
        self.fullgraph = fullgraph
        self.__name__ = getattr(fn, "__name__", type(fn).__name__)
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__wrapped__ = fn
        self._cache: dict = {}  # call key -> [_Entry]
        self._last_hit = None  # (spec, call key, its entries in _cache) of the last call
        self._specs: dict = {}  # number of arguments -> spec of a call with tensors only
        self._warned: set = set()
        self._traces = 0
        self._last_key = None
        self.last_plan = None
        self.traced_plan = None  # the plan the last trace built (what viz.draw shows first)
        _compiled.add(self)

    def __repr__(self):
        return f"<compiled {self.__name__}>"

    def __deepcopy__(self, memo):  # (a deep-copied module gets its own, empty cache)
        return CompiledFunction(copy.deepcopy(self.fn, memo), fullgraph=self.fullgraph)

    def __reduce__(self):
        return _rebuild, (self.fn, self.fullgraph)

    def __get__(self, obj, objtype=None):  # a compiled method binds like a function
        return self if obj is None else functools.partial(self, obj)

    @property
    def plan(self):
        return None if self.last_plan is None else self.last_plan.source

    def __call__(self, *args, **kwargs):
        if not kwargs and all(type(a) is Tensor for a in args):
            # (the usual call, tensors only: the leaves and the spec tree_flatten would
            # give, without walking the arguments again on every step)
            leaves, spec = list(args), self._specs.get(len(args))
            if spec is None:
                spec = self._specs[len(args)] = tree_flatten((args, kwargs))[1]
        else:
            leaves, spec = tree_flatten((args, kwargs))
        if _function._tracer is not None:  # called while tracing: part of the outer trace
            return self.fn(*args, **kwargs)
        if _function._fw_level is not None:  # forward AD (autograd.forward_ad): a replay
            return self.fn(*args, **kwargs)  # would not compute tangents, so it runs eagerly
        call_key = _guards.call_key(leaves)
        last = self._last_hit  # (a training loop calls with one kind of arguments: the
        if last is not None and last[0] is spec and last[1] == call_key:  # entries of the
            entries = last[2]  # last call, without hashing the spec's tree again)
        else:
            entries = self._cache.get((spec, call_key), ())
            if entries:
                self._last_hit = (spec, call_key, entries)
        for entry in entries:
            if entry.guards.check():
                if entry.eager is not None:
                    self.last_plan = None
                    return self.fn(*args, **kwargs)
                self.last_plan = entry.plan
                return _replay(entry, leaves, spec)
        return self._trace(args, kwargs, leaves, spec, (spec, call_key))

    # ---- tracing -----------------------------------------------------------------------
    def _trace(self, args, kwargs, leaves, spec, key):
        if self._traces >= cache_size_limit:
            self._warn_once(
                ("limit",),
                f"autograd.compile({self.__name__}): recompiled "
                f"{self._traces} times (cache_size_limit); the last time because "
                f"{self._why(key)}. {self.__name__} now runs eagerly for new "
                "kinds of inputs.",
            )
            return self.fn(*args, **kwargs)
        self._traces += 1
        self._last_key, self.last_plan = key, None
        guards = _guards.Guards().reach(self.fn, leaves)
        tensors = [v for v in leaves if isinstance(v, Tensor)]
        positions = [k for k, v in enumerate(leaves) if isinstance(v, Tensor)]
        tracer = Tracer(self.__name__)
        with tracer:
            tracer.add_inputs(tensors)
            tracer.add_externals(t for t, *_ in guards.tensors)
            if guards.hooks is not None:
                tracer.unsupported(f"hooks registered on a {guards.hooks} module")
            if _amp._open and _amp._state.get() is not None:
                tracer.unsupported("autocast")
            result = self.fn(*args, **kwargs)
            plan = None
            if tracer.escaped is None:
                out_leaves, out_spec = tree_flatten(result)
                try:
                    tracer.names = _parameter_names(guards)
                    plan = _plan.build(tracer, out_leaves)
                    plan.out_spec = out_spec
                    self.traced_plan = plan
                except Unsupported as e:
                    tracer.unsupported(str(e), located=False)
                except Exception as e:  # a bug of the compiler: stay eager
                    tracer.unsupported(
                        f"an internal error of autograd.compile ({type(e).__name__}: "
                        f"{e}); please report it",
                        located=False,
                    )
            guards.add_tensors(
                (t, t._data.shape, t._data.dtype, True, True) for t in tracer.discovered
            )
        entries = self._cache.setdefault(key, [])
        if tracer.escaped is not None:
            reason = str(tracer.escaped)
            if self.fullgraph:
                raise RuntimeError(
                    f"autograd.compile({self.__name__}, fullgraph=True): cannot compile {reason}"
                )
            self._warn_once(
                ("escape", reason),
                f"autograd.compile({self.__name__}): "
                f"{reason}. This cannot be replayed, so {self.__name__} runs "
                "eagerly for these inputs.",
            )
            entries.append(_Entry(guards, eager=reason))
        else:
            entries.append(_Entry(guards, plan, positions))
        return result

    def _why(self, key) -> str:
        old = self._last_key
        if old is None or old[0] != key[0]:
            return "the structure of the arguments changed"
        return _guards.describe_difference(old[1], key[1], [])

    def _warn_once(self, tag, message):
        if tag not in self._warned:
            self._warned.add(tag)
            warnings.warn(message, UserWarning, stacklevel=4)


def _parameter_names(guards) -> dict:
    """id of each parameter and buffer of the modules the function reaches -> its name in
    the outermost of them ('0.weight'), for the boxes of ``viz.draw``."""
    names: dict = {}
    for m, *_ in guards.modules:
        for name, t in [*m.named_parameters(), *m.named_buffers()]:
            names.setdefault(id(t), name)
    return names


def _rebuild(fn, fullgraph):
    return CompiledFunction(fn, fullgraph=fullgraph)


def _replay(entry, leaves, spec):
    plan = entry.plan
    inputs = [leaves[k] for k in entry.input_positions]
    token = _np_err.set(_NP_QUIET)  # (as Op.apply and the engine: inf/nan without warnings)
    try:
        arrays, ctxs = plan.forward(inputs)
    finally:
        _np_err.reset(token)
    outs, live, k = [], [], 0
    for o in plan.outputs:
        kind = o[0]
        if kind == "array":
            arr, grad = arrays[k], o[2]
            k += 1
            if grad is None:
                outs.append(Tensor._make(arr))
            elif grad == "ndarray":
                outs.append(arr)
            elif grad == "released":
                outs.append(Tensor._from_node(arr, _released_node(), 0, None))
            else:
                t = Tensor._make(arr)
                live.append(t)
                outs.append(t)
        elif kind == "input":
            outs.append(inputs[o[1]])
        else:  # "same" (an external tensor returned as it is) or "value"
            outs.append(o[1])
    if live:
        _attach_node(plan, inputs, live, ctxs)
    return tree_unflatten(outs, plan.out_spec)


# ---- the node a compiled module's outputs carry --------------------------------------------
class CompiledFunctionBackward:
    """The op of the one graph node that a compiled function's outputs carry (torch's
    name). Its VJP runs the plan's backward; the engine treats it as any other node."""

    grad_fn_name = "CompiledFunctionBackward"
    _plain_vjp = False  # (the engine calls ``_vjp``: see function.Op)

    def __init__(self, plan):
        self.plan = plan

    def _vjp(self, node, grads, xp):
        if xp.graph:
            raise RuntimeError(
                "autograd.compile: backward(create_graph=True) through a compiled "
                "function is not supported (double backward); call the function "
                "uncompiled for higher-order gradients"
            )
        state = node._saved
        if state is _FREED:
            raise GraphError(_SECOND_BACKWARD)
        ctxs, checks = state[0]
        for t, cell, version in checks:
            if cell[0] != version:
                node._raise_modified(
                    t._data, "an input or output of the compiled function", cell[0], version
                )
        token = _np_err.set(_NP_QUIET)
        try:
            return self.plan.backward(ctxs, list(grads))
        finally:
            _np_err.reset(token)


class _Released:
    """The op of an output whose graph a backward pass inside the compiled step consumed."""

    grad_fn_name = "CompiledFunctionBackward"
    _plain_vjp = False

    def _vjp(self, node, grads, xp):
        raise GraphError(_SECOND_BACKWARD)


_RELEASED = _Released()


def _released_node():
    node = object.__new__(Node)
    node.op = _RELEASED
    node.next_edges = ()
    node.needs_input_grad = ()
    node._saved = _FREED
    node._as_tensors = False
    node.module_path = None
    return node


def _attach_node(plan, inputs, live, ctxs):
    """Give the live outputs one node whose VJP is ``plan.backward``."""
    boundary = [inputs[v] if kind == "input" else v for kind, v in plan.boundary]
    node = object.__new__(Node)
    node.op = CompiledFunctionBackward(plan)
    node.next_edges = edges = tuple(_edge(t) for t in boundary)
    node.needs_input_grad = tuple(e is not None for e in edges)
    node._as_tensors = False
    node.module_path = _function._scope.get()
    node._num_outputs = len(live)
    checks = tuple(
        (t, t._version_cell, t._version_cell[0]) for t in plan.saved_tensors(inputs, live)
    )
    node._saved = ((ctxs, checks),)
    for k, t in enumerate(live):
        t._requires_grad = True
        t.grad_fn = node
        t._output_nr = k
    node._out_ref = weakref.ref(live[0])
    node._out_meta = tuple((t._data.shape, t._data.dtype) for t in live)
