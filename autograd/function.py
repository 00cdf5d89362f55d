"""Built-in ops (``Op``) and how they run; user-defined ``Function``s are in custom_function.py.

Every differentiable operation that runs while grad mode is on leaves one ``Node`` behind
(the tensor's ``grad_fn``; the class is in node.py, re-exported here). A node knows

* ``next_edges``: for each input, the node that produced it (or the leaf's
  ``AccumulateGrad``), so the engine can walk backwards;
* what the op saved for its backward pass (``save_for_backward``);
* the op's backward rule (its VJP: vector-Jacobian product).

Ownership (no reference cycles, so graphs die by reference counting alone):
tensor --grad_fn--> node --next_edges--> earlier nodes --> ... --> AccumulateGrad --> leaf.
A node never holds its own output strongly: a saved output is kept as its array and
re-wrapped on demand. (A built-in op's node does not refer to its output at all;
autograd.viz finds the live outputs when it draws a graph.)

Built-in ops subclass ``Op``: ``forward`` works on NumPy arrays and ``backward(ctx, grad, xp)``
is written once against a small array namespace ``xp``. The engine passes NumPy arrays
and a NumPy namespace for an ordinary ``backward()`` (fast: no tensors are created), or
Tensors and the autograd namespace when ``create_graph=True`` (so the backward pass is
itself recorded and can be differentiated again).
"""

from __future__ import annotations

import contextvars
import traceback
import weakref

import numpy as np

from .dtypes import FLOAT_KINDS
from .grad_mode import _grad_enabled
from .tensor import AccumulateGrad as AccumulateGrad  # (re-exported: the leaf's node)
from . import tensor as _tensor_module
from .tensor import Tensor
from .low_precision import _apply_in_float32, _has_bfloat16 as _has_bfloat16  # (re-exported)
from .node import (  # (re-exported: the graph node and its module's names, from node.py)
    _FREED as _FREED,
    _NO_RECORD as _NO_RECORD,
    _SECOND_BACKWARD as _SECOND_BACKWARD,
    ANOMALY_CHECK_NAN as ANOMALY_CHECK_NAN,
    ANOMALY_TRACE as ANOMALY_TRACE,
    Node as Node,
    _anomaly as _anomaly,
    _edge as _edge,
    _input_record as _input_record,
    _scope as _scope,
)

# --------------------------------------------------------------------------------------
# Module scope: nn.Module.__call__ pushes its path (into ``node._scope``) so nodes remember
# which module made them (autograd.viz groups the picture by module).
# True once a scope was pushed (and from then on): until then a node's ``module_path`` is
# None without reading ``_scope`` (plain tensor code, outside any module, pays nothing).
_scope_used = False


def current_scope():
    return _scope.get()


def push_scope(path):
    global _scope_used
    _scope_used = True
    return _scope.set(path)


def pop_scope(token):
    _scope.reset(token)


# Anomaly mode (``node._anomaly``: False, or how it is on; autograd.anomaly switches it).
# True once anomaly mode has been switched on anywhere (autograd.anomaly sets it, and never
# back): until then making a node skips reading ``_anomaly`` (like ``_LOW_PRECISION``).
_anomaly_used = False

# While ``autograd.compile`` traces a call, its Tracer (autograd/compiler/tracer.py); None
# otherwise. ``Op.apply`` hands every op to it: the one hook that tracing needs, since every
# op runs through ``Op.apply`` (docs/compile.md).
_tracer = None

# A node's ``_out_meta`` (output shape, dtype) is one of a few tuples shared by all nodes
# (bounded): a graph then holds one tracked object less per op for the garbage collector.
_METAS: dict = {}
_METAS_MAX = 4096
# The last of them per shape: ``Op.apply`` finds a node's tuple by the output's shape alone
# (hashing a dtype costs more than the lookup), then checks the dtype.
_META_BY_SHAPE: dict = {}


def _shared_meta(shape, dtype):
    """The shared ``(shape, dtype)`` tuple of ``_METAS`` (a new one once it is full)."""
    meta = (shape, dtype)
    if len(_METAS) < _METAS_MAX:
        meta = _METAS.setdefault(meta, meta)
        _META_BY_SHAPE[shape] = meta
    return meta


_new = object.__new__  # (module-level names for the hot path in Op.apply)
_weakref = weakref.ref
_ndarray = np.ndarray


