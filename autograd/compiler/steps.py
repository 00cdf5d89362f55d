"""The pieces a plan's builder and its generated source share.

The replayed source (plan.py) calls ``Ctx``, ``scalar_out``, ``acc`` and ``acc_leaf``: the
ctx a step's forward and VJP share, and the engine's rules for summing gradients and for
putting one into a leaf's ``.grad``. The builder (plan.py, plan_backward.py) uses the rest:
view steps written inline, the ``Box`` records that ``autograd.viz.draw`` shows, and
``Unsupported``, raised when a trace needs something the plan does not model.
"""

from __future__ import annotations

import numpy as np

from .. import dispatch as _dispatch
from ..engine import _accumulate_into_leaf
from ..ops.indexing import GetItem, _is_basic
from ..ops.linalg import _gemm
from ..ops.movement import PERMUTES, Expand, Reshape, _sum_to_shape
from ..ops.normalization import LayerNorm
from ..ops import xp as _xp


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


# A gradient reaching leaf tensor ``leaf`` goes into ``.grad`` by the engine's own function,
# called as the engine calls it (``acc_leaf(leaf, g)``: a new ``.grad`` takes over a fresh
# array nothing else holds and copies anything else, such as a kept buffer of a fused kernel
# or an array sent to several inputs; an existing ``.grad`` is added to in place). The plan's
# variable stands where the engine loop's local does, so ``_exclusive`` counts the same
# references. (A traced leaf has no hooks: the tracer refuses them.)
acc_leaf = _accumulate_into_leaf


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_reduce_kernels: list = []  # autograd.kernels.reduce, once a replay has needed it
_scatter_kernels: list = []  # autograd.kernels.scatter, once a plan has needed it


def bias_gelu(ctx, x, b, h):
    """A bias add and the exact GELU after it, ``gelu(x + b)`` for float32 ``x`` (..., n)
    and ``b`` (n,), in one kernel (``activation.bias_gelu_erf_fwd_grad``) that writes the
    sum into ``h`` and returns the GELU; ``ctx`` (the GELU step's) is filled as
    ``Gelu.forward`` fills it when its backward will run: the input ``h`` saved, the
    derivative in ``ctx.dydx`` (autograd/ops/activation.py). The values are those of the
    plan's bias-add kernel followed by ``Gelu.forward``, bit for bit."""
    if not _activation_kernels:
        _activation_kernels.append(_dispatch._load("activation"))
    n = b.shape[0]
    x = x if x.flags.c_contiguous else np.ascontiguousarray(x)
    y, dydx = np.empty(h.shape, h.dtype), np.empty(h.shape, h.dtype)
    _activation_kernels[0].bias_gelu_erf_fwd_grad(
        x.reshape(-1, n), b, h.reshape(-1, n), y.reshape(-1, n), dydx.reshape(-1, n)
    )
    ctx.approximate = "none"
    ctx.save_for_backward(h)
    ctx.dydx = dydx
    return y


def gelu_bias_grad(ctx, g, n):
    """The VJPs of ``bias_gelu``'s GELU, bias add and bias broadcast in one kernel call
    (``activation.gelu_bias_grad_rows``), for a C-contiguous float32 ``g`` and a ctx that
    still holds the derivative: ``(g * dydx, its rows summed)``, the gradients of the bias
    add's input and of the (n,) bias, as ``Gelu.backward`` (which releases ``ctx.dydx``) and
    ``sum_rows`` compute them, bit for bit."""
    if not _activation_kernels:
        _activation_kernels.append(_dispatch._load("activation"))
    dydx = ctx.dydx
    ctx.dydx = None  # (released once used, as Gelu.backward does)
    out = np.empty(dydx.shape, dydx.dtype)
    db = np.zeros(n, dydx.dtype)
    _activation_kernels[0].gelu_bias_grad_rows(
        g.reshape(-1, n), dydx.reshape(-1, n), out.reshape(-1, n), db
    )
    return out, db


def layer_norm_grad(ctx, g, base):
    """``LayerNorm``'s VJP whose input gradient meets ``base``, the gradient the input already
    has from another path (a pre-norm block's residual stream): ``acc(base, dx)`` and the
    weight and bias gradients. On the numba backend, for float arrays of one shape and dtype
    and one normalized dim, one kernel call writes ``base + dx`` (``norm.layer_norm_backward``
    with ``base``: the same bits as the VJP and then that sum); anything else takes
    ``LayerNorm.backward`` and ``acc``."""
    x, weight, mean, rstd = ctx._saved
    if (
        base is not None
        and base.shape == x.shape == g.shape
        and base.dtype == x.dtype == g.dtype
        and base.flags.c_contiguous
        and ctx.n
        and len(ctx.red) == 1
        and _dispatch._trace_hook is None  # (while tracing, kernels are handed out watched)
    ):
        K = _dispatch.kernels("norm", x, weight, g)
        if K is not None:
            dx, dw, db = K.layer_norm_backward(x, g, ctx.n, weight, mean, rstd, base)
            _, need_w, need_b = ctx.needs_input_grad
            return dx, dw if need_w else None, db if need_b else None
    r = LayerNorm.backward(ctx, g, _xp.NUMPY)
    return (acc(base, r[0]),) + tuple(r[1:])


_activation_kernels: list = []  # autograd.kernels.activation, once a plan has needed it


