"""In-place operations (``add_``, ``mul_``, ``x[i] = v``, ``fill_`` ...).

Random fills (``uniform_``, ``normal_`` ...) are in sampling.py.

Every in-place op is "the out-of-place op, written back into this tensor's memory":

* with nothing to record (grad mode off, or no tensor involved requires grad) the result
  is simply copied into the existing array, so views and ``from_numpy`` arrays see it;
* otherwise the op is recorded on a copy of the old value and the tensor takes over the
  result's ``grad_fn``, so gradients flow through the in-place update as through the
  out-of-place one.

Either way the tensor's version counter is bumped, so a backward pass that saved the old
value refuses to run (PyTorch's "modified by an inplace operation" error) instead of
silently using the new value.

Views (PyTorch's CopySlices). Writing into a view ``v`` of ``base`` changes ``base`` too,
so ``base``'s history must change with it: ``base`` takes over a ``CopySlices`` node
(the old base with the view's region replaced by the in-place result), and every live view
of ``base``, ``v`` included, gets a fresh ``grad_fn`` by replaying its view ops on the new
``base``. An in-place op on ``base`` itself regenerates its views the same way, so a view
used afterwards sees the updated history.
"""

from __future__ import annotations

import weakref

import numpy as np

from .. import dtypes as _dt
from .. import function as _function
from ..dtypes import from_numpy_dtype
from ..errors import DTypeError
from ..function import _NO_RECORD, Op, derive, write
from ..forward_ad import linear_jvp
from ..grad_mode import _grad_enabled
from ..tensor import Tensor
from ._util import require_0d_value, tracked
from .indexing import _GRAD_KINDS, GetItem, IndexPut
from .masking import _number_as

__all__ = [
    "inplace_",
    "fill_",
    "copy_",
    "setitem_",
    "reshape_inplace_",
    "fill_diagonal_",
    "fill",
    "zero_",
    "resize_",
    "resize_as_",
]

_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF_MSG = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)
_NO_GRAD_VIEW_MSG = (
    "A view was created in no_grad mode and is being modified inplace with grad mode "
    "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can "
    "clarify your code by moving both the view and the inplace either both inside the no_grad "
    "block (if you don't want the inplace to be tracked) or both outside (if you want the "
    "inplace to be tracked)."
)
_OVERLAP_MSG = (
    "unsupported operation: more than one element of the written-to tensor refers "
    "to a single memory location. Please clone() the tensor before performing the "
    "operation."
)


def _check_inplace(self: Tensor, args=()):
    """PyTorch's checks before writing into ``self`` while gradients are being recorded."""
    if not _grad_enabled.get():
        return
    view = self._view
    if not (
        self._requires_grad
        or (view is not None and view[0]._requires_grad)
        or any(isinstance(a, Tensor) and a._requires_grad for a in args)
    ):
        return
    if view is not None:
        if view[2]:
            raise RuntimeError(_NO_GRAD_VIEW_MSG)
        base = view[0]
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError(_VIEW_OF_LEAF_MSG)
    if self._requires_grad and self.grad_fn is None:
        raise RuntimeError(_LEAF_MSG)


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2, "c": 3}  # ("V": ml_dtypes' bfloat16)


def _write_back(self: Tensor, result: Tensor, opname: str):
    out = result._data
    if out.shape != self._data.shape:
        if np.broadcast_shapes(out.shape, self._data.shape) != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the "
                f"broadcast shape {list(out.shape)}"
            )
    # torch's rule: bool -> integer -> floating point, never back; any integer type takes
    # any other (uint8 += int64 wraps), which NumPy's "same_kind" refuses
    if (
        out.dtype != self._data.dtype
        and _KIND_RANK[out.dtype.kind] > _KIND_RANK[self._data.dtype.kind]
    ):
        raise DTypeError(
            f"result type {_dt.torch_name(from_numpy_dtype(out.dtype))} can't be cast to "
            f"the desired output type {_dt.torch_name(self.dtype)} (in-place {opname})"
        )
    if not self._data.flags.writeable:
        arr = self._data
        if any(st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape)):
            raise RuntimeError(_OVERLAP_MSG)  # an expanded view
        raise RuntimeError(f"{opname}: the tensor's memory is read-only; call .clone() first")
    write(_copy_into, self, out)
    self._version_cell[0] += 1


