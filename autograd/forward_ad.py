"""Forward-mode automatic differentiation, as ``torch.autograd.forward_ad``.

Reverse mode (``backward``) gives the gradient of one output with respect to every input, one
pass per output. Forward mode gives the derivative of every output along one input direction
(a Jacobian-vector product, JVP), in the same pass as the forward computation: each tensor
carries a *tangent*, the derivative of its value along that direction, and every op computes
its output's tangent from its inputs' tangents while it computes its value.

    >>> import autograd
    >>> import autograd.forward_ad as fwAD
    >>> x = autograd.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     dual = fwAD.make_dual(x, autograd.tensor([1.0, 0.0]))   # direction: d/dx[0]
    ...     y = (dual ** 2).sum()
    ...     fwAD.unpack_dual(y).tangent
    tensor(2.)

How an op gets its tangent (``apply_dual``, called by ``Op.apply`` when an input carries a
tangent of the open level):

* its ``jvp(ctx, tangents, xp)`` rule, written against ``xp`` like its backward: NumPy arrays
  when nothing needs a graph, Tensors (recorded, so the tangent can be differentiated again:
  reverse-over-forward) when grad mode is on and an input or a tangent requires grad. Four
  shared rules cover most ops: ``elementwise_jvp`` (the op's own VJP, called with a tangent:
  for an elementwise op the VJP and the JVP are the same products), ``linear_jvp`` (the op
  applied to the tangents: views, reshapes, sums, cat, indexing), ``multilinear_jvp``
  (one term per input: products such as mul and matmul) and ``reduction_jvp`` (the
  reduction's weights, from its VJP, times the tangent, summed);
* otherwise the VJP differentiated once more (the "double-backward trick": the JVP ``J t``
  is the gradient of ``<VJP(u), t>`` with respect to ``u``), which works for every op whose
  backward is itself differentiable, at the cost of two backward passes; for the others
  torch's "Trying to use forward AD with <op> that does not support it" names the op.

As in torch there is one level at a time, ``no_grad`` does not stop forward AD, tangents
leave with their level (``unpack_dual`` then gives None), ``detach()`` drops the tangent,
and a custom ``Function`` needs a ``jvp`` staticmethod.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np

from . import function as _function
from .dtypes import FLOAT_KINDS
from .function import _NO_RECORD, _NP_QUIET, MultiOutputOp, Node, _np_err
from .grad_mode import _grad_enabled, enable_grad
from .tensor import Tensor

__all__ = [
    "dual_level",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
    "UnpackedDualTensor",
]


# The ops whose tangents came from the double-backward trick (no JVP rule of their own), by
# class name: tests/test_forward_ad.py checks that only the ones it lists do.
double_backward_ops: set = set()


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal value and its tangent (None if it has none)."""

    primal: Tensor
    tangent: Tensor | None


class _Level:
    """One entered dual level: the token stored with every tangent made while it is open, and
    weak references to those tensors (their tangents are dropped when it closes)."""

    __slots__ = ("duals", "limit")

    def __init__(self):
        self.duals: list = []
        self.limit = 1024  # (a long loop inside one level: dead references are pruned)


# ---- levels ----------------------------------------------------------------------------------
def enter_dual_level() -> int:
    """Open a dual level (returns its number, 0: torch supports one at a time); prefer
    ``with dual_level():``, which closes it even on an error.

    Example:
        >>> import autograd.forward_ad as fwAD
        >>> fwAD.enter_dual_level()
        0
        >>> fwAD.exit_dual_level()
    """
    if _function._fw_level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    if _function._tracer is not None:  # (autograd.compile records ops, not their tangents)
        _function._tracer.unsupported("forward-mode AD (autograd.forward_ad.dual_level)")
    _function._fw_level = _Level()
    return 0


def exit_dual_level(*, level=None) -> None:
    """Close the open dual level: every tangent made in it is dropped.

    Example:
        >>> import autograd.forward_ad as fwAD
        >>> _ = fwAD.enter_dual_level()
        >>> x = fwAD.make_dual(autograd.tensor([1.0]), autograd.tensor([1.0]))
        >>> fwAD.exit_dual_level()
        >>> fwAD.unpack_dual(x).tangent is None
        True
    """
    current = _function._fw_level
    if current is None:
        raise RuntimeError("Dual level must be a positive number.")
    if level is not None and level != 0:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was "
            "created. This is not supported."
        )
    _function._fw_level = None
    for ref in current.duals:
        t = ref()
        if t is not None and t._fw is not None and t._fw[0] is current:
            del t._fw
    current.duals.clear()


