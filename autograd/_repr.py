"""PyTorch-style printing: ``tensor([1., 2.], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

from . import dtypes as _dt


def _format_array(arr: np.ndarray, prefix: str) -> str:
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        amax = float(np.max(np.abs(finite))) if finite.size else 0.0
        amin = float(np.min(np.abs(finite[finite != 0]))) if np.any(finite != 0) else 0.0
        sci = finite.size > 0 and (amax >= 1e8 or (amin and amax / amin > 1000 and not integral)
                                   or (amin and amin < 1e-4 and not integral))
        if sci:
            def fmt(v):
                return np.format_float_scientific(v, precision=4, exp_digits=2)
        elif integral:
            def fmt(v):
                return f"{v:.0f}." if np.isfinite(v) else str(v)
        else:
            def fmt(v):
                return f"{v:.4f}" if np.isfinite(v) else str(v)
        # torch right-aligns all elements to the widest one: tensor([ 5., 15.])
        shown = arr if arr.size <= 1000 else np.concatenate([arr.ravel()[:3], arr.ravel()[-3:]])
        width = max((len(fmt(float(v))) for v in shown.ravel()), default=0)

        def padded(v):
            return fmt(v).rjust(width)
        return np.array2string(arr.astype(np.float64), separator=", ", prefix=prefix,
                               formatter={"float_kind": padded}, threshold=1000, edgeitems=3,
                               max_line_width=80)
    if arr.dtype == np.bool_:
        return np.array2string(arr, separator=", ", prefix=prefix, threshold=1000, edgeitems=3,
                               formatter={"bool": lambda v: " True" if v else "False"},
                               max_line_width=80)
    return np.array2string(arr, separator=", ", prefix=prefix, threshold=1000, edgeitems=3,
                           max_line_width=80)


def tensor_repr(t) -> str:
    arr = t._data
    prefix = "tensor("
    body = _format_array(arr, prefix) if arr.size or arr.ndim == 0 else "[]"
    if arr.ndim == 0:
        body = body.strip()
        if arr.dtype == np.bool_:
            body = body.strip()
    extras = []
    if arr.size == 0 and arr.ndim != 1:
        extras.append(f"size=({', '.join(map(str, arr.shape))}{',' if arr.ndim == 1 else ''})")
    default = {_dt.get_default_dtype().np, np.dtype(np.int64), np.dtype(np.bool_)}
    if arr.size == 0:  # torch names the dtype of an empty tensor unless it is the default float
        default = {_dt.get_default_dtype().np}
    if arr.dtype not in default:
        extras.append(f"dtype={_dt._FROM_NP[arr.dtype]!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    if extras:
        return prefix + body + ", " + ", ".join(extras) + ")"
    return prefix + body + ")"