# Like torch, ops return inf/nan for inf/nan-producing inputs (log(0), inf * 0 ...) without
# a warning. ``np.errstate`` costs too much per op (bench/README.md, "Figures behind the
# code"), so when NumPy exposes its error-state context variable we set it directly (a
# tenth of the cost); otherwise a stand-in with the same set/reset interface enters and
# leaves an errstate.
class _ErrstateVar:
    """Fallback for NumPy layouts without ``_extobj_contextvar``: ``set`` enters
    ``np.errstate(all="ignore")`` and returns it as the token; ``reset`` leaves it."""

    def set(self, _value):
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def reset(self, state):
        state.__exit__(None, None, None)


try:
    from numpy._core._ufunc_config import _extobj_contextvar as _np_err

    with np.errstate(all="ignore"):
        _NP_QUIET = _np_err.get()
except (ImportError, AttributeError):  # pragma: no cover - other NumPy layouts
    _np_err, _NP_QUIET = _ErrstateVar(), None


def _quietly(fn, *args):
    """``fn(*args)`` with NumPy's warnings off (set and reset: the general way)."""
    token = _np_err.set(_NP_QUIET)
    try:
        return fn(*args)
    finally:
        _np_err.reset(token)


# The lean paths below call a NumPy ufunc, which reads no context variable but NumPy's error
# state, so they run it in a context of their own where that state is quiet: entering and
# leaving a context is far cheaper than setting and resetting a variable. A context can be
# entered by one thread at a time: ``run`` raises RuntimeError when another thread's ufunc
# is inside it (NumPy lets go of the GIL in long loops), and the caller then takes
# ``_quietly`` (a ufunc has no side effects to repeat if it raised RuntimeError itself).
if isinstance(_np_err, contextvars.ContextVar):
    _QUIET_CONTEXT = contextvars.Context()
    _QUIET_CONTEXT.run(_np_err.set, _NP_QUIET)
    _quiet_ufunc = _QUIET_CONTEXT.run
else:  # pragma: no cover - other NumPy layouts
    _quiet_ufunc = _quietly
_ufunc = np.ufunc


# --------------------------------------------------------------------------------------
# bfloat16: computed in float32, rounded once (low_precision.py explains, and has the code).
# ``_LOW_PRECISION`` turns on when the bfloat16 dtype is first created (autograd.dtypes),
# so programs that never use it pay one global lookup per op.
_LOW_PRECISION = False


# --------------------------------------------------------------------------------------
# Forward-mode AD (autograd/forward_ad.py): while a dual level is open, ``_fw_level`` is its
# token and an op with a tangent-carrying input is run by ``forward_ad.apply_dual``, which
# also computes the output's tangent. One global read per op otherwise (like bfloat16's
# ``_LOW_PRECISION``); forward AD is process-wide in torch too.
_fw_level = None


def _has_tangent(inputs) -> bool:
    level = _fw_level
    for t in inputs:
        if t is not None:
            fw = t._fw
            if fw is not None and fw[0] is level:
                return True
    return False


def _apply_dual(cls, inputs, params):
    from .forward_ad import apply_dual  # (imported on first use: forward_ad imports us)

    return apply_dual(cls, inputs, params)


def plain_eager() -> bool:
    """True when an op's forward may run without ``Op.apply`` (the eager fast paths for inputs
    that need no gradient: ``ops._util.forward_only``, ``stack``): no forward-mode dual level
    is open (an input may carry a tangent), autograd.compile is not tracing (it must see
    every op), and no bfloat16 dtype exists (bfloat16 inputs need their float32 stand-ins).
    These are the cases ``Op.apply`` checks first; callers check ``requires_grad``
    themselves.

    Example:
        >>> plain_eager()
        True
    """
    return _fw_level is None and _tracer is None and not _LOW_PRECISION