class dual_level:
    """Context manager (and decorator) for forward AD: tangents live inside it, and are
    dropped when it closes.

    Example:
        >>> import autograd.forward_ad as fwAD
        >>> x, v = autograd.tensor([0.0, 1.0]), autograd.tensor([1.0, 1.0])
        >>> with fwAD.dual_level():
        ...     y = fwAD.make_dual(x, v).sin()
        ...     fwAD.unpack_dual(y).tangent          # cos(x) * v
        tensor([1.0000, 0.5403])
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)

        return wrapper


def _check_level(level, fn_name):
    if level is not None and level != 0:
        raise RuntimeError(f"Invalid level given to {fn_name}")


def _tangent(t: Tensor, level=None):
    """``t``'s tangent at the open level, or None."""
    level = _function._fw_level if level is None else level
    fw = t._fw
    return fw[1] if fw is not None and level is not None and fw[0] is level else None


def _attach(out: Tensor, tangent, level) -> None:
    out._fw = (level, tangent)
    duals = level.duals
    duals.append(weakref.ref(out))
    if len(duals) > level.limit:
        duals[:] = [r for r in duals if r() is not None]
        level.limit = max(1024, 2 * len(duals))


class _Suspended:
    """Forward AD off for the ops run inside (a primal computation, a JVP rule)."""

    def __enter__(self):
        self.level = _function._fw_level
        _function._fw_level = None
        return self.level

    def __exit__(self, *exc):
        _function._fw_level = self.level
        return False


# ---- making and reading dual tensors ---------------------------------------------------------
def make_dual(tensor: Tensor, tangent: Tensor, *, level=None) -> Tensor:
    """A view of ``tensor`` carrying ``tangent`` (same shape; both floating point) as its
    derivative along the direction of interest. Inside ``dual_level()`` only.

    Example:
        >>> with autograd.forward_ad.dual_level():
        ...     d = autograd.forward_ad.make_dual(autograd.tensor([2.0]), autograd.tensor([1.0]))
        ...     autograd.forward_ad.unpack_dual(d * d).tangent
        tensor([4.])
    """
    current = _function._fw_level
    if current is None:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, "
            "make sure to enter_dual_level() first."
        )
    _check_level(level, "_make_dual")
    for what, t in (("primal", tensor), ("tangent", tangent)):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"make_dual(): argument '{what}' must be Tensor, not {type(t).__name__}"
            )
        if t._data.dtype.kind not in FLOAT_KINDS:
            raise ValueError(f"Expected {what} to be floating point or complex, but got: {t.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that "
            "of the original Tensor, this is not supported. Tensor is of size "
            f"{list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}."
        )
    if _tangent(tensor) is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward "
            "gradient at the same level 0 is not supported."
        )
    dual = _alias(tensor)
    _attach(dual, tangent, current)
    return dual