def _dual(*values) -> bool:
    """True when forward AD is on and one of ``values`` carries a tangent (autograd.forward_ad):
    the in-place op then goes through the out-of-place one, which computes the new tangent."""
    return _function._fw_level is not None and _function._has_tangent(
        [v for v in values if isinstance(v, Tensor)]
    )


def _copy_into(target, value):
    """Write ``value`` (broadcast, cast) into the array ``target`` (function.write's ``fn``)."""
    np.copyto(target, value, casting="unsafe")


def _set_at(target, index, value):
    """``target[index] = value`` (function.write's ``fn``)."""
    target[index] = value


def inplace_(self: Tensor, fn, *args, **kwargs) -> Tensor:
    """Run ``fn(self, *args)`` and store the result in ``self``; returns ``self``."""
    _check_inplace(self, args)
    name = getattr(fn, "__name__", "op") + "_"
    dual = _dual(self, *args)
    # (an integer or bool tensor records nothing, whatever it is given: it never requires
    # grad, and what it is given is cast or refused as outside grad mode)
    record = (
        _grad_enabled.get()
        and self._data.dtype.kind in _GRAD_KINDS
        and (self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args))
    )
    if not record:
        x = self.detach()
        if dual:
            x._fw = self._fw  # (fn is out of place: x may share self's memory)
        result = fn(x, *args, **kwargs)
        _write_back(self, result, name)
        if dual:
            _take_tangent(self, result)
        return self
    # record on a snapshot of the old value, so nodes that saved it stay valid
    snapshot = derive(np.copy, self)
    old = (
        Tensor._from_node(snapshot, self.grad_fn, self._output_nr, None)
        if self.grad_fn is not None
        else Tensor._make(snapshot)
    )
    if dual:
        old._fw = self._fw
    result = fn(old, *args, **kwargs)
    if result._data.dtype != self._data.dtype:
        from .arithmetic import to_dtype

        result = to_dtype(result, self.dtype)
    _write_back(self, result, name)
    if dual:
        _take_tangent(self, result)
    view = self._view
    if view is not None:  # the write went into the base's memory: rebase the base
        _rebase(view[0], view[1], self, result)
        return self
    if result.grad_fn is not None:
        _take_history(self, result)
        # saved copies of the result (e.g. exp_ saves its output) must follow this tensor
        _retarget_saved_output(self.grad_fn, result, self)
    if self._views:
        _refresh_views(self)
    return self


def _take_tangent(self: Tensor, result: Tensor):
    """``self`` now holds ``result``'s value: it takes ``result``'s tangent too, and if it is a
    view, its base's tangent gets the new values at the view's positions."""
    from ..forward_ad import _Suspended, _attach, _tangent

    level = _function._fw_level
    t = _tangent(result)
    if t is None:
        return
    if t.shape != self.shape:
        from .movement import expand

        with _Suspended():
            t = expand(t, self.shape)
    view = self._view
    if view is not None:
        base = view[0]
        old = _tangent(base)
        with _Suspended():
            old = old if old is not None else Tensor._make(np.zeros_like(base._data))
            _attach(
                base, CopySlices.apply(old, t, pos=_positions(base._data.shape, view[1])), level
            )
    _attach(self, t, level)


def _take_history(t: Tensor, new: Tensor):
    """Let ``t`` (whose memory already holds ``new``'s value) take over ``new``'s history."""
    node = new.grad_fn
    if node is None:
        return
    hook = t._retain_hook
    if hook is not None and t.grad_fn is not None:
        # retain_grad keeps the gradient of the tensor's newest value, as in torch (hooks
        # registered with register_hook stay with the value they were registered on)
        t.grad_fn._hooks[t._output_nr].remove(hook)
        node._add_tensor_hook(new._output_nr, hook)
    t.grad_fn = node
    t._output_nr = new._output_nr
    t._requires_grad = True
    node._out_ref = weakref.ref(t)


