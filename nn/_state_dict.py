"""Loading a checkpoint into an ``nn.Module`` (the work behind ``Module.load_state_dict``):
check every key, shape and dtype first, then copy, so that a bad checkpoint leaves the
model untouched. ``Module.state_dict`` itself, a walk over the registries, stays in
``module.py``.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

import autograd
from autograd import Tensor
from autograd.errors import CheckpointError

from .parameter import Parameter


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns (prints like torch when everything matched)."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _as_array(value):
    """The array of a checkpoint value (a Tensor's, or an ndarray itself); None otherwise."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    return None


def _load_state_dict(module, state_dict, strict: bool, assign: bool):
    """``module.load_state_dict(state_dict, strict, assign)``: see its docstring."""
    if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    sd = dict(state_dict)
    targets = OrderedDict()  # full key -> (module, local name, kind)
    # every path, like state_dict(): a module shared under two names is loaded under both
    for mod_prefix, m in module.named_modules(remove_duplicate=False):
        pre = mod_prefix + "." if mod_prefix else ""
        for name, t in m._local_state().items():
            kind = "param" if name in m._parameters else "buffer"
            targets[pre + name] = (m, name, kind, t)
    missing = [k for k in targets if k not in sd]
    unexpected = [k for k in sd if k not in targets]
    errors = []
    plan = []
    for key, (m, name, kind, t) in targets.items():
        if key not in sd:
            continue
        value = sd[key]
        arr = _as_array(value)
        if arr is None:
            errors.append(
                f'While copying the parameter named "{key}", expected autograd.Tensor '
                f"or Tensor-like object from checkpoint but received {type(value)}"
            )
            continue
        if tuple(arr.shape) != tuple(t.shape):
            errors.append(
                f"size mismatch for {key}: copying a param with shape "
                f"{autograd.Size(arr.shape)!r} from checkpoint, the shape in current "
                f"model is {t.shape!r}."
            )
            continue
        if arr.dtype != t._data.dtype and not assign:
            errors.append(
                f"dtype mismatch for {key}: copying a param with dtype {arr.dtype} from "
                f"checkpoint, the dtype in current model is {t._data.dtype}; convert the "
                f"model first (e.g. model.to(autograd.{arr.dtype}))"
            )
            continue
        plan.append((m, name, kind, t, arr))
    if strict:
        if unexpected:
            errors.insert(
                0,
                "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)
                ),
            )
        if missing:
            errors.insert(
                0,
                "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)),
            )
    if errors:
        raise CheckpointError(
            "Error(s) in loading state_dict for {}:\n\t{}".format(
                type(module).__name__, "\n\t".join(errors)
            )
        )
    # everything checked: now copy (cannot fail half-way)
    for m, name, kind, t, arr in plan:
        if assign:
            if kind == "param":
                m._parameters[name] = Parameter(Tensor._make(np.array(arr)), t.requires_grad)
            else:
                m._buffers[name] = Tensor._make(np.array(arr))
        else:
            if arr is t._data:
                continue
            np.copyto(t._data, arr)
            t._version_cell[0] += 1
    return _IncompatibleKeys(missing, unexpected)
