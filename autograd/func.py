"""Function transforms in the style of ``torch.func`` (JAX-like): ``grad``, ``grad_and_value``,
``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian`` and ``vmap``.

A transform takes a function and returns a new function: ``grad(f)`` computes the gradient
of ``f``, ``vmap(f)`` maps ``f`` over a batch dimension. They compose -- ``grad(grad(f))``,
``jacrev(jacrev(f))``, ``vmap(grad(f))`` (per-example gradients) -- and the arguments need no
``requires_grad``: each transform differentiates with respect to fresh copies of them.

Arguments may be pytrees (tuples, lists, dicts of Tensors, see ``autograd._pytree``), so
``grad(loss)(params_dict, x, y)`` returns a dict of gradients shaped like ``params_dict``.

How it works here: every transform runs the function on tensors that record a graph and
calls ``autograd.grad`` on it (with ``create_graph=True`` while gradient recording is on, so
an enclosing transform or an ordinary ``backward()`` can differentiate the result again).
Results that depend on nothing outside the transforms are returned detached, like torch.
``vmap`` calls the function once per batch element and stacks the results (a correct loop;
torch runs the function once on batched tensors). ``jvp`` and ``jacfwd`` give the same
values as torch's forward mode, computed with reverse mode (the double-backward trick).

Example:
    >>> import autograd
    >>> from autograd.func import grad, vmap
    >>> f = lambda x: (x ** 3).sum()
    >>> grad(f)(autograd.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    >>> grad(grad(lambda x: x ** 3))(autograd.tensor(2.0))
    tensor(12.)
    >>> vmap(grad(f))(autograd.tensor([[1.0], [2.0]]))       # per-example gradients
    tensor([[ 3.],
            [12.]])
"""

from __future__ import annotations

import contextlib
import contextvars
import functools

import numpy as np

from . import random as _random
from ._pytree import StructureMismatch, broadcast_prefix, tree_flatten, tree_unflatten
from .tensor import AccumulateGrad
from .functional import _vjp_tensors, jacobian_rows
from .grad_mode import enable_grad, is_grad_enabled
from .tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap"]


# ---- the inputs a transform differentiates with respect to -----------------------------------
# Transforms nest (hessian = jacrev(jacrev(f))); each call runs at a level one deeper than the
# call enclosing it. The leaves a call creates are tagged with its level, so that it can tell
# its own leaves (and those of calls nested in it) from those of enclosing calls.
_level = contextvars.ContextVar("transform_level", default=0)


@contextlib.contextmanager
def _transform_call():
    """One transform level deeper, with grad mode on. Yields whether the caller had grad mode
    on: then the transform's own derivatives record a graph too (for an outer level)."""
    graph = is_grad_enabled()
    token = _level.set(_level.get() + 1)
    try:
        with enable_grad():
            yield graph
    finally:
        _level.reset(token)


def _wrap(x):
    """A fresh tensor standing for argument ``x`` inside one transform call. If ``x`` already
    requires grad (an enclosing transform's input, or a parameter) it stays connected to it,
    so the result can be differentiated again; otherwise it is a new leaf."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if x.requires_grad:
        return x[...]
    t = x.detach().requires_grad_(True)
    t._transform_level = _level.get()
    return t


def _reaches_outside(t, level) -> bool:
    """True if ``t``'s graph leads to a tensor requiring grad that was not created by the
    transform call at ``level`` or one nested in it."""
    if not isinstance(t, Tensor) or not t.requires_grad:
        return False
    if t.grad_fn is None:
        return getattr(t, "_transform_level", 0) < level
    stack, seen = [t.grad_fn], {t.grad_fn}
    while stack:
        node = stack.pop()
        if type(node) is AccumulateGrad:
            if getattr(node.variable, "_transform_level", 0) < level:
                return True
            continue
        for edge in node.next_edges:
            if edge is not None and edge[0] not in seen:
                seen.add(edge[0])
                stack.append(edge[0])
    return False


def _unwrap(tree, level):
    """Results as the caller sees them: detached unless they depend on something outside
    the transform call at ``level``."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten(
        [
            x if not isinstance(x, Tensor) or _reaches_outside(x, level) else x.detach()
            for x in leaves
        ],
        spec,
    )


def _argnums(argnums, args):
    if isinstance(argnums, int):
        nums = (argnums,)
    elif isinstance(argnums, tuple) and argnums and all(isinstance(a, int) for a in argnums):
        nums = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for a in nums:
        if not -len(args) <= a < len(args):
            raise RuntimeError(f"Got argnum={a}, but only {len(args)} positional inputs")
    nums = tuple(a % len(args) for a in nums)
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return nums


