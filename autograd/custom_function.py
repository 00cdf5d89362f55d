"""User-defined ops: ``autograd.Function``, as ``torch.autograd.Function``.

A ``Function`` subclass gives ``forward(ctx, ...)`` and ``backward(ctx, *grads)`` written with
tensor operations. ``apply`` runs the forward without recording, then records ONE node whose
backward calls the user's ``backward`` (through ``_FunctionOp``, an adapter that looks like an
``Op`` to the engine). Built-in ops are ``Op`` subclasses instead (function.py).
"""

from __future__ import annotations

import weakref

import numpy as np

from . import function as _f  # its _tracer / _fw_level are switched at run time: read them there
from .function import Node
from .grad_mode import _grad_enabled, no_grad
from .tensor import Tensor


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls.grad_fn_name = name + "Backward"


class Function(metaclass=_FunctionMeta):
    """Define a custom op with its own backward, exactly like ``torch.autograd.Function``.

    Example:
        >>> import autograd
        >>> class Square(autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad
        >>> x = autograd.tensor(3.0, requires_grad=True)
        >>> Square.apply(x).backward(); x.grad
        tensor(6.)
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for "
            "your custom autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        """Forward mode: the outputs' tangents from the inputs' (``ctx.save_for_forward``
        keeps tensors for it, read back as ``ctx.saved_tensors``)."""
        raise NotImplementedError(
            "You must implement the jvp function for custom "
            "autograd.Function to use it with forward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        if _f._tracer is not None:  # autograd.compile cannot replay a Function's Python backward
            _f._tracer.unsupported(f"autograd.Function {cls.__name__}")
        tensor_args = [a if isinstance(a, Tensor) else None for a in args]
        if _f._fw_level is not None and _f._has_tangent(tensor_args):
            return _function_dual(cls, args, kwargs)
        record = _grad_enabled.get() and any(
            t is not None and t._requires_grad for t in tensor_args
        )
        ctx = Node(_FunctionOp(cls), tensor_args) if record else _FunctionCtx()
        if record:
            ctx._as_tensors = True
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        return cls._record(ctx, args, tensor_args, outputs, record)

    @classmethod
    def _record(cls, ctx, args, tensor_args, outputs, record):
        """The outputs of the forward, recorded on ``ctx`` when ``record``."""
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not record:
            return outputs
        non_diff = ctx._non_diff or ()
        results = []
        out_arrays, cells = [], []
        for k, o in enumerate(outs):
            if isinstance(o, Tensor):
                if id(o) in non_diff:
                    r = Tensor._make(o._data)
                else:
                    r = Tensor._from_node(o._data, ctx, k, None)
                results.append(r)
                out_arrays.append(o._data)
                cells.append(r._version_cell)
            else:
                results.append(o)
                out_arrays.append(None)
                cells.append(None)
        ctx._num_outputs = len(outs)
        # saved values may be the forward's output tensors: match them by their arrays
        ctx._saved = tuple(
            s._data
            if isinstance(s, Tensor) and any(s._data is a for a in out_arrays if a is not None)
            else s
            for s in ctx._saved
        )
        ctx._resolve_saved(tensor_args, tuple(out_arrays), tuple(cells))
        ctx._out_meta = tuple((a.shape, a.dtype) if a is not None else None for a in out_arrays)
        ctx._in_shapes = tuple(t._data.shape if t is not None else None for t in tensor_args)
        first = next((r for r in results if isinstance(r, Tensor) and r.grad_fn is ctx), None)
        ctx._out_ref = weakref.ref(first) if first is not None else None
        return results[0] if single else tuple(results)


def _function_dual(cls, args, kwargs):
    """``Function.apply`` on inputs with tangents: the forward without forward AD (the
    tangents come from the Function's ``jvp``), then the tangents (forward_ad.py)."""
    from .forward_ad import _Suspended, function_jvp

    tensor_args = [a if isinstance(a, Tensor) else None for a in args]
    record = _grad_enabled.get() and any(t is not None and t._requires_grad for t in tensor_args)
    ctx = Node(_FunctionOp(cls), tensor_args) if record else _FunctionCtx()
    if record:
        ctx._as_tensors = True
    with _Suspended(), no_grad():
        outputs = cls.forward(ctx, *args, **kwargs)
    if not record:  # an input returned as it is gets its own tensor: the tangent is new

        def fresh(o):
            return Tensor._make(o._data) if any(o is a for a in args) else o

        outputs = tuple(map(fresh, outputs)) if isinstance(outputs, tuple) else fresh(outputs)
    outputs = cls._record(ctx, args, tensor_args, outputs, record)
    function_jvp(cls, ctx, args, outputs)
    return outputs


class _FunctionCtx:
    """ctx for a Function run without recording: keeps attributes, saves nothing."""

    needs_input_grad = ()

    def save_for_backward(self, *values):
        self.saved_tensors = values

    def save_for_forward(self, *values):
        self._forward_saved = values

    def mark_non_differentiable(self, *outputs):
        pass

    def set_materialize_grads(self, value):
        pass


class _FunctionOp:
    """Adapter so the engine can run a user ``Function``'s backward like an ``Op``."""

    __slots__ = ("cls", "grad_fn_name")
    _plain_vjp = False  # (the engine calls ``_vjp``: see function.Op)

    def __init__(self, cls):
        self.cls = cls
        self.grad_fn_name = cls.grad_fn_name

    def _vjp(self, node, grads, xp):
        as_t = [g if (g is None or isinstance(g, Tensor)) else Tensor._make(g) for g in grads]
        if node._materialize:
            for k, g in enumerate(as_t):
                if g is None and node._out_meta[k] is not None:
                    shape, dt = node._out_meta[k]
                    as_t[k] = Tensor._make(np.zeros(shape, dt))
        node._as_tensors = True
        if xp.graph:
            res = self.cls.backward(node, *as_t)
        else:
            with no_grad():
                res = self.cls.backward(node, *as_t)
        if not isinstance(res, tuple):
            res = (res,)
        n_in = len(node.next_edges)
        if len(res) < n_in or any(r is not None for r in res[n_in:]):  # (extra Nones are fine)
            raise RuntimeError(
                f"function {self.grad_fn_name} returned an incorrect number of "
                f"gradients (expected {n_in}, got {len(res)})"
            )
        res = tuple(self._checked(node, k, r) for k, r in enumerate(res[:n_in]))
        if not xp.graph:
            res = tuple(r._data if isinstance(r, Tensor) else r for r in res)
        return res

    def _checked(self, node, k, grad):
        """The gradient for input ``k`` as torch validates it: a tensor (not a NumPy
        array) or None; one of a broadcast shape is summed down to the input's shape; another
        shape is an error (it would have become the input's ``.grad`` as it was)."""
        if grad is None or node.next_edges[k] is None:  # (no gradient flows to that input)
            return grad
        if not isinstance(grad, Tensor):  # (a NumPy array too, as in torch)
            kind = type(grad)
            name = (
                kind.__name__
                if kind.__module__ == "builtins"
                else kind.__module__ + "." + kind.__name__
            )
            raise RuntimeError(f"expected Variable or None (got {name})")  # (torch)
        shape = node._in_shapes[k]
        if tuple(grad.shape) == shape:
            return grad
        try:
            if np.broadcast_shapes(shape, tuple(grad.shape)) == tuple(grad.shape):
                return grad.sum_to_size(shape)
        except ValueError:
            pass
        raise RuntimeError(
            f"Function {self.grad_fn_name} returned an invalid gradient at index {k} - got "
            f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
        )