def _retarget_saved_output(node, result, self):
    """If the node saved its output, point that record at ``self``'s memory and version."""
    saved = node._saved
    if not saved or not isinstance(saved, tuple):
        return
    recs = []
    for rec in saved:
        if rec is not None and isinstance(rec[1], int) and rec[3] is result._version_cell:
            rec = (self._data, rec[1], self._version_cell[0], self._version_cell)
        recs.append(rec)
    node._saved = tuple(recs)


# ---- writes through views -------------------------------------------------------------------
class CopySlices(Op):
    """``base`` with the elements at flat positions ``pos`` replaced by ``src`` (the graph
    node a base takes over when one of its views is modified in place; torch's name).
    VJP: ``g`` with those positions zeroed for ``base``, ``g`` at those positions for ``src``."""

    jvp = staticmethod(linear_jvp)

    grad_fn_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, src, pos):
        ctx.pos = pos
        out = base.copy()  # C-ordered, so out.reshape(-1) is a view of it
        out.reshape(-1)[pos] = src
        return out

    @staticmethod
    def backward(ctx, g, xp):
        pos, need = ctx.pos, ctx.needs_input_grad
        gb = gs = None
        if xp.graph:
            if need[0]:
                gb = CopySlices.apply(g, Tensor._make(np.zeros((), g._data.dtype)), pos=pos)
            if need[1]:
                gs = GetItem.apply(xp.reshape(g, (-1,)), idx=(pos,))
        else:
            if need[0]:
                gb = g.copy()
                gb.reshape(-1)[pos] = 0
            if need[1]:
                gs = np.asarray(g.reshape(-1)[pos])
        return gb, gs


def _replay(base, steps):
    """The view described by ``steps``, recomputed from ``base`` (a Tensor, recorded)."""
    t = base
    for op, param in steps:
        t = op.apply(t, **{op.view_param: param})
    return t


def _positions(shape, steps) -> np.ndarray:
    """For each element of the view, its flat position in the base: replay the view's ops
    on an array holding each base element's own position."""
    pos = np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)
    for op, param in steps:
        pos = op.forward(_NO_RECORD, pos, **{op.view_param: param})
    return np.asarray(pos)


def _rebase(base: Tensor, steps, view: Tensor, result: Tensor):
    """``view`` (a view of ``base`` by ``steps``) now holds ``result``: record that on the
    base (CopySlices) and regenerate the history of the base's views."""
    if _function._tracer is not None:  # (not modelled by autograd.compile: runs eagerly)
        _function._tracer.unsupported(
            "an in-place write through a view of a tensor that requires grad"
        )
    if result._data.shape != view._data.shape:
        from .movement import expand

        result = expand(result, view._data.shape)
    pos = _positions(base._data.shape, steps)
    _take_history(base, CopySlices.apply(base, result, pos=pos))
    _refresh_views(base)


def _refresh_views(base: Tensor):
    """Give every live view of ``base`` a ``grad_fn`` replayed from ``base``'s current one.

    (torch does this lazily, when the view's ``grad_fn`` is next read; our tensors read
    ``grad_fn`` as a plain slot on the hot path, so it is done here, eagerly.)"""
    for ref in base._views:
        v = ref()
        if v is not None and v._view is not None and v._view[0] is base:
            _take_history(v, _replay(base, v._view[1]))


def _overwrite(old: Tensor, value: Tensor) -> Tensor:
    """``value`` (of ``old``'s dtype, broadcastable to its shape) written over all of
    ``old``: the old value gets a zero gradient (``old * 0 + value`` would give nan where
    ``old`` is inf)."""
    if tracked(value) and value._data.shape != old._data.shape:
        from .movement import expand  # (expand's VJP sums the gradient back)

        value = expand(value, old._data.shape)
    return IndexPut.apply(old, value, idx=(Ellipsis,))