def _wrap_args(args, argnums):
    """``(new_args, flat_wrapped, rebuild)``: the arguments with the differentiated ones
    replaced by wrapped copies; ``rebuild(flat)`` shapes per-leaf results like those args."""
    nums = _argnums(argnums, args)
    specs, flat = [], []
    new_args = list(args)
    for a in nums:
        leaves, spec = tree_flatten(args[a])
        wrapped = [_wrap(x) for x in leaves]
        new_args[a] = tree_unflatten(wrapped, spec)
        specs.append((spec, len(leaves)))
        flat.extend(wrapped)

    def rebuild(values):
        out, k = [], 0
        for spec, n in specs:
            out.append(tree_unflatten(values[k : k + n], spec))
            k += n
        return out[0] if isinstance(argnums, int) else tuple(out)

    return new_args, flat, rebuild


def _split_aux(out, has_aux, api):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return out


def _gradients(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """``autograd.grad`` that gives zeros (not None or an error) for unreached inputs."""
    grads = _vjp_tensors(tuple(outputs), tuple(inputs), grad_outputs, create_graph, retain_graph)
    return [Tensor._make(np.zeros_like(x._data)) if g is None else g for g, x in zip(grads, inputs)]


# ---- grad --------------------------------------------------------------------------------------
def _call_at_level(func, args, kwargs, argnums, has_aux, what):
    """Inside a transform's level: ``func`` on the arguments wrapped for differentiation;
    returns ``(level, flat inputs, rebuild, output, aux)``."""
    level = _level.get()
    new_args, flat, rebuild = _wrap_args(args, argnums)
    out, aux = _split_aux(func(*new_args, **kwargs), has_aux, what)
    return level, flat, rebuild, out, aux


def grad_and_value(func, argnums=0, has_aux=False):
    """``grad_and_value(f)(*args) -> (gradient, value)`` for a function returning a scalar
    Tensor (``(gradient, (value, aux))`` with ``has_aux=True``, where ``f`` returns
    ``(value, aux)``). ``argnums`` picks the argument(s) to differentiate.

    Example:
        >>> g, v = grad_and_value(lambda x: (x * x).sum())(autograd.tensor([1.0, 2.0]))
        >>> g, v
        (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _transform_call() as graph:
            level, flat, rebuild, out, aux = _call_at_level(
                func, args, kwargs, argnums, has_aux, "grad_and_value(f)(*args)"
            )
            if not isinstance(out, Tensor):
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a "
                    f"Tensor, got {type(out)}"
                )
            if out.ndim != 0:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a "
                    f"scalar Tensor, got tensor with {out.ndim} dims. Maybe you "
                    "wanted to use the vjp or jacrev APIs instead?"
                )
            grads = _gradients([out], flat, None, create_graph=graph)
        grads = rebuild([_unwrap(g, level) for g in grads])
        value = _unwrap(out, level)
        return (grads, (value, _unwrap(aux, level))) if has_aux else (grads, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``grad(f)(*args)``: the gradient of a scalar-valued ``f`` with respect to
    ``args[argnums]`` (a tuple of gradients for a tuple ``argnums``; pytree arguments give
    pytree gradients). With ``has_aux=True`` ``f`` returns ``(value, aux)`` and ``grad``
    returns ``(gradient, aux)``.

    Example:
        >>> x, y = autograd.tensor([1.0]), autograd.tensor([3.0])
        >>> grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(x, y)
        (tensor([3.]), tensor([1.]))
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = gv(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


# ---- vjp / jvp ---------------------------------------------------------------------------------
def _tensor_outputs(out, api):
    leaves, spec = tree_flatten(out)
    for x in leaves:
        if not isinstance(x, Tensor):
            raise RuntimeError(
                f"{api}: expected f(*primals) to return only tensors, got "
                f"unsupported type {type(x)}"
            )
    return leaves, spec


def vjp(func, *primals, has_aux=False):
    """``vjp(f, *primals) -> (f(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` returns, for each
    primal, the product ``cotangents^T J`` (a tuple). ``vjp_fn`` can be called many times.

    Example:
        >>> out, vjp_fn = vjp(lambda x: x ** 2, autograd.tensor([1.0, 3.0]))
        >>> vjp_fn(autograd.tensor([1.0, 1.0]))
        (tensor([2., 6.]),)
    """
    with _transform_call():
        level = _level.get()
        new_args, flat, rebuild = _wrap_args(primals, tuple(range(len(primals))))
        out, aux = _split_aux(func(*new_args), has_aux, "vjp(f, *primals)")
        out_leaves, out_spec = _tensor_outputs(out, "vjp(f, *primals)")

    def vjp_fn(cotangents):
        ct_leaves, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree "
                f"structure of outputs to the function. cotangents: {ct_spec!r}, "
                f"primal output: {out_spec!r}"
            )
        graph = is_grad_enabled()
        with enable_grad():
            grads = _gradients(
                out_leaves, flat, tuple(ct_leaves), create_graph=graph, retain_graph=True
            )
        return rebuild([_unwrap(g, level) for g in grads])

    result = (_unwrap(out, level), vjp_fn)
    return result + (_unwrap(aux, level),) if has_aux else result


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``jvp(f, primals, tangents) -> (f(*primals), J @ tangents)``: the directional derivative
    of ``f`` along ``tangents``. Torch uses forward mode; here it is the double-backward trick
    (the VJP ``u -> u^T J`` is linear in ``u``, and its VJP with ``tangents`` is ``J v``).

    Example:
        >>> jvp(lambda x: x ** 2, (autograd.tensor([1.0, 3.0]),), (autograd.tensor([1.0, 0.0]),))
        (tensor([1., 9.]), tensor([2., 0.]))
    """
    if not isinstance(primals, tuple):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
            "should be valid to call f(*primals)."
        )
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the "
            "same python structure. For example, if primals is a tuple of 3 "
            "tensors, tangents also must be."
        )
    with _transform_call() as graph:
        level = _level.get()
        new_args, flat, _ = _wrap_args(primals, tuple(range(len(primals))))
        t_leaves, _ = tree_flatten(tangents)
        for p, t in zip(flat, t_leaves):
            if not isinstance(t, Tensor) or t.shape != p.shape:
                raise RuntimeError(
                    "jvp(f, primals, tangents): Expected primals and tangents to "
                    "have the same shape"
                )
        out, aux = _split_aux(func(*new_args), has_aux, "jvp(f, primals, tangents)")
        out_leaves, out_spec = _tensor_outputs(out, "jvp(f, primals, tangents)")
        dummies = [
            Tensor._make(np.zeros_like(o._data), requires_grad=o.is_floating_point())
            for o in out_leaves
        ]
        grad_inputs = _vjp_tensors(tuple(out_leaves), tuple(flat), tuple(dummies), True)
        pairs = [(g, t) for g, t in zip(grad_inputs, t_leaves) if g is not None]
        tangent_out = _gradients(
            [g for g, _ in pairs], dummies, tuple(t for _, t in pairs), create_graph=graph
        )
    tangent_out = tree_unflatten([_unwrap(t, level) for t in tangent_out], out_spec)
    result = (_unwrap(out, level), tangent_out)
    return result + (_unwrap(aux, level),) if has_aux else result


# ---- Jacobians and Hessians ---------------------------------------------------------------------
def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """``jacrev(f)(*args)``: the Jacobian of ``f`` with respect to ``args[argnums]`` by reverse
    mode (one VJP per output element). For an output of shape ``O`` and an argument of shape
    ``A`` the block has shape ``O + A``; pytree outputs/arguments give nested results
    (outputs outside, arguments inside). ``chunk_size`` is accepted (torch batches the VJPs
    in chunks; here they run one by one).

    Example:
        >>> jacrev(lambda x: x.sin())(autograd.tensor([0.0, 0.0]))
        tensor([[1., 0.],
                [0., 1.]])
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _transform_call() as graph:
            level, flat, rebuild, out, aux = _call_at_level(
                func, args, kwargs, argnums, has_aux, "vjp(f, *primals)"
            )
            out_leaves, out_spec = _tensor_outputs(out, "vjp(f, *primals)")
            blocks = [jacobian_rows(o, tuple(flat), graph) for o in out_leaves]
        jac = tree_unflatten(
            [rebuild([_unwrap(b, level) for b in per_out]) for per_out in blocks], out_spec
        )
        return (jac, _unwrap(aux, level)) if has_aux else jac

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``jacfwd(f)(*args)``: the same Jacobian as ``jacrev`` (torch builds it column by column
    in forward mode; jitgrad has no forward mode and computes it in reverse mode)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """``hessian(f)(*args)``: the matrix of second derivatives of a scalar ``f`` (the Jacobian
    of its gradient), of shape ``A + A`` for an argument of shape ``A``.

    Example:
        >>> hessian(lambda x: (x ** 3).sum())(autograd.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacrev(jacrev(func, argnums), argnums)


# ---- vmap --------------------------------------------------------------------------------------
@contextlib.contextmanager
def _randomness(mode):
    if mode == "different":
        yield None
        return
    token = _random._vmap_randomness.set(mode)
    try:
        yield _random.default_generator.get_state() if mode == "same" else None
    finally:
        _random._vmap_randomness.reset(token)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``vmap(f)(*args)``: ``f`` applied to every slice of the arguments along their
    ``in_dims`` (an int for all of them, None for an argument that is not batched, or a
    pytree prefix of the arguments), with the results stacked along ``out_dims``.

    ``f`` is written for one example; ``vmap`` runs it for each and stacks the results (the
    slices are differentiable views, so gradients flow through). ``randomness``: ``"error"``
    (random ops inside ``f`` raise, torch's default), ``"different"`` (each example draws its
    own numbers) or ``"same"`` (every example sees the same numbers).

    Example:
        >>> x, w = autograd.tensor([[1.0, 2.0], [3.0, 4.0]]), autograd.tensor([1.0, -1.0])
        >>> vmap(lambda row, w: (row * w).sum(), in_dims=(0, None))(x, w)
        tensor([-1., -1.])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or "
            f"'same'. Got {randomness}"
        )
    name = getattr(func, "__name__", repr(func))

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
        if not args:
            raise ValueError(
                f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add "
                "inputs, or you are trying to vmap over a function with no inputs. "
                "The latter is unsupported."
            )
        if not isinstance(in_dims, (int, tuple)):
            raise ValueError(
                f"{where}: expected `in_dims` to be int or a (potentially nested) "
                "tuple matching the structure of inputs, got: "
                f"{type(in_dims)}."
            )
        leaves, spec = tree_flatten(args)
        try:
            dims = broadcast_prefix(in_dims, args)
        except StructureMismatch as e:
            raise ValueError(
                f"{where}: in_dims is not compatible with the structure of "
                f"`inputs`. in_dims has structure {e.args[0]!r} but inputs has "
                f"structure {e.args[1]!r}."
            ) from None
        size = _batch_size(leaves, dims, where)
        with _randomness(randomness) as state:
            outs = []
            for b in range(max(size, 1)):
                if state is not None:
                    _random.default_generator.set_state(state)
                example = [_example(x, d, b, size) for x, d in zip(leaves, dims)]
                outs.append(func(*tree_unflatten(example, spec), **kwargs))
        return _stack_outputs(outs, size, out_dims, name)

    return wrapper


def _batch_size(leaves, dims, where):
    sizes = []
    for x, d in zip(leaves, dims):
        if d is None:
            continue
        if not isinstance(x, Tensor):
            raise ValueError(
                f"{where}: Got in_dim={d} for an input but the input is of type "
                f"{type(x)}. We cannot vmap over non-Tensor arguments, please use "
                "None as the respective in_dim"
            )
        if not isinstance(d, int) or not -x.ndim <= d < x.ndim:
            raise ValueError(
                f"{where}: Got in_dim={d} for some input, but that input is a "
                f"Tensor of dimensionality {x.ndim} so expected in_dim to satisfy "
                f"-{x.ndim} <= in_dim < {x.ndim}."
            )
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped "
            f"dimension, got sizes {sizes} for the mapped dimension"
        )
    return sizes[0]


def _example(x, d, b, size):
    """Slice ``b`` of ``x`` along ``d`` (a differentiable view); for an empty batch, zeros
    of one example's shape, only to learn the shapes of the outputs."""
    if d is None:
        return x
    if size == 0:
        return x.sum(d) * 0
    return x.select(d, b)


def _stack_outputs(outs, size, out_dims, name):
    from .ops import stack

    flat = [tree_flatten(o) for o in outs]
    leaves0, spec = flat[0]
    try:
        dims = broadcast_prefix(out_dims, tree_unflatten(leaves0, spec))
    except StructureMismatch as e:
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
            "compatible with the structure of `outputs`. out_dims has structure "
            f"{e.args[0]!r} but outputs has structure {e.args[1]!r}."
        ) from None
    results = []
    for i, d in enumerate(dims):
        values = [leaves[i] for leaves, _ in flat]
        if d is None:
            first = values[0]
            if isinstance(first, Tensor) and any(
                not np.array_equal(first._data, v._data) for v in values[1:]
            ):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                    "when out_dim is None"
                )
            results.append(first)
            continue
        for v in values:
            if not isinstance(v, Tensor):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` must only return Tensors, got "
                    f"type {type(v)}. Did you mean to set out_dims= to None for "
                    "output?"
                )
        stacked = stack(values, d)
        if size == 0:
            stacked = stacked.narrow(d if d >= 0 else d + stacked.ndim, 0, 0)
        results.append(stacked)
    return tree_unflatten(results, spec)
