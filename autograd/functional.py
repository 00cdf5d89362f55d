"""Higher-level differentiation of whole functions (mirrors ``torch.autograd.functional``).

Each function takes a Python function ``func`` of Tensors and the point ``inputs`` (a Tensor
or a tuple of Tensors) and returns derivatives of ``func`` there:

* ``vjp(func, inputs, v)``: ``v^T J`` -- one backward pass;
* ``jvp(func, inputs, v)``: ``J v`` -- by the "double-backward trick": the VJP
  ``u -> u^T J`` is linear in ``u``, so differentiating it with respect to ``u`` in the
  direction ``v`` gives ``J v`` (two backward passes; there is no forward mode here);
* ``jacobian(func, inputs)``: the full ``J``, one VJP per output element;
* ``hessian(func, inputs)``: the Jacobian of the gradient of a scalar function;
* ``vhp`` / ``hvp``: ``v^T H`` and ``H v`` without forming ``H``.

Like torch, the inputs are never modified and the results do not require grad unless
``create_graph=True``, which records the computation so that the results can be
differentiated again. With ``strict=True`` an output that does not depend on an input is an
error; otherwise its derivative is a tensor of zeros (the mathematically right value).

Example:
    >>> import autograd
    >>> from autograd.functional import jacobian, hessian
    >>> jacobian(lambda x: x ** 2, autograd.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    >>> hessian(lambda x: (x ** 3).sum(), autograd.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
"""

from __future__ import annotations

import numpy as np

from .engine import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from .tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---- argument handling (torch's checks and messages) -----------------------------------------
def _as_tuple(value, arg_name, fn_name):
    """``(was_a_tuple, tuple_of_tensors)``; anything but Tensors is refused."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                f"tuple of Tensors but the {where} has type {type(el)}."
            )
    return is_tuple, items


def _untuple(res, was_tuple):
    return res if was_tuple else res[0]


def _prepare(inputs, create_graph):
    """Fresh Tensors to differentiate with respect to, so that ``func`` cannot confuse them
    with the caller's tensors it may capture. With ``create_graph`` an input that requires
    grad stays connected to its history (a view of it); otherwise it is detached."""
    return tuple(
        x[...] if create_graph and x.requires_grad else x.detach().requires_grad_(True)
        for x in inputs
    )


def _prepare_v(v, create_graph):
    return tuple(x if create_graph and x.requires_grad else x.detach() for x in v)


def _check_v(v, other, other_is_tuple):
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            where = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.shape} but got {a.shape}.")


def _check_connected(tensors, kind, strict):
    """strict mode: every output (or intermediate gradient) must depend on the inputs."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:  # (only gradients can be missing)
            raise RuntimeError(
                f"The output of the user-provided function is independent of "
                f"input {i}. This is not allowed in strict mode."
            )
        if t.requires_grad:
            continue
        if kind == "outputs":
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require "
                "gradients. The outputs must be computed in a differentiable "
                "manner from the input when running in strict mode."
            )
        if kind == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the "
                "inputs of the user-provided function. This is not allowed in "
                "strict mode."
            )
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the "
                f"user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. "
                "You should ensure that your function is twice differentiable "
                "and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example)."
            )
        raise RuntimeError(
            f"The hessian of the user-provided function with respect to input {i}"
            " is independent of the input. This is not allowed in strict mode. "
            "You should ensure that your function is thrice differentiable and "
            "that the hessian depends on the inputs."
        )