def add_at(target, idx, g):
    """``target[idx] += g``, for a slice's gradient ``g`` that arrives in the shape of a
    reshape of the slice (the plan skips the reshape's VJP, see
    ``BackwardSteps._reshaped_slices``): the part ``target[idx]`` is viewed in ``g``'s shape
    and ``g`` added into that view, with the same additions (one per element) as
    ``target[idx] += g.reshape(part shape)``. On the numba backend 4-d float views, such as
    attention's heads ``q.view(B, T, H, D).transpose(1, 2)``, are added by a kernel; where
    the part cannot be viewed in ``g``'s shape, ``g`` is reshaped (copied) instead."""
    part = target[idx]
    view = part.reshape(g.shape)
    if not np.may_share_memory(view, part):  # (a copy: the part's strides allow no view)
        part += g.reshape(part.shape)
        return
    if (
        g.ndim == 4
        and g.dtype in _FLOATS
        and _dispatch.enabled()
        and _dispatch._trace_hook is None  # (while tracing, kernels are handed out watched)
    ):
        if not _scatter_kernels:
            _scatter_kernels.append(_dispatch._load("scatter"))
        _scatter_kernels[0].add_into(view, g)
    else:
        view += g


def mm_right_grad(a, g, b):
    """The gradient of ``b`` in the product of matrices ``a @ b`` from the product's
    gradient ``g``: ``linalg._grad_of_right_matrix`` on 2-d float arrays, the same products
    in the same layouts (``(g^T @ a)^T`` for a column-major ``b``, such as a transposed
    weight, else ``a^T @ g``), without the ``xp`` calls around them."""
    if b.flags.f_contiguous and not b.flags.c_contiguous:
        return _gemm(g.T, a).T
    return _gemm(a.T, g)


def mm_right_grad_t(a, g, b):
    """``mm_right_grad(a, g, b).T`` as an array of its own where ``mm_right_grad`` makes a
    transposed one: ``g^T @ a`` for a column-major ``b`` (the same product, not transposed
    back), else the transpose of ``a^T @ g``."""
    if b.flags.f_contiguous and not b.flags.c_contiguous:
        return _gemm(g.T, a)
    return _gemm(a.T, g).T


def sum_rows(g, n):
    """``sum_to(g, (n,))`` for a gradient ``g`` of shape (..., n) (an expanded bias's VJP):
    on the numba backend, a C-contiguous float ``g`` goes straight to the leading-axes sum
    kernel (``sum_leading``: NumPy's additions in NumPy's order, so the same bits as the
    NumPy sum ``_sum_to_shape`` makes of a small gradient), at any size: called directly,
    without choosing a path on every replay, it costs less than NumPy's own call. Anything
    else goes through ``sum_to`` itself."""
    if (
        g.flags.c_contiguous
        and g.dtype in _FLOATS
        and g.size
        and _dispatch.enabled()
        and _dispatch._trace_hook is None  # (while tracing, kernels are handed out watched)
    ):
        if not _reduce_kernels:
            _reduce_kernels.append(_dispatch._load("reduce"))
        out = _reduce_kernels[0].sum_leading(g.reshape(-1, n))
        if out is not None:
            return out
    return _sum_to_shape(g, (n,))


def _inline_view(op, step):
    """(forward, VJP) of a view step written out as one expression each on the array (``{}``
    stands for it), or None: ``Reshape`` and ``Permute`` replay as ``x.reshape(shape)`` and
    ``x.transpose(dims)``, ``Expand`` as the broadcast view, their VJPs as the inverse
    movement (the sum back to the input's shape for ``Expand``): what the ops' own
    ``forward``/``backward`` compute, without a ctx and two calls per step. (The shapes and
    dims are constants of the trace: the guards fix the input shapes.)"""
    if op is Expand:
        shape, in_shape = step.params["shape"], step.ins[0].shape
        if len(in_shape) == 1 and len(shape) > 1 and shape[-1] == in_shape[0]:  # (a bias)
            return f"broadcast_view({{}}, {shape!r})", f"sum_rows({{}}, {in_shape[0]})"
        return f"broadcast_view({{}}, {shape!r})", f"sum_to({{}}, {in_shape!r})"
    if op is Reshape:
        return f"{{}}.reshape({step.params['shape']!r})", f"{{}}.reshape({step.ins[0].shape!r})"
    if op in PERMUTES:
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


_attention_kernels: list = []  # autograd.kernels.attention, once a plan has needed it


def masked_softmax(ctx, x, scale, mask, fill):
    """Attention's ``(x * scale).masked_fill(mask, fill).softmax(-1)`` in one kernel
    (``attention.masked_softmax``) for scores ``x`` (..., Q, C), a (Q, C) boolean ``mask``
    and 0-d ``scale`` and ``fill``; ``ctx`` (the softmax step's) is filled as
    ``Softmax.forward`` fills it: the output saved, ``dim`` and ``log``. The values are those
    of the plan's ``Mul+Where`` kernel followed by ``Softmax.forward``, bit for bit."""
    if not _attention_kernels:
        _attention_kernels.append(_dispatch._load("attention"))
    y = _attention_kernels[0].masked_softmax(x, scale, mask, fill)
    ctx.dim, ctx.log = x.ndim - 1, False
    ctx.save_for_backward(y)
    return y


def masked_softmax_grad(ctx, g, mask, scale):
    """The VJPs of ``masked_softmax``'s three steps in one kernel: the softmax's (from the
    output ``ctx`` saved), then the mask's and the scaling's, the gradient of the scores."""
    (y,) = ctx.saved_tensors
    return _attention_kernels[0].masked_softmax_backward(y, g, mask, scale)