# --------------------------------------------------------------------------------------
# Built-in ops
class Op:
    """Base class of built-in ops: ``forward(ctx, *arrays, **params) -> array`` and
    ``backward(ctx, grad, xp) -> grad per input``.

    ``Op.apply(*tensors, **params)`` runs forward and, when grad mode is on and an input
    requires grad, records a node. Inputs are already broadcast and promoted by the public
    function that calls ``apply``.
    """

    grad_fn_name = "Backward0"
    differentiable = True
    # Forward mode: ``jvp(ctx, tangents, xp)`` -> the output's tangent (None: zero), from the
    # inputs' tangents (None where an input has none), written against ``xp`` like backward;
    # ctx is the forward's (saved values, attributes) plus ``ctx.primals`` and ``ctx.params``.
    # forward_ad.py has the shared rules (elementwise, linear, multilinear); an op without
    # one gets its tangent from its VJP, differentiated (forward_ad's double backward).
    jvp = None
    # View ops name the parameter that replays them (see ops/_views.py ``_view_of``). They
    # also run on bfloat16 arrays as they are (their result shares the input's memory);
    # other ops compute bfloat16 in float32.
    view_param = None
    # ``backward_into(ctx, grad, into, dirty) -> index or None``, for an op with one input
    # whose VJP is zeros with ``grad`` added at some positions (slicing): adds ``grad`` at
    # those positions of ``into``, the gradient its input has already received, in place,
    # adds the VJP's zeros to ``into[dirty]`` (where ``into`` may hold a -0.0, which they
    # turn into +0.0; the rest holds none), and returns those positions (None: not
    # possible, use ``backward``). The engine then skips the zeros array and the fan-in sum
    # (engine.py ``_added_into``).
    backward_into = None

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "grad_fn_name" not in cls.__dict__:
            cls.grad_fn_name = cls.__name__ + "Backward0"

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad, xp):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        # This runs once per op, so it is the hottest code of the library: on small tensors
        # the per-op overhead is mostly this function. Hence the written-out one- and
        # two-input cases (forward called with its arrays as plain arguments: unpacking
        # ``*arrays, **params`` costs more than a small op's arithmetic), the node and the
        # result built field by field rather than through calls, and no helper calls on the
        # common path. (``Node.__init__`` is the readable version of the recording branch.)
        if _fw_level is not None and _has_tangent(inputs):
            return _apply_dual(cls, inputs, params)
        if _tracer is not None:  # autograd.compile is tracing: it records the op, then runs it
            return _tracer.apply(cls, inputs, params)
        if _LOW_PRECISION and cls.view_param is None and _has_bfloat16(inputs):
            return _apply_in_float32(cls, inputs, params)
        # ``record``: an input requires grad, the op is differentiable and grad mode is on
        # (asked in that order: a constant's op, such as index arithmetic ``i + 1`` in a
        # batch loader, reads nothing more). ``needs`` are literal tuples: no allocation.
        # ``arity``: 1 or 2 for those written-out cases, 0 for the general one.
        n = len(inputs)
        if n == 2 and inputs[0] is not None and inputs[1] is not None:
            arity = 2
            a, b = inputs
            ra, rb = a._requires_grad, b._requires_grad
            record = (ra or rb) and cls.differentiable and _grad_enabled.get()
            if record:
                # one edge per input: (producer node, which output), the leaf's
                # AccumulateGrad, or None when that input needs no gradient
                if not ra:
                    ea = None
                elif a.grad_fn is not None:
                    ea = (a.grad_fn, a._output_nr)
                else:
                    ea = (a._grad_accumulator(), 0)
                if not rb:
                    eb = None
                elif b.grad_fn is not None:
                    eb = (b.grad_fn, b._output_nr)
                else:
                    eb = (b._grad_accumulator(), 0)
                edges = (ea, eb)
                needs = ((True, True) if rb else (True, False)) if ra else (False, True)
        elif n == 1 and inputs[0] is not None:
            arity = 1
            a = inputs[0]
            record = a._requires_grad and cls.differentiable and _grad_enabled.get()
            if record:
                if a.grad_fn is not None:
                    edges = ((a.grad_fn, a._output_nr),)
                else:
                    edges = ((a._grad_accumulator(), 0),)
                needs = (True,)
        else:  # any number of inputs, some of them maybe None (optional arguments)
            arity = 0
            record = (
                cls.differentiable
                and True in [t is not None and t._requires_grad for t in inputs]
                and _grad_enabled.get()
            )
            if record:
                edges = tuple([_edge(t) for t in inputs])
                needs = tuple([e is not None for e in edges])

        if record:
            ctx = node = _new(Node)  # the fields of Node.__init__
            node.op = cls
            node.next_edges = edges
            node.needs_input_grad = needs
            node._saved = ()
            node._as_tensors = False
            node.module_path = _scope.get() if _scope_used else None
            if _anomaly_used and _anomaly.get():
                node._trace = traceback.format_stack()[:-2]
        else:
            ctx = _NO_RECORD
        # NumPy warnings off (see _ErrstateVar), except for view ops: they only rearrange
        # memory (no floating-point arithmetic, so nothing to warn of)
        token = _np_err.set(_NP_QUIET) if cls.view_param is None else None
        try:
            if params or not arity:
                raw = cls.forward(ctx, *[None if t is None else t._data for t in inputs], **params)
            elif arity == 2:
                raw = cls.forward(ctx, a._data, b._data)
            else:
                raw = cls.forward(ctx, a._data)
        finally:
            if token is not None:
                _np_err.reset(token)
        out = raw if type(raw) is _ndarray else _tensor_module._asarray(raw)  # (a NumPy scalar)
        result = _new(Tensor)  # Tensor._make / Tensor._from_node, inlined
        result._data = out
        result._grad = None
        result._output_nr = 0
        result._version_cell = cell = [0]
        if not record:  # just the forward
            result._requires_grad = False
            result.grad_fn = None
            return result
        result._requires_grad = True
        result.grad_fn = node
        saved = node._saved
        if saved:
            if (
                arity == 1
                and len(saved) == 1
                and (saved[0] is out or saved[0] is raw)
                and out is not a._data
            ):
                # a unary op that saved its output (exp, tanh, sigmoid): the record that
                # _resolve_saved1 would make, made directly
                node._saved = ((out, 0, 0, cell),)
            elif (
                arity == 2
                and len(saved) == 2
                and (saved[0] is None or saved[0] is a._data)
                and (saved[1] is None or saved[1] is b._data)
                and a._data is not b._data
            ):
                # a binary op that saved its inputs' arrays in order (mul, matmul, div):
                # likewise, their records
                node._saved = (
                    None if saved[0] is None else _input_record(a),
                    None if saved[1] is None else _input_record(b),
                )
            else:
                node._resolve_saved1(inputs, out, raw, cell)
        shape, dtype = out.shape, out.dtype  # (one shared tuple per shape and dtype: _METAS)
        meta = _META_BY_SHAPE.get(shape)
        node._out_meta = (
            meta if meta is not None and meta[1] is dtype else _shared_meta(shape, dtype)
        )
        return result

    # True while ``_vjp`` is this one: the engine then calls ``backward`` itself (the same
    # steps, without the extra call per node). Other kinds of node op set it False.
    _plain_vjp = True

    @classmethod
    def _vjp(cls, node, grads, xp):
        node._as_tensors = xp.graph  # saved values come back as Tensors when recording
        grads_in = cls.backward(node, grads[0], xp)
        return grads_in if isinstance(grads_in, tuple) else (grads_in,)