def fill_(self: Tensor, value) -> Tensor:
    """Fill with a number (or a 0-d tensor); returns self."""
    if isinstance(value, Tensor):
        require_0d_value(
            value,
            "fill_ only supports 0-dimension value tensor but got tensor with {ndim} dimensions.",
        )
        if (
            _grad_enabled.get()
            and (value._requires_grad or self._requires_grad)
            or _dual(self, value)
        ):
            from .arithmetic import to_dtype

            return inplace_(self, _overwrite, to_dtype(value, self.dtype))
        # (a 0-d tensor is written as an array, not read with .item(): autograd.compile
        # replays the write with the tensor's new value)
    _check_inplace(self)
    if not isinstance(value, Tensor):  # (torch's range check for an integer type)
        value = _number_as(value, self._data.dtype)
    if _grad_enabled.get() and self._requires_grad or _dual(self):  # (value is a number here)
        return inplace_(self, _overwrite, Tensor._make(np.asarray(value, self._data.dtype)))
    write(_set_at, self, Ellipsis, value)
    self._version_cell[0] += 1
    return self


def copy_(self: Tensor, src) -> Tensor:
    """Copy ``src`` (broadcast, cast) into self; differentiable w.r.t. ``src``."""
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    if _grad_enabled.get() and (src._requires_grad or self._requires_grad) or _dual(self, src):
        from .arithmetic import to_dtype
        from .movement import expand

        if src._data.shape != self._data.shape:
            expand(src, self._data.shape)  # (only to check the shapes, with expand's error)
        return inplace_(self, lambda s, v: _overwrite(s, to_dtype(v, s.dtype)), src)
    _check_inplace(self)
    if src._data.shape != self._data.shape:
        np.broadcast_shapes(src._data.shape, self._data.shape)  # (NumPy's error if not)
    write(_copy_into, self, src)
    self._version_cell[0] += 1
    return self


def _basic_index(p) -> bool:
    """An index torch applies as a view: an int (also a 0-d integer tensor), a slice, None."""
    if isinstance(p, Tensor):
        return p.ndim == 0 and p._data.dtype.kind in "iu"
    return p is None or isinstance(p, (int, slice, np.integer)) and not isinstance(p, bool)


def setitem_(self: Tensor, index, value) -> None:
    """``self[index] = value``; differentiable w.r.t. both ``self`` (non-leaf) and ``value``."""
    from .indexing import as_torch_index, check_index_put_dtype, index_put_slice, is_advanced_put

    index = as_torch_index(index)
    if isinstance(value, Tensor) and value.dtype != self.dtype and is_advanced_put(index, value):
        check_index_put_dtype(self, value)
    if self._requires_grad and self.grad_fn is None and _grad_enabled.get():
        # torch takes the view ``self[ints/slices]`` first: its message names a view of a leaf
        parts = index if isinstance(index, tuple) else (index,)
        if any(_basic_index(p) for p in parts):
            raise RuntimeError(_VIEW_OF_LEAF_MSG)

    if isinstance(value, Tensor) and (
        _grad_enabled.get() and (value._requires_grad or self._requires_grad) or _dual(self, value)
    ):
        inplace_(self, index_put_slice, index, value)
        return
    _check_inplace(self)
    if isinstance(value, (int, float)):  # (torch's range check for an integer type)
        value = _number_as(value, self._data.dtype)
    if _grad_enabled.get() and self._requires_grad or _dual(self):
        v = value._data if isinstance(value, Tensor) else value
        inplace_(self, index_put_slice, index, Tensor._make(np.asarray(v, self._data.dtype)))
        return
    from .indexing import _index_for

    idx = _index_for(index, self)
    try:
        write(_set_at, self, idx, value)
    except ValueError:  # NumPy's broadcast error: torch's, from the expand it does
        if not isinstance(value, Tensor):
            raise
        from .movement import _expand_shape

        shape = value._data.shape
        while shape and shape[0] == 1:  # (torch drops the value's leading 1s first)
            shape = shape[1:]
        _expand_shape(shape, self._data[idx].shape)
        raise
    self._version_cell[0] += 1


