"""The backward engine: ``Tensor.backward()`` and ``autograd.grad()``.

Algorithm (reverse-mode automatic differentiation):

1. Walk the graph from the output's ``grad_fn`` with an explicit stack (never recursion,
   so a chain of a million ops works at the default recursion limit) and record a
   topological order: every node comes after all nodes that use its output.
2. Seed the output with its gradient (1 for a scalar), then visit nodes in that order.
   Each node's incoming gradient is complete when it is visited, because everything
   that feeds gradient into it (its consumers) came earlier. The node's VJP turns it into
   one gradient per input; a gradient reaching a node that is used several times is
   *summed* (fan-in), which is the multivariate chain rule.
3. At a leaf, ``AccumulateGrad`` adds the gradient into ``.grad``.
4. Unless ``retain_graph=True``, each node drops its saved values as soon as its VJP has
   run, so memory goes down while backward proceeds.

Without ``create_graph`` gradients flow as plain NumPy arrays (no Tensor objects, no
recording). With ``create_graph=True`` they flow as Tensors and every VJP is itself
recorded, so the result can be differentiated again.
"""

from __future__ import annotations

import warnings
from sys import getrefcount as _getrefcount
from weakref import ref as _weakref

import numpy as np

from . import amp as _amp
from . import function as _function
from .errors import ShapeError
from .function import _FREED, _NP_QUIET, ANOMALY_CHECK_NAN, _anomaly, _np_err
from .grad_mode import _grad_enabled
from .ops import xp as _xp
from .dtypes import FLOAT_KINDS
from .tensor import AccumulateGrad, Tensor

# Optional observers of the backward loop (autograd.viz.backprop_steps records frames with
# one). Empty by default: the loop then pays a single falsy check per node.
# Each is called as ``obs(node, grads, grads_in)`` once per node that runs: ``grads`` are the
# node's incoming gradients (one per output), ``grads_in`` what its VJP sends to each input
# (None for a leaf's AccumulateGrad). Observers must not modify the arrays they are given.
_step_observers: list = []


def _topological_order(roots, inside=None):
    """Nodes reachable from ``roots``, each after all of its consumers (iterative DFS).

    ``inside`` (a set of nodes), when given, bounds the walk: a node outside it is placed in
    the order but not entered. The compiler uses this to order a traced region's nodes the
    way this engine would, stopping at the leaves and nodes made before the region.
    """
    order = []  # post-order: a node is appended after everything it points to
    visited = set()
    seen, done = visited.add, order.append  # (bound once: called per node)
    for root in roots:
        if root is None or root in visited:
            continue
        seen(root)
        # the node being walked and the iterator over its edges; the stack keeps its parents'
        # (so a chain costs one push and one pop per node)
        node, edges, stack = root, iter(root.next_edges), []
        while True:
            for edge in edges:
                if edge is not None:
                    nxt = edge[0]
                    if nxt not in visited:
                        seen(nxt)
                        if nxt.next_edges if inside is None else nxt in inside:
                            stack.append((node, edges))
                            node, edges = nxt, iter(nxt.next_edges)
                            break  # (walk nxt's edges now, then come back to these)
                        done(nxt)  # (a leaf's AccumulateGrad: done at once, where
                        # a push and a pop would have put it)
            else:
                done(node)
                if not stack:
                    break
                node, edges = stack.pop()
    order.reverse()
    return order


def _as_array(g):
    return g._data if hasattr(g, "_data") else g


def _make_seed(out, gradient, index, graph):
    if gradient is None:
        data = out._data
        if data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        # (``np.ones`` is a Python function: for the usual 0-d output, the same array made
        # by one C call)
        seed = np.array(1, data.dtype) if not data.ndim else np.ones(data.shape, data.dtype)
        return Tensor._make(seed) if graph else seed
    if not isinstance(gradient, Tensor):
        gradient = Tensor._make(np.asarray(gradient, dtype=out._data.dtype))
    if gradient.shape != out.shape:
        raise ShapeError(
            f"Mismatch in shape: grad_output[{index}] has a shape of {gradient.shape} and "
            f"output[{index}] has a shape of {out.shape}."
        )
    return gradient if graph else gradient._data