# --------------------------------------------------------------------------------------
# The lean path: ``Op.apply`` for the commonest elementwise calls, written for them alone
# (add, sub and mul of two Tensors of one dtype and shape; exp, tanh, sigmoid ... of a
# floating Tensor). It skips what those calls never need: packing ``*inputs, **params``,
# the arity dispatch, the forward's ``ctx`` calls and resolving what it saved (the records
# are made here directly: the ones ``Op.apply`` makes). Callers fall back to ``cls.apply``
# when it returns None (forward AD, tracing, bfloat16, operands of other dtypes or shapes).
# tests/test_eager_fast_paths.py checks that both give the same tensors, nodes and records.


def lean_unary(cls, forward, a, save):
    """``cls.apply(a)`` for an elementwise op of one floating Tensor whose forward is
    ``forward(x)`` and which saves its output (``save="y"``: exp, tanh, sigmoid) or its input
    (``"x"``: sin, log); None when ``cls.apply`` is needed."""
    if _fw_level is not None or _tracer is not None or _LOW_PRECISION:
        return None
    x = a._data
    if type(forward) is _ufunc:  # (see _quiet_ufunc; other forwards may read context vars)
        try:
            out = _quiet_ufunc(forward, x)
        except RuntimeError:
            out = _quietly(forward, x)
    else:  # (a Python function: run in this context, as Op.apply does)
        token = _np_err.set(_NP_QUIET)
        try:
            out = forward(x)
        finally:
            _np_err.reset(token)
    if type(out) is not _ndarray:  # (a NumPy scalar, from a 0-d input)
        out = _tensor_module._asarray(out)
    result = _new(Tensor)
    result._data = out
    result._grad = None
    result._output_nr = 0
    result._version_cell = cell = [0]
    if not (a._requires_grad and _grad_enabled.get()):
        result._requires_grad = False
        result.grad_fn = None
        return result
    gf = a.grad_fn
    node = _new(Node)  # the fields ``Op.apply`` sets (inline: a call costs more than each)
    node.op = cls
    node.next_edges = ((gf, a._output_nr) if gf is not None else (a._grad_accumulator(), 0),)
    node.needs_input_grad = (True,)
    node._as_tensors = False
    node.module_path = _scope.get() if _scope_used else None
    if _anomaly_used and _anomaly.get():
        node._trace = traceback.format_stack()[:-2]
    shape, dtype = out.shape, out.dtype
    meta = _META_BY_SHAPE.get(shape)
    node._out_meta = meta if meta is not None and meta[1] is dtype else _shared_meta(shape, dtype)
    if save == "y" and out is not x:
        node._saved = ((out, 0, 0, cell),)
    else:  # (``a`` is the caller's tensor, never a ``Tensor._number`` operand)
        ca = a._version_cell
        node._saved = ((x, a, ca[0], ca),)
    result._requires_grad = True
    result.grad_fn = node
    return result


