"""Shared helpers for the op families: operands, promotion, broadcasting, dims.

Broadcasting is handled here and only here: an operand that requires grad and is smaller
than the result is expanded by the differentiable ``expand`` op, whose VJP sums the
gradient back to the operand's shape. Ops themselves therefore never un-broadcast.
"""

from __future__ import annotations

import inspect

import numpy as np

from .. import dtypes as _dt
from ..errors import DTypeError, ShapeError
from ..forward_ad import linear_jvp, sum_terms
from .. import function as _function
from ..function import Op
from ..tensor import _SCALAR_NAMES, Tensor
from ..dtypes import FLOAT_KINDS

_np_default = {}  # cache: Python-number kind -> numpy dtype under the current default


class ZeroGradInput(Op):
    """``out`` unchanged, with ``input`` recorded as a further input whose gradient is zero.

    torch gives an input that cannot change the result a zero gradient, not None (addmm's
    ``input`` with beta=0, grid_sample's ``grid`` with mode='nearest'); its values, nan and
    inf included, never reach ``out``."""

    jvp = staticmethod(linear_jvp)  # out's tangent is the tangent of out

    @staticmethod
    def forward(ctx, out, input):
        ctx.input_shape = input.shape
        return out  # (a fresh intermediate of the caller's: nobody else holds it)

    @staticmethod
    def backward(ctx, g, xp):
        return g, xp.zeros_like(xp.expand(g.sum(), ctx.input_shape))


def as_tensor_operand(x, dt=None) -> Tensor:
    """Turn a Tensor, number or array into a Tensor (numbers/arrays become constants)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        arr = x if dt is None else x.astype(dt.np, copy=False)
        return Tensor._make(arr)
    if dt is None:
        dt = _dt.scalar_dtype(x)
    try:
        return Tensor._make(np.asarray(x, dtype=dt.np))
    except OverflowError:
        if type(x) is not int or dt.is_floating_point:
            raise
        return Tensor._make(_dt.wrapped_int(x, dt.np))  # wrapped into the dtype, as torch does
    except (TypeError, ValueError):
        raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}") from None


def broadcast_shapes(*shapes) -> tuple:
    """NumPy/PyTorch broadcasting of shapes, with PyTorch's error message."""
    ndim = max(len(s) for s in shapes)
    out = [1] * ndim
    for k, s in enumerate(shapes):
        for i, n in enumerate(s):
            j = ndim - len(s) + i
            if out[j] == 1:
                out[j] = n
            elif n != 1 and n != out[j]:
                # find the first operand that set this dim, to name both
                for other in shapes[:k]:
                    oj = j - (ndim - len(other))
                    if oj >= 0 and other[oj] not in (1,):
                        a_size = other[oj]
                        break
                else:
                    a_size = out[j]
                raise ShapeError(
                    f"The size of tensor a ({a_size}) must match the size of tensor b "
                    f"({n}) at non-singleton dimension {i}"
                )
    return tuple(out)


def tracked(t: Tensor) -> bool:
    """True when ``t`` must go through differentiable ops: it requires grad, or it carries a
    forward-mode tangent (autograd.forward_ad)."""
    return t._requires_grad or t._fw is not None


def cast(t: Tensor, dt) -> Tensor:
    """Differentiable dtype cast (no-op when already that dtype)."""
    if t._data.dtype == dt.np:
        return t
    from .arithmetic import to_dtype

    return to_dtype(t, dt)  # (an op, also without grad: autograd.compile sees it)


def expand_to(t: Tensor, shape) -> Tensor:
    """Broadcast ``t`` to ``shape``: through the differentiable expand if it needs grad."""
    if t._data.shape == tuple(shape):
        return t
    if t._requires_grad or t._fw is not None:
        from .movement import expand

        return expand(t, shape)
    return t  # constants broadcast for free inside NumPy