def reshape_inplace_(self: Tensor, shape) -> Tensor:
    """Used by ``unsqueeze_``/``squeeze_``: change the shape of this tensor's data."""
    if self._requires_grad and _grad_enabled.get():
        raise RuntimeError("in-place shape changes of tensors that require grad are not supported")
    self._data = self._data.reshape(shape)
    return self


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal with ``fill_value``, in place: ``self[i, i, ..., i]`` (all
    dimensions of equal length when there are more than two). For a tall matrix,
    ``wrap=True`` starts the diagonal again after every ``cols + 1`` rows, like NumPy's
    ``fill_diagonal``.

    Example:
        >>> autograd.zeros(2, 3).fill_diagonal_(1.0)
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    shape = self._data.shape
    if self.ndim > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    n = min(shape)
    rows = np.arange(n)
    idx = (rows,) * self.ndim
    if self.ndim == 2 and wrap and shape[0] > shape[1] + 1:
        # restart every cols + 1 rows, as NumPy's flat stride cols + 1 does
        flat = np.arange(0, shape[0] * shape[1], shape[1] + 1)
        idx = np.unravel_index(flat, shape)
    # (torch refuses a number the type cannot hold; -1 wraps to 255 in uint8)
    value = Tensor._make(_number_as(fill_value, self._data.dtype))
    return inplace_(self, lambda t: IndexPut.apply(t, value, idx=tuple(idx)))


def fill(input: Tensor, value) -> Tensor:
    """A new tensor shaped like ``input`` holding ``value`` everywhere (the out-of-place
    ``fill_``; differentiable in a tensor ``value``, not in ``input``).

    Example:
        >>> autograd.fill(autograd.zeros(2), 3.0)
        tensor([3., 3.])
    """
    if isinstance(value, Tensor):
        require_0d_value(
            value,
            # (torch's message names fill_ for the out-of-place fill too)
            "fill_ only supports 0-dimension value tensor but got tensor with {ndim} dimensions.",
        )
        from .arithmetic import to_dtype

        value = (
            to_dtype(value, input.dtype)
            if tracked(value)
            else Tensor._make(value._data.astype(input._data.dtype))
        )
    else:
        value = Tensor._make(np.asarray(value, input._data.dtype))
    return _overwrite(input, value)


def _fill_samples(rng):
    from .registry import Sample

    return [
        Sample(rng.normal(size=(3, 4)), 2.5),
        Sample(rng.normal(size=()), -1.0),
        Sample(rng.normal(size=(2, 3)), rng.normal(size=())),
        Sample(rng.normal(size=(0, 2)), rng.normal(size=())),
    ]


def _register_fill():
    from .registry import OpInfo, register

    register(
        OpInfo(
            "fill",
            fill,
            ref=lambda x, v: np.full_like(x, v),
            samples=_fill_samples,
            method=False,
            family="inplace",
        )
    )


_register_fill()


def zero_(input: Tensor) -> Tensor:
    """Fill ``input`` with zeros in place; returns it (``torch.zero_``)."""
    return fill_(input, 0)


def resize_(self: Tensor, *sizes) -> Tensor:
    """Give ``self`` the shape ``sizes`` in place: the elements are kept in row-major order,
    cut, or continued with zeros (torch leaves those uninitialised). Not for tensors that
    require grad (torch's error)."""
    from ._util import sizes_arg

    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = sizes_arg(sizes)
    if any(s < 0 for s in shape):
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}"
        )
    n = int(np.prod(shape))
    flat = self._data.reshape(-1)
    if n == flat.size:
        self._data = self._data.reshape(shape)
    else:
        new = np.zeros(n, self._data.dtype)
        new[: min(n, flat.size)] = flat[:n]
        self._data = new.reshape(shape)
    self._version_cell[0] += 1
    return self


def resize_as_(input: Tensor, the_template: Tensor, *, memory_format=None) -> Tensor:
    """``resize_`` to the shape of ``the_template``."""
    return resize_(input, tuple(the_template.shape))