def _vjp_tensors(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """autograd.grad over the outputs that require grad; None for unreached inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    wanted = [i for i, x in enumerate(inputs) if x.requires_grad]
    if not pairs or not wanted:
        return (None,) * len(inputs)
    res = _grad(
        [o for o, _ in pairs],
        [inputs[i] for i in wanted],
        [g for _, g in pairs],
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
    )
    out = [None] * len(inputs)
    for i, g in zip(wanted, res):
        out[i] = g
    return tuple(out)


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode "
    "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i}"
    " in the grad_jacobian. This is not allowed in strict mode as it "
    "prevents from using the double backward trick to replace forward "
    "mode AD.",
}


def _zeros_for_none(grads, refs, strict, create_graph, stage):
    """Replace missing gradients by zeros (or, in strict mode, raise torch's error)."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = Tensor._make(np.zeros_like(ref._data))
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of "
                f"input {i}. This is not allowed in strict mode when "
                "create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _finish(tensors, create_graph):
    return tuple(tensors) if create_graph else tuple(t.detach() for t in tensors)


def _call(func, inputs, fn_name, strict):
    was_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _check_connected(outputs, "outputs", strict)
    return was_tuple, outputs


def _prepared_inputs(inputs, fn_name, create_graph):
    """(whether ``inputs`` was a tuple, the inputs as a tuple of tensors requiring grad)."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    return inputs_tuple, _prepare(inputs, create_graph)


_SINGLE_INPUT = "the input to the user-provided function is"


def _prepared_v(v, fn_name, create_graph, like, like_is_tuple, single):
    """The vector ``v`` of a product as a tuple shaped like ``like`` (the outputs for vjp, the
    inputs otherwise). It may be None only where ``like`` is one single-element tensor;
    ``single`` names that tensor in the error."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(
                f"The vector v can only be None if {single} a single Tensor with a single element."
            )
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _prepare_v(v, create_graph)
    _check_v(v, like, like_is_tuple)
    return v


def _last_backward(outputs, inputs, v, refs, strict, create_graph, stage):
    """The last backward pass of a product, after the graph was recorded: it records a graph
    itself only when ``create_graph`` (or grad mode) asks; what it does not reach gets zeros
    shaped like ``refs``."""
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _vjp_tensors(outputs, inputs, v, create_graph)
        res = _zeros_for_none(res, refs, strict, create_graph, stage)
    return _finish(res, create_graph)


# ---- public functions ------------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    ``v`` has the shape of ``func``'s output (it may be omitted when that is a single
    element). The result has the shape of ``inputs``.

    Example:
        >>> x, v = autograd.tensor([1.0, 3.0]), autograd.tensor([1.0, 0.5])
        >>> out, g = vjp(lambda x: x ** 2, x, v)
        >>> g
        tensor([2., 3.])
    """
    with enable_grad():
        inputs_tuple, inputs = _prepared_inputs(inputs, "vjp", create_graph)
        outputs_tuple, outputs = _call(func, inputs, "vjp", strict)
        single = "the user-provided function returns"
        v = _prepared_v(v, "vjp", create_graph, outputs, outputs_tuple, single)
    grads = _last_backward(outputs, inputs, v, inputs, strict, create_graph, "back")
    return (
        _untuple(_finish(outputs, create_graph), outputs_tuple),
        _untuple(grads, inputs_tuple),
    )


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product at ``inputs``, in the direction
    ``v`` (shaped like ``inputs``), by the double-backward trick.

    Example:
        >>> x, v = autograd.tensor([1.0, 3.0]), autograd.tensor([1.0, 0.5])
        >>> out, t = jvp(lambda x: x ** 2, x, v)
        >>> t
        tensor([2., 3.])
    """
    with enable_grad():
        inputs_tuple, inputs = _prepared_inputs(inputs, "jvp", create_graph)
        v = _prepared_v(v, "jvp", create_graph, inputs, inputs_tuple, _SINGLE_INPUT)
        outputs_tuple, outputs = _call(func, inputs, "jvp", strict)
        # u -> u^T J is linear in u: its derivative with respect to u, applied to v, is J v
        dummies = tuple(
            Tensor._make(np.zeros_like(o._data), requires_grad=o.is_floating_point())
            for o in outputs
        )
        grad_inputs = _vjp_tensors(outputs, inputs, dummies, create_graph=True)
        _check_connected(grad_inputs, "grad_inputs", strict)
    res = _last_backward(grad_inputs, dummies, v, outputs, strict, create_graph, "back_trick")
    return (
        _untuple(_finish(outputs, create_graph), outputs_tuple),
        _untuple(res, outputs_tuple),
    )


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """The Jacobian of ``func`` at ``inputs``: for output ``i`` and input ``j`` a tensor of
    shape ``output_i.shape + input_j.shape`` (nested tuples follow whether ``func`` returned a
    tuple and whether ``inputs`` is one).

    Computed row by row in reverse mode: one VJP with a one-hot vector per output element,
    reusing one recorded graph. ``vectorize=True`` is accepted for torch compatibility and
    gives the same values by the same loop (torch uses it to batch the VJPs with vmap).
    ``strategy="forward-mode"`` (with ``vectorize=True``, as torch requires) computes it
    column by column instead: one JVP (autograd.forward_ad) per input element.

    Example:
        >>> x, y = autograd.tensor([1.0, 2.0]), autograd.tensor([3.0, 4.0])
        >>> jacobian(lambda x, y: x * y, (x, y))
        (tensor([[3., 0.],
                [0., 4.]]), tensor([[1., 0.],
                [0., 2.]]))
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". '
            "Hint: If your function has more outputs than inputs, "
            '"forward-mode" tends to be more performant. Otherwise, prefer to '
            'use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`."  # (torch's message, space missing)
            )
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either '
                'set `create_graph=False` or `strategy="reverse-mode"`.'
            )
        return _jacobian_forward(func, inputs)
    with enable_grad():
        inputs_tuple, inputs = _prepared_inputs(inputs, "jacobian", create_graph)
        outputs_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and "
                "`vectorized=True` are not supported together. Please either set "
                "`strict=False` or `vectorize=False`."
            )
        jac = []
        for i, out in enumerate(outputs):

            def missing(j, i=i):
                if strict:
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent "
                        f"of input {j}. This is not allowed in strict mode."
                    )

            def constant(j, i=i):
                if strict and create_graph:
                    raise RuntimeError(
                        "The jacobian of the user-provided function is independent"
                        f" of input {i}. This is not allowed in strict mode when "
                        "create_graph=True."
                    )

            jac.append(jacobian_rows(out, inputs, create_graph, missing, constant))
    jac = [_finish(per_input, create_graph) for per_input in jac]
    return _untuple([_untuple(per_input, inputs_tuple) for per_input in jac], outputs_tuple)


def _jacobian_forward(func, inputs):
    """``jacobian(..., strategy="forward-mode")``: one forward-mode pass per input element,
    that input seeded with a one-hot tangent; the output tangents are the Jacobian's columns."""
    from . import forward_ad as fwAD
    from .ops import stack

    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = tuple(x.detach() for x in inputs)
    columns: list = []  # columns[j][k]: the output tangents for element k of input j
    outputs = None
    for j, x in enumerate(inputs):
        columns.append([])
        seed = np.zeros(x.numel(), x._data.dtype)
        for k in range(x.numel()):
            seed[k] = 1
            with fwAD.dual_level():
                dual = fwAD.make_dual(x, Tensor._make(seed.reshape(x.shape).copy()))
                args = inputs[:j] + (dual,) + inputs[j + 1 :]
                outputs_tuple, outputs = _as_tuple(
                    func(*args), "outputs of the user-provided function", "jacobian"
                )
                tangents = [fwAD.unpack_dual(out).tangent for out in outputs]
                outputs = tuple(fwAD.unpack_dual(out).primal.detach() for out in outputs)
            seed[k] = 0
            columns[j].append(
                [
                    Tensor._make(np.zeros_like(out._data)) if t is None else t.detach()
                    for t, out in zip(tangents, outputs)
                ]
            )
    if outputs is None:  # (no input elements: evaluate once for the output shapes)
        outputs_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "jacobian"
        )
    jac = []
    for i, out in enumerate(outputs):
        per_input = []
        for j, x in enumerate(inputs):
            if x.numel():
                col = stack([c[i] for c in columns[j]], -1)
                per_input.append(col.reshape(tuple(out.shape) + tuple(x.shape)))
            else:
                per_input.append(
                    Tensor._make(np.zeros(tuple(out.shape) + tuple(x.shape), out._data.dtype))
                )
        jac.append(tuple(per_input))
    return _untuple([_untuple(per_input, inputs_tuple) for per_input in jac], outputs_tuple)


