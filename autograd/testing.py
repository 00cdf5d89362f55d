"""Checking gradients: ``gradcheck``, ``gradgradcheck`` and ``assert_close``.

``gradcheck`` compares the Jacobian our backward computes (one backward pass per output
element) with the one from central finite differences, (f(x + eps) - f(x - eps)) / 2eps,
in float64. ``gradgradcheck`` does the same for the gradient function itself, which
checks that every VJP is differentiable (``create_graph=True``).

Example:
    >>> import autograd
    >>> x = autograd.randn(3, dtype=autograd.float64, requires_grad=True)
    >>> autograd.gradcheck(lambda t: (t * t).sin(), (x,))
    True
"""

from __future__ import annotations

import warnings

import numpy as np

from .tensor import Tensor
from .dtypes import FLOAT_KINDS

__all__ = ["gradcheck", "gradgradcheck", "assert_close", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians differ."""


def _as_tuple(x):
    if isinstance(x, list):  # torch accepts a list of inputs too
        return tuple(x)
    return x if isinstance(x, tuple) else (x,)


def _diff_outputs(outputs):
    return [
        o
        for o in outputs
        if isinstance(o, Tensor) and o._data.dtype.kind in FLOAT_KINDS and o.requires_grad
    ]


def _numerical_jacobian(func, inputs, diff_idx, eps):
    """J[k][i] : d output_k / d input_i as (out.size, in.size) arrays, by central differences."""
    # (evaluated with grad mode on: func may itself call autograd.grad, as in gradgradcheck)
    outs0 = [
        o
        for o in _as_tuple(func(*inputs))
        if isinstance(o, Tensor) and o._data.dtype.kind in FLOAT_KINDS
    ]
    jac = [[np.zeros((o._data.size, inputs[i]._data.size)) for i in diff_idx] for o in outs0]
    for col, i in enumerate(diff_idx):
        x = inputs[i]._data
        flat = x.reshape(-1)  # a view when x is contiguous (inputs are made contiguous)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = [
                o._data.astype(np.float64).reshape(-1)
                for o in _as_tuple(func(*inputs))
                if isinstance(o, Tensor) and o._data.dtype.kind in FLOAT_KINDS
            ]
            flat[j] = orig - eps
            minus = [
                o._data.astype(np.float64).reshape(-1)
                for o in _as_tuple(func(*inputs))
                if isinstance(o, Tensor) and o._data.dtype.kind in FLOAT_KINDS
            ]
            flat[j] = orig
            for k in range(len(outs0)):
                jac[k][col][:, j] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytical_jacobian(func, inputs, diff_idx):
    from .engine import grad

    outs = [
        o
        for o in _as_tuple(func(*inputs))
        if isinstance(o, Tensor) and o._data.dtype.kind in FLOAT_KINDS
    ]
    jac = [[np.zeros((o._data.size, inputs[i]._data.size)) for i in diff_idx] for o in outs]
    targets = [inputs[i] for i in diff_idx]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue  # output does not depend on any input: Jacobian is zero
        for j in range(o._data.size):
            seed = np.zeros(o._data.size, o._data.dtype)
            seed[j] = 1
            gs = grad(
                o,
                targets,
                grad_outputs=Tensor._make(seed.reshape(o._data.shape)),
                retain_graph=True,
                allow_unused=True,
            )
            for col, g in enumerate(gs):
                if g is not None:
                    if g.shape != targets[col].shape:
                        raise GradcheckError(
                            f"gradient for input {diff_idx[col]} has shape "
                            f"{list(g.shape)}, expected {list(targets[col].shape)}"
                        )
                    if g.dtype != targets[col].dtype:
                        raise GradcheckError(
                            f"gradient for input {diff_idx[col]} has dtype "
                            f"{g.dtype}, expected {targets[col].dtype}"
                        )
                    jac[k][col][j, :] = g._data.reshape(-1)
    return jac


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked=None,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences (float64).

    Same signature and defaults as ``torch.autograd.gradcheck``.
    """
    inputs = _as_tuple(inputs)
    inputs = tuple(_contiguous_leaf(x) for x in inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff_idx:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating "
                "point. This check will likely fail if all the inputs are not of double "
                "precision floating point.",
                UserWarning,
                stacklevel=2,
            )
    if not diff_idx:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but "
            "none of the them have requires_grad=True."
        )
    analytical = _analytical_jacobian(func, inputs, diff_idx)
    numerical = _numerical_jacobian(func, inputs, diff_idx, eps)
    for k, (arow, nrow) in enumerate(zip(analytical, numerical)):
        for col, (a, n) in enumerate(zip(arow, nrow)):
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                msg = (
                    f"Jacobian mismatch for output {k} with respect to input {diff_idx[col]},\n"
                    f"numerical:{n}\nanalytical:{a}\n"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    # reentrancy: a second backward must give the same result
    again = _analytical_jacobian(func, inputs, diff_idx)
    for arow, brow in zip(analytical, again):
        for a, b in zip(arow, brow):
            if not np.allclose(a, b, rtol=0, atol=nondet_tol):
                msg = (
                    "Backward is not reentrant, i.e., running backward with same input and "
                    "grad_output multiple times gives different values"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def _contiguous_leaf(x):
    if not isinstance(x, Tensor):
        return x
    if x._data.flags.c_contiguous and x._data.flags.writeable and x.grad_fn is None:
        return x
    t = Tensor._make(np.ascontiguousarray(x._data).copy())
    if x.requires_grad:
        t.requires_grad_(True)
    return t


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked=False,
) -> bool:
    """Check second-order gradients: gradcheck of (inputs, v) -> vJ with ``create_graph``.

    Same signature and defaults as ``torch.autograd.gradgradcheck``.
    """
    from .engine import grad

    inputs = tuple(_contiguous_leaf(x) for x in _as_tuple(inputs))
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _diff_outputs(_as_tuple(func(*inputs)))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._make(
                rng.standard_normal(o._data.shape).astype(o._data.dtype), requires_grad=True
            )
            for o in outs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grad(*args):
        xs, vs = args[:n_in], args[n_in:]
        ys = _diff_outputs(_as_tuple(func(*xs)))
        targets = [xs[i] for i in diff_idx]
        gs = grad(ys, targets, grad_outputs=vs, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(
        first_grad,
        inputs + tuple(grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
    )


_DEFAULT_TOL = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
}


def assert_close(
    actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True, msg=None
):
    """Raise AssertionError unless ``actual`` and ``expected`` are close (torch's defaults)."""
    a = actual._data if isinstance(actual, Tensor) else np.asarray(actual)
    e = expected._data if isinstance(expected, Tensor) else np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(
            f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}."
        )
    if (
        check_dtype
        and isinstance(actual, Tensor)
        and isinstance(expected, Tensor)
        and a.dtype != e.dtype
    ):
        raise AssertionError(
            f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}."
        )
    d_rtol, d_atol = _DEFAULT_TOL.get(a.dtype, (0.0, 0.0))
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol
    if a.dtype.kind in "biu" and e.dtype.kind in "biu":
        ok = np.array_equal(a, e)
    else:
        ok = np.allclose(
            a.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol, equal_nan=equal_nan
        )
    if not ok:
        diff = np.abs(a.astype(np.float64) - e.astype(np.float64))
        raise AssertionError(
            msg
            or f"Tensor-likes are not close!\n\nMismatched elements: "
            f"{int(np.sum(~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)))}"
            f" / {a.size}\nGreatest absolute difference: {np.nanmax(diff) if diff.size else 0}"
            f" (up to {atol} allowed)"
        )