def lean_binary(cls, forward, a, b, save):
    """``cls.apply(*binary_operands(a, b))`` for an elementwise op of a Tensor ``a`` and a
    Tensor ``b`` of the same dtype and shape, or a Python number ``b`` that takes ``a``'s
    dtype (``y * 2.0``: the constant ``binary_operands`` makes), whose forward is the
    ufunc ``forward(x, y)`` and which saves nothing (``save=False``: add, sub) or, like ``Mul``,
    each input where the other one needs a gradient (``save=True``); None when the general
    path is needed."""
    if _fw_level is not None or _tracer is not None or _LOW_PRECISION:
        return None
    x = a._data
    shape = x.shape
    if type(b) is Tensor:
        y = b._data
        if x.dtype is not y.dtype or x is y or shape != y.shape:
            return None
        rb = b._requires_grad
    elif type(b) is float or type(b) is int:
        kind = x.dtype.kind
        if not (kind in FLOAT_KINDS or (kind in "iu" and type(b) is int)):
            return None
        y = _tensor_module._operand(b, x.dtype)
        rb = False
    else:
        return None
    try:  # (``forward`` is a ufunc: see _quiet_ufunc)
        out = _quiet_ufunc(forward, x, y)
    except RuntimeError:
        out = _quietly(forward, x, y)
    if type(out) is not _ndarray:  # (a NumPy scalar, from 0-d inputs)
        out = _tensor_module._asarray(out)
    result = _new(Tensor)
    result._data = out
    result._grad = None
    result._output_nr = 0
    result._version_cell = [0]
    ra = a._requires_grad
    if not ((ra or rb) and _grad_enabled.get()):
        result._requires_grad = False
        result.grad_fn = None
        return result
    # the edges of ``Op.apply``'s two-input case, written out for the same reason (two
    # ``_edge`` calls cost as much as a sixth of this whole function)
    # (a leaf's AccumulateGrad is fetched as in ``Tensor._grad_accumulator``, inlined: ops
    # on weights are the commonest; the method makes it when the leaf has none yet)
    if not ra:
        ea = None
    elif a.grad_fn is not None:
        ea = (a.grad_fn, a._output_nr)
    else:
        acc = a._accum
        acc = acc() if acc is not None else None
        ea = (acc if acc is not None else a._grad_accumulator(), 0)
    if not rb:
        eb = None
    elif b.grad_fn is not None:
        eb = (b.grad_fn, b._output_nr)
    else:
        acc = b._accum
        acc = acc() if acc is not None else None
        eb = (acc if acc is not None else b._grad_accumulator(), 0)
    node = _new(Node)  # as in lean_unary
    node.op = cls
    node.next_edges = (ea, eb)
    node.needs_input_grad = ((True, True) if rb else (True, False)) if ra else (False, True)
    node._as_tensors = False
    node.module_path = _scope.get() if _scope_used else None
    if _anomaly_used and _anomaly.get():
        node._trace = traceback.format_stack()[:-2]
    dtype = out.dtype
    meta = _META_BY_SHAPE.get(shape)
    node._out_meta = meta if meta is not None and meta[1] is dtype else _shared_meta(shape, dtype)
    if save:  # (``a`` and ``b`` are the caller's tensors, never ``Tensor._number`` operands)
        if not ra:
            rec_b = None
        elif type(b) is Tensor:
            cb = b._version_cell
            rec_b = (y, b, cb[0], cb)
        else:  # a number: kept as a constant, its value (see ``_input_record``)
            rec_b = (y, None, 0, None)
        ca = a._version_cell
        node._saved = ((x, a, ca[0], ca) if rb else None, rec_b)
    else:
        node._saved = ()
    result._requires_grad = True
    result.grad_fn = node
    return result