def jacobian_rows(out, inputs, create_graph, missing=None, constant=None):
    """The Jacobian of one tensor ``out`` with respect to each of ``inputs``: one VJP with a
    one-hot vector per element of ``out`` (the graph is retained between them), stacked into
    ``out.shape + input.shape``. An input ``out`` does not reach gets zeros, after
    ``missing(j)`` (which may raise); ``constant(j)`` is called for a row that came out
    without a graph although one was asked for."""
    rows = [[] for _ in inputs]
    seed = np.zeros(out.numel(), out._data.dtype)
    for k in range(out.numel()):
        seed[k] = 1
        onehot = Tensor._make(seed.reshape(out.shape).copy())
        seed[k] = 0
        grads = _vjp_tensors((out,), inputs, (onehot,), create_graph, retain_graph=True)
        for j, (g, x) in enumerate(zip(grads, inputs)):
            if g is None:
                if missing is not None:
                    missing(j)
                g = Tensor._make(np.zeros_like(x._data))
            elif create_graph and not g.requires_grad and constant is not None:
                constant(j)
            rows[j].append(g)
    return tuple(_stack_rows(r, out.shape + x.shape, x) for r, x in zip(rows, inputs))


def _stack_rows(rows, shape, like):
    from .ops import stack

    if not rows:  # an output with no elements
        return Tensor._make(np.zeros(shape, like._data.dtype))
    return stack(rows, 0).reshape(shape)


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of a scalar function ``func`` at ``inputs``: the Jacobian of its gradient.
    For inputs ``i`` and ``j`` a tensor of shape ``input_i.shape + input_j.shape``.

    Example:
        >>> hessian(lambda x: (x[0] * x[1]) ** 2, autograd.tensor([1.0, 2.0]))
        tensor([[8., 8.],
                [8., 2.]])
    """
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        return _scalar_output(func, inp, "hessian", strict)[0].squeeze()

    def gradient(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_connected(jac, "jacobian", strict)
        return jac

    res = jacobian(
        gradient,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _untuple([_untuple(r, inputs_tuple) for r in res], inputs_tuple)


def _scalar_output(func, inputs, fn_name, strict):
    outputs_tuple, outputs = _call(func, inputs, fn_name, strict)
    if outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should "
            "contain a single element"
        )
    return outputs


def _second_order(func, inputs, v, fn_name, create_graph, strict, last_backward_of):
    """The shared body of ``vhp`` and ``hvp``: the gradient of the scalar ``func`` with its
    graph kept (``jac``), then one more backward with ``v``. ``last_backward_of(jac, inputs)``
    names what that backward runs through: ``(tensors, with respect to, stage)``."""
    with enable_grad():
        inputs_tuple, inputs = _prepared_inputs(inputs, fn_name, create_graph)
        v = _prepared_v(v, fn_name, create_graph, inputs, inputs_tuple, _SINGLE_INPUT)
        outputs = _scalar_output(func, inputs, fn_name, strict)
        jac = _vjp_tensors(outputs, inputs, None, create_graph=True)
        _check_connected(jac, "jacobian", strict)
        tensors, wrt, stage = last_backward_of(jac, inputs)
    res = _last_backward(tensors, wrt, v, inputs, strict, create_graph, stage)
    return (_finish(outputs, create_graph)[0], _untuple(res, inputs_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: two backward passes, no Hessian.

    Example:
        >>> x, v = autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 1.0])
        >>> _, r = vhp(lambda x: (x ** 3).sum(), x, v)
        >>> r
        tensor([ 6., 12.])
    """
    return _second_order(
        func, inputs, v, "vhp", create_graph, strict, lambda jac, x: (jac, x, "double_back")
    )


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``; equals ``vhp`` since the Hessian is
    symmetric, computed like torch by the double-backward trick.

    Example:
        >>> x, v = autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 0.0])
        >>> _, r = hvp(lambda x: (x ** 3).sum(), x, v)
        >>> r
        tensor([6., 0.])
    """

    def double_back_trick(jac, inputs):
        # Backward through the gradient with placeholder vectors u gives u^T H as a graph,
        # linear in u; one more backward with v, with respect to u, is then H v (torch's
        # trick: reverse mode only, no forward-mode pass)
        dummies = tuple(Tensor._make(np.zeros_like(x._data), requires_grad=True) for x in inputs)
        double_back = _vjp_tensors(jac, inputs, dummies, create_graph=True)
        _check_connected(jac, "hessian", strict)
        return double_back, dummies, "double_back_trick"

    return _second_order(func, inputs, v, "hvp", create_graph, strict, double_back_trick)
