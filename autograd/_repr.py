"""PyTorch-style printing: ``tensor([1., 2.], requires_grad=True)``, and
``set_printoptions`` (torch's options: precision, threshold, edgeitems, linewidth, sci_mode,
profile)."""

from __future__ import annotations

import sys

import numpy as np

from . import dtypes as _dt
from .dtypes import FLOAT_KINDS

_DEFAULTS = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
_PROFILES = {
    "default": _DEFAULTS,
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=sys.maxsize, edgeitems=3, linewidth=80),
}
_opts = dict(_DEFAULTS)


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """How tensors print (``torch.set_printoptions``): ``precision`` digits after the point,
    summarise with ``edgeitems`` per side past ``threshold`` elements, wrap at ``linewidth``;
    ``sci_mode`` True/False forces scientific notation on/off (None: automatic); ``profile``
    ``"default"``, ``"short"`` or ``"full"`` sets them all.

    Example:
        >>> autograd.set_printoptions(precision=2); autograd.tensor([1.23456])
        tensor([1.23])
        >>> autograd.set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"Unknown profile {profile!r}; expected 'default', 'short' or 'full'")
        _opts.update(_PROFILES[profile])
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            _opts[name] = int(value)
    _opts["sci_mode"] = sci_mode


def _format_array(arr: np.ndarray, prefix: str) -> str:
    if arr.dtype.kind in FLOAT_KINDS:
        finite = arr[np.isfinite(arr)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        amax = float(np.max(np.abs(finite))) if finite.size else 0.0
        amin = float(np.min(np.abs(finite[finite != 0]))) if np.any(finite != 0) else 0.0
        # torch's rule: scientific when the nonzero magnitudes span more than 1000x or
        # exceed 1e8, or (non-integral values) go below 1e-4
        sci = finite.size > 0 and (
            amax > 1e8 or (amin and amax / amin > 1000) or (amin and amin < 1e-4 and not integral)
        )
        if _opts["sci_mode"] is not None:
            sci = bool(_opts["sci_mode"])
        digits, edge = _opts["precision"], _opts["edgeitems"]
        if sci:

            def fmt(v):
                return np.format_float_scientific(v, precision=digits, exp_digits=2, unique=False)
        elif integral:

            def fmt(v):
                return f"{v:.0f}." if np.isfinite(v) else str(v)
        else:

            def fmt(v):
                return f"{v:.{digits}f}" if np.isfinite(v) else str(v)

        # torch right-aligns all elements to the widest one: tensor([ 5., 15.])
        shown = (
            arr
            if arr.size <= _opts["threshold"]
            else np.concatenate([arr.ravel()[:edge], arr.ravel()[-edge:]])
        )
        width = max((len(fmt(float(v))) for v in shown.ravel()), default=0)

        def padded(v):
            return fmt(v).rjust(width)

        return _summarised(
            np.array2string(
                arr.astype(np.float64),
                separator=", ",
                prefix=prefix,
                formatter={"float_kind": padded},
                **_layout(),
            )
        )
    if arr.dtype == np.bool_:
        return _summarised(
            np.array2string(
                arr,
                separator=", ",
                prefix=prefix,
                formatter={"bool": lambda v: " True" if v else "False"},
                **_layout(),
            )
        )
    return _summarised(np.array2string(arr, separator=", ", prefix=prefix, **_layout()))


def _summarised(text: str) -> str:
    # torch pads the ellipsis of a summarised row like an element: "[0, 1,  ..., 8, 9]"
    return text.replace(", ..., ", ",  ..., ")


def _layout():
    return dict(
        threshold=_opts["threshold"],
        edgeitems=_opts["edgeitems"],
        max_line_width=_opts["linewidth"],
    )


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
    fw = t._fw
    if fw is not None:  # a dual tensor (autograd.forward_ad) of the open level: its tangent
        from . import function  # (loaded by then; a module-level import would be a cycle)

        if fw[0] is function._fw_level:
            extras.append(f"tangent={fw[1]!r}")
    if extras:
        return prefix + body + ", " + ", ".join(extras) + ")"
    return prefix + body + ")"
