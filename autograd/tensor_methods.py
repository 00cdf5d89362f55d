"""The Tensor's op methods and operators, attached when the package initialises.

``autograd/tensor.py`` defines the Tensor's data and autograd bookkeeping; the ops in
``autograd/ops/`` import it, so it cannot import them back (that would be an import cycle).
Instead ``bind()``, called once at the end of ``autograd/__init__.py``, attaches:

* every registered op with ``method=True``, under its name and every alias its family
  exports (``arcsin`` for ``asin``), as the op function itself: ``x.exp()`` *is*
  ``autograd.exp(x)``, with the same signature and docstring and no extra call;
* ``<name>_`` (and ``<alias>_``) for every op registered with ``inplace=True``:
  ``x.add_(y)`` computes ``add(x, y)`` and writes it into ``x`` (``ops.inplace_``);
* ``METHODS`` below: ops without a registry entry, the operators (``x + y`` is
  ``add(x, y)``) and the methods whose signature differs from their function's
  (``x.where(cond, y)``, ``x.flip(0, 1)`` ...) or that need another module (``backward``:
  the engine; ``new_zeros``: the factories).

``autograd/tensor.pyi`` lists the resulting class for editors and type checkers; it is
generated from it by ``python scripts/gen_tensor_stub.py``, and a test keeps it current.

Example:
    >>> import autograd
    >>> autograd.Tensor.exp is autograd.exp
    True
"""

from __future__ import annotations

import inspect
import sys

from . import devices as _devices
from . import dtypes as _dt
from . import engine, factories, ops
from .ops import inplace_, sizes_arg
from .ops.registry import REGISTRY
from .tensor import Size as _Size
from .tensor import Tensor


def bind(cls: type = Tensor) -> None:
    """Attach the op methods, in-place variants and operators to ``cls`` (idempotent)."""
    for info in REGISTRY.values():
        if info.namespace != "autograd":
            continue  # nn.functional's ops (losses, norms) are not Tensor methods, as in torch
        names = _exported_names(info)
        if info.method:
            for name in names:
                setattr(cls, name, info.fn)
        if info.inplace:  # (``x.arcsin_()`` too, for the alias of ``asin``)
            for name in names:
                setattr(cls, name + "_", _inplace_method(name + "_", info.fn))
    for name, method in METHODS.items():
        setattr(cls, name, method)


def _exported_names(info) -> list:
    """``info.name`` and the other names its family exports for the same function."""
    family = sys.modules.get(f"{ops.__name__}.{info.family}")
    if family is None:
        return [info.name]
    return [info.name] + [
        n for n in family.__all__ if n != info.name and getattr(family, n) is info.fn
    ]


def _inplace_method(name: str, fn):
    """``x.<name>(*args)``: ``fn(x, *args)`` written into ``x``; returns ``x``."""

    def method(self, *args, **kwargs) -> Tensor:
        return inplace_(self, fn, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"In-place ``{fn.__name__}``: computes ``{fn.__name__}(self, ...)`` and "
        f"writes it into ``self``; returns ``self``."
    )
    sig = inspect.signature(fn)
    first, *rest = sig.parameters.values()
    self_first = [first.replace(name="self"), *rest]
    method.__signature__ = sig.replace(parameters=self_first)  # type: ignore[attr-defined]
    return method


# ---- operators -----------------------------------------------------------------------------
# ``x + y`` calls ``add(x, y)`` directly; the reflected forms (``2 + x``) swap the operands.
def _reflected(key, fn):
    def method(self, other) -> Tensor:
        return fn(other, self)

    method.__name__ = method.__qualname__ = f"__r{key}__"
    method.__doc__ = f"``other (op) self``: ``{fn.__name__}(other, self)``."
    return method


def _inplace_operator(key, fn):
    def method(self, other) -> Tensor:
        return inplace_(self, fn, other)

    method.__name__ = method.__qualname__ = f"__i{key}__"
    method.__doc__ = f"``self (op)= other``: ``{fn.__name__}(self, other)`` written into ``self``."
    return method


_OPERATORS = {
    "add": ops.add,
    "sub": ops.sub,
    "mul": ops.mul,
    "truediv": ops.div,
    "floordiv": ops.floor_divide,
    "mod": ops.remainder,
    "pow": ops.pow,
    "matmul": ops.matmul,
    "and": ops.bitwise_and,
    "or": ops.bitwise_or,
    "xor": ops.bitwise_xor,
    "lshift": ops.bitwise_left_shift,
    "rshift": ops.bitwise_right_shift,
}
# (as torch's: ``a //= b`` and ``a %= b`` write into ``a``; ``a @= b`` rebinds ``a`` to
# ``a @ b`` and leaves the old tensor as it was)
_IN_PLACE_OPERATORS = (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "and",
    "or",
    "xor",
    "lshift",
    "rshift",
)


