"""bfloat16 ops: computed in float32, rounded once (what torch's CPU kernels do).

``Op.apply`` (function.py) hands an op with a bfloat16 input to ``_apply_in_float32`` once
``function._LOW_PRECISION`` is on (from the first use of the bfloat16 dtype). function.py
re-exports these names.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import dtypes as _dt

_weakref = weakref.ref

# NumPy knows bfloat16 through ml_dtypes, but its reductions accumulate in bfloat16, matmul
# returns float32, einsum, SciPy and the Numba kernels do not take it. So an op whose inputs
# include bfloat16 tensors runs on float32 stand-ins and its floating result is rounded back
# to bfloat16. The stand-ins share the originals' graph position and version counter, so the
# recorded node is the same as for float32 inputs; saved inputs are the float32 copies, and
# gradients flow in float32 until a leaf, where they are rounded to its dtype.


def _has_bfloat16(inputs) -> bool:
    bf16 = _dt._BF16.np
    for t in inputs:
        if t is not None and t._data.dtype == bf16:
            return True
    return False


def _float32_stand_in(t, keep):
    if t is None or t._data.dtype != _dt._BF16.np:
        return t
    s = object.__new__(type(t))
    s._data = t._data.astype(np.float32)
    s._requires_grad = t._requires_grad
    s._grad = None
    s.grad_fn = t.grad_fn
    s._output_nr = t._output_nr
    s._version_cell = t._version_cell
    if t._requires_grad and t.grad_fn is None:
        acc = t._grad_accumulator()  # gradients reach the original leaf
        keep.append(acc)  # (held until the new node holds it)
        s._accum = _weakref(acc)
    return s


def _float32_param(value, written):
    """A bfloat16 array among an op's parameters (possibly in a tuple) as a float32 copy,
    remembered so that what the op writes into it is copied back."""
    if isinstance(value, np.ndarray) and value.dtype == _dt._BF16.np:
        wide = value.astype(np.float32)
        written.append((value, wide))
        return wide
    if isinstance(value, tuple):
        return tuple(_float32_param(v, written) for v in value)
    return value


def _apply_in_float32(cls, inputs, params):
    bf16 = _dt._BF16.np
    rounded = True
    dtype = params.get("dtype")  # an op's explicit result dtype (sum(dtype=...), casts)
    if dtype is not None:
        if getattr(dtype, "np", dtype) == bf16:  # bfloat16 result: accumulate in float32
            params = dict(
                params, dtype=_dt.float32 if isinstance(dtype, _dt.dtype) else np.dtype(np.float32)
            )
        else:
            rounded = False  # another explicit dtype is kept as asked
    keep, written = [], []
    params = {k: _float32_param(v, written) for k, v in params.items()}
    out = cls.apply(*[_float32_stand_in(t, keep) for t in inputs], **params)
    for original, wide in written:  # arrays the op updates in place (running statistics)
        original[...] = wide.astype(bf16)
    if rounded and out._data.dtype == np.float32:
        out._data = out._data.astype(bf16)
        node = out.grad_fn
        if node is not None:
            node._out_meta = (out._data.shape, out._data.dtype)
    return out
