"""In-place operations (``add_``, ``mul_``, ``x[i] = v``, ``fill_``, ``uniform_`` ...).

Every in-place op is "the out-of-place op, written back into this tensor's memory":

* with nothing to record (grad mode off, or no tensor involved requires grad) the result
  is simply copied into the existing array, so views and ``from_numpy`` arrays see it;
* otherwise the op is recorded on a copy of the old value and the tensor takes over the
  result's ``grad_fn``, so gradients flow through the in-place update as through the
  out-of-place one.

Either way the tensor's version counter is bumped, so a backward pass that saved the old
value refuses to run (PyTorch's "modified by an inplace operation" error) instead of
silently using the new value.
"""
from __future__ import annotations

import numpy as np

from ..errors import DTypeError
from ..grad_mode import _grad_enabled
from ..random import _gen
from ..tensor import Tensor

__all__ = ["inplace_", "fill_", "copy_", "setitem_", "uniform_", "normal_", "bernoulli_",
           "exponential_", "random_", "reshape_inplace_"]

_LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."


def _check_leaf(self: Tensor):
    if self._requires_grad and self.grad_fn is None and _grad_enabled.get():
        raise RuntimeError(_LEAF_MSG)


def _write_back(self: Tensor, result: Tensor, opname: str):
    out = result._data
    if out.shape != self._data.shape:
        if np.broadcast_shapes(out.shape, self._data.shape) != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                               f"broadcast shape {list(out.shape)}")
    if out.dtype != self._data.dtype and not np.can_cast(out.dtype, self._data.dtype, "same_kind"):
        names = {"f": "Float", "i": "Long", "b": "Bool", "u": "Byte"}
        raise DTypeError(f"result type {names.get(out.dtype.kind, out.dtype)} can't be cast to "
                         f"the desired output type {names.get(self._data.dtype.kind, self.dtype)}"
                         f" (in-place {opname})")
    if not self._data.flags.writeable:
        raise RuntimeError(f"{opname}: the tensor's memory is read-only (it is an expanded view); "
                           "call .clone() first")
    np.copyto(self._data, out, casting="unsafe")
    self._version_cell[0] += 1


def inplace_(self: Tensor, fn, *args, **kwargs) -> Tensor:
    """Run ``fn(self, *args)`` and store the result in ``self``; returns ``self``."""
    _check_leaf(self)
    name = getattr(fn, "__name__", "op") + "_"
    record = _grad_enabled.get() and (
        self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args))
    if not record:
        result = fn(self.detach(), *args, **kwargs)
        _write_back(self, result, name)
        return self
    # record on a snapshot of the old value, so nodes that saved it stay valid
    old = Tensor._from_node(self._data.copy(), self.grad_fn, self._output_nr, None) \
        if self.grad_fn is not None else Tensor._make(self._data.copy())
    result = fn(old, *args, **kwargs)
    if result._data.dtype != self._data.dtype:
        from .elementwise import to_dtype
        result = to_dtype(result, self.dtype)
    _write_back(self, result, name)
    if result.grad_fn is not None:
        self.grad_fn = result.grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = True
        # saved copies of the result (e.g. exp_ saves its output) must follow this tensor
        import weakref
        self.grad_fn._out_ref = weakref.ref(self)
        _retarget_saved_output(self.grad_fn, result, self)
    return self


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


def fill_(self: Tensor, value) -> Tensor:
    """Fill with a number (or a 0-d tensor); returns self."""
    _check_leaf(self)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        if _grad_enabled.get() and (value._requires_grad or self._requires_grad):
            from .movement import expand
            return inplace_(self, lambda s, v: expand(v.to(s.dtype), tuple(s.shape)) + 0 * s, value)
        value = value.item()
    if _grad_enabled.get() and self._requires_grad:
        return inplace_(self, lambda s: s * 0 + value)
    self._data[...] = value
    self._version_cell[0] += 1
    return self


def copy_(self: Tensor, src) -> Tensor:
    """Copy ``src`` (broadcast, cast) into self; differentiable w.r.t. ``src``."""
    _check_leaf(self)
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    if _grad_enabled.get() and (src._requires_grad or self._requires_grad):
        from .movement import expand
        from .elementwise import to_dtype
        return inplace_(self, lambda s, v: expand(to_dtype(v, s.dtype), tuple(s.shape)) + 0 * s
                        if v._data.shape != s._data.shape else to_dtype(v, s.dtype) + 0 * s, src)
    np.copyto(self._data, np.broadcast_to(src._data, self._data.shape), casting="unsafe")
    self._version_cell[0] += 1
    return self


def setitem_(self: Tensor, index, value) -> None:
    """``self[index] = value``; differentiable w.r.t. both ``self`` (non-leaf) and ``value``."""
    from .indexing import index_put_slice
    _check_leaf(self)
    if isinstance(value, Tensor) and _grad_enabled.get() and (value._requires_grad or
                                                              self._requires_grad):
        inplace_(self, index_put_slice, index, value)
        return
    from .indexing import _normalize_index
    idx = _normalize_index(index, self)
    v = value._data if isinstance(value, Tensor) else value
    if _grad_enabled.get() and self._requires_grad:
        inplace_(self, index_put_slice, index, Tensor._make(np.asarray(v, self._data.dtype)))
        return
    self._data[idx] = v
    self._version_cell[0] += 1


def _fill_random(self: Tensor, sample):
    if self._requires_grad and self.grad_fn is None and _grad_enabled.get():
        raise RuntimeError(_LEAF_MSG)
    self._data[...] = sample
    self._version_cell[0] += 1
    return self


def uniform_(self: Tensor, a=0.0, b=1.0, *, generator=None) -> Tensor:
    """Fill with samples from U(a, b)."""
    return _fill_random(self, _gen(generator).uniform(a, b, self._data.shape))


def normal_(self: Tensor, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    """Fill with samples from N(mean, std**2)."""
    return _fill_random(self, mean + std * _gen(generator).standard_normal(self._data.shape))


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p``."""
    p = p._data if isinstance(p, Tensor) else p
    return _fill_random(self, _gen(generator).random(self._data.shape) < p)


def exponential_(self: Tensor, lambd=1.0, *, generator=None) -> Tensor:
    return _fill_random(self, _gen(generator).exponential(1.0 / lambd, self._data.shape))


def random_(self: Tensor, low=0, high=None, *, generator=None) -> Tensor:
    if high is None:
        low, high = 0, low if low else 2**24
    return _fill_random(self, _gen(generator).integers(low, high, self._data.shape))


def reshape_inplace_(self: Tensor, shape) -> Tensor:
    """Used by ``unsqueeze_``/``squeeze_``: change the shape of this tensor's data."""
    if self._requires_grad and _grad_enabled.get():
        raise RuntimeError("in-place shape changes of tensors that require grad are not supported")
    self._data = self._data.reshape(shape)
    return self