# ---- methods whose signature differs from their function's ---------------------------------
def to(self, *args, **kwargs) -> Tensor:
    """Convert the dtype and/or "move" to a device, with torch's three forms:
    ``t.to(device, dtype, non_blocking=False, copy=False)``, ``t.to(dtype)``,
    ``t.to(other_tensor)``. Returns ``self`` when nothing changes (unless ``copy=True``);
    the only device is the CPU, others fail as in a CPU build of torch.

    Example:
        >>> x = autograd.zeros(2); x.to("cpu", non_blocking=True) is x, x.to(autograd.float64).dtype
        (True, autograd.float64)
    """
    _, dtype, _, copy = _devices.parse_to(args, kwargs)
    if dtype is None or dtype.np == self._data.dtype:
        return self.clone() if copy else self
    return ops.to_dtype(self, dtype, copy=copy)


def type_(self, dtype=None, non_blocking=False):
    """With no argument, the type name torch gives (``'torch.FloatTensor'``, the name
    scripts compare with); with a dtype, a legacy type (``autograd.LongTensor``) or its
    name (``'torch.LongTensor'``), the converted tensor."""
    if dtype is None:
        return f"torch.{_dt.torch_name(self.dtype)}Tensor"
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        from . import legacy  # (legacy builds its types on the finished Tensor class)

        name = dtype.rpartition(".")[2]
        if dtype.startswith("torch.cuda."):
            _devices.check_move("cuda")
        if not hasattr(legacy, name):
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = getattr(legacy, name)
    return self.to(getattr(dtype, "dtype", dtype))


# ``x.float()`` is ``x.to(autograd.float32)``, and so on: torch's dtype shorthands. (By the
# dtype's name: ``autograd.bfloat16`` loads ml_dtypes, only when it is first used.)
_CONVERSIONS = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "bfloat16": "bfloat16",
    "long": "int64",
    "int": "int32",
    "bool": "bool",
    "short": "int16",
    "char": "int8",
    "byte": "uint8",
}


def _conversion(dtype_name):
    def method(self) -> Tensor:
        return self.to(getattr(_dt, dtype_name))

    method.__doc__ = f"``self.to(autograd.{dtype_name})`` (``self`` if it already is one)."
    return method


def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Compute the gradient of this tensor w.r.t. graph leaves (accumulates into ``.grad``)."""
    engine.backward(
        self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs
    )


def _new_options(self, dtype, device, requires_grad, pin_memory) -> dict:
    """The factory keywords of the ``new_*`` methods: this tensor's dtype unless one is given."""
    return dict(
        dtype=dtype or self.dtype,
        device=device,
        requires_grad=requires_grad,
        pin_memory=pin_memory,
    )