def operands(*xs, promote_to=None, floating=False, opname="op"):
    """Prepare the inputs of an elementwise op: Tensors of one dtype, broadcast.

    ``floating=True`` promotes integer results to the default float (``exp``, true ``div``).
    Returns (tensors, out_shape, dtype).
    """
    # Fast paths for the common cases in training loops, each returning exactly what the
    # general path below would (the same tensors: nothing to promote or broadcast). They
    # run once per elementwise op, so they avoid anything costly: dtypes are compared by
    # identity first (NumPy's built-in dtypes are singletons; ``==`` is the slow fallback).
    first = xs[0]
    if type(first) is Tensor and promote_to is None:
        arr = first._data
        dt = arr.dtype
        n = len(xs)
        if n == 1:  # unary op
            if not floating or dt.kind in FLOAT_KINDS:
                return xs, arr.shape, None
        elif n == 2:
            other = xs[1]
            if type(other) is Tensor:  # tensor (op) tensor of the same dtype and shape
                o = other._data
                if (
                    (o.dtype is dt or o.dtype == dt)
                    and o.shape == arr.shape
                    and (not floating or dt.kind in FLOAT_KINDS)
                ):
                    return xs, arr.shape, None
            elif dt.kind in FLOAT_KINDS and type(other) in (float, int):
                # floating tensor (op) Python number: the number adopts the tensor's dtype
                # and broadcasts for free (``x * 2.0``)
                return (first, Tensor._make(np.asarray(other, dt))), arr.shape, None
        else:
            for x in xs[1:]:
                if type(x) is not Tensor or x._data.dtype != dt or x._data.shape != arr.shape:
                    break
            else:
                if not floating or dt.kind in FLOAT_KINDS:
                    return xs, arr.shape, None
    elif (
        len(xs) == 2
        and type(xs[1]) is Tensor
        and type(first) in (float, int)
        and xs[1]._data.dtype.kind in FLOAT_KINDS
        and promote_to is None
    ):
        # Python number (op) floating tensor: ``2.0 * x``
        return (Tensor._make(np.asarray(first, xs[1]._data.dtype)), xs[1]), xs[1]._data.shape, None
    dt = promote_to or _dt.result_type(*xs)
    if floating and not dt.is_floating_point:
        dt = _dt.get_default_dtype()
    ts = [cast(as_tensor_operand(x, dt), dt) for x in xs]
    shape = broadcast_shapes(*[t._data.shape for t in ts]) if len(ts) > 1 else ts[0]._data.shape
    ts = [expand_to(t, shape) for t in ts]
    return ts, shape, dt


def binary_operands(a, b):
    """``operands(a, b)[0]`` for the arithmetic operators (``+ - *``), with the commonest
    case first: two tensors of one dtype and shape need nothing, and this check is several
    times cheaper than ``operands``' general signature (it runs once per ``y + b``). A
    subclass (``nn.Parameter``: a Linear's ``h @ w.T + bias``) is a Tensor to ``operands``
    too, so it takes the same paths."""
    if type(a) is Tensor or isinstance(a, Tensor):
        x = a._data
        if type(b) is Tensor or isinstance(b, Tensor):
            y = b._data
            if x.dtype is y.dtype:
                if x.shape == y.shape:
                    return a, b
                # one dtype, shapes that broadcast (``h @ w.T + bias``): nothing to promote
                # (result_type of one dtype is that dtype), only the broadcast to do
                shape = broadcast_shapes(x.shape, y.shape)
                return expand_to(a, shape), expand_to(b, shape)
        elif type(b) is float or type(b) is int:
            # ``y * 2.0``, ``i + 1``: a Python number takes the dtype of a tensor of its kind or
            # a higher one (float tensor and any number, integer tensor and int: result_type
            # gives the tensor's dtype, and the number broadcasts for free). ``_number``: a
            # saved number is kept as its value only (add, sub and mul use it for that call)
            kind = x.dtype.kind
            if kind in FLOAT_KINDS or (kind in "iu" and type(b) is int):
                return a, Tensor._number(b, x.dtype)
    return operands(a, b)[0]


def forward_only(op, a: Tensor, b: Tensor):
    """``op`` on two tensors that need no gradient, without ``Op.apply``'s bookkeeping (a fast
    path for index arithmetic such as ``i + 1`` in a batch loader): the same tensor
    ``op.apply(a, b)`` gives, since it records nothing either. None when ``op.apply`` is
    needed (``function.plain_eager``). (Callers check ``requires_grad`` first.)"""
    if not _function.plain_eager():
        return None
    token = _function._np_err.set(_function._NP_QUIET)  # NumPy's warnings off, as Op.apply
    try:
        out = op.forward(_function._NO_RECORD, a._data, b._data)
    finally:
        _function._np_err.reset(token)
    return Tensor._make(out)