class MultiOutputOp(Op):
    """A built-in op with several differentiable outputs (eigh's eigenvalues and eigenvectors,
    svd's U, S and Vh). ``forward`` returns a tuple of arrays; ``backward(ctx, grads, xp)``
    gets a tuple with one gradient per output, None for an output no gradient reached, so a
    VJP can leave out the terms of unused outputs (for eigh those terms are infinite when
    eigenvalues repeat, while the eigenvalues alone have a finite gradient).
    Rarely used (decompositions), so written plainly rather than for speed."""

    _plain_vjp = False  # (its ``_vjp`` passes every output's gradient)

    @classmethod
    def apply(cls, *inputs, **params):
        if _fw_level is not None and _has_tangent(inputs):
            return _apply_dual(cls, inputs, params)
        if _tracer is not None:  # (autograd.compile does not model several outputs yet)
            _tracer.unsupported(f"{cls.__name__}, an op with several outputs")
        record = (
            cls.differentiable
            and _grad_enabled.get()
            and any(t is not None and t._requires_grad for t in inputs)
        )
        ctx = Node(cls, inputs) if record else _NO_RECORD
        token = _np_err.set(_NP_QUIET)
        try:
            raws = cls.forward(ctx, *[None if t is None else t._data for t in inputs], **params)
        finally:
            _np_err.reset(token)
        outs = tuple(r if type(r) is _ndarray else np.asarray(r) for r in raws)
        if not record:
            return tuple(Tensor._make(o) for o in outs)
        ctx._saved = tuple(next((o for r, o in zip(raws, outs) if v is r), v) for v in ctx._saved)
        results = tuple(Tensor._from_node(o, ctx, k, None) for k, o in enumerate(outs))
        ctx._num_outputs = len(outs)
        ctx._resolve_saved(inputs, outs, tuple(r._version_cell for r in results))
        ctx._out_meta = tuple((o.shape, o.dtype) for o in outs)
        ctx._out_ref = _weakref(results[0])
        return results

    @classmethod
    def _vjp(cls, node, grads, xp):
        node._as_tensors = xp.graph
        grads_in = cls.backward(node, tuple(grads), xp)
        return grads_in if isinstance(grads_in, tuple) else (grads_in,)


def derive(fn, *tensors, **params):
    """``fn(*arrays, **params)`` on the arrays of ``tensors``: an array that an op takes as a
    parameter but that depends on a tensor's values (row indices from an index tensor, the
    positions ``gather`` reads ...). ``fn`` is a NumPy function of its arguments only; it
    returns an array, or a tuple of arrays and constants, whose shapes depend on the shapes
    of its arguments only (a replay does not check them: a value-dependent shape, such as
    ``nonzero``'s, must be computed where the trace sees it and falls back).

    In eager mode this is the plain call. While ``autograd.compile`` traces, the call is
    recorded as a step, so a replay derives the parameter from each call's own tensors
    (a parameter computed from ``t._data`` directly would be frozen; docs/compile.md).

    Example:
        >>> import numpy as np, autograd
        >>> derive(np.flatnonzero, autograd.tensor([0, 3, 0, 5]))
        array([1, 3])
    """
    if _tracer is not None:
        return _tracer.derive(fn, tensors, params)
    return fn(*[t._data if isinstance(t, Tensor) else t for t in tensors], **params)


def write(fn, target, *tensors, **params) -> None:
    """``fn(target_array, *arrays, **params)``, which writes into ``target``'s array in place:
    how in-place ops store their result (``x.add_(1)``, ``x[i] = v``, ``fill_``). Like
    ``derive``, the plain call in eager mode, a recorded step while autograd.compile traces.

    Example:
        >>> import numpy as np, autograd
        >>> x = autograd.zeros(3)
        >>> write(np.copyto, x, autograd.ones(3)); x
        tensor([1., 1., 1.])
    """
    if _tracer is not None:
        _tracer.write(fn, target, tensors, params)
        return
    fn(target._data, *[t._data if isinstance(t, Tensor) else t for t in tensors], **params)


def __getattr__(name):
    # ``autograd.function.Function`` (torch.autograd.function.Function) lives in
    # custom_function.py, which imports this module
    if name == "Function":
        from .custom_function import Function

        return Function
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
