"""Automatic mixed precision on the CPU (mirrors ``torch.amp``): ``autocast`` and
``GradScaler``.

**autocast.** Inside ``with autograd.amp.autocast("cpu", dtype=autograd.bfloat16):`` the ops
that profit from low precision and tolerate it -- matrix products and convolutions
(``matmul``, ``mm``, ``bmm``, ``einsum``, ``linear``, ``conv*``, ``prelu``,
``scaled_dot_product_attention``) -- cast their floating inputs to the low dtype and return
results in it, while ops that need the range or accuracy of float32 -- losses, ``prod``,
``cholesky``, ``triangular_solve`` -- cast their inputs to float32. Every other op runs in
the dtype of its inputs. These are torch's CPU lists for the ops jitgrad has (checked
against torch 2.13 in tests/test_amp.py). float64 tensors are never cast, and the backward
pass is not autocast (VJPs follow the forward's dtypes). Only bfloat16 and float16 are
supported, as in torch.

**GradScaler.** float16 gradients underflow to zero for small values; the scaler multiplies
the loss by a large factor before ``backward`` (``scale``), divides the gradients back
before the step (``unscale_``), skips steps whose gradients contain inf/nan, and adapts the
factor: halved after a skipped step, doubled after ``growth_interval`` good ones.

Example:
    >>> import autograd, nn, optim
    >>> model = nn.Linear(4, 2)
    >>> opt = optim.SGD(model.parameters(), lr=0.1)
    >>> scaler = autograd.amp.GradScaler("cpu")
    >>> with autograd.amp.autocast("cpu", dtype=autograd.bfloat16):
    ...     out = model(autograd.randn(8, 4))
    ...     loss = nn.functional.mse_loss(out, autograd.zeros(8, 2))
    >>> out.dtype, loss.dtype
    (autograd.bfloat16, autograd.float32)
    >>> scaler.scale(loss).backward()
    >>> scaler.step(opt)
    >>> scaler.update()
"""

from __future__ import annotations

import contextvars
import functools
import warnings
from collections import defaultdict
from enum import Enum

import numpy as np

from . import dtypes as _dt
from .tensor import Tensor

# torch has these at its top level too: ``autograd.autocast`` ... resolve to them here
# (autograd/__init__.py's module ``__getattr__``)
TOP_LEVEL_NAMES = (
    "autocast",
    "is_autocast_enabled",
    "get_autocast_dtype",
    "set_autocast_dtype",
    "set_autocast_enabled",
    "is_autocast_cpu_enabled",
    "get_autocast_cpu_dtype",
    "set_autocast_cpu_dtype",
)
__all__ = [
    *TOP_LEVEL_NAMES,
    "GradScaler",
    "OptState",
    "custom_fwd",
    "custom_bwd",
    "is_autocast_available",
    "cast_to_autocast_dtype",
    "lower_precision",
    "float32_precision",
]

# The active low-precision dtype (None: autocast off), per thread/context like torch's.
_state = contextvars.ContextVar("autocast_dtype", default=None)
# How many autocast regions are open anywhere: a plain global, so that the op wrappers'
# check costs one lookup while autocast has never been used.
_open = 0