def new_tensor(
    self, data, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    return factories.tensor(data, **_new_options(self, dtype, device, requires_grad, pin_memory))


def _new_filled(factory):
    def method(
        self, *size, dtype=None, device=None, requires_grad=False, pin_memory=False
    ) -> Tensor:
        return factory(*size, **_new_options(self, dtype, device, requires_grad, pin_memory))

    method.__name__ = method.__qualname__ = f"new_{factory.__name__}"
    method.__doc__ = f"``autograd.{factory.__name__}(*size)`` with this tensor's dtype by default."
    return method


def new_full(
    self, size, fill_value, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    return factories.full(
        size, fill_value, **_new_options(self, dtype, device, requires_grad, pin_memory)
    )


def flip(self, *dims, **kwargs) -> Tensor:
    """Reverse the order along ``dims``: ``x.flip(0, 1)``, ``x.flip((0, 1))`` or
    ``x.flip(dims=(0, 1))``."""
    return ops.flip(self, kwargs["dims"] if "dims" in kwargs else sizes_arg(dims))


def where(self, condition, other) -> Tensor:
    """``autograd.where(condition, self, other)``."""
    return ops.where(condition, self, other)


def view_as(self, other) -> Tensor:
    return ops.reshape(self, other.shape)


def reshape_as(self, other) -> Tensor:
    return ops.reshape(self, other.shape)


def type_promote(self, other):
    return ops.result_type(self, other)


def apply_(self, fn):
    raise NotImplementedError("apply_ is not supported; use numpy on t.detach().numpy()")


def zero_(self) -> Tensor:
    return ops.fill_(self, 0)


def fill_(self, value) -> Tensor:
    return ops.fill_(self, value)


def copy_(self, src, non_blocking=False) -> Tensor:
    return ops.copy_(self, src)


def addcmul(self, t1, t2, value=1) -> Tensor:
    return ops.addcmul(self, t1, t2, value=value)


def addcdiv(self, t1, t2, value=1) -> Tensor:
    return ops.addcdiv(self, t1, t2, value=value)


def addcmul_(self, t1, t2, value=1) -> Tensor:
    return inplace_(self, ops.addcmul, t1, t2, value=value)


def addcdiv_(self, t1, t2, value=1) -> Tensor:
    return inplace_(self, ops.addcdiv, t1, t2, value=value)


def unsqueeze_(self, dim) -> Tensor:
    return ops.reshape_inplace_(self, ops.unsqueeze(self.detach(), dim).shape)


def squeeze_(self, dim=None) -> Tensor:
    return ops.reshape_inplace_(self, ops.squeeze(self.detach(), dim).shape)


def new(self, *args, dtype=None, device=None) -> Tensor:
    """The legacy constructor, in this tensor's dtype: ``x.new()`` (empty), ``x.new(2, 3)``
    (zeros of that shape: torch leaves them uninitialised), ``x.new([1, 2])`` or
    ``x.new(other_tensor)`` (the data)."""
    dtype = dtype or self.dtype
    if not args:
        return factories.zeros(0, dtype=dtype, device=device)
    if len(args) == 1 and not isinstance(args[0], (int, _Size)):
        return factories.tensor(args[0], dtype=dtype, device=device)
    return factories.zeros(*args, dtype=dtype, device=device)


def resize(self, *sizes) -> Tensor:
    """Deprecated (warns as torch): ``resize_`` applied to a copy."""
    import warnings

    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    return ops.resize_(self.detach().clone(), *sizes)


def new_empty_strided(
    self, size, stride, dtype=None, device=None, requires_grad=False, pin_memory=False
) -> Tensor:
    """``new_empty(size)``: the strides are accepted and ignored (see ``empty_strided``)."""
    return factories.empty_strided(
        size, stride, **_new_options(self, dtype, device, requires_grad, pin_memory)
    )


def polygamma(self, n) -> Tensor:
    return ops.polygamma(n, self)


def cholesky(self, upper=False) -> Tensor:
    return ops.cholesky(self, upper)


def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
    return ops.triangular_solve(self, A, upper, transpose, unitriangular)


METHODS = {
    **{f"__{k}__": fn for k, fn in _OPERATORS.items()},
    **{f"__r{k}__": _reflected(k, fn) for k, fn in _OPERATORS.items()},
    **{f"__i{k}__": _inplace_operator(k, _OPERATORS[k]) for k in _IN_PLACE_OPERATORS},
    "__neg__": ops.neg,
    "__abs__": ops.abs,
    "__invert__": ops.bitwise_not,
    "__eq__": ops.eq,
    "__ne__": ops.ne,
    "__lt__": ops.lt,
    "__le__": ops.le,
    "__gt__": ops.gt,
    "__ge__": ops.ge,
    "__getitem__": ops.getitem,
    "__setitem__": ops.setitem_,
    # ops without a registry entry (bool results, random fills), bound as they are
    **{name: getattr(ops, name) for name in ("allclose", "equal", "argwhere")},
    # the samplers and in-place random fills (torch has poisson and normal as functions only)
    **{n: getattr(ops.sampling, n) for n in ops.sampling.__all__ if n not in ("poisson", "normal")},
    "to": to,
    "type": type_,
    **{name: _conversion(dtype) for name, dtype in _CONVERSIONS.items()},
    "backward": backward,
    "new_tensor": new_tensor,
    "new_zeros": _new_filled(factories.zeros),
    "new_ones": _new_filled(factories.ones),
    "new_empty": _new_filled(factories.empty),
    "new_full": new_full,
    "flip": flip,
    "where": where,
    "view_as": view_as,
    "reshape_as": reshape_as,
    "type_promote": type_promote,
    "apply_": apply_,
    "zero_": zero_,
    "fill_": fill_,
    "fill_diagonal_": ops.fill_diagonal_,
    # in-place comparisons: 1/0 in the tensor's own dtype (``ge_`` and ``greater_equal_``, ...)
    **{
        f"{name}_": _inplace_method(f"{name}_", ops.compare.COMPARED_IN_PLACE[short])
        for short, names in [
            ("eq", ("eq",)),
            ("ne", ("ne", "not_equal")),
            ("lt", ("lt", "less")),
            ("le", ("le", "less_equal")),
            ("gt", ("gt", "greater")),
            ("ge", ("ge", "greater_equal")),
        ]
        for name in names
    },
    "copy_": copy_,
    "addcmul": addcmul,
    "addcdiv": addcdiv,
    "addcmul_": addcmul_,
    "addcdiv_": addcdiv_,
    "unsqueeze_": unsqueeze_,
    "t_": ops.t_,
    "transpose_": ops.transpose_,
    "swapaxes_": ops.transpose_,
    "swapdims_": ops.transpose_,
    "squeeze_": squeeze_,
    "polygamma": polygamma,
    "cholesky": cholesky,
    "triangular_solve": triangular_solve,
    "unfold": ops.shape.unfold_windows,
    "new": new,
    "resize": resize,
    "resize_": ops.resize_,
    "resize_as_": ops.resize_as_,
    "new_empty_strided": new_empty_strided,
}
for _name, _method in METHODS.items():  # (defined here, they belong to the Tensor class)
    if getattr(_method, "__module__", None) == __name__:
        _method.__name__, _method.__qualname__ = _name, f"Tensor.{_name}"