def wrap_dim(dim, ndim: int) -> int:
    """Normalise a dim (negative counts from the end) with PyTorch's IndexError."""
    if type(dim) is int and 0 <= dim < ndim:  # (the commonest case: already normalised)
        return dim
    n = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return int(dim) % n


def wrap_dims(dim, ndim: int):
    """``None`` -> all dims; int or sequence -> sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dims = (wrap_dim(dim, ndim),)
    else:
        dims = tuple(wrap_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            twice = next(d for i, d in enumerate(dims) if d in dims[:i])
            raise RuntimeError(f"dim {twice} appears multiple times in the list of dims")
    if ndim == 0:
        return ()
    return tuple(sorted(dims))


def reduce_dims(dim, ndim: int):
    """``wrap_dims`` for the sum family (sum, mean, var, norm ...), where an empty ``dim``
    means every dim, as in torch: ``x.sum(dim=())`` is the sum of all elements."""
    if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 0:
        dim = None
    return wrap_dims(dim, ndim)


def sizes_arg(args, error: str = "sizes must be ints") -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])`` / a Size for shape arguments (one-
    element tensors count as ints); anything else raises ``TypeError(f"{error}, got ...")``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{error}, got {type(a).__name__}")
        out.append(int(a))
    return tuple(out)


def require_float(t: Tensor, opname: str):
    if t._data.dtype.kind not in FLOAT_KINDS:
        raise DTypeError(f"{opname}: expected a floating point tensor, got {t.dtype}")


def require_0d_value(value: Tensor, message: str) -> None:
    """The value tensor of a fill (``fill_``, ``masked_fill``, ``index_fill``) must be 0-d:
    otherwise torch's RuntimeError, ``message`` formatted with the tensor's ``ndim``."""
    if value.ndim != 0:
        raise RuntimeError(message.format(ndim=value.ndim))


def shape_of(x):
    return x._data.shape if isinstance(x, Tensor) else np.shape(x)


def float_input(input, opname: str, name: str = "input") -> Tensor:
    """``input`` itself when it is a floating point Tensor; otherwise torch's TypeError (not a
    Tensor) or a DTypeError naming the op, the argument (``name``: "weight" ...) and the fix."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{opname}(): argument '{name}' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind not in FLOAT_KINDS:
        raise DTypeError(
            f"{opname}(): expected a floating point {name}, got {input.dtype} "
            f"(convert it first, e.g. x.float())"
        )
    return input


def named_function(fn, name: str, doc: str):
    """``fn``, the inner function of a factory that writes one signature for a family of
    public functions (conv_transpose1d/2d/3d, gru_cell/rnn_tanh_cell ...), named and
    documented as the public ``name``: ``help()``, tracebacks and pickling then show ``name``.

    Example (conv_transpose.py):
        ``conv_transpose1d = _conv_transpose_nd(1, "Transposed 1-D convolution ...")``
    """
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def unary_op(name: str, forward, grad, doc: str, module: str | None = None) -> type:
    """An ``Op`` of one tensor: ``forward(x)`` on arrays, and its VJP ``grad(g, x, xp)`` from
    the saved input -- or ``grad(g, y, xp)`` from the saved output, when the derivative's
    second parameter is named ``y`` (e.g. exp, sigmoid). The class is named ``name``, so its
    ``grad_fn`` is ``<name>Backward0``.

    Example:
        >>> Cube = unary_op("Cube", lambda x: x ** 3, lambda g, x, xp: 3 * g * x * x, "x**3")
    """
    uses = list(inspect.signature(grad).parameters)[1]
    if uses not in ("x", "y"):
        raise ValueError(f"{name}: the derivative's 2nd parameter must be x (input) or y (output)")

    if uses == "y":

        def forward_(ctx, x):
            y = forward(x)
            ctx.save_for_backward(y)
            return y
    else:

        def forward_(ctx, x):
            ctx.save_for_backward(x)
            return forward(x)

    def backward(ctx, g, xp):
        (v,) = ctx.saved_tensors
        return grad(g, v, xp)

    def jvp(ctx, tangents, xp):
        # elementwise, so forward mode is the same product: the derivative times the tangent
        (v,) = ctx.saved_tensors
        return grad(tangents[0], v, xp)

    return type(
        name,
        (Op,),
        {
            "__doc__": doc,
            "__module__": module or grad.__module__,
            "forward": staticmethod(forward_),
            "backward": staticmethod(backward),
            "jvp": staticmethod(jvp),
        },
    )