def unpack_dual(tensor: Tensor, *, level=None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor: a view of its value without the tangent, and
    the tangent (None for a tensor without one, or outside ``dual_level()``).

    Example:
        >>> import autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     y = fwAD.make_dual(autograd.tensor([3.0]), autograd.tensor([1.0])).exp()
        ...     p, t = fwAD.unpack_dual(y)    # or by name: .primal, .tangent
        ...     bool(autograd.allclose(p, t))
        True
    """
    _check_level(level, "_fw_primal")
    tangent = _tangent(tensor) if isinstance(tensor, Tensor) else None
    if tangent is None:  # (torch passes anything else through: ``(3, None)``)
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_alias(tensor), tangent)


def _alias(t: Tensor) -> Tensor:
    """A new tensor that is a view of all of ``t`` (gradients and in-place writes go through
    to ``t``), without ``t``'s tangent. (``view`` to the same shape would return ``t`` itself.)"""
    from .ops.indexing import _view_of
    from .ops.movement import Reshape

    with _Suspended():
        return _view_of(Reshape.apply(t, shape=t._data.shape), t, Reshape, t._data.shape)


# ---- the shared JVP rules ----------------------------------------------------------------------
def sum_terms(terms):
    """The sum of the terms that are not None (None if all are): a JVP's one term per input
    with a tangent."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total


def elementwise_jvp(ctx, tangents, xp):
    """For an elementwise op (each output element depends on the same element of each input,
    shapes equal after broadcasting): the VJP computes ``g * df/dx_i``, so called with the
    tangent ``t_i`` in place of ``g`` it gives the i-th term of the JVP."""
    op, terms = ctx.op, []
    for i, t in enumerate(tangents):
        if t is None:
            continue
        ctx.needs_input_grad = tuple(j == i for j in range(len(tangents)))
        grads = op.backward(ctx, t, xp)
        terms.append(grads[i] if isinstance(grads, tuple) else grads)
    return sum_terms(terms)


def apply_op(ctx, args, xp):
    """The op itself on ``args`` (with the forward's parameters): recorded on Tensors, or on
    arrays."""
    if xp.graph:
        return ctx.op.apply(*args, **ctx.params)
    out = ctx.op.forward(_NO_RECORD, *args, **ctx.params)
    return out if type(out) is np.ndarray else np.asarray(out)


def linear_jvp(ctx, tangents, xp):
    """For an op linear in all its inputs together (views, reshapes, sums, cat, index_put):
    the op applied to the tangents, zeros standing for missing ones."""
    args = [
        p if p is None else (t if t is not None else xp.zeros_like(p))
        for p, t in zip(ctx.primals, tangents)
    ]
    return apply_op(ctx, args, xp)


def multilinear_jvp(ctx, tangents, xp):
    """For an op linear in each input separately (mul, matmul, einsum): one term per input
    with a tangent, the op with that input replaced by its tangent."""
    terms = []
    for i, t in enumerate(tangents):
        if t is not None:
            args = list(ctx.primals)
            args[i] = t
            terms.append(apply_op(ctx, args, xp))
    return sum_terms(terms)


def reduction_jvp(ctx, tangents, xp):
    """For a reduction over ``ctx.dims`` whose VJP is ``g`` spread back times weights
    ``d out / d x`` (sum, mean, prod, var, std, norm, logsumexp, amax, median ...): the
    weights are the VJP of ones, and the JVP sums them times the tangent over the same dims."""
    (t,) = tangents
    ones = xp.ones_like(ctx.output)
    ctx.needs_input_grad = (True,)
    weights = ctx.op.backward(ctx, ones, xp)
    return xp.sum(weights * t, ctx.dims, ctx.keepdim)


# ---- running an op on dual tensors -------------------------------------------------------------
def apply_dual(cls, inputs, params):
    """``cls.apply(*inputs, **params)`` for inputs carrying tangents: the output, with its
    tangent attached (see the module docstring)."""
    level = _function._fw_level
    tangents = tuple(None if t is None else _tangent(t, level) for t in inputs)
    with _Suspended():
        if not cls.differentiable:
            return cls.apply(*inputs, **params)
        graph = _grad_enabled.get() and any(
            t is not None and t._requires_grad for t in inputs + tangents
        )
        low = _function._LOW_PRECISION and _function._has_bfloat16(inputs)
        if cls.jvp is None or issubclass(cls, MultiOutputOp) or low:
            double_backward_ops.add(cls.__name__)
            out = cls.apply(*inputs, **params)
            out_tangents = _jvp_by_double_backward(cls, inputs, params, tangents, out, graph)
            if low:  # (derivatives flow in float32: rounded like the op's bfloat16 output)
                out_tangents = tuple(
                    t.to(o.dtype) if isinstance(t, Tensor) and t.dtype != o.dtype else t
                    for o, t in zip(out if isinstance(out, tuple) else (out,), out_tangents)
                )
        else:
            out, ctx, edges = _forward(cls, inputs, params, tangents)
            try:
                out_tangents = (_run_rule(cls, ctx, inputs, params, tangents, out, graph),)
            finally:
                ctx.needs_input_grad = tuple(e is not None for e in edges)
    for o, t in zip(out if isinstance(out, tuple) else (out,), out_tangents):
        if isinstance(o, Tensor) and o._data.dtype.kind in FLOAT_KINDS:
            if t is None:
                t = np.zeros_like(o._data)
            _attach(o, t if isinstance(t, Tensor) else Tensor._make(np.asarray(t)), level)
    return out


def _forward(cls, inputs, params, tangents):
    """Op.apply's forward, keeping the ctx whatever is recorded (the JVP rule reads it); its
    ``needs_input_grad`` also marks the inputs with a tangent, so the forward saves what the
    derivative needs. Returns (output, ctx, the graph edges)."""
    record = cls.differentiable and _grad_enabled.get()
    ctx = Node(cls, inputs if record else [None] * len(inputs))
    edges = ctx.next_edges
    record = any(e is not None for e in edges)
    ctx.needs_input_grad = tuple(e is not None or t is not None for e, t in zip(edges, tangents))
    token = _np_err.set(_NP_QUIET)
    try:
        raw = cls.forward(ctx, *[None if t is None else t._data for t in inputs], **params)
    finally:
        _np_err.reset(token)
    arr = raw if type(raw) is np.ndarray else np.asarray(raw)
    out = Tensor._from_node(arr, ctx, 0, None) if record else Tensor._make(arr)
    if ctx._saved:
        ctx._resolve_saved1(inputs, arr, raw, out._version_cell)
    if record:
        ctx._out_ref = weakref.ref(out)
        ctx._out_meta = (arr.shape, arr.dtype)
    return out, ctx, edges


def _run_rule(cls, ctx, inputs, params, tangents, out, graph):
    from .ops import xp as _xp

    xp = _xp.TENSOR if graph else _xp.NUMPY
    ctx._as_tensors = graph
    ctx.primals = tuple(inputs) if graph else tuple(None if t is None else t._data for t in inputs)
    ctx.params = params
    ctx.output = out if graph else out._data
    if not graph:
        tangents = tuple(None if t is None else t._data for t in tangents)
    try:
        with _np_quiet():
            return cls.jvp(ctx, tangents, xp)
    finally:
        ctx._as_tensors = False
        del ctx.primals, ctx.params, ctx.output


class _np_quiet:
    """NumPy's floating-point warnings off, as in Op.apply and the engine."""

    def __enter__(self):
        self.token = _np_err.set(_NP_QUIET)

    def __exit__(self, *exc):
        _np_err.reset(self.token)
        return False


def _jvp_by_double_backward(cls, inputs, params, tangents, out, graph):
    """The tangents of ``out = cls(inputs)`` for an op without a JVP rule: the VJP
    ``u -> J^T u`` is linear in ``u``, so ``J t`` is the gradient of ``<J^T u, t>`` with
    respect to ``u`` (any ``u``: zeros). Differentiable again when ``graph`` (the inputs that
    require grad stay connected)."""
    from . import engine

    outs = out if isinstance(out, tuple) else (out,)
    with enable_grad():
        xs = []
        for t, tan in zip(inputs, tangents):
            if t is None or tan is None or (graph and t._requires_grad):
                xs.append(t)
            else:
                xs.append(Tensor._make(t._data).requires_grad_())
        ys = cls.apply(*xs, **params)
        ys = ys if isinstance(ys, tuple) else (ys,)
        wrt = [x for x, tan in zip(xs, tangents) if tan is not None]
        tans = [tan for tan in tangents if tan is not None]
        used = [
            k
            for k, y in enumerate(ys)
            if isinstance(y, Tensor) and y.requires_grad and y._data.dtype.kind in FLOAT_KINDS
        ]
        if not used or not wrt:
            return (None,) * len(outs)
        us = [Tensor._make(np.zeros_like(ys[k]._data)).requires_grad_() for k in used]
        try:
            gs = engine.grad([ys[k] for k in used], wrt, us, create_graph=True, allow_unused=True)
            s = sum_terms([(g * tan).sum() for g, tan in zip(gs, tans) if g is not None])
            if s is None or not s.requires_grad:
                return (None,) * len(outs)
            jvps = engine.grad(s, us, create_graph=graph, allow_unused=True)
        except RuntimeError as e:  # a backward that is not differentiable again
            raise RuntimeError(
                f"Trying to use forward AD with {cls.__name__} that does not "
                "support it: it has no JVP rule, and its backward cannot be "
                f"differentiated again ({e})"
            ) from e
    result = [None] * len(outs)
    for k, j in zip(used, jvps):
        result[k] = None if j is None else (j if graph else j.detach())
    return tuple(result)


# ---- custom Functions --------------------------------------------------------------------------
class _SavedForForward:
    """The ctx a ``Function.jvp`` sees: the forward's ctx, with ``saved_tensors`` holding what
    ``ctx.save_for_forward`` kept."""

    def __init__(self, ctx):
        object.__setattr__(self, "_ctx", ctx)

    @property
    def saved_tensors(self):
        return self._ctx.__dict__.get("_forward_saved", ())

    def __getattr__(self, name):
        return getattr(self._ctx, name)

    def __setattr__(self, name, value):
        setattr(self._ctx, name, value)


def function_jvp(fn_cls, ctx, args, outputs):
    """Tangents of a custom ``Function``'s outputs from its ``jvp`` staticmethod (torch's
    error if it has none); attached to ``outputs`` (one tensor or a tuple)."""
    from .custom_function import Function

    level = _function._fw_level
    tangents = [_tangent(a, level) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return
    if fn_cls.jvp is Function.jvp:
        raise NotImplementedError(
            "You must implement the jvp function for custom "
            "autograd.Function to use it with forward mode AD."
        )
    with _Suspended():
        result = fn_cls.jvp(
            _SavedForForward(ctx),
            *[
                t
                if t is not None
                else (Tensor._make(np.zeros_like(a._data)) if isinstance(a, Tensor) else None)
                for a, t in zip(args, tangents)
            ],
        )
    outs = outputs if isinstance(outputs, tuple) else (outputs,)
    res = result if isinstance(result, tuple) else (result,)
    for o, t in zip(outs, res):
        if isinstance(o, Tensor) and o._data.dtype.kind in FLOAT_KINDS and t is not None:
            _attach(o, t, level)