def _normalize_outputs(outputs, grad_outputs):
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
    outputs = tuple(outputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,) * (1 if grad_outputs is not None else len(outputs))
    grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    return outputs, grad_outputs


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaves) into the leaves' ``.grad`` (``torch.autograd.backward``).

    Example:
        >>> import autograd
        >>> x = autograd.tensor(2.0, requires_grad=True)
        >>> autograd.backward(x * x); x.grad
        tensor(4.)
    """
    outputs, grads = _normalize_outputs(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        only = inputs
    captured = _run(outputs, grads, retain_graph, create_graph, capture=only, accumulate=True)
    if only is not None:  # a non-leaf input's gradient goes into its .grad too, as in torch
        done = set()  # (once per tensor; retain_grad's hook has filled .grad already)
        for t, g in zip(only, captured):
            if t.grad_fn is not None and g is not None and not t._retains_grad:
                if id(t) not in done:
                    done.add(id(t))
                    _accumulate_into_leaf(t, g if create_graph else g._data, bool(create_graph))


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """Return d(outputs)/d(inputs) without touching ``.grad`` (``torch.autograd.grad``).

    Example:
        >>> import autograd
        >>> x = autograd.tensor(3.0, requires_grad=True)
        >>> (g,) = autograd.grad(x ** 3, x, create_graph=True)
        >>> g, autograd.grad(g, x)[0]
        (tensor(27., grad_fn=<MulBackward0>), tensor(18.))
    """
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if is_grads_batched:
        return _batched_grad(
            outputs,
            inputs,
            grad_outputs,
            retain_graph,
            create_graph,
            allow_unused,
            materialize_grads,
        )
    outputs, grads = _normalize_outputs(outputs, grad_outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    result = _run(outputs, grads, retain_graph, create_graph, capture=inputs, accumulate=False)
    out = []
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if materialize_grads:
                g = Tensor._make(np.zeros_like(t._data))
            elif not allow_unused:
                raise _unused_error(i)
        out.append(g)
    return tuple(out)


def _unused_error(index: int) -> RuntimeError:
    return RuntimeError(
        f"The differentiated Tensor at index {index} appears to not have been used in the "
        "graph. Set allow_unused=True if this is the desired behavior."
    )


def _batched_grad(
    outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads
):
    """``grad(..., is_grads_batched=True)``: the first dimension of every grad_output is a
    batch; one backward pass per batch element (torch vmaps them), results stacked."""
    from .ops import stack

    outputs, grads = _normalize_outputs(outputs, grad_outputs)
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is None or g.ndim == 0 or g.shape[1:] != out.shape:
            shape = None if g is None else g.shape
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions "
                "are expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {shape} and output[{i}] has a "
                f"shape of {out.shape}. If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap."
            )
    sizes = [g.shape[0] for g in grads]
    if len(set(sizes)) > 1:
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, "
            f"got sizes {sizes} for the mapped dimension"
        )
    n = sizes[0]
    rows = [
        grad(
            outputs,
            inputs,
            [g[k] for g in grads],
            retain_graph=True if k < n - 1 else retain_graph,
            create_graph=create_graph,
            allow_unused=True,
        )
        for k in range(n)
    ]
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    result = []
    for j, t in enumerate(inputs):
        column = [row[j] for row in rows]
        if n and column[0] is None:  # (torch's materialized zeros are not batched)
            if materialize_grads:
                result.append(Tensor._make(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise _unused_error(j)
            result.append(None)
        else:
            result.append(
                stack(column) if n else Tensor._make(np.zeros((0,) + t.shape, t._data.dtype))
            )
    return tuple(result)


def _run(outputs, grad_outputs, retain_graph, create_graph, capture=None, accumulate=True):
    """Shared engine loop. ``capture``: tensors whose total gradient is returned."""
    if _function._tracer is not None:  # autograd.compile is tracing: it records this pass,
        return _function._tracer.backward(
            outputs,
            grad_outputs,
            retain_graph,  # then runs it
            create_graph,
            capture,
            accumulate,
        )
    graph = bool(create_graph)
    xp = _xp.TENSOR if graph else _xp.NUMPY

    roots, seeds = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        node = out.grad_fn if out.grad_fn is not None else out._grad_accumulator()
        roots.append((node, out._output_nr))
        seeds.append(_make_seed(out, g, i, graph))

    # where to capture gradients for autograd.grad / backward(inputs=...)
    capture_at = {}
    if capture is not None:
        for k, t in enumerate(capture):
            key = (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._grad_accumulator(), 0)
            capture_at.setdefault(key, []).append(k)
    captured = [None] * (len(capture) if capture is not None else 0)

    order = _topological_order([n for n, _ in roots])
    if capture is not None:
        order = _prune(order, {k[0] for k in capture_at})

    buffers = {}
    for (node, nr), seed in zip(roots, seeds):
        _accumulate(buffers, node, nr, seed)

    anomaly = _anomaly.get()
    observers = tuple(_step_observers)
    slow = bool(capture_at or anomaly or observers)  # else per-node checks are skipped
    token = _grad_enabled.set(graph)
    # Like torch, gradients may be inf/nan (e.g. d/dx sqrt(x) at 0) without a warning;
    # anomaly mode is the tool that reports them. (NumPy's error state is set through its
    # context variable, as in Op.apply: np.errstate costs more than many small ops.)
    err_token = _np_err.set(_NP_QUIET)
    # VJPs are not autocast (with create_graph they call public ops): they follow the
    # forward's dtypes, as in torch
    amp_token = _amp._state.set(None) if _amp._open else None
    pop, get = buffers.pop, buffers.get  # (bound once: called per node)
    written: dict = {}  # (see _added_into)
    try:
        for node in order:
            g = pop(node, None)  # (see _accumulate: the gradient, or a list of them)
            if g is None:
                if not retain_graph:
                    node._release()
                continue
            if type(node) is AccumulateGrad:
                # ``g`` is the only reference the engine holds (see _accumulate_into_leaf)
                leaf = node.variable
                if leaf._leaf_hooks:
                    g = _run_tensor_hooks(leaf._leaf_hooks, g, graph)
                if capture_at:
                    for k in capture_at.get((node, 0), ()):
                        captured[k] = _to_tensor(g)
                if accumulate and (capture is None or (node, 0) in capture_at):
                    _accumulate_into_leaf(leaf, g, graph)
                leaf = None
                if observers:
                    for obs in observers:
                        obs(node, (g,), None)
                continue
            if type(g) is list:  # a node with several outputs: one gradient (or None) each
                grads = g
                g = grads[0]
            else:
                grads = None
            special = slow or node._special
            if special:
                grads = _before_vjp(
                    node, [g] if grads is None else grads, graph, capture_at, captured
                )
                g = grads[0]
            if g is None and (node._num_outputs == 1 or all(g is None for g in grads)):
                if not retain_graph:  # only non-differentiable outputs were reached
                    node._release()
                continue
            op = node.op
            if op._plain_vjp:  # (``Op._vjp``, inlined: it runs once per node)
                if op.backward_into is not None and not (special or graph):
                    # (a slice's gradient, added into its input's)
                    if _added_into(node, g, get, written):
                        if not retain_graph and node._saved:
                            node._saved = _FREED
                        continue
                node._as_tensors = graph
                grads_in = op.backward(node, g, xp)
                if type(grads_in) is not tuple:
                    grads_in = (grads_in,)
            else:
                grads_in = op._vjp(node, [g] if grads is None else grads, xp)
            if special:
                _after_vjp(node, grads, grads_in, anomaly, observers)
            if not retain_graph and node._saved:
                node._saved = _FREED
            # send each input its gradient; a node used several times sums them (fan-in)
            for edge, g in zip(node.next_edges, grads_in):
                if edge is not None and g is not None:
                    nxt = edge[0]
                    old = get(nxt)
                    if old is None:  # the first gradient to reach nxt: nothing to sum yet
                        if nxt._num_outputs == 1:
                            buffers[nxt] = g
                        else:
                            buffers[nxt] = buf = [None] * nxt._num_outputs
                            buf[edge[1]] = g
                    elif type(old) is list:
                        nr = edge[1]
                        buf_g = old[nr]
                        old[nr] = g if buf_g is None else buf_g + g
                    elif type(old) is np.ndarray and old.size >= _SUM_INTO_MIN:
                        buffers[nxt] = _summed(old, g)
                    else:
                        buffers[nxt] = old + g
            grads_in = grads = g = old = None  # hold no gradient beyond its buffer (_exclusive)
    except Exception:
        if anomaly and getattr(node, "_trace", None):  # name the forward call, as torch does
            warnings.warn(
                "Error detected in " + node.name() + ". Traceback of forward call "
                "that caused the error:\n" + "".join(node._trace),
                UserWarning,
                stacklevel=2,
            )
        raise
    finally:
        _np_err.reset(err_token)
        _grad_enabled.reset(token)
        if amp_token is not None:
            _amp._state.reset(amp_token)
    return captured


def _before_vjp(node, grads, graph, capture_at, captured):
    """The rare per-node work before a VJP: tensor hooks (incl. retain_grad), capturing
    gradients for autograd.grad, node pre-hooks."""
    if node._hooks:
        for nr, hooks in node._hooks.items():
            if grads[nr] is not None:
                grads[nr] = _run_tensor_hooks(hooks, grads[nr], graph)
    if capture_at:
        for nr in range(len(grads)):
            for k in capture_at.get((node, nr), ()):
                captured[k] = _to_tensor(grads[nr]) if grads[nr] is not None else None
    if node._pre_hooks:
        for h in node._pre_hooks:
            new = h(tuple(_to_tensor(g) if g is not None else None for g in grads))
            if new is not None:
                grads = [(_as_array(x) if not graph else x) if x is not None else None for x in new]
    return grads


def _after_vjp(node, grads, grads_in, anomaly, observers):
    """The rare per-node work after a VJP: node post-hooks, anomaly checks, observers
    (autograd.viz), the latter before saved values are freed so they can still read them."""
    if node._post_hooks:
        for h in node._post_hooks:
            h(
                tuple(_to_tensor(g) if g is not None else None for g in grads_in),
                tuple(_to_tensor(g) if g is not None else None for g in grads),
            )
    if anomaly == ANOMALY_CHECK_NAN:
        _check_anomaly(node, grads_in)
    for obs in observers:
        obs(node, grads, grads_in)


def _prune(order, targets):
    """Keep only nodes from which a target node is reachable (autograd.grad skips the rest)."""
    useful = set(targets)
    for node in reversed(order):  # producers before consumers
        if node in useful:
            continue
        for edge in node.next_edges:
            if edge is not None and edge[0] in useful:
                useful.add(node)
                break
    return [n for n in order if n in useful]


def _accumulate(buffers, node, nr, g):
    """Add ``g``, the gradient of ``node``'s output ``nr``, into ``buffers``: a node with one
    output keeps its gradient itself (no list per node: the engine loop's common case),
    one with several a list with one gradient (or None) per output."""
    if node._num_outputs != 1:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._num_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    else:
        old = buffers.get(node)
        buffers[node] = g if old is None else old + g


def _added_into(node, g, get, written) -> bool:
    """Whether ``node``'s VJP (a slice: zeros with ``g`` at its positions) was added straight
    into the gradient its input has already received, as ``node.op.backward_into`` does.
    That skips the zeros array and the fan-in sum, which add the same value to each element
    in the same order (``old + g`` where the slice is, ``old + 0`` elsewhere): ``split``'s
    pieces send one gradient array to their input instead of one each. Only into an
    array no one else can see (a fresh sum or VJP result, like ``_exclusive``).

    ``written`` (one per backward pass) remembers, for each array added into, the positions
    the last addition wrote: the only part of it that may hold a -0.0 afterwards (the
    additions of 0 made the rest +0.0), so the next slice adds its zeros there alone rather
    than over the whole array. (By ``id``, with a weak reference that tells whether it is
    still that array: the memory of a freed one may be reused.)"""
    edge = node.next_edges[0]
    if edge is None:
        return False
    into = get(edge[0])
    if type(into) is list:  # (a buffer may be a list, one gradient per output)
        into = into[edge[1]]
    if not (
        type(into) is np.ndarray
        and into.base is None
        and into.flags.writeable
        and into.dtype == g.dtype
        and _getrefcount(into) <= _INTO_REFS
    ):
        return False
    last = written.get(id(into))
    dirty = last[1] if last is not None and last[0]() is into else ...
    region = node.op.backward_into(node, g, into, dirty)
    if region is None:
        return False
    written[id(into)] = (_weakref(into), region)
    return True


# References to an exclusively owned gradient in ``_added_into``: the buffer (its list, or
# the dict of buffers), the local ``into`` and ``sys.getrefcount``'s argument.
_INTO_REFS = 3


def _summed(old, g):
    """``old + g``, the fan-in sum of a large gradient, written into ``old`` when the engine
    alone holds it (a fresh VJP result or sum: no base, and no reference besides the buffer
    and this call's): the same values without a new array, whose fresh memory the OS would
    have to fault in. Anything else (a gradient that also flows elsewhere, a seed, an array
    a hook or observer keeps) is summed into a new array as before."""
    if (
        type(g) is np.ndarray
        and g.dtype == old.dtype
        and g.shape == old.shape
        and old.base is None
        and old.flags.writeable
        and _getrefcount(old) <= _SUM_REFS
    ):
        return np.add(old, g, out=old)
    return old + g


# Fan-in sums of at least this many elements go through ``_summed`` (smaller ones are
# cheaper to allocate than to check).
_SUM_INTO_MIN = 4096

# References to a gradient only the engine holds when ``_summed`` checks it: the buffer
# dict's, the loop's ``old``, ``_summed``'s parameter and ``sys.getrefcount``'s argument.
_SUM_REFS = 4


def _to_tensor(g):
    return g if isinstance(g, Tensor) else Tensor._make(g)


def _run_tensor_hooks(hooks, g, graph):
    if not hooks:
        return g
    for h in list(hooks):
        t = _to_tensor(g)
        new = h(t)
        if new is not None:
            if not isinstance(new, Tensor):
                raise TypeError(f"hook returned {type(new).__name__}; expected a Tensor or None")
            if new.shape != t.shape:
                raise ShapeError(
                    f"hook '{getattr(h, '__name__', type(h).__name__)}' has changed the size "
                    f"of value (the gradient's shape was {list(t.shape)}, the hook returned "
                    f"{list(new.shape)})"
                )
            g = new if graph else new._data
    return g


def _accumulate_into_leaf(leaf, g, graph=False):
    if graph:
        g = g if isinstance(g, Tensor) else Tensor._make(g)
        # A new .grad is a copy, as torch's: the incoming gradient may be the caller's seed,
        # the same tensor flowing to other leaves, or a read-only broadcast view, and a later
        # backward without create_graph adds into .grad in place.
        leaf._grad = g.clone() if leaf._grad is None else leaf._grad + g
    else:
        grad = leaf._grad
        if (
            grad is not None
            and type(g) is np.ndarray
            and g.dtype is grad._data.dtype
            and g.dtype is leaf._data.dtype
            and not grad._requires_grad
        ):
            # the commonest case (every step after the first): the last branch below, for
            # a gradient that needs no cast (its ufunc call without keywords costs less)
            np.add(grad._data, g, grad._data)
        else:
            arr = np.asarray(g)
            if arr.dtype != leaf._data.dtype:
                arr = arr.astype(leaf._data.dtype)
            if grad is None:
                # .grad is later accumulated into in place, so it must own its memory. Like
                # torch, take over the incoming array when nothing else can see it (a fresh
                # result of a VJP: no base, and no reference besides this call chain's);
                # otherwise copy, since the same array may also be flowing to other inputs
                # in this pass, or be a seed or a saved value somebody else holds.
                if arr is not g or not _exclusive(arr):
                    arr = arr.copy()
                leaf._grad = Tensor._make(arr)
            elif grad._requires_grad:
                leaf._grad = Tensor._make(grad._data + arr)
            else:
                np.add(grad._data, arr, out=grad._data, casting="unsafe")
    if leaf._post_acc_hooks:
        for h in list(leaf._post_acc_hooks):
            h(leaf)


# References to an exclusively owned gradient array when ``_exclusive`` checks it: the
# engine loop's local (in a compiled replay, the plan's variable: steps.acc_leaf),
# ``_accumulate_into_leaf``'s ``g`` and ``arr``, ``_exclusive``'s parameter and
# ``sys.getrefcount``'s own argument. (tests/test_engine.py pins this down: a stolen gradient
# keeps its identity, a shared one is copied.)
_OWNED_REFS = 5


def _exclusive(arr) -> bool:
    """True if ``arr`` may become a leaf's ``.grad`` without a copy."""
    return (
        arr.base is None
        and arr.flags.writeable
        and arr.flags.c_contiguous
        and _getrefcount(arr) <= _OWNED_REFS
    )


def _check_anomaly(node, grads_in):
    for i, g in enumerate(grads_in):
        if g is None:
            continue
        arr = _as_array(g)
        # only nan, as in torch: an inf gradient (1/x at 0, an overflow) can be a correct
        # result, and a later step (clipping, a GradScaler) may deal with it
        if arr.dtype.kind in FLOAT_KINDS and np.isnan(arr).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