def linear_op(name: str, forward, grad, doc: str) -> type:
    """An ``Op`` linear in its inputs that saves nothing (neg, add, sub, clone):
    ``forward(*arrays)`` on arrays and its VJP ``grad(ctx, g, xp)``, one gradient per input
    (``ctx.needs_input_grad`` says which are wanted). Forward mode is the op on the tangents
    (``linear_jvp``). The class is named ``name``, so its ``grad_fn`` is ``<name>Backward0``.

    Example:
        >>> Twice = linear_op("Twice", lambda x: 2 * x, lambda ctx, g, xp: 2 * g, "2x")
    """

    if getattr(forward, "nin", None) == 2:  # a binary ufunc (add, sub): no ``*arrays`` tuple

        def forward_(ctx, a, b):
            return forward(a, b)
    else:

        def forward_(ctx, *arrays):
            return forward(*arrays)

    return type(
        name,
        (Op,),
        {
            "__doc__": doc,
            "__module__": grad.__module__,
            "forward": staticmethod(forward_),
            "backward": staticmethod(grad),
            "jvp": staticmethod(linear_jvp),
        },
    )


def binary_op(name: str, forward, grad_a, grad_b, doc: str, *, with_output: bool = False) -> type:
    """An ``Op`` of two tensors that saves both for its VJP: ``forward(a, b)`` on arrays, and
    the gradients ``grad_a(g, a, b, xp)`` and ``grad_b(g, a, b, xp)``, each computed only when
    that input needs one (written with operators and ``xp``, like any VJP). With
    ``with_output=True`` the output is saved too and the gradients are
    ``grad_a(g, a, b, out, xp)`` (for derivatives cheapest from the result, e.g. hypot's
    ``a / out``). The same products with the tangents are its forward-mode ``jvp``. The class
    is named ``name``, so its ``grad_fn`` is ``<name>Backward0``.

    Example:
        >>> Hypot2 = binary_op("Hypot2", lambda a, b: a * a + b * b,
        ...                    lambda g, a, b, xp: 2 * g * a, lambda g, a, b, xp: 2 * g * b,
        ...                    "a**2 + b**2")
    """

    def forward_(ctx, a, b):
        out = forward(a, b)
        if with_output:
            ctx.save_for_backward(a, b, out)
        else:
            ctx.save_for_backward(a, b)
        return out

    def backward(ctx, g, xp):
        saved = ctx.saved_tensors  # (a, b) or (a, b, out): the grads' arguments after g
        need_a, need_b = ctx.needs_input_grad
        return (
            (grad_a(g, *saved, xp) if need_a else None),
            (grad_b(g, *saved, xp) if need_b else None),
        )

    def jvp(ctx, tangents, xp):
        # elementwise: the same products with the tangents (autograd.forward_ad)
        saved = ctx.saved_tensors
        ta, tb = tangents
        return sum_terms(
            [
                grad_a(ta, *saved, xp) if ta is not None else None,
                grad_b(tb, *saved, xp) if tb is not None else None,
            ]
        )

    return type(
        name,
        (Op,),
        {
            "__doc__": doc,
            "__module__": grad_a.__module__,
            "forward": staticmethod(forward_),
            "backward": staticmethod(backward),
            "jvp": staticmethod(jvp),
        },
    )


# ---- torch's dtype messages, shared by the families that refuse a dtype -------------------
_ERR_ALL = dict(divide="ignore", invalid="ignore", over="ignore")  # torch gives inf/nan silently


def _torch_dtype_name(npdt) -> str:
    """PyTorch's short type names, used in its 'not implemented for' messages."""
    return _SCALAR_NAMES.get(np.dtype(npdt).name, str(npdt))


def _reject(opname, kernel, t: Tensor, hint=""):
    """Raise torch's '"<kernel>" not implemented for 'Bool'' error, with a hint for the fix."""
    raise DTypeError(
        f"\"{kernel}\" not implemented for '{_torch_dtype_name(t._data.dtype)}' "
        f"({opname} does not support {t.dtype} tensors{'; ' + hint if hint else ''})"
    )