def is_autocast_available(device_type: str) -> bool:
    """True for ``"cpu"`` (jitgrad runs on the CPU only)."""
    return device_type == "cpu"


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` (like torch, no argument means CUDA, which
    is never on here)."""
    return device_type == "cpu" and _state.get() is not None


# the dtype autocast("cpu") uses when none is given (torch.set_autocast_dtype)
_default_dtype = [None]


def get_autocast_dtype(device_type: str = "cpu"):
    """The dtype of the active autocast region, or the one a new region would use."""
    return _state.get() or _default_dtype[0] or _dt.bfloat16


def set_autocast_dtype(device_type: str, dtype) -> None:
    _default_dtype[0] = _dt.as_dtype(dtype)


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    """Switch autocast on or off outside a ``with`` block (torch's low-level switch)."""
    global _open
    if device_type != "cpu":
        return
    _state.set(get_autocast_dtype() if enabled else None)
    if enabled:
        _open = max(_open, 1)  # (only a hint that makes the op wrappers look at the state)


def is_autocast_cpu_enabled() -> bool:
    return is_autocast_enabled("cpu")


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype) -> None:
    set_autocast_dtype("cpu", dtype)


class autocast:
    """Run the region's eligible ops in ``dtype`` (bfloat16 by default on the CPU); also a
    decorator. ``enabled=False`` switches autocast off inside an enclosing region.
    ``cache_enabled`` is accepted (torch caches casts of weights; here casts are cheap).

    Example:
        >>> with autograd.amp.autocast("cpu"):
        ...     y = autograd.ones(2, 3) @ autograd.ones(3, 2)
        >>> y.dtype
        autograd.bfloat16
    """

    def __init__(
        self, device_type: str = "cpu", dtype=None, enabled: bool = True, cache_enabled=None
    ):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self.fast_dtype = get_autocast_dtype("cpu") if dtype is None else _dt.as_dtype(dtype)
        self._enabled = bool(enabled)
        if device_type != "cpu":
            warnings.warn(
                f"User provided device_type of '{device_type}', but jitgrad runs on the "
                "CPU only. Disabling autocast.",
                stacklevel=2,
            )
            self._enabled = False
        elif self._enabled and self.fast_dtype not in (_dt.bfloat16, _dt.float16):
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling "
                "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                "torch.float16 currently.",
                stacklevel=2,
            )
            self._enabled = False
        self._tokens = []

    def __enter__(self):
        global _open
        self._tokens.append(_state.set(self.fast_dtype if self._enabled else None))
        _open += 1
        return self

    def __exit__(self, *exc):
        global _open
        _state.reset(self._tokens.pop())
        _open -= 1
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)

        return wrapper


def _cast(value, dtype):
    """Floating tensors (not float64) in ``value`` (a tensor, or a list/tuple/dict of them)
    as ``dtype``; anything else unchanged."""
    if isinstance(value, Tensor):
        d = value._data.dtype
        if d.kind in _dt.FLOAT_KINDS and d != np.float64 and d != dtype.np:
            return value.to(dtype)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _cast(v, dtype) for k, v in value.items()}
    return value


def cast_to_autocast_dtype(value):
    """Under autocast, floating tensors in ``value`` cast to the autocast dtype (for layers
    that torch runs as one low-precision op, e.g. an LSTM's states); otherwise ``value``."""
    low = _state.get() if _open else None
    return value if low is None else _cast(value, low)


def _autocast_op(policy):
    """Decorator: under autocast, cast the op's floating tensor arguments to the low dtype
    (policy "lower"), to float32 ("fp32"), or as ``policy(*args)`` says (a function)."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if not _open:
                return fn(*args, **kwargs)
            low = _state.get()
            if low is None or kwargs.get("dtype") is not None:
                return fn(*args, **kwargs)  # off, or an explicit dtype (not eligible)
            kind = policy(*args) if callable(policy) else policy
            if kind is None:
                return fn(*args, **kwargs)
            target = low if kind == "lower" else _dt.float32
            token = _state.set(None)  # ops called inside run as they are
            try:
                return fn(*_cast(args, target), **_cast(kwargs, target))
            finally:
                _state.reset(token)

        wrapper._autocast = policy
        return wrapper

    return decorate


#: Decorator for ops that run in the autocast dtype (torch's "lower_precision_fp" list).
lower_precision = _autocast_op("lower")
#: Decorator for ops that run in float32 under autocast (torch's "fp32" list).
float32_precision = _autocast_op("fp32")


def einsum_policy(equation, *operands):
    """torch's einsum is not on the lists but runs its contractions through ``bmm``, which
    is: under autocast the result is low precision when two operands share a summed index,
    and keeps the input dtype otherwise (sums, diagonals, outer and elementwise products)."""
    if not isinstance(equation, str):
        return None
    lhs, _, rhs = equation.replace(" ", "").replace("...", "").partition("->")
    terms = lhs.split(",")
    letters = "".join(terms)
    if "->" not in equation:
        rhs = "".join(c for c in sorted(set(letters)) if letters.count(c) == 1)
    summed = set(letters) - set(rhs)
    return "lower" if any(sum(c in t for t in terms) >= 2 for c in summed) else None


def custom_fwd(fwd=None, *, device_type="cpu", cast_inputs=None):
    """Decorator for a custom ``Function.forward``: with ``cast_inputs`` the forward runs
    with autocast off and its floating tensor inputs cast to that dtype (torch.amp.custom_fwd)."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def wrapper(*args, **kwargs):
        if cast_inputs is None or _state.get() is None:
            return fwd(*args, **kwargs)
        token = _state.set(None)
        try:
            dt = _dt.as_dtype(cast_inputs)
            return fwd(*_cast(args, dt), **_cast(kwargs, dt))
        finally:
            _state.reset(token)

    return wrapper


def custom_bwd(bwd=None, *, device_type="cpu"):
    """Decorator for a custom ``Function.backward`` (torch.amp.custom_bwd); backward passes
    are never autocast here, so it returns ``bwd`` unchanged."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


# ---- GradScaler ---------------------------------------------------------------------------------
class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state():
    return {"stage": OptState.READY, "found_inf": None}


class GradScaler:
    """Dynamic loss scaling (``torch.amp.GradScaler``), with torch's arithmetic: the scale is
    a float32 number, gradients are multiplied by its float32 reciprocal, a step is skipped
    when any gradient of that optimizer is inf/nan, and ``update`` backs off
    (``scale *= backoff_factor``) after a skipped step or grows (``scale *= growth_factor``)
    after ``growth_interval`` consecutive good steps.

    Example:
        >>> scaler = autograd.amp.GradScaler("cpu", init_scale=2.0 ** 10)
        >>> scaler.get_scale()
        1024.0
    """

    def __init__(
        self,
        device: str = "cpu",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ):
        self._device = device
        self._enabled = enabled
        if device != "cpu" and enabled:
            warnings.warn(
                f"GradScaler is enabled, but device {device!r} is not available "
                "(jitgrad runs on the CPU).  Disabling.",
                stacklevel=2,
            )
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale = None  # 0-d float32 array, created by scale()
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None  # 0-d int32 array
            self._per_optimizer_states = defaultdict(_fresh_state)

    def _check_scale_growth_tracker(self, funcname):
        fix = (
            "This may indicate your script did not use scaler.scale(loss or outputs) earlier "
            "in the iteration."
        )
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)

    def _lazy_init(self):
        self._scale = np.array(self._init_scale, dtype=np.float32)
        self._growth_tracker = np.array(self._init_growth_tracker, dtype=np.int32)

    def scale(self, outputs):
        """``outputs * scale`` for a tensor or a (nested) list/tuple of tensors."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._lazy_init()
        factor = Tensor._make(self._scale)

        def apply(val):
            if isinstance(val, Tensor):
                return val * factor
            if isinstance(val, (list, tuple)):
                return type(val)(apply(v) for v in val)
            if hasattr(val, "__iter__"):
                return map(apply, val)
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def _unscale_grads_(self, optimizer, inv_scale, allow_fp16):
        """Multiply every gradient by ``inv_scale`` in place; return 1.0 if any gradient had
        an inf or nan (checked before the multiplication, like torch), else 0.0."""
        found = np.float32(0.0)
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if not allow_fp16 and g.dtype == np.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                if not np.all(np.isfinite(g)):
                    found = np.float32(1.0)
                if inv_scale != 1:
                    if g.dtype.kind == "f":
                        np.multiply(g, inv_scale, out=g, casting="unsafe")
                    else:  # bfloat16: in float32, rounded once
                        g[...] = (g.astype(np.float32) * inv_scale).astype(g.dtype)
                    p.grad._bump_version()
        return found

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale (in place), e.g. before gradient
        clipping; ``step`` then does not divide again."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = np.float32(1.0 / np.float64(self._scale))  # torch: double reciprocal
        state["found_inf"] = self._unscale_grads_(optimizer, inv_scale, False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step()`` unless its gradients contain inf/nan (then the step is
        skipped and None returned); unscales first if ``unscale_`` was not called."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        retval = None
        if not state["found_inf"]:
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Adapt the scale after the iteration's steps (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale[()] = new_scale
            else:
                reason = (
                    "new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                    "torch.FloatTensor with requires_grad=False."
                )
                if (
                    not isinstance(new_scale, Tensor)
                    or new_scale.numel() != 1
                    or new_scale.requires_grad
                ):
                    raise AssertionError(reason)
                self._scale[()] = new_scale.item()
        else:
            infs = [
                s["found_inf"]
                for s in self._per_optimizer_states.values()
                if s["found_inf"] is not None
            ]
            if not infs:
                raise AssertionError("No inf checks were recorded prior to update.")
            if sum(infs):  # (scale * factor in double, rounded to float32, as torch)
                self._scale[()] = np.float32(np.float64(self._scale) * self._backoff_factor)
                self._growth_tracker[()] = 0
            else:
                successful = int(self._growth_tracker) + 1
                if successful == self._growth_interval:
                    with np.errstate(over="ignore"):  # an overflow just keeps the scale
                        grown = np.float32(np.float64(self._scale) * self._growth_factor)
                    if np.isfinite(grown):
                        self._scale[()] = grown
                    self._growth_tracker[()] = 0
                else:
                    self._growth_tracker[()] = successful
        self._per_optimizer_states = defaultdict(_fresh_state)

    # ---- accessors and checkpoints --------------------------------------------------------
    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return float(self._init_scale if self._scale is None else self._scale)

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return (
            self._init_growth_tracker if self._growth_tracker is None else int(self._growth_tracker)
        )

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """``{scale, growth_factor, backoff_factor, growth_interval, _growth_tracker}`` (an
        empty dict when disabled), as torch."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale[()] = state_dict["scale"]
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker[()] = state_dict["_growth_tracker"]
